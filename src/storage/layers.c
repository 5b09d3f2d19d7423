/* Layers: a tar stream (any compression) is extracted into layers/.tmp-* without the store lock (several at
 * once), its diff ID (sha256 of the uncompressed stream) computed on the way, and the directory renamed to
 * layers/<diff ID> under the lock once verified. */
#include "storage/store_internal.h"

#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/statvfs.h>

#define LAYER_READ_BLOCK (128 * 1024)

/*
 * Why two libarchive readers: the diff ID is the sha256 of the *decompressed* tar, byte for byte, including
 * the end-of-archive blocks and any padding after them. libarchive's tar reader does not hand out the raw
 * bytes it consumes, so an outer reader ("raw" format, all supported compression filters) decompresses the
 * input, and an inner reader (tar format only, no filters) parses the tar from a callback that pulls from the
 * outer reader and hashes each block on the way. After the last entry the rest of the decompressed stream is
 * drained into the hash. One pass, no temporary copy of the tarball, and the hash covers exactly what the
 * tar parser saw.
 */
struct hashing_source
{
  struct archive *outer;
  struct skiff_sha256 *sha;
  uint64_t size;
  bool eof;
  char *buf;
};

static la_ssize_t
hashing_read (struct archive *inner, void *data, const void **buf)
{
  struct hashing_source *h = data;
  if (h->eof)
    return 0;
  la_ssize_t n = archive_read_data (h->outer, h->buf, LAYER_READ_BLOCK);
  if (n < 0)
    {
      archive_set_error (inner, archive_errno (h->outer) > 0 ? archive_errno (h->outer) : EIO, "%s",
                         archive_error_string (h->outer) ? archive_error_string (h->outer) : "decompression failed");
      return -1;
    }
  if (n == 0)
    h->eof = true;
  skiff_sha256_update (h->sha, h->buf, (size_t) n);
  h->size += (uint64_t) n;
  *buf = h->buf;
  return n;
}

/* The raw input, read by the outer reader; counting tells an empty input from an unknown one. */
struct fd_source
{
  int fd;
  uint64_t bytes;
  char buf[LAYER_READ_BLOCK];
};

static la_ssize_t
fd_read (struct archive *a, void *data, const void **buf)
{
  struct fd_source *src = data;
  for (;;)
    {
      ssize_t n = read (src->fd, src->buf, sizeof src->buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          archive_set_error (a, errno, "read the input: %s", strerror (errno));
          return -1;
        }
      src->bytes += (uint64_t) n;
      *buf = src->buf;
      return n;
    }
}

static struct archive *
open_outer (struct fd_source *src, skiff_error_t *err)
{
  if (skiff_archive_available (err) < 0)
    return NULL;
  struct archive *a = archive_read_new ();
  if (a == NULL)
    {
      skiff_error_set (err, ENOMEM, "read the layer");
      return NULL;
    }
  /* the compressions layers use; not filter_all, which may run external programs for exotic formats */
  archive_read_support_filter_gzip (a);
  archive_read_support_filter_zstd (a);
  archive_read_support_filter_xz (a);
  archive_read_support_filter_lzma (a);
  archive_read_support_filter_bzip2 (a);
  archive_read_support_format_raw (a);
  struct archive_entry *e;
  int r = archive_read_open (a, src, NULL, fd_read, NULL);
  if (r == ARCHIVE_OK)
    r = archive_read_next_header (a, &e);
  /* the raw format accepts anything but nothing */
  if (r == ARCHIVE_EOF || (r < ARCHIVE_WARN && src->bytes == 0))
    {
      skiff_error_set_status (err, EINVAL, "the input is empty: expected a tar archive");
      archive_read_free (a);
      return NULL;
    }
  if (r < ARCHIVE_WARN)
    {
      skiff_error_set (err, 0, "read the layer: %s", archive_error_string (a));
      archive_read_free (a);
      return NULL;
    }
  return a;
}

static uint64_t
free_space (int fd)
{
  struct statvfs sv;
  if (fstatvfs (fd, &sv) < 0)
    return UINT64_MAX;
  return (uint64_t) sv.f_bavail * (uint64_t) sv.f_frsize;
}

bool
store_layer_exists (struct skiff_store *s, const char *hex)
{
  if (!skiff_hex_id_valid (hex))
    return false;
  cleanup_free char *p = xasprintf (STORE_LAYERS "/%s/" LAYER_DIFF, hex);
  struct stat st;
  return fstatat (s->rootfd, p, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR (st.st_mode);
}

uint64_t
store_layer_size (struct skiff_store *s, const char *hex)
{
  cleanup_free char *p = xasprintf (STORE_LAYERS "/%s/" LAYER_SIZE, hex);
  cleanup_free char *data = NULL;
  skiff_error_t err = NULL;
  long long v = 0;
  if (read_file_at (s->rootfd, p, &data, NULL, &err) < 0)
    {
      skiff_error_release (&err);
      return 0;
    }
  data[strcspn (data, "\n")] = '\0';
  return str_to_llong (data, 0, INT64_MAX, &v) ? (uint64_t) v : 0;
}

static int
extract_stream (struct skiff_store *s, int fd, int difffd, char hex[SKIFF_DIGEST_HEX_LEN + 1], uint64_t *size,
                skiff_error_t *err)
{
  cleanup_free struct fd_source *src = xmalloc0 (sizeof *src);
  src->fd = fd;
  struct archive *outer = open_outer (src, err);
  if (outer == NULL)
    return -1;
  struct archive *inner = archive_read_new ();
  if (inner == NULL)
    {
      archive_read_free (outer);
      return skiff_error_set (err, ENOMEM, "read the layer");
    }
  cleanup_free char *buf = xmalloc (LAYER_READ_BLOCK);
  struct hashing_source h = { .outer = outer, .sha = skiff_sha256_new (), .buf = buf };
  archive_read_support_format_tar (inner);
  int ret = 0;
  if (archive_read_open (inner, &h, NULL, hashing_read, NULL) != ARCHIVE_OK)
    ret = skiff_error_set (err, 0,
                           "not a tar archive (%s): expected a tar, optionally compressed with gzip, zstd, "
                           "xz or bzip2",
                           archive_error_string (inner));
  if (ret == 0)
    {
      uint64_t limit = s->unpack_limit ? s->unpack_limit : free_space (difffd);
      struct unpack_stats stats;
      ret = skiff_unpack (inner, difffd, limit, &stats, err);
      if (ret < 0 && stats.entries == 0 && archive_format (inner) == 0)
        {
          skiff_error_release (err);
          ret = skiff_error_set_status (err, EINVAL,
                                        "not a tar archive: expected a tar, optionally compressed with gzip, "
                                        "zstd, xz or bzip2");
        }
    }
  /* whatever follows the end-of-archive blocks is part of the diff ID too */
  const void *dummy;
  while (ret == 0 && !h.eof)
    if (hashing_read (inner, &h, &dummy) < 0)
      ret = skiff_error_set (err, 0, "read the layer: %s", archive_error_string (inner));
  skiff_sha256_final (h.sha, hex);
  *size = h.size;
  archive_read_free (inner);
  archive_read_free (outer);
  return ret;
}

/* layers/.tmp-<random>, flock'ed through *fd until the caller closes it. Created under the store lock, which the
 * crash cleanup also holds: it sees the directory either locked or not at all. */
static int
layer_tmp_create (struct skiff_store *s, int layersfd, char **name, int *fd, skiff_error_t *err)
{
  if (store_lock (s, err) < 0)
    return -1;
  cleanup_free char *tmp = NULL;
  int ret = store_mkdtemp_at (layersfd, &tmp, err);
  if (ret < 0)
    ret = skiff_error_wrap (err, "in `%s/%s`", s->root, STORE_LAYERS);
  int tfd = -1;
  if (ret == 0 && (tfd = openat (layersfd, tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)) < 0)
    ret = skiff_error_set (err, errno, "open `%s/%s/%s`", s->root, STORE_LAYERS, tmp);
  if (ret == 0 && flock (tfd, LOCK_EX | LOCK_NB) < 0)
    ret = skiff_error_set (err, errno, "lock `%s/%s/%s`", s->root, STORE_LAYERS, tmp);
  if (ret < 0 && tmp)
    unlinkat (layersfd, tmp, AT_REMOVEDIR);
  store_unlock (s);
  if (ret < 0)
    {
      if (tfd >= 0)
        close (tfd);
      return ret;
    }
  *name = steal_pointer (&tmp);
  *fd = tfd;
  return 0;
}

/* Rename the verified layer into place under the store lock, unless it is there already (another thread or
 * process published it first: keep that copy, the caller discards ours). *published tells which. */
static int
layer_publish (struct skiff_store *s, int layersfd, const char *tmp, const char *hex, bool *published,
               skiff_error_t *err)
{
  *published = false;
  if (store_lock (s, err) < 0)
    return -1;
  int ret = 0;
  if (!store_layer_exists (s, hex))
    {
      if (renameat (layersfd, tmp, layersfd, hex) == 0)
        *published = true;
      else if (errno != ENOTEMPTY && errno != EEXIST)
        ret = skiff_error_set (err, errno, "rename the layer into `%s/%s/%s`", s->root, STORE_LAYERS, hex);
    }
  store_unlock (s);
  return ret;
}

int
store_layer_apply_locked (struct skiff_store *s, int fd, const char *expected, char hex[SKIFF_DIGEST_HEX_LEN + 1],
                          uint64_t *size_out, skiff_error_t *err)
{
  cleanup_close int layersfd = openat (s->rootfd, STORE_LAYERS, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (layersfd < 0)
    return skiff_error_set (err, errno, "open `%s/%s`", s->root, STORE_LAYERS);
  cleanup_free char *tmp = NULL;
  /* holds the temporary directory's flock until the end: the crash cleanup of other processes keeps it */
  cleanup_close int tmpfd = -1;
  if (layer_tmp_create (s, layersfd, &tmp, &tmpfd, err) < 0)
    return -1;
  int ret = 0;
  uint64_t size = 0;
  {
    cleanup_close int difffd = -1;
    if (mkdirat (tmpfd, LAYER_DIFF, 0755) < 0)
      ret = skiff_error_set (err, errno, "create `%s/%s`", tmp, LAYER_DIFF);
    if (ret == 0 && (difffd = openat (tmpfd, LAYER_DIFF, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
      ret = skiff_error_set (err, errno, "open `%s/%s`", tmp, LAYER_DIFF);
    if (ret == 0)
      ret = extract_stream (s, fd, difffd, hex, &size, err);
    if (ret == 0 && expected && strcmp (expected, hex) != 0)
      ret = skiff_error_set_status (err, EINVAL,
                                    "layer digest mismatch: expected diff ID sha256:%s, the content is sha256:%s (a "
                                    "corrupt download or a wrong image config)",
                                    expected, hex);
    if (ret == 0)
      {
        char num[32];
        int n = snprintf (num, sizeof num, "%llu\n", (unsigned long long) size);
        ret = write_file_at (tmpfd, LAYER_SIZE, num, (size_t) n, 0600, err);
      }
    /* the layer becomes visible only after its content is on disk */
    if (ret == 0 && syncfs (difffd) < 0)
      ret = skiff_error_set (err, errno, "sync the layer");
  }
  bool published = false;
  if (ret == 0 && !store_layer_exists (s, hex))
    ret = layer_publish (s, layersfd, tmp, hex, &published, err);
  if (!published)
    {
      skiff_error_t rmerr = NULL;
      if (rm_rf_at (layersfd, tmp, &rmerr) < 0)
        {
          log_warning ("cannot remove `%s/%s/%s`: %s", s->root, STORE_LAYERS, tmp, rmerr->msg);
          skiff_error_release (&rmerr);
        }
    }
  if (ret == 0 && size_out)
    *size_out = size;
  return ret;
}

int
skiff_store_layer_apply (struct skiff_store *s, int fd, const char *expected_diff_id, char **diff_id,
                         skiff_error_t *err)
{
  const char *expected = NULL;
  if (expected_diff_id && (expected = skiff_digest_hex (expected_diff_id)) == NULL)
    return skiff_error_set_status (err, EINVAL, "invalid diff ID `%s`: expected sha256:<64 hex digits>",
                                   expected_diff_id);
  char hex[SKIFF_DIGEST_HEX_LEN + 1];
  int r = store_layer_apply_locked (s, fd, expected, hex, NULL, err);
  if (r < 0)
    return r;
  if (diff_id)
    *diff_id = xasprintf ("sha256:%s", hex);
  return 0;
}

bool
skiff_store_layer_exists (struct skiff_store *s, const char *diff_id)
{
  const char *hex = skiff_digest_hex (diff_id);
  return hex && store_layer_exists (s, hex);
}

char *
skiff_store_layer_path (struct skiff_store *s, const char *diff_id)
{
  const char *hex = skiff_digest_hex (diff_id);
  if (hex == NULL || !store_layer_exists (s, hex))
    return NULL;
  return xasprintf ("%s/" STORE_LAYERS "/%s/" LAYER_DIFF, s->root, hex);
}
