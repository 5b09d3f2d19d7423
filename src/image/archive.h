/* Image archives, as podman save/load write and read them: docker-archive (docker save's manifest.json
 * format) and oci-archive (a tar of an OCI image layout). Layers are exported by re-tarring the store's
 * extracted layer directories deterministically, so the same layer always gives the same diff ID. */
#ifndef SKIFF_IMAGE_ARCHIVE_H
#define SKIFF_IMAGE_ARCHIVE_H

#include <stdint.h>

#include "oci/digest.h"
#include "skiff/xfer.h"
#include "storage/storage.h"
#include "util/util.h"

enum skiff_archive_format
{
  SKIFF_ARCHIVE_DOCKER, /* docker-archive: podman's default */
  SKIFF_ARCHIVE_OCI,    /* oci-archive */
};

/* "docker-archive" or "oci-archive"; anything else fails naming the supported formats. */
int skiff_archive_format_parse (const char *name, enum skiff_archive_format *out, skiff_error_t *err);

/* Write the images refs (names or IDs; several names of one image become one entry with several tags)
 * as one archive to outfd. Nothing is written to outfd before every ref has been found. */
int skiff_image_save (struct skiff_store *s, char *const *refs, enum skiff_archive_format format, int outfd,
                      const struct skiff_archive_progress *progress, skiff_error_t *err);

/* Read an archive (either format, auto-detected; uncompressed, gzip, zstd, xz or bzip2) from fd and create
 * its images. *loaded gets what podman prints after "Loaded image: ": every name, or "sha256:<id>" for an
 * untagged image. The archive's index (manifest.json, index.json) is read first and only what it references
 * is extracted, into a private directory under $TMPDIR (else /var/tmp), capped; sparse members are refused.
 * Everything is checked (digests, diff IDs) before the first layer is stored. With s NULL everything is read
 * and checked but nothing stored (the fuzz harness). */
int skiff_image_load (struct skiff_store *s, int fd, char ***loaded, const struct skiff_archive_progress *progress,
                      skiff_error_t *err);

/* Export the layer directory dirfd as a tar to outfd: entries sorted, pax format, owners, modes, times,
 * xattrs, hardlinks and symlinks kept; overlay whiteouts (0/0 character devices, user.overlay.opaque)
 * written back as .wh. files. hex gets the diff ID (sha256 of the tar), *size its length. */
int skiff_layer_export (int dirfd, int outfd, char hex[SKIFF_DIGEST_HEX_LEN + 1], uint64_t *size, skiff_error_t *err);

#endif
