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

#include "cc-proxy-host-sandbox.h"
#include "cc-proxy-host-service.h"
#include "cc-proxy-server.h"

#define CONTROL_FD 3
#define LISTEN_FD 4
#define CONTROL_PATH "/org/ccproxy/ProviderHost"

static void
on_closed (GDBusConnection *connection,
           gboolean         remote_peer_vanished,
           GError          *error,
           GMainLoop       *loop)
{
  g_main_loop_quit (loop);
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
  g_autoptr(CcProxyHostService) service = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *confinement = NULL;

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

  loop = g_main_loop_new (NULL, FALSE);
  service = cc_proxy_host_service_new (provider_id, LISTEN_FD);
  g_signal_connect (connection, "closed", G_CALLBACK (on_closed), loop);
  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (service), connection, CONTROL_PATH, &error))
    {
      g_printerr ("%s: %s\n", g_get_prgname (), error->message);
      return 1;
    }

  g_dbus_connection_start_message_processing (connection);

  /* Confined before any of the module's code runs, for good. */
  confinement = cc_proxy_host_sandbox_confine (module_path);

  /* The module runs from here on: whatever it does, the daemon sees it
   * as a late, failed or missing answer to Hello. */
  cc_proxy_host_service_load (service, module_path, confinement);

  g_main_loop_run (loop);

  g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (service));
  return 0;
}
