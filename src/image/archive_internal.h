/* Private to the image archive files (archive.c, archive_export.c, archive_load.c): the layouts' names
 * and the helpers they share, which carry the arc_ prefix. */
#ifndef SKIFF_IMAGE_ARCHIVE_INTERNAL_H
#define SKIFF_IMAGE_ARCHIVE_INTERNAL_H

#include "image/archive.h"

#define COPY_BLOCK (128 * 1024)
#define OCI_LAYOUT_FILE "oci-layout"
#define OCI_LAYOUT_JSON "{\"imageLayoutVersion\": \"1.0.0\"}"
#define OCI_INDEX_FILE "index.json"
#define OCI_BLOBS_DIR "blobs/sha256"
#define OCI_REF_NAME "org.opencontainers.image.ref.name"
#define CONTAINERD_IMAGE_NAME "io.containerd.image.name"
#define DOCKER_MANIFEST_FILE "manifest.json"
#define DOCKER_REPOSITORIES_FILE "repositories"

/* A progress line for p (which may be NULL or have no fn). */
void arc_progress (const struct skiff_archive_progress *p, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
/* Where temporary files go: $TMPDIR, else /var/tmp. */
const char *arc_tmp_dir (void);

#endif
