/* Internal to the engine: a container's network, from its spec (create) or its record (start) to the runtime's
 * config, the record's fields, the container's /etc/hosts and /etc/resolv.conf, and the src/net session that
 * serves it. */
#ifndef SKIFF_ENGINE_NETWORK_H
#define SKIFF_ENGINE_NETWORK_H

#include "engine/internal.h"
#include "net/net.h"

struct skiff_container_config;
struct skiff_container_process;

struct skiff_engine_net
{
  enum skiff_netmode mode;
  bool explicit_mode; /* asked for by name (or by -p): a missing tun device is an error, not a warning */
  struct skiff_net_options opt;
  struct skiff_port *ports;
  size_t nports;
  const struct skiff_net_spec *spec; /* create: the DNS settings and host entries for the files */
  char *join_id;                     /* CONTAINER: the container joined */
  pid_t join_pid;                    /* CONTAINER, POD: the process whose namespaces are joined */
  enum skiff_netmode pod_mode;       /* with a pod: the pod's own network (for /etc/hosts and resolv.conf) */
  char *pod_id;
  bool pod_ipc, pod_uts; /* the pod shares these (and its network, or mode would not be POD) */
  char *pod_hostname;    /* with pod_uts: the hostname of the pod's UTS namespace */
  struct skiff_net *net; /* with slirp: bound ports, then the threads */
};

/* create: the spec's network, resolved: container:X's ID and PID, -P's ports from the image's EXPOSE, the tun
 * device (a default network on a host whose tun device is closed to users falls back to loopback only, with a
 * warning), the resolvers. n keeps a pointer to s. */
int skiff_engine_net_from_spec (struct skiff_engine *e, const struct skiff_net_spec *s, char *const *exposed,
                                struct skiff_engine_net *n, skiff_error_t *err);
/* start: the network the record describes (its ports as they were first bound); a pod's is the pod's
 * (skiff_pod_join) */
int skiff_engine_net_from_record (struct skiff_engine *e, const struct skiff_ctr_net *r, struct skiff_engine_net *n,
                                  skiff_error_t *err);
/* Bind the published ports (free ones chosen now). */
int skiff_engine_net_bind (struct skiff_engine_net *n, skiff_error_t *err);
/* What the record keeps */
void skiff_engine_net_to_record (const struct skiff_engine_net *n, struct skiff_ctr_net *out);
char *skiff_engine_net_resolv_conf (const struct skiff_engine_net *n);
char *skiff_engine_net_hosts (const struct skiff_engine_net *n, const char *hostname, const char *name);
void skiff_engine_net_config (struct skiff_engine_net *n, struct skiff_container_config *cfg);
/* The container runs: serve it (takes proc->tap_fd). */
int skiff_engine_net_started (struct skiff_engine_net *n, struct skiff_container_process *proc, skiff_error_t *err);
void skiff_engine_net_stopped (struct skiff_engine_net *n);
void skiff_engine_net_release (struct skiff_engine_net *n);
void skiff_engine_net_free (struct skiff_engine_net *n);

void skiff_ctr_net_copy (struct skiff_ctr_net *dst, const struct skiff_ctr_net *src);
void skiff_ctr_net_release (struct skiff_ctr_net *n);

/* pods.c: a container of pod p takes its namespaces: the pod's network (when it shares it), IPC, UTS and
 * hostname; join_pid is the infra's PID (0 while it does not run) */
void skiff_pod_join (const struct skiff_pod *p, struct skiff_engine_net *n);

#endif
