/* Private to src/storage: the store handle, the layout's names, the driver table and the unpacker.
 * Unit tests include it to reach the pieces directly; nothing outside storage should. */
#ifndef SKIFF_STORE_INTERNAL_H
#define SKIFF_STORE_INTERNAL_H

#include <archive.h>
#include <pthread.h>
#include <sys/stat.h>

#include "oci/digest.h"
#include "storage/storage.h"

/* ---- layout (relative to the root fd) ---- */
#define STORE_LOCK "storage.lock"
#define STORE_BLOBS "blobs/sha256"
#define STORE_LAYERS "layers"
#define STORE_IMAGES "images"
#define STORE_BY_NAME "images/by-name"
#define STORE_CONTAINERS "containers"
#define STORE_LINKS "l"
#define STORE_EMPTY_LOWER "empty" /* l/empty: the lower directory of an image without layers */
#define STORE_TMP_PREFIX ".tmp-"  /* every temporary entry starts with it; open removes leftovers */
#define LAYER_DIFF "diff"
#define LAYER_SIZE "size"
#define IMAGE_RECORD "image.json"
#define CONTAINER_DIFF "diff"
#define CONTAINER_WORK "work"
#define CONTAINER_MERGED "merged"
#define CONTAINER_LAYERS "layers" /* the image's diff IDs, base first, one a line */
#define CONTAINER_DRIVER "driver" /* the driver that built it */
#define CONTAINER_IMAGE "image"   /* the image ID */
#define RUNROOT_PROBE "driver-probe"

#define OVERLAY_OPAQUE_XATTR "user.overlay.opaque"
#define SKIFF_OVERLAY_LINK_LEN 16 /* l/<first hex digits of the diff ID> */

struct skiff_driver;

struct skiff_store
{
  char *root;
  char *runroot;
  int rootfd;
  int lockfd;
  int lock_depth;                    /* owned by the thread holding lock_mutex */
  pthread_mutex_t lock_mutex;        /* recursive: threads of one process share the flock, so they queue here */
  char *driver_request;              /* explicit choice (options or STORAGE_DRIVER), or NULL */
  const struct skiff_driver *driver; /* resolved on first need */
  uint64_t unpack_limit;             /* 0: the free space of the filesystem */
};

/* ---- locking: mutations hold an exclusive flock on root/storage.lock; it nests within one thread, and threads
 * of one process (parallel layer pulls) exclude one another with a mutex, since they share the flock ---- */
int store_lock (struct skiff_store *s, skiff_error_t *err);
void store_unlock (struct skiff_store *s);

/* ---- drivers ---- */
struct skiff_driver
{
  const char *name;
  /* Can this driver work here? On failure the error names the cause and the fix. */
  int (*probe) (struct skiff_store *s, skiff_error_t *err);
  /* Fill the container directory cdir (an fd on a fresh temporary dir) for layers (diff IDs, base first). */
  int (*create) (struct skiff_store *s, int cdirfd, char *const *layers, skiff_error_t *err);
  /* Mount; *path gets the root filesystem's path. cid names containers/<cid>. */
  int (*mount) (struct skiff_store *s, const char *cid, char *const *layers, char **path, skiff_error_t *err);
  int (*unmount) (struct skiff_store *s, const char *cid, skiff_error_t *err);
  /* Unmount and delete containers/<cid> (files of any mapped owner, any mode). */
  int (*remove) (struct skiff_store *s, const char *cid, skiff_error_t *err);
};
extern const struct skiff_driver skiff_driver_overlay;
extern const struct skiff_driver skiff_driver_fuse_overlayfs;
extern const struct skiff_driver skiff_driver_vfs;
const struct skiff_driver *store_driver_by_name (const char *name);
int store_resolve_driver (struct skiff_store *s, const struct skiff_driver **out, skiff_error_t *err);
/* Above this many bytes the overlay option string uses short links under root/l (tests lower it). */
extern size_t skiff_overlay_max_options;
/* overlay and fuse-overlayfs share the container layout: diff (upper), work, merged */
int store_overlay_create (struct skiff_store *s, int cdirfd, char *const *layers, skiff_error_t *err);
/* Unmount path if something is mounted there (MNT_DETACH); not mounted is fine. */
int store_unmount_path (const char *path, skiff_error_t *err);
bool store_is_mountpoint (const char *path);
/* Build the overlay-style option string "lowerdir=...,upperdir=...,workdir=..." for container cid,
 * using short links when the absolute form is too long; *relative tells the caller to mount from root. */
int store_overlay_options (struct skiff_store *s, const char *cid, char *const *layers, const char *extra,
                           bool allow_short_links, char **out, bool *relative, skiff_error_t *err);

/* ---- unpacking a tar stream into a directory ---- */
struct unpack_stats
{
  uint64_t entries;
  uint64_t bytes; /* file data written (declared sizes) */
};
/* Extract every entry of a (opened) into the directory destfd, never writing outside it.
 * limit caps the declared bytes of regular files (decompression bombs). */
int skiff_unpack (struct archive *a, int destfd, uint64_t limit, struct unpack_stats *stats, skiff_error_t *err);
/* chown that falls back to keeping root when the ID is not mapped (single-ID user namespace). */
int unpack_chown (int dirfd, const char *name, uid_t uid, gid_t gid, int flags, skiff_error_t *err);
bool skiff_xattr_allowed (const char *name);

/* ---- blobs ---- */
int store_blob_put (struct skiff_store *s, const void *data, size_t len, char hex[SKIFF_DIGEST_HEX_LEN + 1],
                    skiff_error_t *err);
int store_blob_get (struct skiff_store *s, const char *hex, char **data, size_t *len, skiff_error_t *err);
void store_blob_remove (struct skiff_store *s, const char *hex);

/* ---- layers ---- */
bool store_layer_exists (struct skiff_store *s, const char *hex);
/* Apply a (compressed or not) layer tar from fd as a new layer. expected (hex or NULL) is verified before the
 * layer becomes visible. The store lock is taken only to create the temporary directory and to publish it, so
 * layers extract in parallel (threads or processes); a caller may hold the lock (import does) and then
 * serializes. Safe to call from several threads on one store. */
int store_layer_apply_locked (struct skiff_store *s, int fd, const char *expected, char hex[SKIFF_DIGEST_HEX_LEN + 1],
                              uint64_t *size, skiff_error_t *err);
uint64_t store_layer_size (struct skiff_store *s, const char *hex);
/* ---- gc.c ---- */
/* Delete the candidate layers no image and no container references; caller holds the lock. */
int store_layers_gc_locked (struct skiff_store *s, char *const *candidates, skiff_error_t *err);

/* ---- images ---- */
/* Load the record of image id (64 hex); with_config also parses its config blob. */
int store_image_load (struct skiff_store *s, const char *id, bool with_config, struct skiff_image **out,
                      skiff_error_t *err);
int store_images_load_all (struct skiff_store *s, bool with_config, struct skiff_image ***out, size_t *n,
                           skiff_error_t *err);

/* ---- containers ---- */
char **store_container_layers (struct skiff_store *s, const char *cid, skiff_error_t *err);
/* The drivers' remove: nothing mounted below containers/<cid> any more, then an atomic removal. */
int store_container_remove (struct skiff_store *s, const char *cid, skiff_error_t *err);

/* ---- misc ---- */
/* The directories every store has (blobs, layers, images/by-name, containers, l). */
int store_make_skeleton (struct skiff_store *s, skiff_error_t *err);
/* A fresh temporary directory under parentfd ("<prefix>XXXXXX"); *name gets its name. */
int store_mkdtemp_at (int parentfd, char **name, skiff_error_t *err);
/* Remove leftovers of crashed operations (entries named .tmp-*) under the store. Caller holds the lock. A
 * temporary directory whose own flock is held (a layer being extracted by a live process) is kept. */
void store_clean_temporaries (struct skiff_store *s);
/* Remove a directory by first renaming it to a temporary name, so that it disappears atomically. */
int store_remove_dir_atomic (int parentfd, const char *name, skiff_error_t *err);
bool store_valid_container_id (const char *cid);

#endif
