/* The container's end of the network: a tap device in its network namespace, configured as slirp4netns
 * configures it (10.0.2.100/24 via 10.0.2.2, MTU 65520). Runs in the container child before it execs. */
#include "net/net.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <net/route.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#define TUN_PATH "/dev/net/tun"

static int
set_addr (int s, unsigned long req, const char *what, struct in_addr a, skiff_error_t *err)
{
  struct ifreq ifr = { 0 };
  snprintf (ifr.ifr_name, sizeof ifr.ifr_name, "%s", SKIFF_NET_TAP_NAME);
  struct sockaddr_in *sin = (struct sockaddr_in *) &ifr.ifr_addr;
  sin->sin_family = AF_INET;
  sin->sin_addr = a;
  if (ioctl (s, req, &ifr) < 0)
    return skiff_error_set (err, errno, "set the %s of %s", what, SKIFF_NET_TAP_NAME);
  return 0;
}

/* IPv6 comes from slirp's router advertisements; duplicate address detection would only delay it */
static void
write_sysctl (const char *path, const char *value)
{
  int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd >= 0)
    {
      (void) write_all (fd, value, strlen (value));
      close (fd);
    }
}

int
skiff_net_tun_check (skiff_error_t *err)
{
  const char *path = getenv ("SKIFF_TUN_PATH");
  if (path == NULL || *path == '\0')
    path = TUN_PATH;
  int fd = open (path, O_RDWR | O_CLOEXEC);
  if (fd >= 0)
    {
      close (fd);
      return 0;
    }
  int e = errno;
  if (e == EACCES || e == EPERM)
    return skiff_error_set_status (err, e,
                                   "cannot open %s: %s: rootless networking needs the tun device, which this host "
                                   "keeps from users (ask an administrator for `chmod 0666 %s`, its mode on a default "
                                   "Debian host), or use --network none or --network host",
                                   path, strerror (e), path);
  return skiff_error_set_status (err, e,
                                 "cannot open %s: %s: rootless networking needs the tun device (load the `tun` kernel "
                                 "module), or use --network none or --network host",
                                 path, strerror (e));
}

int
skiff_net_tap_setup (const struct skiff_net_options *o, int *tap_fd, skiff_error_t *err)
{
  const char *path = getenv ("SKIFF_TUN_PATH");
  if (path == NULL || *path == '\0')
    path = TUN_PATH;
  cleanup_close int fd = open (path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    {
      int e = errno;
      if (e == EACCES || e == EPERM)
        return skiff_error_set_status (err, e,
                                       "cannot open %s: %s: rootless networking needs the tun device; on this host "
                                       "it is not open to users (ask an administrator for `chmod 0666 %s`, as on "
                                       "a default Debian host), or run with --network none or --network host",
                                       path, strerror (e), path);
      if (e == ENOENT || e == ENODEV || e == ENXIO)
        return skiff_error_set_status (err, e,
                                       "cannot open %s: %s: rootless networking needs the tun device (load the `tun` "
                                       "kernel module), or run with --network none or --network host",
                                       path, strerror (e));
      return skiff_error_set (err, e, "open %s", path);
    }
  struct ifreq ifr = { 0 };
  snprintf (ifr.ifr_name, sizeof ifr.ifr_name, "%s", SKIFF_NET_TAP_NAME);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  if (ioctl (fd, TUNSETIFF, &ifr) < 0)
    return skiff_error_set (err, errno, "create the tap device %s (TUNSETIFF on %s)", SKIFF_NET_TAP_NAME, path);

  /* Persistent: when the holder closes its fd at the container's end, the device is not torn down right
   * there (unregistering a netdev waits for RCU: about 18 ms on the critical path of every run --rm); it goes
   * with the network namespace, which the kernel dismantles in the background. */
  if (ioctl (fd, TUNSETPERSIST, 1) < 0)
    return skiff_error_set (err, errno, "make %s persistent", SKIFF_NET_TAP_NAME);
  cleanup_close int s = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    return skiff_error_set (err, errno, "socket");
  /* podman's default sysctl: ping (ICMP datagram sockets) for root in the container without CAP_NET_RAW */
  write_sysctl ("/proc/sys/net/ipv4/ping_group_range", "0 0");
  if (o->enable_ipv6)
    write_sysctl ("/proc/sys/net/ipv6/conf/" SKIFF_NET_TAP_NAME "/accept_dad", "0");
  else
    write_sysctl ("/proc/sys/net/ipv6/conf/" SKIFF_NET_TAP_NAME "/disable_ipv6", "1");
  ifr = (struct ifreq){ 0 };
  snprintf (ifr.ifr_name, sizeof ifr.ifr_name, "%s", SKIFF_NET_TAP_NAME);
  ifr.ifr_mtu = (int) o->mtu;
  if (ioctl (s, SIOCSIFMTU, &ifr) < 0)
    return skiff_error_set (err, errno, "set the MTU of %s to %u", SKIFF_NET_TAP_NAME, o->mtu);
  if (o->mac_set)
    {
      ifr = (struct ifreq){ 0 };
      snprintf (ifr.ifr_name, sizeof ifr.ifr_name, "%s", SKIFF_NET_TAP_NAME);
      ifr.ifr_hwaddr.sa_family = 1; /* ARPHRD_ETHER */
      memcpy (ifr.ifr_hwaddr.sa_data, o->mac, sizeof o->mac);
      if (ioctl (s, SIOCSIFHWADDR, &ifr) < 0)
        return skiff_error_set (err, errno, "set the MAC address of %s", SKIFF_NET_TAP_NAME);
    }
  if (set_addr (s, SIOCSIFADDR, "address", skiff_net_addr (o, SKIFF_NET_CONTAINER), err) < 0
      || set_addr (s, SIOCSIFNETMASK, "netmask", o->netmask, err) < 0)
    return -1;
  ifr = (struct ifreq){ 0 };
  snprintf (ifr.ifr_name, sizeof ifr.ifr_name, "%s", SKIFF_NET_TAP_NAME);
  if (ioctl (s, SIOCGIFFLAGS, &ifr) < 0)
    return skiff_error_set (err, errno, "read the flags of %s", SKIFF_NET_TAP_NAME);
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl (s, SIOCSIFFLAGS, &ifr) < 0)
    return skiff_error_set (err, errno, "bring %s up", SKIFF_NET_TAP_NAME);

  struct rtentry rt = { 0 };
  struct sockaddr_in *dst = (struct sockaddr_in *) &rt.rt_dst;
  struct sockaddr_in *gw = (struct sockaddr_in *) &rt.rt_gateway;
  struct sockaddr_in *mask = (struct sockaddr_in *) &rt.rt_genmask;
  dst->sin_family = gw->sin_family = mask->sin_family = AF_INET;
  gw->sin_addr = skiff_net_addr (o, SKIFF_NET_GATEWAY);
  rt.rt_flags = RTF_UP | RTF_GATEWAY;
  rt.rt_dev = (char *) SKIFF_NET_TAP_NAME;
  if (ioctl (s, SIOCADDRT, &rt) < 0)
    return skiff_error_set (err, errno, "add the default route through %s", inet_ntoa (gw->sin_addr));
  *tap_fd = steal_fd (&fd);
  return 0;
}
