/* Option parsing and help text from one table per command, with podman's (cobra's) messages. */
#include "cli/cli.h"

#include <stdarg.h>

#define MAX_OPTIONS 160
#define MAX_PERSISTENT 32
#define PERSISTENT_BASE 3000

bool
cli_bool (const char *arg, bool *ok)
{
  *ok = true;
  if (arg == NULL || strcmp (arg, "true") == 0 || strcmp (arg, "1") == 0 || strcmp (arg, "t") == 0
      || strcmp (arg, "T") == 0 || strcmp (arg, "TRUE") == 0 || strcmp (arg, "True") == 0)
    return true;
  if (strcmp (arg, "false") == 0 || strcmp (arg, "0") == 0 || strcmp (arg, "f") == 0 || strcmp (arg, "F") == 0
      || strcmp (arg, "FALSE") == 0 || strcmp (arg, "False") == 0)
    return false;
  *ok = false;
  return false;
}

int
cli_usage_error (const char *fullname, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *msg = NULL;
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  fprintf (stderr, "Error: %s\nSee 'skiff %s%s--help'\n", msg, fullname, fullname[0] ? " " : "");
  free (msg);
  return SKIFF_EXIT_ERROR;
}

int
cli_fail (skiff_error_t *err)
{
  int code = SKIFF_EXIT_ERROR;
  if (err && *err)
    {
      fprintf (stderr, "Error: %s\n", (*err)->msg);
      code = (*err)->exit_code;
      skiff_error_release (err);
    }
  else
    fprintf (stderr, "Error: unknown failure\n");
  return code;
}

#define MAX_VERBS 64

static int
compare_command_names (const void *a, const void *b)
{
  const struct cli_command *const *x = a, *const *y = b;
  return strcmp ((*x)->name, (*y)->name);
}

void
cli_print_help (const struct cli_command *cmd, const char *fullname)
{
  if (cmd->help)
    {
      cmd->help ();
      return;
    }
  printf ("%s\n\nDescription:\n  %s\n\nUsage:\n  skiff %s %s\n", cmd->summary, cmd->summary, fullname,
          cmd->usage ? cmd->usage : "[options]");
  if (cmd->aliases[0])
    {
      printf ("\nAliases:\n  %s", cmd->name);
      for (size_t i = 0; i < ARRAY_SIZE (cmd->aliases) && cmd->aliases[i]; i++)
        printf (", %s", cmd->aliases[i]);
      printf ("\n");
    }
  if (cmd->subcommands || cmd->also)
    {
      /* the group's own subcommands and the top-level commands it takes too, in one list by name (cobra) */
      const struct cli_command *verbs[MAX_VERBS];
      size_t n = 0;
      for (const struct cli_command *c = cmd->subcommands; c && c->name && n < MAX_VERBS; c++)
        verbs[n++] = c;
      for (size_t i = 0; cmd->also && cmd->also[i] && n < MAX_VERBS; i++)
        verbs[n++] = cmd->also[i];
      qsort (verbs, n, sizeof verbs[0], compare_command_names);
      printf ("\nAvailable Commands:\n");
      for (size_t i = 0; i < n; i++)
        printf ("  %-12s %s\n", verbs[i]->name, verbs[i]->summary);
    }
  printf ("\nOptions:\n");
  for (const struct cli_option *o = cmd->options; o && o->name; o++)
    {
      char left[96];
      if (o->shortname)
        snprintf (left, sizeof left, "-%c, --%s%s%s", o->shortname, o->name, o->argname ? " " : "",
                  o->argname ? o->argname : "");
      else
        snprintf (left, sizeof left, "    --%s%s%s", o->name, o->argname ? " " : "", o->argname ? o->argname : "");
      printf ("  %-32s %s\n", left, o->help);
    }
  bool h_taken = false;
  for (const struct cli_option *o = cmd->options; o && o->name; o++)
    h_taken |= o->shortname == 'h';
  printf ("  %-32s %s\n", h_taken ? "    --help" : "-h, --help", "help for this command");
}

/* the root command's options that cobra (podman) also takes after a command: set once by main */
static const struct cli_option *persistent_options;
static int (*persistent_cb) (int id, const char *arg, void *data);
static void *persistent_data;

void
cli_set_persistent (const struct cli_option *options, int (*cb) (int id, const char *arg, void *data), void *data)
{
  persistent_options = options;
  persistent_cb = cb;
  persistent_data = data;
}

static bool
command_has_option (const struct cli_command *cmd, const char *name)
{
  for (const struct cli_option *o = cmd->options; o && o->name; o++)
    if (strcmp (o->name, name) == 0)
      return true;
  return false;
}

/* The argument getopt_long just took a long option from: the one before optind, or the one before its value
 * when the value came as the next argument. getopt has already moved operands out of the way (permutation),
 * so the option and its value sit right before optind. */
static const char *
long_option_arg (char **argv, int optind_now, const char *value)
{
  if (value && optind_now >= 2 && argv[optind_now - 1] == value)
    return argv[optind_now - 2];
  return argv[optind_now - 1];
}

static bool
long_option_whole (char **argv, int optind_now, const char *value, const char *name)
{
  const char *a = long_option_arg (argv, optind_now, value);
  size_t n = strlen (name);
  return strncmp (a, "--", 2) == 0 && strncmp (a + 2, name, n) == 0 && (a[2 + n] == '\0' || a[2 + n] == '=');
}

/* The flag as typed, without its "=value" (a static buffer: it is printed at once) */
static const char *
cli_flag_name (char **argv, int optind_now, const char *value)
{
  static char buf[128];
  const char *a = long_option_arg (argv, optind_now, value);
  snprintf (buf, sizeof buf, "%.*s", (int) strcspn (a, "="), a);
  return buf;
}

int
cli_parse (const struct cli_command *cmd, const char *fullname, int argc, char **argv,
           int (*cb) (int id, const char *arg, void *data), void *data)
{
  struct option longopts[MAX_OPTIONS + MAX_PERSISTENT + 2];
  char shortopts[3 * MAX_OPTIONS + 4];
  size_t nl = 0, ns = 0;
  if (cmd->options_first)
    shortopts[ns++] = '+'; /* stop at the first operand: what follows the image belongs to the command */
  shortopts[ns++] = ':';
  for (const struct cli_option *o = cmd->options; o && o->name && nl < MAX_OPTIONS; o++, nl++)
    {
      longopts[nl] = (struct option){ o->name, o->arg, NULL, 1000 + (int) nl };
      if (o->shortname)
        {
          shortopts[ns++] = o->shortname;
          if (o->arg == required_argument)
            shortopts[ns++] = ':';
        }
    }
  /* a command's own option of the same name wins (ps --namespace) */
  for (size_t i = 0; persistent_options && persistent_options[i].name && i < MAX_PERSISTENT; i++)
    if (!command_has_option (cmd, persistent_options[i].name))
      longopts[nl++]
          = (struct option){ persistent_options[i].name, persistent_options[i].arg, NULL, PERSISTENT_BASE + (int) i };
  longopts[nl++] = (struct option){ "help", no_argument, NULL, 'h' + 2000 };
  longopts[nl] = (struct option){ 0 };
  /* -h is help unless the command uses it (run's -h is --hostname, as in podman) */
  bool h_taken = false;
  for (const struct cli_option *o = cmd->options; o && o->name; o++)
    h_taken |= o->shortname == 'h';
  if (!h_taken)
    shortopts[ns++] = 'h';
  shortopts[ns] = '\0';

  opterr = 0;
  optind = 0; /* 0, not 1: GNU getopt then forgets the previous parse (its "+" mode included) */
  int c, longindex = -1;
  while ((longindex = -1, c = getopt_long (argc, argv, shortopts, longopts, &longindex)) != -1)
    {
      /* getopt_long takes any unique prefix (--pri for --privileged, --pid for --pids-limit); cobra, and so
       * podman, takes whole names only */
      if (longindex >= 0 && !long_option_whole (argv, optind, optarg, longopts[longindex].name))
        return cli_usage_error (fullname, "unknown flag: %s", cli_flag_name (argv, optind, optarg)), -1;
      if (c == 'h' + 2000 || (c == 'h' && !h_taken))
        {
          cli_print_help (cmd, fullname);
          return -2;
        }
      if (c == '?' || c == ':')
        {
          const char *bad = argv[optind - 1];
          if (c == ':')
            return cli_usage_error (fullname, "flag needs an argument: %s", bad), -1;
          if (optopt && bad && bad[0] == '-' && bad[1] != '-')
            return cli_usage_error (fullname, "unknown shorthand flag: '%c' in %s", optopt, bad), -1;
          cleanup_free char *name = xstrdup (bad ? bad : "?");
          char *eq = strchr (name, '=');
          if (eq)
            *eq = '\0';
          return cli_usage_error (fullname, "unknown flag: %s", name), -1;
        }
      if (c >= PERSISTENT_BASE)
        {
          if (persistent_cb (c - PERSISTENT_BASE, optarg, persistent_data) < 0)
            return -1;
          continue;
        }
      int id = -1;
      if (c >= 1000)
        id = c - 1000;
      else
        for (size_t i = 0; cmd->options && cmd->options[i].name; i++)
          if (cmd->options[i].shortname == c)
            id = (int) i;
      if (id < 0)
        return cli_usage_error (fullname, "unknown flag"), -1;
      const struct cli_option *o = &cmd->options[id];
      if (o->arg == optional_argument && optarg)
        {
          bool ok;
          cli_bool (optarg, &ok);
          if (!ok)
            return cli_usage_error (fullname,
                                    "invalid argument \"%s\" for \"--%s\" flag: strconv.ParseBool: parsing "
                                    "\"%s\": invalid syntax",
                                    optarg, o->name, optarg),
                   -1;
        }
      if (cb (id, optarg, data) < 0)
        return -1;
    }
  /* a command's options are known (run's --preserve-fds among them): the caller's other fds close now */
  if (fullname[0])
    cli_inherited_fds_settle ();
  return optind;
}

const struct cli_command *
cli_find_command (const struct cli_command *const *list, const struct cli_command *sub, const char *name)
{
  for (size_t i = 0; list && list[i]; i++)
    {
      if (strcmp (list[i]->name, name) == 0)
        return list[i];
      for (size_t a = 0; a < ARRAY_SIZE (list[i]->aliases) && list[i]->aliases[a]; a++)
        if (strcmp (list[i]->aliases[a], name) == 0)
          return list[i];
    }
  for (const struct cli_command *c = sub; c && c->name; c++)
    {
      if (strcmp (c->name, name) == 0)
        return c;
      for (size_t a = 0; a < ARRAY_SIZE (c->aliases) && c->aliases[a]; a++)
        if (strcmp (c->aliases[a], name) == 0)
          return c;
    }
  return NULL;
}

int
cli_group_main (const struct cli_command *group, struct skiff_cli *cli, int argc, char **argv)
{
  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    {
      cli_print_help (group, group->name);
      if (argc >= 2)
        return 0;
      fprintf (stderr, "Error: missing command 'skiff %s COMMAND'\n", group->name);
      return SKIFF_EXIT_ERROR;
    }
  const struct cli_command *c = cli_find_command (NULL, group->subcommands, argv[1]);
  if (c == NULL)
    c = cli_find_command (group->also, NULL, argv[1]);
  if (c == NULL || c->fn == NULL)
    {
      fprintf (stderr, "Error: unrecognized command `skiff %s %s`\nTry 'skiff %s --help' for more information\n",
               group->name, argv[1], group->name);
      return SKIFF_EXIT_ERROR;
    }
  return c->fn (cli, argc - 1, argv + 1);
}
