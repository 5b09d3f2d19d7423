/* Helpers of the harnesses (fuzz.h). */
#include "fuzz.h"

const char *
fuzz_tmpdir (void)
{
  static char *dir;
  if (dir == NULL)
    {
      const char *t = getenv ("TMPDIR");
      dir = xasprintf ("%s/skiff-fuzz-XXXXXX", t && t[0] ? t : "/tmp");
      if (mkdtemp (dir) == NULL)
        abort ();
    }
  return dir;
}
