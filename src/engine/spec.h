/* What the user asked for, typed: the command layer fills these from its arguments (cli/specgen.c, as podman's
 * FillOutSpecGen fills a SpecGenerator) and the engine takes them; no string a user typed is parsed past here.
 * The value types come from the modules that own them (ports and slirp options: net; rlimits: runtime; the
 * restart policy: monitor), and so do their parsers, reached through the skiff_spec_parse_* functions below. */
#ifndef SKIFF_ENGINE_SPEC_H
#define SKIFF_ENGINE_SPEC_H

#include <stdbool.h>
#include <stdint.h>

#include "monitor/monitor.h"
#include "net/net.h"
#include "runtime/runtime.h"
#include "util/util.h"

/* podman's default for stop -t and --stop-timeout, in seconds */
#define SKIFF_DEFAULT_STOP_TIMEOUT 10

enum skiff_log_driver
{
  SKIFF_LOG_K8S_FILE = 0, /* podman's default */
  SKIFF_LOG_NONE,
  SKIFF_LOG_PASSTHROUGH, /* the container's stdio is skiff's own: foreground only, never a terminal */
  SKIFF_LOG_JSON_FILE,   /* podman's alias of k8s-file: written as k8s-file, named json-file in inspect */
};
/* k8s-file and its alias json-file: a log file skiff writes and `logs` reads */
static inline bool
skiff_log_driver_is_file (enum skiff_log_driver d)
{
  return d == SKIFF_LOG_K8S_FILE || d == SKIFF_LOG_JSON_FILE;
}

enum skiff_seccomp_mode
{
  SKIFF_SECCOMP_DEFAULT = 0, /* skiff's built-in profile (podman's default) */
  SKIFF_SECCOMP_UNCONFINED,
  SKIFF_SECCOMP_CUSTOM, /* a profile the user gave: its JSON text is carried along */
};

enum skiff_netmode
{
  SKIFF_NETMODE_SLIRP = 0, /* the default: a tap driven by libslirp */
  SKIFF_NETMODE_NONE,      /* loopback only */
  SKIFF_NETMODE_HOST,
  SKIFF_NETMODE_CONTAINER, /* container:X: X's network namespace */
  SKIFF_NETMODE_POD,       /* the pod's infra's network, IPC and UTS namespaces */
};

enum skiff_mount_type
{
  SKIFF_MOUNT_BIND = 0,
  SKIFF_MOUNT_TMPFS,
  SKIFF_MOUNT_VOLUME,
};

/* A mount the user asked for (-v, --mount, --tmpfs): none exist yet; the record and the runtime config carry
 * the list so that volumes and tmpfs plug in here. */
struct skiff_mount
{
  enum skiff_mount_type type;
  char *source; /* host path or volume name; NULL for tmpfs */
  char *destination;
  char **options; /* "ro", "nosuid", "size=64m", ... */
};

/* --volumes-from CTR[:ro|rw]: CTR's mounts, made read-only or writable, or as they are */
enum skiff_volumes_from_mode
{
  SKIFF_VOLUMES_FROM_AS_IS = 0,
  SKIFF_VOLUMES_FROM_RO,
  SKIFF_VOLUMES_FROM_RW,
};
struct skiff_volumes_from
{
  char *container; /* name or ID */
  enum skiff_volumes_from_mode mode;
};

struct skiff_kv
{
  char *key;
  char *value;
};

/* labels, annotations: later keys win */
struct skiff_kvlist
{
  struct skiff_kv *v;
  size_t n;
};

/* An argument vector that may be absent (take the image's) or given empty (cleared: --entrypoint "") */
struct skiff_argv
{
  char **v;
  bool set;
};

/* --add-host NAME:IP; host_gateway for podman's "host-gateway" (the host's own address, found when the file is
 * written) */
struct skiff_host_entry
{
  char *name;
  char *ip;
  bool host_gateway;
};

struct skiff_net_spec
{
  enum skiff_netmode mode; /* SLIRP, NONE, HOST or CONTAINER (POD comes from the spec's pod) */
  bool explicit_mode;      /* named by --network or implied by -p: a missing tun device is an error, not a warning */
  struct skiff_net_options slirp; /* slirp4netns options and --mac-address */
  char *container;                /* CONTAINER: the container whose network is joined, by name or ID */
  struct skiff_port *ports;       /* -p, host port 0: chosen when bound */
  size_t nports;
  bool publish_all;                /* -P: the image's EXPOSE'd ports too */
  char **dns;                      /* --dns addresses (checked), or { "none" } */
  char **dns_search, **dns_option; /* written into resolv.conf as given */
  struct skiff_host_entry *hosts;
  size_t nhosts;
};

/* --userns (podman's rootless meanings; the maps are of skiff's own user namespace, see docs/architecture.md) */
enum skiff_userns_mode
{
  SKIFF_USERNS_HOST = 0, /* "" or "host": skiff's own user namespace, the caller is root inside */
  SKIFF_USERNS_KEEP_ID,  /* keep-id[:uid=U,gid=G]: the caller's IDs inside are U and G (default: the caller's) */
};

struct skiff_userns_spec
{
  enum skiff_userns_mode mode;
  bool uid_set, gid_set; /* keep-id: uid= and gid= given */
  uint32_t uid, gid;
};

struct skiff_spec
{
  char *name;                   /* NULL: a generated one */
  char *image;                  /* the image as named; the engine finds it in the store */
  char *pod;                    /* --pod: a pod's name or ID; NULL: none */
  bool pod_new;                 /* --pod new:NAME: create pod NAME first, with this spec's network */
  struct skiff_argv entrypoint; /* not set: the image's; set and empty: cleared (and the image's CMD too) */
  struct skiff_argv cmd;        /* not set: the image's CMD */
  char **env;                   /* resolved KEY=VALUE (-e, --env-file), applied over the image's */
  char **unsetenv;              /* --unsetenv: names removed from the image's and podman's defaults */
  bool unsetenv_all;            /* --unsetenv-all: neither the image's environment nor the defaults */
  char *localtime;              /* --tz: the zone file's bytes, bound at /etc/localtime; NULL: the image's */
  size_t localtime_len;
  char *workdir;  /* NULL: the image's */
  char *user;     /* NULL: the image's; "uid", "name", "uid:gid", "name:group" */
  char *hostname; /* NULL: the ID's first 12 characters (or the pod's) */
  uint64_t caps;  /* the capability set, a bit per CAP_* number */
  bool privileged, no_new_privileges, read_only, read_only_tmpfs;
  enum skiff_seccomp_mode seccomp;
  char *seccomp_profile;        /* CUSTOM: the profile's JSON text */
  struct skiff_rlimit *rlimits; /* --ulimit, checked against the caller's hard limits */
  size_t nrlimits;
  struct skiff_net_spec net;
  struct skiff_restart restart;
  int stop_signal; /* 0: the image's StopSignal, else SIGTERM */
  bool stop_timeout_set;
  unsigned stop_timeout; /* seconds */
  enum skiff_log_driver log_driver;
  char *log_path;        /* absolute; NULL: ctr.log next to the container's layer */
  char *conmon_pidfile;  /* --conmon-pidfile, absolute; NULL: none */
  uint64_t log_max_size; /* 0: unlimited */
  bool tty, interactive, auto_remove;
  struct skiff_kvlist labels, annotations;
  struct skiff_mount *mounts;
  size_t nmounts;
  /* volumes (engine/mountspec.c, engine/volumes.c) */
  struct skiff_volumes_from *volumes_from;
  size_t nvolumes_from;
  struct skiff_userns_spec userns; /* --userns */
  bool keep_groups;                /* --group-add keep-groups */
};

/* podman's defaults: the default capabilities and network, --read-only-tmpfs */
void skiff_spec_init (struct skiff_spec *s);
void skiff_spec_release (struct skiff_spec *s);
void skiff_net_spec_release (struct skiff_net_spec *n);

struct skiff_pod_spec
{
  char *name; /* NULL: a generated one */
  char *hostname;
  struct skiff_net_spec net;
  bool share_ipc, share_net, share_uts;
  struct skiff_kvlist labels;
};
void skiff_pod_spec_init (struct skiff_pod_spec *p);
void skiff_pod_spec_release (struct skiff_pod_spec *p);

/* skiff exec */
struct skiff_exec_spec
{
  char **command;
  char **env;           /* resolved KEY=VALUE, over the container's */
  char *user, *workdir; /* NULL: the container's */
  bool interactive, tty, detach, privileged;
};
void skiff_exec_spec_release (struct skiff_exec_spec *x);

void skiff_kvlist_set (struct skiff_kvlist *l, const char *key, const char *value);
const char *skiff_kvlist_get (const struct skiff_kvlist *l, const char *key);
void skiff_kvlist_copy (struct skiff_kvlist *dst, const struct skiff_kvlist *src);
void skiff_kvlist_release (struct skiff_kvlist *l);
void skiff_mounts_free (struct skiff_mount *m, size_t n);
struct skiff_mount *skiff_mounts_dup (const struct skiff_mount *m, size_t n);

/* ---- the parsers of spec values, each the owning module's (for the command layer) ---- */

/* "no", "on-failure[:N]", "always", "unless-stopped" ("" is "no"), with podman's errors */
int skiff_spec_parse_restart (const char *s, struct skiff_restart *out, skiff_error_t *err);
/* A signal by name ("TERM", "SIGTERM", "RTMIN+1", case-insensitive) or number, an optional leading dash
 * dropped (podman's ParseSignal); -1 with podman's error ("invalid signal: X", "valid signals are 1 through
 * 64") when invalid. err may be NULL. */
int skiff_signal_parse (const char *s, skiff_error_t *err);
/* "SIGTERM" for SIGTERM; a number's text for one without a name here. */
const char *skiff_signal_name (int sig, char *buf, size_t len);
/* --cap-add/--cap-drop over podman's default set (privileged: every capability skiff may grant) */
int skiff_spec_parse_caps (bool privileged, char *const *add, char *const *drop, uint64_t *out, skiff_error_t *err);
/* --ulimit NAME=SOFT[:HARD], checked against the caller's own hard limit; appended */
int skiff_spec_parse_ulimit (const char *s, struct skiff_rlimit **v, size_t *n, skiff_error_t *err);
/* -p [[ip:][hostPort]:]containerPort[/proto], ranges; appended */
int skiff_spec_parse_publish (const char *s, struct skiff_port **ports, size_t *n, skiff_error_t *err);
/* The published ports together: allowed host ports (ip_unprivileged_port_start), none twice */
int skiff_spec_check_ports (const struct skiff_port *ports, size_t n, skiff_error_t *err);
/* slirp4netns's options ("allow_host_loopback=true,mtu=1500"; NULL: the defaults) */
int skiff_spec_parse_slirp (const char *options, struct skiff_net_options *o, skiff_error_t *err);
/* -e NAME=VALUE, or NAME taken from skiff's environment, merged into *env */
void skiff_spec_env_add (char ***env, const char *kv);
/* --env-file FILE's lines merged into *env */
int skiff_spec_env_file (const char *file, char ***env, skiff_error_t *err);

/* ---- mounts (mountspec.c): podman's grammar, with its errors; each appends to *v ---- */
/* podman's volume name rule, [a-zA-Z0-9][a-zA-Z0-9_.-]* */
bool skiff_volume_name_valid (const char *name);
/* -v SRC:DST[:OPTS] (SRC a host path, absolute or ./relative, or a volume's name) or -v DST (anonymous) */
int skiff_spec_parse_volume (const char *arg, struct skiff_mount **v, size_t *n, skiff_error_t *err);
/* --mount type=bind|volume|tmpfs,src=,dst=,ro,bind-propagation=,tmpfs-size=,tmpfs-mode=,U,... */
int skiff_spec_parse_mount (const char *arg, struct skiff_mount **v, size_t *n, skiff_error_t *err);
/* --tmpfs DST[:size=,mode=,ro,...] */
int skiff_spec_parse_tmpfs (const char *arg, struct skiff_mount **v, size_t *n, skiff_error_t *err);
/* --volumes-from CTR[:ro|rw] */
int skiff_spec_parse_volumes_from (const char *arg, struct skiff_volumes_from **v, size_t *n, skiff_error_t *err);
void skiff_volumes_from_free (struct skiff_volumes_from *v, size_t n);
/* The mounts together: one per destination (the same mount twice is kept once), none over /, /proc, /sys or
 * /dev/pts; *n may shrink */
int skiff_spec_check_mounts (struct skiff_mount *v, size_t *n, skiff_error_t *err);
/* --userns MODE: "", host, keep-id[:uid=U,gid=G]; podman's errors for the rest (exit 125) */
int skiff_spec_parse_userns (const char *s, struct skiff_userns_spec *out, skiff_error_t *err);

#endif
