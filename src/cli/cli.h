/* The command line: podman's commands, one file per command family, each with an option table that
 * drives both getopt_long and the --help text. */
#ifndef SKIFF_CLI_H
#define SKIFF_CLI_H

#include <getopt.h>
#include <json-c/json.h>
#include <stdbool.h>

#include "engine/engine.h"
#include "util/interrupt.h"
#include "util/util.h"

struct skiff_cli
{
  const char *root, *runroot, *storage_driver;
  char **runtime_flags;        /* --runtime-flag: skiff's own runtime takes none */
  bool noout;                  /* --noout: the command's stdout goes to /dev/null */
  struct skiff_engine *engine; /* made on first use (cli_engine) */
};

struct cli_option
{
  const char *name;    /* long name without "--" */
  char shortname;      /* 0: none */
  int arg;             /* no_argument, required_argument, optional_argument (booleans: --rm=false) */
  const char *argname; /* "string", "strings", "int" ... shown in --help */
  const char *help;
};

struct cli_command
{
  const char *name;
  const char *summary;
  const char *usage;                /* after "skiff NAME " */
  const struct cli_option *options; /* terminated by { 0 } */
  int (*fn) (struct skiff_cli *cli, int argc, char **argv);
  const struct cli_command *subcommands; /* for groups ("system", "image") */
  /* a group's verbs that are top-level commands too (podman's `container start` is `start`): listed with
   * the subcommands in the group's help, and run by cli_group_main */
  const struct cli_command *const *also;
  const char *aliases[3];
  /* options end at the first operand (run, unshare: what follows belongs to the command); otherwise
   * options may follow operands, as cobra allows */
  bool options_first;
  void (*help) (void); /* prints the help instead of the generated one (the root command's command list) */
};

/* Parse options; calls cb(id = index in options, optarg, data) for each; returns the index of the first
 * operand, or -1 after printing podman's error (the caller returns 125). --help/-h prints the help and
 * returns -2 (the caller returns 0). */
int cli_parse (const struct cli_command *cmd, const char *fullname, int argc, char **argv,
               int (*cb) (int id, const char *arg, void *data), void *data);
void cli_print_help (const struct cli_command *cmd, const char *fullname);
/* The command of that name or alias: first in list (NULL-terminated pointers), then in sub ({ 0 }-terminated) */
const struct cli_command *cli_find_command (const struct cli_command *const *list, const struct cli_command *sub,
                                            const char *name);
/* Run a group (`skiff GROUP VERB ...`): its help without a verb or with --help, podman's error for an
 * unknown verb, else the verb with argv shifted past the group's name */
int cli_group_main (const struct cli_command *group, struct skiff_cli *cli, int argc, char **argv);
/* The root's options every command takes too, as podman's persistent flags (--log-level, --root, ...);
 * cb(index in options, optarg, data) is called for them from any cli_parse. */
/* --preserve-fds (cli/fds.c): main holds the caller's fds 3.. (close-on-exec) until the command's options are
 * parsed (cli_parse settles them): then the first cli_preserve_fds stay, for the container, and the others close */
#define CLI_PRESERVE_FDS_MAX 64
extern unsigned cli_preserve_fds;
void cli_inherited_fds_hold (void);
void cli_inherited_fds_settle (void);
void cli_set_persistent (const struct cli_option *options, int (*cb) (int id, const char *arg, void *data), void *data);
/* Print "Error: msg" and return 125 (or the error's exit code). Releases err. */
int cli_fail (skiff_error_t *err);
int cli_usage_error (const char *fullname, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* Parse a boolean option value: NULL means true. */
bool cli_bool (const char *arg, bool *ok);
int cli_engine (struct skiff_cli *cli, struct skiff_engine **out, skiff_error_t *err);
/* cli_engine, and the user namespace entered */
int cli_engine_entered (struct skiff_cli *cli, struct skiff_engine **out, skiff_error_t *err);
/* logs: prefix every line with the container's short ID (several containers, pod logs), as podman */
void cli_logs_prefix_ids (bool on);

/* ---- specgen.c: flags as typed -> the engine's specs ---- */

/* the network flags of run, create and pod create */
struct cli_net_flags
{
  const char *network; /* --network; NULL: the default */
  char **publish;      /* -p */
  bool publish_all;    /* -P */
  const char *mac_address;
  char **dns, **dns_search, **dns_option, **add_host;
};

/* run's and create's flags, as run.c's option table collects them */
struct cli_run_flags
{
  const char *image;
  char **command; /* after the image */
  const char *name, *entrypoint, *workdir, *user, *hostname, *pod, *restart, *stop_signal, *log_driver, *cidfile;
  const char *seccomp; /* --security-opt seccomp=: "unconfined" or a file */
  bool rm, interactive, tty, privileged, no_new_privileges, read_only, read_only_tmpfs, detach, create;
  bool unsetenv_all;
  char **unsetenv;
  const char *tz; /* --tz: a zone of /usr/share/zoneinfo, or "local" */
  bool stop_timeout_set;
  long long stop_timeout;
  char *log_path;       /* --log-opt path=, made absolute */
  char *conmon_pidfile; /* --conmon-pidfile, made absolute */
  uint64_t log_max_size;
  char **env, **env_files, **cap_add, **cap_drop, **ulimits, **labels, **annotations;
  struct cli_net_flags net;
  char **volumes, **mounts, **tmpfs, **volumes_from; /* -v, --mount, --tmpfs, --volumes-from */
  const char *userns;                                /* --userns */
  char **group_add;                                  /* --group-add */
};
/* The spec of a run or create; *cid_fd gets the --cidfile, made exclusively (-1 without one). */
int cli_specgen_run (const struct cli_run_flags *f, struct skiff_spec *s, int *cid_fd, skiff_error_t *err);

struct cli_pod_flags
{
  const char *name, *hostname;
  char **share, **labels;
  struct cli_net_flags net;
};
int cli_specgen_pod (const struct cli_pod_flags *f, struct skiff_pod_spec *s, skiff_error_t *err);
int cli_specgen_network (const struct cli_net_flags *f, struct skiff_net_spec *n, skiff_error_t *err);
/* -e and --env-file, resolved (NAME alone takes skiff's own value) into *out */
int cli_specgen_env (char *const *env, char *const *env_files, char ***out, skiff_error_t *err);

/* run's -a, --detach-keys, --sig-proxy (start.c). A foreground run with -t, -a or --detach-keys goes through
 * a monitor with an attach client connected from the start, as podman's does, so that it can be detached. */
struct cli_run_attach
{
  char **streams;          /* -a stdin|stdout|stderr */
  const char *detach_keys; /* NULL: ctrl-p,ctrl-q */
  bool no_sig_proxy;       /* --sig-proxy=false */
  bool monitor;            /* out: the run goes through a monitor with an attach client */
  int fd;                  /* the attach client's socket; -1: none */
};
/* Check -a and --detach-keys (podman's errors); decide whether the foreground run needs a monitor. 0, or 125
 * after printing the error. */
int cli_run_attach_prepare (struct cli_run_attach *ra, const struct skiff_spec *s, bool detach, bool create);
/* After the start: relay the session (ra->fd >= 0); the exit code skiff exits with. */
int cli_run_attach_finish (struct cli_run_attach *ra, struct skiff_engine *e, const char *id,
                           const struct skiff_spec *s);

/* Output helpers shared by commands */
/* Render rows (array of objects) with a --format template (or json); single: rows holds one object rendered
 * once (info, version). name is the command (podman's template name in errors). Returns 0, or 125 after
 * printing the error. */
int cli_print_formatted (const char *name, const char *format, json_object *rows, bool single, json_object *headers,
                         bool noheading);
char *cli_human_size (uint64_t bytes);
char *cli_human_duration_ago (uint64_t then_ns);

extern const struct cli_command cli_run_command;
/* cp.c */
extern const struct cli_command cli_cp_command, cli_export_command, cli_mount_command, cli_unmount_command;
extern const struct cli_command cli_exec_command;
extern const struct cli_command cli_unshare_command;
extern const struct cli_command cli_import_command;
extern const struct cli_command cli_images_command;
extern const struct cli_command cli_rmi_command;
extern const struct cli_command cli_version_command;
extern const struct cli_command cli_info_command;
extern const struct cli_command cli_system_command;
extern const struct cli_command cli_image_command;
extern const struct cli_command cli_history_command;
extern const struct cli_command cli_search_command;
extern const struct cli_command cli_pull_command;
extern const struct cli_command cli_push_command;
extern const struct cli_command cli_login_command;
extern const struct cli_command cli_logout_command;
extern const struct cli_command cli_ps_command;
extern const struct cli_command cli_rm_command;
extern const struct cli_command cli_inspect_command;
extern const struct cli_command cli_container_command;
extern const struct cli_command cli_logs_command;
extern const struct cli_command cli_stop_command;
extern const struct cli_command cli_kill_command;
extern const struct cli_command cli_wait_command;
extern const struct cli_command cli_save_command;
extern const struct cli_command cli_load_command;
extern const struct cli_command cli_tag_command;
extern const struct cli_command cli_untag_command;
extern const struct cli_command cli_rename_command;
extern const struct cli_command cli_create_command;
extern const struct cli_command cli_start_command;
extern const struct cli_command cli_restart_command;
extern const struct cli_command cli_attach_command;
extern const struct cli_command cli_pod_command;
extern const struct cli_command cli_port_command;
extern const struct cli_command cli_volume_command;
/* container prune (containers2.c), listed in containers.c's container group */
int cli_container_prune_main (struct skiff_cli *cli, int argc, char **argv);

/* image subcommands (imagecmds.c), listed in images.c's image group */
int cli_image_inspect_main (struct skiff_cli *cli, int argc, char **argv);
/* inspect (containers.c) of an image: podman's image JSON of name in *out; ENOENT when there is none */
int cli_image_inspect_one (struct skiff_cli *cli, const char *name, struct json_object **out, skiff_error_t *err);
int cli_image_history_main (struct skiff_cli *cli, int argc, char **argv);
int cli_image_tag_main (struct skiff_cli *cli, int argc, char **argv);
int cli_image_untag_main (struct skiff_cli *cli, int argc, char **argv);
int cli_image_exists_main (struct skiff_cli *cli, int argc, char **argv);
int cli_image_prune_main (struct skiff_cli *cli, int argc, char **argv);
/* run --pull: policy "missing" (NULL), "always", "never" or "newer"; pulls image when the policy says so.
 * Call before the engine enters its user namespace (credentials are looked up by UID). */
int cli_run_pull_policy (struct skiff_cli *cli, const char *policy, const char *image, skiff_error_t *err);

/* ps's --filter keys, for start --filter (ps.c): parse (podman's errors) with pod names resolved through e;
 * match (NULL matches every container); free */
struct cli_ctr_filters;
int cli_ctr_filters_new (struct skiff_engine *e, char **specs, struct cli_ctr_filters **out, skiff_error_t *err);
bool cli_ctr_filters_match (const struct cli_ctr_filters *cf, const struct skiff_container *c);
void cli_ctr_filters_free (struct cli_ctr_filters *cf);

/* lifecycle (ps.c, top.c): the container group lists them too */
int cli_ps_main (struct skiff_cli *cli, int argc, char **argv);
extern const struct cli_command cli_top_command;
extern const struct cli_command cli_pause_command;
extern const struct cli_command cli_unpause_command;

#endif
