/* cc-proxy-relay.h: forward one request upstream and stream the answer back
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-proxy.h"
#include "cc-proxy-exchange-context.h"

G_BEGIN_DECLS

/* What the built-in provider and the daemon's fall-through do */
void     cc_proxy_relay_forward_async  (CcProxyExchangeContext *context,
                                        SoupSession            *session,
                                        const char             *base_url,
                                        GCancellable           *cancellable,
                                        GAsyncReadyCallback     callback,
                                        gpointer                user_data);
gboolean cc_proxy_relay_forward_finish (GAsyncResult           *result,
                                        GError                **error);

/* cc_proxy_request_context_relay_async() and _finish(), as the core
 * implements them */
void     cc_proxy_relay_async          (CcProxyRequestContext  *context,
                                        SoupMessage            *upstream,
                                        GInputStream           *body,
                                        CcProxyRelayFilter      filter,
                                        gpointer                filter_data,
                                        GDestroyNotify          filter_data_destroy,
                                        GCancellable           *cancellable,
                                        GAsyncReadyCallback     callback,
                                        gpointer                user_data);
gboolean cc_proxy_relay_finish         (CcProxyRequestContext  *context,
                                        GAsyncResult           *result,
                                        GError                **error);

void     cc_proxy_relay_track_connections (SoupSession *session);

G_END_DECLS
