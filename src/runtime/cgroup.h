/* cgroup v2 resource limits for rootless containers: which hierarchy the host has and whether the caller owns
 * a delegated subtree, podman's limit flags as typed values, and one cgroup per container (create, limit,
 * enter, stats, freeze, OOM count, update, remove). Layout and messages: docs/cgroups.md. */
#ifndef SKIFF_RUNTIME_CGROUP_H
#define SKIFF_RUNTIME_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/util.h"

#define SKIFF_CGROUP_MOUNT "/sys/fs/cgroup"

/* ---- what the host has ---- */

enum skiff_cgroup_mode
{
  SKIFF_CGROUP_NONE = 0, /* nothing mounted at /sys/fs/cgroup */
  SKIFF_CGROUP_V1,       /* legacy: v1 controllers only */
  SKIFF_CGROUP_HYBRID,   /* v1 controllers, plus an (empty) v2 hierarchy at /sys/fs/cgroup/unified */
  SKIFF_CGROUP_V2,       /* unified: cgroup2 at /sys/fs/cgroup */
};

/* The controllers skiff's limits use, as bits. */
enum
{
  SKIFF_CG_CPU = 1u << 0,
  SKIFF_CG_CPUSET = 1u << 1,
  SKIFF_CG_MEMORY = 1u << 2,
  SKIFF_CG_PIDS = 1u << 3,
  SKIFF_CG_IO = 1u << 4,
};
#define SKIFF_CG_ALL (SKIFF_CG_CPU | SKIFF_CG_CPUSET | SKIFF_CG_MEMORY | SKIFF_CG_PIDS | SKIFF_CG_IO)

/* "cpu memory" -> bits; names skiff does not use are ignored. */
unsigned skiff_cgroup_controllers_parse (const char *text);
/* bits -> "cpu memory" (in the kernel's order); caller frees. "" for none. */
char *skiff_cgroup_controllers_format (unsigned bits);

/* Where the caller stands. Filled by skiff_cgroup_detect; released with skiff_cgroup_info_release. */
struct skiff_cgroup_info
{
  enum skiff_cgroup_mode mode;
  char *mount;        /* the cgroup2 mount ("/sys/fs/cgroup"), or NULL on v1 */
  char *own;          /* the caller's cgroup as in /proc/self/cgroup ("/user.slice/..."), or NULL */
  bool delegated;     /* limits can be applied: the fields below are set */
  char *base;         /* absolute directory that holds the containers' cgroups */
  bool needs_leaf;    /* base is the caller's own cgroup: its processes move to base/init.scope first */
  unsigned available; /* controllers in base's cgroup.controllers */
  unsigned enabled;   /* controllers in base's cgroup.subtree_control */
  char *reason;       /* when !delegated: why not, and the fix, in words for podman users */
};
void skiff_cgroup_info_release (struct skiff_cgroup_info *info);

/* The mode of the hierarchy mounted at mount (statfs: cgroup2 at the top, or tmpfs with v1 controllers and
 * maybe a cgroup2 "unified" below). */
enum skiff_cgroup_mode skiff_cgroup_mode_at (const char *mount);
const char *skiff_cgroup_mode_name (enum skiff_cgroup_mode mode); /* "v1", "hybrid", "v2", "none" */

/* The whole answer for the calling process: mode, own cgroup from /proc/self/cgroup, delegation. Fails only
 * when /proc cannot be read; "no delegation" is an answer (delegated false, reason set), not an error. */
int skiff_cgroup_detect (struct skiff_cgroup_info *info, skiff_error_t *err);
/* The same from given parts, for tests and for a mount elsewhere: proc_cgroup is the text of
 * /proc/self/cgroup, uid the user who must own the subtree. */
int skiff_cgroup_detect_at (const char *mount, enum skiff_cgroup_mode mode, const char *proc_cgroup, uid_t uid,
                            struct skiff_cgroup_info *info, skiff_error_t *err);

/* ---- podman's limit flags, typed ---- */

/* A throttle of one block device (io.max); 0 = not set for that key. */
struct skiff_cgroup_io_device
{
  char *path; /* as the user gave it, for inspect */
  unsigned major, minor;
  uint64_t rbps, wbps, riops, wiops;
};

/* 0 means "not asked for" everywhere, so that update can change only what it is given. */
struct skiff_cgroup_limits
{
  int64_t memory;             /* --memory: bytes (memory.max) */
  int64_t memory_swap;        /* --memory-swap: memory + swap, bytes; -1 unlimited (memory.swap.max) */
  int64_t memory_reservation; /* --memory-reservation: bytes (memory.low) */
  uint64_t cpu_quota;         /* --cpus / --cpu-quota: microseconds per period (cpu.max) */
  uint64_t cpu_period;        /* --cpus / --cpu-period: microseconds */
  uint64_t cpu_shares;        /* --cpu-shares as given (for inspect); cpu_weight carries it */
  uint64_t cpu_weight;        /* 1..10000 (cpu.weight): --cpu-weight, or --cpu-shares converted as crun does */
  char *cpuset_cpus;          /* --cpuset-cpus, validated list syntax ("0-2,4") */
  char *cpuset_mems;          /* --cpuset-mems */
  int64_t pids_max;           /* --pids-limit: > 0 a limit, -1 unlimited ("max") */
  uint16_t blkio_weight;      /* --blkio-weight: 10..1000 (io.bfq.weight, else io.weight converted) */
  struct skiff_cgroup_io_device *io;
  size_t n_io;
  uint32_t given; /* 1 << enum skiff_cgroup_flag for each flag parsed: messages name what the user typed */
};
void skiff_cgroup_limits_release (struct skiff_cgroup_limits *l);
/* true when any limit is set (podman's --memory=0 or --pids-limit=0 set none) */
bool skiff_cgroup_limits_any (const struct skiff_cgroup_limits *l);
/* The controllers the set limits need. */
unsigned skiff_cgroup_limits_controllers (const struct skiff_cgroup_limits *l);

enum skiff_cgroup_flag
{
  SKIFF_CGF_MEMORY,
  SKIFF_CGF_MEMORY_SWAP,
  SKIFF_CGF_MEMORY_RESERVATION,
  SKIFF_CGF_CPUS,
  SKIFF_CGF_CPU_PERIOD,
  SKIFF_CGF_CPU_QUOTA,
  SKIFF_CGF_CPU_SHARES,
  SKIFF_CGF_CPU_WEIGHT,
  SKIFF_CGF_CPUSET_CPUS,
  SKIFF_CGF_CPUSET_MEMS,
  SKIFF_CGF_PIDS_LIMIT,
  SKIFF_CGF_BLKIO_WEIGHT,
  SKIFF_CGF_DEVICE_READ_BPS,
  SKIFF_CGF_DEVICE_WRITE_BPS,
  SKIFF_CGF_DEVICE_READ_IOPS,
  SKIFF_CGF_DEVICE_WRITE_IOPS,
};
/* "--memory" for SKIFF_CGF_MEMORY, ... */
const char *skiff_cgroup_flag_name (enum skiff_cgroup_flag flag);
/* The controller a flag needs (SKIFF_CG_MEMORY for --memory, ...). */
unsigned skiff_cgroup_flag_controller (enum skiff_cgroup_flag flag);
/* One flag's value as the user typed it, parsed as podman parses it, into l (a repeated device flag adds a
 * device). Errors carry podman's text and exit 125. */
int skiff_cgroup_limits_parse (struct skiff_cgroup_limits *l, enum skiff_cgroup_flag flag, const char *value,
                               skiff_error_t *err);
/* After all flags: podman's derived values and cross checks (--memory-swap defaults to twice --memory;
 * swap below memory, swap without memory, reservation above memory are refused). */
int skiff_cgroup_limits_finish (struct skiff_cgroup_limits *l, skiff_error_t *err);

/* Conversions, exposed for tests and inspect. */
/* docker/go-units RAMInBytes: "512", "1.5g", "64MiB", "10 kb" (binary multiples). */
int skiff_cgroup_parse_bytes (const char *s, int64_t *out, skiff_error_t *err);
/* crun: shares 2..262144 -> weight 1..10000, linearly (0 stays 0: not set) */
uint64_t skiff_cgroup_shares_to_weight (uint64_t shares);
/* crun: blkio weight 10..1000 -> io.weight 1..10000, when the kernel has no io.bfq.weight */
uint64_t skiff_cgroup_blkio_to_io_weight (uint64_t weight);
/* podman: --cpus N -> period 100000 us, quota N * period */
void skiff_cgroup_cpus_to_quota (double cpus, uint64_t *quota, uint64_t *period);
/* A cpuset list ("0-3,8,10-11"): true when well formed; *max_out gets its highest number. */
bool skiff_cgroup_cpuset_valid (const char *list, unsigned *max_out);
/* true when every number of want is in have (both lists valid). */
bool skiff_cgroup_cpuset_subset (const char *want, const char *have);

/* Whether l can be applied where info says the caller stands: 0, or an error (exit 125) naming the first
 * limit asked for, why it cannot be applied (v1, hybrid, no delegation, a controller not delegated, CPUs
 * not available) and how to fix it. Reads the base's cpuset.*.effective for the cpuset check. */
int skiff_cgroup_check (const struct skiff_cgroup_info *info, const struct skiff_cgroup_limits *l, skiff_error_t *err);

/* ---- one container's cgroup ---- */

struct skiff_cgroup
{
  char *path; /* absolute: <base>/skiff-<id>.scope */
  int dirfd;  /* O_PATH|O_DIRECTORY on it: for CLONE_INTO_CGROUP and the *at calls */
};

/* The name of a container's cgroup under the base. */
#define SKIFF_CGROUP_PREFIX "skiff-"
#define SKIFF_CGROUP_SUFFIX ".scope"
/* The leaf that takes the base's own processes when the base is the caller's cgroup. */
#define SKIFF_CGROUP_LEAF "init.scope"

/* Make the base ready (move its processes to the leaf when needs_leaf, enable the controllers l needs in its
 * cgroup.subtree_control), create <base>/skiff-<id>.scope and apply l. On failure nothing is left behind
 * but the base's enabled controllers. The cgroup is empty: put the container's first process in it with
 * skiff_cgroup_fork_into or skiff_cgroup_enter before it starts. */
int skiff_cgroup_create (const struct skiff_cgroup_info *info, const char *id, const struct skiff_cgroup_limits *l,
                         struct skiff_cgroup **out, skiff_error_t *err);
/* An existing container cgroup, by the path a record keeps. */
int skiff_cgroup_open (const char *path, struct skiff_cgroup **out, skiff_error_t *err);
void skiff_cgroup_free (struct skiff_cgroup *cg);

/* Move pid (0: the caller) into the cgroup. */
int skiff_cgroup_enter (struct skiff_cgroup *cg, pid_t pid, skiff_error_t *err);
/* fork(), with the child born in the cgroup (clone3 CLONE_INTO_CGROUP, Linux 5.7); extra_flags are more
 * clone flags (namespaces). Returns the child's PID in the parent and 0 in the child, as fork does; -ENOSYS
 * when the kernel lacks clone3 or CLONE_INTO_CGROUP (then fork and skiff_cgroup_enter), other -errno on
 * failure. As after any raw clone, glibc's thread data in the child still names the parent's thread: the
 * child sets itself up with system calls and execs (or _exits), without raise(3), abort(3) or pthreads. */
pid_t skiff_cgroup_fork_into (struct skiff_cgroup *cg, uint64_t extra_flags);

/* Write the set fields of l (the rest stays): podman update. Checks as skiff_cgroup_limits_finish would
 * for the values given together. */
int skiff_cgroup_update (struct skiff_cgroup *cg, const struct skiff_cgroup_limits *l, skiff_error_t *err);

#define SKIFF_CGROUP_UNLIMITED UINT64_MAX
struct skiff_cgroup_stats
{
  uint64_t memory_current, memory_max, memory_swap_current, memory_swap_max; /* bytes; max may be UNLIMITED */
  uint64_t memory_anon, memory_file, memory_inactive_file, memory_kernel;    /* memory.stat */
  uint64_t oom, oom_kill;                                                    /* memory.events */
  uint64_t cpu_usage_usec, cpu_user_usec, cpu_system_usec;                   /* cpu.stat */
  uint64_t cpu_nr_periods, cpu_nr_throttled, cpu_throttled_usec;
  uint64_t pids_current, pids_max;                 /* pids_max may be UNLIMITED */
  uint64_t io_rbytes, io_wbytes, io_rios, io_wios; /* io.stat, summed over devices */
};
/* Read what the cgroup has; a controller that is not enabled leaves its fields 0. */
int skiff_cgroup_stats_read (struct skiff_cgroup *cg, struct skiff_cgroup_stats *st, skiff_error_t *err);
/* memory.events' oom_kill: how many processes the kernel killed for the memory limit. */
int skiff_cgroup_oom_kills (struct skiff_cgroup *cg, uint64_t *count, skiff_error_t *err);

/* Freeze (or thaw) and wait up to timeout_ms for cgroup.events to say "frozen 1" (or 0). */
int skiff_cgroup_freeze (struct skiff_cgroup *cg, bool frozen, int timeout_ms, skiff_error_t *err);
/* cgroup.events' frozen and populated. */
int skiff_cgroup_events (struct skiff_cgroup *cg, bool *populated, bool *frozen, skiff_error_t *err);
/* SIGKILL every process in it (cgroup.kill, Linux 5.14; else each PID of cgroup.procs). */
int skiff_cgroup_kill (struct skiff_cgroup *cg, skiff_error_t *err);
/* rmdir, retried while the kernel still counts exiting processes (EBUSY), for up to timeout_ms.
 * A missing cgroup is fine. */
int skiff_cgroup_remove (struct skiff_cgroup *cg, int timeout_ms, skiff_error_t *err);

#endif
