/* A container's network as podman describes it (--network, -p, -P, --dns*, --add-host, --mac-address) ->
 * what the runtime and src/net need, what the record keeps, and the container's /etc/hosts and
 * /etc/resolv.conf. */
#include "engine/network.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <json-c/json.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>

#include "runtime/runtime.h"

#define HOST_RESOLV_CONF "/etc/resolv.conf"
#define HOST_HOSTS "/etc/hosts"
#define HOST_GATEWAY_NAME "host.containers.internal"

static int
parse_mac (const char *s, uint8_t mac[6], skiff_error_t *err)
{
  unsigned v[6];
  char end;
  if (sscanf (s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &end) != 6)
    return skiff_error_set_status (err, EINVAL,
                                   "invalid --mac-address \"%s\": give six hex bytes, as 92:d0:c6:0a:29:33", s);
  for (int i = 0; i < 6; i++)
    {
      if (v[i] > 0xff)
        return skiff_error_set_status (err, EINVAL, "invalid --mac-address \"%s\"", s);
      mac[i] = (uint8_t) v[i];
    }
  if (mac[0] & 1)
    return skiff_error_set_status (err, EINVAL,
                                   "invalid --mac-address \"%s\": a multicast address cannot be a "
                                   "device's address",
                                   s);
  return 0;
}

static int
check_add_host (const char *h, skiff_error_t *err)
{
  const char *colon = strchr (h, ':');
  if (colon == NULL || colon == h || colon[1] == '\0')
    return skiff_error_set_status (err, EINVAL, "invalid --add-host \"%s\": use HOST:IP", h);
  const char *ip = colon + 1;
  struct in6_addr a;
  if (strcmp (ip, "host-gateway") != 0 && inet_pton (AF_INET, ip, &a) != 1 && inet_pton (AF_INET6, ip, &a) != 1)
    return skiff_error_set_status (err, EINVAL, "invalid IP address in add-host: \"%s\"", ip);
  return 0;
}

int
skiff_engine_net_parse (const struct skiff_net_request *req, struct skiff_engine_net *n, skiff_error_t *err)
{
  memset (n, 0, sizeof *n);
  const char *mode = req->network;
  if (skiff_net_options_parse (NULL, &n->opt, err) < 0)
    return -1;
  if (mode == NULL || *mode == '\0' || strcmp (mode, "private") == 0 || strcmp (mode, "default") == 0)
    {
      n->mode = SKIFF_NETMODE_SLIRP;
      n->record_mode = xstrdup ("slirp4netns");
    }
  else if (strcmp (mode, "slirp4netns") == 0 || str_has_prefix (mode, "slirp4netns:"))
    {
      n->mode = SKIFF_NETMODE_SLIRP;
      n->explicit_mode = true;
      if (mode[strlen ("slirp4netns")] == ':'
          && skiff_net_options_parse (mode + strlen ("slirp4netns:"), &n->opt, err) < 0)
        return -1;
      n->record_mode = xstrdup (mode);
    }
  else if (strcmp (mode, "none") == 0)
    n->mode = SKIFF_NETMODE_NONE;
  else if (strcmp (mode, "host") == 0)
    n->mode = SKIFF_NETMODE_HOST;
  else if (str_has_prefix (mode, "container:"))
    {
      if (mode[strlen ("container:")] == '\0')
        return skiff_error_set_status (err, EINVAL, "invalid --network container: give container:NAME or container:ID");
      n->mode = SKIFF_NETMODE_CONTAINER;
      n->join_ref = xstrdup (mode + strlen ("container:"));
    }
  else if (str_has_prefix (mode, "ns:"))
    return skiff_error_set_status (err, EINVAL, "--network ns:PATH is not supported by skiff: use container:NAME");
  else if (strcmp (mode, "pasta") == 0 || str_has_prefix (mode, "pasta:"))
    return skiff_error_set_status (err, EINVAL,
                                   "network mode \"pasta\" is not supported by skiff: its slirp4netns "
                                   "mode (the default) needs no helper; use --network slirp4netns");
  else
    return skiff_error_set_status (err, EINVAL,
                                   "network mode \"%s\" is not supported: skiff runs rootless containers with "
                                   "slirp4netns (the default), none, host or container:NAME, and has no named networks",
                                   mode);
  if (n->record_mode == NULL)
    n->record_mode = xstrdup (mode);

  for (size_t i = 0; req->publish && req->publish[i]; i++)
    if (skiff_port_parse (req->publish[i], &n->ports, &n->nports, err) < 0)
      return -1;
  if (n->nports && n->mode != SKIFF_NETMODE_SLIRP)
    {
      log_warning ("Port mappings have been discarded as one of the Host, Container, Pod, and None network modes are "
                   "in use");
      free (n->ports);
      n->ports = NULL;
      n->nports = 0;
    }
  else if (n->nports)
    n->explicit_mode = true;
  if (skiff_ports_check (n->ports, n->nports, err) < 0)
    return -1;
  if (req->mac_address)
    {
      if (parse_mac (req->mac_address, n->opt.mac, err) < 0)
        return -1;
      n->opt.mac_set = true;
    }
  for (size_t i = 0; req->add_host && req->add_host[i]; i++)
    if (check_add_host (req->add_host[i], err) < 0)
      return -1;
  for (size_t i = 0; req->dns && req->dns[i]; i++)
    {
      struct in6_addr a;
      if (strcmp (req->dns[i], "none") != 0 && inet_pton (AF_INET, req->dns[i], &a) != 1
          && inet_pton (AF_INET6, req->dns[i], &a) != 1)
        return skiff_error_set_status (err, EINVAL, "%s is not an ip address", req->dns[i]);
    }
  n->dns = strv_dup (req->dns);
  n->dns_search = strv_dup (req->dns_search);
  n->dns_option = strv_dup (req->dns_option);
  n->add_host = strv_dup (req->add_host);
  n->publish_all = req->publish_all;
  return 0;
}

int
skiff_engine_net_resolve (struct skiff_engine *e, struct skiff_engine_net *n, char *const *exposed, skiff_error_t *err)
{
  if (n->mode == SKIFF_NETMODE_CONTAINER)
    {
      json_object *rec = NULL;
      if (skiff_engine_container_lookup (e, n->join_ref, &rec, err) < 0)
        return skiff_error_wrap (err, "--network container:%s", n->join_ref);
      const char *status = skiff_record_string (rec, "Status");
      json_object *jpid = NULL;
      int pid = json_object_object_get_ex (rec, "Pid", &jpid) ? json_object_get_int (jpid) : 0;
      const char *id = skiff_record_string (rec, "Id");
      if (status == NULL || strcmp (status, "running") != 0 || pid <= 0 || kill (pid, 0) < 0)
        {
          skiff_error_set_status (err, EINVAL,
                                  "cannot join the network of container %s: it is not running (start it "
                                  "first)",
                                  n->join_ref);
          json_object_put (rec);
          return -1;
        }
      n->join_pid = pid;
      n->join_id = xstrdup (id ? id : n->join_ref);
      /* the host's network cannot be entered from skiff's user namespace, and need not be: share it */
      const char *their = skiff_record_string (rec, "NetworkMode");
      if (their && strcmp (their, "host") == 0)
        n->mode = SKIFF_NETMODE_HOST;
      free (n->record_mode);
      n->record_mode = xasprintf ("container:%s", n->join_id);
      json_object_put (rec);
      return 0;
    }
  if (n->mode != SKIFF_NETMODE_SLIRP)
    return 0;
  if (n->publish_all)
    for (size_t i = 0; exposed && exposed[i]; i++)
      {
        long long port;
        char buf[32];
        snprintf (buf, sizeof buf, "%s", exposed[i]);
        char *slash = strchr (buf, '/');
        bool udp = slash && strcmp (slash + 1, "udp") == 0;
        if (slash)
          *slash = '\0';
        if (!str_to_llong (buf, 1, 65535, &port))
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
  if (skiff_net_tun_check (err) < 0)
    {
      if (n->explicit_mode)
        return -1;
      /* the default network on a host that keeps the tun device from users: run, but say so */
      log_warning ("%s; the container runs with loopback only (--network none)", (*err)->msg);
      skiff_error_release (err);
      n->mode = SKIFF_NETMODE_NONE;
      free (n->record_mode);
      n->record_mode = xstrdup ("none");
      return 0;
    }
  skiff_net_find_upstream (&n->opt, HOST_RESOLV_CONF);
  return 0;
}

int
skiff_engine_net_join_pod (struct skiff_engine *e, const char *pod, struct skiff_engine_net *n, skiff_error_t *err)
{
  if (n->nports || n->publish_all)
    return skiff_error_set_status (
        err, EINVAL,
        "invalid config provided: published or exposed ports must be defined when the pod is "
        "created: network cannot be configured when it is shared with a pod");
  if (n->explicit_mode || n->mode != SKIFF_NETMODE_SLIRP)
    return skiff_error_set_status (err, EINVAL,
                                   "invalid config provided: --network cannot be given with --pod: the "
                                   "container uses the pod's network");
  json_object *rec = NULL;
  pid_t infra = 0;
  if (skiff_engine_pod_infra_start (e, pod, &infra, err) < 0 || skiff_engine_pod_lookup (e, pod, &rec, err) < 0)
    return -1;
  struct skiff_engine_net pn = { 0 };
  const char *mode = skiff_record_string (rec, "NetworkMode");
  struct skiff_net_request req = { .network = mode };
  int r = skiff_engine_net_parse (&req, &pn, err);
  bool share_net = false;
  json_object *share = NULL;
  json_object_object_get_ex (rec, "SharedNamespaces", &share);
  for (size_t i = 0; share && i < json_object_array_length (share); i++)
    {
      const char *k = json_object_get_string (json_object_array_get_idx (share, i));
      share_net |= strcmp (k, "net") == 0;
      n->pod_ipc |= strcmp (k, "ipc") == 0;
      n->pod_uts |= strcmp (k, "uts") == 0;
    }
  const char *id = skiff_record_string (rec, "Id");
  n->pod_id = xstrdup (id ? id : pod);
  const char *hostname = skiff_record_string (rec, "Hostname");
  n->pod_hostname = n->pod_uts && hostname ? xstrdup (hostname) : NULL;
  n->join_pid = infra;
  if (r == 0 && share_net)
    {
      n->pod_mode = pn.mode;
      n->opt = pn.opt;
      n->mode = SKIFF_NETMODE_POD;
      free (n->record_mode);
      n->record_mode = xasprintf ("pod:%s", n->pod_id);
    }
  else if (r == 0)
    r = skiff_engine_net_resolve (e, n, NULL, err); /* a network of its own */
  skiff_engine_net_release (&pn);
  json_object_put (rec);
  return r;
}

int
skiff_engine_net_bind (struct skiff_engine_net *n, skiff_error_t *err)
{
  if (n->mode != SKIFF_NETMODE_SLIRP)
    return 0;
  return skiff_net_new (&n->opt, n->ports, n->nports, &n->net, err);
}

/* ---- the record ---- */

json_object *
skiff_engine_ports_json (const struct skiff_port *ports, size_t n)
{
  json_object *a = json_object_new_array ();
  for (size_t i = 0; i < n; i++)
    {
      json_object *p = json_object_new_object ();
      char ip[INET_ADDRSTRLEN] = "";
      if (ports[i].host_ip.s_addr != htonl (INADDR_ANY))
        inet_ntop (AF_INET, &ports[i].host_ip, ip, sizeof ip);
      json_object_object_add (p, "host_ip", json_object_new_string (ip));
      json_object_object_add (p, "container_port", json_object_new_int (ports[i].container_port));
      json_object_object_add (p, "host_port", json_object_new_int (ports[i].host_port));
      json_object_object_add (p, "range", json_object_new_int (1));
      json_object_object_add (p, "protocol", json_object_new_string (ports[i].udp ? "udp" : "tcp"));
      json_object_array_add (a, p);
    }
  return a;
}

void
skiff_engine_net_record (const struct skiff_engine_net *n, json_object *rec)
{
  json_object_object_add (rec, "NetworkMode", json_object_new_string (n->record_mode));
  json_object_object_add (rec, "PortMappings", skiff_engine_ports_json (n->ports, n->nports));
  if (n->pod_id)
    json_object_object_add (rec, "Pod", json_object_new_string (n->pod_id));
  if (n->opt.mac_set)
    {
      char mac[18];
      snprintf (mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", n->opt.mac[0], n->opt.mac[1], n->opt.mac[2],
                n->opt.mac[3], n->opt.mac[4], n->opt.mac[5]);
      json_object_object_add (rec, "MacAddress", json_object_new_string (mac));
    }
}

int
skiff_engine_ports_from_json (json_object *a, struct skiff_port **ports, size_t *n)
{
  *ports = NULL;
  *n = 0;
  if (a == NULL || !json_object_is_type (a, json_type_array))
    return 0;
  size_t len = json_object_array_length (a);
  *ports = xmalloc0 ((len + 1) * sizeof **ports);
  for (size_t i = 0; i < len; i++)
    {
      json_object *p = json_object_array_get_idx (a, i), *v;
      struct skiff_port port = { .host_ip = { htonl (INADDR_ANY) } };
      if (json_object_object_get_ex (p, "host_ip", &v) && *json_object_get_string (v))
        inet_pton (AF_INET, json_object_get_string (v), &port.host_ip);
      if (json_object_object_get_ex (p, "container_port", &v))
        port.container_port = (uint16_t) json_object_get_int (v);
      if (json_object_object_get_ex (p, "host_port", &v))
        port.host_port = (uint16_t) json_object_get_int (v);
      if (json_object_object_get_ex (p, "protocol", &v))
        port.udp = strcmp (json_object_get_string (v), "udp") == 0;
      (*ports)[(*n)++] = port;
    }
  return 0;
}

int
skiff_engine_net_from_record (struct skiff_engine *e, json_object *rec, struct skiff_engine_net *n, skiff_error_t *err)
{
  const char *mode = skiff_record_string (rec, "NetworkMode");
  /* records from before networking said "private" for loopback only */
  if (mode && strcmp (mode, "private") == 0)
    mode = "none";
  const char *pod = skiff_record_string (rec, "Pod");
  if (pod && *pod)
    {
      struct skiff_net_request preq = { 0 };
      if (skiff_engine_net_parse (&preq, n, err) < 0)
        return -1;
      return skiff_engine_net_join_pod (e, pod, n, err);
    }
  const char *mac = skiff_record_string (rec, "MacAddress");
  struct skiff_net_request req = { .network = mode, .mac_address = mac };
  if (skiff_engine_net_parse (&req, n, err) < 0)
    return -1;
  json_object *ports = NULL;
  json_object_object_get_ex (rec, "PortMappings", &ports);
  if (n->mode == SKIFF_NETMODE_SLIRP)
    skiff_engine_ports_from_json (ports, &n->ports, &n->nports);
  n->explicit_mode = true; /* a container that had a network gets it or fails, not a silent change */
  return skiff_engine_net_resolve (e, n, NULL, err);
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
  cleanup_free char *host = NULL;
  char *out = NULL;
  read_file (HOST_RESOLV_CONF, &host, NULL, NULL);
  bool custom_ns = n->dns && n->dns[0];
  bool no_dns = custom_ns && strcmp (n->dns[0], "none") == 0;
  if (n->mode == SKIFF_NETMODE_SLIRP && !custom_ns)
    {
      char a[INET_ADDRSTRLEN];
      struct in_addr dns = skiff_net_addr (&n->opt, SKIFF_NET_DNS);
      inet_ntop (AF_INET, &dns, a, sizeof a);
      append (&out, "nameserver %s\n", a);
    }
  for (size_t i = 0; custom_ns && !no_dns && n->dns[i]; i++)
    append (&out, "nameserver %s\n", n->dns[i]);
  if (n->dns_search && n->dns_search[0])
    {
      if (strcmp (n->dns_search[0], ".") != 0)
        {
          append (&out, "search");
          for (size_t i = 0; n->dns_search[i]; i++)
            append (&out, " %s", n->dns_search[i]);
          append (&out, "\n");
        }
    }
  if (n->dns_option && n->dns_option[0])
    {
      append (&out, "options");
      for (size_t i = 0; n->dns_option[i]; i++)
        append (&out, " %s", n->dns_option[i]);
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
      if (str_has_prefix (l, "search") && n->dns_search && n->dns_search[0])
        continue;
      if (str_has_prefix (l, "options") && n->dns_option && n->dns_option[0])
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
  for (size_t i = 0; n->add_host && n->add_host[i]; i++)
    {
      const char *colon = strchr (n->add_host[i], ':');
      const char *ip = colon + 1;
      char hostip[INET_ADDRSTRLEN] = "10.0.2.2";
      if (strcmp (ip, "host-gateway") == 0)
        {
          host_address (hostip, sizeof hostip);
          ip = hostip;
        }
      append (&out, "%s\t%.*s\n", ip, (int) (colon - n->add_host[i]), n->add_host[i]);
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
  free (n->record_mode);
  free (n->join_ref);
  free (n->join_id);
  free (n->pod_id);
  free (n->pod_hostname);
  strv_free (n->dns);
  strv_free (n->dns_search);
  strv_free (n->dns_option);
  strv_free (n->add_host);
  memset (n, 0, sizeof *n);
}
