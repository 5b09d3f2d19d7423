/* Starting a container: one path from its record to a running process, for run (create, then start), start,
 * restart and the monitor's restart policy. The runtime config is built from the record (config.c), the
 * network from the record or from what create bound, and the container is held either by a monitor or, for a
 * foreground run, by this process, which relays its stdio through pipes (never the caller's terminal), logs
 * it, and records its end. */
#include "engine/internal.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#include "engine/network.h"
#include "monitor/monitor.h"
#include "runtime/runtime.h"
#include "util/interrupt.h"

/* One start of one container: what its holder (a monitor, or this process) needs */
struct holder
{
  struct skiff_engine *e;
  char id[65];
  char *name;
  struct skiff_engine_net *net;
  bool rm;
};

struct started
{
  int pid, monitor_pid;
  unsigned restarts;
  bool stopped;         /* out: stop, kill or rm -f flagged it meanwhile */
  char *conmon_pidfile; /* out: the record's --conmon-pidfile */
};

static void
mark_started (struct skiff_container *c, void *data)
{
  struct started *s = data;
  s->stopped = c->stopped_by_user;
  c->state = SKIFF_CTR_RUNNING;
  c->pid = s->pid;
  c->conmon_pid = s->monitor_pid;
  free (c->boot_id);
  c->boot_id = xstrdup (skiff_boot_id ());
  c->started_ns = realtime_ns ();
  c->restart_count = s->restarts;
  s->conmon_pidfile = c->conmon_pidfile ? xstrdup (c->conmon_pidfile) : NULL;
}

/* --conmon-pidfile: the PID of what holds the container (its monitor, or a foreground skiff), as podman writes
 * conmon's; a file that cannot be written is a warning, the container runs on */
static void
write_conmon_pidfile (const char *path, pid_t monitor)
{
  skiff_error_t err = NULL;
  cleanup_free char *text = xasprintf ("%d", (int) monitor);
  if (write_file_at (AT_FDCWD, path, text, strlen (text), 0644, &err) < 0)
    {
      log_warning ("writing the --conmon-pidfile %s: %s", path, err->msg);
      skiff_error_release (&err);
    }
}

/* The container runs: its record says so (1), or the user stopped it meanwhile (0), or the record could not be
 * written (-1): then nobody could stop it, so it must not run */
static int
record_started (struct holder *h, pid_t pid, pid_t monitor, unsigned restarts, skiff_error_t *err)
{
  struct started s = { .pid = pid, .monitor_pid = monitor, .restarts = restarts };
  /* not fsynced: a start that a crash loses is found out by the next refresh */
  if (skiff_container_update (h->e, h->id, false, mark_started, &s, err) < 0)
    return skiff_error_wrap (err, "record the start of container %s", h->id);
  if (s.conmon_pidfile)
    write_conmon_pidfile (s.conmon_pidfile, monitor);
  free (s.conmon_pidfile);
  return s.stopped ? 0 : 1;
}

struct exited
{
  int status;
  uint64_t finished_ns;
};

static void
mark_exited (struct skiff_container *c, void *data)
{
  struct exited *x = data;
  c->state = SKIFF_CTR_EXITED;
  c->exit_code = x->status;
  c->pid = 0;
  c->finished_ns = x->finished_ns;
}

/* The end, recorded durably: an exit status must survive a crash. A record removed meanwhile (rm -f) stays
 * removed. When the record cannot be written (a full or failing disk) the status goes to the exit file that the
 * next reader applies; when even that fails, *err says what was lost. */
static int
record_exited (struct holder *h, int status, skiff_error_t *err)
{
  struct exited x = { status, realtime_ns () };
  skiff_error_t first = NULL;
  if (skiff_container_update (h->e, h->id, true, mark_exited, &x, &first) == 0 || first->status == ENOENT)
    {
      skiff_error_release (&first);
      return 0;
    }
  skiff_error_t second = NULL;
  int r = skiff_exit_file_write (h->e, h->id, status, x.finished_ns, &second);
  if (r == 0)
    skiff_error_set_status (err, first->status,
                            "container %s exited with %d, but its record could not be written (%s): the exit code "
                            "is kept in %s/exits until the next command reads it",
                            h->id, status, first->msg, h->e->runroot);
  else
    skiff_error_set_status (err, first->status,
                            "container %s exited with %d, but neither its record (%s) nor its exit file (%s) could "
                            "be written: its exit code is lost",
                            h->id, status, first->msg, second->msg);
  skiff_error_release (&first);
  skiff_error_release (&second);
  return -1;
}

/* --rm: everything of the container goes with it */
static void
remove_after_exit (struct holder *h)
{
  skiff_error_t err = NULL;
  if (skiff_container_remove_files (h->e, h->id, h->name, &err) < 0)
    {
      log_warning ("removing container %s after it exited: %s", h->id, err->msg);
      skiff_error_release (&err);
    }
}

/* ---- held by a monitor ---- */

static int
monitor_spawned (void *data, struct skiff_container_process *proc, skiff_error_t *err)
{
  struct holder *h = data;
  return skiff_engine_net_started (h->net, proc, err);
}

static void
monitor_reaped (void *data)
{
  struct holder *h = data;
  skiff_engine_net_stopped (h->net);
}

static int
monitor_started (void *data, pid_t pid, pid_t monitor, unsigned restarts, skiff_error_t *err)
{
  return record_started (data, pid, monitor, restarts, err);
}

/* stop, kill and rm -f flag the record (under the container's lock) before they signal */
static bool
monitor_stopped_by_user (void *data)
{
  struct holder *h = data;
  struct skiff_container *c = NULL;
  bool stopped = skiff_record_load (h->e, h->id, &c, NULL) < 0 || c->stopped_by_user;
  skiff_container_free (c);
  return stopped;
}

static void
monitor_exited (void *data, int status)
{
  struct holder *h = data;
  if (h->rm)
    {
      remove_after_exit (h);
      return;
    }
  /* the monitor has no terminal to report a failure on: the exit file is its fallback (record_exited) */
  skiff_error_t err = NULL;
  if (record_exited (h, status, &err) < 0)
    skiff_error_release (&err);
}

static int
start_monitor (struct holder *h, const struct skiff_container *c, struct skiff_launch *l,
               const struct skiff_start_options *o, struct skiff_start_result *res, skiff_error_t *err)
{
  cleanup_free char *log_path = skiff_engine_container_log_path (h->e, c);
  cleanup_free char *dir = skiff_engine_container_dir (h->e, c->id);
  struct skiff_monitor_params mp = {
    .cfg = &l->cfg,
    .log_path = log_path,
    .log_max_size = c->log_size_max > 0 ? (uint64_t) c->log_size_max : 0,
    .restart = c->restart,
    .on_spawn = monitor_spawned,
    .on_reap = monitor_reaped,
    .on_start = monitor_started,
    .on_exit = monitor_exited,
    .stopped_by_user = monitor_stopped_by_user,
    .data = h,
    .attach_dir = dir,
    .stdin_open = c->open_stdin,
    .attach_out = o->attach_fd,
  };
  pid_t cpid, mpid;
  if (skiff_monitor_start (&mp, &cpid, &mpid, err) < 0)
    return -1;
  /* from here on the monitor holds the container, and its root filesystem's mount */
  l->keep_mount = true;
  res->monitor_pid = mpid;
  return 0;
}

/* ---- held by this process: a foreground run ---- */

struct foreground
{
  struct skiff_log_writer log;
};

static void
log_output (void *data, int stream, const char *buf, size_t len)
{
  struct foreground *f = data;
  if (f->log.fd >= 0)
    skiff_log_write (&f->log, stream, buf, len);
}

/* The container's stdio: pipes relayed here (and logged), or skiff's own with passthrough */
static int
foreground_stdio (const struct skiff_container *c, struct skiff_container_config *cfg, struct skiff_stdio_pipes *p,
                  int *null_fd, skiff_error_t *err)
{
  cfg->use_stdio_fds = !c->tty;
  if (c->tty)
    return 0;
  if (c->log_driver != SKIFF_LOG_PASSTHROUGH)
    {
      if (skiff_stdio_pipes_open (c->open_stdin, p, err) < 0)
        return -1;
      memcpy (cfg->stdio_fds, p->child, sizeof cfg->stdio_fds);
      return 0;
    }
  if (skiff_stdio_check_passthrough (err) < 0)
    return -1;
  if (!c->open_stdin && (*null_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
    return skiff_error_set (err, errno, "open /dev/null");
  cfg->stdio_fds[0] = c->open_stdin ? STDIN_FILENO : *null_fd;
  cfg->stdio_fds[1] = STDOUT_FILENO;
  cfg->stdio_fds[2] = STDERR_FILENO;
  return 0;
}

static void
kill_spawned (struct skiff_container_process *proc)
{
  kill (proc->pid, SIGKILL);
  while (waitpid (proc->pid, NULL, 0) < 0 && errno == EINTR)
    ;
  if (proc->pty_master >= 0)
    close (proc->pty_master);
  proc->pty_master = -1;
}

/* Spawn, record, relay until it ends, record the end (or remove it, --rm) */
static int
hold_foreground (struct holder *h, const struct skiff_container *c, struct skiff_launch *l, struct foreground *f,
                 struct skiff_stdio_pipes *p, struct skiff_start_result *res, skiff_error_t *err)
{
  struct skiff_container_process proc;
  int r = skiff_container_spawn (&l->cfg, &proc, err);
  skiff_stdio_pipes_close_child (p);
  if (r < 0)
    return -1;
  /* this skiff holds the container, as a monitor would: ps and stop see it running */
  if (skiff_engine_net_started (h->net, &proc, err) < 0 || record_started (h, proc.pid, getpid (), 0, err) < 0)
    {
      kill_spawned (&proc);
      skiff_engine_net_stopped (h->net);
      return -1;
    }
  struct skiff_stdio_relay relay = { .in = p->in, .out = p->out, .err = p->err, .output = log_output, .data = f };
  p->in = p->out = p->err = -1; /* the wait takes them over */
  int status = 0;
  r = skiff_container_wait (&proc, c->tty, c->open_stdin, &relay, &status, err);
  skiff_engine_net_stopped (h->net);
  if (proc.pty_master >= 0)
    close (proc.pty_master);
  skiff_log_close (&f->log);
  if (r < 0)
    return -1;
  res->exit_code = status;
  if (h->rm)
    remove_after_exit (h);
  else if (record_exited (h, status, err) < 0)
    {
      /* the container ran: its exit code is the caller's all the same, and what was lost is said */
      log_warning ("%s", (*err)->msg);
      skiff_error_release (err);
    }
  return 0;
}

static int
start_foreground (struct holder *h, const struct skiff_container *c, struct skiff_launch *l,
                  struct skiff_start_result *res, skiff_error_t *err)
{
  struct skiff_stdio_pipes p = { .child = { -1, -1, -1 }, .in = -1, .out = -1, .err = -1 };
  struct foreground f = { .log = { .fd = -1 } };
  cleanup_close int null_fd = -1;
  if (foreground_stdio (c, &l->cfg, &p, &null_fd, err) < 0)
    return -1;
  cleanup_free char *log_path = skiff_engine_container_log_path (h->e, c);
  int r = 0;
  if (log_path && !c->tty && (r = skiff_log_open (&f.log, log_path, err)) == 0)
    skiff_log_set_max_size (&f.log, c->log_size_max > 0 ? (uint64_t) c->log_size_max : 0);
  if (r == 0)
    r = hold_foreground (h, c, l, &f, &p, res, err);
  skiff_stdio_pipes_close (&p);
  if (f.log.fd >= 0)
    skiff_log_close (&f.log);
  return r;
}

/* ---- the start ---- */

static void
clear_stop_flags (struct skiff_container *c, void *data)
{
  (void) data;
  /* a new start: the flag of an earlier stop must not stop this run, nor an old error describe it */
  c->stopped_by_user = false;
  c->stopping = false;
  c->restart_count = 0;
  c->monitor_died = false;
  free (c->error);
  c->error = NULL;
}

/* The pty starts with the size of the terminal skiff runs in, if any (attach follows it from then on) */
static void
terminal_size (struct skiff_container_config *cfg)
{
  struct winsize ws;
  if (ioctl (STDIN_FILENO, TIOCGWINSZ, &ws) == 0 || ioctl (STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
    {
      cfg->rows = ws.ws_row;
      cfg->cols = ws.ws_col;
    }
}

/* The network: the one create resolved and bound in this process, else the record's (a pod's container joins
 * the pod, whose infra runs by now) */
static int
start_network (struct skiff_engine *e, const struct skiff_container *c, struct skiff_engine_net **out,
               skiff_error_t *err)
{
  if (e->prepared_net && strcmp (e->prepared_id, c->id) == 0)
    {
      /* bound by create, unless a port was in use then: it is tried again, and fails the start */
      *out = steal_pointer (&e->prepared_net);
      return skiff_engine_net_bind (*out, err);
    }
  struct skiff_engine_net *n = xmalloc0 (sizeof *n);
  *out = n;
  if (skiff_engine_net_from_record (e, &c->net, n, err) < 0)
    return -1;
  if (c->pod_id)
    {
      struct skiff_pod *pod = NULL;
      if (skiff_pod_record_load (e, c->pod_id, &pod, err) < 0)
        return -1;
      skiff_pod_join (pod, n);
      skiff_pod_free (pod);
    }
  return skiff_engine_net_bind (n, err);
}

static int
start_container (struct skiff_engine *e, struct skiff_container *c, const struct skiff_start_options *o,
                 struct skiff_start_result *res, skiff_error_t *err)
{
  struct holder h = { .e = e, .name = c->name, .rm = c->auto_remove };
  snprintf (h.id, sizeof h.id, "%s", c->id);
  struct skiff_launch l = { 0 };
  pid_t infra;
  int r = -1;
  if (c->pod_id && skiff_pod_infra_ensure (e, c->pod_id, &infra, err) < 0)
    goto out;
  bool flagged = c->stopped_by_user || c->restart_count || c->monitor_died || c->error;
  if (flagged && skiff_container_update (e, c->id, false, clear_stop_flags, NULL, err) < 0)
    goto out;
  if (start_network (e, c, &h.net, err) < 0 || skiff_launch_prepare (e, c, &l, err) < 0
      || skiff_launch_rootfs (&l, err) < 0)
    goto out;
  skiff_engine_net_config (h.net, &l.cfg);
  l.cfg.preserve_fds = o->preserve_fds;
  if (c->tty)
    terminal_size (&l.cfg);
  if (skiff_interrupted ())
    {
      skiff_interrupt_error (err, skiff_interrupted (), "the container was being set up");
      goto out;
    }
  r = o->foreground ? start_foreground (&h, c, &l, res, err) : start_monitor (&h, c, &l, o, res, err);

out:
  skiff_launch_release (&l);
  skiff_engine_net_free (h.net);
  return r;
}

int
skiff_engine_container_start (struct skiff_engine *e, const char *ref, const struct skiff_start_options *o,
                              struct skiff_start_result *res, skiff_error_t *err)
{
  memset (res, 0, sizeof *res);
  struct skiff_store *s;
  struct skiff_container *c = NULL;
  if (skiff_engine_store (e, &s, err) < 0 || skiff_engine_container_lookup (e, ref, &c, err) < 0)
    return -1;
  int r = 0;
  struct skiff_image *img = NULL;
  /* created by this process a moment ago: its image was there */
  bool just_created = e->prepared_net && strcmp (e->prepared_id, c->id) == 0;
  if (c->state == SKIFF_CTR_RUNNING)
    res->was_running = true;
  else if (!just_created && (c->image_id == NULL || skiff_store_image_lookup (s, c->image_id, &img, NULL) < 0))
    r = skiff_error_set_status (err, ENOENT, "preparing container %s for attach: retrieving image %s: image not known",
                                c->id, c->image_id ? c->image_id : "");
  else
    r = start_container (e, c, o, res, err);
  if (img)
    skiff_image_free (img);
  skiff_container_free (c);
  return r;
}
