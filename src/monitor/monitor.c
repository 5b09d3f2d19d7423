/* The monitor process: double-forked off skiff, it starts the container with pipes for its output, writes
 * them to the log, reaps it (as a child subreaper, it also reaps what the container leaves behind) and
 * records the exit status before it goes. */
#include "monitor/monitor.h"

#include "util/interrupt.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#define MONITOR_NAME "skiff-monitor"
#define REPORT_MSG_MAX 2048
#define READ_BUF 16384
#define RESTART_BACKOFF_MIN_MS 100
#define RESTART_BACKOFF_MAX_MS 1000
#define RESTART_BACKOFF_RESET_NS (10ULL * 1000000000ULL)

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

int
skiff_restart_parse (const char *s, struct skiff_restart *out, skiff_error_t *err)
{
  *out = (struct skiff_restart){ SKIFF_RESTART_NO, 0 };
  const char *colon = strchr (s, ':');
  size_t len = colon ? (size_t) (colon - s) : strlen (s);
  if (colon)
    {
      if (strchr (colon + 1, ':'))
        return skiff_error_set_status (err, EINVAL, "invalid restart policy: may specify retries at most once");
      if (len != strlen ("on-failure") || strncmp (s, "on-failure", len) != 0)
        return skiff_error_set_status (err, EINVAL,
                                       "invalid restart policy: restart policy retries can only be specified with "
                                       "on-failure restart policy");
      long long n;
      if (!str_to_llong (colon + 1, INT32_MIN, INT32_MAX, &n))
        return skiff_error_set_status (err, EINVAL,
                                       "invalid restart policy: parsing restart policy retry count: \"%s\" is "
                                       "not a number",
                                       colon + 1);
      if (n < 0)
        return skiff_error_set_status (
            err, EINVAL,
            "invalid restart policy: must specify restart policy retry count as a number greater "
            "than 0");
      out->policy = SKIFF_RESTART_ON_FAILURE;
      out->max_retries = (unsigned) n;
      return 0;
    }
  if (*s == '\0' || strcmp (s, "no") == 0)
    return 0;
  if (strcmp (s, "on-failure") == 0)
    out->policy = SKIFF_RESTART_ON_FAILURE;
  else if (strcmp (s, "always") == 0)
    out->policy = SKIFF_RESTART_ALWAYS;
  else if (strcmp (s, "unless-stopped") == 0)
    out->policy = SKIFF_RESTART_UNLESS_STOPPED;
  else
    return skiff_error_set_status (
        err, EINVAL,
        "invalid restart policy: \"%s\" is not a valid restart policy: use no, on-failure[:N], "
        "always or unless-stopped",
        s);
  return 0;
}

bool
skiff_restart_wanted (const struct skiff_restart *r, int status, unsigned restarts)
{
  switch (r->policy)
    {
    case SKIFF_RESTART_ON_FAILURE:
      return status != 0 && (r->max_retries == 0 || restarts < r->max_retries);
    case SKIFF_RESTART_ALWAYS:
    case SKIFF_RESTART_UNLESS_STOPPED:
      return true;
    case SKIFF_RESTART_NO:
    default:
      return false;
    }
}

/* Run the container once: spawn it with fresh pipes, log its output (and pass it to attach clients) until
 * both ends close and it was reaped. The first run reports to the skiff that started the monitor
 * (report_fd >= 0). */
static int
run_once (const struct skiff_monitor_params *p, struct skiff_log_writer *log, struct skiff_attach_server *att, int null,
          int sfd, unsigned restarts, int report_fd, int *wstatus_out, skiff_error_t *err)
{
  int out[2], errp[2], in[2] = { -1, -1 };
  if (pipe2 (out, O_CLOEXEC) < 0)
    return skiff_error_set (err, errno, "pipe");
  if (pipe2 (errp, O_CLOEXEC) < 0)
    {
      int e = errno;
      close (out[0]);
      close (out[1]);
      return skiff_error_set (err, e, "pipe");
    }
  /* -i: a stdin pipe the monitor keeps, fed by attach clients */
  if (p->stdin_open && !p->cfg->terminal && pipe2 (in, O_CLOEXEC) < 0)
    in[0] = in[1] = -1;
  p->cfg->use_stdio_fds = !p->cfg->terminal;
  p->cfg->stdio_fds[0] = in[0] >= 0 ? in[0] : null;
  p->cfg->stdio_fds[1] = out[1];
  p->cfg->stdio_fds[2] = errp[1];
  p->cfg->stdin_open = false;
  struct skiff_container_process proc;
  int r = skiff_container_spawn (p->cfg, &proc, err);
  close (out[1]);
  close (errp[1]);
  if (in[0] >= 0)
    close (in[0]);
  if (r == 0 && p->on_spawn && p->on_spawn (p->data, &proc, err) < 0)
    {
      kill (proc.pid, SIGKILL);
      while (waitpid (proc.pid, NULL, 0) < 0 && errno == EINTR)
        ;
      if (proc.pty_master >= 0)
        close (proc.pty_master);
      r = -1;
    }
  if (r < 0)
    {
      close (out[0]);
      close (errp[0]);
      if (in[1] >= 0)
        close (in[1]);
      return -1;
    }
  if (proc.pty_master >= 0)
    skiff_attach_set_stdio (att, p->stdin_open ? proc.pty_master : -1, false, proc.pty_master);
  else
    skiff_attach_set_stdio (att, in[1], true, -1);
  int keep = p->on_start ? p->on_start (p->data, proc.pid, getpid (), restarts, err) : 1;
  if (keep < 0)
    {
      kill (proc.pid, SIGKILL);
      while (waitpid (proc.pid, NULL, 0) < 0 && errno == EINTR)
        ;
      if (p->on_reap)
        p->on_reap (p->data);
      if (proc.pty_master >= 0)
        close (proc.pty_master);
      close (out[0]);
      close (errp[0]);
      skiff_attach_set_stdio (att, -1, false, -1);
      return -1;
    }
  if (report_fd >= 0)
    {
      struct report rep = { .ok = 1, .container_pid = proc.pid, .monitor_pid = getpid () };
      send_report (report_fd, &rep);
    }
  if (keep == 0)
    kill (proc.pid, SIGKILL);

  int fds[3] = { proc.pty_master >= 0 ? proc.pty_master : out[0], proc.pty_master >= 0 ? -1 : errp[0], sfd };
  if (proc.pty_master >= 0)
    {
      close (out[0]);
      close (errp[0]);
    }
  bool exited = false;
  int wstatus = 0;
  /* SIGCHLD stays blocked: an exit before the first poll is still queued on the signalfd */
  for (;;)
    {
      struct pollfd pf[3 + SKIFF_ATTACH_POLL_MAX];
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
      nfds_t own = n;
      n += skiff_attach_poll_fill (att, pf + own);
      if (poll (pf, n, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      skiff_attach_poll_handle (att, pf + own, n - own);
      for (nfds_t k = 0; k < own; k++)
        {
          if (!(pf[k].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
          int i = idx[k];
          if (i == 2)
            {
              struct signalfd_siginfo si;
              while (read (sfd, &si, sizeof si) == sizeof si)
                ;
              pid_t w;
              int ws;
              while ((w = waitpid (-1, &ws, WNOHANG)) > 0)
                if (w == proc.pid)
                  {
                    exited = true;
                    wstatus = ws;
                  }
              continue;
            }
          char buf[READ_BUF];
          ssize_t got = read (fds[i], buf, sizeof buf);
          if (got > 0)
            {
              skiff_log_write (log, i == 0 ? 1 : 2, buf, (size_t) got);
              skiff_attach_broadcast (att, i == 0 ? 1 : 2, buf, (size_t) got);
            }
          else if (got == 0 || errno != EAGAIN)
            {
              close (fds[i]);
              fds[i] = -1;
            }
        }
    }
  for (int i = 0; i < 2; i++)
    if (fds[i] >= 0)
      close (fds[i]);
  if (p->on_reap)
    p->on_reap (p->data);
  skiff_attach_set_stdio (att, -1, false, -1); /* closes the stdin pipe */
  *wstatus_out = wstatus;
  return 0;
}

static void
close_pair (int fds[2])
{
  for (int i = 0; i < 2; i++)
    if (fds[i] >= 0)
      {
        close (fds[i]);
        fds[i] = -1;
      }
}

static void
sleep_ms (unsigned ms)
{
  struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };
  while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
    ;
}

static void __attribute__ ((noreturn)) monitor_main (const struct skiff_monitor_params *p, int report_fd, int attach_fd)
{
  struct report rep = { 0 };
  skiff_error_t err = NULL;
  /* first of all, who we are: the caller kills us when it is interrupted before the report */
  pid_t self = getpid ();
  (void) write_all (report_fd, &self, sizeof self);
  /* the caller's way of taking interrupts is not the monitor's: a signal to it ends it */
  skiff_interrupt_release ();
  skiff_set_process_title (MONITOR_NAME);
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
  /* before the container starts, so that it is there when skiff run -d returns */
  struct skiff_attach_server att;
  skiff_attach_server_init (&att);
  if (p->attach_dir && skiff_attach_listen (&att, p->attach_dir, &err) < 0)
    goto fail;
  if (attach_fd >= 0)
    skiff_attach_add_client (&att, attach_fd);
  skiff_log_set_max_size (&log, p->log_max_size);
  /* blocked before the first spawn (the container child unblocks everything before it execs) */
  sigset_t set;
  sigemptyset (&set);
  sigaddset (&set, SIGCHLD);
  sigprocmask (SIG_BLOCK, &set, NULL);
  int sfd = signalfd (-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0)
    {
      skiff_error_set (&err, errno, "signalfd");
      goto fail;
    }
  int wstatus = 0;
  if (run_once (p, &log, &att, null, sfd, 0, report_fd, &wstatus, &err) < 0)
    goto fail;
  /* the container was restarted this many times; the backoff keeps a crash loop from spinning */
  unsigned restarts = 0;
  unsigned backoff = RESTART_BACKOFF_MIN_MS;
  while (skiff_restart_wanted (&p->restart, status_code (wstatus), restarts))
    {
      if (p->stopped_by_user && p->stopped_by_user (p->data))
        break;
      sleep_ms (backoff);
      backoff = backoff * 2 > RESTART_BACKOFF_MAX_MS ? RESTART_BACKOFF_MAX_MS : backoff * 2;
      /* a stop during the backoff finds the old, gone PID: it must still win */
      if (p->stopped_by_user && p->stopped_by_user (p->data))
        break;
      restarts++;
      uint64_t started = now_ns ();
      if (run_once (p, &log, &att, null, sfd, restarts, -1, &wstatus, &err) < 0)
        {
          /* the container cannot start again (its image changed under it, ...): it stays exited */
          skiff_error_release (&err);
          wstatus = SKIFF_EXIT_ERROR << 8;
          break;
        }
      /* a container that ran a while before it ended is not crash-looping: start the backoff over */
      if (now_ns () - started >= RESTART_BACKOFF_RESET_NS)
        backoff = RESTART_BACKOFF_MIN_MS;
    }
  skiff_log_close (&log);
  if (p->on_exit)
    p->on_exit (p->data, status_code (wstatus));
  /* after the record: a client that got EXIT finds the container exited */
  skiff_attach_finish (&att, status_code (wstatus));
  _exit (0);

fail:
  rep.ok = 0;
  rep.exit_code = err ? err->exit_code : SKIFF_EXIT_ERROR;
  snprintf (rep.msg, sizeof rep.msg, "%s", err ? err->msg : "the monitor failed");
  send_report (report_fd, &rep);
  _exit (1);
}

/* The report, or an interrupt of the caller (skiff_interrupt_catch): then the monitor goes, and the container
 * it was setting up with it (its parent-death signal) */
static ssize_t
wait_report (int fd, pid_t monitor, struct report *rep, skiff_error_t *err)
{
  for (;;)
    {
      struct pollfd pf = { .fd = fd, .events = POLLIN };
      int sig = skiff_interrupted ();
      if (sig)
        {
          kill (monitor, SIGKILL);
          return skiff_interrupt_error (err, sig, "the container was being set up");
        }
      if (poll (&pf, 1, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          return skiff_error_set (err, errno, "wait for the monitor");
        }
      return read_all (fd, rep, sizeof *rep);
    }
}

int
skiff_monitor_start (const struct skiff_monitor_params *p, pid_t *container_pid, pid_t *monitor_pid, skiff_error_t *err)
{
  /* the attach client connected from the start: [0] the monitor's end, [1] the caller's */
  int ap[2] = { -1, -1 };
  if (p->attach_out)
    {
      *p->attach_out = -1;
      if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ap) < 0)
        return skiff_error_set (err, errno, "socketpair");
    }
  int rp[2];
  if (pipe2 (rp, O_CLOEXEC) < 0)
    {
      int e = errno;
      close_pair (ap);
      return skiff_error_set (err, e, "pipe");
    }
  pid_t pid = fork ();
  if (pid < 0)
    {
      int e = errno;
      close (rp[0]);
      close (rp[1]);
      close_pair (ap);
      return skiff_error_set (err, e, "fork the monitor");
    }
  if (pid == 0)
    {
      close (rp[0]);
      /* the caller's end must not stay open here, or the monitor would never see the client go */
      if (ap[1] >= 0)
        close (ap[1]);
      setsid ();
      pid_t m = fork ();
      if (m != 0)
        _exit (m < 0 ? 1 : 0);
      monitor_main (p, rp[1], ap[0]);
    }
  close (rp[1]);
  if (ap[0] >= 0)
    close (ap[0]);
  ap[0] = -1;
  int st;
  while (waitpid (pid, &st, 0) < 0 && errno == EINTR)
    ;
  struct report rep;
  pid_t mpid = 0;
  ssize_t n = read_all (rp[0], &mpid, sizeof mpid);
  if (n == (ssize_t) sizeof mpid)
    n = wait_report (rp[0], mpid, &rep, err);
  close (rp[0]);
  if (n < 0)
    {
      close_pair (ap);
      return -1;
    }
  if (n != (ssize_t) sizeof rep)
    {
      close_pair (ap);
      return skiff_error_set (err, EIO, "the monitor died before it started the container");
    }
  if (!rep.ok)
    {
      close_pair (ap);
      rep.msg[sizeof rep.msg - 1] = '\0';
      return skiff_error_set_code (err, rep.exit_code, 0, "%s", rep.msg);
    }
  *container_pid = rep.container_pid;
  *monitor_pid = rep.monitor_pid;
  if (p->attach_out)
    *p->attach_out = ap[1];
  return 0;
}
