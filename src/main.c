/* main.c: cc-proxyd, the cc-proxy session service
 *
 * The command line and the main loop; the service's objects are
 * CcProxyDaemon's.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "cc-proxyd"

#include "config.h"

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <stdio.h>

#include "cc-proxy-daemon.h"

static gboolean
on_quit_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *listen = NULL;
  g_autofree char *provider_dir = NULL;
  gboolean log_traffic = FALSE;
  gboolean version = FALSE;
  int deadline = 0;
  const GOptionEntry entries[] = {
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &listen,
      N_("Address to listen on (default " CC_PROXY_DEFAULT_LISTEN_ADDRESS "; port 0 picks a free port)"),
      N_("HOST:PORT") },
    { "log-traffic", 0, 0, G_OPTION_ARG_NONE, &log_traffic,
      N_("Print one line per request to standard error"), NULL },
    { "request-deadline", 0, 0, G_OPTION_ARG_INT, &deadline,
      N_("Seconds a provider may take before it starts answering (default 300)"), N_("SECONDS") },
    { "provider-dir", 0, 0, G_OPTION_ARG_FILENAME, &provider_dir,
      N_("Where provider modules are loaded from, a colon-separated list (default: $CC_PROXY_PROVIDER_DIR, else the installed directory)"),
      N_("DIR") },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_("Print the version and exit"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) option_context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CcProxyDaemon) daemon = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(CcProxyLogRing) log = cc_proxy_log_ring_new (200);
  g_autofree char *start_error = NULL;

  /* Before anything can log: cc-proxyctl log reads the recent lines. */
  cc_proxy_log_ring_install (log);
  cc_proxy_server_init_process ();

  option_context = g_option_context_new (NULL);
  g_option_context_set_summary (option_context,
                                _("Serve Anthropic-API clients on loopback and forward each request to the chosen provider.\n"
                                  "Point clients at it with ANTHROPIC_BASE_URL=http://127.0.0.1:3344"));
  g_option_context_add_main_entries (option_context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (option_context, &argc, &argv, &error))
    {
      g_printerr ("%s: %s\n", g_get_prgname (), error->message);
      g_printerr (_("Try “%s --help” for more information.\n"), g_get_prgname ());
      return 2;
    }
  if (version)
    {
      g_print ("cc-proxyd %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (deadline < 0)
    {
      g_printerr (_("%s: --request-deadline must be a positive number of seconds\n"), g_get_prgname ());
      return 2;
    }

  if (provider_dir == NULL)
    provider_dir = g_strdup (g_getenv ("CC_PROXY_PROVIDER_DIR"));
  if (provider_dir == NULL || provider_dir[0] == '\0')
    {
      g_free (provider_dir);
      provider_dir = g_strdup (CC_PROXY_PROVIDER_DIR);
    }

  daemon = cc_proxy_daemon_new (provider_dir, deadline, log_traffic);
  if (!cc_proxy_daemon_listen (daemon, listen, &error))
    {
      g_printerr (_("%s: cannot listen: %s\n"), g_get_prgname (), error->message);
      /* Started by the bus itself (no systemd, no terminal), standard
       * error goes nowhere and the caller only learns "exited with status
       * 1": stay on the bus instead, so that status says why. */
      if (g_getenv ("DBUS_STARTER_BUS_TYPE") == NULL || g_getenv ("INVOCATION_ID") != NULL)
        return 1;
      start_error = g_strdup_printf (_("cannot listen: %s"), error->message);
      g_clear_error (&error);
    }

  /* Handlers first: whoever reads the line below may stop us at once. */
  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, on_quit_signal, loop);
  g_unix_signal_add (SIGTERM, on_quit_signal, loop);

  /* Scripts and tests read this line to learn the port. */
  if (start_error == NULL)
    {
      g_print (_("cc-proxyd listening on %s (provider: %s)\n"), cc_proxy_daemon_get_url (daemon),
               cc_proxy_daemon_get_provider (daemon));
      g_print (_("Point Claude Code at it:  ANTHROPIC_BASE_URL=%s claude\n"), cc_proxy_daemon_get_url (daemon));
      fflush (stdout);
    }

  cc_proxy_daemon_publish (daemon, log, start_error);
  g_main_loop_run (loop);
  return 0;
}
