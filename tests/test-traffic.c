/* test-traffic.c: what the core makes of traffic for people: the message
 * assembled from a stream, the one-line summary, and the capture log's
 * files (retention, size cap, dropping instead of waiting).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>
#include <glib/gstdio.h>

#define G_SETTINGS_ENABLE_BACKEND
#include <gio/gsettingsbackend.h>

#include "cc-proxy-capture-log.h"
#include "cc-proxy-message-assembler.h"
#include "cc-test-util.h"
#include "cc-proxy-event-sink.h"
#include "cc-proxy-event.h"

static void
assert_json (JsonNode   *node,
             const char *expected)
{
  g_autoptr(JsonNode) want = json_from_string (expected, NULL);
  g_autofree char *got = node ? json_to_string (node, FALSE) : g_strdup ("(null)");

  g_assert_nonnull (want);
  if (node == NULL || !json_node_equal (node, want))
    g_error ("got      %s\nexpected %s", got, expected);
}

/* ----- the assembled message ----- */

static void
feed_event (const char *event,
            const char *data,
            gpointer    user_data)
{
  g_autoptr(JsonNode) node = json_from_string (data, NULL);

  cc_proxy_message_assembler_add (user_data, node);
}

/* The message the fixture stream @name puts together. */
static JsonNode *
assemble_fixture (const char *name)
{
  g_autoptr(GBytes) sse = cc_test_load_fixture (name);
  g_autoptr(CcProxyMessageAssembler) assembler = cc_proxy_message_assembler_new ();
  g_autoptr(CcProxySseParser) parser = cc_proxy_sse_parser_new (feed_event, assembler);

  cc_proxy_sse_parser_feed (parser, g_bytes_get_data (sse, NULL), g_bytes_get_size (sse));
  cc_proxy_sse_parser_finish (parser);
  return cc_proxy_message_assembler_finish (assembler);
}

static void
test_assembler_text (void)
{
  g_autoptr(JsonNode) message = assemble_fixture ("anthropic-stream-text.sse");

  assert_json (message,
               "{\"id\":\"msg_fx\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\","
               "\"content\":[{\"type\":\"text\",\"text\":\"Hello there.\"}],\"stop_reason\":\"end_turn\","
               "\"stop_sequence\":null,\"usage\":{\"input_tokens\":25,\"output_tokens\":3}}");
}

/* A hostile upstream starts the same block index again after text and
 * tool JSON went into it (the assembler once freed both and kept
 * writing to them), and nests a comment bomb in tool arguments: the
 * message is the last start's, the arguments kept as text. */
static void
test_assembler_block_restart (void)
{
  g_autoptr(JsonNode) message = assemble_fixture ("hostile-stream-block-restart.sse");

  assert_json (message,
               "{\"id\":\"msg_dup\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"m\","
               "\"content\":[{\"type\":\"text\",\"text\":\"second\"},"
               "{\"type\":\"tool_use\",\"id\":\"t2\",\"name\":\"g\",\"input\":\"[/*]*/[/*]*/\"}],"
               "\"stop_reason\":\"end_turn\",\"stop_sequence\":null,\"usage\":{\"input_tokens\":1,\"output_tokens\":2}}");
}

/* The capture log takes the deltas of a stream apart by scanning; the
 * message it writes is the one the parsing assembler makes, for every
 * stream we have (text, thinking, parallel tool calls, escapes). */
static void
test_assembler_scanned_deltas (void)
{
  static const char * const streams[] = {
    "anthropic-from-openai-stream-text.sse", "anthropic-from-openai-stream-reasoning.sse",
    "anthropic-from-openai-stream-parallel-tools.sse", "anthropic-from-openai-stream-cut.sse",
  };
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();

  for (guint i = 0; i < G_N_ELEMENTS (streams) + 1; i++)
    {
      g_autofree char *path = i < G_N_ELEMENTS (streams)
                              ? g_build_filename (g_getenv ("CC_PROXY_TEST_EXPECTED"), streams[i], NULL)
                              : cc_test_fixture_path ("anthropic-stream-text.sse");
      g_autofree char *text = NULL;
      g_autoptr(CcProxyMessageAssembler) assembler = cc_proxy_message_assembler_new ();
      g_autoptr(CcProxySseParser) parser = cc_proxy_sse_parser_new (feed_event, assembler);
      g_autoptr(JsonNode) want = NULL;
      g_autoptr(CcProxyEvent) event = cc_proxy_event_new (CC_PROXY_EVENT_RESPONSE_COMPLETE);
      g_autofree char *day = NULL;
      g_autofree char *line = NULL;
      g_autoptr(JsonNode) written = NULL;
      gsize len;

      g_assert_true (g_file_get_contents (path, &text, &len, NULL));
      cc_proxy_sse_parser_feed (parser, text, len);
      cc_proxy_sse_parser_finish (parser);
      want = cc_proxy_message_assembler_finish (assembler);
      g_assert_nonnull (want);

      event->request_id = g_strdup ("0123");
      event->raw_body = g_bytes_new (text, len);
      event->raw_is_stream = TRUE;
      line = cc_proxy_capture_log_format_event (event, utc, &day);
      written = json_from_string (line, NULL);
      g_assert_nonnull (written);
      g_assert_true (json_node_equal (json_object_get_member (json_node_get_object (written), "body"), want));
    }
}

static void
add_events (CcProxyMessageAssembler *assembler,
            const char * const      *events)
{
  for (guint i = 0; events[i] != NULL; i++)
    {
      g_autoptr(JsonNode) node = json_from_string (events[i], NULL);

      g_assert_nonnull (node);
      cc_proxy_message_assembler_add (assembler, node);
    }
}

/* Thinking with its signature, text, a tool call in fragments and one
 * cut mid-way; events of other kinds and junk change nothing. */
static void
test_assembler_blocks (void)
{
  static const char * const events[] = {
    "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"before start\"}}",
    "{\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],"
      "\"usage\":{\"input_tokens\":7,\"cache_read_input_tokens\":2,\"output_tokens\":1}}}",
    "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}",
    "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"Let me \"}}",
    "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"look.\"}}",
    "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"c2ln\"}}",
    "{\"type\":\"content_block_stop\",\"index\":0}",
    "{\"type\":\"ping\"}",
    "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}",
    "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"Reading it.\"}}",
    "{\"type\":\"content_block_stop\",\"index\":1}",
    "{\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_1\","
      "\"name\":\"Read\",\"input\":{}}}",
    "{\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\"}}",
    "{\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"pa\"}}",
    "{\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"th\\\": \\\"/a\\\"}\"}}",
    "{\"type\":\"content_block_stop\",\"index\":2}",
    "{\"type\":\"content_block_start\",\"index\":3,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_2\","
      "\"name\":\"Bash\",\"input\":{}}}",
    "{\"type\":\"content_block_delta\",\"index\":3,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"comm\"}}",
    "{\"type\":\"content_block_delta\",\"index\":\"3\",\"delta\":{\"type\":\"text_delta\",\"text\":\"bad index\"}}",
    "{\"type\":\"content_block_delta\",\"index\":99999,\"delta\":{\"type\":\"text_delta\",\"text\":\"far away\"}}",
    "{\"type\":42}",
    "[1, 2]",
    "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},"
      "\"usage\":{\"output_tokens\":40}}",
    "{\"type\":\"message_stop\"}",
    NULL
  };
  g_autoptr(CcProxyMessageAssembler) assembler = cc_proxy_message_assembler_new ();
  g_autoptr(JsonNode) message = NULL;

  add_events (assembler, events);
  message = cc_proxy_message_assembler_finish (assembler);
  assert_json (message,
               "{\"id\":\"m\",\"type\":\"message\",\"role\":\"assistant\",\"content\":["
               "{\"type\":\"thinking\",\"thinking\":\"Let me look.\",\"signature\":\"c2ln\"},"
               "{\"type\":\"text\",\"text\":\"Reading it.\"},"
               "{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"Read\",\"input\":{\"path\":\"/a\"}},"
               "{\"type\":\"tool_use\",\"id\":\"toolu_2\",\"name\":\"Bash\",\"input\":\"{\\\"comm\"}],"
               "\"usage\":{\"input_tokens\":7,\"cache_read_input_tokens\":2,\"output_tokens\":40},"
               "\"stop_reason\":\"tool_use\",\"stop_sequence\":null}");
}

static void
test_assembler_no_message (void)
{
  static const char * const events[] = { "{\"type\":\"ping\"}", "{\"choices\":[]}", NULL };
  g_autoptr(CcProxyMessageAssembler) assembler = cc_proxy_message_assembler_new ();
  g_autoptr(JsonNode) message = NULL;

  add_events (assembler, events);
  message = cc_proxy_message_assembler_finish (assembler);
  g_assert_null (message);
}

/* ----- the summary a one-line view shows ----- */

static void
assert_summary (const char *body,
                const char *usage,
                const char *stop_reason)
{
  g_autoptr(JsonNode) node = json_from_string (body, NULL);
  g_autoptr(JsonNode) got_usage = NULL;
  g_autofree char *got_stop = NULL;

  cc_proxy_response_summarize (node, &got_usage, &got_stop);
  if (usage == NULL)
    g_assert_null (got_usage);
  else
    assert_json (got_usage, usage);
  g_assert_cmpstr (got_stop, ==, stop_reason);
}

static void
test_summary (void)
{
  g_autoptr(GBytes) openai = cc_test_load_fixture ("openai-response-tools.json");
  g_autofree char *openai_text = g_strndup (g_bytes_get_data (openai, NULL), g_bytes_get_size (openai));

  /* A client of cc-proxy gets Anthropic answers; the figures are read
   * with Anthropic's names only. */
  assert_summary ("{\"type\":\"message\",\"stop_reason\":\"max_tokens\",\"usage\":{\"input_tokens\":3,\"output_tokens\":0,"
                  "\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":9,\"service_tier\":\"standard\"}}",
                  "{\"input_tokens\":3,\"output_tokens\":0,\"cache_read_input_tokens\":9}", "max_tokens");
  /* Another API's answer tells the core nothing (its provider translates). */
  assert_summary (openai_text, NULL, NULL);
  /* Wrong types are ignored, never trusted. */
  assert_summary ("{\"usage\":{\"input_tokens\":\"12\"},\"stop_reason\":7}", NULL, NULL);
  assert_summary ("{\"usage\":[1],\"choices\":\"x\"}", NULL, NULL);
  assert_summary ("[]", NULL, NULL);
}

/* ----- the capture log ----- */

typedef struct
{
  char              *dir;
  CcProxyEventSink  *sink;
  CcProxyCaptureLog *log;
  char              *today;
} Capture;

static char *
day_offset (int days)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) then = g_date_time_add_days (now, days);

  return g_date_time_format (then, "%Y-%m-%d");
}

static void
capture_set_up (Capture       *capture,
                gconstpointer  user_data)
{
  g_autofree char *base = g_dir_make_tmp ("cc-proxy-capture-XXXXXX", NULL);

  capture->dir = g_build_filename (base, "captures", NULL);
  capture->sink = cc_proxy_event_sink_new ();
  capture->log = cc_proxy_capture_log_new (capture->sink, capture->dir);
  capture->today = day_offset (0);
}

static void
capture_tear_down (Capture       *capture,
                   gconstpointer  user_data)
{
  g_autofree char *base = g_path_get_dirname (capture->dir);
  g_clear_object (&capture->log);
  g_clear_object (&capture->sink);
  cc_test_remove_tree (base);
  g_free (capture->dir);
  g_free (capture->today);
}

static void
emit (Capture    *capture,
      const char *id)
{
  g_autoptr(CcProxyEvent) event = cc_proxy_event_new (CC_PROXY_EVENT_RESPONSE_DONE);

  event->request_id = g_strdup (id);
  event->provider_id = g_strdup ("anthropic");
  event->method = g_strdup ("POST");
  event->path = g_strdup ("/v1/messages");
  event->status = 200;
  event->duration_us = 1500;
  cc_proxy_event_sink_emit (capture->sink, event);
}

/* Stopping the writer is the only wait: it writes what is queued, then
 * leaves; the counters stay readable until tear-down. */
static void
flush (Capture *capture,
       guint64 *written,
       guint64 *dropped)
{
  g_object_run_dispose (G_OBJECT (capture->log));
  cc_proxy_capture_log_get_counters (capture->log, written, dropped);
}

static void
make_file (Capture    *capture,
           int         days_ago,
           gsize       size)
{
  g_autofree char *day = day_offset (-days_ago);
  g_autofree char *name = g_strconcat (day, ".jsonl", NULL);
  g_autofree char *path = g_build_filename (capture->dir, name, NULL);
  g_autofree char *data = g_malloc (size);
  g_autoptr(GError) error = NULL;

  g_mkdir_with_parents (capture->dir, 0700);
  memset (data, 'x', size);
  g_file_set_contents (path, data, size, &error);
  g_assert_no_error (error);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* The files left, as days ago: "30 2 0". */
static char *
files_left (Capture *capture)
{
  g_autoptr(GDir) dir = g_dir_open (capture->dir, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) ages = g_string_new (NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_strings);
  for (guint i = 0; i < names->len; i++)
    for (int age = 0; age < 400; age++)
      {
        g_autofree char *day = day_offset (-age);

        if (g_str_has_prefix (g_ptr_array_index (names, i), day))
          {
            g_string_append_printf (ages, "%s%d", ages->len ? " " : "", age);
            break;
          }
      }
  return g_strdup (ages->str);
}

static void
test_capture_writes_lines (Capture       *capture,
                           gconstpointer  user_data)
{
  g_autofree char *name = g_strconcat (capture->today, ".jsonl", NULL);
  g_autofree char *path = g_build_filename (capture->dir, name, NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(JsonNode) line = NULL;
  guint64 written, dropped;

  /* Off: nothing is written, not even the directory. */
  emit (capture, "off");
  g_assert_false (cc_proxy_capture_log_get_enabled (capture->log));

  cc_proxy_capture_log_set_enabled (capture->log, TRUE);
  emit (capture, "first");
  emit (capture, "second");
  cc_proxy_capture_log_set_enabled (capture->log, FALSE);
  emit (capture, "off-again");
  flush (capture, &written, &dropped);
  g_assert_cmpuint (written, ==, 2);
  g_assert_cmpuint (dropped, ==, 0);

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  g_assert_cmpstr (lines[2], ==, "");
  line = json_from_string (lines[0], NULL);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (json_object_get_string_member (json_node_get_object (line), "time"), capture->today));
  json_object_remove_member (json_node_get_object (line), "time");
  assert_json (line, "{\"request_id\":\"first\",\"seq\":0,\"kind\":\"response-done\",\"provider\":\"anthropic\","
                     "\"method\":\"POST\",\"path\":\"/v1/messages\",\"status\":200,\"duration_us\":1500}");
  g_assert_nonnull (strstr (lines[1], "\"request_id\":\"second\""));
}

/* Whole days past the retention go; the rest stays. */
static void
test_capture_retention (Capture       *capture,
                        gconstpointer  user_data)
{
  g_autofree char *left = NULL;
  guint64 written, dropped;

  make_file (capture, 45, 10);
  make_file (capture, 31, 10);
  make_file (capture, 30, 10);
  make_file (capture, 2, 10);
  cc_proxy_capture_log_set_limits (capture->log, 1024 * 1024, 30);
  cc_proxy_capture_log_set_enabled (capture->log, TRUE);
  emit (capture, "now");
  flush (capture, &written, &dropped);

  left = files_left (capture);
  g_assert_cmpstr (left, ==, "30 2 0");
  g_assert_cmpuint (written, ==, 1);
}

/* Over the cap, the oldest files go first, until the new line fits;
 * today's file is never removed, and once it alone fills the cap its
 * lines are dropped, counted and explained. */
static void
test_capture_size_cap (Capture       *capture,
                       gconstpointer  user_data)
{
  g_autofree char *left = NULL;
  g_autofree char *error = NULL;
  guint64 written, dropped;

  make_file (capture, 3, 400 * 1024);
  make_file (capture, 2, 400 * 1024);
  make_file (capture, 1, 400 * 1024);
  cc_proxy_capture_log_set_limits (capture->log, 1024 * 1024, 30);
  cc_proxy_capture_log_set_enabled (capture->log, TRUE);
  emit (capture, "fits-after-one-removal");
  flush (capture, &written, &dropped);
  left = files_left (capture);
  g_assert_cmpstr (left, ==, "2 1 0");
  g_assert_cmpuint (written, ==, 1);
  g_assert_cmpuint (dropped, ==, 0);
  g_clear_object (&capture->log);
  g_clear_pointer (&left, g_free);

  /* Today's file alone is over the cap. */
  make_file (capture, 0, 1024 * 1024);
  capture->log = cc_proxy_capture_log_new (capture->sink, capture->dir);
  cc_proxy_capture_log_set_limits (capture->log, 1024 * 1024, 30);
  cc_proxy_capture_log_set_enabled (capture->log, TRUE);
  emit (capture, "too-much");
  emit (capture, "still-too-much");
  flush (capture, &written, &dropped);
  left = files_left (capture);
  g_assert_cmpstr (left, ==, "0");
  g_assert_cmpuint (written, ==, 0);
  g_assert_cmpuint (dropped, ==, 2);
  error = cc_proxy_capture_log_dup_error (capture->log);
  g_assert_cmpstr (error, ==, "the size cap (capture-max-size) is reached");
}

static guint slow_disk_messages;

static void
count_messages (const char     *domain,
                GLogLevelFlags  level,
                const char     *message,
                gpointer        user_data)
{
  if (strstr (message, "the disk is slower than the traffic") != NULL)
    slow_disk_messages++;
}

/* When lines wait for the disk beyond the queue's limit, they are
 * dropped and counted, said once, and emission never blocks. */
static void
test_capture_drops_when_behind (Capture       *capture,
                                gconstpointer  user_data)
{
  guint handler = g_log_set_handler ("cc-proxy-capture", G_LOG_LEVEL_MESSAGE, count_messages, NULL);
  guint64 written, dropped;

  cc_proxy_capture_log_set_queue_limit (capture->log, 0);
  cc_proxy_capture_log_set_enabled (capture->log, TRUE);
  for (guint i = 0; i < 5; i++)
    emit (capture, "dropped");
  flush (capture, &written, &dropped);
  g_log_remove_handler ("cc-proxy-capture", handler);

  g_assert_cmpuint (written, ==, 0);
  g_assert_cmpuint (dropped, ==, 5);
  g_assert_cmpuint (slow_disk_messages, ==, 1);
}

/* The GSettings keys drive it, and a change applies at once. */
static void
test_capture_settings (Capture       *capture,
                       gconstpointer  user_data)
{
  g_autoptr(GSettingsBackend) backend = g_memory_settings_backend_new ();
  g_autoptr(GSettings) settings = g_settings_new_with_backend ("org.ccproxy.Proxy", backend);
  guint64 written, dropped;

  g_assert_true (g_settings_get_boolean (settings, "capture"));
  g_assert_cmpuint (g_settings_get_uint (settings, "capture-max-size"), ==, 1024);
  g_assert_cmpuint (g_settings_get_uint (settings, "capture-retention-days"), ==, 30);

  cc_proxy_capture_log_bind_settings (capture->log, settings);
  g_assert_true (cc_proxy_capture_log_get_enabled (capture->log));
  emit (capture, "on");
  g_settings_set_boolean (settings, "capture", FALSE);
  g_assert_false (cc_proxy_capture_log_get_enabled (capture->log));
  emit (capture, "off");
  g_settings_set_boolean (settings, "capture", TRUE);
  emit (capture, "on-again");
  flush (capture, &written, &dropped);
  g_assert_cmpuint (written, ==, 2);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_summary ("Streams assembled into messages, request summaries, and the capture log's files");

  g_test_add_func ("/traffic/assembler/text", test_assembler_text);
  g_test_add_func ("/traffic/assembler/block-restart", test_assembler_block_restart);
  g_test_add_func ("/traffic/assembler/blocks", test_assembler_blocks);
  g_test_add_func ("/traffic/assembler/no-message", test_assembler_no_message);
  g_test_add_func ("/traffic/assembler/scanned-deltas", test_assembler_scanned_deltas);
  g_test_add_func ("/traffic/summary", test_summary);
#define ADD(path, func) g_test_add ("/traffic/capture/" path, Capture, NULL, capture_set_up, func, capture_tear_down)
  ADD ("writes-lines", test_capture_writes_lines);
  ADD ("retention", test_capture_retention);
  ADD ("size-cap", test_capture_size_cap);
  ADD ("drops-when-behind", test_capture_drops_when_behind);
  ADD ("settings", test_capture_settings);
#undef ADD

  return g_test_run ();
}
