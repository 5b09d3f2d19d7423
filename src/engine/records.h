/*/* Container records on disk: <root>/engine/containers/<id>.json, and names reserved atomically as
 * <root>/engine/names/<name> symlinks to the id (symlink(2) fails with EEXIST: no lock needed). */
#ifndef SKIFF_ENGINE_RECORDS_H
#define SKIFF_ENGINE_RECORDS_H

#include <json-c/json.h>

#include "engine/engine.h"

/* Reserve name (or a generated one when name is NULL) for id and write the record. *name_out gets the name.
 * durable: fsync the record (not worth it for a --rm container, whose record dies with it). */
int skiff_records_create (struct skiff_engine *e, const char *id, const char *name, json_object *record, bool durable,
                          char **name_out, skiff_error_t *err);
int skiff_records_update (struct skiff_engine *e, const char *id, json_object *record, bool durable,
                          skiff_error_t *err);
/* Free a name at once (the record may go later). */
int skiff_records_release_name (struct skiff_engine *e, const char *name, skiff_error_t *err);
int skiff_records_remove (struct skiff_engine *e, const char *id, const char *name, skiff_error_t *err);
bool skiff_records_exists (struct skiff_engine *e, const char *id);
int skiff_records_remove_all (struct skiff_engine *e, skiff_error_t *err);
/* podman's rule for container and pod names: [a-zA-Z0-9][a-zA-Z0-9_.-]*, shorter than 254. */
bool skiff_name_valid (const char *name);
/* A podman-style random name: adjective_surname. */
char *skiff_random_name (void);

#endif
