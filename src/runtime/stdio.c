/* A container's stdio without a terminal: pipes that skiff relays (the monitor, a foreground run, exec), as
 * conmon does, so that the caller's own terminal never reaches a container; and the one exception,
 * --log-driver passthrough, allowed only when none of skiff's stdio is a terminal. */
#include "runtime/runtime.h"

#include <fcntl.h>
#include <sys/stat.h>

int
skiff_stdio_dup (const int fds[3], skiff_error_t *err)
{
  /* dup2 to a free range first, so that a source that is already 0..2 is not clobbered */
  int tmp[3];
  for (int i = 0; i < 3; i++)
    if ((tmp[i] = fcntl (fds[i], F_DUPFD_CLOEXEC, 3)) < 0)
      return skiff_error_set (err, errno, "duplicate the container's stdio");
  for (int i = 0; i < 3; i++)
    if (dup2 (tmp[i], i) < 0)
      return skiff_error_set (err, errno, "set the container's stdio");
  return 0;
}

static void
close_fd (int *fd)
{
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
}

int
skiff_stdio_pipes_open (bool stdin_open, struct skiff_stdio_pipes *p, skiff_error_t *err)
{
  for (int i = 0; i < 3; i++)
    p->child[i] = -1;
  p->in = p->out = p->err = -1;
  int fds[2];
  if (stdin_open)
    {
      if (pipe2 (fds, O_CLOEXEC) < 0)
        goto fail;
      p->child[0] = fds[0];
      p->in = fds[1];
    }
  else if ((p->child[0] = open ("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
    goto fail;
  for (int i = 1; i < 3; i++)
    {
      if (pipe2 (fds, O_CLOEXEC) < 0)
        goto fail;
      p->child[i] = fds[1];
      if (i == 1)
        p->out = fds[0];
      else
        p->err = fds[0];
    }
  return 0;

fail:;
  int e = errno;
  skiff_stdio_pipes_close (p);
  return skiff_error_set (err, e, "make the pipes of the container's stdio");
}

void
skiff_stdio_pipes_close_child (struct skiff_stdio_pipes *p)
{
  for (int i = 0; i < 3; i++)
    close_fd (&p->child[i]);
}

void
skiff_stdio_pipes_close (struct skiff_stdio_pipes *p)
{
  skiff_stdio_pipes_close_child (p);
  close_fd (&p->in);
  close_fd (&p->out);
  close_fd (&p->err);
}

int
skiff_stdio_check_passthrough (skiff_error_t *err)
{
  for (int fd = 0; fd < 3; fd++)
    {
      struct stat st;
      if (isatty (fd))
        return skiff_error_set_status (err, EINVAL,
                                       "cannot use a tty with passthrough logging mode to prevent attacks via "
                                       "TIOCSTI: redirect skiff's stdin, stdout and stderr, or use --log-driver "
                                       "k8s-file or none");
      /* a directory handed over would let the container walk the host's tree from it (openat "..") */
      if (fstat (fd, &st) == 0 && S_ISDIR (st.st_mode))
        return skiff_error_set_status (err, EINVAL,
                                       "file descriptor %d is a directory: --log-driver passthrough hands skiff's "
                                       "stdio to the container, and a directory would open the host's tree to it",
                                       fd);
    }
  return 0;
}
