/* The error type: a message with an errno and the exit code the CLI should use. */
#include "util.h"

#include <stdarg.h>

int
skiff_error_setv (skiff_error_t *err, int errno_, const char *fmt, va_list ap)
{
  char *msg = NULL;
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  if (err == NULL)
    {
      free (msg);
      return -1;
    }
  if (*err != NULL)
    skiff_error_release (err);
  struct skiff_error_s *e = xmalloc0 (sizeof *e);
  e->status = errno_;
  e->exit_code = SKIFF_EXIT_ERROR;
  if (errno_ != 0)
    {
      e->msg = xasprintf ("%s: %s", msg, strerror (errno_));
      free (msg);
    }
  else
    e->msg = msg;
  *err = e;
  return errno_ > 0 ? -errno_ : -1;
}

int
skiff_error_set (skiff_error_t *err, int errno_, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  int r = skiff_error_setv (err, errno_, fmt, ap);
  va_end (ap);
  return r;
}

int
skiff_error_set_code (skiff_error_t *err, int exit_code, int errno_, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  int r = skiff_error_setv (err, errno_, fmt, ap);
  va_end (ap);
  if (err && *err)
    (*err)->exit_code = exit_code;
  return r;
}

int
skiff_error_wrap (skiff_error_t *err, const char *fmt, ...)
{
  if (err == NULL || *err == NULL)
    return -1;
  char *prefix = NULL;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&prefix, fmt, ap) < 0)
    abort ();
  va_end (ap);
  char *m = xasprintf ("%s: %s", prefix, (*err)->msg);
  free (prefix);
  free ((*err)->msg);
  (*err)->msg = m;
  return (*err)->status > 0 ? -(*err)->status : -1;
}

void
skiff_error_release (skiff_error_t *err)
{
  if (err == NULL || *err == NULL)
    return;
  free ((*err)->msg);
  free (*err);
  *err = NULL;
}

int
skiff_error_set_status (skiff_error_t *err, int status, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  skiff_error_setv (err, 0, fmt, ap);
  va_end (ap);
  if (err && *err)
    (*err)->status = status;
  return status > 0 ? -status : -1;
}
