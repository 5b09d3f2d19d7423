/* Internal to the engine: the engine's state, the record files (record.c, the only place records are JSON),
 * names (names.c), the runtime config built from a record (config.c) and the launch path (start.c). */
#ifndef SKIFF_ENGINE_INTERNAL_H
#define SKIFF_ENGINE_INTERNAL_H

#include "engine/engine.h"

struct skiff_engine_net;

/* the userdata file bound at /run/.containerenv (podman's) */
#define SKIFF_CONTAINERENV "containerenv"
/* the userdata file bound at /etc/localtime (--tz) */
#define SKIFF_LOCALTIME "localtime"

struct skiff_engine
{
  char *root;           /* graph root: images, layers, containers (their userdata too), records */
  char *runroot;        /* runtime state: pause.pid, exit files; cleared by a reboot */
  char *storage_driver; /* NULL: automatic */
  bool rootless;
  bool entered;
  struct skiff_store *store;
  /* ports create bound for a container this process starts next: kept bound until then, so that no other
   * process takes them in between (and they are not bound twice) */
  char prepared_id[65];
  struct skiff_engine_net *prepared_net;
};

/* ---- record.c: container and pod records on disk ---- */

/* <root>/engine/containers/<id>.json; ENOENT "no such container" when missing */
int skiff_record_load (struct skiff_engine *e, const char *id, struct skiff_container **out, skiff_error_t *err);
/* Write c back; c was loaded under the container's lock, which is still held (skiff_container_update), so no
 * other writer's change is lost. durable: fsync (not worth it for a --rm container, whose record dies with it). */
int skiff_record_save (struct skiff_engine *e, const struct skiff_container *c, bool durable, skiff_error_t *err);
/* Write a new record (its name already reserved: c->name) */
int skiff_record_write_new (struct skiff_engine *e, const struct skiff_container *c, bool durable, skiff_error_t *err);
int skiff_record_unlink (struct skiff_engine *e, const char *id, skiff_error_t *err);
bool skiff_record_exists (struct skiff_engine *e, const char *id);
/* c as it really is now (containers.c): a running record whose container and monitor are gone is written back
 * as exited, with the monitor's exit file or a lost exit code; a record that moved on since c was read
 * (its monitor recorded the end) replaces c. false for the debris of a crashed skiff. */
bool skiff_container_refresh (struct skiff_engine *e, struct skiff_container *c);
/* Every record, each parsed as it is on disk (no refresh); unreadable ones are skipped */
int skiff_record_list (struct skiff_engine *e, struct skiff_container_list *out, skiff_error_t *err);
/* The name recorded on disk for id (NULL when none) */
char *skiff_record_name (struct skiff_engine *e, const char *id);
/* Every record and name of containers and pods (system reset) */
int skiff_record_remove_all (struct skiff_engine *e, skiff_error_t *err);
/* Does any record use image id? Records are read by key only for this, without a full parse. */
bool skiff_record_image_in_use (struct skiff_engine *e, const char *image_id);
/* The text of a record, and back: for the files, and for the tests of records written by earlier skiffs */
char *skiff_container_to_json (const struct skiff_container *c);
struct skiff_container *skiff_container_from_json (const char *text, size_t len, skiff_error_t *err);

/* <root>/engine/pods/<id>.json */
int skiff_pod_record_load (struct skiff_engine *e, const char *id, struct skiff_pod **out, skiff_error_t *err);
int skiff_pod_record_save (struct skiff_engine *e, const struct skiff_pod *p, skiff_error_t *err);
int skiff_pod_record_unlink (struct skiff_engine *e, const char *id, skiff_error_t *err);
int skiff_pod_record_list (struct skiff_engine *e, struct skiff_pod_list *out, skiff_error_t *err);
char *skiff_pod_to_json (const struct skiff_pod *p);
struct skiff_pod *skiff_pod_from_json (const char *text, size_t len, skiff_error_t *err);

/* The fallback when a monitor cannot write the exit into the record (a full or failing disk): a small file
 * <runroot>/exits/<id> (a tmpfs under $XDG_RUNTIME_DIR) with the exit code and time, which the next reader of
 * the record applies (and removes once the record holds it). */
int skiff_exit_file_write (struct skiff_engine *e, const char *id, int exit_code, uint64_t finished_ns,
                           skiff_error_t *err);
bool skiff_exit_file_read (struct skiff_engine *e, const char *id, int *exit_code, uint64_t *finished_ns);
void skiff_exit_file_remove (struct skiff_engine *e, const char *id);

/* ---- names.c: names reserved atomically as <root>/engine/names/<name> symlinks to the ID ---- */

/* Reserve name (a generated one when NULL) for id; *chosen gets it. */
int skiff_names_reserve (struct skiff_engine *e, const char *id, const char *name, char **chosen, skiff_error_t *err);
int skiff_names_release (struct skiff_engine *e, const char *name, skiff_error_t *err);
/* Release name if it still points to id (after a rename it may be another container's) */
int skiff_names_release_if_ours (struct skiff_engine *e, const char *name, const char *id, skiff_error_t *err);
/* The ID a name points to; false when there is no such name */
bool skiff_names_resolve (struct skiff_engine *e, const char *name, char id[65]);
/* Take new_name for id (EEXIST when taken) */
int skiff_names_take (struct skiff_engine *e, const char *id, const char *new_name, skiff_error_t *err);

/* The same for pods: <root>/engine/pod-names/<name> */
int skiff_pod_names_take (struct skiff_engine *e, const char *id, const char *name, skiff_error_t *err);
void skiff_pod_names_release (struct skiff_engine *e, const char *name);
bool skiff_pod_names_resolve (struct skiff_engine *e, const char *name, char id[65]);

/* ---- containers.c ---- */

/* An exclusive lock on the container's directory (held while a record is read, changed and written back);
 * the fd to close, or -1 when the directory is gone */
int skiff_container_lock (struct skiff_engine *e, const char *id);
/* Load the record under the lock, let change() update it, write it back (durable: fsynced). ENOENT when the
 * record is gone (rm -f got there first). */
int skiff_container_update (struct skiff_engine *e, const char *id, bool durable,
                            void (*change) (struct skiff_container *c, void *data), void *data, skiff_error_t *err);
bool skiff_pid_alive (int pid);
/* Everything of a container that is no longer running: its layer and userdata, name, record, exit file */
int skiff_container_remove_files (struct skiff_engine *e, const char *id, const char *name, skiff_error_t *err);

/* ---- config.c: the runtime configuration of a record ---- */

struct skiff_launch
{
  struct skiff_container_config cfg;
  struct skiff_bind *binds; /* the userdata files, then the record's bind mounts */
  size_t nbinds;
  struct skiff_seccomp *seccomp;
  struct skiff_rlimit *rlimits;
  char *merged;    /* a root filesystem mounted here (fuse-overlayfs); NULL: the child mounts it */
  bool keep_mount; /* a monitor holds the container now: merged stays mounted */
  struct skiff_engine *e;
  struct skiff_user_mount *user_mounts; /* the record's mounts, volumes resolved (engine/volumes.c) */
  size_t nuser_mounts;
};

/* The runtime config of c: its process, confinement and the userdata files (no store needed); the root
 * filesystem is skiff_launch_rootfs's, the network's part skiff_engine_net_config's. */
int skiff_launch_prepare (struct skiff_engine *e, const struct skiff_container *c, struct skiff_launch *l,
                          skiff_error_t *err);
/* The root filesystem: mounted here for fuse-overlayfs (whose daemon must not live in the container's
 * namespaces), else by the container child in its own mount namespace */
int skiff_launch_rootfs (struct skiff_launch *l, skiff_error_t *err);
void skiff_launch_release (struct skiff_launch *l);
/* The confinement of c (caps, seccomp filter, rlimits with podman's nofile default), for starts and exec;
 * privileged: every capability and no seccomp (exec --privileged) */
int skiff_launch_confinement (struct skiff_engine *e, const struct skiff_container *c, bool privileged, uint64_t *caps,
                              struct skiff_seccomp **seccomp, struct skiff_rlimit **rlimits, size_t *nrlimits,
                              skiff_error_t *err);

/* ---- create.c ---- */

/* spec + image config -> a container record (no I/O; the tests call it): id, process, confinement, log,
 * restart. The network, name and pod are create's. */
int skiff_container_from_spec (const struct skiff_spec *s, const struct skiff_image *img, const char *id,
                               const char *root, struct skiff_container **out, skiff_error_t *err);

/* ---- pods.c ---- */

/* The pod's infra, started now when it is not running (the pod's containers join its namespaces) */
int skiff_pod_infra_ensure (struct skiff_engine *e, const char *pod_id, pid_t *infra_pid, skiff_error_t *err);
int skiff_pod_infra_stop (struct skiff_engine *e, const char *pod_id, skiff_error_t *err);

#endif
