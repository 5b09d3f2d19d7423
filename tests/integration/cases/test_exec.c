/* skiff exec: a process in a running container's namespaces, environment, identity and confinement. */
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../harness.h"

static bool
starts_with (const char *s, const char *prefix)
{
  return s && strncmp (s, prefix, strlen (prefix)) == 0;
}

static void
start (const char *name, const char *const *extra)
{
  const char *args[32] = { "run", "-d", "--name", name };
  size_t n = 4;
  for (size_t i = 0; extra && extra[i]; i++)
    args[n++] = extra[i];
  args[n++] = "busybox";
  args[n++] = "sh";
  args[n++] = "-c";
  args[n++] = "echo from-the-container > /tmp/marker; exec sleep 100";
  args[n] = NULL;
  struct it_result r = it_skiff (NULL, NULL, args);
  assert_ok (r);
  it_result_free (&r);
  /* the marker is written before sleep: wait until the container's command is sleep */
  for (int i = 0; i < 100; i++)
    {
      r = SKIFF ("exec", name, "cat", "/proc/1/cmdline");
      bool up = r.status == 0 && starts_with (r.out, "sleep");
      it_result_free (&r);
      if (up)
        return;
      usleep (50000);
    }
  cr_assert_fail ("container %s did not start", name);
}

static void
remove_container (const char *name)
{
  struct it_result r = SKIFF ("rm", "-f", name);
  assert_ok (r);
  it_result_free (&r);
}

Test (exec, shares_the_pid_namespace_files_and_hostname)
{
  start ("ex-ns", (const char *const[]){ "--hostname", "exhost", NULL });
  struct it_result r = SKIFF ("exec", "ex-ns", "sh", "-c",
                              "tr '\\0' ' ' < /proc/1/cmdline; echo; ls /proc | grep -qx $$ && echo self-seen; "
                              "hostname; cat /tmp/marker; pwd");
  assert_ok (r);
  cr_assert_str_eq (r.out, "sleep 100 \nself-seen\nexhost\nfrom-the-container\n/\n");
  it_result_free (&r);
  /* ps sees exactly PID 1 and the exec'd processes */
  r = SKIFF ("exec", "ex-ns", "ps", "-o", "pid,args");
  assert_ok (r);
  cr_assert (strstr (r.out, "    1 sleep 100"), "%s", r.out);
  cr_assert (strstr (r.out, "ps -o pid,args"), "%s", r.out);
  it_result_free (&r);
  remove_container ("ex-ns");
}

Test (exec, environment_and_overrides)
{
  start ("ex-env", (const char *const[]){ "-e", "FOO=bar", "-e", "KEEP=1", NULL });
  struct it_result r = SKIFF ("exec", "ex-env", "sh", "-c", "echo $FOO $KEEP $container $HOME $HOSTNAME");
  assert_ok (r);
  cr_assert (starts_with (r.out, "bar 1 podman /root "), "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("exec", "-e", "FOO=over", "-e", "NEW=x", "ex-env", "sh", "-c", "echo $FOO $KEEP $NEW");
  assert_ok (r);
  cr_assert_str_eq (r.out, "over 1 x\n");
  it_result_free (&r);
  /* --env-file first, -e over it */
  char file[512];
  snprintf (file, sizeof file, "%s/exec.env", it_dir ());
  FILE *f = fopen (file, "w");
  cr_assert (f);
  fputs ("# comment\nFROMFILE=1\nFOO=file\n", f);
  fclose (f);
  r = SKIFF ("exec", "--env-file", file, "-e", "FOO=cli", "ex-env", "sh", "-c", "echo $FROMFILE $FOO");
  assert_ok (r);
  cr_assert_str_eq (r.out, "1 cli\n");
  it_result_free (&r);
  remove_container ("ex-env");
}

Test (exec, user_and_workdir)
{
  start ("ex-user", NULL);
  struct it_result r = SKIFF ("exec", "ex-user", "sh", "-c", "id -u; grep CapEff /proc/self/status");
  assert_ok (r);
  cr_assert_str_eq (r.out, "0\nCapEff:\t00000000800405fb\n");
  it_result_free (&r);
  r = SKIFF ("exec", "-u", "www-data", "ex-user", "sh", "-c",
             "id -u; id -g; echo $HOME; grep CapEff /proc/self/status");
  assert_ok (r);
  cr_assert_str_eq (r.out, "33\n33\n/var/www\nCapEff:\t0000000000000000\n");
  it_result_free (&r);
  r = SKIFF ("exec", "-w", "/tmp", "ex-user", "pwd");
  assert_ok (r);
  cr_assert_str_eq (r.out, "/tmp\n");
  it_result_free (&r);
  remove_container ("ex-user");
}

Test (exec, exit_codes)
{
  start ("ex-codes", NULL);
  struct it_result r = SKIFF ("exec", "ex-codes", "true");
  assert_exit (r, 0);
  it_result_free (&r);
  r = SKIFF ("exec", "ex-codes", "sh", "-c", "exit 3");
  assert_exit (r, 3);
  it_result_free (&r);
  r = SKIFF ("exec", "ex-codes", "/etc/passwd");
  assert_exit (r, 126);
  it_result_free (&r);
  r = SKIFF ("exec", "ex-codes", "no-such-command");
  assert_exit (r, 127);
  it_result_free (&r);
  r = SKIFF ("exec", "no-such-container", "true");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "no such container"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("exec", "ex-codes");
  assert_exit (r, 125);
  it_result_free (&r);
  remove_container ("ex-codes");
}

Test (exec, stopped_container_is_refused)
{
  struct it_result r = SKIFF ("run", "-d", "--name", "ex-stopped", "busybox", "true");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("wait", "ex-stopped");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("exec", "ex-stopped", "true");
  assert_exit (r, 125);
  cr_assert_str_eq (r.err, "Error: can only create exec sessions on running containers: container state improper\n");
  it_result_free (&r);
  remove_container ("ex-stopped");
}

Test (exec, same_capabilities_and_seccomp_as_the_container)
{
  start ("ex-sec", NULL);
  struct it_result r = SKIFF ("exec", "ex-sec", "grep", "-E", "^(CapEff|Seccomp|NoNewPrivs):", "/proc/self/status");
  assert_ok (r);
  cr_assert_str_eq (r.out, "CapEff:\t00000000800405fb\nNoNewPrivs:\t0\nSeccomp:\t2\n");
  it_result_free (&r);
  /* --privileged: every capability, no filter */
  r = SKIFF ("exec", "--privileged", "ex-sec", "grep", "-E", "^(CapEff|Seccomp):", "/proc/self/status");
  assert_ok (r);
  cr_assert (strstr (r.out, "Seccomp:\t0\n"), "%s", r.out);
  cr_assert (!strstr (r.out, "CapEff:\t00000000800405fb"), "%s", r.out);
  it_result_free (&r);
  remove_container ("ex-sec");

  /* the container's own --cap-drop, no-new-privileges and seccomp=unconfined carry over */
  start ("ex-sec2", (const char *const[]){ "--cap-drop", "CHOWN", "--security-opt", "no-new-privileges",
                                           "--security-opt", "seccomp=unconfined", NULL });
  r = SKIFF ("exec", "ex-sec2", "grep", "-E", "^(CapEff|Seccomp|NoNewPrivs):", "/proc/self/status");
  assert_ok (r);
  cr_assert_str_eq (r.out, "CapEff:\t00000000800405fa\nNoNewPrivs:\t1\nSeccomp:\t0\n");
  it_result_free (&r);
  remove_container ("ex-sec2");
}

Test (exec, interactive_stdin)
{
  start ("ex-stdin", NULL);
  struct it_result r = SKIFF_IN ("hello from stdin\n", "exec", "-i", "ex-stdin", "cat");
  assert_ok (r);
  cr_assert_str_eq (r.out, "hello from stdin\n");
  it_result_free (&r);
  r = SKIFF_IN ("not passed\n", "exec", "ex-stdin", "cat");
  assert_ok (r);
  cr_assert_str_eq (r.out, "");
  it_result_free (&r);
  remove_container ("ex-stdin");
}

Test (exec, tty_gives_a_terminal)
{
  start ("ex-tty", NULL);
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
      execl (getenv ("SKIFF_BINARY"), "skiff", root, run, "exec", "-t", "ex-tty", "sh", "-c",
             "tty; stty size; test -t 0 && echo is-a-tty; echo TERM=$TERM", (char *) NULL);
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
  close (master);
  cr_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0, "status %d: %s", status, buf);
  cr_assert (strstr (buf, "/dev/pts/"), "%s", buf);
  cr_assert (strstr (buf, "33 101"), "window size not passed: %s", buf);
  cr_assert (strstr (buf, "is-a-tty"), "%s", buf);
  cr_assert (strstr (buf, "TERM=xterm"), "%s", buf);
  remove_container ("ex-tty");
}

Test (exec, detached_prints_a_session_id)
{
  start ("ex-detach", NULL);
  struct it_result r = SKIFF ("exec", "-d", "ex-detach", "sh", "-c", "sleep 0.1; echo done > /tmp/detached");
  assert_ok (r);
  cr_assert_eq (strlen (r.out), 65, "a 64-hex ID and a newline: %s", r.out);
  cr_assert_eq (strspn (r.out, "0123456789abcdef"), 64, "%s", r.out);
  it_result_free (&r);
  bool done = false;
  for (int i = 0; i < 100 && !done; i++)
    {
      r = SKIFF ("exec", "ex-detach", "cat", "/tmp/detached");
      done = r.status == 0 && strcmp (r.out, "done\n") == 0;
      it_result_free (&r);
      if (!done)
        usleep (50000);
    }
  cr_assert (done, "the detached process did not run");
  remove_container ("ex-detach");
}

Test (exec, sigterm_reaches_the_process)
{
  start ("ex-sig", NULL);
  int out;
  pid_t pid = it_skiff_spawn (
      (const char *const[]){ "exec", "ex-sig", "sh", "-c",
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
  cr_assert (strstr (buf, "ready"), "the exec did not start: %s", buf);
  kill (pid, SIGTERM);
  int status;
  waitpid (pid, &status, 0);
  ssize_t r;
  while ((r = read (out, buf + n, sizeof buf - n - 1)) > 0)
    n += (size_t) r;
  buf[n] = '\0';
  close (out);
  cr_assert (WIFEXITED (status) && WEXITSTATUS (status) == 7, "status %d, output %s", status, buf);
  cr_assert (strstr (buf, "got-term"), "%s", buf);
  remove_container ("ex-sig");
}
