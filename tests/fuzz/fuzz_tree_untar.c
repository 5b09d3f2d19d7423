/* `cp - CTR:DIR`: the input is a tar (maybe compressed) from stdin, extracted below a directory fd with a byte
 * cap (storage/treetar.c over storage/unpack.c). Whatever it holds, nothing is written beside the destination
 * directory, and the destination is removed again afterwards. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "storage/storage.h"

#define FUZZ_UNTAR_LIMIT (1 << 20)

/* the temporary directory holds "dest" and nothing else */
static void
check_only_dest (const char *dir)
{
  DIR *d = opendir (dir);
  if (d == NULL)
    abort ();
  for (struct dirent *de; (de = readdir (d)) != NULL;)
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0 && strcmp (de->d_name, "dest") != 0)
      abort (); /* a member was written outside the destination */
  closedir (d);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  skiff_log_level = SKIFF_LOG_ERROR;
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *tmp = fuzz_tmpdir ();
  int tmpfd = open (tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (tmpfd < 0 || mkdirat (tmpfd, "dest", 0700) < 0)
    abort ();
  int destfd = openat (tmpfd, "dest", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int fd = memfd_create ("tar", MFD_CLOEXEC);
  if (destfd < 0 || fd < 0 || write_all (fd, data, size) < 0 || lseek (fd, 0, SEEK_SET) < 0)
    abort ();
  skiff_error_t err = NULL;
  if (skiff_tree_untar (fd, destfd, FUZZ_UNTAR_LIMIT, &err) < 0)
    skiff_error_release (&err);
  close (fd);
  close (destfd);
  check_only_dest (tmp);
  if (rm_rf_at (tmpfd, "dest", &err) < 0)
    abort ();
  close (tmpfd);
  return 0;
}
