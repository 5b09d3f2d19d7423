/* skiff's entry point: global options, then one command. The only place that prints an error and exits. */
#include <fcntl.h>
#include <signal.h>

#include "cli/cli.h"
#include "config.h"

/* podman's root options. The first ones are persistent (cobra): every command takes them after its name too. */
static const struct cli_option global_options[] = {
  { "root", 0, required_argument, "string", "Path to the root directory in which data, including images, is stored" },
  { "runroot", 0, required_argument, "string", "Path to the 'run directory' where all state information is stored" },
  { "storage-driver", 0, required_argument, "string",
    "Select which storage driver is used to manage storage of images and containers (overlay, fuse-overlayfs, vfs)" },
  { "log-level", 0, required_argument, "string",
    "Log messages above specified level (trace, debug, info, warn, warning, error, fatal, panic)" },
  { "runtime", 0, required_argument, "string",
    "Path to the OCI-compatible binary used to run containers (accepted: skiff runs containers itself)" },
  { "runtime-flag", 0, required_argument, "stringArray",
    "add global flags for the container runtime (skiff's own runtime has none: running a container fails)" },
  { "events-backend", 0, required_argument, "string", "Events backend to use (\"file\"|\"journald\"|\"none\")" },
  { "cgroup-manager", 0, required_argument, "string", "Cgroup manager to use (\"cgroupfs\"|\"systemd\")" },
  { "conmon", 0, required_argument, "string",
    "Path of the conmon binary (accepted: skiff monitors containers itself)" },
  { "network-cmd-path", 0, required_argument, "string",
    "Path to the command for configuring the network (accepted: skiff's network is built in)" },
  { "network-config-dir", 0, required_argument, "string",
    "Path of the configuration directory for networks (accepted)" },
  { "tmpdir", 0, required_argument, "string", "Path to the tmp directory for libpod state content (accepted)" },
  { "volumepath", 0, required_argument, "string",
    "Path to the volume directory in which volume data is stored (accepted)" },
  { "storage-opt", 0, required_argument, "stringArray", "Used to pass an option to the storage driver (accepted)" },
  { "hooks-dir", 0, required_argument, "strings", "Set the OCI hooks directory path (accepted: skiff runs no hooks)" },
  { "namespace", 0, required_argument, "string", "Set the libpod namespace (accepted)" },
  { "syslog", 0, optional_argument, NULL, "Output logging information to syslog as well as the console (accepted)" },
  /* the root command's only */
  { "noout", 0, optional_argument, NULL, "do not output to stdout" },
  { "remote", 'r', optional_argument, NULL, "Access remote Podman service (not supported by skiff)" },
  { "url", 0, required_argument, "string", "URL to access Podman service (not supported by skiff)" },
  { "connection", 'c', required_argument, "string", "Connection to use for remote Podman service (not supported)" },
  { "version", 'v', no_argument, NULL, "Version of skiff" },
  { 0 },
};

enum
{
  G_ROOT,
  G_RUNROOT,
  G_DRIVER,
  G_LOG_LEVEL,
  G_RUNTIME,
  G_RUNTIME_FLAG,
  G_EVENTS_BACKEND,
  G_CGROUP_MANAGER,
  G_CONMON,
  G_NETWORK_CMD_PATH,
  G_NETWORK_CONFIG_DIR,
  G_TMPDIR,
  G_VOLUMEPATH,
  G_STORAGE_OPT,
  G_HOOKS_DIR,
  G_NAMESPACE,
  G_SYSLOG,
  G_N_PERSISTENT,
  G_NOOUT = G_N_PERSISTENT,
  G_REMOTE,
  G_URL,
  G_CONNECTION,
  G_VERSION,
};

/* the persistent part of global_options, as its own table for cli_set_persistent */
static struct cli_option persistent_options[G_N_PERSISTENT + 1];

static const struct cli_command *const commands[] = {
  &cli_run_command,
  &cli_unshare_command,
  &cli_import_command,
  &cli_images_command,
  &cli_rmi_command,
  &cli_version_command,
  &cli_info_command,
  &cli_system_command,
  &cli_image_command,
  &cli_history_command,
  &cli_ps_command,
  &cli_rm_command,
  &cli_inspect_command,
  &cli_container_command,
  &cli_logs_command,
  &cli_stop_command,
  &cli_kill_command,
  &cli_wait_command,
  &cli_exec_command,
  &cli_save_command,
  &cli_load_command,
  &cli_pull_command,
  &cli_push_command,
  &cli_search_command,
  &cli_login_command,
  &cli_logout_command,
  &cli_tag_command,
  &cli_untag_command,
  &cli_rename_command,
  &cli_create_command,
  &cli_start_command,
  &cli_restart_command,
  &cli_attach_command,
  &cli_top_command,
  &cli_pause_command,
  &cli_unpause_command,
  &cli_pod_command,
  &cli_port_command,
  &cli_volume_command,
  /* files in and out (cp.c) */
  &cli_cp_command,
  &cli_export_command,
  &cli_mount_command,
  &cli_unmount_command,
  NULL,
};

static void print_root_help (void);

static const struct cli_command root_command = {
  .help = print_root_help,
  .name = "skiff",
  .options_first = true,
  .summary = "Manage pods, containers and images, without root and without a daemon",
  .usage = "[options] COMMAND",
  .options = global_options,
};

static void
print_root_help (void)
{
  printf ("Manage pods, containers and images, without root and without a daemon\n\nUsage:\n  skiff [options] "
          "[command]\n\nAvailable Commands:\n");
  for (size_t i = 0; commands[i]; i++)
    printf ("  %-12s %s\n", commands[i]->name, commands[i]->summary);
  printf ("\nOptions:\n");
  for (const struct cli_option *o = global_options; o->name; o++)
    {
      char left[96];
      if (o->shortname)
        snprintf (left, sizeof left, "-%c, --%s", o->shortname, o->name);
      else
        snprintf (left, sizeof left, "    --%s%s%s", o->name, o->argname ? " " : "", o->argname ? o->argname : "");
      printf ("  %-32s %s\n", left, o->help);
    }
  printf ("  %-32s %s\n", "-h, --help", "help for skiff");
}

static int
global_cb (int id, const char *arg, void *data)
{
  struct skiff_cli *cli = data;
  switch (id)
    {
    case G_ROOT:
      cli->root = arg;
      break;
    case G_RUNROOT:
      cli->runroot = arg;
      break;
    case G_DRIVER:
      cli->storage_driver = arg;
      break;
    case G_LOG_LEVEL:
      {
        int l = skiff_log_level_parse (arg);
        if (l < 0)
          {
            /* podman's text and exit code (logrus, before cobra runs the command) */
            fprintf (stderr,
                     "Log Level \"%s\" is not supported, choose from: trace, debug, info, warn, warning, error, "
                     "fatal, panic\n",
                     arg);
            exit (1);
          }
        skiff_log_level = l;
        break;
      }
    case G_RUNTIME_FLAG:
      strv_push (&cli->runtime_flags, arg);
      break;
    case G_EVENTS_BACKEND:
      if (strcmp (arg, "file") != 0 && strcmp (arg, "journald") != 0 && strcmp (arg, "none") != 0)
        {
          fprintf (stderr, "Error: configuring runtime: \"%s\" is not a valid events backend: invalid argument\n", arg);
          return -1;
        }
      break;
    case G_CGROUP_MANAGER:
      if (strcmp (arg, "cgroupfs") != 0 && strcmp (arg, "systemd") != 0)
        {
          fprintf (stderr, "Error: %s: invalid cgroup manager: use cgroupfs or systemd\n", arg);
          return -1;
        }
      break;
    case G_NOOUT:
      {
        bool ok;
        cli->noout = cli_bool (arg, &ok);
        break;
      }
    case G_REMOTE:
    case G_URL:
    case G_CONNECTION:
      fprintf (stderr, "Error: --%s: skiff has no service to connect to: it is daemonless, run it locally\n",
               global_options[id].name);
      return -1;
    case G_VERSION:
      printf ("skiff version %s\n", SKIFF_VERSION);
      exit (0);
    default:
      break; /* accepted for podman's command lines: skiff has no such component (see skiff(1)) */
    }
  return 0;
}

int
cli_engine (struct skiff_cli *cli, struct skiff_engine **out, skiff_error_t *err)
{
  cli_inherited_fds_settle (); /* before anything can fork; cli_parse has done it for every command */
  if (cli->engine == NULL && skiff_engine_new (cli->root, cli->runroot, cli->storage_driver, &cli->engine, err) < 0)
    return -1;
  *out = cli->engine;
  return 0;
}

int
cli_engine_entered (struct skiff_cli *cli, struct skiff_engine **out, skiff_error_t *err)
{
  if (cli_engine (cli, out, err) < 0)
    return -1;
  return skiff_engine_enter (*out, err);
}

int
main (int argc, char **argv)
{
  cli_inherited_fds_hold ();
  struct skiff_cli cli = { 0 };
  const char *level = getenv ("SKIFF_LOG_LEVEL");
  if (level && skiff_log_level_parse (level) >= 0)
    skiff_log_level = skiff_log_level_parse (level);
  signal (SIGPIPE, SIG_IGN);

  memcpy (persistent_options, global_options, G_N_PERSISTENT * sizeof *global_options);
  cli_set_persistent (persistent_options, global_cb, &cli);
  int first = cli_parse (&root_command, "", argc, argv, global_cb, &cli);
  if (first == -2)
    return 0;
  if (first < 0)
    return SKIFF_EXIT_ERROR;
  if (first >= argc)
    {
      print_root_help ();
      fprintf (stderr, "Error: missing command 'skiff COMMAND'\n");
      return SKIFF_EXIT_ERROR;
    }
  if (strcmp (argv[first], "help") == 0)
    {
      print_root_help ();
      return 0;
    }
  const struct cli_command *cmd = cli_find_command (commands, NULL, argv[first]);
  if (cmd == NULL)
    {
      fprintf (stderr, "Error: unrecognized command `skiff %s`\nTry 'skiff --help' for more information\n",
               argv[first]);
      return SKIFF_EXIT_ERROR;
    }
  /* skiff runs containers with its own runtime, which has no flags: what would start one fails as podman's
   * does when the OCI runtime rejects a flag */
  const char *verb = strcmp (argv[first], "container") == 0 && first + 1 < argc ? argv[first + 1] : argv[first];
  if (cli.runtime_flags
      && (strcmp (verb, "run") == 0 || strcmp (verb, "start") == 0 || strcmp (verb, "restart") == 0
          || strcmp (verb, "exec") == 0))
    {
      fprintf (stderr, "Error: OCI runtime error: skiff: its built-in runtime takes no flags: --%s\n",
               cli.runtime_flags[0]);
      strv_free (cli.runtime_flags);
      return SKIFF_EXIT_CANNOT_EXEC;
    }
  if (cli.noout)
    {
      /* podman: nothing of the command's on stdout; errors still reach stderr */
      int fd = open ("/dev/null", O_WRONLY | O_CLOEXEC);
      if (fd >= 0 && dup2 (fd, STDOUT_FILENO) >= 0)
        close (fd);
    }
  int r = cmd->fn (&cli, argc - first, argv + first);
  skiff_engine_free (cli.engine);
  fflush (stdout);
  strv_free (cli.runtime_flags);
  return r;
}
