/* The command line that long-lived processes (monitor, pause, pod infra) show in ps: forks of the CLI would
 * otherwise show its whole argv, `-e PASSWORD=...` included, to every local user for as long as they live. */
#include "util.h"

#include <sys/prctl.h>

/* The original argv strings: one contiguous area that /proc/PID/cmdline reads (mm->arg_start..arg_end). */
static char *title_area;
static size_t title_area_len;
/* The copies argv points to from then on, kept reachable here (for LeakSanitizer: "used", or the compiler
 * drops a static that is only written) */
static char **argv_copies __attribute__ ((used));

/* glibc calls ELF constructors with main's arguments. argv is moved to the heap before main runs, so that
 * nothing (option parsers keep pointers into argv) refers to the area that skiff_set_process_title
 * overwrites. PR_SET_MM would let us point the kernel elsewhere, but needs CAP_SYS_RESOURCE. */
__attribute__ ((constructor)) static void
proctitle_init (int argc, char **argv, char **envp)
{
  (void) envp;
  if (argc <= 0 || argv == NULL || argv[0] == NULL)
    return;
  char **copies = calloc ((size_t) argc + 1, sizeof *copies);
  if (copies == NULL)
    return;
  for (int i = 0; i < argc; i++)
    if ((copies[i] = strdup (argv[i])) == NULL)
      {
        strv_free (copies);
        return;
      }
  /* only the contiguous run of strings from argv[0] is ours to overwrite */
  char *start = argv[0], *end = argv[0];
  for (int i = 0; i < argc && argv[i] == end; i++)
    end += strlen (argv[i]) + 1;
  for (int i = 0; i < argc; i++)
    argv[i] = copies[i];
  argv_copies = copies;
  title_area = start;
  title_area_len = (size_t) (end - start);
}

void
skiff_set_process_title (const char *title)
{
  prctl (PR_SET_NAME, title, 0, 0, 0);
  if (title_area == NULL || title_area_len == 0)
    return;
  /* the last byte stays NUL: a non-NUL one there tells the kernel to read on into the environment */
  size_t n = strlen (title);
  if (n > title_area_len - 1)
    n = title_area_len - 1;
  memset (title_area, 0, title_area_len);
  memcpy (title_area, title, n);
}
