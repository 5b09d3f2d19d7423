/* What a transfer of images says while it runs, shared by the code that moves images (image/: pull, push,
 * save, load) and the code that shows it (cli/): the events of a registry transfer, podman's notes while a
 * short name is resolved, and the progress lines of an archive. Only the vocabulary lives here; each side
 * keeps its own logic. */
#ifndef SKIFF_XFER_H
#define SKIFF_XFER_H

#include <stdint.h>

enum skiff_xfer_event
{
  SKIFF_XFER_SIGNATURES, /* "Getting image source signatures" */
  SKIFF_XFER_BLOB_START, /* digest, total */
  SKIFF_XFER_BLOB_PROGRESS,
  SKIFF_XFER_BLOB_DONE,
  SKIFF_XFER_BLOB_SKIPPED, /* already there */
  SKIFF_XFER_CONFIG,       /* digest */
  SKIFF_XFER_MANIFEST,     /* "Writing manifest to image destination" */
};
struct skiff_xfer_progress
{
  void (*fn) (void *data, enum skiff_xfer_event ev, const char *digest, uint64_t done, uint64_t total);
  void *data;
};

/* podman's lines while a name is resolved and pulled, written to its stderr: the short-name resolution
 * ("Resolved \"busybox\" as an alias (FILE)") once, before the first candidate, then "Trying to pull
 * NAME..." for each candidate tried. */
enum skiff_pull_note
{
  SKIFF_PULL_NOTE_RESOLVED,
  SKIFF_PULL_NOTE_TRYING,
};
typedef void (*skiff_pull_note_fn) (void *data, enum skiff_pull_note what, const char *text);

/* Progress lines of save and load in podman's words ("Copying blob sha256:..."); fn may be NULL. */
struct skiff_archive_progress
{
  void (*fn) (const char *line, void *data);
  void *data;
};

#endif
