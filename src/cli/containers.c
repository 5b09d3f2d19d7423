/* skiff rm, inspect, container exists and the "container" group. */
#include <ftw.h>
#include <signal.h>

#include "cli/cli.h"

#include <arpa/inet.h>

#include "net/net.h"

/* ---- rm ---- */

enum
{
  M_FORCE,
  M_ALL,
  M_IGNORE,
  M_TIME,
  M_VOLUMES,
  M_LATEST,
};

static const struct cli_option rm_options[] = {
  [M_FORCE] = { "force", 'f', optional_argument, NULL, "Force removal of a running or unusable container" },
  [M_ALL] = { "all", 'a', optional_argument, NULL, "Remove all containers" },
  [M_IGNORE] = { "ignore", 'i', optional_argument, NULL, "Ignore errors when a specified container is missing" },
  [M_TIME] = { "time", 't', required_argument, "int",
               "Seconds to wait for stop before killing the container (with --force; default: kill at once)" },
  [M_VOLUMES] = { "volumes", 'v', optional_argument, NULL,
                  "Remove anonymous volumes associated with the container (skiff has none yet: accepted)" },
  [M_LATEST] = { "latest", 'l', optional_argument, NULL, "Act on the latest container skiff is aware of" },
  { 0 },
};

static int rm_main (struct skiff_cli *cli, int argc, char **argv);

const struct cli_command cli_rm_command = {
  .name = "rm",
  .summary = "Remove one or more containers",
  .usage = "[options] CONTAINER [CONTAINER...]",
  .options = rm_options,
  .fn = rm_main,
};

struct rm_args
{
  bool force, all, ignore, latest, time_set;
  long long time;
};

static int
rm_cb (int id, const char *arg, void *data)
{
  struct rm_args *a = data;
  bool ok = true;
  switch (id)
    {
    case M_FORCE:
      a->force = cli_bool (arg, &ok);
      break;
    case M_ALL:
      a->all = cli_bool (arg, &ok);
      break;
    case M_IGNORE:
      a->ignore = cli_bool (arg, &ok);
      break;
    case M_TIME:
      if (!str_to_llong (arg, -1, INT32_MAX, &a->time))
        return cli_usage_error ("rm",
                                "invalid argument \"%s\" for \"-t, --time\" flag: strconv.ParseUint: parsing "
                                "\"%s\": invalid syntax",
                                arg, arg),
               -1;
      a->time_set = true;
      break;
    case M_VOLUMES:
      break;
    case M_LATEST:
      a->latest = cli_bool (arg, &ok);
      break;
    }
  return 0;
}

/* podman rm's exit codes: 1 no such container, 2 a container is running (without --force) */
#define RM_EXIT_NOT_FOUND 1
#define RM_EXIT_RUNNING 2

static int
rm_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct rm_args a = { 0 };
  int first = cli_parse (&cli_rm_command, "rm", argc, argv, rm_cb, &a);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  if (first >= argc && !a.all && !a.latest)
    return cli_usage_error ("rm", "must specify at least one container name or ID, or use --all");
  if (first < argc && (a.all || a.latest))
    return cli_usage_error ("rm", "--all and --latest take no arguments");
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  if (cli_engine (cli, &e, &err) < 0 || skiff_engine_enter (e, &err) < 0)
    return cli_fail (&err);
  json_object *targets = NULL;
  int ret = 0;
  if (a.all)
    {
      if (skiff_engine_container_list (e, &targets, &err) < 0)
        return cli_fail (&err);
    }
  else if (a.latest)
    {
      json_object *rec = NULL;
      if (skiff_engine_container_latest (e, &rec, &err) < 0)
        return cli_fail (&err);
      targets = json_object_new_array ();
      json_object_array_add (targets, rec);
    }
  else
    {
      targets = json_object_new_array ();
      for (int i = first; i < argc; i++)
        {
          json_object *rec = NULL;
          if (skiff_engine_container_lookup (e, argv[i], &rec, &err) < 0)
            {
              int status = err->status;
              /* --ignore, and -f as podman: a missing container is no error */
              if (status == ENOENT && (a.ignore || a.force))
                {
                  skiff_error_release (&err);
                  continue;
                }
              fprintf (stderr, "Error: %s\n", err->msg);
              skiff_error_release (&err);
              ret = status == ENOENT ? RM_EXIT_NOT_FOUND : SKIFF_EXIT_ERROR;
              continue;
            }
          json_object_array_add (targets, rec);
        }
    }
  for (size_t i = 0; i < json_object_array_length (targets); i++)
    {
      json_object *rec = json_object_array_get_idx (targets, i);
      const char *id = json_object_get_string (json_object_object_get (rec, "Id"));
      const char *status = json_object_get_string (json_object_object_get (rec, "Status"));
      /* -t: stop it as `stop -t` would (its stop signal, SIGKILL after the time) before it goes */
      if (a.force && a.time_set && status && strcmp (status, "running") == 0)
        cli_stop_container (e, id, true, a.time);
      if (skiff_engine_container_remove (e, rec, a.force, &err) < 0)
        {
          int status_code = err->status;
          /* a concurrent rm took it first: with -f (or --ignore) that is what was wanted */
          if (status_code == ENOENT && (a.force || a.ignore))
            {
              skiff_error_release (&err);
              printf ("%s\n", id);
              continue;
            }
          fprintf (stderr, "Error: %s\n", err->msg);
          skiff_error_release (&err);
          ret = status_code == EBUSY ? RM_EXIT_RUNNING : status_code == ENOENT ? RM_EXIT_NOT_FOUND : SKIFF_EXIT_ERROR;
          continue;
        }
      printf ("%s\n", id);
    }
  json_object_put (targets);
  return ret;
}

/* ---- inspect, container exists, and the "container" group ---- */

enum
{
  I_FORMAT,
  I_TYPE,
  I_LATEST,
  I_SIZE,
};

static const struct cli_option inspect_options[] = {
  [I_FORMAT] = { "format", 'f', required_argument, "string", "Format the output to a Go template or json" },
  [I_TYPE] = { "type", 't', required_argument, "string", "Specify inspect-object type (container)" },
  [I_LATEST] = { "latest", 'l', optional_argument, NULL, "Act on the latest container skiff is aware of" },
  [I_SIZE] = { "size", 's', optional_argument, NULL, "Display total file size" },
  { 0 },
};

struct inspect_args
{
  const char *format;
  const char *type;
  bool latest, size;
};

static int
inspect_cb (int id, const char *arg, void *data)
{
  struct inspect_args *a = data;
  bool ok = true;
  if (id == I_FORMAT)
    a->format = arg;
  else if (id == I_TYPE)
    a->type = arg;
  else if (id == I_LATEST)
    a->latest = cli_bool (arg, &ok);
  else
    a->size = cli_bool (arg, &ok);
  return 0;
}

static json_object *
time_json (json_object *rec, const char *key)
{
  int64_t ns = json_object_get_int64 (json_object_object_get (rec, key));
  if (ns <= 0)
    return json_object_new_string ("0001-01-01T00:00:00Z");
  cleanup_free char *t = format_time_rfc3339 ((uint64_t) ns);
  return json_object_new_string (t);
}

static json_object *
get_or (json_object *rec, const char *key, json_object *def)
{
  json_object *v = json_object_object_get (rec, key);
  if (v == NULL)
    return def;
  json_object_put (def);
  return json_object_get (v);
}

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

/* "nofile=1024:2048" -> {"Name": "RLIMIT_NOFILE", "Soft": 1024, "Hard": 2048} */
static json_object *
ulimits_json (json_object *rec)
{
  json_object *out = json_object_new_array ();
  json_object *list = json_object_object_get (rec, "Ulimits");
  for (size_t i = 0; list && i < json_object_array_length (list); i++)
    {
      const char *u = json_object_get_string (json_object_array_get_idx (list, i));
      const char *eq = u ? strchr (u, '=') : NULL;
      if (eq == NULL)
        continue;
      cleanup_free char *name = xasprintf ("RLIMIT_%.*s", (int) (eq - u), u);
      for (char *p = name; *p; p++)
        *p = (char) (*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
      long long soft = strtoll (eq + 1, NULL, 10);
      const char *colon = strchr (eq + 1, ':');
      long long hard = colon ? strtoll (colon + 1, NULL, 10) : soft;
      json_object *l = json_object_new_object ();
      add (l, "Name", str (name));
      add (l, "Soft", json_object_new_int64 (soft));
      add (l, "Hard", json_object_new_int64 (hard));
      json_object_array_add (out, l);
    }
  return out;
}

static uint64_t du_total;

static int
du_cb (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void) path, (void) ftw;
  if (flag == FTW_F || flag == FTW_SL)
    du_total += (uint64_t) st->st_size;
  return 0;
}

static int64_t
dir_size (const char *dir)
{
  du_total = 0;
  if (nftw (dir, du_cb, 32, FTW_PHYS | FTW_MOUNT) < 0)
    return 0;
  return (int64_t) du_total;
}

/* podman's container inspect shape, from skiff's record */
static json_object *
inspect_json (struct skiff_engine *e, json_object *rec, bool size)
{
  json_object *o = json_object_new_object ();
  const char *id = json_object_get_string (json_object_object_get (rec, "Id"));
  const char *status = json_object_get_string (json_object_object_get (rec, "Status"));
  json_object *args = json_object_object_get (rec, "Args");
  add (o, "Id", str (id));
  add (o, "Created", time_json (rec, "Created"));
  add (o, "Path",
       str (args && json_object_array_length (args) ? json_object_get_string (json_object_array_get_idx (args, 0))
                                                    : ""));
  json_object *rest = json_object_new_array ();
  for (size_t i = 1; args && i < json_object_array_length (args); i++)
    json_object_array_add (rest, json_object_get (json_object_array_get_idx (args, i)));
  add (o, "Args", rest);
  json_object *state = json_object_new_object ();
  bool running = status && strcmp (status, "running") == 0;
  add (state, "OciVersion", str ("1.1.0"));
  add (state, "Status", str (status ? status : "created"));
  add (state, "Running", json_object_new_boolean (running));
  add (state, "Paused", json_object_new_boolean (0));
  add (state, "Restarting", json_object_new_boolean (0));
  add (state, "OOMKilled", json_object_new_boolean (0));
  add (state, "Dead", json_object_new_boolean (0));
  add (state, "Pid", json_object_new_int (json_object_get_int (json_object_object_get (rec, "Pid"))));
  add (state, "ConmonPid", json_object_new_int (json_object_get_int (json_object_object_get (rec, "ConmonPid"))));
  add (state, "ExitCode", json_object_new_int (json_object_get_int (json_object_object_get (rec, "ExitCode"))));
  add (state, "Error", get_or (rec, "Error", str ("")));
  add (state, "StartedAt", time_json (rec, "StartedAt"));
  add (state, "FinishedAt", time_json (rec, "FinishedAt"));
  add (o, "State", state);
  add (o, "Image", get_or (rec, "Image", str ("")));
  add (o, "ImageName", get_or (rec, "ImageName", str ("")));
  add (o, "Rootfs", str (""));
  add (o, "Pod", get_or (rec, "Pod", str ("")));
  cleanup_free char *userdata = xasprintf ("%s/containers/%s", e->root, id);
  cleanup_free char *hosts = path_join (userdata, "hosts");
  cleanup_free char *hostname = path_join (userdata, "hostname");
  cleanup_free char *resolv = path_join (userdata, "resolv.conf");
  cleanup_free char *log = path_join (userdata, "ctr.log");
  add (o, "ResolvConfPath", str (resolv));
  add (o, "HostnamePath", str (hostname));
  add (o, "HostsPath", str (hosts));
  add (o, "StaticDir", str (userdata));
  add (o, "OCIRuntime", str ("skiff"));
  add (o, "LogPath", get_or (rec, "LogPath", str (log)));
  add (o, "Name", get_or (rec, "Name", str ("")));
  add (o, "RestartCount", get_or (rec, "RestartCount", json_object_new_int (0)));
  /* the driver that made the container's layer */
  cleanup_free char *drvfile = path_join (userdata, "driver");
  cleanup_free char *driver = NULL;
  if (read_file (drvfile, &driver, NULL, NULL) == 0)
    driver[strcspn (driver, "\n")] = '\0';
  add (o, "Driver", str (driver ? driver : ""));
  add (o, "MountLabel", str (""));
  add (o, "ProcessLabel", str (""));
  add (o, "AppArmorProfile", str (""));
  add (o, "ExecIDs", json_object_new_array ());
  json_object *gd = json_object_new_object ();
  add (gd, "Name", str (driver ? driver : ""));
  add (gd, "Data", NULL);
  add (o, "GraphDriver", gd);
  add (o, "Mounts", json_object_new_array ());
  add (o, "Dependencies", json_object_new_array ());
  /* networking fills these in; the keys are podman's */
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
  add (ns, "Ports", cli_port_bindings (json_object_object_get (rec, "PortMappings")));
  add (ns, "SandboxKey", str (""));
  const char *netmode = json_object_get_string (json_object_object_get (rec, "NetworkMode"));
  if (netmode && str_has_prefix (netmode, "slirp4netns"))
    {
      /* slirp4netns's addresses: .100 and .2 of the network (cidr= moves it) */
      struct skiff_net_options no;
      if (skiff_net_options_parse (netmode[strlen ("slirp4netns")] == ':' ? netmode + strlen ("slirp4netns:") : NULL,
                                   &no, NULL)
          < 0)
        skiff_net_options_parse (NULL, &no, NULL);
      char ipbuf[INET_ADDRSTRLEN], gwbuf[INET_ADDRSTRLEN];
      struct in_addr a = skiff_net_addr (&no, SKIFF_NET_CONTAINER), g = skiff_net_addr (&no, SKIFF_NET_GATEWAY);
      cleanup_free char *ip = xstrdup (inet_ntop (AF_INET, &a, ipbuf, sizeof ipbuf));
      cleanup_free char *gw = xstrdup (inet_ntop (AF_INET, &g, gwbuf, sizeof gwbuf));
      add (ns, "IPAddress", str (ip));
      add (ns, "Gateway", str (gw));
      add (ns, "IPPrefixLen", json_object_new_int (__builtin_popcount (no.netmask.s_addr)));
    }
  if (json_object_object_get (rec, "MacAddress"))
    add (ns, "MacAddress", get_or (rec, "MacAddress", str ("")));
  add (o, "NetworkSettings", ns);
  add (o, "Namespace", str (""));
  add (o, "IsInfra", json_object_new_boolean (0));
  add (o, "IsService", json_object_new_boolean (0));
  json_object *config = json_object_new_object ();
  add (config, "Hostname", get_or (rec, "Hostname", str ("")));
  add (config, "Domainname", str (""));
  add (config, "User", get_or (rec, "User", str ("")));
  add (config, "AttachStdin", json_object_new_boolean (0));
  add (config, "AttachStdout", json_object_new_boolean (0));
  add (config, "AttachStderr", json_object_new_boolean (0));
  add (config, "Tty", get_or (rec, "Tty", json_object_new_boolean (0)));
  add (config, "OpenStdin", get_or (rec, "OpenStdin", json_object_new_boolean (0)));
  add (config, "StdinOnce", json_object_new_boolean (0));
  add (config, "Env", get_or (rec, "Env", json_object_new_array ()));
  add (config, "Cmd", args ? json_object_get (args) : json_object_new_array ());
  add (config, "Image", get_or (rec, "ImageName", str ("")));
  add (config, "Volumes", NULL);
  add (config, "WorkingDir", get_or (rec, "WorkingDir", str ("/")));
  add (config, "Entrypoint", str (""));
  add (config, "OnBuild", NULL);
  add (config, "Labels", get_or (rec, "Labels", json_object_new_object ()));
  add (config, "Annotations", get_or (rec, "Annotations", json_object_new_object ()));
  char signame[32];
  json_object *sig = json_object_object_get (rec, "StopSignal");
  add (config, "StopSignal",
       str (skiff_signal_name (sig ? json_object_get_int (sig) : SIGTERM, signame, sizeof signame)));
  add (config, "StopTimeout", get_or (rec, "StopTimeout", json_object_new_int (SKIFF_DEFAULT_STOP_TIMEOUT)));
  add (config, "Umask", str ("0022"));
  add (config, "Timeout", json_object_new_int (0));
  add (o, "Config", config);
  json_object *hc = json_object_new_object ();
  add (hc, "Binds", json_object_new_array ());
  add (hc, "CgroupManager", str ("cgroupfs"));
  add (hc, "CgroupMode", str ("host"));
  add (hc, "ContainerIDFile", str (""));
  json_object *lc = json_object_new_object ();
  const char *ld = json_object_get_string (json_object_object_get (rec, "LogDriver"));
  add (lc, "Type", str (ld ? ld : "k8s-file"));
  add (lc, "Config", NULL);
  add (lc, "Path", get_or (rec, "LogPath", str (ld && strcmp (ld, "k8s-file") != 0 ? "" : log)));
  add (lc, "Tag", str (""));
  int64_t max = json_object_get_int64 (json_object_object_get (rec, "LogSizeMax"));
  cleanup_free char *human = cli_human_size (max > 0 ? (uint64_t) max : 0);
  char *sp = strchr (human, ' ');
  if (sp)
    memmove (sp, sp + 1, strlen (sp));
  add (lc, "Size", str (human));
  add (hc, "LogConfig", lc);
  const char *net = json_object_get_string (json_object_object_get (rec, "NetworkMode"));
  add (hc, "NetworkMode", str (net && strcmp (net, "private") != 0 ? net : "none"));
  add (hc, "PortBindings", cli_port_bindings (json_object_object_get (rec, "PortMappings")));
  json_object *rp = json_object_new_object ();
  const char *policy = json_object_get_string (json_object_object_get (rec, "RestartPolicy"));
  const char *colon = policy ? strchr (policy, ':') : NULL;
  cleanup_free char *pname
      = policy ? (colon ? xstrndup (policy, (size_t) (colon - policy)) : xstrdup (policy)) : xstrdup ("");
  add (rp, "Name", str (strcmp (pname, "no") == 0 ? "" : pname));
  add (rp, "MaximumRetryCount", json_object_new_int (colon ? atoi (colon + 1) : 0));
  add (hc, "RestartPolicy", rp);
  add (hc, "AutoRemove", get_or (rec, "AutoRemove", json_object_new_boolean (0)));
  add (hc, "CapAdd", get_or (rec, "CapAdd", json_object_new_array ()));
  add (hc, "CapDrop", get_or (rec, "CapDrop", json_object_new_array ()));
  add (hc, "Privileged", get_or (rec, "Privileged", json_object_new_boolean (0)));
  add (hc, "ReadonlyRootfs", get_or (rec, "ReadOnly", json_object_new_boolean (0)));
  json_object *secopt = json_object_new_array ();
  if (json_object_get_boolean (json_object_object_get (rec, "NoNewPrivileges")))
    json_object_array_add (secopt, str ("no-new-privileges"));
  const char *sc = json_object_get_string (json_object_object_get (rec, "Seccomp"));
  if (sc && strcmp (sc, "unconfined") == 0)
    json_object_array_add (secopt, str ("seccomp=unconfined"));
  add (hc, "SecurityOpt", secopt);
  add (hc, "Ulimits", ulimits_json (rec));
  add (o, "HostConfig", hc);
  if (size)
    {
      cleanup_free char *diff = path_join (userdata, "diff");
      int64_t rw = dir_size (diff);
      add (o, "SizeRw", json_object_new_int64 (rw));
      add (o, "SizeRootFs",
           json_object_new_int64 (rw + json_object_get_int64 (json_object_object_get (rec, "ImageSize"))));
    }
  return o;
}

static int inspect_main (struct skiff_cli *cli, int argc, char **argv);

const struct cli_command cli_inspect_command = {
  .name = "inspect",
  .summary = "Display the configuration of a container",
  .usage = "[options] CONTAINER [CONTAINER...]",
  .options = inspect_options,
  .fn = inspect_main,
};

static int
inspect_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct inspect_args a = { 0 };
  int first = cli_parse (&cli_inspect_command, "inspect", argc, argv, inspect_cb, &a);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  if (first >= argc && !a.latest)
    return cli_usage_error ("inspect", "you must provide at least one name or id");
  if (a.type && strcmp (a.type, "container") != 0 && strcmp (a.type, "all") != 0)
    return cli_usage_error ("inspect",
                            "--type %s is not supported by this skiff: use container (or skiff image inspect)", a.type);
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  if (cli_engine (cli, &e, &err) < 0 || skiff_engine_enter (e, &err) < 0)
    return cli_fail (&err);
  json_object *items = json_object_new_array ();
  int ret = 0;
  for (int i = a.latest ? argc : first; i <= argc; i++)
    {
      if (i == argc && !a.latest)
        break;
      json_object *rec = NULL;
      int r = i == argc ? skiff_engine_container_latest (e, &rec, &err)
                        : skiff_engine_container_lookup (e, argv[i], &rec, &err);
      if (r < 0)
        {
          fprintf (stderr, "Error: %s\n", err->msg);
          skiff_error_release (&err);
          ret = SKIFF_EXIT_ERROR;
          continue;
        }
      json_object_array_add (items, inspect_json (e, rec, a.size));
      json_object_put (rec);
    }
  if (json_object_array_length (items) > 0 || !a.format)
    {
      int r = cli_print_formatted ("inspect", a.format ? a.format : "json", items, false, NULL, false);
      if (r != 0)
        ret = r;
    }
  json_object_put (items);
  return ret;
}

/* container exists: exit 0 or 1, no output */
static int
exists_main (struct skiff_cli *cli, int argc, char **argv)
{
  static const struct cli_option none[] = { { 0 } };
  static const struct cli_command self = {
    .name = "exists", .summary = "Check if a container exists in local storage", .usage = "CONTAINER", .options = none
  };
  int first = cli_parse (&self, "container exists", argc, argv, NULL, NULL);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  if (argc - first != 1)
    return cli_usage_error ("container exists", "accepts 1 arg(s), received %d", argc - first);
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  if (cli_engine (cli, &e, &err) < 0 || skiff_engine_enter (e, &err) < 0)
    return cli_fail (&err);
  json_object *rec = NULL;
  if (skiff_engine_container_lookup (e, argv[first], &rec, &err) < 0)
    {
      int st = err->status;
      if (st != ENOENT)
        return cli_fail (&err);
      skiff_error_release (&err);
      return 1;
    }
  json_object_put (rec);
  return 0;
}

static int container_main (struct skiff_cli *cli, int argc, char **argv);

static const struct cli_command container_subcommands[] = {
  { .name = "exists",
    .summary = "Check if a container exists in local storage",
    .usage = "CONTAINER",
    .fn = exists_main },
  { .name = "inspect",
    .summary = "Display the configuration of a container",
    .usage = "[options] CONTAINER [CONTAINER...]",
    .options = inspect_options,
    .fn = inspect_main },
  { .name = "list", .summary = "List containers", .usage = "[options]", .fn = cli_ps_main, .aliases = { "ls", "ps" } },
  { .name = "prune",
    .summary = "Remove all non running containers",
    .usage = "[options]",
    .fn = cli_container_prune_main },
  { .name = "rename", .summary = "Rename an existing container", .usage = "CONTAINER NAME", .fn = NULL },
  { .name = "rm",
    .summary = "Remove one or more containers",
    .usage = "[options] CONTAINER [CONTAINER...]",
    .options = rm_options,
    .fn = rm_main },
  { .name = "run",
    .summary = "Run a command in a new container",
    .usage = "[options] IMAGE [COMMAND [ARG...]]",
    .fn = NULL },
  { 0 },
};

const struct cli_command cli_container_command = {
  .name = "container",
  .summary = "Manage containers",
  .usage = "COMMAND",
  .subcommands = container_subcommands,
  .fn = container_main,
};

const struct cli_command *cli_find_command (const struct cli_command *const *list, const struct cli_command *sub,
                                            const char *name);

static int
container_main (struct skiff_cli *cli, int argc, char **argv)
{
  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    {
      cli_print_help (&cli_container_command, "container");
      return argc < 2 ? SKIFF_EXIT_ERROR : 0;
    }
  /* the verbs that live elsewhere */
  static const struct cli_command *const others[]
      = { &cli_run_command,    &cli_logs_command, &cli_stop_command,  &cli_kill_command,    &cli_wait_command,
          &cli_rename_command, &cli_top_command,  &cli_pause_command, &cli_unpause_command, NULL };
  const struct cli_command *c = cli_find_command (others, NULL, argv[1]);
  if (c == NULL)
    c = cli_find_command (NULL, container_subcommands, argv[1]);
  if (c == NULL || c->fn == NULL)
    {
      fprintf (stderr,
               "Error: unrecognized command `skiff container %s`\nTry 'skiff container --help' for more "
               "information\n",
               argv[1]);
      return SKIFF_EXIT_ERROR;
    }
  return c->fn (cli, argc - 1, argv + 1);
}
