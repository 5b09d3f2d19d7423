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

/* ---- inspect, container exists, and the "container" group ---- */

static const struct cli_option inspect_options[] = {
  { "format", 'f', required_argument, "string", "Format the output to a Go template or json" },
  { "type", 't', required_argument, "string", "Specify inspect-object type (container)" },
  { 0 },
};

struct inspect_args
{
  const char *format;
  const char *type;
};

static int
inspect_cb (int id, const char *arg, void *data)
{
  struct inspect_args *a = data;
  if (id == 0)
    a->format = arg;
  else
    a->type = arg;
  return 0;
}

static json_object *
time_json (json_object *rec, const char *key)
{
  int64_t ns = json_object_get_int64 (json_object_object_get (rec, key));
  if (ns <= 0)
    return json_object_new_string ("0001-01-01T00:00:00Z");
  cleanup_free char *t = format_time_rfc3339 ((uint64_t) ns);
  return json_object_new_string (t);
}

static json_object *
get_or (json_object *rec, const char *key, json_object *def)
{
  json_object *v = json_object_object_get (rec, key);
  if (v == NULL)
    return def;
  json_object_put (def);
  return json_object_get (v);
}

/* podman's container inspect shape, from skiff's record */
static json_object *
inspect_json (struct skiff_engine *e, json_object *rec)
{
  json_object *o = json_object_new_object ();
  const char *id = json_object_get_string (json_object_object_get (rec, "Id"));
  const char *status = json_object_get_string (json_object_object_get (rec, "Status"));
  json_object *args = json_object_object_get (rec, "Args");
  json_object_object_add (o, "Id", json_object_new_string (id));
  json_object_object_add (o, "Created", time_json (rec, "Created"));
  json_object_object_add (o, "Path", json_object_new_string (args && json_object_array_length (args) ? json_object_get_string (json_object_array_get_idx (args, 0)) : ""));
  json_object *rest = json_object_new_array ();
  for (size_t i = 1; args && i < json_object_array_length (args); i++)
    json_object_array_add (rest, json_object_get (json_object_array_get_idx (args, i)));
  json_object_object_add (o, "Args", rest);
  json_object *state = json_object_new_object ();
  bool running = status && strcmp (status, "running") == 0;
  json_object_object_add (state, "OciVersion", json_object_new_string ("1.1.0"));
  json_object_object_add (state, "Status", json_object_new_string (status ? status : "created"));
  json_object_object_add (state, "Running", json_object_new_boolean (running));
  json_object_object_add (state, "Paused", json_object_new_boolean (0));
  json_object_object_add (state, "Restarting", json_object_new_boolean (0));
  json_object_object_add (state, "OOMKilled", json_object_new_boolean (0));
  json_object_object_add (state, "Dead", json_object_new_boolean (0));
  json_object_object_add (state, "Pid", json_object_new_int (json_object_get_int (json_object_object_get (rec, "Pid"))));
  json_object_object_add (state, "ConmonPid", json_object_new_int (json_object_get_int (json_object_object_get (rec, "ConmonPid"))));
  json_object_object_add (state, "ExitCode", json_object_new_int (json_object_get_int (json_object_object_get (rec, "ExitCode"))));
  json_object_object_add (state, "Error", json_object_new_string (""));
  json_object_object_add (state, "StartedAt", time_json (rec, "StartedAt"));
  json_object_object_add (state, "FinishedAt", time_json (rec, "FinishedAt"));
  json_object_object_add (o, "State", state);
  json_object_object_add (o, "Image", get_or (rec, "Image", json_object_new_string ("")));
  json_object_object_add (o, "ImageName", get_or (rec, "ImageName", json_object_new_string ("")));
  json_object_object_add (o, "Name", get_or (rec, "Name", json_object_new_string ("")));
  json_object_object_add (o, "RestartCount", get_or (rec, "RestartCount", json_object_new_int (0)));
  cleanup_free char *log = xasprintf ("%s/containers/%s/ctr.log", e->root, id);
  json_object_object_add (o, "LogPath", get_or (rec, "LogPath", json_object_new_string (log)));
  cleanup_free char *userdata = xasprintf ("%s/containers/%s", e->root, id);
  cleanup_free char *hosts = path_join (userdata, "hosts");
  cleanup_free char *hostname = path_join (userdata, "hostname");
  cleanup_free char *resolv = path_join (userdata, "resolv.conf");
  json_object_object_add (o, "HostsPath", json_object_new_string (hosts));
  json_object_object_add (o, "HostnamePath", json_object_new_string (hostname));
  json_object_object_add (o, "ResolvConfPath", json_object_new_string (resolv));
  json_object_object_add (o, "Driver", json_object_new_string ("overlay"));
  json_object_object_add (o, "Mounts", json_object_new_array ());
  json_object *config = json_object_new_object ();
  json_object_object_add (config, "Hostname", get_or (rec, "Hostname", json_object_new_string ("")));
  json_object_object_add (config, "User", get_or (rec, "User", json_object_new_string ("")));
  json_object_object_add (config, "Env", get_or (rec, "Env", json_object_new_array ()));
  json_object_object_add (config, "Cmd", json_object_get (args ? args : json_object_new_array ()));
  json_object_object_add (config, "Image", get_or (rec, "ImageName", json_object_new_string ("")));
  json_object_object_add (config, "WorkingDir", get_or (rec, "WorkingDir", json_object_new_string ("/")));
  json_object_object_add (config, "Labels", json_object_new_object ());
  json_object_object_add (config, "Annotations", json_object_new_object ());
  json_object_object_add (config, "StopSignal", json_object_new_string ("SIGTERM"));
  json_object_object_add (o, "Config", config);
  json_object *hc = json_object_new_object ();
  json_object_object_add (hc, "Privileged", get_or (rec, "Privileged", json_object_new_boolean (0)));
  json_object_object_add (hc, "ReadonlyRootfs", get_or (rec, "ReadonlyRootfs", json_object_new_boolean (0)));
  json_object_object_add (hc, "NetworkMode", json_object_new_string ("none"));
  json_object_object_add (o, "HostConfig", hc);
  json_object *ns = json_object_new_object ();
  json_object_object_add (ns, "IPAddress", json_object_new_string (""));
  json_object_object_add (ns, "Ports", json_object_new_object ());
  json_object_object_add (o, "NetworkSettings", ns);
  return o;
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
  if (first >= argc)
    return cli_usage_error ("inspect", "you must provide at least one name or id");
  if (a.type && strcmp (a.type, "container") != 0 && strcmp (a.type, "all") != 0)
    return cli_usage_error ("inspect", "--type %s is not supported by this skiff: use container (or skiff image inspect)",
                            a.type);
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  if (cli_engine (cli, &e, &err) < 0 || skiff_engine_enter (e, &err) < 0)
    return cli_fail (&err);
  json_object *items = json_object_new_array ();
  int ret = 0;
  for (int i = first; i < argc; i++)
    {
      json_object *rec = NULL;
      if (skiff_engine_container_lookup (e, argv[i], &rec, &err) < 0)
        {
          fprintf (stderr, "Error: %s\n", err->msg);
          skiff_error_release (&err);
          ret = SKIFF_EXIT_ERROR;
          continue;
        }
      json_object_array_add (items, inspect_json (e, rec));
      json_object_put (rec);
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
  static const struct cli_command self = { .name = "exists", .summary = "Check if a container exists in local storage",
                                           .usage = "CONTAINER", .options = none };
  int first = cli_parse (&self, "container exists", argc, argv, NULL, NULL);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  if (argc - first != 1)
    return cli_usage_error ("container exists", "accepts 1 arg(s), received %d", argc - first);
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  if (cli_engine (cli, &e, &err) < 0 || skiff_engine_enter (e, &err) < 0)
    return cli_fail (&err);
  json_object *rec = NULL;
  if (skiff_engine_container_lookup (e, argv[first], &rec, &err) < 0)
    {
      int st = err->status;
      if (st != ENOENT)
        return cli_fail (&err);
      skiff_error_release (&err);
      return 1;
    }
  json_object_put (rec);
  return 0;
}

static int container_main (struct skiff_cli *cli, int argc, char **argv);

static const struct cli_command container_subcommands[] = {
  { .name = "exists", .summary = "Check if a container exists in local storage", .usage = "CONTAINER", .fn = exists_main },
  { .name = "inspect", .summary = "Display the configuration of a container", .usage = "[options] CONTAINER [CONTAINER...]",
    .options = inspect_options, .fn = inspect_main },
  { .name = "list", .summary = "List containers", .usage = "[options]", .options = ps_options, .fn = ps_main,
    .aliases = { "ls", "ps" } },
  { .name = "prune", .summary = "Remove all non running containers", .usage = "[options]",
    .fn = cli_container_prune_main },
  { .name = "rename", .summary = "Rename an existing container", .usage = "CONTAINER NAME",
    .fn = NULL },
  { .name = "rm", .summary = "Remove one or more containers", .usage = "[options] CONTAINER [CONTAINER...]",
    .options = rm_options, .fn = rm_main },
  { .name = "run", .summary = "Run a command in a new container", .usage = "[options] IMAGE [COMMAND [ARG...]]",
    .fn = NULL },
  { 0 },
};

const struct cli_command cli_container_command = {
  .name = "container",
  .summary = "Manage containers",
  .usage = "COMMAND",
  .subcommands = container_subcommands,
  .fn = container_main,
};

const struct cli_command *cli_find_command (const struct cli_command *const *list, const struct cli_command *sub,
                                            const char *name);

static int
container_main (struct skiff_cli *cli, int argc, char **argv)
{
  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    {
      cli_print_help (&cli_container_command, "container");
      return argc < 2 ? SKIFF_EXIT_ERROR : 0;
    }
  /* the verbs that live elsewhere */
  static const struct cli_command *const others[] = { &cli_run_command, &cli_logs_command, &cli_stop_command,
                                                      &cli_kill_command, &cli_wait_command, &cli_rename_command, NULL };
  const struct cli_command *c = cli_find_command (others, NULL, argv[1]);
  if (c == NULL)
    c = cli_find_command (NULL, container_subcommands, argv[1]);
  if (c == NULL || c->fn == NULL)
    {
      fprintf (stderr, "Error: unrecognized command `skiff container %s`\nTry 'skiff container --help' for more "
                       "information\n",
               argv[1]);
      return SKIFF_EXIT_ERROR;
    }
  return c->fn (cli, argc - 1, argv + 1);
}
