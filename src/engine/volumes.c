/* Volumes, podman's way (engine/volumes.h): the store keeps each volume (storage/volumes.c); this file knows
 * which containers use one (their records' mounts), makes the volumes a container needs at create (named ones
 * on first use, anonymous ones for -v /DST and the image's VOLUMEs, --volumes-from's), turns a record's mounts
 * into the runtime's (engine/config.c calls it at every start) and answers the volume commands. */
#include "engine/volumes.h"

#include <dirent.h>
#include <regex.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>

#include "engine/internal.h"
#include "engine/record.h"

#define VOLUME_DEFAULT_OPTIONS_NOSUID "nosuid"
#define VOLUME_DEFAULT_OPTIONS_NODEV "nodev"
#define TMPFS_DEFAULT_DATA "mode=1777"

static int
store_of (struct skiff_engine *e, struct skiff_store **s, skiff_error_t *err)
{
  return skiff_engine_store (e, s, err);
}

int
skiff_engine_volume_create (struct skiff_engine *e, const char *name, char *const *labels, char *const *options,
                            bool ignore, char **name_out, skiff_error_t *err)
{
  struct skiff_store *s;
  if (store_of (e, &s, err) < 0)
    return -1;
  char rnd[65];
  if (name == NULL)
    {
      if (random_hex_id (rnd, err) < 0)
        return -1;
      name = rnd;
    }
  else if (!skiff_volume_name_valid (name))
    return skiff_error_set_status (err, EINVAL,
                                   "running volume create option: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid "
                                   "argument");
  for (size_t i = 0; options && options[i]; i++)
    {
      cleanup_free char *key = xstrndup (options[i], strcspn (options[i], "="));
      return skiff_error_set_status (err, EINVAL,
                                     "invalid mount option %s for driver 'local': skiff's local driver takes no -o "
                                     "options yet: invalid argument",
                                     key);
    }
  struct skiff_volume v = { .name = (char *) name,
                            .created_ns = (int64_t) realtime_ns (),
                            .labels = (char **) labels,
                            .options = (char **) options,
                            .needs_copy_up = true,
                            .needs_chown = true };
  if (skiff_store_volume_create (s, &v, err) < 0)
    {
      if (!ignore || (*err)->status != EEXIST)
        return -1;
      skiff_error_release (err);
    }
  if (name_out)
    *name_out = xstrdup (name);
  return 0;
}

int
skiff_engine_volume_get (struct skiff_engine *e, const char *name, struct skiff_volume **out, skiff_error_t *err)
{
  struct skiff_store *s;
  if (store_of (e, &s, err) < 0)
    return -1;
  return skiff_store_volume_get (s, name, out, err);
}

static bool
mounts_volume (const struct skiff_container *c, const char *name)
{
  for (size_t i = 0; i < c->nmounts; i++)
    if (c->mounts[i].type == SKIFF_MOUNT_VOLUME && c->mounts[i].source && strcmp (c->mounts[i].source, name) == 0)
      return true;
  return false;
}

char **
skiff_engine_volume_users (struct skiff_engine *e, const char *name)
{
  struct skiff_container_list list = { 0 };
  skiff_error_t ignored = NULL;
  char **ids = NULL;
  if (skiff_record_list (e, &list, &ignored) < 0)
    {
      skiff_error_release (&ignored);
      return NULL;
    }
  for (size_t i = 0; i < list.n; i++)
    if (mounts_volume (list.v[i], name))
      strv_push (&ids, list.v[i]->id);
  skiff_container_list_release (&list);
  return ids;
}

static bool
label_matches (char *const *labels, const char *want)
{
  const char *eq = strchr (want, '=');
  size_t klen = eq ? (size_t) (eq - want) : strlen (want);
  for (size_t i = 0; labels && labels[i]; i++)
    {
      const char *leq = strchr (labels[i], '=');
      size_t lk = leq ? (size_t) (leq - labels[i]) : strlen (labels[i]);
      if (lk != klen || strncmp (labels[i], want, klen) != 0)
        continue;
      if (eq == NULL || strcmp (leq ? leq + 1 : "", eq + 1) == 0)
        return true;
    }
  return false;
}

static bool
filter_matches (struct skiff_engine *e, const struct skiff_volume_filter *f, const struct skiff_volume *v)
{
  if (f == NULL)
    return true;
  if (f->names)
    {
      bool any = false;
      for (size_t i = 0; !any && f->names[i]; i++)
        {
          regex_t re;
          if (regcomp (&re, f->names[i], REG_EXTENDED | REG_NOSUB) != 0)
            any = strcmp (f->names[i], v->name) == 0;
          else
            {
              any = regexec (&re, v->name, 0, NULL, 0) == 0;
              regfree (&re);
            }
        }
      if (!any)
        return false;
    }
  for (size_t i = 0; f->labels && f->labels[i]; i++)
    if (!label_matches (v->labels, f->labels[i]))
      return false;
  if (f->anonymous >= 0 && (int) v->anonymous != f->anonymous)
    return false;
  if (f->dangling >= 0)
    {
      cleanup_strv char **users = skiff_engine_volume_users (e, v->name);
      if ((users == NULL) != (f->dangling == 1))
        return false;
    }
  return true;
}

int
skiff_engine_volume_list (struct skiff_engine *e, const struct skiff_volume_filter *f, struct skiff_volume ***out,
                          size_t *n, skiff_error_t *err)
{
  struct skiff_store *s;
  if (store_of (e, &s, err) < 0 || skiff_store_volume_list (s, out, n, err) < 0)
    return -1;
  size_t k = 0;
  for (size_t i = 0; i < *n; i++)
    if (filter_matches (e, f, (*out)[i]))
      (*out)[k++] = (*out)[i];
    else
      skiff_volume_free ((*out)[i]);
  *n = k;
  return 0;
}

static char *
join_ids (char *const *ids)
{
  char *out = xstrdup ("");
  for (size_t i = 0; ids && ids[i]; i++)
    {
      char *next = xasprintf ("%s%s%s", out, i ? ", " : "", ids[i]);
      free (out);
      out = next;
    }
  return out;
}

int
skiff_engine_volume_remove (struct skiff_engine *e, const char *name, bool force, skiff_error_t *err)
{
  struct skiff_store *s;
  struct skiff_volume *v = NULL;
  if (store_of (e, &s, err) < 0 || skiff_store_volume_get (s, name, &v, err) < 0)
    return -1;
  skiff_volume_free (v);
  cleanup_strv char **users = skiff_engine_volume_users (e, name);
  if (users && !force)
    {
      cleanup_free char *list = join_ids (users);
      return skiff_error_set_status (
          err, EBUSY, "volume %s is being used by the following container(s): %s: volume is being used", name, list);
    }
  for (size_t i = 0; users && users[i]; i++)
    {
      struct skiff_container *c = NULL;
      if (skiff_engine_container_lookup (e, users[i], &c, err) < 0)
        {
          if ((*err)->status != ENOENT)
            return -1;
          skiff_error_release (err);
          continue;
        }
      int r = skiff_engine_container_remove (e, c, true, err);
      skiff_container_free (c);
      if (r < 0)
        return skiff_error_wrap (err, "remove container %s, which uses volume %s", users[i], name);
    }
  return skiff_store_volume_remove (s, name, err);
}

int
skiff_engine_volume_prune (struct skiff_engine *e, const struct skiff_volume_filter *f, char ***removed,
                           skiff_error_t *err)
{
  struct skiff_volume **v = NULL;
  size_t n = 0;
  *removed = NULL;
  if (skiff_engine_volume_list (e, f, &v, &n, err) < 0)
    return -1;
  int r = 0;
  for (size_t i = 0; r == 0 && i < n; i++)
    {
      cleanup_strv char **users = skiff_engine_volume_users (e, v[i]->name);
      if (users)
        continue;
      struct skiff_store *s;
      r = store_of (e, &s, err) < 0 ? -1 : skiff_store_volume_remove (s, v[i]->name, err);
      if (r == 0)
        strv_push (removed, v[i]->name);
    }
  skiff_volume_list_free (v, n);
  return r;
}

static json_object *
kv_object (char *const *kv)
{
  json_object *o = json_object_new_object ();
  for (size_t i = 0; kv && kv[i]; i++)
    {
      const char *eq = strchr (kv[i], '=');
      cleanup_free char *k = xstrndup (kv[i], eq ? (size_t) (eq - kv[i]) : strlen (kv[i]));
      json_object_object_add (o, k, json_object_new_string (eq ? eq + 1 : ""));
    }
  return o;
}

static char *
rfc3339_nano (int64_t ns)
{
  time_t secs = (time_t) (ns / 1000000000);
  struct tm tm;
  gmtime_r (&secs, &tm);
  char buf[64];
  strftime (buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  /* Go's RFC3339Nano drops trailing zeros of the fraction */
  char frac[16];
  snprintf (frac, sizeof frac, "%09lld", (long long) (ns % 1000000000));
  size_t fl = strlen (frac);
  while (fl > 0 && frac[fl - 1] == '0')
    frac[--fl] = '\0';
  return fl ? xasprintf ("%s.%sZ", buf, frac) : xasprintf ("%sZ", buf);
}

json_object *
skiff_engine_volume_json (const struct skiff_volume *v)
{
  json_object *o = json_object_new_object ();
  json_object_object_add (o, "Name", json_object_new_string (v->name));
  json_object_object_add (o, "Driver", json_object_new_string (SKIFF_VOLUME_DRIVER));
  json_object_object_add (o, "Mountpoint", json_object_new_string (v->mountpoint));
  cleanup_free char *created = rfc3339_nano (v->created_ns);
  json_object_object_add (o, "CreatedAt", json_object_new_string (created));
  json_object_object_add (o, "Labels", kv_object (v->labels));
  json_object_object_add (o, "Scope", json_object_new_string ("local"));
  json_object_object_add (o, "Options", kv_object (v->options));
  if (v->anonymous)
    json_object_object_add (o, "Anonymous", json_object_new_boolean (true));
  json_object_object_add (o, "MountCount", json_object_new_int (0));
  json_object_object_add (o, "NeedsCopyUp", json_object_new_boolean (v->needs_copy_up));
  json_object_object_add (o, "NeedsChown", json_object_new_boolean (v->needs_chown));
  return o;
}

int
skiff_volume_filter_parse (struct skiff_volume_filter *f, const char *arg, skiff_error_t *err)
{
  const char *eq = strchr (arg, '=');
  cleanup_free char *key = xstrndup (arg, eq ? (size_t) (eq - arg) : strlen (arg));
  const char *value = eq ? eq + 1 : "";
  if (strcmp (key, "name") == 0)
    strv_push (&f->names, value);
  else if (strcmp (key, "label") == 0)
    strv_push (&f->labels, value);
  else if (strcmp (key, "dangling") == 0 || strcmp (key, "anonymous") == 0)
    {
      int b = strcmp (value, "true") == 0 || strcmp (value, "1") == 0    ? 1
              : strcmp (value, "false") == 0 || strcmp (value, "0") == 0 ? 0
                                                                         : -1;
      if (b < 0)
        return skiff_error_set_status (err, EINVAL, "%s filter value must be true or false", key);
      *(strcmp (key, "dangling") == 0 ? &f->dangling : &f->anonymous) = b;
    }
  else if (strcmp (key, "driver") == 0)
    {
      if (strcmp (value, SKIFF_VOLUME_DRIVER) != 0)
        strv_push (&f->names, "^$"); /* no volume has another driver */
    }
  else
    return skiff_error_set_status (err, EINVAL, "\"%s\" is an invalid volume filter", key);
  return 0;
}

void
skiff_volume_filter_release (struct skiff_volume_filter *f)
{
  strv_free (f->names);
  strv_free (f->labels);
  memset (f, 0, sizeof *f);
  f->dangling = f->anonymous = -1;
}

/* ---- create, start, rm ---- */

int
skiff_volumes_check (struct skiff_engine *e, const struct skiff_spec *s, skiff_error_t *err)
{
  for (size_t i = 0; i < s->nmounts; i++)
    {
      struct stat st;
      if (s->mounts[i].type == SKIFF_MOUNT_BIND && stat (s->mounts[i].source, &st) < 0)
        return skiff_error_set_status (err, errno, "statfs %s: %s", s->mounts[i].source,
                                       errno == ENOENT ? "no such file or directory" : strerror (errno));
    }
  for (size_t i = 0; i < s->nvolumes_from; i++)
    {
      struct skiff_container *c = NULL;
      if (skiff_engine_container_lookup (e, s->volumes_from[i].container, &c, err) < 0)
        return skiff_error_wrap (err, "looking up container \"%s\" for volumes-from", s->volumes_from[i].container);
      skiff_container_free (c);
    }
  return 0;
}

static bool
has_destination (const struct skiff_container *c, const char *dst)
{
  for (size_t i = 0; i < c->nmounts; i++)
    if (strcmp (c->mounts[i].destination, dst) == 0)
      return true;
  return false;
}

static void
add_mount (struct skiff_container *c, const struct skiff_mount *m)
{
  c->mounts = xrealloc (c->mounts, (c->nmounts + 2) * sizeof *c->mounts);
  struct skiff_mount *d = &c->mounts[c->nmounts++];
  d->type = m->type;
  d->source = m->source ? xstrdup (m->source) : NULL;
  d->destination = xstrdup (m->destination);
  d->options = strv_dup (m->options);
  memset (&c->mounts[c->nmounts], 0, sizeof *c->mounts);
}

static void
set_rw (char ***opts, enum skiff_volumes_from_mode mode)
{
  if (mode == SKIFF_VOLUMES_FROM_AS_IS)
    return;
  char **out = NULL;
  for (size_t i = 0; *opts && (*opts)[i]; i++)
    if (strcmp ((*opts)[i], "ro") != 0 && strcmp ((*opts)[i], "rw") != 0)
      strv_push (&out, (*opts)[i]);
  if (mode == SKIFF_VOLUMES_FROM_RO)
    strv_push (&out, "ro");
  strv_free (*opts);
  *opts = out;
}

/* podman's defaults: a volume is nosuid,nodev unless asked otherwise; a bind is rbind */
static void
add_defaults (struct skiff_mount *m)
{
  if (m->type == SKIFF_MOUNT_TMPFS)
    {
      if (!strv_contains (m->options, "suid") && !strv_contains (m->options, "nosuid"))
        strv_push (&m->options, "nosuid");
      if (!strv_contains (m->options, "dev") && !strv_contains (m->options, "nodev"))
        strv_push (&m->options, "nodev");
      return;
    }
  if (m->type == SKIFF_MOUNT_VOLUME)
    {
      if (!strv_contains (m->options, "suid") && !strv_contains (m->options, "nosuid"))
        strv_push (&m->options, VOLUME_DEFAULT_OPTIONS_NOSUID);
      if (!strv_contains (m->options, "dev") && !strv_contains (m->options, "nodev"))
        strv_push (&m->options, VOLUME_DEFAULT_OPTIONS_NODEV);
    }
  if (!strv_contains (m->options, "bind") && !strv_contains (m->options, "rbind"))
    strv_push (&m->options, "rbind");
}

static int
ensure_volume (struct skiff_engine *e, struct skiff_mount *m, char ***made, skiff_error_t *err)
{
  struct skiff_store *s;
  if (store_of (e, &s, err) < 0)
    return -1;
  bool anonymous = m->source == NULL;
  if (!anonymous)
    {
      struct skiff_volume *v = NULL;
      if (skiff_store_volume_get (s, m->source, &v, err) == 0)
        {
          skiff_volume_free (v);
          return 0;
        }
      if ((*err)->status != ENOENT)
        return -1;
      skiff_error_release (err);
    }
  char rnd[65];
  if (anonymous && random_hex_id (rnd, err) < 0)
    return -1;
  struct skiff_volume v = { .name = anonymous ? rnd : m->source,
                            .created_ns = (int64_t) realtime_ns (),
                            .anonymous = anonymous,
                            .needs_copy_up = true,
                            .needs_chown = true };
  if (skiff_store_volume_create (s, &v, err) < 0)
    {
      /* made meanwhile by another create: fine */
      if (anonymous || (*err)->status != EEXIST)
        return skiff_error_wrap (err, "creating %s volume", anonymous ? "an anonymous" : "a named");
      skiff_error_release (err);
      return 0;
    }
  if (anonymous)
    m->source = xstrdup (rnd);
  strv_push (made, v.name);
  return 0;
}

int
skiff_volumes_prepare (struct skiff_engine *e, struct skiff_container *c, const struct skiff_spec *s,
                       const struct skiff_image *img, char ***made, skiff_error_t *err)
{
  *made = NULL;
  skiff_mounts_free (c->mounts, c->nmounts);
  c->mounts = xmalloc0 (sizeof *c->mounts);
  c->nmounts = 0;
  for (size_t i = 0; i < s->nmounts; i++)
    add_mount (c, &s->mounts[i]);
  /* --volumes-from: the other container's mounts, where this one has none */
  for (size_t i = 0; i < s->nvolumes_from; i++)
    {
      struct skiff_container *from = NULL;
      if (skiff_engine_container_lookup (e, s->volumes_from[i].container, &from, err) < 0)
        return skiff_error_wrap (err, "looking up container \"%s\" for volumes-from", s->volumes_from[i].container);
      for (size_t j = 0; j < from->nmounts; j++)
        if (from->mounts[j].type != SKIFF_MOUNT_TMPFS && !has_destination (c, from->mounts[j].destination))
          {
            add_mount (c, &from->mounts[j]);
            set_rw (&c->mounts[c->nmounts - 1].options, s->volumes_from[i].mode);
          }
      skiff_container_free (from);
    }
  /* the image's VOLUMEs: an anonymous volume each, unless a mount covers it */
  const struct skiff_image_config *ic = img ? img->config : NULL;
  for (size_t i = 0; ic && ic->volumes && ic->volumes[i]; i++)
    {
      struct skiff_mount *parsed = NULL;
      size_t np = 0;
      skiff_error_t ignored = NULL;
      if (skiff_spec_parse_volume (ic->volumes[i], &parsed, &np, &ignored) < 0)
        {
          log_warning ("the image's VOLUME %s is not an absolute path: ignored", ic->volumes[i]);
          skiff_error_release (&ignored);
          continue;
        }
      if (!has_destination (c, parsed[0].destination))
        add_mount (c, &parsed[0]);
      skiff_mounts_free (parsed, np);
    }
  for (size_t i = 0; i < c->nmounts; i++)
    {
      add_defaults (&c->mounts[i]);
      if (c->mounts[i].type == SKIFF_MOUNT_VOLUME && ensure_volume (e, &c->mounts[i], made, err) < 0)
        return -1;
    }
  return 0;
}

void
skiff_volumes_undo (struct skiff_engine *e, char *const *made)
{
  struct skiff_store *s;
  skiff_error_t err = NULL;
  if (made == NULL || store_of (e, &s, &err) < 0)
    {
      skiff_error_release (&err);
      return;
    }
  for (size_t i = 0; made[i]; i++)
    if (skiff_store_volume_remove (s, made[i], &err) < 0)
      {
        log_warning ("removing volume %s made for the container being created: %s", made[i], err->msg);
        skiff_error_release (&err);
      }
}

static unsigned long
propagation_of (char *const *opts)
{
  static const struct
  {
    const char *word;
    unsigned long flags;
  } table[] = {
    { "shared", MS_SHARED },         { "rshared", MS_SHARED | MS_REC },
    { "slave", MS_SLAVE },           { "rslave", MS_SLAVE | MS_REC },
    { "private", MS_PRIVATE },       { "rprivate", MS_PRIVATE | MS_REC },
    { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
  };
  for (size_t i = 0; opts && opts[i]; i++)
    for (size_t k = 0; k < ARRAY_SIZE (table); k++)
      if (strcmp (opts[i], table[k].word) == 0)
        return table[k].flags;
  return 0;
}

static char *
tmpfs_data (char *const *opts)
{
  char *data = NULL;
  for (size_t i = 0; opts && opts[i]; i++)
    if (strchr (opts[i], '='))
      {
        char *next = data ? xasprintf ("%s,%s", data, opts[i]) : xstrdup (opts[i]);
        free (data);
        data = next;
      }
  return data;
}

/* Does c's image hold a non-empty directory at path (in any of its layers)? Whiteouts are not looked at: at
 * worst an empty copy-up is tried, which copies nothing. */
static bool
image_has_content (struct skiff_store *s, const struct skiff_container *c, const char *path)
{
  struct skiff_image *img = NULL;
  skiff_error_t ignored = NULL;
  if (c->image_id == NULL || skiff_store_image_lookup (s, c->image_id, &img, &ignored) < 0)
    {
      skiff_error_release (&ignored);
      return false;
    }
  bool found = false;
  for (size_t i = 0; !found && img->layers && img->layers[i]; i++)
    {
      cleanup_free char *layer = skiff_store_layer_path (s, img->layers[i]);
      if (layer == NULL)
        continue;
      cleanup_free char *dir = xasprintf ("%s%s", layer, path);
      DIR *d = opendir (dir);
      struct dirent *de;
      while (d && !found && (de = readdir (d)) != NULL)
        found = strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0;
      if (d)
        closedir (d);
    }
  skiff_image_free (img);
  return found;
}

int
skiff_volumes_launch (struct skiff_engine *e, const struct skiff_container *c, struct skiff_user_mount **out, size_t *n,
                      skiff_error_t *err)
{
  *out = NULL;
  *n = 0;
  if (c->nmounts == 0)
    return 0;
  struct skiff_user_mount *u = xmalloc0 ((c->nmounts + 1) * sizeof *u);
  for (size_t i = 0; i < c->nmounts; i++)
    {
      const struct skiff_mount *m = &c->mounts[i];
      struct skiff_user_mount *d = &u[(*n)++];
      d->destination = xstrdup (m->destination);
      d->readonly = strv_contains (m->options, "ro");
      d->flags = (strv_contains (m->options, "nosuid") ? MS_NOSUID : 0)
                 | (strv_contains (m->options, "nodev") ? MS_NODEV : 0)
                 | (strv_contains (m->options, "noexec") ? MS_NOEXEC : 0);
      d->chown_to_user = strv_contains (m->options, "U");
      if (m->type == SKIFF_MOUNT_TMPFS)
        {
          d->tmpfs = true;
          d->data = tmpfs_data (m->options);
          if (d->data == NULL)
            d->data = xstrdup (TMPFS_DEFAULT_DATA);
          continue;
        }
      d->recursive = !strv_contains (m->options, "bind");
      d->propagation = propagation_of (m->options);
      if (m->type == SKIFF_MOUNT_BIND)
        {
          d->source = xstrdup (m->source);
          continue;
        }
      struct skiff_store *s;
      struct skiff_volume *v = NULL;
      if (store_of (e, &s, err) < 0 || skiff_store_volume_get (s, m->source, &v, err) < 0)
        {
          skiff_user_mounts_free (u, *n);
          *out = NULL;
          *n = 0;
          return skiff_error_wrap (err, "volume of %s", m->destination);
        }
      d->source = xstrdup (v->mountpoint);
      /* podman's flags: the copy-up happens once, into the first container whose image has something there;
       * the chown (of an empty volume to the container's root, which it already is) on the first use */
      bool changed = v->needs_chown;
      v->needs_chown = false;
      if (v->needs_copy_up && !strv_contains (m->options, "nocopy") && image_has_content (s, c, m->destination))
        {
          d->copy_up = true;
          v->needs_copy_up = false;
          changed = true;
        }
      skiff_error_t ignored = NULL;
      if (changed && skiff_store_volume_update (s, v, &ignored) < 0)
        skiff_error_release (&ignored);
      skiff_volume_free (v);
    }
  *out = u;
  return 0;
}

void
skiff_user_mounts_free (struct skiff_user_mount *m, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (m[i].source);
      free (m[i].destination);
      free (m[i].data);
    }
  free (m);
}

void
skiff_volumes_remove_anonymous (struct skiff_engine *e, const struct skiff_container *c)
{
  struct skiff_store *s;
  skiff_error_t err = NULL;
  for (size_t i = 0; i < c->nmounts; i++)
    {
      const struct skiff_mount *m = &c->mounts[i];
      if (m->type != SKIFF_MOUNT_VOLUME || m->source == NULL)
        continue;
      struct skiff_volume *v = NULL;
      if (store_of (e, &s, &err) < 0 || skiff_store_volume_get (s, m->source, &v, &err) < 0)
        {
          skiff_error_release (&err);
          continue;
        }
      bool anonymous = v->anonymous;
      skiff_volume_free (v);
      if (!anonymous)
        continue;
      cleanup_strv char **users = skiff_engine_volume_users (e, m->source);
      if (users == NULL && skiff_store_volume_remove (s, m->source, &err) < 0)
        {
          log_warning ("removing anonymous volume %s: %s", m->source, err->msg);
          skiff_error_release (&err);
        }
    }
}

static bool
listed_option (const char *o)
{
  /* podman shows the mount's flags in Options, and rw and propagation in fields of their own */
  return strcmp (o, "ro") != 0 && strcmp (o, "rw") != 0 && propagation_of ((char *const[]){ (char *) o, NULL }) == 0
         && strcmp (o, "z") != 0 && strcmp (o, "Z") != 0 && strcmp (o, "copy") != 0 && strcmp (o, "nocopy") != 0;
}

json_object *
skiff_volumes_inspect_mounts (struct skiff_engine *e, const struct skiff_container *c, bool destinations_only)
{
  static const char *const propagation_names[]
      = { "shared", "rshared", "slave", "rslave", "private", "rprivate", "unbindable", "runbindable" };
  json_object *a = json_object_new_array ();
  for (size_t i = 0; i < c->nmounts; i++)
    {
      const struct skiff_mount *m = &c->mounts[i];
      if (m->type == SKIFF_MOUNT_TMPFS)
        continue;
      if (destinations_only)
        {
          json_object_array_add (a, json_object_new_string (m->destination));
          continue;
        }
      json_object *o = json_object_new_object ();
      bool volume = m->type == SKIFF_MOUNT_VOLUME;
      json_object_object_add (o, "Type", json_object_new_string (volume ? "volume" : "bind"));
      if (volume)
        json_object_object_add (o, "Name", json_object_new_string (m->source ? m->source : ""));
      cleanup_free char *src = volume && m->source ? skiff_storage_volume_data (e->root, m->source) : NULL;
      json_object_object_add (o, "Source", json_object_new_string (src ? src : m->source ? m->source : ""));
      json_object_object_add (o, "Destination", json_object_new_string (m->destination));
      json_object_object_add (o, "Driver", json_object_new_string (volume ? SKIFF_VOLUME_DRIVER : ""));
      json_object_object_add (o, "Mode", json_object_new_string (""));
      json_object *opts = json_object_new_array ();
      const char *propagation = "rprivate";
      for (size_t k = 0; m->options && m->options[k]; k++)
        {
          if (listed_option (m->options[k]))
            json_object_array_add (opts, json_object_new_string (m->options[k]));
          for (size_t p = 0; p < ARRAY_SIZE (propagation_names); p++)
            if (strcmp (m->options[k], propagation_names[p]) == 0)
              propagation = propagation_names[p];
        }
      json_object_object_add (o, "Options", opts);
      json_object_object_add (o, "RW", json_object_new_boolean (!strv_contains (m->options, "ro")));
      json_object_object_add (o, "Propagation", json_object_new_string (propagation));
      json_object_array_add (a, o);
    }
  return a;
}
