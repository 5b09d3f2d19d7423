/* User-namespace modes (issue #12): --userns=keep-id[:uid=,gid=] puts the caller's IDs inside, with podman's
 * passwd and group entries, the image's owners as they were, and files the container writes owned by the
 * caller on the host; exec joins the container's namespace; inspect shows it; podman's errors, and nothing
 * left half-made. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../harness.h"

static char *
out_of (struct it_result r)
{
  cr_assert_eq (r.status, 0, "exit %d\nstdout: %s\nstderr: %s", r.status, r.out, r.err);
  char *s = strdup (r.out);
  it_result_free (&r);
  size_t n = strlen (s);
  while (n && s[n - 1] == '\n')
    s[--n] = '\0';
  return s;
}

static void
expect_error (struct it_result r, const char *want)
{
  cr_assert_eq (r.status, 125, "exit %d\nstdout: %s\nstderr: %s", r.status, r.out, r.err);
  cr_assert (strstr (r.err, want), "expected \"%s\" in: %s", want, r.err);
  it_result_free (&r);
}

Test (userns, keep_id_is_the_caller_inside)
{
  char *got = out_of (SKIFF ("run", "--rm", "--userns=keep-id", "busybox", "sh", "-c", "id -u; id -g; echo $HOME"));
  char want[128];
  snprintf (want, sizeof want, "%u\n%u\n/", (unsigned) getuid (), (unsigned) getgid ());
  cr_assert_str_eq (got, want);
  free (got);
  /* the map is podman's: 0 -> the first subordinate ID, the caller's uid -> the caller */
  got = out_of (SKIFF ("run", "--rm", "--userns=keep-id", "busybox", "cat", "/proc/self/uid_map"));
  unsigned a, b, c, d, e, f;
  cr_assert_eq (sscanf (got, "%u %u %u %u %u %u", &a, &b, &c, &d, &e, &f), 6, "%s", got);
  cr_assert (a == 0 && c == getuid () && d == getuid () && f == 1, "%s", got);
  free (got);
}

Test (userns, keep_id_adds_podmans_passwd_and_group_entries)
{
  char cmd[256];
  snprintf (cmd, sizeof cmd, "grep ':%u:' /etc/passwd; grep ':%u:' /etc/group; whoami", (unsigned) getuid (),
            (unsigned) getgid ());
  char *got = out_of (SKIFF ("run", "--rm", "--userns=keep-id", "busybox", "sh", "-c", cmd));
  char want[256];
  snprintf (want, sizeof want, ":*:%u:%u:", (unsigned) getuid (), (unsigned) getgid ());
  cr_assert (strstr (got, want) && strstr (got, ":/:/bin/sh\n"), "%s", got);
  free (got);
  /* uid= and gid=: that user, named by its number (podman's "container user") */
  got = out_of (SKIFF ("run", "--rm", "--userns=keep-id:uid=10,gid=20", "busybox", "sh", "-c",
                       "id -u; id -g; grep '^10:' /etc/passwd"));
  cr_assert_str_eq (got, "10\n20\n10:*:10:20:container user:/:/bin/sh");
  free (got);
  /* the home is the container's working directory, as podman makes it: $HOME and ~ follow */
  got = out_of (
      SKIFF ("run", "--rm", "--userns=keep-id", "-w", "/tmp", "busybox", "sh", "-c", "echo $(pwd;echo $HOME;echo ~)"));
  cr_assert_str_eq (got, "/tmp /tmp /tmp");
  free (got);
}

Test (userns, keep_id_keeps_the_image_owners)
{
  char *plain = out_of (SKIFF ("run", "--rm", "busybox", "stat", "-c", "%u:%g", "/bin/busybox", "/srv/www/index.html"));
  char *kept = out_of (SKIFF ("run", "--rm", "--userns=keep-id", "busybox", "stat", "-c", "%u:%g", "/bin/busybox",
                              "/srv/www/index.html"));
  cr_assert_str_eq (plain, "0:0\n33:33");
  cr_assert_str_eq (kept, plain);
  free (plain);
  free (kept);
  /* root inside is still root over the image's files */
  char *root = out_of (
      SKIFF ("run", "--rm", "--userns=keep-id", "-u", "0", "busybox", "sh", "-c", "id -u; touch /bin/new && echo ok"));
  cr_assert_str_eq (root, "0\nok");
  free (root);
}

Test (userns, keep_id_files_belong_to_the_caller_on_the_host)
{
  /* the container's /etc/hosts is a bind mount of a file of the caller's: the user inside may write it */
  char *got = out_of (SKIFF ("run", "--rm", "--userns=keep-id", "busybox", "sh", "-c",
                             "stat -c %u /etc/hosts; echo 10.9.9.9 marker >> /etc/hosts && echo written"));
  char want[64];
  snprintf (want, sizeof want, "%u\nwritten", (unsigned) getuid ());
  cr_assert_str_eq (got, want);
  free (got);
  /* a file the user writes in the container's own layer is the caller's file on the host */
  struct it_result r
      = SKIFF ("run", "--name", "ns-owner", "--userns=keep-id", "busybox", "sh", "-c", "echo x > /tmp/ns-owner-file");
  assert_ok (r);
  it_result_free (&r);
  char find[1024];
  snprintf (find, sizeof find, "find '%s' -name ns-owner-file 2>/dev/null | head -1", it_dir ());
  FILE *p = popen (find, "r");
  char path[1024] = "";
  cr_assert (p && fgets (path, sizeof path, p), "the file is not in the store");
  pclose (p);
  path[strcspn (path, "\n")] = '\0';
  struct stat st;
  cr_assert_eq (stat (path, &st), 0, "%s", path);
  cr_assert_eq (st.st_uid, getuid (), "%s is owned by %u", path, (unsigned) st.st_uid);
  r = SKIFF ("rm", "ns-owner");
  assert_ok (r);
  it_result_free (&r);
}

Test (userns, exec_joins_the_containers_namespace)
{
  struct it_result r = SKIFF ("run", "-d", "--name", "ns-exec", "--userns=keep-id", "busybox", "sleep", "100");
  assert_ok (r);
  it_result_free (&r);
  char want[64];
  snprintf (want, sizeof want, "%u", (unsigned) getuid ());
  char *got = out_of (SKIFF ("exec", "ns-exec", "id", "-u"));
  cr_assert_str_eq (got, want);
  free (got);
  got = out_of (SKIFF ("exec", "-u", "0", "ns-exec", "sh", "-c", "id -u; stat -c %u /bin/busybox"));
  cr_assert_str_eq (got, "0\n0");
  free (got);
  /* the same map in the exec as in the container */
  char *a = out_of (SKIFF ("exec", "ns-exec", "cat", "/proc/self/uid_map"));
  char *b = out_of (SKIFF ("exec", "ns-exec", "cat", "/proc/1/uid_map"));
  cr_assert_str_eq (a, b);
  free (a);
  free (b);
  r = SKIFF ("rm", "-f", "-t", "0", "ns-exec");
  it_result_free (&r);
}

Test (userns, inspect_shows_the_mode_and_maps)
{
  struct it_result r = SKIFF ("create", "--name", "ns-insp", "--userns=keep-id", "busybox", "id", "-u");
  assert_ok (r);
  it_result_free (&r);
  char *got
      = out_of (SKIFF ("inspect", "--format", "{{.HostConfig.UsernsMode}} {{json .HostConfig.IDMappings}}", "ns-insp"));
  char want[256];
  snprintf (want, sizeof want, "private {\"UidMap\":[\"0:1:%u\",\"%u:0:1\",", (unsigned) getuid (),
            (unsigned) getuid ());
  cr_assert (strncmp (got, want, strlen (want)) == 0, "%s", got);
  free (got);
  /* a created container starts later with its map, and again after it ended */
  snprintf (want, sizeof want, "%u", (unsigned) getuid ());
  got = out_of (SKIFF ("start", "-a", "ns-insp"));
  cr_assert_str_eq (got, want);
  free (got);
  got = out_of (SKIFF ("start", "-a", "ns-insp"));
  cr_assert_str_eq (got, want);
  free (got);
  r = SKIFF ("rm", "ns-insp");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("create", "--name", "ns-insp2", "--userns=host", "busybox", "true");
  assert_ok (r);
  it_result_free (&r);
  got = out_of (SKIFF ("inspect", "--format", "[{{.HostConfig.UsernsMode}}]", "ns-insp2"));
  cr_assert_str_eq (got, "[]");
  free (got);
  r = SKIFF ("rm", "ns-insp2");
  it_result_free (&r);
}

Test (userns, host_is_skiffs_own_namespace)
{
  char *plain = out_of (SKIFF ("run", "--rm", "busybox", "cat", "/proc/self/uid_map"));
  char *host = out_of (SKIFF ("run", "--rm", "--userns=host", "busybox", "cat", "/proc/self/uid_map"));
  cr_assert_str_eq (host, plain);
  free (plain);
  free (host);
}

Test (userns, bad_modes_are_podmans_errors)
{
  expect_error (SKIFF ("run", "--rm", "--userns=foo", "busybox", "true"), "unrecognized namespace mode foo passed");
  expect_error (SKIFF ("run", "--rm", "--userns=keep-id:foo=1", "busybox", "true"),
                "unknown option specified: \"foo=1\"");
  expect_error (SKIFF ("create", "--userns=keep-id:uid=x", "busybox", "true"),
                "strconv.ParseUint: parsing \"x\": invalid syntax");
  expect_error (SKIFF ("run", "--rm", "--userns=container:", "busybox", "true"),
                "namespace mode container requires a value");
  /* a pod's namespaces are skiff's: refused before the pod is made */
  expect_error (SKIFF ("run", "--rm", "--userns=keep-id", "--pod", "new:ns-pod", "busybox", "true"),
                "--userns keep-id cannot be combined with --pod");
  struct it_result r = SKIFF ("pod", "exists", "ns-pod");
  cr_assert_eq (r.status, 1, "the pod was made: %s", r.err);
  it_result_free (&r);
  r = SKIFF ("ps", "-aq", "--filter", "name=ns-");
  assert_ok (r);
  cr_assert_str_eq (r.out, "");
  it_result_free (&r);
}

Test (userns, keep_id_without_subordinate_range_is_an_error)
{
  char root[512], run[512];
  snprintf (root, sizeof root, "%s/ns-nosubid-root", it_dir ());
  snprintf (run, sizeof run, "%s/ns-nosubid-run", it_dir ());
  char *env[] = { (char *) "SKIFF_SUBUID_FILE=/dev/null", (char *) "SKIFF_SUBGID_FILE=/dev/null", NULL };
  struct it_result r
      = it_skiff_in (root, run, NULL, env, (const char *const[]){ "import", it_busybox_tar (), "busybox", NULL });
  assert_ok (r);
  it_result_free (&r);
  r = it_skiff_in (root, run, NULL, env,
                   (const char *const[]){ "run", "--rm", "--userns=keep-id", "busybox", "true", NULL });
  expect_error (r, "keep-id requires additional UIDs or GIDs defined in /etc/subuid and /etc/subgid");
  r = it_skiff_in (root, run, NULL, env, (const char *const[]){ "ps", "-aq", NULL });
  assert_ok (r);
  cr_assert_str_eq (r.out, "");
  it_result_free (&r);
  r = it_skiff_in (root, run, NULL, env, (const char *const[]){ "system", "reset", "--force", NULL });
  it_result_free (&r);
}

/* A supplementary group of the caller's other than its primary one (contrib/test.sh, as root, puts the test user
 * in skiff-test-shared) */
static gid_t
supplementary_group (void)
{
  gid_t groups[256];
  int n = getgroups (256, groups);
  for (int i = 0; i < n; i++)
    if (groups[i] != getgid ())
      return groups[i];
  cr_assert_fail ("the test user is in no supplementary group: contrib/test.sh (as root) adds it to "
                  "skiff-test-shared");
  return (gid_t) -1;
}

/* A container that reads its /etc/hosts as uid 1000; the host file (the caller's) is made group-only for g */
static struct it_result
read_group_owned (const char *name, gid_t g, bool keep)
{
  struct it_result r = keep ? SKIFF ("create", "--name", name, "--group-add", "keep-groups", "-u", "1000", "busybox",
                                     "cat", "/etc/hosts")
                            : SKIFF ("create", "--name", name, "-u", "1000", "busybox", "cat", "/etc/hosts");
  assert_ok (r);
  char id[65];
  snprintf (id, sizeof id, "%.64s", r.out);
  it_result_free (&r);
  char find[1024];
  snprintf (find, sizeof find, "find '%s' -path '*/%s/hosts' 2>/dev/null | head -1", it_dir (), id);
  FILE *p = popen (find, "r");
  char path[1024] = "";
  cr_assert (p && fgets (path, sizeof path, p), "no hosts file for %s", id);
  pclose (p);
  path[strcspn (path, "\n")] = '\0';
  cr_assert_eq (chown (path, (uid_t) -1, g), 0, "chgrp %s", path);
  cr_assert_eq (chmod (path, 0040), 0, "chmod %s", path);
  r = SKIFF ("start", "-a", name);
  struct it_result rm = SKIFF ("rm", name);
  it_result_free (&rm);
  return r;
}

Test (userns, keep_groups_reads_a_group_owned_file)
{
  gid_t g = supplementary_group ();
  struct it_result r = read_group_owned ("ns-kg", g, true);
  assert_ok (r);
  cr_assert (strstr (r.out, "localhost"), "%s", r.out);
  it_result_free (&r);
  /* without it the container has only its own groups: refused */
  r = read_group_owned ("ns-nokg", g, false);
  cr_assert_neq (r.status, 0, "read without keep-groups: %s", r.out);
  cr_assert (strstr (r.err, "Permission denied") || strstr (r.out, "Permission denied"), "%s%s", r.out, r.err);
  it_result_free (&r);
  /* an exec in the container keeps them too */
  r = SKIFF ("run", "-d", "--name", "ns-kg-exec", "--group-add", "keep-groups", "busybox", "sleep", "100");
  assert_ok (r);
  it_result_free (&r);
  char *got = out_of (SKIFF ("exec", "-u", "1000", "ns-kg-exec", "sh", "-c", "grep ^Groups: /proc/self/status"));
  cr_assert (strcmp (got, "Groups:") != 0 && strlen (got) > strlen ("Groups:\t"), "%s", got);
  free (got);
  r = SKIFF ("rm", "-f", "-t", "0", "ns-kg-exec");
  it_result_free (&r);
}

Test (userns, group_add_errors)
{
  expect_error (SKIFF ("run", "--rm", "--group-add", "keep-groups", "--group-add", "10", "busybox", "true"),
                "the '--group-add keep-groups' option is not allowed with any other --group-add options");
  expect_error (SKIFF ("run", "--rm", "--group-add", "keep-groups,wheel", "busybox", "true"),
                "the '--group-add keep-groups' option is not allowed with any other --group-add options");
}
