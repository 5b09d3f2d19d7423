/* OCI image config, manifest and index as typed structs to and from JSON (json-c). No I/O. */
#ifndef SKIFF_OCI_IMAGE_H
#define SKIFF_OCI_IMAGE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/util.h"

/* Media types */
#define OCI_MEDIA_TYPE_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define OCI_MEDIA_TYPE_INDEX "application/vnd.oci.image.index.v1+json"
#define OCI_MEDIA_TYPE_CONFIG "application/vnd.oci.image.config.v1+json"
#define OCI_MEDIA_TYPE_LAYER "application/vnd.oci.image.layer.v1.tar"
#define OCI_MEDIA_TYPE_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define OCI_MEDIA_TYPE_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"

/* The image config (https://github.com/opencontainers/image-spec/blob/main/config.md).
 * Every string may be NULL; every strv may be NULL. */
struct skiff_image_config
{
  char *created; /* RFC 3339 */
  char *author;
  char *architecture;
  char *os;
  char *variant;
  /* config */
  char *user;
  char **env;
  char **entrypoint;
  char **cmd;
  char *working_dir;
  char *stop_signal;
  char **exposed_ports; /* "80/tcp" */
  char **volumes;
  char **label_keys; /* labels as two parallel vectors, same length */
  char **label_values;
  /* rootfs */
  char **diff_ids; /* "sha256:<hex>" */
  /* history entries are kept only in raw */
  json_object *raw; /* the whole document as parsed or last serialized; owned */
};

int skiff_image_config_parse (const char *json, size_t len, struct skiff_image_config **out, skiff_error_t *err);
/* Serialize (canonical: keys in a fixed order, no whitespace); caller frees. */
char *skiff_image_config_to_json (const struct skiff_image_config *c);
struct skiff_image_config *skiff_image_config_new (void);
void skiff_image_config_free (struct skiff_image_config *c);
/* Apply one Dockerfile-style change ("CMD=[\"sh\"]", "CMD sh -c x", "ENV=A=b", "WORKDIR=/x",
 * "ENTRYPOINT=...", "USER=...", "LABEL=k=v", "EXPOSE=80/tcp", "VOLUME=/data", "STOPSIGNAL=TERM"),
 * as `podman import --change` does. Unknown instruction: error naming the supported ones. */
int skiff_image_config_apply_change (struct skiff_image_config *c, const char *change, skiff_error_t *err);
/* Append a history entry (kept in raw); created_by and comment may be NULL. */
int skiff_image_config_add_history (struct skiff_image_config *c, const char *created, const char *created_by,
                                    const char *comment, bool empty_layer);

/* A content descriptor; platform fields only in index entries (else NULL). */
struct skiff_oci_descriptor
{
  char *media_type;
  char *digest; /* "sha256:<hex>" */
  uint64_t size;
  char *architecture;
  char *os;
  char *variant;
};

struct skiff_oci_manifest
{
  char *media_type; /* may be NULL (optional in old documents) */
  struct skiff_oci_descriptor config;
  struct skiff_oci_descriptor *layers;
  size_t n_layers;
};
/* Parses OCI and Docker schema 2 manifests (both have this shape). */
int skiff_oci_manifest_parse (const char *json, size_t len, struct skiff_oci_manifest **out, skiff_error_t *err);
char *skiff_oci_manifest_to_json (const struct skiff_oci_manifest *m);
void skiff_oci_manifest_free (struct skiff_oci_manifest *m);

struct skiff_oci_index
{
  char *media_type;
  struct skiff_oci_descriptor *manifests;
  size_t n_manifests;
};
int skiff_oci_index_parse (const char *json, size_t len, struct skiff_oci_index **out, skiff_error_t *err);
void skiff_oci_index_free (struct skiff_oci_index *idx);

/* RFC 3339 ("2024-01-02T03:04:05.123Z", "...+02:00") to ns since the epoch; -1 when malformed. */
int skiff_rfc3339_parse (const char *s, uint64_t *ns);
/* uname's machine ("x86_64") to the OCI/Go architecture name ("amd64"); unknown names pass through. */
const char *skiff_oci_goarch (const char *machine);

#endif
