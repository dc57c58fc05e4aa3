/* cc-proxy-exchange-context.h: the request context the core gives providers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-proxy-request-context-private.h"
#include "cc-proxy-event.h"
#include "cc-proxy-event-sink.h"
#include "cc-proxy-signature-scan.h"

G_BEGIN_DECLS

typedef struct _CcProxyExchange CcProxyExchange;

#define CC_PROXY_TYPE_EXCHANGE_CONTEXT (cc_proxy_exchange_context_get_type ())
G_DECLARE_FINAL_TYPE (CcProxyExchangeContext, cc_proxy_exchange_context, CC_PROXY, EXCHANGE_CONTEXT, CcProxyRequestContext)

CcProxyExchangeContext *cc_proxy_exchange_context_new          (CcProxyExchange        *exchange,
                                                                const char             *path,
                                                                const char             *query,
                                                                CcProxySnapshot        *snapshot,
                                                                SoupSession            *session,
                                                                CcProxyEventSink       *sink);
CcProxyExchange        *cc_proxy_exchange_context_get_exchange (CcProxyExchangeContext *self);
CcProxyExchangeContext *cc_proxy_exchange_context_new_try      (CcProxyExchangeContext *self);
void                    cc_proxy_exchange_context_detach       (CcProxyExchangeContext *self);
void                    cc_proxy_exchange_context_set_provider_id (CcProxyExchangeContext *self,
                                                                   const char             *provider_id);
void                    cc_proxy_exchange_context_watch_signatures (CcProxyExchangeContext *self,
                                                                    CcProxySignatureScan   *scan);
void                    cc_proxy_exchange_context_set_class    (CcProxyExchangeContext *self,
                                                                const char             *request_class);
const char             *cc_proxy_exchange_context_get_class    (CcProxyExchangeContext *self);
void                    cc_proxy_exchange_context_set_route    (CcProxyExchangeContext *self,
                                                                const char             *route);

/* The body, once it is in or while it arrives */
void                    cc_proxy_exchange_context_set_body     (CcProxyExchangeContext *self,
                                                                GBytes                 *body,
                                                                JsonNode               *json_body);
void                    cc_proxy_exchange_context_set_body_stream (CcProxyExchangeContext *self,
                                                                   GInputStream           *stream,
                                                                   goffset                 length);
GInputStream           *cc_proxy_exchange_context_get_body_stream (CcProxyExchangeContext *self,
                                                                   goffset                *length);

/* Redaction */
char                   *cc_proxy_exchange_context_redact       (CcProxyExchangeContext *self,
                                                                const char             *text);

/* The traffic record: the request's events */
gboolean                cc_proxy_exchange_context_is_observed  (CcProxyExchangeContext *self);
void                    cc_proxy_exchange_context_emit_request (CcProxyExchangeContext *self);
void                    cc_proxy_exchange_context_emit_response_headers (CcProxyExchangeContext *self,
                                                                         guint                   status,
                                                                         SoupMessageHeaders     *headers);
void                    cc_proxy_exchange_context_emit_response_headers_once (CcProxyExchangeContext *self,
                                                                              guint                   status,
                                                                              SoupMessageHeaders     *headers);
void                    cc_proxy_exchange_context_observe_response (CcProxyExchangeContext *self,
                                                                    SoupMessageHeaders     *headers,
                                                                    gboolean                parse_events);
void                    cc_proxy_exchange_context_observe_response_bytes (CcProxyExchangeContext *self,
                                                                          const char             *data,
                                                                          gsize                   len);
void                    cc_proxy_exchange_context_report_done  (CcProxyExchangeContext *self,
                                                                guint                   status);
void                    cc_proxy_exchange_context_report_error (CcProxyExchangeContext *self,
                                                                CcProxyEventKind        kind,
                                                                guint                   status,
                                                                const char             *message);

G_END_DECLS
