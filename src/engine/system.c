/* podman's system commands on the engine: reset (everything that runs goes, then all state) and unshare (a
 * shell in skiff's user namespace). */
#include "engine/internal.h"

#include <signal.h>
#include <sys/wait.h>

#include "runtime/runtime.h"

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
  *exit_code = WIFEXITED (status) ? WEXITSTATUS (status) : SKIFF_EXIT_SIGNAL_BASE + WTERMSIG (status);
  return 0;
}

/* Everything that runs goes first, as podman's reset removes running containers and pods too: containers,
 * their monitors, pods' infra processes */
static void
kill_everything (struct skiff_engine *e)
{
  skiff_error_t err = NULL;
  struct skiff_container_list ctrs;
  if (skiff_engine_container_list (e, &ctrs, &err) < 0)
    {
      log_warning ("reset: listing the containers: %s", err->msg);
      skiff_error_release (&err);
    }
  else
    {
      for (size_t i = 0; i < ctrs.n; i++)
        {
          const struct skiff_container *c = ctrs.v[i];
          if (c->state != SKIFF_CTR_RUNNING)
            continue;
          /* a foreground run's holder is a skiff that is not this one: it goes too */
          if (c->conmon_pid > 0 && c->conmon_pid != getpid ())
            kill (c->conmon_pid, SIGKILL);
          if (c->pid > 0)
            kill (c->pid, SIGKILL);
        }
      skiff_container_list_release (&ctrs);
    }
  struct skiff_pod_list pods;
  if (skiff_engine_pod_list (e, &pods, &err) < 0)
    {
      log_warning ("reset: listing the pods: %s", err->msg);
      skiff_error_release (&err);
      return;
    }
  for (size_t i = 0; i < pods.n; i++)
    if (skiff_pod_infra_stop (e, pods.v[i]->id, &err) < 0)
      {
        log_warning ("reset: stopping the infra of pod %s: %s", pods.v[i]->id, err->msg);
        skiff_error_release (&err);
      }
  skiff_pod_list_release (&pods);
}

int
skiff_engine_reset (struct skiff_engine *e, skiff_error_t *err)
{
  struct skiff_store *s;
  if (skiff_engine_store (e, &s, err) < 0)
    return -1;
  kill_everything (e);
  /* the pause process goes next, while its PID file is there (the store reset empties the run root); this
   * process keeps the namespaces it joined alive until it exits */
  if (e->rootless && skiff_userns_stop_pause (e->runroot, err) < 0)
    return -1;
  if (skiff_record_remove_all (e, err) < 0)
    return -1;
  if (skiff_store_reset (s, err) < 0)
    return -1;
  skiff_store_free (e->store);
  e->store = NULL;
  if (rm_rf (e->root, err) < 0)
    return -1;
  return rm_rf (e->runroot, err);
}
