/* Internal to the engine: a container's network, from podman's options (or its record) to the runtime's config,
 * the record's fields, the container's /etc/hosts and /etc/resolv.conf, and the src/net session that serves it. */
#ifndef SKIFF_ENGINE_NETWORK_H
#define SKIFF_ENGINE_NETWORK_H

#include <json-c/json.h>

#include "engine/engine.h"
#include "net/net.h"

struct skiff_container_config;
struct skiff_container_process;

enum skiff_netmode
{
  SKIFF_NETMODE_SLIRP = 0, /* the default: a tap driven by libslirp */
  SKIFF_NETMODE_NONE,      /* loopback only */
  SKIFF_NETMODE_HOST,
  SKIFF_NETMODE_CONTAINER, /* container:X: X's network namespace */
  SKIFF_NETMODE_POD,       /* the pod's infra's network, IPC and UTS namespaces */
};

struct skiff_net_request
{
  const char *network; /* --network; NULL: the default */
  char **publish;      /* -p */
  bool publish_all;    /* -P */
  const char *mac_address;
  char **dns, **dns_search, **dns_option, **add_host;
};

struct skiff_engine_net
{
  enum skiff_netmode mode;
  bool explicit_mode; /* asked for by name (or by -p): a missing tun device is an error, not a warning */
  bool publish_all;
  char *record_mode; /* NetworkMode as recorded: "slirp4netns[:opts]", "none", "host", "container:ID" */
  struct skiff_net_options opt;
  struct skiff_port *ports;
  size_t nports;
  char **dns, **dns_search, **dns_option, **add_host;
  char *join_ref, *join_id;
  pid_t join_pid;
  enum skiff_netmode pod_mode; /* with a pod: the pod's own network (for /etc/hosts and resolv.conf) */
  char *pod_id;
  bool pod_ipc, pod_uts; /* the pod shares these (and its network, or mode would not be POD) */
  char *pod_hostname;    /* with pod_uts: the hostname of the pod's UTS namespace */
  struct skiff_net *net; /* with slirp: bound ports, then the threads */
};

/* Options only, no state: bad input fails here, before anything is made. */
int skiff_engine_net_parse (const struct skiff_net_request *req, struct skiff_engine_net *n, skiff_error_t *err);
/* What needs state: container:X's PID, -P's ports from the image's EXPOSE, the tun device (a default network
 * on a host whose tun device is closed to users falls back to loopback only, with a warning), the resolvers. */
int skiff_engine_net_resolve (struct skiff_engine *e, struct skiff_engine_net *n, char *const *exposed,
                              skiff_error_t *err);
/* Bind the published ports (free ones chosen now). */
int skiff_engine_net_bind (struct skiff_engine_net *n, skiff_error_t *err);
/* --pod: the pod's network (its infra started if it was not running); -p is the pod's business. */
int skiff_engine_net_join_pod (struct skiff_engine *e, const char *pod, struct skiff_engine_net *n, skiff_error_t *err);
void skiff_engine_net_record (const struct skiff_engine_net *n, json_object *rec);
/* start: the network the record describes (its ports as they were first bound) */
int skiff_engine_net_from_record (struct skiff_engine *e, json_object *rec, struct skiff_engine_net *n,
                                  skiff_error_t *err);
char *skiff_engine_net_resolv_conf (const struct skiff_engine_net *n);
char *skiff_engine_net_hosts (const struct skiff_engine_net *n, const char *hostname, const char *name);
void skiff_engine_net_config (struct skiff_engine_net *n, struct skiff_container_config *cfg);
/* The container runs: serve it (takes proc->tap_fd). */
int skiff_engine_net_started (struct skiff_engine_net *n, struct skiff_container_process *proc, skiff_error_t *err);
void skiff_engine_net_stopped (struct skiff_engine_net *n);
void skiff_engine_net_release (struct skiff_engine_net *n);

json_object *skiff_engine_ports_json (const struct skiff_port *ports, size_t n);
int skiff_engine_ports_from_json (json_object *a, struct skiff_port **ports, size_t *n);

#endif
