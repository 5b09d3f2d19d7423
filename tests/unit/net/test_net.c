/* src/net without a container: -p parsing and checks, slirp4netns options, the resolvers, and the DNS
 * forwarder's frames (a query taken off the "tap", the answer written back with a valid IPv4 header). */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/net_internal.h"

static size_t
parse_ok (const char *spec, struct skiff_port **p)
{
  size_t n = 0;
  skiff_error_t err = NULL;
  *p = NULL;
  cr_assert_eq (skiff_port_parse (spec, p, &n, &err), 0, "%s: %s", spec, err ? err->msg : "");
  return n;
}

static char *
parse_fail (const char *spec)
{
  struct skiff_port *p = NULL;
  size_t n = 0;
  skiff_error_t err = NULL;
  cr_assert_lt (skiff_port_parse (spec, &p, &n, &err), 0, "%s was accepted", spec);
  char *msg = strdup (err->msg);
  skiff_error_release (&err);
  free (p);
  return msg;
}

Test (ports, forms)
{
  struct skiff_port *p;
  cr_assert_eq (parse_ok ("80", &p), 1);
  cr_assert (p[0].host_port == 0 && p[0].container_port == 80 && !p[0].udp
             && p[0].host_ip.s_addr == htonl (INADDR_ANY));
  free (p);
  cr_assert_eq (parse_ok ("8080:80", &p), 1);
  cr_assert (p[0].host_port == 8080 && p[0].container_port == 80);
  free (p);
  cr_assert_eq (parse_ok ("127.0.0.1:8080:80/udp", &p), 1);
  cr_assert (p[0].udp && p[0].host_ip.s_addr == htonl (INADDR_LOOPBACK));
  free (p);
  cr_assert_eq (parse_ok ("127.0.0.1::80", &p), 1);
  cr_assert (p[0].host_port == 0 && p[0].host_ip.s_addr == htonl (INADDR_LOOPBACK));
  free (p);
  cr_assert_eq (parse_ok ("8000-8002:90-92", &p), 3);
  cr_assert (p[2].host_port == 8002 && p[2].container_port == 92);
  free (p);
  cr_assert_eq (parse_ok ("53:53/tcp,udp", &p), 2);
  cr_assert (!p[0].udp && p[1].udp);
  free (p);
}

Test (ports, bad_specs)
{
  static const char *const bad[][2] = {
    { "", "invalid port" }, { "abc", "containerPort" },   { "0", "containerPort" },    { "70000", "containerPort" },
    { "x:80", "hostPort" }, { "8000-8001:80", "differ" }, { "1.2.3.4.5:80:80", "IP" }, { "[::1]:80:80", "IPv6" },
    { "80/sctp", "sctp" },  { "80/icmp", "protocol" },    { "9-1", "containerPort" },
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      char *m = parse_fail (bad[i][0]);
      cr_assert (strstr (m, bad[i][1]), "%s: %s", bad[i][0], m);
      free (m);
    }
}

Test (ports, checks)
{
  struct skiff_port p[2] = { { .host_ip = { htonl (INADDR_ANY) }, .host_port = 8080, .container_port = 80 },
                             { .host_ip = { htonl (INADDR_LOOPBACK) }, .host_port = 8080, .container_port = 81 } };
  skiff_error_t err = NULL;
  cr_assert_lt (skiff_ports_check (p, 2, &err), 0);
  cr_assert (strstr (err->msg, "published twice"), "%s", err->msg);
  skiff_error_release (&err);
  p[1].udp = true; /* tcp and udp may share a number */
  cr_assert_eq (skiff_ports_check (p, 2, &err), 0);
  if (geteuid () != 0)
    {
      p[0].host_port = 80;
      cr_assert_lt (skiff_ports_check (p, 1, &err), 0);
      cr_assert (strstr (err->msg, "ip_unprivileged_port_start"), "%s", err->msg);
      skiff_error_release (&err);
    }
}

Test (options, slirp4netns)
{
  struct skiff_net_options o;
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_net_options_parse (NULL, &o, &err), 0);
  char a[INET_ADDRSTRLEN];
  struct in_addr x = skiff_net_addr (&o, SKIFF_NET_CONTAINER);
  cr_assert_str_eq (inet_ntop (AF_INET, &x, a, sizeof a), "10.0.2.100");
  cr_assert_eq (o.mtu, 65520);
  cr_assert (!o.allow_host_loopback && !o.enable_ipv6);
  cr_assert_eq (
      skiff_net_options_parse ("allow_host_loopback=true,cidr=10.5.0.0/16,mtu=1500,enable_ipv6=true", &o, &err), 0);
  x = skiff_net_addr (&o, SKIFF_NET_DNS);
  cr_assert_str_eq (inet_ntop (AF_INET, &x, a, sizeof a), "10.5.0.3");
  cr_assert (o.allow_host_loopback && o.enable_ipv6 && o.mtu == 1500);
  static const char *const bad[] = { "mtu=10",  "cidr=nope",         "allow_host_loopback=yes", "nosuch=1",
                                     "novalue", "outbound_addr=::1", "port_handler=x" };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      cr_assert_lt (skiff_net_options_parse (bad[i], &o, &err), 0, "%s accepted", bad[i]);
      skiff_error_release (&err);
    }
}

Test (options, upstream_resolvers)
{
  char path[] = "/tmp/skiff-resolv-XXXXXX";
  int fd = mkstemp (path);
  const char *text = "# comment\nsearch example.test\nnameserver 127.0.0.53\nnameserver ::1\nnameserver 192.0.2.1\n";
  cr_assert_eq (write (fd, text, strlen (text)), (ssize_t) strlen (text));
  close (fd);
  struct skiff_net_options o;
  skiff_net_options_parse (NULL, &o, NULL);
  unsetenv ("SKIFF_DNS_UPSTREAM");
  skiff_net_find_upstream (&o, path);
  unlink (path);
  cr_assert_eq (o.ndns_upstream, 2, "IPv4 resolvers, loopback ones included");
  cr_assert_eq (o.dns_upstream[0].sin_addr.s_addr, inet_addr ("127.0.0.53"));
  cr_assert_eq (ntohs (o.dns_upstream[1].sin_port), 53);
  setenv ("SKIFF_DNS_UPSTREAM", "127.0.0.1:5353,192.0.2.9", 1);
  skiff_net_find_upstream (&o, "/nonexistent");
  unsetenv ("SKIFF_DNS_UPSTREAM");
  cr_assert_eq (o.ndns_upstream, 2);
  cr_assert_eq (ntohs (o.dns_upstream[0].sin_port), 5353);
}

static uint16_t
checksum (const uint8_t *p, size_t len)
{
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2)
    sum += (uint32_t) (p[i] << 8 | p[i + 1]);
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t) sum;
}

static size_t
test_pfd_add (struct skiff_net *net, int fd, short events)
{
  net->pfd[net->npfd] = (struct pollfd){ .fd = fd, .events = events };
  return net->npfd++;
}

Test (dns, query_forwarded_and_answer_framed)
{
  /* the upstream resolver: a UDP socket here */
  int up = socket (AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = { htonl (INADDR_LOOPBACK) } };
  socklen_t len = sizeof sa;
  cr_assert_eq (bind (up, (struct sockaddr *) &sa, sizeof sa), 0);
  getsockname (up, (struct sockaddr *) &sa, &len);
  /* the "tap": a datagram socket pair */
  int tap[2];
  cr_assert_eq (socketpair (AF_UNIX, SOCK_DGRAM, 0, tap), 0);
  struct skiff_net net = { .tap_fd = tap[0] };
  skiff_net_options_parse (NULL, &net.opt, NULL);
  net.opt.dns_upstream[0] = sa;
  net.opt.ndns_upstream = 1;
  for (size_t i = 0; i < NET_DNS_PENDING_MAX; i++)
    net.dns[i].fd = net.dns[i].pfd_idx = -1;

  /* a frame from the guest 10.0.2.100:40000 to 10.0.2.3:53 */
  uint8_t frame[14 + 20 + 8 + 5] = { 0 };
  memcpy (frame, "\x52\x55\x0a\x00\x02\x03", 6);     /* to slirp's MAC for .3 */
  memcpy (frame + 6, "\x02\x00\x00\x00\x00\x64", 6); /* from the guest */
  frame[12] = 0x08;
  struct iphdr ip = { .version = 4,
                      .ihl = 5,
                      .tot_len = htons (33),
                      .ttl = 64,
                      .protocol = IPPROTO_UDP,
                      .saddr = inet_addr ("10.0.2.100"),
                      .daddr = inet_addr ("10.0.2.3") };
  memcpy (frame + 14, &ip, sizeof ip);
  struct udphdr udp = { .uh_sport = htons (40000), .uh_dport = htons (53), .uh_ulen = htons (13) };
  memcpy (frame + 34, &udp, sizeof udp);
  memcpy (frame + 42, "query", 5);
  cr_assert (net_dns_intercept (&net, frame, sizeof frame));
  /* not DNS: left to slirp */
  frame[14 + 16 + 3] = 4; /* 10.0.2.4 */
  cr_assert (!net_dns_intercept (&net, frame, sizeof frame));

  char buf[64];
  struct sockaddr_in from;
  socklen_t flen = sizeof from;
  ssize_t n = recvfrom (up, buf, sizeof buf, 0, (struct sockaddr *) &from, &flen);
  cr_assert_eq (n, 5);
  cr_assert_eq (memcmp (buf, "query", 5), 0);
  cr_assert_eq (sendto (up, "answer!", 7, 0, (struct sockaddr *) &from, flen), 7);
  /* the slirp thread's poll set holds the query's socket */
  net.pfd = calloc (4, sizeof *net.pfd);
  net.npfd = 0;
  net.apfd = 4;
  net_dns_poll_add (&net, test_pfd_add);
  cr_assert_eq (net.npfd, 1);
  cr_assert_eq (poll (net.pfd, 1, 2000), 1);
  net_dns_handle (&net, net_now_ms ());
  uint8_t out[128];
  n = recv (tap[1], out, sizeof out, MSG_DONTWAIT);
  cr_assert_eq (n, 14 + 20 + 8 + 7);
  cr_assert_eq (memcmp (out, frame + 6, 6), 0, "to the guest's MAC");
  cr_assert_eq (memcmp (out + 6, frame, 6), 0, "from the MAC the guest asked");
  struct iphdr rip;
  memcpy (&rip, out + 14, sizeof rip);
  cr_assert_eq (rip.saddr, inet_addr ("10.0.2.3"));
  cr_assert_eq (rip.daddr, inet_addr ("10.0.2.100"));
  cr_assert_eq (checksum (out + 14, 20), 0xffff, "the IPv4 header checksum is valid");
  struct udphdr rudp;
  memcpy (&rudp, out + 34, sizeof rudp);
  cr_assert_eq (ntohs (rudp.uh_sport), 53);
  cr_assert_eq (ntohs (rudp.uh_dport), 40000);
  cr_assert_eq (memcmp (out + 42, "answer!", 7), 0);
  net_dns_release (&net);
  free (net.pfd);
  close (tap[0]);
  close (tap[1]);
  close (up);
}
