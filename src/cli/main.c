/* skiff's entry point: global options, then one command. The only place that prints an error and exits. */
#include <signal.h>

#include "cli/cli.h"
#include "config.h"

static const struct cli_option global_options[] = {
  { "root", 0, required_argument, "string", "Path to the root directory in which data, including images, is stored" },
  { "runroot", 0, required_argument, "string", "Path to the 'run directory' where all state information is stored" },
  { "storage-driver", 0, required_argument, "string",
    "Select which storage driver is used to manage storage of images and containers (overlay, fuse-overlayfs, vfs)" },
  { "log-level", 0, required_argument, "string",
    "Log messages above specified level (trace, debug, info, warn, error, fatal, panic)" },
  { "version", 'v', no_argument, NULL, "Version of skiff" },
  { 0 },
};

enum
{
  G_ROOT,
  G_RUNROOT,
  G_DRIVER,
  G_LOG_LEVEL,
  G_VERSION,
};

static const struct cli_command *const commands[] = {
  &cli_run_command,     &cli_unshare_command,   &cli_import_command,
  &cli_images_command,  &cli_rmi_command,       &cli_version_command,
  &cli_info_command,    &cli_system_command,    &cli_image_command,
  &cli_history_command, &cli_ps_command,        &cli_rm_command,
  &cli_inspect_command, &cli_container_command, &cli_logs_command,
  &cli_stop_command,    &cli_kill_command,      &cli_wait_command,
  &cli_exec_command,    &cli_save_command,      &cli_load_command,
  &cli_pull_command,    &cli_push_command,      &cli_search_command,
  &cli_login_command,   &cli_logout_command,    &cli_tag_command,
  &cli_untag_command,   &cli_rename_command,    &cli_create_command,
  &cli_start_command,   &cli_restart_command,   &cli_attach_command,
  &cli_top_command,     &cli_pause_command,     &cli_unpause_command,
  &cli_pod_command,     &cli_port_command,      NULL,
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
            fprintf (stderr,
                     "Error: log level \"%s\" is not supported: use one of trace, debug, info, warn, error, "
                     "fatal, panic\n",
                     arg);
            return -1;
          }
        skiff_log_level = l;
        break;
      }
    case G_VERSION:
      printf ("skiff version %s\n", SKIFF_VERSION);
      exit (0);
    }
  return 0;
}

int
cli_engine (struct skiff_cli *cli, struct skiff_engine **out, skiff_error_t *err)
{
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
  close_inherited_fds ();
  struct skiff_cli cli = { 0 };
  const char *level = getenv ("SKIFF_LOG_LEVEL");
  if (level && skiff_log_level_parse (level) >= 0)
    skiff_log_level = skiff_log_level_parse (level);
  signal (SIGPIPE, SIG_IGN);

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
  int r = cmd->fn (&cli, argc - first, argv + first);
  skiff_engine_free (cli.engine);
  fflush (stdout);
  return r;
}
