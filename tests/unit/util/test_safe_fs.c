/* util: what stands between skiff and other users or hostile images: temporary files nobody can prepare,
 * private directories in shared places, reads that never block or run away, rm -rf at any depth, and the
 * process title that hides the CLI's arguments. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "util/util.h"

#define DEEP_TREE_LEVELS 10000
#define LOW_FD_LIMIT 64

static char *
scratch_dir (void)
{
  char tmpl[] = "/tmp/skiff-ut-safe-XXXXXX";
  cr_assert_not_null (mkdtemp (tmpl));
  return xstrdup (tmpl);
}

static void
scratch_remove (const char *dir)
{
  skiff_error_t err = NULL;
  cr_assert_eq (rm_rf (dir, &err), 0, "%s", err ? err->msg : "");
}

/* The temporary name of an atomic write used to be `<path>.tmp-<pid>`, opened without O_EXCL: another user
 * who made that file (mode 0666) in a shared directory received what was written, credentials included. */
Test (safe_fs, atomic_write_never_uses_a_prepared_temporary_file)
{
  cleanup_free char *dir = scratch_dir ();
  cleanup_free char *path = xasprintf ("%s/auth.json", dir);
  cleanup_free char *planted = xasprintf ("%s.tmp-%d", path, (int) getpid ());
  int fd = open (planted, O_WRONLY | O_CREAT | O_EXCL, 0666);
  cr_assert_geq (fd, 0);
  close (fd);
  struct stat planted_st;
  cr_assert_eq (stat (planted, &planted_st), 0);
  skiff_error_t err = NULL;
  cr_assert_eq (write_file_atomic (path, "secret", 6, 0600, &err), 0, "%s", err ? err->msg : "");
  struct stat st;
  cr_assert_eq (stat (path, &st), 0);
  cr_assert_neq (st.st_ino, planted_st.st_ino, "the prepared file became the result");
  cr_assert_eq (st.st_mode & 07777, 0600);
  cr_assert_eq (stat (planted, &planted_st), 0);
  cr_assert_eq (planted_st.st_size, 0, "the prepared file received the data");
  /* the name is next to the target and new each time */
  cleanup_free char *tmp1 = NULL, *tmp2 = NULL;
  int fd1 = open_tmp_at (AT_FDCWD, path, O_WRONLY, 0600, &tmp1, &err);
  int fd2 = open_tmp_at (AT_FDCWD, path, O_WRONLY, 0600, &tmp2, &err);
  cr_assert (fd1 >= 0 && fd2 >= 0);
  close (fd1);
  close (fd2);
  cr_assert (str_has_prefix (tmp1, path));
  cr_assert_str_neq (tmp1, tmp2);
  cr_assert_str_neq (tmp1, planted);
  scratch_remove (dir);
}

Test (safe_fs, private_dir_is_created_0700_and_tightened)
{
  cleanup_free char *dir = scratch_dir ();
  cleanup_free char *p = xasprintf ("%s/run", dir);
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_private_dir_ensure (p, "fix", &err), 0, "%s", err ? err->msg : "");
  struct stat st;
  cr_assert_eq (lstat (p, &st), 0);
  cr_assert (S_ISDIR (st.st_mode));
  cr_assert_eq (st.st_mode & 07777, 0700);
  /* ours but readable by others: tightened, since nobody else could have written anything there */
  cr_assert_eq (chmod (p, 0755), 0);
  cr_assert_eq (skiff_private_dir_ensure (p, "fix", &err), 0);
  cr_assert_eq (lstat (p, &st), 0);
  cr_assert_eq (st.st_mode & 07777, 0700);
  scratch_remove (dir);
}

Test (safe_fs, private_dir_refuses_links_and_writable_dirs)
{
  cleanup_free char *dir = scratch_dir ();
  cleanup_free char *elsewhere = xasprintf ("%s/elsewhere", dir);
  cr_assert_eq (mkdir (elsewhere, 0700), 0);
  cleanup_free char *link = xasprintf ("%s/run-link", dir);
  cr_assert_eq (symlink (elsewhere, link), 0);
  skiff_error_t err = NULL;
  cr_assert_lt (skiff_private_dir_ensure (link, "set XDG_RUNTIME_DIR", &err), 0);
  cr_assert_eq (err->status, EPERM);
  cr_assert_not_null (strstr (err->msg, "symbolic link"), "%s", err->msg);
  cr_assert_not_null (strstr (err->msg, "set XDG_RUNTIME_DIR"), "%s", err->msg);
  skiff_error_release (&err);

  cleanup_free char *shared = xasprintf ("%s/shared", dir);
  cr_assert_eq (mkdir (shared, 0700), 0);
  cr_assert_eq (chmod (shared, 01777), 0);
  cr_assert_lt (skiff_private_dir_ensure (shared, "fix", &err), 0);
  cr_assert_not_null (strstr (err->msg, "others can write to it"), "%s", err->msg);
  skiff_error_release (&err);

  cleanup_free char *file = xasprintf ("%s/file", dir);
  cr_assert_eq (write_file_atomic (file, "x", 1, 0600, &err), 0);
  cr_assert_lt (skiff_private_dir_ensure (file, "fix", &err), 0);
  cr_assert_not_null (strstr (err->msg, "a regular file"), "%s", err->msg);
  skiff_error_release (&err);
  scratch_remove (dir);
}

/* A FIFO must not block the read, a device must not be read at all. The child is killed if it hangs. */
Test (safe_fs, read_untrusted_refuses_fifos_and_devices, .timeout = 10)
{
  cleanup_free char *dir = scratch_dir ();
  cleanup_free char *fifo = xasprintf ("%s/fifo", dir);
  cr_assert_eq (mkfifo (fifo, 0600), 0);
  cleanup_free char *zero = xasprintf ("%s/zero", dir);
  cr_assert_eq (symlink ("/dev/zero", zero), 0);
  skiff_error_t err = NULL;
  char *data = NULL;
  cr_assert_lt (read_file_untrusted (AT_FDCWD, fifo, SKIFF_RESOLVE_FOLLOW, 4096, &data, NULL, &err), 0);
  cr_assert_not_null (strstr (err->msg, "a FIFO, not a regular file"), "%s", err->msg);
  skiff_error_release (&err);
  cr_assert_lt (read_file_untrusted (AT_FDCWD, zero, SKIFF_RESOLVE_FOLLOW, 4096, &data, NULL, &err), 0);
  cr_assert_not_null (strstr (err->msg, "a character device"), "%s", err->msg);
  skiff_error_release (&err);
  /* not followed at all when asked */
  cr_assert_lt (read_file_untrusted (AT_FDCWD, zero, SKIFF_RESOLVE_NOFOLLOW, 4096, &data, NULL, &err), 0);
  cr_assert_not_null (strstr (err->msg, "a symbolic link"), "%s", err->msg);
  skiff_error_release (&err);
  scratch_remove (dir);
}

Test (safe_fs, read_untrusted_caps_the_size)
{
  cleanup_free char *dir = scratch_dir ();
  cleanup_free char *f = xasprintf ("%s/f", dir);
  skiff_error_t err = NULL;
  cr_assert_eq (write_file_atomic (f, "0123456789", 10, 0600, &err), 0);
  char *data = NULL;
  size_t len = 0;
  cr_assert_lt (read_file_untrusted (AT_FDCWD, f, SKIFF_RESOLVE_FOLLOW, 9, &data, &len, &err), 0);
  cr_assert_eq (err->status, EFBIG);
  skiff_error_release (&err);
  cr_assert_eq (read_file_untrusted (AT_FDCWD, f, SKIFF_RESOLVE_FOLLOW, 10, &data, &len, &err), 0);
  cr_assert_eq (len, 10);
  cr_assert_str_eq (data, "0123456789");
  free (data);
  cleanup_free char *missing = xasprintf ("%s/missing", dir);
  cr_assert_lt (read_file_untrusted (AT_FDCWD, missing, SKIFF_RESOLVE_FOLLOW, 10, &data, &len, &err), 0);
  cr_assert_eq (err->status, ENOENT);
  skiff_error_release (&err);
  scratch_remove (dir);
}

/* Links in a container's root resolve inside it: an absolute link, or one climbing with "..", cannot reach
 * the host's files (as they would through /proc/PID/root). */
Test (safe_fs, read_in_root_stays_in_the_root)
{
  cleanup_free char *dir = scratch_dir ();
  cleanup_free char *root = xasprintf ("%s/root", dir);
  cleanup_free char *etc = xasprintf ("%s/root/etc", dir);
  skiff_error_t err = NULL;
  cr_assert_eq (mkdir_p (etc, 0755, &err), 0);
  cleanup_free char *host_file = xasprintf ("%s/host-passwd", dir);
  cr_assert_eq (write_file_atomic (host_file, "host\n", 5, 0644, &err), 0);
  cleanup_free char *inside_copy = xasprintf ("%s%s", root, host_file);
  cleanup_free char *inside_dir = xstrdup (inside_copy);
  *strrchr (inside_dir, '/') = '\0';
  cr_assert_eq (mkdir_p (inside_dir, 0755, &err), 0);
  cr_assert_eq (write_file_atomic (inside_copy, "inside\n", 7, 0644, &err), 0);
  cleanup_free char *passwd = xasprintf ("%s/passwd", etc);
  cr_assert_eq (symlink (host_file, passwd), 0);
  cleanup_free char *group = xasprintf ("%s/group", etc);
  cr_assert_eq (symlink ("../../../../../../../../..", group), 0);
  int rootfd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  cr_assert_geq (rootfd, 0);
  char *data = NULL;
  cr_assert_eq (read_file_untrusted (rootfd, "/etc/passwd", SKIFF_RESOLVE_IN_ROOT, 4096, &data, NULL, &err), 0, "%s",
                err ? err->msg : "");
  cr_assert_str_eq (data, "inside\n");
  free (data);
  /* ".." stops at the root: this is the root directory itself, not a file */
  cr_assert_lt (read_file_untrusted (rootfd, "/etc/group", SKIFF_RESOLVE_IN_ROOT, 4096, &data, NULL, &err), 0);
  cr_assert_not_null (strstr (err->msg, "a directory"), "%s", err->msg);
  skiff_error_release (&err);
  close (rootfd);
  scratch_remove (dir);
}

static void
make_chain (int topfd, int levels, int files_per_level)
{
  int fd = dup (topfd);
  for (int i = 0; i < levels; i++)
    {
      for (int k = 0; k < files_per_level; k++)
        {
          char name[32];
          snprintf (name, sizeof name, "f%d", k);
          int f = openat (fd, name, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
          cr_assert_geq (f, 0);
          close (f);
          snprintf (name, sizeof name, "side%d", k);
          cr_assert_eq (mkdirat (fd, name, 0700), 0);
        }
      cr_assert_eq (mkdirat (fd, "d", 0700), 0);
      int next = openat (fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      cr_assert_geq (next, 0, "level %d: %s", i, strerror (errno));
      close (fd);
      fd = next;
    }
  close (fd);
}

/* With one descriptor per level, rm -rf failed with "Too many open files" on an image holding a deep tree. */
Test (safe_fs, rm_rf_any_depth_with_few_descriptors)
{
  cleanup_free char *dir = scratch_dir ();
  int topfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  make_chain (topfd, DEEP_TREE_LEVELS, 0);
  close (topfd);
  struct rlimit old, low;
  cr_assert_eq (getrlimit (RLIMIT_NOFILE, &old), 0);
  low = (struct rlimit){ LOW_FD_LIMIT, old.rlim_max };
  cr_assert_eq (setrlimit (RLIMIT_NOFILE, &low), 0);
  skiff_error_t err = NULL;
  int r = rm_rf (dir, &err);
  setrlimit (RLIMIT_NOFILE, &old);
  cr_assert_eq (r, 0, "%s", err ? err->msg : "");
  cr_assert_not (path_exists (dir));
}

/* Deeper than the open streams: levels whose stream was closed are reopened through ".." and read on, with
 * files and other directories still in them, and a mode 000 directory deep down. */
Test (safe_fs, rm_rf_reopens_levels_it_closed)
{
  cleanup_free char *dir = scratch_dir ();
  int topfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  make_chain (topfd, 100, 3);
  close (topfd);
  cleanup_free char *locked = xstrdup (dir);
  for (int i = 0; i < 80; i++)
    {
      char *next = xasprintf ("%s/d", locked);
      free (locked);
      locked = next;
    }
  cr_assert_eq (chmod (locked, 0), 0);
  skiff_error_t err = NULL;
  cr_assert_eq (rm_rf (dir, &err), 0, "%s", err ? err->msg : "");
  cr_assert_not (path_exists (dir));
}

/* A monitor keeps the CLI's command line unless it sets its own: `-e PASSWORD=...` for every local user. */
Test (safe_fs, process_title_hides_the_arguments)
{
  pid_t pid = fork ();
  cr_assert_geq (pid, 0);
  if (pid == 0)
    {
      skiff_set_process_title ("skiff-test-title");
      cleanup_free char *cmdline = NULL;
      size_t len = 0;
      if (read_file ("/proc/self/cmdline", &cmdline, &len, NULL) < 0)
        _exit (2);
      /* the title fills the original area, cut to its length (Criterion's worker has a short one) */
      if (cmdline[0] == '\0' || !str_has_prefix ("skiff-test-title", cmdline))
        _exit (3);
      /* nothing but NULs after the title: no argument of the original command line survives */
      for (size_t i = strlen (cmdline); i < len; i++)
        if (cmdline[i] != '\0')
          _exit (4);
      char comm[32] = "";
      int fd = open ("/proc/self/comm", O_RDONLY | O_CLOEXEC);
      ssize_t n = fd >= 0 ? read (fd, comm, sizeof comm - 1) : -1;
      if (n <= 0 || strncmp (comm, "skiff-test-titl", 15) != 0)
        _exit (5);
      _exit (0);
    }
  int status;
  cr_assert_eq (waitpid (pid, &status, 0), pid);
  cr_assert (WIFEXITED (status));
  cr_assert_eq (WEXITSTATUS (status), 0, "check %d failed", WEXITSTATUS (status));
}
