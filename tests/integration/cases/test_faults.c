/* Faults: a monitor killed with -9, a skiff killed at chosen points (SKIFF_TEST_CRASH_AT), two rm -f at once,
 * and 100 concurrent run --rm with their exit codes. */
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../harness.h"

static void
freep (void *p)
{
  free (*(void **) p);
}
#define cleanup_free __attribute__ ((cleanup (freep)))

static void
trim (char *s)
{
  size_t n = strlen (s);
  while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
    s[--n] = '\0';
}

static int
inspect_int (const char *name, const char *field)
{
  char fmt[64];
  snprintf (fmt, sizeof fmt, "{{%s}}", field);
  struct it_result r = SKIFF ("inspect", "--format", fmt, name);
  assert_ok (r);
  int v = atoi (r.out);
  it_result_free (&r);
  return v;
}

static char *
inspect_str (const char *name, const char *field)
{
  char fmt[64];
  snprintf (fmt, sizeof fmt, "{{%s}}", field);
  struct it_result r = SKIFF ("inspect", "--format", fmt, name);
  assert_ok (r);
  trim (r.out);
  char *s = strdup (r.out);
  it_result_free (&r);
  return s;
}

/* it_dir()/root/SUB/ARG (+ SUFFIX) exists */
static bool
path_there3 (const char *sub, const char *arg, const char *suffix)
{
  char p[1024];
  snprintf (p, sizeof p, "%s/root/%s/%s%s", it_dir (), sub, arg, suffix);
  struct stat st;
  return lstat (p, &st) == 0;
}

/* nothing of the container is left: no record, no name, no layer */
static void
assert_gone (const char *name, const char *id)
{
  struct it_result r = SKIFF ("container", "exists", name);
  assert_exit (r, 1);
  it_result_free (&r);
  cr_assert (!path_there3 ("engine/names", name, ""), "name link of %s left", name);
  if (id)
    {
      cr_assert (!path_there3 ("engine/containers", id, ".json"), "record of %s left", id);
      cr_assert (!path_there3 ("containers", id, ""), "layer of %s left", id);
    }
}

/* a process that is there and not a zombie (nothing may reap an orphan here) */
static bool
proc_alive (int pid)
{
  char path[64], buf[512] = "";
  snprintf (path, sizeof path, "/proc/%d/stat", pid);
  FILE *f = fopen (path, "re");
  if (f == NULL)
    return false;
  size_t n = fread (buf, 1, sizeof buf - 1, f);
  fclose (f);
  buf[n] = '\0';
  const char *p = strrchr (buf, ')');
  return p && p[2] != 'Z' && p[2] != 'X';
}

/* Today the container dies with its monitor (PR_SET_PDEATHSIG in the runtime), so "the monitor is gone but
 * the container runs" is made here by hand: the monitor is frozen (SIGSTOP) and the record points at a PID
 * that no longer exists. */
Test (faults, monitor_gone_container_runs)
{
  struct it_result r = SKIFF ("run", "-d", "--name", "fx-mon", "busybox", "sleep", "100");
  assert_ok (r);
  it_result_free (&r);
  int mon = inspect_int ("fx-mon", ".State.ConmonPid");
  cleanup_free char *id = inspect_str ("fx-mon", ".Id");
  cr_assert_gt (mon, 0);
  cr_assert_eq (kill (mon, SIGSTOP), 0);
  pid_t dead = fork ();
  if (dead == 0)
    _exit (0);
  waitpid (dead, NULL, 0);
  char path[1024], from[64], to[64];
  snprintf (path, sizeof path, "%s/root/engine/containers/%s.json", it_dir (), id);
  cleanup_free char *rec = it_slurp (path);
  snprintf (from, sizeof from, "\"ConmonPid\":%d,", mon);
  snprintf (to, sizeof to, "\"ConmonPid\":%d,", (int) dead);
  char *at = strstr (rec, from);
  cr_assert (at, "%s", rec);
  char *fixed = malloc (strlen (rec) + 64);
  snprintf (fixed, strlen (rec) + 64, "%.*s%s%s", (int) (at - rec), rec, to, at + strlen (from));
  it_write_text (path, fixed);
  free (fixed);
  /* still running, and saying that its exit code will be lost */
  r = SKIFF ("ps", "--filter", "name=^fx-mon$", "--format", "{{.Names}} {{.State}}");
  cr_assert_str_eq (r.out, "fx-mon running\n");
  it_result_free (&r);
  cleanup_free char *error = inspect_str ("fx-mon", ".State.Error");
  cr_assert (strstr (error, "monitor") && strstr (error, "will be lost"), "%s", error);
  /* stop still works (sleep as PID 1 ignores SIGTERM: the SIGKILL after -t) */
  r = SKIFF ("stop", "-t", "1", "fx-mon");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", "fx-mon");
  cr_assert_str_eq (r.out, "exited -1\n");
  it_result_free (&r);
  cleanup_free char *error2 = inspect_str ("fx-mon", ".State.Error");
  cr_assert (strstr (error2, "exit code was lost"), "%s", error2);
  r = SKIFF ("wait", "fx-mon");
  cr_assert_str_eq (r.out, "-1\n");
  it_result_free (&r);
  kill (mon, SIGKILL);
  r = SKIFF ("rm", "fx-mon");
  assert_ok (r);
  it_result_free (&r);
  assert_gone ("fx-mon", id);
}

/* a monitor killed with -9 takes its container along (PR_SET_PDEATHSIG): the state says exited, code lost */
Test (faults, monitor_killed)
{
  struct it_result r = SKIFF ("run", "-d", "--name", "fx-mk", "busybox", "sleep", "100");
  assert_ok (r);
  it_result_free (&r);
  int mon = inspect_int ("fx-mk", ".State.ConmonPid");
  cr_assert_eq (kill (mon, SIGKILL), 0);
  /* the container dies with its monitor (its parent-death signal): polled, a loaded machine takes a while */
  for (int i = 0; i < 100; i++)
    {
      r = SKIFF ("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}} {{.State.Error}}", "fx-mk");
      if (strncmp (r.out, "running", 7) != 0 || i == 99)
        break;
      it_result_free (&r);
      usleep (100000);
    }
  cr_assert (strstr (r.out, "exited -1 the monitor (pid "), "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("rm", "fx-mk");
  assert_ok (r);
  it_result_free (&r);
}

Test (faults, monitor_and_container_killed)
{
  struct it_result r = SKIFF ("run", "-d", "--name", "fx-both", "busybox", "sleep", "100");
  assert_ok (r);
  it_result_free (&r);
  int mon = inspect_int ("fx-both", ".State.ConmonPid");
  int pid = inspect_int ("fx-both", ".State.Pid");
  cr_assert_eq (kill (mon, SIGKILL), 0);
  cr_assert_eq (kill (pid, SIGKILL), 0);
  for (int i = 0; i < 100; i++)
    {
      r = SKIFF ("ps", "-a", "--filter", "name=^fx-both$", "--format", "{{.State}} {{.Status}}");
      if (strncmp (r.out, "running", 7) != 0 || i == 99)
        break;
      it_result_free (&r);
      usleep (100000);
    }
  cr_assert (strncmp (r.out, "exited Exited (-1) ", 19) == 0, "%s", r.out);
  it_result_free (&r);
  /* the repair was written: the record itself says exited now */
  cleanup_free char *id = inspect_str ("fx-both", ".Id");
  char path[1024];
  snprintf (path, sizeof path, "%s/root/engine/containers/%s.json", it_dir (), id);
  cleanup_free char *rec = it_slurp (path);
  cr_assert (rec && strstr (rec, "\"Status\":\"exited\""), "%s", rec);
  r = SKIFF ("rm", "-f", "fx-both");
  assert_ok (r);
  it_result_free (&r);
  assert_gone ("fx-both", id);
}

Test (faults, rm_f_with_dead_monitor)
{
  struct it_result r = SKIFF ("run", "-d", "--name", "fx-rmf", "busybox", "sleep", "100");
  assert_ok (r);
  it_result_free (&r);
  int mon = inspect_int ("fx-rmf", ".State.ConmonPid");
  int pid = inspect_int ("fx-rmf", ".State.Pid");
  cleanup_free char *id = inspect_str ("fx-rmf", ".Id");
  cr_assert_eq (kill (mon, SIGKILL), 0);
  usleep (100000);
  r = SKIFF ("rm", "-f", "fx-rmf");
  assert_ok (r);
  it_result_free (&r);
  usleep (100000);
  cr_assert (!proc_alive (pid), "the container process is gone");
  assert_gone ("fx-rmf", id);
}

/* skiff killed right after it reserved the name, before the record: the name is freed by the next user */
Test (faults, crash_after_name)
{
  struct it_result r = SKIFF_ENV ("SKIFF_TEST_CRASH_AT=create-name", "run", "-d", "--name", "fx-c1", "busybox", "true");
  assert_exit (r, 128 + SIGKILL);
  it_result_free (&r);
  cr_assert (path_there3 ("engine/names", "fx-c1", ""), "the crash left the name link");
  r = SKIFF ("container", "exists", "fx-c1");
  assert_exit (r, 1);
  it_result_free (&r);
  /* a link that young may be a create in progress; after the grace it is debris */
  sleep (3);
  r = SKIFF ("run", "-d", "--name", "fx-c1", "busybox", "true");
  assert_ok (r);
  trim (r.out);
  cleanup_free char *id = strdup (r.out);
  it_result_free (&r);
  r = SKIFF ("wait", "fx-c1");
  cr_assert_str_eq (r.out, "0\n");
  it_result_free (&r);
  r = SKIFF ("rm", "fx-c1");
  assert_ok (r);
  it_result_free (&r);
  assert_gone ("fx-c1", id);
}

/* killed after the record, before the layer: the record is debris once its creator is gone */
Test (faults, crash_after_record)
{
  struct it_result r
      = SKIFF_ENV ("SKIFF_TEST_CRASH_AT=create-record", "run", "-d", "--name", "fx-c2", "busybox", "true");
  assert_exit (r, 128 + SIGKILL);
  it_result_free (&r);
  cr_assert (path_there3 ("engine/names", "fx-c2", ""));
  r = SKIFF ("ps", "-a", "--filter", "name=^fx-c2$", "--format", "{{.Names}}");
  assert_ok (r);
  cr_assert_str_eq (r.out, "", "the half-made container is not listed");
  it_result_free (&r);
  assert_gone ("fx-c2", NULL);
  r = SKIFF ("run", "--name", "fx-c2", "busybox", "true");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("rm", "fx-c2");
  assert_ok (r);
  it_result_free (&r);
}

static void
crash_rm_at (const char *point, const char *name)
{
  struct it_result r = SKIFF ("create", "--name", name, "busybox", "true");
  assert_ok (r);
  trim (r.out);
  cleanup_free char *id = strdup (r.out);
  it_result_free (&r);
  char env[64];
  snprintf (env, sizeof env, "SKIFF_TEST_CRASH_AT=%s", point);
  r = SKIFF_ENV (env, "rm", name);
  assert_exit (r, 128 + SIGKILL);
  it_result_free (&r);
  cr_assert (path_there3 ("engine/containers", id, ".json"), "the crash left the record");
  cr_assert (!path_there3 ("containers", id, ""), "the layer went first");
  /* the next command sees no container, and the debris is gone */
  r = SKIFF ("ps", "-a", "--format", "{{.Names}}");
  assert_ok (r);
  cr_assert (!strstr (r.out, name), "%s", r.out);
  it_result_free (&r);
  assert_gone (name, id);
  r = SKIFF ("create", "--name", name, "busybox", "true");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("rm", name);
  assert_ok (r);
  it_result_free (&r);
}

Test (faults, crash_in_rm)
{
  crash_rm_at ("rm-layer", "fx-c3");
  crash_rm_at ("rm-name", "fx-c4");
}

Test (faults, two_rm_f_at_once)
{
  for (int round = 0; round < 3; round++)
    {
      struct it_result r = SKIFF ("run", "-d", "--name", "fx-race", "busybox", "sleep", "100");
      assert_ok (r);
      trim (r.out);
      cleanup_free char *id = strdup (r.out);
      it_result_free (&r);
      pid_t kids[2];
      for (int k = 0; k < 2; k++)
        {
          kids[k] = fork ();
          if (kids[k] == 0)
            {
              struct it_result c = SKIFF ("rm", "-f", "fx-race");
              _exit (c.status);
            }
        }
      int zeros = 0;
      for (int k = 0; k < 2; k++)
        {
          int st;
          cr_assert_eq (waitpid (kids[k], &st, 0), kids[k]);
          cr_assert (WIFEXITED (st), "rm -f was killed");
          int code = WEXITSTATUS (st);
          cr_assert (code == 0 || code == 1, "rm -f exited %d", code);
          zeros += code == 0;
        }
      cr_assert_geq (zeros, 1);
      assert_gone ("fx-race", id);
    }
}

#define CONCURRENT_RUNS 100

Test (faults, hundred_concurrent_run_rm, .timeout = 300)
{
  struct it_result before = SKIFF ("ps", "-a", "-q");
  assert_ok (before);
  pid_t kids[CONCURRENT_RUNS];
  int want[CONCURRENT_RUNS];
  srand ((unsigned) getpid ());
  for (int i = 0; i < CONCURRENT_RUNS; i++)
    {
      want[i] = rand () % 120;
      kids[i] = fork ();
      cr_assert_geq (kids[i], 0);
      if (kids[i] == 0)
        {
          char cmd[32];
          snprintf (cmd, sizeof cmd, "exit %d", want[i]);
          struct it_result r = SKIFF ("run", "--rm", "busybox", "sh", "-c", cmd);
          if (r.status != want[i])
            fprintf (stderr, "run %d: exit %d, want %d: %s\n", i, r.status, want[i], r.err);
          _exit (r.status);
        }
    }
  int wrong = 0;
  for (int i = 0; i < CONCURRENT_RUNS; i++)
    {
      int st;
      cr_assert_eq (waitpid (kids[i], &st, 0), kids[i]);
      if (!WIFEXITED (st) || WEXITSTATUS (st) != want[i])
        wrong++;
    }
  cr_assert_eq (wrong, 0, "%d of %d runs returned another exit code", wrong, CONCURRENT_RUNS);
  /* --rm: nothing of them is left */
  struct it_result after = SKIFF ("ps", "-a", "-q");
  assert_ok (after);
  cr_assert_str_eq (after.out, before.out);
  it_result_free (&before);
  it_result_free (&after);
}

/* a record of a container that ran under another boot: its PIDs name other processes now */
Test (faults, record_from_another_boot)
{
  struct it_result r = SKIFF ("run", "-d", "--name", "oldboot", "busybox", "sleep", "3");
  assert_ok (r);
  char id[80];
  snprintf (id, sizeof id, "%.64s", r.out);
  it_result_free (&r);
  char path[600];
  snprintf (path, sizeof path, "%s/root/engine/containers/%s.json", it_dir (), id);
  char *text = it_slurp (path);
  cr_assert (text && strstr (text, "\"BootId\""), "%s", text ? text : "(no record)");
  char *b = strstr (text, "\"BootId\"");
  char *q = strchr (b + 9, '"'); /* the opening quote of the value */
  cr_assert (q && q[1] != '"');
  q[1] = q[1] == '0' ? '1' : '0'; /* another boot */
  it_write_text (path, text);
  free (text);
  r = SKIFF ("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}} {{.State.Error}}", "oldboot");
  assert_ok (r);
  cr_assert (strstr (r.out, "exited -1 the system restarted"), "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("rm", "-f", "oldboot");
  assert_ok (r);
  it_result_free (&r);
}

/* podman's reset removes running containers too: nothing of them may outlive it */
Test (faults, system_reset_stops_what_runs)
{
  char root[600], run[600];
  snprintf (root, sizeof root, "%s/reset-root", it_dir ());
  snprintf (run, sizeof run, "%s/reset-run", it_dir ());
  struct it_result r
      = it_skiff_in (root, run, NULL, NULL, (const char *const[]){ "import", it_busybox_tar (), "busybox", NULL });
  assert_ok (r);
  it_result_free (&r);
  r = it_skiff_in (root, run, NULL, NULL,
                   (const char *const[]){ "run", "-d", "--name", "r1", "busybox", "sleep", "1000", NULL });
  assert_ok (r);
  it_result_free (&r);
  r = it_skiff_in (root, run, NULL, NULL,
                   (const char *const[]){ "inspect", "--format", "{{.State.Pid}} {{.State.ConmonPid}}", "r1", NULL });
  int pid = 0, mon = 0;
  cr_assert_eq (sscanf (r.out, "%d %d", &pid, &mon), 2, "%s", r.out);
  it_result_free (&r);
  r = it_skiff_in (root, run, NULL, NULL, (const char *const[]){ "system", "reset", "--force", NULL });
  assert_ok (r);
  it_result_free (&r);
  /* killed; a zombie until its reaper runs is gone enough, so look at the state */
  for (int i = 0; i < 100; i++)
    {
      char path[64], stat[512] = "";
      snprintf (path, sizeof path, "/proc/%d/stat", pid);
      FILE *f = fopen (path, "r");
      if (f == NULL)
        return;
      size_t n = fread (stat, 1, sizeof stat - 1, f);
      fclose (f);
      stat[n] = '\0';
      char *rp = strrchr (stat, ')');
      if (rp && rp[2] == 'Z')
        return;
      usleep (20000);
    }
  cr_assert_fail ("the container (pid %d) outlived system reset", pid);
}

/* What the caller left open stays with the caller: not in the container, not held by the monitor (a pipe
 * the monitor held would keep `skiff run -d ... | cat` waiting for the container's end) */
Test (faults, inherited_descriptors_stay_outside)
{
  char cmd[2048];
  snprintf (cmd, sizeof cmd,
            "exec 7>/dev/null; %s --root %s/root --runroot %s/run run --rm busybox ls /proc/self/fd > %s/fds.txt",
            getenv ("SKIFF_BINARY"), it_dir (), it_dir (), it_dir ());
  cr_assert_eq (system (cmd), 0, "%s", cmd);
  char path[600];
  snprintf (path, sizeof path, "%s/fds.txt", it_dir ());
  char *fds = it_slurp (path);
  cr_assert_str_eq (fds, "0\n1\n2\n3\n", "descriptors in the container: %s", fds);
  free (fds);
  snprintf (cmd, sizeof cmd,
            "sh -c '%s --root %s/root --runroot %s/run run -d --name heldpipe busybox sleep 5 5>&1 >/dev/null' | cat",
            getenv ("SKIFF_BINARY"), it_dir (), it_dir ());
  struct timespec a, b;
  clock_gettime (CLOCK_MONOTONIC, &a);
  cr_assert_eq (system (cmd), 0, "%s", cmd);
  clock_gettime (CLOCK_MONOTONIC, &b);
  double secs = (double) (b.tv_sec - a.tv_sec) + (double) (b.tv_nsec - a.tv_nsec) / 1e9;
  cr_assert (secs < 3, "the pipe stayed open %.1f s: the monitor held the caller's descriptor", secs);
  struct it_result r = SKIFF ("rm", "-f", "heldpipe");
  it_result_free (&r);
}
