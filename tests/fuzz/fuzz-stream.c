/* fuzz-stream.c: Anthropic event streams, as an upstream sends them,
 * through what the daemon does with one: the observation that sums up
 * a relayed answer (events parsed, put together, usage read) and the
 * capture log's writer (deltas scanned, the message assembled, one JSON
 * line written)
 *
 * The first byte chooses: the rest is the stream as it is, or a program
 * that writes a stream of well-formed events with hostile contents:
 * block starts repeated for an index already in use, deltas for blocks
 * never started, control characters, nested and unclosed tool arguments.
 * Either way nothing crashes and every line written is JSON (RFC 8259).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include <cc-proxy/cc-proxy.h>

#include "cc-proxy-body-scan.h"
#include "cc-proxy-capture-log.h"
#include "cc-proxy-message-assembler.h"
#include "cc-proxy-event.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

typedef struct
{
  const guint8 *p;
  const guint8 *end;
} Program;

static guint
next (Program *program)
{
  return program->p < program->end ? *program->p++ : 0;
}

/* Up to 32 bytes of the program, as a JSON string, escaped or (when
 * the program says so) raw, to see what a broken upstream sends. */
static void
append_text (GString *out,
             Program *program)
{
  guint wanted = next (program) % 33;
  guint len = MIN (wanted, (guint) (program->end - program->p));
  gboolean raw = len > 0 && (program->p[0] & 0x80) != 0 && (program->p[0] & 0x40) != 0;

  if (raw)
    {
      g_string_append_c (out, '"');
      g_string_append_len (out, (const char *) program->p, len);
      g_string_append_c (out, '"');
    }
  else
    {
      g_autoptr(JsonNode) node = json_node_new (JSON_NODE_VALUE);
      g_autofree char *valid = g_utf8_make_valid ((const char *) program->p, len);

      json_node_set_string (node, valid);
      cc_proxy_json_append (out, node);
    }
  program->p += len;
}

/* Tool arguments arrive as fragments of JSON text, which need not be
 * valid on their own nor together. */
static void
append_arguments (GString *out,
                  Program *program)
{
  static const char * const pieces[] = {
    "{\"a\":", "[/*]*/", "[", "]", "\"x\"", "'", "\\u0000", "1e999", "}", "\x1f",
  };
  g_autoptr(GString) fragment = g_string_new (NULL);
  guint count = next (program) % 16;
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_VALUE);

  for (guint i = 0; i < count; i++)
    {
      guint n = next (program);

      /* Runs of one piece up to 141 long: past the depth limit (128)
       * in few bytes. */
      for (guint r = 0; r < 1 + (n >> 5) * 20; r++)
        g_string_append (fragment, pieces[n % G_N_ELEMENTS (pieces)]);
    }
  json_node_set_string (node, fragment->str);
  cc_proxy_json_append (out, node);
}

static void
append_event (GString *stream,
              Program *program)
{
  guint op = next (program);
  guint index = (op >> 4) % 4;
  const char *name;
  g_autoptr(GString) data = g_string_new (NULL);

  switch (op % 9)
    {
    case 0:
      name = "message_start";
      g_string_append (data, "{\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"type\":\"message\","
                             "\"role\":\"assistant\",\"content\":[],\"model\":");
      append_text (data, program);
      g_string_append (data, ",\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}}");
      break;
    case 1:
    case 2:
    case 3:
      {
        static const char * const blocks[] = {
          "{\"type\":\"text\",\"text\":\"\"}",
          "{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"f\",\"input\":{}}",
          "{\"type\":\"thinking\",\"thinking\":\"\"}",
        };

        name = "content_block_start";
        g_string_append_printf (data, "{\"type\":\"content_block_start\",\"index\":%u,\"content_block\":%s}",
                                index, blocks[op % 9 - 1]);
        break;
      }
    case 4:
    case 5:
      {
        static const char * const deltas[] = { "text_delta\",\"text\":", "thinking_delta\",\"thinking\":" };

        name = "content_block_delta";
        g_string_append_printf (data, "{\"type\":\"content_block_delta\",\"index\":%u,\"delta\":{\"type\":\"%s",
                                index, deltas[op % 9 - 4]);
        append_text (data, program);
        g_string_append (data, "}}");
        break;
      }
    case 6:
      name = "content_block_delta";
      g_string_append_printf (data, "{\"type\":\"content_block_delta\",\"index\":%u,"
                                    "\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":", index);
      append_arguments (data, program);
      g_string_append (data, "}}");
      break;
    case 7:
      name = "content_block_stop";
      g_string_append_printf (data, "{\"type\":\"content_block_stop\",\"index\":%u}", index);
      break;
    default:
      name = "message_delta";
      g_string_append (data, "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":");
      append_text (data, program);
      g_string_append_printf (data, "},\"usage\":{\"output_tokens\":%u}}", next (program));
      break;
    }
  g_string_append_printf (stream, "event: %s\ndata: %s\n\n", name, data->str);
}

/* The observation of a relayed answer that someone watches event by
 * event: each event parsed and put together, the usage and stop reason
 * read. */
static void
observe (const char *sse_event,
         const char *data,
         gpointer    user_data)
{
  CcProxyMessageAssembler *assembler = user_data;
  g_autoptr(JsonNode) node = NULL;

  node = cc_proxy_json_parse (data, -1, NULL);
  if (node != NULL)
    cc_proxy_message_assembler_add (assembler, node);
}

static void
assert_writes_json (JsonNode *node)
{
  g_autofree char *text = NULL;

  if (node == NULL)
    return;
  text = cc_proxy_json_to_string (node);
  g_assert_true (cc_proxy_json_validate (text, strlen (text), G_MAXUINT, NULL));
}

int
LLVMFuzzerTestOneInput (const guint8 *bytes,
                        size_t        size)
{
  g_autoptr(GString) stream = g_string_new (NULL);
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();

  if (size == 0)
    return 0;
  if (bytes[0] & 1)
    {
      Program program = { bytes + 1, bytes + size };

      g_string_append (stream, ": generated\n\n");
      while (program.p < program.end && stream->len < 16 * 1024)
        append_event (stream, &program);
    }
  else
    g_string_append_len (stream, (const char *) bytes + 1, size - 1);

  {
    g_autoptr(CcProxyMessageAssembler) assembler = cc_proxy_message_assembler_new ();
    g_autoptr(CcProxySseParser) parser = cc_proxy_sse_parser_new (observe, assembler);
    g_autoptr(JsonNode) message = NULL;
    g_autoptr(JsonNode) usage = NULL;
    g_autofree char *stop_reason = NULL;

    cc_proxy_sse_parser_feed (parser, stream->str, stream->len);
    cc_proxy_sse_parser_finish (parser);
    message = cc_proxy_message_assembler_finish (assembler);
    cc_proxy_response_summarize (message, &usage, &stop_reason);
    assert_writes_json (message);
    assert_writes_json (usage);
  }
  {
    g_autoptr(CcProxyEvent) event = cc_proxy_event_new (CC_PROXY_EVENT_RESPONSE_COMPLETE);
    g_autofree char *day = NULL;
    g_autofree char *line = NULL;

    event->request_id = g_strdup ("fuzz");
    event->raw_body = g_bytes_new (stream->str, stream->len);
    event->raw_is_stream = TRUE;
    line = cc_proxy_capture_log_format_event (event, utc, &day);
    g_assert_true (cc_proxy_json_validate (line, strlen (line), G_MAXUINT, NULL));
    g_assert_true (strchr (line, '\n') == line + strlen (line) - 1);
  }
  return 0;
}
