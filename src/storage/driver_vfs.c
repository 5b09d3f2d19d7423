/* The vfs driver: no mount at all; the layers are merged base first into containers/<id>/diff, applying
 * whiteouts and opaque directories, with reflinks or copy_file_range where the filesystem offers them. The
 * copy is a walk (util/walk.c) with the destination as its shadow tree: any depth, few descriptors. */
#include "storage/store_internal.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

struct link_entry
{
  ino_t ino;
  char *path; /* relative to the destination root */
};

struct copy_ctx
{
  int dstroot;
  /* hardlinks within the layer being copied stay hardlinks */
  struct link_entry *links;
  size_t n_links, cap_links;
};

static int
vfs_probe (struct skiff_store *s, skiff_error_t *err)
{
  return 0;
}

static const char *
link_lookup (struct copy_ctx *c, ino_t ino)
{
  for (size_t i = 0; i < c->n_links; i++)
    if (c->links[i].ino == ino)
      return c->links[i].path;
  return NULL;
}

static void
link_add (struct copy_ctx *c, ino_t ino, const char *path)
{
  if (c->n_links == c->cap_links)
    {
      c->cap_links = c->cap_links ? 2 * c->cap_links : 64;
      c->links = xrealloc (c->links, c->cap_links * sizeof *c->links);
    }
  c->links[c->n_links].ino = ino;
  c->links[c->n_links].path = xstrdup (path);
  c->n_links++;
}

static void
links_reset (struct copy_ctx *c)
{
  for (size_t i = 0; i < c->n_links; i++)
    free (c->links[i].path);
  c->n_links = 0;
}

static int
copy_data (int in, int out, off_t size, skiff_error_t *err)
{
  if (size == 0)
    return 0;
  if (ioctl (out, FICLONE, in) == 0)
    return 0;
  off_t done = 0;
  bool use_cfr = true;
  char *buf = NULL;
  while (done < size)
    {
      ssize_t n = -1;
      if (use_cfr)
        {
          n = copy_file_range (in, NULL, out, NULL, (size_t) (size - done), 0);
          if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP || errno == EINVAL))
            {
              use_cfr = false;
              continue;
            }
        }
      else
        {
          if (buf == NULL)
            buf = xmalloc (128 * 1024);
          n = read (in, buf, 128 * 1024);
          if (n > 0 && write_all (out, buf, (size_t) n) < 0)
            n = -1;
        }
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          free (buf);
          return skiff_error_set (err, errno, "copy file data");
        }
      if (n == 0)
        break;
      done += n;
    }
  free (buf);
  return 0;
}

static void
copy_xattrs (int in, int out, const char *path)
{
  char names[4096];
  ssize_t n = flistxattr (in, names, sizeof names);
  for (ssize_t off = 0; n > 0 && off < n; off += (ssize_t) strlen (names + off) + 1)
    {
      const char *name = names + off;
      if (!skiff_xattr_allowed (name))
        continue;
      char value[4096];
      ssize_t vl = fgetxattr (in, name, value, sizeof value);
      if (vl >= 0 && fsetxattr (out, name, value, (size_t) vl, 0) < 0)
        log_debug ("`%s`: cannot copy the extended attribute %s: %s", path, name, strerror (errno));
    }
}

/* Owner, mode, xattrs and times from st/in onto out (an fd). */
static int
copy_meta_fd (int in, int out, const struct stat *st, const char *path, bool times, skiff_error_t *err)
{
  if (unpack_chown (out, "", st->st_uid, st->st_gid, AT_EMPTY_PATH, err) < 0)
    return -1;
  if (in >= 0)
    copy_xattrs (in, out, path);
  if (fchmod (out, st->st_mode & 07777) < 0)
    return skiff_error_set (err, errno, "chmod `%s`", path);
  if (times)
    {
      struct timespec ts[2] = { st->st_atim, st->st_mtim };
      futimens (out, ts);
    }
  return 0;
}

static bool
is_opaque (int dirfd)
{
  char v[4];
  ssize_t n = fgetxattr (dirfd, OVERLAY_OPAQUE_XATTR, v, sizeof v);
  return n == 1 && v[0] == 'y';
}

/* A hardlink to the first name of its inode, copied earlier in this layer; that name may be longer than
 * PATH_MAX, so its directory is reached one component at a time. */
static int
copy_hardlink (struct copy_ctx *c, const char *first, int dst, const char *name, const char *rel, skiff_error_t *err)
{
  const char *base;
  cleanup_close int pfd = open_parent_beneath (c->dstroot, first, &base, err);
  if (pfd < 0)
    return skiff_error_wrap (err, "hardlink `%s` to `%s`", rel, first);
  if (linkat (pfd, base, dst, name, 0) < 0)
    return skiff_error_set (err, errno, "hardlink `%s` to `%s`", rel, first);
  return 0;
}

/* A directory of the layer: made (or kept) in the destination, which becomes the walk's shadow of it. */
static int
copy_dir_pre (struct skiff_walk_entry *e, bool exists, const struct stat *dst_st, skiff_error_t *err)
{
  int dst = e->shadow_dirfd;
  if (e->fd < 0)
    return skiff_error_set (err, e->open_errno, "open `%s`", e->path);
  if (exists && (!S_ISDIR (dst_st->st_mode) || is_opaque (e->fd)))
    {
      if (rm_rf_at (dst, e->name, err) < 0)
        return -1;
      exists = false;
    }
  if (!exists && mkdirat (dst, e->name, 0700) < 0)
    return skiff_error_set (err, errno, "create `%s`", e->path);
  e->shadow_fd = openat (dst, e->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (e->shadow_fd < 0)
    return skiff_error_set (err, errno, "open `%s`", e->path);
  return SKIFF_WALK_DESCEND;
}

/* One entry of the layer onto the destination (the walk's shadow tree); a directory's owner, mode and times
 * are set when the walk leaves it, after its contents. */
static int
copy_visit (void *data, enum skiff_walk_step step, struct skiff_walk_entry *e, skiff_error_t *err)
{
  struct copy_ctx *c = data;
  const char *name = e->name, *rel = e->path;
  int src = e->dirfd, dst = e->shadow_dirfd;
  if (step == SKIFF_WALK_POST)
    return copy_meta_fd (e->fd, e->shadow_fd, e->st, rel, true, err);
  if (e->st == NULL)
    return skiff_error_set (err, e->stat_errno, "stat `%s`", rel);
  const struct stat st = *e->st;
  struct stat dst_st;
  bool exists = fstatat (dst, name, &dst_st, AT_SYMLINK_NOFOLLOW) == 0;

  /* a whiteout hides what lower layers put here */
  if (S_ISCHR (st.st_mode) && st.st_rdev == makedev (0, 0))
    return exists ? rm_rf_at (dst, name, err) : 0;

  if (S_ISDIR (st.st_mode))
    return copy_dir_pre (e, exists, &dst_st, err);

  if (exists && rm_rf_at (dst, name, err) < 0)
    return -1;

  if (S_ISREG (st.st_mode) && st.st_nlink > 1)
    {
      const char *first = link_lookup (c, st.st_ino);
      if (first)
        return copy_hardlink (c, first, dst, name, rel, err);
      link_add (c, st.st_ino, rel);
    }
  struct timespec ts[2] = { st.st_atim, st.st_mtim };
  switch (st.st_mode & S_IFMT)
    {
    case S_IFREG:
      {
        cleanup_close int in = openat (src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (in < 0)
          return skiff_error_set (err, errno, "open `%s`", rel);
        cleanup_close int out = openat (dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (out < 0)
          return skiff_error_set (err, errno, "create `%s`", rel);
        if (copy_data (in, out, st.st_size, err) < 0)
          return skiff_error_wrap (err, "`%s`", rel);
        return copy_meta_fd (in, out, &st, rel, true, err);
      }
    case S_IFLNK:
      {
        char target[PATH_MAX];
        ssize_t n = readlinkat (src, name, target, sizeof target - 1);
        if (n < 0)
          return skiff_error_set (err, errno, "read the link `%s`", rel);
        target[n] = '\0';
        if (symlinkat (target, dst, name) < 0)
          return skiff_error_set (err, errno, "create the link `%s`", rel);
        if (unpack_chown (dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW, err) < 0)
          return -1;
        utimensat (dst, name, ts, AT_SYMLINK_NOFOLLOW);
        return 0;
      }
    case S_IFIFO:
    case S_IFCHR:
    case S_IFBLK:
      if (mknodat (dst, name, st.st_mode, st.st_rdev) < 0)
        {
          if (errno == EPERM && !S_ISFIFO (st.st_mode))
            return 0; /* as when unpacking: no devices in a user namespace */
          return skiff_error_set (err, errno, "create `%s`", rel);
        }
      if (unpack_chown (dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW, err) < 0)
        return -1;
      fchmodat (dst, name, st.st_mode & 07777, 0);
      utimensat (dst, name, ts, AT_SYMLINK_NOFOLLOW);
      return 0;
    default:
      return 0; /* sockets: nothing to copy */
    }
}

static int
vfs_create (struct skiff_store *s, int cdirfd, char *const *layers, skiff_error_t *err)
{
  if (mkdirat (cdirfd, CONTAINER_DIFF, 0755) < 0)
    return skiff_error_set (err, errno, "create the container directory");
  cleanup_close int dst = openat (cdirfd, CONTAINER_DIFF, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dst < 0)
    return skiff_error_set (err, errno, "open the container directory");
  struct copy_ctx c = { .dstroot = dst };
  int r = 0;
  for (size_t i = 0; r == 0 && layers && layers[i]; i++)
    {
      cleanup_free char *p = xasprintf (STORE_LAYERS "/%s/" LAYER_DIFF, layers[i]);
      cleanup_close int src = openat (s->rootfd, p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (src < 0)
        {
          r = skiff_error_set (err, errno, "open the layer `%s/%s`", s->root, p);
          break;
        }
      /* an opaque layer root hides everything below */
      if (i > 0 && is_opaque (src))
        {
          if ((r = rm_rf_at (cdirfd, CONTAINER_DIFF, err)) < 0)
            break;
          if (mkdirat (cdirfd, CONTAINER_DIFF, 0755) < 0)
            {
              r = skiff_error_set (err, errno, "create the container directory");
              break;
            }
          close (dst);
          dst = openat (cdirfd, CONTAINER_DIFF, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
          c.dstroot = dst;
        }
      r = skiff_walk_at (src, dst, 0, copy_visit, &c, err);
      if (r == 0)
        {
          struct stat st;
          if (fstat (src, &st) == 0)
            r = copy_meta_fd (src, dst, &st, "/", true, err);
        }
      links_reset (&c);
      if (r < 0)
        skiff_error_wrap (err, "copy layer %.12s", layers[i]);
    }
  free (c.links);
  return r;
}

static int
vfs_mount (struct skiff_store *s, const char *cid, char *const *layers, char **path, skiff_error_t *err)
{
  *path = xasprintf ("%s/" STORE_CONTAINERS "/%s/" CONTAINER_DIFF, s->root, cid);
  return 0;
}

static int
vfs_unmount (struct skiff_store *s, const char *cid, skiff_error_t *err)
{
  return 0;
}

const struct skiff_driver skiff_driver_vfs = {
  .name = "vfs",
  .probe = vfs_probe,
  .create = vfs_create,
  .mount = vfs_mount,
  .unmount = vfs_unmount,
  .remove = store_container_remove,
};
