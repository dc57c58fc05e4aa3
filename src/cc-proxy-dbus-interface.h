/* cc-proxy-dbus-interface.h: generated skeletons served with the
 * documented interface description
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

#include "cc-proxy-settings.h"

G_BEGIN_DECLS

#define CC_PROXY_DBUS_ERROR (cc_proxy_dbus_error_quark ())

typedef enum {
  CC_PROXY_DBUS_ERROR_FAILED,
  CC_PROXY_DBUS_ERROR_UNKNOWN_PROVIDER,
  CC_PROXY_DBUS_ERROR_UNKNOWN_SETTING,
  CC_PROXY_DBUS_ERROR_INVALID_VALUE,
  CC_PROXY_DBUS_ERROR_KEYRING_UNAVAILABLE,
  CC_PROXY_DBUS_ERROR_AUTH_FAILED,
} CcProxyDBusError;

GQuark              cc_proxy_dbus_error_quark           (void);
GError             *cc_proxy_dbus_error_from_settings   (const GError          *error);
void                cc_proxy_dbus_complete_settings_call (GDBusMethodInvocation *invocation,
                                                          gboolean               done,
                                                          const GError          *error);

/**
 * CcProxyDBusReadFunc:
 * @skeleton: the interface
 * @sender: (nullable): who reads, %NULL for GetManagedObjects and
 *   InterfacesAdded
 * @property_name: what is read
 *
 * Comes before the generated skeleton's read of a property: may bring
 * the stored value up to date, or answer in its place.
 *
 * Returns: (transfer floating) (nullable): the answer, or %NULL for the
 *   skeleton's stored value
 */
typedef GVariant *(*CcProxyDBusReadFunc)  (GDBusInterfaceSkeleton  *skeleton,
                                           const char              *sender,
                                           const char              *property_name);

/**
 * CcProxyDBusWriteFunc:
 *
 * Takes a write of a writable property in place of the generated
 * skeleton, so that it can be refused with an error.
 */
typedef gboolean  (*CcProxyDBusWriteFunc) (GDBusInterfaceSkeleton  *skeleton,
                                           const char              *property_name,
                                           GVariant                *value,
                                           GError                 **error);

void cc_proxy_dbus_interface_class_init (GDBusInterfaceSkeletonClass *klass,
                                         CcProxyDBusReadFunc          read,
                                         CcProxyDBusWriteFunc         write);

G_END_DECLS
