/* Creating a container: a spec and its image -> the container's record (status "created"), its name, root
 * filesystem and userdata files (hosts, hostname, resolv.conf). Bad input and a port in use fail before
 * anything is made; a failure later removes what was made. */
#include "engine/internal.h"
#include "engine/volumes.h"

#include <fcntl.h>
#include <signal.h>

#include "config.h"
#include "engine/network.h"
#include "engine/userns.h"
#include "runtime/process.h"
#include "util/interrupt.h"

#define HOSTNAME_LEN 12

static char **
argv_of (const struct skiff_spec *s, const struct skiff_image_config *ic)
{
  char **argv = NULL;
  if (s->entrypoint.set)
    {
      for (size_t i = 0; s->entrypoint.v && s->entrypoint.v[i]; i++)
        strv_push (&argv, s->entrypoint.v[i]);
      /* an explicit entrypoint drops the image's CMD, as in podman */
      for (size_t i = 0; s->cmd.set && s->cmd.v && s->cmd.v[i]; i++)
        strv_push (&argv, s->cmd.v[i]);
      return argv;
    }
  for (size_t i = 0; ic && ic->entrypoint && ic->entrypoint[i]; i++)
    strv_push (&argv, ic->entrypoint[i]);
  char *const *cmd = s->cmd.set && s->cmd.v && s->cmd.v[0] ? s->cmd.v : (ic ? ic->cmd : NULL);
  for (size_t i = 0; cmd && cmd[i]; i++)
    strv_push (&argv, cmd[i]);
  return argv;
}

static char **
env_of (const struct skiff_spec *s, const struct skiff_image_config *ic)
{
  /* podman's defaults under the image's environment; --unsetenv-all drops both, --unsetenv some; -e wins */
  char **env = s->unsetenv_all ? NULL : strv_dup (ic ? ic->env : NULL);
  if (!s->unsetenv_all)
    {
      skiff_env_set (&env, "PATH", SKIFF_DEFAULT_PATH, false);
      skiff_env_set (&env, "TERM", "xterm", false);
      skiff_env_set (&env, "container", "podman", false);
    }
  for (size_t i = 0; s->unsetenv && s->unsetenv[i]; i++)
    skiff_env_unset (env, s->unsetenv[i]);
  for (size_t i = 0; s->env && s->env[i]; i++)
    {
      const char *eq = strchr (s->env[i], '=');
      if (eq == NULL)
        continue;
      cleanup_free char *key = xstrndup (s->env[i], (size_t) (eq - s->env[i]));
      skiff_env_set (&env, key, eq + 1, true);
    }
  return env;
}

/* podman's default stop signal is the image's StopSignal, else SIGTERM */
static int
stop_signal_of (const struct skiff_spec *s, const struct skiff_image_config *ic)
{
  int sig = s->stop_signal > 0 ? s->stop_signal : -1;
  if (sig < 0 && ic && ic->stop_signal)
    sig = skiff_signal_parse (ic->stop_signal, NULL);
  return sig > 0 ? sig : SIGTERM;
}

/* podman's ImageName: the name the image was given by, whole ("busybox" is "localhost/busybox:latest" when the
 * image has that name), else the image's first name, else what was given (an ID) */
static char *
image_name_as_given (const struct skiff_image *img, const char *given)
{
  cleanup_free char *norm = given ? skiff_reference_normalize (given, NULL) : NULL;
  if (norm && strv_contains (img->names, norm))
    return steal_pointer (&norm);
  /* a short name resolved through registries.conf: the name that ends in it */
  bool tagged = given && strrchr (given, ':') > (strrchr (given, '/') ? strrchr (given, '/') : given);
  for (size_t i = 0; given && img->names && img->names[i]; i++)
    {
      const char *n = img->names[i];
      size_t nlen = strlen (n);
      cleanup_free char *with_tag = tagged ? xstrdup (given) : xasprintf ("%s:latest", given);
      size_t wlen = strlen (with_tag);
      if (nlen > wlen && n[nlen - wlen - 1] == '/' && strcmp (n + nlen - wlen, with_tag) == 0)
        return xstrdup (n);
    }
  return xstrdup (img->names && img->names[0] ? img->names[0] : given);
}

int
skiff_container_from_spec (const struct skiff_spec *s, const struct skiff_image *img, const char *id, const char *root,
                           struct skiff_container **out, skiff_error_t *err)
{
  const struct skiff_image_config *ic = img->config;
  *out = NULL;
  for (size_t i = 0; i < s->nmounts; i++)
    if (s->mounts[i].destination == NULL || s->mounts[i].destination[0] != '/')
      return skiff_error_set_status (err, EINVAL, "invalid container path \"%s\", must be an absolute path",
                                     s->mounts[i].destination ? s->mounts[i].destination : "");
  cleanup_strv char **argv = argv_of (s, ic);
  if (argv == NULL || argv[0] == NULL)
    return skiff_error_set_status (
        err, EINVAL, "no command or entrypoint specified for image %s: give a command after the image", s->image);
  struct skiff_container *c = xmalloc0 (sizeof *c);
  snprintf (c->id, sizeof c->id, "%s", id);
  c->image_id = xstrdup (img->id);
  c->image_name = image_name_as_given (img, s->image);
  c->created_ns = realtime_ns ();
  c->args = steal_pointer (&argv);
  c->env = env_of (s, ic);
  const char *user = s->user ? s->user : (ic && ic->user && *ic->user ? ic->user : NULL);
  c->user = user ? xstrdup (user) : NULL;
  c->workdir = xstrdup (s->workdir ? s->workdir : ic && ic->working_dir && *ic->working_dir ? ic->working_dir : "/");
  c->workdir_create = s->workdir == NULL;
  c->hostname = xstrdup (s->hostname ? s->hostname : id);
  if (s->hostname == NULL)
    c->hostname[HOSTNAME_LEN < strlen (id) ? HOSTNAME_LEN : strlen (id)] = '\0';
  c->caps = s->caps;
  c->privileged = s->privileged;
  c->no_new_privileges = s->no_new_privileges;
  c->read_only = s->read_only;
  c->read_only_tmpfs = s->read_only_tmpfs;
  c->tty = s->tty;
  c->open_stdin = s->interactive;
  c->auto_remove = s->auto_remove;
  c->seccomp = s->privileged ? SKIFF_SECCOMP_UNCONFINED : s->seccomp;
  c->seccomp_profile = c->seccomp == SKIFF_SECCOMP_CUSTOM && s->seccomp_profile ? xstrdup (s->seccomp_profile) : NULL;
  c->rlimits = xmalloc0 ((s->nrlimits + 1) * sizeof *c->rlimits);
  if (s->nrlimits)
    memcpy (c->rlimits, s->rlimits, s->nrlimits * sizeof *c->rlimits);
  c->nrlimits = s->nrlimits;
  c->stop_signal = stop_signal_of (s, ic);
  c->stop_timeout = s->stop_timeout_set ? s->stop_timeout : SKIFF_DEFAULT_STOP_TIMEOUT;
  c->restart = s->restart;
  c->log_driver = s->log_driver;
  if (skiff_log_driver_is_file (c->log_driver))
    c->log_path = s->log_path ? xstrdup (s->log_path) : skiff_storage_container_file (root, id, SKIFF_CONTAINER_LOG);
  c->conmon_pidfile = s->conmon_pidfile ? xstrdup (s->conmon_pidfile) : NULL;
  c->log_size_max = s->log_max_size ? (int64_t) s->log_max_size : -1;
  skiff_kvlist_copy (&c->labels, &s->labels);
  skiff_kvlist_copy (&c->annotations, &s->annotations);
  c->mounts = skiff_mounts_dup (s->mounts, s->nmounts);
  c->nmounts = s->nmounts;
  c->state = SKIFF_CTR_CREATED;
  *out = c;
  return 0;
}

/* What create has made so far, undone when it fails */
struct making
{
  struct skiff_engine *e;
  struct skiff_container *c;
  struct skiff_engine_net *net;
  struct skiff_image *img;
  struct skiff_pod *pod;
  bool named, recorded, rootfs;
  char **volumes_made;   /* volumes made for this container (named on first use, anonymous) */
  const char *localtime; /* the spec's --tz zone */
  size_t localtime_len;
  uid_t uid; /* --userns: the caller's IDs on the host, and the container's map */
  gid_t gid;
  struct skiff_idmap idmap;
};

static void
making_undo (struct making *m)
{
  skiff_error_t err = NULL;
  skiff_volumes_undo (m->e, m->volumes_made);
  if (m->rootfs && skiff_store_rootfs_delete (m->e->store, m->c->id, &err) < 0)
    {
      log_warning ("removing the root filesystem of the container being created: %s", err->msg);
      skiff_error_release (&err);
    }
  if (m->recorded && skiff_record_unlink (m->e, m->c->id, &err) < 0)
    {
      log_warning ("removing the record of the container being created: %s", err->msg);
      skiff_error_release (&err);
    }
  if (m->named && skiff_names_release (m->e, m->c->name, &err) < 0)
    {
      log_warning ("freeing the name of the container being created: %s", err->msg);
      skiff_error_release (&err);
    }
}

static int
check_interrupt (skiff_error_t *err)
{
  int sig = skiff_interrupted ();
  return sig ? skiff_interrupt_error (err, sig, "the container was being created") : 0;
}

/* --pod: the pod (made first with new:NAME, with the spec's network); the container takes the pod's network,
 * which therefore cannot be given to it too */
static int
create_pod (struct making *m, const struct skiff_spec *s, skiff_error_t *err)
{
  cleanup_free char *pod_id = NULL;
  if (s->pod_new)
    {
      struct skiff_pod_spec ps;
      skiff_pod_spec_init (&ps);
      ps.name = xstrdup (s->pod);
      skiff_net_spec_release (&ps.net);
      ps.net = s->net;
      /* borrowed: not released with ps */
      int r = skiff_engine_pod_create (m->e, &ps, &pod_id, err);
      memset (&ps.net, 0, sizeof ps.net);
      skiff_pod_spec_release (&ps);
      if (r < 0)
        return -1;
    }
  else
    {
      if (s->net.nports || s->net.publish_all)
        return skiff_error_set_status (err, EINVAL,
                                       "invalid config provided: published or exposed ports must be defined when the "
                                       "pod is created: network cannot be configured when it is shared with a pod");
      if (s->net.explicit_mode || s->net.mode != SKIFF_NETMODE_SLIRP)
        return skiff_error_set_status (err, EINVAL,
                                       "invalid config provided: --network cannot be given with --pod: the container "
                                       "uses the pod's network");
    }
  struct skiff_pod *pod = NULL;
  if (skiff_engine_pod_lookup (m->e, pod_id ? pod_id : s->pod, &pod, err) < 0)
    return -1;
  m->pod = pod;
  return 0;
}

static int
create_network (struct making *m, const struct skiff_spec *s, skiff_error_t *err)
{
  static const struct skiff_net_spec plain = { .mode = SKIFF_NETMODE_SLIRP };
  struct skiff_net_spec own = plain;
  const struct skiff_image_config *ic = m->img->config;
  m->net = xmalloc0 (sizeof *m->net);
  if (m->pod)
    {
      /* a network of its own when the pod shares none; the pod's otherwise */
      skiff_net_options_parse (NULL, &own.slirp, NULL);
      if (!m->pod->share_net && skiff_engine_net_from_spec (m->e, &own, NULL, m->net, err) < 0)
        return -1;
      m->net->spec = NULL;
      skiff_pod_join (m->pod, m->net);
    }
  else if (skiff_engine_net_from_spec (m->e, &s->net, ic ? ic->exposed_ports : NULL, m->net, err) < 0)
    return -1;
  /* the ports are bound before anything is made (a random host port is chosen here, and recorded); a port in
   * use is no error yet: as podman, the container is made and its start fails (126) */
  if (skiff_engine_net_bind (m->net, err) < 0)
    {
      if ((*err)->status != EADDRINUSE)
        return -1;
      log_debug ("%s: the start will try again", (*err)->msg);
      skiff_error_release (err);
    }
  return 0;
}

static int
write_userdata (struct making *m, skiff_error_t *err)
{
  const char *hostname = m->c->hostname;
  cleanup_free char *hn = xasprintf ("%s\n", hostname);
  cleanup_free char *hosts = skiff_engine_net_hosts (m->net, hostname, m->c->name);
  cleanup_free char *resolv = skiff_engine_net_resolv_conf (m->net);
  /* podman's /run/.containerenv: there for every container, empty unless privileged */
  cleanup_free char *containerenv
      = m->c->privileged
            ? xasprintf ("engine=\"podman-skiff-%s\"\nname=\"%s\"\nid=\"%s\"\nimage=\"%s\"\nimageid=\"%s\"\n"
                         "rootless=%d\n",
                         SKIFF_VERSION, m->c->name ? m->c->name : "", m->c->id,
                         m->c->image_name ? m->c->image_name : "", m->c->image_id ? m->c->image_id : "",
                         skiff_engine_rootless (m->e) ? 1 : 0)
            : xstrdup ("");
  const struct
  {
    const char *name, *text;
  } files[]
      = { { "hostname", hn }, { "hosts", hosts }, { "resolv.conf", resolv }, { SKIFF_CONTAINERENV, containerenv } };
  for (size_t i = 0; i < ARRAY_SIZE (files); i++)
    {
      cleanup_free char *path = skiff_storage_container_file (m->e->root, m->c->id, files[i].name);
      if (write_file_at (AT_FDCWD, path, files[i].text, strlen (files[i].text), 0644, err) < 0)
        return -1;
    }
  /* --tz: a copy of the zone, as podman makes (the host's may change under a running container) */
  if (m->localtime)
    {
      cleanup_free char *path = skiff_storage_container_file (m->e->root, m->c->id, SKIFF_LOCALTIME);
      if (write_file_at (AT_FDCWD, path, m->localtime, m->localtime_len, 0644, err) < 0)
        return -1;
    }
  return 0;
}

/* --userns: the container's map over skiff's namespace. A namespace of its own cannot join the namespaces of a
 * pod or of another container, which belong to skiff's: checked before anything (a pod) is made. */
static int
create_userns (struct making *m, const struct skiff_spec *s, skiff_error_t *err)
{
  const struct skiff_userns_spec *u = &s->userns;
  if (u->mode == SKIFF_USERNS_HOST)
    return 0;
  if (!skiff_engine_rootless (m->e))
    return skiff_error_set_status (err, EINVAL, "keep-id is only supported in rootless mode");
  if (s->pod || s->net.mode == SKIFF_NETMODE_CONTAINER || s->net.mode == SKIFF_NETMODE_HOST)
    return skiff_error_set_status (err, EINVAL,
                                   "--userns keep-id cannot be combined with --pod or --network host|container: "
                                   "skiff's pods and shared namespaces live in its own user namespace");
  uint32_t nuids, ngids;
  return skiff_userns_caller (&m->uid, &m->gid, &nuids, &ngids, err) < 0
                 || skiff_userns_build_map (u, m->uid, m->gid, nuids, ngids, &m->idmap, err) < 0
             ? -1
             : 0;
}

/* ... into the container: keep-id's default user is the caller's IDs */
static void
userns_apply (struct making *m, const struct skiff_spec *s)
{
  if (m->idmap.nuid == 0)
    return;
  m->c->idmap = m->idmap;
  m->c->userns_mode = xstrdup ("keep-id");
  if (s->user == NULL)
    {
      free (m->c->user);
      m->c->user = xasprintf ("%u:%u", s->userns.uid_set ? s->userns.uid : (unsigned) m->uid,
                              s->userns.gid_set ? s->userns.gid : (unsigned) m->gid);
    }
}

/* The new root filesystem's owners moved to the container's map (on overlay this copies the image up into the
 * container's layer, once, as containers/storage does without ID-mapped mounts) */
static int
userns_rootfs (struct making *m, const struct skiff_spec *s, skiff_error_t *err)
{
  cleanup_free char *merged = NULL;
  if (skiff_store_rootfs_mount (m->e->store, m->c->id, &merged, err) < 0)
    return -1;
  int r = skiff_userns_prepare_rootfs (merged, &s->userns, &m->c->idmap, m->uid, m->gid,
                                       m->c->workdir ? m->c->workdir : "/", err);
  skiff_error_t ignored = NULL;
  if (skiff_store_rootfs_unmount (m->e->store, m->c->id, r < 0 ? &ignored : err) < 0 && r == 0)
    r = -1;
  skiff_error_release (&ignored);
  return r;
}

/* name, record, root filesystem, userdata: in this order, so that a skiff killed half-way leaves what the next
 * command recognises (a name without a record, a record without a root filesystem) and removes */
static int
create_files (struct making *m, const struct skiff_spec *s, skiff_error_t *err)
{
  struct skiff_container *c = m->c;
  if (skiff_names_reserve (m->e, c->id, s->name, &c->name, err) < 0)
    return -1;
  m->named = true;
  skiff_test_point ("create-name");
  /* until the root filesystem exists, a record without one is still being made while this process lives */
  c->creator_pid = getpid ();
  if (skiff_record_write_new (m->e, c, !c->auto_remove, err) < 0)
    return -1;
  m->recorded = true;
  skiff_test_point ("create-record");
  if (check_interrupt (err) < 0 || skiff_store_rootfs_create (m->e->store, m->img, c->id, err) < 0)
    return -1;
  m->rootfs = true;
  if (m->c->idmap.nuid && userns_rootfs (m, s, err) < 0)
    return -1;
  return write_userdata (m, err);
}

int
skiff_engine_container_create (struct skiff_engine *e, const struct skiff_spec *s, struct skiff_container **out,
                               skiff_error_t *err)
{
  struct making m = { .e = e, .localtime = s->localtime, .localtime_len = s->localtime_len };
  struct skiff_store *store;
  char id[65];
  int r = -1;
  *out = NULL;
  if (skiff_engine_store (e, &store, err) < 0)
    return -1;
  if (skiff_store_image_lookup (store, s->image, &m.img, err) < 0)
    {
      if (*err && (*err)->status == ENOENT)
        skiff_error_wrap (err, "%s", "no such local image (import one with `skiff import FILE.tar NAME`)");
      return -1;
    }
  if (skiff_volumes_check (e, s, err) < 0)
    goto out;
  if (create_userns (&m, s, err) < 0 || (s->pod && create_pod (&m, s, err) < 0) || create_network (&m, s, err) < 0
      || random_hex_id (id, err) < 0 || skiff_container_from_spec (s, m.img, id, e->root, &m.c, err) < 0)
    goto out;
  if (skiff_volumes_prepare (e, m.c, s, m.img, &m.volumes_made, err) < 0)
    goto out;
  skiff_engine_net_to_record (m.net, &m.c->net);
  userns_apply (&m, s);
  m.c->keep_groups = s->keep_groups;
  if (m.pod)
    {
      m.c->pod_id = xstrdup (m.pod->id);
      /* the pod's UTS namespace: its hostname is the pod's */
      if (m.net->pod_hostname)
        {
          free (m.c->hostname);
          m.c->hostname = xstrdup (m.net->pod_hostname);
        }
    }
  if (check_interrupt (err) < 0 || create_files (&m, s, err) < 0 || check_interrupt (err) < 0)
    goto out;
  /* kept bound for this process's start of it (a pod's container joins the running infra then) */
  if (m.pod == NULL)
    {
      m.net->spec = NULL;
      skiff_engine_net_free (e->prepared_net);
      e->prepared_net = steal_pointer (&m.net);
      snprintf (e->prepared_id, sizeof e->prepared_id, "%s", id);
    }
  *out = steal_pointer (&m.c);
  r = 0;

out:
  if (r < 0 && m.c)
    making_undo (&m);
  skiff_container_free (m.c);
  strv_free (m.volumes_made);
  skiff_engine_net_free (m.net);
  skiff_pod_free (m.pod);
  if (m.img)
    skiff_image_free (m.img);
  return r;
}
