/* cc-proxy-event.h: typed traffic events, and what builds and redacts them
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-proxy.h"

G_BEGIN_DECLS

/**
 * CcProxyEventKind:
 * @CC_PROXY_EVENT_REQUEST_HEADERS: the request line and safe headers
 * @CC_PROXY_EVENT_REQUEST_BODY: the request body, parsed, when it is JSON
 * @CC_PROXY_EVENT_RESPONSE_HEADERS: status and safe response headers
 * @CC_PROXY_EVENT_PROGRESS: one parsed SSE event of a streamed response
 * @CC_PROXY_EVENT_RESPONSE_COMPLETE: the final JSON body of a response
 * @CC_PROXY_EVENT_RESPONSE_DONE: the response was sent in full
 * @CC_PROXY_EVENT_ERROR: the proxy answered with an error status
 * @CC_PROXY_EVENT_PROXY_ERROR: a transport failure (upstream or client)
 *
 * What a #CcProxyEvent reports, in the order a request's events come.
 */
typedef enum {
  CC_PROXY_EVENT_REQUEST_HEADERS,
  CC_PROXY_EVENT_REQUEST_BODY,
  CC_PROXY_EVENT_RESPONSE_HEADERS,
  CC_PROXY_EVENT_PROGRESS,
  CC_PROXY_EVENT_RESPONSE_COMPLETE,
  CC_PROXY_EVENT_RESPONSE_DONE,
  CC_PROXY_EVENT_ERROR,
  CC_PROXY_EVENT_PROXY_ERROR,
} CcProxyEventKind;

/**
 * CcProxyBodyShape:
 * @CC_PROXY_BODY_SHAPE_NONE: no body, or not JSON
 * @CC_PROXY_BODY_SHAPE_ANTHROPIC: an Anthropic Messages API body
 * @CC_PROXY_BODY_SHAPE_OTHER: JSON of another shape
 *
 * Whether a body speaks the Anthropic API, so that viewers render it
 * correctly. What a provider sends its upstream in another API is the
 * provider's business, not the core's.
 */
typedef enum {
  CC_PROXY_BODY_SHAPE_NONE,
  CC_PROXY_BODY_SHAPE_ANTHROPIC,
  CC_PROXY_BODY_SHAPE_OTHER,
} CcProxyBodyShape;

#define CC_PROXY_TYPE_EVENT (cc_proxy_event_get_type ())

/**
 * CcProxyEvent:
 * @kind: what happened
 * @request_id: the request's id (32 hex characters)
 * @sequence: position in the request's events, from 0
 * @timestamp: g_get_monotonic_time() when it happened
 * @provider_id: the provider that served the request
 * @method: request method
 * @path: request path, without the query
 * @query: (nullable): raw query string
 * @status: HTTP status, where the kind has one, else 0
 * @headers: (nullable): safe view of the headers, as name/value pairs
 * @body: (nullable): parsed JSON (redacted) for body-carrying kinds
 * @shape: the API shape of @body
 * @sse_event: (nullable): SSE event type for %CC_PROXY_EVENT_PROGRESS
 * @message: (nullable): error text for the error kinds (redacted)
 * @duration_us: for %CC_PROXY_EVENT_RESPONSE_DONE and the error kinds,
 *   microseconds since the request arrived
 * @model: (nullable): the model the request body names
 * @usage: (nullable): for %CC_PROXY_EVENT_RESPONSE_DONE and the error
 *   kinds, token usage when the response told it, as an object with
 *   Anthropic's member names (input_tokens, output_tokens,
 *   cache_read_input_tokens, cache_creation_input_tokens)
 * @stop_reason: (nullable): for the same kinds, why the model stopped
 * @raw_body: (nullable): for %CC_PROXY_EVENT_REQUEST_BODY and
 *   %CC_PROXY_EVENT_RESPONSE_COMPLETE when @body is %NULL: the body's
 *   bytes (redacted), parsed later by whoever needs them
 * @raw_is_stream: @raw_body is an SSE stream, not one document
 * @body_truncated: @raw_body is only the first part of a longer body
 * @route: (nullable): for %CC_PROXY_EVENT_RESPONSE_DONE and the error
 *   kinds of a request a route matched, or that fell back: the route,
 *   the target that answered, and the tries that failed ("background →
 *   openai:qwen3 (copilot 429)")
 * @session_id: (nullable): the Claude Code session the request belongs
 *   to (its X-Claude-Code-Session-Id)
 * @request_class: (nullable): for a Messages request, who it is for:
 *   "user", "agent", "subagent", "background" or "compact" (a static
 *   string)
 *
 * One traffic event. Immutable once emitted; secrets are already removed,
 * both by header name and by value.
 */
typedef struct {
  /*< public >*/
  CcProxyEventKind  kind;
  char             *request_id;
  guint             sequence;
  gint64            timestamp;
  char             *provider_id;
  char             *method;
  char             *path;
  char             *query;
  guint             status;
  GStrv             headers;
  JsonNode         *body;
  CcProxyBodyShape  shape;
  char             *sse_event;
  char             *message;
  gint64            duration_us;
  char             *model;
  JsonNode         *usage;
  char             *stop_reason;
  GBytes           *raw_body;
  gboolean          raw_is_stream;
  gboolean          body_truncated;
  char             *route;
  char             *session_id;
  const char       *request_class;
} CcProxyEvent;

GType          cc_proxy_event_get_type       (void) G_GNUC_CONST;
CcProxyEvent  *cc_proxy_event_ref            (CcProxyEvent *self);
void           cc_proxy_event_unref          (CcProxyEvent *self);
const char    *cc_proxy_event_kind_to_string (CcProxyEventKind kind);
const char    *cc_proxy_body_shape_to_string (CcProxyBodyShape shape);
CcProxyBodyShape cc_proxy_body_shape_detect  (JsonNode *body);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CcProxyEvent, cc_proxy_event_unref)

#define CC_PROXY_REDACTED "[redacted]"

CcProxyEvent *cc_proxy_event_new          (CcProxyEventKind    kind);
char         *cc_proxy_redact_string      (const char         *text,
                                           const char * const *secrets);
GBytes       *cc_proxy_redact_bytes       (GBytes             *bytes,
                                           const char * const *secrets);
JsonNode     *cc_proxy_redact_json        (JsonNode           *node,
                                           const char * const *secrets);
GStrv         cc_proxy_headers_safe_view  (SoupMessageHeaders *headers,
                                           const char * const *secrets);
gboolean      cc_proxy_headers_is_event_stream (SoupMessageHeaders *headers);
void          cc_proxy_response_summarize (JsonNode           *body,
                                           JsonNode          **usage,
                                           char              **stop_reason);


G_END_DECLS
