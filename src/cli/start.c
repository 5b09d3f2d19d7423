/* skiff start, restart, attach: running existing containers again under a monitor, and following them. */
#include <signal.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "monitor/monitor.h"

#define POLL_INTERVAL_US 20000

static bool
is_running (struct skiff_engine *e, const char *id)
{
  json_object *rec = NULL;
  if (skiff_engine_container_lookup (e, id, &rec, NULL) < 0)
    return false;
  const char *st = skiff_record_string (rec, "Status");
  bool r = st && strcmp (st, "running") == 0;
  json_object_put (rec);
  return r;
}

static void
print_line (char *line)
{
  struct skiff_log_entry le;
  if (!skiff_log_parse_line (line, &le))
    return;
  FILE *f = le.stream == 2 ? stderr : stdout;
  fputs (le.text, f);
  if (!le.partial)
    fputc ('\n', f);
  fflush (f);
}

static off_t
log_size (const char *path)
{
  struct stat sb;
  return path && stat (path, &sb) == 0 ? sb.st_size : 0;
}

static char *
log_path_of (struct skiff_engine *e, json_object *rec)
{
  const char *driver = skiff_record_string (rec, "LogDriver");
  if (driver && strcmp (driver, "k8s-file") != 0)
    return NULL;
  const char *p = skiff_record_string (rec, "LogPath");
  return p ? xstrdup (p) : xasprintf ("%s/containers/%s/ctr.log", e->root, skiff_record_string (rec, "Id"));
}

/* Print the log from offset from on as it is written until the container no longer runs; its exit code. */
static int
follow (struct skiff_engine *e, const char *id, const char *path, off_t from)
{
  FILE *f = NULL;
  cleanup_free char *line = NULL;
  size_t cap = 0;
  for (;;)
    {
      if (f == NULL && path && (f = fopen (path, "re")) != NULL)
        fseeko (f, from, SEEK_SET);
      ssize_t n = f ? getline (&line, &cap, f) : -1;
      if (n > 0 && line[n - 1] == '\n')
        {
          print_line (line);
          continue;
        }
      if (n > 0)
        fseek (f, -n, SEEK_CUR); /* a line still being written */
      if (!is_running (e, id))
        {
          while (f && (n = getline (&line, &cap, f)) > 0)
            print_line (line);
          break;
        }
      usleep (POLL_INTERVAL_US);
      if (f)
        clearerr (f);
    }
  if (f)
    fclose (f);
  json_object *rec = NULL;
  int code = 0;
  if (skiff_engine_container_lookup (e, id, &rec, NULL) == 0)
    {
      code = json_object_get_int (json_object_object_get (rec, "ExitCode"));
      json_object_put (rec);
    }
  return code;
}

/* Start one container; with attach, follow it and return its exit code (else 0), or 125 after the error. */
static int
start_one (struct skiff_engine *e, const char *ref, bool attach, bool print_name)
{
  skiff_error_t err = NULL;
  json_object *rec = NULL;
  if (skiff_engine_container_lookup (e, ref, &rec, &err) < 0)
    {
      if (err && err->status == ENOENT)
        {
          skiff_error_release (&err);
          skiff_error_set_status (&err, ENOENT, "no container with name or ID \"%s\" found: no such container", ref);
        }
      return cli_fail (&err);
    }
  cleanup_free char *id = xstrdup (skiff_record_string (rec, "Id"));
  cleanup_free char *path = log_path_of (e, rec);
  json_object_put (rec);
  off_t from = log_size (path);
  bool was_running = false;
  if (skiff_engine_start (e, id, &was_running, &err) < 0)
    return cli_fail (&err);
  if (!attach)
    {
      if (print_name)
        printf ("%s\n", ref);
      fflush (stdout);
      return 0;
    }
  return follow (e, id, path, from);
}

/* ---- start ---- */

enum
{
  T_ATTACH,
  T_INTERACTIVE,
};

static const struct cli_option start_options[] = {
  [T_ATTACH] = { "attach", 'a', optional_argument, NULL, "Attach container's STDOUT and STDERR (its output is followed from its log)" },
  [T_INTERACTIVE] = { "interactive", 'i', optional_argument, NULL, "Keep STDIN open even if not attached (accepted; stdin is not forwarded yet)" },
  { 0 },
};

static int start_main (struct skiff_cli *cli, int argc, char **argv);

const struct cli_command cli_start_command = {
  .name = "start",
  .summary = "Start one or more containers",
  .usage = "[options] CONTAINER [CONTAINER...]",
  .options = start_options,
  .fn = start_main,
};

struct start_args
{
  bool attach, interactive;
};

static int
start_cb (int id, const char *arg, void *data)
{
  struct start_args *a = data;
  bool ok = true;
  if (id == T_ATTACH)
    a->attach = cli_bool (arg, &ok);
  if (id == T_INTERACTIVE)
    a->interactive = cli_bool (arg, &ok);
  return 0;
}

static int
start_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct start_args a = { 0 };
  int first = cli_parse (&cli_start_command, "start", argc, argv, start_cb, &a);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  if (first >= argc)
    return cli_usage_error ("start", "requires at least 1 arg(s), only received 0");
  if (a.attach && argc - first > 1)
    return cli_usage_error ("start", "you cannot start and attach multiple containers at once");
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  if (cli_engine (cli, &e, &err) < 0 || skiff_engine_enter (e, &err) < 0)
    return cli_fail (&err);
  int ret = 0;
  for (int i = first; i < argc; i++)
    {
      int r = start_one (e, argv[i], a.attach, true);
      if (r != 0)
        ret = r;
    }
  return ret;
}

/* ---- restart ---- */

static const struct cli_option restart_options[] = {
  { "time", 't', required_argument, "int", "Seconds to wait for stop before killing the container (default 10)" },
  { 0 },
};

static int restart_main (struct skiff_cli *cli, int argc, char **argv);

const struct cli_command cli_restart_command = {
  .name = "restart",
  .summary = "Restart one or more containers",
  .usage = "[options] CONTAINER [CONTAINER...]",
  .options = restart_options,
  .fn = restart_main,
};

struct restart_args
{
  long long time;
  bool time_set;
};

static int
restart_cb (int id, const char *arg, void *data)
{
  struct restart_args *a = data;
  (void) id;
  if (!str_to_llong (arg, -1, INT32_MAX, &a->time))
    return cli_usage_error ("restart", "invalid argument \"%s\" for \"-t, --time\" flag: not a number", arg), -1;
  a->time_set = true;
  return 0;
}

static int
restart_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct restart_args a = { .time = SKIFF_DEFAULT_STOP_TIMEOUT };
  int first = cli_parse (&cli_restart_command, "restart", argc, argv, restart_cb, &a);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  if (first >= argc)
    return cli_usage_error ("restart", "you must provide at least one container name or ID");
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  if (cli_engine (cli, &e, &err) < 0 || skiff_engine_enter (e, &err) < 0)
    return cli_fail (&err);
  int ret = 0;
  for (int i = first; i < argc; i++)
    {
      json_object *rec = NULL;
      if (skiff_engine_container_lookup (e, argv[i], &rec, &err) < 0)
        {
          if (err && err->status == ENOENT)
            {
              skiff_error_release (&err);
              skiff_error_set_status (&err, ENOENT, "no container with name or ID \"%s\" found: no such container",
                                      argv[i]);
            }
          ret = cli_fail (&err);
          continue;
        }
      cleanup_free char *id = xstrdup (skiff_record_string (rec, "Id"));
      json_object_put (rec);
      if (is_running (e, id))
        cli_stop_container (e, id, a.time_set, a.time);
      int r = start_one (e, id, false, false);
      if (r != 0)
        {
          ret = r;
          continue;
        }
      printf ("%s\n", argv[i]);
      fflush (stdout);
    }
  return ret;
}

/* ---- attach ---- */

static const struct cli_option attach_options[] = {
  { "no-stdin", 0, optional_argument, NULL, "Do not attach STDIN (skiff never forwards stdin: always the case)" },
  { 0 },
};

static int attach_main (struct skiff_cli *cli, int argc, char **argv);

const struct cli_command cli_attach_command = {
  .name = "attach",
  .summary = "Attach to a running container (follows its output from its log until it exits; stdin is not forwarded)",
  .usage = "[options] CONTAINER",
  .options = attach_options,
  .fn = attach_main,
};

static int
attach_cb (int id, const char *arg, void *data)
{
  (void) id, (void) arg, (void) data;
  return 0;
}

static int
attach_main (struct skiff_cli *cli, int argc, char **argv)
{
  int first = cli_parse (&cli_attach_command, "attach", argc, argv, attach_cb, NULL);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  if (argc - first != 1)
    return cli_usage_error ("attach", "accepts 1 arg(s), received %d", argc - first);
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  json_object *rec = NULL;
  if (cli_engine (cli, &e, &err) < 0 || skiff_engine_enter (e, &err) < 0)
    return cli_fail (&err);
  if (skiff_engine_container_lookup (e, argv[first], &rec, &err) < 0)
    {
      if (err && err->status == ENOENT)
        {
          skiff_error_release (&err);
          skiff_error_set_status (&err, ENOENT, "no container with name or ID \"%s\" found: no such container",
                                  argv[first]);
        }
      return cli_fail (&err);
    }
  cleanup_free char *id = xstrdup (skiff_record_string (rec, "Id"));
  cleanup_free char *path = log_path_of (e, rec);
  const char *status = skiff_record_string (rec, "Status");
  bool running = status && strcmp (status, "running") == 0;
  json_object_put (rec);
  if (!running)
    {
      skiff_error_set_status (&err, EINVAL, "you can only attach to running containers");
      return cli_fail (&err);
    }
  return follow (e, id, path, log_size (path));
}
