/* skiff exec: a running container's record -> the runtime's exec with the container's environment, user,
 * working directory, capabilities and seccomp filter (as create recorded them), plus the exec's own
 * overrides. Without a terminal its stdio are pipes relayed here: the caller's terminal never reaches it. */
#include "engine/internal.h"

#include <sys/ioctl.h>

#include "runtime/process.h"
#include "runtime/runtime.h"
#include "runtime/seccomp.h"

static void
terminal_size (struct skiff_exec_config *cfg)
{
  struct winsize ws;
  if (ioctl (STDIN_FILENO, TIOCGWINSZ, &ws) == 0 || ioctl (STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
    {
      cfg->rows = ws.ws_row;
      cfg->cols = ws.ws_col;
    }
}

static char **
exec_env (const struct skiff_container *c, const struct skiff_exec_spec *x)
{
  char **env = strv_dup (c->env);
  for (size_t i = 0; x->env && x->env[i]; i++)
    {
      const char *eq = strchr (x->env[i], '=');
      if (eq == NULL)
        continue;
      cleanup_free char *key = xstrndup (x->env[i], (size_t) (eq - x->env[i]));
      skiff_env_set (&env, key, eq + 1, true);
    }
  return env;
}

/* Start the process, and unless detached relay its stdio until it ends */
static int
exec_run (struct skiff_exec_config *cfg, int *exit_code, skiff_error_t *err)
{
  struct skiff_stdio_pipes p = { .child = { -1, -1, -1 }, .in = -1, .out = -1, .err = -1 };
  if (!cfg->terminal && !cfg->detach)
    {
      if (skiff_stdio_pipes_open (cfg->stdin_open, &p, err) < 0)
        return -1;
      memcpy (cfg->stdio_fds, p.child, sizeof cfg->stdio_fds);
    }
  struct skiff_container_process proc;
  int r = skiff_container_exec (cfg, &proc, err);
  skiff_stdio_pipes_close_child (&p);
  if (r < 0 || cfg->detach)
    {
      skiff_stdio_pipes_close (&p);
      *exit_code = 0;
      return r;
    }
  struct skiff_stdio_relay relay = { .in = p.in, .out = p.out, .err = p.err };
  r = skiff_container_wait (&proc, cfg->terminal, cfg->stdin_open, &relay, exit_code, err);
  if (proc.pty_master >= 0)
    close (proc.pty_master);
  return r;
}

int
skiff_engine_exec (struct skiff_engine *e, const char *ref, const struct skiff_exec_spec *x, int *exit_code,
                   char **session_id, skiff_error_t *err)
{
  struct skiff_container *c = NULL;
  struct skiff_seccomp *seccomp = NULL;
  struct skiff_rlimit *rlimits = NULL;
  cleanup_strv char **env = NULL;
  int ret = -1;

  if (x->command == NULL || x->command[0] == NULL)
    return skiff_error_set_status (err, EINVAL,
                                   "must provide a non-empty command to start an exec session: invalid argument");
  if (skiff_engine_enter (e, err) < 0 || skiff_engine_container_lookup (e, ref, &c, err) < 0)
    return -1;
  if (c->state != SKIFF_CTR_RUNNING || c->pid <= 0)
    {
      skiff_error_set_status (err, EBUSY,
                              "can only create exec sessions on running containers: container state improper");
      goto out;
    }
  /* the container's confinement, as create recorded it */
  uint64_t caps;
  size_t nrl;
  if (skiff_launch_confinement (e, c, x->privileged, &caps, &seccomp, &rlimits, &nrl, err) < 0)
    goto out;
  env = exec_env (c, x);
  const char *user = x->user ? x->user : c->user;
  struct skiff_exec_config cfg = {
    .pid = c->pid,
    .argv = x->command,
    .env = env,
    .cwd = x->workdir ? x->workdir : c->workdir,
    .user = user && *user ? user : NULL,
    .terminal = x->tty && !x->detach,
    .stdin_open = x->interactive && !x->detach,
    .detach = x->detach,
    .caps = caps,
    .no_new_privileges = c->no_new_privileges,
    .seccomp = seccomp,
    .rlimits = rlimits,
    .nrlimits = nrl,
    .keep_groups = c->keep_groups,
  };
  if (cfg.terminal)
    terminal_size (&cfg);
  /* podman prints a detached exec session's ID; skiff keeps no sessions yet, so the ID names nothing */
  char sid[65];
  if (x->detach && random_hex_id (sid, err) < 0)
    goto out;
  if (exec_run (&cfg, exit_code, err) < 0)
    goto out;
  if (x->detach && session_id)
    *session_id = xstrdup (sid);
  ret = 0;

out:
  if (seccomp)
    skiff_seccomp_free (seccomp);
  free (rlimits);
  skiff_container_free (c);
  return ret;
}
