/* --userns: podman's syntax and errors, and the keep-id maps it builds over skiff's own user namespace
 * (pkg/util GetKeepIDMapping's rootless shape), their text form, and the record's round trip. */
#include <criterion/criterion.h>
#include <string.h>

#include "engine/internal.h"
#include "engine/userns.h"

static void
parse_fails (const char *s, const char *want)
{
  struct skiff_userns_spec u;
  skiff_error_t err = NULL;
  cr_assert_lt (skiff_spec_parse_userns (s, &u, &err), 0, "%s parsed", s);
  cr_assert_str_eq (err->msg, want, "%s", s);
  skiff_error_release (&err);
}

Test (userns, parse_modes)
{
  struct skiff_userns_spec u;
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_spec_parse_userns (NULL, &u, &err), 0);
  cr_assert_eq (u.mode, SKIFF_USERNS_HOST);
  cr_assert_eq (skiff_spec_parse_userns ("host", &u, &err), 0);
  cr_assert_eq (u.mode, SKIFF_USERNS_HOST);
  cr_assert_eq (skiff_spec_parse_userns ("", &u, &err), 0);
  cr_assert_eq (u.mode, SKIFF_USERNS_HOST);
  cr_assert_eq (skiff_spec_parse_userns ("keep-id", &u, &err), 0);
  cr_assert_eq (u.mode, SKIFF_USERNS_KEEP_ID);
  cr_assert (!u.uid_set && !u.gid_set);
  cr_assert_eq (skiff_spec_parse_userns ("keep-id:uid=10,gid=20", &u, &err), 0);
  cr_assert (u.uid_set && u.gid_set && u.uid == 10 && u.gid == 20);
  cr_assert_eq (skiff_spec_parse_userns ("keep-id:gid=7", &u, &err), 0);
  cr_assert (!u.uid_set && u.gid_set && u.gid == 7);
}

Test (userns, parse_errors_are_podmans)
{
  parse_fails ("foo", "unrecognized namespace mode foo passed");
  parse_fails ("nomap:x", "unrecognized namespace mode nomap:x passed");
  parse_fails ("keep-id:foo=1", "unknown option specified: \"foo=1\"");
  parse_fails ("keep-id:uid=x", "strconv.ParseUint: parsing \"x\": invalid syntax");
  parse_fails ("keep-id:uid=-1", "strconv.ParseUint: parsing \"-1\": invalid syntax");
  parse_fails ("keep-id:gid=4294967296", "strconv.ParseUint: parsing \"4294967296\": invalid syntax");
  parse_fails ("container:", "invalid config provided: namespace mode container requires a value");
  parse_fails ("ns:", "invalid config provided: namespace mode path requires a value");
  struct skiff_userns_spec u;
  skiff_error_t err = NULL;
  cr_assert_lt (skiff_spec_parse_userns ("auto", &u, &err), 0);
  cr_assert (strstr (err->msg, "not support"), "%s", err->msg);
  skiff_error_release (&err);
}

static void
expect_ranges (const struct skiff_idrange *r, size_t n, const char *want)
{
  char **v = skiff_userns_map_strv (r, n);
  char got[512] = "";
  for (size_t i = 0; v[i]; i++)
    {
      strcat (got, i ? " " : "");
      strcat (got, v[i]);
    }
  strv_free (v);
  cr_assert_str_eq (got, want);
}

Test (userns, keep_id_map_is_podmans)
{
  struct skiff_userns_spec u = { .mode = SKIFF_USERNS_KEEP_ID };
  struct skiff_idmap m;
  skiff_error_t err = NULL;
  /* as podman 4.3.1 shows it for uid 1035 with 65536 subordinate IDs */
  cr_assert_eq (skiff_userns_build_map (&u, 1035, 1035, 65537, 65537, &m, &err), 0);
  expect_ranges (m.uid, m.nuid, "0:1:1035 1035:0:1 1036:1036:64501");
  expect_ranges (m.gid, m.ngid, "0:1:1035 1035:0:1 1036:1036:64501");
  /* uid= and gid=, and a range smaller than the caller's ID */
  u = (struct skiff_userns_spec){
    .mode = SKIFF_USERNS_KEEP_ID, .uid_set = true, .uid = 10, .gid_set = true, .gid = 20
  };
  cr_assert_eq (skiff_userns_build_map (&u, 1035, 1035, 65537, 101, &m, &err), 0);
  expect_ranges (m.uid, m.nuid, "0:1:10 10:0:1 11:11:65526");
  expect_ranges (m.gid, m.ngid, "0:1:20 20:0:1 21:21:80");
  u = (struct skiff_userns_spec){ .mode = SKIFF_USERNS_KEEP_ID };
  cr_assert_eq (skiff_userns_build_map (&u, 70000, 70000, 65537, 65537, &m, &err), 0);
  expect_ranges (m.uid, m.nuid, "0:1:65536 70000:0:1");
  /* where IDs go, both ways */
  cr_assert_eq (skiff_userns_to_outside (&m, false, 70000), 0);
  cr_assert_eq (skiff_userns_to_outside (&m, false, 0), 1);
  cr_assert_eq (skiff_userns_to_outside (&m, false, 65536), -1);
  cr_assert_eq (skiff_userns_to_container (&m, true, 0), 70000);
  cr_assert_eq (skiff_userns_to_container (&m, true, 65536), 65535);
  cr_assert_eq (skiff_userns_to_container (&m, true, 65537), -1);
  /* host: no namespace of its own */
  u = (struct skiff_userns_spec){ .mode = SKIFF_USERNS_HOST };
  cr_assert_eq (skiff_userns_build_map (&u, 1035, 1035, 65537, 65537, &m, &err), 0);
  cr_assert_eq (m.nuid, 0);
}

Test (userns, keep_id_needs_a_subordinate_range)
{
  struct skiff_userns_spec u = { .mode = SKIFF_USERNS_KEEP_ID };
  struct skiff_idmap m;
  skiff_error_t err = NULL;
  cr_assert_lt (skiff_userns_build_map (&u, 1035, 1035, 1, 1, &m, &err), 0);
  cr_assert (strstr (err->msg, "keep-id requires additional UIDs or GIDs defined in /etc/subuid and /etc/subgid"), "%s",
             err->msg);
  skiff_error_release (&err);
  cr_assert_lt (skiff_userns_build_map (&u, 1035, 1035, 65537, 1, &m, &err), 0);
  skiff_error_release (&err);
}

Test (userns, map_text_round_trip_and_malformed)
{
  struct skiff_idrange r[SKIFF_MAX_IDRANGES];
  size_t n;
  char *ok[] = { (char *) "0:1:1035", (char *) "1035:0:1", NULL };
  cr_assert_eq (skiff_userns_map_parse_strv (ok, r, &n), 0);
  cr_assert_eq (n, 2);
  expect_ranges (r, n, "0:1:1035 1035:0:1");
  static const char *const bad[] = { "0:1", "0:1:0", "a:b:c", "0:1:2:3", "0:1:2x", "" };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    {
      char *v[] = { (char *) bad[i], NULL };
      cr_assert_lt (skiff_userns_map_parse_strv (v, r, &n), 0, "%s", bad[i]);
    }
}

Test (userns, record_round_trip)
{
  struct skiff_container c = { .id = "abc" };
  c.args = (char *[]){ (char *) "true", NULL };
  c.userns_mode = (char *) "keep-id";
  struct skiff_userns_spec u = { .mode = SKIFF_USERNS_KEEP_ID };
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_userns_build_map (&u, 1000, 1001, 65537, 65537, &c.idmap, &err), 0);
  char *text = skiff_container_to_json (&c);
  struct skiff_container *d = skiff_container_from_json (text, strlen (text), &err);
  cr_assert_not_null (d, "%s", err ? err->msg : "");
  cr_assert_str_eq (d->userns_mode, "keep-id");
  expect_ranges (d->idmap.uid, d->idmap.nuid, "0:1:1000 1000:0:1 1001:1001:64536");
  expect_ranges (d->idmap.gid, d->idmap.ngid, "0:1:1001 1001:0:1 1002:1002:64535");
  skiff_container_free (d);
  free (text);
  /* a record without them: skiff's own namespace */
  c.userns_mode = NULL;
  c.idmap.nuid = c.idmap.ngid = 0;
  text = skiff_container_to_json (&c);
  cr_assert_null (strstr (text, "UIDMap"));
  d = skiff_container_from_json (text, strlen (text), &err);
  cr_assert_not_null (d);
  cr_assert_null (d->userns_mode);
  cr_assert_eq (d->idmap.nuid, 0);
  skiff_container_free (d);
  free (text);
}
