/* cc-proxy-auth-result.c: what a login flow asks the core to store
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "cc-proxy.h"

struct _CcProxyAuthResult
{
  char            *message;
  GHashTable      *values;
  gboolean         activate;
};

G_DEFINE_BOXED_TYPE (CcProxyAuthResult, cc_proxy_auth_result, cc_proxy_auth_result_ref, cc_proxy_auth_result_unref)

/**
 * cc_proxy_auth_result_new:
 * @message: what to tell the person ("Signed in as …")
 *
 * Creates the result of a finished login flow.
 *
 * Returns: (transfer full): a result with no settings to store
 */
CcProxyAuthResult *
cc_proxy_auth_result_new (const char *message)
{
  CcProxyAuthResult *self = g_atomic_rc_box_new0 (CcProxyAuthResult);

  self->message = g_strdup (message ? message : "");
  self->values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return self;
}

/**
 * cc_proxy_auth_result_ref:
 * @self: a result
 *
 * Takes a reference on @self.
 *
 * Returns: (transfer full): @self
 */
CcProxyAuthResult *
cc_proxy_auth_result_ref (CcProxyAuthResult *self)
{
  return g_atomic_rc_box_acquire (self);
}

/* Frees what the box holds; g_atomic_rc_box_release_full() frees the box. */
static void
cc_proxy_auth_result_clear (CcProxyAuthResult *self)
{
  g_free (self->message);
  g_hash_table_unref (self->values);
}

/**
 * cc_proxy_auth_result_unref:
 * @self: (transfer full): a result
 *
 * Drops a reference; the last one frees @self.
 */
void
cc_proxy_auth_result_unref (CcProxyAuthResult *self)
{
  g_atomic_rc_box_release_full (self, (GDestroyNotify) cc_proxy_auth_result_clear);
}

/**
 * cc_proxy_auth_result_set_value:
 * @self: a result
 * @key: one of the provider's setting keys
 * @value: the value to store
 *
 * Asks the core to store @value for the provider's setting @key; secret
 * settings go to the keyring.
 */
void
cc_proxy_auth_result_set_value (CcProxyAuthResult *self,
                                const char        *key,
                                const char        *value)
{
  g_hash_table_replace (self->values, g_strdup (key), g_strdup (value));
}

/**
 * cc_proxy_auth_result_set_activate:
 * @self: a result
 * @activate: whether to make the provider the active one
 *
 * Asks the core to make the provider the active one once the values are
 * stored.
 */
void
cc_proxy_auth_result_set_activate (CcProxyAuthResult *self,
                                   gboolean           activate)
{
  self->activate = !!activate;
}

/**
 * cc_proxy_auth_result_get_message:
 * @self: a result
 *
 * Gets the message for the person who started the flow.
 *
 * Returns: the message
 */
const char *
cc_proxy_auth_result_get_message (CcProxyAuthResult *self)
{
  return self->message;
}

/**
 * cc_proxy_auth_result_get_values:
 * @self: a result
 *
 * Gets the settings the flow asks the core to store.
 *
 * Returns: (transfer none) (element-type utf8 utf8): key → value to store
 */
GHashTable *
cc_proxy_auth_result_get_values (CcProxyAuthResult *self)
{
  return self->values;
}

/**
 * cc_proxy_auth_result_get_activate:
 * @self: a result
 *
 * Gets whether the flow asks to make its provider the active one.
 *
 * Returns: whether to activate the provider
 */
gboolean
cc_proxy_auth_result_get_activate (CcProxyAuthResult *self)
{
  return self->activate;
}
