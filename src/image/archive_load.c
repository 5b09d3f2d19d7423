/* Image archives, load side: skiff_image_load reads the archive's index (manifest.json or index.json)
 * first, fetches only what it references (archive_members.c), checks every digest and diff ID, then stores
 * the layers through skiff_store_layer_apply (which verifies the diff ID) and the images. */
#include "image/archive_internal.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <sys/utsname.h>

#include "oci/image.h"

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
  uint64_t total = 0;
  while (ret == 0)
    {
      la_ssize_t n = archive_read_data (a, buf, COPY_BLOCK);
      if (n < 0)
        ret = skiff_error_set_status (err, EINVAL, "decompress: %s", archive_error_string (a));
      if (n <= 0)
        break;
      /* the store would have to write all of it: a bomb is refused here, before it costs more time */
      total += (uint64_t) n;
      if (total > ARC_LOAD_WRITE_MAX)
        ret = skiff_error_set_status (err, EFBIG,
                                      "decompress: the layer expands to more than %llu GiB (a decompression bomb)",
                                      ARC_LOAD_WRITE_MAX >> 30);
      skiff_sha256_update (sha, buf, (size_t) n);
    }
  skiff_sha256_final (sha, hex);
  archive_read_free (a);
  return ret;
}

struct load_layer
{
  struct arc_member *m;
  char *what;                       /* "layer `path`" or "layer sha256:...", in messages */
  char *diff_id;                    /* from the config */
  char *blob_digest;                /* the manifest's descriptor digest (oci), or NULL */
  struct skiff_oci_descriptor desc; /* what the stored manifest says */
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
  /* while planning */
  struct arc_member *config_m;
  char *config_what;       /* "config `path`" or "config sha256:..." */
  char *config_hex;        /* the digest its name or descriptor promises, or NULL */
  json_object *layer_refs; /* docker: the entry's Layers (borrowed from manifest.json) */
  char *desc_digest;       /* oci: the descriptor being followed (index, then manifest) */
  char *desc_media_type;
  int64_t desc_size;
  struct arc_member *desc_m;
  struct skiff_oci_manifest *mf; /* oci: the parsed manifest */
};

static void
load_image_release (struct load_image *li)
{
  free (li->config);
  free (li->manifest);
  strv_free (li->names);
  for (size_t i = 0; i < li->n_layers; i++)
    {
      free (li->layers[i].what);
      free (li->layers[i].diff_id);
      free (li->layers[i].blob_digest);
      free (li->layers[i].desc.digest);
    }
  free (li->layers);
  free (li->config_what);
  free (li->config_hex);
  free (li->desc_digest);
  free (li->desc_media_type);
  skiff_oci_manifest_free (li->mf);
}

static void
load_images_free (struct load_image *v, size_t n)
{
  for (size_t i = 0; v && i < n; i++)
    load_image_release (&v[i]);
  free (v);
}

/* A fetched member's content, copied (the member keeps its own). */
static char *
member_copy (const struct arc_member *m, size_t *len)
{
  char *c = xmalloc (m->size + 1);
  memcpy (c, m->data, m->size + 1);
  *len = (size_t) m->size;
  return c;
}

/* Verify one layer's digests before anything is stored; fills desc. */
static int
check_layer (struct skiff_store *s, struct load_layer *l, skiff_error_t *err)
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
    return skiff_error_wrap (err, "%s", l->what);
  free (l->desc.digest);
  l->desc.digest = xasprintf ("sha256:%s", hex);
  l->desc.size = size;
  if (l->blob_digest && strcmp (skiff_digest_hex (l->blob_digest), hex) != 0)
    return skiff_error_set_status (err, EINVAL,
                                   "%s: digest mismatch: the manifest says %s, the content is sha256:%s (a corrupt "
                                   "archive)",
                                   l->what, l->blob_digest, hex);
  if (s && skiff_store_layer_exists (s, l->diff_id))
    return 0;
  if (strcmp (l->desc.media_type, OCI_MEDIA_TYPE_LAYER) != 0)
    {
      if (lseek (fd, 0, SEEK_SET) < 0)
        return skiff_error_set (err, errno, "rewind `%s`", l->m->file);
      if (decompressed_digest (fd, hex, err) < 0)
        return skiff_error_wrap (err, "%s", l->what);
    }
  if (strcmp (skiff_digest_hex (l->diff_id), hex) != 0)
    return skiff_error_set_status (err, EINVAL,
                                   "%s: digest mismatch: the config's diff ID is %s, the content is sha256:%s (a "
                                   "corrupt archive)",
                                   l->what, l->diff_id, hex);
  return 0;
}

/* The fetched config of li: its digest checked (when its name or descriptor promises one) and parsed. */
static int
check_config (struct load_image *li, struct skiff_image_config **cfg_out, skiff_error_t *err)
{
  li->config = member_copy (li->config_m, &li->config_len);
  char hex[SKIFF_DIGEST_HEX_LEN + 1];
  skiff_sha256_hex (li->config, li->config_len, hex);
  if (li->config_hex && strcmp (li->config_hex, hex) != 0)
    return skiff_error_set_status (err, EINVAL,
                                   "%s: digest mismatch: expected sha256:%s, the content is sha256:%s (a corrupt "
                                   "archive)",
                                   li->config_what, li->config_hex, hex);
  if (skiff_image_config_parse (li->config, li->config_len, cfg_out, err) < 0)
    return skiff_error_wrap (err, "%s", li->config_what);
  return 0;
}

/* With the config parsed, one load_layer per diff ID; the caller sets each member. */
static int
layers_from_config (struct load_image *li, const struct skiff_image_config *cfg, size_t n_refs, const char *refs_name,
                    skiff_error_t *err)
{
  if (strv_len (cfg->diff_ids) != n_refs)
    return skiff_error_set_status (err, EINVAL, "%s lists %zu diff IDs but %s %zu layers", li->config_what,
                                   strv_len (cfg->diff_ids), refs_name, n_refs);
  li->n_layers = n_refs;
  li->layers = xmalloc0 ((n_refs + 1) * sizeof *li->layers);
  for (size_t k = 0; k < n_refs; k++)
    {
      li->layers[k].diff_id = xstrdup (cfg->diff_ids[k]);
      if (!skiff_digest_valid (li->layers[k].diff_id))
        return skiff_error_set_status (err, EINVAL, "%s: invalid diff ID `%.100s`", li->config_what,
                                       li->layers[k].diff_id);
    }
  return 0;
}

static int
check_layers (struct skiff_store *s, struct load_image *v, size_t n, skiff_error_t *err)
{
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < v[i].n_layers; k++)
      {
        struct load_layer *l = &v[i].layers[k];
        /* a file named by many images is hashed once for the same digests */
        const struct load_layer *prev = l->m->checked;
        if (prev && strcmp (prev->diff_id, l->diff_id) == 0 && (prev->blob_digest == NULL) == (l->blob_digest == NULL)
            && (l->blob_digest == NULL || strcmp (prev->blob_digest, l->blob_digest) == 0))
          {
            l->desc = prev->desc;
            l->desc.digest = xstrdup (prev->desc.digest);
            continue;
          }
        if (check_layer (s, l, err) < 0)
          return -1;
        l->m->checked = l;
      }
  return 0;
}

static json_object *
member_json (struct arc_members *u, const char *path, json_type type, skiff_error_t *err)
{
  struct arc_member *m = arc_member_resolve (u, path, err);
  if (m == NULL || arc_member_want (u, m, ARC_WANT_DATA, err) < 0 || arc_members_fetch (u, err) < 0)
    return NULL;
  /* json-c's tokener stops at its default depth (JSON_TOKENER_DEFAULT_DEPTH, 32): no deep recursion */
  json_object *o = json_tokener_parse (m->data);
  if (o == NULL || !json_object_is_type (o, type))
    {
      json_object_put (o);
      skiff_error_set_status (err, EINVAL, "`%s` in the archive is not a valid JSON %s", path,
                              type == json_type_array ? "array" : "object");
      return NULL;
    }
  return o;
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

static const char *
json_str (json_object *o, const char *key)
{
  json_object *v = NULL;
  if (!json_object_object_get_ex (o, key, &v) || !json_object_is_type (v, json_type_string))
    return NULL;
  return json_object_get_string (v);
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

/* docker-archive, step 1: manifest.json's entries; their configs are asked for. */
static int
docker_entries (struct arc_members *u, json_object *doc, struct load_image *v, size_t n, skiff_error_t *err)
{
  for (size_t i = 0; i < n; i++)
    {
      struct load_image *li = &v[i];
      json_object *m = json_object_array_get_idx (doc, i);
      json_object *layers = NULL, *tags = NULL;
      const char *config = json_object_is_type (m, json_type_object) ? json_str (m, "Config") : NULL;
      if (config == NULL || !json_object_object_get_ex (m, "Layers", &layers)
          || !json_object_is_type (layers, json_type_array))
        return skiff_error_set_status (err, EINVAL, "invalid manifest.json: entry %zu has no Config or no Layers", i);
      li->names = xmalloc0 (sizeof (char *));
      if (json_object_object_get_ex (m, "RepoTags", &tags) && json_object_is_type (tags, json_type_array))
        for (size_t k = 0; k < json_object_array_length (tags); k++)
          {
            /* json-c would print an object as "{ }": refused, as podman's JSON decoding refuses it */
            json_object *t = json_object_array_get_idx (tags, k);
            if (!json_object_is_type (t, json_type_string))
              return skiff_error_set_status (err, EINVAL,
                                             "invalid manifest.json: entry %zu: RepoTags[%zu] is not a string", i, k);
            if (json_object_get_string_len (t) > 0)
              strv_push_take (&li->names, docker_name (json_object_get_string (t)));
          }
      li->config_what = xasprintf ("config `%.200s`", config);
      li->config_hex = name_digest (config);
      li->layer_refs = layers;
      li->config_m = arc_member_resolve (u, config, err);
      if (li->config_m == NULL || arc_member_want (u, li->config_m, ARC_WANT_DATA, err) < 0)
        return skiff_error_wrap (err, "%s", li->config_what);
    }
  return 0;
}

/* docker-archive, step 2: the configs checked, the layers they list asked for. */
static int
docker_layers (struct arc_members *u, struct load_image *v, size_t n, skiff_error_t *err)
{
  for (size_t i = 0; i < n; i++)
    {
      struct load_image *li = &v[i];
      struct skiff_image_config *cfg = NULL;
      int ret = check_config (li, &cfg, err);
      if (ret == 0)
        ret = layers_from_config (li, cfg, json_object_array_length (li->layer_refs), "manifest.json", err);
      skiff_image_config_free (cfg);
      for (size_t k = 0; ret == 0 && k < li->n_layers; k++)
        {
          struct load_layer *l = &li->layers[k];
          json_object *p = json_object_array_get_idx (li->layer_refs, k);
          if (!json_object_is_type (p, json_type_string))
            return skiff_error_set_status (err, EINVAL, "invalid manifest.json: layer %zu of entry %zu is not a path",
                                           k, i);
          l->what = xasprintf ("layer `%.200s`", json_object_get_string (p));
          l->m = arc_member_resolve (u, json_object_get_string (p), err);
          if (l->m == NULL || arc_member_want (u, l->m, ARC_WANT_FILE, err) < 0)
            return skiff_error_wrap (err, "layer %zu", k);
        }
      if (ret < 0)
        return -1;
    }
  return 0;
}

/* The manifest the store records for a docker-archive image: the layers as they are in the archive. */
static void
docker_manifest (struct load_image *li)
{
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

static int
plan_docker (struct skiff_store *s, struct arc_members *u, struct load_image **out, size_t *n_out, skiff_error_t *err)
{
  json_object *doc = member_json (u, DOCKER_MANIFEST_FILE, json_type_array, err);
  if (doc == NULL)
    return -1;
  size_t n = json_object_array_length (doc);
  if (n > ARC_IMAGES_MAX)
    {
      json_object_put (doc);
      return skiff_error_set_status (err, EFBIG, "the archive's manifest.json lists more than %d images",
                                     ARC_IMAGES_MAX);
    }
  struct load_image *v = xmalloc0 ((n + 1) * sizeof *v);
  int ret = 0;
  if (n == 0)
    ret = skiff_error_set_status (err, EINVAL, "the archive's manifest.json lists no image");
  if (ret == 0)
    ret = docker_entries (u, doc, v, n, err);
  if (ret == 0)
    ret = arc_members_fetch (u, err);
  if (ret == 0)
    ret = docker_layers (u, v, n, err);
  if (ret == 0)
    ret = arc_members_fetch (u, err);
  if (ret == 0)
    ret = check_layers (s, v, n, err);
  for (size_t i = 0; ret == 0 && i < n; i++)
    docker_manifest (&v[i]);
  json_object_put (doc);
  if (ret < 0)
    {
      load_images_free (v, n);
      return -1;
    }
  *out = v;
  *n_out = n;
  return 0;
}

/* The member of a blob of the layout, its size checked against the descriptor. */
static struct arc_member *
oci_blob (struct arc_members *u, const char *digest, int64_t size, skiff_error_t *err)
{
  const char *hex = digest ? skiff_digest_hex (digest) : NULL;
  if (hex == NULL || !str_has_prefix (digest, "sha256:") || !skiff_hex_id_valid (hex))
    {
      skiff_error_set_status (err, EINVAL, "invalid digest `%.100s` in the archive's index or manifest",
                              digest ? digest : "");
      return NULL;
    }
  cleanup_free char *path = xasprintf (OCI_BLOBS_DIR "/%s", hex);
  struct arc_member *m = arc_member_resolve (u, path, err);
  if (m == NULL)
    {
      skiff_error_wrap (err, "blob %s", digest);
      return NULL;
    }
  if (size >= 0 && (uint64_t) size != m->size)
    {
      skiff_error_set_status (err, EINVAL,
                              "blob %s: size mismatch: the descriptor says %lld bytes, the archive has %llu", digest,
                              (long long) size, (unsigned long long) m->size);
      return NULL;
    }
  return m;
}

/* A fetched JSON blob, its digest verified; the caller frees *data. */
static int
oci_blob_take (const struct arc_member *m, const char *digest, char **data, size_t *len, skiff_error_t *err)
{
  char got[SKIFF_DIGEST_HEX_LEN + 1];
  skiff_sha256_hex (m->data, (size_t) m->size, got);
  if (strcmp (got, skiff_digest_hex (digest)) != 0)
    return skiff_error_set_status (
        err, EINVAL, "blob %s: digest mismatch: the content is sha256:%s (a corrupt archive)", digest, got);
  *data = member_copy (m, len);
  return 0;
}

/* Follow li's descriptor: ask for the blob it names. */
static int
oci_want_desc (struct arc_members *u, struct load_image *li, skiff_error_t *err)
{
  li->desc_m = oci_blob (u, li->desc_digest, li->desc_size, err);
  if (li->desc_m == NULL || arc_member_want (u, li->desc_m, ARC_WANT_DATA, err) < 0)
    return skiff_error_wrap (err, "manifest %.100s", li->desc_digest ? li->desc_digest : "");
  return 0;
}

static void
oci_set_desc (struct load_image *li, json_object *d)
{
  free (li->desc_digest);
  free (li->desc_media_type);
  const char *mt = json_str (d, "mediaType");
  li->desc_digest = json_str (d, "digest") ? xstrdup (json_str (d, "digest")) : NULL;
  li->desc_media_type = mt ? xstrdup (mt) : NULL;
  li->desc_size = json_size (d);
}

/* oci-archive, step 1: one image per distinct manifest of index.json, names merged. */
static int
oci_entries (struct arc_members *u, json_object *ms, struct load_image *v, size_t *n, skiff_error_t *err)
{
  for (size_t i = 0; i < json_object_array_length (ms); i++)
    {
      json_object *d = json_object_array_get_idx (ms, i);
      const char *digest = json_object_is_type (d, json_type_object) ? json_str (d, "digest") : NULL;
      if (digest == NULL)
        return skiff_error_set_status (err, EINVAL, "invalid index.json: entry %zu has no digest", i);
      const char *name = annotation (d, CONTAINERD_IMAGE_NAME);
      const char *ref = annotation (d, OCI_REF_NAME);
      /* a bare tag ("latest") names no image */
      if (name == NULL && ref && (strchr (ref, '/') || strchr (ref, ':')))
        name = ref;
      size_t k;
      for (k = 0; k < *n && strcmp (v[k].desc_digest, digest) != 0; k++)
        ;
      if (k == *n)
        {
          v[k].names = xmalloc0 (sizeof (char *));
          oci_set_desc (&v[k], d);
          (*n)++;
          if (oci_want_desc (u, &v[k], err) < 0)
            return -1;
        }
      if (name && !strv_contains (v[k].names, name))
        strv_push (&v[k].names, name);
    }
  return 0;
}

/* oci-archive, step 2: a multi-platform image's index names one manifest per platform: the host's is
 * followed, else the first. */
static int
oci_platforms (struct arc_members *u, struct load_image *v, size_t n, skiff_error_t *err)
{
  for (size_t i = 0; i < n; i++)
    {
      struct load_image *li = &v[i];
      if (li->desc_media_type == NULL || strcmp (li->desc_media_type, OCI_MEDIA_TYPE_INDEX) != 0)
        continue;
      cleanup_free char *nested = NULL;
      size_t nested_len = 0;
      if (oci_blob_take (li->desc_m, li->desc_digest, &nested, &nested_len, err) < 0)
        return -1;
      json_object *idx = json_tokener_parse (nested), *ms = NULL, *d = NULL;
      if (idx == NULL || !json_object_object_get_ex (idx, "manifests", &ms)
          || !json_object_is_type (ms, json_type_array) || (d = pick_platform (ms)) == NULL
          || !json_object_is_type (d, json_type_object))
        {
          json_object_put (idx);
          return skiff_error_set_status (err, EINVAL, "the image index %s has no manifests", li->desc_digest);
        }
      oci_set_desc (li, d);
      json_object_put (idx);
      if (li->desc_media_type && strcmp (li->desc_media_type, OCI_MEDIA_TYPE_INDEX) == 0)
        return skiff_error_set_status (err, EINVAL, "the image index names another index (%s): skiff reads one level",
                                       li->desc_digest);
      if (oci_want_desc (u, li, err) < 0)
        return -1;
    }
  return 0;
}

/* oci-archive, step 3: the manifests parsed, their configs asked for. */
static int
oci_manifests (struct arc_members *u, struct load_image *v, size_t n, skiff_error_t *err)
{
  for (size_t i = 0; i < n; i++)
    {
      struct load_image *li = &v[i];
      if (oci_blob_take (li->desc_m, li->desc_digest, &li->manifest, &li->manifest_len, err) < 0
          || skiff_oci_manifest_parse (li->manifest, li->manifest_len, &li->mf, err) < 0)
        return skiff_error_wrap (err, "manifest %s", li->desc_digest);
      const char *cd = li->mf->config.digest;
      li->config_what = xasprintf ("config %.100s", cd ? cd : "");
      li->config_m = oci_blob (u, cd, (int64_t) li->mf->config.size, err);
      if (li->config_m == NULL || arc_member_want (u, li->config_m, ARC_WANT_DATA, err) < 0)
        return skiff_error_wrap (err, "%s", li->config_what);
      li->config_hex = xstrdup (skiff_digest_hex (cd));
    }
  return 0;
}

/* oci-archive, step 4: the configs checked, the layers asked for. */
static int
oci_layers (struct arc_members *u, struct load_image *v, size_t n, skiff_error_t *err)
{
  for (size_t i = 0; i < n; i++)
    {
      struct load_image *li = &v[i];
      struct skiff_image_config *cfg = NULL;
      int ret = check_config (li, &cfg, err);
      if (ret == 0)
        ret = layers_from_config (li, cfg, li->mf->n_layers, "the manifest", err);
      skiff_image_config_free (cfg);
      for (size_t k = 0; ret == 0 && k < li->n_layers; k++)
        {
          struct load_layer *l = &li->layers[k];
          const char *d = li->mf->layers[k].digest;
          l->blob_digest = xstrdup (d ? d : "");
          l->what = xasprintf ("layer %.100s", l->blob_digest);
          l->m = oci_blob (u, l->blob_digest, (int64_t) li->mf->layers[k].size, err);
          if (l->m == NULL || arc_member_want (u, l->m, ARC_WANT_FILE, err) < 0)
            return -1;
        }
      if (ret < 0)
        return -1;
    }
  return 0;
}

static int
plan_oci (struct skiff_store *s, struct arc_members *u, struct load_image **out, size_t *n_out, skiff_error_t *err)
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
  if (json_object_array_length (ms) > ARC_IMAGES_MAX)
    {
      json_object_put (index);
      return skiff_error_set_status (err, EFBIG, "the archive's index.json lists more than %d images", ARC_IMAGES_MAX);
    }
  struct load_image *v = xmalloc0 ((json_object_array_length (ms) + 1) * sizeof *v);
  size_t n = 0;
  int ret = oci_entries (u, ms, v, &n, err);
  json_object_put (index);
  if (ret == 0)
    ret = arc_members_fetch (u, err);
  if (ret == 0)
    ret = oci_platforms (u, v, n, err);
  if (ret == 0)
    ret = arc_members_fetch (u, err);
  if (ret == 0)
    ret = oci_manifests (u, v, n, err);
  if (ret == 0)
    ret = arc_members_fetch (u, err);
  if (ret == 0)
    ret = oci_layers (u, v, n, err);
  if (ret == 0)
    ret = arc_members_fetch (u, err);
  if (ret == 0)
    ret = check_layers (s, v, n, err);
  if (ret < 0)
    {
      load_images_free (v, n);
      return -1;
    }
  *out = v;
  *n_out = n;
  return 0;
}

/* Everything was verified: store the layers, then the images. */
static int
store_images (struct skiff_store *s, struct load_image *imgs, size_t n, char ***out,
              const struct skiff_archive_progress *prog, skiff_error_t *err)
{
  arc_progress (prog, "Getting image source signatures");
  for (size_t i = 0; i < n; i++)
    {
      struct load_image *li = &imgs[i];
      for (size_t k = 0; k < li->n_layers; k++)
        {
          struct load_layer *l = &li->layers[k];
          arc_progress (prog, "Copying blob %s", l->desc.digest);
          if (skiff_store_layer_exists (s, l->diff_id))
            continue;
          cleanup_close int lfd = open (l->m->file, O_RDONLY | O_CLOEXEC);
          if (lfd < 0)
            return skiff_error_set (err, errno, "open `%s`", l->m->file);
          if (skiff_store_layer_apply (s, lfd, l->diff_id, NULL, err) < 0)
            return skiff_error_wrap (err, "layer %s", l->desc.digest);
        }
      char cfg_hex[SKIFF_DIGEST_HEX_LEN + 1];
      skiff_sha256_hex (li->config, li->config_len, cfg_hex);
      arc_progress (prog, "Copying config sha256:%s", cfg_hex);
      cleanup_free char *id = NULL;
      arc_progress (prog, "Writing manifest to image destination");
      if (skiff_store_image_create (s, li->manifest, li->manifest_len, li->config, li->config_len, li->names, &id, err)
          < 0)
        return -1;
      arc_progress (prog, "Storing signatures");
      if (li->names[0] == NULL)
        strv_push_take (out, xasprintf ("sha256:%s", id));
      for (size_t k = 0; li->names[k]; k++)
        {
          char *norm = skiff_reference_normalize (li->names[k], NULL);
          strv_push_take (out, norm ? norm : xstrdup (li->names[k]));
        }
    }
  return 0;
}

int
skiff_image_load (struct skiff_store *s, int fd, char ***loaded, const struct skiff_archive_progress *prog,
                  skiff_error_t *err)
{
  struct arc_members u;
  struct load_image *imgs = NULL;
  size_t n = 0;
  int ret = arc_members_open (fd, &u, err);
  if (ret == 0)
    {
      if (arc_member_find (&u, DOCKER_MANIFEST_FILE))
        ret = plan_docker (s, &u, &imgs, &n, err);
      else if (arc_member_find (&u, OCI_INDEX_FILE))
        ret = plan_oci (s, &u, &imgs, &n, err);
      else
        ret = skiff_error_set_status (err, EINVAL,
                                      NOT_A_PAYLOAD " it has neither manifest.json (docker-archive) nor "
                                                    "index.json (oci-archive)");
    }
  cleanup_strv char **out = xmalloc0 (sizeof (char *));
  if (ret == 0 && s)
    ret = store_images (s, imgs, n, &out, prog, err);
  load_images_free (imgs, n);
  arc_members_release (&u);
  if (ret == 0 && loaded)
    *loaded = steal_pointer (&out);
  return ret;
}
