/* The driver table and its automatic choice: native overlay if a probe mount works (the verdict cached in
 * runroot/driver-probe), else fuse-overlayfs if usable, else vfs; plus mount helpers the drivers share. */
#include "storage/store_internal.h"

#include <fcntl.h>
#include <sys/mount.h>

/* Test hook: SKIFF_TEST_DISABLE_OVERLAY=1 makes the overlay probe fail (never cached), so tests can force
 * the fallback path on a kernel where overlay works. */
#define ENV_DISABLE_OVERLAY "SKIFF_TEST_DISABLE_OVERLAY"

static const struct skiff_driver *const drivers[]
    = { &skiff_driver_overlay, &skiff_driver_fuse_overlayfs, &skiff_driver_vfs };

const struct skiff_driver *
store_driver_by_name (const char *name)
{
  if (name == NULL)
    return NULL;
  for (size_t i = 0; i < ARRAY_SIZE (drivers); i++)
    if (strcmp (drivers[i]->name, name) == 0)
      return drivers[i];
  return NULL;
}

static bool
overlay_disabled_for_tests (void)
{
  const char *v = getenv (ENV_DISABLE_OVERLAY);
  return v && strcmp (v, "1") == 0;
}

/* The overlay verdict: cached "ok" or "no: <reason>" in runroot, else a probe mount (*fresh set). */
static int
overlay_verdict (struct skiff_store *s, char **reason, bool *fresh)
{
  *fresh = true;
  if (overlay_disabled_for_tests ())
    {
      *reason = xstrdup (ENV_DISABLE_OVERLAY "=1 is set");
      return -1;
    }
  cleanup_free char *cache = s->runroot ? path_join (s->runroot, RUNROOT_PROBE) : NULL;
  cleanup_free char *data = NULL;
  skiff_error_t err = NULL;
  if (cache && read_file (cache, &data, NULL, &err) == 0)
    {
      data[strcspn (data, "\n")] = '\0';
      if (strcmp (data, "overlay: ok") == 0)
        {
          *fresh = false;
          return 0;
        }
      if (str_has_prefix (data, "overlay: no: "))
        {
          *reason = xstrdup (data + strlen ("overlay: no: "));
          log_debug ("native overlay is not usable (cached in `%s`): %s", cache, *reason);
          *fresh = false;
          return -1;
        }
    }
  skiff_error_release (&err);
  int r = skiff_driver_overlay.probe (s, &err);
  if (r < 0)
    *reason = xstrdup (err->msg);
  skiff_error_release (&err);
  if (cache)
    {
      cleanup_free char *line = r == 0 ? xstrdup ("overlay: ok\n") : xasprintf ("overlay: no: %s\n", *reason);
      if (write_file_atomic (cache, line, strlen (line), 0600, &err) < 0)
        {
          log_debug ("cannot cache the driver probe: %s", err->msg);
          skiff_error_release (&err);
        }
    }
  return r;
}

int
store_resolve_driver (struct skiff_store *s, const struct skiff_driver **out, skiff_error_t *err)
{
  if (s->driver)
    {
      *out = s->driver;
      return 0;
    }
  if (s->driver_request)
    {
      const struct skiff_driver *d = store_driver_by_name (s->driver_request);
      if (d == NULL)
        return skiff_error_set_status (err, EINVAL, "unknown storage driver `%s`: use overlay, fuse-overlayfs or vfs",
                                       s->driver_request);
      if (d == &skiff_driver_overlay && overlay_disabled_for_tests ())
        return skiff_error_set_status (err, EPERM,
                                       "the storage driver overlay was requested but " ENV_DISABLE_OVERLAY "=1 is set");
      /* an explicit choice that does not work is an error, never a silent fallback */
      if (d->probe (s, err) < 0)
        return skiff_error_wrap (err,
                                 "the storage driver %s was requested but does not work here (choose another "
                                 "with --storage-driver or STORAGE_DRIVER; vfs always works)",
                                 d->name);
      s->driver = d;
      *out = d;
      return 0;
    }
  cleanup_free char *overlay_reason = NULL;
  bool fresh = true;
  if (overlay_verdict (s, &overlay_reason, &fresh) == 0)
    {
      s->driver = &skiff_driver_overlay;
      *out = s->driver;
      return 0;
    }
  /* the fallback is announced when overlay was found wanting, not in every later process reading the cache */
  int level = fresh ? SKIFF_LOG_WARNING : SKIFF_LOG_DEBUG;
  skiff_error_t ferr = NULL;
  if (skiff_driver_fuse_overlayfs.probe (s, &ferr) == 0)
    {
      skiff_log (level, "using the fuse-overlayfs storage driver: native overlay is not usable (%s)", overlay_reason);
      s->driver = &skiff_driver_fuse_overlayfs;
    }
  else
    {
      skiff_log (level,
                 "using the vfs storage driver (a full copy per container): native overlay is not usable (%s) and "
                 "fuse-overlayfs is not either (%s)",
                 overlay_reason, ferr->msg);
      skiff_error_release (&ferr);
      s->driver = &skiff_driver_vfs;
    }
  *out = s->driver;
  return 0;
}

bool
store_is_mountpoint (const char *path)
{
  struct statx sx;
  if (statx (AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx) < 0)
    /* a dead FUSE mount answers ENOTCONN: it is still a mount */
    return errno == ENOTCONN;
  if (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)
    return (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
  cleanup_free char *parent = path_join (path, "..");
  struct stat a, b;
  return stat (path, &a) == 0 && stat (parent, &b) == 0 && a.st_dev != b.st_dev;
}

int
store_unmount_path (const char *path, skiff_error_t *err)
{
  /* a mount can be stacked (mounted twice by racing callers): take them all down */
  for (int i = 0; i < 16; i++)
    {
      if (umount2 (path, MNT_DETACH) == 0)
        continue;
      if (errno == EINVAL || errno == ENOENT)
        return 0;
      return skiff_error_set (err, errno, "unmount `%s`", path);
    }
  return 0;
}

size_t skiff_overlay_max_options;

/* Append s to buf escaping what the overlay option parser treats as separators. */
static void
append_escaped (char **buf, size_t *len, const char *s)
{
  size_t n = strlen (s);
  *buf = xrealloc (*buf, *len + 2 * n + 1);
  for (const char *p = s; *p; p++)
    {
      if (*p == '\\' || *p == ',' || *p == ':')
        (*buf)[(*len)++] = '\\';
      (*buf)[(*len)++] = *p;
    }
  (*buf)[*len] = '\0';
}

static void
append_raw (char **buf, size_t *len, const char *s)
{
  size_t n = strlen (s);
  *buf = xrealloc (*buf, *len + n + 1);
  memcpy (*buf + *len, s, n + 1);
  *len += n;
}

static char *
build_options (const char *prefix, char *const *lowers, size_t n, const char *upper, const char *work,
               const char *extra)
{
  char *buf = NULL;
  size_t len = 0;
  append_raw (&buf, &len, "lowerdir=");
  /* overlay wants the top layer first; images list the base first */
  for (size_t i = n; i-- > 0;)
    {
      cleanup_free char *p = xasprintf ("%s%s", prefix, lowers[i]);
      append_escaped (&buf, &len, p);
      if (i > 0)
        append_raw (&buf, &len, ":");
    }
  cleanup_free char *u = xasprintf ("%s%s", prefix, upper);
  cleanup_free char *w = xasprintf ("%s%s", prefix, work);
  append_raw (&buf, &len, ",upperdir=");
  append_escaped (&buf, &len, u);
  append_raw (&buf, &len, ",workdir=");
  append_escaped (&buf, &len, w);
  if (extra)
    {
      append_raw (&buf, &len, ",");
      append_raw (&buf, &len, extra);
    }
  return buf;
}

/* Short link l/<prefix> -> ../layers/<hex>/diff, created once and shared. */
static int
ensure_short_link (struct skiff_store *s, const char *hex, char **name, skiff_error_t *err)
{
  char n[SKIFF_OVERLAY_LINK_LEN + 1];
  snprintf (n, sizeof n, "%.*s", SKIFF_OVERLAY_LINK_LEN, hex);
  cleanup_free char *target = xasprintf ("../" STORE_LAYERS "/%s/" LAYER_DIFF, hex);
  cleanup_free char *path = xasprintf (STORE_LINKS "/%s", n);
  char buf[256];
  ssize_t len = readlinkat (s->rootfd, path, buf, sizeof buf - 1);
  if (len > 0)
    {
      buf[len] = '\0';
      if (strcmp (buf, target) != 0)
        return skiff_error_set_status (
            err, EEXIST, "the short link `%s/%s` points to `%s`, not to layer %s (remove it)", s->root, path, buf, hex);
    }
  else if (symlinkat (target, s->rootfd, path) < 0 && errno != EEXIST)
    return skiff_error_set (err, errno, "create the short link `%s/%s`", s->root, path);
  *name = xstrdup (path);
  return 0;
}

int
store_overlay_options (struct skiff_store *s, const char *cid, char *const *layers, const char *extra,
                       bool allow_short_links, char **out, bool *relative, skiff_error_t *err)
{
  size_t n = strv_len (layers);
  char *const empty_layers[] = { (char *) STORE_EMPTY_LOWER, NULL };
  if (n == 0)
    {
      /* an image without layers: overlay still wants a lower directory */
      if (mkdirat (s->rootfd, STORE_LINKS "/" STORE_EMPTY_LOWER, 0755) < 0 && errno != EEXIST)
        return skiff_error_set (err, errno, "create `%s/%s/%s`", s->root, STORE_LINKS, STORE_EMPTY_LOWER);
      layers = empty_layers;
      n = 1;
    }
  size_t max = skiff_overlay_max_options ? skiff_overlay_max_options : (size_t) sysconf (_SC_PAGESIZE) - 1;
  cleanup_free char *upper = xasprintf (STORE_CONTAINERS "/%s/" CONTAINER_DIFF, cid);
  cleanup_free char *work = xasprintf (STORE_CONTAINERS "/%s/" CONTAINER_WORK, cid);
  char **lowers = xmalloc0 ((n + 1) * sizeof (char *));
  for (size_t i = 0; i < n; i++)
    lowers[i] = layers == empty_layers ? xstrdup (STORE_LINKS "/" STORE_EMPTY_LOWER)
                                       : xasprintf (STORE_LAYERS "/%s/" LAYER_DIFF, layers[i]);
  cleanup_free char *prefix = xasprintf ("%s/", s->root);
  char *opts = build_options (prefix, lowers, n, upper, work, extra);
  strv_free (lowers);
  *relative = false;
  if (strlen (opts) <= max || !allow_short_links)
    {
      *out = opts;
      return 0;
    }
  free (opts);
  /* too long for one page: short links under root/l and paths relative to root, as containers/storage */
  lowers = xmalloc0 ((n + 1) * sizeof (char *));
  for (size_t i = 0; i < n; i++)
    if (layers == empty_layers)
      lowers[i] = xstrdup (STORE_LINKS "/" STORE_EMPTY_LOWER);
    else if (ensure_short_link (s, layers[i], &lowers[i], err) < 0)
      {
        strv_free (lowers);
        return -1;
      }
  opts = build_options ("", lowers, n, upper, work, extra);
  strv_free (lowers);
  if (strlen (opts) > max)
    {
      free (opts);
      return skiff_error_set_status (err, E2BIG, "the image has too many layers (%zu) for one overlay mount", n);
    }
  *relative = true;
  *out = opts;
  return 0;
}
