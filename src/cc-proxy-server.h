/* cc-proxy-server.h: the HTTP side of cc-proxyd
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-proxy-event-sink.h"
#include "cc-proxy-registry.h"
#include "cc-proxy-router.h"
#include "cc-proxy-runtime.h"
#include "cc-proxy-spend-guard.h"

G_BEGIN_DECLS

#define CC_PROXY_SERVER_ERROR (cc_proxy_server_error_quark ())

typedef enum {
  CC_PROXY_SERVER_ERROR_INVALID_ADDRESS,
  CC_PROXY_SERVER_ERROR_NOT_LOOPBACK,
} CcProxyServerError;

GQuark cc_proxy_server_error_quark (void);

#define CC_PROXY_DEFAULT_LISTEN_ADDRESS "127.0.0.1:3344"
#define CC_PROXY_DEFAULT_DEADLINE_SECONDS 300
#define CC_PROXY_DEFAULT_MAX_REQUEST_MIB 32
#define CC_PROXY_DEFAULT_UPSTREAM_CONNECTIONS 256
#define CC_PROXY_DEFAULT_CLIENT_TIMEOUT_SECONDS 60
#define CC_PROXY_DEFAULT_BODY_BUDGET_MIB 256

#define CC_PROXY_TYPE_SERVER (cc_proxy_server_get_type ())
G_DECLARE_FINAL_TYPE (CcProxyServer, cc_proxy_server, CC_PROXY, SERVER, GObject)

CcProxyServer *cc_proxy_server_new          (CcProxyRegistry  *registry,
                                             CcProxyRuntime   *runtime,
                                             CcProxyEventSink *sink);
gboolean       cc_proxy_server_listen       (CcProxyServer    *self,
                                             const char       *address,
                                             GError          **error);
void             cc_proxy_server_init_process  (void);
gboolean         cc_proxy_server_get_upstream_http2 (void);
gboolean         cc_proxy_server_listen_socket (CcProxyServer   *self,
                                                GSocket         *socket,
                                                GPid             only_peer,
                                                GError         **error);
const char    *cc_proxy_server_get_url      (CcProxyServer    *self);
void           cc_proxy_server_set_router   (CcProxyServer    *self,
                                             CcProxyRouter    *router);
void           cc_proxy_server_set_deadline (CcProxyServer    *self,
                                             guint             seconds);
void           cc_proxy_server_set_limits   (CcProxyServer    *self,
                                             guint64           max_request_size,
                                             guint             max_upstream_connections,
                                             guint             client_timeout);
void           cc_proxy_server_set_body_budget (CcProxyServer *self,
                                                guint64        bytes);
void           cc_proxy_server_get_counters (CcProxyServer    *self,
                                             guint64          *total,
                                             guint            *active,
                                             guint64          *failed,
                                             guint64          *upstream_connections);
void           cc_proxy_server_get_clients  (CcProxyServer    *self,
                                             guint            *open,
                                             guint            *max);
gboolean       cc_proxy_server_is_accepting (CcProxyServer    *self);

void cc_proxy_server_set_spend_guard (CcProxyServer     *self,
                                      CcProxySpendGuard *guard);

G_END_DECLS
