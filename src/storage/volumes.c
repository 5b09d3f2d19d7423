/* Volumes in the user's store: <root>/volumes/<name>/ holds volume.json (what podman keeps in its database: the
 * creation time, labels, options, whether it is anonymous and still to be filled from the image) and _data, the
 * directory that is bind-mounted into containers. The volumes directory is 0700, so no other user reaches a
 * volume's data; a volume appears whole (made under a temporary name and renamed) and goes with system reset,
 * which empties the root. Which containers use a volume is the engine's question (their records). */
#include "storage/store_internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>

#define STORE_VOLUMES "volumes"
#define VOLUME_RECORD "volume.json"
#define VOLUME_DATA "_data"

char *
skiff_storage_volume_data (const char *root, const char *name)
{
  return xasprintf ("%s/" STORE_VOLUMES "/%s/" VOLUME_DATA, root, name);
}

void
skiff_volume_free (struct skiff_volume *v)
{
  if (v == NULL)
    return;
  free (v->name);
  free (v->mountpoint);
  strv_free (v->labels);
  strv_free (v->options);
  free (v);
}

void
skiff_volume_list_free (struct skiff_volume **v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    skiff_volume_free (v[i]);
  free (v);
}

static json_object *
strv_json (char *const *v)
{
  json_object *a = json_object_new_array ();
  for (size_t i = 0; v && v[i]; i++)
    json_object_array_add (a, json_object_new_string (v[i]));
  return a;
}

static char **
json_strv (json_object *o, const char *key)
{
  json_object *a = NULL;
  char **out = NULL;
  if (!json_object_object_get_ex (o, key, &a) || !json_object_is_type (a, json_type_array))
    return NULL;
  for (size_t i = 0; i < json_object_array_length (a); i++)
    {
      const char *s = json_object_get_string (json_object_array_get_idx (a, i));
      if (s)
        strv_push (&out, s);
    }
  return out;
}

static bool
get_flag (json_object *o, const char *key)
{
  json_object *b = NULL;
  return json_object_object_get_ex (o, key, &b) && json_object_get_boolean (b);
}

static char *
volume_json (const struct skiff_volume *v)
{
  json_object *o = json_object_new_object ();
  json_object_object_add (o, "Name", json_object_new_string (v->name));
  json_object_object_add (o, "CreatedAt", json_object_new_int64 (v->created_ns));
  json_object_object_add (o, "Labels", strv_json (v->labels));
  json_object_object_add (o, "Options", strv_json (v->options));
  json_object_object_add (o, "Anonymous", json_object_new_boolean (v->anonymous));
  json_object_object_add (o, "NeedsCopyUp", json_object_new_boolean (v->needs_copy_up));
  json_object_object_add (o, "NeedsChown", json_object_new_boolean (v->needs_chown));
  char *s = xstrdup (json_object_to_json_string_ext (o, JSON_C_TO_STRING_PLAIN));
  json_object_put (o);
  return s;
}

static int
volumes_dir (struct skiff_store *s, skiff_error_t *err)
{
  if (mkdir_p_at (s->rootfd, STORE_VOLUMES, 0700, err) < 0)
    return -1;
  int fd = openat (s->rootfd, STORE_VOLUMES, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return skiff_error_set (err, errno, "open `%s/" STORE_VOLUMES "`", s->root);
  return fd;
}

int
skiff_store_volume_create (struct skiff_store *s, const struct skiff_volume *v, skiff_error_t *err)
{
  cleanup_close int vfd = volumes_dir (s, err);
  if (vfd < 0)
    return -1;
  if (faccessat (vfd, v->name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return skiff_error_set_status (err, EEXIST, "volume with name %s already exists: volume already exists", v->name);
  cleanup_free char *tmp = NULL;
  if (store_mkdtemp_at (vfd, &tmp, err) < 0)
    return -1;
  cleanup_close int tfd = openat (vfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  cleanup_free char *json = volume_json (v);
  int r = 0;
  if (tfd < 0)
    r = skiff_error_set (err, errno, "open the new volume's directory");
  else if (fchmod (tfd, 0700) < 0 || mkdirat (tfd, VOLUME_DATA, 0755) < 0)
    r = skiff_error_set (err, errno, "make the volume's data directory");
  else if (write_file_atomic_at (tfd, VOLUME_RECORD, json, strlen (json), 0600, err) < 0)
    r = -1;
  else if (renameat2 (vfd, tmp, vfd, v->name, RENAME_NOREPLACE) < 0)
    r = errno == EEXIST
            ? skiff_error_set_status (err, EEXIST, "volume with name %s already exists: volume already exists", v->name)
            : skiff_error_set (err, errno, "create volume %s", v->name);
  if (r < 0)
    {
      skiff_error_t ignored = NULL;
      if (rm_rf_at (vfd, tmp, &ignored) < 0)
        skiff_error_release (&ignored);
    }
  return r;
}

static int
volume_load (struct skiff_store *s, int vfd, const char *name, struct skiff_volume **out, skiff_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/" VOLUME_RECORD, name);
  cleanup_free char *text = NULL;
  size_t len = 0;
  if (read_file_at (vfd, path, &text, &len, err) < 0)
    {
      if ((*err)->status != ENOENT)
        return -1;
      skiff_error_release (err);
      return skiff_error_set_status (err, ENOENT, "no volume with name \"%s\" found: no such volume", name);
    }
  json_object *o = json_tokener_parse (text);
  if (o == NULL || !json_object_is_type (o, json_type_object))
    {
      json_object_put (o);
      return skiff_error_set_status (err, EINVAL, "volume %s: its record is not JSON", name);
    }
  struct skiff_volume *v = xmalloc0 (sizeof *v);
  v->name = xstrdup (name);
  v->mountpoint = skiff_storage_volume_data (s->root, name);
  json_object *t = NULL;
  if (json_object_object_get_ex (o, "CreatedAt", &t))
    v->created_ns = json_object_get_int64 (t);
  v->labels = json_strv (o, "Labels");
  v->options = json_strv (o, "Options");
  v->anonymous = get_flag (o, "Anonymous");
  v->needs_copy_up = get_flag (o, "NeedsCopyUp");
  v->needs_chown = get_flag (o, "NeedsChown");
  json_object_put (o);
  *out = v;
  return 0;
}

int
skiff_store_volume_get (struct skiff_store *s, const char *name, struct skiff_volume **out, skiff_error_t *err)
{
  *out = NULL;
  if (name[0] == '.' || strchr (name, '/'))
    return skiff_error_set_status (err, ENOENT, "no volume with name \"%s\" found: no such volume", name);
  cleanup_close int vfd = volumes_dir (s, err);
  if (vfd < 0)
    return -1;
  return volume_load (s, vfd, name, out, err);
}

static int
name_cmp (const void *a, const void *b)
{
  return strcmp ((*(struct skiff_volume *const *) a)->name, (*(struct skiff_volume *const *) b)->name);
}

int
skiff_store_volume_list (struct skiff_store *s, struct skiff_volume ***out, size_t *n, skiff_error_t *err)
{
  *out = NULL;
  *n = 0;
  cleanup_close int vfd = volumes_dir (s, err);
  if (vfd < 0)
    return -1;
  int dfd = fcntl (vfd, F_DUPFD_CLOEXEC, 0);
  DIR *d = dfd >= 0 ? fdopendir (dfd) : NULL;
  if (d == NULL)
    {
      if (dfd >= 0)
        close (dfd);
      return skiff_error_set (err, errno, "read the volumes");
    }
  struct skiff_volume **v = NULL;
  size_t nv = 0;
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    {
      if (de->d_name[0] == '.')
        continue;
      struct skiff_volume *one = NULL;
      skiff_error_t ignored = NULL;
      if (volume_load (s, vfd, de->d_name, &one, &ignored) < 0)
        {
          skiff_error_release (&ignored);
          continue;
        }
      v = xrealloc (v, (nv + 1) * sizeof *v);
      v[nv++] = one;
    }
  closedir (d);
  if (nv)
    qsort (v, nv, sizeof *v, name_cmp);
  *out = v;
  *n = nv;
  return 0;
}

int
skiff_store_volume_update (struct skiff_store *s, const struct skiff_volume *v, skiff_error_t *err)
{
  cleanup_close int vfd = volumes_dir (s, err);
  if (vfd < 0)
    return -1;
  cleanup_free char *json = volume_json (v);
  cleanup_free char *path = xasprintf ("%s/" VOLUME_RECORD, v->name);
  return write_file_atomic_at (vfd, path, json, strlen (json), 0600, err);
}

int
skiff_store_volume_remove (struct skiff_store *s, const char *name, skiff_error_t *err)
{
  cleanup_close int vfd = volumes_dir (s, err);
  if (vfd < 0)
    return -1;
  if (name[0] == '.' || strchr (name, '/') || faccessat (vfd, name, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
    return skiff_error_set_status (err, ENOENT, "no volume with name \"%s\" found: no such volume", name);
  /* renamed away first, so that the volume disappears at once even if its data takes long to delete */
  cleanup_free char *tmp = xasprintf (STORE_TMP_PREFIX "rm-%s", name);
  if (renameat (vfd, name, vfd, tmp) < 0)
    return skiff_error_set (err, errno, "remove volume %s", name);
  return rm_rf_at (vfd, tmp, err);
}
