/* Containers on disk: listing records, finding one by name, ID or unique ID prefix, removing one. */
#include "engine/engine.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <strings.h>
#include <sys/file.h>

#include "engine/records.h"

#define RECORDS_DIR "engine/containers"
#define NAMES_DIR "engine/names"
#define MIN_PREFIX 1
#define FORCE_WAIT_POLLS 500
#define FORCE_WAIT_US 20000

static json_object *
load_record (struct skiff_engine *e, const char *id)
{
  cleanup_free char *path = xasprintf ("%s/%s/%s.json", e->root, RECORDS_DIR, id);
  return json_object_from_file (path);
}

/* A live process: kill(2) succeeds (EPERM: someone else's, alive) and it is not a zombie (a container whose
 * monitor died is reparented to a reaper that may be slow, and kill(2) succeeds on a zombie). */
static bool
pid_alive (int pid)
{
  if (pid <= 0 || (kill (pid, 0) < 0 && errno != EPERM))
    return false;
  char path[64], buf[512];
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
  if (!pid_alive (pid))
    return false;
  char path[64], comm[32] = "";
  snprintf (path, sizeof path, "/proc/%d/comm", pid);
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return true;
  ssize_t n = read (fd, comm, sizeof comm - 1);
  close (fd);
  comm[n > 0 ? n : 0] = '\0';
  return n <= 0 || str_has_prefix (comm, "skiff");
}

static int
rec_int (json_object *rec, const char *key)
{
  return json_object_get_int (json_object_object_get (rec, key));
}

static bool
rec_is (json_object *rec, const char *key, const char *value)
{
  const char *v = json_object_get_string (json_object_object_get (rec, key));
  return v && strcmp (v, value) == 0;
}

#define LOST_EXIT_CODE -1

/* Both the container and its monitor are gone: nobody will record the end. Write it (under the container's
 * lock, and only if the record still says what we saw), so that FinishedAt stays put and rm/start see it. */
static void
record_lost_exit (struct skiff_engine *e, json_object *rec, int monitor)
{
  const char *id = json_object_get_string (json_object_object_get (rec, "Id"));
  int pid = rec_int (rec, "Pid");
  cleanup_free char *msg
      = monitor < 0 ? xstrdup ("the system restarted while the container ran: its exit code was lost")
        : monitor > 0
            ? xasprintf ("the monitor (pid %d) died before the container ended: its exit code was lost", monitor)
            : xstrdup ("the container ended while no monitor watched it: its exit code was lost");
  json_object_object_add (rec, "Status", json_object_new_string ("exited"));
  json_object_object_add (rec, "ExitCode", json_object_new_int (LOST_EXIT_CODE));
  json_object_object_add (rec, "Pid", json_object_new_int (0));
  json_object_object_add (rec, "Error", json_object_new_string (msg));
  json_object_object_del (rec, "MonitorDied");
  if (id == NULL)
    return;
  int lock = skiff_engine_container_lock (e, id);
  if (lock < 0)
    return;
  json_object *now = load_record (e, id);
  if (now && rec_is (now, "Status", "running") && rec_int (now, "Pid") == pid
      && (monitor < 0 || rec_int (now, "ConmonPid") == monitor))
    {
      json_object_object_add (rec, "FinishedAt", json_object_new_int64 ((int64_t) realtime_ns ()));
      json_object_object_add (now, "Status", json_object_new_string ("exited"));
      json_object_object_add (now, "ExitCode", json_object_new_int (LOST_EXIT_CODE));
      json_object_object_add (now, "Pid", json_object_new_int (0));
      json_object_object_add (now, "Error", json_object_new_string (msg));
      json_object_object_add (now, "FinishedAt", json_object_get (json_object_object_get (rec, "FinishedAt")));
      skiff_records_update (e, id, now, true, NULL);
    }
  json_object_put (now);
  close (lock);
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
      cleanup_free char *dir = path_join (e->root, "containers");
      dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      dfd_root = xstrdup (e->root);
      if (dfd < 0)
        return errno != ENOENT;
    }
  return faccessat (dfd, id, F_OK, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT;
}

bool
skiff_engine_container_refresh (struct skiff_engine *e, json_object *rec)
{
  const char *id = json_object_get_string (json_object_object_get (rec, "Id"));
  if (!rec_is (rec, "Status", "running"))
    {
      /* a record without its root filesystem: a skiff was killed between the record and the layer (run,
       * create), or between the layer and the record (rm); when its creator is gone, it is debris */
      if (id == NULL)
        return false;
      if (strchr (id, '/') == NULL && layers_dir_exists (e, id))
        return true;
      int creator = rec_int (rec, "CreatorPid");
      return creator > 0 && creator != getpid () && pid_alive (creator);
    }
  int pid = rec_int (rec, "Pid");
  int monitor = rec_int (rec, "ConmonPid");
  /* recorded under another boot: those PIDs now name other processes, if any */
  const char *boot = json_object_get_string (json_object_object_get (rec, "BootId"));
  if (boot && *boot && *skiff_boot_id () && strcmp (boot, skiff_boot_id ()) != 0)
    {
      record_lost_exit (e, rec, -1);
      return true;
    }
  bool mon = monitor > 0 && monitor_alive (monitor);
  if (pid_alive (pid))
    {
      if (monitor > 0 && !mon)
        {
          cleanup_free char *msg = xasprintf (
              "the monitor (pid %d) died: the container still runs, but its exit code will be lost", monitor);
          json_object_object_add (rec, "Error", json_object_new_string (msg));
          json_object_object_add (rec, "MonitorDied", json_object_new_boolean (1));
        }
      return true;
    }
  /* the container is gone but its monitor lives: it is about to record how the container ended (or to restart
   * it) */
  if (mon)
    return true;
  /* a foreground run records the end itself (its skiff is the record's creator) */
  if (monitor <= 0 && rec_int (rec, "CreatorPid") != getpid () && pid_alive (rec_int (rec, "CreatorPid")))
    return true;
  /* a foreground run whose skiff was killed, or a monitor killed with -9 */
  record_lost_exit (e, rec, monitor);
  return true;
}

/* A half-made record (see skiff_engine_container_refresh): remove it and the name that points to it. */
static void
drop_debris (struct skiff_engine *e, json_object *rec)
{
  const char *id = json_object_get_string (json_object_object_get (rec, "Id"));
  if (id == NULL)
    return;
  log_debug ("removing the record of container %s: its root filesystem is gone and no skiff is making it", id);
  skiff_error_t ignored = NULL;
  skiff_records_remove (e, id, NULL, &ignored);
  skiff_error_release (&ignored);
}

int
skiff_engine_container_list (struct skiff_engine *e, json_object **out, skiff_error_t *err)
{
  *out = json_object_new_array ();
  cleanup_free char *dir = path_join (e->root, RECORDS_DIR);
  DIR *d = opendir (dir);
  if (d == NULL)
    return errno == ENOENT ? 0 : skiff_error_set (err, errno, "open `%s`", dir);
  int dfd = dirfd (d);
  struct dirent *de;
  char *buf = NULL;
  size_t cap = 0;
  json_tokener *tok = json_tokener_new ();
  while ((de = readdir (d)) != NULL)
    {
      if (de->d_name[0] == '.' || !str_has_suffix (de->d_name, ".json"))
        continue;
      /* read and parse with one buffer and one tokener: ps -a over a thousand records is this loop */
      int fd = openat (dfd, de->d_name, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        continue;
      size_t len = 0;
      for (;;)
        {
          if (len + 4096 > cap)
            buf = xrealloc (buf, cap = (cap ? cap * 2 : 16384));
          size_t want = cap - len - 1;
          ssize_t n = read (fd, buf + len, want);
          if (n < 0 && errno == EINTR)
            continue;
          if (n <= 0)
            break;
          len += (size_t) n;
          /* a short read of a regular file is its end: spare the read that would return 0 */
          if ((size_t) n < want)
            break;
        }
      close (fd);
      json_tokener_reset (tok);
      json_object *rec = json_tokener_parse_ex (tok, buf, (int) len);
      if (rec == NULL || !json_object_is_type (rec, json_type_object))
        {
          json_object_put (rec);
          continue;
        }
      if (!skiff_engine_container_refresh (e, rec))
        {
          drop_debris (e, rec);
          json_object_put (rec);
          continue;
        }
      json_object_array_add (*out, rec);
    }
  json_tokener_free (tok);
  free (buf);
  closedir (d);
  return 0;
}

int
skiff_engine_container_latest (struct skiff_engine *e, json_object **out, skiff_error_t *err)
{
  *out = NULL;
  json_object *all = NULL;
  if (skiff_engine_container_list (e, &all, err) < 0)
    return -1;
  json_object *best = NULL;
  for (size_t i = 0; i < json_object_array_length (all); i++)
    {
      json_object *rec = json_object_array_get_idx (all, i);
      if (best == NULL
          || json_object_get_int64 (json_object_object_get (rec, "Created"))
                 > json_object_get_int64 (json_object_object_get (best, "Created")))
        best = rec;
    }
  if (best)
    *out = json_object_get (best);
  json_object_put (all);
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
      json_object *now = load_record (e, id);
      bool running = now && skiff_engine_container_refresh (e, now) && rec_is (now, "Status", "running");
      json_object_put (now);
      if (!running)
        return true;
      if (timeout_ms >= 0 && now_ns () >= deadline)
        return false;
      usleep (FORCE_WAIT_US);
    }
}

json_object *
skiff_labels_json (char *const *kv)
{
  json_object *o = json_object_new_object ();
  for (size_t i = 0; kv && kv[i]; i++)
    {
      const char *eq = strchr (kv[i], '=');
      cleanup_free char *key = eq ? xstrndup (kv[i], (size_t) (eq - kv[i])) : xstrdup (kv[i]);
      json_object_object_add (o, key, json_object_new_string (eq ? eq + 1 : ""));
    }
  return o;
}

int
skiff_engine_container_lookup (struct skiff_engine *e, const char *ref, json_object **out, skiff_error_t *err)
{
  *out = NULL;
  /* a name first (podman: names win over ID prefixes) */
  cleanup_free char *link = xasprintf ("%s/%s/%s", e->root, NAMES_DIR, ref);
  char target[80];
  ssize_t n = strchr (ref, '/') ? -1 : readlink (link, target, sizeof target - 1);
  if (n > 0)
    {
      target[n] = '\0';
      if ((*out = load_record (e, target)) != NULL)
        {
          if (skiff_engine_container_refresh (e, *out))
            return 0;
          drop_debris (e, *out);
          json_object_put (*out);
          *out = NULL;
        }
    }
  json_object *all = NULL;
  if (skiff_engine_container_list (e, &all, err) < 0)
    return -1;
  json_object *found = NULL;
  size_t matches = 0;
  for (size_t i = 0; i < json_object_array_length (all); i++)
    {
      json_object *rec = json_object_array_get_idx (all, i);
      const char *id = json_object_get_string (json_object_object_get (rec, "Id"));
      if (id && strlen (ref) >= MIN_PREFIX && str_has_prefix (id, ref))
        {
          found = rec;
          matches++;
        }
    }
  int ret = 0;
  if (matches == 1)
    *out = json_object_get (found);
  else if (matches > 1)
    ret = skiff_error_set_status (err, EINVAL,
                                  "more than one result for container ID %s: give more of the ID or the name", ref);
  else
    ret = skiff_error_set_status (err, ENOENT, "no container with name or ID \"%s\" found: no such container", ref);
  json_object_put (all);
  return ret;
}

int
skiff_engine_container_lock (struct skiff_engine *e, const char *id)
{
  cleanup_free char *dir = xasprintf ("%s/containers/%s", e->root, id);
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

bool
skiff_engine_container_stopped_by_user (struct skiff_engine *e, const char *id)
{
  json_object *rec = load_record (e, id);
  json_object *flag = NULL;
  bool stopped = rec && json_object_object_get_ex (rec, "StoppedByUser", &flag) && json_object_get_boolean (flag);
  json_object_put (rec);
  return stopped;
}

int
skiff_engine_container_mark_stopped (struct skiff_engine *e, const char *id, json_object **fresh, skiff_error_t *err)
{
  *fresh = NULL;
  int lock = skiff_engine_container_lock (e, id);
  json_object *rec = load_record (e, id);
  if (rec == NULL)
    {
      if (lock >= 0)
        close (lock);
      return skiff_error_set_status (err, ENOENT, "no container with ID \"%s\" found: no such container", id);
    }
  json_object_object_add (rec, "StoppedByUser", json_object_new_boolean (1));
  int r = skiff_records_update (e, id, rec, false, err);
  if (lock >= 0)
    close (lock);
  if (r < 0)
    {
      json_object_put (rec);
      return -1;
    }
  skiff_engine_container_refresh (e, rec);
  *fresh = rec;
  return 0;
}

static const struct
{
  const char *name;
  int sig;
} signal_names[] = {
  { "HUP", SIGHUP },       { "INT", SIGINT },   { "QUIT", SIGQUIT },   { "ILL", SIGILL },   { "TRAP", SIGTRAP },
  { "ABRT", SIGABRT },     { "BUS", SIGBUS },   { "FPE", SIGFPE },     { "KILL", SIGKILL }, { "USR1", SIGUSR1 },
  { "SEGV", SIGSEGV },     { "USR2", SIGUSR2 }, { "PIPE", SIGPIPE },   { "ALRM", SIGALRM }, { "TERM", SIGTERM },
  { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT },   { "STOP", SIGSTOP }, { "TSTP", SIGTSTP },
  { "TTIN", SIGTTIN },     { "TTOU", SIGTTOU }, { "URG", SIGURG },     { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },
  { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF }, { "WINCH", SIGWINCH }, { "IO", SIGIO },     { "PWR", SIGPWR },
  { "SYS", SIGSYS },
};

int
skiff_signal_parse (const char *s)
{
  long long n;
  if (str_to_llong (s, 1, 64, &n))
    return (int) n;
  const char *p = strncasecmp (s, "SIG", 3) == 0 ? s + 3 : s;
  for (size_t i = 0; i < ARRAY_SIZE (signal_names); i++)
    if (strcasecmp (p, signal_names[i].name) == 0)
      return signal_names[i].sig;
  return -1;
}

const char *
skiff_signal_name (int sig, char *buf, size_t len)
{
  for (size_t i = 0; i < ARRAY_SIZE (signal_names); i++)
    if (signal_names[i].sig == sig)
      {
        snprintf (buf, len, "SIG%s", signal_names[i].name);
        return buf;
      }
  snprintf (buf, len, "%d", sig);
  return buf;
}

int
skiff_engine_container_remove (struct skiff_engine *e, json_object *rec, bool force, skiff_error_t *err)
{
  const char *id = json_object_get_string (json_object_object_get (rec, "Id"));
  const char *name = json_object_get_string (json_object_object_get (rec, "Name"));
  const char *status = json_object_get_string (json_object_object_get (rec, "Status"));
  if (status && strcmp (status, "running") == 0)
    {
      if (!force)
        return skiff_error_set_status (
            err, EBUSY,
            "cannot remove container %s as it is running - running or paused containers cannot "
            "be removed without force: container state improper",
            id);
      /* flagged first, so that a restart policy does not bring it back */
      json_object *fresh = NULL;
      int pid = json_object_get_int (json_object_object_get (rec, "Pid"));
      if (skiff_engine_container_mark_stopped (e, id, &fresh, NULL) == 0)
        pid = json_object_get_int (json_object_object_get (fresh, "Pid"));
      json_object_put (fresh);
      if (pid > 0)
        kill (pid, SIGKILL);
      /* let its monitor record the end first, so that nothing writes the record after we removed it */
      skiff_engine_container_wait_stopped (e, id, (long) FORCE_WAIT_POLLS * FORCE_WAIT_US / 1000);
    }
  struct skiff_store *s;
  if (skiff_engine_store (e, &s, err) < 0)
    return -1;
  if (skiff_store_rootfs_delete (s, id, err) < 0 && (*err)->status != ENOENT)
    return -1;
  skiff_error_release (err);
  skiff_crash_point ("rm-layer");
  return skiff_records_remove (e, id, name, err);
}
