/* A container's record -> its runtime configuration: the process (argv, environment, user, working
 * directory), its confinement (capabilities, seccomp filter, rlimits), its root filesystem and the userdata
 * files bound into it. Every start builds it here (run, start, restart; the monitor's restarts reuse it), and
 * exec takes the confinement part. */
#include "engine/internal.h"
#include "engine/volumes.h"

#include "runtime/caps.h"
#include "runtime/runtime.h"
#include "runtime/seccomp.h"

#define SECCOMP_CACHE_DIR "cache/seccomp"
#define FUSE_DRIVER "fuse-overlayfs"

/* The files of the container's directory bound over the image's, podman's userdata */
static const char *const userdata_files[] = { "hosts", "hostname", "resolv.conf" };
#define CONTAINERENV_PATH "/run/.containerenv"
#define LOCALTIME_PATH "/etc/localtime"

int
skiff_launch_confinement (struct skiff_engine *e, const struct skiff_container *c, bool privileged, uint64_t *caps,
                          struct skiff_seccomp **seccomp, struct skiff_rlimit **rlimits, size_t *nrlimits,
                          skiff_error_t *err)
{
  *seccomp = NULL;
  *caps = c->caps;
  bool unconfined = c->seccomp == SKIFF_SECCOMP_UNCONFINED || c->privileged;
  if (privileged)
    {
      *caps = skiff_caps_bounding (); /* all we have: a bounding set may lack some */
      unconfined = true;
    }
  if (!unconfined)
    {
      const char *profile = c->seccomp == SKIFF_SECCOMP_CUSTOM ? c->seccomp_profile : NULL;
      cleanup_free char *cache_dir = path_join (e->root, SECCOMP_CACHE_DIR);
      if (mkdir_p (cache_dir, 0700, err) < 0 || skiff_seccomp_compile (profile, *caps, cache_dir, seccomp, err) < 0)
        return -1;
    }
  /* podman raises the soft nofile limit to the hard one unless told otherwise */
  *rlimits = xmalloc0 ((c->nrlimits + 1) * sizeof **rlimits);
  *nrlimits = 0;
  bool have_nofile = false;
  for (size_t i = 0; i < c->nrlimits; i++)
    {
      (*rlimits)[(*nrlimits)++] = c->rlimits[i];
      have_nofile |= c->rlimits[i].resource == RLIMIT_NOFILE;
    }
  struct rlimit cur;
  if (!have_nofile && getrlimit (RLIMIT_NOFILE, &cur) == 0)
    {
      cur.rlim_cur = cur.rlim_max;
      (*rlimits)[(*nrlimits)++] = (struct skiff_rlimit){ RLIMIT_NOFILE, cur };
    }
  return 0;
}

/* The container child mounts its own root filesystem: overlay then lives only in the container's mount
 * namespace and vanishes with it, so nothing is left to unmount (and no umount to pay for) afterwards. */
static int
mount_rootfs_in_child (void *data, char **path, skiff_error_t *err)
{
  struct skiff_launch *l = data;
  return skiff_store_rootfs_mount (l->e->store, l->cfg.id, path, err);
}

int
skiff_launch_prepare (struct skiff_engine *e, const struct skiff_container *c, struct skiff_launch *l,
                      skiff_error_t *err)
{
  memset (l, 0, sizeof *l);
  l->e = e;
  uint64_t caps;
  size_t nrl = 0;
  if (skiff_launch_confinement (e, c, false, &caps, &l->seccomp, &l->rlimits, &nrl, err) < 0)
    return -1;
  l->binds = xmalloc0 ((ARRAY_SIZE (userdata_files) + 2 + c->nmounts + 1) * sizeof *l->binds);
  for (size_t i = 0; i < ARRAY_SIZE (userdata_files); i++)
    {
      l->binds[l->nbinds].source = skiff_storage_container_file (e->root, c->id, userdata_files[i]);
      l->binds[l->nbinds++].destination = xasprintf ("/etc/%s", userdata_files[i]);
    }
  /* containers made before skiff wrote it have none */
  cleanup_free char *containerenv = skiff_storage_container_file (e->root, c->id, SKIFF_CONTAINERENV);
  if (access (containerenv, F_OK) == 0)
    {
      l->binds[l->nbinds].source = steal_pointer (&containerenv);
      l->binds[l->nbinds].readonly = true;
      l->binds[l->nbinds++].destination = xstrdup (CONTAINERENV_PATH);
    }
  cleanup_free char *localtime = skiff_storage_container_file (e->root, c->id, SKIFF_LOCALTIME);
  if (access (localtime, F_OK) == 0)
    {
      l->binds[l->nbinds].source = steal_pointer (&localtime);
      l->binds[l->nbinds].readonly = true;
      l->binds[l->nbinds++].destination = xstrdup (LOCALTIME_PATH);
    }
  /* the record's mounts (-v, --mount, --tmpfs, volumes): after the engine's binds (engine/volumes.c) */
  if (skiff_volumes_launch (e, c, &l->user_mounts, &l->nuser_mounts, err) < 0)
    {
      skiff_launch_release (l);
      return -1;
    }
  l->cfg = (struct skiff_container_config){
    .id = c->id,
    .mount_rootfs = mount_rootfs_in_child,
    .mount_rootfs_data = l,
    .hostname = c->hostname ? c->hostname : c->id,
    .readonly_rootfs = c->read_only,
    .readonly_tmpfs = c->read_only_tmpfs,
    .privileged = c->privileged,
    .argv = c->args,
    .env = c->env,
    .cwd = c->workdir ? c->workdir : "/",
    .cwd_must_exist = !c->workdir_create,
    .user = c->user,
    .terminal = c->tty,
    .stdin_open = c->open_stdin,
    .caps = caps,
    .no_new_privileges = c->no_new_privileges,
    .seccomp = l->seccomp,
    .rlimits = l->rlimits,
    .nrlimits = nrl,
    .binds = l->binds,
    .nbinds = l->nbinds,
    .user_mounts = l->user_mounts,
    .nuser_mounts = l->nuser_mounts,
    .userns_map = c->idmap.nuid ? &c->idmap : NULL,
    .keep_groups = c->keep_groups,
  };
  if (c->args == NULL || c->args[0] == NULL)
    {
      skiff_launch_release (l);
      return skiff_error_set_status (err, EINVAL, "container %s has no command", c->id);
    }
  return 0;
}

int
skiff_launch_rootfs (struct skiff_launch *l, skiff_error_t *err)
{
  struct skiff_store *s;
  const char *driver = NULL;
  if (skiff_engine_store (l->e, &s, err) < 0 || skiff_store_driver (s, &driver, err) < 0)
    return -1;
  /* fuse-overlayfs runs a daemon that must not live in the container's namespaces: mount it here */
  if (strcmp (driver, FUSE_DRIVER) != 0)
    return 0;
  if (skiff_store_rootfs_mount (s, l->cfg.id, &l->merged, err) < 0)
    return -1;
  l->cfg.rootfs = l->merged;
  l->cfg.mount_rootfs = NULL;
  return 0;
}

void
skiff_launch_release (struct skiff_launch *l)
{
  if (l->merged && !l->keep_mount && l->e && l->e->store)
    {
      skiff_error_t ignored = NULL;
      if (skiff_store_rootfs_unmount (l->e->store, l->cfg.id, &ignored) < 0)
        {
          log_debug ("unmount the root filesystem of %s: %s", l->cfg.id, ignored->msg);
          skiff_error_release (&ignored);
        }
    }
  free (l->merged);
  for (size_t i = 0; i < l->nbinds; i++)
    {
      free (l->binds[i].source);
      free (l->binds[i].destination);
    }
  free (l->binds);
  skiff_user_mounts_free (l->user_mounts, l->nuser_mounts);
  if (l->seccomp)
    skiff_seccomp_free (l->seccomp);
  free (l->rlimits);
  memset (l, 0, sizeof *l);
}
