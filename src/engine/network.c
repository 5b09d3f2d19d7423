/* A container's network, typed (from its spec at create, from its record at start) -> what the runtime and
 * src/net need, what the record keeps, and the container's /etc/hosts and /etc/resolv.conf. The options were
 * parsed by the command layer. */
#include "engine/network.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>

#include "runtime/runtime.h"

#define HOST_RESOLV_CONF "/etc/resolv.conf"
#define HOST_HOSTS "/etc/hosts"
#define HOST_GATEWAY_NAME "host.containers.internal"
#define PORT_MAX 65535

/* container:X: X must exist when the container is made, and run when it starts (as podman: create may name a
 * container that is only created); a container on the host's network is shared, not joined (the host's network
 * cannot be entered from skiff's user namespace, and need not be) */
static int
resolve_container (struct skiff_engine *e, const char *ref, bool must_run, struct skiff_engine_net *n,
                   skiff_error_t *err)
{
  struct skiff_container *c = NULL;
  if (skiff_engine_container_lookup (e, ref, &c, err) < 0)
    return skiff_error_wrap (err, "--network container:%s", ref);
  int r = 0;
  bool running = c->state == SKIFF_CTR_RUNNING && c->pid > 0 && kill (c->pid, 0) == 0;
  if (must_run && !running)
    r = skiff_error_set_status (err, EINVAL,
                                "cannot join the network of container %s: it is not running (start it first)", ref);
  else
    {
      n->join_pid = running ? c->pid : 0;
      free (n->join_id);
      n->join_id = xstrdup (c->id);
      if (c->net.mode == SKIFF_NETMODE_HOST)
        n->mode = SKIFF_NETMODE_HOST;
    }
  skiff_container_free (c);
  return r;
}

/* -P: the image's EXPOSE'd ports ("80/tcp", "53/udp") not published already, on free host ports */
static void
publish_exposed (struct skiff_engine_net *n, char *const *exposed)
{
  for (size_t i = 0; exposed && exposed[i]; i++)
    {
      long long port;
      char buf[32];
      snprintf (buf, sizeof buf, "%s", exposed[i]);
      char *slash = strchr (buf, '/');
      bool udp = slash && strcmp (slash + 1, "udp") == 0;
      if (slash)
        *slash = '\0';
      if (!str_to_llong (buf, 1, PORT_MAX, &port))
        continue;
      bool have = false;
      for (size_t k = 0; k < n->nports; k++)
        have |= n->ports[k].container_port == port && n->ports[k].udp == udp;
      if (have)
        continue;
      n->ports = xrealloc (n->ports, (n->nports + 1) * sizeof *n->ports);
      n->ports[n->nports++]
          = (struct skiff_port){ .host_ip = { htonl (INADDR_ANY) }, .container_port = (uint16_t) port, .udp = udp };
    }
}

/* slirp: the tun device must open (the default network falls back to loopback only), the resolvers */
static int
resolve_slirp (struct skiff_engine_net *n, skiff_error_t *err)
{
  if (skiff_net_tun_check (err) < 0)
    {
      if (n->explicit_mode)
        return -1;
      /* the default network on a host that keeps the tun device from users: run, but say so */
      log_warning ("%s; the container runs with loopback only (--network none)", (*err)->msg);
      skiff_error_release (err);
      n->mode = SKIFF_NETMODE_NONE;
      free (n->ports);
      n->ports = NULL;
      n->nports = 0;
      return 0;
    }
  skiff_net_find_upstream (&n->opt, HOST_RESOLV_CONF);
  return 0;
}

int
skiff_engine_net_from_spec (struct skiff_engine *e, const struct skiff_net_spec *s, char *const *exposed,
                            struct skiff_engine_net *n, skiff_error_t *err)
{
  memset (n, 0, sizeof *n);
  n->spec = s;
  n->mode = s->mode;
  n->explicit_mode = s->explicit_mode;
  n->opt = s->slirp;
  if (s->nports)
    {
      n->ports = xmalloc0 (s->nports * sizeof *n->ports);
      memcpy (n->ports, s->ports, s->nports * sizeof *n->ports);
      n->nports = s->nports;
    }
  if (n->mode == SKIFF_NETMODE_CONTAINER)
    return resolve_container (e, s->container, false, n, err);
  if (n->mode != SKIFF_NETMODE_SLIRP)
    return 0;
  if (s->publish_all)
    publish_exposed (n, exposed);
  return resolve_slirp (n, err);
}

int
skiff_engine_net_from_record (struct skiff_engine *e, const struct skiff_ctr_net *r, struct skiff_engine_net *n,
                              skiff_error_t *err)
{
  memset (n, 0, sizeof *n);
  n->mode = r->mode;
  n->opt = r->slirp;
  /* a container that had a network gets it or fails, not a silent change */
  n->explicit_mode = true;
  if (n->mode == SKIFF_NETMODE_CONTAINER)
    return resolve_container (e, r->join_id ? r->join_id : "", true, n, err);
  if (n->mode != SKIFF_NETMODE_SLIRP)
    return 0;
  if (r->nports)
    {
      n->ports = xmalloc0 (r->nports * sizeof *n->ports);
      memcpy (n->ports, r->ports, r->nports * sizeof *n->ports);
      n->nports = r->nports;
    }
  return resolve_slirp (n, err);
}

int
skiff_engine_net_bind (struct skiff_engine_net *n, skiff_error_t *err)
{
  if (n->mode != SKIFF_NETMODE_SLIRP || n->net)
    return 0;
  return skiff_net_new (&n->opt, n->ports, n->nports, &n->net, err);
}

void
skiff_engine_net_to_record (const struct skiff_engine_net *n, struct skiff_ctr_net *out)
{
  memset (out, 0, sizeof *out);
  out->mode = n->mode;
  out->slirp = n->opt;
  /* the resolvers are found again at each start */
  out->slirp.ndns_upstream = 0;
  if (n->mode == SKIFF_NETMODE_CONTAINER)
    out->join_id = xstrdup (n->join_id ? n->join_id : "");
  if (n->mode == SKIFF_NETMODE_POD)
    out->join_id = xstrdup (n->pod_id ? n->pod_id : "");
  if (n->nports)
    {
      out->ports = xmalloc0 (n->nports * sizeof *out->ports);
      memcpy (out->ports, n->ports, n->nports * sizeof *out->ports);
      out->nports = n->nports;
    }
}

void
skiff_ctr_net_copy (struct skiff_ctr_net *dst, const struct skiff_ctr_net *src)
{
  *dst = *src;
  dst->join_id = src->join_id ? xstrdup (src->join_id) : NULL;
  dst->ports = NULL;
  if (src->nports)
    {
      dst->ports = xmalloc0 (src->nports * sizeof *dst->ports);
      memcpy (dst->ports, src->ports, src->nports * sizeof *dst->ports);
    }
}

void
skiff_ctr_net_release (struct skiff_ctr_net *n)
{
  free (n->join_id);
  free (n->ports);
  memset (n, 0, sizeof *n);
}

/* ---- /etc/hosts and /etc/resolv.conf ---- */

/* the host's first address that is not loopback: what host.containers.internal names */
static bool
host_address (char *buf, size_t len)
{
  struct ifaddrs *ifa = NULL;
  bool found = false;
  if (getifaddrs (&ifa) < 0)
    return false;
  for (struct ifaddrs *i = ifa; i && !found; i = i->ifa_next)
    if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && !(i->ifa_flags & IFF_LOOPBACK) && (i->ifa_flags & IFF_UP))
      found = inet_ntop (AF_INET, &((struct sockaddr_in *) i->ifa_addr)->sin_addr, buf, (socklen_t) len) != NULL;
  freeifaddrs (ifa);
  return found;
}

static void append (char **s, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static void
append (char **s, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *add = NULL;
  if (vasprintf (&add, fmt, ap) < 0)
    abort ();
  va_end (ap);
  char *n = xasprintf ("%s%s", *s ? *s : "", add);
  free (add);
  free (*s);
  *s = n;
}

static bool
is_loopback_nameserver (const char *line)
{
  char ns[64];
  if (sscanf (line, " nameserver %63s", ns) != 1)
    return false;
  return str_has_prefix (ns, "127.") || strcmp (ns, "::1") == 0;
}

char *
skiff_engine_net_resolv_conf (const struct skiff_engine_net *pn)
{
  struct skiff_engine_net view = *pn;
  if (view.mode == SKIFF_NETMODE_POD)
    view.mode = view.pod_mode;
  const struct skiff_engine_net *n = &view;
  static const struct skiff_net_spec none = { 0 };
  const struct skiff_net_spec *s = n->spec ? n->spec : &none;
  cleanup_free char *host = NULL;
  char *out = NULL;
  read_file (HOST_RESOLV_CONF, &host, NULL, NULL);
  bool custom_ns = s->dns && s->dns[0];
  bool no_dns = custom_ns && strcmp (s->dns[0], "none") == 0;
  if (n->mode == SKIFF_NETMODE_SLIRP && !custom_ns)
    {
      char a[INET_ADDRSTRLEN];
      struct in_addr dns = skiff_net_addr (&n->opt, SKIFF_NET_DNS);
      inet_ntop (AF_INET, &dns, a, sizeof a);
      append (&out, "nameserver %s\n", a);
    }
  for (size_t i = 0; custom_ns && !no_dns && s->dns[i]; i++)
    append (&out, "nameserver %s\n", s->dns[i]);
  if (s->dns_search && s->dns_search[0])
    {
      if (strcmp (s->dns_search[0], ".") != 0)
        {
          append (&out, "search");
          for (size_t i = 0; s->dns_search[i]; i++)
            append (&out, " %s", s->dns_search[i]);
          append (&out, "\n");
        }
    }
  if (s->dns_option && s->dns_option[0])
    {
      append (&out, "options");
      for (size_t i = 0; s->dns_option[i]; i++)
        append (&out, " %s", s->dns_option[i]);
      append (&out, "\n");
    }
  char *save = NULL;
  for (char *l = host ? strtok_r (host, "\n", &save) : NULL; l; l = strtok_r (NULL, "\n", &save))
    {
      bool ns = str_has_prefix (l, "nameserver");
      if (ns && (custom_ns || n->mode == SKIFF_NETMODE_SLIRP))
        continue; /* the forwarder (or --dns) answers; the host's own resolvers stay the host's */
      if (ns && n->mode != SKIFF_NETMODE_HOST && is_loopback_nameserver (l))
        continue; /* unreachable from another network namespace */
      if (str_has_prefix (l, "search") && s->dns_search && s->dns_search[0])
        continue;
      if (str_has_prefix (l, "options") && s->dns_option && s->dns_option[0])
        continue;
      append (&out, "%s\n", l);
    }
  return out ? out : xstrdup ("");
}

char *
skiff_engine_net_hosts (const struct skiff_engine_net *pn, const char *hostname, const char *name)
{
  struct skiff_engine_net view = *pn;
  if (view.mode == SKIFF_NETMODE_POD)
    view.mode = view.pod_mode;
  const struct skiff_engine_net *n = &view;
  char *out = NULL;
  for (size_t i = 0; n->spec && i < n->spec->nhosts; i++)
    {
      const struct skiff_host_entry *h = &n->spec->hosts[i];
      const char *ip = h->ip;
      char hostip[INET_ADDRSTRLEN] = "10.0.2.2";
      if (h->host_gateway)
        {
          host_address (hostip, sizeof hostip);
          ip = hostip;
        }
      append (&out, "%s\t%s\n", ip, h->name);
    }
  if (n->mode == SKIFF_NETMODE_HOST)
    {
      cleanup_free char *host = NULL;
      if (read_file (HOST_HOSTS, &host, NULL, NULL) == 0)
        append (&out, "%s%s", host, host[0] && host[strlen (host) - 1] != '\n' ? "\n" : "");
      return out ? out : xstrdup ("");
    }
  append (&out, "127.0.0.1\tlocalhost localhost.localdomain localhost4 localhost4.localdomain4\n"
                "::1\tlocalhost localhost.localdomain localhost6 localhost6.localdomain6\n");
  if (n->mode == SKIFF_NETMODE_SLIRP)
    {
      char a[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];
      struct in_addr me = skiff_net_addr (&n->opt, SKIFF_NET_CONTAINER);
      struct in_addr g = skiff_net_addr (&n->opt, SKIFF_NET_GATEWAY);
      inet_ntop (AF_INET, &me, a, sizeof a);
      inet_ntop (AF_INET, &g, gw, sizeof gw);
      append (&out, "%s\t%s %s\n", a, hostname, name);
      /* podman: the gateway when it leads to the host's loopback, else the host's own address, which the
       * container reaches through slirp like any other */
      char hostip[INET_ADDRSTRLEN];
      if (n->opt.allow_host_loopback || !host_address (hostip, sizeof hostip))
        snprintf (hostip, sizeof hostip, "%s", gw);
      append (&out, "%s\t%s host.docker.internal\n", hostip, HOST_GATEWAY_NAME);
    }
  else
    append (&out, "127.0.1.1\t%s %s\n", hostname, name);
  return out;
}

/* ---- the runtime's part ---- */

static int
tap_in_child (void *data, int *fd, skiff_error_t *err)
{
  const struct skiff_engine_net *n = data;
  return skiff_net_tap_setup (&n->opt, fd, err);
}

void
skiff_engine_net_config (struct skiff_engine_net *n, struct skiff_container_config *cfg)
{
  /* a pod on the host's network has no namespace to join (nor may one enter the host's from skiff's user
   * namespace): its containers use the host's network as the infra does */
  bool pod_host = n->mode == SKIFF_NETMODE_POD && n->pod_mode == SKIFF_NETMODE_HOST;
  cfg->share_host_network = n->mode == SKIFF_NETMODE_HOST || pod_host;
  cfg->join_net_pid
      = (n->mode == SKIFF_NETMODE_CONTAINER || n->mode == SKIFF_NETMODE_POD) && !pod_host ? n->join_pid : 0;
  cfg->join_ipc_pid = n->pod_id && n->pod_ipc ? n->join_pid : 0;
  cfg->join_uts_pid = n->pod_id && n->pod_uts ? n->join_pid : 0;
  if (n->mode == SKIFF_NETMODE_SLIRP)
    {
      cfg->net_setup = tap_in_child;
      cfg->net_setup_data = n;
    }
}

int
skiff_engine_net_started (struct skiff_engine_net *n, struct skiff_container_process *proc, skiff_error_t *err)
{
  int tap = proc->tap_fd;
  proc->tap_fd = -1;
  if (n->net == NULL)
    {
      if (tap >= 0)
        close (tap);
      return 0;
    }
  return skiff_net_start (n->net, tap, proc->pid, err);
}

void
skiff_engine_net_stopped (struct skiff_engine_net *n)
{
  if (n->net)
    skiff_net_stop (n->net);
}

void
skiff_engine_net_release (struct skiff_engine_net *n)
{
  skiff_net_free (n->net);
  free (n->ports);
  free (n->join_id);
  free (n->pod_id);
  free (n->pod_hostname);
  memset (n, 0, sizeof *n);
}

void
skiff_engine_net_free (struct skiff_engine_net *n)
{
  if (n == NULL)
    return;
  skiff_engine_net_release (n);
  free (n);
}
