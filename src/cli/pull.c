/* skiff pull, push, login and logout, and run's --pull: podman's options, messages and progress display over
 * engine/registry.h */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>

#include "cli/cli.h"
#include "engine/registry.h"

#define BAR_WIDTH 30
#define PROGRESS_INTERVAL_NS 100000000ULL

/* ---- progress: podman's lines; on a terminal one line per blob, redrawn in place ----
 * Every line printed since the start counts, so a blob's line is always `lines - its index` rows above the
 * cursor, which stays below the block: a redraw moves up, rewrites the line and moves back down. Blobs
 * downloading in parallel each keep their own line. Off a terminal (or with -q) nothing is redrawn. */

struct blob_line
{
  char digest[80];
  size_t line; /* index among the lines printed */
  uint64_t start_ns, last_ns;
};

struct progress
{
  FILE *out;
  bool tty;
  bool quiet;
  size_t lines; /* printed so far */
  struct blob_line *blobs;
  size_t n_blobs;
  int rows; /* the terminal's height: lines further up cannot be reached */
};

static void
short_id (const char *digest, char out[13])
{
  const char *colon = digest ? strchr (digest, ':') : NULL;
  snprintf (out, 13, "%.12s", colon ? colon + 1 : digest ? digest : "");
}

static void
progress_release (struct progress *p)
{
  free (p->blobs);
  p->blobs = NULL;
  p->n_blobs = 0;
}

static struct blob_line *
blob_find (struct progress *p, const char *digest)
{
  for (size_t i = 0; i < p->n_blobs; i++)
    if (strcmp (p->blobs[i].digest, digest) == 0)
      return &p->blobs[i];
  return NULL;
}

/* "Copying blob 0123456789ab [=====>-----] 1.2MB / 3.4MB | 5.6MB/s" */
static void
bar_text (char *buf, size_t len, const struct blob_line *b, uint64_t done, uint64_t total)
{
  char id[13];
  short_id (b->digest, id);
  cleanup_free char *d = cli_human_size (done);
  uint64_t elapsed = now_ns () - b->start_ns;
  cleanup_free char *rate = cli_human_size (elapsed ? (uint64_t) ((double) done * 1e9 / (double) elapsed) : 0);
  if (total)
    {
      cleanup_free char *t = cli_human_size (total);
      int fill = (int) (done >= total ? BAR_WIDTH : done * BAR_WIDTH / total);
      char b2[BAR_WIDTH + 1];
      memset (b2, '=', (size_t) fill);
      if (fill < BAR_WIDTH)
        {
          b2[fill] = '>';
          memset (b2 + fill + 1, '-', (size_t) (BAR_WIDTH - fill - 1));
        }
      b2[BAR_WIDTH] = '\0';
      snprintf (buf, len, "Copying blob %s [%s] %s / %s | %s/s", id, b2, d, t, rate);
    }
  else
    snprintf (buf, len, "Copying blob %s %s | %s/s", id, d, rate);
}

static void
line_new (struct progress *p, const char *text)
{
  fprintf (p->out, p->tty ? "%s\033[K\n" : "%s\n", text);
  p->lines++;
}

static void
line_redraw (struct progress *p, size_t line, const char *text)
{
  size_t up = p->lines - line;
  if (p->rows > 0 && up >= (size_t) p->rows)
    return; /* scrolled off the screen */
  fprintf (p->out, "\033[%zuA\r%s\033[K\033[%zuB\r", up, text, up);
}

static void
on_progress (void *data, enum skiff_xfer_event ev, const char *digest, uint64_t done, uint64_t total)
{
  struct progress *p = data;
  if (p->quiet)
    return;
  char id[13], text[256];
  short_id (digest, id);
  struct blob_line *b = digest ? blob_find (p, digest) : NULL;
  switch (ev)
    {
    case SKIFF_XFER_SIGNATURES:
      line_new (p, "Getting image source signatures");
      break;
    case SKIFF_XFER_BLOB_START:
      if (!p->tty)
        {
          fprintf (p->out, "Copying blob %s\n", digest);
          break;
        }
      if (b == NULL)
        {
          p->blobs = xrealloc (p->blobs, (p->n_blobs + 1) * sizeof *p->blobs);
          b = &p->blobs[p->n_blobs++];
          memset (b, 0, sizeof *b);
          snprintf (b->digest, sizeof b->digest, "%s", digest);
        }
      b->line = p->lines;
      b->start_ns = b->last_ns = now_ns ();
      bar_text (text, sizeof text, b, 0, total);
      line_new (p, text);
      break;
    case SKIFF_XFER_BLOB_PROGRESS:
      if (p->tty && b && now_ns () - b->last_ns >= PROGRESS_INTERVAL_NS)
        {
          bar_text (text, sizeof text, b, done, total);
          line_redraw (p, b->line, text);
          b->last_ns = now_ns ();
        }
      break;
    case SKIFF_XFER_BLOB_DONE:
      if (p->tty && b)
        {
          snprintf (text, sizeof text, "Copying blob %s done", id);
          line_redraw (p, b->line, text);
        }
      break;
    case SKIFF_XFER_BLOB_SKIPPED:
      if (p->tty)
        {
          snprintf (text, sizeof text, "Copying blob %s skipped: already exists", id);
          line_new (p, text);
        }
      else
        fprintf (p->out, "Copying blob %s\n", digest);
      break;
    case SKIFF_XFER_CONFIG:
      if (p->tty)
        {
          snprintf (text, sizeof text, "Copying config %s done", id);
          line_new (p, text);
        }
      else
        fprintf (p->out, "Copying config %s\n", digest);
      break;
    case SKIFF_XFER_MANIFEST:
      line_new (p, "Writing manifest to image destination");
      break;
    }
  fflush (p->out);
}

static void
progress_init (struct progress *p, bool quiet)
{
  memset (p, 0, sizeof *p);
  p->out = stderr;
  p->quiet = quiet;
  p->tty = isatty (STDERR_FILENO);
  struct winsize ws;
  if (p->tty && ioctl (STDERR_FILENO, TIOCGWINSZ, &ws) == 0)
    p->rows = ws.ws_row;
}

/* ---- shared registry options ---- */

struct reg_args
{
  struct skiff_engine_registry reg;
  bool quiet;
  const char *platform, *arch, *os, *variant;
  const char *digestfile;
  const char *user, *password;
  bool password_stdin;
  bool all;
};

static int
tls_verify (struct reg_args *a, const char *arg)
{
  bool ok;
  a->reg.tls_verify_set = true;
  a->reg.tls_verify = cli_bool (arg, &ok);
  return 0;
}

/* ---- pull ---- */

enum
{
  P_QUIET,
  P_TLS,
  P_CREDS,
  P_AUTHFILE,
  P_CERTDIR,
  P_PLATFORM,
  P_ARCH,
  P_OS,
  P_VARIANT,
};

static const struct cli_option pull_options[] = {
  [P_QUIET] = { "quiet", 'q', optional_argument, NULL, "Suppress output information when pulling images" },
  [P_TLS] = { "tls-verify", 0, optional_argument, NULL,
              "Require HTTPS and verify certificates when contacting registries (default true)" },
  [P_CREDS] = { "creds", 0, required_argument, "[username[:password]]",
                "Credentials (USERNAME:PASSWORD) to use for authenticating to a registry" },
  [P_AUTHFILE] = { "authfile", 0, required_argument, "string",
                   "Path of the authentication file. Use REGISTRY_AUTH_FILE environment variable to override" },
  [P_CERTDIR]
  = { "cert-dir", 0, required_argument, "Pathname", "Use certificates at the specified path to access the registry" },
  [P_PLATFORM] = { "platform", 0, required_argument, "string",
                   "Specify the platform for selecting the image.  (Conflicts with arch and os)" },
  [P_ARCH]
  = { "arch", 0, required_argument, "ARCH", "Use ARCH instead of the architecture of the machine for choosing images" },
  [P_OS] = { "os", 0, required_argument, "OS", "Use OS instead of the running OS for choosing images" },
  [P_VARIANT] = { "variant", 0, required_argument, "string",
                  "Use VARIANT instead of the running architecture variant for choosing images" },
  { 0 },
};

static int pull_main (struct skiff_cli *cli, int argc, char **argv);

const struct cli_command cli_pull_command = {
  .name = "pull",
  .summary = "Pull an image from a registry",
  .usage = "[options] IMAGE [IMAGE...]",
  .options = pull_options,
  .fn = pull_main,
};

static int
pull_cb (int id, const char *arg, void *data)
{
  struct reg_args *a = data;
  bool ok;
  switch (id)
    {
    case P_QUIET:
      a->quiet = cli_bool (arg, &ok);
      break;
    case P_TLS:
      return tls_verify (a, arg);
    case P_CREDS:
      a->reg.creds = arg;
      break;
    case P_AUTHFILE:
      a->reg.authfile = arg;
      break;
    case P_CERTDIR:
      a->reg.cert_dir = arg;
      break;
    case P_PLATFORM:
      a->platform = arg;
      break;
    case P_ARCH:
      a->arch = arg;
      break;
    case P_OS:
      a->os = arg;
      break;
    case P_VARIANT:
      a->variant = arg;
      break;
    }
  return 0;
}

/* podman's lines on stderr while a name is resolved: the short-name resolution, then each candidate tried */
static void
pull_note (void *data, enum skiff_pull_note what, const char *text)
{
  (void) data;
  if (what == SKIFF_PULL_NOTE_TRYING)
    fprintf (stderr, "Trying to pull %s...\n", text);
  else
    fprintf (stderr, "%s\n", text);
}

static int
pull_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct reg_args a = { 0 };
  int first = cli_parse (&cli_pull_command, "pull", argc, argv, pull_cb, &a);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  if (first >= argc)
    return cli_usage_error ("pull", "requires at least 1 arg(s), only received 0");
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  if (cli_engine (cli, &e, &err) < 0)
    return cli_fail (&err);
  for (int i = first; i < argc; i++)
    {
      struct progress p;
      progress_init (&p, a.quiet);
      struct skiff_engine_pull q = { .name = argv[i],
                                     .platform = a.platform,
                                     .os = a.os,
                                     .arch = a.arch,
                                     .variant = a.variant,
                                     .reg = a.reg,
                                     .progress = { on_progress, &p },
                                     .note = a.quiet ? NULL : pull_note };
      cleanup_free char *id = NULL;
      int ret = skiff_engine_pull (e, &q, &id, &err);
      progress_release (&p);
      if (ret < 0)
        return cli_fail (&err);
      printf ("%s\n", id);
    }
  return 0;
}

/* ---- run --pull ---- */

int
cli_run_pull_policy (struct skiff_cli *cli, const char *policy, const char *image, skiff_error_t *err)
{
  struct progress p;
  progress_init (&p, false);
  struct skiff_engine_pull q = { .name = image, .progress = { on_progress, &p }, .note = pull_note };
  struct skiff_engine *e;
  int ret = -1;
  if (cli_engine (cli, &e, err) == 0)
    ret = skiff_engine_pull_policy (e, policy, &q, err);
  progress_release (&p);
  return ret;
}

/* ---- push ---- */

enum
{
  U_QUIET,
  U_TLS,
  U_CREDS,
  U_AUTHFILE,
  U_CERTDIR,
  U_DIGESTFILE,
};

static const struct cli_option push_options[] = {
  [U_QUIET] = { "quiet", 'q', optional_argument, NULL, "Suppress output information when pushing images" },
  [U_TLS] = { "tls-verify", 0, optional_argument, NULL,
              "Require HTTPS and verify certificates when contacting registries (default true)" },
  [U_CREDS] = { "creds", 0, required_argument, "[username[:password]]",
                "Credentials (USERNAME:PASSWORD) to use for authenticating to a registry" },
  [U_AUTHFILE] = { "authfile", 0, required_argument, "string",
                   "Path of the authentication file. Use REGISTRY_AUTH_FILE environment variable to override" },
  [U_CERTDIR]
  = { "cert-dir", 0, required_argument, "Pathname", "Path to a directory containing TLS certificates and keys" },
  [U_DIGESTFILE]
  = { "digestfile", 0, required_argument, "string", "Write the digest of the pushed image to the specified file" },
  { 0 },
};

static int push_main (struct skiff_cli *cli, int argc, char **argv);

const struct cli_command cli_push_command = {
  .name = "push",
  .summary = "Push an image to a specified destination",
  .usage = "[options] IMAGE [DESTINATION]",
  .options = push_options,
  .fn = push_main,
};

static int
push_cb (int id, const char *arg, void *data)
{
  struct reg_args *a = data;
  bool ok;
  switch (id)
    {
    case U_QUIET:
      a->quiet = cli_bool (arg, &ok);
      break;
    case U_TLS:
      return tls_verify (a, arg);
    case U_CREDS:
      a->reg.creds = arg;
      break;
    case U_AUTHFILE:
      a->reg.authfile = arg;
      break;
    case U_CERTDIR:
      a->reg.cert_dir = arg;
      break;
    case U_DIGESTFILE:
      a->digestfile = arg;
      break;
    }
  return 0;
}

static int
push_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct reg_args a = { 0 };
  int first = cli_parse (&cli_push_command, "push", argc, argv, push_cb, &a);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  int nargs = argc - first;
  if (nargs < 1 || nargs > 2)
    return cli_usage_error ("push", "accepts between 1 and 2 arg(s), received %d", nargs);
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  if (cli_engine (cli, &e, &err) < 0)
    return cli_fail (&err);
  struct progress p;
  progress_init (&p, a.quiet);
  struct skiff_engine_push q = { .source = argv[first],
                                 .destination = nargs == 2 ? argv[first + 1] : NULL,
                                 .reg = a.reg,
                                 .progress = { on_progress, &p } };
  cleanup_free char *digest = NULL;
  int pushed = skiff_engine_push (e, &q, &digest, &err);
  progress_release (&p);
  if (pushed < 0)
    return cli_fail (&err);
  if (a.digestfile && write_file_atomic (a.digestfile, digest, strlen (digest), 0644, &err) < 0)
    return cli_fail (&err);
  return 0;
}

/* ---- login / logout ---- */

enum
{
  L_USER,
  L_PASSWORD,
  L_PASSWORD_STDIN,
  L_TLS,
  L_AUTHFILE,
  L_CERTDIR,
  L_GET_LOGIN,
};

static const struct cli_option login_options[] = {
  [L_USER] = { "username", 'u', required_argument, "string", "Username for registry" },
  [L_PASSWORD] = { "password", 'p', required_argument, "string", "Password for registry" },
  [L_PASSWORD_STDIN] = { "password-stdin", 0, optional_argument, NULL, "Take the password from stdin" },
  [L_TLS] = { "tls-verify", 0, optional_argument, NULL,
              "Require HTTPS and verify certificates when contacting registries (default true)" },
  [L_AUTHFILE] = { "authfile", 0, required_argument, "string",
                   "path of the authentication file. Use REGISTRY_AUTH_FILE environment variable to override" },
  [L_CERTDIR]
  = { "cert-dir", 0, required_argument, "string", "use certificates at the specified path to access the registry" },
  [L_GET_LOGIN] = { "get-login", 0, optional_argument, NULL, "Return the current login user for the registry" },
  { 0 },
};

static int login_main (struct skiff_cli *cli, int argc, char **argv);

const struct cli_command cli_login_command = {
  .name = "login",
  .summary = "Log in to a container registry",
  .usage = "[options] [REGISTRY]",
  .options = login_options,
  .fn = login_main,
};

struct login_args
{
  struct reg_args r;
  bool get_login;
};

static int
login_cb (int id, const char *arg, void *data)
{
  struct login_args *l = data;
  struct reg_args *a = &l->r;
  bool ok;
  switch (id)
    {
    case L_USER:
      a->user = arg;
      break;
    case L_PASSWORD:
      a->password = arg;
      break;
    case L_PASSWORD_STDIN:
      a->password_stdin = cli_bool (arg, &ok);
      break;
    case L_TLS:
      return tls_verify (a, arg);
    case L_AUTHFILE:
      a->reg.authfile = arg;
      break;
    case L_CERTDIR:
      a->reg.cert_dir = arg;
      break;
    case L_GET_LOGIN:
      l->get_login = cli_bool (arg, &ok);
      break;
    }
  return 0;
}

/* One line from the terminal, echoed or not. */
static char *
prompt (const char *label, bool echo)
{
  FILE *tty = fopen ("/dev/tty", "r+e");
  FILE *in = tty ? tty : stdin;
  FILE *out = tty ? tty : stderr;
  struct termios saved, t;
  bool restore = false;
  fputs (label, out);
  fflush (out);
  if (!echo && tcgetattr (fileno (in), &saved) == 0)
    {
      t = saved;
      t.c_lflag &= (tcflag_t) ~ECHO;
      restore = tcsetattr (fileno (in), TCSAFLUSH, &t) == 0;
    }
  char *line = NULL;
  size_t cap = 0;
  ssize_t n = getline (&line, &cap, in);
  if (restore)
    {
      tcsetattr (fileno (in), TCSAFLUSH, &saved);
      fputc ('\n', out);
    }
  if (tty)
    fclose (tty);
  if (n < 0)
    {
      free (line);
      return NULL;
    }
  line[strcspn (line, "\r\n")] = '\0';
  return line;
}

static int
login_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct login_args l = { 0 };
  struct reg_args *a = &l.r;
  int first = cli_parse (&cli_login_command, "login", argc, argv, login_cb, &l);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  if (argc - first != 1)
    return cli_usage_error ("login", "accepts at most 1 arg(s), received %d", argc - first);
  skiff_error_t err = NULL;
  cleanup_free char *key = skiff_engine_login_key (argv[first], &err);
  if (key == NULL)
    return cli_fail (&err);
  if (l.get_login)
    {
      cleanup_free char *u = NULL;
      int r = skiff_engine_login_user (a->reg.authfile, key, &u, &err);
      if (r < 0)
        return cli_fail (&err);
      if (r == 0)
        {
          skiff_error_set (&err, 0, "not logged into %s", key);
          return cli_fail (&err);
        }
      printf ("%s\n", u);
      return 0;
    }
  if (a->password && a->password_stdin)
    {
      skiff_error_set (&err, 0, "can't specify both --password-stdin and --password");
      return cli_fail (&err);
    }
  cleanup_free char *user = a->user ? xstrdup (a->user) : NULL;
  cleanup_free char *password = a->password ? xstrdup (a->password) : NULL;
  if (a->password_stdin)
    {
      if (user == NULL)
        {
          skiff_error_set (&err, 0, "must provide --username with --password-stdin");
          return cli_fail (&err);
        }
      size_t cap = 0;
      ssize_t n = getline (&password, &cap, stdin);
      if (n < 0)
        {
          skiff_error_set (&err, 0, "reading the password from stdin: no input");
          return cli_fail (&err);
        }
      password[strcspn (password, "\r\n")] = '\0';
    }
  if (user == NULL || password == NULL)
    {
      if (!isatty (STDIN_FILENO))
        {
          skiff_error_set (&err, 0,
                           "cannot prompt for the %s: stdin is not a terminal: pass --username and "
                           "--password-stdin (or --password)",
                           user ? "password" : "username and password");
          return cli_fail (&err);
        }
      if (user == NULL && (user = prompt ("Username: ", true)) == NULL)
        return cli_fail ((skiff_error_set (&err, 0, "reading the username: no input"), &err));
      if (password == NULL && (password = prompt ("Password: ", false)) == NULL)
        return cli_fail ((skiff_error_set (&err, 0, "reading the password: no input"), &err));
    }
  if (user[0] == '\0')
    return cli_fail ((skiff_error_set (&err, 0, "username can't be empty"), &err));
  if (password[0] == '\0')
    return cli_fail ((skiff_error_set (&err, 0, "password can't be empty"), &err));
  int r = skiff_engine_login (&a->reg, key, user, password, &err);
  explicit_bzero (password, strlen (password));
  if (r < 0)
    return cli_fail (&err);
  printf ("Login Succeeded!\n");
  return 0;
}

enum
{
  O_ALL,
  O_AUTHFILE,
};

static const struct cli_option logout_options[] = {
  [O_ALL]
  = { "all", 'a', optional_argument, NULL, "Remove the cached credentials for all registries in the auth file" },
  [O_AUTHFILE] = { "authfile", 0, required_argument, "string",
                   "path of the authentication file. Use REGISTRY_AUTH_FILE environment variable to override" },
  { 0 },
};

static int logout_main (struct skiff_cli *cli, int argc, char **argv);

const struct cli_command cli_logout_command = {
  .name = "logout",
  .summary = "Log out of a container registry",
  .usage = "[options] [REGISTRY]",
  .options = logout_options,
  .fn = logout_main,
};

static int
logout_cb (int id, const char *arg, void *data)
{
  struct reg_args *a = data;
  bool ok;
  if (id == O_ALL)
    a->all = cli_bool (arg, &ok);
  else if (id == O_AUTHFILE)
    a->reg.authfile = arg;
  return 0;
}

static int
logout_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct reg_args a = { 0 };
  int first = cli_parse (&cli_logout_command, "logout", argc, argv, logout_cb, &a);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  skiff_error_t err = NULL;
  if (a.all)
    {
      if (argc - first != 0)
        return cli_usage_error ("logout", "--all takes no arguments");
      if (skiff_engine_logout (a.reg.authfile, NULL, &err) < 0)
        return cli_fail (&err);
      printf ("Removed login credentials for all registries\n");
      return 0;
    }
  if (argc - first != 1)
    return cli_usage_error ("logout", "accepts at most 1 arg(s), received %d", argc - first);
  cleanup_free char *key = skiff_engine_login_key (argv[first], &err);
  if (key == NULL || skiff_engine_logout (a.reg.authfile, key, &err) < 0)
    return cli_fail (&err);
  printf ("Removed login credentials for %s\n", key);
  return 0;
}
