/* A static helper put into the test image: makes one system call and prints "ok" or the errno, so that
 * tests can tell a seccomp refusal (ENOSYS from podman's default action) from the kernel's own answer.
 * Also what busybox lacks for the network tests: "ping IP" (an ICMP datagram socket, as podman's
 * ping_group_range allows) and "udpecho PORT" (a UDP echo server); and "tiocsti TEXT", what a hostile image
 * does to type TEXT into the terminal it was started from (ioctl TIOCSTI on fds 0-2, a character at a time); and
 * "deeptree N", a tree of N nested directories `d` made in the current one with two descriptors at most. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
  if (argc < 2)
    {
      fprintf (stderr, "usage: sysprobe personality|getpid\n");
      return 2;
    }
  long r = -1;
  if (strcmp (argv[1], "udpecho") == 0 && argc > 2)
    {
      int fd = socket (AF_INET, SOCK_DGRAM, 0);
      struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons ((unsigned short) atoi (argv[2])) };
      if (fd < 0 || bind (fd, (struct sockaddr *) &sa, sizeof sa) < 0)
        {
          printf ("errno %d\n", errno);
          return 1;
        }
      printf ("listening\n");
      fflush (stdout);
      for (;;)
        {
          char buf[2048];
          struct sockaddr_in peer;
          socklen_t len = sizeof peer;
          ssize_t n = recvfrom (fd, buf, sizeof buf, 0, (struct sockaddr *) &peer, &len);
          if (n >= 0)
            sendto (fd, buf, (size_t) n, 0, (struct sockaddr *) &peer, len);
        }
    }
  if (strcmp (argv[1], "ping") == 0 && argc > 2)
    {
      int fd = socket (AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
      struct sockaddr_in sa = { .sin_family = AF_INET };
      struct icmphdr req = { .type = ICMP_ECHO, .un.echo.sequence = htons (1) };
      if (fd < 0 || inet_pton (AF_INET, argv[2], &sa.sin_addr) != 1
          || sendto (fd, &req, sizeof req, 0, (struct sockaddr *) &sa, sizeof sa) < 0)
        {
          printf ("errno %d\n", errno);
          return 1;
        }
      struct pollfd p = { .fd = fd, .events = POLLIN };
      char buf[256];
      if (poll (&p, 1, 3000) != 1 || recv (fd, buf, sizeof buf, 0) < (ssize_t) sizeof req
          || ((struct icmphdr *) buf)->type != ICMP_ECHOREPLY)
        {
          printf ("no reply\n");
          return 1;
        }
      printf ("ok\n");
      return 0;
    }
  if (strcmp (argv[1], "tiocsti") == 0 && argc > 2)
    {
      int typed = 0;
      for (int fd = 0; fd < 3; fd++)
        {
          int res = 0;
          for (const char *c = argv[2]; *c && res == 0; c++)
            res = ioctl (fd, TIOCSTI, c);
          printf ("fd %d: %s\n", fd, res == 0 ? "typed" : strerror (errno));
          typed += res == 0;
        }
      return typed ? 1 : 0;
    }
  if (strcmp (argv[1], "deeptree") == 0 && argc > 2)
    {
      int dir = AT_FDCWD;
      for (long i = 0, n = atol (argv[2]); i < n; i++)
        {
          int next = -1;
          if (mkdirat (dir, "d", 0755) < 0 || (next = openat (dir, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
            {
              printf ("level %ld: %s\n", i, strerror (errno));
              return 1;
            }
          if (dir != AT_FDCWD)
            close (dir);
          dir = next;
        }
      printf ("ok\n");
      return 0;
    }
  if (strcmp (argv[1], "personality") == 0)
    r = syscall (SYS_personality, (unsigned long) (PER_LINUX | ADDR_NO_RANDOMIZE));
  else if (strcmp (argv[1], "getpid") == 0)
    r = syscall (SYS_getpid);
  if (r < 0)
    {
      printf ("errno %d\n", errno);
      return 1;
    }
  printf ("ok\n");
  return 0;
}
