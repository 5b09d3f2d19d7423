/* skiff ps and rm: the containers skiff keeps (those run without --rm). */
#include "cli/cli.h"

/* ---- ps ---- */

enum
{
  P_ALL,
  P_QUIET,
  P_NOTRUNC,
  P_FORMAT,
  P_NOHEADING,
  P_LAST,
  P_LATEST,
};

static const struct cli_option ps_options[] = {
  [P_ALL] = { "all", 'a', optional_argument, NULL, "Show all the containers, default is only running containers" },
  [P_QUIET] = { "quiet", 'q', optional_argument, NULL, "Print the numeric IDs of the containers only" },
  [P_NOTRUNC] = { "no-trunc", 0, optional_argument, NULL, "Display the extended information" },
  [P_FORMAT] = { "format", 0, required_argument, "string", "Pretty-print containers to JSON or using a Go template" },
  [P_NOHEADING] = { "noheading", 0, optional_argument, NULL, "Do not print headers" },
  [P_LAST] = { "last", 'n', required_argument, "int", "Print the n last created containers (all states)" },
  [P_LATEST] = { "latest", 'l', optional_argument, NULL, "Act on the latest container skiff is aware of" },
  { 0 },
};

static int ps_main (struct skiff_cli *cli, int argc, char **argv);

const struct cli_command cli_ps_command = {
  .name = "ps",
  .summary = "List containers",
  .usage = "[options]",
  .options = ps_options,
  .fn = ps_main,
  .aliases = { "list", "ls" },
};

struct ps_args
{
  bool all, quiet, notrunc, noheading;
  const char *format;
  long long last;
};

static int
ps_cb (int id, const char *arg, void *data)
{
  struct ps_args *a = data;
  bool ok = true;
  switch (id)
    {
    case P_ALL:
      a->all = cli_bool (arg, &ok);
      break;
    case P_QUIET:
      a->quiet = cli_bool (arg, &ok);
      break;
    case P_NOTRUNC:
      a->notrunc = cli_bool (arg, &ok);
      break;
    case P_FORMAT:
      a->format = arg;
      break;
    case P_NOHEADING:
      a->noheading = cli_bool (arg, &ok);
      break;
    case P_LAST:
      if (!str_to_llong (arg, -1, INT32_MAX, &a->last))
        return cli_usage_error ("ps", "invalid argument \"%s\" for \"-n, --last\" flag: not a number", arg), -1;
      a->all = true;
      break;
    case P_LATEST:
      a->last = 1;
      a->all = true;
      break;
    }
  return 0;
}

static int
by_created_desc (const void *a, const void *b)
{
  json_object *x = *(json_object *const *) a, *y = *(json_object *const *) b;
  int64_t cx = json_object_get_int64 (json_object_object_get (x, "Created"));
  int64_t cy = json_object_get_int64 (json_object_object_get (y, "Created"));
  return cx < cy ? 1 : cx > cy ? -1 : 0;
}

static json_object *
ps_row (json_object *rec, bool notrunc)
{
  json_object *row = json_object_new_object ();
  const char *id = json_object_get_string (json_object_object_get (rec, "Id"));
  const char *status = json_object_get_string (json_object_object_get (rec, "Status"));
  uint64_t created = (uint64_t) json_object_get_int64 (json_object_object_get (rec, "Created"));
  uint64_t finished = (uint64_t) json_object_get_int64 (json_object_object_get (rec, "FinishedAt"));
  json_object *args = json_object_object_get (rec, "Args");
  cleanup_free char *command = xstrdup ("");
  for (size_t i = 0; args && i < json_object_array_length (args); i++)
    {
      char *c = xasprintf ("%s%s%s", command, i ? " " : "", json_object_get_string (json_object_array_get_idx (args, i)));
      free (command);
      command = c;
    }
  cleanup_free char *created_ago = cli_human_duration_ago (created);
  cleanup_free char *status_text = NULL;
  bool running = status && strcmp (status, "running") == 0;
  if (running)
    {
      cleanup_free char *up = cli_human_duration_ago (created);
      up[strlen (up) - strlen (" ago")] = '\0';
      status_text = xasprintf ("Up %s", up);
    }
  else if (status && strcmp (status, "exited") == 0)
    {
      cleanup_free char *ago = cli_human_duration_ago (finished ? finished : created);
      status_text = xasprintf ("Exited (%d) %s", json_object_get_int (json_object_object_get (rec, "ExitCode")), ago);
    }
  else
    status_text = xstrdup ("Created");
  json_object_object_add (row, "ID", json_object_new_string_len (id, notrunc ? (int) strlen (id) : 12));
  json_object_object_add (row, "Id", json_object_new_string (id));
  json_object_object_add (row, "Image", json_object_get (json_object_object_get (rec, "ImageName")));
  json_object_object_add (row, "ImageID", json_object_get (json_object_object_get (rec, "Image")));
  json_object_object_add (row, "Command", json_object_new_string (command));
  json_object_object_add (row, "CreatedHuman", json_object_new_string (created_ago));
  json_object_object_add (row, "Created", json_object_new_string (created_ago));
  json_object_object_add (row, "Status", json_object_new_string (status_text));
  json_object_object_add (row, "State", json_object_new_string (status ? status : "created"));
  json_object_object_add (row, "Ports", json_object_new_string (""));
  json_object_object_add (row, "Names", json_object_get (json_object_object_get (rec, "Name")));
  json_object_object_add (row, "Pid", json_object_new_int (json_object_get_int (json_object_object_get (rec, "Pid"))));
  json_object_object_add (row, "ExitCode", json_object_new_int (json_object_get_int (json_object_object_get (rec, "ExitCode"))));
  json_object_object_add (row, "Exited", json_object_new_boolean (status && strcmp (status, "exited") == 0));
  return row;
}

static int
ps_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct ps_args a = { 0 };
  int first = cli_parse (&cli_ps_command, "ps", argc, argv, ps_cb, &a);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  if (first < argc)
    return cli_usage_error ("ps", "accepts 0 arg(s), received %d", argc - first);
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  json_object *all = NULL;
  if (cli_engine (cli, &e, &err) < 0 || skiff_engine_enter (e, &err) < 0
      || skiff_engine_container_list (e, &all, &err) < 0)
    return cli_fail (&err);
  size_t n = json_object_array_length (all);
  json_object **v = xmalloc0 ((n + 1) * sizeof *v);
  for (size_t i = 0; i < n; i++)
    v[i] = json_object_array_get_idx (all, i);
  qsort (v, n, sizeof *v, by_created_desc);
  json_object *rows = json_object_new_array ();
  size_t shown = 0;
  for (size_t i = 0; i < n; i++)
    {
      const char *status = json_object_get_string (json_object_object_get (v[i], "Status"));
      if (!a.all && !(status && strcmp (status, "running") == 0))
        continue;
      if (a.last > 0 && shown >= (size_t) a.last)
        break;
      json_object_array_add (rows, ps_row (v[i], a.notrunc));
      shown++;
    }
  free (v);
  int ret = 0;
  if (a.quiet)
    for (size_t i = 0; i < json_object_array_length (rows); i++)
      printf ("%s\n", json_object_get_string (json_object_object_get (json_object_array_get_idx (rows, i), "ID")));
  else
    {
      json_object *headers = json_object_new_object ();
      json_object_object_add (headers, "ID", json_object_new_string ("CONTAINER ID"));
      json_object_object_add (headers, "CreatedHuman", json_object_new_string ("CREATED"));
      const char *fmt = a.format ? a.format
                                 : "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.CreatedHuman}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";
      ret = cli_print_formatted ("ps", fmt, rows, false, headers, a.noheading);
      json_object_put (headers);
    }
  json_object_put (rows);
  json_object_put (all);
  return ret;
}

/* ---- rm ---- */

enum
{
  M_FORCE,
  M_ALL,
  M_IGNORE,
};

static const struct cli_option rm_options[] = {
  [M_FORCE] = { "force", 'f', optional_argument, NULL, "Force removal of a running container" },
  [M_ALL] = { "all", 'a', optional_argument, NULL, "Remove all containers" },
  [M_IGNORE] = { "ignore", 'i', optional_argument, NULL, "Ignore errors when a specified container is missing" },
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
  bool force, all, ignore;
};

static int
rm_cb (int id, const char *arg, void *data)
{
  struct rm_args *a = data;
  bool ok = true;
  if (id == M_FORCE)
    a->force = cli_bool (arg, &ok);
  else if (id == M_ALL)
    a->all = cli_bool (arg, &ok);
  else if (id == M_IGNORE)
    a->ignore = cli_bool (arg, &ok);
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
  if (first >= argc && !a.all)
    return cli_usage_error ("rm", "must specify at least one container name or ID, or use --all");
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  if (cli_engine (cli, &e, &err) < 0 || skiff_engine_enter (e, &err) < 0)
    return cli_fail (&err);
  json_object *targets = json_object_new_array ();
  int ret = 0;
  if (a.all)
    {
      json_object *all = NULL;
      if (skiff_engine_container_list (e, &all, &err) < 0)
        {
          json_object_put (targets);
          return cli_fail (&err);
        }
      json_object_put (targets);
      targets = all;
    }
  else
    for (int i = first; i < argc; i++)
      {
        json_object *rec = NULL;
        if (skiff_engine_container_lookup (e, argv[i], &rec, &err) < 0)
          {
            int status = err->status;
            if (status == ENOENT && a.ignore)
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
  for (size_t i = 0; i < json_object_array_length (targets); i++)
    {
      json_object *rec = json_object_array_get_idx (targets, i);
      if (skiff_engine_container_remove (e, rec, a.force, &err) < 0)
        {
          int status = err->status;
          fprintf (stderr, "Error: %s\n", err->msg);
          skiff_error_release (&err);
          ret = status == EBUSY ? RM_EXIT_RUNNING : SKIFF_EXIT_ERROR;
          continue;
        }
      printf ("%s\n", json_object_get_string (json_object_object_get (rec, "Id")));
    }
  json_object_put (targets);
  return ret;
}
