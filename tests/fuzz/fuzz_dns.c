/* The DNS forwarder (net/dns.c): an Ethernet frame from the container, as the slirp thread hands it over, and
 * the answer of a resolver (this harness's own UDP socket on 127.0.0.1) written back as a frame. The query that
 * reaches the resolver must be the frame's UDP payload, no more. Input: the frame's length (2 bytes, little
 * endian), the frame, then the resolver's answer. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "net/net_internal.h"

static int resolver = -1, tap[2] = { -1, -1 };
static struct sockaddr_in resolver_addr;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  resolver = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  resolver_addr = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t l = sizeof resolver_addr;
  if (resolver < 0 || bind (resolver, (struct sockaddr *) &resolver_addr, sizeof resolver_addr) < 0
      || getsockname (resolver, (struct sockaddr *) &resolver_addr, &l) < 0 || pipe2 (tap, O_CLOEXEC | O_NONBLOCK) < 0)
    abort ();
  return 0;
}

static size_t
add_pfd (struct skiff_net *net, int fd, short events)
{
  net->pfd[net->npfd] = (struct pollfd){ .fd = fd, .events = events, .revents = POLLIN };
  return net->npfd++;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 2)
    return 0;
  size_t frame_len = (size_t) data[0] | (size_t) data[1] << 8;
  if (frame_len > size - 2)
    frame_len = size - 2;
  /* the frame in an exact-size buffer, so that ASan sees a read past it */
  uint8_t *frame = xmalloc (frame_len ? frame_len : 1);
  memcpy (frame, data + 2, frame_len);
  const uint8_t *answer = data + 2 + frame_len;
  size_t answer_len = size - 2 - frame_len;

  struct skiff_net *net = xmalloc0 (sizeof *net);
  skiff_error_t err = NULL;
  if (skiff_net_options_parse (NULL, &net->opt, &err) < 0)
    abort ();
  net->opt.dns_upstream[0] = resolver_addr;
  net->opt.ndns_upstream = 1;
  net->tap_fd = tap[1];
  for (size_t i = 0; i < NET_DNS_PENDING_MAX; i++)
    net->dns[i] = (struct net_dns_query){ .fd = -1, .pfd_idx = -1 };
  struct pollfd pfd[NET_DNS_PENDING_MAX];
  net->pfd = pfd;

  if (net_dns_intercept (net, frame, frame_len) && net->dns[0].fd >= 0)
    {
      uint8_t q[65536];
      struct sockaddr_in from;
      socklen_t fl = sizeof from;
      ssize_t n = recvfrom (resolver, q, sizeof q, 0, (struct sockaddr *) &from, &fl);
      if (n < 0 || (size_t) n != net->dns[0].query_len || memcmp (q, net->dns[0].query, (size_t) n) != 0)
        abort (); /* what went out is not the query that came in */
      if (frame_len < (size_t) n || memmem (frame, frame_len, q, (size_t) n) == NULL)
        abort ();
      (void) sendto (resolver, answer, answer_len, 0, (struct sockaddr *) &from, fl);
      net->npfd = 0;
      net_dns_poll_add (net, add_pfd);
      net_dns_handle (net, net_now_ms ());
      uint8_t out[70000];
      while (read (tap[0], out, sizeof out) > 0)
        ;
    }
  /* anything the resolver did not answer yet */
  uint8_t q[65536];
  while (recv (resolver, q, sizeof q, 0) > 0)
    ;
  net_dns_release (net);
  free (net);
  free (frame);
  return 0;
}
