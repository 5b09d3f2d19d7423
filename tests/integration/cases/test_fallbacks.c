/* Fallback paths, forced: no newuidmap, no subordinate range, no native overlay; and refusals. Each uses
 * its own root and runroot, so that it gets its own pause process and driver probe. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../harness.h"

struct sandbox
{
  char root[512], run[512];
};

static void
sandbox_init (struct sandbox *s, const char *name)
{
  snprintf (s->root, sizeof s->root, "%s/%s-root", it_dir (), name);
  snprintf (s->run, sizeof s->run, "%s/%s-run", it_dir (), name);
}

static struct it_result
sb (struct sandbox *s, char *const *env, const char *const *args)
{
  return it_skiff_in (s->root, s->run, NULL, env, args);
}

static void
sandbox_reset (struct sandbox *s, char *const *env)
{
  struct it_result r = sb (s, env, (const char *const[]){ "system", "reset", "--force", NULL });
  it_result_free (&r);
}

static int
count_entries (const char *dir)
{
  DIR *d = opendir (dir);
  if (d == NULL)
    return 0;
  int n = 0;
  struct dirent *de;
  while ((de = readdir (d)))
    if (de->d_name[0] != '.')
      n++;
  closedir (d);
  return n;
}

Test (fallback, no_newuidmap_maps_a_single_id)
{
  struct sandbox s;
  sandbox_init (&s, "nouidmap");
  char *env[]
      = { (char *) "SKIFF_NEWUIDMAP=/nonexistent/newuidmap", (char *) "SKIFF_NEWGIDMAP=/nonexistent/newgidmap", NULL };
  struct it_result r = sb (&s, env, (const char *const[]){ "import", it_busybox_tar (), "busybox", NULL });
  assert_ok (r);
  cr_assert (strstr (r.err, "newuidmap") && strstr (r.err, "uidmap package"), "warning expected: %s", r.err);
  it_result_free (&r);
  r = sb (&s, env,
          (const char *const[]){ "run", "--rm", "busybox", "sh", "-c", "cat /proc/self/uid_map | wc -l; id -u", NULL });
  assert_ok (r);
  cr_assert_str_eq (r.out, "1\n0\n");
  it_result_free (&r);
  /* files of other users in the image become root's: the only ID there is */
  r = sb (&s, env, (const char *const[]){ "run", "--rm", "busybox", "stat", "-c", "%u", "/srv/www/index.html", NULL });
  assert_ok (r);
  cr_assert_str_eq (r.out, "0\n");
  it_result_free (&r);
  sandbox_reset (&s, env);
}

Test (fallback, no_subordinate_range_warns_with_the_fix)
{
  struct sandbox s;
  sandbox_init (&s, "nosubid");
  char *env[] = { (char *) "SKIFF_SUBUID_FILE=/dev/null", (char *) "SKIFF_SUBGID_FILE=/dev/null", NULL };
  struct it_result r = sb (&s, env, (const char *const[]){ "run", "--rm", "busybox", "true", NULL });
  /* the image is not in this store: the error names it; the warning came first */
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "no subordinate ID range"), "%s", r.err);
  cr_assert (strstr (r.err, "usermod --add-subuids"), "%s", r.err);
  cr_assert (strstr (r.err, "busybox"), "%s", r.err);
  it_result_free (&r);
  r = sb (&s, env, (const char *const[]){ "import", it_busybox_tar (), "busybox", NULL });
  assert_ok (r);
  it_result_free (&r);
  r = sb (&s, env, (const char *const[]){ "run", "--rm", "busybox", "cat", "/proc/self/uid_map", NULL });
  assert_ok (r);
  unsigned a, b, c;
  cr_assert_eq (sscanf (r.out, "%u %u %u", &a, &b, &c), 3);
  cr_assert_eq (b, getuid ());
  cr_assert_eq (c, 1);
  it_result_free (&r);
  sandbox_reset (&s, env);
}

Test (fallback, newuidmap_refusing_is_an_error)
{
  struct sandbox s;
  sandbox_init (&s, "refuse");
  char *env[] = { (char *) "SKIFF_NEWUIDMAP=/bin/false", (char *) "SKIFF_NEWGIDMAP=/bin/false", NULL };
  struct it_result r = sb (&s, env, (const char *const[]){ "run", "--rm", "busybox", "true", NULL });
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "refused the mapping"), "%s", r.err);
  cr_assert (strstr (r.err, "/etc/subuid"), "%s", r.err);
  it_result_free (&r);
  /* nothing half-made: no pause process recorded */
  char pidfile[600];
  snprintf (pidfile, sizeof pidfile, "%s/pause.pid", s.run);
  cr_assert_neq (access (pidfile, F_OK), 0, "a pause.pid was left behind");
}

Test (fallback, no_native_overlay)
{
  struct sandbox s;
  sandbox_init (&s, "nooverlay");
  char *env[] = { (char *) "SKIFF_TEST_DISABLE_OVERLAY=1", NULL };
  struct it_result r = sb (&s, env, (const char *const[]){ "import", it_busybox_tar (), "busybox", NULL });
  assert_ok (r);
  it_result_free (&r);
  r = sb (&s, env, (const char *const[]){ "run", "--rm", "busybox", "stat", "-c", "%u", "/srv/www/index.html", NULL });
  assert_ok (r);
  cr_assert_str_eq (r.out, "33\n");
  /* the process that chose the driver says why native overlay is not used */
  cr_assert (strstr (r.err, "native overlay is not usable"), "%s", r.err);
  it_result_free (&r);
  r = sb (&s, env, (const char *const[]){ "info", "--format", "{{.Store.GraphDriverName}}", NULL });
  assert_ok (r);
  cr_assert (strcmp (r.out, "vfs\n") == 0 || strcmp (r.out, "fuse-overlayfs\n") == 0, "%s", r.out);
  it_result_free (&r);
  sandbox_reset (&s, env);
}

Test (fallback, explicit_vfs_driver)
{
  struct sandbox s;
  sandbox_init (&s, "vfs");
  struct it_result r
      = sb (&s, NULL, (const char *const[]){ "--storage-driver", "vfs", "import", it_busybox_tar (), "busybox", NULL });
  assert_ok (r);
  it_result_free (&r);
  r = sb (&s, NULL,
          (const char *const[]){ "--storage-driver", "vfs", "run", "--rm", "busybox", "sh", "-c",
                                 "echo hi > /tmp/f && cat /tmp/f", NULL });
  assert_ok (r);
  cr_assert_str_eq (r.out, "hi\n");
  it_result_free (&r);
  sandbox_reset (&s, NULL);
}

Test (fallback, fuse_overlayfs_without_dev_fuse)
{
  if (access ("/dev/fuse", R_OK | W_OK) == 0)
    cr_skip ("/dev/fuse is usable by this user: the refusal cannot be seen here");
  struct sandbox s;
  sandbox_init (&s, "fuse");
  struct it_result r = sb (
      &s, NULL,
      (const char *const[]){ "--storage-driver", "fuse-overlayfs", "import", it_busybox_tar (), "busybox", NULL });
  if (r.status == 0)
    {
      it_result_free (&r);
      r = sb (&s, NULL,
              (const char *const[]){ "--storage-driver", "fuse-overlayfs", "run", "--rm", "busybox", "true", NULL });
    }
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "/dev/fuse"), "%s", r.err);
  it_result_free (&r);
  char dir[700];
  snprintf (dir, sizeof dir, "%s/engine/containers", s.root);
  cr_assert_eq (count_entries (dir), 0, "a container record was left behind");
  sandbox_reset (&s, NULL);
}

Test (errors, failed_run_leaves_nothing_behind)
{
  char dir[700];
  snprintf (dir, sizeof dir, "%s/root/engine/containers", it_dir ());
  int before = count_entries (dir);
  struct it_result r = SKIFF ("run", "--rm", "-u", "nosuchuser", "busybox", "true");
  assert_exit (r, 125);
  it_result_free (&r);
  r = SKIFF ("run", "-u", "nosuchuser", "busybox", "true");
  assert_exit (r, 125);
  it_result_free (&r);
  r = SKIFF ("run", "nosuchimage", "true");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "nosuchimage") && strstr (r.err, "skiff import"), "%s", r.err);
  it_result_free (&r);
  cr_assert_eq (count_entries (dir), before, "container state left behind");
  /* and no mount: the storage's mount namespace has no merged dir of ours but running ones */
  r = SKIFF ("unshare", "sh", "-c", "grep -c /containers/ /proc/self/mountinfo || true");
  assert_ok (r);
  cr_assert_str_eq (r.out, "0\n", "stray mounts: %s", r.out);
  it_result_free (&r);
}

/* dead or a zombie waiting for its reaper */
static bool
process_gone (int pid)
{
  char path[64], buf[512];
  snprintf (path, sizeof path, "/proc/%d/stat", pid);
  FILE *f = fopen (path, "r");
  if (f == NULL)
    return true;
  size_t n = fread (buf, 1, sizeof buf - 1, f);
  fclose (f);
  buf[n] = '\0';
  char *rp = strrchr (buf, ')');
  return rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X');
}

Test (fallback, system_reset_stops_the_pause_process)
{
  struct sandbox s;
  sandbox_init (&s, "reset");
  struct it_result r = sb (&s, NULL, (const char *const[]){ "import", it_busybox_tar (), "busybox", NULL });
  assert_ok (r);
  it_result_free (&r);
  char pidfile[600];
  snprintf (pidfile, sizeof pidfile, "%s/pause.pid", s.run);
  FILE *f = fopen (pidfile, "r");
  cr_assert_not_null (f);
  int pid = 0;
  cr_assert_eq (fscanf (f, "%d", &pid), 1);
  fclose (f);
  cr_assert (!process_gone (pid));
  r = sb (&s, NULL, (const char *const[]){ "system", "reset", "--force", NULL });
  assert_ok (r);
  it_result_free (&r);
  for (int i = 0; i < 100 && !process_gone (pid); i++)
    usleep (10000);
  cr_assert (process_gone (pid), "the pause process %d survived system reset", pid);
  cr_assert_neq (access (s.root, F_OK), 0, "the storage root survived system reset");
}

/* libarchive and libcurl are opened on first use: without them the commands that need them fail with a
 * message naming the library and the package (exit 125), nothing half-made, and the rest of skiff works. */
Test (fallback, missing_libraries_are_errors)
{
  struct sandbox s;
  sandbox_init (&s, "nolibs");
  char *env[] = { (char *) "SKIFF_TEST_HIDE_LIBS=libarchive.so.13,libcurl.so.4", NULL };
  struct it_result r = sb (&s, env, (const char *const[]){ "import", it_busybox_tar (), "nolib", NULL });
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "Error: ") && strstr (r.err, "cannot load libarchive.so.13")
                 && strstr (r.err, "install the package libarchive13"),
             "%s", r.err);
  it_result_free (&r);
  r = sb (&s, env, (const char *const[]){ "image", "exists", "nolib", NULL });
  assert_exit (r, 1);
  it_result_free (&r);
  /* a registry is never contacted: the library is missing before any connection */
  r = sb (&s, env, (const char *const[]){ "pull", "--tls-verify=false", "127.0.0.1:1/nolib:v1", NULL });
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "cannot load libcurl.so.4") && strstr (r.err, "install the package libcurl4"), "%s", r.err);
  it_result_free (&r);
  r = sb (&s, env, (const char *const[]){ "images", "-q", NULL });
  assert_ok (r);
  it_result_free (&r);
  sandbox_reset (&s, NULL);
}
