/* Volumes and mounts: -v with host paths, named and anonymous volumes and their options, --mount, --tmpfs,
 * --volumes-from, the image's VOLUMEs and copy-up, the volume commands (create, ls, inspect, rm, prune, exists),
 * inspect's .Mounts, system reset, and the errors of bad input (exit 125, nothing left behind). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../harness.h"

static void
trim (char *s)
{
  size_t n = strlen (s);
  while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
    s[--n] = '\0';
}

/* a host directory for a test, with one file in it */
static void
host_dir (char *buf, size_t len, const char *name)
{
  snprintf (buf, len, "%s/vol-%s", it_dir (), name);
  it_sh ("rm -rf '%s' && mkdir -p '%s' && echo hello > '%s/file'", buf, buf, buf);
}

static void
run_ok (struct it_result r)
{
  assert_ok (r);
  it_result_free (&r);
}

/* the error, exit 125, and no container left named name */
static void
refused (struct it_result r, const char *text, const char *name)
{
  assert_exit (r, 125);
  cr_assert (strstr (r.err, text) != NULL, "expected '%s' in: %s", text, r.err);
  it_result_free (&r);
  struct it_result e = SKIFF ("container", "exists", name);
  assert_exit (e, 1);
  it_result_free (&e);
}

Test (volumes, bind_mount_is_the_host_directory)
{
  char dir[512], spec[600];
  host_dir (dir, sizeof dir, "bind");
  snprintf (spec, sizeof spec, "%s:/data", dir);
  struct it_result r = SKIFF ("run", "--rm", "-v", spec, "busybox", "sh", "-c", "cat /data/file; echo out > /data/new");
  assert_ok (r);
  cr_assert_str_eq (r.out, "hello\n");
  it_result_free (&r);
  char path[600];
  snprintf (path, sizeof path, "%s/new", dir);
  char *text = it_slurp (path);
  cr_assert (text && strcmp (text, "out\n") == 0, "the container's write is in the host directory");
  free (text);
  /* written by the container's root, which is the caller: the file is the caller's on the host */
  struct stat st;
  cr_assert_eq (stat (path, &st), 0);
  cr_assert_eq (st.st_uid, getuid (), "owner %u, caller %u", (unsigned) st.st_uid, (unsigned) getuid ());
  /* a relative source is made absolute against the working directory */
  char cwd[512];
  cr_assert (getcwd (cwd, sizeof cwd) != NULL);
  cr_assert_eq (chdir (dir), 0);
  r = SKIFF ("run", "--rm", "-v", "./:/here:ro", "busybox", "cat", "/here/file");
  cr_assert_eq (chdir (cwd), 0);
  assert_ok (r);
  cr_assert_str_eq (r.out, "hello\n");
  it_result_free (&r);
}

Test (volumes, readonly_mount_write_fails_with_erofs)
{
  char dir[512], spec[600], mnt[600];
  host_dir (dir, sizeof dir, "ro");
  snprintf (spec, sizeof spec, "%s:/data:ro", dir);
  struct it_result r = SKIFF ("run", "--rm", "-v", spec, "busybox", "touch", "/data/x");
  assert_exit (r, 1);
  cr_assert (strstr (r.err, "Read-only file system") != NULL, "%s", r.err);
  it_result_free (&r);
  snprintf (mnt, sizeof mnt, "type=bind,src=%s,dst=/data,readonly", dir);
  r = SKIFF ("run", "--rm", "--mount", mnt, "busybox", "touch", "/data/x");
  assert_exit (r, 1);
  cr_assert (strstr (r.err, "Read-only file system") != NULL, "%s", r.err);
  it_result_free (&r);
  /* a read-only named volume too */
  run_ok (SKIFF ("volume", "create", "rovol"));
  r = SKIFF ("run", "--rm", "-v", "rovol:/v:ro", "busybox", "touch", "/v/x");
  assert_exit (r, 1);
  cr_assert (strstr (r.err, "Read-only file system") != NULL, "%s", r.err);
  it_result_free (&r);
  run_ok (SKIFF ("volume", "rm", "rovol"));
}

Test (volumes, mount_flags_reach_the_kernel)
{
  char dir[512], spec[600];
  host_dir (dir, sizeof dir, "flags");
  it_sh ("printf '#!/bin/sh\\necho ran\\n' > '%s/script' && chmod +x '%s/script'", dir, dir);
  snprintf (spec, sizeof spec, "%s:/data:nosuid,noexec,nodev", dir);
  struct it_result r = SKIFF ("run", "--rm", "-v", spec, "busybox", "sh", "-c", "grep ' /data ' /proc/mounts");
  assert_ok (r);
  cr_assert (strstr (r.out, "nosuid") && strstr (r.out, "nodev") && strstr (r.out, "noexec"), "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "-v", spec, "busybox", "/data/script");
  assert_exit (r, 126);
  cr_assert (strstr (r.err, "permission denied") != NULL, "%s", r.err);
  it_result_free (&r);
  snprintf (spec, sizeof spec, "%s:/data:exec", dir);
  r = SKIFF ("run", "--rm", "-v", spec, "busybox", "/data/script");
  assert_ok (r);
  cr_assert_str_eq (r.out, "ran\n");
  it_result_free (&r);
  /* a named volume is nosuid,nodev by default, as podman's */
  r = SKIFF ("run", "--rm", "-v", "flagvol:/v", "busybox", "sh", "-c", "grep ' /v ' /proc/mounts");
  assert_ok (r);
  cr_assert (strstr (r.out, "nosuid") && strstr (r.out, "nodev") && !strstr (r.out, "noexec"), "%s", r.out);
  it_result_free (&r);
  run_ok (SKIFF ("volume", "rm", "flagvol"));
  /* propagation and bind are accepted and kept */
  snprintf (spec, sizeof spec, "%s:/data:rslave,bind,z", dir);
  run_ok (SKIFF ("run", "--rm", "-v", spec, "busybox", "cat", "/data/file"));
}

Test (volumes, bad_input_is_refused_and_nothing_is_made)
{
  refused (SKIFF ("run", "--name", "vbad1", "-v", "/no/such/dir:/x", "busybox", "true"),
           "statfs /no/such/dir: no such file or directory", "vbad1");
  refused (SKIFF ("run", "--name", "vbad2", "-v", "foo/bar:/x", "busybox", "true"),
           "names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*", "vbad2");
  refused (SKIFF ("run", "--name", "vbad3", "-v", "/tmp:/x:bogus", "busybox", "true"), "invalid option type \"bogus\"",
           "vbad3");
  refused (SKIFF ("run", "--name", "vbad4", "-v", "/tmp:/proc", "busybox", "true"), "/proc", "vbad4");
  refused (SKIFF ("run", "--name", "vbad5", "-v", "/tmp:/dev/pts", "busybox", "true"), "/dev/pts", "vbad5");
  refused (SKIFF ("run", "--name", "vbad6", "-v", "/tmp:x", "busybox", "true"),
           "invalid container path \"x\", must be an absolute path", "vbad6");
  refused (SKIFF ("run", "--name", "vbad7", "-v", "/tmp:/x:ro,rw", "busybox", "true"),
           "can only specify 1 'rw' or 'ro' option", "vbad7");
  refused (SKIFF ("run", "--name", "vbad8", "-v", "/tmp:/x", "-v", "/var:/x", "busybox", "true"),
           "/x: duplicate mount destination", "vbad8");
  refused (SKIFF ("run", "--name", "vbad9", "--mount", "type=bind,src=/tmp,dst=/x,foo=bar", "busybox", "true"),
           "foo: invalid mount option", "vbad9");
  refused (SKIFF ("run", "--name", "vbad10", "--mount", "type=foo,dst=/x", "busybox", "true"),
           "invalid filesystem type \"foo\"", "vbad10");
  refused (SKIFF ("run", "--name", "vbad11", "--mount", "type=bind,src=/tmp", "busybox", "true"),
           "must set volume destination", "vbad11");
  refused (SKIFF ("run", "--name", "vbad12", "-v", "/tmp:/x:O", "busybox", "true"), "not supported", "vbad12");
  refused (SKIFF ("create", "--name", "vbad13", "--volumes-from", "nosuchctr", "busybox", "true"),
           "looking up container \"nosuchctr\" for volumes-from", "vbad13");
  /* none of them made a volume */
  struct it_result r = SKIFF ("volume", "ls", "-q");
  assert_ok (r);
  cr_assert_str_eq (r.out, "");
  it_result_free (&r);
}

Test (volumes, named_volume_is_made_on_first_use_and_outlives_the_container)
{
  run_ok (SKIFF ("run", "--rm", "-v", "keep:/v", "busybox", "sh", "-c", "echo kept > /v/f"));
  struct it_result r = SKIFF ("run", "--rm", "-v", "keep:/v", "busybox", "cat", "/v/f");
  assert_ok (r);
  cr_assert_str_eq (r.out, "kept\n");
  it_result_free (&r);
  run_ok (SKIFF ("volume", "exists", "keep"));
  r = SKIFF ("volume", "inspect", "--format", "{{.Name}} {{.Driver}} {{.Scope}} {{.Mountpoint}}", "keep");
  assert_ok (r);
  /* the harness's root is below it_dir(): compare the tail */
  cr_assert (strstr (r.out, "keep local local /") == r.out && strstr (r.out, "/volumes/keep/_data\n"), "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("volume", "inspect", "--format", "{{.Mountpoint}}", "keep");
  trim (r.out);
  char path[700];
  snprintf (path, sizeof path, "%s/f", r.out);
  char *text = it_slurp (path);
  cr_assert (text && strcmp (text, "kept\n") == 0, "the data is in the volume's Mountpoint");
  free (text);
  /* the volumes directory is the user's alone */
  char *slash = strstr (r.out, "/keep/_data");
  cr_assert (slash != NULL);
  *slash = '\0';
  struct stat st;
  cr_assert_eq (stat (r.out, &st), 0);
  cr_assert_eq (st.st_mode & 0777, 0700, "volumes/ is %o", st.st_mode & 0777);
  it_result_free (&r);
  run_ok (SKIFF ("volume", "rm", "keep"));
  r = SKIFF ("volume", "exists", "keep");
  assert_exit (r, 1);
  it_result_free (&r);
}

Test (volumes, volume_commands_as_podman)
{
  struct it_result r = SKIFF ("volume", "create", "--label", "tier=db", "vc1");
  assert_ok (r);
  cr_assert_str_eq (r.out, "vc1\n");
  it_result_free (&r);
  r = SKIFF ("volume", "create", "vc1");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "volume with name vc1 already exists: volume already exists"), "%s", r.err);
  it_result_free (&r);
  run_ok (SKIFF ("volume", "create", "--ignore", "vc1"));
  run_ok (SKIFF ("volume", "create", "vc2"));
  r = SKIFF ("volume", "create", "bad/name");
  assert_exit (r, 125);
  it_result_free (&r);
  r = SKIFF ("volume", "create", "-o", "type=tmpfs", "vc3");
  assert_exit (r, 125);
  it_result_free (&r);
  r = SKIFF ("volume", "ls", "--filter", "name=^vc");
  assert_ok (r);
  cr_assert (strstr (r.out, "DRIVER      VOLUME NAME\nlocal       vc1\nlocal       vc2\n") == r.out, "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("volume", "ls", "--filter", "label=tier=db", "--format", "{{.Name}} {{.Labels}}");
  assert_ok (r);
  cr_assert_str_eq (r.out, "vc1 map[tier:db]\n");
  it_result_free (&r);
  r = SKIFF ("volume", "ls", "-q", "--filter", "name=c2");
  assert_ok (r);
  cr_assert_str_eq (r.out, "vc2\n");
  it_result_free (&r);
  r = SKIFF ("volume", "ls", "--filter", "bogus=1");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "\"bogus\" is an invalid volume filter"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("volume", "inspect", "vc1");
  assert_ok (r);
  const char *keys[] = { "\"Name\": \"vc1\"",
                         "\"Driver\": \"local\"",
                         "\"Mountpoint\": \"/",
                         "\"CreatedAt\": \"",
                         "\"Labels\": {\n               \"tier\": \"db\"",
                         "\"Scope\": \"local\"",
                         "\"Options\": {}",
                         "\"NeedsCopyUp\": true" };
  for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
    cr_assert (strstr (r.out, keys[i]) != NULL, "no %s in %s", keys[i], r.out);
  it_result_free (&r);
  r = SKIFF ("volume", "inspect", "nosuchvol");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "no such volume nosuchvol"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("volume", "rm", "nosuchvol");
  assert_exit (r, 1);
  cr_assert (strstr (r.err, "no volume with name \"nosuchvol\" found: no such volume"), "%s", r.err);
  it_result_free (&r);
  run_ok (SKIFF ("volume", "rm", "-f", "nosuchvol"));
  r = SKIFF ("volume", "exists", "nosuchvol");
  assert_exit (r, 1);
  it_result_free (&r);
  run_ok (SKIFF ("volume", "rm", "vc1", "vc2"));
}

Test (volumes, rm_of_a_volume_in_use_and_force)
{
  struct it_result r = SKIFF ("run", "-d", "--name", "vuser", "-v", "busy:/v", "busybox", "sleep", "1000");
  assert_ok (r);
  trim (r.out);
  char id[80];
  snprintf (id, sizeof id, "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("volume", "rm", "busy");
  assert_exit (r, 2);
  char want[256];
  snprintf (want, sizeof want, "volume busy is being used by the following container(s): %s: volume is being used", id);
  cr_assert (strstr (r.err, want) != NULL, "%s", r.err);
  it_result_free (&r);
  /* prune leaves it too */
  r = SKIFF ("volume", "prune", "-f");
  assert_ok (r);
  cr_assert (strstr (r.out, "busy") == NULL, "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("volume", "rm", "-f", "busy");
  assert_ok (r);
  cr_assert_str_eq (r.out, "busy\n");
  it_result_free (&r);
  r = SKIFF ("container", "exists", "vuser");
  assert_exit (r, 1);
  it_result_free (&r);
}

Test (volumes, prune_removes_only_unused)
{
  run_ok (SKIFF ("volume", "create", "pr1"));
  run_ok (SKIFF ("volume", "create", "--label", "k=v", "pr2"));
  run_ok (SKIFF ("volume", "create", "pr3"));
  run_ok (SKIFF ("create", "--name", "pruser", "-v", "pr3:/v", "busybox", "true"));
  struct it_result r = SKIFF ("volume", "prune", "-f", "--filter", "label=k=v");
  assert_ok (r);
  cr_assert_str_eq (r.out, "pr2\n");
  it_result_free (&r);
  r = SKIFF_IN ("n\n", "volume", "prune");
  assert_ok (r);
  cr_assert_str_eq (r.out, "");
  it_result_free (&r);
  r = SKIFF ("volume", "prune", "-f");
  assert_ok (r);
  cr_assert_str_eq (r.out, "pr1\n");
  it_result_free (&r);
  run_ok (SKIFF ("rm", "pruser"));
  r = SKIFF ("volume", "prune", "-f");
  assert_ok (r);
  cr_assert_str_eq (r.out, "pr3\n");
  it_result_free (&r);
}

Test (volumes, anonymous_volumes_go_with_run_rm_and_rm_v)
{
  run_ok (SKIFF ("run", "--rm", "-v", "/anon", "busybox", "touch", "/anon/x"));
  struct it_result r = SKIFF ("volume", "ls", "-q");
  assert_ok (r);
  cr_assert_str_eq (r.out, "", "run --rm took its anonymous volume");
  it_result_free (&r);
  run_ok (SKIFF ("run", "--name", "anonkeep", "--mount", "type=volume,dst=/anon", "busybox", "touch", "/anon/x"));
  r = SKIFF ("volume", "ls", "-q", "--filter", "anonymous=true");
  assert_ok (r);
  cr_assert_eq (strlen (r.out), 65, "one anonymous volume, a 64-hex name: %s", r.out);
  it_result_free (&r);
  run_ok (SKIFF ("rm", "-v", "anonkeep"));
  r = SKIFF ("volume", "ls", "-q");
  assert_ok (r);
  cr_assert_str_eq (r.out, "", "rm -v took it");
  it_result_free (&r);
}

Test (volumes, image_volume_gets_a_volume_filled_from_the_image)
{
  run_ok (SKIFF ("import", "--change", "VOLUME=/etc", it_busybox_tar (), "bbvol"));
  struct it_result r
      = SKIFF ("run", "--name", "imgvol", "bbvol", "sh", "-c", "cat /etc/passwd | head -1; touch /etc/new");
  assert_ok (r);
  cr_assert (strstr (r.out, "root:") == r.out, "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("inspect", "--format", "{{range .Mounts}}{{.Type}} {{.Destination}} {{.RW}}{{end}}", "imgvol");
  assert_ok (r);
  cr_assert_str_eq (r.out, "volume /etc true\n");
  it_result_free (&r);
  r = SKIFF ("inspect", "--format", "{{range .Mounts}}{{.Source}}{{end}}", "imgvol");
  trim (r.out);
  char path[700];
  snprintf (path, sizeof path, "%s/passwd", r.out);
  cr_assert_eq (access (path, F_OK), 0, "copied up: %s", path);
  snprintf (path, sizeof path, "%s/new", r.out);
  cr_assert_eq (access (path, F_OK), 0, "the container's write is in the volume: %s", path);
  it_result_free (&r);
  /* a mount of the user's own covers the image's VOLUME */
  char dir[512], spec[600];
  host_dir (dir, sizeof dir, "imgcover");
  snprintf (spec, sizeof spec, "%s:/etc", dir);
  r = SKIFF ("run", "--rm", "-v", spec, "bbvol", "cat", "/etc/file");
  assert_ok (r);
  cr_assert_str_eq (r.out, "hello\n");
  it_result_free (&r);
  run_ok (SKIFF ("rm", "-v", "imgvol"));
  run_ok (SKIFF ("rmi", "bbvol"));
}

Test (volumes, copy_up_into_a_new_named_volume_once)
{
  run_ok (SKIFF ("volume", "create", "cu"));
  /* nothing at /vol in the image: still to be copied up */
  run_ok (SKIFF ("run", "--rm", "-v", "cu:/vol", "busybox", "true"));
  struct it_result r = SKIFF ("volume", "inspect", "--format", "{{.NeedsCopyUp}} {{.NeedsChown}}", "cu");
  cr_assert_str_eq (r.out, "true false\n");
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "-v", "cu:/etc", "busybox", "ls", "/etc/passwd");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("volume", "inspect", "--format", "{{.NeedsCopyUp}}", "cu");
  cr_assert_str_eq (r.out, "false\n");
  it_result_free (&r);
  /* nocopy: the image's content stays hidden */
  r = SKIFF ("run", "--rm", "-v", "cu2:/etc:nocopy", "busybox", "ls", "/etc");
  assert_ok (r);
  cr_assert_str_eq (r.out, "");
  it_result_free (&r);
  run_ok (SKIFF ("volume", "rm", "cu", "cu2"));
}

Test (volumes, tmpfs_mounts)
{
  struct it_result r = SKIFF ("run", "--rm", "--tmpfs", "/scratch:size=1m,mode=700", "busybox", "sh", "-c",
                              "grep ' /scratch ' /proc/mounts");
  assert_ok (r);
  cr_assert (strstr (r.out, "tmpfs /scratch tmpfs") && strstr (r.out, "size=1024k") && strstr (r.out, "mode=700")
                 && strstr (r.out, "nosuid") && strstr (r.out, "nodev"),
             "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "--mount", "type=tmpfs,dst=/t,tmpfs-size=2m", "busybox", "sh", "-c",
             "grep ' /t ' /proc/mounts; echo x > /t/f && cat /t/f");
  assert_ok (r);
  cr_assert (strstr (r.out, "size=2048k") && strstr (r.out, "\nx\n"), "%s", r.out);
  it_result_free (&r);
  /* the same tmpfs twice is one; a tmpfs and a volume on one place are not */
  run_ok (SKIFF ("run", "--rm", "--tmpfs", "/a", "--tmpfs", "/a", "busybox", "true"));
  r = SKIFF ("run", "--rm", "-v", "tv:/a", "--tmpfs", "/a", "busybox", "true");
  assert_exit (r, 125);
  it_result_free (&r);
  /* --read-only keeps --tmpfs and its own tmpfs writable */
  run_ok (SKIFF ("run", "--rm", "--read-only", "--tmpfs", "/data", "busybox", "sh", "-c", "touch /data/x /tmp/y"));
  r = SKIFF ("run", "--rm", "--read-only", "--read-only-tmpfs=false", "busybox", "touch", "/tmp/y");
  assert_exit (r, 1);
  it_result_free (&r);
}

Test (volumes, volumes_from_another_container)
{
  char dir[512], spec[600];
  host_dir (dir, sizeof dir, "from");
  snprintf (spec, sizeof spec, "%s:/x:ro", dir);
  run_ok (SKIFF ("create", "--name", "vfsrc", "-v", spec, "-v", "vfvol:/y", "busybox", "true"));
  struct it_result r = SKIFF ("run", "--rm", "--volumes-from", "vfsrc", "busybox", "sh", "-c",
                              "cat /x/file; touch /y/ok; touch /x/no");
  assert_exit (r, 1);
  cr_assert_str_eq (r.out, "hello\n");
  cr_assert (strstr (r.err, "Read-only file system") != NULL, "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "--volumes-from", "vfsrc:rw", "busybox", "sh", "-c", "touch /x/now-rw && ls /y");
  assert_ok (r);
  cr_assert_str_eq (r.out, "ok\n");
  it_result_free (&r);
  run_ok (SKIFF ("rm", "vfsrc"));
  run_ok (SKIFF ("volume", "rm", "vfvol"));
}

Test (volumes, inspect_mounts_in_podman_shape)
{
  char dir[512], spec[600];
  host_dir (dir, sizeof dir, "insp");
  snprintf (spec, sizeof spec, "%s:/b:ro,rshared", dir);
  run_ok (SKIFF ("create", "--name", "inspm", "-v", spec, "-v", "iv:/v", "busybox", "true"));
  struct it_result r = SKIFF ("inspect", "--format", "{{json .Mounts}}", "inspm");
  assert_ok (r);
  char want[1200];
  snprintf (want, sizeof want,
            "[{\"Type\":\"bind\",\"Source\":\"%s\",\"Destination\":\"/b\",\"Driver\":\"\",\"Mode\":\"\",\"Options\":["
            "\"rbind\"],\"RW\":false,\"Propagation\":\"rshared\"},{\"Type\":\"volume\",\"Name\":\"iv\",\"Source\":\"",
            dir);
  cr_assert (strstr (r.out, want) == r.out, "%s", r.out);
  cr_assert (strstr (r.out, "/volumes/iv/_data\",\"Destination\":\"/v\",\"Driver\":\"local\",\"Mode\":\"\","
                            "\"Options\":[\"nosuid\",\"nodev\",\"rbind\"],\"RW\":true,\"Propagation\":\"rprivate\"}]")
                 != NULL,
             "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("ps", "-a", "--filter", "name=inspm", "--format", "{{.Mounts}}");
  assert_ok (r);
  cr_assert_str_eq (r.out, "/b,/v\n");
  it_result_free (&r);
  run_ok (SKIFF ("rm", "inspm"));
  run_ok (SKIFF ("volume", "rm", "iv"));
}

Test (volumes, u_chowns_to_the_container_user)
{
  char dir[512], spec[600];
  host_dir (dir, sizeof dir, "chown");
  snprintf (spec, sizeof spec, "%s:/data:U", dir);
  struct it_result r = SKIFF ("run", "--rm", "--user", "1000:2000", "-v", spec, "busybox", "stat", "-c", "%u:%g",
                              "/data", "/data/file");
  assert_ok (r);
  cr_assert_str_eq (r.out, "1000:2000\n1000:2000\n");
  it_result_free (&r);
  /* back to the caller, so the test's directory can be removed */
  char chown[700];
  snprintf (chown, sizeof chown, "chown -R 0:0 %s", dir);
  r = SKIFF ("unshare", "sh", "-c", chown);
  assert_ok (r);
  it_result_free (&r);
}

Test (volumes, system_reset_removes_volumes)
{
  char root[600], run[600];
  snprintf (root, sizeof root, "%s/vreset-root", it_dir ());
  snprintf (run, sizeof run, "%s/vreset-run", it_dir ());
  struct it_result r = it_skiff_in (root, run, NULL, NULL, (const char *const[]){ "volume", "create", "gone", NULL });
  assert_ok (r);
  it_result_free (&r);
  r = it_skiff_in (root, run, NULL, NULL, (const char *const[]){ "system", "reset", "--force", NULL });
  assert_ok (r);
  it_result_free (&r);
  r = it_skiff_in (root, run, NULL, NULL, (const char *const[]){ "volume", "ls", "-q", NULL });
  assert_ok (r);
  cr_assert_str_eq (r.out, "");
  it_result_free (&r);
}
