/* util/tarpath.c: the one normaliser of tar member names and link targets (layers and `load`). */
#include <criterion/criterion.h>

#include "util/tarpath.h"
#include "util/util.h"

static void
expect_clean (const char *raw, const char *want)
{
  char *out = (char *) 1;
  int r = skiff_tar_path_clean (raw, &out);
  cr_assert_eq (r, 0, "`%s`: refused (%d)", raw, r);
  cr_assert_str_eq (out, want, "`%s`", raw);
  free (out);
}

static void
expect_refused (const char *raw, int want)
{
  char *out = (char *) 1;
  cr_assert_eq (skiff_tar_path_clean (raw, &out), want, "`%s`", raw);
  cr_assert_null (out, "`%s`: no result on failure", raw);
}

Test (tarpath, clean_names)
{
  expect_clean ("a/b", "a/b");
  expect_clean ("./a/./b/", "a/b");
  expect_clean ("/abs//x", "abs/x");
  expect_clean ("", "");
  expect_clean (".", "");
  expect_clean ("./", "");
  expect_clean ("///", "");
  expect_clean ("a/..", "");
  expect_clean ("a/../b", "b");
  expect_clean ("a/b/../../c/d/..", "c");
  expect_clean ("a/.../b", "a/.../b"); /* "..." is a name */
  expect_clean ("a/..b/c..", "a/..b/c..");
  expect_clean ("d/.wh..", "d/.wh..");
}

Test (tarpath, dotdot_above_the_root_is_refused)
{
  expect_refused ("..", -EPERM);
  expect_refused ("../x", -EPERM);
  expect_refused ("/../x", -EPERM); /* an absolute name is relative to the root too */
  expect_refused ("a/../../x", -EPERM);
  expect_refused ("/abs/../../x", -EPERM);
  expect_refused ("./a/b/../../..", -EPERM);
}

Test (tarpath, long_names_are_refused)
{
  char *longname = xmalloc (SKIFF_TAR_PATH_MAX + 2);
  memset (longname, 'a', SKIFF_TAR_PATH_MAX + 1);
  longname[SKIFF_TAR_PATH_MAX + 1] = '\0';
  expect_refused (longname, -ENAMETOOLONG);
  longname[SKIFF_TAR_PATH_MAX] = '\0';
  char *out = NULL;
  cr_assert_eq (skiff_tar_path_clean (longname, &out), 0);
  free (out);
  free (longname);
}

Test (tarpath, link_targets)
{
  char *out = NULL;
  /* docker save: a layer shared by two images is a symlink to the first copy */
  cr_assert_eq (skiff_tar_link_resolve ("b/layer.tar", "../a/layer.tar", &out), 0);
  cr_assert_str_eq (out, "a/layer.tar");
  free (out);
  cr_assert_eq (skiff_tar_link_resolve ("top", "x/./y", &out), 0);
  cr_assert_str_eq (out, "x/y");
  free (out);
  cr_assert_eq (skiff_tar_link_resolve ("a/b/c", "/abs", &out), 0);
  cr_assert_str_eq (out, "abs");
  free (out);
  cr_assert_eq (skiff_tar_link_resolve ("a/b", "../../x", &out), -EPERM);
  cr_assert_null (out);
  cr_assert_eq (skiff_tar_link_resolve ("top", "../x", &out), -EPERM);
}
