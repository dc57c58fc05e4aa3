/* cc-proxy-daemon.h: cc-proxyd's objects, and who owns them
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-proxy-log-ring.h"
#include "cc-proxy-server.h"

G_BEGIN_DECLS

#define CC_PROXY_TYPE_DAEMON (cc_proxy_daemon_get_type ())
G_DECLARE_FINAL_TYPE (CcProxyDaemon, cc_proxy_daemon, CC_PROXY, DAEMON, GObject)

CcProxyDaemon *cc_proxy_daemon_new          (const char      *provider_dirs,
                                             guint            deadline,
                                             gboolean         log_traffic);
gboolean       cc_proxy_daemon_listen       (CcProxyDaemon   *self,
                                             const char      *address,
                                             GError         **error);
void           cc_proxy_daemon_publish      (CcProxyDaemon   *self,
                                             CcProxyLogRing  *log,
                                             const char      *start_error);
const char    *cc_proxy_daemon_get_url      (CcProxyDaemon   *self);
const char    *cc_proxy_daemon_get_provider (CcProxyDaemon   *self);

G_END_DECLS
