/* The engine's ground: where state lives (root, runroot), entering the user namespace, opening the store. It
 * calls nothing above it; reset and unshare are system.c's. */
#include "engine/internal.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>

#include "engine/network.h"
#include "runtime/runtime.h"

#define ROOTFUL_ROOT "/var/lib/skiff/storage"
#define ROOTFUL_RUNROOT "/run/skiff"

static char *
home_dir (void)
{
  const char *h = getenv ("HOME");
  if (h && *h)
    return xstrdup (h);
  struct passwd *pw = getpwuid (getuid ());
  return xstrdup (pw && pw->pw_dir ? pw->pw_dir : "/");
}

/* $XDG_RUNTIME_DIR when usable, else a private directory in /tmp that we check is ours. */
static int
default_runroot (char **out, skiff_error_t *err)
{
  const char *xdg = getenv ("XDG_RUNTIME_DIR");
  struct stat st;
  if (xdg && *xdg && stat (xdg, &st) == 0 && st.st_uid == getuid () && access (xdg, W_OK) == 0)
    {
      *out = path_join (xdg, "skiff");
      return 0;
    }
  cleanup_free char *tmp = xasprintf ("/tmp/skiff-run-%u", (unsigned) getuid ());
  if (skiff_private_dir_ensure (tmp, "set XDG_RUNTIME_DIR to a directory of yours, or pass --runroot", err) < 0)
    return -1;
  *out = steal_pointer (&tmp);
  return 0;
}

int
skiff_engine_new (const char *root, const char *runroot, const char *driver, struct skiff_engine **out,
                  skiff_error_t *err)
{
  struct skiff_engine *e = xmalloc0 (sizeof *e);
  *out = NULL;
  e->rootless = getuid () != 0;
  if (root)
    e->root = xstrdup (root);
  else if (!e->rootless)
    e->root = xstrdup (ROOTFUL_ROOT);
  else
    {
      const char *xdg = getenv ("XDG_DATA_HOME");
      cleanup_free char *home = home_dir ();
      e->root = xdg && *xdg ? xasprintf ("%s/skiff/storage", xdg) : xasprintf ("%s/.local/share/skiff/storage", home);
    }
  if (runroot)
    e->runroot = xstrdup (runroot);
  else if (!e->rootless)
    e->runroot = xstrdup (ROOTFUL_RUNROOT);
  else if (default_runroot (&e->runroot, err) < 0)
    {
      skiff_engine_free (e);
      return -1;
    }
  if (driver == NULL)
    driver = getenv ("STORAGE_DRIVER");
  e->storage_driver = driver && *driver ? xstrdup (driver) : NULL;
  *out = e;
  return 0;
}

int
skiff_engine_enter (struct skiff_engine *e, skiff_error_t *err)
{
  if (e->entered)
    return 0;
  if (e->rootless && mkdir_p (e->runroot, 0700, err) < 0)
    return -1;
  if (skiff_userns_enter (e->runroot, err) < 0)
    return -1;
  if (mkdir_p (e->root, 0700, err) < 0)
    return skiff_error_wrap (err, "create the storage root (choose another with --root)");
  if (mkdir_p (e->runroot, 0700, err) < 0)
    return -1;
  e->entered = true;
  return 0;
}

int
skiff_engine_store (struct skiff_engine *e, struct skiff_store **out, skiff_error_t *err)
{
  if (e->store == NULL)
    {
      if (skiff_engine_enter (e, err) < 0)
        return -1;
      struct skiff_store_options so = { .root = e->root, .runroot = e->runroot, .driver = e->storage_driver };
      if (skiff_store_open (&so, &e->store, err) < 0)
        return -1;
    }
  *out = e->store;
  return 0;
}

const char *
skiff_engine_root (const struct skiff_engine *e)
{
  return e->root;
}

const char *
skiff_engine_runroot (const struct skiff_engine *e)
{
  return e->runroot;
}

bool
skiff_engine_rootless (const struct skiff_engine *e)
{
  return e->rootless;
}

void
skiff_engine_free (struct skiff_engine *e)
{
  if (e == NULL)
    return;
  skiff_engine_net_free (e->prepared_net);
  if (e->store)
    skiff_store_free (e->store);
  free (e->root);
  free (e->runroot);
  free (e->storage_driver);
  free (e);
}
