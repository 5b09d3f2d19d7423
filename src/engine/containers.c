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

/* "running" records whose process is gone (the skiff that ran them was killed) say so */
static void
refresh_status (json_object *rec)
{
  json_object *st = NULL, *pid = NULL;
  if (!json_object_object_get_ex (rec, "Status", &st) || strcmp (json_object_get_string (st), "running") != 0)
    return;
  if (json_object_object_get_ex (rec, "Pid", &pid) && json_object_get_int (pid) > 0
      && (kill (json_object_get_int (pid), 0) == 0 || errno == EPERM))
    return;
  /* the container is gone but its monitor lives: it is about to record how the container ended */
  json_object *mon = NULL;
  if (json_object_object_get_ex (rec, "ConmonPid", &mon) && json_object_get_int (mon) > 0
      && kill (json_object_get_int (mon), 0) == 0)
    return;
  json_object_object_add (rec, "Status", json_object_new_string ("exited"));
  json_object_object_add (rec, "ExitCode", json_object_new_int (-1));
  json_object_object_add (rec, "Pid", json_object_new_int (0));
}

int
skiff_engine_container_list (struct skiff_engine *e, json_object **out, skiff_error_t *err)
{
  *out = json_object_new_array ();
  cleanup_free char *dir = path_join (e->root, RECORDS_DIR);
  DIR *d = opendir (dir);
  if (d == NULL)
    return errno == ENOENT ? 0 : skiff_error_set (err, errno, "open `%s`", dir);
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    {
      if (de->d_name[0] == '.' || !str_has_suffix (de->d_name, ".json"))
        continue;
      cleanup_free char *id = xstrndup (de->d_name, strlen (de->d_name) - strlen (".json"));
      json_object *rec = load_record (e, id);
      if (rec == NULL)
        continue;
      refresh_status (rec);
      json_object_array_add (*out, rec);
    }
  closedir (d);
  return 0;
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
          refresh_status (*out);
          return 0;
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
skiff_engine_container_mark_stopped (struct skiff_engine *e, const char *id, json_object **fresh,
                                     skiff_error_t *err)
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
  refresh_status (rec);
  *fresh = rec;
  return 0;
}

static const struct
{
  const char *name;
  int sig;
} signal_names[] = {
  { "HUP", SIGHUP },     { "INT", SIGINT },   { "QUIT", SIGQUIT }, { "ILL", SIGILL },     { "TRAP", SIGTRAP },
  { "ABRT", SIGABRT },   { "BUS", SIGBUS },   { "FPE", SIGFPE },   { "KILL", SIGKILL },   { "USR1", SIGUSR1 },
  { "SEGV", SIGSEGV },   { "USR2", SIGUSR2 }, { "PIPE", SIGPIPE }, { "ALRM", SIGALRM },   { "TERM", SIGTERM },
  { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT }, { "STOP", SIGSTOP }, { "TSTP", SIGTSTP },
  { "TTIN", SIGTTIN },   { "TTOU", SIGTTOU }, { "URG", SIGURG },   { "XCPU", SIGXCPU },   { "XFSZ", SIGXFSZ },
  { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF }, { "WINCH", SIGWINCH }, { "IO", SIGIO },   { "PWR", SIGPWR },
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
        return skiff_error_set_status (err, EBUSY,
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
      for (int i = 0; i < FORCE_WAIT_POLLS; i++)
        {
          json_object *now = load_record (e, id);
          if (now)
            refresh_status (now);
          const char *st = now ? json_object_get_string (json_object_object_get (now, "Status")) : NULL;
          bool running = st && strcmp (st, "running") == 0;
          json_object_put (now);
          if (!running)
            break;
          usleep (FORCE_WAIT_US);
        }
    }
  struct skiff_store *s;
  if (skiff_engine_store (e, &s, err) < 0)
    return -1;
  if (skiff_store_rootfs_delete (s, id, err) < 0 && (*err)->status != ENOENT)
    return -1;
  skiff_error_release (err);
  return skiff_records_remove (e, id, name, err);
}
