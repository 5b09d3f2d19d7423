/* storage: image references, normalized as podman does or refused with "invalid reference format". */
#include <criterion/criterion.h>

#include "storage/storage.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

Test (reference, normalizes_like_podman)
{
  static const struct
  {
    const char *in, *out;
  } cases[] = {
    { "foo", "localhost/foo:latest" },
    { "foo:1.0", "localhost/foo:1.0" },
    { "library/foo", "localhost/library/foo:latest" },
    { "docker.io/foo", "docker.io/library/foo:latest" },
    { "docker.io/library/foo:2", "docker.io/library/foo:2" },
    { "index.docker.io/foo/bar", "docker.io/foo/bar:latest" },
    { "quay.io/a/b", "quay.io/a/b:latest" },
    { "localhost/foo", "localhost/foo:latest" },
    { "localhost:5000/foo:tag", "localhost:5000/foo:tag" },
    { "my-host.example.com:5000/a/b/c", "my-host.example.com:5000/a/b/c:latest" },
    { "Registry.Example/foo", "Registry.Example/foo:latest" },
    { "[::1]:5000/foo", "[::1]:5000/foo:latest" },
    { "a_b/c__d/e---f/g.h", "localhost/a_b/c__d/e---f/g.h:latest" },
    { "foo:_Tag.1-x", "localhost/foo:_Tag.1-x" },
    { "foo@sha256:" HEX64, "localhost/foo@sha256:" HEX64 },
    { "foo:v1@sha256:" HEX64, "localhost/foo:v1@sha256:" HEX64 },
    { "localhost:5000", "localhost/localhost:5000" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
    {
      skiff_error_t err = NULL;
      char *r = skiff_reference_normalize (cases[i].in, &err);
      cr_assert_not_null (r, "%s: %s", cases[i].in, err ? err->msg : "");
      cr_assert_str_eq (r, cases[i].out, "%s", cases[i].in);
      free (r);
    }
}

Test (reference, refuses_malformed)
{
  char long_tag[140], long_name[300];
  memset (long_tag, 'a', sizeof long_tag);
  strcpy (long_tag, "foo:");
  memset (long_tag + 4, 't', 129);
  long_tag[133] = '\0';
  memset (long_name, 'a', 260);
  long_name[260] = '\0';
  static const struct
  {
    const char *in, *why;
  } cases[] = {
    { "", "empty" },
    { "Foo", "must be lowercase" },
    { "foo/Bar", "must be lowercase" },
    { "foo:", "tag" },
    { "foo:-x", "tag" },
    { "foo@sha256:abc", "digest" },
    { "foo@md5:" HEX64, "digest" },
    { "-foo", "component" },
    { "foo-", "component" },
    { "a___b", "component" },
    { "a.-b", "component" },
    { "foo//bar", "component" },
    { "foo/", "component" },
    { "/foo", "component" },
    { "fo o", "component" },
    { "foo:bar:baz", "component" },
    { "example.com:port/foo", "registry" },
    { "-bad.com/foo", "registry" },
    { HEX64, "64-character hexadecimal" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
    {
      skiff_error_t err = NULL;
      char *r = skiff_reference_normalize (cases[i].in, &err);
      cr_assert_null (r, "`%s` was accepted as `%s`", cases[i].in, r);
      cr_assert (str_has_prefix (err->msg, "invalid reference format"), "%s: %s", cases[i].in, err->msg);
      cr_assert_not_null (strstr (err->msg, cases[i].why), "%s: %s", cases[i].in, err->msg);
      cr_assert_eq (err->status, EINVAL);
      cr_assert_null (strstr (err->msg, "Invalid argument"), "no strerror suffix: %s", err->msg);
      skiff_error_release (&err);
    }
  const char *lengths[] = { long_tag, long_name };
  for (size_t i = 0; i < ARRAY_SIZE (lengths); i++)
    {
      skiff_error_t err = NULL;
      cr_assert_null (skiff_reference_normalize (lengths[i], &err), "%zu", i);
      cr_assert (str_has_prefix (err->msg, "invalid reference format"));
      skiff_error_release (&err);
    }
}

Test (reference, short_names)
{
  cr_assert (skiff_reference_is_short ("foo"));
  cr_assert (skiff_reference_is_short ("library/foo:1"));
  cr_assert_not (skiff_reference_is_short ("docker.io/foo"));
  cr_assert_not (skiff_reference_is_short ("localhost/foo"));
  cr_assert_not (skiff_reference_is_short ("host:5000/foo"));
}
