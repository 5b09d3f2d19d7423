/* skiff search: a registry's v1 search, else its v2 catalog filtered by the term; --list-tags; the parsers of
 * their answers. The order and limits are podman's (containers/common libimage/search.go and containers/image's
 * SearchRegistry). */
#include "image/search.h"

#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/registries.h"
#include "image/registry.h"
#include "util/util.h"

#define CATALOG_PAGE 100 /* repositories asked for per catalog page (n=) */

void
skiff_search_filter_init (struct skiff_search_filter *f)
{
  f->stars = 0;
  f->official = -1;
  f->automated = -1;
}

static int
filter_bool (const char *key, const char *value, int *out, skiff_error_t *err)
{
  if (value == NULL || strcmp (value, "true") == 0)
    *out = 1;
  else if (strcmp (value, "false") == 0)
    *out = 0;
  else
    return skiff_error_set_status (err, EINVAL, "invalid filter type \"%s=%s\": must be true or false", key, value);
  return 0;
}

int
skiff_search_filter_parse (const char *s, struct skiff_search_filter *f, skiff_error_t *err)
{
  const char *eq = strchr (s, '=');
  cleanup_free char *key = eq ? xstrndup (s, (size_t) (eq - s)) : xstrdup (s);
  const char *value = eq ? eq + 1 : NULL;
  if (strcmp (key, "stars") == 0)
    {
      char *end = NULL;
      errno = 0;
      long v = value ? strtol (value, &end, 10) : 0;
      if (value == NULL || *value == '\0' || *end != '\0' || errno != 0 || v < 0)
        return skiff_error_set_status (err, EINVAL,
                                       "incorrect value type for stars filter: strconv.Atoi: parsing \"%s\": invalid "
                                       "syntax",
                                       value ? value : "");
      f->stars = v;
      return 0;
    }
  if (strcmp (key, "is-official") == 0)
    return filter_bool (key, value, &f->official, err);
  if (strcmp (key, "is-automated") == 0)
    return filter_bool (key, value, &f->automated, err);
  return skiff_error_set_status (err, EINVAL, "invalid filter type \"%s\"", s);
}

void
skiff_search_results_free (struct skiff_search_result *r, size_t n)
{
  for (size_t i = 0; r && i < n; i++)
    {
      free (r[i].index);
      free (r[i].name);
      free (r[i].description);
      free (r[i].tag);
    }
  free (r);
}

/* ---- parsers ---- */

static json_object *
parse_object (const char *json, size_t len, const char *what, skiff_error_t *err)
{
  /* json-c's default depth (32) bounds the recursion; an answer nests three levels */
  json_tokener *tok = json_tokener_new ();
  if (tok == NULL)
    abort ();
  json_object *o = len > (size_t) INT32_MAX ? NULL : json_tokener_parse_ex (tok, json, (int) len);
  enum json_tokener_error jerr = json_tokener_get_error (tok);
  json_tokener_free (tok);
  if (o == NULL || jerr != json_tokener_success || !json_object_is_type (o, json_type_object))
    {
      json_object_put (o);
      skiff_error_set_status (err, EINVAL, "invalid %s from the registry: %s", what,
                              o == NULL || jerr != json_tokener_success ? json_tokener_error_desc (jerr)
                                                                        : "not a JSON object");
      return NULL;
    }
  return o;
}

static bool
name_ok (const char *s)
{
  return s && *s && strlen (s) <= SKIFF_SEARCH_NAME_MAX;
}

int
skiff_search_parse_names (const char *json, size_t len, const char *key, char ***out, skiff_error_t *err)
{
  json_object *o = parse_object (json, len, key, err);
  if (o == NULL)
    return -1;
  json_object *a = NULL;
  int added = 0;
  if (json_object_object_get_ex (o, key, &a) && json_object_is_type (a, json_type_array))
    {
      size_t have = strv_len (*out);
      for (size_t i = 0; i < json_object_array_length (a) && have < SKIFF_SEARCH_MAX_RESULTS; i++)
        {
          json_object *e = json_object_array_get_idx (a, i);
          const char *s = json_object_is_type (e, json_type_string) ? json_object_get_string (e) : NULL;
          if (!name_ok (s) || strlen (s) != (size_t) json_object_get_string_len (e))
            continue; /* not a name (or one with a NUL inside): skipped, as a decoder into []string would fail */
          strv_push (out, s);
          have++;
          added++;
        }
    }
  else if (a != NULL && !json_object_is_type (a, json_type_null))
    {
      json_object_put (o);
      return skiff_error_set_status (err, EINVAL, "invalid %s from the registry: not a list", key);
    }
  json_object_put (o);
  return added;
}

static const char *
get_string (json_object *o, const char *key)
{
  json_object *v = NULL;
  if (!json_object_object_get_ex (o, key, &v) || !json_object_is_type (v, json_type_string))
    return NULL;
  return json_object_get_string (v);
}

int
skiff_search_parse_v1 (const char *json, size_t len, struct skiff_search_result **out, size_t *n, skiff_error_t *err)
{
  json_object *o = parse_object (json, len, "search results", err);
  if (o == NULL)
    return -1;
  json_object *a = NULL;
  if (!json_object_object_get_ex (o, "results", &a) || !json_object_is_type (a, json_type_array))
    {
      json_object_put (o);
      return skiff_error_set_status (err, EINVAL, "invalid search results from the registry: no \"results\" list");
    }
  size_t count = json_object_array_length (a);
  if (count > SKIFF_SEARCH_MAX_RESULTS)
    count = SKIFF_SEARCH_MAX_RESULTS;
  *out = xmalloc0 ((count + 1) * sizeof **out);
  *n = 0;
  for (size_t i = 0; i < count; i++)
    {
      json_object *e = json_object_array_get_idx (a, i);
      const char *name = json_object_is_type (e, json_type_object) ? get_string (e, "name") : NULL;
      if (!name_ok (name))
        continue;
      struct skiff_search_result *r = &(*out)[(*n)++];
      r->name = xstrdup (name);
      const char *d = get_string (e, "description");
      r->description = xstrndup (d ? d : "", SKIFF_SEARCH_NAME_MAX);
      json_object *v = NULL;
      if (json_object_object_get_ex (e, "star_count", &v) && json_object_is_type (v, json_type_int))
        {
          int64_t stars = json_object_get_int64 (v);
          r->stars = stars < 0 ? 0 : stars > INT32_MAX ? INT32_MAX : (long) stars;
        }
      r->official = json_object_object_get_ex (e, "is_official", &v) && json_object_get_boolean (v);
      r->automated = json_object_object_get_ex (e, "is_automated", &v) && json_object_get_boolean (v);
    }
  json_object_put (o);
  return 0;
}

/* ---- talking to a registry ---- */

static char *
query_escape (const char *s)
{
  size_t n = strlen (s);
  char *o = xmalloc (3 * n + 1), *p = o;
  for (; *s; s++)
    {
      unsigned char c = (unsigned char) *s;
      if (isalnum (c) || c == '-' || c == '_' || c == '.' || c == '~')
        *p++ = (char) c;
      else
        p += sprintf (p, "%%%02X", c);
    }
  *p = '\0';
  return o;
}

static int
open_client (const struct skiff_search_request *q, const char *registry, const char *host,
             struct skiff_registry_client **out, skiff_error_t *err)
{
  struct skiff_registry_options o;
  cleanup_free char *user = NULL, *pass = NULL;
  int ret = skiff_pull_request_registry_options (q->reg, registry, &o, &user, &pass, err);
  if (ret == 0)
    ret = skiff_registry_open (&o, host, out, err);
  skiff_pull_request_forget_credentials (&user, &pass);
  return ret;
}

/* v2 catalog pages (n=, then last=) until limit matching names are kept; a full match first (podman) */
static int
catalog_search (struct skiff_registry_client *c, const char *term, long limit, char ***names, skiff_error_t *err)
{
  skiff_registry_add_scope (c, "registry:catalog:*");
  cleanup_strv char **matching = NULL;
  bool full = false;
  cleanup_free char *last = NULL;
  for (size_t page = 0; page * CATALOG_PAGE < SKIFF_SEARCH_MAX_RESULTS; page++)
    {
      cleanup_free char *esc = last ? query_escape (last) : NULL;
      cleanup_free char *path = esc ? xasprintf ("/v2/_catalog?n=%d&last=%s", CATALOG_PAGE, esc)
                                    : xasprintf ("/v2/_catalog?n=%d", CATALOG_PAGE);
      cleanup_free char *body = NULL;
      size_t len = 0;
      if (skiff_registry_get_path (c, path, true, &body, &len, err) < 0)
        return -1;
      cleanup_strv char **repos = NULL;
      int got = skiff_search_parse_names (body, len, "repositories", &repos, err);
      if (got < 0)
        return -1;
      for (size_t i = 0; repos && repos[i] && (long) strv_len (matching) < limit; i++)
        if (strstr (repos[i], term))
          {
            if (!full && strcmp (repos[i], term) == 0)
              {
                /* a full match leads */
                char **moved = NULL;
                strv_push (&moved, repos[i]);
                for (size_t k = 0; matching && matching[k]; k++)
                  strv_push (&moved, matching[k]);
                strv_free (matching);
                matching = moved;
                full = true;
              }
            else
              strv_push (&matching, repos[i]);
          }
      if (got < CATALOG_PAGE || (long) strv_len (matching) >= limit || repos == NULL)
        break;
      const char *tail = repos[strv_len (repos) - 1];
      if (last && strcmp (tail, last) <= 0)
        break; /* a registry that does not move forward */
      free (last);
      last = xstrdup (tail);
    }
  *names = matching;
  matching = NULL;
  return 0;
}

static bool
filter_match (const struct skiff_search_filter *f, const struct skiff_search_result *r)
{
  if (f->stars > 0 && r->stars < f->stars)
    return false;
  if (f->official >= 0 && r->official != (f->official == 1))
    return false;
  if (f->automated >= 0 && r->automated != (f->automated == 1))
    return false;
  return true;
}

/* the hits of one registry, shaped as podman prints them */
static int
search_one (const struct skiff_search_request *q, const char *registry, const char *term,
            struct skiff_search_result **res, size_t *nres, skiff_error_t *err)
{
  long limit = q->limit > 0 ? q->limit : SKIFF_SEARCH_DEFAULT_LIMIT;
  bool docker_io = strcmp (registry, "docker.io") == 0;
  struct skiff_registry_client *c = NULL;
  /* docker.io serves its search on the v1 index host; its v2 catalog is closed (containers/image) */
  if (open_client (q, registry, docker_io ? "index.docker.io" : registry, &c, err) < 0)
    return -1;
  struct skiff_search_result *hits = NULL;
  size_t nhits = 0;
  cleanup_free char *esc = query_escape (term);
  cleanup_free char *v1 = xasprintf ("/v1/search?q=%s&n=%ld", esc, limit);
  cleanup_free char *body = NULL;
  size_t len = 0;
  skiff_error_t v1err = NULL;
  int ret = skiff_registry_get_path (c, v1, false, &body, &len, &v1err);
  if (ret == 0)
    ret = skiff_search_parse_v1 (body, len, &hits, &nhits, &v1err);
  if (ret < 0)
    {
      /* no v1 search here (a 404, or an answer that is not one): the v2 catalog */
      log_debug ("%s: no v1 search (%s), trying the v2 catalog", registry, v1err ? v1err->msg : "?");
      skiff_error_release (&v1err);
      skiff_search_results_free (hits, nhits);
      hits = NULL;
      nhits = 0;
      cleanup_strv char **names = NULL;
      ret = catalog_search (c, term, limit, &names, err);
      if (ret == 0)
        {
          hits = xmalloc0 ((strv_len (names) + 1) * sizeof *hits);
          for (size_t i = 0; names && names[i]; i++)
            {
              hits[nhits].name = xstrdup (names[i]);
              hits[nhits++].description = xstrdup ("");
            }
        }
    }
  skiff_registry_free (c);
  if (ret < 0)
    return -1;
  size_t take = (size_t) limit < nhits ? (size_t) limit : nhits;
  for (size_t i = 0; i < take; i++)
    {
      struct skiff_search_result *h = &hits[i];
      if (!filter_match (&q->filter, h))
        continue;
      struct skiff_search_result *r = &(*res)[(*nres)++];
      r->index = xstrdup (registry);
      if (docker_io && strchr (h->name, '/') == NULL)
        r->name = xasprintf ("docker.io/library/%s", h->name);
      else
        r->name = xasprintf ("%s/%s", registry, h->name);
      for (char *p = h->description; *p; p++)
        if (*p == '\n')
          *p = ' ';
      if (!q->no_trunc && strlen (h->description) > SKIFF_SEARCH_DESCRIPTION_TRUNC)
        r->description = xasprintf ("%.*s...", SKIFF_SEARCH_DESCRIPTION_TRUNC, h->description);
      else
        r->description = xstrdup (h->description);
      r->stars = h->stars;
      r->official = h->official;
      r->automated = h->automated;
    }
  skiff_search_results_free (hits, nhits);
  return 0;
}

static int
list_tags_one (const struct skiff_search_request *q, const char *registry, const char *term,
               struct skiff_search_result **res, size_t *nres, skiff_error_t *err)
{
  cleanup_free char *full = xasprintf ("%s/%s", registry, term);
  struct skiff_image_ref ref;
  if (skiff_image_ref_parse (full, &ref, err) < 0)
    {
      skiff_error_release (err);
      return skiff_error_set_status (err, EINVAL, "reference \"%s\" must be a docker reference", term);
    }
  struct skiff_registry_client *c = NULL;
  int ret = open_client (q, ref.registry, ref.registry, &c, err);
  cleanup_strv char **tags = NULL;
  if (ret == 0)
    {
      cleanup_free char *scope = xasprintf ("repository:%s:pull", ref.repository);
      skiff_registry_add_scope (c, scope);
      cleanup_free char *path = xasprintf ("/v2/%s/tags/list", ref.repository);
      cleanup_free char *body = NULL;
      size_t len = 0;
      ret = skiff_registry_get_path (c, path, true, &body, &len, err);
      if (ret == 0)
        ret = skiff_search_parse_names (body, len, "tags", &tags, err) < 0 ? -1 : 0;
      if (ret < 0)
        skiff_error_wrap (err, "getting repository tags: fetching tags list");
    }
  skiff_registry_free (c);
  if (ret == 0)
    {
      size_t n = strv_len (tags);
      size_t take = q->limit > 0 && (size_t) q->limit < n             ? (size_t) q->limit
                    : q->limit == 0 && n > SKIFF_SEARCH_DEFAULT_LIMIT ? SKIFF_SEARCH_DEFAULT_LIMIT
                                                                      : n;
      cleanup_free char *name = xasprintf ("%s/%s", ref.registry, ref.repository);
      for (size_t i = 0; i < take; i++)
        {
          struct skiff_search_result *r = &(*res)[(*nres)++];
          r->index = xstrdup (ref.registry);
          r->name = xstrdup (name);
          r->description = xstrdup ("");
          r->tag = xstrdup (tags[i]);
        }
    }
  skiff_image_ref_release (&ref);
  return ret;
}

int
skiff_image_search (const struct skiff_search_request *q, struct skiff_search_result **out, size_t *n,
                    skiff_error_t *err)
{
  *out = NULL;
  *n = 0;
  cleanup_strv char **registries = NULL;
  const char *term = q->term;
  const char *slash = strchr (term, '/');
  if (slash)
    {
      /* everything before the first slash is the registry: the term may hold anything (podman) */
      strv_push_take (&registries, xstrndup (term, (size_t) (slash - term)));
      term = slash + 1;
    }
  else
    {
      struct skiff_registries_conf *conf = NULL;
      if (skiff_registries_conf_load (&conf, err) < 0)
        return -1;
      for (size_t i = 0; conf->search_registries && conf->search_registries[i]; i++)
        strv_push (&registries, conf->search_registries[i]);
      skiff_registries_conf_free (conf);
      if (registries == NULL)
        return skiff_error_set_status (err, EINVAL,
                                       "no registries to search for \"%s\": name one (REGISTRY/%s), or set "
                                       "unqualified-search-registries in registries.conf",
                                       term, term);
    }
  if (registries[0][0] == '\0')
    return skiff_error_set_status (err, EINVAL, "invalid search term \"%s\": no registry before the '/'", q->term);
  size_t cap = q->limit > 0 ? (size_t) q->limit : SKIFF_SEARCH_DEFAULT_LIMIT;
  if (cap > SKIFF_SEARCH_MAX_RESULTS)
    cap = SKIFF_SEARCH_MAX_RESULTS;
  size_t nreg = strv_len (registries);
  struct skiff_search_result *res = xmalloc0 ((nreg * cap + 1) * sizeof *res);
  size_t nres = 0;
  cleanup_free char *errors = NULL;
  size_t nerrors = 0;
  for (size_t i = 0; i < nreg; i++)
    {
      skiff_error_t e = NULL;
      int r = q->list_tags ? list_tags_one (q, registries[i], term, &res, &nres, &e)
                           : search_one (q, registries[i], term, &res, &nres, &e);
      if (r < 0)
        {
          char *line = q->list_tags ? xasprintf ("%s\t* %s\n", errors ? errors : "", e->msg)
                                    : xasprintf ("%s\t* couldn't search registry \"%s\": %s\n", errors ? errors : "",
                                                 registries[i], e->msg);
          free (errors);
          errors = line;
          nerrors++;
          skiff_error_release (&e);
        }
    }
  if (nres == 0 && nerrors > 0)
    {
      skiff_search_results_free (res, nres);
      errors[strlen (errors) - 1] = '\0';
      return skiff_error_set_status (err, EIO, "%zu error%s occurred:\n%s", nerrors, nerrors == 1 ? "" : "s", errors);
    }
  *out = res;
  *n = nres;
  return 0;
}
