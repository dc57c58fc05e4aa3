/* cc-test-desktop.c: a stand-in desktop on a test bus
 *
 * A notification server (org.freedesktop.Notifications) that keeps what
 * it is asked to show and can press a notification's buttons, and
 * xdg-desktop-portal's OpenURI, which records the address it was asked
 * to open. Both are owned on the test's own connection.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "cc-test-desktop.h"
#include "cc-test-util.h"

#define NOTIFICATIONS "org.freedesktop.Notifications"
#define NOTIFICATIONS_PATH "/org/freedesktop/Notifications"
#define PORTAL "org.freedesktop.portal.Desktop"
#define PORTAL_PATH "/org/freedesktop/portal/desktop"

static const char desktop_xml[] =
  "<node>"
  "<interface name='org.freedesktop.Notifications'>"
  "<method name='Notify'><arg type='s' direction='in'/><arg type='u' direction='in'/>"
  "<arg type='s' direction='in'/><arg type='s' direction='in'/><arg type='s' direction='in'/>"
  "<arg type='as' direction='in'/><arg type='a{sv}' direction='in'/><arg type='i' direction='in'/>"
  "<arg type='u' direction='out'/></method>"
  "<signal name='ActionInvoked'><arg type='u'/><arg type='s'/></signal>"
  "</interface>"
  "<interface name='org.freedesktop.portal.OpenURI'>"
  "<method name='OpenURI'><arg type='s' direction='in'/><arg type='s' direction='in'/>"
  "<arg type='a{sv}' direction='in'/><arg type='o' direction='out'/></method>"
  "</interface>"
  "</node>";

static void
on_method_call (GDBusConnection       *connection,
                const char            *sender,
                const char            *object_path,
                const char            *interface_name,
                const char            *method_name,
                GVariant              *parameters,
                GDBusMethodInvocation *invocation,
                gpointer               user_data)
{
  CcTestDesktop *desktop = user_data;

  if (g_str_equal (method_name, "Notify"))
    {
      const char *summary, *body;
      g_autofree const char **actions = NULL;
      g_autofree char *joined = NULL;

      g_variant_get (parameters, "(&su&s&s&s^a&s@a{sv}i)", NULL, NULL, NULL, &summary, &body, &actions, NULL, NULL);
      joined = g_strjoinv (",", (char **) actions);
      g_ptr_array_add (desktop->shown, g_strdup_printf ("%s|%s|%s", summary, body, joined));
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(u)", ++desktop->last_id));
    }
  else
    {
      const char *uri;

      g_variant_get (parameters, "(&s&s@a{sv})", NULL, &uri, NULL);
      g_free (desktop->opened);
      desktop->opened = g_strdup (uri);
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(o)", PORTAL_PATH "/request/1"));
    }
}

static const GDBusInterfaceVTable desktop_vtable = { on_method_call, NULL, NULL, { NULL } };

/**
 * cc_test_desktop_start:
 * @connection: the test's connection to its bus
 *
 * Returns: (transfer full): the stand-in, its names owned
 */
CcTestDesktop *
cc_test_desktop_start (GDBusConnection *connection)
{
  g_autoptr(GDBusNodeInfo) node = g_dbus_node_info_new_for_xml (desktop_xml, NULL);
  g_autoptr(GError) error = NULL;
  CcTestDesktop *desktop = g_new0 (CcTestDesktop, 1);

  desktop->connection = g_object_ref (connection);
  desktop->shown = g_ptr_array_new_with_free_func (g_free);
  desktop->registrations[0] = g_dbus_connection_register_object (connection, NOTIFICATIONS_PATH, node->interfaces[0],
                                                                 &desktop_vtable, desktop, NULL, &error);
  g_assert_no_error (error);
  desktop->registrations[1] = g_dbus_connection_register_object (connection, PORTAL_PATH, node->interfaces[1],
                                                                 &desktop_vtable, desktop, NULL, &error);
  g_assert_no_error (error);
  desktop->owners[0] = g_bus_own_name_on_connection (connection, NOTIFICATIONS, G_BUS_NAME_OWNER_FLAGS_NONE,
                                                     NULL, NULL, NULL, NULL);
  desktop->owners[1] = g_bus_own_name_on_connection (connection, PORTAL, G_BUS_NAME_OWNER_FLAGS_NONE,
                                                     NULL, NULL, NULL, NULL);
  /* The names are taken once the bus has answered. */
  cc_test_drain (100);
  return desktop;
}

void
cc_test_desktop_stop (CcTestDesktop *desktop)
{
  for (guint i = 0; i < G_N_ELEMENTS (desktop->owners); i++)
    {
      g_bus_unown_name (desktop->owners[i]);
      g_dbus_connection_unregister_object (desktop->connection, desktop->registrations[i]);
    }
  g_ptr_array_unref (desktop->shown);
  g_free (desktop->opened);
  g_object_unref (desktop->connection);
  g_free (desktop);
}

static gboolean
has_shown (gpointer user_data)
{
  CcTestDesktop *desktop = ((gpointer *) user_data)[0];

  return desktop->shown->len >= GPOINTER_TO_UINT (((gpointer *) user_data)[1]);
}

/* Waits until @n notifications have been shown in all. */
void
cc_test_desktop_wait_shown (CcTestDesktop *desktop,
                            guint          n)
{
  gpointer wanted[2] = { desktop, GUINT_TO_POINTER (n) };

  cc_test_wait_for (has_shown, wanted);
}

/* The person presses @action ("default" is the notification itself)
 * on the last notification shown. */
void
cc_test_desktop_press (CcTestDesktop *desktop,
                       const char    *action)
{
  g_autoptr(GError) error = NULL;

  g_dbus_connection_emit_signal (desktop->connection, NULL, NOTIFICATIONS_PATH, NOTIFICATIONS, "ActionInvoked",
                                 g_variant_new ("(us)", desktop->last_id, action), &error);
  g_assert_no_error (error);
}
