/* podman logs: a container's k8s-file log read back, its last lines (--tail), and followed while the container
 * runs (--follow), across the rotations of --log-opt max-size. */
#include "engine/internal.h"

#include <ctype.h>
#include <math.h>
#include <sys/stat.h>
#include <time.h>

#include "monitor/monitor.h"
#include "oci/image.h"

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
  if (!skiff_log_parse_line (line, &le))
    return;
  uint64_t t = 0;
  if ((o->since_ns || o->until_ns) && skiff_rfc3339_parse (le.time, &t) == 0
      && ((o->since_ns && t < o->since_ns) || (o->until_ns && t > o->until_ns)))
    return;
  o->entry (o->data, le.stream, le.time, le.text, le.partial);
}

/* ---- --since, --until ---- */

#define NS_PER_S 1000000000.0

/* A Go duration: [-]{number unit}+ with units ns us µs ms s m h; false otherwise */
static bool
parse_go_duration (const char *s, double *ns)
{
  static const struct
  {
    const char *unit;
    double ns;
  } units[] = { { "ns", 1 },       { "us", 1e3 },          { "\xc2\xb5s", 1e3 },    { "ms", 1e6 },
                { "s", NS_PER_S }, { "m", 60 * NS_PER_S }, { "h", 3600 * NS_PER_S } };
  double sign = 1, total = 0;
  if (*s == '-' || *s == '+')
    sign = *s++ == '-' ? -1 : 1;
  if (strcmp (s, "0") == 0)
    return *ns = 0, true;
  if (*s == '\0')
    return false;
  while (*s)
    {
      char *end = NULL;
      if (!isdigit ((unsigned char) *s) && *s != '.')
        return false;
      double v = strtod (s, &end);
      if (end == s)
        return false;
      size_t best = 0;
      int which = -1;
      for (size_t i = 0; i < ARRAY_SIZE (units); i++)
        if (str_has_prefix (end, units[i].unit) && strlen (units[i].unit) > best)
          best = strlen (units[i].unit), which = (int) i;
      if (which < 0)
        return false;
      total += v * units[which].ns;
      s = end + best;
    }
  *ns = sign * total;
  return true;
}

/* local time: "2006-01-02T15:04:05[.999999999]" or "2006-01-02" */
static bool
parse_local (const char *s, uint64_t *ns)
{
  struct tm tm = { 0 };
  const char *p = strptime (s, "%Y-%m-%dT%H:%M:%S", &tm);
  double frac = 0;
  if (p && *p == '.')
    {
      char *end = NULL;
      frac = strtod (p, &end);
      p = end;
    }
  if (p == NULL)
    {
      memset (&tm, 0, sizeof tm);
      p = strptime (s, "%Y-%m-%d", &tm);
    }
  if (p == NULL || *p != '\0')
    return false;
  tm.tm_isdst = -1;
  time_t t = mktime (&tm);
  if (t < 0)
    return false;
  *ns = (uint64_t) t * 1000000000ULL + (uint64_t) (frac * NS_PER_S);
  return true;
}

int
skiff_logs_parse_time (const char *s, bool since, uint64_t *ns, skiff_error_t *err)
{
  if (skiff_rfc3339_parse (s, ns) == 0 || parse_local (s, ns))
    return 0;
  char *end = NULL;
  errno = 0;
  double unix_s = strtod (s, &end);
  if (end != s && *end == '\0' && errno == 0 && isfinite (unix_s) && unix_s >= 0)
    {
      *ns = (uint64_t) unix_s * 1000000000ULL;
      return 0;
    }
  double d;
  if (!parse_go_duration (s, &d))
    return skiff_error_set_status (err, EINVAL, "unable to interpret time value");
  double t = (double) realtime_ns () + (since ? -d : d);
  *ns = t < 1 ? 1 : (uint64_t) t;
  return 0;
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
      /* podman: --until ends a follow when its time has come */
      if (!still_running (e, c->id) || (o->until_ns && realtime_ns () > o->until_ns))
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
