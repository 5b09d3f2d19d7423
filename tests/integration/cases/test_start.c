/* create, start, restart, attach: containers run again from their records, under a monitor. */
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

static int
pid_of (const char *name)
{
  struct it_result r = SKIFF ("inspect", "--format", "{{.State.Pid}}", name);
  int pid = r.status == 0 ? atoi (r.out) : -1;
  it_result_free (&r);
  return pid;
}

Test (start, create_then_start_then_start_again)
{
  struct it_result r = SKIFF ("create", "--name", "st-one", "busybox", "sh", "-c",
                              "cat /mark 2>/dev/null; echo run >> /mark; echo out; exit 3");
  assert_ok (r);
  trim (r.out);
  cr_assert_eq (strlen (r.out), 64, "the ID is printed: %s", r.out);
  it_result_free (&r);
  r = SKIFF ("ps", "-a", "--format", "{{.Names}} {{.Status}}");
  cr_assert (strstr (r.out, "st-one Created"), "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("ps", "--format", "{{.Names}}");
  cr_assert (!strstr (r.out, "st-one"), "a created container is not running: %s", r.out);
  it_result_free (&r);

  r = SKIFF ("start", "st-one");
  assert_ok (r);
  cr_assert_str_eq (r.out, "st-one\n");
  it_result_free (&r);
  r = SKIFF ("wait", "st-one");
  assert_ok (r);
  cr_assert_str_eq (r.out, "3\n");
  it_result_free (&r);
  r = SKIFF ("logs", "st-one");
  assert_ok (r);
  cr_assert_str_eq (r.out, "out\n");
  it_result_free (&r);

  /* again: the same root filesystem, with what the first run wrote */
  r = SKIFF ("start", "st-one");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("wait", "st-one");
  cr_assert_str_eq (r.out, "3\n");
  it_result_free (&r);
  r = SKIFF ("logs", "st-one");
  cr_assert_str_eq (r.out, "out\nrun\nout\n", "%s", r.out);
  it_result_free (&r);

  /* -a: its output as it comes, and its exit code */
  r = SKIFF ("start", "-a", "st-one");
  assert_exit (r, 3);
  cr_assert_str_eq (r.out, "run\nrun\nout\n", "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("rm", "st-one");
  assert_ok (r);
  it_result_free (&r);
}

Test (start, create_keeps_run_options)
{
  struct it_result r = SKIFF ("create", "--name", "st-opts", "-e", "FOO=bar", "-w", "/tmp", "--hostname", "boxy",
                              "busybox", "sh", "-c", "echo $FOO $(pwd) $(hostname)");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("start", "--attach", "st-opts");
  assert_ok (r);
  cr_assert_str_eq (r.out, "bar /tmp boxy\n");
  it_result_free (&r);
  r = SKIFF ("rm", "st-opts");
  assert_ok (r);
  it_result_free (&r);
}

Test (start, start_running_is_a_noop_and_restart_gives_a_new_pid)
{
  struct it_result r = SKIFF ("run", "-d", "--name", "st-rs", "busybox", "sleep", "100");
  assert_ok (r);
  it_result_free (&r);
  int pid = pid_of ("st-rs");
  cr_assert_gt (pid, 0);
  r = SKIFF ("start", "st-rs");
  assert_ok (r);
  cr_assert_str_eq (r.out, "st-rs\n");
  it_result_free (&r);
  cr_assert_eq (pid_of ("st-rs"), pid);
  r = SKIFF ("restart", "-t", "0", "st-rs");
  assert_ok (r);
  cr_assert_str_eq (r.out, "st-rs\n");
  it_result_free (&r);
  int pid2 = pid_of ("st-rs");
  cr_assert_gt (pid2, 0);
  cr_assert_neq (pid2, pid);
  r = SKIFF ("ps", "--format", "{{.Names}} {{.State}}");
  cr_assert (strstr (r.out, "st-rs running"), "%s", r.out);
  it_result_free (&r);
  /* the stop of the restart does not keep the new run from running: stop again works */
  r = SKIFF ("stop", "-t", "0", "st-rs");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("restart", "st-rs");
  assert_ok (r);
  it_result_free (&r);
  cr_assert_gt (pid_of ("st-rs"), 0);
  r = SKIFF ("rm", "-f", "st-rs");
  assert_ok (r);
  it_result_free (&r);
}

Test (start, attach_follows_and_returns_the_exit_code)
{
  struct it_result r = SKIFF ("run", "-d", "--name", "st-att", "busybox", "sh", "-c",
                              "echo early; sleep 2; echo late1; echo late2 >&2; exit 4");
  assert_ok (r);
  it_result_free (&r);
  /* attach well inside the 2 s: a loaded machine (or ASan) makes the attach command itself slow to start */
  usleep (200000);
  r = SKIFF ("attach", "st-att");
  assert_exit (r, 4);
  cr_assert (!strstr (r.out, "early"), "no backlog: %s", r.out);
  cr_assert_str_eq (r.out, "late1\n");
  cr_assert_str_eq (r.err, "late2\n");
  it_result_free (&r);
  r = SKIFF ("attach", "st-att");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "running"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("rm", "st-att");
  assert_ok (r);
  it_result_free (&r);
}

Test (start, unknown_container_and_removed_image)
{
  struct it_result r = SKIFF ("start", "st-nope");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "no such container"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("restart", "st-nope");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "no such container"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("attach", "st-nope");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "no such container"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("create", "--name", "st-bad", "no-such-image-here");
  assert_exit (r, 125);
  it_result_free (&r);
  r = SKIFF ("ps", "-a", "--format", "{{.Names}}");
  cr_assert (!strstr (r.out, "st-bad"), "%s", r.out);
  it_result_free (&r);
}
