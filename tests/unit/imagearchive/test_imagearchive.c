/* image archives: deterministic layer export with whiteouts turned back into .wh. entries, save -> load
 * round trips in both formats, podman's archives, and corrupt archives refused without leftovers. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "../storage/helpers.h"
#include "image/archive.h"

#define DATA_DIR SKIFF_TEST_SRCDIR "/tests/data/saveload"

/* A layer with a hardlink, a symlink, an xattr, an opaque directory and a whiteout. */
static char *
make_layer_tar (const char *dir, const char *name)
{
  char *path = xasprintf ("%s/%s", dir, name);
  struct test_tar *t = test_tar_new (path, false);
  test_tar_set_mtime (t, 1700000000);
  test_tar_file_xattr (t, "a", "alpha", "user.k", "v");
  test_tar_hardlink (t, "a2", "a");
  test_tar_dir (t, "d", 0750, 0, 0);
  test_tar_file (t, "d/.wh..wh..opq", "", 0644, 0, 0);
  test_tar_file (t, "d/f", "eff", 0600, 0, 0);
  test_tar_file (t, ".wh.gone", "", 0644, 0, 0);
  test_tar_symlink (t, "l", "a");
  close (test_tar_close (t));
  return path;
}

static char *
export_to_file (struct skiff_store *s, const char *diff_id, const char *dir, const char *name, char hex[65])
{
  cleanup_free char *layer = skiff_store_layer_path (s, diff_id);
  check (layer != NULL);
  int dfd = open (layer, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  check (dfd >= 0);
  char *path = xasprintf ("%s/%s", dir, name);
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  check (fd >= 0);
  skiff_error_t err = NULL;
  uint64_t size = 0;
  check_ok (skiff_layer_export (dfd, fd, hex, &size, &err), &err);
  struct stat st;
  check (fstat (fd, &st) == 0 && (uint64_t) st.st_size == size);
  close (fd);
  close (dfd);
  return path;
}

USERNS_TEST (imagearchive, export_is_deterministic_and_writes_whiteouts, false)
{
  struct skiff_store *s = test_store_open (test_dir, "vfs");
  cleanup_free char *tar = make_layer_tar (test_dir, "in.tar");
  skiff_error_t err = NULL;
  int fd = open (tar, O_RDONLY | O_CLOEXEC);
  cleanup_free char *diff_id = NULL;
  check_ok (skiff_store_layer_apply (s, fd, NULL, &diff_id, &err), &err);
  close (fd);

  char h1[65], h2[65];
  cleanup_free char *p1 = export_to_file (s, diff_id, test_dir, "out1.tar", h1);
  cleanup_free char *p2 = export_to_file (s, diff_id, test_dir, "out2.tar", h2);
  check_str (h1, h2);
  cleanup_free char *d1 = NULL, *d2 = NULL;
  size_t l1 = 0, l2 = 0;
  check_ok (read_file (p1, &d1, &l1, &err), &err);
  check_ok (read_file (p2, &d2, &l2, &err), &err);
  check (l1 == l2 && memcmp (d1, d2, l1) == 0);
  char want[65];
  skiff_sha256_hex (d1, l1, want);
  check_str (h1, want);

  /* the entries, in order, as another tar reader sees them */
  struct archive *a = archive_read_new ();
  archive_read_support_format_tar (a);
  check (archive_read_open_filename (a, p1, 10240) == ARCHIVE_OK);
  static const char *const order[] = { "a", "a2", "d/", "d/.wh..wh..opq", "d/f", ".wh.gone", "l", NULL };
  struct archive_entry *e;
  size_t i = 0;
  while (archive_read_next_header (a, &e) == ARCHIVE_OK)
    {
      const char *p = archive_entry_pathname (e);
      check_msg (order[i] != NULL, "unexpected extra entry `%s`", p);
      check_str (p, order[i]);
      if (strcmp (p, "a") == 0)
        {
          const char *xn;
          const void *xv;
          size_t xs;
          /* pax carries it twice (LIBARCHIVE.xattr and SCHILY.xattr, which Go's tar reads) */
          check_int (archive_entry_xattr_reset (e), >=, 1);
          while (archive_entry_xattr_next (e, &xn, &xv, &xs) == ARCHIVE_OK)
            {
              check_str (xn, "user.k");
              check (xs == 1 && memcmp (xv, "v", 1) == 0);
            }
          check_int (archive_entry_mtime (e), ==, 1700000000);
        }
      if (strcmp (p, "a2") == 0)
        check_str (archive_entry_hardlink (e), "a");
      if (strcmp (p, "d/") == 0)
        {
          check_int (archive_entry_perm (e), ==, 0750);
          /* overlay's bookkeeping does not leave the store */
          check_int (archive_entry_xattr_count (e), ==, 0);
        }
      if (strcmp (p, ".wh.gone") == 0 || strcmp (p, "d/.wh..wh..opq") == 0)
        check (archive_entry_filetype (e) == AE_IFREG && archive_entry_size (e) == 0);
      if (strcmp (p, "l") == 0)
        check_str (archive_entry_symlink (e), "a");
      i++;
    }
  check_msg (order[i] == NULL, "missing entry `%s`", order[i]);
  archive_read_free (a);

  /* stored again, the export is a layer with exactly that diff ID, and exporting it gives the same bytes */
  fd = open (p1, O_RDONLY | O_CLOEXEC);
  cleanup_free char *expected = xasprintf ("sha256:%s", h1);
  cleanup_free char *again = NULL;
  check_ok (skiff_store_layer_apply (s, fd, expected, &again, &err), &err);
  close (fd);
  char h3[65];
  free (export_to_file (s, again, test_dir, "out3.tar", h3));
  check_str (h3, h1);
  skiff_store_free (s);
}

static char *
save_to_file (struct skiff_store *s, const char *ref, enum skiff_archive_format f, const char *path)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  check (fd >= 0);
  skiff_error_t err = NULL;
  char *refs[] = { (char *) ref, NULL };
  check_ok (skiff_image_save (s, refs, f, fd, NULL, &err), &err);
  close (fd);
  char *data = NULL;
  check_ok (read_file (path, &data, NULL, &err), &err);
  return data;
}

static int
load_file (struct skiff_store *s, const char *path, char ***loaded, skiff_error_t *err)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  check (fd >= 0);
  int r = skiff_image_load (s, fd, loaded, NULL, err);
  close (fd);
  return r;
}

static void
round_trip (enum skiff_archive_format f)
{
  struct skiff_store *s1 = test_store_open (test_dir, "vfs");
  cleanup_free char *tar = make_layer_tar (test_dir, "in.tar");
  char *tars[] = { tar, NULL };
  free (test_make_image (s1, "localhost/t:1", tars));
  cleanup_free char *a1 = xasprintf ("%s/a1.tar", test_dir);
  cleanup_free char *a2 = xasprintf ("%s/a2.tar", test_dir);
  size_t len1 = 0;
  {
    struct stat st;
    free (save_to_file (s1, "t:1", f, a1));
    check (stat (a1, &st) == 0);
    len1 = (size_t) st.st_size;
  }

  cleanup_free char *dir2 = xasprintf ("%s/two", test_dir);
  check (mkdir (dir2, 0700) == 0);
  struct skiff_store *s2 = test_store_open (dir2, "vfs");
  skiff_error_t err = NULL;
  cleanup_strv char **loaded = NULL;
  check_ok (load_file (s2, a1, &loaded, &err), &err);
  check_int (strv_len (loaded), ==, 1);
  check_str (loaded[0], "localhost/t:1");
  struct skiff_image *img = NULL;
  check_ok (skiff_store_image_lookup (s2, "t:1", &img, &err), &err);
  check_int (strv_len (img->layers), ==, 1);
  check_str (img->config->architecture, "amd64");
  skiff_image_free (img);

  /* saving what was loaded writes the same archive: the export is a fixed point */
  cleanup_free char *d2 = save_to_file (s2, "localhost/t:1", f, a2);
  cleanup_free char *d1 = NULL;
  size_t l1 = 0;
  check_ok (read_file (a1, &d1, &l1, &err), &err);
  check (l1 == len1 && memcmp (d1, d2, l1) == 0);

  /* loading again only adds nothing */
  cleanup_strv char **again = NULL;
  check_ok (load_file (s2, a2, &again, &err), &err);
  check_str (again[0], "localhost/t:1");
  skiff_store_free (s1);
  skiff_store_free (s2);
}

USERNS_TEST (imagearchive, docker_archive_round_trip, false) { round_trip (SKIFF_ARCHIVE_DOCKER); }

USERNS_TEST (imagearchive, oci_archive_round_trip, false) { round_trip (SKIFF_ARCHIVE_OCI); }

static void
load_podman (const char *file)
{
  struct skiff_store *s = test_store_open (test_dir, "vfs");
  skiff_error_t err = NULL;
  cleanup_strv char **loaded = NULL;
  cleanup_free char *path = xasprintf (DATA_DIR "/%s", file);
  check_ok (load_file (s, path, &loaded, &err), &err);
  check_int (strv_len (loaded), ==, 1);
  check_str (loaded[0], "localhost/skiff-test-tiny2:latest");
  struct skiff_image *img = NULL;
  check_ok (skiff_store_image_lookup (s, "skiff-test-tiny2", &img, &err), &err);
  /* podman's image ID: the config went through unchanged */
  check_str (img->id, "03793574654e6e77696ca9cecffafd136c5d5635a44eb33185d6fc93b1885bf3");
  check_int (strv_len (img->layers), ==, 2);
  cleanup_free char *diff = xasprintf ("sha256:%s", img->layers[1]);
  cleanup_free char *top = skiff_store_layer_path (s, diff);
  cleanup_free char *motd2 = test_read (top, "etc/motd2");
  check_str (motd2, "layer two\n");
  skiff_image_free (img);
  skiff_store_free (s);
}

USERNS_TEST (imagearchive, loads_podman_docker_archive, false) { load_podman ("podman-docker-archive.tar"); }

USERNS_TEST (imagearchive, loads_podman_oci_archive, false) { load_podman ("podman-oci-archive.tar"); }

USERNS_TEST (imagearchive, loads_gzip_compressed_archive, false) { load_podman ("podman-docker-archive.tar.gz"); }

static void
expect_load_error (struct skiff_store *s, const char *path, const char *msg)
{
  skiff_error_t err = NULL;
  char **loaded = NULL;
  check_msg (load_file (s, path, &loaded, &err) < 0, "loading `%s` should fail", path);
  check_contains (err->msg, msg);
  skiff_error_release (&err);
  /* nothing is left behind: no image, no layer */
  struct skiff_image **imgs = NULL;
  size_t n = 99;
  check_ok (skiff_store_image_list (s, &imgs, &n, &err), &err);
  check_int (n, ==, 0);
  free (imgs);
  check_int (test_count_entries (test_dir, "storage/layers"), <=, 0);
}

USERNS_TEST (imagearchive, refuses_corrupt_archives, false)
{
  struct skiff_store *s = test_store_open (test_dir, "vfs");
  skiff_error_t err = NULL;
  cleanup_free char *junk = xasprintf ("%s/junk", test_dir);
  check_ok (write_file_at (AT_FDCWD, junk, "this is not a tar archive at all\n", 33, 0644, &err), &err);
  expect_load_error (s, junk, "payload does not match any of the supported image formats: not a tar");

  cleanup_free char *empty = xasprintf ("%s/empty", test_dir);
  check_ok (write_file_at (AT_FDCWD, empty, "", 0, 0644, &err), &err);
  expect_load_error (s, empty, "payload does not match any of the supported image formats:");

  cleanup_free char *plain = make_layer_tar (test_dir, "plain.tar");
  expect_load_error (s, plain, "neither manifest.json");

  /* podman's docker-archive with one byte of a layer changed: the diff ID no longer matches */
  cleanup_free char *orig = xasprintf (DATA_DIR "/podman-docker-archive.tar");
  cleanup_free char *data = NULL;
  size_t len = 0;
  check_ok (read_file (orig, &data, &len, &err), &err);
  char *hit = memmem (data, len, "layer two", 9);
  check (hit != NULL);
  hit[0] = 'L';
  cleanup_free char *bad = xasprintf ("%s/bad.tar", test_dir);
  check_ok (write_file_at (AT_FDCWD, bad, data, len, 0644, &err), &err);
  expect_load_error (s, bad, "digest mismatch");

  /* the same in the oci-archive: the blob digest no longer matches */
  free (data);
  data = NULL;
  cleanup_free char *orig2 = xasprintf (DATA_DIR "/podman-oci-archive.tar");
  check_ok (read_file (orig2, &data, &len, &err), &err);
  hit = memmem (data, len, "\"Cmd\"", 5);
  check (hit != NULL);
  hit[1] = 'c';
  check_ok (write_file_at (AT_FDCWD, bad, data, len, 0644, &err), &err);
  expect_load_error (s, bad, "digest mismatch");

  /* truncated */
  check_ok (write_file_at (AT_FDCWD, bad, data, len / 2, 0644, &err), &err);
  expect_load_error (s, bad, "");
  skiff_store_free (s);
}

Test (imagearchive, format_names)
{
  enum skiff_archive_format f;
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_archive_format_parse ("oci-archive", &f, &err), 0);
  cr_assert_eq (f, SKIFF_ARCHIVE_OCI);
  cr_assert_eq (skiff_archive_format_parse ("docker-archive", &f, &err), 0);
  cr_assert_eq (f, SKIFF_ARCHIVE_DOCKER);
  cr_assert_lt (skiff_archive_format_parse ("zip", &f, &err), 0);
  cr_assert (strstr (err->msg, "oci-archive") != NULL, "%s", err->msg);
  skiff_error_release (&err);
}

/* ---- hostile archives: what load writes before it has validated anything ---- */

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "image/archive_internal.h"

#define MIB (1024 * 1024)

/* Copy every entry of src into a new pax tar (gzip-compressed when asked), leaving out the member named
 * skip, then let extra add entries. */
static char *
rewrite_archive (const char *src, const char *name, bool gzip, const char *skip, void (*extra) (struct archive *w))
{
  char *dst = xasprintf ("%s/%s", test_dir, name);
  struct archive *r = archive_read_new ();
  archive_read_support_format_tar (r);
  check (archive_read_open_filename (r, src, 10240) == ARCHIVE_OK);
  struct archive *w = archive_write_new ();
  archive_write_set_format_pax (w);
  if (gzip)
    archive_write_add_filter_gzip (w);
  check (archive_write_open_filename (w, dst) == ARCHIVE_OK);
  struct archive_entry *e;
  char buf[4096];
  while (archive_read_next_header (r, &e) == ARCHIVE_OK)
    {
      if (skip && strcmp (archive_entry_pathname (e), skip) == 0)
        continue;
      check (archive_write_header (w, e) == ARCHIVE_OK);
      la_ssize_t n;
      while ((n = archive_read_data (r, buf, sizeof buf)) > 0)
        check (archive_write_data (w, buf, (size_t) n) == n);
    }
  archive_read_free (r);
  if (extra)
    extra (w);
  check (archive_write_close (w) == ARCHIVE_OK);
  archive_write_free (w);
  return dst;
}

/* A regular file of size bytes in which only the first and last 4 kB hold data (a GNU.sparse pax entry). */
static void
add_sparse (struct archive *w, const char *path, int64_t size)
{
  struct archive_entry *e = archive_entry_new ();
  archive_entry_set_pathname (e, path);
  archive_entry_set_filetype (e, AE_IFREG);
  archive_entry_set_perm (e, 0644);
  archive_entry_set_size (e, size);
  archive_entry_sparse_add_entry (e, 0, 4096);
  archive_entry_sparse_add_entry (e, size - 4096, 4096);
  check (archive_write_header (w, e) == ARCHIVE_OK);
  char buf[4096];
  memset (buf, 'x', sizeof buf);
  check (archive_write_data (w, buf, sizeof buf) == sizeof buf);
  check (archive_write_data (w, buf, sizeof buf) == sizeof buf);
  archive_entry_free (e);
}

static void
add_zeros (struct archive *w, const char *path, int64_t size)
{
  struct archive_entry *e = archive_entry_new ();
  archive_entry_set_pathname (e, path);
  archive_entry_set_filetype (e, AE_IFREG);
  archive_entry_set_perm (e, 0644);
  archive_entry_set_size (e, size);
  check (archive_write_header (w, e) == ARCHIVE_OK);
  static char zeros[64 * 1024];
  for (int64_t done = 0; done < size; done += (int64_t) sizeof zeros)
    check (archive_write_data (w, zeros, sizeof zeros) == (la_ssize_t) sizeof zeros);
  archive_entry_free (e);
}

static void
extra_unreferenced (struct archive *w)
{
  add_sparse (w, "junk/holes", (int64_t) 1 << 30);
  add_zeros (w, "junk/zeros", 32 * MIB);
}

/* TMPDIR in the test's directory, so that what load leaves there can be counted; files written from now
 * on are capped at limit bytes (RLIMIT_FSIZE: a write past it fails with EFBIG). */
static char *
private_tmpdir_and_fsize (rlim_t limit)
{
  char *tmp = xasprintf ("%s/tmp", test_dir);
  check (mkdir (tmp, 0700) == 0);
  check (setenv ("TMPDIR", tmp, 1) == 0);
  signal (SIGXFSZ, SIG_IGN);
  struct rlimit rl = { limit, limit };
  check (setrlimit (RLIMIT_FSIZE, &rl) == 0);
  return tmp;
}

/* The 10 kB sparse tar of issue #9 made load write 770 MB before it failed: members that no manifest
 * references are never extracted, so neither a 1 GiB sparse file nor 32 MiB of zeros is written. */
USERNS_TEST (imagearchive, load_writes_only_referenced_members, false)
{
  struct skiff_store *s = test_store_open (test_dir, "vfs");
  cleanup_free char *arc
      = rewrite_archive (DATA_DIR "/podman-docker-archive.tar", "extra.tar.gz", true, NULL, extra_unreferenced);
  struct stat st;
  check (stat (arc, &st) == 0 && st.st_size < 1 * MIB);
  cleanup_free char *tmp = private_tmpdir_and_fsize (8 * MIB);
  skiff_error_t err = NULL;
  cleanup_strv char **loaded = NULL;
  check_ok (load_file (s, arc, &loaded, &err), &err);
  check_str (loaded[0], "localhost/skiff-test-tiny2:latest");
  check_int (test_count_entries (tmp, "."), ==, 0);
  skiff_store_free (s);
}

#define PODMAN_LAYER2 "2a1f2bccd65853fd61ffb5374315c752d8cc0f2f9bceb4d6764ea2806ee78407.tar"

static void
extra_sparse_layer (struct archive *w)
{
  add_sparse (w, PODMAN_LAYER2, (int64_t) 1 << 30);
}

/* A sparse member that the manifest does reference is refused before anything is written. */
USERNS_TEST (imagearchive, load_refuses_sparse_layers, false)
{
  struct skiff_store *s = test_store_open (test_dir, "vfs");
  cleanup_free char *arc
      = rewrite_archive (DATA_DIR "/podman-docker-archive.tar", "sparse.tar", false, PODMAN_LAYER2, extra_sparse_layer);
  cleanup_free char *tmp = private_tmpdir_and_fsize (8 * MIB);
  expect_load_error (s, arc, "is a sparse file");
  check_int (test_count_entries (tmp, "."), ==, 0);
  skiff_store_free (s);
}

static void
extra_one_mib (struct archive *w)
{
  add_zeros (w, "junk/zeros", MIB);
}

static int
load_from_pipe (struct skiff_store *s, const char *path, skiff_error_t *err)
{
  int p[2];
  check (pipe2 (p, O_CLOEXEC) == 0);
  pid_t pid = fork ();
  check (pid >= 0);
  if (pid == 0)
    {
      close (p[0]);
      signal (SIGPIPE, SIG_DFL);
      cleanup_free char *data = NULL;
      size_t len = 0;
      skiff_error_t e2 = NULL;
      _exit (read_file (path, &data, &len, &e2) == 0 && write_all (p[1], data, len) == 0 ? 0 : 1);
    }
  close (p[1]);
  int r = skiff_image_load (s, p[0], NULL, NULL, err);
  close (p[0]);
  waitpid (pid, NULL, 0);
  return r;
}

/* One archive may write at most ARC_LOAD_WRITE_MAX to the temporary directory: the layers it references
 * (checked before the first is written) and, from a pipe, the input itself. */
USERNS_TEST (imagearchive, load_write_cap, false)
{
  struct skiff_store *s = test_store_open (test_dir, "vfs");
  cleanup_free char *arc
      = rewrite_archive (DATA_DIR "/podman-docker-archive.tar", "cap.tar", false, NULL, extra_one_mib);
  cleanup_free char *tmp = private_tmpdir_and_fsize (RLIM_INFINITY);
  /* the two layers take 20480 + 2560 bytes; the unreferenced MiB does not count */
  arc_load_set_write_max (20000);
  expect_load_error (s, arc, "more than 19.5 KiB, the most one archive may write there");
  skiff_error_t err = NULL;
  check_int (load_from_pipe (s, arc, &err), <, 0);
  check_contains (err->msg, "the most one archive may write there");
  check_int (err->status, ==, EFBIG);
  skiff_error_release (&err);
  check_int (test_count_entries (tmp, "."), ==, 0);

  arc_load_set_write_max (30000);
  cleanup_strv char **loaded = NULL;
  check_ok (load_file (s, arc, &loaded, &err), &err);
  check_str (loaded[0], "localhost/skiff-test-tiny2:latest");
  arc_load_set_write_max (0);
  cleanup_free char *dir2 = xasprintf ("%s/two", test_dir);
  check (mkdir (dir2, 0700) == 0);
  struct skiff_store *s2 = test_store_open (dir2, "vfs");
  check_ok (load_from_pipe (s2, arc, &err), &err);
  check_int (test_count_entries (tmp, "."), ==, 0);
  skiff_store_free (s);
  skiff_store_free (s2);
}

static void
add_text (struct archive *w, const char *path, const char *text, size_t len)
{
  struct archive_entry *e = archive_entry_new ();
  archive_entry_set_pathname (e, path);
  archive_entry_set_filetype (e, AE_IFREG);
  archive_entry_set_perm (e, 0644);
  archive_entry_set_size (e, (int64_t) len);
  check (archive_write_header (w, e) == ARCHIVE_OK);
  check (archive_write_data (w, text, len) == (la_ssize_t) len);
  archive_entry_free (e);
}

/* What one archive may make load hold: at most ARC_IMAGES_MAX images, ARC_JSON_TOTAL_MAX of JSON. */
USERNS_TEST (imagearchive, load_bounds_images_and_json, false)
{
  struct skiff_store *s = test_store_open (test_dir, "vfs");
  cleanup_free char *many = xasprintf ("%s/many.tar", test_dir);
  struct archive *w = archive_write_new ();
  archive_write_set_format_pax (w);
  check (archive_write_open_filename (w, many) == ARCHIVE_OK);
  char *doc = xstrdup ("[");
  for (int i = 0; i <= ARC_IMAGES_MAX; i++)
    {
      char *next = xasprintf ("%s%s{\"Config\":\"c.json\",\"Layers\":[]}", doc, i ? "," : "");
      free (doc);
      doc = next;
    }
  char *closed = xasprintf ("%s]", doc);
  add_text (w, "manifest.json", closed, strlen (closed));
  check (archive_write_close (w) == ARCHIVE_OK);
  archive_write_free (w);
  free (doc);
  free (closed);
  expect_load_error (s, many, "lists more than 4096 images");

  /* 65 configs of 1 MiB each (spaces compress well): more JSON than one load holds */
  cleanup_free char *big = xasprintf ("%s/big.tar.gz", test_dir);
  w = archive_write_new ();
  archive_write_set_format_pax (w);
  archive_write_add_filter_gzip (w);
  check (archive_write_open_filename (w, big) == ARCHIVE_OK);
  size_t n = (ARC_JSON_TOTAL_MAX / MIB) + 1;
  char *cfg = xmalloc (MIB);
  memset (cfg, ' ', MIB);
  cfg[0] = '{';
  cfg[MIB - 1] = '}';
  doc = xstrdup ("[");
  for (size_t i = 0; i < n; i++)
    {
      cleanup_free char *name = xasprintf ("c%zu.json", i);
      add_text (w, name, cfg, MIB);
      char *next = xasprintf ("%s%s{\"Config\":\"%s\",\"Layers\":[]}", doc, i ? "," : "", name);
      free (doc);
      doc = next;
    }
  closed = xasprintf ("%s]", doc);
  add_text (w, "manifest.json", closed, strlen (closed));
  check (archive_write_close (w) == ARCHIVE_OK);
  archive_write_free (w);
  free (doc);
  free (closed);
  free (cfg);
  expect_load_error (s, big, "manifests and configs take more than 64 MiB");
  skiff_store_free (s);
}
