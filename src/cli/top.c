/* skiff top, pause, unpause. */
#include "cli/cli.h"
#include "format/format.h"

static const struct cli_option top_options[] = {
  { "latest", 'l', optional_argument, NULL, "Act on the latest container skiff is aware of" },
  { 0 },
};

static int
latest_cb (int id, const char *arg, void *data)
{
  bool ok = true;
  (void) id;
  *(bool *) data = cli_bool (arg, &ok);
  return 0;
}

/* The container named by argv[first], or the latest with -l */
static int
find (struct skiff_cli *cli, bool latest, const char *ref, struct skiff_engine **e, json_object **rec,
      skiff_error_t *err)
{
  if (cli_engine (cli, e, err) < 0 || skiff_engine_enter (*e, err) < 0)
    return -1;
  return latest ? skiff_engine_container_latest (*e, rec, err) : skiff_engine_container_lookup (*e, ref, rec, err);
}

static int
top_main (struct skiff_cli *cli, int argc, char **argv)
{
  bool latest = false;
  int first = cli_parse (&cli_top_command, "top", argc, argv, latest_cb, &latest);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  if (first >= argc && !latest)
    return cli_usage_error ("top", "you must provide the name or id of a running container");
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  json_object *rec = NULL;
  if (find (cli, latest, latest ? NULL : argv[first], &e, &rec, &err) < 0)
    return cli_fail (&err);
  const char *status = json_object_get_string (json_object_object_get (rec, "Status"));
  cleanup_free char *table = NULL;
  int r;
  if (!status || strcmp (status, "running") != 0)
    r = skiff_error_set_status (&err, EINVAL, "top can only be used on running containers");
  else
    r = skiff_engine_top (e, rec, latest ? argv + first : argv + first + 1, &table, &err);
  json_object_put (rec);
  if (r < 0)
    return cli_fail (&err);
  cleanup_free char *aligned = skiff_tabwrite (table);
  fputs (aligned, stdout);
  return 0;
}

const struct cli_command cli_top_command = {
  .name = "top",
  .summary = "Display the running processes of a container",
  .usage = "[options] CONTAINER [FORMAT-DESCRIPTORS|ARGS...]",
  .options = top_options,
  .fn = top_main,
  .options_first = true,
};

/* ---- pause, unpause ---- */

enum
{
  PA_ALL,
  PA_LATEST,
};

static const struct cli_option pause_options[] = {
  [PA_ALL] = { "all", 'a', optional_argument, NULL, "Pause all running containers" },
  [PA_LATEST] = { "latest", 'l', optional_argument, NULL, "Act on the latest container skiff is aware of" },
  { 0 },
};

struct pause_args
{
  bool all, latest;
};

static int
pause_cb (int id, const char *arg, void *data)
{
  struct pause_args *a = data;
  bool ok = true;
  if (id == PA_ALL)
    a->all = cli_bool (arg, &ok);
  else
    a->latest = cli_bool (arg, &ok);
  return 0;
}

static int
pause_or_unpause (struct skiff_cli *cli, int argc, char **argv, bool pause)
{
  const char *name = pause ? "pause" : "unpause";
  struct pause_args a = { 0 };
  int first = cli_parse (pause ? &cli_pause_command : &cli_unpause_command, name, argc, argv, pause_cb, &a);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  if (first >= argc && !a.all && !a.latest)
    return cli_usage_error (name, "you must provide at least one container name or id");
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  json_object *targets = NULL;
  if (cli_engine (cli, &e, &err) < 0 || skiff_engine_enter (e, &err) < 0)
    return cli_fail (&err);
  if (a.all && skiff_engine_container_list (e, &targets, &err) < 0)
    return cli_fail (&err);
  if (!a.all)
    {
      targets = json_object_new_array ();
      for (int i = a.latest ? argc : first; i <= argc; i++)
        {
          json_object *rec = NULL;
          if (i == argc && !a.latest)
            break;
          int r = i == argc ? skiff_engine_container_latest (e, &rec, &err)
                            : skiff_engine_container_lookup (e, argv[i], &rec, &err);
          if (r < 0)
            {
              json_object_put (targets);
              return cli_fail (&err);
            }
          json_object_array_add (targets, rec);
        }
    }
  int ret = 0;
  for (size_t i = 0; i < json_object_array_length (targets); i++)
    {
      json_object *rec = json_object_array_get_idx (targets, i);
      const char *id = json_object_get_string (json_object_object_get (rec, "Id"));
      const char *status = json_object_get_string (json_object_object_get (rec, "Status"));
      bool running = status && strcmp (status, "running") == 0;
      if (a.all && !running)
        continue;
      if (!running)
        skiff_error_set_status (&err, EINVAL, "\"%s\" is not running, can't %s: container state improper",
                                status ? status : "created", name);
      else if (skiff_engine_pause (e, rec, pause, &err) == 0)
        {
          printf ("%s\n", id);
          continue;
        }
      ret = cli_fail (&err);
    }
  json_object_put (targets);
  return ret;
}

static int
pause_main (struct skiff_cli *cli, int argc, char **argv)
{
  return pause_or_unpause (cli, argc, argv, true);
}

static int
unpause_main (struct skiff_cli *cli, int argc, char **argv)
{
  return pause_or_unpause (cli, argc, argv, false);
}

const struct cli_command cli_pause_command = {
  .name = "pause",
  .summary = "Pause all the processes in one or more containers",
  .usage = "[options] CONTAINER [CONTAINER...]",
  .options = pause_options,
  .fn = pause_main,
};

const struct cli_command cli_unpause_command = {
  .name = "unpause",
  .summary = "Unpause the processes in one or more containers",
  .usage = "[options] CONTAINER [CONTAINER...]",
  .options = pause_options,
  .fn = unpause_main,
};
