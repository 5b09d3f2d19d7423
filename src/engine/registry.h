/* The registry side of the engine as the command layer sees it: pull (and run's --pull policy), push, login
 * and logout, with the user's registry options in and podman's errors out. What depends on the caller's UID
 * (the auth files' places) is looked up here before the engine's store enters the user namespace. */
#ifndef SKIFF_ENGINE_REGISTRY_H
#define SKIFF_ENGINE_REGISTRY_H

#include <stdbool.h>

#include "engine/engine.h"
#include "skiff/xfer.h"

/* --tls-verify, --cert-dir, --creds and --authfile as the user gave them */
struct skiff_engine_registry
{
  bool tls_verify_set, tls_verify;
  const char *cert_dir, *creds, *authfile;
};

struct skiff_engine_pull
{
  const char *name;                /* as typed */
  const char *platform;            /* --platform OS/ARCH[/VARIANT]; conflicts with os and arch */
  const char *os, *arch, *variant; /* NULL: the host's */
  struct skiff_engine_registry reg;
  struct skiff_xfer_progress progress;
  skiff_pull_note_fn note; /* NULL: nothing to say */
  void *note_data;
};

/* Pull q->name as podman resolves it; *id gets the image ID. */
int skiff_engine_pull (struct skiff_engine *e, const struct skiff_engine_pull *q, char **id, skiff_error_t *err);

/* run's and create's --pull POLICY ("missing", "always", "never", "newer"; NULL: missing) for q->name. */
int skiff_engine_pull_policy (struct skiff_engine *e, const char *policy, const struct skiff_engine_pull *q,
                              skiff_error_t *err);

struct skiff_engine_push
{
  const char *source;      /* a local image */
  const char *destination; /* NULL: the source's name; a "docker://" prefix is dropped */
  struct skiff_engine_registry reg;
  struct skiff_xfer_progress progress;
};

/* Push as podman does: a registry registries.conf blocks is refused, one it marks insecure is used without
 * TLS verification unless the user said otherwise, and the destination's credentials come from the auth
 * files. SKIFF_PUSH_CHUNK_SIZE (bytes) sets the size above which blobs go up in chunks. *digest gets the
 * manifest digest. */
int skiff_engine_push (struct skiff_engine *e, const struct skiff_engine_push *q, char **digest, skiff_error_t *err);

/* The key a login is stored under: "https://host:port/path" becomes "host:port"; a repository stays. */
char *skiff_engine_login_key (const char *arg, skiff_error_t *err);

/* Check user and password against the registry of key (registries.conf's insecure setting applies) and store
 * them in the auth file. */
int skiff_engine_login (const struct skiff_engine_registry *reg, const char *key, const char *user,
                        const char *password, skiff_error_t *err);

/* The user logged into key: 1 with *user set, 0 when there is none. */
int skiff_engine_login_user (const char *authfile, const char *key, char **user, skiff_error_t *err);

/* Forget key's credentials, or (key NULL) every registry's. */
int skiff_engine_logout (const char *authfile, const char *key, skiff_error_t *err);

#endif
