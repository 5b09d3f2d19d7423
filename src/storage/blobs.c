/* Content-addressed blobs (manifests and configs) under root/blobs/sha256/<hex>. */
#include "storage/store_internal.h"

#include <fcntl.h>

int
store_blob_put (struct skiff_store *s, const void *data, size_t len, char hex[SKIFF_DIGEST_HEX_LEN + 1],
                skiff_error_t *err)
{
  skiff_sha256_hex (data, len, hex);
  cleanup_free char *path = xasprintf (STORE_BLOBS "/%s", hex);
  struct stat st;
  /* content-addressed: an existing blob of the right size is this blob */
  if (fstatat (s->rootfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG (st.st_mode) && (size_t) st.st_size == len)
    return 0;
  if (write_file_atomic_at (s->rootfd, path, data, len, 0600, err) < 0)
    return skiff_error_wrap (err, "store blob sha256:%s", hex);
  return 0;
}

int
store_blob_get (struct skiff_store *s, const char *hex, char **data, size_t *len, skiff_error_t *err)
{
  if (!skiff_hex_id_valid (hex))
    return skiff_error_set_status (err, EINVAL, "invalid blob digest `%s`", hex);
  cleanup_free char *path = xasprintf (STORE_BLOBS "/%s", hex);
  if (read_file_at (s->rootfd, path, data, len, err) < 0)
    return skiff_error_wrap (err, "read blob sha256:%s from `%s`", hex, s->root);
  return 0;
}

void
store_blob_remove (struct skiff_store *s, const char *hex)
{
  if (!skiff_hex_id_valid (hex))
    return;
  cleanup_free char *path = xasprintf (STORE_BLOBS "/%s", hex);
  if (unlinkat (s->rootfd, path, 0) < 0 && errno != ENOENT)
    log_warning ("cannot remove blob `%s/%s`: %s", s->root, path, strerror (errno));
}

int
skiff_store_blob_put (struct skiff_store *s, const void *data, size_t len, char hex[SKIFF_DIGEST_HEX_LEN + 1],
                      skiff_error_t *err)
{
  if (store_lock (s, err) < 0)
    return -1;
  int r = store_blob_put (s, data, len, hex, err);
  store_unlock (s);
  return r;
}

int
skiff_store_blob_get (struct skiff_store *s, const char *digest, char **data, size_t *len, skiff_error_t *err)
{
  const char *hex = skiff_digest_hex (digest);
  if (hex == NULL)
    return skiff_error_set_status (err, EINVAL, "invalid blob digest `%s`: expected sha256:<64 hex digits>", digest);
  return store_blob_get (s, hex, data, len, err);
}
