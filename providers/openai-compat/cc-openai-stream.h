/* cc-openai-stream.h: an OpenAI chunk stream, as Anthropic stream events
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <cc-proxy/cc-proxy.h>

G_BEGIN_DECLS

/**
 * CcOpenaiEventFunc:
 * @event: the Anthropic event type (message_start, content_block_delta, …)
 * @data: the event's data, `type` included
 * @user_data: closure
 *
 * Called for each event the translation produces, in order.
 */
typedef void (*CcOpenaiEventFunc) (const char *event,
                                   JsonNode   *data,
                                   gpointer    user_data);

/**
 * CcOpenaiStream:
 *
 * The streaming state machine of translation.md. Feed it the upstream's
 * bytes split anywhere; it answers with well-formed Anthropic events:
 * one message_start first, blocks opened and closed in order, and
 * message_delta + message_stop, or an error event, last. Once it has
 * ended it says nothing more.
 */
typedef struct _CcOpenaiStream CcOpenaiStream;

CcOpenaiStream *cc_openai_stream_new    (CcOpenaiEventFunc  func,
                                         gpointer           user_data);
void            cc_openai_stream_free   (CcOpenaiStream    *self);
gboolean        cc_openai_stream_feed   (CcOpenaiStream    *self,
                                         const char        *bytes,
                                         gsize              len);
void            cc_openai_stream_finish (CcOpenaiStream    *self);
void            cc_openai_stream_fail   (CcOpenaiStream    *self,
                                         const char        *message);
void            cc_openai_stream_ping   (CcOpenaiStream    *self);
gboolean        cc_openai_stream_is_done (CcOpenaiStream   *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CcOpenaiStream, cc_openai_stream_free)

G_END_DECLS
