/* Name -> candidates -> sources -> a pulled image, and the pull policy on top: the one path for pull, run
 * --pull and create --pull (see resolve.h). */
#include "image/resolve.h"

#include "image/registries.h"

#define DOCKER_TRANSPORT "docker://"

int
skiff_pull_policy_parse (const char *s, enum skiff_pull_policy *out, skiff_error_t *err)
{
  static const struct
  {
    const char *name;
    enum skiff_pull_policy policy;
  } policies[] = {
    { "missing", SKIFF_PULL_MISSING },
    { "always", SKIFF_PULL_ALWAYS },
    { "never", SKIFF_PULL_NEVER },
    { "newer", SKIFF_PULL_NEWER },
  };
  if (s == NULL)
    {
      *out = SKIFF_PULL_MISSING;
      return 0;
    }
  for (size_t i = 0; i < ARRAY_SIZE (policies); i++)
    if (strcmp (s, policies[i].name) == 0)
      {
        *out = policies[i].policy;
        return 0;
      }
  return skiff_error_set_status (err, EINVAL, "invalid pull policy \"%s\": use missing, always, never or newer", s);
}

void
skiff_pull_request_prepare (struct skiff_pull_request *r)
{
  strv_free (r->auth_paths);
  r->auth_paths = r->reg.creds ? NULL : skiff_auth_file_paths (r->reg.authfile);
}

void
skiff_pull_request_release (struct skiff_pull_request *r)
{
  strv_free (r->auth_paths);
  r->auth_paths = NULL;
}

static void
note (const struct skiff_pull_request *r, enum skiff_pull_note what, const char *text)
{
  if (r->note)
    r->note (r->note_data, what, text);
}

/* The registry options for one source: the request's, with the credentials for ref from the first auth file
 * that has some (read now: the paths were found before the namespace was entered). */
static int
source_options (const struct skiff_pull_request *r, const char *ref, const struct skiff_pull_source *src,
                struct skiff_registry_options *o, char **user, char **pass, skiff_error_t *err)
{
  *o = r->reg;
  *user = *pass = NULL;
  if (src && src->insecure && !r->reg.tls_verify_set)
    {
      o->tls_verify_set = true;
      o->tls_verify = false;
    }
  if (r->reg.creds || r->reg.creds_resolved || r->auth_paths == NULL)
    return 0;
  o->creds_resolved = true;
  for (size_t i = 0; r->auth_paths[i]; i++)
    {
      int found = skiff_auth_get (r->auth_paths[i], ref, user, pass, err);
      if (found < 0)
        return -1;
      if (found == 1)
        break;
    }
  o->username = *user;
  o->password = *pass;
  return 0;
}

static void
forget_password (char **user, char **pass)
{
  if (*pass)
    explicit_bzero (*pass, strlen (*pass));
  free (*pass);
  free (*user);
  *pass = *user = NULL;
}

int
skiff_pull_request_registry_options (const struct skiff_pull_request *r, const char *registry,
                                     struct skiff_registry_options *o, char **user, char **pass, skiff_error_t *err)
{
  struct skiff_pull_source src = { .reference = (char *) registry };
  struct skiff_registries_conf *conf = NULL;
  skiff_error_t cerr = NULL;
  if (skiff_registries_conf_load (&conf, &cerr) == 0)
    {
      const struct skiff_registry *reg = skiff_registries_conf_find (conf, registry);
      src.insecure = reg && reg->insecure;
    }
  skiff_registries_conf_free (conf);
  skiff_error_release (&cerr);
  return source_options (r, registry, &src, o, user, pass, err);
}

void
skiff_pull_request_forget_credentials (char **user, char **pass)
{
  forget_password (user, pass);
}

/* The names to pull ref as: itself when qualified, else its short-name candidates (*description then says
 * how they were found). A broken registries.conf only matters for a short name. */
static int
candidates_for (const char *ref, struct skiff_registries_conf **conf, char ***out, char **description, bool *unresolved,
                skiff_error_t *err)
{
  *out = NULL;
  *description = NULL;
  bool is_short = skiff_reference_is_short (ref);
  if (skiff_registries_conf_load (conf, err) < 0)
    {
      if (is_short)
        return -1;
      log_warning ("%s", (*err)->msg);
      skiff_error_release (err);
      *conf = NULL;
    }
  if (!is_short)
    {
      strv_push (out, ref);
      return 0;
    }
  struct skiff_resolved_name *res = NULL;
  if (skiff_short_name_resolve (*conf, ref, false, &res, err) < 0)
    {
      *unresolved = true;
      return -1;
    }
  *out = steal_pointer (&res->candidates);
  *description = steal_pointer (&res->description);
  skiff_resolved_name_free (res);
  return 0;
}

/* Where one pull stands: newer's local digest, whether the resolution was told yet, what came of it. */
struct pull_state
{
  const char *local_digest; /* newer: the local image's manifest digest; NULL: pull unconditionally */
  const char *description;
  bool described;
  bool up_to_date; /* newer: a source has the local image's manifest */
  bool unresolved; /* a short name without candidates */
};

/* Pull candidate from one source (a mirror or its registry). 0 with *id set, or 0 with state->up_to_date
 * when newer found nothing newer. */
static int
pull_source (struct skiff_store *s, const struct skiff_pull_request *r, const char *candidate,
             const struct skiff_pull_source *src, bool *tried, struct pull_state *st, char **id, skiff_error_t *err)
{
  const char *from = src ? src->reference : candidate;
  struct skiff_pull_options o = {
    .reference = from, .name = candidate, .os = r->os, .arch = r->arch, .variant = r->variant, .progress = r->progress
  };
  char *user = NULL, *pass = NULL;
  int ret = source_options (r, from, src, &o.reg, &user, &pass, err);
  if (ret == 0 && st->local_digest)
    {
      cleanup_free char *remote = NULL;
      ret = skiff_image_remote_digest (&o, &remote, err);
      st->up_to_date = ret == 0 && strcmp (remote, st->local_digest) == 0;
    }
  if (ret == 0 && !st->up_to_date)
    {
      if (!st->described && st->description)
        note (r, SKIFF_PULL_NOTE_RESOLVED, st->description);
      st->described = true;
      if (!*tried)
        note (r, SKIFF_PULL_NOTE_TRYING, candidate);
      *tried = true;
      ret = skiff_image_pull (s, &o, id, err);
    }
  forget_password (&user, &pass);
  return ret;
}

static int
pull_candidates (struct skiff_store *s, const struct skiff_pull_request *r, struct pull_state *st, char **id_out,
                 skiff_error_t *err)
{
  const char *ref = str_has_prefix (r->name, DOCKER_TRANSPORT) ? r->name + strlen (DOCKER_TRANSPORT) : r->name;
  struct skiff_registries_conf *conf = NULL;
  cleanup_strv char **candidates = NULL;
  cleanup_free char *description = NULL;
  if (candidates_for (ref, &conf, &candidates, &description, &st->unresolved, err) < 0)
    {
      skiff_registries_conf_free (conf);
      return -1;
    }
  st->description = description;
  *id_out = NULL;
  int ret = -1;
  for (size_t c = 0; ret < 0 && candidates[c]; c++)
    {
      struct skiff_pull_source *src = NULL;
      size_t n_src = 0;
      if (*err)
        skiff_error_release (err);
      if (conf && skiff_registries_conf_pull_sources (conf, candidates[c], &src, &n_src, err) < 0)
        break; /* a blocked registry */
      bool tried = false;
      for (size_t i = 0; ret < 0 && i < (n_src ? n_src : 1); i++)
        {
          if (*err)
            skiff_error_release (err);
          ret = pull_source (s, r, candidates[c], n_src ? &src[i] : NULL, &tried, st, id_out, err);
        }
      skiff_pull_sources_free (src, n_src);
    }
  st->description = NULL;
  skiff_registries_conf_free (conf);
  return ret;
}

int
skiff_image_pull_resolved (struct skiff_store *s, const struct skiff_pull_request *r, char **id_out, skiff_error_t *err)
{
  struct pull_state st = { 0 };
  return pull_candidates (s, r, &st, id_out, err);
}

int
skiff_image_lookup (struct skiff_store *s, const char *name, struct skiff_image **out, skiff_error_t *err)
{
  *out = NULL;
  if (skiff_store_image_lookup (s, name, out, err) == 0 || (*err)->status != ENOENT || !skiff_reference_is_short (name))
    return *out ? 0 : -1;
  /* only now registries.conf: a name found as it is costs a start nothing more */
  struct skiff_registries_conf *conf = NULL;
  skiff_error_t cerr = NULL;
  if (skiff_registries_conf_load (&conf, &cerr) < 0)
    {
      skiff_error_release (&cerr);
      return -1;
    }
  cleanup_strv char **candidates = NULL;
  if (skiff_short_name_resolve_local (conf, name, &candidates, &cerr) < 0)
    skiff_error_release (&cerr);
  skiff_registries_conf_free (conf);
  for (size_t i = 0; candidates && candidates[i]; i++)
    if (skiff_store_image_lookup (s, candidates[i], out, &cerr) == 0)
      {
        skiff_error_release (err);
        return 0;
      }
    else
      skiff_error_release (&cerr);
  return -1;
}

int
skiff_image_pull_policy_apply (struct skiff_store *s, const struct skiff_pull_request *r, enum skiff_pull_policy policy,
                               skiff_error_t *err)
{
  struct skiff_image *img = NULL;
  if (policy != SKIFF_PULL_ALWAYS && skiff_image_lookup (s, r->name, &img, err) < 0)
    {
      if ((*err)->status != ENOENT || policy == SKIFF_PULL_NEVER)
        return -1;
      skiff_error_release (err);
    }
  if (img && policy != SKIFF_PULL_NEWER)
    {
      skiff_image_free (img);
      return 0;
    }
  struct pull_state st = { .local_digest = img ? img->digest : NULL };
  cleanup_free char *id = NULL;
  int ret = pull_candidates (s, r, &st, &id, err);
  if (ret < 0 && img)
    {
      /* podman: with newer, pull errors are suppressed when a local image exists */
      log_debug ("using the local image of %s: %s", r->name, (*err)->msg);
      skiff_error_release (err);
      ret = 0;
    }
  else if (ret < 0 && st.unresolved)
    skiff_error_wrap (err, "%s: image not known (import one with `skiff import FILE.tar NAME`) and cannot be pulled",
                      r->name);
  skiff_image_free (img);
  return ret;
}
