/* The native overlay driver: the kernel's overlayfs with `userxattr` (mountable in a user namespace since
 * Linux 5.11), mounted in the caller's mount namespace. */
#include "storage/store_internal.h"

#include <fcntl.h>
#include <sys/mount.h>

#define OVERLAY_EXTRA_OPTIONS "userxattr"

static int
overlay_probe (struct skiff_store *s, skiff_error_t *err)
{
  cleanup_free char *tmp = NULL;
  if (store_mkdtemp_at (s->rootfd, &tmp, err) < 0)
    return skiff_error_wrap (err, "probe overlay under `%s`", s->root);
  cleanup_free char *base = xasprintf ("%s/%s", s->root, tmp);
  static const char *const dirs[] = { "lower", "upper", "work", "merged" };
  int r = 0;
  for (size_t i = 0; r == 0 && i < ARRAY_SIZE (dirs); i++)
    {
      cleanup_free char *p = xasprintf ("%s/%s", tmp, dirs[i]);
      if (mkdirat (s->rootfd, p, 0700) < 0)
        r = skiff_error_set (err, errno, "probe overlay: create `%s/%s`", s->root, p);
    }
  if (r == 0)
    {
      cleanup_free char *opts
          = xasprintf ("lowerdir=%s/lower,upperdir=%s/upper,workdir=%s/work," OVERLAY_EXTRA_OPTIONS, base, base, base);
      cleanup_free char *merged = xasprintf ("%s/merged", base);
      if (strchr (base, ',') || strchr (base, ':'))
        r = skiff_error_set_status (err, EINVAL, "the storage root `%s` contains `,` or `:`", s->root);
      else if (mount ("overlay", merged, "overlay", 0, opts) < 0)
        r = skiff_error_set (err, errno, "mount overlay (needs Linux 5.11 or later in a user namespace)");
      else
        umount2 (merged, MNT_DETACH);
    }
  skiff_error_t e2 = NULL;
  if (rm_rf_at (s->rootfd, tmp, &e2) < 0)
    {
      log_warning ("cannot remove the probe directory `%s`: %s", base, e2->msg);
      skiff_error_release (&e2);
    }
  return r;
}

int
store_overlay_create (struct skiff_store *s, int cdirfd, char *const *layers, skiff_error_t *err)
{
  if (mkdirat (cdirfd, CONTAINER_DIFF, 0755) < 0 || mkdirat (cdirfd, CONTAINER_WORK, 0700) < 0
      || mkdirat (cdirfd, CONTAINER_MERGED, 0755) < 0)
    return skiff_error_set (err, errno, "create the container layer directories");
  size_t n = strv_len (layers);
  if (n == 0)
    return 0;
  /* the merged root takes the upper directory's attributes: give it the top layer's */
  cleanup_free char *top = xasprintf (STORE_LAYERS "/%s/" LAYER_DIFF, layers[n - 1]);
  struct stat st;
  if (fstatat (s->rootfd, top, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return skiff_error_set (err, errno, "stat the layer `%s/%s`", s->root, top);
  cleanup_close int ufd = openat (cdirfd, CONTAINER_DIFF, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (ufd < 0)
    return skiff_error_set (err, errno, "open the container's upper directory");
  skiff_error_t e2 = NULL;
  if (unpack_chown (ufd, "", st.st_uid, st.st_gid, AT_EMPTY_PATH, &e2) < 0)
    skiff_error_release (&e2);
  fchmod (ufd, st.st_mode & 07777);
  return 0;
}

static int
overlay_mount (struct skiff_store *s, const char *cid, char *const *layers, char **path, skiff_error_t *err)
{
  cleanup_free char *merged = xasprintf ("%s/" STORE_CONTAINERS "/%s/" CONTAINER_MERGED, s->root, cid);
  if (store_is_mountpoint (merged))
    {
      *path = steal_pointer (&merged);
      return 0;
    }
  cleanup_free char *opts = NULL;
  bool relative = false;
  if (store_overlay_options (s, cid, layers, OVERLAY_EXTRA_OPTIONS, true, &opts, &relative, err) < 0)
    return -1;
  int r = 0;
  if (!relative)
    {
      if (mount ("overlay", merged, "overlay", 0, opts) < 0)
        r = skiff_error_set (err, errno, "mount overlay on `%s`", merged);
    }
  else
    {
      /* relative paths resolve against the cwd of the mounting process: borrow it for the call
       * (the one process-wide side effect of storage, and why mounts are not done from threads) */
      cleanup_close int cwd = open (".", O_PATH | O_DIRECTORY | O_CLOEXEC);
      cleanup_free char *rel_merged = xasprintf (STORE_CONTAINERS "/%s/" CONTAINER_MERGED, cid);
      if (fchdir (s->rootfd) < 0)
        return skiff_error_set (err, errno, "chdir to `%s`", s->root);
      if (mount ("overlay", rel_merged, "overlay", 0, opts) < 0)
        r = skiff_error_set (err, errno, "mount overlay on `%s` (with short layer links)", merged);
      if (cwd < 0 || fchdir (cwd) < 0)
        (void) chdir ("/");
    }
  if (r < 0)
    return r;
  *path = steal_pointer (&merged);
  return 0;
}

static int
overlay_unmount (struct skiff_store *s, const char *cid, skiff_error_t *err)
{
  cleanup_free char *merged = xasprintf ("%s/" STORE_CONTAINERS "/%s/" CONTAINER_MERGED, s->root, cid);
  return store_unmount_path (merged, err);
}

const struct skiff_driver skiff_driver_overlay = {
  .name = "overlay",
  .probe = overlay_probe,
  .create = store_overlay_create,
  .mount = overlay_mount,
  .unmount = overlay_unmount,
  .remove = store_container_remove,
};
