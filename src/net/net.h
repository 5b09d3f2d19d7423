/* Rootless networking: a tap device in the container's network namespace driven by libslirp (the only place
 * libslirp appears), published ports forwarded by the holder of the network (the monitor, or a foreground
 * skiff), and DNS forwarded from 10.0.2.3 to the host's resolvers. See docs/architecture.md, "Networking". */
#ifndef SKIFF_NET_H
#define SKIFF_NET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/util.h"

#define SKIFF_NET_TAP_NAME "tap0"
#define SKIFF_NET_DEFAULT_CIDR "10.0.2.0/24"
#define SKIFF_NET_DEFAULT_MTU 65520
#define SKIFF_NET_MAX_PORTS 1024
/* host parts of the addresses in the network, as slirp4netns gives them */
#define SKIFF_NET_GATEWAY 2
#define SKIFF_NET_DNS 3
#define SKIFF_NET_CONTAINER 100

/* One published port: host [ip:]port -> container port. */
struct skiff_port
{
  struct in_addr host_ip; /* INADDR_ANY: every address */
  uint16_t host_port;     /* 0: a free port, chosen when it is bound (skiff_net_new fills it in) */
  uint16_t container_port;
  bool udp;
};

/* Parse podman's -p: [[ip:][hostPort]:]containerPort[/protocol], with ranges ("8000-8010:80-90", one entry
 * per port) and a protocol list ("tcp,udp" gives two entries). Appends to *ports. */
int skiff_port_parse (const char *spec, struct skiff_port **ports, size_t *n, skiff_error_t *err);
/* Is every host port of ports allowed (ip_unprivileged_port_start) and distinct? Podman's errors. */
int skiff_ports_check (const struct skiff_port *ports, size_t n, skiff_error_t *err);

/* podman's --network slirp4netns:OPTIONS and the network settings of one container */
struct skiff_net_options
{
  struct in_addr network, netmask; /* cidr= (default 10.0.2.0/24) */
  unsigned mtu;                    /* mtu= (default 65520) */
  bool enable_ipv6;                /* enable_ipv6=true: fd00::/64 by router advertisement */
  bool allow_host_loopback;        /* allow_host_loopback=true: 10.0.2.2 reaches the host's 127.0.0.1 */
  uint8_t mac[6];                  /* --mac-address */
  bool mac_set;
  struct in_addr outbound_addr; /* outbound_addr= */
  bool outbound_addr_set;
  struct in6_addr outbound_addr6; /* outbound_addr6= */
  bool outbound_addr6_set;
  /* DNS forwarded from the network's .3 address: the host's resolvers (IPv4, with port) */
  struct sockaddr_in dns_upstream[4];
  size_t ndns_upstream;
};

/* Defaults, then "slirp4netns[:opt=val,...]"'s options (NULL: none). podman's option names. */
int skiff_net_options_parse (const char *options, struct skiff_net_options *o, skiff_error_t *err);
/* The options that differ from the defaults, as skiff_net_options_parse reads them ("" when none); caller frees.
 * The MAC address and the resolvers are not options of the mode and are left out. */
char *skiff_net_options_format (const struct skiff_net_options *o);
/* The addresses in the network: .2 gateway (host), .3 DNS, .100 the container. */
struct in_addr skiff_net_addr (const struct skiff_net_options *o, unsigned host_part);
/* The host's resolvers for the forwarder: SKIFF_DNS_UPSTREAM (ip[:port],...) if set, else the nameservers
 * of resolv_conf (default /etc/resolv.conf). */
void skiff_net_find_upstream (struct skiff_net_options *o, const char *resolv_conf);

/* Can this user open the tun device (/dev/net/tun, or SKIFF_TUN_PATH)? The error says what to do. */
int skiff_net_tun_check (skiff_error_t *err);
/* For `skiff info`: libslirp's version (NULL when it cannot be loaded: *problem says why), and whether the tun
 * device opens (else *problem says why). Strings are the caller's. */
void skiff_net_describe (char **slirp_version, char **problem);

/* In the container child, in its new network namespace (needs CAP_NET_ADMIN there): create the tap device,
 * give it its address, MTU and MAC, bring it up and route through the gateway. Returns the tap's fd. The
 * device node is /dev/net/tun, or SKIFF_TUN_PATH (a test hook). */
int skiff_net_tap_setup (const struct skiff_net_options *o, int *tap_fd, skiff_error_t *err);

/* The network of one container, held by the process that holds the container (the monitor, or skiff in the
 * foreground): published ports are bound when it is created, so a port in use fails before anything runs. */
struct skiff_net;
/* Ports asking for a free host port get theirs filled in. */
int skiff_net_new (const struct skiff_net_options *o, struct skiff_port *ports, size_t nports, struct skiff_net **out,
                   skiff_error_t *err);
/* Start serving a container: tap_fd (taken over) carries its packets; netns_pid is a process in its network
 * namespace, where published ports are connected. Runs in threads of its own until skiff_net_stop. tap_fd
 * may be -1 (a container sharing another's network: ports only). */
int skiff_net_start (struct skiff_net *net, int tap_fd, pid_t netns_pid, skiff_error_t *err);
/* Stop serving (the container ended); the published ports stay bound for a restart. */
void skiff_net_stop (struct skiff_net *net);
void skiff_net_free (struct skiff_net *net);

#endif
