/* skiff version, info, system reset, unshare */
#include "cli/cli.h"
#include "config.h"
#include "engine/info.h"
#include "format/format.h"

struct format_args
{
  const char *format;
};

static int
format_cb (int id, const char *arg, void *data)
{
  ((struct format_args *) data)->format = arg;
  return 0;
}

/* ---- version ---- */

static const struct cli_option format_options[] = {
  { "format", 'f', required_argument, "string", "Change the output format to JSON or a Go template" },
  { 0 },
};

static int version_main (struct skiff_cli *cli, int argc, char **argv);

const struct cli_command cli_version_command = {
  .name = "version",
  .summary = "Display the skiff version information",
  .usage = "[options]",
  .options = format_options,
  .fn = version_main,
};

static json_object *
version_json (void)
{
  json_object *c = json_object_new_object ();
  json_object_object_add (c, "APIVersion", json_object_new_string (SKIFF_VERSION));
  json_object_object_add (c, "Version", json_object_new_string (SKIFF_VERSION));
  json_object_object_add (c, "GoVersion", json_object_new_string ("none (C, gnu11)"));
  json_object_object_add (c, "GitCommit", json_object_new_string (SKIFF_GIT_COMMIT));
  json_object_object_add (c, "BuiltTime", json_object_new_string (__DATE__ " " __TIME__));
  json_object_object_add (c, "Built", json_object_new_int64 (0));
  cleanup_free char *osarch = xasprintf ("linux/%s", skiff_go_arch ());
  json_object_object_add (c, "OsArch", json_object_new_string (osarch));
  json_object_object_add (c, "Os", json_object_new_string ("linux"));
  return c;
}

static int
version_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct format_args a = { 0 };
  int first = cli_parse (&cli_version_command, "version", argc, argv, format_cb, &a);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  json_object *c = version_json ();
  json_object *root = json_object_new_object ();
  json_object_object_add (root, "Client", c);
  int ret = 0;
  if (a.format)
    {
      /* podman's templates see the local engine as .Server too ({{.Server.Version}}); its JSON shows Client only */
      if (!skiff_format_is_json (a.format))
        json_object_object_add (root, "Server", json_object_get (c));
      json_object *rows = json_object_new_array ();
      json_object_array_add (rows, json_object_get (root));
      ret = cli_print_formatted ("version", a.format, rows, true, NULL, true);
      json_object_put (rows);
    }
  else
    printf ("Client:       skiff\nVersion:      %s\nAPI Version:  %s\nGit Commit:   %s\nBuilt:        %s\n"
            "OS/Arch:      %s\n",
            SKIFF_VERSION, SKIFF_VERSION, SKIFF_GIT_COMMIT,
            json_object_get_string (json_object_object_get (c, "BuiltTime")),
            json_object_get_string (json_object_object_get (c, "OsArch")));
  json_object_put (root);
  return ret;
}

/* ---- info ---- */

static int info_main (struct skiff_cli *cli, int argc, char **argv);

const struct cli_command cli_info_command = {
  .name = "info",
  .summary = "Display skiff related system information",
  .usage = "[options]",
  .options = format_options,
  .fn = info_main,
};

static int
info_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct format_args a = { 0 };
  int first = cli_parse (&cli_info_command, "info", argc, argv, format_cb, &a);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  struct skiff_engine_info info;
  if (cli_engine (cli, &e, &err) < 0 || skiff_engine_info_get (e, &info, &err) < 0)
    return cli_fail (&err);
  json_object *root = json_object_new_object ();
  json_object_object_add (root, "host", json_object_get (info.host));
  json_object_object_add (root, "store", json_object_get (info.store));
  json_object_object_add (root, "version", version_json ());
  bool limits_warning = info.rootless_limits_unavailable;
  skiff_engine_info_release (&info);

  if (limits_warning)
    log_warning ("cgroups v1 without v2 delegation: resource limits (--memory, --cpus, --pids-limit) cannot be "
                 "applied to rootless containers on this host");
  int ret = 0;
  if (a.format && strcmp (a.format, "yaml") != 0)
    {
      json_object *rows = json_object_new_array ();
      json_object_array_add (rows, json_object_get (root));
      ret = cli_print_formatted ("info", a.format, rows, true, NULL, true);
      json_object_put (rows);
    }
  else
    {
      cleanup_free char *y = skiff_yaml_from_json (root);
      fputs (y, stdout);
    }
  json_object_put (root);
  return ret;
}

/* ---- system ---- */

static const struct cli_option reset_options[] = {
  { "force", 'f', optional_argument, NULL, "Do not prompt for confirmation" },
  { 0 },
};

struct reset_args
{
  bool force;
};

static int
reset_cb (int id, const char *arg, void *data)
{
  bool ok;
  ((struct reset_args *) data)->force = cli_bool (arg, &ok);
  return 0;
}

static int reset_main (struct skiff_cli *cli, int argc, char **argv);
static int system_main (struct skiff_cli *cli, int argc, char **argv);

static const struct cli_command system_subcommands[] = {
  { .name = "reset",
    .summary = "Reset skiff storage",
    .usage = "[options]",
    .options = reset_options,
    .fn = reset_main },
  { .name = "info",
    .summary = "Display skiff related system information",
    .usage = "[options]",
    .options = format_options,
    .fn = info_main },
  { 0 },
};

const struct cli_command cli_system_command = {
  .name = "system",
  .summary = "Manage skiff",
  .usage = "COMMAND",
  .subcommands = system_subcommands,
  .fn = system_main,
};

static int
reset_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct reset_args a = { 0 };
  int first = cli_parse (&system_subcommands[0], "system reset", argc, argv, reset_cb, &a);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  if (cli_engine (cli, &e, &err) < 0)
    return cli_fail (&err);
  if (!a.force)
    {
      printf ("WARNING! This will remove:\n        - all containers\n        - all images\n        - all build "
              "cache\n        - all state in %s and %s\nAre you sure you want to continue? [y/N] ",
              skiff_engine_root (e), skiff_engine_runroot (e));
      fflush (stdout);
      char answer[16] = "";
      if (fgets (answer, sizeof answer, stdin) == NULL || (answer[0] != 'y' && answer[0] != 'Y'))
        return 0;
    }
  if (skiff_engine_reset (e, &err) < 0)
    return cli_fail (&err);
  return 0;
}

static int
system_main (struct skiff_cli *cli, int argc, char **argv)
{
  return cli_group_main (&cli_system_command, cli, argc, argv);
}

/* ---- unshare ---- */

static const struct cli_option unshare_options[] = { { 0 } };

static int unshare_main (struct skiff_cli *cli, int argc, char **argv);

const struct cli_command cli_unshare_command = {
  .name = "unshare",
  .options_first = true,
  .summary = "Run a command in a modified user namespace",
  .usage = "[options] [COMMAND [ARG...]]",
  .options = unshare_options,
  .fn = unshare_main,
};

static int
nop_cb (int id, const char *arg, void *data)
{
  return 0;
}

static int
unshare_main (struct skiff_cli *cli, int argc, char **argv)
{
  int first = cli_parse (&cli_unshare_command, "unshare", argc, argv, nop_cb, NULL);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  int code = 0;
  if (cli_engine (cli, &e, &err) < 0 || skiff_engine_unshare (e, argv + first, &code, &err) < 0)
    return cli_fail (&err);
  return code;
}
