/* cc-proxy-request-context.c: one request as a provider sees it
 *
 * The abstract base: every call checks its arguments and goes to the
 * subclass, which cc-proxyd's core provides (src/core/, see
 * docs/architecture.md). Only the relay's output is whole here, since a
 * provider's filter writes into it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "cc-proxy-request-context-private.h"

G_DEFINE_ABSTRACT_TYPE (CcProxyRequestContext, cc_proxy_request_context, G_TYPE_OBJECT)

static void
cc_proxy_request_context_class_init (CcProxyRequestContextClass *klass)
{
}

static void
cc_proxy_request_context_init (CcProxyRequestContext *self)
{
}

#define CLASS(self) CC_PROXY_REQUEST_CONTEXT_GET_CLASS (self)

/**
 * cc_proxy_request_context_get_id:
 * @self: a context
 *
 * Gets the id the core gave the request.
 *
 * Returns: the id: 32 hex characters, the same in every event and the capture log
 */
const char *
cc_proxy_request_context_get_id (CcProxyRequestContext *self)
{
  g_return_val_if_fail (CC_PROXY_IS_REQUEST_CONTEXT (self), NULL);

  return CLASS (self)->get_id (self);
}

/**
 * cc_proxy_request_context_get_method:
 * @self: a context
 *
 * Gets the request method.
 *
 * Returns: the method ("POST")
 */
const char *
cc_proxy_request_context_get_method (CcProxyRequestContext *self)
{
  g_return_val_if_fail (CC_PROXY_IS_REQUEST_CONTEXT (self), NULL);

  return CLASS (self)->get_method (self);
}

/**
 * cc_proxy_request_context_get_path:
 * @self: a context
 *
 * Gets the request path, the part routes match on.
 *
 * Returns: the request path, without the query
 */
const char *
cc_proxy_request_context_get_path (CcProxyRequestContext *self)
{
  g_return_val_if_fail (CC_PROXY_IS_REQUEST_CONTEXT (self), NULL);

  return CLASS (self)->get_path (self);
}

/**
 * cc_proxy_request_context_get_query:
 * @self: a context
 *
 * Gets the query, to pass on to an upstream.
 *
 * Returns: (nullable): the raw query string, as the client sent it
 */
const char *
cc_proxy_request_context_get_query (CcProxyRequestContext *self)
{
  g_return_val_if_fail (CC_PROXY_IS_REQUEST_CONTEXT (self), NULL);

  return CLASS (self)->get_query (self);
}

/**
 * cc_proxy_request_context_get_request_headers:
 * @self: a context
 *
 * Gets the client's headers, credentials included: never put them in an
 * event or a log; cc_proxy_request_context_dup_safe_headers() makes the
 * view for that.
 *
 * Returns: (transfer none): the client's headers
 */
SoupMessageHeaders *
cc_proxy_request_context_get_request_headers (CcProxyRequestContext *self)
{
  g_return_val_if_fail (CC_PROXY_IS_REQUEST_CONTEXT (self), NULL);

  return CLASS (self)->get_request_headers (self);
}

/**
 * cc_proxy_request_context_get_body:
 * @self: a context
 *
 * Gets the request body, when the core read it whole.
 *
 * Returns: (transfer none) (nullable): the request body
 */
GBytes *
cc_proxy_request_context_get_body (CcProxyRequestContext *self)
{
  g_return_val_if_fail (CC_PROXY_IS_REQUEST_CONTEXT (self), NULL);

  return CLASS (self)->get_body (self);
}

/**
 * cc_proxy_request_context_get_json_body:
 * @self: a context
 *
 * Gets the parsed body, when the provider expects JSON on this path. It
 * is shared with the event listeners, which may read it from another
 * thread: treat it as read-only and build a new body for the upstream.
 *
 * Returns: (transfer none) (nullable): the parsed body (a JSON object)
 */
JsonNode *
cc_proxy_request_context_get_json_body (CcProxyRequestContext *self)
{
  g_return_val_if_fail (CC_PROXY_IS_REQUEST_CONTEXT (self), NULL);

  return CLASS (self)->get_json_body (self);
}

/**
 * cc_proxy_request_context_get_snapshot:
 * @self: a context
 *
 * Gets the settings the request started with; they do not change while
 * it runs, whatever the person changes meanwhile.
 *
 * Returns: (transfer none): the request's settings
 */
CcProxySnapshot *
cc_proxy_request_context_get_snapshot (CcProxyRequestContext *self)
{
  g_return_val_if_fail (CC_PROXY_IS_REQUEST_CONTEXT (self), NULL);

  return CLASS (self)->get_snapshot (self);
}

/**
 * cc_proxy_request_context_get_provider_id:
 * @self: a context
 *
 * Gets which provider the core chose.
 *
 * Returns: the id of the provider serving the request
 */
const char *
cc_proxy_request_context_get_provider_id (CcProxyRequestContext *self)
{
  g_return_val_if_fail (CC_PROXY_IS_REQUEST_CONTEXT (self), NULL);

  return cc_proxy_snapshot_get_active_provider (CLASS (self)->get_snapshot (self));
}

/**
 * cc_proxy_request_context_get_session:
 * @self: a context
 *
 * Gets the session every upstream request should go through, so that
 * upstream connections stay alive between requests.
 *
 * Returns: (transfer none): the shared upstream session
 */
SoupSession *
cc_proxy_request_context_get_session (CcProxyRequestContext *self)
{
  g_return_val_if_fail (CC_PROXY_IS_REQUEST_CONTEXT (self), NULL);

  return CLASS (self)->get_session (self);
}

/**
 * cc_proxy_request_context_add_secret:
 * @self: a request
 * @value: a credential that is not a setting, such as a token the
 *   provider obtained for this request
 *
 * Hides @value from everything reported about the request from now on
 * (events, the capture log, signals, log lines), as the values of secret
 * settings are. Values shorter than 4 characters are not looked for.
 */
void
cc_proxy_request_context_add_secret (CcProxyRequestContext *self,
                                     const char            *value)
{
  g_return_if_fail (CC_PROXY_IS_REQUEST_CONTEXT (self));
  g_return_if_fail (value != NULL);

  CLASS (self)->add_secret (self, value);
}

/**
 * cc_proxy_request_context_dup_safe_headers:
 * @self: a context
 * @headers: headers to show
 *
 * Makes the view of @headers that may go into events and logs.
 *
 * Returns: (transfer full): @headers without credentials, noise, or any
 *   secret setting's value, as name/value pairs
 */
GStrv
cc_proxy_request_context_dup_safe_headers (CcProxyRequestContext *self,
                                           SoupMessageHeaders    *headers)
{
  g_return_val_if_fail (CC_PROXY_IS_REQUEST_CONTEXT (self), NULL);
  g_return_val_if_fail (headers != NULL, NULL);

  return CLASS (self)->dup_safe_headers (self, headers);
}

/**
 * cc_proxy_request_context_has_response_started:
 * @self: a context
 *
 * Tells whether a status was set (or the client went away): from then on
 * the one who started answering owns the answer.
 *
 * Returns: whether the answer has started
 */
gboolean
cc_proxy_request_context_has_response_started (CcProxyRequestContext *self)
{
  g_return_val_if_fail (CC_PROXY_IS_REQUEST_CONTEXT (self), TRUE);

  return CLASS (self)->has_response_started (self);
}

/**
 * cc_proxy_request_context_set_status:
 * @self: a context
 * @status: an HTTP status
 *
 * Sets the status of the answer without sending anything yet, for a
 * provider that then relays with a filter
 * (cc_proxy_request_context_relay_async()). From now on the provider
 * owns the answer: "not handled" is no longer an option.
 */
void
cc_proxy_request_context_set_status (CcProxyRequestContext *self,
                                     guint                  status)
{
  g_return_if_fail (CC_PROXY_IS_REQUEST_CONTEXT (self));
  g_return_if_fail (status >= 100 && status <= 599);

  CLASS (self)->set_status (self, status);
}

/**
 * cc_proxy_request_context_get_response_headers:
 * @self: a context
 *
 * Gets the headers of the answer, to add to before it is sent.
 *
 * Returns: (transfer none): the answer's headers
 */
SoupMessageHeaders *
cc_proxy_request_context_get_response_headers (CcProxyRequestContext *self)
{
  g_return_val_if_fail (CC_PROXY_IS_REQUEST_CONTEXT (self), NULL);

  return CLASS (self)->get_response_headers (self);
}

/**
 * cc_proxy_request_context_respond:
 * @self: a context
 * @status: an HTTP status
 * @content_type: (nullable): the body's type
 * @body: (nullable): the whole body
 *
 * Answers in one go. The answer is observed as any other: a JSON body
 * gives the traffic views their usage and stop reason.
 */
void
cc_proxy_request_context_respond (CcProxyRequestContext *self,
                                  guint                  status,
                                  const char            *content_type,
                                  GBytes                *body)
{
  g_return_if_fail (CC_PROXY_IS_REQUEST_CONTEXT (self));
  g_return_if_fail (status >= 100 && status <= 599);

  CLASS (self)->respond (self, status, content_type, body);
}

/**
 * cc_proxy_request_context_begin_stream:
 * @self: a context
 * @status: an HTTP status
 * @content_type: the body's type (`text/event-stream` for SSE)
 *
 * Sends the status line and headers now; the body follows with
 * cc_proxy_request_context_write() as it is made, and ends with
 * cc_proxy_request_context_end_stream(). An SSE body written this way
 * is observed event by event, like a relayed one.
 */
void
cc_proxy_request_context_begin_stream (CcProxyRequestContext *self,
                                       guint                  status,
                                       const char            *content_type)
{
  g_return_if_fail (CC_PROXY_IS_REQUEST_CONTEXT (self));
  g_return_if_fail (status >= 100 && status <= 599);
  g_return_if_fail (content_type != NULL);

  CLASS (self)->begin_stream (self, status, content_type);
}

/**
 * cc_proxy_request_context_write:
 * @self: a context whose stream has begun
 * @data: (array length=len): the next bytes of the body
 * @len: their length
 *
 * Sends the next part of an answer begun with
 * cc_proxy_request_context_begin_stream().
 */
void
cc_proxy_request_context_write (CcProxyRequestContext *self,
                                const char            *data,
                                gsize                  len)
{
  g_return_if_fail (CC_PROXY_IS_REQUEST_CONTEXT (self));
  g_return_if_fail (data != NULL || len == 0);

  CLASS (self)->write (self, data, len);
}

/**
 * cc_proxy_request_context_end_stream:
 * @self: a context whose stream has begun
 *
 * The body is complete.
 */
void
cc_proxy_request_context_end_stream (CcProxyRequestContext *self)
{
  g_return_if_fail (CC_PROXY_IS_REQUEST_CONTEXT (self));

  CLASS (self)->end_stream (self);
}

/**
 * cc_proxy_request_context_respond_error:
 * @self: a context
 * @status: HTTP status
 * @kind: the Anthropic error type
 * @message: text for a person; secret values are removed from it
 *
 * Answers with an Anthropic-shaped error and resumes the message. When
 * the status line had already been sent, a stream gets an SSE `error`
 * event and ends; any other answer is cut off by closing the
 * connection, so that it cannot pass for complete. Records an error
 * event either way.
 */
void
cc_proxy_request_context_respond_error (CcProxyRequestContext *self,
                                        guint                  status,
                                        const char            *kind,
                                        const char            *message)
{
  g_return_if_fail (CC_PROXY_IS_REQUEST_CONTEXT (self));
  g_return_if_fail (status >= 100 && status <= 599);
  g_return_if_fail (kind != NULL);
  g_return_if_fail (message != NULL);

  CLASS (self)->respond_error (self, status, kind, message);
}

/**
 * cc_proxy_relay_output_add_event:
 * @self: a filter's output
 * @event: the SSE event type
 * @data: the event's data; sealed by the call, so not to be changed after
 *
 * Sends one whole SSE event, as cc_proxy_sse_append_event() writes it,
 * and reports @data as it is: the core does not parse its own output
 * back.
 */
void
cc_proxy_relay_output_add_event (CcProxyRelayOutput *self,
                                 const char         *event,
                                 JsonNode           *data)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (event != NULL);
  g_return_if_fail (data != NULL);

  cc_proxy_sse_append_event (self->text, event, data);
  CLASS (self->context)->observe_event (self->context, event, data);
}

/**
 * cc_proxy_relay_output_end:
 * @self: a filter's output
 *
 * The client's answer is complete with what the filter has made so far
 * (an SSE error event, say): the relay stops reading the upstream and
 * drops its connection. For upstreams that send what cannot be
 * translated, or more than can be held.
 */
void
cc_proxy_relay_output_end (CcProxyRelayOutput *self)
{
  g_return_if_fail (self != NULL);

  self->ended = TRUE;
}

/**
 * cc_proxy_request_context_relay_async:
 * @self: the request
 * @upstream: a message the provider sent, with its answer's status and
 *   headers in
 * @body: the answer's body, as soup_session_send_finish() gave it
 * @filter: (nullable) (scope notified): turns the upstream body into what
 *   the client gets, chunk by chunk; %NULL relays it as it is
 * @filter_data: (closure filter): for @filter
 * @filter_data_destroy: (destroy filter_data) (nullable): frees @filter_data
 * @cancellable: (nullable): cancels the upstream read
 * @callback: called when the client has its answer (or is gone)
 * @user_data: closure
 *
 * Streams an upstream answer to the client as it arrives, with the
 * core's backpressure, client hang-up detection and events: what the
 * built-in provider does, for a request a provider made itself.
 *
 * Without a filter the client gets the upstream's status, end-to-end
 * headers and body. With one, the client gets the status and headers
 * the provider set on the server message (chunked), and the filter's
 * output; the filter is also told when the upstream ends, fails
 * mid-body (then it ends the client's stream itself, say with an SSE
 * error event), and when it has been silent for 15 seconds.
 *
 * Events (progress, the assembled message of an Anthropic stream) are
 * taken from what the client gets, or with a filter from the events it
 * adds. The request's terminal event is sent by the relay.
 */
void
cc_proxy_request_context_relay_async (CcProxyRequestContext *self,
                                      SoupMessage           *upstream,
                                      GInputStream          *body,
                                      CcProxyRelayFilter     filter,
                                      gpointer               filter_data,
                                      GDestroyNotify         filter_data_destroy,
                                      GCancellable          *cancellable,
                                      GAsyncReadyCallback    callback,
                                      gpointer               user_data)
{
  g_return_if_fail (CC_PROXY_IS_REQUEST_CONTEXT (self));
  g_return_if_fail (SOUP_IS_MESSAGE (upstream));
  g_return_if_fail (G_IS_INPUT_STREAM (body));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  CLASS (self)->relay_async (self, upstream, body, filter, filter_data, filter_data_destroy,
                             cancellable, callback, user_data);
}

/**
 * cc_proxy_request_context_relay_finish:
 * @self: a context
 * @result: the result given to the callback
 * @error: return location for an error
 *
 * Finishes cc_proxy_request_context_relay_async().
 *
 * Returns: %TRUE when the client got the whole answer, %FALSE with @error
 *   when the upstream or the client failed
 */
gboolean
cc_proxy_request_context_relay_finish (CcProxyRequestContext  *self,
                                       GAsyncResult           *result,
                                       GError                **error)
{
  g_return_val_if_fail (CC_PROXY_IS_REQUEST_CONTEXT (self), FALSE);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return CLASS (self)->relay_finish (self, result, error);
}

/**
 * cc_proxy_error_body_new:
 * @kind: an Anthropic error type ("api_error", "invalid_request_error", …)
 * @message: text for a person
 *
 * Writes the body of an Anthropic error answer.
 *
 * Returns: (transfer full): `{"type":"error","error":{"type":…,"message":…}}`
 */
char *
cc_proxy_error_body_new (const char *kind,
                         const char *message)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "error");
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, kind);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  return cc_proxy_json_to_string (root);
}
