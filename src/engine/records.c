/* Container records and their names: <root>/engine/containers/<id>.json, <root>/engine/names/<name> -> <id>. */
#include "engine/records.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>

#define RECORDS_DIR "engine/containers"
#define NAMES_DIR "engine/names"
#define NAME_TRIES 16

static const char *const adjectives[] = {
  "admiring", "brave", "busy", "clever", "cool", "eager", "elegant", "festive", "focused", "gallant",
  "happy", "hopeful", "jolly", "keen", "kind", "laughing", "lucid", "modest", "nifty", "optimistic",
  "peaceful", "quirky", "relaxed", "serene", "sharp", "sleepy", "stoic", "tender", "vibrant", "zealous",
};
static const char *const surnames[] = {
  "archimedes", "bell", "curie", "darwin", "einstein", "euler", "fermi", "galileo", "hopper", "hypatia",
  "kepler", "lovelace", "mendel", "newton", "noether", "pascal", "ritchie", "shannon", "thompson", "turing",
  "volta", "wozniak", "yalow", "zhukovsky", "lamport", "liskov", "knuth", "dijkstra", "babbage", "torvalds",
};

char *
skiff_random_name (void)
{
  uint32_t r[2] = { 0, 0 };
  if (getrandom (r, sizeof r, 0) < 0)
    r[0] = (uint32_t) getpid (), r[1] = (uint32_t) now_ns ();
  return xasprintf ("%s_%s", adjectives[r[0] % ARRAY_SIZE (adjectives)], surnames[r[1] % ARRAY_SIZE (surnames)]);
}

static bool
name_valid (const char *n)
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

int
skiff_records_create (struct skiff_engine *e, const char *id, const char *name, json_object *record, bool durable,
                      char **name_out, skiff_error_t *err)
{
  cleanup_free char *names = path_join (e->root, NAMES_DIR);
  cleanup_free char *dir = path_join (e->root, RECORDS_DIR);
  if (mkdir_p (names, 0700, err) < 0 || mkdir_p (dir, 0700, err) < 0)
    return -1;
  if (name && !name_valid (name))
    return skiff_error_set (err, EINVAL, "invalid container name \"%s\": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*",
                            name);
  cleanup_free char *chosen = NULL;
  for (int i = 0; i < NAME_TRIES; i++)
    {
      free (chosen);
      chosen = name ? xstrdup (name) : skiff_random_name ();
      cleanup_free char *link = path_join (names, chosen);
      if (symlink (id, link) == 0)
        break;
      if (errno != EEXIST)
        return skiff_error_set (err, errno, "reserve the name `%s`", chosen);
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
  json_object_object_add (record, "Name", json_object_new_string (chosen));
  if (skiff_records_update (e, id, record, durable, err) < 0)
    {
      cleanup_free char *link = path_join (names, chosen);
      unlink (link);
      return -1;
    }
  if (name_out)
    *name_out = steal_pointer (&chosen);
  return 0;
}

int
skiff_records_update (struct skiff_engine *e, const char *id, json_object *record, bool durable,
                      skiff_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/%s/%s.json", e->root, RECORDS_DIR, id);
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

int
skiff_records_remove (struct skiff_engine *e, const char *id, const char *name, skiff_error_t *err)
{
  if (name && skiff_records_release_name (e, name, err) < 0)
    return -1;
  cleanup_free char *path = xasprintf ("%s/%s/%s.json", e->root, RECORDS_DIR, id);
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
