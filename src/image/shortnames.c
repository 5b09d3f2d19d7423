/* Short names ("busybox", "library/busybox:1.36") resolved as podman does: an alias wins, else the
 * unqualified-search registries, with the short-name mode deciding what happens to several candidates. */
#include "image/registries.h"

#include "storage/storage.h"

void
skiff_resolved_name_free (struct skiff_resolved_name *r)
{
  if (r == NULL)
    return;
  strv_free (r->candidates);
  free (r->description);
  free (r);
}

/* name without its tag and digest ("library/busybox"), and what followed (":1.36", "@sha256:..."). */
static void
split_name (const char *name, char **repo, char **suffix)
{
  const char *at = strchr (name, '@');
  size_t end = at ? (size_t) (at - name) : strlen (name);
  const char *slash = memrchr (name, '/', end);
  const char *colon = memchr (slash ? slash : name, ':', end - (size_t) ((slash ? slash : name) - name));
  if (colon)
    end = (size_t) (colon - name);
  *repo = xstrndup (name, end);
  *suffix = xstrdup (name + end);
}

/* reg/name normalized (docker.io gets library/, a missing tag becomes :latest) */
static char *
qualify (const char *reg, const char *name, skiff_error_t *err)
{
  cleanup_free char *joined = xasprintf ("%s/%s", reg, name);
  char *r = skiff_reference_normalize (joined, err);
  if (r == NULL)
    skiff_error_wrap (err, "creating reference with unqualified-search registry \"%s\"", reg);
  return r;
}

static int
check_name (const char *name, char **norm, skiff_error_t *err)
{
  *norm = skiff_reference_normalize (name, err);
  return *norm ? 0 : -EINVAL;
}

static enum skiff_short_name_mode
effective_mode (const struct skiff_registries_conf *c)
{
  return c == NULL || c->short_name_mode == SKIFF_SHORT_NAME_UNSET ? SKIFF_SHORT_NAME_PERMISSIVE : c->short_name_mode;
}

static const char *
alias_origin (const struct skiff_registries_conf *c, const char *name)
{
  for (size_t i = 0; c && i < c->n_aliases; i++)
    if (strcmp (c->alias_names[i], name) == 0)
      return c->alias_origins[i];
  return "";
}

int
skiff_short_name_resolve (const struct skiff_registries_conf *c, const char *name, bool can_prompt,
                          struct skiff_resolved_name **out, skiff_error_t *err)
{
  cleanup_free char *norm = NULL;
  if (check_name (name, &norm, err) < 0)
    return -EINVAL;
  struct skiff_resolved_name *r = xmalloc0 (sizeof *r);
  if (!skiff_reference_is_short (name))
    {
      strv_push_take (&r->candidates, steal_pointer (&norm));
      r->how = SKIFF_RESOLVED_QUALIFIED;
      *out = r;
      return 0;
    }
  cleanup_free char *repo = NULL, *suffix = NULL;
  split_name (name, &repo, &suffix);
  const char *alias = skiff_registries_conf_alias (c, repo);
  if (alias)
    {
      cleanup_free char *full = xasprintf ("%s%s", alias, suffix);
      char *q = skiff_reference_normalize (full, err);
      if (q == NULL)
        goto fail;
      strv_push_take (&r->candidates, q);
      r->how = SKIFF_RESOLVED_ALIAS;
      r->description = xasprintf ("Resolved \"%s\" as an alias (%s)", repo, alias_origin (c, repo));
      *out = r;
      return 0;
    }
  char **search = c ? c->search_registries : NULL;
  if (search == NULL || search[0] == NULL)
    {
      if (c && c->search_origin)
        skiff_error_set_status (
            err, ENOENT,
            "short-name \"%s\" did not resolve to an alias and no unqualified-search registries are "
            "defined in \"%s\"",
            name, c->search_origin);
      else
        skiff_error_set_status (
            err, ENOENT, "short-name \"%s\" did not resolve to an alias and no containers-registries.conf(5) was found",
            name);
      goto fail;
    }
  for (char **s = search; *s; s++)
    {
      char *q = qualify (*s, name, err);
      if (q == NULL)
        goto fail;
      strv_push_take (&r->candidates, q);
    }
  r->how = SKIFF_RESOLVED_SEARCH;
  r->description = xasprintf ("Resolving \"%s\" using unqualified-search registries (%s)", repo,
                              c->search_origin ? c->search_origin : "registries.conf");
  enum skiff_short_name_mode mode = effective_mode (c);
  if (mode != SKIFF_SHORT_NAME_DISABLED && strv_len (r->candidates) > 1)
    {
      if (can_prompt)
        r->needs_choice = true;
      else if (mode == SKIFF_SHORT_NAME_ENFORCING)
        {
          skiff_error_set_status (err, EINVAL, "short-name resolution enforced but cannot prompt without a TTY");
          goto fail;
        }
    }
  *out = r;
  return 0;
fail:
  skiff_resolved_name_free (r);
  return -EINVAL;
}

int
skiff_short_name_resolve_local (const struct skiff_registries_conf *c, const char *name, char ***out,
                                skiff_error_t *err)
{
  cleanup_free char *norm = NULL;
  if (check_name (name, &norm, err) < 0)
    return -EINVAL;
  cleanup_strv char **v = NULL;
  if (!skiff_reference_is_short (name))
    {
      strv_push_take (&v, steal_pointer (&norm));
      *out = steal_pointer (&v);
      return 0;
    }
  cleanup_free char *repo = NULL, *suffix = NULL;
  split_name (name, &repo, &suffix);
  const char *alias = skiff_registries_conf_alias (c, repo);
  if (alias)
    {
      cleanup_free char *full = xasprintf ("%s%s", alias, suffix);
      char *q = skiff_reference_normalize (full, err);
      if (q == NULL)
        return -EINVAL;
      strv_push_take (&v, q);
    }
  /* skiff_reference_normalize of a short name is the localhost/ candidate */
  strv_push_take (&v, steal_pointer (&norm));
  for (char **s = c ? c->search_registries : NULL; s && *s; s++)
    {
      char *q = qualify (*s, name, err);
      if (q == NULL)
        return -EINVAL;
      if (!strv_contains (v, q))
        strv_push_take (&v, q);
      else
        free (q);
    }
  *out = steal_pointer (&v);
  return 0;
}
