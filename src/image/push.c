/* Push: every layer re-tarred from its extracted directory (deterministically, so pushing twice gives the same
 * digests; a walk of util/walk.c, at any depth), the config (with the re-tarred diff IDs), then an OCI manifest. Blobs the registry has are skipped,
 * blobs another repository of the same registry has are mounted, the rest uploaded (PUT, or PATCH chunks). */
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "image/registry.h"
#include "oci/digest.h"

#define TAR_BLOCK 512
#define COPY_BUF (64u << 10)
#define DEFAULT_CHUNK (64ull << 20)
#define WHITEOUT_PREFIX ".wh."
#define OPAQUE_MARKER ".wh..wh..opq"
#define OVERLAY_OPAQUE "user.overlay.opaque"
#define PAX_DIR "PaxHeaders.0/"
#define USTAR_MAX_ID 07777777ULL
#define USTAR_MAX_SIZE 077777777777ULL

/* ---- the deterministic tar ---- */

struct hardlink
{
  dev_t dev;
  ino_t ino;
  char *path;
};

struct tar_out
{
  int fd;
  struct skiff_sha256 *sha;
  uint64_t size;
  struct hardlink *links;
  size_t n_links;
  char *buf;
};

static int
tar_write (struct tar_out *t, const void *p, size_t n, skiff_error_t *err)
{
  int r = write_all (t->fd, p, n);
  if (r < 0)
    return skiff_error_set (err, -r, "write the layer tar");
  skiff_sha256_update (t->sha, p, n);
  t->size += n;
  return 0;
}

static int
tar_pad (struct tar_out *t, uint64_t n, skiff_error_t *err)
{
  static const char zero[TAR_BLOCK];
  size_t rem = (size_t) (n % TAR_BLOCK);
  return rem ? tar_write (t, zero, TAR_BLOCK - rem, err) : 0;
}

static void
octal (char *field, size_t width, uint64_t v)
{
  /* callers clamp v to what width - 1 octal digits hold */
  char tmp[32];
  int n = snprintf (tmp, sizeof tmp, "%0*llo", (int) width - 1, (unsigned long long) v);
  memcpy (field, tmp + (size_t) n - (width - 1), width - 1);
  field[width - 1] = '\0';
}

struct xattr_kv
{
  char *name;
  char *value;
  size_t len;
};

static void
pax_add (char **rec, size_t *len, const char *key, const char *value, size_t vlen)
{
  /* "LEN key=value\n" where LEN counts itself */
  size_t base = strlen (key) + vlen + 3;
  size_t total = base + 1;
  for (;;)
    {
      char d[24];
      size_t l = (size_t) snprintf (d, sizeof d, "%zu", total);
      if (base + l == total)
        break;
      total = base + l;
    }
  *rec = xrealloc (*rec, *len + total + 1);
  int h = sprintf (*rec + *len, "%zu %s=", total, key);
  memcpy (*rec + *len + h, value, vlen);
  (*rec)[*len + total - 1] = '\n';
  *len += total;
}

static void
pax_add_number (char **rec, size_t *len, const char *key, uint64_t v)
{
  char num[32];
  int n = snprintf (num, sizeof num, "%" PRIu64, v);
  pax_add (rec, len, key, num, (size_t) n);
}

static void
ustar_header (char h[TAR_BLOCK], const char *name, mode_t mode, uint64_t uid, uint64_t gid, uint64_t size,
              int64_t mtime, char type, const char *link, unsigned major, unsigned minor)
{
  memset (h, 0, TAR_BLOCK);
  strncpy (h, name, 100);
  octal (h + 100, 8, mode & 07777);
  octal (h + 108, 8, uid > USTAR_MAX_ID ? 0 : uid);
  octal (h + 116, 8, gid > USTAR_MAX_ID ? 0 : gid);
  octal (h + 124, 12, size > USTAR_MAX_SIZE ? 0 : size);
  octal (h + 136, 12, mtime < 0 ? 0 : (uint64_t) mtime > USTAR_MAX_SIZE ? USTAR_MAX_SIZE : (uint64_t) mtime);
  h[156] = type;
  if (link)
    strncpy (h + 157, link, 100);
  memcpy (h + 257, "ustar", 6);
  memcpy (h + 263, "00", 2);
  octal (h + 329, 8, major);
  octal (h + 337, 8, minor);
  memset (h + 148, ' ', 8);
  unsigned sum = 0;
  for (size_t i = 0; i < TAR_BLOCK; i++)
    sum += (unsigned char) h[i];
  snprintf (h + 148, 8, "%06o", sum);
  h[155] = ' ';
}

static int
tar_entry (struct tar_out *t, const char *path, const struct stat *st, char type, uint64_t size, const char *link,
           const struct xattr_kv *xa, size_t n_xa, skiff_error_t *err)
{
  cleanup_free char *pax = NULL;
  size_t plen = 0;
  if (strlen (path) > 100)
    pax_add (&pax, &plen, "path", path, strlen (path));
  if (link && strlen (link) > 100)
    pax_add (&pax, &plen, "linkpath", link, strlen (link));
  if (size > USTAR_MAX_SIZE)
    pax_add_number (&pax, &plen, "size", size);
  if ((uint64_t) st->st_uid > USTAR_MAX_ID)
    pax_add_number (&pax, &plen, "uid", st->st_uid);
  if ((uint64_t) st->st_gid > USTAR_MAX_ID)
    pax_add_number (&pax, &plen, "gid", st->st_gid);
  for (size_t i = 0; i < n_xa; i++)
    {
      cleanup_free char *key = xasprintf ("SCHILY.xattr.%s", xa[i].name);
      pax_add (&pax, &plen, key, xa[i].value, xa[i].len);
    }
  char h[TAR_BLOCK];
  if (plen)
    {
      const char *base = strrchr (path, '/');
      base = base && base[1] ? base + 1 : path;
      char pname[101];
      snprintf (pname, sizeof pname, "%s%.*s", PAX_DIR, 100 - (int) strlen (PAX_DIR), base);
      ustar_header (h, pname, 0644, 0, 0, plen, st->st_mtim.tv_sec, 'x', NULL, 0, 0);
      if (tar_write (t, h, TAR_BLOCK, err) < 0 || tar_write (t, pax, plen, err) < 0 || tar_pad (t, plen, err) < 0)
        return -1;
    }
  bool dev = type == '3' || type == '4';
  ustar_header (h, path, st->st_mode, st->st_uid, st->st_gid, size, st->st_mtim.tv_sec, type, link,
                dev ? major (st->st_rdev) : 0, dev ? minor (st->st_rdev) : 0);
  return tar_write (t, h, TAR_BLOCK, err);
}

static int
cmp_xattr (const void *a, const void *b)
{
  return strcmp (((const struct xattr_kv *) a)->name, ((const struct xattr_kv *) b)->name);
}

/* The xattrs an image may carry (as unpack lets in), sorted by name. */
static size_t
read_xattrs (int dirfd, const char *name, struct xattr_kv **out, bool *opaque)
{
  *out = NULL;
  if (opaque)
    *opaque = false;
  char proc[64];
  snprintf (proc, sizeof proc, "/proc/self/fd/%d/", dirfd);
  cleanup_free char *p = xasprintf ("%s%s", proc, name);
  ssize_t n = llistxattr (p, NULL, 0);
  if (n <= 0)
    return 0;
  cleanup_free char *names = xmalloc ((size_t) n);
  n = llistxattr (p, names, (size_t) n);
  if (n <= 0)
    return 0;
  size_t count = 0;
  struct xattr_kv *v = NULL;
  for (char *k = names; k < names + n; k += strlen (k) + 1)
    {
      bool user = str_has_prefix (k, "user.") && !str_has_prefix (k, "user.overlay.");
      bool opq = strcmp (k, OVERLAY_OPAQUE) == 0;
      if (!user && strcmp (k, "security.capability") != 0 && !opq)
        continue;
      ssize_t l = lgetxattr (p, k, NULL, 0);
      if (l < 0)
        continue;
      char *val = xmalloc ((size_t) l + 1);
      l = lgetxattr (p, k, val, (size_t) l);
      if (l < 0)
        {
          free (val);
          continue;
        }
      if (opq)
        {
          if (opaque)
            *opaque = l == 1 && val[0] == 'y';
          free (val);
          continue;
        }
      v = xrealloc (v, (count + 1) * sizeof *v);
      v[count++] = (struct xattr_kv){ xstrdup (k), val, (size_t) l };
    }
  if (count)
    qsort (v, count, sizeof *v, cmp_xattr);
  *out = v;
  return count;
}

static void
free_xattrs (struct xattr_kv *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (v[i].name);
      free (v[i].value);
    }
  free (v);
}

static int
tar_file_data (struct tar_out *t, int dirfd, const char *name, uint64_t size, const char *path, skiff_error_t *err)
{
  cleanup_close int fd = openat (dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return skiff_error_set (err, errno, "open `%s` in the layer", path);
  uint64_t done = 0;
  while (done < size)
    {
      size_t want = size - done < COPY_BUF ? (size_t) (size - done) : COPY_BUF;
      ssize_t n = read (fd, t->buf, want);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return skiff_error_set (err, errno, "read `%s` in the layer", path);
      if (n == 0)
        {
          /* the file shrank under us: keep the header's size honest with zeros */
          memset (t->buf, 0, want);
          n = (ssize_t) want;
        }
      if (tar_write (t, t->buf, (size_t) n, err) < 0)
        return -1;
      done += (uint64_t) n;
    }
  return tar_pad (t, size, err);
}

/* A regular file: its data, or a hardlink to the first name of its inode in this tar. */
static int
tar_regular (struct tar_out *t, const struct skiff_walk_entry *e, const struct xattr_kv *xa, size_t n_xa,
             skiff_error_t *err)
{
  const struct stat *st = e->st;
  const char *target = NULL;
  if (st->st_nlink > 1)
    {
      for (size_t k = 0; k < t->n_links && !target; k++)
        if (t->links[k].dev == st->st_dev && t->links[k].ino == st->st_ino)
          target = t->links[k].path;
      if (!target)
        {
          t->links = xrealloc (t->links, (t->n_links + 1) * sizeof *t->links);
          t->links[t->n_links++] = (struct hardlink){ st->st_dev, st->st_ino, xstrdup (e->path) };
        }
    }
  if (target)
    return tar_entry (t, e->path, st, '1', 0, target, xa, n_xa, err);
  if (tar_entry (t, e->path, st, '0', (uint64_t) st->st_size, NULL, xa, n_xa, err) < 0)
    return -1;
  return tar_file_data (t, e->dirfd, e->name, (uint64_t) st->st_size, e->path, err);
}

/* One entry of the layer directory, in the walk's order (names sorted, a directory before its contents). */
static int
tar_visit (void *data, enum skiff_walk_step step, struct skiff_walk_entry *e, skiff_error_t *err)
{
  struct tar_out *t = data;
  if (step == SKIFF_WALK_POST)
    return 0;
  const char *path = e->path, *name = e->name;
  int dirfd = e->dirfd;
  if (e->st == NULL)
    return skiff_error_set (err, e->stat_errno, "stat `%s` in the layer", path);
  struct stat st = *e->st;
  if (S_ISCHR (st.st_mode) && st.st_rdev == makedev (0, 0))
    {
      /* an overlay whiteout: the image format says .wh.<name> */
      cleanup_free char *wh
          = xasprintf ("%.*s" WHITEOUT_PREFIX "%s", (int) (strlen (path) - strlen (name)), path, name);
      struct stat w = st;
      w.st_mode = S_IFREG; /* no permission bits */
      return tar_entry (t, wh, &w, '0', 0, NULL, NULL, 0, err);
    }
  bool opaque = false;
  struct xattr_kv *xa = NULL;
  size_t n_xa = S_ISSOCK (st.st_mode) ? 0 : read_xattrs (dirfd, name, &xa, S_ISDIR (st.st_mode) ? &opaque : NULL);
  int ret = 0;
  if (S_ISDIR (st.st_mode))
    {
      cleanup_free char *dpath = xasprintf ("%s/", path);
      ret = tar_entry (t, dpath, &st, '5', 0, NULL, xa, n_xa, err);
      if (ret == 0 && opaque)
        {
          cleanup_free char *opq = xasprintf ("%s" OPAQUE_MARKER, dpath);
          struct stat o = st;
          o.st_mode = S_IFREG; /* no permission bits */
          ret = tar_entry (t, opq, &o, '0', 0, NULL, NULL, 0, err);
        }
      if (ret == 0 && e->fd < 0)
        ret = skiff_error_set (err, e->open_errno, "open `%s` in the layer", path);
      if (ret == 0)
        ret = SKIFF_WALK_DESCEND;
    }
  else if (S_ISREG (st.st_mode))
    ret = tar_regular (t, e, xa, n_xa, err);
  else if (S_ISLNK (st.st_mode))
    {
      char target[PATH_MAX];
      ssize_t l = readlinkat (dirfd, name, target, sizeof target - 1);
      if (l < 0)
        ret = skiff_error_set (err, errno, "readlink `%s` in the layer", path);
      else
        {
          target[l] = '\0';
          ret = tar_entry (t, path, &st, '2', 0, target, xa, n_xa, err);
        }
    }
  else if (S_ISCHR (st.st_mode) || S_ISBLK (st.st_mode) || S_ISFIFO (st.st_mode))
    ret = tar_entry (t, path, &st,
                     S_ISCHR (st.st_mode)   ? '3'
                     : S_ISBLK (st.st_mode) ? '4'
                                            : '6',
                     0, NULL, xa, n_xa, err);
  /* sockets are not part of images */
  free_xattrs (xa, n_xa);
  return ret;
}

int
skiff_layer_tar (int dirfd, int outfd, char hex[65], uint64_t *size, skiff_error_t *err)
{
  struct tar_out t = { .fd = outfd, .sha = skiff_sha256_new (), .buf = xmalloc (COPY_BUF) };
  int ret = skiff_walk_at (dirfd, -1, 0, tar_visit, &t, err);
  if (ret == 0)
    {
      static const char end[2 * TAR_BLOCK];
      ret = tar_write (&t, end, sizeof end, err);
    }
  skiff_sha256_final (t.sha, hex);
  for (size_t i = 0; i < t.n_links; i++)
    free (t.links[i].path);
  free (t.links);
  free (t.buf);
  if (size)
    *size = t.size;
  return ret;
}

/* ---- push ---- */

static void
report (const struct skiff_xfer_progress *p, enum skiff_xfer_event ev, const char *digest, uint64_t done,
        uint64_t total)
{
  if (p && p->fn)
    p->fn (p->data, ev, digest, done, total);
}

struct upload_progress
{
  const struct skiff_xfer_progress *p;
  const char *digest;
};

static void
on_upload (uint64_t done, uint64_t total, void *data)
{
  struct upload_progress *u = data;
  report (u->p, SKIFF_XFER_BLOB_PROGRESS, u->digest, done, total);
}

static int
tmpfile_fd (skiff_error_t *err)
{
  const char *dir = getenv ("TMPDIR");
  if (dir == NULL || *dir == '\0')
    dir = "/var/tmp";
  int fd = open (dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0)
    return fd;
  cleanup_free char *tmpl = xasprintf ("%s/skiff-push-XXXXXX", dir);
  fd = mkostemp (tmpl, O_CLOEXEC);
  if (fd < 0)
    return skiff_error_set (err, errno, "create a temporary file in `%s` (set TMPDIR to a writable directory)", dir);
  unlink (tmpl);
  return fd;
}

/* Upload one blob read from fd unless the registry has it (or can mount it from a sibling repository). */
static int
send_blob (struct skiff_registry_client *reg, const char *repo, char *const *siblings, const char *digest, int fd,
           uint64_t size, const struct skiff_push_options *o, bool is_config, skiff_error_t *err)
{
  bool exists = false;
  if (skiff_registry_blob_exists (reg, repo, digest, &exists, err) < 0)
    return skiff_error_wrap (err, "trying to reuse blob %s at destination", digest);
  for (size_t i = 0; !exists && siblings && siblings[i]; i++)
    {
      skiff_error_t e = NULL;
      if (skiff_registry_blob_mount (reg, repo, siblings[i], digest, &exists, &e) < 0)
        skiff_error_release (&e); /* mounting is an optimisation */
    }
  if (exists)
    {
      if (!is_config)
        report (&o->progress, SKIFF_XFER_BLOB_SKIPPED, digest, size, size);
      return 0;
    }
  if (!is_config)
    report (&o->progress, SKIFF_XFER_BLOB_START, digest, 0, size);
  struct upload_progress up = { &o->progress, digest };
  if (skiff_registry_blob_upload (reg, repo, digest, fd, size, o->chunk_size ? o->chunk_size : DEFAULT_CHUNK,
                                  is_config ? NULL : on_upload, &up, err)
      < 0)
    return -1;
  if (!is_config)
    report (&o->progress, SKIFF_XFER_BLOB_DONE, digest, size, size);
  return 0;
}

/* The config with its rootfs.diff_ids replaced (only when they changed: otherwise the bytes stay as stored). */
static char *
config_with_diff_ids (const char *config, char *const *diff_ids, skiff_error_t *err)
{
  json_object *o = json_tokener_parse (config), *rootfs;
  if (o == NULL)
    {
      skiff_error_set_status (err, EINVAL, "the stored image config is not JSON");
      return NULL;
    }
  if (!json_object_object_get_ex (o, "rootfs", &rootfs) || !json_object_is_type (rootfs, json_type_object))
    {
      rootfs = json_object_new_object ();
      json_object_object_add (rootfs, "type", json_object_new_string ("layers"));
      json_object_object_add (o, "rootfs", rootfs);
    }
  json_object *ids = json_object_new_array ();
  for (size_t i = 0; diff_ids && diff_ids[i]; i++)
    json_object_array_add (ids, json_object_new_string (diff_ids[i]));
  json_object_object_add (rootfs, "diff_ids", ids);
  char *r = xstrdup (json_object_to_json_string_ext (o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put (o);
  return r;
}

static json_object *
descriptor (const char *media_type, const char *digest, uint64_t size)
{
  json_object *d = json_object_new_object ();
  json_object_object_add (d, "mediaType", json_object_new_string (media_type));
  json_object_object_add (d, "digest", json_object_new_string (digest));
  json_object_object_add (d, "size", json_object_new_int64 ((int64_t) size));
  return d;
}

int
skiff_image_push (struct skiff_store *s, const struct skiff_push_options *o, char **digest_out, skiff_error_t *err)
{
  struct skiff_image *img = NULL;
  if (skiff_store_image_lookup (s, o->source, &img, err) < 0)
    return -1;
  const char *dest = o->destination ? o->destination : o->source;
  cleanup_free char *norm = NULL;
  if (!o->destination && !skiff_reference_is_short (dest))
    {
      /* "127.0.0.1:5000/foo" means the tagged name */
      skiff_error_t e = NULL;
      norm = skiff_reference_normalize (dest, &e);
      skiff_error_release (&e);
      if (norm)
        dest = norm;
    }
  struct skiff_image_ref ref;
  if (skiff_image_ref_parse (dest, &ref, err) < 0)
    {
      skiff_image_free (img);
      return -1;
    }
  cleanup_free char *refstr = skiff_image_ref_string (&ref);
  struct skiff_registry_client *reg = NULL;
  cleanup_free char *config = NULL;
  size_t clen = 0;
  cleanup_strv char **diff_ids = NULL;
  cleanup_strv char **siblings = NULL;
  json_object *layers = json_object_new_array ();
  int ret = skiff_registry_open (&o->reg, ref.registry, &reg, err);
  if (ret == 0)
    {
      cleanup_free char *scope = xasprintf ("repository:%s:pull,push", ref.repository);
      skiff_registry_add_scope (reg, scope);
      ret = skiff_registry_ping (reg, err);
    }
  /* repositories of the same registry that hold this image: blobs can be mounted from them */
  for (size_t i = 0; ret == 0 && img->names && img->names[i]; i++)
    {
      struct skiff_image_ref other;
      skiff_error_t e = NULL;
      if (skiff_image_ref_parse (img->names[i], &other, &e) < 0)
        {
          skiff_error_release (&e);
          continue;
        }
      if (strcmp (other.registry, ref.registry) == 0 && strcmp (other.repository, ref.repository) != 0
          && !strv_contains (siblings, other.repository))
        strv_push (&siblings, other.repository);
      skiff_image_ref_release (&other);
    }
  if (ret == 0)
    {
      cleanup_free char *cdigest = xasprintf ("sha256:%s", img->id);
      ret = skiff_store_blob_get (s, cdigest, &config, &clen, err);
    }
  if (ret == 0)
    report (&o->progress, SKIFF_XFER_SIGNATURES, NULL, 0, 0);
  /* the manifest the image was pulled with: foreign layers keep their descriptors and are not uploaded */
  cleanup_free char *src_manifest = NULL;
  size_t src_len = 0;
  struct skiff_oci_manifest *src = NULL;
  if (ret == 0 && img->digest)
    {
      skiff_error_t e = NULL;
      if (skiff_store_blob_get (s, img->digest, &src_manifest, &src_len, &e) < 0
          || skiff_oci_manifest_parse (src_manifest, src_len, &src, &e) < 0 || src->n_layers != strv_len (img->layers))
        {
          skiff_oci_manifest_free (src);
          src = NULL;
        }
      skiff_error_release (&e);
    }
  bool changed = false;
  for (size_t i = 0; ret == 0 && img->layers && img->layers[i]; i++)
    {
      cleanup_strv char **urls = src && skiff_media_type_is_foreign (src->layers[i].media_type)
                                     ? skiff_manifest_layer_urls (src_manifest, i)
                                     : NULL;
      if (urls)
        {
          /* podman skips a foreign layer with urls: the descriptor goes into the manifest as it was */
          const struct skiff_oci_descriptor *d = &src->layers[i];
          cleanup_free char *diff_id = xasprintf ("sha256:%s", img->layers[i]);
          strv_push (&diff_ids, diff_id);
          json_object *desc = descriptor (skiff_media_type_foreign_oci (d->media_type), d->digest, d->size);
          json_object *ua = json_object_new_array ();
          for (size_t k = 0; urls[k]; k++)
            json_object_array_add (ua, json_object_new_string (urls[k]));
          json_object_object_add (desc, "urls", ua);
          json_object_array_add (layers, desc);
          report (&o->progress, SKIFF_XFER_BLOB_SKIPPED, d->digest, d->size, d->size);
          continue;
        }
      cleanup_free char *diff_id = xasprintf ("sha256:%s", img->layers[i]);
      cleanup_free char *path = skiff_store_layer_path (s, diff_id);
      if (path == NULL)
        {
          ret = skiff_error_set_status (err, ENOENT, "layer %s of image %.12s is missing from the store", diff_id,
                                        img->id);
          break;
        }
      cleanup_close int dirfd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      cleanup_close int fd = -1;
      char hex[SKIFF_DIGEST_HEX_LEN + 1];
      uint64_t size = 0;
      if (dirfd < 0)
        ret = skiff_error_set (err, errno, "open `%s`", path);
      if (ret == 0 && (fd = tmpfile_fd (err)) < 0)
        ret = -1;
      if (ret == 0)
        ret = skiff_layer_tar (dirfd, fd, hex, &size, err);
      if (ret < 0)
        break;
      cleanup_free char *digest = xasprintf ("sha256:%s", hex);
      strv_push (&diff_ids, digest);
      if (strcmp (hex, img->layers[i]) != 0)
        changed = true;
      ret = send_blob (reg, ref.repository, siblings, digest, fd, size, o, false, err);
      if (ret == 0)
        json_object_array_add (layers, descriptor (OCI_MEDIA_TYPE_LAYER, digest, size));
    }
  if (ret == 0 && changed)
    {
      char *c = config_with_diff_ids (config, diff_ids, err);
      if (c == NULL)
        ret = -1;
      else
        {
          free (config);
          config = c;
          clen = strlen (c);
        }
    }
  cleanup_free char *cdigest = NULL;
  if (ret == 0)
    {
      char chex[SKIFF_DIGEST_HEX_LEN + 1];
      skiff_sha256_hex (config, clen, chex);
      cdigest = xasprintf ("sha256:%s", chex);
      cleanup_close int fd = memfd_create ("skiff-config", MFD_CLOEXEC);
      if (fd < 0)
        ret = skiff_error_set (err, errno, "memfd_create");
      else if ((ret = write_all (fd, config, clen)) < 0)
        ret = skiff_error_set (err, -ret, "write the config");
      if (ret == 0)
        ret = send_blob (reg, ref.repository, siblings, cdigest, fd, clen, o, true, err);
      if (ret == 0)
        report (&o->progress, SKIFF_XFER_CONFIG, cdigest, clen, clen);
    }
  if (ret == 0)
    {
      json_object *m = json_object_new_object ();
      json_object_object_add (m, "schemaVersion", json_object_new_int (2));
      json_object_object_add (m, "mediaType", json_object_new_string (OCI_MEDIA_TYPE_MANIFEST));
      json_object_object_add (m, "config", descriptor (OCI_MEDIA_TYPE_CONFIG, cdigest, clen));
      json_object_object_add (m, "layers", json_object_get (layers));
      const char *mj = json_object_to_json_string_ext (m, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
      size_t mlen = strlen (mj);
      report (&o->progress, SKIFF_XFER_MANIFEST, NULL, 0, 0);
      ret = skiff_registry_put_manifest (reg, ref.repository, ref.tag ? ref.tag : ref.digest, OCI_MEDIA_TYPE_MANIFEST,
                                         mj, mlen, err);
      if (ret == 0 && digest_out)
        {
          char mhex[SKIFF_DIGEST_HEX_LEN + 1];
          skiff_sha256_hex (mj, mlen, mhex);
          *digest_out = xasprintf ("sha256:%s", mhex);
        }
      json_object_put (m);
    }
  json_object_put (layers);
  skiff_oci_manifest_free (src);
  skiff_registry_free (reg);
  skiff_image_ref_release (&ref);
  skiff_image_free (img);
  if (ret < 0)
    return skiff_error_wrap (err, "pushing %s", refstr);
  return 0;
}
