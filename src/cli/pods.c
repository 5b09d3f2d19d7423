/* skiff pod: create, ps, inspect, start, stop, restart, kill, rm, exists, prune, top, logs. */
#include <json-c/json.h>
#include <signal.h>
#include <strings.h>

#include "cli/cli.h"
#include "format/format.h"

#define ID_SHORT 12

/* ---- helpers ---- */

/* A pod's containers; an empty list when they cannot be read */
static void
pod_containers (struct skiff_engine *e, const char *pod_id, struct skiff_container_list *out)
{
  skiff_error_t err = NULL;
  if (skiff_engine_pod_containers (e, pod_id, out, &err) < 0)
    {
      log_warning ("listing the containers of pod %s: %s", pod_id, err->msg);
      skiff_error_release (&err);
      memset (out, 0, sizeof *out);
    }
}

/* podman's argument rule for the pod commands that take pods (or --all) */
static int
need_pods (const char *name, int argc, int first, bool all)
{
  if (all && first < argc)
    return cli_usage_error (name, "when using the --all switch, you may not pass any pod names or IDs");
  if (!all && first >= argc)
    return cli_usage_error (name, "you must provide at least one pod name or ID");
  return 0;
}

/* ---- pod create ---- */

enum
{
  C_NAME,
  C_PUBLISH,
  C_SHARE,
  C_NETWORK,
  C_HOSTNAME,
  C_LABEL,
  C_INFRA,
};

static const struct cli_option create_options[] = {
  [C_NAME] = { "name", 'n', required_argument, "string", "Assign a name to the pod" },
  [C_PUBLISH]
  = { "publish", 'p', required_argument, "strings", "Publish a container's port, or a range of ports, to the host" },
  [C_SHARE] = { "share", 0, required_argument, "string",
                "A comma delimited list of kernel namespaces the pod will share (ipc, net, uts)" },
  [C_NETWORK]
  = { "network", 0, required_argument, "string", "Connect the pod to a network (slirp4netns[:OPTIONS], none, host)" },
  [C_HOSTNAME] = { "hostname", 0, required_argument, "string", "Set a hostname to the pod" },
  [C_LABEL] = { "label", 'l', required_argument, "stringArray", "Set metadata on pod (default [])" },
  [C_INFRA] = { "infra", 0, optional_argument, NULL,
                "Create an infra container associated with the pod to share namespaces with (always true in skiff)" },
  { 0 },
};

struct create_args
{
  struct cli_pod_flags f;
};

static int
create_cb (int id, const char *arg, void *data)
{
  struct create_args *a = data;
  bool ok = true;
  switch (id)
    {
    case C_NAME:
      a->f.name = arg;
      break;
    case C_PUBLISH:
      strv_push (&a->f.net.publish, arg);
      break;
    case C_SHARE:
      {
        cleanup_free char *s = xstrdup (arg);
        char *save = NULL;
        for (char *p = strtok_r (s, ",", &save); p; p = strtok_r (NULL, ",", &save))
          strv_push (&a->f.share, p);
        break;
      }
    case C_NETWORK:
      a->f.net.network = arg;
      break;
    case C_HOSTNAME:
      a->f.hostname = arg;
      break;
    case C_LABEL:
      strv_push (&a->f.labels, arg);
      break;
    case C_INFRA:
      if (!cli_bool (arg, &ok) && ok)
        return cli_usage_error ("pod create",
                                "--infra=false is not supported: a skiff pod's namespaces are held by its "
                                "infra process"),
               -1;
      break;
    }
  return ok ? 0 : -1;
}

static int
pod_create_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct create_args a = { 0 };
  /* declared before the first goto: the cleanup must never see an uninitialised pointer */
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  cleanup_free char *id = NULL;
  struct skiff_pod_spec ps;
  skiff_pod_spec_init (&ps);
  int first = cli_parse (&cli_pod_command.subcommands[0], "pod create", argc, argv, create_cb, &a);
  int ret = SKIFF_EXIT_ERROR;
  if (first < 0)
    {
      ret = first == -2 ? 0 : SKIFF_EXIT_ERROR;
      goto out;
    }
  if (first < argc)
    {
      /* podman: pod create [NAME] */
      if (a.f.name == NULL && argc - first == 1)
        a.f.name = argv[first];
      else
        {
          ret = cli_usage_error ("pod create", "accepts at most 1 arg(s), received %d", argc - first);
          goto out;
        }
    }
  if (cli_specgen_pod (&a.f, &ps, &err) < 0 || cli_engine (cli, &e, &err) < 0
      || skiff_engine_pod_create (e, &ps, &id, &err) < 0)
    {
      ret = cli_fail (&err);
      goto out;
    }
  printf ("%s\n", id);
  ret = 0;
out:
  skiff_pod_spec_release (&ps);
  strv_free (a.f.net.publish);
  strv_free (a.f.share);
  strv_free (a.f.labels);
  return ret;
}

/* ---- pod ps ---- */

enum
{
  P_QUIET,
  P_FORMAT,
  P_NOTRUNC,
  P_FILTER,
  P_NOHEADING,
  P_CTR_NAMES,
  P_CTR_IDS,
  P_CTR_STATUS,
};

static const struct cli_option ps_options[] = {
  [P_QUIET] = { "quiet", 'q', optional_argument, NULL, "Print the numeric IDs of the pods only" },
  [P_FORMAT] = { "format", 0, required_argument, "string", "Pretty-print pods to JSON or using a Go template" },
  [P_NOTRUNC] = { "no-trunc", 0, optional_argument, NULL, "Do not truncate pod and container IDs" },
  [P_FILTER] = { "filter", 'f', required_argument, "strings",
                 "Filter output based on conditions given (name, id, status, label)" },
  [P_NOHEADING] = { "noheading", 0, optional_argument, NULL, "Do not print headers" },
  [P_CTR_NAMES] = { "ctr-names", 0, optional_argument, NULL, "Display the container names" },
  [P_CTR_IDS] = { "ctr-ids", 0, optional_argument, NULL,
                  "Display the container UUIDs. If no-trunc is not set they will be truncated" },
  [P_CTR_STATUS] = { "ctr-status", 0, optional_argument, NULL, "Display the container status" },
  { 0 },
};

struct ps_args
{
  bool quiet, notrunc, noheading, names, ids, status;
  const char *format;
  char **filters;
};

static int
ps_cb (int id, const char *arg, void *data)
{
  struct ps_args *a = data;
  bool ok = true;
  switch (id)
    {
    case P_QUIET:
      a->quiet = cli_bool (arg, &ok);
      break;
    case P_FORMAT:
      a->format = arg;
      break;
    case P_NOTRUNC:
      a->notrunc = cli_bool (arg, &ok);
      break;
    case P_FILTER:
      strv_push (&a->filters, arg);
      break;
    case P_NOHEADING:
      a->noheading = cli_bool (arg, &ok);
      break;
    case P_CTR_NAMES:
      a->names = cli_bool (arg, &ok);
      break;
    case P_CTR_IDS:
      a->ids = cli_bool (arg, &ok);
      break;
    case P_CTR_STATUS:
      a->status = cli_bool (arg, &ok);
      break;
    }
  return ok ? 0 : -1;
}

static bool
pod_matches (const struct skiff_pod *p, const char *status, char *const *filters)
{
  /* same key: any value; different keys: all */
  static const char *const keys[] = { "name", "id", "status", "label" };
  for (size_t k = 0; k < ARRAY_SIZE (keys); k++)
    {
      bool have = false, match = false;
      for (size_t i = 0; filters && filters[i]; i++)
        {
          const char *eq = strchr (filters[i], '=');
          if (!eq || strncmp (filters[i], keys[k], (size_t) (eq - filters[i])) != 0
              || strlen (keys[k]) != (size_t) (eq - filters[i]))
            continue;
          have = true;
          const char *v = eq + 1;
          if (k == 0)
            match |= strstr (p->name ? p->name : "", v) != NULL;
          else if (k == 1)
            match |= str_has_prefix (p->id, v);
          else if (k == 2)
            match |= strcasecmp (status, v) == 0;
          else
            {
              const char *veq = strchr (v, '=');
              cleanup_free char *key = veq ? xstrndup (v, (size_t) (veq - v)) : xstrdup (v);
              const char *lv = skiff_kvlist_get (&p->labels, key);
              match |= lv && (!veq || strcmp (lv, veq + 1) == 0);
            }
        }
      if (have && !match)
        return false;
    }
  return true;
}

static json_object *
jstr_len (const char *s, bool notrunc)
{
  return json_object_new_string_len (s, notrunc ? (int) strlen (s) : ID_SHORT);
}

/* podman's pod ps row (ListPodsReport), with the template's fields */
static json_object *
pod_row (const struct skiff_pod *p, const struct skiff_container_list *ctrs, const char *status, bool notrunc)
{
  json_object *row = json_object_new_object ();
  json_object_object_add (row, "Id", json_object_new_string (p->id));
  json_object_object_add (row, "ID", jstr_len (p->id, notrunc));
  json_object_object_add (row, "Name", json_object_new_string (p->name ? p->name : ""));
  json_object_object_add (row, "Status", json_object_new_string (status));
  cleanup_free char *ago = cli_human_duration_ago (p->created_ns);
  json_object_object_add (row, "Created", json_object_new_string (ago));
  json_object_object_add (row, "InfraID", jstr_len (p->id, notrunc));
  json_object_object_add (row, "InfraId", json_object_new_string (p->id));
  json_object_object_add (row, "NumberOfContainers", json_object_new_int ((int) ctrs->n));
  json_object *labels = json_object_new_object ();
  for (size_t i = 0; i < p->labels.n; i++)
    json_object_object_add (labels, p->labels.v[i].key, json_object_new_string (p->labels.v[i].value));
  json_object_object_add (row, "Labels", labels);
  json_object *names = json_object_new_array (), *ids = json_object_new_array (), *sts = json_object_new_array ();
  json_object *cl = json_object_new_array ();
  for (size_t k = 0; k < ctrs->n; k++)
    {
      const struct skiff_container *c = ctrs->v[k];
      const char *st = skiff_ctr_state_name (c->state);
      json_object_array_add (names, json_object_new_string (c->name ? c->name : ""));
      json_object_array_add (ids, jstr_len (c->id, notrunc));
      json_object_array_add (sts, json_object_new_string (st));
      json_object *ce = json_object_new_object ();
      json_object_object_add (ce, "Id", json_object_new_string (c->id));
      json_object_object_add (ce, "Names", json_object_new_string (c->name ? c->name : ""));
      json_object_object_add (ce, "Status", json_object_new_string (st));
      json_object_array_add (cl, ce);
    }
  json_object_object_add (row, "ContainerNames", names);
  json_object_object_add (row, "ContainerIds", ids);
  json_object_object_add (row, "ContainerStatuses", sts);
  json_object_object_add (row, "Containers", cl);
  return row;
}

static int
pod_ps_print (const struct ps_args *a, json_object *rows)
{
  if (a->quiet)
    return 0; /* printed as they were found */
  json_object *headers = json_object_new_object ();
  json_object_object_add (headers, "ID", json_object_new_string ("POD ID"));
  json_object_object_add (headers, "InfraID", json_object_new_string ("INFRA ID"));
  json_object_object_add (headers, "NumberOfContainers", json_object_new_string ("# OF CONTAINERS"));
  json_object_object_add (headers, "ContainerNames", json_object_new_string ("NAMES"));
  json_object_object_add (headers, "ContainerIds", json_object_new_string ("IDS"));
  json_object_object_add (headers, "ContainerStatuses", json_object_new_string ("STATUS"));
  char fmt[256] = "table {{.ID}}\t{{.Name}}\t{{.Status}}\t{{.Created}}\t{{.InfraID}}";
  if (a->ids)
    strcat (fmt, "\t{{.ContainerIds}}");
  if (a->names)
    strcat (fmt, "\t{{.ContainerNames}}");
  if (a->status)
    strcat (fmt, "\t{{.ContainerStatuses}}");
  if (!a->ids && !a->names && !a->status)
    strcat (fmt, "\t{{.NumberOfContainers}}");
  int ret = cli_print_formatted ("pod ps", a->format ? a->format : fmt, rows, false, headers, a->noheading);
  json_object_put (headers);
  return ret;
}

static int
pod_ps_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct ps_args a = { 0 };
  int first = cli_parse (&cli_pod_command.subcommands[1], "pod ps", argc, argv, ps_cb, &a);
  if (first < 0)
    {
      strv_free (a.filters);
      return first == -2 ? 0 : SKIFF_EXIT_ERROR;
    }
  for (size_t i = 0; a.filters && a.filters[i]; i++)
    {
      const char *f = a.filters[i];
      if (!str_has_prefix (f, "name=") && !str_has_prefix (f, "id=") && !str_has_prefix (f, "status=")
          && !str_has_prefix (f, "label="))
        {
          int r = cli_usage_error ("pod ps", "invalid filter \"%s\": skiff filters pods by name, id, status and label",
                                   f);
          strv_free (a.filters);
          return r;
        }
    }
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  struct skiff_pod_list pods;
  if (cli_engine_entered (cli, &e, &err) < 0 || skiff_engine_pod_list (e, &pods, &err) < 0)
    {
      strv_free (a.filters);
      return cli_fail (&err);
    }
  json_object *rows = json_object_new_array ();
  for (size_t i = 0; i < pods.n; i++)
    {
      struct skiff_container_list ctrs;
      pod_containers (e, pods.v[i]->id, &ctrs);
      const char *status = skiff_engine_pod_status (pods.v[i], &ctrs);
      if (pod_matches (pods.v[i], status, a.filters) && a.quiet)
        printf ("%.*s\n", a.notrunc ? (int) strlen (pods.v[i]->id) : ID_SHORT, pods.v[i]->id);
      else if (pod_matches (pods.v[i], status, a.filters))
        json_object_array_add (rows, pod_row (pods.v[i], &ctrs, status, a.notrunc));
      skiff_container_list_release (&ctrs);
    }
  int ret = pod_ps_print (&a, rows);
  json_object_put (rows);
  skiff_pod_list_release (&pods);
  strv_free (a.filters);
  return ret;
}

/* ---- pod inspect ---- */

enum
{
  I_FORMAT,
  I_LATEST,
};

static const struct cli_option inspect_options[] = {
  [I_FORMAT] = { "format", 'f', required_argument, "string", "Format the output to a Go template or json" },
  [I_LATEST] = { "latest", 'l', optional_argument, NULL, "Act on the latest pod skiff is aware of" },
  { 0 },
};

struct inspect_args
{
  const char *format;
  bool latest;
};

static int
inspect_cb (int id, const char *arg, void *data)
{
  struct inspect_args *a = data;
  bool ok = true;
  if (id == I_FORMAT)
    a->format = arg;
  else
    a->latest = cli_bool (arg, &ok);
  return ok ? 0 : -1;
}

static const char *
latest_pod (struct skiff_engine *e)
{
  static char id[80];
  struct skiff_pod_list pods;
  uint64_t best = 0;
  id[0] = '\0';
  skiff_error_t err = NULL;
  if (skiff_engine_pod_list (e, &pods, &err) < 0)
    {
      skiff_error_release (&err);
      return NULL;
    }
  for (size_t i = 0; i < pods.n; i++)
    if (id[0] == '\0' || pods.v[i]->created_ns > best)
      {
        best = pods.v[i]->created_ns;
        snprintf (id, sizeof id, "%s", pods.v[i]->id);
      }
  skiff_pod_list_release (&pods);
  return id[0] ? id : NULL;
}

static int
pod_inspect_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct inspect_args a = { 0 };
  int first = cli_parse (&cli_pod_command.subcommands[2], "pod inspect", argc, argv, inspect_cb, &a);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  if (cli_engine_entered (cli, &e, &err) < 0)
    return cli_fail (&err);
  const char *ref = NULL;
  if (a.latest)
    {
      if (first < argc)
        return cli_usage_error ("pod inspect", "--latest and pods cannot be used together");
      ref = latest_pod (e);
      if (ref == NULL)
        {
          skiff_error_set_status (&err, ENOENT, "no pods to inspect: no such pod");
          return cli_fail (&err);
        }
    }
  else if (first >= argc)
    return cli_usage_error ("pod inspect", "you must provide the name or ID of at least one pod");
  json_object *rows = json_object_new_array ();
  int ret = 0;
  for (int i = first; i < argc || (ref && i == first); i++)
    {
      struct skiff_pod *pod = NULL;
      if (skiff_engine_pod_lookup (e, ref ? ref : argv[i], &pod, &err) < 0)
        {
          ret = cli_fail (&err);
          continue;
        }
      struct skiff_container_list ctrs;
      pod_containers (e, pod->id, &ctrs);
      json_object_array_add (rows, skiff_engine_pod_inspect (pod, &ctrs));
      skiff_container_list_release (&ctrs);
      skiff_pod_free (pod);
      if (ref)
        break;
    }
  if (json_object_array_length (rows) > 0)
    {
      if (a.format && strcmp (a.format, "json") != 0)
        {
          int r = cli_print_formatted ("pod inspect", a.format, rows, false, NULL, true);
          if (r)
            ret = r;
        }
      else if (json_object_array_length (rows) == 1)
        printf ("%s\n", json_object_to_json_string_ext (json_object_array_get_idx (rows, 0),
                                                        JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED
                                                            | JSON_C_TO_STRING_NOSLASHESCAPE));
      else
        printf ("%s\n", json_object_to_json_string_ext (rows, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED
                                                                  | JSON_C_TO_STRING_NOSLASHESCAPE));
    }
  json_object_put (rows);
  return ret;
}

/* ---- start, stop, restart, kill, rm, exists, prune ---- */

enum
{
  A_ALL,
  A_TIME,
  A_SIGNAL,
  A_FORCE,
  A_IGNORE,
  A_LATEST,
};

static const struct cli_option start_options[] = {
  [A_ALL] = { "all", 'a', optional_argument, NULL, "Start all pods" },
  { 0 },
};
static const struct cli_option stop_options[] = {
  [A_ALL] = { "all", 'a', optional_argument, NULL, "Stop all running pods" },
  [A_TIME]
  = { "time", 't', required_argument, "int", "Seconds to wait for pod stop before killing the container (default 10)" },
  { 0 },
};
static const struct cli_option kill_options[] = {
  [A_ALL] = { "all", 'a', optional_argument, NULL, "Kill all running pods" },
  [A_TIME] = { "", 0, 0, NULL, NULL },
  [A_SIGNAL]
  = { "signal", 's', required_argument, "string", "Signal to send to the containers in the pod (default \"KILL\")" },
  { 0 },
};
static const struct cli_option rm_options[] = {
  [A_ALL] = { "all", 'a', optional_argument, NULL, "Remove all pods" },
  [A_TIME]
  = { "time", 't', required_argument, "int", "Seconds to wait for pod stop before killing the container (default 10)" },
  [A_SIGNAL] = { "", 0, 0, NULL, NULL },
  [A_FORCE]
  = { "force", 'f', optional_argument, NULL,
      "Force removal of a running pod by first stopping all containers, then removing all containers in the pod" },
  [A_IGNORE] = { "ignore", 'i', optional_argument, NULL, "Ignore errors when a specified pod is missing" },
  { 0 },
};
static const struct cli_option prune_options[] = {
  [A_ALL] = { "", 0, 0, NULL, NULL },
  [A_TIME] = { "", 0, 0, NULL, NULL },
  [A_SIGNAL] = { "", 0, 0, NULL, NULL },
  [A_FORCE] = { "force", 'f', optional_argument, NULL, "Do not prompt for confirmation.  The default is false" },
  { 0 },
};

struct act_args
{
  bool all, force, ignore, time_set;
  long long time;
  int sig;
  const char *cmd;
};

static int
act_cb (int id, const char *arg, void *data)
{
  struct act_args *a = data;
  bool ok = true;
  switch (id)
    {
    case A_ALL:
      a->all = cli_bool (arg, &ok);
      break;
    case A_TIME:
      if (!str_to_llong (arg, -1, INT32_MAX, &a->time))
        return cli_usage_error (a->cmd,
                                "invalid argument \"%s\" for \"-t, --time\" flag: strconv.ParseUint: parsing "
                                "\"%s\": invalid syntax",
                                arg, arg),
               -1;
      a->time_set = true;
      break;
    case A_SIGNAL:
      {
        skiff_error_t err = NULL;
        if ((a->sig = skiff_signal_parse (arg, &err)) < 0)
          return cli_fail (&err), -1;
      }
      break;
    case A_FORCE:
      a->force = cli_bool (arg, &ok);
      break;
    case A_IGNORE:
      a->ignore = cli_bool (arg, &ok);
      break;
    }
  return ok ? 0 : -1;
}

enum pod_action
{
  ACT_START,
  ACT_STOP,
  ACT_RESTART,
  ACT_KILL,
  ACT_RM,
};

static int
act_one (struct skiff_engine *e, enum pod_action act, const char *ref, const struct act_args *a, skiff_error_t *err)
{
  struct skiff_pod *pod = NULL;
  if (skiff_engine_pod_lookup (e, ref, &pod, err) < 0)
    return -1;
  cleanup_free char *id = xstrdup (pod->id);
  skiff_pod_free (pod);
  switch (act)
    {
    case ACT_START:
      return skiff_engine_pod_start (e, id, err);
    case ACT_STOP:
      return skiff_engine_pod_stop (e, id, a->time_set, a->time, err);
    case ACT_RESTART:
      if (skiff_engine_pod_stop (e, id, a->time_set, a->time, err) < 0)
        return -1;
      return skiff_engine_pod_start (e, id, err);
    case ACT_KILL:
      return skiff_engine_pod_kill (e, id, a->sig, a->all, err);
    case ACT_RM:
      return skiff_engine_pod_remove (e, id, a->force, a->time_set, a->time, err);
    }
  return 0;
}

static int
pod_act (struct skiff_cli *cli, int argc, char **argv, enum pod_action act, int sub, const char *name)
{
  struct act_args a = { .sig = SIGKILL, .cmd = name };
  int first = cli_parse (&cli_pod_command.subcommands[sub], name, argc, argv, act_cb, &a);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  int r = need_pods (name, argc, first, a.all);
  if (r)
    return r;
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  if (cli_engine_entered (cli, &e, &err) < 0)
    return cli_fail (&err);
  char **refs = NULL;
  if (a.all)
    {
      struct skiff_pod_list pods;
      if (skiff_engine_pod_list (e, &pods, &err) < 0)
        return cli_fail (&err);
      for (size_t i = 0; i < pods.n; i++)
        strv_push (&refs, pods.v[i]->id);
      skiff_pod_list_release (&pods);
    }
  else
    for (int i = first; i < argc; i++)
      strv_push (&refs, argv[i]);
  int ret = 0;
  for (size_t i = 0; refs && refs[i]; i++)
    {
      struct skiff_pod *pod = NULL;
      if (skiff_engine_pod_lookup (e, refs[i], &pod, &err) < 0)
        {
          if (act == ACT_RM && a.ignore && err && err->status == ENOENT)
            {
              skiff_error_release (&err);
              continue;
            }
          ret = cli_fail (&err);
          continue;
        }
      cleanup_free char *id = xstrdup (pod->id);
      skiff_pod_free (pod);
      if (act_one (e, act, id, &a, &err) < 0)
        ret = cli_fail (&err);
      else
        printf ("%s\n", id);
    }
  strv_free (refs);
  return ret;
}

static int
pod_start_main (struct skiff_cli *cli, int argc, char **argv)
{
  return pod_act (cli, argc, argv, ACT_START, 3, "pod start");
}
static int
pod_stop_main (struct skiff_cli *cli, int argc, char **argv)
{
  return pod_act (cli, argc, argv, ACT_STOP, 4, "pod stop");
}
static int
pod_restart_main (struct skiff_cli *cli, int argc, char **argv)
{
  return pod_act (cli, argc, argv, ACT_RESTART, 5, "pod restart");
}
static int
pod_kill_main (struct skiff_cli *cli, int argc, char **argv)
{
  return pod_act (cli, argc, argv, ACT_KILL, 6, "pod kill");
}
static int
pod_rm_main (struct skiff_cli *cli, int argc, char **argv)
{
  return pod_act (cli, argc, argv, ACT_RM, 7, "pod rm");
}

static int
pod_exists_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct act_args a = { .cmd = "pod exists" };
  int first = cli_parse (&cli_pod_command.subcommands[8], "pod exists", argc, argv, act_cb, &a);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  if (argc - first != 1)
    return cli_usage_error ("pod exists", "accepts 1 arg(s), received %d", argc - first);
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  struct skiff_pod *pod = NULL;
  if (cli_engine_entered (cli, &e, &err) < 0)
    return cli_fail (&err);
  if (skiff_engine_pod_lookup (e, argv[first], &pod, &err) < 0)
    {
      bool missing = err && err->status == ENOENT;
      if (missing)
        {
          skiff_error_release (&err);
          return 1;
        }
      return cli_fail (&err);
    }
  skiff_pod_free (pod);
  return 0;
}

static int
pod_prune_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct act_args a = { .cmd = "pod prune" };
  int first = cli_parse (&cli_pod_command.subcommands[9], "pod prune", argc, argv, act_cb, &a);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  if (first < argc)
    return cli_usage_error ("pod prune", "accepts 0 arg(s), received %d", argc - first);
  if (!a.force)
    {
      fprintf (stderr,
               "WARNING! This will remove all stopped/exited pods..\nAre you sure you want to continue? [y/N] ");
      char line[16] = "";
      if (fgets (line, sizeof line, stdin) == NULL || (line[0] != 'y' && line[0] != 'Y'))
        return 0;
    }
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  struct skiff_pod_list pods;
  if (cli_engine_entered (cli, &e, &err) < 0 || skiff_engine_pod_list (e, &pods, &err) < 0)
    return cli_fail (&err);
  int ret = 0;
  for (size_t i = 0; i < pods.n; i++)
    {
      const char *id = pods.v[i]->id;
      struct skiff_container_list ctrs;
      pod_containers (e, id, &ctrs);
      bool running = false;
      for (size_t k = 0; k < ctrs.n; k++)
        running |= ctrs.v[k]->state == SKIFF_CTR_RUNNING;
      skiff_container_list_release (&ctrs);
      if (running)
        continue;
      if (skiff_engine_pod_remove (e, id, true, false, 0, &err) < 0)
        ret = cli_fail (&err);
      else
        printf ("%s\n", id);
    }
  skiff_pod_list_release (&pods);
  return ret;
}

/* ---- top and logs: the container commands over the pod's containers ---- */

/* podman pod logs [options] POD: logs' options pass through; the one operand names the pod */
static int
pod_logs_main (struct skiff_cli *cli, int argc, char **argv)
{
  if (argc >= 2 && (strcmp (argv[argc - 1], "--help") == 0 || strcmp (argv[argc - 1], "-h") == 0))
    return cli_logs_command.fn (cli, argc, argv);
  if (argc < 2 || argv[argc - 1][0] == '-')
    return cli_usage_error ("pod logs", "you must provide a pod name or ID");
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  struct skiff_pod *pod = NULL;
  if (cli_engine_entered (cli, &e, &err) < 0 || skiff_engine_pod_lookup (e, argv[argc - 1], &pod, &err) < 0)
    return cli_fail (&err);
  struct skiff_container_list ctrs;
  pod_containers (e, pod->id, &ctrs);
  skiff_pod_free (pod);
  char **args = NULL;
  for (int i = 0; i < argc - 1; i++)
    strv_push (&args, argv[i]);
  for (size_t i = 0; i < ctrs.n; i++)
    strv_push (&args, ctrs.v[i]->id);
  size_t n = ctrs.n;
  skiff_container_list_release (&ctrs);
  int ret;
  if (n == 0)
    {
      skiff_error_set_status (&err, EINVAL, "pod %s has no containers", argv[argc - 1]);
      ret = cli_fail (&err);
    }
  else
    {
      cli_logs_prefix_ids (true);
      ret = cli_logs_command.fn (cli, (int) strv_len (args), args);
    }
  strv_free (args);
  return ret;
}

/* podman pod top POD [DESCRIPTORS...]: one table of the processes of every running container of the pod */
static int
pod_top_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct act_args a = { .cmd = "pod top" };
  int first = cli_parse (&cli_pod_command.subcommands[10], "pod top", argc, argv, act_cb, &a);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  if (first >= argc)
    return cli_usage_error ("pod top", "you must provide the name or id of a running pod");
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  struct skiff_pod *pod = NULL;
  if (cli_engine_entered (cli, &e, &err) < 0 || skiff_engine_pod_lookup (e, argv[first], &pod, &err) < 0)
    return cli_fail (&err);
  struct skiff_container_list ctrs;
  pod_containers (e, pod->id, &ctrs);
  skiff_pod_free (pod);
  char *table = NULL;
  size_t shown = 0;
  int ret = 0;
  for (size_t i = 0; i < ctrs.n && ret == 0; i++)
    {
      const struct skiff_container *c = ctrs.v[i];
      if (c->state != SKIFF_CTR_RUNNING)
        continue;
      cleanup_free char *part = NULL;
      if (skiff_engine_top (e, c, argv + first + 1, &part, &err) < 0)
        {
          ret = cli_fail (&err);
          break;
        }
      /* the header once, then every container's processes */
      const char *rows = shown ? strchr (part, '\n') : part;
      char *joined = xasprintf ("%s%s", table ? table : "", rows ? (shown ? rows + 1 : rows) : "");
      free (table);
      table = joined;
      shown++;
    }
  skiff_container_list_release (&ctrs);
  if (ret == 0 && shown == 0)
    {
      skiff_error_set_status (&err, EINVAL, "pod top can only be used on pods with at least one running container");
      ret = cli_fail (&err);
    }
  if (ret == 0)
    {
      cleanup_free char *aligned = skiff_tabwrite (table);
      fputs (aligned, stdout);
    }
  free (table);
  return ret;
}

static int pod_main (struct skiff_cli *cli, int argc, char **argv);
static const struct cli_option no_options[] = { { 0 } };

static const struct cli_command pod_subcommands[] = {
  { .name = "create",
    .fn = pod_create_main,
    .summary = "Create a new empty pod",
    .usage = "[options] [NAME]",
    .options = create_options },
  { .name = "ps",
    .fn = pod_ps_main,
    .summary = "List pods",
    .usage = "[options]",
    .options = ps_options,
    .aliases = { "ls", "list" } },
  { .name = "inspect",
    .fn = pod_inspect_main,
    .summary = "Displays a pod configuration",
    .usage = "[options] POD [POD...]",
    .options = inspect_options },
  { .name = "start",
    .fn = pod_start_main,
    .summary = "Start one or more pods",
    .usage = "[options] POD [POD...]",
    .options = start_options },
  { .name = "stop",
    .fn = pod_stop_main,
    .summary = "Stop one or more pods",
    .usage = "[options] POD [POD...]",
    .options = stop_options },
  { .name = "restart",
    .fn = pod_restart_main,
    .summary = "Restart one or more pods",
    .usage = "[options] POD [POD...]",
    .options = start_options },
  { .name = "kill",
    .fn = pod_kill_main,
    .summary = "Send the specified signal or SIGKILL to containers in pod",
    .usage = "[options] POD [POD...]",
    .options = kill_options },
  { .name = "rm",
    .fn = pod_rm_main,
    .summary = "Remove one or more pods",
    .usage = "[options] POD [POD...]",
    .options = rm_options },
  { .name = "exists",
    .fn = pod_exists_main,
    .summary = "Check if a pod exists in local storage",
    .usage = "POD",
    .options = no_options },
  { .name = "prune",
    .fn = pod_prune_main,
    .summary = "Remove all stopped pods and their containers",
    .usage = "[options]",
    .options = prune_options },
  { .name = "top",
    .fn = pod_top_main,
    .summary = "Display the running processes of containers in a pod",
    .usage = "[options] POD [FORMAT-DESCRIPTORS|ARGS...]",
    .options = no_options,
    .options_first = true },
  { .name = "logs",
    .fn = pod_logs_main,
    .summary = "Fetch logs for pod with one or more containers",
    .usage = "[options] POD",
    .options = no_options },
  { 0 },
};

static int
pod_main (struct skiff_cli *cli, int argc, char **argv)
{
  return cli_group_main (&cli_pod_command, cli, argc, argv);
}

const struct cli_command cli_pod_command = {
  .name = "pod",
  .summary = "Manage pods",
  .usage = "COMMAND",
  .subcommands = pod_subcommands,
  .fn = pod_main,
};
