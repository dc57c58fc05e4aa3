/* cc-panel-application.c: cc-proxy-panel, the application
 *
 * One window on the session bus's cc-proxyd. D-Bus activatable
 * (org.ccproxy.Panel): cc-proxyd's desktop notification opens it through
 * org.freedesktop.Application.ActivateAction with the provider's id,
 * "show-provider" for a click on the notification and "sign-in" for its
 * button.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cc-panel-application.h"
#include "cc-panel-window.h"

struct _CcPanelApplication
{
  AdwApplication parent_instance;
};

G_DEFINE_FINAL_TYPE (CcPanelApplication, cc_panel_application, ADW_TYPE_APPLICATION)

/* The window, made on first use: it needs the session bus, which the
 * application has once registered on it. */
static CcPanelWindow *
ensure_window (CcPanelApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));
  GDBusConnection *bus;

  if (window != NULL)
    return CC_PANEL_WINDOW (window);
  bus = g_application_get_dbus_connection (G_APPLICATION (self));
  if (bus == NULL)
    {
      g_printerr (_("cc-proxy-panel: no session bus: cc-proxyd is reached over the D-Bus session bus "
                    "(is DBUS_SESSION_BUS_ADDRESS set?)\n"));
      g_application_quit (G_APPLICATION (self));
      return NULL;
    }
  return CC_PANEL_WINDOW (cc_panel_window_new (ADW_APPLICATION (self), bus));
}

static void
cc_panel_application_activate (GApplication *application)
{
  CcPanelWindow *window = ensure_window (CC_PANEL_APPLICATION (application));

  if (window != NULL)
    gtk_window_present (GTK_WINDOW (window));
}

static void
on_provider_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  CcPanelWindow *window = ensure_window (user_data);

  if (window == NULL)
    return;
  gtk_window_present (GTK_WINDOW (window));
  if (g_str_equal (g_action_get_name (G_ACTION (action)), "sign-in"))
    cc_panel_window_sign_in (window, g_variant_get_string (parameter, NULL));
  else
    cc_panel_window_show_provider (window, g_variant_get_string (parameter, NULL));
}

static void
on_about (GSimpleAction *action,
          GVariant      *parameter,
          gpointer       user_data)
{
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (user_data));
  GtkWidget *about = adw_about_window_new ();

  adw_about_window_set_application_name (ADW_ABOUT_WINDOW (about), "cc-proxy");
  adw_about_window_set_application_icon (ADW_ABOUT_WINDOW (about), "org.ccproxy.Panel");
  adw_about_window_set_version (ADW_ABOUT_WINDOW (about), PACKAGE_VERSION);
  adw_about_window_set_comments (ADW_ABOUT_WINDOW (about),
                                 _("A local proxy for Anthropic-API clients such as Claude Code: it sends each "
                                   "request to the provider that should serve it, and shows the traffic."));
  adw_about_window_set_license_type (ADW_ABOUT_WINDOW (about), GTK_LICENSE_LGPL_2_1);
  adw_about_window_set_developer_name (ADW_ABOUT_WINDOW (about), _("The cc-proxy developers"));
  if (parent != NULL)
    gtk_window_set_transient_for (GTK_WINDOW (about), parent);
  gtk_window_set_application (GTK_WINDOW (about), GTK_APPLICATION (user_data));
  gtk_window_present (GTK_WINDOW (about));
}

static void
on_quit (GSimpleAction *action,
         GVariant      *parameter,
         gpointer       user_data)
{
  g_application_quit (user_data);
}

static const GActionEntry application_actions[] = {
  { .name = "sign-in", .activate = on_provider_action, .parameter_type = "s" },
  { .name = "show-provider", .activate = on_provider_action, .parameter_type = "s" },
  { .name = "quit", .activate = on_quit },
  { .name = "about", .activate = on_about },
};

static void
cc_panel_application_startup (GApplication *application)
{
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *close_accels[] = { "<Control>w", NULL };

  G_APPLICATION_CLASS (cc_panel_application_parent_class)->startup (application);
  g_action_map_add_action_entries (G_ACTION_MAP (application), application_actions,
                                   G_N_ELEMENTS (application_actions), application);
  gtk_application_set_accels_for_action (GTK_APPLICATION (application), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (application), "window.close", close_accels);
}

static void
cc_panel_application_class_init (CcPanelApplicationClass *klass)
{
  G_APPLICATION_CLASS (klass)->activate = cc_panel_application_activate;
  G_APPLICATION_CLASS (klass)->startup = cc_panel_application_startup;
}

static void
cc_panel_application_init (CcPanelApplication *self)
{
}

CcPanelApplication *
cc_panel_application_new (void)
{
  return g_object_new (CC_PANEL_TYPE_APPLICATION,
                       "application-id", "org.ccproxy.Panel",
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       NULL);
}
