/* cc-proxy-remote-auth-provider.h: a hosted provider that signs in
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-proxy-remote-provider.h"

G_BEGIN_DECLS

#define CC_PROXY_TYPE_REMOTE_AUTH_PROVIDER (cc_proxy_remote_auth_provider_get_type ())
G_DECLARE_FINAL_TYPE (CcProxyRemoteAuthProvider, cc_proxy_remote_auth_provider, CC_PROXY, REMOTE_AUTH_PROVIDER,
                      CcProxyRemoteProvider)

G_END_DECLS
