/* main.c: cc-proxy-provider-host, one provider module out of the daemon
 *
 *   cc-proxy-provider-host --module FILE.so --provider-id ID
 *
 * Started by cc-proxyd only, with its control connection on descriptor 3
 * (peer-to-peer D-Bus, org.ccproxy.ProviderHost1) and the listening
 * socket to serve requests on at descriptor 4. It loads the module,
 * serves the provider's requests with the same server code as cc-proxyd,
 * and keeps no settings of its own: they arrive as snapshots. It exits
 * when the control connection closes, and dies with its parent.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "cc-proxy-provider-host"

#include "config.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "cc-proxy-host-control.h"
#include "cc-proxy-host-sandbox.h"
#include "cc-proxy-module-info.h"
#include "cc-proxy-event-sink.h"
#include "cc-proxy-event.h"
#include "cc-proxy-registry.h"
#include "cc-proxy-runtime.h"
#include "cc-proxy-server.h"

#define CONTROL_FD 3
#define LISTEN_FD 4
#define CONTROL_PATH "/org/ccproxy/ProviderHost"
/* The daemon's deadline governs: it drops the request, and the client's
 * hang-up reaches the provider from here. */
#define HOST_DEADLINE_SECONDS (24 * 60 * 60)

typedef struct
{
  char                 *provider_id;
  CcProxyRegistry      *registry;
  CcProxyProvider      *provider;
  char                 *load_error;
  char                 *confinement;  /* what the sandbox holds us to */
  CcProxyRuntime       *runtime;
  CcProxyEventSink     *sink;
  CcProxyServer        *server;
  CcProxyProviderHost1 *skeleton;
  GHashTable           *flows;   /* flow id → GCancellable */
  GMainLoop            *loop;
} Host;

static GVariant *
provider_state (Host *host)
{
  g_auto(GVariantBuilder) state = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  g_auto(GVariantBuilder) environment = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a{ss}"));
  CcProxySnapshot *snapshot = cc_proxy_runtime_get_snapshot (host->runtime);
  g_autoptr(GHashTable) variables = cc_proxy_provider_dup_client_environment (host->provider, snapshot);

  if (variables != NULL)
    {
      GHashTableIter iter;
      gpointer name, value;

      g_hash_table_iter_init (&iter, variables);
      while (g_hash_table_iter_next (&iter, &name, &value))
        g_variant_builder_add (&environment, "{ss}", name, value);
    }
  g_variant_builder_add (&state, "{sv}", "environment", g_variant_builder_end (&environment));

  if (CC_PROXY_IS_AUTH_CAPABLE (host->provider))
    {
      CcProxyAuthCapable *capable = CC_PROXY_AUTH_CAPABLE (host->provider);
      g_autofree char *attention = cc_proxy_auth_capable_dup_attention (capable);

      g_variant_builder_add (&state, "{sv}", "signed-in",
                             g_variant_new_boolean (cc_proxy_auth_capable_is_signed_in (capable, snapshot)));
      g_variant_builder_add (&state, "{sv}", "attention", g_variant_new_string (attention ? attention : ""));
    }
  return g_variant_builder_end (&state);
}

static gboolean
refuse_before_loaded (Host                  *host,
                      GDBusMethodInvocation *invocation)
{
  if (host->provider != NULL && host->runtime != NULL)
    return FALSE;
  g_dbus_method_invocation_return_error_literal (invocation, G_DBUS_ERROR, G_DBUS_ERROR_FAILED,
                                                 host->load_error ? host->load_error : "no settings yet");
  return TRUE;
}

static gboolean
on_hello (CcProxyProviderHost1  *skeleton,
          GDBusMethodInvocation *invocation,
          Host                  *host)
{
  if (host->provider == NULL)
    g_dbus_method_invocation_return_error_literal (invocation, G_DBUS_ERROR, G_DBUS_ERROR_FAILED, host->load_error);
  else
    {
      g_autoptr(GVariant) described = g_variant_ref_sink (cc_proxy_module_info_describe (host->provider));
      g_auto(GVariantBuilder) info = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
      GVariantIter iter;
      const char *key;
      GVariant *value;

      g_variant_iter_init (&iter, described);
      while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
        {
          g_variant_builder_add (&info, "{sv}", key, value);
          g_variant_unref (value);
        }
      g_variant_builder_add (&info, "{sv}", "confinement", g_variant_new_string (host->confinement));
      cc_proxy_provider_host1_complete_hello (skeleton, invocation, g_variant_builder_end (&info));
    }
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
on_set_snapshot (CcProxyProviderHost1  *skeleton,
                 GDBusMethodInvocation *invocation,
                 GVariant              *variant,
                 Host                  *host)
{
  g_autoptr(CcProxySnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;

  if (host->provider == NULL)
    return refuse_before_loaded (host, invocation);

  /* The daemon sends this provider's part only, with this provider as
   * the active one (cc_proxy_snapshot_serialize()). */
  snapshot = cc_proxy_snapshot_deserialize (variant);
  if (!g_str_equal (cc_proxy_snapshot_get_active_provider (snapshot), host->provider_id))
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                             "a snapshot for provider %s, not %s",
                                             cc_proxy_snapshot_get_active_provider (snapshot), host->provider_id);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  if (host->runtime != NULL)
    cc_proxy_runtime_set_snapshot (host->runtime, snapshot);
  else
    {
      g_autoptr(GSocket) listener = NULL;

      /* Requests are taken from the first snapshot on, not before. */
      host->runtime = cc_proxy_runtime_new_detached (host->registry, snapshot);
      host->server = cc_proxy_server_new (host->registry, host->runtime, host->sink);
      cc_proxy_server_set_deadline (host->server, HOST_DEADLINE_SECONDS);
      listener = g_socket_new_from_fd (LISTEN_FD, &error);
      /* Anyone on the machine can connect to an abstract socket: only
       * cc-proxyd, our parent, is served. */
      if (listener == NULL || !cc_proxy_server_listen_socket (host->server, listener, getppid (), &error))
        {
          g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_FAILED,
                                                 _("cannot serve requests: %s"), error->message);
          return G_DBUS_METHOD_INVOCATION_HANDLED;
        }
    }

  cc_proxy_provider_host1_complete_set_snapshot (skeleton, invocation, provider_state (host));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
on_get_state (CcProxyProviderHost1  *skeleton,
              GDBusMethodInvocation *invocation,
              Host                  *host)
{
  if (!refuse_before_loaded (host, invocation))
    cc_proxy_provider_host1_complete_get_state (skeleton, invocation, provider_state (host));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

typedef struct
{
  Host                  *host;
  GDBusMethodInvocation *invocation;
  guint                  flow;
} Flow;

static void
on_prompt_shown (CcProxyAuthPrompt *prompt,
                 Flow              *flow)
{
  cc_proxy_provider_host1_emit_auth_prompt (flow->host->skeleton, flow->flow,
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

  g_hash_table_remove (flow->host->flows, GUINT_TO_POINTER (flow->flow));
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
      cc_proxy_provider_host1_complete_run_auth_flow (flow->host->skeleton, flow->invocation,
                                                      message ? message : "", g_variant_builder_end (&values),
                                                      cc_proxy_auth_result_get_activate (auth));
    }
  g_free (flow);
}

static gboolean
on_run_auth_flow (CcProxyProviderHost1  *skeleton,
                  GDBusMethodInvocation *invocation,
                  guint                  flow_id,
                  gboolean               force,
                  Host                  *host)
{
  g_autoptr(CcProxyAuthPrompt) prompt = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Flow *flow;

  if (refuse_before_loaded (host, invocation))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  if (!CC_PROXY_IS_AUTH_CAPABLE (host->provider))
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_NOT_SUPPORTED,
                                             _("The %s provider has no login"), host->provider_id);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  flow = g_new0 (Flow, 1);
  flow->host = host;
  flow->invocation = invocation;
  flow->flow = flow_id;
  prompt = cc_proxy_auth_prompt_new (cc_proxy_runtime_get_snapshot (host->runtime));
  g_signal_connect (prompt, "shown", G_CALLBACK (on_prompt_shown), flow);
  g_hash_table_replace (host->flows, GUINT_TO_POINTER (flow_id), g_object_ref (cancellable));
  cc_proxy_auth_capable_run_auth_flow_async (CC_PROXY_AUTH_CAPABLE (host->provider), force, prompt, cancellable,
                                             on_flow_done, flow);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
on_cancel_auth_flow (CcProxyProviderHost1  *skeleton,
                     GDBusMethodInvocation *invocation,
                     guint                  flow_id,
                     Host                  *host)
{
  GCancellable *cancellable = g_hash_table_lookup (host->flows, GUINT_TO_POINTER (flow_id));

  if (cancellable != NULL)
    g_cancellable_cancel (cancellable);
  cc_proxy_provider_host1_complete_cancel_auth_flow (skeleton, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
on_attention_changed (CcProxyProvider *provider,
                      Host            *host)
{
  cc_proxy_provider_host1_emit_attention_changed (host->skeleton);
}

static void
load (Host       *host,
      const char *module_path)
{
  g_autofree char *dir = g_path_get_dirname (module_path);
  g_autofree char *name = g_path_get_basename (module_path);
  const char *why;

  host->registry = cc_proxy_registry_new ();
  cc_proxy_registry_load_module (host->registry, dir, name);
  why = g_hash_table_lookup (cc_proxy_registry_get_load_errors (host->registry), name);
  host->provider = cc_proxy_registry_lookup (host->registry, host->provider_id);
  if (host->provider != NULL && !g_str_equal (host->provider_id, CC_PROXY_BUILTIN_PROVIDER_ID))
    {
      g_object_ref (host->provider);
      if (CC_PROXY_IS_AUTH_CAPABLE (host->provider))
        g_signal_connect (host->provider, "attention-changed", G_CALLBACK (on_attention_changed), host);
      return;
    }
  host->provider = NULL;
  host->load_error = why != NULL ? g_strdup (why)
                                 : g_strdup_printf (_("the module registered no provider “%s”"), host->provider_id);
}

static void
on_closed (GDBusConnection *connection,
           gboolean         remote_peer_vanished,
           GError          *error,
           Host            *host)
{
  g_main_loop_quit (host->loop);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *module_path = NULL;
  g_autofree char *provider_id = NULL;
  const GOptionEntry entries[] = {
    { "module", 0, 0, G_OPTION_ARG_FILENAME, &module_path, N_("The provider module to load"), N_("FILE") },
    { "provider-id", 0, 0, G_OPTION_ARG_STRING, &provider_id, N_("The provider it must register"), N_("ID") },
    { NULL }
  };
  g_autoptr(GOptionContext) option_context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) control_socket = NULL;
  g_autoptr(GSocketConnection) stream = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  Host host = { 0 };

  /* A core dump, or another process of the user's reading our memory or
   * /proc/PID/environ, would hold the provider's secrets. */
  prctl (PR_SET_DUMPABLE, 0);
  cc_proxy_server_init_process ();

  option_context = g_option_context_new (NULL);
  g_option_context_set_summary (option_context,
                                _("Run one cc-proxy provider module for cc-proxyd. Started by cc-proxyd only."));
  g_option_context_add_main_entries (option_context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (option_context, &argc, &argv, &error) || module_path == NULL || provider_id == NULL)
    {
      g_printerr ("%s: %s\n", g_get_prgname (), error ? error->message : _("--module and --provider-id are required"));
      return 2;
    }
  /* Started by someone other than cc-proxyd, or cc-proxyd is gone already. */
  if (getppid () == 1 || fcntl (CONTROL_FD, F_GETFD) < 0 ||
      (control_socket = g_socket_new_from_fd (CONTROL_FD, &error)) == NULL)
    {
      g_printerr (_("%s: no control connection: this program is started by cc-proxyd\n"), g_get_prgname ());
      return 2;
    }

  stream = g_socket_connection_factory_create_connection (control_socket);
  /* Nothing is read before the object is there to answer. */
  connection = g_dbus_connection_new_sync (G_IO_STREAM (stream), NULL,
                                           G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                           G_DBUS_CONNECTION_FLAGS_DELAY_MESSAGE_PROCESSING,
                                           NULL, NULL, &error);
  if (connection == NULL)
    {
      g_printerr (_("%s: no control connection: %s\n"), g_get_prgname (), error->message);
      return 1;
    }

  host.provider_id = provider_id;
  host.loop = g_main_loop_new (NULL, FALSE);
  host.flows = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  host.sink = cc_proxy_event_sink_new ();
  host.skeleton = cc_proxy_provider_host1_skeleton_new ();
  g_signal_connect (host.skeleton, "handle-hello", G_CALLBACK (on_hello), &host);
  g_signal_connect (host.skeleton, "handle-set-snapshot", G_CALLBACK (on_set_snapshot), &host);
  g_signal_connect (host.skeleton, "handle-get-state", G_CALLBACK (on_get_state), &host);
  g_signal_connect (host.skeleton, "handle-run-auth-flow", G_CALLBACK (on_run_auth_flow), &host);
  g_signal_connect (host.skeleton, "handle-cancel-auth-flow", G_CALLBACK (on_cancel_auth_flow), &host);
  g_signal_connect (connection, "closed", G_CALLBACK (on_closed), &host);
  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (host.skeleton), connection, CONTROL_PATH, &error))
    {
      g_printerr ("%s: %s\n", g_get_prgname (), error->message);
      return 1;
    }

  g_dbus_connection_start_message_processing (connection);

  /* Confined before any of the module's code runs, for good. */
  host.confinement = cc_proxy_host_sandbox_confine (module_path);

  /* The module runs from here on: whatever it does, the daemon sees it
   * as a late, failed or missing answer to Hello. */
  load (&host, module_path);

  g_main_loop_run (host.loop);

  g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (host.skeleton));
  g_clear_object (&host.server);
  g_clear_object (&host.runtime);
  g_clear_object (&host.provider);
  g_clear_object (&host.registry);
  g_clear_object (&host.skeleton);
  g_clear_object (&host.sink);
  g_clear_pointer (&host.flows, g_hash_table_unref);
  g_clear_pointer (&host.loop, g_main_loop_unref);
  g_free (host.load_error);
  g_free (host.confinement);
  return 0;
}
