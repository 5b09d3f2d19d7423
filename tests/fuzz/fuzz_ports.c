/* Port specs (-p, podman's grammar with ranges and protocol lists) and --network slirp4netns:OPTIONS. */
#include "fuzz.h"
#include "net/net.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  cleanup_free char *s = fuzz_cstr (data, size);
  skiff_error_t err = NULL;
  struct skiff_port *ports = NULL;
  size_t n = 0;
  if (skiff_port_parse (s, &ports, &n, &err) == 0)
    {
      for (size_t i = 0; i < n; i++)
        if (ports[i].container_port == 0)
          abort (); /* a port spec always names the container's port */
      if (skiff_ports_check (ports, n, &err) < 0)
        skiff_error_release (&err);
    }
  skiff_error_release (&err);
  free (ports);
  struct skiff_net_options o;
  if (skiff_net_options_parse (s, &o, &err) < 0)
    skiff_error_release (&err);
  return 0;
}
