/* The configuration podman users already have, read as podman reads it: registries.conf (v2, v1, drop-ins)
 * with mirrors, prefixes and blocking; auth.json credentials; short-name aliases and search registries. */
#ifndef SKIFF_IMAGE_CONFIG_H
#define SKIFF_IMAGE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "util/util.h"

/* ---- registries.conf (containers-registries.conf(5)) ---- */

enum skiff_short_name_mode
{
  SKIFF_SHORT_NAME_UNSET = 0, /* only in a single parsed file; a loaded configuration defaults to permissive */
  SKIFF_SHORT_NAME_PERMISSIVE,
  SKIFF_SHORT_NAME_ENFORCING,
  SKIFF_SHORT_NAME_DISABLED,
};

enum skiff_pull_from_mirror
{
  SKIFF_PULL_FROM_MIRROR_DEFAULT = 0, /* unset: like "all" */
  SKIFF_PULL_FROM_MIRROR_ALL,
  SKIFF_PULL_FROM_MIRROR_DIGEST_ONLY,
  SKIFF_PULL_FROM_MIRROR_TAG_ONLY,
};

struct skiff_registry_mirror
{
  char *location;
  bool insecure;
  enum skiff_pull_from_mirror pull_from_mirror;
};

struct skiff_registry
{
  char *prefix;   /* "example.com/ns", or "*.example.com"; defaults to location */
  char *location; /* may be "" only with a wildcard prefix */
  bool insecure;
  bool blocked;
  bool mirror_by_digest_only;
  struct skiff_registry_mirror *mirrors;
  size_t n_mirrors;
};

struct skiff_registries_conf
{
  /* NULL-terminated; NULL when no file set the key (an explicit [] is an empty vector, not NULL) */
  char **search_registries;
  char *search_origin; /* the file that set search_registries (else the main file), for messages */
  enum skiff_short_name_mode short_name_mode;
  struct skiff_registry *registries; /* sorted by prefix, each prefix once */
  size_t n_registries;
  /* short-name aliases: names[i] = values[i]; a NULL value is an alias reset by a drop-in ("x" = "") */
  char **alias_names;
  char **alias_values;
  char **alias_origins;
  size_t n_aliases;
  char **credential_helpers; /* NULL when unset */
  char *sources;             /* "file, dir, dir": where the configuration came from, for messages */
};

/* Parse one file's text. name is used in messages ("NAME:LINE: expected '=' after key"). With force_v2 a
 * v1 file ([registries.search] ...) is refused, as podman does for drop-ins. */
int skiff_registries_conf_parse (const char *data, size_t len, const char *name, bool force_v2,
                                 struct skiff_registries_conf **out, skiff_error_t *err);
int skiff_registries_conf_parse_file (const char *path, bool force_v2, struct skiff_registries_conf **out,
                                      skiff_error_t *err);
/* Apply a drop-in on top of base with podman's rules: [[registry]] entries replace by prefix, aliases are
 * set or reset one by one, other keys replace when the drop-in sets them. */
void skiff_registries_conf_merge (struct skiff_registries_conf *base, const struct skiff_registries_conf *dropin);
void skiff_registries_conf_free (struct skiff_registries_conf *c);

/* Explicit sources: the main file (missing is an error only when conf_required), then *.conf of system_dir
 * then of user_dir, each sorted by name. Any field may be NULL. */
struct skiff_registries_conf_paths
{
  const char *conf;
  bool conf_required;
  const char *system_dir;
  const char *user_dir;
};
int skiff_registries_conf_load_paths (const struct skiff_registries_conf_paths *paths,
                                      struct skiff_registries_conf **out, skiff_error_t *err);
/* podman's sources: $CONTAINERS_REGISTRIES_CONF (must exist) else ~/.config/containers/registries.conf (then
 * only ~/.config/containers/registries.conf.d) else /etc/containers/registries.conf; drop-ins from
 * /etc/containers/registries.conf.d and ~/.config/containers/registries.conf.d. */
int skiff_registries_conf_default_paths (struct skiff_registries_conf_paths *paths, char **storage);
int skiff_registries_conf_load (struct skiff_registries_conf **out, skiff_error_t *err);

/* The [[registry]] whose prefix matches ref ("host[:port]/repo[:tag|@digest]", or just a host) the longest,
 * or NULL. */
const struct skiff_registry *skiff_registries_conf_find (const struct skiff_registries_conf *c, const char *ref);

/* One place to pull ref from: the rewritten reference and whether TLS verification is skipped. */
struct skiff_pull_source
{
  char *reference;
  bool insecure;
  bool mirror;
};
/* Where to pull a fully qualified ref from, in order: the mirrors that apply, then the registry's location
 * (prefix rewritten); a ref no [[registry]] matches gives itself. A blocked registry fails with EACCES:
 * "registry REF is blocked in registries.conf". ref is normalized (docker.io/library, :latest) first. */
int skiff_registries_conf_pull_sources (const struct skiff_registries_conf *c, const char *ref,
                                        struct skiff_pull_source **out, size_t *n, skiff_error_t *err);
void skiff_pull_sources_free (struct skiff_pull_source *s, size_t n);
/* For pushes and logins: whether the registry for ref (or host) is insecure / blocked. */
bool skiff_registries_conf_insecure (const struct skiff_registries_conf *c, const char *ref);
bool skiff_registries_conf_blocked (const struct skiff_registries_conf *c, const char *ref);
/* The alias value for a short name without tag ("busybox"), or NULL. */
const char *skiff_registries_conf_alias (const struct skiff_registries_conf *c, const char *name);

/* ---- credentials (containers-auth.json(5)) ---- */

/* The file skiff writes: authfile if given, else $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json,
 * else (root) /run/containers/0/auth.json, (rootless) /run/user/UID/containers/auth.json when that directory is
 * ours, else $TMPDIR/storage-run-UID/containers/auth.json. Caller frees. */
char *skiff_auth_file_path (const char *authfile);
/* The files read, in order: the file above; then, unless authfile or $REGISTRY_AUTH_FILE chose it,
 * $XDG_CONFIG_HOME (or ~/.config)/containers/auth.json, $DOCKER_CONFIG/config.json (or ~/.docker/config.json)
 * and ~/.dockercfg. */
char **skiff_auth_file_paths (const char *authfile);
/* Credentials for key: a registry, a namespace or a repository ("quay.io/ns/repo"; a tag or digest is
 * ignored). The most specific auths entry wins; docker.io matches "https://index.docker.io/v1/" and other
 * docker hub spellings. Returns 1 with *user and *pass set, 0 (both NULL) when there are none, <0 on error. */
int skiff_auth_get (const char *authfile, const char *key, char **user, char **pass, skiff_error_t *err);
/* Store credentials for key in skiff_auth_file_path(authfile): the directory is created 0700, the file written
 * atomically with mode 0600; other entries and keys are kept. */
int skiff_auth_set (const char *authfile, const char *key, const char *user, const char *pass, skiff_error_t *err);
/* Remove key's entry; ENOENT "not logged into KEY" when there is none. */
int skiff_auth_remove (const char *authfile, const char *key, skiff_error_t *err);
int skiff_auth_remove_all (const char *authfile, skiff_error_t *err);
/* The auths key podman uses for a user's input: "https://" and "http://" dropped, docker hub's hosts become
 * "docker.io". Refuses a tag or digest. */
char *skiff_auth_normalize_key (const char *key, skiff_error_t *err);

/* ---- short names ---- */

enum skiff_resolution
{
  SKIFF_RESOLVED_QUALIFIED, /* the input was fully qualified */
  SKIFF_RESOLVED_ALIAS,     /* a short-name alias */
  SKIFF_RESOLVED_SEARCH,    /* completed with the unqualified-search registries */
};

struct skiff_resolved_name
{
  char **candidates; /* fully qualified, with the input's tag or digest, else :latest; NULL-terminated */
  enum skiff_resolution how;
  /* the caller should prompt and pull only the chosen one: several candidates, can_prompt, mode not disabled */
  bool needs_choice;
  char *description; /* podman's "Resolving \"x\" using unqualified-search registries (file)", or NULL */
};
void skiff_resolved_name_free (struct skiff_resolved_name *r);

/* Names to pull name from. A short name without alias and without search registries fails with
 * "short-name \"x\" did not resolve to an alias and no unqualified-search registries are defined in ...";
 * in enforcing mode several candidates without a terminal fail as podman does. */
int skiff_short_name_resolve (const struct skiff_registries_conf *c, const char *name, bool can_prompt,
                              struct skiff_resolved_name **out, skiff_error_t *err);
/* Names to look up in local storage, in order: the alias, localhost/NAME, then each search registry.
 * A fully qualified name gives itself. NULL-terminated. */
int skiff_short_name_resolve_local (const struct skiff_registries_conf *c, const char *name, char ***out,
                                    skiff_error_t *err);

#endif
