/* image inspect, history, tag, untag, exists, prune and run --pull, in a private store (prune -a must not
 * touch the shared busybox other tests use). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../harness.h"

#define REGISTRY_BIN "/usr/bin/docker-registry"

static char root[512], run[512];

static struct it_result
img_env (char *const *env, const char *stdin_data, const char *const *args)
{
  return it_skiff_in (root, run, stdin_data, env, args);
}
#define IMG(...) img_env (NULL, NULL, (const char *const[]){ __VA_ARGS__, NULL })

static void
setup_store (void)
{
  snprintf (root, sizeof root, "%s/images-root", it_dir ());
  snprintf (run, sizeof run, "%s/images-run", it_dir ());
}

static void
reset_store (void)
{
  struct it_result r = IMG ("system", "reset", "--force");
  it_result_free (&r);
}

/* import the busybox tarball as name; returns the 64-hex ID (static buffer) */
static const char *
import_as (const char *name)
{
  static char id[65];
  struct it_result r = name ? IMG ("import", it_busybox_tar (), name) : IMG ("import", it_busybox_tar ());
  assert_ok (r);
  cr_assert_eq (strlen (r.out), 65, "%s", r.out);
  memcpy (id, r.out, 64);
  id[64] = '\0';
  it_result_free (&r);
  return id;
}

TestSuite (images, .init = setup_store, .fini = reset_store);

Test (images, inspect_json_and_format)
{
  struct it_result r = IMG ("import", "--change", "CMD=[\"sh\"]", "--change", "LABEL=a=b", "--change", "ENV=X=1",
                            it_busybox_tar (), "insp:v1");
  assert_ok (r);
  char id[65];
  memcpy (id, r.out, 64);
  id[64] = '\0';
  it_result_free (&r);
  r = IMG ("image", "inspect", "insp:v1");
  assert_ok (r);
  /* podman's (Go's) indentation: five spaces */
  cr_assert (strncmp (r.out, "[\n     {\n          \"Id\": ", 25) == 0, "%s", r.out);
  json_object *j = json_tokener_parse (r.out);
  cr_assert (j && json_object_is_type (j, json_type_array) && json_object_array_length (j) == 1, "%s", r.out);
  json_object *o = json_object_array_get_idx (j, 0), *v;
  static const char *const keys[]
      = { "Id",      "Digest",      "RepoTags",     "RepoDigests", "Parent",  "Comment",     "Created",     "Config",
          "Version", "Author",      "Architecture", "Os",          "Size",    "VirtualSize", "GraphDriver", "RootFS",
          "Labels",  "Annotations", "ManifestType", "User",        "History", "NamesHistory" };
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
    cr_assert (json_object_object_get_ex (o, keys[i], NULL), "missing %s: %s", keys[i], r.out);
  cr_assert_str_eq (json_object_get_string (json_object_object_get (o, "Id")), id);
  v = json_object_object_get (o, "RepoTags");
  cr_assert_str_eq (json_object_get_string (json_object_array_get_idx (v, 0)), "localhost/insp:v1");
  v = json_object_object_get (json_object_object_get (o, "Config"), "Cmd");
  cr_assert_str_eq (json_object_get_string (json_object_array_get_idx (v, 0)), "sh");
  v = json_object_object_get (json_object_object_get (o, "Labels"), "a");
  cr_assert_str_eq (json_object_get_string (v), "b");
  v = json_object_object_get (o, "RootFS");
  cr_assert_str_eq (json_object_get_string (json_object_object_get (v, "Type")), "layers");
  cr_assert (strncmp (json_object_get_string (json_object_array_get_idx (json_object_object_get (v, "Layers"), 0)),
                      "sha256:", 7)
             == 0);
  cr_assert (json_object_get_int64 (json_object_object_get (o, "Size")) > 0);
  json_object_put (j);
  it_result_free (&r);

  r = IMG ("image", "inspect", "--format", "{{.Id}} {{.Config.Env}} {{index .RepoTags 0}}", "insp:v1");
  assert_ok (r);
  char want[256];
  snprintf (want, sizeof want, "%s [X=1] localhost/insp:v1\n", id);
  cr_assert_str_eq (r.out, want);
  it_result_free (&r);

  r = IMG ("image", "inspect", "no-such-image");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "Error: no such image: no-such-image"), "%s", r.err);
  it_result_free (&r);

  /* inspect finds images too (podman); the last --format wins; --type narrows */
  r = IMG ("inspect", "--format", "{{.XYZ}}", "--format", "{{.Id}}", "insp:v1");
  assert_ok (r);
  snprintf (want, sizeof want, "%s\n", id);
  cr_assert_str_eq (r.out, want);
  it_result_free (&r);
  r = IMG ("inspect", "--type", "image", "--format", "{{.ID}}", id);
  assert_ok (r);
  cr_assert_str_eq (r.out, want);
  it_result_free (&r);
  r = IMG ("inspect", "--type", "container", "insp:v1");
  assert_exit (r, 125);
  it_result_free (&r);
  r = IMG ("inspect", "no-such-thing");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "Error: no such object: \"no-such-thing\""), "%s", r.err);
  it_result_free (&r);
}

/* images: podman's order (newest first, or --sort), .Labels, --no-trunc's sha256: */
Test (images, list_sort_labels_notrunc)
{
  struct it_result r = IMG ("import", "--change", "LABEL=k=first", it_busybox_tar (), "zz/older:v1");
  assert_ok (r);
  it_result_free (&r);
  sleep (1);
  r = IMG ("import", "--change", "LABEL=k=second", it_busybox_tar (), "aa/newer:v1");
  assert_ok (r);
  it_result_free (&r);
  r = IMG ("images", "--format", "{{.Repository}} {{.Labels.k}}");
  assert_ok (r);
  cr_assert_str_eq (r.out, "localhost/aa/newer second\nlocalhost/zz/older first\n");
  it_result_free (&r);
  r = IMG ("images", "--sort", "repository", "--format", "{{.Repository}}");
  assert_ok (r);
  cr_assert_str_eq (r.out, "localhost/aa/newer\nlocalhost/zz/older\n");
  it_result_free (&r);
  r = IMG ("tag", "zz/older:v1", "zz/older:a0");
  assert_ok (r);
  it_result_free (&r);
  r = IMG ("images", "--sort", "tag", "--format", "{{.Repository}}:{{.Tag}}");
  assert_ok (r);
  cr_assert_str_eq (r.out, "localhost/zz/older:a0\nlocalhost/aa/newer:v1\nlocalhost/zz/older:v1\n");
  it_result_free (&r);
  r = IMG ("images", "--sort", "bogus");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "\"bogus\" is not a valid field for sorting"), "%s", r.err);
  it_result_free (&r);
  r = IMG ("images", "--no-trunc", "--format", "{{.ID}}", "aa/newer:v1");
  assert_ok (r);
  cr_assert (strncmp (r.out, "sha256:", 7) == 0 && strlen (r.out) == 7 + 64 + 1, "%s", r.out);
  it_result_free (&r);
}

Test (images, history)
{
  const char *id = import_as ("hist:v1");
  struct it_result r = IMG ("image", "history", "hist:v1");
  assert_ok (r);
  cr_assert (strncmp (r.out, "ID", 2) == 0 && strstr (r.out, "CREATED BY") && strstr (r.out, "COMMENT"), "%s", r.out);
  char shortid[13];
  snprintf (shortid, sizeof shortid, "%.12s", id);
  cr_assert (strstr (r.out, shortid) && strstr (r.out, "imported from tarball"), "%s", r.out);
  it_result_free (&r);
  r = IMG ("image", "history", "-q", "--no-trunc", "hist:v1");
  assert_ok (r);
  char line[80];
  snprintf (line, sizeof line, "%s\n", id);
  cr_assert_str_eq (r.out, line);
  it_result_free (&r);
  r = IMG ("image", "history", "--format", "json", "hist:v1");
  assert_ok (r);
  json_object *j = json_tokener_parse (r.out);
  cr_assert (j && json_object_array_length (j) == 1, "%s", r.out);
  cr_assert_str_eq (json_object_get_string (json_object_object_get (json_object_array_get_idx (j, 0), "id")), id);
  json_object_put (j);
  it_result_free (&r);
  r = IMG ("image", "history", "nope");
  assert_exit (r, 125);
  it_result_free (&r);
}

Test (images, tag_untag_exists)
{
  const char *id = import_as ("tagme:v1");
  struct it_result r = IMG ("tag", "tagme:v1", "tagme:v2", "quay.io/ns/tagme:v3");
  assert_ok (r);
  cr_assert_str_eq (r.out, "");
  it_result_free (&r);
  r = IMG ("image", "inspect", "--format", "{{.RepoTags}}", id);
  assert_ok (r);
  cr_assert_str_eq (r.out, "[localhost/tagme:v1 localhost/tagme:v2 quay.io/ns/tagme:v3]\n");
  it_result_free (&r);
  r = IMG ("image", "exists", "quay.io/ns/tagme:v3");
  assert_ok (r);
  cr_assert_str_eq (r.out, "");
  it_result_free (&r);
  r = IMG ("image", "untag", "tagme:v1", "quay.io/ns/tagme:v3", "tagme:v2");
  assert_ok (r);
  it_result_free (&r);
  r = IMG ("image", "exists", "quay.io/ns/tagme:v3");
  assert_exit (r, 1);
  cr_assert_str_eq (r.out, "");
  cr_assert_str_eq (r.err, "");
  it_result_free (&r);
  r = IMG ("image", "exists", "tagme:v1");
  assert_ok (r);
  it_result_free (&r);
  r = IMG ("untag", "tagme:v1", "not-a-tag");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "localhost/not-a-tag:latest: tag not known"), "%s", r.err);
  it_result_free (&r);
  r = IMG ("image", "tag", "no-such", "x");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "no-such: image not known"), "%s", r.err);
  it_result_free (&r);
  r = IMG ("tag", "tagme:v1");
  assert_exit (r, 125);
  it_result_free (&r);
}

/* the image's ID from `images -q --no-trunc`, one per line, without podman's "sha256:" (caller frees) */
static char *
image_ids (void)
{
  struct it_result r = IMG ("images", "-q", "--no-trunc");
  assert_ok (r);
  char *ids = calloc (1, strlen (r.out) + 1), *w = ids;
  for (const char *line = r.out; *line; line += strcspn (line, "\n") + (line[strcspn (line, "\n")] != '\0'))
    {
      cr_assert (strncmp (line, "sha256:", 7) == 0, "%s", r.out);
      size_t len = strcspn (line + 7, "\n");
      memcpy (w, line + 7, len);
      w += len;
      *w++ = '\n';
    }
  it_result_free (&r);
  return ids;
}

Test (images, untag_last_name_keeps_image)
{
  const char *id = import_as ("lastname:v1");
  char idcopy[65];
  strcpy (idcopy, id);
  struct it_result r = IMG ("untag", "lastname:v1");
  assert_ok (r);
  cr_assert_str_eq (r.out, "");
  it_result_free (&r);
  r = IMG ("images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}");
  assert_ok (r);
  char want[128];
  snprintf (want, sizeof want, "<none>:<none> %.12s\n", idcopy);
  cr_assert_str_eq (r.out, want);
  it_result_free (&r);
  r = IMG ("image", "exists", "lastname:v1");
  assert_exit (r, 1);
  it_result_free (&r);
  r = IMG ("image", "exists", idcopy);
  assert_ok (r);
  it_result_free (&r);
  r = IMG ("rmi", idcopy);
  assert_ok (r);
  snprintf (want, sizeof want, "Deleted: %s\n", idcopy);
  cr_assert_str_eq (r.out, want);
  it_result_free (&r);
  /* every name at once, and a name given twice */
  strcpy (idcopy, import_as ("lastname:v1"));
  snprintf (want, sizeof want, "<none>:<none> %.12s\n", idcopy);
  r = IMG ("tag", "lastname:v1", "lastname:v2");
  assert_ok (r);
  it_result_free (&r);
  r = IMG ("image", "untag", idcopy, "lastname:v2", "lastname:v1", "lastname:v2");
  assert_ok (r);
  it_result_free (&r);
  r = IMG ("images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}");
  assert_ok (r);
  cr_assert_str_eq (r.out, want);
  it_result_free (&r);
  r = IMG ("rmi", idcopy);
  assert_ok (r);
  snprintf (want, sizeof want, "Deleted: %s\n", idcopy);
  cr_assert_str_eq (r.out, want);
  it_result_free (&r);
}

Test (images, rmi_in_use_force_all_and_unknown)
{
  struct it_result r = IMG ("rmi", "nope");
  assert_exit (r, 1);
  cr_assert_str_eq (r.err, "Error: nope: image not known\n");
  it_result_free (&r);
  /* --force: a missing image is no error (podman) */
  r = IMG ("image", "rm", "--force", "nope");
  assert_ok (r);
  cr_assert_str_eq (r.out, "");
  cr_assert_str_eq (r.err, "");
  it_result_free (&r);

  char id[65];
  strcpy (id, import_as ("inuse:v1"));
  r = IMG ("create", "--name", "rmi-user", "inuse:v1", "true");
  assert_ok (r);
  char ctr[65];
  cr_assert_eq (strlen (r.out), 65, "%s", r.out);
  memcpy (ctr, r.out, 64);
  ctr[64] = '\0';
  it_result_free (&r);
  /* in use: podman's message naming the container, exit 2, nothing removed */
  r = IMG ("rmi", "inuse:v1");
  assert_exit (r, 2);
  char want[400];
  snprintf (want, sizeof want,
            "Error: image used by %s: image is in use by a container: consider listing external containers and "
            "force-removing image\n",
            ctr);
  cr_assert_str_eq (r.err, want);
  it_result_free (&r);
  r = IMG ("rmi", id);
  assert_exit (r, 2);
  it_result_free (&r);
  r = IMG ("image", "exists", "inuse:v1");
  assert_ok (r);
  it_result_free (&r);
  /* rmi -a stops at it too, and removes the rest */
  r = IMG ("import", "--change", "ENV=OTHER=1", it_busybox_tar (), "other:v1");
  assert_ok (r);
  it_result_free (&r);
  r = IMG ("tag", "other:v1", "other:v2");
  assert_ok (r);
  it_result_free (&r);
  r = IMG ("rmi", "-a");
  assert_exit (r, 2);
  cr_assert (strstr (r.out, "Untagged: localhost/other:v1\n") && strstr (r.out, "Untagged: localhost/other:v2\n"), "%s",
             r.out);
  cr_assert (strstr (r.err, want), "%s", r.err);
  it_result_free (&r);
  char *ids = image_ids ();
  snprintf (want, sizeof want, "%s\n", id);
  cr_assert_str_eq (ids, want);
  free (ids);
  /* -f removes the container with the image */
  r = IMG ("rmi", "-f", "inuse:v1");
  assert_ok (r);
  snprintf (want, sizeof want, "Untagged: localhost/inuse:v1\nDeleted: %s\n", id);
  cr_assert_str_eq (r.out, want);
  it_result_free (&r);
  r = IMG ("container", "exists", "rmi-user");
  assert_exit (r, 1);
  it_result_free (&r);
  r = IMG ("ps", "-a", "-q");
  assert_ok (r);
  cr_assert_str_eq (r.out, "");
  it_result_free (&r);
  ids = image_ids ();
  cr_assert_str_eq (ids, "");
  free (ids);
  /* rmi -a on an empty store */
  r = IMG ("rmi", "-a");
  assert_ok (r);
  cr_assert_str_eq (r.out, "");
  it_result_free (&r);
}

Test (images, prune)
{
  const char *kept = import_as ("keep:v1");
  char keep_id[65];
  strcpy (keep_id, kept);
  /* a dangling image: imported without a name */
  char dangling[65];
  strcpy (dangling, import_as (NULL));
  /* no -f and no answer: podman reads EOF and fails; nothing removed */
  struct it_result r = IMG ("image", "prune");
  assert_exit (r, 125);
  cr_assert (strstr (r.out, "WARNING! This command removes all dangling images."), "%s", r.out);
  it_result_free (&r);
  r = img_env (NULL, "n\n", (const char *const[]){ "image", "prune", NULL });
  assert_ok (r);
  it_result_free (&r);
  r = IMG ("image", "exists", dangling);
  assert_ok (r);
  it_result_free (&r);
  r = IMG ("image", "prune", "-f");
  assert_ok (r);
  char want[80];
  snprintf (want, sizeof want, "%s\n", dangling);
  cr_assert_str_eq (r.out, want);
  it_result_free (&r);
  r = IMG ("image", "exists", dangling);
  assert_exit (r, 1);
  it_result_free (&r);
  /* -a: an image a container uses stays */
  r = IMG ("run", "--name", "user-of-keep", "keep:v1", "true");
  assert_ok (r);
  it_result_free (&r);
  const char *other = import_as ("unused:v1");
  char other_id[65];
  strcpy (other_id, other);
  r = img_env (NULL, "y\n", (const char *const[]){ "image", "prune", "-a", NULL });
  assert_ok (r);
  cr_assert (strstr (r.out, other_id) && !strstr (r.out, keep_id), "%s", r.out);
  it_result_free (&r);
  r = IMG ("image", "exists", "keep:v1");
  assert_ok (r);
  it_result_free (&r);
  r = IMG ("image", "exists", "unused:v1");
  assert_exit (r, 1);
  it_result_free (&r);
  r = IMG ("rm", "user-of-keep");
  assert_ok (r);
  it_result_free (&r);
}

Test (images, run_pull_never_and_missing_local)
{
  import_as ("local:v1");
  struct it_result r = IMG ("run", "--rm", "--pull=never", "nosuch:v9", "true");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "Error: nosuch:v9: image not known"), "%s", r.err);
  it_result_free (&r);
  /* present image, default policy: no pull, no registry messages */
  r = IMG ("run", "--rm", "local:v1", "echo", "ok");
  assert_ok (r);
  cr_assert_str_eq (r.out, "ok\n");
  cr_assert (!strstr (r.err, "Trying to pull"), "%s", r.err);
  it_result_free (&r);
  r = IMG ("run", "--rm", "--pull", "never", "local:v1", "echo", "ok");
  assert_ok (r);
  it_result_free (&r);
  r = IMG ("run", "--rm", "--pull=sometimes", "local:v1", "true");
  assert_exit (r, 125);
  it_result_free (&r);
}

/* ---- run --pull against a local registry ---- */

static pid_t reg_pid;
static char reg_dir[600];

static void
stop_registry (void)
{
  if (reg_pid > 0)
    {
      kill (reg_pid, SIGTERM);
      waitpid (reg_pid, NULL, 0);
      reg_pid = 0;
    }
  if (reg_dir[0])
    {
      char cmd[700];
      snprintf (cmd, sizeof cmd, "rm -rf '%s'", reg_dir);
      if (system (cmd) != 0)
        fprintf (stderr, "could not remove %s\n", reg_dir);
    }
  reset_store ();
}

Test (images, run_pull_policies_from_registry, .fini = stop_registry)
{
  if (access (REGISTRY_BIN, X_OK) != 0)
    cr_skip_test ("%s is missing: apt-get install docker-registry (contrib/install-deps.sh)", REGISTRY_BIN);
  snprintf (reg_dir, sizeof reg_dir, "%s/img-registry-XXXXXX", it_dir ());
  cr_assert (mkdtemp (reg_dir));
  int port = it_free_port ();
  char addr[64], cfg[1024], path[700], conf[700], confenv[800];
  snprintf (addr, sizeof addr, "127.0.0.1:%d", port);
  snprintf (cfg, sizeof cfg,
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    "
            "rootdirectory: %s/data\nhttp:\n  addr: %s\n",
            reg_dir, addr);
  snprintf (path, sizeof path, "%s/config.yml", reg_dir);
  it_write_text (path, cfg);
  /* the registry is plain HTTP: registries.conf marks it insecure (run has no --tls-verify here) */
  snprintf (conf, sizeof conf, "%s/registries.conf", reg_dir);
  snprintf (cfg, sizeof cfg,
            "unqualified-search-registries = [\"%s\"]\n[[registry]]\nlocation = \"%s\"\ninsecure = true\n"
            "[aliases]\n\"shorty\" = \"%s/it/pullme\"\n"
            "[[registry]]\nprefix = \"quay.example/it\"\nlocation = \"%s/it\"\ninsecure = true\n",
            addr, addr, addr, addr);
  it_write_text (conf, cfg);
  snprintf (confenv, sizeof confenv, "CONTAINERS_REGISTRIES_CONF=%s", conf);
  char *const env[] = { confenv, NULL };
  reg_pid = fork ();
  cr_assert (reg_pid >= 0);
  if (reg_pid == 0)
    {
      int fd = open ("/dev/null", O_WRONLY);
      dup2 (fd, 1);
      dup2 (fd, 2);
      setpgid (0, 0);
      execl (REGISTRY_BIN, REGISTRY_BIN, "serve", path, (char *) NULL);
      _exit (127);
    }
  for (int i = 0; i < 200 && !it_port_open (port); i++)
    {
      struct timespec ts = { 0, 50 * 1000 * 1000 };
      nanosleep (&ts, NULL);
    }
  cr_assert (it_port_open (port), "the registry did not start on %s", addr);

  char ref[128];
  snprintf (ref, sizeof ref, "%s/it/pullme:v1", addr);
  import_as ("pullme:v1");
  struct it_result r = img_env (env, NULL, (const char *const[]){ "push", "pullme:v1", ref, NULL });
  assert_ok (r);
  it_result_free (&r);
  r = IMG ("rmi", "-f", "pullme:v1");
  assert_ok (r);
  it_result_free (&r);
  r = IMG ("image", "exists", ref);
  assert_exit (r, 1);
  it_result_free (&r);

  /* never: missing stays missing */
  r = img_env (env, NULL, (const char *const[]){ "run", "--rm", "--pull=never", ref, "true", NULL });
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "image not known"), "%s", r.err);
  it_result_free (&r);
  /* missing (the default): pulled, then run */
  r = img_env (env, NULL, (const char *const[]){ "run", "--rm", ref, "echo", "pulled", NULL });
  assert_ok (r);
  cr_assert_str_eq (r.out, "pulled\n");
  cr_assert (strstr (r.err, "Trying to pull") && strstr (r.err, "Writing manifest to image destination"), "%s", r.err);
  it_result_free (&r);
  r = IMG ("image", "exists", ref);
  assert_ok (r);
  it_result_free (&r);
  /* present now: missing does not contact the registry */
  r = img_env (env, NULL, (const char *const[]){ "run", "--rm", ref, "true", NULL });
  assert_ok (r);
  cr_assert (!strstr (r.err, "Trying to pull"), "%s", r.err);
  it_result_free (&r);
  /* always: pulls even when present */
  r = img_env (env, NULL, (const char *const[]){ "run", "--rm", "--pull=always", ref, "true", NULL });
  assert_ok (r);
  cr_assert (strstr (r.err, "Trying to pull"), "%s", r.err);
  it_result_free (&r);
  /* newer, the registry's manifest is the local one: nothing is pulled */
  r = img_env (env, NULL, (const char *const[]){ "run", "--rm", "--pull=newer", ref, "true", NULL });
  assert_ok (r);
  cr_assert (!strstr (r.err, "Trying to pull") && !strstr (r.err, "Copying"), "%s", r.err);
  it_result_free (&r);
  /* a short name: pull says how it was resolved, before trying the candidate, and the alias finds it locally */
  r = IMG ("rmi", "-f", ref);
  assert_ok (r);
  it_result_free (&r);
  char trying[200];
  snprintf (trying, sizeof trying, "Trying to pull %s...", ref);
  r = img_env (env, NULL, (const char *const[]){ "pull", "shorty:v1", NULL });
  assert_ok (r);
  cr_assert (strstr (r.err, "Resolved \"shorty\" as an alias (") && strstr (r.err, trying), "%s", r.err);
  cr_assert (strstr (r.err, "Resolved") < strstr (r.err, "Trying"), "%s", r.err);
  it_result_free (&r);
  r = img_env (env, NULL, (const char *const[]){ "image", "exists", "shorty:v1", NULL });
  assert_ok (r);
  it_result_free (&r);
  r = img_env (env, NULL, (const char *const[]){ "pull", "-q", "shorty:v1", NULL });
  assert_ok (r);
  cr_assert (!strstr (r.err, "Resolved") && !strstr (r.err, "Trying"), "-q: %s", r.err);
  it_result_free (&r);
  /* run --pull and pull resolve a short name the same way and say so in the same words */
  r = IMG ("rmi", "-f", ref);
  assert_ok (r);
  it_result_free (&r);
  r = img_env (env, NULL, (const char *const[]){ "run", "--rm", "it/pullme:v1", "echo", "searched", NULL });
  assert_ok (r);
  cr_assert_str_eq (r.out, "searched\n");
  cr_assert (strstr (r.err, "Resolving \"it/pullme\" using unqualified-search registries (") && strstr (r.err, trying),
             "%s", r.err);
  it_result_free (&r);
  r = img_env (env, NULL, (const char *const[]){ "pull", "it/pullme:v1", NULL });
  assert_ok (r);
  cr_assert (strstr (r.err, "Resolving \"it/pullme\" using unqualified-search registries (") && strstr (r.err, trying),
             "%s", r.err);
  it_result_free (&r);
  /* a name registries.conf rewrites to another location: the image is named as asked, only so (podman) */
  r = IMG ("rmi", "-f", ref);
  assert_ok (r);
  it_result_free (&r);
  r = img_env (env, NULL, (const char *const[]){ "pull", "-q", "quay.example/it/pullme:v1", NULL });
  assert_ok (r);
  it_result_free (&r);
  r = img_env (
      env, NULL,
      (const char *const[]){ "image", "inspect", "--format", "{{.RepoTags}}", "quay.example/it/pullme:v1", NULL });
  assert_ok (r);
  cr_assert (strstr (r.out, "quay.example/it/pullme:v1"), "%s", r.out);
  cr_assert (!strstr (r.out, addr), "the location became a name: %s", r.out);
  it_result_free (&r);
  r = img_env (env, NULL,
               (const char *const[]){ "run", "--rm", "quay.example/it/pullme:v1", "echo", "rewritten", NULL });
  assert_ok (r);
  cr_assert_str_eq (r.out, "rewritten\n");
  cr_assert (!strstr (r.err, "Trying to pull"), "pulled again: %s", r.err);
  it_result_free (&r);
  r = img_env (env, NULL, (const char *const[]){ "pull", "-q", ref, NULL });
  assert_ok (r);
  it_result_free (&r);
  /* pulled by digest: a name of its own, which images does not list beside the tag, and rmi only untags */
  r = IMG ("image", "inspect", "--format", "{{.Digest}}", ref);
  assert_ok (r);
  char bydigest[300];
  snprintf (bydigest, sizeof bydigest, "%s/it/pullme@%.*s", addr, (int) strcspn (r.out, "\n"), r.out);
  it_result_free (&r);
  r = img_env (env, NULL, (const char *const[]){ "pull", "-q", bydigest, NULL });
  assert_ok (r);
  it_result_free (&r);
  char repo[200];
  snprintf (repo, sizeof repo, "%s/it/pullme", addr);
  r = IMG ("images", "--format", "{{.Tag}}", repo);
  assert_ok (r);
  cr_assert_str_eq (r.out, "v1\n");
  it_result_free (&r);
  r = IMG ("rmi", bydigest);
  assert_ok (r);
  char untagged[400];
  snprintf (untagged, sizeof untagged, "Untagged: %s\n", bydigest);
  cr_assert_str_eq (r.out, untagged);
  it_result_free (&r);
  r = IMG ("image", "exists", ref);
  assert_ok (r);
  it_result_free (&r);
  /* newer with the registry gone: the local image is used, the pull error is only a warning */
  kill (reg_pid, SIGTERM);
  waitpid (reg_pid, NULL, 0);
  reg_pid = 0;
  r = img_env (env, NULL, (const char *const[]){ "run", "--rm", "--pull=newer", ref, "echo", "local", NULL });
  assert_ok (r);
  cr_assert_str_eq (r.out, "local\n");
  it_result_free (&r);
  r = img_env (env, NULL, (const char *const[]){ "run", "--rm", "--pull=always", ref, "true", NULL });
  assert_exit (r, 125);
  it_result_free (&r);
}

/* a container's .ImageName is the name it was created with, whole; .ImageDigest the image's (podman) */
Test (images, container_image_name_and_digest)
{
  import_as ("first:v1");
  struct it_result r = IMG ("tag", "first:v1", "second/name");
  assert_ok (r);
  it_result_free (&r);
  r = IMG ("create", "--name", "named-by", "second/name", "true");
  assert_ok (r);
  it_result_free (&r);
  r = IMG ("image", "inspect", "--format", "{{.Digest}}", "first:v1");
  assert_ok (r);
  cr_assert (strncmp (r.out, "sha256:", 7) == 0, "%s", r.out);
  char want[300];
  snprintf (want, sizeof want, "localhost/second/name:latest %s", r.out);
  it_result_free (&r);
  r = IMG ("container", "inspect", "--format", "{{.ImageName}} {{.ImageDigest}}", "named-by");
  assert_ok (r);
  cr_assert_str_eq (r.out, want);
  it_result_free (&r);
  r = IMG ("rm", "named-by");
  assert_ok (r);
  it_result_free (&r);
}

/* rmi by ID of an image with several names: podman's refusal, exit 125; --force removes it */
Test (images, rmi_by_id_with_several_names)
{
  char id[65];
  strcpy (id, import_as ("several:v1"));
  struct it_result r = IMG ("tag", "several:v1", "several:v2");
  assert_ok (r);
  it_result_free (&r);
  r = IMG ("rmi", id);
  assert_exit (r, 125);
  char want[400];
  snprintf (want, sizeof want,
            "Error: unable to delete image \"%s\" by ID with more than one tag ([localhost/several:v1 "
            "localhost/several:v2]): please force removal\n",
            id);
  cr_assert_str_eq (r.err, want);
  it_result_free (&r);
  r = IMG ("rmi", "--force", id);
  assert_ok (r);
  it_result_free (&r);
}
