/* The one walk of a directory tree: any depth, a bounded number of descriptors, no recursion. Removal, the vfs
 * driver's copy, the layer tars of push and save and the size of a container all go through it. */
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

/* One directory on the way from the top down to the one being read. Its names are read whole when the walk
 * enters it, so closing its descriptors loses nothing: they are reopened through ".." of the child. */
struct walk_level
{
  int fd, shadow; /* -1 while closed (all but the deepest levels, SKIFF_WALK_OPEN_FDS at most), shadow -1: none */
  struct stat st; /* its own, checked when it is reopened, and handed to POST */
  dev_t shadow_dev;
  ino_t shadow_ino;
  bool has_shadow;
  char **names;
  size_t n, next;
  const char *name; /* in the level above's names; NULL for the top */
  size_t path_len;  /* of the path down to and including this level */
};

struct walk
{
  struct walk_level *lv;
  size_t depth, cap, lowest_open;
  size_t open_fds; /* of the levels [lowest_open, depth) */
  char *path;
  size_t path_cap;
  unsigned flags;
  skiff_walk_fn fn;
  void *data;
};

static int
cmp_name (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static void
close_level (struct walk_level *l)
{
  if (l->fd >= 0)
    close (l->fd);
  if (l->shadow >= 0)
    close (l->shadow);
  l->fd = l->shadow = -1;
}

static void
free_names (struct walk_level *l)
{
  for (size_t i = 0; i < l->n; i++)
    free (l->names[i]);
  free (l->names);
  l->names = NULL;
  l->n = 0;
}

/* The names in the directory fd, sorted (read through a duplicate, which shares fd's offset: nothing else
 * reads the directory fd). */
static int
read_names (int fd, struct walk_level *l, const char *path, skiff_error_t *err)
{
  int dfd = fcntl (fd, F_DUPFD_CLOEXEC, 0);
  DIR *d = dfd >= 0 ? fdopendir (dfd) : NULL;
  if (d == NULL)
    {
      int e = errno;
      if (dfd >= 0)
        close (dfd);
      return skiff_error_set (err, e, "read the directory `%s`", path[0] ? path : ".");
    }
  rewinddir (d);
  size_t cap = 0;
  struct dirent *de;
  errno = 0;
  while ((de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (l->n == cap)
        {
          cap = cap ? 2 * cap : 16;
          l->names = xrealloc (l->names, cap * sizeof *l->names);
        }
      l->names[l->n++] = xstrdup (de->d_name);
      errno = 0;
    }
  int e = errno;
  closedir (d);
  if (e != 0)
    return skiff_error_set (err, e, "read the directory `%s`", path[0] ? path : ".");
  if (l->n > 1)
    qsort (l->names, l->n, sizeof *l->names, cmp_name);
  return 0;
}

/* Go down into a directory (fd and shadow taken); the shallowest open level is closed when too many are. */
static int
walk_push (struct walk *w, int fd, int shadow, const struct stat *st, const char *name, skiff_error_t *err)
{
  if (w->depth == w->cap)
    {
      w->cap = w->cap ? w->cap * 2 : SKIFF_WALK_OPEN_FDS;
      w->lv = xrealloc (w->lv, w->cap * sizeof *w->lv);
    }
  struct walk_level *l = &w->lv[w->depth];
  *l = (struct walk_level){ .fd = fd, .shadow = shadow, .st = *st, .name = name, .path_len = strlen (w->path) };
  struct stat sst;
  if (shadow >= 0)
    {
      if (fstat (shadow, &sst) < 0)
        {
          int e = errno;
          close_level (l);
          return skiff_error_set (err, e, "stat the copy of `%s`", w->path[0] ? w->path : ".");
        }
      l->has_shadow = true;
      l->shadow_dev = sst.st_dev;
      l->shadow_ino = sst.st_ino;
    }
  w->depth++;
  if (read_names (fd, l, w->path, err) < 0)
    return -1;
  w->open_fds += 1 + (shadow >= 0);
  while (w->open_fds > SKIFF_WALK_OPEN_FDS && w->lowest_open < w->depth - 1)
    {
      struct walk_level *old = &w->lv[w->lowest_open++];
      w->open_fds -= (old->fd >= 0) + (old->shadow >= 0);
      close_level (old);
    }
  return 0;
}

/* Reopen through ".." of the open descriptor child a level whose descriptor was closed: it must be the very
 * directory the walk came down from (a rename meanwhile would send the walk elsewhere). */
static int
reopen_parent (int child, dev_t dev, ino_t ino, const char *what, skiff_error_t *err)
{
  int fd = openat (child, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return skiff_error_set (err, errno, "open the directory above `%s`", what);
  struct stat st;
  if (fstat (fd, &st) < 0 || st.st_dev != dev || st.st_ino != ino)
    {
      close (fd);
      return skiff_error_set (err, EBUSY, "the directory above `%s` was moved during the walk", what);
    }
  return fd;
}

/* The deepest level is done: reopen its parent when needed, hand it to POST, and leave it. */
static int
walk_pop (struct walk *w, skiff_error_t *err)
{
  struct walk_level *child = &w->lv[w->depth - 1], *parent = &w->lv[w->depth - 2];
  w->path[child->path_len] = '\0';
  if (parent->fd < 0)
    {
      parent->fd = reopen_parent (child->fd, parent->st.st_dev, parent->st.st_ino, w->path, err);
      if (parent->fd < 0)
        return -1;
      if (parent->has_shadow)
        {
          parent->shadow = child->shadow >= 0
                               ? reopen_parent (child->shadow, parent->shadow_dev, parent->shadow_ino, w->path, err)
                               : skiff_error_set (err, EINVAL, "no copy below `%s`", w->path);
          if (parent->shadow < 0)
            return -1;
        }
      w->lowest_open = w->depth - 2;
      w->open_fds += 1 + (parent->shadow >= 0);
    }
  struct skiff_walk_entry e = { .dirfd = parent->fd,
                                .shadow_dirfd = parent->shadow,
                                .name = child->name,
                                .path = w->path,
                                .depth = w->depth - 1,
                                .st = &child->st,
                                .fd = child->fd,
                                .shadow_fd = child->shadow };
  int r = w->fn (w->data, SKIFF_WALK_POST, &e, err);
  w->open_fds -= (child->fd >= 0) + (child->shadow >= 0);
  close_level (child);
  free_names (child);
  w->depth--;
  w->path[parent->path_len] = '\0';
  return r < 0 ? r : 0;
}

static void
path_append (struct walk *w, size_t at, const char *name)
{
  size_t need = at + 1 + strlen (name) + 1;
  if (need > w->path_cap)
    {
      w->path_cap = need * 2;
      w->path = xrealloc (w->path, w->path_cap);
    }
  char *p = w->path + at;
  if (at > 0)
    *p++ = '/';
  strcpy (p, name);
}

static int
open_dir (struct walk *w, int dirfd, const char *name)
{
  if (w->flags & SKIFF_WALK_FORCE_OPEN)
    return open_dir_even_unreadable (dirfd, name);
  return openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* Visit the next name of the deepest level, and go down into it when the visitor asks. */
static int
walk_entry (struct walk *w, skiff_error_t *err)
{
  struct walk_level *l = &w->lv[w->depth - 1];
  const char *name = l->names[l->next++];
  path_append (w, l->path_len, name);
  struct stat st;
  struct skiff_walk_entry e = { .dirfd = l->fd,
                                .shadow_dirfd = l->shadow,
                                .name = name,
                                .path = w->path,
                                .depth = w->depth,
                                .st = &st,
                                .fd = -1,
                                .shadow_fd = -1 };
  if (fstatat (l->fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    {
      if (errno == ENOENT)
        return 0;
      e.st = NULL;
      e.stat_errno = errno;
    }
  else if (S_ISDIR (st.st_mode))
    {
      e.fd = open_dir (w, l->fd, name);
      if (e.fd < 0)
        e.open_errno = errno;
      else if (fstat (e.fd, &st) < 0)
        {
          int r = skiff_error_set (err, errno, "stat `%s`", w->path);
          close (e.fd);
          return r;
        }
    }
  int r = w->fn (w->data, SKIFF_WALK_PRE, &e, err);
  if (r == SKIFF_WALK_DESCEND && e.fd >= 0)
    return walk_push (w, e.fd, e.shadow_fd, &st, name, err);
  if (e.fd >= 0)
    close (e.fd);
  if (e.shadow_fd >= 0)
    close (e.shadow_fd);
  return r < 0 ? r : 0;
}

int
skiff_walk_at (int fd, int shadow_fd, unsigned flags, skiff_walk_fn fn, void *data, skiff_error_t *err)
{
  struct walk w = { .flags = flags, .fn = fn, .data = data, .path = xstrdup (""), .path_cap = 1 };
  struct stat st;
  int top = fcntl (fd, F_DUPFD_CLOEXEC, 0);
  int top_shadow = shadow_fd >= 0 ? fcntl (shadow_fd, F_DUPFD_CLOEXEC, 0) : -1;
  int ret;
  if (top < 0 || (shadow_fd >= 0 && top_shadow < 0) || fstat (top, &st) < 0)
    {
      ret = skiff_error_set (err, errno, "open the top of the walk");
      if (top >= 0)
        close (top);
      if (top_shadow >= 0)
        close (top_shadow);
    }
  else
    ret = walk_push (&w, top, top_shadow, &st, NULL, err);
  while (ret == 0 && w.depth > 0)
    {
      struct walk_level *l = &w.lv[w.depth - 1];
      if (l->next < l->n)
        ret = walk_entry (&w, err);
      else if (w.depth == 1)
        break; /* the top is the caller's */
      else
        ret = walk_pop (&w, err);
    }
  for (size_t i = 0; i < w.depth; i++)
    {
      close_level (&w.lv[i]);
      free_names (&w.lv[i]);
    }
  free (w.lv);
  free (w.path);
  return ret;
}

int
open_parent_beneath (int rootfd, const char *path, const char **base, skiff_error_t *err)
{
  int fd = openat (rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return skiff_error_set (err, errno, "open the top of `%s`", path);
  const char *p = path;
  for (;;)
    {
      while (*p == '/')
        p++;
      const char *slash = strchr (p, '/');
      if (slash == NULL)
        break;
      cleanup_free char *comp = xstrndup (p, (size_t) (slash - p));
      int next = openat (fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      int e = errno;
      close (fd);
      if (next < 0)
        return skiff_error_set (err, e, "open the directory `%.*s`", (int) (slash - path), path);
      fd = next;
      p = slash + 1;
    }
  *base = p;
  return fd;
}
