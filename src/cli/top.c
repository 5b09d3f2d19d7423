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
find (struct skiff_cli *cli, bool latest, const char *ref, struct skiff_engine **e, struct skiff_container **c,
      skiff_error_t *err)
{
  if (cli_engine_entered (cli, e, err) < 0)
    return -1;
  return latest ? skiff_engine_container_latest (*e, c, err) : skiff_engine_container_lookup (*e, ref, c, err);
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
  struct skiff_container *c = NULL;
  if (find (cli, latest, latest ? NULL : argv[first], &e, &c, &err) < 0)
    return cli_fail (&err);
  cleanup_free char *table = NULL;
  int r;
  if (c->state != SKIFF_CTR_RUNNING)
    r = skiff_error_set_status (&err, EINVAL, "top can only be used on running containers");
  else
    r = skiff_engine_top (e, c, latest ? argv + first : argv + first + 1, &table, &err);
  skiff_container_free (c);
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
  struct skiff_container_list targets = { 0 };
  if (cli_engine_entered (cli, &e, &err) < 0)
    return cli_fail (&err);
  if (a.all && skiff_engine_container_list (e, &targets, &err) < 0)
    return cli_fail (&err);
  if (!a.all)
    {
      targets.v = xmalloc0 ((size_t) (argc - first + 2) * sizeof *targets.v);
      for (int i = a.latest ? argc : first; i <= argc; i++)
        {
          if (i == argc && !a.latest)
            break;
          int r = i == argc ? skiff_engine_container_latest (e, &targets.v[targets.n], &err)
                            : skiff_engine_container_lookup (e, argv[i], &targets.v[targets.n], &err);
          if (r < 0)
            {
              skiff_container_list_release (&targets);
              return cli_fail (&err);
            }
          targets.n++;
        }
    }
  int ret = 0;
  for (size_t i = 0; i < targets.n; i++)
    {
      const struct skiff_container *c = targets.v[i];
      bool running = c->state == SKIFF_CTR_RUNNING;
      if (a.all && !running)
        continue;
      if (!running)
        skiff_error_set_status (&err, EINVAL, "\"%s\" is not running, can't %s: container state improper",
                                skiff_ctr_state_name (c->state), name);
      else if (skiff_engine_pause (e, c, pause, &err) == 0)
        {
          printf ("%s\n", c->id);
          continue;
        }
      ret = cli_fail (&err);
    }
  skiff_container_list_release (&targets);
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
