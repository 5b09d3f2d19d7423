/* Private to the image archive files (archive.c, archive_export.c, archive_load.c): the layouts' names
 * and the helpers they share, which carry the arc_ prefix. */
#ifndef SKIFF_IMAGE_ARCHIVE_INTERNAL_H
#define SKIFF_IMAGE_ARCHIVE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "image/archive.h"

#define COPY_BLOCK (128 * 1024)
#define OCI_LAYOUT_FILE "oci-layout"
#define OCI_LAYOUT_JSON "{\"imageLayoutVersion\": \"1.0.0\"}"
#define OCI_INDEX_FILE "index.json"
#define OCI_BLOBS_DIR "blobs/sha256"
#define OCI_REF_NAME "org.opencontainers.image.ref.name"
#define CONTAINERD_IMAGE_NAME "io.containerd.image.name"
#define DOCKER_MANIFEST_FILE "manifest.json"
#define DOCKER_REPOSITORIES_FILE "repositories"
/* podman's words for input that is no image archive (scripts match them); skiff's reason follows */
#define NOT_A_PAYLOAD "payload does not match any of the supported image formats:"

/* JSON read from an archive (manifest.json, index.json, manifests, configs), as containers/image's limit for
 * configs and manifests */
#define ARC_JSON_MAX (4 * 1024 * 1024)
/* All the JSON one load holds in memory, and the images one archive may name: podman save writes a few
 * kilobytes per image */
#define ARC_JSON_TOTAL_MAX (64 * 1024 * 1024)
#define ARC_IMAGES_MAX 4096
/* What one `load` may write to its temporary directory (the layers it references, and the input itself
 * when it comes from a pipe): more than any real image takes, so only a hostile archive meets it. */
#define ARC_LOAD_WRITE_MAX (128ULL << 30)

/* ---- load: an archive's members (archive_members.c) ---- */

enum
{
  ARC_WANT_DATA = 1, /* into memory (JSON), at most ARC_JSON_MAX bytes */
  ARC_WANT_FILE = 2, /* into a file of the temporary directory (a layer) */
};

struct arc_member
{
  char *path;    /* clean (util/tarpath.h) */
  char *link;    /* the member a symbolic or hard link names, clean; NULL for a regular file */
  bool bad_link; /* a link whose target leaves the archive */
  bool sparse;
  uint64_t size;       /* as declared in its header */
  size_t ordinal;      /* the position of its header in the tar */
  unsigned want;       /* ARC_WANT_* */
  char *data;          /* fetched ARC_WANT_DATA, NUL-terminated (size bytes) */
  char *file;          /* fetched ARC_WANT_FILE */
  const void *checked; /* archive_load.c: the layer whose digests this file was verified against */
};

struct arc_members
{
  int fd; /* the archive, seekable: the caller's file or the spooled pipe */
  bool own_fd;
  off_t start;
  char *dir; /* private temporary directory (mkdtemp), removed by arc_members_release */
  uint64_t written;
  uint64_t in_memory;   /* bytes of ARC_WANT_DATA asked for, against ARC_JSON_TOTAL_MAX */
  struct arc_member *m; /* in the tar's order */
  size_t n, cap, names_bytes;
  unsigned passes; /* how many times the archive was read */
};

/* Read the archive's headers into u (the first pass); only manifest.json and index.json are read whole. */
int arc_members_open (int fd, struct arc_members *u, skiff_error_t *err);
void arc_members_release (struct arc_members *u);
struct arc_member *arc_member_find (struct arc_members *u, const char *path);
/* The regular member a name from a manifest means, through the archive's own links. */
struct arc_member *arc_member_resolve (struct arc_members *u, const char *raw, skiff_error_t *err);
/* Ask for a member (refused: sparse, too large for JSON); arc_members_fetch then reads every member asked for
 * in one pass, after checking that the files fit under ARC_LOAD_WRITE_MAX and in the free space. */
int arc_member_want (struct arc_members *u, struct arc_member *m, unsigned how, skiff_error_t *err);
int arc_members_fetch (struct arc_members *u, skiff_error_t *err);
/* Tests lower the cap; 0 restores ARC_LOAD_WRITE_MAX. */
void arc_load_set_write_max (uint64_t bytes);

/* A progress line for p (which may be NULL or have no fn). */
void arc_progress (const struct skiff_archive_progress *p, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
/* Where temporary files go: $TMPDIR, else /var/tmp. */
const char *arc_tmp_dir (void);

#endif
