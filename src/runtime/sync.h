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
 * be NULL). sigfd (-1: none) is a signalfd of interrupts: one that comes first ends the wait (EINTR, exit code
 * 128+N), the child still to be killed by the caller. */
int skiff_sync_receive (int sync, int sigfd, int *pty_master, int *tap_fd, const char *what, skiff_error_t *err);

/* In skiff, after skiff_sync_receive saw end-of-file: true when the child (not yet reaped) died without
 * exec'ing, so that the end-of-file was its death and the error it meant to send never came (a seccomp
 * profile that blocks what follows its loading, or kills). Read from the kernel's PF_FORKNOEXEC flag. */
bool skiff_sync_died_before_exec (pid_t pid);
/* The error for such a child, from its wait status; with_seccomp: a seccomp profile was loaded. */
int skiff_sync_early_death_error (int wstatus, bool with_seccomp, skiff_error_t *err);

#endif
