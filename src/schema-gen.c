/* schema-gen.c: cc-proxy-schema-gen, run by the build on each provider
 *
 *   cc-proxy-schema-gen --builtin ID           the built-in provider
 *   cc-proxy-schema-gen --module FILE.so       the provider a module registers
 *
 * Writes the provider's gschema XML to standard output.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <stdio.h>

#include "cc-proxy-registry.h"
#include "cc-proxy-schema.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(CcProxyRegistry) registry = NULL;
  g_autofree char *schema = NULL;
  CcProxyProvider *provider = NULL;

  g_set_prgname ("cc-proxy-schema-gen");
  registry = cc_proxy_registry_new ();

  if (argc == 3 && g_str_equal (argv[1], "--builtin"))
    {
      provider = cc_proxy_registry_lookup (registry, argv[2]);
    }
  else if (argc == 3 && g_str_equal (argv[1], "--module"))
    {
      g_autofree char *dir = g_path_get_dirname (argv[2]);
      g_autofree char *name = g_path_get_basename (argv[2]);
      GPtrArray *providers;

      cc_proxy_registry_load_module (registry, dir, name);
      providers = cc_proxy_registry_get_providers (registry);
      if (providers->len == 2)
        provider = g_ptr_array_index (providers, 1);
      else
        {
          const char *why = g_hash_table_lookup (cc_proxy_registry_get_load_errors (registry), name);

          g_printerr ("%s: %s: %s\n", g_get_prgname (), argv[2],
                      why ? why : "the module must register exactly one provider");
          return 1;
        }
    }
  else
    {
      g_printerr ("usage: %s --builtin ID | --module FILE\n", g_get_prgname ());
      return 2;
    }

  if (provider == NULL)
    {
      g_printerr ("%s: no provider “%s”\n", g_get_prgname (), argv[2]);
      return 1;
    }

  schema = cc_proxy_schema_from_descriptor (cc_proxy_provider_get_descriptor (provider));
  fputs (schema, stdout);
  return 0;
}
