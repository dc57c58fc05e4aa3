/* cc-proxy-request-context-private.h: what only the core does with a context
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-proxy.h"
#include "cc-proxy-event-sink.h"
#include "cc-proxy-exchange.h"

G_BEGIN_DECLS

CcProxyRequestContext *cc_proxy_request_context_new           (CcProxyExchange       *exchange,
                                                               const char            *path,
                                                               const char            *query,
                                                               CcProxySnapshot       *snapshot,
                                                               SoupSession           *session,
                                                               CcProxyEventSink      *sink);
void                   cc_proxy_request_context_set_body      (CcProxyRequestContext *self,
                                                               GBytes                *body,
                                                               JsonNode              *json_body);
void                   cc_proxy_request_context_set_body_stream (CcProxyRequestContext *self,
                                                                 GInputStream          *stream,
                                                                 goffset                length);
GInputStream          *cc_proxy_request_context_get_body_stream (CcProxyRequestContext *self,
                                                                 goffset               *length);
gboolean               cc_proxy_request_context_is_observed   (CcProxyRequestContext *self);
const char * const    *cc_proxy_request_context_get_secrets   (CcProxyRequestContext *self);
void                   cc_proxy_request_context_emit_request  (CcProxyRequestContext *self);

CcProxyExchange       *cc_proxy_request_context_get_exchange  (CcProxyRequestContext *self);
void                   cc_proxy_request_context_report_done   (CcProxyRequestContext *self,
                                                               guint                  status);
void                   cc_proxy_request_context_report_error  (CcProxyRequestContext *self,
                                                               CcProxyEventKind       kind,
                                                               guint                  status,
                                                               const char            *message);
void                   cc_proxy_request_context_emit_response_headers_once (CcProxyRequestContext *self,
                                                                            guint                  status,
                                                                            SoupMessageHeaders    *headers);
char                  *cc_proxy_request_context_redact        (CcProxyRequestContext *self,
                                                               const char            *text);
void                   cc_proxy_request_context_observe_sse_event (const char *event,
                                                                   const char *data,
                                                                   gpointer    context);
gboolean               cc_proxy_request_context_wants_progress (CcProxyRequestContext *self);
gboolean               cc_proxy_sse_event_has_summary          (const char            *sse_event);
void                   cc_proxy_request_context_observe_response (CcProxyRequestContext *self,
                                                                  SoupMessageHeaders    *headers,
                                                                  gboolean               parse_events);
void                   cc_proxy_request_context_observe_response_bytes (CcProxyRequestContext *self,
                                                                        const char            *data,
                                                                        gsize                  len);

G_END_DECLS
