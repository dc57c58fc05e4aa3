/* cc-proxy-host-supervisor.h: the set of provider hosts
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-proxy-runtime.h"

G_BEGIN_DECLS

#define CC_PROXY_TYPE_HOST_SUPERVISOR (cc_proxy_host_supervisor_get_type ())
G_DECLARE_FINAL_TYPE (CcProxyHostSupervisor, cc_proxy_host_supervisor, CC_PROXY, HOST_SUPERVISOR, GObject)

CcProxyHostSupervisor *cc_proxy_host_supervisor_new   (CcProxyRuntime        *runtime);
void                   cc_proxy_host_supervisor_start (CcProxyHostSupervisor *self);

G_END_DECLS
