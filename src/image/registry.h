/* The registry client (OCI distribution spec / Docker registry API v2) over libcurl (loaded lazily, see
 * util/curl_dl.c), and pull and push built on it. The pure parts (references, WWW-Authenticate, platform
 * selection, the deterministic layer tar) are separate functions so the unit tests reach them. */
#ifndef SKIFF_IMAGE_REGISTRY_H
#define SKIFF_IMAGE_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

#include "oci/image.h"
#include "skiff/xfer.h"
#include "storage/storage.h"
#include "util/util.h"

#define SKIFF_MEDIA_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define SKIFF_MEDIA_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define SKIFF_MEDIA_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define SKIFF_MEDIA_DOCKER_FOREIGN "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
#define SKIFF_MEDIA_OCI_NONDIST "application/vnd.oci.image.layer.nondistributable.v1.tar"

/* ---- references ---- */
struct skiff_image_ref
{
  char *registry;   /* "127.0.0.1:5000", "docker.io" */
  char *repository; /* "library/busybox" */
  char *tag;        /* NULL when only a digest is given */
  char *digest;     /* "sha256:<hex>" or NULL */
};
/* Parse a fully qualified reference ("reg/repo[:tag][@digest]", an optional "docker://" prefix). A name whose
 * first component is not a registry is an error naming the fix (a short name needs registries.conf). docker.io
 * names get "library/" for one-component repositories; no tag and no digest means ":latest". */
int skiff_image_ref_parse (const char *ref, struct skiff_image_ref *out, skiff_error_t *err);
void skiff_image_ref_release (struct skiff_image_ref *r);
/* "reg/repo:tag" or "reg/repo@digest"; caller frees. */
char *skiff_image_ref_string (const struct skiff_image_ref *r);
/* The host that serves a registry's API (docker.io is served by registry-1.docker.io). */
const char *skiff_registry_api_host (const char *registry);
/* scheme://host/v2/<repo>/<kind>/<what>, e.g. kind "manifests" and what a tag. */
char *skiff_registry_url (const char *scheme, const char *registry, const char *repository, const char *kind,
                          const char *what);

/* ---- WWW-Authenticate ---- */
struct skiff_auth_challenge
{
  char *scheme; /* "Bearer", "Basic" */
  char *realm;
  char *service;
  char *scope;
};
int skiff_www_authenticate_parse (const char *header, struct skiff_auth_challenge *out, skiff_error_t *err);
void skiff_auth_challenge_release (struct skiff_auth_challenge *c);

/* ---- platform selection in an index / manifest list ---- */
/* Fill the host's os/arch/variant (variant may be NULL: "v8" on arm64 is then accepted as well). */
void skiff_platform_host (const char **os, const char **arch, const char **variant);
/* Parse "os/arch[/variant]" into three strings (caller frees); error on anything else. */
int skiff_platform_parse (const char *s, char **os, char **arch, char **variant, skiff_error_t *err);
/* The index entry for os/arch/variant (variant NULL: any, preferring none or the first); -1 with an error
 * listing what the index offers when none matches. */
int skiff_index_select (const struct skiff_oci_index *idx, const char *os, const char *arch, const char *variant,
                        size_t *out, skiff_error_t *err);
/* Is this manifest document an index (by media type, or by shape when the type is missing)? */
bool skiff_manifest_is_index (const char *media_type, const char *json, size_t len);

/* ---- digests ---- */
/* 0 when data hashes to digest; else an error "digest mismatch for WHAT: expected X, got Y". */
int skiff_digest_verify (const void *data, size_t len, const char *digest, const char *what, skiff_error_t *err);

/* ---- base64 (Basic auth, auth.json) ---- */
char *skiff_base64_encode (const void *data, size_t len);
/* NULL when s is not base64. */
char *skiff_base64_decode (const char *s, size_t *len);

/* ---- the client ---- */
struct skiff_registry_options
{
  bool tls_verify_set; /* false: the default (verify) */
  bool tls_verify;
  const char *cert_dir; /* NULL: /etc/containers/certs.d/<registry> and ~/.config/containers/certs.d/... */
  const char *creds;    /* "user:password" or "user" (no password: anonymous fails on 401) */
  const char *authfile;
  /* Credentials already looked up (creds_resolved: do not read any auth file). The CLI looks them up before
   * entering the user namespace, where the auth file's location (by UID) would be root's. */
  bool creds_resolved;
  const char *username, *password;
};

struct skiff_registry_client;
/* A client for one registry; actions ask for scope on repository (pull, or pull+push). */
int skiff_registry_open (const struct skiff_registry_options *o, const char *registry,
                         struct skiff_registry_client **out, skiff_error_t *err);
void skiff_registry_free (struct skiff_registry_client *r);
/* A second client with r's state (scheme, credentials, token, certificates) and its own connection, for
 * another thread: a client is not thread-safe. */
int skiff_registry_dup (struct skiff_registry_client *r, struct skiff_registry_client **out, skiff_error_t *err);
/* Add a token scope, e.g. "repository:library/busybox:pull". */
void skiff_registry_add_scope (struct skiff_registry_client *r, const char *scope);
/* GET /v2/ and authenticate (fetch a token when challenged). With require_auth a 401 after sending the
 * credentials is "invalid username/password". */
int skiff_registry_ping (struct skiff_registry_client *r, skiff_error_t *err);
int skiff_registry_get_manifest (struct skiff_registry_client *r, const char *repository, const char *reference,
                                 char **body, size_t *len, char **media_type, skiff_error_t *err);
/* Stream a blob: sink gets every byte of a 2xx body (returning false aborts). */
/* GET PATH ("/v2/_catalog?n=100", "/v1/search?q=x": path and query) on the registry's API host: pinged, with
 * the client's credentials when authenticate (a token for the scopes added), the body whole up to the cap
 * of a manifest. ENOENT for a 404. */
int skiff_registry_get_path (struct skiff_registry_client *r, const char *path, bool authenticate, char **body,
                             size_t *len, skiff_error_t *err);
typedef bool (*skiff_registry_sink) (const void *data, size_t len, void *sink_data);
int skiff_registry_get_blob (struct skiff_registry_client *r, const char *repository, const char *digest,
                             skiff_registry_sink sink, void *sink_data, skiff_error_t *err);
/* Stream a blob from one of a foreign layer's urls (http or https, no registry credentials sent). */
int skiff_registry_get_url (struct skiff_registry_client *r, const char *url, skiff_registry_sink sink, void *sink_data,
                            skiff_error_t *err);
/* Foreign (non-distributable) layers: Docker's foreign type and OCI's nondistributable ones. podman pulls them
 * from their urls and does not push them. */
bool skiff_media_type_is_foreign (const char *media_type);
/* The foreign type as OCI names it (for an OCI manifest). */
const char *skiff_media_type_foreign_oci (const char *media_type);
/* layers[i].urls of a manifest document (NULL when none); caller frees. */
char **skiff_manifest_layer_urls (const char *json, size_t i);
int skiff_registry_blob_exists (struct skiff_registry_client *r, const char *repository, const char *digest,
                                bool *exists, skiff_error_t *err);
/* Cross-repository mount; *mounted false when the registry started an upload instead (cancelled here). */
int skiff_registry_blob_mount (struct skiff_registry_client *r, const char *repository, const char *from,
                               const char *digest, bool *mounted, skiff_error_t *err);
/* Upload size bytes from fd (from its start): one PUT below chunk_size, PATCH chunks above. progress may be
 * NULL. */
int skiff_registry_blob_upload (struct skiff_registry_client *r, const char *repository, const char *digest, int fd,
                                uint64_t size, uint64_t chunk_size,
                                void (*progress) (uint64_t done, uint64_t total, void *data), void *progress_data,
                                skiff_error_t *err);
int skiff_registry_put_manifest (struct skiff_registry_client *r, const char *repository, const char *reference,
                                 const char *media_type, const char *body, size_t len, skiff_error_t *err);
/* "https" or "http", once pinged */
const char *skiff_registry_scheme (struct skiff_registry_client *r);

/* ---- pull and push ---- */
struct skiff_pull_options
{
  const char *reference;           /* fully qualified: where the image is fetched from */
  const char *name;                /* the name it gets in the store (podman: the one asked for, not the
                                      location registries.conf rewrote it to); NULL: reference */
  const char *os, *arch, *variant; /* NULL: the host's */
  struct skiff_registry_options reg;
  struct skiff_xfer_progress progress;
};
/* Pull into the store; *id_out gets the image ID. Nothing becomes visible unless every digest checks. */
int skiff_image_pull (struct skiff_store *s, const struct skiff_pull_options *o, char **id_out, skiff_error_t *err);

struct skiff_push_options
{
  const char *source;      /* a local image (anything skiff_store_image_lookup accepts) */
  const char *destination; /* fully qualified; NULL: the source name */
  struct skiff_registry_options reg;
  struct skiff_xfer_progress progress;
  uint64_t chunk_size; /* 0: default */
};
/* The digest of the manifest a pull of o->reference would store (for an index, the entry of o's platform),
 * without pulling anything: the pull policy "newer" compares it with the local image's. */
int skiff_image_remote_digest (const struct skiff_pull_options *o, char **digest_out, skiff_error_t *err);

/* Push; *digest_out (may be NULL) gets the manifest digest. */
int skiff_image_push (struct skiff_store *s, const struct skiff_push_options *o, char **digest_out, skiff_error_t *err);

/* The deterministic tar of an extracted layer directory (entries sorted by name, pax where ustar cannot say
 * it, whiteout devices and opaque xattrs turned back into .wh. files) written to fd; hex gets its sha256. */
int skiff_layer_tar (int dirfd, int outfd, char hex[65], uint64_t *size, skiff_error_t *err);

/* Login check: ping with credentials (user/password) and report "invalid username/password". */
int skiff_registry_login (const struct skiff_registry_options *o, const char *registry, const char *user,
                          const char *password, skiff_error_t *err);

#endif
