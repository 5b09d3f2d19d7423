/* podman logs: a container's k8s-file log read back, its last lines (--tail), and followed while the container
 * runs (--follow), across the rotations of --log-opt max-size. */
#include "engine/internal.h"

#include <sys/stat.h>

#include "monitor/monitor.h"

#define LOGS_POLL_US 20000

static bool
still_running (struct skiff_engine *e, const char *id)
{
  struct skiff_container *c = NULL;
  bool running = skiff_engine_container_lookup (e, id, &c, NULL) == 0
                 && (c->state == SKIFF_CTR_RUNNING || c->state == SKIFF_CTR_CREATED);
  skiff_container_free (c);
  return running;
}

/* Did the monitor start the log afresh (a new file renamed over it, or truncated when it could not make one)? */
static bool
log_rotated (FILE *f, const char *path)
{
  struct stat now, cur;
  if (stat (path, &now) < 0 || fstat (fileno (f), &cur) < 0)
    return false;
  if (now.st_ino != cur.st_ino || now.st_dev != cur.st_dev)
    return true;
  long pos = ftell (f);
  return pos >= 0 && (off_t) pos > cur.st_size;
}

static void
emit (const struct skiff_log_options *o, char *line)
{
  struct skiff_log_entry le;
  if (skiff_log_parse_line (line, &le))
    o->entry (o->data, le.stream, le.time, le.text, le.partial);
}

/* --tail: how many complete lines to skip */
static long long
lines_to_skip (FILE *f, long long tail)
{
  if (f == NULL || tail < 0)
    return 0;
  long long total = 0;
  int ch;
  while ((ch = fgetc (f)) != EOF)
    total += ch == '\n';
  rewind (f);
  return total > tail ? total - tail : 0;
}

/* Everything complete now in f; a line still being written is read again when complete */
static void
read_complete (FILE *f, const struct skiff_log_options *o, long long *skip, char **line, size_t *cap)
{
  ssize_t n;
  while (f && (n = getline (line, cap, f)) > 0)
    {
      if ((*line)[n - 1] != '\n')
        {
          fseek (f, -n, SEEK_CUR);
          return;
        }
      if (*skip > 0)
        (*skip)--;
      else
        emit (o, *line);
    }
}

static void
read_rest (FILE *f, const struct skiff_log_options *o, char **line, size_t *cap)
{
  while (f && getline (line, cap, f) > 0)
    emit (o, *line);
}

int
skiff_engine_logs (struct skiff_engine *e, const struct skiff_container *c, const struct skiff_log_options *o,
                   skiff_error_t *err)
{
  cleanup_free char *path = skiff_engine_container_log_path (e, c);
  if (path == NULL)
    return skiff_error_set_status (err, EINVAL,
                                   "this container is using the '%s' log driver, cannot read logs: this container is "
                                   "not logging output",
                                   c->log_driver == SKIFF_LOG_NONE ? "none" : "passthrough");
  FILE *f = fopen (path, "re");
  if (f == NULL && !o->follow)
    return 0; /* nothing logged yet */
  long long skip = lines_to_skip (f, o->tail);
  cleanup_free char *line = NULL;
  size_t cap = 0;
  for (;;)
    {
      read_complete (f, o, &skip, &line, &cap);
      if (!o->follow)
        break;
      if (!still_running (e, c->id))
        {
          /* what the monitor wrote before it recorded the exit */
          read_rest (f, o, &line, &cap);
          break;
        }
      usleep (LOGS_POLL_US);
      if (f == NULL)
        f = fopen (path, "re");
      else if (log_rotated (f, path))
        {
          /* --log-opt max-size: the rest of the old log, then the new one from its start */
          read_rest (f, o, &line, &cap);
          fclose (f);
          f = fopen (path, "re");
        }
      else
        clearerr (f);
    }
  if (f)
    fclose (f);
  return 0;
}
