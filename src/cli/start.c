/* skiff start, restart, attach: running existing containers again under a monitor, and following them. */
#include <signal.h>
#include <strings.h>

#include "cli/cli.h"

/* Relay the attach session on fd (connected to container id's monitor) until the container ends (its exit
 * code), the detach keys (0), or the monitor goes (the exit code from the record, else 125). */
static int
attach_session (struct skiff_engine *e, const char *id, int fd, const struct skiff_attach_request *r)
{
  int code = 0;
  bool detached = false;
  skiff_error_t err = NULL;
  if (skiff_engine_attach (e, id, fd, r, &code, &detached, &err) < 0)
    return cli_fail (&err);
  return detached ? 0 : code;
}

static int
lookup_or_fail (struct skiff_engine *e, const char *ref, struct skiff_container **c)
{
  skiff_error_t err = NULL;
  if (skiff_engine_container_lookup (e, ref, c, &err) == 0)
    return 0;
  if (err && err->status == ENOENT)
    {
      skiff_error_release (&err);
      skiff_error_set_status (&err, ENOENT, "no container with name or ID \"%s\" found: no such container", ref);
    }
  return cli_fail (&err);
}

/* Start one container; with attach (r not NULL), relay it and return its exit code (else 0), or 125 after
 * the error. */
static int
start_one (struct skiff_engine *e, const char *ref, const struct skiff_attach_request *r, bool print_name)
{
  skiff_error_t err = NULL;
  struct skiff_container *c = NULL;
  int ret = lookup_or_fail (e, ref, &c);
  if (ret != 0)
    return ret;
  cleanup_free char *id = xstrdup (c->id);
  skiff_container_free (c);
  int fd = -1;
  struct skiff_start_options o = { .attach_fd = r ? &fd : NULL };
  struct skiff_start_result res;
  /* podman: a start that fails is 125, whatever run would exit with (126, 127) */
  if (skiff_engine_container_start (e, id, &o, &res, &err) < 0)
    return cli_fail (&err), SKIFF_EXIT_ERROR;
  if (!r)
    {
      if (print_name)
        printf ("%s\n", ref);
      fflush (stdout);
      return 0;
    }
  /* a running container is attached to; a started one came with its client connected from the start */
  if (fd < 0 && skiff_engine_attach_connect (e, id, &fd, &err) < 0)
    return cli_fail (&err);
  return attach_session (e, id, fd, r);
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
cli_run_attach_prepare (struct cli_run_attach *ra, const struct skiff_spec *s, bool detach, bool create)
{
  ra->fd = -1;
  ra->monitor = false;
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
  if (skiff_engine_detach_keys_check (ra->detach_keys, &err) < 0)
    return cli_fail (&err);
  ra->monitor = (s->tty || ra->streams || ra->detach_keys) && s->log_driver != SKIFF_LOG_PASSTHROUGH;
  return 0;
}

int
cli_run_attach_finish (struct cli_run_attach *ra, struct skiff_engine *e, const char *id, const struct skiff_spec *s)
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
  struct skiff_attach_request r = {
    .stdin = s->interactive, /* podman: -i forwards stdin whatever -a says */
    .out = out,
    .err = errs,
    .detach_keys = ra->detach_keys,
    .sig_proxy = !ra->no_sig_proxy,
  };
  int fd = ra->fd;
  ra->fd = -1;
  return attach_session (e, id, fd, &r);
}

/* ---- start ---- */

enum
{
  T_ATTACH,
  T_DETACH_KEYS,
  T_INTERACTIVE,
  T_SIG_PROXY,
  T_ALL,
  T_FILTER,
};

static const struct cli_option start_options[] = {
  [T_ATTACH] = { "attach", 'a', optional_argument, NULL, "Attach container's STDOUT and STDERR" },
  [T_DETACH_KEYS]
  = { "detach-keys", 0, required_argument, "string",
      "Select the key sequence for detaching a container. Format is a single character [a-Z] or a comma separated sequence of `ctrl-<value>`, where `<value>` is one of: `a-z`, `@`, `^`, `[`, `\\`, `]` or `_` (default \"ctrl-p,ctrl-q\")" },
  [T_INTERACTIVE] = { "interactive", 'i', optional_argument, NULL, "Attach container's STDIN (with --attach)" },
  [T_SIG_PROXY] = { "sig-proxy", 0, optional_argument, NULL, "Proxy received signals to the process (default true)" },
  [T_ALL] = { "all", 0, optional_argument, NULL, "Start all containers regardless of their state or configuration" },
  [T_FILTER]
  = { "filter", 'f', required_argument, "stringArray", "Filter output based on conditions given (ps's filters)" },
  { 0 },
};

static int start_main (struct skiff_cli *cli, int argc, char **argv);
struct start_args;
static int start_targets (struct skiff_cli *cli, const struct start_args *a, int first, int argc, char **argv);

const struct cli_command cli_start_command = {
  .name = "start",
  .summary = "Start one or more containers",
  .usage = "[options] CONTAINER [CONTAINER...]",
  .options = start_options,
  .fn = start_main,
};

struct start_args
{
  bool attach, interactive, sig_proxy, all;
  const char *detach_keys;
  char **filters;
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
  if (id == T_ALL)
    a->all = cli_bool (arg, &ok);
  if (id == T_FILTER)
    strv_push (&a->filters, arg);
  return 0;
}

/* start --all / --filter: the containers that match (all, or those named), not running; each printed as
 * given, or by ID with --all (podman) */
static int
start_filtered (struct skiff_engine *e, const struct start_args *a, int first, int argc, char **argv)
{
  skiff_error_t err = NULL;
  struct cli_ctr_filters *cf = NULL;
  struct skiff_container_list all = { 0 };
  if (cli_ctr_filters_new (e, a->filters, &cf, &err) < 0)
    return cli_fail (&err);
  int ret = 0;
  if (a->all && skiff_engine_container_list (e, &all, &err) < 0)
    ret = cli_fail (&err);
  for (size_t i = 0; ret == 0 && a->all && i < all.n; i++)
    if (all.v[i]->state != SKIFF_CTR_RUNNING && cli_ctr_filters_match (cf, all.v[i]))
      {
        int r = start_one (e, all.v[i]->id, NULL, true);
        if (r != 0)
          ret = r;
      }
  for (int i = first; !a->all && i < argc; i++)
    {
      struct skiff_container *c = NULL;
      int r = lookup_or_fail (e, argv[i], &c);
      if (r == 0 && cli_ctr_filters_match (cf, c))
        r = start_one (e, argv[i], NULL, true);
      skiff_container_free (c);
      if (r != 0)
        ret = r;
    }
  skiff_container_list_release (&all);
  cli_ctr_filters_free (cf);
  return ret;
}

static int
start_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct start_args a = { .sig_proxy = true, .detach_keys = SKIFF_DETACH_KEYS_DEFAULT };
  int first = cli_parse (&cli_start_command, "start", argc, argv, start_cb, &a);
  if (first < 0)
    return strv_free (a.filters), first == -2 ? 0 : SKIFF_EXIT_ERROR;
  int ret = start_targets (cli, &a, first, argc, argv);
  strv_free (a.filters);
  return ret;
}

static int
start_targets (struct skiff_cli *cli, const struct start_args *a, int first, int argc, char **argv)
{
  skiff_error_t err = NULL;
  if (a->all && first < argc)
    {
      skiff_error_set_status (&err, EINVAL,
                              "either start all containers or the container(s) provided in the arguments");
      return cli_fail (&err);
    }
  if (first >= argc && !a->all)
    return cli_usage_error ("start", "requires at least 1 arg(s), only received 0");
  if (a->attach && (argc - first > 1 || a->all))
    return cli_usage_error ("start", "you cannot start and attach multiple containers at once");
  struct skiff_engine *e;
  if (cli_engine_entered (cli, &e, &err) < 0)
    return cli_fail (&err);
  if (a->all || a->filters)
    return start_filtered (e, a, first, argc, argv);
  if (a->attach)
    {
      struct skiff_attach_request r = {
        .stdin = a->interactive, .out = true, .err = true, .detach_keys = a->detach_keys, .sig_proxy = a->sig_proxy
      };
      if (skiff_engine_detach_keys_check (a->detach_keys, &err) < 0)
        {
          struct skiff_container *c = NULL;
          if (skiff_engine_container_lookup (e, argv[first], &c, NULL) == 0)
            {
              skiff_error_wrap (&err, "unable to start container %s", c->id);
              skiff_container_free (c);
            }
          return cli_fail (&err);
        }
      return start_one (e, argv[first], &r, true);
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
  if (cli_engine_entered (cli, &e, &err) < 0)
    return cli_fail (&err);
  int ret = 0;
  for (int i = first; i < argc; i++)
    {
      struct skiff_container *c = NULL;
      int r = lookup_or_fail (e, argv[i], &c);
      if (r != 0)
        {
          ret = r;
          continue;
        }
      cleanup_free char *id = xstrdup (c->id);
      bool running = c->state == SKIFF_CTR_RUNNING;
      skiff_container_free (c);
      if (running && skiff_engine_container_stop (e, id, a.time_set, a.time, &err) < 0)
        {
          ret = cli_fail (&err);
          continue;
        }
      r = start_one (e, id, NULL, false);
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
  struct skiff_container *c = NULL;
  if (cli_engine_entered (cli, &e, &err) < 0)
    return cli_fail (&err);
  int r = lookup_or_fail (e, argv[first], &c);
  if (r != 0)
    return r;
  cleanup_free char *id = xstrdup (c->id);
  bool running = c->state == SKIFF_CTR_RUNNING;
  skiff_container_free (c);
  struct skiff_attach_request req = {
    .stdin = !a.no_stdin,
    .out = true,
    .err = true,
    .detach_keys = a.detach_keys,
    .sig_proxy = a.sig_proxy,
  };
  if (!running)
    {
      skiff_error_set_status (&err, EINVAL, "you can only attach to running containers");
      return cli_fail (&err);
    }
  if (skiff_engine_detach_keys_check (a.detach_keys, &err) < 0)
    {
      skiff_error_wrap (&err, "attaching to container %s", id);
      return cli_fail (&err);
    }
  int fd;
  if (skiff_engine_attach_connect (e, id, &fd, &err) < 0)
    return cli_fail (&err);
  return attach_session (e, id, fd, &req);
}
