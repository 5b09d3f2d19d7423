/* A new volume's first content, as podman gives it: what the image holds at the mount's destination is copied
 * into the volume's empty directory before it is bound there (copy-up). Runs in the container child, as root of
 * the user namespace, so owners are kept as they are in the image. The copy is a walk (util/walk.c) with the
 * volume as its shadow tree: any depth, few descriptors; symlinks are copied, never followed. */
#include "runtime/mounts.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#define COPY_BUF_SIZE (128 * 1024)

static bool
dir_empty (int fd)
{
  int dfd = fcntl (fd, F_DUPFD_CLOEXEC, 0);
  DIR *d = dfd >= 0 ? fdopendir (dfd) : NULL;
  if (d == NULL)
    {
      if (dfd >= 0)
        close (dfd);
      return false;
    }
  struct dirent *de;
  bool empty = true;
  while (empty && (de = readdir (d)) != NULL)
    empty = strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0;
  closedir (d);
  return empty;
}

static int
copy_file (struct skiff_walk_entry *e, skiff_error_t *err)
{
  cleanup_close int in = openat (e->dirfd, e->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (in < 0)
    return skiff_error_set (err, errno, "open `%s`", e->path);
  cleanup_close int out
      = openat (e->shadow_dirfd, e->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, e->st->st_mode & 07777);
  if (out < 0)
    return skiff_error_set (err, errno, "create `%s`", e->path);
  for (;;)
    {
      ssize_t n = copy_file_range (in, NULL, out, NULL, COPY_BUF_SIZE, 0);
      if (n == 0)
        break;
      if (n > 0)
        continue;
      if (errno == EINTR)
        continue;
      if (errno != EXDEV && errno != ENOSYS && errno != EOPNOTSUPP && errno != EINVAL)
        return skiff_error_set (err, errno, "copy `%s`", e->path);
      cleanup_free char *buf = xmalloc (COPY_BUF_SIZE);
      ssize_t r;
      while ((r = read (in, buf, COPY_BUF_SIZE)) > 0 || (r < 0 && errno == EINTR))
        if (r > 0 && write_all (out, buf, (size_t) r) < 0)
          return skiff_error_set (err, errno, "write `%s`", e->path);
      if (r < 0)
        return skiff_error_set (err, errno, "read `%s`", e->path);
      break;
    }
  if (fchown (out, e->st->st_uid, e->st->st_gid) < 0 || fchmod (out, e->st->st_mode & 07777) < 0)
    return skiff_error_set (err, errno, "chown `%s`", e->path);
  struct timespec ts[2] = { e->st->st_atim, e->st->st_mtim };
  futimens (out, ts);
  return 0;
}

static int
copy_visit (void *data, enum skiff_walk_step step, struct skiff_walk_entry *e, skiff_error_t *err)
{
  (void) data;
  if (e->st == NULL || e->shadow_dirfd < 0)
    return 0;
  const struct stat *st = e->st;
  if (step == SKIFF_WALK_POST)
    {
      if (e->shadow_fd >= 0)
        {
          struct timespec ts[2] = { st->st_atim, st->st_mtim };
          if (fchown (e->shadow_fd, st->st_uid, st->st_gid) < 0 || fchmod (e->shadow_fd, st->st_mode & 07777) < 0)
            return skiff_error_set (err, errno, "chown `%s`", e->path);
          futimens (e->shadow_fd, ts);
        }
      return 0;
    }
  if (S_ISDIR (st->st_mode))
    {
      if (mkdirat (e->shadow_dirfd, e->name, 0700) < 0)
        return skiff_error_set (err, errno, "mkdir `%s`", e->path);
      e->shadow_fd = openat (e->shadow_dirfd, e->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (e->shadow_fd < 0)
        return skiff_error_set (err, errno, "open `%s`", e->path);
      return e->fd >= 0 ? SKIFF_WALK_DESCEND : 0;
    }
  if (S_ISREG (st->st_mode))
    return copy_file (e, err);
  if (S_ISLNK (st->st_mode))
    {
      char target[PATH_MAX];
      ssize_t n = readlinkat (e->dirfd, e->name, target, sizeof target - 1);
      if (n < 0)
        return skiff_error_set (err, errno, "readlink `%s`", e->path);
      target[n] = '\0';
      if (symlinkat (target, e->shadow_dirfd, e->name) < 0
          || fchownat (e->shadow_dirfd, e->name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
        return skiff_error_set (err, errno, "symlink `%s`", e->path);
      return 0;
    }
  /* fifos and sockets; device nodes cannot be made in a user namespace and are left out */
  if ((S_ISFIFO (st->st_mode) || S_ISSOCK (st->st_mode)) && mknodat (e->shadow_dirfd, e->name, st->st_mode, 0) == 0)
    fchownat (e->shadow_dirfd, e->name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW);
  return 0;
}

int
skiff_copy_up (int srcfd, int dstfd, skiff_error_t *err)
{
  if (!dir_empty (dstfd))
    return 0;
  struct stat st;
  if (fstat (srcfd, &st) == 0)
    {
      if (fchown (dstfd, st.st_uid, st.st_gid) < 0 || fchmod (dstfd, st.st_mode & 07777) < 0)
        return skiff_error_set (err, errno, "chown the volume");
    }
  return skiff_walk_at (srcfd, dstfd, 0, copy_visit, NULL, err);
}

struct chown_ctx
{
  uid_t uid;
  gid_t gid;
};

static int
chown_visit (void *data, enum skiff_walk_step step, struct skiff_walk_entry *e, skiff_error_t *err)
{
  struct chown_ctx *c = data;
  if (step == SKIFF_WALK_POST || e->st == NULL)
    return 0;
  if (fchownat (e->dirfd, e->name, c->uid, c->gid, AT_SYMLINK_NOFOLLOW) < 0)
    return skiff_error_set (err, errno, "chown `%s`", e->path);
  return S_ISDIR (e->st->st_mode) && e->fd >= 0 ? SKIFF_WALK_DESCEND : 0;
}

int
skiff_chown_tree (const char *path, uid_t uid, gid_t gid, skiff_error_t *err)
{
  cleanup_close int fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return skiff_error_set (err, errno, "open `%s`", path);
  /* podman's rule: a top already owned by the user means the tree was chowned before (what was changed in it
   * since is left alone) */
  struct stat top;
  if (fstat (fd, &top) == 0 && top.st_uid == uid && top.st_gid == gid)
    return 0;
  if (fchown (fd, uid, gid) < 0)
    return skiff_error_set (err, errno, "chown `%s`", path);
  struct stat st;
  if (fstat (fd, &st) < 0 || !S_ISDIR (st.st_mode))
    return 0;
  struct chown_ctx c = { uid, gid };
  return skiff_walk_at (fd, -1, 0, chown_visit, &c, err);
}
