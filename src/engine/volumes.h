/* Volumes, podman's way: named volumes in the user's store, made by `volume create` or on first use by -v NAME:DST,
 * anonymous ones for -v /DST and an image's VOLUMEs, filled from the image on first mount (copy-up), removed
 * only when no container uses them (or with their containers, -f). The command layer's way in. */
#ifndef SKIFF_ENGINE_VOLUMES_H
#define SKIFF_ENGINE_VOLUMES_H

#include <json-c/json.h>

#include "engine/engine.h"
#include "storage/storage.h"

/* The local driver is the only one */
#define SKIFF_VOLUME_DRIVER "local"

struct skiff_volume_filter
{
  char **names;  /* name=REGEX: any matches */
  char **labels; /* label=K[=V]: all match */
  int dangling;  /* -1 not asked; 1 used by no container; 0 used */
  int anonymous; /* -1 not asked */
};

/* A new volume (name NULL: an anonymous-style random name); EEXIST unless ignore. *name_out gets its name. */
int skiff_engine_volume_create (struct skiff_engine *e, const char *name, char *const *labels, char *const *options,
                                bool ignore, char **name_out, skiff_error_t *err);
/* ENOENT: podman's "no volume with name \"X\" found: no such volume" */
int skiff_engine_volume_get (struct skiff_engine *e, const char *name, struct skiff_volume **out, skiff_error_t *err);
/* Volumes matching f (NULL: all), by name */
int skiff_engine_volume_list (struct skiff_engine *e, const struct skiff_volume_filter *f, struct skiff_volume ***out,
                              size_t *n, skiff_error_t *err);
/* The IDs of the containers whose records mount volume name */
char **skiff_engine_volume_users (struct skiff_engine *e, const char *name);
/* Remove; a volume in use is podman's error (status EBUSY, exit 2) unless force, which removes its containers
 * first */
int skiff_engine_volume_remove (struct skiff_engine *e, const char *name, bool force, skiff_error_t *err);
/* Remove every volume no container uses that matches f; *removed gets their names */
int skiff_engine_volume_prune (struct skiff_engine *e, const struct skiff_volume_filter *f, char ***removed,
                               skiff_error_t *err);
/* podman's volume inspect / volume ls --format json object */
json_object *skiff_engine_volume_json (const struct skiff_volume *v);
/* "name", "label", "dangling", "driver", "anonymous" filters (KEY=VALUE), podman's errors */
int skiff_volume_filter_parse (struct skiff_volume_filter *f, const char *arg, skiff_error_t *err);
void skiff_volume_filter_release (struct skiff_volume_filter *f);

/* ---- the engine's own (create, start, rm) ---- */
struct skiff_container;
struct skiff_spec;
struct skiff_image;
struct skiff_user_mount;
/* At create, before anything is made: bind sources exist, --volumes-from's containers exist */
int skiff_volumes_check (struct skiff_engine *e, const struct skiff_spec *s, skiff_error_t *err);
/* At create: c->mounts gets --volumes-from's mounts, an anonymous volume for -v /DST and each of the image's
 * VOLUMEs not covered; named volumes are made when missing. *made lists the volumes made (for undo). */
int skiff_volumes_prepare (struct skiff_engine *e, struct skiff_container *c, const struct skiff_spec *s,
                           const struct skiff_image *img, char ***made, skiff_error_t *err);
void skiff_volumes_undo (struct skiff_engine *e, char *const *made);
/* At start: c's mounts as the runtime takes them (volumes resolved to their _data, copy-up marked once) */
int skiff_volumes_launch (struct skiff_engine *e, const struct skiff_container *c, struct skiff_user_mount **out,
                          size_t *n, skiff_error_t *err);
void skiff_user_mounts_free (struct skiff_user_mount *m, size_t n);
/* After c is removed (run --rm, rm -v): its anonymous volumes that no other container uses */
void skiff_volumes_remove_anonymous (struct skiff_engine *e, const struct skiff_container *c);
/* inspect's .Mounts (podman's shape), or ps's (the destinations) */
json_object *skiff_volumes_inspect_mounts (struct skiff_engine *e, const struct skiff_container *c,
                                           bool destinations_only);

#endif
