/* The engine's rules: names, restart decisions, signals, and the slirp options as a record keeps them. */
#include <criterion/criterion.h>
#include <regex.h>
#include <signal.h>

#include "engine/internal.h"

Test (rules, container_and_pod_names)
{
  static const char *const good[] = { "a", "web", "my-app_1.2", "0abc", "A.B" };
  static const char *const bad[] = { "", "-a", "_a", ".a", "a b", "a/b", "a:b", "café" };
  for (size_t i = 0; i < sizeof good / sizeof *good; i++)
    cr_assert (skiff_name_valid (good[i]), "%s", good[i]);
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    cr_assert (!skiff_name_valid (bad[i]), "%s", bad[i]);
  char longest[254];
  memset (longest, 'a', sizeof longest - 1);
  longest[sizeof longest - 1] = '\0';
  cr_assert (skiff_name_valid (longest), "253 characters");
  char too_long[255];
  memset (too_long, 'a', sizeof too_long - 1);
  too_long[sizeof too_long - 1] = '\0';
  cr_assert (!skiff_name_valid (too_long), "254 characters");
  regex_t re;
  cr_assert_eq (regcomp (&re, "^[a-z]+_[a-z]+$", REG_EXTENDED | REG_NOSUB), 0);
  for (int i = 0; i < 50; i++)
    {
      cleanup_free char *n = skiff_random_name ();
      cr_assert_eq (regexec (&re, n, 0, NULL, 0), 0, "%s", n);
      cr_assert (skiff_name_valid (n), "%s", n);
    }
  regfree (&re);
}

static struct skiff_restart
restart (const char *s)
{
  struct skiff_restart r;
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_spec_parse_restart (s, &r, &err), 0, "%s: %s", s, err ? err->msg : "");
  return r;
}

Test (rules, restart_decisions)
{
  struct skiff_restart r = restart ("no");
  cr_assert (!skiff_restart_wanted (&r, 1, 0));
  r = restart ("");
  cr_assert (!skiff_restart_wanted (&r, 1, 0));
  r = restart ("always");
  cr_assert (skiff_restart_wanted (&r, 0, 0) && skiff_restart_wanted (&r, 1, 1000));
  r = restart ("unless-stopped");
  cr_assert (skiff_restart_wanted (&r, 0, 5));
  /* on-failure: non-zero exits only, at most N times (0: no limit) */
  r = restart ("on-failure");
  cr_assert (!skiff_restart_wanted (&r, 0, 0));
  cr_assert (skiff_restart_wanted (&r, 3, 1000));
  r = restart ("on-failure:2");
  cr_assert_eq (r.max_retries, 2);
  cr_assert (skiff_restart_wanted (&r, 1, 0) && skiff_restart_wanted (&r, 1, 1));
  cr_assert (!skiff_restart_wanted (&r, 1, 2), "two restarts were allowed");
  cr_assert (skiff_restart_wanted (&r, 137, 1), "a kill is a failure");

  static const char *const bad[][2] = {
    { "sometimes", "is not a valid restart policy" },
    { "always:3", "retries can only be specified with on-failure" },
    { "on-failure:x", "is not a number" },
    { "on-failure:-1", "greater than 0" },
    { "on-failure:1:2", "at most once" },
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    {
      struct skiff_restart x;
      skiff_error_t err = NULL;
      cr_assert_lt (skiff_spec_parse_restart (bad[i][0], &x, &err), 0, "%s", bad[i][0]);
      cr_assert (strstr (err->msg, bad[i][1]), "%s: %s", bad[i][0], err->msg);
      skiff_error_release (&err);
    }
}

Test (rules, signals_by_name_and_number)
{
  cr_assert_eq (skiff_signal_parse ("TERM", NULL), SIGTERM);
  cr_assert_eq (skiff_signal_parse ("sigusr1", NULL), SIGUSR1);
  cr_assert_eq (skiff_signal_parse ("9", NULL), SIGKILL);
  cr_assert_eq (skiff_signal_parse ("64", NULL), 64);
  /* podman's ParseSignal: one leading dash dropped; real-time names */
  cr_assert_eq (skiff_signal_parse ("-1", NULL), SIGHUP);
  cr_assert_eq (skiff_signal_parse ("-SIGINT", NULL), SIGINT);
  cr_assert_eq (skiff_signal_parse ("-int", NULL), SIGINT);
  cr_assert_eq (skiff_signal_parse ("RTMIN+2", NULL), SIGRTMIN + 2);
  cr_assert_eq (skiff_signal_parse ("SIGRTMAX-1", NULL), SIGRTMAX - 1);
  char buf[32];
  cr_assert_str_eq (skiff_signal_name (SIGQUIT, buf, sizeof buf), "SIGQUIT");
  cr_assert_str_eq (skiff_signal_name (40, buf, sizeof buf), "40");
}

/* podman's two errors, word for word, with the dash dropped from the text */
Test (rules, signals_invalid)
{
  static const char *const bad[][2] = {
    { "0", "invalid signal: 0" },
    { "-0", "invalid signal: 0" },
    { "SIGBADSIG", "invalid signal: SIGBADSIG" },
    { "-SIG", "invalid signal: SIG" },
    { "-", "invalid signal: " },
    { "%%", "invalid signal: %%" },
    { "RTMIN+16", "invalid signal: RTMIN+16" },
    { "65", "valid signals are 1 through 64" },
    { "-65", "valid signals are 1 through 64" },
    { "99999999", "valid signals are 1 through 64" },
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      skiff_error_t err = NULL;
      cr_assert_lt (skiff_signal_parse (bad[i][0], &err), 0, "%s", bad[i][0]);
      cr_assert_str_eq (err->msg, bad[i][1], "%s", bad[i][0]);
      skiff_error_release (&err);
    }
  cr_assert_lt (skiff_signal_parse ("NOPE", NULL), 0);
}

/* the record keeps slirp4netns's options as text: what differs from the defaults, read back the same */
Test (rules, slirp_options_as_recorded)
{
  struct skiff_net_options o, back;
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_spec_parse_slirp (NULL, &o, &err), 0);
  cleanup_free char *none = skiff_net_options_format (&o);
  cr_assert_str_eq (none, "");
  cr_assert_eq (
      skiff_spec_parse_slirp ("mtu=1500,allow_host_loopback=true,cidr=10.0.3.0/24,enable_ipv6=true", &o, &err), 0);
  cleanup_free char *text = skiff_net_options_format (&o);
  cr_assert_str_eq (text, "allow_host_loopback=true,cidr=10.0.3.0/24,enable_ipv6=true,mtu=1500");
  cr_assert_eq (skiff_spec_parse_slirp (text, &back, &err), 0);
  cr_assert_eq (back.network.s_addr, o.network.s_addr);
  cr_assert_eq (back.mtu, 1500);
  cr_assert (back.allow_host_loopback && back.enable_ipv6);
}

/* logs --since/--until: podman's ParseInputTime forms */
Test (rules, logs_times)
{
  uint64_t ns = 0;
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_logs_parse_time ("2020-09-13T12:26:40Z", true, &ns, &err), 0);
  cr_assert_eq (ns, 1600000000ULL * 1000000000ULL);
  cr_assert_eq (skiff_logs_parse_time ("2020-09-13T14:26:40.5+02:00", true, &ns, &err), 0);
  cr_assert_eq (ns, 1600000000ULL * 1000000000ULL + 500000000ULL);
  cr_assert_eq (skiff_logs_parse_time ("1000", true, &ns, &err), 0);
  cr_assert_eq (ns, 1000ULL * 1000000000ULL);
  /* a duration: back from now for --since, ahead for --until */
  uint64_t now = realtime_ns ();
  cr_assert_eq (skiff_logs_parse_time ("1h10m", true, &ns, &err), 0);
  cr_assert (ns < now - 4100ULL * 1000000000ULL && ns > now - 4300ULL * 1000000000ULL);
  cr_assert_eq (skiff_logs_parse_time ("1.5s", false, &ns, &err), 0);
  cr_assert (ns > now);
  /* a date alone is local midnight */
  cr_assert_eq (skiff_logs_parse_time ("2020-09-13", true, &ns, &err), 0);
  cr_assert_eq (skiff_logs_parse_time ("2020-09-13T10:00:00", true, &ns, &err), 0);
  cr_assert_lt (skiff_logs_parse_time ("yesterday", true, &ns, &err), 0);
  cr_assert_str_eq (err->msg, "unable to interpret time value");
  skiff_error_release (&err);
  cr_assert_lt (skiff_logs_parse_time ("10x", true, &ns, NULL), 0);
}
