/* Helpers for the storage unit tests: user namespaces, tar building, small fs checks. */
#include "helpers.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <pwd.h>
#include <stdarg.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

static bool
write_proc (pid_t pid, const char *file, const char *content)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/%s", (int) pid, file);
  int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  bool ok = write_all (fd, content, strlen (content)) == 0;
  close (fd);
  return ok;
}

static bool
run_map_helper (const char *prog, pid_t pid, unsigned id, unsigned sub_start, unsigned sub_count)
{
  pid_t c = fork ();
  if (c == 0)
    {
      char p[16], a[16], b[16], d[16];
      snprintf (p, sizeof p, "%d", (int) pid);
      snprintf (a, sizeof a, "%u", id);
      snprintf (b, sizeof b, "%u", sub_start);
      snprintf (d, sizeof d, "%u", sub_count);
      int devnull = open ("/dev/null", O_WRONLY);
      dup2 (devnull, 2);
      execlp (prog, prog, p, "0", a, "1", "1", b, d, (char *) NULL);
      _exit (127);
    }
  int st = 0;
  waitpid (c, &st, 0);
  return WIFEXITED (st) && WEXITSTATUS (st) == 0;
}

/* The first subordinate range of user name in file, or false. */
static bool
subordinate_range (const char *file, const char *name, unsigned *start, unsigned *count)
{
  FILE *f = fopen (file, "re");
  if (f == NULL)
    return false;
  char line[256];
  bool found = false;
  while (!found && fgets (line, sizeof line, f))
    {
      char user[128];
      if (sscanf (line, "%127[^:]:%u:%u", user, start, count) == 3 && strcmp (user, name) == 0)
        found = true;
    }
  fclose (f);
  return found;
}

void
test_enter_userns (bool wide)
{
  uid_t uid = geteuid ();
  gid_t gid = getegid ();
  unsigned sub_u = 0, cnt_u = 0, sub_g = 0, cnt_g = 0;
  if (wide && uid != 0)
    {
      struct passwd *pw = getpwuid (uid);
      if (pw == NULL || !subordinate_range ("/etc/subuid", pw->pw_name, &sub_u, &cnt_u)
          || !subordinate_range ("/etc/subgid", pw->pw_name, &sub_g, &cnt_g)
          || access ("/usr/bin/newuidmap", X_OK) != 0)
        test_skip ("no subordinate ID range (or no newuidmap) for uid %u: only the single-ID mapping is possible",
                   (unsigned) uid);
    }
  /* a helper in the parent namespace writes the maps once we unshared */
  int go[2], done[2];
  check (pipe (go) == 0 && pipe (done) == 0);
  pid_t self = getpid ();
  pid_t helper = fork ();
  check (helper >= 0);
  if (helper == 0)
    {
      char c;
      close (go[1]);
      close (done[0]);
      if (read (go[0], &c, 1) != 1)
        _exit (1);
      bool ok = true;
      if (!wide)
        {
          char umap[64], gmap[64];
          snprintf (umap, sizeof umap, "0 %u 1\n", (unsigned) uid);
          snprintf (gmap, sizeof gmap, "0 %u 1\n", (unsigned) gid);
          ok = write_proc (self, "setgroups", "deny") && write_proc (self, "uid_map", umap)
               && write_proc (self, "gid_map", gmap);
        }
      else if (uid == 0)
        ok = write_proc (self, "uid_map", "0 0 65536\n") && write_proc (self, "gid_map", "0 0 65536\n");
      else
        ok = run_map_helper ("newuidmap", self, uid, sub_u, cnt_u)
             && run_map_helper ("newgidmap", self, gid, sub_g, cnt_g);
      c = ok ? 'y' : 'n';
      if (write (done[1], &c, 1) != 1)
        _exit (1);
      _exit (0);
    }
  close (go[0]);
  close (done[1]);
  check_msg (unshare (CLONE_NEWUSER | CLONE_NEWNS) == 0, "unshare: %s", strerror (errno));
  char c = 'x';
  check (write (go[1], &c, 1) == 1);
  check (read (done[0], &c, 1) == 1);
  waitpid (helper, NULL, 0);
  close (go[1]);
  close (done[0]);
  check_msg (c == 'y', "could not write the ID maps (wide=%d)", (int) wide);
  check_msg (setresgid (0, 0, 0) == 0, "setresgid: %s", strerror (errno));
  check_msg (setresuid (0, 0, 0) == 0, "setresuid: %s", strerror (errno));
  /* our mounts stay ours */
  check_msg (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0, "make / private: %s", strerror (errno));
}

static int result_fd = -1;

void
test_check_failed (const char *file, int line, const char *expr, const char *fmt, ...)
{
  char *msg = NULL;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  char *all = xasprintf ("F%s:%d: check failed: %s: %s", file, line, expr, msg);
  if (result_fd >= 0)
    (void) write_all (result_fd, all, strlen (all));
  else
    fprintf (stderr, "%s\n", all + 1);
  _exit (1);
}

void
test_skip (const char *fmt, ...)
{
  char *msg = NULL;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  char *all = xasprintf ("S%s", msg);
  if (result_fd >= 0)
    (void) write_all (result_fd, all, strlen (all));
  _exit (77);
}

char *test_dir;

/* Remove test_dir from inside a namespace like the body's: files may belong to mapped IDs. */
static void
cleanup_in_userns (bool wide)
{
  pid_t pid = fork ();
  if (pid == 0)
    {
      test_enter_userns (wide);
      skiff_error_t err = NULL;
      if (rm_rf (test_dir, &err) < 0)
        fprintf (stderr, "cleanup of %s: %s\n", test_dir, err->msg);
      _exit (0);
    }
  if (pid > 0)
    waitpid (pid, NULL, 0);
  skiff_error_t err = NULL;
  if (rm_rf (test_dir, &err) < 0)
    skiff_error_release (&err);
}

void
test_in_userns (bool wide, void (*body) (void))
{
  int p[2];
  cr_assert_eq (pipe2 (p, O_CLOEXEC), 0);
  test_dir = test_tmpdir ();
  pid_t pid = fork ();
  cr_assert_geq (pid, 0);
  if (pid == 0)
    {
      close (p[0]);
      result_fd = p[1];
      test_enter_userns (wide);
      body ();
      _exit (0);
    }
  close (p[1]);
  char buf[8192];
  size_t len = 0;
  for (;;)
    {
      ssize_t n = read (p[0], buf + len, sizeof buf - 1 - len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0 || (len += (size_t) n) >= sizeof buf - 1)
        break;
    }
  close (p[0]);
  buf[len] = '\0';
  int st = 0;
  while (waitpid (pid, &st, 0) < 0 && errno == EINTR)
    ;
  /* the body's mount namespace is gone with it: nothing is mounted below test_dir any more */
  cleanup_in_userns (wide);
  if (WIFSIGNALED (st))
    cr_assert_fail ("the test body died of signal %d %s", WTERMSIG (st), buf);
  if (WIFEXITED (st) && WEXITSTATUS (st) == 77 && buf[0] == 'S')
    cr_skip_test ("%s", buf + 1);
  cr_assert (WIFEXITED (st) && WEXITSTATUS (st) == 0, "%s", len > 1 ? buf + 1 : "the test body failed");
}

char *
test_tmpdir (void)
{
  char *t = xstrdup ("/tmp/skiff-sto-XXXXXX");
  check (mkdtemp (t) != NULL);
  return t;
}

void
test_cleanup_dir (char *dir)
{
  skiff_error_t err = NULL;
  if (dir && rm_rf (dir, &err) < 0)
    {
      fprintf (stderr, "cleanup of %s: %s\n", dir, err->msg);
      skiff_error_release (&err);
    }
  free (dir);
}

struct test_tar
{
  struct archive *a;
  char *path;
  time_t mtime;
};

struct test_tar *
test_tar_new (const char *path, bool gzip)
{
  struct test_tar *t = xmalloc0 (sizeof *t);
  t->a = archive_write_new ();
  t->path = xstrdup (path);
  t->mtime = 1700000000;
  archive_write_set_format_pax_restricted (t->a);
  if (gzip)
    archive_write_add_filter_gzip (t->a);
  check_msg (archive_write_open_filename (t->a, path) == ARCHIVE_OK, "%s", archive_error_string (t->a));
  return t;
}

void
test_tar_set_mtime (struct test_tar *t, time_t mtime)
{
  t->mtime = mtime;
}

static struct archive_entry *
entry (struct test_tar *t, const char *name, mode_t type, mode_t mode, uid_t uid, gid_t gid)
{
  struct archive_entry *e = archive_entry_new ();
  archive_entry_set_pathname (e, name);
  archive_entry_set_filetype (e, type);
  archive_entry_set_perm (e, mode);
  archive_entry_set_uid (e, uid);
  archive_entry_set_gid (e, gid);
  archive_entry_set_mtime (e, t->mtime, 0);
  return e;
}

static void
put (struct test_tar *t, struct archive_entry *e, const void *data, size_t len)
{
  check_msg (archive_write_header (t->a, e) == ARCHIVE_OK, "%s", archive_error_string (t->a));
  if (len)
    check (archive_write_data (t->a, data, len) == (la_ssize_t) len);
  archive_entry_free (e);
}

void
test_tar_dir (struct test_tar *t, const char *name, mode_t mode, uid_t uid, gid_t gid)
{
  put (t, entry (t, name, AE_IFDIR, mode, uid, gid), NULL, 0);
}

void
test_tar_file (struct test_tar *t, const char *name, const char *content, mode_t mode, uid_t uid, gid_t gid)
{
  struct archive_entry *e = entry (t, name, AE_IFREG, mode, uid, gid);
  archive_entry_set_size (e, (la_int64_t) strlen (content));
  put (t, e, content, strlen (content));
}

void
test_tar_file_xattr (struct test_tar *t, const char *name, const char *content, const char *xname, const char *xvalue)
{
  struct archive_entry *e = entry (t, name, AE_IFREG, 0644, 0, 0);
  archive_entry_set_size (e, (la_int64_t) strlen (content));
  archive_entry_xattr_add_entry (e, xname, xvalue, strlen (xvalue));
  put (t, e, content, strlen (content));
}

void
test_tar_zero_file (struct test_tar *t, const char *name, int64_t size)
{
  struct archive_entry *e = entry (t, name, AE_IFREG, 0644, 0, 0);
  archive_entry_set_size (e, size);
  check (archive_write_header (t->a, e) == ARCHIVE_OK);
  static char zeros[256 * 1024];
  for (int64_t done = 0; done < size;)
    {
      size_t n = (size_t) (size - done) < sizeof zeros ? (size_t) (size - done) : sizeof zeros;
      check (archive_write_data (t->a, zeros, n) == (la_ssize_t) n);
      done += (int64_t) n;
    }
  archive_entry_free (e);
}

void
test_tar_symlink (struct test_tar *t, const char *name, const char *target)
{
  struct archive_entry *e = entry (t, name, AE_IFLNK, 0777, 0, 0);
  archive_entry_set_symlink (e, target);
  put (t, e, NULL, 0);
}

void
test_tar_hardlink (struct test_tar *t, const char *name, const char *target)
{
  struct archive_entry *e = entry (t, name, AE_IFREG, 0644, 0, 0);
  archive_entry_set_hardlink (e, target);
  archive_entry_set_size (e, 0);
  put (t, e, NULL, 0);
}

void
test_tar_chardev (struct test_tar *t, const char *name, unsigned major, unsigned minor)
{
  struct archive_entry *e = entry (t, name, AE_IFCHR, 0666, 0, 0);
  archive_entry_set_rdevmajor (e, major);
  archive_entry_set_rdevminor (e, minor);
  put (t, e, NULL, 0);
}

int
test_tar_close (struct test_tar *t)
{
  check (archive_write_close (t->a) == ARCHIVE_OK);
  archive_write_free (t->a);
  int fd = open (t->path, O_RDONLY | O_CLOEXEC);
  check (fd >= 0);
  free (t->path);
  free (t);
  return fd;
}

struct skiff_store *
test_store_open (const char *dir, const char *driver)
{
  cleanup_free char *root = xasprintf ("%s/storage", dir);
  cleanup_free char *run = xasprintf ("%s/run", dir);
  struct skiff_store_options o = { .root = root, .runroot = run, .driver = driver };
  struct skiff_store *s = NULL;
  skiff_error_t err = NULL;
  check_ok (skiff_store_open (&o, &s, &err), &err);
  return s;
}

char *
test_read (const char *dir, const char *rel)
{
  cleanup_free char *p = path_join (dir, rel);
  char *data = NULL;
  skiff_error_t err = NULL;
  if (read_file (p, &data, NULL, &err) < 0)
    {
      skiff_error_release (&err);
      return NULL;
    }
  return data;
}

bool
test_exists (const char *dir, const char *rel)
{
  cleanup_free char *p = path_join (dir, rel);
  return path_exists (p);
}

int
test_count_entries (const char *dir, const char *sub)
{
  cleanup_free char *p = path_join (dir, sub);
  DIR *d = opendir (p);
  if (d == NULL)
    return -1;
  int n = 0;
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    if (de->d_name[0] != '.' || (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0))
      n++;
  closedir (d);
  return n;
}

char *
test_make_image (struct skiff_store *s, const char *name, char *const *tars)
{
  struct skiff_image_config *c = skiff_image_config_new ();
  c->architecture = xstrdup ("amd64");
  c->os = xstrdup ("linux");
  c->created = xstrdup ("2024-01-02T03:04:05Z");
  struct skiff_oci_manifest m = { 0 };
  size_t n = strv_len (tars);
  m.layers = xmalloc0 ((n + 1) * sizeof *m.layers);
  m.n_layers = n;
  for (size_t i = 0; i < n; i++)
    {
      int fd = open (tars[i], O_RDONLY | O_CLOEXEC);
      check (fd >= 0);
      skiff_error_t err = NULL;
      char *diff_id = NULL;
      check_ok (skiff_store_layer_apply (s, fd, NULL, &diff_id, &err), &err);
      close (fd);
      strv_push (&c->diff_ids, diff_id);
      m.layers[i].media_type = xstrdup (OCI_MEDIA_TYPE_LAYER);
      m.layers[i].digest = diff_id;
      struct stat st;
      stat (tars[i], &st);
      m.layers[i].size = (uint64_t) st.st_size;
    }
  char *config = skiff_image_config_to_json (c);
  char hex[65];
  skiff_sha256_hex (config, strlen (config), hex);
  m.config.media_type = xstrdup (OCI_MEDIA_TYPE_CONFIG);
  m.config.digest = xasprintf ("sha256:%s", hex);
  m.config.size = strlen (config);
  char *manifest = skiff_oci_manifest_to_json (&m);
  char *names[] = { (char *) name, NULL };
  char *id = NULL;
  skiff_error_t err = NULL;
  check_ok (skiff_store_image_create (s, manifest, strlen (manifest), config, strlen (config), name ? names : NULL, &id,
                                      &err),
            &err);
  check_str (id, hex);
  free (config);
  free (manifest);
  skiff_image_config_free (c);
  return id;
}
