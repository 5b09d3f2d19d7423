/* The container query and control surface: ps (filters, sort, -q, -n, -l, --no-trunc, --format), rm flags,
 * container exists/prune, wait --condition, inspect's shape, top, pause/unpause, --label/--annotation. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../harness.h"

static void
trim (char *s)
{
  size_t n = strlen (s);
  while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
    s[--n] = '\0';
}

static size_t
count_lines (const char *s)
{
  size_t n = 0;
  for (; *s; s++)
    n += *s == '\n';
  return n;
}

/* three containers: ps-a (exited 0, env=prod), ps-b (exited 3, env=dev), ps-c (running, env=prod) */
static void
make_three (void)
{
  struct it_result r = SKIFF ("run", "--name", "ps-a", "--label", "env=prod", "-l", "tier", "busybox", "true");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("run", "--name", "ps-b", "--label", "env=dev", "busybox", "sh", "-c", "exit 3");
  assert_exit (r, 3);
  it_result_free (&r);
  r = SKIFF ("run", "-d", "--name", "ps-c", "--label", "env=prod", "--annotation", "note=hi", "busybox", "sleep",
             "100");
  assert_ok (r);
  it_result_free (&r);
}

static void
remove_three (void)
{
  struct it_result r = SKIFF ("rm", "-f", "ps-a", "ps-b", "ps-c");
  it_result_free (&r);
}

static void
expect_names (const char *what, struct it_result r, const char *want)
{
  assert_ok (r);
  cr_assert_str_eq (r.out, want, "%s: got\n%s", what, r.out);
}

Test (ps, filters)
{
  make_three ();
  struct it_result r;
#define NAMES(...) SKIFF ("ps", "-a", "--sort", "names", "--format", "{{.Names}}", __VA_ARGS__)
  r = NAMES ("--filter", "label=env=prod", "--filter", "name=^ps-");
  expect_names ("label=k=v", r, "ps-a\nps-c\n");
  it_result_free (&r);
  r = NAMES ("--filter", "label=tier");
  expect_names ("label=k", r, "ps-a\n");
  it_result_free (&r);
  r = NAMES ("--filter", "label!=env=prod", "--filter", "name=^ps-");
  expect_names ("label!=", r, "ps-b\n");
  it_result_free (&r);
  /* the same key ORs */
  r = NAMES ("--filter", "name=^ps-a$", "--filter", "name=^ps-b$");
  expect_names ("name OR", r, "ps-a\nps-b\n");
  it_result_free (&r);
  /* different keys AND */
  r = NAMES ("--filter", "name=^ps-", "--filter", "exited=3");
  expect_names ("exited", r, "ps-b\n");
  it_result_free (&r);
  r = NAMES ("--filter", "name=^ps-", "--filter", "status=running");
  expect_names ("status", r, "ps-c\n");
  it_result_free (&r);
  r = NAMES ("--filter", "name=^ps-", "--filter", "status=exited", "--filter", "status=running");
  expect_names ("status OR", r, "ps-a\nps-b\nps-c\n");
  it_result_free (&r);
  r = NAMES ("--filter", "ancestor=busybox", "--filter", "name=^ps-b");
  expect_names ("ancestor", r, "ps-b\n");
  it_result_free (&r);
  r = NAMES ("--filter", "ancestor=no-such-image", "--filter", "name=^ps-");
  expect_names ("ancestor miss", r, "");
  it_result_free (&r);
  r = SKIFF ("inspect", "--format", "{{.Id}}", "ps-a");
  trim (r.out);
  char prefix[16];
  snprintf (prefix, sizeof prefix, "%.10s", r.out);
  it_result_free (&r);
  r = NAMES ("--filter", "id=", "--filter", "name=^ps-a");
  it_result_free (&r);
  char idf[32];
  snprintf (idf, sizeof idf, "id=%s", prefix);
  r = NAMES ("--filter", idf);
  expect_names ("id", r, "ps-a\n");
  it_result_free (&r);
  /* a status filter lists stopped containers without -a, as podman */
  r = SKIFF ("ps", "--filter", "status=exited", "--filter", "name=^ps-b$", "--format", "{{.Names}}");
  expect_names ("no -a", r, "ps-b\n");
  it_result_free (&r);
  /* --external (every podman system test's setup passes it) lists skiff's own containers, as without it */
  r = SKIFF ("ps", "--all", "--external", "--filter", "name=^ps-b$", "--format", "{{.Names}}");
  expect_names ("--external", r, "ps-b\n");
  it_result_free (&r);
  /* bad filters: podman's messages, 125 */
  r = SKIFF ("ps", "--filter", "foo=bar");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "foo is an invalid filter"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("ps", "--filter", "status=bogus");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "unknown container state: bogus"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("ps", "--filter", "name");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "filter=value"), "%s", r.err);
  it_result_free (&r);
#undef NAMES
  remove_three ();
}

Test (ps, quiet_notrunc_last_latest_sort)
{
  make_three ();
  struct it_result r = SKIFF ("ps", "-a", "-q", "--filter", "name=^ps-");
  assert_ok (r);
  cr_assert_eq (count_lines (r.out), 3, "%s", r.out);
  cr_assert_eq (strlen (r.out), 3 * 13, "12-character IDs: %s", r.out);
  it_result_free (&r);
  r = SKIFF ("ps", "-a", "-q", "--no-trunc", "--filter", "name=^ps-a$");
  assert_ok (r);
  cr_assert_eq (strlen (r.out), 65, "a full ID: %s", r.out);
  it_result_free (&r);
  /* without -a only running ones */
  r = SKIFF ("ps", "--filter", "name=^ps-", "--format", "{{.Names}}");
  expect_names ("running only", r, "ps-c\n");
  it_result_free (&r);
  /* -n: the last N created (of those matching), in all states; oldest first, as podman lists */
  r = SKIFF ("ps", "-n", "2", "--filter", "name=^ps-", "--format", "{{.Names}}");
  expect_names ("-n 2", r, "ps-b\nps-c\n");
  it_result_free (&r);
  r = SKIFF ("ps", "-l", "--format", "{{.Names}}");
  expect_names ("-l", r, "ps-c\n");
  it_result_free (&r);
  r = SKIFF ("ps", "-l", "-n", "2");
  assert_exit (r, 125);
  it_result_free (&r);
  r = SKIFF ("ps", "-a", "--sort", "names", "--filter", "name=^ps-", "--format", "{{.Names}}");
  expect_names ("sort names", r, "ps-a\nps-b\nps-c\n");
  it_result_free (&r);
  r = SKIFF ("ps", "-a", "--sort", "status", "--filter", "name=^ps-", "--format", "{{.State}}");
  expect_names ("sort status", r, "exited\nexited\nrunning\n");
  it_result_free (&r);
  r = SKIFF ("ps", "-a", "--sort", "created", "--filter", "name=^ps-", "--format", "{{.Names}}");
  expect_names ("sort created", r, "ps-a\nps-b\nps-c\n");
  it_result_free (&r);
  r = SKIFF ("ps", "-a", "--sort", "command", "--filter", "name=^ps-", "--format", "{{.Names}}");
  expect_names ("sort command", r, "ps-b\nps-c\nps-a\n");
  it_result_free (&r);
  r = SKIFF ("ps", "--sort", "bogus");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "is not a valid value"), "%s", r.err);
  it_result_free (&r);
  remove_three ();
}

Test (ps, format_json_and_table)
{
  make_three ();
  struct it_result r = SKIFF ("ps", "-a", "--format", "json", "--filter", "name=^ps-c$");
  assert_ok (r);
  static const char *const keys[] = { "\"Id\": \"",
                                      "\"Names\": [",
                                      "\"Image\": \"localhost/busybox:latest\"",
                                      "\"ImageID\": \"",
                                      "\"Command\": [",
                                      "\"Created\": 1",
                                      "\"CreatedAt\": \"",
                                      "\"State\": \"running\"",
                                      "\"Status\": \"Up ",
                                      "\"ExitCode\": 0",
                                      "\"Exited\": false",
                                      "\"ExitedAt\": -62135596800",
                                      "\"StartedAt\": 1",
                                      "\"Pid\": ",
                                      "\"Labels\": {",
                                      "\"env\": \"prod\"",
                                      "\"Mounts\": [",
                                      "\"Ports\": null",
                                      "\"Pod\": \"\"",
                                      "\"PodName\": \"\"",
                                      "\"AutoRemove\": false",
                                      "\"Size\": null" };
  for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
    cr_assert (strstr (r.out, keys[i]), "%s missing in\n%s", keys[i], r.out);
  it_result_free (&r);
  r = SKIFF ("ps", "-a", "--format", "json", "--filter", "name=^ps-b$");
  cr_assert (strstr (r.out, "\"ExitCode\": 3") && strstr (r.out, "\"Exited\": true"), "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("ps", "-a", "--format", "json", "--filter", "name=^nothing-matches$");
  cr_assert_str_eq (r.out, "[]\n");
  it_result_free (&r);
  /* table: podman's headers */
  r = SKIFF ("ps", "-a", "--filter", "name=^ps-b$", "--format", "table {{.ID}} {{.Names}} {{.Labels}}");
  assert_ok (r);
  cr_assert (strncmp (r.out, "CONTAINER ID  NAMES       LABELS", 32) == 0, "%s", r.out);
  cr_assert (strstr (r.out, "map[env:dev]"), "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("ps", "-a", "--filter", "name=^ps-b$");
  assert_ok (r);
  cr_assert (strstr (r.out, "CONTAINER ID  IMAGE") && strstr (r.out, "Exited (3) "), "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("ps", "-a", "--noheading", "--filter", "name=^ps-b$");
  cr_assert (!strstr (r.out, "CONTAINER ID"), "%s", r.out);
  it_result_free (&r);
  /* Command is cut at 17 characters unless --no-trunc */
  r = SKIFF ("run", "--name", "ps-long", "busybox", "echo", "a-rather-long-argument");
  it_result_free (&r);
  r = SKIFF ("ps", "-a", "--filter", "name=^ps-long$", "--format", "{{.Command}}");
  cr_assert_str_eq (r.out, "echo a-rather-lon...\n");
  it_result_free (&r);
  r = SKIFF ("ps", "-a", "--no-trunc", "--filter", "name=^ps-long$", "--format", "{{.Command}}");
  cr_assert_str_eq (r.out, "echo a-rather-long-argument\n");
  it_result_free (&r);
  r = SKIFF ("ps", "-a", "--filter", "name=^ps-long$", "--format", "{{.Created}}|{{.RunningFor}}|{{.CreatedHuman}}");
  cr_assert (strstr (r.out, " +0000 UTC|") && strstr (r.out, " ago|"), "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("rm", "ps-long");
  it_result_free (&r);
  remove_three ();
}

Test (ps, inspect_shape_labels_annotations)
{
  struct it_result r = SKIFF ("run", "-d", "--name", "ps-insp", "--label", "a=b", "--annotation", "x=y", "--restart",
                              "on-failure:3", "--stop-signal", "USR1", "--read-only", "busybox", "sleep", "100");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("inspect", "--format",
             "{{.Config.Labels.a}} {{.Config.Annotations.x}} {{.HostConfig.RestartPolicy.Name}}:"
             "{{.HostConfig.RestartPolicy.MaximumRetryCount}} {{.Config.StopSignal}} {{.HostConfig.ReadonlyRootfs}} "
             "{{.HostConfig.LogConfig.Type}} {{.State.Running}} {{.State.Paused}} {{.Config.StopTimeout}}",
             "ps-insp");
  assert_ok (r);
  cr_assert_str_eq (r.out, "b y on-failure:3 SIGUSR1 true k8s-file true false 10\n");
  it_result_free (&r);
  r = SKIFF ("container", "inspect", "ps-insp");
  assert_ok (r);
  static const char *const keys[] = { "\"Id\"",
                                      "\"Created\": \"20",
                                      "\"Path\": \"sleep\"",
                                      "\"Args\": [",
                                      "\"OciVersion\"",
                                      "\"ConmonPid\"",
                                      "\"OOMKilled\": false",
                                      "\"Dead\": false",
                                      "\"Restarting\": false",
                                      "\"Error\": \"\"",
                                      "\"StartedAt\": \"20",
                                      "\"FinishedAt\": \"0001-01-01T00:00:00Z\"",
                                      "\"ImageName\": \"localhost/busybox:latest\"",
                                      "\"RestartCount\": 0",
                                      "\"Driver\": \"",
                                      "\"MountLabel\": \"\"",
                                      "\"Hostname\"",
                                      "\"Env\": [",
                                      "\"Cmd\": [",
                                      "\"WorkingDir\": \"/\"",
                                      "\"Entrypoint\"",
                                      "\"Tty\": false",
                                      "\"OpenStdin\": false",
                                      "\"AutoRemove\": false",
                                      "\"NetworkMode\"",
                                      "\"Privileged\": false",
                                      "\"PortBindings\": {",
                                      "\"Mounts\": [",
                                      "\"NetworkSettings\": {",
                                      "\"IPAddress\": \"",
                                      "\"Ulimits\": [",
                                      "\"LogConfig\"",
                                      "\"Size\": \"0B\"" };
  for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
    cr_assert (strstr (r.out, keys[i]), "%s missing in\n%s", keys[i], r.out);
  it_result_free (&r);
  /* -l: the latest container; --size adds SizeRw */
  r = SKIFF ("inspect", "-l", "--size", "--format", "{{.Name}} {{.SizeRw}}");
  assert_ok (r);
  cr_assert (strncmp (r.out, "ps-insp ", 8) == 0, "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("ps", "-a", "--filter", "label=a=b", "--format", "{{.Names}}");
  cr_assert_str_eq (r.out, "ps-insp\n");
  it_result_free (&r);
  /* --annotation needs KEY=VALUE */
  r = SKIFF ("create", "--annotation", "novalue", "busybox", "true");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "annotations must be formatted KEY=VALUE"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("rm", "-f", "ps-insp");
  assert_ok (r);
  it_result_free (&r);
}

Test (ps, rm_flags_exists_prune)
{
  struct it_result r
      = SKIFF ("run", "-d", "--name", "ps-rm1", "busybox", "sh", "-c", "trap '' TERM; while :; do sleep 0.05; done");
  assert_ok (r);
  it_result_free (&r);
  usleep (200000);
  /* running without -f: podman's exit 2 */
  r = SKIFF ("rm", "ps-rm1");
  assert_exit (r, 2);
  cr_assert (strstr (r.err, "cannot remove container"), "%s", r.err);
  it_result_free (&r);
  /* missing: 1; with --ignore or -f: 0 and no output */
  r = SKIFF ("rm", "ps-nope");
  assert_exit (r, 1);
  cr_assert (strstr (r.err, "no such container"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("rm", "--ignore", "ps-nope");
  assert_ok (r);
  cr_assert_str_eq (r.out, "");
  it_result_free (&r);
  r = SKIFF ("rm", "-f", "ps-nope");
  assert_ok (r);
  it_result_free (&r);
  /* -f -t 1: the stop signal (ignored here), then SIGKILL after a second */
  time_t t0 = time (NULL);
  r = SKIFF ("rm", "-f", "-t", "1", "-v", "ps-rm1");
  assert_ok (r);
  cr_assert (strstr (r.err, "resorting to SIGKILL"), "%s", r.err);
  cr_assert (time (NULL) - t0 >= 1, "rm -t 1 waited");
  it_result_free (&r);
  r = SKIFF ("container", "exists", "ps-rm1");
  assert_exit (r, 1);
  it_result_free (&r);
  /* rm -l: the latest */
  r = SKIFF ("create", "--name", "ps-rm2", "busybox", "true");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("container", "exists", "ps-rm2");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("rm", "-l");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("container", "exists", "ps-rm2");
  assert_exit (r, 1);
  it_result_free (&r);
  /* prune --filter label: only the matching stopped containers go */
  r = SKIFF ("run", "--name", "ps-pr1", "--label", "prune=yes", "busybox", "true");
  it_result_free (&r);
  r = SKIFF ("run", "--name", "ps-pr2", "--label", "prune=no", "busybox", "true");
  it_result_free (&r);
  r = SKIFF ("container", "prune", "-f", "--filter", "label=prune=yes");
  assert_ok (r);
  cr_assert_eq (count_lines (r.out), 1, "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("container", "exists", "ps-pr1");
  assert_exit (r, 1);
  it_result_free (&r);
  r = SKIFF ("container", "exists", "ps-pr2");
  assert_ok (r);
  it_result_free (&r);
  /* until: created before a time; a container made now is not */
  r = SKIFF ("container", "prune", "-f", "--filter", "label=prune=no", "--filter", "until=1h");
  assert_ok (r);
  cr_assert_str_eq (r.out, "");
  it_result_free (&r);
  r = SKIFF ("container", "prune", "-f", "--filter", "bogus=1");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "bogus is an invalid filter"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("rm", "ps-pr2");
  assert_ok (r);
  it_result_free (&r);
}

Test (ps, wait_conditions)
{
  struct it_result r = SKIFF ("create", "--name", "ps-w1", "busybox", "sh", "-c", "sleep 0.3; exit 4");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("wait", "--condition", "created", "ps-w1");
  assert_ok (r);
  cr_assert_str_eq (r.out, "-1\n");
  it_result_free (&r);
  /* running: waits until started elsewhere */
  int fd;
  pid_t w = it_skiff_spawn ((const char *const[]){ "wait", "--condition", "running", "ps-w1", NULL }, &fd);
  usleep (200000);
  r = SKIFF ("start", "ps-w1");
  assert_ok (r);
  it_result_free (&r);
  int st;
  cr_assert_eq (waitpid (w, &st, 0), w);
  cr_assert (WIFEXITED (st) && WEXITSTATUS (st) == 0);
  char buf[64] = "";
  ssize_t n = read (fd, buf, sizeof buf - 1);
  close (fd);
  cr_assert (n > 0 && strcmp (buf, "-1\n") == 0, "%s", buf);
  /* several containers, several conditions: each one's exit code */
  r = SKIFF ("run", "--name", "ps-w2", "busybox", "sh", "-c", "exit 7");
  it_result_free (&r);
  r = SKIFF ("wait", "--condition", "stopped", "--condition", "exited", "ps-w1", "ps-w2");
  assert_ok (r);
  cr_assert_str_eq (r.out, "4\n7\n");
  it_result_free (&r);
  r = SKIFF ("wait", "--ignore", "ps-w-nope", "ps-w2");
  assert_ok (r);
  cr_assert_str_eq (r.out, "-1\n7\n");
  it_result_free (&r);
  r = SKIFF ("wait", "ps-w-nope");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "no such container"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("wait", "--condition", "healthy", "ps-w2");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "health"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("wait", "--condition", "bogus", "ps-w2");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "unknown container state: bogus"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("rm", "ps-w1", "ps-w2");
  assert_ok (r);
  it_result_free (&r);
}

Test (ps, top_and_pause)
{
  struct it_result r = SKIFF ("run", "-d", "--name", "ps-top", "busybox", "sh", "-c", "sleep 100 & sleep 101; true");
  assert_ok (r);
  it_result_free (&r);
  usleep (300000);
  r = SKIFF ("top", "ps-top");
  assert_ok (r);
  cr_assert (strncmp (r.out, "USER", 4) == 0, "%s", r.out);
  static const char *const heads[] = { "PID", "PPID", "%CPU", "ELAPSED", "TTY", "TIME", "COMMAND" };
  for (size_t i = 0; i < sizeof heads / sizeof *heads; i++)
    cr_assert (strstr (r.out, heads[i]), "%s missing: %s", heads[i], r.out);
  /* PID 1 is the shell, its children are 2 and 3 inside the container's namespace */
  cr_assert (strstr (r.out, "\nroot        1           0 "), "%s", r.out);
  cr_assert (strstr (r.out, "sleep 100") && strstr (r.out, "sleep 101"), "%s", r.out);
  cr_assert_eq (count_lines (r.out), 4, "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("top", "ps-top", "pid,ppid", "comm");
  assert_ok (r);
  cr_assert (strstr (r.out, "PID         PPID        COMMAND\n1           0           sh\n"), "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("top", "ps-top", "bogus");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "unknown descriptor: bogus"), "%s", r.err);
  it_result_free (&r);
  /* pause: no delegated cgroup v2 freezer here; says why, 125, and the state stays */
  r = SKIFF ("pause", "ps-top");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "cgroup"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("unpause", "ps-top");
  assert_exit (r, 125);
  it_result_free (&r);
  r = SKIFF ("inspect", "--format", "{{.State.Status}} {{.State.Paused}}", "ps-top");
  cr_assert_str_eq (r.out, "running false\n");
  it_result_free (&r);
  r = SKIFF ("rm", "-f", "ps-top");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("run", "--name", "ps-top2", "busybox", "true");
  it_result_free (&r);
  r = SKIFF ("top", "ps-top2");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "top can only be used on running containers"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("pause", "ps-top2");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "\"exited\" is not running, can't pause"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("rm", "ps-top2");
  it_result_free (&r);
}
