/* The flags of run, create, pod create and exec -> the engine's typed specs, as podman's FillOutSpecGen fills a
 * SpecGenerator: every string the user typed is parsed here (with the parsers of the modules that own each
 * format, through engine/spec.h), and every file the user named is read (env files, the seccomp profile) or
 * made (the cidfile) here. The engine sees typed values only. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <json-c/json.h>

#include "cli/cli.h"

#define MAC_LEN 6
#define MAC_MULTICAST_BIT 0x01

/* --entrypoint: "" clears, a JSON array is taken as is, anything else is one word */
static int
parse_entrypoint (const char *s, struct skiff_argv *out, skiff_error_t *err)
{
  out->set = true;
  out->v = NULL;
  if (*s == '\0')
    return 0;
  if (*s != '[')
    {
      strv_push (&out->v, s);
      return 0;
    }
  json_object *j = json_tokener_parse (s);
  if (j == NULL || !json_object_is_type (j, json_type_array))
    {
      json_object_put (j);
      return skiff_error_set_status (err, EINVAL, "invalid --entrypoint `%s`: expected a JSON array of strings", s);
    }
  for (size_t i = 0; i < json_object_array_length (j); i++)
    strv_push (&out->v, json_object_get_string (json_object_array_get_idx (j, i)));
  json_object_put (j);
  return 0;
}

static int
parse_mac (const char *s, uint8_t mac[MAC_LEN], skiff_error_t *err)
{
  unsigned v[MAC_LEN];
  char end;
  if (sscanf (s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &end) != MAC_LEN)
    return skiff_error_set_status (err, EINVAL,
                                   "invalid --mac-address \"%s\": give six hex bytes, as 92:d0:c6:0a:29:33", s);
  for (int i = 0; i < MAC_LEN; i++)
    {
      if (v[i] > 0xff)
        return skiff_error_set_status (err, EINVAL, "invalid --mac-address \"%s\"", s);
      mac[i] = (uint8_t) v[i];
    }
  if (mac[0] & MAC_MULTICAST_BIT)
    return skiff_error_set_status (err, EINVAL,
                                   "invalid --mac-address \"%s\": a multicast address cannot be a device's address", s);
  return 0;
}

static bool
ip_address (const char *s)
{
  struct in6_addr a;
  return inet_pton (AF_INET, s, &a) == 1 || inet_pton (AF_INET6, s, &a) == 1;
}

/* --add-host HOST:IP (IP may be host-gateway) */
static int
parse_add_host (const char *h, struct skiff_net_spec *n, skiff_error_t *err)
{
  const char *colon = strchr (h, ':');
  if (colon == NULL || colon == h || colon[1] == '\0')
    return skiff_error_set_status (err, EINVAL, "invalid --add-host \"%s\": use HOST:IP", h);
  const char *ip = colon + 1;
  bool gateway = strcmp (ip, "host-gateway") == 0;
  if (!gateway && !ip_address (ip))
    return skiff_error_set_status (err, EINVAL, "invalid IP address in add-host: \"%s\"", ip);
  n->hosts = xrealloc (n->hosts, (n->nhosts + 1) * sizeof *n->hosts);
  n->hosts[n->nhosts++] = (struct skiff_host_entry){
    .name = xstrndup (h, (size_t) (colon - h)),
    .ip = xstrdup (ip),
    .host_gateway = gateway,
  };
  return 0;
}

/* --network: slirp4netns[:options] (the default), none, host, container:NAME */
static int
parse_network_mode (const char *mode, struct skiff_net_spec *n, skiff_error_t *err)
{
  if (skiff_spec_parse_slirp (NULL, &n->slirp, err) < 0)
    return -1;
  n->mode = SKIFF_NETMODE_SLIRP;
  if (mode == NULL || *mode == '\0' || strcmp (mode, "private") == 0 || strcmp (mode, "default") == 0)
    return 0;
  if (strcmp (mode, "slirp4netns") == 0 || str_has_prefix (mode, "slirp4netns:"))
    {
      n->explicit_mode = true;
      const char *opts = mode[strlen ("slirp4netns")] == ':' ? mode + strlen ("slirp4netns:") : NULL;
      return skiff_spec_parse_slirp (opts, &n->slirp, err);
    }
  if (strcmp (mode, "none") == 0)
    n->mode = SKIFF_NETMODE_NONE;
  else if (strcmp (mode, "host") == 0)
    n->mode = SKIFF_NETMODE_HOST;
  else if (str_has_prefix (mode, "container:"))
    {
      if (mode[strlen ("container:")] == '\0')
        return skiff_error_set_status (err, EINVAL, "invalid --network container: give container:NAME or container:ID");
      n->mode = SKIFF_NETMODE_CONTAINER;
      n->container = xstrdup (mode + strlen ("container:"));
    }
  else if (str_has_prefix (mode, "ns:"))
    return skiff_error_set_status (err, EINVAL, "--network ns:PATH is not supported by skiff: use container:NAME");
  else if (strcmp (mode, "pasta") == 0 || str_has_prefix (mode, "pasta:"))
    return skiff_error_set_status (err, EINVAL,
                                   "network mode \"pasta\" is not supported by skiff: its slirp4netns mode (the "
                                   "default) needs no helper; use --network slirp4netns");
  else
    return skiff_error_set_status (err, EINVAL,
                                   "network mode \"%s\" is not supported: skiff runs rootless containers with "
                                   "slirp4netns (the default), none, host or container:NAME, and has no named networks",
                                   mode);
  return 0;
}

int
cli_specgen_network (const struct cli_net_flags *f, struct skiff_net_spec *n, skiff_error_t *err)
{
  if (parse_network_mode (f->network, n, err) < 0)
    return -1;
  for (size_t i = 0; f->publish && f->publish[i]; i++)
    if (skiff_spec_parse_publish (f->publish[i], &n->ports, &n->nports, err) < 0)
      return -1;
  if (n->nports && n->mode != SKIFF_NETMODE_SLIRP)
    {
      /* one of podman's create warnings: a bare line on stderr, not a log line */
      fputs ("Port mappings have been discarded as one of the Host, Container, Pod, and None network modes are "
             "in use\n",
             stderr);
      free (n->ports);
      n->ports = NULL;
      n->nports = 0;
    }
  else if (n->nports)
    n->explicit_mode = true;
  if (skiff_spec_check_ports (n->ports, n->nports, err) < 0)
    return -1;
  n->publish_all = f->publish_all;
  if (f->mac_address)
    {
      if (parse_mac (f->mac_address, n->slirp.mac, err) < 0)
        return -1;
      n->slirp.mac_set = true;
    }
  for (size_t i = 0; f->add_host && f->add_host[i]; i++)
    if (parse_add_host (f->add_host[i], n, err) < 0)
      return -1;
  for (size_t i = 0; f->dns && f->dns[i]; i++)
    if (strcmp (f->dns[i], "none") != 0 && !ip_address (f->dns[i]))
      return skiff_error_set_status (err, EINVAL, "%s is not an ip address", f->dns[i]);
  n->dns = strv_dup (f->dns);
  n->dns_search = strv_dup (f->dns_search);
  n->dns_option = strv_dup (f->dns_option);
  return 0;
}

/* "k=v" (or "k", value "") strings; later keys win */
static void
parse_kv (char *const *kv, struct skiff_kvlist *out)
{
  for (size_t i = 0; kv && kv[i]; i++)
    {
      const char *eq = strchr (kv[i], '=');
      cleanup_free char *key = eq ? xstrndup (kv[i], (size_t) (eq - kv[i])) : xstrdup (kv[i]);
      skiff_kvlist_set (out, key, eq ? eq + 1 : "");
    }
}

int
cli_specgen_env (char *const *env, char *const *env_files, char ***out, skiff_error_t *err)
{
  for (size_t i = 0; env_files && env_files[i]; i++)
    if (skiff_spec_env_file (env_files[i], out, err) < 0)
      return -1;
  for (size_t i = 0; env && env[i]; i++)
    skiff_spec_env_add (out, env[i]);
  return 0;
}

static int
parse_log_driver (const char *d, enum skiff_log_driver *out, skiff_error_t *err)
{
  if (d == NULL || strcmp (d, "k8s-file") == 0)
    *out = SKIFF_LOG_K8S_FILE;
  else if (strcmp (d, "json-file") == 0) /* podman's alias, its name kept */
    *out = SKIFF_LOG_JSON_FILE;
  else if (strcmp (d, "none") == 0)
    *out = SKIFF_LOG_NONE;
  else if (strcmp (d, "passthrough") == 0)
    *out = SKIFF_LOG_PASSTHROUGH;
  else
    return skiff_error_set_status (
        err, EINVAL, "invalid log driver \"%s\": skiff supports k8s-file, json-file (its alias), none and passthrough",
        d);
  return 0;
}

/* the seccomp profile: podman's default, unconfined, or a file read now */
static int
parse_seccomp (const struct cli_run_flags *f, struct skiff_spec *s, skiff_error_t *err)
{
  if (f->privileged || (f->seccomp && strcmp (f->seccomp, "unconfined") == 0))
    {
      s->seccomp = SKIFF_SECCOMP_UNCONFINED;
      return 0;
    }
  if (f->seccomp == NULL)
    return 0;
  s->seccomp = SKIFF_SECCOMP_CUSTOM;
  if (read_file (f->seccomp, &s->seccomp_profile, NULL, err) < 0)
    return skiff_error_wrap (err, "seccomp profile");
  return 0;
}

#define ZONEINFO_DIR "/usr/share/zoneinfo"
#define HOST_LOCALTIME "/etc/localtime"

/* --tz: the host's zone ("local") or one of its zoneinfo, read now (podman's error for an unknown one) */
static int
specgen_tz (const char *tz, struct skiff_spec *s, skiff_error_t *err)
{
  bool local = strcmp (tz, "local") == 0;
  if (!local && (*tz == '\0' || *tz == '/' || strstr (tz, "..")))
    return skiff_error_set_status (err, EINVAL, "finding timezone: unknown time zone %s", tz);
  cleanup_free char *path = local ? xstrdup (HOST_LOCALTIME) : path_join (ZONEINFO_DIR, tz);
  if (read_file (path, &s->localtime, &s->localtime_len, NULL) < 0)
    return skiff_error_set_status (err, EINVAL, "finding timezone: unknown time zone %s", tz);
  return 0;
}

/* the process and its confinement */
static int
specgen_process (const struct cli_run_flags *f, struct skiff_spec *s, skiff_error_t *err)
{
  s->cmd.set = f->command && f->command[0];
  s->cmd.v = strv_dup (f->command);
  if (f->entrypoint && parse_entrypoint (f->entrypoint, &s->entrypoint, err) < 0)
    return -1;
  if (cli_specgen_env (f->env, f->env_files, &s->env, err) < 0)
    return -1;
  s->unsetenv = strv_dup (f->unsetenv);
  if (f->tz && specgen_tz (f->tz, s, err) < 0)
    return -1;
  s->unsetenv_all = f->unsetenv_all;
  s->workdir = f->workdir ? xstrdup (f->workdir) : NULL;
  s->user = f->user ? xstrdup (f->user) : NULL;
  s->hostname = f->hostname ? xstrdup (f->hostname) : NULL;
  s->privileged = f->privileged;
  s->no_new_privileges = f->no_new_privileges;
  s->read_only = f->read_only;
  s->read_only_tmpfs = f->read_only_tmpfs;
  s->tty = f->tty;
  s->interactive = f->interactive;
  if (skiff_spec_parse_caps (f->privileged, f->cap_add, f->cap_drop, &s->caps, err) < 0)
    return -1;
  for (size_t i = 0; f->ulimits && f->ulimits[i]; i++)
    if (skiff_spec_parse_ulimit (f->ulimits[i], &s->rlimits, &s->nrlimits, err) < 0)
      return -1;
  return parse_seccomp (f, s, err);
}

/* what stop, the restart policy and the log do with it */
static int
specgen_lifecycle (const struct cli_run_flags *f, struct skiff_spec *s, skiff_error_t *err)
{
  if (skiff_spec_parse_restart (f->restart ? f->restart : "", &s->restart, err) < 0)
    return -1;
  s->auto_remove = f->rm;
  if (f->rm && s->restart.policy != SKIFF_RESTART_NO)
    return skiff_error_set_status (
        err, EINVAL, "the --rm option conflicts with --restart, when the restartPolicy is not \"\" and \"no\"");
  if (f->stop_signal && (s->stop_signal = skiff_signal_parse (f->stop_signal, err)) < 0)
    return -1;
  s->stop_timeout_set = f->stop_timeout_set;
  s->stop_timeout = (unsigned) f->stop_timeout;
  if (parse_log_driver (f->log_driver, &s->log_driver, err) < 0)
    return -1;
  if ((f->detach || f->create) && s->log_driver == SKIFF_LOG_PASSTHROUGH)
    return skiff_error_set_status (err, EINVAL,
                                   "passthrough logging driver is not supported in detached mode: the container's "
                                   "stdio would be that of a skiff that has returned; use k8s-file or none with -d");
  s->log_path = f->log_path ? xstrdup (f->log_path) : NULL;
  s->conmon_pidfile = f->conmon_pidfile ? xstrdup (f->conmon_pidfile) : NULL;
  s->log_max_size = f->log_max_size;
  parse_kv (f->labels, &s->labels);
  parse_kv (f->annotations, &s->annotations);
  return 0;
}

/* --userns, and --group-add keep-groups (the only group --group-add takes so far) */
static int
specgen_userns (const struct cli_run_flags *f, struct skiff_spec *s, skiff_error_t *err)
{
  size_t n = 0;
  for (; f->group_add && f->group_add[n]; n++)
    s->keep_groups |= strcmp (f->group_add[n], "keep-groups") == 0;
  if (s->keep_groups && n > 1)
    return skiff_error_set_status (err, EINVAL,
                                   "the '--group-add keep-groups' option is not allowed with any other --group-add "
                                   "options");
  if (n && !s->keep_groups)
    return skiff_error_set_status (err, ENOTSUP, "--group-add %s: skiff takes only --group-add keep-groups so far",
                                   f->group_add[0]);
  return skiff_spec_parse_userns (f->userns, &s->userns, err);
}

/* --cidfile: made exclusively now, so that a file in the way fails before anything else is done */
static int
open_cidfile (const char *path, int *fd, skiff_error_t *err)
{
  *fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (*fd >= 0)
    return 0;
  if (errno == EEXIST)
    return skiff_error_set_status (
        err, EEXIST, "container id file exists. Ensure another container is not using it or delete %s", path);
  return skiff_error_set (err, errno, "opening cidfile %s", path);
}

/* -v, --mount, --tmpfs, --volumes-from (engine/mountspec.c's grammar) */
static int
specgen_mounts (const struct cli_run_flags *f, struct skiff_spec *s, skiff_error_t *err)
{
  for (size_t i = 0; f->volumes && f->volumes[i]; i++)
    if (skiff_spec_parse_volume (f->volumes[i], &s->mounts, &s->nmounts, err) < 0)
      return -1;
  for (size_t i = 0; f->mounts && f->mounts[i]; i++)
    if (skiff_spec_parse_mount (f->mounts[i], &s->mounts, &s->nmounts, err) < 0)
      return -1;
  for (size_t i = 0; f->tmpfs && f->tmpfs[i]; i++)
    if (skiff_spec_parse_tmpfs (f->tmpfs[i], &s->mounts, &s->nmounts, err) < 0)
      return -1;
  for (size_t i = 0; f->volumes_from && f->volumes_from[i]; i++)
    if (skiff_spec_parse_volumes_from (f->volumes_from[i], &s->volumes_from, &s->nvolumes_from, err) < 0)
      return -1;
  return skiff_spec_check_mounts (s->mounts, &s->nmounts, err);
}

int
cli_specgen_run (const struct cli_run_flags *f, struct skiff_spec *s, int *cid_fd, skiff_error_t *err)
{
  *cid_fd = -1;
  s->image = xstrdup (f->image);
  s->name = f->name ? xstrdup (f->name) : NULL;
  if (f->pod)
    {
      s->pod_new = str_has_prefix (f->pod, "new:");
      s->pod = xstrdup (s->pod_new ? f->pod + strlen ("new:") : f->pod);
    }
  if (specgen_lifecycle (f, s, err) < 0 || specgen_process (f, s, err) < 0
      || cli_specgen_network (&f->net, &s->net, err) < 0 || specgen_mounts (f, s, err) < 0
      || specgen_userns (f, s, err) < 0)
    return -1;
  if (f->cidfile && open_cidfile (f->cidfile, cid_fd, err) < 0)
    return -1;
  return 0;
}

int
cli_specgen_pod (const struct cli_pod_flags *f, struct skiff_pod_spec *s, skiff_error_t *err)
{
  if (f->share)
    {
      s->share_ipc = s->share_net = s->share_uts = false;
      for (size_t i = 0; f->share[i]; i++)
        {
          const char *k = f->share[i];
          if (strcmp (k, "net") == 0)
            s->share_net = true;
          else if (strcmp (k, "ipc") == 0)
            s->share_ipc = true;
          else if (strcmp (k, "uts") == 0)
            s->share_uts = true;
          /* podman's default is cgroup,ipc,net,uts; skiff makes no cgroups, so cgroup is accepted */
          else if (strcmp (k, "cgroup") && strcmp (k, "none") && strcmp (k, ""))
            return skiff_error_set_status (err, EINVAL,
                                           "invalid kernel namespace to share: %s: skiff's pods share net, ipc and "
                                           "uts%s",
                                           k, strcmp (k, "pid") == 0 ? " (not pid)" : "");
        }
    }
  s->name = f->name ? xstrdup (f->name) : NULL;
  s->hostname = f->hostname ? xstrdup (f->hostname) : NULL;
  parse_kv (f->labels, &s->labels);
  return cli_specgen_network (&f->net, &s->net, err);
}
