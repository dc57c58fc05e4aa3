/* test-daemon.c: the real cc-proxyd binary, started as a user would
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>
#include <gio/gunixsocketaddress.h>
#include <signal.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <unistd.h>

#include "cc-test-upstream.h"
#include "cc-test-daemon.h"
#include "cc-test-util.h"

static void
test_serves_with_broken_plugins (void)
{
  g_autoptr(CcTestUpstream) upstream = cc_test_upstream_new ();
  Daemon *daemon = daemon_start (NULL, cc_test_upstream_get_url (upstream));
  g_autoptr(SoupSession) client = soup_session_new ();
  g_autofree char *url = g_strconcat (daemon->url, "/v1/messages?beta=true", NULL);
  g_autoptr(SoupMessage) message = soup_message_new ("POST", url);
  g_autoptr(GBytes) request = cc_test_load_fixture ("anthropic-request-agent.json");
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_str_has_prefix (daemon->url, "http://127.0.0.1:"));
  g_assert_true (g_str_has_suffix (daemon->first_line, "(provider: anthropic)"));

  soup_message_set_request_body_from_bytes (message, "application/json", request);
  answer = cc_test_send (client, message, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (message), ==, 200);
  g_assert_true (g_bytes_equal (cc_test_upstream_get_request (upstream, 0)->body, request));

  /* One line per request on stderr, and each broken module said once. */
  wait_for_log (daemon, "POST /v1/messages?beta=true 200 ");
  /* Run in provider hosts, modules are known by their descriptor files;
   * the daemon never opens one. */
  g_assert_nonnull (strstr (daemon->err_text->str, "Provider module 50-emptyid.so was not loaded: no descriptor file "
                                                   "50-emptyid.descriptor beside it: write one with cc-proxy-schema-gen "
                                                   "--descriptor (see the plugin guide), or run with "
                                                   "CC_PROXY_PROVIDER_IN_PROCESS=1\n"));
  g_assert_nonnull (strstr (daemon->err_text->str, "Provider module 59-notelf.so was not loaded: no descriptor file "));
  {
    const char *line = strstr (daemon->err_text->str, "POST /v1/messages?beta=true 200 ");
    g_autofree char *first = g_strndup (line, strcspn (line, "\n"));

    g_assert_true (g_regex_match_simple ("^POST /v1/messages\\?beta=true 200 [0-9]+\\.[0-9]ms anthropic$", first, 0, 0));
  }

  daemon_stop (daemon);
}

/* CC_PROXY_PROVIDER_IN_PROCESS=1: modules load into the daemon (to debug
 * one with gdb), and each broken one says exactly why. */
static void
test_broken_plugins_in_process (void)
{
  g_autoptr(CcTestUpstream) upstream = cc_test_upstream_new ();
  static const char * const env[] = { "CC_PROXY_PROVIDER_IN_PROCESS", "1", NULL };
  Daemon *daemon = daemon_start (env, cc_test_upstream_get_url (upstream));

  wait_for_log (daemon, "Provider module 59-notelf.so was not loaded: could not be opened: ");
  g_assert_nonnull (strstr (daemon->err_text->str, "Provider module 50-emptyid.so was not loaded: the provider id is empty\n"));
  g_assert_null (strstr (daemon->err_text->str, "no descriptor file"));
  daemon_stop (daemon);
}

static void
test_unknown_provider_from_environment (void)
{
  g_autoptr(CcTestUpstream) upstream = cc_test_upstream_new ();
  static const char * const env[] = { "CC_PROXY_PROVIDER", "bogus", NULL };
  Daemon *daemon = daemon_start (env, cc_test_upstream_get_url (upstream));

  g_assert_true (g_str_has_suffix (daemon->first_line, "(provider: anthropic)"));
  wait_for_log (daemon, "CC_PROXY_PROVIDER=bogus names no known provider "
                        "(known: anthropic, healthy, nothandled, failing, hanging); using anthropic");
  daemon_stop (daemon);
}

static void
test_provider_from_environment (void)
{
  g_autoptr(CcTestUpstream) upstream = cc_test_upstream_new ();
  static const char * const env[] = { "CC_PROXY_PROVIDER", "healthy", NULL };
  Daemon *daemon = daemon_start (env, cc_test_upstream_get_url (upstream));
  g_autoptr(SoupSession) client = soup_session_new ();
  g_autofree char *url = g_strconcat (daemon->url, "/healthy/echo", NULL);
  g_autoptr(SoupMessage) message = soup_message_new ("POST", url);
  g_autoptr(GBytes) request = cc_test_load_fixture ("anthropic-request-minimal.json");
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;

  soup_message_set_request_body_from_bytes (message, "application/json", request);
  answer = cc_test_send (client, message, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (message), ==, 200);
  g_assert_nonnull (strstr (g_bytes_get_data (answer, NULL), "\"provider\":\"healthy\""));
  wait_for_log (daemon, "POST /healthy/echo 200 ");
  daemon_stop (daemon);
}

static void
run_expecting_failure (const char * const *argv,
                       int                 status,
                       const char         *out_part,
                       const char         *err_part)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_subprocess_launcher_setenv (launcher, "CC_PROXY_PROVIDER_DIR", "/nonexistent", TRUE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);

  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, status);
  if (out_part != NULL && strstr (out, out_part) == NULL)
    g_error ("stdout “%s” lacks “%s”", out, out_part);
  if (err_part != NULL && strstr (err, err_part) == NULL)
    g_error ("stderr “%s” lacks “%s”", err, err_part);
}

static void
test_command_line (void)
{
  const char *proxyd = g_getenv ("CC_PROXYD");
  const char *version[] = { proxyd, "--version", NULL };
  const char *help[] = { proxyd, "--help", NULL };
  const char *bad_option[] = { proxyd, "--frobnicate", NULL };
  const char *bad_listen[] = { proxyd, "--listen", "nonsense", NULL };
  const char *public_listen[] = { proxyd, "--listen", "0.0.0.0:0", NULL };
  const char *bad_deadline[] = { proxyd, "--request-deadline", "-5", NULL };

  run_expecting_failure (version, 0, "cc-proxyd " PACKAGE_VERSION "\n", NULL);
  run_expecting_failure (help, 0, "--listen=HOST:PORT", NULL);
  run_expecting_failure (help, 0, "--log-traffic", NULL);
  run_expecting_failure (bad_option, 2, NULL, "Unknown option --frobnicate");
  run_expecting_failure (bad_listen, 1, NULL,
                         "cannot listen: “nonsense” is not a listen address: use HOST:PORT, e.g. 127.0.0.1:3344");
  run_expecting_failure (public_listen, 1, NULL,
                         "cannot listen: Refusing to listen on 0.0.0.0: only loopback addresses");
  run_expecting_failure (bad_deadline, 2, NULL, "--request-deadline must be a positive number of seconds");
}

static void
test_port_in_use (void)
{
  g_autoptr(CcTestUpstream) upstream = cc_test_upstream_new ();
  Daemon *daemon = daemon_start (NULL, cc_test_upstream_get_url (upstream));
  const char *address = daemon->url + strlen ("http://");
  const char *argv[] = { g_getenv ("CC_PROXYD"), "--listen", address, NULL };

  run_expecting_failure (argv, 1, NULL, "cannot listen: ");
  daemon_stop (daemon);
}

typedef struct
{
  SoupSession *client;
  const char  *url;
  const char  *expected;
} Probe;

/* Sends a request; true once its answer holds @expected. */
static gboolean
answer_contains (gpointer user_data)
{
  Probe *probe = user_data;
  g_autoptr(SoupMessage) message = soup_message_new ("POST", probe->url);
  g_autoptr(GBytes) request = cc_test_load_fixture ("anthropic-request-minimal.json");
  g_autoptr(GBytes) answer = NULL;
  g_autofree char *text = NULL;

  soup_message_set_request_body_from_bytes (message, "application/json", request);
  answer = cc_test_send (probe->client, message, NULL);
  if (answer == NULL)
    return FALSE;
  text = g_strndup (g_bytes_get_data (answer, NULL), g_bytes_get_size (answer));
  return strstr (text, probe->expected) != NULL;
}

/* `gsettings set` takes effect on the next request, without a restart. */
static void
test_gsettings_set_takes_effect (void)
{
  g_autoptr(CcTestUpstream) upstream = cc_test_upstream_new ();
  g_autofree char *config = g_dir_make_tmp ("cc-proxy-test-XXXXXX", NULL);
  const char *env[] = { "GSETTINGS_BACKEND", "keyfile", "XDG_CONFIG_HOME", config, NULL };
  Daemon *daemon = daemon_start (env, cc_test_upstream_get_url (upstream));
  g_autoptr(SoupSession) client = soup_session_new ();
  g_autofree char *url = g_strconcat (daemon->url, "/healthy/echo", NULL);
  Probe probe = { client, url, NULL };
  g_autofree char *keyfile = g_build_filename (config, "glib-2.0", "settings", "keyfile", NULL);

  /* anthropic serves: /healthy/echo goes to the upstream mock. */
  probe.expected = "{\"path\": \"/healthy/echo\"}";
  g_assert_true (answer_contains (&probe));

  cc_test_run_gsettings (env, "set", "org.ccproxy.Proxy", "active-provider", "healthy", NULL);
  probe.expected = "\"provider\":\"healthy\",\"path\":\"/healthy/echo\",\"query\":null,\"mode\":\"alpha\"";
  cc_test_wait_for (answer_contains, &probe);

  cc_test_run_gsettings (env, "set", "org.ccproxy.Proxy.providers.healthy", "mode", "beta", NULL);
  probe.expected = "\"mode\":\"beta\"";
  cc_test_wait_for (answer_contains, &probe);

  /* An unknown provider is refused with a message (the same text is the
   * ActiveProviderNote that status shows); healthy keeps serving. */
  cc_test_run_gsettings (env, "set", "org.ccproxy.Proxy", "active-provider", "nosuch", NULL);
  wait_for_log (daemon, "active-provider is “nosuch” in GSettings, which names no known provider");
  g_assert_true (answer_contains (&probe));

  daemon_stop (daemon);
  /* keyfile, then settings/, glib-2.0/ and the directory itself */
  g_remove (keyfile);
  for (guint i = 0; i < 3; i++)
    {
      char *parent = g_path_get_dirname (keyfile);

      g_free (keyfile);
      keyfile = parent;
      g_rmdir (keyfile);
    }
}

/* A value stored behind the daemon's back that it refuses is not
 * replaced by the default: the provider serves nothing, and each of its
 * requests says which value and how to fix it (a URL's default is the
 * cloud, where the request and its key must not go unasked). */
static void
test_refused_stored_value (void)
{
  g_autoptr(CcTestUpstream) upstream = cc_test_upstream_new ();
  g_autofree char *config = g_dir_make_tmp ("cc-proxy-test-XXXXXX", NULL);
  const char *env[] = { "GSETTINGS_BACKEND", "keyfile", "XDG_CONFIG_HOME", config, NULL };
  Daemon *daemon = daemon_start (env, cc_test_upstream_get_url (upstream));
  g_autoptr(SoupSession) client = soup_session_new ();
  g_autofree char *url = g_strconcat (daemon->url, "/healthy/echo", NULL);

  cc_test_run_gsettings (env, "set", "org.ccproxy.Proxy", "active-provider", "healthy", NULL);
  cc_test_run_gsettings (env, "set", "org.ccproxy.Proxy.providers.healthy", "base-url", "not-a-url", NULL);
  wait_for_log (daemon, "Ignoring the stored value of base-url for healthy");
  for (guint i = 0; ; i++)
    {
      g_autoptr(SoupMessage) message = soup_message_new ("POST", url);
      g_autoptr(GBytes) body = g_bytes_new_static ("{}", 2);
      g_autoptr(GBytes) answer = NULL;
      g_autofree char *type = NULL;
      g_autofree char *why = NULL;

      soup_message_set_request_body_from_bytes (message, "application/json", body);
      answer = cc_test_send (client, message, NULL);
      /* Until the daemon has read both changes. */
      if (soup_message_get_status (message) != 502 && i < 500)
        {
          cc_test_drain (10);
          continue;
        }
      g_assert_cmpuint (soup_message_get_status (message), ==, 502);
      g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (message), "x-should-retry"), ==,
                       "false");
      type = cc_test_error_type (answer, &why);
      g_assert_true (g_str_has_prefix (why, "The healthy provider's stored base-url is refused ("));
      g_assert_nonnull (strstr (why, "fix it with “cc-proxyctl set healthy base-url VALUE” or "
                                     "“cc-proxyctl reset healthy base-url”"));
      break;
    }

  /* Reset: served again. */
  cc_test_run_gsettings (env, "reset", "org.ccproxy.Proxy.providers.healthy", "base-url", NULL);
  for (guint i = 0; i < 500; i++)
    {
      guint status;
      g_autofree char *answer = cc_test_post_json (client, url, "{}", &status);

      if (status == 200)
        break;
      cc_test_drain (10);
    }
  {
    guint status;
    g_autofree char *answer = cc_test_post_json (client, url, "{}", &status);

    g_assert_cmpuint (status, ==, 200);
  }
  daemon_stop (daemon);
  cc_test_remove_tree (config);
}

/* ----- capture log ----- */

static const char json_answer[] =
  "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-x\","
  "\"content\":[{\"type\":\"text\",\"text\":\"hi\"}],\"stop_reason\":\"end_turn\",\"stop_sequence\":null,"
  "\"usage\":{\"input_tokens\":11,\"output_tokens\":3,\"cache_read_input_tokens\":5}}";

/* What the client ends up with from anthropic-stream-text.sse. */
static const char assembled_answer[] =
  "{\"id\":\"msg_fx\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\","
  "\"content\":[{\"type\":\"text\",\"text\":\"Hello there.\"}],\"stop_reason\":\"end_turn\",\"stop_sequence\":null,"
  "\"usage\":{\"input_tokens\":25,\"output_tokens\":3}}";

static guint
post (SoupSession *client,
      const char  *url,
      GBytes      *body)
{
  g_autoptr(SoupMessage) message = soup_message_new ("POST", url);
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;

  soup_message_set_request_body_from_bytes (message, "application/json", body);
  answer = cc_test_send (client, message, &error);
  g_assert_no_error (error);
  return soup_message_get_status (message);
}

/* The capture lines of each request, parsed, in file order. */
static GPtrArray *
captured_requests (Daemon *daemon)
{
  g_autofree char *text = daemon_read_captures (daemon);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  g_autoptr(GHashTable) by_id = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *requests = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);

  for (guint i = 0; lines[i] != NULL && lines[i][0] != '\0'; i++)
    {
      g_autoptr(GError) error = NULL;
      JsonNode *line = json_from_string (lines[i], &error);
      const char *id;
      GPtrArray *events;

      g_assert_no_error (error);
      id = json_object_get_string_member (json_node_get_object (line), "request_id");
      events = g_hash_table_lookup (by_id, id);
      if (events == NULL)
        {
          events = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
          g_ptr_array_add (requests, events);
          g_hash_table_insert (by_id, (gpointer) id, events);
        }
      g_ptr_array_add (events, line);
    }
  return requests;
}

static char *
kinds_of (GPtrArray *events)
{
  g_autoptr(GString) kinds = g_string_new (NULL);
  gint64 last = -1;

  for (guint i = 0; i < events->len; i++)
    {
      JsonObject *line = json_node_get_object (g_ptr_array_index (events, i));

      /* In order; a stream's deltas leave gaps. */
      g_assert_cmpint (json_object_get_int_member (line, "seq"), >, last);
      last = json_object_get_int_member (line, "seq");
      g_string_append_printf (kinds, "%s%s", i ? " " : "", json_object_get_string_member (line, "kind"));
    }
  return g_strdup (kinds->str);
}

static void
assert_json_equal (JsonNode   *node,
                   const char *expected)
{
  g_autoptr(JsonNode) want = json_from_string (expected, NULL);
  g_autofree char *got = json_to_string (node, FALSE);

  if (!json_node_equal (node, want))
    g_error ("got %s\nexpected %s", got, expected);
}

static JsonObject *
event_of (GPtrArray  *events,
          const char *kind)
{
  for (guint i = 0; i < events->len; i++)
    {
      JsonObject *line = json_node_get_object (g_ptr_array_index (events, i));

      if (g_str_equal (json_object_get_string_member (line, "kind"), kind))
        return line;
    }
  g_error ("no %s event", kind);
  return NULL;
}

/* Each request's events, one line each, with both bodies; a stream's
 * message is assembled; files are private to the user. */
static void
test_capture_records_requests (void)
{
  g_autoptr(CcTestUpstream) upstream = cc_test_upstream_new ();
  Daemon *daemon = daemon_start (NULL, cc_test_upstream_get_url (upstream));
  g_autoptr(SoupSession) client = soup_session_new ();
  g_autofree char *json_url = g_strconcat (daemon->url, "/v1/messages?beta=true", NULL);
  g_autofree char *stream_url = g_strconcat (daemon->url, "/v1/stream", NULL);
  g_autoptr(GBytes) request = cc_test_load_fixture ("anthropic-request-agent.json");
  g_autofree char *sse_text = cc_test_load_fixture_text ("anthropic-stream-text.sse");
  const char *chunks[] = { sse_text, NULL };
  g_autofree char *dir = g_build_filename (daemon->state_dir, "cc-proxy", "captures", NULL);
  g_autoptr(GPtrArray) requests = NULL;
  g_autoptr(JsonNode) request_json = json_from_string (g_bytes_get_data (request, NULL), NULL);
  g_autofree char *request_text = json_to_string (request_json, FALSE);
  g_autofree char *json_kinds = NULL, *stream_kinds = NULL;
  JsonObject *done;
  GStatBuf st;

  cc_test_upstream_respond (upstream, "/v1/messages", 200, "application/json", json_answer, -1);
  cc_test_upstream_stream (upstream, "/v1/stream", chunks, G_MAXUINT, FALSE);
  g_assert_cmpuint (post (client, json_url, request), ==, 200);
  g_assert_cmpuint (post (client, stream_url, request), ==, 200);
  /* Stopping drains the writer: every line is on disk after it. */
  daemon_halt (daemon);
  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  {
    g_autoptr(GDateTime) now = g_date_time_new_now_local ();
    g_autofree char *day = g_date_time_format (now, "%Y-%m-%d.jsonl");
    g_autofree char *file = g_build_filename (dir, day, NULL);

    g_assert_cmpint (g_stat (file, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  }
  requests = captured_requests (daemon);
  g_assert_cmpuint (requests->len, ==, 2);

  json_kinds = kinds_of (g_ptr_array_index (requests, 0));
  g_assert_cmpstr (json_kinds, ==, "request-headers request-body response-headers response-complete response-done");
  {
    GPtrArray *events = g_ptr_array_index (requests, 0);
    JsonObject *headers = event_of (events, "request-headers");

    g_assert_cmpstr (json_object_get_string_member (headers, "path"), ==, "/v1/messages");
    g_assert_cmpstr (json_object_get_string_member (headers, "query"), ==, "beta=true");
    g_assert_cmpstr (json_object_get_string_member (headers, "model"), ==, "claude-sonnet-4-5-20250929");
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (headers, "headers"), "content-type"),
                     ==, "application/json");
    assert_json_equal (json_object_get_member (event_of (events, "request-body"), "body"), request_text);
    assert_json_equal (json_object_get_member (event_of (events, "response-complete"), "body"), json_answer);
    done = event_of (events, "response-done");
    g_assert_cmpint (json_object_get_int_member (done, "status"), ==, 200);
    g_assert_cmpint (json_object_get_int_member (done, "duration_us"), >, 0);
    g_assert_cmpstr (json_object_get_string_member (done, "stop_reason"), ==, "end_turn");
    assert_json_equal (json_object_get_member (done, "usage"),
                       "{\"input_tokens\":11,\"output_tokens\":3,\"cache_read_input_tokens\":5}");
  }

  stream_kinds = kinds_of (g_ptr_array_index (requests, 1));
  /* Deltas are not written one by one: the assembled message has them. */
  g_assert_cmpstr (stream_kinds, ==, "request-headers request-body response-headers response-complete response-done");
  {
    GPtrArray *events = g_ptr_array_index (requests, 1);

    assert_json_equal (json_object_get_member (event_of (events, "response-complete"), "body"), assembled_answer);
    done = event_of (events, "response-done");
    assert_json_equal (json_object_get_member (done, "usage"), "{\"input_tokens\":25,\"output_tokens\":3}");
  }

  daemon_free (daemon);
}

/* A directory that cannot be made: one warning, and traffic goes on. */
static void
test_capture_unwritable (void)
{
  g_autoptr(CcTestUpstream) upstream = cc_test_upstream_new ();
  g_autofree char *blocker = NULL;
  int fd = g_file_open_tmp ("cc-proxy-not-a-dir-XXXXXX", &blocker, NULL);
  /* The warning is the point here: it must not abort the daemon. */
  const char *env[] = { "XDG_STATE_HOME", blocker, "G_DEBUG", "", NULL };
  Daemon *daemon;
  g_autoptr(SoupSession) client = soup_session_new ();
  g_autoptr(GBytes) request = cc_test_load_fixture ("anthropic-request-minimal.json");
  g_autofree char *url = NULL;
  const char *first, *needle = "Capture log: cannot write ";

  g_assert_cmpint (fd, >=, 0);
  close (fd);
  daemon = daemon_start (env, cc_test_upstream_get_url (upstream));
  url = g_strconcat (daemon->url, "/v1/messages", NULL);
  cc_test_upstream_respond (upstream, "/v1/messages", 200, "application/json", json_answer, -1);

  for (guint i = 0; i < 3; i++)
    g_assert_cmpuint (post (client, url, request), ==, 200);
  wait_for_log (daemon, needle);
  daemon_halt (daemon);

  first = strstr (daemon->err_text->str, needle);
  g_assert_nonnull (strstr (first, "/cc-proxy/captures: Not a directory. Requests are still served;"));
  g_assert_null (strstr (first + 1, needle));
  daemon_free (daemon);
  g_remove (blocker);
}

/* ----- the copilot provider, end to end ----- */

/* What Claude Code sends, through cc-proxyd with copilot active and every
 * GitHub and Copilot URL on the mock: a non-streamed and a streamed turn
 * of the agent fixture come back as Anthropic answers. */
static void
test_copilot_end_to_end (void)
{
  g_autoptr(CcTestUpstream) upstream = cc_test_upstream_new ();
  const char *url = cc_test_upstream_get_url (upstream);
  const char *env[] = {
    "CC_PROXY_PROVIDER_DIR", g_getenv ("CC_PROXY_TEST_COPILOT_DIR"),
    "CC_PROXY_PROVIDER", "copilot",
    "CC_PROXY_COPILOT_BASE_URL", url,
    "CC_PROXY_GITHUB_API_URL", url,
    "CC_PROXY_GITHUB_URL", url,
    "CC_PROXY_COPILOT_GITHUB_TOKEN", "gh-end-to-end",
    NULL
  };
  Daemon *daemon = daemon_start (env, url);
  g_autoptr(SoupSession) client = soup_session_new ();
  g_autofree char *messages_url = g_strconcat (daemon->url, "/v1/messages", NULL);
  g_autofree char *agent_text = cc_test_load_fixture_text ("anthropic-request-agent.json");
  g_autoptr(JsonNode) request = json_from_string (agent_text, NULL);
  g_autofree char *tools_text = cc_test_load_fixture_text ("openai-response-tools.json");
  g_autofree char *sse_text = cc_test_load_fixture_text ("openai-stream-parallel-tools.sse");
  const char *chunks[] = { sse_text, NULL };
  g_autofree char *token = g_strdup_printf ("{\"token\":\"e2e-copilot\",\"expires_at\":%" G_GINT64_FORMAT ",\"refresh_in\":1500}",
                                            g_get_real_time () / G_USEC_PER_SEC + 3600);
  g_autofree char *expected_json = cc_test_load_expected_text ("anthropic-response-tools.json");
  g_autofree char *expected_stream = cc_test_load_expected_text ("anthropic-from-openai-stream-parallel-tools.sse");
  g_autofree char *plain_body = NULL, *plain = NULL, *streamed = NULL;
  g_autoptr(JsonNode) got = NULL, want = NULL;
  guint status;

  g_assert_true (g_str_has_suffix (daemon->first_line, "(provider: copilot)"));
  cc_test_upstream_respond (upstream, "/copilot_internal/v2/token", 200, "application/json", token, -1);
  cc_test_upstream_respond (upstream, "/models", 503, "application/json", "{}", -1);

  json_object_set_boolean_member (json_node_get_object (request), "stream", FALSE);
  plain_body = json_to_string (request, FALSE);
  cc_test_upstream_respond (upstream, "/chat/completions", 200, "application/json", tools_text, -1);
  plain = cc_test_post_json (client, messages_url, plain_body, &status);
  g_assert_cmpuint (status, ==, 200);
  got = json_from_string (plain, NULL);
  want = json_from_string (expected_json, NULL);
  g_assert_true (json_node_equal (got, want));

  cc_test_upstream_stream (upstream, "/chat/completions", chunks, G_MAXUINT, FALSE);
  streamed = cc_test_post_json (client, messages_url, agent_text, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (streamed, ==, expected_stream);

  /* One exchange served both. */
  g_assert_cmpuint (cc_test_upstream_count_requests (upstream, "/copilot_internal/v2/token"), ==, 1);
  g_assert_cmpstr (soup_message_headers_get_one (cc_test_upstream_find_request (upstream, "/chat/completions", 1)->headers,
                                                 "Authorization"), ==, "Bearer e2e-copilot");
  wait_for_log (daemon, "POST /v1/messages 200 ");
  /* The capture has the assembled message of the translated stream. */
  daemon_halt (daemon);
  {
    g_autofree char *captured = daemon_read_captures (daemon);

    g_assert_nonnull (strstr (captured, "\"kind\":\"response-complete\""));
    g_assert_nonnull (strstr (captured, "\"name\":\"Read\",\"input\":{\"file_path\":\"a.txt\"}"));
    g_assert_null (strstr (captured, "gh-end-to-end"));
    g_assert_null (strstr (captured, "e2e-copilot"));
  }
  daemon_free (daemon);
}

/* Under systemd with WatchdogSec=, the daemon pings $NOTIFY_SOCKET from
 * its main loop, again and again. */
static void
test_watchdog (void)
{
  g_autoptr(CcTestUpstream) upstream = cc_test_upstream_new ();
  g_autofree char *dir = g_dir_make_tmp ("cc-proxy-notify-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "notify", NULL);
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM, 0, NULL);
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new (path);
  g_autoptr(GError) error = NULL;
  const char *env[] = { "NOTIFY_SOCKET", path, "WATCHDOG_USEC", "100000", NULL };
  Daemon *daemon;
  guint pings = 0;

  g_socket_bind (socket, address, TRUE, &error);
  g_assert_no_error (error);
  g_socket_set_timeout (socket, 10);
  daemon = daemon_start (env, cc_test_upstream_get_url (upstream));
  while (pings < 3)
    {
      char buffer[64] = { 0 };
      gssize n = g_socket_receive (socket, buffer, sizeof buffer - 1, NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (buffer, ==, "WATCHDOG=1");
      g_assert_cmpint (n, ==, 10);
      pings++;
    }
  daemon_stop (daemon);
  g_unlink (path);
  g_rmdir (dir);
}

/* ----- client connections, as tools make them ----- */

static guint
count_fds (Daemon *daemon)
{
  return cc_test_process_count_fds (g_subprocess_get_identifier (daemon->process));
}

typedef struct
{
  Daemon *daemon;
  guint   fds;
} Idle;

static gboolean
back_to_idle (gpointer user_data)
{
  Idle *idle = user_data;

  return count_fds (idle->daemon) <= idle->fds &&
         cc_test_process_count_close_wait (g_subprocess_get_identifier (idle->daemon->process)) == 0;
}

/* A request the daemon answers itself, without the upstream. */
static const char refused_request[] = "GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://example.org\r\n\r\n";

static void
one_short_connection (Daemon *daemon)
{
  g_autoptr(GSocketConnection) connection = cc_test_connect (daemon->url);
  g_autofree char *answer = NULL;

  cc_test_send_raw (connection, refused_request);
  answer = cc_test_read_answer (connection);
  g_assert_true (g_str_has_prefix (answer, "HTTP/1.1 403 "));
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
}

/* curl, scripts and editors open a connection per request and close it
 * after the answer: the daemon must let every one go. libsoup 3.2 kept
 * each in CLOSE-WAIT, holding a descriptor, for ever. */
static void
test_short_connections_let_go (void)
{
  g_autoptr(CcTestUpstream) upstream = cc_test_upstream_new ();
  Daemon *daemon = daemon_start (NULL, cc_test_upstream_get_url (upstream));
  Idle idle = { daemon, 0 };

  one_short_connection (daemon);
  cc_test_drain (200);
  idle.fds = count_fds (daemon);
  for (guint i = 0; i < 1000; i++)
    one_short_connection (daemon);
  cc_test_wait_for (back_to_idle, &idle);
  daemon_stop (daemon);
}

typedef struct
{
  GSocketConnection *connection;
  GString           *answer;
} Waiting;

static gboolean
answered (gpointer user_data)
{
  Waiting *waiting = user_data;
  GPollableInputStream *in = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (G_IO_STREAM (waiting->connection)));
  char buffer[1024];
  gssize n = g_pollable_input_stream_read_nonblocking (in, buffer, sizeof buffer, NULL, NULL);

  if (n > 0)
    g_string_append_len (waiting->answer, buffer, n);
  return strstr (waiting->answer->str, "\r\n\r\n") != NULL;
}

/* Under a small descriptor limit (a unit's LimitNOFILE): a thousand
 * connections one after another are nothing; three hundred held open
 * make the next one wait, not fail, and once they close it is
 * answered and so are others. */
static void
test_descriptor_limit (void)
{
  g_autoptr(CcTestUpstream) upstream = cc_test_upstream_new ();
  Daemon *daemon = daemon_start_with_fd_limit (NULL, cc_test_upstream_get_url (upstream), 256);
  g_autoptr(GPtrArray) held = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GString) text = g_string_new (NULL);
  Waiting waiting = { NULL, text };

  for (guint i = 0; i < 1000; i++)
    one_short_connection (daemon);

  for (guint i = 0; i < 300; i++)
    g_ptr_array_add (held, cc_test_connect (daemon->url));
  waiting.connection = cc_test_connect (daemon->url);
  cc_test_send_raw (waiting.connection, refused_request);
  /* It waits in the kernel's queue. */
  cc_test_drain (300);
  g_assert_false (answered (&waiting));

  g_ptr_array_set_size (held, 0);
  cc_test_wait_for (answered, &waiting);
  g_assert_true (g_str_has_prefix (text->str, "HTTP/1.1 403 "));
  g_object_unref (waiting.connection);
  for (guint i = 0; i < 10; i++)
    one_short_connection (daemon);
  daemon_stop (daemon);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_summary ("cc-proxyd as a process: start-up, logging, command line, clean exit");

  g_test_add_func ("/daemon/serves-with-broken-plugins", test_serves_with_broken_plugins);
  g_test_add_func ("/daemon/broken-plugins-in-process", test_broken_plugins_in_process);
  g_test_add_func ("/daemon/unknown-provider-from-environment", test_unknown_provider_from_environment);
  g_test_add_func ("/daemon/provider-from-environment", test_provider_from_environment);
  g_test_add_func ("/daemon/command-line", test_command_line);
  g_test_add_func ("/daemon/port-in-use", test_port_in_use);
  g_test_add_func ("/daemon/gsettings-set-takes-effect", test_gsettings_set_takes_effect);
  g_test_add_func ("/daemon/refused-stored-value", test_refused_stored_value);
  g_test_add_func ("/daemon/capture/records-requests", test_capture_records_requests);
  g_test_add_func ("/daemon/capture/unwritable-directory", test_capture_unwritable);
  g_test_add_func ("/daemon/copilot-end-to-end", test_copilot_end_to_end);
  g_test_add_func ("/daemon/watchdog", test_watchdog);
  g_test_add_func ("/daemon/connections/short-connections-let-go", test_short_connections_let_go);
  g_test_add_func ("/daemon/connections/descriptor-limit", test_descriptor_limit);

  return g_test_run ();
}
