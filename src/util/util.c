/* Allocation, string vectors, string parsing, logging, ids and time. */
#include "util.h"

#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <stdarg.h>
#include <sys/random.h>
#include <time.h>

void
cleanup_freep (void *p)
{
  free (*(void **) p);
}

void
cleanup_closep (int *fd)
{
  if (*fd >= 0)
    {
      int saved = errno;
      close (*fd);
      errno = saved;
    }
}

void
cleanup_fclosep (FILE **f)
{
  if (*f)
    fclose (*f);
}

void
cleanup_strvp (char ***v)
{
  strv_free (*v);
}

void *
xmalloc (size_t n)
{
  void *p = malloc (n ? n : 1);
  if (p == NULL)
    abort ();
  return p;
}

void *
xmalloc0 (size_t n)
{
  void *p = calloc (1, n ? n : 1);
  if (p == NULL)
    abort ();
  return p;
}

void *
xrealloc (void *p, size_t n)
{
  void *r = realloc (p, n ? n : 1);
  if (r == NULL)
    abort ();
  return r;
}

char *
xstrdup (const char *s)
{
  if (s == NULL)
    return NULL;
  char *r = strdup (s);
  if (r == NULL)
    abort ();
  return r;
}

char *
xstrndup (const char *s, size_t n)
{
  char *r = strndup (s, n);
  if (r == NULL)
    abort ();
  return r;
}

char *
xasprintf (const char *fmt, ...)
{
  char *r = NULL;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&r, fmt, ap) < 0)
    abort ();
  va_end (ap);
  return r;
}

size_t
strv_len (char *const *v)
{
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

void
strv_free (char **v)
{
  for (size_t i = 0; v && v[i]; i++)
    free (v[i]);
  free (v);
}

char **
strv_dup (char *const *v)
{
  size_t n = strv_len (v);
  char **r = xmalloc0 ((n + 1) * sizeof (char *));
  for (size_t i = 0; i < n; i++)
    r[i] = xstrdup (v[i]);
  return r;
}

void
strv_push_take (char ***v, char *s)
{
  size_t n = strv_len (*v);
  *v = xrealloc (*v, (n + 2) * sizeof (char *));
  (*v)[n] = s;
  (*v)[n + 1] = NULL;
}

void
strv_push (char ***v, const char *s)
{
  strv_push_take (v, xstrdup (s));
}

bool
strv_contains (char *const *v, const char *s)
{
  for (size_t i = 0; v && v[i]; i++)
    if (strcmp (v[i], s) == 0)
      return true;
  return false;
}

bool
str_has_prefix (const char *s, const char *prefix)
{
  return strncmp (s, prefix, strlen (prefix)) == 0;
}

bool
str_has_suffix (const char *s, const char *suffix)
{
  size_t a = strlen (s), b = strlen (suffix);
  return a >= b && strcmp (s + a - b, suffix) == 0;
}

bool
str_to_llong (const char *s, long long min, long long max, long long *out)
{
  if (s == NULL || *s == '\0')
    return false;
  char *end = NULL;
  errno = 0;
  long long v = strtoll (s, &end, 10);
  if (errno != 0 || *end != '\0' || v < min || v > max)
    return false;
  *out = v;
  return true;
}

int skiff_log_level = SKIFF_LOG_WARNING;
static uint64_t log_start_ns;

int
skiff_log_level_parse (const char *s)
{
  static const struct
  {
    const char *name;
    int level;
  } levels[] = {
    { "panic", SKIFF_LOG_ERROR },  { "fatal", SKIFF_LOG_ERROR },     { "error", SKIFF_LOG_ERROR },
    { "warn", SKIFF_LOG_WARNING }, { "warning", SKIFF_LOG_WARNING }, { "info", SKIFF_LOG_INFO },
    { "debug", SKIFF_LOG_DEBUG },  { "trace", SKIFF_LOG_TRACE },
  };
  for (size_t i = 0; i < ARRAY_SIZE (levels); i++)
    if (strcmp (s, levels[i].name) == 0)
      return levels[i].level;
  return -1;
}

void
skiff_log (int level, const char *fmt, ...)
{
  static const char *const names[] = { "ERRO", "WARN", "INFO", "DEBU", "TRAC" };
  if (level > skiff_log_level)
    return;
  if (log_start_ns == 0)
    log_start_ns = now_ns ();
  char *msg = NULL;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  /* one write, so that lines from concurrent processes do not interleave */
  char *line = xasprintf ("%s[%04llu] %s\n",
                          names[level < 0   ? 0
                                : level > 4 ? 4
                                            : level],
                          (unsigned long long) ((now_ns () - log_start_ns) / 1000000000ULL), msg);
  (void) write_all (STDERR_FILENO, line, strlen (line));
  free (line);
  free (msg);
}

int
random_hex_id (char buf[65], skiff_error_t *err)
{
  unsigned char raw[32];
  size_t got = 0;
  while (got < sizeof raw)
    {
      ssize_t r = getrandom (raw + got, sizeof raw - got, 0);
      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          return skiff_error_set (err, errno, "getrandom");
        }
      got += (size_t) r;
    }
  hex_encode (raw, sizeof raw, buf);
  return 0;
}

void
hex_encode (const void *data, size_t n, char *out)
{
  static const char digits[] = "0123456789abcdef";
  const unsigned char *b = data;
  for (size_t i = 0; i < n; i++)
    {
      out[2 * i] = digits[b[i] >> 4];
      out[2 * i + 1] = digits[b[i] & 0xf];
    }
  out[2 * n] = '\0';
}

uint64_t
now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

uint64_t
realtime_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_REALTIME, &ts);
  return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

char *
format_time_rfc3339 (uint64_t ns)
{
  time_t secs = (time_t) (ns / 1000000000ULL);
  struct tm tm;
  gmtime_r (&secs, &tm);
  char buf[64];
  strftime (buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return xasprintf ("%s.%09lluZ", buf, (unsigned long long) (ns % 1000000000ULL));
}

const char *
skiff_boot_id (void)
{
  static char id[64];
  static bool read_once;
  if (!read_once)
    {
      int fd = open ("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
      ssize_t n = fd >= 0 ? read (fd, id, sizeof id - 1) : -1;
      if (fd >= 0)
        close (fd);
      id[n > 0 ? n : 0] = '\0';
      id[strcspn (id, "\n")] = '\0';
      read_once = true;
    }
  return id;
}

void
close_inherited_fds (void)
{
  close_inherited_fds_from (3);
}

void
close_inherited_fds_from (int first)
{
#ifdef SYS_close_range
  if (syscall (SYS_close_range, (unsigned) first, ~0U, 0U) == 0)
    return;
#endif
  /* before Linux 5.9: what /proc lists */
  DIR *d = opendir ("/proc/self/fd");
  if (d == NULL)
    return;
  int self = dirfd (d);
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    {
      long long fd;
      if (str_to_llong (de->d_name, first, INT32_MAX, &fd) && fd != self)
        close ((int) fd);
    }
  closedir (d);
}

/* ---- libraries opened on first use ---- */

#define HIDE_LIBS_ENV "SKIFF_TEST_HIDE_LIBS"

static bool
dl_hidden (const char *soname)
{
  const char *hide = getenv (HIDE_LIBS_ENV);
  size_t n = strlen (soname);
  for (const char *p = hide; p && *p;)
    {
      size_t len = strcspn (p, " ,");
      if (len == n && strncmp (p, soname, n) == 0)
        return true;
      p += len;
      p += strspn (p, " ,");
    }
  return false;
}

void *
skiff_dlopen (const char *soname, char *why, size_t len)
{
  if (dl_hidden (soname))
    {
      snprintf (why, len, "%s: hidden by %s", soname, HIDE_LIBS_ENV);
      return NULL;
    }
  void *h = dlopen (soname, RTLD_NOW | RTLD_LOCAL);
  if (h == NULL)
    {
      const char *e = dlerror ();
      snprintf (why, len, "%s", e ? e : soname);
    }
  return h;
}
