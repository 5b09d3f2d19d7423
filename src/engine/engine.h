/* The engine: podman's operations on containers and pods, wiring storage, runtime, monitor and network. It
 * takes typed specs (engine/spec.h) and hands out typed records (engine/record.h); where state lives, entering
 * the user namespace and the record files are its own. The command layer sees struct skiff_engine only
 * through this header. */
#ifndef SKIFF_ENGINE_H
#define SKIFF_ENGINE_H

#include <stdbool.h>

#include "engine/record.h"
#include "engine/spec.h"
#include "storage/storage.h"
#include "util/util.h"

struct skiff_engine;

/* Defaults: rootless root ~/.local/share/skiff/storage ($XDG_DATA_HOME), runroot $XDG_RUNTIME_DIR/skiff or
 * /tmp/skiff-run-UID when unset; as root /var/lib/skiff/storage and /run/skiff. NULL: the default. */
int skiff_engine_new (const char *root, const char *runroot, const char *driver, struct skiff_engine **out,
                      skiff_error_t *err);
void skiff_engine_free (struct skiff_engine *e);
/* Enter the user namespace (rootless) and make sure root and runroot exist. */
int skiff_engine_enter (struct skiff_engine *e, skiff_error_t *err);
/* The store, opened on first use (enters the namespace first). */
int skiff_engine_store (struct skiff_engine *e, struct skiff_store **out, skiff_error_t *err);
const char *skiff_engine_root (const struct skiff_engine *e);
const char *skiff_engine_runroot (const struct skiff_engine *e);
bool skiff_engine_rootless (const struct skiff_engine *e);

/* ---- containers (create.c, start.c, containers.c, stop.c) ---- */

/* Create a container from a spec: its record (status "created"), name, root filesystem and userdata (hosts,
 * hostname, resolv.conf). Published ports are bound now (a port in use fails here and leaves nothing) and
 * stay bound until this process starts the container. A --pod new:NAME pod is created first. */
int skiff_engine_container_create (struct skiff_engine *e, const struct skiff_spec *s, struct skiff_container **out,
                                   skiff_error_t *err);

struct skiff_start_options
{
  /* Hold the container in this process (a foreground run): its stdio relayed through pipes and logged, its
   * end recorded here, --rm done here. Otherwise a monitor holds it (run -d, start, restart). */
  bool foreground;
  /* With a monitor: it starts with one attach client connected, whose socket comes back here (start -a, run -t) */
  int *attach_fd;
  /* --preserve-fds: this process's fds 3 .. 3+preserve_fds-1 become the container process's (this start only) */
  unsigned preserve_fds;
};

struct skiff_start_result
{
  bool was_running; /* nothing done: it ran already */
  int exit_code;    /* foreground: the container's exit status (128+N for a signal) */
  int monitor_pid;
};

/* Start a created or exited container: the runtime config is built from its record, for every start (run,
 * start, restart, the monitor's restart policy). A container of a pod starts the pod's infra first. An
 * interrupt (SIGINT, SIGTERM, SIGHUP while skiff_interrupt_catch is in force) during set-up stops it. */
int skiff_engine_container_start (struct skiff_engine *e, const char *ref, const struct skiff_start_options *o,
                                  struct skiff_start_result *res, skiff_error_t *err);

/* Every container; a "running" record whose process is gone reads as exited, and debris of a crashed skiff
 * (a record without a root filesystem whose creator is gone) is removed. */
int skiff_engine_container_list (struct skiff_engine *e, struct skiff_container_list *out, skiff_error_t *err);
/* By name, full ID or unique ID prefix; ENOENT "no such container", EINVAL for an ambiguous prefix. */
int skiff_engine_container_lookup (struct skiff_engine *e, const char *ref, struct skiff_container **out,
                                   skiff_error_t *err);
/* The most recently created container (podman's --latest). ENOENT when there is none. */
int skiff_engine_container_latest (struct skiff_engine *e, struct skiff_container **out, skiff_error_t *err);
/* Remove a container: its layer, userdata, record and name. A running one needs force (it is killed). One
 * whose network another container joins (--network container:ID) is refused, with podman's words. */
int skiff_engine_container_remove (struct skiff_engine *e, const struct skiff_container *c, bool force,
                                   skiff_error_t *err);
/* rm --depend: the containers that join c's network first (theirs before them, at most 32 levels deep), then c;
 * each one removed is added to *removed (IDs, in that order), also when a later one fails. */
int skiff_engine_container_remove_depend (struct skiff_engine *e, const struct skiff_container *c, bool force,
                                          char ***removed, skiff_error_t *err);
/* Rename a container (any state): the new name is taken first (atomically), then the record is rewritten,
 * then the old name is freed. EINVAL for an invalid name, EEXIST when the name is taken. */
int skiff_engine_container_rename (struct skiff_engine *e, const struct skiff_container *c, const char *new_name,
                                   skiff_error_t *err);
/* podman stop: flag it stopped by the user (no restart), its stop signal, SIGKILL after the timeout (timeout
 * when timeout_set, else its --stop-timeout; negative: wait for ever), and wait until it is no longer
 * running. A container not running is no error. */
int skiff_engine_container_stop (struct skiff_engine *e, const char *id, bool timeout_set, long long timeout,
                                 skiff_error_t *err);
/* podman kill: flag it stopped by the user and send sig. EINVAL when it is not running. */
int skiff_engine_container_kill (struct skiff_engine *e, const char *id, int sig, skiff_error_t *err);
/* Wait until the record is no longer running; timeout_ms < 0: for ever. false on timeout. */
bool skiff_engine_container_wait_stopped (struct skiff_engine *e, const char *id, long timeout_ms);
/* The k8s-file log of c; NULL when its log driver keeps none. Caller frees. */
char *skiff_engine_container_log_path (struct skiff_engine *e, const struct skiff_container *c);
/* The container's directory next to its layer (userdata: hosts, hostname, resolv.conf, the attach socket) */
char *skiff_engine_container_dir (struct skiff_engine *e, const char *id);
/* Is any container using image id? (for rmi; data is the engine) */
bool skiff_engine_image_in_use (const char *image_id, void *engine);

/* podman's name rule for containers and pods: [a-zA-Z0-9][a-zA-Z0-9_.-]*, shorter than 254 */
bool skiff_name_valid (const char *name);
/* A podman-style random name: adjective_surname. */
char *skiff_random_name (void);

/* ---- inspect.c: podman's JSON shapes, built from the typed records in one place ---- */

struct json_object;
/* podman inspect of a container (size: SizeRw and SizeRootFs, which walk its layer) */
struct json_object *skiff_engine_container_inspect (struct skiff_engine *e, const struct skiff_container *c, bool size);
/* One entry of podman ps --format json (entities.ListContainer); status: podman's STATUS text ("Up 2
 * seconds"); pod_name and ports: the container's pod (its name, and its ports when the container uses its
 * network) */
struct json_object *skiff_engine_container_ps_json (const struct skiff_container *c, const char *status,
                                                    const char *created_ago, const struct skiff_pod *pod);
/* podman pod inspect */
struct json_object *skiff_engine_pod_inspect (const struct skiff_pod *p, const struct skiff_container_list *ctrs);
/* PortMappings -> podman's {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]} */
struct json_object *skiff_engine_port_bindings (const struct skiff_port *ports, size_t n);
/* The ports a container is reached through: its own, or its pod's when it uses the pod's network (pod may be
 * NULL) */
const struct skiff_port *skiff_engine_container_ports (const struct skiff_container *c, const struct skiff_pod *pod,
                                                       size_t *n);

/* ---- exec.c ---- */

/* Run a command in a running container (podman exec); *exit_code gets its exit status; a detached one's
 * session ID comes back in *session_id. */
int skiff_engine_exec (struct skiff_engine *e, const char *ref, const struct skiff_exec_spec *x, int *exit_code,
                       char **session_id, skiff_error_t *err);

/* ---- attach.c: following a container through its monitor ---- */

struct skiff_attach_request
{
  bool stdin;              /* relay our stdin (the container was created with -i, and no --no-stdin) */
  bool out, err;           /* print its stdout, stderr */
  const char *detach_keys; /* podman's syntax; NULL: ctrl-p,ctrl-q; "": none */
  bool sig_proxy;          /* forward SIGINT, SIGTERM, ... to the container (without a tty) */
};
/* Check podman's --detach-keys syntax ("invalid detach keys: ..."). */
int skiff_engine_detach_keys_check (const char *keys, skiff_error_t *err);
/* Connect to the monitor of running container id; *fd gets the socket */
int skiff_engine_attach_connect (struct skiff_engine *e, const char *id, int *fd, skiff_error_t *err);
/* Relay the session on fd (taken over) until the container ends (*exit_code its status), the detach keys
 * (*detached, exit code 0) or the monitor goes (the exit from the record; EIO when it still runs). */
int skiff_engine_attach (struct skiff_engine *e, const char *id, int fd, const struct skiff_attach_request *r,
                         int *exit_code, bool *detached, skiff_error_t *err);

/* ---- logs.c ---- */

struct skiff_log_options
{
  bool follow;
  long long tail;              /* < 0: all lines */
  uint64_t since_ns, until_ns; /* 0: no bound; entries before since or after until are left out */
  /* each entry: stream 1 stdout, 2 stderr; partial: no newline at its end; time RFC 3339 */
  void (*entry) (void *data, int stream, const char *time, const char *text, bool partial);
  void *data;
};
/* podman's --since/--until time (util.ParseInputTime): RFC 3339 (with or without fraction and zone, local
 * time without one), a date, Unix seconds, or a Go duration ("10m", "1h30m") back from now (since) or ahead
 * (until). EINVAL otherwise. */
int skiff_logs_parse_time (const char *s, bool since, uint64_t *ns, skiff_error_t *err);
/* podman logs of one container: EINVAL for a log driver that keeps none */
int skiff_engine_logs (struct skiff_engine *e, const struct skiff_container *c, const struct skiff_log_options *o,
                       skiff_error_t *err);

/* ---- top.c ---- */

/* podman top: the processes of a running container's PID namespace. descriptors: NULL for podman's default
 * (user, pid, ppid, pcpu, etime, tty, time, args); *out gets a table (tab-separated, header first, one line per
 * process, PIDs as seen inside the container). EINVAL "unknown descriptor". */
int skiff_engine_top (struct skiff_engine *e, const struct skiff_container *c, char *const *descriptors, char **out,
                      skiff_error_t *err);
/* pause/unpause: the cgroup v2 freezer of a container's delegated cgroup; fails (with why, and what would
 * make it work) when there is none. */
int skiff_engine_pause (struct skiff_engine *e, const struct skiff_container *c, bool pause, skiff_error_t *err);

/* ---- pods.c ---- */

int skiff_engine_pod_create (struct skiff_engine *e, const struct skiff_pod_spec *s, char **id_out, skiff_error_t *err);
/* Every pod (InfraPid 0 when the infra is gone) */
int skiff_engine_pod_list (struct skiff_engine *e, struct skiff_pod_list *out, skiff_error_t *err);
/* By name, full ID or unique prefix; ENOENT "no such pod". */
int skiff_engine_pod_lookup (struct skiff_engine *e, const char *ref, struct skiff_pod **out, skiff_error_t *err);
/* The pod's containers */
int skiff_engine_pod_containers (struct skiff_engine *e, const char *pod_id, struct skiff_container_list *out,
                                 skiff_error_t *err);
/* podman's pod status of p with its containers: Created, Running, Degraded, Exited */
const char *skiff_engine_pod_status (const struct skiff_pod *p, const struct skiff_container_list *ctrs);
/* pod start: the infra, then every container not running */
int skiff_engine_pod_start (struct skiff_engine *e, const char *pod_id, skiff_error_t *err);
/* pod stop: every running container (as stop), then the infra; ports are free when it returns */
int skiff_engine_pod_stop (struct skiff_engine *e, const char *pod_id, bool timeout_set, long long timeout,
                           skiff_error_t *err);
/* pod kill: sig to every running container (SIGKILL also ends the infra); EINVAL when nothing ran, unless
 * quiet */
int skiff_engine_pod_kill (struct skiff_engine *e, const char *pod_id, int sig, bool quiet, skiff_error_t *err);
/* pod rm: EBUSY for running containers without force (with it they are stopped), then the containers, the
 * infra, the record and the name */
int skiff_engine_pod_remove (struct skiff_engine *e, const char *pod_id, bool force, bool timeout_set,
                             long long timeout, skiff_error_t *err);

/* ---- system.c ---- */

/* skiff unshare: run argv (or $SHELL) inside the user namespace with the storage mount namespace. */
int skiff_engine_unshare (struct skiff_engine *e, char **argv, int *exit_code, skiff_error_t *err);
/* Remove all containers, pods, images, layers and state; stop the pause process. */
int skiff_engine_reset (struct skiff_engine *e, skiff_error_t *err);

/* ---- cp.c: files in and out ---- */

struct skiff_cp_options
{
  const char *src_container, *src_path; /* container NULL: the host ("-": a tar on stdin_fd) */
  const char *dst_container, *dst_path; /* container NULL: the host ("-": a tar to stdout_fd) */
  bool archive;                         /* -a: chown to the destination container's user (else keep the IDs) */
  bool overwrite;                       /* a directory may replace a non-directory and the reverse */
  int stdin_fd, stdout_fd;
};
/* podman cp. Container paths resolve inside the container's root (openat2 RESOLVE_IN_ROOT); a running
 * container through /proc/PID/root (its mounts included), a stopped one mounted in a private namespace. */
int skiff_engine_cp (struct skiff_engine *e, const struct skiff_cp_options *o, skiff_error_t *err);
/* podman export: the container's file system (not its volumes) as a tar to outfd. */
int skiff_engine_container_export (struct skiff_engine *e, const char *ref, int outfd, skiff_error_t *err);
/* podman mount/unmount (inside skiff unshare): mount the root file system in the storage namespace, *path
 * its merged directory; unmount releases it (a running container's own mount stays). */
int skiff_engine_container_mount (struct skiff_engine *e, const char *ref, char **path, skiff_error_t *err);
int skiff_engine_container_unmount (struct skiff_engine *e, const char *ref, bool force, skiff_error_t *err);

#endif
