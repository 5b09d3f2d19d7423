/* What exists, typed: a container's record (what create resolved from its spec and image, and the state its
 * monitor keeps) and a pod's. They are stored as JSON by engine/record.c alone, in the shape today's and
 * earlier skiffs wrote; everything else reads and writes the fields below. */
#ifndef SKIFF_ENGINE_RECORD_H
#define SKIFF_ENGINE_RECORD_H

#include "engine/spec.h"

enum skiff_ctr_state
{
  SKIFF_CTR_CREATED = 0,
  SKIFF_CTR_RUNNING,
  SKIFF_CTR_EXITED,
};
/* podman's names: "created", "running", "exited" */
const char *skiff_ctr_state_name (enum skiff_ctr_state s);

/* A container's network as recorded: enough to give it the same network at every start */
struct skiff_ctr_net
{
  enum skiff_netmode mode;
  struct skiff_net_options slirp; /* SLIRP: its options (and the MAC address, in any mode) */
  char *join_id;                  /* CONTAINER: the joined container's ID; POD: the pod's ID */
  struct skiff_port *ports;       /* as first bound: a free host port chosen then stays the container's */
  size_t nports;
};

struct skiff_container
{
  char id[65];
  char *name;
  char *image_id;
  char *image_name; /* the image's first name when created ("localhost/busybox:latest") */
  uint64_t created_ns;
  int creator_pid; /* until its root filesystem exists, a record without one is being made by this process */
  char *pod_id;    /* NULL: none */

  /* the process, as create resolved it from the spec and the image */
  char **args; /* entrypoint + command */
  char **env;
  char *user;          /* NULL: the image's default (root) */
  char *workdir;       /* "/" unless set */
  bool workdir_create; /* the image's (or the default) working directory, made when missing; --workdir's must exist */
  char *hostname;
  uint64_t caps;
  bool privileged, no_new_privileges, read_only, read_only_tmpfs, tty, open_stdin, auto_remove;
  enum skiff_seccomp_mode seccomp;
  char *seccomp_profile; /* CUSTOM: the profile's JSON text */
  struct skiff_rlimit *rlimits;
  size_t nrlimits;
  int stop_signal;
  int64_t stop_timeout;
  struct skiff_restart restart;
  enum skiff_log_driver log_driver;
  char *log_path;       /* k8s-file: where the log is (NULL in records that did not say: the default path) */
  char *conmon_pidfile; /* --conmon-pidfile: where each start writes the PID of the process holding it */
  int64_t log_size_max; /* -1: unlimited */
  struct skiff_kvlist labels, annotations;
  struct skiff_mount *mounts;
  size_t nmounts;
  struct skiff_ctr_net net;
  /* --userns (engine/userns.c): the mode as given (NULL: skiff's own namespace), and the container's map over
   * skiff's namespace (idmap.nuid == 0: none, the container runs in skiff's own) */
  char *userns_mode;
  struct skiff_idmap idmap;
  bool keep_groups; /* --group-add keep-groups */

  /* the state, as the monitor (or the foreground skiff, or a refresh) recorded it */
  enum skiff_ctr_state state;
  int pid;        /* the container's PID 1 in skiff's PID namespace; 0 when not running */
  int conmon_pid; /* its monitor (or the foreground skiff) */
  char *boot_id;  /* the boot the PIDs belong to */
  uint64_t started_ns, finished_ns;
  int exit_code;
  unsigned restart_count;
  bool stopped_by_user; /* stop, kill or rm -f: the restart policy does not apply */
  bool stopping;        /* a stop waits for it to end: inspect says "stopping" while it runs (podman) */
  bool monitor_died;
  char *error; /* NULL: none */
};

void skiff_container_free (struct skiff_container *c);
struct skiff_container *skiff_container_dup (const struct skiff_container *c);

struct skiff_container_list
{
  struct skiff_container **v;
  size_t n;
};
void skiff_container_list_release (struct skiff_container_list *l);

struct skiff_pod
{
  char id[65];
  char *name;
  uint64_t created_ns;
  char *hostname;
  bool share_ipc, share_net, share_uts;
  struct skiff_ctr_net net; /* the pod's own network (the infra's) */
  struct skiff_kvlist labels;
  int infra_pid;        /* 0: not running */
  int infra_conmon_pid; /* the infra's monitor */
  uint64_t infra_started_ns, infra_finished_ns;
  int starting_pid; /* a skiff starting the infra right now (others wait for it) */
};

void skiff_pod_free (struct skiff_pod *p);

struct skiff_pod_list
{
  struct skiff_pod **v;
  size_t n;
};
void skiff_pod_list_release (struct skiff_pod_list *l);

#endif
