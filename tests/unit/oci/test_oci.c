/* oci: sha256 digests, the image config (parse, canonical serialization, --change), manifests, indexes,
 * RFC 3339 times. */
#include <criterion/criterion.h>
#include <fcntl.h>

#include "oci/digest.h"
#include "oci/image.h"

#define SHA_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

Test (digest, known_vectors_and_streaming)
{
  char hex[65];
  skiff_sha256_hex ("", 0, hex);
  cr_assert_str_eq (hex, SHA_EMPTY);
  skiff_sha256_hex ("abc", 3, hex);
  cr_assert_str_eq (hex, SHA_ABC);
  struct skiff_sha256 *s = skiff_sha256_new ();
  skiff_sha256_update (s, "a", 1);
  skiff_sha256_update (s, "", 0);
  skiff_sha256_update (s, "bc", 2);
  skiff_sha256_final (s, hex);
  cr_assert_str_eq (hex, SHA_ABC);
  int p[2];
  cr_assert_eq (pipe (p), 0);
  cr_assert_eq (write (p[1], "abc", 3), 3);
  close (p[1]);
  uint64_t size = 0;
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_sha256_fd (p[0], hex, &size, &err), 0);
  close (p[0]);
  cr_assert_str_eq (hex, SHA_ABC);
  cr_assert_eq (size, 3);
}

Test (digest, validation)
{
  cr_assert (skiff_digest_valid ("sha256:" SHA_ABC));
  cr_assert (skiff_digest_valid (SHA_ABC));
  cr_assert_str_eq (skiff_digest_hex ("sha256:" SHA_ABC), SHA_ABC);
  cr_assert_not (skiff_digest_valid ("sha256:"
                                     "BA7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  cr_assert_not (skiff_digest_valid ("sha256:abc"));
  cr_assert_not (skiff_digest_valid ("sha512:" SHA_ABC));
  cr_assert_not (skiff_digest_valid (NULL));
  cr_assert_null (skiff_digest_hex ("sha256:" SHA_ABC "0"));
  cr_assert (skiff_hex_id_valid (SHA_ABC));
  cr_assert_not (skiff_hex_id_valid ("sha256:" SHA_ABC));
}

static const char docker_config[]
    = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"os.version\":\"x\",\"created\":\"2024-01-02T03:04:05.5Z\","
      "\"container_config\":{\"Hostname\":\"h\"},"
      "\"config\":{\"Hostname\":\"\",\"Env\":[\"PATH=/usr/bin\",\"A=b\"],\"Cmd\":[\"sh\"],\"Healthcheck\":{\"Test\":"
      "[\"NONE\"]},\"WorkingDir\":\"/srv\",\"User\":\"1000\",\"Labels\":{\"z\":\"1\",\"a\":\"2\"},"
      "\"ExposedPorts\":{\"80/tcp\":{},\"443/tcp\":{}},\"Volumes\":{\"/data\":{}},\"StopSignal\":\"SIGQUIT\"},"
      "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:" SHA_ABC "\"]},"
      "\"history\":[{\"created_by\":\"/bin/sh\"}]}";

Test (config, parse_typed_fields)
{
  struct skiff_image_config *c = NULL;
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_image_config_parse (docker_config, strlen (docker_config), &c, &err), 0, "%s",
                err ? err->msg : "");
  cr_assert_str_eq (c->architecture, "amd64");
  cr_assert_str_eq (c->os, "linux");
  cr_assert_str_eq (c->created, "2024-01-02T03:04:05.5Z");
  cr_assert_str_eq (c->env[1], "A=b");
  cr_assert_str_eq (c->cmd[0], "sh");
  cr_assert_null (c->entrypoint);
  cr_assert_str_eq (c->working_dir, "/srv");
  cr_assert_str_eq (c->user, "1000");
  cr_assert_str_eq (c->stop_signal, "SIGQUIT");
  cr_assert_eq (strv_len (c->label_keys), 2);
  cr_assert_eq (strv_len (c->label_values), 2);
  cr_assert_eq (strv_len (c->exposed_ports), 2);
  cr_assert_str_eq (c->volumes[0], "/data");
  cr_assert_str_eq (c->diff_ids[0], "sha256:" SHA_ABC);
  cr_assert_not_null (c->raw);
  skiff_image_config_free (c);
}

Test (config, serialization_is_canonical_and_keeps_unknown_fields)
{
  struct skiff_image_config *c = NULL;
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_image_config_parse (docker_config, strlen (docker_config), &c, &err), 0);
  char *a = skiff_image_config_to_json (c);
  cr_assert (str_has_prefix (a, "{\"created\":\"2024-01-02T03:04:05.5Z\",\"architecture\":\"amd64\",\"os\":\"linux\","
                                "\"config\":{\"User\":\"1000\",\"ExposedPorts\":{\"443/tcp\":{},\"80/tcp\":{}},"),
             "%s", a);
  cr_assert_not_null (strstr (a, "\"Labels\":{\"a\":\"2\",\"z\":\"1\"}"), "labels sorted: %s", a);
  cr_assert_not_null (strstr (a, "\"Healthcheck\":{\"Test\":[\"NONE\"]}"), "unknown config key kept: %s", a);
  cr_assert_not_null (strstr (a, "\"history\":[{\"created_by\":\"/bin/sh\"}]"), "%s", a);
  cr_assert_not_null (strstr (a, "\"os.version\":\"x\""), "%s", a);
  cr_assert_not_null (strstr (a, "\"container_config\""), "%s", a);
  cr_assert_null (strstr (a, " "), "no whitespace: %s", a);
  cr_assert_null (strstr (a, "\\/"), "slashes not escaped: %s", a);
  /* stable: serializing again, or parsing and serializing, gives the same bytes */
  char *b = skiff_image_config_to_json (c);
  cr_assert_str_eq (a, b);
  struct skiff_image_config *d = NULL;
  cr_assert_eq (skiff_image_config_parse (a, strlen (a), &d, &err), 0);
  char *e = skiff_image_config_to_json (d);
  cr_assert_str_eq (a, e);
  /* a changed typed field wins over raw */
  free (c->user);
  c->user = NULL;
  strv_free (c->cmd);
  c->cmd = NULL;
  char *f = skiff_image_config_to_json (c);
  cr_assert_null (strstr (f, "\"User\""), "%s", f);
  cr_assert_null (strstr (f, "\"Cmd\""), "%s", f);
  free (a);
  free (b);
  free (e);
  free (f);
  skiff_image_config_free (c);
  skiff_image_config_free (d);
}

Test (config, a_new_config_serializes)
{
  struct skiff_image_config *c = skiff_image_config_new ();
  c->os = xstrdup ("linux");
  strv_push (&c->diff_ids, "sha256:" SHA_ABC);
  skiff_image_config_add_history (c, "2024-01-01T00:00:00Z", NULL, "imported from tarball", false);
  char *j = skiff_image_config_to_json (c);
  cr_assert_str_eq (j, "{\"os\":\"linux\",\"config\":{},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:" SHA_ABC
                       "\"]},\"history\":[{\"created\":\"2024-01-01T00:00:00Z\",\"comment\":\"imported from "
                       "tarball\"}]}");
  free (j);
  skiff_image_config_free (c);
}

Test (config, parse_errors)
{
  static const char *const bad[] = {
    "not json",
    "[1,2]",
    "{\"config\":{\"Env\":\"A=b\"}}",
    "{\"config\":{\"Cmd\":[1]}}",
    "{\"rootfs\":{\"diff_ids\":[\"sha256:abc\"]}}",
    "{\"os\":\"linux\"} trailing",
    "{\"os\":",
    "{\"config\":{\"Labels\":{\"a\":1}}}",
  };
  for (size_t i = 0; i < ARRAY_SIZE (bad); i++)
    {
      struct skiff_image_config *c = NULL;
      skiff_error_t err = NULL;
      cr_assert_lt (skiff_image_config_parse (bad[i], strlen (bad[i]), &c, &err), 0, "%s", bad[i]);
      cr_assert (str_has_prefix (err->msg, "invalid image config"), "%s: %s", bad[i], err->msg);
      skiff_error_release (&err);
    }
}

static struct skiff_image_config *
changed (const char *const *changes)
{
  struct skiff_image_config *c = skiff_image_config_new ();
  for (size_t i = 0; changes[i]; i++)
    {
      skiff_error_t err = NULL;
      cr_assert_eq (skiff_image_config_apply_change (c, changes[i], &err), 0, "%s: %s", changes[i],
                    err ? err->msg : "");
    }
  return c;
}

static void
assert_strv (char **v, const char *const *want)
{
  size_t n = 0;
  for (; want[n]; n++)
    {
      cr_assert_not_null (v, "missing: want %s", want[n]);
      cr_assert_str_eq (v[n], want[n]);
    }
  cr_assert_eq (strv_len (v), n);
}

Test (change, cmd_and_entrypoint)
{
  const char *const c1[] = { "CMD [\"sh\", \"-c\", \"x\"]", NULL };
  struct skiff_image_config *c = changed (c1);
  assert_strv (c->cmd, (const char *const[]){ "sh", "-c", "x", NULL });
  skiff_image_config_free (c);
  const char *const c2[] = { "CMD sh -c x", "ENTRYPOINT=[\"/init\"]", NULL };
  c = changed (c2);
  assert_strv (c->cmd, (const char *const[]){ "/bin/sh", "-c", "sh -c x", NULL });
  assert_strv (c->entrypoint, (const char *const[]){ "/init", NULL });
  skiff_image_config_free (c);
  const char *const c3[] = { "cmd=[\"a\"]", "entrypoint echo hi", "CMD=/bin/true", NULL };
  c = changed (c3);
  assert_strv (c->cmd, (const char *const[]){ "/bin/sh", "-c", "/bin/true", NULL });
  assert_strv (c->entrypoint, (const char *const[]){ "/bin/sh", "-c", "echo hi", NULL });
  skiff_image_config_free (c);
  /* not valid JSON: shell form, as Docker does */
  const char *const c4[] = { "CMD [not json", NULL };
  c = changed (c4);
  assert_strv (c->cmd, (const char *const[]){ "/bin/sh", "-c", "[not json", NULL });
  skiff_image_config_free (c);
}

Test (change, env_label_expose_volume_workdir)
{
  const char *const ch[] = { "ENV A=b",
                             "ENV=C=\"d e\" F=g",
                             "ENV H i j",
                             "ENV A=replaced",
                             "LABEL version=1.0",
                             "LABEL=\"x\"=\"y z\"",
                             "EXPOSE 80 53/udp 8000-8001",
                             "EXPOSE 80",
                             "VOLUME /data",
                             "VOLUME [\"/a\", \"/b\"]",
                             "WORKDIR /srv",
                             "WORKDIR app/./x",
                             "WORKDIR ../y",
                             "USER 1000:1000",
                             "STOPSIGNAL SIGKILL",
                             NULL };
  struct skiff_image_config *c = changed (ch);
  assert_strv (c->env, (const char *const[]){ "A=replaced", "C=d e", "F=g", "H=i j", NULL });
  assert_strv (c->label_keys, (const char *const[]){ "version", "x", NULL });
  assert_strv (c->label_values, (const char *const[]){ "1.0", "y z", NULL });
  assert_strv (c->exposed_ports, (const char *const[]){ "80/tcp", "53/udp", "8000/tcp", "8001/tcp", NULL });
  assert_strv (c->volumes, (const char *const[]){ "/data", "/a", "/b", NULL });
  cr_assert_str_eq (c->working_dir, "/srv/app/y");
  cr_assert_str_eq (c->user, "1000:1000");
  cr_assert_str_eq (c->stop_signal, "SIGKILL");
  skiff_image_config_free (c);
}

Test (change, errors_name_the_fix)
{
  static const struct
  {
    const char *change, *why;
  } bad[] = {
    { "FROM busybox", "unsupported instruction FROM (supported: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, "
                      "VOLUME, WORKDIR)" },
    { "CMD", "expected INSTRUCTION VALUE or INSTRUCTION=VALUE" },
    { "EXPOSE abc", "expected PORT[-PORT][/tcp|udp|sctp]" },
    { "EXPOSE 70000", "expected PORT" },
    { "EXPOSE 80/icmp", "expected PORT" },
    { "ENV =x", "is not KEY=VALUE" },
    { "ENV A", "expected KEY=VALUE" },
    { "LABEL a=\"b", "unterminated" },
    { "WORKDIR ", "WORKDIR needs a path" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (bad); i++)
    {
      struct skiff_image_config *c = skiff_image_config_new ();
      skiff_error_t err = NULL;
      cr_assert_lt (skiff_image_config_apply_change (c, bad[i].change, &err), 0, "%s accepted", bad[i].change);
      cr_assert_not_null (strstr (err->msg, bad[i].why), "%s: %s", bad[i].change, err->msg);
      cr_assert_null (strstr (err->msg, "Invalid argument"), "%s", err->msg);
      skiff_error_release (&err);
      skiff_image_config_free (c);
    }
}

Test (manifest, roundtrip_and_errors)
{
  struct skiff_oci_descriptor layer
      = { .media_type = (char *) OCI_MEDIA_TYPE_LAYER_GZIP, .digest = (char *) "sha256:" SHA_ABC, .size = 42 };
  struct skiff_oci_manifest m
      = { .config = { .media_type = (char *) OCI_MEDIA_TYPE_CONFIG, .digest = (char *) "sha256:" SHA_EMPTY, .size = 7 },
          .layers = &layer,
          .n_layers = 1 };
  char *j = skiff_oci_manifest_to_json (&m);
  cr_assert_str_eq (j, "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":"
                       "{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:" SHA_EMPTY
                       "\",\"size\":7},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
                       "\"digest\":\"sha256:" SHA_ABC "\",\"size\":42}]}");
  struct skiff_oci_manifest *p = NULL;
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_oci_manifest_parse (j, strlen (j), &p, &err), 0, "%s", err ? err->msg : "");
  cr_assert_str_eq (p->config.digest, "sha256:" SHA_EMPTY);
  cr_assert_eq (p->n_layers, 1);
  cr_assert_eq (p->layers[0].size, 42);
  cr_assert_str_eq (p->layers[0].media_type, OCI_MEDIA_TYPE_LAYER_GZIP);
  skiff_oci_manifest_free (p);
  free (j);
  static const char *const bad[] = {
    "{\"schemaVersion\":1}",
    "{\"schemaVersion\":2,\"layers\":[]}",
    "{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:abc\",\"size\":1},\"layers\":[]}",
    "{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:" SHA_ABC "\"},\"layers\":[]}",
    "{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:" SHA_ABC "\",\"size\":1}}",
  };
  for (size_t i = 0; i < ARRAY_SIZE (bad); i++)
    {
      cr_assert_lt (skiff_oci_manifest_parse (bad[i], strlen (bad[i]), &p, &err), 0, "%s", bad[i]);
      cr_assert (str_has_prefix (err->msg, "invalid image manifest"), "%s", err->msg);
      skiff_error_release (&err);
    }
}

Test (index, platforms)
{
  const char idx[]
      = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
        "{\"mediaType\":\"m\",\"digest\":\"sha256:" SHA_ABC "\",\"size\":1,\"platform\":{\"architecture\":"
        "\"arm64\",\"os\":\"linux\",\"variant\":\"v8\"}},"
        "{\"mediaType\":\"m\",\"digest\":\"sha256:" SHA_EMPTY "\",\"size\":2,\"platform\":{\"architecture\":"
        "\"amd64\",\"os\":\"linux\"}}]}";
  struct skiff_oci_index *i = NULL;
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_oci_index_parse (idx, strlen (idx), &i, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (i->n_manifests, 2);
  cr_assert_str_eq (i->manifests[0].variant, "v8");
  cr_assert_str_eq (i->manifests[1].architecture, "amd64");
  cr_assert_null (i->manifests[1].variant);
  skiff_oci_index_free (i);
}

Test (time, rfc3339)
{
  uint64_t ns = 0;
  cr_assert_eq (skiff_rfc3339_parse ("2024-01-02T03:04:05Z", &ns), 0);
  cr_assert_eq (ns, 1704164645ULL * 1000000000ULL);
  cr_assert_eq (skiff_rfc3339_parse ("2024-01-02T03:04:05.123456789Z", &ns), 0);
  cr_assert_eq (ns, 1704164645ULL * 1000000000ULL + 123456789ULL);
  cr_assert_eq (skiff_rfc3339_parse ("2024-01-02T04:04:05.5+01:00", &ns), 0);
  cr_assert_eq (ns, 1704164645ULL * 1000000000ULL + 500000000ULL);
  char *s = format_time_rfc3339 (1704164645ULL * 1000000000ULL + 7);
  cr_assert_eq (skiff_rfc3339_parse (s, &ns), 0);
  cr_assert_eq (ns, 1704164645ULL * 1000000000ULL + 7);
  free (s);
  static const char *const bad[] = {
    "", "2024-01-02", "2024-01-02T03:04:05", "2024-13-02T03:04:05Z", "2024-01-02T03:04:05.Z", "2024-01-02T03:04:05Zjunk"
  };
  for (size_t i = 0; i < ARRAY_SIZE (bad); i++)
    cr_assert_lt (skiff_rfc3339_parse (bad[i], &ns), 0, "%s", bad[i]);
  cr_assert_str_eq (skiff_oci_goarch ("x86_64"), "amd64");
  cr_assert_str_eq (skiff_oci_goarch ("aarch64"), "arm64");
  cr_assert_str_eq (skiff_oci_goarch ("weird"), "weird");
}
