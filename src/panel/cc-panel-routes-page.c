/* cc-panel-routes-page.c: the route table, from cc-proxyd's bus API
 *
 * The Routes property, a row per route with its hits and fallbacks
 * (GetRouteCounters), and the calls that change the table: AddRoute,
 * SetRoutes for an edit, MoveRoute, RemoveRoute. The daemon checks every
 * change; a refused one shows the daemon's reason and changes nothing.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cc-panel-routes-page.h"
#include "cc-proxy-route-text.h"

struct _CcPanelRoutesPage
{
  AdwPreferencesPage   parent_instance;

  CcProxyDBusProxy1   *daemon;
  GCancellable        *cancellable;
  AdwPreferencesGroup *group;
  GtkWidget           *problem_row;
  GPtrArray           *rows;      /* AdwActionRow, in the table's order */
  GVariant            *counters;  /* a{s(tt)}, or NULL */
  char                *error;     /* the last refusal */
};

G_DEFINE_FINAL_TYPE (CcPanelRoutesPage, cc_panel_routes_page, ADW_TYPE_PREFERENCES_PAGE)

static const char * const roles[] = { "", "main", "subagent", "background", NULL };
static const char * const wants[] = { "thinking", "images", "web-search", NULL };

static void
show_error (CcPanelRoutesPage *self,
            const GError      *error)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *dialog;

  g_free (self->error);
  {
    g_autoptr(GError) copy = g_error_copy (error);

    g_dbus_error_strip_remote_error (copy);
    self->error = g_strdup (copy->message);
  }
  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, _("Route Not Saved"), self->error);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_changed (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(CcPanelRoutesPage) self = user_data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_proxy_call_finish (G_DBUS_PROXY (source), result, &error);
  if (reply == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error (self, error);
      return;
    }
  g_clear_pointer (&self->error, g_free);
}

/* One call that changes the table; the rows follow the Routes property. */
static void
call (CcPanelRoutesPage *self,
      const char        *method,
      GVariant          *parameters)
{
  if (self->daemon == NULL)
    return;
  g_dbus_proxy_call (G_DBUS_PROXY (self->daemon), method, parameters, G_DBUS_CALL_FLAGS_NONE, -1,
                     self->cancellable, on_changed, g_object_ref (self));
}

/* ----- the editor ----- */

typedef struct
{
  CcPanelRoutesPage *page;
  char              *editing;   /* the route's name, or NULL for a new one */
  GtkEditable       *name;
  AdwComboRow       *role;
  GtkEditable       *model;
  GtkSwitch         *wants[G_N_ELEMENTS (wants) - 1];
  GtkEditable       *min_tokens;
  GtkEditable       *target;
  GtkEditable       *fallbacks;
} Editor;

static void
editor_free (gpointer  data,
             GClosure *closure)
{
  Editor *editor = data;

  g_object_unref (editor->page);
  g_free (editor->editing);
  g_free (editor);
}

/* The editor's route, as the bus takes it; NULL (and a refusal shown)
 * for what only the page can tell. */
static GVariant *
editor_route (Editor *editor)
{
  g_auto(GVariantBuilder) match = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  g_auto(GStrv) fallbacks = g_strsplit (gtk_editable_get_text (editor->fallbacks), ",", -1);
  g_autoptr(GStrvBuilder) targets = g_strv_builder_new ();
  g_auto(GStrv) list = NULL;
  const char *model = gtk_editable_get_text (editor->model);
  const char *tokens = gtk_editable_get_text (editor->min_tokens);
  guint role = adw_combo_row_get_selected (editor->role);

  if (role > 0 && role < G_N_ELEMENTS (roles) - 1)
    g_variant_builder_add (&match, "{sv}", "role", g_variant_new_string (roles[role]));
  if (model[0] != '\0')
    g_variant_builder_add (&match, "{sv}", "model", g_variant_new_string (model));
  for (guint i = 0; wants[i] != NULL; i++)
    if (gtk_switch_get_active (editor->wants[i]))
      g_variant_builder_add (&match, "{sv}", wants[i], g_variant_new_boolean (TRUE));
  if (tokens[0] != '\0')
    {
      guint64 count;
      g_autoptr(GError) error = NULL;

      if (!g_ascii_string_to_unsigned (tokens, 10, 1, G_MAXUINT32, &count, &error))
        {
          g_autoptr(GError) refusal = g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                                   _("Minimum tokens must be a whole number above 0"));

          show_error (editor->page, refusal);
          return NULL;
        }
      g_variant_builder_add (&match, "{sv}", "min-tokens", g_variant_new_uint32 ((guint32) count));
    }
  for (guint i = 0; fallbacks[i] != NULL; i++)
    {
      g_strstrip (fallbacks[i]);
      if (fallbacks[i][0] != '\0')
        g_strv_builder_add (targets, fallbacks[i]);
    }
  list = g_strv_builder_end (targets);
  return g_variant_new ("(s@a{sv}s^as)", gtk_editable_get_text (editor->name), g_variant_builder_end (&match),
                        gtk_editable_get_text (editor->target), list);
}

static void
on_editor_response (AdwMessageDialog *dialog,
                    const char       *response,
                    Editor           *editor)
{
  CcPanelRoutesPage *self = editor->page;
  GVariant *routes;
  GVariant *route;
  GVariantBuilder table;

  if (!g_str_equal (response, "save") || (route = editor_route (editor)) == NULL)
    return;
  if (editor->editing == NULL)
    {
      g_autoptr(GVariant) owned = g_variant_ref_sink (route);
      g_autoptr(GVariant) match = g_variant_get_child_value (owned, 1);
      g_autoptr(GVariant) fallbacks = g_variant_get_child_value (owned, 3);
      const char *name, *target;

      g_variant_get_child (owned, 0, "&s", &name);
      g_variant_get_child (owned, 2, "&s", &target);
      call (self, "AddRoute", g_variant_new ("(s@a{sv}s@asi)", name, match, target, fallbacks, -1));
      return;
    }
  /* An edit: the whole table, this route replaced where it stands. */
  routes = cc_proxy_dbus_proxy1_get_routes (self->daemon);
  g_variant_builder_init (&table, G_VARIANT_TYPE ("a(sa{sv}sas)"));
  for (gsize i = 0; routes != NULL && i < g_variant_n_children (routes); i++)
    {
      g_autoptr(GVariant) old = g_variant_get_child_value (routes, i);
      const char *name;

      g_variant_get_child (old, 0, "&s", &name);
      if (g_str_equal (name, editor->editing))
        g_variant_builder_add_value (&table, route);
      else
        g_variant_builder_add_value (&table, old);
    }
  call (self, "SetRoutes", g_variant_new ("(a(sa{sv}sas))", &table));
}

static GtkEditable *
add_entry (GtkWidget  *list,
           const char *title,
           const char *text)
{
  GtkWidget *row = adw_entry_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  gtk_editable_set_text (GTK_EDITABLE (row), text ? text : "");
  gtk_list_box_append (GTK_LIST_BOX (list), row);
  return GTK_EDITABLE (row);
}

static GtkSwitch *
add_switch (GtkWidget  *list,
            const char *title,
            gboolean    active)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *toggle = gtk_switch_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  gtk_switch_set_active (GTK_SWITCH (toggle), active);
  gtk_widget_set_valign (toggle, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), toggle);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), toggle);
  gtk_list_box_append (GTK_LIST_BOX (list), row);
  return GTK_SWITCH (toggle);
}

/* The route called @name from the Routes property, or NULL. */
static GVariant *
find_route (CcPanelRoutesPage *self,
            const char        *name)
{
  GVariant *routes = self->daemon ? cc_proxy_dbus_proxy1_get_routes (self->daemon) : NULL;

  for (gsize i = 0; name != NULL && routes != NULL && i < g_variant_n_children (routes); i++)
    {
      GVariant *route = g_variant_get_child_value (routes, i);
      const char *route_name;

      g_variant_get_child (route, 0, "&s", &route_name);
      if (g_str_equal (route_name, name))
        return route;
      g_variant_unref (route);
    }
  return NULL;
}

/**
 * cc_panel_routes_page_edit:
 * @name: (nullable): the route to edit, or %NULL for a new one
 *
 * Presents the route editor; its "save" response sends the route.
 *
 * Returns: (transfer none): the editor
 */
AdwMessageDialog *
cc_panel_routes_page_edit (CcPanelRoutesPage *self,
                           const char        *name)
{
  g_autoptr(GVariant) route = find_route (self, name);
  g_autoptr(GVariant) match = route ? g_variant_get_child_value (route, 1) : g_variant_new ("a{sv}", NULL);
  g_autoptr(GVariant) fallbacks = route ? g_variant_get_child_value (route, 3) : NULL;
  g_autofree char *fallback_text = NULL;
  g_autoptr(GtkStringList) role_names = gtk_string_list_new (NULL);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *list = gtk_list_box_new ();
  GtkWidget *dialog;
  Editor *editor = g_new0 (Editor, 1);
  const char *role = NULL, *model = NULL, *target = NULL;
  guint64 tokens = 0;
  g_autofree char *tokens_text = NULL;

  g_variant_ref_sink (match);
  if (route != NULL)
    {
      g_autofree const char **names = g_variant_get_strv (fallbacks, NULL);

      g_variant_get_child (route, 2, "&s", &target);
      fallback_text = g_strjoinv (", ", (char **) names);
    }
  g_variant_lookup (match, "role", "&s", &role);
  g_variant_lookup (match, "model", "&s", &model);
  {
    g_autoptr(GVariant) count = g_variant_lookup_value (match, "min-tokens", NULL);

    if (count != NULL && g_variant_is_of_type (count, G_VARIANT_TYPE_UINT32))
      tokens = g_variant_get_uint32 (count);
    else if (count != NULL && g_variant_is_of_type (count, G_VARIANT_TYPE_INT32))
      tokens = MAX (g_variant_get_int32 (count), 0);
  }
  if (tokens > 0)
    tokens_text = g_strdup_printf ("%" G_GUINT64_FORMAT, tokens);

  editor->page = g_object_ref (self);
  editor->editing = g_strdup (route ? name : NULL);
  gtk_widget_add_css_class (list, "boxed-list");
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  editor->name = add_entry (list, _("Name"), route ? name : NULL);
  gtk_editable_set_editable (editor->name, route == NULL);
  gtk_string_list_append (role_names, _("Any"));
  gtk_string_list_append (role_names, _("Main conversation"));
  gtk_string_list_append (role_names, _("Subagents"));
  gtk_string_list_append (role_names, _("Background calls"));
  editor->role = ADW_COMBO_ROW (adw_combo_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (editor->role), _("Role"));
  adw_combo_row_set_model (editor->role, G_LIST_MODEL (role_names));
  for (guint i = 1; role != NULL && roles[i] != NULL; i++)
    if (g_str_equal (role, roles[i]))
      adw_combo_row_set_selected (editor->role, i);
  gtk_list_box_append (GTK_LIST_BOX (list), GTK_WIDGET (editor->role));
  editor->model = add_entry (list, _("Model (a glob, such as *haiku*)"), model);
  editor->wants[0] = add_switch (list, _("Only with thinking"), g_variant_lookup (match, "thinking", "b", NULL));
  editor->wants[1] = add_switch (list, _("Only with images"), g_variant_lookup (match, "images", "b", NULL));
  editor->wants[2] = add_switch (list, _("Only with web search"), g_variant_lookup (match, "web-search", "b", NULL));
  editor->min_tokens = add_entry (list, _("Minimum input tokens"), tokens_text);
  editor->target = add_entry (list, _("Target (PROVIDER or PROVIDER:MODEL)"), target);
  editor->fallbacks = add_entry (list, _("Fallbacks, in order (comma-separated)"), fallback_text);

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   route ? _("Edit Route") : _("Add Route"),
                                   _("Requests that match go to the target; the fallbacks are tried in turn when it "
                                     "fails before answering."));
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), list);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"), "save", _("_Save"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "save", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "save");
  g_signal_connect_data (dialog, "response", G_CALLBACK (on_editor_response), editor, editor_free, 0);
  /* For tests, and for whoever drives the window: the editor's rows. */
  g_object_set_data (G_OBJECT (dialog), "name", editor->name);
  g_object_set_data (G_OBJECT (dialog), "model", editor->model);
  g_object_set_data (G_OBJECT (dialog), "role", editor->role);
  g_object_set_data (G_OBJECT (dialog), "target", editor->target);
  g_object_set_data (G_OBJECT (dialog), "fallbacks", editor->fallbacks);
  gtk_window_present (GTK_WINDOW (dialog));
  return ADW_MESSAGE_DIALOG (dialog);
}

/* ----- the rows ----- */

/**
 * cc_panel_routes_page_move:
 * @offset: -1 for up, 1 for down
 */
void
cc_panel_routes_page_move (CcPanelRoutesPage *self,
                           const char        *name,
                           int                offset)
{
  for (guint i = 0; i < self->rows->len; i++)
    if (g_str_equal (g_object_get_data (g_ptr_array_index (self->rows, i), "route"), name))
      {
        if ((int) i + offset >= 0)
          call (self, "MoveRoute", g_variant_new ("(su)", name, (guint32) ((int) i + offset)));
        return;
      }
}

void
cc_panel_routes_page_remove (CcPanelRoutesPage *self,
                             const char        *name)
{
  call (self, "RemoveRoute", g_variant_new ("(s)", name));
}

static void
on_up (GtkButton *button,
       gpointer   user_data)
{
  cc_panel_routes_page_move (user_data, g_object_get_data (G_OBJECT (button), "route"), -1);
}

static void
on_down (GtkButton *button,
         gpointer   user_data)
{
  cc_panel_routes_page_move (user_data, g_object_get_data (G_OBJECT (button), "route"), 1);
}

static void
on_remove (GtkButton *button,
           gpointer   user_data)
{
  cc_panel_routes_page_remove (user_data, g_object_get_data (G_OBJECT (button), "route"));
}

static void
on_row_activated (AdwActionRow *row,
                  gpointer      user_data)
{
  cc_panel_routes_page_edit (user_data, g_object_get_data (G_OBJECT (row), "route"));
}

static void
on_add (GtkButton *button,
        gpointer   user_data)
{
  cc_panel_routes_page_edit (user_data, NULL);
}

static GtkWidget *
row_button (CcPanelRoutesPage *self,
            const char        *icon,
            const char        *tooltip,
            const char        *name,
            GCallback          callback)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon);

  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (button, tooltip);
  g_object_set_data_full (G_OBJECT (button), "route", g_strdup (name), g_free);
  g_signal_connect (button, "clicked", callback, self);
  return button;
}

static void
fill (CcPanelRoutesPage *self)
{
  GVariant *routes = self->daemon ? cc_proxy_dbus_proxy1_get_routes (self->daemon) : NULL;
  const char *problem = self->daemon ? cc_proxy_dbus_proxy1_get_routes_problem (self->daemon) : NULL;

  for (guint i = 0; i < self->rows->len; i++)
    adw_preferences_group_remove (self->group, g_ptr_array_index (self->rows, i));
  g_ptr_array_set_size (self->rows, 0);

  for (gsize i = 0; routes != NULL && i < g_variant_n_children (routes); i++)
    {
      g_autoptr(GVariant) match = NULL;
      g_autoptr(GVariant) fallbacks = NULL;
      g_autofree char *described = NULL;
      g_autoptr(GString) subtitle = g_string_new (NULL);
      g_autofree char *title = NULL;
      GtkWidget *row = adw_action_row_new ();
      const char *name, *target, *fallback;
      guint64 hits = 0, fell_back = 0;
      GVariantIter iter;

      g_variant_get_child (routes, i, "(&s@a{sv}&s@as)", &name, &match, &target, &fallbacks);
      if (self->counters != NULL)
        g_variant_lookup (self->counters, name, "(tt)", &hits, &fell_back);
      described = cc_proxy_route_match_text (match);
      g_string_append_printf (subtitle, "%s → %s", described, target);
      g_variant_iter_init (&iter, fallbacks);
      while (g_variant_iter_next (&iter, "&s", &fallback))
        g_string_append_printf (subtitle, _(", then %s"), fallback);
      g_string_append_printf (subtitle, _(" · %" G_GUINT64_FORMAT " requests, %" G_GUINT64_FORMAT " by a fallback"),
                              hits, fell_back);
      title = g_strdup_printf ("%" G_GSIZE_FORMAT ". %s", i + 1, name);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle->str);
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      g_object_set_data_full (G_OBJECT (row), "route", g_strdup (name), g_free);
      g_object_set_data_full (G_OBJECT (row), "text", g_strdup_printf ("%s: %s", title, subtitle->str), g_free);
      g_signal_connect (row, "activated", G_CALLBACK (on_row_activated), self);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), row_button (self, "go-up-symbolic", _("Move Up"), name,
                                                                   G_CALLBACK (on_up)));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), row_button (self, "go-down-symbolic", _("Move Down"), name,
                                                                   G_CALLBACK (on_down)));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), row_button (self, "user-trash-symbolic", _("Remove"), name,
                                                                   G_CALLBACK (on_remove)));
      adw_preferences_group_add (self->group, row);
      g_ptr_array_add (self->rows, row);
    }

  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->problem_row), problem ? problem : "");
  gtk_widget_set_visible (self->problem_row, problem != NULL && problem[0] != '\0');
}

static void
on_counters (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(CcPanelRoutesPage) self = user_data;
  g_autoptr(GVariant) counters = NULL;
  g_autoptr(GVariant) skipped = NULL;

  if (!cc_proxy_dbus_proxy1_call_get_route_counters_finish (CC_PROXY_DBUS_PROXY1 (source), &counters, &skipped,
                                                             result, NULL))
    return;
  g_clear_pointer (&self->counters, g_variant_unref);
  self->counters = g_steal_pointer (&counters);
  fill (self);
}

/* The counters change with every request, and send no signal: read on
 * demand (after a request, say). */
void
cc_panel_routes_page_refresh (CcPanelRoutesPage *self)
{
  g_autofree char *owner = self->daemon ? g_dbus_proxy_get_name_owner (G_DBUS_PROXY (self->daemon)) : NULL;

  if (owner == NULL)
    {
      fill (self);
      return;
    }
  cc_proxy_dbus_proxy1_call_get_route_counters (self->daemon, self->cancellable, on_counters, g_object_ref (self));
}

/**
 * cc_panel_routes_page_set_daemon:
 * @daemon: (nullable): cc-proxyd's main object
 */
void
cc_panel_routes_page_set_daemon (CcPanelRoutesPage *self,
                                 CcProxyDBusProxy1 *daemon)
{
  if (self->daemon != NULL)
    g_signal_handlers_disconnect_by_data (self->daemon, self);
  g_set_object (&self->daemon, daemon);
  if (daemon != NULL)
    {
      g_signal_connect_swapped (daemon, "notify::routes", G_CALLBACK (cc_panel_routes_page_refresh), self);
      g_signal_connect_swapped (daemon, "notify::routes-problem", G_CALLBACK (fill), self);
      g_signal_connect_swapped (daemon, "notify::g-name-owner", G_CALLBACK (cc_panel_routes_page_refresh), self);
    }
  cc_panel_routes_page_refresh (self);
}

guint
cc_panel_routes_page_get_n_routes (CcPanelRoutesPage *self)
{
  return self->rows->len;
}

/**
 * cc_panel_routes_page_get_row_text:
 *
 * Returns: the row's title and subtitle: "1. bg: role=background →
 *   openai · 0 requests, 0 by a fallback"
 */
const char *
cc_panel_routes_page_get_row_text (CcPanelRoutesPage *self,
                                   guint              index)
{
  g_return_val_if_fail (index < self->rows->len, NULL);
  return g_object_get_data (g_ptr_array_index (self->rows, index), "text");
}

/* The daemon's reason for the last refused change, or NULL. */
const char *
cc_panel_routes_page_get_error (CcPanelRoutesPage *self)
{
  return self->error;
}

static void
cc_panel_routes_page_dispose (GObject *object)
{
  CcPanelRoutesPage *self = CC_PANEL_ROUTES_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  if (self->daemon != NULL)
    g_signal_handlers_disconnect_by_data (self->daemon, self);
  g_clear_object (&self->daemon);
  G_OBJECT_CLASS (cc_panel_routes_page_parent_class)->dispose (object);
}

static void
cc_panel_routes_page_finalize (GObject *object)
{
  CcPanelRoutesPage *self = CC_PANEL_ROUTES_PAGE (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->rows, g_ptr_array_unref);
  g_clear_pointer (&self->counters, g_variant_unref);
  g_free (self->error);
  G_OBJECT_CLASS (cc_panel_routes_page_parent_class)->finalize (object);
}

static void
cc_panel_routes_page_class_init (CcPanelRoutesPageClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = cc_panel_routes_page_dispose;
  G_OBJECT_CLASS (klass)->finalize = cc_panel_routes_page_finalize;
}

static void
cc_panel_routes_page_init (CcPanelRoutesPage *self)
{
  GtkWidget *add = gtk_button_new_from_icon_name ("list-add-symbolic");
  AdwPreferencesGroup *problems = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());

  self->cancellable = g_cancellable_new ();
  self->rows = g_ptr_array_new ();

  self->problem_row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->problem_row), _("Stored routes refused"));
  gtk_widget_add_css_class (self->problem_row, "error");
  gtk_widget_set_visible (self->problem_row, FALSE);
  adw_preferences_group_add (problems, self->problem_row);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), problems);

  self->group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (self->group, _("Routes"));
  adw_preferences_group_set_description (self->group,
                                         _("First match wins; requests no route matches go to the active provider."));
  gtk_widget_add_css_class (add, "flat");
  gtk_widget_set_tooltip_text (add, _("Add Route"));
  g_signal_connect (add, "clicked", G_CALLBACK (on_add), self);
  adw_preferences_group_set_header_suffix (self->group, add);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), self->group);
}

GtkWidget *
cc_panel_routes_page_new (void)
{
  return g_object_new (CC_PANEL_TYPE_ROUTES_PAGE, NULL);
}
