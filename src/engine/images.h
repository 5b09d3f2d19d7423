/* Images as the engine sees them: an image is in use while a container record names it, and removing one
 * with force removes those containers first (podman's rmi -f). */
#ifndef SKIFF_ENGINE_IMAGES_H
#define SKIFF_ENGINE_IMAGES_H

#include <stdbool.h>

#include "engine/engine.h"
#include "skiff/xfer.h"

/* Remove one image as podman's rmi does: a name of an image with other names is only untagged; an image a
 * container uses is refused (EBUSY, "image used by ID: ...") unless force, which removes those containers
 * first (running ones are killed); with force or all an image is deleted by ID whatever its names. ENOENT
 * when there is no such image. *untagged and *deleted get what was done, for podman's "Untagged:" and
 * "Deleted:" lines. */
int skiff_engine_image_remove (struct skiff_engine *e, const char *ref, bool force, bool all, char ***untagged,
                               char ***deleted, skiff_error_t *err);

/* A local image as run finds it: anything skiff_store_image_lookup accepts, then a short name through its
 * registries.conf alias, localhost/NAME and each search registry. ENOENT when there is none. */
int skiff_engine_image_lookup (struct skiff_engine *e, const char *name, struct skiff_image **out, skiff_error_t *err);

struct skiff_engine_save
{
  char *const *refs;  /* names or IDs, NULL-terminated */
  const char *format; /* "docker-archive" (NULL) or "oci-archive" */
  bool compress;      /* --compress: only for directory formats, which skiff does not write */
  const char *output; /* a file, replaced only once the archive is complete; NULL: fd */
  int fd;
  struct skiff_archive_progress progress;
};

/* save: the format and options checked first, then the archive written to a temporary file beside output and
 * renamed over it (a failed save leaves nothing under output), or to fd. */
int skiff_engine_image_save (struct skiff_engine *e, const struct skiff_engine_save *q, skiff_error_t *err);

/* load: an archive of either format from fd; *loaded gets what podman prints after "Loaded image: ". */
int skiff_engine_image_load (struct skiff_engine *e, int fd, char ***loaded,
                             const struct skiff_archive_progress *progress, skiff_error_t *err);

#endif
