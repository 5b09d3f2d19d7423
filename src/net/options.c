/* --network slirp4netns:OPTIONS (podman's names) and the host's resolvers for the DNS forwarder. */
#include "net/net.h"

#include <arpa/inet.h>

#define DNS_PORT 53
#define MTU_MIN 68

static int
parse_bool (const char *key, const char *v, bool *out, skiff_error_t *err)
{
  if (strcmp (v, "true") == 0)
    *out = true;
  else if (strcmp (v, "false") == 0)
    *out = false;
  else
    return skiff_error_set_status (err, EINVAL, "invalid value \"%s\" for slirp4netns option %s: use true or false", v,
                                   key);
  return 0;
}

static int
parse_cidr (const char *v, struct skiff_net_options *o, skiff_error_t *err)
{
  char buf[64];
  snprintf (buf, sizeof buf, "%s", v);
  char *slash = strchr (buf, '/');
  long long bits = 24;
  if (slash)
    *slash = '\0';
  if (inet_pton (AF_INET, buf, &o->network) != 1 || (slash && !str_to_llong (slash + 1, 1, 25, &bits)))
    return skiff_error_set_status (err, EINVAL,
                                   "invalid slirp4netns cidr \"%s\": give an IPv4 network with a "
                                   "prefix of at most 25 bits, like 10.0.2.0/24",
                                   v);
  o->netmask.s_addr = htonl (bits == 0 ? 0 : 0xffffffffu << (32 - bits));
  o->network.s_addr &= o->netmask.s_addr;
  return 0;
}

int
skiff_net_options_parse (const char *options, struct skiff_net_options *o, skiff_error_t *err)
{
  *o = (struct skiff_net_options){ .mtu = SKIFF_NET_DEFAULT_MTU };
  if (parse_cidr (SKIFF_NET_DEFAULT_CIDR, o, err) < 0)
    return -1;
  if (options == NULL || *options == '\0')
    return 0;
  cleanup_free char *s = xstrdup (options);
  char *save = NULL;
  for (char *kv = strtok_r (s, ",", &save); kv; kv = strtok_r (NULL, ",", &save))
    {
      char *eq = strchr (kv, '=');
      if (eq == NULL)
        return skiff_error_set_status (err, EINVAL, "invalid slirp4netns option \"%s\": use key=value", kv);
      *eq = '\0';
      const char *v = eq + 1;
      if (strcmp (kv, "allow_host_loopback") == 0)
        {
          if (parse_bool (kv, v, &o->allow_host_loopback, err) < 0)
            return -1;
        }
      else if (strcmp (kv, "enable_ipv6") == 0)
        {
          if (parse_bool (kv, v, &o->enable_ipv6, err) < 0)
            return -1;
        }
      else if (strcmp (kv, "cidr") == 0)
        {
          if (parse_cidr (v, o, err) < 0)
            return -1;
        }
      else if (strcmp (kv, "mtu") == 0)
        {
          long long mtu;
          if (!str_to_llong (v, MTU_MIN, SKIFF_NET_DEFAULT_MTU, &mtu))
            return skiff_error_set_status (err, EINVAL, "invalid slirp4netns mtu \"%s\": give %d to %d", v, MTU_MIN,
                                           SKIFF_NET_DEFAULT_MTU);
          o->mtu = (unsigned) mtu;
        }
      else if (strcmp (kv, "outbound_addr") == 0)
        {
          if (inet_pton (AF_INET, v, &o->outbound_addr) != 1)
            return skiff_error_set_status (err, EINVAL,
                                           "invalid slirp4netns outbound_addr \"%s\": give an IPv4 "
                                           "address of this host",
                                           v);
          o->outbound_addr_set = true;
        }
      else if (strcmp (kv, "outbound_addr6") == 0)
        {
          if (inet_pton (AF_INET6, v, &o->outbound_addr6) != 1)
            return skiff_error_set_status (err, EINVAL,
                                           "invalid slirp4netns outbound_addr6 \"%s\": give an IPv6 "
                                           "address of this host",
                                           v);
          o->outbound_addr6_set = true;
        }
      else if (strcmp (kv, "port_handler") == 0)
        {
          /* skiff's forwarder plays rootlesskit's part; slirp4netns's own handler is not offered */
          if (strcmp (v, "rootlesskit") != 0 && strcmp (v, "slirp4netns") != 0)
            return skiff_error_set_status (err, EINVAL,
                                           "invalid slirp4netns port_handler \"%s\": use rootlesskit or "
                                           "slirp4netns",
                                           v);
        }
      else
        return skiff_error_set_status (err, EINVAL,
                                       "unknown option for slirp4netns: \"%s\" (skiff knows allow_host_loopback, cidr, "
                                       "enable_ipv6, mtu, outbound_addr, outbound_addr6, port_handler)",
                                       kv);
    }
  return 0;
}

static void
append_opt (char **out, const char *key, const char *value)
{
  char *n = xasprintf ("%s%s%s=%s", *out, **out ? "," : "", key, value);
  free (*out);
  *out = n;
}

char *
skiff_net_options_format (const struct skiff_net_options *o)
{
  struct skiff_net_options def;
  char *out = xstrdup ("");
  if (skiff_net_options_parse (NULL, &def, NULL) < 0)
    return out;
  if (o->allow_host_loopback)
    append_opt (&out, "allow_host_loopback", "true");
  if (o->network.s_addr != def.network.s_addr || o->netmask.s_addr != def.netmask.s_addr)
    {
      char a[INET_ADDRSTRLEN], cidr[INET_ADDRSTRLEN + 4];
      inet_ntop (AF_INET, &o->network, a, sizeof a);
      snprintf (cidr, sizeof cidr, "%s/%d", a, __builtin_popcount (o->netmask.s_addr));
      append_opt (&out, "cidr", cidr);
    }
  if (o->enable_ipv6)
    append_opt (&out, "enable_ipv6", "true");
  if (o->mtu != def.mtu)
    {
      char mtu[16];
      snprintf (mtu, sizeof mtu, "%u", o->mtu);
      append_opt (&out, "mtu", mtu);
    }
  if (o->outbound_addr_set)
    {
      char a[INET_ADDRSTRLEN];
      append_opt (&out, "outbound_addr", inet_ntop (AF_INET, &o->outbound_addr, a, sizeof a));
    }
  if (o->outbound_addr6_set)
    {
      char a[INET6_ADDRSTRLEN];
      append_opt (&out, "outbound_addr6", inet_ntop (AF_INET6, &o->outbound_addr6, a, sizeof a));
    }
  return out;
}

struct in_addr
skiff_net_addr (const struct skiff_net_options *o, unsigned host_part)
{
  struct in_addr a = { o->network.s_addr | htonl (host_part) };
  return a;
}

static void
add_upstream (struct skiff_net_options *o, const char *spec)
{
  if (o->ndns_upstream >= ARRAY_SIZE (o->dns_upstream))
    return;
  char buf[64];
  snprintf (buf, sizeof buf, "%s", spec);
  long long port = DNS_PORT;
  char *colon = strchr (buf, ':');
  if (colon)
    {
      *colon = '\0';
      if (!str_to_llong (colon + 1, 1, 65535, &port))
        return;
    }
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
  if (inet_pton (AF_INET, buf, &sa.sin_addr) != 1)
    return; /* IPv6 resolvers are not forwarded to */
  o->dns_upstream[o->ndns_upstream++] = sa;
}

void
skiff_net_find_upstream (struct skiff_net_options *o, const char *resolv_conf)
{
  o->ndns_upstream = 0;
  const char *env = getenv ("SKIFF_DNS_UPSTREAM");
  if (env && *env)
    {
      cleanup_free char *s = xstrdup (env);
      char *save = NULL;
      for (char *p = strtok_r (s, ",", &save); p; p = strtok_r (NULL, ",", &save))
        add_upstream (o, p);
      return;
    }
  cleanup_free char *text = NULL;
  if (read_file (resolv_conf ? resolv_conf : "/etc/resolv.conf", &text, NULL, NULL) < 0)
    return;
  char *save = NULL;
  for (char *l = strtok_r (text, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    {
      char ns[64];
      if (sscanf (l, " nameserver %63s", ns) == 1)
        add_upstream (o, ns);
    }
}
