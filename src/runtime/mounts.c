/* The container's mount plan: /proc, /sys, a tmpfs /dev with the host's device nodes bound in, devpts,
 * /dev/shm, /dev/mqueue, the engine's bind mounts, masked and read-only paths. Every target inside the
 * root filesystem is resolved with openat2(RESOLVE_IN_ROOT) so that an image's symlinks cannot point a
 * mount outside it; the mount then targets /proc/self/fd/N. */
#include "runtime/mounts.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>

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

int
skiff_open_in_root (int rootfd, const char *path, enum skiff_target_kind kind, skiff_error_t *err)
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
      parent = skiff_open_in_root (rootfd, *copy ? copy : "/", SKIFF_TARGET_DIR, err);
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
      if (f < 0 && errno != EEXIST)
        return skiff_error_set (err, errno, "create `%s` in the container", path);
      if (f >= 0)
        close (f);
    }
  fd = openat2_in_root (rootfd, path, O_PATH);
  if (fd < 0)
    return skiff_error_set (err, errno, "open `%s` in the container", path);
  return fd;
}

static int
mount_at (int rootfd, const char *path, enum skiff_target_kind kind, const char *source, const char *type,
          unsigned long flags, const char *data, skiff_error_t *err)
{
  cleanup_close int fd = skiff_open_in_root (rootfd, path, kind, err);
  if (fd < 0)
    return -1;
  char proc[64];
  snprintf (proc, sizeof proc, "/proc/self/fd/%d", fd);
  if (mount (source, proc, type, flags, data) < 0)
    return skiff_error_set (err, errno, "mount %s on `%s`", type ? type : source, path);
  return 0;
}

/* Remount a bind mount read-only keeping the flags the kernel locked on it (nosuid, nodev, noexec). */
int
skiff_remount_readonly (const char *proc_path, skiff_error_t *err)
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
  if (mount (NULL, proc_path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, NULL) < 0)
    return skiff_error_set (err, errno, "remount read-only");
  return 0;
}

static int
bind_at (int rootfd, const char *source, const char *path, bool is_dir, bool ro, skiff_error_t *err)
{
  cleanup_close int fd = skiff_open_in_root (rootfd, path, is_dir ? SKIFF_TARGET_DIR : SKIFF_TARGET_FILE, err);
  if (fd < 0)
    return -1;
  char proc[64];
  snprintf (proc, sizeof proc, "/proc/self/fd/%d", fd);
  if (mount (source, proc, NULL, MS_BIND | MS_REC, NULL) < 0)
    return skiff_error_set (err, errno, "bind mount `%s` on `%s`", source, path);
  if (ro)
    {
      /* the fd still names the covered inode: reopen the path to reach the new mount */
      close (fd);
      fd = skiff_open_in_root (rootfd, path, SKIFF_TARGET_EXISTING, err);
      if (fd < 0)
        return -1;
      snprintf (proc, sizeof proc, "/proc/self/fd/%d", fd);
      if (skiff_remount_readonly (proc, err) < 0)
        return skiff_error_wrap (err, "%s", path);
    }
  return 0;
}

static int
setup_dev (int rootfd, bool privileged, bool gid5_mapped, skiff_error_t *err)
{
  if (mount_at (rootfd, "/dev", SKIFF_TARGET_DIR, "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k",
                err)
      < 0)
    return -1;
  cleanup_close int dev = skiff_open_in_root (rootfd, "/dev", SKIFF_TARGET_EXISTING, err);
  if (dev < 0)
    return -1;
  char proc[64];
  snprintf (proc, sizeof proc, "/proc/self/fd/%d", dev);
  cleanup_close int devdir = open (proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (devdir < 0)
    return skiff_error_set (err, errno, "open the container's /dev");
  for (size_t i = 0; i < ARRAY_SIZE (devices); i++)
    {
      cleanup_free char *src = xasprintf ("/dev/%s", devices[i]);
      cleanup_free char *dst = xasprintf ("/dev/%s", devices[i]);
      if (bind_at (rootfd, src, dst, false, false, err) < 0)
        return -1;
    }
  (void) privileged;
  for (size_t i = 0; i < ARRAY_SIZE (dev_links); i++)
    if (strcmp (dev_links[i].target, "ptmx") != 0 && symlinkat (dev_links[i].link, devdir, dev_links[i].target) < 0)
      return skiff_error_set (err, errno, "symlink /dev/%s", dev_links[i].target);
  const char *ptsopts
      = gid5_mapped ? "newinstance,ptmxmode=0666,mode=0620,gid=5" : "newinstance,ptmxmode=0666,mode=0620";
  if (mount_at (rootfd, "/dev/pts", SKIFF_TARGET_DIR, "devpts", "devpts", MS_NOSUID | MS_NOEXEC, ptsopts, err) < 0)
    return -1;
  if (symlinkat ("pts/ptmx", devdir, "ptmx") < 0)
    return skiff_error_set (err, errno, "symlink /dev/ptmx");
  if (mount_at (rootfd, "/dev/shm", SKIFF_TARGET_DIR, "shm", "tmpfs", MNT_NOSUID_NODEV_NOEXEC, "mode=1777,size=65536k",
                err)
      < 0)
    return -1;
  if (mount_at (rootfd, "/dev/mqueue", SKIFF_TARGET_DIR, "mqueue", "mqueue", MNT_NOSUID_NODEV_NOEXEC, NULL, err) < 0)
    return -1;
  return 0;
}

/* Hide path: files get /dev/null bound over them, directories an empty read-only tmpfs. One tmpfs serves
 * every masked directory (the later ones are bind mounts of the first, which keep its read-only flag): a
 * new tmpfs superblock per directory costs far more, to make and to tear down, than a bind mount. */
static int
mask_path (int rootfd, const char *path, int *empty_fd, skiff_error_t *err)
{
  int fd = openat2_in_root (rootfd, path, O_PATH);
  if (fd < 0)
    return 0; /* not there: nothing to hide */
  struct stat st;
  int r = fstat (fd, &st);
  char proc[64];
  snprintf (proc, sizeof proc, "/proc/self/fd/%d", fd);
  if (r == 0 && S_ISDIR (st.st_mode) && *empty_fd >= 0)
    {
      char src[64];
      snprintf (src, sizeof src, "/proc/self/fd/%d", *empty_fd);
      r = mount (src, proc, NULL, MS_BIND, NULL);
    }
  else if (r == 0 && S_ISDIR (st.st_mode))
    {
      r = mount ("tmpfs", proc, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0k");
      if (r == 0)
        *empty_fd = openat2_in_root (rootfd, path, O_PATH);
    }
  else if (r == 0)
    r = mount ("/dev/null", proc, NULL, MS_BIND, NULL);
  int e = errno;
  close (fd);
  if (r < 0)
    return skiff_error_set (err, e, "mask `%s`", path);
  return 0;
}

static int
readonly_path (int rootfd, const char *path, skiff_error_t *err)
{
  int fd = openat2_in_root (rootfd, path, O_PATH);
  if (fd < 0)
    return 0;
  char proc[64];
  snprintf (proc, sizeof proc, "/proc/self/fd/%d", fd);
  int r = mount (proc, proc, NULL, MS_BIND | MS_REC, NULL);
  int e = errno;
  close (fd);
  if (r < 0)
    return skiff_error_set (err, e, "bind `%s`", path);
  fd = openat2_in_root (rootfd, path, O_PATH);
  if (fd < 0)
    return skiff_error_set (err, errno, "open `%s`", path);
  snprintf (proc, sizeof proc, "/proc/self/fd/%d", fd);
  r = skiff_remount_readonly (proc, err);
  close (fd);
  return r;
}

int
skiff_mounts_setup (int rootfd, const struct skiff_container_config *cfg, bool gid5_mapped, skiff_error_t *err)
{
  if (mount_at (rootfd, "/proc", SKIFF_TARGET_DIR, "proc", "proc", MNT_NOSUID_NODEV_NOEXEC, NULL, err) < 0)
    return -1;
  unsigned long sysflags = MNT_NOSUID_NODEV_NOEXEC | (cfg->privileged ? 0 : MS_RDONLY);
  if (mount_at (rootfd, "/sys", SKIFF_TARGET_DIR, "sysfs", "sysfs", sysflags, NULL, err) < 0)
    {
      /* sysfs needs a network namespace of our own; with the host's, bind the host's /sys */
      skiff_error_release (err);
      if (bind_at (rootfd, "/sys", "/sys", true, !cfg->privileged, err) < 0)
        return -1;
    }
  if (setup_dev (rootfd, cfg->privileged, gid5_mapped, err) < 0)
    return -1;
  for (size_t i = 0; i < cfg->nbinds; i++)
    {
      struct stat st;
      if (stat (cfg->binds[i].source, &st) < 0)
        return skiff_error_set (err, errno, "bind source `%s`", cfg->binds[i].source);
      if (bind_at (rootfd, cfg->binds[i].source, cfg->binds[i].destination, S_ISDIR (st.st_mode),
                   cfg->binds[i].readonly, err)
          < 0)
        return -1;
    }
  if (cfg->readonly_rootfs && cfg->readonly_tmpfs)
    {
      static const char *const tmpfs_dirs[] = { "/run", "/tmp", "/var/tmp" };
      for (size_t i = 0; i < ARRAY_SIZE (tmpfs_dirs); i++)
        if (mount_at (rootfd, tmpfs_dirs[i], SKIFF_TARGET_DIR, "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV,
                      i == 0 ? "mode=755" : "mode=1777", err)
            < 0)
          return -1;
    }
  if (!cfg->privileged)
    {
      char *const *masked = cfg->masked_paths ? cfg->masked_paths : (char *const *) skiff_default_masked_paths;
      char *const *ro = cfg->readonly_paths ? cfg->readonly_paths : (char *const *) skiff_default_readonly_paths;
      int empty_fd = -1;
      int r = 0;
      for (size_t i = 0; masked[i] && r == 0; i++)
        r = mask_path (rootfd, masked[i], &empty_fd, err);
      if (empty_fd >= 0)
        close (empty_fd);
      if (r < 0)
        return -1;
      for (size_t i = 0; ro[i]; i++)
        if (readonly_path (rootfd, ro[i], err) < 0)
          return -1;
    }
  return 0;
}
