/* skiff rm, inspect, container exists and the "container" group. */
#include <json-c/json.h>

#include "cli/cli.h"
#include "engine/volumes.h"

/* ---- rm ---- */

enum
{
  M_FORCE,
  M_ALL,
  M_IGNORE,
  M_TIME,
  M_VOLUMES,
  M_LATEST,
  M_DEPEND,
};

static const struct cli_option rm_options[] = {
  [M_FORCE] = { "force", 'f', optional_argument, NULL, "Force removal of a running or unusable container" },
  [M_ALL] = { "all", 'a', optional_argument, NULL, "Remove all containers" },
  [M_IGNORE] = { "ignore", 'i', optional_argument, NULL, "Ignore errors when a specified container is missing" },
  [M_TIME] = { "time", 't', required_argument, "int",
               "Seconds to wait for stop before killing the container (with --force; default: kill at once)" },
  [M_VOLUMES] = { "volumes", 'v', optional_argument, NULL, "Remove anonymous volumes associated with the container" },
  [M_LATEST] = { "latest", 'l', optional_argument, NULL, "Act on the latest container skiff is aware of" },
  [M_DEPEND] = { "depend", 0, optional_argument, NULL, "Remove container and all containers that depend on it" },
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
  bool force, all, ignore, latest, time_set, depend;
  long long time;
  bool volumes; /* -v: the anonymous volumes go too */
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
      a->volumes = cli_bool (arg, &ok);
      break;
    case M_LATEST:
      a->latest = cli_bool (arg, &ok);
      break;
    case M_DEPEND:
      a->depend = cli_bool (arg, &ok);
      break;
    }
  return 0;
}

/* podman rm's exit codes: 1 no such container, 2 a container is running (without --force) */
#define RM_EXIT_NOT_FOUND 1
#define RM_EXIT_RUNNING 2

/* The containers rm acts on: all, the latest, or those named (a missing one is an error unless -f or --ignore) */
static int
rm_targets (struct skiff_engine *e, const struct rm_args *a, int argc, char **argv, int first,
            struct skiff_container_list *out, const char ***raw, skiff_error_t *err)
{
  memset (out, 0, sizeof *out);
  /* what the user typed for each, printed back as podman does (NULL: --all, --latest print IDs) */
  if (a->all)
    {
      int r = skiff_engine_container_list (e, out, err) < 0 ? SKIFF_EXIT_ERROR : 0;
      *raw = xmalloc0 ((out->n + 1) * sizeof **raw);
      return r;
    }
  *raw = xmalloc0 ((size_t) (argc - first + 2) * sizeof **raw);
  out->v = xmalloc0 ((size_t) (argc - first + 2) * sizeof *out->v);
  if (a->latest)
    {
      if (skiff_engine_container_latest (e, &out->v[0], err) < 0)
        return SKIFF_EXIT_ERROR;
      out->n = 1;
      return 0;
    }
  int ret = 0;
  for (int i = first; i < argc; i++)
    {
      if (skiff_engine_container_lookup (e, argv[i], &out->v[out->n], err) == 0)
        {
          (*raw)[out->n++] = argv[i];
          continue;
        }
      int status = (*err)->status;
      /* --ignore, and -f as podman: a missing container is no error */
      if (status == ENOENT && (a->ignore || a->force))
        {
          skiff_error_release (err);
          continue;
        }
      fprintf (stderr, "Error: %s\n", (*err)->msg);
      skiff_error_release (err);
      ret = status == ENOENT ? RM_EXIT_NOT_FOUND : SKIFF_EXIT_ERROR;
    }
  return ret;
}

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
  if (cli_engine_entered (cli, &e, &err) < 0)
    return cli_fail (&err);
  struct skiff_container_list targets;
  cleanup_free const char **raw = NULL;
  int ret = rm_targets (e, &a, argc, argv, first, &targets, &raw, &err);
  cleanup_strv char **gone = NULL; /* removed so far as dependents */
  if (err)
    ret = cli_fail (&err);
  for (size_t i = 0; i < targets.n; i++)
    {
      const struct skiff_container *c = targets.v[i];
      /* -t: stop it as `stop -t` would (its stop signal, SIGKILL after the time) before it goes */
      if (a.force && a.time_set && c->state == SKIFF_CTR_RUNNING
          && skiff_engine_container_stop (e, c->id, true, a.time, &err) < 0)
        {
          ret = cli_fail (&err);
          continue;
        }
      if (a.depend || a.all)
        {
          /* its dependents first, each printed as it goes (--all: in the order that lets each go; one removed
           * as another's dependent is skipped when its turn comes) */
          if (strv_contains (gone, c->id))
            continue;
          cleanup_strv char **removed = NULL;
          int r = skiff_engine_container_remove_depend (e, c, a.force, &removed, &err);
          for (size_t k = 0; removed && removed[k]; k++)
            {
              printf ("%s\n", removed[k]);
              strv_push (&gone, removed[k]);
            }
          if (r < 0 && a.all && err->status == ENOENT)
            skiff_error_release (&err);
          else if (r < 0)
            ret = cli_fail (&err);
          continue;
        }
      if (skiff_engine_container_remove (e, c, a.force, &err) < 0)
        {
          int status_code = err->status;
          /* a concurrent rm took it first: with -f (or --ignore) that is what was wanted */
          if (status_code == ENOENT && (a.force || a.ignore))
            {
              skiff_error_release (&err);
              printf ("%s\n", raw[i] ? raw[i] : c->id);
              continue;
            }
          fprintf (stderr, "Error: %s\n", err->msg);
          skiff_error_release (&err);
          ret = status_code == EBUSY ? RM_EXIT_RUNNING : status_code == ENOENT ? RM_EXIT_NOT_FOUND : SKIFF_EXIT_ERROR;
          continue;
        }
      if (a.volumes)
        skiff_volumes_remove_anonymous (e, c);
      printf ("%s\n", raw[i] ? raw[i] : c->id);
    }
  skiff_container_list_release (&targets);
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
  [I_TYPE]
  = { "type", 't', required_argument, "string", "Specify inspect-object type (\"image\", \"container\" or \"all\")" },
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
  /* podman's types; a name is looked up as a container, then as an image */
  bool want_ctr = !a.type || strcmp (a.type, "container") == 0 || strcmp (a.type, "all") == 0;
  bool want_img = !a.type || strcmp (a.type, "image") == 0 || strcmp (a.type, "all") == 0;
  if (!want_ctr && !want_img)
    return cli_usage_error ("inspect",
                            "--type %s is not supported by this skiff: use container, image or all (or skiff pod "
                            "inspect)",
                            a.type);
  if (a.latest && !want_ctr)
    return cli_usage_error ("inspect", "--latest applies to containers only");
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  if (cli_engine_entered (cli, &e, &err) < 0)
    return cli_fail (&err);
  json_object *items = json_object_new_array ();
  int ret = 0;
  for (int i = a.latest ? argc : first; i <= argc; i++)
    {
      if (i == argc && !a.latest)
        break;
      struct skiff_container *c = NULL;
      json_object *img = NULL;
      int r = i == argc  ? skiff_engine_container_latest (e, &c, &err)
              : want_ctr ? skiff_engine_container_lookup (e, argv[i], &c, &err)
                         : skiff_error_set_status (&err, ENOENT, "no such object");
      if (r < 0 && i < argc && want_img && err->status == ENOENT)
        {
          skiff_error_release (&err);
          if ((r = cli_image_inspect_one (cli, argv[i], &img, &err)) == 0)
            {
              json_object_array_add (items, img);
              continue;
            }
          if (err->status == ENOENT && want_ctr)
            {
              skiff_error_release (&err);
              skiff_error_set_status (&err, ENOENT, "no such object: \"%s\"", argv[i]);
            }
        }
      if (r < 0)
        {
          fprintf (stderr, "Error: %s\n", err->msg);
          skiff_error_release (&err);
          ret = SKIFF_EXIT_ERROR;
          continue;
        }
      json_object_array_add (items, skiff_engine_container_inspect (e, c, a.size));
      skiff_container_free (c);
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
  if (cli_engine_entered (cli, &e, &err) < 0)
    return cli_fail (&err);
  struct skiff_container *c = NULL;
  if (skiff_engine_container_lookup (e, argv[first], &c, &err) < 0)
    {
      int st = err->status;
      if (st != ENOENT)
        return cli_fail (&err);
      skiff_error_release (&err);
      return 1;
    }
  skiff_container_free (c);
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
  { .name = "list", .summary = "List containers", .usage = "[options]", .fn = cli_ps_main, .aliases = { "ls" } },
  { .name = "ps", .summary = "List containers", .usage = "[options]", .fn = cli_ps_main },
  { .name = "prune",
    .summary = "Remove all non running containers",
    .usage = "[options]",
    .fn = cli_container_prune_main },
  { .name = "rm",
    .summary = "Remove one or more containers",
    .usage = "[options] CONTAINER [CONTAINER...]",
    .options = rm_options,
    .fn = rm_main },
  { 0 },
};

/* the verbs of `container` that are top-level commands too */
static const struct cli_command *const container_also[] = {
  &cli_attach_command, &cli_create_command, &cli_exec_command,   &cli_kill_command,    &cli_logs_command,
  &cli_pause_command,  &cli_port_command,   &cli_rename_command, &cli_restart_command, &cli_run_command,
  &cli_start_command,  &cli_stop_command,   &cli_top_command,    &cli_unpause_command, &cli_wait_command,
  &cli_cp_command,     &cli_export_command, &cli_mount_command,  &cli_unmount_command, NULL,
};

const struct cli_command cli_container_command = {
  .name = "container",
  .summary = "Manage containers",
  .usage = "COMMAND",
  .subcommands = container_subcommands,
  .also = container_also,
  .fn = container_main,
};

static int
container_main (struct skiff_cli *cli, int argc, char **argv)
{
  return cli_group_main (&cli_container_command, cli, argc, argv);
}
