/* cc-proxy-host-service.h: the provider host's side of its control
 * connection
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-proxy-host-control.h"

G_BEGIN_DECLS

#define CC_PROXY_TYPE_HOST_SERVICE (cc_proxy_host_service_get_type ())
G_DECLARE_FINAL_TYPE (CcProxyHostService, cc_proxy_host_service, CC_PROXY, HOST_SERVICE, CcProxyProviderHost1Skeleton)

CcProxyHostService *cc_proxy_host_service_new  (const char         *provider_id,
                                                int                 listen_fd);
void                cc_proxy_host_service_load (CcProxyHostService *self,
                                                const char         *module_path,
                                                const char         *confinement);

G_END_DECLS
