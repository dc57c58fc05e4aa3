/* cc-copilot-limiter.h: at most one upstream call per interval
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-copilot-common.h"

G_BEGIN_DECLS

typedef struct _CcCopilotLimiter CcCopilotLimiter;

CcCopilotLimiter *cc_copilot_limiter_new            (const CcCopilotClock *clock);
void              cc_copilot_limiter_free           (CcCopilotLimiter     *self);
void              cc_copilot_limiter_acquire_async  (CcCopilotLimiter     *self,
                                                     guint                 interval_seconds,
                                                     gboolean              wait,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
gboolean          cc_copilot_limiter_acquire_finish (CcCopilotLimiter     *self,
                                                     GAsyncResult         *result,
                                                     guint                *retry_after,
                                                     GError              **error);
guint             cc_copilot_limiter_get_n_waiting  (CcCopilotLimiter     *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CcCopilotLimiter, cc_copilot_limiter_free)

G_END_DECLS
