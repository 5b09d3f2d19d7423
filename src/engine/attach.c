/* Following a container through its monitor's attach socket (attach, start -a, a foreground run with -t, -a
 * or --detach-keys), and what ends such a session: the container's end, the detach keys, or the monitor
 * going away. */
#include "engine/internal.h"

#include "monitor/monitor.h"

int
skiff_engine_detach_keys_check (const char *keys, skiff_error_t *err)
{
  unsigned char buf[SKIFF_DETACH_KEYS_MAX];
  size_t n;
  return skiff_detach_keys_parse (keys ? keys : SKIFF_DETACH_KEYS_DEFAULT, buf, &n, err);
}

int
skiff_engine_attach_connect (struct skiff_engine *e, const char *id, int *fd, skiff_error_t *err)
{
  cleanup_free char *dir = skiff_engine_container_dir (e, id);
  if (skiff_attach_connect (dir, fd, err) < 0)
    return skiff_error_wrap (err,
                             "attaching to container %s: it has no monitor serving attach (a container run in "
                             "the foreground without -t is not attachable)",
                             id);
  return 0;
}

struct attach_ctx
{
  struct skiff_engine *e;
  const char *id;
};

/* for sig_proxy: the container's PID now (a restart changes it) */
static pid_t
container_pid (void *data)
{
  struct attach_ctx *c = data;
  struct skiff_container *rec = NULL;
  if (skiff_engine_container_lookup (c->e, c->id, &rec, NULL) < 0)
    return -1;
  pid_t pid = rec->pid;
  skiff_container_free (rec);
  return pid;
}

int
skiff_engine_attach (struct skiff_engine *e, const char *id, int fd, const struct skiff_attach_request *r,
                     int *exit_code, bool *detached, skiff_error_t *err)
{
  *exit_code = 0;
  *detached = false;
  struct skiff_container *c = NULL;
  if (skiff_engine_container_lookup (e, id, &c, err) < 0)
    {
      close (fd);
      return -1;
    }
  unsigned char keys[SKIFF_DETACH_KEYS_MAX];
  struct attach_ctx ctx = { e, id };
  struct skiff_attach_options o = {
    .stdin = r->stdin && c->open_stdin,
    .tty = c->tty,
    .out = r->out,
    .err = r->err,
    .keys = keys,
    .sig_proxy = r->sig_proxy,
    .container_pid = container_pid,
    .data = &ctx,
  };
  skiff_container_free (c);
  if (skiff_detach_keys_parse (r->detach_keys ? r->detach_keys : SKIFF_DETACH_KEYS_DEFAULT, keys, &o.nkeys, err) < 0)
    {
      close (fd);
      return -1;
    }
  enum skiff_attach_end end;
  int status = 0;
  if (skiff_attach_run (fd, &o, &end, &status, err) < 0)
    return -1;
  if (end == SKIFF_ATTACH_ENDED)
    {
      *exit_code = status;
      return 0;
    }
  if (end == SKIFF_ATTACH_DETACHED)
    {
      *detached = true;
      return 0;
    }
  /* the monitor closed the socket without the exit status: the record tells how it ended */
  if (skiff_engine_container_lookup (e, id, &c, NULL) == 0)
    {
      bool running = c->state == SKIFF_CTR_RUNNING;
      *exit_code = c->exit_code;
      skiff_container_free (c);
      if (!running)
        return 0;
    }
  return skiff_error_set_status (err, EIO,
                                 "the attach connection to container %s was closed by its monitor (the monitor died, "
                                 "or this client took its output too slowly); attach again to go on",
                                 id);
}
