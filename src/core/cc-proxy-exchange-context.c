/* cc-proxy-exchange-context.c: the request context the core gives providers
 *
 * The subclass of the SDK's abstract CcProxyRequestContext: the
 * request's data, the calls that answer it (forwarded to the
 * CcProxyExchange, which owns the HTTP message), and the traffic record
 * of the request (its events, the summary of its answer).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "cc-proxy-request-context-private.h"

#include "cc-proxy-body-scan.h"
#include "cc-proxy-event.h"
#include "cc-proxy-exchange.h"
#include "cc-proxy-exchange-context.h"
#include "cc-proxy-message-assembler.h"
#include "cc-proxy-relay.h"
#include "cc-proxy-signature-scan.h"

struct _CcProxyExchangeContext
{
  CcProxyRequestContext parent_instance;

  char               *id;
  char               *path;
  char               *query;
  const char         *method;        /* interned */
  SoupMessageHeaders *request_headers;
  CcProxyExchange    *exchange;      /* weak: the exchange owns us */
  CcProxySnapshot    *snapshot;
  SoupSession        *session;
  CcProxyEventSink   *sink;
  GBytes             *body;
  JsonNode           *json_body;
  GInputStream       *body_stream;   /* while the body is still arriving */
  goffset             body_length;
  gint64              start_time;
  guint               sequence;
  gboolean            response_headers_sent;  /* the event, not the bytes */
  gboolean            complete_sent;
  /* What the one-line views of a request show. */
  char               *model;
  JsonNode           *usage;
  char               *stop_reason;
  char               *error_message;  /* of an Anthropic error answer */
  CcProxyMessageAssembler *summary;  /* usage and stop reason of a stream */
  GByteArray         *response_bytes;  /* the answer's first bytes, for listeners */
  gsize               response_limit;
  gboolean            response_truncated;
  gboolean            response_is_stream;
  CcProxySseParser   *sse;             /* the answer's events, while observed */
  SoupMessageHeaders *spare_headers;   /* for providers late with an answer */
  GPtrArray          *secrets;       /* NULL-terminated; NULL until a provider adds one */
  char               *provider_id;   /* who serves it, when not the active provider */
  char               *route;         /* the routing record, for the terminal event */
  CcProxySignatureScan *signatures;  /* of the answer, while a route wants them */
  char               *session_id;    /* Claude Code's, when it sent one */
  const char         *request_class; /* static */
};

G_DEFINE_FINAL_TYPE (CcProxyExchangeContext, cc_proxy_exchange_context, CC_PROXY_TYPE_REQUEST_CONTEXT)

static void
cc_proxy_exchange_context_finalize (GObject *object)
{
  CcProxyExchangeContext *self = (CcProxyExchangeContext *) object;

  g_free (self->id);
  g_free (self->provider_id);
  g_free (self->route);
  g_free (self->session_id);
  g_clear_pointer (&self->signatures, cc_proxy_signature_scan_free);
  g_free (self->path);
  g_free (self->query);
  g_clear_pointer (&self->request_headers, soup_message_headers_unref);
  g_clear_weak_pointer (&self->exchange);
  g_clear_pointer (&self->snapshot, cc_proxy_snapshot_unref);
  g_clear_pointer (&self->secrets, g_ptr_array_unref);
  g_clear_object (&self->session);
  g_clear_object (&self->sink);
  g_clear_pointer (&self->body, g_bytes_unref);
  g_clear_pointer (&self->json_body, json_node_unref);
  g_clear_object (&self->body_stream);
  g_free (self->model);
  g_clear_pointer (&self->usage, json_node_unref);
  g_free (self->stop_reason);
  g_free (self->error_message);
  g_clear_pointer (&self->summary, cc_proxy_message_assembler_free);
  g_clear_pointer (&self->response_bytes, g_byte_array_unref);
  g_clear_pointer (&self->sse, cc_proxy_sse_parser_free);
  g_clear_pointer (&self->spare_headers, soup_message_headers_unref);

  G_OBJECT_CLASS (cc_proxy_exchange_context_parent_class)->finalize (object);
}

static void
cc_proxy_exchange_context_init (CcProxyExchangeContext *self)
{
}

static char *
new_request_id (void)
{
  return g_strdup_printf ("%08x%08x%08x%08x",
                          g_random_int (), g_random_int (), g_random_int (), g_random_int ());
}

/* Made by the exchange, once the request head is in. */
CcProxyExchangeContext *
cc_proxy_exchange_context_new (CcProxyExchange  *exchange,
                               const char       *path,
                               const char       *query,
                               CcProxySnapshot  *snapshot,
                               SoupSession      *session,
                               CcProxyEventSink *sink)
{
  CcProxyExchangeContext *self = g_object_new (CC_PROXY_TYPE_EXCHANGE_CONTEXT, NULL);
  SoupServerMessage *message = cc_proxy_exchange_get_message (exchange);

  self->id = new_request_id ();
  self->path = g_strdup (path);
  self->query = g_strdup (query);
  self->method = g_intern_string (soup_server_message_get_method (message));
  self->request_headers = soup_message_headers_ref (soup_server_message_get_request_headers (message));
  g_set_weak_pointer (&self->exchange, exchange);
  self->snapshot = cc_proxy_snapshot_ref (snapshot);
  self->session = g_object_ref (session);
  self->sink = sink ? g_object_ref (sink) : NULL;
  self->start_time = g_get_monotonic_time ();
  self->session_id = g_strdup (soup_message_headers_get_one (self->request_headers, "X-Claude-Code-Session-Id"));
  return self;
}

static gpointer
copy_string (gconstpointer string,
             gpointer      unused)
{
  return g_strdup (string);
}

/**
 * cc_proxy_exchange_context_new_try:
 * @self: the context of a try that failed before it answered
 *
 * The context for the request's next try: the same request (id, body,
 * secrets, the events so far), nothing of the failed try's answer.
 *
 * Returns: (transfer full): the new context, of the same exchange
 */
CcProxyExchangeContext *
cc_proxy_exchange_context_new_try (CcProxyExchangeContext *self)
{
  CcProxyExchangeContext *next = g_object_new (CC_PROXY_TYPE_EXCHANGE_CONTEXT, NULL);

  next->id = g_strdup (self->id);
  next->path = g_strdup (self->path);
  next->query = g_strdup (self->query);
  next->method = self->method;
  next->request_headers = soup_message_headers_ref (self->request_headers);
  g_set_weak_pointer (&next->exchange, self->exchange);
  next->snapshot = cc_proxy_snapshot_ref (self->snapshot);
  next->session = g_object_ref (self->session);
  next->sink = self->sink ? g_object_ref (self->sink) : NULL;
  next->body = self->body ? g_bytes_ref (self->body) : NULL;
  next->start_time = self->start_time;
  next->sequence = self->sequence;
  next->model = g_strdup (self->model);
  next->provider_id = g_strdup (self->provider_id);
  next->route = g_strdup (self->route);
  next->session_id = g_strdup (self->session_id);
  next->request_class = self->request_class;
  if (self->secrets != NULL)
    next->secrets = g_ptr_array_copy (self->secrets, copy_string, NULL);
  return next;
}

/* The try is over: whatever it still does goes nowhere. */
void
cc_proxy_exchange_context_detach (CcProxyExchangeContext *self)
{
  g_clear_weak_pointer (&self->exchange);
}

/* Who serves the request, for its events, when a route chose. */
void
cc_proxy_exchange_context_set_provider_id (CcProxyExchangeContext *self,
                                           const char             *provider_id)
{
  g_free (self->provider_id);
  self->provider_id = g_strdup (provider_id);
}

/**
 * cc_proxy_exchange_context_watch_signatures:
 * @scan: (transfer full): what the answer's bytes are fed to, for the
 *   thinking signatures in them
 */
void
cc_proxy_exchange_context_watch_signatures (CcProxyExchangeContext *self,
                                            CcProxySignatureScan   *scan)
{
  g_clear_pointer (&self->signatures, cc_proxy_signature_scan_free);
  self->signatures = scan;
}

/* Who the request is for ("user", "agent", ...), for its events. */
void
cc_proxy_exchange_context_set_class (CcProxyExchangeContext *self,
                                     const char             *request_class)
{
  self->request_class = request_class;
}

/* The request's class (user, agent, …), or NULL when not known. */
const char *
cc_proxy_exchange_context_get_class (CcProxyExchangeContext *self)
{
  return self->request_class;
}

/* How the request was routed, for its terminal event. */
void
cc_proxy_exchange_context_set_route (CcProxyExchangeContext *self,
                                     const char             *route)
{
  g_free (self->route);
  self->route = g_strdup (route);
}

void
cc_proxy_exchange_context_set_body (CcProxyExchangeContext *self,
                                    GBytes                *body,
                                    JsonNode              *json_body)
{
  g_clear_pointer (&self->body, g_bytes_unref);
  g_clear_pointer (&self->json_body, json_node_unref);
  self->body = body ? g_bytes_ref (body) : NULL;
  self->json_body = json_body ? json_node_ref (json_body) : NULL;
}

/* A body forwarded while it arrives; @length is -1 when unknown. The
 * stream is dropped once the whole body is in (set_body). */
void
cc_proxy_exchange_context_set_body_stream (CcProxyExchangeContext *self,
                                           GInputStream          *stream,
                                           goffset                length)
{
  g_set_object (&self->body_stream, stream);
  self->body_length = length;
}

GInputStream *
cc_proxy_exchange_context_get_body_stream (CcProxyExchangeContext *self,
                                           goffset               *length)
{
  if (length != NULL)
    *length = self->body_length;
  return self->body_stream;
}

static const char *
cc_proxy_exchange_context_get_id (CcProxyRequestContext *context)
{
  CcProxyExchangeContext *self = (CcProxyExchangeContext *) context;

  return self->id;
}

static const char *
cc_proxy_exchange_context_get_method (CcProxyRequestContext *context)
{
  CcProxyExchangeContext *self = (CcProxyExchangeContext *) context;

  return self->method;
}

static const char *
cc_proxy_exchange_context_get_path (CcProxyRequestContext *context)
{
  CcProxyExchangeContext *self = (CcProxyExchangeContext *) context;

  return self->path;
}

static const char *
cc_proxy_exchange_context_get_query (CcProxyRequestContext *context)
{
  CcProxyExchangeContext *self = (CcProxyExchangeContext *) context;

  return self->query;
}

static SoupMessageHeaders *
cc_proxy_exchange_context_get_request_headers (CcProxyRequestContext *context)
{
  CcProxyExchangeContext *self = (CcProxyExchangeContext *) context;

  return self->request_headers;
}

static GBytes *
cc_proxy_exchange_context_get_body (CcProxyRequestContext *context)
{
  CcProxyExchangeContext *self = (CcProxyExchangeContext *) context;

  return self->body;
}

static JsonNode *
cc_proxy_exchange_context_get_json_body (CcProxyRequestContext *context)
{
  CcProxyExchangeContext *self = (CcProxyExchangeContext *) context;

  return self->json_body;
}

/* What redaction hides in this request. */
static const char * const *
cc_proxy_exchange_context_get_secrets (CcProxyExchangeContext *self)
{
  if (self->secrets != NULL)
    return (const char * const *) self->secrets->pdata;
  return cc_proxy_snapshot_get_secret_values (self->snapshot);
}

static void
cc_proxy_exchange_context_add_secret (CcProxyRequestContext *context,
                                      const char            *value)
{
  CcProxyExchangeContext *self = (CcProxyExchangeContext *) context;

  /* A secret setting's value (an API key) is hidden already; so is a
   * value given twice. */
  if (g_strv_contains (cc_proxy_exchange_context_get_secrets (self), value))
    return;
  if (self->secrets == NULL)
    {
      const char * const *known = cc_proxy_snapshot_get_secret_values (self->snapshot);

      self->secrets = g_ptr_array_new_with_free_func (g_free);
      for (guint i = 0; known[i] != NULL; i++)
        g_ptr_array_add (self->secrets, g_strdup (known[i]));
      g_ptr_array_add (self->secrets, NULL);
    }
  g_ptr_array_insert (self->secrets, self->secrets->len - 1, g_strdup (value));
}

static CcProxySnapshot *
cc_proxy_exchange_context_get_snapshot (CcProxyRequestContext *context)
{
  CcProxyExchangeContext *self = (CcProxyExchangeContext *) context;

  return self->snapshot;
}

/* The exchange this is the façade of; NULL once the request is over. */
CcProxyExchange *
cc_proxy_exchange_context_get_exchange (CcProxyExchangeContext *self)
{
  return self->exchange;
}

static void
cc_proxy_exchange_context_set_status (CcProxyRequestContext *context,
                                      guint                  status)
{
  CcProxyExchangeContext *self = (CcProxyExchangeContext *) context;

  if (self->exchange != NULL)
    cc_proxy_exchange_set_status (self->exchange, status, NULL);
}

static SoupMessageHeaders *
cc_proxy_exchange_context_get_response_headers (CcProxyRequestContext *context)
{
  CcProxyExchangeContext *self = (CcProxyExchangeContext *) context;

  if (self->exchange == NULL)
    {
      /* The request is over: headers that go nowhere. */
      if (self->spare_headers == NULL)
        self->spare_headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
      return self->spare_headers;
    }
  return cc_proxy_exchange_get_response_headers (self->exchange);
}

static void
cc_proxy_exchange_context_respond (CcProxyRequestContext *context,
                                   guint                  status,
                                   const char            *content_type,
                                   GBytes                *body)
{
  CcProxyExchangeContext *self = (CcProxyExchangeContext *) context;

  if (self->exchange != NULL)
    cc_proxy_exchange_respond (self->exchange, status, content_type, body);
}

static void
cc_proxy_exchange_context_begin_stream (CcProxyRequestContext *context,
                                        guint                  status,
                                        const char            *content_type)
{
  CcProxyExchangeContext *self = (CcProxyExchangeContext *) context;
  SoupMessageHeaders *headers;

  if (self->exchange == NULL || cc_proxy_exchange_fall_back (self->exchange, status, NULL, NULL))
    return;
  headers = cc_proxy_exchange_get_response_headers (self->exchange);
  cc_proxy_exchange_set_status (self->exchange, status, NULL);
  soup_message_headers_set_content_type (headers, content_type, NULL);
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  cc_proxy_exchange_begin_body (self->exchange, TRUE);
}

static void
cc_proxy_exchange_context_write (CcProxyRequestContext *context,
                                 const char            *data,
                                 gsize                  len)
{
  CcProxyExchangeContext *self = (CcProxyExchangeContext *) context;

  if (self->exchange != NULL)
    cc_proxy_exchange_write (self->exchange, data, len);
}

static void
cc_proxy_exchange_context_end_stream (CcProxyRequestContext *context)
{
  CcProxyExchangeContext *self = (CcProxyExchangeContext *) context;

  if (self->exchange != NULL)
    cc_proxy_exchange_end_body (self->exchange);
}

static SoupSession *
cc_proxy_exchange_context_get_session (CcProxyRequestContext *context)
{
  CcProxyExchangeContext *self = (CcProxyExchangeContext *) context;

  return self->session;
}

static GStrv
cc_proxy_exchange_context_dup_safe_headers (CcProxyRequestContext *context,
                                            SoupMessageHeaders    *headers)
{
  CcProxyExchangeContext *self = (CcProxyExchangeContext *) context;

  return cc_proxy_headers_safe_view (headers, cc_proxy_exchange_context_get_secrets (self));
}

static gboolean
cc_proxy_exchange_context_has_response_started (CcProxyRequestContext *context)
{
  CcProxyExchangeContext *self = (CcProxyExchangeContext *) context;

  return self->exchange == NULL || cc_proxy_exchange_has_response_started (self->exchange);
}

gboolean
cc_proxy_exchange_context_is_observed (CcProxyExchangeContext *self)
{
  return cc_proxy_event_sink_is_active (self->sink);
}

static CcProxyEvent *
new_event (CcProxyExchangeContext *self,
           CcProxyEventKind       kind)
{
  CcProxyEvent *event = cc_proxy_event_new (kind);

  event->request_id = g_strdup (self->id);
  event->sequence = self->sequence++;
  event->provider_id = g_strdup (self->provider_id ? self->provider_id
                                                  : cc_proxy_snapshot_get_active_provider (self->snapshot));
  event->method = g_strdup (self->method);
  event->path = g_strdup (self->path);
  event->model = g_strdup (self->model);
  event->session_id = g_strdup (self->session_id);
  event->request_class = self->request_class;
  event->query = cc_proxy_redact_string (self->query, cc_proxy_exchange_context_get_secrets (self));
  return event;
}

static void
emit (CcProxyExchangeContext *self,
      CcProxyEvent          *event)
{
  cc_proxy_event_sink_emit (self->sink, event);
  cc_proxy_event_unref (event);
}

static void
set_event_body (CcProxyExchangeContext *self,
                CcProxyEvent          *event,
                JsonNode              *body)
{
  event->body = cc_proxy_redact_json (body, cc_proxy_exchange_context_get_secrets (self));
  /* Listeners may read it from other threads (the capture log does). */
  if (event->body == body)
    json_node_seal (body);
  event->shape = cc_proxy_body_shape_detect (body);
}

/* Redacted, and no longer than the listeners want; NULL when they want
 * no bodies. */
static GBytes *
observed_prefix (CcProxyExchangeContext *self,
                 GBytes                *bytes,
                 gboolean              *truncated)
{
  gsize limit = cc_proxy_event_sink_get_body_limit (self->sink);
  g_autoptr(GBytes) prefix = NULL;

  *truncated = FALSE;
  if (limit == 0 || bytes == NULL || g_bytes_get_size (bytes) == 0)
    return NULL;
  if (g_bytes_get_size (bytes) > limit)
    {
      *truncated = TRUE;
      prefix = g_bytes_new_from_bytes (bytes, 0, limit);
    }
  else
    prefix = g_bytes_ref (bytes);
  return cc_proxy_redact_bytes (prefix, cc_proxy_exchange_context_get_secrets (self));
}

static gboolean
is_json_type (const char *type)
{
  return type != NULL && g_str_has_suffix (type, "json");
}

/* Request headers, then the body when it is JSON. Nothing is parsed
 * here: the model is found by a scan, and the body goes to the
 * listeners as bytes, for the capture log to parse on its own thread. */
void
cc_proxy_exchange_context_emit_request (CcProxyExchangeContext *self)
{
  const char *type;
  CcProxyEvent *event;

  if (!cc_proxy_exchange_context_is_observed (self))
    return;

  type = soup_message_headers_get_content_type (self->request_headers, NULL);
  /* Known before the first event, so that every event can name it. */
  if (self->json_body != NULL && JSON_NODE_HOLDS_OBJECT (self->json_body))
    self->model = g_strdup (cc_proxy_json_get_string (json_node_get_object (self->json_body), "model"));
  else if (self->body != NULL && is_json_type (type))
    self->model = cc_proxy_body_scan_string (g_bytes_get_data (self->body, NULL), g_bytes_get_size (self->body), "model");
  if (self->model != NULL && cc_proxy_exchange_context_get_secrets (self) != NULL)
    {
      char *clean = cc_proxy_redact_string (self->model, cc_proxy_exchange_context_get_secrets (self));

      g_free (self->model);
      self->model = clean;
    }

  event = new_event (self, CC_PROXY_EVENT_REQUEST_HEADERS);
  event->headers = cc_proxy_headers_safe_view (self->request_headers, cc_proxy_exchange_context_get_secrets (self));
  emit (self, event);

  if (cc_proxy_event_sink_get_body_limit (self->sink) == 0 || (self->json_body == NULL && !is_json_type (type)))
    return;

  event = new_event (self, CC_PROXY_EVENT_REQUEST_BODY);
  if (self->json_body != NULL && (self->body == NULL ||
                                  g_bytes_get_size (self->body) <= cc_proxy_event_sink_get_body_limit (self->sink)))
    set_event_body (self, event, self->json_body);
  else
    event->raw_body = observed_prefix (self, self->body, &event->body_truncated);
  if (event->body == NULL && event->raw_body == NULL)
    g_clear_pointer (&event, cc_proxy_event_unref);
  else
    emit (self, event);
}

void
cc_proxy_exchange_context_emit_response_headers (CcProxyExchangeContext *self,
                                                 guint                  status,
                                                 SoupMessageHeaders    *headers)
{
  CcProxyEvent *event;

  self->response_headers_sent = TRUE;
  if (!cc_proxy_exchange_context_is_observed (self))
    return;

  event = new_event (self, CC_PROXY_EVENT_RESPONSE_HEADERS);
  event->status = status;
  event->headers = cc_proxy_headers_safe_view (headers, cc_proxy_exchange_context_get_secrets (self));
  emit (self, event);
}

/* For answers that did not report their headers themselves. */
void
cc_proxy_exchange_context_emit_response_headers_once (CcProxyExchangeContext *self,
                                                      guint                  status,
                                                      SoupMessageHeaders    *headers)
{
  if (!self->response_headers_sent)
    cc_proxy_exchange_context_emit_response_headers (self, status, headers);
}

/* The stream events that carry the one-line figures (usage, stop
 * reason): the only ones parsed while nobody wants progress events. */
static gboolean
cc_proxy_sse_event_has_summary (const char *sse_event)
{
  return sse_event != NULL && (g_str_equal (sse_event, "message_start") ||
                               g_str_equal (sse_event, "message_delta"));
}

/* Whether a relay should parse every event of a stream for
 * cc_proxy_exchange_context_emit_progress(), or only the summary ones. */
static gboolean
cc_proxy_exchange_context_wants_progress (CcProxyExchangeContext *self)
{
  return cc_proxy_event_sink_wants_progress (self->sink);
}

static void
cc_proxy_exchange_context_emit_progress (CcProxyExchangeContext *self,
                                         const char            *sse_event,
                                         JsonNode              *data)
{
  CcProxyEvent *event;

  if (!cc_proxy_exchange_context_is_observed (self))
    return;

  if (data != NULL && cc_proxy_sse_event_has_summary (sse_event))
    {
      if (self->summary == NULL)
        self->summary = cc_proxy_message_assembler_new ();
      cc_proxy_message_assembler_add (self->summary, data);
    }
  if (!cc_proxy_event_sink_wants_progress (self->sink))
    return;

  event = new_event (self, CC_PROXY_EVENT_PROGRESS);
  event->sse_event = g_strdup (sse_event);
  if (data != NULL)
    set_event_body (self, event, data);
  emit (self, event);
}

static void
summarize (CcProxyExchangeContext *self,
           JsonNode              *body)
{
  JsonObject *object = JSON_NODE_HOLDS_OBJECT (body) ? json_node_get_object (body) : NULL;
  const char *message;

  g_clear_pointer (&self->usage, json_node_unref);
  g_clear_pointer (&self->stop_reason, g_free);
  cc_proxy_response_summarize (body, &self->usage, &self->stop_reason);
  /* An error answer says why: a provider's host, or an upstream, wrote it. */
  if (object != NULL && g_strcmp0 (cc_proxy_json_get_string (object, "type"), "error") == 0 &&
      (message = cc_proxy_json_get_string (cc_proxy_json_get_object (object, "error"), "message")) != NULL)
    {
      g_free (self->error_message);
      self->error_message = g_strdup (message);
    }
}

static void
cc_proxy_exchange_context_emit_complete (CcProxyExchangeContext *self,
                                         JsonNode              *body)
{
  CcProxyEvent *event;

  if (!cc_proxy_exchange_context_is_observed (self) || self->complete_sent)
    return;
  self->complete_sent = TRUE;
  summarize (self, body);
  if (cc_proxy_event_sink_get_body_limit (self->sink) == 0)
    return;

  event = new_event (self, CC_PROXY_EVENT_RESPONSE_COMPLETE);
  set_event_body (self, event, body);
  emit (self, event);
}

/* One event of an answer streamed by the core (relayed, or written by
 * the provider through the context): only the events with usage in
 * them are parsed, unless someone watches every event. */
static void
cc_proxy_exchange_context_observe_sse_event (const char *event,
                                             const char *data,
                                             gpointer    user_data)
{
  CcProxyExchangeContext *self = user_data;
  g_autoptr(JsonNode) node = NULL;

  if (!cc_proxy_sse_event_has_summary (event) && !cc_proxy_exchange_context_wants_progress (self))
    return;
  node = cc_proxy_json_parse (data, -1, NULL);
  cc_proxy_exchange_context_emit_progress (self, event, node);
}

/* Summaries of JSON answers need the whole body even when nobody keeps
 * bodies; answers are small, and this bounds the odd large one. */
#define SUMMARY_LIMIT (1024 * 1024)

/* The answer's bytes are kept (up to a limit) while they go out, for
 * response-complete: a stream as it is, JSON to be parsed at its end. */
void
cc_proxy_exchange_context_observe_response (CcProxyExchangeContext *self,
                                            SoupMessageHeaders    *headers,
                                            gboolean               parse_events)
{
  gsize limit = cc_proxy_event_sink_get_body_limit (self->sink);

  g_clear_pointer (&self->response_bytes, g_byte_array_unref);
  g_clear_pointer (&self->sse, cc_proxy_sse_parser_free);
  if (!cc_proxy_exchange_context_is_observed (self))
    return;
  self->response_is_stream = cc_proxy_headers_is_event_stream (headers);
  if (self->response_is_stream && parse_events)
    self->sse = cc_proxy_sse_parser_new (cc_proxy_exchange_context_observe_sse_event, self);
  if (self->response_is_stream)
    self->response_limit = limit;
  else if (is_json_type (soup_message_headers_get_content_type (headers, NULL)))
    self->response_limit = MAX (limit, SUMMARY_LIMIT);
  else
    self->response_limit = 0;
  if (self->response_limit > 0)
    self->response_bytes = g_byte_array_new ();
}

void
cc_proxy_exchange_context_observe_response_bytes (CcProxyExchangeContext *self,
                                                  const char            *data,
                                                  gsize                  len)
{
  gsize room;

  if (self->signatures != NULL)
    cc_proxy_signature_scan_feed (self->signatures, data, len);
  /* An event too long to hold ends only the watching: the client
   * still gets every byte. */
  if (self->sse != NULL && !cc_proxy_sse_parser_feed (self->sse, data, len))
    g_clear_pointer (&self->sse, cc_proxy_sse_parser_free);
  if (self->response_bytes == NULL || self->response_truncated)
    return;
  room = self->response_limit - self->response_bytes->len;
  if (len > room)
    self->response_truncated = TRUE;
  g_byte_array_append (self->response_bytes, (const guint8 *) data, MIN (len, room));
}

/* At the end of the answer: response-complete from the kept bytes. */
static void
emit_observed_response (CcProxyExchangeContext *self)
{
  g_autoptr(GByteArray) kept = g_steal_pointer (&self->response_bytes);
  g_autoptr(GBytes) bytes = NULL;
  CcProxyEvent *event;

  if (kept == NULL || kept->len == 0 || self->complete_sent)
    return;

  if (!self->response_is_stream && !self->response_truncated)
    {
      g_autoptr(JsonNode) node = cc_proxy_json_parse ((const char *) kept->data, kept->len, NULL);

      if (node != NULL)
        {
          cc_proxy_exchange_context_emit_complete (self, node);
          return;
        }
    }

  self->complete_sent = TRUE;
  if (cc_proxy_event_sink_get_body_limit (self->sink) == 0)
    return;
  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&kept));
  event = new_event (self, CC_PROXY_EVENT_RESPONSE_COMPLETE);
  event->raw_body = observed_prefix (self, bytes, &event->body_truncated);
  event->body_truncated |= self->response_truncated;
  event->raw_is_stream = self->response_is_stream;
  emit (self, event);
}

/* What a terminal event tells about the whole request. */
static void
set_outcome (CcProxyExchangeContext *self,
             CcProxyEvent          *event)
{
  event->duration_us = g_get_monotonic_time () - self->start_time;
  event->route = g_strdup (self->route);
  event->usage = self->usage ? json_node_copy (self->usage) : NULL;
  event->stop_reason = g_strdup (self->stop_reason);
}

static void
finish_summary (CcProxyExchangeContext *self)
{
  g_autoptr(JsonNode) message = NULL;

  if (self->summary == NULL)
    return;
  message = cc_proxy_message_assembler_finish (self->summary);
  g_clear_pointer (&self->summary, cc_proxy_message_assembler_free);
  if (message != NULL && self->usage == NULL)
    summarize (self, message);
}

/* The request's terminal events, built; the exchange decides when. */
void
cc_proxy_exchange_context_report_done (CcProxyExchangeContext *self,
                                       guint                  status)
{
  CcProxyEvent *event;

  if (self->sse != NULL)
    cc_proxy_sse_parser_finish (self->sse);
  if (!cc_proxy_exchange_context_is_observed (self))
    return;

  finish_summary (self);
  emit_observed_response (self);

  event = new_event (self, CC_PROXY_EVENT_RESPONSE_DONE);
  event->status = status;
  if (status >= 400 && self->error_message != NULL)
    event->message = cc_proxy_redact_string (self->error_message, cc_proxy_exchange_context_get_secrets (self));
  set_outcome (self, event);
  emit (self, event);
}

void
cc_proxy_exchange_context_report_error (CcProxyExchangeContext *self,
                                        CcProxyEventKind       kind,
                                        guint                  status,
                                        const char            *message)
{
  CcProxyEvent *event;

  if (!cc_proxy_exchange_context_is_observed (self))
    return;

  finish_summary (self);
  emit_observed_response (self);

  event = new_event (self, kind);
  event->status = status;
  event->message = cc_proxy_redact_string (message, cc_proxy_exchange_context_get_secrets (self));
  set_outcome (self, event);
  emit (self, event);
}

/* @text without this request's secret values. */
char *
cc_proxy_exchange_context_redact (CcProxyExchangeContext *self,
                                  const char            *text)
{
  return cc_proxy_redact_string (text, cc_proxy_exchange_context_get_secrets (self));
}

static void
cc_proxy_exchange_context_respond_error (CcProxyRequestContext *context,
                                         guint                  status,
                                         const char            *kind,
                                         const char            *message)
{
  CcProxyExchangeContext *self = (CcProxyExchangeContext *) context;

  if (self->exchange != NULL)
    cc_proxy_exchange_respond_error (self->exchange, CC_PROXY_EVENT_ERROR, status, kind, message);
}

static void
observe_event (CcProxyRequestContext *context,
               const char            *event,
               JsonNode              *data)
{
  cc_proxy_exchange_context_emit_progress (CC_PROXY_EXCHANGE_CONTEXT (context), event, data);
}

static void
cc_proxy_exchange_context_class_init (CcProxyExchangeContextClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  CcProxyRequestContextClass *context_class = CC_PROXY_REQUEST_CONTEXT_CLASS (klass);

  object_class->finalize = cc_proxy_exchange_context_finalize;

  context_class->get_id = cc_proxy_exchange_context_get_id;
  context_class->get_method = cc_proxy_exchange_context_get_method;
  context_class->get_path = cc_proxy_exchange_context_get_path;
  context_class->get_query = cc_proxy_exchange_context_get_query;
  context_class->get_request_headers = cc_proxy_exchange_context_get_request_headers;
  context_class->get_body = cc_proxy_exchange_context_get_body;
  context_class->get_json_body = cc_proxy_exchange_context_get_json_body;
  context_class->get_snapshot = cc_proxy_exchange_context_get_snapshot;
  context_class->get_session = cc_proxy_exchange_context_get_session;
  context_class->add_secret = cc_proxy_exchange_context_add_secret;
  context_class->dup_safe_headers = cc_proxy_exchange_context_dup_safe_headers;
  context_class->has_response_started = cc_proxy_exchange_context_has_response_started;
  context_class->set_status = cc_proxy_exchange_context_set_status;
  context_class->get_response_headers = cc_proxy_exchange_context_get_response_headers;
  context_class->respond = cc_proxy_exchange_context_respond;
  context_class->begin_stream = cc_proxy_exchange_context_begin_stream;
  context_class->write = cc_proxy_exchange_context_write;
  context_class->end_stream = cc_proxy_exchange_context_end_stream;
  context_class->respond_error = cc_proxy_exchange_context_respond_error;
  context_class->relay_async = cc_proxy_relay_async;
  context_class->relay_finish = cc_proxy_relay_finish;
  context_class->observe_event = observe_event;
}
