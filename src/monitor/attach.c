/* The attach socket (conmon's conn_sock.c): the monitor serves the container's output live and takes its
 * stdin; skiff attach, start -a and a foreground run are its clients. The protocol is in monitor.h. */
#include "monitor/monitor.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>

/* a slow client gets this long to take its last output and the exit status before it is dropped */
#define FINISH_TIMEOUT_MS 2000
#define EOT 4 /* the terminal's end-of-file character */

struct skiff_attach_queued
{
  struct skiff_attach_queued *next;
  size_t len;
  char data[];
};

void
skiff_attach_server_init (struct skiff_attach_server *s)
{
  memset (s, 0, sizeof *s);
  s->listen_fd = -1;
  s->stdin_fd = -1;
  s->pty = -1;
}

int
skiff_attach_listen (struct skiff_attach_server *s, const char *dir, skiff_error_t *err)
{
  /* sun_path holds 108 bytes: bind through the directory's descriptor, as conmon does */
  cleanup_close int dfd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return skiff_error_set (err, errno, "open %s", dir);
  unlinkat (dfd, SKIFF_ATTACH_SOCKET, 0); /* left by an earlier run */
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  snprintf (addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", dfd, SKIFF_ATTACH_SOCKET);
  int fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return skiff_error_set (err, errno, "create the attach socket");
  if (bind (fd, (struct sockaddr *) &addr, sizeof addr) < 0 || listen (fd, SKIFF_ATTACH_MAX_CLIENTS) < 0)
    {
      int e = errno;
      close (fd);
      return skiff_error_set (err, e, "bind the attach socket in %s", dir);
    }
  fchmodat (dfd, SKIFF_ATTACH_SOCKET, 0600, 0);
  s->listen_fd = fd;
  s->path = path_join (dir, SKIFF_ATTACH_SOCKET);
  return 0;
}

void
skiff_attach_add_client (struct skiff_attach_server *s, int fd)
{
  if (s->nclients >= SKIFF_ATTACH_MAX_CLIENTS)
    {
      close (fd);
      return;
    }
  fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) | O_NONBLOCK);
  s->clients[s->nclients++] = (struct skiff_attach_client){ .fd = fd };
}

/* Closing a unix socket whose receive queue still holds the client's messages (a keystroke, a resize) makes
 * the client's next recv fail with ECONNRESET, before it reads what was sent to it last (the exit status):
 * take them first. */
static void
client_drain (struct skiff_attach_client *c)
{
  char buf[1 + SKIFF_ATTACH_MAX_DATA];
  while (recv (c->fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
    ;
}

static void
client_drop (struct skiff_attach_server *s, size_t i)
{
  struct skiff_attach_client *c = &s->clients[i];
  client_drain (c);
  close (c->fd);
  while (c->head)
    {
      struct skiff_attach_queued *q = c->head;
      c->head = q->next;
      free (q);
    }
  s->clients[i] = s->clients[--s->nclients];
}

static void
stdin_close (struct skiff_attach_server *s)
{
  if (s->stdin_owned && s->stdin_fd >= 0)
    close (s->stdin_fd);
  s->stdin_fd = -1;
  s->stdin_owned = false;
  free (s->pending);
  s->pending = NULL;
  s->pending_len = 0;
  s->eof_pending = false;
}

void
skiff_attach_set_stdio (struct skiff_attach_server *s, int stdin_fd, bool owned, int pty)
{
  stdin_close (s);
  s->stdin_fd = stdin_fd;
  s->stdin_owned = owned && stdin_fd >= 0;
  s->pty = pty;
  if (stdin_fd >= 0)
    fcntl (stdin_fd, F_SETFL, fcntl (stdin_fd, F_GETFL) | O_NONBLOCK);
}

/* Write what the container's stdin takes now; the rest waits in pending, and clients are not polled for more
 * meanwhile (what a client that hung up still had in flight is appended: the socket's buffer bounds it). */
static void
stdin_write (struct skiff_attach_server *s, const char *data, size_t len)
{
  if (s->stdin_fd < 0)
    return; /* no -i, or its stdin was closed: dropped, as podman does */
  ssize_t n = 0;
  while (s->pending == NULL && len > 0 && (n = write (s->stdin_fd, data, len)) > 0)
    {
      data += n;
      len -= (size_t) n;
    }
  if (len == 0)
    return;
  if (n < 0 && errno != EAGAIN && errno != EINTR)
    {
      stdin_close (s); /* the container closed its stdin */
      return;
    }
  s->pending = xrealloc (s->pending, s->pending_len + len);
  memcpy (s->pending + s->pending_len, data, len);
  s->pending_len += len;
}

static void
stdin_flush (struct skiff_attach_server *s)
{
  char *buf = s->pending;
  size_t len = s->pending_len;
  s->pending = NULL;
  s->pending_len = 0;
  stdin_write (s, buf, len);
  free (buf);
  if (s->pending == NULL && s->eof_pending)
    stdin_close (s);
}

static bool
client_flush (struct skiff_attach_client *c)
{
  while (c->head)
    {
      struct skiff_attach_queued *q = c->head;
      ssize_t n = send (c->fd, q->data, q->len, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0)
        return errno == EAGAIN || errno == EINTR;
      c->head = q->next;
      if (c->head == NULL)
        c->tail = NULL;
      c->queued -= q->len;
      free (q);
    }
  return true;
}

/* Queue or send one message; false when the client is gone or too far behind */
static bool
client_send (struct skiff_attach_client *c, const char *msg, size_t len)
{
  if (c->head == NULL)
    {
      ssize_t n = send (c->fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n >= 0)
        return true;
      if (errno != EAGAIN && errno != EINTR)
        return false;
    }
  if (c->queued + len > SKIFF_ATTACH_QUEUE_MAX)
    return false;
  struct skiff_attach_queued *q = xmalloc (sizeof *q + len);
  q->next = NULL;
  q->len = len;
  memcpy (q->data, msg, len);
  if (c->tail)
    c->tail->next = q;
  else
    c->head = q;
  c->tail = q;
  c->queued += len;
  return true;
}

void
skiff_attach_broadcast (struct skiff_attach_server *s, int stream, const char *data, size_t len)
{
  char msg[1 + SKIFF_ATTACH_MAX_DATA];
  while (len > 0 && s->nclients > 0)
    {
      size_t chunk = len > SKIFF_ATTACH_MAX_DATA ? SKIFF_ATTACH_MAX_DATA : len;
      msg[0] = (char) (stream == 2 ? SKIFF_ATTACH_STDERR : SKIFF_ATTACH_STDOUT);
      memcpy (msg + 1, data, chunk);
      for (size_t i = s->nclients; i-- > 0;)
        if (!client_send (&s->clients[i], msg, chunk + 1))
          client_drop (s, i);
      data += chunk;
      len -= chunk;
    }
}

size_t
skiff_attach_poll_fill (struct skiff_attach_server *s, struct pollfd *pf)
{
  size_t n = 0;
  if (s->listen_fd >= 0)
    pf[n++] = (struct pollfd){ .fd = s->listen_fd, .events = POLLIN };
  if (s->pending)
    pf[n++] = (struct pollfd){ .fd = s->stdin_fd, .events = POLLOUT };
  for (size_t i = 0; i < s->nclients; i++)
    {
      short ev = s->pending ? 0 : POLLIN;
      if (s->clients[i].head)
        ev |= POLLOUT;
      pf[n++] = (struct pollfd){ .fd = s->clients[i].fd, .events = ev };
    }
  return n;
}

/* One message from a client; false when it is gone */
static bool
client_read (struct skiff_attach_server *s, struct skiff_attach_client *c)
{
  char msg[1 + SKIFF_ATTACH_MAX_DATA];
  ssize_t n = recv (c->fd, msg, sizeof msg, MSG_DONTWAIT);
  if (n < 0)
    return errno == EAGAIN || errno == EINTR;
  if (n == 0)
    return false; /* closed: detached or gone; the container's stdin stays open */
  switch (msg[0])
    {
    case SKIFF_ATTACH_STDIN:
      stdin_write (s, msg + 1, (size_t) n - 1);
      break;
    case SKIFF_ATTACH_STDIN_EOF:
      /* as conmon: the end of an attached client's input is the end of the container's (a pipe); on a tty,
       * the terminal's EOF character */
      if (s->stdin_fd >= 0 && s->stdin_fd == s->pty)
        {
          char eot = EOT;
          stdin_write (s, &eot, 1);
        }
      else if (s->stdin_fd >= 0 && s->pending == NULL)
        stdin_close (s);
      else if (s->stdin_fd >= 0)
        s->eof_pending = true; /* after what is still to be written */
      break;
    case SKIFF_ATTACH_RESIZE:
      if (n >= 5 && s->pty >= 0)
        {
          uint16_t rc[2];
          memcpy (rc, msg + 1, sizeof rc);
          struct winsize ws = { .ws_row = rc[0], .ws_col = rc[1] };
          ioctl (s->pty, TIOCSWINSZ, &ws);
        }
      break;
    default:
      break;
    }
  return true;
}

void
skiff_attach_poll_handle (struct skiff_attach_server *s, const struct pollfd *pf, size_t n)
{
  size_t k = 0;
  if (s->listen_fd >= 0 && k < n)
    {
      if (pf[k].revents & POLLIN)
        {
          int fd;
          while ((fd = accept4 (s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0)
            skiff_attach_add_client (s, fd);
        }
      k++;
    }
  if (s->pending && k < n)
    {
      if (pf[k].revents & (POLLOUT | POLLERR | POLLHUP))
        stdin_flush (s);
      k++;
    }
  /* clients by fd: accepting above may have added some that were not polled */
  for (; k < n; k++)
    {
      if (!pf[k].revents)
        continue;
      for (size_t i = 0; i < s->nclients; i++)
        {
          struct skiff_attach_client *c = &s->clients[i];
          if (c->fd != pf[k].fd)
            continue;
          bool keep = true;
          if (pf[k].revents & POLLOUT)
            keep = client_flush (c);
          if (keep && (pf[k].revents & (POLLIN | POLLHUP | POLLERR)))
            keep = client_read (s, c);
          if (!keep)
            client_drop (s, i);
          break;
        }
    }
}

void
skiff_attach_finish (struct skiff_attach_server *s, int status)
{
  char msg[1 + sizeof (int32_t)];
  msg[0] = SKIFF_ATTACH_EXIT;
  int32_t st = status;
  memcpy (msg + 1, &st, sizeof st);
  for (size_t i = s->nclients; i-- > 0;)
    if (!client_send (&s->clients[i], msg, sizeof msg))
      client_drop (s, i);
  /* Give clients a moment to take what is queued for them, then say there is no more (SHUT_WR: end of file
   * after the exit status) and wait for them to hang up, taking whatever they still send meanwhile; whoever is
   * still there at the deadline is dropped. */
  uint64_t deadline = now_ns () + (uint64_t) FINISH_TIMEOUT_MS * 1000000ULL;
  for (;;)
    {
      struct pollfd pf[SKIFF_ATTACH_MAX_CLIENTS];
      size_t n = 0;
      for (size_t i = 0; i < s->nclients; i++)
        {
          struct skiff_attach_client *c = &s->clients[i];
          if (c->head == NULL && !c->shut)
            {
              shutdown (c->fd, SHUT_WR);
              c->shut = true;
            }
          pf[n++] = (struct pollfd){ .fd = c->fd, .events = (short) (POLLIN | (c->head ? POLLOUT : 0)) };
        }
      uint64_t now = now_ns ();
      if (n == 0 || now >= deadline)
        break;
      if (poll (pf, n, (int) ((deadline - now) / 1000000ULL) + 1) <= 0)
        continue;
      for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < s->nclients; i++)
          if (s->clients[i].fd == pf[k].fd && pf[k].revents)
            {
              struct skiff_attach_client *c = &s->clients[i];
              bool keep = true;
              if (pf[k].revents & POLLOUT)
                keep = client_flush (c);
              if (keep && (pf[k].revents & (POLLIN | POLLHUP | POLLERR)))
                {
                  char buf[1 + SKIFF_ATTACH_MAX_DATA];
                  ssize_t got;
                  while ((got = recv (c->fd, buf, sizeof buf, MSG_DONTWAIT)) > 0)
                    ;
                  keep = got < 0 && (errno == EAGAIN || errno == EINTR);
                }
              if (!keep)
                client_drop (s, i);
              break;
            }
    }
  while (s->nclients > 0)
    client_drop (s, s->nclients - 1);
  stdin_close (s);
  if (s->listen_fd >= 0)
    {
      close (s->listen_fd);
      s->listen_fd = -1;
      if (s->path)
        unlink (s->path);
    }
  free (s->path);
  s->path = NULL;
}

/* ---- detach keys ---- */

/* moby/term's names: ctrl-@ is 0, ctrl-a 1, ..., ctrl-_ 31 */
static const char ctrl_names[] = "@abcdefghijklmnopqrstuvwxyz[\\]^_";

int
skiff_detach_keys_parse (const char *spec, unsigned char *keys, size_t *nkeys, skiff_error_t *err)
{
  *nkeys = 0;
  if (*spec == '\0')
    return 0;
  const char *p = spec;
  for (;;)
    {
      const char *comma = strchr (p, ',');
      size_t len = comma ? (size_t) (comma - p) : strlen (p);
      int key = -1;
      if (len == 1)
        key = (unsigned char) p[0];
      else if (len == strlen ("ctrl-x") && strncmp (p, "ctrl-", strlen ("ctrl-")) == 0 && p[5] != '\0'
               && strchr (ctrl_names, p[5]))
        key = (int) (strchr (ctrl_names, p[5]) - ctrl_names);
      if (key < 0)
        return skiff_error_set_status (err, EINVAL, "invalid detach keys: Unknown character: '%.*s'", (int) len, p);
      if (*nkeys >= SKIFF_DETACH_KEYS_MAX)
        return skiff_error_set_status (err, EINVAL, "invalid detach keys: more than %d keys", SKIFF_DETACH_KEYS_MAX);
      keys[(*nkeys)++] = (unsigned char) key;
      if (comma == NULL)
        break;
      p = comma + 1;
    }
  return 0;
}

/* ---- the client ---- */

int
skiff_attach_connect (const char *dir, int *fd, skiff_error_t *err)
{
  cleanup_close int dfd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return skiff_error_set (err, errno, "open %s", dir);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  snprintf (addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", dfd, SKIFF_ATTACH_SOCKET);
  int s = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (s < 0)
    return skiff_error_set (err, errno, "create a socket");
  if (connect (s, (struct sockaddr *) &addr, sizeof addr) < 0)
    {
      int e = errno;
      close (s);
      return skiff_error_set (err, e, "connect to the container's attach socket");
    }
  *fd = s;
  return 0;
}

/* Feed input through the detach-key matcher: out gets what goes to the container (it has room for
 * n + SKIFF_DETACH_KEYS_MAX bytes); true when the keys were typed (out then holds what came before them).
 * As moby's escape proxy: a partial match is held back until it fails, then sent as it was typed. */
static bool
keys_filter (const struct skiff_attach_options *o, size_t *matched, const char *in, size_t n, char *out, size_t *outn)
{
  *outn = 0;
  for (size_t i = 0; i < n; i++)
    {
      unsigned char b = (unsigned char) in[i];
      if (o->nkeys == 0)
        {
          out[(*outn)++] = (char) b;
          continue;
        }
      if (b == o->keys[*matched])
        {
          if (++*matched == o->nkeys)
            return true;
          continue;
        }
      memcpy (out + *outn, o->keys, *matched);
      *outn += *matched;
      *matched = 0;
      if (b == o->keys[0])
        {
          if (++*matched == o->nkeys)
            return true;
        }
      else
        out[(*outn)++] = (char) b;
    }
  return false;
}

static void
send_winsize (int sock, int tty_fd)
{
  struct winsize ws;
  if (ioctl (tty_fd, TIOCGWINSZ, &ws) < 0)
    return;
  char msg[1 + 2 * sizeof (uint16_t)];
  uint16_t rc[2] = { ws.ws_row, ws.ws_col };
  msg[0] = SKIFF_ATTACH_RESIZE;
  memcpy (msg + 1, rc, sizeof rc);
  (void) send (sock, msg, sizeof msg, MSG_NOSIGNAL);
}

static const int proxied_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, 0 };

int
skiff_attach_run (int fd, const struct skiff_attach_options *o, enum skiff_attach_end *end, int *status,
                  skiff_error_t *err)
{
  cleanup_close int sock = fd;
  *end = SKIFF_ATTACH_LOST;
  *status = 0;
  int tty_fd = isatty (STDIN_FILENO) ? STDIN_FILENO : isatty (STDOUT_FILENO) ? STDOUT_FILENO : -1;
  bool sig_proxy = o->sig_proxy && !o->tty && o->container_pid;
  sigset_t set, old;
  sigemptyset (&set);
  if (o->tty)
    sigaddset (&set, SIGWINCH);
  for (int i = 0; sig_proxy && proxied_signals[i]; i++)
    sigaddset (&set, proxied_signals[i]);
  sigprocmask (SIG_BLOCK, &set, &old);
  cleanup_close int sfd = signalfd (-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0)
    {
      int e = errno;
      sigprocmask (SIG_SETMASK, &old, NULL);
      return skiff_error_set (err, e, "signalfd");
    }
  struct termios saved;
  bool raw = false;
  if (o->tty && o->stdin && isatty (STDIN_FILENO) && tcgetattr (STDIN_FILENO, &saved) == 0)
    {
      struct termios t = saved;
      cfmakeraw (&t);
      t.c_oflag = saved.c_oflag; /* keep output processing as the caller had it */
      raw = tcsetattr (STDIN_FILENO, TCSANOW, &t) == 0;
    }
  if (o->tty && tty_fd >= 0)
    send_winsize (sock, tty_fd);
  fcntl (sock, F_SETFL, fcntl (sock, F_GETFL) | O_NONBLOCK);

  bool stdin_live = o->stdin;
  size_t matched = 0;
  char out[1 + SKIFF_ATTACH_MAX_DATA];
  size_t out_len = 0; /* a message the socket did not take yet */
  char msg[1 + SKIFF_ATTACH_MAX_DATA];
  for (;;)
    {
      struct pollfd pf[3];
      nfds_t n = 0;
      pf[n++] = (struct pollfd){ .fd = sock, .events = POLLIN | (out_len ? POLLOUT : 0) };
      pf[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
      int ii = -1;
      if (stdin_live && out_len == 0)
        {
          ii = (int) n;
          pf[n++] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
        }
      if (poll (pf, n, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          skiff_error_set (err, errno, "poll");
          break;
        }
      if (pf[1].revents & POLLIN)
        {
          struct signalfd_siginfo si;
          while (read (sfd, &si, sizeof si) == sizeof si)
            {
              if (si.ssi_signo == SIGWINCH)
                {
                  if (tty_fd >= 0)
                    send_winsize (sock, tty_fd);
                }
              else if (sig_proxy)
                {
                  pid_t pid = o->container_pid (o->data);
                  if (pid > 0)
                    kill (pid, (int) si.ssi_signo);
                }
            }
        }
      if (out_len && (pf[0].revents & POLLOUT))
        {
          if (send (sock, out, out_len, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
            out_len = 0;
          else if (errno != EAGAIN && errno != EINTR)
            break; /* the monitor went away: LOST */
        }
      if (pf[0].revents & (POLLIN | POLLHUP | POLLERR))
        {
          ssize_t got = recv (sock, msg, sizeof msg, MSG_DONTWAIT);
          if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR))
            break; /* LOST */
          if (got <= 0)
            ;
          else if (msg[0] == SKIFF_ATTACH_STDOUT && o->out)
            (void) write_all (STDOUT_FILENO, msg + 1, (size_t) got - 1);
          else if (msg[0] == SKIFF_ATTACH_STDERR && o->err)
            (void) write_all (STDERR_FILENO, msg + 1, (size_t) got - 1);
          else if (msg[0] == SKIFF_ATTACH_EXIT && got >= (ssize_t) (1 + sizeof (int32_t)))
            {
              int32_t st;
              memcpy (&st, msg + 1, sizeof st);
              *status = st;
              *end = SKIFF_ATTACH_ENDED;
              break;
            }
        }
      if (ii >= 0 && (pf[ii].revents & (POLLIN | POLLHUP | POLLERR)))
        {
          char in[SKIFF_ATTACH_MAX_DATA - SKIFF_DETACH_KEYS_MAX];
          ssize_t got = read (STDIN_FILENO, in, sizeof in);
          if (got < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
          size_t data_len = 0;
          bool detach = false;
          if (got <= 0)
            {
              /* a partial match of the keys was typed: it goes through */
              memcpy (out + 1, o->keys, matched);
              data_len = matched;
              matched = 0;
              stdin_live = false;
            }
          else
            detach = keys_filter (o, &matched, in, (size_t) got, out + 1, &data_len);
          if (data_len)
            {
              out[0] = SKIFF_ATTACH_STDIN;
              /* what came before the end of input is sent whole (blocking); what came before the keys, if the
               * monitor takes it now */
              if (detach)
                (void) send (sock, out, data_len + 1, MSG_DONTWAIT | MSG_NOSIGNAL);
              else if (!stdin_live)
                {
                  fcntl (sock, F_SETFL, fcntl (sock, F_GETFL) & ~O_NONBLOCK);
                  (void) send (sock, out, data_len + 1, MSG_NOSIGNAL);
                  fcntl (sock, F_SETFL, fcntl (sock, F_GETFL) | O_NONBLOCK);
                }
              else if (send (sock, out, data_len + 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
                {
                  if (errno != EAGAIN && errno != EINTR)
                    break;
                  out_len = data_len + 1;
                }
            }
          if (detach)
            {
              *end = SKIFF_ATTACH_DETACHED;
              break;
            }
          if (!stdin_live)
            {
              char eof = SKIFF_ATTACH_STDIN_EOF;
              fcntl (sock, F_SETFL, fcntl (sock, F_GETFL) & ~O_NONBLOCK);
              (void) send (sock, &eof, 1, MSG_NOSIGNAL);
              fcntl (sock, F_SETFL, fcntl (sock, F_GETFL) | O_NONBLOCK);
            }
        }
    }
  if (raw)
    tcsetattr (STDIN_FILENO, TCSANOW, &saved);
  /* signals that came meanwhile stay pending in the mask we restore: drop those that would kill us */
  struct signalfd_siginfo si;
  while (read (sfd, &si, sizeof si) == sizeof si)
    ;
  sigprocmask (SIG_SETMASK, &old, NULL);
  return err && *err ? -1 : 0;
}
