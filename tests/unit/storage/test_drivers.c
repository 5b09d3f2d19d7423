/* storage: drivers. overlay mounts a two-layer image with whiteouts and opaque directories, vfs builds the
 * same tree, fuse-overlayfs is refused clearly without /dev/fuse, the automatic choice and its cache. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "helpers.h"

static char *dir;
static char *root;

static void
setup (void)
{
  dir = test_dir;
  root = xasprintf ("%s/storage", dir);
}

/* base: etc/a, gone, dir/old, keep (+ a hardlink and a symlink to it); top: a new etc/a, a whiteout for
 * gone, dir made opaque with dir/new */
static char *
make_two_layer_image (struct skiff_store *s, const char *name)
{
  cleanup_free char *lower = xasprintf ("%s/lower.tar", dir);
  cleanup_free char *upper = xasprintf ("%s/upper.tar", dir);
  struct test_tar *t = test_tar_new (lower, false);
  test_tar_dir (t, "./", 0755, 0, 0);
  test_tar_dir (t, "etc", 0755, 0, 0);
  test_tar_file (t, "etc/a", "lower", 0644, 0, 0);
  test_tar_file (t, "gone", "g", 0644, 0, 0);
  test_tar_dir (t, "dir", 0755, 0, 0);
  test_tar_file (t, "dir/old", "o", 0644, 0, 0);
  test_tar_file (t, "keep", "k", 0600, 0, 0);
  test_tar_hardlink (t, "hl", "keep");
  test_tar_symlink (t, "ln", "keep");
  close (test_tar_close (t));
  t = test_tar_new (upper, true);
  test_tar_dir (t, "./", 0755, 0, 0);
  test_tar_file (t, "etc/a", "upper", 0640, 0, 0);
  test_tar_file (t, ".wh.gone", "", 0644, 0, 0);
  test_tar_dir (t, "dir", 0755, 0, 0);
  test_tar_file (t, "dir/.wh..wh..opq", "", 0644, 0, 0);
  test_tar_file (t, "dir/new", "n", 0644, 0, 0);
  close (test_tar_close (t));
  char *tars[] = { lower, upper, NULL };
  return test_make_image (s, name, tars);
}

static void
check_merged_tree (const char *merged)
{
  cleanup_free char *a = test_read (merged, "etc/a");
  check_str (a, "upper");
  check_msg (!test_exists (merged, "gone"), "the whiteout hides `gone`");
  check_msg (!test_exists (merged, "dir/old"), "the opaque directory hides `dir/old`");
  cleanup_free char *n = test_read (merged, "dir/new");
  check_str (n, "n");
  cleanup_free char *k = test_read (merged, "ln");
  check_str (k, "k");
  struct stat st1, st2;
  cleanup_free char *keep = xasprintf ("%s/keep", merged);
  cleanup_free char *hl = xasprintf ("%s/hl", merged);
  check (stat (keep, &st1) == 0 && stat (hl, &st2) == 0);
  check_msg (st1.st_ino == st2.st_ino, "hardlinks stay hardlinks");
  check_int (st1.st_mode & 07777, ==, 0600);
}

static int
cmp_names (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Every entry below path as "rel type mode uid:gid content-or-target", sorted. */
static void
snapshot (const char *base, const char *rel, char **out)
{
  cleanup_free char *path = rel[0] ? xasprintf ("%s/%s", base, rel) : xstrdup (base);
  DIR *d = opendir (path);
  check_msg (d != NULL, "opendir %s", path);
  cleanup_strv char **names = NULL;
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      strv_push (&names, de->d_name);
  closedir (d);
  size_t n = strv_len (names);
  if (n)
    qsort (names, n, sizeof (char *), cmp_names);
  for (size_t i = 0; i < n; i++)
    {
      cleanup_free char *r = rel[0] ? xasprintf ("%s/%s", rel, names[i]) : xstrdup (names[i]);
      cleanup_free char *full = xasprintf ("%s/%s", base, r);
      struct stat st;
      check (lstat (full, &st) == 0);
      char what[256] = "";
      if (S_ISREG (st.st_mode))
        {
          cleanup_free char *c = test_read (base, r);
          snprintf (what, sizeof what, "%s", c ? c : "?");
        }
      else if (S_ISLNK (st.st_mode))
        {
          ssize_t l = readlink (full, what, sizeof what - 1);
          what[l > 0 ? l : 0] = '\0';
        }
      char *line = xasprintf ("%s%s %o %o %u:%u %s\n", *out, r, (unsigned) (st.st_mode & S_IFMT) >> 12,
                              (unsigned) (st.st_mode & 07777), (unsigned) st.st_uid, (unsigned) st.st_gid, what);
      free (*out);
      *out = line;
      if (S_ISDIR (st.st_mode))
        snapshot (base, r, out);
    }
}

static char *
mount_and_snapshot (struct skiff_store *s, const char *image, const char *cid)
{
  skiff_error_t err = NULL;
  struct skiff_image *img = NULL;
  check_ok (skiff_store_image_lookup (s, image, &img, &err), &err);
  check_ok (skiff_store_rootfs_create (s, img, cid, &err), &err);
  skiff_image_free (img);
  char *merged = NULL;
  check_ok (skiff_store_rootfs_mount (s, cid, &merged, &err), &err);
  check_merged_tree (merged);
  char *snap = xstrdup ("");
  snapshot (merged, "", &snap);
  free (merged);
  return snap;
}

USERNS_TEST (drivers, overlay_two_layers, false)
{
  setup ();
  struct skiff_store *s = test_store_open (dir, "overlay");
  skiff_error_t err = NULL;
  const char *name = NULL;
  check_ok (skiff_store_driver (s, &name, &err), &err);
  check_str (name, "overlay");
  free (make_two_layer_image (s, "two"));
  struct skiff_image *img = NULL;
  check_ok (skiff_store_image_lookup (s, "two", &img, &err), &err);
  check_int (strv_len (img->layers), ==, 2);
  check_ok (skiff_store_rootfs_create (s, img, "c1", &err), &err);
  check_int (skiff_store_rootfs_create (s, img, "c1", &err), <, 0);
  check_int (err->status, ==, EEXIST);
  skiff_error_release (&err);
  cleanup_free char *base_a = xasprintf ("layers/%s/diff/etc/a", img->layers[0]);
  skiff_image_free (img);

  char *merged = NULL, *again = NULL;
  check_ok (skiff_store_rootfs_mount (s, "c1", &merged, &err), &err);
  cleanup_free char *expect = xasprintf ("%s/containers/c1/merged", root);
  check_str (merged, expect);
  check (store_is_mountpoint (merged));
  check_merged_tree (merged);
  /* idempotent: the same path, one mount */
  check_ok (skiff_store_rootfs_mount (s, "c1", &again, &err), &err);
  check_str (again, merged);
  /* writes land in the container's layer, not in the image's */
  cleanup_free char *w = xasprintf ("%s/etc/a", merged);
  check_ok (write_file_atomic (w, "written", 7, 0644, &err), &err);
  cleanup_free char *up = test_read (root, "containers/c1/diff/etc/a");
  check_str (up, "written");
  cleanup_free char *base = test_read (root, base_a);
  check_str (base, "lower");
  check_ok (skiff_store_rootfs_unmount (s, "c1", &err), &err);
  check (!store_is_mountpoint (merged));
  check_int (test_count_entries (merged, "."), ==, 0);
  /* unmounting twice is fine */
  check_ok (skiff_store_rootfs_unmount (s, "c1", &err), &err);
  check_ok (skiff_store_rootfs_mount (s, "c1", &merged, &err), &err);
  /* delete unmounts first */
  check_ok (skiff_store_rootfs_delete (s, "c1", &err), &err);
  check (!test_exists (root, "containers/c1"));
  check_int (test_count_entries (root, "layers"), ==, 2);
  check_int (skiff_store_rootfs_mount (s, "c1", &merged, &err), <, 0);
  check_contains (err->msg, "has no root filesystem");
  skiff_error_release (&err);
  check_int (skiff_store_rootfs_create (s, NULL, "../x", &err), <, 0);
  check_contains (err->msg, "invalid container ID");
  skiff_error_release (&err);
}

USERNS_TEST (drivers, vfs_builds_the_same_tree_as_overlay, false)
{
  setup ();
  struct skiff_store *ov = test_store_open (dir, "overlay");
  free (make_two_layer_image (ov, "two"));
  cleanup_free char *a = mount_and_snapshot (ov, "two", "c-overlay");
  struct skiff_store *vfs = test_store_open (dir, "vfs");
  cleanup_free char *b = mount_and_snapshot (vfs, "two", "c-vfs");
  check_msg (strcmp (a, b) == 0, "overlay:\n%s\nvfs:\n%s", a, b);
  check_contains (a, "etc/a 10 640 0:0 upper");
  /* the container's record names the driver that built it: mounting through either handle works */
  skiff_error_t err = NULL;
  char *p = NULL;
  check_ok (skiff_store_rootfs_mount (ov, "c-vfs", &p, &err), &err);
  cleanup_free char *vfsdiff = xasprintf ("%s/containers/c-vfs/diff", root);
  check_str (p, vfsdiff);
  free (p);
  check_ok (skiff_store_rootfs_delete (vfs, "c-overlay", &err), &err);
  check_ok (skiff_store_rootfs_delete (ov, "c-vfs", &err), &err);
  check_int (test_count_entries (root, "containers"), ==, 0);
}

USERNS_TEST (drivers, overlay_uses_short_links_when_options_are_long, false)
{
  setup ();
  struct skiff_store *s = test_store_open (dir, "overlay");
  free (make_two_layer_image (s, "two"));
  /* the absolute form is ~2x(root + 80) + upper + work: well over 200 bytes; the short form is not */
  skiff_overlay_max_options = 200;
  char cwd[4096];
  check (getcwd (cwd, sizeof cwd) != NULL);
  free (mount_and_snapshot (s, "two", "c1"));
  check_int (test_count_entries (root, "l"), ==, 2);
  char cwd2[4096];
  check (getcwd (cwd2, sizeof cwd2) != NULL);
  check_str (cwd2, cwd);
  skiff_error_t err = NULL;
  check_ok (skiff_store_rootfs_delete (s, "c1", &err), &err);
  check_ok (skiff_store_image_remove (s, "two", false, NULL, NULL, NULL, NULL, &err), &err);
  check_int (test_count_entries (root, "l"), ==, 0);
  check_int (test_count_entries (root, "layers"), ==, 0);
}

static char *
capture_driver (struct skiff_store *s, const char **name, skiff_error_t *err, int *r)
{
  int p[2];
  check (pipe2 (p, O_NONBLOCK) == 0);
  int saved = dup (2);
  dup2 (p[1], 2);
  close (p[1]);
  *r = skiff_store_driver (s, name, err);
  dup2 (saved, 2);
  close (saved);
  char buf[4096];
  ssize_t n = read (p[0], buf, sizeof buf - 1);
  close (p[0]);
  buf[n > 0 ? n : 0] = '\0';
  return xstrdup (buf);
}

static bool
dev_fuse_usable (void)
{
  int fd = open ("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return false;
  close (fd);
  return access ("/usr/bin/fuse-overlayfs", X_OK) == 0;
}

USERNS_TEST (drivers, automatic_choice_is_probed_once, false)
{
  setup ();
  unsetenv ("STORAGE_DRIVER");
  unsetenv ("SKIFF_TEST_DISABLE_OVERLAY");
  struct skiff_store *s = test_store_open (dir, NULL);
  skiff_error_t err = NULL;
  const char *name = NULL;
  int r;
  cleanup_free char *log = capture_driver (s, &name, &err, &r);
  check_ok (r, &err);
  check_str (name, "overlay");
  check_str (log, "");
  cleanup_free char *cache = test_read (dir, "run/driver-probe");
  check_str (cache, "overlay: ok\n");
  check_int (test_count_entries (root, "."), ==, 6); /* the layout only: no probe directory left behind */

  /* a later process believes the cache */
  cleanup_free char *cachepath = xasprintf ("%s/run/driver-probe", dir);
  const char verdict[] = "overlay: no: a cached reason\n";
  check_ok (write_file_atomic (cachepath, verdict, strlen (verdict), 0600, &err), &err);
  struct skiff_store *s2 = test_store_open (dir, NULL);
  cleanup_free char *log2 = capture_driver (s2, &name, &err, &r);
  check_ok (r, &err);
  check_str (name, dev_fuse_usable () ? "fuse-overlayfs" : "vfs");
  /* the fallback was announced by the process that probed; later ones say it only at debug level */
  check_str (log2, "");
  skiff_log_level = SKIFF_LOG_DEBUG;
  struct skiff_store *s2d = test_store_open (dir, NULL);
  cleanup_free char *log2d = capture_driver (s2d, &name, &err, &r);
  skiff_log_level = SKIFF_LOG_WARNING;
  check_contains (log2d, "native overlay is not usable (a cached reason)");
  check_contains (log2d,
                  dev_fuse_usable () ? "using the fuse-overlayfs storage driver" : "using the vfs storage driver");

  /* the test hook */
  setenv ("SKIFF_TEST_DISABLE_OVERLAY", "1", 1);
  struct skiff_store *s3 = test_store_open (dir, NULL);
  cleanup_free char *log3 = capture_driver (s3, &name, &err, &r);
  check_ok (r, &err);
  check_str (name, dev_fuse_usable () ? "fuse-overlayfs" : "vfs");
  check_contains (log3, "WARN");
  check_contains (log3, "SKIFF_TEST_DISABLE_OVERLAY=1 is set");

  /* an explicit choice that does not work is an error, not a fallback */
  struct skiff_store *s4 = test_store_open (dir, "overlay");
  check_int (skiff_store_driver (s4, &name, &err), <, 0);
  check_contains (err->msg, "overlay was requested");
  skiff_error_release (&err);
  unsetenv ("SKIFF_TEST_DISABLE_OVERLAY");

  /* STORAGE_DRIVER chooses when the options do not */
  setenv ("STORAGE_DRIVER", "vfs", 1);
  struct skiff_store *s5 = test_store_open (dir, NULL);
  check_ok (skiff_store_driver (s5, &name, &err), &err);
  check_str (name, "vfs");
  setenv ("STORAGE_DRIVER", "zfs", 1);
  cleanup_free char *run = xasprintf ("%s/run", dir);
  struct skiff_store_options o = { .root = root, .runroot = run };
  struct skiff_store *bad = NULL;
  check_int (skiff_store_open (&o, &bad, &err), <, 0);
  check_contains (err->msg, "unknown storage driver `zfs`: use overlay, fuse-overlayfs or vfs");
  skiff_error_release (&err);
  unsetenv ("STORAGE_DRIVER");
}

USERNS_TEST (drivers, fuse_overlayfs_refused_without_dev_fuse, false)
{
  setup ();
  int fd = open ("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (fd >= 0)
    {
      close (fd);
      test_skip ("/dev/fuse can be opened here (run the suite as a user without access to it to see the refusal)");
    }
  struct skiff_store *s = test_store_open (dir, "fuse-overlayfs");
  skiff_error_t err = NULL;
  const char *name = NULL;
  check_int (skiff_store_driver (s, &name, &err), <, 0);
  check_contains (err->msg, "cannot open /dev/fuse: Permission denied: fuse-overlayfs needs /dev/fuse readable and "
                            "writable by you (ask an administrator to make it mode 0666)");
  check_int (err->status, ==, EACCES);
  skiff_error_release (&err);
}

USERNS_TEST (drivers, fuse_overlayfs_two_layers, false)
{
  setup ();
  if (!dev_fuse_usable ())
    test_skip ("fuse-overlayfs cannot run here: /dev/fuse is not readable and writable (or fuse-overlayfs is missing)");
  struct skiff_store *s = test_store_open (dir, "fuse-overlayfs");
  free (make_two_layer_image (s, "two"));
  cleanup_free char *a = mount_and_snapshot (s, "two", "c-fuse");
  struct skiff_store *vfs = test_store_open (dir, "vfs");
  cleanup_free char *b = mount_and_snapshot (vfs, "two", "c-vfs");
  check_msg (strcmp (a, b) == 0, "fuse-overlayfs:\n%s\nvfs:\n%s", a, b);
  skiff_error_t err = NULL;
  char *again = NULL;
  check_ok (skiff_store_rootfs_mount (s, "c-fuse", &again, &err), &err);
  check_ok (skiff_store_rootfs_delete (s, "c-fuse", &err), &err);
  check (!test_exists (root, "containers/c-fuse"));
}

USERNS_TEST (drivers, image_without_layers, false)
{
  setup ();
  static const char *const drivers[] = { "overlay", "vfs" };
  for (size_t i = 0; i < ARRAY_SIZE (drivers); i++)
    {
      struct skiff_store *s = test_store_open (dir, drivers[i]);
      char *none[] = { NULL };
      free (test_make_image (s, "scratch", none));
      skiff_error_t err = NULL;
      struct skiff_image *img = NULL;
      check_ok (skiff_store_image_lookup (s, "scratch", &img, &err), &err);
      check_int (strv_len (img->layers), ==, 0);
      check_ok (skiff_store_rootfs_create (s, img, drivers[i], &err), &err);
      char *merged = NULL;
      check_ok (skiff_store_rootfs_mount (s, drivers[i], &merged, &err), &err);
      check_int (test_count_entries (merged, "."), ==, 0);
      check_ok (skiff_store_rootfs_delete (s, drivers[i], &err), &err);
      skiff_image_free (img);
      free (merged);
      skiff_store_free (s);
    }
}
