/* podman's resource limit flags as typed values: parsing (go-units sizes, crun's conversions), podman's
 * validation and its error texts. No cgroup I/O here but the stat of a throttled device. */
#include "cgroup.h"

#include <math.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

/* podman (util.CoresToPeriodAndQuota): --cpus is a quota over the default CFS period */
#define CPU_DEFAULT_PERIOD_US 100000
/* podman's limits on --cpu-period and --cpu-quota (the kernel's: 1 ms .. 1 s) */
#define CPU_PERIOD_MIN_US 1000
#define CPU_PERIOD_MAX_US 1000000
#define CPU_QUOTA_MIN_US 1000
/* cgroup v1's cpu.shares range and cgroup v2's cpu.weight range, which crun maps linearly */
#define CPU_SHARES_MIN 2
#define CPU_SHARES_MAX 262144
#define CPU_WEIGHT_MIN 1
#define CPU_WEIGHT_MAX 10000
/* podman: "range of blkio weight is from 10 to 1000" */
#define BLKIO_WEIGHT_MIN 10
#define BLKIO_WEIGHT_MAX 1000
/* more CPUs or memory nodes than this in a cpuset list is a typo, not a machine */
#define CPUSET_MAX_INDEX 65535
/* a pids limit is an int32 for podman (strconv.ParseInt(val, 10, 32)) */
#define PIDS_LIMIT_MAX INT32_MAX

static const char *const flag_names[] = {
  [SKIFF_CGF_MEMORY] = "--memory",
  [SKIFF_CGF_MEMORY_SWAP] = "--memory-swap",
  [SKIFF_CGF_MEMORY_RESERVATION] = "--memory-reservation",
  [SKIFF_CGF_CPUS] = "--cpus",
  [SKIFF_CGF_CPU_PERIOD] = "--cpu-period",
  [SKIFF_CGF_CPU_QUOTA] = "--cpu-quota",
  [SKIFF_CGF_CPU_SHARES] = "--cpu-shares",
  [SKIFF_CGF_CPU_WEIGHT] = "--cpu-weight",
  [SKIFF_CGF_CPUSET_CPUS] = "--cpuset-cpus",
  [SKIFF_CGF_CPUSET_MEMS] = "--cpuset-mems",
  [SKIFF_CGF_PIDS_LIMIT] = "--pids-limit",
  [SKIFF_CGF_BLKIO_WEIGHT] = "--blkio-weight",
  [SKIFF_CGF_DEVICE_READ_BPS] = "--device-read-bps",
  [SKIFF_CGF_DEVICE_WRITE_BPS] = "--device-write-bps",
  [SKIFF_CGF_DEVICE_READ_IOPS] = "--device-read-iops",
  [SKIFF_CGF_DEVICE_WRITE_IOPS] = "--device-write-iops",
};

const char *
skiff_cgroup_flag_name (enum skiff_cgroup_flag flag)
{
  if ((size_t) flag >= ARRAY_SIZE (flag_names) || flag_names[flag] == NULL)
    return "?";
  return flag_names[flag];
}

unsigned
skiff_cgroup_flag_controller (enum skiff_cgroup_flag flag)
{
  switch (flag)
    {
    case SKIFF_CGF_MEMORY:
    case SKIFF_CGF_MEMORY_SWAP:
    case SKIFF_CGF_MEMORY_RESERVATION:
      return SKIFF_CG_MEMORY;
    case SKIFF_CGF_CPUS:
    case SKIFF_CGF_CPU_PERIOD:
    case SKIFF_CGF_CPU_QUOTA:
    case SKIFF_CGF_CPU_SHARES:
    case SKIFF_CGF_CPU_WEIGHT:
      return SKIFF_CG_CPU;
    case SKIFF_CGF_CPUSET_CPUS:
    case SKIFF_CGF_CPUSET_MEMS:
      return SKIFF_CG_CPUSET;
    case SKIFF_CGF_PIDS_LIMIT:
      return SKIFF_CG_PIDS;
    case SKIFF_CGF_BLKIO_WEIGHT:
    case SKIFF_CGF_DEVICE_READ_BPS:
    case SKIFF_CGF_DEVICE_WRITE_BPS:
    case SKIFF_CGF_DEVICE_READ_IOPS:
    case SKIFF_CGF_DEVICE_WRITE_IOPS:
    default:
      return SKIFF_CG_IO;
    }
}

void
skiff_cgroup_limits_release (struct skiff_cgroup_limits *l)
{
  if (l == NULL)
    return;
  free (l->cpuset_cpus);
  free (l->cpuset_mems);
  for (size_t i = 0; i < l->n_io; i++)
    free (l->io[i].path);
  free (l->io);
  memset (l, 0, sizeof *l);
}

bool
skiff_cgroup_limits_any (const struct skiff_cgroup_limits *l)
{
  return skiff_cgroup_limits_controllers (l) != 0;
}

unsigned
skiff_cgroup_limits_controllers (const struct skiff_cgroup_limits *l)
{
  unsigned c = 0;
  if (l->memory || l->memory_swap || l->memory_reservation)
    c |= SKIFF_CG_MEMORY;
  if (l->cpu_quota || l->cpu_period || l->cpu_weight)
    c |= SKIFF_CG_CPU;
  if (l->cpuset_cpus || l->cpuset_mems)
    c |= SKIFF_CG_CPUSET;
  if (l->pids_max)
    c |= SKIFF_CG_PIDS;
  if (l->blkio_weight || l->n_io)
    c |= SKIFF_CG_IO;
  return c;
}

/* ---- conversions ---- */

int
skiff_cgroup_parse_bytes (const char *s, int64_t *out, skiff_error_t *err)
{
  /* go-units: the number ends at the last digit, dot or space; a space before the suffix is dropped */
  const char *sep = NULL;
  for (const char *p = s; *p; p++)
    if ((*p >= '0' && *p <= '9') || *p == '.' || *p == ' ')
      sep = p;
  if (sep == NULL)
    return skiff_error_set_status (err, EINVAL, "invalid size: '%s'", s);
  cleanup_free char *num = xstrndup (s, (size_t) (sep - s) + (*sep == ' ' ? 0 : 1));
  const char *sfx = sep + 1;
  /* strconv.ParseFloat's decimal syntax (no hex, no inf) */
  bool ok = num[0] != '\0' && strspn (num, "0123456789.eE+-") == strlen (num);
  char *end = NULL;
  errno = 0;
  double v = ok ? strtod (num, &end) : 0;
  if (!ok || end == num || *end != '\0' || errno == ERANGE)
    return skiff_error_set_status (err, EINVAL, "strconv.ParseFloat: parsing \"%s\": invalid syntax", num);
  if (v < 0)
    return skiff_error_set_status (err, EINVAL, "invalid size: '%s'", s);
  double mul = 1;
  size_t n = strlen (sfx);
  char lower[4] = { 0 };
  for (size_t i = 0; i < n && i < 3; i++)
    lower[i] = (char) (sfx[i] >= 'A' && sfx[i] <= 'Z' ? sfx[i] + ('a' - 'A') : sfx[i]);
  if (n > 3)
    return skiff_error_set_status (err, EINVAL, "invalid suffix: '%s'", sfx);
  if (n > 0 && lower[0] == 'b')
    {
      if (n > 1)
        return skiff_error_set_status (err, EINVAL, "invalid suffix: '%s'", lower);
    }
  else if (n > 0)
    {
      const char *units = "kmgtp";
      const char *u = strchr (units, lower[0]);
      if (u == NULL || lower[0] == '\0')
        return skiff_error_set_status (err, EINVAL, "invalid suffix: '%s'", lower);
      for (const char *q = units; q <= u; q++)
        mul *= 1024;
      if ((n == 2 && lower[1] != 'b') || (n == 3 && strcmp (lower + 1, "ib") != 0))
        return skiff_error_set_status (err, EINVAL, "invalid suffix: '%s'", lower);
    }
  v *= mul;
  if (v >= 9223372036854775807.0)
    return skiff_error_set_status (err, ERANGE, "invalid size: '%s'", s);
  *out = (int64_t) v;
  return 0;
}

uint64_t
skiff_cgroup_shares_to_weight (uint64_t shares)
{
  if (shares == 0)
    return 0;
  /* crun clamps to the v1 range first, so 1 gives 1 and anything past 262144 gives 10000 */
  if (shares < CPU_SHARES_MIN)
    shares = CPU_SHARES_MIN;
  if (shares > CPU_SHARES_MAX)
    shares = CPU_SHARES_MAX;
  return CPU_WEIGHT_MIN
         + ((shares - CPU_SHARES_MIN) * (CPU_WEIGHT_MAX - CPU_WEIGHT_MIN)) / (CPU_SHARES_MAX - CPU_SHARES_MIN);
}

uint64_t
skiff_cgroup_blkio_to_io_weight (uint64_t weight)
{
  if (weight < BLKIO_WEIGHT_MIN)
    weight = BLKIO_WEIGHT_MIN;
  return CPU_WEIGHT_MIN
         + (weight - BLKIO_WEIGHT_MIN) * (CPU_WEIGHT_MAX - CPU_WEIGHT_MIN) / (BLKIO_WEIGHT_MAX - BLKIO_WEIGHT_MIN);
}

void
skiff_cgroup_cpus_to_quota (double cpus, uint64_t *quota, uint64_t *period)
{
  *period = CPU_DEFAULT_PERIOD_US;
  *quota = (uint64_t) (cpus * CPU_DEFAULT_PERIOD_US);
}

/* Calls fn for each range of a cpuset list; false when the list is malformed. */
static bool
cpuset_each (const char *list, bool (*fn) (unsigned lo, unsigned hi, void *data), void *data)
{
  const char *p = list;
  if (*p == '\0')
    return false;
  while (*p)
    {
      char *end;
      if (*p < '0' || *p > '9')
        return false;
      unsigned long lo = strtoul (p, &end, 10), hi = lo;
      p = end;
      if (*p == '-')
        {
          p++;
          if (*p < '0' || *p > '9')
            return false;
          hi = strtoul (p, &end, 10);
          p = end;
        }
      if (lo > hi || hi > CPUSET_MAX_INDEX)
        return false;
      if (fn && !fn ((unsigned) lo, (unsigned) hi, data))
        return false;
      if (*p == ',')
        {
          p++;
          if (*p == '\0')
            return false;
        }
      else if (*p != '\0' && *p != '\n')
        return false;
      else if (*p == '\n')
        break;
    }
  return true;
}

static bool
cpuset_max_fn (unsigned lo, unsigned hi, void *data)
{
  unsigned *max = data;
  if (hi > *max)
    *max = hi;
  return true;
}

bool
skiff_cgroup_cpuset_valid (const char *list, unsigned *max_out)
{
  unsigned max = 0;
  if (list == NULL || !cpuset_each (list, cpuset_max_fn, &max))
    return false;
  if (max_out)
    *max_out = max;
  return true;
}

static bool
cpuset_mark_fn (unsigned lo, unsigned hi, void *data)
{
  uint8_t *bits = data;
  for (unsigned i = lo; i <= hi; i++)
    bits[i / 8] |= (uint8_t) (1u << (i % 8));
  return true;
}

static bool
cpuset_check_fn (unsigned lo, unsigned hi, void *data)
{
  const uint8_t *bits = data;
  for (unsigned i = lo; i <= hi; i++)
    if (!(bits[i / 8] & (1u << (i % 8))))
      return false;
  return true;
}

bool
skiff_cgroup_cpuset_subset (const char *want, const char *have)
{
  unsigned max_want = 0, max_have = 0;
  if (!skiff_cgroup_cpuset_valid (want, &max_want) || !skiff_cgroup_cpuset_valid (have, &max_have))
    return false;
  if (max_want > max_have)
    return false;
  cleanup_free uint8_t *bits = xmalloc0 (max_have / 8 + 1);
  cpuset_each (have, cpuset_mark_fn, bits);
  return cpuset_each (want, cpuset_check_fn, bits);
}

/* ---- flags ---- */

static int
parse_memory (const char *flag, const char *value, int64_t *out, skiff_error_t *err)
{
  int64_t v = 0;
  skiff_error_t e = NULL;
  if (skiff_cgroup_parse_bytes (value, &v, &e) < 0)
    {
      /* podman says "memory" for all three memory flags */
      int r = skiff_error_set_status (err, EINVAL, "invalid value for memory: %s", e->msg);
      skiff_error_release (&e);
      return r;
    }
  *out = v;
  return 0;
}

static int
parse_uint (const char *flag, const char *value, uint64_t max, uint64_t *out, skiff_error_t *err)
{
  long long v;
  if (!str_to_llong (value, 0, (long long) max, &v))
    return skiff_error_set_status (
        err, EINVAL, "invalid argument \"%s\" for \"%s\" flag: strconv.ParseUint: parsing \"%s\": invalid syntax",
        value, flag, value);
  *out = (uint64_t) v;
  return 0;
}

static struct skiff_cgroup_io_device *
io_device (struct skiff_cgroup_limits *l, const char *path, unsigned major, unsigned minor)
{
  for (size_t i = 0; i < l->n_io; i++)
    if (l->io[i].major == major && l->io[i].minor == minor)
      return &l->io[i];
  l->io = xrealloc (l->io, (l->n_io + 1) * sizeof *l->io);
  struct skiff_cgroup_io_device *d = &l->io[l->n_io++];
  memset (d, 0, sizeof *d);
  d->path = xstrdup (path);
  d->major = major;
  d->minor = minor;
  return d;
}

/* podman's parseThrottleBPSDevices / parseThrottleIOPsDevices, then the stat its spec generator does */
static int
parse_throttle (struct skiff_cgroup_limits *l, enum skiff_cgroup_flag flag, const char *value, skiff_error_t *err)
{
  const char *flagname = skiff_cgroup_flag_name (flag);
  bool bps = flag == SKIFF_CGF_DEVICE_READ_BPS || flag == SKIFF_CGF_DEVICE_WRITE_BPS;
  const char *colon = strchr (value, ':');
  if (colon == NULL)
    return skiff_error_set_status (err, EINVAL, "bad format: %s", value);
  cleanup_free char *path = xstrndup (value, (size_t) (colon - value));
  if (!str_has_prefix (path, "/dev/"))
    return skiff_error_set_status (err, EINVAL, "bad format for device path: %s", value);
  uint64_t rate = 0;
  if (bps)
    {
      int64_t r = 0;
      skiff_error_t e = NULL;
      if (skiff_cgroup_parse_bytes (colon + 1, &r, &e) < 0)
        {
          skiff_error_release (&e);
          return skiff_error_set_status (
              err, EINVAL,
              "invalid rate for device: %s. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb",
              value);
        }
      rate = (uint64_t) r;
    }
  else
    {
      long long r;
      if (!str_to_llong (colon + 1, 0, INT64_MAX, &r))
        return skiff_error_set_status (
            err, EINVAL,
            "invalid rate for device: %s. The correct format is <device-path>:<number>. Number must be a positive integer",
            value);
      rate = (uint64_t) r;
    }
  struct stat st;
  if (stat (path, &st) < 0)
    return skiff_error_set (err, errno, "failed to inspect '%s' in %s: stat %s", path, flagname, path);
  if (!S_ISBLK (st.st_mode))
    return skiff_error_set_status (err, EINVAL, "%s in %s is not a block device", path, flagname);
  struct skiff_cgroup_io_device *d = io_device (l, path, major (st.st_rdev), minor (st.st_rdev));
  switch (flag)
    {
    case SKIFF_CGF_DEVICE_READ_BPS:
      d->rbps = rate;
      break;
    case SKIFF_CGF_DEVICE_WRITE_BPS:
      d->wbps = rate;
      break;
    case SKIFF_CGF_DEVICE_READ_IOPS:
      d->riops = rate;
      break;
    case SKIFF_CGF_DEVICE_WRITE_IOPS:
    default:
      d->wiops = rate;
      break;
    /* limits_parse_one sends only the four device flags here */
    case SKIFF_CGF_MEMORY:
    case SKIFF_CGF_MEMORY_SWAP:
    case SKIFF_CGF_MEMORY_RESERVATION:
    case SKIFF_CGF_CPUS:
    case SKIFF_CGF_CPU_PERIOD:
    case SKIFF_CGF_CPU_QUOTA:
    case SKIFF_CGF_CPU_SHARES:
    case SKIFF_CGF_CPU_WEIGHT:
    case SKIFF_CGF_CPUSET_CPUS:
    case SKIFF_CGF_CPUSET_MEMS:
    case SKIFF_CGF_PIDS_LIMIT:
    case SKIFF_CGF_BLKIO_WEIGHT:
      break;
    }
  return 0;
}

static int
parse_cpus (struct skiff_cgroup_limits *l, const char *value, skiff_error_t *err)
{
  char *end = NULL;
  errno = 0;
  double cpus = strtod (value, &end);
  if (value[0] == '\0' || end == value || *end != '\0' || errno == ERANGE || !isfinite (cpus))
    return skiff_error_set_status (
        err, EINVAL, "invalid argument \"%s\" for \"--cpus\" flag: strconv.ParseFloat: parsing \"%s\": invalid syntax",
        value, value);
  /* podman applies --cpus only when it is > 0 */
  if (cpus > 0)
    skiff_cgroup_cpus_to_quota (cpus, &l->cpu_quota, &l->cpu_period);
  return 0;
}

static int
parse_cpuset (const char *flag, const char *value, char **out, skiff_error_t *err)
{
  if (!skiff_cgroup_cpuset_valid (value, NULL))
    return skiff_error_set_status (err, EINVAL, "invalid value %s for cpuset %s", value,
                                   strcmp (flag, "--cpuset-cpus") == 0 ? "cpus" : "mems");
  free (*out);
  *out = xstrdup (value);
  return 0;
}

static int limits_parse_one (struct skiff_cgroup_limits *l, enum skiff_cgroup_flag flag, const char *value,
                             skiff_error_t *err);

int
skiff_cgroup_limits_parse (struct skiff_cgroup_limits *l, enum skiff_cgroup_flag flag, const char *value,
                           skiff_error_t *err)
{
  int r = limits_parse_one (l, flag, value, err);
  if (r == 0 && (size_t) flag < 32)
    l->given |= UINT32_C (1) << flag;
  return r;
}

static int
limits_parse_one (struct skiff_cgroup_limits *l, enum skiff_cgroup_flag flag, const char *value, skiff_error_t *err)
{
  const char *name = skiff_cgroup_flag_name (flag);
  uint64_t u = 0;
  int r = 0;
  switch (flag)
    {
    case SKIFF_CGF_MEMORY:
      return parse_memory (name, value, &l->memory, err);
    case SKIFF_CGF_MEMORY_RESERVATION:
      return parse_memory (name, value, &l->memory_reservation, err);
    case SKIFF_CGF_MEMORY_SWAP:
      if (strcmp (value, "-1") == 0)
        {
          l->memory_swap = -1;
          return 0;
        }
      return parse_memory (name, value, &l->memory_swap, err);
    case SKIFF_CGF_CPUS:
      return parse_cpus (l, value, err);
    case SKIFF_CGF_CPU_PERIOD:
      r = parse_uint (name, value, UINT32_MAX, &u, err);
      if (r == 0 && u > 0 && (u < CPU_PERIOD_MIN_US || u > CPU_PERIOD_MAX_US))
        return skiff_error_set_status (
            err, EINVAL, "CPU cfs period cannot be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
      if (r == 0 && u > 0)
        l->cpu_period = u;
      return r;
    case SKIFF_CGF_CPU_QUOTA:
      {
        long long q;
        if (!str_to_llong (value, INT64_MIN, INT64_MAX, &q))
          return skiff_error_set_status (
              err, EINVAL,
              "invalid argument \"%s\" for \"--cpu-quota\" flag: strconv.ParseInt: parsing \"%s\": invalid syntax",
              value, value);
        if (q > 0 && q < CPU_QUOTA_MIN_US)
          return skiff_error_set_status (err, EINVAL, "CPU cfs quota cannot be less than 1ms (i.e. 1000)");
        if (q > 0)
          l->cpu_quota = (uint64_t) q;
        return 0;
      }
    case SKIFF_CGF_CPU_SHARES:
      r = parse_uint (name, value, INT64_MAX, &u, err);
      if (r == 0)
        {
          l->cpu_shares = u;
          l->cpu_weight = skiff_cgroup_shares_to_weight (u);
        }
      return r;
    case SKIFF_CGF_CPU_WEIGHT:
      r = parse_uint (name, value, UINT32_MAX, &u, err);
      if (r == 0 && (u < CPU_WEIGHT_MIN || u > CPU_WEIGHT_MAX))
        return skiff_error_set_status (err, EINVAL, "invalid value %s for --cpu-weight: the range is 1 to 10000",
                                       value);
      if (r == 0)
        l->cpu_weight = u;
      return r;
    case SKIFF_CGF_CPUSET_CPUS:
      return parse_cpuset (name, value, &l->cpuset_cpus, err);
    case SKIFF_CGF_CPUSET_MEMS:
      return parse_cpuset (name, value, &l->cpuset_mems, err);
    case SKIFF_CGF_PIDS_LIMIT:
      {
        long long p;
        if (!str_to_llong (value, INT32_MIN, PIDS_LIMIT_MAX, &p))
          return skiff_error_set_status (
              err, EINVAL,
              "invalid argument \"%s\" for \"--pids-limit\" flag: strconv.ParseInt: parsing \"%s\": invalid syntax",
              value, value);
        /* podman: -1 (any negative) is no limit, written as "max"; 0 is no limit, and nothing written */
        l->pids_max = p > 0 ? p : (p < 0 ? -1 : 0);
        return 0;
      }
    case SKIFF_CGF_BLKIO_WEIGHT:
      {
        long long w;
        if (!str_to_llong (value, 0, UINT16_MAX, &w))
          return skiff_error_set_status (
              err, EINVAL, "invalid value for blkio-weight: strconv.ParseUint: parsing \"%s\": invalid syntax", value);
        if (w != 0 && (w < BLKIO_WEIGHT_MIN || w > BLKIO_WEIGHT_MAX))
          return skiff_error_set_status (err, EINVAL, "range of blkio weight is from 10 to 1000");
        l->blkio_weight = (uint16_t) w;
        return 0;
      }
    case SKIFF_CGF_DEVICE_READ_BPS:
    case SKIFF_CGF_DEVICE_WRITE_BPS:
    case SKIFF_CGF_DEVICE_READ_IOPS:
    case SKIFF_CGF_DEVICE_WRITE_IOPS:
      return parse_throttle (l, flag, value, err);
    }
  return skiff_error_set_status (err, EINVAL, "unknown resource limit flag %d", (int) flag);
}

int
skiff_cgroup_limits_finish (struct skiff_cgroup_limits *l, skiff_error_t *err)
{
  /* podman's LimitToSwap: a memory limit without --memory-swap allows as much swap again */
  if (l->memory > 0 && l->memory_swap == 0)
    l->memory_swap = 2 * l->memory;
  if (l->memory_swap != 0 && l->memory == 0)
    return skiff_error_set_status (err, EINVAL,
                                   "you should always set a memory limit when using a memoryswap limit, see usage");
  if (l->memory_swap > 0 && l->memory_swap < l->memory)
    return skiff_error_set_status (err, EINVAL,
                                   "minimum memoryswap limit should be larger than memory limit, see usage");
  if (l->memory > 0 && l->memory_reservation > l->memory)
    return skiff_error_set_status (err, EINVAL,
                                   "minimum memory limit cannot be less than memory reservation limit, see usage");
  /* --cpu-quota alone keeps the kernel's period, --cpu-period alone leaves the quota unlimited */
  return 0;
}
