/* Stopping and killing a container (podman stop, kill, and what rm -f, restart and the pod commands do): the
 * record is flagged first, so that its restart policy does not bring it back, then the container's PID 1 gets
 * the signal (same user namespace, no monitor in between). */
#include "engine/internal.h"

#include <signal.h>

#define STOP_POLL_US 20000

struct flagged
{
  int pid;
  int stop_signal;
  int64_t stop_timeout;
  bool running;
  enum skiff_ctr_state state;
  bool stopping; /* in: a stop (not a kill) */
  char *name;    /* for the warning (podman names the container by its name) */
};

static void
flag_stopped (struct skiff_container *c, void *data)
{
  struct flagged *f = data;
  f->state = c->state;
  if (c->state != SKIFF_CTR_RUNNING)
    return;
  c->stopped_by_user = true;
  c->stopping |= f->stopping;
  f->pid = c->pid;
  f->stop_signal = c->stop_signal;
  f->stop_timeout = c->stop_timeout;
  f->running = c->state == SKIFF_CTR_RUNNING;
  f->name = xstrdup (c->name ? c->name : c->id);
}

/* Flag the record under the container's lock and read its PID again there: a restart may have changed it */
static int
flag (struct skiff_engine *e, const char *id, bool stopping, struct flagged *f, skiff_error_t *err)
{
  memset (f, 0, sizeof *f);
  f->stopping = stopping;
  if (skiff_container_update (e, id, false, flag_stopped, f, err) < 0)
    return -1;
  return 0;
}

/* Until the record no longer says running (its monitor recorded the end, or a refresh did) */
static bool
wait_not_running (struct skiff_engine *e, const char *id, long long timeout_ms)
{
  uint64_t deadline = now_ns () + (uint64_t) (timeout_ms < 0 ? 0 : timeout_ms) * 1000000ULL;
  for (;;)
    {
      struct skiff_container *c = NULL;
      bool running = skiff_engine_container_lookup (e, id, &c, NULL) == 0 && c->state == SKIFF_CTR_RUNNING;
      skiff_container_free (c);
      if (!running)
        return true;
      if (timeout_ms >= 0 && now_ns () >= deadline)
        return false;
      usleep (STOP_POLL_US);
    }
}

int
skiff_engine_container_stop (struct skiff_engine *e, const char *id, bool timeout_set, long long timeout,
                             skiff_error_t *err)
{
  struct flagged f;
  if (flag (e, id, true, &f, err) < 0)
    {
      /* removed meanwhile: stopped, as asked */
      if ((*err)->status != ENOENT)
        return -1;
      skiff_error_release (err);
      return 0;
    }
  /* f.name is the container's name for the warning; freed on every way out */
  if (!f.running)
    {
      free (f.name);
      return 0;
    }
  int sig = f.stop_signal > 0 ? f.stop_signal : SIGTERM;
  long long t = timeout_set ? timeout : f.stop_timeout;
  /* between two runs under a restart policy there is no process: the monitor sees the flag and gives up */
  /* podman: a timeout of 0 is SIGKILL at once, without the warning */
  if (t != 0)
    {
      if (f.pid > 0)
        kill (f.pid, sig);
      if (wait_not_running (e, id, t < 0 ? -1 : t * 1000))
        {
          free (f.name);
          return 0;
        }
      char name[32];
      log_warning ("StopSignal %s failed to stop container %s in %lld seconds, resorting to SIGKILL",
                   skiff_signal_name (sig, name, sizeof name), f.name, t);
    }
  free (f.name);
  if (f.pid > 0)
    kill (f.pid, SIGKILL);
  wait_not_running (e, id, -1);
  return 0;
}

int
skiff_engine_container_kill (struct skiff_engine *e, const char *id, int sig, skiff_error_t *err)
{
  struct flagged f;
  if (flag (e, id, false, &f, err) < 0)
    return -1;
  free (f.name);
  if (!f.running || f.pid <= 0)
    return skiff_error_set_status (err, EINVAL,
                                   "can only kill running containers. %s is in state %s: container state improper", id,
                                   skiff_ctr_state_name (f.state));
  if (kill (f.pid, sig) < 0)
    return skiff_error_set (err, errno, "kill %s", id);
  return 0;
}
