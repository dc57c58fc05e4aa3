/* cc-proxy-daemon.c: cc-proxyd's objects, and who owns them
 *
 * The registry of providers, their settings and the snapshots made of
 * them, the provider hosts, the HTTP server and its events, the capture
 * log, the bus service and name, and systemd's watchdog: made here, in
 * the order each needs the others, and let go together. main() parses
 * the command line and runs the loop (see docs/architecture.md).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "cc-proxyd"

#include "config.h"

#include <glib/gi18n.h>
#include <gio/gunixsocketaddress.h>
#include <unistd.h>

#include "cc-proxy-daemon.h"
#include "cc-proxy-dbus-service.h"
#include "cc-proxy-host-supervisor.h"
#include "cc-proxy-event-sink.h"
#include "cc-proxy-event.h"
#include "cc-proxy-registry.h"
#include "cc-proxy-runtime.h"
#include "cc-proxy-secret-store.h"

struct _CcProxyDaemon
{
  GObject                parent_instance;

  CcProxyRegistry       *registry;
  CcProxySettings       *settings;
  CcProxyRuntime        *runtime;
  CcProxyRouter         *router;
  CcProxyHostSupervisor *hosts;
  CcProxyEventSink      *sink;
  CcProxyServer         *server;
  CcProxyCaptureLog     *capture;
  CcProxyDBusService    *service;
  guint                  owner_id;

  /* systemd's watchdog (WatchdogSec= in the unit) */
  GSocket               *watchdog_socket;
  GSocketAddress        *watchdog_address;
  guint                  watchdog_id;
};

G_DEFINE_FINAL_TYPE (CcProxyDaemon, cc_proxy_daemon, G_TYPE_OBJECT)

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

/* A "WATCHDOG=1" datagram to $NOTIFY_SOCKET at half the interval, sent
 * from the main loop while the server can accept clients, so that a
 * daemon whose loop hangs, or that stays out of descriptors for the
 * whole interval, is restarted. No libsystemd needed. */
static gboolean
on_watchdog (gpointer user_data)
{
  CcProxyDaemon *self = user_data;
  static const char ping[] = "WATCHDOG=1";

  if (!cc_proxy_server_is_accepting (self->server))
    return G_SOURCE_CONTINUE;
  g_socket_send_to (self->watchdog_socket, self->watchdog_address, ping, sizeof ping - 1, NULL, NULL);
  return G_SOURCE_CONTINUE;
}

static void
watchdog_start (CcProxyDaemon *self)
{
  const char *path = g_getenv ("NOTIFY_SOCKET");
  const char *usec = g_getenv ("WATCHDOG_USEC");
  const char *pid = g_getenv ("WATCHDOG_PID");
  guint64 interval = usec != NULL ? g_ascii_strtoull (usec, NULL, 10) : 0;

  if (path == NULL || path[0] == '\0' || interval == 0 ||
      (pid != NULL && g_ascii_strtoull (pid, NULL, 10) != (guint64) getpid ()))
    return;

  self->watchdog_socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM, 0, NULL);
  if (self->watchdog_socket == NULL)
    {
      g_message (_("Cannot talk to the service manager's watchdog at %s"), path);
      return;
    }
  /* "@name" is a socket in the abstract namespace. */
  self->watchdog_address = path[0] == '@'
    ? g_unix_socket_address_new_with_type (path + 1, -1, G_UNIX_SOCKET_ADDRESS_ABSTRACT)
    : g_unix_socket_address_new (path);
  self->watchdog_id = g_timeout_add_full (G_PRIORITY_DEFAULT, MAX (interval / 2000, 1), on_watchdog, self, NULL);
  on_watchdog (self);
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

  g_printerr ("%s %s%s%s %u %.1fms %s%s%s%s%s%s\n",
              event->method, event->path,
              event->query ? "?" : "", event->query ? event->query : "",
              event->status, event->duration_us / 1000.0, event->provider_id,
              event->route ? " [" : "", event->route ? event->route : "", event->route ? "]" : "",
              event->message ? " " : "", event->message ? event->message : "");
}

static void
cc_proxy_daemon_dispose (GObject *object)
{
  CcProxyDaemon *self = (CcProxyDaemon *) object;

  g_clear_handle_id (&self->watchdog_id, g_source_remove);
  g_clear_object (&self->watchdog_socket);
  g_clear_object (&self->watchdog_address);
  g_clear_handle_id (&self->owner_id, g_bus_unown_name);
  if (self->service != NULL)
    cc_proxy_dbus_service_unexport (self->service);
  /* Users before what they use. */
  g_clear_object (&self->service);
  g_clear_object (&self->capture);
  g_clear_object (&self->server);
  g_clear_object (&self->sink);
  g_clear_object (&self->hosts);
  g_clear_object (&self->runtime);
  g_clear_object (&self->router);
  g_clear_object (&self->settings);
  g_clear_object (&self->registry);
  G_OBJECT_CLASS (cc_proxy_daemon_parent_class)->dispose (object);
}

static void
cc_proxy_daemon_class_init (CcProxyDaemonClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = cc_proxy_daemon_dispose;
}

static void
cc_proxy_daemon_init (CcProxyDaemon *self)
{
}

/**
 * cc_proxy_daemon_new:
 * @provider_dirs: where provider modules are, a colon-separated list
 * @deadline: seconds a provider may take before it answers, or 0 for
 *   the `request-deadline` setting
 * @log_traffic: whether to print a line per request on standard error
 *
 * Loads the providers and their settings, starts their hosts, and makes
 * the server, which does not listen yet.
 *
 * Returns: (transfer full): the daemon
 */
CcProxyDaemon *
cc_proxy_daemon_new (const char *provider_dirs,
                     guint       deadline,
                     gboolean    log_traffic)
{
  CcProxyDaemon *self = g_object_new (CC_PROXY_TYPE_DAEMON, NULL);
  g_auto(GStrv) dirs = g_strsplit (provider_dirs, G_SEARCHPATH_SEPARATOR_S, -1);
  GSettings *core;

  self->registry = cc_proxy_registry_new ();
  /* Each module in a process of its own, unless asked (to debug one
   * with gdb, say). */
  if (g_strcmp0 (g_getenv ("CC_PROXY_PROVIDER_IN_PROCESS"), "1") != 0)
    {
      const char *host_program = g_getenv ("CC_PROXY_PROVIDER_HOST");

      cc_proxy_registry_set_host_program (self->registry, host_program != NULL && host_program[0] != '\0'
                                                            ? host_program : CC_PROXY_PROVIDER_HOST);
    }
  /* A list, like PATH: a build tree has a directory per provider. */
  for (guint i = 0; dirs[i] != NULL; i++)
    if (dirs[i][0] != '\0')
      cc_proxy_registry_load_modules (self->registry, dirs[i]);

  self->settings = cc_proxy_settings_new (self->registry, NULL, NULL);
  self->runtime = cc_proxy_runtime_new (self->registry, self->settings);
  self->hosts = cc_proxy_host_supervisor_new (self->runtime);
  cc_proxy_host_supervisor_start (self->hosts);
  self->sink = cc_proxy_event_sink_new ();
  if (log_traffic)
    g_signal_connect (self->sink, "event", G_CALLBACK (on_traffic_event), NULL);

  self->server = cc_proxy_server_new (self->registry, self->runtime, self->sink);
  core = cc_proxy_settings_get_core_settings (self->settings);
  self->router = cc_proxy_router_new (self->registry, core);
  cc_proxy_server_set_router (self->server, self->router);
  /* The command line wins over GSettings, which wins over built-in defaults. */
  if (deadline > 0)
    cc_proxy_server_set_deadline (self->server, deadline);
  else if (core != NULL)
    {
      cc_proxy_server_set_deadline (self->server, g_settings_get_uint (core, "request-deadline"));
      g_signal_connect_object (core, "changed::request-deadline", G_CALLBACK (on_deadline_changed), self->server, 0);
    }
  if (core != NULL)
    {
      cc_proxy_server_set_limits (self->server, (guint64) g_settings_get_uint (core, "max-request-size") * 1024 * 1024,
                                  g_settings_get_uint (core, "max-upstream-connections"),
                                  CC_PROXY_DEFAULT_CLIENT_TIMEOUT_SECONDS);
      cc_proxy_server_set_body_budget (self->server,
                                       (guint64) g_settings_get_uint (core, "held-request-bodies") * 1024 * 1024);
    }
  return self;
}

/**
 * cc_proxy_daemon_listen:
 * @address: (nullable): "HOST:PORT", or %NULL for the `listen-address`
 *   setting
 *
 * Returns: whether the server listens
 */
gboolean
cc_proxy_daemon_listen (CcProxyDaemon  *self,
                        const char     *address,
                        GError        **error)
{
  GSettings *core = cc_proxy_settings_get_core_settings (self->settings);
  g_autofree char *setting = NULL;

  if (address == NULL && core != NULL)
    address = setting = g_settings_get_string (core, "listen-address");
  return cc_proxy_server_listen (self->server, address ? address : CC_PROXY_DEFAULT_LISTEN_ADDRESS, error);
}

/* Under systemd the unit's StateDirectory= is the place it keeps
 * writable; with ProtectHome=read-only nothing else in the home is, and
 * before systemd 254 a user unit's state directory is not even
 * ~/.local/state (it is ~/.config). */
static char *
capture_dir (void)
{
  const char *state = g_getenv ("STATE_DIRECTORY");

  if (state != NULL && state[0] != '\0')
    {
      g_auto(GStrv) dirs = g_strsplit (state, ":", 2);

      return g_build_filename (dirs[0], "captures", NULL);
    }
  return g_build_filename (g_get_user_state_dir (), "cc-proxy", "captures", NULL);
}

/**
 * cc_proxy_daemon_publish:
 * @log: the service log's recent lines, for GetRecentLog
 * @start_error: (nullable): why the server does not listen, for
 *   StartError
 *
 * The rest of the service: the watchdog, the keyring, the capture log,
 * and the control interface on the session bus.
 */
void
cc_proxy_daemon_publish (CcProxyDaemon  *self,
                         CcProxyLogRing *log,
                         const char     *start_error)
{
  GSettings *core = cc_proxy_settings_get_core_settings (self->settings);
  g_autofree char *captures = capture_dir ();

  watchdog_start (self);

  /* Secret settings arrive from the keyring a moment later; requests
   * before that see only the environment's. */
  {
    g_autoptr(CcProxySecretStore) secrets = cc_proxy_secret_store_new ();

    cc_proxy_settings_use_keyring (self->settings, secrets);
  }

  self->capture = cc_proxy_capture_log_new (self->sink, captures);
  if (core != NULL)
    cc_proxy_capture_log_bind_settings (self->capture, core);
  else
    {
      /* No schema installed: the schema's defaults. */
      cc_proxy_capture_log_set_limits (self->capture, 1024 * 1024 * 1024, 30);
      cc_proxy_capture_log_set_enabled (self->capture, TRUE);
    }

  self->service = cc_proxy_dbus_service_new (self->runtime, self->server, self->sink, self->capture, self->hosts);
  cc_proxy_dbus_service_set_router (self->service, self->router);
  cc_proxy_dbus_service_set_log (self->service, log);
  cc_proxy_dbus_service_set_start_error (self->service, start_error);
  /* Not queued: a second cc-proxyd would otherwise take the name over,
   * without a word, the moment the first exits. */
  self->owner_id = g_bus_own_name (G_BUS_TYPE_SESSION, CC_PROXY_DBUS_NAME, G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE,
                                   (GBusAcquiredCallback) on_bus_acquired, NULL,
                                   (GBusNameLostCallback) on_name_lost, self->service, NULL);
}

const char *
cc_proxy_daemon_get_url (CcProxyDaemon *self)
{
  return cc_proxy_server_get_url (self->server);
}

/* The active provider, as the latest snapshot has it. */
const char *
cc_proxy_daemon_get_provider (CcProxyDaemon *self)
{
  return cc_proxy_snapshot_get_active_provider (cc_proxy_runtime_get_snapshot (self->runtime));
}
