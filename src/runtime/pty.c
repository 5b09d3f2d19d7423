/* The container's terminal: the pty a container or exec child makes for itself, and waiting for the container
 * process: signals forwarded through a signalfd, and its stdio relayed: with a terminal the caller's tty in raw
 * mode to and from the pty master, its window size followed; without one the container's pipes to and from
 * skiff's own stdio (stdio.c), with a copy of its output for its log. */
#include "runtime/runtime.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>

#include "runtime/sync.h"

#define RELAY_BUF 16384

extern const int skiff_forwarded_signals[];

int
skiff_pty_setup_child (int sync, unsigned short rows, unsigned short cols, skiff_error_t *err)
{
  cleanup_close int master = open ("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    return skiff_error_set (err, errno, "open /dev/pts/ptmx in the container");
  int unlock = 0;
  if (ioctl (master, TIOCSPTLCK, &unlock) < 0)
    return skiff_error_set (err, errno, "unlock the pseudo-terminal");
  cleanup_close int slave = ioctl (master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
  if (slave < 0)
    return skiff_error_set (err, errno, "open the pseudo-terminal's peer");
  if (rows && cols)
    {
      struct winsize ws = { .ws_row = rows, .ws_col = cols };
      ioctl (slave, TIOCSWINSZ, &ws);
    }
  int r = skiff_sync_send_pty (sync, master);
  if (r < 0)
    return skiff_error_set (err, -r, "send the terminal to skiff");
  /* the caller leads a session of its own already (setsid first thing): the pty becomes its controlling
   * terminal */
  if (ioctl (slave, TIOCSCTTY, 0) < 0)
    return skiff_error_set (err, errno, "make the pseudo-terminal the controlling terminal");
  for (int fd = 0; fd < 3; fd++)
    if (dup2 (slave, fd) < 0)
      return skiff_error_set (err, errno, "dup2");
  if (slave <= 2)
    slave = -1; /* it is one of 0-2 now: keep it */
  return 0;
}

static int
exit_code_of (int status)
{
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return SKIFF_EXIT_ERROR;
}

static void
copy_winsize (int from, int to)
{
  struct winsize ws;
  if (ioctl (from, TIOCGWINSZ, &ws) == 0)
    ioctl (to, TIOCSWINSZ, &ws);
}

static bool
fd_readable_now (int fd)
{
  struct pollfd pf = { .fd = fd, .events = POLLIN };
  return poll (&pf, 1, 0) > 0;
}

/* The caller's terminal in raw mode (output processing kept), the pty's size its size */
static bool
terminal_raw (int master, struct termios *saved)
{
  bool raw = false;
  fcntl (master, F_SETFL, fcntl (master, F_GETFL) | O_NONBLOCK);
  if (isatty (STDIN_FILENO) && tcgetattr (STDIN_FILENO, saved) == 0)
    {
      struct termios t = *saved;
      cfmakeraw (&t);
      t.c_oflag = saved->c_oflag; /* keep output processing as the caller had it */
      raw = tcsetattr (STDIN_FILENO, TCSANOW, &t) == 0;
      copy_winsize (STDIN_FILENO, master);
    }
  else if (isatty (STDOUT_FILENO))
    copy_winsize (STDOUT_FILENO, master);
  return raw;
}

/* Move what is readable from in to out; false on EOF or error of in. */
static bool
relay_fd (int in, int out)
{
  char buf[RELAY_BUF];
  ssize_t n = read (in, buf, sizeof buf);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return true;
  if (n <= 0)
    return false;
  (void) write_all (out, buf, (size_t) n);
  return true;
}

/* The loop's state: what is still open, and stdin that the container's pipe has not taken yet */
struct wait_state
{
  const struct skiff_container_process *proc;
  const struct skiff_stdio_relay *relay;
  int master;       /* the pty master, -1 */
  int in, out, err; /* the relay's pipes, -1 when closed */
  bool stdin_live;  /* skiff's stdin is read (into the pty or the stdin pipe) */
  char pending[RELAY_BUF];
  size_t npending, pending_off;
  bool exited;
  int wstatus;
};

static void
close_fd (int *fd)
{
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
}

static void
on_signals (struct wait_state *w, int sfd)
{
  struct signalfd_siginfo si;
  while (read (sfd, &si, sizeof si) == sizeof si)
    {
      if (si.ssi_signo == SIGCHLD)
        {
          pid_t p;
          pid_t waited = w->proc->wait_pid > 0 ? w->proc->wait_pid : w->proc->pid;
          int ws;
          while ((p = waitpid (-1, &ws, WNOHANG)) > 0)
            if (p == waited)
              {
                w->exited = true;
                w->wstatus = ws;
              }
        }
      else if (si.ssi_signo == SIGWINCH)
        {
          if (w->master >= 0)
            copy_winsize (isatty (STDIN_FILENO) ? STDIN_FILENO : STDOUT_FILENO, w->master);
        }
      else
        kill (w->proc->pid, (int) si.ssi_signo);
    }
}

/* The container's output on one pipe: to skiff's own stream, and to the relay's copy; false at its end */
static bool
relay_output (struct wait_state *w, int *fd, int stream)
{
  char buf[RELAY_BUF];
  ssize_t n = read (*fd, buf, sizeof buf);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return true;
  if (n <= 0)
    {
      close_fd (fd);
      return false;
    }
  if (w->relay->output)
    w->relay->output (w->relay->data, stream, buf, (size_t) n);
  if (write_all (stream == 2 ? STDERR_FILENO : STDOUT_FILENO, buf, (size_t) n) == -EPIPE)
    {
      /* nobody reads skiff's output any more (`run ... | head -1`): neither does skiff read the container's, which
       * then gets the same SIGPIPE it would have got writing there itself */
      close_fd (fd);
      return false;
    }
  return true;
}

/* skiff's stdin into the container's stdin pipe, which may be full: what it cannot take waits */
static void
relay_input (struct wait_state *w, bool readable)
{
  if (w->npending == 0 && readable)
    {
      ssize_t n = read (STDIN_FILENO, w->pending, sizeof w->pending);
      if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
      if (n <= 0)
        {
          /* the end of skiff's input is the end of the container's */
          w->stdin_live = false;
          close_fd (&w->in);
          return;
        }
      w->npending = (size_t) n;
      w->pending_off = 0;
    }
  while (w->npending > 0)
    {
      ssize_t n = write (w->in, w->pending + w->pending_off, w->npending);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        return;
      if (n < 0)
        {
          /* the container closed its stdin: skiff's input goes nowhere */
          w->npending = 0;
          w->stdin_live = false;
          close_fd (&w->in);
          return;
        }
      w->pending_off += (size_t) n;
      w->npending -= (size_t) n;
    }
}

/* After the exit, what the pipes and the terminal hold is read without waiting: a process the container
 * left behind (an exec's background job) may keep them open for ever */
static void
drain (struct wait_state *w)
{
  while (w->out >= 0 && relay_output (w, &w->out, 1))
    if (!fd_readable_now (w->out))
      break;
  while (w->err >= 0 && relay_output (w, &w->err, 2))
    if (!fd_readable_now (w->err))
      break;
}

int
skiff_container_wait (const struct skiff_container_process *proc, bool terminal, bool stdin_open,
                      const struct skiff_stdio_relay *relay, int *status, skiff_error_t *err)
{
  static const struct skiff_stdio_relay no_relay = { .in = -1, .out = -1, .err = -1 };
  struct wait_state w = { .proc = proc, .relay = relay ? relay : &no_relay };
  w.master = terminal ? proc->pty_master : -1;
  w.in = w.relay->in;
  w.out = w.relay->out;
  w.err = w.relay->err;
  sigset_t set;
  sigemptyset (&set);
  for (int i = 0; skiff_forwarded_signals[i]; i++)
    sigaddset (&set, skiff_forwarded_signals[i]);
  sigprocmask (SIG_BLOCK, &set, NULL);
  cleanup_close int sfd = signalfd (-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0)
    {
      close_fd (&w.in);
      close_fd (&w.out);
      close_fd (&w.err);
      return skiff_error_set (err, errno, "signalfd");
    }
  struct termios saved;
  bool raw = w.master >= 0 && terminal_raw (w.master, &saved);
  int *relay_fds[] = { &w.in, &w.out, &w.err };
  for (size_t i = 0; i < ARRAY_SIZE (relay_fds); i++)
    if (*relay_fds[i] >= 0)
      fcntl (*relay_fds[i], F_SETFL, fcntl (*relay_fds[i], F_GETFL) | O_NONBLOCK);
  w.stdin_live = (w.master >= 0 && stdin_open) || w.in >= 0;
  bool master_live = w.master >= 0;
  while (!w.exited || master_live)
    {
      struct pollfd fds[6];
      nfds_t n = 0;
      fds[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
      int mi = -1, ii = -1, oi = -1, ei = -1, wi = -1;
      if (master_live)
        {
          mi = (int) n;
          fds[n++] = (struct pollfd){ .fd = w.master, .events = POLLIN };
        }
      if (w.stdin_live && !w.exited && w.npending == 0)
        {
          ii = (int) n;
          fds[n++] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
        }
      if (w.in >= 0 && w.npending > 0 && !w.exited)
        {
          wi = (int) n;
          fds[n++] = (struct pollfd){ .fd = w.in, .events = POLLOUT };
        }
      if (w.out >= 0 && !w.exited)
        {
          oi = (int) n;
          fds[n++] = (struct pollfd){ .fd = w.out, .events = POLLIN };
        }
      if (w.err >= 0 && !w.exited)
        {
          ei = (int) n;
          fds[n++] = (struct pollfd){ .fd = w.err, .events = POLLIN };
        }
      /* after the exit, only drain what the terminal still holds */
      int r = poll (fds, n, w.exited ? 0 : -1);
      if (r < 0 && errno != EINTR)
        break;
      if (r == 0 && w.exited)
        break;
      if (r < 0)
        continue;
      if (fds[0].revents & POLLIN)
        on_signals (&w, sfd);
      if (mi >= 0 && (fds[mi].revents & (POLLIN | POLLHUP | POLLERR)))
        if (!relay_fd (w.master, STDOUT_FILENO))
          master_live = false;
      if (oi >= 0 && (fds[oi].revents & (POLLIN | POLLHUP | POLLERR)))
        relay_output (&w, &w.out, 1);
      if (ei >= 0 && (fds[ei].revents & (POLLIN | POLLHUP | POLLERR)))
        relay_output (&w, &w.err, 2);
      bool in_ready = ii >= 0 && (fds[ii].revents & (POLLIN | POLLHUP | POLLERR));
      if (w.master >= 0 && in_ready && !relay_fd (STDIN_FILENO, w.master))
        {
          w.stdin_live = false;
          /* end of input: send the terminal's EOF character, as a typed ^D would */
          char eof = 4;
          (void) write_all (w.master, &eof, 1);
        }
      else if (w.master < 0 && (in_ready || (wi >= 0 && fds[wi].revents)))
        relay_input (&w, in_ready);
    }
  if (!w.exited)
    {
      while (waitpid (proc->wait_pid > 0 ? proc->wait_pid : proc->pid, &w.wstatus, 0) < 0 && errno == EINTR)
        ;
    }
  drain (&w);
  close_fd (&w.in);
  close_fd (&w.out);
  close_fd (&w.err);
  if (raw)
    tcsetattr (STDIN_FILENO, TCSANOW, &saved);
  *status = exit_code_of (w.wstatus);
  return 0;
}
