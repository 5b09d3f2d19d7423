/* skiff exec: a container's record -> the runtime's exec with the container's environment, user, working
 * directory, capabilities and seccomp filter (recorded by run), plus the exec's own overrides. */
#include "engine/engine.h"

#include <json-c/json.h>
#include <sys/ioctl.h>

#include "runtime/caps.h"
#include "runtime/process.h"
#include "runtime/runtime.h"
#include "runtime/seccomp.h"

int
skiff_engine_exec (struct skiff_engine *e, const struct skiff_exec_options *o, int *exit_code, skiff_error_t *err)
{
  json_object *rec = NULL;
  struct skiff_record_config rc = { 0 };
  cleanup_strv char **env = NULL;
  int ret = -1;

  if (o->command == NULL || o->command[0] == NULL)
    return skiff_error_set (err, EINVAL, "must provide a non-empty command to start an exec session: invalid argument");
  if (skiff_engine_enter (e, err) < 0)
    return -1;
  if (skiff_engine_container_lookup (e, o->container, &rec, err) < 0)
    return -1;
  const char *status = skiff_record_string (rec, "Status");
  json_object *jpid = NULL;
  int pid = json_object_object_get_ex (rec, "Pid", &jpid) ? json_object_get_int (jpid) : 0;
  if (status == NULL || strcmp (status, "running") != 0 || pid <= 0)
    {
      skiff_error_set_status (err, EBUSY,
                              "can only create exec sessions on running containers: container state improper");
      goto out;
    }

  /* the container's confinement, as recorded by run */
  if (skiff_record_config (e, rec, o->privileged, &rc, err) < 0)
    goto out;
  env = rc.env;
  rc.env = NULL;
  for (size_t i = 0; o->env_files && o->env_files[i]; i++)
    if (skiff_env_merge_file (o->env_files[i], &env, err) < 0)
      goto out;
  for (size_t i = 0; o->env && o->env[i]; i++)
    skiff_env_merge (&env, o->env[i]);

  const char *user = o->user ? o->user : rc.user;
  struct skiff_exec_config cfg = {
    .pid = pid,
    .argv = o->command,
    .env = env,
    .cwd = o->workdir ? o->workdir : rc.cwd,
    .user = user && *user ? user : NULL,
    .terminal = o->tty && !o->detach,
    .stdin_open = o->interactive && !o->detach,
    .detach = o->detach,
    .caps = rc.caps,
    .no_new_privileges = rc.no_new_privileges,
    .seccomp = rc.seccomp,
    .rlimits = rc.rlimits,
    .nrlimits = rc.nrlimits,
  };
  if (cfg.terminal)
    {
      struct winsize ws;
      if (ioctl (STDIN_FILENO, TIOCGWINSZ, &ws) == 0 || ioctl (STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
        {
          cfg.rows = ws.ws_row;
          cfg.cols = ws.ws_col;
        }
    }
  /* podman prints a detached exec session's ID; skiff keeps no sessions yet, so the ID names nothing */
  char session_id[65];
  if (o->detach && random_hex_id (session_id, err) < 0)
    goto out;
  struct skiff_container_process proc;
  if (skiff_container_exec (&cfg, &proc, err) < 0)
    goto out;
  if (o->detach)
    {
      if (o->session_id_out)
        *o->session_id_out = xstrdup (session_id);
      *exit_code = 0;
      ret = 0;
      goto out;
    }
  int code = 0;
  int r = skiff_container_wait (&proc, cfg.terminal, cfg.stdin_open, &code, err);
  if (proc.pty_master >= 0)
    close (proc.pty_master);
  if (r < 0)
    goto out;
  *exit_code = code;
  ret = 0;

out:
  skiff_record_config_release (&rc);
  json_object_put (rec);
  return ret;
}
