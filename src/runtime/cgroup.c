/* cgroup v2 for rootless containers: detection of the hierarchy and of a delegated subtree, then one cgroup
 * per container under it (create, limit, enter, stats, freeze, OOM count, update, remove). docs/cgroups.md */
#include "cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <time.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* the v2 hierarchy a hybrid host mounts below its v1 tmpfs */
#define HYBRID_UNIFIED "unified"
/* how many times the processes of the base are moved to the leaf while they keep forking */
#define LEAF_MOVE_ROUNDS 16
/* container processes may make cgroups of their own inside theirs: removal descends this deep at most */
#define REMOVE_MAX_DEPTH 32
/* removal retries back off from 1 ms to this */
#define REMOVE_MAX_SLEEP_MS 50
/* cgroup files skiff reads are small; cap what one read may take */
#define CG_FILE_MAX (64 * 1024)

/* the kernel's order in cgroup.controllers */
static const struct
{
  const char *name;
  unsigned bit;
} controller_names[] = {
  { "cpuset", SKIFF_CG_CPUSET }, { "cpu", SKIFF_CG_CPU },   { "io", SKIFF_CG_IO },
  { "memory", SKIFF_CG_MEMORY }, { "pids", SKIFF_CG_PIDS },
};

unsigned
skiff_cgroup_controllers_parse (const char *text)
{
  unsigned bits = 0;
  const char *p = text;
  while (p && *p)
    {
      p += strspn (p, " \t\n");
      size_t n = strcspn (p, " \t\n");
      for (size_t i = 0; i < ARRAY_SIZE (controller_names); i++)
        if (n == strlen (controller_names[i].name) && strncmp (p, controller_names[i].name, n) == 0)
          bits |= controller_names[i].bit;
      p += n;
    }
  return bits;
}

char *
skiff_cgroup_controllers_format (unsigned bits)
{
  char buf[64] = "";
  for (size_t i = 0; i < ARRAY_SIZE (controller_names); i++)
    if (bits & controller_names[i].bit)
      {
        if (buf[0])
          strcat (buf, " ");
        strcat (buf, controller_names[i].name);
      }
  return xstrdup (buf);
}

const char *
skiff_cgroup_mode_name (enum skiff_cgroup_mode mode)
{
  switch (mode)
    {
    case SKIFF_CGROUP_V1:
      return "v1";
    case SKIFF_CGROUP_HYBRID:
      return "hybrid";
    case SKIFF_CGROUP_V2:
      return "v2";
    case SKIFF_CGROUP_NONE:
    default:
      return "none";
    }
}

enum skiff_cgroup_mode
skiff_cgroup_mode_at (const char *mount)
{
  struct statfs fs;
  if (statfs (mount, &fs) < 0)
    return SKIFF_CGROUP_NONE;
  if (fs.f_type == CGROUP2_SUPER_MAGIC)
    return SKIFF_CGROUP_V2;
  cleanup_free char *unified = path_join (mount, HYBRID_UNIFIED);
  if (statfs (unified, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
    return SKIFF_CGROUP_HYBRID;
  return SKIFF_CGROUP_V1;
}

void
skiff_cgroup_info_release (struct skiff_cgroup_info *info)
{
  if (info == NULL)
    return;
  free (info->mount);
  free (info->own);
  free (info->base);
  free (info->reason);
  memset (info, 0, sizeof *info);
}

/* A cgroup directory the user may use as systemd's Delegate=yes hands it over: the directory and the files
 * that place processes and enable controllers belong to uid and are writable by their owner. Checked by
 * stat, not access(2), so that the answer is the same for root and in a user namespace. */
static bool
cgroup_owned (const char *dir, uid_t uid)
{
  static const char *const files[] = { "cgroup.procs", "cgroup.subtree_control" };
  struct stat st;
  if (stat (dir, &st) < 0 || !S_ISDIR (st.st_mode) || st.st_uid != uid)
    return false;
  for (size_t i = 0; i < ARRAY_SIZE (files); i++)
    {
      cleanup_free char *f = path_join (dir, files[i]);
      if (stat (f, &st) < 0 || st.st_uid != uid || !(st.st_mode & S_IWUSR))
        return false;
    }
  return true;
}

/* The cgroup v2 path of the "0::" line of /proc/self/cgroup, or NULL. */
static char *
own_cgroup_from (const char *proc_cgroup)
{
  const char *p = proc_cgroup;
  while (p && *p)
    {
      size_t n = strcspn (p, "\n");
      if (n >= 3 && strncmp (p, "0::", 3) == 0)
        {
          char *own = xstrndup (p + 3, n - 3);
          /* a cgroup removed under us reads "/path (deleted)" */
          char *deleted = strstr (own, " (deleted)");
          if (deleted)
            *deleted = '\0';
          return own;
        }
      p += n;
      if (*p == '\n')
        p++;
    }
  return NULL;
}

static char *
read_controllers (const char *dir, const char *file)
{
  cleanup_free char *path = path_join (dir, file);
  char *text = NULL;
  if (read_file (path, &text, NULL, NULL) < 0)
    return xstrdup ("");
  return text;
}

static void
not_delegated (struct skiff_cgroup_info *info, const char *dir)
{
  struct stat st;
  uid_t owner = stat (dir, &st) == 0 ? st.st_uid : (uid_t) -1;
  info->reason = xasprintf (
      "your cgroup %s is not delegated to you (it belongs to uid %u): run skiff in a cgroup you own, e.g. with "
      "`systemd-run --user --scope -p Delegate=yes skiff ...` where systemd sets Delegate=yes for user@.service, "
      "or without systemd have root create a cgroup v2 directory for you and chown it with its cgroup.procs, "
      "cgroup.subtree_control and cgroup.threads; or run without the limit",
      info->own, (unsigned) owner);
}

int
skiff_cgroup_detect_at (const char *mount, enum skiff_cgroup_mode mode, const char *proc_cgroup, uid_t uid,
                        struct skiff_cgroup_info *info, skiff_error_t *err)
{
  memset (info, 0, sizeof *info);
  info->mode = mode;
  switch (mode)
    {
    case SKIFF_CGROUP_NONE:
      info->reason = xasprintf ("no cgroup filesystem is mounted at %s; mount cgroup2 there with a subtree "
                                "delegated to you, or run without the limit",
                                mount);
      return 0;
    case SKIFF_CGROUP_V1:
      info->reason = xstrdup (
          "this host runs cgroup v1, where a rootless container cannot have resource limits (podman warns and "
          "ignores them; skiff will not run the container unlimited); boot the host with cgroup v2 (kernel "
          "parameter systemd.unified_cgroup_hierarchy=1) and Delegate=yes for user@.service, or run without the "
          "limit");
      return 0;
    case SKIFF_CGROUP_HYBRID:
      info->reason = xasprintf (
          "this host runs cgroup v1 in hybrid mode (the cgroup v2 hierarchy at %s/" HYBRID_UNIFIED " has no "
          "controllers), where a rootless container cannot have resource limits (podman warns and ignores them; "
          "skiff will not run the container unlimited); boot the host with cgroup v2 only (kernel parameter "
          "systemd.unified_cgroup_hierarchy=1) and Delegate=yes for user@.service, or run without the limit",
          mount);
      return 0;
    case SKIFF_CGROUP_V2:
      break;
    }
  info->mount = xstrdup (mount);
  info->own = own_cgroup_from (proc_cgroup);
  if (info->own == NULL || info->own[0] != '/')
    {
      free (info->own);
      info->own = NULL;
      info->reason = xstrdup ("the process has no cgroup v2 entry (\"0::\") in /proc/self/cgroup; run skiff "
                              "in a cgroup v2 subtree delegated to you, or run without the limit");
      return 0;
    }
  bool is_root = strcmp (info->own, "/") == 0;
  cleanup_free char *own_dir = is_root ? xstrdup (mount) : xasprintf ("%s%s", mount, info->own);
  cleanup_free char *parent = xstrdup (own_dir);
  *strrchr (parent, '/') = '\0'; /* own starts with "/": the parent is the mount or below it */
  if (is_root)
    {
      /* the root of a cgroup namespace (a container given its own cgroup): processes may stay at a root */
      if (cgroup_owned (own_dir, uid))
        info->base = xstrdup (own_dir);
    }
  else if (cgroup_owned (parent, uid))
    info->base = steal_pointer (&parent); /* containers beside the caller's cgroup */
  else if (cgroup_owned (own_dir, uid))
    {
      info->base = xstrdup (own_dir); /* the caller's cgroup is the delegated one: containers below it */
      info->needs_leaf = true;
    }
  if (info->base == NULL)
    {
      not_delegated (info, own_dir);
      return 0;
    }
  cleanup_free char *ctl = read_controllers (info->base, "cgroup.controllers");
  cleanup_free char *sub = read_controllers (info->base, "cgroup.subtree_control");
  info->available = skiff_cgroup_controllers_parse (ctl);
  info->enabled = skiff_cgroup_controllers_parse (sub);
  info->delegated = true;
  return 0;
}

int
skiff_cgroup_detect (struct skiff_cgroup_info *info, skiff_error_t *err)
{
  cleanup_free char *text = NULL;
  enum skiff_cgroup_mode mode = skiff_cgroup_mode_at (SKIFF_CGROUP_MOUNT);
  if (mode == SKIFF_CGROUP_V2 && read_file ("/proc/self/cgroup", &text, NULL, err) < 0)
    return skiff_error_wrap (err, "cannot read the process's cgroup");
  return skiff_cgroup_detect_at (SKIFF_CGROUP_MOUNT, mode, text ? text : "", geteuid (), info, err);
}

/* The first flag the user gave that needs one of the controllers in bits (or any, for bits 0). */
static const char *
given_flag (const struct skiff_cgroup_limits *l, unsigned bits)
{
  for (unsigned f = 0; f <= SKIFF_CGF_DEVICE_WRITE_IOPS; f++)
    if ((l->given & (UINT32_C (1) << f)) && (bits == 0 || (skiff_cgroup_flag_controller (f) & bits)))
      return skiff_cgroup_flag_name (f);
  return "the resource limits";
}

static int
check_cpuset (const struct skiff_cgroup_info *info, const char *want, const char *file, const char *what,
              skiff_error_t *err)
{
  cleanup_free char *have = read_controllers (info->base, file);
  have[strcspn (have, "\n")] = '\0';
  if (have[0] != '\0' && !skiff_cgroup_cpuset_subset (want, have))
    return skiff_error_set_status (err, EINVAL, "requested %s are not available - requested %s, available: %s", what,
                                   want, have);
  return 0;
}

int
skiff_cgroup_check (const struct skiff_cgroup_info *info, const struct skiff_cgroup_limits *l, skiff_error_t *err)
{
  if (!skiff_cgroup_limits_any (l))
    return 0;
  if (!info->delegated)
    return skiff_error_set_status (err, EPERM, "cannot apply %s: %s", given_flag (l, 0), info->reason);
  unsigned missing = skiff_cgroup_limits_controllers (l) & ~info->available;
  if (missing)
    {
      cleanup_free char *names = skiff_cgroup_controllers_format (missing);
      cleanup_free char *have = skiff_cgroup_controllers_format (info->available);
      return skiff_error_set_status (
          err, EPERM,
          "cannot apply %s: the %s controller is not delegated to you (%s offers: %s); with systemd, add a "
          "drop-in to user@.service (/etc/systemd/system/user@.service.d/delegate.conf) with [Service] "
          "Delegate=cpu cpuset io memory pids, then log in again; or run without %s",
          given_flag (l, missing), names, info->base, have[0] ? have : "none", given_flag (l, missing));
    }
  if (l->cpuset_cpus && check_cpuset (info, l->cpuset_cpus, "cpuset.cpus.effective", "CPUs", err) < 0)
    return -1;
  if (l->cpuset_mems && check_cpuset (info, l->cpuset_mems, "cpuset.mems.effective", "memory nodes", err) < 0)
    return -1;
  return 0;
}

/* ---- cgroup files ---- */

static int
cg_write (int dirfd, const char *file, const char *value, skiff_error_t *err)
{
  cleanup_close int fd = openat (dirfd, file, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return skiff_error_set (err, errno, "cannot open cgroup file %s", file);
  /* a cgroup file takes one write: the kernel parses each write(2) on its own */
  ssize_t w = write (fd, value, strlen (value));
  if (w < 0)
    return skiff_error_set (err, errno, "cannot write \"%s\" to cgroup file %s", value, file);
  return 0;
}

static int
cg_read (int dirfd, const char *file, char **out, skiff_error_t *err)
{
  cleanup_close int fd = openat (dirfd, file, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return skiff_error_set (err, errno, "cannot open cgroup file %s", file);
  cleanup_free char *buf = xmalloc (CG_FILE_MAX + 1);
  ssize_t n = read_all (fd, buf, CG_FILE_MAX);
  if (n < 0)
    return skiff_error_set (err, (int) -n, "cannot read cgroup file %s", file);
  buf[n] = '\0';
  *out = steal_pointer (&buf);
  return 0;
}

/* A number, or "max" as UNLIMITED. */
static uint64_t
parse_max (const char *s)
{
  if (strncmp (s, "max", 3) == 0)
    return SKIFF_CGROUP_UNLIMITED;
  return strtoull (s, NULL, 10);
}

/* The value of "key N" in a flat keyed file (memory.stat, cpu.stat, memory.events, cgroup.events). */
static bool
keyed_value (const char *text, const char *key, uint64_t *out)
{
  size_t kl = strlen (key);
  for (const char *p = text; p && *p;)
    {
      if (strncmp (p, key, kl) == 0 && p[kl] == ' ')
        {
          *out = strtoull (p + kl + 1, NULL, 10);
          return true;
        }
      p = strchr (p, '\n');
      if (p)
        p++;
    }
  return false;
}

static int
cg_read_keyed (int dirfd, const char *file, const char *key, uint64_t *out, skiff_error_t *err)
{
  cleanup_free char *text = NULL;
  if (cg_read (dirfd, file, &text, err) < 0)
    return -1;
  *out = 0;
  keyed_value (text, key, out);
  return 0;
}

/* ---- the base: leaf and controllers ---- */

/* Every process of the base goes to base/init.scope, so that the base may enable controllers for its
 * children (cgroup v2 lets only a cgroup without processes do that). Rounds, as they may fork meanwhile. */
static int
move_to_leaf (int basefd, const char *base, skiff_error_t *err)
{
  if (mkdirat (basefd, SKIFF_CGROUP_LEAF, 0755) < 0 && errno != EEXIST)
    return skiff_error_set (err, errno, "cannot create the cgroup %s/%s for the processes already in %s", base,
                            SKIFF_CGROUP_LEAF, base);
  cleanup_close int leaf = openat (basefd, SKIFF_CGROUP_LEAF, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (leaf < 0)
    return skiff_error_set (err, errno, "cannot open %s/%s", base, SKIFF_CGROUP_LEAF);
  for (int round = 0; round < LEAF_MOVE_ROUNDS; round++)
    {
      cleanup_free char *procs = NULL;
      if (cg_read (basefd, "cgroup.procs", &procs, err) < 0)
        return -1;
      if (procs[0] == '\0')
        return 0;
      for (char *p = procs; *p;)
        {
          size_t n = strcspn (p, "\n");
          char pid[32];
          snprintf (pid, sizeof pid, "%.*s", (int) (n < sizeof pid - 1 ? n : sizeof pid - 1), p);
          skiff_error_t e = NULL;
          /* a process that exited meanwhile is fine */
          if (cg_write (leaf, "cgroup.procs", pid, &e) < 0 && e->status != ESRCH)
            {
              int r = skiff_error_set_status (err, e->status, "cannot move process %s from %s to %s/%s: %s", pid, base,
                                              base, SKIFF_CGROUP_LEAF, e->msg);
              skiff_error_release (&e);
              return r;
            }
          skiff_error_release (&e);
          p += n;
          if (*p == '\n')
            p++;
        }
    }
  return skiff_error_set_status (err, EBUSY, "the processes of %s keep forking: cannot move them all to %s/%s", base,
                                 base, SKIFF_CGROUP_LEAF);
}

static int
prepare_base (const struct skiff_cgroup_info *info, int basefd, skiff_error_t *err)
{
  if (info->needs_leaf && move_to_leaf (basefd, info->base, err) < 0)
    return -1;
  /* every controller skiff uses and the base offers: stats and update work even without limits at start */
  unsigned want = info->available & SKIFF_CG_ALL;
  if ((want & ~info->enabled) == 0)
    return 0;
  char buf[64] = "";
  for (size_t i = 0; i < ARRAY_SIZE (controller_names); i++)
    if (want & ~info->enabled & controller_names[i].bit)
      {
        strcat (buf, buf[0] ? " +" : "+");
        strcat (buf, controller_names[i].name);
      }
  skiff_error_t e = NULL;
  if (cg_write (basefd, "cgroup.subtree_control", buf, &e) < 0)
    {
      int r;
      if (e->status == EBUSY)
        r = skiff_error_set_status (err, EBUSY,
                                    "cannot enable the %s controllers for the children of %s: it has processes of "
                                    "its own (cgroup v2 enables controllers only below a cgroup without "
                                    "processes); move them to a leaf cgroup, or run skiff from a cgroup below it",
                                    buf, info->base);
      else
        r = skiff_error_set_status (err, e->status, "cannot enable the controllers of %s: %s", info->base, e->msg);
      skiff_error_release (&e);
      return r;
    }
  return 0;
}

/* ---- limits ---- */

static int
write_u64 (int dirfd, const char *file, uint64_t v, skiff_error_t *err)
{
  char buf[32];
  snprintf (buf, sizeof buf, "%" PRIu64, v);
  return cg_write (dirfd, file, buf, err);
}

static int
write_memory (int dirfd, const struct skiff_cgroup_limits *l, skiff_error_t *err)
{
  if (l->memory_reservation && write_u64 (dirfd, "memory.low", (uint64_t) l->memory_reservation, err) < 0)
    return -1;
  if (l->memory && write_u64 (dirfd, "memory.max", (uint64_t) l->memory, err) < 0)
    return -1;
  if (l->memory_swap == 0)
    return 0;
  /* podman's --memory-swap is memory + swap; cgroup v2 limits the swap alone (as crun converts) */
  char buf[32] = "max";
  if (l->memory_swap > 0)
    {
      int64_t memory = l->memory;
      if (memory == 0)
        {
          cleanup_free char *cur = NULL;
          if (cg_read (dirfd, "memory.max", &cur, err) < 0)
            return -1;
          memory = (int64_t) parse_max (cur);
        }
      if (l->memory_swap < memory)
        return skiff_error_set_status (err, EINVAL,
                                       "minimum memoryswap limit should be larger than memory limit, see usage");
      snprintf (buf, sizeof buf, "%" PRId64, l->memory_swap - memory);
    }
  skiff_error_t e = NULL;
  if (cg_write (dirfd, "memory.swap.max", buf, &e) < 0)
    {
      /* no swap accounting in this kernel: nothing to limit, as crun ignores it */
      if (e->status == ENOENT)
        {
          skiff_error_release (&e);
          return 0;
        }
      *err = e;
      return -1;
    }
  return 0;
}

static int
write_cpu (int dirfd, const struct skiff_cgroup_limits *l, skiff_error_t *err)
{
  if (l->cpuset_cpus && cg_write (dirfd, "cpuset.cpus", l->cpuset_cpus, err) < 0)
    return -1;
  if (l->cpuset_mems && cg_write (dirfd, "cpuset.mems", l->cpuset_mems, err) < 0)
    return -1;
  if (l->cpu_weight && write_u64 (dirfd, "cpu.weight", l->cpu_weight, err) < 0)
    return -1;
  if (l->cpu_quota || l->cpu_period)
    {
      char buf[64];
      if (l->cpu_quota && l->cpu_period)
        snprintf (buf, sizeof buf, "%" PRIu64 " %" PRIu64, l->cpu_quota, l->cpu_period);
      else if (l->cpu_quota)
        snprintf (buf, sizeof buf, "%" PRIu64, l->cpu_quota); /* the period stays */
      else
        snprintf (buf, sizeof buf, "max %" PRIu64, l->cpu_period);
      if (cg_write (dirfd, "cpu.max", buf, err) < 0)
        return -1;
    }
  return 0;
}

static int
write_io (int dirfd, const struct skiff_cgroup_limits *l, skiff_error_t *err)
{
  if (l->blkio_weight)
    {
      skiff_error_t e = NULL;
      /* BFQ takes podman's 10..1000 as it is; without BFQ crun converts to io.weight's 1..10000 */
      if (write_u64 (dirfd, "io.bfq.weight", l->blkio_weight, &e) < 0)
        {
          if (e->status != ENOENT)
            {
              *err = e;
              return -1;
            }
          skiff_error_release (&e);
          if (write_u64 (dirfd, "io.weight", skiff_cgroup_blkio_to_io_weight (l->blkio_weight), err) < 0)
            return -1;
        }
    }
  for (size_t i = 0; i < l->n_io; i++)
    {
      const struct skiff_cgroup_io_device *d = &l->io[i];
      char line[256];
      int n = snprintf (line, sizeof line, "%u:%u", d->major, d->minor);
      const struct
      {
        const char *key;
        uint64_t v;
      } keys[] = { { "rbps", d->rbps }, { "wbps", d->wbps }, { "riops", d->riops }, { "wiops", d->wiops } };
      for (size_t k = 0; k < ARRAY_SIZE (keys); k++)
        if (keys[k].v)
          n += snprintf (line + n, sizeof line - (size_t) n, " %s=%" PRIu64, keys[k].key, keys[k].v);
      if (cg_write (dirfd, "io.max", line, err) < 0)
        return skiff_error_wrap (err, "%s (%s)", d->path, line);
    }
  return 0;
}

static int
write_limits (int dirfd, const struct skiff_cgroup_limits *l, skiff_error_t *err)
{
  if (write_cpu (dirfd, l, err) < 0 || write_memory (dirfd, l, err) < 0 || write_io (dirfd, l, err) < 0)
    return -1;
  if (l->pids_max > 0 && write_u64 (dirfd, "pids.max", (uint64_t) l->pids_max, err) < 0)
    return -1;
  if (l->pids_max < 0 && cg_write (dirfd, "pids.max", "max", err) < 0)
    return -1;
  return 0;
}

/* ---- one container's cgroup ---- */

void
skiff_cgroup_free (struct skiff_cgroup *cg)
{
  if (cg == NULL)
    return;
  if (cg->dirfd >= 0)
    close (cg->dirfd);
  free (cg->path);
  free (cg);
}

int
skiff_cgroup_open (const char *path, struct skiff_cgroup **out, skiff_error_t *err)
{
  int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return skiff_error_set (err, errno, "cannot open the container's cgroup %s", path);
  struct skiff_cgroup *cg = xmalloc0 (sizeof *cg);
  cg->path = xstrdup (path);
  cg->dirfd = fd;
  *out = cg;
  return 0;
}

int
skiff_cgroup_create (const struct skiff_cgroup_info *info, const char *id, const struct skiff_cgroup_limits *l,
                     struct skiff_cgroup **out, skiff_error_t *err)
{
  if (!info->delegated)
    return skiff_error_set_status (err, EPERM, "cannot create a cgroup for the container: %s", info->reason);
  cleanup_close int basefd = open (info->base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (basefd < 0)
    return skiff_error_set (err, errno, "cannot open the cgroup %s", info->base);
  if (prepare_base (info, basefd, err) < 0)
    return -1;
  cleanup_free char *name = xasprintf (SKIFF_CGROUP_PREFIX "%s" SKIFF_CGROUP_SUFFIX, id);
  /* a leftover of a crash with this ID is reused only when empty (rmdir succeeds) */
  if (mkdirat (basefd, name, 0755) < 0)
    {
      if (errno != EEXIST || unlinkat (basefd, name, AT_REMOVEDIR) < 0 || mkdirat (basefd, name, 0755) < 0)
        return skiff_error_set (err, errno, "cannot create the cgroup %s/%s", info->base, name);
    }
  cleanup_free char *path = path_join (info->base, name);
  struct skiff_cgroup *cg = NULL;
  if (skiff_cgroup_open (path, &cg, err) < 0 || write_limits (cg->dirfd, l, err) < 0)
    {
      skiff_cgroup_free (cg);
      unlinkat (basefd, name, AT_REMOVEDIR);
      return skiff_error_wrap (err, "cannot set the resource limits of the container's cgroup %s", path);
    }
  *out = cg;
  return 0;
}

int
skiff_cgroup_enter (struct skiff_cgroup *cg, pid_t pid, skiff_error_t *err)
{
  char buf[32];
  snprintf (buf, sizeof buf, "%d", (int) pid);
  if (cg_write (cg->dirfd, "cgroup.procs", buf, err) < 0)
    return skiff_error_wrap (err, "cannot move process %d into the cgroup %s", (int) pid, cg->path);
  return 0;
}

pid_t
skiff_cgroup_fork_into (struct skiff_cgroup *cg, uint64_t extra_flags)
{
  struct clone_args args;
  memset (&args, 0, sizeof args);
  args.flags = CLONE_INTO_CGROUP | extra_flags;
  args.exit_signal = SIGCHLD;
  args.cgroup = (uint64_t) cg->dirfd;
  long r = syscall (SYS_clone3, &args, sizeof args);
  if (r < 0)
    {
      /* E2BIG: a clone3 older than its cgroup field (Linux 5.3-5.6) */
      if (errno == ENOSYS || errno == E2BIG)
        return -ENOSYS;
      return -errno;
    }
  return (pid_t) r;
}

int
skiff_cgroup_update (struct skiff_cgroup *cg, const struct skiff_cgroup_limits *l, skiff_error_t *err)
{
  if (l->memory > 0 && l->memory_reservation > l->memory)
    return skiff_error_set_status (err, EINVAL,
                                   "minimum memory limit cannot be less than memory reservation limit, see usage");
  if (write_limits (cg->dirfd, l, err) < 0)
    return skiff_error_wrap (err, "cannot update the resource limits of %s", cg->path);
  return 0;
}

int
skiff_cgroup_oom_kills (struct skiff_cgroup *cg, uint64_t *count, skiff_error_t *err)
{
  return cg_read_keyed (cg->dirfd, "memory.events", "oom_kill", count, err);
}

/* Reads file into text when it exists; a controller that is not enabled has no files. */
static bool
read_optional (int dirfd, const char *file, char **text)
{
  free (*text);
  *text = NULL;
  return cg_read (dirfd, file, text, NULL) == 0;
}

static void
stats_io (const char *text, struct skiff_cgroup_stats *st)
{
  /* "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N" per device */
  for (const char *p = text; p && *p;)
    {
      const char *eol = strchr (p, '\n');
      size_t n = eol ? (size_t) (eol - p) : strlen (p);
      cleanup_free char *line = xstrndup (p, n);
      char *save = NULL;
      for (char *tok = strtok_r (line, " ", &save); tok; tok = strtok_r (NULL, " ", &save))
        {
          uint64_t v = strtoull (strchr (tok, '=') ? strchr (tok, '=') + 1 : "0", NULL, 10);
          if (str_has_prefix (tok, "rbytes="))
            st->io_rbytes += v;
          else if (str_has_prefix (tok, "wbytes="))
            st->io_wbytes += v;
          else if (str_has_prefix (tok, "rios="))
            st->io_rios += v;
          else if (str_has_prefix (tok, "wios="))
            st->io_wios += v;
        }
      p = eol ? eol + 1 : NULL;
    }
}

int
skiff_cgroup_stats_read (struct skiff_cgroup *cg, struct skiff_cgroup_stats *st, skiff_error_t *err)
{
  memset (st, 0, sizeof *st);
  cleanup_free char *t = NULL;
  /* cpu.stat exists without the cpu controller (usage only): a missing one means the cgroup is gone */
  if (cg_read (cg->dirfd, "cpu.stat", &t, err) < 0)
    return skiff_error_wrap (err, "cannot read the statistics of %s", cg->path);
  keyed_value (t, "usage_usec", &st->cpu_usage_usec);
  keyed_value (t, "user_usec", &st->cpu_user_usec);
  keyed_value (t, "system_usec", &st->cpu_system_usec);
  keyed_value (t, "nr_periods", &st->cpu_nr_periods);
  keyed_value (t, "nr_throttled", &st->cpu_nr_throttled);
  keyed_value (t, "throttled_usec", &st->cpu_throttled_usec);
  if (read_optional (cg->dirfd, "memory.current", &t))
    st->memory_current = strtoull (t, NULL, 10);
  if (read_optional (cg->dirfd, "memory.max", &t))
    st->memory_max = parse_max (t);
  if (read_optional (cg->dirfd, "memory.swap.current", &t))
    st->memory_swap_current = strtoull (t, NULL, 10);
  if (read_optional (cg->dirfd, "memory.swap.max", &t))
    st->memory_swap_max = parse_max (t);
  if (read_optional (cg->dirfd, "memory.stat", &t))
    {
      keyed_value (t, "anon", &st->memory_anon);
      keyed_value (t, "file", &st->memory_file);
      keyed_value (t, "inactive_file", &st->memory_inactive_file);
      keyed_value (t, "kernel", &st->memory_kernel);
    }
  if (read_optional (cg->dirfd, "memory.events", &t))
    {
      keyed_value (t, "oom", &st->oom);
      keyed_value (t, "oom_kill", &st->oom_kill);
    }
  if (read_optional (cg->dirfd, "pids.current", &t))
    st->pids_current = strtoull (t, NULL, 10);
  if (read_optional (cg->dirfd, "pids.max", &t))
    st->pids_max = parse_max (t);
  if (read_optional (cg->dirfd, "io.stat", &t))
    stats_io (t, st);
  return 0;
}

int
skiff_cgroup_events (struct skiff_cgroup *cg, bool *populated, bool *frozen, skiff_error_t *err)
{
  cleanup_free char *t = NULL;
  if (cg_read (cg->dirfd, "cgroup.events", &t, err) < 0)
    return -1;
  uint64_t p = 0, f = 0;
  keyed_value (t, "populated", &p);
  keyed_value (t, "frozen", &f);
  if (populated)
    *populated = p != 0;
  if (frozen)
    *frozen = f != 0;
  return 0;
}

static int64_t
elapsed_ms (const struct timespec *since)
{
  struct timespec now;
  clock_gettime (CLOCK_MONOTONIC, &now);
  return (int64_t) (now.tv_sec - since->tv_sec) * 1000 + (now.tv_nsec - since->tv_nsec) / 1000000;
}

int
skiff_cgroup_freeze (struct skiff_cgroup *cg, bool frozen, int timeout_ms, skiff_error_t *err)
{
  if (cg_write (cg->dirfd, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
    return skiff_error_wrap (err, "cannot %s %s", frozen ? "freeze" : "thaw", cg->path);
  /* cgroup.events changes raise POLLPRI: wait for "frozen 1" without spinning */
  cleanup_close int fd = openat (cg->dirfd, "cgroup.events", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return skiff_error_set (err, errno, "cannot open %s/cgroup.events", cg->path);
  struct timespec start;
  clock_gettime (CLOCK_MONOTONIC, &start);
  for (;;)
    {
      char buf[256];
      ssize_t n = pread (fd, buf, sizeof buf - 1, 0);
      if (n < 0)
        return skiff_error_set (err, errno, "cannot read %s/cgroup.events", cg->path);
      buf[n] = '\0';
      uint64_t f = 0;
      keyed_value (buf, "frozen", &f);
      if ((f != 0) == frozen)
        return 0;
      int64_t left = timeout_ms - elapsed_ms (&start);
      if (left <= 0)
        return skiff_error_set_status (err, ETIMEDOUT, "%s did not become %s within %d ms", cg->path,
                                       frozen ? "frozen" : "thawed", timeout_ms);
      struct pollfd pfd = { .fd = fd, .events = POLLPRI };
      if (poll (&pfd, 1, (int) left) < 0 && errno != EINTR)
        return skiff_error_set (err, errno, "cannot wait for %s/cgroup.events", cg->path);
    }
}

int
skiff_cgroup_kill (struct skiff_cgroup *cg, skiff_error_t *err)
{
  skiff_error_t e = NULL;
  if (cg_write (cg->dirfd, "cgroup.kill", "1", &e) == 0)
    return 0;
  if (e->status != ENOENT)
    {
      *err = e;
      return -1;
    }
  skiff_error_release (&e);
  /* before Linux 5.14: each process; frozen ones die too, as SIGKILL thaws */
  cleanup_free char *procs = NULL;
  if (cg_read (cg->dirfd, "cgroup.procs", &procs, err) < 0)
    return -1;
  for (char *p = procs; *p;)
    {
      pid_t pid = (pid_t) strtol (p, &p, 10);
      if (pid > 0)
        kill (pid, SIGKILL);
      p += strspn (p, "\n");
    }
  return 0;
}

/* rmdir of parentfd/name after its own child cgroups (which the container may have made in its namespace). */
static int
remove_tree (int parentfd, const char *name, int depth)
{
  if (depth > REMOVE_MAX_DEPTH)
    return -ELOOP;
  int fd = openat (parentfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return errno == ENOENT ? 0 : -errno;
  DIR *d = fdopendir (fd);
  if (d == NULL)
    {
      close (fd);
      return -errno;
    }
  int r = 0;
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    if (de->d_type == DT_DIR && strcmp (de->d_name, ".") && strcmp (de->d_name, ".."))
      {
        int c = remove_tree (dirfd (d), de->d_name, depth + 1);
        if (c < 0 && r == 0)
          r = c;
      }
  closedir (d);
  if (r < 0)
    return r;
  if (unlinkat (parentfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return -errno;
  return 0;
}

int
skiff_cgroup_remove (struct skiff_cgroup *cg, int timeout_ms, skiff_error_t *err)
{
  cleanup_free char *parent = xstrdup (cg->path);
  char *slash = strrchr (parent, '/');
  if (slash == NULL)
    return skiff_error_set_status (err, EINVAL, "not a cgroup path: %s", cg->path);
  *slash = '\0';
  cleanup_close int pfd = open (parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (pfd < 0)
    return errno == ENOENT ? 0 : skiff_error_set (err, errno, "cannot open %s", parent);
  struct timespec start;
  clock_gettime (CLOCK_MONOTONIC, &start);
  int sleep_ms = 1;
  for (;;)
    {
      int r = remove_tree (pfd, slash + 1, 0);
      if (r == 0)
        return 0;
      /* EBUSY: processes are still in it, or exiting ones are still counted by the kernel */
      if (r != -EBUSY || elapsed_ms (&start) >= timeout_ms)
        return skiff_error_set (err, -r, "cannot remove the cgroup %s%s", cg->path,
                                r == -EBUSY ? " (processes are still in it)" : "");
      struct timespec ts = { .tv_sec = 0, .tv_nsec = (long) sleep_ms * 1000000 };
      nanosleep (&ts, NULL);
      if (sleep_ms < REMOVE_MAX_SLEEP_MS)
        sleep_ms *= 2;
    }
}
