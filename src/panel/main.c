/* main.c: cc-proxy-panel, a window on cc-proxyd
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <locale.h>

#include <glib/gi18n.h>

#include "cc-panel-window.h"

static void
on_bus (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(AdwApplication) application = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) bus = g_bus_get_finish (result, &error);

  if (bus == NULL)
    {
      g_printerr ("cc-proxy-panel: %s\n", error->message);
      g_application_release (G_APPLICATION (application));
      return;
    }
  gtk_window_present (GTK_WINDOW (cc_panel_window_new (application, bus)));
  g_application_release (G_APPLICATION (application));
}

static void
on_activate (AdwApplication *application)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (application));

  if (window != NULL)
    {
      gtk_window_present (window);
      return;
    }
  /* Held until the window is there: the bus comes first. */
  g_application_hold (G_APPLICATION (application));
  g_bus_get (G_BUS_TYPE_SESSION, NULL, on_bus, g_object_ref (application));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(AdwApplication) application = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  application = adw_application_new ("org.ccproxy.Panel", G_APPLICATION_DEFAULT_FLAGS);
  g_signal_connect (application, "activate", G_CALLBACK (on_activate), NULL);
  return g_application_run (G_APPLICATION (application), argc, argv);
}
