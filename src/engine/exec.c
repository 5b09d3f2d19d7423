/* skiff exec: a container's record -> the runtime's exec with the container's environment, user, working
 * directory, capabilities and seccomp filter (recorded by run), plus the exec's own overrides. */
#include "engine/engine.h"

#include <json-c/json.h>
#include <sys/ioctl.h>

#include "runtime/caps.h"
#include "runtime/process.h"
#include "runtime/runtime.h"
#include "runtime/seccomp.h"

#define SECCOMP_CACHE_DIR "cache/seccomp"

static const char *
rec_string (json_object *rec, const char *key)
{
  json_object *v = NULL;
  if (!json_object_object_get_ex (rec, key, &v) || !json_object_is_type (v, json_type_string))
    return NULL;
  return json_object_get_string (v);
}

static bool
rec_bool (json_object *rec, const char *key)
{
  json_object *v = NULL;
  return json_object_object_get_ex (rec, key, &v) && json_object_get_boolean (v);
}

static char **
rec_strv (json_object *rec, const char *key)
{
  json_object *v = NULL;
  char **out = NULL;
  if (!json_object_object_get_ex (rec, key, &v) || !json_object_is_type (v, json_type_array))
    return NULL;
  for (size_t i = 0; i < json_object_array_length (v); i++)
    strv_push (&out, json_object_get_string (json_object_array_get_idx (v, i)));
  return out;
}



int
skiff_engine_exec (struct skiff_engine *e, const struct skiff_exec_options *o, int *exit_code, skiff_error_t *err)
{
  json_object *rec = NULL;
  struct skiff_seccomp *filter = NULL;
  struct skiff_rlimit *rlimits = NULL;
  cleanup_strv char **env = NULL;
  cleanup_strv char **ulimits = NULL;
  cleanup_free char *cache_dir = NULL;
  int ret = -1;

  if (o->command == NULL || o->command[0] == NULL)
    return skiff_error_set (err, EINVAL, "must provide a non-empty command to start an exec session: invalid argument");
  if (skiff_engine_enter (e, err) < 0)
    return -1;
  if (skiff_engine_container_lookup (e, o->container, &rec, err) < 0)
    return -1;
  const char *status = rec_string (rec, "Status");
  json_object *jpid = NULL;
  int pid = json_object_object_get_ex (rec, "Pid", &jpid) ? json_object_get_int (jpid) : 0;
  if (status == NULL || strcmp (status, "running") != 0 || pid <= 0)
    {
      skiff_error_set_status (err, EBUSY, "can only create exec sessions on running containers: container state improper");
      goto out;
    }

  /* the container's confinement, as recorded by run; records from before exec existed get run's defaults */
  uint64_t caps = SKIFF_CAPS_DEFAULT;
  const char *caps_hex = rec_string (rec, "CapEff");
  if (caps_hex)
    caps = strtoull (caps_hex, NULL, 16);
  const char *seccomp = rec_string (rec, "Seccomp");
  bool unconfined = seccomp && strcmp (seccomp, "unconfined") == 0;
  if (o->privileged)
    {
      caps = skiff_caps_bounding (); /* all we have: a bounding set may lack some (root here lacks CAP_SYS_RESOURCE) */
      unconfined = true;
    }
  if (!unconfined)
    {
      const char *profile = seccomp && strcmp (seccomp, "custom") == 0 ? rec_string (rec, "SeccompProfile") : NULL;
      cache_dir = path_join (e->root, SECCOMP_CACHE_DIR);
      if (mkdir_p (cache_dir, 0700, err) < 0 || skiff_seccomp_compile (profile, caps, cache_dir, &filter, err) < 0)
        goto out;
    }

  env = rec_strv (rec, "Env");
  for (size_t i = 0; o->env_files && o->env_files[i]; i++)
    if (skiff_env_merge_file (o->env_files[i], &env, err) < 0)
      goto out;
  for (size_t i = 0; o->env && o->env[i]; i++)
    skiff_env_merge (&env, o->env[i]);

  ulimits = rec_strv (rec, "Ulimits");
  size_t nrl = strv_len (ulimits);
  rlimits = xmalloc0 ((nrl + 1) * sizeof *rlimits);
  for (size_t i = 0; i < nrl; i++)
    if (skiff_rlimit_parse (ulimits[i], &rlimits[i], err) < 0)
      goto out;
  bool have_nofile = false;
  for (size_t i = 0; i < nrl; i++)
    have_nofile |= rlimits[i].resource == RLIMIT_NOFILE;
  if (!have_nofile)
    {
      /* run raises the soft nofile limit to the hard one, as podman does: the exec gets the same */
      struct rlimit cur;
      if (getrlimit (RLIMIT_NOFILE, &cur) == 0)
        {
          cur.rlim_cur = cur.rlim_max;
          rlimits[nrl++] = (struct skiff_rlimit){ RLIMIT_NOFILE, cur };
        }
    }

  const char *user = o->user ? o->user : rec_string (rec, "User");
  struct skiff_exec_config cfg = {
    .pid = pid,
    .argv = o->command,
    .env = env,
    .cwd = o->workdir ? o->workdir : rec_string (rec, "WorkingDir"),
    .user = user && *user ? user : NULL,
    .terminal = o->tty && !o->detach,
    .stdin_open = o->interactive && !o->detach,
    .detach = o->detach,
    .caps = caps,
    .no_new_privileges = rec_bool (rec, "NoNewPrivileges"),
    .seccomp = filter,
    .rlimits = rlimits,
    .nrlimits = nrl,
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
  json_object_put (rec);
  free (rlimits);
  if (filter)
    skiff_seccomp_free (filter);
  return ret;
}
