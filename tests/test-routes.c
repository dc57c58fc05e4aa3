/* test-routes.c: routes and fallback, end to end through cc-proxyd
 *
 * The real daemon with two providers on two test upstreams: the
 * built-in anthropic (passthrough) and openai (in its provider host).
 * The routes are stored as a user's would be, in the GSettings keyfile
 * the daemon reads; each test counts, at each upstream, which requests
 * arrived: routing by role and model, fallback on 503, 429 and a refused
 * connection, none after the first byte, the circuit breaker, and
 * sessions that stay on their target.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "cc-test-daemon.h"
#include "cc-test-upstream.h"
#include "cc-test-util.h"

static const char anthropic_answer[] =
  "{\"id\":\"msg_a\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\","
  "\"content\":[{\"type\":\"text\",\"text\":\"from anthropic\"}],\"stop_reason\":\"end_turn\","
  "\"usage\":{\"input_tokens\":5,\"output_tokens\":2}}";

static const char overloaded[] =
  "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}";

typedef struct
{
  const char *routes;    /* GVariant text of the routes key */
  const char *more;      /* further keyfile lines */
  gboolean    anthropic_down;  /* nothing listens at its base-url */
  gboolean    copilot;   /* the second provider is copilot, not openai */
  gboolean    no_hosts;  /* provider hosts cannot start */
} Variant;

typedef struct
{
  CcTestUpstream *anthropic;
  CcTestUpstream *openai;
  Daemon         *daemon;
  SoupSession    *client;
  char           *config;
  char           *keyfile;
} Fixture;

#define MAIN_FALLS_BACK "('main', @a{sv} {}, 'anthropic', ['openai'])"

static const Variant roles = {
  "[('sub', {'role': <'subagent'>}, 'openai:qwen3-sub', @as []),"
  " ('bg', {'role': <'background'>}, 'openai:qwen3-small', @as [])]",
  NULL, FALSE
};
static const Variant fallback = { "[" MAIN_FALLS_BACK "]", "breaker-threshold=uint32 3\nbreaker-cooldown=uint32 3600\n", FALSE };
static const Variant refused = { "[" MAIN_FALLS_BACK "]", "breaker-threshold=uint32 3\nbreaker-cooldown=uint32 3600\n", TRUE };
static const Variant breaker = { "[" MAIN_FALLS_BACK "]", "breaker-threshold=uint32 2\nbreaker-cooldown=uint32 1\n", FALSE };
static const Variant sticky = { "[" MAIN_FALLS_BACK "]", "breaker-threshold=uint32 2\nbreaker-cooldown=uint32 2\n", FALSE };
static const Variant provenance = { "[('main', @a{sv} {}, 'anthropic', ['copilot'])]", NULL, FALSE, TRUE };
static const Variant host_broken = { "[('main', @a{sv} {}, 'openai', ['anthropic'])]", NULL, FALSE, FALSE, TRUE };

/* Copilot's models: Opus speaks the Messages API natively, so that the
 * second upstream gets the Anthropic body, thinking blocks and all. */
static const char copilot_models[] =
  "{\"object\":\"list\",\"data\":[{\"id\":\"claude-opus-4.1\",\"name\":\"Claude Opus 4.1\","
  "\"supported_endpoints\":[\"/v1/messages\",\"/chat/completions\"]}]}";

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  user_data)
{
  const Variant *variant = user_data;
  g_autofree char *openai_url = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *openai_answer = cc_test_load_fixture_text ("openai-response-tools.json");

  fixture->anthropic = cc_test_upstream_new ();
  fixture->openai = cc_test_upstream_new ();
  cc_test_upstream_respond (fixture->anthropic, "/v1/messages", 200, "application/json", anthropic_answer, -1);
  cc_test_upstream_respond (fixture->openai, "/v1/chat/completions", 200, "application/json", openai_answer, -1);
  openai_url = g_strconcat (cc_test_upstream_get_url (fixture->openai), "/v1", NULL);

  contents = g_strdup_printf ("[org/ccproxy/Proxy]\nroutes=%s\n%s", variant->routes, variant->more ? variant->more : "");
  fixture->config = cc_test_keyfile_config (contents, &fixture->keyfile);

  {
    const char *second = cc_test_upstream_get_url (fixture->openai);
    const char *env[] = { "GSETTINGS_BACKEND", "keyfile",
                          "XDG_CONFIG_HOME", fixture->config,
                          "CC_PROXY_PROVIDER_DIR", g_getenv ("CC_PROXY_TEST_OPENAI_DIR"),
                          "CC_PROXY_OPENAI_BASE_URL", openai_url,
                          "CC_PROXY_OPENAI_API_KEY", "sk-test-routes",
                          /* A program that exits at once: the host is
                           * broken after its last try. */
                          variant->no_hosts ? "CC_PROXY_PROVIDER_HOST" : NULL, "/bin/false",
                          NULL };
    const char *copilot_env[] = { "GSETTINGS_BACKEND", "keyfile",
                                  "XDG_CONFIG_HOME", fixture->config,
                                  "CC_PROXY_PROVIDER_DIR", g_getenv ("CC_PROXY_TEST_COPILOT_DIR"),
                                  "CC_PROXY_COPILOT_BASE_URL", second,
                                  "CC_PROXY_GITHUB_API_URL", second,
                                  "CC_PROXY_GITHUB_URL", second,
                                  "CC_PROXY_COPILOT_GITHUB_TOKEN", "gh-test-routes",
                                  NULL };

    if (variant->copilot)
      {
        cc_test_upstream_mock_copilot_exchange (fixture->openai, 200);
        cc_test_upstream_respond (fixture->openai, "/models", 200, "application/json", copilot_models, -1);
        cc_test_upstream_respond (fixture->openai, "/v1/messages", 200, "application/json", anthropic_answer, -1);
      }
    /* Nothing listens on port 1 of the loopback. */
    fixture->daemon = daemon_start (variant->copilot ? copilot_env : env,
                                    variant->anthropic_down ? "http://127.0.0.1:1"
                                                            : cc_test_upstream_get_url (fixture->anthropic));
  }
  fixture->client = soup_session_new ();
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  user_data)
{
  soup_session_abort (fixture->client);
  g_clear_object (&fixture->client);
  daemon_stop (fixture->daemon);
  g_clear_object (&fixture->anthropic);
  g_clear_object (&fixture->openai);
  cc_test_remove_tree (fixture->config);
  g_free (fixture->config);
  g_free (fixture->keyfile);
}

/* POSTs a Claude Code request for @model to /v1/messages, with the
 * header pairs in @headers; returns the answer, its status in @status. */
static char *
post (Fixture            *fixture,
      const char         *model,
      gboolean            stream,
      const char * const *headers,
      guint              *status)
{
  g_autofree char *url = g_strconcat (fixture->daemon->url, "/v1/messages", NULL);
  g_autofree char *body = cc_test_agent_body (model, stream);
  g_autoptr(SoupMessage) message = soup_message_new ("POST", url);
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;

  soup_message_set_request_body_from_bytes (message, "application/json", bytes);
  soup_message_headers_replace (soup_message_get_request_headers (message), "anthropic-version", "2023-06-01");
  for (guint i = 0; headers != NULL && headers[i] != NULL; i += 2)
    soup_message_headers_replace (soup_message_get_request_headers (message), headers[i], headers[i + 1]);
  answer = cc_test_send (fixture->client, message, &error);
  g_assert_no_error (error);
  *status = soup_message_get_status (message);
  return g_strndup (g_bytes_get_data (answer, NULL), g_bytes_get_size (answer));
}

/* The model of the @nth request the openai upstream received. */
static char *
openai_model (Fixture *fixture,
              guint    nth)
{
  CcTestRecordedRequest *seen = cc_test_upstream_find_request (fixture->openai, "/v1/chat/completions", nth);
  g_autoptr(JsonNode) node = NULL;

  g_assert_nonnull (seen);
  node = json_from_string (g_bytes_get_data (seen->body, NULL), NULL);
  g_assert_nonnull (node);
  return g_strdup (json_object_get_string_member (json_node_get_object (node), "model"));
}

/* Haiku to the openai server's small model, a subagent's request to
 * another of its models, the rest (no route) to the active provider. */
static void
test_roles (Fixture       *fixture,
            gconstpointer  user_data)
{
  const char * const subagent[] = { "x-claude-code-agent-id", "agent-7", NULL };
  g_autofree char *main_answer = NULL;
  g_autofree char *small_answer = NULL;
  g_autofree char *sub_answer = NULL;
  g_autofree char *small_model = NULL;
  g_autofree char *sub_model = NULL;
  guint status;

  main_answer = post (fixture, "claude-sonnet-4-5-20250929", FALSE, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (strstr (main_answer, "from anthropic"));
  g_assert_cmpuint (cc_test_upstream_count_requests (fixture->anthropic, "/v1/messages"), ==, 1);
  g_assert_cmpuint (cc_test_upstream_count_requests (fixture->openai, "/v1/chat/completions"), ==, 0);

  small_answer = post (fixture, "claude-haiku-4-5-20251001", FALSE, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_null (strstr (small_answer, "from anthropic"));
  small_model = openai_model (fixture, 0);
  g_assert_cmpstr (small_model, ==, "qwen3-small");
  wait_for_log (fixture->daemon, "[bg → openai:qwen3-small]");

  sub_answer = post (fixture, "claude-sonnet-4-5-20250929", FALSE, subagent, &status);
  g_assert_cmpuint (status, ==, 200);
  sub_model = openai_model (fixture, 1);
  g_assert_cmpstr (sub_model, ==, "qwen3-sub");
  wait_for_log (fixture->daemon, "[sub → openai:qwen3-sub]");

  /* The anthropic upstream saw only the first request. */
  g_assert_cmpuint (cc_test_upstream_count_requests (fixture->anthropic, "/v1/messages"), ==, 1);
}

/* The target answers 503: the fallback answers every request, and the
 * breaker keeps the dead target to its threshold of tries. */
static void
test_fallback_on_503 (Fixture       *fixture,
                      gconstpointer  user_data)
{
  cc_test_upstream_respond (fixture->anthropic, "/v1/messages", 503, "application/json", overloaded, -1);
  for (guint i = 0; i < 100; i++)
    {
      guint status;
      g_autofree char *answer = post (fixture, "claude-sonnet-4-5-20250929", FALSE, NULL, &status);

      g_assert_cmpuint (status, ==, 200);
    }
  g_assert_cmpuint (cc_test_upstream_count_requests (fixture->openai, "/v1/chat/completions"), ==, 100);
  /* breaker-threshold=3, and no probe within the hour's cooldown. */
  g_assert_cmpuint (cc_test_upstream_count_requests (fixture->anthropic, "/v1/messages"), ==, 3);
  wait_for_log (fixture->daemon, "[main → openai (anthropic 503)]");
  wait_for_log (fixture->daemon, "[main → openai (anthropic skipped: failing, tried again in ");
}

/* A 429 that asks for a long wait falls back; one that asks for a short
 * wait goes to the client, which waits (fallback-retry-after is 10 s). */
static void
test_fallback_on_429 (Fixture       *fixture,
                      gconstpointer  user_data)
{
  g_autofree char *answer = NULL;
  guint status;

  cc_test_upstream_set_header (fixture->anthropic, "/v1/messages", "Retry-After", "3");
  cc_test_upstream_respond (fixture->anthropic, "/v1/messages", 429, "application/json", overloaded, -1);
  answer = post (fixture, "claude-sonnet-4-5-20250929", FALSE, NULL, &status);
  g_assert_cmpuint (status, ==, 429);
  g_assert_cmpuint (cc_test_upstream_count_requests (fixture->openai, "/v1/chat/completions"), ==, 0);

  cc_test_upstream_set_header (fixture->anthropic, "/v1/messages", "Retry-After", "120");
  g_free (answer);
  answer = post (fixture, "claude-sonnet-4-5-20250929", FALSE, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpuint (cc_test_upstream_count_requests (fixture->openai, "/v1/chat/completions"), ==, 1);
  wait_for_log (fixture->daemon, "[main → openai (anthropic 429, retry after 120 s)]");

  /* The provider said when to come back: skipped until then. */
  g_free (answer);
  answer = post (fixture, "claude-sonnet-4-5-20250929", FALSE, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpuint (cc_test_upstream_count_requests (fixture->anthropic, "/v1/messages"), ==, 2);
}

/* A 401 (the provider could not refresh its own login) falls back too. */
static void
test_fallback_on_401 (Fixture       *fixture,
                      gconstpointer  user_data)
{
  static const char unauthorized[] =
    "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"invalid x-api-key\"}}";
  g_autofree char *answer = NULL;
  guint status;

  cc_test_upstream_respond (fixture->anthropic, "/v1/messages", 401, "application/json", unauthorized, -1);
  answer = post (fixture, "claude-sonnet-4-5-20250929", FALSE, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpuint (cc_test_upstream_count_requests (fixture->openai, "/v1/chat/completions"), ==, 1);
  wait_for_log (fixture->daemon, "[main → openai (anthropic 401)]");
}

/* The target's provider host cannot start: once it is broken, the
 * fallback answers. */
static void
test_fallback_on_broken_host (Fixture       *fixture,
                              gconstpointer  user_data)
{
  g_autofree char *answer = NULL;
  guint status;

  answer = post (fixture, "claude-sonnet-4-5-20250929", FALSE, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (strstr (answer, "from anthropic"));
  g_assert_cmpuint (cc_test_upstream_count_requests (fixture->openai, "/v1/chat/completions"), ==, 0);
  wait_for_log (fixture->daemon, "[main → anthropic (openai 502: The openai provider is not available: ");
}

/* Nothing listens at the target: the fallback answers at once. */
static void
test_fallback_on_refused (Fixture       *fixture,
                          gconstpointer  user_data)
{
  for (guint i = 0; i < 5; i++)
    {
      guint status;
      g_autofree char *answer = post (fixture, "claude-sonnet-4-5-20250929", FALSE, NULL, &status);

      g_assert_cmpuint (status, ==, 200);
      g_assert_null (strstr (answer, "from anthropic"));
    }
  g_assert_cmpuint (cc_test_upstream_count_requests (fixture->openai, "/v1/chat/completions"), ==, 5);
  wait_for_log (fixture->daemon, "[main → openai (anthropic 502: Could not reach the upstream 127.0.0.1");
}

/* Once the first byte is out, a failure is the client's to see: the
 * stream ends with its error event, and nothing else is tried. */
static void
test_no_fallback_after_first_byte (Fixture       *fixture,
                                   gconstpointer  user_data)
{
  static const char * const chunks[] = {
    "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_a\",\"type\":\"message\","
    "\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\",\"content\":[],\"usage\":{\"input_tokens\":5,"
    "\"output_tokens\":0}}}\n\n",
    NULL
  };
  g_autofree char *answer = NULL;
  guint status;

  cc_test_upstream_stream (fixture->anthropic, "/v1/messages", chunks, G_MAXUINT, TRUE);
  answer = post (fixture, "claude-sonnet-4-5-20250929", TRUE, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (strstr (answer, "event: message_start"));
  g_assert_nonnull (strstr (answer, "event: error"));
  g_assert_cmpuint (cc_test_upstream_count_requests (fixture->openai, "/v1/chat/completions"), ==, 0);
}

/* Two failures open the breaker; after its second the target gets one
 * probe, and serves again once the probe succeeds. */
static void
test_breaker (Fixture       *fixture,
              gconstpointer  user_data)
{
  g_autofree char *answer = NULL;
  guint status;

  cc_test_upstream_respond (fixture->anthropic, "/v1/messages", 503, "application/json", overloaded, -1);
  for (guint i = 0; i < 4; i++)
    {
      g_free (answer);
      answer = post (fixture, "claude-sonnet-4-5-20250929", FALSE, NULL, &status);
      g_assert_cmpuint (status, ==, 200);
    }
  g_assert_cmpuint (cc_test_upstream_count_requests (fixture->anthropic, "/v1/messages"), ==, 2);

  /* Healthy again; after the cooldown a request probes it. */
  cc_test_upstream_respond (fixture->anthropic, "/v1/messages", 200, "application/json", anthropic_answer, -1);
  g_usleep (1100 * 1000);
  g_free (answer);
  answer = post (fixture, "claude-sonnet-4-5-20250929", FALSE, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (strstr (answer, "from anthropic"));
  g_assert_cmpuint (cc_test_upstream_count_requests (fixture->anthropic, "/v1/messages"), ==, 3);
  g_free (answer);
  answer = post (fixture, "claude-sonnet-4-5-20250929", FALSE, NULL, &status);
  g_assert_nonnull (strstr (answer, "from anthropic"));
}

/* A session stays on its target through one failed try (its prompt
 * cache is there); it moves only while the target is skipped, and then
 * stays on the fallback, while a new session goes to the target. */
static void
test_session_sticks (Fixture       *fixture,
                     gconstpointer  user_data)
{
  const char * const one[] = { "X-Claude-Code-Session-Id", "session-one", NULL };
  const char * const two[] = { "X-Claude-Code-Session-Id", "session-two", NULL };
  const char * const three[] = { "X-Claude-Code-Session-Id", "session-three", NULL };
  g_autofree char *answer = NULL;
  guint status;

  /* A new session whose first try fails is not pinned to the fallback. */
  cc_test_upstream_respond_once (fixture->anthropic, "/v1/messages", 503, "application/json", overloaded);
  answer = post (fixture, "claude-sonnet-4-5-20250929", FALSE, three, &status);
  g_assert_null (strstr (answer, "from anthropic"));
  g_free (answer);
  answer = post (fixture, "claude-sonnet-4-5-20250929", FALSE, three, &status);
  g_assert_nonnull (strstr (answer, "from anthropic"));

  g_free (answer);
  answer = post (fixture, "claude-sonnet-4-5-20250929", FALSE, one, &status);
  g_assert_nonnull (strstr (answer, "from anthropic"));

  /* One failure: answered by the fallback, but the session stays. */
  cc_test_upstream_respond_once (fixture->anthropic, "/v1/messages", 503, "application/json", overloaded);
  g_free (answer);
  answer = post (fixture, "claude-sonnet-4-5-20250929", FALSE, one, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_null (strstr (answer, "from anthropic"));
  g_free (answer);
  answer = post (fixture, "claude-sonnet-4-5-20250929", FALSE, one, &status);
  g_assert_nonnull (strstr (answer, "from anthropic"));

  /* Two in a row open the breaker: the session moves to openai... */
  cc_test_upstream_respond (fixture->anthropic, "/v1/messages", 503, "application/json", overloaded, -1);
  for (guint i = 0; i < 2; i++)
    {
      g_free (answer);
      answer = post (fixture, "claude-sonnet-4-5-20250929", FALSE, one, &status);
      g_assert_cmpuint (status, ==, 200);
    }
  /* ...and stays there once anthropic is back, while a new session
   * (after the cooldown) goes to anthropic. */
  cc_test_upstream_respond (fixture->anthropic, "/v1/messages", 200, "application/json", anthropic_answer, -1);
  g_usleep (2100 * 1000);
  g_free (answer);
  answer = post (fixture, "claude-sonnet-4-5-20250929", FALSE, two, &status);
  g_assert_nonnull (strstr (answer, "from anthropic"));
  for (guint i = 0; i < 3; i++)
    {
      g_free (answer);
      answer = post (fixture, "claude-sonnet-4-5-20250929", FALSE, one, &status);
      g_assert_cmpuint (status, ==, 200);
      g_assert_null (strstr (answer, "from anthropic"));
    }
}

/* A table changed with gsettings applies to the next request; one that
 * names an unknown provider is refused whole, says why, and the table
 * in use stays. */
static void
test_stored_routes (Fixture       *fixture,
                    gconstpointer  user_data)
{
  const char *env[] = { "GSETTINGS_BACKEND", "keyfile", "XDG_CONFIG_HOME", fixture->config, NULL };
  g_autofree char *answer = NULL;
  guint status;

  cc_test_run_gsettings (env, "set", "org.ccproxy.Proxy", "routes", "[('x', @a{sv} {}, 'nosuch', @as [])]", NULL);
  wait_for_log (fixture->daemon, "The stored routes were refused, and the previous ones are in use: "
                                 "Route “x”: No provider is called “nosuch”");
  answer = post (fixture, "claude-haiku-4-5-20251001", FALSE, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpuint (cc_test_upstream_count_requests (fixture->openai, "/v1/chat/completions"), ==, 1);

  /* An empty table: everything to the active provider again. */
  cc_test_run_gsettings (env, "set", "org.ccproxy.Proxy", "routes", "@a(sa{sv}sas) []", NULL);
  for (guint i = 0; i < 500 && !strstr (answer, "from anthropic"); i++)
    {
      g_free (answer);
      answer = post (fixture, "claude-haiku-4-5-20251001", FALSE, NULL, &status);
      cc_test_drain (10);
    }
  g_assert_nonnull (strstr (answer, "from anthropic"));
}

/* A conversation that starts on anthropic and falls back to Copilot:
 * the thinking block anthropic signed is left out of what Copilot gets
 * (it would refuse the signature), thinking turned off since the last
 * turn lost its own; a block of unknown provenance stays, and anthropic
 * itself gets its own signature back. */
static void
test_signature_provenance (Fixture       *fixture,
                           gconstpointer  user_data)
{
  static const char signed_answer[] =
    "{\"id\":\"msg_t\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-opus-4-1\","
    "\"content\":[{\"type\":\"thinking\",\"thinking\":\"hmm\",\"signature\":\"sig-from-anthropic-AAAA\"},"
    "{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"Read\",\"input\":{}}],\"stop_reason\":\"tool_use\","
    "\"usage\":{\"input_tokens\":5,\"output_tokens\":2}}";
  static const char next_turn[] =
    "{\"model\":\"claude-opus-4-1-20250805\",\"max_tokens\":1000,"
    "\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":500},\"messages\":["
    "{\"role\":\"user\",\"content\":\"first\"},"
    "{\"role\":\"assistant\",\"content\":[{\"type\":\"thinking\",\"thinking\":\"old\",\"signature\":\"sig-unknown-0001\"},"
    "{\"type\":\"text\",\"text\":\"a\"}]},"
    "{\"role\":\"user\",\"content\":\"second\"},"
    "{\"role\":\"assistant\",\"content\":[{\"type\":\"thinking\",\"thinking\":\"hmm\",\"signature\":\"sig-from-anthropic-AAAA\"},"
    "{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"Read\",\"input\":{}}]},"
    "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"t1\",\"content\":\"ok\"}]}]}";
  g_autofree char *url = g_strconcat (fixture->daemon->url, "/v1/messages", NULL);
  g_autofree char *answer = NULL;
  g_autofree char *first = cc_test_agent_body ("claude-opus-4-1-20250805", FALSE);
  CcTestRecordedRequest *to_anthropic, *to_copilot;
  g_autoptr(JsonNode) sent = NULL;
  guint status;

  cc_test_upstream_respond (fixture->anthropic, "/v1/messages", 200, "application/json", signed_answer, -1);
  answer = cc_test_post_json (fixture->client, url, first, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (strstr (answer, "sig-from-anthropic-AAAA"));

  cc_test_upstream_respond (fixture->anthropic, "/v1/messages", 503, "application/json", overloaded, -1);
  g_free (answer);
  answer = cc_test_post_json (fixture->client, url, next_turn, &status);
  g_assert_cmpuint (status, ==, 200);

  to_anthropic = cc_test_upstream_find_request (fixture->anthropic, "/v1/messages", 1);
  g_assert_nonnull (to_anthropic);
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (to_anthropic->body, NULL), g_bytes_get_size (to_anthropic->body),
                                  "sig-from-anthropic-AAAA"));
  to_copilot = cc_test_upstream_find_request (fixture->openai, "/v1/messages", 0);
  g_assert_nonnull (to_copilot);
  sent = json_from_string (g_bytes_get_data (to_copilot->body, NULL), NULL);
  g_assert_nonnull (sent);
  {
    g_autofree char *text = json_to_string (sent, FALSE);

    g_assert_null (strstr (text, "sig-from-anthropic-AAAA"));
    g_assert_nonnull (strstr (text, "sig-unknown-0001"));
    g_assert_false (json_object_has_member (json_node_get_object (sent), "thinking"));
    /* The tool call stays, and its result. */
    g_assert_nonnull (strstr (text, "\"tool_use_id\":\"t1\""));
  }
  wait_for_log (fixture->daemon, "[main → copilot (anthropic 503, 1 thinking block of anthropic left out, thinking off)]");

  /* Two more failures open anthropic's breaker: then Copilot is the
   * first try, and its body is made the same way. */
  for (guint i = 0; i < 2; i++)
    {
      g_free (answer);
      answer = cc_test_post_json (fixture->client, url, next_turn, &status);
      g_assert_cmpuint (status, ==, 200);
    }
  g_free (answer);
  answer = cc_test_post_json (fixture->client, url, next_turn, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpuint (cc_test_upstream_count_requests (fixture->anthropic, "/v1/messages"), ==, 4);
  to_copilot = cc_test_upstream_find_request (fixture->openai, "/v1/messages", 3);
  g_assert_nonnull (to_copilot);
  g_assert_null (g_strstr_len (g_bytes_get_data (to_copilot->body, NULL), g_bytes_get_size (to_copilot->body),
                               "sig-from-anthropic-AAAA"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/routes/roles", Fixture, &roles, fixture_setup, test_roles, fixture_teardown);
  g_test_add ("/routes/fallback/503", Fixture, &fallback, fixture_setup, test_fallback_on_503, fixture_teardown);
  g_test_add ("/routes/fallback/429", Fixture, &fallback, fixture_setup, test_fallback_on_429, fixture_teardown);
  g_test_add ("/routes/fallback/401", Fixture, &fallback, fixture_setup, test_fallback_on_401, fixture_teardown);
  g_test_add ("/routes/fallback/broken-host", Fixture, &host_broken, fixture_setup, test_fallback_on_broken_host,
              fixture_teardown);
  g_test_add ("/routes/fallback/refused", Fixture, &refused, fixture_setup, test_fallback_on_refused, fixture_teardown);
  g_test_add ("/routes/fallback/not-after-first-byte", Fixture, &fallback, fixture_setup,
              test_no_fallback_after_first_byte, fixture_teardown);
  g_test_add ("/routes/stored", Fixture, &roles, fixture_setup, test_stored_routes, fixture_teardown);
  g_test_add ("/routes/signature-provenance", Fixture, &provenance, fixture_setup, test_signature_provenance,
              fixture_teardown);
  g_test_add ("/routes/breaker", Fixture, &breaker, fixture_setup, test_breaker, fixture_teardown);
  g_test_add ("/routes/session-sticks", Fixture, &sticky, fixture_setup, test_session_sticks, fixture_teardown);
  return g_test_run ();
}
