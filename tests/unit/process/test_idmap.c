/* runtime/userns.c: subordinate ranges from files (the libsubid path is skipped by the override). */
#include <criterion/criterion.h>

#include "runtime/runtime.h"

static char dir[64];

static void
write_files (const char *subuid, const char *subgid)
{
  strcpy (dir, "/tmp/skiff-ut-subid-XXXXXX");
  cr_assert_not_null (mkdtemp (dir));
  cleanup_free char *u = path_join (dir, "subuid");
  cleanup_free char *g = path_join (dir, "subgid");
  cr_assert_eq (write_file_atomic (u, subuid, strlen (subuid), 0644, NULL), 0);
  cr_assert_eq (write_file_atomic (g, subgid, strlen (subgid), 0644, NULL), 0);
  setenv ("SKIFF_SUBUID_FILE", u, 1);
  setenv ("SKIFF_SUBGID_FILE", g, 1);
}

Test (idmap, ranges_by_name_and_by_uid)
{
  write_files ("other:200000:65536\nalice:100000:65536\n1234:300000:1000\n", "alice:100000:65536\n");
  struct skiff_idmap m;
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_idmap_for_user (1234, 1234, "alice", &m, &err), 0);
  cr_assert_not (m.single);
  cr_assert_eq (m.nuid, 3);
  cr_assert_eq (m.uid[0].inside, 0);
  cr_assert_eq (m.uid[0].outside, 1234);
  cr_assert_eq (m.uid[0].count, 1);
  cr_assert_eq (m.uid[1].inside, 1);
  cr_assert_eq (m.uid[1].outside, 100000);
  cr_assert_eq (m.uid[1].count, 65536);
  /* a second range continues where the first ended inside */
  cr_assert_eq (m.uid[2].inside, 65537);
  cr_assert_eq (m.uid[2].outside, 300000);
  cr_assert_eq (m.ngid, 2);
  rm_rf (dir, NULL);
}

Test (idmap, no_range_is_single)
{
  write_files ("other:200000:65536\n", "other:200000:65536\n");
  struct skiff_idmap m;
  cr_assert_eq (skiff_idmap_for_user (1000, 1000, "alice", &m, NULL), 0);
  cr_assert (m.single);
  cr_assert_eq (m.nuid, 1);
  cr_assert_eq (m.ngid, 1);
  rm_rf (dir, NULL);
}

Test (idmap, malformed_lines_are_skipped)
{
  write_files ("alice\nalice:x:1\nalice:100000:0\nalice:100000:10\n", "alice:100000:10\n");
  struct skiff_idmap m;
  cr_assert_eq (skiff_idmap_for_user (1000, 1000, "alice", &m, NULL), 0);
  cr_assert_eq (m.nuid, 2);
  cr_assert_eq (m.uid[1].count, 10);
  rm_rf (dir, NULL);
}
