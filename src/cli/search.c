/* skiff search: podman's flags and output (NAME and DESCRIPTION, or NAME and TAG with --list-tags; STARS,
 * OFFICIAL and AUTOMATED with --compatible; --format json or a template). */
#include "cli/cli.h"
#include "engine/search.h"
#include "format/format.h"

enum
{
  S_AUTHFILE,
  S_CERTDIR,
  S_COMPATIBLE,
  S_CREDS,
  S_FILTER,
  S_FORMAT,
  S_LIMIT,
  S_LISTTAGS,
  S_NOTRUNC,
  S_TLS,
};

static const struct cli_option search_options[] = {
  [S_AUTHFILE] = { "authfile", 0, required_argument, "string",
                   "Path of the authentication file. Use REGISTRY_AUTH_FILE environment variable to override" },
  [S_CERTDIR]
  = { "cert-dir", 0, required_argument, "Pathname", "Use certificates at the specified path to access the registry" },
  [S_COMPATIBLE]
  = { "compatible", 0, optional_argument, NULL, "List stars, official and automated columns (Docker compatibility)" },
  [S_CREDS] = { "creds", 0, required_argument, "[username[:password]]",
                "Credentials (USERNAME:PASSWORD) to use for authenticating to a registry" },
  [S_FILTER]
  = { "filter", 'f', required_argument, "strings", "Filter output based on conditions provided (default [])" },
  [S_FORMAT] = { "format", 0, required_argument, "string", "Change the output format to JSON or a Go template" },
  [S_LIMIT] = { "limit", 0, required_argument, "int", "Limit the number of results" },
  [S_LISTTAGS] = { "list-tags", 0, optional_argument, NULL, "List the tags of the input registry" },
  [S_NOTRUNC] = { "no-trunc", 0, optional_argument, NULL, "Do not truncate the output" },
  [S_TLS] = { "tls-verify", 0, optional_argument, NULL,
              "Require HTTPS and verify certificates when contacting registries (default true)" },
  { 0 },
};

static int search_main (struct skiff_cli *cli, int argc, char **argv);

const struct cli_command cli_search_command = {
  .name = "search",
  .summary = "Search registry for image",
  .usage = "[options] TERM",
  .options = search_options,
  .fn = search_main,
};

struct search_args
{
  struct skiff_engine_search q;
  bool compatible;
  const char *format;
};

static int
search_cb (int id, const char *arg, void *data)
{
  struct search_args *a = data;
  bool ok = true;
  long long v;
  switch (id)
    {
    case S_AUTHFILE:
      a->q.authfile = arg;
      break;
    case S_CERTDIR:
      a->q.cert_dir = arg;
      break;
    case S_COMPATIBLE:
      a->compatible = cli_bool (arg, &ok);
      break;
    case S_CREDS:
      a->q.creds = arg;
      break;
    case S_FILTER:
      strv_push (&a->q.filters, arg);
      break;
    case S_FORMAT:
      a->format = arg;
      break;
    case S_LIMIT:
      if (!str_to_llong (arg, 0, INT32_MAX, &v))
        return cli_usage_error ("search",
                                "invalid argument \"%s\" for \"--limit\" flag: strconv.ParseInt: parsing \"%s\": "
                                "invalid syntax",
                                arg, arg),
               -1;
      a->q.limit = (long) v;
      break;
    case S_LISTTAGS:
      a->q.list_tags = cli_bool (arg, &ok);
      break;
    case S_NOTRUNC:
      a->q.no_trunc = cli_bool (arg, &ok);
      break;
    case S_TLS:
      a->q.tls_verify_set = true;
      a->q.tls_verify = cli_bool (arg, &ok);
      break;
    default:
      break;
    }
  if (!ok)
    return cli_usage_error ("search", "invalid boolean value \"%s\" for --%s", arg, search_options[id].name), -1;
  return 0;
}

static int
search_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct search_args a = { 0 };
  int first = cli_parse (&cli_search_command, "search", argc, argv, search_cb, &a);
  if (first < 0)
    {
      strv_free (a.q.filters);
      return first == -2 ? 0 : SKIFF_EXIT_ERROR;
    }
  if (argc - first != 1)
    {
      strv_free (a.q.filters);
      return cli_usage_error ("search", "accepts 1 arg(s), received %d", argc - first);
    }
  a.q.term = argv[first];
  skiff_error_t err = NULL;
  json_object *rows = NULL;
  int ret = skiff_engine_search (&a.q, &rows, &err);
  strv_free (a.q.filters);
  if (ret < 0)
    return cli_fail (&err);
  if (a.format && skiff_format_is_json (a.format))
    {
      /* json.MarshalIndent(results, "", "    "), HTML escaped as Go's default */
      cleanup_free char *text
          = skiff_json_encode (rows, &(const struct skiff_json_style){ .indent = "    ", .escape_html = true });
      printf ("%s\n", text);
    }
  else if (json_object_array_length (rows) > 0) /* no results: nothing, not even a header (podman) */
    {
      const char *fmt = a.format;
      if (fmt == NULL)
        fmt = a.q.list_tags  ? "table {{.Name}}\t{{.Tag}}"
              : a.compatible ? "table {{.Name}}\t{{.Description}}\t{{.Stars}}\t{{.Official}}\t{{.Automated}}"
                             : "table {{.Name}}\t{{.Description}}";
      ret = cli_print_formatted ("search", fmt, rows, false, NULL, false);
    }
  json_object_put (rows);
  return ret;
}
