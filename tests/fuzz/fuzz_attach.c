/* The attach protocol (monitor/attach.c), both ends, through their public calls over socketpairs: what a client
 * sends reaches the monitor's parser (stdin, end of input, resize), what a monitor sends reaches the client's
 * (output, exit status), and the client's detach keys and stdin filter run over typed input.
 * Input: a flags byte, the --detach-keys spec up to a NUL, then records [to: 1 byte][length: 2 bytes LE][bytes]
 * where to is 0 (a message to the monitor), 1 (a message to the client) or 2 (the client's stdin). */
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "monitor/monitor.h"

#define MSG_MAX (1 + SKIFF_ATTACH_MAX_DATA)

static int pty_master = -1;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  skiff_log_level = SKIFF_LOG_ERROR;
  /* the client prints the container's output on stdout; libFuzzer reports on stderr */
  int null = open ("/dev/null", O_WRONLY | O_CLOEXEC);
  if (null < 0 || dup2 (null, STDOUT_FILENO) < 0)
    abort ();
  close (null);
  pty_master = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC);
  return 0;
}

static void
drain (int fd)
{
  char buf[4096];
  while (read (fd, buf, sizeof buf) > 0)
    ;
}

/* The monitor's side: a client's messages, handled as the monitor's poll loop does. */
static void
serve (const uint8_t *flags, struct skiff_attach_server *s, int peer, int stdin_r)
{
  for (int round = 0; round < 64; round++)
    {
      struct pollfd pf[SKIFF_ATTACH_POLL_MAX];
      size_t n = skiff_attach_poll_fill (s, pf);
      if (poll (pf, n, 0) <= 0)
        break;
      skiff_attach_poll_handle (s, pf, n);
      drain (stdin_r);
    }
  static const char out[] = "output for the clients";
  skiff_attach_broadcast (s, (*flags & 4) ? 2 : 1, out, sizeof out - 1);
  close (peer); /* the client is gone: finishing does not wait for it */
  skiff_attach_finish (s, (int) *flags);
}

static void
run_client (const uint8_t *flags, const char *keys_spec, int sock, int stdin_r)
{
  unsigned char keys[SKIFF_DETACH_KEYS_MAX];
  size_t nkeys = 0;
  skiff_error_t err = NULL;
  if (skiff_detach_keys_parse (keys_spec, keys, &nkeys, &err) < 0)
    {
      skiff_error_release (&err);
      nkeys = 0;
    }
  struct skiff_attach_options o = { .stdin = (*flags & 1) != 0, .out = true, .keys = keys, .nkeys = nkeys };
  int saved = dup (STDIN_FILENO);
  dup2 (stdin_r, STDIN_FILENO);
  enum skiff_attach_end end;
  int status;
  if (skiff_attach_run (sock, &o, &end, &status, &err) < 0)
    skiff_error_release (&err);
  dup2 (saved, STDIN_FILENO);
  close (saved);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  const uint8_t *flags = data;
  const uint8_t *nul = memchr (data + 1, '\0', size - 1);
  size_t keys_len = nul ? (size_t) (nul - data - 1) : size - 1;
  cleanup_free char *keys_spec = fuzz_cstr (data + 1, keys_len);
  size_t at = 1 + keys_len + (nul != NULL);

  int to_monitor[2], to_client[2], mon_stdin[2], cli_stdin[2];
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, to_monitor) < 0
      || socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, to_client) < 0
      || pipe2 (mon_stdin, O_CLOEXEC | O_NONBLOCK) < 0 || pipe2 (cli_stdin, O_CLOEXEC | O_NONBLOCK) < 0)
    abort ();
  while (at + 3 <= size)
    {
      uint8_t to = data[at];
      size_t len = (size_t) data[at + 1] | (size_t) data[at + 2] << 8;
      at += 3;
      if (len > size - at)
        len = size - at;
      if (len > MSG_MAX)
        len = MSG_MAX;
      if (to % 3 == 0)
        (void) send (to_monitor[1], data + at, len, MSG_NOSIGNAL);
      else if (to % 3 == 1)
        (void) send (to_client[1], data + at, len, MSG_NOSIGNAL);
      else
        (void) write (cli_stdin[1], data + at, len);
      at += len;
    }

  struct skiff_attach_server s;
  skiff_attach_server_init (&s);
  skiff_attach_set_stdio (&s, mon_stdin[1], true, (*flags & 2) ? pty_master : -1);
  skiff_attach_add_client (&s, to_monitor[0]);
  serve (flags, &s, to_monitor[1], mon_stdin[0]);
  close (mon_stdin[0]);

  /* the client: what the monitor sent, then the end of it */
  shutdown (to_client[1], SHUT_WR);
  close (cli_stdin[1]);
  run_client (flags, keys_spec, to_client[0], cli_stdin[0]);
  close (cli_stdin[0]);
  close (to_client[1]);
  return 0;
}
