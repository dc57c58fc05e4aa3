/* cc-copilot-tokens.h: Copilot tokens from a GitHub token, cached
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-copilot-common.h"

G_BEGIN_DECLS

typedef struct _CcCopilotTokens CcCopilotTokens;

CcCopilotTokens *cc_copilot_tokens_new          (const CcUpstreamClock *clock);
void             cc_copilot_tokens_free         (CcCopilotTokens      *self);
void             cc_copilot_tokens_get_async    (CcCopilotTokens      *self,
                                                 SoupSession          *session,
                                                 CcProxySnapshot      *snapshot,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
char            *cc_copilot_tokens_get_finish   (CcCopilotTokens      *self,
                                                 GAsyncResult         *result,
                                                 char                **api_endpoint,
                                                 GError              **error);
void             cc_copilot_tokens_invalidate   (CcCopilotTokens      *self,
                                                 const char           *token);
void             cc_copilot_exchange_async      (SoupSession          *session,
                                                 CcProxySnapshot      *snapshot,
                                                 const char           *github_token,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
JsonObject      *cc_copilot_exchange_finish     (GAsyncResult         *result,
                                                 GError              **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CcCopilotTokens, cc_copilot_tokens_free)

G_END_DECLS
