/* cc-proxy-exchange.h: one request, owned from its first byte to its last
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-proxy.h"
#include "cc-proxy-event-sink.h"
#include "cc-proxy-exchange-context.h"

G_BEGIN_DECLS

/**
 * CcProxyExchangeState:
 * @CC_PROXY_EXCHANGE_RECEIVING: the request head is arriving
 * @CC_PROXY_EXCHANGE_ROUTED: who serves it is decided (a provider, the
 *   default path, or a refusal); its body may still be arriving
 * @CC_PROXY_EXCHANGE_DISPATCHED: a provider or the upstream has it;
 *   nothing has been sent to the client yet
 * @CC_PROXY_EXCHANGE_STREAMING: the status line is out, the body going
 * @CC_PROXY_EXCHANGE_DONE: answered in full
 * @CC_PROXY_EXCHANGE_FAILED: answered with an error, cut off, or the
 *   client left
 *
 * Where a request is; each state comes after the ones above it, and the
 * last two are final (the request's terminal event is out).
 */
typedef enum {
  CC_PROXY_EXCHANGE_RECEIVING,
  CC_PROXY_EXCHANGE_ROUTED,
  CC_PROXY_EXCHANGE_DISPATCHED,
  CC_PROXY_EXCHANGE_STREAMING,
  CC_PROXY_EXCHANGE_DONE,
  CC_PROXY_EXCHANGE_FAILED,
} CcProxyExchangeState;

/* The server's request counters, shared with every exchange. */
typedef struct
{
  guint64 total;
  guint   active;
  guint64 failed;
} CcProxyCounters;

/**
 * CcProxyResponder:
 * @gone: the client left before its answer was complete
 * @wrote: (nullable): @len bytes of the body went out to the client
 * @finished: (nullable): the HTTP message finished; the responder ends
 *   the request itself. Without it, the exchange ends the request.
 * @request_complete: (nullable): the last byte of a request body that
 *   was forwarded while it arrived is in
 *
 * Whoever is producing the answer right now (the dispatch to a
 * provider, then perhaps a relay): the exchange tells it, and only it,
 * what happens to the client.
 */
typedef struct
{
  void (*gone)             (gpointer data);
  void (*wrote)            (gsize    len,
                            gpointer data);
  void (*finished)         (gpointer data);
  void (*request_complete) (gpointer data);
} CcProxyResponder;

#define CC_PROXY_TYPE_EXCHANGE (cc_proxy_exchange_get_type ())
G_DECLARE_FINAL_TYPE (CcProxyExchange, cc_proxy_exchange, CC_PROXY, EXCHANGE, GObject)

/**
 * CcProxyFallbackFunc:
 * @exchange: the request
 * @status: the status its answer is about to start with
 * @headers: (nullable): the answer's headers (a Retry-After, say)
 * @message: (nullable): why, for an answer the proxy makes itself
 * @user_data: what was given to cc_proxy_exchange_set_fallback()
 *
 * Told of every answer before its first byte goes out.
 *
 * Returns: %TRUE to take the answer over: another try will answer, and
 *   this one is dropped
 */
typedef gboolean (*CcProxyFallbackFunc) (CcProxyExchange    *exchange,
                                         guint               status,
                                         SoupMessageHeaders *headers,
                                         const char         *message,
                                         gpointer            user_data);

CcProxyExchange       *cc_proxy_exchange_new              (SoupServerMessage      *message,
                                                          GSocket                *socket,
                                                          CcProxyCounters        *counters,
                                                          guint                   client_timeout);
CcProxyExchange       *cc_proxy_exchange_from_message     (SoupServerMessage      *message);
void                   cc_proxy_exchange_start            (CcProxyExchange        *self,
                                                          CcProxySnapshot        *snapshot,
                                                          SoupSession            *session,
                                                          CcProxyEventSink       *sink);
CcProxyExchangeContext *cc_proxy_exchange_get_context     (CcProxyExchange        *self);
SoupServerMessage     *cc_proxy_exchange_get_message      (CcProxyExchange        *self);
CcProxyExchangeState   cc_proxy_exchange_get_state        (CcProxyExchange        *self);
gboolean               cc_proxy_exchange_is_over          (CcProxyExchange        *self);

void                   cc_proxy_exchange_route            (CcProxyExchange        *self,
                                                          CcProxyProvider        *provider,
                                                          const char             *refusal);
CcProxyProvider       *cc_proxy_exchange_get_provider     (CcProxyExchange        *self);
const char            *cc_proxy_exchange_get_refusal      (CcProxyExchange        *self);
void                   cc_proxy_exchange_count_out        (CcProxyExchange        *self,
                                                          gboolean                failed);
void                   cc_proxy_exchange_release          (SoupServerMessage      *message);

gboolean               cc_proxy_exchange_limit_body       (CcProxyExchange        *self,
                                                          guint64                 max_size);
GInputStream          *cc_proxy_exchange_stream_body      (CcProxyExchange        *self,
                                                          gsize                   keep);
gboolean               cc_proxy_exchange_is_streaming_body (CcProxyExchange       *self);
gboolean               cc_proxy_exchange_request_is_complete (CcProxyExchange     *self);
void                   cc_proxy_exchange_dispatch         (CcProxyExchange        *self);

void                   cc_proxy_exchange_set_fallback     (CcProxyExchange        *self,
                                                          CcProxyFallbackFunc     func,
                                                          gpointer                data,
                                                          GDestroyNotify          destroy);
gpointer               cc_proxy_exchange_get_fallback_data (CcProxyExchange       *self);
gboolean               cc_proxy_exchange_fall_back        (CcProxyExchange        *self,
                                                          guint                   status,
                                                          SoupMessageHeaders     *headers,
                                                          const char             *message);
void                   cc_proxy_exchange_set_responder    (CcProxyExchange        *self,
                                                          const CcProxyResponder *responder,
                                                          gpointer                data);
void                   cc_proxy_exchange_clear_responder  (CcProxyExchange        *self,
                                                          gpointer                data);

gboolean               cc_proxy_exchange_has_response_started (CcProxyExchange    *self);
guint                  cc_proxy_exchange_get_status       (CcProxyExchange        *self);
void                   cc_proxy_exchange_set_status       (CcProxyExchange        *self,
                                                          guint                   status,
                                                          const char             *reason);
SoupMessageHeaders    *cc_proxy_exchange_get_response_headers (CcProxyExchange    *self);
void                   cc_proxy_exchange_respond          (CcProxyExchange        *self,
                                                          guint                   status,
                                                          const char             *content_type,
                                                          GBytes                 *body);
void                   cc_proxy_exchange_begin_body       (CcProxyExchange        *self,
                                                          gboolean                parse_events);
void                   cc_proxy_exchange_write            (CcProxyExchange        *self,
                                                          const char             *data,
                                                          gsize                   len);
void                   cc_proxy_exchange_end_body         (CcProxyExchange        *self);
void                   cc_proxy_exchange_respond_error    (CcProxyExchange        *self,
                                                          CcProxyEventKind        event_kind,
                                                          guint                   status,
                                                          const char             *kind,
                                                          const char             *message);
void                   cc_proxy_exchange_end              (CcProxyExchange        *self,
                                                          guint                   status);
void                   cc_proxy_exchange_end_error        (CcProxyExchange        *self,
                                                          CcProxyEventKind        kind,
                                                          guint                   status,
                                                          const char             *message);

G_END_DECLS
