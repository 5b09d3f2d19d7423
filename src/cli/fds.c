/* --preserve-fds: the descriptors 3.. that the caller passed are held (close-on-exec) from the first line of
 * main until the command's options are parsed, then those past the count that run asked to pass on are closed.
 * Nothing else of the caller's ever stays open: everything from CLI_PRESERVE_FDS_MAX + 3 on is closed at once. */
#include <fcntl.h>

#include "cli/cli.h"

static uint64_t held; /* bit i: fd 3 + i was open at start */
static bool settled;
unsigned cli_preserve_fds; /* set by run's --preserve-fds before the settle */

void
cli_inherited_fds_hold (void)
{
  close_inherited_fds_from (3 + CLI_PRESERVE_FDS_MAX);
  for (int i = 0; i < CLI_PRESERVE_FDS_MAX; i++)
    {
      int flags = fcntl (3 + i, F_GETFD);
      if (flags < 0)
        continue;
      fcntl (3 + i, F_SETFD, flags | FD_CLOEXEC);
      held |= UINT64_C (1) << i;
    }
}

void
cli_inherited_fds_settle (void)
{
  if (settled)
    return;
  settled = true;
  for (unsigned i = 0; i < CLI_PRESERVE_FDS_MAX; i++)
    {
      bool open_now = held & (UINT64_C (1) << i);
      if (i >= cli_preserve_fds)
        {
          if (open_now)
            close (3 + (int) i);
          continue;
        }
      /* a number asked for but not passed is filled with /dev/null: no descriptor of skiff's may take its
       * place and be handed to the container */
      if (!open_now)
        {
          int fd = open ("/dev/null", O_RDWR | O_CLOEXEC);
          if (fd >= 0 && fd != 3 + (int) i)
            {
              dup3 (fd, 3 + (int) i, O_CLOEXEC);
              close (fd);
            }
        }
    }
  held = 0;
}
