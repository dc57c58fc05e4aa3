/* cc-panel-provider-group.c: one provider's settings, as rows
 *
 * Built at run time from the provider's SettingDescriptors: a switch, a
 * combo, a spin button with the descriptor's range and unit, an entry,
 * or a password entry that shows only whether a value is set. Values
 * come from, and go to, cc-proxyd; its refusal is shown under the row
 * in its own words, and the row goes back to the value in effect.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cc-panel-provider-group.h"
#include "cc-panel-sign-in-dialog.h"

typedef struct
{
  CcPanelProviderGroup *group;     /* not a reference: the group owns us */
  char                 *key;
  char                 *label;
  char                 *kind;
  gboolean              secret;
  GtkWidget            *row;
  GtkWidget            *control;   /* the switch or spin button, if any */
  GtkWidget            *error;     /* a row under it, shown on a refusal */
  gboolean              filling;   /* set from Values, not by the person */
} Setting;

struct _CcPanelProviderGroup
{
  AdwPreferencesGroup        parent_instance;

  CcProxyDBusProxy1Provider *provider;
  GHashTable                *settings;  /* key → Setting */
  GtkWidget                 *sign_in_row;
  GtkWidget                 *sign_out_button;
  GtkWidget                 *dialog;    /* weak: the login being shown */
  char                      *last_sign_in;
};

G_DEFINE_FINAL_TYPE (CcPanelProviderGroup, cc_panel_provider_group, ADW_TYPE_PREFERENCES_GROUP)

enum {
  SIGNAL_REMOVE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
setting_free (Setting *setting)
{
  g_free (setting->key);
  g_free (setting->label);
  g_free (setting->kind);
  g_free (setting);
}

static void
show_error (Setting    *setting,
            const char *message)
{
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (setting->error), message ? message : "");
  gtk_widget_set_visible (setting->error, message != NULL);
}

static void fill (CcPanelProviderGroup *self);

typedef struct
{
  CcPanelProviderGroup *self;
  char                 *key;
} Pending;

static void
on_value_set (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Pending *pending = user_data;
  g_autoptr(GError) error = NULL;
  Setting *setting = g_hash_table_lookup (pending->self->settings, pending->key);

  cc_proxy_dbus_proxy1_provider_call_set_value_finish (CC_PROXY_DBUS_PROXY1_PROVIDER (source), result, &error);
  if (setting != NULL)
    {
      if (error != NULL)
        g_dbus_error_strip_remote_error (error);
      show_error (setting, error ? error->message : NULL);
      /* Refused: back to what is in effect. */
      if (error != NULL)
        fill (pending->self);
    }
  g_object_unref (pending->self);
  g_free (pending->key);
  g_free (pending);
}

static void
set_value (Setting  *setting,
           GVariant *value)
{
  Pending *pending;

  if (setting->filling)
    {
      g_variant_unref (g_variant_ref_sink (value));
      return;
    }
  pending = g_new0 (Pending, 1);
  pending->self = g_object_ref (setting->group);
  pending->key = g_strdup (setting->key);
  cc_proxy_dbus_proxy1_provider_call_set_value (setting->group->provider, setting->key, g_variant_new_variant (value),
                                                NULL, on_value_set, pending);
}

static void
on_switch (GtkSwitch  *control,
           GParamSpec *pspec,
           Setting    *setting)
{
  set_value (setting, g_variant_new_boolean (gtk_switch_get_active (control)));
}

static void
on_spin (GtkSpinButton *control,
         Setting       *setting)
{
  set_value (setting, g_variant_new_int32 (gtk_spin_button_get_value_as_int (control)));
}

static void
on_selected (AdwComboRow *row,
             GParamSpec  *pspec,
             Setting     *setting)
{
  GtkStringObject *item = adw_combo_row_get_selected_item (row);

  if (item != NULL)
    set_value (setting, g_variant_new_string (gtk_string_object_get_string (item)));
}

static void
on_apply (AdwEntryRow *row,
          Setting     *setting)
{
  set_value (setting, g_variant_new_string (gtk_editable_get_text (GTK_EDITABLE (row))));
  /* A secret is never shown back, not even what was just typed. */
  if (setting->secret)
    gtk_editable_set_text (GTK_EDITABLE (row), "");
}

static GtkWidget *
make_row (Setting  *setting,
          GVariant *descriptor)
{
  const char *description = "", *unit = NULL;
  gint32 minimum = 0, maximum = G_MAXINT32;
  g_autofree const char **options = NULL;
  GtkWidget *row;

  g_variant_lookup (descriptor, "description", "&s", &description);
  g_variant_lookup (descriptor, "unit", "&s", &unit);
  g_variant_lookup (descriptor, "minimum", "i", &minimum);
  g_variant_lookup (descriptor, "maximum", "i", &maximum);
  g_variant_lookup (descriptor, "options", "^a&s", &options);

  if (setting->secret)
    {
      row = adw_password_entry_row_new ();
      adw_entry_row_set_show_apply_button (ADW_ENTRY_ROW (row), TRUE);
      g_signal_connect (row, "apply", G_CALLBACK (on_apply), setting);
    }
  else if (g_str_equal (setting->kind, "bool"))
    {
      row = adw_action_row_new ();
      setting->control = gtk_switch_new ();
      gtk_widget_set_valign (setting->control, GTK_ALIGN_CENTER);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), setting->control);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), setting->control);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), description);
      g_signal_connect (setting->control, "notify::active", G_CALLBACK (on_switch), setting);
    }
  else if (g_str_equal (setting->kind, "integer"))
    {
      g_autofree char *subtitle = unit ? g_strdup_printf ("%s (%s)", description, unit) : g_strdup (description);

      row = adw_action_row_new ();
      setting->control = gtk_spin_button_new_with_range (minimum, maximum, 1);
      gtk_widget_set_valign (setting->control, GTK_ALIGN_CENTER);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), setting->control);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      g_signal_connect (setting->control, "value-changed", G_CALLBACK (on_spin), setting);
    }
  else if (g_str_equal (setting->kind, "select"))
    {
      g_autoptr(GtkStringList) model = gtk_string_list_new (options);

      row = adw_combo_row_new ();
      adw_combo_row_set_model (ADW_COMBO_ROW (row), G_LIST_MODEL (model));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), description);
      g_signal_connect (row, "notify::selected", G_CALLBACK (on_selected), setting);
    }
  else
    {
      row = adw_entry_row_new ();
      adw_entry_row_set_show_apply_button (ADW_ENTRY_ROW (row), TRUE);
      g_signal_connect (row, "apply", G_CALLBACK (on_apply), setting);
    }

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), setting->label);
  gtk_widget_set_tooltip_text (row, description);
  if (setting->control != NULL)
    g_object_set_data (G_OBJECT (row), "cc-panel-control", setting->control);
  return row;
}

/* The values in effect, into the rows. */
static void
fill_one (Setting  *setting,
          GVariant *entry)
{
  g_autoptr(GVariant) value = g_variant_lookup_value (entry, "value", NULL);
  gboolean set = FALSE;

  g_variant_lookup (entry, "set", "b", &set);
  setting->filling = TRUE;
  if (setting->secret)
    {
      g_autofree char *title = g_strdup_printf (set ? _("%s (set)") : _("%s (not set)"), setting->label);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (setting->row), title);
    }
  else if (value == NULL)
    ;
  else if (GTK_IS_SWITCH (setting->control) && g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
    gtk_switch_set_active (GTK_SWITCH (setting->control), g_variant_get_boolean (value));
  else if (GTK_IS_SPIN_BUTTON (setting->control) && g_variant_is_of_type (value, G_VARIANT_TYPE_INT32))
    gtk_spin_button_set_value (GTK_SPIN_BUTTON (setting->control), g_variant_get_int32 (value));
  else if (ADW_IS_COMBO_ROW (setting->row) && g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    {
      GListModel *model = adw_combo_row_get_model (ADW_COMBO_ROW (setting->row));

      for (guint i = 0; i < g_list_model_get_n_items (model); i++)
        {
          g_autoptr(GtkStringObject) item = g_list_model_get_item (model, i);

          if (g_str_equal (gtk_string_object_get_string (item), g_variant_get_string (value, NULL)))
            adw_combo_row_set_selected (ADW_COMBO_ROW (setting->row), i);
        }
    }
  else if (ADW_IS_ENTRY_ROW (setting->row) && g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    gtk_editable_set_text (GTK_EDITABLE (setting->row), g_variant_get_string (value, NULL));
  setting->filling = FALSE;
}

static void
fill (CcPanelProviderGroup *self)
{
  GVariant *values = cc_proxy_dbus_proxy1_provider_get_values (self->provider);
  GHashTableIter iter;
  gpointer key, setting;

  if (values == NULL)
    return;
  g_hash_table_iter_init (&iter, self->settings);
  while (g_hash_table_iter_next (&iter, &key, &setting))
    {
      g_autoptr(GVariant) entry = g_variant_lookup_value (values, key, G_VARIANT_TYPE_VARDICT);

      if (entry != NULL)
        fill_one (setting, entry);
    }
}

/* ----- signing in ----- */

static void
toast (CcPanelProviderGroup *self,
       const char           *text)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (text));
}

static void
update_sign_in (CcPanelProviderGroup *self)
{
  const char *attention = cc_proxy_dbus_proxy1_provider_get_attention (self->provider);
  gboolean signed_in = cc_proxy_dbus_proxy1_provider_get_signed_in (self->provider);

  if (self->sign_in_row == NULL)
    return;
  gtk_widget_set_visible (self->sign_out_button, signed_in);
  if (attention != NULL && attention[0] != '\0')
    {
      adw_action_row_set_subtitle (ADW_ACTION_ROW (self->sign_in_row), attention);
      gtk_widget_add_css_class (self->sign_in_row, "warning");
    }
  else
    {
      adw_action_row_set_subtitle (ADW_ACTION_ROW (self->sign_in_row), signed_in ? _("Signed in") : _("Not signed in"));
      gtk_widget_remove_css_class (self->sign_in_row, "warning");
    }
}

static void
on_signed_in_read (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(CcPanelProviderGroup) self = user_data;
  g_autoptr(GVariant) reply = g_dbus_proxy_call_finish (G_DBUS_PROXY (source), result, NULL);
  g_autoptr(GVariant) value = NULL;

  if (reply == NULL)
    return;
  g_variant_get (reply, "(v)", &value);
  /* SignedIn sends no change signal: the cache is set by hand. */
  g_dbus_proxy_set_cached_property (G_DBUS_PROXY (self->provider), "SignedIn", value);
  update_sign_in (self);
}

static void
refresh_signed_in (CcPanelProviderGroup *self)
{
  g_dbus_proxy_call (G_DBUS_PROXY (self->provider), "org.freedesktop.DBus.Properties.Get",
                     g_variant_new ("(ss)", "org.ccproxy.Proxy1.Provider", "SignedIn"), G_DBUS_CALL_FLAGS_NONE, -1,
                     NULL, on_signed_in_read, g_object_ref (self));
}

static void
sign_in_finished (CcPanelProviderGroup *self,
                  const char           *state,
                  const char           *message)
{
  g_free (self->last_sign_in);
  self->last_sign_in = g_strdup (message);
  toast (self, message);
  update_sign_in (self);
  refresh_signed_in (self);
}

static void
on_dialog_finished (CcPanelSignInDialog  *dialog,
                    const char           *state,
                    const char           *message,
                    CcPanelProviderGroup *self)
{
  sign_in_finished (self, state, message);
}

static void
on_flow (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(CcPanelProviderGroup) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CcProxyDBusProxy1AuthFlow) flow = cc_proxy_dbus_proxy1_auth_flow_proxy_new_finish (result, &error);
  const char *state;

  if (flow == NULL)
    {
      toast (self, error->message);
      return;
    }
  state = cc_proxy_dbus_proxy1_auth_flow_get_state (flow);
  /* Over before we looked (a refusal at once, say). */
  if (g_strcmp0 (state, "succeeded") == 0 || g_strcmp0 (state, "failed") == 0 || g_strcmp0 (state, "cancelled") == 0)
    {
      sign_in_finished (self, state, cc_proxy_dbus_proxy1_auth_flow_get_message (flow));
      return;
    }
  self->dialog = cc_panel_sign_in_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                              cc_proxy_dbus_proxy1_provider_get_display_name (self->provider), flow);
  g_object_add_weak_pointer (G_OBJECT (self->dialog), (gpointer *) &self->dialog);
  g_signal_connect_object (self->dialog, "finished", G_CALLBACK (on_dialog_finished), self, 0);
  gtk_window_present (GTK_WINDOW (self->dialog));
}

static void
on_authenticate (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(CcPanelProviderGroup) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *owner = NULL;

  if (!cc_proxy_dbus_proxy1_provider_call_authenticate_finish (CC_PROXY_DBUS_PROXY1_PROVIDER (source), &path,
                                                               result, &error))
    {
      g_dbus_error_strip_remote_error (error);
      toast (self, error->message);
      return;
    }
  /* By the daemon's unique name: signals from a well-known name are
   * dropped until GDBus has learnt who owns it, and the prompt may be
   * the first thing the flow sends. */
  owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (source));
  cc_proxy_dbus_proxy1_auth_flow_proxy_new (g_dbus_proxy_get_connection (G_DBUS_PROXY (source)),
                                            G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START,
                                            owner ? owner : g_dbus_proxy_get_name (G_DBUS_PROXY (source)), path, NULL,
                                            on_flow, g_steal_pointer (&self));
}

/**
 * cc_panel_provider_group_sign_in:
 *
 * Starts the provider's login (again, when it is signed in already), as
 * the "Sign In" button does.
 */
void
cc_panel_provider_group_sign_in (CcPanelProviderGroup *self)
{
  /* Forced: someone pressed "Sign In", and a login that needs attention
   * may still have its (refused) credential. */
  cc_proxy_dbus_proxy1_provider_call_authenticate (self->provider, TRUE, NULL, on_authenticate, g_object_ref (self));
}

static void
on_signed_out (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(CcPanelProviderGroup) self = user_data;
  g_autoptr(GError) error = NULL;

  g_free (self->last_sign_in);
  if (cc_proxy_dbus_proxy1_provider_call_sign_out_finish (CC_PROXY_DBUS_PROXY1_PROVIDER (source), result, &error))
    self->last_sign_in = g_strdup (_("Signed out"));
  else
    {
      g_dbus_error_strip_remote_error (error);
      self->last_sign_in = g_strdup (error->message);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (self->sign_in_row), error->message);
    }
  refresh_signed_in (self);
}

/**
 * cc_panel_provider_group_sign_out:
 *
 * Forgets what signing in stored, as the "Sign Out" button does.
 */
void
cc_panel_provider_group_sign_out (CcPanelProviderGroup *self)
{
  cc_proxy_dbus_proxy1_provider_call_sign_out (self->provider, NULL, on_signed_out, g_object_ref (self));
}

static void
add_sign_in_row (CcPanelProviderGroup *self)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (_("_Sign In…"));

  self->sign_out_button = gtk_button_new_with_mnemonic (_("Sign _Out"));
  gtk_widget_set_valign (self->sign_out_button, GTK_ALIGN_CENTER);
  g_signal_connect_swapped (self->sign_out_button, "clicked", G_CALLBACK (cc_panel_provider_group_sign_out), self);

  self->sign_in_row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->sign_in_row), _("Account"));
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (self->sign_in_row), self->sign_out_button);
  adw_action_row_add_suffix (ADW_ACTION_ROW (self->sign_in_row), button);
  g_signal_connect_swapped (button, "clicked", G_CALLBACK (cc_panel_provider_group_sign_in), self);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (self), self->sign_in_row);
  g_signal_connect_swapped (self->provider, "notify::signed-in", G_CALLBACK (update_sign_in), self);
  g_signal_connect_swapped (self->provider, "notify::attention", G_CALLBACK (update_sign_in), self);
  update_sign_in (self);
  refresh_signed_in (self);
}

/* What the group shows: whether the provider is signed in. */
gboolean
cc_panel_provider_group_is_signed_in (CcPanelProviderGroup *self)
{
  return self->sign_out_button != NULL && gtk_widget_get_visible (self->sign_out_button);
}

/**
 * cc_panel_provider_group_get_sign_in_dialog:
 *
 * Returns: (transfer none) (nullable): the login being shown
 */
CcPanelSignInDialog *
cc_panel_provider_group_get_sign_in_dialog (CcPanelProviderGroup *self)
{
  return self->dialog != NULL ? CC_PANEL_SIGN_IN_DIALOG (self->dialog) : NULL;
}

/**
 * cc_panel_provider_group_get_last_sign_in:
 *
 * Returns: (nullable): what the last login ended with, as its toast said
 */
const char *
cc_panel_provider_group_get_last_sign_in (CcPanelProviderGroup *self)
{
  return self->last_sign_in;
}

static void
cc_panel_provider_group_dispose (GObject *object)
{
  CcPanelProviderGroup *self = CC_PANEL_PROVIDER_GROUP (object);

  if (self->provider != NULL)
    g_signal_handlers_disconnect_by_data (self->provider, self);
  g_clear_object (&self->provider);
  G_OBJECT_CLASS (cc_panel_provider_group_parent_class)->dispose (object);
}

static void
cc_panel_provider_group_finalize (GObject *object)
{
  g_clear_pointer (&CC_PANEL_PROVIDER_GROUP (object)->settings, g_hash_table_unref);
  g_free (CC_PANEL_PROVIDER_GROUP (object)->last_sign_in);
  G_OBJECT_CLASS (cc_panel_provider_group_parent_class)->finalize (object);
}

static void
cc_panel_provider_group_class_init (CcPanelProviderGroupClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = cc_panel_provider_group_dispose;
  G_OBJECT_CLASS (klass)->finalize = cc_panel_provider_group_finalize;

  /**
   * CcPanelProviderGroup::remove:
   *
   * Its "Remove" button was pressed: the provider is an instance, and
   * the person wants it gone (the window asks first).
   */
  signals[SIGNAL_REMOVE] =
    g_signal_new ("remove", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
on_remove_clicked (CcPanelProviderGroup *self)
{
  g_signal_emit (self, signals[SIGNAL_REMOVE], 0);
}

static void
cc_panel_provider_group_init (CcPanelProviderGroup *self)
{
  self->settings = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) setting_free);
}

/**
 * cc_panel_provider_group_new:
 * @provider: the provider's object on the bus
 *
 * Returns: (transfer floating): a group with a row per setting
 */
GtkWidget *
cc_panel_provider_group_new (CcProxyDBusProxy1Provider *provider)
{
  CcPanelProviderGroup *self = g_object_new (CC_PANEL_TYPE_PROVIDER_GROUP, NULL);
  GVariant *descriptors = cc_proxy_dbus_proxy1_provider_get_setting_descriptors (provider);
  GVariantIter iter;
  GVariant *descriptor;

  self->provider = g_object_ref (provider);
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (self), cc_proxy_dbus_proxy1_provider_get_display_name (provider));
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (self), cc_proxy_dbus_proxy1_provider_get_id (provider));

  if (descriptors != NULL)
    {
      g_variant_iter_init (&iter, descriptors);
      while (g_variant_iter_next (&iter, "@a{sv}", &descriptor))
        {
          g_autoptr(GVariant) owned = descriptor;
          Setting *setting = g_new0 (Setting, 1);
          const char *key = "", *label = "", *kind = "text";

          g_variant_lookup (descriptor, "key", "&s", &key);
          g_variant_lookup (descriptor, "label", "&s", &label);
          g_variant_lookup (descriptor, "kind", "&s", &kind);
          g_variant_lookup (descriptor, "secret", "b", &setting->secret);
          setting->group = self;
          setting->key = g_strdup (key);
          setting->label = g_strdup (label[0] ? label : key);
          setting->kind = g_strdup (kind);
          setting->row = make_row (setting, descriptor);
          setting->error = adw_action_row_new ();
          gtk_widget_add_css_class (setting->error, "error");
          gtk_widget_set_visible (setting->error, FALSE);
          adw_preferences_group_add (ADW_PREFERENCES_GROUP (self), setting->row);
          adw_preferences_group_add (ADW_PREFERENCES_GROUP (self), setting->error);
          g_hash_table_insert (self->settings, setting->key, setting);
        }
    }

  /* An instance (docs/instances.md) can go; a module's own provider
   * stays as long as its module. */
  if (g_strcmp0 (cc_proxy_dbus_proxy1_provider_get_kind (provider), cc_proxy_dbus_proxy1_provider_get_id (provider)) != 0)
    {
      GtkWidget *remove = gtk_button_new_with_mnemonic (_("_Remove…"));

      gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (remove, "destructive-action");
      g_signal_connect_swapped (remove, "clicked", G_CALLBACK (on_remove_clicked), self);
      adw_preferences_group_set_header_suffix (ADW_PREFERENCES_GROUP (self), remove);
    }
  if (cc_proxy_dbus_proxy1_provider_get_auth_capable (provider))
    add_sign_in_row (self);
  fill (self);
  g_signal_connect_swapped (provider, "notify::values", G_CALLBACK (fill), self);
  return GTK_WIDGET (self);
}

CcProxyDBusProxy1Provider *
cc_panel_provider_group_get_provider (CcPanelProviderGroup *self)
{
  return self->provider;
}

/**
 * cc_panel_provider_group_get_row:
 *
 * Returns: (transfer none) (nullable): the row of setting @key
 */
GtkWidget *
cc_panel_provider_group_get_row (CcPanelProviderGroup *self,
                                 const char           *key)
{
  Setting *setting = g_hash_table_lookup (self->settings, key);

  return setting != NULL ? setting->row : NULL;
}

/**
 * cc_panel_provider_group_get_error:
 *
 * Returns: (nullable): cc-proxyd's refusal shown under setting @key
 */
const char *
cc_panel_provider_group_get_error (CcPanelProviderGroup *self,
                                   const char           *key)
{
  Setting *setting = g_hash_table_lookup (self->settings, key);

  if (setting == NULL || !gtk_widget_get_visible (setting->error))
    return NULL;
  return adw_preferences_row_get_title (ADW_PREFERENCES_ROW (setting->error));
}
