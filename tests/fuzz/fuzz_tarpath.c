/* The tar path normaliser of layers and `load` (util/tarpath.h), against its promises: a result never holds
 * "..", ".", an empty component or a leading or trailing "/", normalising it again changes nothing, and a
 * link target resolves inside the archive or not at all. */
#include "fuzz.h"
#include "util/tarpath.h"

static void
check_clean (const char *raw, const char *p)
{
  if (p[0] == '/' || (p[0] && p[strlen (p) - 1] == '/') || strstr (p, "//"))
    abort ();
  for (const char *c = p; *c;)
    {
      size_t n = strcspn (c, "/");
      if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
        {
          fprintf (stderr, "`%s` -> `%s`\n", raw, p);
          abort ();
        }
      c += n + (c[n] == '/');
    }
  char *again = NULL;
  if (skiff_tar_path_clean (p, &again) < 0 || strcmp (again, p) != 0)
    abort ();
  free (again);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  cleanup_free char *a = NULL, *b = NULL;
  fuzz_split (data, size, &a, &b);
  char *p = NULL;
  int r = skiff_tar_path_clean (a, &p);
  if ((r == 0) != (p != NULL) || (r < 0 && r != -EPERM && r != -ENAMETOOLONG))
    abort ();
  if (p)
    {
      check_clean (a, p);
      char *link = NULL;
      if (skiff_tar_link_resolve (p, b, &link) == 0)
        {
          check_clean (b, link);
          free (link);
        }
      free (p);
    }
  return 0;
}
