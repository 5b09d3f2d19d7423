/* Shared by the storage unit tests: entering a user namespace, building tar archives, small fs checks. */
#ifndef SKIFF_TEST_STORAGE_HELPERS_H
#define SKIFF_TEST_STORAGE_HELPERS_H

#include <archive.h>
#include <archive_entry.h>
#include <stdbool.h>

#include "storage/store_internal.h"

/* Criterion's workers have threads, and unshare(CLONE_NEWUSER) needs a single-threaded process: tests that
 * need a user namespace run their body in a forked child, where Criterion's assertions cannot report.
 * There the check* macros report through a pipe to the parent, which fails (or skips) the test. */
void test_in_userns (bool wide, void (*body) (void));
/* A fresh directory for the body, created before and removed after it (from a namespace like its own). */
extern char *test_dir;
#define USERNS_TEST(suite, name, wide)                                 \
  static void suite##_##name##_body (void);                            \
  Test (suite, name) { test_in_userns (wide, suite##_##name##_body); } \
  static void suite##_##name##_body (void)

void test_check_failed (const char *file, int line, const char *expr, const char *fmt, ...)
    __attribute__ ((noreturn, format (printf, 4, 5)));
void test_skip (const char *fmt, ...) __attribute__ ((noreturn, format (printf, 1, 2)));
#define check(cond)                                                 \
  do                                                                \
    if (!(cond))                                                    \
      test_check_failed (__FILE__, __LINE__, #cond, "%s", "false"); \
  while (0)
#define check_msg(cond, ...)                                      \
  do                                                              \
    if (!(cond))                                                  \
      test_check_failed (__FILE__, __LINE__, #cond, __VA_ARGS__); \
  while (0)
#define check_int(a, op, b)                                                                \
  do                                                                                       \
    {                                                                                      \
      long long a_ = (long long) (a), b_ = (long long) (b);                                \
      if (!(a_ op b_))                                                                     \
        test_check_failed (__FILE__, __LINE__, #a " " #op " " #b, "%lld vs %lld", a_, b_); \
    }                                                                                      \
  while (0)
#define check_str(a, b)                                                                                               \
  do                                                                                                                  \
    {                                                                                                                 \
      const char *a_ = (a), *b_ = (b);                                                                                \
      if (a_ == NULL || b_ == NULL || strcmp (a_, b_) != 0)                                                           \
        test_check_failed (__FILE__, __LINE__, #a " == " #b, "`%s` vs `%s`", a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
    }                                                                                                                 \
  while (0)
#define check_contains(hay, needle)                                                                                   \
  do                                                                                                                  \
    {                                                                                                                 \
      const char *h_ = (hay), *n_ = (needle);                                                                         \
      if (h_ == NULL || strstr (h_, n_) == NULL)                                                                      \
        test_check_failed (__FILE__, __LINE__, #hay " contains " #needle, "`%s` lacks `%s`", h_ ? h_ : "(null)", n_); \
    }                                                                                                                 \
  while (0)
/* expr returns < 0 with err set on failure */
#define check_ok(expr, errp)                                                                                  \
  do                                                                                                          \
    {                                                                                                         \
      if ((expr) < 0)                                                                                         \
        test_check_failed (__FILE__, __LINE__, #expr, "%s", *(errp) ? (*(errp))->msg : "(no error message)"); \
    }                                                                                                         \
  while (0)

/* Enter a new user + mount namespace as root (only from a body run by test_in_userns). wide=false: the
 * single-ID mapping "0 <uid> 1" (works for everyone); wide=true: 65536 IDs (as root directly, else through
 * newuidmap and the subordinate ranges); the wide mapping skips the test where it is impossible. */
void test_enter_userns (bool wide);

/* A fresh directory under /tmp (removed by test_cleanup_dir). */
char *test_tmpdir (void);
void test_cleanup_dir (char *dir);

/* Tar building on top of libarchive's writer (pax format, optional gzip). */
struct test_tar;
struct test_tar *test_tar_new (const char *path, bool gzip);
void test_tar_dir (struct test_tar *t, const char *name, mode_t mode, uid_t uid, gid_t gid);
void test_tar_file (struct test_tar *t, const char *name, const char *content, mode_t mode, uid_t uid, gid_t gid);
void test_tar_file_xattr (struct test_tar *t, const char *name, const char *content, const char *xname,
                          const char *xvalue);
void test_tar_zero_file (struct test_tar *t, const char *name, int64_t size);
void test_tar_symlink (struct test_tar *t, const char *name, const char *target);
void test_tar_hardlink (struct test_tar *t, const char *name, const char *target);
void test_tar_chardev (struct test_tar *t, const char *name, unsigned major, unsigned minor);
void test_tar_set_mtime (struct test_tar *t, time_t mtime); /* for the following entries */
/* Finish and return an fd reading the archive from the start. */
int test_tar_close (struct test_tar *t);

/* Store on a fresh root (root/storage, root/run) with the given driver (NULL: automatic). */
struct skiff_store *test_store_open (const char *dir, const char *driver);

/* Read a whole file under dir, NULL when absent. */
char *test_read (const char *dir, const char *rel);
bool test_exists (const char *dir, const char *rel);
/* Entries of dir/sub, temporaries included; -1 when dir/sub is missing. */
int test_count_entries (const char *dir, const char *sub);

/* Apply each tar as a layer (base first) and record an image named name from a config and manifest built
 * here; returns the image ID. */
char *test_make_image (struct skiff_store *s, const char *name, char *const *tars);

#endif
