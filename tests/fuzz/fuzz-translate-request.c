/* fuzz-translate-request.c: an Anthropic request (any JSON object) to
 * an OpenAI chat-completions request, and the facts read from both.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <cc-proxy/cc-proxy.h>

#include "cc-openai-translate.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(JsonNode) node = cc_proxy_json_parse ((const char *) data, size, NULL);
  g_autoptr(JsonNode) chat = NULL;
  g_autoptr(JsonNode) back = NULL;
  JsonObject *request;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return 0;
  request = json_node_get_object (node);
  cc_openai_anthropic_has_image (request);
  cc_openai_anthropic_is_user_turn (request);
  cc_openai_count_tokens (request, NULL);
  chat = cc_openai_request_from_anthropic (request, "fuzz-model");
  if (chat != NULL && JSON_NODE_HOLDS_OBJECT (chat))
    {
      cc_openai_chat_has_image (json_node_get_object (chat));
      cc_openai_chat_is_user_turn (json_node_get_object (chat));
    }
  /* The same bytes read as an upstream answer. */
  back = cc_openai_response_to_anthropic (request);
  return 0;
}
