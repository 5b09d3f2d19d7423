/* The content-addressed store: blobs by sha256, layers stored once by diff ID, images as records
 * naming their layers, and container root filesystems built by a driver (overlay, fuse-overlayfs, vfs).
 * Everything here runs inside skiff's user namespace (as the mapped root). */
#ifndef SKIFF_STORAGE_H
#define SKIFF_STORAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "oci/image.h"
#include "util/util.h"

struct skiff_store;

struct skiff_store_options
{
  const char *root;    /* graph root, e.g. ~/.local/share/skiff/storage */
  const char *runroot; /* run root, e.g. $XDG_RUNTIME_DIR/skiff */
  const char *driver;  /* "overlay", "fuse-overlayfs", "vfs" or NULL for automatic */
};

int skiff_store_open (const struct skiff_store_options *opts, struct skiff_store **out, skiff_error_t *err);
void skiff_store_free (struct skiff_store *s);
const char *skiff_store_root (struct skiff_store *s);
const char *skiff_store_runroot (struct skiff_store *s);
/* Cap on the bytes one layer may extract (decompression bombs); 0, the default, means the free space of
 * the storage filesystem. */
void skiff_store_set_unpack_limit (struct skiff_store *s, uint64_t bytes);
/* The driver in use, resolved on first need (automatic probing happens once and is cached in runroot). */
int skiff_store_driver (struct skiff_store *s, const char **name, skiff_error_t *err);

struct skiff_image
{
  char *id;            /* 64 hex: sha256 of the config blob */
  char *digest;        /* "sha256:<hex>" of the manifest */
  char **names;        /* normalized references, "localhost/foo:latest" */
  char **layers;       /* diff IDs as 64 hex, base layer first */
  uint64_t created_ns; /* from the config's created, ns since epoch (0 if absent) */
  uint64_t size;       /* sum of uncompressed layer sizes */
  struct skiff_image_config *config;
};
void skiff_image_free (struct skiff_image *img);

/* Find an image by name (normalized as podman does: "foo" -> "localhost/foo:latest", and every
 * registry-qualified name stored), by full ID, or by a unique ID prefix (at least 3 hex chars).
 * A miss fails with ENOENT and the message "<ref>: image not known". */
int skiff_store_image_lookup (struct skiff_store *s, const char *ref, struct skiff_image **out, skiff_error_t *err);
int skiff_store_image_list (struct skiff_store *s, struct skiff_image ***out, size_t *n, skiff_error_t *err);
/* Import a root filesystem tarball (uncompressed, gzip, zstd, xz, bzip2) read from fd as a one-layer image.
 * name may be NULL (untagged). changes are applied with skiff_image_config_apply_change. *id_out gets the ID. */
int skiff_store_import (struct skiff_store *s, int fd, const char *name, char *const *changes, char **id_out,
                        skiff_error_t *err);
/* For pulls: apply a layer blob (a tar, compressed or not) read from fd. With expected_diff_id
 * ("sha256:<hex>") the content is verified before the layer becomes visible; *diff_id (may be NULL) gets
 * "sha256:<hex>". An existing layer is kept (stored once). Several layers may be applied at once, from threads
 * sharing s or from other processes: the store lock is held only to publish. */
int skiff_store_layer_apply (struct skiff_store *s, int fd, const char *expected_diff_id, char **diff_id,
                             skiff_error_t *err);
bool skiff_store_layer_exists (struct skiff_store *s, const char *diff_id);
/* The extracted layer's directory (for export), or NULL if absent; caller frees. */
char *skiff_store_layer_path (struct skiff_store *s, const char *diff_id);
/* For pulls: record an image from its manifest and config (every diff ID must have been applied).
 * names are normalized; a name another image had moves to this one. */
int skiff_store_image_create (struct skiff_store *s, const char *manifest_json, size_t manifest_len,
                              const char *config_json, size_t config_len, char *const *names, char **id_out,
                              skiff_error_t *err);
/* Content-addressed blobs (manifests, configs): put returns the hex digest; get takes "sha256:<hex>". */
int skiff_store_blob_put (struct skiff_store *s, const void *data, size_t len, char hex[65], skiff_error_t *err);
int skiff_store_blob_get (struct skiff_store *s, const char *digest, char **data, size_t *len, skiff_error_t *err);

/* Remove an image (by anything lookup accepts). Removing a name of an image with other names only untags.
 * in_use is a callback telling whether a container uses image id; with force those containers are the
 * caller's business. *untagged and *deleted get what was done (for podman's "Untagged:"/"Deleted:" lines). */
int skiff_store_image_remove (struct skiff_store *s, const char *ref, bool force,
                              bool (*in_use) (const char *image_id, void *data), void *data, char ***untagged,
                              char ***deleted, skiff_error_t *err);
/* Take name from image id (full ID); the image stays, untagged (<none>) when that was its last name. */
int skiff_store_image_untag (struct skiff_store *s, const char *id, const char *name, skiff_error_t *err);
int skiff_store_image_tag (struct skiff_store *s, const char *ref, const char *new_name, skiff_error_t *err);

/* Container root filesystems. create makes the container's writable layer for image img;
 * mount mounts it (idempotent: a second mount returns the same path) and returns the merged path;
 * unmount undoes mount; delete removes everything of the container's layer (unmounting first). */
int skiff_store_rootfs_create (struct skiff_store *s, const struct skiff_image *img, const char *container_id,
                               skiff_error_t *err);
int skiff_store_rootfs_mount (struct skiff_store *s, const char *container_id, char **merged, skiff_error_t *err);
int skiff_store_rootfs_unmount (struct skiff_store *s, const char *container_id, skiff_error_t *err);
int skiff_store_rootfs_delete (struct skiff_store *s, const char *container_id, skiff_error_t *err);

/* Where a container's layer lives, and what the engine keeps next to it (one removal takes both):
 * <root>/containers/<id> (id NULL: the directory of all of them). Path arithmetic only: no store needed. */
char *skiff_storage_container_dir (const char *root, const char *id);
/* A file of the container's directory: the engine's userdata (SKIFF_CONTAINER_LOG, hosts, ...) */
char *skiff_storage_container_file (const char *root, const char *id, const char *file);
/* What the container's writable layer holds, for its size (inspect --size) */
char *skiff_storage_container_diff (const char *root, const char *id);
/* The driver that made the container's layer; NULL when unknown. Caller frees. */
char *skiff_storage_container_driver (const char *root, const char *id);
#define SKIFF_CONTAINER_LOG "ctr.log" /* the k8s-file log, podman's name */

/* Remove everything under root and runroot (skiff system reset). Unmounts first. */
int skiff_store_reset (struct skiff_store *s, skiff_error_t *err);

/* Normalize an image reference as podman does for local names: add "localhost/" when the first
 * component is not a domain (has no '.' or ':' and is not "localhost"), add ":latest" when there is no tag
 * and no digest. Returns NULL with an error for a malformed reference. */
char *skiff_reference_normalize (const char *ref, skiff_error_t *err);
/* True when ref has no registry part ("foo", "library/foo"), i.e. normalization would add "localhost/". */
bool skiff_reference_is_short (const char *ref);

/* ---- volumes (volumes.c): <root>/volumes/<name>/{volume.json,_data} ---- */
struct skiff_volume
{
  char *name;
  char *mountpoint; /* the _data directory, absolute */
  int64_t created_ns;
  char **labels;      /* "KEY=VALUE" */
  char **options;     /* "KEY=VALUE" (volume create -o) */
  bool anonymous;     /* made for a container (-v /path, an image's VOLUME) */
  bool needs_copy_up; /* not yet filled from an image */
  bool needs_chown;
};
void skiff_volume_free (struct skiff_volume *v);
void skiff_volume_list_free (struct skiff_volume **v, size_t n);
char *skiff_storage_volume_data (const char *root, const char *name);
/* EEXIST: podman's "volume with name X already exists" */
int skiff_store_volume_create (struct skiff_store *s, const struct skiff_volume *v, skiff_error_t *err);
/* ENOENT: podman's "no volume with name \"X\" found: no such volume" */
int skiff_store_volume_get (struct skiff_store *s, const char *name, struct skiff_volume **out, skiff_error_t *err);
/* every volume, by name */
int skiff_store_volume_list (struct skiff_store *s, struct skiff_volume ***out, size_t *n, skiff_error_t *err);
/* rewrite v's record (copy-up done, ...) */
int skiff_store_volume_update (struct skiff_store *s, const struct skiff_volume *v, skiff_error_t *err);
int skiff_store_volume_remove (struct skiff_store *s, const char *name, skiff_error_t *err);

/* ---- trees as tar streams (treetar.c): cp to stdout or from stdin, export ---- */
/* Write the entry `name` of dirfd ("" with AT_EMPTY_PATH semantics: dirfd itself) as a tar to outfd: a file as
 * the one member `as`, a directory as `as/` and everything below it (as "": its contents at the archive's
 * root). Symlinks are never followed; one_fs: directories on another file system than the top are listed
 * but not entered (a running container's /proc, /sys, /dev). */
int skiff_tree_tar (int dirfd, const char *name, const char *as, bool one_fs, int outfd, skiff_error_t *err);
/* Extract a tar (plain, gzip, zstd, xz, bzip2) read from fd below the directory destfd, never writing outside
 * it (the layer extractor's rules); regular files may declare at most limit bytes in all (0: the free space
 * of destfd's file system). Status EILSEQ when the input is not a tar, EFBIG over the limit. */
int skiff_tree_untar (int fd, int destfd, uint64_t limit, skiff_error_t *err);

#endif
