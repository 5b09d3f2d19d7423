/* skiff's one error convention: functions return a negative value and fill a skiff_error_t.
 * Library code never prints or exits; main() prints "Error: <msg>" and exits with err->exit_code. */
#ifndef SKIFF_ERROR_H
#define SKIFF_ERROR_H

#include <stdarg.h>

/* podman's exit codes */
#define SKIFF_EXIT_ERROR 125       /* skiff's own failure */
#define SKIFF_EXIT_CANNOT_EXEC 126 /* the command was found but could not be executed */
#define SKIFF_EXIT_NOT_FOUND 127   /* the command was not found */
#define SKIFF_EXIT_SIGNAL_BASE 128 /* 128+N: ended by signal N */

struct skiff_error_s
{
  int status;    /* errno of the cause, or 0 */
  int exit_code; /* what the CLI exits with; SKIFF_EXIT_ERROR unless set */
  char *msg;
};
typedef struct skiff_error_s *skiff_error_t;

/* Set *err (which must be NULL) to a new error; with errno_ != 0 the message gets ": strerror(errno_)".
 * Returns -1 - errno_ style negative value (always < 0). */
int skiff_error_set (skiff_error_t *err, int errno_, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));
int skiff_error_setv (skiff_error_t *err, int errno_, const char *fmt, va_list ap)
    __attribute__ ((format (printf, 3, 0)));
/* The same, with an explicit exit code (126, 127, ...). */
int skiff_error_set_code (skiff_error_t *err, int exit_code, int errno_, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));
/* Prefix context to an existing error: "ctx: old message". Returns the same negative value. */
int skiff_error_wrap (skiff_error_t *err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
void skiff_error_release (skiff_error_t *err);

#endif
