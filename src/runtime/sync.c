/* The sync socket protocol shared by the container child and the exec child (see sync.h). */
#include "runtime/sync.h"

#include <sys/socket.h>

#define SYNC_MSG_MAX 2048

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

int
skiff_sync_receive (int sync, int *pty_master, int *tap_fd, const char *what, skiff_error_t *err)
{
  for (;;)
    {
      struct sync_msg m;
      int fd = -1;
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
