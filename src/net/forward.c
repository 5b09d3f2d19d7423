/* Published ports, forwarded as rootlesskit's port driver does for podman: the host's sockets are bound by
 * the holder of the network (in the host's network namespace) and every connection (TCP) or peer (UDP) gets
 * a socket of its own made inside the container's network namespace, connected to the container's port on
 * its own address (10.0.2.100). This thread joins the container's namespace (setns applies to one thread), so what it creates
 * starts there, while the listeners it inherited stay on the host. TCP bytes move with splice(2) through a
 * pipe per direction, never through user memory: that is where the throughput comes from. */
#include "net/net_internal.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>

#define SPLICE_CHUNK (1 << 19)
#define PIPE_SIZE (1 << 19)
#define ACCEPTS_PER_ROUND 16
#define DATAGRAMS_PER_ROUND 64
#define UDP_FLOWS_MAX 1024
#define UDP_IDLE_MS 60000
#define UDP_DATAGRAM_MAX 65536
#define POLL_TIMEOUT_MS 1000
#define ACCEPT_BACKOFF_MS 100

struct tcp_conn
{
  int fd[2];      /* 0: the host's side (accepted), 1: the container's side */
  int pipe[2][2]; /* pipe[d] carries direction d: from fd[d] to fd[1 - d] */
  size_t pending[2];
  bool eof[2], shut[2];
  bool connecting;
};

struct udp_flow
{
  size_t listener;
  struct sockaddr_in peer;
  int fd; /* in the container's namespace, connected to its port */
  int64_t last;
};

struct fwd
{
  struct skiff_net *net;
  int64_t *paused_until; /* per listener: out of descriptors, accept later (a listener left in the poll set
                          * would wake it at once, forever) */
  struct tcp_conn **conns;
  size_t nconns;
  struct udp_flow *flows;
  size_t nflows;
  uint8_t *dgram;
};

static void
tcp_close (struct tcp_conn *c, bool reset)
{
  if (reset && c->fd[0] >= 0)
    {
      struct linger l = { 1, 0 };
      setsockopt (c->fd[0], SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
  for (int i = 0; i < 2; i++)
    {
      if (c->fd[i] >= 0)
        close (c->fd[i]);
      for (int j = 0; j < 2; j++)
        if (c->pipe[i][j] >= 0)
          close (c->pipe[i][j]);
    }
  free (c);
}

/* to the container's own address (10.0.2.100), as podman's rootlesskit port driver connects (its ChildIP): the
 * container sees connections come from that address, and a server bound to it (or to any address) answers */
static int
inner_socket (const struct skiff_net *net, int type, uint16_t port, bool *in_progress)
{
  int fd = socket (AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return -1;
  struct sockaddr_in sa = { .sin_family = AF_INET,
                            .sin_port = htons (port),
                            .sin_addr = skiff_net_addr (&net->opt, SKIFF_NET_CONTAINER) };
  *in_progress = false;
  if (connect (fd, (struct sockaddr *) &sa, sizeof sa) < 0)
    {
      if (errno != EINPROGRESS)
        {
          close (fd);
          return -1;
        }
      *in_progress = true;
    }
  return fd;
}

static void
tcp_accept (struct fwd *f, size_t li, int64_t now)
{
  const struct net_listener *l = &f->net->listeners[li];
  for (int i = 0; i < ACCEPTS_PER_ROUND; i++)
    {
      int fd = accept4 (l->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0)
        {
          if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
            f->paused_until[li] = now + ACCEPT_BACKOFF_MS;
          return;
        }
      struct tcp_conn *c = xmalloc0 (sizeof *c);
      c->fd[0] = fd;
      c->pipe[0][0] = c->pipe[0][1] = c->pipe[1][0] = c->pipe[1][1] = -1;
      c->fd[1] = inner_socket (f->net, SOCK_STREAM, l->port.container_port, &c->connecting);
      if (c->fd[1] < 0)
        {
          int e = errno;
          tcp_close (c, true);
          if (e == EMFILE || e == ENFILE)
            {
              f->paused_until[li] = now + ACCEPT_BACKOFF_MS;
              return;
            }
          continue;
        }
      f->conns = xrealloc (f->conns, (f->nconns + 1) * sizeof *f->conns);
      f->conns[f->nconns++] = c;
    }
}

static int
tcp_connected (struct tcp_conn *c)
{
  int e = 0;
  socklen_t len = sizeof e;
  if (getsockopt (c->fd[1], SOL_SOCKET, SO_ERROR, &e, &len) < 0 || e != 0)
    return -1;
  for (int d = 0; d < 2; d++)
    {
      if (pipe2 (c->pipe[d], O_CLOEXEC | O_NONBLOCK) < 0)
        return -1;
      fcntl (c->pipe[d][1], F_SETPIPE_SZ, PIPE_SIZE); /* best effort: limited by fs.pipe-max-size */
    }
  c->connecting = false;
  return 0;
}

/* Move what can move in direction d without blocking. -1: the connection is broken; 0: nothing moved; 1: some
 * bytes moved or a side was shut. */
static int
tcp_pump (struct tcp_conn *c, int d)
{
  int moved = 0;
  for (;;)
    {
      bool progress = false;
      if (c->pending[d] == 0 && !c->eof[d])
        {
          ssize_t n = splice (c->fd[d], NULL, c->pipe[d][1], NULL, SPLICE_CHUNK, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
          if (n > 0)
            {
              c->pending[d] += (size_t) n;
              progress = true;
            }
          else if (n == 0)
            c->eof[d] = true;
          else if (errno != EAGAIN)
            return -1;
        }
      if (c->pending[d] > 0)
        {
          ssize_t n
              = splice (c->pipe[d][0], NULL, c->fd[1 - d], NULL, c->pending[d], SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
          if (n > 0)
            {
              c->pending[d] -= (size_t) n;
              progress = true;
            }
          else if (n < 0 && errno != EAGAIN)
            return -1;
        }
      if (c->eof[d] && c->pending[d] == 0 && !c->shut[d])
        {
          shutdown (c->fd[1 - d], SHUT_WR);
          c->shut[d] = true;
          progress = true;
        }
      if (!progress)
        return moved;
      moved = 1;
    }
}

static short
tcp_events (const struct tcp_conn *c, int fd_index)
{
  if (c->connecting)
    return fd_index == 1 ? POLLOUT : 0;
  short ev = 0;
  /* fd i is read for direction i and written for direction 1 - i */
  if (c->pending[fd_index] == 0 && !c->eof[fd_index])
    ev |= POLLIN;
  if (c->pending[1 - fd_index] > 0)
    ev |= POLLOUT;
  return ev;
}

static struct udp_flow *
udp_flow_for (struct fwd *f, size_t li, const struct sockaddr_in *peer, int64_t now)
{
  for (size_t i = 0; i < f->nflows; i++)
    if (f->flows[i].listener == li && f->flows[i].peer.sin_addr.s_addr == peer->sin_addr.s_addr
        && f->flows[i].peer.sin_port == peer->sin_port)
      return &f->flows[i];
  if (f->nflows == UDP_FLOWS_MAX)
    {
      /* a flood of peers: the one idle longest makes room */
      size_t oldest = 0;
      for (size_t i = 1; i < f->nflows; i++)
        if (f->flows[i].last < f->flows[oldest].last)
          oldest = i;
      close (f->flows[oldest].fd);
      f->flows[oldest] = f->flows[--f->nflows];
    }
  bool in_progress;
  int fd = inner_socket (f->net, SOCK_DGRAM, f->net->listeners[li].port.container_port, &in_progress);
  if (fd < 0)
    return NULL;
  f->flows = xrealloc (f->flows, (f->nflows + 1) * sizeof *f->flows);
  f->flows[f->nflows] = (struct udp_flow){ .listener = li, .peer = *peer, .fd = fd, .last = now };
  return &f->flows[f->nflows++];
}

static void
udp_from_host (struct fwd *f, size_t li, int64_t now)
{
  int lfd = f->net->listeners[li].fd;
  for (int i = 0; i < DATAGRAMS_PER_ROUND; i++)
    {
      struct sockaddr_in peer;
      socklen_t plen = sizeof peer;
      ssize_t n = recvfrom (lfd, f->dgram, UDP_DATAGRAM_MAX, MSG_DONTWAIT, (struct sockaddr *) &peer, &plen);
      if (n < 0)
        return;
      struct udp_flow *fl = udp_flow_for (f, li, &peer, now);
      if (fl == NULL)
        continue;
      fl->last = now;
      (void) send (fl->fd, f->dgram, (size_t) n, MSG_DONTWAIT);
    }
}

static void
udp_from_container (struct fwd *f, struct udp_flow *fl, int64_t now)
{
  for (int i = 0; i < DATAGRAMS_PER_ROUND; i++)
    {
      ssize_t n = recv (fl->fd, f->dgram, UDP_DATAGRAM_MAX, MSG_DONTWAIT);
      if (n < 0 && errno == ECONNREFUSED)
        continue; /* the error is taken; datagrams may still be queued */
      if (n < 0)
        return;
      fl->last = now;
      (void) sendto (f->net->listeners[fl->listener].fd, f->dgram, (size_t) n, MSG_DONTWAIT,
                     (struct sockaddr *) &fl->peer, sizeof fl->peer);
    }
}

static void *
forward_thread (void *arg)
{
  struct fwd f = { .net = arg, .dgram = xmalloc (UDP_DATAGRAM_MAX) };
  struct skiff_net *net = f.net;
  f.paused_until = xmalloc0 ((net->nlisteners + 1) * sizeof *f.paused_until);
  struct pollfd *pfd = NULL;
  size_t apfd = 0;
  for (;;)
    {
      size_t need = 1 + net->nlisteners + 2 * f.nconns + f.nflows;
      if (need > apfd)
        {
          apfd = need * 2;
          pfd = xrealloc (pfd, apfd * sizeof *pfd);
        }
      size_t n = 0;
      int64_t before = net_now_ms ();
      int timeout = POLL_TIMEOUT_MS;
      pfd[n++] = (struct pollfd){ .fd = net->stop_pipe[0], .events = POLLIN };
      for (size_t i = 0; i < net->nlisteners; i++)
        {
          bool paused = f.paused_until[i] > before;
          /* a negative fd is skipped by poll: the slot stays, so indexes still match */
          pfd[n++] = (struct pollfd){ .fd = paused ? -1 : net->listeners[i].fd, .events = POLLIN };
          if (paused && f.paused_until[i] - before < timeout)
            timeout = (int) (f.paused_until[i] - before);
        }
      size_t conn_base = n;
      for (size_t i = 0; i < f.nconns; i++)
        for (int k = 0; k < 2; k++)
          pfd[n++] = (struct pollfd){ .fd = f.conns[i]->fd[k], .events = tcp_events (f.conns[i], k) };
      size_t flow_base = n;
      for (size_t i = 0; i < f.nflows; i++)
        pfd[n++] = (struct pollfd){ .fd = f.flows[i].fd, .events = POLLIN };
      int r = poll (pfd, n, timeout);
      if (r < 0 && errno != EINTR)
        break;
      if (r > 0 && pfd[0].revents)
        break;
      int64_t now = net_now_ms ();
      /* connections first (their slots match the poll set), then new ones */
      for (size_t i = f.nconns; i-- > 0;)
        {
          struct tcp_conn *c = f.conns[i];
          short re0 = pfd[conn_base + 2 * i].revents, re1 = pfd[conn_base + 2 * i + 1].revents;
          if (r <= 0 || (re0 == 0 && re1 == 0))
            continue;
          bool broken = false;
          if (c->connecting)
            broken = tcp_connected (c) < 0;
          if (!broken && !c->connecting)
            {
              int p0 = tcp_pump (c, 0), p1 = p0 < 0 ? -1 : tcp_pump (c, 1);
              broken = p0 < 0 || p1 < 0;
              /* an error or a hang-up that moves nothing (a reset after one side's end of file) would be
               * reported by every poll from now on: the connection is over */
              if (!broken && p0 == 0 && p1 == 0 && ((re0 | re1) & (POLLERR | POLLHUP)))
                broken = true;
            }
          if (broken || (c->shut[0] && c->shut[1]))
            {
              tcp_close (c, broken);
              f.conns[i] = f.conns[--f.nconns];
            }
        }
      for (size_t i = f.nflows; i-- > 0;)
        {
          /* POLLERR too: a refused datagram (nothing listens in the container) leaves an error on the socket
           * that poll reports until a recv takes it, and would otherwise wake this loop forever */
          if (r > 0 && (pfd[flow_base + i].revents & (POLLIN | POLLERR)))
            udp_from_container (&f, &f.flows[i], now);
          if (now - f.flows[i].last > UDP_IDLE_MS)
            {
              close (f.flows[i].fd);
              f.flows[i] = f.flows[--f.nflows];
            }
        }
      for (size_t i = 0; r > 0 && i < net->nlisteners; i++)
        {
          if (pfd[1 + i].revents & POLLERR)
            {
              int e = 0;
              socklen_t elen = sizeof e;
              getsockopt (net->listeners[i].fd, SOL_SOCKET, SO_ERROR, &e, &elen); /* taken, so poll rests */
            }
          if (!(pfd[1 + i].revents & POLLIN))
            continue;
          {
            if (net->listeners[i].port.udp)
              udp_from_host (&f, i, now);
            else
              tcp_accept (&f, i, now);
          }
        }
    }
  for (size_t i = 0; i < f.nconns; i++)
    tcp_close (f.conns[i], true);
  for (size_t i = 0; i < f.nflows; i++)
    close (f.flows[i].fd);
  free (f.conns);
  free (f.flows);
  free (f.paused_until);
  free (f.dgram);
  free (pfd);
  return NULL;
}

struct start_arg
{
  struct skiff_net *net;
  int result[2]; /* the thread reports whether it could join the namespace */
};

static void *
forward_entry (void *arg)
{
  struct start_arg *a = arg;
  struct skiff_net *net = a->net;
  int e = setns (net->netns_fd, CLONE_NEWNET) < 0 ? errno : 0;
  (void) write_all (a->result[1], &e, sizeof e);
  if (e != 0)
    return NULL;
  return forward_thread (net);
}

int
net_forward_start (struct skiff_net *net, skiff_error_t *err)
{
  struct start_arg a = { .net = net };
  if (pipe2 (a.result, O_CLOEXEC) < 0)
    return skiff_error_set (err, errno, "pipe");
  int e = pthread_create (&net->fwd_thread, NULL, forward_entry, &a);
  if (e == 0)
    {
      int te = EIO;
      if (read_all (a.result[0], &te, sizeof te) != (ssize_t) sizeof te)
        te = EIO;
      if (te != 0)
        {
          pthread_join (net->fwd_thread, NULL);
          e = te;
        }
    }
  close (a.result[0]);
  close (a.result[1]);
  if (e != 0)
    return skiff_error_set (err, e, "enter the container's network namespace to forward its ports");
  net->fwd_running = true;
  return 0;
}
