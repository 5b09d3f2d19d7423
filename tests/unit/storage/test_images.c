/* storage: images. Import (one layer stored once, changes, names), lookups, tag, remove (podman's rules),
 * crash leftovers, reset. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "helpers.h"

static char *dir;
static char *root;
static struct skiff_store *store;

static void
setup (void)
{
  dir = test_dir;
  root = xasprintf ("%s/storage", dir);
  store = test_store_open (dir, "vfs");
}

static char *
make_tar (const char *name, const char *content)
{
  char *path = xasprintf ("%s/%s.tar", dir, name);
  struct test_tar *t = test_tar_new (path, false);
  test_tar_dir (t, "etc", 0755, 0, 0);
  test_tar_file (t, "etc/content", content, 0644, 0, 0);
  close (test_tar_close (t));
  return path;
}

static char *
import (const char *tar, const char *name, char *const *changes)
{
  int fd = open (tar, O_RDONLY | O_CLOEXEC);
  check (fd >= 0);
  skiff_error_t err = NULL;
  char *id = NULL;
  check_ok (skiff_store_import (store, fd, name, changes, &id, &err), &err);
  close (fd);
  check (skiff_hex_id_valid (id));
  return id;
}

static struct skiff_image *
lookup (const char *ref)
{
  struct skiff_image *img = NULL;
  skiff_error_t err = NULL;
  check_ok (skiff_store_image_lookup (store, ref, &img, &err), &err);
  return img;
}

static void
check_lookup_id (const char *ref, const char *id)
{
  struct skiff_image *img = lookup (ref);
  check_msg (strcmp (img->id, id) == 0, "lookup `%s` found %s, not %s", ref, img->id, id);
  skiff_image_free (img);
}

static void
check_lookup_fails (const char *ref, int status, const char *msg)
{
  struct skiff_image *img = NULL;
  skiff_error_t err = NULL;
  check_msg (skiff_store_image_lookup (store, ref, &img, &err) < 0, "lookup `%s` succeeded", ref);
  check_msg (err->status == status, "lookup `%s`: status %d, message %s", ref, err->status, err->msg);
  check_contains (err->msg, msg);
  skiff_error_release (&err);
}

USERNS_TEST (images, import_twice_stores_one_layer, false)
{
  setup ();
  cleanup_free char *tar = make_tar ("a", "hello");
  free (import (tar, "one", NULL));
  free (import (tar, "two", NULL));
  check_int (test_count_entries (root, "layers"), ==, 1);
  struct skiff_image *a = lookup ("one"), *b = lookup ("two");
  check_str (a->layers[0], b->layers[0]);
  check_int (strv_len (a->layers), ==, 1);
  /* two configs and two manifests */
  check_int (test_count_entries (root, "blobs/sha256"), ==, 4);
  cleanup_free char *content = xasprintf ("layers/%s/diff/etc/content", a->layers[0]);
  cleanup_free char *data = test_read (root, content);
  check_str (data, "hello");
  skiff_image_free (a);
  skiff_image_free (b);
}

USERNS_TEST (images, import_builds_the_config, false)
{
  setup ();
  cleanup_free char *tar = make_tar ("a", "hello");
  char *changes[] = { (char *) "CMD [\"/bin/echo\", \"hi\"]",
                      (char *) "ENV=A=b",
                      (char *) "WORKDIR /srv",
                      (char *) "LABEL version=1.0",
                      (char *) "EXPOSE 80",
                      (char *) "ENTRYPOINT sh -c x",
                      NULL };
  uint64_t before = realtime_ns ();
  cleanup_free char *id = import (tar, "foo", changes);
  struct skiff_image *img = lookup ("foo");
  check_str (img->id, id);
  check_int (strv_len (img->names), ==, 1);
  check_str (img->names[0], "localhost/foo:latest");
  check_str (img->config->cmd[0], "/bin/echo");
  check_str (img->config->cmd[1], "hi");
  check_str (img->config->entrypoint[0], "/bin/sh");
  check_str (img->config->entrypoint[2], "sh -c x");
  check_str (img->config->env[0], "A=b");
  check_str (img->config->working_dir, "/srv");
  check_str (img->config->label_keys[0], "version");
  check_str (img->config->exposed_ports[0], "80/tcp");
  check_str (img->config->os, "linux");
  struct utsname u;
  uname (&u);
  check_str (img->config->architecture, skiff_oci_goarch (u.machine));
  check_msg (img->created_ns >= before / 1000000000ULL * 1000000000ULL && img->created_ns <= realtime_ns (),
             "created %llu", (unsigned long long) img->created_ns);
  struct stat st;
  check (stat (tar, &st) == 0);
  check_int (img->size, ==, st.st_size);
  check (skiff_digest_valid (img->digest));
  const char *history = json_object_to_json_string (img->config->raw);
  check_contains (history, "imported from tarball");
  /* the ID is the sha256 of the config blob, and the manifest names both */
  char *cfg = NULL, *manifest = NULL;
  size_t len = 0, mlen = 0;
  skiff_error_t err = NULL;
  cleanup_free char *cdigest = xasprintf ("sha256:%s", id);
  check_ok (skiff_store_blob_get (store, cdigest, &cfg, &len, &err), &err);
  char hex[65];
  skiff_sha256_hex (cfg, len, hex);
  check_str (hex, id);
  check_ok (skiff_store_blob_get (store, img->digest, &manifest, &mlen, &err), &err);
  struct skiff_oci_manifest *m = NULL;
  check_ok (skiff_oci_manifest_parse (manifest, mlen, &m, &err), &err);
  check_str (m->config.digest, cdigest);
  check_int (m->n_layers, ==, 1);
  check_str (m->layers[0].digest, img->config->diff_ids[0]);
  skiff_oci_manifest_free (m);
  skiff_image_free (img);
}

USERNS_TEST (images, import_refuses_bad_input_before_extracting, false)
{
  setup ();
  cleanup_free char *tar = make_tar ("a", "hello");
  int fd = open (tar, O_RDONLY | O_CLOEXEC);
  skiff_error_t err = NULL;
  char *bad[] = { (char *) "ONBUILD RUN x", NULL };
  check_int (skiff_store_import (store, fd, "foo", bad, NULL, &err), <, 0);
  check_contains (err->msg, "unsupported instruction ONBUILD");
  skiff_error_release (&err);
  check_int (skiff_store_import (store, fd, "Foo", NULL, NULL, &err), <, 0);
  check_contains (err->msg, "invalid reference format");
  skiff_error_release (&err);
  close (fd);
  check_int (test_count_entries (root, "layers"), ==, 0);
  check_int (test_count_entries (root, "blobs/sha256"), ==, 0);
}

USERNS_TEST (images, lookup_by_name_id_and_prefix, false)
{
  setup ();
  cleanup_free char *tar = make_tar ("a", "hello");
  cleanup_free char *id = import (tar, "foo", NULL);
  static const char *const names[] = { "foo", "foo:latest", "localhost/foo", "localhost/foo:latest" };
  for (size_t i = 0; i < ARRAY_SIZE (names); i++)
    check_lookup_id (names[i], id);
  check_lookup_id (id, id);
  cleanup_free char *prefix = xstrndup (id, 12);
  check_lookup_id (prefix, id);
  cleanup_free char *sha = xasprintf ("sha256:%s", id);
  check_lookup_id (sha, id);
  cleanup_free char *shaprefix = xasprintf ("sha256:%.8s", id);
  check_lookup_id (shaprefix, id);
  cleanup_free char *three = xstrndup (id, 3);
  check_lookup_id (three, id);

  check_lookup_fails ("bar", ENOENT, "bar: image not known");
  check_lookup_fails ("foo:other", ENOENT, "foo:other: image not known");
  check_lookup_fails ("quay.io/foo", ENOENT, "image not known");
  cleanup_free char *two = xstrndup (id, 2);
  check_lookup_fails (two, ENOENT, "image not known");
  check_lookup_fails ("Foo", EINVAL, "invalid reference format");

  /* registry-qualified names are found by their short form */
  skiff_error_t err = NULL;
  check_ok (skiff_store_image_tag (store, "foo", "docker.io/library/busybox:1.36", &err), &err);
  check_lookup_id ("busybox:1.36", id);
  check_lookup_id ("docker.io/busybox:1.36", id);
  check_lookup_id ("library/busybox:1.36", id);
  check_lookup_fails ("busybox", ENOENT, "busybox: image not known");

  /* by manifest digest */
  struct skiff_image *img = lookup ("foo");
  cleanup_free char *bydigest = xasprintf ("localhost/foo@%s", img->digest);
  check_lookup_id (bydigest, id);
  skiff_image_free (img);

  /* an ID prefix two images share is ambiguous */
  char other[65];
  memcpy (other, id, 65);
  for (int i = 6; i < 64; i++)
    other[i] = id[i] == 'a' ? 'b' : 'a';
  cleanup_free char *fake = xasprintf ("%s/images/%s", root, other);
  check (mkdir (fake, 0700) == 0);
  cleanup_free char *six = xstrndup (id, 6);
  check_lookup_fails (six, EINVAL, "ambiguous");
  cleanup_free char *seven = xstrndup (id, 7);
  check_lookup_id (seven, id);
}

static bool
always_in_use (const char *image_id, void *data)
{
  (*(int *) data)++;
  return true;
}

static int
count_names (void)
{
  return test_count_entries (root, "images/by-name");
}

USERNS_TEST (images, remove_follows_podman, false)
{
  setup ();
  cleanup_free char *tar = make_tar ("a", "hello");
  cleanup_free char *id = import (tar, "a", NULL);
  skiff_error_t err = NULL;
  check_ok (skiff_store_image_tag (store, "a", "b", &err), &err);
  check_ok (skiff_store_image_tag (store, id, "quay.io/x/c:1", &err), &err);
  struct skiff_image *img = lookup ("b");
  check_int (strv_len (img->names), ==, 3);
  skiff_image_free (img);

  /* by a name while other names remain: untag only, even if a container uses it */
  char **untagged = NULL, **deleted = NULL;
  int calls = 0;
  check_ok (skiff_store_image_remove (store, "a", false, always_in_use, &calls, &untagged, &deleted, &err), &err);
  check_int (strv_len (untagged), ==, 1);
  check_str (untagged[0], "localhost/a:latest");
  check_int (strv_len (deleted), ==, 0);
  strv_free (untagged);
  strv_free (deleted);
  check_lookup_fails ("a", ENOENT, "image not known");
  check_lookup_id ("b", id);
  check_int (count_names (), ==, 2);

  /* by ID with several names: refused without force */
  check_int (skiff_store_image_remove (store, id, false, NULL, NULL, &untagged, &deleted, &err), <, 0);
  check_int (err->status, ==, EBUSY);
  check_contains (err->msg, "more than one tag ([");
  skiff_error_release (&err);

  check_ok (skiff_store_image_remove (store, "quay.io/x/c:1", false, NULL, NULL, NULL, NULL, &err), &err);
  /* the last name of an image a container uses: refused without force */
  check_int (skiff_store_image_remove (store, "b", false, always_in_use, &calls, &untagged, &deleted, &err), <, 0);
  check_int (err->status, ==, EBUSY);
  check_contains (err->msg, "image is in use by a container");
  skiff_error_release (&err);
  check_int (calls, ==, 1);
  check_lookup_id ("b", id);

  check_ok (skiff_store_image_remove (store, "b", true, always_in_use, &calls, &untagged, &deleted, &err), &err);
  check_int (strv_len (untagged), ==, 1);
  check_str (untagged[0], "localhost/b:latest");
  check_int (strv_len (deleted), ==, 1);
  check_str (deleted[0], id);
  strv_free (untagged);
  strv_free (deleted);
  check_lookup_fails (id, ENOENT, "image not known");
  check_int (count_names (), ==, 0);
  check_int (test_count_entries (root, "layers"), ==, 0);
  check_int (test_count_entries (root, "blobs/sha256"), ==, 0);
  check_int (test_count_entries (root, "images"), ==, 1);

  check_int (skiff_store_image_remove (store, "b", false, NULL, NULL, NULL, NULL, &err), <, 0);
  check_int (err->status, ==, ENOENT);
  check_contains (err->msg, "b: image not known");
  skiff_error_release (&err);
}

USERNS_TEST (images, layers_live_while_referenced, false)
{
  setup ();
  cleanup_free char *tar = make_tar ("a", "hello");
  free (import (tar, "x", NULL));
  free (import (tar, "y", NULL));
  skiff_error_t err = NULL;
  check_ok (skiff_store_image_remove (store, "x", false, NULL, NULL, NULL, NULL, &err), &err);
  check_int (test_count_entries (root, "layers"), ==, 1);

  /* a container keeps the layer of an image removed with --force */
  struct skiff_image *img = lookup ("y");
  check_ok (skiff_store_rootfs_create (store, img, "ctr", &err), &err);
  skiff_image_free (img);
  check_ok (skiff_store_image_remove (store, "y", true, NULL, NULL, NULL, NULL, &err), &err);
  check_int (test_count_entries (root, "layers"), ==, 1);
  check_ok (skiff_store_rootfs_delete (store, "ctr", &err), &err);
  check_int (test_count_entries (root, "layers"), ==, 0);
  check_int (test_count_entries (root, "containers"), ==, 0);
}

USERNS_TEST (images, tag_moves_a_name_and_list_orders_by_creation, false)
{
  setup ();
  cleanup_free char *ta = make_tar ("a", "A");
  cleanup_free char *tb = make_tar ("b", "B");
  cleanup_free char *a = import (ta, "one", NULL);
  cleanup_free char *b = import (tb, "two", NULL);
  skiff_error_t err = NULL;
  check_ok (skiff_store_image_tag (store, "two", "one", &err), &err);
  check_lookup_id ("one", b);
  struct skiff_image **list = NULL;
  size_t n = 0;
  check_ok (skiff_store_image_list (store, &list, &n, &err), &err);
  check_int (n, ==, 2);
  /* newest first */
  check_str (list[0]->id, b);
  check_int (strv_len (list[0]->names), ==, 2);
  check_str (list[1]->id, a);
  check_int (strv_len (list[1]->names), ==, 0);
  check (list[0]->config != NULL && list[0]->config->os != NULL);
  for (size_t i = 0; i < n; i++)
    skiff_image_free (list[i]);
  free (list);
  check_int (skiff_store_image_tag (store, "one", "bad name", &err), <, 0);
  check_contains (err->msg, "invalid reference format");
  skiff_error_release (&err);
  check_int (skiff_store_image_tag (store, "nothere", "x", &err), <, 0);
  check_contains (err->msg, "nothere: image not known");
  skiff_error_release (&err);
}

static void
make_leftovers (void)
{
  skiff_error_t err = NULL;
  static const char *const dirs[]
      = { "layers/.tmp-dead/diff/etc", "images/.tmp-dead", "containers/.tmp-dead/work/w", ".tmp-probe/merged" };
  for (size_t i = 0; i < ARRAY_SIZE (dirs); i++)
    {
      cleanup_free char *p = xasprintf ("%s/%s", root, dirs[i]);
      check_ok (mkdir_p (p, 0755, &err), &err);
    }
  cleanup_free char *f = xasprintf ("%s/layers/.tmp-dead/diff/etc/passwd", root);
  check_ok (write_file_atomic (f, "x", 1, 0644, &err), &err);
  cleanup_free char *locked = xasprintf ("%s/containers/.tmp-dead/work/w", root);
  check (chmod (locked, 0) == 0);
  cleanup_free char *blob = xasprintf ("%s/blobs/sha256/%s.tmp-123", root, "0123");
  check_ok (write_file_atomic (blob, "x", 1, 0644, &err), &err);
  cleanup_free char *link = xasprintf ("%s/images/by-name/.tmp-abc", root);
  check (symlink ("../nothing", link) == 0);
}

static int
leftovers (void)
{
  int n = 0;
  static const char *const paths[] = { "layers/.tmp-dead", "images/.tmp-dead",          "containers/.tmp-dead",
                                       ".tmp-probe",       "blobs/sha256/0123.tmp-123", "images/by-name/.tmp-abc" };
  for (size_t i = 0; i < ARRAY_SIZE (paths); i++)
    n += test_exists (root, paths[i]);
  return n;
}

USERNS_TEST (images, crash_leftovers_are_removed_on_open, false)
{
  setup ();
  cleanup_free char *tar = make_tar ("a", "hello");
  cleanup_free char *id = import (tar, "keep", NULL);
  skiff_store_free (store);
  make_leftovers ();
  check_int (leftovers (), ==, 6);

  /* someone holds the lock: the temporaries may be theirs, so they stay */
  cleanup_free char *lockpath = xasprintf ("%s/storage.lock", root);
  int lfd = open (lockpath, O_RDWR | O_CLOEXEC);
  check (lfd >= 0 && flock (lfd, LOCK_EX) == 0);
  store = test_store_open (dir, "vfs");
  check_int (leftovers (), ==, 6);
  skiff_store_free (store);
  close (lfd);

  store = test_store_open (dir, "vfs");
  check_int (leftovers (), ==, 0);
  check_lookup_id ("keep", id);
  check_int (test_count_entries (root, "layers"), ==, 1);
}

USERNS_TEST (images, reset_removes_everything, false)
{
  setup ();
  cleanup_free char *tar = make_tar ("a", "hello");
  free (import (tar, "keep", NULL));
  struct skiff_image *img = lookup ("keep");
  skiff_error_t err = NULL;
  check_ok (skiff_store_rootfs_create (store, img, "c1", &err), &err);
  skiff_image_free (img);
  cleanup_free char *runfile = xasprintf ("%s/run/something", dir);
  check_ok (write_file_atomic (runfile, "x", 1, 0644, &err), &err);
  check_ok (skiff_store_reset (store, &err), &err);
  check_lookup_fails ("keep", ENOENT, "image not known");
  check_int (test_count_entries (root, "layers"), ==, 0);
  check_int (test_count_entries (root, "containers"), ==, 0);
  check_int (test_count_entries (root, "blobs/sha256"), ==, 0);
  check_int (test_count_entries (dir, "run"), ==, 0);
  /* usable afterwards */
  cleanup_free char *again = import (tar, "again", NULL);
  check_lookup_id ("again", again);
}
