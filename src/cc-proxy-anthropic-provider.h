/* cc-proxy-anthropic-provider.h: the built-in pass-through provider
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-proxy.h"

G_BEGIN_DECLS

#define CC_PROXY_TYPE_ANTHROPIC_PROVIDER (cc_proxy_anthropic_provider_get_type ())
G_DECLARE_FINAL_TYPE (CcProxyAnthropicProvider, cc_proxy_anthropic_provider, CC_PROXY, ANTHROPIC_PROVIDER, GObject)

G_END_DECLS
