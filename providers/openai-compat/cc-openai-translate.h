/* cc-openai-translate.h: Anthropic Messages <-> OpenAI chat-completions
 *
 * The rules are in docs/translation.md. Every provider that serves
 * the Messages API on top of an OpenAI-style upstream uses these.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <cc-proxy/cc-proxy.h>

G_BEGIN_DECLS

JsonNode *cc_openai_request_from_anthropic  (JsonObject         *request,
                                             const char         *model);
JsonNode *cc_openai_response_to_anthropic   (JsonObject         *response);
char     *cc_openai_error_to_anthropic      (guint               status,
                                             GBytes             *upstream_body);
const char *cc_openai_error_type_for_status (guint               status);
void      cc_openai_copy_rate_limit_headers (SoupMessageHeaders *upstream,
                                             SoupMessageHeaders *client);
gint64    cc_openai_count_tokens            (JsonObject         *request,
                                             const char         *model);
char     *cc_openai_model_map_lookup        (const char         *model_map,
                                             const char         *model);
char     *cc_openai_map_model               (const char         *model,
                                             const char         *model_map,
                                             const char * const *known_ids);
gboolean  cc_openai_anthropic_has_image     (JsonObject         *request);
gboolean  cc_openai_anthropic_is_user_turn  (JsonObject         *request);
gboolean  cc_openai_anthropic_is_compaction (JsonObject        *request);
gboolean  cc_openai_chat_has_image          (JsonObject         *request);
gboolean  cc_openai_chat_is_user_turn       (JsonObject         *request);
const char *cc_openai_stop_reason           (const char         *finish_reason);
JsonNode *cc_openai_usage_to_anthropic      (JsonObject         *usage);
JsonNode *cc_openai_models_to_anthropic     (JsonObject         *answer);
const char *cc_openai_reasoning_text        (JsonObject         *message);
char     *cc_openai_tool_call_id            (const char         *id);
void      cc_openai_json_copy_member        (JsonObject         *from,
                                             const char         *from_name,
                                             JsonObject         *to,
                                             const char         *to_name);

G_END_DECLS
