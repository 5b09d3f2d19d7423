/* A harness without libFuzzer: every file in the directories (or the files) named on the command line goes
 * through LLVMFuzzerTestOneInput once, in name order. Built with the normal compiler this makes each harness a
 * test of every build (under ASan and UBSan in the sanitizer build) over its seed corpus and over the crash
 * inputs kept as regressions; a crash fails the test. A directory that does not exist holds no input. */
#include <dirent.h>
#include <sys/stat.h>

#include "fuzz.h"

static int
replay_file (const char *path)
{
  cleanup_free char *data = NULL;
  size_t len = 0;
  skiff_error_t err = NULL;
  if (read_file (path, &data, &len, &err) < 0)
    {
      fprintf (stderr, "replay: %s\n", err->msg);
      skiff_error_release (&err);
      return -1;
    }
  /* an exact-size copy, so that ASan sees a read past the input */
  uint8_t *copy = xmalloc (len ? len : 1);
  memcpy (copy, data, len);
  LLVMFuzzerTestOneInput (copy, len);
  free (copy);
  return 0;
}

static int
cmp_names (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

int
main (int argc, char **argv)
{
  LLVMFuzzerInitialize (&argc, &argv);
  size_t count = 0;
  int ret = 0;
  for (int i = 1; i < argc; i++)
    {
      struct stat st;
      if (stat (argv[i], &st) < 0)
        continue;
      if (!S_ISDIR (st.st_mode))
        {
          ret |= replay_file (argv[i]) < 0;
          count++;
          continue;
        }
      DIR *d = opendir (argv[i]);
      if (d == NULL)
        continue;
      cleanup_strv char **names = NULL;
      for (struct dirent *de; (de = readdir (d)) != NULL;)
        if (de->d_name[0] != '.')
          strv_push (&names, de->d_name);
      closedir (d);
      size_t n = strv_len (names);
      if (n)
        qsort (names, n, sizeof *names, cmp_names);
      for (size_t k = 0; k < n; k++)
        {
          cleanup_free char *p = path_join (argv[i], names[k]);
          ret |= replay_file (p) < 0;
          count++;
        }
    }
  printf ("replayed %zu inputs\n", count);
  return ret;
}
