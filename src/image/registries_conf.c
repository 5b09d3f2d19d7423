/* registries.conf as podman reads it: the v2 and v1 schemas over the TOML tree of toml.c, drop-in
 * merging, and the [[registry]] prefix lookup with mirrors. */
#include "image/registries.h"

#include <ctype.h>
#include <dirent.h>
#include <pwd.h>
#include <sys/stat.h>

#include "image/toml.h"
#include "storage/storage.h"

#define SYSTEM_REGISTRIES_CONF "/etc/containers/registries.conf"
#define SYSTEM_REGISTRIES_CONF_D "/etc/containers/registries.conf.d"
#define USER_REGISTRIES_CONF ".config/containers/registries.conf"
#define USER_REGISTRIES_CONF_D ".config/containers/registries.conf.d"
#define DROP_IN_SUFFIX ".conf"

/* ======================================================================================================
 * The registries.conf schema
 * ====================================================================================================== */

struct schema
{
  const char *name;
  skiff_error_t *err;
};

static int __attribute__ ((format (printf, 3, 4))) schema_fail (struct schema *s, int line, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  cleanup_free char *msg = NULL;
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  if (line > 0)
    return skiff_error_set_status (s->err, EINVAL, "%s:%d: %s", s->name, line, msg);
  return skiff_error_set_status (s->err, EINVAL, "%s: %s", s->name, msg);
}

static int
get_string (struct schema *s, const struct tval *t, const char *key, char **out)
{
  struct tval *v = toml_tbl_get (t, key);
  if (v == NULL)
    return 0;
  if (v->kind != TV_STRING)
    return schema_fail (s, v->line, "\"%s\" must be a string", key);
  free (*out);
  *out = xstrdup (v->str);
  return 1;
}

static int
get_bool (struct schema *s, const struct tval *t, const char *key, bool *out)
{
  struct tval *v = toml_tbl_get (t, key);
  if (v == NULL)
    return 0;
  if (v->kind != TV_BOOL)
    return schema_fail (s, v->line, "\"%s\" must be true or false", key);
  *out = v->b;
  return 1;
}

/* 1 and a vector (possibly empty) when present, 0 when absent */
static int
get_strings (struct schema *s, const struct tval *t, const char *key, char ***out)
{
  struct tval *v = toml_tbl_get (t, key);
  if (v == NULL)
    return 0;
  if (v->kind != TV_ARRAY)
    return schema_fail (s, v->line, "\"%s\" must be an array of strings", key);
  char **r = xmalloc0 (sizeof *r);
  for (size_t i = 0; i < v->n_items; i++)
    {
      if (v->items[i]->kind != TV_STRING)
        {
          strv_free (r);
          return schema_fail (s, v->items[i]->line, "\"%s\" must be an array of strings", key);
        }
      strv_push (&r, v->items[i]->str);
    }
  strv_free (*out);
  *out = r;
  return 1;
}

/* Tables of an array of tables, or of a static array of inline tables; a single table is refused. */
static int
get_tables (struct schema *s, const struct tval *t, const char *key, struct tval ***items, size_t *n)
{
  struct tval *v = toml_tbl_get (t, key);
  *items = NULL;
  *n = 0;
  if (v == NULL)
    return 0;
  if (v->kind != TV_ARRAY)
    return schema_fail (s, v->line, "\"%s\" must be an array of tables ([[%s]])", key, key);
  for (size_t i = 0; i < v->n_items; i++)
    if (v->items[i]->kind != TV_TABLE)
      return schema_fail (s, v->items[i]->line, "\"%s\" must be an array of tables ([[%s]])", key, key);
  *items = v->items;
  *n = v->n_items;
  return 1;
}

/* podman's parseLocation: no trailing slash, no URI scheme */
static int
parse_location (struct schema *s, int line, char **loc)
{
  size_t n = strlen (*loc);
  while (n > 0 && (*loc)[n - 1] == '/')
    (*loc)[--n] = '\0';
  if (str_has_prefix (*loc, "http://") || str_has_prefix (*loc, "https://"))
    return schema_fail (s, line, "invalid location '%s': URI schemes are not supported", *loc);
  return 0;
}

static int
parse_pull_from_mirror (struct schema *s, int line, const char *v, const char *mirror, enum skiff_pull_from_mirror *out)
{
  if (strcmp (v, "all") == 0)
    *out = SKIFF_PULL_FROM_MIRROR_ALL;
  else if (strcmp (v, "digest-only") == 0)
    *out = SKIFF_PULL_FROM_MIRROR_DIGEST_ONLY;
  else if (strcmp (v, "tag-only") == 0)
    *out = SKIFF_PULL_FROM_MIRROR_TAG_ONLY;
  else
    return schema_fail (s, line, "unsupported pull-from-mirror value \"%s\" for mirror \"%s\"", v, mirror);
  return 0;
}

static void
registry_clear (struct skiff_registry *r)
{
  free (r->prefix);
  free (r->location);
  for (size_t i = 0; i < r->n_mirrors; i++)
    free (r->mirrors[i].location);
  free (r->mirrors);
  memset (r, 0, sizeof *r);
}

static void
registry_copy (struct skiff_registry *dst, const struct skiff_registry *src)
{
  *dst = *src;
  dst->prefix = xstrdup (src->prefix);
  dst->location = xstrdup (src->location);
  dst->mirrors = src->n_mirrors ? xmalloc (src->n_mirrors * sizeof *dst->mirrors) : NULL;
  for (size_t i = 0; i < src->n_mirrors; i++)
    {
      dst->mirrors[i] = src->mirrors[i];
      dst->mirrors[i].location = xstrdup (src->mirrors[i].location);
    }
}

static struct skiff_registry *
conf_add_registry (struct skiff_registries_conf *c)
{
  c->registries = xrealloc (c->registries, (c->n_registries + 1) * sizeof *c->registries);
  struct skiff_registry *r = &c->registries[c->n_registries++];
  memset (r, 0, sizeof *r);
  return r;
}

static int
parse_registry (struct schema *s, const struct tval *t, struct skiff_registries_conf *c)
{
  struct skiff_registry *r = conf_add_registry (c);
  cleanup_free char *pull_from_mirror = NULL;
  if (get_string (s, t, "prefix", &r->prefix) < 0 || get_string (s, t, "location", &r->location) < 0
      || get_bool (s, t, "insecure", &r->insecure) < 0 || get_bool (s, t, "blocked", &r->blocked) < 0
      || get_bool (s, t, "mirror-by-digest-only", &r->mirror_by_digest_only) < 0
      || get_string (s, t, "pull-from-mirror", &pull_from_mirror) < 0)
    return -EINVAL;
  if (r->location == NULL)
    r->location = xstrdup ("");
  if (parse_location (s, t->line, &r->location) < 0)
    return -EINVAL;
  if (r->prefix == NULL || r->prefix[0] == '\0')
    {
      if (r->location[0] == '\0')
        return schema_fail (s, t->line, "invalid condition: both location and prefix are unset");
      free (r->prefix);
      r->prefix = xstrdup (r->location);
    }
  else
    {
      if (parse_location (s, t->line, &r->prefix) < 0)
        return -EINVAL;
      if (!str_has_prefix (r->prefix, "*.") && r->location[0] == '\0')
        return schema_fail (s, t->line,
                            "invalid condition: location is unset and prefix is not in the format: *.example.com");
    }
  if (str_has_prefix (r->prefix, "*.") ? strpbrk (r->prefix, "/@:") != NULL || strchr (r->prefix + 1, '*') != NULL
                                       : strchr (r->prefix, '*') != NULL)
    return schema_fail (s, t->line,
                        "Wildcarded prefix should be in the format: *.example.com. Current prefix \"%s\" is "
                        "incorrectly formatted",
                        r->prefix);
  if (pull_from_mirror)
    return schema_fail (s, t->line, "pull-from-mirror must not be set for a non-mirror registry \"%s\"", r->prefix);

  struct tval **mirrors = NULL;
  size_t n_mirrors = 0;
  if (get_tables (s, t, "mirror", &mirrors, &n_mirrors) < 0)
    return -EINVAL;
  r->mirrors = n_mirrors ? xmalloc0 (n_mirrors * sizeof *r->mirrors) : NULL;
  for (size_t i = 0; i < n_mirrors; i++)
    {
      struct skiff_registry_mirror *m = &r->mirrors[r->n_mirrors++];
      cleanup_free char *pfm = NULL;
      if (get_string (s, mirrors[i], "location", &m->location) < 0
          || get_bool (s, mirrors[i], "insecure", &m->insecure) < 0
          || get_string (s, mirrors[i], "pull-from-mirror", &pfm) < 0)
        return -EINVAL;
      if (m->location == NULL)
        m->location = xstrdup ("");
      if (parse_location (s, mirrors[i]->line, &m->location) < 0)
        return -EINVAL;
      if (m->location[0] == '\0')
        return schema_fail (s, mirrors[i]->line, "invalid condition: mirror location is unset");
      if (pfm)
        {
          if (r->mirror_by_digest_only)
            return schema_fail (s, mirrors[i]->line,
                                "cannot set mirror usage mirror-by-digest-only for the registry (\"%s\") and "
                                "pull-from-mirror for per-mirror (\"%s\") at the same time",
                                r->prefix, m->location);
          if (parse_pull_from_mirror (s, mirrors[i]->line, pfm, m->location, &m->pull_from_mirror) < 0)
            return -EINVAL;
        }
    }
  return 0;
}

static bool
valid_search_registry (const char *r)
{
  if (r[0] == '\0')
    return false;
  for (const char *p = r; *p; p++)
    if (!(isalnum ((unsigned char) *p) || *p == '.' || *p == '-' || *p == ':' || *p == '[' || *p == ']' || *p == '_'))
      return false;
  return true;
}

/* The part of a name after its last '/' has a tag or the name has a digest. */
static bool
has_tag_or_digest (const char *name)
{
  const char *slash = strrchr (name, '/');
  return strchr (name, '@') != NULL || strchr (slash ? slash : name, ':') != NULL;
}

static void
conf_set_alias (struct skiff_registries_conf *c, const char *name, const char *value, const char *origin)
{
  for (size_t i = 0; i < c->n_aliases; i++)
    if (strcmp (c->alias_names[i], name) == 0)
      {
        free (c->alias_values[i]);
        free (c->alias_origins[i]);
        c->alias_values[i] = value ? xstrdup (value) : NULL;
        c->alias_origins[i] = xstrdup (origin);
        return;
      }
  size_t n = c->n_aliases + 1;
  c->alias_names = xrealloc (c->alias_names, n * sizeof *c->alias_names);
  c->alias_values = xrealloc (c->alias_values, n * sizeof *c->alias_values);
  c->alias_origins = xrealloc (c->alias_origins, n * sizeof *c->alias_origins);
  c->alias_names[c->n_aliases] = xstrdup (name);
  c->alias_values[c->n_aliases] = value ? xstrdup (value) : NULL;
  c->alias_origins[c->n_aliases] = xstrdup (origin);
  c->n_aliases = n;
}

static int
parse_aliases (struct schema *s, const struct tval *t, struct skiff_registries_conf *c)
{
  for (size_t i = 0; i < t->n_keys; i++)
    {
      const char *name = t->keys[i];
      const struct tval *v = t->vals[i];
      if (v->kind != TV_STRING)
        return schema_fail (s, v->line, "alias \"%s\" must be a string", name);
      skiff_error_t e = NULL;
      cleanup_free char *norm = skiff_reference_normalize (name, &e);
      if (norm == NULL)
        {
          int r = schema_fail (s, v->line, "invalid short name \"%s\": %s", name, e->msg);
          skiff_error_release (&e);
          return r;
        }
      if (!skiff_reference_is_short (name))
        return schema_fail (s, v->line, "invalid short name \"%s\": must not contain a registry", name);
      if (has_tag_or_digest (name))
        return schema_fail (s, v->line, "invalid short name \"%s\": must not contain a tag or digest", name);
      if (v->str[0] != '\0')
        {
          cleanup_free char *vnorm = skiff_reference_normalize (v->str, &e);
          if (vnorm == NULL)
            {
              int r = schema_fail (s, v->line, "invalid alias value \"%s\": %s", v->str, e->msg);
              skiff_error_release (&e);
              return r;
            }
          if (skiff_reference_is_short (v->str))
            return schema_fail (s, v->line, "invalid alias value \"%s\": must be fully qualified", v->str);
          if (has_tag_or_digest (v->str))
            return schema_fail (s, v->line, "invalid alias value \"%s\": must not contain a tag or digest", v->str);
        }
      /* "" resets an alias of an earlier file */
      conf_set_alias (c, name, v->str[0] ? v->str : NULL, s->name);
    }
  return 0;
}

static int
cmp_registry (const void *a, const void *b)
{
  return strcmp (((const struct skiff_registry *) a)->prefix, ((const struct skiff_registry *) b)->prefix);
}

/* podman's postProcessRegistries: conflicts, first prefix wins, sorted by prefix */
static int
postprocess_registries (struct schema *s, struct skiff_registries_conf *c)
{
  for (size_t i = 0; i < c->n_registries; i++)
    for (size_t j = 0; j < i; j++)
      {
        struct skiff_registry *a = &c->registries[i], *b = &c->registries[j];
        const char *ka = a->location[0] ? a->location : a->prefix;
        const char *kb = b->location[0] ? b->location : b->prefix;
        if (strcmp (ka, kb) != 0)
          continue;
        if (a->insecure != b->insecure)
          return schema_fail (s, 0, "registry '%s' is defined multiple times with conflicting 'insecure' setting",
                              a->location);
        if (a->blocked != b->blocked)
          return schema_fail (s, 0, "registry '%s' is defined multiple times with conflicting 'blocked' setting",
                              a->location);
      }
  size_t out = 0;
  for (size_t i = 0; i < c->n_registries; i++)
    {
      bool dup = false;
      for (size_t j = 0; j < out && !dup; j++)
        dup = strcmp (c->registries[j].prefix, c->registries[i].prefix) == 0;
      if (dup)
        registry_clear (&c->registries[i]);
      else
        c->registries[out++] = c->registries[i];
    }
  c->n_registries = out;
  if (out > 1)
    qsort (c->registries, out, sizeof *c->registries, cmp_registry);
  return 0;
}

/* v1: [registries.search] registries = [...], [registries.insecure] ..., [registries.block] ... */
static int
parse_v1 (struct schema *s, const struct tval *v1, struct skiff_registries_conf *c)
{
  if (v1->kind != TV_TABLE)
    return schema_fail (s, v1->line, "\"registries\" must be a table");
  static const char *const sections[] = { "search", "insecure", "block" };
  for (size_t k = 0; k < ARRAY_SIZE (sections); k++)
    {
      struct tval *sec = toml_tbl_get (v1, sections[k]);
      if (sec == NULL)
        continue;
      if (sec->kind != TV_TABLE)
        return schema_fail (s, sec->line, "[registries.%s] must be a table", sections[k]);
      cleanup_strv char **regs = NULL;
      if (get_strings (s, sec, "registries", &regs) < 0)
        return -EINVAL;
      for (char **r = regs; r && *r; r++)
        {
          if (k == 0)
            {
              strv_push (&c->search_registries, *r);
              continue;
            }
          struct skiff_registry *reg = NULL;
          for (size_t i = 0; i < c->n_registries && reg == NULL; i++)
            if (strcmp (c->registries[i].location, *r) == 0)
              reg = &c->registries[i];
          if (reg == NULL)
            {
              reg = conf_add_registry (c);
              reg->location = xstrdup (*r);
              reg->prefix = xstrdup (*r);
            }
          if (k == 1)
            reg->insecure = true;
          else
            reg->blocked = true;
        }
      if (k == 0 && regs && c->search_registries == NULL)
        c->search_registries = xmalloc0 (sizeof (char *));
    }
  for (size_t i = 0; i < c->n_registries; i++)
    if (parse_location (s, v1->line, &c->registries[i].location) < 0
        || parse_location (s, v1->line, &c->registries[i].prefix) < 0)
      return -EINVAL;
  return 0;
}

static struct skiff_registries_conf *
conf_new (void)
{
  return xmalloc0 (sizeof (struct skiff_registries_conf));
}

void
skiff_registries_conf_free (struct skiff_registries_conf *c)
{
  if (c == NULL)
    return;
  strv_free (c->search_registries);
  free (c->search_origin);
  for (size_t i = 0; i < c->n_registries; i++)
    registry_clear (&c->registries[i]);
  free (c->registries);
  for (size_t i = 0; i < c->n_aliases; i++)
    {
      free (c->alias_names[i]);
      free (c->alias_values[i]);
      free (c->alias_origins[i]);
    }
  free (c->alias_names);
  free (c->alias_values);
  free (c->alias_origins);
  strv_free (c->credential_helpers);
  free (c->sources);
  free (c);
}

int
skiff_registries_conf_parse (const char *data, size_t len, const char *name, bool force_v2,
                             struct skiff_registries_conf **out, skiff_error_t *err)
{
  struct tval *root = NULL;
  if (toml_parse (data, len, name, &root, err) < 0)
    return -EINVAL;
  struct schema s = { .name = name, .err = err };
  struct skiff_registries_conf *c = conf_new ();
  int r = -EINVAL;
  cleanup_free char *mode = NULL;

  struct tval *v1 = toml_tbl_get (root, "registries");
  bool has_v2 = toml_tbl_get (root, "unqualified-search-registries") || toml_tbl_get (root, "registry")
                || toml_tbl_get (root, "short-name-mode") || toml_tbl_get (root, "aliases")
                || toml_tbl_get (root, "credential-helpers");
  if (v1)
    {
      if (force_v2)
        {
          schema_fail (&s, v1->line, "registry must be in v2 format but is in v1");
          goto out;
        }
      if (has_v2)
        {
          schema_fail (&s, v1->line, "mixing sysregistry v1/v2 is not supported");
          goto out;
        }
      if (parse_v1 (&s, v1, c) < 0)
        goto out;
    }

  int have = get_strings (&s, root, "unqualified-search-registries", &c->search_registries);
  if (have < 0)
    goto out;
  if (c->search_registries)
    {
      for (char **p = c->search_registries; *p; p++)
        {
          size_t n = strlen (*p);
          while (n > 0 && (*p)[n - 1] == '/')
            (*p)[--n] = '\0';
          if (!valid_search_registry (*p))
            {
              struct tval *v = toml_tbl_get (root, "unqualified-search-registries");
              schema_fail (&s, v ? v->line : 0, "Invalid unqualified-search-registries entry \"%s\"", *p);
              goto out;
            }
        }
    }
  /* podman names the file even when it does not set the key */
  c->search_origin = xstrdup (name);
  if (get_string (&s, root, "short-name-mode", &mode) < 0)
    goto out;
  if (mode)
    {
      if (strcmp (mode, "enforcing") == 0)
        c->short_name_mode = SKIFF_SHORT_NAME_ENFORCING;
      else if (strcmp (mode, "permissive") == 0)
        c->short_name_mode = SKIFF_SHORT_NAME_PERMISSIVE;
      else if (strcmp (mode, "disabled") == 0)
        c->short_name_mode = SKIFF_SHORT_NAME_DISABLED;
      else
        {
          schema_fail (&s, toml_tbl_get (root, "short-name-mode")->line, "invalid short-name mode: \"%s\"", mode);
          goto out;
        }
    }
  if (get_strings (&s, root, "credential-helpers", &c->credential_helpers) < 0)
    goto out;

  struct tval **regs = NULL;
  size_t n_regs = 0;
  if (get_tables (&s, root, "registry", &regs, &n_regs) < 0)
    goto out;
  for (size_t i = 0; i < n_regs; i++)
    if (parse_registry (&s, regs[i], c) < 0)
      goto out;
  if (postprocess_registries (&s, c) < 0)
    goto out;

  struct tval *aliases = toml_tbl_get (root, "aliases");
  if (aliases)
    {
      if (aliases->kind != TV_TABLE)
        {
          schema_fail (&s, aliases->line, "\"aliases\" must be a table");
          goto out;
        }
      if (parse_aliases (&s, aliases, c) < 0)
        goto out;
    }
  c->sources = xstrdup (name);
  *out = steal_pointer (&c);
  r = 0;
out:
  skiff_registries_conf_free (c);
  toml_tval_free (root);
  return r;
}

int
skiff_registries_conf_parse_file (const char *path, bool force_v2, struct skiff_registries_conf **out,
                                  skiff_error_t *err)
{
  cleanup_free char *data = NULL;
  size_t len = 0;
  if (read_file (path, &data, &len, err) < 0)
    return -EIO;
  return skiff_registries_conf_parse (data, len, path, force_v2, out, err);
}

void
skiff_registries_conf_merge (struct skiff_registries_conf *base, const struct skiff_registries_conf *d)
{
  for (size_t i = 0; i < d->n_registries; i++)
    {
      struct skiff_registry *dst = NULL;
      for (size_t j = 0; j < base->n_registries && dst == NULL; j++)
        if (strcmp (base->registries[j].prefix, d->registries[i].prefix) == 0)
          dst = &base->registries[j];
      if (dst)
        registry_clear (dst);
      else
        dst = conf_add_registry (base);
      registry_copy (dst, &d->registries[i]);
    }
  if (base->n_registries > 1)
    qsort (base->registries, base->n_registries, sizeof *base->registries, cmp_registry);
  if (d->search_registries)
    {
      strv_free (base->search_registries);
      base->search_registries = strv_dup (d->search_registries);
      free (base->search_origin);
      base->search_origin = d->search_origin ? xstrdup (d->search_origin) : NULL;
    }
  if (d->credential_helpers)
    {
      strv_free (base->credential_helpers);
      base->credential_helpers = strv_dup (d->credential_helpers);
    }
  if (d->short_name_mode != SKIFF_SHORT_NAME_UNSET)
    base->short_name_mode = d->short_name_mode;
  for (size_t i = 0; i < d->n_aliases; i++)
    conf_set_alias (base, d->alias_names[i], d->alias_values[i], d->alias_origins[i]);
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* *.conf files of dir that are not directories, sorted by name; a missing dir is empty. */
static int
list_drop_ins (const char *dir, char ***out, skiff_error_t *err)
{
  cleanup_strv char **names = NULL;
  DIR *d = opendir (dir);
  if (d == NULL)
    {
      if (errno == ENOENT || errno == ENOTDIR)
        return 0;
      return skiff_error_set (err, errno, "reading registries.conf.d `%s`", dir);
    }
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    {
      if (!str_has_suffix (de->d_name, DROP_IN_SUFFIX))
        continue;
      struct stat st;
      if (fstatat (dirfd (d), de->d_name, &st, 0) == 0 && S_ISDIR (st.st_mode))
        continue;
      strv_push_take (&names, path_join (dir, de->d_name));
    }
  closedir (d);
  if (names)
    qsort (names, strv_len (names), sizeof *names, cmp_str);
  for (char **p = names; p && *p; p++)
    strv_push (out, *p);
  return 0;
}

int
skiff_registries_conf_load_paths (const struct skiff_registries_conf_paths *paths, struct skiff_registries_conf **out,
                                  skiff_error_t *err)
{
  struct skiff_registries_conf *c = NULL;
  struct buf sources = { 0 };
  toml_buf_add (&sources, "", 0);
  if (paths->conf)
    {
      if (skiff_registries_conf_parse_file (paths->conf, false, &c, err) < 0)
        {
          if (err == NULL || *err == NULL || (*err)->status != ENOENT || paths->conf_required)
            {
              free (sources.s);
              return skiff_error_wrap (err, "loading registries configuration `%s`", paths->conf);
            }
          skiff_error_release (err);
        }
      toml_buf_add (&sources, paths->conf, strlen (paths->conf));
    }
  if (c == NULL)
    c = conf_new ();
  cleanup_strv char **drop_ins = NULL;
  const char *dirs[] = { paths->system_dir, paths->user_dir };
  for (size_t i = 0; i < ARRAY_SIZE (dirs); i++)
    {
      if (dirs[i] == NULL)
        continue;
      if (list_drop_ins (dirs[i], &drop_ins, err) < 0)
        goto fail;
      if (sources.n)
        toml_buf_add (&sources, ", ", 2);
      toml_buf_add (&sources, dirs[i], strlen (dirs[i]));
    }
  for (char **p = drop_ins; p && *p; p++)
    {
      struct skiff_registries_conf *d = NULL;
      if (skiff_registries_conf_parse_file (*p, true, &d, err) < 0)
        {
          if (err && *err && (*err)->status == ENOENT) /* removed since the listing */
            {
              skiff_error_release (err);
              continue;
            }
          skiff_error_wrap (err, "loading drop-in registries configuration `%s`", *p);
          goto fail;
        }
      skiff_registries_conf_merge (c, d);
      skiff_registries_conf_free (d);
    }
  if (c->short_name_mode == SKIFF_SHORT_NAME_UNSET)
    c->short_name_mode = SKIFF_SHORT_NAME_PERMISSIVE;
  free (c->sources);
  c->sources = sources.s;
  *out = c;
  return 0;
fail:
  free (sources.s);
  skiff_registries_conf_free (c);
  return -EINVAL;
}

static const char *
home_dir (void)
{
  const char *h = getenv ("HOME");
  if (h && *h)
    return h;
  struct passwd *pw = getpwuid (getuid ());
  return pw ? pw->pw_dir : "/";
}

int
skiff_registries_conf_default_paths (struct skiff_registries_conf_paths *paths, char **storage)
{
  /* storage holds the strings the paths point to: three NUL-separated slots */
  const char *home = home_dir ();
  cleanup_free char *user_conf = path_join (home, USER_REGISTRIES_CONF);
  cleanup_free char *user_dir = path_join (home, USER_REGISTRIES_CONF_D);
  const char *env = getenv ("CONTAINERS_REGISTRIES_CONF");
  memset (paths, 0, sizeof *paths);
  *storage = xasprintf ("%s%c%s", user_conf, '\0', user_dir);
  const char *s_user_conf = *storage;
  const char *s_user_dir = *storage + strlen (user_conf) + 1;
  if (env && *env)
    {
      paths->conf = env;
      paths->conf_required = true;
    }
  else if (path_exists (user_conf))
    {
      /* a per-user registries.conf replaces the system's, and its drop-ins */
      paths->conf = s_user_conf;
      paths->user_dir = s_user_dir;
      return 0;
    }
  else
    paths->conf = SYSTEM_REGISTRIES_CONF;
  paths->system_dir = SYSTEM_REGISTRIES_CONF_D;
  paths->user_dir = s_user_dir;
  return 0;
}

int
skiff_registries_conf_load (struct skiff_registries_conf **out, skiff_error_t *err)
{
  struct skiff_registries_conf_paths paths;
  cleanup_free char *storage = NULL;
  skiff_registries_conf_default_paths (&paths, &storage);
  return skiff_registries_conf_load_paths (&paths, out, err);
}

/* ======================================================================================================
 * Lookups
 * ====================================================================================================== */

/* podman's refMatchingPrefix: the length of ref's part that prefix matches, or -1 */
static ssize_t
ref_matching_prefix (const char *ref, const char *prefix)
{
  size_t rl = strlen (ref), pl = strlen (prefix);
  if (str_has_prefix (prefix, "*."))
    {
      const char *suffix = prefix + 1; /* ".example.com" */
      const char *hit = strstr (ref, suffix);
      if (hit == NULL || memchr (ref, '/', (size_t) (hit - ref)) != NULL)
        return -1;
      size_t idx = (size_t) (hit - ref) + strlen (suffix);
      if (idx == rl || ref[idx] == ':' || ref[idx] == '/' || ref[idx] == '@')
        return (ssize_t) idx;
      return -1;
    }
  if (rl < pl || strncmp (ref, prefix, pl) != 0)
    return -1;
  if (rl == pl || ref[pl] == ':' || ref[pl] == '/' || ref[pl] == '@')
    return (ssize_t) pl;
  return -1;
}

const struct skiff_registry *
skiff_registries_conf_find (const struct skiff_registries_conf *c, const char *ref)
{
  const struct skiff_registry *best = NULL;
  size_t best_len = 0;
  for (size_t i = 0; c && i < c->n_registries; i++)
    if (ref_matching_prefix (ref, c->registries[i].prefix) >= 0 && strlen (c->registries[i].prefix) > best_len)
      {
        best = &c->registries[i];
        best_len = strlen (best->prefix);
      }
  return best;
}

bool
skiff_registries_conf_insecure (const struct skiff_registries_conf *c, const char *ref)
{
  const struct skiff_registry *r = skiff_registries_conf_find (c, ref);
  return r && r->insecure;
}

bool
skiff_registries_conf_blocked (const struct skiff_registries_conf *c, const char *ref)
{
  const struct skiff_registry *r = skiff_registries_conf_find (c, ref);
  return r && r->blocked;
}

const char *
skiff_registries_conf_alias (const struct skiff_registries_conf *c, const char *name)
{
  for (size_t i = 0; c && i < c->n_aliases; i++)
    if (strcmp (c->alias_names[i], name) == 0)
      return c->alias_values[i];
  return NULL;
}

void
skiff_pull_sources_free (struct skiff_pull_source *s, size_t n)
{
  for (size_t i = 0; s && i < n; i++)
    free (s[i].reference);
  free (s);
}

static int
rewrite_reference (const char *location, const char *ref, const char *prefix, char **out, skiff_error_t *err)
{
  ssize_t len = ref_matching_prefix (ref, prefix);
  if (len < 0)
    return skiff_error_set (err, 0, "internal error: `%s` does not match prefix `%s`", ref, prefix);
  cleanup_free char *joined = location[0] ? xasprintf ("%s%s", location, ref + len) : xstrdup (ref);
  *out = skiff_reference_normalize (joined, err);
  if (*out == NULL)
    return skiff_error_wrap (err, "rewriting `%s` with prefix `%s` to `%s`", ref, prefix, location);
  return 0;
}

int
skiff_registries_conf_pull_sources (const struct skiff_registries_conf *c, const char *ref,
                                    struct skiff_pull_source **out, size_t *n, skiff_error_t *err)
{
  *out = NULL;
  *n = 0;
  if (skiff_reference_is_short (ref))
    return skiff_error_set_status (err, EINVAL, "reference \"%s\" is not fully qualified", ref);
  cleanup_free char *norm = skiff_reference_normalize (ref, err);
  if (norm == NULL)
    return -EINVAL;
  const struct skiff_registry *r = skiff_registries_conf_find (c, norm);
  if (r == NULL)
    {
      *out = xmalloc0 (sizeof **out);
      (*out)[0].reference = steal_pointer (&norm);
      *n = 1;
      return 0;
    }
  if (r->blocked)
    {
      return skiff_error_set_status (err, EACCES, "registry %s is blocked in registries.conf%s%s%s", norm,
                                     c->sources && *c->sources ? " (" : "", c->sources ? c->sources : "",
                                     c->sources && *c->sources ? ")" : "");
    }
  bool digested = strchr (norm, '@') != NULL;
  struct skiff_pull_source *s = xmalloc0 ((r->n_mirrors + 1) * sizeof *s);
  size_t k = 0;
  for (size_t i = 0; i < r->n_mirrors; i++)
    {
      const struct skiff_registry_mirror *m = &r->mirrors[i];
      bool use;
      if (r->mirror_by_digest_only)
        use = digested;
      else
        switch (m->pull_from_mirror)
          {
          case SKIFF_PULL_FROM_MIRROR_DIGEST_ONLY:
            use = digested;
            break;
          case SKIFF_PULL_FROM_MIRROR_TAG_ONLY:
            use = !digested;
            break;
          case SKIFF_PULL_FROM_MIRROR_DEFAULT:
          case SKIFF_PULL_FROM_MIRROR_ALL:
          default:
            use = true;
            break;
          }
      if (!use)
        continue;
      if (rewrite_reference (m->location, norm, r->prefix, &s[k].reference, err) < 0)
        goto fail;
      s[k].insecure = m->insecure;
      s[k].mirror = true;
      k++;
    }
  if (rewrite_reference (r->location, norm, r->prefix, &s[k].reference, err) < 0)
    goto fail;
  s[k].insecure = r->insecure;
  k++;
  *out = s;
  *n = k;
  return 0;
fail:
  skiff_pull_sources_free (s, k);
  return -EINVAL;
}
