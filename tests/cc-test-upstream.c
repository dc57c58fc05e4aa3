/* cc-test-upstream.c: a real libsoup server on 127.0.0.1 that records
 * every request and answers as each test sets it up:
 *
 *  - a fixed answer per path (cc_test_upstream_respond);
 *  - a chunked stream per path that may hold after N chunks until the
 *    test releases it, and may end by dropping the connection (cut);
 *  - "/echo": the request body back, with its content type;
 *  - anything else: 200 {"path": …}.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>
#include <sys/socket.h>

#include "cc-proxy-listener.h"
#include "cc-test-upstream.h"

typedef struct
{
  guint               status;
  char               *content_type;
  GBytes             *body;
  GStrv               chunks;     /* streamed route when non-NULL */
  guint               hold_after;
  gboolean            cut;
  gboolean            cut_between;  /* after a whole chunk, not inside one */
  SoupMessageHeaders *headers;
} Route;

typedef struct
{
  CcTestUpstream    *upstream;
  SoupServerMessage *message;   /* owns the stream: not a reference */
  Route             *route;
  guint              next;
  gboolean           done;
  gboolean           released;
} Stream;

struct _CcTestUpstream
{
  GObject     parent_instance;
  SoupServer *server;
  CcProxyListener *listener;
  char       *url;
  GPtrArray  *requests;
  GHashTable *routes;
  GPtrArray  *held;       /* Stream waiting for release */
  guint       n_aborted;  /* streams whose client left before the end */
  GHashTable *ports;      /* client ports seen: one per connection */
  gsize       received;   /* request body bytes, counted as they arrive */
  GHashTable *once;       /* path → GQueue of Route, answered before routes */
  gboolean    forget_requests;
};

G_DEFINE_FINAL_TYPE (CcTestUpstream, cc_test_upstream, G_TYPE_OBJECT)

static void
route_free (gpointer data)
{
  Route *route = data;

  g_free (route->content_type);
  g_clear_pointer (&route->body, g_bytes_unref);
  g_strfreev (route->chunks);
  soup_message_headers_unref (route->headers);
  g_free (route);
}

static void
free_queue (gpointer data)
{
  g_queue_free_full (data, route_free);
}

static void
recorded_request_free (gpointer data)
{
  CcTestRecordedRequest *request = data;

  g_free (request->method);
  g_free (request->path);
  g_free (request->query);
  soup_message_headers_unref (request->headers);
  g_bytes_unref (request->body);
  g_free (request);
}

static Route *
ensure_route (CcTestUpstream *self,
              const char     *path)
{
  Route *route = g_hash_table_lookup (self->routes, path);

  if (route == NULL)
    {
      route = g_new0 (Route, 1);
      route->status = 200;
      route->headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
      g_hash_table_insert (self->routes, g_strdup (path), route);
    }
  return route;
}

static void write_next_chunk (Stream *stream);

static void
on_stream_finished (SoupServerMessage *message,
                    Stream            *stream)
{
  if (!stream->done)
    stream->upstream->n_aborted++;
  stream->done = TRUE;
  g_ptr_array_remove (stream->upstream->held, stream);
}

static void
write_next_chunk (Stream *stream)
{
  SoupMessageBody *body = soup_server_message_get_response_body (stream->message);
  Route *route = stream->route;

  if (stream->done)
    return;

  if (route->chunks[stream->next] == NULL)
    {
      stream->done = TRUE;
      soup_message_body_complete (body);
      soup_server_message_unpause (stream->message);
      return;
    }

  if (stream->next == route->hold_after && !stream->released)
    {
      g_ptr_array_add (stream->upstream->held, stream);
      return;
    }

  soup_message_body_append (body, SOUP_MEMORY_COPY, route->chunks[stream->next],
                            strlen (route->chunks[stream->next]));
  stream->next++;
  soup_server_message_unpause (stream->message);
}

static void
on_wrote_chunk (SoupServerMessage *message,
                Stream            *stream)
{
  write_next_chunk (stream);
}

/* An upstream that dies mid-event: the whole response is written by
 * hand (libsoup would finish a chunked body it is asked to give up),
 * ending inside a chunk that announced more bytes than it carries. */
static void
write_cut_stream (SoupServerMessage *message,
                  Route             *route)
{
  g_autoptr(GIOStream) connection = soup_server_message_steal_connection (message);
  GOutputStream *out = g_io_stream_get_output_stream (connection);
  g_autoptr(GString) raw = g_string_new ("HTTP/1.1 200 OK\r\n"
                                          "Content-Type: text/event-stream\r\n"
                                          "Transfer-Encoding: chunked\r\n\r\n");

  for (guint i = 0; route->chunks[i] != NULL; i++)
    g_string_append_printf (raw, "%zx\r\n%s\r\n", strlen (route->chunks[i]), route->chunks[i]);
  if (!route->cut_between)
    g_string_append (raw, "100\r\nevent: content_block_delta\ndata: {\"ty");

  g_output_stream_write_all (out, raw->str, raw->len, NULL, NULL, NULL);
  g_io_stream_close (connection, NULL, NULL);
}

static void
start_stream (CcTestUpstream    *self,
              SoupServerMessage *message,
              Route             *route)
{
  Stream *stream = g_new0 (Stream, 1);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (message);

  stream->upstream = self;
  stream->message = message;
  stream->route = route;

  soup_server_message_set_status (message, route->status, NULL);
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  soup_message_headers_set_content_type (headers, route->content_type ? route->content_type : "text/event-stream", NULL);
  g_signal_connect (message, "wrote-chunk", G_CALLBACK (on_wrote_chunk), stream);
  g_signal_connect (message, "finished", G_CALLBACK (on_stream_finished), stream);
  /* A reference back to the message would keep it, its connection and
   * the listener's record of that connection for good. */
  g_object_set_data_full (G_OBJECT (message), "cc-test-stream", stream, g_free);

  soup_server_message_pause (message);
  write_next_chunk (stream);
}

static void
copy_header (const char *name,
             const char *value,
             gpointer    user_data)
{
  soup_message_headers_append (user_data, name, value);
}

static void
handle (SoupServer        *server,
        SoupServerMessage *message,
        const char        *path,
        GHashTable        *query,
        gpointer           user_data)
{
  CcTestUpstream *self = user_data;
  CcTestRecordedRequest *request = g_new0 (CcTestRecordedRequest, 1);
  GUri *uri = soup_server_message_get_uri (message);
  Route *route;

  request->method = g_strdup (soup_server_message_get_method (message));
  request->path = g_strdup (g_uri_get_path (uri));
  request->query = g_strdup (g_uri_get_query (uri));
  request->headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  soup_message_headers_foreach (soup_server_message_get_request_headers (message), copy_header, request->headers);
  request->body = soup_message_body_flatten (soup_server_message_get_request_body (message));
  g_ptr_array_add (self->requests, request);
  g_hash_table_add (self->ports, GUINT_TO_POINTER (g_inet_socket_address_get_port (
    G_INET_SOCKET_ADDRESS (soup_server_message_get_remote_address (message)))));

  route = g_hash_table_lookup (self->routes, request->path);
  {
    GQueue *queue = g_hash_table_lookup (self->once, request->path);
    Route *once = queue ? g_queue_pop_head (queue) : NULL;

    /* Kept until the message goes: the response points into it. */
    if (once != NULL)
      {
        g_object_set_data_full (G_OBJECT (message), "cc-test-once", once, route_free);
        route = once;
      }
  }
  if (route != NULL)
    soup_message_headers_foreach (route->headers, copy_header, soup_server_message_get_response_headers (message));

  if (route != NULL && route->chunks != NULL && route->cut)
    {
      write_cut_stream (message, route);
    }
  else if (route != NULL && route->chunks != NULL)
    {
      start_stream (self, message, route);
    }
  else if (route != NULL)
    {
      gsize len;
      const char *data = g_bytes_get_data (route->body, &len);

      soup_server_message_set_status (message, route->status, NULL);
      soup_server_message_set_response (message, route->content_type, SOUP_MEMORY_COPY, data, len);
    }
  else if (g_str_equal (request->path, "/echo"))
    {
      gsize len;
      const char *data = g_bytes_get_data (request->body, &len);
      const char *type = soup_message_headers_get_content_type (request->headers, NULL);

      soup_server_message_set_status (message, 200, NULL);
      soup_server_message_set_response (message, type ? type : "application/octet-stream",
                                        SOUP_MEMORY_COPY, data, len);
    }
  else
    {
      g_autofree char *body = g_strdup_printf ("{\"path\": \"%s\"}", request->path);

      soup_server_message_set_status (message, 200, NULL);
      soup_server_message_set_response (message, "application/json", SOUP_MEMORY_COPY, body, strlen (body));
    }
  if (self->forget_requests)
    g_ptr_array_set_size (self->requests, 0);
}

/**
 * cc_test_upstream_get_n_clients:
 *
 * Returns: the client connections the mock counts open
 */
guint
cc_test_upstream_get_n_clients (CcTestUpstream *self)
{
  return cc_proxy_listener_get_n_clients (self->listener);
}

/**
 * cc_test_upstream_clear_requests:
 *
 * Forgets the requests received so far; the next are kept again.
 */
void
cc_test_upstream_clear_requests (CcTestUpstream *self)
{
  g_ptr_array_set_size (self->requests, 0);
}

/**
 * cc_test_upstream_forget_requests:
 *
 * Keeps no request once answered: a long run's memory stays flat (the
 * soak), and cc_test_upstream_get_n_requests() stays 0.
 */
void
cc_test_upstream_forget_requests (CcTestUpstream *self)
{
  self->forget_requests = TRUE;
}

static void
on_request_chunk (SoupServerMessage *message,
                  GBytes            *chunk,
                  CcTestUpstream    *self)
{
  self->received += g_bytes_get_size (chunk);
}

static void
handle_early (SoupServer        *server,
              SoupServerMessage *message,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  g_signal_connect (message, "got-chunk", G_CALLBACK (on_request_chunk), user_data);
}

static void
cc_test_upstream_finalize (GObject *object)
{
  CcTestUpstream *self = (CcTestUpstream *) object;

  /* It disconnects the server (see cc-proxy-listener.c). */
  g_clear_object (&self->listener);
  g_clear_object (&self->server);
  g_free (self->url);
  g_ptr_array_unref (self->requests);
  g_hash_table_unref (self->routes);
  g_hash_table_unref (self->once);
  g_ptr_array_unref (self->held);
  g_hash_table_unref (self->ports);
  G_OBJECT_CLASS (cc_test_upstream_parent_class)->finalize (object);
}

static void
cc_test_upstream_class_init (CcTestUpstreamClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cc_test_upstream_finalize;
}

static void
cc_test_upstream_init (CcTestUpstream *self)
{
  self->requests = g_ptr_array_new_with_free_func (recorded_request_free);
  self->routes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, route_free);
  self->once = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, free_queue);
  self->held = g_ptr_array_new ();
  self->ports = g_hash_table_new (NULL, NULL);
}

CcTestUpstream *
cc_test_upstream_new (void)
{
  CcTestUpstream *self = g_object_new (CC_TEST_TYPE_UPSTREAM, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);

  self->server = soup_server_new ("server-header", "cc-test-upstream", NULL);
  soup_server_add_early_handler (self->server, NULL, handle_early, self, NULL);
  soup_server_add_handler (self->server, NULL, handle, self, NULL);
  /* cc-proxyd's own accept loop: libsoup 3.2's keeps every kept-alive
   * connection its client closes, with its last request (the soak sent
   * gigabytes through it). */
  self->listener = cc_proxy_listener_new (self->server);
  g_socket_set_listen_backlog (socket, SOMAXCONN);
  g_assert_true (g_socket_bind (socket, address, TRUE, &error));
  g_assert_true (g_socket_listen (socket, &error));
  g_assert_true (cc_proxy_listener_add_socket (self->listener, socket, &error));
  local = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  self->url = g_strdup_printf ("http://127.0.0.1:%u", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local)));
  return self;
}

const char *
cc_test_upstream_get_url (CcTestUpstream *self)
{
  return self->url;
}

guint
cc_test_upstream_get_n_requests (CcTestUpstream *self)
{
  return self->requests->len;
}

CcTestRecordedRequest *
cc_test_upstream_get_request (CcTestUpstream *self,
                              guint           index)
{
  g_assert_cmpuint (index, <, self->requests->len);
  return g_ptr_array_index (self->requests, index);
}

void
cc_test_upstream_respond (CcTestUpstream *self,
                          const char     *path,
                          guint           status,
                          const char     *content_type,
                          const char     *body,
                          gssize          length)
{
  Route *route = ensure_route (self, path);

  route->status = status;
  g_free (route->content_type);
  route->content_type = g_strdup (content_type);
  g_clear_pointer (&route->body, g_bytes_unref);
  route->body = g_bytes_new (body, length < 0 ? strlen (body) : (gsize) length);
  g_clear_pointer (&route->chunks, g_strfreev);
}

void
cc_test_upstream_add_header (CcTestUpstream *self,
                             const char     *path,
                             const char     *name,
                             const char     *value)
{
  soup_message_headers_append (ensure_route (self, path)->headers, name, value);
}

/* Like cc_test_upstream_add_header(), replacing any earlier value. */
void
cc_test_upstream_set_header (CcTestUpstream *self,
                             const char     *path,
                             const char     *name,
                             const char     *value)
{
  soup_message_headers_replace (ensure_route (self, path)->headers, name, value);
}

/* Streams @chunks one by one; stops before chunk @hold_after (G_MAXUINT:
 * never) until cc_test_upstream_release(); @cut sends them all at once
 * and drops the connection in the middle of one more chunk. */
void
cc_test_upstream_stream (CcTestUpstream     *self,
                         const char         *path,
                         const char * const *chunks,
                         guint               hold_after,
                         gboolean            cut)
{
  Route *route = ensure_route (self, path);

  g_strfreev (route->chunks);
  route->chunks = g_strdupv ((char **) chunks);
  route->hold_after = hold_after;
  route->cut = cut;
}

/* With cc_test_upstream_stream()'s @cut: the connection drops right
 * after the last whole chunk, where the next chunk's size (or the
 * zero-size chunk that ends the body) should come. */
void
cc_test_upstream_cut_between_chunks (CcTestUpstream *self,
                                     const char     *path)
{
  ensure_route (self, path)->cut_between = TRUE;
}

void
cc_test_upstream_release (CcTestUpstream *self)
{
  g_autoptr(GPtrArray) held = g_ptr_array_copy (self->held, NULL, NULL);

  g_ptr_array_set_size (self->held, 0);
  for (guint i = 0; i < held->len; i++)
    {
      Stream *stream = g_ptr_array_index (held, i);

      stream->released = TRUE;
      write_next_chunk (stream);
    }
}

guint
cc_test_upstream_get_n_held (CcTestUpstream *self)
{
  return self->held->len;
}

guint
cc_test_upstream_get_n_aborted (CcTestUpstream *self)
{
  return self->n_aborted;
}

guint
cc_test_upstream_get_n_connections (CcTestUpstream *self)
{
  return g_hash_table_size (self->ports);
}

/* Request body bytes received so far, across requests, counted as each
 * chunk arrives (before the handler sees the whole body). */
gsize
cc_test_upstream_get_n_received (CcTestUpstream *self)
{
  return self->received;
}

/* One answer for the next request to @path, before its usual one. */
void
cc_test_upstream_respond_once (CcTestUpstream *self,
                               const char     *path,
                               guint           status,
                               const char     *content_type,
                               const char     *body)
{
  GQueue *queue = g_hash_table_lookup (self->once, path);
  Route *route = g_new0 (Route, 1);

  route->status = status;
  route->content_type = g_strdup (content_type);
  route->body = g_bytes_new (body, strlen (body));
  route->headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  if (queue == NULL)
    {
      queue = g_queue_new ();
      g_hash_table_insert (self->once, g_strdup (path), queue);
    }
  g_queue_push_tail (queue, route);
}

/* The @nth request (from 0) that went to @path, or NULL. */
CcTestRecordedRequest *
cc_test_upstream_find_request (CcTestUpstream *self,
                               const char     *path,
                               guint           nth)
{
  for (guint i = 0; i < self->requests->len; i++)
    {
      CcTestRecordedRequest *request = g_ptr_array_index (self->requests, i);

      if (g_str_equal (request->path, path) && nth-- == 0)
        return request;
    }
  return NULL;
}

guint
cc_test_upstream_count_requests (CcTestUpstream *self,
                                 const char     *path)
{
  guint n = 0;

  for (guint i = 0; i < self->requests->len; i++)
    n += g_str_equal (((CcTestRecordedRequest *) g_ptr_array_index (self->requests, i))->path, path);
  return n;
}

/* ----- GitHub and Copilot, as the copilot provider's login sees them ----- */

/* The Copilot token exchange: a token valid for an hour, or @status
 * with GitHub's refusal. */
void
cc_test_upstream_mock_copilot_exchange (CcTestUpstream *self,
                                        guint           status)
{
  g_autofree char *exchange = g_strdup_printf ("{\"token\":\"copilot-from-login\",\"expires_at\":%" G_GINT64_FORMAT
                                               ",\"refresh_in\":1500}", g_get_real_time () / G_USEC_PER_SEC + 3600);

  if (status == 200)
    cc_test_upstream_respond (self, "/copilot_internal/v2/token", 200, "application/json", exchange, -1);
  else
    cc_test_upstream_respond (self, "/copilot_internal/v2/token", status, "application/json",
                              "{\"message\":\"Bad credentials\"}", -1);
}

/* GitHub's device flow (code WDJB-MJHT, polled without delay) and the
 * Copilot token exchange: the login gets @access_token. */
void
cc_test_upstream_mock_github_login (CcTestUpstream *self,
                                    const char     *access_token)
{
  static const char device_code[] = "{\"device_code\":\"fx-device\",\"user_code\":\"WDJB-MJHT\","
                                     "\"verification_uri\":\"https://github.com/login/device\",\"expires_in\":60,\"interval\":0}";
  g_autofree char *answer = g_strdup_printf ("{\"access_token\":\"%s\"}", access_token);

  cc_test_upstream_respond (self, "/login/device/code", 200, "application/json", device_code, -1);
  cc_test_upstream_respond (self, "/login/oauth/access_token", 200, "application/json", answer, -1);
  cc_test_upstream_mock_copilot_exchange (self, 200);
}
