/* podman's JSON shapes (container inspect, ps --format json, pod inspect), built from the typed records in this
 * one place. They are output, not storage: the records themselves are record.c's. */
#include "engine/internal.h"
#include "engine/volumes.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>

#include "engine/userns.h"
#include "runtime/process.h"

/* Go's zero time as a Unix time: what podman prints for a container never started or never exited */
#define GO_ZERO_UNIX (-62135596800LL)
#define GO_ZERO_TIME "0001-01-01T00:00:00Z"
#define NS_PER_S 1000000000LL

static void
add (json_object *o, const char *key, json_object *v)
{
  json_object_object_add (o, key, v);
}

static json_object *
str (const char *s)
{
  return json_object_new_string (s ? s : "");
}

static json_object *
strv (char *const *v)
{
  json_object *a = json_object_new_array ();
  for (size_t i = 0; v && v[i]; i++)
    json_object_array_add (a, json_object_new_string (v[i]));
  return a;
}

static json_object *
kv (const struct skiff_kvlist *l)
{
  json_object *o = json_object_new_object ();
  for (size_t i = 0; i < l->n; i++)
    add (o, l->v[i].key, str (l->v[i].value));
  return o;
}

static json_object *
rfc3339 (uint64_t ns)
{
  if (ns == 0)
    return str (GO_ZERO_TIME);
  cleanup_free char *t = format_time_rfc3339 (ns);
  return str (t);
}

json_object *
skiff_engine_port_bindings (const struct skiff_port *ports, size_t n)
{
  json_object *out = json_object_new_object ();
  for (size_t i = 0; i < n; i++)
    {
      char key[32], hp[16], ip[INET_ADDRSTRLEN] = "";
      snprintf (key, sizeof key, "%d/%s", ports[i].container_port, ports[i].udp ? "udp" : "tcp");
      snprintf (hp, sizeof hp, "%d", ports[i].host_port);
      if (ports[i].host_ip.s_addr != htonl (INADDR_ANY))
        inet_ntop (AF_INET, &ports[i].host_ip, ip, sizeof ip);
      json_object *b = json_object_new_object ();
      add (b, "HostIp", str (ip));
      add (b, "HostPort", str (hp));
      json_object *arr = NULL;
      if (!json_object_object_get_ex (out, key, &arr))
        {
          arr = json_object_new_array ();
          add (out, key, arr);
        }
      json_object_array_add (arr, b);
    }
  return out;
}

/* The ps JSON's PortMappings: skiff's record shape, which is podman's ps shape */
static json_object *
port_mappings (const struct skiff_port *ports, size_t n)
{
  json_object *a = json_object_new_array ();
  for (size_t i = 0; i < n; i++)
    {
      json_object *p = json_object_new_object ();
      char ip[INET_ADDRSTRLEN] = "";
      if (ports[i].host_ip.s_addr != htonl (INADDR_ANY))
        inet_ntop (AF_INET, &ports[i].host_ip, ip, sizeof ip);
      add (p, "host_ip", str (ip));
      add (p, "container_port", json_object_new_int (ports[i].container_port));
      add (p, "host_port", json_object_new_int (ports[i].host_port));
      add (p, "range", json_object_new_int (1));
      add (p, "protocol", str (ports[i].udp ? "udp" : "tcp"));
      json_object_array_add (a, p);
    }
  return a;
}

const struct skiff_port *
skiff_engine_container_ports (const struct skiff_container *c, const struct skiff_pod *pod, size_t *n)
{
  /* a container on its pod's network is reached through the pod's ports */
  if (c->net.nports == 0 && pod && c->net.mode == SKIFF_NETMODE_POD)
    {
      *n = pod->net.nports;
      return pod->net.ports;
    }
  *n = c->net.nports;
  return c->net.ports;
}

struct du
{
  dev_t dev;
  uint64_t total;
};

/* du's sum as nftw(FTW_PHYS | FTW_MOUNT) gave it: the sizes of everything but directories (a file with two
 * names counts twice), never into another filesystem, past what cannot be read or stat'ed. */
static int
du_visit (void *data, enum skiff_walk_step step, struct skiff_walk_entry *e, skiff_error_t *err)
{
  (void) err;
  struct du *du = data;
  if (step == SKIFF_WALK_POST || e->st == NULL || e->st->st_dev != du->dev)
    return 0;
  if (S_ISDIR (e->st->st_mode))
    return SKIFF_WALK_DESCEND;
  du->total += (uint64_t) e->st->st_size;
  return 0;
}

/* A container's size at any depth with few descriptors (nftw gave up below its descriptor budget). */
static int64_t
dir_size (const char *dir)
{
  cleanup_close int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat (fd, &st) < 0)
    return 0;
  struct du du = { .dev = st.st_dev };
  skiff_error_t err = NULL;
  if (skiff_walk_at (fd, -1, 0, du_visit, &du, &err) < 0)
    {
      log_debug ("the size of `%s`: %s", dir, err->msg);
      skiff_error_release (&err);
      return 0;
    }
  return (int64_t) du.total;
}

static json_object *
inspect_state (const struct skiff_container *c)
{
  json_object *state = json_object_new_object ();
  add (state, "OciVersion", str ("1.1.0"));
  add (state, "Status",
       str (c->state == SKIFF_CTR_RUNNING && c->stopping ? "stopping" : skiff_ctr_state_name (c->state)));
  add (state, "Running", json_object_new_boolean (c->state == SKIFF_CTR_RUNNING));
  add (state, "Paused", json_object_new_boolean (0));
  add (state, "Restarting", json_object_new_boolean (0));
  add (state, "OOMKilled", json_object_new_boolean (0));
  add (state, "Dead", json_object_new_boolean (0));
  add (state, "Pid", json_object_new_int (c->pid));
  add (state, "ConmonPid", json_object_new_int (c->conmon_pid));
  add (state, "ExitCode", json_object_new_int (c->exit_code));
  add (state, "Error", str (c->error));
  add (state, "StartedAt", rfc3339 (c->started_ns));
  add (state, "FinishedAt", rfc3339 (c->finished_ns));
  return state;
}

static json_object *
inspect_network (const struct skiff_container *c)
{
  json_object *ns = json_object_new_object ();
  static const char *const ns_strings[]
      = { "EndpointID", "Gateway", "IPAddress", "IPv6Gateway",         "GlobalIPv6Address",
          "MacAddress", "Bridge",  "SandboxID", "LinkLocalIPv6Address" };
  for (size_t i = 0; i < ARRAY_SIZE (ns_strings); i++)
    add (ns, ns_strings[i], str (""));
  add (ns, "IPPrefixLen", json_object_new_int (0));
  add (ns, "GlobalIPv6PrefixLen", json_object_new_int (0));
  add (ns, "HairpinMode", json_object_new_boolean (0));
  add (ns, "LinkLocalIPv6PrefixLen", json_object_new_int (0));
  add (ns, "Ports", skiff_engine_port_bindings (c->net.ports, c->net.nports));
  add (ns, "SandboxKey", str (""));
  if (c->net.mode == SKIFF_NETMODE_SLIRP)
    {
      /* slirp4netns's addresses: .100 and .2 of the network (cidr= moves it) */
      char ip[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];
      struct in_addr a = skiff_net_addr (&c->net.slirp, SKIFF_NET_CONTAINER);
      struct in_addr g = skiff_net_addr (&c->net.slirp, SKIFF_NET_GATEWAY);
      add (ns, "IPAddress", str (inet_ntop (AF_INET, &a, ip, sizeof ip)));
      add (ns, "Gateway", str (inet_ntop (AF_INET, &g, gw, sizeof gw)));
      add (ns, "IPPrefixLen", json_object_new_int (__builtin_popcount (c->net.slirp.netmask.s_addr)));
    }
  if (c->net.slirp.mac_set)
    {
      char mac[18];
      const uint8_t *m = c->net.slirp.mac;
      snprintf (mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
      add (ns, "MacAddress", str (mac));
    }
  return ns;
}

static json_object *
inspect_config (const struct skiff_container *c)
{
  json_object *config = json_object_new_object ();
  add (config, "Hostname", str (c->hostname));
  add (config, "Domainname", str (""));
  add (config, "User", str (c->user));
  add (config, "AttachStdin", json_object_new_boolean (0));
  add (config, "AttachStdout", json_object_new_boolean (0));
  add (config, "AttachStderr", json_object_new_boolean (0));
  add (config, "Tty", json_object_new_boolean (c->tty));
  add (config, "OpenStdin", json_object_new_boolean (c->open_stdin));
  add (config, "StdinOnce", json_object_new_boolean (0));
  add (config, "Env", strv (c->env));
  add (config, "Cmd", strv (c->args));
  add (config, "Image", str (c->image_name));
  add (config, "Volumes", NULL);
  add (config, "WorkingDir", str (c->workdir ? c->workdir : "/"));
  add (config, "Entrypoint", str (""));
  add (config, "OnBuild", NULL);
  add (config, "Labels", kv (&c->labels));
  add (config, "Annotations", kv (&c->annotations));
  char signame[32];
  add (config, "StopSignal", str (skiff_signal_name (c->stop_signal, signame, sizeof signame)));
  add (config, "StopTimeout", json_object_new_int64 (c->stop_timeout));
  add (config, "Umask", str ("0022"));
  add (config, "Timeout", json_object_new_int (0));
  return config;
}

/* podman's units for LogConfig.Size: "0B", "10kB", "1.5MB" (go-units HumanSize, without the space) */
static char *
log_size_text (int64_t max)
{
  static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB" };
  double v = max > 0 ? (double) max : 0;
  size_t u = 0;
  while (v >= 1000 && u + 1 < ARRAY_SIZE (units))
    {
      v /= 1000;
      u++;
    }
  return xasprintf ("%.4g%s", v, units[u]); /* go-units HumanSize: 4 significant digits */
}

static json_object *
inspect_log_config (struct skiff_engine *e, const struct skiff_container *c)
{
  static const char *const drivers[] = { [SKIFF_LOG_K8S_FILE] = "k8s-file",
                                         [SKIFF_LOG_NONE] = "none",
                                         [SKIFF_LOG_PASSTHROUGH] = "passthrough",
                                         [SKIFF_LOG_JSON_FILE] = "json-file" };
  json_object *lc = json_object_new_object ();
  add (lc, "Type", str (drivers[c->log_driver]));
  add (lc, "Config", NULL);
  cleanup_free char *path = skiff_engine_container_log_path (e, c);
  add (lc, "Path", str (path));
  add (lc, "Tag", str (""));
  cleanup_free char *size = log_size_text (c->log_size_max);
  add (lc, "Size", str (size));
  return lc;
}

/* --userns: podman's "private" for a namespace of the container's own ("" for skiff's), and its maps */
static void
inspect_userns (json_object *hc, const struct skiff_container *c)
{
  add (hc, "UsernsMode", str (c->idmap.nuid ? "private" : ""));
  if (c->idmap.nuid == 0)
    return;
  json_object *m = json_object_new_object ();
  const struct skiff_idrange *r[2] = { c->idmap.uid, c->idmap.gid };
  size_t n[2] = { c->idmap.nuid, c->idmap.ngid };
  static const char *const keys[2] = { "UidMap", "GidMap" };
  for (int k = 0; k < 2; k++)
    {
      json_object *a = json_object_new_array ();
      cleanup_strv char **v = skiff_userns_map_strv (r[k], n[k]);
      for (size_t i = 0; v[i]; i++)
        json_object_array_add (a, str (v[i]));
      add (m, keys[k], a);
    }
  add (hc, "IDMappings", m);
}

static json_object *
inspect_host_config (struct skiff_engine *e, const struct skiff_container *c, const char *netmode)
{
  json_object *hc = json_object_new_object ();
  add (hc, "Binds", json_object_new_array ());
  add (hc, "CgroupManager", str ("cgroupfs"));
  add (hc, "CgroupMode", str ("host"));
  add (hc, "ContainerIDFile", str (""));
  add (hc, "LogConfig", inspect_log_config (e, c));
  add (hc, "NetworkMode", str (netmode));
  add (hc, "PortBindings", skiff_engine_port_bindings (c->net.ports, c->net.nports));
  json_object *rp = json_object_new_object ();
  static const char *const policies[] = { [SKIFF_RESTART_NO] = "",
                                          [SKIFF_RESTART_ON_FAILURE] = "on-failure",
                                          [SKIFF_RESTART_ALWAYS] = "always",
                                          [SKIFF_RESTART_UNLESS_STOPPED] = "unless-stopped" };
  add (rp, "Name", str (policies[c->restart.policy]));
  add (rp, "MaximumRetryCount", json_object_new_int ((int) c->restart.max_retries));
  add (hc, "RestartPolicy", rp);
  add (hc, "AutoRemove", json_object_new_boolean (c->auto_remove));
  add (hc, "CapAdd", json_object_new_array ());
  add (hc, "CapDrop", json_object_new_array ());
  add (hc, "Privileged", json_object_new_boolean (c->privileged));
  inspect_userns (hc, c);
  add (hc, "ReadonlyRootfs", json_object_new_boolean (c->read_only));
  json_object *secopt = json_object_new_array ();
  if (c->no_new_privileges)
    json_object_array_add (secopt, str ("no-new-privileges"));
  if (c->seccomp == SKIFF_SECCOMP_UNCONFINED)
    json_object_array_add (secopt, str ("seccomp=unconfined"));
  add (hc, "SecurityOpt", secopt);
  json_object *ul = json_object_new_array ();
  for (size_t i = 0; i < c->nrlimits; i++)
    {
      cleanup_free char *name = xasprintf ("RLIMIT_%s", skiff_rlimit_name (c->rlimits[i].resource));
      for (char *p = name; *p; p++)
        *p = (char) (*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
      json_object *l = json_object_new_object ();
      add (l, "Name", str (name));
      rlim_t soft = c->rlimits[i].limit.rlim_cur, hard = c->rlimits[i].limit.rlim_max;
      add (l, "Soft", json_object_new_int64 (soft == RLIM_INFINITY ? -1 : (int64_t) soft));
      add (l, "Hard", json_object_new_int64 (hard == RLIM_INFINITY ? -1 : (int64_t) hard));
      json_object_array_add (ul, l);
    }
  add (hc, "Ulimits", ul);
  return hc;
}

static char *
net_mode_text (const struct skiff_container *c)
{
  switch (c->net.mode)
    {
    case SKIFF_NETMODE_NONE:
      return xstrdup ("none");
    case SKIFF_NETMODE_HOST:
      return xstrdup ("host");
    case SKIFF_NETMODE_CONTAINER:
      return xasprintf ("container:%s", c->net.join_id ? c->net.join_id : "");
    case SKIFF_NETMODE_POD:
      return xasprintf ("pod:%s", c->net.join_id ? c->net.join_id : "");
    case SKIFF_NETMODE_SLIRP:
    default:
      {
        cleanup_free char *opts = skiff_net_options_format (&c->net.slirp);
        return *opts ? xasprintf ("slirp4netns:%s", opts) : xstrdup ("slirp4netns");
      }
    }
}

json_object *
skiff_engine_container_inspect (struct skiff_engine *e, const struct skiff_container *c, bool size)
{
  json_object *o = json_object_new_object ();
  add (o, "Id", str (c->id));
  add (o, "Created", rfc3339 (c->created_ns));
  add (o, "Path", str (c->args && c->args[0] ? c->args[0] : ""));
  add (o, "Args", strv (c->args && c->args[0] ? c->args + 1 : NULL));
  add (o, "State", inspect_state (c));
  add (o, "Image", str (c->image_id));
  add (o, "ImageName", str (c->image_name));
  /* the image's manifest digest, while the image is there (podman keeps it in the record; the same here) */
  struct skiff_store *store = NULL;
  struct skiff_image *img = NULL;
  skiff_error_t ierr = NULL;
  if (c->image_id && skiff_engine_store (e, &store, &ierr) == 0)
    skiff_store_image_lookup (store, c->image_id, &img, &ierr);
  skiff_error_release (&ierr);
  add (o, "ImageDigest", str (img && img->digest ? img->digest : ""));
  skiff_image_free (img);
  add (o, "Rootfs", str (""));
  add (o, "Pod", str (c->pod_id));
  cleanup_free char *dir = skiff_engine_container_dir (e, c->id);
  static const struct
  {
    const char *key, *file;
  } files[] = { { "ResolvConfPath", "resolv.conf" }, { "HostnamePath", "hostname" }, { "HostsPath", "hosts" } };
  for (size_t i = 0; i < ARRAY_SIZE (files); i++)
    {
      cleanup_free char *path = skiff_storage_container_file (e->root, c->id, files[i].file);
      add (o, files[i].key, str (path));
    }
  add (o, "StaticDir", str (dir));
  add (o, "OCIRuntime", str ("skiff"));
  cleanup_free char *log = skiff_engine_container_log_path (e, c);
  cleanup_free char *default_log = skiff_storage_container_file (e->root, c->id, SKIFF_CONTAINER_LOG);
  add (o, "LogPath", str (log ? log : default_log));
  add (o, "ConmonPidFile", str (c->conmon_pidfile ? c->conmon_pidfile : ""));
  add (o, "Name", str (c->name));
  add (o, "RestartCount", json_object_new_int ((int) c->restart_count));
  cleanup_free char *driver = skiff_storage_container_driver (e->root, c->id);
  add (o, "Driver", str (driver));
  add (o, "MountLabel", str (""));
  add (o, "ProcessLabel", str (""));
  add (o, "AppArmorProfile", str (""));
  add (o, "ExecIDs", json_object_new_array ());
  json_object *gd = json_object_new_object ();
  add (gd, "Name", str (driver));
  add (gd, "Data", NULL);
  add (o, "GraphDriver", gd);
  add (o, "Mounts", skiff_volumes_inspect_mounts (e, c, false));
  add (o, "Dependencies", json_object_new_array ());
  add (o, "NetworkSettings", inspect_network (c));
  add (o, "Namespace", str (""));
  add (o, "IsInfra", json_object_new_boolean (0));
  add (o, "IsService", json_object_new_boolean (0));
  add (o, "Config", inspect_config (c));
  cleanup_free char *netmode = net_mode_text (c);
  add (o, "HostConfig", inspect_host_config (e, c, netmode));
  if (size)
    {
      cleanup_free char *diff = skiff_storage_container_diff (e->root, c->id);
      int64_t rw = dir_size (diff);
      add (o, "SizeRw", json_object_new_int64 (rw));
      add (o, "SizeRootFs", json_object_new_int64 (rw));
    }
  return o;
}

static json_object *
unix_or_zero (uint64_t ns)
{
  return json_object_new_int64 (ns > 0 ? (int64_t) (ns / NS_PER_S) : GO_ZERO_UNIX);
}

json_object *
skiff_engine_container_ps_json (const struct skiff_container *c, const char *status, const char *created_ago,
                                const struct skiff_pod *pod)
{
  json_object *o = json_object_new_object ();
  bool exited = c->state == SKIFF_CTR_EXITED;
  add (o, "AutoRemove", json_object_new_boolean (c->auto_remove));
  add (o, "Command", strv (c->args));
  add (o, "CreatedAt", str (created_ago));
  add (o, "Exited", json_object_new_boolean (exited));
  add (o, "ExitedAt", unix_or_zero (exited ? c->finished_ns : 0));
  add (o, "ExitCode", json_object_new_int (c->exit_code));
  add (o, "Id", str (c->id));
  add (o, "Image", str (c->image_name));
  add (o, "ImageID", str (c->image_id));
  add (o, "IsInfra", json_object_new_boolean (0));
  add (o, "Labels", kv (&c->labels));
  add (o, "Mounts", skiff_volumes_inspect_mounts (NULL, c, true));
  json_object *names = json_object_new_array ();
  json_object_array_add (names, str (c->name));
  add (o, "Names", names);
  add (o, "Namespaces", json_object_new_object ());
  add (o, "Networks", json_object_new_array ());
  add (o, "Pid", json_object_new_int (c->pid));
  add (o, "Pod", str (c->pod_id));
  add (o, "PodName", str (pod ? pod->name : ""));
  size_t nports;
  const struct skiff_port *ports = skiff_engine_container_ports (c, pod, &nports);
  add (o, "Ports", nports ? port_mappings (ports, nports) : NULL);
  add (o, "Size", NULL);
  add (o, "StartedAt", unix_or_zero (c->started_ns));
  add (o, "State", str (skiff_ctr_state_name (c->state)));
  add (o, "Status", str (status));
  add (o, "Created", json_object_new_int64 ((int64_t) (c->created_ns / NS_PER_S)));
  return o;
}

json_object *
skiff_engine_pod_inspect (const struct skiff_pod *p, const struct skiff_container_list *ctrs)
{
  json_object *o = json_object_new_object ();
  add (o, "Id", str (p->id));
  add (o, "Name", str (p->name));
  add (o, "Created", rfc3339 (p->created_ns));
  add (o, "State", str (skiff_engine_pod_status (p, ctrs)));
  add (o, "Hostname", str (p->hostname));
  add (o, "Labels", kv (&p->labels));
  add (o, "CreateInfra", json_object_new_boolean (1));
  add (o, "InfraContainerID", str (p->id));
  json_object *infra = json_object_new_object ();
  add (infra, "PortBindings", skiff_engine_port_bindings (p->net.ports, p->net.nports));
  add (infra, "NetworkOptions", json_object_new_object ());
  json_object *nets = json_object_new_array ();
  cleanup_free char *mode = NULL;
  {
    struct skiff_container view = { .net = p->net };
    mode = net_mode_text (&view);
  }
  json_object_array_add (nets, str (mode));
  add (infra, "Networks", nets);
  add (o, "InfraConfig", infra);
  json_object *shared = json_object_new_array ();
  if (p->share_ipc)
    json_object_array_add (shared, str ("ipc"));
  if (p->share_net)
    json_object_array_add (shared, str ("net"));
  if (p->share_uts)
    json_object_array_add (shared, str ("uts"));
  add (o, "SharedNamespaces", shared);
  add (o, "NumContainers", json_object_new_int ((int) ctrs->n));
  json_object *list = json_object_new_array ();
  for (size_t i = 0; i < ctrs->n; i++)
    {
      json_object *c = json_object_new_object ();
      add (c, "Id", str (ctrs->v[i]->id));
      add (c, "Name", str (ctrs->v[i]->name));
      add (c, "State", str (skiff_ctr_state_name (ctrs->v[i]->state)));
      json_object_array_add (list, c);
    }
  add (o, "Containers", list);
  return o;
}
