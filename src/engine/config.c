/* A container's record -> the parts of a runtime config that run recorded: environment, user, working
 * directory, capabilities, seccomp filter and rlimits. Shared by exec and start. */
#include "engine/engine.h"

#include <json-c/json.h>

#include "runtime/caps.h"
#include "runtime/runtime.h"
#include "runtime/seccomp.h"

#define SECCOMP_CACHE_DIR "cache/seccomp"

const char *
skiff_record_string (json_object *rec, const char *key)
{
  json_object *v = NULL;
  if (!json_object_object_get_ex (rec, key, &v) || !json_object_is_type (v, json_type_string))
    return NULL;
  return json_object_get_string (v);
}

bool
skiff_record_bool (json_object *rec, const char *key)
{
  json_object *v = NULL;
  return json_object_object_get_ex (rec, key, &v) && json_object_get_boolean (v);
}

char **
skiff_record_strv (json_object *rec, const char *key)
{
  json_object *v = NULL;
  char **out = NULL;
  if (!json_object_object_get_ex (rec, key, &v) || !json_object_is_type (v, json_type_array))
    return NULL;
  for (size_t i = 0; i < json_object_array_length (v); i++)
    strv_push (&out, json_object_get_string (json_object_array_get_idx (v, i)));
  return out;
}

int
skiff_record_config (struct skiff_engine *e, json_object *rec, bool privileged, struct skiff_record_config *c,
                     skiff_error_t *err)
{
  memset (c, 0, sizeof *c);
  /* before the first goto: its cleanup runs at every exit (clang refuses a jump over it, gcc frees garbage) */
  cleanup_strv char **ulimits = NULL;
  /* records from before exec existed get run's defaults */
  c->caps = SKIFF_CAPS_DEFAULT;
  const char *caps_hex = skiff_record_string (rec, "CapEff");
  if (caps_hex)
    c->caps = strtoull (caps_hex, NULL, 16);
  const char *seccomp = skiff_record_string (rec, "Seccomp");
  bool unconfined = seccomp && strcmp (seccomp, "unconfined") == 0;
  if (privileged)
    {
      c->caps = skiff_caps_bounding (); /* all we have: a bounding set may lack some */
      unconfined = true;
    }
  if (!unconfined)
    {
      const char *profile
          = seccomp && strcmp (seccomp, "custom") == 0 ? skiff_record_string (rec, "SeccompProfile") : NULL;
      cleanup_free char *cache_dir = path_join (e->root, SECCOMP_CACHE_DIR);
      if (mkdir_p (cache_dir, 0700, err) < 0
          || skiff_seccomp_compile (profile, c->caps, cache_dir, &c->seccomp, err) < 0)
        goto fail;
    }
  c->env = skiff_record_strv (rec, "Env");
  c->argv = skiff_record_strv (rec, "Args");
  ulimits = skiff_record_strv (rec, "Ulimits");
  size_t nrl = strv_len (ulimits);
  c->rlimits = xmalloc0 ((nrl + 1) * sizeof *c->rlimits);
  for (size_t i = 0; i < nrl; i++)
    if (skiff_rlimit_parse (ulimits[i], &c->rlimits[i], err) < 0)
      goto fail;
  bool have_nofile = false;
  for (size_t i = 0; i < nrl; i++)
    have_nofile |= c->rlimits[i].resource == RLIMIT_NOFILE;
  if (!have_nofile)
    {
      /* run raises the soft nofile limit to the hard one, as podman does */
      struct rlimit cur;
      if (getrlimit (RLIMIT_NOFILE, &cur) == 0)
        {
          cur.rlim_cur = cur.rlim_max;
          c->rlimits[nrl++] = (struct skiff_rlimit){ RLIMIT_NOFILE, cur };
        }
    }
  c->nrlimits = nrl;
  const char *user = skiff_record_string (rec, "User");
  c->user = user && *user ? user : NULL;
  const char *cwd = skiff_record_string (rec, "WorkingDir");
  c->cwd = cwd && *cwd ? cwd : "/";
  c->no_new_privileges = skiff_record_bool (rec, "NoNewPrivileges");
  return 0;

fail:
  skiff_record_config_release (c);
  return -1;
}

void
skiff_record_config_release (struct skiff_record_config *c)
{
  strv_free (c->env);
  strv_free (c->argv);
  free (c->rlimits);
  if (c->seccomp)
    skiff_seccomp_free (c->seccomp);
  memset (c, 0, sizeof *c);
}
