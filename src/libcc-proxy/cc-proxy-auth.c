/* cc-proxy-auth.c: login flows: the capability, its prompt and result
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "cc-proxy.h"

/* CcProxyAuthResult */

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

/* CcProxyAuthPrompt */

struct _CcProxyAuthPrompt
{
  GObject          parent_instance;
  CcProxySnapshot *snapshot;
  char            *verification_url;
  char            *user_code;
  char            *message;
};

G_DEFINE_FINAL_TYPE (CcProxyAuthPrompt, cc_proxy_auth_prompt, G_TYPE_OBJECT)

enum {
  SIGNAL_SHOWN,
  N_SIGNALS
};

static guint prompt_signals[N_SIGNALS];

static void
cc_proxy_auth_prompt_finalize (GObject *object)
{
  CcProxyAuthPrompt *self = (CcProxyAuthPrompt *) object;

  g_clear_pointer (&self->snapshot, cc_proxy_snapshot_unref);
  g_free (self->verification_url);
  g_free (self->user_code);
  g_free (self->message);
  G_OBJECT_CLASS (cc_proxy_auth_prompt_parent_class)->finalize (object);
}

static void
cc_proxy_auth_prompt_class_init (CcProxyAuthPromptClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cc_proxy_auth_prompt_finalize;

  /**
   * CcProxyAuthPrompt::shown:
   *
   * The flow has something for the person to do: read the verification
   * URL, user code and message now.
   */
  prompt_signals[SIGNAL_SHOWN] =
    g_signal_new ("shown", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
cc_proxy_auth_prompt_init (CcProxyAuthPrompt *self)
{
}

/**
 * cc_proxy_auth_prompt_new:
 * @snapshot: the settings the flow runs with (URLs, existing credentials)
 */
CcProxyAuthPrompt *
cc_proxy_auth_prompt_new (CcProxySnapshot *snapshot)
{
  CcProxyAuthPrompt *self = g_object_new (CC_PROXY_TYPE_AUTH_PROMPT, NULL);

  self->snapshot = cc_proxy_snapshot_ref (snapshot);
  return self;
}

/**
 * cc_proxy_auth_prompt_get_snapshot:
 *
 * Returns: (transfer none): the settings the flow runs with
 */
CcProxySnapshot *
cc_proxy_auth_prompt_get_snapshot (CcProxyAuthPrompt *self)
{
  return self->snapshot;
}

/**
 * cc_proxy_auth_prompt_show:
 * @self: a prompt
 * @verification_url: (nullable): where the person goes
 * @user_code: (nullable): what they type there
 * @message: (nullable): one sentence of instructions
 *
 * Shows the person what to do. Call it before waiting on them.
 */
void
cc_proxy_auth_prompt_show (CcProxyAuthPrompt *self,
                           const char        *verification_url,
                           const char        *user_code,
                           const char        *message)
{
  g_free (self->verification_url);
  g_free (self->user_code);
  g_free (self->message);
  self->verification_url = g_strdup (verification_url);
  self->user_code = g_strdup (user_code);
  self->message = g_strdup (message);
  g_signal_emit (self, prompt_signals[SIGNAL_SHOWN], 0);
}

const char *
cc_proxy_auth_prompt_get_verification_url (CcProxyAuthPrompt *self)
{
  return self->verification_url;
}

const char *
cc_proxy_auth_prompt_get_user_code (CcProxyAuthPrompt *self)
{
  return self->user_code;
}

const char *
cc_proxy_auth_prompt_get_message (CcProxyAuthPrompt *self)
{
  return self->message;
}

/* CcProxyAuthCapable */

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
  CcProxyProviderDescriptor *descriptor;
  const char *id;

  g_return_val_if_fail (CC_PROXY_IS_AUTH_CAPABLE (self), FALSE);

  iface = CC_PROXY_AUTH_CAPABLE_GET_IFACE (self);
  if (iface->is_signed_in != NULL)
    return iface->is_signed_in (self, snapshot);

  descriptor = cc_proxy_provider_get_descriptor (CC_PROXY_PROVIDER (self));
  id = cc_proxy_provider_descriptor_get_id (descriptor);
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
