/* cc-proxy-log-ring.h: the service log's recent lines, for cc-proxyctl log
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define CC_PROXY_TYPE_LOG_RING (cc_proxy_log_ring_get_type ())
G_DECLARE_FINAL_TYPE (CcProxyLogRing, cc_proxy_log_ring, CC_PROXY, LOG_RING, GObject)

CcProxyLogRing *cc_proxy_log_ring_new      (guint           max_lines);
void            cc_proxy_log_ring_install  (CcProxyLogRing *self);
void            cc_proxy_log_ring_add      (CcProxyLogRing *self,
                                            const char     *line);
GStrv           cc_proxy_log_ring_dup_lines (CcProxyLogRing *self);

G_END_DECLS
