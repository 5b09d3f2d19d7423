/* Internal to the runtime: the container's mount plan and safe path resolution inside the rootfs. */
#ifndef SKIFF_RUNTIME_MOUNTS_H
#define SKIFF_RUNTIME_MOUNTS_H

#include "runtime/runtime.h"

enum skiff_target_kind
{
  SKIFF_TARGET_EXISTING, /* must exist */
  SKIFF_TARGET_DIR,      /* created as a directory if missing */
  SKIFF_TARGET_FILE,     /* created as an empty file if missing */
};

/* An O_PATH fd for path resolved inside rootfd (symlinks cannot leave it), creating it as kind says. */
int skiff_open_in_root (int rootfd, const char *path, enum skiff_target_kind kind, skiff_error_t *err);
/* Everything below the root: proc, sys, dev, binds, masks. Runs in the container child before pivot_root. */
int skiff_mounts_setup (int rootfd, const struct skiff_container_config *cfg, bool gid5_mapped, skiff_error_t *err);

/* Remount the mount at path read-only, keeping its locked flags. */
int skiff_remount_readonly (const char *path, skiff_error_t *err);

#endif
