/* cc-proxy-remote-auth-provider.c: login flows run in the host
 *
 * The flow runs where the module is; its prompt comes back as signals
 * and its result (what to store) as the call's answer, and cc-proxyd
 * stores it, as it alone talks to the keyring and GSettings.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "cc-proxy-host"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "cc-proxy-remote-auth-provider.h"

struct _CcProxyRemoteAuthProvider
{
  CcProxyRemoteProvider parent_instance;
  guint                 next_flow;
};

static void auth_iface_init (CcProxyAuthCapableInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (CcProxyRemoteAuthProvider, cc_proxy_remote_auth_provider, CC_PROXY_TYPE_REMOTE_PROVIDER,
                               G_IMPLEMENT_INTERFACE (CC_PROXY_TYPE_AUTH_CAPABLE, auth_iface_init))

typedef struct
{
  CcProxyProviderHost1 *control;
  CcProxyAuthPrompt    *prompt;
  guint                 flow;
  gboolean              force;
  gulong                prompt_id;
  gulong                cancelled_id;
} Flow;

static void
flow_free (Flow *flow)
{
  if (flow->control != NULL)
    g_clear_signal_handler (&flow->prompt_id, flow->control);
  g_clear_object (&flow->control);
  g_object_unref (flow->prompt);
  g_free (flow);
}

static void
on_prompt (CcProxyProviderHost1 *control,
           guint                 flow_id,
           const char           *verification_url,
           const char           *user_code,
           const char           *message,
           Flow                 *flow)
{
  if (flow_id == flow->flow)
    cc_proxy_auth_prompt_show (flow->prompt, verification_url, user_code, message);
}

static void
on_flow_cancelled (GCancellable *cancellable,
                   Flow         *flow)
{
  cc_proxy_provider_host1_call_cancel_auth_flow (flow->control, flow->flow, NULL, NULL, NULL);
}

static void
on_flow_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Flow *flow = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) values = NULL;
  g_autofree char *message = NULL;
  g_autoptr(CcProxyAuthResult) auth = NULL;
  gboolean activate = FALSE;
  GVariantIter iter;
  const char *key, *value;

  g_cancellable_disconnect (g_task_get_cancellable (task), flow->cancelled_id);
  if (!cc_proxy_provider_host1_call_run_auth_flow_finish (CC_PROXY_PROVIDER_HOST1 (source), &message, &values,
                                                          &activate, result, &error))
    {
      /* GDBus carries the host's GError domain and code across. */
      g_dbus_error_strip_remote_error (error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  auth = cc_proxy_auth_result_new (message);
  g_variant_iter_init (&iter, values);
  while (g_variant_iter_next (&iter, "{&s&s}", &key, &value))
    cc_proxy_auth_result_set_value (auth, key, value);
  cc_proxy_auth_result_set_activate (auth, activate);
  g_task_return_pointer (task, g_steal_pointer (&auth), (GDestroyNotify) cc_proxy_auth_result_unref);
}

static void
on_host_ready (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CcProxyRemoteAuthProvider *self = g_task_get_source_object (task);
  CcProxyHostProcess *host = CC_PROXY_HOST_PROCESS (source);
  GCancellable *cancellable = g_task_get_cancellable (task);
  Flow *flow = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!cc_proxy_host_process_wait_finish (host, result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  flow->control = g_object_ref (cc_proxy_host_process_get_control (host));
  flow->flow = ++self->next_flow;
  flow->prompt_id = g_signal_connect (flow->control, "auth-prompt", G_CALLBACK (on_prompt), flow);
  if (cancellable != NULL)
    flow->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (on_flow_cancelled), flow, NULL);

  /* Not cancelled by the cancellable: the host ends the flow on
   * CancelAuthFlow and answers, so that its result is the one seen. */
  cc_proxy_provider_host1_call_run_auth_flow (flow->control, flow->flow, flow->force, NULL, on_flow_done,
                                              g_steal_pointer (&task));
}

static void
run_auth_flow_async (CcProxyAuthCapable  *capable,
                     gboolean             force,
                     CcProxyAuthPrompt   *prompt,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  CcProxyHostProcess *host = cc_proxy_remote_provider_get_host (CC_PROXY_REMOTE_PROVIDER (capable));
  GTask *task = g_task_new (capable, cancellable, callback, user_data);
  Flow *flow = g_new0 (Flow, 1);

  g_task_set_source_tag (task, run_auth_flow_async);
  flow->prompt = g_object_ref (prompt);
  flow->force = force;
  g_task_set_task_data (task, flow, (GDestroyNotify) flow_free);
  /* A login asked for while the host starts waits for it. */
  cc_proxy_host_process_wait_async (host, cancellable, on_host_ready, task);
}

static CcProxyAuthResult *
run_auth_flow_finish (CcProxyAuthCapable  *capable,
                      GAsyncResult        *result,
                      GError             **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static GVariant *
provider_state (CcProxyAuthCapable *capable)
{
  return cc_proxy_host_process_get_provider_state (cc_proxy_remote_provider_get_host (CC_PROXY_REMOTE_PROVIDER (capable)));
}

/* The host's answer for @snapshot; until it has given one (settings
 * that changed a moment ago, a login just stored), what a provider that
 * does not say otherwise would answer. */
static gboolean
is_signed_in (CcProxyAuthCapable *capable,
              CcProxySnapshot    *snapshot)
{
  CcProxyHostProcess *host = cc_proxy_remote_provider_get_host (CC_PROXY_REMOTE_PROVIDER (capable));
  GVariant *state = provider_state (capable);
  gboolean signed_in = FALSE;

  if (state != NULL && cc_proxy_host_process_get_state_snapshot (host) == snapshot &&
      g_variant_lookup (state, "signed-in", "b", &signed_in))
    return signed_in;
  return cc_proxy_auth_capable_default_is_signed_in (capable, snapshot);
}

static char *
dup_attention (CcProxyAuthCapable *capable)
{
  GVariant *state = provider_state (capable);
  const char *attention = NULL;

  if (state == NULL || !g_variant_lookup (state, "attention", "&s", &attention) || attention[0] == '\0')
    return NULL;
  return g_strdup (attention);
}

static void
auth_iface_init (CcProxyAuthCapableInterface *iface)
{
  iface->run_auth_flow_async = run_auth_flow_async;
  iface->run_auth_flow_finish = run_auth_flow_finish;
  iface->is_signed_in = is_signed_in;
  iface->dup_attention = dup_attention;
}

static void
cc_proxy_remote_auth_provider_class_init (CcProxyRemoteAuthProviderClass *klass)
{
}

static void
cc_proxy_remote_auth_provider_init (CcProxyRemoteAuthProvider *self)
{
}
