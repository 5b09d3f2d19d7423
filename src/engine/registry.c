/* pull, run's --pull, push, login and logout: the user's options turned into image/'s requests, with
 * registries.conf's blocked and insecure registries and the auth files applied as podman applies them. */
#include "engine/registry.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "image/registries.h"
#include "image/resolve.h"
#include "util/util.h"

static struct skiff_registry_options
registry_options (const struct skiff_engine_registry *r)
{
  return (struct skiff_registry_options){ .tls_verify_set = r->tls_verify_set,
                                          .tls_verify = r->tls_verify,
                                          .cert_dir = r->cert_dir,
                                          .creds = r->creds,
                                          .authfile = r->authfile };
}

static struct skiff_pull_request
pull_request (const struct skiff_engine_pull *q, const char *os, const char *arch, const char *variant)
{
  return (struct skiff_pull_request){ .name = q->name,
                                      .os = os,
                                      .arch = arch,
                                      .variant = variant,
                                      .reg = registry_options (&q->reg),
                                      .progress = q->progress,
                                      .note = q->note,
                                      .note_data = q->note_data };
}

int
skiff_engine_pull (struct skiff_engine *e, const struct skiff_engine_pull *q, char **id, skiff_error_t *err)
{
  *id = NULL;
  cleanup_free char *pos = NULL, *parch = NULL, *pvariant = NULL;
  const char *os = q->os, *arch = q->arch, *variant = q->variant;
  if (q->platform)
    {
      if (q->os || q->arch)
        return skiff_error_set_status (err, EINVAL, "--platform option can not be specified with --arch or --os");
      if (skiff_platform_parse (q->platform, &pos, &parch, &pvariant, err) < 0)
        return -1;
      os = pos;
      arch = parch;
      variant = pvariant;
    }
  struct skiff_pull_request r = pull_request (q, os, arch, variant);
  /* the auth files' places depend on the UID, which reads 0 once the store has entered the namespace */
  skiff_pull_request_prepare (&r);
  struct skiff_store *s;
  int ret = -1;
  if (skiff_engine_store (e, &s, err) == 0)
    ret = skiff_image_pull_resolved (s, &r, id, err);
  skiff_pull_request_release (&r);
  return ret;
}

int
skiff_engine_pull_policy (struct skiff_engine *e, const char *policy, const struct skiff_engine_pull *q,
                          skiff_error_t *err)
{
  enum skiff_pull_policy pp;
  if (skiff_pull_policy_parse (policy, &pp, err) < 0)
    return -1;
  struct skiff_pull_request r = pull_request (q, q->os, q->arch, q->variant);
  if (pp != SKIFF_PULL_NEVER)
    skiff_pull_request_prepare (&r);
  struct skiff_store *s;
  int ret = -1;
  if (skiff_engine_store (e, &s, err) == 0)
    ret = skiff_image_pull_policy_apply (s, &r, pp, err);
  skiff_pull_request_release (&r);
  return ret;
}

/* SKIFF_PUSH_CHUNK_SIZE: a test and tuning hook; unset, the library's default */
static int
push_chunk_size (uint64_t *out, skiff_error_t *err)
{
  *out = 0;
  const char *chunk = getenv ("SKIFF_PUSH_CHUNK_SIZE");
  if (chunk == NULL || *chunk == '\0')
    return 0;
  char *end;
  errno = 0;
  unsigned long long v = strtoull (chunk, &end, 10);
  if (errno || *end || v == 0)
    return skiff_error_set_status (err, EINVAL,
                                   "invalid SKIFF_PUSH_CHUNK_SIZE \"%s\": expected a number of bytes above 0", chunk);
  *out = v;
  return 0;
}

int
skiff_engine_push (struct skiff_engine *e, const struct skiff_engine_push *q, char **digest, skiff_error_t *err)
{
  *digest = NULL;
  const char *dest = q->destination;
  if (dest && str_has_prefix (dest, "docker://"))
    dest += strlen ("docker://");
  struct skiff_registry_options reg = registry_options (&q->reg);
  struct skiff_registries_conf *conf = NULL;
  skiff_error_t cerr = NULL;
  if (skiff_registries_conf_load (&conf, &cerr) < 0)
    skiff_error_release (&cerr);
  const char *target = dest ? dest : q->source;
  if (conf && skiff_registries_conf_blocked (conf, target))
    {
      skiff_registries_conf_free (conf);
      return skiff_error_set_status (err, EPERM, "registry %s is blocked in registries.conf", target);
    }
  if (conf && !reg.tls_verify_set && skiff_registries_conf_insecure (conf, target))
    {
      reg.tls_verify_set = true;
      reg.tls_verify = false;
    }
  skiff_registries_conf_free (conf);
  /* the destination's credentials, looked up before the store enters the namespace */
  cleanup_free char *user = NULL, *pass = NULL;
  if (!skiff_reference_is_short (target))
    {
      cleanup_free char *norm = skiff_reference_normalize (target, err);
      if (norm == NULL)
        return -1;
      if (reg.creds == NULL)
        {
          if (skiff_auth_get (reg.authfile, norm, &user, &pass, err) < 0)
            return -1;
          reg.creds_resolved = true;
          reg.username = user;
          reg.password = pass;
        }
    }
  struct skiff_push_options o = { .source = q->source, .destination = dest, .reg = reg, .progress = q->progress };
  struct skiff_store *s;
  int ret = -1;
  if (push_chunk_size (&o.chunk_size, err) == 0 && skiff_engine_store (e, &s, err) == 0)
    ret = skiff_image_push (s, &o, digest, err);
  if (pass)
    explicit_bzero (pass, strlen (pass));
  return ret;
}

char *
skiff_engine_login_key (const char *arg, skiff_error_t *err)
{
  return skiff_auth_normalize_key (arg, err);
}

int
skiff_engine_login (const struct skiff_engine_registry *r, const char *key, const char *user, const char *password,
                    skiff_error_t *err)
{
  struct skiff_registry_options reg = registry_options (r);
  cleanup_free char *host = xstrndup (key, strcspn (key, "/"));
  struct skiff_registries_conf *conf = NULL;
  skiff_error_t cerr = NULL;
  if (skiff_registries_conf_load (&conf, &cerr) < 0)
    skiff_error_release (&cerr);
  if (conf && !reg.tls_verify_set && skiff_registries_conf_insecure (conf, host))
    {
      reg.tls_verify_set = true;
      reg.tls_verify = false;
    }
  skiff_registries_conf_free (conf);
  if (skiff_registry_login (&reg, host, user, password, err) < 0
      || skiff_auth_set (reg.authfile, key, user, password, err) < 0)
    {
      skiff_error_wrap (err, "logging into \"%s\"", key);
      return -1;
    }
  return 0;
}

int
skiff_engine_login_user (const char *authfile, const char *key, char **user, skiff_error_t *err)
{
  *user = NULL;
  char *pw = NULL;
  int r = skiff_auth_get (authfile, key, user, &pw, err);
  if (pw)
    {
      explicit_bzero (pw, strlen (pw));
      free (pw);
    }
  if (r <= 0)
    {
      free (*user);
      *user = NULL;
    }
  return r;
}

int
skiff_engine_logout (const char *authfile, const char *key, skiff_error_t *err)
{
  return key ? skiff_auth_remove (authfile, key, err) : skiff_auth_remove_all (authfile, err);
}
