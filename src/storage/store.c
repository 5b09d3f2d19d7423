/* The store handle: opening (layout, crash cleanup), the mutation lock. The design in brief: */
/*
 * Layout under root (every path relative to one directory fd):
 *   storage.lock                     flock'ed (exclusive) by every mutation; readers take no lock
 *   blobs/sha256/<hex>               manifests and configs, content-addressed (the config's hex is the image ID)
 *   layers/<diffid-hex>/diff         a layer, extracted once and shared by every image and container using it;
 *                                    whiteouts are 0/0 char devices, opaque dirs carry user.overlay.opaque=y
 *   layers/<diffid-hex>/size         the uncompressed tar size (podman's layer size)
 *   images/<id>/image.json           the image record: names, manifest digest, layers (base first), size
 *   images/by-name/<encoded name>    symlink -> ../<id>: a name lookup is one readlink
 *   containers/<id>/{diff,work,merged}  a container's writable layer (vfs: diff holds the whole copied tree)
 *   containers/<id>/{layers,driver,image}  what the mount needs: diff IDs, the driver that built it, the image
 *   l/<short>                        short links to layer diffs when overlay options would exceed a page
 * runroot holds only the driver probe verdict (runroot/driver-probe), so that probing happens once per boot.
 *
 * Layer tarballs are not kept: the extracted diff is all that running containers need, and keeping the tar
 * would double the space of every image. The diff ID (sha256 of the uncompressed tar) is computed while
 * streaming and names the layer directory; an exporter re-creates a tar from the diff (its digest may then
 * differ from the original diff ID, as with podman's `save` of a committed image).
 *
 * Nothing unverified or half-written is ever visible: layers are extracted into layers/.tmp-*, hashed, then
 * renamed into place; image records are built in images/.tmp-* and renamed; records that change are
 * rewritten with write_file_atomic; removal renames to .tmp-* first. A crash leaves only .tmp-* entries,
 * which the next open removes (when it can take the lock without waiting: a lock holder may own them).
 * Readers never see partial state because every publication is a rename. A pull extracts its layers without
 * the lock, several at once: each layers/.tmp-* directory is created under the lock and flock'ed by its writer
 * for its whole life, so the crash cleanup (under the lock) skips a directory whose flock is held and removes
 * only true leftovers; the lock is taken again just to publish (rename) a verified layer, and a writer that
 * finds the layer already published discards its copy. An import still holds the lock while it extracts.
 *
 * Drivers (driver.c) are a table: overlay (kernel, `userxattr`), fuse-overlayfs, vfs (a copy). Layers are
 * driver-neutral (whiteouts as 0/0 devices, user.overlay.opaque), so every driver reads the same layers; a
 * container records the driver that built it. Environment: STORAGE_DRIVER (when the options name none),
 * SKIFF_TEST_DISABLE_OVERLAY=1 (test hook: the overlay probe fails).
 */
#include "storage/store_internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>

static const char *const skeleton[] = { STORE_BLOBS, STORE_LAYERS, STORE_BY_NAME, STORE_CONTAINERS, STORE_LINKS };

int
store_make_skeleton (struct skiff_store *s, skiff_error_t *err)
{
  for (size_t i = 0; i < ARRAY_SIZE (skeleton); i++)
    if (mkdir_p_at (s->rootfd, skeleton[i], 0700, err) < 0)
      return skiff_error_wrap (err, "create the storage layout under `%s`", s->root);
  return 0;
}

int
skiff_store_open (const struct skiff_store_options *opts, struct skiff_store **out, skiff_error_t *err)
{
  if (opts == NULL || opts->root == NULL || opts->root[0] != '/')
    return skiff_error_set_status (err, EINVAL, "the storage root must be an absolute path");
  if (opts->runroot && opts->runroot[0] != '/')
    return skiff_error_set_status (err, EINVAL, "the storage run root must be an absolute path");
  const char *driver = opts->driver;
  if (driver == NULL || driver[0] == '\0')
    driver = getenv ("STORAGE_DRIVER"); /* podman honours it when nothing else chose */
  if (driver && driver[0] != '\0' && store_driver_by_name (driver) == NULL)
    return skiff_error_set_status (err, EINVAL, "unknown storage driver `%s`: use overlay, fuse-overlayfs or vfs",
                                   driver);

  if (mkdir_p (opts->root, 0700, err) < 0)
    return skiff_error_wrap (err, "create the storage root");
  if (opts->runroot && mkdir_p (opts->runroot, 0700, err) < 0)
    return skiff_error_wrap (err, "create the storage run root");

  struct skiff_store *s = xmalloc0 (sizeof *s);
  s->root = xstrdup (opts->root);
  s->runroot = xstrdup (opts->runroot);
  s->lockfd = -1;
  pthread_mutexattr_t ma;
  pthread_mutexattr_init (&ma);
  pthread_mutexattr_settype (&ma, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_init (&s->lock_mutex, &ma);
  pthread_mutexattr_destroy (&ma);
  s->driver_request = (driver && driver[0]) ? xstrdup (driver) : NULL;
  s->rootfd = open (opts->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (s->rootfd < 0)
    {
      skiff_error_set (err, errno, "open the storage root `%s`", opts->root);
      skiff_store_free (s);
      return -1;
    }
  s->lockfd = openat (s->rootfd, STORE_LOCK, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (s->lockfd < 0)
    {
      skiff_error_set (err, errno, "open the storage lock `%s/%s`", opts->root, STORE_LOCK);
      skiff_store_free (s);
      return -1;
    }
  if (store_make_skeleton (s, err) < 0)
    {
      skiff_store_free (s);
      return -1;
    }
  /* leftovers of a crash: only when nobody holds the lock, since a holder may own the temporaries */
  if (flock (s->lockfd, LOCK_EX | LOCK_NB) == 0)
    {
      store_clean_temporaries (s);
      flock (s->lockfd, LOCK_UN);
    }
  *out = s;
  return 0;
}

void
skiff_store_free (struct skiff_store *s)
{
  if (s == NULL)
    return;
  if (s->rootfd >= 0)
    close (s->rootfd);
  if (s->lockfd >= 0)
    close (s->lockfd);
  free (s->root);
  free (s->runroot);
  free (s->driver_request);
  pthread_mutex_destroy (&s->lock_mutex);
  free (s);
}

const char *
skiff_store_root (struct skiff_store *s)
{
  return s->root;
}

const char *
skiff_store_runroot (struct skiff_store *s)
{
  return s->runroot;
}

void
skiff_store_set_unpack_limit (struct skiff_store *s, uint64_t bytes)
{
  s->unpack_limit = bytes;
}

int
skiff_store_driver (struct skiff_store *s, const char **name, skiff_error_t *err)
{
  const struct skiff_driver *d = NULL;
  if (store_lock (s, err) < 0)
    return -1;
  int r = store_resolve_driver (s, &d, err);
  store_unlock (s);
  if (r < 0)
    return r;
  *name = d->name;
  return 0;
}

int
store_lock (struct skiff_store *s, skiff_error_t *err)
{
  pthread_mutex_lock (&s->lock_mutex);
  if (s->lock_depth++ > 0)
    return 0;
  while (flock (s->lockfd, LOCK_EX) < 0)
    if (errno != EINTR)
      {
        int e = errno;
        s->lock_depth--;
        pthread_mutex_unlock (&s->lock_mutex);
        return skiff_error_set (err, e, "lock `%s/%s`", s->root, STORE_LOCK);
      }
  return 0;
}

void
store_unlock (struct skiff_store *s)
{
  if (s->lock_depth <= 0)
    return;
  if (--s->lock_depth == 0)
    flock (s->lockfd, LOCK_UN);
  pthread_mutex_unlock (&s->lock_mutex);
}

int
store_mkdtemp_at (int parentfd, char **name, skiff_error_t *err)
{
  for (int attempt = 0; attempt < 100; attempt++)
    {
      char rnd[65];
      if (random_hex_id (rnd, err) < 0)
        return -1;
      rnd[12] = '\0';
      char *n = xasprintf (STORE_TMP_PREFIX "%s", rnd);
      if (mkdirat (parentfd, n, 0700) == 0)
        {
          *name = n;
          return 0;
        }
      int e = errno;
      free (n);
      if (e != EEXIST)
        return skiff_error_set (err, e, "create a temporary directory");
    }
  return skiff_error_set_status (err, EEXIST, "create a temporary directory");
}

int
store_remove_dir_atomic (int parentfd, const char *name, skiff_error_t *err)
{
  char rnd[65];
  if (random_hex_id (rnd, err) < 0)
    return -1;
  rnd[12] = '\0';
  cleanup_free char *tmp = xasprintf (STORE_TMP_PREFIX "rm-%s", rnd);
  if (renameat (parentfd, name, parentfd, tmp) < 0)
    {
      if (errno == ENOENT)
        return 0;
      return skiff_error_set (err, errno, "rename `%s` for removal", name);
    }
  return rm_rf_at (parentfd, tmp, err);
}

/* Remove every entry of dir whose name contains ".tmp-" (ours and write_file_atomic's). */
static void
clean_dir (int rootfd, const char *dir)
{
  int fd = openat (rootfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return;
  DIR *d = fdopendir (fd);
  if (d == NULL)
    {
      close (fd);
      return;
    }
  cleanup_strv char **victims = NULL;
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    if (strstr (de->d_name, STORE_TMP_PREFIX) != NULL)
      strv_push (&victims, de->d_name);
  for (size_t i = 0; victims && victims[i]; i++)
    {
      /* a layer extracting in a live process: its writer holds the directory's flock (taken under the store
       * lock, which we hold, so there is no window between its creation and its flock) */
      cleanup_close int vfd = openat (dirfd (d), victims[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
      if (vfd >= 0 && flock (vfd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK)
        {
          log_debug ("kept `%s/%s`: another process is writing it", dir, victims[i]);
          continue;
        }
      skiff_error_t err = NULL;
      if (rm_rf_at (dirfd (d), victims[i], &err) < 0)
        {
          log_warning ("cannot remove the leftover `%s/%s`: %s", dir, victims[i], err->msg);
          skiff_error_release (&err);
        }
      else
        log_debug ("removed the leftover `%s/%s` of an interrupted operation", dir, victims[i]);
    }
  closedir (d);
}

void
store_clean_temporaries (struct skiff_store *s)
{
  static const char *const dirs[]
      = { ".", STORE_BLOBS, STORE_LAYERS, STORE_IMAGES, STORE_BY_NAME, STORE_CONTAINERS, STORE_LINKS };
  for (size_t i = 0; i < ARRAY_SIZE (dirs); i++)
    clean_dir (s->rootfd, dirs[i]);
}

bool
store_valid_container_id (const char *cid)
{
  if (cid == NULL || cid[0] == '\0' || strlen (cid) > 128 || cid[0] == '.')
    return false;
  for (const char *p = cid; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'
          || *p == '.'))
      return false;
  return true;
}
