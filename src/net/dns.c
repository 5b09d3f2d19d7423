/* The DNS forwarder at the network's .3 address (10.0.2.3), as slirp4netns offers one: a UDP query from the
 * guest is taken off the wire before slirp sees it, sent to the host's resolver from the host's network (so a
 * resolver on the host's loopback, like systemd-resolved's 127.0.0.53, works without opening the loopback to
 * the container), and the answer is written back to the tap as the frame 10.0.2.3 would have sent. Doing it
 * here rather than with libslirp's own redirect lets skiff choose the resolvers (and their ports) itself. */
#include "net/net_internal.h"

#include <arpa/inet.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#define ETH_HLEN 14
#define ETH_P_IPV4 0x0800
#define DNS_PORT 53
#define DNS_MSG_MAX 65535
#define DNS_RETRY_MS 2000
#define DNS_TTL 64

static uint16_t
ip_checksum (const void *data, size_t len)
{
  const uint8_t *p = data;
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2)
    sum += (uint32_t) (p[i] << 8 | p[i + 1]);
  if (len & 1)
    sum += (uint32_t) p[len - 1] << 8;
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t) ~sum;
}

static void
query_free (struct net_dns_query *q)
{
  if (q->fd >= 0)
    close (q->fd);
  free (q->query);
  *q = (struct net_dns_query){ .fd = -1, .pfd_idx = -1 };
}

static int
query_send (struct skiff_net *net, struct net_dns_query *q)
{
  if (q->fd >= 0)
    close (q->fd);
  q->fd = -1;
  if (q->upstream >= net->opt.ndns_upstream)
    return -1;
  int fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return -1;
  const struct sockaddr_in *up = &net->opt.dns_upstream[q->upstream];
  if (connect (fd, (const struct sockaddr *) up, sizeof *up) < 0 || send (fd, q->query, q->query_len, 0) < 0)
    {
      close (fd);
      return -1;
    }
  q->fd = fd;
  q->sent_ms = net_now_ms ();
  return 0;
}

bool
net_dns_intercept (struct skiff_net *net, const uint8_t *frame, size_t len)
{
  if (len < ETH_HLEN + sizeof (struct iphdr) + sizeof (struct udphdr))
    return false;
  if ((frame[12] << 8 | frame[13]) != ETH_P_IPV4)
    return false;
  /* the IP header sits at offset 14: copied out, never read in place (alignment) */
  struct iphdr iph;
  memcpy (&iph, frame + ETH_HLEN, sizeof iph);
  const struct iphdr *ip = &iph;
  size_t ihl = (size_t) ip->ihl * 4;
  if (ip->version != 4 || ihl < sizeof *ip || ip->protocol != IPPROTO_UDP
      || ip->daddr != skiff_net_addr (&net->opt, SKIFF_NET_DNS).s_addr || (ntohs (ip->frag_off) & 0x3fff) != 0)
    return false;
  size_t ip_len = ntohs (ip->tot_len);
  if (ip_len > len - ETH_HLEN || ip_len < ihl + sizeof (struct udphdr))
    return false;
  struct udphdr udph;
  const uint8_t *udp_at = frame + ETH_HLEN + ihl;
  memcpy (&udph, udp_at, sizeof udph);
  const struct udphdr *udp = &udph;
  if (ntohs (udp->uh_dport) != DNS_PORT)
    return false;
  size_t udp_len = ntohs (udp->uh_ulen);
  if (udp_len < sizeof *udp || udp_len > ip_len - ihl)
    return true; /* malformed: dropped */
  struct net_dns_query *q = NULL;
  for (size_t i = 0; i < NET_DNS_PENDING_MAX; i++)
    if (net->dns[i].fd < 0 && net->dns[i].query == NULL)
      {
        q = &net->dns[i];
        break;
      }
  if (q == NULL || net->opt.ndns_upstream == 0)
    return true; /* too many queries in flight, or no resolver: the guest retries */
  q->pfd_idx = -1;
  memcpy (q->guest_mac, frame + 6, 6);
  memcpy (q->our_mac, frame, 6);
  q->guest_ip = ip->saddr;
  q->guest_port = udp->uh_sport;
  q->query_len = udp_len - sizeof *udp;
  q->query = xmalloc (q->query_len ? q->query_len : 1);
  memcpy (q->query, udp_at + sizeof *udp, q->query_len);
  q->upstream = 0;
  while (query_send (net, q) < 0)
    if (++q->upstream >= net->opt.ndns_upstream)
      {
        query_free (q);
        break;
      }
  return true;
}

void
net_dns_poll_add (struct skiff_net *net, size_t (*add) (struct skiff_net *, int fd, short events))
{
  for (size_t i = 0; i < NET_DNS_PENDING_MAX; i++)
    net->dns[i].pfd_idx = net->dns[i].fd >= 0 ? (long) add (net, net->dns[i].fd, POLLIN) : -1;
}

static void
reply (struct skiff_net *net, struct net_dns_query *q, const uint8_t *msg, size_t len)
{
  size_t frame_len = ETH_HLEN + sizeof (struct iphdr) + sizeof (struct udphdr) + len;
  if (frame_len - ETH_HLEN > net->opt.mtu)
    return; /* larger than the link: the guest retries over TCP after a truncated answer from elsewhere */
  cleanup_free uint8_t *f = xmalloc0 (frame_len);
  memcpy (f, q->guest_mac, 6);
  memcpy (f + 6, q->our_mac, 6);
  f[12] = ETH_P_IPV4 >> 8;
  f[13] = ETH_P_IPV4 & 0xff;
  struct iphdr iph = { 0 };
  struct iphdr *ip = &iph;
  ip->version = 4;
  ip->ihl = sizeof *ip / 4;
  ip->tot_len = htons ((uint16_t) (frame_len - ETH_HLEN));
  ip->ttl = DNS_TTL;
  ip->protocol = IPPROTO_UDP;
  ip->saddr = skiff_net_addr (&net->opt, SKIFF_NET_DNS).s_addr;
  ip->daddr = q->guest_ip;
  ip->check = htons (ip_checksum (ip, sizeof *ip));
  struct udphdr udp = {
    .uh_sport = htons (DNS_PORT),
    .uh_dport = q->guest_port,
    .uh_ulen = htons ((uint16_t) (sizeof udp + len)),
    .uh_sum = 0, /* optional over IPv4 */
  };
  memcpy (f + ETH_HLEN, ip, sizeof *ip);
  memcpy (f + ETH_HLEN + sizeof *ip, &udp, sizeof udp);
  memcpy (f + ETH_HLEN + sizeof *ip + sizeof udp, msg, len);
  if (net->tap_fd >= 0)
    (void) write (net->tap_fd, f, frame_len);
}

void
net_dns_handle (struct skiff_net *net, int64_t now)
{
  for (size_t i = 0; i < NET_DNS_PENDING_MAX; i++)
    {
      struct net_dns_query *q = &net->dns[i];
      if (q->fd < 0)
        {
          if (q->query)
            query_free (q);
          continue;
        }
      /* by the index noted when the poll set was built: a socket made since (its number maybe one libslirp
       * closed meanwhile) has no events of this round */
      short revents = 0;
      if (q->pfd_idx >= 0 && (size_t) q->pfd_idx < net->npfd && net->pfd[q->pfd_idx].fd == q->fd)
        revents = net->pfd[q->pfd_idx].revents;
      if (revents & (POLLIN | POLLERR))
        {
          uint8_t msg[DNS_MSG_MAX];
          ssize_t n = recv (q->fd, msg, sizeof msg, 0);
          if (n >= 0)
            {
              reply (net, q, msg, (size_t) n);
              query_free (q);
              continue;
            }
          /* refused: try the next resolver */
          q->sent_ms = 0;
        }
      if (now - q->sent_ms >= DNS_RETRY_MS)
        {
          bool sent = false;
          while (++q->upstream < net->opt.ndns_upstream)
            if (query_send (net, q) == 0)
              {
                sent = true;
                break;
              }
          if (!sent)
            query_free (q);
        }
    }
}

void
net_dns_release (struct skiff_net *net)
{
  for (size_t i = 0; i < NET_DNS_PENDING_MAX; i++)
    query_free (&net->dns[i]);
}
