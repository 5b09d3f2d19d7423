/* The registry client: references, the WWW-Authenticate token dance, TLS and plain-HTTP fallback, manifests
 * and blobs over the distribution API (libcurl, loaded on first use by util/curl_dl.c), and podman's auth.json. */
#define CURL_DISABLE_TYPECHECK 1
#include "image/registry.h"

#include <ctype.h>
#include <curl/curl.h>
#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "image/registries.h"
#include "oci/digest.h"

#define DOCKER_IO "docker.io"
#define DOCKER_IO_API "registry-1.docker.io"
#define MAX_DOCUMENT (32u << 20) /* manifests, configs, tokens, error bodies */
#define CONNECT_TIMEOUT_S 30L
#define LOW_SPEED_TIME_S 60L
#define SYSTEM_CERTS_D "/etc/containers/certs.d"
#define SYSTEM_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"
#define MANIFEST_ACCEPT                                                                         \
  "Accept: " OCI_MEDIA_TYPE_MANIFEST ", " OCI_MEDIA_TYPE_INDEX ", " SKIFF_MEDIA_DOCKER_MANIFEST \
  ", " SKIFF_MEDIA_DOCKER_LIST

/* ---- references ---- */

static bool
is_registry_component (const char *s, size_t n)
{
  if (n == 9 && strncmp (s, "localhost", 9) == 0)
    return true;
  return memchr (s, '.', n) != NULL || memchr (s, ':', n) != NULL;
}

void
skiff_image_ref_release (struct skiff_image_ref *r)
{
  free (r->registry);
  free (r->repository);
  free (r->tag);
  free (r->digest);
  memset (r, 0, sizeof *r);
}

static bool
valid_repo_char (char c)
{
  return islower ((unsigned char) c) || isdigit ((unsigned char) c) || c == '.' || c == '_' || c == '-' || c == '/';
}

int
skiff_image_ref_parse (const char *ref, struct skiff_image_ref *out, skiff_error_t *err)
{
  memset (out, 0, sizeof *out);
  const char *s = ref;
  if (str_has_prefix (s, "docker://"))
    s += strlen ("docker://");
  const char *slash = strchr (s, '/');
  if (slash == NULL || !is_registry_component (s, (size_t) (slash - s)))
    return skiff_error_set_status (
        err, EINVAL,
        "short-name \"%s\" did not resolve to an alias and no unqualified-search registries are "
        "defined: use a fully qualified name (REGISTRY/REPOSITORY[:TAG])",
        ref);
  out->registry = xstrndup (s, (size_t) (slash - s));
  const char *rest = slash + 1;
  const char *at = strchr (rest, '@');
  cleanup_free char *name = at ? xstrndup (rest, (size_t) (at - rest)) : xstrdup (rest);
  if (at)
    {
      if (!skiff_digest_valid (at + 1) || !str_has_prefix (at + 1, "sha256:"))
        {
          skiff_image_ref_release (out);
          return skiff_error_set_status (err, EINVAL,
                                         "invalid reference \"%s\": the digest must be sha256:<64 hex digits>", ref);
        }
      out->digest = xstrdup (at + 1);
    }
  char *colon = strrchr (name, ':');
  if (colon && strchr (colon, '/') == NULL)
    {
      *colon = '\0';
      const char *tag = colon + 1;
      size_t tl = strlen (tag);
      bool ok = tl > 0 && tl <= 128 && (isalnum ((unsigned char) tag[0]) || tag[0] == '_');
      for (size_t i = 0; ok && i < tl; i++)
        ok = isalnum ((unsigned char) tag[i]) || tag[i] == '_' || tag[i] == '.' || tag[i] == '-';
      if (!ok)
        {
          skiff_image_ref_release (out);
          return skiff_error_set_status (err, EINVAL, "invalid reference \"%s\": invalid tag \"%s\"", ref, tag);
        }
      out->tag = xstrdup (tag);
    }
  bool ok = name[0] != '\0' && name[0] != '/' && !str_has_suffix (name, "/") && strstr (name, "//") == NULL;
  for (const char *p = name; ok && *p; p++)
    ok = valid_repo_char (*p);
  if (!ok)
    {
      skiff_image_ref_release (out);
      return skiff_error_set_status (
          err, EINVAL, "invalid reference \"%s\": repository names are lowercase letters, digits and . _ - /", ref);
    }
  if (strcmp (out->registry, DOCKER_IO) == 0 && strchr (name, '/') == NULL)
    out->repository = xasprintf ("library/%s", name);
  else
    out->repository = xstrdup (name);
  if (out->tag == NULL && out->digest == NULL)
    out->tag = xstrdup ("latest");
  return 0;
}

char *
skiff_image_ref_string (const struct skiff_image_ref *r)
{
  if (r->tag && r->digest)
    return xasprintf ("%s/%s:%s@%s", r->registry, r->repository, r->tag, r->digest);
  if (r->digest)
    return xasprintf ("%s/%s@%s", r->registry, r->repository, r->digest);
  return xasprintf ("%s/%s:%s", r->registry, r->repository, r->tag);
}

const char *
skiff_registry_api_host (const char *registry)
{
  return strcmp (registry, DOCKER_IO) == 0 ? DOCKER_IO_API : registry;
}

char *
skiff_registry_url (const char *scheme, const char *registry, const char *repository, const char *kind,
                    const char *what)
{
  return xasprintf ("%s://%s/v2/%s/%s/%s", scheme, skiff_registry_api_host (registry), repository, kind, what);
}

/* ---- WWW-Authenticate: Scheme k="v", k=v, ... ---- */

void
skiff_auth_challenge_release (struct skiff_auth_challenge *c)
{
  free (c->scheme);
  free (c->realm);
  free (c->service);
  free (c->scope);
  memset (c, 0, sizeof *c);
}

int
skiff_www_authenticate_parse (const char *header, struct skiff_auth_challenge *out, skiff_error_t *err)
{
  memset (out, 0, sizeof *out);
  const char *p = header;
  while (isspace ((unsigned char) *p))
    p++;
  const char *start = p;
  while (*p && !isspace ((unsigned char) *p))
    p++;
  if (p == start)
    return skiff_error_set_status (err, EINVAL, "invalid WWW-Authenticate header \"%s\": no scheme", header);
  out->scheme = xstrndup (start, (size_t) (p - start));
  while (*p)
    {
      while (isspace ((unsigned char) *p) || *p == ',')
        p++;
      if (*p == '\0')
        break;
      const char *k = p;
      while (*p && *p != '=' && !isspace ((unsigned char) *p))
        p++;
      size_t klen = (size_t) (p - k);
      while (isspace ((unsigned char) *p))
        p++;
      if (*p != '=')
        continue; /* a bare token (the tail of an unquoted list): nothing we use */
      p++;
      while (isspace ((unsigned char) *p))
        p++;
      char *v;
      if (*p == '"')
        {
          p++;
          size_t cap = strlen (p) + 1, n = 0;
          v = xmalloc (cap);
          while (*p && *p != '"')
            {
              if (*p == '\\' && p[1])
                p++;
              v[n++] = *p++;
            }
          v[n] = '\0';
          if (*p != '"')
            {
              free (v);
              skiff_auth_challenge_release (out);
              return skiff_error_set_status (err, EINVAL, "invalid WWW-Authenticate header \"%s\": unterminated quote",
                                             header);
            }
          p++;
        }
      else
        {
          const char *vs = p;
          while (*p && *p != ',' && !isspace ((unsigned char) *p))
            p++;
          v = xstrndup (vs, (size_t) (p - vs));
        }
      char **slot = NULL;
      if (klen == 5 && strncasecmp (k, "realm", 5) == 0)
        slot = &out->realm;
      else if (klen == 7 && strncasecmp (k, "service", 7) == 0)
        slot = &out->service;
      else if (klen == 5 && strncasecmp (k, "scope", 5) == 0)
        slot = &out->scope;
      if (slot)
        {
          free (*slot);
          *slot = v;
        }
      else
        free (v);
    }
  if (strcasecmp (out->scheme, "Bearer") == 0 && out->realm == NULL)
    {
      skiff_auth_challenge_release (out);
      return skiff_error_set_status (
          err, EINVAL, "invalid WWW-Authenticate header \"%s\": a Bearer challenge needs a realm", header);
    }
  return 0;
}

/* ---- platforms ---- */

void
skiff_platform_host (const char **os, const char **arch, const char **variant)
{
  static struct utsname u;
  static bool done;
  if (!done)
    {
      uname (&u);
      done = true;
    }
  *os = "linux";
  *arch = skiff_oci_goarch (u.machine);
  *variant = NULL;
  if (strcmp (u.machine, "armv7l") == 0)
    *variant = "v7";
  else if (strcmp (u.machine, "armv6l") == 0)
    *variant = "v6";
}

int
skiff_platform_parse (const char *s, char **os, char **arch, char **variant, skiff_error_t *err)
{
  cleanup_free char *copy = xstrdup (s);
  char *a = strchr (copy, '/');
  char *v = a ? strchr (a + 1, '/') : NULL;
  if (a == NULL || a == copy || a[1] == '\0' || a[1] == '/' || (v && (v[1] == '\0' || strchr (v + 1, '/'))))
    return skiff_error_set_status (err, EINVAL,
                                   "invalid platform syntax for --platform=\"%s\": expected os/arch[/variant]", s);
  *a++ = '\0';
  if (v)
    *v++ = '\0';
  *os = xstrdup (copy);
  *arch = xstrdup (a);
  *variant = v ? xstrdup (v) : NULL;
  return 0;
}

int
skiff_index_select (const struct skiff_oci_index *idx, const char *os, const char *arch, const char *variant,
                    size_t *out, skiff_error_t *err)
{
  ssize_t best = -1;
  int best_rank = 0;
  for (size_t i = 0; i < idx->n_manifests; i++)
    {
      const struct skiff_oci_descriptor *d = &idx->manifests[i];
      if (d->os == NULL || d->architecture == NULL || strcmp (d->os, os) != 0 || strcmp (d->architecture, arch) != 0)
        continue;
      int rank;
      if (variant)
        {
          if (d->variant && strcmp (d->variant, variant) == 0)
            rank = 3;
          else if (d->variant == NULL && (strcmp (arch, "arm64") == 0 && strcmp (variant, "v8") == 0))
            rank = 2; /* arm64 without a variant is v8 */
          else
            continue;
        }
      else if (d->variant == NULL || (strcmp (arch, "arm64") == 0 && strcmp (d->variant, "v8") == 0))
        rank = 3;
      else
        rank = 1;
      if (rank > best_rank)
        {
          best_rank = rank;
          best = (ssize_t) i;
        }
    }
  if (best >= 0)
    {
      *out = (size_t) best;
      return 0;
    }
  /* say what is there, as "linux/amd64, linux/arm/v7" */
  size_t cap = 64, n = 0;
  cleanup_free char *have = xmalloc (cap);
  have[0] = '\0';
  for (size_t i = 0; i < idx->n_manifests; i++)
    {
      const struct skiff_oci_descriptor *d = &idx->manifests[i];
      cleanup_free char *one
          = xasprintf ("%s%s/%s%s%s", n ? ", " : "", d->os ? d->os : "?", d->architecture ? d->architecture : "?",
                       d->variant ? "/" : "", d->variant ? d->variant : "");
      size_t l = strlen (one);
      if (n + l + 1 > cap)
        have = xrealloc (have, cap = (n + l + 1) * 2);
      memcpy (have + n, one, l + 1);
      n += l;
    }
  return skiff_error_set_status (err, ENOENT,
                                 "no image found in manifest list for architecture %s, variant \"%s\", OS %s "
                                 "(the image offers %s): choose one with --platform",
                                 arch, variant ? variant : "", os, n ? have : "nothing");
}

bool
skiff_manifest_is_index (const char *media_type, const char *json, size_t len)
{
  if (media_type
      && (strcmp (media_type, OCI_MEDIA_TYPE_INDEX) == 0 || strcmp (media_type, SKIFF_MEDIA_DOCKER_LIST) == 0))
    return true;
  if (media_type
      && (strcmp (media_type, OCI_MEDIA_TYPE_MANIFEST) == 0 || strcmp (media_type, SKIFF_MEDIA_DOCKER_MANIFEST) == 0))
    return false;
  /* the header may be missing or generic: look at the document */
  json_object *o = json_tokener_parse (json);
  (void) len;
  bool r = false;
  json_object *mt, *m;
  if (o && json_object_object_get_ex (o, "mediaType", &mt))
    {
      const char *t = json_object_get_string (mt);
      r = t && (strcmp (t, OCI_MEDIA_TYPE_INDEX) == 0 || strcmp (t, SKIFF_MEDIA_DOCKER_LIST) == 0);
    }
  else if (o && json_object_object_get_ex (o, "manifests", &m))
    r = true;
  json_object_put (o);
  return r;
}

int
skiff_digest_verify (const void *data, size_t len, const char *digest, const char *what, skiff_error_t *err)
{
  const char *want = skiff_digest_hex (digest);
  if (want == NULL || !str_has_prefix (digest, "sha256:"))
    return skiff_error_set_status (err, EINVAL, "%s: unsupported digest \"%s\" (only sha256 is supported)", what,
                                   digest);
  char hex[SKIFF_DIGEST_HEX_LEN + 1];
  skiff_sha256_hex (data, len, hex);
  if (strcmp (hex, want) != 0)
    return skiff_error_set_status (err, EINVAL,
                                   "digest mismatch for %s: expected %s, got sha256:%s (corrupt or tampered content)",
                                   what, digest, hex);
  return 0;
}

/* ---- base64 ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
skiff_base64_encode (const void *data, size_t len)
{
  const unsigned char *in = data;
  char *out = xmalloc (4 * ((len + 2) / 3) + 1), *o = out;
  size_t i = 0;
  for (; i + 2 < len; i += 3)
    {
      *o++ = b64[in[i] >> 2];
      *o++ = b64[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
      *o++ = b64[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
      *o++ = b64[in[i + 2] & 63];
    }
  if (i < len)
    {
      *o++ = b64[in[i] >> 2];
      if (i + 1 < len)
        {
          *o++ = b64[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
          *o++ = b64[(in[i + 1] & 15) << 2];
        }
      else
        {
          *o++ = b64[(in[i] & 3) << 4];
          *o++ = '=';
        }
      *o++ = '=';
    }
  *o = '\0';
  return out;
}

char *
skiff_base64_decode (const char *s, size_t *len)
{
  size_t n = strlen (s);
  char *out = xmalloc (n / 4 * 3 + 4);
  size_t o = 0;
  unsigned acc = 0;
  int bits = 0;
  size_t pad = 0;
  for (size_t i = 0; i < n; i++)
    {
      if (s[i] == '=')
        {
          pad++;
          continue;
        }
      const char *p = strchr (b64, s[i]);
      if (p == NULL || s[i] == '\0' || pad)
        {
          free (out);
          return NULL;
        }
      acc = (acc << 6) | (unsigned) (p - b64);
      bits += 6;
      if (bits >= 8)
        {
          bits -= 8;
          out[o++] = (char) ((acc >> bits) & 0xff);
        }
    }
  if (pad > 2)
    {
      free (out);
      return NULL;
    }
  out[o] = '\0';
  if (len)
    *len = o;
  return out;
}

/* ---- HTTP ---- */

struct buf
{
  char *data;
  size_t len, cap;
};

static bool
buf_append (struct buf *b, const void *data, size_t len, size_t limit)
{
  if (b->len + len > limit)
    return false;
  if (b->len + len + 1 > b->cap)
    {
      b->cap = (b->len + len + 1) * 2;
      b->data = xrealloc (b->data, b->cap);
    }
  memcpy (b->data + b->len, data, len);
  b->len += len;
  b->data[b->len] = '\0';
  return true;
}

struct skiff_registry_client
{
  char *registry; /* as the user names it */
  const char *host;
  const char *scheme; /* NULL until pinged */
  bool tls_verify;
  char *user, *password;
  char **scopes;
  char *auth_header; /* "Authorization: ..." */
  struct skiff_auth_challenge challenge;
  bool challenged;
  char *ca; /* PEM bundle when a cert dir adds CAs */
  size_t ca_len;
  char *client_cert, *client_key;
  CURL *curl;
};

struct http_req
{
  const char *method;
  const char *url;
  const char *headers[4];
  const void *body; /* memory body, or body_fd >= 0 */
  size_t body_len;
  int body_fd;
  uint64_t body_off, body_size;
  skiff_registry_sink sink;
  void *sink_data;
  bool no_auth;
  const char *auth; /* explicit Authorization header line (token fetch) */
  void (*progress) (uint64_t done, uint64_t total, void *data);
  void *progress_data;
};

struct http_resp
{
  long status;
  struct buf body;
  char *www_auth, *location, *content_type, *docker_digest;
  bool sink_stopped;
  char errbuf[CURL_ERROR_SIZE];
  /* request side, for the callbacks */
  const struct http_req *req;
  CURL *curl;
  uint64_t sent;
};

static void
resp_release (struct http_resp *r)
{
  free (r->body.data);
  free (r->www_auth);
  free (r->location);
  free (r->content_type);
  free (r->docker_digest);
  memset (r, 0, sizeof *r);
}

static size_t
on_header (char *data, size_t size, size_t n, void *p)
{
  struct http_resp *r = p;
  size_t len = size * n;
  if (len >= 5 && strncmp (data, "HTTP/", 5) == 0)
    {
      /* a new response (after a redirect or 100-continue): forget the previous one's headers */
      free (r->www_auth);
      free (r->location);
      free (r->content_type);
      free (r->docker_digest);
      r->www_auth = r->location = r->content_type = r->docker_digest = NULL;
      return len;
    }
  const char *colon = memchr (data, ':', len);
  if (colon == NULL)
    return len;
  size_t klen = (size_t) (colon - data);
  const char *v = colon + 1;
  const char *end = data + len;
  while (v < end && (*v == ' ' || *v == '\t'))
    v++;
  while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
    end--;
  char **slot = NULL;
  if (klen == 16 && strncasecmp (data, "www-authenticate", klen) == 0)
    slot = &r->www_auth;
  else if (klen == 8 && strncasecmp (data, "location", klen) == 0)
    slot = &r->location;
  else if (klen == 12 && strncasecmp (data, "content-type", klen) == 0)
    slot = &r->content_type;
  else if (klen == 21 && strncasecmp (data, "docker-content-digest", klen) == 0)
    slot = &r->docker_digest;
  if (slot && *slot == NULL) /* the first challenge is the one to answer */
    *slot = xstrndup (v, (size_t) (end - v));
  return len;
}

static size_t
on_body (char *data, size_t size, size_t n, void *p)
{
  struct http_resp *r = p;
  size_t len = size * n;
  long status = 0;
  curl_easy_getinfo (r->curl, CURLINFO_RESPONSE_CODE, &status);
  if (r->req->sink && status >= 200 && status < 300)
    {
      if (!r->req->sink (data, len, r->req->sink_data))
        {
          r->sink_stopped = true;
          return 0;
        }
      return len;
    }
  /* documents and error bodies are small; anything bigger is cut (errors only need the start) */
  if (!buf_append (&r->body, data, len, MAX_DOCUMENT))
    {
      if (status >= 200 && status < 300)
        return 0;
    }
  return len;
}

static size_t
on_read (char *data, size_t size, size_t n, void *p)
{
  struct http_resp *r = p;
  const struct http_req *q = r->req;
  size_t want = size * n;
  if (q->body_fd < 0)
    {
      size_t left = q->body_len - r->sent;
      if (want > left)
        want = left;
      memcpy (data, (const char *) q->body + r->sent, want);
      r->sent += want;
      return want;
    }
  uint64_t left = q->body_size - r->sent;
  if (want > left)
    want = (size_t) left;
  if (want == 0)
    return 0;
  ssize_t got;
  do
    got = pread (q->body_fd, data, want, (off_t) (q->body_off + r->sent));
  while (got < 0 && errno == EINTR);
  if (got <= 0)
    return CURL_READFUNC_ABORT;
  r->sent += (uint64_t) got;
  if (q->progress)
    q->progress (r->sent, q->body_size, q->progress_data);
  return (size_t) got;
}

/* One HTTP exchange, no retries. Returns the curl result; resp is filled. */
static CURLcode
perform (struct skiff_registry_client *reg, const struct http_req *q, struct http_resp *resp)
{
  CURL *c = reg->curl;
  curl_easy_reset (c);
  resp->req = q;
  resp->curl = c;
  resp->sent = 0;
  resp->errbuf[0] = '\0';
  curl_easy_setopt (c, CURLOPT_URL, q->url);
  curl_easy_setopt (c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (c, CURLOPT_ERRORBUFFER, resp->errbuf);
  curl_easy_setopt (c, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
  curl_easy_setopt (c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt (c, CURLOPT_LOW_SPEED_TIME, LOW_SPEED_TIME_S);
  curl_easy_setopt (c, CURLOPT_USERAGENT,
                    "skiff/"
                    "0.1");
  curl_easy_setopt (c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt (c, CURLOPT_HEADERDATA, resp);
  curl_easy_setopt (c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt (c, CURLOPT_WRITEDATA, resp);
  curl_easy_setopt (c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (c, CURLOPT_SSL_VERIFYPEER, reg->tls_verify ? 1L : 0L);
  curl_easy_setopt (c, CURLOPT_SSL_VERIFYHOST, reg->tls_verify ? 2L : 0L);
  struct curl_blob ca = { .data = reg->ca, .len = reg->ca_len, .flags = CURL_BLOB_NOCOPY };
  if (reg->ca)
    curl_easy_setopt (c, CURLOPT_CAINFO_BLOB, &ca);
  if (reg->client_cert)
    curl_easy_setopt (c, CURLOPT_SSLCERT, reg->client_cert);
  if (reg->client_key)
    curl_easy_setopt (c, CURLOPT_SSLKEY, reg->client_key);
  struct curl_slist *h = NULL;
  for (size_t i = 0; i < ARRAY_SIZE (q->headers) && q->headers[i]; i++)
    h = curl_slist_append (h, q->headers[i]);
  if (q->auth)
    h = curl_slist_append (h, q->auth);
  else if (!q->no_auth && reg->auth_header)
    h = curl_slist_append (h, reg->auth_header);
  h = curl_slist_append (h, "Expect:");
  curl_easy_setopt (c, CURLOPT_HTTPHEADER, h);
  if (strcmp (q->method, "GET") == 0)
    {
      curl_easy_setopt (c, CURLOPT_HTTPGET, 1L);
      curl_easy_setopt (c, CURLOPT_FOLLOWLOCATION, 1L);
      curl_easy_setopt (c, CURLOPT_MAXREDIRS, 10L);
    }
  else if (strcmp (q->method, "HEAD") == 0)
    curl_easy_setopt (c, CURLOPT_NOBODY, 1L);
  else if (strcmp (q->method, "DELETE") == 0)
    curl_easy_setopt (c, CURLOPT_CUSTOMREQUEST, "DELETE");
  else
    {
      curl_easy_setopt (c, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt (c, CURLOPT_CUSTOMREQUEST, q->method);
      curl_easy_setopt (c, CURLOPT_READFUNCTION, on_read);
      curl_easy_setopt (c, CURLOPT_READDATA, resp);
      curl_easy_setopt (c, CURLOPT_INFILESIZE_LARGE, (curl_off_t) (q->body_fd >= 0 ? q->body_size : q->body_len));
    }
  CURLcode rc = curl_easy_perform (c);
  curl_easy_getinfo (c, CURLINFO_RESPONSE_CODE, &resp->status);
  curl_slist_free_all (h);
  return rc;
}

/* The transport failure as a message naming the cause and the fix. */
static int
transport_fail (struct skiff_registry_client *reg, CURLcode rc, struct http_resp *resp, skiff_error_t *err)
{
  const char *detail = resp->errbuf[0] ? resp->errbuf : curl_easy_strerror (rc);
  switch (ENUM_PARTIAL (rc))
    {
    case CURLE_COULDNT_CONNECT:
      {
        long os_errno = 0;
        curl_easy_getinfo (reg->curl, CURLINFO_OS_ERRNO, &os_errno);
        if (os_errno == ECONNREFUSED || strstr (detail, "refused"))
          return skiff_error_set_status (err, ECONNREFUSED, "connection refused: is the registry at %s running?",
                                         reg->host);
      }
      return skiff_error_set_status (err, EHOSTUNREACH, "cannot connect to %s (%s): check the address and the network",
                                     reg->host, detail);
    case CURLE_COULDNT_RESOLVE_HOST:
      return skiff_error_set_status (err, EHOSTUNREACH, "cannot resolve the registry host %s (%s): check the name",
                                     reg->host, detail);
    case CURLE_OPERATION_TIMEDOUT:
      return skiff_error_set_status (err, ETIMEDOUT, "timed out talking to %s (%s)", reg->host, detail);
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
      if (strstr (detail, "wrong version number") || strstr (detail, "packet length too long"))
        return skiff_error_set_status (err, EPROTO,
                                       "http: server gave HTTP response to HTTPS client: %s speaks plain HTTP; use "
                                       "--tls-verify=false to talk to it",
                                       reg->host);
      return skiff_error_set_status (
          err, EPROTO,
          "TLS with %s failed: %s: put the registry's CA certificate in --cert-dir (or %s/%s/ca.crt), "
          "or use --tls-verify=false if the registry is trusted",
          reg->host, detail, SYSTEM_CERTS_D, reg->registry);
    case CURLE_FAILED_INIT:
      return skiff_error_set_status (err, ENOSYS, "cannot start an HTTP client: is libcurl4 installed?");
    default:
      return skiff_error_set_status (err, EIO, "talking to %s: %s", reg->host, detail);
    }
}

/* The registry's own error text ({"errors":[{"code":..,"message":..}]}), else the HTTP status. */
static char *
http_error_text (const struct http_resp *resp)
{
  json_object *o = resp->body.data ? json_tokener_parse (resp->body.data) : NULL, *errs, *e0, *m;
  char *r = NULL;
  if (o && json_object_object_get_ex (o, "errors", &errs) && json_object_is_type (errs, json_type_array)
      && json_object_array_length (errs) > 0 && (e0 = json_object_array_get_idx (errs, 0)) != NULL)
    {
      if (json_object_object_get_ex (e0, "message", &m) && json_object_get_string_len (m) > 0)
        r = xstrdup (json_object_get_string (m));
      else if (json_object_object_get_ex (e0, "code", &m))
        r = xstrdup (json_object_get_string (m));
    }
  json_object_put (o);
  if (r == NULL)
    r = xasprintf ("received unexpected HTTP status: %ld", resp->status);
  return r;
}

static char *
scope_query (struct skiff_registry_client *reg, CURL *c)
{
  size_t cap = 64, n = 0;
  char *q = xmalloc (cap);
  q[0] = '\0';
  for (size_t i = 0; reg->scopes && reg->scopes[i]; i++)
    {
      char *esc = curl_easy_escape (c, reg->scopes[i], 0);
      cleanup_free char *part = xasprintf ("&scope=%s", esc ? esc : "");
      curl_free (esc);
      size_t l = strlen (part);
      if (n + l + 1 > cap)
        q = xrealloc (q, cap = (n + l + 1) * 2);
      memcpy (q + n, part, l + 1);
      n += l;
    }
  return q;
}

static char *
basic_header (struct skiff_registry_client *reg)
{
  cleanup_free char *plain = xasprintf ("%s:%s", reg->user, reg->password ? reg->password : "");
  cleanup_free char *enc = skiff_base64_encode (plain, strlen (plain));
  explicit_bzero (plain, strlen (plain));
  return xasprintf ("Authorization: Basic %s", enc);
}

static int
invalid_credentials (struct skiff_registry_client *reg, skiff_error_t *err)
{
  int r = skiff_error_set_status (err, EACCES, "invalid username/password");
  return r;
}

/* Answer the stored challenge: a token from the realm (Bearer), or the credentials themselves (Basic). */
static int
authenticate (struct skiff_registry_client *reg, skiff_error_t *err)
{
  struct skiff_auth_challenge *ch = &reg->challenge;
  if (strcasecmp (ch->scheme, "Basic") == 0)
    {
      if (reg->user == NULL)
        return skiff_error_set_status (
            err, EACCES, "authentication required by %s: log in with `skiff login %s` or pass --creds USER:PASSWORD",
            reg->registry, reg->registry);
      free (reg->auth_header);
      reg->auth_header = basic_header (reg);
      return 0;
    }
  if (strcasecmp (ch->scheme, "Bearer") != 0)
    return skiff_error_set_status (err, ENOTSUP, "%s asks for unsupported authentication \"%s\"", reg->registry,
                                   ch->scheme);
  cleanup_free char *scopes = scope_query (reg, reg->curl);
  char *svc = ch->service ? curl_easy_escape (reg->curl, ch->service, 0) : NULL;
  cleanup_free char *url
      = xasprintf ("%s%sservice=%s%s", ch->realm, strchr (ch->realm, '?') ? "&" : "?", svc ? svc : "", scopes);
  curl_free (svc);
  cleanup_free char *basic = reg->user ? basic_header (reg) : NULL;
  struct http_req q = { .method = "GET", .url = url, .body_fd = -1, .no_auth = true, .auth = basic };
  struct http_resp resp = { 0 };
  CURLcode rc = perform (reg, &q, &resp);
  if (basic)
    explicit_bzero (basic, strlen (basic));
  int ret = 0;
  if (rc != CURLE_OK)
    ret = transport_fail (reg, rc, &resp, err);
  else if (resp.status == 401 || resp.status == 403)
    /* podman's words, with or without credentials (c/image's ErrUnauthorizedForCredentials) */
    ret = skiff_error_set_status (err, EACCES, "unable to retrieve auth token: invalid username/password: %s",
                                  resp.status == 401 ? "unauthorized" : "denied");
  else if (resp.status != 200)
    {
      cleanup_free char *t = http_error_text (&resp);
      ret = skiff_error_set_status (err, EIO, "getting a token from %s: %s", ch->realm, t);
    }
  else
    {
      json_object *o = resp.body.data ? json_tokener_parse (resp.body.data) : NULL, *t = NULL;
      if (o == NULL
          || !(json_object_object_get_ex (o, "token", &t) || json_object_object_get_ex (o, "access_token", &t))
          || json_object_get_string_len (t) == 0)
        ret = skiff_error_set_status (err, EPROTO, "the token server %s answered without a token", ch->realm);
      else
        {
          free (reg->auth_header);
          reg->auth_header = xasprintf ("Authorization: Bearer %s", json_object_get_string (t));
        }
      json_object_put (o);
    }
  resp_release (&resp);
  return ret;
}

static int
store_challenge (struct skiff_registry_client *reg, const struct http_resp *resp, skiff_error_t *err)
{
  if (resp->www_auth == NULL)
    return skiff_error_set_status (err, EACCES, "%s answered 401 without a WWW-Authenticate challenge", reg->registry);
  skiff_auth_challenge_release (&reg->challenge);
  if (skiff_www_authenticate_parse (resp->www_auth, &reg->challenge, err) < 0)
    return -1;
  reg->challenged = true;
  return 0;
}

/* A request with authentication: on 401 answer the challenge once and retry. A transport failure is an error;
 * an HTTP status is the caller's to judge. */
static int
request (struct skiff_registry_client *reg, const struct http_req *q, struct http_resp *resp, skiff_error_t *err)
{
  for (int attempt = 0;; attempt++)
    {
      resp_release (resp);
      CURLcode rc = perform (reg, q, resp);
      if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && resp->sink_stopped))
        return transport_fail (reg, rc, resp, err);
      if (resp->status != 401 || attempt > 0 || q->no_auth)
        return 0;
      if (store_challenge (reg, resp, err) < 0 || authenticate (reg, err) < 0)
        return -1;
      if (q->sink && resp->sink_stopped)
        return 0;
    }
}

static int
unauthorized (struct skiff_registry_client *reg, const struct http_resp *resp, skiff_error_t *err)
{
  if (reg->user)
    return invalid_credentials (reg, err);
  cleanup_free char *t = http_error_text (resp);
  return skiff_error_set_status (
      err, EACCES, "%s: authentication required: log in with `skiff login %s` or pass --creds", t, reg->registry);
}

/* ---- certificates: --cert-dir or certs.d/<registry>: *.crt are CAs, *.cert + *.key a client identity ---- */

static int
load_cert_dir (struct skiff_registry_client *reg, const char *dir, bool explicit_dir, skiff_error_t *err)
{
  DIR *d = opendir (dir);
  if (d == NULL)
    {
      if (errno == ENOENT && !explicit_dir)
        return 0;
      return skiff_error_set (err, errno, "open the certificate directory `%s`", dir);
    }
  struct buf pem = { 0 };
  struct dirent *de;
  char **names = NULL;
  while ((de = readdir (d)))
    if (de->d_name[0] != '.')
      strv_push (&names, de->d_name);
  closedir (d);
  int ret = 0;
  for (size_t i = 0; ret == 0 && names && names[i]; i++)
    {
      cleanup_free char *p = path_join (dir, names[i]);
      if (str_has_suffix (names[i], ".crt"))
        {
          cleanup_free char *data = NULL;
          size_t len;
          if (read_file (p, &data, &len, err) < 0)
            ret = -1;
          else
            {
              if (pem.len == 0)
                {
                  /* the CAs add to the system's, as podman's do */
                  cleanup_free char *sys = NULL;
                  size_t slen;
                  skiff_error_t e = NULL;
                  if (read_file (SYSTEM_CA_BUNDLE, &sys, &slen, &e) == 0)
                    {
                      buf_append (&pem, sys, slen, SIZE_MAX);
                      buf_append (&pem, "\n", 1, SIZE_MAX);
                    }
                  skiff_error_release (&e);
                }
              buf_append (&pem, data, len, SIZE_MAX);
              buf_append (&pem, "\n", 1, SIZE_MAX);
            }
        }
      else if (str_has_suffix (names[i], ".cert"))
        {
          cleanup_free char *base = xstrndup (p, strlen (p) - strlen (".cert"));
          cleanup_free char *key = xasprintf ("%s.key", base);
          if (!path_exists (key))
            ret = skiff_error_set_status (
                err, ENOENT, "missing key %s for client certificate %s: add it or remove the certificate", key, p);
          else
            {
              free (reg->client_cert);
              free (reg->client_key);
              reg->client_cert = xstrdup (p);
              reg->client_key = steal_pointer (&key);
            }
        }
    }
  strv_free (names);
  if (ret == 0 && pem.len)
    {
      free (reg->ca);
      reg->ca = pem.data;
      reg->ca_len = pem.len;
    }
  else
    free (pem.data);
  return ret;
}

/* ---- the client ---- */

int
skiff_registry_open (const struct skiff_registry_options *o, const char *registry, struct skiff_registry_client **out,
                     skiff_error_t *err)
{
  if (skiff_curl_available (err) < 0)
    return -1;
  struct skiff_registry_client *reg = xmalloc0 (sizeof *reg);
  reg->registry = xstrdup (registry);
  reg->host = skiff_registry_api_host (reg->registry);
  reg->tls_verify = o->tls_verify_set ? o->tls_verify : true;
  reg->curl = curl_easy_init ();
  int ret = 0;
  if (reg->curl == NULL)
    ret = skiff_error_set_status (err, ENOMEM, "cannot create an HTTP handle");
  if (ret == 0 && o->creds)
    {
      const char *colon = strchr (o->creds, ':');
      if (o->creds[0] == '\0' || colon == o->creds)
        ret = skiff_error_set_status (err, EINVAL, "invalid --creds: expected USERNAME[:PASSWORD]");
      else if (colon)
        {
          reg->user = xstrndup (o->creds, (size_t) (colon - o->creds));
          reg->password = xstrdup (colon + 1);
        }
      else
        reg->user = xstrdup (o->creds);
    }
  else if (ret == 0 && o->creds_resolved)
    {
      reg->user = o->username ? xstrdup (o->username) : NULL;
      reg->password = o->password ? xstrdup (o->password) : NULL;
    }
  else if (ret == 0 && skiff_auth_get (o->authfile, registry, &reg->user, &reg->password, err) < 0)
    ret = -1;
  if (ret == 0)
    {
      if (o->cert_dir)
        ret = load_cert_dir (reg, o->cert_dir, true, err);
      else
        {
          cleanup_free char *sys = xasprintf ("%s/%s", SYSTEM_CERTS_D, registry);
          const char *home = getenv ("HOME");
          cleanup_free char *user = xasprintf ("%s/.config/containers/certs.d/%s", home ? home : "", registry);
          ret = load_cert_dir (reg, sys, false, err);
          if (ret == 0 && home)
            ret = load_cert_dir (reg, user, false, err);
        }
    }
  if (ret < 0)
    {
      skiff_registry_free (reg);
      return ret;
    }
  *out = reg;
  return 0;
}

void
skiff_registry_free (struct skiff_registry_client *r)
{
  if (r == NULL)
    return;
  if (r->curl)
    curl_easy_cleanup (r->curl);
  if (r->password)
    explicit_bzero (r->password, strlen (r->password));
  if (r->auth_header)
    explicit_bzero (r->auth_header, strlen (r->auth_header));
  free (r->registry);
  free (r->user);
  free (r->password);
  strv_free (r->scopes);
  free (r->auth_header);
  skiff_auth_challenge_release (&r->challenge);
  free (r->ca);
  free (r->client_cert);
  free (r->client_key);
  free (r);
}

int
skiff_registry_dup (struct skiff_registry_client *r, struct skiff_registry_client **out, skiff_error_t *err)
{
  struct skiff_registry_client *c = xmalloc0 (sizeof *c);
  c->registry = xstrdup (r->registry);
  c->host = skiff_registry_api_host (c->registry);
  c->scheme = r->scheme;
  c->tls_verify = r->tls_verify;
  c->user = xstrdup (r->user);
  c->password = xstrdup (r->password);
  c->scopes = r->scopes ? strv_dup (r->scopes) : NULL;
  c->auth_header = xstrdup (r->auth_header);
  c->challenge.scheme = xstrdup (r->challenge.scheme);
  c->challenge.realm = xstrdup (r->challenge.realm);
  c->challenge.service = xstrdup (r->challenge.service);
  c->challenge.scope = xstrdup (r->challenge.scope);
  c->challenged = r->challenged;
  if (r->ca)
    {
      c->ca = xmalloc (r->ca_len + 1);
      memcpy (c->ca, r->ca, r->ca_len);
      c->ca[r->ca_len] = '\0';
      c->ca_len = r->ca_len;
    }
  c->client_cert = xstrdup (r->client_cert);
  c->client_key = xstrdup (r->client_key);
  c->curl = curl_easy_init ();
  if (c->curl == NULL)
    {
      skiff_registry_free (c);
      return skiff_error_set_status (err, ENOMEM, "cannot create an HTTP handle");
    }
  *out = c;
  return 0;
}

void
skiff_registry_add_scope (struct skiff_registry_client *r, const char *scope)
{
  if (!strv_contains (r->scopes, scope))
    {
      strv_push (&r->scopes, scope);
      /* a token for fewer scopes would be refused: fetch a new one on the next 401 */
    }
}

const char *
skiff_registry_scheme (struct skiff_registry_client *r)
{
  return r->scheme ? r->scheme : "https";
}

static int
ping (struct skiff_registry_client *reg, bool check_credentials, skiff_error_t *err)
{
  if (reg->scheme && !check_credentials)
    return 0;
  /* without verification podman tries https first and falls back to plain http */
  static const char *const schemes[] = { "https", "http" };
  size_t n = reg->tls_verify ? 1 : 2;
  struct http_resp resp = { 0 };
  int ret = 0;
  for (size_t i = 0; i < n; i++)
    {
      cleanup_free char *url = xasprintf ("%s://%s/v2/", schemes[i], reg->host);
      struct http_req q = { .method = "GET", .url = url, .body_fd = -1, .no_auth = true };
      resp_release (&resp);
      CURLcode rc = perform (reg, &q, &resp);
      if (rc != CURLE_OK)
        {
          if (i + 1 < n && rc != CURLE_COULDNT_CONNECT && rc != CURLE_COULDNT_RESOLVE_HOST)
            continue;
          ret = transport_fail (reg, rc, &resp, err);
          break;
        }
      reg->scheme = schemes[i];
      break;
    }
  if (ret == 0 && resp.status == 401)
    {
      ret = store_challenge (reg, &resp, err);
      if (ret == 0 && check_credentials)
        {
          /* prove the credentials: a token (Bearer) or the same ping with them (Basic) must be accepted */
          ret = authenticate (reg, err);
          if (ret < 0 && err && *err && (*err)->status == EACCES && reg->user)
            {
              skiff_error_release (err);
              ret = invalid_credentials (reg, err);
            }
          if (ret == 0)
            {
              cleanup_free char *url = xasprintf ("%s://%s/v2/", reg->scheme, reg->host);
              struct http_req q = { .method = "GET", .url = url, .body_fd = -1 };
              resp_release (&resp);
              CURLcode rc = perform (reg, &q, &resp);
              if (rc != CURLE_OK)
                ret = transport_fail (reg, rc, &resp, err);
              else if (resp.status == 401 || resp.status == 403)
                ret = invalid_credentials (reg, err);
            }
        }
    }
  else if (ret == 0 && resp.status != 200 && resp.status != 404)
    {
      cleanup_free char *t = http_error_text (&resp);
      ret = skiff_error_set_status (err, EIO, "%s", t);
    }
  else if (ret == 0 && resp.status == 404)
    ret = skiff_error_set_status (err, ENOENT,
                                  "%s does not serve the registry API at /v2/: is it a container registry?", reg->host);
  if (ret < 0)
    reg->scheme = NULL;
  resp_release (&resp);
  if (ret < 0 && !(err && *err && (*err)->status == EACCES))
    return skiff_error_wrap (err, "pinging container registry %s", reg->registry);
  if (ret < 0)
    return ret;
  return 0;
}

int
skiff_registry_ping (struct skiff_registry_client *r, skiff_error_t *err)
{
  return ping (r, false, err);
}

int
skiff_registry_login (const struct skiff_registry_options *o, const char *registry, const char *user,
                      const char *password, skiff_error_t *err)
{
  struct skiff_registry_options opts = *o;
  cleanup_free char *creds = xasprintf ("%s:%s", user, password);
  opts.creds = creds;
  struct skiff_registry_client *reg = NULL;
  int r = skiff_registry_open (&opts, registry, &reg, err);
  explicit_bzero (creds, strlen (creds));
  if (r < 0)
    return r;
  r = ping (reg, true, err);
  skiff_registry_free (reg);
  return r;
}

int
skiff_registry_get_manifest (struct skiff_registry_client *r, const char *repository, const char *reference,
                             char **body, size_t *len, char **media_type, skiff_error_t *err)
{
  if (ping (r, false, err) < 0)
    return -1;
  cleanup_free char *url = skiff_registry_url (r->scheme, r->registry, repository, "manifests", reference);
  struct http_req q = { .method = "GET", .url = url, .body_fd = -1, .headers = { MANIFEST_ACCEPT } };
  struct http_resp resp = { 0 };
  int ret = request (r, &q, &resp, err);
  if (ret == 0 && (resp.status == 401 || resp.status == 403))
    ret = unauthorized (r, &resp, err);
  else if (ret == 0 && resp.status != 200)
    {
      cleanup_free char *t = http_error_text (&resp);
      ret = skiff_error_set_status (err, resp.status == 404 ? ENOENT : EIO, "%s", t);
    }
  if (ret == 0)
    {
      *body = resp.body.data ? steal_pointer (&resp.body.data) : xstrdup ("");
      *len = resp.body.len;
      if (media_type)
        {
          *media_type = NULL;
          if (resp.content_type)
            {
              resp.content_type[strcspn (resp.content_type, ";")] = '\0';
              *media_type = steal_pointer (&resp.content_type);
            }
        }
    }
  resp_release (&resp);
  if (ret < 0 && err && *err && (*err)->status == EACCES)
    return ret; /* podman's authentication errors stand alone */
  if (ret < 0)
    return skiff_error_wrap (err, "reading manifest %s in %s/%s", reference, r->registry, repository);
  return 0;
}

int
skiff_registry_get_path (struct skiff_registry_client *r, const char *path, bool authenticate, char **body, size_t *len,
                         skiff_error_t *err)
{
  if (ping (r, false, err) < 0)
    return -1;
  cleanup_free char *url = xasprintf ("%s://%s%s", r->scheme, skiff_registry_api_host (r->registry), path);
  struct http_req q = { .method = "GET", .url = url, .body_fd = -1, .no_auth = !authenticate };
  struct http_resp resp = { 0 };
  int ret = request (r, &q, &resp, err);
  if (ret == 0 && (resp.status == 401 || resp.status == 403))
    ret = unauthorized (r, &resp, err);
  else if (ret == 0 && resp.status != 200)
    ret = skiff_error_set_status (err, resp.status == 404 ? ENOENT : EIO, "invalid status code from registry %ld (%s)",
                                  resp.status, resp.status == 404 ? "Not Found" : "unexpected");
  if (ret == 0)
    {
      *body = resp.body.data ? steal_pointer (&resp.body.data) : xstrdup ("");
      *len = resp.body.len;
    }
  resp_release (&resp);
  return ret;
}

int
skiff_registry_get_blob (struct skiff_registry_client *r, const char *repository, const char *digest,
                         skiff_registry_sink sink, void *sink_data, skiff_error_t *err)
{
  if (ping (r, false, err) < 0)
    return -1;
  cleanup_free char *url = skiff_registry_url (r->scheme, r->registry, repository, "blobs", digest);
  struct http_req q = { .method = "GET", .url = url, .body_fd = -1, .sink = sink, .sink_data = sink_data };
  struct http_resp resp = { 0 };
  int ret = request (r, &q, &resp, err);
  if (ret == 0 && resp.sink_stopped)
    ret = skiff_error_set_status (err, ECANCELED, "stopped");
  else if (ret == 0 && (resp.status == 401 || resp.status == 403))
    ret = unauthorized (r, &resp, err);
  else if (ret == 0 && resp.status != 200)
    {
      cleanup_free char *t = http_error_text (&resp);
      ret = skiff_error_set_status (err, resp.status == 404 ? ENOENT : EIO, "%s", t);
    }
  resp_release (&resp);
  if (ret < 0 && !(err && *err && (*err)->status == ECANCELED))
    return skiff_error_wrap (err, "reading blob %s", digest);
  return ret;
}

int
skiff_registry_get_url (struct skiff_registry_client *r, const char *url, skiff_registry_sink sink, void *sink_data,
                        skiff_error_t *err)
{
  if (!str_has_prefix (url, "http://") && !str_has_prefix (url, "https://"))
    return skiff_error_set_status (err, EINVAL, "unsupported URL \"%s\": only http and https are fetched", url);
  struct http_req q
      = { .method = "GET", .url = url, .body_fd = -1, .sink = sink, .sink_data = sink_data, .no_auth = true };
  struct http_resp resp = { 0 };
  CURLcode rc = perform (r, &q, &resp);
  int ret = 0;
  if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && resp.sink_stopped))
    ret = skiff_error_set_status (err, EIO, "%s", resp.errbuf[0] ? resp.errbuf : curl_easy_strerror (rc));
  else if (resp.sink_stopped)
    ret = skiff_error_set_status (err, ECANCELED, "stopped");
  else if (resp.status != 200)
    ret = skiff_error_set_status (err, resp.status == 404 ? ENOENT : EIO, "received unexpected HTTP status: %ld",
                                  resp.status);
  resp_release (&resp);
  if (ret < 0 && !(err && *err && (*err)->status == ECANCELED))
    return skiff_error_wrap (err, "fetching %s", url);
  return ret;
}

bool
skiff_media_type_is_foreign (const char *media_type)
{
  return media_type
         && (strcmp (media_type, SKIFF_MEDIA_DOCKER_FOREIGN) == 0
             || str_has_prefix (media_type, SKIFF_MEDIA_OCI_NONDIST));
}

const char *
skiff_media_type_foreign_oci (const char *media_type)
{
  if (strcmp (media_type, SKIFF_MEDIA_DOCKER_FOREIGN) == 0)
    return SKIFF_MEDIA_OCI_NONDIST "+gzip";
  return media_type;
}

char **
skiff_manifest_layer_urls (const char *json, size_t i)
{
  json_object *o = json_tokener_parse (json), *layers, *urls;
  char **v = NULL;
  if (o && json_object_object_get_ex (o, "layers", &layers) && json_object_is_type (layers, json_type_array)
      && i < json_object_array_length (layers)
      && json_object_object_get_ex (json_object_array_get_idx (layers, i), "urls", &urls)
      && json_object_is_type (urls, json_type_array))
    for (size_t k = 0; k < json_object_array_length (urls); k++)
      {
        json_object *u = json_object_array_get_idx (urls, k);
        if (json_object_is_type (u, json_type_string))
          strv_push (&v, json_object_get_string (u));
      }
  json_object_put (o);
  return v;
}

int
skiff_registry_blob_exists (struct skiff_registry_client *r, const char *repository, const char *digest, bool *exists,
                            skiff_error_t *err)
{
  if (ping (r, false, err) < 0)
    return -1;
  cleanup_free char *url = skiff_registry_url (r->scheme, r->registry, repository, "blobs", digest);
  struct http_req q = { .method = "HEAD", .url = url, .body_fd = -1 };
  struct http_resp resp = { 0 };
  int ret = request (r, &q, &resp, err);
  if (ret == 0 && (resp.status == 401 || resp.status == 403))
    ret = unauthorized (r, &resp, err);
  else if (ret == 0 && resp.status != 200 && resp.status != 404)
    ret = skiff_error_set_status (err, EIO, "checking whether blob %s exists: received unexpected HTTP status: %ld",
                                  digest, resp.status);
  *exists = ret == 0 && resp.status == 200;
  resp_release (&resp);
  return ret;
}

/* Locations may be relative ("/v2/.../uploads/<uuid>?_state=..."): make them absolute. */
static char *
absolute_location (struct skiff_registry_client *r, const char *loc)
{
  if (str_has_prefix (loc, "http://") || str_has_prefix (loc, "https://"))
    return xstrdup (loc);
  return xasprintf ("%s://%s%s%s", r->scheme, r->host, loc[0] == '/' ? "" : "/", loc);
}

static char *
with_query (const char *url, const char *kv)
{
  return xasprintf ("%s%s%s", url, strchr (url, '?') ? "&" : "?", kv);
}

int
skiff_registry_blob_mount (struct skiff_registry_client *r, const char *repository, const char *from,
                           const char *digest, bool *mounted, skiff_error_t *err)
{
  *mounted = false;
  if (ping (r, false, err) < 0)
    return -1;
  cleanup_free char *scope = xasprintf ("repository:%s:pull", from);
  skiff_registry_add_scope (r, scope);
  cleanup_free char *url
      = xasprintf ("%s://%s/v2/%s/blobs/uploads/?mount=%s&from=%s", r->scheme, r->host, repository, digest, from);
  struct http_req q = { .method = "POST", .url = url, .body_fd = -1, .body = "", .body_len = 0 };
  struct http_resp resp = { 0 };
  int ret = request (r, &q, &resp, err);
  if (ret == 0 && resp.status == 201)
    *mounted = true;
  else if (ret == 0 && resp.status == 202 && resp.location)
    {
      /* the registry started an upload instead: cancel it */
      cleanup_free char *loc = absolute_location (r, resp.location);
      struct http_req d = { .method = "DELETE", .url = loc, .body_fd = -1 };
      struct http_resp dr = { 0 };
      skiff_error_t e = NULL;
      if (request (r, &d, &dr, &e) < 0)
        skiff_error_release (&e);
      resp_release (&dr);
    }
  resp_release (&resp);
  return ret;
}

int
skiff_registry_blob_upload (struct skiff_registry_client *r, const char *repository, const char *digest, int fd,
                            uint64_t size, uint64_t chunk_size,
                            void (*progress) (uint64_t done, uint64_t total, void *data), void *progress_data,
                            skiff_error_t *err)
{
  if (ping (r, false, err) < 0)
    return -1;
  cleanup_free char *url = xasprintf ("%s://%s/v2/%s/blobs/uploads/", r->scheme, r->host, repository);
  struct http_req q = { .method = "POST", .url = url, .body_fd = -1, .body = "", .body_len = 0 };
  struct http_resp resp = { 0 };
  int ret = request (r, &q, &resp, err);
  cleanup_free char *loc = NULL;
  if (ret == 0 && (resp.status == 401 || resp.status == 403))
    ret = unauthorized (r, &resp, err);
  else if (ret == 0 && (resp.status != 202 || resp.location == NULL))
    {
      cleanup_free char *t = http_error_text (&resp);
      ret = skiff_error_set_status (err, EIO, "starting the upload: %s", t);
    }
  if (ret == 0)
    loc = absolute_location (r, resp.location);
  /* chunked: PATCH each chunk to the latest Location, then PUT ?digest= with no body */
  uint64_t off = 0;
  bool chunked = chunk_size > 0 && size > chunk_size;
  while (ret == 0 && chunked && off < size)
    {
      uint64_t n = size - off < chunk_size ? size - off : chunk_size;
      char range[96];
      snprintf (range, sizeof range, "Content-Range: %llu-%llu", (unsigned long long) off,
                (unsigned long long) (off + n - 1));
      struct http_req p = { .method = "PATCH",
                            .url = loc,
                            .body_fd = fd,
                            .body_off = off,
                            .body_size = n,
                            .headers = { "Content-Type: application/octet-stream", range } };
      ret = request (r, &p, &resp, err);
      if (ret == 0 && resp.status != 202)
        {
          cleanup_free char *t = http_error_text (&resp);
          ret = skiff_error_set_status (err, EIO, "uploading a chunk: %s", t);
        }
      if (ret == 0 && resp.location)
        {
          free (loc);
          loc = absolute_location (r, resp.location);
        }
      off += n;
      if (ret == 0 && progress)
        progress (off, size, progress_data);
    }
  if (ret == 0)
    {
      cleanup_free char *kv = xasprintf ("digest=%s", digest);
      cleanup_free char *put = with_query (loc, kv);
      struct http_req p = { .method = "PUT",
                            .url = put,
                            .body_fd = chunked ? -1 : fd,
                            .body = "",
                            .body_size = chunked ? 0 : size,
                            .headers = { "Content-Type: application/octet-stream" },
                            .progress = chunked ? NULL : progress,
                            .progress_data = progress_data };
      ret = request (r, &p, &resp, err);
      if (ret == 0 && resp.status != 201)
        {
          cleanup_free char *t = http_error_text (&resp);
          ret = skiff_error_set_status (err, EIO, "%s", t);
        }
    }
  resp_release (&resp);
  if (ret < 0)
    return skiff_error_wrap (err, "writing blob %s", digest);
  return 0;
}

int
skiff_registry_put_manifest (struct skiff_registry_client *r, const char *repository, const char *reference,
                             const char *media_type, const char *body, size_t len, skiff_error_t *err)
{
  if (ping (r, false, err) < 0)
    return -1;
  cleanup_free char *url = skiff_registry_url (r->scheme, r->registry, repository, "manifests", reference);
  cleanup_free char *ct = xasprintf ("Content-Type: %s", media_type);
  struct http_req q = { .method = "PUT", .url = url, .body_fd = -1, .body = body, .body_len = len, .headers = { ct } };
  struct http_resp resp = { 0 };
  int ret = request (r, &q, &resp, err);
  if (ret == 0 && (resp.status == 401 || resp.status == 403))
    ret = unauthorized (r, &resp, err);
  else if (ret == 0 && resp.status != 201 && resp.status != 200)
    {
      cleanup_free char *t = http_error_text (&resp);
      ret = skiff_error_set_status (err, EIO, "%s", t);
    }
  resp_release (&resp);
  if (ret < 0)
    return skiff_error_wrap (err, "writing manifest %s to %s/%s", reference, r->registry, repository);
  return 0;
}
