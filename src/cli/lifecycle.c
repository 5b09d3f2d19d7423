/* skiff logs, stop, kill, wait: acting on containers that a monitor (or a foreground skiff) holds. */
#include <signal.h>
#include <sys/wait.h>

#include "cli/cli.h"

/* ---- logs ---- */

enum
{
  G_FOLLOW,
  G_TAIL,
  G_TIMESTAMPS,
  G_NAMES,
  G_SINCE,
  G_UNTIL,
};

static const struct cli_option logs_options[] = {
  [G_FOLLOW] = { "follow", 'f', optional_argument, NULL, "Follow log output" },
  [G_TAIL] = { "tail", 0, required_argument, "int",
               "Output the specified number of LINES at the end of the logs (default -1: all)" },
  [G_TIMESTAMPS] = { "timestamps", 't', optional_argument, NULL, "Output the timestamps in the log" },
  [G_NAMES] = { "names", 'n', optional_argument, NULL, "Output the container name in the log" },
  [G_SINCE] = { "since", 0, required_argument, "string", "Show logs since TIMESTAMP" },
  [G_UNTIL] = { "until", 0, required_argument, "string", "Show logs until TIMESTAMP" },
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
  uint64_t since_ns, until_ns;
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
    case G_SINCE:
    case G_UNTIL:
      {
        skiff_error_t err = NULL;
        if (skiff_logs_parse_time (arg, id == G_SINCE, id == G_SINCE ? &a->since_ns : &a->until_ns, &err) < 0)
          {
            skiff_error_wrap (&err, "error parsing --%s \"%s\"", id == G_SINCE ? "since" : "until", arg);
            return cli_fail (&err), -1;
          }
        break;
      }
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

struct logs_view
{
  const struct logs_args *a;
  const char *name, *id;
};

static void
print_entry (void *data, int stream, const char *time, const char *text, bool partial)
{
  const struct logs_view *v = data;
  FILE *f = stream == 2 ? stderr : stdout;
  if (v->a->names)
    fprintf (f, "%s ", v->name);
  else if (logs_prefix_ids)
    fprintf (f, "%.12s ", v->id);
  if (v->a->timestamps)
    fprintf (f, "%s ", time);
  fputs (text, f);
  if (!partial)
    fputc ('\n', f);
  fflush (f);
}

static int
logs_one (struct skiff_engine *e, const struct logs_args *a, const struct skiff_container *c)
{
  skiff_error_t err = NULL;
  struct logs_view v = { a, c->name ? c->name : c->id, c->id };
  struct skiff_log_options o = { .follow = a->follow,
                                 .tail = a->tail,
                                 .since_ns = a->since_ns,
                                 .until_ns = a->until_ns,
                                 .entry = print_entry,
                                 .data = &v };
  return skiff_engine_logs (e, c, &o, &err) < 0 ? cli_fail (&err) : 0;
}

/* logs -f of several containers: each followed at once (podman interleaves them as they come), by a child
 * of its own; the containers are all looked up first, so that one that ends (--rm) meanwhile is still shown */
static int
logs_follow_all (struct skiff_engine *e, const struct logs_args *a, struct skiff_container **v, size_t n)
{
  int ret = 0;
  pid_t *pids = xmalloc0 (n * sizeof *pids);
  fflush (NULL);
  for (size_t k = 0; k < n; k++)
    {
      pids[k] = fork ();
      if (pids[k] == 0)
        _exit (logs_one (e, a, v[k]));
      if (pids[k] < 0)
        ret = logs_one (e, a, v[k]);
    }
  for (size_t k = 0; k < n; k++)
    {
      int status = 0;
      if (pids[k] > 0 && waitpid (pids[k], &status, 0) == pids[k] && WIFEXITED (status) && WEXITSTATUS (status))
        ret = WEXITSTATUS (status);
    }
  free (pids);
  return ret;
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
  struct skiff_engine *e;
  if (cli_engine_entered (cli, &e, &err) < 0)
    return cli_fail (&err);
  size_t n = (size_t) (argc - first);
  struct skiff_container **v = xmalloc0 (n * sizeof *v);
  int ret = 0;
  for (size_t k = 0; ret == 0 && k < n; k++)
    if (skiff_engine_container_lookup (e, argv[first + (int) k], &v[k], &err) < 0)
      ret = cli_fail (&err);
  if (ret == 0 && a.follow && n > 1)
    ret = logs_follow_all (e, &a, v, n);
  for (size_t k = 0; ret == 0 && !(a.follow && n > 1) && k < n; k++)
    ret = logs_one (e, &a, v[k]);
  for (size_t k = 0; k < n; k++)
    skiff_container_free (v[k]);
  free (v);
  return ret;
}

/* ---- stop ---- */

enum
{
  S_TIME,
  S_ALL,
  S_IGNORE,
  S_TIMEOUT,
};

static const struct cli_option stop_options[] = {
  [S_TIME]
  = { "time", 't', required_argument, "int", "Seconds to wait for stop before killing the container (default 10)" },
  [S_ALL] = { "all", 'a', optional_argument, NULL, "Stop all running containers" },
  [S_IGNORE] = { "ignore", 'i', optional_argument, NULL, "Ignore errors when a specified container is missing" },
  [S_TIMEOUT]
  = { "timeout", 0, required_argument, "int", "Seconds to wait for stop before killing the container (as --time)" },
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
  if (id == S_TIMEOUT)
    id = S_TIME;
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
  if (cli_engine_entered (cli, &e, &err) < 0)
    return cli_fail (&err);
  int ret = 0;
  if (a.all)
    {
      struct skiff_container_list all;
      if (skiff_engine_container_list (e, &all, &err) < 0)
        return cli_fail (&err);
      for (size_t i = 0; i < all.n; i++)
        {
          if (all.v[i]->state != SKIFF_CTR_RUNNING)
            continue;
          if (skiff_engine_container_stop (e, all.v[i]->id, a.time_set, a.time, &err) < 0)
            ret = cli_fail (&err);
          else
            printf ("%s\n", all.v[i]->id);
        }
      skiff_container_list_release (&all);
      return ret;
    }
  for (int i = first; i < argc; i++)
    {
      struct skiff_container *c = NULL;
      if (skiff_engine_container_lookup (e, argv[i], &c, &err) < 0)
        {
          if (err->status == ENOENT && a.ignore)
            {
              skiff_error_release (&err);
              continue;
            }
          ret = cli_fail (&err);
          continue;
        }
      /* podman: stopping a stopped container is fine */
      if (c->state == SKIFF_CTR_RUNNING && skiff_engine_container_stop (e, c->id, a.time_set, a.time, &err) < 0)
        ret = cli_fail (&err);
      else
        printf ("%s\n", argv[i]);
      skiff_container_free (c);
    }
  return ret;
}

/* ---- kill ---- */

enum
{
  K_SIGNAL,
  K_ALL,
  K_LATEST,
};

static const struct cli_option kill_options[] = {
  [K_SIGNAL] = { "signal", 's', required_argument, "string", "Signal to send to the container (default \"KILL\")" },
  [K_ALL] = { "all", 'a', optional_argument, NULL, "Signal all running containers" },
  [K_LATEST] = { "latest", 'l', optional_argument, NULL, "Act on the latest container skiff is aware of" },
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

struct kill_args
{
  int sig;
  bool all, latest;
};

static int
kill_cb (int id, const char *arg, void *data)
{
  struct kill_args *a = data;
  bool ok = true;
  skiff_error_t err = NULL;
  switch (id)
    {
    case K_SIGNAL:
      if ((a->sig = skiff_signal_parse (arg, &err)) < 0)
        return cli_fail (&err), -1;
      break;
    case K_ALL:
      a->all = cli_bool (arg, &ok);
      break;
    case K_LATEST:
      a->latest = cli_bool (arg, &ok);
      break;
    }
  return 0;
}

/* kill --all, --latest: the running containers (or the latest one), printed by full ID as podman */
static int
kill_all (struct skiff_engine *e, const struct kill_args *a)
{
  skiff_error_t err = NULL;
  struct skiff_container_list all = { 0 };
  struct skiff_container *latest = NULL;
  if (a->latest ? skiff_engine_container_latest (e, &latest, &err) < 0
                : skiff_engine_container_list (e, &all, &err) < 0)
    return cli_fail (&err);
  struct skiff_container **v = a->latest ? &latest : all.v;
  size_t n = a->latest ? 1 : all.n;
  int ret = 0;
  for (size_t i = 0; i < n; i++)
    {
      if (!a->latest && v[i]->state != SKIFF_CTR_RUNNING)
        continue;
      if (skiff_engine_container_kill (e, v[i]->id, a->sig, &err) < 0)
        ret = cli_fail (&err);
      else
        printf ("%s\n", v[i]->id);
    }
  skiff_container_free (latest);
  skiff_container_list_release (&all);
  return ret;
}

static int
kill_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct kill_args a = { .sig = SIGKILL };
  int first = cli_parse (&cli_kill_command, "kill", argc, argv, kill_cb, &a);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  int ret = 0;
  skiff_error_t err = NULL;
  if (a.all && a.latest)
    skiff_error_set_status (&err, EINVAL, "--all and --latest cannot be used together");
  else if ((a.all || a.latest) && first < argc)
    skiff_error_set_status (&err, EINVAL, "no arguments are needed with --%s", a.all ? "all" : "latest");
  else if (first >= argc && !a.all && !a.latest)
    skiff_error_set_status (&err, EINVAL, "you must provide at least one container name or ID");
  if (err)
    return cli_fail (&err);
  struct skiff_engine *e;
  if (cli_engine_entered (cli, &e, &err) < 0)
    return cli_fail (&err);
  if (a.all || a.latest)
    return kill_all (e, &a);
  for (int i = first; i < argc; i++)
    {
      struct skiff_container *c = NULL;
      if (skiff_engine_container_lookup (e, argv[i], &c, &err) < 0
          || skiff_engine_container_kill (e, c->id, a.sig, &err) < 0)
        ret = cli_fail (&err);
      else
        printf ("%s\n", argv[i]);
      skiff_container_free (c);
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
  bool not_running; /* no --condition: podman waits until the container is not running, and prints its code */
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
state_bit (const struct skiff_container *c)
{
  if (c->state == SKIFF_CTR_RUNNING)
    return WC_RUNNING;
  if (c->state == SKIFF_CTR_EXITED)
    return WC_EXITED;
  return WC_CREATED;
}

/* podman prints -1 for a wait that ended on something else than the container's end */
#define WAIT_NOT_EXITED -1

/* Until one of the conditions holds; prints the exit code (or -1) */
static int
wait_one (struct skiff_engine *e, struct skiff_container *c, const struct wait_args *a, long poll_ms)
{
  skiff_error_t err = NULL;
  cleanup_free char *id = xstrdup (c->id);
  while (a->not_running ? c->state == SKIFF_CTR_RUNNING : !(state_bit (c) & a->conditions))
    {
      skiff_container_free (c);
      c = NULL;
      usleep ((useconds_t) poll_ms * 1000);
      if (skiff_engine_container_lookup (e, id, &c, &err) < 0)
        return cli_fail (&err);
    }
  printf ("%d\n", state_bit (c) == WC_EXITED || a->not_running ? c->exit_code : WAIT_NOT_EXITED);
  fflush (stdout);
  skiff_container_free (c);
  return 0;
}

static int
wait_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct wait_args a = { .interval_ms = 250 };
  int first = cli_parse (&cli_wait_command, "wait", argc, argv, wait_cb, &a);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  if (first >= argc && !a.latest)
    return cli_usage_error ("wait", "you must provide at least one container name or ID");
  a.not_running = a.conditions == 0;
  /* skiff's records change when a monitor writes them: a short poll keeps `wait` quick to notice */
  long poll_ms = a.interval_ms < 1 ? 1 : a.interval_ms < 20 ? a.interval_ms : 20;
  int ret = 0;
  for (int i = a.latest ? argc : first; i <= argc; i++)
    {
      if (i == argc && !a.latest)
        break;
      skiff_error_t err = NULL;
      struct skiff_engine *e;
      struct skiff_container *c = NULL;
      int r = cli_engine_entered (cli, &e, &err) < 0 ? -1
              : i == argc                            ? skiff_engine_container_latest (e, &c, &err)
                                                     : skiff_engine_container_lookup (e, argv[i], &c, &err);
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
      r = wait_one (e, c, &a, poll_ms);
      if (r != 0)
        ret = r;
    }
  return ret;
}
