/* cc-proxy-request-context.h: one request as a provider sees it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(CC_PROXY_INSIDE) && !defined(CC_PROXY_COMPILATION)
#error "Only <cc-proxy/cc-proxy.h> can be included directly."
#endif

#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

#include "cc-proxy-snapshot.h"

G_BEGIN_DECLS

/**
 * CC_PROXY_PREMIUM_REQUESTS_HEADER:
 *
 * A response header a provider sets to what a request costs the account
 * in premium requests (a decimal number, "0" for none): cc-proxyd adds
 * it to the Claude Code session's and the day's counts.
 */
#define CC_PROXY_PREMIUM_REQUESTS_HEADER "x-cc-proxy-premium-requests"

#define CC_PROXY_TYPE_REQUEST_CONTEXT (cc_proxy_request_context_get_type ())

/**
 * CcProxyRequestContext:
 *
 * One request, as a provider sees it: what the client sent, the settings
 * it runs with, the upstream session, and the only way to answer it.
 *
 * An abstract type: cc-proxyd and the provider host give providers an
 * instance of their own subclass, which owns the HTTP message and
 * reports the answer to the event listeners and the capture log,
 * whoever wrote it. Providers use contexts; they do not subclass them
 * (the class structure is not part of the API).
 */
CC_PROXY_EXPORT
G_DECLARE_DERIVABLE_TYPE (CcProxyRequestContext, cc_proxy_request_context, CC_PROXY, REQUEST_CONTEXT, GObject)

CC_PROXY_EXPORT
const char         *cc_proxy_request_context_get_id              (CcProxyRequestContext *self);
CC_PROXY_EXPORT
const char         *cc_proxy_request_context_get_method          (CcProxyRequestContext *self);
CC_PROXY_EXPORT
const char         *cc_proxy_request_context_get_path            (CcProxyRequestContext *self);
CC_PROXY_EXPORT
const char         *cc_proxy_request_context_get_query           (CcProxyRequestContext *self);
CC_PROXY_EXPORT
SoupMessageHeaders *cc_proxy_request_context_get_request_headers (CcProxyRequestContext *self);
CC_PROXY_EXPORT
GBytes             *cc_proxy_request_context_get_body            (CcProxyRequestContext *self);
CC_PROXY_EXPORT
JsonNode           *cc_proxy_request_context_get_json_body       (CcProxyRequestContext *self);
CC_PROXY_EXPORT
CcProxySnapshot    *cc_proxy_request_context_get_snapshot        (CcProxyRequestContext *self);
CC_PROXY_EXPORT
void                cc_proxy_request_context_add_secret          (CcProxyRequestContext *self,
                                                                  const char            *value);
CC_PROXY_EXPORT
const char         *cc_proxy_request_context_get_provider_id     (CcProxyRequestContext *self);
CC_PROXY_EXPORT
SoupSession        *cc_proxy_request_context_get_session         (CcProxyRequestContext *self);
CC_PROXY_EXPORT
GStrv               cc_proxy_request_context_dup_safe_headers    (CcProxyRequestContext *self,
                                                                  SoupMessageHeaders    *headers);
CC_PROXY_EXPORT
gboolean            cc_proxy_request_context_has_response_started (CcProxyRequestContext *self);

CC_PROXY_EXPORT
void                cc_proxy_request_context_set_status          (CcProxyRequestContext *self,
                                                                  guint                  status);
CC_PROXY_EXPORT
SoupMessageHeaders *cc_proxy_request_context_get_response_headers (CcProxyRequestContext *self);
CC_PROXY_EXPORT
void                cc_proxy_request_context_respond             (CcProxyRequestContext *self,
                                                                  guint                  status,
                                                                  const char            *content_type,
                                                                  GBytes                *body);
CC_PROXY_EXPORT
void                cc_proxy_request_context_begin_stream        (CcProxyRequestContext *self,
                                                                  guint                  status,
                                                                  const char            *content_type);
CC_PROXY_EXPORT
void                cc_proxy_request_context_write               (CcProxyRequestContext *self,
                                                                  const char            *data,
                                                                  gsize                  len);
CC_PROXY_EXPORT
void                cc_proxy_request_context_end_stream          (CcProxyRequestContext *self);

CC_PROXY_EXPORT
void                cc_proxy_request_context_respond_error       (CcProxyRequestContext *self,
                                                                  guint                  status,
                                                                  const char            *kind,
                                                                  const char            *message);

/**
 * CcProxyRelayStage:
 * @CC_PROXY_RELAY_DATA: a chunk of the upstream body
 * @CC_PROXY_RELAY_END: the upstream body ended cleanly
 * @CC_PROXY_RELAY_FAILED: the upstream failed mid-body; the data is why
 * @CC_PROXY_RELAY_IDLE: the upstream has been silent for a while
 *
 * Why a #CcProxyRelayFilter is called.
 */
typedef enum {
  CC_PROXY_RELAY_DATA,
  CC_PROXY_RELAY_END,
  CC_PROXY_RELAY_FAILED,
  CC_PROXY_RELAY_IDLE,
} CcProxyRelayStage;

/**
 * CcProxyRelayOutput:
 *
 * What a #CcProxyRelayFilter makes for the client during one call of
 * the filter: whole SSE events, added with
 * cc_proxy_relay_output_add_event().
 */
typedef struct _CcProxyRelayOutput CcProxyRelayOutput;

/**
 * CcProxyRelayFilter:
 * @stage: what happened upstream
 * @data: (array length=len) (nullable): the chunk, or the failure's text
 * @len: its length
 * @out: what the client gets goes here
 * @user_data: closure
 *
 * A provider's translation of an upstream answer, applied as it streams.
 */
typedef void (*CcProxyRelayFilter) (CcProxyRelayStage   stage,
                                    const char         *data,
                                    gsize               len,
                                    CcProxyRelayOutput *out,
                                    gpointer            user_data);

CC_PROXY_EXPORT
void                cc_proxy_relay_output_add_event              (CcProxyRelayOutput    *self,
                                                                  const char            *event,
                                                                  JsonNode              *data);
CC_PROXY_EXPORT
void                cc_proxy_relay_output_end                    (CcProxyRelayOutput    *self);

CC_PROXY_EXPORT
void                cc_proxy_request_context_relay_async         (CcProxyRequestContext *self,
                                                                  SoupMessage           *upstream,
                                                                  GInputStream          *body,
                                                                  CcProxyRelayFilter     filter,
                                                                  gpointer               filter_data,
                                                                  GDestroyNotify         filter_data_destroy,
                                                                  GCancellable          *cancellable,
                                                                  GAsyncReadyCallback    callback,
                                                                  gpointer               user_data);
CC_PROXY_EXPORT
gboolean            cc_proxy_request_context_relay_finish        (CcProxyRequestContext *self,
                                                                  GAsyncResult          *result,
                                                                  GError               **error);
CC_PROXY_EXPORT
char               *cc_proxy_error_body_new                      (const char            *kind,
                                                                  const char            *message);

G_END_DECLS
