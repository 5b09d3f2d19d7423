/* Small helpers every module uses: cleanup attributes, allocation, files, strings, logging.
 * util includes nothing else of the project except the public error type. */
#ifndef SKIFF_UTIL_H
#define SKIFF_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <skiff/error.h>

/* An error with a status (errno) for callers to test, and a message that does not append strerror. */
int skiff_error_set_status (skiff_error_t *err, int status, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* ---- cleanup attributes ---- */
void cleanup_freep (void *p);
void cleanup_closep (int *fd);
void cleanup_fclosep (FILE **f);
void cleanup_strvp (char ***v);
#ifdef __CPPCHECK__
/* contrib/lint.sh: cppcheck does not know the cleanup attribute and would take each of these for a leak; as
 * statics it leaves them out of its leak checks and still checks every other allocation. */
#define cleanup_free static
#define cleanup_close static
#define cleanup_fclose static
#define cleanup_strv static
#else
#define cleanup_free __attribute__ ((cleanup (cleanup_freep)))
#define cleanup_close __attribute__ ((cleanup (cleanup_closep)))
#define cleanup_fclose __attribute__ ((cleanup (cleanup_fclosep)))
#define cleanup_strv __attribute__ ((cleanup (cleanup_strvp)))
#endif

static inline void *
steal_pointer_ (void *pp)
{
  void **p = pp;
  void *r = *p;
  *p = NULL;
  return r;
}
#define steal_pointer(pp) steal_pointer_ (pp)
static inline int
steal_fd (int *fd)
{
  int r = *fd;
  *fd = -1;
  return r;
}

#define ARRAY_SIZE(a) (sizeof (a) / sizeof ((a)[0]))

/* A switch over some values of an enum, whose default is meant for all the others, present and future: a
 * parser looking at a token's kind, a few error codes of a library's enum. It switches on the integer, so
 * -Wswitch-enum does not ask for every value. A switch that must handle each value (a dispatch over every
 * kind, a name for each value) lists them all instead, so a new value is pointed at by the compiler: see
 * docs/architecture.md, "Tooling". */
#define ENUM_PARTIAL(e) ((int) (e))

/* ---- allocation: out of memory aborts, as in crun and git ---- */
void *xmalloc (size_t n);
void *xmalloc0 (size_t n);
void *xrealloc (void *p, size_t n);
char *xstrdup (const char *s);
char *xstrndup (const char *s, size_t n);
char *xasprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* ---- NULL-terminated string vectors ---- */
size_t strv_len (char *const *v);
void strv_free (char **v);
char **strv_dup (char *const *v);
/* Append a copy of s; *v may be NULL. */
void strv_push (char ***v, const char *s);
/* Append s without copying (takes ownership). */
void strv_push_take (char ***v, char *s);
bool strv_contains (char *const *v, const char *s);

/* ---- strings ---- */
bool str_has_prefix (const char *s, const char *prefix);
bool str_has_suffix (const char *s, const char *suffix);
/* Parse a whole string as an integer in [min, max]; false if it is not one. */
bool str_to_llong (const char *s, long long min, long long max, long long *out);

/* ---- files ---- */
/* Read a whole file of skiff's own; *len gets the length; result NUL-terminated. */
int read_file_at (int dirfd, const char *path, char **out, size_t *len, skiff_error_t *err);
int read_file (const char *path, char **out, size_t *len, skiff_error_t *err);
/* Write to a temporary name in the same directory, fsync, rename over path. */
int write_file_atomic_at (int dirfd, const char *path, const void *data, size_t len, mode_t mode, skiff_error_t *err);
int write_file_atomic (const char *path, const void *data, size_t len, mode_t mode, skiff_error_t *err);
/* The same without the fsync: readers still see old or new, never a torn file, but a power loss may lose
 * the update. For state that dies with the container anyway (a --rm container's record). */
int write_file_replace (const char *path, const void *data, size_t len, mode_t mode, skiff_error_t *err);
/* Plain write of a whole buffer (no rename). */
int write_file_at (int dirfd, const char *path, const void *data, size_t len, mode_t mode, skiff_error_t *err);
/* mkdir -p; existing directories are fine. */
int mkdir_p (const char *path, mode_t mode, skiff_error_t *err);
int mkdir_p_at (int dirfd, const char *path, mode_t mode, skiff_error_t *err);
/* Create a new file next to path (`<path>.tmp-<random>`, O_CREAT|O_EXCL|O_NOFOLLOW, so never one that someone
 * prepared) with flags (O_WRONLY, ...) and mode; *tmp_out gets its name. Returns the fd. */
int open_tmp_at (int dirfd, const char *path, int flags, mode_t mode, char **tmp_out, skiff_error_t *err);
/* rm -rf below dirfd, never following symlinks and never crossing into another mount. Missing is fine. Works
 * at any depth with a bounded number of descriptors (no recursion). */
int rm_rf_at (int dirfd, const char *name, skiff_error_t *err);
int rm_rf (const char *path, skiff_error_t *err);
/* Open the directory name below dirfd (O_RDONLY, never through a symlink), even when its mode denies us
 * (images hold mode 000 directories): it is made 0700 first. For removal. */
int open_dir_even_unreadable (int dirfd, const char *name);

/* ---- walking a tree at any depth with few descriptors (walk.c) ---- */
/* A walk holds at most this many directory descriptors (a level's and its shadow's), however deep the tree:
 * the shallower levels are closed and reopened through ".." of their child, checked by device and inode. */
#define SKIFF_WALK_OPEN_FDS 32

enum skiff_walk_step
{
  SKIFF_WALK_PRE,  /* every entry, a directory before what it holds */
  SKIFF_WALK_POST, /* a directory the visitor descended into, after what it holds */
};

/* What a visitor returns for a directory at SKIFF_WALK_PRE to go into it (0 skips it; negative fails). */
#define SKIFF_WALK_DESCEND 1

enum
{
  SKIFF_WALK_FORCE_OPEN = 1 << 0, /* open unreadable directories with open_dir_even_unreadable (removal) */
};

struct skiff_walk_entry
{
  int dirfd;        /* the directory holding the entry */
  int shadow_dirfd; /* that directory's shadow (see fd_shadow below), or -1 */
  const char *name;
  const char *path;      /* from the top, "a/b/name" */
  size_t depth;          /* 1 for the top's own entries */
  const struct stat *st; /* NULL when fstatat failed with stat_errno (an entry that vanished is skipped) */
  int stat_errno;
  /* a directory: open O_RDONLY (the walk's own: never closed by the visitor), or -1 with open_errno */
  int fd;
  int open_errno;
  /* a directory: a second descriptor the visitor may give at PRE (the walk takes it and closes it), kept and
   * reopened with the directory, and handed back at POST and as the children's shadow_dirfd: the copy's
   * destination beside its source */
  int shadow_fd;
};

typedef int (*skiff_walk_fn) (void *data, enum skiff_walk_step step, struct skiff_walk_entry *e, skiff_error_t *err);

/* Visit everything below the directory fd (not taken; shadow_fd, which may be -1, is the top's shadow, not
 * taken either) in name order (strcmp), depth first, without recursion, with at most SKIFF_WALK_OPEN_FDS
 * descriptors open. Symlinks are never followed. Stops at the first negative return of fn. */
int skiff_walk_at (int fd, int shadow_fd, unsigned flags, skiff_walk_fn fn, void *data, skiff_error_t *err);
/* Open the directory that holds the last component of path (relative to rootfd), one component at a time
 * without following symlinks, so a path longer than PATH_MAX is fine; *base points into path. */
int open_parent_beneath (int rootfd, const char *path, const char **base, skiff_error_t *err);
/* write(2)/read(2) until done, retrying on EINTR. Return 0 / bytes read, or -errno. */
int write_all (int fd, const void *buf, size_t len);
ssize_t read_all (int fd, void *buf, size_t len);
char *path_join (const char *a, const char *b);
/* Returns true when path exists (lstat). */
bool path_exists (const char *path);

/* ---- places and files others may control (safe_fs.c) ---- */
/* Create path (its parent must exist) 0700 if missing, then check that it is a directory (not a symlink) of
 * ours that nobody else can write to; refused otherwise (status EPERM) with a message that ends with fix.
 * For every directory skiff uses in a shared place such as /tmp. */
int skiff_private_dir_ensure (const char *path, const char *fix, skiff_error_t *err);
enum skiff_resolve
{
  SKIFF_RESOLVE_FOLLOW,   /* as open(2) */
  SKIFF_RESOLVE_NOFOLLOW, /* the last component must not be a symlink */
  SKIFF_RESOLVE_IN_ROOT,  /* dirfd is a root (a container's): links resolve inside it, never out of it */
};
/* Read a whole file that someone else may control (a container's, one in a shared place): it must be a
 * regular file (a FIFO or device is refused without being opened for reading, so nothing blocks) of at most
 * max bytes (status EFBIG). Status ENOENT when it is missing. Result NUL-terminated. */
int read_file_untrusted (int dirfd, const char *path, enum skiff_resolve how, size_t max, char **out, size_t *len,
                         skiff_error_t *err);

/* ---- the process title (proctitle.c) ---- */
/* Replace what ps shows for this process (its comm and /proc/PID/cmdline) by title: a long-lived fork of the
 * CLI must not show the CLI's arguments (`-e PASSWORD=...`) to other users. */
void skiff_set_process_title (const char *title);

/* Close every descriptor from 3 up: what the caller of skiff left open must not end up held by a monitor, a
 * pod's infra or a container (podman passes only 0-2 unless --preserve-fds). */
void close_inherited_fds (void);
/* The same from first up (first - 1 and below stay). */
void close_inherited_fds_from (int first);

/* This boot's ID (/proc/sys/kernel/random/boot_id), "" when unknown: a PID recorded under another boot names
 * some other process. */
const char *skiff_boot_id (void);

/* ---- libraries opened on first use (archive_dl.c, curl_dl.c, net/slirp.c): only the commands that need
 * them pay for their dynamic linking ---- */
/* dlopen(soname), or NULL with the reason in why. SKIFF_TEST_HIDE_LIBS (sonames separated by spaces or commas)
 * makes a library look missing: a test hook for the errors below. */
void *skiff_dlopen (const char *soname, char *why, size_t len);
/* 0 when libarchive (libcurl) is loaded, else an error (ENOSYS) naming the library, the reason and the package
 * to install. The libraries' own constructors (archive_read_new, curl_easy_init, ...) return NULL without it. */
int skiff_archive_available (skiff_error_t *err);
int skiff_curl_available (skiff_error_t *err);

/* ---- fd passing over unix sockets ---- */
int send_fd (int sock, int fd, const void *data, size_t len);
/* Receives up to len bytes and, if present, one fd into *fd (else -1). Returns bytes or -errno. */
ssize_t recv_fd (int sock, int *fd, void *data, size_t len);

/* ---- logging: podman's look ("WARN[0000] msg") on stderr ---- */
enum skiff_log_level
{
  SKIFF_LOG_ERROR = 0,
  SKIFF_LOG_WARNING,
  SKIFF_LOG_INFO,
  SKIFF_LOG_DEBUG,
  SKIFF_LOG_TRACE,
};
extern int skiff_log_level;
/* Parse "debug", "info", "warn", "error", "trace", "fatal", "panic"; -1 when unknown. */
int skiff_log_level_parse (const char *s);
void skiff_log (int level, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
#define log_warning(...) skiff_log (SKIFF_LOG_WARNING, __VA_ARGS__)
#define log_info(...) skiff_log (SKIFF_LOG_INFO, __VA_ARGS__)
#define log_debug(...)                            \
  do                                              \
    {                                             \
      if (skiff_log_level >= SKIFF_LOG_DEBUG)     \
        skiff_log (SKIFF_LOG_DEBUG, __VA_ARGS__); \
    }                                             \
  while (0)

/* ---- misc ---- */
/* 64 random hex characters (container IDs). buf must hold 65 bytes. */
int random_hex_id (char buf[65], skiff_error_t *err);
/* n bytes as 2n lowercase hex characters and a NUL: out must hold 2n + 1 bytes. */
void hex_encode (const void *data, size_t n, char *out);
/* Monotonic time in nanoseconds. */
uint64_t now_ns (void);
/* RFC 3339 with nanoseconds, UTC ("2024-01-02T03:04:05.123456789Z"); caller frees. */
char *format_time_rfc3339 (uint64_t ns_since_epoch);
uint64_t realtime_ns (void);

#endif
