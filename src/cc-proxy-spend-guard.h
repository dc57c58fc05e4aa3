/* cc-proxy-spend-guard.h: ask before a premium request budget is crossed
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-proxy-session-ledger.h"

G_BEGIN_DECLS

#define CC_PROXY_SPEND_GUARD_ERROR (cc_proxy_spend_guard_error_quark ())

typedef enum {
  CC_PROXY_SPEND_GUARD_ERROR_NO_QUESTION,
  CC_PROXY_SPEND_GUARD_ERROR_BAD_ANSWER,
} CcProxySpendGuardError;

GQuark cc_proxy_spend_guard_error_quark (void);

/**
 * CcProxySpendAnswer:
 * @CC_PROXY_SPEND_ALLOW: send it
 * @CC_PROXY_SPEND_ALLOW_SESSION: send it, and the session's others
 *   without asking again
 * @CC_PROXY_SPEND_SMALL_MODEL: send it to the `budget-small-model`
 * @CC_PROXY_SPEND_DENY: answer it with an error that says why
 */
typedef enum {
  CC_PROXY_SPEND_ALLOW,
  CC_PROXY_SPEND_ALLOW_SESSION,
  CC_PROXY_SPEND_SMALL_MODEL,
  CC_PROXY_SPEND_DENY,
} CcProxySpendAnswer;

const char *cc_proxy_spend_answer_to_string (CcProxySpendAnswer answer);

#define CC_PROXY_TYPE_SPEND_GUARD (cc_proxy_spend_guard_get_type ())
G_DECLARE_FINAL_TYPE (CcProxySpendGuard, cc_proxy_spend_guard, CC_PROXY, SPEND_GUARD, GObject)

CcProxySpendGuard *cc_proxy_spend_guard_new          (CcProxySessionLedger *ledger,
                                                      GSettings            *settings);
gboolean           cc_proxy_spend_guard_is_active    (CcProxySpendGuard    *self);
char              *cc_proxy_spend_guard_check        (CcProxySpendGuard    *self,
                                                      const char           *session_id,
                                                      const char           *request_class);
void               cc_proxy_spend_guard_ask_async    (CcProxySpendGuard    *self,
                                                      const char           *session_id,
                                                      const char           *why,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
CcProxySpendAnswer cc_proxy_spend_guard_ask_finish   (CcProxySpendGuard    *self,
                                                      GAsyncResult         *result);
gboolean           cc_proxy_spend_guard_answer       (CcProxySpendGuard    *self,
                                                      guint                 question,
                                                      const char           *answer,
                                                      GError              **error);
void               cc_proxy_spend_guard_answer_default (CcProxySpendGuard  *self,
                                                      guint                 question);
GVariant          *cc_proxy_spend_guard_dup_questions (CcProxySpendGuard   *self);
char              *cc_proxy_spend_guard_dup_small_model (CcProxySpendGuard *self);

G_END_DECLS
