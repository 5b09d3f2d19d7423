/* libslirp, loaded with dlopen on first use (it drags in glib: no reason for `skiff ps` to pay for it), and
 * the slirp thread: the tap's frames into slirp, slirp's frames out to the tap, slirp's sockets and timers,
 * and the DNS forwarder's sockets, in one poll loop of the size slirp4netns has. */
#include "net/net_internal.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <slirp/libslirp.h>
#include <time.h>

#define LIBSLIRP_SONAME "libslirp.so.0"
#define FRAME_MAX (65536 + 64)
#define FRAMES_PER_ROUND 64
#define IDLE_TIMEOUT_MS 1000
#define IPV6_PREFIX "fd00::"
#define IPV6_PREFIX_LEN 64

struct slirp_lib
{
  void *handle;
  Slirp *(*slirp_new) (const SlirpConfig *, const SlirpCb *, void *);
  void (*slirp_cleanup) (Slirp *);
  void (*slirp_pollfds_fill) (Slirp *, uint32_t *, SlirpAddPollCb, void *);
  void (*slirp_pollfds_poll) (Slirp *, int, SlirpGetREventsCb, void *);
  void (*slirp_input) (Slirp *, const uint8_t *, int);
  void (*slirp_handle_timer) (Slirp *, SlirpTimerId, void *);
  const char *(*slirp_version_string) (void);
};

static struct slirp_lib lib;
static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static char lib_error[256];

static void
load (void)
{
  void *h = skiff_dlopen (LIBSLIRP_SONAME, lib_error, sizeof lib_error);
  if (h == NULL)
    return;
#define SYM(name)                                                                     \
  if ((*(void **) &lib.name = dlsym (h, #name)) == NULL)                              \
    {                                                                                 \
      snprintf (lib_error, sizeof lib_error, "%s has no %s", LIBSLIRP_SONAME, #name); \
      return;                                                                         \
    }
  SYM (slirp_new);
  SYM (slirp_cleanup);
  SYM (slirp_pollfds_fill);
  SYM (slirp_pollfds_poll);
  SYM (slirp_input);
  SYM (slirp_handle_timer);
  SYM (slirp_version_string);
#undef SYM
  lib.handle = h;
}

int
net_slirp_load (const struct slirp_lib **out, skiff_error_t *err)
{
  pthread_once (&lib_once, load);
  if (lib.handle == NULL)
    return skiff_error_set_status (err, ENOENT,
                                   "rootless networking needs libslirp: %s (install the libslirp0 package, or run "
                                   "with --network none or --network host)",
                                   lib_error);
  *out = &lib;
  return 0;
}

void
skiff_net_describe (char **slirp_version, char **problem)
{
  skiff_error_t err = NULL;
  const struct slirp_lib *l = NULL;
  *slirp_version = NULL;
  *problem = NULL;
  if (net_slirp_load (&l, &err) < 0)
    {
      *problem = xstrdup (err->msg);
      skiff_error_release (&err);
      return;
    }
  *slirp_version = xasprintf ("libslirp %s", l->slirp_version_string ());
  if (skiff_net_tun_check (&err) < 0)
    {
      *problem = xstrdup (err->msg);
      skiff_error_release (&err);
    }
}

int64_t
net_now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- libslirp's callbacks ---- */

static ssize_t
cb_send_packet (const void *buf, size_t len, void *opaque)
{
  struct skiff_net *net = opaque;
  /* a tap never blocks a writer for long; a frame it refuses is a dropped frame, as on a wire */
  if (net->tap_fd >= 0 && write (net->tap_fd, buf, len) < 0)
    return -1;
  return (ssize_t) len;
}

static void
cb_guest_error (const char *msg, void *opaque)
{
  log_debug ("slirp: guest error: %s", msg);
}

static int64_t
cb_clock_get_ns (void *opaque)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *
cb_timer_new (SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
  struct skiff_net *net = opaque;
  struct net_timer *t = xmalloc0 (sizeof *t);
  t->expire_ms = -1;
  t->cb = cb;
  t->cb_opaque = cb_opaque;
  t->next = net->timers;
  net->timers = t;
  return t;
}

static void *
cb_timer_new_opaque (SlirpTimerId id, void *cb_opaque, void *opaque)
{
  struct net_timer *t = cb_timer_new (NULL, cb_opaque, opaque);
  t->id = (int) id;
  t->opaque_api = true;
  return t;
}

static void
cb_timer_free (void *timer, void *opaque)
{
  struct skiff_net *net = opaque;
  for (struct net_timer **p = &net->timers; *p; p = &(*p)->next)
    if (*p == timer)
      {
        *p = (*p)->next;
        free (timer);
        return;
      }
}

static void
cb_timer_mod (void *timer, int64_t expire_ms, void *opaque)
{
  ((struct net_timer *) timer)->expire_ms = expire_ms;
}

static void
cb_register_poll_fd (int fd, void *opaque)
{
}

static void
cb_unregister_poll_fd (int fd, void *opaque)
{
}

static void
cb_notify (void *opaque)
{
}

static const SlirpCb callbacks = {
  .send_packet = cb_send_packet,
  .guest_error = cb_guest_error,
  .clock_get_ns = cb_clock_get_ns,
  .timer_new = cb_timer_new,
  .timer_free = cb_timer_free,
  .timer_mod = cb_timer_mod,
  .register_poll_fd = cb_register_poll_fd,
  .unregister_poll_fd = cb_unregister_poll_fd,
  .notify = cb_notify,
  .timer_new_opaque = cb_timer_new_opaque,
};

/* ---- the poll set ---- */

static size_t
pfd_add (struct skiff_net *net, int fd, short events)
{
  if (net->npfd == net->apfd)
    {
      net->apfd = net->apfd ? net->apfd * 2 : 64;
      net->pfd = xrealloc (net->pfd, net->apfd * sizeof *net->pfd);
    }
  net->pfd[net->npfd] = (struct pollfd){ .fd = fd, .events = events };
  return net->npfd++;
}

static int
cb_add_poll (int fd, int events, void *opaque)
{
  short ev = 0;
  if (events & SLIRP_POLL_IN)
    ev |= POLLIN;
  if (events & SLIRP_POLL_OUT)
    ev |= POLLOUT;
  if (events & SLIRP_POLL_PRI)
    ev |= POLLPRI;
  return (int) pfd_add (opaque, fd, ev);
}

static int
cb_get_revents (int idx, void *opaque)
{
  struct skiff_net *net = opaque;
  if (idx < 0 || (size_t) idx >= net->npfd)
    return 0;
  short re = net->pfd[idx].revents;
  int ev = 0;
  if (re & POLLIN)
    ev |= SLIRP_POLL_IN;
  if (re & POLLOUT)
    ev |= SLIRP_POLL_OUT;
  if (re & POLLPRI)
    ev |= SLIRP_POLL_PRI;
  if (re & POLLERR)
    ev |= SLIRP_POLL_ERR;
  if (re & POLLHUP)
    ev |= SLIRP_POLL_HUP;
  return ev;
}

static void
run_timers (struct skiff_net *net, int64_t now)
{
  /* a callback may re-arm or free timers: restart the walk after each */
  for (bool fired = true; fired;)
    {
      fired = false;
      for (struct net_timer *t = net->timers; t; t = t->next)
        if (t->expire_ms >= 0 && t->expire_ms <= now)
          {
            t->expire_ms = -1;
            if (t->opaque_api)
              net->lib->slirp_handle_timer (net->slirp, (SlirpTimerId) t->id, t->cb_opaque);
            else if (t->cb)
              t->cb (t->cb_opaque);
            fired = true;
            break;
          }
    }
}

static void *
slirp_thread (void *arg)
{
  struct skiff_net *net = arg;
  uint8_t *frame = xmalloc (FRAME_MAX);
  for (;;)
    {
      net->npfd = 0;
      pfd_add (net, net->stop_pipe[0], POLLIN);
      size_t tap_idx = pfd_add (net, net->tap_fd, POLLIN);
      net_dns_poll_add (net, pfd_add);
      int64_t now = net_now_ms ();
      uint32_t timeout = IDLE_TIMEOUT_MS;
      for (struct net_timer *t = net->timers; t; t = t->next)
        if (t->expire_ms >= 0)
          timeout = t->expire_ms <= now                         ? 0
                    : (uint32_t) (t->expire_ms - now) < timeout ? (uint32_t) (t->expire_ms - now)
                                                                : timeout;
      net->lib->slirp_pollfds_fill (net->slirp, &timeout, cb_add_poll, net);
      int r = poll (net->pfd, net->npfd, (int) timeout);
      if (r < 0 && errno != EINTR)
        break;
      if (r > 0 && net->pfd[0].revents)
        break;
      if (r > 0 && (net->pfd[tap_idx].revents & POLLIN))
        for (int i = 0; i < FRAMES_PER_ROUND; i++)
          {
            ssize_t n = read (net->tap_fd, frame, FRAME_MAX);
            if (n <= 0)
              break;
            if (!net_dns_intercept (net, frame, (size_t) n))
              net->lib->slirp_input (net->slirp, frame, (int) n);
          }
      net->lib->slirp_pollfds_poll (net->slirp, r < 0, cb_get_revents, net);
      now = net_now_ms ();
      run_timers (net, now);
      net_dns_handle (net, now);
    }
  free (frame);
  return NULL;
}

int
net_slirp_start (struct skiff_net *net, skiff_error_t *err)
{
  const struct skiff_net_options *o = &net->opt;
  SlirpConfig cfg = {
    .version = 4,
    .restricted = 0,
    .in_enabled = true,
    .vnetwork = o->network,
    .vnetmask = o->netmask,
    .vhost = skiff_net_addr (o, SKIFF_NET_GATEWAY),
    .in6_enabled = o->enable_ipv6,
    .vprefix_len = IPV6_PREFIX_LEN,
    .vdhcp_start = skiff_net_addr (o, SKIFF_NET_CONTAINER + 1),
    .vnameserver = skiff_net_addr (o, SKIFF_NET_DNS),
    .if_mtu = o->mtu,
    .if_mru = o->mtu,
    .disable_host_loopback = !o->allow_host_loopback,
    .disable_dhcp = true,
  };
  struct sockaddr_in outbound = { .sin_family = AF_INET, .sin_addr = o->outbound_addr };
  if (o->outbound_addr_set)
    cfg.outbound_addr = &outbound;
  struct sockaddr_in6 outbound6 = { .sin6_family = AF_INET6, .sin6_addr = o->outbound_addr6 };
  if (o->outbound_addr6_set)
    cfg.outbound_addr6 = &outbound6;
  inet_pton (AF_INET6, IPV6_PREFIX, &cfg.vprefix_addr6);
  inet_pton (AF_INET6, IPV6_PREFIX "2", &cfg.vhost6);
  inet_pton (AF_INET6, IPV6_PREFIX "3", &cfg.vnameserver6);
  net->slirp = net->lib->slirp_new (&cfg, &callbacks, net);
  if (net->slirp == NULL)
    return skiff_error_set_status (err, EIO, "libslirp could not set up the network");
  int e = pthread_create (&net->slirp_thread, NULL, slirp_thread, net);
  if (e != 0)
    {
      net->lib->slirp_cleanup (net->slirp);
      net->slirp = NULL;
      return skiff_error_set (err, e, "start the network thread");
    }
  net->slirp_running = true;
  return 0;
}

void
net_slirp_release (struct skiff_net *net)
{
  if (net->slirp)
    net->lib->slirp_cleanup (net->slirp);
  net->slirp = NULL;
  while (net->timers)
    {
      struct net_timer *t = net->timers;
      net->timers = t->next;
      free (t);
    }
  net_dns_release (net);
  free (net->pfd);
  net->pfd = NULL;
  net->npfd = net->apfd = 0;
}
