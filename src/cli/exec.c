/* skiff exec: run a process in a running container. */
#include "cli/cli.h"

enum
{
  X_INTERACTIVE,
  X_TTY,
  X_DETACH,
  X_ENV,
  X_ENV_FILE,
  X_USER,
  X_WORKDIR,
  X_PRIVILEGED,
};

static const struct cli_option exec_options[] = {
  [X_INTERACTIVE] = { "interactive", 'i', optional_argument, NULL, "Make STDIN available to the contained process" },
  [X_TTY] = { "tty", 't', optional_argument, NULL, "Allocate a pseudo-TTY. The default is false" },
  [X_DETACH] = { "detach", 'd', optional_argument, NULL, "Run the exec session in detached mode (backgrounded)" },
  [X_ENV] = { "env", 'e', required_argument, "stringArray", "Set environment variables" },
  [X_ENV_FILE] = { "env-file", 0, required_argument, "stringArray", "Read in a file of environment variables" },
  [X_USER] = { "user", 'u', required_argument, "string",
               "Sets the username or UID used and optionally the groupname or GID for the specified command" },
  [X_WORKDIR] = { "workdir", 'w', required_argument, "string", "Working directory inside the container" },
  [X_PRIVILEGED]
  = { "privileged", 0, optional_argument, NULL, "Give the process extended Linux capabilities inside the container" },
  { 0 },
};

static int exec_main (struct skiff_cli *cli, int argc, char **argv);

const struct cli_command cli_exec_command = {
  .name = "exec",
  .options_first = true,
  .fn = exec_main,
  .summary = "Run a process in a running container",
  .usage = "[options] CONTAINER COMMAND [ARG...]",
  .options = exec_options,
};

struct exec_args
{
  bool interactive, tty, detach, privileged;
  const char *user, *workdir;
  char **env, **env_files;
};

static int
exec_cb (int id, const char *arg, void *data)
{
  struct exec_args *a = data;
  bool ok = true;
  switch (id)
    {
    case X_INTERACTIVE:
      a->interactive = cli_bool (arg, &ok);
      break;
    case X_TTY:
      a->tty = cli_bool (arg, &ok);
      break;
    case X_DETACH:
      a->detach = cli_bool (arg, &ok);
      break;
    case X_ENV:
      strv_push (&a->env, arg);
      break;
    case X_ENV_FILE:
      strv_push (&a->env_files, arg);
      break;
    case X_USER:
      a->user = arg;
      break;
    case X_WORKDIR:
      a->workdir = arg;
      break;
    case X_PRIVILEGED:
      a->privileged = cli_bool (arg, &ok);
      break;
    }
  return 0;
}

static int
exec_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct exec_args a = { 0 };
  cleanup_free char *session = NULL;
  int ret = SKIFF_EXIT_ERROR;
  int first = cli_parse (&cli_exec_command, "exec", argc, argv, exec_cb, &a);
  if (first == -2)
    ret = 0;
  if (first < 0)
    goto out;
  if (first >= argc)
    {
      fprintf (stderr, "Error: exec requires the name or ID of a container or the --latest flag\n");
      goto out;
    }
  if (first + 1 >= argc)
    {
      fprintf (stderr, "Error: must provide a non-empty command to start an exec session: invalid argument\n");
      goto out;
    }
  skiff_error_t err = NULL;
  struct skiff_exec_spec x = {
    .command = strv_dup (argv + first + 1),
    .user = a.user ? xstrdup (a.user) : NULL,
    .workdir = a.workdir ? xstrdup (a.workdir) : NULL,
    .interactive = a.interactive,
    .tty = a.tty,
    .detach = a.detach,
    .privileged = a.privileged,
  };
  struct skiff_engine *e;
  int code = 0;
  if (cli_specgen_env (a.env, a.env_files, &x.env, &err) < 0 || cli_engine (cli, &e, &err) < 0
      || skiff_engine_exec (e, argv[first], &x, &code, &session, &err) < 0)
    ret = cli_fail (&err);
  else
    {
      ret = code;
      if (a.detach && session)
        printf ("%s\n", session);
    }
  skiff_exec_spec_release (&x);
out:
  strv_free (a.env);
  strv_free (a.env_files);
  return ret;
}
