/* cc-proxy-listener.h: accepting client connections, and letting them go
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

#define CC_PROXY_TYPE_LISTENER (cc_proxy_listener_get_type ())
G_DECLARE_FINAL_TYPE (CcProxyListener, cc_proxy_listener, CC_PROXY, LISTENER, GObject)

CcProxyListener *cc_proxy_listener_new               (SoupServer        *server);
gboolean         cc_proxy_listener_add_socket        (CcProxyListener   *self,
                                                      GSocket           *socket,
                                                      GError           **error);
void             cc_proxy_listener_set_idle_timeout  (CcProxyListener   *self,
                                                      guint              seconds);
void             cc_proxy_listener_set_only_peer     (CcProxyListener   *self,
                                                      GPid               pid);
guint            cc_proxy_listener_get_max_clients   (CcProxyListener   *self);
guint            cc_proxy_listener_get_n_clients     (CcProxyListener   *self);
gboolean         cc_proxy_listener_is_out_of_descriptors (CcProxyListener *self);
GSocket         *cc_proxy_listener_get_client_socket (SoupServerMessage *message);

void             cc_proxy_listener_raise_fd_limit    (void);

G_END_DECLS
