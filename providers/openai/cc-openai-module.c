/* cc-openai-module.c: the module's entry points, and nothing else
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "cc-openai-provider.h"

CC_PROXY_PROVIDER_MODULE;

G_MODULE_EXPORT void
g_io_module_load (GIOModule *module)
{
  /* Types of a module that is unloaded cannot be used again: stay. */
  g_type_module_use (G_TYPE_MODULE (module));
  cc_openai_provider_register (module);
  g_io_extension_point_implement (CC_PROXY_PROVIDER_EXTENSION_POINT_NAME, CC_OPENAI_TYPE_PROVIDER,
                                  CC_OPENAI_PROVIDER_ID, 0);
}

G_MODULE_EXPORT void
g_io_module_unload (GIOModule *module)
{
}

G_MODULE_EXPORT char **
g_io_module_query (void)
{
  return g_strsplit (CC_PROXY_PROVIDER_EXTENSION_POINT_NAME, "!", 0);
}
