/* Output shared by commands: --format (json or a Go template, table mode), human sizes and durations
 * as podman prints them (go-units). */
#include "cli/cli.h"
#include "cli/format.h"

int
cli_print_formatted (const char *format, json_object *rows, bool single, json_object *headers, bool noheading)
{
  if (strcmp (format, "json") == 0)
    {
      json_object *what = single && json_object_array_length (rows) == 1 ? json_object_array_get_idx (rows, 0) : rows;
      printf ("%s\n", json_object_to_json_string_ext (what, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED
                                                                | JSON_C_TO_STRING_NOSLASHESCAPE));
      return 0;
    }
  struct skiff_template *t = NULL;
  skiff_error_t err = NULL;
  if (skiff_template_parse (format, &t, &err) < 0)
    return cli_fail (&err);
  cleanup_free char *out = NULL;
  size_t len = 0;
  bool table = skiff_template_is_table (t);
  if (table && !noheading)
    {
      cleanup_free char *h = skiff_template_header (t, headers);
      out = xasprintf ("%s\n", h);
      len = strlen (out);
    }
  for (size_t i = 0; i < json_object_array_length (rows); i++)
    {
      if (skiff_template_execute (t, json_object_array_get_idx (rows, i), &out, &len, &err) < 0)
        {
          skiff_template_free (t);
          return cli_fail (&err);
        }
      if (len == 0 || out[len - 1] != '\n')
        {
          out = xrealloc (out, len + 2);
          out[len++] = '\n';
          out[len] = '\0';
        }
    }
  skiff_template_free (t);
  if (out == NULL)
    return 0;
  if (table || strchr (out, '\t'))
    {
      cleanup_free char *aligned = skiff_tabwrite (out);
      fputs (aligned, stdout);
    }
  else
    fputs (out, stdout);
  return 0;
}

/* go-units HumanSizeWithPrecision(size, 3): decimal units, 3 significant digits */
char *
cli_human_size (uint64_t bytes)
{
  static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB" };
  double v = (double) bytes;
  size_t u = 0;
  while (v >= 1000.0 && u < ARRAY_SIZE (units) - 1)
    {
      v /= 1000.0;
      u++;
    }
  char num[32];
  snprintf (num, sizeof num, "%.3g", v);
  return xasprintf ("%s %s", num, units[u]);
}

/* go-units HumanDuration + " ago" */
char *
cli_human_duration_ago (uint64_t then_ns)
{
  uint64_t now = realtime_ns ();
  double s = then_ns > now ? 0 : (double) (now - then_ns) / 1e9;
  const char *d;
  char buf[64];
  if (s < 1)
    d = "Less than a second";
  else if (s < 2)
    d = "1 second";
  else if (s < 60)
    {
      snprintf (buf, sizeof buf, "%d seconds", (int) s);
      d = buf;
    }
  else if (s / 60 < 2)
    d = "About a minute";
  else if (s / 60 < 60)
    {
      snprintf (buf, sizeof buf, "%d minutes", (int) (s / 60));
      d = buf;
    }
  else if (s / 3600 < 1.5)
    d = "About an hour";
  else if (s / 3600 < 48)
    {
      snprintf (buf, sizeof buf, "%d hours", (int) (s / 3600 + 0.5));
      d = buf;
    }
  else if (s / 3600 < 24 * 7 * 2)
    {
      snprintf (buf, sizeof buf, "%d days", (int) (s / 86400));
      d = buf;
    }
  else if (s / 3600 < 24 * 30 * 2)
    {
      snprintf (buf, sizeof buf, "%d weeks", (int) (s / 86400 / 7));
      d = buf;
    }
  else if (s / 3600 < 24 * 365 * 2)
    {
      snprintf (buf, sizeof buf, "%d months", (int) (s / 86400 / 30));
      d = buf;
    }
  else
    {
      snprintf (buf, sizeof buf, "%d years", (int) (s / 86400 / 365));
      d = buf;
    }
  return xasprintf ("%s ago", d);
}
