/* What `skiff info` reports about the host and the store, gathered from runtime, net and storage so that the
 * command layer need not reach past the engine. */
#ifndef SKIFF_ENGINE_INFO_H
#define SKIFF_ENGINE_INFO_H

#include <json-c/json.h>
#include <stdbool.h>

#include "engine/engine.h"

struct skiff_engine_info
{
  json_object *host;  /* podman's info "host" section */
  json_object *store; /* podman's info "store" section */
  /* cgroup v1 without v2 delegation, rootless: --memory, --cpus and --pids-limit cannot be applied */
  bool rootless_limits_unavailable;
};

/* Fill info (enters the user namespace and opens the store). Release with skiff_engine_info_release. */
int skiff_engine_info_get (struct skiff_engine *e, struct skiff_engine_info *info, skiff_error_t *err);
void skiff_engine_info_release (struct skiff_engine_info *info);
/* The machine as Go names it (GOARCH): "amd64", "arm64", else uname's machine. */
const char *skiff_go_arch (void);

#endif
