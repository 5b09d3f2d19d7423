/* The registry protocol's harder parts against Debian's docker-registry behind a proxy written here: Bearer
 * tokens from a token endpoint (the proxy lets through only requests carrying the token it issued), redirects
 * of blob GETs to another port, chunked and monolithic uploads and HEAD checks (the proxy logs every request),
 * foreign layers fetched from their urls, and the progress display on a terminal and off it. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "../harness.h"

#define REGISTRY_BIN "/usr/bin/docker-registry"
#define TOK_USER "skiffuser"
#define TOK_PASS "s3cret-Pa55"
#define TOKEN_PULL "tok-pull-0123456789"
#define TOKEN_PUSH "tok-push-9876543210"
#define SERVICE "skiff-test-registry"

/* ---- the registry (plain HTTP, anonymous: the proxy does the authentication) ---- */

struct reg3
{
  pid_t pid;
  int port;
  char dir[256];
};

static void
reg3_start (struct reg3 *r)
{
  if (access (REGISTRY_BIN, X_OK) != 0)
    cr_skip_test ("%s is missing: apt-get install docker-registry (contrib/install-deps.sh)", REGISTRY_BIN);
  snprintf (r->dir, sizeof r->dir, "%s/registry3-XXXXXX", it_dir ());
  cr_assert (mkdtemp (r->dir), "mkdtemp: %s", strerror (errno));
  r->port = it_free_port ();
  char cfg[2048];
  snprintf (cfg, sizeof cfg,
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    "
            "rootdirectory: %s/data\nhttp:\n  addr: 127.0.0.1:%d\n"
            /* foreign layers' urls are refused unless allowed (as a registry serving Windows images does) */
            "validation:\n  manifests:\n    urls:\n      allow:\n        - \"^http://127\\\\.0\\\\.0\\\\.1:\"\n",
            r->dir, r->port);
  r->pid = it_registry_serve (r->dir, cfg, r->port);
}

/* ---- the proxy ---- */

struct proxy_cfg
{
  int upstream;    /* the registry's port */
  bool bearer;     /* /v2/ needs "Authorization: Bearer <token>" */
  bool anon_pull;  /* the token endpoint issues pull tokens without credentials */
  bool redirect;   /* blob GETs answer 307 to the blob port */
  char local[300]; /* files served instead of the registry's: manifests by reference, blobs by hex */
  char urls[300];  /* files the blob port serves under /files/<name> (foreign layers' urls) */
  char log[300];   /* one line per request */
  char basic[200]; /* "Basic <base64 user:pass>" */
  int slow_ms;     /* local blobs go out 64 KiB at a time with this pause */
};

struct proxy
{
  pid_t pid;
  int port, blob_port;
  char addr[64];
  struct proxy_cfg cfg;
};

static void __attribute__ ((format (printf, 2, 3))) plog (const struct proxy_cfg *c, const char *fmt, ...)
{
  char line[4096];
  va_list ap;
  va_start (ap, fmt);
  int n = vsnprintf (line, sizeof line - 1, fmt, ap);
  va_end (ap);
  if (n < 0)
    return;
  if ((size_t) n > sizeof line - 2)
    n = (int) sizeof line - 2;
  line[n++] = '\n';
  int fd = open (c->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0)
    {
      if (write (fd, line, (size_t) n) < 0)
        n = 0;
      close (fd);
    }
}

static bool
write_full (int fd, const void *p, size_t n)
{
  const char *c = p;
  while (n > 0)
    {
      ssize_t w = write (fd, c, n);
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        return false;
      c += w;
      n -= (size_t) w;
    }
  return true;
}

struct req
{
  char buf[65536];
  size_t len;     /* bytes in buf */
  size_t hdr_end; /* offset just past the blank line */
  char method[16];
  char path[4096];
  char auth[1024];
  char range[128]; /* Content-Range */
  long long clen;
};

/* Read the request line and headers (the start of the body may follow in buf). */
static bool
read_req (int fd, struct req *r)
{
  r->len = 0;
  for (;;)
    {
      char *end = r->len ? memmem (r->buf, r->len, "\r\n\r\n", 4) : NULL;
      if (end)
        {
          r->hdr_end = (size_t) (end - r->buf) + 4;
          break;
        }
      if (r->len == sizeof r->buf)
        return false;
      ssize_t n = read (fd, r->buf + r->len, sizeof r->buf - r->len);
      if (n <= 0)
        return false;
      if (r->len == 0 && r->buf[0] == 0x16)
        return false; /* a TLS handshake (https is tried first): not spoken here */
      r->len += (size_t) n;
    }
  if (sscanf (r->buf, "%15s %4095s", r->method, r->path) != 2)
    return false;
  r->auth[0] = '\0';
  r->range[0] = '\0';
  r->clen = 0;
  for (char *line = strstr (r->buf, "\r\n") + 2; line < r->buf + r->hdr_end - 2;)
    {
      char *eol = strstr (line, "\r\n");
      if (strncasecmp (line, "Authorization:", 14) == 0)
        {
          const char *v = line + 14;
          while (*v == ' ')
            v++;
          snprintf (r->auth, sizeof r->auth, "%.*s", (int) (eol - v), v);
        }
      else if (strncasecmp (line, "Content-Range:", 14) == 0)
        {
          const char *v = line + 14;
          while (*v == ' ')
            v++;
          snprintf (r->range, sizeof r->range, "%.*s", (int) (eol - v), v);
        }
      else if (strncasecmp (line, "Content-Length:", 15) == 0)
        r->clen = atoll (line + 15);
      line = eol + 2;
    }
  return true;
}

static void
reply (int fd, const struct req *q, int status, const char *extra, const char *ctype, const void *body, size_t len)
{
  char h[4096];
  int n = snprintf (h, sizeof h,
                    "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\nContent-Type: %s\r\n"
                    "Docker-Distribution-Api-Version: registry/2.0\r\n%s\r\n",
                    status, len, ctype ? ctype : "application/json", extra ? extra : "");
  write_full (fd, h, (size_t) n);
  if (strcmp (q->method, "HEAD") != 0 && len)
    write_full (fd, body, len);
}

static int
connect_port (int port)
{
  int s = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a
      = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port), .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  if (connect (s, (struct sockaddr *) &a, sizeof a) < 0)
    {
      close (s);
      return -1;
    }
  return s;
}

/* Send q (to path) upstream without its Authorization, relay the answer with Connection: close; the status.
 * The log line ("<tag> METHOD path status ...") is written before the client sees the answer, so a test
 * reading the log after the client finished finds it. */
static void forward_log (const struct proxy_cfg *c, const char *tag, const struct req *q, const char *path, int status);

static int
forward (int cfd, struct req *q, const char *path, const struct proxy_cfg *c, const char *tag)
{
  int upstream = c->upstream;
  int u = connect_port (upstream);
  if (u < 0)
    {
      forward_log (c, tag, q, path, 502);
      return 502;
    }
  char line[4200];
  int n = snprintf (line, sizeof line, "%s %s HTTP/1.1\r\n", q->method, path);
  write_full (u, line, (size_t) n);
  for (char *l = strstr (q->buf, "\r\n") + 2; l < q->buf + q->hdr_end - 2;)
    {
      char *eol = strstr (l, "\r\n");
      if (strncasecmp (l, "Authorization:", 14) != 0 && strncasecmp (l, "Connection:", 11) != 0)
        write_full (u, l, (size_t) (eol - l) + 2);
      l = eol + 2;
    }
  write_full (u, "Connection: close\r\n\r\n", 21);
  /* the body: what came with the headers, then the rest */
  long long left = q->clen;
  size_t have = q->len - q->hdr_end;
  if (have)
    {
      write_full (u, q->buf + q->hdr_end, have);
      left -= (long long) have;
    }
  char buf[65536];
  while (left > 0)
    {
      ssize_t r = read (cfd, buf, left < (long long) sizeof buf ? (size_t) left : sizeof buf);
      if (r <= 0)
        break;
      write_full (u, buf, (size_t) r);
      left -= r;
    }
  /* the answer's headers, rewritten to close the connection after it */
  struct req a;
  a.len = 0;
  char *end = NULL;
  while (!end && a.len < sizeof a.buf)
    {
      ssize_t r = read (u, a.buf + a.len, sizeof a.buf - a.len);
      if (r <= 0)
        break;
      a.len += (size_t) r;
      end = memmem (a.buf, a.len, "\r\n\r\n", 4);
    }
  if (!end)
    {
      close (u);
      forward_log (c, tag, q, path, 502);
      return 502;
    }
  int status = 0;
  sscanf (a.buf, "HTTP/1.%*d %d", &status);
  forward_log (c, tag, q, path, status);
  size_t hdr_end = (size_t) (end - a.buf) + 4;
  char *first = strstr (a.buf, "\r\n") + 2;
  write_full (cfd, a.buf, (size_t) (first - a.buf));
  for (char *l = first; l < a.buf + hdr_end - 2;)
    {
      char *eol = strstr (l, "\r\n");
      if (strncasecmp (l, "Connection:", 11) != 0)
        write_full (cfd, l, (size_t) (eol - l) + 2);
      l = eol + 2;
    }
  write_full (cfd, "Connection: close\r\n\r\n", 21);
  write_full (cfd, a.buf + hdr_end, a.len - hdr_end);
  ssize_t r;
  while ((r = read (u, buf, sizeof buf)) > 0)
    if (!write_full (cfd, buf, (size_t) r))
      break;
  close (u);
  return status;
}

static void
forward_log (const struct proxy_cfg *c, const char *tag, const struct req *q, const char *path, int status)
{
  plog (c, "%s%s %s %d len=%lld range=%s auth=%d", tag, q->method, path, status, q->clen, q->range[0] ? q->range : "-",
        q->auth[0] != '\0');
}

static void
url_decode (const char *s, char *out, size_t cap)
{
  size_t o = 0;
  for (; *s && o + 1 < cap; s++)
    {
      if (*s == '%' && s[1] && s[2])
        {
          char hex[3] = { s[1], s[2], 0 };
          out[o++] = (char) strtol (hex, NULL, 16);
          s += 2;
        }
      else
        out[o++] = *s == '+' ? ' ' : *s;
    }
  out[o] = '\0';
}

/* "/v2/<repo>/{manifests,blobs,tags}/..." -> repo; "" for /v2/ itself */
static void
repo_of (const char *path, char *out, size_t cap)
{
  out[0] = '\0';
  const char *p = path + 4, *end = NULL;
  static const char *const kinds[] = { "/manifests/", "/blobs/", "/tags/" };
  for (size_t i = 0; i < 3; i++)
    {
      const char *k = strstr (p, kinds[i]);
      if (k && (!end || k < end))
        end = k;
    }
  if (end)
    snprintf (out, cap, "%.*s", (int) (end - p), p);
}

/* A whole (binary) file; NULL when missing. */
static char *
read_bin (const char *path, size_t *len)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat (fd, &st) < 0)
    {
      if (fd >= 0)
        close (fd);
      return NULL;
    }
  char *data = malloc ((size_t) st.st_size + 1);
  size_t got = 0;
  while (data && got < (size_t) st.st_size)
    {
      ssize_t n = read (fd, data + got, (size_t) st.st_size - got);
      if (n <= 0)
        break;
      got += (size_t) n;
    }
  close (fd);
  if (data)
    data[got] = '\0';
  *len = got;
  return data;
}

/* A local file for this request: manifests/<ref> by ref, blobs/sha256:<hex> by hex. */
static bool
serve_local (int cfd, const struct proxy_cfg *c, struct req *q)
{
  if (!c->local[0] || (strcmp (q->method, "GET") != 0 && strcmp (q->method, "HEAD") != 0))
    return false;
  const char *m = strstr (q->path, "/manifests/"), *b = strstr (q->path, "/blobs/sha256:");
  const char *name = m ? m + 11 : b ? b + 14 : NULL;
  if (!name || strchr (name, '/'))
    return false;
  char path[700];
  snprintf (path, sizeof path, "%s/%s", c->local, name);
  size_t len = 0;
  char *data = read_bin (path, &len);
  if (!data)
    return false;
  const char *ctype = "application/octet-stream";
  if (m)
    ctype = strstr (data, "application/vnd.oci.image.manifest.v1+json")
                ? "application/vnd.oci.image.manifest.v1+json"
                : "application/vnd.docker.distribution.manifest.v2+json";
  plog (c, "%s %s 200 local", q->method, q->path);
  if (c->slow_ms && b && strcmp (q->method, "GET") == 0)
    {
      char h[256];
      int n = snprintf (h, sizeof h,
                        "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n"
                        "Content-Type: application/octet-stream\r\n\r\n",
                        len);
      write_full (cfd, h, (size_t) n);
      for (size_t off = 0; off < len; off += 65536)
        {
          write_full (cfd, data + off, len - off < 65536 ? len - off : 65536);
          it_msleep (c->slow_ms);
        }
    }
  else
    reply (cfd, q, 200, NULL, ctype, data, len);
  free (data);
  return true;
}

static void
serve_token (int cfd, const struct proxy_cfg *c, struct req *q)
{
  const char *qs = strchr (q->path, '?');
  char scope[1024] = "";
  for (const char *p = qs; p && (p = strstr (p, "scope=")) != NULL; p += 6)
    {
      char enc[512], dec[512];
      snprintf (enc, sizeof enc, "%.*s", (int) strcspn (p + 6, "&"), p + 6);
      url_decode (enc, dec, sizeof dec);
      size_t l = strlen (scope);
      snprintf (scope + l, sizeof scope - l, "%s%s", l ? " " : "", dec);
    }
  bool push = strstr (scope, ":push") || strstr (scope, ",push");
  const char *cred = q->auth[0] == '\0' ? "none" : strcmp (q->auth, c->basic) == 0 ? "good" : "bad";
  const char *token = NULL;
  if (strcmp (cred, "good") == 0)
    token = push ? TOKEN_PUSH : TOKEN_PULL;
  else if (strcmp (cred, "none") == 0 && c->anon_pull)
    token = TOKEN_PULL; /* anonymous: pull only, whatever was asked */
  plog (c, "TOKEN scope=%s cred=%s -> %s", scope, cred, token ? token : "401");
  if (!token)
    {
      static const char body[] = "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}";
      reply (cfd, q, 401, NULL, NULL, body, sizeof body - 1);
      return;
    }
  char body[256];
  int n = snprintf (body, sizeof body, "{\"token\":\"%s\",\"access_token\":\"%s\",\"expires_in\":300}", token, token);
  reply (cfd, q, 200, NULL, NULL, body, (size_t) n);
}

static void
serve_api (int cfd, const struct proxy *p, struct req *q)
{
  const struct proxy_cfg *c = &p->cfg;
  bool write = strcmp (q->method, "GET") != 0 && strcmp (q->method, "HEAD") != 0;
  if (c->bearer)
    {
      bool ok = strcmp (q->auth, "Bearer " TOKEN_PUSH) == 0 || (!write && strcmp (q->auth, "Bearer " TOKEN_PULL) == 0);
      if (!ok)
        {
          char repo[512], chal[1200];
          repo_of (q->path, repo, sizeof repo);
          int n = snprintf (chal, sizeof chal, "WWW-Authenticate: Bearer realm=\"http://%s/token\",service=\"%s\"",
                            p->addr, SERVICE);
          if (repo[0])
            snprintf (chal + n, sizeof chal - (size_t) n, ",scope=\"repository:%s:%s\"", repo,
                      write ? "pull,push" : "pull");
          strcat (chal, "\r\n");
          static const char body[]
              = "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}";
          plog (c, "%s %s 401 auth=%s", q->method, q->path, q->auth[0] ? q->auth : "-");
          reply (cfd, q, 401, chal, NULL, body, sizeof body - 1);
          return;
        }
    }
  if (serve_local (cfd, c, q))
    return;
  if (c->redirect && strcmp (q->method, "GET") == 0 && strstr (q->path, "/blobs/sha256:"))
    {
      char loc[4300];
      snprintf (loc, sizeof loc, "Location: http://127.0.0.1:%d/r%s\r\n", p->blob_port, q->path);
      plog (c, "%s %s 307", q->method, q->path);
      reply (cfd, q, 307, loc, NULL, "", 0);
      return;
    }
  forward (cfd, q, q->path, c, "");
}

/* the blob port: /r/<api path> from the registry (blob storage), /files/<name> from cfg.urls */
static void
serve_blob_port (int cfd, const struct proxy_cfg *c, struct req *q)
{
  if (strncmp (q->path, "/files/", 7) == 0 && !strchr (q->path + 7, '/'))
    {
      char path[700];
      snprintf (path, sizeof path, "%s/%s", c->urls, q->path + 7);
      size_t len = 0;
      char *data = read_bin (path, &len);
      plog (c, "FILE %s %s auth=%d", q->method, q->path + 7, q->auth[0] != '\0');
      if (!data)
        reply (cfd, q, 404, NULL, NULL, "", 0);
      else
        reply (cfd, q, 200, NULL, "application/octet-stream", data, len);
      free (data);
      return;
    }
  if (strncmp (q->path, "/r/", 3) == 0)
    {
      forward (cfd, q, q->path + 2, c, "BLOBSRV ");
      return;
    }
  reply (cfd, q, 404, NULL, NULL, "", 0);
}

static void
proxy_conn (int cfd, const struct proxy *p, bool blob_port)
{
  struct req *q = malloc (sizeof *q);
  if (!q || !read_req (cfd, q))
    return;
  if (blob_port)
    serve_blob_port (cfd, &p->cfg, q);
  else if (strncmp (q->path, "/token", 6) == 0)
    serve_token (cfd, &p->cfg, q);
  else if (strncmp (q->path, "/v2/", 4) == 0)
    serve_api (cfd, p, q);
  else
    reply (cfd, q, 404, NULL, NULL, "", 0);
  shutdown (cfd, SHUT_WR);
  free (q);
}

static int
listen_any (int *port)
{
  int s = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t l = sizeof a;
  cr_assert (bind (s, (struct sockaddr *) &a, sizeof a) == 0 && listen (s, 64) == 0
             && getsockname (s, (struct sockaddr *) &a, &l) == 0);
  *port = ntohs (a.sin_port);
  return s;
}

static char *
b64 (const char *s)
{
  static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t n = strlen (s);
  char *out = calloc (1, 4 * ((n + 2) / 3) + 1), *o = out;
  const unsigned char *in = (const unsigned char *) s;
  for (size_t i = 0; i < n; i += 3)
    {
      unsigned v = (unsigned) in[i] << 16 | (i + 1 < n ? (unsigned) in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
      *o++ = t[v >> 18 & 63];
      *o++ = t[v >> 12 & 63];
      *o++ = i + 1 < n ? t[v >> 6 & 63] : '=';
      *o++ = i + 2 < n ? t[v & 63] : '=';
    }
  return out;
}

static void
proxy_start (struct proxy *p)
{
  char *enc = b64 (TOK_USER ":" TOK_PASS);
  snprintf (p->cfg.basic, sizeof p->cfg.basic, "Basic %s", enc);
  free (enc);
  int l1 = listen_any (&p->port), l2 = listen_any (&p->blob_port);
  snprintf (p->addr, sizeof p->addr, "127.0.0.1:%d", p->port);
  p->pid = fork ();
  cr_assert (p->pid >= 0);
  if (p->pid == 0)
    {
      setpgid (0, 0);
      signal (SIGCHLD, SIG_IGN);
      signal (SIGPIPE, SIG_IGN);
      struct pollfd fds[2] = { { .fd = l1, .events = POLLIN }, { .fd = l2, .events = POLLIN } };
      for (;;)
        {
          if (poll (fds, 2, -1) < 0)
            continue;
          for (int i = 0; i < 2; i++)
            {
              if (!(fds[i].revents & POLLIN))
                continue;
              int c = accept4 (fds[i].fd, NULL, NULL, SOCK_CLOEXEC);
              if (c < 0)
                continue;
              if (fork () == 0)
                {
                  close (l1);
                  close (l2);
                  proxy_conn (c, p, i == 1);
                  close (c);
                  _exit (0);
                }
              close (c);
            }
        }
    }
  close (l1);
  close (l2);
}

static void
proxy_stop (struct proxy *p)
{
  if (p->pid > 0)
    {
      kill (-p->pid, SIGKILL);
      kill (p->pid, SIGKILL);
      waitpid (p->pid, NULL, 0);
      p->pid = 0;
    }
}

/* ---- per-test state ---- */

static struct reg3 registry;
static struct proxy px;
static char root[600], run[600];

static void
teardown (void)
{
  proxy_stop (&px);
  if (registry.pid > 0)
    {
      kill (registry.pid, SIGTERM);
      waitpid (registry.pid, NULL, 0);
    }
  struct it_result r = it_skiff_in (root, run, NULL, NULL, (const char *const[]){ "system", "reset", "--force", NULL });
  it_result_free (&r);
  if (registry.dir[0])
    it_sh ("rm -rf '%s'", registry.dir);
  memset (&registry, 0, sizeof registry);
  memset (&px, 0, sizeof px);
}

/* The registry and a proxy in front of it, a private store for the pulls (root/run). */
static void
setup (bool bearer, bool anon_pull, bool redirect)
{
  reg3_start (&registry);
  px.cfg.upstream = registry.port;
  px.cfg.bearer = bearer;
  px.cfg.anon_pull = anon_pull;
  px.cfg.redirect = redirect;
  snprintf (px.cfg.log, sizeof px.cfg.log, "%s/proxy.log", registry.dir);
  snprintf (px.cfg.local, sizeof px.cfg.local, "%s/local", registry.dir);
  snprintf (px.cfg.urls, sizeof px.cfg.urls, "%s/urls", registry.dir);
  cr_assert (mkdir (px.cfg.local, 0700) == 0 && mkdir (px.cfg.urls, 0700) == 0);
  proxy_start (&px);
  snprintf (root, sizeof root, "%s/r3-root", it_dir ());
  snprintf (run, sizeof run, "%s/r3-run", it_dir ());
}

static struct it_result
in_store (char *const *env, const char *const *args)
{
  return it_skiff_in (root, run, NULL, env, args);
}
#define PRIV(...) in_store (NULL, (const char *const[]){ __VA_ARGS__, NULL })

/* Lines of the proxy's log containing every one of the NULL-terminated needles. */
static int
log_count (const char *first, ...)
{
  char *log = it_slurp (px.cfg.log);
  if (!log)
    return 0;
  const char *needles[8];
  size_t n = 0;
  va_list ap;
  va_start (ap, first);
  for (const char *s = first; s && n < 8; s = va_arg (ap, const char *))
    needles[n++] = s;
  va_end (ap);
  int count = 0;
  for (char *line = strtok (log, "\n"); line; line = strtok (NULL, "\n"))
    {
      bool all = true;
      for (size_t i = 0; i < n && all; i++)
        all = strstr (line, needles[i]) != NULL;
      count += all;
    }
  free (log);
  return count;
}

static void
log_reset (void)
{
  unlink (px.cfg.log);
}

static char *
log_text (void)
{
  char *l = it_slurp (px.cfg.log);
  return l ? l : strdup ("(empty log)");
}

/* ---- 1. Bearer tokens ---- */

Test (registry3, bearer_pull_push_token_reuse, .fini = teardown)
{
  setup (true, false, false);
  char dest[128];
  snprintf (dest, sizeof dest, "%s/tok/busybox:v1", px.addr);
  const char *creds = TOK_USER ":" TOK_PASS;

  /* push: one token, asked for pull and push on the repository, used for every blob */
  struct it_result r = SKIFF ("push", "--tls-verify=false", "--creds", creds, "busybox", dest);
  assert_ok (r);
  it_result_free (&r);
  char *l = log_text ();
  cr_assert_eq (log_count ("TOKEN", NULL), 1, "%s", l);
  cr_assert_eq (log_count ("TOKEN scope=repository:tok/busybox:pull,push cred=good -> " TOKEN_PUSH, NULL), 1, "%s", l);
  cr_assert_geq (log_count ("PUT /v2/tok/busybox/blobs/uploads/", "201", NULL), 2, "%s", l);
  cr_assert_eq (log_count ("PUT /v2/tok/busybox/manifests/v1 201", NULL), 1, "%s", l);
  free (l);

  /* pull into an empty store: one token for the manifest, the config and the layer */
  log_reset ();
  r = PRIV ("pull", "--tls-verify=false", "--creds", creds, dest);
  assert_ok (r);
  it_result_free (&r);
  l = log_text ();
  cr_assert_eq (log_count ("TOKEN", NULL), 1, "%s", l);
  cr_assert_eq (log_count ("TOKEN scope=repository:tok/busybox:pull cred=good -> " TOKEN_PULL, NULL), 1, "%s", l);
  cr_assert_geq (log_count ("GET /v2/tok/busybox/blobs/sha256:", " 200", NULL), 2, "%s", l);
  cr_assert_eq (log_count ("/blobs/", " 401", NULL), 0, "a blob request went without the token:\n%s", l);
  free (l);
  r = PRIV ("run", "--rm", dest, "echo", "pulled with a token");
  assert_ok (r);
  cr_assert_str_eq (r.out, "pulled with a token\n");
  it_result_free (&r);

  /* a wrong password: podman's message and exit code, nothing stored */
  r = PRIV ("rmi", dest);
  assert_ok (r);
  it_result_free (&r);
  log_reset ();
  r = PRIV ("pull", "--tls-verify=false", "--creds", TOK_USER ":wrong", dest);
  assert_exit (r, 125);
  char want_pull[300];
  snprintf (want_pull, sizeof want_pull,
            "Error: initializing source docker://%s: unable to retrieve auth token: invalid username/password: "
            "unauthorized\n",
            dest);
  cr_assert (strstr (r.err, want_pull), "%s", r.err);
  it_result_free (&r);
  cr_assert_eq (log_count ("TOKEN", "cred=bad -> 401", NULL), 1);
  r = SKIFF ("push", "--tls-verify=false", "--creds", TOK_USER ":wrong", "busybox", dest);
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "at destination: unable to retrieve auth token: invalid username/password: unauthorized"),
             "%s", r.err);
  it_result_free (&r);
  char authfile[400];
  snprintf (authfile, sizeof authfile, "%s/auth.json", registry.dir);
  r = SKIFF ("login", "--tls-verify=false", "--authfile", authfile, "-u", TOK_USER, "-p", "wrong", px.addr);
  assert_exit (r, 125);
  char want[160];
  snprintf (want, sizeof want, "Error: logging into \"%s\": invalid username/password", px.addr);
  cr_assert (strstr (r.err, want), "%s", r.err);
  it_result_free (&r);

  /* no credentials and no anonymous tokens: podman says the same */
  r = PRIV ("pull", "--tls-verify=false", dest);
  assert_exit (r, 125);
  cr_assert (strstr (r.err, ": unable to retrieve auth token: invalid username/password: unauthorized\n"), "%s", r.err);
  it_result_free (&r);
  r = PRIV ("images", "-q");
  assert_ok (r);
  cr_assert_str_eq (r.out, "");
  it_result_free (&r);
}

Test (registry3, bearer_anonymous_pull_only, .fini = teardown)
{
  setup (true, true, false);
  char dest[128];
  snprintf (dest, sizeof dest, "%s/anon/busybox:v1", px.addr);
  struct it_result r = SKIFF ("push", "--tls-verify=false", "--creds", TOK_USER ":" TOK_PASS, "busybox", dest);
  assert_ok (r);
  it_result_free (&r);
  log_reset ();
  r = PRIV ("pull", "-q", "--tls-verify=false", dest);
  assert_ok (r);
  cr_assert_eq (strlen (r.out), 65, "%s", r.out);
  it_result_free (&r);
  char *l = log_text ();
  cr_assert_eq (log_count ("TOKEN scope=repository:anon/busybox:pull cred=none -> " TOKEN_PULL, NULL), 1, "%s", l);
  cr_assert_eq (log_count ("TOKEN", NULL), 1, "%s", l);
  free (l);
  /* an anonymous token does not allow a push */
  snprintf (dest, sizeof dest, "%s/anon/other:v1", px.addr);
  r = SKIFF ("push", "--tls-verify=false", "busybox", dest);
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "authentication required"), "%s", r.err);
  it_result_free (&r);
}

/* ---- 2. redirects to blob storage ---- */

Test (registry3, blob_redirects, .fini = teardown)
{
  setup (true, false, true);
  char dest[128];
  snprintf (dest, sizeof dest, "%s/redir/busybox:v1", px.addr);
  const char *creds = TOK_USER ":" TOK_PASS;
  struct it_result r = SKIFF ("push", "--tls-verify=false", "--creds", creds, "busybox", dest);
  assert_ok (r);
  it_result_free (&r);
  log_reset ();
  r = PRIV ("pull", "-q", "--tls-verify=false", "--creds", creds, dest);
  assert_ok (r);
  it_result_free (&r);
  char *l = log_text ();
  int redirected = log_count ("GET /v2/redir/busybox/blobs/sha256:", " 307", NULL);
  cr_assert_geq (redirected, 2, "%s", l); /* the config and the layer */
  cr_assert_eq (log_count ("BLOBSRV GET /v2/redir/busybox/blobs/sha256:", " 200", NULL), redirected, "%s", l);
  /* the token stays with the registry: blob storage on another port does not get it */
  cr_assert_eq (log_count ("BLOBSRV", "auth=1", NULL), 0, "%s", l);
  free (l);
  r = PRIV ("run", "--rm", dest, "echo", "redirected");
  assert_ok (r);
  cr_assert_str_eq (r.out, "redirected\n");
  it_result_free (&r);
}

/* ---- 3. chunked and monolithic uploads; HEAD checks ---- */

Test (registry3, chunked_monolithic_and_head_checks, .fini = teardown)
{
  setup (false, false, false);
  char mono[128], chunked[128], d1[400], d2[400], d3[400];
  snprintf (mono, sizeof mono, "%s/up/mono:v1", px.addr);
  snprintf (chunked, sizeof chunked, "%s/up/chunked:v1", px.addr);
  snprintf (d1, sizeof d1, "%s/d1", registry.dir);
  snprintf (d2, sizeof d2, "%s/d2", registry.dir);
  snprintf (d3, sizeof d3, "%s/d3", registry.dir);

  /* monolithic (the default for small blobs): one PUT with the body, no PATCH */
  struct it_result r = SKIFF ("push", "--tls-verify=false", "--digestfile", d1, "busybox", mono);
  assert_ok (r);
  it_result_free (&r);
  char *l = log_text ();
  cr_assert_eq (log_count ("PATCH ", NULL), 0, "%s", l);
  cr_assert_eq (log_count ("PUT /v2/up/mono/blobs/uploads/", "digest=sha256", " 201 ", NULL), 2, "%s", l);
  cr_assert_eq (log_count ("PUT /v2/up/mono/blobs/uploads/", " 201 len=0 ", NULL), 0, "an empty PUT:\n%s", l);
  free (l);

  /* chunked: 64 KiB PATCHes with Content-Range, then a PUT ?digest= without a body */
  log_reset ();
  char env0[] = "SKIFF_PUSH_CHUNK_SIZE=65536";
  char *env[] = { env0, NULL };
  r = it_skiff (NULL, env,
                (const char *const[]){ "push", "--tls-verify=false", "--digestfile", d2, "busybox", chunked, NULL });
  assert_ok (r);
  it_result_free (&r);
  l = log_text ();
  int patches = log_count ("PATCH /v2/up/chunked/blobs/uploads/", " 202 len=65536 range=0-65535", NULL);
  cr_assert_eq (patches, 1, "no first chunk of 64 KiB:\n%s", l);
  cr_assert_geq (log_count ("PATCH /v2/up/chunked/blobs/uploads/", " 202 ", NULL), 4, "%s", l);
  cr_assert_eq (log_count ("PATCH ", " 202 ", "range=65536-131071", NULL), 1, "%s", l);
  cr_assert_eq (log_count ("PUT /v2/up/chunked/blobs/uploads/", "digest=sha256", " 201 len=0 ", NULL), 1, "%s", l);
  free (l);
  char *a = it_slurp (d1), *b = it_slurp (d2);
  cr_assert (a && b);
  cr_assert_str_eq (a, b, "the chunked push gave another manifest");
  free (a);
  free (b);
  r = PRIV ("pull", "-q", "--tls-verify=false", chunked);
  assert_ok (r);
  it_result_free (&r);
  r = PRIV ("run", "--rm", chunked, "echo", "chunked");
  assert_ok (r);
  cr_assert_str_eq (r.out, "chunked\n");
  it_result_free (&r);

  /* pushing again: HEAD finds every blob, nothing is uploaded, only the manifest is written */
  log_reset ();
  r = SKIFF ("push", "--tls-verify=false", "--digestfile", d3, "busybox", chunked);
  assert_ok (r);
  cr_assert (strstr (r.err, "skipped: already exists") || strstr (r.err, "Copying blob sha256:"), "%s", r.err);
  it_result_free (&r);
  l = log_text ();
  cr_assert_eq (log_count ("HEAD /v2/up/chunked/blobs/sha256:", " 200 ", NULL), 2, "%s", l);
  cr_assert_eq (log_count ("POST ", NULL), 0, "%s", l);
  cr_assert_eq (log_count ("PATCH ", NULL), 0, "%s", l);
  cr_assert_eq (log_count ("PUT ", NULL), 1, "%s", l);
  cr_assert_eq (log_count ("PUT /v2/up/chunked/manifests/v1 201", NULL), 1, "%s", l);
  free (l);

  /* a bad hook value is refused */
  char bad0[] = "SKIFF_PUSH_CHUNK_SIZE=lots";
  char *bad[] = { bad0, NULL };
  r = it_skiff (NULL, bad, (const char *const[]){ "push", "--tls-verify=false", "busybox", chunked, NULL });
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "SKIFF_PUSH_CHUNK_SIZE"), "%s", r.err);
  it_result_free (&r);
}

/* ---- 4. foreign layers ---- */

/* The output of a shell command (trailing newline cut); caller frees. */
static char *capture (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
static char *
capture (const char *fmt, ...)
{
  char cmd[4096];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (cmd, sizeof cmd, fmt, ap);
  va_end (ap);
  FILE *p = popen (cmd, "r");
  cr_assert (p);
  char buf[4096] = "";
  size_t n = fread (buf, 1, sizeof buf - 1, p);
  buf[n] = '\0';
  cr_assert_eq (pclose (p), 0, "%s", cmd);
  buf[strcspn (buf, "\n")] = '\0';
  return strdup (buf);
}

struct hand_layer
{
  char *digest, *diff_id, *size; /* hex, hex, decimal */
};

/* gzip the tar at path (deterministically) into dir/<digest hex>; describe it */
static struct hand_layer
hand_layer (const char *tar, const char *dir)
{
  struct hand_layer l;
  l.diff_id = capture ("sha256sum < '%s' | cut -c1-64", tar);
  it_sh ("gzip -n -c < '%s' > '%s/layer.tmp'", tar, dir);
  l.digest = capture ("sha256sum < '%s/layer.tmp' | cut -c1-64", dir);
  l.size = capture ("stat -c %%s '%s/layer.tmp'", dir);
  it_sh ("mv '%s/layer.tmp' '%s/%s'", dir, dir, l.digest);
  return l;
}

static void
hand_layer_free (struct hand_layer *l)
{
  free (l->digest);
  free (l->diff_id);
  free (l->size);
}

static char foreign_hex[65];

/* An image of busybox plus a foreign layer holding /foreign.txt, served by the proxy: the config and the
 * busybox layer from local/, the foreign layer only from the blob port's /files/ (the registry lacks it).
 * Tags: docker-foreign (Docker schema 2, foreign type) and oci-foreign (OCI, nondistributable type, a first
 * url that answers 404). */
static void
make_foreign_image (void)
{
  char work[400];
  snprintf (work, sizeof work, "%s/foreign-src", registry.dir);
  it_sh ("mkdir -p '%s/f' && echo 'from a foreign layer' > '%s/f/foreign.txt' && tar -C '%s/f' -cf '%s/f.tar' "
         "foreign.txt",
         work, work, work, work);
  char ftar[500];
  snprintf (ftar, sizeof ftar, "%s/f.tar", work);
  struct hand_layer base = hand_layer (it_busybox_tar (), px.cfg.local);
  struct hand_layer fl = hand_layer (ftar, px.cfg.urls);
  snprintf (foreign_hex, sizeof foreign_hex, "%s", fl.digest);
  char config[1024], path[600];
  snprintf (config, sizeof config,
            "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"sh\"]},\"rootfs\":{\"type\":"
            "\"layers\",\"diff_ids\":[\"sha256:%s\",\"sha256:%s\"]}}",
            base.diff_id, fl.diff_id);
  snprintf (path, sizeof path, "%s/config.json", work);
  it_write_text (path, config);
  char *chex = capture ("sha256sum < '%s' | cut -c1-64", path);
  it_sh ("cp '%s' '%s/%s'", path, px.cfg.local, chex);
  char m[4096];
  snprintf (m, sizeof m,
            "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
            "\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"digest\":\"sha256:%s\","
            "\"size\":%zu},\"layers\":[{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\","
            "\"digest\":\"sha256:%s\",\"size\":%s},{\"mediaType\":"
            "\"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip\",\"digest\":\"sha256:%s\",\"size\":%s,"
            "\"urls\":[\"http://127.0.0.1:%d/files/%s\"]}]}",
            chex, strlen (config), base.digest, base.size, fl.digest, fl.size, px.blob_port, fl.digest);
  snprintf (path, sizeof path, "%s/docker-foreign", px.cfg.local);
  it_write_text (path, m);
  snprintf (m, sizeof m,
            "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
            "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:%s\","
            "\"size\":%zu},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
            "\"digest\":\"sha256:%s\",\"size\":%s},{\"mediaType\":"
            "\"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip\",\"digest\":\"sha256:%s\",\"size\":%s,"
            "\"urls\":[\"http://127.0.0.1:%d/files/missing\",\"http://127.0.0.1:%d/files/%s\"]}]}",
            chex, strlen (config), base.digest, base.size, fl.digest, fl.size, px.blob_port, px.blob_port, fl.digest);
  snprintf (path, sizeof path, "%s/oci-foreign", px.cfg.local);
  it_write_text (path, m);
  free (chex);
  hand_layer_free (&base);
  hand_layer_free (&fl);
}

static void
reset_priv (void)
{
  struct it_result r = PRIV ("system", "reset", "--force");
  assert_ok (r);
  it_result_free (&r);
}

static void
expect_foreign_file (const char *ref)
{
  struct it_result r = PRIV ("run", "--rm", ref, "cat", "/foreign.txt");
  assert_ok (r);
  cr_assert_str_eq (r.out, "from a foreign layer\n");
  it_result_free (&r);
}

Test (registry3, foreign_layers, .fini = teardown, .timeout = 120)
{
  setup (false, false, false);
  make_foreign_image ();
  char ref[160];
  snprintf (ref, sizeof ref, "%s/fx/img:docker-foreign", px.addr);
  struct it_result r = PRIV ("pull", "-q", "--tls-verify=false", ref);
  assert_ok (r);
  it_result_free (&r);
  char *l = log_text ();
  cr_assert_eq (log_count ("FILE GET ", foreign_hex, NULL), 1, "%s", l);
  cr_assert_eq (log_count ("/v2/", foreign_hex, NULL), 0, "the foreign layer was asked of the registry:\n%s", l);
  free (l);
  expect_foreign_file (ref);

  /* push: the foreign layer is not uploaded, its descriptor (urls) goes into the manifest */
  log_reset ();
  char pushed[160];
  snprintf (pushed, sizeof pushed, "%s/fx/pushed:v1", px.addr);
  r = PRIV ("push", "--tls-verify=false", ref, pushed);
  assert_ok (r);
  it_result_free (&r);
  l = log_text ();
  cr_assert_eq (log_count (foreign_hex, NULL), 0, "the foreign layer went to the registry:\n%s", l);
  cr_assert_eq (log_count ("PUT /v2/fx/pushed/manifests/v1 201", NULL), 1, "%s", l);
  cr_assert_geq (log_count ("PUT /v2/fx/pushed/blobs/uploads/", " 201 ", NULL), 2, "%s", l);
  free (l);

  /* pulled back into an empty store: the foreign layer from its url again */
  reset_priv ();
  log_reset ();
  r = PRIV ("pull", "-q", "--tls-verify=false", pushed);
  assert_ok (r);
  it_result_free (&r);
  cr_assert_eq (log_count ("FILE GET ", foreign_hex, NULL), 1);
  expect_foreign_file (pushed);

  /* OCI's nondistributable type; the first url fails, the second serves it */
  reset_priv ();
  log_reset ();
  snprintf (ref, sizeof ref, "%s/fx/img:oci-foreign", px.addr);
  r = PRIV ("pull", "-q", "--tls-verify=false", ref);
  assert_ok (r);
  it_result_free (&r);
  l = log_text ();
  cr_assert_eq (log_count ("FILE GET missing", NULL), 1, "%s", l);
  cr_assert_eq (log_count ("FILE GET ", foreign_hex, NULL), 1, "%s", l);
  free (l);
  expect_foreign_file (ref);

  /* no url serves it and the registry lacks it: the pull fails and stores nothing */
  reset_priv ();
  it_sh ("rm '%s/%s'", px.cfg.urls, foreign_hex);
  r = PRIV ("pull", "-q", "--tls-verify=false", ref);
  assert_exit (r, 125);
  cr_assert (strstr (r.err, foreign_hex), "%s", r.err);
  it_result_free (&r);
  r = PRIV ("images", "-q");
  assert_ok (r);
  cr_assert_str_eq (r.out, "");
  it_result_free (&r);
}

static int
str_count_lines (const char *s)
{
  int n = 0;
  for (; *s; s++)
    n += *s == '\n';
  return n;
}

/* ---- 6. progress: quiet off a terminal, one line per blob redrawn in place on one ---- */

#define SCREEN_ROWS 60
#define SCREEN_COLS 400

/* What a terminal shows after out: printable characters, \r, \n, ESC[nA, ESC[nB, ESC[K; other escape
 * sequences are skipped. *ups counts cursor-up moves. */
static void
render (const char *out, size_t len, char screen[SCREEN_ROWS][SCREEN_COLS], int *ups)
{
  memset (screen, 0, SCREEN_ROWS * SCREEN_COLS);
  int row = 0, col = 0;
  *ups = 0;
  for (size_t i = 0; i < len; i++)
    {
      char c = out[i];
      if (c == '\r')
        col = 0;
      else if (c == '\n')
        {
          row++;
          col = 0;
        }
      else if (c == '\033' && i + 1 < len && out[i + 1] == '[')
        {
          size_t j = i + 2;
          int n = 0;
          bool has = false;
          while (j < len && out[j] >= '0' && out[j] <= '9')
            n = n * 10 + (out[j++] - '0'), has = true;
          if (!has)
            n = 1;
          char f = j < len ? out[j] : 0;
          if (f == 'A')
            {
              row = row - n < 0 ? 0 : row - n;
              (*ups)++;
            }
          else if (f == 'B')
            row += n;
          else if (f == 'K' && row < SCREEN_ROWS)
            memset (&screen[row][col], 0, (size_t) (SCREEN_COLS - col));
          i = j;
        }
      else if ((unsigned char) c >= ' ' && row < SCREEN_ROWS && col < SCREEN_COLS - 1)
        screen[row][col++] = c;
      cr_assert_lt (row, SCREEN_ROWS, "the output ran past the screen");
    }
}

/* Run skiff with stderr on a pty (stdout to /dev/null); everything the terminal got. */
static char *
run_on_pty (const char *const *args, size_t *len, int *status)
{
  int master = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC);
  cr_assert (master >= 0 && grantpt (master) == 0 && unlockpt (master) == 0);
  char *slave_name = ptsname (master);
  cr_assert (slave_name);
  struct winsize ws = { .ws_row = SCREEN_ROWS, .ws_col = 200 };
  char rootbuf[700], runbuf[700];
  snprintf (rootbuf, sizeof rootbuf, "--root=%s", root);
  snprintf (runbuf, sizeof runbuf, "--runroot=%s", run);
  const char *argv[32];
  size_t a = 0;
  argv[a++] = getenv ("SKIFF_BINARY");
  argv[a++] = rootbuf;
  argv[a++] = runbuf;
  for (size_t i = 0; args[i] && a < 30; i++)
    argv[a++] = args[i];
  argv[a] = NULL;
  pid_t pid = fork ();
  cr_assert (pid >= 0);
  if (pid == 0)
    {
      setsid ();
      int slave = open (slave_name, O_RDWR);
      int null = open ("/dev/null", O_RDWR);
      if (slave < 0 || null < 0)
        _exit (126);
      ioctl (slave, TIOCSWINSZ, &ws);
      dup2 (null, 0);
      dup2 (null, 1);
      dup2 (slave, 2);
      execv (argv[0], (char **) argv);
      _exit (127);
    }
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc (cap);
  for (;;)
    {
      if (n + 4096 > cap)
        buf = realloc (buf, cap *= 2);
      ssize_t r = read (master, buf + n, cap - n - 1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        break; /* EIO once the child and its descendants have closed the slave */
      n += (size_t) r;
    }
  int st;
  waitpid (pid, &st, 0);
  *status = WIFEXITED (st) ? WEXITSTATUS (st) : 128 + WTERMSIG (st);
  close (master);
  buf[n] = '\0';
  *len = n;
  return buf;
}

/* Three layers of random data (2 MiB each) behind one tag, "multi", served slowly from local/. */
static void
make_multi_layer_image (char ids[3][13])
{
  char work[400];
  snprintf (work, sizeof work, "%s/multi-src", registry.dir);
  char layers[1024] = "", diffs[512] = "";
  for (int i = 0; i < 3; i++)
    {
      it_sh ("mkdir -p '%s/l%d' && head -c 2M /dev/urandom > '%s/l%d/data%d' && tar -C '%s/l%d' -cf '%s/l%d.tar' .",
             work, i, work, i, i, work, i, work, i);
      char tar[500];
      snprintf (tar, sizeof tar, "%s/l%d.tar", work, i);
      struct hand_layer l = hand_layer (tar, px.cfg.local);
      snprintf (ids[i], 13, "%.12s", l.digest);
      size_t o = strlen (layers), d = strlen (diffs);
      snprintf (
          layers + o, sizeof layers - o,
          "%s{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:%s\",\"size\":%s}",
          i ? "," : "", l.digest, l.size);
      snprintf (diffs + d, sizeof diffs - d, "%s\"sha256:%s\"", i ? "," : "", l.diff_id);
      hand_layer_free (&l);
    }
  char config[1024], path[600], m[2048];
  snprintf (config, sizeof config,
            "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[%s]}}", diffs);
  snprintf (path, sizeof path, "%s/config.json", work);
  it_write_text (path, config);
  char *chex = capture ("sha256sum < '%s' | cut -c1-64", path);
  it_sh ("cp '%s' '%s/%s'", path, px.cfg.local, chex);
  snprintf (m, sizeof m,
            "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{"
            "\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:%s\",\"size\":%zu},"
            "\"layers\":[%s]}",
            chex, strlen (config), layers);
  snprintf (path, sizeof path, "%s/multi", px.cfg.local);
  it_write_text (path, m);
  free (chex);
}

Test (registry3, progress_tty_and_not, .fini = teardown, .timeout = 120)
{
  setup (false, false, false);
  px.cfg.slow_ms = 0;
  proxy_stop (&px);
  px.cfg.slow_ms = 15;
  proxy_start (&px);
  char ids[3][13];
  make_multi_layer_image (ids);
  char ref[160];
  snprintf (ref, sizeof ref, "%s/multi/img:multi", px.addr);

  /* on a terminal: a fixed block, one line per blob, redrawn with cursor movement */
  size_t len;
  int status;
  char *out = run_on_pty ((const char *const[]){ "pull", "--tls-verify=false", ref, NULL }, &len, &status);
  cr_assert_eq (status, 0, "%s", out);
  static char screen[SCREEN_ROWS][SCREEN_COLS];
  int ups;
  render (out, len, screen, &ups);
  cr_assert_geq (ups, 3, "no line was redrawn in place:\n%s", out);
  cr_assert (strstr (out, "/s"), "no rate shown:\n%s", out);
  int lines = 0;
  for (int r = 0; r < SCREEN_ROWS; r++)
    if (screen[r][0])
      {
        lines++;
        const char *first = strstr (screen[r], "Copying");
        cr_assert (!first || !strstr (first + 1, "Copying"), "lines overlap: %s", screen[r]);
      }
  for (int i = 0; i < 3; i++)
    {
      char want[64];
      snprintf (want, sizeof want, "Copying blob %s done", ids[i]);
      int found = 0;
      for (int r = 0; r < SCREEN_ROWS; r++)
        found += strcmp (screen[r], want) == 0;
      cr_assert_eq (found, 1, "\"%s\" on %d lines; output:\n%s", want, found, out);
    }
  /* trying, signatures, three blobs, config, manifest */
  cr_assert_eq (lines, 7, "%d lines on the screen:\n%s", lines, out);
  free (out);

  /* -q on a terminal: nothing */
  reset_priv ();
  out = run_on_pty ((const char *const[]){ "pull", "-q", "--tls-verify=false", ref, NULL }, &len, &status);
  cr_assert_eq (status, 0, "%s", out);
  cr_assert_eq (len, 0, "%s", out);
  free (out);

  /* off a terminal: podman's plain lines, no control characters */
  reset_priv ();
  struct it_result r = PRIV ("pull", "--tls-verify=false", ref);
  assert_ok (r);
  cr_assert (!strchr (r.err, '\r') && !strchr (r.err, '\033'), "%s", r.err);
  for (int i = 0; i < 3; i++)
    {
      char want[64];
      snprintf (want, sizeof want, "Copying blob sha256:%s", ids[i]);
      cr_assert (strstr (r.err, want), "%s", r.err);
    }
  cr_assert_eq (str_count_lines (r.err), 7, "%s", r.err); /* trying, signatures, 3 blobs, config, manifest */
  it_result_free (&r);
}
