/* skiff run */
#include "cli/cli.h"
#include "engine/images.h"

#include <ctype.h>

enum
{
  O_NAME,
  O_RM,
  O_INTERACTIVE,
  O_TTY,
  O_ENTRYPOINT,
  O_ENV,
  O_ENV_FILE,
  O_WORKDIR,
  O_USER,
  O_HOSTNAME,
  O_CAP_ADD,
  O_CAP_DROP,
  O_SECURITY_OPT,
  O_PRIVILEGED,
  O_READ_ONLY,
  O_READ_ONLY_TMPFS,
  O_ULIMIT,
  O_NETWORK,
  O_MEMORY,
  O_CPUS,
  O_PIDS_LIMIT,
  O_DETACH,
  O_RESTART,
  O_STOP_SIGNAL,
  O_STOP_TIMEOUT,
  O_PULL,
  O_LOG_DRIVER,
  O_LOG_OPT,
  O_CIDFILE,
  O_PUBLISH,
  O_PUBLISH_ALL,
  O_DNS,
  O_DNS_SEARCH,
  O_DNS_OPTION,
  O_ADD_HOST,
  O_MAC_ADDRESS,
  O_POD,
  O_LABEL,
  O_ANNOTATION,
  /* attach (cli/start.c) */
  O_ATTACH,
  O_DETACH_KEYS,
  O_SIG_PROXY,
  /* podman's other names and further flags */
  O_NET,
  O_UNSETENV,
  O_UNSETENV_ALL,
  O_KERNEL_MEMORY,
  O_REPLACE,
  O_RMI,
  O_TZ,
  O_CONMON_PIDFILE,
  O_PRESERVE_FDS,
  /* volumes and mounts */
  O_VOLUME,
  O_MOUNT,
  O_TMPFS,
  O_VOLUMES_FROM,
  /* user namespaces */
  O_USERNS,
  O_GROUP_ADD,
};

static const struct cli_option run_options[] = {
  [O_NAME] = { "name", 0, required_argument, "string", "Assign a name to the container" },
  [O_RM] = { "rm", 0, optional_argument, NULL, "Remove container (and pod if created) after exit" },
  [O_INTERACTIVE] = { "interactive", 'i', optional_argument, NULL, "Make STDIN available to the contained process" },
  [O_TTY] = { "tty", 't', optional_argument, NULL, "Allocate a pseudo-TTY for container" },
  [O_ENTRYPOINT] = { "entrypoint", 0, required_argument, "string", "Overwrite the default ENTRYPOINT of the image" },
  [O_ENV] = { "env", 'e', required_argument, "stringArray", "Set environment variables in container" },
  [O_ENV_FILE] = { "env-file", 0, required_argument, "stringArray", "Read in a file of environment variables" },
  [O_WORKDIR] = { "workdir", 'w', required_argument, "string", "Working directory inside the container" },
  [O_USER] = { "user", 'u', required_argument, "string", "Username or UID (format: <name|uid>[:<group|gid>])" },
  [O_HOSTNAME] = { "hostname", 'h', required_argument, "string", "Set container hostname" },
  [O_CAP_ADD] = { "cap-add", 0, required_argument, "strings", "Add capabilities to the container" },
  [O_CAP_DROP] = { "cap-drop", 0, required_argument, "strings", "Drop capabilities from the container" },
  [O_SECURITY_OPT] = { "security-opt", 0, required_argument, "stringArray",
                       "Security Options (seccomp=unconfined|FILE, no-new-privileges)" },
  [O_PRIVILEGED] = { "privileged", 0, optional_argument, NULL, "Give extended privileges to container" },
  [O_READ_ONLY] = { "read-only", 0, optional_argument, NULL, "Make containers root filesystem read-only" },
  [O_READ_ONLY_TMPFS]
  = { "read-only-tmpfs", 0, optional_argument, NULL,
      "When running --read-only containers mount read-write tmpfs on /dev, /dev/shm, /run, /tmp and /var/tmp (default true)" },
  [O_ULIMIT] = { "ulimit", 0, required_argument, "strings", "Ulimit options" },
  [O_NETWORK] = { "network", 0, required_argument, "string",
                  "Connect a container to a network (slirp4netns[:OPTIONS] (default), none, host, container:NAME)" },
  [O_MEMORY] = { "memory", 'm', required_argument, "string", "Memory limit (format: <number>[<unit>])" },
  [O_CPUS] = { "cpus", 0, required_argument, "float", "Number of CPUs" },
  [O_PIDS_LIMIT] = { "pids-limit", 0, required_argument, "int", "Tune container pids limit" },
  [O_DETACH] = { "detach", 'd', optional_argument, NULL, "Run container in background and print container ID" },
  [O_RESTART]
  = { "restart", 0, required_argument, "string",
      "Restart policy to apply when a container exits (\"always\"|\"no\"|\"on-failure[:max_retries]\"|\"unless-stopped\"); applied with -d only: a foreground run is not restarted" },
  [O_STOP_SIGNAL] = { "stop-signal", 0, required_argument, "string",
                      "Signal to stop a container. Default is SIGTERM (or the image's StopSignal)" },
  [O_STOP_TIMEOUT]
  = { "stop-timeout", 0, required_argument, "uint",
      "Timeout (in seconds) that containers stopped by user command have to exit. If exceeded, the container will be forcibly stopped via SIGKILL (default 10)" },
  [O_PULL] = { "pull", 0, required_argument, "string", "Pull image policy (missing, always, never, newer)" },
  [O_LOG_DRIVER] = { "log-driver", 0, required_argument, "string",
                     "Logging driver for the container (k8s-file, none, passthrough) (default \"k8s-file\")" },
  [O_LOG_OPT] = { "log-opt", 0, required_argument, "stringArray", "Logging driver options (max-size=SIZE, path=FILE)" },
  [O_CIDFILE] = { "cidfile", 0, required_argument, "string", "Write the container ID to the file" },
  [O_PUBLISH]
  = { "publish", 'p', required_argument, "strings",
      "Publish a container's port, or a range of ports, to the host ([ip:][hostPort:]containerPort[/protocol])" },
  [O_PUBLISH_ALL]
  = { "publish-all", 'P', optional_argument, NULL, "Publish all exposed ports to random ports on the host interfaces" },
  [O_DNS] = { "dns", 0, required_argument, "strings", "Set custom DNS servers" },
  [O_DNS_SEARCH] = { "dns-search", 0, required_argument, "strings", "Set custom DNS search domains" },
  [O_DNS_OPTION] = { "dns-option", 0, required_argument, "strings", "Set custom DNS options" },
  [O_ADD_HOST] = { "add-host", 0, required_argument, "strings", "Add a custom host-to-IP mapping (host:ip)" },
  [O_MAC_ADDRESS] = { "mac-address", 0, required_argument, "string", "Container MAC address (e.g. 92:d0:c6:0a:29:33)" },
  [O_POD] = { "pod", 0, required_argument, "string", "Run container in an existing pod (or new:NAME to create one)" },
  [O_LABEL] = { "label", 'l', required_argument, "stringArray", "Set metadata on container" },
  [O_ANNOTATION] = { "annotation", 0, required_argument, "stringArray", "Add annotations to container (key=value)" },
  /* attach (cli/start.c) */
  [O_ATTACH] = { "attach", 'a', required_argument, "stringArray", "Attach to STDIN, STDOUT or STDERR" },
  [O_DETACH_KEYS]
  = { "detach-keys", 0, required_argument, "string",
      "Override the key sequence for detaching a container. Format is a single character [a-Z] or a comma separated sequence of `ctrl-<value>`, where `<value>` is one of: `a-z`, `@`, `^`, `[`, `\\`, `]` or `_` (default \"ctrl-p,ctrl-q\")" },
  [O_SIG_PROXY] = { "sig-proxy", 0, optional_argument, NULL, "Proxy received signals to the process (default true)" },
  [O_NET] = { "net", 0, required_argument, "string", "The same as --network" },
  [O_UNSETENV]
  = { "unsetenv", 0, required_argument, "stringArray", "Unset environment default variables in container" },
  [O_UNSETENV_ALL]
  = { "unsetenv-all", 0, optional_argument, NULL, "Unset all default environment variables in container" },
  [O_KERNEL_MEMORY] = { "kernel-memory", 0, required_argument, "string",
                        "Kernel memory limit: no longer supported, ignored with a warning (as podman)" },
  [O_REPLACE] = { "replace", 0, optional_argument, NULL, "If a container with the same name exists, replace it" },
  [O_RMI] = { "rmi", 0, optional_argument, NULL, "Remove image unless used by other containers, implies --rm" },
  [O_TZ] = { "tz", 0, required_argument, "string", "Set timezone in container" },
  [O_CONMON_PIDFILE] = { "conmon-pidfile", 0, required_argument, "string",
                         "Path to the file that will receive the PID of the container's monitor" },
  [O_PRESERVE_FDS] = { "preserve-fds", 0, required_argument, "uint",
                       "Pass a number of additional file descriptors into the container (run only; at most 64)" },
  [O_VOLUME] = { "volume", 'v', required_argument, "stringArray",
                 "Bind mount a volume into the container ([SOURCE-VOLUME|HOST-DIR:]CONTAINER-DIR[:OPTIONS])" },
  [O_MOUNT]
  = { "mount", 0, required_argument, "stringArray",
      "Attach a filesystem mount to the container (type=bind|volume|tmpfs,[src=HOST-DIR|VOLUME,]target=CTR-DIR[,options])" },
  [O_TMPFS] = { "tmpfs", 0, required_argument, "stringArray", "Mount a temporary filesystem (tmpfs) into a container" },
  [O_VOLUMES_FROM] = { "volumes-from", 0, required_argument, "stringArray",
                       "Mount volumes from the specified container(s) (CTR[:ro|rw])" },
  [O_USERNS]
  = { "userns", 0, required_argument, "string", "User namespace to use (host (default), keep-id[:uid=UID,gid=GID])" },
  [O_GROUP_ADD] = { "group-add", 0, required_argument, "strings",
                    "Add additional groups to the primary container process. 'keep-groups' allows container processes "
                    "to use supplementary groups" },
  { 0 },
};

static int run_main (struct skiff_cli *cli, int argc, char **argv);
static int create_main (struct skiff_cli *cli, int argc, char **argv);

const struct cli_command cli_run_command = {
  .name = "run",
  .options_first = true,
  .fn = run_main,
  .summary = "Run a command in a new container",
  .usage = "[options] IMAGE [COMMAND [ARG...]]",
  .options = run_options,
};

const struct cli_command cli_create_command = {
  .name = "create",
  .options_first = true,
  .fn = create_main,
  .summary = "Create but do not start a container",
  .usage = "[options] IMAGE [COMMAND [ARG...]]",
  .options = run_options,
};

struct run_args
{
  struct cli_run_flags f;
  bool limits_requested;
  const char *pull;             /* --pull policy; NULL: missing */
  const char *cmdname;          /* "run" or "create", for errors */
  struct cli_run_attach attach; /* -a, --detach-keys, --sig-proxy (cli/start.c) */
  bool replace, rmi;
};

static void
push_list (char ***v, const char *arg)
{
  /* "strings" flags take comma-separated values, as cobra's StringSlice does */
  cleanup_free char *copy = xstrdup (arg);
  char *save = NULL;
  for (char *p = strtok_r (copy, ",", &save); p; p = strtok_r (NULL, ",", &save))
    strv_push (v, p);
}

/* A size as podman's --log-opt max-size reads it (go-units FromHumanSize): decimal units, "10k", "1.5MB". */
static bool
parse_human_size (const char *s, uint64_t *out)
{
  char *end = NULL;
  errno = 0;
  double v = strtod (s, &end);
  if (end == s || errno || v < 0 || *s == '-' || *s == '+' || *s == ' ')
    return false;
  static const char units[] = "kmgtp";
  double mult = 1;
  if (*end)
    {
      const char *u = strchr (units, tolower ((unsigned char) *end));
      if (u)
        {
          for (const char *p = units; p <= u; p++)
            mult *= 1000;
          end++;
        }
      if (*end == 'i' || *end == 'I')
        end++;
      if (*end == 'b' || *end == 'B')
        end++;
    }
  if (*end)
    return false;
  *out = (uint64_t) (v * mult);
  return true;
}

/* a path the user gave, made absolute: the monitor does not run in this directory */
static char *
absolute_path (const char *v)
{
  if (*v == '/')
    return xstrdup (v);
  cleanup_free char *cwd = getcwd (NULL, 0);
  return cwd ? path_join (cwd, v) : xstrdup (v);
}

static int
log_opt (struct run_args *a, const char *arg)
{
  if (str_has_prefix (arg, "max-size="))
    {
      const char *v = arg + strlen ("max-size=");
      if (!parse_human_size (v, &a->f.log_max_size))
        return cli_usage_error (a->cmdname,
                                "invalid size \"%s\" for --log-opt max-size: use a number with an optional "
                                "unit (k, m, g), as 10m",
                                v);
      if (a->f.log_max_size > 0 && a->f.log_max_size < SKIFF_LOG_MIN_MAX_SIZE)
        return cli_usage_error (a->cmdname, "--log-opt max-size=%s is too small: a log entry needs at least %d bytes",
                                v, SKIFF_LOG_MIN_MAX_SIZE);
      return 0;
    }
  if (str_has_prefix (arg, "path="))
    {
      const char *v = arg + strlen ("path=");
      if (*v == '\0')
        return cli_usage_error (a->cmdname, "--log-opt path= needs a file");
      free (a->f.log_path);
      a->f.log_path = absolute_path (v);
      return 0;
    }
  if (str_has_prefix (arg, "tag=") || str_has_prefix (arg, "max-file="))
    {
      log_warning ("--log-opt %s ignored: skiff keeps one k8s-file log per container", arg);
      return 0;
    }
  return cli_usage_error (a->cmdname, "invalid log option \"%s\": skiff supports max-size=SIZE and path=FILE", arg);
}

static int
security_opt (struct run_args *a, const char *arg)
{
  if (strcmp (arg, "no-new-privileges") == 0 || strcmp (arg, "no-new-privileges=true") == 0
      || strcmp (arg, "no-new-privileges:true") == 0)
    a->f.no_new_privileges = true;
  else if (strcmp (arg, "no-new-privileges=false") == 0 || strcmp (arg, "no-new-privileges:false") == 0)
    a->f.no_new_privileges = false;
  else if (str_has_prefix (arg, "seccomp=") || str_has_prefix (arg, "seccomp:"))
    a->f.seccomp = arg + strlen ("seccomp=");
  else if (str_has_prefix (arg, "label=") || str_has_prefix (arg, "apparmor="))
    log_warning ("--security-opt %s ignored: SELinux and AppArmor are not used by skiff", arg);
  else
    return cli_usage_error (a->cmdname,
                            "invalid --security-opt \"%s\": use seccomp=unconfined, seccomp=FILE.json or "
                            "no-new-privileges",
                            arg),
           -1;
  return 0;
}

/* the string flags: where each goes */
static int
string_flag (struct run_args *a, int id, const char *arg)
{
  struct cli_run_flags *f = &a->f;
  const char **slot = id == O_NAME          ? &f->name
                      : id == O_ENTRYPOINT  ? &f->entrypoint
                      : id == O_USER        ? &f->user
                      : id == O_HOSTNAME    ? &f->hostname
                      : id == O_NETWORK     ? &f->net.network
                      : id == O_NET         ? &f->net.network
                      : id == O_TZ          ? &f->tz
                      : id == O_RESTART     ? &f->restart
                      : id == O_STOP_SIGNAL ? &f->stop_signal
                      : id == O_LOG_DRIVER  ? &f->log_driver
                      : id == O_CIDFILE     ? &f->cidfile
                      : id == O_MAC_ADDRESS ? &f->net.mac_address
                      : id == O_POD         ? &f->pod
                      : id == O_DETACH_KEYS ? &a->attach.detach_keys
                      : id == O_USERNS      ? &f->userns
                                            : NULL;
  if (slot == NULL)
    return 1;
  *slot = arg;
  return 0;
}

/* the flags that add to a list: where each goes, and whether it takes comma-separated values */
/* -v, --mount, --tmpfs, --volumes-from: kept as given, parsed by specgen */
static char ***
mount_list (struct cli_run_flags *f, int id)
{
  switch (id)
    {
    case O_VOLUME:
      return &f->volumes;
    case O_MOUNT:
      return &f->mounts;
    case O_TMPFS:
      return &f->tmpfs;
    case O_VOLUMES_FROM:
      return &f->volumes_from;
    default:
      return NULL;
    }
}

static int
list_flag (struct run_args *a, int id, const char *arg)
{
  struct cli_run_flags *f = &a->f;
  static const int comma[] = { O_CAP_ADD, O_CAP_DROP, O_DNS, O_DNS_SEARCH, O_DNS_OPTION, O_ADD_HOST, O_GROUP_ADD };
  char ***list = id == O_ENV          ? &f->env
                 : id == O_ENV_FILE   ? &f->env_files
                 : id == O_CAP_ADD    ? &f->cap_add
                 : id == O_CAP_DROP   ? &f->cap_drop
                 : id == O_ULIMIT     ? &f->ulimits
                 : id == O_PUBLISH    ? &f->net.publish
                 : id == O_DNS        ? &f->net.dns
                 : id == O_DNS_SEARCH ? &f->net.dns_search
                 : id == O_DNS_OPTION ? &f->net.dns_option
                 : id == O_ADD_HOST   ? &f->net.add_host
                 : id == O_LABEL      ? &f->labels
                 : id == O_ANNOTATION ? &f->annotations
                 : id == O_ATTACH     ? &a->attach.streams
                 : id == O_UNSETENV   ? &f->unsetenv
                 : id == O_GROUP_ADD  ? &f->group_add
                                      : mount_list (f, id);
  if (list == NULL)
    return 1;
  if (id == O_ANNOTATION && !strchr (arg, '='))
    return cli_usage_error (a->cmdname, "annotations must be formatted KEY=VALUE"), -1;
  bool split = false;
  for (size_t i = 0; i < ARRAY_SIZE (comma); i++)
    split |= comma[i] == id;
  if (split)
    push_list (list, arg);
  else
    strv_push (list, arg);
  return 0;
}

/* the boolean flags (--rm, --rm=false) */
static int
bool_flag (struct run_args *a, int id, const char *arg)
{
  struct cli_run_flags *f = &a->f;
  bool *slot = id == O_RM                ? &f->rm
               : id == O_INTERACTIVE     ? &f->interactive
               : id == O_TTY             ? &f->tty
               : id == O_PRIVILEGED      ? &f->privileged
               : id == O_READ_ONLY       ? &f->read_only
               : id == O_READ_ONLY_TMPFS ? &f->read_only_tmpfs
               : id == O_DETACH          ? &f->detach
               : id == O_PUBLISH_ALL     ? &f->net.publish_all
               : id == O_UNSETENV_ALL    ? &f->unsetenv_all
               : id == O_REPLACE         ? &a->replace
               : id == O_RMI             ? &a->rmi
                                         : NULL;
  bool ok = true;
  if (id == O_SIG_PROXY)
    a->attach.no_sig_proxy = !cli_bool (arg, &ok);
  else if (slot)
    *slot = cli_bool (arg, &ok);
  else
    return 1;
  return ok ? 0 : -1;
}

static int
run_cb (int id, const char *arg, void *data)
{
  struct run_args *a = data;
  int r;
  if ((r = string_flag (a, id, arg)) <= 0 || (r = list_flag (a, id, arg)) <= 0 || (r = bool_flag (a, id, arg)) <= 0)
    return r;
  switch (id)
    {
    case O_WORKDIR:
      if (arg[0] != '/')
        return cli_usage_error (a->cmdname, "invalid --workdir \"%s\": the working directory must be an absolute path",
                                arg),
               -1;
      a->f.workdir = arg;
      break;
    case O_SECURITY_OPT:
      return security_opt (a, arg);
    case O_CONMON_PIDFILE:
      free (a->f.conmon_pidfile);
      a->f.conmon_pidfile = absolute_path (arg);
      break;
    case O_PRESERVE_FDS:
      {
        long long n;
        if (!str_to_llong (arg, 0, UINT32_MAX, &n))
          return cli_usage_error (a->cmdname,
                                  "invalid argument \"%s\" for \"--preserve-fds\" flag: strconv.ParseUint: parsing "
                                  "\"%s\": invalid syntax",
                                  arg, arg),
                 -1;
        if (a->f.create)
          return cli_usage_error (a->cmdname, "unknown flag: --preserve-fds"), -1;
        if (n > CLI_PRESERVE_FDS_MAX)
          return cli_usage_error (a->cmdname, "--preserve-fds=%lld: skiff passes at most %d descriptors", n,
                                  CLI_PRESERVE_FDS_MAX),
                 -1;
        cli_preserve_fds = (unsigned) n;
        break;
      }
    case O_KERNEL_MEMORY:
      log_warning ("The --kernel-memory flag is no longer supported. This flag is a noop.");
      break;
    case O_MEMORY:
    case O_CPUS:
    case O_PIDS_LIMIT:
      a->limits_requested = true;
      break;
    case O_STOP_TIMEOUT:
      if (!str_to_llong (arg, 0, UINT32_MAX, &a->f.stop_timeout))
        return cli_usage_error (a->cmdname,
                                "invalid argument \"%s\" for \"--stop-timeout\" flag: strconv.ParseUint: "
                                "parsing \"%s\": invalid syntax",
                                arg, arg),
               -1;
      a->f.stop_timeout_set = true;
      break;
    case O_LOG_OPT:
      return log_opt (a, arg) != 0 ? -1 : 0;
    case O_PULL:
      if (strcmp (arg, "missing") && strcmp (arg, "always") && strcmp (arg, "never") && strcmp (arg, "newer"))
        return cli_usage_error (a->cmdname, "invalid pull policy \"%s\": use missing, always, never or newer", arg), -1;
      a->pull = arg;
      break;
    }
  return 0;
}

/* cgroup v2 with delegated controllers is what rootless resource limits need */
static bool
cgroup_limits_available (void)
{
  if (getuid () == 0)
    return access ("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0 || access ("/sys/fs/cgroup/memory", F_OK) == 0;
  cleanup_free char *ctl = NULL;
  if (read_file ("/sys/fs/cgroup/cgroup.controllers", &ctl, NULL, NULL) < 0)
    return false;
  return strstr (ctl, "memory") != NULL;
}

static void
run_args_release (struct run_args *a)
{
  struct cli_run_flags *f = &a->f;
  strv_free (a->attach.streams);
  free (f->log_path);
  free (f->conmon_pidfile);
  char **lists[] = { f->env,         f->env_files,   f->cap_add, f->cap_drop,       f->ulimits,        f->labels,
                     f->annotations, f->net.publish, f->net.dns, f->net.dns_search, f->net.dns_option, f->net.add_host,
                     f->unsetenv };
  for (size_t i = 0; i < ARRAY_SIZE (lists); i++)
    strv_free (lists[i]);
  char **mount_lists[] = { f->volumes, f->mounts, f->tmpfs, f->volumes_from };
  for (size_t i = 0; i < ARRAY_SIZE (mount_lists); i++)
    strv_free (mount_lists[i]);
  strv_free (f->group_add);
}

/* The container's ID into the --cidfile made by specgen */
static int
write_cidfile (int fd, const char *path, const char *id, skiff_error_t *err)
{
  if (fd < 0)
    return 0;
  int r = write_all (fd, id, strlen (id));
  return r < 0 ? skiff_error_set (err, -r, "write the container ID to %s", path) : 0;
}

/* --replace: the container of that name goes first (stopped at once, as rm -f) */
static int
replace_named (struct skiff_engine *e, const char *name, skiff_error_t *err)
{
  struct skiff_container *old = NULL;
  skiff_error_t lookup_err = NULL;
  if (skiff_engine_container_lookup (e, name, &old, &lookup_err) < 0)
    {
      skiff_error_release (&lookup_err);
      return 0;
    }
  /* a name, not an ID prefix, is replaced */
  int r = old->name && strcmp (old->name, name) == 0 ? skiff_engine_container_remove (e, old, true, err) : 0;
  skiff_container_free (old);
  return r;
}

/* --rmi: after the container went (--rm), its image too, unless another container uses it (podman warns) */
static void
remove_image (struct skiff_engine *e, const char *image)
{
  skiff_error_t err = NULL;
  char **untagged = NULL, **deleted = NULL;
  if (skiff_engine_image_remove (e, image, false, false, &untagged, &deleted, &err) < 0)
    {
      log_warning ("Failed removing image %s: %s", image, err->msg);
      skiff_error_release (&err);
    }
  strv_free (untagged);
  strv_free (deleted);
}

/* run = create + start: the container is created (its record, name, root filesystem), then started in the
 * foreground (this process holds it), under a monitor (-d), or under a monitor with this process attached
 * (-t, -a, --detach-keys). A start that fails leaves the container created, as podman does, unless --rm or an
 * interrupt: then what create made goes. */
static int
create_and_start (struct skiff_cli *cli, struct run_args *a, const struct skiff_spec *s, int cid_fd, skiff_error_t *err)
{
  struct skiff_engine *e;
  struct skiff_container *c = NULL;
  bool create = a->f.create, detach = a->f.detach || a->attach.monitor;
  if (cli_engine (cli, &e, err) < 0 || cli_run_pull_policy (cli, a->pull, s->image, err) < 0)
    return -1;
  if (a->replace && replace_named (e, a->f.name, err) < 0)
    return -1;
  /* an interrupt while the container is set up ends it cleanly: nothing half-made is left */
  skiff_interrupt_catch ();
  int ret = -1;
  if (skiff_engine_container_create (e, s, &c, err) < 0)
    goto out;
  skiff_test_point ("run-created");
  struct skiff_start_options so = { .foreground = !detach,
                                    .attach_fd = a->attach.monitor ? &a->attach.fd : NULL,
                                    .preserve_fds = cli_preserve_fds };
  struct skiff_start_result res;
  if (write_cidfile (cid_fd, a->f.cidfile, c->id, err) < 0
      || (!create && skiff_engine_container_start (e, c->id, &so, &res, err) < 0))
    {
      skiff_error_t ignored = NULL;
      if (!a->f.rm && !skiff_interrupted () && *err && (*err)->exit_code != SKIFF_EXIT_ERROR)
        goto out; /* made, but its command could not start (126, 127): it stays, as podman's */
      if (skiff_engine_container_remove (e, c, true, &ignored) < 0)
        {
          log_warning ("removing container %s, which did not start: %s", c->id, ignored->msg);
          skiff_error_release (&ignored);
        }
      goto out;
    }
  skiff_interrupt_release ();
  ret = 0;
  if (create || a->f.detach)
    printf ("%s\n", c->id);
  else if (a->attach.monitor)
    ret = cli_run_attach_finish (&a->attach, e, c->id, s);
  else
    ret = res.exit_code;
  if (a->rmi && !a->f.detach && !create)
    remove_image (e, s->image);
out:
  skiff_container_free (c);
  return ret;
}

static int
run_or_create (struct skiff_cli *cli, int argc, char **argv, bool create)
{
  const char *cmdname = create ? "create" : "run";
  struct run_args a = { .f.read_only_tmpfs = true, .f.create = create, .cmdname = cmdname, .attach.fd = -1 };
  struct skiff_spec s;
  skiff_spec_init (&s);
  int first = cli_parse (create ? &cli_create_command : &cli_run_command, cmdname, argc, argv, run_cb, &a);
  int ret = SKIFF_EXIT_ERROR, cid_fd = -1;
  bool made = false;
  skiff_error_t err = NULL;
  if (first == -2)
    ret = 0;
  if (first < 0)
    goto out;
  if (first >= argc)
    {
      ret = cli_usage_error (cmdname, "requires at least 1 arg(s), only received 0");
      goto out;
    }
  if (a.replace && a.f.name == NULL)
    {
      ret = cli_usage_error (cmdname, "cannot replace container without --name being set");
      goto out;
    }
  if (a.rmi && a.f.detach)
    {
      ret = cli_usage_error (cmdname, "the --rmi option does not work with -d (--detach)");
      goto out;
    }
  if (a.rmi)
    a.f.rm = true;
  if (a.limits_requested)
    {
      /* podman's create warning, word for word and as a bare line (its tests read it so); docs/cgroups.md */
      if (!cgroup_limits_available ())
        fputs ("Resource limits are not supported and ignored on cgroups V1 rootless systems\n", stderr);
      else
        log_warning ("--memory, --cpus and --pids-limit are ignored: this version of skiff does not apply cgroup "
                     "limits yet");
    }
  a.f.image = argv[first];
  a.f.command = argv + first + 1;
  /* every string parsed and every file read before anything is made */
  if (cli_specgen_run (&a.f, &s, &cid_fd, &err) < 0)
    {
      ret = cli_fail (&err);
      goto out;
    }
  /* attach (cli/start.c): may run a foreground container through a monitor */
  if ((ret = cli_run_attach_prepare (&a.attach, &s, a.f.detach, create)) != 0)
    goto out;
  ret = create_and_start (cli, &a, &s, cid_fd, &err);
  if (ret < 0)
    ret = cli_fail (&err);
  else
    made = true;
out:
  if (cid_fd >= 0)
    {
      close (cid_fd);
      /* made by us, and no container came of it */
      if (!made)
        unlink (a.f.cidfile);
    }
  skiff_spec_release (&s);
  run_args_release (&a);
  return ret;
}

static int
run_main (struct skiff_cli *cli, int argc, char **argv)
{
  return run_or_create (cli, argc, argv, false);
}

static int
create_main (struct skiff_cli *cli, int argc, char **argv)
{
  return run_or_create (cli, argc, argv, true);
}
