/* Container and pod records as earlier skiffs wrote them (tests/data/records) load into the typed records
 * unchanged, and what skiff writes back keeps their shape: a user's containers survive an upgrade. */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "engine/internal.h"
#include "runtime/caps.h"

static char *
fixture (const char *name, size_t *len)
{
  char path[1024];
  snprintf (path, sizeof path, "%s/tests/data/records/%s", SKIFF_TEST_SRCDIR, name);
  char *text = NULL;
  skiff_error_t err = NULL;
  cr_assert_eq (read_file (path, &text, len, &err), 0, "%s: %s", path, err ? err->msg : "");
  return text;
}

static struct skiff_container *
load (const char *name)
{
  size_t len;
  char *text = fixture (name, &len);
  skiff_error_t err = NULL;
  struct skiff_container *c = skiff_container_from_json (text, len, &err);
  cr_assert_not_null (c, "%s: %s", name, err ? err->msg : "");
  free (text);
  return c;
}

static const struct skiff_rlimit *
rlimit_of (const struct skiff_container *c, int resource)
{
  for (size_t i = 0; i < c->nrlimits; i++)
    if (c->rlimits[i].resource == resource)
      return &c->rlimits[i];
  return NULL;
}

Test (records, full_record_of_a48f800)
{
  struct skiff_container *c = load ("container-full.json");
  cr_assert_str_eq (c->id, "bb79abe92a10fc12ab0c666a5cdfe2bb6a5f55840d703c03c072691bd475c608");
  cr_assert_str_eq (c->name, "full");
  cr_assert_str_eq (c->image_name, "localhost/busybox:latest");
  cr_assert_eq (c->state, SKIFF_CTR_RUNNING);
  cr_assert_eq (c->pid, 3943);
  cr_assert_eq (c->conmon_pid, 3942);
  cr_assert_eq (c->creator_pid, 3940);
  cr_assert_str_eq (c->args[2], "echo hi; sleep 1000");
  cr_assert_str_eq (c->env[2], "FOO=bar");
  cr_assert_str_eq (c->user, "1000:1000");
  cr_assert_str_eq (c->workdir, "/tmp");
  cr_assert_str_eq (c->hostname, "myhost");
  /* --cap-drop CHOWN --cap-add NET_ADMIN over the default set */
  cr_assert_eq (c->caps, 0x800415faULL);
  cr_assert (c->no_new_privileges);
  cr_assert_eq (c->seccomp, SKIFF_SECCOMP_DEFAULT);
  const struct skiff_rlimit *nofile = rlimit_of (c, RLIMIT_NOFILE);
  cr_assert_not_null (nofile);
  cr_assert_eq (nofile->limit.rlim_cur, 1024);
  cr_assert_eq (nofile->limit.rlim_max, 2048);
  cr_assert_not_null (rlimit_of (c, RLIMIT_CORE));
  cr_assert_eq (c->stop_signal, SIGUSR1);
  cr_assert_eq (c->stop_timeout, 3);
  cr_assert_eq (c->restart.policy, SKIFF_RESTART_ON_FAILURE);
  cr_assert_eq (c->restart.max_retries, 2);
  cr_assert_eq (c->log_driver, SKIFF_LOG_K8S_FILE);
  cr_assert (str_has_suffix (c->log_path, "/ctr.log"));
  cr_assert_eq (c->log_size_max, 10000);
  cr_assert_eq (c->net.mode, SKIFF_NETMODE_SLIRP);
  cr_assert (c->net.slirp.allow_host_loopback);
  cr_assert_eq (c->net.slirp.mtu, 1500);
  cr_assert (c->net.slirp.mac_set);
  cr_assert_eq (c->net.slirp.mac[0], 0x92);
  cr_assert_eq (c->net.nports, 2);
  cr_assert_eq (c->net.ports[0].host_port, 8080);
  cr_assert_eq (c->net.ports[0].container_port, 80);
  cr_assert (c->net.ports[1].udp);
  cr_assert_eq (c->net.ports[1].host_ip.s_addr, htonl (INADDR_LOOPBACK));
  cr_assert_str_eq (skiff_kvlist_get (&c->labels, "tier"), "front");
  cr_assert_str_eq (skiff_kvlist_get (&c->annotations, "owner"), "me");
  cr_assert (c->read_only_tmpfs);
  skiff_container_free (c);
}

Test (records, created_exited_and_pod_containers_of_a48f800)
{
  struct skiff_container *c = load ("container-created.json");
  cr_assert_eq (c->state, SKIFF_CTR_CREATED);
  cr_assert_eq (c->log_driver, SKIFF_LOG_NONE);
  cr_assert_null (c->log_path);
  cr_assert (c->read_only);
  cr_assert (!c->read_only_tmpfs);
  cr_assert_eq (c->net.mode, SKIFF_NETMODE_NONE);
  skiff_container_free (c);

  c = load ("container-exited.json");
  cr_assert_eq (c->state, SKIFF_CTR_EXITED);
  cr_assert_eq (c->exit_code, 3);
  cr_assert (c->privileged);
  cr_assert_eq (c->seccomp, SKIFF_SECCOMP_UNCONFINED);
  cr_assert_neq (c->finished_ns, 0);
  skiff_container_free (c);

  c = load ("container-inpod.json");
  cr_assert_eq (c->net.mode, SKIFF_NETMODE_POD);
  cr_assert_str_eq (c->net.join_id, c->pod_id);
  cr_assert_str_eq (c->hostname, "mypod");
  skiff_container_free (c);
}

/* records of skiffs before networking, and of the very first one: the defaults those skiffs applied */
Test (records, older_shapes_get_their_defaults)
{
  struct skiff_container *c = load ("container-networking.json");
  cr_assert_eq (c->net.mode, SKIFF_NETMODE_NONE, "\"private\" was loopback only");
  cr_assert_eq (c->seccomp, SKIFF_SECCOMP_CUSTOM);
  cr_assert_str_eq (c->seccomp_profile, "{\"defaultAction\":\"SCMP_ACT_ALLOW\"}");
  const struct skiff_rlimit *nofile = rlimit_of (c, RLIMIT_NOFILE);
  cr_assert_not_null (nofile);
  cr_assert_eq (nofile->limit.rlim_max, 100, "a ulimit without a hard limit has hard = soft");
  cr_assert (c->tty);
  cr_assert_eq (c->labels.n, 0);
  cr_assert_eq (c->exit_code, 137);
  skiff_container_free (c);

  c = load ("container-first.json");
  cr_assert_eq (c->state, SKIFF_CTR_EXITED);
  cr_assert_str_eq (c->name, "first");
  cr_assert_eq (c->caps, SKIFF_CAPS_DEFAULT);
  cr_assert_eq (c->seccomp, SKIFF_SECCOMP_DEFAULT);
  cr_assert_eq (c->stop_signal, SIGTERM);
  cr_assert_eq (c->stop_timeout, SKIFF_DEFAULT_STOP_TIMEOUT);
  cr_assert_eq (c->restart.policy, SKIFF_RESTART_NO);
  cr_assert_eq (c->log_driver, SKIFF_LOG_K8S_FILE);
  cr_assert_null (c->log_path, "the default path, found from the root when needed");
  cr_assert_eq (c->log_size_max, -1);
  cr_assert (c->read_only_tmpfs);
  cr_assert_str_eq (c->workdir, "/");
  cr_assert_null (c->user);
  cr_assert_eq (c->net.mode, SKIFF_NETMODE_NONE);
  skiff_container_free (c);
}

/* What skiff writes back has every key the old record had, with the same values for what did not change */
static void
round_trip (const char *name)
{
  size_t len;
  char *text = fixture (name, &len);
  json_object *old = json_tokener_parse (text);
  struct skiff_container *c = skiff_container_from_json (text, len, NULL);
  char *written = skiff_container_to_json (c);
  json_object *now = json_tokener_parse (written);
  json_object_object_foreach (old, k, v)
  {
    json_object *w = NULL;
    cr_assert (json_object_object_get_ex (now, k, &w), "%s: %s is lost", name, k);
    /* Ulimits are written as NAME=SOFT:HARD, which the old text may have left short */
    if (strcmp (k, "Ulimits") == 0)
      continue;
    cr_assert_str_eq (json_object_to_json_string (w), json_object_to_json_string (v), "%s: %s changed", name, k);
  }
  /* and reads back the same */
  struct skiff_container *again = skiff_container_from_json (written, strlen (written), NULL);
  char *rewritten = skiff_container_to_json (again);
  cr_assert_str_eq (rewritten, written, "%s: a second round trip differs", name);
  free (rewritten);
  skiff_container_free (again);
  json_object_put (now);
  free (written);
  skiff_container_free (c);
  json_object_put (old);
  free (text);
}

Test (records, written_back_in_the_same_shape)
{
  round_trip ("container-full.json");
  round_trip ("container-created.json");
  round_trip ("container-exited.json");
  round_trip ("container-inpod.json");
}

Test (records, pod_record_of_a48f800)
{
  size_t len;
  char *text = fixture ("pod-mypod.json", &len);
  struct skiff_pod *p = skiff_pod_from_json (text, len, NULL);
  cr_assert_not_null (p);
  cr_assert_str_eq (p->name, "mypod");
  cr_assert (p->share_net && p->share_uts && !p->share_ipc);
  cr_assert_eq (p->infra_pid, 3972);
  cr_assert_eq (p->net.mode, SKIFF_NETMODE_SLIRP);
  cr_assert_eq (p->net.nports, 1);
  cr_assert_eq (p->net.ports[0].host_port, 9090);
  cr_assert_str_eq (skiff_kvlist_get (&p->labels, "a"), "b");
  char *written = skiff_pod_to_json (p);
  json_object *old = json_tokener_parse (text), *now = json_tokener_parse (written);
  json_object_object_foreach (old, k, v)
  {
    json_object *w = NULL;
    cr_assert (json_object_object_get_ex (now, k, &w), "%s is lost", k);
    cr_assert_str_eq (json_object_to_json_string (w), json_object_to_json_string (v), "%s changed", k);
  }
  json_object_put (old);
  json_object_put (now);
  free (written);
  skiff_pod_free (p);
  free (text);
}

Test (records, malformed_records_are_refused)
{
  skiff_error_t err = NULL;
  cr_assert_null (skiff_container_from_json ("{\"Name\":\"x\"}", 12, &err));
  cr_assert_not_null (err);
  skiff_error_release (&err);
  const char *bad_id = "{\"Id\":\"../../etc\"}";
  cr_assert_null (skiff_container_from_json (bad_id, strlen (bad_id), &err), "an ID that is a path");
  skiff_error_release (&err);
  cr_assert_null (skiff_container_from_json ("[1,2]", 5, &err));
  skiff_error_release (&err);
}
