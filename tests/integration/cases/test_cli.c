/* The command line: images, import, rmi, info, version, unshare, help. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../harness.h"

Test (cli, help_on_every_command)
{
  static const char *const cmds[] = { "run", "import", "images", "rmi", "info", "version", "unshare" };
  for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
    {
      struct it_result r = SKIFF (cmds[i], "--help");
      assert_ok (r);
      cr_assert (strstr (r.out, "Usage:") && strstr (r.out, cmds[i]), "%s: %s", cmds[i], r.out);
      it_result_free (&r);
    }
  struct it_result r = SKIFF ("system", "reset", "--help");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("images", "-h");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("nosuchcommand");
  assert_exit (r, 125);
  it_result_free (&r);
}

Test (cli, import_change_images_rmi)
{
  struct it_result r = SKIFF ("import", "--change", "CMD=[\"echo\",\"from-cmd\"]", "--change", "ENV=GREETING=hello",
                              "--change", "WORKDIR=/srv", it_busybox_tar (), "withcmd:v1");
  assert_ok (r);
  cr_assert_eq (strlen (r.out), 65, "%s", r.out);
  char id[65];
  memcpy (id, r.out, 64);
  id[64] = '\0';
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "withcmd:v1");
  assert_ok (r);
  cr_assert_str_eq (r.out, "from-cmd\n");
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "localhost/withcmd:v1", "sh", "-c", "echo $GREETING $(pwd)");
  assert_ok (r);
  cr_assert_str_eq (r.out, "hello /srv\n");
  it_result_free (&r);
  r = SKIFF ("images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}");
  assert_ok (r);
  char line[256];
  snprintf (line, sizeof line, "localhost/withcmd:v1 %.12s\n", id);
  cr_assert (strstr (r.out, line), "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("images");
  assert_ok (r);
  cr_assert (strstr (r.out, "REPOSITORY") && strstr (r.out, "IMAGE ID") && strstr (r.out, "localhost/withcmd"), "%s",
             r.out);
  it_result_free (&r);
  r = SKIFF ("images", "-q", "--no-trunc", "withcmd:v1");
  assert_ok (r);
  cr_assert (strstr (r.out, id), "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("images", "--format", "json");
  assert_ok (r);
  json_object *j = json_tokener_parse (r.out);
  cr_assert (j && json_object_is_type (j, json_type_array), "%s", r.out);
  json_object_put (j);
  it_result_free (&r);
  r = SKIFF ("rmi", "withcmd:v1");
  assert_ok (r);
  cr_assert (strstr (r.out, "Untagged: localhost/withcmd:v1") && strstr (r.out, "Deleted: "), "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("rmi", "withcmd:v1");
  assert_exit (r, 1);
  cr_assert (strstr (r.err, "image not known"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("rmi", "--ignore", "withcmd:v1");
  assert_ok (r);
  it_result_free (&r);
}

Test (cli, import_from_stdin_and_bad_input)
{
  FILE *f = fopen (it_busybox_tar (), "r");
  cr_assert_not_null (f);
  fclose (f);
  char cmd[1024];
  snprintf (cmd, sizeof cmd, "%s --root=%s/root --runroot=%s/run import - fromstdin < %s > /dev/null",
            getenv ("SKIFF_BINARY"), it_dir (), it_dir (), it_busybox_tar ());
  cr_assert_eq (system (cmd), 0);
  struct it_result r = SKIFF ("run", "--rm", "fromstdin", "echo", "ok");
  assert_ok (r);
  cr_assert_str_eq (r.out, "ok\n");
  it_result_free (&r);
  r = SKIFF ("import", "/nonexistent.tar", "x");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "/nonexistent.tar"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("import", it_busybox_tar (), "Bad Name!");
  assert_exit (r, 125);
  it_result_free (&r);
  r = SKIFF ("import", "--change", "FROBNICATE=1", it_busybox_tar (), "x");
  assert_exit (r, 125);
  it_result_free (&r);
  r = SKIFF ("rmi", "fromstdin");
  assert_ok (r);
  it_result_free (&r);
}

Test (cli, info_and_version)
{
  struct it_result r = SKIFF ("info");
  assert_ok (r);
  cr_assert (strstr (r.out, "host:") && strstr (r.out, "graphDriverName:") && strstr (r.out, "idMappings:"), "%s",
             r.out);
  it_result_free (&r);
  r = SKIFF ("info", "--format", "json");
  assert_ok (r);
  json_object *j = json_tokener_parse (r.out);
  cr_assert_not_null (j, "%s", r.out);
  json_object *host, *sec, *rootless;
  cr_assert (json_object_object_get_ex (j, "host", &host));
  cr_assert (json_object_object_get_ex (host, "security", &sec));
  cr_assert (json_object_object_get_ex (sec, "rootless", &rootless));
  cr_assert (json_object_get_boolean (rootless) == (getuid () != 0));
  json_object_put (j);
  it_result_free (&r);
  r = SKIFF ("info", "--format", "{{.Host.Security.Rootless}} {{.Host.Os}}");
  assert_ok (r);
  cr_assert_str_eq (r.out, getuid () != 0 ? "true linux\n" : "false linux\n");
  it_result_free (&r);
  r = SKIFF ("version", "--format", "{{.Client.Version}}");
  assert_ok (r);
  cr_assert (strlen (r.out) > 1, "%s", r.out);
  /* podman's templates see the local engine as .Server too (its tests build the pause image's name so) */
  struct it_result s = SKIFF ("version", "--format", "{{.Server.Version}}-{{.Server.Built}}");
  assert_ok (s);
  char want[64];
  snprintf (want, sizeof want, "%.*s-0\n", (int) strcspn (r.out, "\n"), r.out);
  cr_assert_str_eq (s.out, want);
  it_result_free (&s);
  it_result_free (&r);
  r = SKIFF ("info", "--format", "{{.Host.Nope");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "template"), "%s", r.err);
  it_result_free (&r);
}

Test (cli, unshare)
{
  struct it_result r = SKIFF ("unshare", "id", "-u");
  assert_ok (r);
  cr_assert_str_eq (r.out, "0\n");
  it_result_free (&r);
  r = SKIFF ("unshare", "sh", "-c", "exit 3");
  assert_exit (r, 3);
  it_result_free (&r);
  /* the storage is there, owned by root inside */
  r = SKIFF ("unshare", "sh", "-c", "stat -c %u \"$CONTAINERS_GRAPHROOT\"");
  assert_ok (r);
  cr_assert_str_eq (r.out, "0\n");
  it_result_free (&r);
}

Test (cli, pause_process_is_reused)
{
  char pidfile[600];
  snprintf (pidfile, sizeof pidfile, "%s/run/pause.pid", it_dir ());
  struct it_result r = SKIFF ("run", "--rm", "busybox", "true");
  assert_ok (r);
  it_result_free (&r);
  FILE *f = fopen (pidfile, "r");
  cr_assert_not_null (f, "no pause.pid");
  int a = 0, b = 0;
  cr_assert_eq (fscanf (f, "%d", &a), 1);
  fclose (f);
  r = SKIFF ("run", "--rm", "busybox", "true");
  assert_ok (r);
  it_result_free (&r);
  f = fopen (pidfile, "r");
  cr_assert_eq (fscanf (f, "%d", &b), 1);
  fclose (f);
  cr_assert_eq (a, b, "the pause process was recreated");
  cr_assert_eq (kill (a, 0), 0, "the pause process is not alive");
}

Test (cli, ps_and_rm)
{
  struct it_result r = SKIFF ("run", "--name", "kept-for-ps", "busybox", "sh", "-c", "exit 3");
  assert_exit (r, 3);
  it_result_free (&r);
  r = SKIFF ("ps", "-a", "--format", "{{.Names}} {{.Status}} {{.Command}}");
  assert_ok (r);
  cr_assert (strstr (r.out, "kept-for-ps Exited (3) "), "%s", r.out);
  cr_assert (strstr (r.out, "sh -c exit 3"), "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("ps");
  assert_ok (r);
  cr_assert (strstr (r.out, "CONTAINER ID") && !strstr (r.out, "kept-for-ps"), "only running ones: %s", r.out);
  it_result_free (&r);
  /* the image is in use: podman's exit code 2 */
  r = SKIFF ("rmi", "busybox");
  assert_exit (r, 2);
  it_result_free (&r);
  r = SKIFF ("rm", "kept-for-ps");
  assert_ok (r);
  cr_assert_str_eq (r.out, "kept-for-ps\n", "the name as given, as podman prints it");
  it_result_free (&r);
  r = SKIFF ("rm", "kept-for-ps");
  assert_exit (r, 1);
  cr_assert (strstr (r.err, "no such container"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("rm", "--ignore", "kept-for-ps");
  assert_ok (r);
  it_result_free (&r);
  /* the name is free again */
  r = SKIFF ("run", "--rm", "--name", "kept-for-ps", "busybox", "true");
  assert_ok (r);
  it_result_free (&r);
}

Test (cli, root_help_lists_the_commands)
{
  struct it_result r = SKIFF ("--help");
  assert_ok (r);
  cr_assert (strstr (r.out, "Available Commands:") && strstr (r.out, "  run ") && strstr (r.out, "  exec ")
                 && strstr (r.out, "  pull "),
             "%s", r.out);
  it_result_free (&r);
}

/* podman's group forms: each container verb skiff has is a `container` verb too, each image one an `image`
 * verb, and `history` is `image history`; a group without a verb prints its help and podman's error */
Test (cli, group_forms)
{
  struct it_result r = SKIFF ("import", it_busybox_tar (), "grp-img");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("container", "create", "--name", "grp-a", "grp-img", "sh", "-c", "echo grouped; exit 4");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("container", "start", "grp-a");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("container", "wait", "grp-a");
  assert_ok (r);
  cr_assert_str_eq (r.out, "4\n");
  it_result_free (&r);
  r = SKIFF ("container", "logs", "grp-a");
  assert_ok (r);
  cr_assert_str_eq (r.out, "grouped\n");
  it_result_free (&r);
  r = SKIFF ("container", "ps", "-a", "--filter", "name=^grp-a$", "--format", "{{.Names}}");
  assert_ok (r);
  cr_assert_str_eq (r.out, "grp-a\n");
  it_result_free (&r);
  r = SKIFF ("container", "rm", "grp-a");
  assert_ok (r);
  it_result_free (&r);

  char archive[4096];
  snprintf (archive, sizeof archive, "%s/grp-img.tar", it_dir ());
  r = SKIFF ("image", "save", "-o", archive, "grp-img");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("image", "rm", "grp-img");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("image", "load", "-i", archive);
  assert_ok (r);
  cr_assert (strstr (r.out, "grp-img"), "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("history", "--format", "{{.CreatedBy}}", "grp-img");
  assert_ok (r);
  it_result_free (&r);

  r = SKIFF ("container", "--help");
  assert_ok (r);
  static const char *const verbs[] = { "attach", "create", "exec", "port", "restart", "start", "stop", "wait" };
  for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
    {
      char line[64];
      snprintf (line, sizeof line, "\n  %-12s ", verbs[i]);
      cr_assert (strstr (r.out, line), "container --help lacks %s:\n%s", verbs[i], r.out);
    }
  it_result_free (&r);
  r = SKIFF ("image");
  assert_exit (r, 125);
  cr_assert (strstr (r.out, "  pull ") && strstr (r.err, "missing command 'skiff image COMMAND'"), "%s%s", r.out,
             r.err);
  it_result_free (&r);
  r = SKIFF ("container", "bogus");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "unrecognized command `skiff container bogus`"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("rmi", "grp-img");
  assert_ok (r);
  it_result_free (&r);
}

/* podman's global options: after the command too (persistent), --noout, --runtime-flag, bad values */
Test (cli, global_options)
{
  struct it_result r = SKIFF ("images", "--log-level", "error", "--events-backend", "file", "--runtime", "crun",
                              "--cgroup-manager", "cgroupfs", "--format", "{{.Repository}}", "busybox");
  assert_ok (r);
  cr_assert_str_eq (r.out, "localhost/busybox\n");
  it_result_free (&r);
  r = SKIFF ("--log-level=bogus", "ps");
  assert_exit (r, 1);
  cr_assert_str_eq (r.err, "Log Level \"bogus\" is not supported, choose from: trace, debug, info, warn, warning, "
                           "error, fatal, panic\n");
  it_result_free (&r);
  r = SKIFF ("ps", "--events-backend", "bogus");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "\"bogus\" is not a valid events backend"), "%s", r.err);
  it_result_free (&r);
  /* --noout: the ID create prints goes nowhere; only before the command, as in podman */
  r = SKIFF ("--noout", "create", "--name", "noout-ctr", "busybox", "true");
  assert_ok (r);
  cr_assert_str_eq (r.out, "");
  it_result_free (&r);
  r = SKIFF ("--noout", "rm", "noout-ctr");
  assert_ok (r);
  cr_assert_str_eq (r.out, "");
  it_result_free (&r);
  r = SKIFF ("ps", "--noout");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "unknown flag: --noout"), "%s", r.err);
  it_result_free (&r);
  /* skiff's runtime takes no flags: running fails as podman's does when runc rejects one */
  r = SKIFF ("--runtime-flag", "invalidflag", "run", "--rm", "busybox", "true");
  assert_exit (r, 126);
  cr_assert (strstr (r.err, "invalidflag"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("--remote", "ps");
  assert_exit (r, 125);
  it_result_free (&r);
  r = SKIFF ("--pri", "ps");
  assert_exit (r, 125);
  cr_assert_str_eq (r.err, "Error: unknown flag: --pri\nSee 'skiff --help'\n");
  it_result_free (&r);
}
