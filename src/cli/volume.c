/* skiff volume: create, ls, inspect, rm, prune, exists (podman's texts and exit codes; the work is
 * engine/volumes.c's). */
#include <json-c/json.h>

#include "cli/cli.h"
#include "engine/volumes.h"
#include "format/format.h"

/* podman: 1 for a volume that does not exist, 2 for one in use */
#define VOLUME_EXIT_MISSING 1
#define VOLUME_EXIT_IN_USE 2

enum
{
  V_DRIVER,
  V_LABEL,
  V_OPT,
  V_IGNORE,
  V_FORMAT,
  V_FILTER,
  V_QUIET,
  V_NOHEADING,
  V_FORCE,
  V_ALL,
  V_TIME,
};

struct volume_args
{
  const int *map; /* the table's index -> V_* */
  const char *driver, *format;
  char **labels, **opts, **filters;
  bool ignore, quiet, noheading, force, all;
};

static const int create_map[] = { V_DRIVER, V_LABEL, V_OPT, V_IGNORE };
static const struct cli_option create_options[] = {
  { "driver", 'd', required_argument, "string", "Specify volume driver name (default \"local\")" },
  { "label", 'l', required_argument, "stringArray", "Set metadata for a volume (default [])" },
  { "opt", 'o', required_argument, "stringArray",
    "Set driver specific options (none are supported by skiff's local driver yet)" },
  { "ignore", 0, optional_argument, NULL, "Don't fail if volume already exists" },
  { 0 },
};

static const int ls_map[] = { V_FILTER, V_FORMAT, V_QUIET, V_NOHEADING };
static const struct cli_option ls_options[] = {
  { "filter", 'f', required_argument, "stringArray",
    "Filter volume output (name=, label=, dangling=, driver=, anonymous=)" },
  { "format", 0, required_argument, "string", "Format volume output using Go template" },
  { "quiet", 'q', optional_argument, NULL, "Print volume output in quiet mode" },
  { "noheading", 'n', optional_argument, NULL, "Do not print headers" },
  { 0 },
};

static const int inspect_map[] = { V_FORMAT, V_ALL };
static const struct cli_option inspect_options[] = {
  { "format", 'f', required_argument, "string", "Format volume output using JSON or a Go template" },
  { "all", 'a', optional_argument, NULL, "Inspect all volumes" },
  { 0 },
};

static const int rm_map[] = { V_FORCE, V_ALL, V_TIME };
static const struct cli_option rm_options[] = {
  { "force", 'f', optional_argument, NULL,
    "Remove a volume by force, even if it is being used by a container (removes the containers)" },
  { "all", 'a', optional_argument, NULL, "Remove all volumes" },
  { "time", 't', required_argument, "int",
    "Seconds to wait for running containers to stop (ignored: they are killed)" },
  { 0 },
};

static const int prune_map[] = { V_FILTER, V_FORCE };
static const struct cli_option prune_options[] = {
  { "filter", 0, required_argument, "stringArray", "Provide filter values (e.g. 'label=<key>=<value>')" },
  { "force", 'f', optional_argument, NULL, "Do not prompt for confirmation" },
  { 0 },
};

static const struct cli_option no_options[] = { { 0 } };

static int
volume_cb (int id, const char *arg, void *data)
{
  struct volume_args *a = data;
  bool ok = true;
  switch (a->map ? a->map[id] : id)
    {
    case V_DRIVER:
      a->driver = arg;
      break;
    case V_LABEL:
      strv_push (&a->labels, arg);
      break;
    case V_OPT:
      strv_push (&a->opts, arg);
      break;
    case V_FILTER:
      strv_push (&a->filters, arg);
      break;
    case V_FORMAT:
      a->format = arg;
      break;
    case V_IGNORE:
      a->ignore = cli_bool (arg, &ok);
      break;
    case V_QUIET:
      a->quiet = cli_bool (arg, &ok);
      break;
    case V_NOHEADING:
      a->noheading = cli_bool (arg, &ok);
      break;
    case V_FORCE:
      a->force = cli_bool (arg, &ok);
      break;
    case V_ALL:
      a->all = cli_bool (arg, &ok);
      break;
    default:
      break;
    }
  return ok ? 0 : -1;
}

static void
volume_args_release (struct volume_args *a)
{
  strv_free (a->labels);
  strv_free (a->opts);
  strv_free (a->filters);
}

static int
parse_filters (char *const *filters, struct skiff_volume_filter *f, skiff_error_t *err)
{
  memset (f, 0, sizeof *f);
  f->dangling = f->anonymous = -1;
  for (size_t i = 0; filters && filters[i]; i++)
    if (skiff_volume_filter_parse (f, filters[i], err) < 0)
      return -1;
  return 0;
}

/* Print the error with exit code code (podman's 1 and 2 of volume rm, exists) */
static int
fail_with (skiff_error_t *err, int code)
{
  fprintf (stderr, "Error: %s\n", (*err)->msg);
  skiff_error_release (err);
  return code;
}

static int
volume_create_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct volume_args a = { .map = create_map };
  int first = cli_parse (&cli_volume_command.subcommands[0], "volume create", argc, argv, volume_cb, &a);
  int ret = 0;
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  cleanup_free char *name = NULL;
  if (first < 0)
    ret = first == -2 ? 0 : SKIFF_EXIT_ERROR;
  else if (argc - first > 1)
    ret = cli_usage_error ("volume create", "too many arguments, create takes at most 1 argument");
  else if (a.driver && strcmp (a.driver, SKIFF_VOLUME_DRIVER) != 0)
    {
      skiff_error_set_status (&err, ENOTSUP,
                              "volume %s uses volume plugin %s but it could not be retrieved: no volume plugin with "
                              "name %s available: required plugin missing",
                              first < argc ? argv[first] : "", a.driver, a.driver);
      ret = cli_fail (&err);
    }
  else if (cli_engine_entered (cli, &e, &err) < 0
           || skiff_engine_volume_create (e, first < argc ? argv[first] : NULL, a.labels, a.opts, a.ignore, &name, &err)
                  < 0)
    ret = cli_fail (&err);
  else
    printf ("%s\n", name);
  volume_args_release (&a);
  return ret;
}

static int
volume_ls_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct volume_args a = { .map = ls_map };
  int first = cli_parse (&cli_volume_command.subcommands[1], "volume ls", argc, argv, volume_cb, &a);
  int ret = 0;
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  struct skiff_volume_filter f;
  struct skiff_volume **v = NULL;
  size_t n = 0;
  if (first < 0)
    {
      volume_args_release (&a);
      return first == -2 ? 0 : SKIFF_EXIT_ERROR;
    }
  if (first < argc)
    ret = cli_usage_error ("volume ls", "accepts 0 arg(s), received %d", argc - first);
  else if (parse_filters (a.filters, &f, &err) < 0)
    ret = cli_fail (&err);
  else
    {
      if (cli_engine_entered (cli, &e, &err) < 0 || skiff_engine_volume_list (e, &f, &v, &n, &err) < 0)
        ret = cli_fail (&err);
      skiff_volume_filter_release (&f);
    }
  if (ret == 0)
    {
      json_object *rows = json_object_new_array ();
      for (size_t i = 0; i < n; i++)
        json_object_array_add (rows, skiff_engine_volume_json (v[i]));
      json_object *headers = json_object_new_object ();
      json_object_object_add (headers, "Driver", json_object_new_string ("DRIVER"));
      json_object_object_add (headers, "Name", json_object_new_string ("VOLUME NAME"));
      const char *fmt = a.quiet ? "{{.Name}}" : a.format ? a.format : "table {{.Driver}}\t{{.Name}}";
      /* podman prints no header when there is no volume */
      ret = cli_print_formatted ("volume ls", fmt, rows, false, headers, a.noheading || n == 0);
      json_object_put (headers);
      json_object_put (rows);
    }
  skiff_volume_list_free (v, n);
  volume_args_release (&a);
  return ret;
}

static int
volume_inspect_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct volume_args a = { .map = inspect_map };
  int first = cli_parse (&cli_volume_command.subcommands[2], "volume inspect", argc, argv, volume_cb, &a);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  if (a.all && first < argc)
    return cli_usage_error ("volume inspect", "when using the --all flag, you may not pass any volume names");
  if (!a.all && first >= argc)
    return cli_usage_error ("volume inspect", "provide one or more volume names or use --all");
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  if (cli_engine_entered (cli, &e, &err) < 0)
    return cli_fail (&err);
  json_object *rows = json_object_new_array ();
  cleanup_strv char **missing = NULL;
  int ret = 0;
  if (a.all)
    {
      struct skiff_volume **v = NULL;
      size_t n = 0;
      if (skiff_engine_volume_list (e, NULL, &v, &n, &err) < 0)
        ret = cli_fail (&err);
      for (size_t i = 0; i < n; i++)
        json_object_array_add (rows, skiff_engine_volume_json (v[i]));
      skiff_volume_list_free (v, n);
    }
  for (int i = first; i < argc && ret == 0; i++)
    {
      struct skiff_volume *v = NULL;
      if (skiff_engine_volume_get (e, argv[i], &v, &err) < 0)
        {
          if (err->status != ENOENT)
            {
              ret = cli_fail (&err);
              break;
            }
          skiff_error_release (&err);
          strv_push (&missing, argv[i]);
          continue;
        }
      json_object_array_add (rows, skiff_engine_volume_json (v));
      skiff_volume_free (v);
    }
  if (ret == 0)
    {
      if (a.format == NULL || skiff_format_is_json (a.format))
        {
          cleanup_free char *text = skiff_json_encode (rows, &SKIFF_JSON_INSPECT);
          printf ("%s\n", text);
        }
      else if (json_object_array_length (rows) > 0)
        ret = cli_print_formatted ("volume inspect", a.format, rows, false, NULL, true);
    }
  json_object_put (rows);
  fflush (stdout);
  if (ret == 0 && missing)
    {
      for (size_t i = 0; missing[i + 1]; i++)
        fprintf (stderr, "Error: no such volume %s\n", missing[i]);
      skiff_error_set_status (&err, ENOENT, "inspecting object: no such volume %s", missing[strv_len (missing) - 1]);
      ret = cli_fail (&err);
    }
  return ret;
}

static int
remove_one (struct skiff_engine *e, const char *name, bool force, int *ret)
{
  skiff_error_t err = NULL;
  if (skiff_engine_volume_remove (e, name, force, &err) == 0)
    {
      printf ("%s\n", name);
      return 0;
    }
  int code = err->status == ENOENT ? VOLUME_EXIT_MISSING : err->status == EBUSY ? VOLUME_EXIT_IN_USE : err->exit_code;
  if (force && err->status == ENOENT)
    {
      skiff_error_release (&err);
      return 0;
    }
  fflush (stdout);
  *ret = fail_with (&err, code);
  return -1;
}

static int
volume_rm_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct volume_args a = { .map = rm_map };
  int first = cli_parse (&cli_volume_command.subcommands[3], "volume rm", argc, argv, volume_cb, &a);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  if ((a.all && first < argc) || (!a.all && first >= argc))
    return cli_usage_error ("volume rm", "choose either one or more volumes or all");
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  if (cli_engine_entered (cli, &e, &err) < 0)
    return cli_fail (&err);
  int ret = 0;
  if (a.all)
    {
      struct skiff_volume **v = NULL;
      size_t n = 0;
      if (skiff_engine_volume_list (e, NULL, &v, &n, &err) < 0)
        return cli_fail (&err);
      for (size_t i = 0; i < n; i++)
        remove_one (e, v[i]->name, a.force, &ret);
      skiff_volume_list_free (v, n);
      return ret;
    }
  for (int i = first; i < argc; i++)
    remove_one (e, argv[i], a.force, &ret);
  return ret;
}

static int
volume_prune_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct volume_args a = { .map = prune_map };
  int first = cli_parse (&cli_volume_command.subcommands[4], "volume prune", argc, argv, volume_cb, &a);
  int ret = 0;
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  struct skiff_volume_filter f;
  cleanup_strv char **removed = NULL;
  if (first < 0)
    {
      volume_args_release (&a);
      return first == -2 ? 0 : SKIFF_EXIT_ERROR;
    }
  if (first < argc)
    ret = cli_usage_error ("volume prune", "accepts 0 arg(s), received %d", argc - first);
  else if (parse_filters (a.filters, &f, &err) < 0)
    ret = cli_fail (&err);
  else
    {
      bool go = a.force;
      if (!go)
        {
          fprintf (stderr, "WARNING! This will remove all volumes not used by at least one container. The following "
                           "volumes will be removed:\n");
          struct skiff_volume **v = NULL;
          size_t n = 0;
          if (cli_engine_entered (cli, &e, &err) == 0 && skiff_engine_volume_list (e, &f, &v, &n, &err) == 0)
            for (size_t i = 0; i < n; i++)
              {
                cleanup_strv char **users = skiff_engine_volume_users (e, v[i]->name);
                if (users == NULL)
                  fprintf (stderr, "%s\n", v[i]->name);
              }
          skiff_error_release (&err);
          skiff_volume_list_free (v, n);
          fprintf (stderr, "Are you sure you want to continue? [y/N] ");
          char line[16] = "";
          go = fgets (line, sizeof line, stdin) != NULL && (line[0] == 'y' || line[0] == 'Y');
        }
      if (go && (cli_engine_entered (cli, &e, &err) < 0 || skiff_engine_volume_prune (e, &f, &removed, &err) < 0))
        ret = cli_fail (&err);
      for (size_t i = 0; removed && removed[i]; i++)
        printf ("%s\n", removed[i]);
      skiff_volume_filter_release (&f);
    }
  volume_args_release (&a);
  return ret;
}

static int
volume_exists_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct volume_args a = { 0 };
  int first = cli_parse (&cli_volume_command.subcommands[5], "volume exists", argc, argv, volume_cb, &a);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  if (argc - first != 1)
    return cli_usage_error ("volume exists", "accepts 1 arg(s), received %d", argc - first);
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  struct skiff_volume *v = NULL;
  if (cli_engine_entered (cli, &e, &err) < 0)
    return cli_fail (&err);
  if (skiff_engine_volume_get (e, argv[first], &v, &err) < 0)
    {
      if (err->status == ENOENT)
        {
          skiff_error_release (&err);
          return VOLUME_EXIT_MISSING;
        }
      return cli_fail (&err);
    }
  skiff_volume_free (v);
  return 0;
}

static const struct cli_command volume_subcommands[] = {
  { .name = "create",
    .fn = volume_create_main,
    .summary = "Create a new volume",
    .usage = "[options] [NAME]",
    .options = create_options },
  { .name = "ls",
    .fn = volume_ls_main,
    .summary = "List volumes",
    .usage = "[options]",
    .options = ls_options,
    .aliases = { "list" } },
  { .name = "inspect",
    .fn = volume_inspect_main,
    .summary = "Display detailed information on one or more volumes",
    .usage = "[options] VOLUME [VOLUME...]",
    .options = inspect_options },
  { .name = "rm",
    .fn = volume_rm_main,
    .summary = "Remove one or more volumes",
    .usage = "[options] VOLUME [VOLUME...]",
    .options = rm_options,
    .aliases = { "remove" } },
  { .name = "prune",
    .fn = volume_prune_main,
    .summary = "Remove all unused volumes",
    .usage = "[options]",
    .options = prune_options },
  { .name = "exists",
    .fn = volume_exists_main,
    .summary = "Check if volume exists",
    .usage = "VOLUME",
    .options = no_options },
  { 0 },
};

static int
volume_main (struct skiff_cli *cli, int argc, char **argv)
{
  return cli_group_main (&cli_volume_command, cli, argc, argv);
}

const struct cli_command cli_volume_command = {
  .name = "volume",
  .summary = "Manage volumes",
  .usage = "COMMAND",
  .subcommands = volume_subcommands,
  .fn = volume_main,
};
