/* test-api.c: the provider API's values: descriptors, SSE parsing,
 * redaction and the safe header view, error bodies.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <math.h>

#include <cc-proxy/cc-proxy.h>

#include "cc-proxy-body-scan.h"
#include "cc-proxy-route-table.h"
#include "cc-proxy-signature-scan.h"
#include "cc-test-util.h"
#include "cc-proxy-event.h"

static const char * const modes[] = { "fast", "slow", NULL };

static void
assert_normalized (CcProxySettingDescriptor *setting,
                   const char               *in,
                   const char               *expected)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = cc_proxy_setting_descriptor_normalize (setting, in, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (out, ==, expected);
}

static void
assert_rejected (CcProxySettingDescriptor *setting,
                 const char               *in,
                 const char               *message)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = cc_proxy_setting_descriptor_normalize (setting, in, &error);

  g_assert_null (out);
  g_assert_error (error, CC_PROXY_PROVIDER_ERROR, CC_PROXY_PROVIDER_ERROR_INVALID_VALUE);
  g_assert_cmpstr (error->message, ==, message);
}

static void
test_normalize (void)
{
  g_autoptr(CcProxySettingDescriptor) url =
    cc_proxy_setting_descriptor_new ("base-url", "URL", "", CC_PROXY_SETTING_KIND_URL, "", NULL, FALSE, NULL);
  g_autoptr(CcProxySettingDescriptor) flag =
    cc_proxy_setting_descriptor_new ("flag", "Flag", "", CC_PROXY_SETTING_KIND_BOOL, "false", NULL, FALSE, NULL);
  g_autoptr(CcProxySettingDescriptor) mode =
    cc_proxy_setting_descriptor_new ("mode", "Mode", "", CC_PROXY_SETTING_KIND_SELECT, "fast", modes, FALSE, NULL);
  g_autoptr(CcProxySettingDescriptor) text =
    cc_proxy_setting_descriptor_new ("note", "Note", "", CC_PROXY_SETTING_KIND_TEXT, "", NULL, FALSE, NULL);
  g_autoptr(CcProxySettingDescriptor) seconds =
    cc_proxy_setting_descriptor_new_int ("rate-limit-seconds", "Seconds", "", 0, 0, 3600, "seconds", NULL);
  g_autoptr(CcProxySettingDescriptor) count =
    cc_proxy_setting_descriptor_new_int ("retries", "Retries", "", 2, -1, 5, NULL, NULL);
  gint minimum = 0, maximum = 0;

  assert_normalized (url, "  http://127.0.0.1:8080/// ", "http://127.0.0.1:8080");
  assert_normalized (url, "HTTPS://api.example.test/v1", "HTTPS://api.example.test/v1");
  assert_rejected (url, "not-a-url", "“not-a-url” is not a valid value for base-url: use an http:// or https:// address");
  assert_rejected (url, "file:///etc/passwd", "“file:///etc/passwd” is not a valid value for base-url: use an http:// or https:// address");
  assert_rejected (url, "http://", "“http://” is not a valid value for base-url: use an http:// or https:// address");

  /* Integers: whole numbers within the range, told with the unit. */
  assert_normalized (seconds, " 30 ", "30");
  assert_normalized (seconds, "0", "0");
  assert_normalized (seconds, "3600", "3600");
  assert_rejected (seconds, "3601", "“3601” is not a valid value for rate-limit-seconds: use a whole number from 0 to 3600 (seconds)");
  assert_rejected (seconds, "-1", "“-1” is not a valid value for rate-limit-seconds: use a whole number from 0 to 3600 (seconds)");
  assert_rejected (seconds, "ten", "“ten” is not a valid value for rate-limit-seconds: use a whole number from 0 to 3600 (seconds)");
  assert_rejected (seconds, "", "“” is not a valid value for rate-limit-seconds: use a whole number from 0 to 3600 (seconds)");
  assert_normalized (count, "-1", "-1");
  assert_rejected (count, "1.5", "“1.5” is not a valid value for retries: use a whole number from -1 to 5");
  g_assert_true (cc_proxy_setting_descriptor_get_range (seconds, &minimum, &maximum));
  g_assert_cmpint (minimum, ==, 0);
  g_assert_cmpint (maximum, ==, 3600);
  g_assert_cmpstr (cc_proxy_setting_descriptor_get_unit (seconds), ==, "seconds");
  g_assert_cmpstr (cc_proxy_setting_descriptor_get_default (count), ==, "2");
  g_assert_false (cc_proxy_setting_descriptor_get_range (url, NULL, NULL));
  g_assert_true (g_variant_type_equal (cc_proxy_setting_descriptor_get_value_type (seconds), G_VARIANT_TYPE_INT32));
  g_assert_true (g_variant_type_equal (cc_proxy_setting_descriptor_get_value_type (flag), G_VARIANT_TYPE_BOOLEAN));
  g_assert_true (g_variant_type_equal (cc_proxy_setting_descriptor_get_value_type (url), G_VARIANT_TYPE_STRING));

  assert_normalized (url, "", "");
  /* Text is what it is, whatever its key looks like. */
  assert_normalized (text, " keep / ", " keep / ");
  for (guint i = 0; i < 4; i++)
    {
      static const char * const yes[] = { "1", "TRUE", "yes", " on " };
      static const char * const no[] = { "0", "false", "No", "off" };

      assert_normalized (flag, yes[i], "true");
      assert_normalized (flag, no[i], "false");
    }
  assert_rejected (flag, "maybe", "“maybe” is not a valid value for flag: use true or false");
  assert_normalized (mode, "slow", "slow");
  assert_rejected (mode, "medium", "“medium” is not a valid value for mode: use one of fast, slow");
}

static void
assert_invalid (CcProxyProviderDescriptor *descriptor,
                const char                *message)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (cc_proxy_provider_descriptor_validate (descriptor, &error));
  g_assert_error (error, CC_PROXY_PROVIDER_ERROR, CC_PROXY_PROVIDER_ERROR_INVALID_DESCRIPTOR);
  g_assert_cmpstr (error->message, ==, message);
  cc_proxy_provider_descriptor_unref (descriptor);
}

static void
test_validate (void)
{
  CcProxySettingDescriptor *ok[] = {
    cc_proxy_setting_descriptor_new ("mode", "Mode", "", CC_PROXY_SETTING_KIND_SELECT, "fast", modes, FALSE, NULL),
    NULL
  };
  CcProxySettingDescriptor *bad_bool[] = {
    cc_proxy_setting_descriptor_new ("flag", "Flag", "", CC_PROXY_SETTING_KIND_BOOL, "sometimes", NULL, FALSE, NULL),
    NULL
  };
  CcProxySettingDescriptor *bad_range[] = {
    cc_proxy_setting_descriptor_new_int ("wait-seconds", "Wait", "", 5, 10, 1, "seconds", NULL),
    NULL
  };
  CcProxySettingDescriptor *bad_int_default[] = {
    cc_proxy_setting_descriptor_new_int ("wait-seconds", "Wait", "", 99, 0, 60, "seconds", NULL),
    NULL
  };
  CcProxySettingDescriptor *bad_url_default[] = {
    cc_proxy_setting_descriptor_new ("base-url", "URL", "", CC_PROXY_SETTING_KIND_URL, "ftp://x.test", NULL, FALSE, NULL),
    NULL
  };
  CcProxySettingDescriptor *bad_key[] = {
    cc_proxy_setting_descriptor_new ("Base URL", "URL", "", CC_PROXY_SETTING_KIND_TEXT, "", NULL, FALSE, NULL),
    NULL
  };
  g_autoptr(CcProxyProviderDescriptor) good = cc_proxy_provider_descriptor_new ("good-1", "Good", ok);
  g_autoptr(GError) error = NULL;

  g_assert_true (cc_proxy_provider_descriptor_validate (good, &error));
  g_assert_no_error (error);
  g_assert_nonnull (cc_proxy_provider_descriptor_lookup_setting (good, "mode"));
  g_assert_null (cc_proxy_provider_descriptor_lookup_setting (good, "nope"));

  assert_invalid (cc_proxy_provider_descriptor_new ("", "Empty", NULL), "the provider id is empty");
  assert_invalid (cc_proxy_provider_descriptor_new ("Upper", "Upper", NULL),
                  "provider id “Upper” must be lower-case letters, digits and dashes");
  assert_invalid (cc_proxy_provider_descriptor_new ("nameless", "", NULL), "provider “nameless” has no display name");
  assert_invalid (cc_proxy_provider_descriptor_new ("p", "P", bad_bool),
                  "default “sometimes” of setting “flag” is not a valid value for it");
  assert_invalid (cc_proxy_provider_descriptor_new ("r", "R", bad_range),
                  "integer setting “wait-seconds” has a range from 10 to 1");
  assert_invalid (cc_proxy_provider_descriptor_new ("s", "S", bad_int_default),
                  "default “99” of setting “wait-seconds” is not a valid value for it");
  assert_invalid (cc_proxy_provider_descriptor_new ("t", "T", bad_url_default),
                  "default “ftp://x.test” of setting “base-url” is not a valid value for it");
  assert_invalid (cc_proxy_provider_descriptor_new ("q", "Q", bad_key),
                  "setting key “Base URL” must be lower-case letters, digits and dashes");
}

static CcProxyProviderDescriptor *
with_route (const char *path,
            const char *methods)
{
  CcProxyProviderDescriptor *descriptor = cc_proxy_provider_descriptor_new ("routed", "Routed", NULL);

  cc_proxy_provider_descriptor_add_route (descriptor, "/v1/messages", "POST", TRUE);
  cc_proxy_provider_descriptor_add_route (descriptor, path, methods, FALSE);
  return descriptor;
}

/* Routes are what a provider serves, and what the interface's defaults
 * answer from. */
static void
test_routes (void)
{
  g_autoptr(CcProxyProviderDescriptor) good = with_route ("/v1/models", NULL);
  g_autoptr(GError) error = NULL;
  const char *methods = "unset";
  gboolean json_body = TRUE;

  g_assert_true (cc_proxy_provider_descriptor_validate (good, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (cc_proxy_provider_descriptor_get_n_routes (good), ==, 2);
  g_assert_cmpstr (cc_proxy_provider_descriptor_get_route (good, 0, &methods, &json_body), ==, "/v1/messages");
  g_assert_cmpstr (methods, ==, "POST");
  g_assert_true (json_body);
  g_assert_true (cc_proxy_provider_descriptor_find_route (good, "/v1/models", &methods, &json_body));
  g_assert_null (methods);
  g_assert_false (json_body);
  /* Whole paths only: neither a prefix nor a longer path. */
  g_assert_false (cc_proxy_provider_descriptor_find_route (good, "/v1/messages/count_tokens", NULL, NULL));
  g_assert_false (cc_proxy_provider_descriptor_find_route (good, "/v1", NULL, NULL));

  assert_invalid (with_route ("v1/models", NULL),
                  "route “v1/models” is not a request path (one that starts with “/”, without a query)");
  assert_invalid (with_route ("/v1/models?beta=true", NULL),
                  "route “/v1/models?beta=true” is not a request path (one that starts with “/”, without a query)");
  assert_invalid (with_route ("/v1/messages", NULL), "route “/v1/messages” is declared twice");
  assert_invalid (with_route ("/v1/models", ""), "route “/v1/models” has an empty or broken method list");
}

typedef struct
{
  GString *events;
} SseCollect;

static void
collect_event (const char *event,
               const char *data,
               gpointer    user_data)
{
  SseCollect *collect = user_data;

  g_string_append_printf (collect->events, "[%s|%s]", event ? event : "-", data);
}

static char *
parse_in_pieces (const char *text,
                 gsize       len,
                 gsize       split,
                 gboolean   *clean)
{
  SseCollect collect = { g_string_new (NULL) };
  g_autoptr(CcProxySseParser) parser = cc_proxy_sse_parser_new (collect_event, &collect);

  cc_proxy_sse_parser_feed (parser, text, split);
  cc_proxy_sse_parser_feed (parser, text + split, len - split);
  *clean = cc_proxy_sse_parser_finish (parser);
  return g_string_free (collect.events, FALSE);
}

/* Every split of the fixture (CRLF line ends) gives the same events. */
static void
test_sse_split_anywhere (void)
{
  g_autoptr(GBytes) fixture = cc_test_load_fixture ("anthropic-stream-text.sse");
  gsize len;
  const char *text = g_bytes_get_data (fixture, &len);
  gboolean clean;
  g_autofree char *whole = parse_in_pieces (text, len, len, &clean);

  g_assert_true (clean);
  g_assert_true (g_str_has_prefix (whole, "[message_start|{\"type\": \"message_start\""));
  g_assert_true (g_str_has_suffix (whole, "[message_stop|{\"type\": \"message_stop\"}]"));
  g_assert_nonnull (strstr (whole, "[content_block_delta|{\"type\": \"content_block_delta\", \"index\": 0, "
                                   "\"delta\": {\"type\": \"text_delta\", \"text\": \" there\"}}]"));

  for (gsize split = 0; split <= len; split++)
    {
      g_autofree char *pieces = parse_in_pieces (text, len, split, &clean);

      g_assert_cmpstr (pieces, ==, whole);
      g_assert_true (clean);
    }
}

static void
test_sse_edge_cases (void)
{
  static const char text[] = ": comment\n"
                             "data: a\n"
                             "data:b\n\n"
                             "event: only-event\n\n"
                             "event: e\r"
                             "data: {\"x\": 1}\r\r"
                             "data: cut";
  gboolean clean;
  g_autofree char *events = parse_in_pieces (text, strlen (text), 3, &clean);

  /* Multi-line data is joined, an event without data is not dispatched,
   * lone \r ends lines, and an unterminated event is a cut stream. */
  g_assert_cmpstr (events, ==, "[-|a\nb][e|{\"x\": 1}]");
  g_assert_false (clean);
}

static void
test_redaction (void)
{
  static const char * const secrets[] = { "sk-live-abcdef", "ab", NULL };
  g_autofree char *text = cc_proxy_redact_string ("key sk-live-abcdef and sk-live-abcdef; ab stays", secrets);
  g_autoptr(JsonNode) body = json_from_string ("{\"a\": [\"x sk-live-abcdef\", 1, {\"sk\": \"sk-live-abcdef\"}]}", NULL);
  g_autoptr(JsonNode) clean = cc_proxy_redact_json (body, secrets);
  g_autofree char *clean_text = json_to_string (clean, FALSE);
  g_autofree char *body_text = json_to_string (body, FALSE);

  g_assert_cmpstr (text, ==, "key [redacted] and [redacted]; ab stays");
  g_assert_cmpstr (clean_text, ==, "{\"a\":[\"x [redacted]\",1,{\"sk\":\"[redacted]\"}]}");
  /* The original is left alone: it is still relayed as it was. */
  g_assert_nonnull (strstr (body_text, "sk-live-abcdef"));
}

static void
test_safe_view (void)
{
  static const char * const secrets[] = { "tok-123456", NULL };
  SoupMessageHeaders *headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  g_auto(GStrv) view = NULL;
  g_autofree char *joined = NULL;

  soup_message_headers_append (headers, "Authorization", "Bearer tok-123456");
  soup_message_headers_append (headers, "X-Api-Key", "sk-x");
  soup_message_headers_append (headers, "Cookie", "a=b");
  soup_message_headers_append (headers, "Proxy-Authorization", "Basic eA==");
  soup_message_headers_append (headers, "Host", "127.0.0.1");
  soup_message_headers_append (headers, "Content-Length", "3");
  soup_message_headers_append (headers, "Anthropic-Version", "2023-06-01");
  soup_message_headers_append (headers, "X-Echo", "has tok-123456 inside");

  view = cc_proxy_headers_safe_view (headers, secrets);
  joined = g_strjoinv ("|", view);
  g_assert_cmpstr (joined, ==, "anthropic-version|2023-06-01|x-echo|has [redacted] inside");
  soup_message_headers_unref (headers);
}

static void
test_error_body_and_shapes (void)
{
  g_autofree char *body = cc_proxy_error_body_new ("api_error", "Upstream \"down\"");
  g_autoptr(JsonNode) anthropic = NULL;
  g_autoptr(JsonNode) openai = NULL;
  g_autoptr(JsonNode) openai_response = NULL;
  g_autoptr(JsonNode) other = json_from_string ("{\"input\": \"x\"}", NULL);
  g_autoptr(GBytes) agent = cc_test_load_fixture ("anthropic-request-agent.json");
  g_autoptr(GBytes) tools = cc_test_load_fixture ("openai-response-tools.json");

  g_assert_cmpstr (body, ==, "{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"Upstream \\\"down\\\"\"}}");

  anthropic = json_from_string (g_bytes_get_data (agent, NULL), NULL);
  openai = json_from_string ("{\"model\": \"gpt-4.1\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", NULL);
  openai_response = json_from_string (g_bytes_get_data (tools, NULL), NULL);
  g_assert_cmpint (cc_proxy_body_shape_detect (anthropic), ==, CC_PROXY_BODY_SHAPE_ANTHROPIC);
  /* Another API's bodies are just JSON to the core. */
  g_assert_cmpint (cc_proxy_body_shape_detect (openai), ==, CC_PROXY_BODY_SHAPE_OTHER);
  g_assert_cmpint (cc_proxy_body_shape_detect (openai_response), ==, CC_PROXY_BODY_SHAPE_OTHER);
  g_assert_cmpint (cc_proxy_body_shape_detect (other), ==, CC_PROXY_BODY_SHAPE_OTHER);
  g_assert_cmpint (cc_proxy_body_shape_detect (NULL), ==, CC_PROXY_BODY_SHAPE_NONE);
}

/* An event that never ends is not held past the limit. */
static void
test_sse_event_cap (void)
{
  SseCollect collect = { g_string_new (NULL) };
  g_autoptr(CcProxySseParser) parser = cc_proxy_sse_parser_new (collect_event, &collect);
  gsize chunk = 1024 * 1024;
  g_autofree char *data = g_malloc (chunk);
  gsize fed = 0;
  gboolean ok = TRUE;

  memset (data, 'x', chunk);
  g_assert_true (cc_proxy_sse_parser_feed (parser, "event: ping\ndata: ", 18));
  while (ok && fed <= CC_PROXY_SSE_MAX_EVENT_SIZE)
    {
      ok = cc_proxy_sse_parser_feed (parser, data, chunk);
      fed += chunk;
    }
  g_assert_false (ok);
  /* The line already held "data: ": the 16th MiB takes it past. */
  g_assert_cmpuint (fed, ==, CC_PROXY_SSE_MAX_EVENT_SIZE);
  /* Refused from then on; nothing was dispatched. */
  g_assert_false (cc_proxy_sse_parser_feed (parser, "\n\n", 2));
  g_assert_false (cc_proxy_sse_parser_finish (parser));
  g_assert_cmpstr (collect.events->str, ==, "");
  g_string_free (collect.events, TRUE);
}

static void
test_json_depth (void)
{
  g_autoptr(GString) deep = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;

  /* Brackets in strings, escaped quotes included, do not count. */
  g_assert_true (cc_proxy_json_check_depth ("{\"a\":\"[[[[\\\"[[[\"}", 16, 2));
  g_assert_true (cc_proxy_json_check_depth ("[[]]", 4, 2));
  g_assert_false (cc_proxy_json_check_depth ("[[[]]]", 6, 2));
  /* An escaped backslash ends its string's escapes (the text read as
   * JSON: depth counts only up to the first error). */
  g_assert_true (cc_proxy_json_check_depth ("[\"\\\\\",[]]", 9, 2));
  g_assert_false (cc_proxy_json_check_depth ("[\"\\\\\",[[]]]", 11, 2));
  /* Brackets in a comment are no nesting: the comment is an error. */
  g_assert_true (cc_proxy_json_check_depth ("[/*[[[*/]", 9, 2));

  for (guint i = 0; i < CC_PROXY_JSON_MAX_DEPTH; i++)
    g_string_append_c (deep, '[');
  for (guint i = 0; i < CC_PROXY_JSON_MAX_DEPTH; i++)
    g_string_append_c (deep, ']');
  node = cc_proxy_json_parse (deep->str, deep->len, &error);
  g_assert_no_error (error);
  g_assert_nonnull (node);
  g_clear_pointer (&node, json_node_unref);

  g_string_prepend_c (deep, '[');
  g_string_append_c (deep, ']');
  node = cc_proxy_json_parse (deep->str, -1, &error);
  g_assert_null (node);
  g_assert_error (error, CC_PROXY_JSON_ERROR, CC_PROXY_JSON_ERROR_TOO_DEEP);
  g_clear_error (&error);

  node = cc_proxy_json_parse ("", 0, &error);
  g_assert_error (error, CC_PROXY_JSON_ERROR, CC_PROXY_JSON_ERROR_INVALID);
  g_clear_error (&error);
  node = cc_proxy_json_parse ("{\"a\":", -1, &error);
  g_assert_error (error, CC_PROXY_JSON_ERROR, CC_PROXY_JSON_ERROR_INVALID);
}

/* The model of a request without parsing it. */
static void
test_body_scan (void)
{
  static const struct {
    const char *body;
    const char *model;
  } cases[] = {
    { "{\"model\":\"claude-sonnet-4\",\"messages\":[]}", "claude-sonnet-4" },
    { " { \"max_tokens\" : 5 , \"model\" : \"m\" }", "m" },
    /* Only the top level counts, and only keys. */
    { "{\"messages\":[{\"model\":\"inner\"}],\"model\":\"outer\"}", "outer" },
    { "{\"system\":\"model\",\"x\":1}", NULL },
    { "{\"a\":\"\\\"model\\\":\\\"no\\\"\",\"model\":\"yes\"}", "yes" },
    { "{\"model\":\"esc\\u0061ped\"}", "escaped" },
    { "{\"model\":42}", NULL },
    { "[{\"model\":\"x\"}]", NULL },
    { "{\"model\":\"cut", NULL },
    { "", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *model = cc_proxy_body_scan_string (cases[i].body, strlen (cases[i].body), "model");

      g_assert_cmpstr (model, ==, cases[i].model);
    }

  /* Values found where they start; whole numbers read. */
  {
    static const char event[] = "{\"type\":\"content_block_delta\",\"index\":12,"
                                "\"delta\":{\"type\":\"text_delta\",\"text\":\"a\\\"b\"}}";
    const char *delta = cc_proxy_body_scan_value (event, strlen (event), "delta");
    g_autofree char *text = NULL;

    g_assert_nonnull (delta);
    g_assert_true (g_str_has_prefix (delta, "{\"type\":\"text_delta\""));
    text = cc_proxy_body_scan_string (delta, strlen (delta), "text");
    g_assert_cmpstr (text, ==, "a\"b");
    g_assert_cmpint (cc_proxy_body_scan_int (event, strlen (event), "index", -1), ==, 12);
    g_assert_cmpint (cc_proxy_body_scan_int ("{\"i\":-3}", 8, "i", 0), ==, -3);
    g_assert_cmpint (cc_proxy_body_scan_int ("{\"i\":1.5}", 9, "i", 7), ==, 7);
    g_assert_cmpint (cc_proxy_body_scan_int ("{\"i\":\"1\"}", 9, "i", 7), ==, 7);
    g_assert_cmpint (cc_proxy_body_scan_int ("{\"i\":99999999999999999999}", 25, "i", 7), ==, 7);
    g_assert_null (cc_proxy_body_scan_value (event, strlen (event), "missing"));
  }

  /* A repeated member is read as the parser reads it: the last one,
   * escaped names resolved; what is reported is what is sent. */
  {
    g_autoptr(GBytes) body = cc_test_load_fixture ("hostile-request-duplicate-model.json");
    gsize len;
    const char *data = g_bytes_get_data (body, &len);
    g_autoptr(JsonNode) parsed = cc_proxy_json_parse (data, len, NULL);
    g_autofree char *model = cc_proxy_body_scan_string (data, len, "model");

    g_assert_nonnull (parsed);
    g_assert_cmpstr (model, ==, cc_proxy_json_get_string (json_node_get_object (parsed), "model"));
    g_assert_cmpstr (model, ==, "claude-opus-4-1");
    g_assert_null (cc_proxy_body_scan_string ("{\"model\":\"a\",\"model\":4}", 23, "model"));
    g_assert_cmpint (cc_proxy_body_scan_shape ("{\"type\":\"message\",\"type\":\"x\"}", 29), ==,
                     CC_PROXY_BODY_SHAPE_OTHER);
  }

  /* A broken escape still gives UTF-8, whatever json-glib makes of it
   * (found by tests/fuzz/fuzz-body). */
  {
    static const char broken[] = "{\"model\":\"cl\\ude-x\"}";
    g_autofree char *model = cc_proxy_body_scan_string (broken, strlen (broken), "model");

    g_assert_true (model == NULL || g_utf8_validate (model, -1, NULL));
  }
}

/* The capture log writes bodies the validator accepts as they are. */
static void
test_body_is_json (void)
{
  static const char * const valid[] = {
    "{}", "[]", " {\"a\" : [1, -2.5e+3, 0, true, false, null, \"x\\u00e9\\n\"]} ",
    "\"text\"", "0", "-0.0E-1", "{\"a\":{\"b\":{}}}", "[[],[[]]]", "\n{\"multi\":\n\"line\"}\n",
  };
  static const char * const invalid[] = {
    "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{\"a\"}", "{a:1}", "[01]", "[1.]", "[.5]", "[1e]",
    "[\"\\x\"]", "[\"\\u12\"]", "[\"raw\nline\"]", "tru", "nul", "[true false]", "{} {}", "[\"\xff\"]",
    "{\"a\":1]", "[1}",
    /* What json-glib 1.6 takes and no strict reader does: each once
     * let a nesting bomb past the depth check. */
    "[/*]*/]", "// x\n[]", "['\"']", "{'a':1}", "[1,/**/2]",
  };
  g_autoptr(GString) deep = g_string_new (NULL);
  g_autofree char *agent = cc_test_load_fixture_text ("anthropic-request-agent.json");

  for (guint i = 0; i < G_N_ELEMENTS (valid); i++)
    g_assert_true (cc_proxy_json_validate (valid[i], strlen (valid[i]), CC_PROXY_JSON_MAX_DEPTH, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    g_assert_false (cc_proxy_json_validate (invalid[i], strlen (invalid[i]), CC_PROXY_JSON_MAX_DEPTH, NULL));
  g_assert_true (cc_proxy_json_validate (agent, strlen (agent), CC_PROXY_JSON_MAX_DEPTH, NULL));

  for (guint i = 0; i < CC_PROXY_JSON_MAX_DEPTH + 1; i++)
    g_string_append_c (deep, '[');
  for (guint i = 0; i < CC_PROXY_JSON_MAX_DEPTH + 1; i++)
    g_string_append_c (deep, ']');
  g_assert_false (cc_proxy_json_validate (deep->str, deep->len, CC_PROXY_JSON_MAX_DEPTH, NULL));
  g_assert_true (cc_proxy_json_validate (deep->str + 1, deep->len - 2, CC_PROXY_JSON_MAX_DEPTH, NULL));
}

/* Scanned as bytes, a body has the shape its parsed tree has. */
static void
test_body_scan_shape (void)
{
  static const char * const names[] = {
    "anthropic-request-agent.json", "anthropic-request-minimal.json", "openai-response-tools.json",
    "copilot-models.json", "openai-error-401.json", "github-device-code.json",
  };
  static const char * const bodies[] = {
    "{\"type\":\"message_start\",\"message\":{}}", "{\"messages\":[],\"stream_options\":{},\"max_tokens\":1}",
    "{\"messages\":[],\"max_tokens\":1}", "[1,2]", "{\"type\":\"other\"}", "",
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *text = cc_test_load_fixture_text (names[i]);
      g_autoptr(JsonNode) node = cc_proxy_json_parse (text, -1, NULL);

      g_assert_cmpint (cc_proxy_body_scan_shape (text, strlen (text)), ==, cc_proxy_body_shape_detect (node));
    }
  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr(JsonNode) node = bodies[i][0] ? cc_proxy_json_parse (bodies[i], -1, NULL) : NULL;

      g_assert_cmpint (cc_proxy_body_scan_shape (bodies[i], strlen (bodies[i])), ==, cc_proxy_body_shape_detect (node));
    }
}

/* The nesting bombs json-glib's extensions once smuggled past the depth
 * check: refused before json-glib sees them, with the reason. */
static void
test_json_parse_refuses_extensions (void)
{
  static const char * const units[] = { "[/*]*/", "['\"',", "[/*]]]*/" };

  for (guint u = 0; u < G_N_ELEMENTS (units); u++)
    {
      g_autoptr(GString) bomb = g_string_new (NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) node = NULL;

      for (guint i = 0; i < 50000; i++)
        g_string_append (bomb, units[u]);
      node = cc_proxy_json_parse (bomb->str, bomb->len, &error);
      g_assert_null (node);
      g_assert_error (error, CC_PROXY_JSON_ERROR, CC_PROXY_JSON_ERROR_INVALID);
      g_assert_true (g_str_has_prefix (error->message, "Not valid JSON (RFC 8259) at byte "));
    }
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) node = cc_proxy_json_parse ("{\"a\": 1} // trailing", -1, &error);

    g_assert_null (node);
    g_assert_cmpstr (error->message, ==, "Not valid JSON (RFC 8259) at byte 9");
  }

  /* Surrogate escapes in pairs only: json-glib reads half a pair as
   * the end of the text, or as broken UTF-8. */
  {
    static const char * const refused[] = {
      "\"\\udddd\"", "\"\\ud800\"", "\"\\ud800x\"", "\"\\ud800\\u0041\"", "\"\\ud800\\ud800\"",
    };
    g_autofree char *lone = cc_test_load_fixture_text ("hostile-json-lone-surrogate.json");
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) pair = cc_proxy_json_parse ("[\"\\ud83d\\ude00\"]", -1, NULL);

    for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
      g_assert_false (cc_proxy_json_validate (refused[i], strlen (refused[i]), 8, NULL));
    g_assert_null (cc_proxy_json_parse (lone, -1, &error));
    g_assert_cmpstr (error->message, ==, "Not valid JSON (RFC 8259) at byte 1");
    g_assert_nonnull (pair);
    g_assert_cmpstr (json_array_get_string_element (json_node_get_array (pair), 0), ==, "\xf0\x9f\x98\x80");
  }
}

/* One writer: what it writes any strict reader takes, whatever the
 * strings hold; otherwise the same text as json-glib's generator. */
static void
test_json_writer (void)
{
  static const char * const same[] = {
    "{\"b\":1,\"a\":[true,false,null,\"x\\\"y\\\\z\\n\\t\\r\\b\\f\"],\"c\":{\"é\":-2.5}}",
    "[0,-1,9007199254740993,1.5,\"\\u00e9\",{}]",
  };

  for (guint i = 0; i < G_N_ELEMENTS (same); i++)
    {
      g_autoptr(JsonNode) node = cc_proxy_json_parse (same[i], -1, NULL);
      g_autofree char *ours = cc_proxy_json_to_string (node);
      g_autofree char *theirs = json_to_string (node, FALSE);

      g_assert_cmpstr (ours, ==, theirs);
    }

  {
    g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
    g_autoptr(JsonObject) object = json_object_new ();
    g_autofree char *text = NULL;
    g_autoptr(JsonNode) back = NULL;
    g_autoptr(GError) error = NULL;

    json_object_set_string_member (object, "control", "\x01" "a\x1f\x7f");
    json_object_set_string_member (object, "cut", "caf\xc3");
    json_object_set_double_member (object, "huge", HUGE_VAL);
    json_object_set_double_member (object, "whole", 2.0);
    json_object_set_double_member (object, "exp", 1e300);
    json_node_set_object (node, object);
    text = cc_proxy_json_to_string (node);
    g_assert_cmpstr (text, ==, "{\"control\":\"\\u0001a\\u001f\x7f\",\"cut\":\"caf\xef\xbf\xbd\","
                               "\"huge\":null,\"whole\":2.0,\"exp\":1.0000000000000001e+300}");
    back = cc_proxy_json_parse (text, -1, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (back), "control"), ==, "\x01" "a\x1f\x7f");
  }
}

/* ----- routes ----- */

static CcProxyRouteTable *
table_from_text (const char  *text,
                 GError     **error)
{
  static const char * const providers[] = { "anthropic", "copilot", "openai", NULL };
  g_autoptr(GVariant) routes = g_variant_parse (CC_PROXY_ROUTES_TYPE, text, NULL, NULL, NULL);

  g_assert_nonnull (routes);
  return cc_proxy_route_table_new (routes, "*haiku*", providers, error);
}

/* The route @body (with @agent as x-claude-code-agent-id) matches. */
static const char *
route_for (CcProxyRouteTable *table,
           const char        *body,
           const char        *agent)
{
  g_autoptr(SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  g_auto(CcProxyRequestTraits) traits = { 0, };
  int index;

  if (agent != NULL)
    soup_message_headers_append (headers, "x-claude-code-agent-id", agent);
  cc_proxy_route_table_scan (table, body, strlen (body), headers, &traits);
  index = cc_proxy_route_table_match (table, &traits);
  return index < 0 ? NULL : cc_proxy_route_table_get_name (table, index);
}

/* What a request is, told from its bytes: roles, model globs, thinking
 * (not when disabled), images anywhere in the messages but not in text
 * that mentions them, the web_search tool, and size. */
static void
test_route_match (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CcProxyRouteTable) table = table_from_text (
    "[('compact', {'class': <'compact'>}, 'copilot:gpt-5-mini', @as []),"
    " ('sub', {'role': <'subagent'>}, 'openai', @as []),"
    " ('bg', {'role': <'background'>}, 'openai:small', @as []),"
    " ('think', {'thinking': <true>}, 'anthropic', @as []),"
    " ('pics', {'images': <true>}, 'copilot', @as []),"
    " ('search', {'web-search': <true>}, 'anthropic', @as []),"
    " ('long', {'min-tokens': <40>}, 'anthropic', ['copilot']),"
    " ('opus', {'model': <'claude-opus-*'>}, 'copilot:gpt-5', ['openai'])]", &error);

  g_assert_no_error (error);
  g_assert_cmpstr (route_for (table, "{\"model\":\"claude-sonnet-4-5\",\"messages\":[]}", "a1"), ==, "sub");
  g_assert_cmpstr (route_for (table, "{\"model\":\"claude-haiku-4-5\",\"messages\":[]}", NULL), ==, "bg");
  g_assert_cmpstr (route_for (table, "{\"model\":\"x\",\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":9}}", NULL),
                   ==, "think");
  g_assert_null (route_for (table, "{\"model\":\"x\",\"thinking\":{\"type\":\"disabled\"}}", NULL));
  g_assert_cmpstr (route_for (table, "{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
                                     "\"tool_result\",\"content\":[{\"type\" : \"image\"}]}]}]}", NULL), ==, "pics");
  /* Text that speaks of images, escaped quotes and all, is no image. */
  g_assert_null (route_for (table, "{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":"
                                   "\"{\\\"type\\\":\\\"image\\\"}\"}]}", NULL));
  g_assert_cmpstr (route_for (table, "{\"model\":\"x\",\"tools\":[{\"type\":\"web_search_20250305\",\"name\":"
                                     "\"web_search\"}]}", NULL), ==, "search");
  g_assert_null (route_for (table, "{\"model\":\"x\",\"tools\":[{\"name\":\"web_search\",\"input_schema\":"
                                   "{\"type\":\"object\"}}]}", NULL));
  g_assert_cmpstr (route_for (table, "{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":"
                                     "\"0123456789012345678901234567890123456789012345678901234567890123456789"
                                     "0123456789012345678901234567890123456789\"}]}", NULL), ==, "long");
  g_assert_cmpstr (route_for (table, "{\"model\":\"claude-opus-4-1\"}", NULL), ==, "opus");
  /* Claude Code's compaction, by its class. */
  g_assert_cmpstr (route_for (table, "{\"model\":\"claude-sonnet-4-5\",\"messages\":[{\"role\":\"user\",\"content\":"
                                     "\"Your task is to create a detailed summary of the conversation so far\"}]}", NULL),
                   ==, "compact");
  g_assert_null (route_for (table, "{\"model\":\"claude-sonnet-4-5\"}", NULL));
  /* The last of repeated members counts, as a parser reads it. */
  g_assert_cmpstr (route_for (table, "{\"model\":\"claude-sonnet-4-5\",\"model\":\"claude-haiku-4-5\"}", NULL), ==, "bg");
  /* Not JSON at all: nothing but the size and headers to go by. */
  g_assert_null (route_for (table, "not json", NULL));

  g_assert_cmpuint (cc_proxy_route_table_get_n_targets (table, 7), ==, 2);
  g_assert_cmpstr (cc_proxy_route_table_get_target (table, 7, 0)->model, ==, "gpt-5");
  g_assert_cmpstr (cc_proxy_route_table_get_target (table, 7, 1)->provider, ==, "openai");
}

/* Each malformed table is refused whole, with the reason. */
static void
test_route_refused (void)
{
  static const struct { const char *routes; const char *message; } bad[] = {
    { "[('a', @a{sv} {}, 'nosuch', @as [])]", "Route “a”: No provider is called “nosuch” (the providers are anthropic, copilot, openai)" },
    { "[('a', @a{sv} {}, 'openai', ['nosuch:x'])]", "Route “a”: No provider is called “nosuch” (the providers are anthropic, copilot, openai)" },
    { "[('a', @a{sv} {}, '', @as [])]", "Route “a”: “” is not a target: write PROVIDER or PROVIDER:MODEL" },
    { "[('a', @a{sv} {}, ':x', @as [])]", "Route “a”: “:x” is not a target: write PROVIDER or PROVIDER:MODEL" },
    { "[('a', {'model': <''>}, 'openai', @as [])]", "Route “a”: The model glob must be a glob of 1 to 256 characters (* and ? are wildcards)" },
    { "[('a', {'model': <'a\\tb'>}, 'openai', @as [])]", "Route “a”: The model glob may not hold control characters" },
    { "[('a', {'thinking': <1>}, 'openai', @as [])]", "Route “a”: The match key “thinking” takes a boolean, not i" },
    { "[('a', {'min-tokens': <-5>}, 'openai', @as [])]", "Route “a”: The match key “min-tokens” takes a whole number above 0" },
    { "[('a', {'min-tokens': <'9'>}, 'openai', @as [])]", "Route “a”: The match key “min-tokens” takes a whole number above 0" },
    { "[('a', {'colour': <'red'>}, 'openai', @as [])]", "Route “a”: “colour” is not a match key; the keys are role, class, model, thinking, images, web-search and min-tokens" },
    { "[('a', {'role': <'boss'>}, 'openai', @as [])]", "Route “a”: The role must be main, subagent or background" },
    { "[('a', {'class': <'typed'>}, 'openai', @as [])]", "Route “a”: The class must be user, agent, subagent, background or compact" },
    { "[('a b', @a{sv} {}, 'openai', @as [])]", "“a b” is not a route name: use 1 to 64 letters, digits, “-”, “_” or “.”" },
    { "[('a', @a{sv} {}, 'openai', @as []), ('a', @a{sv} {}, 'copilot', @as [])]", "Two routes are called “a”" },
    { "[('a', @a{sv} {}, 'openai', ['openai'])]", "Route “a”: The target “openai” is listed twice" },
    { "[('a', @a{sv} {}, 'openai', ['copilot', 'anthropic', 'copilot:a', 'copilot:b', 'copilot:c', 'copilot:d', 'copilot:e', 'copilot:f'])]",
      "Route “a”: A route has at most 8 targets, its fallbacks included" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(CcProxyRouteTable) table = table_from_text (bad[i].routes, &error);

      g_assert_null (table);
      g_assert_nonnull (error);
      g_assert_true (error->domain == CC_PROXY_ROUTE_ERROR);
      g_assert_cmpstr (error->message, ==, bad[i].message);
    }
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) wrong = g_variant_ref_sink (g_variant_new_string ("routes"));

    g_assert_null (cc_proxy_route_table_new (wrong, NULL, NULL, &error));
    g_assert_error (error, CC_PROXY_ROUTE_ERROR, CC_PROXY_ROUTE_ERROR_INVALID);
  }
}

/* Pools are checked with the routes: each malformed one refuses the
 * table, with the reason; a good one gives its members in order. */
static void
test_pools (void)
{
  static const char * const providers[] = { "anthropic", "copilot", "work", NULL };
  static const struct { const char *pools; const char *routes; const char *message; } bad[] = {
    { "[('copilot', 'ordered', ['work'])]", "[]",
      "“copilot” cannot name a pool: a pool's name is 1 to 64 letters, digits, “-”, “_” or “.”, and no other pool's or provider's" },
    { "[('p', 'ordered', ['work']), ('p', 'ordered', ['copilot'])]", "[]",
      "“p” cannot name a pool: a pool's name is 1 to 64 letters, digits, “-”, “_” or “.”, and no other pool's or provider's" },
    { "[('p', 'random', ['work'])]", "[]", "Pool “p”: no strategy “random” (ordered, round-robin or least-used)" },
    { "[('p', 'ordered', @as [])]", "[]", "Pool “p”: it has no members" },
    { "[('p', 'ordered', ['nosuch'])]", "[]", "Pool “p”: No provider is called “nosuch” (the providers are anthropic, copilot, work)" },
    { "[('p', 'ordered', ['work']), ('q', 'ordered', ['p'])]", "[]",
      "Pool “q”: No provider is called “p” (the providers are anthropic, copilot, work)" },
    { "[('p', 'ordered', ['work', 'work'])]", "[]", "Pool “p”: The target “work” is listed twice" },
    { "[('p', 'ordered', ['work:a', 'work:b', 'work:c', 'work:d', 'work:e', 'work:f', 'work:g', 'work:h', 'work:i'])]", "[]",
      "Pool “p”: a pool has at most 8 members" },
    { "[('p', 'ordered', ['work'])]", "[('a', @a{sv} {}, 'p:gpt-5', @as [])]",
      "Route “a”: “p” is a pool: its members say which model, not the route" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) pools = g_variant_parse (CC_PROXY_POOLS_TYPE, bad[i].pools, NULL, NULL, NULL);
      g_autoptr(GVariant) routes = g_variant_parse (CC_PROXY_ROUTES_TYPE, bad[i].routes, NULL, NULL, NULL);

      g_assert_null (cc_proxy_route_table_new_with_pools (routes, pools, NULL, providers, &error));
      g_assert_nonnull (error);
      g_assert_cmpstr (error->message, ==, bad[i].message);
    }
  {
    g_autoptr(GVariant) pools = g_variant_parse (CC_PROXY_POOLS_TYPE, "[('seats', 'round-robin', ['copilot', 'work:gpt-5'])]",
                                                 NULL, NULL, NULL);
    g_autoptr(GVariant) routes = g_variant_parse (CC_PROXY_ROUTES_TYPE, "[('main', @a{sv} {}, 'seats', ['anthropic'])]",
                                                  NULL, NULL, NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(CcProxyRouteTable) table = cc_proxy_route_table_new_with_pools (routes, pools, NULL, providers, &error);
    CcProxyPoolStrategy strategy = CC_PROXY_POOL_ORDERED;
    GArray *members;

    g_assert_no_error (error);
    members = cc_proxy_route_table_lookup_pool (table, "seats", &strategy);
    g_assert_cmpint (strategy, ==, CC_PROXY_POOL_ROUND_ROBIN);
    g_assert_cmpuint (members->len, ==, 2);
    g_assert_cmpstr (g_array_index (members, CcProxyRouteTarget, 1).provider, ==, "work");
    g_assert_cmpstr (g_array_index (members, CcProxyRouteTarget, 1).model, ==, "gpt-5");
    g_assert_null (cc_proxy_route_table_lookup_pool (table, "anthropic", NULL));
    g_assert_true (g_variant_equal (cc_proxy_route_table_get_pools (table), pools));
  }
}

/* A target's model goes into the body without parsing the rest. */
static void
test_body_replace_string (void)
{
  static const char text[] = "{\"a\":{\"model\":\"inner\"}, \"model\" : \"x\\\"y\",\"z\":1}";
  static const char expected[] = "{\"a\":{\"model\":\"inner\"}, \"model\" : \"q\\\"w\\u000a\",\"z\":1}";
  g_autoptr(GBytes) body = g_bytes_new_static (text, strlen (text));
  g_autoptr(GBytes) changed = cc_proxy_body_replace_string (body, "model", "q\"w\n");
  g_autoptr(GBytes) none = cc_proxy_body_replace_string (body, "missing", "v");
  g_autoptr(JsonNode) node = NULL;

  g_assert_nonnull (changed);
  g_assert_null (none);
  g_assert_cmpmem (g_bytes_get_data (changed, NULL), g_bytes_get_size (changed),
                   expected, strlen (expected));
  node = json_from_string (g_bytes_get_data (changed, NULL), NULL);
  g_assert_nonnull (node);
}

static void
collect_hash (guint64  hash,
              gpointer user_data)
{
  g_array_append_val ((GArray *) user_data, hash);
}

/* Signatures are found in a stream split anywhere, with spaces around
 * the colon, and not in text that only mentions one. */
static void
test_signature_scan (void)
{
  static const char stream[] =
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
    "{\"type\":\"signature_delta\",\"signature\":\"EqQBCkgIARAB+/sig==\"}}\n\n"
    "data: {\"text\":\"she wrote \\\"signature\\\":\\\"fake\\\"\",\"signature\" : \"second\\\"one\"}\n\n";
  guint64 first = cc_proxy_signature_hash ("EqQBCkgIARAB+/sig==", -1);
  guint64 second = cc_proxy_signature_hash ("second\\\"one", -1);

  for (gsize split = 0; split <= strlen (stream); split++)
    {
      g_autoptr(GArray) found = g_array_new (FALSE, FALSE, sizeof (guint64));
      g_autoptr(CcProxySignatureScan) scan = cc_proxy_signature_scan_new (collect_hash, found, NULL);

      cc_proxy_signature_scan_feed (scan, stream, split);
      cc_proxy_signature_scan_feed (scan, stream + split, strlen (stream) - split);
      g_assert_cmpuint (found->len, ==, 2);
      g_assert_true (g_array_index (found, guint64, 0) == first);
      g_assert_true (g_array_index (found, guint64, 1) == second);
    }
}

/* Who a request is for, from its last message and headers. */
static void
test_request_class (void)
{
  static const struct { const char *body; const char *agent; const char *expected; } cases[] = {
    { "{\"model\":\"claude-sonnet-4-5\",\"messages\":[{\"role\":\"user\",\"content\":\"fix the bug\"}]}", NULL, "user" },
    { "{\"model\":\"claude-sonnet-4-5\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\"}]}]}", NULL, "user" },
    { "{\"model\":\"claude-sonnet-4-5\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"assistant\","
      "\"content\":[{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"Read\",\"input\":{}}]},{\"role\":\"user\",\"content\":"
      "[{\"type\":\"tool_result\",\"tool_use_id\":\"t\",\"content\":\"ok\"},{\"type\":\"text\",\"text\":\"and\"}]}]}", NULL, "agent" },
    { "{\"model\":\"claude-sonnet-4-5\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"assistant\",\"content\":\"pre\"}]}", NULL, "agent" },
    { "{\"model\":\"claude-sonnet-4-5\",\"messages\":[{\"role\":\"user\",\"content\":\"\"}]}", NULL, "agent" },
    { "{\"model\":\"claude-sonnet-4-5\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":"
      "\"Your task is to create a detailed summary of the conversation so far\"}]}]}", NULL, "compact" },
    /* The phrase in an earlier turn is not a compaction. */
    { "{\"model\":\"claude-sonnet-4-5\",\"messages\":[{\"role\":\"user\",\"content\":\"Your task is to create a detailed "
      "summary of it\"},{\"role\":\"assistant\",\"content\":\"ok\"},{\"role\":\"user\",\"content\":\"thanks\"}]}", NULL, "user" },
    { "{\"model\":\"claude-haiku-4-5\",\"messages\":[{\"role\":\"user\",\"content\":\"title?\"}]}", NULL, "background" },
    { "{\"model\":\"claude-sonnet-4-5\",\"messages\":[{\"role\":\"user\",\"content\":\"go\"}]}", "agent-1", "subagent" },
    /* Messages after other members, and brackets inside strings. */
    { "{\"tools\":[],\"messages\":[{\"role\":\"user\",\"content\":\"[{]}\\\"\"}],\"model\":\"claude-sonnet-4-5\"}", NULL, "user" },
    { "{\"model\":\"claude-sonnet-4-5\"}", NULL, "agent" },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(CcProxyRouteTable) table = table_from_text ("@a(sa{sv}sas) []", &error);

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
      g_auto(CcProxyRequestTraits) traits = { 0, };

      if (cases[i].agent != NULL)
        soup_message_headers_append (headers, "x-claude-code-agent-id", cases[i].agent);
      cc_proxy_route_table_scan (table, cases[i].body, strlen (cases[i].body), headers, &traits);
      g_assert_cmpstr (cc_proxy_request_class_to_string (traits.klass), ==, cases[i].expected);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_summary ("The provider API's value types and helpers");

  g_test_add_func ("/api/setting/normalize", test_normalize);
  g_test_add_func ("/api/descriptor/validate", test_validate);
  g_test_add_func ("/api/descriptor/routes", test_routes);
  g_test_add_func ("/api/sse/split-anywhere", test_sse_split_anywhere);
  g_test_add_func ("/api/sse/edge-cases", test_sse_edge_cases);
  g_test_add_func ("/api/sse/event-cap", test_sse_event_cap);
  g_test_add_func ("/api/json/depth", test_json_depth);
  g_test_add_func ("/api/json/body-scan", test_body_scan);
  g_test_add_func ("/api/json/is-json", test_body_is_json);
  g_test_add_func ("/api/json/parse-refuses-extensions", test_json_parse_refuses_extensions);
  g_test_add_func ("/api/json/writer", test_json_writer);
  g_test_add_func ("/api/json/scan-shape", test_body_scan_shape);
  g_test_add_func ("/api/json/replace-string", test_body_replace_string);
  g_test_add_func ("/api/routes/match", test_route_match);
  g_test_add_func ("/api/routes/refused", test_route_refused);
  g_test_add_func ("/api/routes/pools", test_pools);
  g_test_add_func ("/api/routes/signature-scan", test_signature_scan);
  g_test_add_func ("/api/request-class", test_request_class);
  g_test_add_func ("/api/events/redaction", test_redaction);
  g_test_add_func ("/api/events/safe-view", test_safe_view);
  g_test_add_func ("/api/events/error-body-and-shapes", test_error_body_and_shapes);

  return g_test_run ();
}
