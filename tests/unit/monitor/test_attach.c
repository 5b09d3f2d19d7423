/* The attach socket's server (monitor/attach.c) in one process: messages, stdin, slow clients; and podman's
 * detach-key syntax. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "monitor/monitor.h"

static void
parse_ok (const char *spec, const char *want, size_t nwant)
{
  unsigned char keys[SKIFF_DETACH_KEYS_MAX];
  size_t n = 99;
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_detach_keys_parse (spec, keys, &n, &err), 0, "%s: %s", spec, err ? err->msg : "");
  cr_assert_eq (n, nwant, "%s", spec);
  cr_assert_eq (memcmp (keys, want, n), 0, "%s", spec);
}

static void
parse_bad (const char *spec, const char *msg)
{
  unsigned char keys[SKIFF_DETACH_KEYS_MAX];
  size_t n;
  skiff_error_t err = NULL;
  cr_assert_lt (skiff_detach_keys_parse (spec, keys, &n, &err), 0, "%s", spec);
  cr_assert_str_eq (err->msg, msg);
  skiff_error_release (&err);
}

Test (detach_keys, podman_syntax)
{
  parse_ok ("ctrl-p,ctrl-q", "\x10\x11", 2);
  parse_ok ("", "", 0);
  parse_ok ("ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_", "\0\x1b\x1c\x1d\x1e\x1f", 6);
  parse_ok ("ctrl-a,x", "\x01x", 2);
  parse_ok ("a", "a", 1);
  parse_bad ("ctrl-a,x,,", "invalid detach keys: Unknown character: ''");
  parse_bad ("foo", "invalid detach keys: Unknown character: 'foo'");
  parse_bad ("ctrl-A", "invalid detach keys: Unknown character: 'ctrl-A'");
  parse_bad ("ctrl-", "invalid detach keys: Unknown character: 'ctrl-'");
  parse_bad ("ctrl-1", "invalid detach keys: Unknown character: 'ctrl-1'");
  parse_bad ("ctrl-a, b", "invalid detach keys: Unknown character: ' b'");
}

/* a server on a directory of its own, with one connected client */
static char dir[] = "/tmp/skiff-unit-attach-XXXXXX";

static void
server_up (struct skiff_attach_server *s)
{
  cr_assert_not_null (mkdtemp (dir));
  skiff_attach_server_init (s);
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_attach_listen (s, dir, &err), 0, "%s", err ? err->msg : "");
}

/* one round of the monitor's poll loop, without the container's part */
static void
serve_within (struct skiff_attach_server *s, int timeout_ms)
{
  struct pollfd pf[SKIFF_ATTACH_POLL_MAX];
  size_t n = skiff_attach_poll_fill (s, pf);
  if (poll (pf, n, timeout_ms) > 0)
    skiff_attach_poll_handle (s, pf, n);
}

static void
serve (struct skiff_attach_server *s)
{
  serve_within (s, 200);
}

static int
client (void)
{
  int fd;
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_attach_connect (dir, &fd, &err), 0, "%s", err ? err->msg : "");
  return fd;
}

Test (attach_server, output_stdin_resize_exit)
{
  struct skiff_attach_server s;
  server_up (&s);
  int c1 = client (), c2 = client ();
  serve (&s);
  cr_assert_eq (s.nclients, 2);
  int in[2];
  cr_assert_eq (pipe (in), 0);
  skiff_attach_set_stdio (&s, in[1], true, -1);

  skiff_attach_broadcast (&s, 2, "err!", 4);
  char msg[1 + SKIFF_ATTACH_MAX_DATA];
  for (int i = 0; i < 2; i++)
    {
      ssize_t n = recv (i ? c2 : c1, msg, sizeof msg, 0);
      cr_assert_eq (n, 5);
      cr_assert_eq (msg[0], SKIFF_ATTACH_STDERR);
      cr_assert_eq (memcmp (msg + 1, "err!", 4), 0);
    }
  /* large output comes in pieces of at most SKIFF_ATTACH_MAX_DATA */
  char *big = malloc (SKIFF_ATTACH_MAX_DATA + 10);
  memset (big, 'x', SKIFF_ATTACH_MAX_DATA + 10);
  skiff_attach_broadcast (&s, 1, big, SKIFF_ATTACH_MAX_DATA + 10);
  free (big);
  cr_assert_eq (recv (c1, msg, sizeof msg, 0), 1 + SKIFF_ATTACH_MAX_DATA);
  cr_assert_eq (msg[0], SKIFF_ATTACH_STDOUT);
  cr_assert_eq (recv (c1, msg, sizeof msg, 0), 11);

  /* stdin from a client reaches the pipe; its end closes it */
  cr_assert_eq (send (c2, "\000abc", 4, 0), 4);
  serve (&s);
  char buf[8];
  cr_assert_eq (read (in[0], buf, sizeof buf), 3);
  cr_assert_eq (memcmp (buf, "abc", 3), 0);
  char eof = SKIFF_ATTACH_STDIN_EOF;
  cr_assert_eq (send (c2, &eof, 1, 0), 1);
  serve (&s);
  cr_assert_eq (read (in[0], buf, sizeof buf), 0, "EOF on the container's stdin");
  close (in[0]);

  /* a client that goes (detach, kill -9) is dropped; the others stay */
  close (c2);
  serve (&s);
  cr_assert_eq (s.nclients, 1);

  skiff_attach_finish (&s, 42);
  cr_assert_eq (recv (c1, msg, sizeof msg, 0), 1 + (ssize_t) sizeof (int32_t));
  cr_assert_eq (msg[0], SKIFF_ATTACH_EXIT);
  int32_t st;
  memcpy (&st, msg + 1, sizeof st);
  cr_assert_eq (st, 42);
  cr_assert_eq (recv (c1, msg, sizeof msg, 0), 0, "closed after EXIT");
  close (c1);
  cr_assert_neq (access (dir, F_OK), -1);
  char sock[256];
  snprintf (sock, sizeof sock, "%s/attach", dir);
  cr_assert_eq (access (sock, F_OK), -1, "the socket is removed");
  rmdir (dir);
}

Test (attach_server, slow_client_is_dropped_not_waited_for)
{
  struct skiff_attach_server s;
  server_up (&s);
  int slow = client (), fast = client ();
  serve (&s);
  cr_assert_eq (s.nclients, 2);
  char chunk[4096];
  memset (chunk, 'y', sizeof chunk);
  char msg[1 + SKIFF_ATTACH_MAX_DATA];
  size_t got = 0;
  /* 4 MiB: the slow client reads nothing, the fast one everything; broadcast never blocks */
  for (int i = 0; i < 1024; i++)
    {
      skiff_attach_broadcast (&s, 1, chunk, sizeof chunk);
      ssize_t n;
      while ((n = recv (fast, msg, sizeof msg, MSG_DONTWAIT)) > 0)
        got += (size_t) n - 1;
      serve_within (&s, 0);
    }
  ssize_t n;
  while ((n = recv (fast, msg, sizeof msg, MSG_DONTWAIT)) > 0)
    got += (size_t) n - 1;
  cr_assert_eq (got, 1024 * sizeof chunk, "the fast client got all of it");
  cr_assert_eq (s.nclients, 1, "the slow one was dropped past SKIFF_ATTACH_QUEUE_MAX");
  size_t slow_got = 0;
  while ((n = recv (slow, msg, sizeof msg, 0)) > 0)
    slow_got += (size_t) n - 1;
  cr_assert_eq (n, 0, "the slow client sees its socket closed");
  cr_assert_lt (slow_got, 1024 * sizeof chunk);
  skiff_attach_finish (&s, 0);
  close (slow);
  close (fast);
  rmdir (dir);
}
