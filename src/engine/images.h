/* Images as the engine sees them: an image is in use while a container record names it, and removing one
 * with force removes those containers first (podman's rmi -f). */
#ifndef SKIFF_ENGINE_IMAGES_H
#define SKIFF_ENGINE_IMAGES_H

#include <stdbool.h>

#include "engine/engine.h"

/* Remove one image as podman's rmi does: a name of an image with other names is only untagged; an image a
 * container uses is refused (EBUSY, "image used by ID: ...") unless force, which removes those containers
 * first (running ones are killed); with force or all an image is deleted by ID whatever its names. ENOENT
 * when there is no such image. *untagged and *deleted get what was done, for podman's "Untagged:" and
 * "Deleted:" lines. */
int skiff_engine_image_remove (struct skiff_engine *e, const char *ref, bool force, bool all, char ***untagged,
                               char ***deleted, skiff_error_t *err);

#endif
