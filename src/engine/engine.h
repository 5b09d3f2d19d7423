/* The engine: wires storage, runtime and (later) monitor and network into podman's operations.
 * It owns where things live (root, runroot), entering the user namespace, and container records. */
#ifndef SKIFF_ENGINE_H
#define SKIFF_ENGINE_H

#include <json-c/json.h>
#include <stdbool.h>

#include "storage/storage.h"
#include "util/util.h"

struct skiff_engine
{
  char *root;           /* graph root: images, layers, containers */
  char *runroot;        /* runtime state: pause.pid, per-container userdata; cleared by a reboot */
  char *storage_driver; /* NULL: automatic */
  bool rootless;
  bool entered;
  struct skiff_store *store;
};

/* Fill defaults: rootless root ~/.local/share/skiff/storage ($XDG_DATA_HOME), runroot
 * $XDG_RUNTIME_DIR/skiff or /tmp/skiff-run-UID when unset; as root /var/lib/skiff/storage and /run/skiff. */
int skiff_engine_init (struct skiff_engine *e, const char *root, const char *runroot, const char *driver,
                       skiff_error_t *err);
/* Enter the user namespace (rootless) and make sure root and runroot exist. */
int skiff_engine_enter (struct skiff_engine *e, skiff_error_t *err);
/* The store, opened on first use (enters the namespace first). */
int skiff_engine_store (struct skiff_engine *e, struct skiff_store **out, skiff_error_t *err);
void skiff_engine_release (struct skiff_engine *e);

/* podman's default for stop -t and --stop-timeout, in seconds */
#define SKIFF_DEFAULT_STOP_TIMEOUT 10

struct skiff_run_options
{
  const char *image;
  char **command; /* after the image; may be NULL */
  const char *name;
  bool rm;
  bool interactive;
  bool tty;
  const char *entrypoint; /* NULL: the image's; "" clears it; a JSON array or one string */
  char **env;             /* -e KEY=VALUE or KEY (taken from skiff's environment) */
  char **env_files;
  const char *workdir;
  const char *user;
  const char *hostname;
  char **cap_add;
  char **cap_drop;
  const char *seccomp_profile; /* NULL default, "unconfined", or a file */
  bool no_new_privileges;
  bool privileged;
  bool read_only;
  bool read_only_tmpfs;
  char **ulimits;
  const char *network; /* --network: NULL (slirp4netns), "slirp4netns[:opts]", "none", "host", "container:X" */
  char **publish;      /* -p */
  bool publish_all;    /* -P */
  const char *mac_address;
  char **dns, **dns_search, **dns_option, **add_host;
  const char *pod; /* --pod NAME or new:NAME */
  bool detach;     /* -d: a monitor runs the container; *id_out gets its ID */
  char **id_out;
  const char *restart;     /* --restart policy; NULL: "no"; applied by the monitor, so only with detach */
  const char *stop_signal; /* --stop-signal; NULL: the image's StopSignal, else SIGTERM */
  bool stop_timeout_set;
  long long stop_timeout; /* --stop-timeout in seconds (with stop_timeout_set; else 10) */
  const char *log_driver; /* NULL/"k8s-file", "none", "passthrough" (foreground only) */
  const char *log_path;   /* --log-opt path=FILE; NULL: <root>/containers/<id>/ctr.log */
  uint64_t log_max_size;  /* --log-opt max-size; 0: unlimited */
  const char *cidfile;    /* --cidfile: created exclusively, gets the full ID */
  bool create_only;       /* skiff create: record, rootfs and userdata, status "created"; *id_out gets the ID */
  char **labels;          /* --label KEY[=VALUE] -> the record's Labels */
  char **annotations;     /* --annotation KEY=VALUE -> the record's Annotations */
  int *attach_fd;         /* with detach: the monitor starts with an attach client, whose socket comes here */
};

/* Create and run a container in the foreground; *exit_code gets the container's exit status. */
int skiff_engine_run (struct skiff_engine *e, const struct skiff_run_options *o, int *exit_code, skiff_error_t *err);

struct skiff_exec_options
{
  const char *container; /* name, ID or unique ID prefix */
  char **command;
  bool interactive, tty, detach, privileged;
  char **env; /* -e, over the container's environment */
  char **env_files;
  const char *user;      /* NULL: the container's */
  const char *workdir;   /* NULL: the container's */
  char **session_id_out; /* with detach: the exec session's ID */
};

/* skiff start: start a created or exited container under a monitor (as run -d), its runtime config rebuilt
 * from its record. *was_running is set when it already ran (nothing done). */
int skiff_engine_start (struct skiff_engine *e, const char *ref, bool *was_running, skiff_error_t *err);
/* The same, the monitor starting with an attach client (start -a) whose socket comes back in *attach_fd */
int skiff_engine_start_attach (struct skiff_engine *e, const char *ref, bool *was_running, int *attach_fd,
                               skiff_error_t *err);

/* ---- config.c: what run recorded -> runtime config parts (exec, start) ---- */
struct skiff_seccomp;
struct skiff_rlimit;
struct skiff_record_config
{
  uint64_t caps;
  struct skiff_seccomp *seccomp; /* NULL: unconfined */
  char **env, **argv;
  struct skiff_rlimit *rlimits;
  size_t nrlimits;
  const char *user; /* NULL: the image's default; points into the record */
  const char *cwd;  /* points into the record */
  bool no_new_privileges;
};
/* privileged: all capabilities and no seccomp filter (exec --privileged) */
int skiff_record_config (struct skiff_engine *e, json_object *rec, bool privileged, struct skiff_record_config *c,
                         skiff_error_t *err);
void skiff_record_config_release (struct skiff_record_config *c);
const char *skiff_record_string (json_object *rec, const char *key);
bool skiff_record_bool (json_object *rec, const char *key);
char **skiff_record_strv (json_object *rec, const char *key);

/* Run a command in a running container (podman exec); *exit_code gets its exit status. */
int skiff_engine_exec (struct skiff_engine *e, const struct skiff_exec_options *o, int *exit_code, skiff_error_t *err);

/* skiff unshare: run argv (or $SHELL) inside the user namespace with the storage mount namespace. */
int skiff_engine_unshare (struct skiff_engine *e, char **argv, int *exit_code, skiff_error_t *err);

/* Remove all containers, images, layers and state; stop the pause process. */
int skiff_engine_reset (struct skiff_engine *e, skiff_error_t *err);

/* Container records as JSON objects (Id, Name, Image, ImageName, Created, Args, Status, ExitCode, Pid,
 * FinishedAt); a "running" record whose process is gone reads as exited. */
int skiff_engine_container_list (struct skiff_engine *e, json_object **out, skiff_error_t *err);
/* By name, full ID or unique ID prefix; ENOENT "no such container", EINVAL for an ambiguous prefix. */
int skiff_engine_container_lookup (struct skiff_engine *e, const char *ref, json_object **out, skiff_error_t *err);
/* Remove a container: its layer, userdata, record and name. A running one needs force (it is killed). */
int skiff_engine_container_remove (struct skiff_engine *e, json_object *rec, bool force, skiff_error_t *err);
/* Rename a container (any state): the new name is taken first (atomically), then the record is rewritten,
 * then the old name is freed. EINVAL for an invalid name, EEXIST when the name is taken. */
int skiff_engine_container_rename (struct skiff_engine *e, json_object *rec, const char *new_name, skiff_error_t *err);

/* Mark a running container as stopped by the user (stop, kill, rm -f) before signalling it, so that its
 * monitor does not restart it; *fresh gets the record as it is now (its current Pid). Serialised with the
 * monitor's record updates by skiff_engine_container_lock. */
int skiff_engine_container_mark_stopped (struct skiff_engine *e, const char *id, json_object **fresh,
                                         skiff_error_t *err);
/* Has stop, kill or rm -f flagged the record? (take the lock around it and the write that follows) */
bool skiff_engine_container_stopped_by_user (struct skiff_engine *e, const char *id);
/* An exclusive lock on the container's userdata directory (held while a record is read, changed and
 * written back); returns the fd to close, or -1 when the directory is gone. */
int skiff_engine_container_lock (struct skiff_engine *e, const char *id);

/* A signal by name ("TERM", "SIGTERM", case-insensitive) or number; -1 when invalid. */
int skiff_signal_parse (const char *s);
/* "SIGTERM" for SIGTERM; a number's text for one without a name here. */
const char *skiff_signal_name (int sig, char *buf, size_t len);

/* Is any container record using image id? (for rmi) */
bool skiff_engine_image_in_use (const char *image_id, void *engine);

/* ---- pods (pods.c) ---- */
struct skiff_pod_options
{
  const char *name; /* NULL: a random name */
  const char *hostname;
  const char *network;
  char **publish;
  char **share;
  char **labels;
};
/* Pod records as JSON (Id, Name, Created, Hostname, SharedNamespaces, InfraPid (0 when not running),
 * InfraConmonPid, NetworkMode, PortMappings, Labels). */
int skiff_engine_pod_list (struct skiff_engine *e, json_object **out, skiff_error_t *err);
/* By name, full ID or unique prefix; ENOENT "no such pod". */
int skiff_engine_pod_lookup (struct skiff_engine *e, const char *ref, json_object **out, skiff_error_t *err);
int skiff_engine_pod_create (struct skiff_engine *e, const struct skiff_pod_options *o, char **id_out,
                             skiff_error_t *err);
int skiff_engine_pod_infra_start (struct skiff_engine *e, const char *ref, pid_t *infra_pid, skiff_error_t *err);
/* Kill the infra (its containers should be stopped first) and wait for its monitor. */
int skiff_engine_pod_infra_stop (struct skiff_engine *e, const char *ref, skiff_error_t *err);
/* The record and name (the infra is stopped; containers are the caller's business). */
int skiff_engine_pod_remove (struct skiff_engine *e, const char *ref, skiff_error_t *err);

/* ---- lifecycle: state checks, labels, top, crash points (containers.c, top.c, records.c) ---- */

/* {"k": "v"} from "k=v" (or "k", value "") strings; later keys win */
json_object *skiff_labels_json (char *const *kv);
/* A record's Status as it really is (containers.c reads it through this on every list and lookup):
 *  - "running" while the container's PID 1 lives; when its monitor (ConmonPid) is gone meanwhile, the record
 *    gets "MonitorDied": true and "Error" saying that the exit code will be lost;
 *  - a "running" record whose container and monitor are both gone is written back as "exited" with
 *    ExitCode -1 and Error (podman's "exit code could not be retrieved");
 * Returns false for a record that a crashed skiff left half made (no root filesystem, its creator gone):
 * the caller drops it, and skiff_engine_container_list removes it with its name. */
bool skiff_engine_container_refresh (struct skiff_engine *e, json_object *rec);
/* The most recently created container (podman's --latest). ENOENT when there is none. */
int skiff_engine_container_latest (struct skiff_engine *e, json_object **out, skiff_error_t *err);
/* Wait until the container's record is no longer running (the monitor recorded the end, or refresh did);
 * timeout_ms < 0: forever. false on timeout. */
bool skiff_engine_container_wait_stopped (struct skiff_engine *e, const char *id, long timeout_ms);

/* podman top: the processes of a running container's PID namespace. descriptors: NULL for podman's default
 * (user, pid, ppid, pcpu, etime, tty, time, args); *out gets a table (tab-separated, header first, one line per
 * process, PIDs as seen inside the container). EINVAL "unknown descriptor". */
int skiff_engine_top (struct skiff_engine *e, json_object *rec, char *const *descriptors, char **out,
                      skiff_error_t *err);

/* pause/unpause: the cgroup v2 freezer of a container's delegated cgroup; fails (with why, and what would
 * make it work) when there is none. */
int skiff_engine_pause (struct skiff_engine *e, json_object *rec, bool pause, skiff_error_t *err);

/* A test hook: SKIFF_TEST_CRASH_AT=NAME makes the process die by SIGKILL when it reaches the point NAME, so
 * that the integration tests can check what a kill -9 at that point leaves behind. */
void skiff_crash_point (const char *name);

#endif
