/* cc-proxy-dbus-service.c: the control interface on the session bus
 *
 * The interfaces are described in data/org.ccproxy.Proxy1.xml; the
 * build turns that into interface info, and this file answers for it
 * with vtables of its own, so that writing a property can fail with a
 * named error (generated skeletons accept any write).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "cc-proxy-dbus"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "cc-proxy-dbus-interface.h"
#include "cc-proxy-dbus-resources.h"
#include "cc-proxy-schema.h"
#include "cc-proxy-dbus-service.h"
#include "cc-proxy-remote-provider.h"

struct _CcProxyDBusService
{
  GObject          parent_instance;

  CcProxyRuntime  *runtime;
  CcProxyServer   *server;
  CcProxyEventSink *sink;
  CcProxyLogRing   *log;
  char             *last_error;   /* the last failed request, for status */
  char             *start_error;  /* why it serves no HTTP, or NULL */
  GHashTable       *notifications;  /* desktop notification id → provider id */
  GHashTable       *exported;       /* ids of the providers on the bus */
  guint             action_id;      /* ActionInvoked subscription */
  CcProxyCaptureLog *capture;
  gulong           event_id;
  GDBusConnection *connection;
  GDBusNodeInfo   *introspection;  /* the interfaces, documented */
  CcProxyDBusInterface *main_interface;
  GDBusObjectManagerServer *manager;  /* providers and login flows */
  GHashTable      *last_values;    /* object path → last sent Values */
  char            *last_active;
  char            *last_note;
  gulong           changed_id;
  GHashTable      *flows;          /* object path → AuthFlow */
  guint            next_flow;
};

/* One login in progress, exported as org.ccproxy.Proxy1.AuthFlow. */
typedef struct
{
  CcProxyDBusService *service;   /* NULL once the service is gone */
  char               *path;
  char               *owner;     /* the caller's unique name; NULL for the service's own */
  guint               owner_watch;
  gboolean            owner_gone;
  char               *provider_id;
  CcProxyAuthPrompt  *prompt;
  GCancellable       *cancellable;
  const char         *state;     /* static string */
  char               *message;
  guint               expire_id;
  guint               pending;   /* settings still being stored */
  GError             *store_error;
  gboolean            session_only;  /* the keyring could not take the login */
  gboolean            notify;        /* started from a notification: tell it there */
  gboolean            activate;
} AuthFlow;

/* How long a finished flow stays readable on the bus. */
#define FLOW_EXPIRY_SECONDS 300

G_DEFINE_FINAL_TYPE (CcProxyDBusService, cc_proxy_dbus_service, G_TYPE_OBJECT)

static const GDBusErrorEntry dbus_error_entries[] = {
  { CC_PROXY_DBUS_ERROR_FAILED, "org.ccproxy.Proxy1.Error.Failed" },
  { CC_PROXY_DBUS_ERROR_UNKNOWN_PROVIDER, "org.ccproxy.Proxy1.Error.UnknownProvider" },
  { CC_PROXY_DBUS_ERROR_UNKNOWN_SETTING, "org.ccproxy.Proxy1.Error.UnknownSetting" },
  { CC_PROXY_DBUS_ERROR_INVALID_VALUE, "org.ccproxy.Proxy1.Error.InvalidValue" },
  { CC_PROXY_DBUS_ERROR_KEYRING_UNAVAILABLE, "org.ccproxy.Proxy1.Error.KeyringUnavailable" },
  { CC_PROXY_DBUS_ERROR_AUTH_FAILED, "org.ccproxy.Proxy1.Error.AuthFailed" },
};

GQuark
cc_proxy_dbus_error_quark (void)
{
  static gsize quark = 0;

  g_dbus_error_register_error_domain ("cc-proxy-dbus-error-quark", &quark,
                                      dbus_error_entries, G_N_ELEMENTS (dbus_error_entries));
  return (GQuark) quark;
}

/* Runtime errors, as the bus names them. */
static GError *
to_dbus_error (const GError *error)
{
  CcProxyDBusError code = CC_PROXY_DBUS_ERROR_FAILED;

  if (error->domain == CC_PROXY_SETTINGS_ERROR)
    {
      switch ((CcProxySettingsError) error->code)
        {
        case CC_PROXY_SETTINGS_ERROR_UNKNOWN_PROVIDER:
          code = CC_PROXY_DBUS_ERROR_UNKNOWN_PROVIDER;
          break;
        case CC_PROXY_SETTINGS_ERROR_UNKNOWN_SETTING:
          code = CC_PROXY_DBUS_ERROR_UNKNOWN_SETTING;
          break;
        case CC_PROXY_SETTINGS_ERROR_KEYRING_UNAVAILABLE:
          code = CC_PROXY_DBUS_ERROR_KEYRING_UNAVAILABLE;
          break;
        case CC_PROXY_SETTINGS_ERROR_INVALID_VALUE:
        default:
          code = CC_PROXY_DBUS_ERROR_INVALID_VALUE;
          break;
        }
    }
  return g_error_new_literal (CC_PROXY_DBUS_ERROR, code, error->message);
}

char *
cc_proxy_dbus_provider_path (const char *provider_id)
{
  /* Object path elements take [A-Za-z0-9_]; provider ids also have '-'. */
  g_autofree char *element = g_strdelimit (g_strdup (provider_id), "-", '_');

  return g_strconcat (CC_PROXY_DBUS_PATH "/providers/", element, NULL);
}

/* ----- org.ccproxy.Proxy1 ----- */

static CcProxySnapshot *
snapshot (CcProxyDBusService *self)
{
  return cc_proxy_runtime_get_snapshot (self->runtime);
}

static int
compare_names (gconstpointer a,
               gconstpointer b,
               gpointer      user_data)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static GVariant *
capture_property (CcProxyDBusService *self,
                  const char         *name)
{
  guint64 written = 0, dropped = 0;

  if (g_str_equal (name, "CaptureDirectory"))
    return g_variant_new_string (self->capture ? cc_proxy_capture_log_get_directory (self->capture) : "");
  if (g_str_equal (name, "CaptureEnabled"))
    return g_variant_new_boolean (self->capture && cc_proxy_capture_log_get_enabled (self->capture));
  if (g_str_equal (name, "CaptureError"))
    {
      g_autofree char *error = self->capture ? cc_proxy_capture_log_dup_error (self->capture) : NULL;

      return g_variant_new_string (error ? error : "");
    }
  if (self->capture != NULL)
    cc_proxy_capture_log_get_counters (self->capture, &written, &dropped);
  return g_variant_new_uint64 (g_str_equal (name, "CaptureLinesWritten") ? written : dropped);
}

/* The ids of the loaded providers, in load order. */
static GVariant *
provider_hosts_variant (CcProxyRegistry *registry)
{
  GPtrArray *providers = cc_proxy_registry_get_providers (registry);
  g_auto(GVariantBuilder) hosts = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a{sa{sv}}"));

  for (guint i = 0; i < providers->len; i++)
    {
      CcProxyProvider *provider = g_ptr_array_index (providers, i);
      CcProxyHostProcess *host;
      g_auto(GVariantBuilder) state = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
      const char *last_error;

      if (!CC_PROXY_IS_REMOTE_PROVIDER (provider))
        continue;
      host = cc_proxy_remote_provider_get_host (CC_PROXY_REMOTE_PROVIDER (provider));
      last_error = cc_proxy_host_process_get_last_error (host);
      g_variant_builder_add (&state, "{sv}", "State", g_variant_new_string (cc_proxy_host_process_get_state_name (host)));
      g_variant_builder_add (&state, "{sv}", "Pid", g_variant_new_uint32 (cc_proxy_host_process_get_pid (host)));
      g_variant_builder_add (&state, "{sv}", "Restarts", g_variant_new_uint32 (cc_proxy_host_process_get_restarts (host)));
      g_variant_builder_add (&state, "{sv}", "LastError", g_variant_new_string (last_error ? last_error : ""));
      g_variant_builder_add (&hosts, "{sa{sv}}", cc_proxy_provider_get_id (provider), &state);
    }
  return g_variant_builder_end (&hosts);
}

static GVariant *
providers_variant (CcProxyRegistry *registry)
{
  GPtrArray *providers = cc_proxy_registry_get_providers (registry);
  g_autoptr(GVariantBuilder) builder = g_variant_builder_new (G_VARIANT_TYPE_STRING_ARRAY);

  for (guint i = 0; i < providers->len; i++)
    g_variant_builder_add (builder, "s", cc_proxy_provider_get_id (g_ptr_array_index (providers, i)));
  return g_variant_ref_sink (g_variant_builder_end (builder));
}

static GVariant *
main_get_property (GDBusConnection  *connection,
                   const char       *sender,
                   const char       *object_path,
                   const char       *interface_name,
                   const char       *property_name,
                   GError          **error,
                   gpointer          user_data)
{
  CcProxyDBusService *self = user_data;
  CcProxyRegistry *registry = cc_proxy_runtime_get_registry (self->runtime);
  guint64 total, failed, upstream;
  guint active;

  cc_proxy_server_get_counters (self->server, &total, &active, &failed, &upstream);

  if (g_str_equal (property_name, "Version"))
    return g_variant_new_string (PACKAGE_VERSION);
  if (g_str_equal (property_name, "ListenAddress"))
    return g_variant_new_string (cc_proxy_server_get_url (self->server) ? cc_proxy_server_get_url (self->server) : "");
  if (g_str_equal (property_name, "ActiveProvider"))
    return g_variant_new_string (cc_proxy_snapshot_get_active_provider (snapshot (self)));
  if (g_str_equal (property_name, "ActiveProviderNote"))
    {
      const char *note = cc_proxy_runtime_get_fallback_note (self->runtime);

      return g_variant_new_string (note ? note : "");
    }
  if (g_str_equal (property_name, "Providers"))
    return providers_variant (registry);
  if (g_str_equal (property_name, "PluginLoadErrors"))
    {
      GHashTable *errors = cc_proxy_registry_get_load_errors (registry);
      g_autoptr(GVariantBuilder) builder = g_variant_builder_new (G_VARIANT_TYPE ("a{ss}"));
      g_autofree const char **modules = (const char **) g_hash_table_get_keys_as_array (errors, NULL);

      /* Sorted, so that people and tests see one order. */
      g_qsort_with_data (modules, g_hash_table_size (errors), sizeof (char *), compare_names, NULL);
      for (guint i = 0; modules[i] != NULL; i++)
        g_variant_builder_add (builder, "{ss}", modules[i], g_hash_table_lookup (errors, modules[i]));
      return g_variant_builder_end (builder);
    }
  if (g_str_equal (property_name, "ProviderHosts"))
    return provider_hosts_variant (registry);
  if (g_str_equal (property_name, "RequestsTotal"))
    return g_variant_new_uint64 (total);
  if (g_str_equal (property_name, "RequestsActive"))
    return g_variant_new_uint32 (active);
  if (g_str_equal (property_name, "RequestsFailed"))
    return g_variant_new_uint64 (failed);
  if (g_str_equal (property_name, "UpstreamConnections"))
    return g_variant_new_uint64 (upstream);
  if (g_str_equal (property_name, "StartError"))
    return g_variant_new_string (self->start_error ? self->start_error : "");
  if (g_str_equal (property_name, "LastError"))
    return g_variant_new_string (self->last_error ? self->last_error : "");
  if (g_str_has_prefix (property_name, "Capture"))
    return capture_property (self, property_name);

  g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY, _("No property %s"), property_name);
  return NULL;
}

static gboolean
main_set_property (GDBusConnection  *connection,
                   const char       *sender,
                   const char       *object_path,
                   const char       *interface_name,
                   const char       *property_name,
                   GVariant         *value,
                   GError          **error,
                   gpointer          user_data)
{
  CcProxyDBusService *self = user_data;
  g_autoptr(GError) local_error = NULL;

  /* The XML makes ActiveProvider the only writable property. */
  if (!cc_proxy_settings_set_active_provider (cc_proxy_runtime_get_settings (self->runtime), g_variant_get_string (value, NULL), &local_error))
    {
      g_propagate_error (error, to_dbus_error (local_error));
      return FALSE;
    }
  return TRUE;
}

static void reload (CcProxyDBusService *self);

/* A value the client sends as its API key when the provider signs in
 * upstream by itself: Claude Code wants one before it starts. */
#define PLACEHOLDER_AUTH_TOKEN "cc-proxy"

static GVariant *
client_environment (CcProxyDBusService *self)
{
  CcProxySnapshot *snap = snapshot (self);
  CcProxyProvider *provider = cc_proxy_registry_lookup (cc_proxy_runtime_get_registry (self->runtime),
                                                        cc_proxy_snapshot_get_active_provider (snap));
  g_autoptr(GHashTable) environment = NULL;
  g_autoptr(GVariantBuilder) builder = g_variant_builder_new (G_VARIANT_TYPE ("a{ss}"));
  GHashTableIter iter;
  gpointer name, value;

  environment = provider != NULL ? cc_proxy_provider_dup_client_environment (provider, snap)
                                 : g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (provider != NULL && CC_PROXY_IS_AUTH_CAPABLE (provider))
    g_hash_table_replace (environment, g_strdup ("ANTHROPIC_AUTH_TOKEN"), g_strdup (PLACEHOLDER_AUTH_TOKEN));
  g_hash_table_replace (environment, g_strdup ("ANTHROPIC_BASE_URL"),
                        g_strdup (cc_proxy_server_get_url (self->server) ? cc_proxy_server_get_url (self->server) : ""));
  g_hash_table_iter_init (&iter, environment);
  while (g_hash_table_iter_next (&iter, &name, &value))
    g_variant_builder_add (builder, "{ss}", name, value);
  return g_variant_new ("(a{ss})", builder);
}

static void
on_environment_refreshed (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  GDBusMethodInvocation *invocation = user_data;

  cc_proxy_host_process_refresh_finish (CC_PROXY_HOST_PROCESS (source), result);
  g_dbus_method_invocation_return_value (invocation,
                                         client_environment (g_object_get_data (G_OBJECT (invocation), "service")));
}

static void
main_method_call (GDBusConnection       *connection,
                  const char            *sender,
                  const char            *object_path,
                  const char            *interface_name,
                  const char            *method_name,
                  GVariant              *parameters,
                  GDBusMethodInvocation *invocation,
                  gpointer               user_data)
{
  CcProxyDBusService *self = user_data;

  if (g_str_equal (method_name, "GetClientEnvironment"))
    {
      CcProxyProvider *provider = cc_proxy_registry_lookup (cc_proxy_runtime_get_registry (self->runtime),
                                                            cc_proxy_snapshot_get_active_provider (snapshot (self)));

      /* A hosted provider's answer is fetched from its host first. */
      if (provider != NULL && CC_PROXY_IS_REMOTE_PROVIDER (provider))
        {
          g_object_set_data_full (G_OBJECT (invocation), "service", g_object_ref (self), g_object_unref);
          cc_proxy_host_process_refresh_async (cc_proxy_remote_provider_get_host (CC_PROXY_REMOTE_PROVIDER (provider)),
                                               on_environment_refreshed, invocation);
          return;
        }
      g_dbus_method_invocation_return_value (invocation, client_environment (self));
      return;
    }
  if (g_str_equal (method_name, "GetRecentLog"))
    {
      g_auto(GStrv) lines = self->log != NULL ? cc_proxy_log_ring_dup_lines (self->log) : g_new0 (char *, 1);

      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(^as)", lines));
      return;
    }
  reload (self);
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static const GDBusInterfaceVTable main_vtable = {
  main_method_call, main_get_property, main_set_property, { NULL }
};

static void
emit_changed_to (CcProxyDBusService *self,
                 const char         *destination,
                 const char         *path,
                 const char         *interface,
                 GVariantBuilder    *changed)
{
  g_dbus_connection_emit_signal (self->connection, destination, path, "org.freedesktop.DBus.Properties",
                                 "PropertiesChanged",
                                 g_variant_new ("(sa{sv}as)", interface, changed, NULL), NULL);
}

static GDBusInterfaceInfo *
interface_info (CcProxyDBusService *self,
                const char         *name)
{
  return g_dbus_node_info_lookup_interface (self->introspection, name);
}

static void
emit_changed (CcProxyDBusService *self,
              const char         *path,
              const char         *interface,
              GVariantBuilder    *changed)
{
  emit_changed_to (self, NULL, path, interface, changed);
}

/* ----- desktop notifications (org.freedesktop.Notifications) ----- */

#define NOTIFICATIONS_NAME "org.freedesktop.Notifications"
#define NOTIFICATIONS_PATH "/org/freedesktop/Notifications"
#define SIGN_IN_ACTION "sign-in"

typedef struct
{
  CcProxyDBusService *service;  /* weak */
  char               *provider_id;
} Notified;

static Notified *
notified_new (CcProxyDBusService *service,
              const char         *provider_id)
{
  Notified *notified = g_new0 (Notified, 1);

  g_set_weak_pointer (&notified->service, service);
  notified->provider_id = g_strdup (provider_id);
  return notified;
}

static void
notified_free (Notified *notified)
{
  g_clear_weak_pointer (&notified->service);
  g_free (notified->provider_id);
  g_free (notified);
}

static void
on_notified (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Notified *notified = user_data;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, NULL);
  guint32 id;

  if (reply != NULL && notified->service != NULL)
    {
      g_variant_get (reply, "(u)", &id);
      g_hash_table_replace (notified->service->notifications, GUINT_TO_POINTER (id), g_strdup (notified->provider_id));
    }
  notified_free (notified);
}

/* Tells the person on the desktop, when a notification server is on the
 * bus (none on a headless one: nothing happens, status still says it). */
static void
notify_desktop (CcProxyDBusService *self,
                const char         *provider_id,
                const char         *summary,
                const char         *body,
                gboolean            sign_in)
{
  g_autoptr(GVariantBuilder) actions = g_variant_builder_new (G_VARIANT_TYPE_STRING_ARRAY);
  g_autoptr(GVariantBuilder) hints = g_variant_builder_new (G_VARIANT_TYPE_VARDICT);
  Notified *notified;

  if (self->connection == NULL)
    return;
  if (sign_in)
    {
      /* "default" is a click on the notification itself. */
      g_variant_builder_add (actions, "s", "default");
      g_variant_builder_add (actions, "s", _("Sign in"));
      g_variant_builder_add (actions, "s", SIGN_IN_ACTION);
      g_variant_builder_add (actions, "s", _("Sign in"));
    }
  g_variant_builder_add (hints, "{sv}", "urgency", g_variant_new_byte (sign_in ? 1 : 0));
  notified = notified_new (self, provider_id);
  g_dbus_connection_call (self->connection, NOTIFICATIONS_NAME, NOTIFICATIONS_PATH, NOTIFICATIONS_NAME, "Notify",
                          g_variant_new ("(susssasa{sv}i)", "cc-proxy", 0, "dialog-password-symbolic", summary,
                                         body, actions, hints, -1),
                          G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, on_notified, notified);
}

/* The sign-in address, in the desktop's browser (the OpenURI portal). */
static void
open_in_browser (CcProxyDBusService *self,
                 const char         *url)
{
  g_autoptr(GVariantBuilder) options = g_variant_builder_new (G_VARIANT_TYPE_VARDICT);

  if (self->connection == NULL || url == NULL || url[0] == '\0')
    return;
  g_dbus_connection_call (self->connection, "org.freedesktop.portal.Desktop", "/org/freedesktop/portal/desktop",
                          "org.freedesktop.portal.OpenURI", "OpenURI", g_variant_new ("(ssa{sv})", "", url, options),
                          NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, NULL, NULL);
}

static AuthFlow *start_flow (CcProxyDBusService *self,
                             CcProxyProvider    *provider,
                             const char         *owner,
                             gboolean            force,
                             gboolean            notify);

/* The notification's actions open cc-proxy-panel, when it is installed
 * (D-Bus activatable as org.ccproxy.Panel): a click shows the provider,
 * "Sign in" runs its login there. */
#define PANEL_NAME "org.ccproxy.Panel"
#define PANEL_PATH "/org/ccproxy/Panel"

/* No panel (or it failed): the login starts here, and its code comes
 * back as a notification of its own. */
static void
on_panel_opened (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Notified *notified = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  CcProxyProvider *provider;

  if (reply == NULL && notified->service != NULL)
    {
      g_debug ("cc-proxy-panel not opened (%s): signing in to %s here", error->message, notified->provider_id);
      provider = cc_proxy_registry_lookup (cc_proxy_runtime_get_registry (notified->service->runtime),
                                           notified->provider_id);
      if (provider != NULL && CC_PROXY_IS_AUTH_CAPABLE (provider))
        start_flow (notified->service, provider, NULL, TRUE, TRUE);
    }
  notified_free (notified);
}

static void
on_action_invoked (GDBusConnection *connection,
                   const char      *sender,
                   const char      *path,
                   const char      *interface,
                   const char      *signal,
                   GVariant        *parameters,
                   gpointer         user_data)
{
  CcProxyDBusService *self = user_data;
  const char *action, *provider_id;
  g_autoptr(GVariantBuilder) target = g_variant_builder_new (G_VARIANT_TYPE ("av"));
  g_autoptr(GVariantBuilder) platform_data = g_variant_builder_new (G_VARIANT_TYPE_VARDICT);
  Notified *notified;
  guint32 id;

  g_variant_get (parameters, "(u&s)", &id, &action);
  provider_id = g_hash_table_lookup (self->notifications, GUINT_TO_POINTER (id));
  if (provider_id == NULL || !(g_str_equal (action, SIGN_IN_ACTION) || g_str_equal (action, "default")))
    return;
  notified = notified_new (self, provider_id);
  g_variant_builder_add (target, "v", g_variant_new_string (provider_id));
  g_dbus_connection_call (connection, PANEL_NAME, PANEL_PATH, "org.freedesktop.Application", "ActivateAction",
                          g_variant_new ("(sava{sv})", g_str_equal (action, SIGN_IN_ACTION) ? "sign-in" : "show-provider",
                                         target, platform_data),
                          NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, on_panel_opened, notified);
}

/* A provider needs the person to sign in again (or no longer does). */
static void
on_attention_changed (CcProxyAuthCapable *capable,
                      CcProxyDBusService *self)
{
  CcProxyProvider *provider = CC_PROXY_PROVIDER (capable);
  const char *id = cc_proxy_provider_get_id (provider);
  g_autofree char *reason = cc_proxy_auth_capable_dup_attention (capable);
  g_autofree char *path = cc_proxy_dbus_provider_path (id);
  g_autoptr(GVariantBuilder) changed = g_variant_builder_new (G_VARIANT_TYPE_VARDICT);

  if (self->connection == NULL)
    return;
  g_variant_builder_add (changed, "{sv}", "Attention", g_variant_new_string (reason ? reason : ""));
  emit_changed (self, path, "org.ccproxy.Proxy1.Provider", changed);
  if (reason != NULL)
    {
      g_autofree char *summary = g_strdup_printf (_("%s needs you to sign in again"),
                                                  cc_proxy_provider_descriptor_get_display_name (cc_proxy_provider_get_descriptor (provider)));

      g_message ("%s: %s", summary, reason);
      notify_desktop (self, id, summary, reason, TRUE);
    }
}


/* ----- org.ccproxy.Proxy1.AuthFlow ----- */

static void
auth_flow_clear (AuthFlow *flow)
{
  g_free (flow->path);
  g_free (flow->owner);
  g_free (flow->provider_id);
  g_clear_object (&flow->prompt);
  g_clear_object (&flow->cancellable);
  g_free (flow->message);
  g_clear_error (&flow->store_error);
}

static void
auth_flow_release (gpointer data)
{
  g_rc_box_release_full (data, (GDestroyNotify) auth_flow_clear);
}

/* Taken out of the service's table: off the bus, and cut loose. */
static void
auth_flow_retire (gpointer data)
{
  AuthFlow *flow = data;

  if (flow->service != NULL && flow->service->manager != NULL)
    g_dbus_object_manager_server_unexport (flow->service->manager, flow->path);
  g_clear_handle_id (&flow->owner_watch, g_bus_unwatch_name);
  g_clear_handle_id (&flow->expire_id, g_source_remove);
  g_cancellable_cancel (flow->cancellable);
  flow->service = NULL;
  auth_flow_release (flow);
}

static void
auth_flow_notify (AuthFlow   *flow,
                  const char *signal,
                  GVariant   *parameters)
{
  g_autoptr(GVariantBuilder) changed = g_variant_builder_new (G_VARIANT_TYPE_VARDICT);
  CcProxyDBusService *self = flow->service;

  if (self == NULL || self->connection == NULL)
    {
      if (parameters != NULL)
        g_variant_unref (g_variant_ref_sink (parameters));
      return;
    }
  g_variant_builder_add (changed, "{sv}", "State", g_variant_new_string (flow->state));
  g_variant_builder_add (changed, "{sv}", "Message", g_variant_new_string (flow->message ? flow->message : ""));
  if (g_str_equal (flow->state, "waiting"))
    {
      g_variant_builder_add (changed, "{sv}", "VerificationUrl",
                             g_variant_new_string (cc_proxy_auth_prompt_get_verification_url (flow->prompt) ?: ""));
      g_variant_builder_add (changed, "{sv}", "UserCode",
                             g_variant_new_string (cc_proxy_auth_prompt_get_user_code (flow->prompt) ?: ""));
    }
  /* What a login shows (the code) is for its caller alone, as with a
   * portal request. */
  emit_changed_to (self, flow->owner, flow->path, "org.ccproxy.Proxy1.AuthFlow", changed);
  if (signal != NULL)
    g_dbus_connection_emit_signal (self->connection, flow->owner, flow->path, "org.ccproxy.Proxy1.AuthFlow",
                                   signal, parameters, NULL);
}

static gboolean
on_flow_expired (gpointer user_data)
{
  AuthFlow *flow = user_data;

  flow->expire_id = 0;
  if (flow->service != NULL)
    g_hash_table_remove (flow->service->flows, flow->path);
  return G_SOURCE_REMOVE;
}

static void
auth_flow_complete (AuthFlow   *flow,
                    const char *state,
                    const char *message)
{
  flow->state = state;
  g_free (flow->message);
  flow->message = g_strdup (message);
  auth_flow_notify (flow, "Completed", g_variant_new ("(ss)", state, message));
  if (flow->notify && flow->service != NULL)
    notify_desktop (flow->service, flow->provider_id, message, "", FALSE);
  /* Readable for a while by its caller; at once gone when that caller is. */
  if (flow->service != NULL && flow->owner_gone)
    flow->expire_id = g_idle_add (on_flow_expired, flow);
  else if (flow->service != NULL)
    flow->expire_id = g_timeout_add_seconds (FLOW_EXPIRY_SECONDS, on_flow_expired, flow);
}

static void
on_prompt_shown (CcProxyAuthPrompt *prompt,
                 AuthFlow          *flow)
{
  const char *url = cc_proxy_auth_prompt_get_verification_url (prompt);
  const char *code = cc_proxy_auth_prompt_get_user_code (prompt);
  const char *message = cc_proxy_auth_prompt_get_message (prompt);

  flow->state = "waiting";
  g_free (flow->message);
  flow->message = g_strdup (message ? message : "");
  auth_flow_notify (flow, "PromptReady", g_variant_new ("(sss)", url ? url : "", code ? code : "", flow->message));
  if (flow->notify && flow->service != NULL)
    {
      g_autofree char *summary = g_strdup_printf (_("Enter the code %s"), code ? code : "");
      g_autofree char *body = g_strdup_printf (_("at %s (opened in your browser)"), url ? url : "");

      notify_desktop (flow->service, flow->provider_id, summary, body, FALSE);
      open_in_browser (flow->service, url);
    }
}

static void
finish_storing (AuthFlow          *flow,
                CcProxyAuthResult *result)
{
  g_autoptr(GError) error = NULL;

  if (flow->store_error != NULL)
    {
      g_autofree char *message = g_strdup_printf (_("Signed in, but the credentials could not be stored: %s"),
                                                  flow->store_error->message);

      auth_flow_complete (flow, "failed", message);
      return;
    }
  if (flow->activate && flow->service != NULL &&
      !cc_proxy_settings_set_active_provider (cc_proxy_runtime_get_settings (flow->service->runtime), flow->provider_id, &error))
    {
      auth_flow_complete (flow, "failed", error->message);
      return;
    }
  if (flow->session_only)
    {
      /* Never silent: the person must know the login will not last. */
      g_autofree char *message = g_strdup_printf (_("%s, for this session only: no keyring is available to keep "
                                                    "the login, so cc-proxyd holds it in memory until it stops. "
                                                    "To keep it, start or unlock a keyring "
                                                    "(gnome-keyring-daemon --unlock) and sign in again."),
                                                  cc_proxy_auth_result_get_message (result));

      auth_flow_complete (flow, "succeeded", message);
      return;
    }
  auth_flow_complete (flow, "succeeded", cc_proxy_auth_result_get_message (result));
}

typedef struct
{
  AuthFlow          *flow;
  CcProxyAuthResult *result;
  char              *key;
  char              *value;
} Storing;

static void
on_result_value_stored (GObject      *source,
                        GAsyncResult *res,
                        gpointer      user_data)
{
  Storing *storing = user_data;
  AuthFlow *flow = storing->flow;
  g_autoptr(GError) error = NULL;

  if (!cc_proxy_settings_set_value_finish (CC_PROXY_SETTINGS (source), res, &error))
    {
      /* A login the keyring cannot take is kept in memory, not lost. */
      if (g_error_matches (error, CC_PROXY_SETTINGS_ERROR, CC_PROXY_SETTINGS_ERROR_KEYRING_UNAVAILABLE) &&
          cc_proxy_settings_keep_secret (CC_PROXY_SETTINGS (source), flow->provider_id, storing->key, storing->value,
                                        NULL))
        {
          g_message ("The keyring could not take the %s login (%s); it is kept in memory", flow->provider_id,
                     error->message);
          flow->session_only = TRUE;
        }
      else if (flow->store_error == NULL)
        flow->store_error = g_steal_pointer (&error);
    }
  if (--flow->pending == 0)
    finish_storing (flow, storing->result);
  cc_proxy_auth_result_unref (storing->result);
  auth_flow_release (flow);
  g_free (storing->key);
  g_free (storing->value);
  g_free (storing);
}

static void
on_auth_flow_done (GObject      *source,
                   GAsyncResult *res,
                   gpointer      user_data)
{
  AuthFlow *flow = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CcProxyAuthResult) result = cc_proxy_auth_capable_run_auth_flow_finish (CC_PROXY_AUTH_CAPABLE (source), res, &error);
  GHashTableIter iter;
  gpointer key, value;

  if (flow->service == NULL)
    ;
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    auth_flow_complete (flow, "cancelled", _("The login was cancelled"));
  else if (result == NULL)
    auth_flow_complete (flow, "failed", error->message);
  else
    {
      /* Store what the flow got (secrets go to the keyring), then report. */
      flow->activate = cc_proxy_auth_result_get_activate (result);
      flow->pending = 1;
      g_hash_table_iter_init (&iter, cc_proxy_auth_result_get_values (result));
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          Storing *storing = g_new0 (Storing, 1);

          storing->flow = g_rc_box_acquire (flow);
          storing->result = cc_proxy_auth_result_ref (result);
          storing->key = g_strdup (key);
          storing->value = g_strdup (value);
          flow->pending++;
          cc_proxy_settings_set_value_async (cc_proxy_runtime_get_settings (flow->service->runtime), flow->provider_id,
                                             key, g_variant_new_string (value), NULL, on_result_value_stored, storing);
        }
      if (--flow->pending == 0)
        finish_storing (flow, result);
    }
  auth_flow_release (flow);
}

static gboolean
start_auth_flow (gpointer user_data)
{
  AuthFlow *flow = user_data;
  CcProxyProvider *provider;

  if (flow->service == NULL)
    return G_SOURCE_REMOVE;
  provider = cc_proxy_registry_lookup (cc_proxy_runtime_get_registry (flow->service->runtime), flow->provider_id);
  flow->prompt = cc_proxy_auth_prompt_new (snapshot (flow->service));
  g_signal_connect (flow->prompt, "shown", G_CALLBACK (on_prompt_shown), flow);
  cc_proxy_auth_capable_run_auth_flow_async (CC_PROXY_AUTH_CAPABLE (provider), GPOINTER_TO_INT (g_object_get_data (G_OBJECT (flow->cancellable), "force")),
                                             flow->prompt, flow->cancellable, on_auth_flow_done, g_rc_box_acquire (flow));
  return G_SOURCE_REMOVE;
}

static GVariant *
flow_get_property (GDBusConnection  *connection,
                   const char       *sender,
                   const char       *object_path,
                   const char       *interface_name,
                   const char       *property_name,
                   GError          **error,
                   gpointer          user_data)
{
  AuthFlow *flow = user_data;
  const char *value = NULL;
  /* What the person must type is for the flow's caller alone. */
  gboolean for_owner = flow->owner == NULL || g_strcmp0 (sender, flow->owner) == 0;

  if (g_str_equal (property_name, "Provider"))
    value = flow->provider_id;
  else if (g_str_equal (property_name, "State"))
    value = flow->state;
  else if (g_str_equal (property_name, "Message"))
    value = flow->message;
  else if (g_str_equal (property_name, "VerificationUrl") && flow->prompt != NULL && for_owner)
    value = cc_proxy_auth_prompt_get_verification_url (flow->prompt);
  else if (g_str_equal (property_name, "UserCode") && flow->prompt != NULL && for_owner)
    value = cc_proxy_auth_prompt_get_user_code (flow->prompt);
  return g_variant_new_string (value ? value : "");
}

static void
flow_method_call (GDBusConnection       *connection,
                  const char            *sender,
                  const char            *object_path,
                  const char            *interface_name,
                  const char            *method_name,
                  GVariant              *parameters,
                  GDBusMethodInvocation *invocation,
                  gpointer               user_data)
{
  AuthFlow *flow = user_data;

  /* Cancel is the only method; a finished flow ignores it. Only the
   * caller that started a flow may end it. */
  if (flow->owner != NULL && g_strcmp0 (sender, flow->owner) != 0)
    {
      g_dbus_method_invocation_return_error_literal (invocation, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED,
                                                     _("Only the caller that started this login may cancel it"));
      return;
    }
  g_cancellable_cancel (flow->cancellable);
  g_dbus_method_invocation_return_value (invocation, NULL);
}

/* The caller left: nobody is there to show the code to any more. */
static void
on_flow_owner_vanished (GDBusConnection *connection,
                        const char      *name,
                        gpointer         user_data)
{
  AuthFlow *flow = user_data;

  flow->owner_gone = TRUE;
  if (flow->expire_id == 0)
    {
      g_cancellable_cancel (flow->cancellable);
      return;
    }
  /* Over already: nobody is left to read the outcome. */
  g_source_remove (flow->expire_id);
  flow->expire_id = g_idle_add (on_flow_expired, flow);
}

static const GDBusInterfaceVTable flow_vtable = {
  flow_method_call, flow_get_property, NULL, { NULL }
};

/* A login flow for @provider, published on the bus and started from an
 * idle: whoever asked gets its path before anything happens on it.
 * @owner (a unique name) alone sees it and may cancel it, and its
 * leaving cancels it; a flow without one (started from a notification)
 * is the service's own. */
static AuthFlow *
start_flow (CcProxyDBusService *self,
            CcProxyProvider    *provider,
            const char         *owner,
            gboolean            force,
            gboolean            notify)
{
  AuthFlow *flow = g_rc_box_new0 (AuthFlow);

  flow->service = self;
  flow->owner = g_strdup (owner);
  flow->path = g_strdup_printf (CC_PROXY_DBUS_PATH "/auth/%u", ++self->next_flow);
  flow->provider_id = g_strdup (cc_proxy_provider_get_id (provider));
  flow->cancellable = g_cancellable_new ();
  flow->notify = notify;
  g_object_set_data (G_OBJECT (flow->cancellable), "force", GINT_TO_POINTER (!!force));
  flow->state = "starting";
  flow->message = g_strdup ("");
  {
    g_autoptr(GDBusObjectSkeleton) object = g_dbus_object_skeleton_new (flow->path);
    g_autoptr(CcProxyDBusInterface) iface = cc_proxy_dbus_interface_new (interface_info (self, "org.ccproxy.Proxy1.AuthFlow"),
                                                                         &flow_vtable, flow);

    g_dbus_object_skeleton_add_interface (object, G_DBUS_INTERFACE_SKELETON (iface));
    g_dbus_object_manager_server_export (self->manager, object);
  }
  g_hash_table_insert (self->flows, flow->path, flow);
  if (owner != NULL)
    {
      flow->owner_watch = g_bus_watch_name_on_connection (self->connection, owner, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                          NULL, on_flow_owner_vanished,
                                                          g_rc_box_acquire (flow), auth_flow_release);
    }
  g_idle_add (start_auth_flow, flow);
  return flow;
}

static void
authenticate (CcProxyDBusService    *self,
              CcProxyProvider       *provider,
              gboolean               force,
              GDBusMethodInvocation *invocation)
{
  AuthFlow *flow;

  if (!CC_PROXY_IS_AUTH_CAPABLE (provider))
    {
      g_dbus_method_invocation_return_error (invocation, CC_PROXY_DBUS_ERROR, CC_PROXY_DBUS_ERROR_FAILED,
                                             _("The %s provider has no login"), cc_proxy_provider_get_id (provider));
      return;
    }
  flow = start_flow (self, provider, g_dbus_method_invocation_get_sender (invocation), force, FALSE);
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(o)", flow->path));
}

/* ----- org.ccproxy.Proxy1.Provider ----- */

static const char *
kind_name (CcProxySettingKind kind)
{
  static const char * const names[] = { "text", "bool", "select", "integer", "url" };

  return kind < G_N_ELEMENTS (names) ? names[kind] : "text";
}

static GVariant *
setting_descriptors (CcProxyProviderDescriptor *descriptor)
{
  g_autoptr(GVariantBuilder) builder = g_variant_builder_new (G_VARIANT_TYPE ("aa{sv}"));

  for (guint i = 0; i < cc_proxy_provider_descriptor_get_n_settings (descriptor); i++)
    {
      CcProxySettingDescriptor *setting = cc_proxy_provider_descriptor_get_setting (descriptor, i);
      gint minimum, maximum;

      /* A fixed order, so that busctl and gdbus show it the same way. */
      g_variant_builder_open (builder, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (builder, "{sv}", "key", g_variant_new_string (cc_proxy_setting_descriptor_get_key (setting)));
      g_variant_builder_add (builder, "{sv}", "label", g_variant_new_string (cc_proxy_setting_descriptor_get_label (setting)));
      g_variant_builder_add (builder, "{sv}", "description",
                             g_variant_new_string (cc_proxy_setting_descriptor_get_description (setting)));
      g_variant_builder_add (builder, "{sv}", "kind",
                             g_variant_new_string (kind_name (cc_proxy_setting_descriptor_get_kind (setting))));
      g_variant_builder_add (builder, "{sv}", "default", g_variant_new_string (cc_proxy_setting_descriptor_get_default (setting)));
      g_variant_builder_add (builder, "{sv}", "options",
                             g_variant_new_strv (cc_proxy_setting_descriptor_get_options (setting), -1));
      g_variant_builder_add (builder, "{sv}", "secret", g_variant_new_boolean (cc_proxy_setting_descriptor_is_secret (setting)));
      g_variant_builder_add (builder, "{sv}", "env-vars",
                             g_variant_new_strv (cc_proxy_setting_descriptor_get_env_vars (setting), -1));
      g_variant_builder_add (builder, "{sv}", "type",
                             g_variant_new_take_string (g_variant_type_dup_string (cc_proxy_setting_descriptor_get_value_type (setting))));
      if (cc_proxy_setting_descriptor_get_range (setting, &minimum, &maximum))
        {
          g_variant_builder_add (builder, "{sv}", "minimum", g_variant_new_int32 (minimum));
          g_variant_builder_add (builder, "{sv}", "maximum", g_variant_new_int32 (maximum));
        }
      if (cc_proxy_setting_descriptor_get_unit (setting) != NULL)
        g_variant_builder_add (builder, "{sv}", "unit", g_variant_new_string (cc_proxy_setting_descriptor_get_unit (setting)));
      g_variant_builder_close (builder);
    }
  return g_variant_builder_end (builder);
}

/* Secret values never leave the process: only whether one is set. */
static GVariant *
setting_values (CcProxySnapshot           *snap,
                CcProxyProviderDescriptor *descriptor)
{
  const char *id = cc_proxy_provider_descriptor_get_id (descriptor);
  g_autoptr(GVariantBuilder) builder = g_variant_builder_new (G_VARIANT_TYPE ("a{sa{sv}}"));

  for (guint i = 0; i < cc_proxy_provider_descriptor_get_n_settings (descriptor); i++)
    {
      CcProxySettingDescriptor *setting = cc_proxy_provider_descriptor_get_setting (descriptor, i);
      const char *key = cc_proxy_setting_descriptor_get_key (setting);
      const char *value = cc_proxy_snapshot_get_value (snap, id, key);

      g_variant_builder_open (builder, G_VARIANT_TYPE ("{sa{sv}}"));
      g_variant_builder_add (builder, "s", key);
      g_variant_builder_open (builder, G_VARIANT_TYPE_VARDICT);
      /* In the setting's own type, as SetValue takes it. */
      if (!cc_proxy_setting_descriptor_is_secret (setting))
        g_variant_builder_add (builder, "{sv}", "value", cc_proxy_schema_value_to_variant (setting, value ? value : ""));
      g_variant_builder_add (builder, "{sv}", "set", g_variant_new_boolean (value != NULL && value[0] != '\0'));
      g_variant_builder_add (builder, "{sv}", "from-environment",
                             g_variant_new_boolean (cc_proxy_snapshot_is_from_environment (snap, id, key)));
      g_variant_builder_close (builder);
      g_variant_builder_close (builder);
    }
  return g_variant_builder_end (builder);
}

static CcProxyProvider *
provider_for_path (CcProxyDBusService *self,
                   const char         *object_path)
{
  GPtrArray *providers = cc_proxy_registry_get_providers (cc_proxy_runtime_get_registry (self->runtime));

  for (guint i = 0; i < providers->len; i++)
    {
      CcProxyProvider *provider = g_ptr_array_index (providers, i);
      g_autofree char *path = cc_proxy_dbus_provider_path (cc_proxy_provider_get_id (provider));

      if (g_str_equal (path, object_path))
        return provider;
    }
  g_return_val_if_reached (NULL);
}

static GVariant *
provider_get_property (GDBusConnection  *connection,
                       const char       *sender,
                       const char       *object_path,
                       const char       *interface_name,
                       const char       *property_name,
                       GError          **error,
                       gpointer          user_data)
{
  CcProxyDBusService *self = user_data;
  CcProxyProvider *provider = provider_for_path (self, object_path);
  CcProxyProviderDescriptor *descriptor = cc_proxy_provider_get_descriptor (provider);

  if (g_str_equal (property_name, "Id"))
    return g_variant_new_string (cc_proxy_provider_descriptor_get_id (descriptor));
  if (g_str_equal (property_name, "DisplayName"))
    return g_variant_new_string (cc_proxy_provider_descriptor_get_display_name (descriptor));
  if (g_str_equal (property_name, "SettingDescriptors"))
    return setting_descriptors (descriptor);
  if (g_str_equal (property_name, "Values"))
    return setting_values (snapshot (self), descriptor);
  if (g_str_equal (property_name, "AuthCapable"))
    return g_variant_new_boolean (CC_PROXY_IS_AUTH_CAPABLE (provider));
  if (g_str_equal (property_name, "Attention"))
    {
      g_autofree char *reason = CC_PROXY_IS_AUTH_CAPABLE (provider)
                                ? cc_proxy_auth_capable_dup_attention (CC_PROXY_AUTH_CAPABLE (provider)) : NULL;

      return g_variant_new_string (reason ? reason : "");
    }
  if (g_str_equal (property_name, "SignedIn"))
    return g_variant_new_boolean (CC_PROXY_IS_AUTH_CAPABLE (provider) &&
                                  cc_proxy_auth_capable_is_signed_in (CC_PROXY_AUTH_CAPABLE (provider), snapshot (self)));

  g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY, _("No property %s"), property_name);
  return NULL;
}

static void
on_value_changed (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GDBusMethodInvocation) invocation = user_data;
  g_autoptr(GError) error = NULL;

  /* set and reset finish the same way */
  if (cc_proxy_settings_set_value_finish (CC_PROXY_SETTINGS (source), result, &error))
    g_dbus_method_invocation_return_value (invocation, NULL);
  else
    g_dbus_method_invocation_take_error (invocation, to_dbus_error (error));
}

static void
provider_method_call (GDBusConnection       *connection,
                      const char            *sender,
                      const char            *object_path,
                      const char            *interface_name,
                      const char            *method_name,
                      GVariant              *parameters,
                      GDBusMethodInvocation *invocation,
                      gpointer               user_data)
{
  CcProxyDBusService *self = user_data;
  CcProxyProvider *provider = provider_for_path (self, object_path);
  const char *id = cc_proxy_provider_get_id (provider);
  const char *key = NULL;

  if (g_str_equal (method_name, "Authenticate"))
    {
      gboolean force = FALSE;

      g_variant_get (parameters, "(b)", &force);
      authenticate (self, provider, force, invocation);
      return;
    }

  /* Asynchronous: a secret goes to the keyring, which may take a while. */
  if (g_str_equal (method_name, "SetValue"))
    {
      g_autoptr(GVariant) value = NULL;

      /* In the setting's own type, or as text: the settings judge it. */
      g_variant_get (parameters, "(&sv)", &key, &value);
      cc_proxy_settings_set_value_async (cc_proxy_runtime_get_settings (self->runtime), id, key, value, NULL,
                                         on_value_changed, g_object_ref (invocation));
    }
  else
    {
      g_variant_get (parameters, "(&s)", &key);
      cc_proxy_settings_reset_value_async (cc_proxy_runtime_get_settings (self->runtime), id, key, NULL, on_value_changed, g_object_ref (invocation));
    }
}

static const GDBusInterfaceVTable provider_vtable = {
  provider_method_call, provider_get_property, NULL, { NULL }
};

/* ----- change notification ----- */


/* Sends PropertiesChanged for what really changed, nothing else. */
static void
on_runtime_changed (CcProxyRuntime     *runtime,
                    CcProxyDBusService *self)
{
  CcProxySnapshot *snap = snapshot (self);
  const char *active = cc_proxy_snapshot_get_active_provider (snap);
  const char *note = cc_proxy_runtime_get_fallback_note (runtime);
  GPtrArray *providers = cc_proxy_registry_get_providers (cc_proxy_runtime_get_registry (runtime));
  g_autoptr(GVariantBuilder) main_changed = g_variant_builder_new (G_VARIANT_TYPE_VARDICT);
  gboolean main_dirty = FALSE;

  if (g_strcmp0 (active, self->last_active) != 0)
    {
      g_free (self->last_active);
      self->last_active = g_strdup (active);
      g_variant_builder_add (main_changed, "{sv}", "ActiveProvider", g_variant_new_string (active));
      main_dirty = TRUE;
    }
  if (g_strcmp0 (note ? note : "", self->last_note) != 0)
    {
      g_free (self->last_note);
      self->last_note = g_strdup (note ? note : "");
      g_variant_builder_add (main_changed, "{sv}", "ActiveProviderNote", g_variant_new_string (self->last_note));
      main_dirty = TRUE;
    }
  if (main_dirty)
    emit_changed (self, CC_PROXY_DBUS_PATH, "org.ccproxy.Proxy1", main_changed);

  for (guint i = 0; i < providers->len; i++)
    {
      CcProxyProvider *provider = g_ptr_array_index (providers, i);
      g_autofree char *path = cc_proxy_dbus_provider_path (cc_proxy_provider_get_id (provider));
      GVariant *values = g_variant_ref_sink (setting_values (snap, cc_proxy_provider_get_descriptor (provider)));
      GVariant *last = g_hash_table_lookup (self->last_values, path);

      if (last == NULL || !g_variant_equal (last, values))
        {
          g_autoptr(GVariantBuilder) changed = g_variant_builder_new (G_VARIANT_TYPE_VARDICT);

          g_variant_builder_add (changed, "{sv}", "Values", values);
          emit_changed (self, path, "org.ccproxy.Proxy1.Provider", changed);
          g_hash_table_replace (self->last_values, g_steal_pointer (&path), g_variant_ref (values));
        }
      g_variant_unref (values);
    }
}

/* ----- traffic signals ----- */

/* Three small signals per request, built from the events: enough for a
 * live view, and cheap enough for every request. */
static void
on_traffic_event (CcProxyEventSink   *sink,
                  CcProxyEvent       *event,
                  CcProxyDBusService *self)
{
  const char *name;
  GVariant *parameters;

  switch (event->kind)
    {
    case CC_PROXY_EVENT_REQUEST_HEADERS:
      {
        g_autofree char *path = event->query ? g_strconcat (event->path, "?", event->query, NULL)
                                             : g_strdup (event->path);

        name = "RequestStarted";
        parameters = g_variant_new ("(sssss)", event->request_id, event->method, path, event->provider_id,
                                    event->model ? event->model : "");
      }
      break;

    case CC_PROXY_EVENT_RESPONSE_HEADERS:
      name = "ResponseStarted";
      parameters = g_variant_new ("(su)", event->request_id, event->status);
      break;

    case CC_PROXY_EVENT_RESPONSE_DONE:
    case CC_PROXY_EVENT_ERROR:
    case CC_PROXY_EVENT_PROXY_ERROR:
      {
        GVariantBuilder usage;
        JsonObject *counts = event->usage ? json_node_get_object (event->usage) : NULL;
        g_autoptr(GList) members = counts ? json_object_get_members (counts) : NULL;

        /* What status shows as the last error (the message is redacted). */
        if (event->kind != CC_PROXY_EVENT_RESPONSE_DONE && event->message != NULL)
          {
            g_autoptr(GDateTime) now = g_date_time_new_now_local ();
            g_autofree char *time = g_date_time_format (now, "%Y-%m-%d %H:%M:%S");

            g_free (self->last_error);
            self->last_error = g_strdup_printf ("%s %s %s (%s): %s", time, event->method, event->path,
                                                event->provider_id, event->message);
          }

        g_variant_builder_init (&usage, G_VARIANT_TYPE ("a{st}"));
        for (GList *l = members; l != NULL; l = l->next)
          g_variant_builder_add (&usage, "{st}", l->data, (guint64) cc_proxy_json_get_int (counts, l->data, 0));
        name = "RequestFinished";
        parameters = g_variant_new ("(suta{st}ss)", event->request_id, event->status,
                                    (guint64) MAX (event->duration_us, 0), &usage,
                                    event->stop_reason ? event->stop_reason : "",
                                    event->message ? event->message : "");
      }
      break;

    default:
      return;
    }

  g_dbus_connection_emit_signal (self->connection, NULL, CC_PROXY_DBUS_PATH, CC_PROXY_DBUS_NAME,
                                 name, parameters, NULL);
}

/* ----- lifecycle ----- */

static void
cc_proxy_dbus_service_dispose (GObject *object)
{
  CcProxyDBusService *self = (CcProxyDBusService *) object;

  cc_proxy_dbus_service_unexport (self);
  g_clear_object (&self->runtime);
  g_clear_object (&self->server);
  g_clear_object (&self->sink);
  g_clear_object (&self->log);
  g_clear_pointer (&self->last_error, g_free);
  g_clear_pointer (&self->start_error, g_free);
  g_clear_object (&self->capture);
  G_OBJECT_CLASS (cc_proxy_dbus_service_parent_class)->dispose (object);
}

static void
cc_proxy_dbus_service_finalize (GObject *object)
{
  CcProxyDBusService *self = (CcProxyDBusService *) object;

  g_dbus_node_info_unref (self->introspection);
  g_hash_table_unref (self->flows);
  g_hash_table_unref (self->last_values);
  g_hash_table_unref (self->notifications);
  g_hash_table_unref (self->exported);
  g_free (self->last_active);
  g_free (self->last_note);
  G_OBJECT_CLASS (cc_proxy_dbus_service_parent_class)->finalize (object);
}

static void
cc_proxy_dbus_service_class_init (CcProxyDBusServiceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cc_proxy_dbus_service_dispose;
  object_class->finalize = cc_proxy_dbus_service_finalize;
}

static void
cc_proxy_dbus_service_init (CcProxyDBusService *self)
{
  g_autoptr(GBytes) xml = g_resource_lookup_data (cc_proxy_dbus_get_resource (),
                                                  "/org/ccproxy/Proxy1/org.ccproxy.Proxy1.xml",
                                                  G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  g_autoptr(GError) error = NULL;

  /* Built in and checked by the build: failing here is a packaging bug. */
  self->introspection = g_dbus_node_info_new_for_xml (g_bytes_get_data (xml, NULL), &error);
  g_assert_no_error (error);
  self->flows = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, auth_flow_retire);
  self->notifications = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  self->exported = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->last_values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_variant_unref);
}

/**
 * cc_proxy_dbus_service_new:
 * @runtime: the settings
 * @server: the HTTP side, for its address and counters
 * @sink: the events that become traffic signals
 * @capture: (nullable): the capture log, for its properties
 */
CcProxyDBusService *
cc_proxy_dbus_service_new (CcProxyRuntime    *runtime,
                           CcProxyServer     *server,
                           CcProxyEventSink  *sink,
                           CcProxyCaptureLog *capture)
{
  CcProxyDBusService *self = g_object_new (CC_PROXY_TYPE_DBUS_SERVICE, NULL);

  self->runtime = g_object_ref (runtime);
  self->server = g_object_ref (server);
  self->sink = g_object_ref (sink);
  self->capture = capture ? g_object_ref (capture) : NULL;
  return self;
}

/* Why the daemon serves no HTTP (it could not listen), for StartError. */
void
cc_proxy_dbus_service_set_start_error (CcProxyDBusService *self,
                                       const char         *error)
{
  g_free (self->start_error);
  self->start_error = g_strdup (error);
}

/* The recent service log that GetRecentLog answers with. */
void
cc_proxy_dbus_service_set_log (CcProxyDBusService *self,
                               CcProxyLogRing     *log)
{
  g_set_object (&self->log, log);
}

/* An object for each provider not on the bus yet (all of them at first;
 * after a rescan, the new ones), published by the object manager. */
static void
export_providers (CcProxyDBusService *self)
{
  GPtrArray *providers = cc_proxy_registry_get_providers (cc_proxy_runtime_get_registry (self->runtime));

  for (guint i = 0; i < providers->len; i++)
    {
      CcProxyProvider *provider = g_ptr_array_index (providers, i);
      const char *id = cc_proxy_provider_get_id (provider);
      g_autoptr(GDBusObjectSkeleton) object = NULL;
      g_autoptr(CcProxyDBusInterface) iface = NULL;
      g_autofree char *path = NULL;

      if (g_hash_table_contains (self->exported, id))
        continue;
      path = cc_proxy_dbus_provider_path (id);
      object = g_dbus_object_skeleton_new (path);
      iface = cc_proxy_dbus_interface_new (interface_info (self, "org.ccproxy.Proxy1.Provider"), &provider_vtable, self);
      g_dbus_object_skeleton_add_interface (object, G_DBUS_INTERFACE_SKELETON (iface));
      g_dbus_object_manager_server_export (self->manager, object);
      g_hash_table_add (self->exported, g_strdup (id));
      if (CC_PROXY_IS_AUTH_CAPABLE (provider))
        g_signal_connect_object (provider, "attention-changed", G_CALLBACK (on_attention_changed), self, 0);
    }
}

/* Reload: settings read again, and provider modules that appeared in
 * the provider directories since the start loaded and put on the bus. */
static void
reload (CcProxyDBusService *self)
{
  CcProxyRegistry *registry = cc_proxy_runtime_get_registry (self->runtime);
  if (cc_proxy_registry_rescan (registry) > 0)
    {
      g_autoptr(GVariantBuilder) changed = g_variant_builder_new (G_VARIANT_TYPE_VARDICT);
      g_autoptr(GVariant) ids = providers_variant (registry);

      cc_proxy_settings_add_providers (cc_proxy_runtime_get_settings (self->runtime));
      cc_proxy_remote_provider_start_all (self->runtime);
      export_providers (self);
      g_variant_builder_add (changed, "{sv}", "Providers", ids);
      emit_changed (self, CC_PROXY_DBUS_PATH, "org.ccproxy.Proxy1", changed);
    }
  cc_proxy_settings_reload (cc_proxy_runtime_get_settings (self->runtime));
}

/**
 * cc_proxy_dbus_service_export:
 * @self: a service
 * @connection: the session bus
 * @error: return location for an error
 *
 * Puts the main object on @connection, with an object manager beside it
 * that publishes one object per provider and per login flow.
 */
gboolean
cc_proxy_dbus_service_export (CcProxyDBusService  *self,
                              GDBusConnection     *connection,
                              GError             **error)
{
  g_return_val_if_fail (self->connection == NULL, FALSE);

  self->connection = g_object_ref (connection);
  self->main_interface = cc_proxy_dbus_interface_new (interface_info (self, "org.ccproxy.Proxy1"), &main_vtable, self);
  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self->main_interface), connection,
                                         CC_PROXY_DBUS_PATH, error))
    {
      cc_proxy_dbus_service_unexport (self);
      return FALSE;
    }
  self->manager = g_dbus_object_manager_server_new (CC_PROXY_DBUS_PATH);
  g_dbus_object_manager_server_set_connection (self->manager, connection);
  export_providers (self);
  self->action_id = g_dbus_connection_signal_subscribe (connection, NULL, NOTIFICATIONS_NAME, "ActionInvoked",
                                                        NOTIFICATIONS_PATH, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                        on_action_invoked, self, NULL);

  /* What is on the bus now is the baseline for change signals. */
  self->last_active = g_strdup (cc_proxy_snapshot_get_active_provider (snapshot (self)));
  self->last_note = g_strdup (cc_proxy_runtime_get_fallback_note (self->runtime) ?
                              cc_proxy_runtime_get_fallback_note (self->runtime) : "");
  self->changed_id = g_signal_connect (self->runtime, "changed", G_CALLBACK (on_runtime_changed), self);
  on_runtime_changed (self->runtime, self);
  self->event_id = g_signal_connect (self->sink, "event", G_CALLBACK (on_traffic_event), self);
  return TRUE;
}

void
cc_proxy_dbus_service_unexport (CcProxyDBusService *self)
{
  if (self->connection == NULL)
    return;

  g_clear_signal_handler (&self->changed_id, self->runtime);
  g_clear_signal_handler (&self->event_id, self->sink);
  if (self->action_id != 0)
    g_dbus_connection_signal_unsubscribe (self->connection, self->action_id);
  self->action_id = 0;
  g_hash_table_remove_all (self->flows);
  if (self->manager != NULL)
    g_dbus_object_manager_server_set_connection (self->manager, NULL);
  g_clear_object (&self->manager);
  if (self->main_interface != NULL)
    g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self->main_interface));
  g_clear_object (&self->main_interface);
  g_hash_table_remove_all (self->exported);
  g_hash_table_remove_all (self->last_values);
  g_clear_object (&self->connection);
}
