/* The registry client's pure parts: references, WWW-Authenticate, platform selection, digests, base64, and the
 * deterministic layer tar. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/registry.h"
#include "oci/digest.h"

Test (registry, reference_parse)
{
  struct skiff_image_ref r;
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_image_ref_parse ("127.0.0.1:5000/foo/bar", &r, &err), 0);
  cr_assert_str_eq (r.registry, "127.0.0.1:5000");
  cr_assert_str_eq (r.repository, "foo/bar");
  cr_assert_str_eq (r.tag, "latest");
  cr_assert_null (r.digest);
  char *s = skiff_image_ref_string (&r);
  cr_assert_str_eq (s, "127.0.0.1:5000/foo/bar:latest");
  free (s);
  char *url = skiff_registry_url ("http", r.registry, r.repository, "manifests", r.tag);
  cr_assert_str_eq (url, "http://127.0.0.1:5000/v2/foo/bar/manifests/latest");
  free (url);
  skiff_image_ref_release (&r);

  cr_assert_eq (skiff_image_ref_parse ("docker://docker.io/busybox:1.36", &r, &err), 0);
  cr_assert_str_eq (r.repository, "library/busybox");
  cr_assert_str_eq (r.tag, "1.36");
  url = skiff_registry_url ("https", r.registry, r.repository, "blobs", "sha256:00");
  cr_assert_str_eq (url, "https://registry-1.docker.io/v2/library/busybox/blobs/sha256:00");
  free (url);
  skiff_image_ref_release (&r);

  const char *dg = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  char in[160];
  snprintf (in, sizeof in, "localhost:5000/x@%s", dg);
  cr_assert_eq (skiff_image_ref_parse (in, &r, &err), 0);
  cr_assert_null (r.tag);
  cr_assert_str_eq (r.digest, dg);
  s = skiff_image_ref_string (&r);
  cr_assert_str_eq (s, in);
  free (s);
  skiff_image_ref_release (&r);

  cr_assert_lt (skiff_image_ref_parse ("busybox", &r, &err), 0);
  cr_assert (strstr (err->msg, "short-name"), "%s", err->msg);
  skiff_error_release (&err);
  cr_assert_lt (skiff_image_ref_parse ("quay.io/Upper/x", &r, &err), 0);
  skiff_error_release (&err);
  cr_assert_lt (skiff_image_ref_parse ("quay.io/x:bad!tag", &r, &err), 0);
  skiff_error_release (&err);
  cr_assert_lt (skiff_image_ref_parse ("quay.io/x@sha256:abc", &r, &err), 0);
  skiff_error_release (&err);
}

Test (registry, www_authenticate)
{
  struct skiff_auth_challenge c;
  skiff_error_t err = NULL;
  cr_assert_eq (
      skiff_www_authenticate_parse ("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
                                    "scope=\"repository:library/busybox:pull\"",
                                    &c, &err),
      0);
  cr_assert_str_eq (c.scheme, "Bearer");
  cr_assert_str_eq (c.realm, "https://auth.docker.io/token");
  cr_assert_str_eq (c.service, "registry.docker.io");
  cr_assert_str_eq (c.scope, "repository:library/busybox:pull");
  skiff_auth_challenge_release (&c);
  cr_assert_eq (skiff_www_authenticate_parse ("Basic realm=\"Registry \\\"Realm\\\"\"", &c, &err), 0);
  cr_assert_str_eq (c.scheme, "Basic");
  cr_assert_str_eq (c.realm, "Registry \"Realm\"");
  cr_assert_null (c.service);
  skiff_auth_challenge_release (&c);
  cr_assert_eq (skiff_www_authenticate_parse ("bearer realm=http://x/t , scope=a:b:pull,push", &c, &err), 0);
  cr_assert_str_eq (c.realm, "http://x/t");
  cr_assert_str_eq (c.scope, "a:b:pull");
  skiff_auth_challenge_release (&c);
  cr_assert_lt (skiff_www_authenticate_parse ("Bearer service=\"x\"", &c, &err), 0);
  cr_assert (strstr (err->msg, "realm"), "%s", err->msg);
  skiff_error_release (&err);
  cr_assert_lt (skiff_www_authenticate_parse ("Bearer realm=\"open", &c, &err), 0);
  skiff_error_release (&err);
  cr_assert_lt (skiff_www_authenticate_parse ("", &c, &err), 0);
  skiff_error_release (&err);
}

static const char index_json[]
    = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
      "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:"
      "1111111111111111111111111111111111111111111111111111111111111111\",\"size\":1,"
      "\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
      "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:"
      "2222222222222222222222222222222222222222222222222222222222222222\",\"size\":1,"
      "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v6\"}},"
      "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:"
      "3333333333333333333333333333333333333333333333333333333333333333\",\"size\":1,"
      "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v7\"}},"
      "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:"
      "4444444444444444444444444444444444444444444444444444444444444444\",\"size\":1,"
      "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}}]}";

Test (registry, platform_selection)
{
  struct skiff_oci_index *idx = NULL;
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_oci_index_parse (index_json, strlen (index_json), &idx, &err), 0);
  cr_assert (skiff_manifest_is_index (NULL, index_json, strlen (index_json)));
  cr_assert (skiff_manifest_is_index ("application/vnd.docker.distribution.manifest.list.v2+json", "{}", 2));
  cr_assert (!skiff_manifest_is_index ("application/vnd.oci.image.manifest.v1+json", index_json, strlen (index_json)));
  size_t i;
  cr_assert_eq (skiff_index_select (idx, "linux", "amd64", NULL, &i, &err), 0);
  cr_assert_eq (i, 0);
  cr_assert_eq (skiff_index_select (idx, "linux", "arm", "v7", &i, &err), 0);
  cr_assert_eq (i, 2);
  cr_assert_eq (skiff_index_select (idx, "linux", "arm64", NULL, &i, &err), 0);
  cr_assert_eq (i, 3);
  cr_assert_eq (skiff_index_select (idx, "linux", "arm64", "v8", &i, &err), 0);
  cr_assert_eq (i, 3);
  cr_assert_lt (skiff_index_select (idx, "linux", "s390x", NULL, &i, &err), 0);
  cr_assert (strstr (err->msg, "linux/arm/v7") && strstr (err->msg, "s390x"), "%s", err->msg);
  skiff_error_release (&err);
  cr_assert_lt (skiff_index_select (idx, "windows", "amd64", NULL, &i, &err), 0);
  skiff_error_release (&err);
  skiff_oci_index_free (idx);

  char *os, *arch, *variant;
  cr_assert_eq (skiff_platform_parse ("linux/arm/v7", &os, &arch, &variant, &err), 0);
  cr_assert_str_eq (os, "linux");
  cr_assert_str_eq (arch, "arm");
  cr_assert_str_eq (variant, "v7");
  free (os), free (arch), free (variant);
  cr_assert_eq (skiff_platform_parse ("linux/amd64", &os, &arch, &variant, &err), 0);
  cr_assert_null (variant);
  free (os), free (arch);
  cr_assert_lt (skiff_platform_parse ("linux", &os, &arch, &variant, &err), 0);
  skiff_error_release (&err);
  cr_assert_lt (skiff_platform_parse ("linux/a/b/c", &os, &arch, &variant, &err), 0);
  skiff_error_release (&err);
}

Test (registry, digest_verify_and_base64)
{
  skiff_error_t err = NULL;
  const char *d = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"; /* "hello" */
  cr_assert_eq (skiff_digest_verify ("hello", 5, d, "blob", &err), 0);
  cr_assert_lt (skiff_digest_verify ("hellO", 5, d, "blob x", &err), 0);
  cr_assert (strstr (err->msg, "digest mismatch for blob x") && strstr (err->msg, d), "%s", err->msg);
  skiff_error_release (&err);
  cr_assert_lt (skiff_digest_verify ("hello", 5, "sha512:abc", "blob", &err), 0);
  skiff_error_release (&err);

  char *e = skiff_base64_encode ("user:pa:ss", 10);
  cr_assert_str_eq (e, "dXNlcjpwYTpzcw==");
  size_t n;
  char *dec = skiff_base64_decode (e, &n);
  cr_assert_eq (n, 10);
  cr_assert_str_eq (dec, "user:pa:ss");
  free (e);
  free (dec);
  e = skiff_base64_encode ("ab", 2);
  cr_assert_str_eq (e, "YWI=");
  free (e);
  cr_assert_null (skiff_base64_decode ("not base64!", NULL));
}

/* The same tree tars to the same bytes; whiteout devices are not creatable here without privileges, so the
 * tree has files, a directory, a symlink and a hard link. */
Test (registry, layer_tar_deterministic)
{
  char dir[] = "/tmp/skiff-unit-tar-XXXXXX";
  cr_assert (mkdtemp (dir));
  char p[256];
  snprintf (p, sizeof p, "%s/b", dir);
  mkdir (p, 0755);
  snprintf (p, sizeof p, "%s/b/file", dir);
  FILE *f = fopen (p, "w");
  fputs ("content\n", f);
  fclose (f);
  char q[256];
  snprintf (q, sizeof q, "%s/a-link", dir);
  cr_assert_eq (link (p, q), 0);
  snprintf (q, sizeof q, "%s/sym", dir);
  cr_assert_eq (symlink ("b/file", q), 0);
  int dfd = open (dir, O_RDONLY | O_DIRECTORY);
  char h1[65], h2[65];
  uint64_t s1, s2;
  skiff_error_t err = NULL;
  char out[300];
  snprintf (out, sizeof out, "%s.tar", dir);
  int fd = open (out, O_RDWR | O_CREAT | O_TRUNC, 0600);
  cr_assert_eq (skiff_layer_tar (dfd, fd, h1, &s1, &err), 0);
  int fd2 = open ("/dev/null", O_WRONLY);
  cr_assert_eq (skiff_layer_tar (dfd, fd2, h2, &s2, &err), 0);
  cr_assert_str_eq (h1, h2);
  cr_assert_eq (s1, s2);
  cr_assert_eq (s1 % 512, 0);
  char hf[65];
  lseek (fd, 0, SEEK_SET);
  cr_assert_eq (skiff_sha256_fd (fd, hf, NULL, &err), 0);
  cr_assert_str_eq (hf, h1);
  close (fd);
  close (fd2);
  close (dfd);
  /* entries sorted, the hard link after its first name, parsed by tar */
  char cmd[700];
  snprintf (cmd, sizeof cmd, "tar -tvf %s > %s.list", out, dir);
  cr_assert_eq (system (cmd), 0);
  snprintf (cmd, sizeof cmd, "%s.list", dir);
  f = fopen (cmd, "r");
  char buf[4096] = "";
  size_t got = fread (buf, 1, sizeof buf - 1, f);
  buf[got] = '\0';
  fclose (f);
  char *a = strstr (buf, " a-link\n"), *b = strstr (buf, " b/\n"), *bf = strstr (buf, "b/file link to a-link"),
       *sy = strstr (buf, " sym -> b/file");
  cr_assert (a && b && bf && sy && a < b && b < bf && bf < sy, "%s", buf);
  snprintf (cmd, sizeof cmd, "rm -rf %s %s.tar %s.list", dir, dir, dir);
  cr_assert_eq (system (cmd), 0);
}
