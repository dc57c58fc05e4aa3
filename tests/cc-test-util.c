/* cc-test-util.c: helpers shared by the test suites
 *
 * The nested main loops here are for tests only: they let a test read
 * like a sequence of requests while the real async code runs underneath.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>

#include <json-glib/json-glib.h>

#include "cc-test-util.h"

/* Paths come from meson (test environment), so a suite can run from
 * any directory. */
char *
cc_test_fixture_path (const char *name)
{
  const char *dir = g_getenv ("CC_PROXY_TEST_FIXTURES");

  g_assert_nonnull (dir);
  return g_build_filename (dir, name, NULL);
}

GBytes *
cc_test_load_fixture (const char *name)
{
  g_autofree char *path = cc_test_fixture_path (name);
  g_autoptr(GError) error = NULL;
  char *contents;
  gsize len;

  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (contents, len);
}

/* A fixture as a NUL-terminated string. */
char *
cc_test_load_fixture_text (const char *name)
{
  g_autoptr(GBytes) bytes = cc_test_load_fixture (name);

  return g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

const char *
cc_test_module_dir (void)
{
  const char *dir = g_getenv ("CC_PROXY_TEST_MODULE_DIR");

  g_assert_nonnull (dir);
  return dir;
}

typedef struct
{
  GAsyncResult *result;
} Wait;

static void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Wait *wait = user_data;

  wait->result = g_object_ref (result);
}

static GAsyncResult *
run_until_result (Wait *wait)
{
  while (wait->result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return wait->result;
}

GBytes *
cc_test_send (SoupSession  *session,
              SoupMessage  *message,
              GError      **error)
{
  Wait wait = { NULL };
  g_autoptr(GAsyncResult) result = NULL;

  soup_session_send_and_read_async (session, message, G_PRIORITY_DEFAULT, NULL, store_result, &wait);
  result = run_until_result (&wait);
  return soup_session_send_and_read_finish (session, result, error);
}

GInputStream *
cc_test_send_stream (SoupSession *session,
                     SoupMessage *message)
{
  Wait wait = { NULL };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GInputStream *stream;

  soup_session_send_async (session, message, G_PRIORITY_DEFAULT, NULL, store_result, &wait);
  result = run_until_result (&wait);
  stream = soup_session_send_finish (session, result, &error);
  g_assert_no_error (error);
  return stream;
}

/* Reads what one read gives; 0 at the end of the stream. */
gsize
cc_test_read_some (GInputStream *stream,
                   GString      *into)
{
  Wait wait = { NULL };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  gsize len;
  const char *data;

  g_input_stream_read_bytes_async (stream, 65536, G_PRIORITY_DEFAULT, NULL, store_result, &wait);
  result = run_until_result (&wait);
  bytes = g_input_stream_read_bytes_finish (stream, result, &error);
  g_assert_no_error (error);

  data = g_bytes_get_data (bytes, &len);
  g_string_append_len (into, data, len);
  return len;
}

void
cc_test_read_to_end (GInputStream *stream,
                     GString      *into)
{
  while (cc_test_read_some (stream, into) > 0)
    ;
}

/* Runs the main context until done() holds, checking at least every
 * 10 ms (some conditions change without an event here, a bus name
 * appearing say); a test that waits longer than 20 s is broken, not slow. */
void
cc_test_wait_for_at (const char  *where,
                     const char  *what,
                     gboolean   (*done) (gpointer user_data),
                     gpointer     user_data)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  /* Checked between turns of 10 ms, not after every event: a window
   * under AddressSanitizer was seen never to get its dialog up while
   * the condition was asked after each one. */
  while (!done (user_data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("%s: timed out waiting for %s", where, what);
      cc_test_drain (10);
    }
}

/* The text of tests/expected/@name: what a test must produce. */
char *
cc_test_load_expected_text (const char *name)
{
  g_autofree char *path = g_build_filename (g_getenv ("CC_PROXY_TEST_EXPECTED"), name, NULL);
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

/* The agent fixture (a Claude Code turn with tools), with its model
 * and stream flag replaced. */
char *
cc_test_agent_body (const char *model,
                    gboolean    stream)
{
  g_autofree char *text = cc_test_load_fixture_text ("anthropic-request-agent.json");
  g_autoptr(JsonNode) node = json_from_string (text, NULL);

  json_object_set_string_member (json_node_get_object (node), "model", model);
  json_object_set_boolean_member (json_node_get_object (node), "stream", stream);
  return json_to_string (node, FALSE);
}

/* Sends @method @url with the JSON @body (if any) as an Anthropic
 * client does; returns the answer's body as text, its status in
 * @status and the message in @out (if wanted). */
char *
cc_test_request (SoupSession  *session,
                 const char   *method,
                 const char   *url,
                 const char   *body,
                 guint        *status,
                 SoupMessage **out)
{
  g_autoptr(SoupMessage) message = soup_message_new (method, url);
  SoupMessageHeaders *headers = soup_message_get_request_headers (message);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) answer = NULL;

  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (message, "application/json", bytes);
    }
  soup_message_headers_replace (headers, "anthropic-beta", "interleaved-thinking-2025-05-14");
  soup_message_headers_replace (headers, "anthropic-version", "2023-06-01");
  answer = cc_test_send (session, message, &error);
  g_assert_no_error (error);
  if (status != NULL)
    *status = soup_message_get_status (message);
  if (out != NULL)
    *out = g_object_ref (message);
  return g_strndup (g_bytes_get_data (answer, NULL), g_bytes_get_size (answer));
}

/* POSTs the JSON @body to @url; returns the answer's body as text and
 * its status in @status. */
char *
cc_test_post_json (SoupSession *session,
                   const char  *url,
                   const char  *body,
                   guint       *status)
{
  g_autoptr(SoupMessage) message = soup_message_new ("POST", url);
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;

  soup_message_set_request_body_from_bytes (message, "application/json", bytes);
  answer = cc_test_send (session, message, &error);
  g_assert_no_error (error);
  *status = soup_message_get_status (message);
  return g_strndup (g_bytes_get_data (answer, NULL), g_bytes_get_size (answer));
}

/* Parses an Anthropic-shaped error body; returns its error type. */
char *
cc_test_error_type (GBytes  *body,
                    char   **message)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *root, *inner;
  gsize len;
  const char *data = g_bytes_get_data (body, &len);

  json_parser_load_from_data (parser, data, len, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (root, "type"), ==, "error");
  inner = json_object_get_object_member (root, "error");
  if (message != NULL)
    *message = g_strdup (json_object_get_string_member (inner, "message"));
  return g_strdup (json_object_get_string_member (inner, "type"));
}

static gboolean
on_drained (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main context for @ms milliseconds: closed connections need a
 * few iterations to be seen and released before their server goes. */
void
cc_test_drain (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, on_drained, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

/* One property of cc-proxyd's, read over @connection; the test fails
 * when it cannot be. */
GVariant *
cc_test_get_property (GDBusConnection *connection,
                      const char      *path,
                      const char      *interface,
                      const char      *property)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_sync (connection, "org.ccproxy.Proxy1", path,
                                                           "org.freedesktop.DBus.Properties", "Get",
                                                           g_variant_new ("(ss)", interface, property),
                                                           G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  GVariant *value;

  g_assert_no_error (error);
  g_variant_get (reply, "(v)", &value);
  return value;
}

/* Starts @bus. The bus, and what it activates, inherit our stdout,
 * which is the TAP stream meson parses: they get stderr instead. */
void
cc_test_dbus_up (GTestDBus *bus)
{
  int saved_stdout = dup (STDOUT_FILENO);

  g_assert_cmpint (saved_stdout, >=, 0);
  fflush (stdout);
  g_assert_cmpint (dup2 (STDERR_FILENO, STDOUT_FILENO), ==, STDOUT_FILENO);
  g_test_dbus_up (bus);
  g_assert_cmpint (dup2 (saved_stdout, STDOUT_FILENO), ==, STDOUT_FILENO);
  close (saved_stdout);
}

/* A client connection of our own to the private bus @bus. */
GDBusConnection *
cc_test_bus_connection (GTestDBus *bus)
{
  g_autoptr(GError) error = NULL;
  GDBusConnection *connection =
    g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (bus),
                                            G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                            G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                            NULL, NULL, &error);

  g_assert_no_error (error);
  return connection;
}

/* A plain TCP connection to @url's host and port. */
GSocketConnection *
cc_test_connect (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  g_autoptr(GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  GSocketConnection *connection;

  connection = g_socket_client_connect_to_host (socket_client, g_uri_get_host (uri), g_uri_get_port (uri),
                                                NULL, &error);
  g_assert_no_error (error);
  return connection;
}

void
cc_test_send_raw (GSocketConnection *connection,
                  const char        *bytes)
{
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                             bytes, strlen (bytes), NULL, NULL, &error);
  g_assert_no_error (error);
}

/* Reads one whole answer with a Content-Length, the main loop running
 * meanwhile (the server, or the upstream, may be in this process). */
char *
cc_test_read_answer (GSocketConnection *connection)
{
  GPollableInputStream *in = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (G_IO_STREAM (connection)));
  g_autoptr(GString) answer = g_string_new (NULL);
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      char buffer[4096];
      gssize n = g_pollable_input_stream_read_nonblocking (in, buffer, sizeof buffer, NULL, &error);
      const char *end;

      if (n > 0)
        g_string_append_len (answer, buffer, n);
      else if (n == 0)
        break;
      else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        g_error ("reading the answer: %s", error->message);
      else
        g_main_context_iteration (NULL, FALSE);

      end = strstr (answer->str, "\r\n\r\n");
      if (end != NULL)
        {
          const char *length = strstr (answer->str, "Content-Length: ");

          g_assert_nonnull (length);
          if (answer->len >= (gsize) (end + 4 - answer->str) + g_ascii_strtoull (length + 16, NULL, 10))
            break;
        }
      if (g_get_monotonic_time () > deadline)
        g_error ("no whole answer within 20 s; so far: %s", answer->str);
    }
  return g_strdup (answer->str);
}

/* ----- a process, as /proc shows it ----- */

/**
 * cc_test_process_count_fds:
 * @pid: a process id, as text
 *
 * Returns: how many descriptors it holds
 */
guint
cc_test_process_count_fds (const char *pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/fd", pid);
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

/* The inodes of the sockets @pid holds. */
static GHashTable *
socket_inodes (const char *pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/fd", pid);
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  GHashTable *inodes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *link_path = g_build_filename (path, name, NULL);
      g_autofree char *target = g_file_read_link (link_path, NULL);

      if (target != NULL && g_str_has_prefix (target, "socket:["))
        g_hash_table_add (inodes, g_strndup (target + 8, strlen (target) - 9));
    }
  return inodes;
}

/**
 * cc_test_process_count_close_wait:
 * @pid: a process id, as text
 *
 * Returns: how many of its TCP sockets the other end has closed while
 *   it has not (CLOSE-WAIT): each a descriptor held for nothing
 */
guint
cc_test_process_count_close_wait (const char *pid)
{
  static const char * const tables[] = { "/proc/net/tcp", "/proc/net/tcp6" };
  g_autoptr(GHashTable) inodes = socket_inodes (pid);
  guint n = 0;

  for (guint t = 0; t < G_N_ELEMENTS (tables); t++)
    {
      g_autofree char *table = NULL;
      g_auto(GStrv) lines = NULL;

      if (!g_file_get_contents (tables[t], &table, NULL, NULL))
        continue;
      lines = g_strsplit (table, "\n", -1);
      for (guint i = 1; lines[i] != NULL; i++)
        {
          /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
          g_auto(GStrv) fields = g_strsplit_set (g_strstrip (lines[i]), " ", -1);
          g_autoptr(GPtrArray) words = g_ptr_array_new ();

          for (guint j = 0; fields[j] != NULL; j++)
            if (fields[j][0] != '\0')
              g_ptr_array_add (words, fields[j]);
          if (words->len > 9 && g_str_equal (g_ptr_array_index (words, 3), "08") &&
              g_hash_table_contains (inodes, g_ptr_array_index (words, 9)))
            n++;
        }
    }
  return n;
}

/**
 * cc_test_process_read_status:
 * @pid: a process id, as text
 * @field: a field of /proc/PID/status, such as "VmRSS" or "Threads"
 *
 * Returns: its number (kB for sizes), 0 when the process is gone
 */
guint64
cc_test_process_read_status (const char *pid,
                             const char *field)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/status", pid);
  g_autofree char *text = NULL;
  g_autofree char *prefix = g_strconcat ("\n", field, ":", NULL);
  const char *line;

  if (!g_file_get_contents (path, &text, NULL, NULL) || (line = strstr (text, prefix)) == NULL)
    return 0;
  return g_ascii_strtoull (line + strlen (prefix) + strspn (line + strlen (prefix), " \t"), NULL, 10);
}

/**
 * cc_test_process_children:
 * @pid: a process id, as text
 *
 * Returns: (transfer full): the ids of its child processes
 */
GStrv
cc_test_process_children (const char *pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/task/%s/children", pid, pid);
  g_autofree char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return g_new0 (char *, 1);
  return g_strsplit (g_strstrip (text), " ", -1);
}

/**
 * cc_test_remove_tree:
 * @dir: a directory a test made
 *
 * Removes it and everything below it, as `rm -rf` does.
 */
void
cc_test_remove_tree (const char *dir)
{
  const char *argv[] = { "rm", "-rf", dir, NULL };

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
}

/* Runs the gsettings tool with @env (name, value pairs) as a user
 * would, to change what a daemon on the same backend reads. */
void
cc_test_run_gsettings (const char * const *env,
                       const char         *first,
                       ...)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  va_list args;

  for (guint i = 0; env[i] != NULL; i += 2)
    g_subprocess_launcher_setenv (launcher, env[i], env[i + 1], TRUE);
  g_ptr_array_add (argv, (gpointer) "gsettings");
  va_start (args, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_wait_check (process, NULL, &error);
  g_assert_no_error (error);
}

/**
 * cc_test_name_has_owner:
 *
 * Returns: whether someone owns @name on @connection's bus
 */
gboolean
cc_test_name_has_owner (GDBusConnection *connection,
                        const char      *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_sync (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                           "org.freedesktop.DBus", "NameHasOwner",
                                                           g_variant_new ("(s)", name), G_VARIANT_TYPE ("(b)"),
                                                           G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  gboolean owned = FALSE;

  g_assert_no_error (error);
  g_variant_get (reply, "(b)", &owned);
  return owned;
}

typedef struct
{
  GDBusConnection *connection;
  const char      *name;
} NameWait;

static gboolean
name_owned (gpointer user_data)
{
  NameWait *wait = user_data;

  return cc_test_name_has_owner (wait->connection, wait->name);
}

/* Runs the main context until someone owns @name. */
void
cc_test_wait_for_name (GDBusConnection *connection,
                       const char      *name)
{
  NameWait wait = { connection, name };

  cc_test_wait_for (name_owned, &wait);
}

/**
 * cc_test_keyfile_config:
 * @contents: the GSettings keyfile, as a user's would be
 * @keyfile: (out) (optional): where it is
 *
 * A throwaway XDG_CONFIG_HOME holding @contents as the keyfile
 * backend's settings (GSETTINGS_BACKEND=keyfile reads them there).
 *
 * Returns: (transfer full): the folder, for cc_test_remove_tree()
 */
char *
cc_test_keyfile_config (const char  *contents,
                        char       **keyfile)
{
  g_autoptr(GError) error = NULL;
  char *config = g_dir_make_tmp ("cc-proxy-config-XXXXXX", &error);
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;

  g_assert_no_error (error);
  dir = g_build_filename (config, "glib-2.0", "settings", NULL);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  path = g_build_filename (dir, "keyfile", NULL);
  g_assert_true (g_file_set_contents (path, contents, -1, NULL));
  if (keyfile != NULL)
    *keyfile = g_steal_pointer (&path);
  return config;
}

static gboolean
keyring_ready (gpointer user_data)
{
  return cc_test_name_has_owner (user_data, "org.freedesktop.secrets");
}

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/**
 * cc_test_keyring_start:
 * @connection: the private session bus
 * @unlock: whether to unlock it (with a throwaway password)
 * @home: (out): its throwaway HOME, for cc_test_keyring_stop()
 *
 * A real gnome-keyring-daemon (secrets only) on @connection's bus.
 *
 * Returns: (transfer full): its process, once it owns org.freedesktop.secrets
 */
GSubprocess *
cc_test_keyring_start (GDBusConnection  *connection,
                       gboolean          unlock,
                       char            **home)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autofree char *runtime_dir = NULL;
  g_autofree char *data_dir = NULL;
  g_autoptr(GError) error = NULL;
  GSubprocess *keyring;

  *home = g_dir_make_tmp ("cc-proxy-keyring-XXXXXX", &error);
  g_assert_no_error (error);
  runtime_dir = g_build_filename (*home, "run", NULL);
  data_dir = g_build_filename (*home, "data", NULL);
  g_mkdir_with_parents (runtime_dir, 0700);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  g_subprocess_launcher_setenv (launcher, "HOME", *home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", runtime_dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data_dir, TRUE);

  if (unlock)
    keyring = g_subprocess_launcher_spawn (launcher, &error, "gnome-keyring-daemon", "--foreground",
                                           "--components=secrets", "--unlock", NULL);
  else
    keyring = g_subprocess_launcher_spawn (launcher, &error, "gnome-keyring-daemon", "--foreground",
                                           "--components=secrets", NULL);
  g_assert_no_error (error);
  /* The password, then end of input; a locked keyring gets none. */
  g_output_stream_write_all (g_subprocess_get_stdin_pipe (keyring), "throwaway-password",
                             unlock ? strlen ("throwaway-password") : 0, NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (g_subprocess_get_stdin_pipe (keyring), NULL, NULL);
  cc_test_wait_for (keyring_ready, connection);
  return keyring;
}

void
cc_test_keyring_stop (GSubprocess *keyring,
                      const char  *home)
{
  g_subprocess_send_signal (keyring, SIGTERM);
  g_subprocess_wait (keyring, NULL, NULL);
  g_object_unref (keyring);
  cc_test_remove_tree (home);
}

void
cc_test_ran_clear (CcTestRan *ran)
{
  g_free (ran->out);
  g_free (ran->err);
}

/* Keeps the result of an async call in *@user_data (a GAsyncResult *). */
void
cc_test_keep_async_result (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

gboolean
cc_test_has_async_result (gpointer user_data)
{
  return *(GAsyncResult **) user_data != NULL;
}

/**
 * cc_test_ctl:
 * @input: (nullable): what to give it on standard input
 * @...: its arguments, then %NULL
 *
 * Runs $CC_PROXYCTL in the C locale, turning the main loop meanwhile
 * (the mock upstreams live in this process).
 */
CcTestRan
cc_test_ctl (const char *input,
             ...)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  CcTestRan ran = { 0 };
  va_list args;

  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  g_ptr_array_add (argv, (gpointer) g_getenv ("CC_PROXYCTL"));
  va_start (args, input);
  for (const char *arg = va_arg (args, const char *); arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (process, input, NULL, cc_test_keep_async_result, &result);
  cc_test_wait_for (cc_test_has_async_result, &result);
  g_subprocess_communicate_utf8_finish (process, result, &ran.out, &ran.err, &error);
  g_assert_no_error (error);
  ran.status = g_subprocess_get_exit_status (process);
  return ran;
}
