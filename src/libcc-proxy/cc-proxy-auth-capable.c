/* cc-proxy-auth-capable.c: the optional login capability of a provider
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "cc-proxy.h"

G_DEFINE_INTERFACE (CcProxyAuthCapable, cc_proxy_auth_capable, CC_PROXY_TYPE_PROVIDER)

static void
cc_proxy_auth_capable_default_init (CcProxyAuthCapableInterface *iface)
{
  /**
   * CcProxyAuthCapable::attention-changed:
   * @self: the provider
   *
   * What cc_proxy_auth_capable_dup_attention() says has changed: the
   * provider needs the person to sign in again, or no longer does. The
   * core shows it on the bus, in `cc-proxyctl status` and as a desktop
   * notification with a "Sign in" action.
   */
  g_signal_new ("attention-changed", G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST,
                0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

/**
 * cc_proxy_auth_capable_run_auth_flow_async:
 * @self: a provider that can log in
 * @force: run the flow even when a credential is already stored
 * @prompt: where to show what the person must do (address, code) before
 *   waiting on them
 * @cancellable: (nullable): cancels the flow (the person gave up, or the
 *   caller left)
 * @callback: called when the flow is over
 * @user_data: closure for @callback
 *
 * Starts the provider's login flow. The core calls it for `Authenticate()`
 * on the bus; the result's values are stored (secrets in the keyring).
 */
void
cc_proxy_auth_capable_run_auth_flow_async (CcProxyAuthCapable  *self,
                                           gboolean             force,
                                           CcProxyAuthPrompt   *prompt,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  g_return_if_fail (CC_PROXY_IS_AUTH_CAPABLE (self));
  g_return_if_fail (CC_PROXY_IS_AUTH_PROMPT (prompt));

  CC_PROXY_AUTH_CAPABLE_GET_IFACE (self)->run_auth_flow_async (self, force, prompt, cancellable, callback, user_data);
}

/**
 * cc_proxy_auth_capable_run_auth_flow_finish:
 * @self: a provider that can log in
 * @result: the result given to the callback
 * @error: return location for an error
 *
 * Finishes cc_proxy_auth_capable_run_auth_flow_async().
 *
 * Returns: (transfer full) (nullable): the result, or %NULL with @error
 */
CcProxyAuthResult *
cc_proxy_auth_capable_run_auth_flow_finish (CcProxyAuthCapable  *self,
                                            GAsyncResult        *result,
                                            GError             **error)
{
  g_return_val_if_fail (CC_PROXY_IS_AUTH_CAPABLE (self), NULL);

  return CC_PROXY_AUTH_CAPABLE_GET_IFACE (self)->run_auth_flow_finish (self, result, error);
}

/**
 * cc_proxy_auth_capable_is_signed_in:
 * @self: a provider that can sign in
 * @snapshot: the settings in use
 *
 * Whether the provider holds what its login gets. Optional vfunc; without
 * it, whether any of the provider's secret settings has a value.
 *
 * Returns: %TRUE when signed in
 */
gboolean
cc_proxy_auth_capable_is_signed_in (CcProxyAuthCapable *self,
                                    CcProxySnapshot    *snapshot)
{
  CcProxyAuthCapableInterface *iface;

  g_return_val_if_fail (CC_PROXY_IS_AUTH_CAPABLE (self), FALSE);

  iface = CC_PROXY_AUTH_CAPABLE_GET_IFACE (self);
  if (iface->is_signed_in != NULL)
    return iface->is_signed_in (self, snapshot);

  return cc_proxy_auth_capable_default_is_signed_in (self, snapshot);
}

/**
 * cc_proxy_auth_capable_default_is_signed_in:
 * @self: a provider that can sign in
 * @snapshot: the settings to judge by
 *
 * What cc_proxy_auth_capable_is_signed_in() answers for a provider
 * without an is_signed_in() vfunc: whether a secret setting of the
 * provider has a value. For an implementation that refines it.
 *
 * Returns: whether a secret setting is set
 */
gboolean
cc_proxy_auth_capable_default_is_signed_in (CcProxyAuthCapable *self,
                                            CcProxySnapshot    *snapshot)
{
  CcProxyProviderDescriptor *descriptor = cc_proxy_provider_get_descriptor (CC_PROXY_PROVIDER (self));
  const char *id = cc_proxy_provider_descriptor_get_id (descriptor);

  for (guint i = 0; i < cc_proxy_provider_descriptor_get_n_settings (descriptor); i++)
    {
      CcProxySettingDescriptor *setting = cc_proxy_provider_descriptor_get_setting (descriptor, i);
      const char *value = cc_proxy_snapshot_get_value (snapshot, id, cc_proxy_setting_descriptor_get_key (setting));

      if (cc_proxy_setting_descriptor_is_secret (setting) && value != NULL && value[0] != '\0')
        return TRUE;
    }
  return FALSE;
}

/**
 * cc_proxy_auth_capable_dup_attention:
 * @self: a provider that can sign in
 *
 * Optional vfunc: why the person must sign in again (the upstream
 * refused the login: revoked, expired), or %NULL when all is well.
 *
 * Returns: (transfer full) (nullable): the reason, for a person
 */
char *
cc_proxy_auth_capable_dup_attention (CcProxyAuthCapable *self)
{
  CcProxyAuthCapableInterface *iface;

  g_return_val_if_fail (CC_PROXY_IS_AUTH_CAPABLE (self), NULL);

  iface = CC_PROXY_AUTH_CAPABLE_GET_IFACE (self);
  return iface->dup_attention != NULL ? iface->dup_attention (self) : NULL;
}

/**
 * cc_proxy_auth_capable_attention_changed:
 * @self: a provider that can sign in
 *
 * For providers: emits #CcProxyAuthCapable::attention-changed after what
 * dup_attention() says has changed.
 */
void
cc_proxy_auth_capable_attention_changed (CcProxyAuthCapable *self)
{
  g_return_if_fail (CC_PROXY_IS_AUTH_CAPABLE (self));

  g_signal_emit_by_name (self, "attention-changed");
}
