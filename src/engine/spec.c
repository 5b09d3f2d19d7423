/* The spec types' defaults and release, and the parsers of their values, each delegating to the module that
 * owns the value's format (see spec.h). */
#include "engine/spec.h"

#include <ctype.h>
#include <signal.h>
#include <strings.h>

#include "runtime/caps.h"
#include "runtime/process.h"

void
skiff_spec_init (struct skiff_spec *s)
{
  memset (s, 0, sizeof *s);
  s->caps = SKIFF_CAPS_DEFAULT;
  s->read_only_tmpfs = true;
  skiff_net_options_parse (NULL, &s->net.slirp, NULL);
}

void
skiff_net_spec_release (struct skiff_net_spec *n)
{
  free (n->container);
  free (n->ports);
  strv_free (n->dns);
  strv_free (n->dns_search);
  strv_free (n->dns_option);
  for (size_t i = 0; i < n->nhosts; i++)
    {
      free (n->hosts[i].name);
      free (n->hosts[i].ip);
    }
  free (n->hosts);
  memset (n, 0, sizeof *n);
}

void
skiff_mounts_free (struct skiff_mount *m, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (m[i].source);
      free (m[i].destination);
      strv_free (m[i].options);
    }
  free (m);
}

struct skiff_mount *
skiff_mounts_dup (const struct skiff_mount *m, size_t n)
{
  struct skiff_mount *out = xmalloc0 ((n + 1) * sizeof *out);
  for (size_t i = 0; i < n; i++)
    {
      out[i].type = m[i].type;
      out[i].source = m[i].source ? xstrdup (m[i].source) : NULL;
      out[i].destination = xstrdup (m[i].destination);
      out[i].options = strv_dup (m[i].options);
    }
  return out;
}

void
skiff_spec_release (struct skiff_spec *s)
{
  free (s->name);
  free (s->image);
  free (s->pod);
  strv_free (s->entrypoint.v);
  strv_free (s->cmd.v);
  strv_free (s->env);
  strv_free (s->unsetenv);
  free (s->localtime);
  free (s->conmon_pidfile);
  free (s->workdir);
  free (s->user);
  free (s->hostname);
  free (s->seccomp_profile);
  free (s->rlimits);
  skiff_net_spec_release (&s->net);
  free (s->log_path);
  skiff_kvlist_release (&s->labels);
  skiff_kvlist_release (&s->annotations);
  skiff_mounts_free (s->mounts, s->nmounts);
  skiff_volumes_from_free (s->volumes_from, s->nvolumes_from);
  memset (s, 0, sizeof *s);
}

void
skiff_pod_spec_init (struct skiff_pod_spec *p)
{
  memset (p, 0, sizeof *p);
  /* podman's default is cgroup,ipc,net,uts; skiff makes no cgroups */
  p->share_ipc = p->share_net = p->share_uts = true;
  skiff_net_options_parse (NULL, &p->net.slirp, NULL);
}

void
skiff_pod_spec_release (struct skiff_pod_spec *p)
{
  free (p->name);
  free (p->hostname);
  skiff_net_spec_release (&p->net);
  skiff_kvlist_release (&p->labels);
  memset (p, 0, sizeof *p);
}

void
skiff_exec_spec_release (struct skiff_exec_spec *x)
{
  strv_free (x->command);
  strv_free (x->env);
  free (x->user);
  free (x->workdir);
  memset (x, 0, sizeof *x);
}

void
skiff_kvlist_set (struct skiff_kvlist *l, const char *key, const char *value)
{
  for (size_t i = 0; i < l->n; i++)
    if (strcmp (l->v[i].key, key) == 0)
      {
        free (l->v[i].value);
        l->v[i].value = xstrdup (value);
        return;
      }
  l->v = xrealloc (l->v, (l->n + 1) * sizeof *l->v);
  l->v[l->n++] = (struct skiff_kv){ xstrdup (key), xstrdup (value) };
}

const char *
skiff_kvlist_get (const struct skiff_kvlist *l, const char *key)
{
  for (size_t i = 0; i < l->n; i++)
    if (strcmp (l->v[i].key, key) == 0)
      return l->v[i].value;
  return NULL;
}

void
skiff_kvlist_copy (struct skiff_kvlist *dst, const struct skiff_kvlist *src)
{
  memset (dst, 0, sizeof *dst);
  for (size_t i = 0; i < src->n; i++)
    skiff_kvlist_set (dst, src->v[i].key, src->v[i].value);
}

void
skiff_kvlist_release (struct skiff_kvlist *l)
{
  for (size_t i = 0; i < l->n; i++)
    {
      free (l->v[i].key);
      free (l->v[i].value);
    }
  free (l->v);
  memset (l, 0, sizeof *l);
}

/* ---- parsers ---- */

int
skiff_spec_parse_restart (const char *s, struct skiff_restart *out, skiff_error_t *err)
{
  return skiff_restart_parse (s, out, err);
}

static const struct
{
  const char *name;
  int sig;
} signal_names[] = {
  { "HUP", SIGHUP },       { "INT", SIGINT },   { "QUIT", SIGQUIT },   { "ILL", SIGILL },   { "TRAP", SIGTRAP },
  { "ABRT", SIGABRT },     { "BUS", SIGBUS },   { "FPE", SIGFPE },     { "KILL", SIGKILL }, { "USR1", SIGUSR1 },
  { "SEGV", SIGSEGV },     { "USR2", SIGUSR2 }, { "PIPE", SIGPIPE },   { "ALRM", SIGALRM }, { "TERM", SIGTERM },
  { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT },   { "STOP", SIGSTOP }, { "TSTP", SIGTSTP },
  { "TTIN", SIGTTIN },     { "TTOU", SIGTTOU }, { "URG", SIGURG },     { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },
  { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF }, { "WINCH", SIGWINCH }, { "IO", SIGIO },     { "PWR", SIGPWR },
  { "SYS", SIGSYS },
};
#define SIGNAL_MAX 64
#define SIGNAL_RT_SPAN 15 /* RTMIN+1..RTMIN+15, RTMAX-14..RTMAX-1, as Go's signal map names them */

/* RTMIN, RTMIN+N, RTMAX, RTMAX-N (p upper-cased, without SIG); -1 otherwise */
static int
rt_signal (const char *p)
{
  int base = str_has_prefix (p, "RTMIN") ? SIGRTMIN : str_has_prefix (p, "RTMAX") ? SIGRTMAX : -1;
  if (base < 0)
    return -1;
  p += strlen ("RTMIN");
  if (*p == '\0')
    return base;
  long long n;
  if ((*p != (base == SIGRTMIN ? '+' : '-')) || !isdigit ((unsigned char) p[1])
      || !str_to_llong (p + 1, 1, SIGNAL_RT_SPAN - (base == SIGRTMAX), &n))
    return -1;
  return base == SIGRTMIN ? base + (int) n : base - (int) n;
}

/* podman's util.ParseSignal: one leading dash dropped, then a number (0: invalid; out of 1..64: its own
 * error) or a name, with or without SIG, in any case */
int
skiff_signal_parse (const char *s, skiff_error_t *err)
{
  const char *raw = s[0] == '-' ? s + 1 : s;
  const char *digits = raw[0] == '+' ? raw + 1 : raw;
  bool numeric = *digits != '\0';
  for (const char *q = digits; *q; q++)
    numeric &= isdigit ((unsigned char) *q) != 0;
  errno = 0;
  long long n = numeric ? strtoll (digits, NULL, 10) : 0;
  if (numeric && errno == 0 && n != 0)
    {
      if (n > SIGNAL_MAX)
        return skiff_error_set_status (err, EINVAL, "valid signals are 1 through %d", SIGNAL_MAX);
      return (int) n;
    }
  cleanup_free char *up = xstrdup (raw);
  for (char *q = up; *q; q++)
    *q = (char) toupper ((unsigned char) *q);
  const char *p = str_has_prefix (up, "SIG") ? up + 3 : up;
  for (size_t i = 0; !numeric && i < ARRAY_SIZE (signal_names); i++)
    if (strcmp (p, signal_names[i].name) == 0)
      return signal_names[i].sig;
  int rt = numeric ? -1 : rt_signal (p);
  if (rt > 0)
    return rt;
  return skiff_error_set_status (err, EINVAL, "invalid signal: %s", raw);
}

const char *
skiff_signal_name (int sig, char *buf, size_t len)
{
  for (size_t i = 0; i < ARRAY_SIZE (signal_names); i++)
    if (signal_names[i].sig == sig)
      {
        snprintf (buf, len, "SIG%s", signal_names[i].name);
        return buf;
      }
  snprintf (buf, len, "%d", sig);
  return buf;
}

int
skiff_spec_parse_caps (bool privileged, char *const *add, char *const *drop, uint64_t *out, skiff_error_t *err)
{
  /* privileged: all the caller has (a bounding set may lack some) */
  uint64_t base = privileged ? skiff_caps_bounding () : SKIFF_CAPS_DEFAULT;
  return skiff_caps_compute (base, add, drop, out, err);
}

int
skiff_spec_parse_ulimit (const char *s, struct skiff_rlimit **v, size_t *n, skiff_error_t *err)
{
  struct skiff_rlimit r;
  if (skiff_rlimit_parse (s, &r, err) < 0 || skiff_rlimit_check (&r, err) < 0)
    return -1;
  *v = xrealloc (*v, (*n + 1) * sizeof **v);
  (*v)[(*n)++] = r;
  return 0;
}

int
skiff_spec_parse_publish (const char *s, struct skiff_port **ports, size_t *n, skiff_error_t *err)
{
  return skiff_port_parse (s, ports, n, err);
}

int
skiff_spec_check_ports (const struct skiff_port *ports, size_t n, skiff_error_t *err)
{
  return skiff_ports_check (ports, n, err);
}

int
skiff_spec_parse_slirp (const char *options, struct skiff_net_options *o, skiff_error_t *err)
{
  return skiff_net_options_parse (options, o, err);
}

void
skiff_spec_env_add (char ***env, const char *kv)
{
  skiff_env_merge (env, kv);
}

int
skiff_spec_env_file (const char *file, char ***env, skiff_error_t *err)
{
  return skiff_env_merge_file (file, env, err);
}
