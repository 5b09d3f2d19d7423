/* Container and pod records on disk, the one place they are JSON (as crun keeps its state in status.c):
 * <root>/engine/containers/<id>.json and <root>/engine/pods/<id>.json, in the shape every skiff so far has
 * written, so that a user's containers survive an upgrade. Keys missing from older records get the defaults
 * those skiffs applied. Also the exit files a monitor falls back to (<runroot>/exits/<id>). */
#include "engine/internal.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <sys/stat.h>

#include "runtime/caps.h"
#include "runtime/process.h"
#include "engine/userns.h"

#define ENGINE_DIR "engine"
#define RECORDS_DIR ENGINE_DIR "/containers"
#define PODS_DIR ENGINE_DIR "/pods"
#define EXITS_DIR "exits"
#define RECORD_MODE 0600
#define LIST_READ_CHUNK 4096
#define LIST_BUF_START 16384
#define EXIT_FILE_MAX 128
#define CAPS_HEX_LEN 17

/* ---- reading values (a missing or mistyped key reads as absent) ---- */

static const char *
get_str (json_object *o, const char *key)
{
  json_object *v = NULL;
  if (!json_object_object_get_ex (o, key, &v) || !json_object_is_type (v, json_type_string))
    return NULL;
  return json_object_get_string (v);
}

static char *
dup_str (json_object *o, const char *key)
{
  const char *s = get_str (o, key);
  return s ? xstrdup (s) : NULL;
}

static bool
get_bool (json_object *o, const char *key, bool def)
{
  json_object *v = NULL;
  return json_object_object_get_ex (o, key, &v) ? json_object_get_boolean (v) : def;
}

static int64_t
get_i64 (json_object *o, const char *key, int64_t def)
{
  json_object *v = NULL;
  return json_object_object_get_ex (o, key, &v) && v ? json_object_get_int64 (v) : def;
}

static char **
get_strv (json_object *o, const char *key)
{
  json_object *v = NULL;
  char **out = NULL;
  if (!json_object_object_get_ex (o, key, &v) || !json_object_is_type (v, json_type_array))
    return NULL;
  for (size_t i = 0; i < json_object_array_length (v); i++)
    {
      const char *s = json_object_get_string (json_object_array_get_idx (v, i));
      strv_push (&out, s ? s : "");
    }
  return out;
}

static void
get_kv (json_object *o, const char *key, struct skiff_kvlist *l)
{
  json_object *v = NULL;
  memset (l, 0, sizeof *l);
  if (!json_object_object_get_ex (o, key, &v) || !json_object_is_type (v, json_type_object))
    return;
  json_object_object_foreach (v, k, val)
  {
    const char *s = json_object_get_string (val);
    skiff_kvlist_set (l, k, s ? s : "");
  }
}

static void
get_ports (json_object *o, const char *key, struct skiff_port **ports, size_t *n)
{
  json_object *a = NULL;
  *ports = NULL;
  *n = 0;
  if (!json_object_object_get_ex (o, key, &a) || !json_object_is_type (a, json_type_array))
    return;
  size_t len = json_object_array_length (a);
  *ports = xmalloc0 ((len + 1) * sizeof **ports);
  for (size_t i = 0; i < len; i++)
    {
      json_object *p = json_object_array_get_idx (a, i);
      struct skiff_port port = { .host_ip = { htonl (INADDR_ANY) } };
      const char *ip = get_str (p, "host_ip");
      if (ip && *ip)
        inet_pton (AF_INET, ip, &port.host_ip);
      port.container_port = (uint16_t) get_i64 (p, "container_port", 0);
      port.host_port = (uint16_t) get_i64 (p, "host_port", 0);
      const char *proto = get_str (p, "protocol");
      port.udp = proto && strcmp (proto, "udp") == 0;
      (*ports)[(*n)++] = port;
    }
}

static void
get_mounts (json_object *o, struct skiff_mount **mounts, size_t *n)
{
  json_object *a = NULL;
  *mounts = NULL;
  *n = 0;
  if (!json_object_object_get_ex (o, "Mounts", &a) || !json_object_is_type (a, json_type_array))
    return;
  size_t len = json_object_array_length (a);
  *mounts = xmalloc0 ((len + 1) * sizeof **mounts);
  for (size_t i = 0; i < len; i++)
    {
      json_object *m = json_object_array_get_idx (a, i);
      const char *type = get_str (m, "Type");
      struct skiff_mount *d = &(*mounts)[(*n)++];
      d->type = type && strcmp (type, "tmpfs") == 0    ? SKIFF_MOUNT_TMPFS
                : type && strcmp (type, "volume") == 0 ? SKIFF_MOUNT_VOLUME
                                                       : SKIFF_MOUNT_BIND;
      d->source = dup_str (m, "Source");
      d->destination = dup_str (m, "Destination");
      d->options = get_strv (m, "Options");
    }
}

/* "slirp4netns[:opts]", "none", "host", "container:ID", "pod:ID" */
static void
get_net (json_object *o, struct skiff_ctr_net *n)
{
  memset (n, 0, sizeof *n);
  skiff_net_options_parse (NULL, &n->slirp, NULL);
  const char *mode = get_str (o, "NetworkMode");
  /* records from before networking said "private", or nothing: loopback only */
  if (mode == NULL || strcmp (mode, "none") == 0 || strcmp (mode, "private") == 0)
    n->mode = SKIFF_NETMODE_NONE;
  else if (strcmp (mode, "host") == 0)
    n->mode = SKIFF_NETMODE_HOST;
  else if (str_has_prefix (mode, "container:"))
    {
      n->mode = SKIFF_NETMODE_CONTAINER;
      n->join_id = xstrdup (mode + strlen ("container:"));
    }
  else if (str_has_prefix (mode, "pod:"))
    {
      n->mode = SKIFF_NETMODE_POD;
      n->join_id = xstrdup (mode + strlen ("pod:"));
    }
  else
    {
      n->mode = SKIFF_NETMODE_SLIRP;
      const char *colon = strchr (mode, ':');
      /* recorded by a skiff that accepted them: a bad option now means defaults, not an unreadable record */
      if (colon && skiff_net_options_parse (colon + 1, &n->slirp, NULL) < 0)
        skiff_net_options_parse (NULL, &n->slirp, NULL);
    }
  const char *mac = get_str (o, "MacAddress");
  unsigned v[6];
  if (mac && sscanf (mac, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) == 6)
    {
      for (int i = 0; i < 6; i++)
        n->slirp.mac[i] = (uint8_t) v[i];
      n->slirp.mac_set = true;
    }
  get_ports (o, "PortMappings", &n->ports, &n->nports);
}

/* "nofile=1024:2048" (earlier skiffs kept the user's text, which parses the same) */
static void
get_rlimits (json_object *o, struct skiff_rlimit **v, size_t *n)
{
  cleanup_strv char **text = get_strv (o, "Ulimits");
  *n = 0;
  *v = xmalloc0 ((strv_len (text) + 1) * sizeof **v);
  for (size_t i = 0; text && text[i]; i++)
    if (skiff_rlimit_parse (text[i], &(*v)[*n], NULL) == 0)
      (*n)++;
}

static void
get_restart (json_object *o, struct skiff_restart *r)
{
  const char *policy = get_str (o, "RestartPolicy");
  if (policy == NULL || skiff_restart_parse (policy, r, NULL) < 0)
    *r = (struct skiff_restart){ SKIFF_RESTART_NO, 0 };
}

static enum skiff_log_driver
log_driver_of (const char *s)
{
  if (s && strcmp (s, "none") == 0)
    return SKIFF_LOG_NONE;
  if (s && strcmp (s, "passthrough") == 0)
    return SKIFF_LOG_PASSTHROUGH;
  if (s && strcmp (s, "json-file") == 0)
    return SKIFF_LOG_JSON_FILE;
  return SKIFF_LOG_K8S_FILE;
}

static const char *
log_driver_text (enum skiff_log_driver d)
{
  return d == SKIFF_LOG_NONE          ? "none"
         : d == SKIFF_LOG_PASSTHROUGH ? "passthrough"
         : d == SKIFF_LOG_JSON_FILE   ? "json-file"
                                      : "k8s-file";
}

const char *
skiff_ctr_state_name (enum skiff_ctr_state s)
{
  return s == SKIFF_CTR_RUNNING ? "running" : s == SKIFF_CTR_EXITED ? "exited" : "created";
}

static enum skiff_ctr_state
state_of (const char *s)
{
  if (s && strcmp (s, "running") == 0)
    return SKIFF_CTR_RUNNING;
  if (s && (strcmp (s, "exited") == 0 || strcmp (s, "stopped") == 0))
    return SKIFF_CTR_EXITED;
  return SKIFF_CTR_CREATED;
}

/* --userns: the mode, and the container's map over skiff's namespace as podman's inspect writes it */
static void
get_userns (json_object *o, struct skiff_container *c)
{
  c->userns_mode = dup_str (o, "UsernsMode");
  c->keep_groups = get_bool (o, "KeepGroups", false);
  cleanup_strv char **u = get_strv (o, "UIDMap");
  cleanup_strv char **g = get_strv (o, "GIDMap");
  if (skiff_userns_map_parse_strv (u, c->idmap.uid, &c->idmap.nuid) < 0
      || skiff_userns_map_parse_strv (g, c->idmap.gid, &c->idmap.ngid) < 0 || c->idmap.nuid == 0 || c->idmap.ngid == 0)
    c->idmap.nuid = c->idmap.ngid = 0;
}

static void
container_identity_from (json_object *o, struct skiff_container *c)
{
  c->name = dup_str (o, "Name");
  c->image_id = dup_str (o, "Image");
  c->image_name = dup_str (o, "ImageName");
  c->created_ns = (uint64_t) get_i64 (o, "Created", 0);
  c->creator_pid = (int) get_i64 (o, "CreatorPid", 0);
  const char *pod = get_str (o, "Pod");
  c->pod_id = pod && *pod ? xstrdup (pod) : NULL;
}

static void
container_process_from (json_object *o, struct skiff_container *c)
{
  c->args = get_strv (o, "Args");
  c->env = get_strv (o, "Env");
  const char *user = get_str (o, "User");
  c->user = user && *user ? xstrdup (user) : NULL;
  const char *cwd = get_str (o, "WorkingDir");
  c->workdir = xstrdup (cwd && *cwd ? cwd : "/");
  c->workdir_create = get_bool (o, "CreateWorkingDir", true);
  c->hostname = dup_str (o, "Hostname");
  /* records from before exec existed get run's defaults */
  const char *caps = get_str (o, "CapEff");
  c->caps = caps ? strtoull (caps, NULL, 16) : SKIFF_CAPS_DEFAULT;
  c->privileged = get_bool (o, "Privileged", false);
  c->no_new_privileges = get_bool (o, "NoNewPrivileges", false);
  c->read_only = get_bool (o, "ReadOnly", false);
  c->read_only_tmpfs = get_bool (o, "ReadOnlyTmpfs", true);
  c->tty = get_bool (o, "Tty", false);
  c->open_stdin = get_bool (o, "OpenStdin", false);
  c->auto_remove = get_bool (o, "AutoRemove", false);
  const char *sc = get_str (o, "Seccomp");
  c->seccomp = sc && strcmp (sc, "unconfined") == 0 ? SKIFF_SECCOMP_UNCONFINED
               : sc && strcmp (sc, "custom") == 0   ? SKIFF_SECCOMP_CUSTOM
                                                    : SKIFF_SECCOMP_DEFAULT;
  if (c->seccomp == SKIFF_SECCOMP_CUSTOM)
    c->seccomp_profile = dup_str (o, "SeccompProfile");
  get_rlimits (o, &c->rlimits, &c->nrlimits);
  int sig = (int) get_i64 (o, "StopSignal", SIGTERM);
  c->stop_signal = sig > 0 ? sig : SIGTERM;
  c->stop_timeout = get_i64 (o, "StopTimeout", SKIFF_DEFAULT_STOP_TIMEOUT);
  get_restart (o, &c->restart);
  c->log_driver = log_driver_of (get_str (o, "LogDriver"));
  c->log_path = dup_str (o, "LogPath");
  c->conmon_pidfile = dup_str (o, "ConmonPidFile");
  c->log_size_max = get_i64 (o, "LogSizeMax", -1);
  get_kv (o, "Labels", &c->labels);
  get_kv (o, "Annotations", &c->annotations);
  get_mounts (o, &c->mounts, &c->nmounts);
  get_net (o, &c->net);
  get_userns (o, c);
}

static void
container_state_from (json_object *o, struct skiff_container *c)
{
  c->state = state_of (get_str (o, "Status"));
  c->pid = (int) get_i64 (o, "Pid", 0);
  c->conmon_pid = (int) get_i64 (o, "ConmonPid", 0);
  c->boot_id = dup_str (o, "BootId");
  c->started_ns = (uint64_t) get_i64 (o, "StartedAt", 0);
  c->finished_ns = (uint64_t) get_i64 (o, "FinishedAt", 0);
  c->exit_code = (int) get_i64 (o, "ExitCode", 0);
  c->restart_count = (unsigned) get_i64 (o, "RestartCount", 0);
  c->stopped_by_user = get_bool (o, "StoppedByUser", false);
  c->stopping = get_bool (o, "Stopping", false);
  c->monitor_died = get_bool (o, "MonitorDied", false);
  c->error = dup_str (o, "Error");
}

static struct skiff_container *
container_from_obj (json_object *o)
{
  const char *id = get_str (o, "Id");
  if (id == NULL || strlen (id) >= sizeof ((struct skiff_container *) 0)->id || strchr (id, '/'))
    return NULL;
  struct skiff_container *c = xmalloc0 (sizeof *c);
  snprintf (c->id, sizeof c->id, "%s", id);
  container_identity_from (o, c);
  container_process_from (o, c);
  container_state_from (o, c);
  return c;
}

/* ---- writing values ---- */

static void
add (json_object *o, const char *key, json_object *v)
{
  json_object_object_add (o, key, v);
}

static json_object *
jstr (const char *s)
{
  return json_object_new_string (s ? s : "");
}

static json_object *
jstrv (char *const *v)
{
  json_object *a = json_object_new_array ();
  for (size_t i = 0; v && v[i]; i++)
    json_object_array_add (a, json_object_new_string (v[i]));
  return a;
}

static json_object *
jkv (const struct skiff_kvlist *l)
{
  json_object *o = json_object_new_object ();
  for (size_t i = 0; i < l->n; i++)
    add (o, l->v[i].key, jstr (l->v[i].value));
  return o;
}

static json_object *
jports (const struct skiff_port *ports, size_t n)
{
  json_object *a = json_object_new_array ();
  for (size_t i = 0; i < n; i++)
    {
      json_object *p = json_object_new_object ();
      char ip[INET_ADDRSTRLEN] = "";
      if (ports[i].host_ip.s_addr != htonl (INADDR_ANY))
        inet_ntop (AF_INET, &ports[i].host_ip, ip, sizeof ip);
      add (p, "host_ip", jstr (ip));
      add (p, "container_port", json_object_new_int (ports[i].container_port));
      add (p, "host_port", json_object_new_int (ports[i].host_port));
      add (p, "range", json_object_new_int (1));
      add (p, "protocol", jstr (ports[i].udp ? "udp" : "tcp"));
      json_object_array_add (a, p);
    }
  return a;
}

static json_object *
jmounts (const struct skiff_mount *m, size_t n)
{
  static const char *const types[]
      = { [SKIFF_MOUNT_BIND] = "bind", [SKIFF_MOUNT_TMPFS] = "tmpfs", [SKIFF_MOUNT_VOLUME] = "volume" };
  json_object *a = json_object_new_array ();
  for (size_t i = 0; i < n; i++)
    {
      json_object *o = json_object_new_object ();
      add (o, "Type", jstr (types[m[i].type]));
      if (m[i].source)
        add (o, "Source", jstr (m[i].source));
      add (o, "Destination", jstr (m[i].destination));
      add (o, "Options", jstrv (m[i].options));
      json_object_array_add (a, o);
    }
  return a;
}

static char *
net_mode_text (const struct skiff_ctr_net *n)
{
  switch (n->mode)
    {
    case SKIFF_NETMODE_NONE:
      return xstrdup ("none");
    case SKIFF_NETMODE_HOST:
      return xstrdup ("host");
    case SKIFF_NETMODE_CONTAINER:
      return xasprintf ("container:%s", n->join_id ? n->join_id : "");
    case SKIFF_NETMODE_POD:
      return xasprintf ("pod:%s", n->join_id ? n->join_id : "");
    case SKIFF_NETMODE_SLIRP:
    default:
      {
        cleanup_free char *opts = skiff_net_options_format (&n->slirp);
        return *opts ? xasprintf ("slirp4netns:%s", opts) : xstrdup ("slirp4netns");
      }
    }
}

static void
add_net (json_object *o, const struct skiff_ctr_net *n)
{
  cleanup_free char *mode = net_mode_text (n);
  add (o, "NetworkMode", jstr (mode));
  add (o, "PortMappings", jports (n->ports, n->nports));
  if (n->slirp.mac_set)
    {
      char mac[18];
      const uint8_t *m = n->slirp.mac;
      snprintf (mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
      add (o, "MacAddress", jstr (mac));
    }
}

static json_object *
jrlimits (const struct skiff_rlimit *r, size_t n)
{
  json_object *a = json_object_new_array ();
  for (size_t i = 0; i < n; i++)
    {
      long long soft = r[i].limit.rlim_cur == RLIM_INFINITY ? -1 : (long long) r[i].limit.rlim_cur;
      long long hard = r[i].limit.rlim_max == RLIM_INFINITY ? -1 : (long long) r[i].limit.rlim_max;
      cleanup_free char *s = xasprintf ("%s=%lld:%lld", skiff_rlimit_name (r[i].resource), soft, hard);
      json_object_array_add (a, json_object_new_string (s));
    }
  return a;
}

static char *
restart_text (const struct skiff_restart *r)
{
  switch (r->policy)
    {
    case SKIFF_RESTART_ON_FAILURE:
      return r->max_retries ? xasprintf ("on-failure:%u", r->max_retries) : xstrdup ("on-failure");
    case SKIFF_RESTART_ALWAYS:
      return xstrdup ("always");
    case SKIFF_RESTART_UNLESS_STOPPED:
      return xstrdup ("unless-stopped");
    case SKIFF_RESTART_NO:
    default:
      return xstrdup ("no");
    }
}

static void
add_userns (json_object *o, const struct skiff_container *c)
{
  if (c->userns_mode)
    add (o, "UsernsMode", jstr (c->userns_mode));
  if (c->keep_groups)
    add (o, "KeepGroups", json_object_new_boolean (true));
  if (c->idmap.nuid == 0)
    return;
  cleanup_strv char **u = skiff_userns_map_strv (c->idmap.uid, c->idmap.nuid);
  cleanup_strv char **g = skiff_userns_map_strv (c->idmap.gid, c->idmap.ngid);
  add (o, "UIDMap", jstrv (u));
  add (o, "GIDMap", jstrv (g));
}

static void
container_process_to (json_object *o, const struct skiff_container *c)
{
  add (o, "Args", jstrv (c->args));
  add (o, "Hostname", jstr (c->hostname));
  add (o, "Env", jstrv (c->env));
  add (o, "User", jstr (c->user));
  add (o, "WorkingDir", jstr (c->workdir ? c->workdir : "/"));
  add (o, "CreateWorkingDir", json_object_new_boolean (c->workdir_create));
  char caps[CAPS_HEX_LEN];
  snprintf (caps, sizeof caps, "%016llx", (unsigned long long) c->caps);
  add (o, "CapEff", jstr (caps));
  add (o, "NoNewPrivileges", json_object_new_boolean (c->no_new_privileges));
  add (o, "Privileged", json_object_new_boolean (c->privileged));
  add (o, "Seccomp",
       jstr (c->seccomp == SKIFF_SECCOMP_UNCONFINED ? "unconfined"
             : c->seccomp == SKIFF_SECCOMP_CUSTOM   ? "custom"
                                                    : "default"));
  if (c->seccomp == SKIFF_SECCOMP_CUSTOM && c->seccomp_profile)
    add (o, "SeccompProfile", jstr (c->seccomp_profile));
  add (o, "Ulimits", jrlimits (c->rlimits, c->nrlimits));
  add (o, "StopSignal", json_object_new_int (c->stop_signal));
  add (o, "StopTimeout", json_object_new_int64 (c->stop_timeout));
  cleanup_free char *restart = restart_text (&c->restart);
  add (o, "RestartPolicy", jstr (restart));
  add (o, "LogDriver", jstr (log_driver_text (c->log_driver)));
  if (skiff_log_driver_is_file (c->log_driver) && c->log_path)
    add (o, "LogPath", jstr (c->log_path));
  if (c->conmon_pidfile)
    add (o, "ConmonPidFile", jstr (c->conmon_pidfile));
  add (o, "LogSizeMax", json_object_new_int64 (c->log_size_max));
  add (o, "ReadOnly", json_object_new_boolean (c->read_only));
  add (o, "ReadOnlyTmpfs", json_object_new_boolean (c->read_only_tmpfs));
  add_net (o, &c->net);
  add (o, "Tty", json_object_new_boolean (c->tty));
  add (o, "AutoRemove", json_object_new_boolean (c->auto_remove));
  add (o, "Labels", jkv (&c->labels));
  add (o, "Annotations", jkv (&c->annotations));
  add (o, "OpenStdin", json_object_new_boolean (c->open_stdin));
  if (c->nmounts)
    add (o, "Mounts", jmounts (c->mounts, c->nmounts));
  add_userns (o, c);
}

static void
container_state_to (json_object *o, const struct skiff_container *c)
{
  add (o, "Status", jstr (skiff_ctr_state_name (c->state)));
  add (o, "RestartCount", json_object_new_int ((int) c->restart_count));
  add (o, "Pid", json_object_new_int (c->pid));
  add (o, "ConmonPid", json_object_new_int (c->conmon_pid));
  if (c->boot_id)
    add (o, "BootId", jstr (c->boot_id));
  if (c->started_ns)
    add (o, "StartedAt", json_object_new_int64 ((int64_t) c->started_ns));
  add (o, "ExitCode", json_object_new_int (c->exit_code));
  if (c->finished_ns)
    add (o, "FinishedAt", json_object_new_int64 ((int64_t) c->finished_ns));
  if (c->stopped_by_user)
    add (o, "StoppedByUser", json_object_new_boolean (1));
  if (c->stopping)
    add (o, "Stopping", json_object_new_boolean (1));
  if (c->monitor_died)
    add (o, "MonitorDied", json_object_new_boolean (1));
  if (c->error)
    add (o, "Error", jstr (c->error));
}

static json_object *
container_to_obj (const struct skiff_container *c)
{
  json_object *o = json_object_new_object ();
  add (o, "Id", jstr (c->id));
  if (c->name)
    add (o, "Name", jstr (c->name));
  add (o, "CreatorPid", json_object_new_int (c->creator_pid));
  add (o, "Image", jstr (c->image_id));
  add (o, "ImageName", jstr (c->image_name));
  add (o, "Created", json_object_new_int64 ((int64_t) c->created_ns));
  if (c->pod_id)
    add (o, "Pod", jstr (c->pod_id));
  container_process_to (o, c);
  container_state_to (o, c);
  return o;
}

char *
skiff_container_to_json (const struct skiff_container *c)
{
  json_object *o = container_to_obj (c);
  char *s = xstrdup (json_object_to_json_string_ext (o, JSON_C_TO_STRING_PLAIN));
  json_object_put (o);
  return s;
}

struct skiff_container *
skiff_container_from_json (const char *text, size_t len, skiff_error_t *err)
{
  json_tokener *tok = json_tokener_new ();
  json_object *o = json_tokener_parse_ex (tok, text, (int) len);
  json_tokener_free (tok);
  struct skiff_container *c = o && json_object_is_type (o, json_type_object) ? container_from_obj (o) : NULL;
  json_object_put (o);
  if (c == NULL)
    skiff_error_set_status (err, EINVAL, "not a container record: no valid JSON object with an Id");
  return c;
}

/* ---- container record files ---- */

static char *
record_path (struct skiff_engine *e, const char *id)
{
  return xasprintf ("%s/%s/%s.json", e->root, RECORDS_DIR, id);
}

static int
write_obj (const char *path, json_object *o, bool durable, skiff_error_t *err)
{
  const char *s = json_object_to_json_string_ext (o, JSON_C_TO_STRING_PLAIN);
  if (durable)
    return write_file_atomic (path, s, strlen (s), RECORD_MODE, err);
  return write_file_replace (path, s, strlen (s), RECORD_MODE, err);
}

int
skiff_record_load (struct skiff_engine *e, const char *id, struct skiff_container **out, skiff_error_t *err)
{
  *out = NULL;
  if (strchr (id, '/'))
    return skiff_error_set_status (err, EINVAL, "invalid container ID \"%s\"", id);
  cleanup_free char *path = record_path (e, id);
  cleanup_free char *text = NULL;
  size_t len = 0;
  skiff_error_t rerr = NULL;
  if (read_file (path, &text, &len, &rerr) < 0)
    {
      int status = rerr->status;
      skiff_error_release (&rerr);
      if (status != ENOENT)
        return skiff_error_set (err, status, "read the record %s", path);
      return skiff_error_set_status (err, ENOENT, "no container with ID \"%s\" found: no such container", id);
    }
  *out = skiff_container_from_json (text, len, err);
  if (*out == NULL)
    return skiff_error_wrap (err, "the record %s", path);
  return 0;
}

int
skiff_record_write_new (struct skiff_engine *e, const struct skiff_container *c, bool durable, skiff_error_t *err)
{
  cleanup_free char *dir = path_join (e->root, RECORDS_DIR);
  if (mkdir_p (dir, 0700, err) < 0)
    return -1;
  cleanup_free char *path = record_path (e, c->id);
  json_object *o = container_to_obj (c);
  int r = write_obj (path, o, durable, err);
  json_object_put (o);
  return r;
}

char *
skiff_record_name (struct skiff_engine *e, const char *id)
{
  cleanup_free char *path = record_path (e, id);
  json_object *cur = json_object_from_file (path);
  char *name = cur ? dup_str (cur, "Name") : NULL;
  json_object_put (cur);
  return name;
}

int
skiff_record_save (struct skiff_engine *e, const struct skiff_container *c, bool durable, skiff_error_t *err)
{
  cleanup_free char *path = record_path (e, c->id);
  json_object *o = container_to_obj (c);
  int r = write_obj (path, o, durable, err);
  json_object_put (o);
  return r;
}

int
skiff_record_unlink (struct skiff_engine *e, const char *id, skiff_error_t *err)
{
  cleanup_free char *path = record_path (e, id);
  if (unlink (path) < 0 && errno != ENOENT)
    return skiff_error_set (err, errno, "remove `%s`", path);
  return 0;
}

bool
skiff_record_exists (struct skiff_engine *e, const char *id)
{
  cleanup_free char *path = record_path (e, id);
  return access (path, F_OK) == 0;
}

/* Read a whole small file into *buf (grown as needed): ps -a over a thousand records is this loop */
static ssize_t
read_into (int fd, char **buf, size_t *cap)
{
  size_t len = 0;
  for (;;)
    {
      if (len + LIST_READ_CHUNK > *cap)
        *buf = xrealloc (*buf, *cap = (*cap ? *cap * 2 : LIST_BUF_START));
      size_t want = *cap - len - 1;
      ssize_t n = read (fd, *buf + len, want);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      len += (size_t) n;
      /* a short read of a regular file is its end: spare the read that would return 0 */
      if ((size_t) n < want)
        break;
    }
  return (ssize_t) len;
}

int
skiff_record_list (struct skiff_engine *e, struct skiff_container_list *out, skiff_error_t *err)
{
  memset (out, 0, sizeof *out);
  cleanup_free char *dir = path_join (e->root, RECORDS_DIR);
  DIR *d = opendir (dir);
  if (d == NULL)
    return errno == ENOENT ? 0 : skiff_error_set (err, errno, "open `%s`", dir);
  int dfd = dirfd (d);
  struct dirent *de;
  char *buf = NULL;
  size_t cap = 0;
  json_tokener *tok = json_tokener_new ();
  while ((de = readdir (d)) != NULL)
    {
      if (de->d_name[0] == '.' || !str_has_suffix (de->d_name, ".json"))
        continue;
      int fd = openat (dfd, de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
      if (fd < 0)
        continue;
      ssize_t len = read_into (fd, &buf, &cap);
      close (fd);
      json_tokener_reset (tok);
      json_object *o = json_tokener_parse_ex (tok, buf, (int) len);
      struct skiff_container *c = o && json_object_is_type (o, json_type_object) ? container_from_obj (o) : NULL;
      json_object_put (o);
      if (c == NULL)
        continue;
      out->v = xrealloc (out->v, (out->n + 2) * sizeof *out->v);
      out->v[out->n++] = c;
      out->v[out->n] = NULL;
    }
  json_tokener_free (tok);
  free (buf);
  closedir (d);
  return 0;
}

int
skiff_record_remove_all (struct skiff_engine *e, skiff_error_t *err)
{
  cleanup_free char *dir = path_join (e->root, ENGINE_DIR);
  return rm_rf (dir, err);
}

bool
skiff_record_image_in_use (struct skiff_engine *e, const char *image_id)
{
  cleanup_free char *dir = path_join (e->root, RECORDS_DIR);
  DIR *d = opendir (dir);
  if (d == NULL)
    return false;
  bool used = false;
  struct dirent *de;
  while (!used && (de = readdir (d)) != NULL)
    {
      if (de->d_name[0] == '.' || !str_has_suffix (de->d_name, ".json"))
        continue;
      cleanup_free char *path = xasprintf ("%s/%s", dir, de->d_name);
      json_object *rec = json_object_from_file (path);
      const char *img = rec ? get_str (rec, "Image") : NULL;
      used = img && strcmp (img, image_id) == 0;
      json_object_put (rec);
    }
  closedir (d);
  return used;
}

/* ---- pod records ---- */

static struct skiff_pod *
pod_from_obj (json_object *o)
{
  const char *id = get_str (o, "Id");
  if (id == NULL || strlen (id) >= sizeof ((struct skiff_pod *) 0)->id || strchr (id, '/'))
    return NULL;
  struct skiff_pod *p = xmalloc0 (sizeof *p);
  snprintf (p->id, sizeof p->id, "%s", id);
  p->name = dup_str (o, "Name");
  p->created_ns = (uint64_t) get_i64 (o, "Created", 0);
  p->hostname = dup_str (o, "Hostname");
  cleanup_strv char **share = get_strv (o, "SharedNamespaces");
  p->share_ipc = strv_contains (share, "ipc");
  p->share_net = strv_contains (share, "net");
  p->share_uts = strv_contains (share, "uts");
  get_net (o, &p->net);
  get_kv (o, "Labels", &p->labels);
  p->infra_pid = (int) get_i64 (o, "InfraPid", 0);
  p->infra_conmon_pid = (int) get_i64 (o, "InfraConmonPid", 0);
  p->infra_started_ns = (uint64_t) get_i64 (o, "InfraStartedAt", 0);
  p->infra_finished_ns = (uint64_t) get_i64 (o, "InfraFinishedAt", 0);
  p->starting_pid = (int) get_i64 (o, "StartingPid", 0);
  return p;
}

static json_object *
pod_to_obj (const struct skiff_pod *p)
{
  json_object *o = json_object_new_object ();
  add (o, "Id", jstr (p->id));
  add (o, "Name", jstr (p->name));
  add (o, "Created", json_object_new_int64 ((int64_t) p->created_ns));
  add (o, "Hostname", jstr (p->hostname));
  json_object *share = json_object_new_array ();
  if (p->share_ipc)
    json_object_array_add (share, jstr ("ipc"));
  if (p->share_net)
    json_object_array_add (share, jstr ("net"));
  if (p->share_uts)
    json_object_array_add (share, jstr ("uts"));
  add (o, "SharedNamespaces", share);
  add (o, "InfraPid", json_object_new_int (p->infra_pid));
  add (o, "InfraConmonPid", json_object_new_int (p->infra_conmon_pid));
  if (p->infra_started_ns)
    add (o, "InfraStartedAt", json_object_new_int64 ((int64_t) p->infra_started_ns));
  if (p->infra_finished_ns)
    add (o, "InfraFinishedAt", json_object_new_int64 ((int64_t) p->infra_finished_ns));
  if (p->starting_pid)
    add (o, "StartingPid", json_object_new_int (p->starting_pid));
  add (o, "Labels", jkv (&p->labels));
  add_net (o, &p->net);
  return o;
}

char *
skiff_pod_to_json (const struct skiff_pod *p)
{
  json_object *o = pod_to_obj (p);
  char *s = xstrdup (json_object_to_json_string_ext (o, JSON_C_TO_STRING_PLAIN));
  json_object_put (o);
  return s;
}

struct skiff_pod *
skiff_pod_from_json (const char *text, size_t len, skiff_error_t *err)
{
  json_tokener *tok = json_tokener_new ();
  json_object *o = json_tokener_parse_ex (tok, text, (int) len);
  json_tokener_free (tok);
  struct skiff_pod *p = o && json_object_is_type (o, json_type_object) ? pod_from_obj (o) : NULL;
  json_object_put (o);
  if (p == NULL)
    skiff_error_set_status (err, EINVAL, "not a pod record: no valid JSON object with an Id");
  return p;
}

static char *
pod_path (struct skiff_engine *e, const char *id)
{
  return xasprintf ("%s/%s/%s.json", e->root, PODS_DIR, id);
}

int
skiff_pod_record_load (struct skiff_engine *e, const char *id, struct skiff_pod **out, skiff_error_t *err)
{
  *out = NULL;
  if (strchr (id, '/'))
    return skiff_error_set_status (err, EINVAL, "invalid pod ID \"%s\"", id);
  cleanup_free char *path = pod_path (e, id);
  cleanup_free char *text = NULL;
  size_t len = 0;
  skiff_error_t rerr = NULL;
  if (read_file (path, &text, &len, &rerr) < 0)
    {
      int status = rerr->status;
      skiff_error_release (&rerr);
      if (status != ENOENT)
        return skiff_error_set (err, status, "read the record %s", path);
      return skiff_error_set_status (err, ENOENT, "no pod with name or ID %s found: no such pod", id);
    }
  *out = skiff_pod_from_json (text, len, err);
  return *out ? 0 : skiff_error_wrap (err, "the record %s", path);
}

int
skiff_pod_record_save (struct skiff_engine *e, const struct skiff_pod *p, skiff_error_t *err)
{
  cleanup_free char *dir = path_join (e->root, PODS_DIR);
  if (mkdir_p (dir, 0700, err) < 0)
    return -1;
  cleanup_free char *path = pod_path (e, p->id);
  json_object *o = pod_to_obj (p);
  int r = write_obj (path, o, true, err);
  json_object_put (o);
  return r;
}

int
skiff_pod_record_unlink (struct skiff_engine *e, const char *id, skiff_error_t *err)
{
  cleanup_free char *path = pod_path (e, id);
  if (unlink (path) < 0 && errno != ENOENT)
    return skiff_error_set (err, errno, "remove %s", path);
  return 0;
}

int
skiff_pod_record_list (struct skiff_engine *e, struct skiff_pod_list *out, skiff_error_t *err)
{
  memset (out, 0, sizeof *out);
  cleanup_free char *dir = path_join (e->root, PODS_DIR);
  DIR *d = opendir (dir);
  if (d == NULL)
    return errno == ENOENT ? 0 : skiff_error_set (err, errno, "open `%s`", dir);
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    {
      if (de->d_name[0] == '.' || !str_has_suffix (de->d_name, ".json"))
        continue;
      cleanup_free char *id = xstrndup (de->d_name, strlen (de->d_name) - strlen (".json"));
      struct skiff_pod *p = NULL;
      if (skiff_pod_record_load (e, id, &p, NULL) < 0)
        continue;
      out->v = xrealloc (out->v, (out->n + 2) * sizeof *out->v);
      out->v[out->n++] = p;
      out->v[out->n] = NULL;
    }
  closedir (d);
  return 0;
}

/* ---- exit files ---- */

static char *
exit_path (struct skiff_engine *e, const char *id)
{
  return xasprintf ("%s/%s/%s", e->runroot, EXITS_DIR, id);
}

int
skiff_exit_file_write (struct skiff_engine *e, const char *id, int exit_code, uint64_t finished_ns, skiff_error_t *err)
{
  cleanup_free char *dir = path_join (e->runroot, EXITS_DIR);
  if (mkdir_p (dir, 0700, err) < 0)
    return -1;
  cleanup_free char *path = exit_path (e, id);
  char text[EXIT_FILE_MAX];
  int n = snprintf (text, sizeof text, "%d %llu\n", exit_code, (unsigned long long) finished_ns);
  return write_file_atomic (path, text, (size_t) n, RECORD_MODE, err);
}

bool
skiff_exit_file_read (struct skiff_engine *e, const char *id, int *exit_code, uint64_t *finished_ns)
{
  cleanup_free char *path = exit_path (e, id);
  cleanup_free char *text = NULL;
  if (read_file (path, &text, NULL, NULL) < 0)
    return false;
  unsigned long long t = 0;
  if (sscanf (text, "%d %llu", exit_code, &t) != 2)
    return false;
  *finished_ns = t;
  return true;
}

void
skiff_exit_file_remove (struct skiff_engine *e, const char *id)
{
  cleanup_free char *path = exit_path (e, id);
  unlink (path);
}
