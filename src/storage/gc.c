/* Layer garbage collection: a layer goes when no image and no container references it any more. It sits
 * above images and containers, whose records it reads, so that layers.c stays below both. */
#include "storage/store_internal.h"

#include <dirent.h>
#include <fcntl.h>

/* Every layer some image or container still uses. */
static char **
referenced_layers (struct skiff_store *s, skiff_error_t *err)
{
  char **refs = xmalloc0 (sizeof (char *));
  struct skiff_image **imgs = NULL;
  size_t n = 0;
  if (store_images_load_all (s, false, &imgs, &n, err) < 0)
    {
      strv_free (refs);
      return NULL;
    }
  for (size_t i = 0; i < n; i++)
    {
      for (size_t j = 0; imgs[i]->layers && imgs[i]->layers[j]; j++)
        if (!strv_contains (refs, imgs[i]->layers[j]))
          strv_push (&refs, imgs[i]->layers[j]);
      skiff_image_free (imgs[i]);
    }
  free (imgs);
  int cfd = openat (s->rootfd, STORE_CONTAINERS, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = cfd >= 0 ? fdopendir (cfd) : NULL;
  if (d == NULL && cfd >= 0)
    close (cfd);
  struct dirent *de;
  while (d && (de = readdir (d)) != NULL)
    {
      if (de->d_name[0] == '.')
        continue;
      skiff_error_t e2 = NULL;
      cleanup_strv char **layers = store_container_layers (s, de->d_name, &e2);
      skiff_error_release (&e2);
      for (size_t j = 0; layers && layers[j]; j++)
        if (!strv_contains (refs, layers[j]))
          strv_push (&refs, layers[j]);
    }
  if (d)
    closedir (d);
  return refs;
}

static void
remove_short_links (struct skiff_store *s, const char *hex)
{
  cleanup_close int lfd = openat (s->rootfd, STORE_LINKS, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (lfd < 0)
    return;
  char name[SKIFF_OVERLAY_LINK_LEN + 1];
  snprintf (name, sizeof name, "%.*s", SKIFF_OVERLAY_LINK_LEN, hex);
  char target[256];
  ssize_t n = readlinkat (lfd, name, target, sizeof target - 1);
  if (n <= 0)
    return;
  target[n] = '\0';
  if (strstr (target, hex))
    unlinkat (lfd, name, 0);
}

int
store_layers_gc_locked (struct skiff_store *s, char *const *candidates, skiff_error_t *err)
{
  if (candidates == NULL || candidates[0] == NULL)
    return 0;
  cleanup_strv char **refs = referenced_layers (s, err);
  if (refs == NULL)
    return -1;
  cleanup_close int layersfd = openat (s->rootfd, STORE_LAYERS, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (layersfd < 0)
    return skiff_error_set (err, errno, "open `%s/%s`", s->root, STORE_LAYERS);
  for (size_t i = 0; candidates[i]; i++)
    {
      if (strv_contains (refs, candidates[i]) || !skiff_hex_id_valid (candidates[i]))
        continue;
      remove_short_links (s, candidates[i]);
      if (store_remove_dir_atomic (layersfd, candidates[i], err) < 0)
        return skiff_error_wrap (err, "remove the layer %s", candidates[i]);
    }
  return 0;
}
