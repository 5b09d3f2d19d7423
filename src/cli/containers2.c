/* skiff rename and container prune. */
#include <signal.h>
#include <time.h>

#include "cli/cli.h"

/* ---- rename ---- */

static const struct cli_option no_options[] = { { 0 } };

static int
rename_main (struct skiff_cli *cli, int argc, char **argv)
{
  int first = cli_parse (&cli_rename_command, "rename", argc, argv, NULL, NULL);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  if (argc - first != 2)
    return cli_usage_error ("rename", "accepts 2 arg(s), received %d", argc - first);
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  struct skiff_container *c = NULL;
  if (cli_engine_entered (cli, &e, &err) < 0 || skiff_engine_container_lookup (e, argv[first], &c, &err) < 0)
    return cli_fail (&err);
  int r = skiff_engine_container_rename (e, c, argv[first + 1], &err);
  skiff_container_free (c);
  return r < 0 ? cli_fail (&err) : 0;
}

const struct cli_command cli_rename_command = {
  .name = "rename",
  .summary = "Rename an existing container",
  .usage = "CONTAINER NAME",
  .options = no_options,
  .fn = rename_main,
};

/* ---- container prune ---- */

enum
{
  PR_FORCE,
  PR_FILTER,
};

static const struct cli_option prune_options[] = {
  [PR_FORCE] = { "force", 'f', optional_argument, NULL, "Do not prompt for confirmation.  The default is false" },
  [PR_FILTER] = { "filter", 0, required_argument, "stringArray",
                  "Provide filter values (label=KEY[=VALUE], label!=KEY[=VALUE], until=TIMESTAMP|DURATION)" },
  { 0 },
};

struct prune_args
{
  bool force;
  char **filters;
};

static int
prune_cb (int id, const char *arg, void *data)
{
  struct prune_args *a = data;
  bool ok = true;
  if (id == PR_FORCE)
    a->force = cli_bool (arg, &ok);
  else
    strv_push (&a->filters, arg);
  return 0;
}

/* until=: a Unix time (seconds), an RFC 3339 date, or a Go duration before now ("10m", "1h30m", "90s") */
static bool
parse_until (const char *v, int64_t *ns)
{
  long long secs;
  if (str_to_llong (v, 0, INT64_MAX / 1000000000LL, &secs))
    {
      *ns = secs * 1000000000LL;
      return true;
    }
  struct tm tm = { 0 };
  const char *end = strptime (v, "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == NULL)
    end = strptime (v, "%Y-%m-%d", &tm);
  if (end && (*end == '\0' || *end == 'Z' || *end == '.'))
    {
      *ns = (int64_t) timegm (&tm) * 1000000000LL;
      return true;
    }
  double total = 0;
  const char *p = v;
  while (*p)
    {
      char *e = NULL;
      double n = strtod (p, &e);
      if (e == p)
        return false;
      double unit = str_has_prefix (e, "ms") ? 1e-3 : *e == 'h' ? 3600 : *e == 'm' ? 60 : *e == 's' ? 1 : -1;
      if (unit < 0)
        return false;
      total += n * unit;
      p = e + (str_has_prefix (e, "ms") ? 2 : 1);
    }
  *ns = (int64_t) realtime_ns () - (int64_t) (total * 1e9);
  return true;
}

static bool
prune_match (const struct skiff_container *c, char **filters, int64_t until)
{
  for (size_t i = 0; filters && filters[i]; i++)
    {
      bool neg = str_has_prefix (filters[i], "label!=");
      if (!neg && !str_has_prefix (filters[i], "label="))
        continue;
      const char *spec = filters[i] + (neg ? strlen ("label!=") : strlen ("label="));
      const char *eq = strchr (spec, '=');
      cleanup_free char *key = eq ? xstrndup (spec, (size_t) (eq - spec)) : xstrdup (spec);
      const char *v = skiff_kvlist_get (&c->labels, key);
      bool m = v && (eq == NULL || strcmp (v, eq + 1) == 0);
      if (m == neg)
        return false;
    }
  return until <= 0 || (int64_t) c->created_ns < until;
}

int
cli_container_prune_main (struct skiff_cli *cli, int argc, char **argv)
{
  static const struct cli_command self = {
    .name = "prune", .summary = "Remove all non running containers", .usage = "[options]", .options = prune_options
  };
  struct prune_args a = { 0 };
  int first = cli_parse (&self, "container prune", argc, argv, prune_cb, &a);
  int ret = SKIFF_EXIT_ERROR;
  struct skiff_container_list all = { 0 };
  int64_t until = 0;
  if (first < 0)
    {
      ret = first == -2 ? 0 : SKIFF_EXIT_ERROR;
      goto out;
    }
  if (first < argc)
    {
      ret = cli_usage_error ("container prune", "accepts 0 arg(s), received %d", argc - first);
      goto out;
    }
  for (size_t i = 0; a.filters && a.filters[i]; i++)
    {
      const char *f = a.filters[i];
      if (str_has_prefix (f, "until="))
        {
          if (!parse_until (f + strlen ("until="), &until))
            {
              fprintf (stderr,
                       "Error: invalid until filter \"%s\": give a Unix time, an RFC 3339 date or a duration "
                       "such as 10m\n",
                       f + strlen ("until="));
              goto out;
            }
        }
      else if (!str_has_prefix (f, "label=") && !str_has_prefix (f, "label!="))
        {
          const char *eq = strchr (f, '=');
          fprintf (stderr, "Error: %.*s is an invalid filter\n", eq ? (int) (eq - f) : (int) strlen (f), f);
          goto out;
        }
    }
  if (!a.force)
    {
      printf ("WARNING! This will remove all non running containers.\nAre you sure you want to continue? [y/N] ");
      fflush (stdout);
      char answer[64] = "";
      if (fgets (answer, sizeof answer, stdin) == NULL || (answer[0] != 'y' && answer[0] != 'Y'))
        {
          ret = 0;
          goto out;
        }
    }
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  if (cli_engine_entered (cli, &e, &err) < 0 || skiff_engine_container_list (e, &all, &err) < 0)
    {
      ret = cli_fail (&err);
      goto out;
    }
  ret = 0;
  for (size_t i = 0; i < all.n; i++)
    {
      const struct skiff_container *c = all.v[i];
      /* podman prunes exited and created containers; a "created" record that a run -d is still starting is
       * skipped */
      if (c->state == SKIFF_CTR_RUNNING)
        continue;
      if (c->state == SKIFF_CTR_CREATED && c->creator_pid > 0 && kill (c->creator_pid, 0) == 0)
        continue;
      if (!prune_match (c, a.filters, until))
        continue;
      if (skiff_engine_container_remove (e, c, false, &err) < 0)
        {
          if (err->status == ENOENT)
            {
              skiff_error_release (&err);
              continue;
            }
          fprintf (stderr, "Error: %s\n", err->msg);
          skiff_error_release (&err);
          ret = SKIFF_EXIT_ERROR;
          continue;
        }
      printf ("%s\n", c->id);
    }
out:
  skiff_container_list_release (&all);
  strv_free (a.filters);
  return ret;
}
