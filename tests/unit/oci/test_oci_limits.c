/* Input from outside, oci's part. JSON (image configs, manifests, indexes, seccomp profiles): json-c's tokener
 * stops at its default depth (JSON_TOKENER_DEFAULT_DEPTH, 32), so a document nested 100,000 levels deep is an
 * error, not a stack overflow in the parser or in json_object_put; these guard that every parser keeps that
 * limit (issue #9). And `import --change EXPOSE` of a wide range, which the fuzzer found quadratic. */
#include <criterion/criterion.h>

#include "oci/image.h"
#include "runtime/seccomp.h"

static char *
deep_json (size_t depth)
{
  char *s = xmalloc (2 * depth + 8);
  size_t n = 0;
  s[n++] = '{';
  s[n++] = '"';
  s[n++] = 'x'; /* {"x":[[[...]]]} */
  s[n++] = '"';
  s[n++] = ':';
  for (size_t i = 0; i < depth; i++)
    s[n++] = '[';
  for (size_t i = 0; i < depth; i++)
    s[n++] = ']';
  s[n++] = '}';
  s[n] = '\0';
  return s;
}

Test (json_depth, oci_documents_refuse_deep_nesting, .timeout = 10)
{
  cleanup_free char *deep = deep_json (100000);
  size_t len = strlen (deep);
  skiff_error_t err = NULL;
  struct skiff_image_config *c = NULL;
  cr_assert_lt (skiff_image_config_parse (deep, len, &c, &err), 0);
  cr_assert (strstr (err->msg, "nesting too deep") != NULL, "%s", err->msg);
  skiff_error_release (&err);
  struct skiff_oci_manifest *m = NULL;
  cr_assert_lt (skiff_oci_manifest_parse (deep, len, &m, &err), 0);
  cr_assert (strstr (err->msg, "nesting too deep") != NULL, "%s", err->msg);
  skiff_error_release (&err);
  struct skiff_oci_index *idx = NULL;
  cr_assert_lt (skiff_oci_index_parse (deep, len, &idx, &err), 0);
  cr_assert (strstr (err->msg, "nesting too deep") != NULL, "%s", err->msg);
  skiff_error_release (&err);
  /* the tokener's own limit, which the parsers above rely on */
  cr_assert_null (json_tokener_parse (deep));
  cleanup_free char *ok = deep_json (JSON_TOKENER_DEFAULT_DEPTH - 2);
  json_object *o = json_tokener_parse (ok);
  cr_assert_not_null (o);
  json_object_put (o);
}

Test (json_depth, seccomp_profiles_refuse_deep_nesting, .timeout = 10)
{
  cleanup_free char *deep = deep_json (100000);
  struct skiff_seccomp *f = NULL;
  skiff_error_t err = NULL;
  cr_assert_lt (skiff_seccomp_compile (deep, 0, NULL, &f, &err), 0);
  cr_assert (strstr (err->msg, "seccomp profile: invalid JSON") != NULL, "%s", err->msg);
  cr_assert (strstr (err->msg, "nesting too deep") != NULL, "%s", err->msg);
  skiff_error_release (&err);
}

/* found by the image_config fuzzer: each port of a range was looked up in the list, O(n^2) */
Test (oci_limits, expose_a_wide_range, .timeout = 10)
{
  struct skiff_image_config *c = skiff_image_config_new ();
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_image_config_apply_change (c, "EXPOSE 80/tcp 1-65535 1-65535/udp 443", &err), 0, "%s",
                err ? err->msg : "");
  cr_assert_eq (strv_len (c->exposed_ports), 2 * 65535);
  cr_assert_str_eq (c->exposed_ports[0], "80/tcp");
  cr_assert_str_eq (c->exposed_ports[1], "1/tcp");
  cr_assert_str_eq (c->exposed_ports[65535], "1/udp");
  cr_assert_lt (skiff_image_config_apply_change (c, "EXPOSE 0-70000", &err), 0);
  skiff_error_release (&err);
  skiff_image_config_free (c);
}

/* found by the image_config fuzzer too: a config's keys were pushed one by one (each push rescanned the
 * list), so an image config from a registry with a few hundred thousand ports never finished parsing */
Test (oci_limits, configs_with_many_keys)
{
  size_t n = 300000;
  char *json = xmalloc (n * 24 + 128);
  size_t len = (size_t) sprintf (json, "{\"config\":{\"ExposedPorts\":{");
  for (size_t i = 0; i < n; i++)
    len += (size_t) sprintf (json + len, "%s\"%zu/tcp\":{}", i ? "," : "", i + 1);
  len += (size_t) sprintf (json + len, "},\"Labels\":{\"a\":\"b\"}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}");
  struct skiff_image_config *c = NULL;
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_image_config_parse (json, len, &c, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (strv_len (c->exposed_ports), n);
  /* and as many words in one EXPOSE */
  size_t w = 60000;
  char *change = xmalloc (w * 12 + 16);
  size_t cl = (size_t) sprintf (change, "EXPOSE");
  for (size_t i = 0; i < w; i++)
    cl += (size_t) sprintf (change + cl, " %zu/udp", i + 1);
  cr_assert_eq (skiff_image_config_apply_change (c, change, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (strv_len (c->exposed_ports), n + w);
  skiff_image_config_free (c);
  free (change);
  free (json);
}
