/* The monitor (conmon's role): one small process per detached container that outlives the skiff that
 * started it, holds the container's stdio, writes its log, reaps it and records how it ended. */
#ifndef SKIFF_MONITOR_H
#define SKIFF_MONITOR_H

#include <poll.h>
#include <stdbool.h>
#include <sys/types.h>

#include "runtime/runtime.h"
#include "util/util.h"

/* podman's --restart: when the monitor starts the container again after it ended */
enum skiff_restart_policy
{
  SKIFF_RESTART_NO = 0,
  SKIFF_RESTART_ON_FAILURE, /* non-zero exit only, at most max_retries times when that is not 0 */
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
   * does --rm's removal (and keeps the exit status somewhere when the record cannot take it). on_start returns
   * 1 to keep the container, 0 when the user stopped it meanwhile (the monitor kills it and gives up), -1 when
   * its start could not be recorded (err set: the monitor kills it, and the first start reports the error). */
  int (*on_start) (void *data, pid_t container_pid, pid_t monitor_pid, unsigned restarts, skiff_error_t *err);
  void (*on_exit) (void *data, int status);
  /* Called right after each spawn (the network starts serving the container: it takes proc->tap_fd) and
   * after each reap. A failing on_spawn kills the container, which then failed to start. */
  int (*on_spawn) (void *data, struct skiff_container_process *proc, skiff_error_t *err);
  void (*on_reap) (void *data);
  /* Read before each restart: a container stopped by stop, kill or rm -f is not restarted (podman). */
  bool (*stopped_by_user) (void *data);
  void *data;
  /* attach (attach.c): the socket <attach_dir>/attach; NULL: none */
  const char *attach_dir;
  /* -i (the record's OpenStdin): the container's stdin is a pipe (or the pty) the monitor keeps and attach
   * clients write to; otherwise /dev/null */
  bool stdin_open;
  /* not NULL: the monitor starts with one attach client already connected (start -a, a foreground run), so
   * that none of the container's output is missed; its end comes back here (-1 when the start failed) */
  int *attach_out;
};

/* Start the monitor, which starts the container. Returns once the container runs (or failed to start, with
 * its error and podman's exit code). The monitor is no child of the caller: it is reparented, in its own
 * session, with /dev/null as stdio. While skiff_interrupt_catch is in force, an interrupt while the container
 * is set up kills the monitor (and the container with it) and fails with EINTR. */
int skiff_monitor_start (const struct skiff_monitor_params *p, pid_t *container_pid, pid_t *monitor_pid,
                         skiff_error_t *err);

/* ---- attach (attach.c): conmon's attach socket ----
 * A SOCK_SEQPACKET unix socket, one message per packet, its first byte the type:
 *   monitor -> client: STDOUT data, STDERR data (with a tty all output is STDOUT), EXIT int32 status (the
 *                      container ended for good; the monitor closes the socket after it)
 *   client -> monitor: STDIN data, STDIN_EOF (the client's input ended: the container's stdin pipe is closed),
 *                      RESIZE uint16 rows, uint16 cols (the pty's window size)
 * A client that closes the socket without STDIN_EOF has detached: the container's stdin stays open. */
enum skiff_attach_msg
{
  SKIFF_ATTACH_STDIN = 0,
  SKIFF_ATTACH_STDOUT = 1,
  SKIFF_ATTACH_STDERR = 2,
  SKIFF_ATTACH_EXIT = 3,
  SKIFF_ATTACH_STDIN_EOF = 4,
  SKIFF_ATTACH_RESIZE = 5,
};
#define SKIFF_ATTACH_SOCKET "attach"
#define SKIFF_ATTACH_MAX_DATA 16384 /* payload bytes per message */
#define SKIFF_ATTACH_MAX_CLIENTS 64
#define SKIFF_ATTACH_QUEUE_MAX (1024 * 1024) /* output queued for a slow client before it is dropped */
#define SKIFF_ATTACH_POLL_MAX (SKIFF_ATTACH_MAX_CLIENTS + 2)
#define SKIFF_DETACH_KEYS_DEFAULT "ctrl-p,ctrl-q"
#define SKIFF_DETACH_KEYS_MAX 64

struct skiff_attach_queued;
struct skiff_attach_client
{
  int fd;
  struct skiff_attach_queued *head, *tail; /* output the socket could not take yet */
  size_t queued;
  bool shut; /* finishing: the exit status went out and the write side is shut */
};

/* the monitor's side */
struct skiff_attach_server
{
  int listen_fd; /* -1: no socket */
  char *path;
  struct skiff_attach_client clients[SKIFF_ATTACH_MAX_CLIENTS];
  size_t nclients;
  int stdin_fd; /* where STDIN goes: the container's stdin pipe (owned) or the pty master (borrowed); -1 */
  bool stdin_owned;
  int pty;       /* the pty master for RESIZE, -1 */
  char *pending; /* stdin the container has not read yet; clients are not read meanwhile */
  size_t pending_len;
  bool eof_pending; /* a client's end of input came while pending held data: close once it is written */
};

void skiff_attach_server_init (struct skiff_attach_server *s);
/* Listen on dir/attach (bound through /proc/self/fd of dir, so a long path is no problem). */
int skiff_attach_listen (struct skiff_attach_server *s, const char *dir, skiff_error_t *err);
void skiff_attach_add_client (struct skiff_attach_server *s, int fd);
/* The container's stdin for this run: fd (owned: closed by the server when replaced or at STDIN_EOF), pty */
void skiff_attach_set_stdio (struct skiff_attach_server *s, int stdin_fd, bool owned, int pty);
/* Add the server's descriptors to pf (room for SKIFF_ATTACH_POLL_MAX); returns how many */
size_t skiff_attach_poll_fill (struct skiff_attach_server *s, struct pollfd *pf);
/* Handle what poll reported on the n entries skiff_attach_poll_fill added */
void skiff_attach_poll_handle (struct skiff_attach_server *s, const struct pollfd *pf, size_t n);
/* Send the container's output (stream 1 or 2) to every client; never blocks */
void skiff_attach_broadcast (struct skiff_attach_server *s, int stream, const char *data, size_t len);
/* The container ended for good: EXIT to every client (waiting a little for slow ones), close everything */
void skiff_attach_finish (struct skiff_attach_server *s, int status);

/* podman's --detach-keys: "ctrl-<x>" (x in a-z, @, [, \, ], ^, _) and single characters, comma-separated;
 * "" disables. Errors as podman's: "invalid detach keys: Unknown character: 'x'". */
int skiff_detach_keys_parse (const char *spec, unsigned char *keys, size_t *nkeys, skiff_error_t *err);

/* the client's side (skiff attach, start -a, a foreground run) */
struct skiff_attach_options
{
  bool stdin;                /* relay our stdin (the container was created with -i and no --no-stdin) */
  bool tty;                  /* the container has a terminal: raw mode, window size followed */
  bool out, err;             /* print the container's stdout, stderr (run -a) */
  const unsigned char *keys; /* detach keys; nkeys 0: none */
  size_t nkeys;
  bool sig_proxy;                      /* forward SIGINT, SIGTERM, ... to the container (without a tty) */
  pid_t (*container_pid) (void *data); /* for sig_proxy: the container's current PID */
  void *data;
};

enum skiff_attach_end
{
  SKIFF_ATTACH_ENDED,    /* EXIT came: *status is the container's */
  SKIFF_ATTACH_DETACHED, /* the detach keys */
  SKIFF_ATTACH_LOST,     /* the socket closed without EXIT: the monitor died or dropped us */
};

/* Connect to the attach socket in dir; fd to the connected socket */
int skiff_attach_connect (const char *dir, int *fd, skiff_error_t *err);
/* Relay until the container ends or the detach keys; takes over fd */
int skiff_attach_run (int fd, const struct skiff_attach_options *o, enum skiff_attach_end *end, int *status,
                      skiff_error_t *err);

/* ---- the log (log.c): podman's k8s-file format, "<RFC 3339 nano> <stdout|stderr> <F|P> <text>\n" ---- */

struct skiff_log_writer
{
  int fd;
  char *path;        /* kept to rotate */
  uint64_t max_size; /* 0: unlimited; else the file never grows past it (conmon's log-size-max) */
  uint64_t size;     /* bytes in the current file */
  char *partial[2];  /* an unfinished line per stream */
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
