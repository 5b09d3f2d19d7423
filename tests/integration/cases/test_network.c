/* Networking: the default slirp4netns network (tap, gateway, DNS forwarder), published TCP and UDP ports,
 * the host's loopback only when allowed, --network none/host/container:, pods, and every error before
 * anything starts. Servers run only on 127.0.0.1. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../harness.h"

#define WAIT_POLLS 100 /* 5 s */
#define WAIT_US 50000

/* GET path from 127.0.0.1:port; the whole response, or NULL */
static char *
http_get (int port, const char *path)
{
  for (int i = 0; i < WAIT_POLLS; i++)
    {
      int fd = socket (AF_INET, SOCK_STREAM, 0);
      struct sockaddr_in sa
          = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port), .sin_addr = { htonl (INADDR_LOOPBACK) } };
      struct timeval tv = { 3, 0 };
      setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      if (connect (fd, (struct sockaddr *) &sa, sizeof sa) == 0)
        {
          char req[256];
          snprintf (req, sizeof req, "GET %s HTTP/1.0\r\n\r\n", path);
          if (write (fd, req, strlen (req)) > 0)
            {
              char *buf = calloc (1, 65536);
              size_t len = 0;
              ssize_t n;
              while (len < 65535 && (n = read (fd, buf + len, 65535 - len)) > 0)
                len += (size_t) n;
              close (fd);
              /* the forwarder accepts before the container listens: an empty answer means "not yet" */
              if (len > 0)
                return buf;
              free (buf);
              usleep (WAIT_US);
              continue;
            }
        }
      close (fd);
      usleep (WAIT_US);
    }
  return NULL;
}

static void
rm_all (void)
{
  struct it_result r = SKIFF ("rm", "-f", "-a");
  it_result_free (&r);
}

static char *
port_str (int port)
{
  char *s = malloc (16);
  snprintf (s, 16, "%d", port);
  return s;
}

Test (network, default_network_is_slirp)
{
  struct it_result r = SKIFF ("run", "--rm", "busybox", "sh", "-c",
                              "ip -4 addr show tap0 | grep inet; ip route | grep default; cat /etc/resolv.conf; "
                              "grep host.containers.internal /etc/hosts; cat /sys/class/net/tap0/mtu");
  assert_ok (r);
  cr_assert (strstr (r.out, "inet 10.0.2.100/24"), "%s", r.out);
  cr_assert (strstr (r.out, "default via 10.0.2.2 dev tap0"), "%s", r.out);
  cr_assert (strstr (r.out, "nameserver 10.0.2.3"), "%s", r.out);
  cr_assert (strstr (r.out, "host.containers.internal"), "%s", r.out);
  cr_assert (strstr (r.out, "65520"), "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "busybox", "sysprobe", "ping", "10.0.2.2");
  assert_ok (r);
  cr_assert_str_eq (r.out, "ok\n");
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "--network", "slirp4netns:mtu=1500,cidr=10.9.8.0/24", "busybox", "sh", "-c",
             "ip -4 addr show tap0 | grep inet; cat /sys/class/net/tap0/mtu; cat /etc/resolv.conf");
  assert_ok (r);
  cr_assert (strstr (r.out, "10.9.8.100/24") && strstr (r.out, "1500") && strstr (r.out, "nameserver 10.9.8.3"), "%s",
             r.out);
  it_result_free (&r);
}

Test (network, published_tcp_port)
{
  int port = it_free_port ();
  char spec[64];
  snprintf (spec, sizeof spec, "127.0.0.1:%d:80", port);
  struct it_result r = SKIFF ("run", "-d", "--name", "web", "-p", spec, "busybox", "sh", "-c",
                              "echo hello-through-the-port > /tmp/index.html; exec httpd -f -p 80 -h /tmp");
  assert_ok (r);
  it_result_free (&r);
  char *body = http_get (port, "/index.html");
  cr_assert (body && strstr (body, "hello-through-the-port"), "no answer through port %d: %s", port, body ? body : "");
  free (body);
  /* a second connection, and a large one through splice */
  r = SKIFF ("exec", "web", "sh", "-c", "dd if=/dev/zero of=/tmp/big bs=1k count=2048 2>/dev/null");
  assert_ok (r);
  it_result_free (&r);
  body = http_get (port, "/big");
  cr_assert (body && strstr (body, "200 OK"), "%s", body ? body : "");
  free (body);
  /* peers that reset their connections at once do not hurt the forwarder */
  for (int i = 0; i < 200; i++)
    {
      int fd = socket (AF_INET, SOCK_STREAM, 0);
      struct sockaddr_in sa
          = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port), .sin_addr = { htonl (INADDR_LOOPBACK) } };
      struct linger l = { 1, 0 };
      setsockopt (fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
      connect (fd, (struct sockaddr *) &sa, sizeof sa);
      close (fd);
    }
  body = http_get (port, "/index.html");
  cr_assert (body && strstr (body, "hello-through-the-port"), "after 200 resets: %s", body ? body : "");
  free (body);
  /* skiff port */
  r = SKIFF ("port", "web");
  assert_ok (r);
  char want[80];
  snprintf (want, sizeof want, "80/tcp -> 127.0.0.1:%d\n", port);
  cr_assert_str_eq (r.out, want);
  it_result_free (&r);
  r = SKIFF ("port", "web", "80");
  snprintf (want, sizeof want, "127.0.0.1:%d\n", port);
  cr_assert_str_eq (r.out, want);
  it_result_free (&r);
  r = SKIFF ("port", "web", "81/udp");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "failed to find published port \"81/udp\""), "%s", r.err);
  it_result_free (&r);
  /* stopped: nobody listens any more */
  r = SKIFF ("rm", "-f", "web");
  assert_ok (r);
  it_result_free (&r);
  cr_assert (!it_port_open (port), "port %d still open after the container was removed", port);
}

Test (network, published_udp_port)
{
  int port = it_free_port ();
  char spec[64];
  snprintf (spec, sizeof spec, "%d:9999/udp", port);
  struct it_result r = SKIFF ("run", "-d", "--name", "echo", "-p", spec, "busybox", "sysprobe", "udpecho", "9999");
  assert_ok (r);
  it_result_free (&r);
  int fd = socket (AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in sa
      = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port), .sin_addr = { htonl (INADDR_LOOPBACK) } };
  connect (fd, (struct sockaddr *) &sa, sizeof sa);
  char buf[64] = "";
  bool got = false;
  for (int i = 0; i < WAIT_POLLS && !got; i++)
    {
      send (fd, "ping-udp", 8, 0);
      struct pollfd p = { .fd = fd, .events = POLLIN };
      if (poll (&p, 1, 100) == 1 && recv (fd, buf, sizeof buf - 1, 0) == 8)
        got = true;
    }
  close (fd);
  cr_assert (got, "no UDP echo through port %d", port);
  cr_assert_str_eq (buf, "ping-udp");
  rm_all ();
}

/* a one-shot TCP server on the host's loopback */
struct server
{
  int fd;
};

static void *
serve_once (void *arg)
{
  struct server *s = arg;
  for (;;)
    {
      int c = accept (s->fd, NULL, NULL);
      if (c < 0)
        return NULL;
      (void) write (c, "hello-from-host\n", 16);
      close (c);
    }
}

Test (network, host_loopback_only_when_allowed)
{
  struct server s = { socket (AF_INET, SOCK_STREAM, 0) };
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = { htonl (INADDR_LOOPBACK) } };
  socklen_t len = sizeof sa;
  cr_assert (bind (s.fd, (struct sockaddr *) &sa, sizeof sa) == 0 && listen (s.fd, 8) == 0);
  getsockname (s.fd, (struct sockaddr *) &sa, &len);
  pthread_t t;
  pthread_create (&t, NULL, serve_once, &s);
  char cmd[128];
  snprintf (cmd, sizeof cmd, "nc -w 3 10.0.2.2 %d </dev/null", ntohs (sa.sin_port));
  struct it_result r = SKIFF ("run", "--rm", "busybox", "sh", "-c", cmd);
  cr_assert (strstr (r.out, "hello-from-host") == NULL, "the host's loopback was reachable: %s", r.out);
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "--network", "slirp4netns:allow_host_loopback=true", "busybox", "sh", "-c", cmd);
  assert_ok (r);
  cr_assert (strstr (r.out, "hello-from-host"), "%s %s", r.out, r.err);
  it_result_free (&r);
  shutdown (s.fd, SHUT_RDWR);
  close (s.fd);
  pthread_join (t, NULL);
}

/* a DNS server that answers every A query with 192.0.2.77 */
static void *
dns_serve (void *arg)
{
  int fd = *(int *) arg;
  for (;;)
    {
      unsigned char q[512];
      struct sockaddr_in peer;
      socklen_t len = sizeof peer;
      ssize_t n = recvfrom (fd, q, sizeof q, 0, (struct sockaddr *) &peer, &len);
      if (n < 12)
        return NULL;
      unsigned char a[600];
      memcpy (a, q, (size_t) n);
      a[2] = 0x81; /* response, recursion desired */
      a[3] = 0x80; /* recursion available, no error */
      a[6] = 0;
      a[7] = 1; /* one answer */
      a[8] = a[9] = a[10] = a[11] = 0;
      /* answers only the query type A (1): AAAA gets an empty answer */
      size_t qend = 12;
      while (qend < (size_t) n && q[qend])
        qend += q[qend] + 1;
      qend += 5;
      unsigned qtype = (unsigned) (q[qend - 4] << 8 | q[qend - 3]);
      size_t m = qend;
      if (qtype == 1)
        {
          static const unsigned char rr[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 77 };
          memcpy (a + m, rr, sizeof rr);
          m += sizeof rr;
        }
      else
        a[7] = 0;
      sendto (fd, a, m, 0, (struct sockaddr *) &peer, len);
    }
}

Test (network, dns_forwarded_to_the_host_resolver)
{
  int fd = socket (AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = { htonl (INADDR_LOOPBACK) } };
  socklen_t len = sizeof sa;
  cr_assert (bind (fd, (struct sockaddr *) &sa, sizeof sa) == 0);
  getsockname (fd, (struct sockaddr *) &sa, &len);
  pthread_t t;
  pthread_create (&t, NULL, dns_serve, &fd);
  char env[64];
  snprintf (env, sizeof env, "SKIFF_DNS_UPSTREAM=127.0.0.1:%d", ntohs (sa.sin_port));
  struct it_result r = SKIFF_ENV (env, "run", "--rm", "busybox", "nslookup", "-type=a", "skiff.test");
  assert_ok (r);
  cr_assert (strstr (r.out, "10.0.2.3") && strstr (r.out, "192.0.2.77"), "%s", r.out);
  it_result_free (&r);
  /* --dns replaces the forwarder in resolv.conf */
  r = SKIFF ("run", "--rm", "--dns", "192.0.2.1", "--dns-search", "example.test", "--dns-option", "ndots:2", "busybox",
             "cat", "/etc/resolv.conf");
  assert_ok (r);
  cr_assert (strstr (r.out, "nameserver 192.0.2.1") && !strstr (r.out, "10.0.2.3")
                 && strstr (r.out, "search example.test") && strstr (r.out, "options ndots:2"),
             "%s", r.out);
  it_result_free (&r);
  shutdown (fd, SHUT_RDWR);
  close (fd);
  pthread_join (t, NULL);
}

/* Every mount at /sys or below it, as the container's mountinfo lists it, is read-only; count gets how many. */
static void
assert_sys_read_only (const char *mountinfo, int *count)
{
  *count = 0;
  char *copy = strdup (mountinfo);
  char *save = NULL;
  for (char *line = strtok_r (copy, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char mp[512] = "", opts[512] = "";
      if (sscanf (line, "%*s %*s %*s %*s %511s %511s", mp, opts) != 2)
        continue;
      if (strcmp (mp, "/sys") != 0 && strncmp (mp, "/sys/", 5) != 0)
        continue;
      (*count)++;
      cr_assert (strncmp (opts, "ro,", 3) == 0 || strcmp (opts, "ro") == 0, "writable below /sys: %s", line);
    }
  free (copy);
}

/* issue #9: with the host's network /sys is the host's, and its submounts (the cgroup mounts) are read-only
 * too, with mount_setattr(2) and with the per-mount fallback of older kernels */
Test (network, host_network_sys_is_read_only_recursively)
{
  const char *envs[] = { NULL, "SKIFF_TEST_NO_MOUNT_SETATTR=1" };
  for (size_t i = 0; i < sizeof envs / sizeof envs[0]; i++)
    {
      struct it_result r
          = SKIFF_ENV (envs[i], "run", "--rm", "--network", "host", "busybox", "cat", "/proc/self/mountinfo");
      assert_ok (r);
      int n;
      assert_sys_read_only (r.out, &n);
      cr_assert_gt (n, 1, "no submounts below /sys to check:\n%s", r.out);
      it_result_free (&r);
    }
  struct it_result r = SKIFF ("run", "--rm", "--network", "host", "--privileged", "busybox", "sh", "-c",
                              "grep ' /sys ' /proc/self/mountinfo");
  assert_ok (r);
  cr_assert (strstr (r.out, " /sys rw"), "--privileged: /sys stays writable: %s", r.out);
  it_result_free (&r);
}

Test (network, none_host_and_container_modes)
{
  struct it_result r = SKIFF ("run", "--rm", "--network", "none", "busybox", "ls", "/sys/class/net");
  assert_ok (r);
  cr_assert_str_eq (r.out, "lo\n");
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "--network", "host", "busybox", "ls", "/sys/class/net");
  assert_ok (r);
  cr_assert (strstr (r.out, "tap0") == NULL && strcmp (r.out, "lo\n") != 0, "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("run", "-d", "--name", "netowner", "busybox", "sh", "-c",
             "echo shared-netns > /tmp/i.html; exec httpd -f -p 8080 -h /tmp");
  assert_ok (r);
  it_result_free (&r);
  char *out = NULL;
  for (int i = 0; i < WAIT_POLLS; i++)
    {
      r = SKIFF ("run", "--rm", "--network", "container:netowner", "busybox", "sh", "-c",
                 "printf 'GET /i.html HTTP/1.0\\r\\n\\r\\n' | nc 127.0.0.1 8080");
      if (strstr (r.out, "shared-netns"))
        {
          out = strdup (r.out);
          it_result_free (&r);
          break;
        }
      it_result_free (&r);
      usleep (WAIT_US);
    }
  cr_assert (out, "no answer over the shared network namespace");
  free (out);
  r = SKIFF ("run", "--rm", "--network", "container:nosuch", "busybox", "true");
  assert_exit (r, 125);
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "--mac-address", "92:d0:c6:0a:29:33", "busybox", "cat", "/sys/class/net/tap0/address");
  assert_ok (r);
  cr_assert_str_eq (r.out, "92:d0:c6:0a:29:33\n");
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "--add-host", "db.test:192.0.2.9", "busybox", "grep", "db.test", "/etc/hosts");
  assert_ok (r);
  cr_assert (strstr (r.out, "192.0.2.9"), "%s", r.out);
  it_result_free (&r);
  rm_all ();
}

Test (network, errors_before_anything_starts)
{
  /* a port in use */
  int busy = socket (AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = { .sin_family = AF_INET };
  socklen_t len = sizeof sa;
  cr_assert (bind (busy, (struct sockaddr *) &sa, sizeof sa) == 0 && listen (busy, 1) == 0);
  getsockname (busy, (struct sockaddr *) &sa, &len);
  char spec[32];
  snprintf (spec, sizeof spec, "%d:80", ntohs (sa.sin_port));
  /* as podman: the container is made, its start fails (126) and it stays created; with --rm it goes */
  struct it_result r = SKIFF ("run", "-d", "--name", "clash", "-p", spec, "busybox", "true");
  assert_exit (r, 126);
  cr_assert (strstr (r.err, "address already in use"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "--name", "clash-rm", "-p", spec, "busybox", "true");
  assert_exit (r, 126);
  it_result_free (&r);
  r = SKIFF ("ps", "-a", "--format", "{{.Names}} {{.State}}");
  cr_assert_str_eq (r.out, "clash created\n", "only the run without --rm stays: %s", r.out);
  it_result_free (&r);
  close (busy);
  /* the port free again, it starts */
  r = SKIFF ("start", "clash");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("rm", "-f", "clash");
  it_result_free (&r);

  static const char *const bad[][2] = {
    { "80:80", "privileged port 80" },
    { "abc", "invalid containerPort" },
    { "8080-8082:80-81", "differ in length" },
    { "1.2.3:8080:80", "invalid IP address" },
    { "8080:80/sctp", "sctp" },
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      r = SKIFF ("run", "--rm", "-p", bad[i][0], "busybox", "true");
      assert_exit (r, 125);
      cr_assert (strstr (r.err, bad[i][1]), "-p %s: %s", bad[i][0], r.err);
      it_result_free (&r);
    }
  r = SKIFF ("run", "--rm", "--network", "bridge", "busybox", "true");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "not supported"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "--network", "slirp4netns:nosuch=1", "busybox", "true");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "unknown option for slirp4netns"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "--mac-address", "01:00:00:00:00:01", "busybox", "true");
  assert_exit (r, 125);
  it_result_free (&r);
  r = SKIFF ("ps", "-a", "-q");
  cr_assert_str_eq (r.out, "");
  it_result_free (&r);
}

Test (network, tun_device_unavailable)
{
  /* a device node the user may not open, as this host's /dev/net/tun (root's, 0600): a file of root's that the
   * user cannot write stands in for it (one of the user's own would be opened through CAP_DAC_OVERRIDE in the
   * user namespace). The default network falls back with a warning, an explicit one fails. */
  cr_assert (access ("/etc/passwd", W_OK) != 0, "the suite must run as an unprivileged user");
  const char *env = "SKIFF_TUN_PATH=/etc/passwd";
  struct it_result r = SKIFF_ENV (env, "run", "--rm", "busybox", "ls", "/sys/class/net");
  assert_ok (r);
  cr_assert_str_eq (r.out, "lo\n");
  cr_assert (strstr (r.err, "Permission denied") && strstr (r.err, "chmod 0666"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF_ENV (env, "run", "--rm", "--network", "slirp4netns", "busybox", "true");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "cannot open") && strstr (r.err, "--network none"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF_ENV (env, "run", "--rm", "-p", "18000:80", "busybox", "true");
  assert_exit (r, 125);
  it_result_free (&r);
  r = SKIFF_ENV ("SKIFF_TUN_PATH=/nonexistent/tun", "run", "--rm", "--network", "slirp4netns", "busybox", "true");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "tun"), "%s", r.err);
  it_result_free (&r);
}

Test (network, publish_all_and_restart_keep_the_port)
{
  struct it_result r = SKIFF ("import", "--change", "EXPOSE 8080", it_busybox_tar (), "webimg");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("run", "-d", "--name", "pall", "-P", "webimg", "sh", "-c",
             "echo exposed > /tmp/i.html; exec httpd -f -p 8080 -h /tmp");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("port", "pall", "8080");
  assert_ok (r);
  int port = atoi (strchr (r.out, ':') + 1);
  cr_assert (port > 0, "%s", r.out);
  it_result_free (&r);
  char *body = http_get (port, "/i.html");
  cr_assert (body && strstr (body, "exposed"), "%s", body ? body : "");
  free (body);
  r = SKIFF ("restart", "-t", "0", "pall");
  assert_ok (r);
  it_result_free (&r);
  body = http_get (port, "/i.html");
  cr_assert (body && strstr (body, "exposed"), "after restart: %s", body ? body : "");
  free (body);
  rm_all ();
}

Test (network, pod_shares_localhost_and_ports)
{
  int port = it_free_port ();
  char *ps = port_str (port);
  char spec[32];
  snprintf (spec, sizeof spec, "%s:80", ps);
  struct it_result r = SKIFF ("pod", "create", "--name", "pod1", "-p", spec);
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("pod", "exists", "pod1");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("pod", "ps", "--format", "{{.Name}} {{.Status}} {{.NumberOfContainers}}");
  cr_assert_str_eq (r.out, "pod1 Created 0\n");
  it_result_free (&r);
  r = SKIFF ("run", "-d", "--pod", "pod1", "--name", "podweb", "busybox", "sh", "-c",
             "echo in-the-pod > /tmp/i.html; exec httpd -f -p 80 -h /tmp");
  assert_ok (r);
  it_result_free (&r);
  char *body = http_get (port, "/i.html");
  cr_assert (body && strstr (body, "in-the-pod"), "through the pod's port: %s", body ? body : "");
  free (body);
  r = SKIFF ("run", "--rm", "--pod", "pod1", "busybox", "sh", "-c",
             "printf 'GET /i.html HTTP/1.0\\r\\n\\r\\n' | nc 127.0.0.1 80; hostname");
  assert_ok (r);
  cr_assert (strstr (r.out, "in-the-pod") && strstr (r.out, "pod1"), "%s", r.out);
  it_result_free (&r);
  /* the pod's ports are its containers' */
  r = SKIFF ("port", "-a");
  char want[64];
  snprintf (want, sizeof want, "80/tcp -> 0.0.0.0:%d", port);
  cr_assert (strstr (r.out, want), "port -a: %s", r.out);
  it_result_free (&r);
  r = SKIFF ("pod", "inspect", "--format", "{{.Name}} {{.State}} {{.NumContainers}}", "pod1");
  cr_assert_str_eq (r.out, "pod1 Running 1\n");
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "--pod", "pod1", "-p", "9999:80", "busybox", "true");
  assert_exit (r, 125);
  it_result_free (&r);
  r = SKIFF ("pod", "rm", "pod1");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "cannot be removed without force"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("pod", "stop", "-t", "0", "pod1");
  assert_ok (r);
  it_result_free (&r);
  cr_assert (!it_port_open (port), "the pod's port stays open after pod stop");
  r = SKIFF ("pod", "start", "pod1");
  assert_ok (r);
  it_result_free (&r);
  body = http_get (port, "/i.html");
  cr_assert (body && strstr (body, "in-the-pod"), "after pod start: %s", body ? body : "");
  free (body);
  r = SKIFF ("pod", "rm", "-f", "-t", "0", "pod1");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("pod", "exists", "pod1");
  assert_exit (r, 1);
  it_result_free (&r);
  r = SKIFF ("ps", "-a", "-q");
  cr_assert_str_eq (r.out, "");
  it_result_free (&r);
  cr_assert (!it_port_open (port));
  /* --pod new: */
  r = SKIFF ("run", "--rm", "--pod", "new:pod2", "busybox", "hostname");
  assert_ok (r);
  cr_assert_str_eq (r.out, "pod2\n");
  it_result_free (&r);
  r = SKIFF ("pod", "prune", "-f");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("pod", "ps", "-q");
  cr_assert_str_eq (r.out, "");
  it_result_free (&r);
  free (ps);
}

Test (network, ipv6_on_request)
{
  struct it_result r = SKIFF ("run", "--rm", "--network", "slirp4netns:enable_ipv6=true", "busybox", "sh", "-c",
                              "for i in $(seq 50); do ip -6 addr show tap0 | grep -q 'inet6 fd00:' && break; "
                              "sleep 0.1; done; ip -6 addr show tap0; ip -6 route");
  assert_ok (r);
  cr_assert (strstr (r.out, "inet6 fd00::") && strstr (r.out, "default via fe80::2"), "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "busybox", "sh", "-c", "ip -6 addr show tap0 | grep -c inet6 || true");
  cr_assert_str_eq (r.out, "0\n", "IPv6 without enable_ipv6: %s", r.out);
  it_result_free (&r);
}

static int
monitor_pid (const char *name)
{
  struct it_result r = SKIFF ("inspect", "--format", "{{.State.ConmonPid}}", name);
  int pid = r.status == 0 ? atoi (r.out) : 0;
  it_result_free (&r);
  return pid;
}

Test (network, flood_does_not_stop_stdio_and_dead_monitor_leaves_no_listener)
{
  int port = it_free_port ();
  char spec[32];
  snprintf (spec, sizeof spec, "%d:9999/udp", port);
  struct it_result r = SKIFF ("run", "-d", "--name", "chatty", "-p", spec, "busybox", "sh", "-c",
                              "i=0; while true; do i=$((i+1)); echo line-$i; sleep 0.05; done");
  assert_ok (r);
  it_result_free (&r);
  /* nobody listens on 9999 inside: every datagram is dropped at the end, after the forwarder's work */
  int fd = socket (AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in sa
      = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port), .sin_addr = { htonl (INADDR_LOOPBACK) } };
  char payload[1024] = { 0 };
  for (int i = 0; i < 50000; i++)
    sendto (fd, payload, sizeof payload, MSG_DONTWAIT, (struct sockaddr *) &sa, sizeof sa);
  close (fd);
  r = SKIFF ("logs", "chatty");
  size_t before = strlen (r.out);
  it_result_free (&r);
  usleep (500000);
  r = SKIFF ("logs", "chatty");
  cr_assert (strlen (r.out) > before, "the log stopped growing during a UDP flood");
  it_result_free (&r);
  /* a monitor killed with -9 takes its listeners with it */
  int mon = monitor_pid ("chatty");
  cr_assert (mon > 0);
  kill (mon, SIGKILL);
  usleep (200000);
  int probe = socket (AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in any = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
  cr_assert (bind (probe, (struct sockaddr *) &any, sizeof any) == 0, "port %d is still bound after the monitor died",
             port);
  close (probe);
  rm_all ();
}

Test (network, pod_share_only_some_namespaces)
{
  struct it_result r = SKIFF ("pod", "create", "--name", "halfpod", "--share", "ipc");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "--pod", "halfpod", "busybox", "sh", "-c", "hostname; ls /sys/class/net | tr '\\n' ' '");
  assert_ok (r);
  /* its own UTS and network namespaces: not the pod's hostname, a tap of its own */
  cr_assert (strncmp (r.out, "halfpod\n", 8) != 0 && strstr (r.out, "tap0"), "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("pod", "inspect", "--format", "{{.SharedNamespaces}}", "halfpod");
  cr_assert_str_eq (r.out, "[ipc]\n");
  it_result_free (&r);
  r = SKIFF ("pod", "create", "--name", "hostpod", "--network", "host");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "--pod", "hostpod", "busybox", "sh", "-c", "hostname; ls /sys/class/net | grep -c tap0");
  cr_assert_str_eq (r.out, "hostpod\n0\n", "%s %s", r.out, r.err);
  it_result_free (&r);
  r = SKIFF ("pod", "rm", "-f", "hostpod");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("pod", "create", "--share", "pid", "badpod");
  assert_exit (r, 125);
  it_result_free (&r);
  r = SKIFF ("pod", "rm", "-f", "halfpod");
  assert_ok (r);
  it_result_free (&r);
}

Test (network, pod_top_logs_and_ps_by_pod)
{
  struct it_result r = SKIFF ("pod", "create", "--name", "podq");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("run", "-d", "--pod", "podq", "--name", "podq-a", "busybox", "sh", "-c", "echo from-a; exec sleep 100");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("run", "-d", "--name", "nopod", "--network", "none", "busybox", "sleep", "100");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("ps", "--filter", "pod=podq", "--format", "{{.Names}} {{.PodName}}");
  assert_ok (r);
  cr_assert_str_eq (r.out, "podq-a podq\n");
  it_result_free (&r);
  r = SKIFF ("ps", "--pod", "--format", "{{.Names}}:{{.PodName}}", "--sort", "names");
  assert_ok (r);
  cr_assert_str_eq (r.out, "nopod:\npodq-a:podq\n");
  it_result_free (&r);
  r = SKIFF ("ps", "--pod");
  cr_assert (strstr (r.out, "POD ID") && strstr (r.out, "PODNAME"), "%s", r.out);
  it_result_free (&r);
  char *out = NULL;
  for (int i = 0; i < WAIT_POLLS && out == NULL; i++)
    {
      r = SKIFF ("pod", "logs", "podq");
      if (strstr (r.out, "from-a"))
        out = strdup (r.out);
      it_result_free (&r);
      if (!out)
        usleep (WAIT_US);
    }
  cr_assert (out, "pod logs never showed the container's output");
  /* podman prefixes each line with the container's short ID */
  r = SKIFF ("ps", "-q", "--filter", "name=podq-a");
  char want[64];
  snprintf (want, sizeof want, "%.12s from-a\n", r.out);
  it_result_free (&r);
  cr_assert_str_eq (out, want);
  free (out);
  r = SKIFF ("pod", "top", "podq");
  assert_ok (r);
  cr_assert (strstr (r.out, "COMMAND") && strstr (r.out, "sleep 100"), "%s", r.out);
  it_result_free (&r);
  /* two containers, descriptors after the pod: one header, both processes */
  r = SKIFF ("run", "-d", "--pod", "podq", "--name", "podq-b", "busybox", "sleep", "101");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("pod", "top", "podq", "pid", "args");
  assert_ok (r);
  cr_assert (strstr (r.out, "sleep 100") && strstr (r.out, "sleep 101"), "%s", r.out);
  const char *second = strstr (r.out, "PID");
  cr_assert (second && strstr (second + 3, "PID") == NULL, "one header: %s", r.out);
  it_result_free (&r);
  r = SKIFF ("pod", "top", "nosuchpod");
  assert_exit (r, 125);
  it_result_free (&r);
  r = SKIFF ("pod", "rm", "-f", "-t", "0", "podq");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("rm", "-f", "nopod");
  assert_ok (r);
  it_result_free (&r);
}

static long
cpu_ticks (int pid)
{
  char path[64], buf[1024];
  snprintf (path, sizeof path, "/proc/%d/stat", pid);
  FILE *f = fopen (path, "r");
  if (f == NULL)
    return -1;
  size_t n = fread (buf, 1, sizeof buf - 1, f);
  fclose (f);
  buf[n] = '\0';
  char *p = strrchr (buf, ')');
  long utime = 0, stime = 0;
  /* after ")": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
  sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld", &utime, &stime);
  return utime + stime;
}

/* a monitor out of file descriptors (a full table: here UDP peers hold them) neither spins on its TCP listener
 * nor stops; connections beyond what it can hold are refused */
Test (network, out_of_descriptors_backs_off)
{
  int port = it_free_port ();
  int uport = it_free_port ();
  char cmd[2048];
  snprintf (cmd, sizeof cmd,
            "ulimit -n 48; exec %s --root %s/root --runroot %s/run run -d --name lowfd -p %d:80 -p %d:9999/udp "
            "busybox sh -c 'echo fd-ok > /tmp/i.html; exec httpd -f -p 80 -h /tmp' >/dev/null",
            getenv ("SKIFF_BINARY"), it_dir (), it_dir (), port, uport);
  cr_assert_eq (system (cmd), 0, "%s", cmd);
  char *body = http_get (port, "/i.html");
  cr_assert (body && strstr (body, "fd-ok"), "%s", body ? body : "");
  free (body);
  int mon = monitor_pid ("lowfd");
  cr_assert (mon > 0);
  /* every UDP peer gets a socket of its own in the monitor: 60 peers take every descriptor it has */
  struct sockaddr_in ua
      = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) uport), .sin_addr = { htonl (INADDR_LOOPBACK) } };
  int peers[60];
  for (int i = 0; i < 60; i++)
    {
      peers[i] = socket (AF_INET, SOCK_DGRAM, 0);
      sendto (peers[i], "x", 1, 0, (struct sockaddr *) &ua, sizeof ua);
    }
  usleep (300000);
  /* TCP clients wait in the listener's backlog, which the monitor cannot accept from */
  int held[20];
  for (int i = 0; i < 20; i++)
    {
      held[i] = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      struct sockaddr_in sa
          = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port), .sin_addr = { htonl (INADDR_LOOPBACK) } };
      connect (held[i], (struct sockaddr *) &sa, sizeof sa);
    }
  usleep (300000);
  long t0 = cpu_ticks (mon);
  usleep (1000000);
  long t1 = cpu_ticks (mon);
  cr_assert (t0 >= 0 && t1 - t0 < 30, "the monitor spun while out of descriptors: %ld ticks in 1 s", t1 - t0);
  for (int i = 0; i < 20; i++)
    close (held[i]);
  for (int i = 0; i < 60; i++)
    close (peers[i]);
  rm_all ();
}

/* A connection whose container side ended and then reset (a byte sent after its end of file) reports
 * POLLERR|POLLHUP to every poll: the forwarder must close it, not spin on it */
Test (network, reset_after_end_of_file_does_not_spin)
{
  int port = it_free_port ();
  char spec[32];
  snprintf (spec, sizeof spec, "%d:8080", port);
  struct it_result r = SKIFF ("run", "-d", "--name", "halfclosed", "-p", spec, "busybox", "sh", "-c",
                              "nc -l -p 8080 -e echo hi; sleep 1000");
  assert_ok (r);
  it_result_free (&r);
  int mon = monitor_pid ("halfclosed");
  cr_assert (mon > 0);
  int fd = -1;
  char buf[64];
  ssize_t got = 0;
  for (int i = 0; i < WAIT_POLLS && got <= 0; i++)
    {
      if (fd >= 0)
        close (fd);
      fd = socket (AF_INET, SOCK_STREAM, 0);
      struct sockaddr_in sa
          = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port), .sin_addr = { htonl (INADDR_LOOPBACK) } };
      struct timeval tv = { 2, 0 };
      setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      if (connect (fd, (struct sockaddr *) &sa, sizeof sa) == 0)
        got = read (fd, buf, sizeof buf);
      if (got <= 0)
        usleep (WAIT_US);
    }
  cr_assert (got > 0 && strncmp (buf, "hi", 2) == 0, "no greeting through the port");
  while (read (fd, buf, sizeof buf) > 0)
    ;
  (void) write (fd, "x", 1); /* after the container's end of file: answered with a reset */
  usleep (300000);
  long t0 = cpu_ticks (mon);
  usleep (1000000);
  long t1 = cpu_ticks (mon);
  close (fd);
  cr_assert (t0 >= 0 && t1 - t0 < 30, "the monitor spun on a reset connection: %ld ticks in 1 s", t1 - t0);
  rm_all ();
}

static int
count_infras (void)
{
  int n = 0;
  DIR *d = opendir ("/proc");
  struct dirent *de;
  while (d && (de = readdir (d)) != NULL)
    {
      char path[300], comm[64] = "";
      snprintf (path, sizeof path, "/proc/%s/comm", de->d_name);
      FILE *f = fopen (path, "r");
      if (f == NULL)
        continue;
      if (fgets (comm, sizeof comm, f) && strcmp (comm, "skiff-infra\n") == 0)
        {
          struct stat st;
          snprintf (path, sizeof path, "/proc/%s", de->d_name);
          /* ours: the infra runs as root in our user namespace, which is our uid outside */
          if (stat (path, &st) == 0 && st.st_uid == getuid ())
            n++;
        }
      fclose (f);
    }
  if (d)
    closedir (d);
  return n;
}

/* six concurrent pod starts make one infra, and pod stop leaves none */
Test (network, concurrent_pod_starts_make_one_infra)
{
  struct it_result r = SKIFF ("pod", "create", "--name", "racepod");
  assert_ok (r);
  it_result_free (&r);
  int before = count_infras ();
  pid_t kids[6];
  for (int i = 0; i < 6; i++)
    if ((kids[i] = fork ()) == 0)
      {
        struct it_result k = SKIFF ("pod", "start", "racepod");
        _exit (k.status);
      }
  for (int i = 0; i < 6; i++)
    {
      int st;
      waitpid (kids[i], &st, 0);
      cr_assert (WIFEXITED (st) && WEXITSTATUS (st) == 0, "a pod start failed");
    }
  cr_assert_eq (count_infras (), before + 1, "infra processes: %d, before: %d", count_infras (), before);
  r = SKIFF ("pod", "rm", "-f", "racepod");
  assert_ok (r);
  it_result_free (&r);
  cr_assert_eq (count_infras (), before, "an infra outlived pod rm");
}
