/* save and load: image archives (docker-archive, oci-archive) written whole or not at all, and read back. */
#include "engine/images.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/archive.h"

/* The archive is written next to its final name and renamed over it once complete: a failed save leaves
 * nothing, and never a truncated file under the name asked for. Mode 0666 less the umask, as a new file. */
static int
open_output (const char *path, char **tmp_out, skiff_error_t *err)
{
  cleanup_free char *copy = xstrdup (path);
  const char *dir = dirname (copy);
  cleanup_free char *copy2 = xstrdup (path);
  const char *base = basename (copy2);
  char *tmp = xasprintf ("%s/.%s.skiff-XXXXXX", dir, base);
  int fd = mkostemp (tmp, O_CLOEXEC);
  if (fd < 0)
    {
      int e = errno;
      free (tmp);
      return skiff_error_set (err, e, "create `%s`", path);
    }
  mode_t mask = umask (0);
  umask (mask);
  if (fchmod (fd, 0666 & ~mask) < 0)
    {
      int e = errno;
      close (fd);
      unlink (tmp);
      free (tmp);
      return skiff_error_set (err, e, "chmod `%s`", path);
    }
  *tmp_out = tmp;
  return fd;
}

int
skiff_engine_image_save (struct skiff_engine *e, const struct skiff_engine_save *q, skiff_error_t *err)
{
  enum skiff_archive_format format = SKIFF_ARCHIVE_DOCKER;
  if (q->format && skiff_archive_format_parse (q->format, &format, err) < 0)
    return -1;
  if (q->compress)
    return skiff_error_set_status (err, EINVAL,
                                   "--compress can only be set when --format is either 'oci-dir' or 'docker-dir'");
  cleanup_free char *tmp = NULL;
  cleanup_close int own = q->output ? open_output (q->output, &tmp, err) : -1;
  if (q->output && own < 0)
    return -1;
  int fd = q->output ? own : q->fd;
  struct skiff_store *s;
  int ret = 0;
  if (skiff_engine_store (e, &s, err) < 0 || skiff_image_save (s, q->refs, format, fd, &q->progress, err) < 0)
    ret = -1;
  if (ret == 0 && tmp && fsync (fd) < 0)
    ret = skiff_error_set (err, errno, "write `%s`", q->output);
  if (ret == 0 && tmp && rename (tmp, q->output) < 0)
    ret = skiff_error_set (err, errno, "rename the archive to `%s`", q->output);
  if (ret < 0 && tmp)
    unlink (tmp);
  return ret;
}

int
skiff_engine_image_load (struct skiff_engine *e, int fd, char ***loaded, const struct skiff_archive_progress *progress,
                         skiff_error_t *err)
{
  struct skiff_store *s;
  *loaded = NULL;
  if (skiff_engine_store (e, &s, err) < 0)
    return -1;
  return skiff_image_load (s, fd, loaded, progress, err);
}
