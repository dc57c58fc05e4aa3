/* test-budget.c: the premium request budget, end to end
 *
 * The real daemon on a private bus, its settings in a GSettings keyfile,
 * the built-in passthrough on a test upstream whose answers say what they
 * cost (x-cc-proxy-premium-requests, as the copilot provider says it),
 * and a stand-in notification server that can press a notification's
 * buttons. Each test checks what the upstream received: a request of the
 * user's own over the budget waits for an answer, and goes, goes to the
 * small model, or is refused, as answered (or by default).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "cc-proxy.h"
#include "cc-test-daemon.h"
#include "cc-test-desktop.h"
#include "cc-test-upstream.h"
#include "cc-test-util.h"

#define NAME "org.ccproxy.Proxy1"
#define PATH "/org/ccproxy/Proxy1"

static const char answer[] =
  "{\"id\":\"msg_b\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\","
  "\"content\":[{\"type\":\"text\",\"text\":\"ok\"}],\"stop_reason\":\"end_turn\","
  "\"usage\":{\"input_tokens\":5,\"output_tokens\":2}}";

typedef struct
{
  const char *settings;   /* keyfile lines for org/ccproxy/Proxy */
  gboolean    desktop;    /* a notification server on the bus */
} Variant;

typedef struct
{
  GTestDBus       *bus;
  GDBusConnection *connection;
  CcTestDesktop   *desktop;
  CcTestUpstream  *upstream;
  char            *config;
  Daemon          *daemon;
  SoupSession     *client;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  user_data)
{
  const Variant *variant = user_data;
  g_autofree char *contents = g_strdup_printf ("[org/ccproxy/Proxy]\n%s", variant->settings);
  const char *env[] = { "GSETTINGS_BACKEND", "keyfile", "XDG_CONFIG_HOME", NULL, NULL };

  fixture->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (fixture->bus);
  fixture->connection = cc_test_bus_connection (fixture->bus);
  if (variant->desktop)
    fixture->desktop = cc_test_desktop_start (fixture->connection);
  fixture->upstream = cc_test_upstream_new ();
  cc_test_upstream_respond (fixture->upstream, "/v1/messages", 200, "application/json", answer, -1);
  cc_test_upstream_set_header (fixture->upstream, "/v1/messages", CC_PROXY_PREMIUM_REQUESTS_HEADER, "1");
  fixture->config = cc_test_keyfile_config (contents, NULL);
  env[3] = fixture->config;
  fixture->daemon = daemon_start (env, cc_test_upstream_get_url (fixture->upstream));
  cc_test_wait_for_name (fixture->connection, NAME);
  fixture->client = soup_session_new ();
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  user_data)
{
  soup_session_abort (fixture->client);
  g_clear_object (&fixture->client);
  daemon_stop (fixture->daemon);
  g_clear_object (&fixture->upstream);
  g_clear_pointer (&fixture->desktop, cc_test_desktop_stop);
  g_clear_object (&fixture->connection);
  g_test_dbus_down (fixture->bus);
  g_clear_object (&fixture->bus);
  cc_test_remove_tree (fixture->config);
  g_free (fixture->config);
}

typedef struct
{
  SoupMessage *message;
  GBytes      *answer;
  gboolean     done;
} Sent;

static void
sent_clear (Sent *sent)
{
  g_clear_object (&sent->message);
  g_clear_pointer (&sent->answer, g_bytes_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Sent, sent_clear)

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Sent *sent = user_data;

  sent->answer = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);
  sent->done = TRUE;
}

static gboolean
is_done (gpointer user_data)
{
  return ((Sent *) user_data)->done;
}

/* Sends a Messages request of @session: the user's own text (a premium
 * request), or with @agent a tool result (not one). It may wait. */
static void
send_request (Fixture    *fixture,
              const char *session,
              gboolean    agent,
              Sent       *sent)
{
  g_autofree char *url = g_strconcat (fixture->daemon->url, "/v1/messages", NULL);
  g_autofree char *body = agent ? cc_test_agent_body ("claude-sonnet-4-5", FALSE)
                                : cc_test_load_fixture_text ("anthropic-request-minimal.json");
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

  memset (sent, 0, sizeof *sent);
  sent->message = soup_message_new ("POST", url);
  soup_message_set_request_body_from_bytes (sent->message, "application/json", bytes);
  soup_message_headers_replace (soup_message_get_request_headers (sent->message), "X-Claude-Code-Session-Id", session);
  soup_session_send_and_read_async (fixture->client, sent->message, G_PRIORITY_DEFAULT, NULL, on_sent, sent);
}

/* Sends and waits for the answer; returns its status. */
static guint
post (Fixture    *fixture,
      const char *session,
      gboolean    agent)
{
  g_auto(Sent) sent;

  send_request (fixture, session, agent, &sent);
  cc_test_wait_for (is_done, &sent);
  return soup_message_get_status (sent.message);
}

static guint
n_questions (Fixture *fixture)
{
  g_autoptr(GVariant) questions = cc_test_get_property (fixture->connection, PATH, NAME, "BudgetQuestions");

  return g_variant_n_children (questions);
}

static gboolean
one_question (gpointer user_data)
{
  return n_questions (user_data) == 1;
}

static const char *
upstream_model (Fixture *fixture,
                guint    nth)
{
  CcTestRecordedRequest *seen = cc_test_upstream_find_request (fixture->upstream, "/v1/messages", nth);
  static char model[64];
  const char *start;

  g_assert_nonnull (seen);
  start = g_strstr_len (g_bytes_get_data (seen->body, NULL), g_bytes_get_size (seen->body), "\"model\"");
  g_assert_nonnull (start);
  start = strchr (start + 7, '"') + 1;
  g_strlcpy (model, start, MIN (sizeof model, (gsize) (strchr (start, '"') - start + 1)));
  return model;
}

static const Variant session_budget = {
  "premium-budget-session=uint32 1\nbudget-ask-seconds=uint32 60\nbudget-small-model='claude-haiku-4-5'\n", TRUE
};

/* A session that used its budget: its next request of its own waits
 * until the notification is answered, each way it can be; its tool
 * results never wait; another session is not held. */
static void
test_asks (Fixture       *fixture,
           gconstpointer  user_data)
{
  const char *shown;

  g_assert_cmpuint (post (fixture, "s1", FALSE), ==, 200);

  /* Over: it waits, and the desktop asks. */
  {
    g_auto(Sent) sent;

    send_request (fixture, "s1", FALSE, &sent);
    cc_test_desktop_wait_shown (fixture->desktop, 1);
    shown = g_ptr_array_index (fixture->desktop->shown, 0);
    g_assert_cmpstr (shown, ==, "Over the premium request budget|"
                                "1 of 1 premium requests used in this Claude Code session. "
                                "The request waits for your answer.|"
                                "allow,Allow once,allow-session,Allow this session,"
                                "small-model,Use the small model,deny,Deny");
    cc_test_wait_for (one_question, fixture);
    g_assert_false (sent.done);
    g_assert_cmpuint (cc_test_upstream_count_requests (fixture->upstream, "/v1/messages"), ==, 1);
    cc_test_desktop_press (fixture->desktop, "allow");
    cc_test_wait_for (is_done, &sent);
    g_assert_cmpuint (soup_message_get_status (sent.message), ==, 200);
  }
  /* A tool result is no premium request: never held. */
  g_assert_cmpuint (post (fixture, "s1", TRUE), ==, 200);

  /* From the terminal this time, for the rest of the session. */
  {
    g_auto(Sent) sent;
    g_auto(CcTestRan) list = { 0 };
    g_auto(CcTestRan) allow = { 0 };

    send_request (fixture, "s1", FALSE, &sent);
    cc_test_wait_for (one_question, fixture);
    list = cc_test_ctl (NULL, "budget", NULL);
    g_assert_cmpint (list.status, ==, 0);
    /* The test upstream bills every answer, the tool result's too. */
    g_assert_nonnull (strstr (list.out, "  s1  3 of 1 premium requests used in this Claude Code session\n"));
    allow = cc_test_ctl (NULL, "budget", "allow-session", NULL);
    g_assert_cmpint (allow.status, ==, 0);
    cc_test_wait_for (is_done, &sent);
    g_assert_cmpuint (soup_message_get_status (sent.message), ==, 200);
  }
  g_assert_cmpuint (post (fixture, "s1", FALSE), ==, 200);
  g_assert_cmpuint (fixture->desktop->shown->len, ==, 2);

  /* Another session has its own budget. */
  g_assert_cmpuint (post (fixture, "s2", FALSE), ==, 200);
  {
    g_auto(Sent) sent;

    send_request (fixture, "s2", FALSE, &sent);
    cc_test_desktop_wait_shown (fixture->desktop, 3);
    cc_test_desktop_press (fixture->desktop, "small-model");
    cc_test_wait_for (is_done, &sent);
    g_assert_cmpuint (soup_message_get_status (sent.message), ==, 200);
    g_assert_cmpstr (upstream_model (fixture, cc_test_upstream_count_requests (fixture->upstream, "/v1/messages") - 1),
                     ==, "claude-haiku-4-5");
  }
  {
    g_auto(Sent) sent;
    guint before = cc_test_upstream_count_requests (fixture->upstream, "/v1/messages");

    send_request (fixture, "s2", FALSE, &sent);
    cc_test_desktop_wait_shown (fixture->desktop, 4);
    cc_test_desktop_press (fixture->desktop, "deny");
    cc_test_wait_for (is_done, &sent);
    g_assert_cmpuint (soup_message_get_status (sent.message), ==, 429);
    g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (sent.message), "x-should-retry"),
                     ==, "false");
    g_assert_nonnull (g_strstr_len (g_bytes_get_data (sent.answer, NULL), g_bytes_get_size (sent.answer),
                                    "would go over your premium request budget (2 of 1 premium requests used in "
                                    "this Claude Code session). Raise it with"));
    g_assert_cmpuint (cc_test_upstream_count_requests (fixture->upstream, "/v1/messages"), ==, before);
  }
  g_assert_cmpuint (n_questions (fixture), ==, 0);
  {
    g_auto(CcTestRan) none = cc_test_ctl (NULL, "budget", "allow", NULL);
    g_auto(CcTestRan) wrong = cc_test_ctl (NULL, "budget", "perhaps", "7", NULL);

    g_assert_cmpint (none.status, ==, 1);
    g_assert_cmpstr (none.err, ==, "cc-proxyctl: no request waits for an answer\n");
    g_assert_cmpint (wrong.status, ==, 1);
    g_assert_nonnull (strstr (wrong.err, "“perhaps” is no answer: allow, allow-session, small-model or deny"));
  }
}

static const Variant day_no_desktop = { "premium-budget-day=uint32 1\n", FALSE };

/* Nobody to ask (no notification server): the default, deny, at once. */
static void
test_nobody_to_ask (Fixture       *fixture,
                    gconstpointer  user_data)
{
  gint64 started;

  g_assert_cmpuint (post (fixture, "s1", FALSE), ==, 200);
  started = g_get_monotonic_time ();
  g_assert_cmpuint (post (fixture, "s2", FALSE), ==, 429);
  /* Not after budget-ask-seconds (60): at once. */
  g_assert_cmpint (g_get_monotonic_time () - started, <, 30 * G_USEC_PER_SEC);
  g_assert_cmpuint (cc_test_upstream_count_requests (fixture->upstream, "/v1/messages"), ==, 1);
}

static gboolean
no_question (gpointer user_data)
{
  return n_questions (user_data) == 0;
}

/* A client that leaves while its request waits takes the question with
 * it: nothing goes upstream, and the daemon serves on. */
static void
test_client_leaves (Fixture       *fixture,
                    gconstpointer  user_data)
{
  g_auto(Sent) sent;
  SoupSession *client = fixture->client;

  g_assert_cmpuint (post (fixture, "s1", FALSE), ==, 200);
  send_request (fixture, "s1", FALSE, &sent);
  cc_test_desktop_wait_shown (fixture->desktop, 1);
  cc_test_wait_for (one_question, fixture);
  soup_session_abort (client);
  cc_test_wait_for (no_question, fixture);
  cc_test_wait_for (is_done, &sent);
  g_assert_cmpuint (cc_test_upstream_count_requests (fixture->upstream, "/v1/messages"), ==, 1);
  g_assert_cmpuint (post (fixture, "s1", TRUE), ==, 200);
}

static const Variant unanswered = {
  "premium-budget-day=uint32 1\nbudget-ask-seconds=uint32 1\nbudget-default='allow'\n", TRUE
};

/* Asked, and nobody answers: after budget-ask-seconds, the default
 * (allow here) sends it. */
static void
test_unanswered (Fixture       *fixture,
                 gconstpointer  user_data)
{
  g_auto(Sent) sent;

  g_assert_cmpuint (post (fixture, "s1", FALSE), ==, 200);
  send_request (fixture, "s1", FALSE, &sent);
  cc_test_desktop_wait_shown (fixture->desktop, 1);
  cc_test_wait_for (is_done, &sent);
  g_assert_cmpuint (soup_message_get_status (sent.message), ==, 200);
  g_assert_cmpuint (cc_test_upstream_count_requests (fixture->upstream, "/v1/messages"), ==, 2);
  g_assert_cmpuint (n_questions (fixture), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/budget/asks", Fixture, &session_budget, fixture_setup, test_asks, fixture_teardown);
  g_test_add ("/budget/nobody-to-ask", Fixture, &day_no_desktop, fixture_setup, test_nobody_to_ask, fixture_teardown);
  g_test_add ("/budget/client-leaves", Fixture, &session_budget, fixture_setup, test_client_leaves, fixture_teardown);
  g_test_add ("/budget/unanswered", Fixture, &unanswered, fixture_setup, test_unanswered, fixture_teardown);

  return g_test_run ();
}
