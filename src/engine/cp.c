/* Files in and out of containers: cp (host <-> container, container <-> container, tar on stdin/stdout),
 * export, and mount/unmount. Every container-side path is resolved by the kernel with openat2(RESOLVE_IN_ROOT)
 * from a descriptor on the container's root, and everything after that is done on descriptors (*at calls,
 * O_NOFOLLOW below the resolved directory), so no symlink, ".." chain or race can lead outside the root.
 * See "Files in and out" in docs/architecture.md. */
#include "engine/internal.h"

#include <fcntl.h>
#include <limits.h>
#include <libgen.h>
#include <linux/openat2.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "runtime/runtime.h"

/* symlinks followed while resolving a destination's last component, as the kernel's own limit */
#define CP_MAX_LINKS 40
#define CP_BUF (1024 * 1024)

/* One side of a copy: the host ("/" as root) or a container's root. */
struct cp_side
{
  struct skiff_container *c; /* NULL: the host */
  const char *ref;           /* as the user named the container */
  int rootfd;
  bool mounted; /* we mounted its root file system (a stopped container) */
  uid_t uid;    /* the container user's IDs, for --archive */
  gid_t gid;
};

static int
in_root (int rootfd, const char *path, int flags)
{
  struct open_how how = { .flags = (uint64_t) (flags | O_CLOEXEC), .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
  const char *p = path;
  while (*p == '/')
    p++;
  int fd = (int) syscall (SYS_openat2, rootfd, *p ? p : ".", &how, sizeof how);
  return fd;
}

/* A stopped container's root file system is mounted in a mount namespace of this process alone: it goes
 * with the process, whatever happens, and never shows in the storage namespace others share. */
static int
private_mount_ns (skiff_error_t *err)
{
  static bool done;
  if (done)
    return 0;
  if (unshare (CLONE_NEWNS) < 0)
    return skiff_error_set (err, errno, "create a private mount namespace");
  if (mount (NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
    return skiff_error_set (err, errno, "make the mount namespace private");
  done = true;
  return 0;
}

/* The numeric IDs of the container's user: "uid[:gid]" or names looked up in its own /etc/passwd and
 * /etc/group (read inside its root). */
static void
container_ids (struct cp_side *sd)
{
  sd->uid = 0;
  sd->gid = 0;
  const char *u = sd->c->user;
  if (u == NULL || *u == '\0')
    return;
  cleanup_free char *user = xstrdup (u);
  char *group = strchr (user, ':');
  if (group)
    *group++ = '\0';
  char *end;
  unsigned long n = strtoul (user, &end, 10);
  if (*user && *end == '\0')
    sd->uid = (uid_t) n;
  cleanup_free char *pw = NULL;
  size_t len;
  skiff_error_t ignored = NULL;
  if (read_file_untrusted (sd->rootfd, "/etc/passwd", SKIFF_RESOLVE_IN_ROOT, 4 << 20, &pw, &len, &ignored) < 0)
    skiff_error_release (&ignored);
  for (char *save = NULL, *line = pw ? strtok_r (pw, "\n", &save) : NULL; line; line = strtok_r (NULL, "\n", &save))
    {
      char *f[4] = { 0 };
      char *tok = line;
      for (int i = 0; i < 4; i++)
        {
          f[i] = strsep (&tok, ":");
          if (f[i] == NULL)
            break;
        }
      if (f[3] == NULL)
        continue;
      bool match = (*end != '\0' && strcmp (f[0], user) == 0)
                   || (*end == '\0' && strtoul (f[2], NULL, 10) == (unsigned long) sd->uid);
      if (match)
        {
          sd->uid = (uid_t) strtoul (f[2], NULL, 10);
          sd->gid = (gid_t) strtoul (f[3], NULL, 10);
          break;
        }
    }
  if (group && *group)
    {
      n = strtoul (group, &end, 10);
      if (*end == '\0')
        sd->gid = (gid_t) n;
    }
}

static int
side_open (struct skiff_engine *e, const char *ref, struct cp_side *sd, skiff_error_t *err)
{
  memset (sd, 0, sizeof *sd);
  sd->rootfd = -1;
  sd->ref = ref;
  if (ref == NULL)
    {
      sd->rootfd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (sd->rootfd < 0)
        return skiff_error_set (err, errno, "open /");
      return 0;
    }
  if (skiff_engine_container_lookup (e, ref, &sd->c, err) < 0)
    return -1;
  if (sd->c->state == SKIFF_CTR_RUNNING && sd->c->pid > 0)
    {
      /* the root as its processes see it, with its volumes and tmpfs mounts: the kernel walks the
       * container's own mount tree below this descriptor */
      cleanup_free char *p = xasprintf ("/proc/%d/root", sd->c->pid);
      sd->rootfd = open (p, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (sd->rootfd < 0)
        return skiff_error_set (err, errno, "open the root of container %s", ref);
      /* a PID reused since the record was read would hand us another process's root, ours at worst */
      struct stat mine, theirs;
      if (stat ("/", &mine) < 0 || fstat (sd->rootfd, &theirs) < 0
          || (mine.st_dev == theirs.st_dev && mine.st_ino == theirs.st_ino))
        return skiff_error_set_status (err, ESRCH, "the root of container %s is not reachable: is it running?", ref);
    }
  else
    {
      struct skiff_store *s;
      cleanup_free char *merged = NULL;
      if (skiff_engine_store (e, &s, err) < 0 || private_mount_ns (err) < 0
          || skiff_store_rootfs_mount (s, sd->c->id, &merged, err) < 0)
        return -1;
      sd->mounted = true;
      sd->rootfd = open (merged, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (sd->rootfd < 0)
        return skiff_error_set (err, errno, "open the root of container %s", ref);
    }
  container_ids (sd);
  return 0;
}

static void
side_close (struct skiff_engine *e, struct cp_side *sd)
{
  if (sd->rootfd >= 0)
    close (sd->rootfd);
  if (sd->mounted && e->store)
    {
      skiff_error_t ignored = NULL;
      if (skiff_store_rootfs_unmount (e->store, sd->c->id, &ignored) < 0)
        skiff_error_release (&ignored);
    }
  if (sd->c)
    skiff_container_free (sd->c);
  memset (sd, 0, sizeof *sd);
  sd->rootfd = -1;
}

/* A path on side sd as the copy resolves it: absolute, a container's relative one from its working directory,
 * the host's from our cwd. */
static char *
side_path (const struct cp_side *sd, const char *path)
{
  if (path[0] == '/')
    return xstrdup (path);
  if (sd->c)
    return path_join (sd->c->workdir && *sd->c->workdir ? sd->c->workdir : "/", path);
  char cwd[PATH_MAX];
  if (getcwd (cwd, sizeof cwd) == NULL)
    strcpy (cwd, "/");
  return path_join (cwd, path);
}

static int
not_found (const struct cp_side *sd, const char *path, skiff_error_t *err)
{
  if (sd->c)
    return skiff_error_set_status (err, ENOENT, "\"%s\" could not be found on container %s: no such file or directory",
                                   path, sd->ref);
  return skiff_error_set_status (err, ENOENT, "\"%s\" could not be found on the host", path);
}

/* The last component of path, trailing slashes ignored ("" for "/"). */
static char *
base_name (const char *path)
{
  cleanup_free char *p = xstrdup (path);
  size_t n = strlen (p);
  while (n > 1 && p[n - 1] == '/')
    p[--n] = '\0';
  const char *s = strrchr (p, '/');
  return xstrdup (s ? s + 1 : p);
}

static char *
dir_name (const char *path)
{
  cleanup_free char *p = xstrdup (path);
  return xstrdup (dirname (p));
}

/* ---- the copy itself: a source (dirfd, name) onto a destination (dirfd, name), on descriptors only ---- */

struct cp_ctx
{
  const struct skiff_cp_options *o;
  bool chown_to_user; /* the destination is a container and --archive: its user's IDs */
  bool keep_ids;      /* the destination is a container without --archive: the source's IDs */
  uid_t uid;
  gid_t gid;
  const char *shown; /* the destination as the user reads it, for errors */
  char *buf;
};

static void
set_owner (struct cp_ctx *x, int dirfd, const char *name, const struct stat *st)
{
  if (x->chown_to_user)
    fchownat (dirfd, name, x->uid, x->gid, AT_SYMLINK_NOFOLLOW | (name[0] ? 0 : AT_EMPTY_PATH));
  else if (x->keep_ids)
    fchownat (dirfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW | (name[0] ? 0 : AT_EMPTY_PATH));
}

static int
exists_error (struct cp_ctx *x, const char *rel, mode_t mode, skiff_error_t *err)
{
  cleanup_free char *p
      = xasprintf ("%s%s%s", x->shown, rel[0] && x->shown[strlen (x->shown) - 1] != '/' ? "/" : "", rel);
  return skiff_error_set_status (err, EEXIST, "copying: error creating \"%s\": %s %s: file exists", p,
                                 S_ISDIR (mode) ? "mkdir" : "open", p);
}

/* Make room for an entry of type mode at (dst, name): a non-directory in the way goes, a directory in the way
 * of a non-directory (or the reverse) only with --overwrite. *merge: a directory is there to merge into. */
static int
make_room (struct cp_ctx *x, int dst, const char *name, mode_t mode, const char *rel, bool *merge, skiff_error_t *err)
{
  struct stat st;
  *merge = false;
  if (fstatat (dst, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return 0;
  if (S_ISDIR (st.st_mode) && S_ISDIR (mode))
    {
      *merge = true;
      return 0;
    }
  if (S_ISDIR (st.st_mode) != S_ISDIR (mode) && !x->o->overwrite)
    return exists_error (x, rel, mode, err);
  if (S_ISDIR (st.st_mode))
    return rm_rf_at (dst, name, err);
  if (unlinkat (dst, name, 0) < 0)
    return skiff_error_set (err, errno, "remove `%s`", rel);
  return 0;
}

static int
copy_data (struct cp_ctx *x, int in, int out, const char *rel, skiff_error_t *err)
{
  for (;;)
    {
      ssize_t n = copy_file_range (in, NULL, out, NULL, 1 << 30, 0);
      if (n > 0)
        continue;
      if (n == 0)
        return 0;
      if (errno == EINTR)
        continue;
      if (errno != EXDEV && errno != EINVAL && errno != EOPNOTSUPP && errno != ENOSYS)
        return skiff_error_set (err, errno, "copy `%s`", rel);
      break;
    }
  for (;;)
    {
      ssize_t n = read (in, x->buf, CP_BUF);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return skiff_error_set (err, errno, "read `%s`", rel);
      if (n == 0)
        return 0;
      int r = write_all (out, x->buf, (size_t) n);
      if (r < 0)
        return skiff_error_set (err, -r, "write `%s`", rel);
    }
}

/* Create (dst, dname) with make(): the common case (nothing there) costs no lookup first; only when the name
 * is taken is make_room asked what may go. *merge: a directory is there to merge into (make not called). */
static int
create_at (struct cp_ctx *x, int dst, const char *dname, mode_t mode, const char *rel, bool *merge,
           int (*make) (void *data), void *data, skiff_error_t *err)
{
  *merge = false;
  int r = make (data);
  if (r >= 0 || errno != EEXIST)
    return r;
  if (make_room (x, dst, dname, mode, rel, merge, err) < 0)
    return -2;
  if (*merge)
    return 0;
  return make (data);
}

struct make_args
{
  int dst;
  const char *dname;
  const struct stat *st;
  const char *target;
};

static int
make_file (void *data)
{
  struct make_args *m = data;
  return openat (m->dst, m->dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, m->st->st_mode & 0777);
}

static int
make_link (void *data)
{
  struct make_args *m = data;
  return symlinkat (m->target, m->dst, m->dname);
}

static int
make_node (void *data)
{
  struct make_args *m = data;
  return mknodat (m->dst, m->dname, m->st->st_mode, m->st->st_rdev);
}

static int
make_dir (void *data)
{
  struct make_args *m = data;
  return mkdirat (m->dst, m->dname, 0700);
}

static int
create_failed (int r, const char *what, const char *rel, skiff_error_t *err)
{
  if (r == -2)
    return -1; /* make_room said why */
  return skiff_error_set (err, errno, "create %s`%s`", what, rel);
}

/* A non-directory (src, name) as (dst, dname). */
static int
copy_leaf (struct cp_ctx *x, int src, const char *name, const struct stat *st, int dst, const char *dname,
           const char *rel, skiff_error_t *err)
{
  bool merge;
  struct timespec ts[2] = { st->st_atim, st->st_mtim };
  struct make_args m = { .dst = dst, .dname = dname, .st = st };
  int r;
  switch (st->st_mode & S_IFMT)
    {
    case S_IFREG:
      {
        cleanup_close int in = openat (src, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
        if (in < 0)
          return skiff_error_set (err, errno, "open `%s`", rel);
        cleanup_close int out = create_at (x, dst, dname, st->st_mode, rel, &merge, make_file, &m, err);
        if (out < 0)
          return create_failed (out, "", rel, err);
        if (copy_data (x, in, out, rel, err) < 0)
          return -1;
        set_owner (x, out, "", st);
        /* created with its permissions (umask 0); a chown drops set-ID bits, and those alone need a chmod */
        if (st->st_mode & 07000)
          fchmod (out, st->st_mode & 07777);
        futimens (out, ts);
        return 0;
      }
    case S_IFLNK:
      {
        char target[PATH_MAX];
        ssize_t l = readlinkat (src, name, target, sizeof target - 1);
        if (l < 0)
          return skiff_error_set (err, errno, "readlink `%s`", rel);
        target[l] = '\0';
        m.target = target;
        /* data only: never followed here */
        r = create_at (x, dst, dname, st->st_mode, rel, &merge, make_link, &m, err);
        if (r < 0)
          return create_failed (r, "the symbolic link ", rel, err);
        set_owner (x, dst, dname, st);
        utimensat (dst, dname, ts, AT_SYMLINK_NOFOLLOW);
        return 0;
      }
    case S_IFIFO:
    case S_IFCHR:
    case S_IFBLK:
      r = create_at (x, dst, dname, st->st_mode, rel, &merge, make_node, &m, err);
      if (r < 0)
        {
          if (r != -2 && errno == EPERM && !S_ISFIFO (st->st_mode))
            return 0; /* no devices in a user namespace, as rootless podman */
          return create_failed (r, "", rel, err);
        }
      set_owner (x, dst, dname, st);
      fchmodat (dst, dname, st->st_mode & 07777, 0);
      utimensat (dst, dname, ts, AT_SYMLINK_NOFOLLOW);
      return 0;
    default:
      return 0; /* sockets */
    }
}

/* The directory (dst, dname) for a source directory st: made or merged into, opened without following. */
static int
open_dest_dir (struct cp_ctx *x, int dst, const char *dname, const struct stat *st, const char *rel, skiff_error_t *err)
{
  bool merge;
  struct make_args m = { .dst = dst, .dname = dname, .st = st };
  int r = create_at (x, dst, dname, S_IFDIR, rel, &merge, make_dir, &m, err);
  if (r < 0)
    return create_failed (r, "the directory ", rel, err);
  int fd = openat (dst, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return skiff_error_set (err, errno, "open the directory `%s`", rel);
  if (!merge)
    {
      set_owner (x, fd, "", st);
      fchmod (fd, st->st_mode & 07777);
    }
  return fd;
}

static int
copy_visit (void *data, enum skiff_walk_step step, struct skiff_walk_entry *e, skiff_error_t *err)
{
  struct cp_ctx *x = data;
  if (e->st == NULL)
    return 0;
  if (step == SKIFF_WALK_POST)
    {
      if (e->shadow_fd >= 0)
        {
          struct timespec ts[2] = { e->st->st_atim, e->st->st_mtim };
          futimens (e->shadow_fd, ts);
        }
      return 0;
    }
  if (!S_ISDIR (e->st->st_mode))
    return copy_leaf (x, e->dirfd, e->name, e->st, e->shadow_dirfd, e->name, e->path, err);
  if (e->fd < 0)
    return skiff_error_set (err, e->open_errno, "open the directory `%s`", e->path);
  int fd = open_dest_dir (x, e->shadow_dirfd, e->name, e->st, e->path, err);
  if (fd < 0)
    return -1;
  e->shadow_fd = fd;
  return SKIFF_WALK_DESCEND;
}

/* Copy the source (an O_PATH fd on it, its stat) to (dst, dname); contents: a directory's contents go into
 * dst itself (dname unused). */
static int
copy_tree (struct cp_ctx *x, int srcfd, const struct stat *st, int dst, const char *dname, bool contents,
           skiff_error_t *err)
{
  if (!S_ISDIR (st->st_mode))
    {
      if (S_ISREG (st->st_mode))
        {
          cleanup_free char *self = xasprintf ("/proc/self/fd/%d", srcfd);
          cleanup_close int in = open (self, O_RDONLY | O_NOCTTY | O_CLOEXEC);
          if (in < 0)
            return skiff_error_set (err, errno, "open `%s`", dname);
          bool merge;
          if (make_room (x, dst, dname, st->st_mode, dname, &merge, err) < 0)
            return -1;
          cleanup_close int out = openat (dst, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
          if (out < 0)
            return skiff_error_set (err, errno, "create `%s`", dname);
          if (copy_data (x, in, out, dname, err) < 0)
            return -1;
          struct timespec ts[2] = { st->st_atim, st->st_mtim };
          set_owner (x, out, "", st);
          fchmod (out, st->st_mode & 07777);
          futimens (out, ts);
          return 0;
        }
      /* a symlink or special file as the source: by its fd ("" names the fd itself) */
      if (S_ISLNK (st->st_mode))
        return copy_leaf (x, srcfd, "", st, dst, dname, dname, err);
      if (S_ISFIFO (st->st_mode) || S_ISCHR (st->st_mode) || S_ISBLK (st->st_mode))
        {
          bool merge;
          if (make_room (x, dst, dname, st->st_mode, dname, &merge, err) < 0)
            return -1;
          if (mknodat (dst, dname, st->st_mode, st->st_rdev) < 0 && !(errno == EPERM && !S_ISFIFO (st->st_mode)))
            return skiff_error_set (err, errno, "create `%s`", dname);
        }
      return 0;
    }
  cleanup_free char *self = xasprintf ("/proc/self/fd/%d", srcfd);
  cleanup_close int in = open (self, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (in < 0)
    return skiff_error_set (err, errno, "open the directory to copy");
  cleanup_close int out = contents ? fcntl (dst, F_DUPFD_CLOEXEC, 0) : open_dest_dir (x, dst, dname, st, dname, err);
  if (out < 0)
    return contents ? skiff_error_set (err, errno, "open the destination") : -1;
  if (skiff_walk_at (in, out, 0, copy_visit, x, err) < 0)
    return -1;
  if (!contents)
    {
      struct timespec ts[2] = { st->st_atim, st->st_mtim };
      futimens (out, ts);
    }
  return 0;
}

/* ---- resolving both ends ---- */

/* The source: an O_PATH fd on what path names (symlinks followed inside the root, as podman evaluates them),
 * its stat, its base name, and whether only its contents are copied ("dir/."). */
static int
resolve_source (const struct cp_side *sd, const char *path, int *fd, struct stat *st, char **base, bool *contents,
                skiff_error_t *err)
{
  cleanup_free char *full = side_path (sd, path);
  *fd = in_root (sd->rootfd, full, O_PATH);
  if (*fd < 0 && sd->c == NULL && errno == ELOOP)
    *fd = open (full, O_PATH | O_CLOEXEC); /* the host's own magic links (/dev/stdin) */
  if (*fd < 0)
    return errno == ENOENT || errno == ENOTDIR ? not_found (sd, path, err)
                                               : skiff_error_set (err, errno, "resolve `%s`", path);
  if (fstat (*fd, st) < 0)
    return skiff_error_set (err, errno, "stat `%s`", path);
  size_t n = strlen (path);
  *contents = (n >= 2 && strcmp (path + n - 2, "/.") == 0) || strcmp (path, ".") == 0;
  *base = base_name (full);
  if (strcmp (*base, ".") == 0 || (*base)[0] == '\0')
    {
      free (*base);
      *base = xstrdup ("/");
    }
  return 0;
}

struct cp_dest
{
  int dirfd;    /* the directory the copy goes into */
  char *name;   /* the entry in dirfd it becomes; NULL: dirfd is an existing directory to copy into */
  bool is_file; /* name exists and is not a directory */
  char *shown;  /* the directory as the user reads it, for errors */
};

/* The destination. An existing directory takes the source inside; anything else is resolved to the place it
 * names: its parent inside the root, and a symlink as the last component followed (also a dangling one: podman
 * creates its target), each step again from the root fd with RESOLVE_IN_ROOT. */
static int
resolve_dest (const struct cp_side *sd, const char *path, struct cp_dest *d, skiff_error_t *err)
{
  memset (d, 0, sizeof *d);
  d->dirfd = -1;
  cleanup_free char *full = side_path (sd, path);
  size_t n = strlen (path);
  bool want_dir = n > 0 && (path[n - 1] == '/' || (n >= 2 && strcmp (path + n - 2, "/.") == 0));
  if (sd->c == NULL)
    {
      struct stat hst;
      if (stat (full, &hst) == 0 && !S_ISDIR (hst.st_mode) && !S_ISREG (hst.st_mode))
        return skiff_error_set_status (err, EINVAL, "invalid destination: \"%s\" must be a directory or a regular file",
                                       path);
    }
  int fd = in_root (sd->rootfd, full, O_PATH | O_DIRECTORY);
  if (fd >= 0)
    {
      d->dirfd = fd;
      d->shown = sd->c ? xstrdup (full) : xstrdup ("/");
      return 0;
    }
  if (want_dir)
    return not_found (sd, path, err);
  cleanup_free char *cur = xstrdup (full);
  for (int hops = 0;; hops++)
    {
      cleanup_free char *parent = dir_name (cur);
      cleanup_free char *base = base_name (cur);
      int pfd = in_root (sd->rootfd, parent, O_PATH | O_DIRECTORY);
      if (pfd < 0)
        return not_found (sd, path, err);
      struct stat st;
      if (fstatat (pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK (st.st_mode))
        {
          char target[PATH_MAX];
          ssize_t l = readlinkat (pfd, base, target, sizeof target - 1);
          close (pfd);
          if (l < 0 || hops >= CP_MAX_LINKS)
            return skiff_error_set (err, l < 0 ? errno : ELOOP, "resolve `%s`", path);
          target[l] = '\0';
          /* a path string again, but only ever resolved from the root fd inside the root */
          char *next = target[0] == '/' ? xstrdup (target) : path_join (parent, target);
          free (cur);
          cur = next;
          int dfd = in_root (sd->rootfd, cur, O_PATH | O_DIRECTORY);
          if (dfd >= 0)
            {
              d->dirfd = dfd;
              d->shown = sd->c ? xstrdup (cur) : xstrdup ("/");
              return 0;
            }
          continue;
        }
      d->dirfd = pfd;
      d->name = xstrdup (base);
      d->is_file = fstatat (pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0;
      d->shown = sd->c ? xstrdup (parent) : xstrdup ("/");
      return 0;
    }
}

static void
dest_free (struct cp_dest *d)
{
  if (d->dirfd >= 0)
    close (d->dirfd);
  free (d->name);
  free (d->shown);
}

static int
cp_from_stdin (struct cp_side *dst, const char *path, int infd, skiff_error_t *err)
{
  cleanup_free char *full = side_path (dst, path);
  cleanup_close int dfd = in_root (dst->rootfd, full, O_RDONLY | O_DIRECTORY);
  if (dfd < 0)
    return skiff_error_set_status (err, ENOTDIR, "destination must be a directory when copying from stdin");
  skiff_error_t e2 = NULL;
  if (skiff_tree_untar (infd, dfd, 0, &e2) < 0)
    {
      if (e2->status == EILSEQ)
        {
          skiff_error_release (&e2);
          return skiff_error_set_status (err, EINVAL,
                                         "source must be a (compressed) tar archive when copying from stdin");
        }
      *err = e2;
      return -1;
    }
  return 0;
}

static int
cp_to_stdout (struct cp_side *src, const char *path, int outfd, skiff_error_t *err)
{
  cleanup_close int fd = -1;
  struct stat st;
  cleanup_free char *base = NULL;
  bool contents;
  if (resolve_source (src, path, &fd, &st, &base, &contents, err) < 0)
    return -1;
  return skiff_tree_tar (fd, "", contents || strcmp (base, "/") == 0 ? "" : base, false, outfd, err);
}

int
skiff_engine_cp (struct skiff_engine *e, const struct skiff_cp_options *o, skiff_error_t *err)
{
  if (skiff_engine_enter (e, err) < 0)
    return -1;
  /* files are created with their final permissions */
  umask (0);
  bool from_stdin = o->src_container == NULL && strcmp (o->src_path, "-") == 0;
  bool to_stdout = o->dst_container == NULL && strcmp (o->dst_path, "-") == 0;
  struct cp_side src, dst;
  memset (&src, 0, sizeof src);
  memset (&dst, 0, sizeof dst);
  src.rootfd = dst.rootfd = -1;
  int r = -1;
  if ((!from_stdin && side_open (e, o->src_container, &src, err) < 0)
      || (!to_stdout && side_open (e, o->dst_container, &dst, err) < 0))
    goto out;
  if (from_stdin)
    {
      r = cp_from_stdin (&dst, o->dst_path, o->stdin_fd, err);
      goto out;
    }
  if (to_stdout)
    {
      r = cp_to_stdout (&src, o->src_path, o->stdout_fd, err);
      goto out;
    }
  {
    cleanup_close int sfd = -1;
    struct stat st;
    cleanup_free char *base = NULL;
    bool contents;
    if (resolve_source (&src, o->src_path, &sfd, &st, &base, &contents, err) < 0)
      goto out;
    struct cp_dest d;
    if (resolve_dest (&dst, o->dst_path, &d, err) < 0)
      {
        dest_free (&d);
        goto out;
      }
    struct cp_ctx x = { .o = o,
                        .chown_to_user = dst.c && o->archive,
                        .keep_ids = dst.c && !o->archive,
                        .uid = dst.uid,
                        .gid = dst.gid,
                        .shown = d.shown };
    x.buf = xmalloc (CP_BUF);
    if (d.name && d.is_file && S_ISDIR (st.st_mode))
      {
        struct stat dst_st;
        if (fstatat (d.dirfd, d.name, &dst_st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR (dst_st.st_mode))
          r = skiff_error_set_status (err, ENOTDIR, "destination must be a directory when copying a directory");
        else
          r = copy_tree (&x, sfd, &st, d.dirfd, d.name, false, err);
      }
    else if (d.name)
      r = copy_tree (&x, sfd, &st, d.dirfd, d.name, false, err);
    else if (S_ISDIR (st.st_mode) && (contents || strcmp (base, "/") == 0))
      r = copy_tree (&x, sfd, &st, d.dirfd, NULL, true, err);
    else
      r = copy_tree (&x, sfd, &st, d.dirfd, base, false, err);
    free (x.buf);
    dest_free (&d);
  }
out:
  side_close (e, &src);
  side_close (e, &dst);
  return r;
}

/* ---- export ---- */

int
skiff_engine_container_export (struct skiff_engine *e, const char *ref, int outfd, skiff_error_t *err)
{
  if (skiff_engine_enter (e, err) < 0)
    return -1;
  struct cp_side sd;
  if (side_open (e, ref, &sd, err) < 0)
    {
      side_close (e, &sd);
      return -1;
    }
  /* a running container's root seen through its processes: its own file system only, not /proc or volumes */
  int r = skiff_tree_tar (sd.rootfd, "", "", true, outfd, err);
  side_close (e, &sd);
  return r;
}

/* ---- mount, unmount: in the storage mount namespace that `skiff unshare` shares ---- */

int
skiff_engine_container_mount (struct skiff_engine *e, const char *ref, char **path, skiff_error_t *err)
{
  struct skiff_store *s;
  struct skiff_container *c = NULL;
  *path = NULL;
  if (skiff_engine_store (e, &s, err) < 0 || skiff_engine_container_lookup (e, ref, &c, err) < 0)
    return -1;
  int r = skiff_store_rootfs_mount (s, c->id, path, err);
  skiff_container_free (c);
  return r;
}

int
skiff_engine_container_unmount (struct skiff_engine *e, const char *ref, bool force, skiff_error_t *err)
{
  struct skiff_store *s;
  struct skiff_container *c = NULL;
  if (skiff_engine_store (e, &s, err) < 0 || skiff_engine_container_lookup (e, ref, &c, err) < 0)
    return -1;
  int r = 0;
  if (c->state == SKIFF_CTR_RUNNING && !force)
    r = 0; /* its processes hold their own mount: nothing of ours to release */
  else
    r = skiff_store_rootfs_unmount (s, c->id, err);
  skiff_container_free (c);
  return r;
}
