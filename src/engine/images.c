/* Images as the engine sees them: looked up as run looks them up, and rmi's part that concerns containers:
 * which container uses an image (for podman's message), and with -f the removal of those containers before
 * the image goes. */
#include "engine/images.h"

#include "image/resolve.h"

int
skiff_engine_image_lookup (struct skiff_engine *e, const char *name, struct skiff_image **out, skiff_error_t *err)
{
  struct skiff_store *s;
  *out = NULL;
  if (skiff_engine_store (e, &s, err) < 0)
    return -1;
  return skiff_image_lookup (s, name, out, err);
}

struct image_users
{
  struct skiff_engine *e;
  char *ctr; /* the first container found using the image */
};

static bool
is_user (const struct skiff_container *c, const char *image_id)
{
  return c->image_id && strcmp (c->image_id, image_id) == 0;
}

/* The store's in-use callback: remembers which container uses the image, for podman's message. */
static bool
image_in_use (const char *image_id, void *data)
{
  struct image_users *u = data;
  struct skiff_container_list list;
  skiff_error_t err = NULL;
  if (skiff_engine_container_list (u->e, &list, &err) < 0)
    {
      skiff_error_release (&err);
      return skiff_engine_image_in_use (image_id, u->e);
    }
  bool used = false;
  for (size_t i = 0; !used && i < list.n; i++)
    if (is_user (list.v[i], image_id))
      {
        used = true;
        free (u->ctr);
        u->ctr = xstrdup (list.v[i]->id);
      }
  skiff_container_list_release (&list);
  return used;
}

/* podman removes the containers using the image (running ones are killed) */
static int
remove_users (struct skiff_engine *e, const char *image_id, skiff_error_t *err)
{
  struct skiff_container_list list;
  if (skiff_engine_container_list (e, &list, err) < 0)
    return -1;
  int r = 0;
  for (size_t i = 0; r == 0 && i < list.n; i++)
    if (is_user (list.v[i], image_id))
      r = skiff_engine_container_remove (e, list.v[i], true, err);
  skiff_container_list_release (&list);
  return r;
}

int
skiff_engine_image_remove (struct skiff_engine *e, const char *ref, bool force, bool all, char ***untagged,
                           char ***deleted, skiff_error_t *err)
{
  struct skiff_store *s;
  if (skiff_engine_store (e, &s, err) < 0)
    return -1;
  struct image_users u = { .e = e };
  int r = skiff_store_image_remove (s, ref, false, image_in_use, &u, untagged, deleted, err);
  if (r < 0 && (*err)->status == EBUSY && u.ctr && !force)
    {
      skiff_error_release (err);
      r = skiff_error_set_status (err, EBUSY,
                                  "image used by %s: image is in use by a container: consider listing external "
                                  "containers and force-removing image",
                                  u.ctr);
    }
  else if (r < 0 && (*err)->status == EBUSY && (force || all) && (u.ctr == NULL || force))
    {
      skiff_error_release (err);
      struct skiff_image *img = NULL;
      r = skiff_store_image_lookup (s, ref, &img, err);
      if (r == 0 && u.ctr)
        r = remove_users (e, img->id, err);
      if (r == 0)
        r = skiff_store_image_remove (s, img->id, true, NULL, NULL, untagged, deleted, err);
      skiff_image_free (img);
    }
  else if (r < 0 && (*err)->status == EBUSY && u.ctr == NULL)
    (*err)->status = EINVAL; /* by ID with several names: podman exits 125 there, not 2 (in use) */
  free (u.ctr);
  return r;
}
