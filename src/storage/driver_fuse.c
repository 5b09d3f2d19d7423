/* The fuse-overlayfs driver: the same layout and options as overlay, mounted by the fuse-overlayfs program
 * (which daemonizes once the mount is up). Needs /dev/fuse readable and writable. */
#include "storage/store_internal.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#define FUSE_OVERLAYFS "fuse-overlayfs"
#define FUSERMOUNT "fusermount3"
#define DEV_FUSE "/dev/fuse"

extern char **environ;

/* The program's path in $PATH (or the usual place), or NULL. */
static char *
find_program (const char *name)
{
  const char *path = getenv ("PATH");
  cleanup_free char *copy = xstrdup (path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
  char *save = NULL;
  for (char *dir = strtok_r (copy, ":", &save); dir; dir = strtok_r (NULL, ":", &save))
    {
      char *p = xasprintf ("%s/%s", dir, name);
      if (access (p, X_OK) == 0)
        return p;
      free (p);
    }
  return NULL;
}

static int
fuse_probe (struct skiff_store *s, skiff_error_t *err)
{
  cleanup_free char *prog = find_program (FUSE_OVERLAYFS);
  if (prog == NULL)
    return skiff_error_set_status (err, ENOENT,
                                   FUSE_OVERLAYFS " is not installed (install the fuse-overlayfs package)");
  int fd = open (DEV_FUSE, O_RDWR | O_CLOEXEC);
  if (fd < 0)
    {
      int e = errno;
      if (e == EACCES || e == EPERM)
        return skiff_error_set_status (err, e,
                                       "cannot open " DEV_FUSE ": %s: fuse-overlayfs needs " DEV_FUSE
                                       " readable and writable by you (ask an administrator to make it mode 0666)",
                                       strerror (e));
      return skiff_error_set (err, e, "cannot open " DEV_FUSE " (is the fuse module loaded?)");
    }
  close (fd);
  return 0;
}

/* Run argv, stdin/stdout on /dev/null; *output gets what it wrote on stderr before exiting. */
static int
run (char *const *argv, char **output, skiff_error_t *err)
{
  int pipefd[2];
  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return skiff_error_set (err, errno, "pipe");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init (&fa);
  posix_spawn_file_actions_addopen (&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen (&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2 (&fa, pipefd[1], 2);
  pid_t pid;
  int r = posix_spawn (&pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy (&fa);
  close (pipefd[1]);
  if (r != 0)
    {
      close (pipefd[0]);
      return skiff_error_set (err, r, "run `%s`", argv[0]);
    }
  int status = 0;
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      {
        close (pipefd[0]);
        return skiff_error_set (err, errno, "wait for `%s`", argv[0]);
      }
  /* the daemon it left behind may hold the pipe: read only what is there */
  fcntl (pipefd[0], F_SETFL, O_NONBLOCK);
  char buf[2048];
  ssize_t n = read (pipefd[0], buf, sizeof buf - 1);
  close (pipefd[0]);
  buf[n > 0 ? n : 0] = '\0';
  for (ssize_t i = n > 0 ? n : 0; i > 0 && (buf[i - 1] == '\n' || buf[i - 1] == ' '); i--)
    buf[i - 1] = '\0';
  *output = xstrdup (buf);
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  return 128 + (WIFSIGNALED (status) ? WTERMSIG (status) : 0);
}

static int
fuse_mount (struct skiff_store *s, const char *cid, char *const *layers, char **path, skiff_error_t *err)
{
  cleanup_free char *merged = xasprintf ("%s/" STORE_CONTAINERS "/%s/" CONTAINER_MERGED, s->root, cid);
  if (store_is_mountpoint (merged))
    {
      struct stat st;
      if (stat (merged, &st) == 0)
        {
          *path = steal_pointer (&merged);
          return 0;
        }
      /* the daemon died (ENOTCONN): drop the dead mount and mount again */
      if (store_unmount_path (merged, err) < 0)
        return -1;
    }
  if (fuse_probe (s, err) < 0)
    return -1;
  cleanup_free char *prog = find_program (FUSE_OVERLAYFS);
  cleanup_free char *opts = NULL;
  bool relative = false;
  /* fuse-overlayfs gets its options on its command line: no page limit, absolute paths */
  if (store_overlay_options (s, cid, layers, NULL, false, &opts, &relative, err) < 0)
    return -1;
  char *argv[] = { prog, (char *) "-o", opts, merged, NULL };
  cleanup_free char *out = NULL;
  int r = run (argv, &out, err);
  if (r < 0)
    return r;
  if (r != 0)
    return skiff_error_set (err, 0, FUSE_OVERLAYFS " failed to mount `%s` (exit status %d): %s", merged, r,
                            out && *out ? out : "no message");
  *path = steal_pointer (&merged);
  return 0;
}

static int
fuse_unmount (struct skiff_store *s, const char *cid, skiff_error_t *err)
{
  cleanup_free char *merged = xasprintf ("%s/" STORE_CONTAINERS "/%s/" CONTAINER_MERGED, s->root, cid);
  skiff_error_t e2 = NULL;
  if (store_unmount_path (merged, &e2) == 0)
    return 0;
  /* not the mount's owner (mounted through fusermount from outside the namespace): ask fusermount */
  cleanup_free char *fm = find_program (FUSERMOUNT);
  if (fm == NULL || e2->status != EPERM)
    {
      int r = skiff_error_set_status (err, e2->status, "%s", e2->msg);
      skiff_error_release (&e2);
      return r;
    }
  skiff_error_release (&e2);
  char *argv[] = { fm, (char *) "-u", (char *) "-z", merged, NULL };
  cleanup_free char *out = NULL;
  int r = run (argv, &out, err);
  if (r > 0)
    return skiff_error_set (err, 0, FUSERMOUNT " -u `%s` failed: %s", merged, out);
  return r;
}

const struct skiff_driver skiff_driver_fuse_overlayfs = {
  .name = "fuse-overlayfs",
  .probe = fuse_probe,
  .create = store_overlay_create,
  .mount = fuse_mount,
  .unmount = fuse_unmount,
  .remove = store_container_remove,
};
