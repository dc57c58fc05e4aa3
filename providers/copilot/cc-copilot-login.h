/* cc-copilot-login.h: GitHub's device flow
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-copilot-common.h"

G_BEGIN_DECLS

#define CC_COPILOT_CLIENT_ID "Iv1.b507a08c87ecfe98"

void  cc_copilot_login_async  (SoupSession          *session,
                               CcProxyAuthPrompt    *prompt,
                               const CcUpstreamClock *clock,
                               GCancellable         *cancellable,
                               GAsyncReadyCallback   callback,
                               gpointer              user_data);
char *cc_copilot_login_finish (GAsyncResult         *result,
                               GError              **error);

G_END_DECLS
