/* Safe extraction of a layer tar into a directory: every path is resolved component by component with
 * O_NOFOLLOW below the destination fd, so no entry (`..`, symlinks, hardlinks) can write outside it. */
#include "storage/store_internal.h"

#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "util/tarpath.h"

#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_META_PREFIX ".wh..wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"

struct dir_time
{
  char *path;
  struct timespec ts[2];
};

struct unpack_ctx
{
  int destfd;
  uint64_t limit;
  struct unpack_stats *stats;
  /* the parent directory of the previous entry: archives list siblings together */
  char *cached_parent;
  int cached_fd;
  /* directory times are set last: creating children changes them */
  struct dir_time *dirs;
  size_t n_dirs, cap_dirs;
};

static void
drop_cache (struct unpack_ctx *c)
{
  if (c->cached_fd >= 0)
    close (c->cached_fd);
  c->cached_fd = -1;
  free (c->cached_parent);
  c->cached_parent = NULL;
}

/* The member name through the one tar-path policy (util/tarpath.h); "" stands for the layer's root. */
static int
clean_path (const char *raw, char **out, skiff_error_t *err)
{
  int r = skiff_tar_path_clean (raw, out);
  if (r == -ENAMETOOLONG)
    return skiff_error_set_status (err, ENAMETOOLONG, "refusing the path `%.64s...`: longer than %d bytes", raw,
                                   SKIFF_TAR_PATH_MAX);
  if (r < 0)
    return skiff_error_set_status (err, EPERM, "refusing the path `%s`: its `..` components lead outside the layer",
                                   raw);
  return 0;
}

/* An O_PATH fd on the directory `parent` (relative, clean) below destfd, never following a symlink;
 * with create, missing directories are made (mode 0755, as tar and docker do). The fd is borrowed. */
static int
open_parent (struct unpack_ctx *c, const char *parent, bool create, int *out, skiff_error_t *err)
{
  if (parent[0] == '\0')
    {
      *out = c->destfd;
      return 0;
    }
  if (c->cached_parent && strcmp (c->cached_parent, parent) == 0)
    {
      *out = c->cached_fd;
      return 0;
    }
  drop_cache (c);
  cleanup_free char *copy = xstrdup (parent);
  int cur = -1;
  char *save = NULL;
  for (char *comp = strtok_r (copy, "/", &save); comp; comp = strtok_r (NULL, "/", &save))
    {
      int at = cur >= 0 ? cur : c->destfd;
      int fd = openat (at, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0 && errno == ENOENT && create)
        {
          if (mkdirat (at, comp, 0755) < 0 && errno != EEXIST)
            {
              int e = errno;
              if (cur >= 0)
                close (cur);
              return skiff_error_set (err, e, "create the directory `%s`", parent);
            }
          fd = openat (at, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
      if (fd < 0)
        {
          int e = errno;
          struct stat st;
          bool is_link = fstatat (at, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK (st.st_mode);
          if (cur >= 0)
            close (cur);
          if (is_link)
            return skiff_error_set_status (err, EPERM,
                                           "refusing to write through the symbolic link `%s` (in `%s`): it could "
                                           "point outside the layer",
                                           comp, parent);
          return skiff_error_set (err, e, "open the directory `%s`", parent);
        }
      if (cur >= 0)
        close (cur);
      cur = fd;
    }
  c->cached_parent = xstrdup (parent);
  c->cached_fd = cur;
  *out = cur;
  return 0;
}

/* Split a clean path into its parent's fd and its last component. */
static int
resolve (struct unpack_ctx *c, const char *path, bool create, int *parentfd, const char **base, skiff_error_t *err)
{
  const char *slash = strrchr (path, '/');
  cleanup_free char *parent = slash ? xstrndup (path, (size_t) (slash - path)) : xstrdup ("");
  *base = slash ? slash + 1 : path;
  return open_parent (c, parent, create, parentfd, err);
}

bool
skiff_xattr_allowed (const char *name)
{
  /* user.overlay.* would be obeyed by the overlay mount (userxattr): only we set those, from whiteouts */
  if (str_has_prefix (name, "user."))
    return !str_has_prefix (name, "user.overlay.");
  return strcmp (name, "security.capability") == 0;
}

int
unpack_chown (int dirfd, const char *name, uid_t uid, gid_t gid, int flags, skiff_error_t *err)
{
  if (fchownat (dirfd, name, uid, gid, flags) == 0)
    return 0;
  if (errno == EINVAL)
    {
      static bool warned;
      /* the ID is not mapped: a single-ID user namespace. The creator (root) stays the owner. */
      if (!warned)
        log_warning ("image files owned by other users are owned by root: no subordinate ID range");
      warned = true;
      return 0;
    }
  int e = errno;
  return skiff_error_set_status (
      err, e, "chown%s%s%s to %u:%u: %s (storage must run as root in skiff's user namespace)", name[0] ? " `" : "",
      name, name[0] ? "`" : "", (unsigned) uid, (unsigned) gid, strerror (e));
}

static void
set_xattrs (struct archive_entry *e, int fd, const char *path)
{
  const char *name;
  const void *value;
  size_t size;
  archive_entry_xattr_reset (e);
  while (archive_entry_xattr_next (e, &name, &value, &size) == ARCHIVE_OK)
    {
      if (!skiff_xattr_allowed (name))
        {
          log_debug ("`%s`: skipping the extended attribute %s", path, name);
          continue;
        }
      if (fsetxattr (fd, name, value, size, 0) < 0)
        log_debug ("`%s`: cannot set the extended attribute %s: %s", path, name, strerror (errno));
    }
}

static void
entry_times (struct archive_entry *e, struct timespec ts[2])
{
  ts[1].tv_sec = archive_entry_mtime (e);
  ts[1].tv_nsec = archive_entry_mtime_nsec (e);
  if (archive_entry_atime_is_set (e))
    {
      ts[0].tv_sec = archive_entry_atime (e);
      ts[0].tv_nsec = archive_entry_atime_nsec (e);
    }
  else
    ts[0] = ts[1];
}

static void
defer_dir_time (struct unpack_ctx *c, const char *path, struct archive_entry *e)
{
  if (c->n_dirs == c->cap_dirs)
    {
      c->cap_dirs = c->cap_dirs ? c->cap_dirs * 2 : 64;
      c->dirs = xrealloc (c->dirs, c->cap_dirs * sizeof *c->dirs);
    }
  c->dirs[c->n_dirs].path = xstrdup (path);
  entry_times (e, c->dirs[c->n_dirs].ts);
  c->n_dirs++;
}

/* Remove whatever is at path = parent/base (a directory recursively). */
static int
remove_existing (struct unpack_ctx *c, int parentfd, const char *base, const char *path, const struct stat *st,
                 skiff_error_t *err)
{
  if (S_ISDIR (st->st_mode))
    {
      /* a cached directory at or below it would go stale (parentfd itself is above it) */
      size_t n = strlen (path);
      if (c->cached_parent && strncmp (c->cached_parent, path, n) == 0
          && (c->cached_parent[n] == '\0' || c->cached_parent[n] == '/'))
        drop_cache (c);
      return rm_rf_at (parentfd, base, err);
    }
  if (unlinkat (parentfd, base, 0) < 0 && errno != ENOENT)
    return skiff_error_set (err, errno, "remove `%s`", base);
  return 0;
}

static int
write_data (struct archive *a, int fd, int64_t size, skiff_error_t *err)
{
  for (;;)
    {
      const void *buf;
      size_t len;
      la_int64_t offset;
      int r = archive_read_data_block (a, &buf, &len, &offset);
      if (r == ARCHIVE_EOF)
        break;
      if (r < ARCHIVE_WARN)
        return skiff_error_set (err, 0, "read the archive: %s", archive_error_string (a));
      if (offset < 0 || (int64_t) len > size || offset > size - (int64_t) len)
        return skiff_error_set_status (err, EINVAL, "the archive's data overruns the declared file size");
      const char *p = buf;
      while (len > 0)
        {
          ssize_t w = pwrite (fd, p, len, offset);
          if (w < 0 && errno == EINTR)
            continue;
          if (w < 0)
            return skiff_error_set (err, errno, "write");
          p += w;
          len -= (size_t) w;
          offset += w;
        }
    }
  /* a sparse tail is a hole: extend without writing */
  if (ftruncate (fd, size) < 0)
    return skiff_error_set (err, errno, "set the file size");
  return 0;
}

/* Metadata common to everything but symlinks and hardlinks, applied through an fd: owner first, then the
 * mode (chown clears setuid/setgid), xattrs, times. */
static int
apply_metadata_fd (struct archive_entry *e, int fd, const char *path, bool times, skiff_error_t *err)
{
  uid_t uid = (uid_t) archive_entry_uid (e);
  gid_t gid = (gid_t) archive_entry_gid (e);
  if (unpack_chown (fd, "", uid, gid, AT_EMPTY_PATH, err) < 0)
    return skiff_error_wrap (err, "`%s`", path);
  set_xattrs (e, fd, path);
  if (fchmod (fd, archive_entry_perm (e) & 07777) < 0)
    return skiff_error_set (err, errno, "chmod `%s`", path);
  if (times)
    {
      struct timespec ts[2];
      entry_times (e, ts);
      if (futimens (fd, ts) < 0)
        return skiff_error_set (err, errno, "set the times of `%s`", path);
    }
  return 0;
}

static int
make_whiteout (struct unpack_ctx *c, int parentfd, const char *name, const char *path, skiff_error_t *err)
{
  struct stat st;
  cleanup_free char *victim = NULL;
  const char *slash = strrchr (path, '/');
  victim = slash ? xasprintf ("%.*s/%s", (int) (slash - path), path, name) : xstrdup (name);
  if (fstatat (parentfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0
      && remove_existing (c, parentfd, name, victim, &st, err) < 0)
    return -1;
  if (mknodat (parentfd, name, S_IFCHR /* no permission bits */, makedev (0, 0)) < 0)
    return skiff_error_set (err, errno,
                            "create the whiteout `%s` (a 0/0 character device; unprivileged since Linux 5.8)", path);
  return 0;
}

static int
set_opaque (int parentfd, const char *path, skiff_error_t *err)
{
  cleanup_close int fd = openat (parentfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return skiff_error_set (err, errno, "open the directory of `%s`", path);
  if (fsetxattr (fd, OVERLAY_OPAQUE_XATTR, "y", 1, 0) < 0)
    return skiff_error_set (err, errno,
                            "set %s on the directory of `%s` (the storage filesystem must support user "
                            "extended attributes)",
                            OVERLAY_OPAQUE_XATTR, path);
  return 0;
}

static int
extract_hardlink (struct unpack_ctx *c, struct archive_entry *e, const char *path, int parentfd, const char *base,
                  skiff_error_t *err)
{
  cleanup_free char *target = NULL;
  if (clean_path (archive_entry_hardlink (e), &target, err) < 0)
    return skiff_error_wrap (err, "hardlink target");
  if (strcmp (target, path) == 0)
    return 0; /* a link to itself: nothing to do */
  if (target[0] == '\0')
    return skiff_error_set_status (err, EPERM, "refusing a hardlink to the layer's root directory");
  /* resolving the target replaces the cached parent: keep an fd of our own on the target's directory */
  const char *slash = strrchr (target, '/');
  cleanup_free char *tparent = slash ? xstrndup (target, (size_t) (slash - target)) : xstrdup ("");
  const char *tbase = slash ? slash + 1 : target;
  cleanup_close int tfd = -1;
  if (tparent[0] != '\0')
    {
      int borrowed;
      if (open_parent (c, tparent, false, &borrowed, err) < 0)
        return skiff_error_wrap (err, "hardlink `%s` -> `%s`: the target is not in the layer", path, target);
      tfd = fcntl (borrowed, F_DUPFD_CLOEXEC, 3);
      if (tfd < 0)
        return skiff_error_set (err, errno, "dup");
    }
  int tdir = tfd >= 0 ? tfd : c->destfd;
  struct stat tst;
  if (fstatat (tdir, tbase, &tst, AT_SYMLINK_NOFOLLOW) < 0)
    return skiff_error_set_status (err, EPERM,
                                   "hardlink `%s` -> `%s`: the target is not in the layer (it must come "
                                   "earlier in the same archive)",
                                   path, target);
  if (S_ISDIR (tst.st_mode))
    return skiff_error_set_status (err, EPERM, "hardlink `%s` -> `%s`: the target is a directory", path, target);
  /* re-resolve our parent: open_parent above may have replaced the cache */
  const char *b2;
  if (resolve (c, path, true, &parentfd, &b2, err) < 0)
    return -1;
  struct stat st;
  if (fstatat (parentfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0
      && remove_existing (c, parentfd, base, path, &st, err) < 0)
    return -1;
  if (linkat (tdir, tbase, parentfd, base, 0) < 0)
    return skiff_error_set (err, errno, "hardlink `%s` -> `%s`", path, target);
  return 0;
}

static int
extract_entry (struct unpack_ctx *c, struct archive *a, struct archive_entry *e, skiff_error_t *err)
{
  const char *raw = archive_entry_pathname (e);
  if (raw == NULL)
    return skiff_error_set_status (err, EINVAL, "an archive entry has no path");
  cleanup_free char *path = NULL;
  if (clean_path (raw, &path, err) < 0)
    return -1;
  mode_t type = archive_entry_filetype (e);
  const char *hardlink = archive_entry_hardlink (e);

  if (path[0] == '\0')
    {
      /* "./" itself: the layer's root directory takes the entry's metadata */
      if (type != AE_IFDIR || hardlink)
        return skiff_error_set_status (err, EPERM, "refusing `%s`: the layer's root can only be a directory", raw);
      if (apply_metadata_fd (e, c->destfd, ".", false, err) < 0)
        return -1;
      defer_dir_time (c, "", e);
      return 0;
    }

  int parentfd;
  const char *base;
  if (resolve (c, path, true, &parentfd, &base, err) < 0)
    return skiff_error_wrap (err, "`%s`", raw);

  if (str_has_prefix (base, WHITEOUT_PREFIX))
    {
      if (strcmp (base, WHITEOUT_OPAQUE) == 0)
        return set_opaque (parentfd, path, err);
      if (str_has_prefix (base, WHITEOUT_META_PREFIX))
        {
          log_debug ("skipping the aufs metadata entry `%s`", path);
          return 0;
        }
      const char *name = base + strlen (WHITEOUT_PREFIX);
      if (name[0] == '\0' || strcmp (name, ".") == 0 || strcmp (name, "..") == 0 || strchr (name, '/'))
        return skiff_error_set_status (err, EPERM, "refusing the whiteout `%s`: it names no file", raw);
      return make_whiteout (c, parentfd, name, path, err);
    }

  if (hardlink)
    return extract_hardlink (c, e, path, parentfd, base, err);

  if (type == AE_IFREG)
    {
      int64_t size = archive_entry_size (e);
      if (size < 0)
        size = 0;
      if ((uint64_t) size > c->limit || c->stats->bytes > c->limit - (uint64_t) size)
        return skiff_error_set_status (err, EFBIG,
                                       "refusing `%s`: the layer would exceed %llu bytes, the extraction limit (a "
                                       "decompression bomb, or too little free space: free some or raise the limit)",
                                       raw, (unsigned long long) c->limit);
      c->stats->bytes += (uint64_t) size;
    }

  struct stat st;
  bool exists = fstatat (parentfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0;
  if (type == AE_IFDIR)
    {
      if (exists && !S_ISDIR (st.st_mode))
        {
          if (remove_existing (c, parentfd, base, path, &st, err) < 0)
            return -1;
          exists = false;
        }
      if (!exists && mkdirat (parentfd, base, 0700) < 0)
        return skiff_error_set (err, errno, "create the directory `%s`", path);
      cleanup_close int fd = openat (parentfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0)
        return skiff_error_set (err, errno, "open the directory `%s`", path);
      if (apply_metadata_fd (e, fd, path, false, err) < 0)
        return -1;
      defer_dir_time (c, path, e);
      return 0;
    }

  if (exists && remove_existing (c, parentfd, base, path, &st, err) < 0)
    return -1;

  uid_t uid = (uid_t) archive_entry_uid (e);
  gid_t gid = (gid_t) archive_entry_gid (e);
  struct timespec ts[2];
  entry_times (e, ts);
  switch (type)
    {
    case AE_IFREG:
      {
        cleanup_close int fd = openat (parentfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
          return skiff_error_set (err, errno, "create `%s`", path);
        if (write_data (a, fd, archive_entry_size (e) < 0 ? 0 : archive_entry_size (e), err) < 0)
          return skiff_error_wrap (err, "extract `%s`", path);
        return apply_metadata_fd (e, fd, path, true, err);
      }
    case AE_IFLNK:
      {
        const char *target = archive_entry_symlink (e);
        /* the target is data: it is never followed while extracting */
        if (target == NULL || symlinkat (target, parentfd, base) < 0)
          return skiff_error_set (err, target ? errno : EINVAL, "create the symbolic link `%s`", path);
        if (unpack_chown (parentfd, base, uid, gid, AT_SYMLINK_NOFOLLOW, err) < 0)
          return skiff_error_wrap (err, "`%s`", path);
        if (utimensat (parentfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
          log_debug ("`%s`: cannot set the times of a symbolic link: %s", path, strerror (errno));
        return 0;
      }
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO:
      {
        dev_t dev = type == AE_IFIFO ? 0 : makedev (archive_entry_rdevmajor (e), archive_entry_rdevminor (e));
        if (mknodat (parentfd, base, type | 0600, dev) < 0)
          {
            /* devices cannot be created in a user namespace: rootless podman skips them as well */
            if (errno == EPERM && type != AE_IFIFO)
              {
                log_debug ("skipping the device `%s`: devices cannot be created in a user namespace", path);
                return 0;
              }
            return skiff_error_set (err, errno, "create the special file `%s`", path);
          }
        if (unpack_chown (parentfd, base, uid, gid, AT_SYMLINK_NOFOLLOW, err) < 0)
          return skiff_error_wrap (err, "`%s`", path);
        if (fchmodat (parentfd, base, archive_entry_perm (e) & 07777, 0) < 0)
          return skiff_error_set (err, errno, "chmod `%s`", path);
        if (utimensat (parentfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
          return skiff_error_set (err, errno, "set the times of `%s`", path);
        return 0;
      }
    default:
      log_debug ("skipping `%s`: unsupported file type 0%o", path, (unsigned) type);
      return 0;
    }
}

static void
apply_dir_times (struct unpack_ctx *c)
{
  /* deepest last-created first: a parent's time is set after its children changed it */
  for (size_t i = c->n_dirs; i-- > 0;)
    {
      struct dir_time *d = &c->dirs[i];
      if (d->path[0] == '\0')
        {
          futimens (c->destfd, d->ts);
          continue;
        }
      int parentfd;
      const char *base;
      skiff_error_t err = NULL;
      if (resolve (c, d->path, false, &parentfd, &base, &err) < 0)
        {
          skiff_error_release (&err);
          continue;
        }
      utimensat (parentfd, base, d->ts, AT_SYMLINK_NOFOLLOW);
    }
}

int
skiff_unpack (struct archive *a, int destfd, uint64_t limit, struct unpack_stats *stats, skiff_error_t *err)
{
  struct unpack_ctx c = { .destfd = destfd, .limit = limit, .stats = stats, .cached_fd = -1 };
  int ret = 0;
  memset (stats, 0, sizeof *stats);
  for (;;)
    {
      struct archive_entry *e;
      int r = archive_read_next_header (a, &e);
      if (r == ARCHIVE_EOF)
        break;
      if (r == ARCHIVE_WARN)
        log_debug ("reading the archive: %s", archive_error_string (a));
      else if (r != ARCHIVE_OK)
        {
          ret = skiff_error_set (err, 0, "read the archive: %s", archive_error_string (a));
          break;
        }
      stats->entries++;
      ret = extract_entry (&c, a, e, err);
      if (ret < 0)
        break;
    }
  if (ret == 0)
    apply_dir_times (&c);
  drop_cache (&c);
  for (size_t i = 0; i < c.n_dirs; i++)
    free (c.dirs[i].path);
  free (c.dirs);
  return ret;
}
