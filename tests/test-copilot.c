/* test-copilot.c: the copilot provider against a libsoup mock of Copilot
 * and GitHub: every route through the real server, the headers sent
 * upstream, credentials, rate limiting, and the device flow. The token
 * cache, limiter and login run on a clock the tests move by hand.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#define G_SETTINGS_ENABLE_BACKEND
#include <gio/gsettingsbackend.h>

#include "cc-upstream-limiter.h"
#include "cc-copilot-login.h"
#include "cc-copilot-models.h"
#include "cc-copilot-tokens.h"
#include "cc-openai-translate.h"
#include "cc-proxy-capture-log.h"
#include "cc-proxy-server.h"
#include "cc-test-upstream.h"
#include "cc-test-util.h"
#include "cc-proxy-event-sink.h"
#include "cc-proxy-event.h"

static CcProxyRegistry *registry;

/* ----- a clock moved by hand ----- */

typedef struct
{
  guint       id;
  gint64      due;
  GSourceFunc func;
  gpointer    data;
} Timer;

typedef struct
{
  gint64     now;
  GPtrArray *timers;
  guint      next_id;
} FakeClock;

static gint64
fake_now (gpointer data)
{
  return ((FakeClock *) data)->now;
}

static guint
fake_add_timeout (guint       ms,
                  GSourceFunc func,
                  gpointer    func_data,
                  gpointer    data)
{
  FakeClock *clock = data;
  Timer *timer = g_new0 (Timer, 1);

  timer->id = ++clock->next_id;
  timer->due = clock->now + (gint64) ms * 1000;
  timer->func = func;
  timer->data = func_data;
  g_ptr_array_add (clock->timers, timer);
  return timer->id;
}

static void
fake_remove (guint    id,
             gpointer data)
{
  FakeClock *clock = data;

  for (guint i = 0; i < clock->timers->len; i++)
    if (((Timer *) g_ptr_array_index (clock->timers, i))->id == id)
      {
        g_ptr_array_remove_index (clock->timers, i);
        return;
      }
}

/* Moves time on, firing what falls due, earliest first. */
static void
advance (FakeClock *clock,
         double     seconds)
{
  gint64 until = clock->now + (gint64) (seconds * G_USEC_PER_SEC);

  for (;;)
    {
      Timer *next = NULL;
      guint index = 0;

      for (guint i = 0; i < clock->timers->len; i++)
        {
          Timer *timer = g_ptr_array_index (clock->timers, i);

          if (timer->due <= until && (next == NULL || timer->due < next->due))
            next = timer, index = i;
        }
      if (next == NULL)
        break;
      clock->now = MAX (clock->now, next->due);
      next = g_ptr_array_steal_index (clock->timers, index);
      next->func (next->data);
      g_free (next);
      /* Results of what fired are handed back from idle callbacks. */
      cc_test_drain (5);
    }
  clock->now = until;
}

typedef struct
{
  FakeClock       fake;
  CcUpstreamClock  clock;
  CcTestUpstream *upstream;
  SoupSession    *session;
  CcProxyRuntime *runtime;
  GPtrArray      *results;   /* GAsyncResult, in completion order */
} Unit;

static void
unit_set_up (Unit          *unit,
             gconstpointer  user_data)
{
  g_autofree char *github_api = NULL;
  g_autofree char *github = NULL;
  g_autoptr(GSettingsBackend) backend = g_memory_settings_backend_new ();
  const char *env[4] = { NULL };

  unit->fake.now = (gint64) 1764000000 * G_USEC_PER_SEC;
  unit->fake.timers = g_ptr_array_new_with_free_func (g_free);
  unit->clock = (CcUpstreamClock) { fake_now, fake_add_timeout, fake_remove, &unit->fake };
  unit->upstream = cc_test_upstream_new ();
  unit->session = soup_session_new ();
  github_api = g_strconcat ("CC_PROXY_GITHUB_API_URL=", cc_test_upstream_get_url (unit->upstream), NULL);
  github = g_strconcat ("CC_PROXY_GITHUB_URL=", cc_test_upstream_get_url (unit->upstream), NULL);
  env[0] = github_api;
  env[1] = github;
  env[2] = user_data;
  unit->runtime = cc_proxy_runtime_new_full (registry, env, backend);
  unit->results = g_ptr_array_new_with_free_func (g_object_unref);
}

static void
unit_tear_down (Unit          *unit,
                gconstpointer  user_data)
{
  g_ptr_array_unref (unit->results);
  g_clear_object (&unit->runtime);
  soup_session_abort (unit->session);
  g_clear_object (&unit->session);
  cc_test_drain (20);
  g_clear_object (&unit->upstream);
  g_ptr_array_unref (unit->fake.timers);
}

static CcProxySnapshot *
snapshot (Unit *unit)
{
  return cc_proxy_runtime_get_snapshot (unit->runtime);
}

static void
keep_result (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_ptr_array_add (((Unit *) user_data)->results, g_object_ref (result));
}

typedef struct
{
  Unit *unit;
  guint count;
} Want;

static gboolean
timer_or_result (gpointer user_data)
{
  Unit *unit = user_data;

  return unit->fake.timers->len > 0 || unit->results->len > 0;
}

/* Lets the HTTP exchange the last timer started finish: it ends in a
 * new timer or a result. */
static void
settle (Unit *unit)
{
  cc_test_wait_for (timer_or_result, unit);
}

static gboolean
has_results (gpointer user_data)
{
  Want *want = user_data;

  return want->unit->results->len >= want->count;
}

static void
wait_results (Unit  *unit,
              guint  count)
{
  Want want = { unit, count };

  cc_test_wait_for (has_results, &want);
}

static char *
token_answer (gint64 expires_at,
              gint64 refresh_in,
              const char *token)
{
  return g_strdup_printf ("{\"token\":\"%s\",\"expires_at\":%" G_GINT64_FORMAT ",\"refresh_in\":%" G_GINT64_FORMAT
                          ",\"endpoints\":{\"api\":\"https://api.example.test\"}}",
                          token, expires_at, refresh_in);
}

static char *
get_token (Unit             *unit,
           CcCopilotTokens  *tokens,
           GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  g_ptr_array_set_size (unit->results, 0);
  cc_copilot_tokens_get_async (tokens, unit->session, snapshot (unit), NULL, keep_result, unit);
  wait_results (unit, 1);
  result = g_object_ref (g_ptr_array_index (unit->results, 0));
  return cc_copilot_tokens_get_finish (tokens, result, NULL, error);
}

#define TOKEN_PATH "/copilot_internal/v2/token"

/* Exchanged once, cached, refreshed a minute before GitHub asks (or
 * before expiry, whichever is first); the exchange carries the GitHub
 * token and the editor headers. */
static void
test_tokens_refresh_timing (Unit          *unit,
                            gconstpointer  user_data)
{
  g_autoptr(CcCopilotTokens) tokens = cc_copilot_tokens_new (&unit->clock);
  g_autofree char *answer = token_answer (1764003600, 1500, "tid=one");
  g_autofree char *first = NULL, *cached = NULL, *still = NULL, *second = NULL;
  CcTestRecordedRequest *exchange;

  cc_test_upstream_respond (unit->upstream, TOKEN_PATH, 200, "application/json", answer, -1);
  first = get_token (unit, tokens, NULL);
  g_assert_cmpstr (first, ==, "tid=one");
  exchange = cc_test_upstream_find_request (unit->upstream, TOKEN_PATH, 0);
  g_assert_cmpstr (soup_message_headers_get_one (exchange->headers, "authorization"), ==, "token gh-unit-token");
  g_assert_cmpstr (soup_message_headers_get_one (exchange->headers, "editor-version"), ==, "vscode/1.104.1");
  g_assert_cmpstr (soup_message_headers_get_one (exchange->headers, "x-github-api-version"), ==, "2025-04-01");

  cached = get_token (unit, tokens, NULL);
  g_assert_cmpstr (cached, ==, "tid=one");
  /* refresh_in − 60 s: 1440 s after the fetch. */
  advance (&unit->fake, 1439);
  still = get_token (unit, tokens, NULL);
  g_assert_cmpuint (cc_test_upstream_count_requests (unit->upstream, TOKEN_PATH), ==, 1);

  g_free (answer);
  answer = token_answer (1764003600 + 3600, 1500, "tid=two");
  cc_test_upstream_respond (unit->upstream, TOKEN_PATH, 200, "application/json", answer, -1);
  advance (&unit->fake, 2);
  second = get_token (unit, tokens, NULL);
  g_assert_cmpstr (second, ==, "tid=two");
  g_assert_cmpuint (cc_test_upstream_count_requests (unit->upstream, TOKEN_PATH), ==, 2);
}

/* Expiry first: a token expiring in 100 s is refreshed after 40 s; and
 * never sooner than 30 s after a fetch. */
static void
test_tokens_expiry_first (Unit          *unit,
                          gconstpointer  user_data)
{
  g_autoptr(CcCopilotTokens) tokens = cc_copilot_tokens_new (&unit->clock);
  g_autofree char *answer = token_answer (1764000000 + 100, 1500, "tid=short");
  g_autofree char *a = NULL, *b = NULL, *c = NULL;

  cc_test_upstream_respond (unit->upstream, TOKEN_PATH, 200, "application/json", answer, -1);
  a = get_token (unit, tokens, NULL);
  advance (&unit->fake, 39);
  b = get_token (unit, tokens, NULL);
  g_assert_cmpuint (cc_test_upstream_count_requests (unit->upstream, TOKEN_PATH), ==, 1);
  advance (&unit->fake, 2);
  c = get_token (unit, tokens, NULL);
  g_assert_cmpuint (cc_test_upstream_count_requests (unit->upstream, TOKEN_PATH), ==, 2);
}

/* Three requests at once share one exchange. */
static void
test_tokens_shared_refresh (Unit          *unit,
                            gconstpointer  user_data)
{
  g_autoptr(CcCopilotTokens) tokens = cc_copilot_tokens_new (&unit->clock);
  g_autofree char *answer = token_answer (1764003600, 1500, "tid=shared");

  cc_test_upstream_respond (unit->upstream, TOKEN_PATH, 200, "application/json", answer, -1);
  for (guint i = 0; i < 3; i++)
    cc_copilot_tokens_get_async (tokens, unit->session, snapshot (unit), NULL, keep_result, unit);
  wait_results (unit, 3);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *token = cc_copilot_tokens_get_finish (tokens, g_ptr_array_index (unit->results, i), NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (token, ==, "tid=shared");
    }
  g_assert_cmpuint (cc_test_upstream_count_requests (unit->upstream, TOKEN_PATH), ==, 1);
}

/* A refused exchange is an error naming GitHub's status, remembered for
 * about ten seconds; an invalidated token is exchanged again. */
static void
test_tokens_failure_backoff (Unit          *unit,
                             gconstpointer  user_data)
{
  g_autoptr(CcCopilotTokens) tokens = cc_copilot_tokens_new (&unit->clock);
  g_autofree char *answer = token_answer (1764003600, 1500, "tid=later");
  g_autoptr(GError) error = NULL, again = NULL;
  g_autofree char *none = NULL, *still_none = NULL, *later = NULL, *renewed = NULL;

  cc_test_upstream_respond (unit->upstream, TOKEN_PATH, 401, "application/json", "{\"message\":\"Bad credentials\"}", -1);
  none = get_token (unit, tokens, &error);
  /* 401: the GitHub login itself is refused, which the provider reports
   * as needing attention. */
  g_assert_error (error, CC_COPILOT_ERROR, CC_COPILOT_ERROR_LOGIN_REFUSED);
  g_assert_cmpstr (error->message, ==, "GitHub refused the Copilot token exchange (HTTP 401): "
                                       "sign in again with “cc-proxyctl auth copilot --force”");
  still_none = get_token (unit, tokens, &again);
  g_assert_nonnull (again);
  g_assert_cmpuint (cc_test_upstream_count_requests (unit->upstream, TOKEN_PATH), ==, 1);

  cc_test_upstream_respond (unit->upstream, TOKEN_PATH, 200, "application/json", answer, -1);
  advance (&unit->fake, 11);
  later = get_token (unit, tokens, NULL);
  g_assert_cmpstr (later, ==, "tid=later");
  cc_copilot_tokens_invalidate (tokens, "tid=later");
  renewed = get_token (unit, tokens, NULL);
  g_assert_cmpuint (cc_test_upstream_count_requests (unit->upstream, TOKEN_PATH), ==, 3);
}

static void
test_tokens_no_credentials (Unit          *unit,
                            gconstpointer  user_data)
{
  g_autoptr(CcCopilotTokens) tokens = cc_copilot_tokens_new (&unit->clock);
  g_autoptr(GError) error = NULL;
  g_autofree char *token = get_token (unit, tokens, &error);

  g_assert_null (token);
  g_assert_error (error, CC_COPILOT_ERROR, CC_COPILOT_ERROR_NO_CREDENTIALS);
  g_assert_cmpstr (error->message, ==, "Not signed in to GitHub Copilot: run “cc-proxyctl auth copilot”, "
                                       "or set GITHUB_COPILOT_TOKEN or CC_PROXY_COPILOT_GITHUB_TOKEN");
  g_assert_cmpuint (cc_test_upstream_get_n_requests (unit->upstream), ==, 0);
}

static void
test_tokens_fixed (Unit          *unit,
                   gconstpointer  user_data)
{
  g_autoptr(CcCopilotTokens) tokens = cc_copilot_tokens_new (&unit->clock);
  g_autofree char *token = get_token (unit, tokens, NULL);

  /* Used as it is: no exchange. */
  g_assert_cmpstr (token, ==, "fixed-copilot-token");
  g_assert_cmpuint (cc_test_upstream_get_n_requests (unit->upstream), ==, 0);
}

/* ----- the limiter ----- */

static gboolean
acquired (Unit     *unit,
          guint     index,
          guint    *retry_after,
          GError  **error)
{
  return cc_upstream_limiter_acquire_finish (NULL, g_ptr_array_index (unit->results, index), retry_after, error);
}

static void
test_limiter_refuses (Unit          *unit,
                      gconstpointer  user_data)
{
  g_autoptr(CcUpstreamLimiter) limiter = cc_upstream_limiter_new ("copilot", &unit->clock);
  g_autoptr(GError) error = NULL;
  guint retry = 0;

  for (guint i = 0; i < 2; i++)
    cc_upstream_limiter_acquire_async (limiter, 10, FALSE, NULL, keep_result, unit);
  advance (&unit->fake, 3.5);
  cc_upstream_limiter_acquire_async (limiter, 10, FALSE, NULL, keep_result, unit);
  advance (&unit->fake, 6.5);
  cc_upstream_limiter_acquire_async (limiter, 10, FALSE, NULL, keep_result, unit);
  wait_results (unit, 4);

  g_assert_true (acquired (unit, 0, NULL, NULL));
  g_assert_false (acquired (unit, 1, &retry, &error));
  g_assert_error (error, CC_UPSTREAM_ERROR, CC_UPSTREAM_ERROR_RATE_LIMITED);
  g_assert_cmpuint (retry, ==, 10);
  g_assert_cmpstr (error->message, ==, "Rate limit: the next request may start in 10 seconds. "
                                       "Set the copilot provider's rate-limit-wait to make requests wait instead.");
  g_clear_error (&error);
  g_assert_false (acquired (unit, 2, &retry, &error));
  g_assert_cmpuint (retry, ==, 7);  /* 6.5 s, rounded up */
  g_assert_true (acquired (unit, 3, NULL, NULL));
}

/* Waiters leave in order, one per interval; one that gives up leaves
 * the queue and the next moves up. */
static void
test_limiter_waits (Unit          *unit,
                    gconstpointer  user_data)
{
  g_autoptr(CcUpstreamLimiter) limiter = cc_upstream_limiter_new ("copilot", &unit->clock);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  GAsyncResult *third;

  cc_upstream_limiter_acquire_async (limiter, 5, TRUE, NULL, keep_result, unit);
  wait_results (unit, 1);
  cc_upstream_limiter_acquire_async (limiter, 5, TRUE, NULL, keep_result, unit);
  cc_upstream_limiter_acquire_async (limiter, 5, TRUE, cancellable, keep_result, unit);
  cc_upstream_limiter_acquire_async (limiter, 5, TRUE, NULL, keep_result, unit);
  cc_test_drain (20);
  g_assert_cmpuint (unit->results->len, ==, 1);
  g_assert_cmpuint (cc_upstream_limiter_get_n_waiting (limiter), ==, 3);

  advance (&unit->fake, 4.9);
  g_assert_cmpuint (unit->results->len, ==, 1);
  advance (&unit->fake, 0.1);
  g_assert_cmpuint (unit->results->len, ==, 2);

  g_cancellable_cancel (cancellable);
  wait_results (unit, 3);
  third = g_ptr_array_index (unit->results, 2);
  g_assert_false (cc_upstream_limiter_acquire_finish (limiter, third, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (cc_upstream_limiter_get_n_waiting (limiter), ==, 1);

  advance (&unit->fake, 4.9);
  g_assert_cmpuint (unit->results->len, ==, 3);
  advance (&unit->fake, 0.1);
  g_assert_cmpuint (unit->results->len, ==, 4);
  g_assert_true (acquired (unit, 3, NULL, NULL));
  g_assert_cmpuint (cc_upstream_limiter_get_n_waiting (limiter), ==, 0);
}

/* ----- the device flow ----- */

static const char device_code[] =
  "{\"device_code\":\"fx-device\",\"user_code\":\"WDJB-MJHT\",\"verification_uri\":\"https://github.com/login/device\","
  "\"expires_in\":60,\"interval\":5}";

#define POLL_PATH "/login/oauth/access_token"

static CcProxyAuthPrompt *
start_login (Unit         *unit,
             GCancellable *cancellable)
{
  CcProxyAuthPrompt *prompt = cc_proxy_auth_prompt_new (snapshot (unit));

  cc_test_upstream_respond (unit->upstream, "/login/device/code", 200, "application/json", device_code, -1);
  cc_copilot_login_async (unit->session, prompt, &unit->clock, cancellable, keep_result, unit);
  return prompt;
}

static gboolean
prompt_shown (gpointer user_data)
{
  return cc_proxy_auth_prompt_get_user_code (user_data) != NULL;
}

static guint
polls (Unit *unit)
{
  return cc_test_upstream_count_requests (unit->upstream, POLL_PATH);
}

static void
test_login_success (Unit          *unit,
                    gconstpointer  user_data)
{
  g_autoptr(CcProxyAuthPrompt) prompt = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  CcTestRecordedRequest *request;
  g_autoptr(JsonNode) body = NULL;

  cc_test_upstream_respond_once (unit->upstream, POLL_PATH, 200, "application/json", "{\"error\":\"authorization_pending\"}");
  cc_test_upstream_respond_once (unit->upstream, POLL_PATH, 200, "application/json", "{\"error\":\"slow_down\"}");
  cc_test_upstream_respond (unit->upstream, POLL_PATH, 200, "application/json",
                            "{\"access_token\":\"gho_fixture\",\"token_type\":\"bearer\"}", -1);
  prompt = start_login (unit, NULL);

  /* Shown before any poll. */
  cc_test_wait_for (prompt_shown, prompt);
  g_assert_cmpstr (cc_proxy_auth_prompt_get_verification_url (prompt), ==, "https://github.com/login/device");
  g_assert_cmpstr (cc_proxy_auth_prompt_get_user_code (prompt), ==, "WDJB-MJHT");
  g_assert_cmpuint (polls (unit), ==, 0);
  request = cc_test_upstream_find_request (unit->upstream, "/login/device/code", 0);
  body = json_from_string (g_bytes_get_data (request->body, NULL), NULL);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (body), "client_id"), ==, "Iv1.b507a08c87ecfe98");
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (body), "scope"), ==, "read:user");

  /* interval + 1 s between polls. */
  advance (&unit->fake, 5.9);
  g_assert_cmpuint (polls (unit), ==, 0);
  advance (&unit->fake, 0.1);
  settle (unit);
  g_assert_cmpuint (polls (unit), ==, 1);
  /* pending: the same interval again. */
  advance (&unit->fake, 5.9);
  g_assert_cmpuint (polls (unit), ==, 1);
  advance (&unit->fake, 0.1);
  settle (unit);
  g_assert_cmpuint (polls (unit), ==, 2);
  /* slow_down: 5 s more. */
  advance (&unit->fake, 10.9);
  g_assert_cmpuint (polls (unit), ==, 2);
  advance (&unit->fake, 0.1);
  wait_results (unit, 1);
  g_assert_cmpuint (polls (unit), ==, 3);

  request = cc_test_upstream_find_request (unit->upstream, POLL_PATH, 0);
  g_clear_pointer (&body, json_node_unref);
  body = json_from_string (g_bytes_get_data (request->body, NULL), NULL);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (body), "device_code"), ==, "fx-device");
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (body), "grant_type"), ==,
                   "urn:ietf:params:oauth:grant-type:device_code");

  token = cc_copilot_login_finish (g_ptr_array_index (unit->results, 0), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (token, ==, "gho_fixture");
}

static void
run_failing_login (Unit       *unit,
                   const char *answer,
                   double      wait,
                   const char *message)
{
  g_autoptr(CcProxyAuthPrompt) prompt = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;

  cc_test_upstream_respond (unit->upstream, POLL_PATH, 200, "application/json", answer, -1);
  prompt = start_login (unit, NULL);
  cc_test_wait_for (prompt_shown, prompt);
  for (double waited = 0; waited < wait && unit->results->len == 0; waited += 6)
    {
      advance (&unit->fake, 6);
      settle (unit);
    }
  wait_results (unit, 1);
  token = cc_copilot_login_finish (g_ptr_array_index (unit->results, 0), &error);
  g_assert_null (token);
  g_assert_error (error, CC_COPILOT_ERROR, CC_COPILOT_ERROR_LOGIN_FAILED);
  g_assert_cmpstr (error->message, ==, message);
}

static void
test_login_denied (Unit          *unit,
                   gconstpointer  user_data)
{
  run_failing_login (unit, "{\"error\":\"access_denied\"}", 6, "The login was refused on GitHub");
}

static void
test_login_expired (Unit          *unit,
                    gconstpointer  user_data)
{
  run_failing_login (unit, "{\"error\":\"expired_token\"}", 6, "The code expired before it was entered: run the login again");
}

/* Still pending when expires_in runs out: polling stops. */
static void
test_login_times_out (Unit          *unit,
                      gconstpointer  user_data)
{
  run_failing_login (unit, "{\"error\":\"authorization_pending\"}", 120,
                     "The code expired before it was entered: run the login again");
  g_assert_cmpuint (polls (unit), ==, 9);
}

static void
test_login_cancel (Unit          *unit,
                   gconstpointer  user_data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(CcProxyAuthPrompt) prompt = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;

  cc_test_upstream_respond (unit->upstream, POLL_PATH, 200, "application/json", "{\"error\":\"authorization_pending\"}", -1);
  prompt = start_login (unit, cancellable);
  cc_test_wait_for (prompt_shown, prompt);
  g_cancellable_cancel (cancellable);
  wait_results (unit, 1);
  token = cc_copilot_login_finish (g_ptr_array_index (unit->results, 0), &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* No timer left behind, and no poll after the cancel. */
  g_assert_cmpuint (unit->fake.timers->len, ==, 0);
  advance (&unit->fake, 60);
  g_assert_cmpuint (polls (unit), ==, 0);
}

/* ----- models ----- */

static const char models_answer[] =
  "{\"object\":\"list\",\"data\":["
  "{\"id\":\"claude-sonnet-4.5\",\"name\":\"Claude Sonnet 4.5\",\"created\":1760000000,"
  "\"supported_endpoints\":[\"/chat/completions\"]},"
  "{\"id\":\"claude-opus-4.1\",\"name\":\"Claude Opus 4.1\",\"supported_endpoints\":[\"/v1/messages\",\"/chat/completions\"]},"
  "{\"id\":\"gpt-5-codex\",\"name\":\"GPT-5 Codex\",\"supported_endpoints\":[\"/responses\"]},"
  "{\"id\":\"gpt-4.1\",\"name\":\"GPT-4.1\"}]}";

static void
test_models (void)
{
  FakeClock fake = { (gint64) 1764000000 * G_USEC_PER_SEC, NULL, 0 };
  CcUpstreamClock clock = { fake_now, fake_add_timeout, fake_remove, &fake };
  g_autoptr(CcCopilotModels) models = cc_copilot_models_new (&clock);
  g_autoptr(JsonNode) answer = json_from_string (models_answer, NULL);
  g_autoptr(JsonNode) anthropic = cc_openai_models_to_anthropic (json_node_get_object (answer));
  g_autofree char *listed = json_to_string (anthropic, FALSE);
  g_auto(GStrv) ids = NULL;

  g_assert_true (cc_copilot_models_needs_refresh (models, NULL));
  g_assert_cmpint (cc_copilot_models_get_endpoint (models, "claude-opus-4.1"), ==, CC_UPSTREAM_API_CHAT);
  cc_copilot_models_update (models, json_node_get_object (answer));
  g_assert_false (cc_copilot_models_needs_refresh (models, "claude-opus-4.1"));
  /* An unknown model asks again, but not more than twice a minute. */
  g_assert_false (cc_copilot_models_needs_refresh (models, "claude-next"));
  fake.now += 31 * G_USEC_PER_SEC;
  g_assert_true (cc_copilot_models_needs_refresh (models, "claude-next"));
  g_assert_false (cc_copilot_models_needs_refresh (models, "gpt-4.1"));
  fake.now += 5 * 60 * G_USEC_PER_SEC;
  g_assert_true (cc_copilot_models_needs_refresh (models, "gpt-4.1"));

  g_assert_cmpint (cc_copilot_models_get_endpoint (models, "claude-opus-4.1"), ==, CC_UPSTREAM_API_MESSAGES);
  g_assert_cmpint (cc_copilot_models_get_endpoint (models, "claude-sonnet-4.5"), ==, CC_UPSTREAM_API_CHAT);
  g_assert_cmpint (cc_copilot_models_get_endpoint (models, "gpt-4.1"), ==, CC_UPSTREAM_API_CHAT);
  g_assert_cmpint (cc_copilot_models_get_endpoint (models, "gpt-5-codex"), ==, CC_UPSTREAM_API_RESPONSES);
  ids = cc_copilot_models_dup_ids (models);
  g_assert_cmpuint (g_strv_length (ids), ==, 4);

  g_assert_cmpstr (listed, ==,
                   "{\"data\":[{\"type\":\"model\",\"id\":\"claude-sonnet-4.5\",\"display_name\":\"Claude Sonnet 4.5\","
                   "\"created_at\":\"2025-10-09T08:53:20Z\"},"
                   "{\"type\":\"model\",\"id\":\"claude-opus-4.1\",\"display_name\":\"Claude Opus 4.1\",\"created_at\":\"1970-01-01T00:00:00Z\"},"
                   "{\"type\":\"model\",\"id\":\"gpt-5-codex\",\"display_name\":\"GPT-5 Codex\",\"created_at\":\"1970-01-01T00:00:00Z\"},"
                   "{\"type\":\"model\",\"id\":\"gpt-4.1\",\"display_name\":\"GPT-4.1\",\"created_at\":\"1970-01-01T00:00:00Z\"}],"
                   "\"has_more\":false,\"first_id\":\"claude-sonnet-4.5\",\"last_id\":\"gpt-4.1\"}");
}

/* ----- routes, through the real server ----- */

typedef struct
{
  CcTestUpstream   *upstream;
  CcProxyRuntime   *runtime;
  CcProxyEventSink *sink;
  CcProxyServer    *server;
  SoupSession      *client;
  char             *github_token;
  GPtrArray        *events;
} Fixture;

static guint fixture_count;

static void
record_event (CcProxyEventSink *sink,
              CcProxyEvent     *event,
              Fixture          *fixture)
{
  g_ptr_array_add (fixture->events, cc_proxy_event_ref (event));
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  const char * const *extra = user_data;
  g_autoptr(GSettingsBackend) backend = g_memory_settings_backend_new ();
  g_autoptr(GPtrArray) env = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  const char *url;

  fixture->upstream = cc_test_upstream_new ();
  url = cc_test_upstream_get_url (fixture->upstream);
  /* A GitHub token per test: the provider's token cache starts afresh. */
  fixture->github_token = g_strdup_printf ("gh-route-token-%u", ++fixture_count);
  g_ptr_array_add (env, g_strdup ("CC_PROXY_PROVIDER=copilot"));
  if (extra == NULL || !g_strv_contains (extra, "CC_PROXY_COPILOT_BASE_URL=http://127.0.0.1:9"))
    g_ptr_array_add (env, g_strconcat ("CC_PROXY_COPILOT_BASE_URL=", url, NULL));
  g_ptr_array_add (env, g_strconcat ("CC_PROXY_GITHUB_API_URL=", url, NULL));
  g_ptr_array_add (env, g_strconcat ("CC_PROXY_GITHUB_URL=", url, NULL));
  if (extra == NULL || !g_strv_contains (extra, "CC_PROXY_COPILOT_GITHUB_TOKEN="))
    g_ptr_array_add (env, g_strconcat ("CC_PROXY_COPILOT_GITHUB_TOKEN=", fixture->github_token, NULL));
  for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
    g_ptr_array_add (env, g_strdup (extra[i]));
  g_ptr_array_add (env, NULL);

  token = token_answer (g_get_real_time () / G_USEC_PER_SEC + 3600, 1500, "copilot-route-token");
  cc_test_upstream_respond (fixture->upstream, TOKEN_PATH, 200, "application/json", token, -1);
  cc_test_upstream_respond (fixture->upstream, "/models", 200, "application/json", models_answer, -1);

  fixture->runtime = cc_proxy_runtime_new_full (registry, (const char * const *) env->pdata, backend);
  fixture->sink = cc_proxy_event_sink_new ();
  fixture->events = g_ptr_array_new_with_free_func ((GDestroyNotify) cc_proxy_event_unref);
  g_signal_connect (fixture->sink, "event", G_CALLBACK (record_event), fixture);
  /* Listens as the capture log does, and to every stream event too. */
  cc_proxy_event_sink_set_body_limit (fixture->sink, 16 * 1024 * 1024);
  cc_proxy_event_sink_hold_progress (fixture->sink);
  fixture->server = cc_proxy_server_new (registry, fixture->runtime, fixture->sink);
  cc_proxy_server_listen (fixture->server, "127.0.0.1:0", &error);
  g_assert_no_error (error);
  fixture->client = soup_session_new_with_options ("timeout", 20, NULL);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  soup_session_abort (fixture->client);
  g_clear_object (&fixture->client);
  cc_test_drain (50);
  g_clear_object (&fixture->server);
  g_clear_object (&fixture->sink);
  g_clear_object (&fixture->runtime);
  g_clear_pointer (&fixture->events, g_ptr_array_unref);
  cc_test_drain (50);
  g_clear_object (&fixture->upstream);
  g_free (fixture->github_token);
}

static char *
request (Fixture      *fixture,
         const char   *method,
         const char   *path,
         const char   *body,
         guint        *status,
         SoupMessage **out)
{
  g_autofree char *url = g_strconcat (cc_proxy_server_get_url (fixture->server), path, NULL);

  return cc_test_request (fixture->client, method, url, body, status, out);
}

static void
assert_json_text (const char *got,
                  const char *expected)
{
  g_autoptr(JsonNode) a = json_from_string (got, NULL);
  g_autoptr(JsonNode) b = json_from_string (expected, NULL);

  if (a == NULL || b == NULL || !json_node_equal (a, b))
    g_error ("got %s\nexpected %s", got, expected);
}

static char *
cc_test_error_type_text (const char *body)
{
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

  return cc_test_error_type (bytes, NULL);
}

static const char *
header (CcTestRecordedRequest *request,
        const char            *name)
{
  return soup_message_headers_get_one (request->headers, name);
}

/* The headers every Copilot call carries. */
static void
assert_copilot_headers (CcTestRecordedRequest *request,
                        const char            *intent)
{
  g_assert_cmpstr (header (request, "Authorization"), ==, "Bearer copilot-route-token");
  g_assert_cmpstr (header (request, "copilot-integration-id"), ==, "vscode-chat");
  g_assert_cmpstr (header (request, "editor-version"), ==, "vscode/1.104.1");
  g_assert_cmpstr (header (request, "editor-plugin-version"), ==, "copilot-chat/0.26.7");
  g_assert_cmpstr (header (request, "user-agent"), ==, "GitHubCopilotChat/0.26.7");
  g_assert_cmpstr (header (request, "openai-intent"), ==, intent);
  g_assert_cmpstr (header (request, "x-github-api-version"), ==, "2025-04-01");
  g_assert_cmpstr (header (request, "x-vscode-user-agent-library-version"), ==, "electron-fetch");
  g_assert_cmpuint (strlen (header (request, "x-request-id")), ==, 36);
}

static void
test_route_messages_translated (Fixture       *fixture,
                                gconstpointer  user_data)
{
  g_autofree char *answer_text = cc_test_load_fixture_text ("openai-response-tools.json");
  g_autofree char *body = cc_test_agent_body ("claude-sonnet-4-5-20250929", FALSE);
  g_autofree char *expected = cc_test_load_expected_text ("anthropic-response-tools.json");
  g_autoptr(JsonNode) sent = json_from_string (body, NULL);
  g_autoptr(JsonNode) translated = cc_openai_request_from_anthropic (json_node_get_object (sent), "claude-sonnet-4.5");
  g_autofree char *want_upstream = json_to_string (translated, FALSE);
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *got = NULL;
  g_autofree char *github_auth = g_strconcat ("token ", fixture->github_token, NULL);
  CcTestRecordedRequest *chat, *exchange;
  guint status;

  cc_test_upstream_respond (fixture->upstream, "/chat/completions", 200, "application/json", answer_text, -1);
  got = request (fixture, "POST", "/v1/messages?beta=true", body, &status, &message);
  g_assert_cmpuint (status, ==, 200);
  assert_json_text (got, expected);
  g_assert_cmpstr (soup_message_headers_get_content_type (soup_message_get_response_headers (message), NULL), ==,
                   "application/json");

  exchange = cc_test_upstream_find_request (fixture->upstream, TOKEN_PATH, 0);
  g_assert_cmpstr (header (exchange, "authorization"), ==, github_auth);

  chat = cc_test_upstream_find_request (fixture->upstream, "/chat/completions", 0);
  g_assert_nonnull (chat);
  assert_json_text (g_bytes_get_data (chat->body, NULL), want_upstream);
  assert_copilot_headers (chat, "conversation-panel");
  /* The last turn holds tool results: the agent's; the first has an image. */
  g_assert_cmpstr (header (chat, "X-Initiator"), ==, "agent");
  g_assert_cmpstr (header (chat, "copilot-vision-request"), ==, "true");
  g_assert_cmpstr (header (chat, "accept"), ==, "application/json");
  g_assert_cmpstr (soup_message_headers_get_content_type (chat->headers, NULL), ==, "application/json");
}

static void
test_route_messages_translated_stream (Fixture       *fixture,
                                       gconstpointer  user_data)
{
  g_autofree char *sse_text = cc_test_load_fixture_text ("openai-stream-parallel-tools.sse");
  g_auto(GStrv) chunks = g_strsplit (sse_text, "\n\n", -1);
  g_autofree char *body = cc_test_agent_body ("claude-sonnet-4-5-20250929", TRUE);
  g_autofree char *expected = cc_test_load_expected_text ("anthropic-from-openai-stream-parallel-tools.sse");
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *got = NULL;
  CcTestRecordedRequest *chat;
  guint status;

  /* Chunks split mid-event on purpose: "\n\n" goes with the next one. */
  for (guint i = 1; chunks[i] != NULL; i++)
    {
      char *joined = g_strconcat ("\n\n", chunks[i], NULL);

      g_free (chunks[i]);
      chunks[i] = joined;
    }
  cc_test_upstream_stream (fixture->upstream, "/chat/completions", (const char * const *) chunks, G_MAXUINT, FALSE);
  got = request (fixture, "POST", "/v1/messages", body, &status, &message);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_content_type (soup_message_get_response_headers (message), NULL), ==,
                   "text/event-stream");
  g_assert_cmpstr (got, ==, expected);

  chat = cc_test_upstream_find_request (fixture->upstream, "/chat/completions", 0);
  g_assert_cmpstr (header (chat, "accept"), ==, "text/event-stream");
  g_assert_nonnull (strstr (g_bytes_get_data (chat->body, NULL), "\"stream_options\":{\"include_usage\":true}"));

  /* The capture side: the assembled message of the translated stream. */
  {
    gboolean found = FALSE;

    for (guint i = 0; i < fixture->events->len; i++)
      {
        CcProxyEvent *event = g_ptr_array_index (fixture->events, i);

        if (event->kind == CC_PROXY_EVENT_RESPONSE_DONE)
          {
            g_autofree char *usage = json_to_string (event->usage, FALSE);

            g_assert_cmpstr (event->stop_reason, ==, "tool_use");
            g_assert_cmpstr (usage, ==, "{\"input_tokens\":100,\"output_tokens\":30}");
            found = TRUE;
          }
      }
    g_assert_true (found);
  }
}

/* A model that speaks Anthropic's API natively gets the body as it is,
 * thinking and all, with the upstream's model name. */
static void
test_route_messages_native (Fixture       *fixture,
                            gconstpointer  user_data)
{
  static const char native_answer[] = "{\"id\":\"msg_native\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],"
                                      "\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}";
  g_autofree char *body = cc_test_agent_body ("claude-opus-4-1-20250805", FALSE);
  g_autoptr(JsonNode) want = json_from_string (body, NULL);
  g_autofree char *want_text = NULL;
  g_autofree char *got = NULL;
  CcTestRecordedRequest *native;
  guint status;

  json_object_set_string_member (json_node_get_object (want), "model", "claude-opus-4.1");
  want_text = json_to_string (want, FALSE);
  cc_test_upstream_respond (fixture->upstream, "/v1/messages", 200, "application/json", native_answer, -1);
  got = request (fixture, "POST", "/v1/messages", body, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (got, ==, native_answer);

  native = cc_test_upstream_find_request (fixture->upstream, "/v1/messages", 0);
  assert_json_text (g_bytes_get_data (native->body, NULL), want_text);
  assert_copilot_headers (native, "messages-proxy");
  g_assert_cmpstr (header (native, "anthropic-beta"), ==, "interleaved-thinking-2025-05-14");
  g_assert_cmpstr (header (native, "anthropic-version"), ==, "2023-06-01");
  g_assert_cmpuint (cc_test_upstream_count_requests (fixture->upstream, "/chat/completions"), ==, 0);
}

/* A model Copilot serves only on /responses: the request goes there,
 * as Responses input items, and the answer comes back as Anthropic's,
 * whole or streamed. */
static void
test_route_messages_responses_only (Fixture       *fixture,
                                    gconstpointer  user_data)
{
  g_autofree char *body = cc_test_agent_body ("gpt-5-codex", FALSE);
  g_autofree char *stream_body = cc_test_agent_body ("gpt-5-codex", TRUE);
  g_autofree char *answer = cc_test_load_fixture_text ("responses-response-tools.json");
  g_autofree char *sse = cc_test_load_fixture_text ("responses-stream-tools.sse");
  g_autofree char *expected_stream = cc_test_load_expected_text ("anthropic-from-responses-stream-tools.sse");
  g_autofree char *expected_answer = cc_test_load_expected_text ("anthropic-from-responses-response-tools.json");
  const char *chunks[] = { sse, NULL };
  g_autofree char *got = NULL;
  g_autofree char *streamed = NULL;
  g_autoptr(JsonNode) sent = NULL;
  CcTestRecordedRequest *upstream;
  guint status;

  cc_test_upstream_respond (fixture->upstream, "/responses", 200, "application/json", answer, -1);
  got = request (fixture, "POST", "/v1/messages", body, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  assert_json_text (got, expected_answer);

  upstream = cc_test_upstream_find_request (fixture->upstream, "/responses", 0);
  g_assert_nonnull (upstream);
  sent = json_from_string (g_bytes_get_data (upstream->body, NULL), NULL);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (sent), "model"), ==, "gpt-5-codex");
  g_assert_true (json_object_has_member (json_node_get_object (sent), "input"));
  g_assert_false (json_object_has_member (json_node_get_object (sent), "messages"));
  g_assert_false (json_object_get_boolean_member (json_node_get_object (sent), "store"));
  assert_copilot_headers (upstream, "conversation-panel");
  g_assert_cmpuint (cc_test_upstream_count_requests (fixture->upstream, "/chat/completions"), ==, 0);

  cc_test_upstream_stream (fixture->upstream, "/responses", chunks, G_MAXUINT, FALSE);
  streamed = request (fixture, "POST", "/v1/messages", stream_body, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (streamed, ==, expected_stream);
}

/* A body nested far past json-glib's recursion is refused before any
 * parse; the next request is served. */
static void
test_route_messages_deep_json (Fixture       *fixture,
                               gconstpointer  user_data)
{
  g_autoptr(GString) deep = g_string_new ("{\"model\":\"gpt-4.1\",\"messages\":");
  g_autofree char *body = cc_test_agent_body ("gpt-4.1", FALSE);
  g_autofree char *got = NULL;
  g_autofree char *next = NULL;
  g_autofree char *answer = cc_test_load_fixture_text ("openai-response-tools.json");
  guint status;

  for (guint i = 0; i < 200000; i++)
    g_string_append_c (deep, '[');
  for (guint i = 0; i < 200000; i++)
    g_string_append_c (deep, ']');
  g_string_append_c (deep, '}');
  got = request (fixture, "POST", "/v1/messages", deep->str, &status, NULL);
  g_assert_cmpuint (status, ==, 400);
  assert_json_text (got, "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":"
                         "\"The request body nests arrays and objects more than 128 levels deep\"}}");

  cc_test_upstream_respond (fixture->upstream, "/chat/completions", 200, "application/json", answer, -1);
  next = request (fixture, "POST", "/v1/messages", body, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
}

/* An upstream error body is read up to a cap, never whole. */
static void
test_route_messages_error_body_cap (Fixture       *fixture,
                                    gconstpointer  user_data)
{
  g_autofree char *body = cc_test_agent_body ("gpt-4.1", FALSE);
  gsize size = 2 * 1024 * 1024;
  g_autofree char *huge = memset (g_malloc (size + 1), ' ', size);
  g_autofree char *got = NULL;
  guint status;

  huge[size] = '\0';
  cc_test_upstream_respond (fixture->upstream, "/chat/completions", 400, "application/json", huge, -1);
  got = request (fixture, "POST", "/v1/messages", body, &status, NULL);
  g_assert_cmpuint (status, ==, 502);
  assert_json_text (got, "{\"type\":\"error\",\"error\":{\"type\":\"api_error\","
                         "\"message\":\"Copilot's answer is larger than 1 MiB\"}}");
}

/* Upstream errors keep their status and message, typed by status. */
static void
test_route_messages_errors (Fixture       *fixture,
                            gconstpointer  user_data)
{
  g_autofree char *body = cc_test_agent_body ("gpt-4.1", FALSE);
  g_autofree char *overloaded = NULL, *bad = NULL;
  guint status;

  cc_test_upstream_respond (fixture->upstream, "/chat/completions", 503, "application/json",
                            "{\"error\":{\"message\":\"try later\"}}", -1);
  overloaded = request (fixture, "POST", "/v1/messages", body, &status, NULL);
  g_assert_cmpuint (status, ==, 503);
  g_assert_cmpstr (overloaded, ==, "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"try later\"}}");

  cc_test_upstream_respond (fixture->upstream, "/chat/completions", 400, "text/html", "<html>", -1);
  bad = request (fixture, "POST", "/v1/messages", body, &status, NULL);
  g_assert_cmpuint (status, ==, 400);
  g_assert_cmpstr (bad, ==, "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"Upstream provider error\"}}");
}

/* Told to slow down, the client learns for how long: Retry-After and
 * the rate-limit counts reach it, under a status line that names 429. */
static void
test_route_messages_rate_limited (Fixture       *fixture,
                                  gconstpointer  user_data)
{
  g_autofree char *body = cc_test_agent_body ("gpt-4.1", FALSE);
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *got = NULL;
  SoupMessageHeaders *headers;
  guint status;

  cc_test_upstream_respond (fixture->upstream, "/chat/completions", 429, "application/json",
                            "{\"error\":{\"message\":\"slow down\"}}", -1);
  cc_test_upstream_add_header (fixture->upstream, "/chat/completions", "Retry-After", "7");
  cc_test_upstream_add_header (fixture->upstream, "/chat/completions", "x-ratelimit-remaining-requests", "0");
  cc_test_upstream_add_header (fixture->upstream, "/chat/completions", "x-ratelimit-limit-tokens", "90000");
  cc_test_upstream_add_header (fixture->upstream, "/chat/completions", "x-ratelimit-reset-requests", "6m0s");
  got = request (fixture, "POST", "/v1/messages", body, &status, &message);
  headers = soup_message_get_response_headers (message);

  g_assert_cmpuint (status, ==, 429);
  g_assert_cmpstr (soup_message_get_reason_phrase (message), ==, "Too Many Requests");
  g_assert_cmpstr (got, ==, "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"slow down\"}}");
  g_assert_cmpstr (soup_message_headers_get_one (headers, "retry-after"), ==, "7");
  g_assert_cmpstr (soup_message_headers_get_one (headers, "anthropic-ratelimit-requests-remaining"), ==, "0");
  g_assert_cmpstr (soup_message_headers_get_one (headers, "anthropic-ratelimit-tokens-limit"), ==, "90000");
  /* OpenAI's reset is a duration, Anthropic's a time: not passed as one. */
  g_assert_null (soup_message_headers_get_one (headers, "anthropic-ratelimit-requests-reset"));
  g_assert_null (soup_message_headers_get_one (headers, "x-ratelimit-reset-requests"));
}

/* A stream cut before its end: an error event ends it. */
static void
test_route_messages_stream_cut (Fixture       *fixture,
                                gconstpointer  user_data)
{
  g_autofree char *sse_text = cc_test_load_fixture_text ("openai-stream-cut.sse");
  const char *chunks[] = { sse_text, NULL };
  g_autofree char *body = cc_test_agent_body ("gpt-4.1", TRUE);
  g_autofree char *expected = cc_test_load_expected_text ("anthropic-from-openai-stream-cut.sse");
  guint status;
  g_autofree char *got = NULL;

  cc_test_upstream_stream (fixture->upstream, "/chat/completions", chunks, G_MAXUINT, FALSE);
  got = request (fixture, "POST", "/v1/messages", body, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (got, ==, expected);
}

static void
test_route_count_tokens (Fixture       *fixture,
                         gconstpointer  user_data)
{
  g_autofree char *agent_text = cc_test_load_fixture_text ("anthropic-request-agent.json");
  g_autoptr(JsonNode) node = json_from_string (agent_text, NULL);
  g_autofree char *want = g_strdup_printf ("{\"input_tokens\":%" G_GINT64_FORMAT "}",
                                           cc_openai_count_tokens (json_node_get_object (node), "claude-sonnet-4-5-20250929"));
  guint status;
  g_autofree char *got = request (fixture, "POST", "/v1/messages/count_tokens", agent_text, &status, NULL);
  g_autofree char *broken = NULL;

  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (got, ==, want);
  /* A bad payload still gets a number. */
  broken = request (fixture, "POST", "/v1/messages/count_tokens", "{not json at all", &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (broken, ==, "{\"input_tokens\":4}");
  /* Never upstream: not even for a token. */
  g_assert_cmpuint (cc_test_upstream_get_n_requests (fixture->upstream), ==, 0);
}

static void
test_route_models (Fixture       *fixture,
                   gconstpointer  user_data)
{
  guint status;
  g_autofree char *raw = request (fixture, "GET", "/models", NULL, &status, NULL);
  g_autofree char *anthropic = NULL;

  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (raw, ==, models_answer);
  anthropic = request (fixture, "GET", "/v1/models", NULL, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_true (g_str_has_prefix (anthropic, "{\"data\":[{\"type\":\"model\",\"id\":\"claude-sonnet-4.5\",\"display_name\":"
                                              "\"Claude Sonnet 4.5\",\"created_at\":\"2025-10-09T08:53:20Z\"}"));
  g_assert_true (g_str_has_suffix (anthropic, "\"has_more\":false,\"first_id\":\"claude-sonnet-4.5\",\"last_id\":\"gpt-4.1\"}"));
  assert_copilot_headers (cc_test_upstream_find_request (fixture->upstream, "/models", 0), "conversation-panel");

  /* Wrong method: 405 with the one allowed. */
  {
    g_autoptr(SoupMessage) message = NULL;
    g_autofree char *refused = request (fixture, "POST", "/v1/models", "{}", &status, &message);

    g_assert_cmpuint (status, ==, 405);
    g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (message), "Allow"), ==, "GET");
  }
}

/* Copilot bills X-Initiator "user" as a premium request: only the turn
 * the user typed is sent so, not a subagent's (x-claude-code-agent-id),
 * a background call (the haiku model) or the compaction. */
static void
test_route_initiator (Fixture       *fixture,
                      gconstpointer  user_data)
{
  static const struct { const char *model; const char *agent; const char *text; const char *expected; } cases[] = {
    { "claude-sonnet-4-5", NULL, "fix the bug", "user" },
    { "claude-sonnet-4-5", "agent-7", "fix the bug", "agent" },
    { "claude-haiku-4-5", NULL, "a title for this", "agent" },
    { "claude-sonnet-4-5", NULL, "Your task is to create a detailed summary of the conversation so far", "agent" },
  };
  g_autofree char *answer = cc_test_load_fixture_text ("openai-response-tools.json");
  g_autofree char *url = g_strconcat (cc_proxy_server_get_url (fixture->server), "/v1/messages", NULL);

  cc_test_upstream_respond (fixture->upstream, "/chat/completions", 200, "application/json", answer, -1);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"model\":\"%s\",\"max_tokens\":9,\"messages\":[{\"role\":\"user\","
                                               "\"content\":[{\"type\":\"text\",\"text\":\"%s\"}]}]}",
                                               cases[i].model, cases[i].text);
      g_autoptr(SoupMessage) message = soup_message_new ("POST", url);
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
      g_autoptr(GBytes) got = NULL;
      g_autoptr(GError) error = NULL;

      soup_message_set_request_body_from_bytes (message, "application/json", bytes);
      if (cases[i].agent != NULL)
        soup_message_headers_append (soup_message_get_request_headers (message), "x-claude-code-agent-id", cases[i].agent);
      got = cc_test_send (fixture->client, message, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (soup_message_get_status (message), ==, 200);
      g_assert_cmpstr (header (cc_test_upstream_find_request (fixture->upstream, "/chat/completions", i), "X-Initiator"),
                       ==, cases[i].expected);
      /* What it costs, for the session counts: the model's multiplier
       * (1 where /models says none) for the user's turn, else nothing. */
      g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (message),
                                                     CC_PROXY_PREMIUM_REQUESTS_HEADER),
                       ==, g_str_equal (cases[i].expected, "user") ? "1" : "0");
    }
}

/* OpenAI-style routes go through as they are, streams included. */
static void
test_route_passthrough (Fixture       *fixture,
                        gconstpointer  user_data)
{
  g_autofree char *sse_text = cc_test_load_fixture_text ("openai-stream-text.sse");
  const char *chunks[] = { sse_text, NULL };
  static const char chat_body[] = "{\"model\":\"gpt-4.1\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":"
                                  "[{\"type\":\"text\",\"text\":\"hi\"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:x\"}}]}]}";
  static const char embeddings_body[] = "{\"model\":\"text-embedding-3-small\",\"input\":\"hi\"}";
  guint status;
  g_autofree char *streamed = NULL, *embedded = NULL, *usage = NULL;
  CcTestRecordedRequest *chat;

  cc_test_upstream_stream (fixture->upstream, "/chat/completions", chunks, G_MAXUINT, FALSE);
  cc_test_upstream_respond (fixture->upstream, "/embeddings", 200, "application/json", "{\"data\":[]}", -1);
  cc_test_upstream_respond (fixture->upstream, "/copilot_internal/user", 200, "application/json", "{\"plan\":\"fx\"}", -1);

  streamed = request (fixture, "POST", "/v1/chat/completions", chat_body, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (streamed, ==, sse_text);
  chat = cc_test_upstream_find_request (fixture->upstream, "/chat/completions", 0);
  g_assert_cmpstr (g_bytes_get_data (chat->body, NULL), ==, chat_body);
  g_assert_cmpstr (header (chat, "X-Initiator"), ==, "user");
  g_assert_cmpstr (header (chat, "copilot-vision-request"), ==, "true");

  embedded = request (fixture, "POST", "/embeddings", embeddings_body, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (embedded, ==, "{\"data\":[]}");
  g_assert_null (header (cc_test_upstream_find_request (fixture->upstream, "/embeddings", 0), "copilot-vision-request"));

  usage = request (fixture, "GET", "/v1/usage", NULL, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (usage, ==, "{\"plan\":\"fx\"}");
  {
    g_autofree char *auth = g_strconcat ("token ", fixture->github_token, NULL);

    g_assert_cmpstr (header (cc_test_upstream_find_request (fixture->upstream, "/copilot_internal/user", 0),
                             "authorization"), ==, auth);
  }
}

static const char * const expose_env[] = { "CC_PROXY_TEST_UNUSED=1", NULL };

static void
test_route_token_hidden (Fixture       *fixture,
                         gconstpointer  user_data)
{
  guint status;
  g_autofree char *got = request (fixture, "GET", "/token", NULL, &status, NULL);
  g_autofree char *v1 = request (fixture, "GET", "/v1/token", NULL, &status, NULL);

  g_assert_cmpuint (status, ==, 404);
  g_assert_cmpstr (got, ==, "{\"type\":\"error\",\"error\":{\"type\":\"not_found_error\",\"message\":"
                            "\"Not found: the token routes are served only when the copilot provider's expose-token is on\"}}");
  g_assert_cmpstr (v1, ==, got);
  g_assert_cmpuint (cc_test_upstream_get_n_requests (fixture->upstream), ==, 0);
}

static gboolean
has_finished (gpointer user_data)
{
  Fixture *fixture = user_data;

  for (guint i = 0; i < fixture->events->len; i++)
    if (((CcProxyEvent *) g_ptr_array_index (fixture->events, i))->kind == CC_PROXY_EVENT_RESPONSE_DONE)
      return TRUE;
  return FALSE;
}

static void
test_route_token_exposed (Fixture       *fixture,
                          gconstpointer  user_data)
{
  guint status;
  g_autofree char *got = NULL;
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  gboolean reported = FALSE;

  g_assert_true (cc_proxy_settings_set_value (cc_proxy_runtime_get_settings (fixture->runtime), "copilot", "expose-token", "true", NULL));
  got = request (fixture, "GET", "/token", NULL, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (got, ==, "{\"token\":\"copilot-route-token\"}");

  /* The client gets the token; the capture log and listeners do not. */
  cc_test_wait_for (has_finished, fixture);
  for (guint i = 0; i < fixture->events->len; i++)
    {
      g_autofree char *day = NULL;
      g_autofree char *line = cc_proxy_capture_log_format_event (g_ptr_array_index (fixture->events, i), utc, &day);

      g_assert_null (strstr (line, "copilot-route-token"));
      reported |= strstr (line, "\"body\":{\"token\":\"[redacted]\"}") != NULL;
    }
  g_assert_true (reported);
}

/* Copilot says 401: the token is dropped, exchanged again, and the call
 * retried once; a second 401 reaches the client. */
static void
test_route_retry_401 (Fixture       *fixture,
                      gconstpointer  user_data)
{
  g_autofree char *body = cc_test_agent_body ("gpt-4.1", FALSE);
  g_autofree char *answer_text = cc_test_load_fixture_text ("openai-response-tools.json");
  g_autofree char *refusal_text = cc_test_load_fixture_text ("openai-error-401.json");
  g_autofree char *ok = NULL, *refused = NULL;
  guint status;

  cc_test_upstream_respond_once (fixture->upstream, "/chat/completions", 401, "application/json", refusal_text);
  cc_test_upstream_respond (fixture->upstream, "/chat/completions", 200, "application/json", answer_text, -1);
  ok = request (fixture, "POST", "/v1/messages", body, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpuint (cc_test_upstream_count_requests (fixture->upstream, "/chat/completions"), ==, 2);
  g_assert_cmpuint (cc_test_upstream_count_requests (fixture->upstream, TOKEN_PATH), ==, 2);

  cc_test_upstream_respond (fixture->upstream, "/chat/completions", 401, "application/json", refusal_text, -1);
  refused = request (fixture, "POST", "/v1/messages", body, &status, NULL);
  g_assert_cmpuint (status, ==, 401);
  g_assert_cmpstr (refused, ==, "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"Bad credentials\"}}");
  g_assert_cmpuint (cc_test_upstream_count_requests (fixture->upstream, "/chat/completions"), ==, 4);
}

static void
test_route_exchange_refused (Fixture       *fixture,
                             gconstpointer  user_data)
{
  g_autofree char *body = cc_test_agent_body ("gpt-4.1", FALSE);
  guint status;
  g_autofree char *got = NULL;
  g_autoptr(SoupMessage) message = NULL;

  cc_test_upstream_respond (fixture->upstream, TOKEN_PATH, 403, "application/json", "{}", -1);
  got = request (fixture, "POST", "/v1/messages", body, &status, &message);
  g_assert_cmpuint (status, ==, 401);
  /* Claude Code shows it at once instead of retrying for minutes. */
  g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (message), "x-should-retry"), ==,
                   "false");
  g_assert_cmpstr (got, ==, "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":"
                            "\"GitHub refused the Copilot token exchange (HTTP 403): sign in again with "
                            "“cc-proxyctl auth copilot --force”\"}}");
  g_assert_cmpuint (cc_test_upstream_count_requests (fixture->upstream, "/chat/completions"), ==, 0);
}

static const char * const down_env[] = { "CC_PROXY_COPILOT_BASE_URL=http://127.0.0.1:9", NULL };

/* Copilot cannot be reached: 502, from the core. */
static void
test_route_upstream_down (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autofree char *body = cc_test_agent_body ("gpt-4.1", FALSE);
  guint status;
  g_autofree char *got = request (fixture, "POST", "/v1/messages", body, &status, NULL);
  g_autofree char *type = cc_test_error_type_text (got);

  g_assert_cmpuint (status, ==, 502);
  g_assert_cmpstr (type, ==, "api_error");
}

/* Rate limit: the second request within the interval gets 429 with a
 * retry-after; requests refused before reaching upstream use no slot. */
static void
test_route_rate_limit_rejects (Fixture       *fixture,
                               gconstpointer  user_data)
{
  g_autofree char *body = cc_test_agent_body ("gpt-4.1", FALSE);
  g_autofree char *answer_text = cc_test_load_fixture_text ("openai-response-tools.json");
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *first = NULL, *second = NULL, *free_route = NULL;
  g_autoptr(GError) error = NULL;
  guint status;
  guint64 retry;

  g_assert_false (cc_proxy_settings_set_value (cc_proxy_runtime_get_settings (fixture->runtime), "copilot", "rate-limit-seconds", "soon", &error));
  g_assert_error (error, CC_PROXY_SETTINGS_ERROR, CC_PROXY_SETTINGS_ERROR_INVALID_VALUE);
  g_assert_true (cc_proxy_settings_set_value (cc_proxy_runtime_get_settings (fixture->runtime), "copilot", "rate-limit-seconds", "300", NULL));
  cc_test_upstream_respond (fixture->upstream, "/chat/completions", 200, "application/json", answer_text, -1);

  first = request (fixture, "POST", "/v1/messages", body, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  second = request (fixture, "POST", "/v1/messages", body, &status, &message);
  g_assert_cmpuint (status, ==, 429);
  g_assert_true (g_str_has_prefix (second, "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":"
                                           "\"Rate limit: the next request may start in "));
  g_assert_nonnull (strstr (second, "rate-limit-wait"));
  retry = g_ascii_strtoull (soup_message_headers_get_one (soup_message_get_response_headers (message), "retry-after"), NULL, 10);
  g_assert_cmpuint (retry, >=, 1);
  g_assert_cmpuint (retry, <=, 300);
  /* count_tokens is local: not limited. */
  free_route = request (fixture, "POST", "/v1/messages/count_tokens", body, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpuint (cc_test_upstream_count_requests (fixture->upstream, "/chat/completions"), ==, 1);
  g_assert_true (cc_proxy_settings_set_value (cc_proxy_runtime_get_settings (fixture->runtime), "copilot", "rate-limit-seconds", "0", NULL));
}

typedef struct
{
  guint done;
  guint statuses[2];
} Pair;

static void
on_pair_sent (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Pair *pair = user_data;
  SoupMessage *message = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);

  pair->statuses[pair->done++] = soup_message_get_status (message);
}

static gboolean
pair_done (gpointer user_data)
{
  return ((Pair *) user_data)->done == 2;
}

/* With rate-limit-wait the second request waits its turn instead. */
static void
test_route_rate_limit_waits (Fixture       *fixture,
                             gconstpointer  user_data)
{
  g_autofree char *body = cc_test_agent_body ("gpt-4.1", FALSE);
  g_autofree char *answer_text = cc_test_load_fixture_text ("openai-response-tools.json");
  g_autofree char *url = g_strconcat (cc_proxy_server_get_url (fixture->server), "/v1/messages", NULL);
  Pair pair = { 0 };

  g_assert_true (cc_proxy_settings_set_value (cc_proxy_runtime_get_settings (fixture->runtime), "copilot", "rate-limit-seconds", "1", NULL));
  g_assert_true (cc_proxy_settings_set_value (cc_proxy_runtime_get_settings (fixture->runtime), "copilot", "rate-limit-wait", "true", NULL));
  cc_test_upstream_respond (fixture->upstream, "/chat/completions", 200, "application/json", answer_text, -1);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(SoupMessage) message = soup_message_new ("POST", url);
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (message, "application/json", bytes);
      soup_session_send_and_read_async (fixture->client, message, G_PRIORITY_DEFAULT, NULL, on_pair_sent, &pair);
    }
  cc_test_wait_for (pair_done, &pair);
  g_assert_cmpuint (pair.statuses[0], ==, 200);
  g_assert_cmpuint (pair.statuses[1], ==, 200);
  g_assert_cmpuint (cc_test_upstream_count_requests (fixture->upstream, "/chat/completions"), ==, 2);
  g_assert_true (cc_proxy_settings_set_value (cc_proxy_runtime_get_settings (fixture->runtime), "copilot", "rate-limit-seconds", "0", NULL));
}

static const char * const no_login_env[] = { "CC_PROXY_COPILOT_GITHUB_TOKEN=", "GITHUB_TOKEN=", NULL };

static void
test_route_no_credentials (Fixture       *fixture,
                           gconstpointer  user_data)
{
  g_autofree char *body = cc_test_agent_body ("gpt-4.1", FALSE);
  guint status;
  g_autofree char *got = request (fixture, "POST", "/v1/messages", body, &status, NULL);

  g_assert_cmpuint (status, ==, 401);
  g_assert_cmpstr (got, ==, "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":"
                            "\"Not signed in to GitHub Copilot: run “cc-proxyctl auth copilot”, or set "
                            "GITHUB_COPILOT_TOKEN or CC_PROXY_COPILOT_GITHUB_TOKEN\"}}");
  g_assert_cmpuint (cc_test_upstream_get_n_requests (fixture->upstream), ==, 0);
}

/* A GITHUB_TOKEN in the environment (CI's, gh's) is not taken for a
 * Copilot login: it would outrank the one in the keyring. */
static const char * const generic_token_env[] = { "CC_PROXY_COPILOT_GITHUB_TOKEN=", "GITHUB_TOKEN=gh-generic-ci-token", NULL };

/* ----- the provider's login capability ----- */

static void
keep_flow_result (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static gboolean
flow_done (gpointer user_data)
{
  return *(GAsyncResult **) user_data != NULL;
}

/* Already signed in: refused without force, with the way to force. */
static void
test_auth_refuses_without_force (Fixture       *fixture,
                                 gconstpointer  user_data)
{
  CcProxyProvider *provider = cc_proxy_registry_lookup (registry, "copilot");
  g_autoptr(CcProxyAuthPrompt) prompt = cc_proxy_auth_prompt_new (cc_proxy_runtime_get_snapshot (fixture->runtime));
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CcProxyAuthResult) auth = NULL;

  cc_proxy_auth_capable_run_auth_flow_async (CC_PROXY_AUTH_CAPABLE (provider), FALSE, prompt, NULL, keep_flow_result, &result);
  cc_test_wait_for (flow_done, &result);
  auth = cc_proxy_auth_capable_run_auth_flow_finish (CC_PROXY_AUTH_CAPABLE (provider), result, &error);
  g_assert_null (auth);
  g_assert_cmpstr (error->message, ==, "Already signed in to GitHub (a token from the environment): "
                                       "use “cc-proxyctl auth copilot --force” to sign in again");
  g_assert_cmpuint (cc_test_upstream_get_n_requests (fixture->upstream), ==, 0);
}

/* With force: the flow runs against the mock, stores the GitHub token,
 * activates the provider and checks the exchange once. */
static void
test_auth_force (Fixture       *fixture,
                 gconstpointer  user_data)
{
  CcProxyProvider *provider = cc_proxy_registry_lookup (registry, "copilot");
  g_autoptr(CcProxyAuthPrompt) prompt = cc_proxy_auth_prompt_new (cc_proxy_runtime_get_snapshot (fixture->runtime));
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CcProxyAuthResult) auth = NULL;
  static const char quick_code[] = "{\"device_code\":\"fx-device\",\"user_code\":\"WDJB-MJHT\","
                                   "\"verification_uri\":\"https://github.com/login/device\",\"expires_in\":60,\"interval\":0}";

  cc_test_upstream_respond (fixture->upstream, "/login/device/code", 200, "application/json", quick_code, -1);
  cc_test_upstream_respond (fixture->upstream, POLL_PATH, 200, "application/json", "{\"access_token\":\"gho_forced\"}", -1);
  cc_proxy_auth_capable_run_auth_flow_async (CC_PROXY_AUTH_CAPABLE (provider), TRUE, prompt, NULL, keep_flow_result, &result);
  cc_test_wait_for (flow_done, &result);
  auth = cc_proxy_auth_capable_run_auth_flow_finish (CC_PROXY_AUTH_CAPABLE (provider), result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cc_proxy_auth_result_get_message (auth), ==, "Signed in to GitHub Copilot");
  g_assert_cmpstr (g_hash_table_lookup (cc_proxy_auth_result_get_values (auth), "github-token"), ==, "gho_forced");
  g_assert_true (cc_proxy_auth_result_get_activate (auth));
  g_assert_cmpstr (header (cc_test_upstream_find_request (fixture->upstream, TOKEN_PATH, 0), "authorization"), ==,
                   "token gho_forced");
}

int
main (int   argc,
      char *argv[])
{
  static const char * const fixed_token_env = "GITHUB_COPILOT_TOKEN=fixed-copilot-token";
  static const char * const unit_login_env = "CC_PROXY_COPILOT_GITHUB_TOKEN=gh-unit-token";
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_summary ("The copilot provider against a mock Copilot and GitHub");

  registry = cc_proxy_registry_new ();
  cc_proxy_registry_load_modules (registry, g_getenv ("CC_PROXY_TEST_COPILOT_DIR"));
  g_assert_nonnull (cc_proxy_registry_lookup (registry, "copilot"));

#define UNIT(path, env, func) g_test_add ("/copilot/" path, Unit, env, unit_set_up, func, unit_tear_down)
  UNIT ("tokens/refresh-timing", unit_login_env, test_tokens_refresh_timing);
  UNIT ("tokens/expiry-first", unit_login_env, test_tokens_expiry_first);
  UNIT ("tokens/shared-refresh", unit_login_env, test_tokens_shared_refresh);
  UNIT ("tokens/failure-backoff", unit_login_env, test_tokens_failure_backoff);
  UNIT ("tokens/no-credentials", NULL, test_tokens_no_credentials);
  UNIT ("tokens/fixed", fixed_token_env, test_tokens_fixed);
  UNIT ("limiter/refuses", NULL, test_limiter_refuses);
  UNIT ("limiter/waits-in-order", NULL, test_limiter_waits);
  UNIT ("login/pending-slow-down-success", NULL, test_login_success);
  UNIT ("login/denied", NULL, test_login_denied);
  UNIT ("login/expired", NULL, test_login_expired);
  UNIT ("login/times-out", NULL, test_login_times_out);
  UNIT ("login/cancel", NULL, test_login_cancel);
#undef UNIT
  g_test_add_func ("/copilot/models", test_models);
#define ROUTE(path, env, func) g_test_add ("/copilot/route/" path, Fixture, env, fixture_set_up, func, fixture_tear_down)
  ROUTE ("messages/translated", NULL, test_route_messages_translated);
  ROUTE ("messages/translated-stream", NULL, test_route_messages_translated_stream);
  ROUTE ("messages/native", NULL, test_route_messages_native);
  ROUTE ("messages/responses-only", NULL, test_route_messages_responses_only);
  ROUTE ("messages/deep-json", NULL, test_route_messages_deep_json);
  ROUTE ("no-credentials/generic-github-token", generic_token_env, test_route_no_credentials);
  ROUTE ("messages/error-body-cap", NULL, test_route_messages_error_body_cap);
  ROUTE ("messages/upstream-errors", NULL, test_route_messages_errors);
  ROUTE ("messages/rate-limited", NULL, test_route_messages_rate_limited);
  ROUTE ("messages/stream-cut", NULL, test_route_messages_stream_cut);
  ROUTE ("count-tokens", NULL, test_route_count_tokens);
  ROUTE ("models", NULL, test_route_models);
  ROUTE ("passthrough", NULL, test_route_passthrough);
  ROUTE ("initiator", NULL, test_route_initiator);
  ROUTE ("token/hidden", NULL, test_route_token_hidden);
  ROUTE ("token/exposed", expose_env, test_route_token_exposed);
  ROUTE ("retry-401", NULL, test_route_retry_401);
  ROUTE ("exchange-refused", NULL, test_route_exchange_refused);
  ROUTE ("rate-limit/rejects", NULL, test_route_rate_limit_rejects);
  ROUTE ("rate-limit/waits", NULL, test_route_rate_limit_waits);
  ROUTE ("no-credentials", no_login_env, test_route_no_credentials);
  ROUTE ("upstream-down", down_env, test_route_upstream_down);
  ROUTE ("auth/refuses-without-force", NULL, test_auth_refuses_without_force);
  ROUTE ("auth/force", NULL, test_auth_force);
#undef ROUTE

  status = g_test_run ();
  g_clear_object (&registry);
  return status;
}
