/* test-translate.c: Anthropic Messages <-> OpenAI chat-completions, over
 * every fixture, whole outputs compared; every translated stream checked
 * against the invariants of translation.md, and fed split at every byte.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "cc-openai-responses.h"
#include "cc-openai-stream.h"
#include "cc-openai-translate.h"
#include "cc-test-util.h"


static JsonObject *
fixture_object (const char *name)
{
  g_autoptr(GBytes) bytes = cc_test_load_fixture (name);
  g_autofree char *text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  g_autoptr(JsonNode) node = json_from_string (text, NULL);

  g_assert_nonnull (node);
  return json_object_ref (json_node_get_object (node));
}

static void
assert_json (JsonNode   *node,
             const char *expected)
{
  g_autoptr(JsonNode) want = json_from_string (expected, NULL);
  g_autofree char *got = json_to_string (node, TRUE);

  g_assert_nonnull (want);
  if (!json_node_equal (node, want))
    g_error ("got:\n%s\nexpected:\n%s", got, expected);
}

/* ----- requests ----- */

static JsonNode *
translate_request (const char *json)
{
  g_autoptr(JsonNode) node = json_from_string (json, NULL);

  g_assert_nonnull (node);
  return cc_openai_request_from_anthropic (json_node_get_object (node), "m");
}

/* The agent turn: system blocks joined, the mid-conversation system
 * message kept in place, thinking dropped, the image as a data URL, tool
 * results as tool messages before the user's text, is_error's text kept,
 * the server tool dropped, cache_control and unknown fields gone. */
static void
test_request_agent (void)
{
  g_autoptr(JsonObject) request = fixture_object ("anthropic-request-agent.json");
  g_autoptr(JsonNode) translated = cc_openai_request_from_anthropic (request, "claude-sonnet-4.5");
  g_autofree char *expected = cc_test_load_expected_text ("openai-request-agent.json");

  assert_json (translated, expected);
  g_assert_true (cc_openai_anthropic_has_image (request));
  /* Its last message holds tool results: an agent turn. */
  g_assert_false (cc_openai_anthropic_is_user_turn (request));
}

static void
test_request_details (void)
{
  g_autoptr(JsonNode) minimal = NULL, choices = NULL, server_only = NULL, images = NULL, empty = NULL;

  {
    g_autoptr(JsonObject) request = fixture_object ("anthropic-request-minimal.json");

    minimal = cc_openai_request_from_anthropic (request, "m");
    g_assert_true (cc_openai_anthropic_is_user_turn (request));
    g_assert_false (cc_openai_anthropic_has_image (request));
  }
  assert_json (minimal, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":256}");

  /* stop_sequences, top_p, a named tool choice, no parallel calls; top_k
   * and other fields we do not map are dropped. */
  choices = translate_request ("{\"model\":\"x\",\"max_tokens\":5,\"stop_sequences\":[\"END\"],\"top_p\":0.5,\"top_k\":3,"
                               "\"service_tier\":\"auto\",\"stream\":false,"
                               "\"tools\":[{\"name\":\"T\",\"input_schema\":{\"type\":\"object\"},\"cache_control\":{}}],"
                               "\"tool_choice\":{\"type\":\"tool\",\"name\":\"T\",\"disable_parallel_tool_use\":true},"
                               "\"messages\":[{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t1\","
                               "\"name\":\"T\",\"input\":{}}]},{\"role\":\"user\",\"content\":\"\"}]}");
  assert_json (choices, "{\"model\":\"m\",\"messages\":[{\"role\":\"assistant\",\"content\":null,\"tool_calls\":"
                        "[{\"id\":\"t1\",\"type\":\"function\",\"function\":{\"name\":\"T\",\"arguments\":\"{}\"}}]}],"
                        "\"max_tokens\":5,\"stop\":[\"END\"],\"top_p\":0.5,"
                        "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"T\",\"parameters\":{\"type\":\"object\"}}}],"
                        "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"T\"}},\"parallel_tool_calls\":false}");

  /* Only server tools: no tools and no tool choice at all. any → required
   * would have needed a tool. */
  server_only = translate_request ("{\"tools\":[{\"type\":\"web_search_20250305\",\"name\":\"web_search\"}],"
                                   "\"tool_choice\":{\"type\":\"any\"},\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
  assert_json (server_only, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

  /* A URL image; an image a tool returned goes into the user message
   * after the tool messages; a document is dropped. */
  images = translate_request ("{\"messages\":[{\"role\":\"user\",\"content\":["
                              "{\"type\":\"text\",\"text\":\"see\"},"
                              "{\"type\":\"document\",\"source\":{\"type\":\"text\",\"data\":\"doc\"}},"
                              "{\"type\":\"tool_result\",\"tool_use_id\":\"t9\",\"content\":["
                              "{\"type\":\"text\",\"text\":\"shot\"},"
                              "{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":\"image/jpeg\",\"data\":\"QUJD\"}}]},"
                              "{\"type\":\"image\",\"source\":{\"type\":\"url\",\"url\":\"https://example.test/a.png\"}}]}]}");
  assert_json (images, "{\"model\":\"m\",\"messages\":["
                       "{\"role\":\"tool\",\"tool_call_id\":\"t9\",\"content\":\"shot\"},"
                       "{\"role\":\"user\",\"content\":["
                       "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/jpeg;base64,QUJD\"}},"
                       "{\"type\":\"text\",\"text\":\"see\"},"
                       "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://example.test/a.png\"}}]}]}");

  /* Messages that map to nothing go; so does thinking-only content. */
  empty = translate_request ("{\"system\":\"\",\"messages\":[{\"role\":\"user\",\"content\":[]},"
                             "{\"role\":\"assistant\",\"content\":[{\"type\":\"thinking\",\"thinking\":\"hm\"}]},"
                             "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},{\"type\":\"text\",\"text\":\"b\"}]}]}");
  assert_json (empty, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"a\\n\\nb\"}]}");
}

/* Garbage of every shape gives a body, never a crash or a warning. */
static void
test_request_garbage (void)
{
  static const char * const bodies[] = {
    "{}", "{\"messages\":7}", "{\"messages\":[1,\"x\",null,{\"role\":5}]}",
    "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image\"},{\"type\":\"tool_result\"},7]}]}",
    "{\"system\":[{\"type\":\"text\"}],\"tools\":[{\"name\":3},7],\"tool_choice\":\"auto\",\"metadata\":[]}",
    "{\"messages\":[{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"input\":\"not an object\"}]}]}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr(JsonNode) node = json_from_string (bodies[i], NULL);
      g_autoptr(JsonNode) out = translate_request (bodies[i]);

      g_assert_true (JSON_NODE_HOLDS_OBJECT (out));
      g_assert_cmpint (cc_openai_count_tokens (json_node_get_object (node), "claude-x"), >, 0);
    }
}

static void
test_request_facts (void)
{
  static const struct { const char *body; gboolean user; gboolean image; } cases[] = {
    { "{\"messages\":[{\"role\":\"user\",\"content\":\"typed\"}]}", TRUE, FALSE },
    { "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image\",\"source\":{}}]}]}", TRUE, TRUE },
    { "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"content\":[{\"type\":\"image\"}]},"
      "{\"type\":\"text\",\"text\":\"and\"}]}]}", FALSE, TRUE },
    { "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"go on\"}]}", FALSE, FALSE },
    /* An image inside a tool's input is the tool's business. */
    { "{\"messages\":[{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"input\":{\"type\":\"image\"}}]},"
      "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"x\"}]}]}", TRUE, FALSE },
    { "{\"messages\":[]}", FALSE, FALSE },
    /* Claude Code's first turn: the typed prompt, then a system message. */
    { "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"run it\"}]},"
      "{\"role\":\"system\",\"content\":\"agent types\"}]}", TRUE, FALSE },
    { "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"content\":\"ok\"}]},"
      "{\"role\":\"system\",\"content\":\"agent types\"}]}", FALSE, FALSE },
    { "{\"messages\":[{\"role\":\"system\",\"content\":\"only instructions\"}]}", FALSE, FALSE },
  };
  /* The same facts about chat-completions bodies, as relayed as they are. */
  static const struct { const char *body; gboolean user; gboolean image; } chat_cases[] = {
    { "{\"messages\":[{\"role\":\"user\",\"content\":\"typed\"}]}", TRUE, FALSE },
    { "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{}}]}]}", TRUE, TRUE },
    { "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"tool\",\"content\":\"42\"}]}", FALSE, FALSE },
    { "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"developer\",\"content\":\"be brief\"}]}", TRUE, FALSE },
    { "{\"messages\":[{\"role\":\"user\",\"content\":\"\"}]}", FALSE, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonNode) node = json_from_string (cases[i].body, NULL);

      g_assert_cmpint (cc_openai_anthropic_is_user_turn (json_node_get_object (node)), ==, cases[i].user);
      g_assert_cmpint (cc_openai_anthropic_has_image (json_node_get_object (node)), ==, cases[i].image);
    }
  for (guint i = 0; i < G_N_ELEMENTS (chat_cases); i++)
    {
      g_autoptr(JsonNode) node = json_from_string (chat_cases[i].body, NULL);

      g_assert_cmpint (cc_openai_chat_is_user_turn (json_node_get_object (node)), ==, chat_cases[i].user);
      g_assert_cmpint (cc_openai_chat_has_image (json_node_get_object (node)), ==, chat_cases[i].image);
    }
}

/* ----- non-streamed answers and errors ----- */

static void
test_response_tools (void)
{
  g_autoptr(JsonObject) response = fixture_object ("openai-response-tools.json");
  g_autoptr(JsonNode) translated = cc_openai_response_to_anthropic (response);
  g_autofree char *expected = cc_test_load_expected_text ("anthropic-response-tools.json");

  assert_json (translated, expected);
}

/* The same agent turn for a /responses-only model: the chat translation,
 * spelled as Responses input items; thinking asks for a reasoning summary. */
static void
test_responses_request_agent (void)
{
  g_autoptr(JsonObject) request = fixture_object ("anthropic-request-agent.json");
  g_autoptr(JsonNode) translated = cc_openai_responses_request_from_anthropic (request, "gpt-5-codex");
  g_autofree char *expected = cc_test_load_expected_text ("responses-request-agent.json");
  g_autoptr(JsonNode) thinking = json_from_string ("{\"type\":\"enabled\",\"budget_tokens\":8000}", NULL);
  g_autoptr(JsonNode) reasoning = NULL;

  assert_json (translated, expected);

  /* Thinking asks for reasoning, with a summary to show as thinking. */
  json_object_set_member (request, "thinking", g_steal_pointer (&thinking));
  reasoning = cc_openai_responses_request_from_anthropic (request, "gpt-5-codex");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (json_node_get_object (reasoning), "reasoning"), "effort"), ==, "medium");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (json_node_get_object (reasoning), "reasoning"), "summary"), ==, "auto");
}

static void
test_responses_response_tools (void)
{
  g_autoptr(JsonObject) response = fixture_object ("responses-response-tools.json");
  g_autoptr(JsonNode) translated = cc_openai_responses_response_to_anthropic (response);
  g_autofree char *expected = cc_test_load_expected_text ("anthropic-from-responses-response-tools.json");

  assert_json (translated, expected);
}

static void
test_response_stop_reasons (void)
{
  static const struct { const char *finish; const char *stop; } cases[] = {
    { "stop", "end_turn" }, { "length", "max_tokens" }, { "tool_calls", "tool_use" },
    { "content_filter", "end_turn" }, { NULL, "end_turn" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"id\":null,\"choices\":[{\"message\":{\"content\":\"x\"},"
                                               "\"finish_reason\":%s%s%s}]}",
                                               cases[i].finish ? "\"" : "", cases[i].finish ? cases[i].finish : "null",
                                               cases[i].finish ? "\"" : "");
      g_autoptr(JsonNode) node = json_from_string (body, NULL);
      g_autoptr(JsonNode) out = cc_openai_response_to_anthropic (json_node_get_object (node));
      g_autofree char *want = g_strdup_printf ("{\"id\":\"\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"\","
                                               "\"content\":[{\"type\":\"text\",\"text\":\"x\"}],\"stop_reason\":\"%s\","
                                               "\"stop_sequence\":null,\"usage\":{\"input_tokens\":0,\"output_tokens\":0}}",
                                               cases[i].stop);

      assert_json (out, want);
    }
}

/* OpenAI's names become Anthropic's; cached prompt tokens are reported
 * apart, not counted as input twice; what is not told counts 0. */
static void
test_usage (void)
{
  static const struct { const char *openai; const char *anthropic; } cases[] = {
    { "{\"prompt_tokens\":50,\"completion_tokens\":10,\"prompt_tokens_details\":{\"cached_tokens\":20}}",
      "{\"input_tokens\":30,\"output_tokens\":10,\"cache_read_input_tokens\":20}" },
    { "{\"prompt_tokens\":5,\"completion_tokens\":1,\"prompt_tokens_details\":{\"cached_tokens\":0}}",
      "{\"input_tokens\":5,\"output_tokens\":1}" },
    { "{\"prompt_tokens\":\"5\",\"completion_tokens\":-3}", "{\"input_tokens\":0,\"output_tokens\":0}" },
    { "{}", "{\"input_tokens\":0,\"output_tokens\":0}" },
  };
  g_autoptr(JsonNode) none = cc_openai_usage_to_anthropic (NULL);

  assert_json (none, "{\"input_tokens\":0,\"output_tokens\":0}");
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonNode) node = json_from_string (cases[i].openai, NULL);
      g_autoptr(JsonNode) out = cc_openai_usage_to_anthropic (json_node_get_object (node));

      assert_json (out, cases[i].anthropic);
    }
}

static void
test_errors (void)
{
  static const struct { guint status; const char *type; } by_status[] = {
    { 400, "invalid_request_error" }, { 401, "authentication_error" }, { 403, "permission_error" },
    { 404, "not_found_error" }, { 413, "request_too_large" }, { 429, "rate_limit_error" },
    { 503, "overloaded_error" }, { 529, "overloaded_error" }, { 500, "api_error" }, { 502, "api_error" },
  };
  g_autoptr(GBytes) upstream = cc_test_load_fixture ("openai-error-401.json");
  g_autoptr(GBytes) junk = g_bytes_new_static ("<html>", 6);
  g_autofree char *kept = cc_openai_error_to_anthropic (401, upstream);
  g_autofree char *fallback = cc_openai_error_to_anthropic (502, junk);
  g_autofree char *empty = cc_openai_error_to_anthropic (429, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (by_status); i++)
    g_assert_cmpstr (cc_openai_error_type_for_status (by_status[i].status), ==, by_status[i].type);
  g_assert_cmpstr (kept, ==, "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"Bad credentials\"}}");
  g_assert_cmpstr (fallback, ==, "{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"Upstream provider error\"}}");
  g_assert_cmpstr (empty, ==, "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Upstream provider error\"}}");
}

/* ----- count_tokens and model names ----- */

static void
test_count_tokens (void)
{
  g_autoptr(JsonObject) agent = fixture_object ("anthropic-request-agent.json");
  g_autoptr(JsonObject) minimal = fixture_object ("anthropic-request-minimal.json");
  g_autoptr(JsonNode) translated = cc_openai_request_from_anthropic (minimal, "gpt-4.1");
  g_autofree char *text = json_to_string (translated, FALSE);

  /* Four bytes a token, rounded up; no factor for other models. */
  g_assert_cmpint (cc_openai_count_tokens (minimal, "gpt-4.1"), ==, (strlen (text) + 3) / 4);
  /* Claude: times 1.15. The agent has an mcp__ tool: no tool overhead. */
  g_assert_cmpint (cc_openai_count_tokens (agent, "claude-sonnet-4-5"), ==, 495);
  json_array_remove_element (json_object_get_array_member (agent, "tools"), 2);
  g_assert_cmpint (cc_openai_count_tokens (agent, "claude-sonnet-4-5"), >, 495 + 346);
}

static void
test_model_map (void)
{
  static const char * const known[] = { "claude-sonnet-4.5", "claude-opus-4.1", "gpt-4.1", NULL };
  static const struct { const char *in, *map; gboolean list; const char *out; } cases[] = {
    { "claude-sonnet-4-5-20250929", NULL, TRUE, "claude-sonnet-4.5" },
    { "claude-sonnet-4-5", "", TRUE, "claude-sonnet-4.5" },
    { "claude-opus-4-1-20250805", NULL, TRUE, "claude-opus-4.1" },
    { "claude-sonnet-4-5-20250929", NULL, FALSE, "claude-sonnet-4-5" },
    { "claude-haiku-4-5", NULL, TRUE, "claude-haiku-4-5" },
    { "gpt-4.1", NULL, TRUE, "gpt-4.1" },
    { "claude-sonnet-4-5", "x=y, claude-sonnet-4-5 = gpt-4.1", TRUE, "gpt-4.1" },
    { "claude-sonnet-4-5-20250929", "claude-sonnet-4-5=gpt-4.1", TRUE, "claude-sonnet-4.5" },
    { "haiku", "broken,haiku=", TRUE, "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = cc_openai_map_model (cases[i].in, cases[i].map, cases[i].list ? known : NULL);

      g_assert_cmpstr (out, ==, cases[i].out);
    }
}

/* ----- streams ----- */

static void
collect (const char *event,
         JsonNode   *data,
         gpointer    user_data)
{
  cc_proxy_sse_append_event (user_data, event, data);
}

static char *
translate_stream (GBytes   *bytes,
                  gsize     split,
                  gboolean  responses)
{
  GString *out = g_string_new (NULL);
  g_autoptr(CcOpenaiStream) stream = responses ? cc_openai_stream_new_for_responses (collect, out)
                                               : cc_openai_stream_new (collect, out);
  const char *data = g_bytes_get_data (bytes, NULL);
  gsize len = g_bytes_get_size (bytes);

  cc_openai_stream_feed (stream, data, MIN (split, len));
  if (split < len)
    cc_openai_stream_feed (stream, data + split, len - split);
  cc_openai_stream_finish (stream);
  g_assert_true (cc_openai_stream_is_done (stream));
  /* Nothing more once it has ended, whatever comes. */
  cc_openai_stream_feed (stream, "data: {\"choices\":[{\"delta\":{\"content\":\"late\"}}]}\n\n", 52);
  cc_openai_stream_ping (stream);
  cc_openai_stream_fail (stream, "late");
  return g_string_free (out, FALSE);
}

static void
free_string (gpointer string)
{
  g_string_free (string, TRUE);
}

/* The end of translation.md, enforced: event lines, one message_start
 * first, blocks in order with matching starts and stops and deltas of
 * their kind, message_delta then message_stop last (or an error event),
 * never [DONE], and whole JSON in every tool input. */
static void
validate_stream (const char *text,
                 gboolean    expect_error)
{
  g_auto(GStrv) events = g_strsplit (text, "\n\n", -1);
  g_autoptr(GHashTable) tool_input = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, free_string);
  gint64 open = -1, next = 0;
  g_autofree char *open_type = NULL;
  guint n = g_strv_length (events);
  gboolean ended = FALSE;

  g_assert_null (strstr (text, "[DONE]"));
  g_assert_true (g_str_has_suffix (text, "\n\n"));
  g_assert_cmpstr (events[n - 1], ==, "");
  for (guint i = 0; i + 1 < n; i++)
    {
      g_auto(GStrv) lines = g_strsplit (events[i], "\n", -1);
      g_autoptr(JsonNode) node = NULL;
      JsonObject *data;
      const char *type;

      g_assert_false (ended);
      g_assert_cmpuint (g_strv_length (lines), ==, 2);
      g_assert_true (g_str_has_prefix (lines[0], "event: "));
      g_assert_true (g_str_has_prefix (lines[1], "data: "));
      node = json_from_string (lines[1] + 6, NULL);
      g_assert_nonnull (node);
      data = json_node_get_object (node);
      type = json_object_get_string_member (data, "type");
      g_assert_cmpstr (type, ==, lines[0] + 7);

      if (i == 0 && !(expect_error && g_str_equal (type, "error")))
        g_assert_cmpstr (type, ==, "message_start");
      else
        g_assert_cmpstr (type, !=, "message_start");

      if (g_str_equal (type, "content_block_start"))
        {
          g_assert_cmpint (open, ==, -1);
          g_assert_cmpint (json_object_get_int_member (data, "index"), ==, next);
          open = next++;
          g_free (open_type);
          open_type = g_strdup (json_object_get_string_member (json_object_get_object_member (data, "content_block"), "type"));
          if (g_str_equal (open_type, "tool_use"))
            g_hash_table_insert (tool_input, GINT_TO_POINTER (open), g_string_new (NULL));
        }
      else if (g_str_equal (type, "content_block_delta"))
        {
          JsonObject *delta = json_object_get_object_member (data, "delta");
          const char *kind = json_object_get_string_member (delta, "type");

          g_assert_cmpint (json_object_get_int_member (data, "index"), ==, open);
          if (g_str_equal (open_type, "text"))
            g_assert_cmpstr (kind, ==, "text_delta");
          else if (g_str_equal (open_type, "thinking"))
            g_assert_true (g_str_equal (kind, "thinking_delta") || g_str_equal (kind, "signature_delta"));
          else
            {
              g_assert_cmpstr (kind, ==, "input_json_delta");
              g_string_append (g_hash_table_lookup (tool_input, GINT_TO_POINTER (open)),
                               json_object_get_string_member (delta, "partial_json"));
            }
        }
      else if (g_str_equal (type, "content_block_stop"))
        {
          g_assert_cmpint (json_object_get_int_member (data, "index"), ==, open);
          open = -1;
        }
      else if (g_str_equal (type, "message_delta"))
        {
          g_assert_false (expect_error);
          g_assert_cmpint (open, ==, -1);
          g_assert_cmpuint (i, ==, n - 3);
          g_assert_true (json_object_has_member (json_object_get_object_member (data, "usage"), "output_tokens"));
        }
      else if (g_str_equal (type, "message_stop"))
        {
          g_assert_cmpuint (i, ==, n - 2);
          ended = TRUE;
        }
      else if (g_str_equal (type, "error"))
        {
          g_assert_true (expect_error);
          g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (data, "error"), "type"), ==, "api_error");
          ended = TRUE;
        }
      else
        g_assert_true (g_str_equal (type, "message_start") || g_str_equal (type, "ping"));
    }
  g_assert_true (ended);

  if (!expect_error)
    {
      GHashTableIter iter;
      GString *input;

      g_hash_table_iter_init (&iter, tool_input);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &input))
        {
          g_autoptr(JsonNode) parsed = json_from_string (input->str, NULL);

          g_assert_nonnull (parsed);
        }
    }
}

typedef struct
{
  const char *fixture;
  const char *expected;
  gboolean    error;
  gboolean    responses;  /* the Responses API, not chat-completions */
} StreamCase;

static const StreamCase stream_cases[] = {
  { "openai-stream-text.sse", "anthropic-from-openai-stream-text.sse", FALSE },
  { "openai-stream-parallel-tools.sse", "anthropic-from-openai-stream-parallel-tools.sse", FALSE },
  { "openai-stream-reasoning.sse", "anthropic-from-openai-stream-reasoning.sse", FALSE },
  { "openai-stream-cut.sse", "anthropic-from-openai-stream-cut.sse", TRUE },
  { "openai-stream-error.sse", "anthropic-from-openai-stream-error.sse", TRUE },
  { "responses-stream-tools.sse", "anthropic-from-responses-stream-tools.sse", FALSE, TRUE },
  { "responses-stream-incomplete.sse", "anthropic-from-responses-stream-incomplete.sse", FALSE, TRUE },
  { "responses-stream-cut.sse", "anthropic-from-responses-stream-cut.sse", TRUE, TRUE },
  { "responses-stream-failed.sse", "anthropic-from-responses-stream-failed.sse", TRUE, TRUE },
  /* Events without the objects they should carry (fuzz-translate-stream
   * found a critical on response.created): a stream all the same. */
  { "hostile-responses-stream-no-objects.sse", "anthropic-from-hostile-responses-stream-no-objects.sse", FALSE, TRUE },
};

static void
test_stream (gconstpointer user_data)
{
  const StreamCase *test = user_data;
  g_autoptr(GBytes) bytes = cc_test_load_fixture (test->fixture);
  g_autofree char *whole = translate_stream (bytes, G_MAXSIZE, test->responses);
  g_autofree char *expected = cc_test_load_expected_text (test->expected);

  g_assert_cmpstr (whole, ==, expected);
  validate_stream (whole, test->error);

  /* Any split of the bytes, inside a line or a "\r\n", gives the same. */
  for (gsize split = 0; split <= g_bytes_get_size (bytes); split++)
    {
      g_autofree char *again = translate_stream (bytes, split, test->responses);

      if (g_strcmp0 (again, whole) != 0)
        g_error ("split at byte %" G_GSIZE_FORMAT " changed the output:\n%s", split, again);
    }
}

/* The same stream with CRLF line ends and one byte at a time. */
static void
test_stream_crlf_bytewise (void)
{
  g_autofree char *lf = cc_test_load_fixture_text ("openai-stream-parallel-tools.sse");
  g_auto(GStrv) lines = g_strsplit (lf, "\n", -1);
  g_autofree char *crlf = g_strjoinv ("\r\n", lines);
  g_autofree char *expected = cc_test_load_expected_text ("anthropic-from-openai-stream-parallel-tools.sse");
  GString *out = g_string_new (NULL);
  g_autoptr(CcOpenaiStream) stream = cc_openai_stream_new (collect, out);
  g_autofree char *text = NULL;

  for (gsize i = 0; crlf[i] != '\0'; i++)
    cc_openai_stream_feed (stream, crlf + i, 1);
  cc_openai_stream_finish (stream);
  text = g_string_free (out, FALSE);
  g_assert_cmpstr (text, ==, expected);
}

/* Cases the fixtures do not have: a call buffered behind another and
 * its fragments kept whole; a repeated id and name; a clean end without
 * [DONE]; null ids; junk; a ping. */
static void
test_stream_edges (void)
{
  static const struct { const char *in; const char *out; } cases[] = {
    /* Call 1 appears while call 0's block is open: buffered, then sent
     * whole after it, in index order; a repeated id+name opens nothing. */
    { "data: {\"id\":null,\"model\":null,\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"b\",\"function\":{\"name\":\"B\",\"arguments\":\"{\\\"x\\\"\"}}]}}]}\n\n"
      "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"a\",\"function\":{\"name\":\"A\",\"arguments\":\"{}\"}}]}}]}\n\n"
      "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"b\",\"function\":{\"name\":\"B\",\"arguments\":\":1}\"}}]}}]}\n\n"
      "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"tool_calls\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}\n\n",
      "message_start{\"id\":\"\",\"model\":\"\"} ping "
      "content_block_start0{\"type\":\"tool_use\",\"id\":\"b\",\"name\":\"B\",\"input\":{}} content_block_delta0{\"x\" "
      "content_block_delta0:1} content_block_stop0 "
      "content_block_start1{\"type\":\"tool_use\",\"id\":\"a\",\"name\":\"A\",\"input\":{}} content_block_delta1{} content_block_stop1 "
      "message_delta tool_use message_stop" },
    /* Junk where a chunk should be ends the stream with an error. */
    { "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\ndata: not json\n\n"
      "data: {\"choices\":[{\"delta\":{\"content\":\"b\"}}]}\n\n",
      "message_start{\"id\":\"\",\"model\":\"\"} ping content_block_start0{\"type\":\"text\",\"text\":\"\"} "
      "content_block_delta0a content_block_stop0 error" },
    /* Nothing at all: an error, without a message_start. */
    { "", "error" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      GString *out = g_string_new (NULL);
      g_autoptr(CcOpenaiStream) stream = cc_openai_stream_new (collect, out);
      g_autofree char *text = NULL;
      g_autoptr(GString) summary = g_string_new (NULL);
      g_auto(GStrv) events = NULL;

      cc_openai_stream_feed (stream, cases[i].in, strlen (cases[i].in));
      cc_openai_stream_finish (stream);
      text = g_string_free (out, FALSE);
      validate_stream (text, g_str_has_suffix (cases[i].out, "error"));

      /* A compact view: type, index, and what matters in each. */
      events = g_strsplit (text, "\n\n", -1);
      for (guint j = 0; events[j] != NULL && events[j][0] != '\0'; j++)
        {
          g_autoptr(JsonNode) node = json_from_string (strstr (events[j], "data: ") + 6, NULL);
          JsonObject *data = json_node_get_object (node);
          const char *type = json_object_get_string_member (data, "type");

          g_string_append_printf (summary, "%s%s", summary->len ? " " : "", type);
          if (json_object_has_member (data, "index"))
            g_string_append_printf (summary, "%" G_GINT64_FORMAT, json_object_get_int_member (data, "index"));
          if (g_str_equal (type, "message_start"))
            {
              JsonObject *message = json_object_get_object_member (data, "message");

              g_string_append_printf (summary, "{\"id\":\"%s\",\"model\":\"%s\"}",
                                      json_object_get_string_member (message, "id"),
                                      json_object_get_string_member (message, "model"));
            }
          else if (g_str_equal (type, "content_block_start"))
            {
              g_autofree char *block = json_to_string (json_object_get_member (data, "content_block"), FALSE);

              g_string_append (summary, block);
            }
          else if (g_str_equal (type, "content_block_delta"))
            {
              JsonObject *delta = json_object_get_object_member (data, "delta");

              g_string_append (summary, json_object_has_member (delta, "partial_json")
                                        ? json_object_get_string_member (delta, "partial_json")
                                        : json_object_get_string_member (delta, "text"));
            }
          else if (g_str_equal (type, "message_delta"))
            g_string_append_printf (summary, " %s", json_object_get_string_member (json_object_get_object_member (data, "delta"),
                                                                                    "stop_reason"));
        }
      g_assert_cmpstr (summary->str, ==, cases[i].out);
    }
}

static void
test_stream_ping_and_clean_end (void)
{
  static const char text[] =
    "data: {\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\n"
    "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"length\"}]}\n\n";
  GString *out = g_string_new (NULL);
  g_autoptr(CcOpenaiStream) stream = cc_openai_stream_new (collect, out);
  g_autofree char *result = NULL;

  cc_openai_stream_ping (stream);  /* before message_start: nothing */
  g_assert_cmpuint (out->len, ==, 0);
  cc_openai_stream_feed (stream, text, strlen (text));
  cc_openai_stream_ping (stream);
  /* Ended by the upstream after a finish reason, without [DONE]. */
  cc_openai_stream_finish (stream);
  result = g_string_free (out, FALSE);
  validate_stream (result, FALSE);
  g_assert_nonnull (strstr (result, "event: ping\ndata: {\"type\":\"ping\"}\n\nevent: message_delta\n"));
  g_assert_nonnull (strstr (result, "\"stop_reason\":\"max_tokens\""));
}

/* An upstream line that never ends: the client's stream ends with an
 * error once it passes the cap, and the caller is told to drop it. */
static void
test_stream_event_cap (void)
{
  static const char first[] =
    "data: {\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\n"
    "data: {\"choices\":[{\"delta\":{\"content\":\"";
  GString *out = g_string_new (NULL);
  g_autoptr(CcOpenaiStream) stream = cc_openai_stream_new (collect, out);
  gsize chunk = 1024 * 1024;
  g_autofree char *data = memset (g_malloc (chunk), 'x', chunk);
  g_autofree char *result = NULL;
  gboolean ok = TRUE;
  guint fed;

  g_assert_true (cc_openai_stream_feed (stream, first, strlen (first)));
  for (fed = 0; ok && fed < 64; fed++)
    ok = cc_openai_stream_feed (stream, data, chunk);
  g_assert_false (ok);
  g_assert_cmpuint (fed, ==, 16);
  g_assert_true (cc_openai_stream_is_done (stream));
  result = g_string_free (out, FALSE);
  validate_stream (result, TRUE);
  g_assert_nonnull (strstr (result, "The upstream sent an event larger than 16 MiB"));
}

/* What OpenAI-compatible servers other than OpenAI do (Ollama,
 * OpenRouter, vLLM, DeepSeek): reasoning under "reasoning" or
 * "reasoning_content", tool calls without ids, no usage at all. Each
 * becomes what an Anthropic client expects. */
static void
test_server_quirks (void)
{
  static const char stream_text[] =
    "data: {\"id\":\"c1\",\"model\":\"qwen3\",\"choices\":[{\"delta\":{\"role\":\"assistant\",\"reasoning\":\"Why \"}}]}\n\n"
    "data: {\"choices\":[{\"delta\":{\"reasoning_content\":\"not.\"}}]}\n\n"
    "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"name\":\"Read\",\"arguments\":\"{\\\"path\\\":\\\"a\\\"}\"}}]}}]}\n\n"
    "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
    "data: [DONE]\n\n";
  static const char whole_text[] =
    "{\"id\":\"c2\",\"model\":\"deepseek-reasoner\",\"choices\":[{\"finish_reason\":\"tool_calls\",\"message\":"
    "{\"role\":\"assistant\",\"reasoning_content\":\"Read it first.\",\"content\":\"\","
    "\"tool_calls\":[{\"type\":\"function\",\"function\":{\"name\":\"Read\",\"arguments\":\"{}\"}}]}}]}";
  g_autoptr(GBytes) bytes = g_bytes_new_static (stream_text, sizeof stream_text - 1);
  g_autofree char *events = translate_stream (bytes, G_MAXSIZE, FALSE);
  g_autoptr(JsonNode) whole = json_from_string (whole_text, NULL);
  g_autoptr(JsonNode) message = cc_openai_response_to_anthropic (json_node_get_object (whole));
  JsonArray *content = json_object_get_array_member (json_node_get_object (message), "content");
  JsonObject *thinking = json_array_get_object_element (content, 0);
  JsonObject *tool = json_array_get_object_element (content, 1);

  validate_stream (events, FALSE);
  g_assert_nonnull (strstr (events, "\"content_block\":{\"type\":\"thinking\""));
  g_assert_nonnull (strstr (events, "\"thinking\":\"Why \"}"));
  g_assert_nonnull (strstr (events, "\"thinking\":\"not.\"}"));
  g_assert_nonnull (strstr (events, "\"type\":\"tool_use\",\"id\":\"toolu_"));
  g_assert_nonnull (strstr (events, "\"stop_reason\":\"tool_use\""));
  g_assert_nonnull (strstr (events, "\"output_tokens\":0"));

  g_assert_cmpuint (json_array_get_length (content), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (thinking, "type"), ==, "thinking");
  g_assert_cmpstr (json_object_get_string_member (thinking, "thinking"), ==, "Read it first.");
  g_assert_cmpstr (json_object_get_string_member (tool, "type"), ==, "tool_use");
  g_assert_true (g_str_has_prefix (json_object_get_string_member (tool, "id"), "toolu_"));
  g_assert_cmpuint (strlen (json_object_get_string_member (tool, "id")), >, 12);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (message), "stop_reason"), ==, "tool_use");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_summary ("Anthropic Messages <-> OpenAI chat-completions: requests, answers, streams, errors, estimates");

  g_test_add_func ("/translate/request/agent", test_request_agent);
  g_test_add_func ("/translate/request/details", test_request_details);
  g_test_add_func ("/translate/request/garbage", test_request_garbage);
  g_test_add_func ("/translate/request/facts", test_request_facts);
  g_test_add_func ("/translate/response/tools", test_response_tools);
  g_test_add_func ("/translate/response/stop-reasons", test_response_stop_reasons);
  g_test_add_func ("/translate/response/usage", test_usage);
  g_test_add_func ("/translate/responses/request-agent", test_responses_request_agent);
  g_test_add_func ("/translate/responses/response-tools", test_responses_response_tools);
  g_test_add_func ("/translate/errors", test_errors);
  g_test_add_func ("/translate/count-tokens", test_count_tokens);
  g_test_add_func ("/translate/model-map", test_model_map);
  for (guint i = 0; i < G_N_ELEMENTS (stream_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/translate/stream/%s", stream_cases[i].fixture);

      g_test_add_data_func (path, &stream_cases[i], test_stream);
    }
  g_test_add_func ("/translate/stream/crlf-bytewise", test_stream_crlf_bytewise);
  g_test_add_func ("/translate/stream/edges", test_stream_edges);
  g_test_add_func ("/translate/stream/ping-and-clean-end", test_stream_ping_and_clean_end);
  g_test_add_func ("/translate/stream/event-cap", test_stream_event_cap);
  g_test_add_func ("/translate/server-quirks", test_server_quirks);

  return g_test_run ();
}
