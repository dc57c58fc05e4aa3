/* cc-upstream-limiter.h: at most one upstream call per interval
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-upstream-clock.h"
#include "cc-upstream-request.h"

G_BEGIN_DECLS

CcUpstreamLimiter *cc_upstream_limiter_new            (const char            *provider_id,
                                                      const CcUpstreamClock *clock);
void               cc_upstream_limiter_free           (CcUpstreamLimiter     *self);
void               cc_upstream_limiter_acquire_async  (CcUpstreamLimiter     *self,
                                                      guint                  interval_seconds,
                                                      gboolean               wait,
                                                      GCancellable          *cancellable,
                                                      GAsyncReadyCallback    callback,
                                                      gpointer               user_data);
gboolean           cc_upstream_limiter_acquire_finish (CcUpstreamLimiter     *self,
                                                      GAsyncResult          *result,
                                                      guint                 *retry_after,
                                                      GError               **error);
guint              cc_upstream_limiter_get_n_waiting  (CcUpstreamLimiter     *self);

/* The provider settings cc_upstream_acquire_slot() reads. */
#define CC_UPSTREAM_RATE_LIMIT_SECONDS "rate-limit-seconds"
#define CC_UPSTREAM_RATE_LIMIT_WAIT    "rate-limit-wait"

CcProxySettingDescriptor *cc_upstream_limiter_seconds_setting (const char         *help,
                                                               const char * const *env);
CcProxySettingDescriptor *cc_upstream_limiter_wait_setting    (const char * const *env);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CcUpstreamLimiter, cc_upstream_limiter_free)

G_END_DECLS
