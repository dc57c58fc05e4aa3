/* test-pipeline.c: requests through the real server, relay and dispatch
 * boundary, against the libsoup mock upstream on loopback.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>
#include <sys/resource.h>

#include "cc-proxy-body-stream.h"
#include "cc-proxy-capture-log.h"
#include "cc-proxy-listener.h"
#include "cc-proxy-server.h"
#include "cc-test-tls-front.h"
#include "cc-test-upstream.h"
#include "cc-test-util.h"
#include "cc-proxy-event-sink.h"
#include "cc-proxy-event.h"

static CcProxyRegistry *registry;

typedef struct
{
  CcTestUpstream   *upstream;
  CcTestTlsFront   *front;            /* HTTP/2 over TLS before it, or NULL */
  CcTestUpstream   *plugin_upstream;  /* a plugin's own host */
  CcProxyRuntime   *runtime;
  CcProxyEventSink *sink;
  CcProxyServer    *server;
  SoupSession      *client;
  GPtrArray        *events;
} Fixture;

static void
record_event (CcProxyEventSink *sink,
              CcProxyEvent     *event,
              Fixture          *fixture)
{
  g_ptr_array_add (fixture->events, cc_proxy_event_ref (event));
}

static void
set_up (Fixture  *fixture,
        gboolean  http2)
{
  g_autofree char *upstream_env = NULL;
  g_autoptr(GSettingsBackend) backend = NULL;
  g_autoptr(GError) error = NULL;
  const char *env[3] = { NULL };

  fixture->upstream = cc_test_upstream_new ();
  fixture->plugin_upstream = cc_test_upstream_new ();
  if (http2)
    fixture->front = cc_test_tls_front_new (cc_test_upstream_get_url (fixture->upstream));
  upstream_env = g_strconcat ("ANTHROPIC_UPSTREAM_URL=",
                              http2 ? cc_test_tls_front_get_url (fixture->front)
                                    : cc_test_upstream_get_url (fixture->upstream), NULL);
  env[0] = upstream_env;

  backend = g_memory_settings_backend_new ();
  fixture->runtime = cc_proxy_runtime_new_full (registry, env, backend);
  fixture->sink = cc_proxy_event_sink_new ();
  fixture->events = g_ptr_array_new_with_free_func ((GDestroyNotify) cc_proxy_event_unref);
  g_signal_connect (fixture->sink, "event", G_CALLBACK (record_event), fixture);
  /* Listens as the capture log does, and to every stream event too. */
  cc_proxy_event_sink_set_body_limit (fixture->sink, 16 * 1024 * 1024);
  cc_proxy_event_sink_hold_progress (fixture->sink);

  fixture->server = cc_proxy_server_new (registry, fixture->runtime, fixture->sink);
  cc_proxy_server_set_deadline (fixture->server, 1);
  cc_proxy_server_listen (fixture->server, "127.0.0.1:0", &error);
  g_assert_no_error (error);

  fixture->client = soup_session_new_with_options ("timeout", 20, NULL);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  set_up (fixture, FALSE);
}

/* The upstream as the real API is: HTTP/2 over TLS (nginx before the
 * mock; cc-test-tls-front.c). */
static void
fixture_set_up_http2 (Fixture       *fixture,
                      gconstpointer  user_data)
{
  set_up (fixture, TRUE);
}

static gboolean
mocks_have_no_clients (gpointer data)
{
  Fixture *fixture = data;

  return cc_test_upstream_get_n_clients (fixture->upstream) == 0 &&
         (fixture->plugin_upstream == NULL || cc_test_upstream_get_n_clients (fixture->plugin_upstream) == 0);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  soup_session_abort (fixture->client);
  g_clear_object (&fixture->client);
  /* soup_server_disconnect() leaves open connections be: let them see
   * the client's close first. */
  cc_test_drain (50);
  g_object_add_weak_pointer (G_OBJECT (fixture->server), (gpointer *) &fixture->server);
  g_object_unref (fixture->server);
  g_assert_null (fixture->server);
  g_clear_object (&fixture->sink);
  g_clear_object (&fixture->runtime);
  g_clear_pointer (&fixture->events, g_ptr_array_unref);
  cc_test_drain (50);
  g_clear_pointer (&fixture->front, cc_test_tls_front_free);
  /* With every client of the mocks gone, so are the mocks' connections:
   * a harness that keeps them wedges a long soak. */
  cc_test_wait_for (mocks_have_no_clients, fixture);
  g_clear_object (&fixture->upstream);
  g_clear_object (&fixture->plugin_upstream);
  cc_test_drain (10);
}

static SoupMessage *
new_message (Fixture    *fixture,
             const char *method,
             const char *path_and_query)
{
  g_autofree char *url = g_strconcat (cc_proxy_server_get_url (fixture->server), path_and_query, NULL);

  return soup_message_new (method, url);
}

static void
set_body (SoupMessage *message,
          const char  *content_type,
          GBytes      *body)
{
  soup_message_set_request_body_from_bytes (message, content_type, body);
}

static GBytes *
send_ok (Fixture     *fixture,
         SoupMessage *message)
{
  g_autoptr(GError) error = NULL;
  GBytes *body = cc_test_send (fixture->client, message, &error);

  g_assert_no_error (error);
  return body;
}

static char *
send_for_text (Fixture     *fixture,
               SoupMessage *message,
               GBytes     **body)
{
  g_autoptr(GBytes) answer = send_ok (fixture, message);
  char *text = g_strndup (g_bytes_get_data (answer, NULL), g_bytes_get_size (answer));

  if (body != NULL)
    *body = g_steal_pointer (&answer);
  return text;
}

/* POSTs @body to @path; the whole answer, and its status in @status. */
static GBytes *
post (Fixture    *fixture,
      const char *path,
      const char *content_type,
      GBytes     *body,
      guint      *status)
{
  g_autoptr(SoupMessage) message = new_message (fixture, "POST", path);
  GBytes *answer;

  set_body (message, content_type, body);
  answer = send_ok (fixture, message);
  *status = soup_message_get_status (message);
  return answer;
}

static void
use_provider (Fixture    *fixture,
              const char *id)
{
  g_autoptr(GError) error = NULL;

  cc_proxy_settings_set_active_provider (cc_proxy_runtime_get_settings (fixture->runtime), id, &error);
  g_assert_no_error (error);
}

static void
assert_error_body (GBytes     *body,
                   const char *type,
                   const char *message_part)
{
  g_autofree char *message = NULL;
  g_autofree char *kind = cc_test_error_type (body, &message);

  g_assert_cmpstr (kind, ==, type);
  if (message_part != NULL && strstr (message, message_part) == NULL)
    g_error ("“%s” does not contain “%s”", message, message_part);
}

/* ----- the default path ----- */

static void
test_forward_unchanged (Fixture       *fixture,
                        gconstpointer  user_data)
{
  g_autoptr(GBytes) agent = cc_test_load_fixture ("anthropic-request-agent.json");
  g_autoptr(SoupMessage) message = new_message (fixture, "POST", "/v1/messages?beta=true");
  SoupMessageHeaders *headers = soup_message_get_request_headers (message);
  g_autoptr(GBytes) answer = NULL;
  CcTestRecordedRequest *seen;
  static const char reply[] = "{\"id\": \"msg_1\", \"type\": \"message\", \"content\": []}";

  cc_test_upstream_respond (fixture->upstream, "/v1/messages", 200, "application/json", reply, -1);
  cc_test_upstream_add_header (fixture->upstream, "/v1/messages", "request-id", "req_fx");
  cc_test_upstream_add_header (fixture->upstream, "/v1/messages", "anthropic-ratelimit-requests-remaining", "99");

  soup_message_headers_append (headers, "x-api-key", "sk-ant-client");
  soup_message_headers_append (headers, "anthropic-version", "2023-06-01");
  soup_message_headers_append (headers, "anthropic-beta", "interleaved-thinking-2025-05-14");
  soup_message_headers_append (headers, "Authorization", "Bearer client-token");
  soup_message_headers_append (headers, "Connection", "keep-alive, X-Hop-Only");
  soup_message_headers_append (headers, "X-Hop-Only", "1");
  soup_message_headers_append (headers, "Keep-Alive", "timeout=5");
  soup_message_headers_append (headers, "TE", "trailers");
  soup_message_headers_append (headers, "Proxy-Authorization", "Basic cHJveHk=");
  /* Answered by libsoup with 100 Continue; not asked of the upstream. */
  soup_message_headers_set_expectations (headers, SOUP_EXPECTATION_CONTINUE);
  set_body (message, "application/json", agent);

  answer = send_ok (fixture, message);

  g_assert_cmpuint (soup_message_get_status (message), ==, 200);
  g_assert_cmpmem (g_bytes_get_data (answer, NULL), g_bytes_get_size (answer), reply, strlen (reply));
  g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (message), "request-id"), ==, "req_fx");
  g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (message),
                                                 "anthropic-ratelimit-requests-remaining"), ==, "99");

  g_assert_cmpuint (cc_test_upstream_get_n_requests (fixture->upstream), ==, 1);
  seen = cc_test_upstream_get_request (fixture->upstream, 0);
  g_assert_cmpstr (seen->method, ==, "POST");
  g_assert_cmpstr (seen->path, ==, "/v1/messages");
  g_assert_cmpstr (seen->query, ==, "beta=true");
  g_assert_true (g_bytes_equal (seen->body, agent));
  g_assert_cmpstr (soup_message_headers_get_one (seen->headers, "x-api-key"), ==, "sk-ant-client");
  g_assert_cmpstr (soup_message_headers_get_one (seen->headers, "anthropic-version"), ==, "2023-06-01");
  g_assert_cmpstr (soup_message_headers_get_one (seen->headers, "anthropic-beta"), ==, "interleaved-thinking-2025-05-14");
  g_assert_cmpstr (soup_message_headers_get_one (seen->headers, "Authorization"), ==, "Bearer client-token");
  g_assert_cmpstr (soup_message_headers_get_one (seen->headers, "Content-Type"), ==, "application/json");
  g_assert_cmpint (soup_message_headers_get_content_length (seen->headers), ==, g_bytes_get_size (agent));
  g_assert_null (soup_message_headers_get_one (seen->headers, "X-Hop-Only"));
  g_assert_null (soup_message_headers_get_one (seen->headers, "Keep-Alive"));
  g_assert_null (soup_message_headers_get_one (seen->headers, "TE"));
  g_assert_null (soup_message_headers_get_one (seen->headers, "Proxy-Authorization"));
  g_assert_null (soup_message_headers_get_one (seen->headers, "Expect"));
}

static guint
count_headers (SoupMessageHeaders *headers,
               const char         *wanted)
{
  SoupMessageHeadersIter iter;
  const char *name, *value;
  guint count = 0;

  soup_message_headers_iter_init (&iter, headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    count += g_ascii_strcasecmp (name, wanted) == 0;
  return count;
}

static void
test_methods_and_no_duplicate_headers (Fixture       *fixture,
                                       gconstpointer  user_data)
{
  static const char * const methods[] = { "GET", "PUT", "PATCH", "DELETE", "OPTIONS" };

  for (guint i = 0; i < G_N_ELEMENTS (methods); i++)
    {
      g_autoptr(SoupMessage) message = new_message (fixture, methods[i], "/v1/files/abc");
      g_autoptr(GBytes) answer = NULL;
      CcTestRecordedRequest *seen;

      if (g_str_equal (methods[i], "PUT") || g_str_equal (methods[i], "PATCH"))
        {
          g_autoptr(GBytes) body = g_bytes_new_static ("{\"a\":1}", 7);

          set_body (message, "application/json", body);
        }
      answer = send_ok (fixture, message);
      seen = cc_test_upstream_get_request (fixture->upstream, i);

      g_assert_cmpuint (soup_message_get_status (message), ==, 200);
      g_assert_cmpstr (seen->method, ==, methods[i]);
      if (g_str_equal (methods[i], "PUT") || g_str_equal (methods[i], "PATCH"))
        g_assert_cmpmem (g_bytes_get_data (seen->body, NULL), g_bytes_get_size (seen->body), "{\"a\":1}", 7);

      /* One Date and one Server: the upstream's. */
      g_assert_cmpuint (count_headers (soup_message_get_response_headers (message), "Date"), ==, 1);
      g_assert_cmpuint (count_headers (soup_message_get_response_headers (message), "Server"), ==, 1);
      g_assert_cmpstr (soup_message_headers_get_list (soup_message_get_response_headers (message), "Server"),
                       ==, "cc-test-upstream");
    }
}

static void
test_upstream_error_relayed (Fixture       *fixture,
                             gconstpointer  user_data)
{
  static const char overloaded[] = "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}";
  static const char limited[] = "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Slow down\"}}";
  g_autoptr(SoupMessage) first = new_message (fixture, "POST", "/v1/messages");
  g_autoptr(SoupMessage) second = new_message (fixture, "GET", "/v1/models");
  g_autoptr(GBytes) body1 = NULL;
  g_autoptr(GBytes) body2 = NULL;

  cc_test_upstream_respond (fixture->upstream, "/v1/messages", 529, "application/json", overloaded, -1);
  cc_test_upstream_respond (fixture->upstream, "/v1/models", 429, "application/json", limited, -1);
  cc_test_upstream_add_header (fixture->upstream, "/v1/models", "retry-after", "7");

  body1 = send_ok (fixture, first);
  body2 = send_ok (fixture, second);

  g_assert_cmpuint (soup_message_get_status (first), ==, 529);
  g_assert_cmpmem (g_bytes_get_data (body1, NULL), g_bytes_get_size (body1), overloaded, strlen (overloaded));
  g_assert_cmpuint (soup_message_get_status (second), ==, 429);
  g_assert_cmpmem (g_bytes_get_data (body2, NULL), g_bytes_get_size (body2), limited, strlen (limited));
  g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (second), "retry-after"), ==, "7");
}

static void
test_upstream_unreachable (Fixture       *fixture,
                           gconstpointer  user_data)
{
  g_autoptr(GBytes) body = NULL;
  g_autoptr(CcTestUpstream) gone = cc_test_upstream_new ();
  g_autofree char *gone_url = g_strdup (cc_test_upstream_get_url (gone));
  CcProxyEvent *last;

  g_clear_object (&gone);  /* nothing listens there any more */
  {
    g_autoptr(GError) error = NULL;
    /* The environment names the upstream (it beats stored values), so
     * this server gets a runtime whose environment names the dead port. */
    const char *env[] = { NULL, NULL };
    g_autofree char *entry = g_strconcat ("ANTHROPIC_UPSTREAM_URL=", gone_url, NULL);
    g_autoptr(CcProxyRuntime) runtime = NULL;
    g_autoptr(CcProxyServer) server = NULL;
    g_autofree char *url = NULL;
    g_autoptr(SoupMessage) direct = NULL;

    env[0] = entry;
    runtime = cc_proxy_runtime_new_full (registry, env, NULL);  /* only reads */
    server = cc_proxy_server_new (registry, runtime, fixture->sink);
    cc_proxy_server_listen (server, "127.0.0.1:0", &error);
    g_assert_no_error (error);
    url = g_strconcat (cc_proxy_server_get_url (server), "/v1/messages", NULL);
    direct = soup_message_new ("POST", url);
    body = send_ok (fixture, direct);

    g_assert_cmpuint (soup_message_get_status (direct), ==, 502);
    g_assert_cmpstr (soup_message_headers_get_content_type (soup_message_get_response_headers (direct), NULL),
                     ==, "application/json");
    assert_error_body (body, "api_error", "Could not reach the upstream 127.0.0.1");
  }

  last = g_ptr_array_index (fixture->events, fixture->events->len - 1);
  g_assert_cmpint (last->kind, ==, CC_PROXY_EVENT_PROXY_ERROR);
  g_assert_cmpuint (last->status, ==, 502);
}

static char **
split_events (GBytes *stream)
{
  g_autofree char *text = g_strndup (g_bytes_get_data (stream, NULL), g_bytes_get_size (stream));
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  const char *p = text;
  const char *end;

  /* Keep each event with its blank-line terminator. */
  while ((end = strstr (p, "\r\n\r\n")) != NULL)
    {
      g_autofree char *event = g_strndup (p, end + 4 - p);

      g_strv_builder_add (builder, event);
      p = end + 4;
    }
  return g_strv_builder_end (builder);
}

static gboolean
last_event_is_terminal (gpointer user_data)
{
  Fixture *fixture = user_data;
  CcProxyEvent *last;

  if (fixture->events->len == 0)
    return FALSE;
  last = g_ptr_array_index (fixture->events, fixture->events->len - 1);
  return last->kind >= CC_PROXY_EVENT_RESPONSE_DONE;
}

static gboolean
has_aborted_stream (gpointer user_data)
{
  return cc_test_upstream_get_n_aborted (user_data) > 0;
}

/* The first event reaches the client while the upstream still holds
 * back the second: nothing is buffered whole. */
static void
test_sse_streams_event_by_event (Fixture       *fixture,
                                 gconstpointer  user_data)
{
  g_autoptr(GBytes) fixture_stream = cc_test_load_fixture ("anthropic-stream-text.sse");
  g_auto(GStrv) chunks = split_events (fixture_stream);
  g_autoptr(SoupMessage) message = new_message (fixture, "POST", "/v1/messages?beta=true");
  g_autoptr(GBytes) request = cc_test_load_fixture ("anthropic-request-minimal.json");
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GString) received = g_string_new (NULL);
  guint progress = 0;

  g_assert_cmpuint (g_strv_length (chunks), ==, 9);
  cc_test_upstream_stream (fixture->upstream, "/v1/messages", (const char * const *) chunks, 1, FALSE);
  set_body (message, "application/json", request);

  stream = cc_test_send_stream (fixture->client, message);
  g_assert_cmpuint (soup_message_get_status (message), ==, 200);
  g_assert_cmpstr (soup_message_headers_get_content_type (soup_message_get_response_headers (message), NULL),
                   ==, "text/event-stream");

  while (received->len < strlen (chunks[0]))
    g_assert_cmpuint (cc_test_read_some (stream, received), >, 0);
  g_assert_cmpstr (received->str, ==, chunks[0]);
  g_assert_cmpuint (cc_test_upstream_get_n_held (fixture->upstream), ==, 1);

  cc_test_upstream_release (fixture->upstream);
  cc_test_read_to_end (stream, received);
  g_assert_cmpmem (received->str, received->len,
                   g_bytes_get_data (fixture_stream, NULL), g_bytes_get_size (fixture_stream));

  /* Each SSE event became one progress event, decoded. */
  for (guint i = 0; i < fixture->events->len; i++)
    {
      CcProxyEvent *event = g_ptr_array_index (fixture->events, i);

      g_assert_cmpuint (event->sequence, ==, i);
      if (event->kind == CC_PROXY_EVENT_PROGRESS)
        {
          g_assert_nonnull (event->body);
          g_assert_cmpint (event->shape, ==, CC_PROXY_BODY_SHAPE_ANTHROPIC);
          if (progress == 0)
            g_assert_cmpstr (event->sse_event, ==, "message_start");
          progress++;
        }
    }
  g_assert_cmpuint (progress, ==, 9);
}

static gboolean no_client_connections (gpointer user_data);

static void
test_client_disconnect_cancels_upstream (Fixture       *fixture,
                                         gconstpointer  user_data)
{
  g_autoptr(GBytes) fixture_stream = cc_test_load_fixture ("anthropic-stream-text.sse");
  g_auto(GStrv) chunks = split_events (fixture_stream);
  g_autoptr(SoupMessage) message = new_message (fixture, "POST", "/v1/messages");
  g_autoptr(GString) received = g_string_new (NULL);
  GInputStream *stream;

  cc_test_upstream_stream (fixture->upstream, "/v1/messages", (const char * const *) chunks, 2, FALSE);
  stream = cc_test_send_stream (fixture->client, message);
  while (received->len < strlen (chunks[0]) + strlen (chunks[1]))
    g_assert_cmpuint (cc_test_read_some (stream, received), >, 0);

  /* The client goes away in the middle of the stream, while the
   * upstream is silent: the proxy notices and drops the upstream. */
  g_object_unref (stream);
  soup_session_abort (fixture->client);
  cc_test_wait_for (last_event_is_terminal, fixture);
  g_assert_cmpint (((CcProxyEvent *) g_ptr_array_index (fixture->events, fixture->events->len - 1))->kind,
                   ==, CC_PROXY_EVENT_PROXY_ERROR);

  /* The mock learns of it on its next write, which must fail. */
  cc_test_upstream_release (fixture->upstream);
  cc_test_wait_for (has_aborted_stream, fixture->upstream);
  g_assert_cmpuint (cc_test_upstream_get_n_aborted (fixture->upstream), ==, 1);
  /* And its connection is let go, counted out. */
  cc_test_wait_for (no_client_connections, fixture);
}


static void
test_upstream_cut_mid_stream (Fixture       *fixture,
                              gconstpointer  user_data)
{
  g_autoptr(GBytes) fixture_stream = cc_test_load_fixture ("anthropic-stream-text.sse");
  g_auto(GStrv) chunks = split_events (fixture_stream);
  g_autoptr(SoupMessage) message = new_message (fixture, "POST", "/v1/messages");
  g_autoptr(GBytes) body = NULL;
  g_autofree char *text = NULL;
  CcProxyEvent *last;

  /* Three events, then the upstream connection drops: inside a fourth
   * chunk, or (user_data) where the next chunk should begin, which
   * libsoup 3.2 alone would take for the end of the body. */
  for (guint i = 3; chunks[i] != NULL; i++)
    g_clear_pointer (&chunks[i], g_free);
  cc_test_upstream_stream (fixture->upstream, "/v1/messages", (const char * const *) chunks, G_MAXUINT, TRUE);
  if (user_data != NULL)
    cc_test_upstream_cut_between_chunks (fixture->upstream, "/v1/messages");

  text = send_for_text (fixture, message, &body);

  g_assert_true (g_str_has_prefix (text, chunks[0]));
  g_assert_nonnull (strstr (text, chunks[2]));
  g_assert_true (g_str_has_suffix (text, "\"}}\n\n"));
  g_assert_nonnull (strstr (text, "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\","
                                  "\"message\":\"The upstream connection failed mid-response"));

  cc_test_wait_for (last_event_is_terminal, fixture);
  last = g_ptr_array_index (fixture->events, fixture->events->len - 1);
  g_assert_cmpint (last->kind, ==, CC_PROXY_EVENT_PROXY_ERROR);
}

static void
test_large_body_round_trip (Fixture       *fixture,
                            gconstpointer  user_data)
{
  gsize size = 8 * 1024 * 1024;
  guint8 *data = g_malloc (size);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(SoupMessage) message = new_message (fixture, "POST", "/echo");

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) (i * 7 + (i >> 13));
  body = g_bytes_new_take (data, size);
  set_body (message, "application/octet-stream", body);

  answer = send_ok (fixture, message);
  g_assert_cmpuint (soup_message_get_status (message), ==, 200);
  g_assert_cmpuint (g_bytes_get_size (answer), ==, size);
  g_assert_true (g_bytes_equal (answer, body));
}

typedef struct
{
  GBytes   *body;
  gboolean  done;
} Pending;

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Pending *pending = user_data;
  g_autoptr(GError) error = NULL;

  pending->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  g_assert_no_error (error);
  pending->done = TRUE;
}

static gboolean
pending_done (gpointer user_data)
{
  return ((Pending *) user_data)->done;
}

typedef struct
{
  CcTestUpstream *upstream;
  gsize           bytes;
} Received;

static gboolean
upstream_received (gpointer user_data)
{
  Received *wanted = user_data;

  return cc_test_upstream_get_n_received (wanted->upstream) >= wanted->bytes;
}

/* The first half of an upload reaches the upstream while the client
 * still holds back the second half. */
static void
test_request_body_streams (Fixture       *fixture,
                           gconstpointer  user_data)
{
  gsize half = 256 * 1024;
  g_autoptr(CcProxyBodyStream) upload = cc_proxy_body_stream_new ();
  g_autoptr(SoupMessage) message = new_message (fixture, "POST", "/echo");
  g_autoptr(GByteArray) sent = g_byte_array_new ();
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) second = NULL;
  Pending pending = { NULL, FALSE };
  Received wanted = { fixture->upstream, half };

  for (gsize i = 0; i < 2 * half; i++)
    g_byte_array_append (sent, (const guint8 *) &"abcdefghijklmnopqrstuvwxyz"[i % 26], 1);
  first = g_bytes_new (sent->data, half);
  second = g_bytes_new (sent->data + half, half);

  cc_proxy_body_stream_push (upload, first);
  soup_message_set_request_body (message, "application/octet-stream", G_INPUT_STREAM (upload), -1);
  soup_session_send_and_read_async (fixture->client, message, G_PRIORITY_DEFAULT, NULL, on_sent, &pending);

  cc_test_wait_for (upstream_received, &wanted);
  g_assert_false (pending.done);
  g_assert_cmpuint (cc_test_upstream_get_n_requests (fixture->upstream), ==, 0);

  cc_proxy_body_stream_push (upload, second);
  cc_proxy_body_stream_end (upload);
  cc_test_wait_for (pending_done, &pending);

  g_assert_cmpuint (soup_message_get_status (message), ==, 200);
  g_assert_cmpmem (g_bytes_get_data (pending.body, NULL), g_bytes_get_size (pending.body), sent->data, sent->len);
  g_bytes_unref (pending.body);
}

static void
test_client_gone_mid_upload (Fixture       *fixture,
                             gconstpointer  user_data)
{
  g_autoptr(CcProxyBodyStream) upload = cc_proxy_body_stream_new ();
  g_autoptr(SoupMessage) message = new_message (fixture, "POST", "/echo");
  g_autoptr(GBytes) first = g_bytes_new_take (g_malloc0 (65536), 65536);
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "client gave up");
  CcProxyEvent *last;
  Received wanted = { fixture->upstream, 65536 };

  /* A declared length: libsoup takes a chunked upload cut at a chunk
   * boundary for a complete one, on the server side as on the client.
   * No budget for holding bodies: this one streams. */
  cc_proxy_server_set_body_budget (fixture->server, 0);
  cc_proxy_body_stream_push (upload, first);
  soup_message_set_request_body (message, "application/octet-stream", G_INPUT_STREAM (upload), 2 * 65536);
  soup_session_send_async (fixture->client, message, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
  cc_test_wait_for (upstream_received, &wanted);

  /* The client dies with half its body sent. */
  cc_proxy_body_stream_fail (upload, error);
  soup_session_abort (fixture->client);

  cc_test_wait_for (last_event_is_terminal, fixture);
  last = g_ptr_array_index (fixture->events, fixture->events->len - 1);
  g_assert_cmpint (last->kind, ==, CC_PROXY_EVENT_PROXY_ERROR);
  /* The upstream never saw a complete request. */
  g_assert_cmpuint (cc_test_upstream_get_n_requests (fixture->upstream), ==, 0);
}

static void
test_keep_alive_upstream (Fixture       *fixture,
                          gconstpointer  user_data)
{
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(SoupMessage) message = new_message (fixture, "GET", "/v1/models");
      g_autoptr(GBytes) body = send_ok (fixture, message);

      g_assert_cmpuint (soup_message_get_status (message), ==, 200);
    }
  g_assert_cmpuint (cc_test_upstream_get_n_requests (fixture->upstream), ==, 3);
  g_assert_cmpuint (cc_test_upstream_get_n_connections (fixture->upstream), ==, 1);
}

static void
test_web_origin_refused (Fixture       *fixture,
                         gconstpointer  user_data)
{
  g_autoptr(SoupMessage) web = new_message (fixture, "POST", "/v1/messages");
  g_autoptr(SoupMessage) rebinding = new_message (fixture, "POST", "/v1/messages");
  g_autoptr(SoupMessage) sandboxed = new_message (fixture, "POST", "/v1/messages");
  g_autoptr(SoupMessage) preflight = new_message (fixture, "OPTIONS", "/v1/messages");
  g_autoptr(SoupMessage) local_tool = new_message (fixture, "POST", "/v1/messages");
  g_autoptr(GBytes) body1 = NULL;
  g_autoptr(GBytes) body2 = NULL;
  g_autoptr(GBytes) body3 = NULL;
  g_autoptr(GBytes) body4 = NULL;
  g_autoptr(GBytes) body5 = NULL;

  soup_message_headers_append (soup_message_get_request_headers (web), "Origin", "https://attacker.example");
  soup_message_headers_replace (soup_message_get_request_headers (rebinding), "Host", "attacker.example:3344");
  /* Sandboxed iframes and file: pages say "null": still web pages. */
  soup_message_headers_append (soup_message_get_request_headers (sandboxed), "Origin", "null");
  soup_message_headers_append (soup_message_get_request_headers (preflight), "Origin", "null");
  soup_message_headers_append (soup_message_get_request_headers (preflight), "Access-Control-Request-Method", "POST");

  body1 = send_ok (fixture, web);
  body2 = send_ok (fixture, rebinding);
  body3 = send_ok (fixture, local_tool);
  body4 = send_ok (fixture, sandboxed);
  body5 = send_ok (fixture, preflight);

  g_assert_cmpuint (soup_message_get_status (sandboxed), ==, 403);
  assert_error_body (body4, "permission_error", "web pages");
  g_assert_cmpuint (soup_message_get_status (preflight), ==, 403);
  g_assert_null (soup_message_headers_get_one (soup_message_get_response_headers (preflight), "Access-Control-Allow-Origin"));

  g_assert_cmpuint (soup_message_get_status (web), ==, 403);
  assert_error_body (body1, "permission_error", "web pages");
  g_assert_cmpuint (soup_message_get_status (rebinding), ==, 403);
  assert_error_body (body2, "permission_error", "loopback");
  g_assert_null (soup_message_headers_get_one (soup_message_get_response_headers (web), "Access-Control-Allow-Origin"));
  g_assert_cmpuint (soup_message_get_status (local_tool), ==, 200);
  g_assert_cmpuint (cc_test_upstream_get_n_requests (fixture->upstream), ==, 1);
}

static void
test_events_are_safe (Fixture       *fixture,
                      gconstpointer  user_data)
{
  static const char secret[] = "sk-secret-value-123456";
  g_autoptr(SoupMessage) message = new_message (fixture, "POST", "/v1/messages?key=sk-secret-value-123456");
  static const char request_text[] = "{\"model\": \"claude\", \"max_tokens\": 5, \"messages\": "
                                     "[{\"role\": \"user\", \"content\": \"my key is sk-secret-value-123456\"}]}";
  g_autoptr(GBytes) request = g_bytes_new_static (request_text, strlen (request_text));
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;
  static const CcProxyEventKind order[] = {
    CC_PROXY_EVENT_REQUEST_HEADERS, CC_PROXY_EVENT_REQUEST_BODY, CC_PROXY_EVENT_RESPONSE_HEADERS,
    CC_PROXY_EVENT_RESPONSE_COMPLETE, CC_PROXY_EVENT_RESPONSE_DONE,
  };

  cc_proxy_settings_set_value (cc_proxy_runtime_get_settings (fixture->runtime), "healthy", "token", secret, &error);
  g_assert_no_error (error);
  soup_message_headers_append (soup_message_get_request_headers (message), "x-api-key", "sk-ant-client-key");
  soup_message_headers_append (soup_message_get_request_headers (message), "x-echo", secret);
  set_body (message, "application/json", request);

  answer = send_ok (fixture, message);
  g_assert_cmpuint (soup_message_get_status (message), ==, 200);

  /* The upstream still gets everything as sent. */
  g_assert_true (g_bytes_equal (cc_test_upstream_get_request (fixture->upstream, 0)->body, request));
  /* The client can have its last byte before the relay sees the end. */
  cc_test_wait_for (last_event_is_terminal, fixture);

  g_assert_cmpuint (fixture->events->len, ==, G_N_ELEMENTS (order));
  for (guint i = 0; i < fixture->events->len; i++)
    {
      CcProxyEvent *event = g_ptr_array_index (fixture->events, i);
      g_autofree char *headers = event->headers ? g_strjoinv ("|", event->headers) : g_strdup ("");
      g_autofree char *body = event->body ? json_to_string (event->body, FALSE)
                              : event->raw_body ? g_strndup (g_bytes_get_data (event->raw_body, NULL),
                                                             g_bytes_get_size (event->raw_body))
                              : g_strdup ("");

      g_assert_cmpint (event->kind, ==, order[i]);
      g_assert_cmpuint (event->sequence, ==, i);
      g_assert_cmpstr (event->provider_id, ==, "anthropic");
      g_assert_cmpstr (event->path, ==, "/v1/messages");
      g_assert_null (strstr (headers, secret));
      g_assert_null (strstr (headers, "sk-ant-client-key"));
      g_assert_null (strstr (body, secret));
      g_assert_null (strstr (event->query, secret));
      if (event->kind == CC_PROXY_EVENT_REQUEST_HEADERS)
        g_assert_nonnull (strstr (headers, "x-echo|[redacted]"));
      /* The request body goes out as bytes, redacted, and is parsed by
       * the capture log on its own thread. */
      if (event->kind == CC_PROXY_EVENT_REQUEST_BODY)
        {
          g_assert_null (event->body);
          g_assert_false (event->body_truncated);
          g_assert_nonnull (strstr (body, "my key is [redacted]"));
        }
    }
}

/* ----- bounds ----- */

/* `{"messages":[[[[…` far deeper than json-glib's recursion survives. */
static GBytes *
deep_body (guint depth)
{
  GString *text = g_string_new ("{\"model\":\"claude-deep\",\"messages\":");

  for (guint i = 0; i < depth; i++)
    g_string_append_c (text, '[');
  for (guint i = 0; i < depth; i++)
    g_string_append_c (text, ']');
  g_string_append_c (text, '}');
  return g_string_free_to_bytes (text);
}

static void
test_deep_json_to_provider (Fixture       *fixture,
                            gconstpointer  user_data)
{
  g_autoptr(GBytes) body = deep_body (200000);
  g_autoptr(GBytes) request = cc_test_load_fixture ("anthropic-request-minimal.json");
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GBytes) next_answer = NULL;
  guint status;

  use_provider (fixture, "healthy");
  answer = post (fixture, "/healthy/echo", "application/json", body, &status);
  g_assert_cmpuint (status, ==, 400);
  assert_error_body (answer, "invalid_request_error",
                     "The request body nests arrays and objects more than 128 levels deep");

  /* The daemon is still there, and serves the next request. */
  next_answer = post (fixture, "/healthy/echo", "application/json", request, &status);
  g_assert_cmpuint (status, ==, 200);
}

/* The passthrough forwards any body; observing it must not parse it
 * into a stack overflow, here or in the capture log's formatting. */
static void
test_deep_json_passthrough (Fixture       *fixture,
                            gconstpointer  user_data)
{
  g_autoptr(SoupMessage) deep = new_message (fixture, "POST", "/v1/messages");
  g_autoptr(GBytes) body = deep_body (200000);
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  gboolean captured = FALSE;

  set_body (deep, "application/json", body);
  answer = send_ok (fixture, deep);
  g_assert_cmpuint (soup_message_get_status (deep), ==, 200);
  g_assert_true (g_bytes_equal (cc_test_upstream_get_request (fixture->upstream, 0)->body, body));

  cc_test_wait_for (last_event_is_terminal, fixture);
  for (guint i = 0; i < fixture->events->len; i++)
    {
      CcProxyEvent *event = g_ptr_array_index (fixture->events, i);
      g_autofree char *day = NULL;
      g_autofree char *line = cc_proxy_capture_log_format_event (event, utc, &day);

      g_assert_cmpstr (event->model, ==, "claude-deep");
      if (event->kind == CC_PROXY_EVENT_REQUEST_BODY)
        {
          /* Kept as text: it is not JSON the log can parse. */
          g_assert_nonnull (strstr (line, "\"body_text\":\"{\\\"model\\\":\\\"claude-deep\\\""));
          g_assert_null (strstr (line, "\"body\":"));
          captured = TRUE;
        }
    }
  g_assert_true (captured);
}

/* json-glib 1.6 takes comments and single-quoted strings: a bracket,
 * then a comment holding its closing bracket, repeated, nests a level
 * per unit for json-glib while a byte scan saw none, and a single-quoted
 * double quote hid the rest from it. Text from either side is read
 * strictly before json-glib sees it. */
static char *
comment_bomb (const char *prefix,
              const char *unit,
              const char *suffix)
{
  GString *text = g_string_new (prefix);

  for (guint i = 0; i < 80000; i++)
    g_string_append (text, unit);
  g_string_append (text, suffix);
  return g_string_free (text, FALSE);
}

static void
test_comment_bomb_to_provider (Fixture       *fixture,
                               gconstpointer  user_data)
{
  static const char * const units[] = { "[/*]*/", "['\"'," };
  g_autoptr(GBytes) request = cc_test_load_fixture ("anthropic-request-minimal.json");
  g_autoptr(GBytes) next_answer = NULL;
  guint status;

  use_provider (fixture, "healthy");
  for (guint i = 0; i < G_N_ELEMENTS (units); i++)
    {
      g_autofree char *text = comment_bomb ("{\"model\":\"claude-bomb\",\"messages\":", units[i], "}");
      g_autoptr(GBytes) body = g_bytes_new_take (g_steal_pointer (&text), strlen (text));
      g_autoptr(GBytes) answer = post (fixture, "/healthy/echo", "application/json", body, &status);

      g_assert_cmpuint (status, ==, 400);
      assert_error_body (answer, "invalid_request_error",
                         "The request body is not valid JSON: Not valid JSON (RFC 8259) at byte 35");
    }
  next_answer = post (fixture, "/healthy/echo", "application/json", request, &status);
  g_assert_cmpuint (status, ==, 200);
}

/* The same from the upstream: a JSON answer and a stream's message_delta
 * relayed, observed and captured without a crash. */
static void
test_comment_bomb_from_upstream (Fixture       *fixture,
                                 gconstpointer  user_data)
{
  g_autofree char *json = comment_bomb ("{\"type\":\"message\",\"content\":", "[/*]*/", "}");
  g_autofree char *delta = comment_bomb ("event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":",
                                         "[/*]*/", "}\n\n");
  const char *chunks[] = {
    "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"x\",\"content\":[]}}\n\n",
    delta, "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n", NULL,
  };
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr(GBytes) request = cc_test_load_fixture ("anthropic-request-minimal.json");

  cc_test_upstream_respond (fixture->upstream, "/v1/messages", 200, "application/json", json, -1);
  cc_test_upstream_stream (fixture->upstream, "/v1/stream", chunks, G_MAXUINT, FALSE);
  for (guint i = 0; i < 2; i++)
    {
      guint status;
      g_autoptr(GBytes) answer = post (fixture, i == 0 ? "/v1/messages" : "/v1/stream", "application/json",
                                       request, &status);

      g_assert_cmpuint (status, ==, 200);
      g_assert_cmpuint (g_bytes_get_size (answer), ==, i == 0 ? strlen (json)
                                                               : strlen (chunks[0]) + strlen (chunks[1]) + strlen (chunks[2]));
    }

  cc_test_wait_for (last_event_is_terminal, fixture);
  for (guint i = 0; i < fixture->events->len; i++)
    {
      g_autofree char *day = NULL;
      g_autofree char *line = cc_proxy_capture_log_format_event (g_ptr_array_index (fixture->events, i), utc, &day);

      g_assert_true (cc_proxy_json_validate (line, strlen (line), CC_PROXY_JSON_MAX_DEPTH, NULL));
    }
}

static GBytes *
filled (gsize size)
{
  return g_bytes_new_take (memset (g_malloc (size), 'x', size), size);
}

static void
test_body_too_large (Fixture       *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(SoupMessage) declared = new_message (fixture, "POST", "/v1/messages");
  g_autoptr(SoupMessage) chunked = new_message (fixture, "POST", "/v1/messages");
  g_autoptr(SoupMessage) provider = new_message (fixture, "POST", "/healthy/echo");
  g_autoptr(SoupMessage) fits = new_message (fixture, "POST", "/v1/messages");
  g_autoptr(GBytes) big = filled (2 * 1024 * 1024);
  g_autoptr(GBytes) small = filled (512 * 1024);
  g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_bytes (big);
  g_autoptr(GBytes) answer1 = NULL;
  g_autoptr(GBytes) answer2 = NULL;
  g_autoptr(GBytes) answer3 = NULL;
  g_autoptr(GBytes) answer4 = NULL;

  cc_proxy_server_set_limits (fixture->server, 1024 * 1024, 16, 60);

  /* A declared length over the cap is refused before the body is read. */
  set_body (declared, "application/json", big);
  answer1 = send_ok (fixture, declared);
  g_assert_cmpuint (soup_message_get_status (declared), ==, 413);
  assert_error_body (answer1, "request_too_large", "larger than 1 MiB");

  /* The same for a provider's route. */
  use_provider (fixture, "healthy");
  set_body (provider, "application/json", big);
  answer3 = send_ok (fixture, provider);
  g_assert_cmpuint (soup_message_get_status (provider), ==, 413);
  g_assert_cmpuint (cc_test_upstream_get_n_requests (fixture->upstream), ==, 0);
  use_provider (fixture, "anthropic");

  /* A chunked body is counted as it arrives; the part already sent
   * upstream is cut off there. (libsoup's server, the mock, takes a
   * chunked body cut at a chunk boundary for a whole one, so the
   * upstream's count is not asserted here.) */
  soup_message_set_request_body (chunked, "application/json", stream, -1);
  answer2 = send_ok (fixture, chunked);
  g_assert_cmpuint (soup_message_get_status (chunked), ==, 413);
  assert_error_body (answer2, "request_too_large", "larger than 1 MiB");


  /* Below the cap, all is as before. */
  set_body (fits, "application/octet-stream", small);
  answer4 = send_ok (fixture, fits);
  g_assert_cmpuint (soup_message_get_status (fits), ==, 200);
  g_assert_true (g_bytes_equal (cc_test_upstream_get_request (fixture->upstream,
                                                              cc_test_upstream_get_n_requests (fixture->upstream) - 1)->body,
                                small));
}

/* Listeners get at most their limit of each body, marked as cut. */
static void
test_capture_prefix (Fixture       *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(SoupMessage) message = new_message (fixture, "POST", "/v1/messages");
  g_autoptr(GBytes) request = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  gsize limit = 100;
  guint seen = 0;

  /* Held whole; or (user_data) streamed upstream as it arrives, past a
   * limit larger than the first bytes always kept for the model. */
  if (user_data != NULL)
    {
      g_autofree char *text = cc_test_agent_body ("claude-sonnet-4-5", FALSE);
      g_autofree char *pad = g_strnfill (200000, 'x');
      g_autofree char *padded = g_strdup_printf ("{\"pad\":\"%s\",%s", pad, text + 1);

      limit = 70000;
      request = g_bytes_new (padded, strlen (padded));
      cc_proxy_server_set_body_budget (fixture->server, 0);
    }
  else
    request = cc_test_load_fixture ("anthropic-request-agent.json");
  cc_proxy_event_sink_set_body_limit (fixture->sink, limit);
  set_body (message, "application/json", request);
  answer = send_ok (fixture, message);
  g_assert_cmpuint (soup_message_get_status (message), ==, 200);
  /* The upstream still got all of it. */
  g_assert_true (g_bytes_equal (cc_test_upstream_get_request (fixture->upstream, 0)->body, request));

  cc_test_wait_for (last_event_is_terminal, fixture);
  for (guint i = 0; i < fixture->events->len; i++)
    {
      CcProxyEvent *event = g_ptr_array_index (fixture->events, i);
      g_autofree char *day = NULL;
      g_autofree char *line = NULL;

      if (event->kind != CC_PROXY_EVENT_REQUEST_BODY)
        continue;
      g_assert_nonnull (event->raw_body);
      g_assert_cmpuint (g_bytes_get_size (event->raw_body), ==, limit);
      g_assert_true (event->body_truncated);
      g_assert_cmpmem (g_bytes_get_data (event->raw_body, NULL), limit, g_bytes_get_data (request, NULL), limit);
      line = cc_proxy_capture_log_format_event (event, utc, &day);
      g_assert_nonnull (strstr (line, "\"body_truncated\":true"));
      g_assert_nonnull (strstr (line, "\"body_text\":\"{"));
      seen++;
    }
  g_assert_cmpuint (seen, ==, 1);
}

/* A long conversation's request is hundreds of KB: held whole, it goes
 * on the pooled upstream connection (streamed, each took a new one: a
 * TCP and TLS handshake per request against the real API). Over the
 * budget, a body streams. */
static void
post_large (Fixture *fixture,
            GBytes  *large,
            guint    times)
{
  for (guint i = 0; i < times; i++)
    {
      guint status;
      g_autoptr(GBytes) answer = post (fixture, "/v1/messages", "application/octet-stream", large, &status);

      g_assert_cmpuint (status, ==, 200);
    }
}

static void
test_large_posts_reuse_connections (Fixture       *fixture,
                                    gconstpointer  user_data)
{
  g_autoptr(GBytes) large = filled (500 * 1024);

  post_large (fixture, large, 10);
  g_assert_true (g_bytes_equal (cc_test_upstream_get_request (fixture->upstream, 9)->body, large));
  g_assert_cmpuint (cc_test_upstream_get_n_connections (fixture->upstream), ==, 1);

  cc_proxy_server_set_body_budget (fixture->server, 100 * 1024);
  post_large (fixture, large, 2);
  g_assert_cmpuint (cc_test_upstream_get_n_connections (fixture->upstream), ==, 3);
}

/* What the proxy speaks to an upstream that offers HTTP/2: HTTP/1.1
 * with libsoup's HTTP/2 client of before 3.7.1 (see
 * cc_proxy_server_get_upstream_http2()). */
static const char *
upstream_protocol (void)
{
  return cc_proxy_server_get_upstream_http2 () ? "HTTP/2.0" : "HTTP/1.1";
}

/* A long conversation against an HTTP/2 upstream: every request on
 * the one pooled connection (each streamed body once took a new TLS
 * connection, and libsoup 3.2's HTTP/2 client crashed on them). */
static void
test_http2_large_posts_pooled (Fixture       *fixture,
                               gconstpointer  user_data)
{
  g_autoptr(GBytes) large = filled (500 * 1024);
  guint requests = 0;
  guint64 opened = 0;

  post_large (fixture, large, 100);
  g_assert_cmpuint (cc_test_upstream_get_n_requests (fixture->upstream), ==, 100);
  g_assert_true (g_bytes_equal (cc_test_upstream_get_request (fixture->upstream, 99)->body, large));
  g_assert_cmpuint (cc_test_tls_front_count_connections (fixture->front, upstream_protocol (), &requests), <=, 2);
  g_assert_cmpuint (requests, ==, 100);
  cc_proxy_server_get_counters (fixture->server, NULL, NULL, NULL, &opened);
  g_assert_cmpuint (opened, <=, 2);
}

/* Over the budget a body streams to the HTTP/2 upstream: each is
 * answered, none crashes the proxy. */
static void
test_http2_streamed_posts (Fixture       *fixture,
                           gconstpointer  user_data)
{
  g_autoptr(GBytes) large = filled (300 * 1024);
  guint requests = 0;

  cc_proxy_server_set_body_budget (fixture->server, 0);
  post_large (fixture, large, 20);
  g_assert_cmpuint (cc_test_upstream_get_n_requests (fixture->upstream), ==, 20);
  g_assert_true (g_bytes_equal (cc_test_upstream_get_request (fixture->upstream, 19)->body, large));
  cc_test_tls_front_count_connections (fixture->front, upstream_protocol (), &requests);
  g_assert_cmpuint (requests, ==, 20);
}

/* libsoup puts a POST on an idle connection only when it may resend it. */
static void
test_post_reuses_connections (Fixture       *fixture,
                              gconstpointer  user_data)
{
  g_autoptr(GBytes) request = cc_test_load_fixture ("anthropic-request-agent.json");
  guint64 opened = 0;

  for (guint i = 0; i < 20; i++)
    {
      g_autoptr(SoupMessage) message = new_message (fixture, "POST", "/v1/messages");
      g_autoptr(GBytes) body = NULL;

      set_body (message, "application/json", request);
      body = send_ok (fixture, message);
      g_assert_cmpuint (soup_message_get_status (message), ==, 200);
    }
  g_assert_cmpuint (cc_test_upstream_get_n_requests (fixture->upstream), ==, 20);
  g_assert_cmpuint (cc_test_upstream_get_n_connections (fixture->upstream), ==, 1);
  cc_proxy_server_get_counters (fixture->server, NULL, NULL, NULL, &opened);
  g_assert_cmpuint (opened, ==, 1);
}

typedef struct
{
  Fixture *fixture;
  guint    n;
} Count;

static gboolean
all_held (gpointer user_data)
{
  Count *count = user_data;

  return cc_test_upstream_get_n_held (count->fixture->upstream) >= count->n;
}

static gboolean
all_done (gpointer user_data)
{
  Count *count = user_data;
  guint active;

  cc_proxy_server_get_counters (count->fixture->server, NULL, &active, NULL, NULL);
  return active == 0;
}

static void
on_stream_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);
  guint *finished = user_data;

  if (body != NULL && g_bytes_get_size (body) > 0)
    (*finished)++;
}

/* 256 streams run side by side: none waits for another's connection. */
static void
test_concurrent_streams (Fixture       *fixture,
                         gconstpointer  user_data)
{
  g_autoptr(GBytes) fixture_stream = cc_test_load_fixture ("anthropic-stream-text.sse");
  g_auto(GStrv) chunks = split_events (fixture_stream);
  g_autoptr(SoupSession) client = soup_session_new_with_options ("timeout", 30, "max-conns", 600,
                                                                 "max-conns-per-host", 300, NULL);
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func (g_object_unref);
  Count count = { fixture, 256 };
  guint finished = 0;

  cc_test_upstream_stream (fixture->upstream, "/v1/messages", (const char * const *) chunks, 1, FALSE);
  for (guint i = 0; i < count.n; i++)
    {
      SoupMessage *message = new_message (fixture, "POST", "/v1/messages");

      g_ptr_array_add (messages, message);
      soup_session_send_and_read_async (client, message, G_PRIORITY_DEFAULT, NULL, on_stream_done, &finished);
    }
  /* Every stream has begun upstream while all of them are held. */
  cc_test_wait_for (all_held, &count);
  g_assert_cmpuint (cc_test_upstream_get_n_held (fixture->upstream), ==, count.n);

  cc_test_upstream_release (fixture->upstream);
  cc_test_wait_for (all_done, &count);
  while (finished < count.n)
    g_main_context_iteration (NULL, TRUE);
  soup_session_abort (client);
}

/* Requests libsoup refuses itself are counted out too. */
static void
test_counters_after_malformed (Fixture       *fixture,
                               gconstpointer  user_data)
{
  static const char * const garbage[] = {
    "NOT A REQUEST LINE\r\n\r\n",
    "GET / HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n",
    "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: nope\r\n\r\n",
  };
  g_autoptr(GUri) uri = g_uri_parse (cc_proxy_server_get_url (fixture->server), G_URI_FLAGS_NONE, NULL);
  Count count = { fixture, 0 };
  guint64 total = 0;

  for (guint i = 0; i < G_N_ELEMENTS (garbage); i++)
    {
      g_autoptr(GSocketClient) socket_client = g_socket_client_new ();
      g_autoptr(GSocketConnection) connection = NULL;
      g_autoptr(GError) error = NULL;
      char reply[256] = { 0 };

      connection = g_socket_client_connect_to_host (socket_client, g_uri_get_host (uri), g_uri_get_port (uri),
                                                    NULL, &error);
      g_assert_no_error (error);
      g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                                 garbage[i], strlen (garbage[i]), NULL, NULL, &error);
      g_assert_no_error (error);
      /* libsoup answers an error status and closes. */
      g_input_stream_read_all_async (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                                     reply, sizeof reply - 1, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
      cc_test_drain (100);
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
    }
  cc_test_wait_for (all_done, &count);
  cc_proxy_server_get_counters (fixture->server, &total, NULL, NULL, NULL);
  g_assert_cmpuint (total, >=, G_N_ELEMENTS (garbage));
}

static gboolean
connection_closed (gpointer user_data)
{
  return *(gboolean *) user_data;
}

static void
on_closed_read (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);

  /* End of file (or a reset): the server let go of the connection. */
  *(gboolean *) user_data = n <= 0;
}

/* A connection that never sends a request head is closed. */
static void
test_client_timeout (Fixture       *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(GUri) uri = g_uri_parse (cc_proxy_server_get_url (fixture->server), G_URI_FLAGS_NONE, NULL);
  g_autoptr(GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  /* Half a request head; or (user_data) a whole head and the start of
   * a body, held whole or (user_data "stream") streamed upstream. */
  static const char partial[] = "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  static const char partial_body[] = "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                     "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"model\":";
  const char *sent = user_data != NULL ? partial_body : partial;
  char byte;
  gboolean closed = FALSE;
  Count count = { fixture, 0 };

  cc_proxy_server_set_limits (fixture->server, 1024 * 1024, 16, 1);
  if (g_strcmp0 (user_data, "stream") == 0)
    cc_proxy_server_set_body_budget (fixture->server, 0);
  connection = g_socket_client_connect_to_host (socket_client, g_uri_get_host (uri), g_uri_get_port (uri),
                                                NULL, &error);
  g_assert_no_error (error);
  /* Then silence. */
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                             sent, strlen (sent), NULL, NULL, &error);
  g_assert_no_error (error);
  g_input_stream_read_async (g_io_stream_get_input_stream (G_IO_STREAM (connection)), &byte, 1,
                             G_PRIORITY_DEFAULT, NULL, on_closed_read, &closed);
  cc_test_wait_for (connection_closed, &closed);
  cc_test_wait_for (all_done, &count);
}

/* ----- client connections ----- */

static gboolean
accepting (gpointer user_data)
{
  Fixture *fixture = user_data;

  return cc_proxy_server_is_accepting (fixture->server);
}

static gboolean
not_accepting (gpointer user_data)
{
  return !accepting (user_data);
}

/* Out of descriptors, the server stops accepting and says so (then
 * cc-proxyd feeds no watchdog); once one is free it says it accepts
 * again, by itself, before any client comes. Both ends of each
 * connection are in this process: clients take every descriptor left
 * under a lowered limit, then the server tries to accept them. */
static void
test_out_of_descriptors (Fixture       *fixture,
                         gconstpointer  user_data)
{
  g_autoptr(GUri) uri = g_uri_parse (cc_proxy_server_get_url (fixture->server), G_URI_FLAGS_NONE, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, g_uri_get_port (uri));
  g_autoptr(GPtrArray) clients = g_ptr_array_new_with_free_func (g_object_unref);
  struct rlimit saved, tight;

  g_assert_true (accepting (fixture));
  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &saved), ==, 0);
  tight = saved;
  tight.rlim_cur = cc_test_process_count_fds ("self") + 16;
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &tight), ==, 0);
  for (;;)
    {
      g_autoptr(GSocket) client = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                                NULL);

      if (client == NULL)
        break;
      g_assert_true (g_socket_connect (client, address, NULL, NULL));
      g_ptr_array_add (clients, g_steal_pointer (&client));
    }
  cc_test_wait_for (not_accepting, fixture);

  g_ptr_array_set_size (clients, 0);
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &saved), ==, 0);
  cc_test_wait_for (accepting, fixture);
}

static gboolean
no_client_connections (gpointer user_data)
{
  Fixture *fixture = user_data;
  guint open;

  cc_proxy_server_get_clients (fixture->server, &open, NULL);
  return open == 0;
}

static GSocketConnection *
connect_to_server (Fixture *fixture)
{
  return cc_test_connect (cc_proxy_server_get_url (fixture->server));
}

/* Every way a client can close its connection, and libsoup 3.2 kept
 * some open for ever (an answered, kept-alive one above all): each
 * must be let go, however many come one after another. */
static void
test_connections_closed_when_clients_close (Fixture       *fixture,
                                            gconstpointer  user_data)
{
  static const char request[] = "GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  Count count = { fixture, 0 };
  guint max;

  cc_test_upstream_respond (fixture->upstream, "/v1/models", 200, "application/json", "{\"data\":[]}", -1);
  cc_proxy_server_get_clients (fixture->server, NULL, &max);
  g_assert_cmpuint (max, >, 0);

  for (guint i = 0; i < 200; i++)
    {
      g_autoptr(GSocketConnection) connection = connect_to_server (fixture);

      switch (i % 4)
        {
        case 0: /* answered, kept alive, then closed: the common case */
        case 1:
          {
            g_autofree char *answer = NULL;

            cc_test_send_raw (connection, request);
            answer = cc_test_read_answer (connection);
            g_assert_true (g_str_has_prefix (answer, "HTTP/1.1 200 "));
            if (i % 4 == 1)
              {
                /* Two in a row on one connection. */
                g_free (answer);
                cc_test_send_raw (connection, request);
                answer = cc_test_read_answer (connection);
                g_assert_true (g_str_has_prefix (answer, "HTTP/1.1 200 "));
              }
          }
          break;
        case 2: /* half a request head */
          cc_test_send_raw (connection, "GET /v1/models HTTP/1.1\r\nHo");
          break;
        case 3: /* nothing at all */
          break;
        }
      cc_test_drain (1);
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
    }

  cc_test_wait_for (no_client_connections, fixture);
  cc_test_wait_for (all_done, &count);
}

static void
on_end_read (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* 0: the server closed it. */
  *(gboolean *) user_data = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error) == 0;
}

/* A kept-alive connection that sends nothing more is closed after the
 * client timeout, as one that never sends a head is. */
static void
test_idle_connection_times_out (Fixture       *fixture,
                                gconstpointer  user_data)
{
  g_autoptr(GSocketConnection) connection = NULL;
  g_autofree char *answer = NULL;
  gboolean closed = FALSE;
  char byte;

  cc_proxy_server_set_limits (fixture->server, 1024 * 1024, 16, 1);
  cc_test_upstream_respond (fixture->upstream, "/v1/models", 200, "application/json", "{\"data\":[]}", -1);
  connection = connect_to_server (fixture);
  cc_test_send_raw (connection, "GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  answer = cc_test_read_answer (connection);
  g_assert_true (g_str_has_prefix (answer, "HTTP/1.1 200 "));

  g_input_stream_read_async (g_io_stream_get_input_stream (G_IO_STREAM (connection)), &byte, 1,
                             G_PRIORITY_DEFAULT, NULL, on_end_read, &closed);
  cc_test_wait_for (connection_closed, &closed);
  cc_test_wait_for (no_client_connections, fixture);
}

/* The client leaving stops a provider's work at once, not at the
 * deadline. */
static void
test_client_gone_cancels_provider (Fixture       *fixture,
                                   gconstpointer  user_data)
{
  g_autoptr(SoupMessage) message = new_message (fixture, "POST", "/v1/messages");
  g_autoptr(GBytes) request = cc_test_load_fixture ("anthropic-request-minimal.json");
  Count count = { fixture, 0 };
  CcProxyEvent *last;

  cc_proxy_server_set_deadline (fixture->server, 600);
  use_provider (fixture, "hanging");
  set_body (message, "application/json", request);
  soup_session_send_async (fixture->client, message, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
  while (fixture->events->len == 0)
    g_main_context_iteration (NULL, TRUE);
  cc_test_drain (50);

  soup_session_abort (fixture->client);
  cc_test_wait_for (last_event_is_terminal, fixture);
  last = g_ptr_array_index (fixture->events, fixture->events->len - 1);
  g_assert_cmpint (last->kind, ==, CC_PROXY_EVENT_PROXY_ERROR);
  g_assert_null (strstr (last->message, "did not answer within"));
  cc_test_wait_for (all_done, &count);
}

/* ----- the dispatch boundary ----- */

/* A provider's own stream is observed like a relayed one. */
static void
test_provider_own_stream_observed (Fixture       *fixture,
                                   gconstpointer  user_data)
{
  g_autoptr(SoupMessage) message = new_message (fixture, "GET", "/healthy/own-stream");
  g_autoptr(GBytes) answer = NULL;
  g_autofree char *text = NULL;
  CcProxyEvent *last;
  CcProxyEvent *complete = NULL;
  JsonObject *usage;

  use_provider (fixture, "healthy");
  text = send_for_text (fixture, message, &answer);
  g_assert_cmpuint (soup_message_get_status (message), ==, 200);
  g_assert_true (g_str_has_suffix (text, "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"));

  cc_test_wait_for (last_event_is_terminal, fixture);
  last = g_ptr_array_index (fixture->events, fixture->events->len - 1);
  g_assert_cmpint (last->kind, ==, CC_PROXY_EVENT_RESPONSE_DONE);
  g_assert_cmpstr (last->stop_reason, ==, "end_turn");
  g_assert_nonnull (last->usage);
  usage = json_node_get_object (last->usage);
  g_assert_cmpint (json_object_get_int_member (usage, "input_tokens"), ==, 7);
  g_assert_cmpint (json_object_get_int_member (usage, "output_tokens"), ==, 3);

  /* The bytes that went out reach the listeners whole, as a stream, for
   * the capture log to assemble the message from. */
  for (guint i = 0; i < fixture->events->len; i++)
    {
      CcProxyEvent *event = g_ptr_array_index (fixture->events, i);

      if (event->kind != CC_PROXY_EVENT_RESPONSE_COMPLETE)
        continue;
      g_assert_null (complete);
      complete = event;
    }
  g_assert_nonnull (complete);
  g_assert_true (complete->raw_is_stream);
  g_assert_false (complete->body_truncated);
  g_assert_nonnull (complete->raw_body);
  g_assert_cmpmem (g_bytes_get_data (complete->raw_body, NULL), g_bytes_get_size (complete->raw_body),
                   text, strlen (text));
}

/* So is a whole JSON answer it writes. */
static void
test_provider_own_json_observed (Fixture       *fixture,
                                 gconstpointer  user_data)
{
  g_autoptr(SoupMessage) message = new_message (fixture, "GET", "/healthy/own-json");
  g_autoptr(GBytes) answer = NULL;
  CcProxyEvent *last;
  JsonObject *usage;

  use_provider (fixture, "healthy");
  answer = send_ok (fixture, message);
  g_assert_cmpuint (g_bytes_get_size (answer), >, 0);

  cc_test_wait_for (last_event_is_terminal, fixture);
  last = g_ptr_array_index (fixture->events, fixture->events->len - 1);
  g_assert_cmpint (last->kind, ==, CC_PROXY_EVENT_RESPONSE_DONE);
  g_assert_cmpstr (last->stop_reason, ==, "max_tokens");
  g_assert_nonnull (last->usage);
  usage = json_node_get_object (last->usage);
  g_assert_cmpint (json_object_get_int_member (usage, "input_tokens"), ==, 11);
  g_assert_cmpint (json_object_get_int_member (usage, "output_tokens"), ==, 5);
}

static void
test_provider_handles (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autoptr(SoupMessage) message = new_message (fixture, "POST", "/healthy/echo?x=1");
  g_autoptr(GBytes) request = cc_test_load_fixture ("anthropic-request-minimal.json");
  g_autoptr(GBytes) answer = NULL;
  static const char expected[] = "{\"provider\":\"healthy\",\"path\":\"/healthy/echo\",\"query\":\"x=1\","
                                 "\"mode\":\"alpha\",\"model\":\"claude-sonnet-4\"}";

  use_provider (fixture, "healthy");
  set_body (message, "application/json", request);
  answer = send_ok (fixture, message);

  g_assert_cmpuint (soup_message_get_status (message), ==, 200);
  g_assert_cmpmem (g_bytes_get_data (answer, NULL), g_bytes_get_size (answer), expected, strlen (expected));
  g_assert_cmpuint (cc_test_upstream_get_n_requests (fixture->upstream), ==, 0);
}

static void
test_bad_json_rejected (Fixture       *fixture,
                        gconstpointer  user_data)
{
  static const char * const bodies[] = { "{\"model\": ", "[1, 2]", "" };
  static const char * const messages[] = { "The request body is not valid JSON", "must be a JSON object",
                                           "The request body is empty: send a JSON object" };

  use_provider (fixture, "healthy");
  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr(SoupMessage) message = new_message (fixture, "POST", "/healthy/echo");
      g_autoptr(GBytes) request = g_bytes_new_static (bodies[i], strlen (bodies[i]));
      g_autoptr(GBytes) answer = NULL;
      CcProxyEvent *last;

      set_body (message, "application/json", request);
      answer = send_ok (fixture, message);
      g_assert_cmpuint (soup_message_get_status (message), ==, 400);
      assert_error_body (answer, "invalid_request_error", messages[i]);

      last = g_ptr_array_index (fixture->events, fixture->events->len - 1);
      g_assert_cmpint (last->kind, ==, CC_PROXY_EVENT_ERROR);
      g_assert_cmpuint (last->status, ==, 400);
    }
}

static void
test_wrong_method (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(SoupMessage) message = new_message (fixture, "GET", "/healthy/echo");
  g_autoptr(GBytes) answer = NULL;

  use_provider (fixture, "healthy");
  answer = send_ok (fixture, message);
  g_assert_cmpuint (soup_message_get_status (message), ==, 405);
  g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (message), "Allow"), ==, "POST");
  assert_error_body (answer, "invalid_request_error", "GET is not allowed on /healthy/echo; use POST");
}

/* "Not handled" goes to the anthropic upstream, never to the plugin's
 * own host: the client's Anthropic key must not leak there. */
static void
test_not_handled_forwards_to_anthropic (Fixture       *fixture,
                                        gconstpointer  user_data)
{
  g_autoptr(SoupMessage) message = new_message (fixture, "POST", "/v1/messages?beta=true");
  g_autoptr(GBytes) request = cc_test_load_fixture ("anthropic-request-minimal.json");
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;

  use_provider (fixture, "nothandled");
  cc_proxy_settings_set_value (cc_proxy_runtime_get_settings (fixture->runtime), "nothandled", "base-url",
                              cc_test_upstream_get_url (fixture->plugin_upstream), &error);
  g_assert_no_error (error);
  soup_message_headers_append (soup_message_get_request_headers (message), "x-api-key", "sk-ant-client");
  set_body (message, "application/json", request);

  answer = send_ok (fixture, message);
  g_assert_cmpuint (soup_message_get_status (message), ==, 200);
  g_assert_cmpuint (cc_test_upstream_get_n_requests (fixture->plugin_upstream), ==, 0);
  g_assert_cmpuint (cc_test_upstream_get_n_requests (fixture->upstream), ==, 1);
  g_assert_cmpstr (cc_test_upstream_get_request (fixture->upstream, 0)->query, ==, "beta=true");
}

static void
test_provider_error_is_502 (Fixture       *fixture,
                            gconstpointer  user_data)
{
  g_autoptr(SoupMessage) message = new_message (fixture, "POST", "/v1/messages");
  g_autoptr(GBytes) answer = NULL;
  g_autofree char *text = NULL;
  CcProxyEvent *last;

  use_provider (fixture, "failing");
  text = send_for_text (fixture, message, &answer);

  g_assert_cmpuint (soup_message_get_status (message), ==, 502);
  assert_error_body (answer, "api_error", "The failing provider failed to handle this request");
  g_assert_null (strstr (text, "0xdeadbeef"));
  last = g_ptr_array_index (fixture->events, fixture->events->len - 1);
  g_assert_cmpint (last->kind, ==, CC_PROXY_EVENT_PROXY_ERROR);
  g_assert_cmpuint (cc_test_upstream_get_n_requests (fixture->upstream), ==, 0);
}

static void
test_provider_deadline (Fixture       *fixture,
                        gconstpointer  user_data)
{
  g_autoptr(SoupMessage) hung = new_message (fixture, "POST", "/v1/messages");
  g_autoptr(GBytes) answer = NULL;

  use_provider (fixture, "hanging");
  answer = send_ok (fixture, hung);
  g_assert_cmpuint (soup_message_get_status (hung), ==, 502);
  assert_error_body (answer, "api_error", "The hanging provider did not answer within 1 seconds");

  /* Other requests are unaffected. */
  {
    g_autoptr(SoupMessage) other = new_message (fixture, "GET", "/v1/models");
    g_autoptr(GBytes) body = send_ok (fixture, other);

    g_assert_cmpuint (soup_message_get_status (other), ==, 200);
  }
}

static void
test_provider_fails_after_start (Fixture       *fixture,
                                 gconstpointer  user_data)
{
  g_autoptr(SoupMessage) message = new_message (fixture, "GET", "/healthy/stream-fail");
  g_autoptr(GBytes) answer = NULL;
  g_autofree char *text = NULL;

  use_provider (fixture, "healthy");
  text = send_for_text (fixture, message, &answer);

  g_assert_cmpuint (soup_message_get_status (message), ==, 200);
  g_assert_cmpstr (text, ==,
                   "event: ping\ndata: {\"type\": \"ping\"}\n\n"
                   "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\","
                   "\"message\":\"The healthy provider failed to handle this request\"}}\n\n");
  /* Never forwarded a second time. */
  g_assert_cmpuint (cc_test_upstream_get_n_requests (fixture->upstream), ==, 0);
}

/* A provider that fails in the middle of a JSON answer: the client must
 * see the answer break, not a short body that looks complete. */
static void
test_provider_fails_mid_json (Fixture       *fixture,
                              gconstpointer  user_data)
{
  g_autoptr(GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GString) raw = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) uri = g_uri_parse (cc_proxy_server_get_url (fixture->server), G_URI_FLAGS_NONE, NULL);
  static const char request[] = "GET /healthy/json-fail HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  CcProxyEvent *last;

  use_provider (fixture, "healthy");
  /* Raw bytes: libsoup's client would take a close between chunks for a
   * complete body; curl and Node's undici do not. */
  connection = g_socket_client_connect_to_host (socket_client, "127.0.0.1", g_uri_get_port (uri), NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), request, strlen (request),
                             NULL, NULL, &error);
  g_assert_no_error (error);
  cc_test_read_to_end (g_io_stream_get_input_stream (G_IO_STREAM (connection)), raw);

  g_assert_true (g_str_has_prefix (raw->str, "HTTP/1.1 200 OK\r\n"));
  g_assert_nonnull (strstr (raw->str, "{\"partial\": "));
  g_assert_false (g_str_has_suffix (raw->str, "0\r\n\r\n"));

  cc_test_wait_for (last_event_is_terminal, fixture);
  last = g_ptr_array_index (fixture->events, fixture->events->len - 1);
  g_assert_cmpint (last->kind, ==, CC_PROXY_EVENT_ERROR);
  /* The status the client got. */
  g_assert_cmpuint (last->status, ==, 200);
  g_assert_cmpuint (cc_test_upstream_get_n_requests (fixture->upstream), ==, 0);
}

static void
test_not_handled_after_start_is_a_bug (Fixture       *fixture,
                                       gconstpointer  user_data)
{
  g_autoptr(SoupMessage) message = new_message (fixture, "GET", "/healthy/bug");
  g_autoptr(GBytes) answer = NULL;

  use_provider (fixture, "healthy");
  answer = send_ok (fixture, message);

  g_assert_cmpuint (soup_message_get_status (message), ==, 502);
  assert_error_body (answer, "api_error", "answered “not handled” after it had started the response");
  g_assert_cmpuint (cc_test_upstream_get_n_requests (fixture->upstream), ==, 0);
  g_assert_cmpstr (g_hash_table_lookup (cc_proxy_registry_get_load_errors (registry), "healthy"), ==,
                   "The healthy provider answered “not handled” after it had started the response");
}

static gboolean
upstream_is_holding (gpointer user_data)
{
  return cc_test_upstream_get_n_held (user_data) > 0;
}

/* A setting changed while a request runs does not reach that request;
 * the next one sees it. Both on a provider and on the default path. */
static void
test_snapshot_isolation (Fixture       *fixture,
                         gconstpointer  user_data)
{
  g_autoptr(SoupMessage) slow = new_message (fixture, "POST", "/healthy/slow");
  g_autoptr(SoupMessage) next = new_message (fixture, "POST", "/healthy/echo");
  g_autoptr(GBytes) request = cc_test_load_fixture ("anthropic-request-minimal.json");
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;
  Pending pending = { NULL, FALSE };

  use_provider (fixture, "healthy");
  set_body (slow, "application/json", request);
  set_body (next, "application/json", request);

  soup_session_send_and_read_async (fixture->client, slow, G_PRIORITY_DEFAULT, NULL, on_sent, &pending);
  /* Let the request reach the provider, then change the setting. */
  while (fixture->events->len == 0)
    g_main_context_iteration (NULL, TRUE);
  cc_proxy_settings_set_value (cc_proxy_runtime_get_settings (fixture->runtime), "healthy", "mode", "beta", &error);
  g_assert_no_error (error);

  cc_test_wait_for (pending_done, &pending);
  g_assert_nonnull (strstr (g_bytes_get_data (pending.body, NULL), "\"mode\":\"alpha\""));
  g_bytes_unref (pending.body);

  answer = send_ok (fixture, next);
  g_assert_nonnull (strstr (g_bytes_get_data (answer, NULL), "\"mode\":\"beta\""));
}

static void
test_switch_provider_mid_stream (Fixture       *fixture,
                                 gconstpointer  user_data)
{
  g_autoptr(GBytes) fixture_stream = cc_test_load_fixture ("anthropic-stream-text.sse");
  g_auto(GStrv) chunks = split_events (fixture_stream);
  g_autoptr(SoupMessage) message = new_message (fixture, "POST", "/v1/messages");
  g_autoptr(SoupMessage) after = new_message (fixture, "POST", "/v1/messages");
  g_autoptr(GBytes) answer = NULL;
  Pending pending = { NULL, FALSE };

  cc_test_upstream_stream (fixture->upstream, "/v1/messages", (const char * const *) chunks, 1, FALSE);
  soup_session_send_and_read_async (fixture->client, message, G_PRIORITY_DEFAULT, NULL, on_sent, &pending);
  cc_test_wait_for (upstream_is_holding, fixture->upstream);

  /* Switching to a provider that fails every request must not touch the
   * stream already running. */
  use_provider (fixture, "failing");
  cc_test_upstream_release (fixture->upstream);
  cc_test_wait_for (pending_done, &pending);
  g_assert_true (g_bytes_equal (pending.body, fixture_stream));
  g_bytes_unref (pending.body);

  answer = send_ok (fixture, after);
  g_assert_cmpuint (soup_message_get_status (after), ==, 502);
}

static void
test_no_base_url (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  const char *env[] = { "ANTHROPIC_UPSTREAM_URL=", NULL };
  g_autoptr(GSettingsBackend) backend = g_memory_settings_backend_new ();
  g_autoptr(CcProxyRuntime) runtime = cc_proxy_runtime_new_full (registry, env, backend);
  g_autoptr(CcProxyServer) server = cc_proxy_server_new (registry, runtime, fixture->sink);
  g_autofree char *url = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GBytes) answer = NULL;

  cc_proxy_settings_set_value (cc_proxy_runtime_get_settings (runtime), "anthropic", "base-url", "  ", &error);
  g_assert_no_error (error);
  cc_proxy_server_listen (server, "127.0.0.1:0", &error);
  g_assert_no_error (error);
  url = g_strconcat (cc_proxy_server_get_url (server), "/v1/messages", NULL);
  message = soup_message_new ("POST", url);

  answer = send_ok (fixture, message);
  g_assert_cmpuint (soup_message_get_status (message), ==, 500);
  assert_error_body (answer, "api_error", "set the base-url setting of the anthropic provider (or ANTHROPIC_UPSTREAM_URL)");
}

static void
test_listen_addresses (void)
{
  g_autoptr(CcProxyRuntime) runtime = cc_proxy_runtime_new_full (registry, NULL, NULL);
  g_autoptr(CcProxyEventSink) sink = cc_proxy_event_sink_new ();
  static const struct { const char *address; int code; const char *message; } bad[] = {
    { "nonsense", CC_PROXY_SERVER_ERROR_INVALID_ADDRESS, "“nonsense” is not a listen address: use HOST:PORT, e.g. 127.0.0.1:3344" },
    { "127.0.0.1", CC_PROXY_SERVER_ERROR_INVALID_ADDRESS, "“127.0.0.1” is not a listen address: use HOST:PORT, e.g. 127.0.0.1:3344" },
    { "0.0.0.0:0", CC_PROXY_SERVER_ERROR_NOT_LOOPBACK,
      "Refusing to listen on 0.0.0.0: only loopback addresses (127.0.0.1, ::1) are supported" },
    { "example.org:80", CC_PROXY_SERVER_ERROR_INVALID_ADDRESS,
      "“example.org” is not an IP address: give a numeric address such as 127.0.0.1" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(CcProxyServer) server = cc_proxy_server_new (registry, runtime, sink);
      g_autoptr(GError) error = NULL;

      g_assert_false (cc_proxy_server_listen (server, bad[i].address, &error));
      g_assert_error (error, CC_PROXY_SERVER_ERROR, bad[i].code);
      g_assert_cmpstr (error->message, ==, bad[i].message);
    }

  {
    g_autoptr(CcProxyServer) server = cc_proxy_server_new (registry, runtime, sink);
    g_autoptr(GError) error = NULL;

    g_assert_true (cc_proxy_server_listen (server, "localhost:0", &error));
    g_assert_no_error (error);
    g_assert_true (g_str_has_prefix (cc_proxy_server_get_url (server), "http://127.0.0.1:"));
  }
}

static void
skip_without_nginx (void)
{
  g_test_skip ("nginx and openssl are needed for an HTTP/2 upstream (build-aux/dev test installs them)");
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  /* As cc-proxyd does at start: 256 streams at once hold four
   * descriptors each in this one process; the upstream HTTP version. */
  cc_proxy_server_init_process ();
  g_test_summary ("Requests through the proxy: forwarding, streaming, the dispatch boundary, events");

  registry = cc_proxy_registry_new ();
  cc_proxy_registry_load_modules (registry, cc_test_module_dir ());

#define ADD(path, func) g_test_add ("/pipeline/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  /* The same forwarding, to an HTTP/2 upstream over TLS. */
#define ADD_HTTP2(path, func) \
  g_test_add ("/pipeline/h2-upstream/" path, Fixture, NULL, fixture_set_up_http2, func, fixture_tear_down)
  if (cc_test_tls_front_available ())
    {
      cc_test_tls_front_trust ();
      ADD_HTTP2 ("large-posts-pooled", test_http2_large_posts_pooled);
      ADD_HTTP2 ("streamed-posts", test_http2_streamed_posts);
      ADD_HTTP2 ("unchanged", test_forward_unchanged);
      ADD_HTTP2 ("sse-event-by-event", test_sse_streams_event_by_event);
      ADD_HTTP2 ("client-disconnect-cancels-upstream", test_client_disconnect_cancels_upstream);
      ADD_HTTP2 ("upstream-cut-mid-stream", test_upstream_cut_mid_stream);
      g_test_add ("/pipeline/h2-upstream/upstream-cut-between-chunks", Fixture, "between", fixture_set_up_http2,
                  test_upstream_cut_mid_stream, fixture_tear_down);
      ADD_HTTP2 ("large-body", test_large_body_round_trip);
      ADD_HTTP2 ("client-gone-mid-upload", test_client_gone_mid_upload);
    }
  else
    g_test_add_func ("/pipeline/h2-upstream", skip_without_nginx);
  ADD ("forward/unchanged", test_forward_unchanged);
  ADD ("forward/methods-and-no-duplicate-headers", test_methods_and_no_duplicate_headers);
  ADD ("forward/upstream-error-relayed", test_upstream_error_relayed);
  ADD ("forward/upstream-unreachable", test_upstream_unreachable);
  ADD ("forward/sse-event-by-event", test_sse_streams_event_by_event);
  ADD ("forward/client-disconnect-cancels-upstream", test_client_disconnect_cancels_upstream);
  ADD ("forward/upstream-cut-mid-stream", test_upstream_cut_mid_stream);
  g_test_add ("/pipeline/forward/upstream-cut-between-chunks", Fixture, "between", fixture_set_up,
              test_upstream_cut_mid_stream, fixture_tear_down);
  ADD ("forward/large-body", test_large_body_round_trip);
  ADD ("forward/request-body-streams", test_request_body_streams);
  ADD ("forward/client-gone-mid-upload", test_client_gone_mid_upload);
  ADD ("forward/keep-alive", test_keep_alive_upstream);
  ADD ("forward/no-base-url", test_no_base_url);
  ADD ("guard/web-origin-refused", test_web_origin_refused);
  ADD ("events/safe-and-redacted", test_events_are_safe);
  ADD ("dispatch/handled", test_provider_handles);
  ADD ("dispatch/own-stream-observed", test_provider_own_stream_observed);
  ADD ("dispatch/own-json-observed", test_provider_own_json_observed);
  ADD ("dispatch/bad-json", test_bad_json_rejected);
  ADD ("dispatch/wrong-method", test_wrong_method);
  ADD ("dispatch/not-handled-forwards-to-anthropic", test_not_handled_forwards_to_anthropic);
  ADD ("dispatch/error-is-502", test_provider_error_is_502);
  ADD ("dispatch/deadline", test_provider_deadline);
  ADD ("dispatch/fails-after-start", test_provider_fails_after_start);
  ADD ("dispatch/fails-mid-json", test_provider_fails_mid_json);
  ADD ("dispatch/not-handled-after-start", test_not_handled_after_start_is_a_bug);
  ADD ("snapshot/isolation", test_snapshot_isolation);
  ADD ("snapshot/switch-provider-mid-stream", test_switch_provider_mid_stream);
  ADD ("bounds/deep-json-to-provider", test_deep_json_to_provider);
  ADD ("bounds/deep-json-passthrough", test_deep_json_passthrough);
  ADD ("bounds/comment-bomb-to-provider", test_comment_bomb_to_provider);
  ADD ("bounds/comment-bomb-from-upstream", test_comment_bomb_from_upstream);
  ADD ("bounds/body-too-large", test_body_too_large);
  ADD ("bounds/client-timeout", test_client_timeout);
  ADD ("connections/out-of-descriptors", test_out_of_descriptors);
  g_test_add ("/pipeline/bounds/slow-body", Fixture, "held", fixture_set_up, test_client_timeout, fixture_tear_down);
  g_test_add ("/pipeline/bounds/slow-body-streamed", Fixture, "stream", fixture_set_up, test_client_timeout,
              fixture_tear_down);
  ADD ("bounds/capture-prefix", test_capture_prefix);
  g_test_add ("/pipeline/bounds/capture-prefix-streamed", Fixture, "stream", fixture_set_up, test_capture_prefix,
              fixture_tear_down);
  ADD ("forward/post-reuses-connections", test_post_reuses_connections);
  ADD ("forward/large-posts-reuse-connections", test_large_posts_reuse_connections);
  ADD ("forward/concurrent-streams", test_concurrent_streams);
  ADD ("counters/after-malformed-requests", test_counters_after_malformed);
  ADD ("dispatch/client-gone-cancels-provider", test_client_gone_cancels_provider);
  ADD ("connections/closed-when-clients-close", test_connections_closed_when_clients_close);
  ADD ("connections/idle-timeout", test_idle_connection_times_out);
#undef ADD
  g_test_add_func ("/pipeline/listen-addresses", test_listen_addresses);

  status = g_test_run ();
  g_object_unref (registry);
  return status;
}
