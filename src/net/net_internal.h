/* Internal to src/net: the network of one container and its two threads. The slirp thread lives in the
 * host's network namespace (libslirp's sockets to the outside must be made there); the forwarder thread joins
 * the container's network namespace, so that the connections it makes for published ports start inside it. */
#ifndef SKIFF_NET_INTERNAL_H
#define SKIFF_NET_INTERNAL_H

#include <poll.h>
#include <pthread.h>

#include "net/net.h"

struct slirp_lib;

struct net_listener
{
  int fd;
  struct skiff_port port;
};

struct net_timer
{
  struct net_timer *next;
  int64_t expire_ms; /* -1: not armed */
  void (*cb) (void *);
  void *cb_opaque;
  int id;          /* with opaque timers: the SlirpTimerId for slirp_handle_timer */
  bool opaque_api; /* created by timer_new_opaque */
};

#define NET_DNS_PENDING_MAX 64

struct net_dns_query
{
  int fd; /* connected to an upstream resolver; -1: slot free */
  int64_t sent_ms;
  size_t upstream;      /* index of the resolver tried */
  uint8_t guest_mac[6]; /* where the answer goes */
  uint8_t our_mac[6];   /* the address the guest sent to (slirp's, for .3) */
  uint32_t guest_ip;    /* network order */
  uint16_t guest_port;  /* network order */
  long pfd_idx;         /* its entry in this round's poll set; -1: made after the set was built */
  uint8_t *query;       /* kept for a retry on the next resolver */
  size_t query_len;
};

struct skiff_net
{
  struct skiff_net_options opt;
  struct net_listener *listeners;
  size_t nlisteners;
  const struct slirp_lib *lib;

  /* per start */
  int tap_fd;
  int netns_fd;
  int stop_pipe[2]; /* written once by skiff_net_stop: both threads see it readable and leave */
  pthread_t slirp_thread, fwd_thread;
  bool slirp_running, fwd_running;

  /* the slirp thread's */
  void *slirp;
  struct net_timer *timers;
  struct pollfd *pfd;
  size_t npfd, apfd;
  struct net_dns_query dns[NET_DNS_PENDING_MAX];
};

/* slirp.c */
int net_slirp_load (const struct slirp_lib **lib, skiff_error_t *err);
int net_slirp_start (struct skiff_net *net, skiff_error_t *err);
/* after the thread has ended */
void net_slirp_release (struct skiff_net *net);

/* dns.c, called from the slirp thread */
/* A frame from the guest: true when it was a DNS query for the forwarder (handled, not for slirp). */
bool net_dns_intercept (struct skiff_net *net, const uint8_t *frame, size_t len);
void net_dns_poll_add (struct skiff_net *net, size_t (*add) (struct skiff_net *, int fd, short events));
void net_dns_handle (struct skiff_net *net, int64_t now_ms);
void net_dns_release (struct skiff_net *net);

/* forward.c */
int net_forward_start (struct skiff_net *net, skiff_error_t *err);

int64_t net_now_ms (void);

#endif
