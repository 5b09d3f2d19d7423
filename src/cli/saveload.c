/* skiff save and skiff load: image archives (docker-archive, oci-archive) to and from files or pipes */
#include <fcntl.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "engine/images.h"

static void
progress_to_stderr (const char *line, void *data)
{
  fprintf (stderr, "%s\n", line);
}

/* ---- save ---- */

enum
{
  S_OUTPUT,
  S_FORMAT,
  S_QUIET,
  S_COMPRESS,
  S_MULTI,
  S_UNCOMPRESSED,
};

static const struct cli_option save_options[] = {
  [S_OUTPUT] = { "output", 'o', required_argument, "string",
                 "Write to a specified file (default: stdout, which must be redirected)" },
  [S_FORMAT] = { "format", 0, required_argument, "string",
                 "Save image to oci-archive or docker-archive (default \"docker-archive\")" },
  [S_QUIET] = { "quiet", 'q', optional_argument, NULL, "Suppress the output" },
  [S_COMPRESS]
  = { "compress", 0, optional_argument, NULL,
      "Compress tarball image layers when saving to a directory using the 'dir' transport. (default is same compression type as source)" },
  [S_MULTI]
  = { "multi-image-archive", 'm', optional_argument, NULL,
      "Interpret additional arguments as images not tags and create a multi-image-archive (only for docker-archive)" },
  [S_UNCOMPRESSED]
  = { "uncompressed", 0, optional_argument, NULL, "Accept uncompressed layers when copying OCI images" },
  { 0 },
};

static int save_main (struct skiff_cli *cli, int argc, char **argv);

const struct cli_command cli_save_command = {
  .name = "save",
  .summary = "Save image(s) to an archive",
  .usage = "[options] IMAGE [IMAGE...]",
  .options = save_options,
  .fn = save_main,
};

struct save_args
{
  const char *output;
  const char *format;
  bool quiet;
  bool compress;
};

static int
save_cb (int id, const char *arg, void *data)
{
  struct save_args *a = data;
  bool ok = true;
  if (id == S_OUTPUT)
    a->output = arg;
  else if (id == S_FORMAT)
    a->format = arg;
  else if (id == S_QUIET)
    a->quiet = cli_bool (arg, &ok);
  else if (id == S_COMPRESS)
    a->compress = cli_bool (arg, &ok);
  return 0;
}

static int
save_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct save_args a = { 0 };
  int first = cli_parse (&cli_save_command, "save", argc, argv, save_cb, &a);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  if (first >= argc)
    return cli_usage_error ("save", "requires at least 1 arg(s), only received 0");
  skiff_error_t err = NULL;
  struct skiff_engine_save q = { .refs = argv + first, .format = a.format, .compress = a.compress, .output = a.output };
  if (a.output == NULL && isatty (STDOUT_FILENO))
    {
      skiff_error_set (&err, 0, "refusing to save to terminal. Use -o flag or redirect");
      return cli_fail (&err);
    }
  /* to stdout, as podman: the archive is the output, so no progress */
  cleanup_close int fd = a.output ? -1 : dup (STDOUT_FILENO);
  q.fd = fd;
  if (a.output == NULL)
    a.quiet = true;
  q.progress.fn = a.quiet ? NULL : progress_to_stderr;
  struct skiff_engine *e;
  if (cli_engine (cli, &e, &err) < 0 || skiff_engine_image_save (e, &q, &err) < 0)
    return cli_fail (&err);
  return 0;
}

/* ---- load ---- */

enum
{
  LD_INPUT,
  LD_QUIET,
};

static const struct cli_option load_options[] = {
  [LD_INPUT] = { "input", 'i', required_argument, "string", "Read from specified archive file (default: stdin)" },
  [LD_QUIET] = { "quiet", 'q', optional_argument, NULL, "Suppress the output" },
  { 0 },
};

static int load_main (struct skiff_cli *cli, int argc, char **argv);

const struct cli_command cli_load_command = {
  .name = "load",
  .summary = "Load image(s) from a tar archive",
  .usage = "[options]",
  .options = load_options,
  .fn = load_main,
};

struct load_args
{
  const char *input;
  bool quiet;
};

static int
load_cb (int id, const char *arg, void *data)
{
  struct load_args *a = data;
  bool ok = true;
  if (id == LD_INPUT)
    a->input = arg;
  else if (id == LD_QUIET)
    a->quiet = cli_bool (arg, &ok);
  return 0;
}

static int
load_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct load_args a = { 0 };
  int first = cli_parse (&cli_load_command, "load", argc, argv, load_cb, &a);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  if (first < argc)
    return cli_usage_error ("load", "accepts 0 arg(s), received %d", argc - first);
  skiff_error_t err = NULL;
  cleanup_close int fd = -1;
  if (a.input && strcmp (a.input, "-") != 0)
    {
      fd = open (a.input, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        {
          skiff_error_set (&err, errno, "open `%s`", a.input);
          return cli_fail (&err);
        }
      struct stat st;
      if (fstat (fd, &st) == 0 && S_ISDIR (st.st_mode))
        {
          skiff_error_set (&err, 0, "`%s` is a directory: load reads an archive (docker-archive or oci-archive)",
                           a.input);
          return cli_fail (&err);
        }
    }
  else
    {
      if (isatty (STDIN_FILENO))
        {
          skiff_error_set (&err, 0, "cannot read from terminal, use command-line redirection or the --input flag");
          return cli_fail (&err);
        }
      fd = dup (STDIN_FILENO);
    }
  struct skiff_archive_progress prog = { .fn = a.quiet ? NULL : progress_to_stderr };
  struct skiff_engine *e;
  cleanup_strv char **loaded = NULL;
  if (cli_engine (cli, &e, &err) < 0 || skiff_engine_image_load (e, fd, &loaded, &prog, &err) < 0)
    return cli_fail (&err);
  for (size_t i = 0; loaded && loaded[i]; i++)
    printf ("Loaded image: %s\n", loaded[i]);
  return 0;
}
