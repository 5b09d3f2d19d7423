/* Restart policies (--restart), --stop-signal and --stop-timeout: the monitor starts the container again
 * after it ends, unless the policy says no or the user stopped it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../harness.h"

#define POLL_US 50000
#define POLLS 200 /* 10 s */

static void
trim (char *s)
{
  size_t n = strlen (s);
  while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
    s[--n] = '\0';
}

static int
restart_count (const char *name)
{
  struct it_result r = SKIFF ("inspect", "--format", "{{.RestartCount}}", name);
  int n = r.status == 0 ? atoi (r.out) : -1;
  it_result_free (&r);
  return n;
}

static char *
state (const char *name)
{
  struct it_result r = SKIFF ("ps", "-a", "--format", "{{.Names}} {{.Status}}");
  char *line = NULL;
  for (char *l = strtok (r.out, "\n"); l; l = strtok (NULL, "\n"))
    if (strncmp (l, name, strlen (name)) == 0 && l[strlen (name)] == ' ')
      line = strdup (l + strlen (name) + 1);
  it_result_free (&r);
  return line ? line : strdup ("");
}

static size_t
count (const char *hay, const char *needle)
{
  size_t n = 0;
  for (const char *p = hay; (p = strstr (p, needle)) != NULL; p += strlen (needle))
    n++;
  return n;
}

Test (restart, on_failure_with_a_limit)
{
  struct it_result r = SKIFF ("run", "-d", "--name", "rs-fail", "--restart", "on-failure:2", "busybox", "sh", "-c",
                              "echo run; exit 1");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("wait", "rs-fail");
  assert_ok (r);
  cr_assert_str_eq (r.out, "1\n");
  it_result_free (&r);
  cr_assert_eq (restart_count ("rs-fail"), 2);
  char *st = state ("rs-fail");
  cr_assert (strstr (st, "Exited (1)"), "%s", st);
  free (st);
  r = SKIFF ("logs", "rs-fail");
  assert_ok (r);
  cr_assert_str_eq (r.out, "run\nrun\nrun\n", "three runs, one log: %s", r.out);
  it_result_free (&r);
  r = SKIFF ("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", "rs-fail");
  cr_assert_str_eq (r.out, "exited 1\n");
  it_result_free (&r);
  r = SKIFF ("rm", "rs-fail");
  assert_ok (r);
  it_result_free (&r);
}

Test (restart, on_failure_after_success_does_not_restart)
{
  struct it_result r
      = SKIFF ("run", "-d", "--name", "rs-ok", "--restart", "on-failure", "busybox", "sh", "-c", "echo once");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("wait", "rs-ok");
  cr_assert_str_eq (r.out, "0\n");
  it_result_free (&r);
  usleep (300000); /* a restart would have come by now (the first backoff is 100 ms) */
  cr_assert_eq (restart_count ("rs-ok"), 0);
  r = SKIFF ("logs", "rs-ok");
  cr_assert_str_eq (r.out, "once\n");
  it_result_free (&r);
  r = SKIFF ("rm", "rs-ok");
  assert_ok (r);
  it_result_free (&r);
}

static void
restarts_until_stopped (const char *name, const char *policy)
{
  struct it_result r = SKIFF ("run", "-d", "--name", name, "--restart", policy, "busybox", "sh", "-c", "echo tick");
  assert_ok (r);
  it_result_free (&r);
  int n = 0;
  for (int i = 0; i < POLLS && (n = restart_count (name)) < 2; i++)
    usleep (POLL_US);
  cr_assert_geq (n, 2, "%s: the container was restarted %d times", policy, n);
  /* while it restarts, it counts as running */
  char *st = state (name);
  cr_assert (strstr (st, "Up"), "%s: %s", policy, st);
  free (st);
  r = SKIFF ("stop", "-t", "2", name);
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("wait", name);
  assert_ok (r);
  it_result_free (&r);
  int after = restart_count (name);
  usleep (1500000); /* longer than the longest backoff */
  cr_assert_eq (restart_count (name), after, "%s: restarted after stop", policy);
  st = state (name);
  cr_assert (strstr (st, "Exited"), "%s: %s", policy, st);
  free (st);
  r = SKIFF ("logs", name);
  cr_assert_geq (count (r.out, "tick\n"), 3, "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("rm", name);
  assert_ok (r);
  it_result_free (&r);
}

Test (restart, always_until_stop) { restarts_until_stopped ("rs-always", "always"); }

Test (restart, unless_stopped_until_stop) { restarts_until_stopped ("rs-unless", "unless-stopped"); }

Test (restart, kill_and_rm_force_end_a_restarting_container)
{
  struct it_result r = SKIFF ("run", "-d", "--name", "rs-kill", "--restart", "always", "busybox", "sleep", "100");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("kill", "rs-kill");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("wait", "rs-kill");
  cr_assert_str_eq (r.out, "137\n");
  it_result_free (&r);
  usleep (300000);
  cr_assert_eq (restart_count ("rs-kill"), 0);
  r = SKIFF ("rm", "rs-kill");
  assert_ok (r);
  it_result_free (&r);

  r = SKIFF ("run", "-d", "--name", "rs-rmf", "--restart", "always", "busybox", "sleep", "100");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("rm", "-f", "rs-rmf");
  assert_ok (r);
  it_result_free (&r);
  usleep (300000);
  r = SKIFF ("ps", "-a", "--format", "{{.Names}}");
  cr_assert (!strstr (r.out, "rs-rmf"), "%s", r.out);
  it_result_free (&r);
}

Test (restart, invalid_values)
{
  struct it_result r = SKIFF ("run", "-d", "--restart", "sometimes", "busybox", "true");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "invalid restart policy"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("run", "-d", "--restart", "always:3", "busybox", "true");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "invalid restart policy"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("run", "-d", "--restart", "on-failure:x", "busybox", "true");
  assert_exit (r, 125);
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "--restart", "always", "busybox", "true");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "the --rm option conflicts with --restart"), "%s", r.err);
  it_result_free (&r);
  /* "no" goes with --rm */
  r = SKIFF ("run", "--rm", "--restart", "no", "busybox", "true");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("run", "--stop-signal", "BOGUS", "busybox", "true");
  assert_exit (r, 125);
  it_result_free (&r);
  r = SKIFF ("run", "--stop-timeout", "-1", "busybox", "true");
  assert_exit (r, 125);
  it_result_free (&r);
  /* nothing was left behind */
  r = SKIFF ("ps", "-a", "--format", "{{.Names}}");
  cr_assert_str_eq (r.out, "");
  it_result_free (&r);
}

Test (restart, foreground_run_accepts_and_ignores_the_policy)
{
  struct it_result r = SKIFF ("run", "--rm", "--restart", "no", "busybox", "sh", "-c", "exit 3");
  assert_exit (r, 3);
  it_result_free (&r);
  r = SKIFF ("run", "--name", "rs-fg", "--restart", "on-failure", "busybox", "sh", "-c", "echo fg; exit 3");
  assert_exit (r, 3);
  cr_assert_str_eq (r.out, "fg\n");
  it_result_free (&r);
  r = SKIFF ("rm", "rs-fg");
  assert_ok (r);
  it_result_free (&r);
}

Test (restart, stop_signal_and_stop_timeout)
{
  struct it_result r = SKIFF ("run", "-d", "--name", "rs-sig", "--stop-signal", "USR1", "busybox", "sh", "-c",
                              "trap 'exit 5' USR1; echo up; while :; do sleep 0.05; done");
  assert_ok (r);
  it_result_free (&r);
  usleep (300000);
  r = SKIFF ("stop", "rs-sig");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("wait", "rs-sig");
  cr_assert_str_eq (r.out, "5\n");
  it_result_free (&r);
  /* --stop-timeout replaces stop's default of 10 s: SIGTERM is ignored by PID 1, SIGKILL after 1 s */
  r = SKIFF ("run", "-d", "--name", "rs-tmo", "--stop-timeout", "1", "busybox", "sleep", "100");
  assert_ok (r);
  trim (r.out);
  it_result_free (&r);
  r = SKIFF ("stop", "rs-tmo");
  assert_ok (r);
  cr_assert (strstr (r.err, "StopSignal SIGTERM failed to stop container"), "%s", r.err);
  cr_assert (strstr (r.err, "in 1 seconds"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("wait", "rs-tmo");
  cr_assert_str_eq (r.out, "137\n");
  it_result_free (&r);
  r = SKIFF ("rm", "rs-sig", "rs-tmo");
  assert_ok (r);
  it_result_free (&r);
}

/* logs -f follows the container across its restarts and ends when the monitor gives up */
Test (restart, logs_follow_across_restarts)
{
  struct it_result r = SKIFF ("run", "-d", "--name", "rs-follow", "--restart", "on-failure:2", "busybox", "sh", "-c",
                              "echo run; sleep 0.3; exit 1");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("logs", "-f", "rs-follow");
  assert_ok (r);
  cr_assert_eq (count (r.out, "run\n"), 3, "the first run and two restarts: %s", r.out);
  it_result_free (&r);
  cr_assert_eq (restart_count ("rs-follow"), 2);
  r = SKIFF ("rm", "rs-follow");
  assert_ok (r);
  it_result_free (&r);
}
