/* cc-proxy-secret-store.c: secret settings in the keyring
 *
 * One item per (provider, key) under the libsecret schema
 * org.ccproxy.Proxy.Secret, in the default collection. Every call is
 * asynchronous: the keyring may have to start, or ask to be unlocked.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "cc-proxy-secrets"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsecret/secret.h>

#include "cc-proxy-secret-store.h"

struct _CcProxySecretStore
{
  GObject parent_instance;
};

G_DEFINE_FINAL_TYPE (CcProxySecretStore, cc_proxy_secret_store, G_TYPE_OBJECT)

static const SecretSchema *
secret_schema (void)
{
  static const SecretSchema schema = {
    CC_PROXY_SECRET_SCHEMA_NAME, SECRET_SCHEMA_NONE,
    {
      { "provider", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "key", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
  };

  return &schema;
}

static void
cc_proxy_secret_store_finalize (GObject *object)
{
  /* libsecret keeps one Secret Service connection for the process;
   * this store is its only user, so it goes with the store. */
  secret_service_disconnect ();
  G_OBJECT_CLASS (cc_proxy_secret_store_parent_class)->finalize (object);
}

static void
cc_proxy_secret_store_class_init (CcProxySecretStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cc_proxy_secret_store_finalize;
}

static void
cc_proxy_secret_store_init (CcProxySecretStore *self)
{
}

CcProxySecretStore *
cc_proxy_secret_store_new (void)
{
  return g_object_new (CC_PROXY_TYPE_SECRET_STORE, NULL);
}

static void
on_lookup (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *value = secret_password_lookup_finish (result, &error);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, value, (GDestroyNotify) secret_password_free);
}

void
cc_proxy_secret_store_lookup_async (CcProxySecretStore  *self,
                                    const char          *provider_id,
                                    const char          *key,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, cc_proxy_secret_store_lookup_async);
  secret_password_lookup (secret_schema (), cancellable, on_lookup, task,
                          "provider", provider_id, "key", key, NULL);
}

/**
 * cc_proxy_secret_store_lookup_finish:
 *
 * Returns: (transfer full) (nullable): the stored value, %NULL with no
 *   error when there is none
 */
char *
cc_proxy_secret_store_lookup_finish (CcProxySecretStore  *self,
                                     GAsyncResult        *result,
                                     GError             **error)
{
  g_autofree char *value = g_task_propagate_pointer (G_TASK (result), error);

  return g_strdup (value);
}

static void
on_stored (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (secret_password_store_finish (result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
cc_proxy_secret_store_store_async (CcProxySecretStore  *self,
                                   const char          *provider_id,
                                   const char          *key,
                                   const char          *value,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  g_autofree char *label = g_strdup_printf (_("cc-proxy: %s %s"), provider_id, key);

  g_task_set_source_tag (task, cc_proxy_secret_store_store_async);
  secret_password_store (secret_schema (), SECRET_COLLECTION_DEFAULT, label, value, cancellable, on_stored, task,
                         "provider", provider_id, "key", key, NULL);
}

gboolean
cc_proxy_secret_store_store_finish (CcProxySecretStore  *self,
                                    GAsyncResult        *result,
                                    GError             **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_cleared (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  /* FALSE without an error: there was nothing to clear. */
  secret_password_clear_finish (result, &error);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
cc_proxy_secret_store_clear_async (CcProxySecretStore  *self,
                                   const char          *provider_id,
                                   const char          *key,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, cc_proxy_secret_store_clear_async);
  secret_password_clear (secret_schema (), cancellable, on_cleared, task,
                         "provider", provider_id, "key", key, NULL);
}

gboolean
cc_proxy_secret_store_clear_finish (CcProxySecretStore  *self,
                                    GAsyncResult        *result,
                                    GError             **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
