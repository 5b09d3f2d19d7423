/* Container and pod names: podman's rule, generated names, and names reserved atomically as symlinks to the
 * ID (<root>/engine/names/<name>, <root>/engine/pod-names/<name>): symlink(2) fails with EEXIST, so two
 * skiffs cannot take one name and no lock is needed. */
#include "engine/internal.h"

#include <sys/random.h>
#include <sys/stat.h>

#define SKIFF_ID_LEN 64
#define NAMES_DIR "engine/names"
#define POD_NAMES_DIR "engine/pod-names"
#define NAME_TRIES 16
#define NAME_PLAIN_TRIES 3
#define NAME_SUFFIX_RANGE 100000
#define NAME_MAX_LEN 254
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

static bool
name_char (char c, bool first)
{
  bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  return alnum || (!first && (c == '_' || c == '.' || c == '-'));
}

bool
skiff_name_valid (const char *n)
{
  /* podman: [a-zA-Z0-9][a-zA-Z0-9_.-]* */
  if (!name_char (*n, true))
    return false;
  for (const char *p = n; *p; p++)
    if (!name_char (*p, false))
      return false;
  return strlen (n) < NAME_MAX_LEN;
}

static char *
link_path (struct skiff_engine *e, const char *dir, const char *name)
{
  return xasprintf ("%s/%s/%s", e->root, dir, name);
}

static bool
resolve_in (struct skiff_engine *e, const char *dir, const char *name, char id[65])
{
  if (id == NULL || strchr (name, '/') || *name == '\0')
    return false;
  cleanup_free char *link = link_path (e, dir, name);
  ssize_t n = readlink (link, id, SKIFF_ID_LEN);
  if (n <= 0)
    return false;
  id[n] = '\0';
  return strchr (id, '/') == NULL;
}

bool
skiff_names_resolve (struct skiff_engine *e, const char *name, char id[65])
{
  return resolve_in (e, NAMES_DIR, name, id);
}

/* A name link whose record does not exist, made more than a moment ago: a skiff was killed between the two
 * steps of create (name, then record). Removing it frees the name. */
static bool
remove_stray_name (struct skiff_engine *e, const char *link)
{
  char target[128];
  ssize_t n = readlink (link, target, sizeof target - 1);
  struct stat st;
  if (n <= 0 || lstat (link, &st) < 0)
    return false;
  target[n] = '\0';
  if (strchr (target, '/') || skiff_record_exists (e, target))
    return false;
  uint64_t made = (uint64_t) st.st_mtim.tv_sec * 1000000000ULL + (uint64_t) st.st_mtim.tv_nsec;
  if (made + STRAY_NAME_GRACE_NS > realtime_ns ())
    return false;
  log_debug ("the name link %s points to %s, which has no record: removing it", link, target);
  return unlink (link) == 0 || errno == ENOENT;
}

static char *
candidate (const char *name, int attempt)
{
  if (name)
    return xstrdup (name);
  cleanup_free char *r = skiff_random_name ();
  /* 900 pairs run out: as docker's name generator, a retry gets a number */
  if (attempt < NAME_PLAIN_TRIES)
    return steal_pointer (&r);
  uint32_t n = 0;
  if (getrandom (&n, sizeof n, 0) < 0)
    n = (uint32_t) now_ns ();
  return xasprintf ("%s%u", r, n % NAME_SUFFIX_RANGE);
}

int
skiff_names_reserve (struct skiff_engine *e, const char *id, const char *name, char **chosen, skiff_error_t *err)
{
  *chosen = NULL;
  cleanup_free char *dir = path_join (e->root, NAMES_DIR);
  if (mkdir_p (dir, 0700, err) < 0)
    return -1;
  if (name && !skiff_name_valid (name))
    return skiff_error_set_status (err, EINVAL,
                                   "invalid container name \"%s\": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*", name);
  for (int i = 0; i < NAME_TRIES; i++)
    {
      cleanup_free char *c = candidate (name, i);
      cleanup_free char *link = path_join (dir, c);
      int r = symlink (id, link);
      int errsv = r < 0 ? errno : 0;
      if (errsv == EEXIST && remove_stray_name (e, link))
        errsv = (r = symlink (id, link)) < 0 ? errno : 0;
      if (r == 0)
        {
          *chosen = steal_pointer (&c);
          return 0;
        }
      if (errsv != EEXIST)
        return skiff_error_set (err, errsv, "reserve the name `%s`", c);
      if (name)
        {
          char target[65] = "";
          skiff_names_resolve (e, name, target);
          return skiff_error_set_status (err, EEXIST,
                                         "the container name \"%s\" is already in use by %s. You have to remove that "
                                         "container to be able to reuse that name: that name is already in use",
                                         name, target);
        }
    }
  return skiff_error_set_status (err, EEXIST, "could not generate a free container name: give one with --name");
}

int
skiff_names_release (struct skiff_engine *e, const char *name, skiff_error_t *err)
{
  cleanup_free char *link = link_path (e, NAMES_DIR, name);
  if (unlink (link) < 0 && errno != ENOENT)
    return skiff_error_set (err, errno, "remove the name `%s`", name);
  return 0;
}

int
skiff_names_release_if_ours (struct skiff_engine *e, const char *name, const char *id, skiff_error_t *err)
{
  char target[65];
  if (!skiff_names_resolve (e, name, target) || strcmp (target, id) != 0)
    return 0;
  return skiff_names_release (e, name, err);
}

int
skiff_names_take (struct skiff_engine *e, const char *id, const char *new_name, skiff_error_t *err)
{
  cleanup_free char *dir = path_join (e->root, NAMES_DIR);
  if (mkdir_p (dir, 0700, err) < 0)
    return -1;
  cleanup_free char *link = path_join (dir, new_name);
  if (symlink (id, link) == 0)
    return 0;
  if (errno == EEXIST)
    return skiff_error_set_status (err, EEXIST, "name \"%s\" is in use: container already exists", new_name);
  return skiff_error_set (err, errno, "reserve the name `%s`", new_name);
}

int
skiff_pod_names_take (struct skiff_engine *e, const char *id, const char *name, skiff_error_t *err)
{
  cleanup_free char *dir = path_join (e->root, POD_NAMES_DIR);
  if (mkdir_p (dir, 0700, err) < 0)
    return -1;
  cleanup_free char *link = path_join (dir, name);
  if (symlink (id, link) == 0)
    return 0;
  if (errno == EEXIST)
    return skiff_error_set_status (err, EEXIST,
                                   "adding pod to state: name \"%s\" is in use: pod already exists (remove it with "
                                   "`skiff pod rm %s`, or choose another name)",
                                   name, name);
  return skiff_error_set (err, errno, "reserve the pod name %s", name);
}

void
skiff_pod_names_release (struct skiff_engine *e, const char *name)
{
  cleanup_free char *link = link_path (e, POD_NAMES_DIR, name);
  unlink (link);
}

bool
skiff_pod_names_resolve (struct skiff_engine *e, const char *name, char id[65])
{
  return resolve_in (e, POD_NAMES_DIR, name, id);
}
