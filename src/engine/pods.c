/* Pods: a record (<root>/engine/pods/<id>.json, names as <root>/engine/pod-names/<name> symlinks) and an infra
 * process that holds the pod's network, IPC and UTS namespaces. The infra is no container of an image: it is a
 * child of its own monitor that made those namespaces (with the tap and published ports, served by the
 * monitor's network threads, as for any container) and sleeps; the pod's containers join its namespaces, so
 * they reach each other on localhost and share its ports. The infra starts with the first container (or
 * pod start) and stops with pod stop. */
#include "engine/engine.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>

#include "engine/network.h"
#include "engine/records.h"
#include "monitor/monitor.h"
#include "runtime/runtime.h"

#define PODS_DIR "engine/pods"
#define POD_NAMES_DIR "engine/pod-names"
#define PODS_LOCK "engine/pods.lock"
#define POD_STOP_POLLS 250
#define POD_STOP_POLL_US 20000

static char *
pod_path (struct skiff_engine *e, const char *id)
{
  return xasprintf ("%s/%s/%s.json", e->root, PODS_DIR, id);
}

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

static int
pod_write (struct skiff_engine *e, const char *id, json_object *rec, skiff_error_t *err)
{
  cleanup_free char *path = pod_path (e, id);
  const char *s = json_object_to_json_string_ext (rec, JSON_C_TO_STRING_PLAIN);
  return write_file_atomic (path, s, strlen (s), 0600, err);
}

static json_object *
pod_load (struct skiff_engine *e, const char *id)
{
  cleanup_free char *path = pod_path (e, id);
  return json_object_from_file (path);
}

static int
record_int (json_object *rec, const char *key)
{
  json_object *v = NULL;
  return json_object_object_get_ex (rec, key, &v) ? json_object_get_int (v) : 0;
}

static bool
infra_alive (json_object *rec)
{
  int pid = record_int (rec, "InfraPid");
  return pid > 0 && (kill (pid, 0) == 0 || errno == EPERM);
}

int
skiff_engine_pod_list (struct skiff_engine *e, json_object **out, skiff_error_t *err)
{
  *out = json_object_new_array ();
  cleanup_free char *dir = path_join (e->root, PODS_DIR);
  DIR *d = opendir (dir);
  if (d == NULL)
    return errno == ENOENT ? 0 : skiff_error_set (err, errno, "open `%s`", dir);
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    {
      if (de->d_name[0] == '.' || !str_has_suffix (de->d_name, ".json"))
        continue;
      cleanup_free char *id = xstrndup (de->d_name, strlen (de->d_name) - strlen (".json"));
      json_object *rec = pod_load (e, id);
      if (rec == NULL)
        continue;
      if (!infra_alive (rec))
        json_object_object_add (rec, "InfraPid", json_object_new_int (0));
      json_object_array_add (*out, rec);
    }
  closedir (d);
  return 0;
}

int
skiff_engine_pod_lookup (struct skiff_engine *e, const char *ref, json_object **out, skiff_error_t *err)
{
  *out = NULL;
  cleanup_free char *link = xasprintf ("%s/%s/%s", e->root, POD_NAMES_DIR, ref);
  char target[80];
  ssize_t n = strchr (ref, '/') ? -1 : readlink (link, target, sizeof target - 1);
  if (n > 0)
    {
      target[n] = '\0';
      if ((*out = pod_load (e, target)) != NULL)
        {
          if (!infra_alive (*out))
            json_object_object_add (*out, "InfraPid", json_object_new_int (0));
          return 0;
        }
    }
  json_object *all = NULL;
  if (skiff_engine_pod_list (e, &all, err) < 0)
    return -1;
  json_object *found = NULL;
  size_t matches = 0;
  for (size_t i = 0; i < json_object_array_length (all); i++)
    {
      json_object *rec = json_object_array_get_idx (all, i);
      const char *id = skiff_record_string (rec, "Id");
      if (id && *ref && str_has_prefix (id, ref))
        {
          found = rec;
          matches++;
        }
    }
  int ret = 0;
  if (matches == 1)
    *out = json_object_get (found);
  else if (matches > 1)
    ret = skiff_error_set_status (err, EINVAL, "more than one result for pod ID %s: give more of the ID or the name",
                                  ref);
  else
    ret = skiff_error_set_status (err, ENOENT, "no pod with name or ID %s found: no such pod", ref);
  json_object_put (all);
  return ret;
}

int
skiff_engine_pod_create (struct skiff_engine *e, const struct skiff_pod_options *o, char **id_out, skiff_error_t *err)
{
  struct skiff_engine_net net = { 0 };
  json_object *rec = NULL;
  int ret = -1;
  char id[65];
  cleanup_free char *name = NULL;
  cleanup_free char *link = NULL;
  bool linked = false;

  for (size_t i = 0; o->share && o->share[i]; i++)
    if (strcmp (o->share[i], "net") && strcmp (o->share[i], "ipc") && strcmp (o->share[i], "uts")
        && strcmp (o->share[i], "cgroup") && strcmp (o->share[i], "none") && strcmp (o->share[i], ""))
      return skiff_error_set_status (err, EINVAL,
                                     "invalid kernel namespace to share: %s: skiff's pods share net, ipc and uts%s",
                                     o->share[i], strcmp (o->share[i], "pid") == 0 ? " (not pid)" : "");
  if (o->name && !skiff_name_valid (o->name))
    return skiff_error_set_status (err, EINVAL, "names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid pod name \"%s\"",
                                   o->name);
  /* before the first goto: their cleanups run at every exit */
  cleanup_free char *dir = NULL, *names = NULL;
  struct skiff_net_request req = { .network = o->network, .publish = o->publish };
  if (skiff_engine_net_parse (&req, &net, err) < 0)
    goto out;
  if (skiff_engine_enter (e, err) < 0 || skiff_engine_net_resolve (e, &net, NULL, err) < 0)
    goto out;
  if (net.mode == SKIFF_NETMODE_CONTAINER)
    {
      skiff_error_set_status (err, EINVAL,
                              "a pod cannot join another container's network: use slirp4netns, none or host");
      goto out;
    }
  /* free host ports are chosen now, and checked; the infra binds them again when it starts */
  if (skiff_engine_net_bind (&net, err) < 0)
    goto out;
  skiff_net_free (net.net);
  net.net = NULL;
  if (random_hex_id (id, err) < 0)
    goto out;
  dir = path_join (e->root, PODS_DIR);
  names = path_join (e->root, POD_NAMES_DIR);
  if (mkdir_p (dir, 0700, err) < 0 || mkdir_p (names, 0700, err) < 0)
    goto out;
  for (int attempt = 0; !linked; attempt++)
    {
      free (name);
      if (o->name)
        name = xstrdup (o->name);
      else
        {
          char *r = skiff_random_name ();
          name = xasprintf ("%s", r);
          free (r);
        }
      free (link);
      link = path_join (names, name);
      if (symlink (id, link) == 0)
        linked = true;
      else if (errno != EEXIST || o->name || attempt > 20)
        {
          if (errno == EEXIST)
            skiff_error_set_status (err, EEXIST,
                                    "adding pod to state: name \"%s\" is in use: pod already exists (remove it with "
                                    "`skiff pod rm %s`, or choose another name)",
                                    name, name);
          else
            skiff_error_set (err, errno, "reserve the pod name %s", name);
          goto out;
        }
    }
  rec = json_object_new_object ();
  json_object_object_add (rec, "Id", json_object_new_string (id));
  json_object_object_add (rec, "Name", json_object_new_string (name));
  json_object_object_add (rec, "Created", json_object_new_int64 ((int64_t) realtime_ns ()));
  json_object_object_add (rec, "Hostname", json_object_new_string (o->hostname ? o->hostname : name));
  /* podman's default is cgroup,ipc,net,uts; skiff makes no cgroups, so cgroup is accepted and has no effect */
  json_object *share = json_object_new_array ();
  static const char *const kinds[] = { "ipc", "net", "uts" };
  for (size_t k = 0; k < ARRAY_SIZE (kinds); k++)
    if (o->share == NULL || strv_contains (o->share, kinds[k]))
      json_object_array_add (share, json_object_new_string (kinds[k]));
  json_object_object_add (rec, "SharedNamespaces", share);
  json_object_object_add (rec, "InfraPid", json_object_new_int (0));
  json_object_object_add (rec, "InfraConmonPid", json_object_new_int (0));
  json_object *labels = skiff_labels_json (o->labels);
  json_object_object_add (rec, "Labels", labels);
  skiff_engine_net_record (&net, rec);
  if (pod_write (e, id, rec, err) < 0)
    goto out;
  *id_out = xstrdup (id);
  ret = 0;

out:
  if (ret < 0 && linked)
    unlink (link);
  json_object_put (rec);
  skiff_engine_net_release (&net);
  return ret;
}

/* ---- the infra ---- */

struct infra_data
{
  struct skiff_engine *e;
  char *id;
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

static void
infra_record (struct infra_data *d, pid_t pid, pid_t monitor)
{
  int lock = pods_lock (d->e);
  json_object *rec = pod_load (d->e, d->id);
  /* an end clears only this monitor's infra, never one started since */
  if (rec && pid == 0 && record_int (rec, "InfraPid") != d->pid)
    {
      json_object_put (rec);
      rec = NULL;
    }
  if (rec)
    {
      json_object_object_add (rec, "InfraPid", json_object_new_int (pid));
      json_object_object_add (rec, "InfraConmonPid", json_object_new_int (monitor));
      json_object_object_add (rec, pid ? "InfraStartedAt" : "InfraFinishedAt",
                              json_object_new_int64 ((int64_t) realtime_ns ()));
      pod_write (d->e, d->id, rec, NULL);
      json_object_put (rec);
    }
  if (lock >= 0)
    close (lock);
}

static bool
infra_started (void *data, pid_t pid, pid_t monitor, unsigned restarts)
{
  ((struct infra_data *) data)->pid = pid;
  infra_record (data, pid, monitor);
  return true;
}

static void
infra_exited (void *data, int status)
{
  infra_record (data, 0, 0);
}

#define INFRA_START_WAIT_POLLS 500 /* 10 s */
#define INFRA_START_WAIT_US 20000

/* Another skiff is starting this pod's infra (its PID in StartingPid, under the lock): wait for it rather than
 * start a second infra that nothing would ever stop. */
static bool
someone_else_starting (json_object *rec)
{
  int starter = record_int (rec, "StartingPid");
  return starter > 0 && starter != getpid () && (kill (starter, 0) == 0 || errno == EPERM);
}

static void
starting_done (struct skiff_engine *e, const char *id)
{
  int lock = pods_lock (e);
  json_object *rec = pod_load (e, id);
  if (rec && record_int (rec, "StartingPid") == getpid ())
    {
      json_object_object_del (rec, "StartingPid");
      pod_write (e, id, rec, NULL);
    }
  json_object_put (rec);
  if (lock >= 0)
    close (lock);
}

int
skiff_engine_pod_infra_start (struct skiff_engine *e, const char *ref, pid_t *infra_pid, skiff_error_t *err)
{
  json_object *rec = NULL;
  struct skiff_engine_net net = { 0 };
  int ret = -1;
  bool marked = false;
  cleanup_free char *pod_id = NULL;
  if (skiff_engine_enter (e, err) < 0)
    return -1;
  int lock = -1;
  for (int i = 0;; i++)
    {
      lock = pods_lock (e);
      if (skiff_engine_pod_lookup (e, ref, &rec, err) < 0)
        goto out;
      if (infra_alive (rec))
        {
          *infra_pid = record_int (rec, "InfraPid");
          ret = 0;
          goto out;
        }
      if (!someone_else_starting (rec))
        break;
      if (i >= INFRA_START_WAIT_POLLS)
        {
          skiff_error_set_status (err, EBUSY,
                                  "the infra of pod %s is being started by process %d, which did not "
                                  "finish in 10 s",
                                  ref, record_int (rec, "StartingPid"));
          goto out;
        }
      json_object_put (rec);
      rec = NULL;
      close (lock);
      lock = -1;
      usleep (INFRA_START_WAIT_US);
    }
  pod_id = xstrdup (skiff_record_string (rec, "Id") ?: ref);
  json_object_object_add (rec, "StartingPid", json_object_new_int (getpid ()));
  if (pod_write (e, pod_id, rec, err) < 0)
    goto out;
  marked = true;
  const char *id = skiff_record_string (rec, "Id");
  const char *hostname = skiff_record_string (rec, "Hostname");
  if (skiff_engine_net_from_record (e, rec, &net, err) < 0 || skiff_engine_net_bind (&net, err) < 0)
    goto out;
  struct skiff_container_config cfg = {
    .id = id,
    .hostname = hostname,
    .hold_only = true,
  };
  skiff_engine_net_config (&net, &cfg);
  struct infra_data d = { .e = e, .id = xstrdup (id), .net = &net };
  struct skiff_monitor_params mp = {
    .cfg = &cfg,
    .on_spawn = infra_spawned,
    .on_reap = infra_reaped,
    .on_start = infra_started,
    .on_exit = infra_exited,
    .data = &d,
  };
  /* the monitor writes the record: let it */
  if (lock >= 0)
    close (lock);
  lock = -1;
  pid_t cpid, mpid;
  int r = skiff_monitor_start (&mp, &cpid, &mpid, err);
  free (d.id);
  if (r < 0)
    {
      skiff_error_wrap (err, "start the infra of pod %s", ref);
      goto out;
    }
  *infra_pid = cpid;
  ret = 0;

out:
  if (lock >= 0)
    close (lock);
  if (marked)
    starting_done (e, pod_id);
  skiff_engine_net_release (&net);
  json_object_put (rec);
  return ret;
}

int
skiff_engine_pod_infra_stop (struct skiff_engine *e, const char *id, skiff_error_t *err)
{
  json_object *rec = NULL;
  if (skiff_engine_pod_lookup (e, id, &rec, err) < 0)
    return -1;
  int pid = record_int (rec, "InfraPid");
  int mon = record_int (rec, "InfraConmonPid");
  json_object_put (rec);
  if (pid <= 0)
    return 0;
  kill (pid, SIGKILL);
  /* the monitor records the end; wait for it, so that a start right after finds the ports free */
  for (int i = 0; i < POD_STOP_POLLS && mon > 0 && kill (mon, 0) == 0; i++)
    usleep (POD_STOP_POLL_US);
  return 0;
}

int
skiff_engine_pod_remove (struct skiff_engine *e, const char *id, skiff_error_t *err)
{
  json_object *rec = NULL;
  if (skiff_engine_pod_lookup (e, id, &rec, err) < 0)
    return -1;
  if (skiff_engine_pod_infra_stop (e, id, err) < 0)
    {
      json_object_put (rec);
      return -1;
    }
  int lock = pods_lock (e);
  const char *name = skiff_record_string (rec, "Name");
  const char *pid = skiff_record_string (rec, "Id");
  if (name)
    {
      cleanup_free char *link = xasprintf ("%s/%s/%s", e->root, POD_NAMES_DIR, name);
      unlink (link);
    }
  cleanup_free char *path = pod_path (e, pid);
  int r = unlink (path) < 0 && errno != ENOENT ? skiff_error_set (err, errno, "remove %s", path) : 0;
  if (lock >= 0)
    close (lock);
  json_object_put (rec);
  return r;
}
