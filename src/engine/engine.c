/* Engine set-up: where state lives, entering the user namespace, opening the store, unshare and reset. */
#include "engine/engine.h"

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "engine/records.h"
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
skiff_engine_init (struct skiff_engine *e, const char *root, const char *runroot, const char *driver,
                   skiff_error_t *err)
{
  memset (e, 0, sizeof *e);
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
    return -1;
  if (driver == NULL)
    driver = getenv ("STORAGE_DRIVER");
  e->storage_driver = driver && *driver ? xstrdup (driver) : NULL;
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

void
skiff_engine_release (struct skiff_engine *e)
{
  if (e->store)
    skiff_store_free (e->store);
  free (e->root);
  free (e->runroot);
  free (e->storage_driver);
  memset (e, 0, sizeof *e);
}

int
skiff_engine_unshare (struct skiff_engine *e, char **argv, int *exit_code, skiff_error_t *err)
{
  if (skiff_engine_enter (e, err) < 0)
    return -1;
  const char *shell = getenv ("SHELL");
  char *def[] = { (char *) (shell && *shell ? shell : "/bin/sh"), NULL };
  char **av = argv && argv[0] ? argv : def;
  setenv ("CONTAINERS_GRAPHROOT", e->root, 1);
  setenv ("CONTAINERS_RUNROOT", e->runroot, 1);
  setenv ("_SKIFF_UNSHARE", "1", 1);
  pid_t pid = fork ();
  if (pid < 0)
    return skiff_error_set (err, errno, "fork");
  if (pid == 0)
    {
      execvp (av[0], av);
      fprintf (stderr, "Error: exec `%s`: %s\n", av[0], strerror (errno));
      _exit (errno == ENOENT ? SKIFF_EXIT_NOT_FOUND : SKIFF_EXIT_CANNOT_EXEC);
    }
  signal (SIGINT, SIG_IGN);
  signal (SIGQUIT, SIG_IGN);
  int status;
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  *exit_code = WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
  return 0;
}

int
skiff_engine_reset (struct skiff_engine *e, skiff_error_t *err)
{
  struct skiff_store *s;
  if (skiff_engine_store (e, &s, err) < 0)
    return -1;
  /* everything that runs goes first, as podman's reset removes running containers and pods too: containers,
   * their monitors, pods' infra processes */
  json_object *list = NULL;
  if (skiff_engine_container_list (e, &list, NULL) == 0)
    for (size_t i = 0; i < json_object_array_length (list); i++)
      {
        json_object *rec = json_object_array_get_idx (list, i);
        const char *status = skiff_record_string (rec, "Status");
        if (status == NULL || strcmp (status, "running") != 0)
          continue;
        static const char *const pids[] = { "ConmonPid", "Pid" };
        for (size_t k = 0; k < ARRAY_SIZE (pids); k++)
          {
            json_object *v = json_object_object_get (rec, pids[k]);
            /* a foreground run's holder is a skiff that is not this one: it goes too */
            if (v && json_object_get_int (v) > 0 && json_object_get_int (v) != getpid ())
              kill (json_object_get_int (v), SIGKILL);
          }
      }
  json_object_put (list);
  list = NULL;
  if (skiff_engine_pod_list (e, &list, NULL) == 0)
    for (size_t i = 0; i < json_object_array_length (list); i++)
      skiff_engine_pod_infra_stop (e, skiff_record_string (json_object_array_get_idx (list, i), "Id"), NULL);
  json_object_put (list);
  /* the pause process goes next, while its PID file is there (the store reset empties the run root); this
   * process keeps the namespaces it joined alive until it exits */
  if (e->rootless && skiff_userns_stop_pause (e->runroot, err) < 0)
    return -1;
  if (skiff_records_remove_all (e, err) < 0)
    return -1;
  if (skiff_store_reset (s, err) < 0)
    return -1;
  skiff_store_free (e->store);
  e->store = NULL;
  if (rm_rf (e->root, err) < 0)
    return -1;
  return rm_rf (e->runroot, err);
}
