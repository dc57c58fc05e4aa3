/* cc-panel-window.c: providers and traffic, from cc-proxyd's bus API
 *
 * A client of org.ccproxy.Proxy1 and nothing else (it never reads
 * GSettings or the keyring): the providers come from the object manager,
 * the traffic from the main object's signals. When cc-proxyd is not
 * running, making the object manager starts it (D-Bus activation); when
 * it goes away, the window says so and picks it up again when it comes
 * back.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "cc-panel-chart.h"
#include "cc-panel-routes-page.h"
#include "cc-panel-window.h"

#define NAME "org.ccproxy.Proxy1"
#define PATH "/org/ccproxy/Proxy1"
/* Traffic rows kept: the newest first. */
#define MAX_TRAFFIC 500

struct _CcPanelWindow
{
  AdwApplicationWindow  parent_instance;

  GDBusConnection      *bus;
  GCancellable         *cancellable;
  GDBusObjectManager   *manager;
  CcProxyDBusProxy1    *daemon;
  GHashTable           *groups;      /* provider id → CcPanelProviderGroup */
  GHashTable           *started;     /* request id → "METHOD PATH · provider · model" */
  GListStore           *traffic;     /* GtkStringObject: "title\nsubtitle" */

  AdwToastOverlay      *toasts;
  AdwViewStack         *stack;
  AdwViewSwitcherBar   *switcher_bar;  /* the pages, when the title has no room */
  GtkRevealer          *banner;
  GtkLabel             *banner_label;
  GtkWidget            *banner_button;
  char                 *banner_provider;  /* whose attention it shows */
  char                 *pending_sign_in;  /* asked for before its provider was listed */
  GtkStack             *providers_stack;
  AdwPreferencesPage   *providers_page;
  AdwComboRow          *active_row;
  AdwActionRow         *counters_row;
  AdwActionRow         *address_row;   /* where cc-proxyd listens, or why not */
  AdwActionRow         *hosts_row;     /* the provider hosts' states */
  AdwActionRow         *capture_row;
  AdwActionRow         *last_error_row;
  CcPanelRoutesPage    *routes_page;
  CcPanelChart         *chart;
  AdwPreferencesGroup  *errors_group;
  GPtrArray            *error_rows;
  GtkStringList        *active_ids;
  char                 *last_toast;   /* what the window last said */
  GtkWidget            *budget_dialog;   /* weak: the budget question shown */
  guint                 budget_question; /* its id */
  gboolean              filling_active;
  gboolean              watching;     /* the daemon sends us its traffic */
};

G_DEFINE_FINAL_TYPE (CcPanelWindow, cc_panel_window, ADW_TYPE_APPLICATION_WINDOW)

static void
toast (CcPanelWindow *self,
       const char    *text)
{
  g_free (self->last_toast);
  self->last_toast = g_strdup (text);
  adw_toast_overlay_add_toast (self->toasts, adw_toast_new (text));
}

/* ----- the service: where it listens, its hosts, its capture log ----- */

static const char *
lookup_string (GVariant   *properties,
               const char *name)
{
  const char *value = NULL;

  g_variant_lookup (properties, name, "&s", &value);
  return value != NULL ? value : "";
}

static void
set_row (AdwActionRow *row,
         const char   *subtitle,
         gboolean      problem)
{
  adw_action_row_set_subtitle (row, subtitle);
  if (problem)
    gtk_widget_add_css_class (GTK_WIDGET (row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
}

/* What `cc-proxyctl status` says, from the daemon's properties. */
static void
fill_service (CcPanelWindow *self,
              GVariant      *properties)
{
  const char *address = lookup_string (properties, "ListenAddress");
  const char *start_error = lookup_string (properties, "StartError");
  const char *last_error = lookup_string (properties, "LastError");
  const char *capture_error = lookup_string (properties, "CaptureError");
  g_autoptr(GVariant) hosts = g_variant_lookup_value (properties, "ProviderHosts", G_VARIANT_TYPE ("a{sa{sv}}"));
  g_autoptr(GString) host_states = g_string_new (NULL);
  g_autofree char *capture = NULL;
  gboolean capturing = FALSE, broken = FALSE;
  guint64 lines = 0;

  if (start_error[0] != '\0')
    set_row (self->address_row, start_error, TRUE);
  else
    set_row (self->address_row, address, FALSE);

  if (hosts != NULL)
    {
      GVariantIter iter;
      const char *id;
      GVariant *state;

      g_variant_iter_init (&iter, hosts);
      while (g_variant_iter_next (&iter, "{&s@a{sv}}", &id, &state))
        {
          g_autoptr(GVariant) owned = state;
          const char *name = lookup_string (state, "State");
          const char *why = lookup_string (state, "LastError");

          g_string_append_printf (host_states, "%s%s: %s", host_states->len ? " · " : "", id, name);
          if (g_str_equal (name, "broken"))
            {
              g_string_append_printf (host_states, " (%s)", why);
              broken = TRUE;
            }
        }
    }
  gtk_widget_set_visible (GTK_WIDGET (self->hosts_row), host_states->len > 0);
  set_row (self->hosts_row, host_states->str, broken);

  g_variant_lookup (properties, "CaptureEnabled", "b", &capturing);
  g_variant_lookup (properties, "CaptureLinesWritten", "t", &lines);
  if (capture_error[0] != '\0')
    capture = g_strdup (capture_error);
  else if (capturing)
    capture = g_strdup_printf (_("On: %s (%" G_GUINT64_FORMAT " lines written)"),
                               lookup_string (properties, "CaptureDirectory"), lines);
  else
    capture = g_strdup (_("Off"));
  set_row (self->capture_row, capture, capture_error[0] != '\0');

  gtk_widget_set_visible (GTK_WIDGET (self->last_error_row), last_error[0] != '\0');
  set_row (self->last_error_row, last_error, TRUE);
}

static void
on_environment (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(CcPanelWindow) self = user_data;
  g_autoptr(GVariant) environment = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  GVariantIter iter;
  const char *name, *value;

  if (!cc_proxy_dbus_proxy1_call_get_client_environment_finish (CC_PROXY_DBUS_PROXY1 (source), &environment,
                                                                result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_dbus_error_strip_remote_error (error);
          toast (self, error->message);
        }
      return;
    }
  /* As `cc-proxyctl env` prints them: export lines, shell-quoted. */
  g_variant_iter_init (&iter, environment);
  while (g_variant_iter_next (&iter, "{&s&s}", &name, &value))
    {
      g_autofree char *quoted = g_shell_quote (value);

      g_string_append_printf (text, "export %s=%s\n", name, quoted);
    }
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), text->str);
  toast (self, _("The environment for Claude Code is copied: paste it into a terminal, then run claude"));
}

/**
 * cc_panel_window_copy_environment:
 *
 * Copies the environment Claude Code needs to use cc-proxyd, as
 * `export` lines, to the clipboard, as the "Copy Environment" button
 * does.
 */
void
cc_panel_window_copy_environment (CcPanelWindow *self)
{
  if (self->daemon != NULL)
    cc_proxy_dbus_proxy1_call_get_client_environment (self->daemon, self->cancellable, on_environment,
                                                      g_object_ref (self));
}

static AdwActionRow *
add_service_row (AdwPreferencesGroup *group,
                 const char          *title)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_group_add (group, row);
  return ADW_ACTION_ROW (row);
}

static AdwPreferencesGroup *
build_service (CcPanelWindow *self)
{
  AdwPreferencesGroup *group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  GtkWidget *copy = gtk_button_new_with_mnemonic (_("_Copy Environment"));

  self->address_row = add_service_row (group, _("Listening on"));
  gtk_widget_set_valign (copy, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (copy, _("Copy the variables Claude Code needs, as export lines"));
  g_signal_connect_swapped (copy, "clicked", G_CALLBACK (cc_panel_window_copy_environment), self);
  adw_action_row_add_suffix (self->address_row, copy);
  self->hosts_row = add_service_row (group, _("Provider hosts"));
  self->capture_row = add_service_row (group, _("Capture log"));
  self->last_error_row = add_service_row (group, _("Last error"));
  gtk_widget_set_visible (GTK_WIDGET (self->hosts_row), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->last_error_row), FALSE);
  return group;
}

/* ----- traffic ----- */

static void
on_counters (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(CcPanelWindow) self = user_data;
  g_autoptr(GVariant) reply = g_dbus_proxy_call_finish (G_DBUS_PROXY (source), result, NULL);
  g_autoptr(GVariant) properties = NULL;
  g_autoptr(GVariant) errors = NULL;
  g_autofree char *text = NULL;
  guint64 total = 0, failed = 0;
  guint32 active = 0;
  GVariantIter iter;
  const char *module, *message;

  if (reply == NULL || self->errors_group == NULL)
    return;
  properties = g_variant_get_child_value (reply, 0);
  g_variant_lookup (properties, "RequestsTotal", "t", &total);
  g_variant_lookup (properties, "RequestsActive", "u", &active);
  g_variant_lookup (properties, "RequestsFailed", "t", &failed);
  text = g_strdup_printf (_("%" G_GUINT64_FORMAT " total, %u in progress, %" G_GUINT64_FORMAT " failed"),
                          total, active, failed);
  adw_action_row_set_subtitle (self->counters_row, text);
  fill_service (self, properties);

  /* The modules that did not load, each with why. */
  for (guint i = 0; i < self->error_rows->len; i++)
    adw_preferences_group_remove (self->errors_group, g_ptr_array_index (self->error_rows, i));
  g_ptr_array_set_size (self->error_rows, 0);
  errors = g_variant_lookup_value (properties, "PluginLoadErrors", G_VARIANT_TYPE ("a{ss}"));
  if (errors != NULL)
    {
      g_variant_iter_init (&iter, errors);
      while (g_variant_iter_next (&iter, "{&s&s}", &module, &message))
        {
          GtkWidget *row = adw_action_row_new ();

          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), module);
          adw_action_row_set_subtitle (ADW_ACTION_ROW (row), message);
          gtk_widget_add_css_class (row, "error");
          adw_preferences_group_add (self->errors_group, row);
          g_ptr_array_add (self->error_rows, row);
        }
    }
  gtk_widget_set_visible (GTK_WIDGET (self->errors_group), self->error_rows->len > 0);
}

/* The daemon's counters are read on demand (they send no change
 * signal): read again after each request. */
static void
refresh_counters (CcPanelWindow *self)
{
  if (self->daemon != NULL)
    g_dbus_proxy_call (G_DBUS_PROXY (self->daemon), "org.freedesktop.DBus.Properties.GetAll",
                       g_variant_new ("(s)", NAME), G_DBUS_CALL_FLAGS_NONE, -1, self->cancellable,
                       on_counters, g_object_ref (self));
}

static void
on_request_started (CcProxyDBusProxy1 *daemon,
                    const char        *id,
                    const char        *method,
                    const char        *path,
                    const char        *provider,
                    const char        *model,
                    const char        *request_class,
                    CcPanelWindow     *self)
{
  g_hash_table_replace (self->started, g_strdup (id),
                        g_strdup_printf ("%s %s · %s%s%s%s%s", method, path, provider, model[0] ? " · " : "", model,
                                         request_class[0] ? " · " : "", request_class));
}

static void
on_request_finished (CcProxyDBusProxy1 *daemon,
                     const char        *id,
                     guint              status,
                     guint64            duration_us,
                     GVariant          *usage,
                     const char        *stop_reason,
                     const char        *error,
                     const char        *route,
                     CcPanelWindow     *self)
{
  const char *what = g_hash_table_lookup (self->started, id);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *time = g_date_time_format (now, "%H:%M:%S");
  g_autofree char *line = NULL;
  g_autoptr(GtkStringObject) item = NULL;
  guint64 input = 0, output = 0;

  g_variant_lookup (usage, "input_tokens", "t", &input);
  g_variant_lookup (usage, "output_tokens", "t", &output);
  line = g_strdup_printf (_("%s  %s\n%u · %.1f ms · %" G_GUINT64_FORMAT " in, %" G_GUINT64_FORMAT " out%s%s%s%s"),
                          time, what ? what : id, status, duration_us / 1000.0, input, output,
                          route[0] ? " · " : "", route, error[0] ? " · " : "", error);
  item = gtk_string_object_new (line);
  if (status >= 400 || error[0] != '\0')
    g_object_set_data (G_OBJECT (item), "cc-panel-error", GINT_TO_POINTER (TRUE));
  g_list_store_insert (self->traffic, 0, item);
  cc_panel_chart_add (self->chart, g_get_real_time (), input + output);
  refresh_counters (self);
  if (route[0] != '\0')
    cc_panel_routes_page_refresh (self->routes_page);
  if (g_list_model_get_n_items (G_LIST_MODEL (self->traffic)) > MAX_TRAFFIC)
    g_list_store_remove (self->traffic, MAX_TRAFFIC);
  g_hash_table_remove (self->started, id);
}

static GtkWidget *
make_traffic_row (gpointer item,
                  gpointer user_data)
{
  const char *text = gtk_string_object_get_string (item);
  const char *newline = strchr (text, '\n');
  g_autofree char *title = g_strndup (text, newline ? (gsize) (newline - text) : strlen (text));
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), newline ? newline + 1 : "");
  if (g_object_get_data (item, "cc-panel-error") != NULL)
    gtk_widget_add_css_class (row, "error");
  return row;
}

/* ----- providers ----- */

static void
on_active_set (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(CcPanelWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_proxy_call_finish (G_DBUS_PROXY (source), result, &error);

  if (reply == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_dbus_error_strip_remote_error (error);
      toast (self, error->message);
    }
}

static void
on_active_selected (AdwComboRow   *row,
                    GParamSpec    *pspec,
                    CcPanelWindow *self)
{
  GtkStringObject *item = adw_combo_row_get_selected_item (row);

  if (self->filling_active || item == NULL || self->daemon == NULL)
    return;
  /* Not the generated setter: it does not wait, and a refusal would
   * go unsaid. */
  g_dbus_proxy_call (G_DBUS_PROXY (self->daemon), "org.freedesktop.DBus.Properties.Set",
                     g_variant_new ("(ssv)", NAME, "ActiveProvider",
                                    g_variant_new_string (gtk_string_object_get_string (item))),
                     G_DBUS_CALL_FLAGS_NONE, -1, self->cancellable, on_active_set, g_object_ref (self));
}

static void
fill_active (CcPanelWindow *self)
{
  const char *active = self->daemon ? cc_proxy_dbus_proxy1_get_active_provider (self->daemon) : NULL;

  self->filling_active = TRUE;
  for (guint i = 0; active != NULL && i < g_list_model_get_n_items (G_LIST_MODEL (self->active_ids)); i++)
    if (g_str_equal (gtk_string_list_get_string (self->active_ids, i), active))
      adw_combo_row_set_selected (self->active_row, i);
  self->filling_active = FALSE;
}

/* The first provider (by id) that needs the person to sign in again,
 * in the banner with its "Sign In" button; no banner when none does. */
static void
update_banner (CcPanelWindow *self)
{
  GHashTableIter iter;
  gpointer id, group;
  const char *first = NULL;
  CcProxyDBusProxy1Provider *provider;
  g_autofree char *text = NULL;

  g_hash_table_iter_init (&iter, self->groups);
  while (g_hash_table_iter_next (&iter, &id, &group))
    {
      const char *attention = cc_proxy_dbus_proxy1_provider_get_attention (cc_panel_provider_group_get_provider (group));

      if (attention != NULL && attention[0] != '\0' && (first == NULL || strcmp (id, first) < 0))
        first = id;
    }
  gtk_revealer_set_reveal_child (self->banner, first != NULL);
  g_free (self->banner_provider);
  self->banner_provider = g_strdup (first);
  if (first == NULL)
    return;
  provider = cc_panel_provider_group_get_provider (g_hash_table_lookup (self->groups, first));
  text = g_strdup_printf (_("%s: %s"), cc_proxy_dbus_proxy1_provider_get_display_name (provider),
                          cc_proxy_dbus_proxy1_provider_get_attention (provider));
  gtk_label_set_text (self->banner_label, text);
}

/* ----- the premium request budget ----- */

static void
on_budget_answered_call (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(CcPanelWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  /* Answered elsewhere first, say: the toast tells. */
  if (!cc_proxy_dbus_proxy1_call_answer_budget_finish (CC_PROXY_DBUS_PROXY1 (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_dbus_error_strip_remote_error (error);
      toast (self, error->message);
    }
}

static void
on_budget_response (AdwMessageDialog *dialog,
                    const char       *response,
                    CcPanelWindow    *self)
{
  guint question = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (dialog), "cc-panel-question"));

  if (self->daemon != NULL && !g_str_equal (response, "close"))
    cc_proxy_dbus_proxy1_call_answer_budget (self->daemon, question, response, self->cancellable,
                                             on_budget_answered_call, g_object_ref (self));
}

/* A request waits before it goes over the budget: the same question as
 * the notification's, in the window. */
static void
on_budget_question (CcProxyDBusProxy1 *daemon,
                    guint              question,
                    const char        *session,
                    const char        *why,
                    CcPanelWindow     *self)
{
  GtkWidget *dialog;

  if (self->budget_dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (self->budget_dialog));
  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Over the Premium Request Budget"), NULL);
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog), _("%s. The request waits for your answer."), why);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "deny", _("_Deny"),
                                    "small-model", _("Use the _Small Model"),
                                    "allow-session", _("Allow This _Session"),
                                    "allow", _("_Allow Once"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "deny", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "allow", ADW_RESPONSE_SUGGESTED);
  /* Escape leaves the question to the notification, or the default. */
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "close");
  g_object_set_data (G_OBJECT (dialog), "cc-panel-question", GUINT_TO_POINTER (question));
  g_signal_connect (dialog, "response", G_CALLBACK (on_budget_response), self);
  self->budget_question = question;
  g_set_weak_pointer (&self->budget_dialog, dialog);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_budget_answered (CcProxyDBusProxy1 *daemon,
                    guint              question,
                    const char        *answer,
                    CcPanelWindow     *self)
{
  if (self->budget_dialog != NULL && self->budget_question == question)
    gtk_window_destroy (GTK_WINDOW (self->budget_dialog));
}

/**
 * cc_panel_window_get_budget_question:
 *
 * Returns: the id of the budget question the window shows, or 0
 */
guint
cc_panel_window_get_budget_question (CcPanelWindow *self)
{
  return self->budget_dialog != NULL ? self->budget_question : 0;
}

/**
 * cc_panel_window_answer_budget:
 * @answer: allow, allow-session, small-model or deny
 *
 * Answers the budget question shown, as its buttons do.
 */
void
cc_panel_window_answer_budget (CcPanelWindow *self,
                               const char    *answer)
{
  g_return_if_fail (self->budget_dialog != NULL);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (self->budget_dialog), answer);
}

/* ----- instances (docs/instances.md) ----- */

static void
on_instance_call (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(CcPanelWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);

  if (reply != NULL)
    return;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_dbus_error_strip_remote_error (error);
  toast (self, error->message);
}

/**
 * cc_panel_window_add_instance:
 * @kind: a provider module's provider id
 * @name: the new instance's name
 *
 * Adds an instance of @kind, as the "Add Provider" dialog does; its
 * group appears when the daemon has it, and a refusal is said in a toast.
 */
void
cc_panel_window_add_instance (CcPanelWindow *self,
                              const char    *kind,
                              const char    *name)
{
  g_dbus_connection_call (self->bus, NAME, PATH, "org.ccproxy.Proxy1", "AddInstance",
                          g_variant_new ("(ss)", kind, name), NULL, G_DBUS_CALL_FLAGS_NONE, -1,
                          self->cancellable, on_instance_call, g_object_ref (self));
}

/**
 * cc_panel_window_remove_instance:
 * @name: an instance
 *
 * Removes it, its settings and its keyring items, as the confirmed
 * "Remove" of its group does; a refusal is said in a toast.
 */
void
cc_panel_window_remove_instance (CcPanelWindow *self,
                                 const char    *name)
{
  g_dbus_connection_call (self->bus, NAME, PATH, "org.ccproxy.Proxy1", "RemoveInstance",
                          g_variant_new ("(s)", name), NULL, G_DBUS_CALL_FLAGS_NONE, -1,
                          self->cancellable, on_instance_call, g_object_ref (self));
}

static void
on_remove_response (AdwMessageDialog *dialog,
                    const char       *response,
                    CcPanelWindow    *self)
{
  if (g_str_equal (response, "remove"))
    cc_panel_window_remove_instance (self, g_object_get_data (G_OBJECT (dialog), "cc-panel-instance"));
}

static void
on_remove_requested (CcPanelWindow        *self,
                     CcPanelProviderGroup *group)
{
  const char *id = cc_proxy_dbus_proxy1_provider_get_id (cc_panel_provider_group_get_provider (group));
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), NULL, NULL);

  adw_message_dialog_format_heading (ADW_MESSAGE_DIALOG (dialog), _("Remove %s?"), id);
  adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (dialog),
                               _("Its settings and its keyring items are removed too."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"), "remove", _("_Remove"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "remove", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "cc-panel-instance", g_strdup (id), g_free);
  g_signal_connect (dialog, "response", G_CALLBACK (on_remove_response), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* The kinds instances can be made of: the hosted modules' own providers. */
static GtkStringList *
dup_kinds (CcPanelWindow *self)
{
  GtkStringList *kinds = gtk_string_list_new (NULL);
  GVariant *hosts = self->daemon ? cc_proxy_dbus_proxy1_get_provider_hosts (self->daemon) : NULL;
  GHashTableIter iter;
  gpointer id, group;

  g_hash_table_iter_init (&iter, self->groups);
  while (g_hash_table_iter_next (&iter, &id, &group))
    {
      CcProxyDBusProxy1Provider *provider = cc_panel_provider_group_get_provider (group);
      g_autoptr(GVariant) host = hosts ? g_variant_lookup_value (hosts, id, NULL) : NULL;

      if (host != NULL && g_strcmp0 (cc_proxy_dbus_proxy1_provider_get_kind (provider), id) == 0)
        gtk_string_list_append (kinds, id);
    }
  return kinds;
}

static void
on_add_response (AdwMessageDialog *dialog,
                 const char       *response,
                 CcPanelWindow    *self)
{
  GtkDropDown *kinds = g_object_get_data (G_OBJECT (dialog), "cc-panel-kinds");
  GtkEditable *name = g_object_get_data (G_OBJECT (dialog), "cc-panel-name");
  GtkStringObject *kind = gtk_drop_down_get_selected_item (kinds);

  if (g_str_equal (response, "add") && kind != NULL)
    cc_panel_window_add_instance (self, gtk_string_object_get_string (kind), gtk_editable_get_text (name));
}

static void
on_add_clicked (CcPanelWindow *self)
{
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Add a Provider"), NULL);
  g_autoptr(GtkStringList) kinds = dup_kinds (self);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *kind = gtk_drop_down_new (G_LIST_MODEL (g_object_ref (kinds)), NULL);
  GtkWidget *name = gtk_entry_new ();

  adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (dialog),
                               _("Another server or account of a kind, with settings and a login of its own. "
                                 "Its name: lower-case letters, digits and dashes."));
  gtk_entry_set_placeholder_text (GTK_ENTRY (name), _("Name, such as “work”"));
  gtk_box_append (GTK_BOX (box), kind);
  gtk_box_append (GTK_BOX (box), name);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"), "add", _("_Add"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "add", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "add");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data (G_OBJECT (dialog), "cc-panel-kinds", kind);
  g_object_set_data (G_OBJECT (dialog), "cc-panel-name", name);
  g_signal_connect (dialog, "response", G_CALLBACK (on_add_response), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
add_provider (CcPanelWindow *self,
              GDBusObject   *object)
{
  g_autoptr(CcProxyDBusProxy1Provider) provider = cc_proxy_dbus_object_get_proxy1_provider (CC_PROXY_DBUS_OBJECT (object));
  const char *id;
  GtkWidget *group;

  if (provider == NULL || (id = cc_proxy_dbus_proxy1_provider_get_id (provider)) == NULL ||
      g_hash_table_contains (self->groups, id))
    return;
  group = cc_panel_provider_group_new (provider);
  adw_preferences_page_add (self->providers_page, ADW_PREFERENCES_GROUP (group));
  g_hash_table_insert (self->groups, g_strdup (id), group);
  self->filling_active = TRUE;
  gtk_string_list_append (self->active_ids, id);
  self->filling_active = FALSE;
  fill_active (self);
  g_signal_connect_object (provider, "notify::attention", G_CALLBACK (update_banner), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (group, "remove", G_CALLBACK (on_remove_requested), self, G_CONNECT_SWAPPED);
  update_banner (self);
  if (g_strcmp0 (self->pending_sign_in, id) == 0)
    {
      g_clear_pointer (&self->pending_sign_in, g_free);
      cc_panel_provider_group_sign_in (CC_PANEL_PROVIDER_GROUP (group));
    }
}

/* Off the page, and no longer followed for the banner. */
static void
remove_group (CcPanelWindow *self,
              gpointer       group)
{
  g_signal_handlers_disconnect_by_data (cc_panel_provider_group_get_provider (group), self);
  adw_preferences_page_remove (self->providers_page, group);
}

static void
remove_provider (CcPanelWindow *self,
                 GDBusObject   *object)
{
  GHashTableIter iter;
  gpointer id, group;

  g_hash_table_iter_init (&iter, self->groups);
  while (g_hash_table_iter_next (&iter, &id, &group))
    if (g_strcmp0 (g_dbus_object_get_object_path (object),
                   g_dbus_proxy_get_object_path (G_DBUS_PROXY (cc_panel_provider_group_get_provider (group)))) == 0)
      {
        guint position;

        /* An instance removed: no longer one to choose either. */
        for (position = 0; position < g_list_model_get_n_items (G_LIST_MODEL (self->active_ids)); position++)
          if (g_str_equal (gtk_string_list_get_string (self->active_ids, position), id))
            {
              self->filling_active = TRUE;
              gtk_string_list_remove (self->active_ids, position);
              self->filling_active = FALSE;
              break;
            }
        remove_group (self, group);
        g_hash_table_iter_remove (&iter);
        update_banner (self);
        fill_active (self);
        return;
      }
}

static void
clear_providers (CcPanelWindow *self)
{
  GHashTableIter iter;
  gpointer group;

  g_hash_table_iter_init (&iter, self->groups);
  while (g_hash_table_iter_next (&iter, NULL, &group))
    remove_group (self, group);
  g_hash_table_remove_all (self->groups);
  update_banner (self);
  self->filling_active = TRUE;
  gtk_string_list_splice (self->active_ids, 0, g_list_model_get_n_items (G_LIST_MODEL (self->active_ids)), NULL);
  self->filling_active = FALSE;
}

static int
compare_object_paths (gconstpointer a,
                      gconstpointer b)
{
  return g_strcmp0 (g_dbus_object_get_object_path ((GDBusObject *) a),
                    g_dbus_object_get_object_path ((GDBusObject *) b));
}

/* cc-proxyd there or not: the providers, or a page that says so. */
static void
on_name_owner (CcPanelWindow *self)
{
  g_autofree char *owner = g_dbus_object_manager_client_get_name_owner (G_DBUS_OBJECT_MANAGER_CLIENT (self->manager));
  GList *objects;

  clear_providers (self);
  gtk_stack_set_visible_child_name (self->providers_stack, owner != NULL ? "providers" : "unavailable");
  if (owner == NULL)
    return;
  /* A new daemon: its own counters, address and hosts, not the last one's. */
  refresh_counters (self);
  /* In the order of their ids (their paths), not the manager's. */
  objects = g_list_sort (g_dbus_object_manager_get_objects (self->manager), compare_object_paths);
  for (GList *l = objects; l != NULL; l = l->next)
    add_provider (self, l->data);
  g_list_free_full (objects, g_object_unref);
}

static void
on_traffic_watched (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(CcPanelWindow) self = user_data;

  self->watching = cc_proxy_dbus_proxy1_call_watch_traffic_finish (CC_PROXY_DBUS_PROXY1 (source), result, NULL);
}

/* The daemon sends its traffic to those who ask, and forgets them when
 * it restarts: asked again of each new one. */
static void
watch_traffic (CcPanelWindow *self)
{
  g_autofree char *owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (self->daemon));

  self->watching = FALSE;
  if (owner != NULL)
    cc_proxy_dbus_proxy1_call_watch_traffic (self->daemon, self->cancellable, on_traffic_watched, g_object_ref (self));
}

static void
on_daemon (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  CcPanelWindow *self = user_data;
  g_autoptr(GError) error = NULL;
  CcProxyDBusProxy1 *daemon = cc_proxy_dbus_proxy1_proxy_new_finish (result, &error);

  if (daemon == NULL)
    return;
  self->daemon = daemon;
  g_signal_connect (daemon, "request-started", G_CALLBACK (on_request_started), self);
  g_signal_connect (daemon, "request-finished", G_CALLBACK (on_request_finished), self);
  g_signal_connect (daemon, "budget-question", G_CALLBACK (on_budget_question), self);
  g_signal_connect (daemon, "budget-answered", G_CALLBACK (on_budget_answered), self);
  g_signal_connect_swapped (daemon, "notify::g-name-owner", G_CALLBACK (watch_traffic), self);
  watch_traffic (self);
  g_signal_connect_swapped (daemon, "notify::active-provider", G_CALLBACK (fill_active), self);
  fill_active (self);
  refresh_counters (self);
  cc_panel_routes_page_set_daemon (self->routes_page, daemon);
}

static void
on_manager (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  CcPanelWindow *self = user_data;
  g_autoptr(GError) error = NULL;
  GDBusObjectManager *manager = cc_proxy_dbus_object_manager_client_new_finish (result, &error);

  if (manager == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        toast (self, error->message);
      return;
    }
  self->manager = manager;
  g_signal_connect_swapped (manager, "notify::name-owner", G_CALLBACK (on_name_owner), self);
  g_signal_connect_swapped (manager, "object-added", G_CALLBACK (add_provider), self);
  g_signal_connect_swapped (manager, "object-removed", G_CALLBACK (remove_provider), self);
  on_name_owner (self);
  cc_proxy_dbus_proxy1_proxy_new (self->bus, G_DBUS_PROXY_FLAGS_NONE, NAME, PATH, self->cancellable, on_daemon, self);
}

/* ----- the window ----- */

static void
on_banner_sign_in (CcPanelWindow *self)
{
  if (self->banner_provider != NULL)
    cc_panel_window_sign_in (self, self->banner_provider);
}

/* libadwaita 1.2 has no AdwBanner: a revealer under the header bar,
 * styled alike. */
static GtkWidget *
build_banner (CcPanelWindow *self)
{
  g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *label = gtk_label_new (NULL);
  GtkWidget *button = gtk_button_new_with_mnemonic (_("_Sign In"));

  gtk_css_provider_load_from_data (css, "box { background-color: alpha(@warning_bg_color, 0.3); padding: 6px 12px; }", -1);
  gtk_style_context_add_provider (gtk_widget_get_style_context (box), GTK_STYLE_PROVIDER (css),
                                  GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  g_signal_connect_swapped (button, "clicked", G_CALLBACK (on_banner_sign_in), self);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), button);

  self->banner = GTK_REVEALER (gtk_revealer_new ());
  self->banner_label = GTK_LABEL (label);
  self->banner_button = button;
  gtk_revealer_set_child (self->banner, box);
  return GTK_WIDGET (self->banner);
}

static GtkWidget *
build_traffic (CcPanelWindow *self)
{
  GtkWidget *list = gtk_list_box_new ();
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkWidget *clamp = adw_clamp_new ();
  GtkWidget *empty = gtk_label_new (_("No requests yet"));
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);
  AdwPreferencesGroup *counters = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  AdwPreferencesGroup *chart = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());

  self->counters_row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->counters_row), _("Requests"));
  adw_preferences_group_add (counters, GTK_WIDGET (self->counters_row));

  self->chart = CC_PANEL_CHART (cc_panel_chart_new ());
  adw_preferences_group_set_title (chart, _("Last Hour"));
  adw_preferences_group_set_description (chart, _("Tokens (bars) and requests (marks) per minute"));
  adw_preferences_group_add (chart, GTK_WIDGET (self->chart));

  self->errors_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (self->errors_group, _("Plugins Not Loaded"));
  gtk_widget_set_visible (GTK_WIDGET (self->errors_group), FALSE);

  gtk_widget_add_css_class (list, "boxed-list");
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_list_box_set_placeholder (GTK_LIST_BOX (list), empty);
  gtk_list_box_bind_model (GTK_LIST_BOX (list), G_LIST_MODEL (self->traffic), make_traffic_row, NULL, NULL);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (counters));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (chart));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->errors_group));
  gtk_box_append (GTK_BOX (box), list);
  gtk_widget_set_margin_top (box, 12);
  gtk_widget_set_margin_bottom (box, 12);
  adw_clamp_set_child (ADW_CLAMP (clamp), box);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), clamp);
  return scrolled;
}

static void
build (CcPanelWindow *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *stack = adw_view_stack_new ();
  GtkWidget *banner = build_banner (self);
  GtkWidget *title = adw_view_switcher_title_new ();
  GtkWidget *unavailable = adw_status_page_new ();
  AdwPreferencesGroup *active_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());

  self->toasts = ADW_TOAST_OVERLAY (adw_toast_overlay_new ());
  self->providers_stack = GTK_STACK (gtk_stack_new ());
  self->providers_page = ADW_PREFERENCES_PAGE (adw_preferences_page_new ());

  adw_preferences_page_add (self->providers_page, build_service (self));
  self->active_ids = gtk_string_list_new (NULL);
  self->active_row = ADW_COMBO_ROW (adw_combo_row_new ());
  adw_combo_row_set_model (self->active_row, G_LIST_MODEL (self->active_ids));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->active_row), _("Active provider"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->active_row), _("Where Claude Code’s requests go"));
  g_signal_connect (self->active_row, "notify::selected", G_CALLBACK (on_active_selected), self);
  adw_preferences_group_add (active_group, GTK_WIDGET (self->active_row));
  {
    GtkWidget *add = gtk_button_new_with_mnemonic (_("_Add Provider…"));

    gtk_widget_set_valign (add, GTK_ALIGN_CENTER);
    g_signal_connect_swapped (add, "clicked", G_CALLBACK (on_add_clicked), self);
    adw_preferences_group_set_header_suffix (active_group, add);
  }
  adw_preferences_page_add (self->providers_page, active_group);

  adw_status_page_set_icon_name (ADW_STATUS_PAGE (unavailable), "network-offline-symbolic");
  adw_status_page_set_title (ADW_STATUS_PAGE (unavailable), _("cc-proxy Is Not Running"));
  adw_status_page_set_description (ADW_STATUS_PAGE (unavailable),
                                   _("The window picks it up again as soon as it is back."));
  gtk_stack_add_named (self->providers_stack, unavailable, "unavailable");
  gtk_stack_add_named (self->providers_stack, GTK_WIDGET (self->providers_page), "providers");

  adw_view_stack_add_titled (ADW_VIEW_STACK (stack), GTK_WIDGET (self->providers_stack), "providers", _("Providers"));
  adw_view_stack_page_set_icon_name (adw_view_stack_get_page (ADW_VIEW_STACK (stack), GTK_WIDGET (self->providers_stack)),
                                     "preferences-system-symbolic");
  self->routes_page = CC_PANEL_ROUTES_PAGE (cc_panel_routes_page_new ());
  adw_view_stack_add_titled (ADW_VIEW_STACK (stack), GTK_WIDGET (self->routes_page), "routes", _("Routes"));
  adw_view_stack_page_set_icon_name (adw_view_stack_get_page (ADW_VIEW_STACK (stack), GTK_WIDGET (self->routes_page)),
                                     "view-list-symbolic");
  {
    GtkWidget *traffic = build_traffic (self);

    adw_view_stack_add_titled (ADW_VIEW_STACK (stack), traffic, "traffic", _("Traffic"));
    adw_view_stack_page_set_icon_name (adw_view_stack_get_page (ADW_VIEW_STACK (stack), traffic),
                                       "network-transmit-receive-symbolic");
  }
  adw_view_switcher_title_set_stack (ADW_VIEW_SWITCHER_TITLE (title), ADW_VIEW_STACK (stack));
  adw_view_switcher_title_set_title (ADW_VIEW_SWITCHER_TITLE (title), "cc-proxy");
  adw_header_bar_set_title_widget (ADW_HEADER_BAR (header), title);
  {
    g_autoptr(GMenu) menu = g_menu_new ();
    GtkWidget *button = gtk_menu_button_new ();

    g_menu_append (menu, _("_About cc-proxy"), "app.about");
    gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (button), G_MENU_MODEL (menu));
    gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (button), "open-menu-symbolic");
    gtk_widget_set_tooltip_text (button, _("Main Menu"));
    adw_header_bar_pack_end (ADW_HEADER_BAR (header), button);
  }

  self->stack = ADW_VIEW_STACK (stack);
  /* At 360 px the title has no room for the switcher: a bar at the
   * bottom takes over, as in GNOME's own applications. */
  self->switcher_bar = ADW_VIEW_SWITCHER_BAR (adw_view_switcher_bar_new ());
  adw_view_switcher_bar_set_stack (self->switcher_bar, ADW_VIEW_STACK (stack));
  g_object_bind_property (title, "title-visible", self->switcher_bar, "reveal", G_BINDING_SYNC_CREATE);
  gtk_box_append (GTK_BOX (box), header);
  gtk_box_append (GTK_BOX (box), banner);
  gtk_box_append (GTK_BOX (box), stack);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->switcher_bar));
  gtk_widget_set_vexpand (stack, TRUE);
  adw_toast_overlay_set_child (self->toasts, box);
  adw_application_window_set_content (ADW_APPLICATION_WINDOW (self), GTK_WIDGET (self->toasts));
  gtk_window_set_default_size (GTK_WINDOW (self), 720, 640);
  gtk_window_set_title (GTK_WINDOW (self), "cc-proxy");
}

static void
cc_panel_window_dispose (GObject *object)
{
  CcPanelWindow *self = CC_PANEL_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  if (self->budget_dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (self->budget_dialog));
  g_clear_weak_pointer (&self->budget_dialog);
  if (self->daemon != NULL)
    g_signal_handlers_disconnect_by_data (self->daemon, self);
  if (self->manager != NULL)
    g_signal_handlers_disconnect_by_data (self->manager, self);
  g_clear_object (&self->daemon);
  g_clear_object (&self->manager);
  g_clear_pointer (&self->groups, g_hash_table_unref);
  G_OBJECT_CLASS (cc_panel_window_parent_class)->dispose (object);
}

static void
cc_panel_window_finalize (GObject *object)
{
  CcPanelWindow *self = CC_PANEL_WINDOW (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->bus);
  g_clear_object (&self->traffic);
  g_clear_object (&self->active_ids);
  g_clear_pointer (&self->started, g_hash_table_unref);
  g_clear_pointer (&self->error_rows, g_ptr_array_unref);
  g_free (self->pending_sign_in);
  g_free (self->banner_provider);
  g_free (self->last_toast);
  G_OBJECT_CLASS (cc_panel_window_parent_class)->finalize (object);
}

static void
cc_panel_window_class_init (CcPanelWindowClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = cc_panel_window_dispose;
  G_OBJECT_CLASS (klass)->finalize = cc_panel_window_finalize;
}

static void
cc_panel_window_init (CcPanelWindow *self)
{
  self->cancellable = g_cancellable_new ();
  self->groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->started = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->traffic = g_list_store_new (GTK_TYPE_STRING_OBJECT);
  self->error_rows = g_ptr_array_new ();
  build (self);
}

/**
 * cc_panel_window_new:
 * @application: the application
 * @bus: the session bus (a private one in tests)
 *
 * Returns: (transfer floating): the window, which starts cc-proxyd if
 *   it is not running
 */
GtkWidget *
cc_panel_window_new (AdwApplication  *application,
                     GDBusConnection *bus)
{
  CcPanelWindow *self = g_object_new (CC_PANEL_TYPE_WINDOW, "application", application, NULL);

  self->bus = g_object_ref (bus);
  cc_proxy_dbus_object_manager_client_new (bus, G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_NONE, NAME, PATH,
                                           self->cancellable, on_manager, self);
  return GTK_WIDGET (self);
}

/**
 * cc_panel_window_is_connected:
 *
 * Returns: whether cc-proxyd is there and its providers are shown
 */
gboolean
cc_panel_window_is_connected (CcPanelWindow *self)
{
  return g_strcmp0 (gtk_stack_get_visible_child_name (self->providers_stack), "providers") == 0 &&
         self->daemon != NULL;
}

/**
 * cc_panel_window_get_provider_group:
 *
 * Returns: (transfer none) (nullable): provider @id's settings
 */
CcPanelProviderGroup *
cc_panel_window_get_provider_group (CcPanelWindow *self,
                                    const char    *id)
{
  return g_hash_table_lookup (self->groups, id);
}

/**
 * cc_panel_window_get_traffic:
 *
 * Returns: (transfer none): the requests shown, newest first, each a
 *   #GtkStringObject "title\nsubtitle"
 */
GListModel *
cc_panel_window_get_traffic (CcPanelWindow *self)
{
  return G_LIST_MODEL (self->traffic);
}

/**
 * cc_panel_window_get_switcher_bar:
 *
 * Returns: (transfer none): the bar that switches pages in a narrow window
 */
AdwViewSwitcherBar *
cc_panel_window_get_switcher_bar (CcPanelWindow *self)
{
  return self->switcher_bar;
}

/**
 * cc_panel_window_get_routes_page:
 *
 * Returns: (transfer none): the Routes page
 */
CcPanelRoutesPage *
cc_panel_window_get_routes_page (CcPanelWindow *self)
{
  return self->routes_page;
}

/**
 * cc_panel_window_get_chart:
 *
 * Returns: (transfer none): the last hour's chart
 */
CcPanelChart *
cc_panel_window_get_chart (CcPanelWindow *self)
{
  return self->chart;
}

/**
 * cc_panel_window_get_watching:
 *
 * Returns: whether the daemon sends the window its traffic
 */
gboolean
cc_panel_window_get_watching (CcPanelWindow *self)
{
  return self->watching;
}

/**
 * cc_panel_window_get_counters:
 *
 * Returns: the daemon's request counters, as the Traffic page shows them
 */
const char *
cc_panel_window_get_counters (CcPanelWindow *self)
{
  return adw_action_row_get_subtitle (self->counters_row);
}

/**
 * cc_panel_window_get_n_load_errors:
 *
 * Returns: how many provider modules the Traffic page lists as not loaded
 */
guint
cc_panel_window_get_n_load_errors (CcPanelWindow *self)
{
  return self->error_rows->len;
}

/**
 * cc_panel_window_show_page:
 * @name: "providers" or "traffic"
 */
void
cc_panel_window_show_page (CcPanelWindow *self,
                           const char    *name)
{
  adw_view_stack_set_visible_child_name (self->stack, name);
}

/**
 * cc_panel_window_get_page:
 *
 * Returns: the page shown: "providers", "routes" or "traffic"
 */
const char *
cc_panel_window_get_page (CcPanelWindow *self)
{
  return adw_view_stack_get_visible_child_name (self->stack);
}

/**
 * cc_panel_window_show_provider:
 * @id: a provider's id
 *
 * Shows the Providers page with @id's settings in view (the desktop
 * notification's click).
 */
void
cc_panel_window_show_provider (CcPanelWindow *self,
                               const char    *id)
{
  CcPanelProviderGroup *group = g_hash_table_lookup (self->groups, id);

  cc_panel_window_show_page (self, "providers");
  if (group != NULL)
    gtk_widget_child_focus (GTK_WIDGET (group), GTK_DIR_TAB_FORWARD);
}

/**
 * cc_panel_window_sign_in:
 * @id: a provider's id
 *
 * Runs @id's login (the banner's and the notification's "Sign in"); if
 * the window has not listed that provider yet, as soon as it has.
 */
void
cc_panel_window_sign_in (CcPanelWindow *self,
                         const char    *id)
{
  CcPanelProviderGroup *group = g_hash_table_lookup (self->groups, id);

  cc_panel_window_show_page (self, "providers");
  g_clear_pointer (&self->pending_sign_in, g_free);
  if (group != NULL)
    cc_panel_provider_group_sign_in (group);
  else
    self->pending_sign_in = g_strdup (id);
}

/**
 * cc_panel_window_get_attention:
 *
 * Returns: (nullable): the banner's text, or %NULL when no provider
 *   needs attention
 */
/**
 * cc_panel_window_get_service_row:
 * @which: "address", "hosts", "capture" or "last-error"
 *
 * Returns: what that row of the service group says
 */
const char *
cc_panel_window_get_service_row (CcPanelWindow *self,
                                 const char    *which)
{
  AdwActionRow *row = g_str_equal (which, "address") ? self->address_row
                    : g_str_equal (which, "hosts") ? self->hosts_row
                    : g_str_equal (which, "capture") ? self->capture_row
                    : self->last_error_row;

  return adw_action_row_get_subtitle (row);
}

/* What the window last said in a toast, or NULL. */
const char *
cc_panel_window_get_last_toast (CcPanelWindow *self)
{
  return self->last_toast;
}

const char *
cc_panel_window_get_attention (CcPanelWindow *self)
{
  return gtk_revealer_get_reveal_child (self->banner) ? gtk_label_get_text (self->banner_label) : NULL;
}

/**
 * cc_panel_window_get_banner_button:
 *
 * Returns: (transfer none): the banner's "Sign In" button
 */
GtkWidget *
cc_panel_window_get_banner_button (CcPanelWindow *self)
{
  return self->banner_button;
}
