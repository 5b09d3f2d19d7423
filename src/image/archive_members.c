/* Image archives, load side: the archive's members. A first pass reads only the tar's headers into a table;
 * later passes fetch only the members the manifests reference (JSON into memory, layers into a private
 * temporary directory), under one cap on what an archive may write. No member that nothing references is
 * ever written, and no member is written with holes. */
#include "image/archive_internal.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "util/tarpath.h"

#define ARC_MEMBERS_MAX 65536            /* docker save writes 4 files a layer, podman's OCI archives 1 */
#define ARC_NAMES_MAX (16 * 1024 * 1024) /* the table's names: real archives need a few kB */
#define SYMLINK_HOPS_MAX 40              /* the kernel's own limit */

static uint64_t write_max = ARC_LOAD_WRITE_MAX;

void
arc_load_set_write_max (uint64_t bytes)
{
  write_max = bytes ? bytes : ARC_LOAD_WRITE_MAX;
}

/* "1.5 GiB": sizes in messages */
static char *
human_size (uint64_t n)
{
  static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
  double v = (double) n;
  size_t u = 0;
  while (v >= 1024 && u + 1 < ARRAY_SIZE (units))
    {
      v /= 1024;
      u++;
    }
  return u == 0 ? xasprintf ("%llu bytes", (unsigned long long) n) : xasprintf ("%.3g %s", v, units[u]);
}

static int
cap_error (struct arc_members *u, uint64_t wanted, skiff_error_t *err)
{
  cleanup_free char *w = human_size (wanted);
  cleanup_free char *cap = human_size (write_max);
  return skiff_error_set_status (
      err, EFBIG,
      "the archive would write %s to `%s`, more than %s, the most one archive may write there (a cap "
      "that no real image reaches, against archives that expand without bound)",
      w, arc_tmp_dir (), cap);
}

void
arc_members_release (struct arc_members *u)
{
  if (u->fd >= 0 && u->own_fd)
    close (u->fd);
  if (u->dir)
    {
      skiff_error_t e2 = NULL;
      if (rm_rf (u->dir, &e2) < 0)
        {
          log_warning ("cannot remove `%s`: %s", u->dir, e2->msg);
          skiff_error_release (&e2);
        }
    }
  for (size_t i = 0; i < u->n; i++)
    {
      free (u->m[i].path);
      free (u->m[i].link);
      free (u->m[i].data);
      free (u->m[i].file);
    }
  free (u->m);
  free (u->dir);
  memset (u, 0, sizeof *u);
  u->fd = -1;
}

/* A pipe cannot be read twice: its bytes are copied to the temporary directory first (podman does the same),
 * counted against the cap. */
static int
spool_input (struct arc_members *u, int fd, skiff_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/input", u->dir);
  cleanup_close int out = open (path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (out < 0)
    return skiff_error_set (err, errno, "create `%s`", path);
  cleanup_free char *buf = xmalloc (COPY_BLOCK);
  for (;;)
    {
      ssize_t n = read (fd, buf, COPY_BLOCK);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return skiff_error_set (err, errno, "read the archive");
      if (n == 0)
        break;
      if (u->written + (uint64_t) n > write_max)
        return cap_error (u, u->written + (uint64_t) n, err);
      int r = write_all (out, buf, (size_t) n);
      if (r < 0)
        return skiff_error_set (err, -r, "write `%s`", path);
      u->written += (uint64_t) n;
    }
  u->fd = steal_fd (&out);
  u->own_fd = true;
  u->start = 0;
  return 0;
}

static struct archive *
pass_open (struct arc_members *u, skiff_error_t *err)
{
  if (lseek (u->fd, u->start, SEEK_SET) < 0)
    {
      skiff_error_set (err, errno, "rewind the archive");
      return NULL;
    }
  if (skiff_archive_available (err) < 0)
    return NULL;
  struct archive *a = archive_read_new ();
  if (a == NULL)
    {
      skiff_error_set (err, ENOMEM, "read the archive");
      return NULL;
    }
  archive_read_support_filter_gzip (a);
  archive_read_support_filter_zstd (a);
  archive_read_support_filter_xz (a);
  archive_read_support_filter_lzma (a);
  archive_read_support_filter_bzip2 (a);
  archive_read_support_format_tar (a);
  if (archive_read_open_fd (a, u->fd, COPY_BLOCK) != ARCHIVE_OK)
    {
      skiff_error_set_status (
          err, EINVAL,
          NOT_A_PAYLOAD " not a tar (%s): skiff loads the tar of save, podman save or docker save (docker-archive "
                        "or oci-archive), optionally compressed",
          archive_error_string (a));
      archive_read_free (a);
      return NULL;
    }
  return a;
}

/* The next header of a pass; 1 at the end. */
static int
pass_next (struct archive *a, size_t ordinal, struct archive_entry **e, skiff_error_t *err)
{
  int r = archive_read_next_header (a, e);
  if (r == ARCHIVE_EOF)
    return 1;
  if (r >= ARCHIVE_WARN)
    return 0;
  if (ordinal == 0)
    return skiff_error_set_status (
        err, EINVAL,
        NOT_A_PAYLOAD " not a tar (%s): skiff loads the tar of save, podman save or docker save (docker-archive "
                      "or oci-archive), optionally compressed",
        archive_error_string (a));
  return skiff_error_set_status (err, EIO, "read the archive: %s (a truncated or corrupt archive)",
                                 archive_error_string (a));
}

static bool
is_index_name (const char *path)
{
  return strcmp (path, DOCKER_MANIFEST_FILE) == 0 || strcmp (path, OCI_INDEX_FILE) == 0;
}

static int fetch_data (struct archive *a, struct arc_member *m, skiff_error_t *err);

/* One header of the first pass into the table. Names that leave the archive are not recorded: a reference
 * to one is refused when it is resolved. */
static int
record_member (struct arc_members *u, struct archive *a, struct archive_entry *e, size_t ordinal, skiff_error_t *err)
{
  const char *raw = archive_entry_pathname (e);
  char *path = NULL;
  if (raw == NULL || skiff_tar_path_clean (raw, &path) < 0 || path[0] == '\0')
    {
      free (path);
      return 0;
    }
  struct arc_member m = { .path = path, .ordinal = ordinal };
  const char *hl = archive_entry_hardlink (e);
  const char *sl = archive_entry_filetype (e) == AE_IFLNK ? archive_entry_symlink (e) : NULL;
  if (hl)
    m.bad_link = skiff_tar_path_clean (hl, &m.link) < 0; /* hardlink targets are relative to the root */
  else if (sl)
    m.bad_link = skiff_tar_link_resolve (path, sl, &m.link) < 0;
  else if (archive_entry_filetype (e) == AE_IFREG)
    {
      int64_t size = archive_entry_size (e);
      m.size = size > 0 ? (uint64_t) size : 0;
      m.sparse = archive_entry_sparse_count (e) > 0;
    }
  else
    {
      free (path);
      return 0;
    }
  size_t name_bytes = strlen (m.path) + (m.link ? strlen (m.link) : 0);
  if (u->n >= ARC_MEMBERS_MAX || u->names_bytes + name_bytes > ARC_NAMES_MAX)
    {
      free (m.path);
      free (m.link);
      return skiff_error_set_status (
          err, EFBIG,
          "not an image archive: more than %d files or %d MiB of names (docker save and podman save "
          "write a few files per layer)",
          ARC_MEMBERS_MAX, ARC_NAMES_MAX >> 20);
    }
  u->names_bytes += name_bytes;
  /* the two files every load reads first come with this pass; a later copy of one replaces the earlier */
  if (!m.link && !m.sparse && m.size <= ARC_JSON_MAX && is_index_name (m.path))
    {
      for (size_t i = 0; i < u->n; i++)
        if (u->m[i].data && strcmp (u->m[i].path, m.path) == 0)
          {
            free (u->m[i].data);
            u->m[i].data = NULL;
          }
      if (fetch_data (a, &m, err) < 0)
        {
          free (m.path);
          return -1;
        }
    }
  if (u->n == u->cap)
    {
      u->cap = u->cap ? 2 * u->cap : 32;
      u->m = xrealloc (u->m, u->cap * sizeof *u->m);
    }
  u->m[u->n++] = m;
  return 0;
}

int
arc_members_open (int fd, struct arc_members *u, skiff_error_t *err)
{
  memset (u, 0, sizeof *u);
  u->fd = -1;
  cleanup_free char *tmpl = xasprintf ("%s/skiff-load-XXXXXX", arc_tmp_dir ());
  if (mkdtemp (tmpl) == NULL)
    return skiff_error_set (err, errno, "create a temporary directory in `%s` (set TMPDIR to a writable directory)",
                            arc_tmp_dir ());
  u->dir = xstrdup (tmpl);
  struct stat st;
  off_t start = fstat (fd, &st) == 0 && S_ISREG (st.st_mode) ? lseek (fd, 0, SEEK_CUR) : -1;
  if (start < 0)
    {
      if (spool_input (u, fd, err) < 0)
        return -1;
    }
  else
    {
      u->fd = fd;
      u->start = start;
    }
  struct archive *a = pass_open (u, err);
  if (a == NULL)
    return -1;
  int ret = 0;
  for (size_t ordinal = 0; ret == 0; ordinal++)
    {
      struct archive_entry *e;
      int r = pass_next (a, ordinal, &e, err);
      if (r == 1 && ordinal == 0)
        ret = skiff_error_set_status (err, EINVAL, NOT_A_PAYLOAD " the input is empty");
      if (r != 0)
        break;
      ret = record_member (u, a, e, ordinal, err);
    }
  archive_read_free (a);
  u->passes = 1;
  return ret;
}

struct arc_member *
arc_member_find (struct arc_members *u, const char *path)
{
  /* later entries replace earlier ones, as tar extraction would */
  for (size_t i = u->n; i-- > 0;)
    if (strcmp (u->m[i].path, path) == 0)
      return &u->m[i];
  return NULL;
}

struct arc_member *
arc_member_resolve (struct arc_members *u, const char *raw, skiff_error_t *err)
{
  cleanup_free char *path = NULL;
  if (skiff_tar_path_clean (raw, &path) < 0)
    {
      skiff_error_set_status (err, EINVAL, "invalid path `%.200s` in the archive: it leaves the archive", raw);
      return NULL;
    }
  for (int hops = 0; hops < SYMLINK_HOPS_MAX; hops++)
    {
      struct arc_member *m = arc_member_find (u, path);
      if (m == NULL)
        {
          skiff_error_set_status (err, ENOENT, "`%.200s` is not in the archive", raw);
          return NULL;
        }
      if (m->bad_link)
        {
          skiff_error_set_status (err, EINVAL, "the link `%.200s` in the archive points outside it", raw);
          return NULL;
        }
      if (m->link == NULL)
        return m;
      free (path);
      path = xstrdup (m->link);
    }
  skiff_error_set_status (err, ELOOP, "`%.200s` in the archive: too many levels of symbolic links", raw);
  return NULL;
}

int
arc_member_want (struct arc_members *u, struct arc_member *m, unsigned how, skiff_error_t *err)
{
  if (m->sparse)
    return skiff_error_set_status (
        err, EINVAL,
        "`%s` in the archive is a sparse file: save, podman save and docker save never write one, and "
        "load does not write holes",
        m->path);
  if ((m->want | how) == (ARC_WANT_DATA | ARC_WANT_FILE))
    return skiff_error_set_status (err, EINVAL,
                                   "`%s` in the archive is named both as a layer and as a manifest or config", m->path);
  if ((how & ARC_WANT_DATA) && m->size > ARC_JSON_MAX)
    return skiff_error_set_status (
        err, EFBIG, "`%s` in the archive is too large (%llu bytes) for a manifest or config (at most %d)", m->path,
        (unsigned long long) m->size, ARC_JSON_MAX);
  if ((how & ARC_WANT_DATA) && !(m->want & ARC_WANT_DATA) && !m->data)
    {
      u->in_memory += m->size;
      if (u->in_memory > ARC_JSON_TOTAL_MAX)
        return skiff_error_set_status (
            err, EFBIG, "the archive's manifests and configs take more than %d MiB: not an image archive",
            ARC_JSON_TOTAL_MAX >> 20);
    }
  m->want |= how;
  return 0;
}

static bool
fetched (const struct arc_member *m)
{
  return m->want == 0 || m->data || m->file;
}

static int
fetch_data (struct archive *a, struct arc_member *m, skiff_error_t *err)
{
  char *buf = xmalloc (m->size + 1);
  size_t got = 0;
  while (got < m->size)
    {
      la_ssize_t n = archive_read_data (a, buf + got, m->size - got);
      if (n <= 0)
        {
          free (buf);
          return skiff_error_set_status (err, EIO, "read `%s` from the archive: %s", m->path,
                                         n < 0 ? archive_error_string (a) : "truncated");
        }
      got += (size_t) n;
    }
  buf[got] = '\0';
  m->data = buf;
  return 0;
}

static int
fetch_file (struct arc_members *u, struct archive *a, struct arc_member *m, size_t ordinal, skiff_error_t *err)
{
  char *file = xasprintf ("%s/m%zu", u->dir, ordinal);
  cleanup_close int fd = open (file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int e = errno;
      free (file);
      return skiff_error_set (err, e, "create a file in `%s`", u->dir);
    }
  m->file = file; /* removed with the directory, whatever happens next */
  uint64_t done = 0;
  for (;;)
    {
      const void *buf;
      size_t len;
      la_int64_t offset;
      int r = archive_read_data_block (a, &buf, &len, &offset);
      if (r == ARCHIVE_EOF)
        break;
      if (r < ARCHIVE_WARN)
        return skiff_error_set_status (err, EIO, "read `%s` from the archive: %s", m->path, archive_error_string (a));
      /* data must come contiguous: a gap is a hole, which would be written as zeros */
      if (offset < 0 || (uint64_t) offset != done)
        return skiff_error_set_status (err, EINVAL, "`%s` in the archive is a sparse file: load does not write holes",
                                       m->path);
      if (len > m->size - done)
        return skiff_error_set_status (err, EINVAL, "`%s` in the archive holds more data than its declared size",
                                       m->path);
      int w = write_all (fd, buf, len);
      if (w < 0)
        return skiff_error_set (err, -w, "write `%s`", m->file);
      done += len;
      u->written += len;
    }
  if (done != m->size)
    return skiff_error_set_status (err, EIO, "read `%s` from the archive: truncated", m->path);
  return 0;
}

/* What the wanted files will write must fit the cap and the free space, checked before any is written. */
static int
check_room (struct arc_members *u, uint64_t to_write, skiff_error_t *err)
{
  if (to_write > write_max || u->written > write_max - to_write)
    return cap_error (u, u->written + to_write, err);
  struct statvfs sv;
  if (to_write > 0 && statvfs (u->dir, &sv) == 0 && (uint64_t) sv.f_bavail * sv.f_frsize < to_write)
    {
      cleanup_free char *w = human_size (to_write);
      cleanup_free char *f = human_size ((uint64_t) sv.f_bavail * sv.f_frsize);
      return skiff_error_set_status (
          err, ENOSPC,
          "the archive's layers need %s in `%s`, which has %s free (set TMPDIR to a directory with more "
          "room)",
          w, arc_tmp_dir (), f);
    }
  return 0;
}

int
arc_members_fetch (struct arc_members *u, skiff_error_t *err)
{
  size_t pending = 0;
  uint64_t to_write = 0;
  for (size_t i = 0; i < u->n; i++)
    if (!fetched (&u->m[i]))
      {
        pending++;
        if (u->m[i].want & ARC_WANT_FILE)
          to_write += u->m[i].size;
      }
  if (pending == 0)
    return 0;
  if (check_room (u, to_write, err) < 0)
    return -1;
  struct archive *a = pass_open (u, err);
  if (a == NULL)
    return -1;
  u->passes++;
  int ret = 0;
  size_t k = 0;
  for (size_t ordinal = 0; ret == 0 && pending > 0; ordinal++)
    {
      struct archive_entry *e;
      int r = pass_next (a, ordinal, &e, err);
      if (r == 1)
        ret = skiff_error_set_status (err, EIO, "the archive changed while it was read");
      if (r != 0)
        break;
      while (k < u->n && u->m[k].ordinal < ordinal)
        k++;
      if (k == u->n || u->m[k].ordinal != ordinal || fetched (&u->m[k]))
        continue;
      struct arc_member *m = &u->m[k];
      cleanup_free char *path = NULL;
      const char *raw = archive_entry_pathname (e);
      int64_t size = archive_entry_size (e);
      if (raw == NULL || skiff_tar_path_clean (raw, &path) < 0 || strcmp (path, m->path) != 0
          || (uint64_t) (size > 0 ? size : 0) != m->size)
        {
          ret = skiff_error_set_status (err, EIO, "the archive changed while it was read");
          break;
        }
      ret = m->want == ARC_WANT_DATA ? fetch_data (a, m, err) : fetch_file (u, a, m, ordinal, err);
      pending--;
    }
  archive_read_free (a);
  return ret;
}
