/* skiff port: a container's published ports, as podman prints them ("80/tcp -> 0.0.0.0:8080"). */
#include "cli/cli.h"

enum
{
  O_ALL,
  O_LATEST,
};

static const struct cli_option port_options[] = {
  [O_ALL] = { "all", 'a', optional_argument, NULL, "Display port information for all containers" },
  [O_LATEST] = { "latest", 'l', optional_argument, NULL, "Act on the latest container skiff is aware of" },
  { 0 },
};

struct port_args
{
  bool all, latest;
};

static int
port_cb (int id, const char *arg, void *data)
{
  struct port_args *a = data;
  bool ok = true;
  if (id == O_ALL)
    a->all = cli_bool (arg, &ok);
  else
    a->latest = cli_bool (arg, &ok);
  return ok ? 0 : -1;
}

json_object *
cli_port_bindings (json_object *pm)
{
  json_object *ports = json_object_new_object ();
  for (size_t i = 0; pm && json_object_is_type (pm, json_type_array) && i < json_object_array_length (pm); i++)
    {
      json_object *p = json_object_array_get_idx (pm, i), *v;
      int cport = json_object_object_get_ex (p, "container_port", &v) ? json_object_get_int (v) : 0;
      int hport = json_object_object_get_ex (p, "host_port", &v) ? json_object_get_int (v) : 0;
      const char *proto = json_object_object_get_ex (p, "protocol", &v) ? json_object_get_string (v) : "tcp";
      const char *ip = json_object_object_get_ex (p, "host_ip", &v) ? json_object_get_string (v) : "";
      char key[32], hp[16];
      snprintf (key, sizeof key, "%d/%s", cport, proto);
      snprintf (hp, sizeof hp, "%d", hport);
      json_object *b = json_object_new_object ();
      json_object_object_add (b, "HostIp", json_object_new_string (ip));
      json_object_object_add (b, "HostPort", json_object_new_string (hp));
      json_object *arr = NULL;
      if (!json_object_object_get_ex (ports, key, &arr))
        {
          arr = json_object_new_array ();
          json_object_object_add (ports, key, arr);
        }
      json_object_array_add (arr, b);
    }
  return ports;
}

/* print the mappings of rec (those of want when given: "80" or "80/udp"); returns how many were printed */
static size_t
print_ports (json_object *rec, const char *want, const char *prefix)
{
  json_object *pm = NULL;
  size_t shown = 0;
  if (!json_object_object_get_ex (rec, "PortMappings", &pm) || !json_object_is_type (pm, json_type_array))
    return 0;
  long long want_port = 0;
  const char *want_proto = "tcp";
  char buf[32] = "";
  if (want)
    {
      snprintf (buf, sizeof buf, "%s", want);
      char *slash = strchr (buf, '/');
      if (slash)
        {
          *slash = '\0';
          want_proto = want + (slash - buf) + 1;
        }
      str_to_llong (buf, 1, 65535, &want_port);
    }
  for (size_t i = 0; i < json_object_array_length (pm); i++)
    {
      json_object *p = json_object_array_get_idx (pm, i), *v;
      int cport = json_object_object_get_ex (p, "container_port", &v) ? json_object_get_int (v) : 0;
      int hport = json_object_object_get_ex (p, "host_port", &v) ? json_object_get_int (v) : 0;
      const char *proto = json_object_object_get_ex (p, "protocol", &v) ? json_object_get_string (v) : "tcp";
      const char *ip = json_object_object_get_ex (p, "host_ip", &v) ? json_object_get_string (v) : "";
      if (want && (cport != want_port || strcmp (proto, want_proto) != 0))
        continue;
      if (want)
        printf ("%s:%d\n", *ip ? ip : "0.0.0.0", hport);
      else
        printf ("%s%d/%s -> %s:%d\n", prefix, cport, proto, *ip ? ip : "0.0.0.0", hport);
      shown++;
    }
  return shown;
}

/* a container on its pod's network is reached through the pod's ports */
static void
pod_ports (struct skiff_engine *e, json_object *rec)
{
  const char *pod = skiff_record_string (rec, "Pod");
  const char *mode = skiff_record_string (rec, "NetworkMode");
  json_object *podrec = NULL;
  if (pod && *pod && mode && str_has_prefix (mode, "pod:") && skiff_engine_pod_lookup (e, pod, &podrec, NULL) == 0)
    {
      json_object *pm = NULL;
      if (json_object_object_get_ex (podrec, "PortMappings", &pm))
        json_object_object_add (rec, "PortMappings", json_object_get (pm));
      json_object_put (podrec);
    }
}

static int
port_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct port_args a = { 0 };
  int first = cli_parse (&cli_port_command, "port", argc, argv, port_cb, &a);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  int operands = argc - first;
  if (a.all && operands > 1)
    return cli_usage_error ("port", "the port option cannot be given with --all");
  if (!a.all && !a.latest && operands < 1)
    return cli_usage_error ("port", "you must supply a running container name or id");
  if (operands > (a.all || a.latest ? 1 : 2))
    return cli_usage_error ("port", "accepts at most %d arg(s), received %d", a.all || a.latest ? 1 : 2, operands);
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  if (cli_engine (cli, &e, &err) < 0 || skiff_engine_enter (e, &err) < 0)
    return cli_fail (&err);
  if (a.all || a.latest)
    {
      json_object *all = NULL;
      if (skiff_engine_container_list (e, &all, &err) < 0)
        return cli_fail (&err);
      json_object *latest = NULL;
      int64_t best = -1;
      for (size_t i = 0; i < json_object_array_length (all); i++)
        {
          json_object *rec = json_object_array_get_idx (all, i), *c;
          const char *status = skiff_record_string (rec, "Status");
          if (!status || strcmp (status, "running") != 0)
            continue;
          int64_t created = json_object_object_get_ex (rec, "Created", &c) ? json_object_get_int64 (c) : 0;
          if (a.latest)
            {
              if (created > best)
                {
                  best = created;
                  latest = rec;
                }
              continue;
            }
          pod_ports (e, rec);
          char prefix[32];
          snprintf (prefix, sizeof prefix, "%.12s\t", skiff_record_string (rec, "Id") ?: "");
          print_ports (rec, operands ? argv[first] : NULL, prefix);
        }
      if (latest)
        {
          pod_ports (e, latest);
          print_ports (latest, operands ? argv[first] : NULL, "");
        }
      json_object_put (all);
      return 0;
    }
  json_object *rec = NULL;
  if (skiff_engine_container_lookup (e, argv[first], &rec, &err) < 0)
    return cli_fail (&err);
  pod_ports (e, rec);
  int ret = 0;
  const char *want = operands > 1 ? argv[first + 1] : NULL;
  if (print_ports (rec, want, "") == 0 && want)
    {
      skiff_error_set_status (&err, ENOENT, "failed to find published port \"%s%s\"", want,
                              strchr (want, '/') ? "" : "/tcp");
      ret = cli_fail (&err);
    }
  json_object_put (rec);
  return ret;
}

const struct cli_command cli_port_command = {
  .name = "port",
  .fn = port_main,
  .summary = "List port mappings or a specific mapping for the container",
  .usage = "[options] CONTAINER [PRIVATE_PORT[/PROTO]]",
  .options = port_options,
};
