/* cc-proxy-runtime.h: settings in, snapshots out
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#define G_SETTINGS_ENABLE_BACKEND
#include <gio/gsettingsbackend.h>

#include "cc-proxy-registry.h"
#include "cc-proxy-secret-store.h"

G_BEGIN_DECLS

#define CC_PROXY_RUNTIME_ERROR (cc_proxy_runtime_error_quark ())

typedef enum {
  CC_PROXY_RUNTIME_ERROR_UNKNOWN_PROVIDER,
  CC_PROXY_RUNTIME_ERROR_UNKNOWN_SETTING,
  CC_PROXY_RUNTIME_ERROR_INVALID_VALUE,
  CC_PROXY_RUNTIME_ERROR_KEYRING_UNAVAILABLE,
} CcProxyRuntimeError;

GQuark cc_proxy_runtime_error_quark (void);

#define CC_PROXY_TYPE_RUNTIME (cc_proxy_runtime_get_type ())
G_DECLARE_FINAL_TYPE (CcProxyRuntime, cc_proxy_runtime, CC_PROXY, RUNTIME, GObject)

CcProxyRuntime  *cc_proxy_runtime_new                 (CcProxyRegistry     *registry,
                                                       const char * const  *environment);
CcProxyRuntime  *cc_proxy_runtime_new_full            (CcProxyRegistry     *registry,
                                                       const char * const  *environment,
                                                       GSettingsBackend    *backend);
GSettings       *cc_proxy_runtime_get_core_settings   (CcProxyRuntime      *self);
CcProxySnapshot *cc_proxy_runtime_get_snapshot        (CcProxyRuntime      *self);
gboolean         cc_proxy_runtime_set_active_provider (CcProxyRuntime      *self,
                                                       const char          *id,
                                                       GError             **error);
gboolean         cc_proxy_runtime_set_value           (CcProxyRuntime      *self,
                                                       const char          *provider_id,
                                                       const char          *key,
                                                       const char          *value,
                                                       GError             **error);
gboolean         cc_proxy_runtime_reset_value         (CcProxyRuntime      *self,
                                                       const char          *provider_id,
                                                       const char          *key,
                                                       GError             **error);
const char      *cc_proxy_runtime_get_fallback_note   (CcProxyRuntime      *self);
void             cc_proxy_runtime_add_providers       (CcProxyRuntime      *self);
void             cc_proxy_runtime_reload              (CcProxyRuntime      *self);
void             cc_proxy_runtime_use_keyring         (CcProxyRuntime      *self,
                                                       CcProxySecretStore  *store);
gboolean         cc_proxy_runtime_keep_secret         (CcProxyRuntime      *self,
                                                       const char          *provider_id,
                                                       const char          *key,
                                                       const char          *value,
                                                       GError             **error);
void             cc_proxy_runtime_set_value_async     (CcProxyRuntime      *self,
                                                       const char          *provider_id,
                                                       const char          *key,
                                                       const char          *value,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gboolean         cc_proxy_runtime_set_value_finish    (CcProxyRuntime      *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);
void             cc_proxy_runtime_reset_value_async   (CcProxyRuntime      *self,
                                                       const char          *provider_id,
                                                       const char          *key,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gboolean         cc_proxy_runtime_reset_value_finish  (CcProxyRuntime      *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);
CcProxyRegistry *cc_proxy_runtime_get_registry        (CcProxyRuntime      *self);

G_END_DECLS
