/* skiff save and load: round trips in both formats, pipes, podman's archives, corrupt input. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../harness.h"

#define PODMAN_IMAGE "localhost/skiff-test-tiny2:latest"
#define PODMAN_IMAGE_ID "03793574654e6e77696ca9cecffafd136c5d5635a44eb33185d6fc93b1885bf3"

static char *
data_path (const char *name)
{
  const char *src = getenv ("SKIFF_SRCDIR");
  cr_assert_not_null (src, "SKIFF_SRCDIR is not set");
  char *p = NULL;
  cr_assert_geq (asprintf (&p, "%s/tests/data/saveload/%s", src, name), 0);
  return p;
}

static char *
tmp_path (const char *name)
{
  char *p = NULL;
  cr_assert_geq (asprintf (&p, "%s/%s", it_dir (), name), 0);
  return p;
}

static char *
slurp (const char *path, size_t *len)
{
  FILE *f = fopen (path, "rb");
  cr_assert_not_null (f, "cannot open %s", path);
  fseek (f, 0, SEEK_END);
  long n = ftell (f);
  fseek (f, 0, SEEK_SET);
  char *buf = malloc ((size_t) n + 1);
  cr_assert_eq (fread (buf, 1, (size_t) n, f), (size_t) n);
  fclose (f);
  buf[n] = '\0';
  *len = (size_t) n;
  return buf;
}

/* A private store (NAME-root, NAME-run: the harness resets those at the end), so that the shared busybox,
 * which other tests' containers use, is never removed. */
struct store
{
  char root[600], run[600];
};

static struct store
private_store (const char *name)
{
  struct store st;
  snprintf (st.root, sizeof st.root, "%s/%s-root", it_dir (), name);
  snprintf (st.run, sizeof st.run, "%s/%s-run", it_dir (), name);
  return st;
}

#define SKIFF_AT(st, ...) it_skiff_in ((st)->root, (st)->run, NULL, NULL, (const char *const[]){ __VA_ARGS__, NULL })

static char *
image_id (const struct store *st, const char *ref)
{
  struct it_result r
      = st ? SKIFF_AT (st, "images", "-q", "--no-trunc", ref) : SKIFF ("images", "-q", "--no-trunc", ref);
  assert_ok (r);
  /* podman's full ID: "sha256:" and the hex */
  cr_assert (strncmp (r.out, "sha256:", 7) == 0, "%s", r.out);
  char *id = strndup (r.out + 7, strcspn (r.out + 7, "\n"));
  it_result_free (&r);
  return id;
}

/* save, load into an empty store, run, and save again: the second archive is the first, byte for byte */
static void
round_trip (const char *format, const char *name)
{
  char *a1 = tmp_path ("rt1.tar"), *a2 = tmp_path ("rt2.tar");
  struct it_result r = SKIFF ("save", "--format", format, "-o", a1, "busybox");
  assert_ok (r);
  cr_assert_str_eq (r.out, "");
  cr_assert (strstr (r.err, "Writing manifest to image destination") != NULL, "%s", r.err);
  it_result_free (&r);

  struct store st = private_store (name);
  r = SKIFF_AT (&st, "load", "-i", a1);
  assert_ok (r);
  cr_assert_str_eq (r.out, "Loaded image: localhost/busybox:latest\n");
  it_result_free (&r);
  char *id = image_id (&st, "busybox");
  cr_assert_eq (strlen (id), 64, "%s", id);

  /* owners survive the trip (the image has a file of www-data's) */
  r = SKIFF_AT (&st, "run", "--rm", "busybox", "sh", "-c", "echo loaded; stat -c %u /srv/www/index.html");
  assert_ok (r);
  cr_assert_str_eq (r.out, "loaded\n33\n");
  it_result_free (&r);

  r = SKIFF_AT (&st, "save", "-q", "--format", format, "-o", a2, "busybox");
  assert_ok (r);
  cr_assert_str_eq (r.err, "");
  it_result_free (&r);
  size_t l1, l2;
  char *d1 = slurp (a1, &l1), *d2 = slurp (a2, &l2);
  cr_assert (l1 == l2 && memcmp (d1, d2, l1) == 0, "saving a loaded image changed the archive");

  /* the same layers and config, so the same image: loading it again changes nothing */
  r = SKIFF_AT (&st, "rmi", "busybox");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF_AT (&st, "load", "-q", "-i", a2);
  assert_ok (r);
  it_result_free (&r);
  char *id2 = image_id (&st, "busybox");
  cr_assert_str_eq (id, id2);
  r = SKIFF_AT (&st, "run", "--rm", "busybox", "true");
  assert_ok (r);
  it_result_free (&r);
  free (d1);
  free (d2);
  free (id);
  free (id2);
  unlink (a1);
  unlink (a2);
  free (a1);
  free (a2);
}

Test (saveload, docker_archive_round_trip) { round_trip ("docker-archive", "rt-docker"); }

Test (saveload, oci_archive_round_trip)
{
  round_trip ("oci-archive", "rt-oci");
  char *a = tmp_path ("layout.tar");
  struct it_result r = SKIFF ("save", "--format=oci-archive", "-o", a, "busybox");
  assert_ok (r);
  it_result_free (&r);
  size_t len;
  char *d = slurp (a, &len);
  cr_assert (memmem (d, len, "oci-layout", 10) && memmem (d, len, "org.opencontainers.image.ref.name", 33),
             "not an OCI layout");
  free (d);
  unlink (a);
  free (a);
}

Test (saveload, default_format_is_docker_archive)
{
  char *a = tmp_path ("default.tar");
  struct it_result r = SKIFF ("save", "-o", a, "busybox");
  assert_ok (r);
  it_result_free (&r);
  size_t len;
  char *d = slurp (a, &len);
  cr_assert (memmem (d, len, "manifest.json", 13) && memmem (d, len, "\"RepoTags\":[\"localhost/busybox:latest\"]", 39),
             "not a docker-archive");
  free (d);
  unlink (a);
  free (a);
}

/* save to a pipe and load from one */
Test (saveload, save_to_stdout_load_from_stdin)
{
  const char *bin = getenv ("SKIFF_BINARY");
  cr_assert_not_null (bin);
  char *cmd = NULL;
  cr_assert_geq (asprintf (&cmd,
                           "'%s' --root='%s/root' --runroot='%s/run' save busybox | '%s' --root='%s/pipe-root' "
                           "--runroot='%s/pipe-run' load > '%s/pipe.out' 2>&1",
                           bin, it_dir (), it_dir (), bin, it_dir (), it_dir (), it_dir ()),
                 0);
  int status = system (cmd);
  char *out = tmp_path ("pipe.out");
  size_t len;
  char *o = slurp (out, &len);
  cr_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0, "exit %d: %s", status, o);
  cr_assert (strstr (o, "Loaded image: localhost/busybox:latest\n") != NULL, "%s", o);
  struct store st = private_store ("pipe");
  struct it_result r = SKIFF_AT (&st, "run", "--rm", "busybox", "echo", "piped");
  assert_ok (r);
  cr_assert_str_eq (r.out, "piped\n");
  it_result_free (&r);
  free (o);
  free (out);
  free (cmd);
}

static void
load_podman (const char *file)
{
  char *p = data_path (file);
  struct it_result r = SKIFF ("load", "-i", p);
  assert_ok (r);
  cr_assert_str_eq (r.out, "Loaded image: " PODMAN_IMAGE "\n");
  cr_assert (strstr (r.err, "Copying blob") != NULL, "%s", r.err);
  it_result_free (&r);
  char *id = image_id (NULL, PODMAN_IMAGE);
  cr_assert_str_eq (id, PODMAN_IMAGE_ID);
  /* a static program that prints one line, and a symlink to it */
  r = SKIFF ("run", "--rm", PODMAN_IMAGE);
  assert_ok (r);
  cr_assert_str_eq (r.out, "hello from a podman archive\n");
  it_result_free (&r);
  r = SKIFF ("run", "--rm", PODMAN_IMAGE, "/bin/hi");
  assert_ok (r);
  cr_assert_str_eq (r.out, "hello from a podman archive\n");
  it_result_free (&r);
  r = SKIFF ("rmi", PODMAN_IMAGE);
  assert_ok (r);
  it_result_free (&r);
  free (id);
  free (p);
}

Test (saveload, loads_podman_docker_archive) { load_podman ("podman-docker-archive.tar"); }

Test (saveload, loads_podman_oci_archive) { load_podman ("podman-oci-archive.tar"); }

Test (saveload, loads_compressed_archive) { load_podman ("podman-docker-archive.tar.gz"); }

static void
expect_refused (const char *path, const char *msg)
{
  struct it_result r = SKIFF ("load", "-i", path);
  assert_exit (r, 125);
  cr_assert (strstr (r.err, msg) != NULL, "expected `%s` in: %s", msg, r.err);
  cr_assert_str_eq (r.out, "");
  it_result_free (&r);
  r = SKIFF ("images", "-q", PODMAN_IMAGE);
  cr_assert_str_eq (r.out, "", "a refused archive left an image");
  it_result_free (&r);
}

Test (saveload, refuses_corrupt_archives)
{
  char *junk = tmp_path ("junk.tar");
  FILE *f = fopen (junk, "w");
  fputs ("not a tar archive\n", f);
  fclose (f);
  expect_refused (junk, "payload does not match any of the supported image formats: not a tar");

  /* a layer's content no longer matches the config's diff ID */
  char *orig = data_path ("podman-docker-archive.tar");
  size_t len;
  char *d = slurp (orig, &len);
  char *hit = memmem (d, len, "layer two", 9);
  cr_assert_not_null (hit);
  hit[0] = 'L';
  char *bad = tmp_path ("bad.tar");
  f = fopen (bad, "w");
  fwrite (d, 1, len, f);
  fclose (f);
  expect_refused (bad, "digest mismatch");

  /* truncated in the middle */
  f = fopen (bad, "w");
  fwrite (d, 1, len / 2, f);
  fclose (f);
  expect_refused (bad, "Error:");

  struct it_result r = SKIFF ("load", "-i", "/nonexistent/archive.tar");
  assert_exit (r, 125);
  it_result_free (&r);
  unlink (junk);
  unlink (bad);
  free (junk);
  free (bad);
  free (orig);
  free (d);
}

/* issue #9: a 10 kB GNU-sparse tar made load write 770 MB into the temporary directory before it failed.
 * Here skiff may write at most 16 MiB a file (RLIMIT_FSIZE; past it a write fails, or SIGXFSZ kills): the
 * archive's index is read first, unreferenced members are never extracted, referenced sparse ones refused. */
Test (saveload, sparse_archives_write_nothing)
{
  char *tmp = tmp_path ("sparse-tmp");
  cr_assert_eq (mkdir (tmp, 0700), 0);
  char *env = NULL;
  cr_assert_geq (asprintf (&env, "TMPDIR=%s", tmp), 0);
  char *orig = data_path ("podman-docker-archive.tar");
  /* GNU tar's own sparse format (type 'S' headers): 4 kB of data at the start of a 1 GiB file */
  it_sh ("cd '%s' && head -c 4096 /dev/urandom > holes && truncate -s 1G holes"
         " && tar --sparse --format=gnu -cf sparse.tar holes"
         " && cp '%s' with-holes.tar && chmod u+w with-holes.tar && tar --sparse --format=gnu -rf with-holes.tar holes"
         " && rm holes",
         it_dir (), orig);
  char *sparse = tmp_path ("sparse.tar"), *with_holes = tmp_path ("with-holes.tar");
  struct stat st;
  cr_assert (stat (sparse, &st) == 0 && st.st_size < 64 * 1024, "the sparse tar should be small");
  struct rlimit rl, saved;
  cr_assert_eq (getrlimit (RLIMIT_FSIZE, &saved), 0);
  rl = saved;
  rl.rlim_cur = 16 << 20; /* the soft limit only: the test puts it back */
  cr_assert_eq (setrlimit (RLIMIT_FSIZE, &rl), 0);

  struct it_result r = SKIFF_ENV (env, "load", "-i", sparse);
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "neither manifest.json") != NULL, "%s", r.err);
  it_result_free (&r);
  DIR *d = opendir (tmp);
  int left = 0;
  for (struct dirent *de; (de = readdir (d)) != NULL;)
    left += de->d_name[0] != '.';
  closedir (d);
  cr_assert_eq (left, 0, "load left files in TMPDIR");

  /* the same member next to a real image: never extracted, the image loads */
  r = SKIFF_ENV (env, "load", "-i", with_holes);
  assert_ok (r);
  cr_assert_str_eq (r.out, "Loaded image: " PODMAN_IMAGE "\n");
  it_result_free (&r);
  r = SKIFF ("rmi", PODMAN_IMAGE);
  assert_ok (r);
  it_result_free (&r);
  setrlimit (RLIMIT_FSIZE, &saved);
  unlink (sparse);
  unlink (with_holes);
  rmdir (tmp);
  free (sparse);
  free (with_holes);
  free (orig);
  free (env);
  free (tmp);
}

Test (saveload, save_errors)
{
  char *a = tmp_path ("nothing.tar");
  struct it_result r = SKIFF ("save", "-o", a, "no-such-image");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "image not known") != NULL, "%s", r.err);
  cr_assert (access (a, F_OK) != 0, "a failed save left %s", a);
  it_result_free (&r);
  r = SKIFF ("save", "-o", a);
  assert_exit (r, 125);
  it_result_free (&r);
  r = SKIFF ("save", "--format", "zip", "-o", a, "busybox");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "oci-archive") != NULL, "%s", r.err);
  cr_assert (access (a, F_OK) != 0);
  it_result_free (&r);
  free (a);
}
