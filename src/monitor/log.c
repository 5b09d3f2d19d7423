/* The container log in podman's k8s-file format: one entry per line of output,
 * "2024-01-02T03:04:05.123456789Z stdout F text" (P for a piece of a line that did not end). */
#include "monitor/monitor.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#define DEV_NULL_MAJOR 1
#define DEV_NULL_MINOR 3

static const char *const stream_names[] = { "", "stdout", "stderr" };

int
skiff_log_open (struct skiff_log_writer *w, const char *path, skiff_error_t *err)
{
  memset (w, 0, sizeof *w);
  /* --log-opt path= may name a place others can write to: a link planted there is not followed, and a FIFO
   * (O_NONBLOCK: no waiting for a reader) or a device is refused; /dev/null is allowed */
  w->fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
  if (w->fd < 0)
    {
      if (errno == ELOOP)
        return skiff_error_set_status (err, ELOOP, "the log `%s` is a symbolic link: name the file itself", path);
      if (errno == ENXIO) /* a FIFO nobody reads */
        return skiff_error_set_status (err, EINVAL, "the log `%s` is not a regular file", path);
      return skiff_error_set (err, errno, "open the log `%s`", path);
    }
  struct stat st;
  int r = 0;
  if (fstat (w->fd, &st) < 0 || fcntl (w->fd, F_SETFL, O_APPEND) < 0)
    r = skiff_error_set (err, errno, "open the log `%s`", path);
  else if (!S_ISREG (st.st_mode) && !(S_ISCHR (st.st_mode) && st.st_rdev == makedev (DEV_NULL_MAJOR, DEV_NULL_MINOR)))
    r = skiff_error_set_status (err, EINVAL, "the log `%s` is not a regular file", path);
  if (r < 0)
    {
      close (w->fd);
      w->fd = -1;
      return r;
    }
  w->size = (uint64_t) st.st_size;
  w->path = xstrdup (path);
  return 0;
}

void
skiff_log_set_max_size (struct skiff_log_writer *w, uint64_t max_size)
{
  w->max_size = max_size;
}

/* Start the log afresh, as conmon does: a new file renamed over the old one, so that a reader sees either
 * the old log or the new one, and `logs -f` notices the new inode. When no new file can be made (a full
 * disk, a quota), the old one is truncated instead. False: nothing can be written without passing the
 * limit. */
static bool
rotate (struct skiff_log_writer *w)
{
  cleanup_free char *tmp = NULL;
  int fd = open_tmp_at (AT_FDCWD, w->path, O_WRONLY | O_APPEND, 0600, &tmp, NULL);
  if (fd >= 0 && rename (tmp, w->path) == 0)
    {
      close (w->fd);
      w->fd = fd;
      w->size = 0;
      return true;
    }
  if (fd >= 0)
    {
      close (fd);
      unlink (tmp);
    }
  if (ftruncate (w->fd, 0) == 0)
    {
      w->size = 0;
      return true;
    }
  return false;
}

static void
write_one (struct skiff_log_writer *w, const char *head, size_t hl, const char *text, size_t len)
{
  size_t n = hl + len + 1;
  if (w->max_size && w->size + n > w->max_size && !rotate (w))
    return;
  cleanup_free char *buf = xmalloc (n);
  memcpy (buf, head, hl);
  memcpy (buf + hl, text, len);
  buf[hl + len] = '\n';
  /* a full disk loses log lines, never the container: a failed write is dropped, and what it left of a
   * line is cut off so that the next entry starts on a line of its own */
  if (write_all (w->fd, buf, n) < 0)
    {
      if (ftruncate (w->fd, (off_t) w->size) < 0)
        {
          struct stat st;
          if (fstat (w->fd, &st) == 0)
            w->size = (uint64_t) st.st_size;
        }
      return;
    }
  w->size += n;
}

static void
write_entry (struct skiff_log_writer *w, int stream, bool partial, const char *text, size_t len)
{
  if (w->fd < 0)
    return;
  cleanup_free char *ts = format_time_rfc3339 (realtime_ns ());
  cleanup_free char *head = xasprintf ("%s %s %c ", ts, stream_names[stream], partial ? 'P' : 'F');
  size_t hl = strlen (head);
  if (w->max_size)
    {
      /* an entry longer than the limit goes in pieces, each a partial entry that fits */
      cleanup_free char *phead = xasprintf ("%s %s P ", ts, stream_names[stream]);
      size_t room = w->max_size > hl + 1 ? (size_t) w->max_size - hl - 1 : 1;
      while (len > room)
        {
          write_one (w, phead, hl, text, room);
          text += room;
          len -= room;
        }
    }
  write_one (w, head, hl, text, len);
}

void
skiff_log_write (struct skiff_log_writer *w, int stream, const char *data, size_t len)
{
  int k = stream == 2 ? 1 : 0;
  while (len > 0)
    {
      const char *nl = memchr (data, '\n', len);
      if (nl == NULL)
        {
          w->partial[k] = xrealloc (w->partial[k], w->partial_len[k] + len);
          memcpy (w->partial[k] + w->partial_len[k], data, len);
          w->partial_len[k] += len;
          return;
        }
      size_t n = (size_t) (nl - data);
      if (w->partial_len[k])
        {
          w->partial[k] = xrealloc (w->partial[k], w->partial_len[k] + n);
          memcpy (w->partial[k] + w->partial_len[k], data, n);
          write_entry (w, stream, false, w->partial[k], w->partial_len[k] + n);
          w->partial_len[k] = 0;
        }
      else
        write_entry (w, stream, false, data, n);
      data += n + 1;
      len -= n + 1;
    }
}

void
skiff_log_close (struct skiff_log_writer *w)
{
  for (int k = 0; k < 2; k++)
    {
      if (w->partial_len[k])
        write_entry (w, k + 1, true, w->partial[k], w->partial_len[k]);
      free (w->partial[k]);
      w->partial[k] = NULL;
      w->partial_len[k] = 0;
    }
  if (w->fd >= 0)
    close (w->fd);
  w->fd = -1;
  free (w->path);
  w->path = NULL;
}

bool
skiff_log_parse_line (char *line, struct skiff_log_entry *e)
{
  char *sp1 = strchr (line, ' ');
  if (sp1 == NULL)
    return false;
  char *sp2 = strchr (sp1 + 1, ' ');
  if (sp2 == NULL || sp2[1] == '\0' || (sp2[2] != ' ' && sp2[2] != '\0'))
    return false;
  *sp1 = *sp2 = '\0';
  e->time = line;
  if (strcmp (sp1 + 1, "stdout") == 0)
    e->stream = 1;
  else if (strcmp (sp1 + 1, "stderr") == 0)
    e->stream = 2;
  else
    return false;
  e->partial = sp2[1] == 'P';
  e->text = sp2[2] == ' ' ? sp2 + 3 : sp2 + 2;
  size_t l = strlen (e->text);
  if (l && e->text[l - 1] == '\n')
    e->text[l - 1] = '\0';
  return true;
}
