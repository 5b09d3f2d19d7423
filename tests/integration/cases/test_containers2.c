/* Container options and verbs: --log-driver, --log-opt max-size/path, --cidfile, rename, container prune. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../harness.h"

static void
trim (char *s)
{
  size_t n = strlen (s);
  while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
    s[--n] = '\0';
}

#define MAX_SIZE 8192

Test (containers2, log_max_size_rotates_and_logs_keeps_the_latest_lines)
{
  char path[512];
  snprintf (path, sizeof path, "%s/c2-rotate.log", it_dir ());
  char opt[600];
  snprintf (opt, sizeof opt, "path=%s", path);
  /* about 20 kB of output, then a long line (split into pieces that fit), then a last line */
  struct it_result r
      = SKIFF ("run", "-d", "--name", "c2-rotate", "--log-opt", "max-size=8k", "--log-opt", opt, "busybox", "sh", "-c",
               "i=0; while [ $i -lt 1000 ]; do echo line-$i-xxxxxxxxxx; i=$((i+1)); done; "
               "head -c 20000 /dev/zero | tr '\\0' a; echo; echo the-end");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("wait", "c2-rotate");
  assert_ok (r);
  it_result_free (&r);
  struct stat st;
  cr_assert_eq (stat (path, &st), 0, "the log is at --log-opt path");
  cr_assert (st.st_size > 0 && st.st_size <= MAX_SIZE, "log size %lld", (long long) st.st_size);
  r = SKIFF ("logs", "--tail", "1", "c2-rotate");
  assert_ok (r);
  cr_assert_str_eq (r.out, "the-end\n");
  it_result_free (&r);
  r = SKIFF ("logs", "c2-rotate");
  assert_ok (r);
  cr_assert (strstr (r.out, "the-end\n") != NULL, "%s", r.out);
  cr_assert (strstr (r.out, "line-0-") == NULL, "the first lines were rotated away");
  it_result_free (&r);
  r = SKIFF ("inspect", "--format", "{{.LogPath}}", "c2-rotate");
  trim (r.out);
  cr_assert_str_eq (r.out, path);
  it_result_free (&r);
  r = SKIFF ("rm", "c2-rotate");
  assert_ok (r);
  it_result_free (&r);
}

Test (containers2, log_max_size_follow_across_rotations)
{
  struct it_result r = SKIFF ("run", "-d", "--name", "c2-follow", "--log-opt", "max-size=8k", "busybox", "sh", "-c",
                              "i=0; while [ $i -lt 600 ]; do echo l$i-yyyyyyyyyyyyyyyyyyyy; i=$((i+1)); "
                              "[ $((i % 100)) = 0 ] && sleep 0.1; done; echo done");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("logs", "-f", "c2-follow");
  assert_ok (r);
  cr_assert (strstr (r.out, "l599-yyyyyyyyyyyyyyyyyyyy\ndone\n") != NULL, "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("rm", "c2-follow");
  assert_ok (r);
  it_result_free (&r);
}

Test (containers2, log_driver_none_and_passthrough)
{
  struct it_result r = SKIFF ("run", "-d", "--name", "c2-none", "--log-driver", "none", "busybox", "echo", "hi");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("wait", "c2-none");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("logs", "c2-none");
  assert_exit (r, 125);
  cr_assert_str_eq (r.err, "Error: this container is using the 'none' log driver, cannot read logs: this container "
                           "is not logging output\n");
  it_result_free (&r);
  r = SKIFF ("rm", "c2-none");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("run", "-d", "--log-driver", "passthrough", "busybox", "true");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "passthrough") != NULL, "%s", r.err);
  it_result_free (&r);
  /* without -d the container's stdio is ours */
  r = SKIFF ("run", "--rm", "--log-driver", "passthrough", "busybox", "echo", "through");
  assert_ok (r);
  cr_assert_str_eq (r.out, "through\n");
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "--log-driver", "journald", "busybox", "true");
  assert_exit (r, 125);
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "--log-opt", "max-size=lots", "busybox", "true");
  assert_exit (r, 125);
  it_result_free (&r);
}

Test (containers2, cidfile)
{
  char path[512];
  snprintf (path, sizeof path, "%s/c2.cid", it_dir ());
  unlink (path);
  struct it_result r = SKIFF ("run", "-d", "--name", "c2-cid", "--cidfile", path, "busybox", "true");
  assert_ok (r);
  trim (r.out);
  FILE *f = fopen (path, "r");
  cr_assert (f != NULL);
  char id[128] = "";
  cr_assert (fgets (id, sizeof id, f) != NULL);
  fclose (f);
  cr_assert_str_eq (id, r.out, "the full ID, without a newline");
  cr_assert_eq (strlen (id), 64);
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "--cidfile", path, "busybox", "true");
  assert_exit (r, 125);
  char want[700];
  snprintf (want, sizeof want,
            "Error: container id file exists. Ensure another container is not using it or delete %s\n", path);
  cr_assert_str_eq (r.err, want);
  it_result_free (&r);
  r = SKIFF ("rm", "-f", "c2-cid");
  assert_ok (r);
  it_result_free (&r);
  unlink (path);
}

Test (containers2, rename)
{
  struct it_result r = SKIFF ("run", "-d", "--name", "c2-old", "busybox", "sleep", "100");
  assert_ok (r);
  trim (r.out);
  char id[80];
  snprintf (id, sizeof id, "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("run", "-d", "--name", "c2-other", "busybox", "true");
  assert_ok (r);
  it_result_free (&r);

  r = SKIFF ("rename", "c2-old", "c2-new");
  assert_ok (r);
  cr_assert_str_eq (r.out, "");
  it_result_free (&r);
  r = SKIFF ("inspect", "--format", "{{.Name}} {{.State.Status}}", "c2-new");
  assert_ok (r);
  cr_assert_str_eq (r.out, "c2-new running\n");
  it_result_free (&r);
  r = SKIFF ("container", "exists", "c2-old");
  assert_exit (r, 1);
  it_result_free (&r);
  /* the old name is free again */
  r = SKIFF ("run", "--rm", "--name", "c2-old", "busybox", "true");
  assert_ok (r);
  it_result_free (&r);

  r = SKIFF ("container", "rename", "c2-new", "c2-other");
  assert_exit (r, 125);
  cr_assert_str_eq (r.err, "Error: name \"c2-other\" is in use: container already exists\n");
  it_result_free (&r);
  r = SKIFF ("rename", "c2-nosuch", "c2-x");
  assert_exit (r, 125);
  cr_assert (strstr (r.err, "no such container"), "%s", r.err);
  it_result_free (&r);
  r = SKIFF ("rename", "c2-new", "bad/name");
  assert_exit (r, 125);
  cr_assert_str_eq (r.err, "Error: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument\n");
  it_result_free (&r);

  /* the monitor records the end under the new name, and rm frees it */
  r = SKIFF ("kill", "c2-new");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("wait", "c2-new");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("inspect", "--format", "{{.Name}} {{.State.Status}}", id);
  assert_ok (r);
  cr_assert_str_eq (r.out, "c2-new exited\n");
  it_result_free (&r);
  r = SKIFF ("rm", "c2-new", "c2-other");
  assert_ok (r);
  it_result_free (&r);
  r = SKIFF ("run", "--rm", "--name", "c2-new", "busybox", "true");
  assert_ok (r);
  it_result_free (&r);
}

Test (containers2, container_prune)
{
  struct it_result r = SKIFF ("run", "-d", "--name", "c2-p-run", "busybox", "sleep", "100");
  assert_ok (r);
  trim (r.out);
  char running[80];
  snprintf (running, sizeof running, "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("run", "--name", "c2-p-exited", "busybox", "sh", "-c", "exit 3");
  assert_exit (r, 3);
  it_result_free (&r);
  r = SKIFF ("inspect", "--format", "{{.Id}}", "c2-p-exited");
  trim (r.out);
  char exited[80];
  snprintf (exited, sizeof exited, "%s", r.out);
  it_result_free (&r);

  /* without -f it asks, and "no" keeps everything */
  r = SKIFF_IN ("n\n", "container", "prune");
  assert_ok (r);
  cr_assert_str_eq (r.out, "WARNING! This will remove all non running containers.\nAre you sure you want to continue? "
                           "[y/N] ");
  it_result_free (&r);
  r = SKIFF ("container", "exists", "c2-p-exited");
  assert_ok (r);
  it_result_free (&r);

  r = SKIFF ("container", "prune", "-f");
  assert_ok (r);
  cr_assert (strstr (r.out, exited) != NULL, "%s", r.out);
  cr_assert (strstr (r.out, running) == NULL, "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("container", "exists", "c2-p-exited");
  assert_exit (r, 1);
  it_result_free (&r);
  r = SKIFF ("ps", "--format", "{{.Names}} {{.State}}");
  cr_assert (strstr (r.out, "c2-p-run running"), "%s", r.out);
  it_result_free (&r);
  r = SKIFF ("rm", "-f", "c2-p-run");
  assert_ok (r);
  it_result_free (&r);
}
