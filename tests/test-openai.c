/* test-openai.c: the openai provider, end to end through cc-proxyd
 *
 * The real daemon with the openai module (in its provider host) and the
 * server on the test upstream, set up through the environment as a user
 * would: Claude Code's requests come back as Anthropic answers, text,
 * tool use and reasoning, streamed or not, on chat-completions or the
 * Responses API; the server's errors keep their status and what the
 * client acts on; a stream cut short ends with an error event.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-glib/json-glib.h>
#include <cc-proxy/cc-proxy.h>

#include "cc-test-daemon.h"
#include "cc-test-upstream.h"
#include "cc-test-util.h"

#define API_KEY "sk-test-openai-0123456789"

typedef struct
{
  CcTestUpstream *upstream;
  Daemon         *daemon;
  SoupSession    *client;
} Fixture;

/* What differs between the fixtures: the api setting, and
 * rate-limit-seconds. */
typedef struct
{
  const char *api;
  const char *rate_limit_seconds;
  const char *base_url;  /* instead of the test upstream's */
} Variant;

static const Variant chat = { "chat", "0", NULL };
static const Variant responses = { "responses", "0", NULL };
static const Variant limited = { "chat", "60", NULL };
/* Nothing listens on port 1 of the loopback: an Ollama not running. */
static const Variant down = { "chat", "0", "http://127.0.0.1:1/v1" };

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  user_data)
{
  const Variant *variant = user_data;
  g_autofree char *base = NULL;
  const char *env[] = { "CC_PROXY_PROVIDER_DIR", g_getenv ("CC_PROXY_TEST_OPENAI_DIR"),
                        "CC_PROXY_PROVIDER", "openai",
                        "CC_PROXY_OPENAI_BASE_URL", NULL,
                        "CC_PROXY_OPENAI_API_KEY", API_KEY,
                        "CC_PROXY_OPENAI_MODEL", "qwen3-coder",
                        "CC_PROXY_OPENAI_SMALL_MODEL", "qwen3-small",
                        "CC_PROXY_OPENAI_MODEL_MAP", "claude-opus-4-1=qwen3-big",
                        "CC_PROXY_OPENAI_API", variant->api,
                        "CC_PROXY_OPENAI_RATE_LIMIT_SECONDS", variant->rate_limit_seconds,
                        NULL };

  fixture->upstream = cc_test_upstream_new ();
  base = variant->base_url != NULL ? g_strdup (variant->base_url)
                                    : g_strconcat (cc_test_upstream_get_url (fixture->upstream), "/v1", NULL);
  env[5] = base;
  fixture->daemon = daemon_start (env, cc_test_upstream_get_url (fixture->upstream));
  fixture->client = soup_session_new ();
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  user_data)
{
  soup_session_abort (fixture->client);
  g_clear_object (&fixture->client);
  /* The key went upstream, never to the log. */
  g_assert_null (strstr (fixture->daemon->err_text->str, API_KEY));
  daemon_stop (fixture->daemon);
  g_clear_object (&fixture->upstream);
}

static char *
request (Fixture      *fixture,
         const char   *method,
         const char   *path,
         const char   *body,
         guint        *status,
         SoupMessage **out)
{
  g_autofree char *url = g_strconcat (fixture->daemon->url, path, NULL);

  return cc_test_request (fixture->client, method, url, body, status, out);
}

static JsonObject *
upstream_body (Fixture    *fixture,
               const char *path,
               guint       nth)
{
  CcTestRecordedRequest *seen = cc_test_upstream_find_request (fixture->upstream, path, nth);
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) node = NULL;

  g_assert_nonnull (seen);
  g_assert_cmpstr (soup_message_headers_get_one (seen->headers, "authorization"), ==, "Bearer " API_KEY);
  text = g_strndup (g_bytes_get_data (seen->body, NULL), g_bytes_get_size (seen->body));
  node = json_from_string (text, NULL);
  g_assert_nonnull (node);
  return json_object_ref (json_node_get_object (node));
}

static void
assert_json_equal (const char *got,
                   const char *expected)
{
  g_autoptr(JsonNode) a = json_from_string (got, NULL);
  g_autoptr(JsonNode) b = json_from_string (expected, NULL);

  g_assert_nonnull (a);
  g_assert_nonnull (b);
  if (!json_node_equal (a, b))
    g_error ("got %s\nexpected %s", got, expected);
}

/* A tool-using turn, not streamed: translated to chat-completions with
 * the server's model name and the key; the answer translated back.
 * Haiku goes to small-model, and model-map wins over both; the upstream
 * connection is kept for the next request. */
/* Whether @pid's environment holds @text. */
static gboolean
environ_contains (const char *pid,
                  const char *text)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/environ", pid);
  g_autofree char *environ = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (path, &environ, &len, NULL));
  for (gsize i = 0; i < len; i += strlen (environ + i) + 1)
    if (strstr (environ + i, text) != NULL)
      return TRUE;
  return FALSE;
}

/* The key came from the environment; the host has it from the daemon,
 * and does not inherit it (its environment is in /proc/PID/environ). */
static void
test_host_environment (Fixture       *fixture,
                       gconstpointer  user_data)
{
  const char *daemon = g_subprocess_get_identifier (fixture->daemon->process);
  g_auto(GStrv) hosts = NULL;
  guint status;
  g_autofree char *models = request (fixture, "GET", "/v1/models", NULL, &status, NULL);

  hosts = cc_test_process_children (daemon);
  g_assert_cmpuint (g_strv_length (hosts), ==, 1);
  g_assert_true (environ_contains (daemon, API_KEY));
  g_assert_false (environ_contains (hosts[0], API_KEY));
  g_assert_true (environ_contains (hosts[0], "CC_PROXY_OPENAI_MODEL=qwen3-coder"));
}

static void
test_tool_use (Fixture       *fixture,
               gconstpointer  user_data)
{
  g_autofree char *answer = cc_test_load_fixture_text ("openai-response-tools.json");
  g_autofree char *expected = cc_test_load_expected_text ("anthropic-response-tools.json");
  g_autofree char *body = cc_test_agent_body ("claude-sonnet-4-5-20250929", FALSE);
  g_autofree char *small = cc_test_agent_body ("claude-haiku-4-5-20251001", FALSE);
  g_autofree char *big = cc_test_agent_body ("claude-opus-4-1", FALSE);
  g_autofree char *got_big = NULL;
  g_autoptr(JsonObject) sent_big = NULL;
  g_autofree char *got = NULL;
  g_autofree char *got_small = NULL;
  g_autoptr(JsonObject) sent = NULL;
  g_autoptr(JsonObject) sent_small = NULL;
  guint status;

  cc_test_upstream_respond (fixture->upstream, "/v1/chat/completions", 200, "application/json", answer, -1);
  got = request (fixture, "POST", "/v1/messages", body, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  assert_json_equal (got, expected);
  sent = upstream_body (fixture, "/v1/chat/completions", 0);
  g_assert_cmpstr (json_object_get_string_member (sent, "model"), ==, "qwen3-coder");
  g_assert_true (json_object_has_member (sent, "tools"));

  /* Claude Code's quick requests go to the small model. */
  got_small = request (fixture, "POST", "/v1/messages", small, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  sent_small = upstream_body (fixture, "/v1/chat/completions", 1);
  g_assert_cmpstr (json_object_get_string_member (sent_small, "model"), ==, "qwen3-small");

  /* model-map wins over both. */
  got_big = request (fixture, "POST", "/v1/messages", big, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  sent_big = upstream_body (fixture, "/v1/chat/completions", 2);
  g_assert_cmpstr (json_object_get_string_member (sent_big, "model"), ==, "qwen3-big");

  /* Three POSTs, one after the other, on one upstream connection. */
  g_assert_cmpuint (cc_test_upstream_get_n_connections (fixture->upstream), ==, 1);
}

/* Streamed answers, with the tool calls and with reasoning, come back
 * as the same Anthropic events the translator makes of them. */
static void
test_streams (Fixture       *fixture,
              gconstpointer  user_data)
{
  static const char * const cases[][2] = {
    { "openai-stream-parallel-tools.sse", "anthropic-from-openai-stream-parallel-tools.sse" },
    { "openai-stream-reasoning.sse", "anthropic-from-openai-stream-reasoning.sse" },
    { "openai-stream-text.sse", "anthropic-from-openai-stream-text.sse" },
    /* An error the server reports inside a 200 stream. */
    { "openai-stream-error.sse", "anthropic-from-openai-stream-error.sse" },
  };
  g_autofree char *body = cc_test_agent_body ("claude-sonnet-4-5", TRUE);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *sse = cc_test_load_fixture_text (cases[i][0]);
      g_autofree char *expected = cc_test_load_expected_text (cases[i][1]);
      const char *chunks[] = { sse, NULL };
      g_autoptr(SoupMessage) message = NULL;
      g_autofree char *got = NULL;
      g_autoptr(JsonObject) sent = NULL;
      guint status;

      cc_test_upstream_stream (fixture->upstream, "/v1/chat/completions", chunks, G_MAXUINT, FALSE);
      got = request (fixture, "POST", "/v1/messages", body, &status, &message);
      g_assert_cmpuint (status, ==, 200);
      g_assert_cmpstr (soup_message_headers_get_content_type (soup_message_get_response_headers (message), NULL), ==,
                       "text/event-stream");
      g_assert_cmpstr (got, ==, expected);
      sent = upstream_body (fixture, "/v1/chat/completions", i);
      g_assert_true (json_object_get_boolean_member (sent, "stream"));
    }
}

/* A stream the server cuts short ends with an error event, never a
 * clean end. */
static void
test_stream_cut (Fixture       *fixture,
                 gconstpointer  user_data)
{
  g_autofree char *sse = cc_test_load_fixture_text ("openai-stream-cut.sse");
  g_autofree char *expected = cc_test_load_expected_text ("anthropic-from-openai-stream-cut.sse");
  g_autofree char *body = cc_test_agent_body ("claude-sonnet-4-5", TRUE);
  const char *chunks[] = { sse, NULL };
  g_autofree char *got = NULL;
  guint status;

  cc_test_upstream_stream (fixture->upstream, "/v1/chat/completions", chunks, G_MAXUINT, FALSE);
  got = request (fixture, "POST", "/v1/messages", body, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (got, ==, expected);
}

static guint
count_pings (GString *text)
{
  guint n = 0;

  for (const char *p = text->str; (p = strstr (p, "event: ping")) != NULL; p++)
    n++;
  return n;
}

/* A server that goes quiet mid-stream: after 15 s of silence the client
 * gets a ping event (its own idle timer would give up otherwise), once
 * for one silence; then the rest of the stream as usual. */
static void
test_stream_keepalive (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autofree char *sse = cc_test_load_fixture_text ("openai-stream-text.sse");
  g_autofree char *body = cc_test_agent_body ("claude-sonnet-4-5", TRUE);
  g_autofree char *url = g_strconcat (fixture->daemon->url, "/v1/messages", NULL);
  const char *rest = strstr (sse, "\n\n") + 2;
  g_autofree char *first = g_strndup (sse, rest - sse);
  const char *chunks[] = { first, rest, NULL };
  g_autoptr(SoupMessage) message = soup_message_new ("POST", url);
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GString) received = g_string_new (NULL);
  gint64 quiet_since;
  guint before;

  cc_test_upstream_stream (fixture->upstream, "/v1/chat/completions", chunks, 1, FALSE);
  soup_message_set_request_body_from_bytes (message, "application/json", bytes);
  stream = cc_test_send_stream (fixture->client, message);
  g_assert_cmpuint (soup_message_get_status (message), ==, 200);
  /* The first chunk makes message_start and the ping that follows it,
   * as Anthropic's streams have; then nothing until the silence. */
  while (strstr (received->str, "event: message_start") == NULL || count_pings (received) == 0)
    g_assert_cmpuint (cc_test_read_some (stream, received), >, 0);
  before = count_pings (received);
  g_assert_cmpuint (before, ==, 1);

  quiet_since = g_get_monotonic_time ();
  while (count_pings (received) == before)
    g_assert_cmpuint (cc_test_read_some (stream, received), >, 0);
  g_assert_cmpint (g_get_monotonic_time () - quiet_since, >=, 14 * G_USEC_PER_SEC);

  cc_test_upstream_release (fixture->upstream);
  cc_test_read_to_end (stream, received);
  g_assert_nonnull (strstr (received->str, "event: message_stop"));
  g_assert_cmpuint (count_pings (received), ==, before + 1);
}

/* The server's errors: its status, an Anthropic error body, and for a
 * 429 the retry-after the client waits by. */
static void
test_errors (Fixture       *fixture,
             gconstpointer  user_data)
{
  g_autofree char *refused = cc_test_load_fixture_text ("openai-error-401.json");
  g_autofree char *body = cc_test_agent_body ("claude-sonnet-4-5", FALSE);
  g_autoptr(SoupMessage) message = NULL;
  guint status;

  {
    g_autofree char *got = NULL;
    g_autoptr(GBytes) bytes = NULL;
    g_autofree char *type = NULL;

    cc_test_upstream_respond (fixture->upstream, "/v1/chat/completions", 401, "application/json", refused, -1);
    got = request (fixture, "POST", "/v1/messages", body, &status, NULL);
    g_assert_cmpuint (status, ==, 401);
    bytes = g_bytes_new (got, strlen (got));
    type = cc_test_error_type (bytes, NULL);
    g_assert_cmpstr (type, ==, "authentication_error");
    /* A fixed key: asked once, not again. */
    g_assert_cmpuint (cc_test_upstream_count_requests (fixture->upstream, "/v1/chat/completions"), ==, 1);
  }
  {
    g_autofree char *got = NULL;

    cc_test_upstream_respond (fixture->upstream, "/v1/chat/completions", 429, "application/json",
                              "{\"error\":{\"message\":\"slow down\"}}", -1);
    cc_test_upstream_add_header (fixture->upstream, "/v1/chat/completions", "Retry-After", "7");
    got = request (fixture, "POST", "/v1/messages", body, &status, &message);
    g_assert_cmpuint (status, ==, 429);
    g_assert_cmpstr (soup_message_get_reason_phrase (message), ==, "Too Many Requests");
    g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (message), "retry-after"), ==, "7");
    g_assert_nonnull (strstr (got, "\"rate_limit_error\""));
    g_assert_nonnull (strstr (got, "slow down"));
  }
}

static gboolean
response_done_captured (gpointer user_data)
{
  g_autofree char *captures = daemon_read_captures (user_data);

  return strstr (captures, "\"kind\":\"response-done\"") != NULL;
}

/* The server is not running: the client, the traffic record and the
 * capture log get the cause in words a person can act on, and the
 * client is told not to try again at once (Claude Code honours
 * x-should-retry: false, and otherwise retries a 502 for minutes). */
static void
test_upstream_down (Fixture       *fixture,
                    gconstpointer  user_data)
{
  g_autofree char *body = cc_test_agent_body ("claude-sonnet-4-5", FALSE);
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *got = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *text = NULL;
  g_autofree char *type = NULL;
  g_autofree char *captures = NULL;
  g_auto(GStrv) lines = NULL;
  const char *cause = "could not connect to its upstream";
  gboolean captured = FALSE;
  guint status;

  got = request (fixture, "POST", "/v1/messages", body, &status, &message);
  g_assert_cmpuint (status, ==, 502);
  g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (message), "x-should-retry"),
                   ==, "false");
  bytes = g_bytes_new (got, strlen (got));
  type = cc_test_error_type (bytes, &text);
  g_assert_cmpstr (type, ==, "api_error");
  g_assert_nonnull (strstr (text, "The openai provider could not connect to its upstream"));
  g_assert_nonnull (strstr (text, "is the server running"));

  /* The daemon relayed its provider host's answer: its record says why. */
  cc_test_wait_for (response_done_captured, fixture->daemon);
  captures = daemon_read_captures (fixture->daemon);
  for (char **line = lines = g_strsplit (captures, "\n", -1); *line != NULL; line++)
    {
      g_autoptr(JsonNode) node = json_from_string (*line, NULL);
      JsonObject *object = node != NULL ? json_node_get_object (node) : NULL;

      if (g_strcmp0 (cc_proxy_json_get_string (object, "kind"), "response-done") == 0)
        {
          g_assert_cmpint (cc_proxy_json_get_int (object, "status", 0), ==, 502);
          g_assert_nonnull (cc_proxy_json_get_string (object, "message"));
          g_assert_nonnull (strstr (cc_proxy_json_get_string (object, "message"), cause));
          captured = TRUE;
        }
    }
  g_assert_true (captured);
}

/* /v1/models is the server's list, as Anthropic's; count_tokens is
 * answered here, without the server. */
static void
test_models_and_count (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autofree char *models = NULL;
  g_autofree char *count = NULL;
  g_autofree char *body = cc_test_agent_body ("claude-sonnet-4-5", FALSE);
  g_autoptr(JsonNode) node = NULL;
  JsonArray *data;
  guint status;

  cc_test_upstream_respond (fixture->upstream, "/v1/models", 200, "application/json",
                            "{\"object\":\"list\",\"data\":[{\"id\":\"qwen3-coder\",\"object\":\"model\","
                            "\"created\":1700000000,\"owned_by\":\"library\"}]}", -1);
  models = request (fixture, "GET", "/v1/models", NULL, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  node = json_from_string (models, NULL);
  data = json_object_get_array_member (json_node_get_object (node), "data");
  g_assert_cmpuint (json_array_get_length (data), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (data, 0), "type"), ==, "model");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (data, 0), "id"), ==, "qwen3-coder");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (data, 0), "created_at"), ==,
                   "2023-11-14T22:13:20Z");

  count = request (fixture, "POST", "/v1/messages/count_tokens", body, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_true (g_str_has_prefix (count, "{\"input_tokens\":"));
  g_assert_cmpuint (cc_test_upstream_count_requests (fixture->upstream, "/v1/messages/count_tokens"), ==, 0);
}

/* api=responses: the Responses API both ways. */
static void
test_responses (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autofree char *sse = cc_test_load_fixture_text ("responses-stream-tools.sse");
  g_autofree char *expected = cc_test_load_expected_text ("anthropic-from-responses-stream-tools.sse");
  g_autofree char *body = cc_test_agent_body ("claude-sonnet-4-5", TRUE);
  const char *chunks[] = { sse, NULL };
  g_autofree char *got = NULL;
  g_autoptr(JsonObject) sent = NULL;
  guint status;

  cc_test_upstream_stream (fixture->upstream, "/v1/responses", chunks, G_MAXUINT, FALSE);
  got = request (fixture, "POST", "/v1/messages", body, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (got, ==, expected);
  sent = upstream_body (fixture, "/v1/responses", 0);
  g_assert_cmpstr (json_object_get_string_member (sent, "model"), ==, "qwen3-coder");
  g_assert_true (json_object_has_member (sent, "input"));
  g_assert_cmpuint (cc_test_upstream_count_requests (fixture->upstream, "/v1/chat/completions"), ==, 0);
}

/* rate-limit-seconds: a request that comes too soon is refused with
 * 429 and the seconds to wait, and never reaches the server. */
static void
test_rate_limited (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autofree char *answer = cc_test_load_fixture_text ("openai-response-tools.json");
  g_autofree char *body = cc_test_agent_body ("claude-sonnet-4-5", FALSE);
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autoptr(SoupMessage) message = NULL;
  const char *retry_after;
  guint status;

  cc_test_upstream_respond (fixture->upstream, "/v1/chat/completions", 200, "application/json", answer, -1);
  first = request (fixture, "POST", "/v1/messages", body, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  second = request (fixture, "POST", "/v1/messages", body, &status, &message);
  g_assert_cmpuint (status, ==, 429);
  retry_after = soup_message_headers_get_one (soup_message_get_response_headers (message), "retry-after");
  g_assert_nonnull (retry_after);
  g_assert_cmpint (atoi (retry_after), >=, 1);
  g_assert_cmpint (atoi (retry_after), <=, 60);
  g_assert_nonnull (strstr (second, "\"rate_limit_error\""));
  g_assert_nonnull (strstr (second, "Set the openai provider's rate-limit-wait"));
  g_assert_cmpuint (cc_test_upstream_count_requests (fixture->upstream, "/v1/chat/completions"), ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_summary ("The openai provider through cc-proxyd, against the test upstream");

#define ADD(path, variant, func) g_test_add ("/openai/" path, Fixture, &variant, fixture_setup, func, fixture_teardown)
  ADD ("tool-use", chat, test_tool_use);
  ADD ("host-environment", chat, test_host_environment);
  ADD ("streams", chat, test_streams);
  ADD ("stream-cut", chat, test_stream_cut);
  ADD ("stream-keepalive", chat, test_stream_keepalive);
  ADD ("errors", chat, test_errors);
  ADD ("models-and-count", chat, test_models_and_count);
  ADD ("responses", responses, test_responses);
  ADD ("rate-limited", limited, test_rate_limited);
  ADD ("upstream-down", down, test_upstream_down);
#undef ADD

  return g_test_run ();
}
