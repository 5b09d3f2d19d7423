/* skiff rename and container prune. */
#include "cli/cli.h"

/* ---- rename ---- */

static const struct cli_option no_options[] = { { 0 } };

static int
rename_main (struct skiff_cli *cli, int argc, char **argv)
{
  int first = cli_parse (&cli_rename_command, "rename", argc, argv, NULL, NULL);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  if (argc - first != 2)
    return cli_usage_error ("rename", "accepts 2 arg(s), received %d", argc - first);
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  json_object *rec = NULL;
  if (cli_engine (cli, &e, &err) < 0 || skiff_engine_enter (e, &err) < 0
      || skiff_engine_container_lookup (e, argv[first], &rec, &err) < 0)
    return cli_fail (&err);
  int r = skiff_engine_container_rename (e, rec, argv[first + 1], &err);
  json_object_put (rec);
  return r < 0 ? cli_fail (&err) : 0;
}

const struct cli_command cli_rename_command = {
  .name = "rename",
  .summary = "Rename an existing container",
  .usage = "CONTAINER NAME",
  .options = no_options,
  .fn = rename_main,
};

/* ---- container prune ---- */

enum
{
  PR_FORCE,
};

static const struct cli_option prune_options[] = {
  [PR_FORCE] = { "force", 'f', optional_argument, NULL, "Do not prompt for confirmation.  The default is false" },
  { 0 },
};

static int
prune_cb (int id, const char *arg, void *data)
{
  bool ok = true;
  if (id == PR_FORCE)
    *(bool *) data = cli_bool (arg, &ok);
  return 0;
}

int
cli_container_prune_main (struct skiff_cli *cli, int argc, char **argv)
{
  static const struct cli_command self = { .name = "prune", .summary = "Remove all non running containers",
                                           .usage = "[options]", .options = prune_options };
  bool force = false;
  int first = cli_parse (&self, "container prune", argc, argv, prune_cb, &force);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  if (first < argc)
    return cli_usage_error ("container prune", "accepts 0 arg(s), received %d", argc - first);
  if (!force)
    {
      printf ("WARNING! This will remove all non running containers.\nAre you sure you want to continue? [y/N] ");
      fflush (stdout);
      char answer[64] = "";
      if (fgets (answer, sizeof answer, stdin) == NULL || (answer[0] != 'y' && answer[0] != 'Y'))
        return 0;
    }
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  json_object *all = NULL;
  if (cli_engine (cli, &e, &err) < 0 || skiff_engine_enter (e, &err) < 0
      || skiff_engine_container_list (e, &all, &err) < 0)
    return cli_fail (&err);
  int ret = 0;
  for (size_t i = 0; i < json_object_array_length (all); i++)
    {
      json_object *rec = json_object_array_get_idx (all, i);
      const char *status = json_object_get_string (json_object_object_get (rec, "Status"));
      /* "created" is a container being started by a run -d that has not handed it to its monitor yet */
      if (status && (strcmp (status, "running") == 0 || strcmp (status, "created") == 0))
        continue;
      if (skiff_engine_container_remove (e, rec, false, &err) < 0)
        {
          fprintf (stderr, "Error: %s\n", err->msg);
          skiff_error_release (&err);
          ret = SKIFF_EXIT_ERROR;
          continue;
        }
      printf ("%s\n", json_object_get_string (json_object_object_get (rec, "Id")));
    }
  json_object_put (all);
  return ret;
}
