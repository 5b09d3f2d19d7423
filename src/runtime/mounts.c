/* The container's mount plan: /proc, /sys, a tmpfs /dev with the host's device nodes bound in, devpts,
 * /dev/shm, /dev/mqueue, the engine's bind mounts, masked and read-only paths, built as a list of operations
 * (skiff_mount_plan_build) and carried out in one place (skiff_mount_plan_execute). Every target inside the
 * root filesystem is resolved with openat2(RESOLVE_IN_ROOT) so that an image's symlinks cannot point a
 * mount outside it; the mount then targets /proc/self/fd/N. */
#include "runtime/mounts.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>

#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

const char *const skiff_default_masked_paths[] = {
  "/proc/acpi",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/proc/scsi",
  "/sys/firmware",
  "/sys/fs/selinux",
  "/sys/dev/block",
  "/sys/devices/virtual/powercap",
  NULL,
};

const char *const skiff_default_readonly_paths[] = {
  "/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

static const char *const devices[] = { "null", "zero", "full", "random", "urandom", "tty" };

static const struct
{
  const char *target, *link;
} dev_links[] = {
  { "fd", "/proc/self/fd" },       { "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" },
  { "stderr", "/proc/self/fd/2" }, { "core", "/proc/kcore" },      { "ptmx", "pts/ptmx" },
};

#define MNT_NOSUID_NODEV_NOEXEC (MS_NOSUID | MS_NODEV | MS_NOEXEC)
#define DEV_TMPFS_OPTIONS "mode=755,size=65536k"
#define SHM_TMPFS_OPTIONS "mode=1777,size=65536k"
#define DEVPTS_OPTIONS "newinstance,ptmxmode=0666,mode=0620"
#define DEVPTS_TTY_GID_OPTION ",gid=5"
#define MASK_TMPFS_OPTIONS "size=0k"
#define PROC_FD_PATH_LEN 64
#define MOUNTINFO_PATH "/proc/self/mountinfo"
#define MOUNTINFO_MOUNT_POINT_FIELD 4 /* 0-based: ID, parent, major:minor, root, mount point */
#define NO_MOUNT_SETATTR_ENV "SKIFF_TEST_NO_MOUNT_SETATTR"
/* links followed to create a missing mount target, as the kernel's own limit */
#define SYMLINK_HOPS_MAX 40

static int
openat2_in_root (int rootfd, const char *path, int flags)
{
  struct open_how how = { .flags = (uint64_t) flags | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
  while (*path == '/')
    path++;
  if (*path == '\0')
    path = ".";
  int fd;
  do
    fd = (int) syscall (SYS_openat2, rootfd, path, &how, sizeof how);
  while (fd < 0 && errno == EAGAIN);
  return fd;
}

static int open_in_root (int rootfd, const char *path, enum skiff_target_kind kind, int hops, skiff_error_t *err);

int
skiff_open_in_root (int rootfd, const char *path, enum skiff_target_kind kind, skiff_error_t *err)
{
  return open_in_root (rootfd, path, kind, 0, err);
}

static int
open_in_root (int rootfd, const char *path, enum skiff_target_kind kind, int hops, skiff_error_t *err)
{
  int fd = openat2_in_root (rootfd, path, O_PATH);
  if (fd >= 0 || errno != ENOENT || kind == SKIFF_TARGET_EXISTING)
    {
      if (fd < 0)
        return skiff_error_set (err, errno, "open `%s` in the container", path);
      return fd;
    }
  /* create the missing target: parent first, then the last component inside the resolved parent */
  cleanup_free char *copy = xstrdup (path);
  char *slash = strrchr (copy, '/');
  const char *base = copy;
  cleanup_close int parent = -1;
  if (slash)
    {
      *slash = '\0';
      base = slash + 1;
      parent = open_in_root (rootfd, *copy ? copy : "/", SKIFF_TARGET_DIR, hops, err);
    }
  else
    parent = openat2_in_root (rootfd, ".", O_PATH);
  if (parent < 0)
    return -1;
  /* O_PATH fds cannot be used for mkdirat; reopen the directory itself */
  char proc[64];
  snprintf (proc, sizeof proc, "/proc/self/fd/%d", parent);
  cleanup_close int pdir = open (proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (pdir < 0)
    return skiff_error_set (err, errno, "open the parent of `%s` in the container", path);
  if (kind == SKIFF_TARGET_DIR)
    {
      if (mkdirat (pdir, base, 0755) < 0 && errno != EEXIST)
        return skiff_error_set (err, errno, "create `%s` in the container", path);
    }
  else
    {
      int f = openat (pdir, base, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
      /* ELOOP: a dangling link there, followed below */
      if (f < 0 && errno != EEXIST && errno != ELOOP)
        return skiff_error_set (err, errno, "create `%s` in the container", path);
      if (f >= 0)
        close (f);
    }
  fd = openat2_in_root (rootfd, path, O_PATH);
  if (fd >= 0)
    return fd;
  int e = errno;
  /* still missing: the last component is a link to something missing (an image's /etc/resolv.conf ->
   * ../run/systemd/resolve/stub-resolv.conf); create what it points to, inside the root, as crun does */
  char link[PATH_MAX];
  ssize_t n = e == ENOENT ? readlinkat (pdir, base, link, sizeof link - 1) : -1;
  if (n <= 0)
    return skiff_error_set (err, e, "open `%s` in the container", path);
  if (hops >= SYMLINK_HOPS_MAX)
    return skiff_error_set (err, ELOOP, "create `%s` in the container", path);
  link[n] = '\0';
  cleanup_free char *target = link[0] == '/' ? xstrdup (link) : xasprintf ("%s/%s", slash ? copy : "", link);
  return open_in_root (rootfd, target, kind, hops + 1, err);
}

/* ---- the plan ---- */

struct skiff_mount_op *
skiff_mount_plan_add (struct skiff_mount_plan *p, enum skiff_mount_kind kind, const char *target)
{
  p->ops = xrealloc (p->ops, (p->n + 1) * sizeof *p->ops);
  struct skiff_mount_op *op = &p->ops[p->n++];
  memset (op, 0, sizeof *op);
  op->kind = kind;
  op->target = xstrdup (target);
  op->target_kind = SKIFF_TARGET_DIR;
  return op;
}

void
skiff_mount_plan_release (struct skiff_mount_plan *p)
{
  for (size_t i = 0; i < p->n; i++)
    {
      struct skiff_mount_op *op = &p->ops[i];
      free (op->target);
      free (op->source);
      free (op->fstype);
      free (op->data);
      free (op->lower);
      free (op->upper);
      free (op->work);
      free (op->fallback_bind);
    }
  free (p->ops);
  p->ops = NULL;
  p->n = 0;
}

static void
add_fs (struct skiff_mount_plan *p, const char *target, const char *type, unsigned long flags, const char *data)
{
  struct skiff_mount_op *op = skiff_mount_plan_add (p, SKIFF_MOUNT_FS, target);
  op->source = xstrdup (type);
  op->fstype = xstrdup (type);
  op->flags = flags;
  op->data = data ? xstrdup (data) : NULL;
}

static void
add_tmpfs (struct skiff_mount_plan *p, const char *target, const char *source, unsigned long flags, const char *options)
{
  struct skiff_mount_op *op = skiff_mount_plan_add (p, SKIFF_MOUNT_TMPFS, target);
  op->source = xstrdup (source);
  op->flags = flags;
  op->data = xstrdup (options);
}

static void
add_bind (struct skiff_mount_plan *p, const char *source, const char *target, enum skiff_target_kind kind,
          bool readonly)
{
  struct skiff_mount_op *op = skiff_mount_plan_add (p, SKIFF_MOUNT_BIND, target);
  op->source = xstrdup (source);
  op->target_kind = kind;
  op->recursive = true;
  op->readonly = readonly;
}

/* /sys: sysfs needs a network namespace of the container's user namespace; with the host's it is the host's
 * /sys, bound read-only with everything below it (the cgroup mounts too). */
static void
plan_sys (const struct skiff_container_config *cfg, struct skiff_mount_plan *p)
{
  if (cfg->share_host_network)
    {
      add_bind (p, "/sys", "/sys", SKIFF_TARGET_DIR, !cfg->privileged);
      return;
    }
  add_fs (p, "/sys", "sysfs", MNT_NOSUID_NODEV_NOEXEC | (cfg->privileged ? 0 : MS_RDONLY), NULL);
  p->ops[p->n - 1].fallback_bind = xstrdup ("/sys");
}

static void
plan_dev (struct skiff_mount_plan *p, bool gid5_mapped)
{
  add_tmpfs (p, "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, DEV_TMPFS_OPTIONS);
  for (size_t i = 0; i < ARRAY_SIZE (devices); i++)
    {
      cleanup_free char *path = xasprintf ("/dev/%s", devices[i]);
      add_bind (p, path, path, SKIFF_TARGET_FILE, false);
    }
  /* /dev/ptmx points into the devpts mounted below, so it comes after it */
  for (size_t i = 0; i < ARRAY_SIZE (dev_links); i++)
    if (strcmp (dev_links[i].target, "ptmx") != 0)
      {
        cleanup_free char *path = xasprintf ("/dev/%s", dev_links[i].target);
        skiff_mount_plan_add (p, SKIFF_MOUNT_SYMLINK, path)->source = xstrdup (dev_links[i].link);
      }
  add_fs (p, "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
          gid5_mapped ? DEVPTS_OPTIONS DEVPTS_TTY_GID_OPTION : DEVPTS_OPTIONS);
  skiff_mount_plan_add (p, SKIFF_MOUNT_SYMLINK, "/dev/ptmx")->source = xstrdup ("pts/ptmx");
  add_tmpfs (p, "/dev/shm", "shm", MNT_NOSUID_NODEV_NOEXEC, SHM_TMPFS_OPTIONS);
  add_fs (p, "/dev/mqueue", "mqueue", MNT_NOSUID_NODEV_NOEXEC, NULL);
}

void
skiff_mount_plan_build (const struct skiff_container_config *cfg, bool gid5_mapped, struct skiff_mount_plan *p)
{
  memset (p, 0, sizeof *p);
  add_fs (p, "/proc", "proc", MNT_NOSUID_NODEV_NOEXEC, NULL);
  plan_sys (cfg, p);
  plan_dev (p, gid5_mapped);
  /* the tmpfs first: a bind into /run (/run/.containerenv) or /tmp must not be hidden under it */
  if (cfg->readonly_rootfs && cfg->readonly_tmpfs)
    {
      add_tmpfs (p, "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=755");
      add_tmpfs (p, "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
      add_tmpfs (p, "/var/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
    }
  for (size_t i = 0; i < cfg->nbinds; i++)
    add_bind (p, cfg->binds[i].source, cfg->binds[i].destination, SKIFF_TARGET_LIKE_SOURCE, cfg->binds[i].readonly);
  for (size_t i = 0; i < cfg->nuser_mounts; i++)
    {
      const struct skiff_user_mount *u = &cfg->user_mounts[i];
      if (u->tmpfs)
        {
          add_tmpfs (p, u->destination, "tmpfs", u->flags | (u->readonly ? MS_RDONLY : 0), u->data ? u->data : "");
          p->ops[p->n - 1].target_kind = SKIFF_TARGET_DIR;
          continue;
        }
      add_bind (p, u->source, u->destination, SKIFF_TARGET_LIKE_SOURCE, u->readonly);
      struct skiff_mount_op *op = &p->ops[p->n - 1];
      op->recursive = u->recursive;
      op->propagation = u->propagation;
      op->bind_flags = u->flags;
      op->copy_up = u->copy_up;
    }
  if (!cfg->privileged)
    {
      char *const *masked = cfg->masked_paths ? cfg->masked_paths : (char *const *) skiff_default_masked_paths;
      char *const *ro = cfg->readonly_paths ? cfg->readonly_paths : (char *const *) skiff_default_readonly_paths;
      for (size_t i = 0; masked[i]; i++)
        skiff_mount_plan_add (p, SKIFF_MOUNT_MASK, masked[i])->optional = true;
      for (size_t i = 0; ro[i]; i++)
        {
          struct skiff_mount_op *op = skiff_mount_plan_add (p, SKIFF_MOUNT_READONLY, ro[i]);
          op->optional = true;
          op->readonly = true;
        }
    }
  if (cfg->readonly_rootfs)
    skiff_mount_plan_add (p, SKIFF_MOUNT_ROOT_READONLY, "/")->target_kind = SKIFF_TARGET_EXISTING;
}

/* ---- read-only, recursively ---- */

/* mountinfo escapes space, tab, newline and backslash as \ooo */
static char *
mountinfo_unescape (const char *s, size_t n)
{
  char *out = xmalloc (n + 1);
  size_t o = 0;
  for (size_t i = 0; i < n; i++)
    if (s[i] == '\\' && i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' && s[i + 2] <= '7'
        && s[i + 3] >= '0' && s[i + 3] <= '7')
      {
        out[o++] = (char) ((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
        i += 3;
      }
    else
      out[o++] = s[i];
  out[o] = '\0';
  return out;
}

char **
skiff_mountinfo_below (const char *mountinfo, const char *path)
{
  char **out = xmalloc0 (sizeof *out);
  size_t plen = strlen (path);
  while (plen > 1 && path[plen - 1] == '/')
    plen--;
  for (const char *line = mountinfo; line && *line;)
    {
      const char *end = strchrnul (line, '\n');
      const char *f = line;
      for (int field = 0; field < MOUNTINFO_MOUNT_POINT_FIELD && f < end; field++)
        {
          const char *sp = memchr (f, ' ', (size_t) (end - f));
          f = sp ? sp + 1 : end;
        }
      const char *fe = memchr (f, ' ', (size_t) (end - f));
      cleanup_free char *mp = mountinfo_unescape (f, (size_t) ((fe ? fe : end) - f));
      if (f < end && strncmp (mp, path, plen) == 0 && (mp[plen] == '\0' || mp[plen] == '/' || plen == 1))
        strv_push (&out, mp);
      line = *end ? end + 1 : end;
    }
  return out;
}

/* One remount per mount at or below path (kernels without mount_setattr) */
static int
remount_each_readonly (const char *path, skiff_error_t *err)
{
  char real[PATH_MAX];
  ssize_t n = str_has_prefix (path, "/proc/self/fd/") ? readlink (path, real, sizeof real - 1) : -1;
  if (n > 0)
    real[n] = '\0';
  else if (realpath (path, real) == NULL)
    return skiff_error_set (err, errno, "resolve `%s`", path);
  cleanup_free char *mountinfo = NULL;
  if (read_file (MOUNTINFO_PATH, &mountinfo, NULL, err) < 0)
    return -1;
  cleanup_strv char **below = skiff_mountinfo_below (mountinfo, real);
  for (size_t i = 0; below[i]; i++)
    if (skiff_remount_readonly (below[i], err) < 0)
      return skiff_error_wrap (err, "%s", below[i]);
  return 0;
}

int
skiff_remount_readonly_recursive (const char *path, skiff_error_t *err)
{
  const char *no_setattr = getenv (NO_MOUNT_SETATTR_ENV);
  if (no_setattr == NULL || strcmp (no_setattr, "1") != 0)
    {
      struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
      if (syscall (SYS_mount_setattr, AT_FDCWD, path, AT_RECURSIVE, &attr, sizeof attr) == 0)
        return 0;
      if (errno != ENOSYS)
        return skiff_error_set (err, errno, "make the mounts below `%s` read-only", path);
    }
  return remount_each_readonly (path, err);
}

/* ---- carrying it out ---- */

struct exec_state
{
  int rootfd;
  int empty_fd; /* the first masked directory's tmpfs, which later masks bind */
};

static void
proc_fd_path (char buf[PROC_FD_PATH_LEN], int fd)
{
  snprintf (buf, PROC_FD_PATH_LEN, "/proc/self/fd/%d", fd);
}

static int
mount_at (int rootfd, const char *path, enum skiff_target_kind kind, const char *source, const char *type,
          unsigned long flags, const char *data, skiff_error_t *err)
{
  cleanup_close int fd = skiff_open_in_root (rootfd, path, kind, err);
  if (fd < 0)
    return -1;
  char proc[PROC_FD_PATH_LEN];
  proc_fd_path (proc, fd);
  if (mount (source, proc, type, flags, data) < 0)
    return skiff_error_set (err, errno, "mount %s on `%s`", type ? type : source, path);
  return 0;
}

static int remount_bind (const char *proc_path, unsigned long add, skiff_error_t *err);

/* Remount a bind mount read-only keeping the flags the kernel locked on it (nosuid, nodev, noexec). */
int
skiff_remount_readonly (const char *proc_path, skiff_error_t *err)
{
  return remount_bind (proc_path, MS_RDONLY, err);
}

/* Remount a bind mount with the flags add (MS_RDONLY, MS_NOSUID, ...) over those the kernel locked on it */
static int
remount_bind (const char *proc_path, unsigned long add, skiff_error_t *err)
{
  struct statvfs sv;
  unsigned long keep = 0;
  if (statvfs (proc_path, &sv) == 0)
    {
      if (sv.f_flag & ST_NOSUID)
        keep |= MS_NOSUID;
      if (sv.f_flag & ST_NODEV)
        keep |= MS_NODEV;
      if (sv.f_flag & ST_NOEXEC)
        keep |= MS_NOEXEC;
      if (sv.f_flag & ST_NOATIME)
        keep |= MS_NOATIME;
      if (sv.f_flag & ST_NODIRATIME)
        keep |= MS_NODIRATIME;
      if (sv.f_flag & ST_RELATIME)
        keep |= MS_RELATIME;
    }
  if (sv.f_flag & ST_RDONLY)
    keep |= MS_RDONLY;
  if (mount (NULL, proc_path, NULL, MS_BIND | MS_REMOUNT | add | keep, NULL) < 0)
    return skiff_error_set (err, errno, (add & MS_RDONLY) ? "remount read-only" : "remount with nosuid/nodev/noexec");
  return 0;
}

/* A new volume's first content: what the image has at the target (a directory), copied into the empty source */
static int
copy_up (struct exec_state *x, const struct skiff_mount_op *op, const char *source, skiff_error_t *err)
{
  int pfd = openat2_in_root (x->rootfd, op->target, O_PATH | O_DIRECTORY);
  if (pfd < 0)
    return 0; /* nothing there (or not a directory): nothing to copy */
  char proc[PROC_FD_PATH_LEN];
  proc_fd_path (proc, pfd);
  cleanup_close int src = open (proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  close (pfd);
  cleanup_close int dst = open (source, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (src < 0 || dst < 0)
    return skiff_error_set (err, errno, "copy the image's `%s` into its volume", op->target);
  return skiff_copy_up (src, dst, err) < 0 ? skiff_error_wrap (err, "copy the image's `%s` into its volume", op->target)
                                           : 0;
}

static int
exec_bind (struct exec_state *x, const struct skiff_mount_op *op, const char *source, skiff_error_t *err)
{
  enum skiff_target_kind kind = op->target_kind;
  if (kind == SKIFF_TARGET_LIKE_SOURCE)
    {
      struct stat st;
      if (stat (source, &st) < 0)
        return skiff_error_set (err, errno, "bind source `%s`", source);
      kind = S_ISDIR (st.st_mode) ? SKIFF_TARGET_DIR : SKIFF_TARGET_FILE;
    }
  if (op->copy_up && kind == SKIFF_TARGET_DIR && copy_up (x, op, source, err) < 0)
    return -1;
  cleanup_close int fd = skiff_open_in_root (x->rootfd, op->target, kind, err);
  if (fd < 0)
    return -1;
  char proc[PROC_FD_PATH_LEN];
  proc_fd_path (proc, fd);
  if (mount (source, proc, NULL, MS_BIND | (op->recursive ? MS_REC : 0), NULL) < 0)
    return skiff_error_set (err, errno, "bind mount `%s` on `%s`", source, op->target);
  if (!op->readonly && !op->propagation && !op->bind_flags)
    return 0;
  /* the fd still names the covered inode: reopen the path to reach the new mount */
  close (fd);
  fd = skiff_open_in_root (x->rootfd, op->target, SKIFF_TARGET_EXISTING, err);
  if (fd < 0)
    return -1;
  proc_fd_path (proc, fd);
  if (op->propagation && mount (NULL, proc, NULL, op->propagation, NULL) < 0)
    return skiff_error_set (err, errno, "set the propagation of `%s`", op->target);
  int r = 0;
  if (op->readonly)
    r = op->recursive ? skiff_remount_readonly_recursive (proc, err) : skiff_remount_readonly (proc, err);
  if (r == 0 && op->bind_flags)
    r = remount_bind (proc, op->bind_flags | (op->readonly ? MS_RDONLY : 0), err);
  return r < 0 ? skiff_error_wrap (err, "%s", op->target) : 0;
}

static int
exec_fs (struct exec_state *x, const struct skiff_mount_op *op, skiff_error_t *err)
{
  if (mount_at (x->rootfd, op->target, op->target_kind, op->source, op->fstype, op->flags, op->data, err) == 0)
    return 0;
  if (op->fallback_bind == NULL)
    return -1;
  skiff_error_release (err);
  struct skiff_mount_op bind = { .kind = SKIFF_MOUNT_BIND,
                                 .target = op->target,
                                 .target_kind = op->target_kind,
                                 .recursive = true,
                                 .readonly = (op->flags & MS_RDONLY) != 0 };
  return exec_bind (x, &bind, op->fallback_bind, err);
}

static int
exec_overlay (struct exec_state *x, const struct skiff_mount_op *op, skiff_error_t *err)
{
  cleanup_free char *data = xasprintf ("lowerdir=%s,upperdir=%s,workdir=%s%s%s", op->lower, op->upper, op->work,
                                       op->data ? "," : "", op->data ? op->data : "");
  return mount_at (x->rootfd, op->target, op->target_kind, "overlay", "overlay", op->flags, data, err);
}

static int
exec_symlink (struct exec_state *x, const struct skiff_mount_op *op, skiff_error_t *err)
{
  cleanup_free char *parent = xstrdup (op->target);
  char *slash = strrchr (parent, '/');
  const char *base = slash ? slash + 1 : parent;
  if (slash)
    *slash = '\0';
  cleanup_close int pfd = skiff_open_in_root (x->rootfd, slash && *parent ? parent : "/", SKIFF_TARGET_DIR, err);
  if (pfd < 0)
    return -1;
  char proc[PROC_FD_PATH_LEN];
  proc_fd_path (proc, pfd);
  cleanup_close int dir = open (proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0 || symlinkat (op->source, dir, base) < 0)
    return skiff_error_set (err, errno, "symlink %s", op->target);
  return 0;
}

/* Hide path: files get /dev/null bound over them, directories an empty read-only tmpfs. One tmpfs serves
 * every masked directory (the later ones are bind mounts of the first, which keep its read-only flag): a
 * new tmpfs superblock per directory costs far more, to make and to tear down, than a bind mount. */
static int
exec_mask (struct exec_state *x, const struct skiff_mount_op *op, skiff_error_t *err)
{
  int fd = openat2_in_root (x->rootfd, op->target, O_PATH);
  if (fd < 0)
    return op->optional ? 0 : skiff_error_set (err, errno, "mask `%s`", op->target);
  struct stat st;
  int r = fstat (fd, &st);
  char proc[PROC_FD_PATH_LEN];
  proc_fd_path (proc, fd);
  if (r == 0 && S_ISDIR (st.st_mode) && x->empty_fd >= 0)
    {
      char src[PROC_FD_PATH_LEN];
      proc_fd_path (src, x->empty_fd);
      r = mount (src, proc, NULL, MS_BIND, NULL);
    }
  else if (r == 0 && S_ISDIR (st.st_mode))
    {
      r = mount ("tmpfs", proc, "tmpfs", MS_RDONLY | MNT_NOSUID_NODEV_NOEXEC, MASK_TMPFS_OPTIONS);
      if (r == 0)
        x->empty_fd = openat2_in_root (x->rootfd, op->target, O_PATH);
    }
  else if (r == 0)
    r = mount ("/dev/null", proc, NULL, MS_BIND, NULL);
  int e = errno;
  close (fd);
  if (r < 0)
    return skiff_error_set (err, e, "mask `%s`", op->target);
  return 0;
}

static int
exec_readonly (struct exec_state *x, const struct skiff_mount_op *op, skiff_error_t *err)
{
  int fd = openat2_in_root (x->rootfd, op->target, O_PATH);
  if (fd < 0)
    return op->optional ? 0 : skiff_error_set (err, errno, "open `%s`", op->target);
  char proc[PROC_FD_PATH_LEN];
  proc_fd_path (proc, fd);
  int r = mount (proc, proc, NULL, MS_BIND | MS_REC, NULL);
  int e = errno;
  close (fd);
  if (r < 0)
    return skiff_error_set (err, e, "bind `%s`", op->target);
  fd = openat2_in_root (x->rootfd, op->target, O_PATH);
  if (fd < 0)
    return skiff_error_set (err, errno, "open `%s`", op->target);
  proc_fd_path (proc, fd);
  r = skiff_remount_readonly (proc, err);
  close (fd);
  return r;
}

static int
exec_op (struct exec_state *x, const struct skiff_mount_op *op, skiff_error_t *err)
{
  char proc[PROC_FD_PATH_LEN];
  switch (op->kind)
    {
    case SKIFF_MOUNT_FS:
      return exec_fs (x, op, err);
    case SKIFF_MOUNT_TMPFS:
      return mount_at (x->rootfd, op->target, op->target_kind, op->source ? op->source : "tmpfs", "tmpfs", op->flags,
                       op->data, err);
    case SKIFF_MOUNT_OVERLAY:
      return exec_overlay (x, op, err);
    case SKIFF_MOUNT_BIND:
      return exec_bind (x, op, op->source, err);
    case SKIFF_MOUNT_SYMLINK:
      return exec_symlink (x, op, err);
    case SKIFF_MOUNT_MASK:
      return exec_mask (x, op, err);
    case SKIFF_MOUNT_READONLY:
      return exec_readonly (x, op, err);
    case SKIFF_MOUNT_ROOT_READONLY:
      proc_fd_path (proc, x->rootfd);
      return skiff_remount_readonly (proc, err) < 0 ? skiff_error_wrap (err, "the root filesystem") : 0;
    }
  return skiff_error_set_status (err, EINVAL, "unknown mount operation %d", (int) op->kind);
}

int
skiff_mount_plan_execute (int rootfd, const struct skiff_mount_plan *p, skiff_error_t *err)
{
  struct exec_state x = { .rootfd = rootfd, .empty_fd = -1 };
  int r = 0;
  for (size_t i = 0; r == 0 && i < p->n; i++)
    r = exec_op (&x, &p->ops[i], err);
  if (x.empty_fd >= 0)
    close (x.empty_fd);
  return r;
}

int
skiff_mounts_setup (int rootfd, const struct skiff_container_config *cfg, bool gid5_mapped, skiff_error_t *err)
{
  struct skiff_mount_plan plan;
  skiff_mount_plan_build (cfg, gid5_mapped, &plan);
  int r = skiff_mount_plan_execute (rootfd, &plan, err);
  skiff_mount_plan_release (&plan);
  return r;
}
