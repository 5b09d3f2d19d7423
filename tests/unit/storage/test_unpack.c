/* storage: layer extraction. Hostile archives are refused without writing outside the layer and without a
 * layer becoming visible; metadata, whiteouts and diff IDs come out right. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "helpers.h"

static char *dir;
static char *root;
static char *outside;
static struct skiff_store *store;

static void
setup (void)
{
  dir = test_dir;
  root = xasprintf ("%s/storage", dir);
  outside = xasprintf ("%s/outside", dir);
  check (mkdir (outside, 0755) == 0);
  cleanup_free char *victim = xasprintf ("%s/victim", outside);
  skiff_error_t err = NULL;
  check_ok (write_file_atomic (victim, "original", 8, 0644, &err), &err);
  store = test_store_open (dir, "vfs");
}

/* ---- hostile archives ---- */

static void
b_dotdot (struct test_tar *t)
{
  test_tar_file (t, "ok", "fine", 0644, 0, 0);
  test_tar_file (t, "../x", "evil", 0644, 0, 0);
}

static void
b_abs_escape (struct test_tar *t)
{
  test_tar_file (t, "/abs/../../x", "evil", 0644, 0, 0);
}

static void
b_symlink_then_write (struct test_tar *t)
{
  test_tar_symlink (t, "lnk", outside);
  test_tar_file (t, "lnk/evil", "evil", 0644, 0, 0);
}

static void
b_symlink_then_overwrite (struct test_tar *t)
{
  test_tar_symlink (t, "lnk", outside);
  test_tar_file (t, "lnk/victim", "evil", 0644, 0, 0);
}

static void
b_hardlink_escape (struct test_tar *t)
{
  test_tar_hardlink (t, "hl", "../../etc/passwd");
}

static void
b_hardlink_missing (struct test_tar *t)
{
  test_tar_hardlink (t, "hl", "nothere");
}

static void
b_hardlink_through_symlink (struct test_tar *t)
{
  test_tar_symlink (t, "lnk", outside);
  test_tar_hardlink (t, "hl", "lnk/victim");
}

static void
b_dir_replaced_by_symlink (struct test_tar *t)
{
  /* a directory, then a symlink of the same name, then a file "inside" it */
  test_tar_dir (t, "sub", 0755, 0, 0);
  test_tar_file (t, "sub/a", "a", 0644, 0, 0);
  test_tar_symlink (t, "sub", outside);
  test_tar_file (t, "sub/victim", "evil", 0644, 0, 0);
}

static void
b_symlink_then_dir (struct test_tar *t)
{
  test_tar_symlink (t, "lnk", outside);
  test_tar_dir (t, "lnk/newdir", 0755, 0, 0);
}

static void
b_whiteout_dot (struct test_tar *t)
{
  test_tar_file (t, "d/.wh..", "", 0644, 0, 0);
}

struct hostile
{
  const char *name;
  void (*build) (struct test_tar *t);
  const char *expect;
};

static const struct hostile hostiles[] = {
  { "dotdot", b_dotdot, "lead outside the layer" },
  { "abs-escape", b_abs_escape, "lead outside the layer" },
  { "symlink-then-write", b_symlink_then_write, "refusing to write through the symbolic link `lnk`" },
  { "symlink-then-overwrite", b_symlink_then_overwrite, "refusing to write through the symbolic link `lnk`" },
  { "symlink-then-dir", b_symlink_then_dir, "refusing to write through the symbolic link `lnk`" },
  { "hardlink-escape", b_hardlink_escape, "lead outside the layer" },
  { "hardlink-missing", b_hardlink_missing, "the target is not in the layer" },
  { "hardlink-through-symlink", b_hardlink_through_symlink, "refusing to write through the symbolic link" },
  { "dir-replaced-by-symlink", b_dir_replaced_by_symlink, "refusing to write through the symbolic link `sub`" },
  { "whiteout-dot", b_whiteout_dot, "names no file" },
};

static void
assert_outside_untouched (const char *what)
{
  check_msg ((test_count_entries (outside, ".")) == (1), "%s: something was written outside the layer", what);
  cleanup_free char *v = test_read (outside, "victim");
  check_msg (v && strcmp (v, "original") == 0, "%s: the file outside was modified", what);
  struct stat st;
  cleanup_free char *victim = xasprintf ("%s/victim", outside);
  check_int (stat (victim, &st), ==, 0);
  check_msg ((st.st_nlink) == (1), "%s: the file outside got a hardlink", what);
}

static void
assert_no_layer_visible (const char *what)
{
  check_msg ((test_count_entries (root, "layers")) == (0), "%s: a layer (or a temporary) was left in layers/", what);
  check_msg ((test_count_entries (root, "images")) == (1), "%s: an image appeared", what); /* by-name only */
  check_msg (!test_exists (root, "layers/x"), "%s", what);
  check_msg (!test_exists (dir, "x"), "%s", what);
}

USERNS_TEST (unpack, hostile_archives_are_refused, false)
{
  setup ();
  for (size_t i = 0; i < ARRAY_SIZE (hostiles); i++)
    {
      cleanup_free char *tar = xasprintf ("%s/%s.tar", dir, hostiles[i].name);
      struct test_tar *t = test_tar_new (tar, false);
      hostiles[i].build (t);
      int fd = test_tar_close (t);
      skiff_error_t err = NULL;
      char *id = NULL;
      int r = skiff_store_import (store, fd, "hostile", NULL, &id, &err);
      close (fd);
      check_msg ((r) < (0), "%s: the archive was accepted", hostiles[i].name);
      check_msg (strstr (err->msg, hostiles[i].expect) != NULL, "%s: unexpected error `%s`", hostiles[i].name,
                 err->msg);
      check_msg (str_has_prefix (err->msg, "import: "), "%s: `%s`", hostiles[i].name, err->msg);
      skiff_error_release (&err);
      assert_outside_untouched (hostiles[i].name);
      assert_no_layer_visible (hostiles[i].name);
    }
}

USERNS_TEST (unpack, not_a_tar, false)
{
  setup ();
  cleanup_free char *p = xasprintf ("%s/garbage", dir);
  skiff_error_t err = NULL;
  const char text[] = "this is not a tar archive at all, just some text\n";
  check_ok (write_file_atomic (p, text, strlen (text), 0644, &err), &err);
  int fd = open (p, O_RDONLY);
  check_int (skiff_store_import (store, fd, NULL, NULL, NULL, &err), <, 0);
  close (fd);
  check_contains (err->msg, "not a tar archive");
  skiff_error_release (&err);
  /* empty input */
  fd = open ("/dev/null", O_RDONLY);
  check_int (skiff_store_import (store, fd, NULL, NULL, NULL, &err), <, 0);
  close (fd);
  check_contains (err->msg, "empty");
  skiff_error_release (&err);
  assert_no_layer_visible ("garbage");
}

USERNS_TEST (unpack, decompression_bomb_is_refused, false)
{
  setup ();
  cleanup_free char *tar = xasprintf ("%s/bomb.tar.gz", dir);
  struct test_tar *t = test_tar_new (tar, true);
  test_tar_file (t, "small", "x", 0644, 0, 0);
  test_tar_zero_file (t, "big", 16 << 20);
  int fd = test_tar_close (t);
  struct stat st;
  check_int (fstat (fd, &st), ==, 0);
  check_msg ((st.st_size) < (1 << 20), "the bomb should compress well");
  skiff_store_set_unpack_limit (store, 1 << 20);
  skiff_error_t err = NULL;
  check_int (skiff_store_import (store, fd, "bomb", NULL, NULL, &err), <, 0);
  close (fd);
  check_msg (strstr (err->msg, "extraction limit") != NULL, "%s", err->msg);
  check_msg (strstr (err->msg, "`big`") != NULL, "%s", err->msg);
  check_int (err->status, ==, EFBIG);
  skiff_error_release (&err);
  assert_no_layer_visible ("bomb");
}

/* ---- what a good archive becomes ---- */

static int
import_tar (const char *tar_path, const char *name, char **id)
{
  int fd = open (tar_path, O_RDONLY | O_CLOEXEC);
  check_int (fd, >=, 0);
  skiff_error_t err = NULL;
  int r = skiff_store_import (store, fd, name, NULL, id, &err);
  close (fd);
  check_msg ((r) == (0), "import: %s", err ? err->msg : "");
  return r;
}

static char *
only_layer (void)
{
  cleanup_free char *layers = xasprintf ("%s/layers", root);
  DIR *d = opendir (layers);
  check ((d) != NULL);
  char *found = NULL;
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    if (de->d_name[0] != '.')
      {
        check_msg ((found) == NULL, "more than one layer");
        found = xasprintf ("%s/%s/diff", layers, de->d_name);
      }
  closedir (d);
  check ((found) != NULL);
  return found;
}

USERNS_TEST (unpack, metadata_whiteouts_and_links, false)
{
  setup ();
  cleanup_free char *tar = xasprintf ("%s/meta.tar", dir);
  struct test_tar *t = test_tar_new (tar, false);
  test_tar_dir (t, "./", 0755, 0, 0);
  test_tar_set_mtime (t, 1500000000);
  test_tar_dir (t, "d", 0750, 0, 0);
  test_tar_set_mtime (t, 1600000000);
  test_tar_file (t, "d/f", "content", 04755, 0, 0);
  test_tar_symlink (t, "l", "d/f");
  test_tar_hardlink (t, "h", "d/f");
  test_tar_file_xattr (t, "x", "x", "user.skiff", "hello");
  test_tar_file_xattr (t, "y", "y", "trusted.skiff", "no");
  test_tar_file_xattr (t, "z", "z", "user.overlay.redirect", "/etc");
  test_tar_chardev (t, "dev/null", 1, 3);
  test_tar_file (t, ".wh.gone", "", 0644, 0, 0);
  test_tar_dir (t, "o", 0755, 0, 0);
  test_tar_file (t, "o/.wh..wh..opq", "", 0644, 0, 0);
  test_tar_file (t, "o/keep", "k", 0644, 0, 0);
  test_tar_file (t, "/abs/ok", "stripped", 0644, 0, 0);
  test_tar_file (t, "./dot/ok", "stripped", 0644, 0, 0);
  test_tar_file (t, "deep/implicit/parents", "p", 0644, 0, 0);
  close (test_tar_close (t));
  import_tar (tar, "meta", NULL);
  cleanup_free char *diff = only_layer ();
  struct stat st;
  cleanup_free char *f = xasprintf ("%s/d/f", diff);
  check_int (lstat (f, &st), ==, 0);
  check_msg ((st.st_mode & 07777) == (04755), "setuid kept after chown: %o", st.st_mode & 07777);
  check_int (st.st_mtim.tv_sec, ==, 1600000000);
  ino_t ino = st.st_ino;
  cleanup_free char *d = xasprintf ("%s/d", diff);
  check_int (lstat (d, &st), ==, 0);
  check_int (st.st_mode & 07777, ==, 0750);
  check_msg ((st.st_mtim.tv_sec) == (1500000000), "directory times are set after its children");
  cleanup_free char *l = xasprintf ("%s/l", diff);
  char target[64] = "";
  check_int (readlink (l, target, sizeof target - 1), >, 0);
  check_str (target, "d/f");
  cleanup_free char *h = xasprintf ("%s/h", diff);
  check_int (lstat (h, &st), ==, 0);
  check_msg ((st.st_ino) == (ino), "the hardlink shares the inode");
  cleanup_free char *x = xasprintf ("%s/x", diff);
  char val[16] = "";
  check_int (getxattr (x, "user.skiff", val, sizeof val), ==, 5);
  check (memcmp (val, "hello", 5) == 0);
  cleanup_free char *z = xasprintf ("%s/z", diff);
  check_msg (getxattr (z, "user.overlay.redirect", val, sizeof val) < 0, "overlay xattrs from a tar are dropped");
  check (test_exists (diff, "y"));
  check_msg (!test_exists (diff, "dev/null"), "devices cannot be created in a user namespace");
  cleanup_free char *gone = xasprintf ("%s/gone", diff);
  check_msg ((lstat (gone, &st)) == (0), "the whiteout exists");
  check (S_ISCHR (st.st_mode));
  check_int (st.st_rdev, ==, makedev (0, 0));
  check (!test_exists (diff, ".wh.gone"));
  cleanup_free char *o = xasprintf ("%s/o", diff);
  memset (val, 0, sizeof val);
  check_int (getxattr (o, "user.overlay.opaque", val, sizeof val), ==, 1);
  check_int (val[0], ==, 'y');
  check (!test_exists (diff, "o/.wh..wh..opq"));
  cleanup_free char *keep = test_read (diff, "o/keep");
  check_str (keep, "k");
  cleanup_free char *abs = test_read (diff, "abs/ok");
  check_str (abs, "stripped");
  cleanup_free char *dot = test_read (diff, "dot/ok");
  check_str (dot, "stripped");
  cleanup_free char *deep = test_read (diff, "deep/implicit/parents");
  check_str (deep, "p");
}

/* The one tar-path policy (util/tarpath.c), as containers/storage's filepath.Clean: a ".." that stays inside
 * the layer is resolved lexically, the same way `load` reads member names. */
USERNS_TEST (unpack, dotdot_inside_the_layer_is_resolved, false)
{
  setup ();
  cleanup_free char *tar = xasprintf ("%s/dotdot.tar", dir);
  struct test_tar *t = test_tar_new (tar, false);
  test_tar_file (t, "a/../inside", "in", 0644, 0, 0);
  test_tar_file (t, "./b/c/../../d/./e", "de", 0644, 0, 0);
  test_tar_hardlink (t, "h", "a/../inside");
  close (test_tar_close (t));
  import_tar (tar, "dotdot", NULL);
  cleanup_free char *diff = only_layer ();
  cleanup_free char *in = test_read (diff, "inside");
  check_str (in, "in");
  cleanup_free char *de = test_read (diff, "d/e");
  check_str (de, "de");
  cleanup_free char *h = test_read (diff, "h");
  check_str (h, "in");
  check_msg (!test_exists (diff, "b/c"), "nothing is made for the components a `..` removed");
}

/* Capture what the library logs to stderr while importing. */
static char *
import_capturing_stderr (const char *tar_path, const char *name)
{
  int p[2];
  check_int (pipe2 (p, O_NONBLOCK), ==, 0);
  int saved = dup (2);
  dup2 (p[1], 2);
  close (p[1]);
  import_tar (tar_path, name, NULL);
  dup2 (saved, 2);
  close (saved);
  char buf[4096];
  ssize_t n = read (p[0], buf, sizeof buf - 1);
  close (p[0]);
  buf[n > 0 ? n : 0] = '\0';
  return xstrdup (buf);
}

static void
build_owned_tar (const char *tar_path)
{
  struct test_tar *t = test_tar_new (tar_path, false);
  test_tar_dir (t, "www", 0755, 33, 33);
  test_tar_file (t, "www/index.html", "hi", 0640, 33, 33);
  test_tar_file (t, "rootfile", "r", 0600, 0, 0);
  close (test_tar_close (t));
}

USERNS_TEST (unpack, other_owner_in_single_id_namespace_becomes_root, false)
{
  setup ();
  cleanup_free char *tar = xasprintf ("%s/owned.tar", dir);
  build_owned_tar (tar);
  cleanup_free char *log = import_capturing_stderr (tar, "owned");
  check_contains (log, "image files owned by other users are owned by root: no subordinate ID range");
  /* once per process */
  check_msg (strstr (strstr (log, "no subordinate") + 1, "no subordinate") == NULL, "warned twice: %s", log);
  cleanup_free char *diff = only_layer ();
  cleanup_free char *f = xasprintf ("%s/www/index.html", diff);
  struct stat st;
  check_int (stat (f, &st), ==, 0);
  check_int (st.st_uid, ==, 0);
  check_int (st.st_mode & 07777, ==, 0640);
}

USERNS_TEST (unpack, other_owner_kept_with_a_wide_mapping, true)
{
  setup ();
  cleanup_free char *tar = xasprintf ("%s/owned.tar", dir);
  build_owned_tar (tar);
  cleanup_free char *log = import_capturing_stderr (tar, "owned");
  check_msg (strstr (log, "no subordinate") == NULL, "unexpected warning: %s", log);
  cleanup_free char *diff = only_layer ();
  cleanup_free char *f = xasprintf ("%s/www/index.html", diff);
  struct stat st;
  check_int (stat (f, &st), ==, 0);
  check_int (st.st_uid, ==, 33);
  check_int (st.st_gid, ==, 33);
  cleanup_free char *w = xasprintf ("%s/www", diff);
  check_int (stat (w, &st), ==, 0);
  check_int (st.st_uid, ==, 33);
  /* a container over it: files of another mapped user and a mode-000 directory still delete */
  struct skiff_image *img = NULL;
  skiff_error_t err = NULL;
  check_ok (skiff_store_image_lookup (store, "owned", &img, &err), &err);
  check_ok (skiff_store_rootfs_create (store, img, "c1", &err), &err);
  char *merged = NULL;
  check_ok (skiff_store_rootfs_mount (store, "c1", &merged, &err), &err);
  cleanup_free char *locked = xasprintf ("%s/www/locked", merged);
  check_int (mkdir (locked, 0755), ==, 0);
  cleanup_free char *inner = xasprintf ("%s/file", locked);
  check_ok (write_file_atomic (inner, "x", 1, 0600, &err), &err);
  check_int (chown (inner, 1000, 1000), ==, 0);
  check_int (chown (locked, 1000, 1000), ==, 0);
  check_int (chmod (locked, 0), ==, 0);
  check_ok (skiff_store_rootfs_delete (store, "c1", &err), &err);
  check (!test_exists (root, "containers/c1"));
  free (merged);
  skiff_image_free (img);
}

/* ---- diff IDs ---- */

static void
compress_file (const char *in, const char *out, int (*add_filter) (struct archive *))
{
  cleanup_free char *data = NULL;
  size_t len = 0;
  skiff_error_t err = NULL;
  check_int (read_file (in, &data, &len, &err), ==, 0);
  struct archive *a = archive_write_new ();
  archive_write_set_format_raw (a);
  check_msg (add_filter (a) >= ARCHIVE_WARN, "%s", archive_error_string (a));
  check_int (archive_write_open_filename (a, out), ==, ARCHIVE_OK);
  struct archive_entry *e = archive_entry_new ();
  archive_entry_set_filetype (e, AE_IFREG);
  archive_entry_set_pathname (e, "data");
  archive_entry_set_size (e, (la_int64_t) len);
  check_int (archive_write_header (a, e), ==, ARCHIVE_OK);
  check_int (archive_write_data (a, data, len), ==, (la_ssize_t) len);
  archive_entry_free (e);
  check_int (archive_write_close (a), ==, ARCHIVE_OK);
  archive_write_free (a);
}

USERNS_TEST (unpack, diff_id_is_the_sha256_of_the_uncompressed_tar, false)
{
  setup ();
  cleanup_free char *tar = xasprintf ("%s/plain.tar", dir);
  struct test_tar *t = test_tar_new (tar, false);
  test_tar_file (t, "etc/hostname", "skiff\n", 0644, 0, 0);
  test_tar_file (t, "bin/sh", "#!fake\n", 0755, 0, 0);
  int fd = test_tar_close (t);
  char want[65];
  skiff_error_t err = NULL;
  check_int (skiff_sha256_fd (fd, want, NULL, &err), ==, 0);
  close (fd);

  static const struct
  {
    const char *ext;
    int (*filter) (struct archive *);
  } filters[] = {
    { "gz", archive_write_add_filter_gzip },
    { "zst", archive_write_add_filter_zstd },
    { "xz", archive_write_add_filter_xz },
    { "bz2", archive_write_add_filter_bzip2 },
  };
  import_tar (tar, "plain", NULL);
  cleanup_free char *layer = xasprintf ("layers/%s/diff", want);
  check_msg (test_exists (root, layer), "the layer is named by the sha256 of the tar");
  for (size_t i = 0; i < ARRAY_SIZE (filters); i++)
    {
      cleanup_free char *c = xasprintf ("%s/plain.tar.%s", dir, filters[i].ext);
      compress_file (tar, c, filters[i].filter);
      cleanup_free char *id = NULL;
      cleanup_free char *name = xasprintf ("compressed-%s", filters[i].ext);
      import_tar (c, name, &id);
      struct skiff_image *img = NULL;
      check_ok (skiff_store_image_lookup (store, id, &img, &err), &err);
      check_msg (strcmp (img->layers[0], want) == 0, "%s: diff ID %s", filters[i].ext, img->layers[0]);
      cleanup_free char *diffid = xasprintf ("sha256:%s", want);
      check_str (img->config->diff_ids[0], diffid);
      skiff_image_free (img);
    }
  /* one tar, five imports: one layer */
  check_int (test_count_entries (root, "layers"), ==, 1);
}
