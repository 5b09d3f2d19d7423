/* skiff run: namespaces, identity, security defaults, exit codes, signals, terminal. */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../harness.h"

Test (run, true_exits_zero)
{
  struct it_result r = SKIFF ("run", "--rm", "busybox", "true");
  assert_ok (r);
  cr_assert_str_eq (r.out, "");
  it_result_free (&r);
}

Test (run, uid_map_is_the_subordinate_range)
{
  struct it_result r = SKIFF ("run", "--rm", "busybox", "cat", "/proc/self/uid_map");
  assert_ok (r);
  char own[64];
  snprintf (own, sizeof own, "%u", (unsigned) getuid ());
  /* line 1: 0 -> our uid, size 1; line 2: 1 -> the subordinate range start */
  unsigned a, b, c, d, e, f;
  int n = sscanf (r.out, "%u %u %u %u %u %u", &a, &b, &c, &d, &e, &f);
  cr_assert_eq (n, 6, "expected two ranges, got: %s", r.out);
  cr_assert_eq (a, 0);
  cr_assert_eq (b, getuid ());
  cr_assert_eq (c, 1);
  cr_assert_eq (d, 1);
  cr_assert_gt (f, 1000, "subordinate range too small: %s", r.out);
  /* the range is the one /etc/subuid gives us */
  FILE *sf = fopen ("/etc/subuid", "r");
  cr_assert_not_null (sf);
  char line[256];
  bool found = false;
  while (fgets (line, sizeof line, sf))
    {
      char *p = strchr (line, ':');
      unsigned start, count;
      if (p && sscanf (p + 1, "%u:%u", &start, &count) == 2 && start == e && count == f)
        found = true;
    }
  fclose (sf);
  cr_assert (found, "range %u %u is not in /etc/subuid", e, f);
  it_result_free (&r);
}

Test (run, pid1_is_the_command_and_host_processes_are_hidden)
{
  struct it_result r = SKIFF ("run", "--rm", "busybox", "sh", "-c", "echo $$; ls /proc | grep -c '^[0-9]'");
  assert_ok (r);
  int pid = 0, count = 0;
  cr_assert_eq (sscanf (r.out, "%d %d", &pid, &count), 2, "%s", r.out);
  cr_assert_eq (pid, 1);
  /* sh, ls and grep at most */
  cr_assert_leq (count, 3, "host processes visible: %d", count);
  it_result_free (&r);
}

Test (run, hostname_default_and_option)
{
  struct it_result r
      = SKIFF ("run", "--rm", "--hostname", "skiffy", "busybox", "sh", "-c", "hostname; cat /etc/hostname");
  assert_ok (r);
  cr_assert_str_eq (r.out, "skiffy\nskiffy\n");
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "busybox", "hostname");
  assert_ok (r);
  cr_assert_eq (strlen (r.out), 13, "default hostname should be 12 hex chars: %s", r.out);
  it_result_free (&r);
}

Test (run, default_capabilities_and_cap_drop)
{
  struct it_result r = SKIFF ("run", "--rm", "busybox", "grep", "CapEff", "/proc/self/status");
  assert_ok (r);
  cr_assert_str_eq (r.out, "CapEff:\t00000000800405fb\n");
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "--cap-drop", "CHOWN", "busybox", "grep", "CapEff", "/proc/self/status");
  assert_ok (r);
  cr_assert_str_eq (r.out, "CapEff:\t00000000800405fa\n");
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "--cap-drop", "all", "--cap-add", "net_raw", "busybox", "grep", "CapBnd",
             "/proc/self/status");
  assert_ok (r);
  cr_assert_str_eq (r.out, "CapBnd:\t0000000000002000\n");
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "--cap-add", "NOPE", "busybox", "true");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "NOPE"), "%s", r.err);
  it_result_free (&r);
}

Test (run, non_root_user_has_no_effective_capabilities)
{
  struct it_result r
      = SKIFF ("run", "--rm", "-u", "www-data", "busybox", "sh", "-c", "id -u; id -g; grep CapEff /proc/self/status");
  assert_ok (r);
  cr_assert_str_eq (r.out, "33\n33\nCapEff:\t0000000000000000\n");
  it_result_free (&r);
}

Test (run, seccomp_filter_is_on_and_blocks)
{
  struct it_result r = SKIFF ("run", "--rm", "busybox", "grep", "^Seccomp:", "/proc/self/status");
  assert_ok (r);
  cr_assert_str_eq (r.out, "Seccomp:\t2\n");
  it_result_free (&r);
  /* personality(ADDR_NO_RANDOMIZE) is outside podman's allow list: ENOSYS (38) under the default profile ... */
  r = SKIFF ("run", "--rm", "busybox", "sysprobe", "personality");
  assert_exit (r, 1);
  cr_assert_str_eq (r.out, "errno 38\n");
  it_result_free (&r);
  /* ... and allowed without the filter, which shows that the filter is what refused it */
  r = SKIFF ("run", "--rm", "--security-opt", "seccomp=unconfined", "busybox", "sh", "-c",
             "grep ^Seccomp: /proc/self/status; sysprobe personality");
  assert_ok (r);
  cr_assert_str_eq (r.out, "Seccomp:\t0\nok\n");
  it_result_free (&r);
}

Test (run, seccomp_profile_file)
{
  char path[512];
  snprintf (path, sizeof path, "%s/deny-mkdir.json", it_dir ());
  FILE *f = fopen (path, "w");
  cr_assert_not_null (f);
  fputs ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\",\"mkdirat\"],"
         "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1}]}",
         f);
  fclose (f);
  char opt[600];
  snprintf (opt, sizeof opt, "seccomp=%s", path);
  struct it_result r
      = SKIFF ("run", "--rm", "--security-opt", opt, "busybox", "sh", "-c", "mkdir /tmp/x || echo refused");
  assert_ok (r);
  cr_assert (strstr (r.out, "refused"), "%s %s", r.out, r.err);
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "--security-opt", "seccomp=/nonexistent.json", "busybox", "true");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "/nonexistent.json"), "%s", r.err);
  it_result_free (&r);
}

Test (run, no_new_privileges)
{
  struct it_result r = SKIFF ("run", "--rm", "busybox", "grep", "NoNewPrivs", "/proc/self/status");
  assert_ok (r);
  cr_assert_str_eq (r.out, "NoNewPrivs:\t0\n");
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "--security-opt", "no-new-privileges", "busybox", "grep", "NoNewPrivs",
             "/proc/self/status");
  assert_ok (r);
  cr_assert_str_eq (r.out, "NoNewPrivs:\t1\n");
  it_result_free (&r);
}

Test (run, privileged)
{
  struct it_result r
      = SKIFF ("run", "--rm", "--privileged", "busybox", "sh", "-c",
               "grep -E '^(Seccomp|CapEff):' /proc/self/status; test -c /proc/keys && echo masked || echo unmasked");
  assert_ok (r);
  cr_assert (strstr (r.out, "Seccomp:\t0\n"), "%s", r.out);
  cr_assert (!strstr (r.out, "CapEff:\t00000000800405fb"), "%s", r.out);
  cr_assert (strstr (r.out, "unmasked"), "%s", r.out);
  it_result_free (&r);
}

Test (run, image_file_ownership_survives)
{
  struct it_result r = SKIFF ("run", "--rm", "busybox", "stat", "-c", "%u:%g", "/srv/www/index.html", "/etc/passwd");
  assert_ok (r);
  cr_assert_str_eq (r.out, "33:33\n0:0\n");
  it_result_free (&r);
}

Test (run, read_only)
{
  struct it_result r = SKIFF ("run", "--rm", "--read-only", "busybox", "sh", "-c",
                              "touch /x 2>/dev/null && echo wrote || echo refused; touch /tmp/ok && echo tmp-ok");
  assert_ok (r);
  cr_assert_str_eq (r.out, "refused\ntmp-ok\n");
  it_result_free (&r);
}

Test (run, exit_codes)
{
  struct it_result r = SKIFF ("run", "--rm", "busybox", "sh", "-c", "exit 42");
  assert_exit (r, 42);
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "busybox", "false");
  assert_exit (r, 1);
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "busybox", "/nonexistent-command");
  assert_exit (r, 127);
  cr_assert (strstr (r.err, "/nonexistent-command"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "busybox", "nosuchcommand");
  assert_exit (r, 127);
  cr_assert (strstr (r.err, "not found"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "busybox", "/etc/passwd");
  assert_exit (r, 126);
  cr_assert (strstr (r.err, "exec: \"/etc/passwd\": permission denied: OCI permission denied"), "%s", r.err);
  it_result_free (&r);
  /* a --workdir that is not there is podman's error (an image's working directory is made) */
  r = SKIFF ("run", "--rm", "--workdir", "/i/do/not/exist", "busybox", "pwd");
  assert_exit (r, 126);
  cr_assert (strstr (r.err, "Error: workdir \"/i/do/not/exist\" does not exist on container "), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "--workdir", "/tmp", "busybox", "pwd");
  assert_ok (r);
  cr_assert_str_eq (r.out, "/tmp\n");
  it_result_free (&r);
  /* runc's words, which podman's tests look for */
  r = SKIFF ("run", "--rm", "busybox", "/etc");
  assert_exit (r, 126);
  cr_assert (strstr (r.err, "exec: \"/etc\": is a directory: permission denied"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "--bogus-flag", "busybox", "true");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "unknown flag: --bogus-flag"), "%s", r.err);
  it_result_free (&r);
}

/* pid of the process whose command line is exactly "sleep <arg>", or -1 */
static pid_t
find_sleep (const char *arg)
{
  DIR *d = opendir ("/proc");
  struct dirent *de;
  pid_t found = -1;
  while (d && (de = readdir (d)))
    {
      char path[300], buf[256];
      snprintf (path, sizeof path, "/proc/%s/cmdline", de->d_name);
      FILE *f = fopen (path, "r");
      if (!f)
        continue;
      size_t n = fread (buf, 1, sizeof buf - 1, f);
      fclose (f);
      buf[n] = '\0';
      if (n > 6 && strcmp (buf, "sleep") == 0 && strcmp (buf + 6, arg) == 0)
        found = atoi (de->d_name);
    }
  if (d)
    closedir (d);
  return found;
}

Test (run, killed_by_a_signal_gives_128_plus_n)
{
  int out;
  pid_t pid = it_skiff_spawn ((const char *const[]){ "run", "--rm", "busybox", "sleep", "4242", NULL }, &out);
  pid_t c = -1;
  for (int i = 0; i < 200 && c < 0; i++)
    {
      usleep (20000);
      c = find_sleep ("4242");
    }
  cr_assert_gt (c, 0, "the container process did not appear");
  cr_assert_eq (kill (c, SIGKILL), 0);
  int status;
  waitpid (pid, &status, 0);
  close (out);
  cr_assert (WIFEXITED (status) && WEXITSTATUS (status) == 137, "status %d", status);
}

Test (run, sigterm_reaches_the_process)
{
  int out;
  pid_t pid = it_skiff_spawn (
      (const char *const[]){ "run", "--rm", "busybox", "sh", "-c",
                             "trap 'echo got-term; exit 7' TERM; echo ready; while :; do sleep 0.05; done", NULL },
      &out);
  char buf[4096] = "";
  size_t n = 0;
  struct pollfd p = { .fd = out, .events = POLLIN };
  while (!strstr (buf, "ready") && poll (&p, 1, 20000) > 0)
    {
      ssize_t r = read (out, buf + n, sizeof buf - n - 1);
      if (r <= 0)
        break;
      n += (size_t) r;
      buf[n] = '\0';
    }
  cr_assert (strstr (buf, "ready"), "container did not start: %s", buf);
  kill (pid, SIGTERM);
  int status;
  waitpid (pid, &status, 0);
  ssize_t r;
  while ((r = read (out, buf + n, sizeof buf - n - 1)) > 0)
    n += (size_t) r;
  buf[n] = '\0';
  cr_assert (WIFEXITED (status) && WEXITSTATUS (status) == 7, "status %d, output %s", status, buf);
  cr_assert (strstr (buf, "got-term"), "%s", buf);
  close (out);
}

Test (run, tty_gives_a_terminal)
{
  int master, slave;
  struct winsize ws = { .ws_row = 33, .ws_col = 101 };
  cr_assert_eq (openpty (&master, &slave, NULL, NULL, &ws), 0);
  char root[512], run[512];
  snprintf (root, sizeof root, "--root=%s/root", it_dir ());
  snprintf (run, sizeof run, "--runroot=%s/run", it_dir ());
  pid_t pid = fork ();
  if (pid == 0)
    {
      setsid ();
      ioctl (slave, TIOCSCTTY, 0);
      dup2 (slave, 0);
      dup2 (slave, 1);
      dup2 (slave, 2);
      close (master);
      execl (getenv ("SKIFF_BINARY"), "skiff", root, run, "run", "--rm", "-t", "busybox", "sh", "-c",
             "tty; stty size; test -t 0 && echo is-a-tty", (char *) NULL);
      _exit (99);
    }
  close (slave);
  char buf[8192] = "";
  size_t n = 0;
  for (;;)
    {
      struct pollfd p = { .fd = master, .events = POLLIN };
      if (poll (&p, 1, 20000) <= 0)
        break;
      ssize_t r = read (master, buf + n, sizeof buf - n - 1);
      if (r <= 0)
        break;
      n += (size_t) r;
      buf[n] = '\0';
    }
  int status;
  waitpid (pid, &status, 0);
  cr_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0, "status %d: %s", status, buf);
  cr_assert (strstr (buf, "/dev/pts/0"), "%s", buf);
  cr_assert (strstr (buf, "33 101"), "window size not passed: %s", buf);
  cr_assert (strstr (buf, "is-a-tty"), "%s", buf);
  close (master);
}

Test (run, interactive_stdin)
{
  struct it_result r = SKIFF_IN ("hello from stdin\n", "run", "--rm", "-i", "busybox", "cat");
  assert_ok (r);
  cr_assert_str_eq (r.out, "hello from stdin\n");
  it_result_free (&r);
  /* without -i the container's stdin is empty */
  r = SKIFF_IN ("ignored\n", "run", "--rm", "busybox", "cat");
  assert_ok (r);
  cr_assert_str_eq (r.out, "");
  it_result_free (&r);
}

Test (run, env_workdir_user_entrypoint)
{
  char envfile[512];
  snprintf (envfile, sizeof envfile, "%s/env.list", it_dir ());
  FILE *f = fopen (envfile, "w");
  fputs ("# comment\nFROM_FILE=yes\nOVERRIDDEN=file\n", f);
  fclose (f);
  struct it_result r = SKIFF_ENV ("SKIFF_IT_PASS=passed", "run", "--rm", "--env-file", envfile, "-e", "OVERRIDDEN=flag",
                                  "-e", "SKIFF_IT_PASS", "-w", "/srv", "busybox", "sh", "-c",
                                  "echo $FROM_FILE $OVERRIDDEN $SKIFF_IT_PASS $(pwd) $container");
  assert_ok (r);
  cr_assert_str_eq (r.out, "yes flag passed /srv podman\n");
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "-u", "tester", "busybox", "sh", "-c", "id -u; id -G; echo $HOME");
  assert_ok (r);
  cr_assert_str_eq (r.out, "1000\n1000 50\n/home/tester\n");
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "-u", "1000:33", "busybox", "id");
  assert_ok (r);
  cr_assert (strstr (r.out, "uid=1000") && strstr (r.out, "gid=33"), "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "-u", "nosuchuser", "busybox", "true");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "nosuchuser"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "--entrypoint", "[\"echo\",\"from-entrypoint\"]", "busybox", "arg");
  assert_ok (r);
  cr_assert_str_eq (r.out, "from-entrypoint arg\n");
  it_result_free (&r);
  /* a -w that is not there is podman's error (run::exit_codes); one that is, is the command's */
  r = SKIFF ("run", "--rm", "-w", "/usr/bin", "busybox", "pwd");
  assert_ok (r);
  cr_assert_str_eq (r.out, "/usr/bin\n");
  it_result_free (&r);
}

Test (run, ulimit)
{
  struct it_result r
      = SKIFF ("run", "--rm", "--ulimit", "nofile=512:1024", "busybox", "sh", "-c", "ulimit -n; ulimit -Hn");
  assert_ok (r);
  cr_assert_str_eq (r.out, "512\n1024\n");
  it_result_free (&r);
  struct rlimit rl;
  getrlimit (RLIMIT_NOFILE, &rl);
  char big[64];
  snprintf (big, sizeof big, "nofile=%llu:%llu", (unsigned long long) rl.rlim_max + 1,
            (unsigned long long) rl.rlim_max + 1);
  r = SKIFF ("run", "--rm", "--ulimit", big, "busybox", "true");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "hard limit"), "%s", r.err);
  it_result_free (&r);
  /* by default the soft limit is raised to the hard one, never above */
  r = SKIFF ("run", "--rm", "busybox", "sh", "-c", "ulimit -n");
  assert_ok (r);
  cr_assert_eq (strtoull (r.out, NULL, 10), rl.rlim_max, "%s", r.out);
  it_result_free (&r);
}

Test (run, filesystem_layout)
{
  struct it_result r = SKIFF ("run", "--rm", "busybox", "sh", "-c",
                              "for d in null zero full random urandom tty; do test -c /dev/$d || echo missing $d; done;"
                              "test -L /dev/ptmx && test -d /dev/pts && echo pts;"
                              "grep -q ' /dev/shm ' /proc/mounts && echo shm;"
                              "grep -q ' /dev/mqueue ' /proc/mounts && echo mqueue;"
                              "touch /sys/x 2>/dev/null || echo sys-ro;"
                              "test -c /proc/keys && echo keys-masked;"
                              "test -d /sys/firmware && test -z \"$(ls -A /sys/firmware)\" && echo firmware-masked;"
                              "test -z \"$(ls -A /sys/dev/block)\" && echo block-masked;"
                              "echo 1 > /proc/sys/kernel/domainname 2>/dev/null || echo procsys-ro;"
                              "grep -q localhost /etc/hosts && echo hosts;"
                              "test -f /etc/resolv.conf && echo resolv");
  assert_ok (r);
  cr_assert_str_eq (
      r.out, "pts\nshm\nmqueue\nsys-ro\nkeys-masked\nfirmware-masked\nblock-masked\nprocsys-ro\nhosts\nresolv\n");
  it_result_free (&r);
}

Test (run, name_and_rm)
{
  struct it_result r = SKIFF ("run", "--name", "named-one", "busybox", "true");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("run", "--name", "named-one", "busybox", "true");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "already in use"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "--name", "named-two", "busybox", "true");
  assert_ok (r);
  it_result_free (&r);
  /* --rm freed the name */
  r = SKIFF ("run", "--rm", "--name", "named-two", "busybox", "true");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("rm", "named-one");
  assert_ok (r);
  it_result_free (&r);
}

Test (run, resource_limits_are_reported_not_fatal)
{
  struct it_result r = SKIFF ("run", "--rm", "--memory", "64m", "--pids-limit", "100", "busybox", "echo", "ran");
  assert_ok (r);
  cr_assert_str_eq (r.out, "ran\n");
  /* either podman's cgroups v1 rootless warning (its words exactly) or the plain one: never silence */
  cr_assert (strstr (r.err, "Resource limits are not supported and ignored") || strstr (r.err, "--memory"), "%s",
             r.err);
  it_result_free (&r);
}

/* Read from fd until needle appears or 20 s pass; returns what was read. */
static void
read_until (int fd, char *buf, size_t cap, size_t *n, const char *needle)
{
  while (!strstr (buf, needle))
    {
      struct pollfd p = { .fd = fd, .events = POLLIN };
      if (poll (&p, 1, 20000) <= 0)
        break;
      ssize_t r = read (fd, buf + *n, cap - *n - 1);
      if (r <= 0)
        break;
      *n += (size_t) r;
      buf[*n] = '\0';
    }
}

Test (run, tty_follows_window_size_and_relays_input)
{
  int master, slave;
  struct winsize ws = { .ws_row = 24, .ws_col = 80 };
  cr_assert_eq (openpty (&master, &slave, NULL, NULL, &ws), 0);
  char root[512], run[512];
  snprintf (root, sizeof root, "--root=%s/root", it_dir ());
  snprintf (run, sizeof run, "--runroot=%s/run", it_dir ());
  pid_t pid = fork ();
  if (pid == 0)
    {
      setsid ();
      ioctl (slave, TIOCSCTTY, 0);
      dup2 (slave, 0);
      dup2 (slave, 1);
      dup2 (slave, 2);
      close (master);
      execl (getenv ("SKIFF_BINARY"), "skiff", root, run, "run", "--rm", "-it", "busybox", "sh", "-c",
             "echo first $(stty size); read line; echo got-$line $(stty size)", (char *) NULL);
      _exit (99);
    }
  close (slave);
  char buf[8192] = "";
  size_t n = 0;
  read_until (master, buf, sizeof buf, &n, "first 24 80");
  cr_assert (strstr (buf, "first 24 80"), "%s", buf);
  /* resizing the terminal sends SIGWINCH to skiff, which resizes the container's terminal */
  ws.ws_row = 40;
  ws.ws_col = 120;
  cr_assert_eq (ioctl (master, TIOCSWINSZ, &ws), 0);
  usleep (200000);
  cr_assert_eq (write (master, "hello\r", 6), 6);
  read_until (master, buf, sizeof buf, &n, "got-hello 40 120");
  int status;
  waitpid (pid, &status, 0);
  cr_assert (strstr (buf, "got-hello 40 120"), "%s", buf);
  cr_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0, "status %d: %s", status, buf);
  close (master);
}
