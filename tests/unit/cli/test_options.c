/* The option layer (src/cli/options.c): podman's flag rules, which getopt_long alone does not keep. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <string.h>

#include "cli/cli.h"

static const struct cli_option opts[] = {
  { "privileged", 0, no_argument, NULL, "all capabilities" },
  { "pids-limit", 0, required_argument, "int", "a limit" },
  { "name", 'n', required_argument, "string", "a name" },
  { "rm", 0, optional_argument, NULL, "a boolean" },
  { 0 },
};
static const struct cli_command cmd = { .name = "t", .usage = "[options]", .options = opts };

struct seen
{
  int ids[8];
  const char *args[8];
  int n;
};

static int
record (int id, const char *arg, void *data)
{
  struct seen *s = data;
  s->ids[s->n] = id;
  s->args[s->n++] = arg;
  return 0;
}

/* cli_parse permutes argv as getopt does: it gets a copy; the values recorded point into it, kept until the
 * next parse */
static char *argv_copy[16];

static int
parse (struct seen *s, const char *const *in)
{
  int argc = 0;
  for (; argv_copy[argc]; argc++)
    free (argv_copy[argc]);
  for (argc = 0; in[argc]; argc++)
    argv_copy[argc] = strdup (in[argc]);
  argv_copy[argc] = NULL;
  memset (s, 0, sizeof *s);
  return cli_parse (&cmd, "t", argc, argv_copy, record, s);
}

Test (options, whole_names_are_taken, .init = cr_redirect_stderr)
{
  struct seen s;
  const char *const argv[] = { "t", "--privileged", "--pids-limit", "5", "--name=x", "--rm=false", "operand", NULL };
  cr_assert_eq (parse (&s, argv), 6);
  cr_assert_eq (s.n, 4);
  cr_assert_eq (s.ids[1], 1);
  cr_assert_str_eq (s.args[1], "5");
  cr_assert_str_eq (s.args[2], "x");
  cr_assert_str_eq (s.args[3], "false");
}

/* getopt_long took any unique prefix: `--pid host` was `--pids-limit host`, `--pri` was `--privileged` */
Test (options, prefixes_are_unknown_flags, .init = cr_redirect_stderr)
{
  struct seen s;
  const char *const a1[] = { "t", "--pri", NULL };
  cr_assert_eq (parse (&s, a1), -1);
  const char *const a2[] = { "t", "--pid", "host", NULL };
  cr_assert_eq (parse (&s, a2), -1);
  const char *const a3[] = { "t", "--na=x", NULL };
  cr_assert_eq (parse (&s, a3), -1);
  const char *const a4[] = { "t", "operand", "--privileged", "--r", NULL };
  cr_assert_eq (parse (&s, a4), -1);
  cr_assert_eq (s.n, 1, "the whole flag before the prefix was taken");
  fflush (stderr);
  cr_assert_stderr_eq_str ("Error: unknown flag: --pri\nSee 'skiff t --help'\n"
                           "Error: unknown flag: --pid\nSee 'skiff t --help'\n"
                           "Error: unknown flag: --na\nSee 'skiff t --help'\n"
                           "Error: unknown flag: --r\nSee 'skiff t --help'\n");
}

/* a value that looks like a flag is a value, never checked as one */
Test (options, values_are_not_flags, .init = cr_redirect_stderr)
{
  struct seen s;
  const char *const argv[] = { "t", "--name", "--pri", "-n", "--x", NULL };
  cr_assert_eq (parse (&s, argv), 5);
  cr_assert_str_eq (s.args[0], "--pri");
  cr_assert_str_eq (s.args[1], "--x");
}

/* the root's persistent options (podman's cobra persistent flags) are taken after any command too; the
 * command's own option of the same name wins; prefixes of them are unknown as any other */
static const struct cli_option persistent[] = {
  { "log-level", 0, required_argument, "string", "a level" },
  { "name", 0, required_argument, "string", "shadowed by the command's --name" },
  { 0 },
};

static int
record_persistent (int id, const char *arg, void *data)
{
  struct seen *s = data;
  s->ids[s->n] = 100 + id;
  s->args[s->n++] = arg;
  return 0;
}

Test (options, persistent_options_after_the_command, .init = cr_redirect_stderr)
{
  struct seen s, p = { 0 };
  cli_set_persistent (persistent, record_persistent, &p);
  const char *const a1[] = { "t", "operand", "--log-level", "debug", "--name", "x", NULL };
  cr_assert_eq (parse (&s, a1), 5);
  cr_assert_eq (p.n, 1);
  cr_assert_eq (p.ids[0], 100);
  cr_assert_str_eq (p.args[0], "debug");
  cr_assert_eq (s.n, 1);
  cr_assert_eq (s.ids[0], 2, "the command's --name");
  const char *const a2[] = { "t", "--log-lev=debug", NULL };
  cr_assert_eq (parse (&s, a2), -1);
  cli_set_persistent (NULL, NULL, NULL);
  const char *const a3[] = { "t", "--log-level", "debug", NULL };
  cr_assert_eq (parse (&s, a3), -1);
  fflush (stderr);
  cr_assert_stderr_eq_str ("Error: unknown flag: --log-lev\nSee 'skiff t --help'\n"
                           "Error: unknown flag: --log-level\nSee 'skiff t --help'\n");
}
