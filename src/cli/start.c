/* skiff start, restart, attach: running existing containers again under a monitor, and following them. */
#include <signal.h>
#include <strings.h>

#include "cli/cli.h"
#include "monitor/monitor.h"

struct attach_ctx
{
  struct skiff_engine *e;
  const char *id;
};

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

static pid_t
container_pid (void *data)
{
  struct attach_ctx *c = data;
  json_object *rec = NULL;
  if (skiff_engine_container_lookup (c->e, c->id, &rec, NULL) < 0)
    return -1;
  pid_t pid = json_object_get_int (json_object_object_get (rec, "Pid"));
  json_object_put (rec);
  return pid;
}

/* Relay the attach session on fd (connected to container id's monitor) until the container ends (its exit
 * code), the detach keys (0), or the monitor goes (the exit code from the record, else 125). */
static int
attach_session (struct skiff_engine *e, const char *id, int fd, struct skiff_attach_options *o)
{
  struct attach_ctx ctx = { e, id };
  o->container_pid = container_pid;
  o->data = &ctx;
  enum skiff_attach_end end;
  int status = 0;
  skiff_error_t err = NULL;
  if (skiff_attach_run (fd, o, &end, &status, &err) < 0)
    return cli_fail (&err);
  if (end == SKIFF_ATTACH_ENDED)
    return status;
  if (end == SKIFF_ATTACH_DETACHED)
    return 0;
  /* the monitor closed the socket without the exit status: the record tells how it ended */
  json_object *rec = NULL;
  if (skiff_engine_container_lookup (e, id, &rec, NULL) == 0)
    {
      const char *st = skiff_record_string (rec, "Status");
      bool running = st && strcmp (st, "running") == 0;
      int code = json_object_get_int (json_object_object_get (rec, "ExitCode"));
      json_object_put (rec);
      if (!running)
        return code;
    }
  skiff_error_set_status (&err, EIO,
                          "the attach connection to container %s was closed by its monitor (the monitor died, or "
                          "this client took its output too slowly); attach again to go on",
                          id);
  return cli_fail (&err);
}

/* Connect to the monitor of a running container */
static int
attach_connect (struct skiff_engine *e, const char *id, int *fd, skiff_error_t *err)
{
  cleanup_free char *dir = xasprintf ("%s/containers/%s", e->root, id);
  if (skiff_attach_connect (dir, fd, err) < 0)
    return skiff_error_wrap (err,
                             "attaching to container %s: it has no monitor serving attach (a container run in "
                             "the foreground without -t is not attachable)",
                             id);
  return 0;
}

/* Start one container; with attach (o not NULL), relay it and return its exit code (else 0), or 125 after
 * the error. */
static int
start_one (struct skiff_engine *e, const char *ref, struct skiff_attach_options *o, bool print_name)
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
  if (o)
    {
      o->tty = skiff_record_bool (rec, "Tty");
      o->stdin = o->stdin && skiff_record_bool (rec, "OpenStdin");
    }
  json_object_put (rec);
  bool was_running = false;
  int fd = -1;
  if (skiff_engine_start_attach (e, id, &was_running, o ? &fd : NULL, &err) < 0)
    return cli_fail (&err);
  if (!o)
    {
      if (print_name)
        printf ("%s\n", ref);
      fflush (stdout);
      return 0;
    }
  /* a running container is attached to; a started one came with its client connected from the start */
  if (fd < 0 && attach_connect (e, id, &fd, &err) < 0)
    return cli_fail (&err);
  return attach_session (e, id, fd, o);
}

/* ---- run's attach ---- */

/* Which streams -a attaches (all without -a); the first unknown one, else NULL */
static const char *
run_streams (const struct cli_run_attach *ra, bool *in, bool *out, bool *err)
{
  *in = *out = *err = ra->streams == NULL;
  for (size_t i = 0; ra->streams && ra->streams[i]; i++)
    {
      if (strcasecmp (ra->streams[i], "stdin") == 0)
        *in = true;
      else if (strcasecmp (ra->streams[i], "stdout") == 0)
        *out = true;
      else if (strcasecmp (ra->streams[i], "stderr") == 0)
        *err = true;
      else
        return ra->streams[i];
    }
  return NULL;
}

int
cli_run_attach_prepare (struct cli_run_attach *ra, struct skiff_run_options *o, bool detach, bool create)
{
  ra->fd = -1;
  bool in, out, errs;
  skiff_error_t err = NULL;
  const char *bad = run_streams (ra, &in, &out, &errs);
  if (bad)
    {
      skiff_error_set_status (&err, EINVAL,
                              "invalid stream \"%s\" for --attach - must be one of stdin, stdout, or stderr: invalid "
                              "argument",
                              bad);
      return cli_fail (&err);
    }
  if (detach || create)
    return 0; /* podman checks the keys only where it attaches */
  unsigned char keys[SKIFF_DETACH_KEYS_MAX];
  size_t nkeys;
  if (skiff_detach_keys_parse (ra->detach_keys ? ra->detach_keys : SKIFF_DETACH_KEYS_DEFAULT, keys, &nkeys, &err) < 0)
    return cli_fail (&err);
  bool passthrough = o->log_driver && strcmp (o->log_driver, "passthrough") == 0;
  if ((o->tty || ra->streams || ra->detach_keys) && !passthrough)
    {
      o->detach = true;
      o->attach_fd = &ra->fd;
    }
  return 0;
}

int
cli_run_attach_finish (struct cli_run_attach *ra, struct skiff_engine *e, const char *id,
                       const struct skiff_run_options *o)
{
  if (ra->fd < 0 || id == NULL)
    return 0;
  bool in, out, errs;
  run_streams (ra, &in, &out, &errs);
  /* as podman: with neither output attached, the ID tells the user what runs */
  if (!out && !errs)
    {
      printf ("%s\n", id);
      fflush (stdout);
    }
  unsigned char keys[SKIFF_DETACH_KEYS_MAX];
  struct skiff_attach_options ao = {
    .stdin = o->interactive, /* podman: -i forwards stdin whatever -a says */
    .tty = o->tty,
    .out = out,
    .err = errs,
    .keys = keys,
    .sig_proxy = !ra->no_sig_proxy,
  };
  skiff_detach_keys_parse (ra->detach_keys ? ra->detach_keys : SKIFF_DETACH_KEYS_DEFAULT, keys, &ao.nkeys, NULL);
  int fd = ra->fd;
  ra->fd = -1;
  return attach_session (e, id, fd, &ao);
}

/* ---- start ---- */

enum
{
  T_ATTACH,
  T_DETACH_KEYS,
  T_INTERACTIVE,
  T_SIG_PROXY,
};

static const struct cli_option start_options[] = {
  [T_ATTACH] = { "attach", 'a', optional_argument, NULL, "Attach container's STDOUT and STDERR" },
  [T_DETACH_KEYS]
  = { "detach-keys", 0, required_argument, "string",
      "Select the key sequence for detaching a container. Format is a single character [a-Z] or a comma separated sequence of `ctrl-<value>`, where `<value>` is one of: `a-z`, `@`, `^`, `[`, `\\`, `]` or `_` (default \"ctrl-p,ctrl-q\")" },
  [T_INTERACTIVE] = { "interactive", 'i', optional_argument, NULL, "Attach container's STDIN (with --attach)" },
  [T_SIG_PROXY] = { "sig-proxy", 0, optional_argument, NULL, "Proxy received signals to the process (default true)" },
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
  bool attach, interactive, sig_proxy;
  const char *detach_keys;
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
  if (id == T_SIG_PROXY)
    a->sig_proxy = cli_bool (arg, &ok);
  if (id == T_DETACH_KEYS)
    a->detach_keys = arg;
  return 0;
}

static int
start_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct start_args a = { .sig_proxy = true, .detach_keys = SKIFF_DETACH_KEYS_DEFAULT };
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
  if (a.attach)
    {
      unsigned char keys[SKIFF_DETACH_KEYS_MAX];
      struct skiff_attach_options o
          = { .stdin = a.interactive, .out = true, .err = true, .keys = keys, .sig_proxy = a.sig_proxy };
      if (skiff_detach_keys_parse (a.detach_keys, keys, &o.nkeys, &err) < 0)
        {
          json_object *rec = NULL;
          if (skiff_engine_container_lookup (e, argv[first], &rec, NULL) == 0)
            {
              skiff_error_wrap (&err, "unable to start container %s", skiff_record_string (rec, "Id"));
              json_object_put (rec);
            }
          return cli_fail (&err);
        }
      return start_one (e, argv[first], &o, true);
    }
  int ret = 0;
  for (int i = first; i < argc; i++)
    {
      int r = start_one (e, argv[i], NULL, true);
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
      int r = start_one (e, id, NULL, false);
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

enum
{
  A_DETACH_KEYS,
  A_NO_STDIN,
  A_SIG_PROXY,
};

static const struct cli_option attach_options[] = {
  [A_DETACH_KEYS]
  = { "detach-keys", 0, required_argument, "string",
      "Select the key sequence for detaching a container. Format is a single character [a-Z] or a comma separated sequence of `ctrl-<value>`, where `<value>` is one of: `a-z`, `@`, `^`, `[`, `\\`, `]` or `_` (default \"ctrl-p,ctrl-q\")" },
  [A_NO_STDIN] = { "no-stdin", 0, optional_argument, NULL, "Do not attach STDIN. The default is false" },
  [A_SIG_PROXY] = { "sig-proxy", 0, optional_argument, NULL,
                    "Proxy received signals to the process (non-TTY mode only) (default true)" },
  { 0 },
};

static int attach_main (struct skiff_cli *cli, int argc, char **argv);

const struct cli_command cli_attach_command = {
  .name = "attach",
  .summary = "Attach to a running container",
  .usage = "[options] CONTAINER",
  .options = attach_options,
  .fn = attach_main,
};

struct attach_args
{
  const char *detach_keys;
  bool no_stdin, sig_proxy;
};

static int
attach_cb (int id, const char *arg, void *data)
{
  struct attach_args *a = data;
  bool ok = true;
  if (id == A_DETACH_KEYS)
    a->detach_keys = arg;
  if (id == A_NO_STDIN)
    a->no_stdin = cli_bool (arg, &ok);
  if (id == A_SIG_PROXY)
    a->sig_proxy = cli_bool (arg, &ok);
  return 0;
}

static int
attach_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct attach_args a = { .detach_keys = SKIFF_DETACH_KEYS_DEFAULT, .sig_proxy = true };
  int first = cli_parse (&cli_attach_command, "attach", argc, argv, attach_cb, &a);
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
  const char *status = skiff_record_string (rec, "Status");
  bool running = status && strcmp (status, "running") == 0;
  unsigned char keys[SKIFF_DETACH_KEYS_MAX];
  struct skiff_attach_options o = {
    .stdin = !a.no_stdin && skiff_record_bool (rec, "OpenStdin"),
    .tty = skiff_record_bool (rec, "Tty"),
    .out = true,
    .err = true,
    .keys = keys,
    .sig_proxy = a.sig_proxy,
  };
  json_object_put (rec);
  if (!running)
    {
      skiff_error_set_status (&err, EINVAL, "you can only attach to running containers");
      return cli_fail (&err);
    }
  if (skiff_detach_keys_parse (a.detach_keys, keys, &o.nkeys, &err) < 0)
    {
      skiff_error_wrap (&err, "attaching to container %s", id);
      return cli_fail (&err);
    }
  int fd;
  if (attach_connect (e, id, &fd, &err) < 0)
    return cli_fail (&err);
  return attach_session (e, id, fd, &o);
}
