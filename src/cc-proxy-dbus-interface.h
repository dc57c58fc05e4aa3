/* cc-proxy-dbus-interface.h: one interface of cc-proxyd's, as a
 * GDBusInterfaceSkeleton
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define CC_PROXY_TYPE_DBUS_INTERFACE (cc_proxy_dbus_interface_get_type ())
G_DECLARE_FINAL_TYPE (CcProxyDBusInterface, cc_proxy_dbus_interface, CC_PROXY, DBUS_INTERFACE, GDBusInterfaceSkeleton)

CcProxyDBusInterface *cc_proxy_dbus_interface_new (GDBusInterfaceInfo         *info,
                                                   const GDBusInterfaceVTable *vtable,
                                                   gpointer                    user_data);

G_END_DECLS
