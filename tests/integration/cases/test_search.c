/* search: against Debian's registry (no v1 search: the v2 catalog, filtered by the term; --list-tags), and
 * against a small HTTP server of the test's own on 127.0.0.1 that answers the v1 search (Docker Hub's) or
 * serves a catalog in pages, so that both of podman's paths and the paging are exercised. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../harness.h"

/* ---- the test's own server ---- */

enum fake_mode
{
  FAKE_V1,      /* /v1/search answers */
  FAKE_CATALOG, /* /v1/search is 404; /v2/_catalog in pages of n, after last= */
};

static void
reply (int c, int status, const char *body)
{
  char head[256];
  int n = snprintf (head, sizeof head,
                    "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\nConnection: "
                    "close\r\n\r\n",
                    status, status == 200 ? "OK" : "Not Found", strlen (body));
  /* a client that hung up (skiff's TLS attempt before plain HTTP) is no reason to stop serving */
  if (send (c, head, (size_t) n, MSG_NOSIGNAL) == n)
    (void) send (c, body, strlen (body), MSG_NOSIGNAL);
}

static void
serve_one (int c, enum fake_mode mode)
{
  char req[4096];
  ssize_t n = read (c, req, sizeof req - 1);
  if (n <= 0)
    return;
  req[n] = '\0';
  char *sp = strchr (req, ' '), *path = sp ? sp + 1 : req;
  char *end = strchr (path, ' ');
  if (end)
    *end = '\0';
  if (strcmp (path, "/v2/") == 0)
    reply (c, 200, "{}");
  else if (strncmp (path, "/v1/search?", 11) == 0 && mode == FAKE_V1)
    reply (c, 200,
           "{\"query\":\"x\",\"results\":["
           "{\"name\":\"tool/one\",\"description\":\"a tool, described at a length well past forty-four "
           "characters\",\"star_count\":7,\"is_official\":true,\"is_automated\":false},"
           "{\"name\":\"tool/two\",\"description\":\"second\\nline\",\"star_count\":1,\"is_official\":false,"
           "\"is_automated\":true},"
           "{\"name\":42},"
           "{\"name\":\"tool/three\",\"star_count\":-5}]}");
  else if (strncmp (path, "/v2/_catalog?", 13) == 0 && mode == FAKE_CATALOG)
    {
      /* 150 repositories r000..r149 then "zz/wanted", 100 a page */
      int from = 0;
      char *last = strstr (path, "last=");
      if (last)
        from = strncmp (last + 5, "r", 1) == 0 ? atoi (last + 6) + 1 : 1000;
      char body[8192] = "{\"repositories\":[";
      size_t len = strlen (body);
      int count = 0;
      for (int i = from; i < 151 && count < 100; i++, count++)
        {
          if (i == 150)
            len += (size_t) snprintf (body + len, sizeof body - len, "%s\"zz/wanted\"", count ? "," : "");
          else
            len += (size_t) snprintf (body + len, sizeof body - len, "%s\"r%03d\"", count ? "," : "", i);
        }
      snprintf (body + len, sizeof body - len, "]}");
      reply (c, 200, body);
    }
  else
    reply (c, 404, "{\"errors\":[{\"code\":\"NOT_FOUND\"}]}");
}

static pid_t
fake_start (enum fake_mode mode, int *port)
{
  int s = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  cr_assert (s >= 0);
  int one = 1;
  setsockopt (s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  cr_assert (bind (s, (struct sockaddr *) &a, sizeof a) == 0, "bind: %s", strerror (errno));
  socklen_t al = sizeof a;
  cr_assert (getsockname (s, (struct sockaddr *) &a, &al) == 0);
  cr_assert (listen (s, 16) == 0);
  *port = ntohs (a.sin_port);
  pid_t pid = fork ();
  cr_assert (pid >= 0);
  if (pid == 0)
    {
      signal (SIGPIPE, SIG_IGN); /* a client that hung up (skiff's TLS attempt) must not end the server */
      for (;;)
        {
          int c = accept (s, NULL, NULL);
          if (c < 0)
            continue;
          serve_one (c, mode);
          close (c);
        }
    }
  close (s);
  return pid;
}

static void
fake_stop (pid_t pid)
{
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
}

/* ---- Debian's registry ---- */

struct reg
{
  pid_t pid;
  char dir[256], addr[64];
};

static bool
reg_start (struct reg *r)
{
  if (access ("/usr/bin/docker-registry", X_OK) != 0)
    return false;
  snprintf (r->dir, sizeof r->dir, "%s/search-registry-XXXXXX", it_dir ());
  cr_assert (mkdtemp (r->dir));
  int port = it_free_port ();
  snprintf (r->addr, sizeof r->addr, "127.0.0.1:%d", port);
  char cfg[1024];
  snprintf (cfg, sizeof cfg,
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    "
            "rootdirectory: %s/data\nhttp:\n  addr: %s\n",
            r->dir, r->addr);
  r->pid = it_registry_serve (r->dir, cfg, port);
  return true;
}

static void
reg_stop (struct reg *r)
{
  kill (r->pid, SIGTERM);
  waitpid (r->pid, NULL, 0);
  it_sh ("rm -rf '%s'", r->dir);
}

static void
push (const char *addr, const char *name)
{
  char dest[256];
  snprintf (dest, sizeof dest, "%s/%s", addr, name);
  struct it_result r = SKIFF ("push", "--tls-verify=false", "busybox", dest);
  assert_ok (r);
  it_result_free (&r);
}

Test (search, catalog_and_tags_of_a_v2_registry)
{
  struct reg g;
  if (!reg_start (&g))
    cr_skip_test ("docker-registry is missing: apt-get install docker-registry (contrib/install-deps.sh)");
  push (g.addr, "tools/hammer:1");
  push (g.addr, "tools/hammer:2");
  push (g.addr, "other/saw:latest");
  push (g.addr, "hammer:x");
  char term[128], all[128], tags[128];
  snprintf (term, sizeof term, "%s/hammer", g.addr);
  snprintf (all, sizeof all, "%s/", g.addr);
  snprintf (tags, sizeof tags, "%s/tools/hammer", g.addr);

  /* the catalog filtered by the term; a repository named the term itself comes first (podman) */
  struct it_result r = SKIFF ("search", "--tls-verify=false", term);
  assert_ok (r);
  char want[1024];
  cr_assert (strstr (r.out, "NAME") == r.out, "%s", r.out);
  cr_assert (strstr (r.out, "/hammer ") < strstr (r.out, "/tools/hammer"), "full match first:\n%s", r.out);
  cr_assert (strstr (r.out, "saw") == NULL, "%s", r.out);
  it_result_free (&r);

  /* an empty term lists it all; --limit keeps the first */
  r = SKIFF ("search", "--tls-verify=false", "--format", "{{.Name}}", all);
  assert_ok (r);
  snprintf (want, sizeof want, "%s/hammer\n%s/other/saw\n%s/tools/hammer\n", g.addr, g.addr, g.addr);
  cr_assert_str_eq (r.out, want);
  it_result_free (&r);
  r = SKIFF ("search", "--tls-verify=false", "--limit", "1", "--format", "{{.Name}}", all);
  assert_ok (r);
  snprintf (want, sizeof want, "%s/hammer\n", g.addr);
  cr_assert_str_eq (r.out, want);
  it_result_free (&r);

  /* JSON as podman's, and the docker-compatible columns */
  r = SKIFF ("search", "--tls-verify=false", "--format", "json", term);
  assert_ok (r);
  snprintf (want, sizeof want, "    {\n        \"Index\": \"%s\",\n        \"Name\": \"%s/hammer\",\n", g.addr, g.addr);
  cr_assert (strstr (r.out, want), "%s", r.out);
  cr_assert (strstr (r.out, "\"Stars\": 0,\n        \"Official\": \"\",\n        \"Automated\": \"\",\n"), "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("search", "--tls-verify=false", "--compatible", term);
  assert_ok (r);
  cr_assert (strstr (r.out, "STARS") && strstr (r.out, "OFFICIAL") && strstr (r.out, "AUTOMATED"), "%s", r.out);
  it_result_free (&r);

  /* nothing found: nothing printed, exit 0 */
  snprintf (term, sizeof term, "%s/nothing-like-this", g.addr);
  r = SKIFF ("search", "--tls-verify=false", term);
  assert_ok (r);
  cr_assert_str_eq (r.out, "");
  it_result_free (&r);

  /* --list-tags */
  r = SKIFF ("search", "--tls-verify=false", "--list-tags", tags);
  assert_ok (r);
  /* in the registry's order */
  snprintf (want, sizeof want, "%s/tools/hammer  1\n", g.addr);
  cr_assert (strstr (r.out, "NAME") == r.out && strstr (r.out, "TAG\n") && strstr (r.out, want), "%s", r.out);
  snprintf (want, sizeof want, "%s/tools/hammer  2\n", g.addr);
  cr_assert (strstr (r.out, want), "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("search", "--tls-verify=false", "--list-tags", "--limit", "1", "--format", "{{.Tag}}", tags);
  assert_ok (r);
  cr_assert (strcmp (r.out, "1\n") == 0 || strcmp (r.out, "2\n") == 0, "%s", r.out);
  it_result_free (&r);
  snprintf (tags, sizeof tags, "%s/tools/nosuch", g.addr);
  r = SKIFF ("search", "--tls-verify=false", "--list-tags", tags);
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "getting repository tags: fetching tags list: invalid status code from registry 404"), "%s",
             r.err);
  it_result_free (&r);

  /* a registry named in registries.conf's unqualified-search-registries, insecure there: no flag needed */
  char conf[512], env[600], text[512];
  snprintf (conf, sizeof conf, "%s/search-registries.conf", it_dir ());
  snprintf (text, sizeof text,
            "unqualified-search-registries = [\"%s\"]\n[[registry]]\nlocation = \"%s\"\ninsecure = true\n", g.addr,
            g.addr);
  it_write_text (conf, text);
  snprintf (env, sizeof env, "CONTAINERS_REGISTRIES_CONF=%s", conf);
  r = SKIFF_ENV (env, "search", "--format", "{{.Name}}", "saw");
  assert_ok (r);
  snprintf (want, sizeof want, "%s/other/saw\n", g.addr);
  cr_assert_str_eq (r.out, want);
  it_result_free (&r);
  reg_stop (&g);
}

Test (search, v1_search_answers_with_filters_and_truncation)
{
  int port;
  pid_t pid = fake_start (FAKE_V1, &port);
  char term[64];
  snprintf (term, sizeof term, "127.0.0.1:%d/tool", port);
  struct it_result r = SKIFF ("search", "--tls-verify=false", "--compatible", term);
  assert_ok (r);
  /* the description cut at 44 characters, newlines as spaces; names without one are left out */
  cr_assert (strstr (r.out, "a tool, described at a length well past fort..."), "%s", r.out);
  cr_assert (strstr (r.out, "second line"), "%s", r.out);
  cr_assert (strstr (r.out, "[OK]"), "%s", r.out);
  cr_assert (strstr (r.out, "tool/three"), "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("search", "--tls-verify=false", "--no-trunc", "--format", "{{.Description}}", "--limit", "1", term);
  assert_ok (r);
  cr_assert_str_eq (r.out, "a tool, described at a length well past forty-four characters\n");
  it_result_free (&r);
  r = SKIFF ("search", "--tls-verify=false", "--filter", "stars=2", "--format", "{{.Name}} {{.Stars}}", term);
  assert_ok (r);
  char want[128];
  snprintf (want, sizeof want, "127.0.0.1:%d/tool/one 7\n", port);
  cr_assert_str_eq (r.out, want);
  it_result_free (&r);
  r = SKIFF ("search", "--tls-verify=false", "--filter", "is-automated", "--format", "{{.Name}}", term);
  assert_ok (r);
  snprintf (want, sizeof want, "127.0.0.1:%d/tool/two\n", port);
  cr_assert_str_eq (r.out, want);
  it_result_free (&r);
  r = SKIFF ("search", "--tls-verify=false", "--filter", "is-official=false", "--filter", "stars=1", "--format",
             "{{.Name}}", term);
  assert_ok (r);
  cr_assert_str_eq (r.out, want);
  it_result_free (&r);
  fake_stop (pid);
}

Test (search, catalog_in_pages)
{
  int port;
  pid_t pid = fake_start (FAKE_CATALOG, &port);
  char term[64];
  snprintf (term, sizeof term, "127.0.0.1:%d/wanted", port);
  /* the match is on the second page: the search follows last= */
  struct it_result r = SKIFF ("search", "--tls-verify=false", "--format", "{{.Name}}", term);
  assert_ok (r);
  char want[128];
  snprintf (want, sizeof want, "127.0.0.1:%d/zz/wanted\n", port);
  cr_assert_str_eq (r.out, want);
  it_result_free (&r);
  /* podman's default limit: 25 of the 151 */
  snprintf (term, sizeof term, "127.0.0.1:%d/", port);
  r = SKIFF ("search", "--tls-verify=false", "--format", "{{.Name}}", term);
  assert_ok (r);
  size_t lines = 0;
  for (const char *p = r.out; *p; p++)
    lines += *p == '\n';
  cr_assert_eq (lines, 25, "%s", r.out);
  it_result_free (&r);
  fake_stop (pid);
}

Test (search, bad_input_and_unreachable_registries)
{
  struct it_result r = SKIFF ("search");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "accepts 1 arg(s), received 0"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("search", "--list-tags", "--filter", "stars=1", "example.com/x");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "filters are not applicable to list tags result"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("search", "--filter", "stars=x", "example.com/x");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "incorrect value type for stars filter"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("search", "--filter", "foo=1", "example.com/x");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "invalid filter type \"foo=1\""), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("search", "--limit", "lots", "example.com/x");
  assert_exit (r, 125);
  it_result_free (&r);
  char term[64];
  snprintf (term, sizeof term, "127.0.0.1:%d/x", it_free_port ());
  r = SKIFF ("search", "--tls-verify=false", term);
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "1 error occurred:\n\t* couldn't search registry \"127.0.0.1:"), "%s", r.err);
  it_result_free (&r);
}
