/* cc-proxy-request-context-private.h: what only the core does with a context
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-proxy.h"
#include "cc-proxy-event-sink.h"

G_BEGIN_DECLS

CcProxyRequestContext *cc_proxy_request_context_new           (SoupServerMessage     *message,
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
void                   cc_proxy_request_context_claim_terminal (CcProxyRequestContext *self);
void                   cc_proxy_request_context_emit_request  (CcProxyRequestContext *self);
gint64                 cc_proxy_request_context_get_start_time (CcProxyRequestContext *self);
void                   cc_proxy_request_context_respond_proxy_error (CcProxyRequestContext *self,
                                                                     guint                  status,
                                                                     const char            *message);

SoupServerMessage     *cc_proxy_request_context_get_message   (CcProxyRequestContext *self);
void                   cc_proxy_request_context_observe_sse_event (const char *event,
                                                                   const char *data,
                                                                   gpointer    context);
gboolean               cc_proxy_request_context_wants_progress (CcProxyRequestContext *self);
gboolean               cc_proxy_sse_event_has_summary          (const char            *sse_event);
void                   cc_proxy_request_context_observe_response (CcProxyRequestContext *self,
                                                                  SoupMessageHeaders    *headers);
void                   cc_proxy_request_context_observe_response_bytes (CcProxyRequestContext *self,
                                                                        const char            *data,
                                                                        gsize                  len);

G_END_DECLS
