/* A tree as a tar stream and back, for `cp` (a container path to stdout, a tar on stdin into a container) and
 * `export`: the write side walks below a directory fd (util/walk.c, never following a symlink), the read side
 * is the layer extractor (unpack.c: every member resolved below the destination fd), with a byte cap. */
#include "storage/store_internal.h"

#include <archive_entry.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>

#define TREETAR_BUF (256 * 1024)

struct tree_link
{
  dev_t dev;
  ino_t ino;
  char *member;
};

struct tree_out
{
  struct archive *a;
  struct archive_entry *ent;
  int outfd;
  const char *as; /* the top's member name; "" for its contents at the archive's root */
  bool one_fs;
  dev_t top_dev;
  char *buf;
  struct tree_link *links;
  size_t n_links;
};

static la_ssize_t
out_write (struct archive *a, void *data, const void *buf, size_t len)
{
  struct tree_out *t = data;
  int r = write_all (t->outfd, buf, len);
  if (r < 0)
    {
      archive_set_error (a, -r, "write the tar stream: %s", strerror (-r));
      return -1;
    }
  return (la_ssize_t) len;
}

static char *
member_name (const struct tree_out *t, const char *path, bool dir)
{
  if (t->as[0] == '\0')
    return xasprintf ("%s%s", path, dir ? "/" : "");
  if (path[0] == '\0')
    return xasprintf ("%s%s", t->as, dir ? "/" : "");
  return xasprintf ("%s/%s%s", t->as, path, dir ? "/" : "");
}

static int
put_header (struct tree_out *t, const char *member, const struct stat *st, const char *symlink, const char *hardlink,
            skiff_error_t *err)
{
  struct archive_entry *e = t->ent;
  archive_entry_clear (e);
  archive_entry_set_pathname (e, member);
  archive_entry_set_filetype (e, st->st_mode & S_IFMT);
  archive_entry_set_perm (e, st->st_mode & 07777);
  archive_entry_set_uid (e, st->st_uid);
  archive_entry_set_gid (e, st->st_gid);
  archive_entry_set_mtime (e, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
  archive_entry_set_size (e, S_ISREG (st->st_mode) && hardlink == NULL ? st->st_size : 0);
  if (symlink)
    archive_entry_set_symlink (e, symlink);
  if (hardlink)
    archive_entry_set_hardlink (e, hardlink);
  if (S_ISCHR (st->st_mode) || S_ISBLK (st->st_mode))
    {
      archive_entry_set_rdevmajor (e, major (st->st_rdev));
      archive_entry_set_rdevminor (e, minor (st->st_rdev));
    }
  if (archive_write_header (t->a, e) < ARCHIVE_WARN)
    return skiff_error_set (err, 0, "write the tar entry `%s`: %s", member, archive_error_string (t->a));
  return 0;
}

/* (dirfd, name) opened for reading; name "": dirfd itself (an O_PATH descriptor, reopened through /proc) */
static int
open_at (int dirfd, const char *name, int flags)
{
  if (name[0] != '\0')
    return openat (dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC);
  char self[64];
  snprintf (self, sizeof self, "/proc/self/fd/%d", dirfd);
  return open (self, flags | O_CLOEXEC);
}

static int
put_data (struct tree_out *t, int dirfd, const char *name, const char *member, uint64_t size, skiff_error_t *err)
{
  cleanup_close int fd = open_at (dirfd, name, O_RDONLY | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    return skiff_error_set (err, errno, "open `%s`", member);
  uint64_t done = 0;
  while (done < size)
    {
      ssize_t n = read (fd, t->buf, size - done < TREETAR_BUF ? (size_t) (size - done) : TREETAR_BUF);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return skiff_error_set (err, errno, "read `%s`", member);
      if (n == 0)
        break; /* it shrank: pad with zeros below, as tar does */
      if (archive_write_data (t->a, t->buf, (size_t) n) != n)
        return skiff_error_set (err, 0, "write `%s` into the tar stream: %s", member, archive_error_string (t->a));
      done += (uint64_t) n;
    }
  memset (t->buf, 0, TREETAR_BUF);
  while (done < size)
    {
      size_t n = size - done < TREETAR_BUF ? (size_t) (size - done) : TREETAR_BUF;
      if (archive_write_data (t->a, t->buf, n) != (la_ssize_t) n)
        return skiff_error_set (err, 0, "write `%s` into the tar stream: %s", member, archive_error_string (t->a));
      done += n;
    }
  return 0;
}

/* One entry (dirfd, name) that is not the walk's top directory. */
static int
put_entry (struct tree_out *t, int dirfd, const char *name, const char *path, const struct stat *st, skiff_error_t *err)
{
  bool dir = S_ISDIR (st->st_mode);
  cleanup_free char *member = member_name (t, path, dir);
  if (dir || S_ISCHR (st->st_mode) || S_ISBLK (st->st_mode) || S_ISFIFO (st->st_mode))
    return put_header (t, member, st, NULL, NULL, err);
  if (S_ISLNK (st->st_mode))
    {
      char target[PATH_MAX];
      ssize_t l = readlinkat (dirfd, name, target, sizeof target - 1);
      if (l < 0)
        return skiff_error_set (err, errno, "readlink `%s`", member);
      target[l] = '\0';
      return put_header (t, member, st, target, NULL, err);
    }
  if (!S_ISREG (st->st_mode))
    return 0; /* sockets: tar has no member for them */
  if (st->st_nlink > 1)
    {
      for (size_t i = 0; i < t->n_links; i++)
        if (t->links[i].dev == st->st_dev && t->links[i].ino == st->st_ino)
          return put_header (t, member, st, NULL, t->links[i].member, err);
      t->links = xrealloc (t->links, (t->n_links + 1) * sizeof *t->links);
      t->links[t->n_links++] = (struct tree_link){ st->st_dev, st->st_ino, xstrdup (member) };
    }
  if (put_header (t, member, st, NULL, NULL, err) < 0)
    return -1;
  return put_data (t, dirfd, name, member, (uint64_t) st->st_size, err);
}

static int
tree_visit (void *data, enum skiff_walk_step step, struct skiff_walk_entry *e, skiff_error_t *err)
{
  struct tree_out *t = data;
  if (step == SKIFF_WALK_POST)
    return 0;
  if (e->st == NULL)
    return 0; /* vanished while we walked */
  if (put_entry (t, e->dirfd, e->name, e->path, e->st, err) < 0)
    return -1;
  if (!S_ISDIR (e->st->st_mode) || (t->one_fs && e->st->st_dev != t->top_dev))
    return 0;
  if (e->fd < 0)
    return skiff_error_set (err, e->open_errno, "open the directory `%s`", e->path);
  return SKIFF_WALK_DESCEND;
}

int
skiff_tree_tar (int dirfd, const char *name, const char *as, bool one_fs, int outfd, skiff_error_t *err)
{
  if (skiff_archive_available (err) < 0)
    return -1;
  struct stat st;
  if (fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) < 0)
    return skiff_error_set (err, errno, "stat `%s`", name);
  struct tree_out t = { .outfd = outfd, .as = as, .one_fs = one_fs, .top_dev = st.st_dev };
  t.a = archive_write_new ();
  t.ent = archive_entry_new ();
  if (t.a == NULL || t.ent == NULL)
    {
      if (t.a)
        archive_write_free (t.a);
      if (t.ent)
        archive_entry_free (t.ent);
      return skiff_error_set (err, ENOMEM, "start a tar stream");
    }
  t.buf = xmalloc (TREETAR_BUF);
  int ret = 0;
  if (archive_write_set_format_pax_restricted (t.a) != ARCHIVE_OK
      || archive_write_open (t.a, &t, NULL, out_write, NULL) != ARCHIVE_OK)
    ret = skiff_error_set (err, 0, "start a tar stream: %s", archive_error_string (t.a));
  if (ret == 0 && !S_ISDIR (st.st_mode))
    {
      /* a single file: its own name (the parent's fd and the name are what we hold) */
      struct tree_out *tp = &t;
      const char *saved = tp->as;
      tp->as = "";
      ret = put_entry (tp, dirfd, name, saved, &st, err);
      tp->as = saved;
    }
  else if (ret == 0)
    {
      cleanup_close int top = open_at (dirfd, name, O_RDONLY | O_DIRECTORY);
      if (top < 0)
        ret = skiff_error_set (err, errno, "open the directory `%s`", as);
      if (ret == 0 && as[0] != '\0')
        {
          cleanup_free char *member = xasprintf ("%s/", as);
          ret = put_header (&t, member, &st, NULL, NULL, err);
        }
      if (ret == 0)
        ret = skiff_walk_at (top, -1, 0, tree_visit, &t, err);
    }
  if (ret == 0 && archive_write_close (t.a) != ARCHIVE_OK)
    ret = skiff_error_set (err, 0, "finish the tar stream: %s", archive_error_string (t.a));
  archive_write_free (t.a);
  archive_entry_free (t.ent);
  for (size_t i = 0; i < t.n_links; i++)
    free (t.links[i].member);
  free (t.links);
  free (t.buf);
  return ret;
}

/* ---- reading ---- */

struct tree_in
{
  int fd;
  char buf[64 * 1024];
};

static la_ssize_t
in_read (struct archive *a, void *data, const void **buf)
{
  struct tree_in *in = data;
  for (;;)
    {
      ssize_t n = read (in->fd, in->buf, sizeof in->buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          archive_set_error (a, errno, "read the input: %s", strerror (errno));
          return -1;
        }
      *buf = in->buf;
      return n;
    }
}

int
skiff_tree_untar (int fd, int destfd, uint64_t limit, skiff_error_t *err)
{
  if (skiff_archive_available (err) < 0)
    return -1;
  struct archive *a = archive_read_new ();
  if (a == NULL)
    return skiff_error_set (err, ENOMEM, "read the tar stream");
  struct tree_in *in = xmalloc (sizeof *in);
  in->fd = fd;
  /* the compressions podman's cp detects; not filter_all, which may run external programs */
  archive_read_support_filter_gzip (a);
  archive_read_support_filter_zstd (a);
  archive_read_support_filter_xz (a);
  archive_read_support_filter_lzma (a);
  archive_read_support_filter_bzip2 (a);
  archive_read_support_format_tar (a);
  archive_read_support_format_gnutar (a);
  int ret = 0;
  if (archive_read_open (a, in, NULL, in_read, NULL) != ARCHIVE_OK)
    ret = skiff_error_set_status (err, EILSEQ, "not a (compressed) tar archive: %s", archive_error_string (a));
  if (ret == 0 && limit == 0)
    {
      struct statvfs sv;
      limit = fstatvfs (destfd, &sv) == 0 ? (uint64_t) sv.f_bavail * sv.f_frsize : UINT64_MAX;
    }
  struct unpack_stats stats = { 0 };
  if (ret == 0)
    ret = skiff_unpack (a, destfd, limit, &stats, err);
  if (ret < 0 && stats.entries == 0 && err && *err && (*err)->status != EILSEQ && (*err)->status != EFBIG)
    {
      skiff_error_release (err);
      ret = skiff_error_set_status (err, EILSEQ, "not a (compressed) tar archive");
    }
  archive_read_free (a);
  free (in);
  return ret;
}
