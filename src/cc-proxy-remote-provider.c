/* cc-proxy-remote-provider.c: a provider whose module runs in a host
 *
 * What cc-proxyd holds for each plugin module in place of the module's
 * own provider: its descriptor (from the file beside the module) and
 * its host process. The descriptor's routes say which paths are the
 * provider's and which methods they take, as for a provider in
 * process; the rest cc-proxyd forwards itself, and they never enter the
 * module's process. Requests go to the host as they came, over HTTP on
 * the host's Unix socket, and its answer comes back through the same
 * relay as any upstream's, observed the same way.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "cc-proxy-host"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "cc-proxy-module-info.h"
#include "cc-proxy-relay.h"
#include "cc-proxy-remote-auth-provider.h"
#include "cc-proxy-remote-provider.h"

typedef struct
{
  CcProxyProviderDescriptor *descriptor;
  CcProxyHostProcess        *host;
  char                      *kind;        /* the module's provider id */
  gboolean                   auth_capable;
} CcProxyRemoteProviderPrivate;

static void provider_iface_init (CcProxyProviderInterface *iface);

G_DEFINE_TYPE_WITH_CODE (CcProxyRemoteProvider, cc_proxy_remote_provider, G_TYPE_OBJECT,
                         G_ADD_PRIVATE (CcProxyRemoteProvider)
                         G_IMPLEMENT_INTERFACE (CC_PROXY_TYPE_PROVIDER, provider_iface_init))

static CcProxyProviderDescriptor *
get_descriptor (CcProxyProvider *provider)
{
  CcProxyRemoteProviderPrivate *priv = cc_proxy_remote_provider_get_instance_private (CC_PROXY_REMOTE_PROVIDER (provider));

  return priv->descriptor;
}

/* The host parses and checks the body, as the provider in it expects:
 * parsing it here as well would cost every request a second parse. */
static gboolean
expects_json_body (CcProxyProvider *provider,
                   const char      *path)
{
  return FALSE;
}

static void
on_relayed (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  /* The relay answered the client whatever happened (a host gone
   * mid-answer is a 502, or an error event in a stream). */
  if (!cc_proxy_relay_forward_finish (result, &error))
    g_debug ("Relay from the host ended: %s", error->message);
  g_task_return_int (task, CC_PROXY_HANDLED);
}

static void
respond_unavailable (CcProxyRemoteProvider *self,
                     CcProxyRequestContext *context)
{
  CcProxyRemoteProviderPrivate *priv = cc_proxy_remote_provider_get_instance_private (self);
  g_autofree char *message = g_strdup_printf (_("The %s provider is not available: %s"),
                                              cc_proxy_provider_descriptor_get_id (priv->descriptor),
                                              cc_proxy_host_process_get_last_error (priv->host));

  cc_proxy_request_context_respond_error (context, SOUP_STATUS_BAD_GATEWAY, "api_error", message);
}

/* Starting or restarting hosts take it too: the request waits in the
 * listening socket's backlog, under the request deadline. */
static void
forward (GTask *task)
{
  CcProxyRemoteProviderPrivate *priv = cc_proxy_remote_provider_get_instance_private (g_task_get_source_object (task));

  cc_proxy_relay_forward_async (CC_PROXY_EXCHANGE_CONTEXT (g_task_get_task_data (task)),
                                cc_proxy_host_process_get_session (priv->host), "http://localhost",
                                g_task_get_cancellable (task), on_relayed, task);
}

static void
on_host_current (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GTask *task = user_data;

  if (cc_proxy_host_process_wait_finish (CC_PROXY_HOST_PROCESS (source), result, NULL))
    {
      forward (task);
      return;
    }
  respond_unavailable (g_task_get_source_object (task), g_task_get_task_data (task));
  g_task_return_int (task, CC_PROXY_HANDLED);
  g_object_unref (task);
}

static void
handle_request_async (CcProxyProvider       *provider,
                      CcProxyRequestContext *context,
                      GCancellable          *cancellable,
                      GAsyncReadyCallback    callback,
                      gpointer               user_data)
{
  CcProxyRemoteProviderPrivate *priv = cc_proxy_remote_provider_get_instance_private (CC_PROXY_REMOTE_PROVIDER (provider));
  GTask *task = g_task_new (provider, cancellable, callback, user_data);

  g_task_set_source_tag (task, handle_request_async);
  g_task_set_task_data (task, g_object_ref (context), g_object_unref);
  if (cc_proxy_host_process_get_state (priv->host) == CC_PROXY_HOST_STATE_BROKEN)
    {
      respond_unavailable (CC_PROXY_REMOTE_PROVIDER (provider), context);
      g_task_return_int (task, CC_PROXY_HANDLED);
      g_object_unref (task);
      return;
    }
  /* A host starting, restarting or taking new settings is waited for,
   * so that the request is answered, and as the settings say. */
  if (!cc_proxy_host_process_answers_current (priv->host))
    {
      cc_proxy_host_process_wait_async (priv->host, cancellable, on_host_current, task);
      return;
    }
  forward (task);
}

static CcProxyHandled
handle_request_finish (CcProxyProvider  *provider,
                       GAsyncResult     *result,
                       GError          **error)
{
  return (CcProxyHandled) g_task_propagate_int (G_TASK (result), error);
}

static GHashTable *
dup_client_environment (CcProxyProvider *provider,
                        CcProxySnapshot *snapshot)
{
  CcProxyRemoteProviderPrivate *priv = cc_proxy_remote_provider_get_instance_private (CC_PROXY_REMOTE_PROVIDER (provider));
  GVariant *state = cc_proxy_host_process_get_provider_state (priv->host);
  GHashTable *environment = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GVariantIter) iter = NULL;
  const char *name, *value;

  if (state != NULL && g_variant_lookup (state, "environment", "a{ss}", &iter))
    while (g_variant_iter_next (iter, "{&s&s}", &name, &value))
      g_hash_table_insert (environment, g_strdup (name), g_strdup (value));
  return environment;
}

static void
provider_iface_init (CcProxyProviderInterface *iface)
{
  iface->get_descriptor = get_descriptor;
  iface->expects_json_body = expects_json_body;
  iface->handle_request_async = handle_request_async;
  iface->handle_request_finish = handle_request_finish;
  iface->dup_client_environment = dup_client_environment;
}

static void
cc_proxy_remote_provider_dispose (GObject *object)
{
  CcProxyRemoteProviderPrivate *priv = cc_proxy_remote_provider_get_instance_private (CC_PROXY_REMOTE_PROVIDER (object));

  if (priv->host != NULL)
    cc_proxy_host_process_stop (priv->host);
  g_clear_object (&priv->host);
  G_OBJECT_CLASS (cc_proxy_remote_provider_parent_class)->dispose (object);
}

static void
cc_proxy_remote_provider_finalize (GObject *object)
{
  CcProxyRemoteProviderPrivate *priv = cc_proxy_remote_provider_get_instance_private (CC_PROXY_REMOTE_PROVIDER (object));

  g_clear_pointer (&priv->descriptor, cc_proxy_provider_descriptor_unref);
  g_free (priv->kind);
  G_OBJECT_CLASS (cc_proxy_remote_provider_parent_class)->finalize (object);
}

static void
cc_proxy_remote_provider_class_init (CcProxyRemoteProviderClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = cc_proxy_remote_provider_dispose;
  G_OBJECT_CLASS (klass)->finalize = cc_proxy_remote_provider_finalize;
}

static void
cc_proxy_remote_provider_init (CcProxyRemoteProvider *self)
{
}

static CcProxyProvider *
remote_provider_new (const char                 *program,
                     const char                 *module_path,
                     CcProxyProviderDescriptor  *descriptor,
                     CcProxyProviderDescriptor  *kind,
                     gboolean                    auth_capable,
                     GError                    **error)
{
  g_autoptr(CcProxyRemoteProvider) self = NULL;
  CcProxyRemoteProviderPrivate *priv;
  g_autofree char *signature = NULL;

  self = g_object_new (auth_capable ? CC_PROXY_TYPE_REMOTE_AUTH_PROVIDER : CC_PROXY_TYPE_REMOTE_PROVIDER, NULL);
  priv = cc_proxy_remote_provider_get_instance_private (self);
  priv->descriptor = cc_proxy_provider_descriptor_ref (descriptor);
  priv->kind = g_strdup (cc_proxy_provider_descriptor_get_id (kind));
  priv->auth_capable = auth_capable;
  /* The module is checked against its own descriptor, whoever it serves. */
  signature = cc_proxy_module_info_signature (kind, auth_capable);
  priv->host = cc_proxy_host_process_new (program, module_path, cc_proxy_provider_descriptor_get_id (descriptor),
                                          priv->kind, signature, error);
  if (priv->host == NULL)
    return NULL;
  if (auth_capable)
    g_signal_connect_object (priv->host, "attention-changed", G_CALLBACK (cc_proxy_auth_capable_attention_changed),
                             self, G_CONNECT_SWAPPED);
  return CC_PROXY_PROVIDER (g_steal_pointer (&self));
}

/**
 * cc_proxy_remote_provider_new:
 * @program: the cc-proxy-provider-host executable
 * @module_path: the module
 * @descriptor: the module's descriptor, from its descriptor file
 * @auth_capable: whether the module's provider signs in
 *
 * Returns: (transfer full): the provider, its host not started yet
 */
CcProxyProvider *
cc_proxy_remote_provider_new (const char                 *program,
                              const char                 *module_path,
                              CcProxyProviderDescriptor  *descriptor,
                              gboolean                    auth_capable,
                              GError                    **error)
{
  return remote_provider_new (program, module_path, descriptor, descriptor, auth_capable, error);
}

/**
 * cc_proxy_remote_provider_new_instance:
 * @kind: the provider of a module
 * @name: the instance's name
 *
 * Another instance of @kind's module: its own settings, keyring items
 * and host process, so that no instance's secrets or state reach
 * another's (docs/instances.md).
 *
 * Returns: (transfer full): the instance, its host not started yet
 */
CcProxyProvider *
cc_proxy_remote_provider_new_instance (CcProxyRemoteProvider  *kind,
                                       const char             *name,
                                       GError                **error)
{
  CcProxyRemoteProviderPrivate *priv = cc_proxy_remote_provider_get_instance_private (kind);
  g_autoptr(CcProxyProviderDescriptor) descriptor = cc_proxy_module_info_instance_descriptor (priv->descriptor, name);

  g_return_val_if_fail (cc_proxy_remote_provider_is_instance (kind) == FALSE, NULL);
  return remote_provider_new (cc_proxy_host_process_get_program (priv->host),
                              cc_proxy_host_process_get_module_path (priv->host),
                              descriptor, priv->descriptor, priv->auth_capable, error);
}

/**
 * cc_proxy_remote_provider_get_kind:
 *
 * Returns: the id of the module's provider: the provider's own id, or
 *   for an instance, its kind's
 */
const char *
cc_proxy_remote_provider_get_kind (CcProxyRemoteProvider *self)
{
  CcProxyRemoteProviderPrivate *priv = cc_proxy_remote_provider_get_instance_private (self);

  return priv->kind;
}

gboolean
cc_proxy_remote_provider_is_instance (CcProxyRemoteProvider *self)
{
  CcProxyRemoteProviderPrivate *priv = cc_proxy_remote_provider_get_instance_private (self);

  return !g_str_equal (priv->kind, cc_proxy_provider_descriptor_get_id (priv->descriptor));
}

/**
 * cc_proxy_remote_provider_get_host:
 *
 * Returns: (transfer none): the provider's host process
 */
CcProxyHostProcess *
cc_proxy_remote_provider_get_host (CcProxyRemoteProvider *self)
{
  CcProxyRemoteProviderPrivate *priv = cc_proxy_remote_provider_get_instance_private (self);

  return priv->host;
}
