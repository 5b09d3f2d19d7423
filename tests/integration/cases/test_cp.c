/* skiff cp, export, mount: podman's path rules, running and stopped containers, tar streams, and the attacks
 * a container can try on cp (symlinks to /, chains of "..", dangling links, hostile tars, a swap race): every
 * container-side path stays inside the container's root. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../harness.h"

/* skiff with the harness's state, for shell lines (redirections): SK in the format, SK_ARGS its arguments */
#define SK "'%s' --root '%s/root' --runroot '%s/run'"
#define SK_ARGS getenv ("SKIFF_BINARY"), it_dir (), it_dir ()

/* a host directory of the test's own, which attacks aim at */
static char host[4096];

static void
setup_host (const char *name)
{
  snprintf (host, sizeof host, "%s/cp-%s", it_dir (), name);
  it_sh ("rm -rf '%s' && mkdir -p '%s/in/sub' '%s/out' '%s/target' && echo secret-of-the-host > '%s/target/secret' "
         "&& echo content-a > '%s/in/a' && echo content-b > '%s/in/sub/b'",
         host, host, host, host, host, host, host);
}

static void
ok (struct it_result r)
{
  assert_ok (r);
  it_result_free (&r);
}

static void
run_ctr (const char *name, const char *script)
{
  ok (SKIFF ("run", "-d", "--name", name, "--workdir", "/srv", "busybox", "sh", "-c", script));
  /* the script's set-up is done once it touches /ready */
  for (int i = 0; i < 200; i++)
    {
      struct it_result r = SKIFF ("exec", name, "test", "-e", "/ready");
      int st = r.status;
      it_result_free (&r);
      if (st == 0)
        return;
      it_msleep (50);
    }
  cr_assert_fail ("container %s did not get ready", name);
}

static void
expect_in (const char *ctr, const char *path, const char *content)
{
  struct it_result r = SKIFF ("exec", ctr, "cat", path);
  assert_ok (r);
  cr_assert_str_eq (r.out, content, "%s:%s", ctr, path);
  it_result_free (&r);
}

static void
expect_err (struct it_result r, const char *text)
{
  assert_exit (r, 125);
  cr_assert (strstr (r.err, text), "expected `%s` in: %s", text, r.err);
  it_result_free (&r);
}

static void
rm_ctr (const char *name)
{
  ok (SKIFF ("rm", "-f", "-t", "0", name));
}

static char *
host_file (const char *rel)
{
  char p[4200];
  snprintf (p, sizeof p, "%s/%s", host, rel);
  return it_slurp (p);
}

/* the host's target directory holds its secret and nothing else */
static void
host_untouched (void)
{
  char cmd[4300];
  snprintf (cmd, sizeof cmd, "test \"$(ls -A '%s/target')\" = secret", host);
  cr_assert_eq (system (cmd), 0, "something was written into the host directory %s/target", host);
}

Test (cp, host_to_running_container_paths)
{
  setup_host ("h2c");
  run_ctr ("cp-h2c", "mkdir -p /srv/subdir; touch /ready; exec sleep 1000");
  char src[4200];
  snprintf (src, sizeof src, "%s/in/a", host);
  const char *cases[][2] = { { "cp-h2c:/", "/a" },          { "cp-h2c:/tmp", "/tmp/a" },
                             { "cp-h2c:/tmp/.", "/tmp/a" }, { "cp-h2c:/tmp/new.txt", "/tmp/new.txt" },
                             { "cp-h2c:.", "/srv/a" },      { "cp-h2c:subdir", "/srv/subdir/a" } };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      ok (SKIFF ("cp", src, cases[i][0]));
      expect_in ("cp-h2c", cases[i][1], "content-a\n");
    }
  /* a directory into an existing directory goes inside it; with "/." only its contents */
  snprintf (src, sizeof src, "%s/in", host);
  ok (SKIFF ("cp", src, "cp-h2c:/tmp"));
  expect_in ("cp-h2c", "/tmp/in/sub/b", "content-b\n");
  snprintf (src, sizeof src, "%s/in/.", host);
  ok (SKIFF ("cp", src, "cp-h2c:/srv/subdir"));
  expect_in ("cp-h2c", "/srv/subdir/sub/b", "content-b\n");
  /* errors, with podman's texts */
  snprintf (src, sizeof src, "%s/in/nonesuch", host);
  struct it_result r = SKIFF ("cp", src, "cp-h2c:/tmp");
  expect_err (r, "could not be found on the host");
  snprintf (src, sizeof src, "%s/in/a", host);
  expect_err (SKIFF ("cp", src, "cp-h2c:/IdoNotExist/"),
              "\"/IdoNotExist/\" could not be found on container cp-h2c: no such file or directory");
  snprintf (src, sizeof src, "%s/in", host);
  expect_err (SKIFF ("cp", src, "cp-h2c:/etc/passwd"), "destination must be a directory when copying a directory");
  expect_err (SKIFF ("cp", "/a", "/b"), "name or ID cannot be empty");
  rm_ctr ("cp-h2c");
}

Test (cp, container_to_host_and_stopped_containers)
{
  setup_host ("c2h");
  ok (SKIFF ("create", "--name", "cp-stopped", "busybox", "true"));
  char src[4200], dst[4200];
  snprintf (src, sizeof src, "%s/in/a", host);
  ok (SKIFF ("cp", src, "cp-stopped:/etc/"));
  snprintf (dst, sizeof dst, "%s/out/copy", host);
  ok (SKIFF ("cp", "cp-stopped:/etc/a", dst));
  char *got = host_file ("out/copy");
  cr_assert_str_eq (got ? got : "", "content-a\n");
  free (got);
  /* a directory to a new name, and a container's directory with /. into an existing one */
  snprintf (dst, sizeof dst, "%s/out/etc-copy", host);
  ok (SKIFF ("cp", "cp-stopped:/etc", dst));
  got = host_file ("out/etc-copy/a");
  cr_assert_str_eq (got ? got : "", "content-a\n");
  free (got);
  snprintf (dst, sizeof dst, "%s/out", host);
  ok (SKIFF ("cp", "cp-stopped:/etc/.", dst));
  got = host_file ("out/a");
  cr_assert_str_eq (got ? got : "", "content-a\n");
  free (got);
  /* nothing stays mounted: the copy's mount lived in a namespace of its own */
  struct it_result r = SKIFF ("start", "-a", "cp-stopped");
  assert_ok (r);
  it_result_free (&r);
  rm_ctr ("cp-stopped");
}

Test (cp, container_to_container_and_overwrite)
{
  setup_host ("c2c");
  run_ctr ("cp-file", "echo from-file > /tmp/foo; touch /ready; exec sleep 1000");
  run_ctr ("cp-dir", "mkdir /tmp/foo; echo in-dir > /tmp/foo/file.txt; touch /ready; exec sleep 1000");
  ok (SKIFF ("cp", "cp-file:/tmp/foo", "cp-dir:/srv/"));
  expect_in ("cp-dir", "/srv/foo", "from-file\n");
  /* a file over a directory needs --overwrite, and the reverse too */
  expect_err (SKIFF ("cp", "cp-file:/tmp/foo", "cp-dir:/tmp"), "error creating \"/tmp/foo\"");
  expect_in ("cp-dir", "/tmp/foo/file.txt", "in-dir\n");
  expect_err (SKIFF ("cp", "cp-dir:/tmp/foo", "cp-file:/tmp"),
              "error creating \"/tmp/foo\": mkdir /tmp/foo: file exists");
  ok (SKIFF ("cp", "--overwrite", "cp-file:/tmp/foo", "cp-dir:/tmp"));
  expect_in ("cp-dir", "/tmp/foo", "from-file\n");
  rm_ctr ("cp-file");
  rm_ctr ("cp-dir");
}

Test (cp, archive_chowns_to_the_container_user)
{
  setup_host ("own");
  ok (SKIFF ("run", "-d", "--name", "cp-own", "--user", "1042:1043", "busybox", "sleep", "1000"));
  char src[4200];
  snprintf (src, sizeof src, "%s/in/a", host);
  ok (SKIFF ("cp", src, "cp-own:/tmp/owned"));
  struct it_result r = SKIFF ("exec", "cp-own", "stat", "-c", "%u:%g", "/tmp/owned");
  assert_ok (r);
  cr_assert_str_eq (r.out, "1042:1043\n");
  it_result_free (&r);
  /* -a=false keeps the IDs of a tar from stdin */
  it_sh ("cd '%s/in' && tar --owner=1050 --group=1051 -cf ../ids.tar a && " SK
         " cp -a=false - cp-own:/srv < ../ids.tar",
         host, SK_ARGS);
  r = SKIFF ("exec", "cp-own", "stat", "-c", "%u:%g", "/srv/a");
  assert_ok (r);
  cr_assert_str_eq (r.out, "1050:1051\n");
  it_result_free (&r);
  rm_ctr ("cp-own");
}

Test (cp, tar_streams_on_stdin_and_stdout)
{
  setup_host ("tar");
  run_ctr ("cp-tar", "echo in-tmp > /tmp/file.txt; touch /tmp/empty.txt; touch /ready; exec sleep 1000");
  char tarp[4200];
  snprintf (tarp, sizeof tarp, "%s/in.tar.gz", host);
  it_sh ("cd '%s' && tar -czf '%s' in", host, tarp);
  /* stdin: it_skiff takes text, so feed the archive through a shell */
  it_sh (SK " cp - cp-tar:/srv < '%s'", SK_ARGS, tarp);
  expect_in ("cp-tar", "/srv/in/sub/b", "content-b\n");
  expect_err (SKIFF_IN ("not a tar\n", "cp", "-", "cp-tar:/tmp"),
              "source must be a (compressed) tar archive when copying from stdin");
  expect_err (SKIFF_IN ("", "cp", "-", "cp-tar:/tmp/file.txt"),
              "destination must be a directory when copying from stdin");
  expect_err (SKIFF_IN ("", "cp", "-", "cp-tar:/tmp/IdoNotExist"),
              "destination must be a directory when copying from stdin");
  /* stdout: a file as one member, a directory under its name */
  it_sh ("cd '%s/out' && " SK " cp cp-tar:/tmp/file.txt - | tar x && test \"$(cat file.txt)\" = in-tmp && ! test -e "
         "empty.txt",
         host, SK_ARGS);
  it_sh ("cd '%s/out' && " SK " cp cp-tar:/tmp - | tar x && test \"$(cat tmp/file.txt)\" = in-tmp && test -e "
         "tmp/empty.txt",
         host, SK_ARGS);
  rm_ctr ("cp-tar");
}

/* A container's symlinks to /, to a chain of "..", to the host's absolute path, dangling ones: cp resolves
 * them all inside the container's root, reading and writing. */
Test (cp, symlinks_never_lead_out_of_the_container)
{
  setup_host ("links");
  char script[24000];
  snprintf (script, sizeof script,
            "mkdir -p /tmp/sub; ln -s / /tmp/rootlink; ln -s ../../../../../../../../.. /tmp/dots; "
            "ln -s '%s/target' /tmp/hostlink; ln -s ../../../../../../../../..'%s/target' /tmp/dotshost; "
            "ln -s '%s/target/pwned' /tmp/dangling; ln -s .. /tmp/sub/up; mkdir -p '%s/target'; "
            "echo container-secret > '%s/target/secret'; touch /ready; exec sleep 1000",
            host, host, host, host, host);
  run_ctr ("cp-links", script);
  char src[4200], dst[4200];
  snprintf (src, sizeof src, "%s/in/a", host);
  /* writing: each lands inside the container */
  ok (SKIFF ("cp", src, "cp-links:/tmp/rootlink/etc/via-root"));
  expect_in ("cp-links", "/etc/via-root", "content-a\n");
  ok (SKIFF ("cp", src, "cp-links:/tmp/dots/etc/via-dots"));
  expect_in ("cp-links", "/etc/via-dots", "content-a\n");
  ok (SKIFF ("cp", src, "cp-links:/tmp/hostlink/"));
  ok (SKIFF ("cp", src, "cp-links:/tmp/dotshost/w2"));
  ok (SKIFF ("cp", src, "cp-links:/tmp/dangling"));
  char inside[4200];
  snprintf (inside, sizeof inside, "%s/target/pwned", host);
  expect_in ("cp-links", inside, "content-a\n");
  host_untouched ();
  /* reading: the container's files, never the host's */
  snprintf (dst, sizeof dst, "%s/out/read1", host);
  ok (SKIFF ("cp", "cp-links:/tmp/hostlink/secret", dst));
  char *got = host_file ("out/read1");
  cr_assert_str_eq (got ? got : "", "container-secret\n");
  free (got);
  snprintf (dst, sizeof dst, "%s/out/read2", host);
  ok (SKIFF ("cp", "cp-links:/tmp/dotshost/secret", dst));
  got = host_file ("out/read2");
  cr_assert_str_eq (got ? got : "", "container-secret\n");
  free (got);
  /* a symlinked directory as the source is followed, inside (podman's "weird symlink") */
  snprintf (dst, sizeof dst, "%s/out/up", host);
  ok (SKIFF ("cp", "cp-links:/tmp/sub/up", dst));
  struct stat st;
  char lp[4300];
  snprintf (lp, sizeof lp, "%s/out/up/rootlink", host);
  cr_assert (lstat (lp, &st) == 0 && S_ISLNK (st.st_mode), "the symlink itself is copied");
  rm_ctr ("cp-links");
}

/* A tar on stdin names "..", absolute paths and members below its own symlink: nothing lands outside the
 * destination directory. */
Test (cp, hostile_tar_from_stdin_stays_inside)
{
  setup_host ("evil");
  run_ctr ("cp-evil", "mkdir /tmp/dst; touch /ready; exec sleep 1000");
  char tarp[4200];
  snprintf (tarp, sizeof tarp, "%s/evil.tar", host);
  it_sh ("cd '%s/in' && ln -s '%s/target' lnk && tar -cf '%s' lnk && rm lnk && mkdir -p lnk && echo x > lnk/owned && "
         "tar -rf '%s' lnk/owned && tar -rPf '%s' --transform 's,^,../../../../../../,' a",
         host, host, tarp, tarp, tarp);
  it_sh (SK " cp - cp-evil:/tmp/dst < '%s' || true", SK_ARGS, tarp);
  host_untouched ();
  struct it_result r = SKIFF ("exec", "cp-evil", "sh", "-c", "test -e /a || test -e /tmp/a; echo $?");
  assert_ok (r);
  cr_assert_str_eq (r.out, "1\n", "a `..` member was written outside the destination");
  it_result_free (&r);
  rm_ctr ("cp-evil");
}

/* The container swaps a directory for a symlink to the host directory in a loop while cp writes into it and
 * reads from it: no write lands in the host directory, no read returns the host's secret. */
Test (cp, swap_race_never_escapes)
{
  setup_host ("race");
  char script[8000];
  snprintf (script, sizeof script,
            "mkdir -p /r; touch /ready; while :; do rm -rf /r/d; mkdir /r/d; echo container-side > /r/d/secret; "
            "rm -rf /r/d; ln -s '%s/target' /r/d; done",
            host);
  run_ctr ("cp-race", script);
  char src[4200], dst[4200];
  snprintf (src, sizeof src, "%s/in", host);
  for (int i = 0; i < 60; i++)
    {
      struct it_result r = SKIFF ("cp", src, "cp-race:/r/d/");
      it_result_free (&r);
      snprintf (dst, sizeof dst, "%s/out/r%d", host, i);
      r = SKIFF ("cp", "cp-race:/r/d/secret", dst);
      it_result_free (&r);
      char rel[64];
      snprintf (rel, sizeof rel, "out/r%d", i);
      char *got = host_file (rel);
      cr_assert (got == NULL || strcmp (got, "secret-of-the-host\n") != 0, "cp read the host's file");
      free (got);
    }
  host_untouched ();
  rm_ctr ("cp-race");
}

Test (cp, export_and_mount)
{
  setup_host ("export");
  ok (SKIFF ("create", "--name", "cp-exp", "busybox", "true"));
  char out[4200];
  snprintf (out, sizeof out, "%s/out/exp.tar", host);
  ok (SKIFF ("export", "-o", out, "cp-exp"));
  it_sh ("tar tf '%s' | grep -qx 'bin/busybox'", out);
  ok (SKIFF ("container", "export", "-o", out, "cp-exp"));
  expect_err (SKIFF ("export", "-o", out, "nonesuch"), "no container with name or ID \"nonesuch\"");
  if (getuid () != 0)
    expect_err (SKIFF ("mount", "cp-exp"), "must execute `skiff unshare` first");
  it_sh (SK " unshare sh -c 'p=$(" SK " mount cp-exp) && test -x $p/bin/busybox && " SK
            " unmount cp-exp >/dev/null && ! test -e $p/bin/busybox'",
         SK_ARGS, SK_ARGS, SK_ARGS);
  rm_ctr ("cp-exp");
}

/* A record whose PID now belongs to another process (here one of ours, outside any container): cp must not
 * reach that process's root, whichever refuses first (the kernel's ptrace check, or skiff's check that the
 * root is not its own). */
Test (cp, stale_pid_never_reaches_another_root)
{
  setup_host ("stale");
  struct it_result r = SKIFF ("create", "--name", "cp-stale", "busybox", "true");
  assert_ok (r);
  char id[128];
  snprintf (id, sizeof id, "%.64s", r.out);
  it_result_free (&r);
  pid_t other = fork ();
  cr_assert (other >= 0);
  if (other == 0)
    {
      execlp ("sleep", "sleep", "100", (char *) NULL);
      _exit (127);
    }
  it_sh ("sed -i 's/\"Status\":\"created\"/\"Status\":\"running\"/; s/\"Pid\":0/\"Pid\":%d/; "
         "s/\"ConmonPid\":0/\"ConmonPid\":%d/' '%s/root/engine/containers/%s.json'",
         (int) other, (int) other, it_dir (), id);
  char src[4200], escaped[4300];
  snprintf (src, sizeof src, "%s/in/a", host);
  snprintf (escaped, sizeof escaped, "%s/target", host);
  char dst[4400];
  snprintf (dst, sizeof dst, "cp-stale:%s/", escaped);
  r = SKIFF ("cp", src, dst);
  cr_expect_eq (r.status, 125, "cp went through a stale PID: %s%s", r.out, r.err);
  it_result_free (&r);
  kill (other, SIGKILL);
  waitpid (other, NULL, 0);
  host_untouched ();
  r = SKIFF ("rm", "-f", "-t", "0", "cp-stale");
  it_result_free (&r);
}
