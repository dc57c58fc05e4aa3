/* cc-proxy-bus-provider.h: one provider, published as
 * org.ccproxy.Proxy1.Provider
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-proxy-dbus-generated.h"
#include "cc-proxy-runtime.h"

G_BEGIN_DECLS

#define CC_PROXY_TYPE_BUS_PROVIDER (cc_proxy_bus_provider_get_type ())
G_DECLARE_FINAL_TYPE (CcProxyBusProvider, cc_proxy_bus_provider, CC_PROXY, BUS_PROVIDER, CcProxyDBusProxy1ProviderSkeleton)

CcProxyBusProvider *cc_proxy_bus_provider_new          (CcProxyRuntime     *runtime,
                                                        CcProxyProvider    *provider);
CcProxyProvider    *cc_proxy_bus_provider_get_provider (CcProxyBusProvider *self);

G_END_DECLS
