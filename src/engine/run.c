/* skiff run: image + options -> container record, root filesystem, userdata files, runtime config;
 * run it in the foreground and clean up after it. */
#include "engine/engine.h"

#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "engine/network.h"
#include "engine/records.h"
#include "monitor/monitor.h"
#include "runtime/caps.h"
#include "runtime/process.h"
#include "runtime/runtime.h"
#include "runtime/seccomp.h"

#define HOSTNAME_LEN 12
#define SECCOMP_CACHE_DIR "cache/seccomp"

struct run_state
{
  struct skiff_engine *e;
  struct skiff_store *store;
  char id[65];
  char *name;
  char *userdata;
  bool record_created;
  bool rootfs_created;
  bool rootfs_mounted;
};

static void
run_state_cleanup (struct run_state *st, bool remove)
{
  skiff_error_t ignored = NULL;
  if (st->rootfs_mounted)
    skiff_store_rootfs_unmount (st->store, st->id, &ignored);
  skiff_error_release (&ignored);
  if (remove)
    {
      if (st->rootfs_created)
        skiff_store_rootfs_delete (st->store, st->id, &ignored);
      skiff_error_release (&ignored);
      if (st->record_created)
        skiff_records_remove (st->e, st->id, st->name, &ignored);
      skiff_error_release (&ignored);
      if (st->userdata)
        rm_rf (st->userdata, &ignored);
      skiff_error_release (&ignored);
    }
  free (st->name);
  free (st->userdata);
}

/* --entrypoint: "" clears, a JSON array is taken as is, anything else is one word */
static int
parse_entrypoint (const char *s, char ***out, skiff_error_t *err)
{
  *out = NULL;
  if (*s == '\0')
    return 0;
  if (*s == '[')
    {
      json_object *j = json_tokener_parse (s);
      if (j == NULL || !json_object_is_type (j, json_type_array))
        {
          json_object_put (j);
          return skiff_error_set (err, EINVAL, "invalid --entrypoint `%s`: expected a JSON array of strings", s);
        }
      for (size_t i = 0; i < json_object_array_length (j); i++)
        strv_push (out, json_object_get_string (json_object_array_get_idx (j, i)));
      json_object_put (j);
      return 0;
    }
  strv_push (out, s);
  return 0;
}

/* The container child mounts its own root filesystem: overlay then lives only in the container's mount
 * namespace and vanishes with it, so nothing is left to unmount (and no umount to pay for) afterwards. */
static int
mount_rootfs_in_child (void *data, char **path, skiff_error_t *err)
{
  struct run_state *st = data;
  return skiff_store_rootfs_mount (st->store, st->id, path, err);
}

static int
write_userdata (struct run_state *st, const char *hostname, const struct skiff_engine_net *net, skiff_error_t *err)
{
  /* next to the container's layer, as podman keeps its userdata: one removal takes both */
  st->userdata = xasprintf ("%s/containers/%s", st->e->root, st->id);
  cleanup_free char *hn = xasprintf ("%s\n", hostname);
  cleanup_free char *hnpath = path_join (st->userdata, "hostname");
  if (write_file_at (AT_FDCWD, hnpath, hn, strlen (hn), 0644, err) < 0)
    return -1;
  cleanup_free char *hosts = skiff_engine_net_hosts (net, hostname, st->name);
  cleanup_free char *hostspath = path_join (st->userdata, "hosts");
  if (write_file_at (AT_FDCWD, hostspath, hosts, strlen (hosts), 0644, err) < 0)
    return -1;
  cleanup_free char *resolv = skiff_engine_net_resolv_conf (net);
  cleanup_free char *rpath = path_join (st->userdata, "resolv.conf");
  return write_file_at (AT_FDCWD, rpath, resolv, strlen (resolv), 0644, err);
}

/* ---- detached containers: the monitor calls these ---- */

struct detach_data
{
  struct run_state *st;
  json_object *rec;
  bool rm;
  struct skiff_engine_net *net;
};

static int
detached_spawned (void *data, struct skiff_container_process *proc, skiff_error_t *err)
{
  struct detach_data *d = data;
  return skiff_engine_net_started (d->net, proc, err);
}

static void
detached_reaped (void *data)
{
  struct detach_data *d = data;
  skiff_engine_net_stopped (d->net);
}

/* stop, kill and rm -f flag the record on disk (under the container's lock) before they signal: the monitor
 * keeps its own copy of the record, so it carries the flag over instead of writing over it */
static bool
carry_stopped_flag (struct detach_data *d)
{
  bool stopped = skiff_engine_container_stopped_by_user (d->st->e, d->st->id);
  if (stopped)
    json_object_object_add (d->rec, "StoppedByUser", json_object_new_boolean (1));
  return stopped;
}

static bool
detached_started (void *data, pid_t container_pid, pid_t monitor_pid, unsigned restarts)
{
  struct detach_data *d = data;
  int lock = skiff_engine_container_lock (d->st->e, d->st->id);
  bool stopped = carry_stopped_flag (d);
  json_object_object_add (d->rec, "Status", json_object_new_string ("running"));
  json_object_object_add (d->rec, "Pid", json_object_new_int (container_pid));
  json_object_object_add (d->rec, "ConmonPid", json_object_new_int (monitor_pid));
  json_object_object_add (d->rec, "BootId", json_object_new_string (skiff_boot_id ()));
  json_object_object_add (d->rec, "StartedAt", json_object_new_int64 ((int64_t) realtime_ns ()));
  json_object_object_add (d->rec, "RestartCount", json_object_new_int ((int) restarts));
  skiff_records_update (d->st->e, d->st->id, d->rec, false, NULL);
  if (lock >= 0)
    close (lock);
  return !stopped;
}

static bool
detached_stopped_by_user (void *data)
{
  struct detach_data *d = data;
  int lock = skiff_engine_container_lock (d->st->e, d->st->id);
  bool stopped = carry_stopped_flag (d);
  if (lock >= 0)
    close (lock);
  return stopped;
}

static void
detached_exited (void *data, int status)
{
  struct detach_data *d = data;
  if (d->rm)
    {
      run_state_cleanup (d->st, true);
      return;
    }
  int lock = skiff_engine_container_lock (d->st->e, d->st->id);
  carry_stopped_flag (d);
  json_object_object_add (d->rec, "Status", json_object_new_string ("exited"));
  json_object_object_add (d->rec, "ExitCode", json_object_new_int (status));
  json_object_object_add (d->rec, "Pid", json_object_new_int (0));
  json_object_object_add (d->rec, "FinishedAt", json_object_new_int64 ((int64_t) realtime_ns ()));
  /* the exit status must survive a crash: this write is fsynced; a record removed meanwhile (rm -f)
   * stays removed */
  if (skiff_records_exists (d->st->e, d->st->id))
    skiff_records_update (d->st->e, d->st->id, d->rec, true, NULL);
  if (lock >= 0)
    close (lock);
}

static json_object *
strv_to_json (char *const *v)
{
  json_object *a = json_object_new_array ();
  for (size_t i = 0; v && v[i]; i++)
    json_object_array_add (a, json_object_new_string (v[i]));
  return a;
}

int
skiff_engine_run (struct skiff_engine *e, const struct skiff_run_options *o, int *exit_code, skiff_error_t *err)
{
  struct run_state st = { .e = e };
  struct skiff_image *img = NULL;
  struct skiff_seccomp *filter = NULL;
  struct skiff_rlimit *rlimits = NULL;
  cleanup_strv char **argv = NULL;
  cleanup_strv char **env = NULL;
  cleanup_strv char **entrypoint = NULL;
  cleanup_free char *merged = NULL;
  cleanup_free char *hostname = NULL;
  cleanup_free char *seccomp_json = NULL;
  cleanup_free char *cache_dir = NULL;
  struct skiff_bind binds[3] = { 0 };
  json_object *rec = NULL;
  int ret = -1;
  int cid_fd = -1;
  cleanup_free char *log_path = NULL;
  struct skiff_engine_net net = { 0 };

  /* validate everything that does not need the store first: bad input leaves nothing behind */
  struct skiff_restart restart;
  if (skiff_restart_parse (o->restart ? o->restart : "", &restart, err) < 0)
    goto out;
  if (o->rm && restart.policy != SKIFF_RESTART_NO)
    {
      skiff_error_set_status (
          err, EINVAL, "the --rm option conflicts with --restart, when the restartPolicy is not \"\" and \"no\"");
      goto out;
    }
  if (o->stop_signal && skiff_signal_parse (o->stop_signal) < 0)
    {
      skiff_error_set_status (err, EINVAL, "invalid stop signal: %s: use a name (TERM, SIGUSR1) or a number",
                              o->stop_signal);
      goto out;
    }
  uint64_t caps = SKIFF_CAPS_DEFAULT;
  if (o->privileged)
    caps = skiff_caps_bounding (); /* all we have: a bounding set may lack some */
  if (skiff_caps_compute (caps, o->cap_add, o->cap_drop, &caps, err) < 0)
    goto out;
  size_t nrl = strv_len (o->ulimits);
  rlimits = xmalloc0 ((nrl + 1) * sizeof *rlimits);
  for (size_t i = 0; i < nrl; i++)
    if (skiff_rlimit_parse (o->ulimits[i], &rlimits[i], err) < 0 || skiff_rlimit_check (&rlimits[i], err) < 0)
      goto out;
  /* podman raises the soft nofile limit to the hard one unless told otherwise */
  bool have_nofile = false;
  for (size_t i = 0; i < nrl; i++)
    have_nofile |= rlimits[i].resource == RLIMIT_NOFILE;
  if (!have_nofile)
    {
      struct rlimit cur;
      if (getrlimit (RLIMIT_NOFILE, &cur) == 0)
        {
          cur.rlim_cur = cur.rlim_max;
          rlimits[nrl++] = (struct skiff_rlimit){ RLIMIT_NOFILE, cur };
        }
    }
  if (o->entrypoint && parse_entrypoint (o->entrypoint, &entrypoint, err) < 0)
    goto out;
  bool unconfined = o->privileged || (o->seccomp_profile && strcmp (o->seccomp_profile, "unconfined") == 0);
  if (!unconfined && o->seccomp_profile && read_file (o->seccomp_profile, &seccomp_json, NULL, err) < 0)
    {
      skiff_error_wrap (err, "seccomp profile");
      goto out;
    }
  struct skiff_net_request netreq = {
    .network = o->network,
    .publish = o->publish,
    .publish_all = o->publish_all,
    .mac_address = o->mac_address,
    .dns = o->dns,
    .dns_search = o->dns_search,
    .dns_option = o->dns_option,
    .add_host = o->add_host,
  };
  if (skiff_engine_net_parse (&netreq, &net, err) < 0)
    goto out;

  const char *log_driver = o->log_driver ? o->log_driver : "k8s-file";
  if (strcmp (log_driver, "json-file") == 0)
    log_driver = "k8s-file"; /* podman's alias */
  if (strcmp (log_driver, "k8s-file") != 0 && strcmp (log_driver, "none") != 0
      && strcmp (log_driver, "passthrough") != 0)
    {
      skiff_error_set_status (err, EINVAL, "invalid log driver \"%s\": skiff supports k8s-file, none and passthrough",
                              log_driver);
      goto out;
    }
  if ((o->detach || o->create_only) && strcmp (log_driver, "passthrough") == 0)
    {
      skiff_error_set_status (
          err, EINVAL,
          "passthrough logging driver is not supported in detached mode: the container's stdio would "
          "be that of a skiff that has returned; use k8s-file or none with -d");
      goto out;
    }
  if (o->cidfile)
    {
      cid_fd = open (o->cidfile, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (cid_fd < 0)
        {
          if (errno == EEXIST)
            skiff_error_set_status (err, EEXIST,
                                    "container id file exists. Ensure another container is not using it or delete %s",
                                    o->cidfile);
          else
            skiff_error_set (err, errno, "opening cidfile %s", o->cidfile);
          goto out;
        }
    }

  if (skiff_engine_store (e, &st.store, err) < 0)
    goto out;
  st.store = e->store;
  if (skiff_store_image_lookup (st.store, o->image, &img, err) < 0)
    {
      if (*err && (*err)->status == ENOENT)
        skiff_error_wrap (err, "%s", "no such local image (import one with `skiff import FILE.tar NAME`)");
      goto out;
    }
  if (!unconfined)
    {
      cache_dir = path_join (e->root, SECCOMP_CACHE_DIR);
      if (mkdir_p (cache_dir, 0700, err) < 0 || skiff_seccomp_compile (seccomp_json, caps, cache_dir, &filter, err) < 0)
        goto out;
    }

  /* the process: image config, then options */
  const struct skiff_image_config *ic = img->config;
  /* the ports are bound before anything is made: one in use fails here, and leaves nothing behind */
  if (o->pod)
    {
      const char *pod = o->pod;
      cleanup_free char *new_pod = NULL;
      if (str_has_prefix (pod, "new:"))
        {
          struct skiff_pod_options po = { .name = pod + 4, .network = o->network, .publish = o->publish };
          if (skiff_engine_pod_create (e, &po, &new_pod, err) < 0)
            goto out;
          pod = new_pod;
          /* the pod took the network options */
          skiff_engine_net_release (&net);
          struct skiff_net_request plain = { 0 };
          if (skiff_engine_net_parse (&plain, &net, err) < 0)
            goto out;
        }
      if (skiff_engine_net_join_pod (e, pod, &net, err) < 0
          || (net.mode != SKIFF_NETMODE_POD && skiff_engine_net_bind (&net, err) < 0))
        goto out;
    }
  else if (skiff_engine_net_resolve (e, &net, ic ? ic->exposed_ports : NULL, err) < 0
           || skiff_engine_net_bind (&net, err) < 0)
    goto out;
  env = strv_dup (ic ? ic->env : NULL);
  if (!skiff_env_get (env, "PATH"))
    skiff_env_set (&env, "PATH", SKIFF_DEFAULT_PATH, false);
  skiff_env_set (&env, "container", "skiff", true);
  for (size_t i = 0; o->env_files && o->env_files[i]; i++)
    {
      if (skiff_env_merge_file (o->env_files[i], &env, err) < 0)
        goto out;
    }
  for (size_t i = 0; o->env && o->env[i]; i++)
    skiff_env_merge (&env, o->env[i]);
  if (o->entrypoint)
    {
      for (size_t i = 0; entrypoint && entrypoint[i]; i++)
        strv_push (&argv, entrypoint[i]);
      /* an explicit entrypoint drops the image's CMD, as in podman */
      for (size_t i = 0; o->command && o->command[i]; i++)
        strv_push (&argv, o->command[i]);
    }
  else
    {
      for (size_t i = 0; ic && ic->entrypoint && ic->entrypoint[i]; i++)
        strv_push (&argv, ic->entrypoint[i]);
      char **cmd = o->command && o->command[0] ? o->command : (ic ? ic->cmd : NULL);
      for (size_t i = 0; cmd && cmd[i]; i++)
        strv_push (&argv, cmd[i]);
    }
  if (argv == NULL || argv[0] == NULL)
    {
      skiff_error_set (err, EINVAL, "no command or entrypoint specified for image %s: give a command after the image",
                       o->image);
      goto out;
    }

  /* the container */
  if (random_hex_id (st.id, err) < 0)
    goto out;
  hostname = o->hostname ? xstrdup (o->hostname) : xstrndup (st.id, HOSTNAME_LEN);
  if (net.pod_hostname)
    {
      /* the pod's UTS namespace: its hostname is the pod's */
      free (hostname);
      hostname = xstrdup (net.pod_hostname);
    }
  rec = json_object_new_object ();
  json_object_object_add (rec, "Id", json_object_new_string (st.id));
  json_object_object_add (rec, "Image", json_object_new_string (img->id));
  json_object_object_add (rec, "ImageName",
                          json_object_new_string (img->names && img->names[0] ? img->names[0] : o->image));
  json_object_object_add (rec, "Created", json_object_new_int64 ((int64_t) realtime_ns ()));
  json_object_object_add (rec, "Args", strv_to_json (argv));
  json_object_object_add (rec, "Status", json_object_new_string ("created"));
  json_object_object_add (rec, "Hostname", json_object_new_string (hostname));
  /* what `exec` needs to give its process the container's environment, identity and confinement */
  json_object_object_add (rec, "Env", strv_to_json (env));
  json_object_object_add (rec, "User", json_object_new_string (o->user ? o->user : (ic && ic->user ? ic->user : "")));
  json_object_object_add (
      rec, "WorkingDir",
      json_object_new_string (o->workdir ? o->workdir
                                         : (ic && ic->working_dir && *ic->working_dir ? ic->working_dir : "/")));
  char caps_hex[17];
  snprintf (caps_hex, sizeof caps_hex, "%016llx", (unsigned long long) caps);
  json_object_object_add (rec, "CapEff", json_object_new_string (caps_hex));
  json_object_object_add (rec, "NoNewPrivileges", json_object_new_boolean (o->no_new_privileges));
  json_object_object_add (rec, "Privileged", json_object_new_boolean (o->privileged));
  json_object_object_add (rec, "Seccomp",
                          json_object_new_string (unconfined     ? "unconfined"
                                                  : seccomp_json ? "custom"
                                                                 : "default"));
  if (!unconfined && seccomp_json)
    json_object_object_add (rec, "SeccompProfile", json_object_new_string (seccomp_json));
  json_object_object_add (rec, "Ulimits", strv_to_json (o->ulimits));
  /* what stop needs: podman's default signal is the image's StopSignal, else SIGTERM */
  int stop_signal = o->stop_signal ? skiff_signal_parse (o->stop_signal) : -1;
  if (stop_signal < 0 && ic && ic->stop_signal)
    stop_signal = skiff_signal_parse (ic->stop_signal);
  json_object_object_add (rec, "StopSignal", json_object_new_int (stop_signal > 0 ? stop_signal : SIGTERM));
  json_object_object_add (rec, "StopTimeout",
                          json_object_new_int64 (o->stop_timeout_set ? o->stop_timeout : SKIFF_DEFAULT_STOP_TIMEOUT));
  json_object_object_add (rec, "RestartPolicy", json_object_new_string (o->restart && *o->restart ? o->restart : "no"));
  json_object_object_add (rec, "RestartCount", json_object_new_int (0));
  log_path = o->log_path ? xstrdup (o->log_path) : xasprintf ("%s/containers/%s/ctr.log", e->root, st.id);
  json_object_object_add (rec, "LogDriver", json_object_new_string (log_driver));
  if (strcmp (log_driver, "k8s-file") == 0)
    json_object_object_add (rec, "LogPath", json_object_new_string (log_path));
  json_object_object_add (rec, "LogSizeMax", json_object_new_int64 (o->log_max_size ? (int64_t) o->log_max_size : -1));
  /* what start needs to run the container again as run would have */
  json_object_object_add (rec, "ReadOnly", json_object_new_boolean (o->read_only));
  json_object_object_add (rec, "ReadOnlyTmpfs", json_object_new_boolean (o->read_only_tmpfs));
  skiff_engine_net_record (&net, rec);
  json_object_object_add (rec, "Tty", json_object_new_boolean (o->tty));
  json_object_object_add (rec, "AutoRemove", json_object_new_boolean (o->rm));
  json_object_object_add (rec, "Labels", skiff_labels_json (o->labels));
  json_object_object_add (rec, "Annotations", skiff_labels_json (o->annotations));
  json_object_object_add (rec, "OpenStdin", json_object_new_boolean (o->interactive)); /* attach: stdin kept open */
  if (skiff_records_create (e, st.id, o->name, rec, !o->rm, &st.name, err) < 0)
    goto out;
  if (cid_fd >= 0 && write_all (cid_fd, st.id, strlen (st.id)) < 0)
    {
      skiff_error_set (err, errno, "write the container ID to %s", o->cidfile);
      goto out;
    }
  st.record_created = true;
  if (skiff_store_rootfs_create (st.store, img, st.id, err) < 0)
    goto out;
  st.rootfs_created = true;
  /* fuse-overlayfs runs a daemon that must not live in the container's namespaces: mount it here */
  const char *driver = NULL;
  if (skiff_store_driver (st.store, &driver, err) < 0)
    goto out;
  bool child_mounts = strcmp (driver, "fuse-overlayfs") != 0;
  if (!child_mounts)
    {
      if (skiff_store_rootfs_mount (st.store, st.id, &merged, err) < 0)
        goto out;
      st.rootfs_mounted = true;
    }
  if (write_userdata (&st, hostname, &net, err) < 0)
    goto out;
  if (o->create_only)
    {
      /* skiff create: everything but the start, which skiff start does from the record */
      if (o->id_out)
        *o->id_out = xstrdup (st.id);
      st.record_created = st.rootfs_created = false;
      free (st.userdata);
      st.userdata = NULL;
      *exit_code = 0;
      ret = 0;
      goto out;
    }
  static const char *const files[] = { "hosts", "hostname", "resolv.conf" };
  for (size_t i = 0; i < ARRAY_SIZE (files); i++)
    {
      binds[i].source = path_join (st.userdata, files[i]);
      binds[i].destination = xasprintf ("/etc/%s", files[i]);
    }

  struct skiff_container_config cfg = {
    .id = st.id,
    .rootfs = merged,
    .mount_rootfs = child_mounts ? mount_rootfs_in_child : NULL,
    .mount_rootfs_data = &st,
    .hostname = hostname,
    .readonly_rootfs = o->read_only,
    .readonly_tmpfs = o->read_only_tmpfs,
    .privileged = o->privileged,
    .argv = argv,
    .env = env,
    .cwd = o->workdir ? o->workdir : (ic && ic->working_dir && *ic->working_dir ? ic->working_dir : "/"),
    .user = o->user ? o->user : (ic && ic->user && *ic->user ? ic->user : NULL),
    .terminal = o->tty,
    .stdin_open = o->interactive,
    .caps = caps,
    .no_new_privileges = o->no_new_privileges,
    .seccomp = filter,
    .rlimits = rlimits,
    .nrlimits = nrl,
    .binds = binds,
    .nbinds = ARRAY_SIZE (binds),
  };
  skiff_engine_net_config (&net, &cfg);
  if (o->tty)
    {
      struct winsize ws;
      if (ioctl (STDIN_FILENO, TIOCGWINSZ, &ws) == 0 || ioctl (STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
        {
          cfg.rows = ws.ws_row;
          cfg.cols = ws.ws_col;
        }
    }
  if (o->detach)
    {
      struct detach_data dd = { .st = &st, .rec = rec, .rm = o->rm, .net = &net };
      struct skiff_monitor_params mp = {
        .cfg = &cfg,
        .log_path = strcmp (log_driver, "k8s-file") == 0 ? log_path : NULL,
        .log_max_size = o->log_max_size,
        .restart = restart,
        .on_spawn = detached_spawned,
        .on_reap = detached_reaped,
        .on_start = detached_started,
        .on_exit = detached_exited,
        .stopped_by_user = detached_stopped_by_user,
        .data = &dd,
        /* attach */
        .attach_dir = st.userdata,
        .stdin_open = o->interactive,
        .attach_out = o->attach_fd,
      };
      pid_t cpid, mpid;
      if (skiff_monitor_start (&mp, &cpid, &mpid, err) < 0)
        goto out;
      /* from here on the container and its record belong to the monitor */
      if (o->id_out)
        *o->id_out = xstrdup (st.id);
      st.record_created = st.rootfs_created = st.rootfs_mounted = false;
      free (st.userdata);
      st.userdata = NULL;
      *exit_code = 0;
      ret = 0;
      goto out;
    }
  struct skiff_container_process proc;
  if (skiff_container_spawn (&cfg, &proc, err) < 0)
    goto out;
  if (skiff_engine_net_started (&net, &proc, err) < 0)
    {
      kill (proc.pid, SIGKILL);
      int ignored;
      skiff_container_wait (&proc, false, false, &ignored, NULL);
      if (proc.pty_master >= 0)
        close (proc.pty_master);
      goto out;
    }
  json_object_object_add (rec, "Status", json_object_new_string ("running"));
  json_object_object_add (rec, "Pid", json_object_new_int (proc.pid));
  json_object_object_add (rec, "StartedAt", json_object_new_int64 ((int64_t) realtime_ns ()));
  /* in the foreground this skiff holds the container, as a monitor would: ps and stop see it running (a --rm
   * container's record is not fsynced: it dies with the container) */
  json_object_object_add (rec, "ConmonPid", json_object_new_int (getpid ()));
  json_object_object_add (rec, "BootId", json_object_new_string (skiff_boot_id ()));
  skiff_records_update (e, st.id, rec, false, NULL);
  int status = 0;
  int r = skiff_container_wait (&proc, o->tty, o->interactive, &status, err);
  skiff_engine_net_stopped (&net);
  if (proc.pty_master >= 0)
    close (proc.pty_master);
  if (r < 0)
    goto out;
  *exit_code = status;
  json_object_object_add (rec, "Status", json_object_new_string ("exited"));
  json_object_object_add (rec, "ExitCode", json_object_new_int (status));
  json_object_object_add (rec, "Pid", json_object_new_int (0));
  json_object_object_add (rec, "FinishedAt", json_object_new_int64 ((int64_t) realtime_ns ()));
  if (!o->rm)
    skiff_records_update (e, st.id, rec, true, NULL);
  ret = 0;

out:
  if (cid_fd >= 0)
    {
      close (cid_fd);
      if (ret < 0)
        unlink (o->cidfile); /* ours: created above, and no container came of it */
    }
  /* on failure nothing is kept and the caller waits for that; on success the container stays unless --rm */
  run_state_cleanup (&st, ret < 0 || (o->rm && !o->create_only));
  for (size_t i = 0; i < ARRAY_SIZE (binds); i++)
    {
      free (binds[i].source);
      free (binds[i].destination);
    }
  json_object_put (rec);
  skiff_engine_net_release (&net);
  free (rlimits);
  if (filter)
    skiff_seccomp_free (filter);
  if (img)
    skiff_image_free (img);
  return ret;
}

/* ---- skiff start: a created or exited container, under a monitor, from its record ---- */

int
skiff_engine_start (struct skiff_engine *e, const char *ref, bool *was_running, skiff_error_t *err)
{
  return skiff_engine_start_attach (e, ref, was_running, NULL, err);
}

int
skiff_engine_start_attach (struct skiff_engine *e, const char *ref, bool *was_running, int *attach_fd,
                           skiff_error_t *err)
{
  struct run_state st = { .e = e };
  struct skiff_record_config rc = { 0 };
  struct skiff_image *img = NULL;
  struct skiff_bind binds[3] = { 0 };
  cleanup_free char *merged = NULL;
  cleanup_free char *log_path = NULL;
  json_object *rec = NULL, *orig = NULL;
  int ret = -1;
  struct skiff_engine_net net = { 0 };

  *was_running = false;
  if (skiff_engine_store (e, &st.store, err) < 0)
    return -1;
  st.store = e->store;
  if (skiff_engine_container_lookup (e, ref, &rec, err) < 0)
    return -1;
  const char *id = skiff_record_string (rec, "Id");
  const char *status = skiff_record_string (rec, "Status");
  if (id == NULL || strlen (id) >= sizeof st.id)
    {
      skiff_error_set_status (err, EINVAL, "container %s has an invalid record", ref);
      goto out;
    }
  snprintf (st.id, sizeof st.id, "%s", id);
  if (status && strcmp (status, "running") == 0)
    {
      *was_running = true;
      ret = 0;
      goto out;
    }
  const char *name = skiff_record_string (rec, "Name");
  st.name = xstrdup (name ? name : st.id);
  const char *image = skiff_record_string (rec, "Image");
  if (image == NULL || skiff_store_image_lookup (st.store, image, &img, NULL) < 0)
    {
      skiff_error_set_status (err, ENOENT, "preparing container %s for attach: retrieving image %s: image not known",
                              st.id, image ? image : "");
      goto out;
    }
  struct skiff_restart restart;
  const char *policy = skiff_record_string (rec, "RestartPolicy");
  if (skiff_restart_parse (policy && strcmp (policy, "no") != 0 ? policy : "", &restart, err) < 0)
    goto out;
  if (skiff_record_config (e, rec, false, &rc, err) < 0)
    goto out;
  if (rc.argv == NULL || rc.argv[0] == NULL)
    {
      skiff_error_set_status (err, EINVAL, "container %s has no command", st.id);
      goto out;
    }

  const char *driver = NULL;
  if (skiff_store_driver (st.store, &driver, err) < 0)
    goto out;
  bool child_mounts = strcmp (driver, "fuse-overlayfs") != 0;
  if (!child_mounts)
    {
      if (skiff_store_rootfs_mount (st.store, st.id, &merged, err) < 0)
        goto out;
      st.rootfs_mounted = true;
    }
  st.userdata = xasprintf ("%s/containers/%s", e->root, st.id);
  static const char *const files[] = { "hosts", "hostname", "resolv.conf" };
  for (size_t i = 0; i < ARRAY_SIZE (files); i++)
    {
      binds[i].source = path_join (st.userdata, files[i]);
      binds[i].destination = xasprintf ("/etc/%s", files[i]);
    }

  /* a new start: the flag of an earlier stop must not stop this run */
  int lock = skiff_engine_container_lock (e, st.id);
  json_object *fresh = NULL;
  if (skiff_engine_container_lookup (e, st.id, &fresh, NULL) == 0)
    {
      /* rc points into the record first read: it lives until the end */
      orig = rec;
      rec = fresh;
    }
  json_object_object_del (rec, "StoppedByUser");
  json_object_object_add (rec, "RestartCount", json_object_new_int (0));
  skiff_records_update (e, st.id, rec, false, NULL);
  if (lock >= 0)
    close (lock);

  if (skiff_engine_net_from_record (e, rec, &net, err) < 0 || skiff_engine_net_bind (&net, err) < 0)
    goto out;
  const char *hostname = skiff_record_string (rec, "Hostname");
  struct skiff_container_config cfg = {
    .id = st.id,
    .rootfs = merged,
    .mount_rootfs = child_mounts ? mount_rootfs_in_child : NULL,
    .mount_rootfs_data = &st,
    .hostname = hostname ? hostname : st.id,
    .readonly_rootfs = skiff_record_bool (rec, "ReadOnly"),
    .readonly_tmpfs = json_object_object_get (rec, "ReadOnlyTmpfs") ? skiff_record_bool (rec, "ReadOnlyTmpfs") : true,
    .privileged = skiff_record_bool (rec, "Privileged"),
    .argv = rc.argv,
    .env = rc.env,
    .cwd = rc.cwd,
    .user = rc.user,
    .terminal = skiff_record_bool (rec, "Tty"),
    .caps = rc.caps,
    .no_new_privileges = rc.no_new_privileges,
    .seccomp = rc.seccomp,
    .rlimits = rc.rlimits,
    .nrlimits = rc.nrlimits,
    .binds = binds,
    .nbinds = ARRAY_SIZE (binds),
  };
  const char *log_driver = skiff_record_string (rec, "LogDriver");
  const char *lp = skiff_record_string (rec, "LogPath");
  log_path = lp ? xstrdup (lp) : xasprintf ("%s/containers/%s/ctr.log", e->root, st.id);
  json_object *jmax = NULL;
  int64_t max_size = json_object_object_get_ex (rec, "LogSizeMax", &jmax) ? json_object_get_int64 (jmax) : -1;
  skiff_engine_net_config (&net, &cfg);
  struct detach_data dd = { .st = &st, .rec = rec, .rm = skiff_record_bool (rec, "AutoRemove"), .net = &net };
  /* --rm's cleanup in the monitor removes all of it */
  st.record_created = st.rootfs_created = true;
  struct skiff_monitor_params mp = {
    .cfg = &cfg,
    .log_path = log_driver == NULL || strcmp (log_driver, "k8s-file") == 0 ? log_path : NULL,
    .log_max_size = max_size > 0 ? (uint64_t) max_size : 0,
    .restart = restart,
    .on_spawn = detached_spawned,
    .on_reap = detached_reaped,
    .on_start = detached_started,
    .on_exit = detached_exited,
    .stopped_by_user = detached_stopped_by_user,
    .data = &dd,
    /* attach */
    .attach_dir = st.userdata,
    .stdin_open = skiff_record_bool (rec, "OpenStdin"),
    .attach_out = attach_fd,
  };
  pid_t cpid, mpid;
  if (skiff_monitor_start (&mp, &cpid, &mpid, err) < 0)
    goto out;
  ret = 0;

out:
  /* nothing of the container is removed here: it stays as it was when the start failed */
  st.record_created = st.rootfs_created = false;
  run_state_cleanup (&st, false);
  for (size_t i = 0; i < ARRAY_SIZE (binds); i++)
    {
      free (binds[i].source);
      free (binds[i].destination);
    }
  skiff_record_config_release (&rc);
  skiff_engine_net_release (&net);
  json_object_put (rec);
  json_object_put (orig);
  if (img)
    skiff_image_free (img);
  return ret;
}
