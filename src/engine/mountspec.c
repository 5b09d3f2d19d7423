/* The grammar of podman's mount flags, typed into struct skiff_mount without any I/O: -v/--volume
 * SRC:DST[:OPTS] (a host path, a named volume, or an anonymous volume `-v /path`), --mount's key list
 * (type=bind|volume|tmpfs, src, dst, ro, bind-propagation, tmpfs-size, ...), --tmpfs DST[:OPTS] and
 * --volumes-from CTR[:ro|rw], with podman's error texts; and the checks of a spec's mounts together (one mount
 * per destination, none over what the runtime mounts itself). The options are kept as podman's normalised
 * words ("ro", "nosuid", "rprivate", "size=64m", ...), which the record stores and engine/config.c turns into
 * mount flags. tests/fuzz/fuzz_mount.c fuzzes these parsers. */
#include "engine/spec.h"

#include <ctype.h>
#include <limits.h>

#define VOLUME_NAME_RULE "[a-zA-Z0-9][a-zA-Z0-9_.-]*"
#define MOUNT_USAGE                                                                                                    \
  "incorrect mount format: should be --mount type=<bind|tmpfs|volume>,[src=<host-dir|volume-name>,]target=<ctr-dir>[," \
  "options]"

bool
skiff_volume_name_valid (const char *name)
{
  if (name == NULL || !isalnum ((unsigned char) name[0]))
    return false;
  for (const char *p = name + 1; *p; p++)
    if (!isalnum ((unsigned char) *p) && *p != '_' && *p != '.' && *p != '-')
      return false;
  return true;
}

/* "/a//./b/" -> "/a/b" (".." is kept: the runtime resolves it inside the root); NULL when not absolute */
static char *
clean_path (const char *p)
{
  if (p == NULL || p[0] != '/')
    return NULL;
  char *out = xmalloc (strlen (p) + 2);
  size_t n = 0;
  for (const char *s = p; *s;)
    {
      while (*s == '/')
        s++;
      size_t len = strcspn (s, "/");
      if (len == 0 || (len == 1 && s[0] == '.'))
        {
          s += len;
          continue;
        }
      out[n++] = '/';
      memcpy (out + n, s, len);
      n += len;
      s += len;
    }
  if (n == 0)
    out[n++] = '/';
  out[n] = '\0';
  return out;
}

/* Option groups of which at most one word may be given, with podman's complaint */
static const struct
{
  const char *words[7];
  const char *what;
} groups[] = {
  { { "ro", "rw" }, "1 'rw' or 'ro' option" },
  { { "z", "Z", "O" }, "1 'z', 'Z', or 'O' option" },
  { { "shared", "rshared", "private", "rprivate", "slave", "rslave", "unbindable" },
    "1 '[r]shared', '[r]private', '[r]slave' or '[r]unbindable' option" },
  { { "runbindable" }, "1 '[r]shared', '[r]private', '[r]slave' or '[r]unbindable' option" },
  { { "suid", "nosuid" }, "1 'suid' or 'nosuid' option" },
  { { "dev", "nodev" }, "1 'dev' or 'nodev' option" },
  { { "exec", "noexec" }, "1 'noexec' or 'exec' option" },
  { { "bind", "rbind" }, "1 '[r]bind' option" },
  { { "copy", "nocopy" }, "1 'copy' or 'nocopy' option" },
  { { "U" }, "1 'U' option" },
  { { "tmpcopyup", "notmpcopyup" }, "1 'tmpcopyup' or 'notmpcopyup' option" },
};

static int
group_of (const char *w)
{
  for (size_t g = 0; g < ARRAY_SIZE (groups); g++)
    for (size_t i = 0; i < ARRAY_SIZE (groups[g].words) && groups[g].words[i]; i++)
      if (strcmp (groups[g].words[i], w) == 0)
        /* the two propagation rows are one group */
        return g == 3 ? 2 : (int) g;
  return -1;
}

static bool
size_option (const char *w, const char *key)
{
  return str_has_prefix (w, key) && w[strlen (key)] != '\0';
}

/* Add word w to *opts, checking its group against those already there. tmpfs takes size= and mode= too. */
static int
add_option (char ***opts, const char *w, enum skiff_mount_type type, skiff_error_t *err)
{
  if (strcmp (w, "O") == 0)
    return skiff_error_set_status (err, ENOTSUP,
                                   "the O (overlay) volume option is not supported by skiff yet: use a bind mount");
  if (strcmp (w, "idmap") == 0 || str_has_prefix (w, "idmap="))
    return skiff_error_set_status (err, ENOTSUP, "the idmap volume option is not supported by skiff yet");
  int g = group_of (w);
  bool tmpfs_word = type == SKIFF_MOUNT_TMPFS
                    && (size_option (w, "size=") || size_option (w, "mode=") || size_option (w, "uid=")
                        || size_option (w, "gid=") || size_option (w, "nr_inodes="));
  if (g < 0 && !tmpfs_word)
    return skiff_error_set_status (err, EINVAL, "invalid option type \"%s\"", w);
  if (tmpfs_word)
    {
      /* a later size= or mode= replaces the earlier one */
      size_t klen = (size_t) (strchr (w, '=') - w) + 1;
      for (size_t i = 0; *opts && (*opts)[i]; i++)
        if (strncmp ((*opts)[i], w, klen) == 0)
          {
            free ((*opts)[i]);
            (*opts)[i] = xstrdup (w);
            return 0;
          }
      strv_push (opts, w);
      return 0;
    }
  for (size_t i = 0; *opts && (*opts)[i]; i++)
    if (group_of ((*opts)[i]) == g)
      return skiff_error_set_status (err, EINVAL, "invalid options \"%s, %s\", can only specify %s", (*opts)[i], w,
                                     groups[g].what);
  strv_push (opts, w);
  return 0;
}

static int
add_options (char ***opts, const char *list, enum skiff_mount_type type, skiff_error_t *err)
{
  cleanup_free char *copy = xstrdup (list);
  char *save = NULL;
  for (char *w = strtok_r (copy, ",", &save); w; w = strtok_r (NULL, ",", &save))
    if (add_option (opts, w, type, err) < 0)
      return -1;
  return 0;
}

static void
push_mount (struct skiff_mount **v, size_t *n, struct skiff_mount *m)
{
  *v = xrealloc (*v, (*n + 2) * sizeof **v);
  (*v)[(*n)++] = *m;
  memset (&(*v)[*n], 0, sizeof **v);
  memset (m, 0, sizeof *m);
}

static void
mount_release (struct skiff_mount *m)
{
  free (m->source);
  free (m->destination);
  strv_free (m->options);
  memset (m, 0, sizeof *m);
}

static int
set_destination (struct skiff_mount *m, const char *dst, skiff_error_t *err)
{
  free (m->destination);
  m->destination = clean_path (dst);
  if (m->destination == NULL)
    return skiff_error_set_status (err, EINVAL, "invalid container path \"%s\", must be an absolute path",
                                   dst ? dst : "");
  return 0;
}

/* A source: an absolute or ./relative host path is a bind, anything else a volume's name */
static int
set_source (struct skiff_mount *m, const char *src, skiff_error_t *err)
{
  free (m->source);
  m->source = NULL;
  if (src[0] == '/' || src[0] == '.')
    {
      m->type = SKIFF_MOUNT_BIND;
      if (src[0] == '/')
        m->source = clean_path (src);
      else
        {
          char cwd[PATH_MAX];
          if (getcwd (cwd, sizeof cwd) == NULL)
            return skiff_error_set (err, errno, "getcwd");
          cleanup_free char *abs = xasprintf ("%s/%s", cwd, src);
          m->source = clean_path (abs);
        }
      return 0;
    }
  m->type = SKIFF_MOUNT_VOLUME;
  if (!skiff_volume_name_valid (src))
    return skiff_error_set_status (err, EINVAL,
                                   "creating named volume \"%s\": running volume create option: names must match "
                                   "%s: invalid argument",
                                   src, VOLUME_NAME_RULE);
  m->source = xstrdup (src);
  return 0;
}

int
skiff_spec_parse_volume (const char *arg, struct skiff_mount **v, size_t *n, skiff_error_t *err)
{
  cleanup_strv char **parts = NULL;
  cleanup_free char *copy = xstrdup (arg);
  char *save = NULL;
  size_t np = 0;
  /* empty parts count: "a::b" is malformed */
  for (char *p = copy, *c; p; p = c ? c + 1 : NULL, np++)
    {
      c = strchr (p, ':');
      if (c)
        *c = '\0';
      strv_push (&parts, p);
    }
  (void) save;
  struct skiff_mount m = { .type = SKIFF_MOUNT_VOLUME };
  int r = 0;
  if (np == 0 || np > 3 || arg[0] == '\0')
    r = skiff_error_set_status (err, EINVAL, "%s: incorrect volume format, should be [host-dir:]ctr-dir[:option]", arg);
  else if (np == 1)
    r = set_destination (&m, parts[0], err); /* anonymous */
  else if (parts[0][0] == '\0')
    r = skiff_error_set_status (err, EINVAL, "%s: incorrect volume format, should be [host-dir:]ctr-dir[:option]", arg);
  else
    {
      r = set_source (&m, parts[0], err);
      if (r == 0)
        r = set_destination (&m, parts[1], err);
      if (r == 0 && np == 3)
        r = add_options (&m.options, parts[2], m.type, err);
    }
  if (r == 0 && m.type == SKIFF_MOUNT_BIND && strv_contains (m.options, "copy"))
    r = skiff_error_set_status (err, EINVAL, "invalid option \"copy\" for a bind mount: it applies to volumes only");
  if (r < 0)
    {
      mount_release (&m);
      return -1;
    }
  push_mount (v, n, &m);
  return 0;
}

int
skiff_spec_parse_tmpfs (const char *arg, struct skiff_mount **v, size_t *n, skiff_error_t *err)
{
  struct skiff_mount m = { .type = SKIFF_MOUNT_TMPFS };
  cleanup_free char *copy = xstrdup (arg);
  char *colon = strchr (copy, ':');
  if (colon)
    *colon++ = '\0';
  if (set_destination (&m, copy, err) < 0 || (colon && add_options (&m.options, colon, m.type, err) < 0))
    {
      mount_release (&m);
      return -1;
    }
  push_mount (v, n, &m);
  return 0;
}

static int
parse_bool_value (const char *key, const char *value, bool *out, skiff_error_t *err)
{
  if (value == NULL || strcmp (value, "true") == 0)
    *out = true;
  else if (strcmp (value, "false") == 0)
    *out = false;
  else
    return skiff_error_set_status (err, EINVAL,
                                   "'%s' must be set to true or false, instead received \"%s\": must provide an "
                                   "argument for option",
                                   key, value);
  return 0;
}

/* One key (value NULL when there is no '=') of --mount's list into m */
static int
mount_key (struct skiff_mount *m, bool *have_type, const char *key, const char *value, skiff_error_t *err)
{
  static const char *const need_value[]
      = { "type",       "src",        "source",  "dst",         "destination",   "target",     "bind-propagation",
          "tmpfs-size", "tmpfs-mode", "relabel", "consistency", "volume-driver", "volume-opt", "volume-label" };
  for (size_t i = 0; i < ARRAY_SIZE (need_value); i++)
    if (strcmp (key, need_value[i]) == 0 && (value == NULL || (*value == '\0' && i > 0)))
      return skiff_error_set_status (err, EINVAL, "%s: must provide an argument for option", key);
  bool b;
  if (strcmp (key, "type") == 0)
    {
      if (*have_type)
        return skiff_error_set_status (err, EINVAL, "type: option given twice");
      *have_type = true;
      if (strcmp (value, "bind") == 0)
        m->type = SKIFF_MOUNT_BIND;
      else if (strcmp (value, "volume") == 0)
        m->type = SKIFF_MOUNT_VOLUME;
      else if (strcmp (value, "tmpfs") == 0)
        m->type = SKIFF_MOUNT_TMPFS;
      else if (strcmp (value, "image") == 0 || strcmp (value, "devpts") == 0 || strcmp (value, "glob") == 0)
        return skiff_error_set_status (err, ENOTSUP, "--mount type=%s is not supported by skiff yet", value);
      else
        return skiff_error_set_status (err, EINVAL, "invalid filesystem type \"%s\"", value);
      return 0;
    }
  if (strcmp (key, "src") == 0 || strcmp (key, "source") == 0)
    {
      free (m->source);
      m->source = xstrdup (value);
      return 0;
    }
  if (strcmp (key, "dst") == 0 || strcmp (key, "destination") == 0 || strcmp (key, "target") == 0)
    return set_destination (m, value, err);
  if (strcmp (key, "ro") == 0 || strcmp (key, "readonly") == 0 || strcmp (key, "rw") == 0)
    {
      if (parse_bool_value (key, value, &b, err) < 0)
        return -1;
      bool ro = strcmp (key, "rw") == 0 ? !b : b;
      return add_option (&m->options, ro ? "ro" : "rw", m->type, err);
    }
  if (strcmp (key, "bind-propagation") == 0)
    return group_of (value) == 2 ? add_option (&m->options, value, m->type, err)
                                 : skiff_error_set_status (err, EINVAL, "invalid bind-propagation \"%s\"", value);
  if (strcmp (key, "bind-nonrecursive") == 0)
    {
      if (parse_bool_value (key, value, &b, err) < 0)
        return -1;
      return add_option (&m->options, b ? "bind" : "rbind", m->type, err);
    }
  if (strcmp (key, "U") == 0 || strcmp (key, "chown") == 0)
    {
      if (parse_bool_value (key, value, &b, err) < 0)
        return -1;
      return b ? add_option (&m->options, "U", m->type, err) : 0;
    }
  if (strcmp (key, "relabel") == 0)
    {
      if (strcmp (value, "shared") && strcmp (value, "private"))
        return skiff_error_set_status (err, EINVAL, "%s mount option must be 'private' or 'shared'", key);
      return add_option (&m->options, strcmp (value, "shared") == 0 ? "z" : "Z", m->type, err);
    }
  if (strcmp (key, "consistency") == 0)
    return 0; /* podman ignores it too */
  if (strcmp (key, "tmpfs-size") == 0 || strcmp (key, "tmpfs-mode") == 0)
    {
      cleanup_free char *w = xasprintf ("%s=%s", strcmp (key, "tmpfs-size") == 0 ? "size" : "mode", value);
      return add_option (&m->options, w, SKIFF_MOUNT_TMPFS, err);
    }
  if (strcmp (key, "nocopy") == 0 || strcmp (key, "volume-nocopy") == 0)
    {
      if (parse_bool_value (key, value, &b, err) < 0)
        return -1;
      return add_option (&m->options, b ? "nocopy" : "copy", m->type, err);
    }
  if (strcmp (key, "tmpcopyup") == 0 || strcmp (key, "notmpcopyup") == 0 || strcmp (key, "suid") == 0
      || strcmp (key, "nosuid") == 0 || strcmp (key, "dev") == 0 || strcmp (key, "nodev") == 0
      || strcmp (key, "exec") == 0 || strcmp (key, "noexec") == 0 || strcmp (key, "idmap") == 0)
    {
      if (value != NULL)
        return skiff_error_set_status (err, EINVAL, "%s: invalid mount option", key);
      return add_option (&m->options, key, m->type, err);
    }
  return skiff_error_set_status (err, EINVAL, "%s: invalid mount option", key);
}

int
skiff_spec_parse_mount (const char *arg, struct skiff_mount **v, size_t *n, skiff_error_t *err)
{
  struct skiff_mount m = { .type = SKIFF_MOUNT_BIND };
  bool have_type = false;
  cleanup_free char *copy = xstrdup (arg);
  int r = 0;
  for (char *p = copy, *c; r == 0 && p; p = c ? c + 1 : NULL)
    {
      c = strchr (p, ',');
      if (c)
        *c = '\0';
      char *eq = strchr (p, '=');
      if (eq)
        *eq++ = '\0';
      r = mount_key (&m, &have_type, p, eq, err);
    }
  if (r == 0 && !have_type)
    r = skiff_error_set_status (err, EINVAL, MOUNT_USAGE);
  if (r == 0 && m.destination == NULL)
    r = skiff_error_set_status (err, EINVAL, "must set volume destination");
  if (r == 0 && m.type == SKIFF_MOUNT_TMPFS && m.source)
    r = skiff_error_set_status (err, EINVAL, "invalid option for a tmpfs mount: source");
  if (r == 0 && m.type == SKIFF_MOUNT_BIND)
    {
      /* podman takes the destination as the source when none is given */
      cleanup_free char *src = m.source ? steal_pointer (&m.source) : xstrdup (m.destination);
      if (src[0] != '/' && src[0] != '.')
        r = skiff_error_set_status (err, EINVAL, "invalid bind source \"%s\": must be a host path", src);
      else
        r = set_source (&m, src, err);
    }
  else if (r == 0 && m.type == SKIFF_MOUNT_VOLUME && m.source)
    {
      cleanup_free char *src = steal_pointer (&m.source);
      r = set_source (&m, src, err);
      if (r == 0 && m.type != SKIFF_MOUNT_VOLUME)
        r = skiff_error_set_status (err, EINVAL, "invalid volume name \"%s\": a host path needs type=bind", src);
    }
  for (size_t i = 0; r == 0 && m.options && m.options[i]; i++)
    if (m.type != SKIFF_MOUNT_TMPFS && strchr (m.options[i], '='))
      r = skiff_error_set_status (err, EINVAL, "%.*s: invalid mount option for type=%s",
                                  (int) (strchr (m.options[i], '=') - m.options[i]), m.options[i],
                                  m.type == SKIFF_MOUNT_BIND ? "bind" : "volume");
  if (r < 0)
    {
      mount_release (&m);
      return -1;
    }
  push_mount (v, n, &m);
  return 0;
}

int
skiff_spec_parse_volumes_from (const char *arg, struct skiff_volumes_from **v, size_t *n, skiff_error_t *err)
{
  cleanup_free char *copy = xstrdup (arg);
  char *colon = strchr (copy, ':');
  enum skiff_volumes_from_mode mode = SKIFF_VOLUMES_FROM_AS_IS;
  if (colon)
    {
      *colon++ = '\0';
      for (char *save = NULL, *w = strtok_r (colon, ",", &save); w; w = strtok_r (NULL, ",", &save))
        if (strcmp (w, "ro") == 0 && mode == SKIFF_VOLUMES_FROM_AS_IS)
          mode = SKIFF_VOLUMES_FROM_RO;
        else if (strcmp (w, "rw") == 0 && mode == SKIFF_VOLUMES_FROM_AS_IS)
          mode = SKIFF_VOLUMES_FROM_RW;
        else if (strcmp (w, "z") != 0 && strcmp (w, "Z") != 0)
          return skiff_error_set_status (err, EINVAL, "invalid options %s, can only specify 'ro', 'rw', and 'z'",
                                         colon);
    }
  if (copy[0] == '\0')
    return skiff_error_set_status (err, EINVAL, "--volumes-from needs a container");
  *v = xrealloc (*v, (*n + 1) * sizeof **v);
  (*v)[*n].container = xstrdup (copy);
  (*v)[(*n)++].mode = mode;
  return 0;
}

void
skiff_volumes_from_free (struct skiff_volumes_from *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (v[i].container);
  free (v);
}

static bool
same_mount (const struct skiff_mount *a, const struct skiff_mount *b)
{
  if (a->type != b->type || (a->source == NULL) != (b->source == NULL)
      || strv_len (a->options) != strv_len (b->options))
    return false;
  if (a->source && strcmp (a->source, b->source) != 0)
    return false;
  for (size_t i = 0; a->options && a->options[i]; i++)
    if (strcmp (a->options[i], b->options[i]) != 0)
      return false;
  return true;
}

/* What the runtime mounts itself and a mount may not cover */
static const char *const reserved[] = { "/", "/proc", "/dev/pts", "/sys" };

int
skiff_spec_check_mounts (struct skiff_mount *v, size_t *n, skiff_error_t *err)
{
  for (size_t i = 0; i < *n; i++)
    {
      for (size_t k = 0; k < ARRAY_SIZE (reserved); k++)
        if (strcmp (v[i].destination, reserved[k]) == 0)
          return skiff_error_set_status (err, EINVAL,
                                         "%s: a mount cannot cover %s, which the container's runtime mounts itself",
                                         v[i].destination, reserved[k]);
      for (size_t j = 0; j < i; j++)
        if (strcmp (v[i].destination, v[j].destination) == 0)
          {
            /* podman takes the same mount twice as once (but not an anonymous volume twice) */
            if (!same_mount (&v[i], &v[j]) || (v[i].type == SKIFF_MOUNT_VOLUME && v[i].source == NULL))
              return skiff_error_set_status (err, EINVAL, "%s: duplicate mount destination", v[i].destination);
            mount_release (&v[i]);
            memmove (&v[i], &v[i + 1], (*n - i) * sizeof *v); /* the array ends with a zeroed element */
            (*n)--;
            i--;
            break;
          }
    }
  return 0;
}
