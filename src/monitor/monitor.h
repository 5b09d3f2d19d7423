/* The monitor (conmon's role): one small process per detached container that outlives the skiff that
 * started it, holds the container's stdio, writes its log, reaps it and records how it ended. */
#ifndef SKIFF_MONITOR_H
#define SKIFF_MONITOR_H

#include <stdbool.h>
#include <sys/types.h>

#include "runtime/runtime.h"
#include "util/util.h"

struct skiff_monitor_params
{
  struct skiff_container_config *cfg; /* the runtime config; the monitor sets its stdio */
  const char *log_path;               /* k8s-file log; NULL: no log (--log-driver none) */
  /* Called in the monitor once the container runs, and when it ended (status as podman reports it).
   * They update the container's record; on_exit also does --rm's removal. */
  void (*on_start) (void *data, pid_t container_pid, pid_t monitor_pid);
  void (*on_exit) (void *data, int status);
  void *data;
};

/* Start the monitor, which starts the container. Returns once the container runs (or failed to start, with
 * its error and podman's exit code). The monitor is no child of the caller: it is reparented, in its own
 * session, with /dev/null as stdio. */
int skiff_monitor_start (const struct skiff_monitor_params *p, pid_t *container_pid, pid_t *monitor_pid,
                         skiff_error_t *err);

/* ---- the log (log.c): podman's k8s-file format, "<RFC 3339 nano> <stdout|stderr> <F|P> <text>\n" ---- */

struct skiff_log_writer
{
  int fd;
  char *partial[2]; /* an unfinished line per stream */
  size_t partial_len[2];
};

int skiff_log_open (struct skiff_log_writer *w, const char *path, skiff_error_t *err);
/* stream 1 stdout, 2 stderr; data split into lines, the last unfinished one kept for the next call */
void skiff_log_write (struct skiff_log_writer *w, int stream, const char *data, size_t len);
/* write out unfinished lines as partial ("P") entries and close */
void skiff_log_close (struct skiff_log_writer *w);

struct skiff_log_entry
{
  char *time;   /* RFC 3339 */
  int stream;   /* 1 stdout, 2 stderr */
  bool partial; /* P: no newline at the end */
  char *text;
};
/* Parse one line of a k8s-file log; false when malformed. The entry points into line (modified). */
bool skiff_log_parse_line (char *line, struct skiff_log_entry *e);

#endif
