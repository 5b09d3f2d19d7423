/* Output shared by commands: --format (json or a Go template, table mode), human sizes and durations
 * as podman prints them (go-units). */
#include "cli/cli.h"
#include "format/format.h"

/* json.MarshalIndent(v, "", "  "), as podman's ps --format json */
#define CLI_JSON_STYLE ((const struct skiff_json_style){ .indent = "  " })

int
cli_print_formatted (const char *name, const char *format, json_object *rows, bool single, json_object *headers,
                     bool noheading)
{
  if (skiff_format_is_json (format))
    {
      json_object *what = single && json_object_array_length (rows) == 1 ? json_object_array_get_idx (rows, 0) : rows;
      cleanup_free char *text = skiff_json_encode (what, &CLI_JSON_STYLE);
      printf ("%s\n", text);
      return 0;
    }
  struct skiff_format_opts opts = { .name = name, .headers = headers, .noheading = noheading };
  cleanup_free char *out = NULL;
  skiff_error_t err = NULL;
  int r = single ? skiff_format_object (format, json_object_array_get_idx (rows, 0), &opts, &out, &err)
                 : skiff_format_list (format, rows, &opts, &out, &err);
  /* podman prints what was rendered before the error */
  if (out)
    fputs (out, stdout);
  if (r < 0)
    {
      fflush (stdout);
      return cli_fail (&err);
    }
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
