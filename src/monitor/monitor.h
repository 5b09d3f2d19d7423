/* The monitor (conmon's role): one small process per detached container that outlives the skiff that
 * started it, holds the container's stdio, writes its log, reaps it and records how it ended. */
#ifndef SKIFF_MONITOR_H
#define SKIFF_MONITOR_H

#include <stdbool.h>
#include <sys/types.h>

#include "runtime/runtime.h"
#include "util/util.h"

/* podman's --restart: when the monitor starts the container again after it ended */
enum skiff_restart_policy
{
  SKIFF_RESTART_NO = 0,
  SKIFF_RESTART_ON_FAILURE,     /* non-zero exit only, at most max_retries times when that is not 0 */
  SKIFF_RESTART_ALWAYS,
  SKIFF_RESTART_UNLESS_STOPPED, /* as always: skiff restarts nothing at boot, where the two differ */
};

struct skiff_restart
{
  enum skiff_restart_policy policy;
  unsigned max_retries;
};

/* Parse "no", "on-failure[:N]", "always", "unless-stopped" ("" is "no"), with podman's errors. */
int skiff_restart_parse (const char *s, struct skiff_restart *out, skiff_error_t *err);
/* Does the policy restart a container that ended with status after restarts restarts? */
bool skiff_restart_wanted (const struct skiff_restart *r, int status, unsigned restarts);

struct skiff_monitor_params
{
  struct skiff_container_config *cfg; /* the runtime config; the monitor sets its stdio */
  const char *log_path;               /* k8s-file log; NULL: no log (--log-driver none) */
  uint64_t log_max_size;              /* --log-opt max-size: rotate before the log would exceed it; 0: never */
  struct skiff_restart restart;
  /* Called in the monitor each time the container runs (restarts: how many times it was restarted), and
   * when it ended for good (status as podman reports it). They update the container's record; on_exit also
   * does --rm's removal. on_start returns false when the user stopped the container meanwhile: the monitor
   * kills it and gives up. */
  bool (*on_start) (void *data, pid_t container_pid, pid_t monitor_pid, unsigned restarts);
  void (*on_exit) (void *data, int status);
  /* Called right after each spawn (the network starts serving the container: it takes proc->tap_fd) and
   * after each reap. A failing on_spawn kills the container, which then failed to start. */
  int (*on_spawn) (void *data, struct skiff_container_process *proc, skiff_error_t *err);
  void (*on_reap) (void *data);
  /* Read before each restart: a container stopped by stop, kill or rm -f is not restarted (podman). */
  bool (*stopped_by_user) (void *data);
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
  char *path;        /* kept to rotate */
  uint64_t max_size; /* 0: unlimited; else the file never grows past it (conmon's log-size-max) */
  uint64_t size;     /* bytes in the current file */
  char *partial[2]; /* an unfinished line per stream */
  size_t partial_len[2];
};

int skiff_log_open (struct skiff_log_writer *w, const char *path, skiff_error_t *err);
/* As conmon does with log-size-max: when an entry would take the file past max_size, the file is replaced by
 * an empty one (a new file renamed over it) and the entry goes there; entries longer than max_size are split
 * into partial ones. 0: no limit. */
void skiff_log_set_max_size (struct skiff_log_writer *w, uint64_t max_size);
/* The smallest max-size that holds an entry with one byte of text. */
#define SKIFF_LOG_MIN_MAX_SIZE 64
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
