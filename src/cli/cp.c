/* skiff cp, export, mount and unmount: files in and out of containers (the engine's cp.c does the work). */
#include <fcntl.h>

#include "cli/cli.h"

/* ---- cp ---- */

enum
{
  CP_ARCHIVE,
  CP_OVERWRITE,
  CP_PAUSE,
};

static const struct cli_option cp_options[] = {
  [CP_ARCHIVE] = { "archive", 'a', optional_argument, NULL,
                   "Chown copied files to the primary uid/gid of the destination container. (default true)" },
  [CP_OVERWRITE]
  = { "overwrite", 0, optional_argument, NULL, "Allow to overwrite directories with non-directories and vice versa" },
  [CP_PAUSE] = { "pause", 0, optional_argument, NULL,
                 "Pause the container while copying (accepted: skiff copies without pausing)" },
  { 0 },
};

static int cp_main (struct skiff_cli *cli, int argc, char **argv);

const struct cli_command cli_cp_command = {
  .name = "cp",
  .summary = "Copy files/folders between a container and the local filesystem",
  .usage = "[options] [CONTAINER:]SRC_PATH [CONTAINER:]DEST_PATH",
  .options = cp_options,
  .fn = cp_main,
};

static int
cp_cb (int id, const char *arg, void *data)
{
  struct skiff_cp_options *o = data;
  bool ok = true;
  if (id == CP_ARCHIVE)
    o->archive = cli_bool (arg, &ok);
  else if (id == CP_OVERWRITE)
    o->overwrite = cli_bool (arg, &ok);
  else if (id == CP_PAUSE)
    (void) cli_bool (arg, &ok);
  if (!ok)
    return cli_usage_error ("cp", "invalid boolean value \"%s\" for --%s", arg, cp_options[id].name), -1;
  return 0;
}

/* podman's rule: a path starting with "." or "/" is the host's; otherwise CONTAINER:PATH splits at the first
 * colon. */
static void
split_arg (char *arg, const char **ctr, const char **path)
{
  *ctr = NULL;
  *path = arg;
  if (arg[0] == '\0' || arg[0] == '.' || arg[0] == '/')
    return;
  char *colon = strchr (arg, ':');
  if (colon == NULL)
    return;
  *colon = '\0';
  *ctr = arg;
  *path = colon + 1;
}

static int
cp_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct skiff_cp_options o = { .archive = true, .stdin_fd = STDIN_FILENO, .stdout_fd = STDOUT_FILENO };
  /* pflag reads "-a=false" as the short flag with a value: spell it long for getopt */
  cleanup_free char *archive_long = NULL;
  for (int i = 1; i < argc && strcmp (argv[i], "--") != 0; i++)
    if (strncmp (argv[i], "-a=", 3) == 0 && archive_long == NULL)
      {
        archive_long = xasprintf ("--archive=%s", argv[i] + 3);
        argv[i] = archive_long;
      }
  int first = cli_parse (&cli_cp_command, "cp", argc, argv, cp_cb, &o);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  if (argc - first != 2)
    return cli_usage_error ("cp", "accepts 2 arg(s), received %d", argc - first);
  split_arg (argv[first], &o.src_container, &o.src_path);
  split_arg (argv[first + 1], &o.dst_container, &o.dst_path);
  skiff_error_t err = NULL;
  if (o.src_container == NULL && o.dst_container == NULL)
    {
      skiff_error_set (&err, 0, "name or ID cannot be empty");
      return cli_fail (&err);
    }
  if ((o.src_container && !*o.src_container) || (o.dst_container && !*o.dst_container))
    {
      skiff_error_set (&err, 0, "name or ID cannot be empty");
      return cli_fail (&err);
    }
  struct skiff_engine *e;
  if (cli_engine (cli, &e, &err) < 0 || skiff_engine_cp (e, &o, &err) < 0)
    return cli_fail (&err);
  return 0;
}

/* ---- export ---- */

static const struct cli_option export_options[] = {
  { "output", 'o', required_argument, "string",
    "Write to a specified file (default: stdout, which must be redirected)" },
  { 0 },
};

static int export_main (struct skiff_cli *cli, int argc, char **argv);

const struct cli_command cli_export_command = {
  .name = "export",
  .summary = "Export container's filesystem contents as a tar archive",
  .usage = "[options] CONTAINER",
  .options = export_options,
  .fn = export_main,
};

static int
export_cb (int id, const char *arg, void *data)
{
  (void) id;
  *(const char **) data = arg;
  return 0;
}

static int
export_main (struct skiff_cli *cli, int argc, char **argv)
{
  const char *output = NULL;
  int first = cli_parse (&cli_export_command, "export", argc, argv, export_cb, &output);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  if (argc - first != 1)
    return cli_usage_error ("export", "accepts 1 arg(s), received %d", argc - first);
  skiff_error_t err = NULL;
  if (output == NULL && isatty (STDOUT_FILENO))
    {
      skiff_error_set (&err, 0, "refusing to export to terminal. Use -o flag or redirect");
      return cli_fail (&err);
    }
  cleanup_close int fd = -1;
  if (output)
    {
      fd = open (output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
      if (fd < 0)
        {
          skiff_error_set (&err, errno, "create `%s`", output);
          return cli_fail (&err);
        }
    }
  struct skiff_engine *e;
  if (cli_engine (cli, &e, &err) < 0
      || skiff_engine_container_export (e, argv[first], output ? fd : STDOUT_FILENO, &err) < 0)
    return cli_fail (&err);
  return 0;
}

/* ---- mount, unmount ---- */

enum
{
  M_ALL,
  M_FORMAT,
  M_NOTRUNC,
  M_LATEST,
};

static const struct cli_option mount_options[] = {
  [M_ALL] = { "all", 'a', optional_argument, NULL, "Mount all containers" },
  [M_FORMAT] = { "format", 0, required_argument, "string", "Print the mounted containers in specified format (json)" },
  [M_NOTRUNC] = { "no-trunc", 0, optional_argument, NULL, "Do not truncate output" },
  [M_LATEST] = { "latest", 'l', optional_argument, NULL, "Act on the latest container skiff is aware of" },
  { 0 },
};

enum
{
  U_ALL,
  U_FORCE,
  U_LATEST,
};

static const struct cli_option unmount_options[] = {
  [U_ALL] = { "all", 'a', optional_argument, NULL, "Unmount all of the currently mounted containers" },
  [U_FORCE]
  = { "force", 'f', optional_argument, NULL, "Force the complete unmount of the specified mounted containers" },
  [U_LATEST] = { "latest", 'l', optional_argument, NULL, "Act on the latest container skiff is aware of" },
  { 0 },
};

static int mount_main (struct skiff_cli *cli, int argc, char **argv);
static int unmount_main (struct skiff_cli *cli, int argc, char **argv);

const struct cli_command cli_mount_command = {
  .name = "mount",
  .summary = "Mount a working container's root filesystem",
  .usage = "[options] [CONTAINER...]",
  .options = mount_options,
  .fn = mount_main,
};

const struct cli_command cli_unmount_command = {
  .name = "unmount",
  .summary = "Unmount working container's root filesystem",
  .usage = "[options] CONTAINER [CONTAINER...]",
  .options = unmount_options,
  .fn = unmount_main,
  .aliases = { "umount" },
};

struct mount_args
{
  bool all, force, latest;
};

static int
mount_cb (int id, const char *arg, void *data)
{
  struct mount_args *a = data;
  bool ok = true;
  if (id == M_ALL)
    a->all = cli_bool (arg, &ok);
  else if (id == M_LATEST)
    a->latest = cli_bool (arg, &ok);
  return ok ? 0 : -1;
}

static int
unmount_cb (int id, const char *arg, void *data)
{
  struct mount_args *a = data;
  bool ok = true;
  if (id == U_ALL)
    a->all = cli_bool (arg, &ok);
  else if (id == U_FORCE)
    a->force = cli_bool (arg, &ok);
  else if (id == U_LATEST)
    a->latest = cli_bool (arg, &ok);
  return ok ? 0 : -1;
}

/* Rootless, the merged directory exists only in the storage mount namespace: podman asks for unshare. */
static int
require_unshare (struct skiff_cli *cli, const char *name)
{
  if (getenv ("_SKIFF_UNSHARE"))
    {
      /* inside `skiff unshare` we are root of the user namespace: the storage is still the user's */
      if (cli->root == NULL)
        cli->root = getenv ("CONTAINERS_GRAPHROOT");
      if (cli->runroot == NULL)
        cli->runroot = getenv ("CONTAINERS_RUNROOT");
      return 0;
    }
  if (getuid () == 0)
    return 0;
  skiff_error_t err = NULL;
  skiff_error_set (&err, 0, "cannot run command \"skiff %s\" in rootless mode, must execute `skiff unshare` first",
                   name);
  return cli_fail (&err);
}

static int
mount_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct mount_args a = { 0 };
  int first = cli_parse (&cli_mount_command, "mount", argc, argv, mount_cb, &a);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  int r = require_unshare (cli, "mount");
  if (r != 0)
    return r;
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  if (cli_engine_entered (cli, &e, &err) < 0)
    return cli_fail (&err);
  if (first >= argc)
    return 0; /* podman lists the mounted containers; skiff keeps no mount counts, so none is listed */
  for (int i = first; i < argc; i++)
    {
      cleanup_free char *path = NULL;
      if (skiff_engine_container_mount (e, argv[i], &path, &err) < 0)
        return cli_fail (&err);
      printf ("%s\n", path);
    }
  return 0;
}

static int
unmount_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct mount_args a = { 0 };
  int first = cli_parse (&cli_unmount_command, "unmount", argc, argv, unmount_cb, &a);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  if (first >= argc && !a.all && !a.latest)
    return cli_usage_error ("unmount", "container ID must be specified");
  int r = require_unshare (cli, "unmount");
  if (r != 0)
    return r;
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  if (cli_engine_entered (cli, &e, &err) < 0)
    return cli_fail (&err);
  for (int i = first; i < argc; i++)
    {
      struct skiff_container *c = NULL;
      if (skiff_engine_container_lookup (e, argv[i], &c, &err) < 0)
        return cli_fail (&err);
      int rr = skiff_engine_container_unmount (e, c->id, a.force, &err);
      if (rr == 0)
        printf ("%s\n", c->id);
      skiff_container_free (c);
      if (rr < 0)
        return cli_fail (&err);
    }
  return 0;
}
