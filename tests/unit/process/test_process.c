/* runtime/process.c: users from the container's files, ulimits, executable lookup, environment. */
#include <criterion/criterion.h>
#include <sys/stat.h>

#include "runtime/process.h"

static char root[64];

static void
make_root (void)
{
  strcpy (root, "/tmp/skiff-ut-root-XXXXXX");
  cr_assert_not_null (mkdtemp (root));
  skiff_error_t err = NULL;
  cleanup_free char *etc = path_join (root, "etc");
  cr_assert_eq (mkdir_p (etc, 0755, &err), 0);
  const char *passwd = "root:x:0:0:root:/root:/bin/sh\n"
                       "# a comment\n"
                       "www-data:x:33:33:www-data:/var/www:/bin/sh\n"
                       "tester:x:1000:1000::/home/tester:/bin/sh\n";
  const char *group = "root:x:0:\nwww-data:x:33:\nstaff:x:50:tester,other\ndocker:x:60:other,tester\ntester:x:1000:\n";
  cleanup_free char *p = path_join (root, "etc/passwd");
  cleanup_free char *g = path_join (root, "etc/group");
  cr_assert_eq (write_file_atomic (p, passwd, strlen (passwd), 0644, &err), 0);
  cr_assert_eq (write_file_atomic (g, group, strlen (group), 0644, &err), 0);
}

static void
drop_root (void)
{
  rm_rf (root, NULL);
}

TestSuite (user, .init = make_root, .fini = drop_root);

Test (user, by_name)
{
  struct skiff_user u;
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_user_resolve (root, "www-data", &u, &err), 0);
  cr_assert_eq (u.uid, 33);
  cr_assert_eq (u.gid, 33);
  cr_assert_str_eq (u.home, "/var/www");
  cr_assert_eq (u.ngroups, 0);
  skiff_user_release (&u);
}

Test (user, supplementary_groups)
{
  struct skiff_user u;
  cr_assert_eq (skiff_user_resolve (root, "tester", &u, NULL), 0);
  cr_assert_eq (u.uid, 1000);
  cr_assert_eq (u.ngroups, 2);
  cr_assert_eq (u.groups[0], 50);
  cr_assert_eq (u.groups[1], 60);
  skiff_user_release (&u);
}

Test (user, numeric_and_group)
{
  struct skiff_user u;
  cr_assert_eq (skiff_user_resolve (root, "4242", &u, NULL), 0);
  cr_assert_eq (u.uid, 4242);
  cr_assert_eq (u.gid, 0);
  cr_assert_str_eq (u.home, "/");
  skiff_user_release (&u);
  cr_assert_eq (skiff_user_resolve (root, "33:staff", &u, NULL), 0);
  cr_assert_eq (u.uid, 33);
  cr_assert_eq (u.gid, 50);
  skiff_user_release (&u);
  cr_assert_eq (skiff_user_resolve (root, "www-data:7", &u, NULL), 0);
  cr_assert_eq (u.gid, 7);
  skiff_user_release (&u);
  cr_assert_eq (skiff_user_resolve (root, NULL, &u, NULL), 0);
  cr_assert_eq (u.uid, 0);
  cr_assert_str_eq (u.home, "/root");
  skiff_user_release (&u);
}

Test (user, unknown_names_fail_clearly)
{
  struct skiff_user u;
  skiff_error_t err = NULL;
  cr_assert_lt (skiff_user_resolve (root, "nobody-here", &u, &err), 0);
  cr_assert_not_null (strstr (err->msg, "unable to find user nobody-here"));
  skiff_error_release (&err);
  skiff_user_release (&u);
  cr_assert_lt (skiff_user_resolve (root, "root:nogroup", &u, &err), 0);
  cr_assert_not_null (strstr (err->msg, "unable to find group nogroup"));
  skiff_error_release (&err);
  skiff_user_release (&u);
  /* a prefix of a name is not the name */
  cr_assert_lt (skiff_user_resolve (root, "www", &u, &err), 0);
  skiff_error_release (&err);
  skiff_user_release (&u);
}

Test (rlimit, parse)
{
  struct skiff_rlimit r;
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_rlimit_parse ("nofile=1024:2048", &r, &err), 0);
  cr_assert_eq (r.resource, RLIMIT_NOFILE);
  cr_assert_eq (r.limit.rlim_cur, 1024);
  cr_assert_eq (r.limit.rlim_max, 2048);
  cr_assert_eq (skiff_rlimit_parse ("NPROC=10", &r, &err), 0);
  cr_assert_eq (r.resource, RLIMIT_NPROC);
  cr_assert_eq (r.limit.rlim_max, 10);
  cr_assert_eq (skiff_rlimit_parse ("core=-1", &r, &err), 0);
  cr_assert_eq (r.limit.rlim_cur, RLIM_INFINITY);
  cr_assert_lt (skiff_rlimit_parse ("nofile=2048:1024", &r, &err), 0);
  skiff_error_release (&err);
  cr_assert_lt (skiff_rlimit_parse ("bogus=1", &r, &err), 0);
  cr_assert_not_null (strstr (err->msg, "bogus"));
  skiff_error_release (&err);
  cr_assert_lt (skiff_rlimit_parse ("nofile", &r, &err), 0);
  skiff_error_release (&err);
  cr_assert_lt (skiff_rlimit_parse ("nofile=abc", &r, &err), 0);
  skiff_error_release (&err);
}

Test (rlimit, check_against_hard_limit)
{
  struct rlimit cur;
  getrlimit (RLIMIT_NOFILE, &cur);
  if (cur.rlim_max == RLIM_INFINITY)
    cr_skip ("the hard nofile limit is unlimited here");
  struct skiff_rlimit r = { RLIMIT_NOFILE, { cur.rlim_max, cur.rlim_max } };
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_rlimit_check (&r, &err), 0);
  r.limit.rlim_max = cur.rlim_max + 1;
  cr_assert_lt (skiff_rlimit_check (&r, &err), 0);
  cr_assert_not_null (strstr (err->msg, "hard limit"));
  skiff_error_release (&err);
}

Test (exec, lookup_codes)
{
  skiff_error_t err = NULL;
  char *out = NULL;
  cr_assert_eq (skiff_find_executable ("sh", "/nonexistent:/bin", &out, &err), 0);
  cr_assert_str_eq (out, "/bin/sh");
  free (out);
  cr_assert_lt (skiff_find_executable ("no-such-command-here", "/bin", &out, &err), 0);
  cr_assert_eq (err->exit_code, 127);
  skiff_error_release (&err);
  cr_assert_lt (skiff_find_executable ("/etc/passwd", NULL, &out, &err), 0);
  cr_assert_eq (err->exit_code, 126);
  skiff_error_release (&err);
  cr_assert_lt (skiff_find_executable ("/no/such/file", NULL, &out, &err), 0);
  cr_assert_eq (err->exit_code, 127);
  skiff_error_release (&err);
  cr_assert_lt (skiff_find_executable ("/tmp", NULL, &out, &err), 0);
  cr_assert_eq (err->exit_code, 126);
  skiff_error_release (&err);
}

Test (env, get_set)
{
  cleanup_strv char **env = NULL;
  skiff_env_set (&env, "A", "1", false);
  skiff_env_set (&env, "A", "2", false);
  cr_assert_str_eq (skiff_env_get (env, "A"), "1");
  skiff_env_set (&env, "A", "3", true);
  cr_assert_str_eq (skiff_env_get (env, "A"), "3");
  cr_assert_null (skiff_env_get (env, "AB"));
  skiff_env_set (&env, "AB", "x", false);
  cr_assert_str_eq (skiff_env_get (env, "A"), "3");
  cr_assert_eq (strv_len (env), 2);
}
