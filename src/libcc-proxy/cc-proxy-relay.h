/* cc-proxy-relay.h: forward one request upstream and stream the answer back
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-proxy.h"

G_BEGIN_DECLS

void     cc_proxy_relay_forward_async  (CcProxyRequestContext *context,
                                        SoupSession           *session,
                                        const char            *base_url,
                                        GCancellable          *cancellable,
                                        GAsyncReadyCallback    callback,
                                        gpointer               user_data);
gboolean cc_proxy_relay_forward_finish (GAsyncResult          *result,
                                        GError               **error);

void     cc_proxy_relay_track_connections (SoupSession *session);

G_END_DECLS
