/* User-namespace modes (--userns): parsing podman's syntax, building a container's ID map over skiff's own user
 * namespace (the intermediate one the pause process holds), shifting the owners of a new root filesystem to
 * that map, and podman's passwd and group entries for keep-id. The design is in docs/architecture.md
 * ("User-namespace modes"). */
#include "engine/internal.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>

#include "engine/userns.h"

/* podman's text for a number it cannot read (Go's strconv.ParseUint) */
static int
parse_id (const char *v, uint32_t *out, skiff_error_t *err)
{
  long long n;
  if (*v == '-' || *v == '+' || !str_to_llong (v, 0, UINT32_MAX, &n))
    return skiff_error_set_status (err, EINVAL, "strconv.ParseUint: parsing \"%s\": invalid syntax", v);
  *out = (uint32_t) n;
  return 0;
}

int
skiff_spec_parse_userns (const char *s, struct skiff_userns_spec *out, skiff_error_t *err)
{
  memset (out, 0, sizeof *out);
  if (s == NULL || *s == '\0' || strcmp (s, "host") == 0)
    return 0;
  if (strcmp (s, "keep-id") == 0 || str_has_prefix (s, "keep-id:"))
    {
      out->mode = SKIFF_USERNS_KEEP_ID;
      if (s[strlen ("keep-id")] == '\0')
        return 0;
      cleanup_free char *opts = xstrdup (s + strlen ("keep-id:"));
      char *save = NULL;
      for (char *o = strtok_r (opts, ",", &save); o; o = strtok_r (NULL, ",", &save))
        {
          if (str_has_prefix (o, "uid="))
            {
              if (parse_id (o + 4, &out->uid, err) < 0)
                return -1;
              out->uid_set = true;
            }
          else if (str_has_prefix (o, "gid="))
            {
              if (parse_id (o + 4, &out->gid, err) < 0)
                return -1;
              out->gid_set = true;
            }
          else
            return skiff_error_set_status (err, EINVAL, "unknown option specified: \"%s\"", o);
        }
      return 0;
    }
  if (strcmp (s, "container") == 0 || strcmp (s, "container:") == 0)
    return skiff_error_set_status (err, EINVAL, "invalid config provided: namespace mode container requires a value");
  if (strcmp (s, "ns") == 0 || strcmp (s, "ns:") == 0)
    return skiff_error_set_status (err, EINVAL, "invalid config provided: namespace mode path requires a value");
  if (strcmp (s, "auto") == 0 || str_has_prefix (s, "auto:") || str_has_prefix (s, "container:")
      || str_has_prefix (s, "ns:") || strcmp (s, "private") == 0 || strcmp (s, "nomap") == 0)
    return skiff_error_set_status (
        err, ENOTSUP, "--userns %s: skiff does not support this mode yet (it supports host and keep-id)", s);
  return skiff_error_set_status (err, EINVAL, "unrecognized namespace mode %s passed", s);
}

static void
push (struct skiff_idrange *r, size_t *n, uint32_t inside, uint32_t outside, uint32_t count)
{
  if (count == 0 || *n >= SKIFF_MAX_IDRANGES)
    return;
  r[(*n)++] = (struct skiff_idrange){ inside, outside, count };
}

/* One side (uids or gids) of podman's rootless keep-id map (pkg/util GetKeepIDMapping): the intermediate
 * namespace holds 0 (the caller) and 1..max (the subordinate IDs) */
static void
build_side (uint32_t id, uint32_t max, struct skiff_idrange *r, size_t *n)
{
  *n = 0;
  push (r, n, 0, 1, id < max ? id : max);
  push (r, n, id, 0, 1);
  if (max > id)
    push (r, n, id + 1, id + 1, max - id);
}

int
skiff_userns_build_map (const struct skiff_userns_spec *u, uid_t caller_uid, gid_t caller_gid, uint32_t nuids,
                        uint32_t ngids, struct skiff_idmap *out, skiff_error_t *err)
{
  memset (out, 0, sizeof *out);
  if (u->mode == SKIFF_USERNS_HOST)
    return 0;
  if (nuids < 2 || ngids < 2)
    return skiff_error_set_status (err, EINVAL,
                                   "keep-id requires additional UIDs or GIDs defined in /etc/subuid and /etc/subgid "
                                   "to function correctly");
  uint32_t uid = u->uid_set ? u->uid : (uint32_t) caller_uid;
  uint32_t gid = u->gid_set ? u->gid : (uint32_t) caller_gid;
  build_side (uid, nuids - 1, out->uid, &out->nuid);
  build_side (gid, ngids - 1, out->gid, &out->ngid);
  return 0;
}

/* Where id of the intermediate namespace is in the container (-1: not mapped) */
static int64_t
to_container (const struct skiff_idrange *r, size_t n, uint32_t id)
{
  for (size_t i = 0; i < n; i++)
    if (id >= r[i].outside && id - r[i].outside < r[i].count)
      return (int64_t) r[i].inside + (id - r[i].outside);
  return -1;
}

/* Where container id is in the intermediate namespace (-1: not mapped) */
static int64_t
to_outside (const struct skiff_idrange *r, size_t n, uint32_t id)
{
  for (size_t i = 0; i < n; i++)
    if (id >= r[i].inside && id - r[i].inside < r[i].count)
      return (int64_t) r[i].outside + (id - r[i].inside);
  return -1;
}

int64_t
skiff_userns_to_container (const struct skiff_idmap *m, bool gid, uint32_t id)
{
  return gid ? to_container (m->gid, m->ngid, id) : to_container (m->uid, m->nuid, id);
}

int64_t
skiff_userns_to_outside (const struct skiff_idmap *m, bool gid, uint32_t id)
{
  return gid ? to_outside (m->gid, m->ngid, id) : to_outside (m->uid, m->nuid, id);
}

char **
skiff_userns_map_strv (const struct skiff_idrange *r, size_t n)
{
  char **v = xmalloc0 ((n + 1) * sizeof *v);
  for (size_t i = 0; i < n; i++)
    v[i] = xasprintf ("%u:%u:%u", r[i].inside, r[i].outside, r[i].count);
  return v;
}

int
skiff_userns_map_parse_strv (char *const *v, struct skiff_idrange *r, size_t *n)
{
  *n = 0;
  for (size_t i = 0; v && v[i]; i++)
    {
      unsigned a, b, c;
      char tail;
      if (*n >= SKIFF_MAX_IDRANGES || sscanf (v[i], "%u:%u:%u%c", &a, &b, &c, &tail) != 3 || c == 0)
        return -1;
      r[(*n)++] = (struct skiff_idrange){ a, b, c };
    }
  return 0;
}

/* ---- the root filesystem: every owner moved from the image's IDs (the identity over the intermediate
 * namespace) to where the container's map puts them, so that the container sees the image's owners ---- */

struct shift
{
  const struct skiff_idmap *map;
};

static int
shift_one (void *data, enum skiff_walk_step step, struct skiff_walk_entry *e, skiff_error_t *err)
{
  struct shift *s = data;
  if (step != SKIFF_WALK_PRE || e->st == NULL)
    return 0;
  int64_t uid = skiff_userns_to_outside (s->map, false, (uint32_t) e->st->st_uid);
  int64_t gid = skiff_userns_to_outside (s->map, true, (uint32_t) e->st->st_gid);
  bool dir = S_ISDIR (e->st->st_mode);
  if ((uid >= 0 && (uid_t) uid != e->st->st_uid) || (gid >= 0 && (gid_t) gid != e->st->st_gid))
    {
      if (fchownat (e->dirfd, e->name, uid >= 0 ? (uid_t) uid : (uid_t) -1, gid >= 0 ? (gid_t) gid : (gid_t) -1,
                    AT_SYMLINK_NOFOLLOW)
          < 0)
        return skiff_error_set (err, errno, "chown `%s` to the container's user namespace", e->path);
      /* chown clears set-user-ID and set-group-ID bits: the image's stay */
      if (S_ISREG (e->st->st_mode) && (e->st->st_mode & (S_ISUID | S_ISGID))
          && fchmodat (e->dirfd, e->name, e->st->st_mode & 07777, 0) < 0)
        return skiff_error_set (err, errno, "restore the mode of `%s`", e->path);
    }
  return dir ? SKIFF_WALK_DESCEND : 0;
}

/* podman's entries for keep-id: the user (named as on the host when it is the caller), whose home is the
 * container's working directory (podman's, when the user's own home is not mounted), and the caller's group */
static int
add_entries (int rootfd, const struct skiff_userns_spec *u, uid_t caller_uid, gid_t caller_gid, const char *home,
             skiff_error_t *err)
{
  uint32_t uid = u->uid_set ? u->uid : (uint32_t) caller_uid;
  uint32_t gid = u->gid_set ? u->gid : (uint32_t) caller_gid;
  struct passwd pwbuf, *pw = NULL;
  char buf[4096];
  if (getpwuid_r (caller_uid, &pwbuf, buf, sizeof buf, &pw) != 0)
    pw = NULL;
  bool caller = uid == (uint32_t) caller_uid && pw != NULL;
  cleanup_free char *name = caller ? xstrdup (pw->pw_name) : xasprintf ("%u", uid);
  cleanup_free char *gecos = caller ? xstrdup (pw->pw_gecos ? pw->pw_gecos : "") : xstrdup ("container user");
  static const char *const files[] = { "etc/passwd", "etc/group" };
  for (int k = 0; k < 2; k++)
    {
      if (k == 1 && gid != (uint32_t) caller_gid)
        break;
      struct group grbuf, *gr = NULL;
      char gbuf[4096];
      if (k == 1 && getgrgid_r (caller_gid, &grbuf, gbuf, sizeof gbuf, &gr) != 0)
        gr = NULL;
      cleanup_free char *line = k == 0 ? xasprintf ("%s:*:%u:%u:%s:%s:/bin/sh\n", name, uid, gid, gecos, home)
                                       : xasprintf ("%s:x:%u:%s\n", gr ? gr->gr_name : name, gid, name);
      cleanup_free char *data = NULL;
      size_t len = 0;
      /* the image's own file, never a symlink out of the root filesystem */
      cleanup_close int fd = openat (rootfd, files[k], O_RDWR | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0)
        continue; /* an image without the file: podman adds none either */
      cleanup_free char *self = xasprintf ("/proc/self/fd/%d", fd);
      if (read_file (self, &data, &len, err) < 0)
        return skiff_error_wrap (err, "read the container's /%s", files[k]);
      /* the ID there already: nothing to add */
      bool found = false;
      for (char *l = data; l && *l && !found; l = strchr (l, '\n') ? strchr (l, '\n') + 1 : NULL)
        {
          /* the third field */
          const char *p = l;
          for (int f = 0; f < 2 && p; f++)
            p = strchr (p, ':') ? strchr (p, ':') + 1 : NULL;
          if (p)
            {
              char *end;
              unsigned long v = strtoul (p, &end, 10);
              found = end != p && *end == ':' && v == (k == 0 ? uid : gid);
            }
        }
      if (found)
        continue;
      if (lseek (fd, 0, SEEK_END) < 0 || (len && data[len - 1] != '\n' && write_all (fd, "\n", 1) < 0)
          || write_all (fd, line, strlen (line)) < 0)
        return skiff_error_set (err, errno, "add the keep-id entry to the container's /%s", files[k]);
    }
  return 0;
}

int
skiff_userns_caller (uid_t *uid, gid_t *gid, uint32_t *nuids, uint32_t *ngids, skiff_error_t *err)
{
  *uid = getuid ();
  *gid = getgid ();
  *nuids = *ngids = 1;
  if (!skiff_userns_is_inside ())
    return 0;
  /* in skiff's namespace: 0 is the caller, whose IDs on the host are where 0 maps to */
  struct skiff_idmap m;
  if (skiff_userns_current_map (&m, err) < 0)
    return -1;
  *nuids = *ngids = 0;
  for (size_t i = 0; i < m.nuid; i++)
    {
      if (m.uid[i].inside == 0)
        *uid = m.uid[i].outside;
      *nuids += m.uid[i].count;
    }
  for (size_t i = 0; i < m.ngid; i++)
    {
      if (m.gid[i].inside == 0)
        *gid = m.gid[i].outside;
      *ngids += m.gid[i].count;
    }
  return 0;
}

int
skiff_userns_prepare_rootfs (const char *rootfs, const struct skiff_userns_spec *u, const struct skiff_idmap *map,
                             uid_t caller_uid, gid_t caller_gid, const char *home, skiff_error_t *err)
{
  cleanup_close int rootfd = open (rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return skiff_error_set (err, errno, "open the root filesystem `%s`", rootfs);
  struct shift s = { .map = map };
  struct stat st;
  if (fstat (rootfd, &st) < 0)
    return skiff_error_set (err, errno, "stat `%s`", rootfs);
  int64_t uid = skiff_userns_to_outside (map, false, (uint32_t) st.st_uid);
  int64_t gid = skiff_userns_to_outside (map, true, (uint32_t) st.st_gid);
  if (fchown (rootfd, uid >= 0 ? (uid_t) uid : (uid_t) -1, gid >= 0 ? (gid_t) gid : (gid_t) -1) < 0)
    return skiff_error_set (err, errno, "chown the root filesystem to the container's user namespace");
  if (skiff_walk_at (rootfd, -1, 0, shift_one, &s, err) < 0)
    return -1;
  if (u->mode == SKIFF_USERNS_KEEP_ID)
    return add_entries (rootfd, u, caller_uid, caller_gid, home, err);
  return 0;
}
