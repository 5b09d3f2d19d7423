/* Interrupts during set-up and the named test points (see interrupt.h). */
#include "util/interrupt.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const int skiff_interrupt_signals[] = { SIGINT, SIGTERM, SIGHUP, 0 };

static volatile sig_atomic_t interrupt_signal;

static void
on_interrupt (int sig)
{
  interrupt_signal = sig;
}

void
skiff_interrupt_catch (void)
{
  struct sigaction sa = { .sa_handler = on_interrupt };
  sigemptyset (&sa.sa_mask);
  for (int i = 0; skiff_interrupt_signals[i]; i++)
    sigaction (skiff_interrupt_signals[i], &sa, NULL);
}

void
skiff_interrupt_release (void)
{
  for (int i = 0; skiff_interrupt_signals[i]; i++)
    signal (skiff_interrupt_signals[i], SIG_DFL);
}

int
skiff_interrupted (void)
{
  return interrupt_signal;
}

void
skiff_interrupt_note (int sig)
{
  interrupt_signal = sig;
}

int
skiff_interrupt_error (skiff_error_t *err, int sig, const char *what)
{
  const char *name = sigabbrev_np (sig);
  int r = skiff_error_set_code (err, SKIFF_EXIT_SIGNAL_BASE + sig, 0, "interrupted by SIG%s while %s",
                                name ? name : "?", what);
  if (err && *err)
    (*err)->status = EINTR;
  return r;
}

void
skiff_test_point (const char *name)
{
  const char *crash = getenv ("SKIFF_TEST_CRASH_AT");
  if (crash && strcmp (crash, name) == 0)
    raise (SIGKILL);
  const char *hang = getenv ("SKIFF_TEST_HANG_AT");
  if (hang && strcmp (hang, name) == 0)
    {
      /* wait for a signal, as a slow step would: a caught one returns, a default one ends the process */
      sigset_t none;
      sigemptyset (&none);
      sigsuspend (&none);
    }
}
