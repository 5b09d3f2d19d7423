/* User-namespace modes (userns.c): a container's ID map over skiff's own user namespace, built from --userns,
 * and its root filesystem made to match it. Maps go from the container (inside) to skiff's namespace (outside). */
#ifndef SKIFF_ENGINE_USERNS_H
#define SKIFF_ENGINE_USERNS_H

#include "engine/spec.h"
#include "runtime/runtime.h"

/* The caller's IDs on the host and how many IDs skiff's namespace holds (1 outside of it, or without a
 * subordinate range) */
int skiff_userns_caller (uid_t *uid, gid_t *gid, uint32_t *nuids, uint32_t *ngids, skiff_error_t *err);
/* podman's rootless maps: keep-id puts the caller (0 outside) at uid/gid and the subordinate IDs (1..n-1 outside)
 * around it. HOST leaves out->nuid == 0 (no namespace of its own). nuids and
 * ngids count the IDs of skiff's namespace; fewer than 2 is podman's keep-id error. */
int skiff_userns_build_map (const struct skiff_userns_spec *u, uid_t caller_uid, gid_t caller_gid, uint32_t nuids,
                            uint32_t ngids, struct skiff_idmap *out, skiff_error_t *err);
/* A container ID in skiff's namespace and back; -1: not mapped */
int64_t skiff_userns_to_outside (const struct skiff_idmap *m, bool gid, uint32_t id);
int64_t skiff_userns_to_container (const struct skiff_idmap *m, bool gid, uint32_t id);
/* "inside:outside:count" each (podman's inspect IDMappings); and back (-1 on a malformed entry) */
char **skiff_userns_map_strv (const struct skiff_idrange *r, size_t n);
int skiff_userns_map_parse_strv (char *const *v, struct skiff_idrange *r, size_t *n);
/* Shift every owner below rootfs (mounted) to map, and add keep-id's passwd and group entries (the user's home:
 * home, the container's working directory) */
int skiff_userns_prepare_rootfs (const char *rootfs, const struct skiff_userns_spec *u, const struct skiff_idmap *map,
                                 uid_t caller_uid, gid_t caller_gid, const char *home, skiff_error_t *err);

#endif
