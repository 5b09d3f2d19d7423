/* Image archives, load side: skiff_image_load unpacks either format, checks every digest and diff ID,
 * then stores the layers through skiff_store_layer_apply (which verifies the diff ID) and the images. */
#include "image/archive_internal.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <sys/utsname.h>

#include "oci/image.h"

#define JSON_MAX (64 * 1024 * 1024) /* manifests, configs and indexes are small; refuse absurd ones */
#define SYMLINK_HOPS_MAX 40

/* ---- load: the archive's members, unpacked into a temporary directory ---- */

struct member
{
  char *path; /* clean: no leading "/" or "./", no "." components */
  char *link; /* symbolic link target (hardlinks: "/" + target), or NULL */
  char *file; /* the temporary copy of a regular file */
  uint64_t size;
};

struct unpacked
{
  char *dir;
  struct member *m;
  size_t n;
};

static void
unpacked_release (struct unpacked *u)
{
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
      free (u->m[i].file);
    }
  free (u->m);
  free (u->dir);
  memset (u, 0, sizeof *u);
}

/* Lexically normalize "a/./b//../c" (relative to the archive's root); false when ".." leaves the root. */
static bool
clean_member_path (const char *raw, char **out)
{
  size_t n = strlen (raw);
  char *r = xmalloc (n + 1);
  size_t len = 0;
  const char *p = raw;
  while (*p)
    {
      while (*p == '/')
        p++;
      const char *end = p + strcspn (p, "/");
      size_t cl = (size_t) (end - p);
      if (cl == 2 && p[0] == '.' && p[1] == '.')
        {
          if (len == 0)
            {
              free (r);
              return false;
            }
          while (len > 0 && r[len - 1] != '/')
            len--;
          if (len > 0)
            len--;
        }
      else if (cl > 0 && !(cl == 1 && p[0] == '.'))
        {
          if (len > 0)
            r[len++] = '/';
          memcpy (r + len, p, cl);
          len += cl;
        }
      p = end;
    }
  r[len] = '\0';
  *out = r;
  return true;
}

static struct member *
member_find (struct unpacked *u, const char *path)
{
  /* later entries replace earlier ones, as tar extraction would */
  for (size_t i = u->n; i-- > 0;)
    if (strcmp (u->m[i].path, path) == 0)
      return &u->m[i];
  return NULL;
}

/* The regular file a member path names, following the archive's own symbolic links. */
static struct member *
member_resolve (struct unpacked *u, const char *raw, skiff_error_t *err)
{
  cleanup_free char *path = NULL;
  if (!clean_member_path (raw, &path))
    {
      skiff_error_set_status (err, EINVAL, "invalid path `%s` in the archive: it leaves the archive", raw);
      return NULL;
    }
  for (int hops = 0; hops < SYMLINK_HOPS_MAX; hops++)
    {
      struct member *m = member_find (u, path);
      if (m == NULL)
        {
          skiff_error_set_status (err, ENOENT, "`%s` is not in the archive", raw);
          return NULL;
        }
      if (m->link == NULL)
        return m;
      const char *slash = strrchr (path, '/');
      cleanup_free char *joined = m->link[0] == '/' || slash == NULL
                                      ? xstrdup (m->link)
                                      : xasprintf ("%.*s/%s", (int) (slash - path), path, m->link);
      free (path);
      path = NULL;
      if (!clean_member_path (joined, &path))
        {
          skiff_error_set_status (err, EINVAL, "the link `%s` in the archive points outside it", raw);
          return NULL;
        }
    }
  skiff_error_set_status (err, ELOOP, "`%s` in the archive: too many levels of symbolic links", raw);
  return NULL;
}

static int
member_read (struct unpacked *u, const char *path, char **data, size_t *len, skiff_error_t *err)
{
  struct member *m = member_resolve (u, path, err);
  if (m == NULL)
    return -1;
  if (m->size > JSON_MAX)
    return skiff_error_set_status (err, EFBIG, "`%s` in the archive is too large (%llu bytes) for a manifest or config",
                                   path, (unsigned long long) m->size);
  return read_file (m->file, data, len, err);
}

static int
extract_member_data (struct archive *a, const char *file, uint64_t *size, skiff_error_t *err)
{
  cleanup_close int fd = open (file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return skiff_error_set (err, errno, "create `%s`", file);
  cleanup_free char *buf = xmalloc (COPY_BLOCK);
  *size = 0;
  for (;;)
    {
      la_ssize_t n = archive_read_data (a, buf, COPY_BLOCK);
      if (n < 0)
        return skiff_error_set_status (err, EIO, "read the archive: %s", archive_error_string (a));
      if (n == 0)
        break;
      int r = write_all (fd, buf, (size_t) n);
      if (r < 0)
        return skiff_error_set (err, -r, "write `%s`", file);
      *size += (uint64_t) n;
    }
  return 0;
}

static int
unpack_archive (int fd, struct unpacked *u, skiff_error_t *err)
{
  cleanup_free char *tmpl = xasprintf ("%s/skiff-load-XXXXXX", arc_tmp_dir ());
  if (mkdtemp (tmpl) == NULL)
    return skiff_error_set (err, errno,
                            "create a temporary directory in `%s` (set TMPDIR to a writable "
                            "directory)",
                            arc_tmp_dir ());
  u->dir = xstrdup (tmpl);
  if (skiff_archive_available (err) < 0)
    return -1;
  struct archive *a = archive_read_new ();
  if (a == NULL)
    return skiff_error_set (err, ENOMEM, "read the archive");
  archive_read_support_filter_gzip (a);
  archive_read_support_filter_zstd (a);
  archive_read_support_filter_xz (a);
  archive_read_support_filter_lzma (a);
  archive_read_support_filter_bzip2 (a);
  archive_read_support_format_tar (a);
  int ret = 0;
  if (archive_read_open_fd (a, fd, COPY_BLOCK) != ARCHIVE_OK)
    ret = skiff_error_set_status (err, EINVAL,
                                  "not an image archive (%s): expected a tar written by save, podman save or "
                                  "docker save, optionally compressed",
                                  archive_error_string (a));
  size_t cap = 0;
  for (size_t count = 0; ret == 0; count++)
    {
      struct archive_entry *e;
      int r = archive_read_next_header (a, &e);
      if (r == ARCHIVE_EOF)
        {
          if (count == 0)
            ret = skiff_error_set_status (err, EINVAL, "not an image archive: the input is empty");
          break;
        }
      if (r < ARCHIVE_WARN)
        {
          if (count == 0)
            ret = skiff_error_set_status (err, EINVAL,
                                          "not an image archive (%s): expected a tar written by save, podman "
                                          "save or docker save, optionally compressed",
                                          archive_error_string (a));
          else
            ret = skiff_error_set_status (err, EIO, "read the archive: %s (a truncated or corrupt archive)",
                                          archive_error_string (a));
          break;
        }
      const char *raw = archive_entry_pathname (e);
      char *path = NULL;
      if (raw == NULL || !clean_member_path (raw, &path) || path[0] == '\0')
        {
          free (path);
          continue;
        }
      struct member m = { .path = path };
      if (archive_entry_hardlink (e))
        {
          cleanup_free char *t = NULL;
          if (clean_member_path (archive_entry_hardlink (e), &t))
            m.link = xasprintf ("/%s", t);
        }
      else if (archive_entry_filetype (e) == AE_IFLNK && archive_entry_symlink (e))
        m.link = xstrdup (archive_entry_symlink (e));
      else if (archive_entry_filetype (e) == AE_IFREG)
        {
          m.file = xasprintf ("%s/f%zu", u->dir, count);
          ret = extract_member_data (a, m.file, &m.size, err);
        }
      else
        {
          free (path);
          continue;
        }
      if (u->n == cap)
        {
          cap = cap ? 2 * cap : 32;
          u->m = xrealloc (u->m, cap * sizeof *u->m);
        }
      u->m[u->n++] = m;
    }
  archive_read_free (a);
  return ret;
}

/* ---- load: checking layers ---- */

static const char *
layer_media_type (const unsigned char *magic, size_t n)
{
  if (n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b)
    return OCI_MEDIA_TYPE_LAYER_GZIP;
  if (n >= 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
    return OCI_MEDIA_TYPE_LAYER_ZSTD;
  if ((n >= 6
       && memcmp (magic,
                  "\xfd"
                  "7zXZ\0",
                  6)
              == 0)
      || (n >= 3 && memcmp (magic, "BZh", 3) == 0))
    return "application/octet-stream"; /* valid layers for the store, without an OCI media type */
  return OCI_MEDIA_TYPE_LAYER;
}

/* sha256 of the decompressed stream of fd: what the store will compute as the diff ID. */
static int
decompressed_digest (int fd, char hex[SKIFF_DIGEST_HEX_LEN + 1], skiff_error_t *err)
{
  if (skiff_archive_available (err) < 0)
    return -1;
  struct archive *a = archive_read_new ();
  if (a == NULL)
    return skiff_error_set (err, ENOMEM, "read the archive");
  archive_read_support_filter_gzip (a);
  archive_read_support_filter_zstd (a);
  archive_read_support_filter_xz (a);
  archive_read_support_filter_lzma (a);
  archive_read_support_filter_bzip2 (a);
  archive_read_support_format_raw (a);
  struct skiff_sha256 *sha = skiff_sha256_new ();
  struct archive_entry *e;
  int ret = 0;
  if (archive_read_open_fd (a, fd, COPY_BLOCK) != ARCHIVE_OK || archive_read_next_header (a, &e) < ARCHIVE_WARN)
    ret = skiff_error_set_status (err, EINVAL, "decompress: %s", archive_error_string (a));
  cleanup_free char *buf = xmalloc (COPY_BLOCK);
  while (ret == 0)
    {
      la_ssize_t n = archive_read_data (a, buf, COPY_BLOCK);
      if (n < 0)
        ret = skiff_error_set_status (err, EINVAL, "decompress: %s", archive_error_string (a));
      if (n <= 0)
        break;
      skiff_sha256_update (sha, buf, (size_t) n);
    }
  skiff_sha256_final (sha, hex);
  archive_read_free (a);
  return ret;
}

struct load_layer
{
  struct member *m;
  char *diff_id;                    /* from the config */
  char *blob_digest;                /* the manifest's descriptor digest (oci), or NULL */
  struct skiff_oci_descriptor desc; /* what the stored manifest says (docker-archive) */
};

struct load_image
{
  char *config;
  size_t config_len;
  char *manifest; /* oci: the archive's; docker: built after the check */
  size_t manifest_len;
  char **names;
  struct load_layer *layers;
  size_t n_layers;
};

static void
load_image_release (struct load_image *li)
{
  free (li->config);
  free (li->manifest);
  strv_free (li->names);
  for (size_t i = 0; i < li->n_layers; i++)
    {
      free (li->layers[i].diff_id);
      free (li->layers[i].blob_digest);
      free (li->layers[i].desc.digest);
    }
  free (li->layers);
}

/* Verify one layer's digests before anything is stored; fills desc. */
static int
check_layer (struct skiff_store *s, struct load_layer *l, const char *what, skiff_error_t *err)
{
  cleanup_close int fd = open (l->m->file, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return skiff_error_set (err, errno, "open `%s`", l->m->file);
  unsigned char magic[8];
  ssize_t n = read_all (fd, magic, sizeof magic);
  if (n < 0)
    return skiff_error_set (err, (int) -n, "read `%s`", l->m->file);
  l->desc.media_type = (char *) layer_media_type (magic, (size_t) n);
  char hex[SKIFF_DIGEST_HEX_LEN + 1];
  uint64_t size = 0;
  if (lseek (fd, 0, SEEK_SET) < 0 || skiff_sha256_fd (fd, hex, &size, err) < 0)
    return skiff_error_wrap (err, "%s", what);
  l->desc.digest = xasprintf ("sha256:%s", hex);
  l->desc.size = size;
  if (l->blob_digest && strcmp (skiff_digest_hex (l->blob_digest), hex) != 0)
    return skiff_error_set_status (err, EINVAL,
                                   "%s: digest mismatch: the manifest says %s, the content is sha256:%s (a corrupt "
                                   "archive)",
                                   what, l->blob_digest, hex);
  if (skiff_store_layer_exists (s, l->diff_id))
    return 0;
  if (strcmp (l->desc.media_type, OCI_MEDIA_TYPE_LAYER) != 0)
    {
      if (lseek (fd, 0, SEEK_SET) < 0)
        return skiff_error_set (err, errno, "rewind `%s`", l->m->file);
      if (decompressed_digest (fd, hex, err) < 0)
        return skiff_error_wrap (err, "%s", what);
    }
  if (strcmp (skiff_digest_hex (l->diff_id), hex) != 0)
    return skiff_error_set_status (err, EINVAL,
                                   "%s: digest mismatch: the config's diff ID is %s, the content is sha256:%s (a "
                                   "corrupt archive)",
                                   what, l->diff_id, hex);
  return 0;
}

static int
check_config (struct load_image *li, const char *expected_hex, const char *what, struct skiff_image_config **cfg_out,
              skiff_error_t *err)
{
  char hex[SKIFF_DIGEST_HEX_LEN + 1];
  skiff_sha256_hex (li->config, li->config_len, hex);
  if (expected_hex && strcmp (expected_hex, hex) != 0)
    return skiff_error_set_status (err, EINVAL,
                                   "%s: digest mismatch: expected sha256:%s, the content is sha256:%s (a corrupt "
                                   "archive)",
                                   what, expected_hex, hex);
  if (skiff_image_config_parse (li->config, li->config_len, cfg_out, err) < 0)
    return skiff_error_wrap (err, "%s", what);
  return 0;
}

/* The hex digest a member's name promises ("<hex>.json", "blobs/sha256/<hex>"), or NULL. */
static char *
name_digest (const char *path)
{
  const char *base = strrchr (path, '/');
  base = base ? base + 1 : path;
  cleanup_free char *h = xstrndup (base, SKIFF_DIGEST_HEX_LEN);
  const char *rest = base + strlen (h);
  if (skiff_hex_id_valid (h) && (rest[0] == '\0' || strcmp (rest, ".json") == 0))
    return steal_pointer (&h);
  return NULL;
}

/* docker save writes "busybox:latest" for docker.io/library/busybox:latest */
static char *
docker_name (const char *tag)
{
  if (!skiff_reference_is_short (tag))
    return xstrdup (tag);
  return strchr (tag, '/') ? xasprintf ("docker.io/%s", tag) : xasprintf ("docker.io/library/%s", tag);
}

static json_object *
member_json (struct unpacked *u, const char *path, json_type type, skiff_error_t *err)
{
  cleanup_free char *data = NULL;
  size_t len = 0;
  if (member_read (u, path, &data, &len, err) < 0)
    return NULL;
  json_object *o = json_tokener_parse (data);
  if (o == NULL || !json_object_is_type (o, type))
    {
      json_object_put (o);
      skiff_error_set_status (err, EINVAL, "`%s` in the archive is not a valid JSON %s", path,
                              type == json_type_array ? "array" : "object");
      return NULL;
    }
  return o;
}

static const char *
json_str (json_object *o, const char *key)
{
  json_object *v = NULL;
  if (!json_object_object_get_ex (o, key, &v) || !json_object_is_type (v, json_type_string))
    return NULL;
  return json_object_get_string (v);
}

static int
plan_docker (struct skiff_store *s, struct unpacked *u, struct load_image **out, size_t *n_out, skiff_error_t *err)
{
  json_object *doc = member_json (u, DOCKER_MANIFEST_FILE, json_type_array, err);
  if (doc == NULL)
    return -1;
  size_t n = json_object_array_length (doc);
  struct load_image *v = xmalloc0 ((n + 1) * sizeof *v);
  int ret = 0;
  if (n == 0)
    ret = skiff_error_set_status (err, EINVAL, "the archive's manifest.json lists no image");
  for (size_t i = 0; ret == 0 && i < n; i++)
    {
      struct load_image *li = &v[i];
      json_object *m = json_object_array_get_idx (doc, i);
      json_object *layers = NULL, *tags = NULL;
      const char *config = json_object_is_type (m, json_type_object) ? json_str (m, "Config") : NULL;
      if (config == NULL || !json_object_object_get_ex (m, "Layers", &layers)
          || !json_object_is_type (layers, json_type_array))
        {
          ret = skiff_error_set_status (err, EINVAL, "invalid manifest.json: entry %zu has no Config or no Layers", i);
          break;
        }
      li->names = xmalloc0 (sizeof (char *));
      if (json_object_object_get_ex (m, "RepoTags", &tags) && json_object_is_type (tags, json_type_array))
        for (size_t k = 0; ret == 0 && k < json_object_array_length (tags); k++)
          {
            /* json-c would print an object as "{ }": refused, as podman's JSON decoding refuses it */
            json_object *tag = json_object_array_get_idx (tags, k);
            if (!json_object_is_type (tag, json_type_string))
              ret = skiff_error_set_status (err, EINVAL,
                                            "invalid manifest.json: entry %zu: RepoTags[%zu] is not a string", i, k);
            else if (json_object_get_string_len (tag) > 0)
              strv_push_take (&li->names, docker_name (json_object_get_string (tag)));
          }
      if (ret < 0)
        break;
      struct skiff_image_config *cfg = NULL;
      cleanup_free char *what = xasprintf ("config `%s`", config);
      cleanup_free char *expect = name_digest (config);
      ret = member_read (u, config, &li->config, &li->config_len, err);
      if (ret == 0)
        ret = check_config (li, expect, what, &cfg, err);
      if (ret == 0 && strv_len (cfg->diff_ids) != json_object_array_length (layers))
        ret = skiff_error_set_status (err, EINVAL, "%s lists %zu diff IDs but manifest.json %zu layers", what,
                                      strv_len (cfg->diff_ids), json_object_array_length (layers));
      if (ret == 0)
        {
          li->n_layers = json_object_array_length (layers);
          li->layers = xmalloc0 ((li->n_layers + 1) * sizeof *li->layers);
        }
      for (size_t k = 0; ret == 0 && k < li->n_layers; k++)
        {
          const char *p = json_object_get_string (json_object_array_get_idx (layers, k));
          struct load_layer *l = &li->layers[k];
          l->diff_id = xstrdup (cfg->diff_ids[k]);
          if (!skiff_digest_valid (l->diff_id))
            ret = skiff_error_set_status (err, EINVAL, "%s: invalid diff ID `%s`", what, l->diff_id);
          else if (p == NULL || (l->m = member_resolve (u, p, err)) == NULL)
            ret = p ? skiff_error_wrap (err, "layer %zu", k)
                    : skiff_error_set_status (err, EINVAL, "invalid manifest.json");
          else
            {
              cleanup_free char *lw = xasprintf ("layer `%s`", p);
              ret = check_layer (s, l, lw, err);
            }
        }
      if (ret == 0)
        {
          /* the manifest the store records: the layers as they are in the archive */
          struct skiff_oci_descriptor *descs = xmalloc0 ((li->n_layers + 1) * sizeof *descs);
          for (size_t k = 0; k < li->n_layers; k++)
            descs[k] = li->layers[k].desc;
          char cfg_hex[SKIFF_DIGEST_HEX_LEN + 1];
          skiff_sha256_hex (li->config, li->config_len, cfg_hex);
          struct skiff_oci_manifest mf = {
            .media_type = (char *) OCI_MEDIA_TYPE_MANIFEST,
            .config = { .media_type = (char *) OCI_MEDIA_TYPE_CONFIG,
                        .digest = xasprintf ("sha256:%s", cfg_hex),
                        .size = li->config_len },
            .layers = descs,
            .n_layers = li->n_layers,
          };
          li->manifest = skiff_oci_manifest_to_json (&mf);
          li->manifest_len = strlen (li->manifest);
          free (mf.config.digest);
          free (descs);
        }
      skiff_image_config_free (cfg);
    }
  json_object_put (doc);
  if (ret < 0)
    {
      for (size_t i = 0; i < n; i++)
        load_image_release (&v[i]);
      free (v);
      return -1;
    }
  *out = v;
  *n_out = n;
  return 0;
}

/* A blob of the layout, its digest and size checked against the descriptor. */
static int
oci_blob (struct unpacked *u, const char *digest, int64_t size, struct member **m_out, char **data, size_t *len,
          skiff_error_t *err)
{
  const char *hex = digest ? skiff_digest_hex (digest) : NULL;
  if (hex == NULL || !str_has_prefix (digest, "sha256:"))
    return skiff_error_set_status (err, EINVAL, "invalid digest `%s` in the archive's index or manifest",
                                   digest ? digest : "");
  cleanup_free char *path = xasprintf (OCI_BLOBS_DIR "/%s", hex);
  struct member *m = member_resolve (u, path, err);
  if (m == NULL)
    return skiff_error_wrap (err, "blob %s", digest);
  if (size >= 0 && (uint64_t) size != m->size)
    return skiff_error_set_status (err, EINVAL,
                                   "blob %s: size mismatch: the descriptor says %lld bytes, the archive has %llu",
                                   digest, (long long) size, (unsigned long long) m->size);
  if (m_out)
    *m_out = m;
  if (data == NULL)
    return 0;
  if (member_read (u, path, data, len, err) < 0)
    return -1;
  char got[SKIFF_DIGEST_HEX_LEN + 1];
  skiff_sha256_hex (*data, *len, got);
  if (strcmp (got, hex) != 0)
    {
      free (*data);
      *data = NULL;
      return skiff_error_set_status (
          err, EINVAL, "blob %s: digest mismatch: the content is sha256:%s (a corrupt archive)", digest, got);
    }
  return 0;
}

static int64_t
json_size (json_object *d)
{
  json_object *v = NULL;
  if (!json_object_object_get_ex (d, "size", &v) || !json_object_is_type (v, json_type_int))
    return -1;
  return json_object_get_int64 (v);
}

static const char *
annotation (json_object *d, const char *key)
{
  json_object *ann = NULL;
  if (!json_object_object_get_ex (d, "annotations", &ann) || !json_object_is_type (ann, json_type_object))
    return NULL;
  return json_str (ann, key);
}

/* The manifest descriptor to use from a nested index: the host's platform, else the first. */
static json_object *
pick_platform (json_object *manifests)
{
  struct utsname un;
  const char *arch = uname (&un) == 0 ? skiff_oci_goarch (un.machine) : "amd64";
  for (size_t i = 0; i < json_object_array_length (manifests); i++)
    {
      json_object *d = json_object_array_get_idx (manifests, i), *p = NULL;
      if (json_object_object_get_ex (d, "platform", &p) && json_str (p, "architecture")
          && strcmp (json_str (p, "architecture"), arch) == 0)
        return d;
    }
  return json_object_array_length (manifests) > 0 ? json_object_array_get_idx (manifests, 0) : NULL;
}

static int
plan_oci_one (struct skiff_store *s, struct unpacked *u, json_object *desc, struct load_image *li, skiff_error_t *err)
{
  const char *digest = json_str (desc, "digest");
  const char *mt = json_str (desc, "mediaType");
  cleanup_free char *nested = NULL;
  size_t nested_len = 0;
  json_object *idx = NULL;
  if (mt && strcmp (mt, OCI_MEDIA_TYPE_INDEX) == 0)
    {
      /* a multi-platform image: its index names one manifest per platform */
      if (oci_blob (u, digest, json_size (desc), NULL, &nested, &nested_len, err) < 0)
        return -1;
      idx = json_tokener_parse (nested);
      json_object *ms = NULL;
      if (idx == NULL || !json_object_object_get_ex (idx, "manifests", &ms)
          || !json_object_is_type (ms, json_type_array) || (desc = pick_platform (ms)) == NULL)
        {
          json_object_put (idx);
          return skiff_error_set_status (err, EINVAL, "the image index %s has no manifests", digest);
        }
      digest = json_str (desc, "digest");
    }
  struct skiff_oci_manifest *m = NULL;
  struct skiff_image_config *cfg = NULL;
  int ret = oci_blob (u, digest, json_size (desc), NULL, &li->manifest, &li->manifest_len, err);
  if (ret == 0)
    ret = skiff_oci_manifest_parse (li->manifest, li->manifest_len, &m, err);
  json_object_put (idx);
  if (ret < 0)
    return skiff_error_wrap (err, "manifest %s", digest ? digest : "");
  cleanup_free char *what = xasprintf ("config %s", m->config.digest ? m->config.digest : "");
  ret = oci_blob (u, m->config.digest, (int64_t) m->config.size, NULL, &li->config, &li->config_len, err);
  if (ret == 0)
    ret = check_config (li, NULL, what, &cfg, err);
  if (ret == 0 && strv_len (cfg->diff_ids) != m->n_layers)
    ret = skiff_error_set_status (err, EINVAL, "%s lists %zu diff IDs but the manifest %zu layers", what,
                                  strv_len (cfg->diff_ids), m->n_layers);
  if (ret == 0)
    {
      li->n_layers = m->n_layers;
      li->layers = xmalloc0 ((li->n_layers + 1) * sizeof *li->layers);
    }
  for (size_t k = 0; ret == 0 && k < li->n_layers; k++)
    {
      struct load_layer *l = &li->layers[k];
      l->diff_id = xstrdup (cfg->diff_ids[k]);
      l->blob_digest = xstrdup (m->layers[k].digest ? m->layers[k].digest : "");
      cleanup_free char *lw = xasprintf ("layer %s", l->blob_digest);
      if (!skiff_digest_valid (l->diff_id))
        ret = skiff_error_set_status (err, EINVAL, "%s: invalid diff ID `%s`", what, l->diff_id);
      else if ((ret = oci_blob (u, l->blob_digest, (int64_t) m->layers[k].size, &l->m, NULL, NULL, err)) == 0)
        ret = check_layer (s, l, lw, err);
    }
  skiff_oci_manifest_free (m);
  skiff_image_config_free (cfg);
  return ret;
}

static int
plan_oci (struct skiff_store *s, struct unpacked *u, struct load_image **out, size_t *n_out, skiff_error_t *err)
{
  json_object *index = member_json (u, OCI_INDEX_FILE, json_type_object, err);
  if (index == NULL)
    return -1;
  json_object *ms = NULL;
  if (!json_object_object_get_ex (index, "manifests", &ms) || !json_object_is_type (ms, json_type_array)
      || json_object_array_length (ms) == 0)
    {
      json_object_put (index);
      return skiff_error_set_status (err, EINVAL, "the archive's index.json lists no image");
    }
  size_t nd = json_object_array_length (ms);
  struct load_image *v = xmalloc0 ((nd + 1) * sizeof *v);
  char **digests = xmalloc0 ((nd + 1) * sizeof (char *)); /* one image per manifest, names merged */
  size_t n = 0;
  int ret = 0;
  for (size_t i = 0; ret == 0 && i < nd; i++)
    {
      json_object *d = json_object_array_get_idx (ms, i);
      const char *digest = json_object_is_type (d, json_type_object) ? json_str (d, "digest") : NULL;
      if (digest == NULL)
        {
          ret = skiff_error_set_status (err, EINVAL, "invalid index.json: entry %zu has no digest", i);
          break;
        }
      const char *name = annotation (d, CONTAINERD_IMAGE_NAME);
      const char *ref = annotation (d, OCI_REF_NAME);
      /* a bare tag ("latest") names no image */
      if (name == NULL && ref && (strchr (ref, '/') || strchr (ref, ':')))
        name = ref;
      size_t k;
      for (k = 0; k < n && strcmp (digests[k], digest) != 0; k++)
        ;
      if (k == n)
        {
          v[n].names = xmalloc0 (sizeof (char *));
          digests[n] = xstrdup (digest);
          ret = plan_oci_one (s, u, d, &v[n], err);
          n++;
        }
      if (ret == 0 && name && !strv_contains (v[k].names, name))
        strv_push (&v[k].names, name);
    }
  strv_free (digests);
  json_object_put (index);
  if (ret < 0)
    {
      for (size_t i = 0; i < n; i++)
        load_image_release (&v[i]);
      free (v);
      return -1;
    }
  *out = v;
  *n_out = n;
  return 0;
}

int
skiff_image_load (struct skiff_store *s, int fd, char ***loaded, const struct skiff_archive_progress *prog,
                  skiff_error_t *err)
{
  struct unpacked u = { 0 };
  struct load_image *imgs = NULL;
  size_t n = 0;
  int ret = unpack_archive (fd, &u, err);
  if (ret == 0)
    {
      if (member_find (&u, DOCKER_MANIFEST_FILE))
        ret = plan_docker (s, &u, &imgs, &n, err);
      else if (member_find (&u, OCI_INDEX_FILE))
        ret = plan_oci (s, &u, &imgs, &n, err);
      else
        ret = skiff_error_set_status (err, EINVAL,
                                      "not an image archive: it has neither manifest.json (docker-archive) nor "
                                      "index.json (oci-archive)");
    }
  if (ret == 0)
    arc_progress (prog, "Getting image source signatures");
  cleanup_strv char **out = xmalloc0 (sizeof (char *));
  /* everything was verified: store the layers, then the images */
  for (size_t i = 0; ret == 0 && i < n; i++)
    {
      struct load_image *li = &imgs[i];
      for (size_t k = 0; ret == 0 && k < li->n_layers; k++)
        {
          struct load_layer *l = &li->layers[k];
          arc_progress (prog, "Copying blob %s", l->desc.digest);
          if (skiff_store_layer_exists (s, l->diff_id))
            continue;
          cleanup_close int lfd = open (l->m->file, O_RDONLY | O_CLOEXEC);
          if (lfd < 0)
            ret = skiff_error_set (err, errno, "open `%s`", l->m->file);
          else if (skiff_store_layer_apply (s, lfd, l->diff_id, NULL, err) < 0)
            ret = skiff_error_wrap (err, "layer %s", l->desc.digest);
        }
      char cfg_hex[SKIFF_DIGEST_HEX_LEN + 1];
      skiff_sha256_hex (li->config, li->config_len, cfg_hex);
      if (ret == 0)
        arc_progress (prog, "Copying config sha256:%s", cfg_hex);
      cleanup_free char *id = NULL;
      if (ret == 0)
        {
          arc_progress (prog, "Writing manifest to image destination");
          ret = skiff_store_image_create (s, li->manifest, li->manifest_len, li->config, li->config_len, li->names, &id,
                                          err);
        }
      if (ret == 0)
        {
          arc_progress (prog, "Storing signatures");
          if (li->names[0] == NULL)
            strv_push_take (&out, xasprintf ("sha256:%s", id));
          for (size_t k = 0; li->names[k]; k++)
            {
              char *norm = skiff_reference_normalize (li->names[k], NULL);
              strv_push_take (&out, norm ? norm : xstrdup (li->names[k]));
            }
        }
    }
  for (size_t i = 0; i < n; i++)
    load_image_release (&imgs[i]);
  free (imgs);
  unpacked_release (&u);
  if (ret == 0 && loaded)
    *loaded = steal_pointer (&out);
  return ret;
}
