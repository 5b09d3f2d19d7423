/* Container records and their names: <root>/engine/containers/<id>.json, <root>/engine/names/<name> -> <id>. */
#include "engine/records.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/stat.h>

#define RECORDS_DIR "engine/containers"
#define NAMES_DIR "engine/names"
#define NAME_TRIES 16
#define NAME_PLAIN_TRIES 3
#define NAME_SUFFIX_RANGE 100000
/* a name link older than this whose record never appeared was left by a killed skiff */
#define STRAY_NAME_GRACE_NS (2ULL * 1000000000ULL)

static const char *const adjectives[] = {
  "admiring", "brave",   "busy",    "clever", "cool",  "eager",    "elegant", "festive", "focused", "gallant",
  "happy",    "hopeful", "jolly",   "keen",   "kind",  "laughing", "lucid",   "modest",  "nifty",   "optimistic",
  "peaceful", "quirky",  "relaxed", "serene", "sharp", "sleepy",   "stoic",   "tender",  "vibrant", "zealous",
};
static const char *const surnames[] = {
  "archimedes", "bell",     "curie",  "darwin",    "einstein", "euler",  "fermi",   "galileo",  "hopper",   "hypatia",
  "kepler",     "lovelace", "mendel", "newton",    "noether",  "pascal", "ritchie", "shannon",  "thompson", "turing",
  "volta",      "wozniak",  "yalow",  "zhukovsky", "lamport",  "liskov", "knuth",   "dijkstra", "babbage",  "torvalds",
};

char *
skiff_random_name (void)
{
  uint32_t r[2] = { 0, 0 };
  if (getrandom (r, sizeof r, 0) < 0)
    r[0] = (uint32_t) getpid (), r[1] = (uint32_t) now_ns ();
  return xasprintf ("%s_%s", adjectives[r[0] % ARRAY_SIZE (adjectives)], surnames[r[1] % ARRAY_SIZE (surnames)]);
}

bool
skiff_name_valid (const char *n)
{
  /* podman: [a-zA-Z0-9][a-zA-Z0-9_.-]* */
  if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') || (*n >= '0' && *n <= '9')))
    return false;
  for (const char *p = n; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '.'
          || *p == '-'))
      return false;
  return strlen (n) < 254;
}

static int records_write (struct skiff_engine *e, const char *id, json_object *record, bool durable,
                          skiff_error_t *err);

void
skiff_crash_point (const char *name)
{
  const char *at = getenv ("SKIFF_TEST_CRASH_AT");
  if (at && strcmp (at, name) == 0)
    raise (SIGKILL);
}

/* A name link whose record does not exist, made more than a moment ago: a skiff was killed between the two
 * steps of records_create. Removing it frees the name. */
static bool
remove_stray_name (struct skiff_engine *e, const char *link)
{
  char target[128];
  ssize_t n = readlink (link, target, sizeof target - 1);
  struct stat st;
  if (n <= 0 || lstat (link, &st) < 0)
    return false;
  target[n] = '\0';
  if (strchr (target, '/') || skiff_records_exists (e, target))
    return false;
  uint64_t made = (uint64_t) st.st_mtim.tv_sec * 1000000000ULL + (uint64_t) st.st_mtim.tv_nsec;
  if (made + STRAY_NAME_GRACE_NS > realtime_ns ())
    return false;
  log_debug ("the name link %s points to %s, which has no record: removing it", link, target);
  return unlink (link) == 0 || errno == ENOENT;
}

int
skiff_records_create (struct skiff_engine *e, const char *id, const char *name, json_object *record, bool durable,
                      char **name_out, skiff_error_t *err)
{
  cleanup_free char *names = path_join (e->root, NAMES_DIR);
  cleanup_free char *dir = path_join (e->root, RECORDS_DIR);
  if (mkdir_p (names, 0700, err) < 0 || mkdir_p (dir, 0700, err) < 0)
    return -1;
  if (name && !skiff_name_valid (name))
    return skiff_error_set (err, EINVAL, "invalid container name \"%s\": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*",
                            name);
  cleanup_free char *chosen = NULL;
  for (int i = 0; i < NAME_TRIES; i++)
    {
      free (chosen);
      chosen = name ? xstrdup (name) : skiff_random_name ();
      /* 900 pairs run out: as docker's name generator, a retry gets a number */
      if (!name && i >= NAME_PLAIN_TRIES)
        {
          uint32_t r = 0;
          if (getrandom (&r, sizeof r, 0) < 0)
            r = (uint32_t) now_ns ();
          char *numbered = xasprintf ("%s%u", chosen, r % NAME_SUFFIX_RANGE);
          free (chosen);
          chosen = numbered;
        }
      cleanup_free char *link = path_join (names, chosen);
      int r = symlink (id, link);
      int errsv = r < 0 ? errno : 0;
      if (errsv == EEXIST && remove_stray_name (e, link))
        errsv = (r = symlink (id, link)) < 0 ? errno : 0;
      if (r == 0)
        break;
      if (errsv != EEXIST)
        return skiff_error_set (err, errsv, "reserve the name `%s`", chosen);
      if (name)
        {
          char target[128] = "";
          ssize_t n = readlink (link, target, sizeof target - 1);
          target[n > 0 ? n : 0] = '\0';
          return skiff_error_set (err, EEXIST,
                                  "the container name \"%s\" is already in use by %s. You have to remove that "
                                  "container to be able to reuse that name: that name is already in use",
                                  name, target);
        }
      if (i == NAME_TRIES - 1)
        return skiff_error_set (err, EEXIST, "could not generate a free container name");
    }
  skiff_crash_point ("create-name");
  json_object_object_add (record, "Name", json_object_new_string (chosen));
  /* until the root filesystem exists, a record without one is still being made while this process lives */
  json_object_object_add (record, "CreatorPid", json_object_new_int (getpid ()));
  if (records_write (e, id, record, durable, err) < 0)
    {
      cleanup_free char *link = path_join (names, chosen);
      unlink (link);
      return -1;
    }
  skiff_crash_point ("create-record");
  if (name_out)
    *name_out = steal_pointer (&chosen);
  return 0;
}

static int
records_write (struct skiff_engine *e, const char *id, json_object *record, bool durable, skiff_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/%s/%s.json", e->root, RECORDS_DIR, id);
  const char *s = json_object_to_json_string_ext (record, JSON_C_TO_STRING_PLAIN);
  if (durable)
    return write_file_atomic (path, s, strlen (s), 0600, err);
  return write_file_replace (path, s, strlen (s), 0600, err);
}

int
skiff_records_update (struct skiff_engine *e, const char *id, json_object *record, bool durable, skiff_error_t *err)
{
  /* the name is rename's alone: a monitor or a foreground run holds an old copy of the record, whose name
   * must not come back when it records the container's start or end */
  cleanup_free char *path = xasprintf ("%s/%s/%s.json", e->root, RECORDS_DIR, id);
  json_object *cur = json_object_from_file (path);
  json_object *name = NULL;
  if (cur && json_object_object_get_ex (cur, "Name", &name) && json_object_is_type (name, json_type_string))
    json_object_object_add (record, "Name", json_object_get (name));
  json_object_put (cur);
  const char *s = json_object_to_json_string_ext (record, JSON_C_TO_STRING_PLAIN);
  if (durable)
    return write_file_atomic (path, s, strlen (s), 0600, err);
  return write_file_replace (path, s, strlen (s), 0600, err);
}

int
skiff_records_release_name (struct skiff_engine *e, const char *name, skiff_error_t *err)
{
  cleanup_free char *link = xasprintf ("%s/%s/%s", e->root, NAMES_DIR, name);
  if (unlink (link) < 0 && errno != ENOENT)
    return skiff_error_set (err, errno, "remove the name `%s`", name);
  return 0;
}

/* Is name's link ours? After a rename, the name a caller remembers may be another container's. */
static bool
name_is_ids (struct skiff_engine *e, const char *name, const char *id)
{
  cleanup_free char *link = xasprintf ("%s/%s/%s", e->root, NAMES_DIR, name);
  char target[128];
  ssize_t n = readlink (link, target, sizeof target - 1);
  if (n <= 0)
    return false;
  target[n] = '\0';
  return strcmp (target, id) == 0;
}

int
skiff_records_remove (struct skiff_engine *e, const char *id, const char *name, skiff_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/%s/%s.json", e->root, RECORDS_DIR, id);
  /* the name on disk (a rename may have changed it), and the one the caller knows if it is still ours */
  json_object *cur = json_object_from_file (path);
  const char *disk_name = cur ? json_object_get_string (json_object_object_get (cur, "Name")) : NULL;
  int r = 0;
  if (disk_name && name_is_ids (e, disk_name, id))
    r = skiff_records_release_name (e, disk_name, err);
  json_object_put (cur);
  if (r < 0)
    return -1;
  if (name && name_is_ids (e, name, id) && skiff_records_release_name (e, name, err) < 0)
    return -1;
  skiff_crash_point ("rm-name");
  if (unlink (path) < 0 && errno != ENOENT)
    return skiff_error_set (err, errno, "remove `%s`", path);
  return 0;
}

bool
skiff_records_exists (struct skiff_engine *e, const char *id)
{
  cleanup_free char *path = xasprintf ("%s/%s/%s.json", e->root, RECORDS_DIR, id);
  return access (path, F_OK) == 0;
}

int
skiff_records_remove_all (struct skiff_engine *e, skiff_error_t *err)
{
  cleanup_free char *dir = path_join (e->root, "engine");
  return rm_rf (dir, err);
}

bool
skiff_engine_image_in_use (const char *image_id, void *data)
{
  struct skiff_engine *e = data;
  cleanup_free char *dir = path_join (e->root, RECORDS_DIR);
  DIR *d = opendir (dir);
  if (d == NULL)
    return false;
  bool used = false;
  struct dirent *de;
  while (!used && (de = readdir (d)) != NULL)
    {
      if (de->d_name[0] == '.' || !str_has_suffix (de->d_name, ".json"))
        continue;
      cleanup_free char *path = xasprintf ("%s/%s", dir, de->d_name);
      json_object *rec = json_object_from_file (path);
      json_object *img = NULL;
      if (rec && json_object_object_get_ex (rec, "Image", &img) && strcmp (json_object_get_string (img), image_id) == 0)
        used = true;
      json_object_put (rec);
    }
  closedir (d);
  return used;
}

int
skiff_engine_container_rename (struct skiff_engine *e, json_object *rec, const char *new_name, skiff_error_t *err)
{
  const char *id = json_object_get_string (json_object_object_get (rec, "Id"));
  if (!skiff_name_valid (new_name))
    return skiff_error_set_status (err, EINVAL, "names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument");
  cleanup_free char *path = xasprintf ("%s/%s/%s.json", e->root, RECORDS_DIR, id);
  json_object *cur = json_object_from_file (path);
  if (cur == NULL)
    return skiff_error_set_status (err, ENOENT, "no container with name or ID \"%s\" found: no such container", id);
  cleanup_free char *old_name = xstrdup (json_object_get_string (json_object_object_get (cur, "Name")) ?: "");
  if (strcmp (old_name, new_name) == 0)
    {
      json_object_put (cur);
      return 0;
    }
  /* 1. take the new name: symlink(2) is atomic, so a concurrent run --name or rename cannot take it too */
  cleanup_free char *link = xasprintf ("%s/%s/%s", e->root, NAMES_DIR, new_name);
  if (symlink (id, link) < 0)
    {
      int errsv = errno;
      json_object_put (cur);
      if (errsv == EEXIST)
        return skiff_error_set_status (err, EEXIST, "name \"%s\" is in use: container already exists", new_name);
      return skiff_error_set (err, errsv, "reserve the name `%s`", new_name);
    }
  /* 2. the record, durably: from here on the container is known by its new name */
  json_object_object_add (cur, "Name", json_object_new_string (new_name));
  int r = records_write (e, id, cur, true, err);
  json_object_put (cur);
  if (r < 0)
    {
      unlink (link);
      return -1;
    }
  /* 3. free the old name (a crash just before this leaves it taken, pointing here) */
  if (*old_name && name_is_ids (e, old_name, id))
    return skiff_records_release_name (e, old_name, err);
  return 0;
}
