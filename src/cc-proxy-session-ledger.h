/* cc-proxy-session-ledger.h: what each Claude Code session, and each day, cost
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-proxy-event-sink.h"

G_BEGIN_DECLS

#define CC_PROXY_TYPE_SESSION_LEDGER (cc_proxy_session_ledger_get_type ())
G_DECLARE_FINAL_TYPE (CcProxySessionLedger, cc_proxy_session_ledger, CC_PROXY, SESSION_LEDGER, GObject)

CcProxySessionLedger *cc_proxy_session_ledger_new         (CcProxyEventSink     *sink);
GVariant             *cc_proxy_session_ledger_dup_session (CcProxySessionLedger *self,
                                                           const char           *session_id);
GVariant             *cc_proxy_session_ledger_dup_today   (CcProxySessionLedger *self);
GVariant             *cc_proxy_session_ledger_dup_recent  (CcProxySessionLedger *self);
void                  cc_proxy_session_ledger_get_premium (CcProxySessionLedger *self,
                                                           const char           *session_id,
                                                           gdouble              *session_premium,
                                                           gdouble              *today_premium);

G_END_DECLS
