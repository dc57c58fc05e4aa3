/* fuzz-translate-stream.c: an OpenAI chat-completions stream to
 * Anthropic events, split where the first byte says. Every event the
 * translator makes must be one an Anthropic client can read.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <cc-proxy/cc-proxy.h>

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

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(CcOpenaiStream) stream = cc_openai_stream_new (check_event, NULL);
  gsize split;

  if (size == 0)
    return 0;
  split = data[0] % size;
  cc_openai_stream_feed (stream, (const char *) data + 1, split);
  cc_openai_stream_feed (stream, (const char *) data + 1 + split, size - 1 - split);
  cc_openai_stream_ping (stream);
  cc_openai_stream_finish (stream);
  return 0;
}
