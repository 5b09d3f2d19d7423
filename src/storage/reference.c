/* Image references with the docker/podman grammar: [domain/]path[:tag][@sha256:hex], normalized as podman
 * does for local names ("foo" -> "localhost/foo:latest", "docker.io/foo" -> "docker.io/library/foo:latest"). */
#include "storage/store_internal.h"

#include <ctype.h>

#define REFERENCE_NAME_MAX 255
#define REFERENCE_TAG_MAX 128

static bool
is_lower_alnum (char c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* path-component := [a-z0-9]+ ( ( [._] | __ | [-]* ) [a-z0-9]+ )* */
static bool
valid_path_component (const char *p, size_t n)
{
  size_t i = 0;
  if (n == 0 || !is_lower_alnum (p[0]) || !is_lower_alnum (p[n - 1]))
    return false;
  while (i < n)
    {
      while (i < n && is_lower_alnum (p[i]))
        i++;
      if (i == n)
        return true;
      /* a separator, then alphanumerics again */
      size_t start = i;
      if (p[i] == '.')
        i++;
      else if (p[i] == '_')
        i += (i + 1 < n && p[i + 1] == '_') ? 2 : 1;
      else if (p[i] == '-')
        while (i < n && p[i] == '-')
          i++;
      if (i == start || i >= n || !is_lower_alnum (p[i]))
        return false;
    }
  return true;
}

/* domain := host-component ( '.' host-component )* [ ':' port ] ; or an IPv6 literal in brackets */
static bool
valid_domain (const char *d, size_t n)
{
  size_t hostlen = n;
  if (n > 0 && d[0] == '[')
    {
      const char *close = memchr (d, ']', n);
      if (close == NULL || close == d + 1)
        return false;
      for (const char *p = d + 1; p < close; p++)
        if (!isxdigit ((unsigned char) *p) && *p != ':')
          return false;
      hostlen = (size_t) (close - d) + 1;
    }
  else
    {
      const char *colon = memchr (d, ':', n);
      if (colon)
        hostlen = (size_t) (colon - d);
      size_t i = 0;
      while (i < hostlen)
        {
          size_t start = i;
          while (i < hostlen && d[i] != '.')
            i++;
          size_t clen = i - start;
          if (clen == 0 || !isalnum ((unsigned char) d[start]) || !isalnum ((unsigned char) d[i - 1]))
            return false;
          for (size_t k = start; k < i; k++)
            if (!isalnum ((unsigned char) d[k]) && d[k] != '-')
              return false;
          if (i < hostlen)
            i++; /* the dot */
          if (i == hostlen && d[i - 1] == '.')
            return false;
        }
    }
  if (hostlen == n)
    return hostlen > 0;
  if (d[hostlen] != ':' || hostlen + 1 == n)
    return false;
  for (size_t i = hostlen + 1; i < n; i++)
    if (!isdigit ((unsigned char) d[i]))
      return false;
  return true;
}

/* tag := [\w][\w.-]{0,127} */
static bool
valid_tag (const char *t)
{
  size_t n = strlen (t);
  if (n == 0 || n > REFERENCE_TAG_MAX || !(isalnum ((unsigned char) t[0]) || t[0] == '_'))
    return false;
  for (size_t i = 1; i < n; i++)
    if (!(isalnum ((unsigned char) t[i]) || t[i] == '_' || t[i] == '.' || t[i] == '-'))
      return false;
  return true;
}

static bool
has_upper (const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (isupper ((unsigned char) s[i]))
      return true;
  return false;
}

static bool
is_domain_component (const char *s, size_t n)
{
  return memchr (s, '.', n) || memchr (s, ':', n) || (n == 9 && memcmp (s, "localhost", 9) == 0) || has_upper (s, n);
}

char *
skiff_reference_normalize (const char *ref, skiff_error_t *err)
{
  if (ref == NULL || ref[0] == '\0')
    {
      skiff_error_set_status (err, EINVAL, "invalid reference format: the reference is empty");
      return NULL;
    }
  cleanup_free char *copy = xstrdup (ref);
  char *digest = strchr (copy, '@');
  if (digest)
    {
      *digest++ = '\0';
      const char *hex = str_has_prefix (digest, "sha256:") ? digest + 7 : NULL;
      if (hex == NULL || !skiff_hex_id_valid (hex))
        {
          skiff_error_set_status (err, EINVAL,
                                  "invalid reference format: `%s`: the digest must be sha256:<64 hex digits>", ref);
          return NULL;
        }
    }
  char *name = copy;
  char *tag = NULL;
  char *last_slash = strrchr (name, '/');
  char *colon = strrchr (last_slash ? last_slash : name, ':');
  if (colon)
    {
      *colon = '\0';
      tag = colon + 1;
      if (!valid_tag (tag))
        {
          skiff_error_set_status (err, EINVAL, "invalid reference format: `%s`: the tag `%s` is not valid", ref, tag);
          return NULL;
        }
    }
  if (name[0] == '\0')
    {
      skiff_error_set_status (err, EINVAL, "invalid reference format: `%s` has no repository name", ref);
      return NULL;
    }

  const char *domain = NULL;
  size_t domain_len = 0;
  char *path = name;
  char *first_slash = strchr (name, '/');
  if (first_slash && is_domain_component (name, (size_t) (first_slash - name)))
    {
      domain = name;
      domain_len = (size_t) (first_slash - name);
      path = first_slash + 1;
      if (!valid_domain (domain, domain_len))
        {
          skiff_error_set_status (err, EINVAL, "invalid reference format: `%s`: `%.*s` is not a valid registry name",
                                  ref, (int) domain_len, domain);
          return NULL;
        }
    }
  /* the repository path, one component at a time */
  for (const char *p = path;;)
    {
      const char *e = strchr (p, '/');
      size_t n = e ? (size_t) (e - p) : strlen (p);
      if (has_upper (p, n))
        {
          skiff_error_set_status (err, EINVAL, "invalid reference format: repository name must be lowercase (`%s`)",
                                  ref);
          return NULL;
        }
      if (!valid_path_component (p, n))
        {
          skiff_error_set_status (err, EINVAL,
                                  "invalid reference format: `%s`: `%.*s` is not a valid repository component", ref,
                                  (int) n, p);
          return NULL;
        }
      if (e == NULL)
        break;
      p = e + 1;
    }
  if (domain == NULL && skiff_hex_id_valid (path))
    {
      skiff_error_set_status (
          err, EINVAL, "invalid reference format: `%s`: a repository name cannot be a 64-character hexadecimal string",
          ref);
      return NULL;
    }

  cleanup_free char *full = NULL;
  if (domain == NULL)
    full = xasprintf ("localhost/%s", path);
  else if ((domain_len == 9 && memcmp (domain, "docker.io", 9) == 0)
           || (domain_len == 15 && memcmp (domain, "index.docker.io", 15) == 0))
    full = xasprintf ("docker.io/%s%s", strchr (path, '/') ? "" : "library/", path);
  else
    full = xasprintf ("%.*s/%s", (int) domain_len, domain, path);
  if (strlen (full) > REFERENCE_NAME_MAX)
    {
      skiff_error_set_status (err, EINVAL,
                              "invalid reference format: `%s`: repository name must not be more than %d characters",
                              ref, REFERENCE_NAME_MAX);
      return NULL;
    }
  const char *out_tag = (tag == NULL && digest == NULL) ? "latest" : tag;
  return xasprintf ("%s%s%s%s%s", full, out_tag ? ":" : "", out_tag ? out_tag : "", digest ? "@" : "",
                    digest ? digest : "");
}

bool
skiff_reference_is_short (const char *ref)
{
  const char *slash = strchr (ref, '/');
  return slash == NULL || !is_domain_component (ref, (size_t) (slash - ref));
}
