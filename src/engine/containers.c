/* Containers on disk: listing them, finding one by name, ID or unique ID prefix, seeing each as it really is
 * (a record says "running" until someone records the end), locking a record to change it, renaming and
 * removing. */
#include "engine/internal.h"
#include "engine/volumes.h"

#include "util/interrupt.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>

#define MIN_PREFIX 1
#define FORCE_WAIT_MS 10000
#define WAIT_POLL_US 20000
#define LOST_EXIT_CODE -1
#define PROC_STAT_MAX 512
#define COMM_MAX 32

/* A live process: kill(2) succeeds (EPERM: someone else's, alive) and it is not a zombie (a container whose
 * monitor died is reparented to a reaper that may be slow, and kill(2) succeeds on a zombie). */
bool
skiff_pid_alive (int pid)
{
  if (pid <= 0 || (kill (pid, 0) < 0 && errno != EPERM))
    return false;
  char path[64], buf[PROC_STAT_MAX];
  snprintf (path, sizeof path, "/proc/%d/stat", pid);
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return errno != ENOENT;
  ssize_t n = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (n <= 0)
    return true;
  buf[n] = '\0';
  const char *p = strrchr (buf, ')');
  return !(p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'));
}

/* The monitor of a record: alive and still a skiff monitor (its PID may have been reused) */
static bool
monitor_alive (int pid)
{
  if (!skiff_pid_alive (pid))
    return false;
  char path[64], comm[COMM_MAX] = "";
  snprintf (path, sizeof path, "/proc/%d/comm", pid);
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return true;
  ssize_t n = read (fd, comm, sizeof comm - 1);
  close (fd);
  comm[n > 0 ? n : 0] = '\0';
  return n <= 0 || str_has_prefix (comm, "skiff");
}

char *
skiff_engine_container_dir (struct skiff_engine *e, const char *id)
{
  return skiff_storage_container_dir (e->root, id);
}

int
skiff_container_lock (struct skiff_engine *e, const char *id)
{
  cleanup_free char *dir = skiff_engine_container_dir (e, id);
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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

int
skiff_container_update (struct skiff_engine *e, const char *id, bool durable,
                        void (*change) (struct skiff_container *c, void *data), void *data, skiff_error_t *err)
{
  int lock = skiff_container_lock (e, id);
  struct skiff_container *c = NULL;
  int r = skiff_record_load (e, id, &c, err);
  if (r == 0)
    {
      change (c, data);
      r = skiff_record_save (e, c, durable, err);
    }
  skiff_container_free (c);
  if (lock >= 0)
    close (lock);
  return r;
}

struct lost_exit
{
  int pid, monitor;
  bool have_exit_file;
  int exit_code;
  uint64_t finished_ns;
  const char *msg;
  bool written;
};

static void
apply_lost_exit (struct skiff_container *now, void *data)
{
  struct lost_exit *l = data;
  /* only if the record still says what we saw: a monitor may have recorded the end meanwhile */
  if (now->state != SKIFF_CTR_RUNNING || now->pid != l->pid || (l->monitor >= 0 && now->conmon_pid != l->monitor))
    return;
  now->state = SKIFF_CTR_EXITED;
  now->pid = 0;
  now->monitor_died = false;
  now->finished_ns = l->finished_ns;
  now->exit_code = l->have_exit_file ? l->exit_code : LOST_EXIT_CODE;
  free (now->error);
  now->error = l->have_exit_file ? NULL : xstrdup (l->msg);
  l->written = true;
}

/* Both the container and its monitor are gone: nobody will record the end. The monitor's exit file has it when
 * the monitor could not write the record; else the exit code is lost, and the record says so. Written under
 * the container's lock, so that FinishedAt stays put and rm/start see it. */
static void
record_lost_exit (struct skiff_engine *e, struct skiff_container *c, int monitor)
{
  cleanup_free char *msg
      = monitor < 0 ? xstrdup ("the system restarted while the container ran: its exit code was lost")
        : monitor > 0
            ? xasprintf ("the monitor (pid %d) died before the container ended: its exit code was lost", monitor)
            : xstrdup ("the container ended while no monitor watched it: its exit code was lost");
  struct lost_exit l = { .pid = c->pid, .monitor = monitor, .msg = msg, .finished_ns = realtime_ns () };
  l.have_exit_file = monitor >= 0 && skiff_exit_file_read (e, c->id, &l.exit_code, &l.finished_ns);
  skiff_error_t err = NULL;
  if (skiff_container_update (e, c->id, true, apply_lost_exit, &l, &err) < 0)
    {
      log_debug ("recording the end of container %s: %s", c->id, err->msg);
      skiff_error_release (&err);
    }
  else if (l.written && l.have_exit_file)
    skiff_exit_file_remove (e, c->id);
  if (!l.written)
    {
      /* the record had moved on since the caller read it: its monitor recorded the end meanwhile (a `wait`
       * that read "running" just before). The caller's copy becomes what is on disk, the real exit code. */
      struct skiff_container *now = NULL;
      if (skiff_record_load (e, c->id, &now, NULL) == 0)
        {
          struct skiff_container stale = *c;
          *c = *now;
          *now = stale;
          skiff_container_free (now);
          return;
        }
    }
  /* the caller's copy reads the same */
  struct lost_exit mine = l;
  mine.written = false;
  apply_lost_exit (c, &mine);
}

/* <root>/containers/ID exists (or cannot be checked): looked up relative to a directory fd opened once, as
 * ps -a asks this for every record */
static bool
layers_dir_exists (struct skiff_engine *e, const char *id)
{
  static int dfd = -1;
  static char *dfd_root;
  if (dfd < 0 || dfd_root == NULL || strcmp (dfd_root, e->root) != 0)
    {
      if (dfd >= 0)
        close (dfd);
      free (dfd_root);
      cleanup_free char *dir = skiff_storage_container_dir (e->root, NULL);
      dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      dfd_root = xstrdup (e->root);
      if (dfd < 0)
        return errno != ENOENT;
    }
  return faccessat (dfd, id, F_OK, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT;
}

/* A record as it really is:
 *  - "running" while the container's PID 1 lives; when its monitor is gone meanwhile, monitor_died and an
 *    error saying that the exit code will be lost;
 *  - a "running" record whose container and monitor are both gone is written back as exited (with the
 *    monitor's exit file when there is one, else ExitCode -1 and podman's "exit code could not be retrieved").
 * false for a record that a crashed skiff left half made (no root filesystem, its creator gone). */
bool
skiff_container_refresh (struct skiff_engine *e, struct skiff_container *c)
{
  if (c->state != SKIFF_CTR_RUNNING)
    {
      /* a record without its root filesystem: a skiff was killed between the record and the layer (run,
       * create), or between the layer and the record (rm); when its creator is gone, it is debris */
      if (layers_dir_exists (e, c->id))
        return true;
      return c->creator_pid > 0 && c->creator_pid != getpid () && skiff_pid_alive (c->creator_pid);
    }
  /* recorded under another boot: those PIDs now name other processes, if any */
  if (c->boot_id && *c->boot_id && *skiff_boot_id () && strcmp (c->boot_id, skiff_boot_id ()) != 0)
    {
      record_lost_exit (e, c, -1);
      return true;
    }
  bool mon = c->conmon_pid > 0 && monitor_alive (c->conmon_pid);
  if (skiff_pid_alive (c->pid))
    {
      if (c->conmon_pid > 0 && !mon)
        {
          free (c->error);
          c->error = xasprintf ("the monitor (pid %d) died: the container still runs, but its exit code will be lost",
                                c->conmon_pid);
          c->monitor_died = true;
        }
      return true;
    }
  /* the container is gone but its monitor lives: it is about to record how the container ended (or to restart
   * it) */
  if (mon)
    return true;
  /* a foreground run records the end itself (its skiff is the record's creator) */
  if (c->conmon_pid <= 0 && c->creator_pid != getpid () && skiff_pid_alive (c->creator_pid))
    return true;
  /* a foreground run whose skiff was killed, or a monitor killed with -9 */
  record_lost_exit (e, c, c->conmon_pid);
  return true;
}

/* A half-made record (see refresh): remove it and the name that points to it. */
static void
drop_debris (struct skiff_engine *e, const struct skiff_container *c)
{
  log_debug ("removing the record of container %s: its root filesystem is gone and no skiff is making it", c->id);
  skiff_error_t err = NULL;
  if ((c->name && skiff_names_release_if_ours (e, c->name, c->id, &err) < 0)
      || skiff_record_unlink (e, c->id, &err) < 0)
    {
      log_warning ("removing what a crashed skiff left of container %s: %s", c->id, err->msg);
      skiff_error_release (&err);
    }
}

int
skiff_engine_container_list (struct skiff_engine *e, struct skiff_container_list *out, skiff_error_t *err)
{
  if (skiff_record_list (e, out, err) < 0)
    return -1;
  size_t kept = 0;
  for (size_t i = 0; i < out->n; i++)
    {
      if (skiff_container_refresh (e, out->v[i]))
        out->v[kept++] = out->v[i];
      else
        {
          drop_debris (e, out->v[i]);
          skiff_container_free (out->v[i]);
        }
    }
  out->n = kept;
  if (out->v)
    out->v[kept] = NULL;
  return 0;
}

void
skiff_container_list_release (struct skiff_container_list *l)
{
  for (size_t i = 0; i < l->n; i++)
    skiff_container_free (l->v[i]);
  free (l->v);
  memset (l, 0, sizeof *l);
}

int
skiff_engine_container_latest (struct skiff_engine *e, struct skiff_container **out, skiff_error_t *err)
{
  *out = NULL;
  struct skiff_container_list all;
  if (skiff_engine_container_list (e, &all, err) < 0)
    return -1;
  size_t best = all.n;
  for (size_t i = 0; i < all.n; i++)
    if (best == all.n || all.v[i]->created_ns > all.v[best]->created_ns)
      best = i;
  if (best < all.n)
    *out = steal_pointer (&all.v[best]);
  skiff_container_list_release (&all);
  if (*out == NULL)
    return skiff_error_set_status (err, ENOENT, "no containers to act on: no such container");
  return 0;
}

bool
skiff_engine_container_wait_stopped (struct skiff_engine *e, const char *id, long timeout_ms)
{
  uint64_t deadline = now_ns () + (uint64_t) (timeout_ms < 0 ? 0 : timeout_ms) * 1000000ULL;
  for (;;)
    {
      struct skiff_container *now = NULL;
      bool running = skiff_record_load (e, id, &now, NULL) == 0 && skiff_container_refresh (e, now)
                     && now->state == SKIFF_CTR_RUNNING;
      skiff_container_free (now);
      if (!running)
        return true;
      if (timeout_ms >= 0 && now_ns () >= deadline)
        return false;
      usleep (WAIT_POLL_US);
    }
}

static int
load_refreshed (struct skiff_engine *e, const char *id, struct skiff_container **out)
{
  if (skiff_record_load (e, id, out, NULL) < 0)
    return -1;
  if (skiff_container_refresh (e, *out))
    return 0;
  drop_debris (e, *out);
  skiff_container_free (*out);
  *out = NULL;
  return -1;
}

int
skiff_engine_container_lookup (struct skiff_engine *e, const char *ref, struct skiff_container **out,
                               skiff_error_t *err)
{
  *out = NULL;
  /* a name first (podman: names win over ID prefixes) */
  char id[65];
  if (skiff_names_resolve (e, ref, id) && load_refreshed (e, id, out) == 0)
    return 0;
  /* a full ID: one file, not every record */
  if (strlen (ref) == sizeof id - 1 && strchr (ref, '/') == NULL && load_refreshed (e, ref, out) == 0)
    return 0;
  struct skiff_container_list all;
  if (skiff_engine_container_list (e, &all, err) < 0)
    return -1;
  size_t found = all.n, matches = 0;
  for (size_t i = 0; i < all.n; i++)
    if (strlen (ref) >= MIN_PREFIX && str_has_prefix (all.v[i]->id, ref))
      {
        found = i;
        matches++;
      }
  int ret = 0;
  if (matches == 1)
    *out = steal_pointer (&all.v[found]);
  else if (matches > 1)
    ret = skiff_error_set_status (err, EINVAL,
                                  "more than one result for container ID %s: give more of the ID or the name", ref);
  else
    ret = skiff_error_set_status (err, ENOENT, "no container with name or ID \"%s\" found: no such container", ref);
  skiff_container_list_release (&all);
  return ret;
}

char *
skiff_engine_container_log_path (struct skiff_engine *e, const struct skiff_container *c)
{
  if (!skiff_log_driver_is_file (c->log_driver))
    return NULL;
  if (c->log_path)
    return xstrdup (c->log_path);
  return skiff_storage_container_file (e->root, c->id, SKIFF_CONTAINER_LOG);
}

bool
skiff_engine_image_in_use (const char *image_id, void *data)
{
  return skiff_record_image_in_use (data, image_id);
}

/* The IDs of the containers that join id's network (--network container:id) */
static int
dependents (struct skiff_engine *e, const char *id, char ***out, skiff_error_t *err)
{
  *out = NULL;
  struct skiff_container_list list;
  if (skiff_engine_container_list (e, &list, err) < 0)
    return -1;
  for (size_t i = 0; i < list.n; i++)
    {
      const struct skiff_container *d = list.v[i];
      if (d->net.mode == SKIFF_NETMODE_CONTAINER && d->net.join_id && strcmp (d->net.join_id, id) == 0
          && strcmp (d->id, id) != 0)
        strv_push (out, d->id);
    }
  skiff_container_list_release (&list);
  return 0;
}

#define DEPEND_MAX_DEPTH 32

static int
remove_depend (struct skiff_engine *e, const struct skiff_container *c, bool force, int depth, char ***removed,
               skiff_error_t *err)
{
  if (depth > DEPEND_MAX_DEPTH)
    return skiff_error_set_status (err, ELOOP, "container %s: its dependent containers are more than %d deep", c->id,
                                   DEPEND_MAX_DEPTH);
  cleanup_strv char **deps = NULL;
  if (dependents (e, c->id, &deps, err) < 0)
    return -1;
  for (size_t i = 0; deps && deps[i]; i++)
    {
      struct skiff_container *d = NULL;
      if (skiff_engine_container_lookup (e, deps[i], &d, err) < 0)
        {
          if ((*err)->status != ENOENT)
            return -1;
          skiff_error_release (err); /* gone meanwhile */
          continue;
        }
      int r = remove_depend (e, d, force, depth + 1, removed, err);
      skiff_container_free (d);
      if (r < 0)
        return -1;
    }
  if (skiff_engine_container_remove (e, c, force, err) < 0)
    return -1;
  strv_push (removed, c->id);
  return 0;
}

int
skiff_engine_container_remove_depend (struct skiff_engine *e, const struct skiff_container *c, bool force,
                                      char ***removed, skiff_error_t *err)
{
  return remove_depend (e, c, force, 0, removed, err);
}

int
skiff_engine_container_remove (struct skiff_engine *e, const struct skiff_container *c, bool force, skiff_error_t *err)
{
  cleanup_strv char **deps = NULL;
  if (dependents (e, c->id, &deps, err) < 0)
    return -1;
  if (deps && deps[0])
    {
      cleanup_free char *list = xstrdup (deps[0]);
      for (size_t i = 1; deps[i]; i++)
        {
          char *l = xasprintf ("%s, %s", list, deps[i]);
          free (list);
          list = l;
        }
      return skiff_error_set_status (err, ENOTEMPTY,
                                     "container %s has dependent containers which must be removed before it: %s: "
                                     "container already exists",
                                     c->id, list);
    }
  if (c->state == SKIFF_CTR_RUNNING)
    {
      if (!force)
        return skiff_error_set_status (err, EBUSY,
                                       "cannot remove container %s as it is running - running or paused containers "
                                       "cannot be removed without force: container state improper",
                                       c->id);
      /* flagged first, so that a restart policy does not bring it back; killed at once (rm -f) */
      skiff_error_t ignored = NULL;
      if (skiff_engine_container_kill (e, c->id, SIGKILL, &ignored) < 0)
        skiff_error_release (&ignored);
      /* let its monitor record the end first, so that nothing writes the record after we removed it */
      skiff_engine_container_wait_stopped (e, c->id, FORCE_WAIT_MS);
    }
  return skiff_container_remove_files (e, c->id, c->name, err);
}

int
skiff_container_remove_files (struct skiff_engine *e, const char *id, const char *name, skiff_error_t *err)
{
  struct skiff_store *s;
  if (skiff_engine_store (e, &s, err) < 0)
    return -1;
  if (skiff_store_rootfs_delete (s, id, err) < 0 && (*err)->status != ENOENT)
    return -1;
  skiff_error_release (err);
  skiff_test_point ("rm-layer");
  /* the name on disk (a rename may have changed it), and the one the caller knows if it is still ours */
  cleanup_free char *disk_name = skiff_record_name (e, id);
  if (disk_name && skiff_names_release_if_ours (e, disk_name, id, err) < 0)
    return -1;
  if (name && skiff_names_release_if_ours (e, name, id, err) < 0)
    return -1;
  skiff_test_point ("rm-name");
  skiff_exit_file_remove (e, id);
  /* run --rm takes the container's anonymous volumes with it, as podman's does */
  struct skiff_container *rec = NULL;
  skiff_error_t ignored = NULL;
  if (skiff_record_load (e, id, &rec, &ignored) < 0)
    skiff_error_release (&ignored);
  int r = skiff_record_unlink (e, id, err);
  if (r == 0 && rec && rec->auto_remove && rec->nmounts)
    skiff_volumes_remove_anonymous (e, rec);
  skiff_container_free (rec);
  return r;
}

static void
set_name (struct skiff_container *c, void *data)
{
  free (c->name);
  c->name = xstrdup (data);
}

int
skiff_engine_container_rename (struct skiff_engine *e, const struct skiff_container *c, const char *new_name,
                               skiff_error_t *err)
{
  if (!skiff_name_valid (new_name))
    return skiff_error_set_status (err, EINVAL, "names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument");
  cleanup_free char *old_name = skiff_record_name (e, c->id);
  if (!skiff_record_exists (e, c->id))
    return skiff_error_set_status (err, ENOENT, "no container with name or ID \"%s\" found: no such container", c->id);
  if (old_name && strcmp (old_name, new_name) == 0)
    return 0;
  /* 1. take the new name: symlink(2) is atomic, so a concurrent run --name or rename cannot take it too */
  if (skiff_names_take (e, c->id, new_name, err) < 0)
    return -1;
  /* 2. the record, durably, under its lock (a monitor recording a start or an end meanwhile keeps the new
   * name): from here on the container is known by its new name */
  int r = skiff_container_update (e, c->id, true, set_name, (void *) new_name, err);
  skiff_error_t undo = NULL;
  if (r < 0 && skiff_names_release (e, new_name, &undo) < 0)
    {
      log_warning ("the name %s stays taken: %s", new_name, undo->msg);
      skiff_error_release (&undo);
    }
  if (r < 0)
    return -1;
  /* 3. free the old name (a crash just before this leaves it taken, pointing here) */
  if (old_name && *old_name)
    return skiff_names_release_if_ours (e, old_name, c->id, err);
  return 0;
}

/* ---- the typed record's memory ---- */

void
skiff_container_free (struct skiff_container *c)
{
  if (c == NULL)
    return;
  free (c->name);
  free (c->image_id);
  free (c->image_name);
  free (c->pod_id);
  strv_free (c->args);
  strv_free (c->env);
  free (c->user);
  free (c->workdir);
  free (c->hostname);
  free (c->seccomp_profile);
  free (c->rlimits);
  free (c->log_path);
  free (c->conmon_pidfile);
  skiff_kvlist_release (&c->labels);
  skiff_kvlist_release (&c->annotations);
  skiff_mounts_free (c->mounts, c->nmounts);
  free (c->net.join_id);
  free (c->net.ports);
  free (c->boot_id);
  free (c->error);
  free (c->userns_mode);
  free (c);
}

static char *
dup_or_null (const char *s)
{
  return s ? xstrdup (s) : NULL;
}

struct skiff_container *
skiff_container_dup (const struct skiff_container *c)
{
  struct skiff_container *d = xmalloc0 (sizeof *d);
  *d = *c;
  d->name = dup_or_null (c->name);
  d->image_id = dup_or_null (c->image_id);
  d->image_name = dup_or_null (c->image_name);
  d->pod_id = dup_or_null (c->pod_id);
  d->args = strv_dup (c->args);
  d->env = strv_dup (c->env);
  d->user = dup_or_null (c->user);
  d->workdir = dup_or_null (c->workdir);
  d->hostname = dup_or_null (c->hostname);
  d->seccomp_profile = dup_or_null (c->seccomp_profile);
  d->rlimits = xmalloc0 ((c->nrlimits + 1) * sizeof *d->rlimits);
  if (c->nrlimits)
    memcpy (d->rlimits, c->rlimits, c->nrlimits * sizeof *d->rlimits);
  d->log_path = dup_or_null (c->log_path);
  d->conmon_pidfile = dup_or_null (c->conmon_pidfile);
  skiff_kvlist_copy (&d->labels, &c->labels);
  skiff_kvlist_copy (&d->annotations, &c->annotations);
  d->mounts = skiff_mounts_dup (c->mounts, c->nmounts);
  d->net.join_id = dup_or_null (c->net.join_id);
  d->net.ports = xmalloc0 ((c->net.nports + 1) * sizeof *d->net.ports);
  if (c->net.nports)
    memcpy (d->net.ports, c->net.ports, c->net.nports * sizeof *d->net.ports);
  d->boot_id = dup_or_null (c->boot_id);
  d->error = dup_or_null (c->error);
  d->userns_mode = dup_or_null (c->userns_mode);
  return d;
}

void
skiff_pod_free (struct skiff_pod *p)
{
  if (p == NULL)
    return;
  free (p->name);
  free (p->hostname);
  free (p->net.join_id);
  free (p->net.ports);
  skiff_kvlist_release (&p->labels);
  free (p);
}

void
skiff_pod_list_release (struct skiff_pod_list *l)
{
  for (size_t i = 0; i < l->n; i++)
    skiff_pod_free (l->v[i]);
  free (l->v);
  memset (l, 0, sizeof *l);
}
