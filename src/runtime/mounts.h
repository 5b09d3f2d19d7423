/* Internal to the runtime: the container's mount plan and safe path resolution inside the rootfs.
 * The plan is data, in bubblewrap's manner: skiff_mount_plan_build turns the container config into a list of
 * operations (no system call), skiff_mount_plan_execute carries them out in one place, in the container
 * child before pivot_root. Unit tests check the plan without privileges; volumes and --tmpfs add operations
 * of the kinds below. */
#ifndef SKIFF_RUNTIME_MOUNTS_H
#define SKIFF_RUNTIME_MOUNTS_H

#include "runtime/runtime.h"

enum skiff_target_kind
{
  SKIFF_TARGET_EXISTING,    /* must exist */
  SKIFF_TARGET_DIR,         /* created as a directory if missing */
  SKIFF_TARGET_FILE,        /* created as an empty file if missing */
  SKIFF_TARGET_LIKE_SOURCE, /* a bind's target: a directory for a directory, else a file */
};

enum skiff_mount_kind
{
  SKIFF_MOUNT_FS,            /* a new filesystem: fstype, source, flags, data (proc, sysfs, devpts, mqueue) */
  SKIFF_MOUNT_TMPFS,         /* a tmpfs: flags, data its options (/dev, /dev/shm, --read-only-tmpfs, --tmpfs) */
  SKIFF_MOUNT_OVERLAY,       /* an overlay of lower (':'-separated), upper and work (image volumes, type=overlay) */
  SKIFF_MOUNT_BIND,          /* a host path (source) on target: recursive, readonly, propagation */
  SKIFF_MOUNT_SYMLINK,       /* target, a symlink whose text is source */
  SKIFF_MOUNT_MASK,          /* hide target: /dev/null over a file, one empty read-only tmpfs over directories */
  SKIFF_MOUNT_READONLY,      /* make target read-only where it is (bind it on itself, remount) */
  SKIFF_MOUNT_ROOT_READONLY, /* the root filesystem read-only, once everything else is mounted (--read-only) */
};

struct skiff_mount_op
{
  enum skiff_mount_kind kind;
  char *target;               /* absolute, inside the container */
  char *source;               /* BIND: host path; FS, TMPFS: the source name; SYMLINK: the link's text */
  char *fstype;               /* FS */
  char *data;                 /* FS, TMPFS, OVERLAY: options (OVERLAY: added after lowerdir/upperdir/workdir) */
  char *lower, *upper, *work; /* OVERLAY */
  unsigned long flags;        /* FS, TMPFS, OVERLAY: MS_* of the new mount */
  enum skiff_target_kind target_kind;
  bool recursive;            /* BIND: MS_REC; with readonly every mount below becomes read-only too */
  bool readonly;             /* BIND, READONLY */
  unsigned long propagation; /* BIND: MS_PRIVATE, MS_SLAVE, MS_SHARED or MS_UNBINDABLE (| MS_REC); 0: as is */
  bool optional;             /* a target that does not exist is skipped (MASK, READONLY) */
  char *fallback_bind; /* FS: when the filesystem cannot be mounted here, bind this host path (recursive, read-only
                          when flags say MS_RDONLY) */
  /* user mounts */
  unsigned long bind_flags; /* BIND: MS_NOSUID | MS_NODEV | MS_NOEXEC, applied by a remount */
  bool copy_up;             /* BIND: an empty source directory first gets a copy of what the root has at target */
};

struct skiff_mount_plan
{
  struct skiff_mount_op *ops;
  size_t n;
};

/* Append an operation (zeroed but for kind and a copy of target); fill the rest, strings xstrdup'ed. */
struct skiff_mount_op *skiff_mount_plan_add (struct skiff_mount_plan *p, enum skiff_mount_kind kind,
                                             const char *target);
/* Everything below the root of cfg, in order: /proc, /sys, /dev (device nodes, links, devpts, shm, mqueue),
 * cfg's binds, --read-only-tmpfs's tmpfs, masked and read-only paths, and a read-only root last. */
void skiff_mount_plan_build (const struct skiff_container_config *cfg, bool gid5_mapped, struct skiff_mount_plan *p);
void skiff_mount_plan_release (struct skiff_mount_plan *p);
/* Carry the plan out below rootfd (the container's root filesystem, bind-mounted on itself). Stops at the
 * first failure. */
int skiff_mount_plan_execute (int rootfd, const struct skiff_mount_plan *p, skiff_error_t *err);

/* An O_PATH fd for path resolved inside rootfd (symlinks cannot leave it), creating it as kind says. */
int skiff_open_in_root (int rootfd, const char *path, enum skiff_target_kind kind, skiff_error_t *err);
/* The plan for cfg, built and executed. Runs in the container child before pivot_root. */
int skiff_mounts_setup (int rootfd, const struct skiff_container_config *cfg, bool gid5_mapped, skiff_error_t *err);

/* Copy the tree below the directory srcfd into the directory dstfd (owners, modes, symlinks, times kept),
 * when dstfd is empty: a new volume's first content (copyup.c) */
int skiff_copy_up (int srcfd, int dstfd, skiff_error_t *err);
/* chown -R path (symlinks themselves, never followed) unless its top is theirs already: the U volume option */
int skiff_chown_tree (const char *path, uid_t uid, gid_t gid, skiff_error_t *err);

/* Remount the mount at path read-only, keeping its locked flags. */
int skiff_remount_readonly (const char *path, skiff_error_t *err);
/* The mount at path and every mount below it read-only (mount_setattr(2) with AT_RECURSIVE; before Linux 5.12,
 * or with SKIFF_TEST_NO_MOUNT_SETATTR=1, one remount per mount found in /proc/self/mountinfo). */
int skiff_remount_readonly_recursive (const char *path, skiff_error_t *err);
/* The mount points in mountinfo (/proc/self/mountinfo's text) that are path or below it, unescaped, in order. */
char **skiff_mountinfo_below (const char *mountinfo, const char *path);

#endif
