/* Detached containers: the monitor, logs, stop, kill, wait, ps, rm. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../harness.h"

static void
trim (char *s)
{
  size_t n = strlen (s);
  while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
    s[--n] = '\0';
}

Test (lifecycle, run_detached_logs_wait)
{
  struct it_result r = SKIFF ("run", "-d", "--name", "lc-logs", "busybox", "sh", "-c",
                              "echo out1; echo err1 >&2; printf partial; sleep 0.2; exit 6");
  assert_ok (r);
  trim (r.out);
  cr_assert_eq (strlen (r.out), 64, "the ID is printed: %s", r.out);
  it_result_free (&r);
  r = SKIFF ("wait", "lc-logs");
  assert_ok (r);
  cr_assert_str_eq (r.out, "6\n");
  it_result_free (&r);
  r = SKIFF ("logs", "lc-logs");
  assert_ok (r);
  cr_assert_str_eq (r.out, "out1\npartial");
  cr_assert_str_eq (r.err, "err1\n");
  it_result_free (&r);
  r = SKIFF ("logs", "--tail", "1", "lc-logs");
  assert_ok (r);
  cr_assert_str_eq (r.out, "partial");
  it_result_free (&r);
  r = SKIFF ("ps", "-a", "--format", "{{.Names}} {{.Status}}");
  cr_assert (strstr (r.out, "lc-logs Exited (6)"), "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("rm", "lc-logs");
  assert_ok (r);
  it_result_free (&r);
}

Test (lifecycle, logs_follow_ends_with_the_container)
{
  struct it_result r = SKIFF ("run", "-d", "--name", "lc-follow", "busybox", "sh", "-c",
                              "for i in 1 2 3; do echo line$i; sleep 0.2; done");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("logs", "-f", "lc-follow");
  assert_ok (r);
  cr_assert_str_eq (r.out, "line1\nline2\nline3\n");
  it_result_free (&r);
  r = SKIFF ("rm", "lc-follow");
  assert_ok (r);
  it_result_free (&r);
}

Test (lifecycle, stop_sends_sigterm_then_sigkill)
{
  struct it_result r = SKIFF ("run", "-d", "--name", "lc-stop", "busybox", "sh", "-c",
                              "trap 'exit 9' TERM; echo up; while :; do sleep 0.05; done");
  assert_ok (r);
  it_result_free (&r);
  usleep (300000);
  r = SKIFF ("ps", "--format", "{{.Names}} {{.State}}");
  cr_assert (strstr (r.out, "lc-stop running"), "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("stop", "lc-stop");
  assert_ok (r);
  cr_assert_str_eq (r.out, "lc-stop\n");
  it_result_free (&r);
  r = SKIFF ("wait", "lc-stop");
  cr_assert_str_eq (r.out, "9\n");
  it_result_free (&r);
  /* PID 1 without a handler ignores SIGTERM: stop falls back to SIGKILL after -t */
  r = SKIFF ("run", "-d", "--name", "lc-stubborn", "busybox", "sleep", "100");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("stop", "-t", "1", "lc-stubborn");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("wait", "lc-stubborn");
  cr_assert_str_eq (r.out, "137\n");
  it_result_free (&r);
  r = SKIFF ("rm", "lc-stop", "lc-stubborn");
  assert_ok (r);
  it_result_free (&r);
}

Test (lifecycle, kill_and_its_errors)
{
  struct it_result r = SKIFF ("run", "-d", "--name", "lc-kill", "busybox", "sleep", "100");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("rm", "lc-kill");
  assert_exit (r, 2);
  cr_assert (strstr (r.err, "running"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("kill", "-s", "BOGUS", "lc-kill");
  assert_exit (r, 125);
  it_result_free (&r);
  /* a signal PID 1 has no handler for is delivered and ignored: the container keeps running */
  r = SKIFF ("kill", "-s", "USR1", "lc-kill");
  assert_ok (r);
  cr_assert_str_eq (r.out, "lc-kill\n");
  it_result_free (&r);
  usleep (200000);
  r = SKIFF ("ps", "--format", "{{.Names}}");
  cr_assert (strstr (r.out, "lc-kill"), "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("kill", "lc-kill");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("wait", "lc-kill");
  if (strcmp (r.out, "137\n") != 0)
    {
      /* what the record says of how it ended, for the failure's message */
      struct it_result why
          = SKIFF ("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}} {{.State.Error}}", "lc-kill");
      cr_assert_str_eq (r.out, "137\n", "wait printed %s; inspect: %s%s", r.out, why.out, why.err);
    }
  it_result_free (&r);
  r = SKIFF ("kill", "lc-kill");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "can only kill running containers"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("kill", "no-such-container");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "no such container"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("rm", "-f", "lc-kill");
  assert_ok (r);
  it_result_free (&r);
}

Test (lifecycle, detached_rm_removes_after_exit)
{
  struct it_result r = SKIFF ("run", "-d", "--rm", "--name", "lc-gone", "busybox", "sh", "-c", "sleep 0.2");
  assert_ok (r);
  it_result_free (&r);
  for (int i = 0; i < 100; i++)
    {
      r = SKIFF ("ps", "-a", "--format", "{{.Names}}");
      bool there = strstr (r.out, "lc-gone") != NULL;
      it_result_free (&r);
      if (!there)
        return;
      usleep (50000);
    }
  cr_assert_fail ("the --rm container was not removed after it exited");
}

Test (lifecycle, rm_force_kills_a_running_container)
{
  struct it_result r = SKIFF ("run", "-d", "--name", "lc-force", "busybox", "sleep", "100");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("rm", "-f", "lc-force");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("ps", "-a", "--format", "{{.Names}}");
  cr_assert (!strstr (r.out, "lc-force"), "%s", r.out);
  it_result_free (&r);
}

Test (lifecycle, inspect_and_exists)
{
  struct it_result r = SKIFF ("run", "-d", "--name", "lc-insp", "--hostname", "inspected", "busybox", "sleep", "100");
  assert_ok (r);
  it_result_free (&r);
  /* options may follow the operands, as podman (cobra) allows */
  r = SKIFF ("inspect", "lc-insp", "--format", "{{.State.Status}} {{.State.Running}} {{.Config.Hostname}} {{.Name}}");
  assert_ok (r);
  cr_assert_str_eq (r.out, "running true inspected lc-insp\n");
  it_result_free (&r);
  r = SKIFF ("container", "inspect", "lc-insp");
  assert_ok (r);
  cr_assert (strstr (r.out, "\"ConmonPid\"") && strstr (r.out, "\"Pid\""), "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("container", "exists", "lc-insp");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("container", "exists", "lc-nope");
  assert_exit (r, 1);
  cr_assert_str_eq (r.out, "");
  it_result_free (&r);
  r = SKIFF ("inspect", "lc-nope");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "no such object: \"lc-nope\""), "%s", r.err); /* podman: containers, then images */
  it_result_free (&r);
  r = SKIFF ("container", "rm", "-f", "lc-insp");
  assert_ok (r);
  it_result_free (&r);
}
