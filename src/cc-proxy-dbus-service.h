/* cc-proxy-dbus-service.h: the control interface on the session bus
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-proxy-capture-log.h"
#include "cc-proxy-dbus-generated.h"
#include "cc-proxy-dbus-interface.h"
#include "cc-proxy-host-supervisor.h"
#include "cc-proxy-log-ring.h"
#include "cc-proxy-runtime.h"
#include "cc-proxy-server.h"
#include "cc-proxy-session-ledger.h"

G_BEGIN_DECLS

#define CC_PROXY_DBUS_NAME "org.ccproxy.Proxy1"
#define CC_PROXY_DBUS_PATH "/org/ccproxy/Proxy1"

#define CC_PROXY_TYPE_DBUS_SERVICE (cc_proxy_dbus_service_get_type ())
G_DECLARE_FINAL_TYPE (CcProxyDBusService, cc_proxy_dbus_service, CC_PROXY, DBUS_SERVICE, CcProxyDBusProxy1Skeleton)

CcProxyDBusService *cc_proxy_dbus_service_new      (CcProxyRuntime        *runtime,
                                                    CcProxyServer         *server,
                                                    CcProxyEventSink      *sink,
                                                    CcProxyCaptureLog     *capture,
                                                    CcProxyHostSupervisor *hosts);
gboolean            cc_proxy_dbus_service_export   (CcProxyDBusService *self,
                                                    GDBusConnection    *connection,
                                                    GError            **error);
void                cc_proxy_dbus_service_unexport (CcProxyDBusService *self);
char               *cc_proxy_dbus_provider_path    (const char         *provider_id);

void                cc_proxy_dbus_service_set_router (CcProxyDBusService *self,
                                                      CcProxyRouter      *router);
void                cc_proxy_dbus_service_set_log  (CcProxyDBusService *self,
                                                    CcProxyLogRing     *log);
void                cc_proxy_dbus_service_set_start_error (CcProxyDBusService *self,
                                                           const char         *error);

G_END_DECLS
