/* podman's behaviours on the container side that its system tests check (issue #11): kill's signal parsing and
 * --all, start --all/--filter, stop's timeout and warning, wait on a created container, run's --unsetenv,
 * --replace, --rmi, --kernel-memory, --net, podman's default environment and /run/.containerenv, and logs
 * --since/--until and -f of several containers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../harness.h"

#define ID_LEN 64

static void
rm_f (const char *name)
{
  struct it_result r = SKIFF ("rm", "-f", "-t", "0", "--ignore", name);
  it_result_free (&r);
}

static void
expect_err (struct it_result r, const char *text)
{
  assert_exit (r, 125);
  cr_assert (strstr (r.err, text), "expected \"%s\" in: %s", text, r.err);
  it_result_free (&r);
}

Test (compat_ctr, kill_signals_as_podman_parses_them)
{
  rm_f ("cc-sig");
  struct it_result r = SKIFF ("run", "-d", "--name", "cc-sig", "busybox", "sh", "-c",
                              "trap 'echo got-usr1' USR1; trap 'echo got-hup' HUP; echo READY; "
                              "while :; do sleep 0.1; done");
  assert_ok (r);
  it_result_free (&r);
  it_msleep (500);
  /* a leading dash is dropped, names in any case with or without SIG, numbers */
  r = SKIFF ("kill", "-s", "-SIGUSR1", "cc-sig");
  assert_ok (r);
  cr_assert_str_eq (r.out, "cc-sig\n");
  it_result_free (&r);
  r = SKIFF ("kill", "-s", "-1", "cc-sig");
  assert_ok (r);
  it_result_free (&r);
  it_msleep (500);
  r = SKIFF ("logs", "cc-sig");
  cr_assert (strstr (r.out, "got-usr1") && strstr (r.out, "got-hup"), "%s", r.out);
  it_result_free (&r);
  /* podman's errors, before the container is looked up */
  expect_err (SKIFF ("kill", "-s", "0", "cc-nosuch"), "Error: invalid signal: 0\n");
  expect_err (SKIFF ("kill", "-s", "-SIGBADSIG", "cc-nosuch"), "Error: invalid signal: SIGBADSIG\n");
  expect_err (SKIFF ("kill", "-s", "65", "cc-nosuch"), "Error: valid signals are 1 through 64\n");
  expect_err (SKIFF ("pod", "kill", "-s", "BADSIG", "cc-nosuch"), "Error: invalid signal: BADSIG\n");
  expect_err (SKIFF ("create", "--stop-signal=99", "busybox"), "Error: valid signals are 1 through 64\n");
  /* kill -a: every running container, by ID */
  r = SKIFF ("inspect", "--format", "{{.Id}}", "cc-sig");
  char id[ID_LEN + 1];
  snprintf (id, sizeof id, "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("kill", "-a");
  assert_ok (r);
  cr_assert (strstr (r.out, id), "kill -a prints the IDs: %s", r.out);
  it_result_free (&r);
  expect_err (SKIFF ("kill", "-a", "cc-sig"), "no arguments are needed with --all");
  rm_f ("cc-sig");
}

Test (compat_ctr, start_all_and_filter)
{
  rm_f ("cc-st");
  struct it_result r = SKIFF ("create", "--name", "cc-st", "busybox", "true");
  assert_ok (r);
  it_result_free (&r);
  expect_err (SKIFF ("start", "--all", "cc-st"),
              "Error: either start all containers or the container(s) provided in the arguments\n");
  expect_err (SKIFF ("start", "--filter", "restart-policy=fakepolicy", "cc-st"),
              "Error: fakepolicy invalid restart policy\n");
  r = SKIFF ("start", "--filter", "restart-policy=always", "cc-st");
  assert_ok (r);
  cr_assert_str_eq (r.out, "", "no match, nothing started");
  it_result_free (&r);
  r = SKIFF ("start", "--filter", "restart-policy=none", "cc-st");
  assert_ok (r);
  cr_assert_str_eq (r.out, "cc-st\n", "printed as given");
  it_result_free (&r);
  r = SKIFF ("wait", "cc-st");
  it_result_free (&r);
  r = SKIFF ("inspect", "--format", "{{.Id}}", "cc-st");
  char id[ID_LEN + 1];
  snprintf (id, sizeof id, "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("start", "--all", "--filter", "name=^cc-st$");
  assert_ok (r);
  cr_assert (strstr (r.out, id), "start --all prints IDs: %s", r.out);
  it_result_free (&r);
  rm_f ("cc-st");
}

Test (compat_ctr, stop_timeout_and_warning)
{
  rm_f ("cc-stop");
  struct it_result r = SKIFF ("run", "-d", "--name", "cc-stop", "busybox", "sleep", "100");
  assert_ok (r);
  it_result_free (&r);
  /* sleep as PID 1 ignores SIGTERM: after the timeout, podman's warning names the container */
  r = SKIFF ("stop", "--timeout", "1", "cc-stop");
  assert_ok (r);
  cr_assert (strstr (r.err, "StopSignal SIGTERM failed to stop container cc-stop in 1 seconds, resorting to SIGKILL"),
             "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("start", "cc-stop");
  it_result_free (&r);
  /* -t 0: SIGKILL at once, no warning */
  r = SKIFF ("stop", "-t", "0", "cc-stop");
  assert_ok (r);
  cr_assert_null (strstr (r.err, "StopSignal"), "%s", r.err);
  it_result_free (&r);
  rm_f ("cc-stop");
}

Test (compat_ctr, wait_on_a_created_container_returns)
{
  rm_f ("cc-wait");
  struct it_result r = SKIFF ("create", "--name", "cc-wait", "busybox", "true");
  assert_ok (r);
  it_result_free (&r);
  time_t t0 = time (NULL);
  r = SKIFF ("wait", "cc-wait");
  assert_ok (r);
  cr_assert_str_eq (r.out, "0\n");
  cr_assert_lt (time (NULL) - t0, 10);
  it_result_free (&r);
  rm_f ("cc-wait");
}

Test (compat_ctr, run_environment_defaults_and_unsetenv)
{
  struct it_result r = SKIFF ("run", "--rm", "busybox", "env");
  assert_ok (r);
  cr_assert (strstr (r.out, "TERM=xterm\n") && strstr (r.out, "container=podman\n"), "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "--unsetenv=TERM", "busybox", "env");
  assert_ok (r);
  cr_assert (strstr (r.out, "container=podman") && !strstr (r.out, "TERM"), "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "--unsetenv-all", "-e", "TERM=abc", "busybox", "/bin/env");
  assert_ok (r);
  cr_assert (strstr (r.out, "TERM=abc") && !strstr (r.out, "PATH") && !strstr (r.out, "container"), "%s", r.out);
  it_result_free (&r);
}

Test (compat_ctr, run_containerenv_kernel_memory_net)
{
  struct it_result r = SKIFF ("run", "--rm", "--net", "none", "--kernel-memory", "100", "busybox", "stat", "-c", "%s",
                              "/run/.containerenv");
  assert_ok (r);
  cr_assert_str_eq (r.out, "0\n", "empty unless privileged");
  cr_assert (strstr (r.err, "The --kernel-memory flag is no longer supported. This flag is a noop."), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "--privileged", "--name", "cc-env", "busybox", "sh", "-c",
             ". /run/.containerenv; echo $engine; echo $name; echo $id");
  assert_ok (r);
  cr_assert (strstr (r.out, "podman-") && strstr (r.out, "\ncc-env\n"), "%s", r.out);
  it_result_free (&r);
  /* a read-only root's /run tmpfs does not hide it */
  r = SKIFF ("run", "--rm", "--read-only", "busybox", "test", "-f", "/run/.containerenv");
  assert_ok (r);
  it_result_free (&r);
}

Test (compat_ctr, run_replace_and_rmi)
{
  rm_f ("cc-rep");
  struct it_result r = SKIFF ("run", "-d", "--name", "cc-rep", "busybox", "sleep", "100");
  assert_ok (r);
  char first[ID_LEN + 1];
  snprintf (first, sizeof first, "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("run", "-d", "--replace", "--name", "cc-rep", "busybox", "sleep", "100");
  assert_ok (r);
  cr_assert_neq (strncmp (r.out, first, ID_LEN), 0);
  it_result_free (&r);
  r = SKIFF ("container", "exists", first);
  assert_exit (r, 1);
  it_result_free (&r);
  expect_err (SKIFF ("run", "--replace", "busybox", "true"), "cannot replace container without --name being set");
  rm_f ("cc-rep");
  /* --rmi removes the image's name after the run (the image keeps its other names) */
  r = SKIFF ("tag", "busybox", "cc-rmi:latest");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("run", "--rmi", "cc-rmi", "true");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("image", "exists", "cc-rmi");
  assert_exit (r, 1);
  it_result_free (&r);
}

Test (compat_ctr, logs_since_until)
{
  rm_f ("cc-logs");
  struct it_result r = SKIFF ("run", "--name", "cc-logs", "busybox", "echo", "hello");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("logs", "--since", "10m", "--until", "10m", "cc-logs");
  assert_ok (r);
  cr_assert_str_eq (r.out, "hello\n");
  it_result_free (&r);
  /* Unix time 1000 is long before the entry; 2099 after it */
  r = SKIFF ("logs", "--until", "1000", "cc-logs");
  assert_ok (r);
  cr_assert_str_eq (r.out, "");
  it_result_free (&r);
  r = SKIFF ("logs", "--since", "2099-01-01T00:00:00Z", "cc-logs");
  assert_ok (r);
  cr_assert_str_eq (r.out, "");
  it_result_free (&r);
  r = SKIFF ("logs", "--since", "2000-01-01", "cc-logs");
  assert_ok (r);
  cr_assert_str_eq (r.out, "hello\n");
  it_result_free (&r);
  expect_err (SKIFF ("logs", "--since", "yesterday", "cc-logs"), "error parsing --since \"yesterday\"");
  rm_f ("cc-logs");
}

Test (compat_ctr, logs_follow_several)
{
  rm_f ("cc-l1");
  rm_f ("cc-l2");
  struct it_result r
      = SKIFF ("run", "-d", "--rm", "--name", "cc-l1", "busybox", "sh", "-c", "echo a; sleep 2; echo c; sleep 0.5");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("run", "-d", "--rm", "--name", "cc-l2", "busybox", "sh", "-c", "sleep 1; echo b; sleep 0.5");
  assert_ok (r);
  it_result_free (&r);
  /* both followed at once: b comes between a and c, and cc-l2 is still shown although it is gone before cc-l1 */
  r = SKIFF ("logs", "-f", "cc-l1", "cc-l2");
  assert_ok (r);
  const char *a = strstr (r.out, " a\n"), *b = strstr (r.out, " b\n"), *c = strstr (r.out, " c\n");
  cr_assert (a && b && c && a < b && b < c, "%s", r.out);
  it_result_free (&r);
}

Test (compat_ctr, run_tz)
{
  cr_assert_eq (access ("/usr/share/zoneinfo/MST7MDT", F_OK), 0, "tzdata is installed (contrib/install-deps.sh)");
  /* the last --tz wins; date reads /etc/localtime */
  struct it_result r = SKIFF ("run", "--rm", "--tz=Iceland", "--tz=MST7MDT", "busybox", "date", "-d", "@1600000000");
  assert_ok (r);
  cr_assert (strstr (r.out, "MDT 2020"), "%s", r.out);
  it_result_free (&r);
  expect_err (SKIFF ("run", "--rm", "--tz=Nowhere/Nothing", "busybox", "true"),
              "finding timezone: unknown time zone Nowhere/Nothing");
}

/* while stop waits for the timeout, inspect says "stopping" (podman); a kill then ends it */
Test (compat_ctr, stop_shows_stopping_while_it_waits)
{
  rm_f ("cc-stopping");
  struct it_result r = SKIFF ("run", "-d", "--name", "cc-stopping", "busybox", "sh", "-c",
                              "trap 'echo ignored' TERM; while :; do sleep 0.1; done");
  assert_ok (r);
  it_result_free (&r);
  it_msleep (300);
  int fd = -1;
  pid_t pid = it_skiff_spawn ((const char *const[]){ "stop", "-t", "20", "cc-stopping", NULL }, &fd);
  char status[64] = "";
  for (int i = 0; i < 50 && strcmp (status, "stopping\n") != 0; i++)
    {
      it_msleep (100);
      r = SKIFF ("inspect", "--format", "{{.State.Status}}", "cc-stopping");
      snprintf (status, sizeof status, "%s", r.out);
      it_result_free (&r);
    }
  cr_assert_str_eq (status, "stopping\n");
  r = SKIFF ("kill", "cc-stopping");
  assert_ok (r);
  it_result_free (&r);
  int wstatus = 0;
  waitpid (pid, &wstatus, 0);
  close (fd);
  r = SKIFF ("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", "cc-stopping");
  cr_assert_str_eq (r.out, "exited 137\n");
  it_result_free (&r);
  /* started again, it is running, not stopping */
  r = SKIFF ("start", "cc-stopping");
  it_result_free (&r);
  r = SKIFF ("inspect", "--format", "{{.State.Status}}", "cc-stopping");
  cr_assert_str_eq (r.out, "running\n");
  it_result_free (&r);
  rm_f ("cc-stopping");
}

/* rm prints what was typed; a start that fails is 125, as podman */
Test (compat_ctr, rm_echoes_and_start_failure_is_125)
{
  rm_f ("cc-rm");
  struct it_result r = SKIFF ("create", "--name", "cc-rm", "busybox", "/no/such/command");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("start", "cc-rm");
  assert_exit (r, 125);
  it_result_free (&r);
  r = SKIFF ("rm", "cc-rm");
  assert_ok (r);
  cr_assert_str_eq (r.out, "cc-rm\n");
  it_result_free (&r);
}

/* --conmon-pidfile: the monitor's PID, the one inspect shows as .State.ConmonPid, written again at each start */
Test (compat_ctr, conmon_pidfile)
{
  rm_f ("cc-pidfile");
  char path[4096];
  snprintf (path, sizeof path, "%s/cc-conmon.pid", it_dir ());
  unlink (path);
  struct it_result r = SKIFF ("run", "-d", "--name", "cc-pidfile", "--conmon-pidfile", path, "busybox", "sleep", "100");
  assert_ok (r);
  it_result_free (&r);
  char *pid = it_slurp (path);
  cr_assert_not_null (pid, "the pidfile is written");
  r = SKIFF ("inspect", "--format", "{{.State.ConmonPid}} {{.ConmonPidFile}}", "cc-pidfile");
  char want[8192];
  snprintf (want, sizeof want, "%s %s\n", pid, path);
  cr_assert_str_eq (r.out, want);
  cr_assert_neq (atoi (pid), 0);
  it_result_free (&r);
  free (pid);
  r = SKIFF ("stop", "-t", "0", "cc-pidfile");
  it_result_free (&r);
  unlink (path);
  r = SKIFF ("start", "cc-pidfile");
  assert_ok (r);
  it_result_free (&r);
  pid = it_slurp (path);
  cr_assert_not_null (pid, "written again at the next start");
  free (pid);
  rm_f ("cc-pidfile");
}

/* rm --all with more containers than arguments given (it printed past the end of its list and crashed) */
Test (compat_ctr, rm_all_prints_each_id)
{
  char root[600], run[600];
  snprintf (root, sizeof root, "%s/rmall-root", it_dir ());
  snprintf (run, sizeof run, "%s/rmall-run", it_dir ());
  struct it_result r
      = it_skiff_in (root, run, NULL, NULL, (const char *const[]){ "import", it_busybox_tar (), "busybox", NULL });
  assert_ok (r);
  it_result_free (&r);
  char ids[6][ID_LEN + 1];
  for (int i = 0; i < 6; i++)
    {
      r = it_skiff_in (root, run, NULL, NULL, (const char *const[]){ "create", "busybox", "true", NULL });
      assert_ok (r);
      snprintf (ids[i], sizeof ids[i], "%s", r.out);
      it_result_free (&r);
    }
  r = it_skiff_in (root, run, NULL, NULL,
                   (const char *const[]){ "rm", "-t", "0", "--all", "--force", "--ignore", NULL });
  assert_ok (r);
  for (int i = 0; i < 6; i++)
    cr_assert (strstr (r.out, ids[i]), "rm --all prints %s: %s", ids[i], r.out);
  it_result_free (&r);
  r = it_skiff_in (root, run, NULL, NULL, (const char *const[]){ "ps", "-a", "-q", NULL });
  assert_ok (r);
  cr_assert_str_eq (r.out, "");
  it_result_free (&r);
  r = it_skiff_in (root, run, NULL, NULL, (const char *const[]){ "system", "reset", "--force", NULL });
  it_result_free (&r);
}

/* podman's create warnings are bare lines on stderr (its tests compare them whole), not log lines */
Test (compat_ctr, create_warnings_are_bare_lines)
{
  struct it_result r = SKIFF ("run", "--rm", "-p", "8080", "--net=host", "busybox", "echo", "x");
  assert_ok (r);
  cr_assert_str_eq (r.err,
                    "Port mappings have been discarded as one of the Host, Container, Pod, and None network modes are "
                    "in use\n");
  cr_assert_str_eq (r.out, "x\n");
  it_result_free (&r);
  char *ctl = NULL;
  size_t len = 0;
  FILE *f = fopen ("/sys/fs/cgroup/cgroup.controllers", "re");
  bool delegated = f && getline (&ctl, &len, f) > 0 && strstr (ctl, "memory");
  if (f)
    fclose (f);
  free (ctl);
  if (delegated)
    return; /* limits can apply here: no warning to check */
  r = SKIFF ("run", "--rm", "--memory=0", "busybox", "echo", "hello");
  assert_ok (r);
  cr_assert_str_eq (r.err, "Resource limits are not supported and ignored on cgroups V1 rootless systems\n");
  cr_assert_str_eq (r.out, "hello\n");
  it_result_free (&r);
}

/* inspect's LogConfig.Size as go-units writes it: four significant digits */
Test (compat_ctr, log_size_in_podmans_units)
{
  rm_f ("cc-logsize");
  struct it_result r = SKIFF ("create", "--name", "cc-logsize", "--log-opt", "max-size=5.027m", "busybox", "true");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("inspect", "--format", "{{ .HostConfig.LogConfig.Size }}", "cc-logsize");
  assert_ok (r);
  cr_assert_str_eq (r.out, "5.027MB\n");
  it_result_free (&r);
  rm_f ("cc-logsize");
}

/* skiff run ... 4<FILE through a shell: what the container printed (stdout and stderr) and the exit status */
static int
shell_run (const char *skiff_args, const char *file, char **out)
{
  char cmd[2048];
  snprintf (cmd, sizeof cmd, "'%s' --root='%s/root' --runroot='%s/run' %s 4<'%s' 2>&1", getenv ("SKIFF_BINARY"),
            it_dir (), it_dir (), skiff_args, file);
  FILE *p = popen (cmd, "r");
  cr_assert (p);
  size_t len = 0;
  FILE *m = open_memstream (out, &len);
  char buf[512];
  size_t n;
  while ((n = fread (buf, 1, sizeof buf, p)) > 0)
    fwrite (buf, 1, n, m);
  fclose (m);
  int status = pclose (p);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128;
}

/* --preserve-fds=N hands the caller's fds 3..N+2 to the command; without it no fd of the caller's gets in */
Test (compat_ctr, preserve_fds)
{
  char file[600];
  snprintf (file, sizeof file, "%s/preserve-fds.txt", it_dir ());
  FILE *f = fopen (file, "we");
  cr_assert (f);
  fputs ("content-of-fd-4\n", f);
  fclose (f);
  char *out = NULL;
  int st = shell_run ("run --rm -i --preserve-fds=2 busybox sh -c 'cat <&4'", file, &out);
  cr_assert_eq (st, 0, "%s", out);
  cr_assert_str_eq (out, "content-of-fd-4\n");
  free (out);
  st = shell_run ("run --rm busybox sh -c 'cat <&4'", file, &out);
  cr_assert_neq (st, 0, "%s", out);
  cr_assert (strstr (out, "Bad file descriptor"), "%s", out);
  free (out);
  /* detached: the monitor starts it with them */
  rm_f ("cc-pfd");
  st = shell_run ("run -d --name cc-pfd --preserve-fds=2 busybox sh -c 'cat <&4'", file, &out);
  cr_assert_eq (st, 0, "%s", out);
  free (out);
  struct it_result r = SKIFF ("wait", "cc-pfd");
  it_result_free (&r);
  r = SKIFF ("logs", "cc-pfd");
  cr_assert_str_eq (r.out, "content-of-fd-4\n");
  it_result_free (&r);
  rm_f ("cc-pfd");
  expect_err (SKIFF ("run", "--preserve-fds=65", "busybox", "true"), "skiff passes at most 64 descriptors");
  expect_err (SKIFF ("create", "--preserve-fds=1", "busybox", "true"), "unknown flag: --preserve-fds");
}

/* --network container:X names a container that need only exist; X cannot go while another joins it, unless
 * rm --depend (or rm --all, which removes in the order that works) takes the dependents first */
Test (compat_ctr, rm_depend)
{
  char root[600], run[600];
  snprintf (root, sizeof root, "%s/depend-root", it_dir ());
  snprintf (run, sizeof run, "%s/depend-run", it_dir ());
#define IN(...) it_skiff_in (root, run, NULL, NULL, (const char *const[]){ __VA_ARGS__, NULL })
  struct it_result r = IN ("import", it_busybox_tar (), "busybox");
  assert_ok (r);
  it_result_free (&r);
  char d[ID_LEN + 1], c[ID_LEN + 1], net[ID_LEN + 32];
  r = IN ("create", "busybox", "sleep", "100");
  assert_ok (r);
  snprintf (d, sizeof d, "%s", r.out);
  it_result_free (&r);
  snprintf (net, sizeof net, "--net=container:%s", d);
  r = IN ("create", net, "busybox", "true");
  assert_ok (r);
  snprintf (c, sizeof c, "%s", r.out);
  it_result_free (&r);
  r = IN ("rm", d);
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "has dependent containers which must be removed before it"), "%s", r.err);
  cr_assert (strstr (r.err, c), "%s", r.err);
  it_result_free (&r);
  r = IN ("start", c);
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "it is not running (start it first)"), "%s", r.err);
  it_result_free (&r);
  r = IN ("rm", "--depend", d);
  assert_ok (r);
  cr_assert (strstr (r.out, c) && strstr (r.out, d) && strstr (r.out, c) < strstr (r.out, d), "%s", r.out);
  it_result_free (&r);
  /* a chain of three: rm --all takes them in an order that works, each printed once */
  r = IN ("create", "--name", "dep-a", "busybox", "true");
  it_result_free (&r);
  r = IN ("create", "--name", "dep-b", "--net=container:dep-a", "busybox", "true");
  it_result_free (&r);
  r = IN ("create", "--name", "dep-c", "--net=container:dep-b", "busybox", "true");
  assert_ok (r);
  it_result_free (&r);
  r = IN ("rm", "--all");
  assert_ok (r);
  size_t lines = 0;
  for (const char *q = r.out; *q; q++)
    lines += *q == '\n';
  cr_assert_eq (lines, 3, "%s", r.out);
  it_result_free (&r);
  r = IN ("ps", "-a", "-q");
  cr_assert_str_eq (r.out, "");
  it_result_free (&r);
  r = IN ("system", "reset", "--force");
  it_result_free (&r);
#undef IN
}

/* json-file is podman's alias of k8s-file: written and read the same, its name kept */
Test (compat_ctr, log_driver_json_file)
{
  rm_f ("cc-json");
  struct it_result r = SKIFF ("run", "--name", "cc-json", "--log-driver", "json-file", "busybox", "echo", "in-json");
  assert_ok (r);
  cr_assert_str_eq (r.out, "in-json\n");
  it_result_free (&r);
  r = SKIFF ("inspect", "--format", "{{.HostConfig.LogConfig.Type}} {{.HostConfig.LogConfig.Path}}", "cc-json");
  assert_ok (r);
  cr_assert (strncmp (r.out, "json-file /", 11) == 0, "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("logs", "cc-json");
  assert_ok (r);
  cr_assert_str_eq (r.out, "in-json\n");
  it_result_free (&r);
  rm_f ("cc-json");
  expect_err (SKIFF ("run", "--rm", "--log-driver", "journald", "busybox", "true"),
              "invalid log driver \"journald\": skiff supports k8s-file, json-file (its alias), none and passthrough");
}
