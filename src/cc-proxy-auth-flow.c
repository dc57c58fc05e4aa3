/* cc-proxy-auth-flow.c: one login, published as org.ccproxy.Proxy1.AuthFlow
 *
 * A flow runs a provider's login, stores what it got (secrets in the
 * keyring) and reports on the bus. Like an xdg-desktop-portal request it
 * belongs to the caller of Authenticate: the code to type, the changes
 * and the signals go to that caller alone, nobody else may cancel it, and
 * it is cancelled when that caller leaves the bus. A flow without an
 * owner (started from a notification) is the service's own, and public.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "cc-proxy-dbus"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "cc-proxy-auth-flow.h"
#include "cc-proxy-dbus-interface.h"

#define INTERFACE_NAME "org.ccproxy.Proxy1.AuthFlow"

/* How long a finished flow stays readable on the bus. */
#define EXPIRY_SECONDS 300

struct _CcProxyAuthFlow
{
  CcProxyDBusProxy1AuthFlowSkeleton parent_instance;

  CcProxyRuntime    *runtime;
  CcProxyProvider   *provider;
  char              *owner;         /* the caller's unique name, or NULL */
  gboolean           force;
  guint              owner_watch;
  gboolean           owner_gone;
  gboolean           closed;
  GCancellable      *cancellable;
  CcProxyAuthPrompt *prompt;
  guint              expire_id;
  guint              pending;       /* values still being stored */
  GError            *store_error;
  gboolean           session_only;  /* the keyring could not take the login */
  gboolean           activate;
};

enum {
  CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void cc_proxy_auth_flow_iface_init (CcProxyDBusProxy1AuthFlowIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (CcProxyAuthFlow, cc_proxy_auth_flow, CC_PROXY_DBUS_TYPE_PROXY1_AUTH_FLOW_SKELETON,
                               G_IMPLEMENT_INTERFACE (CC_PROXY_DBUS_TYPE_PROXY1_AUTH_FLOW, cc_proxy_auth_flow_iface_init))

static gboolean
is_private (const char *property_name)
{
  return g_str_equal (property_name, "UserCode") || g_str_equal (property_name, "VerificationUrl");
}

/* ----- what goes on the bus, and to whom ----- */

static void
emit_to_owner (CcProxyAuthFlow *self,
               const char      *interface_name,
               const char      *signal_name,
               GVariant        *parameters)
{
  GDBusInterfaceSkeleton *skeleton = G_DBUS_INTERFACE_SKELETON (self);
  GDBusConnection *connection = g_dbus_interface_skeleton_get_connection (skeleton);

  g_variant_ref_sink (parameters);
  if (connection != NULL)
    g_dbus_connection_emit_signal (connection, self->owner, g_dbus_interface_skeleton_get_object_path (skeleton),
                                   interface_name, signal_name, parameters, NULL);
  g_variant_unref (parameters);
}

/* Sets what the flow shows and sends the change, as one
 * PropertiesChanged, to its owner (to everyone for the service's own). */
static void
update (CcProxyAuthFlow *self,
        const char      *state,
        const char      *message)
{
  CcProxyDBusProxy1AuthFlow *flow = CC_PROXY_DBUS_PROXY1_AUTH_FLOW (self);
  g_auto(GVariantBuilder) changed = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  const char *url = self->prompt ? cc_proxy_auth_prompt_get_verification_url (self->prompt) : NULL;
  const char *code = self->prompt ? cc_proxy_auth_prompt_get_user_code (self->prompt) : NULL;

  g_object_freeze_notify (G_OBJECT (self));
  cc_proxy_dbus_proxy1_auth_flow_set_state (flow, state);
  cc_proxy_dbus_proxy1_auth_flow_set_message (flow, message ? message : "");
  cc_proxy_dbus_proxy1_auth_flow_set_verification_url (flow, url ? url : "");
  cc_proxy_dbus_proxy1_auth_flow_set_user_code (flow, code ? code : "");
  g_object_thaw_notify (G_OBJECT (self));

  g_variant_builder_add (&changed, "{sv}", "State", g_variant_new_string (state));
  g_variant_builder_add (&changed, "{sv}", "Message", g_variant_new_string (message ? message : ""));
  if (g_str_equal (state, "waiting"))
    {
      g_variant_builder_add (&changed, "{sv}", "VerificationUrl", g_variant_new_string (url ? url : ""));
      g_variant_builder_add (&changed, "{sv}", "UserCode", g_variant_new_string (code ? code : ""));
    }
  emit_to_owner (self, "org.freedesktop.DBus.Properties", "PropertiesChanged",
                 g_variant_new ("(sa{sv}as)", INTERFACE_NAME, &changed, NULL));
}

/* The generated skeleton sends PropertiesChanged to everyone from its
 * notify handler; update() sends it where it belongs instead. */
static void
cc_proxy_auth_flow_notify (GObject    *object,
                           GParamSpec *pspec)
{
}

/* The generated signals' class handlers broadcast; these unicast. */
static void
cc_proxy_auth_flow_prompt_ready (CcProxyDBusProxy1AuthFlow *flow,
                                 const char                *verification_url,
                                 const char                *user_code,
                                 const char                *message)
{
  emit_to_owner (CC_PROXY_AUTH_FLOW (flow), INTERFACE_NAME, "PromptReady",
                 g_variant_new ("(sss)", verification_url, user_code, message));
}

static void
cc_proxy_auth_flow_completed (CcProxyDBusProxy1AuthFlow *flow,
                              const char                *state,
                              const char                *message)
{
  emit_to_owner (CC_PROXY_AUTH_FLOW (flow), INTERFACE_NAME, "Completed", g_variant_new ("(ss)", state, message));
}

/* Only the caller that started a flow may end it; a finished flow
 * ignores it. */
static gboolean
cc_proxy_auth_flow_handle_cancel (CcProxyDBusProxy1AuthFlow *flow,
                                  GDBusMethodInvocation     *invocation)
{
  CcProxyAuthFlow *self = CC_PROXY_AUTH_FLOW (flow);

  if (self->owner != NULL && g_strcmp0 (g_dbus_method_invocation_get_sender (invocation), self->owner) != 0)
    {
      g_dbus_method_invocation_return_error_literal (invocation, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED,
                                                     _("Only the caller that started this login may cancel it"));
      return TRUE;
    }
  g_cancellable_cancel (self->cancellable);
  cc_proxy_dbus_proxy1_auth_flow_complete_cancel (flow, invocation);
  return TRUE;
}

static void
cc_proxy_auth_flow_iface_init (CcProxyDBusProxy1AuthFlowIface *iface)
{
  iface->handle_cancel = cc_proxy_auth_flow_handle_cancel;
  iface->prompt_ready = cc_proxy_auth_flow_prompt_ready;
  iface->completed = cc_proxy_auth_flow_completed;
}

/* What the person must type is for the flow's owner alone: others
 * (and GetManagedObjects, read by no one in particular) see it empty. */
static GVariant *
cc_proxy_auth_flow_read (GDBusInterfaceSkeleton *skeleton,
                         const char             *sender,
                         const char             *property_name)
{
  CcProxyAuthFlow *self = CC_PROXY_AUTH_FLOW (skeleton);

  if (self->owner != NULL && g_strcmp0 (sender, self->owner) != 0 && is_private (property_name))
    return g_variant_new_string ("");
  return NULL;
}

/* ----- the login ----- */

static gboolean
on_expired (gpointer user_data)
{
  CcProxyAuthFlow *self = user_data;

  self->expire_id = 0;
  g_signal_emit (self, signals[CLOSED], 0);
  return G_SOURCE_REMOVE;
}

static void
complete (CcProxyAuthFlow *self,
          const char      *state,
          const char      *message)
{
  update (self, state, message);
  cc_proxy_dbus_proxy1_auth_flow_emit_completed (CC_PROXY_DBUS_PROXY1_AUTH_FLOW (self), state, message);
  /* Readable for a while by its owner; gone at once when the owner is. */
  if (!self->closed)
    self->expire_id = self->owner_gone ? g_idle_add (on_expired, self)
                                       : g_timeout_add_seconds (EXPIRY_SECONDS, on_expired, self);
}

static void
on_prompt_shown (CcProxyAuthPrompt *prompt,
                 CcProxyAuthFlow   *self)
{
  const char *url = cc_proxy_auth_prompt_get_verification_url (prompt);
  const char *code = cc_proxy_auth_prompt_get_user_code (prompt);
  const char *message = cc_proxy_auth_prompt_get_message (prompt);

  update (self, "waiting", message);
  cc_proxy_dbus_proxy1_auth_flow_emit_prompt_ready (CC_PROXY_DBUS_PROXY1_AUTH_FLOW (self), url ? url : "",
                                                    code ? code : "", message ? message : "");
}

static void
finish_storing (CcProxyAuthFlow   *self,
                CcProxyAuthResult *result)
{
  g_autoptr(GError) error = NULL;
  const char *id = cc_proxy_provider_get_id (self->provider);

  if (self->store_error != NULL)
    {
      g_autofree char *message = g_strdup_printf (_("Signed in, but the credentials could not be stored: %s"),
                                                  self->store_error->message);

      complete (self, "failed", message);
      return;
    }
  if (self->activate &&
      !cc_proxy_settings_set_active_provider (cc_proxy_runtime_get_settings (self->runtime), id, &error))
    {
      complete (self, "failed", error->message);
      return;
    }
  if (self->session_only)
    {
      /* Never silent: the person must know the login will not last. */
      g_autofree char *message = g_strdup_printf (_("%s, for this session only: no keyring is available to keep "
                                                    "the login, so cc-proxyd holds it in memory until it stops. "
                                                    "To keep it, start or unlock a keyring "
                                                    "(gnome-keyring-daemon --unlock) and sign in again."),
                                                  cc_proxy_auth_result_get_message (result));

      complete (self, "succeeded", message);
      return;
    }
  complete (self, "succeeded", cc_proxy_auth_result_get_message (result));
}

typedef struct
{
  CcProxyAuthFlow   *flow;
  CcProxyAuthResult *result;
  char              *key;
  char              *value;
} Storing;

static void
storing_free (Storing *storing)
{
  g_object_unref (storing->flow);
  cc_proxy_auth_result_unref (storing->result);
  g_free (storing->key);
  g_free (storing->value);
  g_free (storing);
}

static void
on_value_stored (GObject      *source,
                 GAsyncResult *res,
                 gpointer      user_data)
{
  Storing *storing = user_data;
  CcProxyAuthFlow *self = storing->flow;
  CcProxySettings *settings = CC_PROXY_SETTINGS (source);
  const char *id = cc_proxy_provider_get_id (self->provider);
  g_autoptr(GError) error = NULL;

  if (!cc_proxy_settings_set_value_finish (settings, res, &error))
    {
      /* A login the keyring cannot take is kept in memory, not lost. */
      if (g_error_matches (error, CC_PROXY_SETTINGS_ERROR, CC_PROXY_SETTINGS_ERROR_KEYRING_UNAVAILABLE) &&
          cc_proxy_settings_keep_secret (settings, id, storing->key, storing->value, NULL))
        {
          g_message ("The keyring could not take the %s login (%s); it is kept in memory", id, error->message);
          self->session_only = TRUE;
        }
      else if (self->store_error == NULL)
        self->store_error = g_steal_pointer (&error);
    }
  if (--self->pending == 0 && !self->closed)
    finish_storing (self, storing->result);
  storing_free (storing);
}

static void
on_login_done (GObject      *source,
               GAsyncResult *res,
               gpointer      user_data)
{
  g_autoptr(CcProxyAuthFlow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CcProxyAuthResult) result = cc_proxy_auth_capable_run_auth_flow_finish (CC_PROXY_AUTH_CAPABLE (source),
                                                                                     res, &error);
  GHashTableIter iter;
  gpointer key, value;

  if (self->closed)
    return;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      complete (self, "cancelled", _("The login was cancelled"));
      return;
    }
  if (result == NULL)
    {
      complete (self, "failed", error->message);
      return;
    }

  /* Store what the login got (secrets go to the keyring), then report. */
  self->activate = cc_proxy_auth_result_get_activate (result);
  self->pending = 1;
  g_hash_table_iter_init (&iter, cc_proxy_auth_result_get_values (result));
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Storing *storing = g_new0 (Storing, 1);

      storing->flow = g_object_ref (self);
      storing->result = cc_proxy_auth_result_ref (result);
      storing->key = g_strdup (key);
      storing->value = g_strdup (value);
      self->pending++;
      cc_proxy_settings_set_value_async (cc_proxy_runtime_get_settings (self->runtime),
                                         cc_proxy_provider_get_id (self->provider), key, g_variant_new_string (value),
                                         NULL, on_value_stored, storing);
    }
  if (--self->pending == 0)
    finish_storing (self, result);
}

static gboolean
run (gpointer user_data)
{
  CcProxyAuthFlow *self = user_data;

  if (self->closed)
    return G_SOURCE_REMOVE;
  self->prompt = cc_proxy_auth_prompt_new (cc_proxy_runtime_get_snapshot (self->runtime));
  g_signal_connect_object (self->prompt, "shown", G_CALLBACK (on_prompt_shown), self, 0);
  cc_proxy_auth_capable_run_auth_flow_async (CC_PROXY_AUTH_CAPABLE (self->provider), self->force, self->prompt,
                                             self->cancellable, on_login_done, g_object_ref (self));
  return G_SOURCE_REMOVE;
}

/* The owner left: nobody is there to show the code to any more. */
static void
on_owner_vanished (GDBusConnection *connection,
                   const char      *name,
                   gpointer         user_data)
{
  CcProxyAuthFlow *self = user_data;

  self->owner_gone = TRUE;
  if (self->expire_id == 0)
    {
      g_cancellable_cancel (self->cancellable);
      return;
    }
  /* Over already: nobody is left to read the outcome. */
  g_source_remove (self->expire_id);
  self->expire_id = g_idle_add (on_expired, self);
}

/* ----- lifecycle ----- */

static void
cc_proxy_auth_flow_dispose (GObject *object)
{
  CcProxyAuthFlow *self = CC_PROXY_AUTH_FLOW (object);

  cc_proxy_auth_flow_close (self);
  g_clear_object (&self->prompt);
  G_OBJECT_CLASS (cc_proxy_auth_flow_parent_class)->dispose (object);
}

static void
cc_proxy_auth_flow_finalize (GObject *object)
{
  CcProxyAuthFlow *self = CC_PROXY_AUTH_FLOW (object);

  g_object_unref (self->runtime);
  g_object_unref (self->provider);
  g_object_unref (self->cancellable);
  g_free (self->owner);
  g_clear_error (&self->store_error);
  G_OBJECT_CLASS (cc_proxy_auth_flow_parent_class)->finalize (object);
}

static void
cc_proxy_auth_flow_class_init (CcProxyAuthFlowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cc_proxy_auth_flow_dispose;
  object_class->finalize = cc_proxy_auth_flow_finalize;
  object_class->notify = cc_proxy_auth_flow_notify;
  cc_proxy_dbus_interface_class_init (G_DBUS_INTERFACE_SKELETON_CLASS (klass), cc_proxy_auth_flow_read, NULL);

  /**
   * CcProxyAuthFlow::closed:
   *
   * The flow is over and nobody is left to read it (its owner left, or
   * it expired): time to take it off the bus.
   */
  signals[CLOSED] = g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                  G_TYPE_NONE, 0);
}

static void
cc_proxy_auth_flow_init (CcProxyAuthFlow *self)
{
  self->cancellable = g_cancellable_new ();
}

/**
 * cc_proxy_auth_flow_new:
 * @runtime: where the login's values are stored
 * @provider: a provider that is #CcProxyAuthCapable
 * @owner: (nullable): the unique name of the caller of Authenticate, or
 *   %NULL for a flow of the service's own
 * @force: sign in even when signed in already
 *
 * Returns: (transfer full): a flow, not started: put it on the bus, then
 *   cc_proxy_auth_flow_start() it
 */
CcProxyAuthFlow *
cc_proxy_auth_flow_new (CcProxyRuntime  *runtime,
                        CcProxyProvider *provider,
                        const char      *owner,
                        gboolean         force)
{
  CcProxyAuthFlow *self;

  g_return_val_if_fail (CC_PROXY_IS_AUTH_CAPABLE (provider), NULL);

  self = g_object_new (CC_PROXY_TYPE_AUTH_FLOW,
                       "provider", cc_proxy_provider_get_id (provider),
                       "state", "starting",
                       NULL);
  self->runtime = g_object_ref (runtime);
  self->provider = g_object_ref (provider);
  self->owner = g_strdup (owner);
  self->force = force;
  return self;
}

/**
 * cc_proxy_auth_flow_start:
 * @self: a flow on the bus
 *
 * Runs the login from an idle, so that whoever asked has the flow's path
 * before anything happens on it, and watches the owner.
 */
void
cc_proxy_auth_flow_start (CcProxyAuthFlow *self)
{
  GDBusConnection *connection = g_dbus_interface_skeleton_get_connection (G_DBUS_INTERFACE_SKELETON (self));

  g_return_if_fail (CC_PROXY_IS_AUTH_FLOW (self));
  g_return_if_fail (connection != NULL);

  if (self->owner != NULL)
    self->owner_watch = g_bus_watch_name_on_connection (connection, self->owner, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                        NULL, on_owner_vanished, self, NULL);
  g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, run, g_object_ref (self), g_object_unref);
}

/**
 * cc_proxy_auth_flow_close:
 * @self: a flow
 *
 * Cuts the flow loose, as it goes off the bus: the login is cancelled if
 * still running, and nothing more is reported.
 */
void
cc_proxy_auth_flow_close (CcProxyAuthFlow *self)
{
  g_return_if_fail (CC_PROXY_IS_AUTH_FLOW (self));

  self->closed = TRUE;
  g_clear_handle_id (&self->owner_watch, g_bus_unwatch_name);
  g_clear_handle_id (&self->expire_id, g_source_remove);
  g_cancellable_cancel (self->cancellable);
}
