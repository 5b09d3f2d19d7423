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

#endif
