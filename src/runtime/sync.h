/* Internal to the runtime: the sync socket between skiff and a process it sets up (a container's or an exec's)
 * until that process execs. The child sends its terminal (SCM_RIGHTS) or its error; the socket is
 * close-on-exec, so end-of-file means the exec happened. */
#ifndef SKIFF_RUNTIME_SYNC_H
#define SKIFF_RUNTIME_SYNC_H

#include "util/util.h"

/* In the child: report err (or fallback when err is empty) and _exit with its exit code. */
void skiff_sync_fail (int sync, skiff_error_t *err, const char *fallback) __attribute__ ((noreturn));
/* In the child: hand the pty master to skiff. Returns -errno. */
int skiff_sync_send_pty (int sync, int master);
/* In the child: hand the network's tap to skiff. Returns -errno. */
int skiff_sync_send_tap (int sync, int tap);
/* In skiff: wait for the exec. 0 when it happened (EOF); -1 with the child's error (and its exit code).
 * A pty master the child sent lands in *pty_master, a tap in *tap_fd (left as they are when none came; tap_fd may
 * be NULL). */
int skiff_sync_receive (int sync, int *pty_master, int *tap_fd, const char *what, skiff_error_t *err);

#endif
