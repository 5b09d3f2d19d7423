/* A static helper put into the test image: makes one system call and prints "ok" or the errno, so that
 * tests can tell a seccomp refusal (ENOSYS from podman's default action) from the kernel's own answer. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
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
