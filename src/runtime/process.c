/* The container process's identity and limits: users and groups from the container's own /etc/passwd and
 * /etc/group, --ulimit parsing and checking, and the executable lookup in the container's PATH. */
#include "runtime/process.h"

#include "runtime/caps.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

static const struct
{
  const char *name;
  int resource;
} rlimit_names[] = {
  { "core", RLIMIT_CORE },         { "cpu", RLIMIT_CPU },
  { "data", RLIMIT_DATA },         { "fsize", RLIMIT_FSIZE },
  { "locks", RLIMIT_LOCKS },       { "memlock", RLIMIT_MEMLOCK },
  { "msgqueue", RLIMIT_MSGQUEUE }, { "nice", RLIMIT_NICE },
  { "nofile", RLIMIT_NOFILE },     { "nproc", RLIMIT_NPROC },
  { "rss", RLIMIT_RSS },           { "rtprio", RLIMIT_RTPRIO },
  { "rttime", RLIMIT_RTTIME },     { "sigpending", RLIMIT_SIGPENDING },
  { "stack", RLIMIT_STACK },       { "as", RLIMIT_AS },
};

const char *
skiff_rlimit_name (int resource)
{
  for (size_t i = 0; i < ARRAY_SIZE (rlimit_names); i++)
    if (rlimit_names[i].resource == resource)
      return rlimit_names[i].name;
  return "?";
}

static bool
parse_limit (const char *s, rlim_t *out)
{
  long long v;
  if (strcmp (s, "-1") == 0 || strcmp (s, "unlimited") == 0)
    {
      *out = RLIM_INFINITY;
      return true;
    }
  if (!str_to_llong (s, 0, INT64_MAX, &v))
    return false;
  *out = (rlim_t) v;
  return true;
}

int
skiff_rlimit_parse (const char *spec, struct skiff_rlimit *out, skiff_error_t *err)
{
  const char *eq = strchr (spec, '=');
  if (eq == NULL)
    return skiff_error_set (err, 0, "invalid ulimit `%s`: expected NAME=SOFT[:HARD], e.g. nofile=1024:2048", spec);
  cleanup_free char *name = xstrndup (spec, (size_t) (eq - spec));
  const char *n = str_has_prefix (name, "RLIMIT_") || str_has_prefix (name, "rlimit_") ? name + 7 : name;
  int resource = -1;
  for (size_t i = 0; i < ARRAY_SIZE (rlimit_names); i++)
    if (strcasecmp (n, rlimit_names[i].name) == 0)
      resource = rlimit_names[i].resource;
  if (resource < 0)
    return skiff_error_set (err, 0,
                            "invalid ulimit `%s`: unknown resource `%s` (known: nofile, nproc, core, cpu, "
                            "data, fsize, locks, memlock, msgqueue, nice, rss, rtprio, rttime, sigpending, stack, as)",
                            spec, name);
  cleanup_free char *vals = xstrdup (eq + 1);
  char *colon = strchr (vals, ':');
  if (colon)
    *colon = '\0';
  rlim_t soft, hard;
  if (!parse_limit (vals, &soft) || (colon && !parse_limit (colon + 1, &hard)))
    return skiff_error_set (err, 0, "invalid ulimit `%s`: limits must be numbers or -1 for unlimited", spec);
  if (!colon)
    hard = soft;
  if (soft != RLIM_INFINITY && (hard == RLIM_INFINITY ? false : soft > hard))
    return skiff_error_set (err, 0, "invalid ulimit `%s`: the soft limit is above the hard limit", spec);
  out->resource = resource;
  out->limit.rlim_cur = soft;
  out->limit.rlim_max = hard;
  return 0;
}

int
skiff_rlimit_check (const struct skiff_rlimit *r, skiff_error_t *err)
{
  struct rlimit cur;
  if (getrlimit (r->resource, &cur) < 0)
    return skiff_error_set (err, errno, "getrlimit");
  if (cur.rlim_max != RLIM_INFINITY && (r->limit.rlim_max == RLIM_INFINITY || r->limit.rlim_max > cur.rlim_max))
    return skiff_error_set (err, EPERM,
                            "ulimit %s: the hard limit %s is above your own hard limit %llu, which an unprivileged "
                            "user cannot raise: ask for at most %llu",
                            skiff_rlimit_name (r->resource),
                            r->limit.rlim_max == RLIM_INFINITY ? "unlimited" : "requested",
                            (unsigned long long) cur.rlim_max, (unsigned long long) cur.rlim_max);
  return 0;
}

/* The container's /etc/passwd or /etc/group, resolved inside its root: "" when missing. The image made it, so
 * it may be a link to /dev/zero or a FIFO, or huge: refused, never read without bound or waited on. */
static int
read_id_file (int rootfd, const char *path, char **out, skiff_error_t *err)
{
  skiff_error_t e = NULL;
  if (read_file_untrusted (rootfd, path, SKIFF_RESOLVE_IN_ROOT, SKIFF_ID_FILE_MAX, out, NULL, &e) == 0)
    return 0;
  if (e->status == ENOENT)
    {
      skiff_error_release (&e);
      *out = xstrdup ("");
      return 0;
    }
  int r = skiff_error_set (err, 0, "read the container's %s: %s", path, e->msg);
  skiff_error_release (&e);
  return r;
}

/* The next line of a file read whole: *p moves past it; NULL at the end. */
static char *
next_line (const char **p)
{
  if (**p == '\0')
    return NULL;
  const char *nl = strchr (*p, '\n');
  size_t n = nl ? (size_t) (nl - *p) : strlen (*p);
  char *line = xstrndup (*p, n);
  *p += nl ? n + 1 : n;
  return line;
}

/* Find name (or id in field id_field) in a passwd/group style file's text; fields split on ':'. Returns a
 * malloc'd copy of the line. */
static char *
find_entry (const char *data, const char *name, bool by_id, unsigned long id, size_t id_field)
{
  const char *cur = data;
  char *line;
  while ((line = next_line (&cur)) != NULL)
    {
      cleanup_free char *l = line;
      if (l[0] == '#' || l[0] == '\0')
        continue;
      char *colon = strchr (l, ':');
      if (colon == NULL)
        continue;
      if (by_id)
        {
          const char *p = l;
          for (size_t i = 0; i < id_field && p; i++)
            {
              p = strchr (p, ':');
              if (p)
                p++;
            }
          if (p && strtoul (p, NULL, 10) == id && (*p >= '0' && *p <= '9'))
            return steal_pointer (&l);
        }
      else if ((size_t) (colon - l) == strlen (name) && strncmp (l, name, strlen (name)) == 0)
        return steal_pointer (&l);
    }
  return NULL;
}

/* field k (0-based) of a ':' line, copied */
static char *
field (const char *line, size_t k)
{
  const char *p = line;
  for (size_t i = 0; i < k; i++)
    {
      p = strchr (p, ':');
      if (p == NULL)
        return NULL;
      p++;
    }
  const char *end = strchr (p, ':');
  return end ? xstrndup (p, (size_t) (end - p)) : xstrdup (p);
}

static bool
is_number (const char *s)
{
  if (*s == '\0')
    return false;
  for (; *s; s++)
    if (*s < '0' || *s > '9')
      return false;
  return true;
}

int
skiff_user_resolve (const char *root, const char *spec, struct skiff_user *out, skiff_error_t *err)
{
  memset (out, 0, sizeof *out);
  out->home = xstrdup ("/");
  if (spec == NULL || *spec == '\0')
    spec = "0";
  cleanup_close int rootfd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return skiff_error_set (err, errno, "open the container's root `%s`", root);
  cleanup_free char *passwd = NULL, *group = NULL;
  if (read_id_file (rootfd, "/etc/passwd", &passwd, err) < 0 || read_id_file (rootfd, "/etc/group", &group, err) < 0)
    return -1;
  cleanup_free char *user = xstrdup (spec);
  char *grp = strchr (user, ':');
  if (grp)
    *grp++ = '\0';

  cleanup_free char *pwline = NULL;
  if (is_number (user))
    {
      long long v;
      if (!str_to_llong (user, 0, UINT32_MAX - 1, &v))
        return skiff_error_set (err, 0, "invalid user `%s`", spec);
      out->uid = (uid_t) v;
      pwline = find_entry (passwd, NULL, true, (unsigned long) v, 2);
      out->gid = 0;
    }
  else
    {
      pwline = find_entry (passwd, user, false, 0, 0);
      if (pwline == NULL)
        return skiff_error_set (err, ENOENT,
                                "unable to find user %s: no matching entries in passwd file: use a user that "
                                "exists in the image's /etc/passwd or a numeric uid[:gid]",
                                user);
    }
  if (pwline)
    {
      cleanup_free char *u = field (pwline, 2), *g = field (pwline, 3), *h = field (pwline, 5), *n = field (pwline, 0);
      if (u && is_number (u))
        out->uid = (uid_t) strtoul (u, NULL, 10);
      if (g && is_number (g))
        out->gid = (gid_t) strtoul (g, NULL, 10);
      if (h && *h)
        {
          free (out->home);
          out->home = steal_pointer (&h);
        }
      out->name = steal_pointer (&n);
    }
  if (grp)
    {
      if (is_number (grp))
        {
          long long v;
          if (!str_to_llong (grp, 0, UINT32_MAX - 1, &v))
            return skiff_error_set (err, 0, "invalid group in `%s`", spec);
          out->gid = (gid_t) v;
        }
      else
        {
          cleanup_free char *gl = find_entry (group, grp, false, 0, 0);
          if (gl == NULL)
            return skiff_error_set (err, ENOENT,
                                    "unable to find group %s: no matching entries in group file: use a group that "
                                    "exists in the image's /etc/group or a numeric gid",
                                    grp);
          cleanup_free char *g = field (gl, 2);
          out->gid = (gid_t) strtoul (g ? g : "0", NULL, 10);
        }
    }
  /* supplementary groups: every group listing the user by name */
  if (out->name && grp == NULL)
    {
      const char *cur = group;
      char *l;
      while (out->ngroups < SKIFF_MAX_GROUPS && (l = next_line (&cur)) != NULL)
        {
          cleanup_free char *line = l;
          cleanup_free char *members = field (line, 3), *gid = field (line, 2);
          if (members == NULL || gid == NULL || !is_number (gid))
            continue;
          char *save = NULL;
          for (char *m = strtok_r (members, ",", &save); m; m = strtok_r (NULL, ",", &save))
            if (strcmp (m, out->name) == 0)
              {
                gid_t g = (gid_t) strtoul (gid, NULL, 10);
                if (g != out->gid)
                  out->groups[out->ngroups++] = g;
                break;
              }
        }
    }
  return 0;
}

void
skiff_user_release (struct skiff_user *u)
{
  free (u->home);
  free (u->name);
  u->home = u->name = NULL;
}

const char *
skiff_env_get (char *const *env, const char *name)
{
  size_t l = strlen (name);
  for (size_t i = 0; env && env[i]; i++)
    if (strncmp (env[i], name, l) == 0 && env[i][l] == '=')
      return env[i] + l + 1;
  return NULL;
}

void
skiff_env_set (char ***env, const char *name, const char *value, bool overwrite)
{
  size_t l = strlen (name);
  for (size_t i = 0; *env && (*env)[i]; i++)
    if (strncmp ((*env)[i], name, l) == 0 && (*env)[i][l] == '=')
      {
        if (!overwrite)
          return;
        free ((*env)[i]);
        (*env)[i] = xasprintf ("%s=%s", name, value);
        return;
      }
  strv_push_take (env, xasprintf ("%s=%s", name, value));
}

void
skiff_env_unset (char **env, const char *name)
{
  size_t l = strlen (name), j = 0;
  for (size_t i = 0; env && env[i]; i++)
    if (strncmp (env[i], name, l) == 0 && env[i][l] == '=')
      free (env[i]);
    else
      env[j++] = env[i];
  if (env)
    env[j] = NULL;
}

int
skiff_find_executable (const char *name, const char *path, char **out, skiff_error_t *err)
{
  if (strchr (name, '/'))
    {
      struct stat st;
      if (stat (name, &st) < 0)
        return skiff_error_set_code (err, SKIFF_EXIT_NOT_FOUND, errno,
                                     "%s: OCI runtime attempted to invoke a command that was not found", name);
      if (S_ISDIR (st.st_mode))
        return skiff_error_set_code (err, SKIFF_EXIT_CANNOT_EXEC, EACCES,
                                     "exec: \"%s\": is a directory: permission denied: OCI permission denied", name);
      if (access (name, X_OK) < 0)
        return skiff_error_set_code (err, SKIFF_EXIT_CANNOT_EXEC, EACCES,
                                     "exec: \"%s\": permission denied: OCI permission denied", name);
      *out = xstrdup (name);
      return 0;
    }
  bool denied = false;
  cleanup_free char *copy = xstrdup (path ? path : SKIFF_DEFAULT_PATH);
  char *save = NULL;
  for (char *dir = strtok_r (copy, ":", &save); dir; dir = strtok_r (NULL, ":", &save))
    {
      cleanup_free char *p = path_join (*dir ? dir : ".", name);
      struct stat st;
      if (stat (p, &st) < 0 || S_ISDIR (st.st_mode))
        continue;
      if (access (p, X_OK) < 0)
        {
          denied = true;
          continue;
        }
      *out = steal_pointer (&p);
      return 0;
    }
  if (denied)
    return skiff_error_set_code (err, SKIFF_EXIT_CANNOT_EXEC, EACCES,
                                 "exec: \"%s\": permission denied: OCI permission denied", name);
  return skiff_error_set_code (err, SKIFF_EXIT_NOT_FOUND, ENOENT,
                               "executable file `%s` not found in $PATH: OCI runtime attempted to invoke a command "
                               "that was not found",
                               name);
}

/* The identity change of a container's process (run and exec alike): keep capabilities across the uid
 * switch, then give root the set in effective/permitted and other users only the bounding set (podman). */
int
skiff_process_set_identity (const struct skiff_user *u, uint64_t caps, skiff_error_t *err)
{
  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return skiff_error_set (err, errno, "prctl(PR_SET_KEEPCAPS)");
  if (!u->keep_groups && setgroups (u->ngroups, u->groups) < 0 && errno != EPERM)
    return skiff_error_set (err, errno, "setgroups");
  if (setresgid (u->gid, u->gid, u->gid) < 0)
    return skiff_error_set (err, errno, "setresgid(%u): is gid %u mapped in the user namespace?", (unsigned) u->gid,
                            (unsigned) u->gid);
  if (setresuid (u->uid, u->uid, u->uid) < 0)
    return skiff_error_set (err, errno,
                            "setresuid(%u): is uid %u mapped in the user namespace (do you have a "
                            "subordinate ID range)?",
                            (unsigned) u->uid, (unsigned) u->uid);
  if (prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return skiff_error_set (err, errno, "prctl(PR_SET_KEEPCAPS)");
  uint64_t eff = u->uid == 0 ? caps : 0;
  int r = skiff_caps_apply (caps, eff, eff, 0, 0);
  if (r < 0)
    return skiff_error_set (err, -r, "set capabilities");
  return 0;
}

/* -e NAME=VALUE sets; -e NAME takes the value from skiff's environment and is dropped when unset (podman) */
void
skiff_env_merge (char ***env, const char *kv)
{
  const char *eq = strchr (kv, '=');
  if (eq == NULL)
    {
      const char *v = getenv (kv);
      if (v)
        skiff_env_set (env, kv, v, true);
      return;
    }
  cleanup_free char *name = xstrndup (kv, (size_t) (eq - kv));
  skiff_env_set (env, name, eq + 1, true);
}

int
skiff_env_merge_file (const char *file, char ***env, skiff_error_t *err)
{
  cleanup_fclose FILE *f = fopen (file, "re");
  if (f == NULL)
    return skiff_error_set (err, errno, "open env file `%s`", file);
  cleanup_free char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  int lineno = 0;
  while ((n = getline (&line, &cap, f)) >= 0)
    {
      lineno++;
      while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
      char *p = line;
      while (*p == ' ' || *p == '\t')
        p++;
      if (*p == '\0' || *p == '#')
        continue;
      if (*p == '=')
        return skiff_error_set (err, EINVAL, "%s:%d: invalid variable `%s`: the name is empty", file, lineno, p);
      skiff_env_merge (env, p);
    }
  return 0;
}

/* Linux's limits on what execve takes (fs/exec.c): one string at most 32 pages; all of them within a quarter
 * of the stack limit, capped at 3/4 of 8 MiB, never below 128 KiB, less the pointers */
#define EXEC_MAX_ARG_STRLEN_PAGES 32
#define EXEC_STACK_CAP (8UL * 1024 * 1024 / 4 * 3)
#define EXEC_ARG_MIN (128UL * 1024)

static size_t
strv_bytes (char *const *v, size_t *count)
{
  size_t n = 0;
  for (*count = 0; v && v[*count]; (*count)++)
    n += strlen (v[*count]) + 1;
  return n;
}

int
skiff_exec_too_big_error (char *const *argv, char *const *env, skiff_error_t *err)
{
  size_t max_str = (size_t) sysconf (_SC_PAGESIZE) * EXEC_MAX_ARG_STRLEN_PAGES;
  for (size_t i = 0; env && env[i]; i++)
    if (strlen (env[i]) + 1 > max_str)
      return skiff_error_set_code (err, SKIFF_EXIT_CANNOT_EXEC, E2BIG,
                                   "the environment variable %.*s is %zu bytes long: Linux takes at most %zu bytes "
                                   "for one variable or argument",
                                   (int) strcspn (env[i], "="), env[i], strlen (env[i]) + 1, max_str);
  for (size_t i = 0; argv && argv[i]; i++)
    if (strlen (argv[i]) + 1 > max_str)
      return skiff_error_set_code (err, SKIFF_EXIT_CANNOT_EXEC, E2BIG,
                                   "argument %zu of the command is %zu bytes long: Linux takes at most %zu bytes for "
                                   "one argument or variable",
                                   i, strlen (argv[i]) + 1, max_str);
  /* the strings and one pointer to each count against the limit */
  size_t argc, envc;
  size_t total = strv_bytes (argv, &argc) + strv_bytes (env, &envc);
  total += (argc + envc) * sizeof (char *);
  struct rlimit stack = { RLIM_INFINITY, RLIM_INFINITY };
  getrlimit (RLIMIT_STACK, &stack);
  unsigned long limit = EXEC_STACK_CAP;
  if (stack.rlim_cur != RLIM_INFINITY && stack.rlim_cur / 4 < limit)
    limit = (unsigned long) (stack.rlim_cur / 4);
  if (limit < EXEC_ARG_MIN)
    limit = EXEC_ARG_MIN;
  return skiff_error_set_code (err, SKIFF_EXIT_CANNOT_EXEC, E2BIG,
                               "the command's arguments and environment (%zu variables) take %zu bytes: Linux takes "
                               "at most %lu here, a quarter of the stack size limit (ulimit -s, or --ulimit stack=) "
                               "up to 6 MiB",
                               envc, total, limit);
}
