/* Containers on disk: listing records, finding one by name, ID or unique ID prefix, removing one. */
#include "engine/engine.h"

#include <dirent.h>
#include <signal.h>

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
      int pid = json_object_get_int (json_object_object_get (rec, "Pid"));
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
