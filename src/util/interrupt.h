/* A command interrupted while it sets a container up (SIGINT, SIGTERM, SIGHUP) stops at the next step and
 * cleans up instead of dying half-way; and the test hooks that stop a process at a named point. */
#ifndef SKIFF_UTIL_INTERRUPT_H
#define SKIFF_UTIL_INTERRUPT_H

#include <stdbool.h>

#include <skiff/error.h>

/* From now on SIGINT, SIGTERM and SIGHUP set a flag instead of ending the process (no SA_RESTART: a blocking
 * call returns EINTR). The caller checks skiff_interrupted () between steps. */
void skiff_interrupt_catch (void);
/* Back to the default actions (what the container's process must inherit is reset by the runtime anyway). */
void skiff_interrupt_release (void);
/* The signal that came, 0 when none */
int skiff_interrupted (void);
/* Record a signal taken by other means (a signalfd that read it): skiff_interrupted () reports it */
void skiff_interrupt_note (int sig);
/* The error of a step cut short by signal sig: status EINTR, exit code 128+sig (as a shell reports it) */
int skiff_interrupt_error (skiff_error_t *err, int sig, const char *what);
/* The signals skiff_interrupt_catch () takes, 0-terminated */
extern const int skiff_interrupt_signals[];

/* Test hooks: SKIFF_TEST_CRASH_AT=NAME makes the process die by SIGKILL when it reaches point NAME, and
 * SKIFF_TEST_HANG_AT=NAME makes it wait there (for a signal), so that the integration tests can check what a
 * kill -9 or an interrupt at that point leaves behind. */
void skiff_test_point (const char *name);

#endif
