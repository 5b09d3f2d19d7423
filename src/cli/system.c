/* skiff version, info, system reset, unshare */
#include <fcntl.h>
#include <sys/statvfs.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <seccomp.h>

#include "cli/cli.h"
#include "net/net.h"
#include "format/format.h"
#include "config.h"
#include "runtime/caps.h"
#include "runtime/runtime.h"

const struct cli_command *cli_find_command (const struct cli_command *const *list, const struct cli_command *sub,
                                            const char *name);

static const char *
go_arch (void)
{
  struct utsname u;
  static char m[65];
  if (uname (&u) < 0)
    return "unknown";
  if (strcmp (u.machine, "x86_64") == 0)
    return "amd64";
  if (strcmp (u.machine, "aarch64") == 0)
    return "arm64";
  snprintf (m, sizeof m, "%s", u.machine);
  return m;
}

struct format_args
{
  const char *format;
};

static int
format_cb (int id, const char *arg, void *data)
{
  ((struct format_args *) data)->format = arg;
  return 0;
}

/* ---- version ---- */

static const struct cli_option format_options[] = {
  { "format", 'f', required_argument, "string", "Change the output format to JSON or a Go template" },
  { 0 },
};

static int version_main (struct skiff_cli *cli, int argc, char **argv);

const struct cli_command cli_version_command = {
  .name = "version",
  .summary = "Display the skiff version information",
  .usage = "[options]",
  .options = format_options,
  .fn = version_main,
};

static json_object *
version_json (void)
{
  json_object *c = json_object_new_object ();
  json_object_object_add (c, "APIVersion", json_object_new_string (SKIFF_VERSION));
  json_object_object_add (c, "Version", json_object_new_string (SKIFF_VERSION));
  json_object_object_add (c, "GoVersion", json_object_new_string ("none (C, gnu11)"));
  json_object_object_add (c, "GitCommit", json_object_new_string (SKIFF_GIT_COMMIT));
  json_object_object_add (c, "BuiltTime", json_object_new_string (__DATE__ " " __TIME__));
  json_object_object_add (c, "Built", json_object_new_int64 (0));
  cleanup_free char *osarch = xasprintf ("linux/%s", go_arch ());
  json_object_object_add (c, "OsArch", json_object_new_string (osarch));
  json_object_object_add (c, "Os", json_object_new_string ("linux"));
  return c;
}

static int
version_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct format_args a = { 0 };
  int first = cli_parse (&cli_version_command, "version", argc, argv, format_cb, &a);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  json_object *c = version_json ();
  json_object *root = json_object_new_object ();
  json_object_object_add (root, "Client", c);
  int ret = 0;
  if (a.format)
    {
      json_object *rows = json_object_new_array ();
      json_object_array_add (rows, json_object_get (root));
      ret = cli_print_formatted ("version", a.format, rows, true, NULL, true);
      json_object_put (rows);
    }
  else
    printf ("Client:       skiff\nVersion:      %s\nAPI Version:  %s\nGit Commit:   %s\nBuilt:        %s\n"
            "OS/Arch:      %s\n",
            SKIFF_VERSION, SKIFF_VERSION, SKIFF_GIT_COMMIT,
            json_object_get_string (json_object_object_get (c, "BuiltTime")),
            json_object_get_string (json_object_object_get (c, "OsArch")));
  json_object_put (root);
  return ret;
}

/* ---- info ---- */

static int info_main (struct skiff_cli *cli, int argc, char **argv);

const struct cli_command cli_info_command = {
  .name = "info",
  .summary = "Display skiff related system information",
  .usage = "[options]",
  .options = format_options,
  .fn = info_main,
};

static json_object *
idmap_json (const struct skiff_idrange *r, size_t n)
{
  json_object *a = json_object_new_array ();
  for (size_t i = 0; i < n; i++)
    {
      json_object *o = json_object_new_object ();
      json_object_object_add (o, "container_id", json_object_new_int64 (r[i].inside));
      json_object_object_add (o, "host_id", json_object_new_int64 (r[i].outside));
      json_object_object_add (o, "size", json_object_new_int64 (r[i].count));
      json_object_array_add (a, o);
    }
  return a;
}

static void
os_release (json_object *dist)
{
  cleanup_free char *data = NULL;
  const char *id = "unknown", *ver = "";
  char *save = NULL;
  if (read_file ("/etc/os-release", &data, NULL, NULL) == 0)
    for (char *l = strtok_r (data, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
      {
        char *v = strchr (l, '=');
        if (!v)
          continue;
        *v++ = '\0';
        if (*v == '"')
          {
            v++;
            char *q = strchr (v, '"');
            if (q)
              *q = '\0';
          }
        if (strcmp (l, "ID") == 0)
          id = v;
        else if (strcmp (l, "VERSION_ID") == 0)
          ver = v;
      }
  json_object_object_add (dist, "distribution", json_object_new_string (id));
  json_object_object_add (dist, "version", json_object_new_string (ver));
}

static int
info_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct format_args a = { 0 };
  int first = cli_parse (&cli_info_command, "info", argc, argv, format_cb, &a);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  struct skiff_store *s;
  if (cli_engine (cli, &e, &err) < 0 || skiff_engine_store (e, &s, &err) < 0)
    return cli_fail (&err);
  const char *driver = "unknown";
  if (skiff_store_driver (s, &driver, &err) < 0)
    return cli_fail (&err);

  json_object *host = json_object_new_object ();
  struct utsname u;
  uname (&u);
  struct sysinfo si;
  sysinfo (&si);
  json_object_object_add (host, "arch", json_object_new_string (go_arch ()));
  bool v2 = access ("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0;
  cleanup_free char *controllers = NULL;
  json_object *ctl = json_object_new_array ();
  if (v2 && read_file ("/sys/fs/cgroup/cgroup.controllers", &controllers, NULL, NULL) == 0)
    {
      char *save = NULL;
      for (char *c = strtok_r (controllers, " \n", &save); c; c = strtok_r (NULL, " \n", &save))
        json_object_array_add (ctl, json_object_new_string (c));
    }
  json_object_object_add (host, "cgroupControllers", ctl);
  json_object_object_add (host, "cgroupManager", json_object_new_string ("cgroupfs"));
  json_object_object_add (host, "cgroupVersion", json_object_new_string (v2 ? "v2" : "v1"));
  json_object_object_add (host, "cpus", json_object_new_int ((int) sysconf (_SC_NPROCESSORS_ONLN)));
  json_object *dist = json_object_new_object ();
  os_release (dist);
  json_object_object_add (host, "distribution", dist);
  json_object_object_add (host, "eventLogger", json_object_new_string ("none"));
  json_object_object_add (host, "hostname", json_object_new_string (u.nodename));
  struct skiff_idmap map;
  json_object *idm = json_object_new_object ();
  if (e->rootless && skiff_userns_current_map (&map, NULL) == 0)
    {
      json_object_object_add (idm, "gidmap", idmap_json (map.gid, map.ngid));
      json_object_object_add (idm, "uidmap", idmap_json (map.uid, map.nuid));
    }
  else
    {
      json_object_object_add (idm, "gidmap", NULL);
      json_object_object_add (idm, "uidmap", NULL);
    }
  json_object_object_add (host, "idMappings", idm);
  json_object_object_add (host, "kernel", json_object_new_string (u.release));
  json_object_object_add (host, "memFree", json_object_new_int64 ((int64_t) si.freeram * si.mem_unit));
  json_object_object_add (host, "memTotal", json_object_new_int64 ((int64_t) si.totalram * si.mem_unit));
  json_object *rt = json_object_new_object ();
  json_object_object_add (rt, "name", json_object_new_string ("skiff"));
  json_object_object_add (rt, "package", json_object_new_string ("built in"));
  json_object_object_add (rt, "path", json_object_new_string ("built in"));
  json_object_object_add (rt, "version", json_object_new_string (SKIFF_VERSION));
  json_object_object_add (host, "ociRuntime", rt);
  json_object_object_add (host, "os", json_object_new_string ("linux"));
  json_object_object_add (host, "networkBackend", json_object_new_string ("slirp4netns"));
  cleanup_free char *slirp_version = NULL, *net_problem = NULL;
  skiff_net_describe (&slirp_version, &net_problem);
  json_object *slirp = json_object_new_object ();
  json_object_object_add (slirp, "executable", json_object_new_string ("built in"));
  json_object_object_add (slirp, "package", json_object_new_string ("libslirp0"));
  json_object_object_add (slirp, "version", json_object_new_string (slirp_version ? slirp_version : ""));
  json_object_object_add (slirp, "problem", json_object_new_string (net_problem ? net_problem : ""));
  json_object_object_add (host, "slirp4netns", slirp);
  json_object *sec = json_object_new_object ();
  json_object_object_add (sec, "apparmorEnabled", json_object_new_boolean (0));
  cleanup_strv char **capnames = skiff_caps_to_names (SKIFF_CAPS_DEFAULT);
  cleanup_free char *caplist = xstrdup ("");
  for (size_t i = 0; capnames && capnames[i]; i++)
    {
      char *n = xasprintf ("%s%s%s", caplist, i ? "," : "", capnames[i]);
      free (caplist);
      caplist = n;
    }
  json_object_object_add (sec, "capabilities", json_object_new_string (caplist));
  json_object_object_add (sec, "rootless", json_object_new_boolean (e->rootless));
  json_object_object_add (sec, "seccompEnabled", json_object_new_boolean (1));
  json_object_object_add (sec, "seccompProfilePath", json_object_new_string ("built in"));
  json_object_object_add (sec, "selinuxEnabled", json_object_new_boolean (0));
  json_object_object_add (host, "security", sec);
  json_object_object_add (host, "serviceIsRemote", json_object_new_boolean (0));
  json_object_object_add (host, "swapFree", json_object_new_int64 ((int64_t) si.freeswap * si.mem_unit));
  json_object_object_add (host, "swapTotal", json_object_new_int64 ((int64_t) si.totalswap * si.mem_unit));
  cleanup_free char *uptime = xasprintf ("%ldh %ldm %lds", si.uptime / 3600, (si.uptime / 60) % 60, si.uptime % 60);
  json_object_object_add (host, "uptime", json_object_new_string (uptime));

  json_object *store = json_object_new_object ();
  json_object_object_add (store, "graphDriverName", json_object_new_string (driver));
  json_object_object_add (store, "graphRoot", json_object_new_string (e->root));
  struct statvfs vfs;
  if (statvfs (e->root, &vfs) == 0)
    {
      json_object_object_add (store, "graphRootAllocated",
                              json_object_new_int64 ((int64_t) (vfs.f_blocks * vfs.f_frsize)));
      json_object_object_add (store, "graphRootUsed",
                              json_object_new_int64 ((int64_t) ((vfs.f_blocks - vfs.f_bfree) * vfs.f_frsize)));
    }
  struct skiff_image **imgs = NULL;
  size_t n = 0;
  if (skiff_store_image_list (s, &imgs, &n, NULL) == 0)
    {
      for (size_t i = 0; i < n; i++)
        skiff_image_free (imgs[i]);
      free (imgs);
    }
  json_object *is = json_object_new_object ();
  json_object_object_add (is, "number", json_object_new_int ((int) n));
  json_object_object_add (store, "imageStore", is);
  json_object_object_add (store, "runRoot", json_object_new_string (e->runroot));

  json_object *root = json_object_new_object ();
  json_object_object_add (root, "host", host);
  json_object_object_add (root, "store", store);
  json_object_object_add (root, "version", version_json ());

  if (!v2 && e->rootless)
    log_warning ("cgroups v1 without v2 delegation: resource limits (--memory, --cpus, --pids-limit) cannot be "
                 "applied to rootless containers on this host");
  int ret = 0;
  if (a.format && strcmp (a.format, "yaml") != 0)
    {
      json_object *rows = json_object_new_array ();
      json_object_array_add (rows, json_object_get (root));
      ret = cli_print_formatted ("info", a.format, rows, true, NULL, true);
      json_object_put (rows);
    }
  else
    {
      cleanup_free char *y = skiff_yaml_from_json (root);
      fputs (y, stdout);
    }
  json_object_put (root);
  return ret;
}

/* ---- system ---- */

static const struct cli_option reset_options[] = {
  { "force", 'f', optional_argument, NULL, "Do not prompt for confirmation" },
  { 0 },
};

struct reset_args
{
  bool force;
};

static int
reset_cb (int id, const char *arg, void *data)
{
  bool ok;
  ((struct reset_args *) data)->force = cli_bool (arg, &ok);
  return 0;
}

static int reset_main (struct skiff_cli *cli, int argc, char **argv);
static int system_main (struct skiff_cli *cli, int argc, char **argv);

static const struct cli_command system_subcommands[] = {
  { .name = "reset",
    .summary = "Reset skiff storage",
    .usage = "[options]",
    .options = reset_options,
    .fn = reset_main },
  { .name = "info",
    .summary = "Display skiff related system information",
    .usage = "[options]",
    .options = format_options,
    .fn = info_main },
  { 0 },
};

const struct cli_command cli_system_command = {
  .name = "system",
  .summary = "Manage skiff",
  .usage = "COMMAND",
  .subcommands = system_subcommands,
  .fn = system_main,
};

static int
reset_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct reset_args a = { 0 };
  int first = cli_parse (&system_subcommands[0], "system reset", argc, argv, reset_cb, &a);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  if (cli_engine (cli, &e, &err) < 0)
    return cli_fail (&err);
  if (!a.force)
    {
      printf ("WARNING! This will remove:\n        - all containers\n        - all images\n        - all build "
              "cache\n        - all state in %s and %s\nAre you sure you want to continue? [y/N] ",
              e->root, e->runroot);
      fflush (stdout);
      char answer[16] = "";
      if (fgets (answer, sizeof answer, stdin) == NULL || (answer[0] != 'y' && answer[0] != 'Y'))
        return 0;
    }
  if (skiff_engine_reset (e, &err) < 0)
    return cli_fail (&err);
  return 0;
}

static int
system_main (struct skiff_cli *cli, int argc, char **argv)
{
  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    {
      cli_print_help (&cli_system_command, "system");
      return argc < 2 ? SKIFF_EXIT_ERROR : 0;
    }
  const struct cli_command *c = cli_find_command (NULL, system_subcommands, argv[1]);
  if (c == NULL)
    {
      fprintf (stderr,
               "Error: unrecognized command `skiff system %s`\nTry 'skiff system --help' for more information\n",
               argv[1]);
      return SKIFF_EXIT_ERROR;
    }
  return c->fn (cli, argc - 1, argv + 1);
}

/* ---- unshare ---- */

static const struct cli_option unshare_options[] = { { 0 } };

static int unshare_main (struct skiff_cli *cli, int argc, char **argv);

const struct cli_command cli_unshare_command = {
  .name = "unshare",
  .options_first = true,
  .summary = "Run a command in a modified user namespace",
  .usage = "[options] [COMMAND [ARG...]]",
  .options = unshare_options,
  .fn = unshare_main,
};

static int
nop_cb (int id, const char *arg, void *data)
{
  return 0;
}

static int
unshare_main (struct skiff_cli *cli, int argc, char **argv)
{
  int first = cli_parse (&cli_unshare_command, "unshare", argc, argv, nop_cb, NULL);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  int code = 0;
  if (cli_engine (cli, &e, &err) < 0 || skiff_engine_unshare (e, argv + first, &code, &err) < 0)
    return cli_fail (&err);
  return code;
}
