/* The network of one container: its published ports' sockets, bound before the container starts (so a port in
 * use is an error before anything runs), and the two threads that serve it while it runs. */
#include "net/net_internal.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/socket.h>

#define LISTEN_BACKLOG 128

static int
bind_port (struct skiff_port *p, int *out, skiff_error_t *err)
{
  const char *proto = p->udp ? "udp" : "tcp";
  cleanup_close int fd = socket (AF_INET, (p->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return skiff_error_set (err, errno, "socket");
  int one = 1;
  if (!p->udp)
    setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons (p->host_port), .sin_addr = p->host_ip };
  char ip[INET_ADDRSTRLEN];
  inet_ntop (AF_INET, &p->host_ip, ip, sizeof ip);
  if (bind (fd, (struct sockaddr *) &sa, sizeof sa) < 0)
    {
      int e = errno;
      if (e == EADDRINUSE)
        {
          /* podman's exit code for it: the container was made, its start failed (126) */
          skiff_error_set_status (err, e,
                                  "cannot publish port %u/%s: listen %s %s:%u: bind: address already in use (stop "
                                  "what uses it, or choose another host port)",
                                  p->host_port, proto, proto, ip, p->host_port);
          (*err)->exit_code = SKIFF_EXIT_CANNOT_EXEC;
          return -1;
        }
      if (e == EADDRNOTAVAIL)
        return skiff_error_set_status (err, e,
                                       "cannot publish port %u/%s: listen %s %s:%u: bind: cannot assign requested "
                                       "address (%s is not an address of this host)",
                                       p->host_port, proto, proto, ip, p->host_port, ip);
      if (e == EACCES)
        return skiff_error_set_status (err, e, "cannot publish port %u/%s: listen %s %s:%u: bind: permission denied",
                                       p->host_port, proto, proto, ip, p->host_port);
      return skiff_error_set (err, e, "cannot publish port %u/%s: bind %s:%u", p->host_port, proto, ip, p->host_port);
    }
  if (!p->udp && listen (fd, LISTEN_BACKLOG) < 0)
    return skiff_error_set (err, errno, "listen on port %u/tcp", p->host_port);
  if (p->host_port == 0)
    {
      socklen_t len = sizeof sa;
      if (getsockname (fd, (struct sockaddr *) &sa, &len) < 0)
        return skiff_error_set (err, errno, "getsockname");
      p->host_port = ntohs (sa.sin_port);
    }
  *out = steal_fd (&fd);
  return 0;
}

int
skiff_net_new (const struct skiff_net_options *o, struct skiff_port *ports, size_t nports, struct skiff_net **out,
               skiff_error_t *err)
{
  struct skiff_net *net = xmalloc0 (sizeof *net);
  net->opt = *o;
  net->tap_fd = net->netns_fd = -1;
  net->stop_pipe[0] = net->stop_pipe[1] = -1;
  for (size_t i = 0; i < NET_DNS_PENDING_MAX; i++)
    net->dns[i].fd = net->dns[i].pfd_idx = -1;
  if (net_slirp_load (&net->lib, err) < 0)
    goto fail;
  if (skiff_ports_check (ports, nports, err) < 0)
    goto fail;
  net->listeners = xmalloc0 ((nports + 1) * sizeof *net->listeners);
  for (size_t i = 0; i < nports; i++)
    {
      if (bind_port (&ports[i], &net->listeners[i].fd, err) < 0)
        goto fail;
      net->listeners[i].port = ports[i];
      net->nlisteners++;
    }
  *out = net;
  return 0;

fail:
  skiff_net_free (net);
  return -1;
}

int
skiff_net_start (struct skiff_net *net, int tap_fd, pid_t netns_pid, skiff_error_t *err)
{
  net->tap_fd = tap_fd;
  if (pipe2 (net->stop_pipe, O_CLOEXEC) < 0)
    {
      skiff_error_set (err, errno, "pipe");
      goto fail;
    }
  if (net->nlisteners > 0)
    {
      char path[64];
      snprintf (path, sizeof path, "/proc/%d/ns/net", (int) netns_pid);
      net->netns_fd = open (path, O_RDONLY | O_CLOEXEC);
      if (net->netns_fd < 0)
        {
          skiff_error_set (err, errno, "open the container's network namespace %s", path);
          goto fail;
        }
      if (net_forward_start (net, err) < 0)
        goto fail;
    }
  if (tap_fd >= 0 && net_slirp_start (net, err) < 0)
    goto fail;
  return 0;

fail:
  skiff_net_stop (net);
  return -1;
}

void
skiff_net_stop (struct skiff_net *net)
{
  if (net == NULL)
    return;
  if (net->stop_pipe[1] >= 0)
    (void) write (net->stop_pipe[1], "x", 1);
  if (net->slirp_running)
    pthread_join (net->slirp_thread, NULL);
  if (net->fwd_running)
    pthread_join (net->fwd_thread, NULL);
  net->slirp_running = net->fwd_running = false;
  net_slirp_release (net);
  for (int i = 0; i < 2; i++)
    if (net->stop_pipe[i] >= 0)
      close (net->stop_pipe[i]);
  net->stop_pipe[0] = net->stop_pipe[1] = -1;
  if (net->tap_fd >= 0)
    close (net->tap_fd);
  if (net->netns_fd >= 0)
    close (net->netns_fd);
  net->tap_fd = net->netns_fd = -1;
}

void
skiff_net_free (struct skiff_net *net)
{
  if (net == NULL)
    return;
  skiff_net_stop (net);
  for (size_t i = 0; i < net->nlisteners; i++)
    close (net->listeners[i].fd);
  free (net->listeners);
  free (net);
}
