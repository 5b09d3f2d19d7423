/* Container root filesystems: containers/<id> holds the writable layer and what mounting needs (the image's
 * layers and the driver that built it), so a later mount does not depend on the image record. */
#include "storage/store_internal.h"

#include <fcntl.h>

char **
store_container_layers (struct skiff_store *s, const char *cid, skiff_error_t *err)
{
  cleanup_free char *path = xasprintf (STORE_CONTAINERS "/%s/" CONTAINER_LAYERS, cid);
  cleanup_free char *data = NULL;
  if (read_file_at (s->rootfd, path, &data, NULL, err) < 0)
    return NULL;
  char **layers = xmalloc0 (sizeof (char *));
  char *save = NULL;
  for (char *l = strtok_r (data, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    if (skiff_hex_id_valid (l))
      strv_push (&layers, l);
  return layers;
}

char *
skiff_storage_container_dir (const char *root, const char *id)
{
  return id ? xasprintf ("%s/" STORE_CONTAINERS "/%s", root, id) : xasprintf ("%s/" STORE_CONTAINERS, root);
}

char *
skiff_storage_container_file (const char *root, const char *id, const char *file)
{
  return xasprintf ("%s/" STORE_CONTAINERS "/%s/%s", root, id, file);
}

char *
skiff_storage_container_diff (const char *root, const char *id)
{
  return skiff_storage_container_file (root, id, CONTAINER_DIFF);
}

char *
skiff_storage_container_driver (const char *root, const char *id)
{
  cleanup_free char *path = skiff_storage_container_file (root, id, CONTAINER_DRIVER);
  char *name = NULL;
  if (read_file (path, &name, NULL, NULL) < 0)
    return NULL;
  name[strcspn (name, "\n")] = '\0';
  return name;
}

static const struct skiff_driver *
container_driver (struct skiff_store *s, const char *cid, skiff_error_t *err)
{
  cleanup_free char *path = xasprintf (STORE_CONTAINERS "/%s/" CONTAINER_DRIVER, cid);
  cleanup_free char *data = NULL;
  skiff_error_t e2 = NULL;
  if (read_file_at (s->rootfd, path, &data, NULL, &e2) < 0)
    {
      if (e2->status == ENOENT)
        skiff_error_set_status (err, ENOENT, "container %s has no root filesystem in `%s`", cid, s->root);
      else
        skiff_error_set_status (err, e2->status, "%s", e2->msg);
      skiff_error_release (&e2);
      return NULL;
    }
  data[strcspn (data, "\n")] = '\0';
  const struct skiff_driver *d = store_driver_by_name (data);
  if (d == NULL)
    skiff_error_set_status (err, EINVAL, "container %s was created by the unknown storage driver `%s`", cid, data);
  return d;
}

int
skiff_store_rootfs_create (struct skiff_store *s, const struct skiff_image *img, const char *container_id,
                           skiff_error_t *err)
{
  if (!store_valid_container_id (container_id))
    return skiff_error_set_status (err, EINVAL, "invalid container ID `%s`", container_id ? container_id : "");
  if (store_lock (s, err) < 0)
    return -1;
  int r = 0;
  cleanup_free char *tmp = NULL;
  cleanup_close int cfd = openat (s->rootfd, STORE_CONTAINERS, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  const struct skiff_driver *d = NULL;
  struct stat st;
  if (cfd < 0)
    r = skiff_error_set (err, errno, "open `%s/%s`", s->root, STORE_CONTAINERS);
  else if (fstatat (cfd, container_id, &st, AT_SYMLINK_NOFOLLOW) == 0)
    r = skiff_error_set_status (err, EEXIST, "the root filesystem of container %s already exists", container_id);
  if (r == 0)
    r = store_resolve_driver (s, &d, err);
  for (size_t i = 0; r == 0 && img->layers && img->layers[i]; i++)
    if (!store_layer_exists (s, img->layers[i]))
      r = skiff_error_set_status (err, ENOENT,
                                  "layer %s of image %.12s is missing from the store: pull or import the image "
                                  "again",
                                  img->layers[i], img->id);
  if (r == 0)
    r = store_mkdtemp_at (cfd, &tmp, err);
  if (r == 0)
    {
      cleanup_close int tfd = openat (cfd, tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      cleanup_free char *layers = xstrdup ("");
      for (size_t i = 0; img->layers && img->layers[i]; i++)
        {
          char *n = xasprintf ("%s%s\n", layers, img->layers[i]);
          free (layers);
          layers = n;
        }
      cleanup_free char *drv = xasprintf ("%s\n", d->name);
      if (tfd < 0)
        r = skiff_error_set (err, errno, "open `%s`", tmp);
      if (r == 0)
        r = write_file_at (tfd, CONTAINER_LAYERS, layers, strlen (layers), 0600, err);
      if (r == 0)
        r = write_file_at (tfd, CONTAINER_DRIVER, drv, strlen (drv), 0600, err);
      if (r == 0 && img->id)
        r = write_file_at (tfd, CONTAINER_IMAGE, img->id, strlen (img->id), 0600, err);
      if (r == 0)
        r = d->create (s, tfd, img->layers, err);
      if (r == 0 && renameat (cfd, tmp, cfd, container_id) < 0)
        r = skiff_error_set (err, errno, "publish the root filesystem of container %s", container_id);
      if (r < 0)
        {
          skiff_error_t e2 = NULL;
          rm_rf_at (cfd, tmp, &e2);
          skiff_error_release (&e2);
        }
    }
  if (r < 0)
    skiff_error_wrap (err, "create the root filesystem of container %s", container_id);
  store_unlock (s);
  return r;
}

int
skiff_store_rootfs_mount (struct skiff_store *s, const char *container_id, char **merged, skiff_error_t *err)
{
  if (!store_valid_container_id (container_id))
    return skiff_error_set_status (err, EINVAL, "invalid container ID `%s`", container_id ? container_id : "");
  if (store_lock (s, err) < 0)
    return -1;
  int r = -1;
  const struct skiff_driver *d = container_driver (s, container_id, err);
  cleanup_strv char **layers = d ? store_container_layers (s, container_id, err) : NULL;
  if (layers)
    r = d->mount (s, container_id, layers, merged, err);
  if (r < 0)
    skiff_error_wrap (err, "mount the root filesystem of container %s", container_id);
  store_unlock (s);
  return r;
}

int
skiff_store_rootfs_unmount (struct skiff_store *s, const char *container_id, skiff_error_t *err)
{
  if (!store_valid_container_id (container_id))
    return skiff_error_set_status (err, EINVAL, "invalid container ID `%s`", container_id ? container_id : "");
  if (store_lock (s, err) < 0)
    return -1;
  int r;
  skiff_error_t e2 = NULL;
  const struct skiff_driver *d = container_driver (s, container_id, &e2);
  if (d == NULL)
    {
      /* nothing of the container left (or no driver file): make sure nothing stays mounted */
      skiff_error_release (&e2);
      cleanup_free char *m = xasprintf ("%s/" STORE_CONTAINERS "/%s/" CONTAINER_MERGED, s->root, container_id);
      r = store_unmount_path (m, err);
    }
  else
    r = d->unmount (s, container_id, err);
  store_unlock (s);
  return r;
}

int
store_container_remove (struct skiff_store *s, const char *cid, skiff_error_t *err)
{
  /* rm_rf_at refuses to cross into a mount: a mount that survived would stop it rather than be emptied */
  cleanup_close int cfd = openat (s->rootfd, STORE_CONTAINERS, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cfd < 0)
    return skiff_error_set (err, errno, "open `%s/%s`", s->root, STORE_CONTAINERS);
  return store_remove_dir_atomic (cfd, cid, err);
}

int
skiff_store_rootfs_delete (struct skiff_store *s, const char *container_id, skiff_error_t *err)
{
  if (!store_valid_container_id (container_id))
    return skiff_error_set_status (err, EINVAL, "invalid container ID `%s`", container_id ? container_id : "");
  if (store_lock (s, err) < 0)
    return -1;
  int r = skiff_store_rootfs_unmount (s, container_id, err);
  skiff_error_t e2 = NULL;
  cleanup_strv char **layers = store_container_layers (s, container_id, &e2);
  bool image_exists = false;
  {
    cleanup_free char *path = xasprintf (STORE_CONTAINERS "/%s/" CONTAINER_IMAGE, container_id);
    cleanup_free char *image = NULL;
    if (read_file_at (s->rootfd, path, &image, NULL, NULL) == 0 && skiff_hex_id_valid (image))
      {
        cleanup_free char *rec = xasprintf (STORE_IMAGES "/%s", image);
        image_exists = faccessat (s->rootfd, rec, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
      }
  }
  skiff_error_release (&e2);
  const struct skiff_driver *d = r == 0 ? container_driver (s, container_id, &e2) : NULL;
  skiff_error_release (&e2);
  if (r == 0)
    r = d ? d->remove (s, container_id, err) : store_container_remove (s, container_id, err);
  /* layers of an image removed with --force while this container existed; while the image is there its
   * layers are referenced anyway, and the scan of every image and container is not worth paying for */
  if (r == 0 && layers && !image_exists)
    r = store_layers_gc_locked (s, layers, err);
  if (r < 0)
    skiff_error_wrap (err, "delete the root filesystem of container %s", container_id);
  store_unlock (s);
  return r;
}
