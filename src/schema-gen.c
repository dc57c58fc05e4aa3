/* schema-gen.c: cc-proxy-schema-gen, run by the build on each provider
 *
 *   cc-proxy-schema-gen [--gettext-domain DOMAIN] --builtin ID
 *   cc-proxy-schema-gen [--gettext-domain DOMAIN] --module FILE.so
 *   cc-proxy-schema-gen --descriptor --module FILE.so
 *
 * Writes the provider's gschema XML to standard output, or with
 * --descriptor the descriptor file cc-proxyd reads instead of loading
 * the module (a key file that goes beside the module: FILE.descriptor;
 * see cc-proxy-module-info.c). Installed,
 * and named by cc-proxy-2.pc's schema_gen variable, for providers built
 * out of the tree; DOMAIN is the provider's own gettext domain.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <stdio.h>

#include "cc-proxy-module-info.h"
#include "cc-proxy-registry.h"
#include "cc-proxy-schema.h"

#define USAGE "usage: cc-proxy-schema-gen [--gettext-domain DOMAIN | --descriptor] --builtin ID | --module FILE"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(CcProxyRegistry) registry = NULL;
  g_autofree char *schema = NULL;
  CcProxyProvider *provider = NULL;
  const char *gettext_domain = NULL;
  gboolean descriptor = FALSE;

  g_set_prgname ("cc-proxy-schema-gen");
  if (argc == 2 && g_str_equal (argv[1], "--help"))
    {
      g_print (USAGE "\n"
               "Write the GSettings schema of a cc-proxy provider to standard output;\n"
               "with --descriptor, the descriptor file that goes beside its module.\n");
      return 0;
    }
  registry = cc_proxy_registry_new ();
  if (argc >= 3 && g_str_equal (argv[1], "--gettext-domain"))
    {
      gettext_domain = argv[2];
      argv += 2;
      argc -= 2;
    }
  else if (argc >= 2 && g_str_equal (argv[1], "--descriptor"))
    {
      descriptor = TRUE;
      argv++;
      argc--;
    }

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
      g_printerr (USAGE "\n");
      return 2;
    }

  if (provider == NULL)
    {
      g_printerr ("%s: no provider “%s”\n", g_get_prgname (), argv[2]);
      return 1;
    }

  if (descriptor)
    {
      g_autofree char *text = cc_proxy_module_info_to_key_file (provider);

      fputs (text, stdout);
      return 0;
    }

  /* Modules run in hosts, and a host can serve any instance of one;
   * the built-in provider has no instances. */
  schema = cc_proxy_schema_from_descriptor (cc_proxy_provider_get_descriptor (provider), gettext_domain,
                                            !g_str_equal (argv[1], "--builtin"));
  fputs (schema, stdout);
  return 0;
}
