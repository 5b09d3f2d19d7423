/* Integration test harness (see harness.h). */
#include <stdarg.h>
#include <time.h>
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static char state_dir[256];
static char tar_path[300];

const char *
it_dir (void)
{
  if (state_dir[0] == '\0')
    {
      const char *d = getenv ("SKIFF_IT_DIR");
      if (d)
        snprintf (state_dir, sizeof state_dir, "%s", d);
    }
  return state_dir;
}

const char *
it_busybox_tar (void)
{
  snprintf (tar_path, sizeof tar_path, "%s/busybox.tar", it_dir ());
  return tar_path;
}

static char *
read_fd (int fd)
{
  size_t cap = 4096, n = 0;
  char *buf = malloc (cap);
  for (;;)
    {
      if (n + 1 >= cap)
        buf = realloc (buf, cap *= 2);
      ssize_t r = read (fd, buf + n, cap - n - 1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        break;
      n += (size_t) r;
    }
  buf[n] = '\0';
  return buf;
}

struct it_result
it_skiff_in (const char *root, const char *runroot, const char *stdin_data, char *const *env, const char *const *args)
{
  struct it_result res = { 0 };
  char rootbuf[512], runbuf[512];
  snprintf (rootbuf, sizeof rootbuf, "--root=%s", root ? root : "");
  snprintf (runbuf, sizeof runbuf, "--runroot=%s", runroot ? runroot : "");
  if (!root)
    snprintf (rootbuf, sizeof rootbuf, "--root=%s/root", it_dir ());
  if (!runroot)
    snprintf (runbuf, sizeof runbuf, "--runroot=%s/run", it_dir ());
  const char *argv[128];
  size_t a = 0;
  argv[a++] = getenv ("SKIFF_BINARY");
  argv[a++] = rootbuf;
  argv[a++] = runbuf;
  for (size_t i = 0; args[i] && a < 126; i++)
    argv[a++] = args[i];
  argv[a] = NULL;
  char outtmp[] = "/tmp/skiff-it-out-XXXXXX", errtmp[] = "/tmp/skiff-it-err-XXXXXX";
  int outfd = mkstemp (outtmp), errfd = mkstemp (errtmp);
  unlink (outtmp);
  unlink (errtmp);
  int in[2];
  cr_assert_eq (pipe (in), 0);
  pid_t pid = fork ();
  cr_assert_geq (pid, 0);
  if (pid == 0)
    {
      dup2 (in[0], 0);
      dup2 (outfd, 1);
      dup2 (errfd, 2);
      close (in[1]);
      for (size_t i = 0; env && env[i]; i++)
        putenv (env[i]);
      execv (argv[0], (char **) argv);
      _exit (99);
    }
  close (in[0]);
  signal (SIGPIPE, SIG_IGN);
  if (stdin_data)
    {
      ssize_t w = write (in[1], stdin_data, strlen (stdin_data));
      (void) w;
    }
  close (in[1]);
  int status;
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  res.status = WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
  lseek (outfd, 0, SEEK_SET);
  lseek (errfd, 0, SEEK_SET);
  res.out = read_fd (outfd);
  res.err = read_fd (errfd);
  close (outfd);
  close (errfd);
  return res;
}

struct it_result
it_skiff (const char *stdin_data, char *const *env, const char *const *args)
{
  return it_skiff_in (NULL, NULL, stdin_data, env, args);
}

pid_t
it_skiff_spawn (const char *const *args, int *out_fd)
{
  char rootbuf[512], runbuf[512];
  snprintf (rootbuf, sizeof rootbuf, "--root=%s/root", it_dir ());
  snprintf (runbuf, sizeof runbuf, "--runroot=%s/run", it_dir ());
  const char *argv[128];
  size_t a = 0;
  argv[a++] = getenv ("SKIFF_BINARY");
  argv[a++] = rootbuf;
  argv[a++] = runbuf;
  for (size_t i = 0; args[i] && a < 126; i++)
    argv[a++] = args[i];
  argv[a] = NULL;
  int p[2];
  cr_assert_eq (pipe (p), 0);
  pid_t pid = fork ();
  if (pid == 0)
    {
      int null = open ("/dev/null", O_RDONLY);
      dup2 (null, 0);
      dup2 (p[1], 1);
      dup2 (p[1], 2);
      close (p[0]);
      execv (argv[0], (char **) argv);
      _exit (99);
    }
  close (p[1]);
  *out_fd = p[0];
  return pid;
}

void
it_result_free (struct it_result *r)
{
  free (r->out);
  free (r->err);
}

/* Before all tests: a fresh state directory and the busybox image. After: reset and remove it. */
ReportHook (PRE_ALL) (struct criterion_test_set *set)
{
  (void) set;
  if (getenv ("SKIFF_BINARY") == NULL)
    {
      fprintf (stderr, "SKIFF_BINARY is not set: run the integration tests through `meson test`\n");
      exit (1);
    }
  if (getuid () == 0 && getenv ("SKIFF_IT_ALLOW_ROOT") == NULL)
    fprintf (stderr, "warning: the integration tests are meant to run as an unprivileged user\n");
  char tmpl[] = "/tmp/skiff-it-XXXXXX";
  if (mkdtemp (tmpl) == NULL)
    {
      perror ("mkdtemp");
      exit (1);
    }
  setenv ("SKIFF_IT_DIR", tmpl, 1);
  snprintf (state_dir, sizeof state_dir, "%s", tmpl);
  char cmd[1024];
  snprintf (cmd, sizeof cmd, "%s/contrib/make-busybox-image.sh %s %s", getenv ("SKIFF_SRCDIR"), it_busybox_tar (),
            getenv ("SKIFF_SYSPROBE") ? getenv ("SKIFF_SYSPROBE") : "");
  if (system (cmd) != 0)
    {
      fprintf (stderr, "cannot build the busybox image: %s\n", cmd);
      exit (1);
    }
  struct it_result r = it_skiff (NULL, NULL, (const char *const[]){ "import", it_busybox_tar (), "busybox", NULL });
  if (r.status != 0)
    {
      fprintf (stderr, "cannot import the busybox image (exit %d): %s%s\n", r.status, r.out, r.err);
      exit (1);
    }
  it_result_free (&r);
}

ReportHook (POST_ALL) (struct criterion_global_stats *stats)
{
  (void) stats;
  struct it_result r = it_skiff (NULL, NULL, (const char *const[]){ "system", "reset", "--force", NULL });
  it_result_free (&r);
  /* the stores of tests that made their own (NAME-root with NAME-run) hold files of subordinate users,
   * which only skiff, inside the namespace, can remove */
  DIR *d = opendir (it_dir ());
  struct dirent *de;
  while (d && (de = readdir (d)))
    {
      size_t n = strlen (de->d_name);
      if (n < 6 || strcmp (de->d_name + n - 5, "-root") != 0)
        continue;
      char root[600], run[600];
      snprintf (root, sizeof root, "%s/%s", it_dir (), de->d_name);
      snprintf (run, sizeof run, "%s/%.*s-run", it_dir (), (int) (n - 5), de->d_name);
      r = it_skiff_in (root, run, NULL, NULL, (const char *const[]){ "system", "reset", "--force", NULL });
      if (r.status != 0)
        fprintf (stderr, "system reset of %s failed: %s\n", root, r.err);
      it_result_free (&r);
    }
  if (d)
    closedir (d);
  char cmd[512];
  snprintf (cmd, sizeof cmd, "rm -rf %s", it_dir ());
  if (system (cmd) != 0)
    fprintf (stderr, "could not remove %s\n", it_dir ());
}

int
it_free_port (void)
{
  int s = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t l = sizeof a;
  cr_assert (bind (s, (struct sockaddr *) &a, sizeof a) == 0 && getsockname (s, (struct sockaddr *) &a, &l) == 0);
  close (s);
  return ntohs (a.sin_port);
}

bool
it_port_open (int port)
{
  int s = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a
      = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port), .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  bool ok = connect (s, (struct sockaddr *) &a, sizeof a) == 0;
  close (s);
  return ok;
}

void
it_write_text (const char *path, const char *text)
{
  FILE *f = fopen (path, "w");
  cr_assert (f, "open %s: %s", path, strerror (errno));
  fputs (text, f);
  fclose (f);
}

char *
it_slurp (const char *path)
{
  FILE *f = fopen (path, "r");
  if (f == NULL)
    return NULL;
  char *buf = NULL;
  size_t cap = 0;
  ssize_t n = getdelim (&buf, &cap, '\0', f);
  fclose (f);
  if (n < 0)
    {
      free (buf);
      return strdup ("");
    }
  return buf;
}

void
it_sh (const char *fmt, ...)
{
  char cmd[8192];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (cmd, sizeof cmd, fmt, ap);
  va_end (ap);
  int st = system (cmd);
  cr_assert (st == 0, "command failed (%d): %s", st, cmd);
}

void
it_msleep (long ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  nanosleep (&ts, NULL);
}

#define IT_REGISTRY_BIN "/usr/bin/docker-registry"

pid_t
it_registry_serve (const char *dir, const char *config, int port)
{
  if (access (IT_REGISTRY_BIN, X_OK) != 0)
    cr_skip_test ("%s is missing: apt-get install docker-registry (contrib/install-deps.sh)", IT_REGISTRY_BIN);
  char cfgpath[600], logpath[600];
  snprintf (cfgpath, sizeof cfgpath, "%s/config.yml", dir);
  snprintf (logpath, sizeof logpath, "%s/registry.log", dir);
  it_write_text (cfgpath, config);
  pid_t pid = fork ();
  cr_assert (pid >= 0);
  if (pid == 0)
    {
      int fd = open (logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (fd >= 0)
        {
          dup2 (fd, 1);
          dup2 (fd, 2);
        }
      setpgid (0, 0);
      execl (IT_REGISTRY_BIN, IT_REGISTRY_BIN, "serve", cfgpath, (char *) NULL);
      _exit (127);
    }
  for (int i = 0; i < 200 && !it_port_open (port); i++)
    {
      if (waitpid (pid, NULL, WNOHANG) == pid)
        {
          char *log = it_slurp (logpath);
          cr_assert_fail ("the registry exited: %s", log ? log : "");
        }
      it_msleep (50);
    }
  cr_assert (it_port_open (port), "the registry did not start on port %d", port);
  return pid;
}
