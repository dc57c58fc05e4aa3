/* cc-proxy-exchange.c: one request, owned from its first byte to its last
 *
 * libsoup tells about a request through the signals of its
 * SoupServerMessage. Only the exchange listens to them; it keeps the
 * request's state, watches the client, bounds the request body, writes
 * the answer, sends the one terminal event and counts the request out.
 * Whoever produces the answer (the dispatch to a provider, a relay) is
 * its current responder and hears from it directly. Providers see the
 * request only through its CcProxyRequestContext.
 *
 * Lifetime: the message holds the exchange (as object data) until the
 * message is freed; the exchange points at the message until then.
 * Relays and dispatches hold the exchange while they work.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "cc-proxy-pipeline"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "cc-proxy-body-stream.h"
#include "cc-proxy-event.h"
#include "cc-proxy-exchange.h"
#include "cc-proxy-hangup.h"
#include "cc-proxy-exchange-context.h"

#define EXCHANGE_KEY "cc-proxy-exchange"

/* How much of a request body may wait for a slow upstream. */
#define UPLOAD_HIGH_WATER (1024 * 1024)

struct _CcProxyExchange
{
  GObject                 parent_instance;

  SoupServerMessage      *message;       /* not a reference: see above */
  GSocket                *socket;        /* the client connection's, if known */
  CcProxyExchangeState    state;
  CcProxyCounters        *counters;      /* shared with the server */
  gboolean                counted_out;
  guint                   client_timeout;    /* seconds */
  guint                   client_timeout_id;
  gint64                  body_progress;     /* when body bytes last came */
  CcProxyExchangeContext *context;       /* from the request head on */
  CcProxyProvider        *provider;      /* the route; NULL: the default path */
  char                   *refusal;       /* or why the request is refused */
  SoupMessageHeaders     *response_headers;  /* the message's, kept past it */
  GSource                *hangup;

  gboolean                answer_complete;  /* the body's end went to libsoup */
  gboolean                finished;         /* libsoup let go of the message */

  /* The request body, while it is counted against the size cap. */
  guint64                 max_body;
  guint64                 received;
  CcProxyBodyStream      *upload;        /* forwarded while it arrives */
  GByteArray             *prefix;        /* what listeners see of it */
  gsize                   keep;
  gboolean                request_complete;
  gboolean                upload_paused;   /* the upstream is slower than the client */

  const CcProxyResponder *responder;
  gpointer                responder_data;

  /* Who may answer instead when this try fails before its first byte. */
  CcProxyFallbackFunc     fallback;
  gpointer                fallback_data;
  GDestroyNotify          fallback_destroy;
};

G_DEFINE_FINAL_TYPE (CcProxyExchange, cc_proxy_exchange, G_TYPE_OBJECT)

static void
stop_watching_client (CcProxyExchange *self)
{
  if (self->hangup != NULL)
    g_source_destroy (self->hangup);
  g_clear_pointer (&self->hangup, g_source_unref);
}

/* Whether the message can still take an answer. */
/* The status line's words. libsoup 3.2 knows none for some statuses
 * clients act on (429 "Unknown Error"), nor Anthropic's 529. */
static const char *
status_phrase (guint       status,
               const char *reason)
{
  static const struct { guint status; const char *phrase; } extra[] = {
    { 425, "Too Early" },
    { 428, "Precondition Required" },
    { 429, "Too Many Requests" },
    { 431, "Request Header Fields Too Large" },
    { 529, "Overloaded" },
  };

  if (reason != NULL && reason[0] != '\0' && g_strcmp0 (reason, "Unknown Error") != 0)
    return reason;
  for (guint i = 0; i < G_N_ELEMENTS (extra); i++)
    if (extra[i].status == status)
      return extra[i].phrase;
  return soup_status_get_phrase (status);
}

static gboolean
message_is_open (CcProxyExchange *self)
{
  return !self->finished && self->message != NULL;
}

static void
cc_proxy_exchange_dispose (GObject *object)
{
  CcProxyExchange *self = (CcProxyExchange *) object;

  cc_proxy_exchange_set_fallback (self, NULL, NULL, NULL);

  g_clear_handle_id (&self->client_timeout_id, g_source_remove);
  stop_watching_client (self);
  /* The upstream request may read the body after we are gone. */
  if (self->upload != NULL)
    cc_proxy_body_stream_set_drained_func (self->upload, NULL, NULL);
  G_OBJECT_CLASS (cc_proxy_exchange_parent_class)->dispose (object);
}

static void
cc_proxy_exchange_finalize (GObject *object)
{
  CcProxyExchange *self = (CcProxyExchange *) object;

  g_clear_pointer (&self->counters, g_rc_box_release);
  g_clear_object (&self->socket);
  g_clear_object (&self->context);
  g_clear_object (&self->provider);
  g_free (self->refusal);
  g_clear_pointer (&self->response_headers, soup_message_headers_unref);
  g_clear_object (&self->upload);
  g_clear_pointer (&self->prefix, g_byte_array_unref);
  G_OBJECT_CLASS (cc_proxy_exchange_parent_class)->finalize (object);
}

static void
cc_proxy_exchange_class_init (CcProxyExchangeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cc_proxy_exchange_dispose;
  object_class->finalize = cc_proxy_exchange_finalize;
}

static void
cc_proxy_exchange_init (CcProxyExchange *self)
{
  self->state = CC_PROXY_EXCHANGE_RECEIVING;
}

/**
 * cc_proxy_exchange_count_out:
 * @self: an exchange
 * @failed: whether it ended with an error status or was cut off
 *
 * Counts the request out of the active ones, once whatever calls it.
 */
void
cc_proxy_exchange_count_out (CcProxyExchange *self,
                             gboolean         failed)
{
  g_clear_handle_id (&self->client_timeout_id, g_source_remove);
  if (self->counted_out)
    return;
  self->counted_out = TRUE;
  self->counters->active--;
  if (failed)
    self->counters->failed++;
}

/* libsoup answers bad request lines and oversized heads itself, and
 * may drop a message without a word when its client vanishes: the
 * request still leaves the count when its message goes. */
static void
on_message_gone (gpointer  data,
                 GObject  *where_the_message_was)
{
  CcProxyExchange *self = data;

  self->message = NULL;
  cc_proxy_exchange_count_out (self, TRUE);
}

static void
exchange_unref (gpointer data)
{
  g_object_unref (data);
}

static void
close_client (CcProxyExchange *self)
{
  if (self->socket != NULL && self->message != NULL)
    g_socket_shutdown (self->socket, TRUE, TRUE, NULL);
}

/* A connection that sends no request head in time (idle between
 * requests, or trickling its headers) is closed: each holds a socket
 * and a message. */
static gboolean
on_client_timeout (gpointer user_data)
{
  CcProxyExchange *self = user_data;

  self->client_timeout_id = 0;
  g_debug ("Closing a client connection that sent no request head in time");
  close_client (self);
  return G_SOURCE_REMOVE;
}

/* And one whose request body stops coming for as long: the timeout
 * counts from the last bytes, and not while the proxy itself holds the
 * body back for a slow upstream. */
static gboolean
on_body_timeout (gpointer user_data)
{
  CcProxyExchange *self = user_data;
  gint64 quiet = g_get_monotonic_time () - self->body_progress;
  gint64 allowed = (gint64) self->client_timeout * G_USEC_PER_SEC;

  self->client_timeout_id = 0;
  if (self->request_complete)
    return G_SOURCE_REMOVE;
  if (self->upload_paused || quiet < allowed)
    {
      if (self->upload_paused)
        self->body_progress = g_get_monotonic_time ();
      self->client_timeout_id = g_timeout_add ((allowed - MIN (quiet, allowed)) / 1000 + 1, on_body_timeout, self);
      return G_SOURCE_REMOVE;
    }
  g_debug ("Closing a client connection whose request body stopped coming");
  close_client (self);
  return G_SOURCE_REMOVE;
}

/**
 * cc_proxy_exchange_new:
 * @message: a message libsoup has just started reading
 * @socket: (nullable): its connection's socket
 * @counters: the server's counters; this request is counted in
 * @client_timeout: seconds the client has to send the request head
 *
 * Returns: (transfer none): the exchange, owned by @message
 */
CcProxyExchange *
cc_proxy_exchange_new (SoupServerMessage *message,
                       GSocket           *socket,
                       CcProxyCounters   *counters,
                       guint              client_timeout)
{
  CcProxyExchange *self = g_object_new (CC_PROXY_TYPE_EXCHANGE, NULL);

  self->message = message;
  self->socket = socket != NULL ? g_object_ref (socket) : NULL;
  self->counters = g_rc_box_acquire (counters);
  counters->total++;
  counters->active++;
  g_object_weak_ref (G_OBJECT (message), on_message_gone, self);
  g_object_set_data_full (G_OBJECT (message), EXCHANGE_KEY, self, exchange_unref);
  self->client_timeout = client_timeout;
  self->client_timeout_id = g_timeout_add_seconds (client_timeout, on_client_timeout, self);
  return self;
}

/**
 * cc_proxy_exchange_release:
 * @message: a message whose request was counted out
 *
 * The message lets go of its exchange (and with it the request's body
 * and context), though the message itself may be kept: a kept-alive
 * connection's last message outlives its request.
 */
void
cc_proxy_exchange_release (SoupServerMessage *message)
{
  CcProxyExchange *self = cc_proxy_exchange_from_message (message);

  if (self == NULL)
    return;
  g_object_weak_unref (G_OBJECT (message), on_message_gone, self);
  self->message = NULL;
  g_object_set_data (G_OBJECT (message), EXCHANGE_KEY, NULL);
}

/**
 * cc_proxy_exchange_from_message:
 *
 * Returns: (transfer none) (nullable): the exchange that owns @message
 */
CcProxyExchange *
cc_proxy_exchange_from_message (SoupServerMessage *message)
{
  return g_object_get_data (G_OBJECT (message), EXCHANGE_KEY);
}

/* Whether the request's terminal event is out: nothing it does changes
 * what was reported any more. */
gboolean
cc_proxy_exchange_is_over (CcProxyExchange *self)
{
  return self->state == CC_PROXY_EXCHANGE_DONE || self->state == CC_PROXY_EXCHANGE_FAILED;
}

/* States only move forward, and the end states are final. */
static void
set_state (CcProxyExchange      *self,
           CcProxyExchangeState  state)
{
  if (cc_proxy_exchange_is_over (self) || state < self->state)
    return;
  self->state = state;
}

/* ----- the client ----- */

static void
tell_gone (CcProxyExchange *self)
{
  if (self->responder != NULL && self->responder->gone != NULL)
    self->responder->gone (self->responder_data);
}

static gboolean
on_client_hangup (gpointer user_data)
{
  CcProxyExchange *self = user_data;
  g_autoptr(CcProxyExchange) hold = g_object_ref (self);

  g_clear_pointer (&self->hangup, g_source_unref);
  tell_gone (self);
  /* Let libsoup try to finish the message, fail, and release it. */
  if (message_is_open (self))
    {
      soup_message_body_complete (soup_server_message_get_response_body (self->message));
      soup_server_message_unpause (self->message);
    }
  return G_SOURCE_REMOVE;
}

/* Only once the request body is in: while it arrives, the socket is
 * readable anyway. */
static void
watch_client (CcProxyExchange *self)
{
  if (self->hangup != NULL || !message_is_open (self))
    return;
  self->hangup = cc_proxy_hangup_watch (self->socket, on_client_hangup, self);
}

static void
on_wrote_headers (SoupServerMessage *message,
                  CcProxyExchange   *self)
{
  set_state (self, CC_PROXY_EXCHANGE_STREAMING);
  /* Answers that did not say so themselves (a provider's own, the
   * core's errors) get their response-headers event now. */
  if (!cc_proxy_exchange_is_over (self))
    cc_proxy_exchange_context_emit_response_headers_once (self->context, soup_server_message_get_status (message),
                                                          soup_server_message_get_response_headers (message));
}

static void
on_wrote_body_data (SoupServerMessage *message,
                    guint              len,
                    CcProxyExchange   *self)
{
  if (self->responder != NULL && self->responder->wrote != NULL)
    self->responder->wrote (len, self->responder_data);
}

static void
on_finished (SoupServerMessage *message,
             CcProxyExchange   *self)
{
  g_autoptr(CcProxyExchange) hold = g_object_ref (self);

  self->finished = TRUE;
  stop_watching_client (self);
  g_signal_handlers_disconnect_by_data (message, self);
  /* Before the body's end was in, the client leaving fails the upload
   * (a no-op once the body was complete). */
  if (self->upload != NULL)
    {
      g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                                                     _("The client closed the connection while sending the request body"));

      cc_proxy_body_stream_fail (self->upload, error);
    }

  /* A relay knows better whether a body was complete (one with a
   * Content-Length finishes with its last byte written, before the
   * relay has read the upstream's end). */
  if (self->responder != NULL && self->responder->finished != NULL)
    {
      self->responder->finished (self->responder_data);
      return;
    }
  if (!self->answer_complete)
    {
      tell_gone (self);
      cc_proxy_exchange_end_error (self, CC_PROXY_EVENT_PROXY_ERROR, soup_server_message_get_status (message),
                                   _("The client closed the connection before the answer was complete"));
      return;
    }
  cc_proxy_exchange_end (self, soup_server_message_get_status (message));
}

/**
 * cc_proxy_exchange_start:
 * @self: an exchange whose request head is in
 *
 * Makes the request's context; from now on the exchange follows the
 * message.
 */
void
cc_proxy_exchange_start (CcProxyExchange  *self,
                         CcProxySnapshot  *snapshot,
                         SoupSession      *session,
                         CcProxyEventSink *sink)
{
  GUri *uri = soup_server_message_get_uri (self->message);

  g_return_if_fail (self->context == NULL);

  g_clear_handle_id (&self->client_timeout_id, g_source_remove);
  self->context = cc_proxy_exchange_context_new (self, g_uri_get_path (uri), g_uri_get_query (uri),
                                                 snapshot, session, sink);
  self->response_headers = soup_message_headers_ref (soup_server_message_get_response_headers (self->message));
  g_signal_connect (self->message, "wrote-headers", G_CALLBACK (on_wrote_headers), self);
  g_signal_connect (self->message, "wrote-body-data", G_CALLBACK (on_wrote_body_data), self);
  g_signal_connect (self->message, "finished", G_CALLBACK (on_finished), self);
}

CcProxyExchangeContext *
cc_proxy_exchange_get_context (CcProxyExchange *self)
{
  return self->context;
}

/**
 * cc_proxy_exchange_get_message:
 *
 * Returns: (transfer none) (nullable): the message, until libsoup lets go
 */
SoupServerMessage *
cc_proxy_exchange_get_message (CcProxyExchange *self)
{
  return self->message;
}

CcProxyExchangeState
cc_proxy_exchange_get_state (CcProxyExchange *self)
{
  return self->state;
}

/**
 * cc_proxy_exchange_route:
 * @self: a started exchange
 * @provider: (nullable): the provider that serves the request, or %NULL
 *   for the default path (the built-in provider's upstream)
 * @refusal: (nullable): why the request is refused instead, for the client
 *
 * Records the one routing decision, made as soon as the request head is
 * in: everything after (holding or streaming the body, dispatching, the
 * answer) reads it from here.
 */
void
cc_proxy_exchange_route (CcProxyExchange *self,
                         CcProxyProvider *provider,
                         const char      *refusal)
{
  g_return_if_fail (self->state == CC_PROXY_EXCHANGE_RECEIVING);

  if (refusal == NULL && provider != NULL)
    self->provider = g_object_ref (provider);
  self->refusal = g_strdup (refusal);
  set_state (self, CC_PROXY_EXCHANGE_ROUTED);
}

/**
 * cc_proxy_exchange_get_provider:
 *
 * Returns: (transfer none) (nullable): the provider the request was
 *   routed to, or %NULL for the default path or a refusal
 */
CcProxyProvider *
cc_proxy_exchange_get_provider (CcProxyExchange *self)
{
  return self->provider;
}

/**
 * cc_proxy_exchange_get_refusal:
 *
 * Returns: (nullable): why the request is refused, when it is
 */
const char *
cc_proxy_exchange_get_refusal (CcProxyExchange *self)
{
  return self->refusal;
}

/* ----- the request body ----- */

static void
refuse_too_large (CcProxyExchange *self)
{
  g_autofree char *text = g_strdup_printf (_("The request body is larger than %" G_GUINT64_FORMAT " MiB; "
                                             "the max-request-size setting raises the limit"),
                                           self->max_body / (1024 * 1024));

  /* libsoup still reads the rest before it answers, but keeps none of
   * it (a declared 500 MB once took 970 MB), and the connection carries
   * no other request. */
  soup_message_body_set_accumulate (soup_server_message_get_request_body (self->message), FALSE);
  soup_message_headers_replace (soup_server_message_get_response_headers (self->message), "Connection", "close");
  cc_proxy_exchange_respond_error (self, CC_PROXY_EVENT_ERROR, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                                   "request_too_large", text);
}

static void
on_got_chunk (SoupServerMessage *message,
              GBytes            *chunk,
              CcProxyExchange   *self)
{
  gsize len = g_bytes_get_size (chunk);

  if (cc_proxy_exchange_is_over (self))
    return;
  self->body_progress = g_get_monotonic_time ();
  self->received += len;
  if (self->received > self->max_body)
    {
      g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                                                     _("The request body is larger than the max-request-size setting"));

      /* What went upstream already is cut off there. */
      if (self->upload != NULL)
        cc_proxy_body_stream_fail (self->upload, error);
      soup_message_body_set_accumulate (soup_server_message_get_request_body (message), FALSE);
      refuse_too_large (self);
      return;
    }
  if (self->upload != NULL)
    {
      cc_proxy_body_stream_push (self->upload, chunk);
      /* Holding what the upstream has not taken would hold the whole
       * body: stop reading from the client until it has. */
      if (cc_proxy_body_stream_get_queued (self->upload) > UPLOAD_HIGH_WATER && !self->upload_paused)
        {
          self->upload_paused = TRUE;
          soup_server_message_pause (message);
        }
    }
  if (self->prefix != NULL && self->prefix->len < self->keep)
    g_byte_array_append (self->prefix, g_bytes_get_data (chunk, NULL), MIN (len, self->keep - self->prefix->len));
}

static void
on_got_body (SoupServerMessage *message,
             CcProxyExchange   *self)
{
  g_autoptr(CcProxyExchange) hold = g_object_ref (self);

  self->request_complete = TRUE;
  g_clear_handle_id (&self->client_timeout_id, g_source_remove);
  if (self->upload == NULL || cc_proxy_exchange_is_over (self))
    return;
  cc_proxy_body_stream_end (self->upload);
  /* Only the first bytes were kept: enough for the model and the
   * capture log's prefix. */
  if (self->prefix != NULL)
    {
      g_autoptr(GBytes) prefix = g_bytes_new (self->prefix->data, self->prefix->len);

      cc_proxy_exchange_context_set_body (self->context, prefix, NULL);
    }
  cc_proxy_exchange_context_emit_request (self->context);
  watch_client (self);
  if (self->responder != NULL && self->responder->request_complete != NULL)
    self->responder->request_complete (self->responder_data);
}

/**
 * cc_proxy_exchange_limit_body:
 * @self: a started exchange
 * @max_size: the largest request body taken, in bytes
 *
 * A declared length over @max_size is refused now, before the body is
 * read; a chunked or large body is counted as it arrives.
 *
 * Returns: %FALSE when the request was refused
 */
gboolean
cc_proxy_exchange_limit_body (CcProxyExchange *self,
                              guint64          max_size)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (self->message);
  SoupEncoding encoding = soup_message_headers_get_encoding (headers);

  self->max_body = max_size;
  if (encoding == SOUP_ENCODING_CONTENT_LENGTH &&
      (guint64) soup_message_headers_get_content_length (headers) > max_size)
    {
      cc_proxy_exchange_context_emit_request (self->context);
      refuse_too_large (self);
      return FALSE;
    }
  g_signal_connect (self->message, "got-chunk", G_CALLBACK (on_got_chunk), self);
  if (encoding != SOUP_ENCODING_NONE &&
      !(encoding == SOUP_ENCODING_CONTENT_LENGTH && soup_message_headers_get_content_length (headers) == 0))
    {
      self->body_progress = g_get_monotonic_time ();
      self->client_timeout_id = g_timeout_add_seconds (self->client_timeout, on_body_timeout, self);
    }
  return TRUE;
}

static gboolean
on_upload_drained (gpointer user_data)
{
  CcProxyExchange *self = user_data;

  if (self->upload_paused && message_is_open (self))
    {
      self->upload_paused = FALSE;
      soup_server_message_unpause (self->message);
    }
  return G_SOURCE_CONTINUE;
}

/**
 * cc_proxy_exchange_stream_body:
 * @self: an exchange whose body is limited (cc_proxy_exchange_limit_body())
 * @keep: how many of its first bytes to keep for listeners
 *
 * The request body is forwarded as it arrives instead of being held.
 * Once it is in, the request is reported and the responder told.
 *
 * Returns: (transfer none): the body as a stream
 */
GInputStream *
cc_proxy_exchange_stream_body (CcProxyExchange *self,
                               gsize            keep)
{
  g_return_val_if_fail (self->upload == NULL, NULL);

  self->upload = cc_proxy_body_stream_new ();
  cc_proxy_body_stream_set_drained_func (self->upload, on_upload_drained, self);
  self->keep = keep;
  if (keep > 0)
    self->prefix = g_byte_array_new ();
  soup_message_body_set_accumulate (soup_server_message_get_request_body (self->message), FALSE);
  g_signal_connect (self->message, "got-body", G_CALLBACK (on_got_body), self);
  set_state (self, CC_PROXY_EXCHANGE_DISPATCHED);
  return G_INPUT_STREAM (self->upload);
}

/* Whether the request body goes upstream while it arrives. */
gboolean
cc_proxy_exchange_is_streaming_body (CcProxyExchange *self)
{
  return self->upload != NULL;
}

/* Whether the request body is all in. */
gboolean
cc_proxy_exchange_request_is_complete (CcProxyExchange *self)
{
  return self->request_complete;
}

/**
 * cc_proxy_exchange_dispatch:
 *
 * The request is whole and goes to a provider or the upstream: the
 * answer is held until they give it, and the client is watched.
 */
void
cc_proxy_exchange_dispatch (CcProxyExchange *self)
{
  self->request_complete = TRUE;
  g_clear_handle_id (&self->client_timeout_id, g_source_remove);
  set_state (self, CC_PROXY_EXCHANGE_DISPATCHED);
  soup_server_message_pause (self->message);
  watch_client (self);
}

/* ----- who answers ----- */

void
cc_proxy_exchange_set_responder (CcProxyExchange        *self,
                                 const CcProxyResponder *responder,
                                 gpointer                data)
{
  self->responder = responder;
  self->responder_data = data;
}

/* Only the responder that is current lets go. */
void
cc_proxy_exchange_clear_responder (CcProxyExchange *self,
                                   gpointer         data)
{
  if (self->responder_data != data)
    return;
  self->responder = NULL;
  self->responder_data = NULL;
}

/**
 * cc_proxy_exchange_set_fallback:
 * @func: (nullable): told of each answer before it starts
 * @data: for @func, freed with @destroy when replaced or with the exchange
 *
 * Lets a failed try be replaced by another before the client sees it.
 */
void
cc_proxy_exchange_set_fallback (CcProxyExchange     *self,
                                CcProxyFallbackFunc  func,
                                gpointer             data,
                                GDestroyNotify       destroy)
{
  if (self->fallback_destroy != NULL && self->fallback_data != NULL)
    self->fallback_destroy (self->fallback_data);
  self->fallback = func;
  self->fallback_data = data;
  self->fallback_destroy = destroy;
}

/* What was given to cc_proxy_exchange_set_fallback(). */
gpointer
cc_proxy_exchange_get_fallback_data (CcProxyExchange *self)
{
  return self->fallback_data;
}

/**
 * cc_proxy_exchange_fall_back:
 * @self: an exchange
 * @status: the status the answer would start with
 * @headers: (nullable): its headers
 * @message: (nullable): why, when the proxy makes the answer
 *
 * Called by whoever is about to start the answer, before the status is
 * set. When the fallback function takes the answer over, the request
 * gets a fresh context for the next try; the try's own context is
 * detached, so that whatever it still does goes nowhere.
 *
 * Returns: %TRUE when the caller must drop its answer
 */
gboolean
cc_proxy_exchange_fall_back (CcProxyExchange    *self,
                             guint               status,
                             SoupMessageHeaders *headers,
                             const char         *message)
{
  CcProxyExchangeContext *next;

  if (self->fallback == NULL || self->state != CC_PROXY_EXCHANGE_DISPATCHED || !message_is_open (self) ||
      soup_server_message_get_status (self->message) != SOUP_STATUS_NONE)
    return FALSE;
  if (!self->fallback (self, status, headers, message, self->fallback_data))
    return FALSE;

  next = cc_proxy_exchange_context_new_try (self->context);
  cc_proxy_exchange_context_detach (self->context);
  g_object_unref (self->context);
  self->context = next;
  soup_message_headers_clear (self->response_headers);
  self->responder = NULL;
  self->responder_data = NULL;
  return TRUE;
}

/* ----- the answer ----- */

/**
 * cc_proxy_exchange_has_response_started:
 *
 * Returns: whether a status was set (or the client went away): from then
 *   on the one who started answering owns the answer
 */
gboolean
cc_proxy_exchange_has_response_started (CcProxyExchange *self)
{
  return !message_is_open (self) ||
         soup_server_message_get_status (self->message) != SOUP_STATUS_NONE;
}

guint
cc_proxy_exchange_get_status (CcProxyExchange *self)
{
  return self->message != NULL ? soup_server_message_get_status (self->message) : SOUP_STATUS_NONE;
}

void
cc_proxy_exchange_set_status (CcProxyExchange *self,
                              guint            status,
                              const char      *reason)
{
  if (!message_is_open (self))
    return;
  soup_server_message_set_status (self->message, status, status_phrase (status, reason));
}

/**
 * cc_proxy_exchange_get_response_headers:
 *
 * Returns: (transfer none): the answer's headers, still there (unsent)
 *   once the message is gone, so that callers need not check
 */
SoupMessageHeaders *
cc_proxy_exchange_get_response_headers (CcProxyExchange *self)
{
  return self->response_headers;
}

void
cc_proxy_exchange_respond (CcProxyExchange *self,
                           guint            status,
                           const char      *content_type,
                           GBytes          *body)
{
  SoupMessageHeaders *headers;
  gsize len = body != NULL ? g_bytes_get_size (body) : 0;

  if (!message_is_open (self) || cc_proxy_exchange_fall_back (self, status, NULL, NULL))
    return;
  headers = soup_server_message_get_response_headers (self->message);
  soup_server_message_set_status (self->message, status, status_phrase (status, NULL));
  if (content_type != NULL)
    soup_message_headers_set_content_type (headers, content_type, NULL);
  soup_message_headers_set_content_length (headers, len);
  cc_proxy_exchange_context_observe_response (self->context, headers, FALSE);
  if (len > 0)
    {
      soup_message_body_append_bytes (soup_server_message_get_response_body (self->message), body);
      cc_proxy_exchange_context_observe_response_bytes (self->context, g_bytes_get_data (body, NULL), len);
    }
  cc_proxy_exchange_end_body (self);
}

/**
 * cc_proxy_exchange_begin_body:
 * @self: an exchange whose status and headers are set
 * @parse_events: whether listeners should get an SSE body's events
 *   from its bytes (not when the one writing reports them itself)
 *
 * The body follows in pieces, with cc_proxy_exchange_write().
 */
void
cc_proxy_exchange_begin_body (CcProxyExchange *self,
                              gboolean         parse_events)
{
  if (!message_is_open (self))
    return;
  soup_message_body_set_accumulate (soup_server_message_get_response_body (self->message), FALSE);
  cc_proxy_exchange_context_observe_response (self->context, soup_server_message_get_response_headers (self->message),
                                              parse_events);
  soup_server_message_unpause (self->message);
}

void
cc_proxy_exchange_write (CcProxyExchange *self,
                         const char      *data,
                         gsize            len)
{
  if (len == 0)
    return;
  if (message_is_open (self))
    {
      soup_message_body_append (soup_server_message_get_response_body (self->message), SOUP_MEMORY_COPY, data, len);
      soup_server_message_unpause (self->message);
    }
  cc_proxy_exchange_context_observe_response_bytes (self->context, data, len);
}

void
cc_proxy_exchange_end_body (CcProxyExchange *self)
{
  self->answer_complete = TRUE;
  if (!message_is_open (self))
    return;
  soup_message_body_complete (soup_server_message_get_response_body (self->message));
  soup_server_message_unpause (self->message);
}

/**
 * cc_proxy_exchange_respond_error:
 * @self: an exchange
 * @event_kind: %CC_PROXY_EVENT_ERROR, or %CC_PROXY_EVENT_PROXY_ERROR
 *   for a transport failure (upstream down, provider failed or late)
 * @status: HTTP status
 * @kind: the Anthropic error type
 * @message: text for a person; secret values are removed from it
 *
 * Answers with an Anthropic-shaped error, the request's last word. When
 * the status line had already been sent, a stream gets an SSE `error`
 * event and ends; any other answer is cut off by closing the
 * connection, so that it cannot pass for complete. The first answer
 * wins: a request refused (413, say) while its body was going upstream
 * does not become the 502 of the upstream send it cut short.
 */
void
cc_proxy_exchange_respond_error (CcProxyExchange  *self,
                                 CcProxyEventKind  event_kind,
                                 guint             status,
                                 const char       *kind,
                                 const char       *message)
{
  g_autoptr(CcProxyExchange) hold = g_object_ref (self);
  g_autofree char *clean = NULL;
  g_autofree char *body = NULL;
  SoupMessageHeaders *headers;

  if (cc_proxy_exchange_is_over (self))
    return;
  clean = cc_proxy_exchange_context_redact (self->context, message);
  body = cc_proxy_error_body_new (kind, clean);

  if (!message_is_open (self))
    {
      cc_proxy_exchange_end_error (self, event_kind, status, clean);
      return;
    }

  headers = soup_server_message_get_response_headers (self->message);
  /* Until the status line is on the wire, an error can still replace
   * whatever had been prepared, or another try answer instead. */
  if (self->state != CC_PROXY_EXCHANGE_STREAMING)
    {
      if (cc_proxy_exchange_fall_back (self, status, NULL, clean))
        return;
      soup_server_message_set_status (self->message, status, status_phrase (status, NULL));
      soup_message_headers_set_encoding (headers, SOUP_ENCODING_CONTENT_LENGTH);
      soup_server_message_set_response (self->message, "application/json", SOUP_MEMORY_COPY, body, strlen (body));
      cc_proxy_exchange_context_emit_response_headers_once (self->context, status, headers);
      self->answer_complete = TRUE;
      cc_proxy_exchange_end_error (self, event_kind, status, clean);
      soup_server_message_unpause (self->message);
      return;
    }

  /* The event tells the status the client got. */
  cc_proxy_exchange_end_error (self, event_kind, soup_server_message_get_status (self->message), clean);
  if (cc_proxy_headers_is_event_stream (headers))
    {
      g_autofree char *event = g_strdup_printf ("event: error\ndata: %s\n\n", body);

      soup_message_body_append (soup_server_message_get_response_body (self->message),
                                SOUP_MEMORY_COPY, event, strlen (event));
      cc_proxy_exchange_end_body (self);
    }
  else
    {
      /* Any other body cut short must not look complete. Stealing the
       * connection would not do: libsoup first writes the end of the
       * chunked body. Shutting the socket down leaves the client a body
       * without its end; unpausing lets libsoup notice and let go. */
      if (self->socket != NULL)
        g_socket_shutdown (self->socket, TRUE, TRUE, NULL);
      soup_server_message_unpause (self->message);
    }
}

/* ----- the last word ----- */

/**
 * cc_proxy_exchange_end:
 * @self: an exchange
 * @status: the status the client got
 *
 * The request was answered in full: its terminal event. Only the first
 * end, of either kind, counts.
 */
void
cc_proxy_exchange_end (CcProxyExchange *self,
                       guint            status)
{
  if (cc_proxy_exchange_is_over (self))
    return;
  set_state (self, status >= 400 ? CC_PROXY_EXCHANGE_FAILED : CC_PROXY_EXCHANGE_DONE);
  cc_proxy_exchange_context_report_done (self->context, status);
}

void
cc_proxy_exchange_end_error (CcProxyExchange  *self,
                             CcProxyEventKind  kind,
                             guint             status,
                             const char       *message)
{
  if (cc_proxy_exchange_is_over (self))
    return;
  set_state (self, CC_PROXY_EXCHANGE_FAILED);
  cc_proxy_exchange_context_report_error (self->context, kind, status, message);
}
