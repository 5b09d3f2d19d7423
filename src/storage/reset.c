/* system reset's part in storage: unmount every container's root filesystem, empty the root (all but the
 * lock file) and the run root, and lay the skeleton out again. */
#include "storage/store_internal.h"

#include <dirent.h>
#include <fcntl.h>

/* Remove every entry of the directory fd except keep (may be NULL). */
static int
empty_dir (int fd, const char *what, const char *keep, skiff_error_t *err)
{
  int dfd = fcntl (fd, F_DUPFD_CLOEXEC, 0);
  if (dfd < 0)
    return skiff_error_set (err, errno, "dup");
  DIR *d = fdopendir (dfd);
  if (d == NULL)
    {
      close (dfd);
      return skiff_error_set (err, errno, "read `%s`", what);
    }
  rewinddir (d);
  cleanup_strv char **names = NULL;
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0
        && (keep == NULL || strcmp (de->d_name, keep) != 0))
      strv_push (&names, de->d_name);
  closedir (d);
  for (size_t i = 0; names && names[i]; i++)
    if (rm_rf_at (fd, names[i], err) < 0)
      return skiff_error_wrap (err, "reset `%s`", what);
  return 0;
}

int
skiff_store_reset (struct skiff_store *s, skiff_error_t *err)
{
  if (store_lock (s, err) < 0)
    return -1;
  int r = 0;
  /* unmount first: rm_rf_at refuses to cross into a mount, which protects a still-mounted tree */
  int cfd = openat (s->rootfd, STORE_CONTAINERS, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cfd >= 0)
    {
      DIR *d = fdopendir (cfd);
      struct dirent *de;
      cleanup_strv char **ids = NULL;
      while (d && (de = readdir (d)) != NULL)
        if (de->d_name[0] != '.')
          strv_push (&ids, de->d_name);
      if (d)
        closedir (d);
      else
        close (cfd);
      for (size_t i = 0; r == 0 && ids && ids[i]; i++)
        r = skiff_store_rootfs_unmount (s, ids[i], err);
    }
  if (r == 0)
    r = empty_dir (s->rootfd, s->root, STORE_LOCK, err);
  if (r == 0 && s->runroot)
    {
      cleanup_close int rfd = open (s->runroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (rfd >= 0)
        r = empty_dir (rfd, s->runroot, NULL, err);
    }
  if (r == 0)
    r = store_make_skeleton (s, err);
  s->driver = NULL;
  store_unlock (s);
  return r;
}
