/* test-instances.c: several providers of one kind, end to end
 *
 * The real daemon on a private bus with a real keyring, its settings in
 * a GSettings keyfile as a user's are: two OpenAI-compatible servers
 * (the built-in `openai` and an added instance) and two Copilot
 * accounts, each on a test upstream of its own. Each test checks at the
 * upstreams whose key, whose login reached which server, and that
 * adding, restarting and removing loses nothing that should stay.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "cc-test-daemon.h"
#include "cc-test-upstream.h"
#include "cc-test-util.h"

#define NAME "org.ccproxy.Proxy1"

typedef struct
{
  GTestDBus       *bus;
  GDBusConnection *connection;
  GSubprocess     *keyring;
  char            *keyring_home;
  CcTestUpstream  *first;    /* the built-in provider's server */
  CcTestUpstream  *second;   /* the instance's */
  char            *config;   /* XDG_CONFIG_HOME: the keyfile */
  char            *keyfile;
  GPtrArray       *env;
  Daemon          *daemon;
  SoupSession     *client;
} Fixture;

static void
start_daemon (Fixture *fixture)
{
  fixture->daemon = daemon_start ((const char * const *) fixture->env->pdata, cc_test_upstream_get_url (fixture->first));
  cc_test_wait_for_name (fixture->connection, NAME);
}

static void
restart_daemon (Fixture *fixture)
{
  daemon_stop (fixture->daemon);
  start_daemon (fixture);
}

/* @stored: the keyfile as a user of one provider per kind left it,
 * with @URL@ for the first upstream's URL */
static void
fixture_setup (Fixture            *fixture,
               const char         *stored,
               const char * const *more_env)
{
  g_autofree char *modules = g_strjoin (G_SEARCHPATH_SEPARATOR_S, g_getenv ("CC_PROXY_TEST_OPENAI_DIR"),
                                        g_getenv ("CC_PROXY_TEST_COPILOT_DIR"), NULL);
  const char *env[] = { "GSETTINGS_BACKEND", "keyfile", "CC_PROXY_PROVIDER_DIR", modules, NULL };

  fixture->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (fixture->bus);
  fixture->connection = cc_test_bus_connection (fixture->bus);
  fixture->keyring = cc_test_keyring_start (fixture->connection, TRUE, &fixture->keyring_home);
  fixture->first = cc_test_upstream_new ();
  fixture->second = cc_test_upstream_new ();

  {
    g_autoptr(GString) contents = g_string_new (stored);

    g_string_replace (contents, "@URL@", cc_test_upstream_get_url (fixture->first), 0);
    fixture->config = cc_test_keyfile_config (contents->str, &fixture->keyfile);
  }

  fixture->env = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; env[i] != NULL; i++)
    g_ptr_array_add (fixture->env, g_strdup (env[i]));
  g_ptr_array_add (fixture->env, g_strdup ("XDG_CONFIG_HOME"));
  g_ptr_array_add (fixture->env, g_strdup (fixture->config));
  for (guint i = 0; more_env != NULL && more_env[i] != NULL; i++)
    g_ptr_array_add (fixture->env, g_strdup (more_env[i]));
  g_ptr_array_add (fixture->env, NULL);
  start_daemon (fixture);
  fixture->client = soup_session_new ();
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  user_data)
{
  soup_session_abort (fixture->client);
  g_clear_object (&fixture->client);
  daemon_stop (fixture->daemon);
  g_clear_object (&fixture->first);
  g_clear_object (&fixture->second);
  cc_test_keyring_stop (g_steal_pointer (&fixture->keyring), fixture->keyring_home);
  g_free (fixture->keyring_home);
  g_clear_object (&fixture->connection);
  g_test_dbus_down (fixture->bus);
  g_clear_object (&fixture->bus);
  g_ptr_array_unref (fixture->env);
  cc_test_remove_tree (fixture->config);
  g_free (fixture->config);
  g_free (fixture->keyfile);
}

/* Today's storage, before instances: the openai provider's server and
 * the active provider in the keyfile, its key in the keyring. */
static const char openai_stored[] =
  "[org/ccproxy/Proxy]\n"
  "active-provider='openai'\n"
  "[org/ccproxy/Proxy/providers/openai]\n"
  "base-url='@URL@/v1'\n";

static void
openai_setup (Fixture       *fixture,
              gconstpointer  user_data)
{
  g_autofree char *answer = cc_test_load_fixture_text ("openai-response-tools.json");

  fixture_setup (fixture, openai_stored, user_data);
  cc_test_upstream_respond (fixture->first, "/v1/chat/completions", 200, "application/json", answer, -1);
  cc_test_upstream_respond (fixture->second, "/v1/chat/completions", 200, "application/json", answer, -1);
}

/* POSTs a Claude Code request for @model, of Claude Code session
 * @session (or none); returns the status. */
static guint
post_in_session (Fixture    *fixture,
                 const char *model,
                 const char *session)
{
  g_autofree char *url = g_strconcat (fixture->daemon->url, "/v1/messages", NULL);
  g_autofree char *body = cc_test_agent_body (model, FALSE);
  g_autoptr(SoupMessage) message = soup_message_new ("POST", url);
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;

  soup_message_set_request_body_from_bytes (message, "application/json", bytes);
  soup_message_headers_replace (soup_message_get_request_headers (message), "anthropic-version", "2023-06-01");
  if (session != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (message), "X-Claude-Code-Session-Id", session);
  answer = cc_test_send (fixture->client, message, &error);
  g_assert_no_error (error);
  return soup_message_get_status (message);
}

static guint
post (Fixture    *fixture,
      const char *model)
{
  return post_in_session (fixture, model, NULL);
}

static const char *
authorization (CcTestUpstream *upstream,
               const char     *path,
               guint           nth)
{
  CcTestRecordedRequest *seen = cc_test_upstream_find_request (upstream, path, nth);

  g_assert_nonnull (seen);
  return soup_message_headers_get_one (seen->headers, "Authorization");
}

static char *
read_keyfile (Fixture *fixture)
{
  char *contents = NULL;

  g_assert_true (g_file_get_contents (fixture->keyfile, &contents, NULL, NULL));
  return contents;
}

static gboolean
keys_loaded (gpointer user_data)
{
  const char * const *providers = user_data;

  for (guint i = 0; providers[i] != NULL; i++)
    {
      g_auto(CcTestRan) key = cc_test_ctl (NULL, "get", providers[i], "api-key", NULL);

      if (g_strcmp0 (key.out, "(secret, set)\n") != 0)
        return FALSE;
    }
  return TRUE;
}

#define assert_ran(ran, expected_status) \
  G_STMT_START { \
    if ((ran).status != (expected_status)) \
      g_error ("cc-proxyctl exited %d, not %d:\n%s%s", (ran).status, (expected_status), (ran).out, (ran).err); \
  } G_STMT_END

/* Two OpenAI-compatible servers in one daemon: each gets its own key
 * and nothing of the other's; the instance and the built-in provider's
 * stored values and keyring items outlive a restart; removing the
 * instance is refused while a route names it, then forgets its values
 * and its key, and nothing of the built-in provider's. */
static void
test_two_servers (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_autofree char *second_url = g_strconcat (cc_test_upstream_get_url (fixture->second), "/v1", NULL);
  g_autofree char *stored = NULL;

  {
    g_auto(CcTestRan) key = cc_test_ctl ("sk-first-1111\n", "set", "openai", "api-key", NULL);
    g_auto(CcTestRan) add = cc_test_ctl (NULL, "add", "openai", "ollama", NULL);

    assert_ran (key, 0);
    assert_ran (add, 0);
    g_assert_cmpstr (add.out, ==, "Added ollama, a provider of kind openai. Its settings: cc-proxyctl get -v ollama\n");
  }
  {
    g_auto(CcTestRan) url = cc_test_ctl (NULL, "set", "ollama", "base-url", second_url, NULL);
    g_auto(CcTestRan) key = cc_test_ctl ("sk-second-2222\n", "set", "ollama", "api-key", NULL);
    g_auto(CcTestRan) route = cc_test_ctl (NULL, "route", "add", "second", "--model", "*-second", "--to", "ollama", NULL);
    g_auto(CcTestRan) providers = cc_test_ctl (NULL, "providers", NULL);

    assert_ran (url, 0);
    assert_ran (key, 0);
    assert_ran (route, 0);
    g_assert_nonnull (strstr (providers.out, "* openai           OpenAI-compatible server\n"));
    g_assert_nonnull (strstr (providers.out, "  ollama           ollama (OpenAI-compatible server)\n"));
  }

  for (guint round = 0; round < 2; round++)
    {
      static const char * const both[] = { "openai", "ollama", NULL };

      /* Requests before the keyring answered would go without keys. */
      cc_test_wait_for (keys_loaded, (gpointer) both);
      g_assert_cmpuint (post (fixture, "gpt-first"), ==, 200);
      g_assert_cmpuint (post (fixture, "gpt-second"), ==, 200);
      g_assert_cmpuint (cc_test_upstream_count_requests (fixture->first, "/v1/chat/completions"), ==, 1);
      g_assert_cmpuint (cc_test_upstream_count_requests (fixture->second, "/v1/chat/completions"), ==, 1);
      g_assert_cmpstr (authorization (fixture->first, "/v1/chat/completions", 0), ==, "Bearer sk-first-1111");
      g_assert_cmpstr (authorization (fixture->second, "/v1/chat/completions", 0), ==, "Bearer sk-second-2222");
      /* The second time, everything came from the keyfile and the keyring. */
      restart_daemon (fixture);
      cc_test_upstream_clear_requests (fixture->first);
      cc_test_upstream_clear_requests (fixture->second);
    }

  stored = read_keyfile (fixture);
  g_assert_nonnull (strstr (stored, "instances={'ollama': 'openai'}"));
  g_assert_nonnull (strstr (stored, "[org/ccproxy/Proxy/providers/ollama]"));
  g_assert_nonnull (strstr (stored, second_url));
  g_clear_pointer (&stored, g_free);

  {
    g_auto(CcTestRan) refused = cc_test_ctl (NULL, "remove", "ollama", "--yes", NULL);

    assert_ran (refused, 1);
    g_assert_cmpstr (refused.err, ==, "cc-proxyctl: ollama is not removed: route “second” sends requests to it "
                                      "(change or remove the route first: cc-proxyctl route)\n");
  }
  {
    g_auto(CcTestRan) unroute = cc_test_ctl (NULL, "route", "remove", "second", NULL);
    g_auto(CcTestRan) removed = cc_test_ctl (NULL, "remove", "--yes", "ollama", NULL);
    g_auto(CcTestRan) providers = cc_test_ctl (NULL, "providers", NULL);

    assert_ran (unroute, 0);
    assert_ran (removed, 0);
    g_assert_null (strstr (providers.out, "ollama"));
  }
  stored = read_keyfile (fixture);
  g_assert_null (strstr (stored, second_url));
  g_assert_null (strstr (stored, "'ollama'"));
  g_clear_pointer (&stored, g_free);

  /* An instance of the same name starts afresh: no key, no server. */
  {
    g_auto(CcTestRan) add = cc_test_ctl (NULL, "add", "openai", "ollama", NULL);
    g_auto(CcTestRan) key = cc_test_ctl (NULL, "get", "ollama", "api-key", NULL);
    g_auto(CcTestRan) url = cc_test_ctl (NULL, "get", "ollama", "base-url", NULL);
    g_auto(CcTestRan) first_key = cc_test_ctl (NULL, "get", "openai", "api-key", NULL);

    assert_ran (add, 0);
    g_assert_cmpstr (key.out, ==, "(secret, not set)\n");
    g_assert_cmpstr (url.out, ==, "https://api.openai.com/v1\n");
    g_assert_cmpstr (first_key.out, ==, "(secret, set)\n");
  }
  g_assert_cmpuint (post (fixture, "gpt-first"), ==, 200);
  g_assert_cmpstr (authorization (fixture->first, "/v1/chat/completions", 0), ==, "Bearer sk-first-1111");
}

static gboolean
third_is_served (gpointer user_data)
{
  g_auto(CcTestRan) providers = cc_test_ctl (NULL, "providers", NULL);

  return strstr (providers.out, "  third ") != NULL;
}

/* What cannot be added or removed says why and changes nothing; an
 * environment variable of the kind's (the built-in provider's key)
 * never reaches an instance; an entry written behind the daemon's back
 * is served, or said to be not. */
static void
test_refusals (Fixture       *fixture,
               gconstpointer  user_data)
{
  g_autofree char *second_url = g_strconcat (cc_test_upstream_get_url (fixture->second), "/v1", NULL);
  static const struct { const char *kind, *name, *message; } bad[] = {
    { "nosuch", "x", "cc-proxyctl: There is no provider kind “nosuch” (the kinds are: openai, copilot)\n" },
    { "anthropic", "x", "cc-proxyctl: Provider “anthropic” has no instances: only modules that run in a provider "
                        "host do (the kinds are: openai, copilot)\n" },
    { "openai", "Bad_Name", "cc-proxyctl: “Bad_Name” cannot name an instance: use up to 32 lower-case letters, "
                            "digits and dashes, starting with a letter\n" },
    { "openai", "copilot", "cc-proxyctl: There is a provider “copilot” already\n" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_auto(CcTestRan) add = cc_test_ctl (NULL, "add", bad[i].kind, bad[i].name, NULL);

      assert_ran (add, 1);
      g_assert_cmpstr (add.err, ==, bad[i].message);
    }
  {
    g_auto(CcTestRan) not_instance = cc_test_ctl (NULL, "remove", "--yes", "openai", NULL);
    g_auto(CcTestRan) unknown = cc_test_ctl (NULL, "remove", "--yes", "nosuch", NULL);
    g_auto(CcTestRan) typo = cc_test_ctl (NULL, "remove", "--force", "openai", NULL);

    assert_ran (not_instance, 1);
    g_assert_cmpstr (not_instance.err, ==, "cc-proxyctl: “openai” is not an instance: only instances added with "
                                           "“cc-proxyctl add” can be removed\n");
    assert_ran (unknown, 1);
    g_assert_cmpstr (unknown.err, ==, "cc-proxyctl: There is no instance “nosuch”\n");
    assert_ran (typo, 2);
  }
  {
    g_auto(CcTestRan) no_name = cc_test_ctl (NULL, "remove", "--yes", NULL);

    assert_ran (no_name, 2);
    g_assert_true (g_str_has_prefix (no_name.err, "cc-proxyctl: remove needs the NAME of an instance\n"));
  }

  {
    g_auto(CcTestRan) add = cc_test_ctl (NULL, "add", "openai", "second", NULL);
    g_auto(CcTestRan) url = cc_test_ctl (NULL, "set", "second", "base-url", second_url, NULL);
    g_auto(CcTestRan) use = cc_test_ctl (NULL, "use", "second", NULL);
    g_auto(CcTestRan) env_key = cc_test_ctl (NULL, "get", "-v", "second", "api-key", NULL);
    const char *sent;

    assert_ran (add, 0);
    assert_ran (url, 0);
    assert_ran (use, 0);
    /* The kind's variables are the built-in provider's alone. */
    g_assert_null (strstr (env_key.out, "CC_PROXY_OPENAI_API_KEY"));
    g_assert_cmpuint (post (fixture, "gpt-second"), ==, 200);
    sent = authorization (fixture->second, "/v1/chat/completions", 0);
    g_assert_true (sent == NULL || strstr (sent, "sk-env-first") == NULL);
  }
  {
    g_auto(CcTestRan) active = cc_test_ctl (NULL, "remove", "--yes", "second", NULL);

    assert_ran (active, 1);
    g_assert_cmpstr (active.err, ==, "cc-proxyctl: second is not removed: it is the active provider "
                                     "(choose another first: cc-proxyctl use PROVIDER)\n");
  }
  {
    g_auto(CcTestRan) use = cc_test_ctl (NULL, "use", "openai", NULL);
    /* Not on a terminal: nothing to ask. */
    g_auto(CcTestRan) removed = cc_test_ctl (NULL, "remove", "second", NULL);

    assert_ran (use, 0);
    assert_ran (removed, 0);
  }

  /* Behind the daemon's back, as `gsettings set` would. */
  cc_test_run_gsettings ((const char * const *) fixture->env->pdata, "set", "org.ccproxy.Proxy", "instances",
                         "{'ghost': 'nosuch', 'third': 'openai'}", NULL);
  wait_for_log (fixture->daemon, "Instance ghost of nosuch is not served: There is no provider kind “nosuch”");
  cc_test_wait_for (third_is_served, NULL);
}

static void
add_server (Fixture        *fixture,
            const char     *name,
            CcTestUpstream *upstream,
            const char     *key)
{
  g_autofree char *url = g_strconcat (cc_test_upstream_get_url (upstream), "/v1", NULL);
  g_auto(CcTestRan) add = cc_test_ctl (NULL, "add", "openai", name, NULL);
  g_auto(CcTestRan) set = cc_test_ctl (NULL, "set", name, "base-url", url, NULL);
  g_autofree char *input = g_strconcat (key, "\n", NULL);
  g_auto(CcTestRan) secret = cc_test_ctl (input, "set", name, "api-key", NULL);

  assert_ran (add, 0);
  assert_ran (set, 0);
  assert_ran (secret, 0);
}

/* How many chat requests @upstream got, and that each had @key. */
static guint
count_with_key (CcTestUpstream *upstream,
                const char     *key)
{
  guint n = cc_test_upstream_count_requests (upstream, "/v1/chat/completions");
  g_autofree char *bearer = g_strconcat ("Bearer ", key, NULL);

  for (guint i = 0; i < n; i++)
    g_assert_cmpstr (authorization (upstream, "/v1/chat/completions", i), ==, bearer);
  return n;
}

/* A pool of two servers behind one route: round-robin gives each new
 * session the next member, a session stays on its member, a member that
 * answers 429 with a long Retry-After is skipped until then and its
 * sessions move; least-used sends a new session to the member that
 * answered fewest; a pool with a member that does not exist, or a pool
 * a route names, is refused as it should be. */
static void
test_pools (Fixture       *fixture,
            gconstpointer  user_data)
{
  static const char * const sessions[] = { "s1", "s2", "s1", "s2", "s3" };

  add_server (fixture, "one", fixture->first, "sk-one-1111");
  add_server (fixture, "two", fixture->second, "sk-two-2222");
  {
    g_auto(CcTestRan) bad = cc_test_ctl (NULL, "pool", "set", "team", "one", "nosuch", NULL);
    g_auto(CcTestRan) strategy = cc_test_ctl (NULL, "pool", "set", "team", "--strategy", "random", "one", NULL);
    g_auto(CcTestRan) pool = cc_test_ctl (NULL, "pool", "set", "team", "--strategy", "round-robin", "one", "two", NULL);
    g_auto(CcTestRan) route = cc_test_ctl (NULL, "route", "add", "all", "--to", "team", NULL);
    g_auto(CcTestRan) list = cc_test_ctl (NULL, "pool", "list", NULL);

    assert_ran (bad, 1);
    g_assert_nonnull (strstr (bad.err, "Pool “team”: No provider is called “nosuch”"));
    assert_ran (strategy, 1);
    g_assert_cmpstr (strategy.err, ==, "cc-proxyctl: Pool “team”: no strategy “random” (ordered, round-robin or least-used)\n");
    assert_ran (pool, 0);
    assert_ran (route, 0);
    g_assert_cmpstr (list.out, ==, "team (round-robin): one, two\n");
  }
  {
    static const char * const keys[] = { "one", "two", NULL };

    cc_test_wait_for (keys_loaded, (gpointer) keys);
  }

  for (guint i = 0; i < G_N_ELEMENTS (sessions); i++)
    g_assert_cmpuint (post_in_session (fixture, "gpt-4", sessions[i]), ==, 200);
  /* s1 and s3 on the first member, s2 on the second, each to the end. */
  g_assert_cmpuint (count_with_key (fixture->first, "sk-one-1111"), ==, 3);
  g_assert_cmpuint (count_with_key (fixture->second, "sk-two-2222"), ==, 2);

  /* Least used: a new session goes to the member that answered fewer
   * today (the second, 2 to 3), then, at a tie, to the first. */
  {
    g_auto(CcTestRan) pool = cc_test_ctl (NULL, "pool", "set", "team", "--strategy", "least-used", "one", "two", NULL);

    assert_ran (pool, 0);
  }
  g_assert_cmpuint (post_in_session (fixture, "gpt-4", "s6"), ==, 200);
  g_assert_cmpuint (post_in_session (fixture, "gpt-4", "s7"), ==, 200);
  g_assert_cmpuint (count_with_key (fixture->first, "sk-one-1111"), ==, 4);
  g_assert_cmpuint (count_with_key (fixture->second, "sk-two-2222"), ==, 3);

  /* The second member is out of quota for an hour: s2 moves to the
   * first and stays there, and a new session does not go to it. */
  cc_test_upstream_clear_requests (fixture->first);
  cc_test_upstream_clear_requests (fixture->second);
  cc_test_upstream_set_header (fixture->second, "/v1/chat/completions", "Retry-After", "3600");
  cc_test_upstream_respond (fixture->second, "/v1/chat/completions", 429, "application/json",
                            "{\"error\":{\"message\":\"quota exceeded\",\"type\":\"rate_limit\"}}", -1);
  g_assert_cmpuint (post_in_session (fixture, "gpt-4", "s2"), ==, 200);
  g_assert_cmpuint (post_in_session (fixture, "gpt-4", "s2"), ==, 200);
  g_assert_cmpuint (post_in_session (fixture, "gpt-4", "s8"), ==, 200);
  g_assert_cmpuint (cc_test_upstream_count_requests (fixture->second, "/v1/chat/completions"), ==, 1);
  g_assert_cmpuint (count_with_key (fixture->first, "sk-one-1111"), ==, 3);
  wait_for_log (fixture->daemon, "[all → one (two 429, retry after 3600 s)]");

  {
    g_auto(CcTestRan) in_use = cc_test_ctl (NULL, "pool", "remove", "team", NULL);
    g_auto(CcTestRan) member = cc_test_ctl (NULL, "remove", "--yes", "two", NULL);
    g_auto(CcTestRan) unroute = cc_test_ctl (NULL, "route", "remove", "all", NULL);
    g_auto(CcTestRan) removed = cc_test_ctl (NULL, "pool", "remove", "team", NULL);
    g_auto(CcTestRan) list = cc_test_ctl (NULL, "pool", "list", NULL);

    assert_ran (in_use, 1);
    g_assert_cmpstr (in_use.err, ==, "cc-proxyctl: Route “all” sends requests to pool “team”: "
                                     "change or remove the route first\n");
    assert_ran (member, 1);
    g_assert_cmpstr (member.err, ==, "cc-proxyctl: two is not removed: pool “team” has it as a member "
                                     "(change or remove the pool first: cc-proxyctl pool)\n");
    assert_ran (unroute, 0);
    assert_ran (removed, 0);
    g_assert_cmpstr (list.out, ==, "No pools.\n");
  }
}

/* ----- two Copilot accounts ----- */

static const char copilot_stored[] =
  "[org/ccproxy/Proxy]\n"
  "active-provider='copilot'\n"
  "[org/ccproxy/Proxy/providers/copilot]\n"
  "base-url='@URL@'\n"
  "github-url='@URL@'\n"
  "github-api-url='@URL@'\n";

static const char copilot_models[] =
  "{\"object\":\"list\",\"data\":[{\"id\":\"gpt-4.1\",\"name\":\"GPT-4.1\","
  "\"supported_endpoints\":[\"/chat/completions\"]}]}";

static void
copilot_setup (Fixture       *fixture,
               gconstpointer  user_data)
{
  g_autofree char *answer = cc_test_load_fixture_text ("openai-response-tools.json");
  g_autofree char *exchange = g_strdup_printf ("{\"token\":\"copilot-second\",\"expires_at\":%" G_GINT64_FORMAT
                                               ",\"refresh_in\":1500}", g_get_real_time () / G_USEC_PER_SEC + 3600);
  CcTestUpstream *upstreams[2];

  fixture_setup (fixture, copilot_stored, NULL);
  upstreams[0] = fixture->first;
  upstreams[1] = fixture->second;
  for (guint i = 0; i < 2; i++)
    {
      cc_test_upstream_mock_github_login (upstreams[i], i == 0 ? "gho-first" : "gho-second");
      cc_test_upstream_respond (upstreams[i], "/models", 200, "application/json", copilot_models, -1);
      cc_test_upstream_respond (upstreams[i], "/chat/completions", 200, "application/json", answer, -1);
    }
  /* Each account's own Copilot token. */
  cc_test_upstream_respond (fixture->second, "/copilot_internal/v2/token", 200, "application/json", exchange, -1);
}

/* Two Copilot accounts, each signed in through the device flow against
 * its own GitHub; each request carries its own account's Copilot token,
 * got with its own GitHub login. */
static void
test_two_accounts (Fixture       *fixture,
                   gconstpointer  user_data)
{
  const char *second = cc_test_upstream_get_url (fixture->second);

  {
    g_auto(CcTestRan) add = cc_test_ctl (NULL, "add", "copilot", "work", NULL);

    assert_ran (add, 0);
    g_assert_cmpstr (add.out, ==, "Added work, a provider of kind copilot. Its settings: cc-proxyctl get -v work\n"
                                  "Sign it in: cc-proxyctl auth work\n");
  }
  for (guint i = 0; i < 3; i++)
    {
      const char *keys[] = { "base-url", "github-url", "github-api-url" };
      g_auto(CcTestRan) set = cc_test_ctl (NULL, "set", "work", keys[i], second, NULL);

      assert_ran (set, 0);
    }
  {
    g_auto(CcTestRan) first_login = cc_test_ctl (NULL, "auth", "copilot", NULL);
    g_auto(CcTestRan) second_login = cc_test_ctl (NULL, "auth", "work", NULL);

    assert_ran (first_login, 0);
    assert_ran (second_login, 0);
  }
  g_assert_cmpuint (cc_test_upstream_count_requests (fixture->first, "/login/oauth/access_token"), >=, 1);
  g_assert_cmpuint (cc_test_upstream_count_requests (fixture->second, "/login/oauth/access_token"), >=, 1);

  /* A login makes its provider the active one, as for any provider. */
  {
    g_auto(CcTestRan) use = cc_test_ctl (NULL, "use", "copilot", NULL);

    assert_ran (use, 0);
  }
  g_assert_cmpuint (post (fixture, "gpt-4.1"), ==, 200);
  {
    g_auto(CcTestRan) use = cc_test_ctl (NULL, "use", "work", NULL);

    assert_ran (use, 0);
  }
  g_assert_cmpuint (post (fixture, "gpt-4.1"), ==, 200);

  g_assert_cmpuint (cc_test_upstream_count_requests (fixture->first, "/chat/completions"), ==, 1);
  g_assert_cmpuint (cc_test_upstream_count_requests (fixture->second, "/chat/completions"), ==, 1);
  g_assert_cmpstr (authorization (fixture->first, "/copilot_internal/v2/token", 0), ==, "token gho-first");
  g_assert_cmpstr (authorization (fixture->second, "/copilot_internal/v2/token", 0), ==, "token gho-second");
  g_assert_cmpstr (authorization (fixture->first, "/chat/completions", 0), ==, "Bearer copilot-from-login");
  g_assert_cmpstr (authorization (fixture->second, "/chat/completions", 0), ==, "Bearer copilot-second");

  /* A request may name its provider: past the active one (work now),
   * and not seen by the upstream; a name no provider has is a 404. */
  {
    g_autofree char *url = g_strconcat (fixture->daemon->url, "/v1/messages", NULL);
    g_autofree char *body = cc_test_agent_body ("gpt-4.1", FALSE);
    const char *names[] = { "copilot", "nosuch" };
    const guint statuses[] = { 200, 404 };

    for (guint i = 0; i < G_N_ELEMENTS (names); i++)
      {
        g_autoptr(SoupMessage) message = soup_message_new ("POST", url);
        g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
        g_autoptr(GBytes) answer = NULL;
        g_autoptr(GError) error = NULL;

        soup_message_set_request_body_from_bytes (message, "application/json", bytes);
        soup_message_headers_replace (soup_message_get_request_headers (message), "X-CC-Proxy-Provider", names[i]);
        answer = cc_test_send (fixture->client, message, &error);
        g_assert_no_error (error);
        g_assert_cmpuint (soup_message_get_status (message), ==, statuses[i]);
        if (statuses[i] == 404)
          g_assert_nonnull (g_strstr_len (g_bytes_get_data (answer, NULL), g_bytes_get_size (answer),
                                          "X-CC-Proxy-Provider names no provider \u201cnosuch\u201d"));
      }
    g_assert_cmpuint (cc_test_upstream_count_requests (fixture->first, "/chat/completions"), ==, 2);
    g_assert_null (soup_message_headers_get_one (cc_test_upstream_find_request (fixture->first, "/chat/completions", 1)->headers,
                                                 "X-CC-Proxy-Provider"));
  }

  /* Each account's plan and quota, in a block of its own. */
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *user = g_strdup_printf ("{\"login\":\"%s\",\"copilot_plan\":\"%s\"}",
                                               i == 0 ? "me" : "me-at-work", i == 0 ? "individual" : "business");

      cc_test_upstream_respond (i == 0 ? fixture->first : fixture->second, "/copilot_internal/user", 200,
                                "application/json", user, -1);
    }
  {
    g_auto(CcTestRan) usage = cc_test_ctl (NULL, "usage", NULL);
    g_auto(CcTestRan) one = cc_test_ctl (NULL, "usage", "work", NULL);

    assert_ran (usage, 0);
    g_assert_cmpstr (usage.out, ==, "copilot (GitHub Copilot):\n"
                                    "  login: me\n"
                                    "  copilot_plan: individual\n"
                                    "\n"
                                    "work (GitHub Copilot):\n"
                                    "  login: me-at-work\n"
                                    "  copilot_plan: business\n");
    assert_ran (one, 0);
    g_assert_cmpstr (one.out, ==, "login: me-at-work\ncopilot_plan: business\n");
  }
}

int
main (int   argc,
      char *argv[])
{
  static const char * const env_key[] = { "CC_PROXY_OPENAI_API_KEY", "sk-env-first", NULL };

  g_test_init (&argc, &argv, NULL);

  g_test_add ("/instances/two-servers", Fixture, NULL, openai_setup, test_two_servers, fixture_teardown);
  g_test_add ("/instances/refusals", Fixture, env_key, openai_setup, test_refusals, fixture_teardown);
  g_test_add ("/instances/pools", Fixture, NULL, openai_setup, test_pools, fixture_teardown);
  g_test_add ("/instances/two-accounts", Fixture, NULL, copilot_setup, test_two_accounts, fixture_teardown);

  return g_test_run ();
}
