/* skiff ps: podman's container list, with its filters, sort keys, --format fields and JSON shape. */
#include <regex.h>
#include <time.h>

#include "cli/cli.h"
#include "format/format.h"

enum
{
  P_ALL,
  P_QUIET,
  P_NOTRUNC,
  P_FORMAT,
  P_NOHEADING,
  P_LAST,
  P_LATEST,
  P_FILTER,
  P_SORT,
  P_SIZE,
  P_POD,
};

static const struct cli_option ps_options[] = {
  [P_ALL] = { "all", 'a', optional_argument, NULL, "Show all the containers, default is only running containers" },
  [P_QUIET] = { "quiet", 'q', optional_argument, NULL, "Print the numeric IDs of the containers only" },
  [P_NOTRUNC] = { "no-trunc", 0, optional_argument, NULL, "Display the extended information" },
  [P_FORMAT] = { "format", 0, required_argument, "string", "Pretty-print containers to JSON or using a Go template" },
  [P_NOHEADING] = { "noheading", 0, optional_argument, NULL, "Do not print headers" },
  [P_LAST] = { "last", 'n', required_argument, "int", "Print the n last created containers (all states) (default -1)" },
  [P_LATEST] = { "latest", 'l', optional_argument, NULL, "Act on the latest container skiff is aware of" },
  [P_FILTER] = { "filter", 'f', required_argument, "stringArray",
                 "Filter output based on conditions given (name, id, status, label, ancestor, exited, pod)" },
  [P_SORT] = { "sort", 0, required_argument, "choice",
               "Sort output by: command, created, id, image, names, runningfor, size, status (default \"created\")" },
  [P_SIZE] = { "size", 's', optional_argument, NULL, "Display the total file sizes" },
  [P_POD]
  = { "pod", 'p', optional_argument, NULL, "Print the ID and name of the pod the containers are associated with" },
  { 0 },
};

int cli_ps_main (struct skiff_cli *cli, int argc, char **argv);

const struct cli_command cli_ps_command = {
  .name = "ps",
  .summary = "List containers",
  .usage = "[options]",
  .options = ps_options,
  .fn = cli_ps_main,
  .aliases = { "list", "ls" },
};

struct ps_args
{
  bool all, quiet, notrunc, noheading, latest, size, pod;
  const char *format;
  const char *sort;
  long long last;
  char **filters;
};

static int
ps_cb (int id, const char *arg, void *data)
{
  struct ps_args *a = data;
  bool ok = true;
  switch (id)
    {
    case P_ALL:
      a->all = cli_bool (arg, &ok);
      break;
    case P_QUIET:
      a->quiet = cli_bool (arg, &ok);
      break;
    case P_NOTRUNC:
      a->notrunc = cli_bool (arg, &ok);
      break;
    case P_FORMAT:
      a->format = arg;
      break;
    case P_NOHEADING:
      a->noheading = cli_bool (arg, &ok);
      break;
    case P_LAST:
      if (!str_to_llong (arg, INT32_MIN, INT32_MAX, &a->last))
        return cli_usage_error ("ps",
                                "invalid argument \"%s\" for \"-n, --last\" flag: strconv.ParseInt: parsing "
                                "\"%s\": invalid syntax",
                                arg, arg),
               -1;
      break;
    case P_LATEST:
      a->latest = cli_bool (arg, &ok);
      break;
    case P_FILTER:
      strv_push (&a->filters, arg);
      break;
    case P_SORT:
      a->sort = arg;
      break;
    case P_SIZE:
      a->size = cli_bool (arg, &ok);
      break;
    case P_POD:
      a->pod = cli_bool (arg, &ok);
      break;
    }
  return 0;
}

/* ---- filters: the same key ORs, different keys AND (podman) ---- */

enum filter_key
{
  F_NAME,
  F_ID,
  F_STATUS,
  F_LABEL,
  F_ANCESTOR,
  F_EXITED,
  F_POD,
  F_COUNT,
};

static const char *const filter_names[F_COUNT] = { "name", "id", "status", "label", "ancestor", "exited", "pod" };

struct ps_filters
{
  char **values[F_COUNT];
  regex_t *name_re; /* compiled F_NAME values */
  size_t nname_re;
};

static void
ps_filters_release (struct ps_filters *f)
{
  for (size_t i = 0; i < f->nname_re; i++)
    regfree (&f->name_re[i]);
  free (f->name_re);
  for (int k = 0; k < F_COUNT; k++)
    strv_free (f->values[k]);
}

static int
ps_filters_parse (char **specs, struct ps_filters *f, skiff_error_t *err)
{
  for (size_t i = 0; specs && specs[i]; i++)
    {
      const char *eq = strchr (specs[i], '=');
      if (eq == NULL)
        return skiff_error_set_status (err, EINVAL, "filter input must be in the form of filter=value: %s is invalid",
                                       specs[i]);
      size_t klen = (size_t) (eq - specs[i]);
      int k = -1;
      for (int j = 0; j < F_COUNT; j++)
        if (strlen (filter_names[j]) == klen && strncmp (specs[i], filter_names[j], klen) == 0)
          k = j;
      /* label!=KEY[=VALUE]: podman's negated label filter, kept as "!KEY[=VALUE]" */
      if (k < 0 && klen == strlen ("label!") && strncmp (specs[i], "label!", klen) == 0)
        {
          cleanup_free char *neg = xasprintf ("!%s", eq + 1);
          strv_push (&f->values[F_LABEL], neg);
          continue;
        }
      if (k < 0)
        return skiff_error_set_status (err, EINVAL, "%.*s is an invalid filter", (int) klen, specs[i]);
      const char *v = eq + 1;
      if (k == F_STATUS)
        {
          static const char *const valid[]
              = { "created", "running", "paused", "stopped", "exited", "unknown", "configured" };
          bool found = false;
          for (size_t j = 0; j < ARRAY_SIZE (valid); j++)
            found |= strcmp (v, valid[j]) == 0;
          if (!found)
            return skiff_error_set_status (err, EINVAL, "unknown container state: %s: invalid argument", v);
        }
      long long code;
      if (k == F_EXITED && !str_to_llong (v, INT32_MIN, INT32_MAX, &code))
        return skiff_error_set_status (err, EINVAL, "exited code out of range \"%s\"", v);
      if (k == F_NAME)
        {
          f->name_re = xrealloc (f->name_re, (f->nname_re + 1) * sizeof *f->name_re);
          if (regcomp (&f->name_re[f->nname_re], v, REG_EXTENDED | REG_NOSUB) != 0)
            return skiff_error_set_status (err, EINVAL, "invalid name filter \"%s\": not a regular expression", v);
          f->nname_re++;
        }
      strv_push (&f->values[k], v);
    }
  return 0;
}

static const char *
str_of (json_object *rec, const char *key)
{
  const char *s = json_object_get_string (json_object_object_get (rec, key));
  return s ? s : "";
}

static bool
label_matches (json_object *rec, const char *spec)
{
  bool negate = spec[0] == '!';
  if (negate)
    spec++;
  const char *eq = strchr (spec, '=');
  cleanup_free char *key = eq ? xstrndup (spec, (size_t) (eq - spec)) : xstrdup (spec);
  json_object *labels = json_object_object_get (rec, "Labels"), *v = NULL;
  bool has = labels && json_object_object_get_ex (labels, key, &v);
  bool match = has && (eq == NULL || strcmp (json_object_get_string (v), eq + 1) == 0);
  return negate ? !match : match;
}

static bool
ancestor_matches (json_object *rec, const char *want)
{
  const char *image = str_of (rec, "ImageName");
  const char *id = str_of (rec, "Image");
  if (*want && str_has_prefix (id, want))
    return true;
  if (strcmp (image, want) == 0)
    return true;
  /* "busybox" names localhost/busybox:latest, as podman's short names do */
  cleanup_free char *tagged = strchr (want, ':') ? xstrdup (want) : xasprintf ("%s:latest", want);
  cleanup_free char *local = xasprintf ("localhost/%s", tagged);
  if (strcmp (image, tagged) == 0 || strcmp (image, local) == 0)
    return true;
  regex_t re;
  if (regcomp (&re, want, REG_EXTENDED | REG_NOSUB) != 0)
    return false;
  bool m = regexec (&re, image, 0, NULL, 0) == 0;
  regfree (&re);
  return m;
}

static bool
one_matches (const struct ps_filters *f, int k, size_t i, json_object *rec)
{
  const char *v = f->values[k][i];
  const char *state = str_of (rec, "Status");
  switch (k)
    {
    case F_NAME:
      return regexec (&f->name_re[i], str_of (rec, "Name"), 0, NULL, 0) == 0;
    case F_ID:
      return str_has_prefix (str_of (rec, "Id"), v);
    case F_STATUS:
      if (strcmp (v, "configured") == 0)
        v = "created";
      if (strcmp (v, "stopped") == 0)
        v = "exited";
      return strcmp (*state ? state : "created", v) == 0;
    case F_LABEL:
      return label_matches (rec, v);
    case F_ANCESTOR:
      return ancestor_matches (rec, v);
    case F_EXITED:
      return strcmp (state, "exited") == 0
             && json_object_get_int (json_object_object_get (rec, "ExitCode")) == atoi (v);
    case F_POD:
      /* values were resolved to pod IDs by ps_main */
      return *str_of (rec, "Pod") && strcmp (str_of (rec, "Pod"), v) == 0;
    }
  return false;
}

static bool
ps_filters_match (const struct ps_filters *f, json_object *rec)
{
  for (int k = 0; k < F_COUNT; k++)
    {
      if (f->values[k] == NULL)
        continue;
      bool any = false;
      for (size_t i = 0; !any && f->values[k][i]; i++)
        any = one_matches (f, k, i, rec);
      /* several label filters must all match (podman ANDs labels) */
      if (k == F_LABEL)
        for (size_t i = 0; any && f->values[k][i]; i++)
          any = one_matches (f, k, i, rec);
      if (!any)
        return false;
    }
  return true;
}

/* ---- rows ---- */

/* Go's zero time as a Unix time: what podman prints for a container never started or never exited */
#define GO_ZERO_UNIX (-62135596800LL)
#define TRUNC_ID 12
#define TRUNC_COMMAND 17

static int64_t
ns_of (json_object *rec, const char *key)
{
  return json_object_get_int64 (json_object_object_get (rec, key));
}

static json_object *
unix_or_zero (int64_t ns)
{
  return json_object_new_int64 (ns > 0 ? ns / 1000000000LL : GO_ZERO_UNIX);
}

/* Go's time.Time.String() in UTC: "2006-01-02 15:04:05.999999999 +0000 UTC" (trailing zeros dropped) */
static char *
go_time_string (int64_t ns)
{
  time_t secs = (time_t) (ns / 1000000000LL);
  struct tm tm;
  gmtime_r (&secs, &tm);
  char date[32], frac[16] = "";
  strftime (date, sizeof date, "%Y-%m-%d %H:%M:%S", &tm);
  long nsec = (long) (ns % 1000000000LL);
  if (nsec)
    {
      snprintf (frac, sizeof frac, ".%09ld", nsec);
      size_t n = strlen (frac);
      while (n > 1 && frac[n - 1] == '0')
        frac[--n] = '\0';
    }
  return xasprintf ("%s%s +0000 UTC", date, frac);
}

static char *
status_text (json_object *rec)
{
  const char *state = str_of (rec, "Status");
  if (strcmp (state, "running") == 0)
    {
      int64_t started = ns_of (rec, "StartedAt");
      cleanup_free char *up = cli_human_duration_ago ((uint64_t) (started > 0 ? started : ns_of (rec, "Created")));
      up[strlen (up) - strlen (" ago")] = '\0';
      return xasprintf ("Up %s", up);
    }
  if (strcmp (state, "exited") == 0)
    {
      int64_t finished = ns_of (rec, "FinishedAt");
      cleanup_free char *ago = cli_human_duration_ago ((uint64_t) (finished > 0 ? finished : ns_of (rec, "Created")));
      return xasprintf ("Exited (%d) %s", json_object_get_int (json_object_object_get (rec, "ExitCode")), ago);
    }
  return xstrdup ("Created");
}

/* podman ps --format json: one entities.ListContainer */
static json_object *
ps_json (json_object *rec, const char *status)
{
  json_object *o = json_object_new_object ();
  const char *state = str_of (rec, "Status");
  json_object *labels = json_object_object_get (rec, "Labels");
  json_object *names = json_object_new_array ();
  json_object_array_add (names, json_object_new_string (str_of (rec, "Name")));
  cleanup_free char *created_ago = cli_human_duration_ago ((uint64_t) ns_of (rec, "Created"));
  json_object_object_add (
      o, "AutoRemove", json_object_new_boolean (json_object_get_boolean (json_object_object_get (rec, "AutoRemove"))));
  json_object *args = json_object_object_get (rec, "Args");
  json_object_object_add (o, "Command", args ? json_object_get (args) : json_object_new_array ());
  json_object_object_add (o, "CreatedAt", json_object_new_string (created_ago));
  json_object_object_add (o, "Exited", json_object_new_boolean (strcmp (state, "exited") == 0));
  json_object_object_add (o, "ExitedAt", unix_or_zero (strcmp (state, "exited") == 0 ? ns_of (rec, "FinishedAt") : 0));
  json_object_object_add (o, "ExitCode",
                          json_object_new_int (json_object_get_int (json_object_object_get (rec, "ExitCode"))));
  json_object_object_add (o, "Id", json_object_new_string (str_of (rec, "Id")));
  json_object_object_add (o, "Image", json_object_new_string (str_of (rec, "ImageName")));
  json_object_object_add (o, "ImageID", json_object_new_string (str_of (rec, "Image")));
  json_object_object_add (o, "IsInfra", json_object_new_boolean (0));
  json_object_object_add (o, "Labels", labels ? json_object_get (labels) : json_object_new_object ());
  json_object_object_add (o, "Mounts", json_object_new_array ());
  json_object_object_add (o, "Names", names);
  json_object_object_add (o, "Namespaces", json_object_new_object ());
  json_object_object_add (o, "Networks", json_object_new_array ());
  json_object_object_add (o, "Pid", json_object_new_int (json_object_get_int (json_object_object_get (rec, "Pid"))));
  json_object_object_add (o, "Pod", json_object_new_string (str_of (rec, "Pod")));
  json_object_object_add (o, "PodName", json_object_new_string (str_of (rec, "PodName")));
  json_object *pm = json_object_object_get (rec, "PortMappings");
  json_object_object_add (o, "Ports", pm && json_object_array_length (pm) ? json_object_get (pm) : NULL);
  json_object_object_add (o, "Size", NULL);
  json_object_object_add (o, "StartedAt", unix_or_zero (ns_of (rec, "StartedAt")));
  json_object_object_add (o, "State", json_object_new_string (*state ? state : "created"));
  json_object_object_add (o, "Status", json_object_new_string (status));
  json_object_object_add (o, "Created", json_object_new_int64 (ns_of (rec, "Created") / 1000000000LL));
  return o;
}

#ifndef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#endif

/* podman's PORTS column: "0.0.0.0:8080->80/tcp, 127.0.0.1:5353->53/udp" */
static char *
ports_text (json_object *pm)
{
  char *out = xstrdup ("");
  for (size_t i = 0; pm && i < json_object_array_length (pm); i++)
    {
      json_object *p = json_object_array_get_idx (pm, i);
      const char *ip = str_of (p, "host_ip");
      char *n = xasprintf ("%s%s%s:%d->%d/%s", out, i ? ", " : "", *ip ? ip : "0.0.0.0",
                           json_object_get_int (json_object_object_get (p, "host_port")),
                           json_object_get_int (json_object_object_get (p, "container_port")), str_of (p, "protocol"));
      free (out);
      out = n;
    }
  return out;
}

/* what podman's templates see (psReporter): the JSON fields, with its methods over them */
static json_object *
ps_view (json_object *json, json_object *rec, const char *status, bool notrunc)
{
  /* changed in place: a copy of a thousand rows costs more than ps -a's budget can spare */
  json_object *v = json;
  const char *id = str_of (rec, "Id");
  json_object_object_add (v, "ID", json_object_new_string_len (id, notrunc ? (int) strlen (id) : TRUNC_ID));
  json_object *args = json_object_object_get (rec, "Args");
  cleanup_free char *command = xstrdup ("");
  for (size_t i = 0; args && i < json_object_array_length (args); i++)
    {
      char *c
          = xasprintf ("%s%s%s", command, i ? " " : "", json_object_get_string (json_object_array_get_idx (args, i)));
      free (command);
      command = c;
    }
  if (!notrunc && strlen (command) > TRUNC_COMMAND)
    strcpy (command + TRUNC_COMMAND, "...");
  json_object_object_add (v, "Command", json_object_new_string (command));
  json_object_object_add (v, "Names", json_object_new_string (str_of (rec, "Name")));
  cleanup_free char *ago = cli_human_duration_ago ((uint64_t) ns_of (rec, "Created"));
  cleanup_free char *created = go_time_string (ns_of (rec, "Created"));
  json_object_object_add (v, "CreatedHuman", json_object_new_string (ago));
  json_object_object_add (v, "RunningFor", json_object_new_string (ago));
  json_object_object_add (v, "Created", json_object_new_string (created));
  json_object_object_add (v, "CreatedAt", json_object_new_string (created));
  json_object_object_add (v, "Status", json_object_new_string (status));
  cleanup_free char *ports = ports_text (json_object_object_get (rec, "PortMappings"));
  json_object_object_add (v, "Ports", json_object_new_string (ports));
  const char *pod = str_of (rec, "Pod");
  json_object_object_add (
      v, "Pod", json_object_new_string_len (pod, notrunc ? (int) strlen (pod) : (int) MIN (strlen (pod), TRUNC_ID)));
  json_object_object_add (v, "Mounts", json_object_new_string (""));
  json_object_object_add (v, "Networks", json_object_new_string (""));
  json_object_object_add (v, "Size", json_object_new_string (""));
  return v;
}

/* ---- sort ---- */

static const char *sort_key;

static int
cmp_str (json_object *x, json_object *y, const char *key)
{
  return strcmp (str_of (x, key), str_of (y, key));
}

static int
cmp_ns_desc (json_object *x, json_object *y, const char *key)
{
  int64_t a = ns_of (x, key), b = ns_of (y, key);
  return a < b ? 1 : a > b ? -1 : 0;
}

static int
by_sort_key (const void *a, const void *b)
{
  json_object *x = *(json_object *const *) a, *y = *(json_object *const *) b;
  int r = 0;
  if (strcmp (sort_key, "created") == 0)
    r = cmp_ns_desc (x, y, "Created");
  else if (strcmp (sort_key, "runningfor") == 0)
    r = cmp_ns_desc (x, y, "StartedAt");
  else if (strcmp (sort_key, "id") == 0)
    r = cmp_str (x, y, "Id");
  else if (strcmp (sort_key, "image") == 0)
    r = cmp_str (x, y, "ImageName");
  else if (strcmp (sort_key, "names") == 0)
    r = cmp_str (x, y, "Name");
  else if (strcmp (sort_key, "status") == 0)
    r = cmp_str (x, y, "Status");
  else if (strcmp (sort_key, "command") == 0)
    {
      const char *cx = json_object_get_string (json_object_object_get (x, "Args"));
      const char *cy = json_object_get_string (json_object_object_get (y, "Args"));
      r = strcmp (cx ? cx : "", cy ? cy : "");
    }
  /* ties: newest first, then by ID, so the order is stable */
  if (r == 0 && strcmp (sort_key, "created") != 0)
    r = cmp_ns_desc (x, y, "Created");
  return r ? r : cmp_str (x, y, "Id");
}

static bool
sort_key_valid (const char *k)
{
  static const char *const keys[] = { "command", "created", "id", "image", "names", "runningfor", "size", "status" };
  for (size_t i = 0; i < ARRAY_SIZE (keys); i++)
    if (strcmp (k, keys[i]) == 0)
      return true;
  return false;
}

int
cli_ps_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct ps_args a = { .last = -1 };
  struct ps_filters f = { 0 };
  int first = cli_parse (&cli_ps_command, "ps", argc, argv, ps_cb, &a);
  int ret = SKIFF_EXIT_ERROR;
  json_object *all = NULL, *rows = NULL;
  json_object **v = NULL;
  skiff_error_t err = NULL;
  if (first < 0)
    {
      ret = first == -2 ? 0 : SKIFF_EXIT_ERROR;
      goto out;
    }
  if (first < argc)
    {
      ret = cli_usage_error ("ps", "accepts 0 arg(s), received %d", argc - first);
      goto out;
    }
  if (a.last >= 0 && a.latest)
    {
      ret = cli_usage_error ("ps", "last and latest are mutually exclusive");
      goto out;
    }
  if (a.sort && !sort_key_valid (a.sort))
    {
      ret = cli_usage_error ("ps",
                             "invalid argument \"%s\" for \"--sort\" flag: \"%s\" is not a valid value.  Choose "
                             "from: \"command, created, id, image, names, runningfor, size, status\"",
                             a.sort, a.sort);
      goto out;
    }
  if (a.latest)
    a.last = 1;
  if (ps_filters_parse (a.filters, &f, &err) < 0)
    {
      ret = cli_fail (&err);
      goto out;
    }
  struct skiff_engine *e;
  if (cli_engine (cli, &e, &err) < 0 || skiff_engine_enter (e, &err) < 0)
    {
      ret = cli_fail (&err);
      goto out;
    }
  /* pod=NAME|ID: to the pod's full ID (an unknown pod matches nothing) */
  for (size_t i = 0; f.values[F_POD] && f.values[F_POD][i]; i++)
    {
      json_object *pod = NULL;
      if (skiff_engine_pod_lookup (e, f.values[F_POD][i], &pod, NULL) == 0)
        {
          free (f.values[F_POD][i]);
          f.values[F_POD][i] = xstrdup (skiff_record_string (pod, "Id") ?: "");
          json_object_put (pod);
        }
    }
  /* without -a only running containers, unless a status filter says otherwise (podman, docker) */
  if (!a.all && a.last <= 0 && f.values[F_STATUS] == NULL)
    strv_push (&f.values[F_STATUS], "running");
  if (skiff_engine_container_list (e, &all, &err) < 0)
    {
      ret = cli_fail (&err);
      goto out;
    }
  size_t n = json_object_array_length (all), kept = 0;
  v = xmalloc0 ((n + 1) * sizeof *v);
  for (size_t i = 0; i < n; i++)
    if (ps_filters_match (&f, json_object_array_get_idx (all, i)))
      v[kept++] = json_object_array_get_idx (all, i);
  /* -n/-l: the last created among those that match, then --sort */
  sort_key = "created";
  qsort (v, kept, sizeof *v, by_sort_key);
  if (a.last >= 0 && (size_t) a.last < kept)
    kept = (size_t) a.last;
  sort_key = a.sort ? a.sort : "created";
  qsort (v, kept, sizeof *v, by_sort_key);

  if (a.quiet)
    {
      for (size_t i = 0; i < kept; i++)
        {
          const char *id = str_of (v[i], "Id");
          printf ("%.*s\n", a.notrunc ? (int) strlen (id) : TRUNC_ID, id);
        }
      ret = 0;
      goto out;
    }
  bool json = a.format && skiff_format_is_json (a.format);
  rows = json_object_new_array ();
  /* pod names, looked up once per pod */
  json_object *pods = NULL;
  for (size_t i = 0; i < kept; i++)
    if (*str_of (v[i], "Pod"))
      {
        if (pods == NULL && skiff_engine_pod_list (e, &pods, NULL) < 0)
          break;
        for (size_t k = 0; pods && k < json_object_array_length (pods); k++)
          if (strcmp (str_of (json_object_array_get_idx (pods, k), "Id"), str_of (v[i], "Pod")) == 0)
            {
              json_object *pod = json_object_array_get_idx (pods, k);
              json_object_object_add (v[i], "PodName", json_object_new_string (str_of (pod, "Name")));
              /* a container on its pod's network is reached through the pod's ports */
              json_object *own = json_object_object_get (v[i], "PortMappings");
              json_object *theirs = json_object_object_get (pod, "PortMappings");
              if ((own == NULL || json_object_array_length (own) == 0) && theirs
                  && str_has_prefix (str_of (v[i], "NetworkMode"), "pod:"))
                json_object_object_add (v[i], "PortMappings", json_object_get (theirs));
            }
      }
  json_object_put (pods);
  for (size_t i = 0; i < kept; i++)
    {
      cleanup_free char *status = status_text (v[i]);
      json_object *j = ps_json (v[i], status);
      if (json)
        json_object_array_add (rows, j);
      else
        {
          json_object_array_add (rows, ps_view (j, v[i], status, a.notrunc));
        }
    }
  json_object *headers = json_object_new_object ();
  json_object_object_add (headers, "ID", json_object_new_string ("CONTAINER ID"));
  json_object_object_add (headers, "CreatedHuman", json_object_new_string ("CREATED"));
  json_object_object_add (headers, "RunningFor", json_object_new_string ("CREATED"));
  json_object_object_add (headers, "Pod", json_object_new_string ("POD ID"));
  json_object_object_add (headers, "PodName", json_object_new_string ("PODNAME"));
  const char *fmt
      = a.format ? a.format
        : a.pod
            ? "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.CreatedHuman}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}\t{{.Pod}}\t{{.PodName}}"
            : "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.CreatedHuman}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";
  ret = cli_print_formatted ("ps", fmt, rows, false, headers, a.noheading);
  json_object_put (headers);
out:
  free (v);
  json_object_put (rows);
  json_object_put (all);
  ps_filters_release (&f);
  strv_free (a.filters);
  return ret;
}
