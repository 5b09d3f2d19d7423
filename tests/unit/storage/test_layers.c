/* storage: layers applied in parallel. Extraction runs without the store lock, publication is a rename under
 * it, the same layer applied twice at once is stored once, and the crash cleanup keeps a temporary directory
 * whose writer is alive (holds its flock). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/stat.h>

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
make_tar (const char *name, const char *content, int64_t zeros)
{
  char *path = xasprintf ("%s/%s.tar", dir, name);
  struct test_tar *t = test_tar_new (path, false);
  test_tar_dir (t, "etc", 0755, 0, 0);
  test_tar_file (t, "etc/content", content, 0644, 0, 0);
  if (zeros)
    test_tar_zero_file (t, "etc/big", zeros);
  close (test_tar_close (t));
  return path;
}

/* "sha256:<hex>" of a file */
static char *
file_digest (const char *path)
{
  cleanup_free char *data = NULL;
  size_t len = 0;
  skiff_error_t err = NULL;
  check_ok (read_file_at (AT_FDCWD, path, &data, &len, &err), &err);
  char hex[SKIFF_DIGEST_HEX_LEN + 1];
  skiff_sha256_hex (data, len, hex);
  return xasprintf ("sha256:%s", hex);
}

struct apply_job
{
  int fd;
  const char *expected;
  int ret;
  char *diff_id;
  char *msg;
};

static void *
apply_thread (void *p)
{
  struct apply_job *j = p;
  skiff_error_t err = NULL;
  j->ret = skiff_store_layer_apply (store, j->fd, j->expected, &j->diff_id, &err);
  if (err)
    j->msg = xstrdup (err->msg);
  skiff_error_release (&err);
  return NULL;
}

static int
count_temporaries (void)
{
  cleanup_free char *layers = xasprintf ("%s/layers", root);
  DIR *d = opendir (layers);
  check (d != NULL);
  int n = 0;
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    n += strncmp (de->d_name, ".tmp-", 5) == 0;
  closedir (d);
  return n;
}

USERNS_TEST (layers, parallel_applies_store_each_layer_once, false)
{
  setup ();
  cleanup_free char *a = make_tar ("a", "alpha", 4 << 20);
  cleanup_free char *b = make_tar ("b", "beta", 4 << 20);
  cleanup_free char *c = make_tar ("c", "gamma", 0);
  const char *tars[] = { a, a, a, b, c };
  cleanup_free char *da = file_digest (a), *db = file_digest (b), *dc = file_digest (c);
  const char *want[] = { da, da, da, db, dc };
  struct apply_job jobs[ARRAY_SIZE (tars)];
  pthread_t th[ARRAY_SIZE (tars)];
  for (size_t i = 0; i < ARRAY_SIZE (tars); i++)
    {
      jobs[i] = (struct apply_job){ .fd = open (tars[i], O_RDONLY | O_CLOEXEC), .expected = want[i] };
      check (jobs[i].fd >= 0);
      check (pthread_create (&th[i], NULL, apply_thread, &jobs[i]) == 0);
    }
  for (size_t i = 0; i < ARRAY_SIZE (tars); i++)
    {
      pthread_join (th[i], NULL);
      close (jobs[i].fd);
      check_msg (jobs[i].ret == 0, "apply %zu: %s", i, jobs[i].msg);
      check_str (jobs[i].diff_id, want[i]);
      free (jobs[i].diff_id);
    }
  check_int (test_count_entries (root, "layers"), ==, 3);
  check_int (count_temporaries (), ==, 0);
  for (size_t i = 0; i < 3; i++)
    check (skiff_store_layer_exists (store, want[i + 2]));
  cleanup_free char *content = xasprintf ("layers/%s/diff/etc/content", skiff_digest_hex (db));
  cleanup_free char *got = test_read (root, content);
  check_str (got, "beta");
}

USERNS_TEST (layers, extraction_runs_without_the_store_lock, false)
{
  setup ();
  cleanup_free char *a = make_tar ("a", "alpha", 2 << 20);
  cleanup_free char *data = NULL;
  size_t len = 0;
  skiff_error_t err = NULL;
  check_ok (read_file_at (AT_FDCWD, a, &data, &len, &err), &err);
  cleanup_free char *da = file_digest (a);
  int p[2];
  check (pipe2 (p, O_CLOEXEC) == 0);
  struct apply_job job = { .fd = p[0], .expected = da };
  pthread_t th;
  check (pthread_create (&th, NULL, apply_thread, &job) == 0);
  size_t half = len / 2;
  check (write (p[1], data, half) == (ssize_t) half);
  /* the writer is half way: a temporary directory exists, nothing is published, the store is not locked */
  for (int i = 0; i < 200 && count_temporaries () == 0; i++)
    usleep (10000);
  check_int (count_temporaries (), ==, 1);
  check (!skiff_store_layer_exists (store, da));
  cleanup_free char *lockpath = xasprintf ("%s/storage.lock", root);
  int lfd = open (lockpath, O_RDWR | O_CLOEXEC);
  check (lfd >= 0);
  check_msg (flock (lfd, LOCK_EX | LOCK_NB) == 0, "the store lock is held during extraction");
  /* another process opening the store now (and cleaning up) keeps the live temporary */
  struct skiff_store *other = test_store_open (dir, "vfs");
  check_int (count_temporaries (), ==, 1);
  skiff_store_free (other);
  flock (lfd, LOCK_UN);
  close (lfd);
  check (write (p[1], data + half, len - half) == (ssize_t) (len - half));
  close (p[1]);
  pthread_join (th, NULL);
  close (p[0]);
  check_msg (job.ret == 0, "apply: %s", job.msg);
  check (skiff_store_layer_exists (store, da));
  check_int (count_temporaries (), ==, 0);
  free (job.diff_id);
}

USERNS_TEST (layers, a_truncated_layer_never_appears, false)
{
  setup ();
  cleanup_free char *a = make_tar ("a", "alpha", 1 << 20);
  cleanup_free char *data = NULL;
  size_t len = 0;
  skiff_error_t err = NULL;
  check_ok (read_file_at (AT_FDCWD, a, &data, &len, &err), &err);
  cleanup_free char *da = file_digest (a);
  cleanup_free char *cut = xasprintf ("%s/cut.tar", dir);
  check_ok (write_file_at (AT_FDCWD, cut, data, len - 1024, 0600, &err), &err);
  int fd = open (cut, O_RDONLY | O_CLOEXEC);
  check (fd >= 0);
  check_int (skiff_store_layer_apply (store, fd, da, NULL, &err), <, 0);
  close (fd);
  skiff_error_release (&err);
  check (!skiff_store_layer_exists (store, da));
  check_int (count_temporaries (), ==, 0);
  check_int (test_count_entries (root, "layers"), ==, 0);
}

USERNS_TEST (layers, open_keeps_a_locked_temporary_and_removes_a_dead_one, false)
{
  setup ();
  skiff_store_free (store);
  skiff_error_t err = NULL;
  cleanup_free char *live = xasprintf ("%s/layers/.tmp-live/diff", root);
  cleanup_free char *dead = xasprintf ("%s/layers/.tmp-dead/diff", root);
  check_ok (mkdir_p (live, 0755, &err), &err);
  check_ok (mkdir_p (dead, 0755, &err), &err);
  cleanup_free char *livedir = xasprintf ("%s/layers/.tmp-live", root);
  int lfd = open (livedir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  check (lfd >= 0 && flock (lfd, LOCK_EX) == 0);
  store = test_store_open (dir, "vfs");
  check (test_exists (root, "layers/.tmp-live/diff"));
  check (!test_exists (root, "layers/.tmp-dead"));
  skiff_store_free (store);
  close (lfd); /* the writer died */
  store = test_store_open (dir, "vfs");
  check (!test_exists (root, "layers/.tmp-live"));
}
