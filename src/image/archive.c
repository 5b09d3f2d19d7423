/* Image archives (podman save/load): the parts save (archive_export.c) and load (archive_load.c) share:
 * format names, errors that carry a status, progress lines and the temporary directory. */
#include "image/archive_internal.h"

#define TMPDIR_DEFAULT "/var/tmp" /* as podman's image_copy_tmp_dir: layers may be larger than a tmpfs */

void __attribute__ ((format (printf, 2, 3))) arc_progress (const struct skiff_archive_progress *p, const char *fmt, ...)
{
  if (p == NULL || p->fn == NULL)
    return;
  char line[256];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (line, sizeof line, fmt, ap);
  va_end (ap);
  p->fn (line, p->data);
}

int
skiff_archive_format_parse (const char *name, enum skiff_archive_format *out, skiff_error_t *err)
{
  if (strcmp (name, "docker-archive") == 0)
    *out = SKIFF_ARCHIVE_DOCKER;
  else if (strcmp (name, "oci-archive") == 0)
    *out = SKIFF_ARCHIVE_OCI;
  else if (strcmp (name, "oci-dir") == 0 || strcmp (name, "docker-dir") == 0)
    return skiff_error_set_status (err, ENOTSUP,
                                   "format %s is not supported by skiff: use oci-archive or docker-archive", name);
  else
    return skiff_error_set_status (err, EINVAL, "unknown format `%s`: must be oci-archive or docker-archive", name);
  return 0;
}

const char *
arc_tmp_dir (void)
{
  const char *t = getenv ("TMPDIR");
  return t && t[0] ? t : TMPDIR_DEFAULT;
}
