/* A foreground run and exec: the container never gets the caller's terminal or session (TIOCSTI cannot type
 * into the user's shell), its output is logged as it is shown, and an interrupt while it is set up leaves
 * nothing behind. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../harness.h"

#define MARKER "tiocsti-marker-typed"
#define EXIT_WAIT_MS 5000

static void
root_args (char root[512], char run[512])
{
  snprintf (root, 512, "--root=%s/root", it_dir ());
  snprintf (run, 512, "--runroot=%s/run", it_dir ());
}

/* Run skiff with args in a session whose controlling terminal is a new pty, as a user's shell runs it; the
 * output comes back in out. Returns skiff's exit status; the pty stays open (*pty: master, slave), so that what
 * was typed into the terminal can still be read from its input queue. */
static int
skiff_on_pty (const char *const *args, char *out, size_t outlen, int pty[2])
{
  struct winsize ws = { .ws_row = 24, .ws_col = 80 };
  cr_assert_eq (openpty (&pty[0], &pty[1], NULL, NULL, &ws), 0);
  char root[512], run[512];
  root_args (root, run);
  const char *argv[32];
  size_t a = 0;
  argv[a++] = getenv ("SKIFF_BINARY");
  argv[a++] = root;
  argv[a++] = run;
  for (size_t i = 0; args[i] && a < 31; i++)
    argv[a++] = args[i];
  argv[a] = NULL;
  pid_t pid = fork ();
  cr_assert_geq (pid, 0);
  if (pid == 0)
    {
      setsid ();
      ioctl (pty[1], TIOCSCTTY, 0);
      dup2 (pty[1], 0);
      dup2 (pty[1], 1);
      dup2 (pty[1], 2);
      close (pty[0]);
      execv (argv[0], (char **) argv);
      _exit (99);
    }
  size_t n = 0;
  out[0] = '\0';
  int st = 0;
  bool done = false;
  /* the pty never ends while the slave is open here: read until skiff is gone and the output drained */
  for (int quiet = 0; quiet < 5;)
    {
      struct pollfd p = { .fd = pty[0], .events = POLLIN };
      ssize_t r = poll (&p, 1, 100) > 0 ? read (pty[0], out + n, outlen - n - 1) : 0;
      if (r > 0)
        {
          n += (size_t) r;
          out[n] = '\0';
          continue;
        }
      if (!done)
        done = waitpid (pid, &st, WNOHANG) == pid;
      else
        quiet++;
    }
  return WIFEXITED (st) ? WEXITSTATUS (st) : 128 + WTERMSIG (st);
}

/* What is waiting in the terminal's input queue, as the user's shell would read it next */
static void
assert_nothing_typed (int pty[2], const char *what, const char *output)
{
  int pending = -1;
  cr_assert_eq (ioctl (pty[1], FIONREAD, &pending), 0, "FIONREAD: %s", strerror (errno));
  char buf[256] = "";
  if (pending > 0)
    {
      fcntl (pty[1], F_SETFL, fcntl (pty[1], F_GETFL) | O_NONBLOCK);
      ssize_t r = read (pty[1], buf, sizeof buf - 1);
      buf[r > 0 ? r : 0] = '\0';
    }
  close (pty[0]);
  close (pty[1]);
  cr_assert_eq (pending, 0, "%s typed into the caller's terminal: \"%s\" (its output: %s)", what, buf, output);
}

Test (terminal, run_and_exec_cannot_type_into_the_callers_terminal)
{
  char out[8192];
  int pty[2];
  /* a plain foreground run, with stdin, and an exec with and without stdin: none may type */
  static const char *const runs[][8] = {
    { "run", "--rm", "busybox", "sysprobe", "tiocsti", MARKER "\n", NULL },
    { "run", "--rm", "-i", "busybox", "sysprobe", "tiocsti", MARKER "\n", NULL },
  };
  for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++)
    {
      int st = skiff_on_pty (runs[i], out, sizeof out, pty);
      /* sysprobe exits 1 when one of its ioctls typed */
      assert_nothing_typed (pty, "run", out);
      cr_assert_eq (st, 0, "run %zu: exit %d: %s", i, st, out);
    }
  struct it_result r = SKIFF ("run", "-d", "--name", "tty-exec", "busybox", "sleep", "1000");
  assert_ok (r);
  it_result_free (&r);
  static const char *const execs[][8] = {
    { "exec", "tty-exec", "sysprobe", "tiocsti", MARKER "\n", NULL },
    { "exec", "-i", "tty-exec", "sysprobe", "tiocsti", MARKER "\n", NULL },
  };
  for (size_t i = 0; i < sizeof execs / sizeof execs[0]; i++)
    {
      int st = skiff_on_pty (execs[i], out, sizeof out, pty);
      assert_nothing_typed (pty, "exec", out);
      cr_assert_eq (st, 0, "exec %zu: exit %d: %s", i, st, out);
    }
  r = SKIFF ("rm", "-f", "tty-exec");
  assert_ok (r);
  it_result_free (&r);
}

/* --log-driver passthrough hands skiff's own stdio over: refused on a terminal, as conmon does */
Test (terminal, passthrough_refuses_a_terminal)
{
  char out[8192];
  int pty[2];
  static const char *const args[]
      = { "run", "--rm", "--log-driver", "passthrough", "busybox", "sysprobe", "tiocsti", MARKER "\n", NULL };
  int st = skiff_on_pty (args, out, sizeof out, pty);
  assert_nothing_typed (pty, "passthrough", out);
  cr_assert_eq (st, 125, "exit %d: %s", st, out);
  cr_assert (strstr (out, "cannot use a tty with passthrough logging mode"), "%s", out);
  /* off a terminal it is the fast path it always was */
  struct it_result r = SKIFF ("run", "--rm", "--log-driver", "passthrough", "busybox", "sh", "-c", "echo through");
  assert_ok (r);
  cr_assert_str_eq (r.out, "through\n");
  it_result_free (&r);
}

/* issue 18: a foreground run is logged while it is shown, as podman's conmon does */
Test (logs, foreground_run_is_logged)
{
  struct it_result r
      = SKIFF ("run", "--name", "logger", "busybox", "sh", "-c", "echo out; echo err >&2; printf partial");
  assert_ok (r);
  cr_assert_str_eq (r.out, "out\npartial");
  cr_assert_str_eq (r.err, "err\n");
  it_result_free (&r);
  r = SKIFF ("logs", "logger");
  assert_ok (r);
  cr_assert_str_eq (r.out, "out\npartial");
  cr_assert_str_eq (r.err, "err\n");
  it_result_free (&r);
  /* stdin reaches it through skiff with -i, and is not logged */
  r = SKIFF_IN ("in\n", "run", "-i", "--name", "logger-in", "busybox", "sh", "-c", "read x; echo got $x");
  assert_ok (r);
  cr_assert_str_eq (r.out, "got in\n");
  it_result_free (&r);
  r = SKIFF ("logs", "logger-in");
  cr_assert_str_eq (r.out, "got in\n");
  it_result_free (&r);
  /* the exit code is the container's, and --log-driver none keeps nothing */
  r = SKIFF ("run", "--name", "logger-none", "--log-driver", "none", "busybox", "sh", "-c", "echo shown; exit 3");
  assert_exit (r, 3);
  cr_assert_str_eq (r.out, "shown\n");
  it_result_free (&r);
  r = SKIFF ("logs", "logger-none");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "'none' log driver"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("rm", "logger", "logger-in", "logger-none");
  assert_ok (r);
  it_result_free (&r);
}

/* ---- interrupts while a container is set up ---- */

static pid_t
spawn_with_env (const char *env, const char *const *args)
{
  char root[512], run[512];
  root_args (root, run);
  const char *argv[32];
  size_t a = 0;
  argv[a++] = getenv ("SKIFF_BINARY");
  argv[a++] = root;
  argv[a++] = run;
  for (size_t i = 0; args[i] && a < 31; i++)
    argv[a++] = args[i];
  argv[a] = NULL;
  pid_t pid = fork ();
  cr_assert_geq (pid, 0);
  if (pid == 0)
    {
      int null = open ("/dev/null", O_RDWR);
      dup2 (null, 0);
      dup2 (null, 1);
      dup2 (null, 2);
      putenv ((char *) env);
      execv (argv[0], (char **) argv);
      _exit (99);
    }
  return pid;
}

static bool
container_exists (const char *name)
{
  struct it_result r = SKIFF ("container", "exists", name);
  bool there = r.status == 0;
  it_result_free (&r);
  return there;
}

/* skiff is stopped at point (a hook that waits there as a slow step would); sig must end it promptly, with
 * 128+sig, and leave no container (nor its name) behind */
static void
interrupt_at (const char *point, int sig, bool detach)
{
  char env[128];
  snprintf (env, sizeof env, "SKIFF_TEST_HANG_AT=%s", point);
  const char *name = "intr";
  const char *fg[] = { "run", "--name", name, "busybox", "true", NULL };
  const char *bg[] = { "run", "-d", "--name", name, "busybox", "true", NULL };
  pid_t pid = spawn_with_env (env, detach ? bg : fg);
  /* the record exists once create is done: the hang point comes right after */
  for (int i = 0; i < 200 && !container_exists (name); i++)
    it_msleep (20);
  cr_assert (container_exists (name), "%s: skiff never made the container", point);
  it_msleep (300);
  struct timespec t0, t1;
  clock_gettime (CLOCK_MONOTONIC, &t0);
  kill (pid, sig);
  int st = 0;
  pid_t w = 0;
  for (int i = 0; i < EXIT_WAIT_MS / 10 && (w = waitpid (pid, &st, WNOHANG)) == 0; i++)
    it_msleep (10);
  clock_gettime (CLOCK_MONOTONIC, &t1);
  if (w == 0)
    {
      kill (pid, SIGKILL);
      waitpid (pid, &st, 0);
    }
  cr_assert_eq (w, pid, "%s: skiff did not end within %d ms of signal %d", point, EXIT_WAIT_MS, sig);
  long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
  cr_assert (WIFEXITED (st) && WEXITSTATUS (st) == 128 + sig, "%s: status %d after %ld ms", point, st, ms);
  cr_assert (!container_exists (name), "%s: signal %d left the container behind", point, sig);
  /* the name is free again */
  struct it_result r = SKIFF ("run", "--rm", "--name", name, "busybox", "true");
  assert_ok (r);
  it_result_free (&r);
}

Test (interrupt, run_interrupted_while_setting_up_leaves_nothing)
{
  /* in the container's own set-up (before its exec), and in skiff between create and start */
  interrupt_at ("container-setup", SIGINT, false);
  interrupt_at ("container-setup", SIGTERM, false);
  interrupt_at ("run-created", SIGINT, false);
  interrupt_at ("container-setup", SIGINT, true);
  interrupt_at ("run-created", SIGHUP, true);
}
