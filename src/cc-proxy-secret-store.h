/* cc-proxy-secret-store.h: secret settings in the keyring
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define CC_PROXY_SECRET_SCHEMA_NAME "org.ccproxy.Proxy.Secret"

#define CC_PROXY_TYPE_SECRET_STORE (cc_proxy_secret_store_get_type ())
G_DECLARE_FINAL_TYPE (CcProxySecretStore, cc_proxy_secret_store, CC_PROXY, SECRET_STORE, GObject)

CcProxySecretStore *cc_proxy_secret_store_new           (void);
void                cc_proxy_secret_store_lookup_async  (CcProxySecretStore   *self,
                                                         const char           *provider_id,
                                                         const char           *key,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
char               *cc_proxy_secret_store_lookup_finish (CcProxySecretStore   *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);
void                cc_proxy_secret_store_store_async   (CcProxySecretStore   *self,
                                                         const char           *provider_id,
                                                         const char           *key,
                                                         const char           *value,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
gboolean            cc_proxy_secret_store_store_finish  (CcProxySecretStore   *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);
void                cc_proxy_secret_store_clear_async   (CcProxySecretStore   *self,
                                                         const char           *provider_id,
                                                         const char           *key,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
gboolean            cc_proxy_secret_store_clear_finish  (CcProxySecretStore   *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);

G_END_DECLS
