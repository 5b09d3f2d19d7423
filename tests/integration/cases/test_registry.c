/* pull, push, login and logout against Debian's registry (docker-registry), started here on 127.0.0.1 with a
 * free port and a temporary storage directory, and stopped after each test. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
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

struct reg
{
  pid_t pid;
  int port;
  char dir[256];
  char addr[64];
};

static void
require_registry (void)
{
  if (access (REGISTRY_BIN, X_OK) != 0)
    cr_skip_test ("%s is missing: apt-get install docker-registry (contrib/install-deps.sh)", REGISTRY_BIN);
}

/* Start a registry; with htpasswd, Basic auth with REG_USER/REG_PASS. */
static void
reg_start (struct reg *r, bool htpasswd)
{
  require_registry ();
  snprintf (r->dir, sizeof r->dir, "%s/registry-XXXXXX", it_dir ());
  cr_assert (mkdtemp (r->dir), "mkdtemp: %s", strerror (errno));
  r->port = it_free_port ();
  snprintf (r->addr, sizeof r->addr, "127.0.0.1:%d", r->port);
  char auth[1024] = "";
  if (htpasswd)
    {
      char cmd[512], path[300];
      snprintf (path, sizeof path, "%s/htpasswd", r->dir);
      snprintf (cmd, sizeof cmd, "htpasswd -Bbn %s %s > %s 2>/dev/null", REG_USER, REG_PASS, path);
      if (system (cmd) != 0)
        cr_skip_test ("htpasswd (apache2-utils) is needed for a registry with authentication");
      snprintf (auth, sizeof auth, "auth:\n  htpasswd:\n    realm: skiff-test\n    path: %s\n", path);
    }
  char cfg[2048];
  snprintf (cfg, sizeof cfg,
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    "
            "rootdirectory: %s/data\nhttp:\n  addr: %s\n%s",
            r->dir, r->addr, auth);
  r->pid = it_registry_serve (r->dir, cfg, r->port);
}

static void
reg_stop (struct reg *r)
{
  if (r->pid > 0)
    {
      kill (r->pid, SIGTERM);
      waitpid (r->pid, NULL, 0);
      r->pid = 0;
    }
  char cmd[400];
  snprintf (cmd, sizeof cmd, "rm -rf '%s'", r->dir);
  if (system (cmd) != 0)
    fprintf (stderr, "could not remove %s\n", r->dir);
}

static struct reg current;

static void
stop_current (void)
{
  reg_stop (&current);
}

static char *
strip (char *s)
{
  s[strcspn (s, "\n")] = '\0';
  return s;
}

Test (registry, push_pull_run_same_digests, .fini = stop_current)
{
  reg_start (&current, false);
  char dest[128], df1[300], df2[300];
  snprintf (dest, sizeof dest, "%s/it/busybox:v1", current.addr);
  snprintf (df1, sizeof df1, "%s/d1", current.dir);
  snprintf (df2, sizeof df2, "%s/d2", current.dir);
  struct it_result r = SKIFF ("push", "--tls-verify=false", "--digestfile", df1, "busybox", dest);
  assert_ok (r);
  cr_assert (strstr (r.err, "Getting image source signatures") && strstr (r.err, "Copying blob sha256:")
                 && strstr (r.err, "Writing manifest to image destination"),
             "%s", r.err);
  it_result_free (&r);
  /* pushing again: the re-tarred layers are deterministic, so nothing changes */
  r = SKIFF ("push", "--tls-verify=false", "--digestfile", df2, "busybox", dest);
  assert_ok (r);
  it_result_free (&r);
  char *d1 = it_slurp (df1), *d2 = it_slurp (df2);
  cr_assert (d1 && d2 && strncmp (d1, "sha256:", 7) == 0, "%s", d1 ? d1 : "(none)");
  cr_assert_str_eq (d1, d2);

  r = SKIFF ("pull", "--tls-verify=false", dest);
  assert_ok (r);
  cr_assert (strstr (r.err, "Trying to pull ") && strstr (r.err, "Writing manifest to image destination"), "%s", r.err);
  cr_assert_eq (strlen (r.out), 65, "%s", r.out);
  char id[65];
  memcpy (id, r.out, 64);
  id[64] = '\0';
  it_result_free (&r);
  r = SKIFF ("rmi", dest);
  assert_ok (r);
  it_result_free (&r);
  /* pull back into an empty image list: quiet prints only the ID */
  r = SKIFF ("pull", "-q", "--tls-verify=false", dest);
  assert_ok (r);
  cr_assert_str_eq (strip (r.out), id);
  cr_assert_str_eq (r.err, "");
  it_result_free (&r);
  r = SKIFF ("images", "--format", "{{.Digest}}", dest);
  assert_ok (r);
  cr_assert_str_eq (strip (r.out), d1);
  it_result_free (&r);
  r = SKIFF ("run", "--rm", dest, "sh", "-c", "echo pulled; stat -c %U /srv/www");
  assert_ok (r);
  cr_assert_str_eq (r.out, "pulled\nwww-data\n");
  it_result_free (&r);
  /* by digest, and a push of the pulled image to another repository (blob mount) keeps the digest */
  char bydigest[256], other[128];
  snprintf (bydigest, sizeof bydigest, "%s/it/busybox@%s", current.addr, d1);
  r = SKIFF ("pull", "-q", "--tls-verify=false", bydigest);
  assert_ok (r);
  cr_assert_str_eq (strip (r.out), id);
  it_result_free (&r);
  snprintf (other, sizeof other, "%s/other/bb:v2", current.addr);
  r = SKIFF ("push", "--tls-verify=false", "--digestfile", df2, dest, other);
  assert_ok (r);
  it_result_free (&r);
  free (d2);
  d2 = it_slurp (df2);
  cr_assert_str_eq (d1, d2);
  r = SKIFF ("rmi", "-f", id);
  it_result_free (&r);
  free (d1);
  free (d2);
}

Test (registry, unknown_manifest_and_plain_http, .fini = stop_current)
{
  reg_start (&current, false);
  char ref[128];
  snprintf (ref, sizeof ref, "%s/nope/nothing:v9", current.addr);
  struct it_result r = SKIFF ("pull", "--tls-verify=false", ref);
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "manifest unknown"), "%s", r.err);
  it_result_free (&r);
  /* TLS verification on (the default) against a plain-HTTP registry names the fix */
  r = SKIFF ("pull", ref);
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "--tls-verify=false"), "%s", r.err);
  it_result_free (&r);
}

Test (registry, registry_down)
{
  require_registry ();
  int port = it_free_port ();
  char ref[128], want[128];
  snprintf (ref, sizeof ref, "127.0.0.1:%d/x/busybox", port);
  snprintf (want, sizeof want, "connection refused: is the registry at 127.0.0.1:%d running?", port);
  struct it_result r = SKIFF ("pull", "--tls-verify=false", ref);
  assert_exit (r, 125);
  cr_assert (strstr (r.err, want), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("push", "--tls-verify=false", "busybox", ref);
  assert_exit (r, 125);
  cr_assert (strstr (r.err, want), "%s", r.err);
  it_result_free (&r);
}

Test (registry, login_logout_htpasswd, .fini = stop_current)
{
  reg_start (&current, true);
  char authfile[300], dest[128], wrong[128];
  snprintf (authfile, sizeof authfile, "%s/auth/auth.json", current.dir);
  snprintf (dest, sizeof dest, "%s/private/busybox:v1", current.addr);
  snprintf (wrong, sizeof wrong, "Error: logging into \"%s\": invalid username/password", current.addr);
  /* no credentials: the error says how to give them */
  struct it_result r = SKIFF ("push", "--tls-verify=false", "--authfile", authfile, "busybox", dest);
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "skiff login"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("login", "--tls-verify=false", "--authfile", authfile, "-u", REG_USER, "-p", "wrong", current.addr);
  assert_exit (r, 125);
  cr_assert (strstr (r.err, wrong), "%s", r.err);
  cr_assert (access (authfile, F_OK) != 0, "a failed login wrote %s", authfile);
  it_result_free (&r);
  r = SKIFF_IN (REG_PASS "\n", "login", "--tls-verify=false", "--authfile", authfile, "-u", REG_USER,
                "--password-stdin", current.addr);
  assert_ok (r);
  cr_assert_str_eq (r.out, "Login Succeeded!\n");
  cr_assert (strstr (r.err, REG_PASS) == NULL);
  it_result_free (&r);
  char *json = it_slurp (authfile);
  cr_assert (json && strstr (json, "\"auths\"") && strstr (json, current.addr) && !strstr (json, REG_PASS), "%s",
             json ? json : "(none)");
  struct stat st;
  cr_assert (stat (authfile, &st) == 0 && (st.st_mode & 0777) == 0600, "mode %o", st.st_mode & 0777);
  free (json);
  /* the stored credentials are used by push and pull */
  r = SKIFF ("push", "--tls-verify=false", "--authfile", authfile, "busybox", dest);
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("pull", "-q", "--tls-verify=false", "--authfile", authfile, dest);
  assert_ok (r);
  it_result_free (&r);
  /* --creds with a wrong password */
  r = SKIFF ("pull", "--tls-verify=false", "--creds", REG_USER ":nope", dest);
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "invalid username/password") || strstr (r.err, "unauthorized"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("logout", "--authfile", authfile, current.addr);
  assert_ok (r);
  char removed[128];
  snprintf (removed, sizeof removed, "Removed login credentials for %s\n", current.addr);
  cr_assert_str_eq (r.out, removed);
  it_result_free (&r);
  r = SKIFF ("logout", "--authfile", authfile, current.addr);
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "not logged into"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("rmi", dest);
  it_result_free (&r);
}

/* Flip one byte in the middle of every layer-sized blob in the registry's storage. */
static int
corrupt_blobs (const char *dir)
{
  char cmd[600];
  snprintf (cmd, sizeof cmd, "find '%s/data' -name data -size +100k", dir);
  FILE *p = popen (cmd, "r");
  cr_assert (p);
  char line[512];
  int n = 0;
  while (fgets (line, sizeof line, p))
    {
      strip (line);
      int fd = open (line, O_RDWR);
      cr_assert (fd >= 0, "%s: %s", line, strerror (errno));
      off_t size = lseek (fd, 0, SEEK_END);
      unsigned char c;
      cr_assert (pread (fd, &c, 1, size / 2) == 1);
      c ^= 0x5a;
      cr_assert (pwrite (fd, &c, 1, size / 2) == 1);
      close (fd);
      n++;
    }
  pclose (p);
  return n;
}

Test (registry, digest_mismatch_stores_nothing, .fini = stop_current)
{
  reg_start (&current, false);
  char dest[128];
  snprintf (dest, sizeof dest, "%s/it/tampered:v1", current.addr);
  struct it_result r = SKIFF ("push", "--tls-verify=false", "busybox", dest);
  assert_ok (r);
  it_result_free (&r);
  cr_assert_gt (corrupt_blobs (current.dir), 0);
  char root[600], run[600];
  snprintf (root, sizeof root, "%s/regmismatch-root", it_dir ());
  snprintf (run, sizeof run, "%s/regmismatch-run", it_dir ());
  r = it_skiff_in (root, run, NULL, NULL, (const char *const[]){ "pull", "--tls-verify=false", dest, NULL });
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "digest mismatch for blob sha256:"), "%s", r.err);
  it_result_free (&r);
  r = it_skiff_in (root, run, NULL, NULL, (const char *const[]){ "images", "-q", NULL });
  assert_ok (r);
  cr_assert_str_eq (r.out, "");
  it_result_free (&r);
  /* no layer became visible either: the layers directory has no complete layer */
  char cmd[700];
  snprintf (cmd, sizeof cmd, "ls '%s/layers' 2>/dev/null | grep -E '^[0-9a-f]{64}$'", root);
  cr_assert_neq (system (cmd), 0, "a layer was stored from a tampered blob");
}

Test (registry, usage_errors)
{
  struct it_result r = SKIFF ("pull");
  assert_exit (r, 125);
  it_result_free (&r);
  r = SKIFF ("pull", "--platform", "linux", "127.0.0.1:1/x");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "os/arch"), "%s", r.err);
  it_result_free (&r);
  static const char *const cmds[] = { "pull", "push", "login", "logout" };
  for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
    {
      r = SKIFF (cmds[i], "--help");
      assert_ok (r);
      cr_assert (strstr (r.out, "Usage:"), "%s", r.out);
      it_result_free (&r);
    }
}
