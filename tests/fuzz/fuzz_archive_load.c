/* `load`: the input is a whole archive (a tar, maybe compressed); its members are read as docker-archive or
 * oci-archive, every digest checked, nothing stored (no store). Whatever happens, the private temporary
 * directory is gone afterwards and nothing else is left in TMPDIR. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>

#include "fuzz.h"
#include "image/archive.h"

static int
count_entries (const char *dir)
{
  DIR *d = opendir (dir);
  if (d == NULL)
    abort ();
  int n = 0;
  for (struct dirent *de; (de = readdir (d)) != NULL;)
    n += strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0;
  closedir (d);
  return n;
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  skiff_log_level = SKIFF_LOG_ERROR;
  setenv ("TMPDIR", fuzz_tmpdir (), 1);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  int fd = memfd_create ("archive", MFD_CLOEXEC);
  if (fd < 0 || write_all (fd, data, size) < 0 || lseek (fd, 0, SEEK_SET) < 0)
    abort ();
  char **loaded = NULL;
  skiff_error_t err = NULL;
  if (skiff_image_load (NULL, fd, &loaded, NULL, &err) == 0)
    strv_free (loaded);
  skiff_error_release (&err);
  close (fd);
  if (count_entries (fuzz_tmpdir ()) != 0)
    abort (); /* load left files behind */
  return 0;
}
