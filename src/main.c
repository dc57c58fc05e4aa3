/* main.c: cc-proxyd, the cc-proxy session service
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "cc-proxyd"

#include "config.h"

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <gio/gunixsocketaddress.h>
#include <stdio.h>
#include <unistd.h>

#include "cc-proxy-dbus-service.h"
#include "cc-proxy-event-sink.h"
#include "cc-proxy-log-ring.h"
#include "cc-proxy-registry.h"
#include "cc-proxy-runtime.h"
#include "cc-proxy-server.h"
#include "cc-proxy-private.h"

static gboolean
on_quit_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

static void
on_deadline_changed (GSettings     *settings,
                     const char    *key,
                     CcProxyServer *server)
{
  cc_proxy_server_set_deadline (server, g_settings_get_uint (settings, key));
}

static void
on_bus_acquired (GDBusConnection    *connection,
                 const char         *name,
                 CcProxyDBusService *service)
{
  g_autoptr(GError) error = NULL;

  if (!cc_proxy_dbus_service_export (service, connection, &error))
    g_message (_("Could not put the control interface on the session bus: %s"), error->message);
}

static void
on_name_lost (GDBusConnection    *connection,
              const char         *name,
              CcProxyDBusService *service)
{
  /* HTTP goes on either way: the proxy is useful without its controls. */
  if (connection == NULL)
    g_message (_("No session bus: the control interface (%s) is not available"), name);
  else
    g_message (_("Another process owns %s: this cc-proxyd cannot be controlled over D-Bus"), name);
  cc_proxy_dbus_service_unexport (service);
}

/* systemd's watchdog (WatchdogSec= in the unit): a "WATCHDOG=1" datagram
 * to $NOTIFY_SOCKET at half the interval, sent from the main loop while
 * the server can accept clients, so that a daemon whose loop hangs, or
 * that stays out of descriptors for the whole interval, is restarted.
 * No libsystemd needed. */
typedef struct
{
  GSocket        *socket;
  GSocketAddress *address;
  CcProxyServer  *server;
  guint           source_id;
} Watchdog;

static void
watchdog_free (Watchdog *watchdog)
{
  g_clear_handle_id (&watchdog->source_id, g_source_remove);
  g_clear_object (&watchdog->socket);
  g_clear_object (&watchdog->address);
  g_clear_object (&watchdog->server);
  g_free (watchdog);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Watchdog, watchdog_free)

static gboolean
on_watchdog (gpointer user_data)
{
  Watchdog *watchdog = user_data;
  static const char ping[] = "WATCHDOG=1";

  if (!cc_proxy_server_is_accepting (watchdog->server))
    return G_SOURCE_CONTINUE;
  g_socket_send_to (watchdog->socket, watchdog->address, ping, sizeof ping - 1, NULL, NULL);
  return G_SOURCE_CONTINUE;
}

static Watchdog *
watchdog_start (CcProxyServer *server)
{
  const char *path = g_getenv ("NOTIFY_SOCKET");
  const char *usec = g_getenv ("WATCHDOG_USEC");
  const char *pid = g_getenv ("WATCHDOG_PID");
  guint64 interval = usec != NULL ? g_ascii_strtoull (usec, NULL, 10) : 0;
  Watchdog *watchdog;

  if (path == NULL || path[0] == '\0' || interval == 0 ||
      (pid != NULL && g_ascii_strtoull (pid, NULL, 10) != (guint64) getpid ()))
    return NULL;

  watchdog = g_new0 (Watchdog, 1);
  watchdog->server = g_object_ref (server);
  watchdog->socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM, 0, NULL);
  /* "@name" is a socket in the abstract namespace. */
  watchdog->address = path[0] == '@'
    ? g_unix_socket_address_new_with_type (path + 1, -1, G_UNIX_SOCKET_ADDRESS_ABSTRACT)
    : g_unix_socket_address_new (path);
  if (watchdog->socket == NULL)
    {
      g_message (_("Cannot talk to the service manager's watchdog at %s"), path);
      watchdog_free (watchdog);
      return NULL;
    }
  watchdog->source_id = g_timeout_add_full (G_PRIORITY_DEFAULT, MAX (interval / 2000, 1), on_watchdog, watchdog, NULL);
  on_watchdog (watchdog);
  return watchdog;
}

/* --log-traffic: one line per request, when its last event arrives. */
static void
on_traffic_event (CcProxyEventSink *sink,
                  CcProxyEvent     *event,
                  gpointer          user_data)
{
  if (event->kind != CC_PROXY_EVENT_RESPONSE_DONE &&
      event->kind != CC_PROXY_EVENT_ERROR &&
      event->kind != CC_PROXY_EVENT_PROXY_ERROR)
    return;

  g_printerr ("%s %s%s%s %u %.1fms %s%s%s\n",
              event->method, event->path,
              event->query ? "?" : "", event->query ? event->query : "",
              event->status, event->duration_us / 1000.0, event->provider_id,
              event->message ? " " : "", event->message ? event->message : "");
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
  g_autoptr(CcProxyRegistry) registry = NULL;
  g_autoptr(CcProxyRuntime) runtime = NULL;
  g_autoptr(CcProxyHostSupervisor) hosts = NULL;
  g_autoptr(CcProxySettings) settings = NULL;
  g_autoptr(CcProxyEventSink) sink = NULL;
  g_autoptr(CcProxyServer) server = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(CcProxyDBusService) service = NULL;
  g_autoptr(CcProxyCaptureLog) capture = NULL;
  g_autoptr(Watchdog) watchdog = NULL;
  g_autoptr(CcProxyLogRing) log = cc_proxy_log_ring_new (200);
  g_autofree char *start_error = NULL;
  g_autofree char *capture_dir = NULL;
  GSettings *core;
  guint owner_id;

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

  registry = cc_proxy_registry_new ();
  /* Each module in a process of its own, unless asked (to debug one
   * with gdb, say). */
  if (g_strcmp0 (g_getenv ("CC_PROXY_PROVIDER_IN_PROCESS"), "1") != 0)
    {
      const char *host_program = g_getenv ("CC_PROXY_PROVIDER_HOST");

      cc_proxy_registry_set_host_program (registry, host_program != NULL && host_program[0] != '\0'
                                                      ? host_program : CC_PROXY_PROVIDER_HOST);
    }
  /* A list, like PATH: a build tree has a directory per provider. */
  {
    g_auto(GStrv) dirs = g_strsplit (provider_dir, G_SEARCHPATH_SEPARATOR_S, -1);

    for (guint i = 0; dirs[i] != NULL; i++)
      if (dirs[i][0] != '\0')
        cc_proxy_registry_load_modules (registry, dirs[i]);
  }
  settings = cc_proxy_settings_new (registry, NULL, NULL);
  runtime = cc_proxy_runtime_new (registry, settings);
  hosts = cc_proxy_host_supervisor_new (runtime);
  cc_proxy_host_supervisor_start (hosts);
  sink = CC_PROXY_PRIVATE_CALL (event_sink_new) ();
  if (log_traffic)
    g_signal_connect (sink, "event", G_CALLBACK (on_traffic_event), NULL);

  server = cc_proxy_server_new (registry, runtime, sink);
  core = cc_proxy_settings_get_core_settings (settings);
  /* The command line wins over GSettings, which wins over built-in defaults. */
  if (deadline > 0)
    cc_proxy_server_set_deadline (server, deadline);
  else if (core != NULL)
    {
      cc_proxy_server_set_deadline (server, g_settings_get_uint (core, "request-deadline"));
      g_signal_connect_object (core, "changed::request-deadline", G_CALLBACK (on_deadline_changed), server, 0);
    }
  if (core != NULL)
    {
      cc_proxy_server_set_limits (server, (guint64) g_settings_get_uint (core, "max-request-size") * 1024 * 1024,
                                  g_settings_get_uint (core, "max-upstream-connections"),
                                  CC_PROXY_DEFAULT_CLIENT_TIMEOUT_SECONDS);
      cc_proxy_server_set_body_budget (server, (guint64) g_settings_get_uint (core, "held-request-bodies") * 1024 * 1024);
    }
  if (listen == NULL && core != NULL)
    listen = g_settings_get_string (core, "listen-address");
  if (!cc_proxy_server_listen (server, listen ? listen : CC_PROXY_DEFAULT_LISTEN_ADDRESS, &error))
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
  watchdog = watchdog_start (server);

  /* Scripts and tests read this line to learn the port. */
  if (start_error == NULL)
    {
      g_print (_("cc-proxyd listening on %s (provider: %s)\n"), cc_proxy_server_get_url (server),
               cc_proxy_snapshot_get_active_provider (cc_proxy_runtime_get_snapshot (runtime)));
      g_print (_("Point Claude Code at it:  ANTHROPIC_BASE_URL=%s claude\n"), cc_proxy_server_get_url (server));
      fflush (stdout);
    }

  /* Secret settings arrive from the keyring a moment later; requests
   * before that see only the environment's. */
  {
    g_autoptr(CcProxySecretStore) secrets = cc_proxy_secret_store_new ();

    cc_proxy_settings_use_keyring (settings, secrets);
  }

  /* Under systemd the unit's StateDirectory= is the place it keeps
   * writable; with ProtectHome=read-only nothing else in the home is, and
   * before systemd 254 a user unit's state directory is not even
   * ~/.local/state (it is ~/.config). */
  if (g_getenv ("STATE_DIRECTORY") != NULL && g_getenv ("STATE_DIRECTORY")[0] != '\0')
    {
      g_auto(GStrv) dirs = g_strsplit (g_getenv ("STATE_DIRECTORY"), ":", 2);

      capture_dir = g_build_filename (dirs[0], "captures", NULL);
    }
  else
    capture_dir = g_build_filename (g_get_user_state_dir (), "cc-proxy", "captures", NULL);
  capture = cc_proxy_capture_log_new (sink, capture_dir);
  if (core != NULL)
    cc_proxy_capture_log_bind_settings (capture, core);
  else
    {
      /* No schema installed: the schema's defaults. */
      cc_proxy_capture_log_set_limits (capture, 1024 * 1024 * 1024, 30);
      cc_proxy_capture_log_set_enabled (capture, TRUE);
    }

  service = cc_proxy_dbus_service_new (runtime, server, sink, capture, hosts);
  cc_proxy_dbus_service_set_log (service, log);
  cc_proxy_dbus_service_set_start_error (service, start_error);
  /* Not queued: a second cc-proxyd would otherwise take the name over,
   * without a word, the moment the first exits. */
  owner_id = g_bus_own_name (G_BUS_TYPE_SESSION, CC_PROXY_DBUS_NAME, G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE,
                             (GBusAcquiredCallback) on_bus_acquired, NULL,
                             (GBusNameLostCallback) on_name_lost, service, NULL);

  g_main_loop_run (loop);

  g_bus_unown_name (owner_id);
  cc_proxy_dbus_service_unexport (service);
  return 0;
}
