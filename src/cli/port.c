/* skiff port: a container's published ports, as podman prints them ("80/tcp -> 0.0.0.0:8080"). */
#include <arpa/inet.h>

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

/* print the mappings of ports (those of want when given: "80" or "80/udp"); returns how many were printed */
static size_t
print_ports (const struct skiff_port *ports, size_t n, const char *want, const char *prefix)
{
  size_t shown = 0;
  long long want_port = 0;
  bool want_udp = false;
  if (want)
    {
      char buf[32] = "";
      snprintf (buf, sizeof buf, "%s", want);
      char *slash = strchr (buf, '/');
      if (slash)
        {
          *slash = '\0';
          want_udp = strcmp (slash + 1, "udp") == 0;
          if (!want_udp && strcmp (slash + 1, "tcp") != 0)
            return 0;
        }
      str_to_llong (buf, 1, 65535, &want_port);
    }
  for (size_t i = 0; i < n; i++)
    {
      char ip[INET_ADDRSTRLEN] = "0.0.0.0";
      if (ports[i].host_ip.s_addr != htonl (INADDR_ANY))
        inet_ntop (AF_INET, &ports[i].host_ip, ip, sizeof ip);
      if (want && (ports[i].container_port != want_port || ports[i].udp != want_udp))
        continue;
      if (want)
        printf ("%s:%d\n", ip, ports[i].host_port);
      else
        printf ("%s%d/%s -> %s:%d\n", prefix, ports[i].container_port, ports[i].udp ? "udp" : "tcp", ip,
                ports[i].host_port);
      shown++;
    }
  return shown;
}

/* the ports a container is reached through: a container on its pod's network has the pod's */
static size_t
show (struct skiff_engine *e, const struct skiff_container *c, const char *want, const char *prefix)
{
  struct skiff_pod *pod = NULL;
  if (c->pod_id && c->net.mode == SKIFF_NETMODE_POD)
    skiff_engine_pod_lookup (e, c->pod_id, &pod, NULL);
  size_t n;
  const struct skiff_port *ports = skiff_engine_container_ports (c, pod, &n);
  size_t shown = print_ports (ports, n, want, prefix);
  skiff_pod_free (pod);
  return shown;
}

static int
port_all (struct skiff_engine *e, bool latest_only, const char *want)
{
  skiff_error_t err = NULL;
  struct skiff_container_list all;
  if (skiff_engine_container_list (e, &all, &err) < 0)
    return cli_fail (&err);
  const struct skiff_container *latest = NULL;
  for (size_t i = 0; i < all.n; i++)
    {
      const struct skiff_container *c = all.v[i];
      if (c->state != SKIFF_CTR_RUNNING)
        continue;
      if (latest_only)
        {
          if (latest == NULL || c->created_ns > latest->created_ns)
            latest = c;
          continue;
        }
      char prefix[32];
      snprintf (prefix, sizeof prefix, "%.12s\t", c->id);
      show (e, c, want, prefix);
    }
  if (latest)
    show (e, latest, want, "");
  skiff_container_list_release (&all);
  return 0;
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
  if (cli_engine_entered (cli, &e, &err) < 0)
    return cli_fail (&err);
  if (a.all || a.latest)
    return port_all (e, a.latest, operands ? argv[first] : NULL);
  struct skiff_container *c = NULL;
  if (skiff_engine_container_lookup (e, argv[first], &c, &err) < 0)
    return cli_fail (&err);
  int ret = 0;
  const char *want = operands > 1 ? argv[first + 1] : NULL;
  if (show (e, c, want, "") == 0 && want)
    {
      skiff_error_set_status (&err, ENOENT, "failed to find published port \"%s%s\"", want,
                              strchr (want, '/') ? "" : "/tcp");
      ret = cli_fail (&err);
    }
  skiff_container_free (c);
  return ret;
}

const struct cli_command cli_port_command = {
  .name = "port",
  .fn = port_main,
  .summary = "List port mappings or a specific mapping for the container",
  .usage = "[options] CONTAINER [PRIVATE_PORT[/PROTO]]",
  .options = port_options,
};
