/* cc-openai-stream-private.h: for the readers of other upstream dialects
 *
 * The Anthropic side of a translated stream (cc-openai-stream.c) is one
 * state machine. A dialect other than chat-completions (the Responses
 * API, cc-openai-responses.c) reads its own events and hands the machine
 * the chat-completions chunks they amount to.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-openai-stream.h"

G_BEGIN_DECLS

CcOpenaiStream *cc_openai_stream_new_with_reader (CcOpenaiEventFunc   func,
                                                  gpointer            user_data,
                                                  CcProxySseEventFunc reader);
JsonNode       *cc_openai_stream_parse           (CcOpenaiStream     *self,
                                                  const char         *data,
                                                  const char         *what);
void            cc_openai_stream_take_chunk      (CcOpenaiStream     *self,
                                                  JsonObject         *chunk);
void            cc_openai_stream_complete        (CcOpenaiStream     *self);

G_END_DECLS
