/* Pods: a record and an infra process that holds the pod's network, IPC and UTS namespaces. The infra is no
 * container of an image: it is a child of its own monitor that made those namespaces (with the tap and
 * published ports, served by the monitor's network threads, as for any container) and sleeps; the pod's
 * containers join its namespaces, so they reach each other on localhost and share its ports. The infra starts
 * when a container of the pod starts (or pod start) and stops with pod stop. Also the pod's lifecycle and
 * status over its containers. */
#include "engine/internal.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>

#include "engine/network.h"
#include "monitor/monitor.h"
#include "runtime/runtime.h"

#define PODS_LOCK "engine/pods.lock"
#define POD_STOP_POLLS 250
#define POD_STOP_POLL_US 20000
#define POD_NAME_TRIES 20
#define INFRA_START_WAIT_POLLS 500 /* 10 s */
#define INFRA_START_WAIT_US 20000

/* every read-change-write of a pod record, by the CLI or an infra's monitor, holds this */
static int
pods_lock (struct skiff_engine *e)
{
  cleanup_free char *path = path_join (e->root, PODS_LOCK);
  int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return -1;
  while (flock (fd, LOCK_EX) < 0)
    if (errno != EINTR)
      {
        close (fd);
        return -1;
      }
  return fd;
}

static bool
infra_alive (const struct skiff_pod *p)
{
  return p->infra_pid > 0 && (kill (p->infra_pid, 0) == 0 || errno == EPERM);
}

int
skiff_engine_pod_list (struct skiff_engine *e, struct skiff_pod_list *out, skiff_error_t *err)
{
  if (skiff_pod_record_list (e, out, err) < 0)
    return -1;
  for (size_t i = 0; i < out->n; i++)
    if (!infra_alive (out->v[i]))
      out->v[i]->infra_pid = 0;
  return 0;
}

int
skiff_engine_pod_lookup (struct skiff_engine *e, const char *ref, struct skiff_pod **out, skiff_error_t *err)
{
  *out = NULL;
  char id[65];
  if (skiff_pod_names_resolve (e, ref, id) && skiff_pod_record_load (e, id, out, NULL) == 0)
    {
      if (!infra_alive (*out))
        (*out)->infra_pid = 0;
      return 0;
    }
  struct skiff_pod_list all;
  if (skiff_engine_pod_list (e, &all, err) < 0)
    return -1;
  size_t found = all.n, matches = 0;
  for (size_t i = 0; i < all.n; i++)
    if (*ref && str_has_prefix (all.v[i]->id, ref))
      {
        found = i;
        matches++;
      }
  int ret = 0;
  if (matches == 1)
    *out = steal_pointer (&all.v[found]);
  else if (matches > 1)
    ret = skiff_error_set_status (err, EINVAL, "more than one result for pod ID %s: give more of the ID or the name",
                                  ref);
  else
    ret = skiff_error_set_status (err, ENOENT, "no pod with name or ID %s found: no such pod", ref);
  skiff_pod_list_release (&all);
  return ret;
}

static int
take_pod_name (struct skiff_engine *e, const char *id, const char *wanted, char **name, skiff_error_t *err)
{
  for (int attempt = 0;; attempt++)
    {
      cleanup_free char *n = wanted ? xstrdup (wanted) : skiff_random_name ();
      skiff_error_t e2 = NULL;
      if (skiff_pod_names_take (e, id, n, &e2) == 0)
        {
          *name = steal_pointer (&n);
          return 0;
        }
      if (wanted || e2->status != EEXIST || attempt >= POD_NAME_TRIES)
        {
          *err = e2;
          return -1;
        }
      skiff_error_release (&e2);
    }
}

int
skiff_engine_pod_create (struct skiff_engine *e, const struct skiff_pod_spec *s, char **id_out, skiff_error_t *err)
{
  struct skiff_engine_net net = { 0 };
  struct skiff_pod pod = { 0 };
  int ret = -1;
  if (s->name && !skiff_name_valid (s->name))
    return skiff_error_set_status (err, EINVAL, "names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid pod name \"%s\"",
                                   s->name);
  if (s->net.mode == SKIFF_NETMODE_CONTAINER)
    return skiff_error_set_status (err, EINVAL,
                                   "a pod cannot join another container's network: use slirp4netns, none or host");
  if (skiff_engine_enter (e, err) < 0 || skiff_engine_net_from_spec (e, &s->net, NULL, &net, err) < 0)
    goto out;
  /* free host ports are chosen now, and checked; the infra binds them again when it starts */
  if (skiff_engine_net_bind (&net, err) < 0 || random_hex_id (pod.id, err) < 0)
    goto out;
  if (take_pod_name (e, pod.id, s->name, &pod.name, err) < 0)
    goto out;
  pod.created_ns = realtime_ns ();
  pod.hostname = xstrdup (s->hostname ? s->hostname : pod.name);
  pod.share_ipc = s->share_ipc;
  pod.share_net = s->share_net;
  pod.share_uts = s->share_uts;
  skiff_kvlist_copy (&pod.labels, &s->labels);
  skiff_engine_net_to_record (&net, &pod.net);
  if (skiff_pod_record_save (e, &pod, err) < 0)
    {
      skiff_pod_names_release (e, pod.name);
      goto out;
    }
  *id_out = xstrdup (pod.id);
  ret = 0;

out:
  free (pod.name);
  free (pod.hostname);
  skiff_kvlist_release (&pod.labels);
  skiff_ctr_net_release (&pod.net);
  skiff_engine_net_release (&net);
  return ret;
}

void
skiff_pod_join (const struct skiff_pod *p, struct skiff_engine_net *n)
{
  free (n->pod_id);
  n->pod_id = xstrdup (p->id);
  n->pod_ipc = p->share_ipc;
  n->pod_uts = p->share_uts;
  free (n->pod_hostname);
  n->pod_hostname = p->share_uts && p->hostname ? xstrdup (p->hostname) : NULL;
  n->join_pid = p->infra_pid;
  if (!p->share_net)
    return;
  /* the pod's network: its ports are the pod's, bound by the infra */
  n->pod_mode = p->net.mode;
  n->opt = p->net.slirp;
  n->mode = SKIFF_NETMODE_POD;
  free (n->ports);
  n->ports = NULL;
  n->nports = 0;
  skiff_net_free (n->net);
  n->net = NULL;
}

/* ---- the infra ---- */

struct infra_data
{
  struct skiff_engine *e;
  char id[65];
  struct skiff_engine_net *net;
  pid_t pid; /* the infra this monitor runs */
};

static int
infra_spawned (void *data, struct skiff_container_process *proc, skiff_error_t *err)
{
  struct infra_data *d = data;
  return skiff_engine_net_started (d->net, proc, err);
}

static void
infra_reaped (void *data)
{
  struct infra_data *d = data;
  skiff_engine_net_stopped (d->net);
}

static int
infra_record (struct infra_data *d, pid_t pid, pid_t monitor, skiff_error_t *err)
{
  int lock = pods_lock (d->e);
  struct skiff_pod *p = NULL;
  int r = skiff_pod_record_load (d->e, d->id, &p, err);
  /* an end clears only this monitor's infra, never one started since */
  if (r == 0 && (pid != 0 || p->infra_pid == d->pid))
    {
      p->infra_pid = pid;
      p->infra_conmon_pid = monitor;
      if (pid)
        p->infra_started_ns = realtime_ns ();
      else
        p->infra_finished_ns = realtime_ns ();
      r = skiff_pod_record_save (d->e, p, err);
    }
  skiff_pod_free (p);
  if (lock >= 0)
    close (lock);
  return r;
}

static int
infra_started (void *data, pid_t pid, pid_t monitor, unsigned restarts, skiff_error_t *err)
{
  (void) restarts;
  ((struct infra_data *) data)->pid = pid;
  return infra_record (data, pid, monitor, err) < 0 ? -1 : 1;
}

static void
infra_exited (void *data, int status)
{
  (void) status;
  /* a pod record that cannot be written keeps the dead infra's PID: readers see it gone (infra_alive) */
  skiff_error_t err = NULL;
  if (infra_record (data, 0, 0, &err) < 0)
    skiff_error_release (&err);
}

/* Another skiff is starting this pod's infra (its PID in starting_pid, under the lock): wait for it rather than
 * start a second infra that nothing would ever stop. */
static bool
someone_else_starting (const struct skiff_pod *p)
{
  return p->starting_pid > 0 && p->starting_pid != getpid () && (kill (p->starting_pid, 0) == 0 || errno == EPERM);
}

static int
set_starting (struct skiff_engine *e, const char *id, int pid, skiff_error_t *err)
{
  int lock = pods_lock (e);
  struct skiff_pod *p = NULL;
  int r = skiff_pod_record_load (e, id, &p, err);
  if (r == 0 && (pid != 0 || p->starting_pid == getpid ()))
    {
      p->starting_pid = pid;
      r = skiff_pod_record_save (e, p, err);
    }
  skiff_pod_free (p);
  if (lock >= 0)
    close (lock);
  return r;
}

/* Under the lock: the pod as it is now, once nobody else is starting its infra */
static int
claim_infra (struct skiff_engine *e, const char *ref, struct skiff_pod **out, int *lock, skiff_error_t *err)
{
  for (int i = 0;; i++)
    {
      *lock = pods_lock (e);
      if (skiff_engine_pod_lookup (e, ref, out, err) < 0)
        return -1;
      if (infra_alive (*out) || !someone_else_starting (*out))
        return 0;
      if (i >= INFRA_START_WAIT_POLLS)
        return skiff_error_set_status (err, EBUSY,
                                       "the infra of pod %s is being started by process %d, which did not finish in "
                                       "10 s",
                                       ref, (*out)->starting_pid);
      skiff_pod_free (*out);
      *out = NULL;
      close (*lock);
      *lock = -1;
      usleep (INFRA_START_WAIT_US);
    }
}

static int
infra_launch (struct skiff_engine *e, const struct skiff_pod *p, pid_t *infra_pid, skiff_error_t *err)
{
  struct skiff_engine_net net = { 0 };
  int r = -1;
  if (skiff_engine_net_from_record (e, &p->net, &net, err) < 0 || skiff_engine_net_bind (&net, err) < 0)
    goto out;
  struct skiff_container_config cfg = {
    .id = p->id,
    .hostname = p->hostname,
    .hold_only = true,
  };
  skiff_engine_net_config (&net, &cfg);
  struct infra_data d = { .e = e, .net = &net };
  snprintf (d.id, sizeof d.id, "%s", p->id);
  struct skiff_monitor_params mp = {
    .cfg = &cfg,
    .on_spawn = infra_spawned,
    .on_reap = infra_reaped,
    .on_start = infra_started,
    .on_exit = infra_exited,
    .data = &d,
  };
  pid_t mpid;
  if (skiff_monitor_start (&mp, infra_pid, &mpid, err) < 0)
    {
      skiff_error_wrap (err, "start the infra of pod %s", p->name ? p->name : p->id);
      goto out;
    }
  r = 0;
out:
  skiff_engine_net_release (&net);
  return r;
}

int
skiff_pod_infra_ensure (struct skiff_engine *e, const char *ref, pid_t *infra_pid, skiff_error_t *err)
{
  struct skiff_pod *p = NULL;
  int lock = -1, r = -1;
  bool marked = false;
  if (skiff_engine_enter (e, err) < 0 || claim_infra (e, ref, &p, &lock, err) < 0)
    goto out;
  if (infra_alive (p))
    {
      *infra_pid = p->infra_pid;
      r = 0;
      goto out;
    }
  p->starting_pid = getpid ();
  if (skiff_pod_record_save (e, p, err) < 0)
    goto out;
  marked = true;
  /* the monitor writes the record: let it */
  close (lock);
  lock = -1;
  r = infra_launch (e, p, infra_pid, err);

out:
  if (lock >= 0)
    close (lock);
  if (marked)
    {
      skiff_error_t e2 = NULL;
      if (set_starting (e, p->id, 0, &e2) < 0)
        {
          log_warning ("pod %s: %s", p->id, e2->msg);
          skiff_error_release (&e2);
        }
    }
  skiff_pod_free (p);
  return r;
}

int
skiff_pod_infra_stop (struct skiff_engine *e, const char *id, skiff_error_t *err)
{
  struct skiff_pod *p = NULL;
  if (skiff_engine_pod_lookup (e, id, &p, err) < 0)
    return -1;
  int pid = p->infra_pid, mon = p->infra_conmon_pid;
  skiff_pod_free (p);
  if (pid <= 0)
    return 0;
  kill (pid, SIGKILL);
  /* the monitor records the end; wait for it, so that a start right after finds the ports free */
  for (int i = 0; i < POD_STOP_POLLS && mon > 0 && kill (mon, 0) == 0; i++)
    usleep (POD_STOP_POLL_US);
  return 0;
}

/* ---- the pod and its containers ---- */

int
skiff_engine_pod_containers (struct skiff_engine *e, const char *pod_id, struct skiff_container_list *out,
                             skiff_error_t *err)
{
  if (skiff_engine_container_list (e, out, err) < 0)
    return -1;
  size_t kept = 0;
  for (size_t i = 0; i < out->n; i++)
    {
      if (out->v[i]->pod_id && strcmp (out->v[i]->pod_id, pod_id) == 0)
        out->v[kept++] = out->v[i];
      else
        skiff_container_free (out->v[i]);
    }
  out->n = kept;
  if (out->v)
    out->v[kept] = NULL;
  return 0;
}

const char *
skiff_engine_pod_status (const struct skiff_pod *p, const struct skiff_container_list *ctrs)
{
  size_t running = 0, exited = 0;
  for (size_t i = 0; i < ctrs->n; i++)
    {
      if (ctrs->v[i]->state == SKIFF_CTR_RUNNING)
        running++;
      else if (ctrs->v[i]->state == SKIFF_CTR_EXITED)
        exited++;
    }
  if (ctrs->n == 0)
    return p->infra_pid > 0 ? "Running" : "Created";
  if (running == ctrs->n)
    return "Running";
  if (running > 0)
    return "Degraded";
  if (exited > 0)
    return "Exited";
  return "Created";
}

int
skiff_engine_pod_start (struct skiff_engine *e, const char *pod_id, skiff_error_t *err)
{
  pid_t infra;
  struct skiff_container_list ctrs;
  if (skiff_pod_infra_ensure (e, pod_id, &infra, err) < 0 || skiff_engine_pod_containers (e, pod_id, &ctrs, err) < 0)
    return -1;
  int r = 0;
  for (size_t i = 0; i < ctrs.n && r == 0; i++)
    {
      struct skiff_start_options o = { 0 };
      struct skiff_start_result res;
      if (ctrs.v[i]->state != SKIFF_CTR_RUNNING)
        r = skiff_engine_container_start (e, ctrs.v[i]->id, &o, &res, err);
    }
  skiff_container_list_release (&ctrs);
  return r;
}

int
skiff_engine_pod_stop (struct skiff_engine *e, const char *pod_id, bool timeout_set, long long timeout,
                       skiff_error_t *err)
{
  struct skiff_container_list ctrs;
  if (skiff_engine_pod_containers (e, pod_id, &ctrs, err) < 0)
    return -1;
  int r = 0;
  for (size_t i = 0; i < ctrs.n && r == 0; i++)
    if (ctrs.v[i]->state == SKIFF_CTR_RUNNING)
      r = skiff_engine_container_stop (e, ctrs.v[i]->id, timeout_set, timeout, err);
  skiff_container_list_release (&ctrs);
  return r < 0 ? -1 : skiff_pod_infra_stop (e, pod_id, err);
}

int
skiff_engine_pod_kill (struct skiff_engine *e, const char *pod_id, int sig, bool quiet, skiff_error_t *err)
{
  struct skiff_container_list ctrs;
  if (skiff_engine_pod_containers (e, pod_id, &ctrs, err) < 0)
    return -1;
  size_t killed = 0;
  for (size_t i = 0; i < ctrs.n; i++)
    {
      skiff_error_t e2 = NULL;
      if (ctrs.v[i]->state != SKIFF_CTR_RUNNING || ctrs.v[i]->pid <= 0)
        continue;
      if (skiff_engine_container_kill (e, ctrs.v[i]->id, sig, &e2) == 0)
        killed++;
      skiff_error_release (&e2);
    }
  skiff_container_list_release (&ctrs);
  struct skiff_pod *p = NULL;
  bool infra = skiff_engine_pod_lookup (e, pod_id, &p, err) == 0 && p->infra_pid > 0;
  skiff_pod_free (p);
  skiff_error_release (err);
  if (sig == SIGKILL && infra && skiff_pod_infra_stop (e, pod_id, err) == 0)
    killed++;
  if (killed == 0 && !quiet)
    return skiff_error_set_status (err, EINVAL, "pod %s: no running containers to kill", pod_id);
  return 0;
}

int
skiff_engine_pod_remove (struct skiff_engine *e, const char *pod_id, bool force, bool timeout_set, long long timeout,
                         skiff_error_t *err)
{
  struct skiff_container_list ctrs;
  if (skiff_engine_pod_containers (e, pod_id, &ctrs, err) < 0)
    return -1;
  int r = 0;
  for (size_t i = 0; i < ctrs.n && !force && r == 0; i++)
    if (ctrs.v[i]->state == SKIFF_CTR_RUNNING)
      r = skiff_error_set_status (err, EBUSY,
                                  "pod %s has containers that are not ready to be removed: cannot remove container %s "
                                  "as it is running - running or paused containers cannot be removed without force",
                                  pod_id, ctrs.v[i]->id);
  for (size_t i = 0; i < ctrs.n && r == 0; i++)
    {
      struct skiff_container *fresh = NULL;
      if (ctrs.v[i]->state == SKIFF_CTR_RUNNING)
        r = skiff_engine_container_stop (e, ctrs.v[i]->id, timeout_set, timeout, err);
      if (r == 0 && skiff_engine_container_lookup (e, ctrs.v[i]->id, &fresh, NULL) == 0)
        r = skiff_engine_container_remove (e, fresh, true, err);
      skiff_container_free (fresh);
    }
  skiff_container_list_release (&ctrs);
  if (r < 0)
    return -1;
  struct skiff_pod *p = NULL;
  if (skiff_engine_pod_lookup (e, pod_id, &p, err) < 0)
    return -1;
  if (skiff_pod_infra_stop (e, p->id, err) < 0)
    {
      skiff_pod_free (p);
      return -1;
    }
  int lock = pods_lock (e);
  if (p->name)
    skiff_pod_names_release (e, p->name);
  r = skiff_pod_record_unlink (e, p->id, err);
  if (lock >= 0)
    close (lock);
  skiff_pod_free (p);
  return r;
}
