/* A registry with TLS (a CA made here with openssl) and htpasswd; a pull killed with SIGKILL mid-layer; two
 * concurrent pulls of one image; `images --filter/--format/--digests/-a`. Registries are Debian's
 * docker-registry on 127.0.0.1 with a free port, stopped after each test. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../harness.h"

#define REGISTRY_BIN "/usr/bin/docker-registry"
#define REG_USER "skiffuser"
#define REG_PASS "s3cret-Pa55"
#define BIG_MB 48

struct reg2
{
  pid_t pid;
  int port;
  char dir[256];
  char addr[64];
  char certs[300]; /* a --cert-dir holding ca.crt (TLS only) */
};

static struct reg2 current;

/* A CA and a server certificate for IP 127.0.0.1 signed by it, in dir; dir/certs/ca.crt for --cert-dir. */
static void
make_certs (const char *dir)
{
  if (system ("command -v openssl >/dev/null 2>&1") != 0)
    cr_skip_test ("openssl is needed to make the test CA (contrib/install-deps.sh)");
  it_sh ("cd '%s' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key "
         "-out ca.crt -days 2 -subj /CN=skiff-test-ca 2>/dev/null >&2 "
         "&& openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key -out server.csr "
         "-subj /CN=127.0.0.1 2>/dev/null >&2 "
         "&& printf 'subjectAltName=IP:127.0.0.1\\nbasicConstraints=CA:FALSE\\n' > ext.cnf "
         "&& openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 "
         "-extfile ext.cnf 2>/dev/null >&2 && mkdir certs && cp ca.crt certs/ca.crt",
         dir);
}

/* Start a registry: with tls, https with the test CA's certificate; with htpasswd, Basic auth. */
static void
reg_start (struct reg2 *r, bool tls, bool htpasswd)
{
  if (access (REGISTRY_BIN, X_OK) != 0)
    cr_skip_test ("%s is missing: apt-get install docker-registry (contrib/install-deps.sh)", REGISTRY_BIN);
  snprintf (r->dir, sizeof r->dir, "%s/registry2-XXXXXX", it_dir ());
  cr_assert (mkdtemp (r->dir), "mkdtemp: %s", strerror (errno));
  r->port = it_free_port ();
  snprintf (r->addr, sizeof r->addr, "127.0.0.1:%d", r->port);
  char auth[1024] = "", tlscfg[1024] = "";
  if (htpasswd)
    {
      char cmd[512], path[300];
      snprintf (path, sizeof path, "%s/htpasswd", r->dir);
      snprintf (cmd, sizeof cmd, "htpasswd -Bbn %s %s > %s 2>/dev/null", REG_USER, REG_PASS, path);
      if (system (cmd) != 0)
        cr_skip_test ("htpasswd (apache2-utils) is needed for a registry with authentication");
      snprintf (auth, sizeof auth, "auth:\n  htpasswd:\n    realm: skiff-test\n    path: %s\n", path);
    }
  if (tls)
    {
      make_certs (r->dir);
      snprintf (r->certs, sizeof r->certs, "%s/certs", r->dir);
      snprintf (tlscfg, sizeof tlscfg, "  tls:\n    certificate: %s/server.crt\n    key: %s/server.key\n", r->dir,
                r->dir);
    }
  char cfg[4096];
  snprintf (cfg, sizeof cfg,
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    "
            "rootdirectory: %s/data\n  delete:\n    enabled: true\nhttp:\n  addr: %s\n%s%s",
            r->dir, r->addr, tlscfg, auth);
  r->pid = it_registry_serve (r->dir, cfg, r->port);
}

static void
stop_current (void)
{
  if (current.pid > 0)
    {
      kill (current.pid, SIGTERM);
      waitpid (current.pid, NULL, 0);
      current.pid = 0;
    }
  if (current.dir[0])
    {
      char cmd[400];
      snprintf (cmd, sizeof cmd, "rm -rf '%s'", current.dir);
      if (system (cmd) != 0)
        fprintf (stderr, "could not remove %s\n", current.dir);
    }
  memset (&current, 0, sizeof current);
}

/* ---- 1. TLS + htpasswd ---- */

Test (registry2, tls_cert_dir_and_htpasswd, .fini = stop_current)
{
  reg_start (&current, true, true);
  char dest[128], authfile[300], wrong[160];
  snprintf (dest, sizeof dest, "%s/tls/busybox:v1", current.addr);
  snprintf (authfile, sizeof authfile, "%s/auth/auth.json", current.dir);
  snprintf (wrong, sizeof wrong, "Error: logging into \"%s\": invalid username/password", current.addr);
  const char *creds = REG_USER ":" REG_PASS;

  /* verification on, the CA from --cert-dir */
  struct it_result r = SKIFF ("push", "--cert-dir", current.certs, "--creds", creds, "busybox", dest);
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("pull", "-q", "--cert-dir", current.certs, "--creds", creds, dest);
  assert_ok (r);
  cr_assert_eq (strlen (r.out), 65, "%s", r.out);
  it_result_free (&r);

  /* without the CA: a certificate error that names the fixes */
  r = SKIFF ("pull", "--creds", creds, dest);
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "certificate") && strstr (r.err, "--cert-dir") && strstr (r.err, "--tls-verify=false"),
             "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("push", "--creds", creds, "busybox", dest);
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "certificate"), "%s", r.err);
  it_result_free (&r);

  /* an empty cert dir: the system CAs only, so still unverifiable */
  char empty[300];
  snprintf (empty, sizeof empty, "%s/empty-certs", current.dir);
  cr_assert_eq (mkdir (empty, 0700), 0);
  r = SKIFF ("pull", "--cert-dir", empty, "--creds", creds, dest);
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "certificate"), "%s", r.err);
  it_result_free (&r);

  /* --tls-verify=false: still TLS (https first), no verification */
  r = SKIFF ("pull", "-q", "--tls-verify=false", "--creds", creds, dest);
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("push", "--tls-verify=false", "--creds", creds, "busybox", dest);
  assert_ok (r);
  it_result_free (&r);

  /* login: a wrong password is refused with podman's message and writes nothing */
  r = SKIFF ("login", "--cert-dir", current.certs, "--authfile", authfile, "-u", REG_USER, "-p", "wrong", current.addr);
  assert_exit (r, 125);
  cr_assert (strstr (r.err, wrong), "%s", r.err);
  cr_assert (access (authfile, F_OK) != 0, "a failed login wrote %s", authfile);
  it_result_free (&r);
  /* login without the CA fails on the certificate, not on the password */
  r = SKIFF ("login", "--authfile", authfile, "-u", REG_USER, "-p", REG_PASS, current.addr);
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "certificate"), "%s", r.err);
  cr_assert (access (authfile, F_OK) != 0, "a failed login wrote %s", authfile);
  it_result_free (&r);
  r = SKIFF_IN (REG_PASS "\n", "login", "--cert-dir", current.certs, "--authfile", authfile, "-u", REG_USER,
                "--password-stdin", current.addr);
  assert_ok (r);
  cr_assert_str_eq (r.out, "Login Succeeded!\n");
  it_result_free (&r);
  char *json = it_slurp (authfile);
  cr_assert (json && strstr (json, "\"auths\"") && strstr (json, current.addr) && !strstr (json, REG_PASS), "%s",
             json ? json : "(none)");
  free (json);

  /* the stored credentials, TLS verified */
  char dest2[128];
  snprintf (dest2, sizeof dest2, "%s/tls/after-login:v2", current.addr);
  r = SKIFF ("push", "--cert-dir", current.certs, "--authfile", authfile, "busybox", dest2);
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("pull", "-q", "--cert-dir", current.certs, "--authfile", authfile, dest2);
  assert_ok (r);
  it_result_free (&r);
  /* relative paths keep their meaning inside skiff's user namespace */
  char *cwd = getcwd (NULL, 0);
  cr_assert_eq (chdir (current.dir), 0);
  r = SKIFF ("push", "--cert-dir", "certs", "--authfile", "auth/auth.json", "--digestfile", "digest", "busybox", dest2);
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("pull", "-q", "--cert-dir", "certs", "--authfile", "auth/auth.json", dest2);
  assert_ok (r);
  it_result_free (&r);
  cr_assert_eq (chdir (cwd), 0);
  free (cwd);
  char dfile[300];
  snprintf (dfile, sizeof dfile, "%s/digest", current.dir);
  char *digest = it_slurp (dfile);
  cr_assert (digest && strncmp (digest, "sha256:", 7) == 0, "%s", digest ? digest : "(no digest file)");
  free (digest);
  r = SKIFF ("run", "--rm", dest2, "echo", "over-tls");
  assert_ok (r);
  cr_assert_str_eq (r.out, "over-tls\n");
  it_result_free (&r);
  /* no credentials at all: the error says how to give them */
  char noauth[300];
  snprintf (noauth, sizeof noauth, "%s/none.json", current.dir);
  r = SKIFF ("pull", "--cert-dir", current.certs, "--authfile", noauth, dest2);
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "skiff login"), "%s", r.err);
  it_result_free (&r);

  r = SKIFF ("rmi", "-f", dest, dest2);
  it_result_free (&r);
}

/* ---- 2. and 3.: an image with one big layer ---- */

static char big_ref[128];

/* busybox plus BIG_MB MiB of random data in one layer, pushed to the current (plain HTTP) registry and removed
 * from the harness's store. */
static void
push_big_image (void)
{
  reg_start (&current, false, false);
  it_sh ("cp '%s' '%s/big.tar' && head -c %dM /dev/urandom > '%s/random.bin' && tar -C '%s' -rf '%s/big.tar' "
         "random.bin && rm '%s/random.bin'",
         it_busybox_tar (), current.dir, BIG_MB, current.dir, current.dir, current.dir, current.dir);
  char tar[300];
  snprintf (tar, sizeof tar, "%s/big.tar", current.dir);
  snprintf (big_ref, sizeof big_ref, "%s/it/big:v1", current.addr);
  struct it_result r = SKIFF ("import", tar, "bigsrc:v1");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("push", "--tls-verify=false", "bigsrc:v1", big_ref);
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("rmi", "bigsrc:v1");
  assert_ok (r);
  it_result_free (&r);
  unlink (tar);
}

static pid_t
spawn_in (const char *root, const char *run, const char *log, const char *const *args)
{
  char rootbuf[512], runbuf[512];
  snprintf (rootbuf, sizeof rootbuf, "--root=%s", root);
  snprintf (runbuf, sizeof runbuf, "--runroot=%s", run);
  const char *argv[32];
  size_t a = 0;
  argv[a++] = getenv ("SKIFF_BINARY");
  argv[a++] = rootbuf;
  argv[a++] = runbuf;
  for (size_t i = 0; args[i] && a < 30; i++)
    argv[a++] = args[i];
  argv[a] = NULL;
  pid_t pid = fork ();
  cr_assert (pid >= 0);
  if (pid == 0)
    {
      int null = open ("/dev/null", O_RDONLY);
      int out = open (log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2 (null, 0);
      dup2 (out, 1);
      dup2 (out, 2);
      execv (argv[0], (char **) argv);
      _exit (99);
    }
  return pid;
}

static int
wait_status (pid_t pid)
{
  int st;
  while (waitpid (pid, &st, 0) < 0 && errno == EINTR)
    ;
  return WIFEXITED (st) ? WEXITSTATUS (st) : 128 + WTERMSIG (st);
}

/* How many entries of root/layers are complete layers (64 hex) and temporaries (.tmp-*); every complete
 * layer must hold diff/ and size, or the test fails. */
static void
count_layers (const char *root, int *complete, int *tmp)
{
  char path[600];
  snprintf (path, sizeof path, "%s/layers", root);
  *complete = *tmp = 0;
  DIR *d = opendir (path);
  if (d == NULL)
    return;
  struct dirent *de;
  while ((de = readdir (d)))
    {
      if (strstr (de->d_name, ".tmp-"))
        (*tmp)++;
      else if (strlen (de->d_name) == 64 && strspn (de->d_name, "0123456789abcdef") == 64)
        {
          char p[800];
          snprintf (p, sizeof p, "%s/%s/size", path, de->d_name);
          cr_assert (access (p, F_OK) == 0, "layer %s is visible without its size file", de->d_name);
          snprintf (p, sizeof p, "%s/%s/diff", path, de->d_name);
          cr_assert (access (p, F_OK) == 0, "layer %s is visible without its diff", de->d_name);
          (*complete)++;
        }
    }
  closedir (d);
}

static bool
has_tmp_layer (const char *root)
{
  int c, t;
  count_layers (root, &c, &t);
  return t > 0;
}

Test (registry2, pull_killed_mid_layer, .fini = stop_current, .timeout = 300)
{
  push_big_image ();
  char root[512], run[512], log[512];
  snprintf (root, sizeof root, "%s/kill-root", it_dir ());
  snprintf (run, sizeof run, "%s/kill-run", it_dir ());
  snprintf (log, sizeof log, "%s/kill-pull.log", it_dir ());
  pid_t pid = spawn_in (root, run, log, (const char *const[]){ "pull", "--tls-verify=false", big_ref, NULL });
  /* wait for the layer's temporary directory, let the download run a little, then kill */
  bool seen = false;
  for (int i = 0; i < 6000 && !seen; i++)
    {
      if (waitpid (pid, NULL, WNOHANG) == pid)
        {
          char *l = it_slurp (log);
          cr_assert_fail ("the pull ended before it could be killed: %s", l ? l : "");
        }
      seen = has_tmp_layer (root);
      if (!seen)
        it_msleep (2);
    }
  cr_assert (seen, "no layers/.tmp-* appeared");
  it_msleep (100);
  cr_assert_eq (kill (pid, SIGKILL), 0);
  int st = wait_status (pid);
  cr_assert_eq (st, 128 + SIGKILL, "the pull was not killed (status %d): it finished too fast", st);

  int complete, tmp;
  count_layers (root, &complete, &tmp);
  cr_assert_eq (complete, 0, "a layer became visible from a killed pull");
  struct it_result r = it_skiff_in (root, run, NULL, NULL, (const char *const[]){ "images", "-q", NULL });
  assert_ok (r);
  cr_assert_str_eq (r.out, "");
  it_result_free (&r);
  r = it_skiff_in (root, run, NULL, NULL, (const char *const[]){ "image", "exists", big_ref, NULL });
  assert_exit (r, 1);
  it_result_free (&r);

  /* the next pull completes (and the killed one's temporaries are gone) */
  r = it_skiff_in (root, run, NULL, NULL, (const char *const[]){ "pull", "-q", "--tls-verify=false", big_ref, NULL });
  assert_ok (r);
  it_result_free (&r);
  count_layers (root, &complete, &tmp);
  cr_assert_eq (complete, 1);
  cr_assert_eq (tmp, 0, "temporaries left after the next pull");
  r = it_skiff_in (root, run, NULL, NULL,
                   (const char *const[]){ "run", "--rm", big_ref, "sh", "-c", "wc -c < /random.bin", NULL });
  assert_ok (r);
  char want[32];
  snprintf (want, sizeof want, "%d\n", BIG_MB * 1024 * 1024);
  cr_assert_str_eq (r.out, want);
  it_result_free (&r);
  r = it_skiff_in (root, run, NULL, NULL, (const char *const[]){ "system", "reset", "--force", NULL });
  it_result_free (&r);
}

Test (registry2, concurrent_pulls_store_once, .fini = stop_current, .timeout = 300)
{
  push_big_image ();
  char root[512], run[512], log1[512], log2[512];
  snprintf (root, sizeof root, "%s/conc-root", it_dir ());
  snprintf (run, sizeof run, "%s/conc-run", it_dir ());
  snprintf (log1, sizeof log1, "%s/conc-pull1.log", it_dir ());
  snprintf (log2, sizeof log2, "%s/conc-pull2.log", it_dir ());
  const char *const args[] = { "pull", "-q", "--tls-verify=false", big_ref, NULL };
  pid_t p1 = spawn_in (root, run, log1, args);
  pid_t p2 = spawn_in (root, run, log2, args);
  int s1 = wait_status (p1), s2 = wait_status (p2);
  char *l1 = it_slurp (log1), *l2 = it_slurp (log2);
  cr_assert (s1 == 0 && s2 == 0, "exit %d: %s\nexit %d: %s", s1, l1 ? l1 : "", s2, l2 ? l2 : "");
  /* both print the same image ID */
  cr_assert (l1 && l2 && strlen (l1) == 65, "%s", l1 ? l1 : "");
  cr_assert_str_eq (l1, l2);
  free (l1);
  free (l2);
  int complete, tmp;
  count_layers (root, &complete, &tmp);
  cr_assert_eq (complete, 1, "the layer is stored %d times", complete);
  cr_assert_eq (tmp, 0);
  struct it_result r = it_skiff_in (root, run, NULL, NULL, (const char *const[]){ "images", "-q", NULL });
  assert_ok (r);
  cr_assert_eq (strlen (r.out), 13, "%s", r.out);
  it_result_free (&r);
  r = it_skiff_in (root, run, NULL, NULL, (const char *const[]){ "run", "--rm", big_ref, "true", NULL });
  assert_ok (r);
  it_result_free (&r);
  r = it_skiff_in (root, run, NULL, NULL, (const char *const[]){ "system", "reset", "--force", NULL });
  it_result_free (&r);
}

/* ---- 4. images --filter, --format table, -a, --digests (a private store: dangling images would show elsewhere) ---- */

static char froot[512], frun[512];

#define FIMG(...) it_skiff_in (froot, frun, NULL, NULL, (const char *const[]){ __VA_ARGS__, NULL })

static void
filters_reset (void)
{
  struct it_result r = FIMG ("system", "reset", "--force");
  it_result_free (&r);
}

static void
fimport (const char *const *args)
{
  const char *argv[16] = { "import" };
  size_t a = 1;
  for (size_t i = 0; args[i]; i++)
    argv[a++] = args[i];
  argv[a] = NULL;
  struct it_result r = it_skiff_in (froot, frun, NULL, NULL, argv);
  assert_ok (r);
  it_result_free (&r);
}

/* the output of `images --format {{.Repository}}:{{.Tag}}` with one more option */
static void
expect_names (const char *opt, const char *want)
{
  struct it_result r = FIMG ("images", "--format", "{{.Repository}}:{{.Tag}}", opt);
  assert_ok (r);
  cr_assert_str_eq (r.out, want, "images %s", opt);
  it_result_free (&r);
}

Test (registry2, images_filters_and_format, .fini = filters_reset)
{
  snprintf (froot, sizeof froot, "%s/filters-root", it_dir ());
  snprintf (frun, sizeof frun, "%s/filters-run", it_dir ());
  const char *tar = it_busybox_tar ();
  /* oldest first: alpha, beta, an unnamed image, gamma */
  fimport ((const char *const[]){ "--change", "LABEL=tier=web", tar, "alpha:v1", NULL });
  fimport ((const char *const[]){ "--change", "LABEL=tier=db", "--change", "LABEL=x=1", tar, "beta:v1", NULL });
  fimport ((const char *const[]){ tar, NULL });
  fimport ((const char *const[]){ tar, "docker.io/library/gamma:2", NULL });

  expect_names ("-a", "docker.io/library/gamma:2\n<none>:<none>\nlocalhost/beta:v1\nlocalhost/alpha:v1\n");
  /* reference: a glob on the name with or without its tag, and on its trailing components */
  expect_names ("--filter=reference=alpha", "localhost/alpha:v1\n");
  expect_names ("--filter=reference=*a:v1", "localhost/beta:v1\nlocalhost/alpha:v1\n");
  expect_names ("--filter=reference=gam*", "docker.io/library/gamma:2\n");
  expect_names ("--filter=reference=library/gamma:2", "docker.io/library/gamma:2\n");
  expect_names ("--filter=reference=localhost/*", "localhost/beta:v1\nlocalhost/alpha:v1\n");
  expect_names ("--filter=reference=nomatch*", "");
  expect_names ("--filter=dangling=true", "<none>:<none>\n");
  expect_names ("--filter=dangling=false", "docker.io/library/gamma:2\nlocalhost/beta:v1\nlocalhost/alpha:v1\n");
  expect_names ("--filter=label=tier", "localhost/beta:v1\nlocalhost/alpha:v1\n");
  expect_names ("--filter=label=tier=db", "localhost/beta:v1\n");
  expect_names ("--filter=label=x", "localhost/beta:v1\n");
  expect_names ("--filter=label=tier=none", "");
  expect_names ("--filter=before=beta:v1", "localhost/alpha:v1\n");
  expect_names ("--filter=since=beta:v1", "docker.io/library/gamma:2\n<none>:<none>\n");
  expect_names ("--filter=before=alpha:v1", "");

  /* several filters: different keys all apply, labels must all match, references are alternatives */
  struct it_result r = FIMG ("images", "--format", "{{.Repository}}", "-f", "label=tier", "-f", "since=alpha:v1");
  assert_ok (r);
  cr_assert_str_eq (r.out, "localhost/beta\n");
  it_result_free (&r);
  r = FIMG ("images", "--format", "{{.Repository}}", "-f", "label=tier=web", "-f", "label=x");
  assert_ok (r);
  cr_assert_str_eq (r.out, "");
  it_result_free (&r);
  r = FIMG ("images", "--format", "{{.Repository}}", "-f", "reference=alpha", "-f", "reference=gamma");
  assert_ok (r);
  cr_assert_str_eq (r.out, "docker.io/library/gamma\nlocalhost/alpha\n");
  it_result_free (&r);
  /* -q lists the filtered IDs */
  r = FIMG ("images", "-q", "--filter", "dangling=true");
  assert_ok (r);
  cr_assert_eq (strlen (r.out), 13, "%s", r.out);
  it_result_free (&r);

  /* --format with table: headings, columns aligned */
  r = FIMG ("images", "--format", "table {{.Repository}}\t{{.Tag}}", "--filter", "reference=beta");
  assert_ok (r);
  cr_assert_str_eq (r.out, "REPOSITORY      TAG\nlocalhost/beta  v1\n");
  it_result_free (&r);
  r = FIMG ("images", "--noheading", "--format", "table {{.Repository}}\t{{.Tag}}", "--filter", "reference=beta");
  assert_ok (r);
  cr_assert_str_eq (r.out, "localhost/beta  v1\n");
  it_result_free (&r);

  /* --digests: a DIGEST column holding each image's manifest digest */
  r = FIMG ("images", "--digests", "--filter", "reference=alpha");
  assert_ok (r);
  cr_assert (strncmp (r.out, "REPOSITORY", 10) == 0 && strstr (r.out, "  DIGEST  "), "%s", r.out);
  char *row = strchr (r.out, '\n');
  cr_assert (row && strstr (row, " sha256:"), "%s", r.out);
  struct it_result d = FIMG ("images", "--format", "{{.Digest}}", "--filter", "reference=alpha");
  assert_ok (d);
  d.out[strcspn (d.out, "\n")] = '\0';
  cr_assert (strncmp (d.out, "sha256:", 7) == 0 && strstr (row, d.out), "%s / %s", d.out, r.out);
  it_result_free (&d);
  it_result_free (&r);

  /* JSON carries the labels */
  r = FIMG ("images", "--format", "json", "--filter", "reference=beta");
  assert_ok (r);
  cr_assert (strstr (r.out, "\"tier\": \"db\"") && strstr (r.out, "\"x\": \"1\""), "%s", r.out);
  it_result_free (&r);

  /* mistakes */
  r = FIMG ("images", "--filter", "color=red");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "unsupported image filter \"color\""), "%s", r.err);
  it_result_free (&r);
  r = FIMG ("images", "--filter", "dangling");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "invalid image filter \"dangling\""), "%s", r.err);
  it_result_free (&r);
  r = FIMG ("images", "--filter", "dangling=maybe");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "dangling"), "%s", r.err);
  it_result_free (&r);
  r = FIMG ("images", "--filter", "before=nosuch:v1");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "image not known"), "%s", r.err);
  it_result_free (&r);
}
