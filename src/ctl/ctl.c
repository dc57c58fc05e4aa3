/* ctl.c: cc-proxyctl, cc-proxyd's control interface for people
 *
 * Every command is a plain call on org.ccproxy.Proxy1, through the
 * proxies gdbus-codegen makes from its description; nothing here knows
 * more than the bus says. Exit status: 0 done, 1 refused or
 * failed, 2 bad command line.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <locale.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <termios.h>
#include <unistd.h>

#include "cc-proxy-dbus-generated.h"
#include "cc-proxy-route-text.h"

#define NAME "org.ccproxy.Proxy1"
#define PATH "/org/ccproxy/Proxy1"

static const char usage[] =
  N_("Usage: cc-proxyctl COMMAND [ARGUMENTS]\n"
     "\n"
     "Commands:\n"
     "  status                      where cc-proxyd listens, what serves, counters\n"
     "  providers                   the providers (* marks the active one)\n"
     "  get [-v] PROVIDER [KEY]     a provider's settings, or one of them; -v adds\n"
     "                              what each means and its environment variables\n"
     "  set PROVIDER KEY [VALUE]    store a setting; a secret is read from standard\n"
     "                              input (or asked for), never from the command line\n"
     "  reset PROVIDER KEY          forget a stored setting\n"
     "  use PROVIDER                make PROVIDER the active one\n"
     "  add KIND NAME               add another provider of a module's kind (a second\n"
     "                              OpenAI-compatible server, a second Copilot\n"
     "                              account) with settings and a login of its own\n"
     "  remove NAME [--yes]         remove an instance, its settings and its keyring\n"
     "                              items (asks first on a terminal)\n"
     "  auth PROVIDER [--force] [--open] | auth PROVIDER --sign-out\n"
     "                              sign in: shows where to go and the code to\n"
     "                              enter, then waits (Ctrl-C cancels); --open\n"
     "                              opens the address in the browser; --sign-out\n"
     "                              forgets what signing in stored\n"
     "  reload                      read the settings again; load new provider modules\n"
     "  env                         the environment a client needs, as export lines\n"
     "                              (ANTHROPIC_BASE_URL, models, a placeholder key)\n"
     "  claude [ARGUMENTS]          run Claude Code with that environment, and the\n"
     "                              statusline below unless you have one\n"
     "  statusline                  one line for Claude Code's status line: the\n"
     "                              session's requests and premium requests, today's,\n"
     "                              and its last error (reads Claude Code's JSON on\n"
     "                              standard input)\n"
     "  budget                      the requests waiting because they would go over\n"
     "                              the premium request budget\n"
     "  budget ANSWER [ID]          answer one (the oldest by default): allow,\n"
     "                              allow-session, small-model or deny\n"
     "  usage [PROVIDER]            the plan and quotas of PROVIDER, or of each that\n"
     "                              reports them (each Copilot account)\n"
     "  log                         the service's recent messages and warnings\n"
     "  stop                        stop the running cc-proxyd\n"
     "  restart                     stop it, then start it again (D-Bus activation)\n"
     "  monitor [--json]            print a line for each request as it finishes\n"
     "                              (time, provider, model, path, status, duration,\n"
     "                              tokens, route); --json prints one JSON object a line\n"
     "  route list                  the routes in order, what each matches, its\n"
     "                              targets, and how many requests it took\n"
     "  route add NAME [--role main|subagent|background] [--class CLASS] [--model GLOB]\n"
     "      [--thinking]"
     " [--images] [--web-search] [--min-tokens N] --to PROVIDER[:MODEL]\n"
     "      [--fallback PROVIDER[:MODEL]]... [--position N]\n"
     "                              send the requests that match to a provider (and\n"
     "                              model), trying the fallbacks in turn when it fails\n"
     "                              before answering; --no-thinking, --no-images and\n"
     "                              --no-web-search match requests without; CLASS is\n"
     "                              user, agent, subagent, background or compact\n"
     "  route remove NAME           remove a route\n"
     "  route move NAME POSITION    put a route at POSITION (1 is first)\n"
     "  route explain [-H 'NAME: VALUE']... FILE|-\n"
     "                              where a request body (and headers) would go,\n"
     "                              without sending it\n"
     "  pool list                   the pools: targets that take turns\n"
     "  pool set NAME [--strategy ordered|round-robin|least-used] TARGET...\n"
     "                              add or change a pool; routes name it as a\n"
     "                              provider; a session stays on one member\n"
     "  pool remove NAME            remove a pool no route names\n");

static GDBusConnection *bus;

static char *
provider_path (const char *id)
{
  g_autofree char *element = g_strdelimit (g_strdup (id), "-", '_');

  return g_strconcat (PATH "/providers/", element, NULL);
}

/* The usage's lines about @command (the one that names it and the
 * ones that go on explaining it), or a usage error for an unknown one. */
static int bad_usage (const char *message);

static int
command_help (const char *command)
{
  g_auto(GStrv) lines = g_strsplit (_(usage), "\n", -1);
  g_autofree char *start = g_strconcat ("  ", command, NULL);
  gboolean printing = FALSE, found = FALSE;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];

      if (g_str_has_prefix (line, start) && (line[strlen (start)] == ' ' || line[strlen (start)] == '\0'))
        printing = found = TRUE;
      else if (!g_str_has_prefix (line, "    "))
        printing = FALSE;
      if (printing)
        g_print ("%s\n", line + 2);
    }
  if (!found)
    {
      g_autofree char *message = g_strdup_printf (_("unknown command “%s”"), command);

      return bad_usage (message);
    }
  return 0;
}

/* Says what went wrong in the service's own words. */
static int
fail (GError *error)
{
  g_dbus_error_strip_remote_error (error);
  g_printerr ("cc-proxyctl: %s\n", error->message);
  return 1;
}

/* cc-proxyd's main object, made once per command: its properties are
 * read then, all at once. Making it starts cc-proxyd when it is
 * installed as a session service; when that fails, the bus says why. */
static CcProxyDBusProxy1 *main_proxy;

static CcProxyDBusProxy1 *
main_object (GError **error)
{
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *owner = NULL;

  if (main_proxy != NULL)
    return main_proxy;
  main_proxy = cc_proxy_dbus_proxy1_proxy_new_sync (bus, G_DBUS_PROXY_FLAGS_NONE, NAME, PATH, NULL, error);
  if (main_proxy == NULL || (owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (main_proxy))) != NULL)
    return main_proxy;

  /* Nobody owns the name: the proxy swallowed the reason. */
  reply = g_dbus_proxy_call_sync (G_DBUS_PROXY (main_proxy), "org.freedesktop.DBus.Peer.Ping", NULL,
                                  G_DBUS_CALL_FLAGS_NONE, -1, NULL, error);
  g_clear_object (&main_proxy);
  if (reply == NULL)
    return NULL;
  /* Started by that call after all: read the properties now. */
  return main_object (error);
}

/* A provider's object; an unknown provider is a clear error (the bus
 * would only say the object does not exist). */
static CcProxyDBusProxy1Provider *
provider_object (const char  *id,
                 GError     **error)
{
  CcProxyDBusProxy1 *daemon = main_object (error);
  const char * const *ids;
  g_autofree char *path = NULL;

  if (daemon == NULL)
    return NULL;
  ids = cc_proxy_dbus_proxy1_get_providers (daemon);
  if (ids == NULL || !g_strv_contains (ids, id))
    {
      g_autofree char *known = ids ? g_strjoinv (", ", (char **) ids) : g_strdup ("");

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("There is no provider “%s”; known providers: %s"), id, known);
      return NULL;
    }
  path = provider_path (id);
  return cc_proxy_dbus_proxy1_provider_proxy_new_sync (bus, G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS, NAME, path,
                                                       NULL, error);
}

static void
on_name_vanished (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data)
{
  *(gboolean *) user_data = TRUE;
}

static gboolean
on_stop_timeout (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Asks the running daemon to stop (SIGTERM, as systemd would) and waits
 * until its bus name is gone. Under systemd it stays stopped: a clean
 * exit is not a failure to restart on. */
/* A daemon that runs but could not listen serves nothing: what needs
 * it (env, claude, restart) says so, and why, instead of going on. */
static gboolean
check_serving (CcProxyDBusProxy1  *daemon,
               GError            **error)
{
  const char *start_error = cc_proxy_dbus_proxy1_get_start_error (daemon);

  if (start_error == NULL || start_error[0] == '\0')
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
               _("cc-proxyd is running but serves nothing: %s. Free the port or change the listen-address "
                 "setting, then run cc-proxyctl restart"), start_error);
  return FALSE;
}

static int
cmd_stop (gboolean start_again)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  CcProxyDBusProxy1 *daemon;
  gboolean gone = FALSE, timed_out = FALSE;
  guint32 pid;
  guint watch, timeout;

  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "GetConnectionUnixProcessID", g_variant_new ("(s)", NAME),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  if (reply == NULL)
    {
      if (!g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER))
        return fail (error);
      if (!start_again)
        {
          g_print (_("cc-proxyd is not running\n"));
          return 0;
        }
      g_clear_error (&error);
    }
  else
    {
      g_variant_get (reply, "(u)", &pid);
      watch = g_bus_watch_name_on_connection (bus, NAME, G_BUS_NAME_WATCHER_FLAGS_NONE, NULL,
                                              on_name_vanished, &gone, NULL);
      timeout = g_timeout_add_seconds (10, on_stop_timeout, &timed_out);
      if (kill ((pid_t) pid, SIGTERM) != 0)
        {
          g_printerr (_("cc-proxyctl: cannot stop cc-proxyd (pid %u): %s\n"), pid, g_strerror (errno));
          return 1;
        }
      while (!gone && !timed_out)
        g_main_context_iteration (NULL, TRUE);
      g_bus_unwatch_name (watch);
      if (!timed_out)
        g_source_remove (timeout);
      if (!gone)
        {
          g_printerr (_("cc-proxyctl: cc-proxyd (pid %u) did not stop within 10 seconds\n"), pid);
          return 1;
        }
      g_print (_("Stopped cc-proxyd (pid %u)\n"), pid);
    }
  if (!start_again)
    return 0;

  /* Any call starts it again when it is installed as a D-Bus service. */
  daemon = main_object (&error);
  if (daemon == NULL)
    {
      g_dbus_error_strip_remote_error (error);
      g_printerr (_("cc-proxyctl: cc-proxyd could not be started again: %s. Start it the way it was started "
                    "(systemctl --user start cc-proxyd, or build-aux/dev run)\n"), error->message);
      return 1;
    }
  if (!check_serving (daemon, &error))
    {
      g_printerr ("cc-proxyctl: %s\n", error->message);
      return 1;
    }
  g_print (_("Started cc-proxyd %s\n"), cc_proxy_dbus_proxy1_get_version (daemon));
  return 0;
}

/* Loopback past any proxy the user's environment sets (HTTPS_PROXY and
 * the like): Claude Code would send its requests for cc-proxyd to it.
 * Added to what NO_PROXY and no_proxy already hold, under both names. */
static void
add_no_proxy (GHashTable *environment)
{
  static const char * const loopback[] = { "127.0.0.1", "localhost", "::1" };
  const char *names[] = { "NO_PROXY", "no_proxy" };
  const char *current = g_getenv ("NO_PROXY") ? g_getenv ("NO_PROXY") : g_getenv ("no_proxy");
  g_auto(GStrv) entries = g_strsplit (current != NULL ? current : "", ",", -1);
  g_autoptr(GString) value = g_string_new (current);

  /* "*" lets every host past the proxy already. */
  for (guint i = 0; i < G_N_ELEMENTS (loopback) && !g_strv_contains ((const char * const *) entries, "*"); i++)
    if (!g_strv_contains ((const char * const *) entries, loopback[i]))
      g_string_append_printf (value, "%s%s", value->len > 0 ? "," : "", loopback[i]);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_hash_table_replace (environment, g_strdup (names[i]), g_strdup (value->str));
}

/* What GetClientEnvironment says; the call starts the daemon when it
 * is installed as a session service. */
static GHashTable *
client_environment (GError **error)
{
  CcProxyDBusProxy1 *daemon = main_object (error);
  g_autoptr(GVariant) variables = NULL;
  GVariantIter iter;
  GHashTable *environment;
  const char *name, *value;

  if (daemon == NULL || !check_serving (daemon, error) ||
      !cc_proxy_dbus_proxy1_call_get_client_environment_sync (daemon, &variables, NULL, error))
    return NULL;
  environment = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_variant_iter_init (&iter, variables);
  while (g_variant_iter_next (&iter, "{&s&s}", &name, &value))
    g_hash_table_replace (environment, g_strdup (name), g_strdup (value));
  add_no_proxy (environment);
  return environment;
}

static int
compare_names (gconstpointer a,
               gconstpointer b,
               gpointer      user_data)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static int
cmd_env (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) environment = client_environment (&error);
  g_autofree const char **names = NULL;
  guint n;

  if (environment == NULL)
    return fail (error);
  /* Sorted, for people and diffs. */
  names = (const char **) g_hash_table_get_keys_as_array (environment, &n);
  g_qsort_with_data (names, n, sizeof (char *), compare_names, NULL);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *quoted = g_shell_quote (g_hash_table_lookup (environment, names[i]));

      g_print ("export %s=%s\n", names[i], quoted);
    }
  return 0;
}

/* A JSON answer as indented "name: value" lines: the core knows no
 * provider's format, so usage is shown as the provider gives it. */
static void
print_usage_json (JsonNode *node,
                  guint     depth)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *object = json_node_get_object (node);
      g_autoptr(GList) names = json_object_get_members (object);

      for (GList *l = names; l != NULL; l = l->next)
        {
          JsonNode *member = json_object_get_member (object, l->data);

          g_print ("%*s%s:", depth * 2, "", (const char *) l->data);
          if (JSON_NODE_HOLDS_OBJECT (member) || JSON_NODE_HOLDS_ARRAY (member))
            {
              g_print ("\n");
              print_usage_json (member, depth + 1);
            }
          else
            {
              g_autofree char *value = JSON_NODE_HOLDS_VALUE (member) &&
                                       json_node_get_value_type (member) == G_TYPE_STRING
                                       ? g_strdup (json_node_get_string (member)) : json_to_string (member, FALSE);

              g_print (" %s\n", value);
            }
        }
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          g_print ("%*s-\n", depth * 2, "");
          print_usage_json (json_array_get_element (array, i), depth + 1);
        }
    }
  else
    {
      g_autofree char *value = json_to_string (node, FALSE);

      g_print ("%*s%s\n", depth * 2, "", value);
    }
}

/* GET @path from cc-proxyd's own port (@base, http://HOST:PORT), over
 * HTTP/1.0: the one plain request cc-proxyctl makes, not worth loading
 * an HTTP library (and its two dozen libraries) into every command,
 * the statusline Claude Code runs after each message included. */
static GBytes *
get_from_proxy (const char  *base,
                const char  *path,
                const char  *provider,
                guint       *status,
                GError     **error)
{
  g_autoptr(GUri) uri = g_uri_parse (base, G_URI_FLAGS_NONE, error);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GOutputStream) answer = g_memory_output_stream_new_resizable ();
  g_autofree char *request = NULL;
  const char *data, *head_end;
  gsize len;

  if (uri == NULL)
    return NULL;
  connection = g_socket_client_connect_to_host (client, g_uri_get_host (uri), g_uri_get_port (uri), NULL, error);
  if (connection == NULL)
    return NULL;
  /* X-CC-Proxy-Provider: that provider answers, not the active one. */
  request = g_strdup_printf ("GET %s HTTP/1.0\r\nHost: %s:%d\r\nAccept: application/json\r\n%s%s%s\r\n", path,
                             g_uri_get_host (uri), g_uri_get_port (uri), provider ? "X-CC-Proxy-Provider: " : "",
                             provider ? provider : "", provider ? "\r\n" : "");
  if (!g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), request, strlen (request),
                                  NULL, NULL, error) ||
      g_output_stream_splice (answer, g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                              G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, error) < 0)
    return NULL;
  data = g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (answer));
  len = g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (answer));
  head_end = data != NULL ? g_strstr_len (data, len, "\r\n\r\n") : NULL;
  if (head_end == NULL || len < 12 || !g_str_has_prefix (data, "HTTP/1."))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("cc-proxyd gave no HTTP answer"));
      return NULL;
    }
  *status = (guint) g_ascii_strtoull (data + 9, NULL, 10);
  return g_bytes_new (head_end + 4, len - (head_end + 4 - data));
}

/* The providers whose /usage route tells their plan and quotas: @only,
 * or every one that serves it (each Copilot account). */
static GPtrArray *
usage_providers (CcProxyDBusProxy1 *daemon,
                 const char        *only)
{
  GPtrArray *found = g_ptr_array_new_with_free_func (g_object_unref);
  const char * const *ids = cc_proxy_dbus_proxy1_get_providers (daemon);

  for (guint i = 0; ids != NULL && ids[i] != NULL; i++)
    {
      g_autoptr(CcProxyDBusProxy1Provider) provider = NULL;
      const char * const *paths;

      if (only != NULL && !g_str_equal (ids[i], only))
        continue;
      provider = provider_object (ids[i], NULL);
      paths = provider ? cc_proxy_dbus_proxy1_provider_get_paths (provider) : NULL;
      if (paths != NULL && g_strv_contains (paths, "/usage"))
        g_ptr_array_add (found, g_steal_pointer (&provider));
    }
  return found;
}

/* One provider's plan and quotas, indented by @depth; FALSE when it
 * reports none. */
static gboolean
print_usage (CcProxyDBusProxy1         *daemon,
             CcProxyDBusProxy1Provider *provider,
             guint                      depth)
{
  const char *id = cc_proxy_dbus_proxy1_provider_get_id (provider);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  guint status = 0;
  g_autoptr(GBytes) body = get_from_proxy (cc_proxy_dbus_proxy1_get_listen_address (daemon), "/usage", id,
                                           &status, &error);

  if (body == NULL)
    {
      g_printerr ("cc-proxyctl: %s\n", error->message);
      return FALSE;
    }
  if (status != 200 ||
      !json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body), NULL) ||
      json_parser_get_root (parser) == NULL)
    {
      g_printerr (_("cc-proxyctl: the %s provider reports no usage (HTTP %u)\n"), id, status);
      return FALSE;
    }
  print_usage_json (json_parser_get_root (parser), depth);
  return TRUE;
}

/* The plan and quotas of @only, or of each provider that tells them:
 * one block per provider (per Copilot account) when there are several. */
static int
cmd_usage (const char *only)
{
  g_autoptr(GError) error = NULL;
  CcProxyDBusProxy1 *daemon = main_object (&error);
  g_autoptr(GPtrArray) providers = NULL;
  gboolean all_told = TRUE;

  if (daemon == NULL)
    return fail (error);
  providers = usage_providers (daemon, only);
  if (providers->len == 0)
    {
      if (only != NULL)
        g_printerr (_("cc-proxyctl: the %s provider has no usage to tell (or there is no such provider)\n"), only);
      else
        g_printerr (_("cc-proxyctl: no provider tells its usage\n"));
      return 1;
    }
  if (providers->len == 1)
    return print_usage (daemon, g_ptr_array_index (providers, 0), 0) ? 0 : 1;
  for (guint i = 0; i < providers->len; i++)
    {
      CcProxyDBusProxy1Provider *provider = g_ptr_array_index (providers, i);

      const char *id = cc_proxy_dbus_proxy1_provider_get_id (provider);
      const char *name = cc_proxy_dbus_proxy1_provider_get_display_name (provider);

      /* An instance's name says its id already: "work (GitHub Copilot)". */
      if (g_str_has_prefix (name, id))
        g_print ("%s%s:\n", i > 0 ? "\n" : "", name);
      else
        g_print ("%s%s (%s):\n", i > 0 ? "\n" : "", id, name);
      all_told &= print_usage (daemon, provider, 1);
    }
  return all_told ? 0 : 1;
}

static int
cmd_log (void)
{
  g_autoptr(GError) error = NULL;
  CcProxyDBusProxy1 *daemon = main_object (&error);
  g_auto(GStrv) lines = NULL;

  if (daemon == NULL || !cc_proxy_dbus_proxy1_call_get_recent_log_sync (daemon, &lines, NULL, &error))
    return fail (error);
  for (guint i = 0; lines[i] != NULL; i++)
    g_print ("%s\n", lines[i]);
  return 0;
}

/* Claude Code, with the proxy's address, models and placeholder key. */
/* ----- statusline ----- */

/* Standard input, whole, up to @limit bytes. */
static char *
read_stdin (gsize    limit,
            gsize   *len,
            GError **error)
{
  g_autoptr(GIOChannel) input = g_io_channel_unix_new (STDIN_FILENO);
  g_autofree char *text = NULL;

  if (g_io_channel_set_encoding (input, NULL, error) != G_IO_STATUS_NORMAL ||
      g_io_channel_read_to_end (input, &text, len, error) != G_IO_STATUS_NORMAL)
    return NULL;
  if (*len > limit)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE, _("more than %" G_GSIZE_FORMAT " bytes"), limit);
      return NULL;
    }
  return g_steal_pointer (&text);
}

static guint64
tally_count (GVariant   *tally,
             const char *key)
{
  guint64 count = 0;

  g_variant_lookup (tally, key, "t", &count);
  return count;
}

/* Premium requests can be fractions: a model's multiplier may be 0.33. */
static gdouble
tally_premium (GVariant *tally)
{
  gdouble premium = 0;

  g_variant_lookup (tally, "premium-requests", "d", &premium);
  return premium;
}

/* Claude Code runs it for its status line, with the session's JSON on
 * standard input (session_id): one bus call, one line, and a line
 * that says so when cc-proxyd is not there (never started for it). */
static int
cmd_statusline (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *input = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) session = NULL;
  g_autoptr(GVariant) today = NULL;
  g_autoptr(GVariant) answered = NULL;
  g_autoptr(GString) line = g_string_new ("cc-proxy");
  const char *session_id = "";
  const char *last_error = "";
  gsize len = 0;

  input = read_stdin (1024 * 1024, &len, NULL);
  if (input != NULL && (node = json_from_string (input, NULL)) != NULL && JSON_NODE_HOLDS_OBJECT (node) &&
      json_object_has_member (json_node_get_object (node), "session_id"))
    session_id = json_object_get_string_member_with_default (json_node_get_object (node), "session_id", "");

  reply = g_dbus_connection_call_sync (bus, NAME, PATH, NAME, "GetSession", g_variant_new ("(s)", session_id),
                                       G_VARIANT_TYPE ("(a{sv}a{sv})"), G_DBUS_CALL_FLAGS_NO_AUTO_START, 1000,
                                       NULL, &error);
  if (reply == NULL)
    {
      g_print (_("cc-proxy: not running\n"));
      return 0;
    }
  g_variant_get (reply, "(@a{sv}@a{sv})", &session, &today);
  answered = g_variant_lookup_value (session, "answered", G_VARIANT_TYPE_STRING_ARRAY);
  if (answered != NULL && g_variant_n_children (answered) > 0)
    {
      const char *last;

      g_variant_get_child (answered, g_variant_n_children (answered) - 1, "&s", &last);
      g_string_append_printf (line, " · %s", last);
    }
  g_string_append_printf (line, _(" · %" G_GUINT64_FORMAT " requests, %g premium"),
                          tally_count (session, "requests"), tally_premium (session));
  g_string_append_printf (line, _(" (today %" G_GUINT64_FORMAT ", %g premium)"),
                          tally_count (today, "requests"), tally_premium (today));
  {
    gdouble remaining, entitlement;
    gboolean unlimited = FALSE;
    const char *reset = NULL;

    g_variant_lookup (today, "quota-reset", "&s", &reset);
    if (g_variant_lookup (today, "premium-unlimited", "b", &unlimited) && unlimited)
      g_string_append (line, _(" · premium unlimited"));
    else if (g_variant_lookup (today, "premium-remaining", "d", &remaining) &&
             g_variant_lookup (today, "premium-entitlement", "d", &entitlement))
      g_string_append_printf (line, _(" · %g of %g premium left"), remaining, entitlement);
    if (reset != NULL && reset[0] != '\0')
      g_string_append_printf (line, _(" until %s"), reset);
  }
  g_variant_lookup (session, "last-error", "&s", &last_error);
  if (last_error[0] != '\0')
    g_string_append_printf (line, _(" · last error: %s"), last_error);
  g_print ("%s\n", line->str);
  return 0;
}

/* Whether the user has a status line of their own: Claude Code's user
 * settings name one, or the command line gives settings. */
static gboolean
has_own_statusline (char **args)
{
  const char *dir = g_getenv ("CLAUDE_CONFIG_DIR");
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) node = NULL;

  for (guint i = 0; args[i] != NULL; i++)
    if (g_str_equal (args[i], "--settings") || g_str_has_prefix (args[i], "--settings="))
      return TRUE;
  path = dir != NULL && dir[0] != '\0' ? g_build_filename (dir, "settings.json", NULL)
                                       : g_build_filename (g_get_home_dir (), ".claude", "settings.json", NULL);
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return FALSE;
  node = json_from_string (text, NULL);
  /* Unreadable settings are Claude Code's to complain about: leave them be. */
  return node == NULL || !JSON_NODE_HOLDS_OBJECT (node) ||
         json_object_has_member (json_node_get_object (node), "statusLine");
}

/* --settings for Claude Code: this cc-proxyctl as its status line. */
static char *
statusline_settings (void)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *command = g_strconcat (self ? self : "cc-proxyctl", " statusline", NULL);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "statusLine");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "command");
  json_builder_set_member_name (builder, "command");
  json_builder_add_string_value (builder, command);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static int
cmd_claude (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) environment = client_environment (&error);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *settings = NULL;
  GHashTableIter iter;
  gpointer name, value;

  if (environment == NULL)
    return fail (error);
  g_hash_table_iter_init (&iter, environment);
  while (g_hash_table_iter_next (&iter, &name, &value))
    g_setenv (name, value, TRUE);
  g_ptr_array_add (argv, (gpointer) "claude");
  if (!has_own_statusline (args))
    {
      settings = statusline_settings ();
      g_ptr_array_add (argv, (gpointer) "--settings");
      g_ptr_array_add (argv, settings);
    }
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, args[i]);
  g_ptr_array_add (argv, NULL);
  execvp ("claude", (char **) argv->pdata);
  g_printerr (_("cc-proxyctl: cannot run claude: %s. Install Claude Code (npm install -g @anthropic-ai/claude-code), "
                "or start it yourself with the variables “cc-proxyctl env” prints\n"), g_strerror (errno));
  return 1;
}

static GVariant *
find_setting (GVariant   *descriptors,
              const char *key)
{
  for (gsize i = 0; i < g_variant_n_children (descriptors); i++)
    {
      g_autoptr(GVariant) entry = g_variant_get_child_value (descriptors, i);
      const char *name = NULL;

      if (g_variant_lookup (entry, "key", "&s", &name) && g_str_equal (name, key))
        return g_steal_pointer (&entry);
    }
  return NULL;
}

/* The providers that sign in, and whether they are. */
static void
print_sign_in_state (CcProxyDBusProxy1 *daemon)
{
  const char * const *ids = cc_proxy_dbus_proxy1_get_providers (daemon);
  gboolean header = FALSE;

  for (guint i = 0; ids != NULL && ids[i] != NULL; i++)
    {
      g_autoptr(CcProxyDBusProxy1Provider) provider = provider_object (ids[i], NULL);
      const char *attention;

      if (provider == NULL || !cc_proxy_dbus_proxy1_provider_get_auth_capable (provider))
        continue;
      attention = cc_proxy_dbus_proxy1_provider_get_attention (provider);
      if (!header)
        g_print (_("Sign-in:\n"));
      header = TRUE;
      if (attention != NULL && attention[0] != '\0')
        g_print (_("  %s: needs you to sign in again: %s (cc-proxyctl auth %s --force)\n"), ids[i],
                 attention, ids[i]);
      else if (cc_proxy_dbus_proxy1_provider_get_signed_in (provider))
        g_print (_("  %s: signed in\n"), ids[i]);
      else
        g_print (_("  %s: not signed in (cc-proxyctl auth %s)\n"), ids[i], ids[i]);
    }
}

/* One line per provider host, and why it last failed. */
static void
print_provider_hosts (GVariant *hosts)
{
  GVariantIter iter;
  const char *id;
  GVariant *state;

  if (g_variant_n_children (hosts) == 0)
    return;
  g_print (_("Provider hosts:\n"));
  g_variant_iter_init (&iter, hosts);
  while (g_variant_iter_next (&iter, "{&s@a{sv}}", &id, &state))
    {
      g_autoptr(GVariant) owned = state;
      const char *name = "", *last_error = "", *confinement = "";
      guint32 pid = 0, restarts = 0;

      g_variant_lookup (state, "State", "&s", &name);
      g_variant_lookup (state, "Pid", "u", &pid);
      g_variant_lookup (state, "Restarts", "u", &restarts);
      g_variant_lookup (state, "LastError", "&s", &last_error);
      g_variant_lookup (state, "Confinement", "&s", &confinement);
      if (pid != 0)
        g_print (g_dngettext (GETTEXT_PACKAGE, "  %s: %s (pid %u, restarted %u time)\n",
                              "  %s: %s (pid %u, restarted %u times)\n", restarts),
                 id, name, pid, restarts);
      else
        g_print ("  %s: %s\n", id, name);
      if (confinement[0] != '\0')
        g_print (_("    confined: %s\n"), confinement);
      if (last_error[0] != '\0')
        g_print (_("    last failure: %s\n"), last_error);
    }
}

static int
cmd_status (void)
{
  g_autoptr(GError) error = NULL;
  CcProxyDBusProxy1 *daemon = main_object (&error);
  const char *version, *note, *last_error, *start_error, *capture_error;
  GVariant *errors, *hosts;
  GVariantIter iter;
  const char *module, *message;

  if (daemon == NULL)
    return fail (error);
  version = cc_proxy_dbus_proxy1_get_version (daemon);
  start_error = cc_proxy_dbus_proxy1_get_start_error (daemon);
  if (start_error != NULL && start_error[0] != '\0')
    {
      g_printerr (_("cc-proxyd %s is running but serves nothing: %s\n"), version, start_error);
      return 1;
    }
  g_print (_("cc-proxyd %s listening on %s\n"), version, cc_proxy_dbus_proxy1_get_listen_address (daemon));
  g_print (_("Active provider: %s\n"), cc_proxy_dbus_proxy1_get_active_provider (daemon));
  note = cc_proxy_dbus_proxy1_get_active_provider_note (daemon);
  if (note != NULL && note[0] != '\0')
    g_print ("  %s\n", note);
  {
    GVariant *problems = cc_proxy_dbus_proxy1_get_setting_problems (daemon);
    GVariantIter problem;
    const char *id, *why;

    if (problems != NULL && g_variant_n_children (problems) > 0)
      {
        g_print (_("Serving nothing, for a refused setting:\n"));
        g_variant_iter_init (&problem, problems);
        while (g_variant_iter_next (&problem, "{&s&s}", &id, &why))
          g_print ("  %s: %s\n", id, why);
      }
  }
  g_print (_("Requests: %" G_GUINT64_FORMAT " total, %u in progress, %" G_GUINT64_FORMAT " failed\n"),
           cc_proxy_dbus_proxy1_get_requests_total (daemon), cc_proxy_dbus_proxy1_get_requests_active (daemon),
           cc_proxy_dbus_proxy1_get_requests_failed (daemon));
  g_print (_("Client connections: %u open, at most %u at once\n"),
           cc_proxy_dbus_proxy1_get_client_connections (daemon),
           cc_proxy_dbus_proxy1_get_client_connection_limit (daemon));
  g_print (_("Upstream connections opened: %" G_GUINT64_FORMAT "\n"),
           cc_proxy_dbus_proxy1_get_upstream_connections (daemon));
  last_error = cc_proxy_dbus_proxy1_get_last_error (daemon);
  if (last_error != NULL && last_error[0] != '\0')
    g_print (_("Last error: %s\n"), last_error);
  g_print (cc_proxy_dbus_proxy1_get_capture_enabled (daemon)
             ? _("Capture: on, in %s (%" G_GUINT64_FORMAT " lines written, %" G_GUINT64_FORMAT " dropped)\n")
             : _("Capture: off (%s; %" G_GUINT64_FORMAT " lines written, %" G_GUINT64_FORMAT " dropped)\n"),
           cc_proxy_dbus_proxy1_get_capture_directory (daemon),
           cc_proxy_dbus_proxy1_get_capture_lines_written (daemon),
           cc_proxy_dbus_proxy1_get_capture_lines_dropped (daemon));
  capture_error = cc_proxy_dbus_proxy1_get_capture_error (daemon);
  if (capture_error != NULL && capture_error[0] != '\0')
    g_print (_("  Lines are being dropped: %s\n"), capture_error);
  print_sign_in_state (daemon);
  hosts = cc_proxy_dbus_proxy1_get_provider_hosts (daemon);
  if (hosts != NULL)
    print_provider_hosts (hosts);
  errors = cc_proxy_dbus_proxy1_get_plugin_load_errors (daemon);
  if (errors != NULL && g_variant_n_children (errors) > 0)
    {
      g_print (_("Plugins not loaded:\n"));
      g_variant_iter_init (&iter, errors);
      while (g_variant_iter_next (&iter, "{&s&s}", &module, &message))
        g_print ("  %s: %s\n", module, message);
    }
  return 0;
}

static int
cmd_providers (void)
{
  g_autoptr(GError) error = NULL;
  CcProxyDBusProxy1 *daemon = main_object (&error);
  const char * const *ids;

  if (daemon == NULL)
    return fail (error);
  ids = cc_proxy_dbus_proxy1_get_providers (daemon);
  for (guint i = 0; ids != NULL && ids[i] != NULL; i++)
    {
      g_autoptr(CcProxyDBusProxy1Provider) provider = provider_object (ids[i], NULL);
      const char *name = provider ? cc_proxy_dbus_proxy1_provider_get_display_name (provider) : NULL;

      g_print ("%s %-16s %s\n", g_strcmp0 (ids[i], cc_proxy_dbus_proxy1_get_active_provider (daemon)) == 0 ? "*" : " ",
               ids[i], name ? name : "");
    }
  return 0;
}

static void
print_value (const char *key,
             GVariant   *entry,
             gboolean    with_key)
{
  g_autoptr(GVariant) value = g_variant_lookup_value (entry, "value", NULL);
  gboolean set = FALSE, from_env = FALSE;
  g_autofree char *shown = NULL;

  g_variant_lookup (entry, "set", "b", &set);
  g_variant_lookup (entry, "from-environment", "b", &from_env);
  /* Typed: text as it is, numbers and booleans as GVariant prints them. */
  if (value != NULL && g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    shown = g_variant_dup_string (value, NULL);
  else if (value != NULL)
    shown = g_variant_print (value, FALSE);
  else
    shown = g_strdup (set ? _("(secret, set)") : _("(secret, not set)"));

  if (with_key)
    g_print ("%-20s %s%s\n", key, shown, from_env ? _("  [from the environment]") : "");
  else
    g_print ("%s\n", shown);
}

/* -v: the meaning, the allowed values and the environment variables
 * of each setting, from its descriptor. */
static void
print_descriptor (GVariant   *descriptors,
                  const char *key)
{
  GVariantIter iter;
  GVariant *descriptor;

  g_variant_iter_init (&iter, descriptors);
  while (g_variant_iter_next (&iter, "@a{sv}", &descriptor))
    {
      g_autoptr(GVariant) owned = descriptor;
      g_autofree const char **options = NULL;
      g_autofree const char **env = NULL;
      const char *name = NULL, *description = NULL, *fallback = NULL, *unit = NULL;
      gint32 minimum = 0, maximum = 0;

      g_variant_lookup (descriptor, "key", "&s", &name);
      if (g_strcmp0 (name, key) != 0)
        continue;
      if (g_variant_lookup (descriptor, "description", "&s", &description) && description[0] != '\0')
        g_print ("    %s\n", description);
      if (g_variant_lookup (descriptor, "options", "^a&s", &options) && options[0] != NULL)
        {
          g_autofree char *joined = g_strjoinv (", ", (char **) options);

          g_print (_("    one of: %s\n"), joined);
        }
      if (g_variant_lookup (descriptor, "minimum", "i", &minimum) &&
          g_variant_lookup (descriptor, "maximum", "i", &maximum))
        {
          if (g_variant_lookup (descriptor, "unit", "&s", &unit))
            g_print (_("    from %d to %d %s\n"), minimum, maximum, unit);
          else
            g_print (_("    from %d to %d\n"), minimum, maximum);
        }
      if (g_variant_lookup (descriptor, "default", "&s", &fallback) && fallback[0] != '\0')
        g_print (_("    default: %s\n"), fallback);
      if (g_variant_lookup (descriptor, "env-vars", "^a&s", &env) && env[0] != NULL)
        {
          g_autofree char *joined = g_strjoinv (", ", (char **) env);

          g_print (_("    environment: %s\n"), joined);
        }
    }
}

static int
cmd_get (const char *id,
         const char *key,
         gboolean    verbose)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CcProxyDBusProxy1Provider) provider = provider_object (id, &error);
  GVariant *descriptors, *values;
  GVariantIter iter;
  const char *name;
  GVariant *entry;

  if (provider == NULL)
    return fail (error);
  descriptors = cc_proxy_dbus_proxy1_provider_get_setting_descriptors (provider);
  values = cc_proxy_dbus_proxy1_provider_get_values (provider);
  if (descriptors == NULL || values == NULL)
    {
      g_printerr (_("cc-proxyctl: cc-proxyd gave no settings for %s\n"), id);
      return 1;
    }

  if (key != NULL)
    {
      g_autoptr(GVariant) one = g_variant_lookup_value (values, key, G_VARIANT_TYPE_VARDICT);

      if (one == NULL)
        {
          g_printerr (_("cc-proxyctl: Provider “%s” has no setting “%s”\n"), id, key);
          return 1;
        }
      print_value (key, one, verbose);
      if (verbose)
        print_descriptor (descriptors, key);
      return 0;
    }

  g_variant_iter_init (&iter, values);
  while (g_variant_iter_next (&iter, "{&s@a{sv}}", &name, &entry))
    {
      print_value (name, entry, TRUE);
      if (verbose)
        print_descriptor (descriptors, name);
      g_variant_unref (entry);
    }
  return 0;
}

/* A secret comes from standard input: asked for without echo on a
 * terminal, else the first line of what is piped in. */
static char *
read_secret (const char *id,
             const char *key)
{
  struct termios old, quiet;
  gboolean tty = isatty (STDIN_FILENO);
  char line[4096];
  char *value;

  if (tty)
    {
      g_printerr (_("Value for %s %s (not shown): "), id, key);
      tcgetattr (STDIN_FILENO, &old);
      quiet = old;
      quiet.c_lflag &= ~ECHO;
      tcsetattr (STDIN_FILENO, TCSANOW, &quiet);
    }
  value = fgets (line, sizeof line, stdin) ? g_strdup (line) : NULL;
  if (tty)
    {
      tcsetattr (STDIN_FILENO, TCSANOW, &old);
      g_printerr ("\n");
    }
  if (value != NULL)
    g_strchomp (value);
  return value;
}

static int
cmd_set (const char *id,
         const char *key,
         const char *value)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CcProxyDBusProxy1Provider) provider = provider_object (id, &error);
  g_autoptr(GVariant) setting = NULL;
  g_autofree char *secret = NULL;
  gboolean is_secret = FALSE;

  if (provider == NULL)
    return fail (error);
  setting = find_setting (cc_proxy_dbus_proxy1_provider_get_setting_descriptors (provider), key);
  if (setting != NULL)
    g_variant_lookup (setting, "secret", "b", &is_secret);

  if (is_secret)
    {
      if (value != NULL)
        {
          /* argv is visible to every process and lands in shell history. */
          g_printerr (_("cc-proxyctl: %s is a secret: give it on standard input, not on the command line\n"
                        "  e.g.  cc-proxyctl set %s %s < file   (or run it without a value to be asked)\n"),
                      key, id, key);
          return 2;
        }
      secret = read_secret (id, key);
      if (secret == NULL || secret[0] == '\0')
        {
          g_printerr (_("cc-proxyctl: no value given for %s\n"), key);
          return 1;
        }
      value = secret;
    }
  else if (value == NULL)
    {
      g_printerr (_("cc-proxyctl: set needs a VALUE for %s\n"), key);
      return 2;
    }

  if (!cc_proxy_dbus_proxy1_provider_call_set_value_sync (provider, key, g_variant_new_variant (g_variant_new_string (value)),
                                                         NULL, &error))
    return fail (error);
  return 0;
}

static int
cmd_reset (const char *id,
           const char *key)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CcProxyDBusProxy1Provider) provider = provider_object (id, &error);

  if (provider == NULL || !cc_proxy_dbus_proxy1_provider_call_reset_value_sync (provider, key, NULL, &error))
    return fail (error);
  return 0;
}

static int
cmd_add (const char *kind,
         const char *name)
{
  g_autoptr(GError) error = NULL;
  CcProxyDBusProxy1 *daemon = main_object (&error);
  g_autoptr(CcProxyDBusProxy1Provider) provider = NULL;

  if (daemon == NULL || !cc_proxy_dbus_proxy1_call_add_instance_sync (daemon, kind, name, NULL, &error))
    return fail (error);
  {
    g_autofree char *path = provider_path (name);

    /* Not provider_object(): the Providers this proxy cached are older. */
    provider = cc_proxy_dbus_proxy1_provider_proxy_new_sync (bus, G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS, NAME,
                                                             path, NULL, NULL);
  }
  g_print (_("Added %s, a provider of kind %s. Its settings: cc-proxyctl get -v %s\n"), name, kind, name);
  if (provider != NULL && cc_proxy_dbus_proxy1_provider_get_auth_capable (provider))
    g_print (_("Sign it in: cc-proxyctl auth %s\n"), name);
  return 0;
}

/* On a terminal, the person says yes first: the keyring items go too. */
static gboolean
confirm_removal (const char *name)
{
  char answer[16] = "";

  if (!isatty (STDIN_FILENO))
    return TRUE;
  g_print (_("Remove %s, its settings and its keyring items? [y/N] "), name);
  fflush (stdout);
  if (fgets (answer, sizeof answer, stdin) == NULL)
    return FALSE;
  return answer[0] == 'y' || answer[0] == 'Y';
}

static int
cmd_remove (const char *name,
            gboolean    yes)
{
  g_autoptr(GError) error = NULL;
  CcProxyDBusProxy1 *daemon = main_object (&error);

  if (daemon == NULL)
    return fail (error);
  if (!yes && !confirm_removal (name))
    {
      g_printerr (_("cc-proxyctl: %s was not removed\n"), name);
      return 1;
    }
  if (!cc_proxy_dbus_proxy1_call_remove_instance_sync (daemon, name, NULL, &error))
    return fail (error);
  return 0;
}

/* The requests over the premium budget, or an answer to one. */
static int
cmd_budget (const char *answer,
            const char *id_text)
{
  g_autoptr(GError) error = NULL;
  CcProxyDBusProxy1 *daemon = main_object (&error);
  GVariant *questions;
  guint64 id = 0;

  if (daemon == NULL)
    return fail (error);
  questions = cc_proxy_dbus_proxy1_get_budget_questions (daemon);
  if (answer == NULL)
    {
      GVariantIter iter;
      const char *session, *why;
      guint32 number;

      if (questions == NULL || g_variant_n_children (questions) == 0)
        {
          g_print (_("No request waits for an answer.\n"));
          return 0;
        }
      g_variant_iter_init (&iter, questions);
      while (g_variant_iter_next (&iter, "(u&s&s)", &number, &session, &why))
        g_print ("%u  %s  %s\n", number, session[0] ? session : "-", why);
      return 0;
    }
  if (id_text != NULL && !g_ascii_string_to_unsigned (id_text, 10, 1, G_MAXUINT32, &id, NULL))
    return bad_usage (_("budget takes the ID of a waiting request, a number"));
  if (id_text == NULL)
    {
      guint32 oldest;

      if (questions == NULL || g_variant_n_children (questions) == 0)
        {
          g_printerr (_("cc-proxyctl: no request waits for an answer\n"));
          return 1;
        }
      g_variant_get_child (questions, 0, "(u&s&s)", &oldest, NULL, NULL);
      id = oldest;
    }
  if (!cc_proxy_dbus_proxy1_call_answer_budget_sync (daemon, (guint) id, answer, NULL, &error))
    return fail (error);
  return 0;
}

/* Forgets what signing in stored. */
static int
cmd_sign_out (const char *id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CcProxyDBusProxy1Provider) provider = provider_object (id, &error);

  if (provider == NULL || !cc_proxy_dbus_proxy1_provider_call_sign_out_sync (provider, NULL, &error))
    return fail (error);
  g_print (_("Signed out of %s.\n"), id);
  return 0;
}

static int
cmd_use (const char *id)
{
  g_autoptr(GError) error = NULL;
  CcProxyDBusProxy1 *daemon = main_object (&error);
  g_autoptr(GVariant) reply = NULL;

  /* Not cc_proxy_dbus_proxy1_set_active_provider(): a generated setter
   * does not wait, and a refusal would go unsaid. */
  if (daemon != NULL)
    reply = g_dbus_proxy_call_sync (G_DBUS_PROXY (daemon), "org.freedesktop.DBus.Properties.Set",
                                    g_variant_new ("(ssv)", NAME, "ActiveProvider", g_variant_new_string (id)),
                                    G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  if (reply == NULL)
    return fail (error);
  return 0;
}

typedef struct
{
  GMainLoop                 *loop;
  CcProxyDBusProxy1AuthFlow *flow;
  gboolean                   shown;
  gboolean                   open;      /* --open: the browser shows the address */
  int                        status;
} Login;

/* Opens @url with the desktop's browser: through the OpenURI portal, as
 * GNOME applications do (it works from a sandbox and over ssh with a
 * forwarded bus), else with `gio open`. Never fatal: the address is
 * printed anyway. */
static void
open_url (const char *url)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariantBuilder) options = g_variant_builder_new (G_VARIANT_TYPE_VARDICT);
  const char *gio_open[] = { "gio", "open", url, NULL };

  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.portal.Desktop", "/org/freedesktop/portal/desktop",
                                       "org.freedesktop.portal.OpenURI", "OpenURI",
                                       g_variant_new ("(ssa{sv})", "", url, options),
                                       G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NO_AUTO_START, 5000, NULL, &error);
  if (reply != NULL)
    return;
  g_debug ("OpenURI portal: %s", error->message);
  g_clear_error (&error);
  if (!g_spawn_async (NULL, (char **) gio_open, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
                      G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, &error))
    g_printerr (_("cc-proxyctl: cannot open a browser (%s): open the address yourself\n"), error->message);
}

static void
show_prompt (Login      *login,
             const char *url,
             const char *code,
             const char *message)
{
  if (login->shown || url == NULL || url[0] == '\0')
    return;
  login->shown = TRUE;
  if (message != NULL && message[0] != '\0')
    g_print ("%s\n", message);
  g_print (_("  Open:  %s\n  Code:  %s\n"), url, code);
  g_print (_("Waiting… (Ctrl-C cancels)\n"));
  if (login->open)
    open_url (url);
}

static void
finish_login (Login      *login,
              const char *state,
              const char *message)
{
  if (g_str_equal (state, "succeeded"))
    {
      g_print ("%s\n", message);
      login->status = 0;
    }
  else
    {
      g_printerr ("cc-proxyctl: %s\n", message);
      login->status = 1;
    }
  g_main_loop_quit (login->loop);
}

static void
on_prompt_ready (CcProxyDBusProxy1AuthFlow *flow,
                 const char                *url,
                 const char                *code,
                 const char                *message,
                 Login                     *login)
{
  show_prompt (login, url, code, message);
}

static void
on_completed (CcProxyDBusProxy1AuthFlow *flow,
              const char                *state,
              const char                *message,
              Login                     *login)
{
  finish_login (login, state, message);
}

static gboolean
on_interrupt (gpointer user_data)
{
  Login *login = user_data;

  /* The flow answers with Completed (cancelled); then we leave. */
  cc_proxy_dbus_proxy1_auth_flow_call_cancel_sync (login->flow, NULL, NULL);
  return G_SOURCE_CONTINUE;
}

static gboolean
is_over (const char *state)
{
  return g_strcmp0 (state, "succeeded") == 0 || g_strcmp0 (state, "failed") == 0 ||
         g_strcmp0 (state, "cancelled") == 0;
}

static int
cmd_auth (const char *id,
          gboolean    force,
          gboolean    open)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CcProxyDBusProxy1Provider) provider = provider_object (id, &error);
  g_autoptr(CcProxyDBusProxy1AuthFlow) flow = NULL;
  g_autofree char *path = NULL;
  g_autofree char *owner = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Login login = { loop, NULL, FALSE, open, 1 };
  const char *state;
  guint sigint;

  if (provider == NULL || !cc_proxy_dbus_proxy1_provider_call_authenticate_sync (provider, force, &path, NULL, &error))
    return fail (error);
  /* Before anything is shown: Ctrl-C must cancel, not kill. */
  sigint = g_unix_signal_add (SIGINT, on_interrupt, &login);

  /* The proxy listens, then reads the state: nothing is missed either way. */
  /* By the daemon's unique name: signals from a well-known name are
   * dropped until GDBus has learnt who owns it. */
  owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (provider));
  flow = cc_proxy_dbus_proxy1_auth_flow_proxy_new_sync (bus, G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START, owner ? owner : NAME,
                                                        path, NULL, &error);
  if (flow == NULL)
    {
      g_source_remove (sigint);
      return fail (error);
    }
  login.flow = flow;
  g_signal_connect (flow, "prompt-ready", G_CALLBACK (on_prompt_ready), &login);
  g_signal_connect (flow, "completed", G_CALLBACK (on_completed), &login);

  state = cc_proxy_dbus_proxy1_auth_flow_get_state (flow);
  if (state != NULL)
    {
      show_prompt (&login, cc_proxy_dbus_proxy1_auth_flow_get_verification_url (flow),
                   cc_proxy_dbus_proxy1_auth_flow_get_user_code (flow),
                   cc_proxy_dbus_proxy1_auth_flow_get_message (flow));
      if (is_over (state))
        finish_login (&login, state, cc_proxy_dbus_proxy1_auth_flow_get_message (flow));
    }
  if (!is_over (state))
    g_main_loop_run (loop);

  g_source_remove (sigint);
  g_signal_handlers_disconnect_by_data (flow, &login);
  return login.status;
}

/* ----- monitor ----- */

typedef struct
{
  GDateTime *started;
  char      *method;
  char      *path;
  char      *provider;
  char      *model;
  char      *request_class;  /* "" when not a Messages request */
} Seen;

typedef struct
{
  GHashTable *requests;   /* id → Seen */
  gboolean    json;
} Monitor;

static void
seen_free (Seen *seen)
{
  g_date_time_unref (seen->started);
  g_free (seen->method);
  g_free (seen->path);
  g_free (seen->provider);
  g_free (seen->model);
  g_free (seen->request_class);
  g_free (seen);
}

static void
print_json (Seen       *seen,
            const char *id,
            guint       status,
            guint64     duration_us,
            GVariant   *counts,
            const char *stop_reason,
            const char *error,
            const char *route)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *time = g_date_time_format_iso8601 (seen->started);
  g_autofree char *text = NULL;
  GVariantIter iter;
  const char *name;
  guint64 count;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "time");
  json_builder_add_string_value (builder, time);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, id);
  json_builder_set_member_name (builder, "provider");
  json_builder_add_string_value (builder, seen->provider);
  json_builder_set_member_name (builder, "model");
  json_builder_add_string_value (builder, seen->model);
  json_builder_set_member_name (builder, "class");
  json_builder_add_string_value (builder, seen->request_class);
  json_builder_set_member_name (builder, "method");
  json_builder_add_string_value (builder, seen->method);
  json_builder_set_member_name (builder, "path");
  json_builder_add_string_value (builder, seen->path);
  json_builder_set_member_name (builder, "status");
  json_builder_add_int_value (builder, status);
  json_builder_set_member_name (builder, "duration_us");
  json_builder_add_int_value (builder, duration_us);
  json_builder_set_member_name (builder, "usage");
  json_builder_begin_object (builder);
  g_variant_iter_init (&iter, counts);
  while (g_variant_iter_next (&iter, "{&st}", &name, &count))
    {
      json_builder_set_member_name (builder, name);
      json_builder_add_int_value (builder, count);
    }
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "stop_reason");
  json_builder_add_string_value (builder, stop_reason);
  json_builder_set_member_name (builder, "error");
  json_builder_add_string_value (builder, error);
  json_builder_set_member_name (builder, "route");
  json_builder_add_string_value (builder, route);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  text = json_to_string (root, FALSE);
  g_print ("%s\n", text);
}

static void
print_line (Seen       *seen,
            guint       status,
            guint64     duration_us,
            GVariant   *counts,
            const char *stop_reason,
            const char *error,
            const char *route)
{
  static const struct { const char *key, *label; } tokens[] = {
    { "input_tokens", "in" }, { "output_tokens", "out" },
    { "cache_read_input_tokens", "cache-read" }, { "cache_creation_input_tokens", "cache-write" },
  };
  g_autofree char *time = g_date_time_format (seen->started, "%H:%M:%S");
  g_autoptr(GString) figures = g_string_new (NULL);
  g_autofree char *duration = duration_us < G_USEC_PER_SEC ? g_strdup_printf ("%.0fms", duration_us / 1000.0)
                                                           : g_strdup_printf ("%.2fs", duration_us / (double) G_USEC_PER_SEC);

  for (guint i = 0; i < G_N_ELEMENTS (tokens); i++)
    {
      guint64 count;

      if (g_variant_lookup (counts, tokens[i].key, "t", &count))
        g_string_append_printf (figures, "%s%s=%" G_GUINT64_FORMAT, figures->len ? " " : "", tokens[i].label, count);
    }

  g_print ("%s %s %s %s %s %u %s %s%s%s%s%s%s%s%s%s%s\n", time, seen->provider, seen->model[0] ? seen->model : "-",
           seen->method, seen->path, status, duration, figures->len ? figures->str : "-",
           seen->request_class[0] ? " " : "", seen->request_class,
           stop_reason[0] ? " " : "", stop_reason, route[0] ? " [" : "", route, route[0] ? "]" : "",
           error[0] ? " — " : "", error);
}

static void
on_request_started (CcProxyDBusProxy1 *daemon,
                    const char        *id,
                    const char        *method,
                    const char        *path,
                    const char        *provider,
                    const char        *model,
                    const char        *request_class,
                    Monitor           *monitor)
{
  Seen *seen = g_new0 (Seen, 1);

  seen->request_class = g_strdup (request_class);
  seen->method = g_strdup (method);
  seen->path = g_strdup (path);
  seen->provider = g_strdup (provider);
  seen->model = g_strdup (model);
  seen->started = g_date_time_new_now_local ();
  g_hash_table_replace (monitor->requests, g_strdup (id), seen);
}

static void
on_request_finished (CcProxyDBusProxy1 *daemon,
                     const char        *id,
                     guint              status,
                     guint64            duration,
                     GVariant          *counts,
                     const char        *stop_reason,
                     const char        *error,
                     const char        *route,
                     Monitor           *monitor)
{
  Seen *seen = g_hash_table_lookup (monitor->requests, id);
  Seen unknown = { NULL, "-", "-", "-", "", "" };

  /* Started before we listened: what is known is still worth a line. */
  if (seen == NULL)
    {
      seen = &unknown;
      unknown.started = g_date_time_new_now_local ();
    }
  if (monitor->json)
    print_json (seen, id, status, duration, counts, stop_reason, error, route);
  else
    print_line (seen, status, duration, counts, stop_reason, error, route);
  fflush (stdout);
  if (seen == &unknown)
    g_date_time_unref (unknown.started);
  else
    g_hash_table_remove (monitor->requests, id);
}

static gboolean
on_monitor_quit (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static void
on_daemon_replaced (CcProxyDBusProxy1 *daemon,
                    GParamSpec        *pspec,
                    gpointer           user_data)
{
  g_autofree char *owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (daemon));

  if (owner != NULL)
    cc_proxy_dbus_proxy1_call_watch_traffic (daemon, NULL, NULL, NULL);
}

static int
cmd_monitor (gboolean json)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) requests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) seen_free);
  Monitor monitor = { requests, json };
  /* The proxy listens before it reads the properties: once it is made,
   * nothing from here on is missed. */
  CcProxyDBusProxy1 *daemon = main_object (&error);

  if (daemon == NULL)
    return fail (error);
  g_signal_connect (daemon, "request-started", G_CALLBACK (on_request_started), &monitor);
  g_signal_connect (daemon, "request-finished", G_CALLBACK (on_request_finished), &monitor);
  /* The daemon sends its traffic to those who ask, and forgets them when
   * it restarts: asked again of each new one. */
  if (!cc_proxy_dbus_proxy1_call_watch_traffic_sync (daemon, NULL, &error))
    return fail (error);
  g_signal_connect (daemon, "notify::g-name-owner", G_CALLBACK (on_daemon_replaced), NULL);
  g_printerr (_("Following requests to cc-proxyd at %s (Ctrl-C stops)\n"), cc_proxy_dbus_proxy1_get_listen_address (daemon));

  g_unix_signal_add (SIGINT, on_monitor_quit, loop);
  g_unix_signal_add (SIGTERM, on_monitor_quit, loop);
  g_main_loop_run (loop);

  g_signal_handlers_disconnect_by_data (daemon, &monitor);
  return 0;
}

/* ----- routes ----- */

static int
cmd_route_list (void)
{
  g_autoptr(GError) error = NULL;
  CcProxyDBusProxy1 *daemon = main_object (&error);
  g_autoptr(GVariant) counters = NULL;
  g_autoptr(GVariant) skipped = NULL;
  GVariant *routes;
  const char *problem;
  GVariantIter iter;
  const char *name, *target, *provider;
  GVariant *match;
  GVariantIter *fallbacks;
  guint seconds;
  guint position = 0;

  if (daemon == NULL || !cc_proxy_dbus_proxy1_call_get_route_counters_sync (daemon, &counters, &skipped, NULL, &error))
    return fail (error);
  routes = cc_proxy_dbus_proxy1_get_routes (daemon);
  problem = cc_proxy_dbus_proxy1_get_routes_problem (daemon);
  if (problem != NULL && problem[0] != '\0')
    g_print (_("Warning: %s\n\n"), problem);
  if (routes == NULL || g_variant_n_children (routes) == 0)
    g_print (_("No routes: the active provider (%s) serves every request.\n"),
             cc_proxy_dbus_proxy1_get_active_provider (daemon));

  g_variant_iter_init (&iter, routes);
  while (routes != NULL && g_variant_iter_loop (&iter, "(&s@a{sv}&sas)", &name, &match, &target, &fallbacks))
    {
      g_autofree char *described = cc_proxy_route_match_text (match);
      const char *fallback;
      guint64 hits = 0, fell_back = 0;

      g_variant_lookup (counters, name, "(tt)", &hits, &fell_back);
      g_print ("%u. %s: %s → %s", ++position, name, described, target);
      while (g_variant_iter_next (fallbacks, "&s", &fallback))
        g_print (_(", then %s"), fallback);
      g_print (_(" (%" G_GUINT64_FORMAT " requests, %" G_GUINT64_FORMAT " by a fallback)\n"), hits, fell_back);
    }
  if (routes != NULL && g_variant_n_children (routes) > 0)
    g_print (_("Anything else: the active provider (%s).\n"), cc_proxy_dbus_proxy1_get_active_provider (daemon));

  g_variant_iter_init (&iter, skipped);
  while (g_variant_iter_next (&iter, "{&su}", &provider, &seconds))
    g_print (_("Skipped after failing: %s, for %u s more\n"), provider, seconds);
  return 0;
}

/* route add NAME [match options] --to TARGET [--fallback TARGET]... */
static int
cmd_route_add (int    argc,
               char **argv)
{
  g_autoptr(GError) error = NULL;
  g_auto(GVariantBuilder) match = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  g_autoptr(GPtrArray) fallbacks = g_ptr_array_new ();
  const char *name = argv[0];
  const char *target = NULL;
  gint64 position = -1;
  CcProxyDBusProxy1 *daemon;

  for (int i = 1; i < argc; i++)
    {
      const char *option = argv[i];
      const char *value = i + 1 < argc ? argv[i + 1] : NULL;
      gboolean takes_value = g_str_equal (option, "--role") || g_str_equal (option, "--class") ||
                             g_str_equal (option, "--model") ||
                             g_str_equal (option, "--min-tokens") || g_str_equal (option, "--to") ||
                             g_str_equal (option, "--fallback") || g_str_equal (option, "--position");

      if (takes_value && value == NULL)
        {
          g_autofree char *message = g_strdup_printf (_("%s needs a value"), option);

          return bad_usage (message);
        }
      if (takes_value)
        i++;
      if (g_str_equal (option, "--role"))
        g_variant_builder_add (&match, "{sv}", "role", g_variant_new_string (value));
      else if (g_str_equal (option, "--class"))
        g_variant_builder_add (&match, "{sv}", "class", g_variant_new_string (value));
      else if (g_str_equal (option, "--model"))
        g_variant_builder_add (&match, "{sv}", "model", g_variant_new_string (value));
      else if (g_str_equal (option, "--min-tokens"))
        {
          guint64 tokens;

          if (!g_ascii_string_to_unsigned (value, 10, 1, G_MAXUINT32, &tokens, NULL))
            return bad_usage (_("--min-tokens takes a whole number above 0"));
          g_variant_builder_add (&match, "{sv}", "min-tokens", g_variant_new_uint32 ((guint32) tokens));
        }
      else if (g_str_equal (option, "--thinking") || g_str_equal (option, "--no-thinking"))
        g_variant_builder_add (&match, "{sv}", "thinking", g_variant_new_boolean (option[2] != 'n'));
      else if (g_str_equal (option, "--images") || g_str_equal (option, "--no-images"))
        g_variant_builder_add (&match, "{sv}", "images", g_variant_new_boolean (option[2] != 'n'));
      else if (g_str_equal (option, "--web-search") || g_str_equal (option, "--no-web-search"))
        g_variant_builder_add (&match, "{sv}", "web-search", g_variant_new_boolean (option[2] != 'n'));
      else if (g_str_equal (option, "--to"))
        target = value;
      else if (g_str_equal (option, "--fallback"))
        g_ptr_array_add (fallbacks, (gpointer) value);
      else if (g_str_equal (option, "--position"))
        {
          guint64 number;

          if (!g_ascii_string_to_unsigned (value, 10, 1, G_MAXINT32, &number, NULL))
            return bad_usage (_("--position takes a number from 1"));
          position = (gint64) number - 1;
        }
      else
        {
          g_autofree char *message = g_strdup_printf (_("unknown option “%s” for route add"), option);

          return bad_usage (message);
        }
    }
  if (target == NULL)
    return bad_usage (_("route add needs --to PROVIDER[:MODEL]"));
  g_ptr_array_add (fallbacks, NULL);

  daemon = main_object (&error);
  if (daemon == NULL ||
      !cc_proxy_dbus_proxy1_call_add_route_sync (daemon, name, g_variant_builder_end (&match), target,
                                                 (const char * const *) fallbacks->pdata, (gint) position, NULL, &error))
    return fail (error);
  return 0;
}

/* -H 'Name: value' into @headers; FALSE for a malformed one. */
static gboolean
add_header_option (GVariantBuilder *headers,
                   const char      *text)
{
  const char *colon = strchr (text, ':');
  g_autofree char *name = NULL;

  if (colon == NULL || colon == text)
    return FALSE;
  name = g_strstrip (g_strndup (text, colon - text));
  g_variant_builder_add (headers, "{ss}", name, colon + 1 + strspn (colon + 1, " \t"));
  return TRUE;
}

static int
cmd_route_explain (int    argc,
                   char **argv)
{
  g_autoptr(GError) error = NULL;
  g_auto(GVariantBuilder) headers = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a{ss}"));
  g_autofree char *route = NULL;
  g_auto(GStrv) targets = NULL;
  g_autoptr(GVariant) traits = NULL;
  g_autofree char *notes = NULL;
  g_autofree char *body = NULL;
  const char *file = NULL;
  const char *role = "main", *model = "", *request_class = "";
  gboolean thinking = FALSE, images = FALSE, web_search = FALSE;
  guint64 tokens = 0;
  gsize len = 0;
  CcProxyDBusProxy1 *daemon;

  for (int i = 0; i < argc; i++)
    {
      if (g_str_equal (argv[i], "-H") && i + 1 < argc)
        {
          if (!add_header_option (&headers, argv[++i]))
            return bad_usage (_("-H takes a header as 'Name: value'"));
        }
      else if (file == NULL && (g_str_equal (argv[i], "-") || argv[i][0] != '-'))
        file = argv[i];
      else
        {
          g_autofree char *message = g_strdup_printf (_("unknown option “%s” for route explain"), argv[i]);

          return bad_usage (message);
        }
    }
  if (file == NULL)
    return bad_usage (_("route explain needs a request body: a FILE, or - for standard input"));

  if (g_str_equal (file, "-"))
    {
      if ((body = read_stdin (64 * 1024 * 1024, &len, &error)) == NULL)
        return fail (error);
    }
  else if (!g_file_get_contents (file, &body, &len, &error))
    return fail (error);

  daemon = main_object (&error);
  if (daemon == NULL ||
      !cc_proxy_dbus_proxy1_call_explain_route_sync (daemon,
                                                     g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, body ? body : "",
                                                                                len, 1),
                                                     g_variant_builder_end (&headers), &route, &targets, &traits,
                                                     &notes, NULL, &error))
    return fail (error);

  g_variant_lookup (traits, "role", "&s", &role);
  g_variant_lookup (traits, "model", "&s", &model);
  g_variant_lookup (traits, "class", "&s", &request_class);
  g_variant_lookup (traits, "thinking", "b", &thinking);
  g_variant_lookup (traits, "images", "b", &images);
  g_variant_lookup (traits, "web-search", "b", &web_search);
  g_variant_lookup (traits, "tokens", "t", &tokens);
  g_print (_("request: role=%s class=%s model=%s%s%s%s tokens≈%" G_GUINT64_FORMAT "\n"), role,
           request_class[0] ? request_class : "-", model[0] ? model : "-",
           thinking ? " thinking" : "", images ? " images" : "", web_search ? " web-search" : "", tokens);
  if (route[0] != '\0')
    g_print (_("route: %s\n"), route);
  else
    g_print (_("route: none (the active provider serves it)\n"));
  if (targets[0] != NULL)
    g_print (_("target: %s\n"), targets[0]);
  for (guint i = 1; targets[0] != NULL && targets[i] != NULL; i++)
    g_print (_("then: %s\n"), targets[i]);
  if (notes[0] != '\0')
    g_print (_("note: %s\n"), notes);
  return 0;
}

static int
cmd_route (int    argc,
           char **argv)
{
  g_autoptr(GError) error = NULL;
  const char *action = argv[0];
  CcProxyDBusProxy1 *daemon;

  if (g_str_equal (action, "list") && argc == 1)
    return cmd_route_list ();
  if (g_str_equal (action, "add") && argc >= 2)
    return cmd_route_add (argc - 1, argv + 1);
  if (g_str_equal (action, "explain"))
    return cmd_route_explain (argc - 1, argv + 1);
  if (g_str_equal (action, "remove") && argc == 2)
    {
      daemon = main_object (&error);
      if (daemon == NULL || !cc_proxy_dbus_proxy1_call_remove_route_sync (daemon, argv[1], NULL, &error))
        return fail (error);
      return 0;
    }
  if (g_str_equal (action, "move") && argc == 3)
    {
      guint64 position;

      if (!g_ascii_string_to_unsigned (argv[2], 10, 1, G_MAXUINT32, &position, NULL))
        return bad_usage (_("route move takes a POSITION from 1"));
      daemon = main_object (&error);
      if (daemon == NULL ||
          !cc_proxy_dbus_proxy1_call_move_route_sync (daemon, argv[1], (guint) position - 1, NULL, &error))
        return fail (error);
      return 0;
    }
  {
    g_autofree char *message = g_strdup_printf (_("wrong arguments for “route %s”"), action);

    return bad_usage (message);
  }
}

static int
cmd_pool (int    argc,
          char **argv)
{
  g_autoptr(GError) error = NULL;
  const char *action = argv[0];
  CcProxyDBusProxy1 *daemon = NULL;

  if (g_str_equal (action, "list") && argc == 1)
    {
      GVariant *pools;
      GVariantIter iter;
      const char *name, *strategy;
      g_autofree const char **members = NULL;

      daemon = main_object (&error);
      if (daemon == NULL)
        return fail (error);
      pools = cc_proxy_dbus_proxy1_get_pools (daemon);
      if (pools == NULL || g_variant_n_children (pools) == 0)
        {
          g_print (_("No pools.\n"));
          return 0;
        }
      g_variant_iter_init (&iter, pools);
      while (g_variant_iter_next (&iter, "(&s&s^a&s)", &name, &strategy, &members))
        {
          g_autofree char *joined = g_strjoinv (", ", (char **) members);

          g_print ("%s (%s): %s\n", name, strategy, joined);
          g_clear_pointer (&members, g_free);
        }
      return 0;
    }
  if (g_str_equal (action, "set") && argc >= 3)
    {
      g_autoptr(GPtrArray) members = g_ptr_array_new ();
      const char *strategy = "ordered";

      for (int i = 2; i < argc; i++)
        {
          if (g_str_equal (argv[i], "--strategy") && i + 1 < argc)
            strategy = argv[++i];
          else if (g_str_has_prefix (argv[i], "--"))
            {
              g_autofree char *message = g_strdup_printf (_("unknown option “%s” for pool set"), argv[i]);

              return bad_usage (message);
            }
          else
            g_ptr_array_add (members, argv[i]);
        }
      if (members->len == 0)
        return bad_usage (_("pool set needs at least one TARGET"));
      g_ptr_array_add (members, NULL);
      daemon = main_object (&error);
      if (daemon == NULL ||
          !cc_proxy_dbus_proxy1_call_set_pool_sync (daemon, argv[1], strategy, (const char * const *) members->pdata,
                                                    NULL, &error))
        return fail (error);
      return 0;
    }
  if (g_str_equal (action, "remove") && argc == 2)
    {
      daemon = main_object (&error);
      if (daemon == NULL || !cc_proxy_dbus_proxy1_call_remove_pool_sync (daemon, argv[1], NULL, &error))
        return fail (error);
      return 0;
    }
  {
    g_autofree char *message = g_strdup_printf (_("wrong arguments for “pool %s”"), action);

    return bad_usage (message);
  }
}

static int
bad_usage (const char *message)
{
  if (message != NULL)
    g_printerr ("cc-proxyctl: %s\n", message);
  g_printerr ("%s", _(usage));
  return 2;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  const char *command;
  gboolean verbose = FALSE;
  int n;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (argc < 2)
    return bad_usage (NULL);
  command = argv[1];
  n = argc - 2;

  if (g_str_equal (command, "--help") || g_str_equal (command, "-h") || g_str_equal (command, "help"))
    {
      g_print ("%s", _(usage));
      return 0;
    }
  if (g_str_equal (command, "--version"))
    {
      g_print ("cc-proxyctl %s\n", PACKAGE_VERSION);
      return 0;
    }

  /* get -v: the only option before a command's arguments. */
  if (g_str_equal (command, "get") && n > 0 && g_str_equal (argv[2], "-v"))
    {
      verbose = TRUE;
      argv++;
      argc--;
      n--;
    }
  /* COMMAND --help: that command's lines of the usage. */
  if (n >= 1 && (g_str_equal (command, "route") || g_str_equal (command, "pool")) && (g_str_equal (argv[argc - 1], "--help") || g_str_equal (argv[argc - 1], "-h")))
    return command_help (command);
  if (n == 1 && !g_str_equal (command, "claude") && (g_str_equal (argv[2], "--help") || g_str_equal (argv[2], "-h")))
    return command_help (command);

  /* The command line first: a typo is a usage error, whatever the bus. */
  {
    static const struct { const char *name; int min, max; } commands[] = {
      { "status", 0, 0 }, { "providers", 0, 0 }, { "get", 1, 2 }, { "set", 2, 3 },
      { "reset", 2, 2 }, { "use", 1, 1 }, { "reload", 0, 0 }, { "auth", 1, 3 },
      { "monitor", 0, 1 }, { "stop", 0, 0 }, { "restart", 0, 0 }, { "env", 0, 0 }, { "claude", 0, G_MAXINT }, { "log", 0, 0 }, { "usage", 0, 1 },
      { "route", 1, G_MAXINT }, { "statusline", 0, 0 }, { "add", 2, 2 }, { "remove", 1, 2 }, { "pool", 1, G_MAXINT }, { "budget", 0, 2 },
    };
    gboolean known = FALSE;

    for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
      if (g_str_equal (command, commands[i].name))
        {
          g_autofree char *message = NULL;

          known = TRUE;
          if (n >= commands[i].min && n <= commands[i].max)
            break;
          message = g_strdup_printf (_("wrong number of arguments for “%s”"), command);
          return bad_usage (message);
        }
    if (!known)
      {
        g_autofree char *message = g_strdup_printf (_("unknown command “%s”"), command);

        return bad_usage (message);
      }
  }

  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  if (bus == NULL && g_str_equal (command, "statusline"))
    {
      g_print (_("cc-proxy: no session bus\n"));
      return 0;
    }
  if (bus == NULL)
    {
      g_printerr (_("cc-proxyctl: cannot reach the session bus: %s\n"), error->message);
      return 1;
    }

  if (g_str_equal (command, "status"))
    return cmd_status ();
  if (g_str_equal (command, "providers"))
    return cmd_providers ();
  if (g_str_equal (command, "get"))
    return cmd_get (argv[2], n == 2 ? argv[3] : NULL, verbose);
  if (g_str_equal (command, "set"))
    return cmd_set (argv[2], argv[3], n == 3 ? argv[4] : NULL);
  if (g_str_equal (command, "reset"))
    return cmd_reset (argv[2], argv[3]);
  if (g_str_equal (command, "use"))
    return cmd_use (argv[2]);
  if (g_str_equal (command, "add"))
    return cmd_add (argv[2], argv[3]);
  if (g_str_equal (command, "budget"))
    return cmd_budget (n >= 1 ? argv[2] : NULL, n == 2 ? argv[3] : NULL);
  if (g_str_equal (command, "remove"))
    {
      const char *name = NULL;
      gboolean yes = FALSE;

      for (int i = 2; i < argc; i++)
        {
          if (g_str_equal (argv[i], "--yes"))
            yes = TRUE;
          else if (g_str_has_prefix (argv[i], "--") || name != NULL)
            {
              g_autofree char *message = g_strdup_printf (_("unknown option “%s” for remove"), argv[i]);

              return bad_usage (message);
            }
          else
            name = argv[i];
        }
      if (name == NULL)
        return bad_usage (_("remove needs the NAME of an instance"));
      return cmd_remove (name, yes);
    }
  if (g_str_equal (command, "auth"))
    {
      gboolean force = FALSE, open = FALSE, sign_out = FALSE;

      for (int i = 3; i < argc; i++)
        {
          if (g_str_equal (argv[i], "--force"))
            force = TRUE;
          else if (g_str_equal (argv[i], "--open"))
            open = TRUE;
          else if (g_str_equal (argv[i], "--sign-out") && argc == 4)
            sign_out = TRUE;
          else
            {
              g_autofree char *message = g_strdup_printf (_("unknown option “%s” for auth"), argv[i]);

              return bad_usage (message);
            }
        }
      if (sign_out)
        return cmd_sign_out (argv[2]);
      return cmd_auth (argv[2], force, open);
    }
  if (g_str_equal (command, "monitor"))
    {
      if (n == 1 && !g_str_equal (argv[2], "--json"))
        {
          g_autofree char *message = g_strdup_printf (_("unknown option “%s” for monitor"), argv[2]);

          return bad_usage (message);
        }
      return cmd_monitor (n == 1);
    }

  if (g_str_equal (command, "env"))
    return cmd_env ();
  if (g_str_equal (command, "log"))
    return cmd_log ();
  if (g_str_equal (command, "usage"))
    return cmd_usage (n == 1 ? argv[2] : NULL);
  if (g_str_equal (command, "claude"))
    return cmd_claude (argv + 2);
  if (g_str_equal (command, "route"))
    return cmd_route (n, argv + 2);
  if (g_str_equal (command, "pool"))
    return cmd_pool (n, argv + 2);
  if (g_str_equal (command, "statusline"))
    return cmd_statusline ();
  if (g_str_equal (command, "stop") || g_str_equal (command, "restart"))
    return cmd_stop (g_str_equal (command, "restart"));

  /* reload */
  if (main_object (&error) == NULL || !cc_proxy_dbus_proxy1_call_reload_sync (main_proxy, NULL, &error))
    return fail (error);
  return 0;
}
