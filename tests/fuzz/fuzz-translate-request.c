/* fuzz-translate-request.c: an Anthropic request (any JSON object) to
 * an OpenAI chat-completions and a Responses request, the facts read
 * from them, and the same bytes read as an answer of either API.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <cc-proxy/cc-proxy.h>

#include "cc-openai-responses.h"
#include "cc-openai-translate.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(JsonNode) node = cc_proxy_json_parse ((const char *) data, size, NULL);
  g_autoptr(JsonNode) chat = NULL;
  g_autoptr(JsonNode) back = NULL;
  g_autoptr(JsonNode) responses = NULL;
  g_autoptr(JsonNode) responses_back = NULL;
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
  responses = cc_openai_responses_request_from_anthropic (request, "fuzz-model");
  /* The same bytes read as an upstream answer, of either API. */
  back = cc_openai_response_to_anthropic (request);
  responses_back = cc_openai_responses_response_to_anthropic (request);
  return 0;
}
