/* cc-proxy-settings.h: where setting values come from and go to
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#define G_SETTINGS_ENABLE_BACKEND
#include <gio/gsettingsbackend.h>

#include "cc-proxy-registry.h"
#include "cc-proxy-secret-store.h"

G_BEGIN_DECLS

/* Names the provider to use, over the stored choice. */
#define CC_PROXY_PROVIDER_ENV "CC_PROXY_PROVIDER"

#define CC_PROXY_SETTINGS_ERROR (cc_proxy_settings_error_quark ())

typedef enum {
  CC_PROXY_SETTINGS_ERROR_UNKNOWN_PROVIDER,
  CC_PROXY_SETTINGS_ERROR_UNKNOWN_SETTING,
  CC_PROXY_SETTINGS_ERROR_INVALID_VALUE,
  CC_PROXY_SETTINGS_ERROR_KEYRING_UNAVAILABLE,
} CcProxySettingsError;

GQuark cc_proxy_settings_error_quark (void);

#define CC_PROXY_TYPE_SETTINGS (cc_proxy_settings_get_type ())
G_DECLARE_FINAL_TYPE (CcProxySettings, cc_proxy_settings, CC_PROXY, SETTINGS, GObject)

CcProxySettings *cc_proxy_settings_new                 (CcProxyRegistry          *registry,
                                                        const char * const       *environment,
                                                        GSettingsBackend         *backend);
GSettings       *cc_proxy_settings_get_core_settings   (CcProxySettings          *self);
void             cc_proxy_settings_add_providers       (CcProxySettings          *self);
void             cc_proxy_settings_reload              (CcProxySettings          *self);

char            *cc_proxy_settings_dup_value           (CcProxySettings          *self,
                                                        const char               *provider_id,
                                                        CcProxySettingDescriptor *setting,
                                                        gboolean                 *from_environment,
                                                        char                    **refused);
const char      *cc_proxy_settings_get_provider_override (CcProxySettings        *self);
char            *cc_proxy_settings_dup_active_provider (CcProxySettings          *self);
gboolean         cc_proxy_settings_set_active_provider (CcProxySettings          *self,
                                                        const char               *id,
                                                        GError                  **error);

gboolean         cc_proxy_settings_set_value           (CcProxySettings          *self,
                                                        const char               *provider_id,
                                                        const char               *key,
                                                        const char               *value,
                                                        GError                  **error);
gboolean         cc_proxy_settings_reset_value         (CcProxySettings          *self,
                                                        const char               *provider_id,
                                                        const char               *key,
                                                        GError                  **error);
gboolean         cc_proxy_settings_add_instance        (CcProxySettings          *self,
                                                        const char               *kind,
                                                        const char               *name,
                                                        GError                  **error);
void             cc_proxy_settings_remove_instance_async (CcProxySettings        *self,
                                                        const char               *name,
                                                        GCancellable             *cancellable,
                                                        GAsyncReadyCallback       callback,
                                                        gpointer                  user_data);
gboolean         cc_proxy_settings_remove_instance_finish (CcProxySettings       *self,
                                                        GAsyncResult             *result,
                                                        GError                  **error);
void             cc_proxy_settings_use_keyring         (CcProxySettings          *self,
                                                        CcProxySecretStore       *store);
gboolean         cc_proxy_settings_keep_secret         (CcProxySettings          *self,
                                                        const char               *provider_id,
                                                        const char               *key,
                                                        const char               *value,
                                                        GError                  **error);
void             cc_proxy_settings_set_value_async     (CcProxySettings          *self,
                                                        const char               *provider_id,
                                                        const char               *key,
                                                        GVariant                 *value,
                                                        GCancellable             *cancellable,
                                                        GAsyncReadyCallback       callback,
                                                        gpointer                  user_data);
gboolean         cc_proxy_settings_set_value_finish    (CcProxySettings          *self,
                                                        GAsyncResult             *result,
                                                        GError                  **error);
void             cc_proxy_settings_reset_value_async   (CcProxySettings          *self,
                                                        const char               *provider_id,
                                                        const char               *key,
                                                        GCancellable             *cancellable,
                                                        GAsyncReadyCallback       callback,
                                                        gpointer                  user_data);
gboolean         cc_proxy_settings_reset_value_finish  (CcProxySettings          *self,
                                                        GAsyncResult             *result,
                                                        GError                  **error);

G_END_DECLS
