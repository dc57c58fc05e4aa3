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

void
cc_proxy_auth_result_unref (CcProxyAuthResult *self)
{
  g_atomic_rc_box_release_full (self, (GDestroyNotify) cc_proxy_auth_result_clear);
}

/**
 * cc_proxy_auth_result_set_value:
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
 *
 * Asks the core to make the provider the active one.
 */
void
cc_proxy_auth_result_set_activate (CcProxyAuthResult *self,
                                   gboolean           activate)
{
  self->activate = !!activate;
}

const char *
cc_proxy_auth_result_get_message (CcProxyAuthResult *self)
{
  return self->message;
}

/**
 * cc_proxy_auth_result_get_values:
 *
 * Returns: (transfer none) (element-type utf8 utf8): key → value to store
 */
GHashTable *
cc_proxy_auth_result_get_values (CcProxyAuthResult *self)
{
  return self->values;
}

gboolean
cc_proxy_auth_result_get_activate (CcProxyAuthResult *self)
{
  return self->activate;
}
