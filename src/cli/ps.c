/* skiff ps: podman's container list, with its filters, sort keys, --format fields and JSON shape. */
#include <arpa/inet.h>
#include <json-c/json.h>
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
  P_EXTERNAL,
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
  [P_EXTERNAL] = { "external", 0, optional_argument, NULL,
                   "Show containers in storage not controlled by skiff (skiff keeps none: the same as without it)" },
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
    case P_EXTERNAL:
      /* podman lists buildah's working containers too; skiff's storage holds only its own */
      (void) cli_bool (arg, &ok);
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
  F_RESTART_POLICY,
  F_COUNT,
};

static const char *const filter_names[F_COUNT]
    = { "name", "id", "status", "label", "ancestor", "exited", "pod", "restart-policy" };

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
      struct skiff_restart policy;
      if (k == F_RESTART_POLICY && strcmp (v, "none") != 0
          && (skiff_spec_parse_restart (v, &policy, NULL) < 0 || strchr (v, ':') || *v == '\0'))
        return skiff_error_set_status (err, EINVAL, "%s invalid restart policy", v);
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

static bool
label_matches (const struct skiff_container *c, const char *spec)
{
  bool negate = spec[0] == '!';
  if (negate)
    spec++;
  const char *eq = strchr (spec, '=');
  cleanup_free char *key = eq ? xstrndup (spec, (size_t) (eq - spec)) : xstrdup (spec);
  const char *v = skiff_kvlist_get (&c->labels, key);
  bool match = v && (eq == NULL || strcmp (v, eq + 1) == 0);
  return negate ? !match : match;
}

static bool
ancestor_matches (const struct skiff_container *c, const char *want)
{
  const char *image = c->image_name ? c->image_name : "";
  const char *id = c->image_id ? c->image_id : "";
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
one_matches (const struct ps_filters *f, int k, size_t i, const struct skiff_container *c)
{
  const char *v = f->values[k][i];
  const char *state = skiff_ctr_state_name (c->state);
  switch (k)
    {
    case F_NAME:
      return regexec (&f->name_re[i], c->name ? c->name : "", 0, NULL, 0) == 0;
    case F_ID:
      return str_has_prefix (c->id, v);
    case F_STATUS:
      if (strcmp (v, "configured") == 0)
        v = "created";
      if (strcmp (v, "stopped") == 0)
        v = "exited";
      return strcmp (state, v) == 0;
    case F_LABEL:
      return label_matches (c, v);
    case F_ANCESTOR:
      return ancestor_matches (c, v);
    case F_EXITED:
      return c->state == SKIFF_CTR_EXITED && c->exit_code == atoi (v);
    case F_POD:
      /* values were resolved to pod IDs by ps_main */
      return c->pod_id && strcmp (c->pod_id, v) == 0;
    case F_RESTART_POLICY:
      {
        /* podman tells "none" (no --restart) from "no"; skiff records both as no */
        struct skiff_restart want = { SKIFF_RESTART_NO, 0 };
        if (strcmp (v, "none") != 0)
          skiff_spec_parse_restart (v, &want, NULL);
        return c->restart.policy == want.policy;
      }
    }
  return false;
}

static bool
ps_filters_match (const struct ps_filters *f, const struct skiff_container *rec)
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

/* ---- the filters for start --filter (and the other lifecycle commands) ---- */

struct cli_ctr_filters
{
  struct ps_filters f;
};

static void resolve_pod_filters (struct skiff_engine *e, struct ps_filters *f);

int
cli_ctr_filters_new (struct skiff_engine *e, char **specs, struct cli_ctr_filters **out, skiff_error_t *err)
{
  struct cli_ctr_filters *cf = xmalloc0 (sizeof *cf);
  if (ps_filters_parse (specs, &cf->f, err) < 0)
    {
      cli_ctr_filters_free (cf);
      return -1;
    }
  resolve_pod_filters (e, &cf->f);
  *out = cf;
  return 0;
}

bool
cli_ctr_filters_match (const struct cli_ctr_filters *cf, const struct skiff_container *c)
{
  return cf == NULL || ps_filters_match (&cf->f, c);
}

void
cli_ctr_filters_free (struct cli_ctr_filters *cf)
{
  if (cf == NULL)
    return;
  ps_filters_release (&cf->f);
  free (cf);
}

/* ---- rows ---- */

#define TRUNC_ID 12
#define TRUNC_COMMAND 17

/* Go's time.Time.String() in UTC: "2006-01-02 15:04:05.999999999 +0000 UTC" (trailing zeros dropped) */
static char *
go_time_string (uint64_t ns)
{
  time_t secs = (time_t) (ns / 1000000000ULL);
  struct tm tm;
  gmtime_r (&secs, &tm);
  char date[32], frac[16] = "";
  strftime (date, sizeof date, "%Y-%m-%d %H:%M:%S", &tm);
  long nsec = (long) (ns % 1000000000ULL);
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
status_text (const struct skiff_container *c)
{
  if (c->state == SKIFF_CTR_RUNNING)
    {
      cleanup_free char *up = cli_human_duration_ago (c->started_ns ? c->started_ns : c->created_ns);
      up[strlen (up) - strlen (" ago")] = '\0';
      return xasprintf ("Up %s", up);
    }
  if (c->state == SKIFF_CTR_EXITED)
    {
      cleanup_free char *ago = cli_human_duration_ago (c->finished_ns ? c->finished_ns : c->created_ns);
      return xasprintf ("Exited (%d) %s", c->exit_code, ago);
    }
  return xstrdup ("Created");
}

#ifndef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#endif

/* podman's PORTS column: "0.0.0.0:8080->80/tcp, 127.0.0.1:5353->53/udp" */
static char *
ports_text (const struct skiff_port *ports, size_t n)
{
  char *out = xstrdup ("");
  for (size_t i = 0; i < n; i++)
    {
      char ip[INET_ADDRSTRLEN] = "0.0.0.0";
      if (ports[i].host_ip.s_addr != htonl (INADDR_ANY))
        inet_ntop (AF_INET, &ports[i].host_ip, ip, sizeof ip);
      char *next = xasprintf ("%s%s%s:%d->%d/%s", out, i ? ", " : "", ip, ports[i].host_port, ports[i].container_port,
                              ports[i].udp ? "udp" : "tcp");
      free (out);
      out = next;
    }
  return out;
}

/* what podman's templates see (psReporter): the JSON fields, with its methods over them */
static json_object *
ps_view (json_object *json, const struct skiff_container *c, const struct skiff_pod *pod, const char *status,
         bool notrunc)
{
  /* changed in place: a copy of a thousand rows costs more than ps -a's budget can spare */
  json_object *v = json;
  json_object_object_add (v, "ID", json_object_new_string_len (c->id, notrunc ? (int) strlen (c->id) : TRUNC_ID));
  cleanup_free char *command = xstrdup ("");
  for (size_t i = 0; c->args && c->args[i]; i++)
    {
      char *n = xasprintf ("%s%s%s", command, i ? " " : "", c->args[i]);
      free (command);
      command = n;
    }
  if (!notrunc && strlen (command) > TRUNC_COMMAND)
    strcpy (command + TRUNC_COMMAND, "...");
  json_object_object_add (v, "Command", json_object_new_string (command));
  json_object_object_add (v, "Names", json_object_new_string (c->name ? c->name : ""));
  cleanup_free char *ago = cli_human_duration_ago (c->created_ns);
  cleanup_free char *created = go_time_string (c->created_ns);
  json_object_object_add (v, "CreatedHuman", json_object_new_string (ago));
  json_object_object_add (v, "RunningFor", json_object_new_string (ago));
  json_object_object_add (v, "Created", json_object_new_string (created));
  json_object_object_add (v, "CreatedAt", json_object_new_string (created));
  json_object_object_add (v, "Status", json_object_new_string (status));
  size_t nports;
  const struct skiff_port *ports = skiff_engine_container_ports (c, pod, &nports);
  cleanup_free char *ptext = ports_text (ports, nports);
  json_object_object_add (v, "Ports", json_object_new_string (ptext));
  const char *p = c->pod_id ? c->pod_id : "";
  json_object_object_add (
      v, "Pod", json_object_new_string_len (p, notrunc ? (int) strlen (p) : (int) MIN (strlen (p), TRUNC_ID)));
  /* podman's psReporter joins the destinations with commas */
  cleanup_free char *mounts = xstrdup ("");
  for (size_t i = 0; i < c->nmounts; i++)
    if (c->mounts[i].type != SKIFF_MOUNT_TMPFS)
      {
        char *n = xasprintf ("%s%s%s", mounts, *mounts ? "," : "", c->mounts[i].destination);
        free (mounts);
        mounts = n;
      }
  json_object_object_add (v, "Mounts", json_object_new_string (mounts));
  json_object_object_add (v, "Networks", json_object_new_string (""));
  json_object_object_add (v, "Size", json_object_new_string (""));
  return v;
}

/* ---- sort ---- */

static const char *sort_key;

static int
cmp_str (const char *x, const char *y)
{
  return strcmp (x ? x : "", y ? y : "");
}

/* word by word, a shorter command first */
static int
cmp_argv (char *const *x, char *const *y)
{
  size_t i = 0;
  for (; x && y && x[i] && y[i]; i++)
    {
      int r = strcmp (x[i], y[i]);
      if (r)
        return r;
    }
  bool xmore = x && x[i], ymore = y && y[i];
  return xmore == ymore ? 0 : xmore ? 1 : -1;
}

/* podman lists oldest first: by creation (the default), and longest running first for runningfor */
static int
cmp_ns (uint64_t a, uint64_t b)
{
  return a < b ? -1 : a > b ? 1 : 0;
}

static int
by_sort_key (const void *a, const void *b)
{
  const struct skiff_container *x = *(struct skiff_container *const *) a, *y = *(struct skiff_container *const *) b;
  int r = 0;
  if (strcmp (sort_key, "created") == 0)
    r = cmp_ns (x->created_ns, y->created_ns);
  else if (strcmp (sort_key, "runningfor") == 0)
    r = cmp_ns (x->started_ns, y->started_ns);
  else if (strcmp (sort_key, "id") == 0)
    r = cmp_str (x->id, y->id);
  else if (strcmp (sort_key, "image") == 0)
    r = cmp_str (x->image_name, y->image_name);
  else if (strcmp (sort_key, "names") == 0)
    r = cmp_str (x->name, y->name);
  else if (strcmp (sort_key, "status") == 0)
    r = cmp_str (skiff_ctr_state_name (x->state), skiff_ctr_state_name (y->state));
  else if (strcmp (sort_key, "command") == 0)
    r = cmp_argv (x->args, y->args);
  /* ties: oldest first, then by ID, so the order is stable */
  if (r == 0 && strcmp (sort_key, "created") != 0)
    r = cmp_ns (x->created_ns, y->created_ns);
  return r ? r : cmp_str (x->id, y->id);
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

/* The rows of ps, in ps's JSON shape (json) or its template view */
static json_object *
ps_rows (struct skiff_engine *e, struct skiff_container *const *v, size_t n, bool json, bool notrunc)
{
  json_object *rows = json_object_new_array ();
  /* pods looked up once */
  struct skiff_pod_list pods = { 0 };
  bool in_pods = false;
  for (size_t i = 0; i < n; i++)
    in_pods |= v[i]->pod_id != NULL;
  skiff_error_t err = NULL;
  if (in_pods && skiff_engine_pod_list (e, &pods, &err) < 0)
    {
      /* the rows go without pod names */
      log_warning ("listing the pods: %s", err->msg);
      skiff_error_release (&err);
    }
  for (size_t i = 0; i < n; i++)
    {
      const struct skiff_pod *pod = NULL;
      for (size_t k = 0; v[i]->pod_id && k < pods.n; k++)
        if (strcmp (pods.v[k]->id, v[i]->pod_id) == 0)
          pod = pods.v[k];
      cleanup_free char *status = status_text (v[i]);
      cleanup_free char *created_ago = cli_human_duration_ago (v[i]->created_ns);
      json_object *j = skiff_engine_container_ps_json (v[i], status, created_ago, pod);
      json_object_array_add (rows, json ? j : ps_view (j, v[i], pod, status, notrunc));
    }
  skiff_pod_list_release (&pods);
  return rows;
}

/* pod=NAME|ID: to the pod's full ID (an unknown pod matches nothing) */
static void
resolve_pod_filters (struct skiff_engine *e, struct ps_filters *f)
{
  for (size_t i = 0; f->values[F_POD] && f->values[F_POD][i]; i++)
    {
      struct skiff_pod *pod = NULL;
      if (skiff_engine_pod_lookup (e, f->values[F_POD][i], &pod, NULL) == 0)
        {
          free (f->values[F_POD][i]);
          f->values[F_POD][i] = xstrdup (pod->id);
          skiff_pod_free (pod);
        }
    }
}

static int
ps_print (const struct ps_args *a, json_object *rows)
{
  json_object *headers = json_object_new_object ();
  json_object_object_add (headers, "ID", json_object_new_string ("CONTAINER ID"));
  json_object_object_add (headers, "CreatedHuman", json_object_new_string ("CREATED"));
  json_object_object_add (headers, "RunningFor", json_object_new_string ("CREATED"));
  json_object_object_add (headers, "Pod", json_object_new_string ("POD ID"));
  json_object_object_add (headers, "PodName", json_object_new_string ("PODNAME"));
  const char *fmt
      = a->format ? a->format
        : a->pod
            ? "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.CreatedHuman}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}\t{{.Pod}}\t{{.PodName}}"
            : "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.CreatedHuman}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";
  int ret = cli_print_formatted ("ps", fmt, rows, false, headers, a->noheading);
  json_object_put (headers);
  return ret;
}

static int
ps_check_args (const struct ps_args *a, int first, int argc)
{
  if (first < argc)
    return cli_usage_error ("ps", "accepts 0 arg(s), received %d", argc - first);
  if (a->last >= 0 && a->latest)
    return cli_usage_error ("ps", "last and latest are mutually exclusive");
  if (a->sort && !sort_key_valid (a->sort))
    return cli_usage_error ("ps",
                            "invalid argument \"%s\" for \"--sort\" flag: \"%s\" is not a valid value.  Choose "
                            "from: \"command, created, id, image, names, runningfor, size, status\"",
                            a->sort, a->sort);
  return 0;
}

int
cli_ps_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct ps_args a = { .last = -1 };
  struct ps_filters f = { 0 };
  int first = cli_parse (&cli_ps_command, "ps", argc, argv, ps_cb, &a);
  int ret = SKIFF_EXIT_ERROR;
  struct skiff_container_list all = { 0 };
  json_object *rows = NULL;
  struct skiff_container **v = NULL;
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  if (first < 0)
    {
      ret = first == -2 ? 0 : SKIFF_EXIT_ERROR;
      goto out;
    }
  if ((ret = ps_check_args (&a, first, argc)) != 0)
    goto out;
  if (a.latest)
    a.last = 1;
  if (ps_filters_parse (a.filters, &f, &err) < 0 || cli_engine_entered (cli, &e, &err) < 0)
    {
      ret = cli_fail (&err);
      goto out;
    }
  resolve_pod_filters (e, &f);
  /* without -a only running containers, unless a status filter says otherwise (podman, docker) */
  if (!a.all && a.last <= 0 && f.values[F_STATUS] == NULL)
    strv_push (&f.values[F_STATUS], "running");
  if (skiff_engine_container_list (e, &all, &err) < 0)
    {
      ret = cli_fail (&err);
      goto out;
    }
  size_t kept = 0;
  v = xmalloc0 ((all.n + 1) * sizeof *v);
  for (size_t i = 0; i < all.n; i++)
    if (ps_filters_match (&f, all.v[i]))
      v[kept++] = all.v[i];
  /* -n/-l: the last created among those that match, then --sort */
  sort_key = "created";
  qsort (v, kept, sizeof *v, by_sort_key);
  if (a.last >= 0 && (size_t) a.last < kept)
    {
      memmove (v, v + (kept - (size_t) a.last), (size_t) a.last * sizeof *v);
      kept = (size_t) a.last;
    }
  sort_key = a.sort ? a.sort : "created";
  qsort (v, kept, sizeof *v, by_sort_key);
  ret = 0;
  if (a.quiet)
    for (size_t i = 0; i < kept; i++)
      printf ("%.*s\n", a.notrunc ? (int) strlen (v[i]->id) : TRUNC_ID, v[i]->id);
  else
    {
      rows = ps_rows (e, v, kept, a.format && skiff_format_is_json (a.format), a.notrunc);
      ret = ps_print (&a, rows);
    }
out:
  free (v);
  json_object_put (rows);
  skiff_container_list_release (&all);
  ps_filters_release (&f);
  strv_free (a.filters);
  return ret;
}
