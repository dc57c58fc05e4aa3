/* cc-proxy-auth-prompt.c: what a login flow shows the person
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "cc-proxy.h"

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
 *
 * Creates the prompt a login flow shows its instructions through. The
 * core makes one per flow; a provider's tests may make their own.
 *
 * Returns: (transfer full): a new prompt
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
 * @self: a prompt
 *
 * Gets the settings the flow was started with.
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

/**
 * cc_proxy_auth_prompt_get_verification_url:
 * @self: a prompt
 *
 * Gets what the last cc_proxy_auth_prompt_show() gave: the address the person must open.
 *
 * Returns: (nullable): the address the person must open, or %NULL before the flow showed anything
 */
const char *
cc_proxy_auth_prompt_get_verification_url (CcProxyAuthPrompt *self)
{
  return self->verification_url;
}

/**
 * cc_proxy_auth_prompt_get_user_code:
 * @self: a prompt
 *
 * Gets what the last cc_proxy_auth_prompt_show() gave: the code the person must enter.
 *
 * Returns: (nullable): the code the person must enter, or %NULL before the flow showed anything
 */
const char *
cc_proxy_auth_prompt_get_user_code (CcProxyAuthPrompt *self)
{
  return self->user_code;
}

/**
 * cc_proxy_auth_prompt_get_message:
 * @self: a prompt
 *
 * Gets what the last cc_proxy_auth_prompt_show() gave: the text shown with them.
 *
 * Returns: (nullable): the text shown with them, or %NULL before the flow showed anything
 */
const char *
cc_proxy_auth_prompt_get_message (CcProxyAuthPrompt *self)
{
  return self->message;
}
