/* The runtime: a root filesystem and a process description -> a running container process.
 * User namespace entry (userns.c), the mount plan (mounts.c), the container child (container.c),
 * the process's identity and limits (process.c) and the terminal (pty.c). */
#ifndef SKIFF_RUNTIME_H
#define SKIFF_RUNTIME_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "runtime/seccomp.h"
#include "util/util.h"

/* ---- user namespace (userns.c) ---- */

struct skiff_idrange
{
  uint32_t inside, outside, count;
};

#define SKIFF_MAX_IDRANGES 16

struct skiff_idmap
{
  struct skiff_idrange uid[SKIFF_MAX_IDRANGES];
  struct skiff_idrange gid[SKIFF_MAX_IDRANGES];
  size_t nuid, ngid;
  bool single; /* fallback: only the caller's own IDs are mapped */
};

/* The caller's subordinate ranges (libsubid when it is there, else /etc/subuid and /etc/subgid;
 * SKIFF_SUBUID_FILE/SKIFF_SUBGID_FILE override the files, which also skips libsubid).
 * Builds the whole map: 0 -> caller, 1.. -> the ranges. With no range, a single-ID map and single = true. */
int skiff_idmap_for_user (uid_t uid, gid_t gid, const char *user, struct skiff_idmap *map, skiff_error_t *err);

/* Put the calling process (single-threaded) into skiff's long-lived user and mount namespaces, held by a
 * pause process whose PID is in runroot/pause.pid, creating it on first use. As real root, does nothing.
 * Afterwards the caller is uid 0 with all capabilities in the namespace. Returns 1 when it entered,
 * 0 when nothing was needed (root, or already inside). */
int skiff_userns_enter (const char *runroot, skiff_error_t *err);
/* True when the process already runs inside skiff's (or any non-initial) user namespace as root. */
bool skiff_userns_is_inside (void);
/* Stop the pause process of runroot (system reset). Missing is fine. */
int skiff_userns_stop_pause (const char *runroot, skiff_error_t *err);
/* Read back the ID map of the namespace we are in (from /proc/self/uid_map). */
int skiff_userns_current_map (struct skiff_idmap *map, skiff_error_t *err);

/* ---- the container ---- */

struct skiff_bind
{
  char *source;      /* host path (a file or a directory) */
  char *destination; /* absolute path inside the container */
  bool readonly;
};

/* A mount the user asked for (-v, --mount, --tmpfs, a volume), mounted after the engine's binds, in order */
struct skiff_user_mount
{
  bool tmpfs;        /* a new tmpfs (data: its options); else a bind of source */
  char *source;      /* host path (a volume's _data) */
  char *destination; /* absolute path inside the container */
  bool readonly, recursive;
  bool copy_up;              /* a new volume: first fill source with what the image has at destination */
  bool chown_to_user;        /* U: chown the tree to the container's user (through the ID map) */
  unsigned long flags;       /* MS_NOSUID | MS_NODEV | MS_NOEXEC */
  unsigned long propagation; /* MS_SHARED, MS_SLAVE, MS_PRIVATE, MS_UNBINDABLE (| MS_REC); 0: rprivate */
  char *data;                /* tmpfs: size=, mode= */
};

struct skiff_rlimit
{
  int resource; /* RLIMIT_* */
  struct rlimit limit;
};

struct skiff_container_config
{
  const char *id;
  const char *rootfs; /* mounted root filesystem (merged dir); NULL when mount_rootfs provides it */
  /* Called in the container child, in its new mount namespace, to mount the root filesystem there: the
   * mount then dies with the container and the caller has nothing to unmount. Returns the path in *path. */
  int (*mount_rootfs) (void *data, char **path, skiff_error_t *err);
  void *mount_rootfs_data;
  const char *hostname;
  bool readonly_rootfs;
  bool readonly_tmpfs;     /* with readonly_rootfs: tmpfs on /run, /tmp, /var/tmp (podman's --read-only-tmpfs) */
  bool privileged;         /* no masked paths, all capabilities, no seccomp, /sys writable */
  bool share_host_network; /* do not create a network namespace */
  /* Called in the child, in its new network namespace with lo up: set up the network (the tap device) and
   * return an fd for the parent (it arrives in skiff_container_process.tap_fd), or -1. */
  int (*net_setup) (void *data, int *fd, skiff_error_t *err);
  void *net_setup_data;
  /* Join the network, IPC or UTS namespace of this process (a pod's infra, --network container:X) instead of
   * creating one; 0: create one. */
  pid_t join_net_pid, join_ipc_pid, join_uts_pid;
  /* No process: the child only holds its namespaces (a pod's infra) and sleeps until killed. */
  bool hold_only;

  /* process */
  char **argv;
  char **env;
  const char *cwd;
  bool cwd_must_exist;   /* --workdir: a missing one is an error (126), not made as the image's is */
  unsigned preserve_fds; /* the caller's fds 3 .. 3+preserve_fds-1 stay open across the exec (--preserve-fds) */
  const char *user;      /* "uid", "name", "uid:gid", "name:group"; resolved in the container's /etc/passwd */
  bool terminal;
  bool stdin_open;    /* -i: the pty (with terminal) takes input; without it stdio_fds[0] is what it reads */
  bool use_stdio_fds; /* without terminal: stdio_fds become the process's 0, 1, 2 (relayed pipes) */
  int stdio_fds[3];
  unsigned short rows, cols; /* initial terminal size with terminal */
  uint64_t caps;             /* bounding set; also effective/permitted for uid 0 */
  bool no_new_privileges;
  const struct skiff_seccomp *seccomp; /* NULL: unconfined */
  struct skiff_rlimit *rlimits;
  size_t nrlimits;
  struct skiff_bind *binds;
  size_t nbinds;
  char **masked_paths;   /* NULL: podman's defaults */
  char **readonly_paths; /* NULL: podman's defaults */
  /* volumes and mounts */
  struct skiff_user_mount *user_mounts;
  size_t nuser_mounts;
  /* --userns: a user namespace of the container's own with this map over the caller's (written by the caller
   * before the child goes on); NULL: the caller's */
  const struct skiff_idmap *userns_map;
  bool keep_groups; /* --group-add keep-groups: the process keeps the caller's supplementary groups */
};

struct skiff_container_process
{
  pid_t pid;      /* in the caller's PID namespace; signals go here */
  pid_t wait_pid; /* the child whose exit is the process's (exec's intermediate), 0: pid itself */
  int pty_master; /* with terminal, else -1 */
  int tap_fd;     /* what cfg->net_setup returned, else -1 */
};

/* Clone the container process in new mount, PID, IPC, UTS, network and cgroup namespaces, set up its
 * root filesystem and identity, and exec. Returns once the exec succeeded; if the child fails before
 * the exec, its error comes back here with podman's exit code (126 cannot execute, 127 not found). */
int skiff_container_spawn (const struct skiff_container_config *cfg, struct skiff_container_process *out,
                           skiff_error_t *err);

/* ---- stdio (stdio.c): a container never gets the caller's terminal ---- */

/* Pipes for a container's stdio, relayed by skiff: child[] become its 0, 1, 2 (0 is /dev/null unless
 * stdin_open); in, out and err are skiff's ends (in: -1 without stdin_open). */
struct skiff_stdio_pipes
{
  int child[3];
  int in, out, err;
};
int skiff_stdio_pipes_open (bool stdin_open, struct skiff_stdio_pipes *p, skiff_error_t *err);
/* After the spawn: the container holds its ends */
void skiff_stdio_pipes_close_child (struct skiff_stdio_pipes *p);
void skiff_stdio_pipes_close (struct skiff_stdio_pipes *p);
/* In a child: fds become 0, 1, 2 */
int skiff_stdio_dup (const int fds[3], skiff_error_t *err);
/* --log-driver passthrough gives the container skiff's own stdio: refused when one is a terminal (conmon's
 * rule: TIOCSTI) or a directory */
int skiff_stdio_check_passthrough (skiff_error_t *err);

/* What skiff_container_wait relays between the container's pipes and skiff's own stdio */
struct skiff_stdio_relay
{
  int in, out, err; /* skiff's ends of the pipes (taken over and closed), -1: none */
  /* a copy of what the container wrote (stream 1 stdout, 2 stderr): its log; may be NULL */
  void (*output) (void *data, int stream, const char *buf, size_t len);
  void *data;
};

/* Wait for the process, forwarding SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 to it, and relay its
 * stdio: with a terminal, stdin/stdout through the pty master (raw mode on the caller's terminal, window size
 * followed); else, with relay, its pipes to skiff's stdout and stderr and skiff's stdin to its stdin (when it
 * ends, the container's stdin is closed). *status gets the exit code (128+N for a signal). */
int skiff_container_wait (const struct skiff_container_process *proc, bool terminal, bool stdin_open,
                          const struct skiff_stdio_relay *relay, int *status, skiff_error_t *err);

/* In a container's child or an exec child that leads a new session, inside the container's mount namespace:
 * a pty from the container's /dev/pts (window size rows x cols when both are set), its master sent to skiff
 * over the sync socket, its peer made the controlling terminal and fds 0-2. (pty.c) */
int skiff_pty_setup_child (int sync, unsigned short rows, unsigned short cols, skiff_error_t *err);

/* ---- exec: a process in a running container (exec.c) ---- */

struct skiff_exec_config
{
  pid_t pid; /* the container's PID 1, in the caller's PID namespace */
  char **argv;
  char **env;
  const char *cwd;  /* NULL: "/" */
  const char *user; /* as in skiff_container_config, resolved in the container's /etc/passwd */
  bool terminal;    /* a pty on the container's devpts; the master comes back in pty_master */
  bool stdin_open;
  bool detach;      /* stdio on /dev/null, not killed when skiff exits */
  int stdio_fds[3]; /* without terminal or detach: the process's 0, 1, 2 (skiff's relay pipes) */
  unsigned short rows, cols;
  uint64_t caps;
  bool no_new_privileges;
  const struct skiff_seccomp *seccomp; /* NULL: unconfined */
  struct skiff_rlimit *rlimits;
  size_t nrlimits;
  bool keep_groups; /* as the container's */
};

/* Start argv in the namespaces (mount, PID, IPC, UTS, network, cgroup) and root of the running container
 * whose PID 1 is cfg->pid; the caller must already be in the container's user namespace. Returns once the
 * exec succeeded; errors before it come back with podman's exit codes (126, 127). The process is the
 * caller's child: wait for it with skiff_container_wait. */
int skiff_container_exec (const struct skiff_exec_config *cfg, struct skiff_container_process *out, skiff_error_t *err);

/* podman's default masked and read-only paths */
extern const char *const skiff_default_masked_paths[];
extern const char *const skiff_default_readonly_paths[];

/* ---- helpers shared with the engine (process.c) ---- */
/* Parse "--ulimit name=soft[:hard]" (podman's names: nofile, nproc, core, ...). */
int skiff_rlimit_parse (const char *spec, struct skiff_rlimit *out, skiff_error_t *err);
/* Check the limit against the caller's own hard limit (a rootless process cannot raise it). */
int skiff_rlimit_check (const struct skiff_rlimit *r, skiff_error_t *err);

#endif
