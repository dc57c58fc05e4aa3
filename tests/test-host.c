/* test-host.c: provider modules in host processes
 *
 * The real cc-proxyd on a private bus, with the "fragile" test module
 * (tests/modules/fragile) that crashes, aborts, hangs or exits on
 * request or while it loads. Whatever it does, the daemon keeps its
 * PID, a passthrough stream running alongside completes byte for byte,
 * the failing request gets an Anthropic-shaped error, and the host is
 * started again (or, failing at every start, left broken).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <signal.h>
#include <stddef.h>
#include <string.h>

#include <glib/gstdio.h>
#include <errno.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libsoup/soup.h>

#include "cc-test-daemon.h"
#include "cc-test-upstream.h"
#include "cc-test-util.h"

#define NAME "org.ccproxy.Proxy1"
#define PATH "/org/ccproxy/Proxy1"
#define MAIN_IFACE "org.ccproxy.Proxy1"

/* Short, so that a hang is seen quickly; long enough for a host built
 * with AddressSanitizer to load its module. */
#define HOST_TIMEOUT_MS "1500"

#define OPENAI_SECRET "sk-test-only-the-openai-host-may-see-this"

typedef struct
{
  GTestDBus       *bus;
  GDBusConnection *connection;
  CcTestUpstream  *upstream;
  SoupSession     *client;
  Daemon          *daemon;
  char            *pid;
  gboolean         killed;  /* the test killed the daemon itself */
  const char      *while_path;  /* the load failure only while it exists */
  gboolean         with_openai; /* the openai module beside, with an API key */
  char            *module_dir;  /* instead of the fragile module's build folder */
} Fixture;

static void
fixture_start (Fixture    *fixture,
               const char *load_failure)
{
  /* "init-HOW" fails as the provider is made, "HOW" as the module loads. */
  gboolean at_init = load_failure != NULL && g_str_has_prefix (load_failure, "init-");
  g_autofree char *dirs = g_strjoin (":", fixture->module_dir ? fixture->module_dir : g_getenv ("CC_PROXY_TEST_FRAGILE_DIR"),
                                     fixture->with_openai ? g_getenv ("CC_PROXY_TEST_OPENAI_DIR") : NULL, NULL);
  const char *env[] = {
    "DBUS_SESSION_BUS_ADDRESS", g_test_dbus_get_bus_address (fixture->bus),
    "CC_PROXY_PROVIDER_DIR", dirs,
    "CC_PROXY_HOST_TIMEOUT_MS", HOST_TIMEOUT_MS,
    /* Its host's lines say when a host is sent settings. */
    "G_MESSAGES_DEBUG", "cc-proxy-host",
    "CC_PROXY_OPENAI_API_KEY", OPENAI_SECRET,
    at_init ? "CC_TEST_FRAGILE_INIT" : "CC_TEST_FRAGILE_LOAD",
    load_failure == NULL ? "" : at_init ? load_failure + strlen ("init-") : load_failure,
    fixture->while_path != NULL ? "CC_TEST_FRAGILE_WHILE" : NULL, fixture->while_path,
    NULL
  };

  fixture->daemon = daemon_start (env, cc_test_upstream_get_url (fixture->upstream));
  fixture->pid = g_strdup (g_subprocess_get_identifier (fixture->daemon->process));
  /* It listens before it is on the bus. */
  cc_test_wait_for_name (fixture->connection, NAME);
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  user_data)
{

  fixture->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (fixture->bus);
  fixture->connection = cc_test_bus_connection (fixture->bus);
  fixture->upstream = cc_test_upstream_new ();
  fixture->client = soup_session_new_with_options ("timeout", 30, NULL);
}

static void
fixture_setup_started (Fixture       *fixture,
                       gconstpointer  user_data)
{
  fixture_setup (fixture, user_data);
  fixture_start (fixture, NULL);
}

static void
fixture_setup_with_openai (Fixture       *fixture,
                           gconstpointer  user_data)
{
  fixture_setup (fixture, user_data);
  fixture->with_openai = TRUE;
  fixture_start (fixture, NULL);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  user_data)
{
  /* The daemon that kept serving is the one we started. */
  if (fixture->killed)
    {
      /* Dead already: let its last lines arrive, then forget it. */
      g_subprocess_wait (fixture->daemon->process, NULL, NULL);
      cc_test_drain (100);
      daemon_free (fixture->daemon);
    }
  else
    {
      g_assert_false (fixture->daemon->exited);
      g_assert_cmpstr (g_subprocess_get_identifier (fixture->daemon->process), ==, fixture->pid);
      daemon_stop (fixture->daemon);
    }
  g_free (fixture->pid);
  if (fixture->module_dir != NULL)
    {
      g_autofree char *module = g_build_filename (fixture->module_dir, "fragile.so", NULL);
      g_autofree char *descriptor = g_build_filename (fixture->module_dir, "fragile.descriptor", NULL);

      g_unlink (module);
      g_unlink (descriptor);
      g_rmdir (fixture->module_dir);
      g_free (fixture->module_dir);
    }
  g_clear_object (&fixture->client);
  g_clear_object (&fixture->upstream);
  g_dbus_connection_close_sync (fixture->connection, NULL, NULL);
  g_clear_object (&fixture->connection);
  g_test_dbus_down (fixture->bus);
  g_clear_object (&fixture->bus);
}

static GVariant *
get_property (Fixture    *fixture,
              const char *name)
{
  return cc_test_get_property (fixture->connection, PATH, MAIN_IFACE, name);
}

static void
set_active_provider (Fixture    *fixture,
                     const char *id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  reply = g_dbus_connection_call_sync (fixture->connection, NAME, PATH, "org.freedesktop.DBus.Properties", "Set",
                                       g_variant_new ("(ssv)", MAIN_IFACE, "ActiveProvider", g_variant_new_string (id)),
                                       NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
}

/* cc-proxyctl status, as a person would run it. */
static char *
ctl_status (Fixture *fixture)
{
  g_auto(GStrv) envp = g_environ_setenv (g_get_environ (), "DBUS_SESSION_BUS_ADDRESS",
                                         g_test_dbus_get_bus_address (fixture->bus), TRUE);
  const char *argv[] = { g_getenv ("CC_PROXYCTL"), "status", NULL };
  g_autoptr(GError) error = NULL;
  char *out = NULL;
  int status = 0;

  envp = g_environ_setenv (envp, "LC_ALL", "C.UTF-8", TRUE);
  g_spawn_sync (NULL, (char **) argv, envp, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return out;
}

/* The fragile host's state, and (through @last_error) why it last failed. */
static char *
host_state (Fixture  *fixture,
            char    **last_error)
{
  g_autoptr(GVariant) hosts = get_property (fixture, "ProviderHosts");
  g_autoptr(GVariant) state = g_variant_lookup_value (hosts, "fragile", G_VARIANT_TYPE_VARDICT);
  char *name = NULL;

  g_assert_nonnull (state);
  g_assert_true (g_variant_lookup (state, "State", "s", &name));
  if (last_error != NULL)
    g_assert_true (g_variant_lookup (state, "LastError", "s", last_error));
  return name;
}

typedef struct
{
  Fixture    *fixture;
  const char *state;
  guint32     restarts;  /* at least this many */
} StateWait;

static guint32
host_restarts (Fixture *fixture)
{
  g_autoptr(GVariant) hosts = get_property (fixture, "ProviderHosts");
  g_autoptr(GVariant) fragile = g_variant_lookup_value (hosts, "fragile", G_VARIANT_TYPE_VARDICT);
  guint32 restarts = 0;

  g_variant_lookup (fragile, "Restarts", "u", &restarts);
  return restarts;
}

static gboolean
host_reached (gpointer user_data)
{
  StateWait *wait = user_data;
  g_autofree char *last_error = NULL;
  g_autofree char *state = host_state (wait->fixture, &last_error);

  if (!g_str_equal (state, wait->state))
    g_test_message ("fragile host %s (%s), waiting for %s", state, last_error, wait->state);
  return g_str_equal (state, wait->state) && host_restarts (wait->fixture) >= wait->restarts;
}

static void
wait_for_host (Fixture    *fixture,
               const char *state)
{
  StateWait wait = { fixture, state, 0 };

  cc_test_wait_for (host_reached, &wait);
}

/* Running again after the failure: the daemon may answer the request
 * before it has seen its host go. */
static void
wait_for_restart (Fixture *fixture,
                  guint32  before)
{
  StateWait wait = { fixture, "running", before + 1 };

  cc_test_wait_for (host_reached, &wait);
}

static SoupMessage *
messages_request (Fixture    *fixture,
                  const char *model)
{
  g_autofree char *url = g_strconcat (fixture->daemon->url, "/v1/messages", NULL);
  g_autofree char *body = g_strdup_printf ("{\"model\":\"%s\",\"max_tokens\":16,\"stream\":true,"
                                           "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", model);
  gsize length = strlen (body);
  g_autoptr(GBytes) bytes = g_bytes_new_take (g_steal_pointer (&body), length);
  SoupMessage *message = soup_message_new ("POST", url);

  soup_message_set_request_body_from_bytes (message, "application/json", bytes);
  return message;
}

/* A request to the fragile provider that works: its stream, whole. */
static void
assert_fragile_serves (Fixture *fixture)
{
  g_autoptr(SoupMessage) message = messages_request (fixture, "claude-fine");
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = cc_test_send (fixture->client, message, &error);
  const char *text;

  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (message), ==, 200);
  text = g_bytes_get_data (body, NULL);
  g_assert_nonnull (g_strstr_len (text, g_bytes_get_size (body), "\"model\":\"claude-fine\""));
  g_assert_nonnull (g_strstr_len (text, g_bytes_get_size (body), "event: message_stop"));
}

/* The model the fragile provider's answer to a request for @model
 * names (see test-fragile.c: "peek:PROVIDER/KEY" reads a setting). */
static char *
fragile_answer_model (Fixture    *fixture,
                      const char *model)
{
  g_autoptr(SoupMessage) message = messages_request (fixture, model);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = cc_test_send (fixture->client, message, &error);
  g_autofree char *text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  const char *start;

  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (message), ==, 200);
  start = strstr (text, "\"model\":\"");
  g_assert_nonnull (start);
  start += strlen ("\"model\":\"");
  return g_strndup (start, strchr (start, '"') - start);
}

static guint
count_in_log (Fixture    *fixture,
              const char *needle)
{
  guint n = 0;

  for (const char *at = fixture->daemon->err_text->str; (at = strstr (at, needle)) != NULL; at += strlen (needle))
    n++;
  return n;
}

typedef struct
{
  Fixture    *fixture;
  const char *needle;
  guint       count;
} LogCount;

static gboolean
log_count_reached (gpointer user_data)
{
  LogCount *wanted = user_data;

  return count_in_log (wanted->fixture, wanted->needle) >= wanted->count;
}

static void
set_value (Fixture    *fixture,
           const char *provider_id,
           const char *key,
           const char *value)
{
  g_autofree char *path = g_strconcat (PATH "/providers/", provider_id, NULL);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_sync (fixture->connection, NAME, path, MAIN_IFACE ".Provider", "SetValue",
                                       g_variant_new ("(sv)", key, g_variant_new_string (value)), NULL,
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
}

/* A host holds its own provider's settings and secrets, not another's
 * (the openai provider's API key is set, from the environment), and is
 * not disturbed when another provider's change. */
static void
test_scoped_settings (Fixture       *fixture,
                      gconstpointer  user_data)
{
  const char *sent = "Provider fragile: sending settings to its host";
  g_autofree char *url = NULL;
  g_autofree char *secret = NULL;
  g_autofree char *other = NULL;
  LogCount wanted = { fixture, sent, 0 };
  guint before;

  set_active_provider (fixture, "fragile");
  /* What the provider hands back goes to the built-in provider's
   * upstream: that URL it sees. */
  url = fragile_answer_model (fixture, "peek:anthropic/base-url");
  g_assert_cmpstr (url, ==, cc_test_upstream_get_url (fixture->upstream));
  secret = fragile_answer_model (fixture, "peek:openai/api-key");
  g_assert_cmpstr (secret, ==, "(none)");
  other = fragile_answer_model (fixture, "peek:openai/base-url");
  g_assert_cmpstr (other, ==, "(none)");

  /* The openai provider's settings and the active provider change: the
   * fragile host is sent nothing. Its host is then made to crash, and
   * its successor is sent settings: once that line is there, any line
   * for the changes before would be too. */
  before = count_in_log (fixture, sent);
  g_assert_cmpuint (before, >=, 1);
  set_value (fixture, "openai", "model", "gpt-scoped");
  set_active_provider (fixture, "openai");
  set_active_provider (fixture, "fragile");
  {
    g_autoptr(SoupMessage) crash = messages_request (fixture, "abort");
    g_autoptr(GBytes) body = cc_test_send (fixture->client, crash, NULL);

    g_assert_cmpuint (soup_message_get_status (crash), ==, 502);
  }
  wanted.count = before + 1;
  cc_test_wait_for (log_count_reached, &wanted);
  g_assert_cmpuint (count_in_log (fixture, sent), ==, before + 1);
}

static guint32
fragile_pid (Fixture *fixture)
{
  g_autoptr(GVariant) hosts = get_property (fixture, "ProviderHosts");
  g_autoptr(GVariant) fragile = g_variant_lookup_value (hosts, "fragile", G_VARIANT_TYPE_VARDICT);
  guint32 pid = 0;

  g_assert_true (g_variant_lookup (fragile, "Pid", "u", &pid));
  g_assert_cmpuint (pid, >, 0);
  return pid;
}

static gboolean
kernel_has_landlock (void)
{
  return syscall (SYS_landlock_create_ruleset, NULL, 0, (guint32) 1 /* VERSION */) >= 0;
}

/* What the fragile module, in its host, gets when it tries @what (see
 * test-fragile.c: read:, write:, unix:, signal:). */
static char *
fragile_tries (Fixture    *fixture,
               const char *what,
               const char *arg)
{
  g_autofree char *model = g_strconcat (what, ":", arg, NULL);

  return fragile_answer_model (fixture, model);
}

/* The host confines the module before it runs: files outside the system
 * (a key in the home folder, any file to write), Unix sockets (the
 * session bus, through which the keyring gives out every login) and
 * signals to processes outside are refused, while what a provider needs
 * (the system's files, its upstream) is not. Run as root, too: it is
 * Landlock and seccomp that refuse, not file permissions. */
static void
test_confined (Fixture       *fixture,
               gconstpointer  user_data)
{
  g_autofree char *ssh_dir = g_build_filename (fixture->daemon->state_dir, "home", ".ssh", NULL);
  g_autofree char *key = g_build_filename (ssh_dir, "id_rsa", NULL);
  g_autofree char *planted = g_build_filename (fixture->daemon->state_dir, "planted", NULL);
  const char *bus = strstr (g_test_dbus_get_bus_address (fixture->bus), "unix:path=");
  g_autofree char *bus_path = NULL;
  g_autofree char *read_key = NULL;
  g_autofree char *wrote = NULL;
  g_autofree char *read_hosts = NULL;
  g_autofree char *bus_reached = NULL;
  g_autofree char *signalled = NULL;
  g_autofree char *status = NULL;
  g_autoptr(GVariant) hosts = NULL;
  g_autoptr(GVariant) fragile = NULL;
  const char *confinement = NULL;
  GError *error = NULL;

  if (!kernel_has_landlock ())
    {
      g_test_skip ("the kernel has no Landlock: provider hosts run unconfined");
      return;
    }
  g_assert_nonnull (bus);
  bus_path = g_strndup (bus + strlen ("unix:path="), strcspn (bus + strlen ("unix:path="), ","));
  g_assert_cmpint (g_mkdir_with_parents (ssh_dir, 0700), ==, 0);
  g_file_set_contents (key, "-----BEGIN OPENSSH PRIVATE KEY-----\n", -1, &error);
  g_assert_no_error (error);

  set_active_provider (fixture, "fragile");
  read_key = fragile_tries (fixture, "read", key);
  g_assert_cmpstr (read_key, ==, g_strerror (EACCES));
  wrote = fragile_tries (fixture, "write", planted);
  g_assert_cmpstr (wrote, ==, g_strerror (EACCES));
  g_assert_false (g_file_test (planted, G_FILE_TEST_EXISTS));
  bus_reached = fragile_tries (fixture, "unix", bus_path);
  g_assert_cmpstr (bus_reached, ==, g_strerror (EACCES));
  /* What a provider needs still works. */
  read_hosts = fragile_tries (fixture, "read", "/etc/hosts");
  g_assert_cmpstr (read_hosts, ==, "ok");

  hosts = get_property (fixture, "ProviderHosts");
  fragile = g_variant_lookup_value (hosts, "fragile", G_VARIANT_TYPE_VARDICT);
  g_assert_true (g_variant_lookup (fragile, "Confinement", "&s", &confinement));
  g_assert_true (g_str_has_prefix (confinement, "Landlock ABI "));
  g_assert_nonnull (strstr (confinement, "no Unix sockets"));
  status = ctl_status (fixture);
  g_assert_nonnull (strstr (status, "confined: Landlock ABI "));

  /* Scoped signals came with Landlock ABI 6. */
  if (syscall (SYS_landlock_create_ruleset, NULL, 0, (guint32) 1) >= 6)
    {
      signalled = fragile_tries (fixture, "signal", fixture->pid);
      g_assert_cmpstr (signalled, ==, g_strerror (EPERM));
    }
}

/* What the provider does not declare (its descriptor's routes) is the
 * daemon's to forward, and what it declares the daemon checks: neither
 * enters the host, which is stopped meanwhile. */
static void
test_undeclared_paths_skip_host (Fixture       *fixture,
                                 gconstpointer  user_data)
{
  guint32 pid;

  set_active_provider (fixture, "fragile");
  assert_fragile_serves (fixture);
  pid = fragile_pid (fixture);
  g_assert_cmpint (kill ((pid_t) pid, SIGSTOP), ==, 0);
  {
    g_autofree char *url = g_strconcat (fixture->daemon->url, "/v1/messages/count_tokens", NULL);
    g_autoptr(SoupMessage) message = soup_message_new ("POST", url);
    g_autoptr(GBytes) request = g_bytes_new_static ("{\"model\":\"m\"}", 13);
    g_autoptr(GBytes) body = NULL;
    g_autoptr(GError) error = NULL;

    soup_message_set_request_body_from_bytes (message, "application/json", request);
    body = cc_test_send (fixture->client, message, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (soup_message_get_status (message), ==, 200);
    /* The mock upstream's answer. */
    g_assert_cmpstr (g_bytes_get_data (body, NULL), ==, "{\"path\": \"/v1/messages/count_tokens\"}");
  }
  {
    g_autofree char *url = g_strconcat (fixture->daemon->url, "/v1/messages", NULL);
    g_autoptr(SoupMessage) message = soup_message_new ("GET", url);
    g_autoptr(GBytes) body = cc_test_send (fixture->client, message, NULL);

    g_assert_cmpuint (soup_message_get_status (message), ==, 405);
    g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (message), "Allow"), ==, "POST");
  }
  g_assert_cmpint (kill ((pid_t) pid, SIGCONT), ==, 0);
  /* The same host serves on. */
  assert_fragile_serves (fixture);
  g_assert_cmpuint (fragile_pid (fixture), ==, pid);
}

static void
test_serves (Fixture       *fixture,
             gconstpointer  user_data)
{
  g_autofree char *state = NULL;

  set_active_provider (fixture, "fragile");
  assert_fragile_serves (fixture);
  state = host_state (fixture, NULL);
  g_assert_cmpstr (state, ==, "running");
  /* The traffic line is the daemon's: it observed the host's answer. */
  wait_for_log (fixture->daemon, "POST /v1/messages 200 ");

  /* The host is the daemon's child, in a process group of its own,
   * and cannot gain privileges. */
  {
    guint32 pid = fragile_pid (fixture);
    g_autofree char *status_path = NULL;
    g_autofree char *status = NULL;
    char ppid_line[64];

    g_assert_cmpint (getpgid ((pid_t) pid), ==, (pid_t) pid);
    status_path = g_strdup_printf ("/proc/%u/status", pid);
    g_assert_true (g_file_get_contents (status_path, &status, NULL, NULL));
    g_assert_nonnull (strstr (status, "\nNoNewPrivs:\t1\n"));
    g_snprintf (ppid_line, sizeof ppid_line, "\nPPid:\t%s\n", fixture->pid);
    g_assert_nonnull (strstr (status, ppid_line));

    /* And cc-proxyctl says so. */
    {
      g_autofree char *out = ctl_status (fixture);
      g_autofree char *line = g_strdup_printf ("Provider hosts:\n  fragile: running (pid %u, restarted 0 times)\n", pid);

      g_assert_nonnull (strstr (out, line));
    }
  }
}

/* The abstract socket cc-proxyd made for a host: "@cc-proxy/PID/ID/…"
 * in /proc/net/unix, as anyone on the machine can read it. */
static char *
find_host_socket (Fixture    *fixture,
                  const char *provider_id)
{
  g_autofree char *table = NULL;
  g_autofree char *prefix = g_strdup_printf ("@cc-proxy/%s/%s/", fixture->pid, provider_id);
  const char *at;

  g_assert_true (g_file_get_contents ("/proc/net/unix", &table, NULL, NULL));
  at = strstr (table, prefix);
  g_assert_nonnull (at);
  return g_strndup (at + 1, strcspn (at + 1, " \n"));
}

/* Connects to the abstract socket @name, sends a request and reads what
 * comes back: -1 if it could not connect, 0 when nothing came. Plain system calls, so that a
 * forked child can use it. */
static gssize
try_host_socket (const char *name,
                 char       *answer,
                 gsize       size)
{
  static const char request[] = "GET /v1/models HTTP/1.1\r\nHost: localhost\r\n\r\n";
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  socklen_t len = offsetof (struct sockaddr_un, sun_path) + 1 + strlen (name);
  int fd = socket (AF_UNIX, SOCK_STREAM, 0);
  gssize n;

  memcpy (address.sun_path + 1, name, strlen (name));
  if (fd < 0 || connect (fd, (struct sockaddr *) &address, len) != 0)
    return -1;
  /* Closed before the request is all written counts as no answer. */
  if (send (fd, request, sizeof request - 1, MSG_NOSIGNAL) != (gssize) sizeof request - 1)
    n = 0;
  else
    n = MAX (read (fd, answer, size), 0);
  close (fd);
  return n;
}

/* Anyone can connect to an abstract socket, and the host would answer
 * with the user's login: it serves cc-proxyd alone, whoever asks. */
static void
test_socket_serves_only_daemon (Fixture       *fixture,
                                gconstpointer  user_data)
{
  g_autofree char *name = NULL;
  char answer[256];

  set_active_provider (fixture, "fragile");
  assert_fragile_serves (fixture);
  name = find_host_socket (fixture, "fragile");

  /* Another process of the same user: closed without a word. */
  g_assert_cmpint (try_host_socket (name, answer, sizeof answer), ==, 0);

  /* Another user, where the test may become one. */
  if (getuid () == 0)
    {
      pid_t child = fork ();
      int status = 0;

      g_assert_cmpint (child, >=, 0);
      if (child == 0)
        {
          if (setgid (65534) != 0 || setuid (65534) != 0)
            _exit (3);
          _exit (try_host_socket (name, answer, sizeof answer) > 0 ? 1 : 0);
        }
      g_assert_cmpint (waitpid (child, &status, 0), ==, child);
      g_assert_true (WIFEXITED (status));
      g_assert_cmpint (WEXITSTATUS (status), ==, 0);
    }
  else
    g_test_message ("not root: the other-user case was not tried");

  /* cc-proxyd itself is still served. */
  assert_fragile_serves (fixture);
  wait_for_log (fixture->daemon, "only process");
}

/* The heart of it: @model makes the host fail in the middle of a
 * request while a passthrough stream is held open. */
static void
test_failure (Fixture       *fixture,
              gconstpointer  user_data)
{
  const char *model = user_data;
  static const char *chunks[] = {
    "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-up\"}}\n\n",
    "event: ping\ndata: {\"type\":\"ping\"}\n\n",
    "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
    NULL
  };
  g_autoptr(SoupMessage) passthrough = NULL;
  g_autoptr(GInputStream) passthrough_stream = NULL;
  g_autoptr(GString) passthrough_body = g_string_new (NULL);
  g_autoptr(SoupMessage) failing = NULL;
  g_autoptr(GBytes) failing_body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = g_strjoinv ("", (char **) chunks);
  g_autofree char *state = NULL;
  g_autofree char *last_error = NULL;
  g_autofree char *error_type = NULL;
  guint32 restarts;

  /* A passthrough stream, started while anthropic is active, held
   * after its first event. */
  cc_test_upstream_stream (fixture->upstream, "/v1/messages", chunks, 1, FALSE);
  passthrough = messages_request (fixture, "claude-up");
  passthrough_stream = cc_test_send_stream (fixture->client, passthrough);
  g_assert_cmpuint (soup_message_get_status (passthrough), ==, 200);
  g_assert_cmpuint (cc_test_read_some (passthrough_stream, passthrough_body), >, 0);

  set_active_provider (fixture, "fragile");
  wait_for_host (fixture, "running");
  restarts = host_restarts (fixture);
  failing = messages_request (fixture, model);
  failing_body = cc_test_send (fixture->client, failing, &error);
  g_assert_no_error (error);

  if (g_str_equal (model, "exit-mid-stream"))
    {
      /* The stream had begun: it ends with an error event. */
      const char *text = g_bytes_get_data (failing_body, NULL);

      g_assert_cmpuint (soup_message_get_status (failing), ==, 200);
      g_assert_nonnull (g_strstr_len (text, g_bytes_get_size (failing_body), "event: message_start"));
      g_assert_nonnull (g_strstr_len (text, g_bytes_get_size (failing_body), "event: error\n"));
      g_assert_null (g_strstr_len (text, g_bytes_get_size (failing_body), "message_stop"));
    }
  else
    {
      g_assert_cmpuint (soup_message_get_status (failing), ==, 502);
      error_type = cc_test_error_type (failing_body, NULL);
      g_assert_cmpstr (error_type, ==, "api_error");
    }

  /* What happened is on the bus, and the host comes back. */
  wait_for_restart (fixture, restarts);
  state = host_state (fixture, &last_error);
  if (g_str_equal (model, "loop"))
    g_assert_nonnull (strstr (last_error, "did not answer within " HOST_TIMEOUT_MS " ms and was killed"));
  else if (g_str_equal (model, "exit-mid-stream"))
    g_assert_cmpstr (last_error, ==, "its host process exited with status 3");
  else
    g_assert_true (g_str_has_prefix (last_error, "its host process was killed by signal "));
  assert_fragile_serves (fixture);

  /* The passthrough never noticed. */
  cc_test_upstream_release (fixture->upstream);
  cc_test_read_to_end (passthrough_stream, passthrough_body);
  g_assert_cmpstr (passthrough_body->str, ==, expected);

  {
    g_autoptr(GVariant) errors = get_property (fixture, "PluginLoadErrors");

    g_assert_cmpuint (g_variant_n_children (errors), ==, 0);
  }
}

/* A module that crashes at every start is given up after a few tries,
 * without a crash loop; the daemon listens all along. */
/* A descriptor file that no longer matches its module (one route more
 * than the module serves, as after a rebuild without
 * cc-proxy-schema-gen): the module's host compares what the module says
 * with the file, and the provider is broken with the advice. */
static void
test_stale_descriptor (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autofree char *built = g_build_filename (g_getenv ("CC_PROXY_TEST_FRAGILE_DIR"), "fragile", NULL);
  g_autofree char *module = NULL;
  g_autofree char *descriptor = NULL;
  g_autofree char *copy = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *stale = NULL;
  g_autofree char *last_error = NULL;
  g_autofree char *state = NULL;
  gsize len;
  GError *error = NULL;

  fixture->module_dir = g_dir_make_tmp ("cc-proxy-stale-XXXXXX", &error);
  g_assert_no_error (error);
  module = g_strconcat (built, ".so", NULL);
  g_assert_true (g_file_get_contents (module, &contents, &len, NULL));
  copy = g_build_filename (fixture->module_dir, "fragile.so", NULL);
  g_file_set_contents (copy, contents, len, &error);
  g_assert_no_error (error);
  g_clear_pointer (&contents, g_free);
  descriptor = g_strconcat (built, ".descriptor", NULL);
  g_assert_true (g_file_get_contents (descriptor, &contents, NULL, NULL));
  stale = g_strconcat (contents, "\n[Route /v1/extra]\nMethods=POST\nJsonBody=true\n", NULL);
  g_clear_pointer (&copy, g_free);
  copy = g_build_filename (fixture->module_dir, "fragile.descriptor", NULL);
  g_file_set_contents (copy, stale, -1, &error);
  g_assert_no_error (error);

  fixture_start (fixture, NULL);
  wait_for_host (fixture, "broken");
  state = host_state (fixture, &last_error);
  g_assert_true (g_str_has_prefix (last_error, "the module does not match its descriptor file; "
                                               "write it again with cc-proxy-schema-gen --descriptor"));
}

static void
test_broken_at_load (Fixture       *fixture,
                     gconstpointer  user_data)
{
  const char *how = user_data;
  g_autofree char *last_error = NULL;
  g_autofree char *state = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  fixture_start (fixture, how);
  /* Listening already, whatever the module does. */
  g_assert_nonnull (fixture->daemon->url);
  wait_for_host (fixture, "broken");
  state = host_state (fixture, &last_error);
  g_assert_nonnull (strstr (last_error, "; it failed 5 times in a row and is not started again"));
  if (g_str_equal (how, "loop"))
    g_assert_true (g_str_has_prefix (last_error, "its module did not load within " HOST_TIMEOUT_MS " ms"));
  else
    g_assert_true (g_str_has_prefix (last_error, "its host process was killed by signal "));

  set_active_provider (fixture, "fragile");
  message = messages_request (fixture, "claude-fine");
  body = cc_test_send (fixture->client, message, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (message), ==, 502);
  text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  g_assert_nonnull (strstr (text, "The fragile provider is not available: "));

  {
    g_autoptr(GVariant) hosts = get_property (fixture, "ProviderHosts");
    g_autoptr(GVariant) fragile = g_variant_lookup_value (hosts, "fragile", G_VARIANT_TYPE_VARDICT);
    guint32 restarts = 0;

    g_assert_true (g_variant_lookup (fragile, "Restarts", "u", &restarts));
    g_assert_cmpuint (restarts, ==, 4);
  }
  {
    g_autofree char *out = ctl_status (fixture);
    g_autofree char *lines = g_strdup_printf ("  fragile: broken\n    last failure: %s\n", last_error);

    g_assert_nonnull (strstr (out, lines));
  }
}

/* A request to the fragile provider whose module crashes as it loads:
 * 502, saying why. */
static void
assert_fragile_crashed_at_load (Fixture *fixture)
{
  g_autoptr(SoupMessage) message = messages_request (fixture, "claude-fine");
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = cc_test_send (fixture->client, message, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (message), ==, 502);
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                  "The fragile provider is not available: its host process was killed by signal "));
}

/* A request that comes while the host is still failing to start waits
 * for it, and is answered as soon as the host is given up, not at the
 * deadline (300 s here, beyond the client's patience). */
static void
test_request_while_breaking (Fixture       *fixture,
                             gconstpointer  user_data)
{
  fixture_start (fixture, "segv");
  set_active_provider (fixture, "fragile");
  assert_fragile_crashed_at_load (fixture);
  wait_for_host (fixture, "broken");
}

/* What broke a module at every start is fixed (a file replaced, a
 * setting corrected): until Reload its requests fail at once, saying
 * why; Reload gives its host more tries, without restarting cc-proxyd. */
static void
test_broken_revived (Fixture       *fixture,
                     gconstpointer  user_data)
{
  g_autofree char *dir = g_dir_make_tmp ("cc-test-fragile-XXXXXX", NULL);
  g_autofree char *flag = g_build_filename (dir, "broken", NULL);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (flag, "", 0, NULL));
  fixture->while_path = flag;
  fixture_start (fixture, "segv");
  wait_for_host (fixture, "broken");
  set_active_provider (fixture, "fragile");
  assert_fragile_crashed_at_load (fixture);

  g_assert_cmpint (g_unlink (flag), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
  reply = g_dbus_connection_call_sync (fixture->connection, NAME, PATH, MAIN_IFACE, "Reload", NULL, NULL,
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  wait_for_host (fixture, "running");
  assert_fragile_serves (fixture);
  fixture->while_path = NULL;
}

/* Gone, or a zombie nobody reaps in this container: not running. */
static gboolean
process_gone (gpointer user_data)
{
  g_autofree char *path = g_strdup_printf ("/proc/%u/stat", GPOINTER_TO_UINT (user_data));
  g_autofree char *stat = NULL;
  const char *state;

  if (!g_file_get_contents (path, &stat, NULL, NULL))
    return TRUE;
  state = strrchr (stat, ')');
  return state != NULL && (state[2] == 'Z' || state[2] == 'X');
}

/* A daemon killed outright takes its hosts with it, even one stuck in
 * its module that would never see the control connection close: none
 * is left running, or holding its module's credentials. */
static void
test_dies_with_daemon (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autoptr(SoupMessage) stuck = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  guint32 pid;

  set_active_provider (fixture, "fragile");
  wait_for_host (fixture, "running");
  stuck = messages_request (fixture, "loop");
  soup_session_send_async (fixture->client, stuck, G_PRIORITY_DEFAULT, cancellable, NULL, NULL);
  /* Long enough to be in the loop, well short of the ping's timeout. */
  cc_test_drain (300);
  pid = fragile_pid (fixture);
  g_assert_false (process_gone (GUINT_TO_POINTER (pid)));

  g_subprocess_force_exit (fixture->daemon->process);
  fixture->killed = TRUE;
  cc_test_wait_for (process_gone, GUINT_TO_POINTER (pid));
  g_cancellable_cancel (cancellable);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/host/serves", Fixture, NULL, fixture_setup_started, test_serves, fixture_teardown);
  g_test_add ("/host/socket-serves-only-daemon", Fixture, NULL, fixture_setup_started, test_socket_serves_only_daemon,
              fixture_teardown);
  g_test_add ("/host/settings-scoped", Fixture, NULL, fixture_setup_with_openai, test_scoped_settings,
              fixture_teardown);
  g_test_add ("/host/undeclared-paths-skip-host", Fixture, NULL, fixture_setup_started, test_undeclared_paths_skip_host,
              fixture_teardown);
  g_test_add ("/host/confined", Fixture, NULL, fixture_setup_started, test_confined, fixture_teardown);
  g_test_add ("/host/dies-with-daemon", Fixture, NULL, fixture_setup_started, test_dies_with_daemon, fixture_teardown);
  g_test_add ("/host/crash/segv", Fixture, "segv", fixture_setup_started, test_failure, fixture_teardown);
  g_test_add ("/host/crash/abort", Fixture, "abort", fixture_setup_started, test_failure, fixture_teardown);
  g_test_add ("/host/crash/exit-mid-stream", Fixture, "exit-mid-stream", fixture_setup_started, test_failure, fixture_teardown);
  g_test_add ("/host/hang/request", Fixture, "loop", fixture_setup_started, test_failure, fixture_teardown);
  g_test_add ("/host/load/segv", Fixture, "segv", fixture_setup, test_broken_at_load, fixture_teardown);
  g_test_add ("/host/load/loop", Fixture, "loop", fixture_setup, test_broken_at_load, fixture_teardown);
  g_test_add ("/host/load/init-abort", Fixture, "init-abort", fixture_setup, test_broken_at_load, fixture_teardown);
  g_test_add ("/host/load/stale-descriptor", Fixture, NULL, fixture_setup, test_stale_descriptor, fixture_teardown);
  g_test_add ("/host/load/revived-by-reload", Fixture, NULL, fixture_setup, test_broken_revived, fixture_teardown);
  g_test_add ("/host/load/request-while-breaking", Fixture, NULL, fixture_setup, test_request_while_breaking,
              fixture_teardown);

  return g_test_run ();
}
