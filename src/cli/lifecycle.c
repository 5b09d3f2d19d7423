/* skiff logs, stop, kill, wait: acting on containers that a monitor runs. */
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"
#include "monitor/monitor.h"

#define POLL_INTERVAL_US 20000

static bool
record_running (struct skiff_engine *e, const char *id)
{
  json_object *rec = NULL;
  if (skiff_engine_container_lookup (e, id, &rec, NULL) < 0)
    return false;
  const char *st = json_object_get_string (json_object_object_get (rec, "Status"));
  bool r = st && (strcmp (st, "running") == 0 || strcmp (st, "created") == 0);
  json_object_put (rec);
  return r;
}

/* Wait until the container is no longer running; false on timeout (timeout_ms < 0: forever). */
static bool
wait_not_running (struct skiff_engine *e, const char *id, long timeout_ms)
{
  uint64_t deadline = now_ns () + (uint64_t) (timeout_ms < 0 ? 0 : timeout_ms) * 1000000ULL;
  while (record_running (e, id))
    {
      if (timeout_ms >= 0 && now_ns () >= deadline)
        return false;
      usleep (POLL_INTERVAL_US);
    }
  return true;
}

static int
lookup (struct skiff_cli *cli, const char *ref, struct skiff_engine **e, json_object **rec, skiff_error_t *err)
{
  if (cli_engine (cli, e, err) < 0 || skiff_engine_enter (*e, err) < 0)
    return -1;
  return skiff_engine_container_lookup (*e, ref, rec, err);
}

/* ---- logs ---- */

enum
{
  G_FOLLOW,
  G_TAIL,
  G_TIMESTAMPS,
  G_NAMES,
};

static const struct cli_option logs_options[] = {
  [G_FOLLOW] = { "follow", 'f', optional_argument, NULL, "Follow log output" },
  [G_TAIL] = { "tail", 0, required_argument, "int",
               "Output the specified number of LINES at the end of the logs (default -1: all)" },
  [G_TIMESTAMPS] = { "timestamps", 't', optional_argument, NULL, "Output the timestamps in the log" },
  [G_NAMES] = { "names", 'n', optional_argument, NULL, "Output the container name in the log" },
  { 0 },
};

static int logs_main (struct skiff_cli *cli, int argc, char **argv);

const struct cli_command cli_logs_command = {
  .name = "logs",
  .summary = "Fetch the logs of one or more containers",
  .usage = "[options] CONTAINER [CONTAINER...]",
  .options = logs_options,
  .fn = logs_main,
};

struct logs_args
{
  bool follow, timestamps, names;
  long long tail;
};

static int
logs_cb (int id, const char *arg, void *data)
{
  struct logs_args *a = data;
  bool ok = true;
  switch (id)
    {
    case G_FOLLOW:
      a->follow = cli_bool (arg, &ok);
      break;
    case G_TAIL:
      if (!str_to_llong (arg, -1, INT32_MAX, &a->tail))
        return cli_usage_error ("logs", "invalid argument \"%s\" for \"--tail\" flag: not a number", arg), -1;
      break;
    case G_TIMESTAMPS:
      a->timestamps = cli_bool (arg, &ok);
      break;
    case G_NAMES:
      a->names = cli_bool (arg, &ok);
      break;
    }
  return 0;
}

/* podman prefixes each line with the container's short ID when it shows several containers' logs (and always
 * for pod logs), or with its name with --names */
static bool logs_prefix_ids;

void
cli_logs_prefix_ids (bool on)
{
  logs_prefix_ids = on;
}

static void
print_entry (char *line, const struct logs_args *a, const char *name, const char *id)
{
  struct skiff_log_entry e;
  if (!skiff_log_parse_line (line, &e))
    return;
  FILE *f = e.stream == 2 ? stderr : stdout;
  if (a->names)
    fprintf (f, "%s ", name);
  else if (logs_prefix_ids)
    fprintf (f, "%.12s ", id);
  if (a->timestamps)
    fprintf (f, "%s ", e.time);
  fputs (e.text, f);
  if (!e.partial)
    fputc ('\n', f);
  fflush (f);
}

/* Did the monitor start the log afresh (a new file renamed over it, or truncated when it could not make one)? */
static bool
log_rotated (FILE *f, const char *path)
{
  struct stat now, cur;
  if (stat (path, &now) < 0 || fstat (fileno (f), &cur) < 0)
    return false;
  if (now.st_ino != cur.st_ino || now.st_dev != cur.st_dev)
    return true;
  long pos = ftell (f);
  return pos >= 0 && (off_t) pos > cur.st_size;
}

static int
logs_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct logs_args a = { .tail = -1 };
  int first = cli_parse (&cli_logs_command, "logs", argc, argv, logs_cb, &a);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  if (first >= argc)
    return cli_usage_error ("logs", "requires at least 1 arg(s), only received 0");
  if (argc - first > 1)
    logs_prefix_ids = true;
  skiff_error_t err = NULL;
  for (int k = first; k < argc; k++)
    {
      struct skiff_engine *e;
      json_object *rec = NULL;
      if (lookup (cli, argv[k], &e, &rec, &err) < 0)
        return cli_fail (&err);
      const char *id = json_object_get_string (json_object_object_get (rec, "Id"));
      const char *name = json_object_get_string (json_object_object_get (rec, "Name"));
      const char *driver = json_object_get_string (json_object_object_get (rec, "LogDriver"));
      if (driver && strcmp (driver, "k8s-file") != 0)
        {
          skiff_error_set_status (&err, EINVAL,
                                  "this container is using the '%s' log driver, cannot read logs: this container is "
                                  "not logging output",
                                  driver);
          json_object_put (rec);
          return cli_fail (&err);
        }
      const char *log_path = json_object_get_string (json_object_object_get (rec, "LogPath"));
      cleanup_free char *path = log_path ? xstrdup (log_path) : xasprintf ("%s/containers/%s/ctr.log", e->root, id);
      cleanup_free char *idcopy = xstrdup (id);
      cleanup_free char *namecopy = xstrdup (name ? name : id);
      json_object_put (rec);
      FILE *f = fopen (path, "re");
      if (f == NULL && !a.follow)
        continue; /* nothing logged yet */
      /* --tail: count the lines first */
      long long skip = 0;
      if (f && a.tail >= 0)
        {
          long long total = 0;
          int c;
          while ((c = fgetc (f)) != EOF)
            total += c == '\n';
          skip = total > a.tail ? total - a.tail : 0;
          rewind (f);
        }
      cleanup_free char *line = NULL;
      size_t cap = 0;
      for (;;)
        {
          ssize_t n = f ? getline (&line, &cap, f) : -1;
          if (n > 0 && line[n - 1] == '\n')
            {
              if (skip > 0)
                skip--;
              else
                print_entry (line, &a, namecopy, idcopy);
              continue;
            }
          if (n > 0)
            {
              /* a line still being written: read it again when complete */
              fseek (f, -n, SEEK_CUR);
            }
          if (!a.follow)
            break;
          bool running = record_running (e, idcopy);
          if (!running)
            {
              /* drain what the monitor wrote before it recorded the exit */
              while (f && (n = getline (&line, &cap, f)) > 0)
                print_entry (line, &a, namecopy, idcopy);
              break;
            }
          usleep (POLL_INTERVAL_US);
          if (f == NULL)
            f = fopen (path, "re");
          else if (log_rotated (f, path))
            {
              /* --log-opt max-size: the rest of the old log, then the new one from its start */
              while ((n = getline (&line, &cap, f)) > 0)
                print_entry (line, &a, namecopy, idcopy);
              fclose (f);
              f = fopen (path, "re");
            }
          else
            clearerr (f);
        }
      if (f)
        fclose (f);
    }
  return 0;
}

/* ---- stop ---- */

enum
{
  S_TIME,
  S_ALL,
  S_IGNORE,
};

static const struct cli_option stop_options[] = {
  [S_TIME]
  = { "time", 't', required_argument, "int", "Seconds to wait for stop before killing the container (default 10)" },
  [S_ALL] = { "all", 'a', optional_argument, NULL, "Stop all running containers" },
  [S_IGNORE] = { "ignore", 'i', optional_argument, NULL, "Ignore errors when a specified container is missing" },
  { 0 },
};

static int stop_main (struct skiff_cli *cli, int argc, char **argv);

const struct cli_command cli_stop_command = {
  .name = "stop",
  .summary = "Stop one or more containers",
  .usage = "[options] CONTAINER [CONTAINER...]",
  .options = stop_options,
  .fn = stop_main,
};

struct stop_args
{
  long long time;
  bool time_set; /* -t given: else the container's --stop-timeout */
  bool all, ignore;
};

static int
stop_cb (int id, const char *arg, void *data)
{
  struct stop_args *a = data;
  bool ok = true;
  if (id == S_TIME && !str_to_llong (arg, -1, INT32_MAX, &a->time))
    return cli_usage_error ("stop", "invalid argument \"%s\" for \"-t, --time\" flag: not a number", arg), -1;
  if (id == S_TIME)
    a->time_set = true;
  if (id == S_ALL)
    a->all = cli_bool (arg, &ok);
  if (id == S_IGNORE)
    a->ignore = cli_bool (arg, &ok);
  return 0;
}

static int
stop_one (struct skiff_engine *e, json_object *rec, const struct stop_args *a)
{
  const char *id = json_object_get_string (json_object_object_get (rec, "Id"));
  const char *status = json_object_get_string (json_object_object_get (rec, "Status"));
  if (!status || strcmp (status, "running") != 0)
    return 0; /* podman: stopping a stopped container is fine */
  cli_stop_container (e, id, a->time_set, a->time);
  return 0;
}

void
cli_stop_container (struct skiff_engine *e, const char *id, bool time_set, long long time)
{
  /* flagged before the signal, so that its restart policy does not bring it back; the PID is read again
   * under the same lock, as a restart may have changed it */
  json_object *fresh = NULL;
  if (skiff_engine_container_mark_stopped (e, id, &fresh, NULL) < 0)
    return; /* removed meanwhile */
  int pid = json_object_get_int (json_object_object_get (fresh, "Pid"));
  json_object *v = NULL;
  int sig = json_object_object_get_ex (fresh, "StopSignal", &v) && json_object_get_int (v) > 0 ? json_object_get_int (v)
                                                                                               : SIGTERM;
  long long timeout = time_set                                               ? time
                      : json_object_object_get_ex (fresh, "StopTimeout", &v) ? json_object_get_int64 (v)
                                                                             : SKIFF_DEFAULT_STOP_TIMEOUT;
  json_object_put (fresh);
  /* between two runs under a restart policy there is no process: the monitor sees the flag and gives up */
  if (pid > 0)
    kill (pid, sig);
  if (!wait_not_running (e, id, timeout < 0 ? -1 : timeout * 1000))
    {
      char name[32];
      log_warning ("StopSignal %s failed to stop container %s in %lld seconds, resorting to SIGKILL",
                   skiff_signal_name (sig, name, sizeof name), id, timeout);
      if (pid > 0)
        kill (pid, SIGKILL);
      wait_not_running (e, id, -1);
    }
}

static int
stop_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct stop_args a = { .time = SKIFF_DEFAULT_STOP_TIMEOUT };
  int first = cli_parse (&cli_stop_command, "stop", argc, argv, stop_cb, &a);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  if (first >= argc && !a.all)
    return cli_usage_error ("stop", "you must provide at least one container name or ID");
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  if (cli_engine (cli, &e, &err) < 0 || skiff_engine_enter (e, &err) < 0)
    return cli_fail (&err);
  int ret = 0;
  if (a.all)
    {
      json_object *all = NULL;
      if (skiff_engine_container_list (e, &all, &err) < 0)
        return cli_fail (&err);
      for (size_t i = 0; i < json_object_array_length (all); i++)
        {
          json_object *rec = json_object_array_get_idx (all, i);
          const char *st = json_object_get_string (json_object_object_get (rec, "Status"));
          if (st && strcmp (st, "running") == 0)
            {
              stop_one (e, rec, &a);
              printf ("%s\n", json_object_get_string (json_object_object_get (rec, "Id")));
            }
        }
      json_object_put (all);
      return 0;
    }
  for (int i = first; i < argc; i++)
    {
      json_object *rec = NULL;
      if (skiff_engine_container_lookup (e, argv[i], &rec, &err) < 0)
        {
          if (err->status == ENOENT && a.ignore)
            {
              skiff_error_release (&err);
              continue;
            }
          ret = cli_fail (&err);
          continue;
        }
      stop_one (e, rec, &a);
      printf ("%s\n", argv[i]);
      json_object_put (rec);
    }
  return ret;
}

/* ---- kill ---- */

static const struct cli_option kill_options[] = {
  { "signal", 's', required_argument, "string", "Signal to send to the container (default \"KILL\")" },
  { 0 },
};

static int kill_main (struct skiff_cli *cli, int argc, char **argv);

const struct cli_command cli_kill_command = {
  .name = "kill",
  .summary = "Kill one or more running containers with a specific signal",
  .usage = "[options] CONTAINER [CONTAINER...]",
  .options = kill_options,
  .fn = kill_main,
};

static int
kill_cb (int id, const char *arg, void *data)
{
  int *sig = data;
  *sig = skiff_signal_parse (arg);
  if (*sig < 0)
    return cli_usage_error ("kill", "invalid signal: %s", arg), -1;
  return 0;
}

static int
kill_main (struct skiff_cli *cli, int argc, char **argv)
{
  int sig = SIGKILL;
  int first = cli_parse (&cli_kill_command, "kill", argc, argv, kill_cb, &sig);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  if (first >= argc)
    return cli_usage_error ("kill", "you must provide at least one container name or ID");
  int ret = 0;
  for (int i = first; i < argc; i++)
    {
      skiff_error_t err = NULL;
      struct skiff_engine *e;
      json_object *rec = NULL, *fresh = NULL;
      if (lookup (cli, argv[i], &e, &rec, &err) < 0)
        {
          ret = cli_fail (&err);
          continue;
        }
      const char *id = json_object_get_string (json_object_object_get (rec, "Id"));
      const char *st = json_object_get_string (json_object_object_get (rec, "Status"));
      int pid = json_object_get_int (json_object_object_get (rec, "Pid"));
      if (!st || strcmp (st, "running") != 0 || pid <= 0)
        {
          fprintf (stderr, "Error: can only kill running containers. %s is in state %s: container state improper\n", id,
                   st ? st : "unknown");
          ret = SKIFF_EXIT_ERROR;
        }
      else if (skiff_engine_container_mark_stopped (e, id, &fresh, NULL) == 0
               && (pid = json_object_get_int (json_object_object_get (fresh, "Pid"))) > 0 && kill (pid, sig) < 0)
        {
          fprintf (stderr, "Error: kill %s: %s\n", id, strerror (errno));
          ret = SKIFF_EXIT_ERROR;
        }
      else
        printf ("%s\n", argv[i]);
      json_object_put (fresh);
      json_object_put (rec);
    }
  return ret;
}

/* ---- wait ---- */

enum
{
  W_CONDITION,
  W_INTERVAL,
  W_IGNORE,
  W_LATEST,
};

static const struct cli_option wait_options[] = {
  [W_CONDITION] = { "condition", 0, required_argument, "strings",
                    "Condition to wait on (configured, created, exited, running, stopped; default stopped)" },
  [W_INTERVAL] = { "interval", 'i', required_argument, "string",
                   "Time Interval to wait before polling for completion (default \"250ms\")" },
  [W_IGNORE]
  = { "ignore", 0, optional_argument, NULL, "Ignore if a container does not exist (its exit code reads -1)" },
  [W_LATEST] = { "latest", 'l', optional_argument, NULL, "Act on the latest container skiff is aware of" },
  { 0 },
};

static int wait_main (struct skiff_cli *cli, int argc, char **argv);

const struct cli_command cli_wait_command = {
  .name = "wait",
  .summary = "Block on one or more containers",
  .usage = "[options] CONTAINER [CONTAINER...]",
  .options = wait_options,
  .fn = wait_main,
};

/* the states a wait can end on; "exited" and "stopped" are one state in skiff */
enum
{
  WC_CREATED = 1,
  WC_RUNNING = 2,
  WC_EXITED = 4,
};

struct wait_args
{
  unsigned conditions;
  long interval_ms;
  bool ignore, latest;
};

/* a Go duration as podman's --interval takes it: "250ms", "1s", "1.5s", "2m"; a bare number is ms */
static bool
parse_interval (const char *s, long *ms)
{
  char *end = NULL;
  double v = strtod (s, &end);
  if (end == s || v < 0)
    return false;
  double mult = strcmp (end, "ms") == 0 || *end == '\0' ? 1
                : strcmp (end, "s") == 0                ? 1000
                : strcmp (end, "m") == 0                ? 60000
                                                        : -1;
  if (mult < 0)
    return false;
  *ms = (long) (v * mult);
  return true;
}

static int
wait_cb (int id, const char *arg, void *data)
{
  struct wait_args *a = data;
  bool ok = true;
  if (id == W_INTERVAL)
    {
      if (!parse_interval (arg, &a->interval_ms))
        return cli_usage_error ("wait",
                                "invalid argument \"%s\" for \"-i, --interval\" flag: time: invalid duration "
                                "\"%s\"",
                                arg, arg),
               -1;
      return 0;
    }
  if (id == W_IGNORE)
    {
      a->ignore = cli_bool (arg, &ok);
      return 0;
    }
  if (id == W_LATEST)
    {
      a->latest = cli_bool (arg, &ok);
      return 0;
    }
  cleanup_free char *copy = xstrdup (arg);
  char *save = NULL;
  for (char *c = strtok_r (copy, ",", &save); c; c = strtok_r (NULL, ",", &save))
    {
      if (strcmp (c, "configured") == 0 || strcmp (c, "created") == 0)
        a->conditions |= WC_CREATED;
      else if (strcmp (c, "running") == 0)
        a->conditions |= WC_RUNNING;
      else if (strcmp (c, "exited") == 0 || strcmp (c, "stopped") == 0)
        a->conditions |= WC_EXITED;
      else if (strcmp (c, "healthy") == 0 || strcmp (c, "unhealthy") == 0)
        {
          fprintf (stderr,
                   "Error: cannot wait for the condition \"%s\": skiff runs no health checks (HEALTHCHECK is "
                   "not supported yet), so a container never becomes %s\n",
                   c, c);
          return -1;
        }
      else if (strcmp (c, "paused") == 0)
        {
          fprintf (stderr,
                   "Error: cannot wait for the condition \"paused\": skiff cannot pause containers on this host "
                   "(see `skiff pause`), so the condition would never be met\n");
          return -1;
        }
      else
        {
          fprintf (stderr, "Error: unknown container state: %s: invalid argument\n", c);
          return -1;
        }
    }
  return 0;
}

static unsigned
state_bit (json_object *rec)
{
  const char *st = json_object_get_string (json_object_object_get (rec, "Status"));
  if (st && strcmp (st, "running") == 0)
    return WC_RUNNING;
  if (st && strcmp (st, "exited") == 0)
    return WC_EXITED;
  return WC_CREATED;
}

/* podman prints -1 for a wait that ended on something else than the container's end */
#define WAIT_NOT_EXITED -1

static int
wait_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct wait_args a = { .interval_ms = 250 };
  int first = cli_parse (&cli_wait_command, "wait", argc, argv, wait_cb, &a);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  if (first >= argc && !a.latest)
    return cli_usage_error ("wait", "you must provide at least one container name or ID");
  if (a.conditions == 0)
    a.conditions = WC_EXITED;
  /* skiff's records change when a monitor writes them: a short poll keeps `wait` quick to notice */
  long poll_ms = a.interval_ms < 1 ? 1 : a.interval_ms < 20 ? a.interval_ms : 20;
  int ret = 0;
  for (int i = a.latest ? argc : first; i <= argc; i++)
    {
      if (i == argc && !a.latest)
        break;
      skiff_error_t err = NULL;
      struct skiff_engine *e;
      json_object *rec = NULL;
      int r = cli_engine (cli, &e, &err) < 0 || skiff_engine_enter (e, &err) < 0 ? -1
              : i == argc ? skiff_engine_container_latest (e, &rec, &err)
                          : skiff_engine_container_lookup (e, argv[i], &rec, &err);
      if (r < 0)
        {
          if (a.ignore && err && err->status == ENOENT)
            {
              skiff_error_release (&err);
              printf ("%d\n", WAIT_NOT_EXITED);
              continue;
            }
          ret = cli_fail (&err);
          continue;
        }
      cleanup_free char *id = xstrdup (json_object_get_string (json_object_object_get (rec, "Id")));
      while (!(state_bit (rec) & a.conditions))
        {
          json_object_put (rec);
          rec = NULL;
          usleep ((useconds_t) poll_ms * 1000);
          if (skiff_engine_container_lookup (e, id, &rec, &err) < 0)
            break;
        }
      if (rec == NULL)
        {
          ret = cli_fail (&err);
          continue;
        }
      if (state_bit (rec) == WC_EXITED)
        printf ("%d\n", json_object_get_int (json_object_object_get (rec, "ExitCode")));
      else
        printf ("%d\n", WAIT_NOT_EXITED);
      fflush (stdout);
      json_object_put (rec);
    }
  return ret;
}
