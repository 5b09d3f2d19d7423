/* The sync socket protocol shared by the container child and the exec child (see sync.h). */
#include "runtime/sync.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "util/interrupt.h"

#define SYNC_MSG_MAX 2048
/* include/linux/sched.h: set by fork, cleared by exec; /proc/PID/stat's ninth field has the task's flags */
#define PF_FORKNOEXEC 0x00000040UL
#define STAT_FLAGS_FIELD_AFTER_COMM 7

enum sync_type
{
  SYNC_PTY = 'P',
  SYNC_TAP = 'T',
  SYNC_ERROR = 'E',
};

struct sync_msg
{
  char type;
  int exit_code;
  int status;
  char text[SYNC_MSG_MAX];
};

void
skiff_sync_fail (int sync, skiff_error_t *err, const char *fallback)
{
  struct sync_msg m = { .type = SYNC_ERROR, .exit_code = SKIFF_EXIT_ERROR };
  if (err && *err)
    {
      m.exit_code = (*err)->exit_code;
      m.status = (*err)->status;
      snprintf (m.text, sizeof m.text, "%s", (*err)->msg);
    }
  else
    snprintf (m.text, sizeof m.text, "%s", fallback);
  (void) send (sync, &m, sizeof m, MSG_NOSIGNAL);
  _exit (m.exit_code);
}

int
skiff_sync_send_pty (int sync, int master)
{
  struct sync_msg m = { .type = SYNC_PTY };
  return send_fd (sync, master, &m, sizeof m);
}

int
skiff_sync_send_tap (int sync, int tap)
{
  struct sync_msg m = { .type = SYNC_TAP };
  return send_fd (sync, tap, &m, sizeof m);
}

/* Wait until the socket has something, or one of the signals of sigfd came first: 1, or the signal's number
 * negated */
static int
wait_readable (int sync, int sigfd)
{
  if (sigfd < 0)
    return 1;
  for (;;)
    {
      struct pollfd pf[2] = { { .fd = sync, .events = POLLIN }, { .fd = sigfd, .events = POLLIN } };
      if (poll (pf, 2, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          return 1;
        }
      /* an exec that happened wins over a signal that came with it: the container runs, and the signal is
       * its (the caller forwards what is left pending) */
      if (pf[0].revents)
        return 1;
      struct signalfd_siginfo si;
      if (read (sigfd, &si, sizeof si) == (ssize_t) sizeof si)
        return -(int) si.ssi_signo;
    }
}

int
skiff_sync_receive (int sync, int sigfd, int *pty_master, int *tap_fd, const char *what, skiff_error_t *err)
{
  for (;;)
    {
      struct sync_msg m;
      int fd = -1;
      int w = wait_readable (sync, sigfd);
      if (w < 0)
        return skiff_interrupt_error (err, -w, "the container was being set up");
      ssize_t n = recv_fd (sync, &fd, &m, sizeof m);
      if (n == 0)
        return 0;
      if (n < 0)
        return skiff_error_set (err, (int) -n, "read from the %s", what);
      if (m.type == SYNC_PTY && fd >= 0)
        {
          *pty_master = fd;
          continue;
        }
      if (m.type == SYNC_TAP && fd >= 0 && tap_fd)
        {
          *tap_fd = fd;
          continue;
        }
      if (fd >= 0)
        close (fd);
      if (m.type == SYNC_ERROR)
        {
          m.text[sizeof m.text - 1] = '\0';
          skiff_error_set_code (err, m.exit_code, 0, "%s", m.text);
          if (*err)
            (*err)->status = m.status;
          return -1;
        }
    }
}

bool
skiff_sync_died_before_exec (pid_t pid)
{
  char path[64], buf[1024];
  snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  ssize_t n = read_all (fd, buf, sizeof buf - 1);
  close (fd);
  if (n <= 0)
    return false;
  buf[n] = '\0';
  /* after the command name, which may hold anything: state ppid pgrp session tty_nr tpgid flags */
  char *p = strrchr (buf, ')');
  for (int field = 0; p && field < STAT_FLAGS_FIELD_AFTER_COMM; field++)
    p = strchr (p + 1, ' ');
  if (p == NULL)
    return false;
  unsigned long flags = strtoul (p + 1, NULL, 10);
  return (flags & PF_FORKNOEXEC) != 0;
}

int
skiff_sync_early_death_error (int wstatus, bool with_seccomp, skiff_error_t *err)
{
  const char *why = with_seccomp ? ": the seccomp profile blocks a system call that skiff makes after loading it "
                                   "(setgroups, setresgid, setresuid, capset, prctl, execve, or the write of this "
                                   "report); allow them, or add --security-opt no-new-privileges, which loads the "
                                   "filter last, right before execve"
                                 : "";
  if (WIFSIGNALED (wstatus))
    return skiff_error_set (err, 0, "the container process was killed by signal %d (%s) before its command started%s",
                            WTERMSIG (wstatus), strsignal (WTERMSIG (wstatus)), why);
  return skiff_error_set (err, 0, "the container process failed before its command started and could not say why%s",
                          why);
}
