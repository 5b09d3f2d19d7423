/* Images: records under images/<id>, names as symlinks under images/by-name, lookup by name, ID or ID
 * prefix, import of a rootfs tarball, creation from a pulled manifest, tag and remove (podman's rules). */
#include "storage/store_internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/utsname.h>

#define NAME_FILE_MAX 240 /* longer encoded names are stored by their hash */
#define ID_PREFIX_MIN 3

void
skiff_image_free (struct skiff_image *img)
{
  if (img == NULL)
    return;
  free (img->id);
  free (img->digest);
  strv_free (img->names);
  strv_free (img->layers);
  skiff_image_config_free (img->config);
  free (img);
}

static void
cleanup_imagep (struct skiff_image **p)
{
  skiff_image_free (*p);
}
#define cleanup_image __attribute__ ((cleanup (cleanup_imagep)))

/* ---- names on disk ---- */

/* A file name for a reference: [a-z0-9._-] kept, everything else %XX; too long -> "=" + sha256. */
static char *
encode_name (const char *name)
{
  size_t n = strlen (name);
  char *r = xmalloc (3 * n + 1);
  size_t len = 0;
  for (const char *p = name; *p; p++)
    {
      unsigned char ch = (unsigned char) *p;
      if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-')
        r[len++] = (char) ch;
      else
        len += (size_t) sprintf (r + len, "%%%02X", ch);
    }
  r[len] = '\0';
  if (len > NAME_FILE_MAX)
    {
      char hex[SKIFF_DIGEST_HEX_LEN + 1];
      skiff_sha256_hex (name, n, hex);
      free (r);
      return xasprintf ("=%s", hex);
    }
  return r;
}

/* The inverse of encode_name, or NULL for hashed names. */
static char *
decode_name (const char *enc)
{
  if (enc[0] == '=')
    return NULL;
  char *r = xmalloc (strlen (enc) + 1);
  size_t len = 0;
  for (const char *p = enc; *p; p++)
    {
      unsigned v;
      if (*p == '%' && sscanf (p + 1, "%2X", &v) == 1)
        {
          r[len++] = (char) v;
          p += 2;
        }
      else
        r[len++] = *p;
    }
  r[len] = '\0';
  return r;
}

/* The image ID a name's symlink points at, or NULL. */
static char *
name_target (struct skiff_store *s, const char *name)
{
  cleanup_free char *enc = encode_name (name);
  cleanup_free char *path = xasprintf (STORE_BY_NAME "/%s", enc);
  char buf[128];
  ssize_t n = readlinkat (s->rootfd, path, buf, sizeof buf - 1);
  if (n <= 0)
    return NULL;
  buf[n] = '\0';
  const char *id = str_has_prefix (buf, "../") ? buf + 3 : buf;
  return skiff_hex_id_valid (id) ? xstrdup (id) : NULL;
}

/* ---- records ---- */

static char *
record_to_json (const struct skiff_image *img)
{
  json_object *o = json_object_new_object ();
  json_object_object_add (o, "id", json_object_new_string (img->id));
  if (img->digest)
    json_object_object_add (o, "digest", json_object_new_string (img->digest));
  json_object *names = json_object_new_array ();
  for (size_t i = 0; img->names && img->names[i]; i++)
    json_object_array_add (names, json_object_new_string (img->names[i]));
  json_object_object_add (o, "names", names);
  json_object *layers = json_object_new_array ();
  for (size_t i = 0; img->layers && img->layers[i]; i++)
    json_object_array_add (layers, json_object_new_string (img->layers[i]));
  json_object_object_add (o, "layers", layers);
  json_object_object_add (o, "size", json_object_new_int64 ((int64_t) img->size));
  json_object_object_add (o, "created", json_object_new_int64 ((int64_t) img->created_ns));
  char *r = xstrdup (json_object_to_json_string_ext (o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put (o);
  return r;
}

static char **
json_strv (json_object *o, const char *key)
{
  json_object *a = NULL;
  char **r = xmalloc0 (sizeof (char *));
  if (!json_object_object_get_ex (o, key, &a) || !json_object_is_type (a, json_type_array))
    return r;
  for (size_t i = 0; i < json_object_array_length (a); i++)
    {
      json_object *e = json_object_array_get_idx (a, i);
      if (json_object_is_type (e, json_type_string))
        strv_push (&r, json_object_get_string (e));
    }
  return r;
}

int
store_image_load (struct skiff_store *s, const char *id, bool with_config, struct skiff_image **out, skiff_error_t *err)
{
  cleanup_free char *path = xasprintf (STORE_IMAGES "/%s/" IMAGE_RECORD, id);
  cleanup_free char *data = NULL;
  size_t len = 0;
  if (read_file_at (s->rootfd, path, &data, &len, err) < 0)
    return skiff_error_wrap (err, "read the record of image %s", id);
  json_object *o = json_tokener_parse (data);
  if (o == NULL || !json_object_is_type (o, json_type_object))
    {
      json_object_put (o);
      return skiff_error_set_status (err, EINVAL,
                                     "the record `%s/%s` is corrupt: remove the image with --force or reset "
                                     "the storage",
                                     s->root, path);
    }
  struct skiff_image *img = xmalloc0 (sizeof *img);
  img->id = xstrdup (id);
  json_object *v = NULL;
  if (json_object_object_get_ex (o, "digest", &v) && json_object_is_type (v, json_type_string))
    img->digest = xstrdup (json_object_get_string (v));
  if (json_object_object_get_ex (o, "size", &v))
    img->size = (uint64_t) json_object_get_int64 (v);
  if (json_object_object_get_ex (o, "created", &v))
    img->created_ns = (uint64_t) json_object_get_int64 (v);
  img->layers = json_strv (o, "layers");
  /* a name belongs to the image its symlink points at: after a crash in the middle of moving a name the
   * previous owner's record may still list it */
  cleanup_strv char **names = json_strv (o, "names");
  img->names = xmalloc0 (sizeof (char *));
  for (size_t i = 0; names[i]; i++)
    {
      cleanup_free char *target = name_target (s, names[i]);
      if (target && strcmp (target, id) == 0)
        strv_push (&img->names, names[i]);
    }
  json_object_put (o);
  if (with_config)
    {
      cleanup_free char *cfg = NULL;
      size_t clen = 0;
      if (store_blob_get (s, id, &cfg, &clen, err) < 0 || skiff_image_config_parse (cfg, clen, &img->config, err) < 0)
        {
          skiff_image_free (img);
          return skiff_error_wrap (err, "image %s", id);
        }
    }
  *out = img;
  return 0;
}

static int
record_write (struct skiff_store *s, const struct skiff_image *img, skiff_error_t *err)
{
  cleanup_free char *json = record_to_json (img);
  cleanup_free char *path = xasprintf (STORE_IMAGES "/%s/" IMAGE_RECORD, img->id);
  return write_file_atomic_at (s->rootfd, path, json, strlen (json), 0600, err);
}

/* Publish a new record (or merge names into an existing one with this ID). */
static int
record_create (struct skiff_store *s, const struct skiff_image *img, skiff_error_t *err)
{
  cleanup_free char *dir = xasprintf (STORE_IMAGES "/%s", img->id);
  struct stat st;
  if (fstatat (s->rootfd, dir, &st, AT_SYMLINK_NOFOLLOW) == 0)
    return 0; /* the same config: the same image; names are assigned by the caller */
  cleanup_close int imagesfd = openat (s->rootfd, STORE_IMAGES, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (imagesfd < 0)
    return skiff_error_set (err, errno, "open `%s/%s`", s->root, STORE_IMAGES);
  cleanup_free char *tmp = NULL;
  if (store_mkdtemp_at (imagesfd, &tmp, err) < 0)
    return -1;
  /* names are added one by one afterwards, each moving its symlink */
  struct skiff_image bare = *img;
  bare.names = NULL;
  cleanup_free char *json = record_to_json (&bare);
  cleanup_free char *rec = xasprintf ("%s/" IMAGE_RECORD, tmp);
  int r = write_file_atomic_at (imagesfd, rec, json, strlen (json), 0600, err);
  if (r == 0 && renameat (imagesfd, tmp, imagesfd, img->id) < 0)
    r = skiff_error_set (err, errno, "publish the record of image %s", img->id);
  if (r < 0)
    {
      skiff_error_t e2 = NULL;
      rm_rf_at (imagesfd, tmp, &e2);
      skiff_error_release (&e2);
    }
  return r;
}

static int
symlink_replace (struct skiff_store *s, const char *name, const char *id, skiff_error_t *err)
{
  cleanup_free char *enc = encode_name (name);
  cleanup_free char *target = xasprintf ("../%s", id);
  cleanup_close int dfd = openat (s->rootfd, STORE_BY_NAME, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return skiff_error_set (err, errno, "open `%s/%s`", s->root, STORE_BY_NAME);
  char rnd[65];
  if (random_hex_id (rnd, err) < 0)
    return -1;
  rnd[12] = '\0';
  cleanup_free char *tmp = xasprintf (STORE_TMP_PREFIX "%s", rnd);
  if (symlinkat (target, dfd, tmp) < 0)
    return skiff_error_set (err, errno, "create the name link for `%s`", name);
  if (renameat (dfd, tmp, dfd, enc) < 0)
    {
      int e = errno;
      unlinkat (dfd, tmp, 0);
      return skiff_error_set (err, e, "publish the name `%s`", name);
    }
  return 0;
}

/* Give name to image id, taking it from whichever image had it. Caller holds the lock.
 * Order: new owner's record, the symlink (the truth), then the old owner's record. */
static int
name_assign (struct skiff_store *s, const char *id, const char *name, skiff_error_t *err)
{
  cleanup_free char *old = name_target (s, name);
  cleanup_image struct skiff_image *img = NULL;
  if (store_image_load (s, id, false, &img, err) < 0)
    return -1;
  if (!strv_contains (img->names, name))
    {
      /* keep names the record lists even if their links are being moved */
      strv_push (&img->names, name);
      if (record_write (s, img, err) < 0)
        return skiff_error_wrap (err, "tag image %s", id);
    }
  if (old && strcmp (old, id) == 0)
    return 0;
  if (symlink_replace (s, name, id, err) < 0)
    return -1;
  if (old)
    {
      cleanup_image struct skiff_image *prev = NULL;
      skiff_error_t e2 = NULL;
      if (store_image_load (s, old, false, &prev, &e2) == 0)
        {
          /* load already dropped the name (its link now points elsewhere): rewrite without it */
          if (record_write (s, prev, &e2) < 0)
            log_warning ("untag `%s` from image %.12s: %s", name, old, e2->msg);
        }
      skiff_error_release (&e2);
    }
  return 0;
}

/* Drop name from image img (loaded, caller holds the lock): link first, then the record. */
static int
name_remove (struct skiff_store *s, struct skiff_image *img, const char *name, skiff_error_t *err)
{
  cleanup_free char *target = name_target (s, name);
  if (target && strcmp (target, img->id) == 0)
    {
      cleanup_free char *enc = encode_name (name);
      cleanup_free char *path = xasprintf (STORE_BY_NAME "/%s", enc);
      if (unlinkat (s->rootfd, path, 0) < 0 && errno != ENOENT)
        return skiff_error_set (err, errno, "untag `%s`", name);
    }
  char **kept = xmalloc0 (sizeof (char *));
  for (size_t i = 0; img->names && img->names[i]; i++)
    if (strcmp (img->names[i], name) != 0)
      strv_push (&kept, img->names[i]);
  strv_free (img->names);
  img->names = kept;
  return record_write (s, img, err);
}

/* ---- lookup ---- */

static char **
list_ids (struct skiff_store *s)
{
  char **ids = xmalloc0 (sizeof (char *));
  int fd = openat (s->rootfd, STORE_IMAGES, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return ids;
  DIR *d = fdopendir (fd);
  if (d == NULL)
    {
      close (fd);
      return ids;
    }
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    if (skiff_hex_id_valid (de->d_name))
      strv_push (&ids, de->d_name);
  closedir (d);
  return ids;
}

static int
find_by_id_prefix (struct skiff_store *s, const char *ref, const char *prefix, char **id, skiff_error_t *err)
{
  cleanup_strv char **ids = list_ids (s);
  size_t plen = strlen (prefix), matches = 0;
  for (size_t i = 0; ids[i]; i++)
    if (strncmp (ids[i], prefix, plen) == 0)
      {
        if (matches++ == 0)
          *id = xstrdup (ids[i]);
      }
  if (matches == 1)
    return 0;
  if (matches > 1)
    {
      free (*id);
      *id = NULL;
      return skiff_error_set_status (err, EINVAL,
                                     "%s: the image ID prefix is ambiguous (%zu images match): give more "
                                     "characters of the ID",
                                     ref, matches);
    }
  return 1;
}

/* Names stored with any registry whose path and tag end like a short reference ("busybox" finds
 * "docker.io/library/busybox:latest"); the lexically first wins. */
static char *
find_by_short_name (struct skiff_store *s, const char *normalized, char **matched)
{
  const char *suffix = normalized + strlen ("localhost"); /* "/path:tag" */
  size_t slen = strlen (suffix);
  int fd = openat (s->rootfd, STORE_BY_NAME, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  DIR *d = fdopendir (fd);
  if (d == NULL)
    {
      close (fd);
      return NULL;
    }
  char *best = NULL;
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    {
      if (de->d_name[0] == '.')
        continue;
      cleanup_free char *name = decode_name (de->d_name);
      size_t n = name ? strlen (name) : 0;
      if (name == NULL || n < slen || strcmp (name + n - slen, suffix) != 0)
        continue;
      if (best == NULL || strcmp (name, best) < 0)
        {
          free (best);
          best = steal_pointer (&name);
        }
    }
  closedir (d);
  if (best == NULL)
    return NULL;
  char *id = name_target (s, best);
  if (id == NULL)
    {
      free (best);
      return NULL;
    }
  *matched = best;
  return id;
}

static bool
all_hex (const char *s)
{
  if (*s == '\0')
    return false;
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
      return false;
  return true;
}

/* Resolve ref to an image ID; *name gets the stored name it matched (NULL when ref was an ID or a digest). */
static int
resolve_ref (struct skiff_store *s, const char *ref, char **id, char **name, skiff_error_t *err)
{
  *id = NULL;
  *name = NULL;
  if (ref == NULL || ref[0] == '\0')
    return skiff_error_set_status (err, EINVAL, "an empty image reference: give a name or an ID");
  const char *hexref = str_has_prefix (ref, "sha256:") ? ref + strlen ("sha256:") : NULL;
  if (hexref)
    {
      if (!all_hex (hexref) || strlen (hexref) > SKIFF_DIGEST_HEX_LEN)
        return skiff_error_set_status (err, EINVAL, "%s: invalid image ID", ref);
      int r = find_by_id_prefix (s, ref, hexref, id, err);
      if (r <= 0)
        return r;
      return skiff_error_set_status (err, ENOENT, "%s: image not known", ref);
    }
  if (skiff_hex_id_valid (ref))
    {
      cleanup_free char *dir = xasprintf (STORE_IMAGES "/%s", ref);
      struct stat st;
      if (fstatat (s->rootfd, dir, &st, AT_SYMLINK_NOFOLLOW) == 0)
        {
          *id = xstrdup (ref);
          return 0;
        }
    }
  skiff_error_t nerr = NULL;
  cleanup_free char *norm = skiff_reference_normalize (ref, &nerr);
  if (norm)
    {
      char *at = strchr (norm, '@');
      if (at)
        {
          /* by digest: the manifest digest, with a name of the same repository */
          size_t rlen = strcspn (norm, "@");
          const char *slash = memrchr (norm, '/', rlen);
          const char *colon = memchr (slash, ':', rlen - (size_t) (slash - norm));
          if (colon)
            rlen = (size_t) (colon - norm);
          struct skiff_image **imgs = NULL;
          size_t n = 0;
          if (store_images_load_all (s, false, &imgs, &n, err) < 0)
            return -1;
          for (size_t i = 0; i < n; i++)
            {
              bool repo = false, named = false;
              for (size_t j = 0; imgs[i]->names[j]; j++)
                {
                  if (strncmp (imgs[i]->names[j], norm, rlen) == 0
                      && (imgs[i]->names[j][rlen] == ':' || imgs[i]->names[j][rlen] == '@'))
                    repo = true;
                  named |= strcmp (imgs[i]->names[j], norm) == 0;
                }
              if (*id == NULL && repo && imgs[i]->digest && strcmp (imgs[i]->digest, at + 1) == 0)
                {
                  *id = xstrdup (imgs[i]->id);
                  /* pulled by this digest: the name it got (rmi untags it) */
                  if (named)
                    *name = xstrdup (norm);
                }
              skiff_image_free (imgs[i]);
            }
          free (imgs);
          if (*id)
            return 0;
        }
      else
        {
          *id = name_target (s, norm);
          if (*id)
            {
              *name = xstrdup (norm);
              return 0;
            }
          if (skiff_reference_is_short (ref) && (*id = find_by_short_name (s, norm, name)) != NULL)
            return 0;
        }
    }
  if (all_hex (ref) && strlen (ref) >= ID_PREFIX_MIN && strlen (ref) <= SKIFF_DIGEST_HEX_LEN)
    {
      int r = find_by_id_prefix (s, ref, ref, id, err);
      if (r <= 0)
        {
          skiff_error_release (&nerr);
          return r;
        }
    }
  if (norm == NULL && !all_hex (ref))
    {
      if (err)
        *err = nerr;
      else
        skiff_error_release (&nerr);
      return -EINVAL;
    }
  skiff_error_release (&nerr);
  return skiff_error_set_status (err, ENOENT, "%s: image not known", ref);
}

int
skiff_store_image_lookup (struct skiff_store *s, const char *ref, struct skiff_image **out, skiff_error_t *err)
{
  cleanup_free char *id = NULL;
  cleanup_free char *name = NULL;
  if (resolve_ref (s, ref, &id, &name, err) < 0)
    return -1;
  int r = store_image_load (s, id, true, out, err);
  /* removed between the name lookup and the load */
  if (r < 0 && err && *err && (*err)->status == ENOENT)
    {
      skiff_error_release (err);
      return skiff_error_set_status (err, ENOENT, "%s: image not known", ref);
    }
  return r;
}

int
store_images_load_all (struct skiff_store *s, bool with_config, struct skiff_image ***out, size_t *n,
                       skiff_error_t *err)
{
  cleanup_strv char **ids = list_ids (s);
  size_t count = strv_len (ids), k = 0;
  struct skiff_image **r = xmalloc0 ((count + 1) * sizeof *r);
  for (size_t i = 0; i < count; i++)
    {
      skiff_error_t e2 = NULL;
      if (store_image_load (s, ids[i], with_config, &r[k], &e2) == 0)
        k++;
      else if (e2->status == ENOENT)
        skiff_error_release (&e2); /* removed concurrently */
      else
        {
          for (size_t j = 0; j < k; j++)
            skiff_image_free (r[j]);
          free (r);
          *err = e2;
          return -1;
        }
    }
  *out = r;
  *n = k;
  return 0;
}

static int
cmp_images (const void *a, const void *b)
{
  const struct skiff_image *x = *(struct skiff_image *const *) a, *y = *(struct skiff_image *const *) b;
  if (x->created_ns != y->created_ns)
    return x->created_ns > y->created_ns ? -1 : 1;
  return strcmp (x->id, y->id);
}

int
skiff_store_image_list (struct skiff_store *s, struct skiff_image ***out, size_t *n, skiff_error_t *err)
{
  if (store_images_load_all (s, true, out, n, err) < 0)
    return -1;
  qsort (*out, *n, sizeof **out, cmp_images);
  return 0;
}

/* ---- creating images ---- */

static uint64_t
config_created_ns (const struct skiff_image_config *c)
{
  uint64_t ns = 0;
  if (c->created && skiff_rfc3339_parse (c->created, &ns) < 0)
    ns = 0;
  return ns;
}

/* Store config and manifest blobs and the record, then the names. Caller holds the lock. */
static int
image_publish (struct skiff_store *s, const char *config_json, size_t config_len, const char *manifest_json,
               size_t manifest_len, const struct skiff_image_config *cfg, char *const *layers, char *const *names,
               char **id_out, skiff_error_t *err)
{
  char id[SKIFF_DIGEST_HEX_LEN + 1], mhex[SKIFF_DIGEST_HEX_LEN + 1];
  if (store_blob_put (s, config_json, config_len, id, err) < 0
      || store_blob_put (s, manifest_json, manifest_len, mhex, err) < 0)
    return -1;
  struct skiff_image img = { 0 };
  cleanup_free char *digest = xasprintf ("sha256:%s", mhex);
  img.id = id;
  img.digest = digest;
  img.layers = (char **) layers;
  img.created_ns = config_created_ns (cfg);
  for (size_t i = 0; layers && layers[i]; i++)
    img.size += store_layer_size (s, layers[i]);
  if (record_create (s, &img, err) < 0)
    return -1;
  for (size_t i = 0; names && names[i]; i++)
    if (name_assign (s, id, names[i], err) < 0)
      return -1;
  if (id_out)
    *id_out = xstrdup (id);
  return 0;
}

static char *
host_architecture (void)
{
  struct utsname u;
  if (uname (&u) < 0)
    return xstrdup ("amd64");
  return xstrdup (skiff_oci_goarch (u.machine));
}

int
skiff_store_import (struct skiff_store *s, int fd, const char *name, char *const *changes, char **id_out,
                    skiff_error_t *err)
{
  /* everything that can be refused is checked before any byte is extracted */
  cleanup_free char *norm = NULL;
  if (name && (norm = skiff_reference_normalize (name, err)) == NULL)
    return -1;
  if (norm && strchr (norm, '@'))
    return skiff_error_set_status (err, EINVAL, "%s: an imported image cannot be named by a digest: use a tag", name);
  struct skiff_image_config *cfg = skiff_image_config_new ();
  uint64_t now = realtime_ns ();
  cfg->created = format_time_rfc3339 (now);
  cfg->architecture = host_architecture ();
  cfg->os = xstrdup ("linux");
  for (size_t i = 0; changes && changes[i]; i++)
    if (skiff_image_config_apply_change (cfg, changes[i], err) < 0)
      {
        skiff_image_config_free (cfg);
        return -1;
      }
  if (store_lock (s, err) < 0)
    {
      skiff_image_config_free (cfg);
      return -1;
    }
  char hex[SKIFF_DIGEST_HEX_LEN + 1];
  uint64_t size = 0;
  bool had_layer = false;
  int r = store_layer_apply_locked (s, fd, NULL, hex, &size, err);
  if (r < 0)
    skiff_error_wrap (err, "import");
  if (r == 0)
    {
      had_layer = true;
      strv_push_take (&cfg->diff_ids, xasprintf ("sha256:%s", hex));
      skiff_image_config_add_history (cfg, cfg->created, NULL, "imported from tarball", false);
      cleanup_free char *config_json = skiff_image_config_to_json (cfg);
      char cfg_hex[SKIFF_DIGEST_HEX_LEN + 1];
      skiff_sha256_hex (config_json, strlen (config_json), cfg_hex);
      struct skiff_oci_descriptor layer
          = { .media_type = (char *) OCI_MEDIA_TYPE_LAYER, .digest = xasprintf ("sha256:%s", hex), .size = size };
      struct skiff_oci_manifest m = {
        .media_type = (char *) OCI_MEDIA_TYPE_MANIFEST,
        .config = { .media_type = (char *) OCI_MEDIA_TYPE_CONFIG,
                    .digest = xasprintf ("sha256:%s", cfg_hex),
                    .size = strlen (config_json) },
        .layers = &layer,
        .n_layers = 1,
      };
      cleanup_free char *manifest_json = skiff_oci_manifest_to_json (&m);
      free (layer.digest);
      free (m.config.digest);
      char *layers[] = { hex, NULL };
      char *names[] = { norm, NULL };
      r = image_publish (s, config_json, strlen (config_json), manifest_json, strlen (manifest_json), cfg, layers,
                         norm ? names : NULL, id_out, err);
    }
  if (r < 0 && had_layer)
    {
      /* do not leave a layer nobody references */
      char *cand[] = { hex, NULL };
      skiff_error_t e2 = NULL;
      store_layers_gc_locked (s, cand, &e2);
      skiff_error_release (&e2);
    }
  store_unlock (s);
  skiff_image_config_free (cfg);
  return r;
}

int
skiff_store_image_create (struct skiff_store *s, const char *manifest_json, size_t manifest_len,
                          const char *config_json, size_t config_len, char *const *names, char **id_out,
                          skiff_error_t *err)
{
  struct skiff_oci_manifest *m = NULL;
  struct skiff_image_config *cfg = NULL;
  cleanup_strv char **norms = xmalloc0 (sizeof (char *));
  cleanup_strv char **layers = xmalloc0 (sizeof (char *));
  int r = skiff_oci_manifest_parse (manifest_json, manifest_len, &m, err);
  if (r == 0)
    r = skiff_image_config_parse (config_json, config_len, &cfg, err);
  char cfg_hex[SKIFF_DIGEST_HEX_LEN + 1];
  skiff_sha256_hex (config_json, config_len, cfg_hex);
  if (r == 0 && strcmp (skiff_digest_hex (m->config.digest), cfg_hex) != 0)
    r = skiff_error_set_status (err, EINVAL, "the config's digest sha256:%s does not match the manifest's %s", cfg_hex,
                                m->config.digest);
  if (r == 0 && strv_len (cfg->diff_ids) != m->n_layers)
    r = skiff_error_set_status (err, EINVAL, "the config lists %zu diff IDs but the manifest %zu layers",
                                strv_len (cfg->diff_ids), m->n_layers);
  for (size_t i = 0; r == 0 && cfg->diff_ids && cfg->diff_ids[i]; i++)
    {
      const char *hex = skiff_digest_hex (cfg->diff_ids[i]);
      if (!store_layer_exists (s, hex))
        r = skiff_error_set_status (
            err, ENOENT, "layer %s is not in the store: apply it with skiff_store_layer_apply first", cfg->diff_ids[i]);
      else
        strv_push (&layers, hex);
    }
  for (size_t i = 0; r == 0 && names && names[i]; i++)
    {
      char *n = skiff_reference_normalize (names[i], err);
      if (n == NULL)
        r = -1;
      else
        strv_push_take (&norms, n);
    }
  if (r == 0 && (r = store_lock (s, err)) == 0)
    {
      r = image_publish (s, config_json, config_len, manifest_json, manifest_len, cfg, layers, norms, id_out, err);
      store_unlock (s);
    }
  skiff_oci_manifest_free (m);
  skiff_image_config_free (cfg);
  return r;
}

/* ---- tag and remove ---- */

int
skiff_store_image_tag (struct skiff_store *s, const char *ref, const char *new_name, skiff_error_t *err)
{
  cleanup_free char *norm = skiff_reference_normalize (new_name, err);
  if (norm == NULL)
    return -1;
  if (strchr (norm, '@'))
    return skiff_error_set_status (err, EINVAL, "%s: a tag cannot contain a digest", new_name);
  if (store_lock (s, err) < 0)
    return -1;
  cleanup_free char *id = NULL;
  cleanup_free char *name = NULL;
  int r = resolve_ref (s, ref, &id, &name, err);
  if (r == 0)
    r = name_assign (s, id, norm, err);
  store_unlock (s);
  return r;
}

int
skiff_store_image_untag (struct skiff_store *s, const char *id, const char *name, skiff_error_t *err)
{
  cleanup_free char *norm = skiff_reference_normalize (name, err);
  if (norm == NULL)
    return -1;
  if (store_lock (s, err) < 0)
    return -1;
  cleanup_image struct skiff_image *img = NULL;
  int r = store_image_load (s, id, false, &img, err);
  if (r == 0 && !strv_contains (img->names, norm))
    r = skiff_error_set_status (err, ENOENT, "%s: tag not known", norm);
  if (r == 0)
    r = name_remove (s, img, norm, err);
  store_unlock (s);
  return r;
}

int
skiff_store_image_remove (struct skiff_store *s, const char *ref, bool force,
                          bool (*in_use) (const char *image_id, void *data), void *data, char ***untagged,
                          char ***deleted, skiff_error_t *err)
{
  cleanup_strv char **u = xmalloc0 (sizeof (char *));
  cleanup_strv char **d = xmalloc0 (sizeof (char *));
  if (store_lock (s, err) < 0)
    return -1;
  cleanup_free char *id = NULL;
  cleanup_free char *name = NULL;
  cleanup_image struct skiff_image *img = NULL;
  int r = resolve_ref (s, ref, &id, &name, err);
  if (r == 0)
    r = store_image_load (s, id, false, &img, err);
  if (r < 0)
    goto out;
  if (name && strv_len (img->names) > 1)
    {
      /* a name of an image with other names: podman only untags */
      r = name_remove (s, img, name, err);
      if (r == 0)
        strv_push (&u, name);
      goto out;
    }
  if (!force && in_use && in_use (id, data))
    {
      r = skiff_error_set_status (err, EBUSY,
                                  "%s: image is in use by a container: remove the container first, or use "
                                  "--force to remove both",
                                  ref);
      goto out;
    }
  if (!force && name == NULL && strv_len (img->names) > 1)
    {
      /* podman's words (EBUSY: the engine retries it for --force and --all) */
      cleanup_free char *names = xstrdup ("");
      for (size_t i = 0; img->names[i]; i++)
        {
          char *more = xasprintf ("%s%s%s", names, i ? " " : "", img->names[i]);
          free (names);
          names = more;
        }
      r = skiff_error_set_status (err, EBUSY,
                                  "unable to delete image \"%s\" by ID with more than one tag ([%s]): please force "
                                  "removal",
                                  id, names);
      goto out;
    }
  for (size_t i = 0; img->names[i]; i++)
    {
      cleanup_free char *target = name_target (s, img->names[i]);
      cleanup_free char *enc = encode_name (img->names[i]);
      cleanup_free char *path = xasprintf (STORE_BY_NAME "/%s", enc);
      if (target && strcmp (target, id) == 0 && unlinkat (s->rootfd, path, 0) < 0 && errno != ENOENT)
        {
          r = skiff_error_set (err, errno, "untag `%s`", img->names[i]);
          goto out;
        }
      strv_push (&u, img->names[i]);
    }
  {
    cleanup_close int imagesfd = openat (s->rootfd, STORE_IMAGES, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (imagesfd < 0)
      {
        r = skiff_error_set (err, errno, "open `%s/%s`", s->root, STORE_IMAGES);
        goto out;
      }
    if ((r = store_remove_dir_atomic (imagesfd, id, err)) < 0)
      goto out;
  }
  strv_push (&d, id);
  store_blob_remove (s, id);
  if (img->digest && skiff_digest_hex (img->digest))
    store_blob_remove (s, skiff_digest_hex (img->digest));
  r = store_layers_gc_locked (s, img->layers, err);
out:
  store_unlock (s);
  if (r == 0)
    {
      if (untagged)
        *untagged = steal_pointer (&u);
      if (deleted)
        *deleted = steal_pointer (&d);
    }
  return r;
}
