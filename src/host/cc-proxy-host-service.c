/* cc-proxy-host-service.c: the provider host's side of its control
 * connection
 *
 * A subclass of the skeleton gdbus-codegen makes of
 * org.ccproxy.ProviderHost1 (src/host/org.ccproxy.ProviderHost1.xml):
 * it owns the loaded module's provider, the settings cc-proxyd sends, the
 * server that answers requests on the socket cc-proxyd handed over, and
 * the login flows in progress.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "cc-proxy-provider-host"

#include "config.h"

#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "cc-proxy-event-sink.h"
#include "cc-proxy-host-service.h"
#include "cc-proxy-module-info.h"
#include "cc-proxy-registry.h"
#include "cc-proxy-runtime.h"
#include "cc-proxy-server.h"

/* The daemon's deadline governs: it drops the request, and the client's
 * hang-up reaches the provider from here. */
#define HOST_DEADLINE_SECONDS (24 * 60 * 60)

struct _CcProxyHostService
{
  CcProxyProviderHost1Skeleton parent_instance;

  char             *provider_id;
  int               listen_fd;     /* where requests come, once there are settings */
  CcProxyRegistry  *registry;
  CcProxyProvider  *provider;
  char             *load_error;
  char             *confinement;   /* what the sandbox holds us to */
  CcProxyRuntime   *runtime;
  CcProxyEventSink *sink;
  CcProxyServer    *server;
  GHashTable       *flows;         /* flow id → GCancellable */
};

static void provider_host_iface_init (CcProxyProviderHost1Iface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (CcProxyHostService, cc_proxy_host_service, CC_PROXY_TYPE_PROVIDER_HOST1_SKELETON,
                               G_IMPLEMENT_INTERFACE (CC_PROXY_TYPE_PROVIDER_HOST1, provider_host_iface_init))

static GVariant *
provider_state (CcProxyHostService *self)
{
  g_auto(GVariantBuilder) state = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  g_auto(GVariantBuilder) environment = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a{ss}"));
  CcProxySnapshot *snapshot = cc_proxy_runtime_get_snapshot (self->runtime);
  g_autoptr(GHashTable) variables = cc_proxy_provider_dup_client_environment (self->provider, snapshot);

  if (variables != NULL)
    {
      GHashTableIter iter;
      gpointer name, value;

      g_hash_table_iter_init (&iter, variables);
      while (g_hash_table_iter_next (&iter, &name, &value))
        g_variant_builder_add (&environment, "{ss}", name, value);
    }
  g_variant_builder_add (&state, "{sv}", "environment", g_variant_builder_end (&environment));

  if (CC_PROXY_IS_AUTH_CAPABLE (self->provider))
    {
      CcProxyAuthCapable *capable = CC_PROXY_AUTH_CAPABLE (self->provider);
      g_autofree char *attention = cc_proxy_auth_capable_dup_attention (capable);

      g_variant_builder_add (&state, "{sv}", "signed-in",
                             g_variant_new_boolean (cc_proxy_auth_capable_is_signed_in (capable, snapshot)));
      g_variant_builder_add (&state, "{sv}", "attention", g_variant_new_string (attention ? attention : ""));
    }
  return g_variant_builder_end (&state);
}

static gboolean
refuse_before_loaded (CcProxyHostService    *self,
                      GDBusMethodInvocation *invocation)
{
  if (self->provider != NULL && self->runtime != NULL)
    return FALSE;
  g_dbus_method_invocation_return_error_literal (invocation, G_DBUS_ERROR, G_DBUS_ERROR_FAILED,
                                                 self->load_error ? self->load_error : "no settings yet");
  return TRUE;
}

static gboolean
handle_hello (CcProxyProviderHost1  *object,
              GDBusMethodInvocation *invocation)
{
  CcProxyHostService *self = CC_PROXY_HOST_SERVICE (object);

  if (self->provider == NULL)
    g_dbus_method_invocation_return_error_literal (invocation, G_DBUS_ERROR, G_DBUS_ERROR_FAILED, self->load_error);
  else
    {
      g_autofree char *descriptor = cc_proxy_module_info_to_key_file (self->provider);
      g_auto(GVariantBuilder) info = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

      /* The descriptor as its file has it: the daemon has one reader. */
      g_variant_builder_add (&info, "{sv}", "descriptor", g_variant_new_string (descriptor));
      g_variant_builder_add (&info, "{sv}", "confinement", g_variant_new_string (self->confinement));
      cc_proxy_provider_host1_complete_hello (object, invocation, g_variant_builder_end (&info));
    }
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_set_snapshot (CcProxyProviderHost1  *object,
                     GDBusMethodInvocation *invocation,
                     GVariant              *variant)
{
  CcProxyHostService *self = CC_PROXY_HOST_SERVICE (object);

  g_autoptr(CcProxySnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;

  if (self->provider == NULL)
    return refuse_before_loaded (self, invocation);

  /* The daemon sends this provider's part only, with this provider as
   * the active one (cc_proxy_snapshot_serialize()). */
  snapshot = cc_proxy_snapshot_deserialize (variant);
  if (!g_str_equal (cc_proxy_snapshot_get_active_provider (snapshot), self->provider_id))
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                             "a snapshot for provider %s, not %s",
                                             cc_proxy_snapshot_get_active_provider (snapshot), self->provider_id);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  if (self->runtime != NULL)
    cc_proxy_runtime_set_snapshot (self->runtime, snapshot);
  else
    {
      g_autoptr(GSocket) listener = NULL;

      /* Requests are taken from the first snapshot on, not before. */
      self->runtime = cc_proxy_runtime_new_detached (self->registry, snapshot);
      self->server = cc_proxy_server_new (self->registry, self->runtime, self->sink);
      cc_proxy_server_set_deadline (self->server, HOST_DEADLINE_SECONDS);
      listener = g_socket_new_from_fd (self->listen_fd, &error);
      /* Anyone on the machine can connect to an abstract socket: only
       * cc-proxyd, our parent, is served. */
      if (listener == NULL || !cc_proxy_server_listen_socket (self->server, listener, getppid (), &error))
        {
          g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_FAILED,
                                                 _("cannot serve requests: %s"), error->message);
          return G_DBUS_METHOD_INVOCATION_HANDLED;
        }
    }

  cc_proxy_provider_host1_complete_set_snapshot (object, invocation, provider_state (self));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_get_state (CcProxyProviderHost1  *object,
                  GDBusMethodInvocation *invocation)
{
  CcProxyHostService *self = CC_PROXY_HOST_SERVICE (object);

  if (!refuse_before_loaded (self, invocation))
    cc_proxy_provider_host1_complete_get_state (object, invocation, provider_state (self));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

typedef struct
{
  CcProxyHostService    *service;
  GDBusMethodInvocation *invocation;
  guint                  flow;
} Flow;

static void
on_prompt_shown (CcProxyAuthPrompt *prompt,
                 Flow              *flow)
{
  cc_proxy_provider_host1_emit_auth_prompt (CC_PROXY_PROVIDER_HOST1 (flow->service), flow->flow,
                                            cc_proxy_auth_prompt_get_verification_url (prompt),
                                            cc_proxy_auth_prompt_get_user_code (prompt),
                                            cc_proxy_auth_prompt_get_message (prompt)
                                              ? cc_proxy_auth_prompt_get_message (prompt) : "");
}

static void
on_flow_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Flow *flow = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CcProxyAuthResult) auth = NULL;
  g_auto(GVariantBuilder) values = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a{ss}"));

  g_hash_table_remove (flow->service->flows, GUINT_TO_POINTER (flow->flow));
  auth = cc_proxy_auth_capable_run_auth_flow_finish (CC_PROXY_AUTH_CAPABLE (source), result, &error);
  if (auth == NULL)
    g_dbus_method_invocation_return_gerror (flow->invocation, error);
  else
    {
      GHashTableIter iter;
      gpointer key, value;
      const char *message = cc_proxy_auth_result_get_message (auth);

      g_hash_table_iter_init (&iter, cc_proxy_auth_result_get_values (auth));
      while (g_hash_table_iter_next (&iter, &key, &value))
        g_variant_builder_add (&values, "{ss}", key, value);
      cc_proxy_provider_host1_complete_run_auth_flow (CC_PROXY_PROVIDER_HOST1 (flow->service), flow->invocation,
                                                      message ? message : "", g_variant_builder_end (&values),
                                                      cc_proxy_auth_result_get_activate (auth));
    }
  g_free (flow);
}

static gboolean
handle_run_auth_flow (CcProxyProviderHost1  *object,
                      GDBusMethodInvocation *invocation,
                      guint                  flow_id,
                      gboolean               force)
{
  CcProxyHostService *self = CC_PROXY_HOST_SERVICE (object);

  g_autoptr(CcProxyAuthPrompt) prompt = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Flow *flow;

  if (refuse_before_loaded (self, invocation))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  if (!CC_PROXY_IS_AUTH_CAPABLE (self->provider))
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_NOT_SUPPORTED,
                                             _("The %s provider has no login"), self->provider_id);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  flow = g_new0 (Flow, 1);
  flow->service = self;
  flow->invocation = invocation;
  flow->flow = flow_id;
  prompt = cc_proxy_auth_prompt_new (cc_proxy_runtime_get_snapshot (self->runtime));
  g_signal_connect (prompt, "shown", G_CALLBACK (on_prompt_shown), flow);
  g_hash_table_replace (self->flows, GUINT_TO_POINTER (flow_id), g_object_ref (cancellable));
  cc_proxy_auth_capable_run_auth_flow_async (CC_PROXY_AUTH_CAPABLE (self->provider), force, prompt, cancellable,
                                             on_flow_done, flow);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_cancel_auth_flow (CcProxyProviderHost1  *object,
                         GDBusMethodInvocation *invocation,
                         guint                  flow_id)
{
  CcProxyHostService *self = CC_PROXY_HOST_SERVICE (object);

  GCancellable *cancellable = g_hash_table_lookup (self->flows, GUINT_TO_POINTER (flow_id));

  if (cancellable != NULL)
    g_cancellable_cancel (cancellable);
  cc_proxy_provider_host1_complete_cancel_auth_flow (object, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
on_attention_changed (CcProxyProvider *provider,
                      CcProxyHostService *self)
{
  cc_proxy_provider_host1_emit_attention_changed (CC_PROXY_PROVIDER_HOST1 (self));
}

/**
 * cc_proxy_host_service_load:
 * @self: a service
 * @module_path: the provider module
 * @confinement: what the sandbox holds this process to, in words
 *
 * Loads the module and finds its provider; Hello answers with it, or
 * with why not, from now on.
 */
void
cc_proxy_host_service_load (CcProxyHostService *self,
                            const char         *module_path,
                            const char         *confinement)
{
  g_autofree char *dir = g_path_get_dirname (module_path);
  g_autofree char *name = g_path_get_basename (module_path);
  const char *why;

  g_return_if_fail (CC_PROXY_IS_HOST_SERVICE (self));
  g_return_if_fail (self->registry == NULL);

  self->confinement = g_strdup (confinement);

  self->registry = cc_proxy_registry_new ();
  cc_proxy_registry_load_module (self->registry, dir, name);
  why = g_hash_table_lookup (cc_proxy_registry_get_load_errors (self->registry), name);
  self->provider = cc_proxy_registry_lookup (self->registry, self->provider_id);
  if (self->provider != NULL && !g_str_equal (self->provider_id, CC_PROXY_BUILTIN_PROVIDER_ID))
    {
      g_object_ref (self->provider);
      if (CC_PROXY_IS_AUTH_CAPABLE (self->provider))
        g_signal_connect (self->provider, "attention-changed", G_CALLBACK (on_attention_changed), self);
      return;
    }
  self->provider = NULL;
  self->load_error = why != NULL ? g_strdup (why)
                                 : g_strdup_printf (_("the module registered no provider “%s”"), self->provider_id);
}

static void
cc_proxy_host_service_dispose (GObject *object)
{
  CcProxyHostService *self = (CcProxyHostService *) object;

  if (self->provider != NULL)
    g_signal_handlers_disconnect_by_data (self->provider, self);
  g_clear_object (&self->server);
  g_clear_object (&self->runtime);
  g_clear_object (&self->provider);
  g_clear_object (&self->registry);
  g_clear_object (&self->sink);
  g_clear_pointer (&self->flows, g_hash_table_unref);
  G_OBJECT_CLASS (cc_proxy_host_service_parent_class)->dispose (object);
}

static void
cc_proxy_host_service_finalize (GObject *object)
{
  CcProxyHostService *self = (CcProxyHostService *) object;

  g_free (self->provider_id);
  g_free (self->load_error);
  g_free (self->confinement);
  G_OBJECT_CLASS (cc_proxy_host_service_parent_class)->finalize (object);
}

static void
provider_host_iface_init (CcProxyProviderHost1Iface *iface)
{
  iface->handle_hello = handle_hello;
  iface->handle_set_snapshot = handle_set_snapshot;
  iface->handle_get_state = handle_get_state;
  iface->handle_run_auth_flow = handle_run_auth_flow;
  iface->handle_cancel_auth_flow = handle_cancel_auth_flow;
}

static void
cc_proxy_host_service_class_init (CcProxyHostServiceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cc_proxy_host_service_dispose;
  object_class->finalize = cc_proxy_host_service_finalize;
}

static void
cc_proxy_host_service_init (CcProxyHostService *self)
{
  self->listen_fd = -1;
  self->flows = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  self->sink = cc_proxy_event_sink_new ();
}

/**
 * cc_proxy_host_service_new:
 * @provider_id: the provider the module must register
 * @listen_fd: the listening socket requests come on (taken)
 *
 * Returns: (transfer full): a service to export on the control connection
 */
CcProxyHostService *
cc_proxy_host_service_new (const char *provider_id,
                           int         listen_fd)
{
  CcProxyHostService *self = g_object_new (CC_PROXY_TYPE_HOST_SERVICE, NULL);

  self->provider_id = g_strdup (provider_id);
  self->listen_fd = listen_fd;
  return self;
}
