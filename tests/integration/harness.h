/* Integration test harness: runs the built skiff (SKIFF_BINARY) as the user running the suite, with a
 * private --root and --runroot made for this run, and an image "busybox" imported once from the host's
 * busybox-static (contrib/make-busybox-image.sh). */
#ifndef SKIFF_IT_HARNESS_H
#define SKIFF_IT_HARNESS_H

#include <criterion/criterion.h>
#include <stdbool.h>
#include <sys/types.h>

struct it_result
{
  int status; /* exit code, or 128+signal */
  char *out;
  char *err;
};

/* The per-run state directory (root and runroot live below it). */
const char *it_dir (void);
/* Run skiff with the harness's --root/--runroot prepended. NULL-terminated argv (without "skiff").
 * stdin_data may be NULL (stdin is /dev/null). env may be NULL or a NULL-terminated list of extra VAR=VALUE. */
struct it_result it_skiff (const char *stdin_data, char *const *env, const char *const *args);
/* The same, with explicit root/runroot (NULL: the harness's). */
struct it_result it_skiff_in (const char *root, const char *runroot, const char *stdin_data, char *const *env,
                              const char *const *args);
/* Start skiff in the background (stdout/stderr to files); returns its pid. */
pid_t it_skiff_spawn (const char *const *args, int *out_fd);
void it_result_free (struct it_result *r);
/* Path of the busybox rootfs tarball built for the run. */
const char *it_busybox_tar (void);

/* Small helpers shared by the tests that start servers on 127.0.0.1 */
int it_free_port (void);      /* a loopback TCP port nobody listens on now */
bool it_port_open (int port); /* something accepts connections on 127.0.0.1:port */
void it_write_text (const char *path, const char *text);
char *it_slurp (const char *path); /* the whole file, NULL when missing; caller frees */

/* Run a shell command; the test fails when it does. */
void it_sh (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
void it_msleep (long ms);
/* Debian's docker-registry with this config (YAML) written to dir/config.yml, its output in dir/registry.log,
 * in a process group of its own; returns once it answers on 127.0.0.1:port (the test fails when it exits first,
 * and is skipped when the package is missing). */
pid_t it_registry_serve (const char *dir, const char *config, int port);

#define SKIFF(...) it_skiff (NULL, NULL, (const char *const[]){ __VA_ARGS__, NULL })
#define SKIFF_IN(stdin_, ...) it_skiff (stdin_, NULL, (const char *const[]){ __VA_ARGS__, NULL })
#define SKIFF_ENV(env_, ...) \
  it_skiff (NULL, (char *const[]){ (char *) env_, NULL }, (const char *const[]){ __VA_ARGS__, NULL })

#define assert_ok(r) cr_assert_eq ((r).status, 0, "exit %d\nstdout: %s\nstderr: %s", (r).status, (r).out, (r).err)
#define assert_exit(r, code)                                                                                         \
  cr_assert_eq ((r).status, (code), "expected exit %d, got %d\nstdout: %s\nstderr: %s", (code), (r).status, (r).out, \
                (r).err)

#endif
