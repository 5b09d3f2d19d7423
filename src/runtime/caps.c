/* Capabilities through libcap: parsing names, podman's --cap-add/--cap-drop arithmetic, and applying
 * the five sets in the container child right before exec. */
#include "caps.h"

#include <ctype.h>
#include <linux/capability.h>
#include <sys/capability.h>

#define CAP_LAST_CAP_PATH "/proc/sys/kernel/cap_last_cap"
#define CAP_NAME_MAX 64
/* A 64-bit mask holds capabilities 0..63; the kernel is far from that (40 in 6.x). */
#define CAP_MASK_BITS 64

static int cached_last_cap = -1;

static int
read_last_cap (void)
{
  cleanup_free char *text = NULL;
  long long v;
  if (read_file (CAP_LAST_CAP_PATH, &text, NULL, NULL) < 0)
    return -1;
  text[strcspn (text, "\n")] = '\0';
  if (!str_to_llong (text, 0, CAP_MASK_BITS - 1, &v))
    return -1;
  return (int) v;
}

int
skiff_caps_last_cap (void)
{
  int v = __atomic_load_n (&cached_last_cap, __ATOMIC_RELAXED);
  if (v >= 0)
    return v;
  v = read_last_cap ();
  if (v < 0)
    v = CAP_LAST_CAP; /* /proc not mounted: trust the headers we were built with */
  __atomic_store_n (&cached_last_cap, v, __ATOMIC_RELAXED);
  return v;
}

uint64_t
skiff_caps_all (void)
{
  int last = skiff_caps_last_cap ();
  if (last >= CAP_MASK_BITS - 1)
    return UINT64_MAX;
  return (UINT64_C (1) << (last + 1)) - 1;
}

uint64_t
skiff_caps_bounding (void)
{
  uint64_t mask = 0;
  for (int c = 0; c < CAP_MASK_BITS; c++)
    {
      int in = cap_get_bound (c);
      if (in < 0)
        break;
      if (in > 0)
        mask |= UINT64_C (1) << c;
    }
  return mask;
}

/* "net_raw" / "CAP_NET_RAW" -> "cap_net_raw" in buf; false when it cannot be a capability name. */
static bool
canonical_name (const char *name, char buf[CAP_NAME_MAX])
{
  if (strncasecmp (name, "CAP_", 4) == 0)
    name += 4;
  size_t len = strlen (name);
  if (len == 0 || len + 5 > CAP_NAME_MAX || isdigit ((unsigned char) name[0]))
    return false;
  memcpy (buf, "cap_", 4);
  for (size_t i = 0; i < len; i++)
    {
      unsigned char c = (unsigned char) name[i];
      if (!isalnum (c) && c != '_')
        return false;
      buf[4 + i] = (char) tolower (c);
    }
  buf[4 + len] = '\0';
  return true;
}

int
skiff_caps_from_name (const char *name, skiff_error_t *err)
{
  char buf[CAP_NAME_MAX];
  cap_value_t v;
  if (name == NULL || !canonical_name (name, buf) || cap_from_name (buf, &v) < 0)
    return skiff_error_set (err, 0,
                            "unknown capability \"%s\": use a name from capabilities(7) such as NET_ADMIN or "
                            "CAP_NET_RAW",
                            name ? name : "(null)");
  if (v < 0 || v > skiff_caps_last_cap ())
    return skiff_error_set (err, 0, "capability \"%s\" is not supported by the running kernel (last is %d)", name,
                            skiff_caps_last_cap ());
  return v;
}

static bool
is_all (const char *name)
{
  return strcasecmp (name, "ALL") == 0 || strcasecmp (name, "CAP_ALL") == 0;
}

/* Parse a --cap-add/--cap-drop list into a mask; *all tells whether "ALL" appeared. */
static int
parse_list (char *const *names, uint64_t *mask, bool *all, skiff_error_t *err)
{
  *mask = 0;
  *all = false;
  for (size_t i = 0; names && names[i]; i++)
    {
      if (is_all (names[i]))
        {
          *all = true;
          continue;
        }
      int c = skiff_caps_from_name (names[i], err);
      if (c < 0)
        return c;
      *mask |= UINT64_C (1) << c;
    }
  return 0;
}

static int
conflict_error (uint64_t both, skiff_error_t *err)
{
  int c = __builtin_ctzll (both);
  cleanup_strv char **names = skiff_caps_to_names (UINT64_C (1) << c);
  return skiff_error_set (err, 0, "capability \"%s\" cannot be both dropped and added: remove it from one of the lists",
                          names[0]);
}

int
skiff_caps_compute (uint64_t base, char *const *add, char *const *drop, uint64_t *out, skiff_error_t *err)
{
  uint64_t add_mask, drop_mask;
  bool add_all, drop_all;
  if (parse_list (add, &add_mask, &add_all, err) < 0 || parse_list (drop, &drop_mask, &drop_all, err) < 0)
    return -1;

  /* podman's MergeCapabilities: "drop ALL" means "start from nothing", "add ALL" from everything. */
  if (drop_all && add_all)
    return skiff_error_set (err, 0,
                            "adding all capabilities and dropping all capabilities is not allowed: "
                            "use only one of --cap-add=all and --cap-drop=all");
  if (drop_all)
    {
      *out = add_mask;
      return 0;
    }
  if (add_all)
    {
      /* podman's "all" is its own bounding set: a capability it does not have cannot be granted */
      *out = skiff_caps_bounding () & ~drop_mask;
      return 0;
    }
  if (drop_mask & add_mask)
    return conflict_error (drop_mask & add_mask, err);
  *out = ((base & ~drop_mask) | add_mask) & skiff_caps_all ();
  return 0;
}

char **
skiff_caps_to_names (uint64_t mask)
{
  char **v = xmalloc0 (sizeof (char *));
  for (int c = 0; c < CAP_MASK_BITS; c++)
    {
      if (!(mask & (UINT64_C (1) << c)))
        continue;
      char *lower = cap_to_name (c);
      char *name;
      if (lower && str_has_prefix (lower, "cap_"))
        {
          name = xasprintf ("CAP_%s", lower + 4);
          for (char *p = name; *p; p++)
            *p = (char) toupper ((unsigned char) *p);
        }
      else /* newer than libcap's table: libcap gives the number */
        name = xasprintf ("CAP_%d", c);
      cap_free (lower);
      strv_push_take (&v, name);
    }
  return v;
}

/* Fill list with the capabilities in mask (at most last+1 of them); returns the count. */
static int
mask_to_list (uint64_t mask, int last, cap_value_t list[CAP_MASK_BITS])
{
  int n = 0;
  for (int c = 0; c <= last && c < CAP_MASK_BITS; c++)
    if (mask & (UINT64_C (1) << c))
      list[n++] = c;
  return n;
}

int
skiff_caps_apply (uint64_t bounding, uint64_t effective, uint64_t permitted, uint64_t inheritable, uint64_t ambient)
{
  cap_value_t list[CAP_MASK_BITS];
  int last = -1;

  /* After setresuid to a non-zero uid with PR_SET_KEEPCAPS the permitted set survives but the effective
   * set is empty; raise it again so that dropping from the bounding set (CAP_SETPCAP) works. */
  cap_t cur = cap_get_proc ();
  if (cur == NULL)
    return -errno;
  int r = cap_fill (cur, CAP_EFFECTIVE, CAP_PERMITTED);
  if (r == 0)
    r = cap_set_proc (cur);
  int saved = errno;
  cap_free (cur);
  if (r < 0)
    return -saved;

  /* The bounding set first: it needs CAP_SETPCAP in the effective set, which the next step may drop.
   * Probe the kernel with cap_get_bound rather than /proc, which may not be mounted in the rootfs. */
  for (int c = 0; c < CAP_MASK_BITS; c++)
    {
      int in = cap_get_bound (c);
      if (in < 0)
        break;
      last = c;
      if (in > 0 && !(bounding & (UINT64_C (1) << c)) && cap_drop_bound (c) < 0)
        return -errno;
    }
  if (last < 0)
    return -EINVAL;

  cap_t caps = cap_init ();
  if (caps == NULL)
    return -errno;
  int n;
  r = 0;
  if ((n = mask_to_list (effective, last, list)) > 0)
    r = cap_set_flag (caps, CAP_EFFECTIVE, n, list, CAP_SET);
  if (r == 0 && (n = mask_to_list (permitted, last, list)) > 0)
    r = cap_set_flag (caps, CAP_PERMITTED, n, list, CAP_SET);
  if (r == 0 && (n = mask_to_list (inheritable, last, list)) > 0)
    r = cap_set_flag (caps, CAP_INHERITABLE, n, list, CAP_SET);
  if (r == 0)
    r = cap_set_proc (caps);
  saved = errno;
  cap_free (caps);
  if (r < 0)
    return -saved;

  /* Ambient capabilities must be in both permitted and inheritable, so they come last. */
  if (cap_reset_ambient () < 0)
    {
      if (ambient == 0 && errno == EINVAL) /* kernel before 4.3: nothing to reset */
        return 0;
      return -errno;
    }
  n = mask_to_list (ambient, last, list);
  for (int i = 0; i < n; i++)
    if (cap_set_ambient (list[i], CAP_SET) < 0)
      return -errno;
  return 0;
}
