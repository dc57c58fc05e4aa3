/* fuzz-translate-stream.c: an OpenAI chat-completions stream, and the
 * same bytes as a Responses API stream, to Anthropic events, split where
 * the first byte says. Every event the translators make must be one an
 * Anthropic client can read.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <cc-proxy/cc-proxy.h>

#include "cc-openai-responses.h"
#include "cc-openai-stream.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
check_event (const char *event,
             JsonNode   *data,
             gpointer    user_data)
{
  g_assert_nonnull (event);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (data));
  g_assert_cmpstr (cc_proxy_json_get_string (json_node_get_object (data), "type"), ==, event);
}

static void
feed (CcOpenaiStream *stream,
      const guint8   *data,
      size_t          size)
{
  gsize split = data[0] % size;

  cc_openai_stream_feed (stream, (const char *) data + 1, split);
  cc_openai_stream_feed (stream, (const char *) data + 1 + split, size - 1 - split);
  cc_openai_stream_ping (stream);
  cc_openai_stream_finish (stream);
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(CcOpenaiStream) chat = cc_openai_stream_new (check_event, NULL);
  g_autoptr(CcOpenaiStream) responses = cc_openai_stream_new_for_responses (check_event, NULL);

  if (size == 0)
    return 0;
  feed (chat, data, size);
  feed (responses, data, size);
  return 0;
}
