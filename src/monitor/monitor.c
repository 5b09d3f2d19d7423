/* The monitor process: double-forked off skiff, it starts the container with pipes for its output, writes
 * them to the log, reaps it (as a child subreaper, it also reaps what the container leaves behind) and
 * records the exit status before it goes. */
#include "monitor/monitor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

#define MONITOR_NAME "skiff-monitor"
#define REPORT_MSG_MAX 2048
#define READ_BUF 16384

struct report
{
  int ok;
  int exit_code;
  pid_t container_pid;
  pid_t monitor_pid;
  char msg[REPORT_MSG_MAX];
};

static void
send_report (int fd, struct report *r)
{
  (void) write_all (fd, r, sizeof *r);
  close (fd);
}

static int
status_code (int wstatus)
{
  if (WIFEXITED (wstatus))
    return WEXITSTATUS (wstatus);
  if (WIFSIGNALED (wstatus))
    return 128 + WTERMSIG (wstatus);
  return SKIFF_EXIT_ERROR;
}

static void __attribute__ ((noreturn))
monitor_main (const struct skiff_monitor_params *p, int report_fd)
{
  struct report rep = { 0 };
  skiff_error_t err = NULL;
  prctl (PR_SET_NAME, MONITOR_NAME, 0, 0, 0);
  prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  /* nothing of the caller's: its terminal or a pipe it reads until EOF must not stay open here */
  int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; null >= 0 && fd < 3; fd++)
    dup2 (null, fd);
  signal (SIGHUP, SIG_IGN);
  signal (SIGPIPE, SIG_IGN);

  struct skiff_log_writer log = { .fd = -1 };
  if (p->log_path && skiff_log_open (&log, p->log_path, &err) < 0)
    goto fail;
  int out[2], errp[2];
  if (pipe2 (out, O_CLOEXEC) < 0 || pipe2 (errp, O_CLOEXEC) < 0)
    {
      skiff_error_set (&err, errno, "pipe");
      goto fail;
    }
  p->cfg->use_stdio_fds = !p->cfg->terminal;
  p->cfg->stdio_fds[0] = null;
  p->cfg->stdio_fds[1] = out[1];
  p->cfg->stdio_fds[2] = errp[1];
  p->cfg->stdin_open = false;
  struct skiff_container_process proc;
  if (skiff_container_spawn (p->cfg, &proc, &err) < 0)
    goto fail;
  close (out[1]);
  close (errp[1]);
  if (p->on_start)
    p->on_start (p->data, proc.pid, getpid ());
  rep.ok = 1;
  rep.container_pid = proc.pid;
  rep.monitor_pid = getpid ();
  send_report (report_fd, &rep);

  sigset_t set;
  sigemptyset (&set);
  sigaddset (&set, SIGCHLD);
  sigprocmask (SIG_BLOCK, &set, NULL);
  int sfd = signalfd (-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  int fds[3] = { proc.pty_master >= 0 ? proc.pty_master : out[0], proc.pty_master >= 0 ? -1 : errp[0], sfd };
  if (proc.pty_master >= 0)
    {
      close (out[0]);
      close (errp[0]);
    }
  bool exited = false;
  int wstatus = 0;
  for (;;)
    {
      struct pollfd pf[3];
      nfds_t n = 0;
      int idx[3];
      for (int i = 0; i < 3; i++)
        if (fds[i] >= 0)
          {
            idx[n] = i;
            pf[n++] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
          }
      if (fds[0] < 0 && fds[1] < 0 && exited)
        break;
      if (poll (pf, n, -1) < 0 && errno != EINTR)
        break;
      for (nfds_t k = 0; k < n; k++)
        {
          if (!(pf[k].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
          int i = idx[k];
          if (i == 2)
            {
              struct signalfd_siginfo si;
              while (read (sfd, &si, sizeof si) == sizeof si)
                ;
              pid_t r;
              int ws;
              while ((r = waitpid (-1, &ws, WNOHANG)) > 0)
                if (r == proc.pid)
                  {
                    exited = true;
                    wstatus = ws;
                  }
              continue;
            }
          char buf[READ_BUF];
          ssize_t got = read (fds[i], buf, sizeof buf);
          if (got > 0)
            skiff_log_write (&log, i == 0 ? 1 : 2, buf, (size_t) got);
          else if (got == 0 || errno != EAGAIN)
            {
              close (fds[i]);
              fds[i] = -1;
            }
        }
    }
  skiff_log_close (&log);
  if (p->on_exit)
    p->on_exit (p->data, status_code (wstatus));
  _exit (0);

fail:
  rep.ok = 0;
  rep.exit_code = err ? err->exit_code : SKIFF_EXIT_ERROR;
  snprintf (rep.msg, sizeof rep.msg, "%s", err ? err->msg : "the monitor failed");
  send_report (report_fd, &rep);
  _exit (1);
}

int
skiff_monitor_start (const struct skiff_monitor_params *p, pid_t *container_pid, pid_t *monitor_pid,
                     skiff_error_t *err)
{
  int rp[2];
  if (pipe2 (rp, O_CLOEXEC) < 0)
    return skiff_error_set (err, errno, "pipe");
  pid_t pid = fork ();
  if (pid < 0)
    {
      int e = errno;
      close (rp[0]);
      close (rp[1]);
      return skiff_error_set (err, e, "fork the monitor");
    }
  if (pid == 0)
    {
      close (rp[0]);
      setsid ();
      pid_t m = fork ();
      if (m != 0)
        _exit (m < 0 ? 1 : 0);
      monitor_main (p, rp[1]);
    }
  close (rp[1]);
  int st;
  while (waitpid (pid, &st, 0) < 0 && errno == EINTR)
    ;
  struct report rep;
  ssize_t n = read_all (rp[0], &rep, sizeof rep);
  close (rp[0]);
  if (n != (ssize_t) sizeof rep)
    return skiff_error_set (err, EIO, "the monitor died before it started the container");
  if (!rep.ok)
    {
      rep.msg[sizeof rep.msg - 1] = '\0';
      return skiff_error_set_code (err, rep.exit_code, 0, "%s", rep.msg);
    }
  *container_pid = rep.container_pid;
  *monitor_pid = rep.monitor_pid;
  return 0;
}
