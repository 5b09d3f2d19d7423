/* libarchive, loaded on first use. libarchive pulls in libxml2, ICU and libstdc++, which cost about 4 ms of
 * dynamic linking at every start; only import, pull and load read archives, so skiff does not link it and
 * these definitions forward to the library opened with dlopen(3) the first time one is called. */
#include <archive.h>
#include <archive_entry.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/util.h"

#define LIBARCHIVE_SONAME "libarchive.so.13"

/* X(return type, name, parameters, arguments) */
#define ARCHIVE_FUNCTIONS                                                                                           \
  X (time_t, archive_entry_atime, (struct archive_entry * e), (e))                                                  \
  X (int, archive_entry_atime_is_set, (struct archive_entry * e), (e))                                              \
  X (long, archive_entry_atime_nsec, (struct archive_entry * e), (e))                                               \
  X (__LA_MODE_T, archive_entry_filetype, (struct archive_entry * e), (e))                                          \
  X (la_int64_t, archive_entry_gid, (struct archive_entry * e), (e))                                                \
  X (const char *, archive_entry_hardlink, (struct archive_entry * e), (e))                                         \
  X (time_t, archive_entry_mtime, (struct archive_entry * e), (e))                                                  \
  X (long, archive_entry_mtime_nsec, (struct archive_entry * e), (e))                                               \
  X (int, archive_entry_mtime_is_set, (struct archive_entry * e), (e))                                              \
  X (const char *, archive_entry_pathname, (struct archive_entry * e), (e))                                         \
  X (__LA_MODE_T, archive_entry_perm, (struct archive_entry * e), (e))                                              \
  X (__LA_MODE_T, archive_entry_mode, (struct archive_entry * e), (e))                                              \
  X (dev_t, archive_entry_rdevmajor, (struct archive_entry * e), (e))                                               \
  X (dev_t, archive_entry_rdevminor, (struct archive_entry * e), (e))                                               \
  X (la_int64_t, archive_entry_size, (struct archive_entry * e), (e))                                               \
  X (int, archive_entry_size_is_set, (struct archive_entry * e), (e))                                               \
  X (int, archive_entry_sparse_count, (struct archive_entry * e), (e))                                              \
  X (const char *, archive_entry_symlink, (struct archive_entry * e), (e))                                          \
  X (la_int64_t, archive_entry_uid, (struct archive_entry * e), (e))                                                \
  X (int, archive_entry_xattr_next, (struct archive_entry * e, const char **n, const void **v, size_t *s),          \
     (e, n, v, s))                                                                                                  \
  X (int, archive_entry_xattr_reset, (struct archive_entry * e), (e))                                               \
  X (int, archive_entry_xattr_count, (struct archive_entry * e), (e))                                               \
  X (int, archive_errno, (struct archive * a), (a))                                                                 \
  X (const char *, archive_error_string, (struct archive * a), (a))                                                 \
  X (int, archive_format, (struct archive * a), (a))                                                                \
  X (int, archive_filter_code, (struct archive * a, int n), (a, n))                                                 \
  X (la_int64_t, archive_filter_bytes, (struct archive * a, int n), (a, n))                                         \
  X (la_ssize_t, archive_read_data, (struct archive * a, void *b, size_t n), (a, b, n))                             \
  X (int, archive_read_data_block, (struct archive * a, const void **b, size_t *s, la_int64_t *o), (a, b, s, o))    \
  X (int, archive_read_data_skip, (struct archive * a), (a))                                                        \
  X (int, archive_read_free, (struct archive * a), (a))                                                             \
  X (int, archive_read_close, (struct archive * a), (a))                                                            \
  X (int, archive_read_next_header, (struct archive * a, struct archive_entry * *e), (a, e))                        \
  X (int, archive_read_open,                                                                                        \
     (struct archive * a, void *d, archive_open_callback *o, archive_read_callback *r, archive_close_callback *c),  \
     (a, d, o, r, c))                                                                                               \
  X (int, archive_read_open_fd, (struct archive * a, int fd, size_t bs), (a, fd, bs))                               \
  X (int, archive_read_support_filter_all, (struct archive * a), (a))                                               \
  X (int, archive_read_support_filter_bzip2, (struct archive * a), (a))                                             \
  X (int, archive_read_support_filter_gzip, (struct archive * a), (a))                                              \
  X (int, archive_read_support_filter_lzma, (struct archive * a), (a))                                              \
  X (int, archive_read_support_filter_xz, (struct archive * a), (a))                                                \
  X (int, archive_read_support_filter_zstd, (struct archive * a), (a))                                              \
  X (int, archive_read_support_filter_none, (struct archive * a), (a))                                              \
  X (int, archive_read_support_format_raw, (struct archive * a), (a))                                               \
  X (int, archive_read_support_format_tar, (struct archive * a), (a))                                               \
  X (int, archive_read_support_format_gnutar, (struct archive * a), (a))                                            \
  /* writing (save) */                                                                                              \
  X (int, archive_write_set_format_pax_restricted, (struct archive * a), (a))                                       \
  X (int, archive_write_set_bytes_in_last_block, (struct archive * a, int n), (a, n))                               \
  X (int, archive_write_open,                                                                                       \
     (struct archive * a, void *d, archive_open_callback *o, archive_write_callback *w, archive_close_callback *c), \
     (a, d, o, w, c))                                                                                               \
  X (int, archive_write_header, (struct archive * a, struct archive_entry * e), (a, e))                             \
  X (la_ssize_t, archive_write_data, (struct archive * a, const void *b, size_t n), (a, b, n))                      \
  X (int, archive_write_finish_entry, (struct archive * a), (a))                                                    \
  X (int, archive_write_close, (struct archive * a), (a))                                                           \
  X (int, archive_write_free, (struct archive * a), (a))                                                            \
  X (void, archive_entry_free, (struct archive_entry * e), (e))                                                     \
  X (struct archive_entry *, archive_entry_clear, (struct archive_entry * e), (e))                                  \
  X (void, archive_entry_set_pathname, (struct archive_entry * e, const char *p), (e, p))                           \
  X (void, archive_entry_set_filetype, (struct archive_entry * e, unsigned int t), (e, t))                          \
  X (void, archive_entry_set_perm, (struct archive_entry * e, __LA_MODE_T m), (e, m))                               \
  X (void, archive_entry_set_uid, (struct archive_entry * e, la_int64_t u), (e, u))                                 \
  X (void, archive_entry_set_gid, (struct archive_entry * e, la_int64_t g), (e, g))                                 \
  X (void, archive_entry_set_size, (struct archive_entry * e, la_int64_t s), (e, s))                                \
  X (void, archive_entry_set_mtime, (struct archive_entry * e, time_t t, long ns), (e, t, ns))                      \
  X (void, archive_entry_set_symlink, (struct archive_entry * e, const char *t), (e, t))                            \
  X (void, archive_entry_set_hardlink, (struct archive_entry * e, const char *t), (e, t))                           \
  X (void, archive_entry_set_rdevmajor, (struct archive_entry * e, dev_t d), (e, d))                                \
  X (void, archive_entry_set_rdevminor, (struct archive_entry * e, dev_t d), (e, d))                                \
  X (void, archive_entry_xattr_add_entry, (struct archive_entry * e, const char *n, const void *v, size_t s),       \
     (e, n, v, s))

static struct
{
#define X(ret, name, params, args) ret (*name) params;
  ARCHIVE_FUNCTIONS
#undef X
  struct archive *(*archive_read_new) (void);
  struct archive *(*archive_write_new) (void);
  struct archive_entry *(*archive_entry_new) (void);
  void (*archive_set_error) (struct archive *, int, const char *, ...);
  void *handle;
} lib;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[256];

/* All or nothing: a library that lacks one function is not used at all, so that every wrapper below can
 * count on its function being there once the library is. */
static void
load (void)
{
  void *h = skiff_dlopen (LIBARCHIVE_SONAME, load_error, sizeof load_error);
  if (h == NULL)
    return;
#define SYM(name)                                                                         \
  if ((*(void **) &lib.name = dlsym (h, #name)) == NULL)                                  \
    {                                                                                     \
      snprintf (load_error, sizeof load_error, "%s has no %s", LIBARCHIVE_SONAME, #name); \
      dlclose (h);                                                                        \
      memset (&lib, 0, sizeof lib);                                                       \
      return;                                                                             \
    }
#define X(ret, name, params, args) SYM (name)
  ARCHIVE_FUNCTIONS
#undef X
  SYM (archive_read_new);
  SYM (archive_write_new);
  SYM (archive_entry_new);
  SYM (archive_set_error);
#undef SYM
  lib.handle = h;
}

int
skiff_archive_available (skiff_error_t *err)
{
  pthread_once (&once, load);
  if (lib.handle)
    return 0;
  return skiff_error_set_status (err, ENOSYS, "cannot load %s (%s): install the package libarchive13",
                                 LIBARCHIVE_SONAME, load_error);
}

/* The constructors return NULL without the library (callers check skiff_archive_available first for the
 * reason). Every other function takes an archive or an entry, which only a loaded library makes, so the
 * wrappers call through without a check. */
struct archive *
archive_read_new (void)
{
  pthread_once (&once, load);
  return lib.handle ? lib.archive_read_new () : NULL;
}

struct archive *
archive_write_new (void)
{
  pthread_once (&once, load);
  return lib.handle ? lib.archive_write_new () : NULL;
}

struct archive_entry *
archive_entry_new (void)
{
  pthread_once (&once, load);
  return lib.handle ? lib.archive_entry_new () : NULL;
}

#define X(ret, name, params, args) \
  ret name params { return lib.name args; }
ARCHIVE_FUNCTIONS
#undef X

void
archive_set_error (struct archive *a, int err, const char *fmt, ...)
{
  char buf[1024];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (buf, sizeof buf, fmt, ap);
  va_end (ap);
  lib.archive_set_error (a, err, "%s", buf);
}
