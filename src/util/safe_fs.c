/* Files and directories that someone else may control: private directories in shared places (/tmp), and
 * whole-file reads that never block, never follow a link out of a container's root and are size-capped. */
#include "util.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#define PRIVATE_DIR_MODE 0700
#define READ_CHUNK 65536

static const char *
file_kind (mode_t mode)
{
  switch (mode & S_IFMT)
    {
    case S_IFREG:
      return "a regular file";
    case S_IFDIR:
      return "a directory";
    case S_IFLNK:
      return "a symbolic link";
    case S_IFIFO:
      return "a FIFO";
    case S_IFSOCK:
      return "a socket";
    case S_IFCHR:
      return "a character device";
    case S_IFBLK:
      return "a block device";
    default:
      return "of an unknown type";
    }
}

static int
refuse_dir (const char *path, const char *why, const char *fix, skiff_error_t *err)
{
  return skiff_error_set_status (err, EPERM, "`%s` is not a private directory of yours (%s): %s", path, why, fix);
}

int
skiff_private_dir_ensure (const char *path, const char *fix, skiff_error_t *err)
{
  if (mkdir (path, PRIVATE_DIR_MODE) < 0 && errno != EEXIST)
    return skiff_error_set (err, errno, "create `%s`", path);
  /* O_PATH|O_NOFOLLOW opens a symlink itself, so that fstat sees what is really there */
  cleanup_close int fd = open (path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat (fd, &st) < 0)
    return skiff_error_set (err, errno, "open `%s`", path);
  if (!S_ISDIR (st.st_mode))
    {
      cleanup_free char *why = xasprintf ("it is %s", file_kind (st.st_mode));
      return refuse_dir (path, why, fix, err);
    }
  if (st.st_uid != geteuid ())
    {
      cleanup_free char *why = xasprintf ("it belongs to uid %u", (unsigned) st.st_uid);
      return refuse_dir (path, why, fix, err);
    }
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    {
      cleanup_free char *why = xasprintf ("others can write to it: mode %04o", (unsigned) (st.st_mode & 07777));
      return refuse_dir (path, why, fix, err);
    }
  /* ours and nobody else could have put anything in it: only tighten what others may read */
  if ((st.st_mode & 07777) != PRIVATE_DIR_MODE)
    {
      char proc[64];
      snprintf (proc, sizeof proc, "/proc/self/fd/%d", fd);
      if (chmod (proc, PRIVATE_DIR_MODE) < 0)
        return skiff_error_set (err, errno, "chmod %o `%s`", PRIVATE_DIR_MODE, path);
    }
  return 0;
}

static int
open_resolved (int dirfd, const char *path, int flags, enum skiff_resolve how)
{
  if (how != SKIFF_RESOLVE_IN_ROOT)
    return openat (dirfd, path, flags | O_CLOEXEC | (how == SKIFF_RESOLVE_NOFOLLOW ? O_NOFOLLOW : 0));
  struct open_how oh = { .flags = (uint64_t) flags | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
  while (*path == '/')
    path++;
  int fd;
  do
    fd = (int) syscall (SYS_openat2, dirfd, *path ? path : ".", &oh, sizeof oh);
  while (fd < 0 && errno == EAGAIN);
  return fd;
}

static int
too_large (const char *path, size_t max, skiff_error_t *err)
{
  return skiff_error_set_status (err, EFBIG, "`%s` is larger than %zu bytes, more than skiff reads from such a file",
                                 path, max);
}

int
read_file_untrusted (int dirfd, const char *path, enum skiff_resolve how, size_t max, char **out, size_t *len,
                     skiff_error_t *err)
{
  /* look before opening for real: a FIFO would block, and opening a device can have effects of its own */
  cleanup_close int pathfd
      = open_resolved (dirfd, path, O_PATH | (how == SKIFF_RESOLVE_NOFOLLOW ? O_NOFOLLOW : 0), how);
  struct stat st;
  if (pathfd < 0 || fstat (pathfd, &st) < 0)
    return skiff_error_set (err, errno, "open `%s`", path);
  if (!S_ISREG (st.st_mode))
    return skiff_error_set_status (err, EINVAL, "`%s` is %s, not a regular file", path, file_kind (st.st_mode));
  if ((uint64_t) st.st_size > max)
    return too_large (path, max, err);
  /* O_NONBLOCK: should it have been swapped for a FIFO since, the open still returns, and fstat refuses it */
  cleanup_close int fd = open_resolved (dirfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY, how);
  struct stat st2;
  if (fd < 0 || fstat (fd, &st2) < 0)
    return skiff_error_set (err, errno, "open `%s`", path);
  if (st2.st_dev != st.st_dev || st2.st_ino != st.st_ino)
    return skiff_error_set_status (err, EAGAIN, "`%s` was replaced while it was read", path);
  size_t cap = (size_t) st.st_size + 1, n = 0;
  if (cap > max + 1)
    cap = max + 1;
  cleanup_free char *buf = xmalloc (cap + 1);
  for (;;)
    {
      if (n == cap)
        {
          /* the file grew since fstat: read on, up to the cap */
          if (cap > max)
            return too_large (path, max, err);
          cap = cap + READ_CHUNK > max + 1 ? max + 1 : cap + READ_CHUNK;
          buf = xrealloc (buf, cap + 1);
        }
      ssize_t r = read (fd, buf + n, cap - n);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return skiff_error_set (err, errno, "read `%s`", path);
      if (r == 0)
        break;
      n += (size_t) r;
    }
  if (n > max)
    return too_large (path, max, err);
  buf[n] = '\0';
  if (len)
    *len = n;
  *out = steal_pointer (&buf);
  return 0;
}
