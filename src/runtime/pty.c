/* Waiting for the container process: signals forwarded through a signalfd, and with a terminal the
 * caller's tty in raw mode relayed to and from the pty master, its window size followed. */
#include "runtime/runtime.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>

#define RELAY_BUF 16384

extern const int skiff_forwarded_signals[];

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

/* Move what is readable from in to out; false on EOF or error of in. */
static bool
relay (int in, int out)
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

int
skiff_container_wait (const struct skiff_container_process *proc, bool terminal, bool stdin_open, int *status,
                      skiff_error_t *err)
{
  sigset_t set;
  sigemptyset (&set);
  for (int i = 0; skiff_forwarded_signals[i]; i++)
    sigaddset (&set, skiff_forwarded_signals[i]);
  sigprocmask (SIG_BLOCK, &set, NULL);
  cleanup_close int sfd = signalfd (-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0)
    return skiff_error_set (err, errno, "signalfd");

  int master = terminal ? proc->pty_master : -1;
  struct termios saved;
  bool raw = false;
  if (master >= 0)
    {
      fcntl (master, F_SETFL, fcntl (master, F_GETFL) | O_NONBLOCK);
      if (isatty (STDIN_FILENO) && tcgetattr (STDIN_FILENO, &saved) == 0)
        {
          struct termios t = saved;
          cfmakeraw (&t);
          t.c_oflag = saved.c_oflag; /* keep output processing as the caller had it */
          if (tcsetattr (STDIN_FILENO, TCSANOW, &t) == 0)
            raw = true;
          copy_winsize (STDIN_FILENO, master);
        }
      else if (isatty (STDOUT_FILENO))
        copy_winsize (STDOUT_FILENO, master);
    }
  bool stdin_live = master >= 0 && stdin_open;
  bool master_live = master >= 0;
  bool exited = false;
  int wstatus = 0;
  while (!exited || master_live)
    {
      struct pollfd fds[3];
      nfds_t n = 0;
      fds[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
      int mi = -1, ii = -1;
      if (master_live)
        {
          mi = (int) n;
          fds[n++] = (struct pollfd){ .fd = master, .events = POLLIN };
        }
      if (stdin_live && !exited)
        {
          ii = (int) n;
          fds[n++] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
        }
      /* after the exit, only drain what the terminal still holds */
      int r = poll (fds, n, exited ? 0 : -1);
      if (r < 0 && errno != EINTR)
        break;
      if (r == 0 && exited)
        break;
      if (fds[0].revents & POLLIN)
        {
          struct signalfd_siginfo si;
          while (read (sfd, &si, sizeof si) == sizeof si)
            {
              if (si.ssi_signo == SIGCHLD)
                {
                  pid_t p;
                  pid_t waited = proc->wait_pid > 0 ? proc->wait_pid : proc->pid;
                  int ws;
                  while ((p = waitpid (-1, &ws, WNOHANG)) > 0)
                    if (p == waited)
                      {
                        exited = true;
                        wstatus = ws;
                      }
                }
              else if (si.ssi_signo == SIGWINCH)
                {
                  if (master >= 0)
                    copy_winsize (isatty (STDIN_FILENO) ? STDIN_FILENO : STDOUT_FILENO, master);
                }
              else
                kill (proc->pid, (int) si.ssi_signo);
            }
        }
      if (mi >= 0 && (fds[mi].revents & (POLLIN | POLLHUP | POLLERR)))
        if (!relay (master, STDOUT_FILENO))
          master_live = false;
      if (ii >= 0 && (fds[ii].revents & (POLLIN | POLLHUP | POLLERR)))
        if (!relay (STDIN_FILENO, master))
          {
            stdin_live = false;
            /* end of input: send the terminal's EOF character, as a typed ^D would */
            char eof = 4;
            (void) write_all (master, &eof, 1);
          }
    }
  if (!exited)
    {
      while (waitpid (proc->wait_pid > 0 ? proc->wait_pid : proc->pid, &wstatus, 0) < 0 && errno == EINTR)
        ;
    }
  if (raw)
    tcsetattr (STDIN_FILENO, TCSANOW, &saved);
  *status = exit_code_of (wstatus);
  return 0;
}
