/* cc-proxy-auth-flow.h: one login, published as org.ccproxy.Proxy1.AuthFlow
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-proxy-dbus-generated.h"
#include "cc-proxy-runtime.h"

G_BEGIN_DECLS

#define CC_PROXY_TYPE_AUTH_FLOW (cc_proxy_auth_flow_get_type ())
G_DECLARE_FINAL_TYPE (CcProxyAuthFlow, cc_proxy_auth_flow, CC_PROXY, AUTH_FLOW, CcProxyDBusProxy1AuthFlowSkeleton)

CcProxyAuthFlow *cc_proxy_auth_flow_new       (CcProxyRuntime  *runtime,
                                               CcProxyProvider *provider,
                                               const char      *owner,
                                               gboolean         force);
void             cc_proxy_auth_flow_start     (CcProxyAuthFlow *self);
void             cc_proxy_auth_flow_close     (CcProxyAuthFlow *self);

G_END_DECLS
