/* File helpers: whole-file reads, atomic writes, mkdir -p, a symlink-safe rm -rf, fd passing. */
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/uio.h>

#define TMP_NAME_INFIX ".tmp-"
#define TMP_NAME_SUFFIX_MASK 0xffffffffffffULL /* 48 random bits, 12 hex digits */
#define TMP_NAME_ATTEMPTS 100

int
write_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;
  while (len > 0)
    {
      ssize_t r = write (fd, p, len);
      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          return -errno;
        }
      p += r;
      len -= (size_t) r;
    }
  return 0;
}

ssize_t
read_all (int fd, void *buf, size_t len)
{
  size_t got = 0;
  while (got < len)
    {
      ssize_t r = read (fd, (char *) buf + got, len - got);
      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          return -errno;
        }
      if (r == 0)
        break;
      got += (size_t) r;
    }
  return (ssize_t) got;
}

int
read_file_at (int dirfd, const char *path, char **out, size_t *len, skiff_error_t *err)
{
  cleanup_close int fd = openat (dirfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return skiff_error_set (err, errno, "open `%s`", path);
  size_t cap = 4096, n = 0;
  cleanup_free char *buf = xmalloc (cap);
  for (;;)
    {
      if (n + 1 >= cap)
        {
          cap *= 2;
          buf = xrealloc (buf, cap);
        }
      ssize_t r = read (fd, buf + n, cap - n - 1);
      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          return skiff_error_set (err, errno, "read `%s`", path);
        }
      if (r == 0)
        break;
      n += (size_t) r;
    }
  buf[n] = '\0';
  if (len)
    *len = n;
  *out = steal_pointer (&buf);
  return 0;
}

int
read_file (const char *path, char **out, size_t *len, skiff_error_t *err)
{
  return read_file_at (AT_FDCWD, path, out, len, err);
}

int
write_file_at (int dirfd, const char *path, const void *data, size_t len, mode_t mode, skiff_error_t *err)
{
  cleanup_close int fd = openat (dirfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0)
    return skiff_error_set (err, errno, "open `%s`", path);
  int r = write_all (fd, data, len);
  if (r < 0)
    return skiff_error_set (err, -r, "write `%s`", path);
  return 0;
}

int
open_tmp_at (int dirfd, const char *path, int flags, mode_t mode, char **tmp_out, skiff_error_t *err)
{
  for (int attempt = 0; attempt < TMP_NAME_ATTEMPTS; attempt++)
    {
      uint64_t r = 0;
      if (getrandom (&r, sizeof r, 0) != (ssize_t) sizeof r)
        return skiff_error_set (err, errno, "getrandom");
      cleanup_free char *tmp
          = xasprintf ("%s" TMP_NAME_INFIX "%012llx", path, (unsigned long long) (r & TMP_NAME_SUFFIX_MASK));
      int fd = openat (dirfd, tmp, flags | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
      if (fd >= 0)
        {
          *tmp_out = steal_pointer (&tmp);
          return fd;
        }
      if (errno != EEXIST)
        return skiff_error_set (err, errno, "create a temporary file next to `%s`", path);
    }
  return skiff_error_set (err, EEXIST, "create a temporary file next to `%s`", path);
}

/* Write to a new temporary name next to path (O_EXCL, an unpredictable name: nobody can have prepared it),
 * then rename it over path. */
static int
write_and_rename (int dirfd, const char *path, const void *data, size_t len, mode_t mode, bool sync, skiff_error_t *err)
{
  cleanup_free char *tmp = NULL;
  cleanup_close int fd = open_tmp_at (dirfd, path, O_WRONLY, mode, &tmp, err);
  if (fd < 0)
    return -1;
  int r = write_all (fd, data, len);
  if (r == 0 && sync && fsync (fd) < 0)
    r = -errno;
  if (r < 0)
    {
      unlinkat (dirfd, tmp, 0);
      return skiff_error_set (err, -r, "write `%s`", tmp);
    }
  if (renameat (dirfd, tmp, dirfd, path) < 0)
    {
      int e = errno;
      unlinkat (dirfd, tmp, 0);
      return skiff_error_set (err, e, "rename `%s` to `%s`", tmp, path);
    }
  return 0;
}

int
write_file_atomic_at (int dirfd, const char *path, const void *data, size_t len, mode_t mode, skiff_error_t *err)
{
  return write_and_rename (dirfd, path, data, len, mode, true, err);
}

int
write_file_atomic (const char *path, const void *data, size_t len, mode_t mode, skiff_error_t *err)
{
  return write_and_rename (AT_FDCWD, path, data, len, mode, true, err);
}

int
write_file_replace (const char *path, const void *data, size_t len, mode_t mode, skiff_error_t *err)
{
  return write_and_rename (AT_FDCWD, path, data, len, mode, false, err);
}

int
mkdir_p_at (int dirfd, const char *path, mode_t mode, skiff_error_t *err)
{
  if (mkdirat (dirfd, path, mode) == 0 || errno == EEXIST)
    {
      if (errno == EEXIST)
        {
          struct stat st;
          if (fstatat (dirfd, path, &st, 0) == 0 && !S_ISDIR (st.st_mode))
            return skiff_error_set (err, ENOTDIR, "mkdir `%s`", path);
        }
      return 0;
    }
  if (errno != ENOENT)
    return skiff_error_set (err, errno, "mkdir `%s`", path);
  cleanup_free char *copy = xstrdup (path);
  for (char *p = copy + 1; *p; p++)
    {
      if (*p != '/')
        continue;
      *p = '\0';
      if (mkdirat (dirfd, copy, mode) < 0 && errno != EEXIST)
        return skiff_error_set (err, errno, "mkdir `%s`", copy);
      *p = '/';
    }
  if (mkdirat (dirfd, copy, mode) < 0 && errno != EEXIST)
    return skiff_error_set (err, errno, "mkdir `%s`", copy);
  return 0;
}

int
mkdir_p (const char *path, mode_t mode, skiff_error_t *err)
{
  return mkdir_p_at (AT_FDCWD, path, mode, err);
}

/* Open a directory to empty it, even when its mode denies us (images contain mode 000 directories): the
 * O_PATH fd pins the very inode (no symlink is followed), and chmod through /proc/self/fd reaches it. */
int
open_dir_even_unreadable (int dirfd, const char *name)
{
  int fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0 || errno != EACCES)
    return fd;
  int pfd = openat (dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (pfd < 0)
    return -1;
  char proc[64];
  snprintf (proc, sizeof proc, "/proc/self/fd/%d", pfd);
  if (chmod (proc, 0700) < 0)
    {
      int e = errno;
      close (pfd);
      errno = e;
      return -1;
    }
  fd = open (proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int e = errno;
  close (pfd);
  errno = e;
  return fd;
}

/* rm -rf as a walk: files go at PRE, directories once emptied, at POST. */
static int
rm_visit (void *data, enum skiff_walk_step step, struct skiff_walk_entry *e, skiff_error_t *err)
{
  const dev_t *top_dev = data;
  if (step == SKIFF_WALK_POST)
    {
      if (unlinkat (e->dirfd, e->name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return skiff_error_set (err, errno, "remove `%s`", e->name);
      return 0;
    }
  if (e->st == NULL)
    return skiff_error_set (err, e->stat_errno, "stat `%s`", e->name);
  if (!S_ISDIR (e->st->st_mode))
    {
      if (unlinkat (e->dirfd, e->name, 0) < 0 && errno != ENOENT)
        return skiff_error_set (err, errno, "remove `%s`", e->name);
      return 0;
    }
  if (e->fd < 0)
    return skiff_error_set (err, e->open_errno, "open `%s`", e->name);
  if (e->st->st_dev != *top_dev)
    return skiff_error_set (err, EBUSY, "refusing to remove `%s` across a mount point", e->name);
  /* a directory without write or search permission for us (images contain such) */
  if ((e->st->st_mode & 0700) != 0700)
    fchmod (e->fd, e->st->st_mode | 0700);
  return SKIFF_WALK_DESCEND;
}

int
rm_rf_at (int dirfd, const char *name, skiff_error_t *err)
{
  if (unlinkat (dirfd, name, 0) == 0 || errno == ENOENT)
    return 0;
  int fd = open_dir_even_unreadable (dirfd, name);
  if (fd < 0)
    {
      if (errno == ENOENT)
        return 0;
      return skiff_error_set (err, errno, "open `%s`", name);
    }
  struct stat st;
  if (fstat (fd, &st) < 0)
    {
      int e = errno;
      close (fd);
      return skiff_error_set (err, e, "stat `%s`", name);
    }
  if ((st.st_mode & 0700) != 0700)
    fchmod (fd, st.st_mode | 0700);
  int r = skiff_walk_at (fd, -1, SKIFF_WALK_FORCE_OPEN, rm_visit, &st.st_dev, err);
  close (fd);
  if (r < 0)
    return skiff_error_wrap (err, "remove `%s`", name);
  if (unlinkat (dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return skiff_error_set (err, errno, "remove `%s`", name);
  return 0;
}

int
rm_rf (const char *path, skiff_error_t *err)
{
  return rm_rf_at (AT_FDCWD, path, err);
}

char *
path_join (const char *a, const char *b)
{
  size_t la = strlen (a);
  while (*b == '/')
    b++;
  if (la > 0 && a[la - 1] == '/')
    return xasprintf ("%s%s", a, b);
  return xasprintf ("%s/%s", a, b);
}

bool
path_exists (const char *path)
{
  struct stat st;
  return lstat (path, &st) == 0;
}

int
send_fd (int sock, int fd, const void *data, size_t len)
{
  char dummy = 0;
  struct iovec iov = { .iov_base = (void *) (len ? data : &dummy), .iov_len = len ? len : 1 };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
  if (fd >= 0)
    {
      memset (&u, 0, sizeof u);
      msg.msg_control = u.buf;
      msg.msg_controllen = sizeof u.buf;
      struct cmsghdr *c = CMSG_FIRSTHDR (&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN (sizeof (int));
      memcpy (CMSG_DATA (c), &fd, sizeof (int));
    }
  for (;;)
    {
      ssize_t r = sendmsg (sock, &msg, MSG_NOSIGNAL);
      if (r >= 0)
        return 0;
      if (errno != EINTR)
        return -errno;
    }
}

ssize_t
recv_fd (int sock, int *fd, void *data, size_t len)
{
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct iovec iov = { .iov_base = data, .iov_len = len };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  *fd = -1;
  ssize_t r;
  do
    r = recvmsg (sock, &msg, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return -errno;
  for (struct cmsghdr *c = CMSG_FIRSTHDR (&msg); c; c = CMSG_NXTHDR (&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      memcpy (fd, CMSG_DATA (c), sizeof (int));
  return r;
}
