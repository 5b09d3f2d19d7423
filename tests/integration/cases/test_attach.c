/* attach, stdin and the detach keys: the monitor's attach socket and its clients (attach, start -a, a
 * foreground run with -t or -a). */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "../harness.h"

#define WAIT_MS 10000

static uint64_t
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

/* Read fd into *acc (grown) until needle shows up or timeout_ms pass; true when it did. */
static bool
read_until (int fd, char **acc, size_t *len, const char *needle, int timeout_ms)
{
  uint64_t end = now_ms () + (uint64_t) timeout_ms;
  for (;;)
    {
      if (*acc && strstr (*acc, needle))
        return true;
      uint64_t now = now_ms ();
      if (now >= end)
        return false;
      struct pollfd pf = { .fd = fd, .events = POLLIN };
      if (poll (&pf, 1, (int) (end - now)) <= 0)
        continue;
      char buf[4096];
      ssize_t n = read (fd, buf, sizeof buf);
      if (n <= 0)
        return *acc && strstr (*acc, needle);
      *acc = realloc (*acc, *len + (size_t) n + 1);
      memcpy (*acc + *len, buf, (size_t) n);
      *len += (size_t) n;
      (*acc)[*len] = '\0';
    }
}

static int
wait_exit (pid_t pid, int timeout_ms)
{
  uint64_t end = now_ms () + (uint64_t) timeout_ms;
  int st;
  while (waitpid (pid, &st, WNOHANG) == 0)
    {
      if (now_ms () >= end)
        {
          kill (pid, SIGKILL);
          waitpid (pid, &st, 0);
          return -1;
        }
      usleep (20000);
    }
  return WIFEXITED (st) ? WEXITSTATUS (st) : 128 + WTERMSIG (st);
}

static char *
state_of (const char *name)
{
  struct it_result r = SKIFF ("inspect", "--format", "{{.State.Status}}", name);
  char *s = strdup (r.status == 0 ? r.out : "?");
  it_result_free (&r);
  s[strcspn (s, "\n")] = '\0';
  return s;
}

static void
assert_state (const char *name, const char *want)
{
  char *s = state_of (name);
  cr_assert_str_eq (s, want, "%s is %s, not %s", name, s, want);
  free (s);
}

static void
rm_f (const char *name)
{
  struct it_result r = SKIFF ("rm", "-f", name);
  it_result_free (&r);
}

/* skiff with argv in a new session whose controlling terminal is a pty of ours; *master gets its master */
static pid_t
spawn_on_pty (const char *const *args, int *master, unsigned short rows, unsigned short cols)
{
  int m = posix_openpt (O_RDWR | O_NOCTTY);
  cr_assert_geq (m, 0);
  cr_assert_eq (grantpt (m), 0);
  cr_assert_eq (unlockpt (m), 0);
  struct winsize ws = { .ws_row = rows, .ws_col = cols };
  ioctl (m, TIOCSWINSZ, &ws);
  char rootbuf[512], runbuf[512];
  snprintf (rootbuf, sizeof rootbuf, "--root=%s/root", it_dir ());
  snprintf (runbuf, sizeof runbuf, "--runroot=%s/run", it_dir ());
  const char *argv[64];
  size_t a = 0;
  argv[a++] = getenv ("SKIFF_BINARY");
  argv[a++] = rootbuf;
  argv[a++] = runbuf;
  for (size_t i = 0; args[i] && a < 62; i++)
    argv[a++] = args[i];
  argv[a] = NULL;
  const char *slave_name = ptsname (m);
  pid_t pid = fork ();
  cr_assert_geq (pid, 0);
  if (pid == 0)
    {
      setsid ();
      int s = open (slave_name, O_RDWR); /* the first tty a session leader opens becomes its terminal */
      if (s < 0)
        _exit (98);
      ioctl (s, TIOCSCTTY, 0);
      dup2 (s, 0);
      dup2 (s, 1);
      dup2 (s, 2);
      close (m);
      execv (argv[0], (char **) argv);
      _exit (99);
    }
  *master = m;
  return pid;
}

static void
pty_write (int m, const char *s)
{
  cr_assert_eq (write (m, s, strlen (s)), (ssize_t) strlen (s));
}

/* ---- output, stdin, exit codes ---- */

Test (attach, live_output_and_exit_code)
{
  struct it_result r = SKIFF ("run", "-d", "--name", "at-live", "busybox", "sh", "-c",
                              "echo early; sleep 1; echo late; echo oops >&2; exit 4");
  assert_ok (r);
  it_result_free (&r);
  usleep (300000);
  r = SKIFF ("attach", "at-live");
  assert_exit (r, 4);
  cr_assert_str_eq (r.out, "late\n", "only what came after attaching, on stdout: %s", r.out);
  cr_assert_str_eq (r.err, "oops\n", "stderr kept apart: %s", r.err);
  it_result_free (&r);
  rm_f ("at-live");
}

Test (attach, stdin_reaches_cat)
{
  struct it_result r = SKIFF ("run", "-d", "-i", "--name", "at-cat", "busybox", "cat");
  assert_ok (r);
  it_result_free (&r);
  /* the monitor keeps its stdin open: cat waits for input nobody gave yet */
  usleep (300000);
  assert_state ("at-cat", "running");
  r = SKIFF_IN ("hello\nworld\n", "attach", "at-cat");
  /* the end of attach's input is the end of cat's (as conmon does): cat exits 0 */
  assert_exit (r, 0);
  cr_assert_str_eq (r.out, "hello\nworld\n");
  it_result_free (&r);
  assert_state ("at-cat", "exited");
  rm_f ("at-cat");
}

Test (attach, no_stdin_and_without_i)
{
  /* without -i the container reads /dev/null: attach's input goes nowhere */
  struct it_result r = SKIFF ("run", "-d", "--name", "at-noi", "busybox", "sh", "-c", "sleep 1; cat; echo end");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF_IN ("lost\n", "attach", "at-noi");
  assert_ok (r);
  cr_assert_str_eq (r.out, "end\n", "%s", r.out);
  it_result_free (&r);
  rm_f ("at-noi");
  /* --no-stdin: an -i container's stdin stays open and untouched */
  r = SKIFF ("run", "-d", "-i", "--name", "at-nostdin", "busybox", "sh", "-c", "sleep 1; echo up; cat");
  assert_ok (r);
  it_result_free (&r);
  int fd;
  pid_t pid = it_skiff_spawn ((const char *const[]){ "attach", "--no-stdin", "at-nostdin", NULL }, &fd);
  char *acc = NULL;
  size_t len = 0;
  cr_assert (read_until (fd, &acc, &len, "up\n", WAIT_MS), "%s", acc ? acc : "");
  usleep (300000);
  assert_state ("at-nostdin", "running"); /* cat did not get an EOF */
  kill (pid, SIGKILL);
  wait_exit (pid, WAIT_MS);
  close (fd);
  free (acc);
  r = SKIFF_IN ("late\n", "attach", "at-nostdin");
  assert_ok (r);
  cr_assert_str_eq (r.out, "late\n");
  it_result_free (&r);
  rm_f ("at-nostdin");
}

/* ---- the detach keys ---- */

Test (attach, detach_with_default_keys_then_reattach)
{
  struct it_result r = SKIFF ("run", "-d", "-i", "--name", "at-det", "busybox", "sh", "-c",
                              "while read l; do echo \"got $l\"; done; echo bye; exit 7");
  assert_ok (r);
  it_result_free (&r);
  /* ctrl-p, ctrl-q: attach leaves, quietly, with 0; what follows the keys is not sent */
  r = SKIFF_IN ("one\n\x10\x11two\n", "attach", "at-det");
  assert_exit (r, 0);
  cr_assert (!strstr (r.out, "two"), "%s", r.out);
  cr_assert_str_eq (r.err, "");
  it_result_free (&r);
  usleep (300000);
  assert_state ("at-det", "running");
  r = SKIFF ("logs", "at-det");
  cr_assert (strstr (r.out, "got one\n"), "before the keys was sent: %s", r.out);
  cr_assert (!strstr (r.out, "two"), "%s", r.out);
  it_result_free (&r);
  /* again: the same stdin, and this time its end */
  r = SKIFF_IN ("three\n", "attach", "at-det");
  assert_exit (r, 7);
  cr_assert_str_eq (r.out, "got three\nbye\n");
  it_result_free (&r);
  rm_f ("at-det");
}

Test (attach, custom_and_disabled_keys)
{
  struct it_result r = SKIFF ("run", "-d", "-i", "--name", "at-keys", "busybox", "sh", "-c",
                              "while read l; do echo \"got $l\"; done; exit 3");
  assert_ok (r);
  it_result_free (&r);
  /* ctrl-a then y is no detach: both go through; ctrl-p,ctrl-q are plain bytes with other keys */
  r = SKIFF_IN ("a\001y\n\020\021b\n\001x", "attach", "--detach-keys", "ctrl-a,x", "at-keys");
  assert_exit (r, 0);
  it_result_free (&r);
  usleep (300000);
  assert_state ("at-keys", "running");
  r = SKIFF ("logs", "at-keys");
  cr_assert (strstr (r.out, "got a\001y\n"), "%s", r.out);
  cr_assert (strstr (r.out, "got \020\021b\n"), "%s", r.out);
  it_result_free (&r);
  /* "": no detach keys at all */
  r = SKIFF_IN ("\020\021c\n", "attach", "--detach-keys", "", "at-keys");
  assert_exit (r, 3);
  cr_assert_str_eq (r.out, "got \020\021c\n");
  it_result_free (&r);
  rm_f ("at-keys");
}

Test (attach, invalid_keys)
{
  struct it_result r = SKIFF ("run", "-d", "--name", "at-bad", "busybox", "sleep", "100");
  assert_ok (r);
  it_result_free (&r);
  static const char *const bad[][2] = {
    { "foo", "'foo'" }, { "ctrl-A", "'ctrl-A'" }, { "ctrl-a,,", "''" }, { "ctrl-1", "'ctrl-1'" }, { "ctrl-", "'ctrl-'" }
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      r = SKIFF ("attach", "--detach-keys", bad[i][0], "at-bad");
      assert_exit (r, 125);
      cr_assert (strstr (r.err, "Error: attaching to container "), "%s", r.err);
      char want[64];
      snprintf (want, sizeof want, "invalid detach keys: Unknown character: %s\n", bad[i][1]);
      cr_assert (strstr (r.err, want), "%s: %s", bad[i][0], r.err);
      it_result_free (&r);
    }
  assert_state ("at-bad", "running");
  rm_f ("at-bad");
  /* a foreground run checks them before it creates anything; start -a as podman says it */
  r = SKIFF ("ps", "-a", "-q");
  char *before = strdup (r.out);
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "--detach-keys", "ctrl-zz", "busybox", "true");
  assert_exit (r, 125);
  cr_assert_str_eq (r.err, "Error: invalid detach keys: Unknown character: 'ctrl-zz'\n");
  it_result_free (&r);
  r = SKIFF ("ps", "-a", "-q");
  cr_assert_str_eq (r.out, before, "nothing left behind");
  it_result_free (&r);
  free (before);
  r = SKIFF ("create", "--name", "at-bad2", "busybox", "true");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("start", "-a", "--detach-keys", "x,yy", "at-bad2");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "Error: unable to start container "), "%s", r.err);
  cr_assert (strstr (r.err, "invalid detach keys: Unknown character: 'yy'"), "%s", r.err);
  it_result_free (&r);
  assert_state ("at-bad2", "created");
  /* with -d the keys are not used, so not checked (podman) */
  r = SKIFF ("run", "-d", "--rm", "--detach-keys", "foo", "busybox", "true");
  assert_ok (r);
  it_result_free (&r);
  rm_f ("at-bad2");
}

/* ---- several clients, and clients that die ---- */

Test (attach, two_clients_and_a_killed_one)
{
  struct it_result r = SKIFF ("run", "-d", "--name", "at-two", "busybox", "sh", "-c",
                              "i=0; while :; do echo tick $i; i=$((i+1)); sleep 0.1; done");
  assert_ok (r);
  it_result_free (&r);
  int fd1, fd2;
  pid_t p1 = it_skiff_spawn ((const char *const[]){ "attach", "at-two", NULL }, &fd1);
  pid_t p2 = it_skiff_spawn ((const char *const[]){ "attach", "at-two", NULL }, &fd2);
  char *a1 = NULL, *a2 = NULL;
  size_t l1 = 0, l2 = 0;
  cr_assert (read_until (fd1, &a1, &l1, "tick", WAIT_MS));
  cr_assert (read_until (fd2, &a2, &l2, "tick", WAIT_MS));
  /* the first client dies without a word: the monitor, the container and the other client go on */
  kill (p1, SIGKILL);
  wait_exit (p1, WAIT_MS);
  close (fd1);
  size_t seen = l2;
  cr_assert (read_until (fd2, &a2, &l2, "\n", WAIT_MS));
  free (a2);
  a2 = NULL;
  l2 = 0;
  cr_assert (read_until (fd2, &a2, &l2, "tick", WAIT_MS), "the second client still gets output (had %zu bytes)", seen);
  kill (p2, SIGKILL);
  wait_exit (p2, WAIT_MS);
  close (fd2);
  assert_state ("at-two", "running");
  r = SKIFF ("logs", "--tail", "1", "at-two");
  int before = atoi (strstr (r.out, "tick ") ? strstr (r.out, "tick ") + 5 : "0");
  it_result_free (&r);
  usleep (500000);
  r = SKIFF ("logs", "--tail", "1", "at-two");
  int after = atoi (strstr (r.out, "tick ") ? strstr (r.out, "tick ") + 5 : "0");
  it_result_free (&r);
  cr_assert_gt (after, before, "still logging: %d then %d", before, after);
  /* and a third client is served */
  int fd3;
  pid_t p3 = it_skiff_spawn ((const char *const[]){ "attach", "at-two", NULL }, &fd3);
  char *a3 = NULL;
  size_t l3 = 0;
  cr_assert (read_until (fd3, &a3, &l3, "tick", WAIT_MS));
  rm_f ("at-two");
  cr_assert_eq (wait_exit (p3, WAIT_MS), 137, "attach ends with the container (killed: 137)");
  close (fd3);
  free (a1);
  free (a2);
  free (a3);
}

Test (attach, stopped_client_does_not_block_the_container)
{
  /* 4 MB of output while a client sleeps (SIGSTOP): the monitor drops it rather than stall the container */
  struct it_result r = SKIFF ("run", "-d", "--name", "at-slow", "busybox", "sh", "-c",
                              "sleep 1; yes 0123456789abcdef012345678901234567890123456789 | head -n 80000; echo "
                              "done-writing; sleep 100");
  assert_ok (r);
  it_result_free (&r);
  int fd;
  pid_t p = it_skiff_spawn ((const char *const[]){ "attach", "at-slow", NULL }, &fd);
  usleep (300000);
  kill (p, SIGSTOP);
  bool done = false;
  for (int i = 0; i < 100 && !done; i++)
    {
      usleep (100000);
      r = SKIFF ("logs", "--tail", "1", "at-slow");
      done = strstr (r.out, "done-writing") != NULL;
      it_result_free (&r);
    }
  cr_assert (done, "the container wrote all its output while the client slept");
  kill (p, SIGCONT);
  /* the dropped client finds the container still running: it says its connection was closed */
  char *acc = NULL;
  size_t len = 0;
  read_until (fd, &acc, &len, "closed by its monitor", WAIT_MS);
  int code = wait_exit (p, WAIT_MS);
  cr_assert_eq (code, 125, "exit %d", code);
  cr_assert (len < 4000000, "not all of it reached the client: %zu bytes", len);
  free (acc);
  close (fd);
  assert_state ("at-slow", "running");
  rm_f ("at-slow");
}

/* ---- terminals ---- */

Test (attach, tty_attach_resize_and_detach)
{
  struct it_result r = SKIFF ("run", "-dit", "--name", "at-tty", "busybox", "sh");
  assert_ok (r);
  it_result_free (&r);
  int m;
  pid_t p = spawn_on_pty ((const char *const[]){ "attach", "at-tty", NULL }, &m, 24, 80);
  char *acc = NULL;
  size_t len = 0;
  usleep (300000);
  pty_write (m, "echo hi-$((6*7)); stty size\r");
  cr_assert (read_until (m, &acc, &len, "hi-42", WAIT_MS), "%s", acc ? acc : "");
  cr_assert (read_until (m, &acc, &len, "24 80", WAIT_MS), "the attaching terminal's size: %s", acc);
  /* a new size on our terminal: SIGWINCH to attach, which resizes the container's pty */
  struct winsize ws = { .ws_row = 33, .ws_col = 101 };
  ioctl (m, TIOCSWINSZ, &ws);
  usleep (300000);
  pty_write (m, "stty size\r");
  cr_assert (read_until (m, &acc, &len, "33 101", WAIT_MS), "%s", acc);
  pty_write (m, "\x10\x11");
  cr_assert_eq (wait_exit (p, WAIT_MS), 0);
  close (m);
  free (acc);
  assert_state ("at-tty", "running");
  /* re-attach and end it: its exit code */
  acc = NULL;
  len = 0;
  p = spawn_on_pty ((const char *const[]){ "attach", "at-tty", NULL }, &m, 24, 80);
  usleep (300000);
  pty_write (m, "exit 6\r");
  cr_assert_eq (wait_exit (p, WAIT_MS), 6);
  close (m);
  assert_state ("at-tty", "exited");
  rm_f ("at-tty");
}

Test (attach, foreground_run_it_detaches)
{
  int m;
  pid_t p = spawn_on_pty ((const char *const[]){ "run", "-it", "--name", "at-fg", "busybox", "sh", NULL }, &m, 24, 80);
  char *acc = NULL;
  size_t len = 0;
  usleep (500000);
  pty_write (m, "echo fg-$((2+3))\r");
  cr_assert (read_until (m, &acc, &len, "fg-5", WAIT_MS), "%s", acc ? acc : "");
  pty_write (m, "\x10\x11");
  cr_assert_eq (wait_exit (p, WAIT_MS), 0, "detached: %s", acc);
  close (m);
  free (acc);
  assert_state ("at-fg", "running");
  struct it_result r = SKIFF_IN ("exit 9\n", "attach", "at-fg");
  assert_exit (r, 9);
  it_result_free (&r);
  rm_f ("at-fg");
  /* --rm: the exit code comes over the socket, the record being gone */
  p = spawn_on_pty ((const char *const[]){ "run", "--rm", "-it", "busybox", "sh", "-c", "exit 12", NULL }, &m, 24, 80);
  cr_assert_eq (wait_exit (p, WAIT_MS), 12);
  close (m);
}

/* ---- run -a, start -a ---- */

Test (attach, run_attach_streams)
{
  struct it_result r = SKIFF ("run", "--rm", "-a", "stdout", "busybox", "sh", "-c", "echo out; echo err >&2; exit 2");
  assert_exit (r, 2);
  cr_assert_str_eq (r.out, "out\n");
  cr_assert_str_eq (r.err, "");
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "-a", "STDERR", "busybox", "sh", "-c", "echo out; echo err >&2");
  assert_ok (r);
  cr_assert_str_eq (r.out, "");
  cr_assert_str_eq (r.err, "err\n");
  it_result_free (&r);
  /* stdin alone: the ID is printed; stdin is the container's only with -i */
  r = SKIFF_IN ("in\n", "run", "--rm", "-a", "stdin", "busybox", "sh", "-c", "cat; exit 5");
  assert_exit (r, 5);
  cr_assert_eq (strlen (r.out), 65, "%s", r.out);
  it_result_free (&r);
  r = SKIFF_IN ("in\n", "run", "--rm", "-i", "-a", "stdout", "busybox", "cat");
  assert_ok (r);
  cr_assert_str_eq (r.out, "in\n");
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "-a", "foo", "busybox", "true");
  assert_exit (r, 125);
  cr_assert_str_eq (r.err, "Error: invalid stream \"foo\" for --attach - must be one of stdin, stdout, or stderr: "
                           "invalid argument\n");
  it_result_free (&r);
}

Test (attach, start_attach_and_interactive)
{
  /* start -a is connected before the container starts: none of a quick container's output is missed */
  struct it_result r = SKIFF ("create", "--name", "at-st", "busybox", "sh", "-c", "echo quick; echo fast >&2; exit 2");
  assert_ok (r);
  it_result_free (&r);
  for (int i = 0; i < 3; i++)
    {
      r = SKIFF ("start", "-a", "at-st");
      assert_exit (r, 2);
      cr_assert_str_eq (r.out, "quick\n");
      cr_assert_str_eq (r.err, "fast\n");
      it_result_free (&r);
    }
  rm_f ("at-st");
  r = SKIFF ("create", "-i", "--name", "at-sti", "busybox", "sh", "-c", "cat; exit 4");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF_IN ("typed\n", "start", "-a", "-i", "at-sti");
  assert_exit (r, 4);
  cr_assert_str_eq (r.out, "typed\n");
  it_result_free (&r);
  /* -a without -i: output only; stdin stays open for a later attach */
  int fd;
  pid_t p = it_skiff_spawn ((const char *const[]){ "start", "-a", "at-sti", NULL }, &fd);
  usleep (800000);
  assert_state ("at-sti", "running");
  r = SKIFF_IN ("later\n", "attach", "at-sti");
  assert_exit (r, 4);
  cr_assert_str_eq (r.out, "later\n");
  it_result_free (&r);
  char *acc = NULL;
  size_t len = 0;
  cr_assert (read_until (fd, &acc, &len, "later\n", WAIT_MS), "both clients got it: %s", acc ? acc : "");
  cr_assert_eq (wait_exit (p, WAIT_MS), 4);
  close (fd);
  free (acc);
  rm_f ("at-sti");
}

Test (attach, sig_proxy)
{
  struct it_result r = SKIFF ("run", "-d", "--name", "at-sig", "busybox", "sh", "-c",
                              "trap 'echo got-usr1; exit 11' USR1; echo ready; while :; do sleep 0.1; done");
  assert_ok (r);
  it_result_free (&r);
  int fd;
  pid_t p = it_skiff_spawn ((const char *const[]){ "attach", "at-sig", NULL }, &fd);
  char *acc = NULL;
  size_t len = 0;
  usleep (1500000);
  kill (p, SIGUSR1);
  cr_assert (read_until (fd, &acc, &len, "got-usr1", WAIT_MS), "%s", acc ? acc : "");
  cr_assert_eq (wait_exit (p, WAIT_MS), 11);
  close (fd);
  free (acc);
  rm_f ("at-sig");
}

Test (attach, detach_while_output_floods)
{
  /* the keys are read even while the container's output never pauses */
  struct it_result r = SKIFF ("run", "-d", "-i", "--name", "at-flood", "busybox", "sh", "-c",
                              "while :; do echo flood flood flood flood; done");
  assert_ok (r);
  it_result_free (&r);
  int in[2], out[2];
  cr_assert_eq (pipe (in), 0);
  cr_assert_eq (pipe (out), 0);
  char rootbuf[512], runbuf[512];
  snprintf (rootbuf, sizeof rootbuf, "--root=%s/root", it_dir ());
  snprintf (runbuf, sizeof runbuf, "--runroot=%s/run", it_dir ());
  pid_t p = fork ();
  cr_assert_geq (p, 0);
  if (p == 0)
    {
      dup2 (in[0], 0);
      dup2 (out[1], 1);
      close (in[1]);
      close (out[0]);
      execl (getenv ("SKIFF_BINARY"), "skiff", rootbuf, runbuf, "attach", "at-flood", (char *) NULL);
      _exit (99);
    }
  close (in[0]);
  close (out[1]);
  char *acc = NULL;
  size_t len = 0;
  cr_assert (read_until (out[0], &acc, &len, "flood", WAIT_MS));
  cr_assert_eq (write (in[1], "\x10\x11", 2), 2);
  /* keep reading, as a terminal would, until attach leaves */
  uint64_t end = now_ms () + WAIT_MS;
  char buf[65536];
  while (now_ms () < end && read (out[0], buf, sizeof buf) > 0)
    ;
  cr_assert_eq (wait_exit (p, WAIT_MS), 0);
  close (in[1]);
  close (out[0]);
  free (acc);
  assert_state ("at-flood", "running");
  rm_f ("at-flood");
}

/* A client whose last keystrokes the monitor never read still gets the exit code: closing a unix socket with
 * unread messages would reset the client's end before it read the exit status (it did, 1 run in 2). */
Test (attach, exit_code_reaches_a_client_that_typed)
{
  for (int i = 0; i < 10; i++)
    {
      int m;
      pid_t p = spawn_on_pty (
          (const char *const[]){ "run", "--rm", "-it", "busybox", "sh", "-c", "sleep 0.1; exit 12", NULL }, &m, 24, 80);
      /* keystrokes all along, so that some are in flight when the container ends */
      int st = 0;
      uint64_t end = now_ms () + WAIT_MS;
      while (waitpid (p, &st, WNOHANG) == 0 && now_ms () < end)
        {
          pty_write (m, "x");
          usleep (500);
        }
      cr_assert (WIFEXITED (st) && WEXITSTATUS (st) == 12, "round %d: status %d", i, st);
      close (m);
    }
}
