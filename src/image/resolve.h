/* From a name as the user typed it to an image in the store, as podman resolves it: short names through
 * registries.conf's aliases and search registries, each candidate through its mirrors then its registry, with
 * the credentials of the auth files podman reads; and the pull policy (missing, always, never, newer) that
 * decides whether to pull at all. pull, run --pull and create --pull all come here. */
#ifndef SKIFF_IMAGE_RESOLVE_H
#define SKIFF_IMAGE_RESOLVE_H

#include "image/registry.h"

enum skiff_pull_policy
{
  SKIFF_PULL_MISSING = 0, /* pull when there is no local image (podman's default for run and create) */
  SKIFF_PULL_ALWAYS,
  SKIFF_PULL_NEVER,
  SKIFF_PULL_NEWER, /* pull when the registry's manifest differs from the local image's */
};
/* "missing", "always", "never" or "newer" (NULL: missing); EINVAL with the valid values otherwise. */
int skiff_pull_policy_parse (const char *s, enum skiff_pull_policy *out, skiff_error_t *err);

struct skiff_pull_request
{
  const char *name;                  /* as typed: short or qualified, with or without "docker://" */
  const char *os, *arch, *variant;   /* NULL: the host's */
  struct skiff_registry_options reg; /* the user's --creds, --authfile, --tls-verify, --cert-dir */
  struct skiff_xfer_progress progress;
  skiff_pull_note_fn note; /* NULL: nothing to say */
  void *note_data;
  char **auth_paths; /* skiff_pull_request_prepare's */
};

/* Look up what depends on the caller's UID: the auth files podman reads, in its order. Call before the user
 * namespace is entered (inside it the per-UID places would be root's). */
void skiff_pull_request_prepare (struct skiff_pull_request *r);
void skiff_pull_request_release (struct skiff_pull_request *r);

/* The registry options for a request to REGISTRY itself (search): r's, with TLS verification off for a
 * registry registries.conf marks insecure (unless r set it), and the credentials of the first auth file that
 * has some for REGISTRY (*user and *pass: free with skiff_pull_request_forget_credentials). */
int skiff_pull_request_registry_options (const struct skiff_pull_request *r, const char *registry,
                                         struct skiff_registry_options *o, char **user, char **pass,
                                         skiff_error_t *err);
void skiff_pull_request_forget_credentials (char **user, char **pass);

/* Pull r->name: the name itself when qualified, else its short-name candidates; each through
 * registries.conf's mirrors then its registry (an insecure one without TLS verification unless the request
 * set it), with the credentials of the first auth file that has some (a broken auth file is an error, as in
 * podman); the first source that works wins. An image pulled from a mirror is tagged with the name asked
 * for. *id_out gets the image ID. */
int skiff_image_pull_resolved (struct skiff_store *s, const struct skiff_pull_request *r, char **id_out,
                               skiff_error_t *err);

/* A local image by anything skiff_store_image_lookup accepts; a short name it does not find is looked up
 * again as podman resolves it locally: its registries.conf alias, localhost/NAME, then each search registry. */
int skiff_image_lookup (struct skiff_store *s, const char *name, struct skiff_image **out, skiff_error_t *err);

/* run's and create's --pull: with the local image (looked up as run does) missing, pull it; always, pull;
 * never, ENOENT "NAME: image not known" when absent; newer, pull only when the registry's manifest is not the
 * local image's, and with a local image a failed pull is only a warning (podman's words). */
int skiff_image_pull_policy_apply (struct skiff_store *s, const struct skiff_pull_request *r,
                                   enum skiff_pull_policy policy, skiff_error_t *err);

#endif
