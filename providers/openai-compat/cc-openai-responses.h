/* cc-openai-responses.h: Anthropic Messages <-> the OpenAI Responses API
 *
 * For upstream models that answer only on /responses. The rules are in
 * docs/translation.md; streams come out of the same state machine
 * as chat-completions ones (cc_openai_stream_new_for_responses()).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-openai-stream.h"

G_BEGIN_DECLS

JsonNode       *cc_openai_responses_request_from_anthropic (JsonObject        *request,
                                                            const char        *model);
JsonNode       *cc_openai_responses_request_from_chat      (JsonObject        *chat);
JsonNode       *cc_openai_responses_response_to_anthropic  (JsonObject        *response);
CcOpenaiStream *cc_openai_stream_new_for_responses         (CcOpenaiEventFunc  func,
                                                            gpointer           user_data);

G_END_DECLS
