/* Security (#9): what a hostile image, archive, seccomp profile or another user's planted files can do to
 * skiff. Each test failed on main before the fix it covers (docs/security.md lists them). The tests that
 * need a second user are in contrib/shared-host-test.sh, run as root. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../harness.h"

#define TAR_BLOCK 512
#define DEEP_LEVELS 2000
#define DEEPER_LEVELS 10000
#define LOW_FD_LIMIT 256
#define DEEP_FILE_BYTES 12345
#define SHALLOW_LEVELS 2
/* above what skiff reads of an image's /etc/passwd (SKIFF_ID_FILE_MAX, 8 MiB) */
#define HUGE_PASSWD_BYTES (9 * 1024 * 1024)

/* A private store (NAME-root, NAME-run: the harness resets those at the end) with the busybox image, so that
 * the hostile images never reach the shared store other tests list. */
struct store
{
  char root[600], run[600];
};

static struct store
sec_store (void)
{
  struct store st;
  snprintf (st.root, sizeof st.root, "%s/sec-root", it_dir ());
  snprintf (st.run, sizeof st.run, "%s/sec-run", it_dir ());
  struct it_result r
      = it_skiff_in (st.root, st.run, NULL, NULL, (const char *const[]){ "image", "exists", "busybox", NULL });
  if (r.status != 0)
    {
      it_result_free (&r);
      r = it_skiff_in (st.root, st.run, NULL, NULL,
                       (const char *const[]){ "import", it_busybox_tar (), "busybox", NULL });
      assert_ok (r);
    }
  it_result_free (&r);
  return st;
}

#define SKIFF_AT(st, ...) it_skiff_in ((st).root, (st).run, NULL, NULL, (const char *const[]){ __VA_ARGS__, NULL })
#define SKIFF_AT_ENV(st, env, ...) \
  it_skiff_in ((st).root, (st).run, NULL, env, (const char *const[]){ __VA_ARGS__, NULL })

/* The busybox image with a shell command run in its root first (as the test user: owners become root again
 * in the tarball), imported as name. */
static void
variant_image (const struct store *st, const char *name, const char *change)
{
  char tar[700];
  snprintf (tar, sizeof tar, "%s/%s.tar", it_dir (), name);
  it_sh ("set -e; d=$(mktemp -d '%s/variant-XXXXXX'); mkdir \"$d/r\"; tar -C \"$d/r\" -xf '%s'; cd \"$d/r\"; %s; "
         "tar --numeric-owner --owner=0 --group=0 -C \"$d/r\" -cf '%s' .; cd /; rm -rf \"$d\"",
         it_dir (), it_busybox_tar (), change, tar);
  struct it_result r = SKIFF_AT (*st, "import", tar, name);
  assert_ok (r);
  it_result_free (&r);
}

static void
expect_refusal (struct it_result r, const char *what)
{
  assert_exit (r, 125);
  cr_assert (strstr (r.err, what) != NULL, "expected `%s` in: %s", what, r.err);
}

/* ---- hostile /etc/passwd: run, exec and top never hang or read without bound ---- */

Test (security, passwd_linked_to_dev_zero_is_refused, .timeout = 60)
{
  struct store st = sec_store ();
  variant_image (&st, "sec-zero", "rm -f etc/passwd; ln -s /dev/zero etc/passwd");
  struct it_result r = SKIFF_AT (st, "run", "--rm", "sec-zero", "true");
  expect_refusal (r, "/etc/passwd` is a character device, not a regular file");
  it_result_free (&r);
}

Test (security, passwd_fifo_does_not_hang_run, .timeout = 60)
{
  struct store st = sec_store ();
  variant_image (&st, "sec-fifo", "rm -f etc/passwd; mkfifo etc/passwd");
  struct it_result r = SKIFF_AT (st, "run", "--rm", "sec-fifo", "true");
  expect_refusal (r, "/etc/passwd` is a FIFO, not a regular file");
  it_result_free (&r);
  r = SKIFF_AT (st, "run", "--rm", "-u", "33:33", "sec-fifo", "true");
  expect_refusal (r, "FIFO");
  it_result_free (&r);
}

Test (security, huge_passwd_is_refused, .timeout = 60)
{
  struct store st = sec_store ();
  char change[200];
  snprintf (change, sizeof change, "head -c %d /dev/zero | tr '\\0' '#' > etc/passwd", HUGE_PASSWD_BYTES);
  variant_image (&st, "sec-huge", change);
  struct it_result r = SKIFF_AT (st, "run", "--rm", "sec-huge", "true");
  expect_refusal (r, "/etc/passwd` is larger than");
  it_result_free (&r);
}

/* The container itself turns its /etc/passwd into a FIFO: exec and top read it from outside. */
Test (security, passwd_fifo_made_by_the_container_does_not_hang_exec_or_top, .timeout = 60)
{
  struct store st = sec_store ();
  struct it_result r = SKIFF_AT (st, "run", "-d", "--name", "sec-mkfifo", "busybox", "sleep", "300");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF_AT (st, "exec", "sec-mkfifo", "sh", "-c", "rm /etc/passwd /etc/group && mkfifo /etc/passwd /etc/group");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF_AT (st, "exec", "sec-mkfifo", "true");
  expect_refusal (r, "FIFO");
  it_result_free (&r);
  r = SKIFF_AT (st, "top", "sec-mkfifo", "user", "group", "pid");
  assert_ok (r);
  cr_assert (strstr (r.out, "0 ") != NULL, "uids shown as numbers: %s", r.out);
  it_result_free (&r);
  r = SKIFF_AT (st, "rm", "-f", "-t", "0", "sec-mkfifo");
  assert_ok (r);
  it_result_free (&r);
}

/* top read the container's files through /proc/PID/root, where an absolute link resolves on the host. */
Test (security, top_does_not_follow_links_out_of_the_container)
{
  struct store st = sec_store ();
  char host_file[600], change[800];
  snprintf (host_file, sizeof host_file, "%s/host-passwd", it_dir ());
  it_write_text (host_file, "hostonly:x:0:0:host:/:/bin/sh\n");
  snprintf (change, sizeof change, "rm -f etc/passwd; ln -s '%s' etc/passwd", host_file);
  variant_image (&st, "sec-hostlink", change);
  struct it_result r = SKIFF_AT (st, "run", "-d", "--name", "sec-hostlink", "sec-hostlink", "sleep", "300");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF_AT (st, "top", "sec-hostlink", "user", "pid");
  assert_ok (r);
  cr_assert (strstr (r.out, "hostonly") == NULL, "a host file was read: %s", r.out);
  it_result_free (&r);
  r = SKIFF_AT (st, "rm", "-f", "-t", "0", "sec-hostlink");
  assert_ok (r);
  it_result_free (&r);
}

/* ---- long-lived processes do not show the CLI's arguments ---- */

static bool
some_cmdline_contains (const char *token, char *who, size_t who_len)
{
  DIR *d = opendir ("/proc");
  cr_assert_not_null (d);
  struct dirent *de;
  bool found = false;
  while (!found && (de = readdir (d)) != NULL)
    {
      if (de->d_name[0] < '1' || de->d_name[0] > '9')
        continue;
      char path[300];
      snprintf (path, sizeof path, "/proc/%s/cmdline", de->d_name);
      int fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        continue;
      char buf[8192];
      ssize_t n = read (fd, buf, sizeof buf - 1);
      close (fd);
      if (n <= 0)
        continue;
      for (ssize_t i = 0; i < n; i++)
        if (buf[i] == '\0')
          buf[i] = ' ';
      buf[n] = '\0';
      if (strstr (buf, token))
        {
          snprintf (who, who_len, "pid %s: %s", de->d_name, buf);
          found = true;
        }
    }
  closedir (d);
  return found;
}

static char *
cmdline_of (int pid)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/cmdline", pid);
  char *s = it_slurp (path);
  cr_assert_not_null (s, "no process %d", pid);
  return s;
}

Test (security, monitor_pause_and_infra_hide_the_command_line)
{
  /* a store of its own, so that the pause process is forked by a command that carries a secret */
  char root[600], run[600];
  snprintf (root, sizeof root, "%s/title-root", it_dir ());
  snprintf (run, sizeof run, "%s/title-run", it_dir ());
  char tok[3][64], env[3][100];
  for (int i = 0; i < 3; i++)
    {
      snprintf (tok[i], sizeof tok[i], "hunter2-%d-%ld", i, (long) getpid ());
      snprintf (env[i], sizeof env[i], "DB_PASSWORD=%s", tok[i]);
    }
  char change[120];
  snprintf (change, sizeof change, "ENV %s", env[0]);
  struct it_result r = it_skiff_in (
      root, run, NULL, NULL, (const char *const[]){ "import", "--change", change, it_busybox_tar (), "secimg", NULL });
  assert_ok (r);
  it_result_free (&r);
  r = it_skiff_in (root, run, NULL, NULL,
                   (const char *const[]){ "run", "-d", "--name", "t1", "-e", env[1], "secimg", "sleep", "300", NULL });
  assert_ok (r);
  it_result_free (&r);
  r = it_skiff_in (root, run, NULL, NULL,
                   (const char *const[]){ "run", "-d", "--pod", "new:tpod", "--name", "t2", "-e", env[2], "secimg",
                                          "sleep", "300", NULL });
  assert_ok (r);
  it_result_free (&r);
  char who[9000];
  for (int i = 0; i < 3; i++)
    cr_assert_not (some_cmdline_contains (tok[i], who, sizeof who), "a process shows the secret: %s", who);
  r = it_skiff_in (root, run, NULL, NULL,
                   (const char *const[]){ "inspect", "--format", "{{.State.ConmonPid}}", "t1", NULL });
  assert_ok (r);
  char *monitor = cmdline_of (atoi (r.out));
  cr_assert_str_eq (monitor, "skiff-monitor");
  free (monitor);
  it_result_free (&r);
  char pidfile[700];
  snprintf (pidfile, sizeof pidfile, "%s/pause.pid", run);
  char *pid = it_slurp (pidfile);
  cr_assert_not_null (pid);
  char *pause = cmdline_of (atoi (pid));
  cr_assert_str_eq (pause, "skiff-pause");
  free (pause);
  free (pid);
  r = it_skiff_in (root, run, NULL, NULL, (const char *const[]){ "pod", "rm", "-f", "tpod", NULL });
  assert_ok (r);
  it_result_free (&r);
  r = it_skiff_in (root, run, NULL, NULL, (const char *const[]){ "rm", "-f", "-t", "0", "t1", NULL });
  assert_ok (r);
  it_result_free (&r);
}

/* ---- deep trees are removed with few descriptors ---- */

static void
tar_header_link (FILE *f, const char *name, char type, size_t size, const char *link)
{
  unsigned char h[TAR_BLOCK] = { 0 };
  snprintf ((char *) h, 100, "%s", name);
  if (link)
    snprintf ((char *) h + 157, 100, "%s", link); /* the start of it, as tar writes it; pax has it whole */
  snprintf ((char *) h + 100, 8, "%07o", type == '5' ? 0755 : 0644);
  snprintf ((char *) h + 108, 8, "%07o", 0);
  snprintf ((char *) h + 116, 8, "%07o", 0);
  snprintf ((char *) h + 124, 12, "%011zo", size);
  snprintf ((char *) h + 136, 12, "%011o", 0);
  h[156] = (unsigned char) type;
  memcpy (h + 257, "ustar", 6);
  memcpy (h + 263, "00", 2);
  memset (h + 148, ' ', 8);
  unsigned sum = 0;
  for (size_t i = 0; i < TAR_BLOCK; i++)
    sum += h[i];
  snprintf ((char *) h + 148, 8, "%06o", sum);
  h[155] = ' ';
  cr_assert_eq (fwrite (h, 1, TAR_BLOCK, f), TAR_BLOCK);
}

static void
tar_header (FILE *f, const char *name, char type, size_t size)
{
  tar_header_link (f, name, type, size, NULL);
}

static void
tar_data (FILE *f, const char *data, size_t len)
{
  static const char zeros[TAR_BLOCK];
  cr_assert_eq (fwrite (data, 1, len, f), len);
  if (len % TAR_BLOCK)
    cr_assert_eq (fwrite (zeros, 1, TAR_BLOCK - len % TAR_BLOCK, f), TAR_BLOCK - len % TAR_BLOCK);
}

/* A pax extended header giving key=value to the entry that follows. */
static void
tar_pax (FILE *f, const char *key, const char *value)
{
  /* "LEN key=value\n", where LEN counts itself */
  size_t body = strlen (key) + strlen (value) + 3, len = body;
  char digits[32];
  do
    {
      snprintf (digits, sizeof digits, "%zu", len);
      len = body + strlen (digits);
      snprintf (digits, sizeof digits, "%zu", len);
    }
  while (body + strlen (digits) != len);
  char *rec = malloc (len + 1);
  cr_assert_not_null (rec);
  snprintf (rec, len + 1, "%s %s=%s\n", digits, key, value);
  tar_header (f, "PaxHeader/f", 'x', len);
  tar_data (f, rec, len);
  free (rec);
}

/* "deep/d/d/.../d/f", the file `levels` directories down. */
static char *
deep_file_path (int levels)
{
  char *p = malloc (strlen ("deep") + 2 * (size_t) levels + 1), *q = p;
  cr_assert_not_null (p);
  q += sprintf (q, "deep");
  for (int i = 1; i < levels; i++)
    q += sprintf (q, "/d");
  sprintf (q, "/f");
  return p;
}

/* A rootfs tarball with one file `levels` directories down: a pax header carries the long path, and the
 * extractor creates the directories on the way. With `busybox`, the file (DEEP_FILE_BYTES of 'x') has a
 * second name at the top, `/deep-link`, and busybox's tarball follows, so that the image can run. */
static void
write_deep_tar_with (const char *path, int levels, bool busybox)
{
  char *p = deep_file_path (levels);
  FILE *f = fopen (path, "wb");
  cr_assert_not_null (f);
  size_t size = busybox ? DEEP_FILE_BYTES : 2;
  char *data = malloc (size);
  cr_assert_not_null (data);
  memset (data, 'x', size);
  data[size - 1] = '\n';
  tar_pax (f, "path", p);
  tar_header (f, "f", '0', size);
  tar_data (f, data, size);
  free (data);
  if (busybox)
    {
      tar_pax (f, "linkpath", p);
      tar_header_link (f, "deep-link", '1', 0, p);
      FILE *bb = fopen (it_busybox_tar (), "rb");
      cr_assert_not_null (bb);
      char buf[1 << 16];
      size_t n;
      while ((n = fread (buf, 1, sizeof buf, bb)) > 0)
        cr_assert_eq (fwrite (buf, 1, n, f), n);
      fclose (bb);
    }
  else
    {
      static const char end[2 * TAR_BLOCK];
      cr_assert_eq (fwrite (end, 1, sizeof end, f), sizeof end);
    }
  cr_assert_eq (fclose (f), 0);
  free (p);
}

static void
write_deep_tar (const char *path, int levels)
{
  write_deep_tar_with (path, levels, false);
}

static void
low_fd_limit (void)
{
  struct rlimit rl;
  cr_assert_eq (getrlimit (RLIMIT_NOFILE, &rl), 0);
  rl.rlim_cur = LOW_FD_LIMIT;
  cr_assert_eq (setrlimit (RLIMIT_NOFILE, &rl), 0);
}

/* A container that makes a tree `levels` directories deep in its own layer (the image layers themselves stop
 * at the tar path cap, SKIFF_TAR_PATH_MAX: their deepest name must fit in one path, as the kernel wants). */
static void
run_deep_container (struct store *st, const char *name, int levels)
{
  char n[32];
  snprintf (n, sizeof n, "%d", levels);
  struct it_result r = SKIFF_AT (*st, "run", "--name", name, "busybox", "sysprobe", "deeptree", n);
  assert_ok (r);
  it_result_free (&r);
}

/* rmi and system reset failed with "Too many open files" on a 2,000-level tree, and every later command
 * warned about the leftover. The limit is the test process's, which skiff inherits. */
Test (security, deep_trees_are_removed_by_rmi_and_reset, .timeout = 300)
{
  char root[600], run[600], t2k[600], t10k[600];
  snprintf (root, sizeof root, "%s/deep-root", it_dir ());
  snprintf (run, sizeof run, "%s/deep-run", it_dir ());
  snprintf (t2k, sizeof t2k, "%s/deep2k.tar", it_dir ());
  snprintf (t10k, sizeof t10k, "%s/deep10k.tar", it_dir ());
  write_deep_tar (t2k, DEEP_LEVELS);
  write_deep_tar (t10k, DEEPER_LEVELS);
  struct store st;
  snprintf (st.root, sizeof st.root, "%s", root);
  snprintf (st.run, sizeof st.run, "%s", run);
  struct it_result r = SKIFF_AT (st, "import", t2k, "deep2k");
  assert_ok (r);
  it_result_free (&r);
  /* a member name no kernel call could take is refused, with the reason, and nothing is left */
  r = SKIFF_AT (st, "import", t10k, "deep10k");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "longer than 4096 bytes") != NULL, "%s", r.err);
  it_result_free (&r);
  r = SKIFF_AT (st, "import", it_busybox_tar (), "busybox");
  assert_ok (r);
  it_result_free (&r);
  run_deep_container (&st, "deep10k", DEEPER_LEVELS);
  low_fd_limit ();
  r = SKIFF_AT (st, "rmi", "deep2k");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF_AT (st, "rm", "deep10k");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF_AT (st, "images");
  assert_ok (r);
  cr_assert_str_eq (r.err, "", "a later command warns: %s", r.err);
  it_result_free (&r);
  /* and the whole store at once */
  run_deep_container (&st, "deep10k-again", DEEPER_LEVELS);
  r = SKIFF_AT (st, "import", t2k, "deep2k");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF_AT (st, "system", "reset", "--force");
  assert_ok (r);
  it_result_free (&r);
  struct stat sb;
  cr_assert_neq (stat (root, &sb), 0, "the store is still there");
}

/* `inspect --size` of a container, as a number. */
static long long
size_of (const struct store *st, const char *driver, const char *ctr)
{
  struct it_result r
      = driver ? SKIFF_AT (*st, "--storage-driver", driver, "inspect", "--size", "--format", "{{.SizeRootFs}}", ctr)
               : SKIFF_AT (*st, "inspect", "--size", "--format", "{{.SizeRootFs}}", ctr);
  assert_ok (r);
  long long n = atoll (r.out);
  it_result_free (&r);
  return n;
}

/* The vfs driver copied an image into a container with a descriptor per level, and `inspect --size` summed
 * the files with nftw, which cannot reach below PATH_MAX: a 2,000-level image could not run with vfs. The
 * deep file's second name at the top shows that the copy kept the hardlink; the same image at two levels
 * gives the size the deep one must have. */
Test (security, deep_image_runs_with_vfs_and_is_sized, .timeout = 300)
{
  struct store st;
  snprintf (st.root, sizeof st.root, "%s/deepvfs-root", it_dir ());
  snprintf (st.run, sizeof st.run, "%s/deepvfs-run", it_dir ());
  char deep[600], shallow[600];
  snprintf (deep, sizeof deep, "%s/deep2k-bb.tar", it_dir ());
  snprintf (shallow, sizeof shallow, "%s/shallow-bb.tar", it_dir ());
  write_deep_tar_with (deep, DEEP_LEVELS, true);
  write_deep_tar_with (shallow, SHALLOW_LEVELS, true);
  struct it_result r = SKIFF_AT (st, "--storage-driver", "vfs", "import", deep, "deep2k");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF_AT (st, "--storage-driver", "vfs", "import", shallow, "shallow");
  assert_ok (r);
  it_result_free (&r);
  low_fd_limit ();
  r = SKIFF_AT (st, "--storage-driver", "vfs", "run", "--name", "deepc", "deep2k", "sh", "-c",
                "stat -c %h /deep-link; wc -c < /deep-link");
  assert_ok (r);
  char want[64];
  snprintf (want, sizeof want, "2\n%d\n", DEEP_FILE_BYTES);
  cr_assert_str_eq (r.out, want);
  it_result_free (&r);
  r = SKIFF_AT (st, "--storage-driver", "vfs", "run", "--name", "shallowc", "shallow", "true");
  assert_ok (r);
  it_result_free (&r);
  long long dsize = size_of (&st, "vfs", "deepc"), ssize = size_of (&st, "vfs", "shallowc");
  cr_assert_geq (ssize, DEEP_FILE_BYTES);
  cr_assert_eq (dsize, ssize, "the deep container's size %lld, the shallow one's %lld", dsize, ssize);
  r = SKIFF_AT (st, "--storage-driver", "vfs", "rm", "deepc", "shallowc");
  assert_ok (r);
  it_result_free (&r);
}

/* What a container writes is summed at any depth too (with overlay, the container's own files). */
Test (security, deep_tree_written_by_a_container_is_sized, .timeout = 120)
{
  struct store st = sec_store ();
  char deep_cmd[300], shallow_cmd[300];
  snprintf (deep_cmd, sizeof deep_cmd,
            "i=0; while [ $i -lt %d ]; do mkdir d && cd d || exit 1; i=$((i+1)); done; head -c %d /dev/zero > f",
            DEEP_LEVELS, DEEP_FILE_BYTES);
  snprintf (shallow_cmd, sizeof shallow_cmd, "mkdir -p d/d && head -c %d /dev/zero > d/d/f", DEEP_FILE_BYTES);
  struct it_result r = SKIFF_AT (st, "run", "--name", "deepw", "-w", "/tmp", "busybox", "sh", "-c", deep_cmd);
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF_AT (st, "run", "--name", "shalloww", "-w", "/tmp", "busybox", "sh", "-c", shallow_cmd);
  assert_ok (r);
  it_result_free (&r);
  low_fd_limit ();
  long long dsize = size_of (&st, NULL, "deepw"), ssize = size_of (&st, NULL, "shalloww");
  cr_assert_geq (ssize, DEEP_FILE_BYTES);
  cr_assert_eq (dsize, ssize, "the deep container's size %lld, the shallow one's %lld", dsize, ssize);
  r = SKIFF_AT (st, "rm", "deepw", "shalloww");
  assert_ok (r);
  it_result_free (&r);
}

/* push and save re-tarred a layer with a descriptor per level: "Too many open files" on a 2,000-level image.
 * Pushed twice, the layer has the same digest; the saved archive loads back. */
Test (security, deep_image_is_saved_and_pushed, .timeout = 300)
{
  struct store st, st2;
  snprintf (st.root, sizeof st.root, "%s/deepx-root", it_dir ());
  snprintf (st.run, sizeof st.run, "%s/deepx-run", it_dir ());
  snprintf (st2.root, sizeof st2.root, "%s/deepload-root", it_dir ());
  snprintf (st2.run, sizeof st2.run, "%s/deepload-run", it_dir ());
  char tar[600], saved[600], oci[600], regdir[600], df1[700], df2[700];
  snprintf (tar, sizeof tar, "%s/deep2k-push.tar", it_dir ());
  snprintf (saved, sizeof saved, "%s/deep2k-saved.tar", it_dir ());
  snprintf (oci, sizeof oci, "%s/deep2k-oci.tar", it_dir ());
  write_deep_tar (tar, DEEP_LEVELS);
  struct it_result r = SKIFF_AT (st, "import", tar, "deep2k");
  assert_ok (r);
  it_result_free (&r);

  snprintf (regdir, sizeof regdir, "%s/deepreg-XXXXXX", it_dir ());
  cr_assert (mkdtemp (regdir), "mkdtemp: %s", strerror (errno));
  int port = it_free_port ();
  char cfg[1024], dest[100];
  snprintf (cfg, sizeof cfg,
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    "
            "rootdirectory: %s/data\nhttp:\n  addr: 127.0.0.1:%d\n",
            regdir, port);
  pid_t reg = it_registry_serve (regdir, cfg, port);
  snprintf (dest, sizeof dest, "127.0.0.1:%d/deep:2k", port);
  snprintf (df1, sizeof df1, "%s/digest1", regdir);
  snprintf (df2, sizeof df2, "%s/digest2", regdir);

  low_fd_limit ();
  r = SKIFF_AT (st, "save", "-o", saved, "deep2k");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF_AT (st, "save", "--format", "oci-archive", "-o", oci, "deep2k");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF_AT (st, "push", "--tls-verify=false", "--digestfile", df1, "deep2k", dest);
  int pushed1 = r.status;
  char *err1 = strdup (r.err);
  it_result_free (&r);
  r = SKIFF_AT (st, "push", "--tls-verify=false", "--digestfile", df2, "deep2k", dest);
  int pushed2 = r.status;
  it_result_free (&r);
  kill (reg, SIGTERM);
  waitpid (reg, NULL, 0);
  cr_assert_eq (pushed1, 0, "push: %s", err1);
  free (err1);
  cr_assert_eq (pushed2, 0);
  char *d1 = it_slurp (df1), *d2 = it_slurp (df2);
  cr_assert (d1 && d2 && strncmp (d1, "sha256:", 7) == 0);
  cr_assert_str_eq (d1, d2, "pushed twice, the digests differ");
  free (d1);
  free (d2);
  it_sh ("rm -rf '%s'", regdir);

  r = SKIFF_AT (st2, "load", "-i", saved);
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF_AT (st2, "image", "exists", "deep2k");
  assert_ok (r);
  it_result_free (&r);
}

/* ---- credentials: the fallback directory in a shared place, and the auth file itself ---- */

struct auth_env
{
  char tmpdir[600], rundir[700], authfile[800];
  char tmpdir_env[700];
  char *env[5];
};

/* Without XDG_RUNTIME_DIR, the auth file is in $TMPDIR/storage-run-UID (c/storage's fallback) unless
 * /run/user/UID is the user's: SKIFF_TEST_RUN_USER_DIR names a missing one instead. TMPDIR is a sticky,
 * world-writable directory of the test's. */
static void
auth_env_init (struct auth_env *a, const char *name)
{
  snprintf (a->tmpdir, sizeof a->tmpdir, "%s/%s-tmp", it_dir (), name);
  cr_assert_eq (mkdir (a->tmpdir, 0700), 0);
  cr_assert_eq (chmod (a->tmpdir, 01777), 0);
  snprintf (a->rundir, sizeof a->rundir, "%s/storage-run-%u", a->tmpdir, (unsigned) getuid ());
  snprintf (a->authfile, sizeof a->authfile, "%s/containers/auth.json", a->rundir);
  snprintf (a->tmpdir_env, sizeof a->tmpdir_env, "TMPDIR=%s", a->tmpdir);
  a->env[0] = a->tmpdir_env;
  a->env[1] = (char *) "XDG_RUNTIME_DIR=";
  a->env[2] = (char *) "REGISTRY_AUTH_FILE=";
  a->env[3] = (char *) "SKIFF_TEST_RUN_USER_DIR=/nonexistent/skiff-run-user";
  a->env[4] = NULL;
}

static struct it_result
auth_skiff (struct auth_env *a, const char *const *args)
{
  return it_skiff (NULL, a->env, args);
}

Test (security, auth_fallback_dir_is_made_private)
{
  struct auth_env a;
  auth_env_init (&a, "auth-ok");
  struct it_result r = auth_skiff (&a, (const char *const[]){ "login", "--get-login", "localhost:5999", NULL });
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "not logged into") != NULL, "%s", r.err);
  it_result_free (&r);
  struct stat sb;
  cr_assert_eq (lstat (a.rundir, &sb), 0, "%s was not made", a.rundir);
  cr_assert (S_ISDIR (sb.st_mode));
  cr_assert_eq (sb.st_mode & 07777, 0700);
}

Test (security, auth_fallback_dir_planted_by_someone_is_refused)
{
  struct auth_env a;
  auth_env_init (&a, "auth-planted");
  /* a link to a directory the "attacker" controls, then a directory anyone can write to */
  char elsewhere[700];
  snprintf (elsewhere, sizeof elsewhere, "%s/elsewhere", a.tmpdir);
  cr_assert_eq (mkdir (elsewhere, 0777), 0);
  cr_assert_eq (symlink (elsewhere, a.rundir), 0);
  struct it_result r = auth_skiff (&a, (const char *const[]){ "logout", "--all", NULL });
  expect_refusal (r, "is not a private directory of yours (it is a symbolic link)");
  cr_assert (strstr (r.err, "XDG_RUNTIME_DIR") != NULL, "the fix is named: %s", r.err);
  it_result_free (&r);
  r = auth_skiff (&a, (const char *const[]){ "login", "--get-login", "localhost:5999", NULL });
  expect_refusal (r, "is not a private directory of yours");
  it_result_free (&r);
  cr_assert_eq (unlink (a.rundir), 0);
  cr_assert_eq (mkdir (a.rundir, 0700), 0);
  cr_assert_eq (chmod (a.rundir, 0777), 0);
  r = auth_skiff (&a, (const char *const[]){ "logout", "--all", NULL });
  expect_refusal (r, "others can write to it");
  it_result_free (&r);
}

/* A FIFO made in place of auth.json hung pull; a link to /dev/zero aborted it. */
Test (security, auth_file_fifo_or_device_is_refused, .timeout = 60)
{
  struct auth_env a;
  auth_env_init (&a, "auth-fifo");
  char dir[800];
  snprintf (dir, sizeof dir, "%s/containers", a.rundir);
  cr_assert_eq (mkdir (a.rundir, 0700), 0);
  cr_assert_eq (mkdir (dir, 0700), 0);
  cr_assert_eq (mkfifo (a.authfile, 0600), 0);
  struct it_result r = auth_skiff (&a, (const char *const[]){ "login", "--get-login", "localhost:5999", NULL });
  expect_refusal (r, "a FIFO, not a regular file");
  it_result_free (&r);
  r = auth_skiff (&a, (const char *const[]){ "pull", "localhost:5999/nothing", NULL });
  cr_assert_neq (r.status, 0);
  it_result_free (&r);
  cr_assert_eq (unlink (a.authfile), 0);
  cr_assert_eq (symlink ("/dev/zero", a.authfile), 0);
  r = auth_skiff (&a, (const char *const[]){ "login", "--get-login", "localhost:5999", NULL });
  expect_refusal (r, "a symbolic link, not a regular file");
  it_result_free (&r);
}

/* ---- --log-opt path= ---- */

Test (security, log_path_link_or_fifo_is_refused, .timeout = 60)
{
  struct store st = sec_store ();
  char victim[600], link[600], fifo[600], opt[700];
  snprintf (victim, sizeof victim, "%s/victim", it_dir ());
  snprintf (link, sizeof link, "%s/log-link", it_dir ());
  snprintf (fifo, sizeof fifo, "%s/log-fifo", it_dir ());
  it_write_text (victim, "precious\n");
  cr_assert_eq (symlink (victim, link), 0);
  cr_assert_eq (mkfifo (fifo, 0600), 0);
  snprintf (opt, sizeof opt, "path=%s", link);
  struct it_result r = SKIFF_AT (st, "run", "-d", "--log-opt", opt, "busybox", "echo", "overwritten");
  expect_refusal (r, "is a symbolic link");
  it_result_free (&r);
  snprintf (opt, sizeof opt, "path=%s", fifo);
  r = SKIFF_AT (st, "run", "-d", "--log-opt", opt, "busybox", "echo", "hi");
  expect_refusal (r, "is not a regular file");
  it_result_free (&r);
  char *v = it_slurp (victim);
  cr_assert_str_eq (v, "precious\n");
  free (v);
}

/* Rotation wrote to `<path>.tmp`, following a link someone planted there. */
Test (security, log_rotation_uses_a_fresh_temporary_file)
{
  struct store st = sec_store ();
  char victim[600], log[600], planted[700], opt[700];
  snprintf (victim, sizeof victim, "%s/rot-victim", it_dir ());
  snprintf (log, sizeof log, "%s/rot.log", it_dir ());
  snprintf (planted, sizeof planted, "%s.tmp", log);
  it_write_text (victim, "precious\n");
  cr_assert_eq (symlink (victim, planted), 0);
  snprintf (opt, sizeof opt, "path=%s", log);
  struct it_result r
      = SKIFF_AT (st, "run", "--name", "sec-rot", "--log-opt", opt, "--log-opt", "max-size=8k", "-d", "busybox", "sh",
                  "-c", "i=0; while [ $i -lt 1000 ]; do echo line-$i-xxxxxxxxxxxxxxxx; i=$((i+1)); done");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF_AT (st, "wait", "sec-rot");
  assert_ok (r);
  it_result_free (&r);
  char *v = it_slurp (victim);
  cr_assert_str_eq (v, "precious\n", "the planted link was followed");
  free (v);
  struct stat sb;
  cr_assert_eq (lstat (planted, &sb), 0);
  cr_assert (S_ISLNK (sb.st_mode), "the planted link was replaced");
  r = SKIFF_AT (st, "rm", "sec-rot");
  assert_ok (r);
  it_result_free (&r);
}

/* ---- what held up already: storage, run root, logs, locks and sockets are the user's alone ---- */

static void
assert_private (const char *path)
{
  struct stat sb;
  cr_assert_eq (lstat (path, &sb), 0, "%s: %s", path, strerror (errno));
  cr_assert_eq (sb.st_mode & 077, 0, "%s is mode %04o", path, (unsigned) (sb.st_mode & 07777));
}

Test (security, storage_and_run_files_are_private)
{
  struct store st = sec_store ();
  struct it_result r = SKIFF_AT (st, "run", "-d", "--name", "sec-modes", "busybox", "sleep", "300");
  assert_ok (r);
  char cid[80];
  snprintf (cid, sizeof cid, "%.64s", r.out);
  it_result_free (&r);
  r = SKIFF_AT (st, "inspect", "--format", "{{.LogPath}}", "sec-modes");
  assert_ok (r);
  r.out[strcspn (r.out, "\n")] = '\0';
  assert_private (r.out);
  it_result_free (&r);
  char p[900];
  assert_private (st.root);
  assert_private (st.run);
  snprintf (p, sizeof p, "%s/storage.lock", st.root);
  assert_private (p);
  snprintf (p, sizeof p, "%s/containers/%s", st.root, cid);
  assert_private (p);
  snprintf (p, sizeof p, "%s/containers/%s/attach", st.root, cid);
  assert_private (p);
  snprintf (p, sizeof p, "%s/pause.pid", st.run);
  assert_private (p);
  r = SKIFF_AT (st, "rm", "-f", "-t", "0", "sec-modes");
  assert_ok (r);
  it_result_free (&r);
}

/* ---- messages that say what happened ---- */

Test (security, seccomp_profile_that_kills_or_blocks_skiff_says_so)
{
  struct store st = sec_store ();
  char kill_prof[600], block_prof[600], opt[700];
  snprintf (kill_prof, sizeof kill_prof, "%s/seccomp-kill.json", it_dir ());
  snprintf (block_prof, sizeof block_prof, "%s/seccomp-block.json", it_dir ());
  it_write_text (kill_prof, "{\"defaultAction\":\"SCMP_ACT_KILL\",\"syscalls\":[{\"names\":[\"read\",\"write\","
                            "\"exit\",\"exit_group\",\"rt_sigreturn\",\"brk\",\"mmap\",\"munmap\"],"
                            "\"action\":\"SCMP_ACT_ALLOW\"}]}\n");
  it_write_text (block_prof, "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"setresuid\","
                             "\"sendmsg\",\"sendto\",\"write\",\"writev\"],\"action\":\"SCMP_ACT_ERRNO\"}]}\n");
  snprintf (opt, sizeof opt, "seccomp=%s", kill_prof);
  struct it_result r = SKIFF_AT (st, "run", "--rm", "--security-opt", opt, "busybox", "true");
  expect_refusal (r, "killed by signal 31");
  cr_assert (strstr (r.err, "seccomp profile") != NULL, "%s", r.err);
  it_result_free (&r);
  snprintf (opt, sizeof opt, "seccomp=%s", block_prof);
  r = SKIFF_AT (st, "run", "--rm", "--security-opt", opt, "busybox", "true");
  expect_refusal (r, "could not say why: the seccomp profile blocks");
  it_result_free (&r);
  /* detached, the monitor reports it too (it used to record a container that exited 125) */
  r = SKIFF_AT (st, "run", "-d", "--name", "sec-blocked", "--security-opt", opt, "busybox", "true");
  expect_refusal (r, "seccomp profile");
  it_result_free (&r);
  r = SKIFF_AT (st, "rm", "-f", "sec-blocked");
  it_result_free (&r);
}

/* exec loads the container's profile too: one that kills setresuid(33, ...) lets the container start as root
 * but kills `exec -u 33` before its command, which exited 159 without a word. */
Test (security, seccomp_profile_that_kills_exec_says_so, .timeout = 60)
{
  struct store st = sec_store ();
  char prof[600], opt[700];
  snprintf (prof, sizeof prof, "%s/seccomp-kill-33.json", it_dir ());
  it_write_text (prof,
                 "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"setresuid\"],"
                 "\"action\":\"SCMP_ACT_KILL\",\"args\":[{\"index\":0,\"value\":33,\"op\":\"SCMP_CMP_EQ\"}]}]}\n");
  snprintf (opt, sizeof opt, "seccomp=%s", prof);
  struct it_result r
      = SKIFF_AT (st, "run", "-d", "--name", "sec-exec-kill", "--security-opt", opt, "busybox", "sleep", "60");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF_AT (st, "exec", "sec-exec-kill", "true");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF_AT (st, "exec", "-u", "33", "sec-exec-kill", "true");
  expect_refusal (r, "killed by signal 31");
  cr_assert (strstr (r.err, "seccomp profile") != NULL, "%s", r.err);
  it_result_free (&r);
  /* a command that runs and dies of a signal is still its own status */
  r = SKIFF_AT (st, "exec", "sec-exec-kill", "sh", "-c", "kill -9 $$");
  assert_exit (r, 137);
  it_result_free (&r);
  r = SKIFF_AT (st, "rm", "-f", "-t", "0", "sec-exec-kill");
  it_result_free (&r);
}

Test (security, too_large_environment_says_what_and_the_limit)
{
  struct store st = sec_store ();
  char one[600], many[600];
  snprintf (one, sizeof one, "%s/env-one", it_dir ());
  snprintf (many, sizeof many, "%s/env-many", it_dir ());
  it_sh ("printf 'BIG=%%s\\n' \"$(head -c 200000 /dev/zero | tr '\\0' a)\" > '%s'", one);
  it_sh ("i=0; while [ $i -lt 30 ]; do printf 'V%%d=%%s\\n' $i \"$(head -c 10000 /dev/zero | tr '\\0' b)\"; "
         "i=$((i+1)); done > '%s'",
         many);
  struct it_result r = SKIFF_AT (st, "run", "--rm", "--env-file", one, "busybox", "true");
  assert_exit (r, 126);
  cr_assert (strstr (r.err, "the environment variable BIG is 200005 bytes long: Linux takes at most") != NULL, "%s",
             r.err);
  it_result_free (&r);
  r = SKIFF_AT (st, "run", "--rm", "--env-file", many, "--ulimit", "stack=262144", "busybox", "true");
  assert_exit (r, 126);
  cr_assert (strstr (r.err, "take") != NULL && strstr (r.err, "a quarter of the stack size limit") != NULL, "%s",
             r.err);
  it_result_free (&r);
}

/* Ubuntu's images link /etc/resolv.conf to ../run/systemd/resolve/stub-resolv.conf, which is missing: skiff
 * said "Too many levels of symbolic links" and could not run them. crun follows the link inside the root. */
Test (security, dangling_link_at_a_mount_target_is_followed_inside_the_root)
{
  struct store st = sec_store ();
  variant_image (&st, "sec-dangling",
                 "rm -f etc/resolv.conf etc/hosts; ln -s ../run/systemd/resolve/stub-resolv.conf etc/resolv.conf; "
                 "ln -s /nowhere/hosts etc/hosts");
  struct it_result r = SKIFF_AT (st, "run", "--rm", "sec-dangling", "sh", "-c",
                                 "cat /etc/resolv.conf /etc/hosts; ls /run/systemd/resolve /nowhere");
  assert_ok (r);
  cr_assert (strstr (r.out, "nameserver") != NULL, "%s", r.out);
  cr_assert (strstr (r.out, "localhost") != NULL, "%s", r.out);
  cr_assert (strstr (r.out, "stub-resolv.conf") != NULL, "%s", r.out);
  it_result_free (&r);
}

/* A tag that is not a string was shown as `docker.io/library/{ }`; podman's JSON decoding refuses it. */
Test (security, load_refuses_a_tag_that_is_not_a_string)
{
  struct store st = sec_store ();
  char arc[600], bad[600];
  snprintf (arc, sizeof arc, "%s/tagged.tar", it_dir ());
  snprintf (bad, sizeof bad, "%s/badtag.tar", it_dir ());
  struct it_result r = SKIFF_AT (st, "save", "-o", arc, "busybox");
  assert_ok (r);
  it_result_free (&r);
  it_sh ("set -e; d=$(mktemp -d '%s/badtag-XXXXXX'); tar -C \"$d\" -xf '%s'; "
         "sed -i 's/\"RepoTags\":\\[[^]]*\\]/\"RepoTags\":[{}]/' \"$d/manifest.json\"; "
         "grep -q 'RepoTags\":\\[{}\\]' \"$d/manifest.json\"; tar -C \"$d\" -cf '%s' .; rm -rf \"$d\"",
         it_dir (), arc, bad);
  r = SKIFF_AT (st, "load", "-i", bad);
  expect_refusal (r, "RepoTags[0] is not a string");
  cr_assert (strstr (r.out, "{ }") == NULL, "%s", r.out);
  it_result_free (&r);
}
