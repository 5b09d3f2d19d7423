/* util/walk.c: the one tree walk (removal, the vfs copy, the layer tars, sizes): any depth with few
 * descriptors, name order, directories before and after their contents, a shadow tree beside, and a level
 * moved away during the walk refused. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "util/util.h"

#define DEEP_LEVELS 2000
#define LOW_FD_LIMIT 64
#define FILES_PER_LEVEL 2
/* deeper than the levels a shadowed walk keeps open (two descriptors each) */
#define SHADOW_LEVELS 100
/* "d/" this many times is longer than PATH_MAX */
#define PARENT_LEVELS 2100
/* what the walk may hold on top of what the test process had: two per open level and a few in passing */
#define WALK_FD_SLACK (SKIFF_WALK_OPEN_FDS + 4)

static char *
scratch_dir (void)
{
  char tmpl[] = "/tmp/skiff-ut-walk-XXXXXX";
  cr_assert_not_null (mkdtemp (tmpl));
  return xstrdup (tmpl);
}

static void
scratch_remove (const char *dir)
{
  skiff_error_t err = NULL;
  cr_assert_eq (rm_rf (dir, &err), 0, "%s", err ? err->msg : "");
}

static int
open_fds (void)
{
  DIR *d = opendir ("/proc/self/fd");
  cr_assert_not_null (d);
  int n = 0;
  while (readdir (d))
    n++;
  closedir (d);
  return n - 3; /* ".", ".." and the stream's own */
}

/* levels directories "d" down, each level with files f0.. and empty directories side0.. */
static void
make_chain (const char *dir, int levels, int files)
{
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cr_assert_geq (fd, 0);
  for (int i = 0; i < levels; i++)
    {
      for (int k = 0; k < files; k++)
        {
          char name[32];
          snprintf (name, sizeof name, "f%d", k);
          int f = openat (fd, name, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
          cr_assert_geq (f, 0);
          cr_assert_eq (write (f, "abc", 3), 3);
          close (f);
          snprintf (name, sizeof name, "side%d", k);
          cr_assert_eq (mkdirat (fd, name, 0700), 0);
        }
      cr_assert_eq (mkdirat (fd, "d", 0700), 0);
      int next = openat (fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      cr_assert_geq (next, 0, "level %d: %s", i, strerror (errno));
      close (fd);
      fd = next;
    }
  close (fd);
}

static void
low_fd_limit (struct rlimit *old)
{
  cr_assert_eq (getrlimit (RLIMIT_NOFILE, old), 0);
  struct rlimit low = { LOW_FD_LIMIT, old->rlim_max };
  cr_assert_eq (setrlimit (RLIMIT_NOFILE, &low), 0);
}

struct record
{
  int base_fds, max_fds;
  size_t pre, post, depth, max_depth;
  char *last_pre; /* the path visited before, to check name order inside a directory */
  bool bad_order, bad_path, bad_post;
};

static bool
path_ok (const struct skiff_walk_entry *e)
{
  /* "d/" once per level above, then the name */
  size_t n = strlen (e->path), want = 2 * (e->depth - 1) + strlen (e->name);
  if (n != want || strcmp (e->path + n - strlen (e->name), e->name) != 0)
    return false;
  for (size_t i = 0; i + 1 < e->depth; i++)
    if (strncmp (e->path + 2 * i, "d/", 2) != 0)
      return false;
  return true;
}

static int
record_visit (void *data, enum skiff_walk_step step, struct skiff_walk_entry *e, skiff_error_t *err)
{
  struct record *r = data;
  if (!path_ok (e))
    r->bad_path = true;
  if (step == SKIFF_WALK_POST)
    {
      r->post++;
      /* the directory being left is the deepest one, and the walk goes back up by one */
      if (e->depth + 1 != r->depth || e->fd < 0 || strcmp (e->name, "d") != 0)
        r->bad_post = true;
      r->depth--;
      return 0;
    }
  r->pre++;
  if (e->depth == r->depth && r->last_pre && strcmp (r->last_pre, e->path) >= 0)
    r->bad_order = true;
  free (r->last_pre);
  r->last_pre = xstrdup (e->path);
  if (r->pre % 97 == 0 || e->depth == DEEP_LEVELS)
    {
      int n = open_fds ();
      if (n > r->max_fds)
        r->max_fds = n;
    }
  if (e->st == NULL)
    return skiff_error_set (err, e->stat_errno, "stat `%s`", e->path);
  if (!S_ISDIR (e->st->st_mode))
    return 0;
  if (strcmp (e->name, "d") != 0)
    return 0; /* the empty side directories are visited but not entered */
  r->depth = e->depth + 1;
  if (r->depth > r->max_depth)
    r->max_depth = r->depth;
  return SKIFF_WALK_DESCEND;
}

/* Every entry of a 2,000-level tree is visited once, in name order, with its path, each directory entered is
 * left after what it holds, and the walk never holds more than its bound (one descriptor per level failed
 * with "Too many open files" under this limit). Levels closed on the way down are read on after reopening. */
Test (walk, any_depth_in_order_with_few_descriptors, .timeout = 60)
{
  cleanup_free char *dir = scratch_dir ();
  make_chain (dir, DEEP_LEVELS, FILES_PER_LEVEL);
  struct rlimit old;
  low_fd_limit (&old);
  int top = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct record r = { .base_fds = open_fds (), .depth = 1 };
  skiff_error_t err = NULL;
  int ret = skiff_walk_at (top, -1, 0, record_visit, &r, &err);
  close (top);
  setrlimit (RLIMIT_NOFILE, &old);
  cr_assert_eq (ret, 0, "%s", err ? err->msg : "");
  /* per level: d, f0, f1, side0, side1 */
  cr_assert_eq (r.pre, (size_t) DEEP_LEVELS * (1 + 2 * FILES_PER_LEVEL));
  cr_assert_eq (r.post, (size_t) DEEP_LEVELS);
  cr_assert_eq (r.max_depth, (size_t) DEEP_LEVELS + 1);
  cr_assert_not (r.bad_path, "a path is wrong");
  cr_assert_not (r.bad_order, "names out of order");
  cr_assert_not (r.bad_post, "a directory was left out of turn");
  cr_assert_leq (r.max_fds, r.base_fds + WALK_FD_SLACK, "the walk held %d descriptors", r.max_fds - r.base_fds);
  free (r.last_pre);
  scratch_remove (dir);
}

/* The shadow: a copy made beside the walk, its directories reopened with the source's. */
static int
copy_visit (void *data, enum skiff_walk_step step, struct skiff_walk_entry *e, skiff_error_t *err)
{
  (void) data;
  if (step == SKIFF_WALK_POST)
    {
      /* the copy's own directory comes back with the source's */
      if (e->shadow_fd < 0 || fchmod (e->shadow_fd, 0750) < 0)
        return skiff_error_set (err, EBADF, "no copy of `%s` at POST", e->path);
      return 0;
    }
  if (S_ISDIR (e->st->st_mode))
    {
      if (mkdirat (e->shadow_dirfd, e->name, 0700) < 0)
        return skiff_error_set (err, errno, "mkdir `%s`", e->path);
      e->shadow_fd = openat (e->shadow_dirfd, e->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      return e->shadow_fd < 0 ? skiff_error_set (err, errno, "open `%s`", e->path) : SKIFF_WALK_DESCEND;
    }
  int f = openat (e->shadow_dirfd, e->name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (f < 0)
    return skiff_error_set (err, errno, "create `%s`", e->path);
  close (f);
  return 0;
}

struct listing
{
  size_t entries, dirs_0750, deep_files;
};

static int
list_visit (void *data, enum skiff_walk_step step, struct skiff_walk_entry *e, skiff_error_t *err)
{
  (void) err;
  struct listing *l = data;
  if (step == SKIFF_WALK_POST)
    return 0;
  l->entries++;
  if (!S_ISDIR (e->st->st_mode))
    {
      l->deep_files += e->depth == SHADOW_LEVELS;
      return 0;
    }
  l->dirs_0750 += (e->st->st_mode & 07777) == 0750;
  return SKIFF_WALK_DESCEND;
}

static struct listing
listing (const char *dir)
{
  struct listing l = { 0 };
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_walk_at (fd, -1, 0, list_visit, &l, &err), 0, "%s", err ? err->msg : "");
  close (fd);
  return l;
}

Test (walk, shadow_copies_a_deep_tree, .timeout = 60)
{
  cleanup_free char *src = scratch_dir ();
  cleanup_free char *dst = scratch_dir ();
  make_chain (src, SHADOW_LEVELS, FILES_PER_LEVEL);
  struct rlimit old;
  low_fd_limit (&old);
  int s = open (src, O_RDONLY | O_DIRECTORY | O_CLOEXEC), d = open (dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  skiff_error_t err = NULL;
  int ret = skiff_walk_at (s, d, 0, copy_visit, NULL, &err);
  close (s);
  close (d);
  setrlimit (RLIMIT_NOFILE, &old);
  cr_assert_eq (ret, 0, "%s", err ? err->msg : "");
  /* the same entries, and every directory of the copy got its POST */
  struct listing ls = listing (src), ld = listing (dst);
  size_t per_level = 1 + 2 * FILES_PER_LEVEL;
  cr_assert_eq (ls.entries, (size_t) SHADOW_LEVELS * per_level);
  cr_assert_eq (ld.entries, ls.entries);
  cr_assert_eq (ld.deep_files, (size_t) FILES_PER_LEVEL);
  cr_assert_eq (ld.dirs_0750, (size_t) SHADOW_LEVELS * (1 + FILES_PER_LEVEL),
                "a directory of the copy missed its POST");
  scratch_remove (src);
  scratch_remove (dst);
}

/* A directory moved elsewhere while its descriptor was closed: going back up through ".." would leave the
 * tree being walked (removal would empty another directory), so the walk stops. */
#define MOVE_AT_DEPTH 100
#define MOVED_LEVEL 40

struct mover
{
  int top;
  bool moved;
};

static int
move_visit (void *data, enum skiff_walk_step step, struct skiff_walk_entry *e, skiff_error_t *err)
{
  (void) err;
  struct mover *m = data;
  if (step == SKIFF_WALK_POST || !S_ISDIR (e->st->st_mode) || strcmp (e->name, "d") != 0)
    return 0;
  if (e->depth == MOVE_AT_DEPTH && !m->moved)
    {
      char path[2 * MOVED_LEVEL + 1] = "";
      for (int i = 0; i < MOVED_LEVEL; i++)
        strcat (path, i ? "/d" : "d");
      cr_assert_eq (renameat (m->top, path, m->top, "elsewhere/moved"), 0, "%s", strerror (errno));
      m->moved = true;
    }
  return SKIFF_WALK_DESCEND;
}

Test (walk, a_level_moved_away_stops_the_walk, .timeout = 60)
{
  cleanup_free char *dir = scratch_dir ();
  make_chain (dir, MOVE_AT_DEPTH + 10, 0);
  cleanup_free char *elsewhere = xasprintf ("%s/elsewhere", dir);
  cr_assert_eq (mkdir (elsewhere, 0700), 0);
  struct mover m = { .top = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) };
  skiff_error_t err = NULL;
  cr_assert_lt (skiff_walk_at (m.top, -1, 0, move_visit, &m, &err), 0);
  cr_assert (m.moved);
  cr_assert_not_null (strstr (err->msg, "was moved during the walk"), "%s", err->msg);
  skiff_error_release (&err);
  close (m.top);
  scratch_remove (dir);
}

Test (walk, parent_beneath_any_length_and_no_links)
{
  cleanup_free char *dir = scratch_dir ();
  make_chain (dir, PARENT_LEVELS, 0);
  int top = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  /* "d/" PARENT_LEVELS times, then the file: longer than PATH_MAX */
  char *full = xmalloc (2 * PARENT_LEVELS + sizeof "f0");
  for (int i = 0; i < PARENT_LEVELS; i++)
    memcpy (full + 2 * i, "d/", 2);
  strcpy (full + 2 * PARENT_LEVELS, "f0");
  cr_assert_gt (strlen (full), (size_t) PATH_MAX);
  int last = open_parent_beneath (top, full, &(const char *){ NULL }, NULL);
  cr_assert_geq (last, 0);
  int f = openat (last, "f0", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  cr_assert_geq (f, 0);
  cr_assert_eq (write (f, "abc", 3), 3);
  close (f);
  close (last);
  const char *base = NULL;
  skiff_error_t err = NULL;
  int fd = open_parent_beneath (top, full, &base, &err);
  cr_assert_geq (fd, 0, "%s", err ? err->msg : "");
  cr_assert_str_eq (base, "f0");
  struct stat st;
  cr_assert_eq (fstatat (fd, base, &st, 0), 0);
  cr_assert_eq (st.st_size, 3);
  close (fd);
  free (full);
  /* a symlink on the way is not followed */
  cr_assert_eq (symlinkat ("d", top, "link"), 0);
  fd = open_parent_beneath (top, "link/f0", &base, &err);
  cr_assert_lt (fd, 0);
  cr_assert_not_null (strstr (err->msg, "`link`"), "%s", err->msg);
  skiff_error_release (&err);
  close (top);
  scratch_remove (dir);
}
