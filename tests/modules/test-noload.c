/* test-noload.c: a shared object that is not a provider module (no
 * g_io_module_load), for the registry's containment tests.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gmodule.h>

G_MODULE_EXPORT int cc_test_not_a_module (void);

G_MODULE_EXPORT int
cc_test_not_a_module (void)
{
  return 42;
}
