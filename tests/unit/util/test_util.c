/* util: errors, strv, files */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "util/util.h"

Test (error, set_and_wrap)
{
  skiff_error_t err = NULL;
  int r = skiff_error_set (&err, ENOENT, "open `%s`", "x");
  cr_assert_lt (r, 0);
  cr_assert_str_eq (err->msg, "open `x`: No such file or directory");
  cr_assert_eq (err->exit_code, SKIFF_EXIT_ERROR);
  skiff_error_wrap (&err, "load %d", 1);
  cr_assert_str_eq (err->msg, "load 1: open `x`: No such file or directory");
  skiff_error_release (&err);
  cr_assert_null (err);
  skiff_error_set_code (&err, SKIFF_EXIT_NOT_FOUND, 0, "nope");
  cr_assert_eq (err->exit_code, 127);
  skiff_error_release (&err);
}

Test (error, set_status_carries_the_errno_without_strerror)
{
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_error_set_status (&err, EBUSY, "image %s is in use", "x"), -EBUSY);
  cr_assert_str_eq (err->msg, "image x is in use");
  cr_assert_eq (err->status, EBUSY);
  skiff_error_release (&err);
  /* no status is still a failure */
  cr_assert_lt (skiff_error_set_status (&err, 0, "plain"), 0);
  cr_assert_eq (err->status, 0);
  skiff_error_release (&err);
}

Test (strv, push_contains)
{
  cleanup_strv char **v = NULL;
  strv_push (&v, "a");
  strv_push (&v, "b");
  cr_assert_eq (strv_len (v), 2);
  cr_assert (strv_contains (v, "b"));
  cr_assert_not (strv_contains (v, "c"));
}

Test (str, to_llong)
{
  long long v;
  cr_assert (str_to_llong ("42", 0, 100, &v));
  cr_assert_eq (v, 42);
  cr_assert_not (str_to_llong ("42x", 0, 100, &v));
  cr_assert_not (str_to_llong ("101", 0, 100, &v));
  cr_assert_not (str_to_llong ("", 0, 100, &v));
}

Test (fs, atomic_write_and_rm_rf)
{
  char tmpl[] = "/tmp/skiff-ut-XXXXXX";
  cr_assert_not_null (mkdtemp (tmpl));
  skiff_error_t err = NULL;
  cleanup_free char *deep = xasprintf ("%s/a/b/c", tmpl);
  cr_assert_eq (mkdir_p (deep, 0755, &err), 0);
  cleanup_free char *f = xasprintf ("%s/a/b/file", tmpl);
  cr_assert_eq (write_file_atomic (f, "hello", 5, 0644, &err), 0);
  cleanup_free char *data = NULL;
  size_t len = 0;
  cr_assert_eq (read_file (f, &data, &len, &err), 0);
  cr_assert_eq (len, 5);
  cr_assert_str_eq (data, "hello");
  /* a symlink pointing outside must be removed, not followed */
  cleanup_free char *outside = xasprintf ("%s-outside", tmpl);
  cr_assert_eq (mkdir (outside, 0755), 0);
  cleanup_free char *keep = xasprintf ("%s/keep", outside);
  cr_assert_eq (write_file_atomic (keep, "k", 1, 0644, &err), 0);
  cleanup_free char *link = xasprintf ("%s/a/link", tmpl);
  cr_assert_eq (symlink (outside, link), 0);
  /* a directory without permissions is still removed */
  cleanup_free char *locked = xasprintf ("%s/a/b/c", tmpl);
  cr_assert_eq (chmod (locked, 0), 0);
  cr_assert_eq (rm_rf (tmpl, &err), 0, "%s", err ? err->msg : "");
  cr_assert_not (path_exists (tmpl));
  cr_assert (path_exists (keep));
  cr_assert_eq (rm_rf (outside, &err), 0);
  /* missing is fine */
  cr_assert_eq (rm_rf (tmpl, &err), 0);
}

Test (fs, read_missing_names_the_path)
{
  skiff_error_t err = NULL;
  char *data = NULL;
  cr_assert_lt (read_file ("/nonexistent/skiff", &data, NULL, &err), 0);
  cr_assert_not_null (strstr (err->msg, "/nonexistent/skiff"));
  cr_assert_eq (err->status, ENOENT);
  skiff_error_release (&err);
}

Test (misc, random_id)
{
  char a[65], b[65];
  cr_assert_eq (random_hex_id (a, NULL), 0);
  cr_assert_eq (random_hex_id (b, NULL), 0);
  cr_assert_eq (strlen (a), 64);
  cr_assert_str_neq (a, b);
  for (size_t i = 0; i < 64; i++)
    cr_assert (strchr ("0123456789abcdef", a[i]), "%s", a);
}

Test (misc, hex_encode)
{
  char out[9];
  hex_encode ((const unsigned char[]){ 0x00, 0x9f, 0xa0, 0xff }, 4, out);
  cr_assert_str_eq (out, "009fa0ff");
  hex_encode ("", 0, out);
  cr_assert_str_eq (out, "");
}
