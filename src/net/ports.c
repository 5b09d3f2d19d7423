/* Published ports: podman's -p syntax, and the checks that must fail before anything starts. */
#include "net/net.h"

#include <arpa/inet.h>

#define UNPRIVILEGED_PORT_START "/proc/sys/net/ipv4/ip_unprivileged_port_start"
#define PRIVILEGED_PORT_DEFAULT 1024

/* "N" or "N-M" -> [first, last] */
static bool
parse_range (const char *s, size_t len, unsigned *first, unsigned *last)
{
  char buf[32];
  if (len == 0 || len >= sizeof buf)
    return false;
  memcpy (buf, s, len);
  buf[len] = '\0';
  char *dash = strchr (buf, '-');
  if (dash)
    *dash = '\0';
  long long a, b;
  if (!str_to_llong (buf, 1, 65535, &a))
    return false;
  b = a;
  if (dash && !str_to_llong (dash + 1, 1, 65535, &b))
    return false;
  if (b < a)
    return false;
  *first = (unsigned) a;
  *last = (unsigned) b;
  return true;
}

int
skiff_port_parse (const char *spec, struct skiff_port **ports, size_t *n, skiff_error_t *err)
{
  cleanup_free char *s = xstrdup (spec);
  bool tcp = false, udp = false;
  char *slash = strchr (s, '/');
  if (slash)
    {
      *slash = '\0';
      char *save = NULL;
      for (char *p = strtok_r (slash + 1, ",", &save); p; p = strtok_r (NULL, ",", &save))
        {
          if (strcmp (p, "tcp") == 0)
            tcp = true;
          else if (strcmp (p, "udp") == 0)
            udp = true;
          else if (strcmp (p, "sctp") == 0)
            return skiff_error_set_status (err, EINVAL,
                                           "invalid port specification \"%s\": sctp is not supported "
                                           "by rootless networking; use tcp or udp",
                                           spec);
          else
            return skiff_error_set_status (err, EINVAL,
                                           "invalid port specification \"%s\": unknown protocol \"%s\" "
                                           "(use tcp or udp)",
                                           spec, p);
        }
    }
  else
    tcp = true;

  /* split from the right: the container port, then the host port, then the address (which may hold ':' for
   * IPv6 in brackets) */
  const char *cport = s, *hport = NULL, *ip = NULL;
  char *last = strrchr (s, ':');
  if (last)
    {
      *last = '\0';
      cport = last + 1;
      char *mid = strrchr (s, ':');
      if (mid && (s[0] != '[' || mid > strchr (s, ']')))
        {
          *mid = '\0';
          hport = mid + 1;
          ip = s;
        }
      else
        hport = s;
    }
  else if (s[0] == '\0')
    return skiff_error_set_status (err, EINVAL, "invalid port specification \"\": give [ip:][hostPort:]containerPort");

  unsigned cfirst, clast, hfirst = 0, hlast = 0;
  if (!parse_range (cport, strlen (cport), &cfirst, &clast))
    return skiff_error_set_status (err, EINVAL,
                                   "invalid port specification \"%s\": invalid containerPort \"%s\" (a port 1-65535 "
                                   "or a range N-M); the form is [ip:][hostPort:]containerPort[/protocol]",
                                   spec, cport);
  if (hport && *hport)
    {
      if (!parse_range (hport, strlen (hport), &hfirst, &hlast))
        return skiff_error_set_status (err, EINVAL,
                                       "invalid port specification \"%s\": invalid hostPort \"%s\" (a port 1-65535 or "
                                       "a range N-M)",
                                       spec, hport);
      if (hlast - hfirst != clast - cfirst)
        return skiff_error_set_status (err, EINVAL,
                                       "invalid port specification \"%s\": the host range %u-%u and the container "
                                       "range %u-%u differ in length",
                                       spec, hfirst, hlast, cfirst, clast);
    }
  struct in_addr addr = { htonl (INADDR_ANY) };
  if (ip && *ip)
    {
      if (ip[0] == '[')
        return skiff_error_set_status (err, EINVAL,
                                       "invalid port specification \"%s\": IPv6 host addresses are not "
                                       "supported for published ports; give an IPv4 address or none",
                                       spec);
      if (inet_pton (AF_INET, ip, &addr) != 1)
        return skiff_error_set_status (err, EINVAL, "invalid port specification \"%s\": invalid IP address \"%s\"",
                                       spec, ip);
    }
  for (int proto = 0; proto < 2; proto++)
    {
      if ((proto == 0 && !tcp) || (proto == 1 && !udp))
        continue;
      for (unsigned i = 0; i <= clast - cfirst; i++)
        {
          if (*n >= SKIFF_NET_MAX_PORTS)
            return skiff_error_set_status (err, E2BIG, "too many published ports: at most %d", SKIFF_NET_MAX_PORTS);
          *ports = xrealloc (*ports, (*n + 1) * sizeof **ports);
          (*ports)[(*n)++] = (struct skiff_port){
            .host_ip = addr,
            .host_port = (uint16_t) (hfirst ? hfirst + i : 0),
            .container_port = (uint16_t) (cfirst + i),
            .udp = proto == 1,
          };
        }
    }
  return 0;
}

static unsigned
unprivileged_port_start (void)
{
  cleanup_free char *s = NULL;
  long long v;
  if (read_file (UNPRIVILEGED_PORT_START, &s, NULL, NULL) < 0)
    return PRIVILEGED_PORT_DEFAULT;
  s[strcspn (s, "\n")] = '\0';
  if (!str_to_llong (s, 0, 65536, &v))
    return PRIVILEGED_PORT_DEFAULT;
  return (unsigned) v;
}

/* Real root in the initial user namespace may bind any port; everyone else (skiff in its user namespace
 * included: the host's network belongs to the initial one) only from ip_unprivileged_port_start. */
static bool
in_initial_userns_as_root (void)
{
  if (geteuid () != 0)
    return false;
  cleanup_free char *map = NULL;
  if (read_file ("/proc/self/uid_map", &map, NULL, NULL) < 0)
    return true;
  unsigned long a, b, c;
  return sscanf (map, "%lu %lu %lu", &a, &b, &c) == 3 && a == 0 && b == 0 && c == 4294967295UL;
}

int
skiff_ports_check (const struct skiff_port *ports, size_t n, skiff_error_t *err)
{
  if (n == 0)
    return 0; /* every run comes through here: no files to read for a container that publishes nothing */
  unsigned start = in_initial_userns_as_root () ? 0 : unprivileged_port_start ();
  for (size_t i = 0; i < n; i++)
    {
      const struct skiff_port *p = &ports[i];
      if (p->host_port && p->host_port < start)
        return skiff_error_set_status (
            err, EACCES,
            "rootlessport cannot expose privileged port %u, you can add "
            "'net.ipv4.ip_unprivileged_port_start=%u' to /etc/sysctl.conf (currently %u), or "
            "choose a larger port number (>= %u)",
            p->host_port, p->host_port, start, start);
      for (size_t j = 0; j < i; j++)
        if (p->host_port && ports[j].host_port == p->host_port && ports[j].udp == p->udp
            && (ports[j].host_ip.s_addr == p->host_ip.s_addr || ports[j].host_ip.s_addr == htonl (INADDR_ANY)
                || p->host_ip.s_addr == htonl (INADDR_ANY)))
          return skiff_error_set_status (err, EINVAL, "host port %u/%s is published twice", p->host_port,
                                         p->udp ? "udp" : "tcp");
    }
  return 0;
}
