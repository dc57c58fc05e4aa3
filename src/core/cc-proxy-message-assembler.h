/* cc-proxy-message-assembler.h: an Anthropic message from its stream events
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _CcProxyMessageAssembler CcProxyMessageAssembler;

CcProxyMessageAssembler *cc_proxy_message_assembler_new    (void);
void                     cc_proxy_message_assembler_free   (CcProxyMessageAssembler *self);
void                     cc_proxy_message_assembler_add    (CcProxyMessageAssembler *self,
                                                            JsonNode                *event);
void                     cc_proxy_message_assembler_add_delta (CcProxyMessageAssembler *self,
                                                               gint64                   index,
                                                               const char              *type,
                                                               const char              *value);
const char              *cc_proxy_message_assembler_delta_member (const char           *type);
JsonNode                *cc_proxy_message_assembler_finish (CcProxyMessageAssembler *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CcProxyMessageAssembler, cc_proxy_message_assembler_free)

G_END_DECLS
