/* cc-proxy-relay.c: the default path: forward, then relay chunk by chunk
 *
 * The upstream body is read one chunk at a time and appended to the
 * (paused, non-accumulating) server message as it arrives, so an SSE
 * event reaches the client before the next one exists. Reading stops
 * while more than HIGH_WATER bytes wait to be written to a slow client.
 *
 * The relay is the request's responder while it works: its exchange
 * tells it when bytes went out (backpressure), when the client left
 * (which cancels the upstream request) and when the message finished.
 * Reading the upstream body to its end returns the connection to the
 * session's pool for the next request.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "cc-proxy-relay"

#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <string.h>
#include <sys/socket.h>

#include "cc-proxy-request-context-private.h"

#include "cc-proxy-event.h"
#include "cc-proxy-exchange.h"
#include "cc-proxy-exchange-context.h"
#include "cc-proxy-relay.h"

/* One buffer per relay, reused for every read: a fresh large buffer per
 * read made glibc grow and trim its heap on every request. */
#define CHUNK_SIZE  (16 * 1024)
#define HIGH_WATER  (256 * 1024)

typedef struct
{
  CcProxyExchangeContext *context;
  CcProxyExchange       *exchange;
  GTask                 *task;            /* not a reference: the task owns us */
  SoupMessage           *upstream;
  SoupSession           *session;         /* what sent it, when the relay did */
  GInputStream          *body;
  GCancellable          *cancellable;
  gsize                  unwritten;       /* appended, not yet written */
  goffset                expected;        /* Content-Length, or -1 */
  goffset                appended;
  gboolean               server_done;     /* the server message finished */
  GTask                 *waiting;         /* held while paused on a slow client */
  GTask                 *deferred;        /* held while the client still uploads */
  gboolean               uploading;       /* the request body is still arriving */
  GError                *send_error;
  char                  *buffer;          /* CHUNK_SIZE bytes */
  gboolean               client_gone;
  gboolean               drop_upstream;   /* stop reading it before its end */
  guint                  status;
  CcProxyRelayFilter     filter;          /* a provider's translation */
  gpointer               filter_data;
  GDestroyNotify         filter_data_destroy;
  GSource               *idle;            /* upstream silence, with a filter */
  CcProxyRelayOutput    *output;          /* with a filter */
} Relay;

/* With a filter, a silent upstream is reported this often, so that the
 * filter can keep the client's stream alive. */
#define IDLE_SECONDS 15

static void
relay_free (gpointer data)
{
  Relay *relay = data;

  cc_proxy_exchange_clear_responder (relay->exchange, relay);
  g_assert (relay->waiting == NULL);
  g_assert (relay->deferred == NULL);
  g_clear_error (&relay->send_error);
  g_clear_object (&relay->context);
  g_clear_object (&relay->exchange);
  g_clear_object (&relay->upstream);
  g_clear_object (&relay->session);
  g_clear_object (&relay->body);
  g_clear_object (&relay->cancellable);
  if (relay->idle != NULL)
    g_source_destroy (relay->idle);
  g_clear_pointer (&relay->idle, g_source_unref);
  if (relay->filter_data_destroy != NULL)
    relay->filter_data_destroy (relay->filter_data);
  if (relay->output != NULL)
    {
      g_string_free (relay->output->text, TRUE);
      g_free (relay->output);
    }
  g_free (relay->buffer);
  g_free (relay);
}

static const char * const hop_by_hop[] = {
  "connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
  "host", "content-length", "expect",
  NULL
};

/* Whether the header describes one connection, not the message (RFC 9110
 * §7.6.1; Host and Content-Length are recomputed). Expect is answered
 * here: libsoup sent the client its 100 Continue, and an upstream asked
 * again would wait for a body that comes anyway. */
static gboolean
is_hop_by_hop (const char *name)
{
  g_autofree char *lower = g_ascii_strdown (name, -1);

  return g_strv_contains (hop_by_hop, lower) || g_str_has_prefix (lower, "proxy-");
}

/* Copies end-to-end headers, leaving out hop-by-hop ones and any that
 * the Connection header names. */
static void
copy_headers (SoupMessageHeaders *from,
              SoupMessageHeaders *to)
{
  const char *connection = soup_message_headers_get_list (from, "Connection");
  SoupMessageHeadersIter iter;
  const char *name, *value;

  soup_message_headers_iter_init (&iter, from);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    {
      if (is_hop_by_hop (name))
        continue;
      if (connection != NULL && soup_header_contains (connection, name))
        continue;
      soup_message_headers_append (to, name, value);
    }
}


static void read_next (GTask *task);

static void
on_closed (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_input_stream_close_finish (G_INPUT_STREAM (source), result, NULL);
}

static void
finish_relay (GTask *task)
{
  Relay *relay = g_task_get_task_data (task);

  cc_proxy_exchange_clear_responder (relay->exchange, relay);
  if (relay->idle != NULL)
    g_source_destroy (relay->idle);
  /* Closing a body that was not read to its end drops the upstream
   * connection: that is what stops the upstream request. */
  if ((relay->client_gone || relay->drop_upstream) && relay->body != NULL)
    g_input_stream_close_async (relay->body, G_PRIORITY_DEFAULT, NULL, on_closed, NULL);
  g_task_return_boolean (task, TRUE);
}

/* The client went away: stop the upstream request. A pending send or
 * read sees the cancellation; a relay paused on backpressure has
 * neither, so it ends here. */
static void
client_gone (GTask *task)
{
  Relay *relay = g_task_get_task_data (task);
  g_autoptr(GTask) waiting = g_steal_pointer (&relay->waiting);

  if (waiting == NULL)
    waiting = g_steal_pointer (&relay->deferred);
  if (relay->client_gone)
    return;
  relay->client_gone = TRUE;
  g_cancellable_cancel (relay->cancellable);
  if (waiting != NULL)
    {
      cc_proxy_exchange_end_error (relay->exchange, CC_PROXY_EVENT_PROXY_ERROR, relay->status,
                                   _("The client closed the connection mid-response"));
      finish_relay (waiting);
    }
}

static void
on_gone (gpointer data)
{
  Relay *relay = data;

  client_gone (relay->task);
}

static void
on_client_finished (gpointer data)
{
  Relay *relay = data;

  relay->server_done = TRUE;

  /* With a Content-Length body the message finishes once the last byte
   * is written; the upstream stream still has to be read to its end so
   * that its connection can be reused. */
  if (relay->body != NULL && relay->expected >= 0 && relay->appended >= relay->expected)
    return;

  /* Finished before we completed the body: the client went away. */
  client_gone (relay->task);
}

static void
on_wrote (gsize    len,
          gpointer data)
{
  Relay *relay = data;

  relay->unwritten -= MIN (relay->unwritten, len);
  if (relay->waiting != NULL && relay->unwritten < HIGH_WATER / 2)
    {
      g_autoptr(GTask) waiting = g_steal_pointer (&relay->waiting);

      read_next (waiting);
    }
}

static void respond (GTask *task);

/* The upstream answered (or failed) while the client still uploaded:
 * now its last byte is in. */
static void
on_request_complete (gpointer data)
{
  Relay *relay = data;
  g_autoptr(GTask) deferred = g_steal_pointer (&relay->deferred);

  relay->uploading = FALSE;
  if (deferred != NULL)
    respond (deferred);
}

static const CcProxyResponder relay_responder = {
  .gone = on_gone,
  .wrote = on_wrote,
  .finished = on_client_finished,
  .request_complete = on_request_complete,
};

/* Bytes for the client: written, and watched for events. */
static void
send_to_client (Relay      *relay,
                const char *data,
                gsize       len)
{
  if (len == 0)
    return;
  if (!relay->server_done)
    relay->unwritten += len;
  cc_proxy_exchange_write (relay->exchange, data, len);
}

/* Runs the provider's filter and sends what it made. */
static void
run_filter (Relay             *relay,
            CcProxyRelayStage  stage,
            const char        *data,
            gsize              len)
{
  g_string_truncate (relay->output->text, 0);
  relay->filter (stage, data, len, relay->output, relay->filter_data);
  send_to_client (relay, relay->output->text->str, relay->output->text->len);
}

static gboolean
on_upstream_idle (gpointer user_data)
{
  Relay *relay = g_task_get_task_data (user_data);

  run_filter (relay, CC_PROXY_RELAY_IDLE, NULL, 0);
  return G_SOURCE_CONTINUE;
}

/* libsoup 3.2 takes a connection closed where a chunk size should be
 * for the end of a chunked body (the zero-size chunk is): an upstream, or
 * a provider host, that dies between two chunks would pass for one that
 * finished. The connection tells them apart: a finished answer leaves it
 * open for the next request. Connections are known from the session's
 * "network-event" signals, by id. */
#define CONNECTIONS_KEY "cc-proxy-relay-connections"

static void
on_network_event (SoupMessage        *message,
                  GSocketClientEvent  event,
                  GIOStream          *connection,
                  gpointer            user_data)
{
  SoupSession *session = user_data;
  GHashTable *connections;
  GHashTableIter iter;
  gpointer stream;
  guint64 id = soup_message_get_connection_id (message);

  if (event != G_SOCKET_CLIENT_COMPLETE || id == 0)
    return;
  connections = g_object_get_data (G_OBJECT (session), CONNECTIONS_KEY);
  /* Forget the ones libsoup has closed since. */
  g_hash_table_iter_init (&iter, connections);
  while (g_hash_table_iter_next (&iter, NULL, &stream))
    if (g_io_stream_is_closed (stream))
      g_hash_table_iter_remove (&iter);
  g_hash_table_insert (connections, g_memdup2 (&id, sizeof id), g_object_ref (connection));
}

static void
on_request_queued (SoupSession *session,
                   SoupMessage *message,
                   gpointer     user_data)
{
  g_signal_connect (message, "network-event", G_CALLBACK (on_network_event), session);
}

/**
 * cc_proxy_relay_track_connections:
 * @session: a session relays will use
 *
 * Keeps every connection @session opens from now on, not only the
 * relay's own: a relayed request may go on a pooled connection that a
 * provider's own request opened (which once hid a cut between chunks).
 * Call it where the session is made, before its first request.
 */
void
cc_proxy_relay_track_connections (SoupSession *session)
{
  GHashTable *connections;

  if (g_object_get_data (G_OBJECT (session), CONNECTIONS_KEY) != NULL)
    return;
  connections = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_object_unref);
  g_object_set_data_full (G_OBJECT (session), CONNECTIONS_KEY, connections, (GDestroyNotify) g_hash_table_unref);
  g_signal_connect (session, "request-queued", G_CALLBACK (on_request_queued), NULL);
}

static gboolean
cut_between_chunks (Relay *relay)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (relay->upstream);
  GHashTable *connections;
  GIOStream *stream;
  g_autoptr(GIOStream) base = NULL;
  guint64 id;
  char byte;
  gssize n;

  if (relay->session == NULL || soup_message_headers_get_encoding (headers) != SOUP_ENCODING_CHUNKED ||
      soup_message_headers_header_contains (headers, "Connection", "close"))
    return FALSE;
  connections = g_object_get_data (G_OBJECT (relay->session), CONNECTIONS_KEY);
  id = soup_message_get_connection_id (relay->upstream);
  stream = connections != NULL ? g_hash_table_lookup (connections, &id) : NULL;
  if (stream == NULL)
    return FALSE;
  if (g_io_stream_is_closed (stream))
    return TRUE;
  /* Over TLS the end came as a close_notify alert, which the TLS layer
   * has read, while the TCP close may still be on its way: ask the TLS
   * layer. An idle HTTP/1.1 connection has nothing to read; a byte
   * read here was never the answer's (the server broke the protocol). */
  if (G_IS_TLS_CONNECTION (stream))
    {
      GInputStream *input = g_io_stream_get_input_stream (stream);
      g_autoptr(GError) error = NULL;

      if (!G_IS_POLLABLE_INPUT_STREAM (input))
        return FALSE;
      n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (input), &byte, 1, NULL, &error);
      return n >= 0 || !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
    }
  base = g_object_ref (stream);
  if (!G_IS_SOCKET_CONNECTION (base))
    return FALSE;

  n = recv (g_socket_get_fd (g_socket_connection_get_socket (G_SOCKET_CONNECTION (base))), &byte, 1,
            MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

static void
complete_body (GTask *task)
{
  Relay *relay = g_task_get_task_data (task);

  if (relay->filter != NULL)
    run_filter (relay, CC_PROXY_RELAY_END, NULL, 0);
  cc_proxy_exchange_end_body (relay->exchange);
  cc_proxy_exchange_end (relay->exchange, relay->status);

  g_input_stream_close_async (relay->body, G_PRIORITY_DEFAULT, NULL, on_closed, NULL);
  finish_relay (task);
}

/* The upstream failed after its answer began: the same end as for a
 * provider that fails mid-answer. */
static void
fail_mid_body (GTask        *task,
               const GError *error)
{
  Relay *relay = g_task_get_task_data (task);
  g_autofree char *message = g_strdup_printf (_("The upstream connection failed mid-response: %s"), error->message);

  /* A filter ends its own stream (an SSE error event, say); the event
   * log still says the upstream failed. */
  if (relay->filter != NULL)
    {
      run_filter (relay, CC_PROXY_RELAY_FAILED, message, strlen (message));
      cc_proxy_exchange_end_error (relay->exchange, CC_PROXY_EVENT_PROXY_ERROR, relay->status, message);
      cc_proxy_exchange_end_body (relay->exchange);
      finish_relay (task);
      return;
    }
  cc_proxy_exchange_respond_error (relay->exchange, CC_PROXY_EVENT_PROXY_ERROR, SOUP_STATUS_BAD_GATEWAY, "api_error", message);
  finish_relay (task);
}

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Relay *relay = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);

  if (relay->client_gone)
    {
      cc_proxy_exchange_end_error (relay->exchange, CC_PROXY_EVENT_PROXY_ERROR, relay->status,
                                   _("The client closed the connection mid-response"));
      finish_relay (task);
      return;
    }
  if (n < 0)
    {
      fail_mid_body (task, error);
      return;
    }

  if (n == 0)
    {
      if (cut_between_chunks (relay))
        {
          g_autoptr(GError) cut = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT,
                                                       _("Connection terminated unexpectedly"));

          fail_mid_body (task, cut);
          return;
        }
      complete_body (task);
      return;
    }

  relay->appended += n;
  if (relay->filter != NULL)
    {
      run_filter (relay, CC_PROXY_RELAY_DATA, relay->buffer, n);
      if (relay->output->ended)
        {
          relay->drop_upstream = TRUE;
          cc_proxy_exchange_end_body (relay->exchange);
          cc_proxy_exchange_end (relay->exchange, relay->status);
          finish_relay (task);
          return;
        }
      if (relay->idle != NULL)
        g_source_set_ready_time (relay->idle, g_get_monotonic_time () + IDLE_SECONDS * G_USEC_PER_SEC);
    }
  else
    send_to_client (relay, relay->buffer, n);

  if (relay->unwritten >= HIGH_WATER)
    relay->waiting = g_object_ref (task);
  else
    read_next (task);
}

static void
read_next (GTask *task)
{
  Relay *relay = g_task_get_task_data (task);

  if (relay->buffer == NULL)
    relay->buffer = g_malloc (CHUNK_SIZE);
  g_input_stream_read_async (relay->body, relay->buffer, CHUNK_SIZE, G_PRIORITY_DEFAULT,
                             relay->cancellable, on_read, g_object_ref (task));
}

/* The upstream answered (or failed) and the client's body is all in:
 * the server message can take a response now. */
static void
respond (GTask *task)
{
  Relay *relay = g_task_get_task_data (task);
  GError *error = relay->send_error;
  SoupMessageHeaders *upstream_headers;
  SoupMessageHeaders *response_headers;

  /* Another try answers for this one (a route's fallback, after the
   * deadline): what this one got goes nowhere. */
  if (cc_proxy_exchange_context_get_exchange (relay->context) == NULL)
    {
      relay->drop_upstream = TRUE;
      finish_relay (task);
      return;
    }
  if (relay->body == NULL)
    {
      g_autofree char *message = NULL;

      if (relay->client_gone)
        {
          cc_proxy_exchange_end_error (relay->exchange, CC_PROXY_EVENT_PROXY_ERROR, 0,
                                       _("The client closed the connection before the upstream answered"));
          finish_relay (task);
          return;
        }

      message = g_strdup_printf (_("Could not reach the upstream %s: %s"),
                                 g_uri_get_host (soup_message_get_uri (relay->upstream)), error->message);
      cc_proxy_exchange_respond_error (relay->exchange, CC_PROXY_EVENT_PROXY_ERROR, SOUP_STATUS_BAD_GATEWAY, "api_error", message);
      finish_relay (task);
      return;
    }

  response_headers = cc_proxy_exchange_get_response_headers (relay->exchange);
  relay->expected = -1;
  if (relay->filter != NULL)
    {
      /* The provider set the status and headers of what it makes. */
      relay->status = cc_proxy_exchange_get_status (relay->exchange);
      upstream_headers = response_headers;
      soup_message_headers_set_encoding (response_headers, SOUP_ENCODING_CHUNKED);
      relay->output = g_new0 (CcProxyRelayOutput, 1);
      relay->output->text = g_string_new (NULL);
      relay->output->context = CC_PROXY_REQUEST_CONTEXT (relay->context);
      relay->idle = g_timeout_source_new_seconds (IDLE_SECONDS);
      g_source_set_callback (relay->idle, on_upstream_idle, task, NULL);
      g_source_attach (relay->idle, g_main_context_get_thread_default ());
    }
  else
    {
      relay->status = soup_message_get_status (relay->upstream);
      upstream_headers = soup_message_get_response_headers (relay->upstream);
      /* A failed try that a route's next target answers instead. */
      if (cc_proxy_exchange_fall_back (relay->exchange, relay->status, upstream_headers, NULL))
        {
          relay->drop_upstream = TRUE;
          finish_relay (task);
          return;
        }
      cc_proxy_exchange_set_status (relay->exchange, relay->status, soup_message_get_reason_phrase (relay->upstream));
      /* The server put its own Date in; the upstream's is the one to keep. */
      if (soup_message_headers_get_one (upstream_headers, "Date") != NULL)
        soup_message_headers_remove (response_headers, "Date");
      copy_headers (upstream_headers, response_headers);
      if (soup_message_headers_get_encoding (upstream_headers) == SOUP_ENCODING_CONTENT_LENGTH)
        {
          relay->expected = soup_message_headers_get_content_length (upstream_headers);
          soup_message_headers_set_content_length (response_headers, relay->expected);
        }
      else
        soup_message_headers_set_encoding (response_headers, SOUP_ENCODING_CHUNKED);
    }

  cc_proxy_exchange_context_emit_response_headers (relay->context, relay->status, upstream_headers);
  /* A filter reports its events as it hands them over: only a relayed
   * stream is parsed for them. */
  cc_proxy_exchange_begin_body (relay->exchange, relay->filter == NULL);
  read_next (task);
}

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Relay *relay = g_task_get_task_data (task);

  relay->body = soup_session_send_finish (SOUP_SESSION (source), result, &relay->send_error);

  /* libsoup answers a message only once its request body is read: an
   * upstream that answered early waits for the client's last byte. */
  if (relay->uploading && !relay->client_gone)
    relay->deferred = g_steal_pointer (&task);
  else
    respond (task);
}

/* The relay becomes the request's responder: the exchange tells it
 * about the client from now on, and it ends the request. */
static Relay *
relay_new (GTask                 *task,
           CcProxyExchangeContext *context,
           GCancellable          *cancellable)
{
  Relay *relay = g_new0 (Relay, 1);

  relay->task = task;
  relay->context = g_object_ref (context);
  relay->exchange = g_object_ref (cc_proxy_exchange_context_get_exchange (context));
  relay->cancellable = cancellable ? g_object_ref (cancellable) : g_cancellable_new ();
  g_task_set_task_data (task, relay, relay_free);
  cc_proxy_exchange_set_responder (relay->exchange, &relay_responder, relay);
  return relay;
}

/**
 * cc_proxy_relay_forward_async:
 * @context: the request
 * @session: (nullable): the session to send it with; %NULL for the
 *   context's (a provider host is reached through a session of its own)
 * @base_url: where to send it; path and query are appended
 * @cancellable: (nullable): cancels the upstream request
 * @callback: called when the answer is complete (or given up)
 * @user_data: closure
 *
 * Forwards the request with its method, body and end-to-end headers and
 * relays status, headers and body back as they arrive. Failures reaching
 * the upstream become an Anthropic-shaped 502; the task itself succeeds
 * once the client got its answer.
 */
void
cc_proxy_relay_forward_async (CcProxyExchangeContext *context,
                              SoupSession            *session,
                              const char             *base_url,
                              GCancellable           *cancellable,
                              GAsyncReadyCallback     callback,
                              gpointer                user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  CcProxyRequestContext *request = CC_PROXY_REQUEST_CONTEXT (context);
  const char *query = cc_proxy_request_context_get_query (request);
  g_autofree char *target = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) error = NULL;
  GBytes *body = cc_proxy_request_context_get_body (request);
  GInputStream *body_stream;
  goffset body_length;
  Relay *relay;

  g_task_set_source_tag (task, cc_proxy_relay_forward_async);

  target = g_strconcat (base_url, cc_proxy_request_context_get_path (request),
                        query ? "?" : "", query ? query : "", NULL);
  uri = g_uri_parse (target, SOUP_HTTP_URI_FLAGS, &error);
  if (uri == NULL || g_uri_get_host (uri) == NULL ||
      !(g_str_equal (g_uri_get_scheme (uri), "http") || g_str_equal (g_uri_get_scheme (uri), "https")))
    {
      g_autofree char *message = g_strdup_printf (_("The upstream URL “%s” is not a valid http(s) URL"), base_url);

      cc_proxy_request_context_respond_error (request, SOUP_STATUS_INTERNAL_SERVER_ERROR, "api_error", message);
      g_task_return_boolean (task, TRUE);
      return;
    }

  relay = relay_new (task, context, cancellable);
  relay->upstream = soup_message_new_from_uri (cc_proxy_request_context_get_method (request), uri);

  copy_headers (cc_proxy_request_context_get_request_headers (request),
                soup_message_get_request_headers (relay->upstream));
  body_stream = cc_proxy_exchange_context_get_body_stream (context, &body_length);
  if (body_stream != NULL)
    {
      soup_message_set_request_body (relay->upstream, NULL, body_stream, body_length);
      /* An upstream that answers early waits for the client's last byte:
       * libsoup answers a message only once its body is read. */
      relay->uploading = !cc_proxy_exchange_request_is_complete (relay->exchange);
    }
  else
    {
      if (body != NULL && g_bytes_get_size (body) > 0)
        soup_message_set_request_body_from_bytes (relay->upstream, NULL, body);
      /* The resend policy: libsoup puts a POST on an idle pooled
       * connection only when told it may send it again, and it sends it
       * again only when that connection turns out closed before any
       * byte of the answer came. A body held whole can be replayed; one
       * streamed from the client cannot, so it gets a new connection. */
      soup_message_add_flags (relay->upstream, SOUP_MESSAGE_IDEMPOTENT);
    }

  relay->session = g_object_ref (session != NULL ? session : cc_proxy_request_context_get_session (request));
  cc_proxy_relay_track_connections (relay->session);
  soup_session_send_async (relay->session, relay->upstream, G_PRIORITY_DEFAULT, relay->cancellable, on_sent,
                           g_object_ref (task));
}

gboolean
cc_proxy_relay_forward_finish (GAsyncResult  *result,
                               GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* The relay a provider asks for (cc_proxy_request_context_relay_async()):
 * see its documentation. */
void
cc_proxy_relay_async (CcProxyRequestContext *context,
                      SoupMessage           *upstream,
                      GInputStream          *body,
                      CcProxyRelayFilter     filter,
                      gpointer               filter_data,
                      GDestroyNotify         filter_data_destroy,
                      GCancellable          *cancellable,
                      GAsyncReadyCallback    callback,
                      gpointer               user_data)
{
  g_autoptr(GTask) task = g_task_new (context, cancellable, callback, user_data);
  CcProxyExchangeContext *self = CC_PROXY_EXCHANGE_CONTEXT (context);
  Relay *relay;

  g_task_set_source_tag (task, cc_proxy_relay_async);
  if (cc_proxy_exchange_context_get_exchange (self) == NULL)
    {
      /* The request is over (the client left): nothing to relay to. */
      g_task_return_boolean (task, TRUE);
      return;
    }
  relay = relay_new (task, self, cancellable);
  relay->upstream = g_object_ref (upstream);
  relay->body = g_object_ref (body);
  relay->filter = filter;
  relay->filter_data = filter_data;
  relay->filter_data_destroy = filter_data_destroy;
  respond (task);
}

gboolean
cc_proxy_relay_finish (CcProxyRequestContext  *context,
                       GAsyncResult           *result,
                       GError                **error)
{
  g_return_val_if_fail (g_task_is_valid (result, context), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
