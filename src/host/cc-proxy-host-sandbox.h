/* cc-proxy-host-sandbox.h: what a provider host may touch
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *cc_proxy_host_sandbox_confine (const char *module_path);

G_END_DECLS
