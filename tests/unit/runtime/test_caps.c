/* runtime/caps: capability names, podman's --cap-add/--cap-drop arithmetic, and applying the sets in a
 * child (as root directly, as an unprivileged user inside a new user namespace). */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "runtime/caps.h"

#define BIT(c) (UINT64_C (1) << (c))
#define LIST(...) strv_of ((const char *const[]){ __VA_ARGS__, NULL })

static char **
strv_of (const char *const *v)
{
  char **r = xmalloc0 (sizeof (char *));
  for (; *v; v++)
    strv_push (&r, *v);
  return r;
}

static uint64_t
compute_ok (uint64_t base, char *const *add, char *const *drop)
{
  skiff_error_t err = NULL;
  uint64_t out = 0;
  int r = skiff_caps_compute (base, add, drop, &out, &err);
  cr_assert_eq (r, 0, "skiff_caps_compute: %s", err ? err->msg : "?");
  return out;
}

static void
compute_fails (uint64_t base, char *const *add, char *const *drop, const char *needle)
{
  skiff_error_t err = NULL;
  uint64_t out = 0;
  cr_assert_lt (skiff_caps_compute (base, add, drop, &out, &err), 0);
  cr_assert_not_null (err);
  cr_assert_not_null (strstr (err->msg, needle), "message \"%s\" lacks \"%s\"", err->msg, needle);
  skiff_error_release (&err);
}

Test (caps, last_cap_matches_proc)
{
  cleanup_free char *text = NULL;
  skiff_error_t err = NULL;
  cr_assert_eq (read_file ("/proc/sys/kernel/cap_last_cap", &text, NULL, &err), 0);
  cr_assert_eq (skiff_caps_last_cap (), atoi (text));
  cr_assert_geq (skiff_caps_last_cap (), CAP_AUDIT_READ);
  cr_assert_eq (skiff_caps_last_cap (), skiff_caps_last_cap ()); /* cached */
  cr_assert_eq (skiff_caps_all (), (BIT (skiff_caps_last_cap ()) << 1) - 1);
}

Test (caps, bounding_matches_proc)
{
  cleanup_free char *st = NULL;
  cr_assert_eq (read_file ("/proc/self/status", &st, NULL, NULL), 0);
  const char *p = strstr (st, "CapBnd:");
  cr_assert_not_null (p);
  cr_assert_eq (skiff_caps_bounding (), strtoull (p + 7, NULL, 16));
  cr_assert_eq (skiff_caps_bounding () & ~skiff_caps_all (), 0);
}

Test (caps, from_name_spellings)
{
  const char *spellings[] = { "NET_RAW", "CAP_NET_RAW", "net_raw", "cap_net_raw", "Cap_Net_Raw" };
  for (size_t i = 0; i < ARRAY_SIZE (spellings); i++)
    cr_assert_eq (skiff_caps_from_name (spellings[i], NULL), CAP_NET_RAW, "%s", spellings[i]);
  cr_assert_eq (skiff_caps_from_name ("CHOWN", NULL), CAP_CHOWN);
  cr_assert_eq (skiff_caps_from_name ("sys_admin", NULL), CAP_SYS_ADMIN);
  cr_assert_eq (skiff_caps_from_name ("CAP_AUDIT_READ", NULL), CAP_AUDIT_READ);

  const char *bad[] = { "NOPE", "", "CAP_", "12", "NET RAW", "ALL", "CAP_NET_RAW_", "CAP_NET_RAWX" };
  for (size_t i = 0; i < ARRAY_SIZE (bad); i++)
    {
      skiff_error_t err = NULL;
      cr_assert_lt (skiff_caps_from_name (bad[i], &err), 0, "\"%s\" accepted", bad[i]);
      cleanup_free char *want = xasprintf ("unknown capability \"%s\"", bad[i]);
      cr_assert_not_null (strstr (err->msg, want), "message \"%s\"", err->msg);
      skiff_error_release (&err);
    }
}

Test (caps, to_names_default_set)
{
  cleanup_strv char **names = skiff_caps_to_names (SKIFF_CAPS_DEFAULT);
  const char *want[]
      = { "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FOWNER",           "CAP_FSETID",     "CAP_KILL",   "CAP_SETGID",
          "CAP_SETUID", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_SETFCAP" };
  cr_assert_eq (strv_len (names), ARRAY_SIZE (want));
  for (size_t i = 0; i < ARRAY_SIZE (want); i++)
    cr_assert_str_eq (names[i], want[i]);
  /* and back */
  uint64_t mask = 0;
  for (size_t i = 0; names[i]; i++)
    mask |= BIT (skiff_caps_from_name (names[i], NULL));
  cr_assert_eq (mask, SKIFF_CAPS_DEFAULT);
  cleanup_strv char **none = skiff_caps_to_names (0);
  cr_assert_eq (strv_len (none), 0);
}

Test (caps, compute_podman_semantics)
{
  cleanup_strv char **drop_all = LIST ("all");
  cleanup_strv char **add_raw = LIST ("NET_RAW");
  cleanup_strv char **add_two = LIST ("cap_net_raw", "SYS_ADMIN");
  cleanup_strv char **add_all = LIST ("ALL");
  cleanup_strv char **drop_chown = LIST ("CHOWN");

  /* no changes: the base */
  cr_assert_eq (compute_ok (SKIFF_CAPS_DEFAULT, NULL, NULL), SKIFF_CAPS_DEFAULT);
  /* --cap-drop=all --cap-add=X gives exactly X */
  cr_assert_eq (compute_ok (SKIFF_CAPS_DEFAULT, add_raw, drop_all), BIT (CAP_NET_RAW));
  cr_assert_eq (compute_ok (SKIFF_CAPS_DEFAULT, add_two, drop_all), BIT (CAP_NET_RAW) | BIT (CAP_SYS_ADMIN));
  cr_assert_eq (compute_ok (SKIFF_CAPS_DEFAULT, NULL, drop_all), 0);
  /* --cap-add=all gives every capability this process could grant (its bounding set), minus drops */
  cr_assert_eq (compute_ok (SKIFF_CAPS_DEFAULT, add_all, NULL), skiff_caps_bounding ());
  cr_assert_eq (compute_ok (0, add_all, drop_chown), skiff_caps_bounding () & ~BIT (CAP_CHOWN));
  /* ordinary adds and drops on the base */
  cr_assert_eq (compute_ok (SKIFF_CAPS_DEFAULT, add_raw, drop_chown),
                (SKIFF_CAPS_DEFAULT | BIT (CAP_NET_RAW)) & ~BIT (CAP_CHOWN));
  /* dropping what the base lacks is fine */
  cleanup_strv char **drop_admin = LIST ("SYS_ADMIN");
  cr_assert_eq (compute_ok (SKIFF_CAPS_DEFAULT, NULL, drop_admin), SKIFF_CAPS_DEFAULT);
}

Test (caps, compute_errors)
{
  cleanup_strv char **bogus = LIST ("NET_RAW", "BOGUS");
  cleanup_strv char **raw = LIST ("NET_RAW");
  cleanup_strv char **raw_prefixed = LIST ("CAP_NET_RAW");
  cleanup_strv char **all = LIST ("ALL");
  compute_fails (SKIFF_CAPS_DEFAULT, bogus, NULL, "unknown capability \"BOGUS\"");
  compute_fails (SKIFF_CAPS_DEFAULT, NULL, bogus, "unknown capability \"BOGUS\"");
  compute_fails (SKIFF_CAPS_DEFAULT, raw, raw_prefixed, "\"CAP_NET_RAW\" cannot be both dropped and added");
  compute_fails (SKIFF_CAPS_DEFAULT, all, all, "--cap-add=all");
}

/* ---- applying, in a child ---- */

/* CapXxx: from /proc/self/status as a mask. */
static uint64_t
status_mask (const char *status, const char *field)
{
  const char *p = strstr (status, field);
  if (p == NULL)
    return UINT64_MAX;
  return strtoull (p + strlen (field) + 1, NULL, 16);
}

/* Become able to change capabilities: root already is; others get a user namespace of their own. */
static const char *
gain_caps (void)
{
  if (geteuid () == 0)
    return NULL;
  if (unshare (CLONE_NEWUSER) < 0)
    return "unshare(CLONE_NEWUSER) failed";
  return NULL;
}

struct apply_case
{
  uint64_t bnd, eff, prm, inh, amb;
  int want; /* 0 or -errno */
};

/* Exit code 0: applied and /proc/self/status agrees; 2: could not get capabilities; else mismatch. */
static int
apply_in_child (const struct apply_case *c, int fd)
{
  if (gain_caps () != NULL)
    return 2;
  int r = skiff_caps_apply (c->bnd, c->eff, c->prm, c->inh, c->amb);
  if (r != c->want)
    {
      dprintf (fd, "skiff_caps_apply returned %d, expected %d", r, c->want);
      return 1;
    }
  if (r < 0)
    return 0;
  cleanup_free char *st = NULL;
  skiff_error_t err = NULL;
  if (read_file ("/proc/self/status", &st, NULL, &err) < 0)
    return 1;
  struct
  {
    const char *f;
    uint64_t want;
  } checks[] = {
    { "CapBnd:", c->bnd }, { "CapEff:", c->eff }, { "CapPrm:", c->prm }, { "CapInh:", c->inh }, { "CapAmb:", c->amb }
  };
  for (size_t i = 0; i < ARRAY_SIZE (checks); i++)
    if (status_mask (st, checks[i].f) != (checks[i].want & skiff_caps_all ()))
      {
        dprintf (fd, "%s is %016llx, expected %016llx", checks[i].f, (unsigned long long) status_mask (st, checks[i].f),
                 (unsigned long long) checks[i].want);
        return 1;
      }
  return 0;
}

static void
run_apply (const struct apply_case *c)
{
  int p[2];
  char msg[256] = "";
  cr_assert_eq (pipe2 (p, O_CLOEXEC), 0);
  pid_t pid = fork ();
  cr_assert_geq (pid, 0);
  if (pid == 0)
    {
      close (p[0]);
      _exit (apply_in_child (c, p[1]));
    }
  close (p[1]);
  ssize_t n = read_all (p[0], msg, sizeof msg - 1);
  msg[n > 0 ? n : 0] = '\0';
  close (p[0]);
  int status;
  cr_assert_eq (waitpid (pid, &status, 0), pid);
  cr_assert (WIFEXITED (status));
  if (WEXITSTATUS (status) == 2)
    cr_skip_test ("unprivileged user namespaces are not available here, cannot change capabilities");
  cr_assert_eq (WEXITSTATUS (status), 0, "%s", msg);
}

Test (caps, apply_sets_all_five)
{
  uint64_t d = SKIFF_CAPS_DEFAULT;
  struct apply_case c = { .bnd = d, .eff = d, .prm = d, .inh = d, .amb = BIT (CAP_NET_BIND_SERVICE) };
  run_apply (&c);
}

Test (caps, apply_drop_everything)
{
  struct apply_case c = { 0 };
  run_apply (&c);
}

Test (caps, apply_narrower_effective)
{
  uint64_t d = SKIFF_CAPS_DEFAULT;
  struct apply_case c = { .bnd = d | BIT (CAP_NET_RAW), .eff = BIT (CAP_CHOWN), .prm = d, .inh = 0, .amb = 0 };
  run_apply (&c);
}

Test (caps, apply_refuses_what_the_kernel_refuses)
{
  uint64_t d = SKIFF_CAPS_DEFAULT;
  /* effective beyond permitted */
  struct apply_case eff = { .bnd = d, .eff = d | BIT (CAP_NET_RAW), .prm = d, .want = -EPERM };
  run_apply (&eff);
  /* ambient beyond inheritable */
  struct apply_case amb = { .bnd = d, .eff = d, .prm = d, .inh = 0, .amb = BIT (CAP_CHOWN), .want = -EPERM };
  run_apply (&amb);
}

/* The container user is not root: PR_SET_KEEPCAPS, setresuid, then apply (which raises the effective set
 * from the permitted one before touching the bounding set). */
Test (caps, apply_after_setresuid_with_keepcaps)
{
  if (geteuid () != 0)
    cr_skip_test ("needs root: an unprivileged user namespace maps a single uid, so setresuid has nowhere to go");
  int p[2];
  char msg[256] = "";
  cr_assert_eq (pipe2 (p, O_CLOEXEC), 0);
  pid_t pid = fork ();
  if (pid == 0)
    {
      close (p[0]);
      uint64_t d = SKIFF_CAPS_DEFAULT;
      if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setresgid (65534, 65534, 65534) < 0
          || setresuid (65534, 65534, 65534) < 0)
        _exit (3);
      int r = skiff_caps_apply (d, d, d, 0, 0);
      if (r < 0)
        {
          dprintf (p[1], "skiff_caps_apply after setresuid: %s", strerror (-r));
          _exit (1);
        }
      cleanup_free char *st = NULL;
      if (read_file ("/proc/self/status", &st, NULL, NULL) < 0 || status_mask (st, "CapEff:") != d
          || status_mask (st, "CapBnd:") != d)
        {
          dprintf (p[1], "wrong sets after apply");
          _exit (1);
        }
      _exit (0);
    }
  close (p[1]);
  ssize_t n = read_all (p[0], msg, sizeof msg - 1);
  msg[n > 0 ? n : 0] = '\0';
  int status;
  cr_assert_eq (waitpid (pid, &status, 0), pid);
  cr_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0, "%s (status %d)", msg, status);
}
