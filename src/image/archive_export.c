/* Image archives, save side: layers leave the store by re-tarring their extracted directories
 * (skiff_layer_export); skiff_image_save writes them with configs and manifests as either format. */
#include "image/archive_internal.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "oci/image.h"

#define OVERLAY_OPAQUE_XATTR "user.overlay.opaque"
#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"
#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* An anonymous temporary file (removed when closed). */
static int
tmp_file (skiff_error_t *err)
{
  const char *dir = arc_tmp_dir ();
  int fd = open (dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0)
    return fd;
  cleanup_free char *tmpl = xasprintf ("%s/skiff-XXXXXX", dir);
  fd = mkostemp (tmpl, O_CLOEXEC);
  if (fd < 0)
    return skiff_error_set (err, errno, "create a temporary file in `%s` (set TMPDIR to a writable directory)", dir);
  unlink (tmpl);
  return fd;
}

/* ---- writing tar streams ---- */

/* Where a tar writer's bytes go: an fd (may be -1), and the running sha256 (may be NULL). */
struct tar_sink
{
  int fd;
  struct skiff_sha256 *sha;
  uint64_t size;
};

static la_ssize_t
sink_write (struct archive *a, void *data, const void *buf, size_t len)
{
  struct tar_sink *k = data;
  if (k->fd >= 0)
    {
      int r = write_all (k->fd, buf, len);
      if (r < 0)
        {
          archive_set_error (a, -r, "write: %s", strerror (-r));
          return -1;
        }
    }
  if (k->sha)
    skiff_sha256_update (k->sha, buf, len);
  k->size += len;
  return (la_ssize_t) len;
}

static struct archive *
tar_writer (struct tar_sink *sink, skiff_error_t *err)
{
  if (skiff_archive_available (err) < 0)
    return NULL;
  struct archive *a = archive_write_new ();
  if (a == NULL)
    {
      skiff_error_set (err, ENOMEM, "write the archive");
      return NULL;
    }
  /* pax only where ustar cannot say it (long names, xattrs); no padding to 10 KiB after the end blocks */
  if (archive_write_set_format_pax_restricted (a) != ARCHIVE_OK
      || archive_write_set_bytes_in_last_block (a, 1) != ARCHIVE_OK
      || archive_write_open (a, sink, NULL, sink_write, NULL) != ARCHIVE_OK)
    {
      skiff_error_set (err, 0, "start a tar stream: %s", archive_error_string (a));
      archive_write_free (a);
      return NULL;
    }
  return a;
}

static int
write_header (struct archive *a, struct archive_entry *e, const char *path, skiff_error_t *err)
{
  int r = archive_write_header (a, e);
  if (r < ARCHIVE_WARN)
    return skiff_error_set (err, 0, "write the tar entry `%s`: %s", path, archive_error_string (a));
  return 0;
}

static int
write_data (struct archive *a, const void *buf, size_t len, const char *path, skiff_error_t *err)
{
  const char *p = buf;
  while (len > 0)
    {
      la_ssize_t n = archive_write_data (a, p, len);
      if (n <= 0)
        return skiff_error_set (err, 0, "write `%s` into the tar stream: %s", path, archive_error_string (a));
      p += n;
      len -= (size_t) n;
    }
  return 0;
}

/* Copy exactly size bytes from fd (from its current offset) into the current entry. */
static int
copy_fd_data (struct archive *a, int fd, uint64_t size, char *buf, const char *path, skiff_error_t *err)
{
  while (size > 0)
    {
      size_t want = size < COPY_BLOCK ? (size_t) size : COPY_BLOCK;
      ssize_t n = read_all (fd, buf, want);
      if (n < 0)
        return skiff_error_set (err, (int) -n, "read `%s`", path);
      if (n == 0)
        return skiff_error_set_status (err, EIO, "`%s` shrank while it was being archived", path);
      if (write_data (a, buf, (size_t) n, path, err) < 0)
        return -1;
      size -= (uint64_t) n;
    }
  return 0;
}

/* ---- layer export ---- */

struct link_seen
{
  dev_t dev;
  ino_t ino;
  char *path;
};

struct export_ctx
{
  struct archive *a;
  struct archive_entry *e;
  struct link_seen *links;
  size_t n_links, cap_links;
  char *buf;
};

static bool
xattr_exported (const char *name)
{
  /* user.overlay.* is overlay's own bookkeeping (whiteouts), turned back into .wh. entries */
  if (str_has_prefix (name, "user."))
    return !str_has_prefix (name, "user.overlay.");
  return strcmp (name, "security.capability") == 0;
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Add fd's extended attributes, in name order, to the entry. */
static int
add_xattrs (struct export_ctx *c, int fd, const char *path, skiff_error_t *err)
{
  ssize_t n = flistxattr (fd, NULL, 0);
  if (n < 0 && (errno == ENOTSUP || errno == EOPNOTSUPP))
    return 0;
  if (n < 0)
    return skiff_error_set (err, errno, "list the extended attributes of `%s`", path);
  if (n == 0)
    return 0;
  cleanup_free char *list = xmalloc ((size_t) n + 1);
  n = flistxattr (fd, list, (size_t) n);
  if (n < 0)
    return skiff_error_set (err, errno, "list the extended attributes of `%s`", path);
  list[n] = '\0';
  cleanup_strv char **names = xmalloc0 (sizeof (char *));
  for (char *p = list; p < list + n; p += strlen (p) + 1)
    if (xattr_exported (p))
      strv_push (&names, p);
  qsort (names, strv_len (names), sizeof (char *), cmp_str);
  for (size_t i = 0; names[i]; i++)
    {
      ssize_t vn = fgetxattr (fd, names[i], NULL, 0);
      if (vn < 0)
        return skiff_error_set (err, errno, "read the extended attribute %s of `%s`", names[i], path);
      cleanup_free char *v = xmalloc ((size_t) vn + 1);
      vn = fgetxattr (fd, names[i], v, (size_t) vn);
      if (vn < 0)
        return skiff_error_set (err, errno, "read the extended attribute %s of `%s`", names[i], path);
      archive_entry_xattr_add_entry (c->e, names[i], v, (size_t) vn);
    }
  return 0;
}

static bool
is_opaque (int fd)
{
  char v[4];
  ssize_t n = fgetxattr (fd, OVERLAY_OPAQUE_XATTR, v, sizeof v);
  return n == 1 && v[0] == 'y';
}

static void
entry_from_stat (struct archive_entry *e, const char *path, const struct stat *st)
{
  archive_entry_clear (e);
  archive_entry_set_pathname (e, path);
  archive_entry_set_filetype (e, st->st_mode & S_IFMT);
  archive_entry_set_perm (e, st->st_mode & 07777);
  archive_entry_set_uid (e, st->st_uid);
  archive_entry_set_gid (e, st->st_gid);
  archive_entry_set_mtime (e, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
  archive_entry_set_size (e, 0);
}

/* A whiteout entry: an empty regular file, fixed metadata (its creation time in the store is arbitrary). */
static int
write_whiteout (struct export_ctx *c, const char *path, skiff_error_t *err)
{
  archive_entry_clear (c->e);
  archive_entry_set_pathname (c->e, path);
  archive_entry_set_filetype (c->e, AE_IFREG);
  archive_entry_set_perm (c->e, 0);
  archive_entry_set_uid (c->e, 0);
  archive_entry_set_gid (c->e, 0);
  archive_entry_set_mtime (c->e, 0, 0);
  archive_entry_set_size (c->e, 0);
  return write_header (c->a, c->e, path, err);
}

static const char *
seen_link (struct export_ctx *c, const struct stat *st, const char *path)
{
  for (size_t i = 0; i < c->n_links; i++)
    if (c->links[i].dev == st->st_dev && c->links[i].ino == st->st_ino)
      return c->links[i].path;
  if (c->n_links == c->cap_links)
    {
      c->cap_links = c->cap_links ? 2 * c->cap_links : 16;
      c->links = xrealloc (c->links, c->cap_links * sizeof *c->links);
    }
  c->links[c->n_links++] = (struct link_seen){ st->st_dev, st->st_ino, xstrdup (path) };
  return NULL;
}

/* One entry below the layer's root, in the walk's order: names sorted, each directory before its contents. */
static int
export_visit (void *data, enum skiff_walk_step step, struct skiff_walk_entry *e, skiff_error_t *err)
{
  struct export_ctx *c = data;
  if (step == SKIFF_WALK_POST)
    return 0;
  const char *path = e->path, *name = e->name;
  int dirfd = e->dirfd;
  if (e->st == NULL)
    return skiff_error_set (err, e->stat_errno, "stat `%s`", path);
  const struct stat st = *e->st;
  switch (st.st_mode & S_IFMT)
    {
    case S_IFCHR:
      if (st.st_rdev == makedev (0, 0))
        {
          cleanup_free char *wh
              = xasprintf ("%.*s" WHITEOUT_PREFIX "%s", (int) (strlen (path) - strlen (name)), path, name);
          return write_whiteout (c, wh, err);
        }
      /* fallthrough */
    case S_IFBLK:
    case S_IFIFO:
      entry_from_stat (c->e, path, &st);
      archive_entry_set_rdevmajor (c->e, major (st.st_rdev));
      archive_entry_set_rdevminor (c->e, minor (st.st_rdev));
      return write_header (c->a, c->e, path, err);
    case S_IFLNK:
      {
        char target[PATH_MAX + 1];
        ssize_t n = readlinkat (dirfd, name, target, PATH_MAX);
        if (n < 0)
          return skiff_error_set (err, errno, "read the symbolic link `%s`", path);
        target[n] = '\0';
        entry_from_stat (c->e, path, &st);
        archive_entry_set_symlink (c->e, target);
        return write_header (c->a, c->e, path, err);
      }
    case S_IFREG:
      {
        const char *first = st.st_nlink > 1 ? seen_link (c, &st, path) : NULL;
        if (first)
          {
            entry_from_stat (c->e, path, &st);
            archive_entry_set_hardlink (c->e, first);
            return write_header (c->a, c->e, path, err);
          }
        cleanup_close int fd = openat (dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
          return skiff_error_set (err, errno, "open `%s`", path);
        entry_from_stat (c->e, path, &st);
        archive_entry_set_size (c->e, st.st_size);
        if (add_xattrs (c, fd, path, err) < 0 || write_header (c->a, c->e, path, err) < 0)
          return -1;
        return copy_fd_data (c->a, fd, (uint64_t) st.st_size, c->buf, path, err);
      }
    case S_IFDIR:
      {
        int fd = e->fd;
        if (fd < 0)
          return skiff_error_set (err, e->open_errno, "open the directory `%s`", path);
        entry_from_stat (c->e, path, &st);
        if (add_xattrs (c, fd, path, err) < 0 || write_header (c->a, c->e, path, err) < 0)
          return -1;
        cleanup_free char *sub = xasprintf ("%s/", path);
        if (is_opaque (fd))
          {
            cleanup_free char *opq = xasprintf ("%s" WHITEOUT_OPAQUE, sub);
            if (write_whiteout (c, opq, err) < 0)
              return -1;
          }
        return SKIFF_WALK_DESCEND;
      }
    default:
      /* sockets are not content */
      return 0;
    }
}

int
skiff_layer_export (int dirfd, int outfd, char hex[SKIFF_DIGEST_HEX_LEN + 1], uint64_t *size, skiff_error_t *err)
{
  struct tar_sink sink = { .fd = outfd, .sha = skiff_sha256_new () };
  struct archive *a = tar_writer (&sink, err);
  if (a == NULL)
    {
      skiff_sha256_final (sink.sha, hex);
      return -1;
    }
  struct export_ctx c = { .a = a, .e = archive_entry_new (), .buf = xmalloc (COPY_BLOCK) };
  int ret = 0;
  /* the layer's root is not an entry (as docker's layer tars), but it can be opaque */
  if (is_opaque (dirfd))
    ret = write_whiteout (&c, WHITEOUT_OPAQUE, err);
  if (ret == 0)
    ret = skiff_walk_at (dirfd, -1, 0, export_visit, &c, err);
  if (ret == 0 && archive_write_close (a) != ARCHIVE_OK)
    ret = skiff_error_set (err, 0, "finish the layer's tar stream: %s", archive_error_string (a));
  archive_write_free (a);
  archive_entry_free (c.e);
  for (size_t i = 0; i < c.n_links; i++)
    free (c.links[i].path);
  free (c.links);
  free (c.buf);
  skiff_sha256_final (sink.sha, hex);
  if (size)
    *size = sink.size;
  return ret;
}

/* ---- the outer archive ---- */

static int
outer_add (struct archive *a, struct archive_entry *e, const char *path, unsigned type, uint64_t size,
           skiff_error_t *err)
{
  archive_entry_clear (e);
  archive_entry_set_pathname (e, path);
  archive_entry_set_filetype (e, type);
  archive_entry_set_perm (e, type == AE_IFDIR ? 0755 : 0644);
  archive_entry_set_uid (e, 0);
  archive_entry_set_gid (e, 0);
  archive_entry_set_mtime (e, 0, 0);
  archive_entry_set_size (e, type == AE_IFREG ? (la_int64_t) size : 0);
  return write_header (a, e, path, err);
}

static int
outer_add_data (struct archive *a, struct archive_entry *e, const char *path, const void *data, size_t len,
                skiff_error_t *err)
{
  if (outer_add (a, e, path, AE_IFREG, len, err) < 0)
    return -1;
  return write_data (a, data, len, path, err);
}

/* ---- save ---- */

struct save_image
{
  struct skiff_image *img;
  char **names;     /* the tags to record, in the order given */
  char **layer_hex; /* exported diff IDs */
  uint64_t *layer_size;
  char cfg_hex[SKIFF_DIGEST_HEX_LEN + 1];
  size_t cfg_len;
  char mf_hex[SKIFF_DIGEST_HEX_LEN + 1];
  size_t mf_len;
};

static void
save_image_release (struct save_image *si)
{
  skiff_image_free (si->img);
  strv_free (si->names);
  strv_free (si->layer_hex);
  free (si->layer_size);
}

/* Does ref name the image by ID (a prefix of it, with or without "sha256:")? */
static bool
ref_is_id (const char *ref, const char *id)
{
  if (str_has_prefix (ref, "sha256:"))
    ref += strlen ("sha256:");
  size_t n = strlen (ref);
  return n > 0 && n <= SKIFF_DIGEST_HEX_LEN && strncmp (ref, id, n) == 0;
}

static int
resolve_refs (struct skiff_store *s, char *const *refs, struct save_image **out, size_t *n_out, skiff_error_t *err)
{
  struct save_image *v = NULL;
  size_t n = 0;
  for (size_t i = 0; refs[i]; i++)
    {
      struct skiff_image *img = NULL;
      if (skiff_store_image_lookup (s, refs[i], &img, err) < 0)
        {
          for (size_t k = 0; k < n; k++)
            save_image_release (&v[k]);
          free (v);
          return -1;
        }
      char *name = NULL;
      if (!ref_is_id (refs[i], img->id))
        {
          cleanup_free char *norm = skiff_reference_normalize (refs[i], NULL);
          if (norm && strv_contains (img->names, norm))
            name = xstrdup (norm);
          else if (img->names && img->names[0])
            name = xstrdup (img->names[0]);
        }
      size_t k;
      for (k = 0; k < n && strcmp (v[k].img->id, img->id) != 0; k++)
        ;
      if (k == n)
        {
          v = xrealloc (v, (n + 1) * sizeof *v);
          memset (&v[n], 0, sizeof *v);
          v[n].img = img;
          v[n].names = xmalloc0 (sizeof (char *));
          n++;
        }
      else
        skiff_image_free (img);
      if (name && !strv_contains (v[k].names, name))
        strv_push (&v[k].names, name);
      free (name);
    }
  *out = v;
  *n_out = n;
  return 0;
}

/* The config to write: the stored one when the exported diff IDs are the stored ones (the ID stays),
 * else the same document with rootfs.diff_ids naming what was exported. */
static char *
save_config (struct skiff_store *s, struct save_image *si, size_t *len, skiff_error_t *err)
{
  cleanup_free char *digest = xasprintf ("sha256:%s", si->img->id);
  char *data = NULL;
  size_t dlen = 0;
  if (skiff_store_blob_get (s, digest, &data, &dlen, err) < 0)
    return NULL;
  bool same = true;
  for (size_t i = 0; si->img->layers[i]; i++)
    if (strcmp (si->img->layers[i], si->layer_hex[i]) != 0)
      same = false;
  if (same)
    {
      *len = dlen;
      return data;
    }
  json_object *o = json_tokener_parse (data);
  free (data);
  if (o == NULL || !json_object_is_type (o, json_type_object))
    {
      json_object_put (o);
      skiff_error_set_status (err, EINVAL, "the config of image %.12s is not a JSON object", si->img->id);
      return NULL;
    }
  json_object *rootfs = NULL;
  if (!json_object_object_get_ex (o, "rootfs", &rootfs) || !json_object_is_type (rootfs, json_type_object))
    {
      rootfs = json_object_new_object ();
      json_object_object_add (rootfs, "type", json_object_new_string ("layers"));
      json_object_object_add (o, "rootfs", rootfs);
    }
  json_object *ids = json_object_new_array ();
  for (size_t i = 0; si->layer_hex[i]; i++)
    {
      cleanup_free char *d = xasprintf ("sha256:%s", si->layer_hex[i]);
      json_object_array_add (ids, json_object_new_string (d));
    }
  json_object_object_add (rootfs, "diff_ids", ids);
  char *r = xstrdup (json_object_to_json_string_ext (o, JSON_FLAGS));
  json_object_put (o);
  *len = strlen (r);
  return r;
}

static char *
layer_member (enum skiff_archive_format format, const char *hex)
{
  return format == SKIFF_ARCHIVE_OCI ? xasprintf (OCI_BLOBS_DIR "/%s", hex) : xasprintf ("%s.tar", hex);
}

/* Export the image's layers into the archive (each once) and its config; fills layer_hex and cfg_hex. */
static int
save_layers_and_config (struct skiff_store *s, struct archive *a, struct archive_entry *e, struct save_image *si,
                        enum skiff_archive_format format, char ***written, char **config_out,
                        const struct skiff_archive_progress *prog, skiff_error_t *err)
{
  size_t nl = strv_len (si->img->layers);
  si->layer_hex = xmalloc0 ((nl + 1) * sizeof (char *));
  si->layer_size = xmalloc0 ((nl + 1) * sizeof (uint64_t));
  cleanup_free char *buf = xmalloc (COPY_BLOCK);
  for (size_t i = 0; i < nl; i++)
    {
      cleanup_free char *diff_id = xasprintf ("sha256:%s", si->img->layers[i]);
      cleanup_free char *path = skiff_store_layer_path (s, diff_id);
      if (path == NULL)
        return skiff_error_set_status (err, ENOENT, "layer %s of image %.12s is missing from the store", diff_id,
                                       si->img->id);
      cleanup_close int dirfd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dirfd < 0)
        return skiff_error_set (err, errno, "open the layer `%s`", path);
      cleanup_close int tmp = tmp_file (err);
      if (tmp < 0)
        return -1;
      char hex[SKIFF_DIGEST_HEX_LEN + 1];
      uint64_t size = 0;
      if (skiff_layer_export (dirfd, tmp, hex, &size, err) < 0)
        return skiff_error_wrap (err, "export layer %s", diff_id);
      si->layer_hex[i] = xstrdup (hex);
      si->layer_size[i] = size;
      if (strv_contains (*written, hex))
        continue;
      arc_progress (prog, "Copying blob sha256:%s", hex);
      cleanup_free char *member = layer_member (format, hex);
      if (lseek (tmp, 0, SEEK_SET) < 0)
        return skiff_error_set (err, errno, "rewind a temporary file");
      if (outer_add (a, e, member, AE_IFREG, size, err) < 0 || copy_fd_data (a, tmp, size, buf, member, err) < 0)
        return -1;
      strv_push (written, hex);
    }
  char *config = save_config (s, si, &si->cfg_len, err);
  if (config == NULL)
    return -1;
  skiff_sha256_hex (config, si->cfg_len, si->cfg_hex);
  *config_out = config;
  if (strv_contains (*written, si->cfg_hex))
    return 0;
  arc_progress (prog, "Copying config sha256:%s", si->cfg_hex);
  cleanup_free char *member
      = format == SKIFF_ARCHIVE_OCI ? xasprintf (OCI_BLOBS_DIR "/%s", si->cfg_hex) : xasprintf ("%s.json", si->cfg_hex);
  if (outer_add_data (a, e, member, config, si->cfg_len, err) < 0)
    return -1;
  strv_push (written, si->cfg_hex);
  return 0;
}

static int
save_oci_manifest (struct archive *a, struct archive_entry *e, struct save_image *si, char ***written,
                   skiff_error_t *err)
{
  size_t nl = strv_len (si->layer_hex);
  struct skiff_oci_descriptor *layers = xmalloc0 ((nl + 1) * sizeof *layers);
  for (size_t i = 0; i < nl; i++)
    {
      layers[i].media_type = (char *) OCI_MEDIA_TYPE_LAYER;
      layers[i].digest = xasprintf ("sha256:%s", si->layer_hex[i]);
      layers[i].size = si->layer_size[i];
    }
  struct skiff_oci_manifest m = {
    .media_type = (char *) OCI_MEDIA_TYPE_MANIFEST,
    .config = { .media_type = (char *) OCI_MEDIA_TYPE_CONFIG,
                .digest = xasprintf ("sha256:%s", si->cfg_hex),
                .size = si->cfg_len },
    .layers = layers,
    .n_layers = nl,
  };
  cleanup_free char *json = skiff_oci_manifest_to_json (&m);
  for (size_t i = 0; i < nl; i++)
    free (layers[i].digest);
  free (layers);
  free (m.config.digest);
  si->mf_len = strlen (json);
  skiff_sha256_hex (json, si->mf_len, si->mf_hex);
  if (strv_contains (*written, si->mf_hex))
    return 0;
  cleanup_free char *member = xasprintf (OCI_BLOBS_DIR "/%s", si->mf_hex);
  if (outer_add_data (a, e, member, json, si->mf_len, err) < 0)
    return -1;
  strv_push (written, si->mf_hex);
  return 0;
}

static json_object *
oci_index_entry (const struct save_image *si, const char *name)
{
  json_object *d = json_object_new_object ();
  json_object_object_add (d, "mediaType", json_object_new_string (OCI_MEDIA_TYPE_MANIFEST));
  cleanup_free char *digest = xasprintf ("sha256:%s", si->mf_hex);
  json_object_object_add (d, "digest", json_object_new_string (digest));
  json_object_object_add (d, "size", json_object_new_int64 ((int64_t) si->mf_len));
  if (name)
    {
      json_object *ann = json_object_new_object ();
      json_object_object_add (ann, OCI_REF_NAME, json_object_new_string (name));
      json_object_object_add (d, "annotations", ann);
    }
  return d;
}

/* "registry/repo:tag" -> repo part and tag; false for digests and names without a tag */
static bool
split_tag (const char *name, char **repo, const char **tag)
{
  if (strchr (name, '@'))
    return false;
  const char *slash = strrchr (name, '/');
  const char *colon = strrchr (name, ':');
  if (colon == NULL || (slash && colon < slash))
    return false;
  *repo = xstrndup (name, (size_t) (colon - name));
  *tag = colon + 1;
  return true;
}

int
skiff_image_save (struct skiff_store *s, char *const *refs, enum skiff_archive_format format, int outfd,
                  const struct skiff_archive_progress *prog, skiff_error_t *err)
{
  if (refs == NULL || refs[0] == NULL)
    return skiff_error_set_status (err, EINVAL, "no image to save");
  struct save_image *imgs = NULL;
  size_t n = 0;
  if (resolve_refs (s, refs, &imgs, &n, err) < 0)
    return -1;
  struct tar_sink sink = { .fd = outfd };
  struct archive *a = tar_writer (&sink, err);
  if (a == NULL)
    {
      for (size_t i = 0; i < n; i++)
        save_image_release (&imgs[i]);
      free (imgs);
      return -1;
    }
  struct archive_entry *e = archive_entry_new ();
  cleanup_strv char **written = xmalloc0 (sizeof (char *));
  json_object *doc = json_object_new_array (); /* manifest.json, or index.json's manifests */
  json_object *repos = json_object_new_object ();
  int ret = 0;
  arc_progress (prog, "Getting image source signatures");
  if (format == SKIFF_ARCHIVE_OCI)
    {
      ret = outer_add_data (a, e, OCI_LAYOUT_FILE, OCI_LAYOUT_JSON, strlen (OCI_LAYOUT_JSON), err);
      if (ret == 0)
        ret = outer_add (a, e, "blobs", AE_IFDIR, 0, err);
      if (ret == 0)
        ret = outer_add (a, e, OCI_BLOBS_DIR, AE_IFDIR, 0, err);
    }
  for (size_t i = 0; ret == 0 && i < n; i++)
    {
      struct save_image *si = &imgs[i];
      cleanup_free char *config = NULL;
      ret = save_layers_and_config (s, a, e, si, format, &written, &config, prog, err);
      if (ret < 0)
        break;
      if (format == SKIFF_ARCHIVE_OCI)
        {
          ret = save_oci_manifest (a, e, si, &written, err);
          for (size_t k = 0; ret == 0 && si->names[k]; k++)
            json_object_array_add (doc, oci_index_entry (si, si->names[k]));
          if (ret == 0 && si->names[0] == NULL)
            json_object_array_add (doc, oci_index_entry (si, NULL));
          continue;
        }
      json_object *m = json_object_new_object ();
      cleanup_free char *cfg_member = xasprintf ("%s.json", si->cfg_hex);
      json_object_object_add (m, "Config", json_object_new_string (cfg_member));
      json_object *tags = json_object_new_array ();
      for (size_t k = 0; si->names[k]; k++)
        {
          json_object_array_add (tags, json_object_new_string (si->names[k]));
          char *repo = NULL;
          const char *tag = NULL;
          size_t nl = strv_len (si->layer_hex);
          if (nl > 0 && split_tag (si->names[k], &repo, &tag))
            {
              json_object *r = NULL;
              if (!json_object_object_get_ex (repos, repo, &r))
                {
                  r = json_object_new_object ();
                  json_object_object_add (repos, repo, r);
                }
              json_object_object_add (r, tag, json_object_new_string (si->layer_hex[nl - 1]));
              free (repo);
            }
        }
      json_object_object_add (m, "RepoTags", tags);
      json_object *layers = json_object_new_array ();
      for (size_t k = 0; si->layer_hex[k]; k++)
        {
          cleanup_free char *lm = layer_member (format, si->layer_hex[k]);
          json_object_array_add (layers, json_object_new_string (lm));
        }
      json_object_object_add (m, "Layers", layers);
      json_object_array_add (doc, m);
    }
  if (ret == 0)
    arc_progress (prog, "Writing manifest to image destination");
  if (ret == 0 && format == SKIFF_ARCHIVE_OCI)
    {
      json_object *index = json_object_new_object ();
      json_object_object_add (index, "schemaVersion", json_object_new_int (2));
      json_object_object_add (index, "manifests", json_object_get (doc));
      const char *txt = json_object_to_json_string_ext (index, JSON_FLAGS);
      ret = outer_add_data (a, e, OCI_INDEX_FILE, txt, strlen (txt), err);
      json_object_put (index);
    }
  else if (ret == 0)
    {
      const char *txt = json_object_to_json_string_ext (doc, JSON_FLAGS);
      ret = outer_add_data (a, e, DOCKER_MANIFEST_FILE, txt, strlen (txt), err);
      if (ret == 0 && json_object_object_length (repos) > 0)
        {
          txt = json_object_to_json_string_ext (repos, JSON_FLAGS);
          ret = outer_add_data (a, e, DOCKER_REPOSITORIES_FILE, txt, strlen (txt), err);
        }
    }
  if (ret == 0 && archive_write_close (a) != ARCHIVE_OK)
    ret = skiff_error_set (err, 0, "finish the archive: %s", archive_error_string (a));
  if (ret == 0)
    arc_progress (prog, "Storing signatures");
  archive_write_free (a);
  archive_entry_free (e);
  json_object_put (doc);
  json_object_put (repos);
  for (size_t i = 0; i < n; i++)
    save_image_release (&imgs[i]);
  free (imgs);
  return ret;
}
