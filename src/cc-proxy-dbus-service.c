/* cc-proxy-dbus-service.c: the control interface on the session bus
 *
 * The interfaces are described in data/org.ccproxy.Proxy1.xml and
 * served through the skeletons gdbus-codegen makes of it (with the
 * documented interface info, see cc-proxy-dbus-interface.c). The service
 * is the main object's skeleton; beside it an object manager publishes
 * a CcProxyBusProvider per provider and a CcProxyAuthFlow per login.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "cc-proxy-dbus"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "cc-proxy-auth-flow.h"
#include "cc-proxy-bus-provider.h"
#include "cc-proxy-dbus-service.h"
#include "cc-proxy-remote-provider.h"

#define NOTIFICATIONS_NAME "org.freedesktop.Notifications"
#define NOTIFICATIONS_PATH "/org/freedesktop/Notifications"

struct _CcProxyDBusService
{
  CcProxyDBusProxy1Skeleton parent_instance;

  CcProxyRuntime  *runtime;
  CcProxyRouter   *router;
  CcProxySessionLedger *ledger;    /* while on the bus */
  CcProxySpendGuard *guard;        /* while on the bus: who can be asked */
  GHashTable      *budget_notes;   /* desktop notification id → question id */
  SoupSession     *session;        /* to ask a provider for its models, its quota */
  GVariant        *quota;          /* a{sv} from the active provider's /usage, or NULL */
  gint64           quota_read;     /* monotonic µs */
  gboolean         quota_reading;
  CcProxyHostSupervisor *hosts;
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
  GDBusObjectManagerServer *manager;  /* providers and login flows */
  gulong           changed_id;
  gulong           instance_added_id;
  gulong           instance_removed_id;
  GHashTable      *flows;          /* object path → CcProxyAuthFlow */
  guint            next_flow;
  GHashTable      *watchers;       /* unique names of WatchTraffic's callers → name watch */
};

static void cc_proxy_dbus_service_iface_init (CcProxyDBusProxy1Iface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (CcProxyDBusService, cc_proxy_dbus_service, CC_PROXY_DBUS_TYPE_PROXY1_SKELETON,
                               G_IMPLEMENT_INTERFACE (CC_PROXY_DBUS_TYPE_PROXY1, cc_proxy_dbus_service_iface_init))

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

/* The state of each provider host, by provider id. */
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
      const char *confinement;

      if (!CC_PROXY_IS_REMOTE_PROVIDER (provider))
        continue;
      host = cc_proxy_remote_provider_get_host (CC_PROXY_REMOTE_PROVIDER (provider));
      last_error = cc_proxy_host_process_get_last_error (host);
      confinement = cc_proxy_host_process_get_confinement (host);
      g_variant_builder_add (&state, "{sv}", "State", g_variant_new_string (cc_proxy_host_process_get_state_name (host)));
      g_variant_builder_add (&state, "{sv}", "Pid", g_variant_new_uint32 (cc_proxy_host_process_get_pid (host)));
      g_variant_builder_add (&state, "{sv}", "Restarts", g_variant_new_uint32 (cc_proxy_host_process_get_restarts (host)));
      g_variant_builder_add (&state, "{sv}", "LastError", g_variant_new_string (last_error ? last_error : ""));
      g_variant_builder_add (&state, "{sv}", "Confinement", g_variant_new_string (confinement ? confinement : ""));
      g_variant_builder_add (&hosts, "{sa{sv}}", cc_proxy_provider_get_id (provider), &state);
    }
  return g_variant_builder_end (&hosts);
}

static GVariant *
plugin_load_errors_variant (CcProxyRegistry *registry)
{
  GHashTable *errors = cc_proxy_registry_get_load_errors (registry);
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a{ss}"));
  g_autofree const char **modules = (const char **) g_hash_table_get_keys_as_array (errors, NULL);

  /* Sorted, so that people and tests see one order. */
  g_qsort_with_data (modules, g_hash_table_size (errors), sizeof (char *), compare_names, NULL);
  for (guint i = 0; modules[i] != NULL; i++)
    g_variant_builder_add (&builder, "{ss}", modules[i], g_hash_table_lookup (errors, modules[i]));
  return g_variant_builder_end (&builder);
}

/* The ids of the loaded providers, in load order. */
static GStrv
provider_ids (CcProxyRegistry *registry)
{
  GPtrArray *providers = cc_proxy_registry_get_providers (registry);
  g_autoptr(GStrvBuilder) ids = g_strv_builder_new ();

  for (guint i = 0; i < providers->len; i++)
    g_strv_builder_add (ids, cc_proxy_provider_get_id (g_ptr_array_index (providers, i)));
  return g_strv_builder_end (ids);
}

/* The properties that send no change signal are counters and states
 * kept elsewhere: each is brought up to date when it is read. */
static void
refresh_property (CcProxyDBusService *self,
                  const char         *property_name)
{
  CcProxyDBusProxy1 *object = CC_PROXY_DBUS_PROXY1 (self);
  CcProxyRegistry *registry = cc_proxy_runtime_get_registry (self->runtime);
  guint64 total, failed, upstream, written = 0, dropped = 0;
  guint active;

  if (g_str_equal (property_name, "ListenAddress"))
    cc_proxy_dbus_proxy1_set_listen_address (object, cc_proxy_server_get_url (self->server) ?: "");
  else if (g_str_equal (property_name, "PluginLoadErrors"))
    cc_proxy_dbus_proxy1_set_plugin_load_errors (object, plugin_load_errors_variant (registry));
  else if (g_str_equal (property_name, "ProviderHosts"))
    cc_proxy_dbus_proxy1_set_provider_hosts (object, provider_hosts_variant (registry));
  else if (g_str_has_prefix (property_name, "Requests") || g_str_equal (property_name, "UpstreamConnections"))
    {
      cc_proxy_server_get_counters (self->server, &total, &active, &failed, &upstream);
      cc_proxy_dbus_proxy1_set_requests_total (object, total);
      cc_proxy_dbus_proxy1_set_requests_active (object, active);
      cc_proxy_dbus_proxy1_set_requests_failed (object, failed);
      cc_proxy_dbus_proxy1_set_upstream_connections (object, upstream);
    }
  else if (g_str_has_prefix (property_name, "ClientConnection"))
    {
      guint open, max;

      cc_proxy_server_get_clients (self->server, &open, &max);
      cc_proxy_dbus_proxy1_set_client_connections (object, open);
      cc_proxy_dbus_proxy1_set_client_connection_limit (object, max);
    }
  else if (g_str_equal (property_name, "StartError"))
    cc_proxy_dbus_proxy1_set_start_error (object, self->start_error ?: "");
  else if (g_str_equal (property_name, "LastError"))
    cc_proxy_dbus_proxy1_set_last_error (object, self->last_error ?: "");
  else if (g_str_has_prefix (property_name, "Capture"))
    {
      g_autofree char *error = self->capture ? cc_proxy_capture_log_dup_error (self->capture) : NULL;

      if (self->capture != NULL)
        cc_proxy_capture_log_get_counters (self->capture, &written, &dropped);
      cc_proxy_dbus_proxy1_set_capture_directory (object, self->capture ? cc_proxy_capture_log_get_directory (self->capture) : "");
      cc_proxy_dbus_proxy1_set_capture_enabled (object, self->capture && cc_proxy_capture_log_get_enabled (self->capture));
      cc_proxy_dbus_proxy1_set_capture_error (object, error ? error : "");
      cc_proxy_dbus_proxy1_set_capture_lines_written (object, written);
      cc_proxy_dbus_proxy1_set_capture_lines_dropped (object, dropped);
    }
}

static GVariant *
cc_proxy_dbus_service_read (GDBusInterfaceSkeleton *skeleton,
                            const char             *sender,
                            const char             *property_name)
{
  refresh_property (CC_PROXY_DBUS_SERVICE (skeleton), property_name);
  return NULL;
}

/* ActiveProvider, the one writable property, is refused with a named
 * error when it names no provider; the property itself follows the
 * settings (on_runtime_changed). */
static gboolean
cc_proxy_dbus_service_write (GDBusInterfaceSkeleton  *skeleton,
                             const char              *property_name,
                             GVariant                *value,
                             GError                 **error)
{
  CcProxyDBusService *self = CC_PROXY_DBUS_SERVICE (skeleton);
  g_autoptr(GError) local_error = NULL;

  if (!cc_proxy_settings_set_active_provider (cc_proxy_runtime_get_settings (self->runtime),
                                              g_variant_get_string (value, NULL), &local_error))
    {
      g_propagate_error (error, cc_proxy_dbus_error_from_settings (local_error));
      return FALSE;
    }
  return TRUE;
}

static void reload (CcProxyDBusService *self);

/* A value the client sends as its API key when the provider answers
 * with a login or key of its own (every provider but the built-in
 * passthrough, which needs the client's): Claude Code wants one before
 * it starts, or stops at "Not logged in". */
#define PLACEHOLDER_AUTH_TOKEN "cc-proxy"

static GVariant *
client_environment (CcProxyDBusService *self)
{
  CcProxySnapshot *snap = snapshot (self);
  CcProxyProvider *provider = cc_proxy_registry_lookup (cc_proxy_runtime_get_registry (self->runtime),
                                                        cc_proxy_snapshot_get_active_provider (snap));
  g_autoptr(GHashTable) environment = NULL;
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a{ss}"));
  GHashTableIter iter;
  gpointer name, value;

  environment = provider != NULL ? cc_proxy_provider_dup_client_environment (provider, snap)
                                 : g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (provider != NULL && !g_str_equal (cc_proxy_provider_get_id (provider), CC_PROXY_BUILTIN_PROVIDER_ID))
    g_hash_table_replace (environment, g_strdup ("ANTHROPIC_AUTH_TOKEN"), g_strdup (PLACEHOLDER_AUTH_TOKEN));
  g_hash_table_replace (environment, g_strdup ("ANTHROPIC_BASE_URL"),
                        g_strdup (cc_proxy_server_get_url (self->server) ? cc_proxy_server_get_url (self->server) : ""));
  g_hash_table_iter_init (&iter, environment);
  while (g_hash_table_iter_next (&iter, &name, &value))
    g_variant_builder_add (&builder, "{ss}", name, value);
  return g_variant_builder_end (&builder);
}

static void
on_environment_refreshed (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(GDBusMethodInvocation) invocation = user_data;
  CcProxyDBusService *self = g_object_get_data (G_OBJECT (invocation), "service");

  cc_proxy_host_process_refresh_finish (CC_PROXY_HOST_PROCESS (source), result);
  cc_proxy_dbus_proxy1_complete_get_client_environment (CC_PROXY_DBUS_PROXY1 (self), invocation,
                                                        client_environment (self));
}

/* For the few requests cc-proxyd makes of its own port, as a client. */
static SoupSession *
own_session (CcProxyDBusService *self)
{
  if (self->session == NULL)
    self->session = soup_session_new_with_options ("timeout", 30, NULL);
  return self->session;
}

/* The host's state, then the answer. */
static void
refresh_environment (CcProxyDBusService    *self,
                     CcProxyProvider       *provider,
                     GDBusMethodInvocation *invocation)
{
  g_object_set_data_full (G_OBJECT (invocation), "service", g_object_ref (self), g_object_unref);
  cc_proxy_host_process_refresh_async (cc_proxy_remote_provider_get_host (CC_PROXY_REMOTE_PROVIDER (provider)),
                                       on_environment_refreshed, g_object_ref (invocation));
}

typedef struct
{
  CcProxyDBusService    *service;
  CcProxyProvider       *provider;
  GDBusMethodInvocation *invocation;
} ModelsRead;

/* Whether a host's last state recommends a model. */
static gboolean
environment_has_model (GVariant *state)
{
  g_autoptr(GVariant) environment = state ? g_variant_lookup_value (state, "environment", G_VARIANT_TYPE ("a{ss}")) : NULL;

  return environment != NULL && g_variant_lookup (environment, "ANTHROPIC_MODEL", "&s", NULL);
}

static void
on_models_read (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  ModelsRead *read = user_data;
  g_autoptr(GBytes) models = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);

  /* Whatever the answer, the environment goes out (without models,
   * Claude Code's own names are mapped). */
  refresh_environment (read->service, read->provider, read->invocation);
  g_object_unref (read->service);
  g_object_unref (read->provider);
  g_object_unref (read->invocation);
  g_free (read);
}

static gboolean
cc_proxy_dbus_service_handle_get_client_environment (CcProxyDBusProxy1     *object,
                                                     GDBusMethodInvocation *invocation)
{
  CcProxyDBusService *self = CC_PROXY_DBUS_SERVICE (object);
  CcProxyProvider *provider = cc_proxy_registry_lookup (cc_proxy_runtime_get_registry (self->runtime),
                                                        cc_proxy_snapshot_get_active_provider (snapshot (self)));
  GVariant *state;
  const char *url = cc_proxy_server_get_url (self->server);

  if (provider == NULL || !CC_PROXY_IS_REMOTE_PROVIDER (provider))
    {
      cc_proxy_dbus_proxy1_complete_get_client_environment (object, invocation, client_environment (self));
      return TRUE;
    }
  /* A provider that reads its model list on first use (copilot) has no
   * model to recommend right after a start or a login: the list is
   * asked of it once, through the proxy's own port, as a client would. */
  state = cc_proxy_host_process_get_provider_state (cc_proxy_remote_provider_get_host (CC_PROXY_REMOTE_PROVIDER (provider)));
  if (url != NULL && cc_proxy_provider_handles_path (provider, "/v1/models") && !environment_has_model (state))
    {
      ModelsRead *read = g_new0 (ModelsRead, 1);
      g_autofree char *models_url = g_strconcat (url, "/v1/models", NULL);
      g_autoptr(SoupMessage) message = soup_message_new ("GET", models_url);

      read->service = g_object_ref (self);
      read->provider = g_object_ref (provider);
      read->invocation = g_object_ref (invocation);
      soup_session_send_and_read_async (own_session (self), message, G_PRIORITY_DEFAULT, NULL, on_models_read, read);
      return TRUE;
    }
  refresh_environment (self, provider, invocation);
  return TRUE;
}

static gboolean
cc_proxy_dbus_service_handle_get_recent_log (CcProxyDBusProxy1     *object,
                                             GDBusMethodInvocation *invocation)
{
  CcProxyDBusService *self = CC_PROXY_DBUS_SERVICE (object);
  g_auto(GStrv) lines = self->log != NULL ? cc_proxy_log_ring_dup_lines (self->log) : g_new0 (char *, 1);

  cc_proxy_dbus_proxy1_complete_get_recent_log (object, invocation, (const char * const *) lines);
  return TRUE;
}

static gboolean
cc_proxy_dbus_service_handle_reload (CcProxyDBusProxy1     *object,
                                     GDBusMethodInvocation *invocation)
{
  reload (CC_PROXY_DBUS_SERVICE (object));
  cc_proxy_dbus_proxy1_complete_reload (object, invocation);
  return TRUE;
}

/* ----- routes ----- */

static GError *
route_error_for_bus (const GError *error)
{
  return g_error_new_literal (CC_PROXY_DBUS_ERROR,
                              g_error_matches (error, CC_PROXY_ROUTE_ERROR, CC_PROXY_ROUTE_ERROR_UNKNOWN_PROVIDER)
                                ? CC_PROXY_DBUS_ERROR_UNKNOWN_PROVIDER : CC_PROXY_DBUS_ERROR_INVALID_VALUE,
                              error->message);
}

/* Ends a route-changing call: done, or refused with the reason. */
static gboolean
complete_route_change (GDBusMethodInvocation *invocation,
                       gboolean               done,
                       GError                *error)
{
  g_autoptr(GError) owned = error;

  if (done)
    g_dbus_method_invocation_return_value (invocation, NULL);
  else
    g_dbus_method_invocation_take_error (invocation, route_error_for_bus (error));
  return TRUE;
}

static gboolean
cc_proxy_dbus_service_handle_add_route (CcProxyDBusProxy1     *object,
                                        GDBusMethodInvocation *invocation,
                                        const char            *name,
                                        GVariant              *match,
                                        const char            *target,
                                        const char * const    *fallbacks,
                                        gint                   position)
{
  CcProxyDBusService *self = CC_PROXY_DBUS_SERVICE (object);
  GError *error = NULL;
  gboolean done = cc_proxy_router_add (self->router, name, match, target, fallbacks, position, &error);

  return complete_route_change (invocation, done, error);
}

/* ----- the premium request budget ----- */

#define BUDGET_ACTIONS_SMALL "small-model"

static void
publish_questions (CcProxyDBusService *self)
{
  g_autoptr(GVariant) questions = cc_proxy_spend_guard_dup_questions (self->guard);

  cc_proxy_dbus_proxy1_set_budget_questions (CC_PROXY_DBUS_PROXY1 (self), questions);
}

typedef struct
{
  CcProxyDBusService *service;  /* weak */
  guint               question;
} BudgetNote;

static void
on_budget_notified (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  BudgetNote *note = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  guint32 id;

  if (note->service != NULL && note->service->guard != NULL)
    {
      if (reply == NULL && g_hash_table_size (note->service->watchers) == 0)
        {
          /* Nobody to ask: no notification server, and nobody watching
           * (the window, cc-proxyctl monitor). The default, at once. */
          g_debug ("No notification for budget question %u: %s", note->question, error->message);
          cc_proxy_spend_guard_answer_default (note->service->guard, note->question);
        }
      else if (reply == NULL)
        g_debug ("No notification for budget question %u (%s): the watchers may answer", note->question,
                 error->message);
      else
        {
          g_variant_get (reply, "(u)", &id);
          g_hash_table_replace (note->service->budget_notes, GUINT_TO_POINTER (id), GUINT_TO_POINTER (note->question));
        }
    }
  g_clear_weak_pointer (&note->service);
  g_free (note);
}

static void
on_budget_question (CcProxySpendGuard  *guard,
                    guint               question,
                    const char         *session,
                    const char         *why,
                    CcProxyDBusService *self)
{
  g_autoptr(GVariantBuilder) actions = g_variant_builder_new (G_VARIANT_TYPE_STRING_ARRAY);
  g_autoptr(GVariantBuilder) hints = g_variant_builder_new (G_VARIANT_TYPE_VARDICT);
  g_autofree char *small = cc_proxy_spend_guard_dup_small_model (guard);
  g_autofree char *body = g_strdup_printf (_("%s. The request waits for your answer."), why);
  BudgetNote *note;

  publish_questions (self);
  cc_proxy_dbus_proxy1_emit_budget_question (CC_PROXY_DBUS_PROXY1 (self), question, session, why);

  g_variant_builder_add (actions, "s", "allow");
  g_variant_builder_add (actions, "s", _("Allow once"));
  g_variant_builder_add (actions, "s", "allow-session");
  g_variant_builder_add (actions, "s", _("Allow this session"));
  if (small != NULL)
    {
      g_variant_builder_add (actions, "s", BUDGET_ACTIONS_SMALL);
      g_variant_builder_add (actions, "s", _("Use the small model"));
    }
  g_variant_builder_add (actions, "s", "deny");
  g_variant_builder_add (actions, "s", _("Deny"));
  g_variant_builder_add (hints, "{sv}", "urgency", g_variant_new_byte (2));
  note = g_new0 (BudgetNote, 1);
  g_set_weak_pointer (&note->service, self);
  note->question = question;
  g_dbus_connection_call (self->connection, NOTIFICATIONS_NAME, NOTIFICATIONS_PATH, NOTIFICATIONS_NAME, "Notify",
                          g_variant_new ("(susssasa{sv}i)", "cc-proxy", 0, "dialog-warning-symbolic",
                                         _("Over the premium request budget"), body, actions, hints, 0),
                          G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, on_budget_notified, note);
}

static void
on_budget_question_closed (CcProxySpendGuard  *guard,
                           guint               question,
                           const char         *answer,
                           CcProxyDBusService *self)
{
  GHashTableIter iter;
  gpointer note, asked;

  publish_questions (self);
  cc_proxy_dbus_proxy1_emit_budget_answered (CC_PROXY_DBUS_PROXY1 (self), question, answer);
  /* Answered elsewhere, or timed out: its notification goes. */
  g_hash_table_iter_init (&iter, self->budget_notes);
  while (g_hash_table_iter_next (&iter, &note, &asked))
    if (GPOINTER_TO_UINT (asked) == question)
      {
        g_dbus_connection_call (self->connection, NOTIFICATIONS_NAME, NOTIFICATIONS_PATH, NOTIFICATIONS_NAME,
                                "CloseNotification", g_variant_new ("(u)", GPOINTER_TO_UINT (note)), NULL,
                                G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, NULL, NULL);
        g_hash_table_iter_remove (&iter);
      }
}

/* A budget notification's button. */
static gboolean
answer_from_notification (CcProxyDBusService *self,
                          guint32             notification,
                          const char         *action)
{
  gpointer question;

  if (self->guard == NULL ||
      !g_hash_table_lookup_extended (self->budget_notes, GUINT_TO_POINTER (notification), NULL, &question))
    return FALSE;
  cc_proxy_spend_guard_answer (self->guard, GPOINTER_TO_UINT (question), action, NULL);
  return TRUE;
}

static gboolean
cc_proxy_dbus_service_handle_answer_budget (CcProxyDBusProxy1     *object,
                                            GDBusMethodInvocation *invocation,
                                            guint                  id,
                                            const char            *answer)
{
  CcProxyDBusService *self = CC_PROXY_DBUS_SERVICE (object);
  g_autoptr(GError) error = NULL;

  if (self->guard != NULL && cc_proxy_spend_guard_answer (self->guard, id, answer, &error))
    g_dbus_method_invocation_return_value (invocation, NULL);
  else
    g_dbus_method_invocation_return_error_literal (invocation, CC_PROXY_DBUS_ERROR, CC_PROXY_DBUS_ERROR_INVALID_VALUE,
                                                   error ? error->message : _("No budget is set"));
  return TRUE;
}

/* ----- instances ----- */

static gboolean
cc_proxy_dbus_service_handle_add_instance (CcProxyDBusProxy1     *object,
                                           GDBusMethodInvocation *invocation,
                                           const char            *kind,
                                           const char            *name)
{
  CcProxyDBusService *self = CC_PROXY_DBUS_SERVICE (object);
  g_autoptr(GError) error = NULL;
  gboolean done = cc_proxy_settings_add_instance (cc_proxy_runtime_get_settings (self->runtime), kind, name, &error);

  cc_proxy_dbus_complete_settings_call (invocation, done, error);
  return TRUE;
}

static void
on_instance_removed_by_call (GObject      *source,
                             GAsyncResult *result,
                             gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  gboolean done = cc_proxy_settings_remove_instance_finish (CC_PROXY_SETTINGS (source), result, &error);

  cc_proxy_dbus_complete_settings_call (user_data, done, error);
}

static gboolean
cc_proxy_dbus_service_handle_remove_instance (CcProxyDBusProxy1     *object,
                                              GDBusMethodInvocation *invocation,
                                              const char            *name)
{
  CcProxyDBusService *self = CC_PROXY_DBUS_SERVICE (object);
  CcProxySnapshot *snapshot = cc_proxy_runtime_get_snapshot (self->runtime);
  CcProxyProvider *provider = cc_proxy_registry_lookup (cc_proxy_runtime_get_registry (self->runtime), name);
  gboolean in_pool = FALSE;
  const char *user = self->router ? cc_proxy_router_find_user (self->router, name, &in_pool) : NULL;

  /* Requests would be sent to a provider that is gone. (What is no
   * instance, the settings refuse with their own reason.) */
  if (provider != NULL && cc_proxy_registry_is_instance (provider) &&
      (user != NULL || g_strcmp0 (cc_proxy_snapshot_get_active_provider (snapshot), name) == 0))
    {
      g_autofree char *message = NULL;

      if (user != NULL && in_pool)
        message = g_strdup_printf (_("%s is not removed: pool “%s” has it as a member "
                                     "(change or remove the pool first: cc-proxyctl pool)"), name, user);
      else if (user != NULL)
        message = g_strdup_printf (_("%s is not removed: route “%s” sends requests to it "
                                     "(change or remove the route first: cc-proxyctl route)"), name, user);
      else
        message = g_strdup_printf (_("%s is not removed: it is the active provider "
                                     "(choose another first: cc-proxyctl use PROVIDER)"), name);
      g_dbus_method_invocation_return_error_literal (invocation, CC_PROXY_DBUS_ERROR, CC_PROXY_DBUS_ERROR_INVALID_VALUE,
                                                     message);
      return TRUE;
    }
  cc_proxy_settings_remove_instance_async (cc_proxy_runtime_get_settings (self->runtime), name, NULL,
                                           on_instance_removed_by_call, invocation);
  return TRUE;
}

static void export_providers (CcProxyDBusService *self);

static void
publish_providers (CcProxyDBusService *self)
{
  g_auto(GStrv) ids = provider_ids (cc_proxy_runtime_get_registry (self->runtime));

  cc_proxy_dbus_proxy1_set_providers (CC_PROXY_DBUS_PROXY1 (self), (const char * const *) ids);
}

static void
on_instance_added (CcProxyDBusService *self,
                   CcProxyProvider    *provider)
{
  export_providers (self);
  publish_providers (self);
  /* Routes may name it, and were refused while it was missing. */
  if (self->router != NULL)
    cc_proxy_router_reload (self->router);
}

static void
on_instance_removed (CcProxyDBusService *self,
                     CcProxyProvider    *provider)
{
  const char *id = cc_proxy_provider_get_id (provider);
  g_autofree char *path = cc_proxy_dbus_provider_path (id);

  g_dbus_object_manager_server_unexport (self->manager, path);
  g_hash_table_remove (self->exported, id);
  publish_providers (self);
}

static gboolean
cc_proxy_dbus_service_handle_set_pool (CcProxyDBusProxy1     *object,
                                       GDBusMethodInvocation *invocation,
                                       const char            *name,
                                       const char            *strategy,
                                       const char * const    *members)
{
  CcProxyDBusService *self = CC_PROXY_DBUS_SERVICE (object);
  GError *error = NULL;
  gboolean done = cc_proxy_router_set_pool (self->router, name, strategy, members, &error);

  return complete_route_change (invocation, done, error);
}

static gboolean
cc_proxy_dbus_service_handle_remove_pool (CcProxyDBusProxy1     *object,
                                          GDBusMethodInvocation *invocation,
                                          const char            *name)
{
  CcProxyDBusService *self = CC_PROXY_DBUS_SERVICE (object);
  GError *error = NULL;
  gboolean done = cc_proxy_router_remove_pool (self->router, name, &error);

  return complete_route_change (invocation, done, error);
}

static gboolean
cc_proxy_dbus_service_handle_remove_route (CcProxyDBusProxy1     *object,
                                           GDBusMethodInvocation *invocation,
                                           const char            *name)
{
  CcProxyDBusService *self = CC_PROXY_DBUS_SERVICE (object);
  GError *error = NULL;
  gboolean done = cc_proxy_router_remove (self->router, name, &error);

  return complete_route_change (invocation, done, error);
}

static gboolean
cc_proxy_dbus_service_handle_move_route (CcProxyDBusProxy1     *object,
                                         GDBusMethodInvocation *invocation,
                                         const char            *name,
                                         guint                  position)
{
  CcProxyDBusService *self = CC_PROXY_DBUS_SERVICE (object);
  GError *error = NULL;
  gboolean done = cc_proxy_router_move (self->router, name, position, &error);

  return complete_route_change (invocation, done, error);
}

static gboolean
cc_proxy_dbus_service_handle_set_routes (CcProxyDBusProxy1     *object,
                                         GDBusMethodInvocation *invocation,
                                         GVariant              *routes)
{
  CcProxyDBusService *self = CC_PROXY_DBUS_SERVICE (object);
  GError *error = NULL;
  gboolean done = cc_proxy_router_set_routes (self->router, routes, &error);

  return complete_route_change (invocation, done, error);
}

static gboolean
cc_proxy_dbus_service_handle_explain_route (CcProxyDBusProxy1     *object,
                                            GDBusMethodInvocation *invocation,
                                            GVariant              *body,
                                            GVariant              *header_dict)
{
  CcProxyDBusService *self = CC_PROXY_DBUS_SERVICE (object);
  g_autoptr(CcProxyRouteTable) table = cc_proxy_route_table_ref (cc_proxy_router_get_table (self->router));
  g_autoptr(SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  g_auto(CcProxyRequestTraits) traits = { 0, };
  g_autoptr(GStrvBuilder) targets = g_strv_builder_new ();
  g_auto(GStrv) target_list = NULL;
  g_auto(GVariantBuilder) described = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  g_autoptr(CcProxyRoutePlan) plan = NULL;
  GVariantIter iter;
  const char *name, *value;
  gsize len;
  const char *data = g_variant_get_fixed_array (body, &len, 1);

  g_variant_iter_init (&iter, header_dict);
  while (g_variant_iter_next (&iter, "{&s&s}", &name, &value))
    soup_message_headers_append (headers, name, value);
  cc_proxy_route_table_scan (table, data, len, headers, &traits);
  plan = cc_proxy_router_plan (self->router, table, &traits,
                               soup_message_headers_get_one (headers, "X-Claude-Code-Session-Id"),
                               cc_proxy_snapshot_get_active_provider (snapshot (self)), FALSE);
  for (guint i = 0; i < plan->targets->len; i++)
    {
      g_autofree char *text = cc_proxy_route_target_to_string (g_ptr_array_index (plan->targets, i));

      g_strv_builder_add (targets, text);
    }
  target_list = g_strv_builder_end (targets);
  g_variant_builder_add (&described, "{sv}", "role", g_variant_new_string (cc_proxy_request_role_to_string (traits.role)));
  g_variant_builder_add (&described, "{sv}", "class",
                         g_variant_new_string (traits.klass != CC_PROXY_REQUEST_CLASS_NONE
                                                 ? cc_proxy_request_class_to_string (traits.klass) : ""));
  g_variant_builder_add (&described, "{sv}", "model", g_variant_new_string (traits.model ? traits.model : ""));
  g_variant_builder_add (&described, "{sv}", "thinking", g_variant_new_boolean (traits.thinking));
  g_variant_builder_add (&described, "{sv}", "images", g_variant_new_boolean (traits.images));
  g_variant_builder_add (&described, "{sv}", "web-search", g_variant_new_boolean (traits.web_search));
  g_variant_builder_add (&described, "{sv}", "tokens", g_variant_new_uint64 (traits.tokens));
  cc_proxy_dbus_proxy1_complete_explain_route (object, invocation, plan->route ? plan->route : "",
                                               (const char * const *) target_list, g_variant_builder_end (&described),
                                               plan->notes->str);
  return TRUE;
}

static gboolean
cc_proxy_dbus_service_handle_get_route_counters (CcProxyDBusProxy1     *object,
                                                 GDBusMethodInvocation *invocation)
{
  CcProxyDBusService *self = CC_PROXY_DBUS_SERVICE (object);
  g_autoptr(GVariant) counters = cc_proxy_router_dup_counters (self->router);
  g_autoptr(GVariant) skipped = cc_proxy_router_dup_breakers (self->router);

  cc_proxy_dbus_proxy1_complete_get_route_counters (object, invocation, counters, skipped);
  return TRUE;
}

static void
on_routes_changed (CcProxyRouter      *router,
                   CcProxyDBusService *self)
{
  const char *problem = cc_proxy_router_get_problem (router);

  cc_proxy_dbus_proxy1_set_routes (CC_PROXY_DBUS_PROXY1 (self),
                                   cc_proxy_route_table_get_variant (cc_proxy_router_get_table (router)));
  cc_proxy_dbus_proxy1_set_pools (CC_PROXY_DBUS_PROXY1 (self),
                                  cc_proxy_route_table_get_pools (cc_proxy_router_get_table (router)));
  cc_proxy_dbus_proxy1_set_routes_problem (CC_PROXY_DBUS_PROXY1 (self), problem ? problem : "");
}

/**
 * cc_proxy_dbus_service_set_router:
 * @router: the routes Routes and the route methods show and change
 */
void
cc_proxy_dbus_service_set_router (CcProxyDBusService *self,
                                  CcProxyRouter      *router)
{
  g_set_object (&self->router, router);
  g_signal_connect_object (router, "changed", G_CALLBACK (on_routes_changed), self, 0);
  on_routes_changed (router, self);
}

/* ----- sessions ----- */

/* How often the status line's quota is read again, at most. */
#define QUOTA_MAX_AGE_SECONDS (5 * 60)

static void
on_quota_read (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(CcProxyDBusService) self = user_data;
  SoupMessage *message = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);
  g_autoptr(JsonNode) node = NULL;
  g_auto(GVariantDict) quota = G_VARIANT_DICT_INIT (NULL);
  JsonObject *answer, *premium;

  self->quota_reading = FALSE;
  self->quota_read = g_get_monotonic_time ();
  if (body == NULL || message == NULL || soup_message_get_status (message) != SOUP_STATUS_OK ||
      (node = cc_proxy_json_parse (g_bytes_get_data (body, NULL), g_bytes_get_size (body), NULL)) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (node))
    return;
  /* Copilot's own words (GitHub's copilot_internal/user). */
  answer = json_node_get_object (node);
  premium = cc_proxy_json_get_object (cc_proxy_json_get_object (answer, "quota_snapshots"), "premium_interactions");
  if (premium == NULL)
    return;
  if (cc_proxy_json_get_bool (premium, "unlimited", FALSE))
    g_variant_dict_insert (&quota, "premium-unlimited", "b", TRUE);
  else if (json_object_has_member (premium, "remaining") && json_object_has_member (premium, "entitlement"))
    {
      g_variant_dict_insert (&quota, "premium-remaining", "d", json_object_get_double_member (premium, "remaining"));
      g_variant_dict_insert (&quota, "premium-entitlement", "d", json_object_get_double_member (premium, "entitlement"));
    }
  if (cc_proxy_json_get_string (answer, "quota_reset_date") != NULL)
    g_variant_dict_insert (&quota, "quota-reset", "s", cc_proxy_json_get_string (answer, "quota_reset_date"));
  g_clear_pointer (&self->quota, g_variant_unref);
  self->quota = g_variant_ref_sink (g_variant_dict_end (&quota));
}

/* The active provider's quota, read in the background when it is old:
 * the status line asks after every message, and must not wait on the
 * network. */
static void
refresh_quota (CcProxyDBusService *self)
{
  CcProxyProvider *provider = cc_proxy_registry_lookup (cc_proxy_runtime_get_registry (self->runtime),
                                                        cc_proxy_snapshot_get_active_provider (snapshot (self)));
  const char *url = cc_proxy_server_get_url (self->server);
  g_autofree char *usage_url = NULL;
  g_autoptr(SoupMessage) message = NULL;

  if (self->quota_reading || url == NULL || provider == NULL || !cc_proxy_provider_handles_path (provider, "/usage") ||
      (self->quota_read != 0 && g_get_monotonic_time () - self->quota_read < QUOTA_MAX_AGE_SECONDS * G_USEC_PER_SEC))
    return;
  self->quota_reading = TRUE;
  usage_url = g_strconcat (url, "/usage", NULL);
  message = soup_message_new ("GET", usage_url);
  soup_session_send_and_read_async (own_session (self), message, G_PRIORITY_DEFAULT, NULL, on_quota_read,
                                    g_object_ref (self));
}

static gboolean
cc_proxy_dbus_service_handle_get_session (CcProxyDBusProxy1     *object,
                                          GDBusMethodInvocation *invocation,
                                          const char            *id)
{
  CcProxyDBusService *self = CC_PROXY_DBUS_SERVICE (object);
  g_autoptr(GVariant) session = cc_proxy_session_ledger_dup_session (self->ledger, id);
  g_autoptr(GVariant) today = cc_proxy_session_ledger_dup_today (self->ledger);
  g_auto(GVariantDict) with_quota = G_VARIANT_DICT_INIT (today);
  GVariantIter iter;
  const char *key;
  GVariant *value;

  if (self->quota != NULL)
    {
      g_variant_iter_init (&iter, self->quota);
      while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
        {
          g_variant_dict_insert_value (&with_quota, key, value);
          g_variant_unref (value);
        }
    }
  refresh_quota (self);
  cc_proxy_dbus_proxy1_complete_get_session (object, invocation, session, g_variant_dict_end (&with_quota));
  return TRUE;
}

static gboolean
cc_proxy_dbus_service_handle_get_sessions (CcProxyDBusProxy1     *object,
                                           GDBusMethodInvocation *invocation)
{
  CcProxyDBusService *self = CC_PROXY_DBUS_SERVICE (object);
  g_autoptr(GVariant) sessions = cc_proxy_session_ledger_dup_recent (self->ledger);

  cc_proxy_dbus_proxy1_complete_get_sessions (object, invocation, sessions);
  return TRUE;
}

/* ----- traffic watchers ----- */

static void
forget_watcher (gpointer data)
{
  g_bus_unwatch_name (GPOINTER_TO_UINT (data));
}

static void
on_watcher_vanished (GDBusConnection *connection,
                     const char      *name,
                     gpointer         user_data)
{
  CcProxyDBusService *self = user_data;

  g_hash_table_remove (self->watchers, name);
}

static gboolean
cc_proxy_dbus_service_handle_watch_traffic (CcProxyDBusProxy1     *object,
                                            GDBusMethodInvocation *invocation)
{
  CcProxyDBusService *self = CC_PROXY_DBUS_SERVICE (object);
  const char *sender = g_dbus_method_invocation_get_sender (invocation);

  if (sender != NULL && !g_hash_table_contains (self->watchers, sender))
    g_hash_table_insert (self->watchers, g_strdup (sender),
                         GUINT_TO_POINTER (g_bus_watch_name_on_connection (self->connection, sender,
                                                                           G_BUS_NAME_WATCHER_FLAGS_NONE, NULL,
                                                                           on_watcher_vanished, self, NULL)));
  cc_proxy_dbus_proxy1_complete_watch_traffic (object, invocation);
  return TRUE;
}

static gboolean
cc_proxy_dbus_service_handle_unwatch_traffic (CcProxyDBusProxy1     *object,
                                              GDBusMethodInvocation *invocation)
{
  CcProxyDBusService *self = CC_PROXY_DBUS_SERVICE (object);

  g_hash_table_remove (self->watchers, g_dbus_method_invocation_get_sender (invocation));
  cc_proxy_dbus_proxy1_complete_unwatch_traffic (object, invocation);
  return TRUE;
}

/* The generated signals' class handlers broadcast; the traffic goes to
 * those who asked for it. */
static void
emit_to_watchers (CcProxyDBusService *self,
                  const char         *signal_name,
                  GVariant           *parameters)
{
  GHashTableIter iter;
  gpointer watcher;

  g_variant_ref_sink (parameters);
  g_hash_table_iter_init (&iter, self->watchers);
  while (g_hash_table_iter_next (&iter, &watcher, NULL))
    g_dbus_connection_emit_signal (self->connection, watcher, CC_PROXY_DBUS_PATH, CC_PROXY_DBUS_NAME, signal_name,
                                   parameters, NULL);
  g_variant_unref (parameters);
}

static void
cc_proxy_dbus_service_request_started (CcProxyDBusProxy1 *object,
                                       const char        *id,
                                       const char        *method,
                                       const char        *path,
                                       const char        *provider,
                                       const char        *model,
                                       const char        *request_class)
{
  emit_to_watchers (CC_PROXY_DBUS_SERVICE (object), "RequestStarted",
                    g_variant_new ("(ssssss)", id, method, path, provider, model, request_class));
}

static void
cc_proxy_dbus_service_response_started (CcProxyDBusProxy1 *object,
                                        const char        *id,
                                        guint              status)
{
  emit_to_watchers (CC_PROXY_DBUS_SERVICE (object), "ResponseStarted", g_variant_new ("(su)", id, status));
}

static void
cc_proxy_dbus_service_request_finished (CcProxyDBusProxy1 *object,
                                        const char        *id,
                                        guint              status,
                                        guint64            duration_us,
                                        GVariant          *usage,
                                        const char        *stop_reason,
                                        const char        *error,
                                        const char        *route)
{
  emit_to_watchers (CC_PROXY_DBUS_SERVICE (object), "RequestFinished",
                    g_variant_new ("(sut@a{st}sss)", id, status, duration_us, usage, stop_reason, error, route));
}

static void
cc_proxy_dbus_service_iface_init (CcProxyDBusProxy1Iface *iface)
{
  iface->handle_get_client_environment = cc_proxy_dbus_service_handle_get_client_environment;
  iface->handle_get_recent_log = cc_proxy_dbus_service_handle_get_recent_log;
  iface->handle_reload = cc_proxy_dbus_service_handle_reload;
  iface->handle_add_instance = cc_proxy_dbus_service_handle_add_instance;
  iface->handle_answer_budget = cc_proxy_dbus_service_handle_answer_budget;
  iface->handle_remove_instance = cc_proxy_dbus_service_handle_remove_instance;
  iface->handle_add_route = cc_proxy_dbus_service_handle_add_route;
  iface->handle_set_pool = cc_proxy_dbus_service_handle_set_pool;
  iface->handle_remove_pool = cc_proxy_dbus_service_handle_remove_pool;
  iface->handle_remove_route = cc_proxy_dbus_service_handle_remove_route;
  iface->handle_move_route = cc_proxy_dbus_service_handle_move_route;
  iface->handle_set_routes = cc_proxy_dbus_service_handle_set_routes;
  iface->handle_explain_route = cc_proxy_dbus_service_handle_explain_route;
  iface->handle_get_route_counters = cc_proxy_dbus_service_handle_get_route_counters;
  iface->handle_get_session = cc_proxy_dbus_service_handle_get_session;
  iface->handle_get_sessions = cc_proxy_dbus_service_handle_get_sessions;
  iface->handle_watch_traffic = cc_proxy_dbus_service_handle_watch_traffic;
  iface->handle_unwatch_traffic = cc_proxy_dbus_service_handle_unwatch_traffic;
  iface->request_started = cc_proxy_dbus_service_request_started;
  iface->response_started = cc_proxy_dbus_service_response_started;
  iface->request_finished = cc_proxy_dbus_service_request_finished;
}

/* ----- desktop notifications (org.freedesktop.Notifications) ----- */

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

static CcProxyAuthFlow *start_flow (CcProxyDBusService *self,
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
  if (answer_from_notification (self, id, action))
    return;
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

/* A provider needs the person to sign in again: the desktop is told
 * (its bus object's Attention follows by itself). */
static void
on_attention_changed (CcProxyAuthCapable *capable,
                      CcProxyDBusService *self)
{
  CcProxyProvider *provider = CC_PROXY_PROVIDER (capable);
  g_autofree char *reason = cc_proxy_auth_capable_dup_attention (capable);
  g_autofree char *summary = NULL;

  if (reason == NULL)
    return;
  summary = g_strdup_printf (_("%s needs you to sign in again"),
                             cc_proxy_provider_descriptor_get_display_name (cc_proxy_provider_get_descriptor (provider)));
  g_message ("%s: %s", summary, reason);
  notify_desktop (self, cc_proxy_provider_get_id (provider), summary, reason, TRUE);
}

/* ----- login flows ----- */

static void
retire_flow (gpointer data)
{
  cc_proxy_auth_flow_close (data);
  g_object_unref (data);
}

/* Over, and nobody left to read it: off the bus. */
static void
on_flow_closed (CcProxyAuthFlow    *flow,
                CcProxyDBusService *self)
{
  g_autoptr(GDBusObject) object = g_dbus_interface_dup_object (G_DBUS_INTERFACE (flow));
  g_autofree char *path = NULL;

  if (object == NULL || self->manager == NULL)
    return;
  path = g_strdup (g_dbus_object_get_object_path (object));
  g_dbus_object_manager_server_unexport (self->manager, path);
  g_hash_table_remove (self->flows, path);
}

/* A flow of the service's own (from a notification) shows its code and
 * its outcome as notifications, and opens the address. */
static void
on_own_flow_prompt_ready (CcProxyDBusProxy1AuthFlow *flow,
                          const char                *url,
                          const char                *code,
                          const char                *message,
                          CcProxyDBusService        *self)
{
  g_autofree char *summary = g_strdup_printf (_("Enter the code %s"), code);
  g_autofree char *body = g_strdup_printf (_("at %s (opened in your browser)"), url);

  notify_desktop (self, cc_proxy_dbus_proxy1_auth_flow_get_provider (flow), summary, body, FALSE);
  open_in_browser (self, url);
}

static void
on_own_flow_completed (CcProxyDBusProxy1AuthFlow *flow,
                       const char                *state,
                       const char                *message,
                       CcProxyDBusService        *self)
{
  notify_desktop (self, cc_proxy_dbus_proxy1_auth_flow_get_provider (flow), message, "", FALSE);
}

/* A login flow for @provider, published on the bus and started. @owner
 * (a unique name) alone sees it and may cancel it, and its leaving
 * cancels it; a flow without one is the service's own. */
static CcProxyAuthFlow *
start_flow (CcProxyDBusService *self,
            CcProxyProvider    *provider,
            const char         *owner,
            gboolean            force,
            gboolean            notify)
{
  g_autofree char *path = g_strdup_printf (CC_PROXY_DBUS_PATH "/auth/%u", ++self->next_flow);
  g_autoptr(GDBusObjectSkeleton) object = g_dbus_object_skeleton_new (path);
  CcProxyAuthFlow *flow = cc_proxy_auth_flow_new (self->runtime, provider, owner, force);

  g_dbus_object_skeleton_add_interface (object, G_DBUS_INTERFACE_SKELETON (flow));
  g_dbus_object_manager_server_export (self->manager, object);
  g_hash_table_insert (self->flows, g_steal_pointer (&path), flow);
  g_signal_connect_object (flow, "closed", G_CALLBACK (on_flow_closed), self, 0);
  if (notify)
    {
      g_signal_connect_object (flow, "prompt-ready", G_CALLBACK (on_own_flow_prompt_ready), self, 0);
      g_signal_connect_object (flow, "completed", G_CALLBACK (on_own_flow_completed), self, 0);
    }
  cc_proxy_auth_flow_start (flow);
  return flow;
}

static gboolean
on_handle_authenticate (CcProxyDBusProxy1Provider *object,
                        GDBusMethodInvocation     *invocation,
                        gboolean                   force,
                        CcProxyDBusService        *self)
{
  CcProxyProvider *provider = cc_proxy_bus_provider_get_provider (CC_PROXY_BUS_PROVIDER (object));
  CcProxyAuthFlow *flow;

  if (!CC_PROXY_IS_AUTH_CAPABLE (provider))
    {
      g_dbus_method_invocation_return_error (invocation, CC_PROXY_DBUS_ERROR, CC_PROXY_DBUS_ERROR_FAILED,
                                             _("The %s provider has no login"), cc_proxy_provider_get_id (provider));
      return TRUE;
    }
  flow = start_flow (self, provider, g_dbus_method_invocation_get_sender (invocation), force, FALSE);
  cc_proxy_dbus_proxy1_provider_complete_authenticate (object, invocation,
                                                       g_dbus_interface_skeleton_get_object_path (G_DBUS_INTERFACE_SKELETON (flow)));
  return TRUE;
}

/* ----- change notification ----- */

/* The skeleton sends PropertiesChanged for what really changed. */
static void
on_runtime_changed (CcProxyRuntime     *runtime,
                    CcProxyDBusService *self)
{
  const char *note = cc_proxy_runtime_get_fallback_note (runtime);

  cc_proxy_dbus_proxy1_set_active_provider (CC_PROXY_DBUS_PROXY1 (self),
                                            cc_proxy_snapshot_get_active_provider (snapshot (self)));
  cc_proxy_dbus_proxy1_set_active_provider_note (CC_PROXY_DBUS_PROXY1 (self), note ? note : "");
  {
    g_autoptr(GVariant) problems = cc_proxy_runtime_dup_refusals (runtime);

    cc_proxy_dbus_proxy1_set_setting_problems (CC_PROXY_DBUS_PROXY1 (self), problems);
  }
}

/* ----- traffic signals ----- */

/* Three small signals per request, built from the events, for those who
 * watch: enough for a live view. The last error is kept for status. */
static void
on_traffic_event (CcProxyEventSink   *sink,
                  CcProxyEvent       *event,
                  CcProxyDBusService *self)
{
  CcProxyDBusProxy1 *object = CC_PROXY_DBUS_PROXY1 (self);

  /* An error answer relayed whole (a host's, an upstream's) says why too. */
  if ((event->kind == CC_PROXY_EVENT_ERROR || event->kind == CC_PROXY_EVENT_PROXY_ERROR ||
       (event->kind == CC_PROXY_EVENT_RESPONSE_DONE && event->status >= 400)) && event->message != NULL)
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_local ();
      g_autofree char *time = g_date_time_format (now, "%Y-%m-%d %H:%M:%S");

      /* The message is redacted. */
      g_free (self->last_error);
      self->last_error = g_strdup_printf ("%s %s %s (%s): %s", time, event->method, event->path,
                                          event->provider_id, event->message);
    }
  if (g_hash_table_size (self->watchers) == 0)
    return;

  switch (event->kind)
    {
    case CC_PROXY_EVENT_REQUEST_HEADERS:
      {
        g_autofree char *path = event->query ? g_strconcat (event->path, "?", event->query, NULL)
                                             : g_strdup (event->path);

        cc_proxy_dbus_proxy1_emit_request_started (object, event->request_id, event->method, path,
                                                   event->provider_id, event->model ? event->model : "",
                                                   event->request_class ? event->request_class : "");
      }
      break;

    case CC_PROXY_EVENT_RESPONSE_HEADERS:
      cc_proxy_dbus_proxy1_emit_response_started (object, event->request_id, event->status);
      break;

    case CC_PROXY_EVENT_RESPONSE_DONE:
    case CC_PROXY_EVENT_ERROR:
    case CC_PROXY_EVENT_PROXY_ERROR:
      {
        g_auto(GVariantBuilder) usage = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a{st}"));
        JsonObject *counts = event->usage ? json_node_get_object (event->usage) : NULL;
        g_autoptr(GList) members = counts ? json_object_get_members (counts) : NULL;

        for (GList *l = members; l != NULL; l = l->next)
          g_variant_builder_add (&usage, "{st}", l->data, (guint64) cc_proxy_json_get_int (counts, l->data, 0));
        cc_proxy_dbus_proxy1_emit_request_finished (object, event->request_id, event->status,
                                                    (guint64) MAX (event->duration_us, 0),
                                                    g_variant_builder_end (&usage),
                                                    event->stop_reason ? event->stop_reason : "",
                                                    event->message ? event->message : "",
                                                    event->route ? event->route : "");
      }
      break;

    default:
      break;
    }
}

/* ----- lifecycle ----- */

static void
cc_proxy_dbus_service_dispose (GObject *object)
{
  CcProxyDBusService *self = (CcProxyDBusService *) object;

  cc_proxy_dbus_service_unexport (self);
  g_clear_object (&self->runtime);
  g_clear_object (&self->router);
  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);
  g_clear_pointer (&self->quota, g_variant_unref);
  g_clear_object (&self->hosts);
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

  g_hash_table_unref (self->flows);
  g_hash_table_unref (self->watchers);
  g_hash_table_unref (self->notifications);
  g_hash_table_unref (self->budget_notes);
  g_hash_table_unref (self->exported);
  G_OBJECT_CLASS (cc_proxy_dbus_service_parent_class)->finalize (object);
}

static void
cc_proxy_dbus_service_class_init (CcProxyDBusServiceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cc_proxy_dbus_service_dispose;
  object_class->finalize = cc_proxy_dbus_service_finalize;
  cc_proxy_dbus_interface_class_init (G_DBUS_INTERFACE_SKELETON_CLASS (klass), cc_proxy_dbus_service_read,
                                      cc_proxy_dbus_service_write);
}

static void
cc_proxy_dbus_service_init (CcProxyDBusService *self)
{
  self->flows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, retire_flow);
  self->watchers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, forget_watcher);
  self->notifications = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  self->budget_notes = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->exported = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  cc_proxy_dbus_proxy1_set_version (CC_PROXY_DBUS_PROXY1 (self), PACKAGE_VERSION);
}

/**
 * cc_proxy_dbus_service_new:
 * @runtime: the settings
 * @server: the HTTP side, for its address and counters
 * @sink: the events that become traffic signals
 * @capture: (nullable): the capture log, for its properties
 * @hosts: the provider hosts, started again by Reload
 */
CcProxyDBusService *
cc_proxy_dbus_service_new (CcProxyRuntime        *runtime,
                           CcProxyServer         *server,
                           CcProxyEventSink      *sink,
                           CcProxyCaptureLog     *capture,
                           CcProxyHostSupervisor *hosts)
{
  CcProxyDBusService *self = g_object_new (CC_PROXY_TYPE_DBUS_SERVICE, NULL);

  self->runtime = g_object_ref (runtime);
  self->hosts = g_object_ref (hosts);
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
      g_autoptr(CcProxyBusProvider) bus_provider = NULL;
      g_autofree char *path = NULL;

      if (g_hash_table_contains (self->exported, id))
        continue;
      path = cc_proxy_dbus_provider_path (id);
      object = g_dbus_object_skeleton_new (path);
      bus_provider = cc_proxy_bus_provider_new (self->runtime, provider);
      g_signal_connect_object (bus_provider, "handle-authenticate", G_CALLBACK (on_handle_authenticate), self, 0);
      g_dbus_object_skeleton_add_interface (object, G_DBUS_INTERFACE_SKELETON (bus_provider));
      g_dbus_object_manager_server_export (self->manager, object);
      g_hash_table_add (self->exported, g_strdup (id));
      if (CC_PROXY_IS_AUTH_CAPABLE (provider))
        g_signal_connect_object (provider, "attention-changed", G_CALLBACK (on_attention_changed), self, 0);
    }
}

/* Reload: settings read again, provider modules that appeared in the
 * provider directories since the start loaded and put on the bus, and
 * broken hosts tried again (what broke them may have been fixed). */
static void
reload (CcProxyDBusService *self)
{
  CcProxyRegistry *registry = cc_proxy_runtime_get_registry (self->runtime);
  gboolean added = cc_proxy_registry_rescan (registry) > 0;

  if (added)
    cc_proxy_settings_add_providers (cc_proxy_runtime_get_settings (self->runtime));
  cc_proxy_host_supervisor_start (self->hosts);
  if (added)
    {
      export_providers (self);
      publish_providers (self);
    }
  cc_proxy_settings_reload (cc_proxy_runtime_get_settings (self->runtime));
  /* Routes may name a provider that is loaded now. */
  if (self->router != NULL)
    cc_proxy_router_reload (self->router);
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
  g_auto(GStrv) ids = NULL;

  g_return_val_if_fail (self->connection == NULL, FALSE);

  /* What is on the bus from the start is the baseline for change signals. */
  ids = provider_ids (cc_proxy_runtime_get_registry (self->runtime));
  cc_proxy_dbus_proxy1_set_providers (CC_PROXY_DBUS_PROXY1 (self), (const char * const *) ids);
  on_runtime_changed (self->runtime, self);
  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self), connection, CC_PROXY_DBUS_PATH, error))
    return FALSE;
  self->connection = g_object_ref (connection);
  self->manager = g_dbus_object_manager_server_new (CC_PROXY_DBUS_PATH);
  g_dbus_object_manager_server_set_connection (self->manager, connection);
  export_providers (self);
  self->action_id = g_dbus_connection_signal_subscribe (connection, NULL, NOTIFICATIONS_NAME, "ActionInvoked",
                                                        NOTIFICATIONS_PATH, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                        on_action_invoked, self, NULL);
  self->changed_id = g_signal_connect (self->runtime, "changed", G_CALLBACK (on_runtime_changed), self);
  self->instance_added_id = g_signal_connect_swapped (cc_proxy_runtime_get_registry (self->runtime), "instance-added",
                                                      G_CALLBACK (on_instance_added), self);
  self->instance_removed_id = g_signal_connect_swapped (cc_proxy_runtime_get_registry (self->runtime),
                                                        "instance-removed", G_CALLBACK (on_instance_removed), self);
  self->event_id = g_signal_connect (self->sink, "event", G_CALLBACK (on_traffic_event), self);
  self->ledger = cc_proxy_session_ledger_new (self->sink);
  self->guard = cc_proxy_spend_guard_new (self->ledger, cc_proxy_settings_get_core_settings (cc_proxy_runtime_get_settings (self->runtime)));
  g_signal_connect (self->guard, "question", G_CALLBACK (on_budget_question), self);
  g_signal_connect (self->guard, "question-closed", G_CALLBACK (on_budget_question_closed), self);
  if (self->server != NULL)
    cc_proxy_server_set_spend_guard (self->server, self->guard);
  return TRUE;
}

void
cc_proxy_dbus_service_unexport (CcProxyDBusService *self)
{
  if (self->connection == NULL)
    return;

  g_clear_signal_handler (&self->changed_id, self->runtime);
  g_clear_signal_handler (&self->instance_added_id, cc_proxy_runtime_get_registry (self->runtime));
  g_clear_signal_handler (&self->instance_removed_id, cc_proxy_runtime_get_registry (self->runtime));
  g_clear_signal_handler (&self->event_id, self->sink);
  if (self->server != NULL)
    cc_proxy_server_set_spend_guard (self->server, NULL);
  if (self->guard != NULL)
    g_signal_handlers_disconnect_by_data (self->guard, self);
  /* A request still waiting gets the default as the guard goes. */
  g_clear_object (&self->guard);
  g_hash_table_remove_all (self->budget_notes);
  g_clear_object (&self->ledger);
  if (self->action_id != 0)
    g_dbus_connection_signal_unsubscribe (self->connection, self->action_id);
  self->action_id = 0;
  g_hash_table_remove_all (self->flows);
  g_hash_table_remove_all (self->watchers);
  g_dbus_object_manager_server_set_connection (self->manager, NULL);
  g_clear_object (&self->manager);
  g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self));
  g_hash_table_remove_all (self->exported);
  g_clear_object (&self->connection);
}
