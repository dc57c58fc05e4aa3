/* cc-copilot-login.c: GitHub's device flow
 *
 * Ask GitHub for a device code, show the person where to enter it (before
 * polling starts: a flow that never shows the code cannot be completed),
 * then poll every interval (+1 s) until GitHub says yes, no, or the code
 * expires. slow_down adds 5 s to the interval, as GitHub asks.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "cc-copilot"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "cc-copilot-login.h"

typedef struct
{
  SoupSession          *session;
  CcProxyAuthPrompt    *prompt;
  const CcUpstreamClock *clock;
  char                 *github_url;
  char                 *device_code;
  guint                 interval;     /* seconds */
  gint64                expires_at;   /* µs */
  guint                 timer;
  gulong                cancelled_id;
} Login;

static void
login_free (Login *login)
{
  g_clear_object (&login->session);
  g_clear_object (&login->prompt);
  g_free (login->github_url);
  g_free (login->device_code);
  g_free (login);
}

/* Takes @body. */
static SoupMessage *
post_json (Login      *login,
           const char *path,
           JsonObject *body)
{
  g_autoptr(JsonObject) owned = body;
  g_autoptr(JsonNode) node = cc_proxy_json_node_new_object (owned);
  g_autofree char *text = cc_proxy_json_to_string (node);
  g_autoptr(GBytes) bytes = g_bytes_new (text, strlen (text));
  SoupMessage *message = cc_upstream_new_message (CC_COPILOT_PROVIDER_ID, "POST", login->github_url, path, NULL);

  if (message == NULL)
    return NULL;
  soup_message_headers_replace (soup_message_get_request_headers (message), "accept", "application/json");
  soup_message_set_request_body_from_bytes (message, "application/json", bytes);
  return message;
}

static JsonObject *
read_answer (GObject      *source,
             GAsyncResult *result,
             GError      **error)
{
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, error);
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) node = NULL;

  if (body == NULL)
    return NULL;
  text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  node = cc_proxy_json_parse (text, -1, NULL);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, CC_COPILOT_ERROR, CC_COPILOT_ERROR_LOGIN_FAILED,
                   _("GitHub's answer was not JSON: check the github-url setting"));
      return NULL;
    }
  return json_object_ref (json_node_get_object (node));
}

static void poll_later (GTask *task);

static void
on_polled (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Login *login = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) answer = read_answer (source, result, &error);
  const char *problem;

  if (answer == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (cc_proxy_json_get_string (answer, "access_token") != NULL)
    {
      g_task_return_pointer (task, g_strdup (cc_proxy_json_get_string (answer, "access_token")), g_free);
      return;
    }

  problem = cc_proxy_json_get_string (answer, "error");
  if (g_strcmp0 (problem, "authorization_pending") == 0)
    poll_later (g_steal_pointer (&task));
  else if (g_strcmp0 (problem, "slow_down") == 0)
    {
      login->interval += 5;
      poll_later (g_steal_pointer (&task));
    }
  else if (g_strcmp0 (problem, "expired_token") == 0)
    g_task_return_new_error (task, CC_COPILOT_ERROR, CC_COPILOT_ERROR_LOGIN_FAILED,
                             _("The code expired before it was entered: run the login again"));
  else if (g_strcmp0 (problem, "access_denied") == 0)
    g_task_return_new_error (task, CC_COPILOT_ERROR, CC_COPILOT_ERROR_LOGIN_FAILED,
                             _("The login was refused on GitHub"));
  else
    g_task_return_new_error (task, CC_COPILOT_ERROR, CC_COPILOT_ERROR_LOGIN_FAILED,
                             _("GitHub ended the login: %s"), problem ? problem : _("no token and no reason"));
}

static gboolean
poll_now (gpointer user_data)
{
  GTask *task = user_data;
  Login *login = g_task_get_task_data (task);
  JsonObject *body = json_object_new ();
  g_autoptr(SoupMessage) message = NULL;

  login->timer = 0;
  if (login->clock->now (login->clock->data) >= login->expires_at)
    {
      g_task_return_new_error (task, CC_COPILOT_ERROR, CC_COPILOT_ERROR_LOGIN_FAILED,
                               _("The code expired before it was entered: run the login again"));
      g_object_unref (task);
      json_object_unref (body);
      return G_SOURCE_REMOVE;
    }
  json_object_set_string_member (body, "client_id", CC_COPILOT_CLIENT_ID);
  json_object_set_string_member (body, "device_code", login->device_code);
  json_object_set_string_member (body, "grant_type", "urn:ietf:params:oauth:grant-type:device_code");
  message = post_json (login, "/login/oauth/access_token", body);
  if (message == NULL)
    {
      g_task_return_new_error (task, CC_COPILOT_ERROR, CC_COPILOT_ERROR_LOGIN_FAILED,
                               _("“%s” is not a valid http(s) URL: check the copilot provider's github-url"),
                               login->github_url);
      g_object_unref (task);
      return G_SOURCE_REMOVE;
    }
  soup_session_send_and_read_async (login->session, message, G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                                    on_polled, task);
  return G_SOURCE_REMOVE;
}

static void
on_cancelled (GCancellable *cancellable,
              gpointer      user_data)
{
  GTask *task = user_data;
  Login *login = g_task_get_task_data (task);

  /* Waiting between polls: nothing else would notice. */
  if (login->timer != 0)
    {
      login->clock->remove (login->timer, login->clock->data);
      login->timer = 0;
      g_task_return_error_if_cancelled (task);
      g_object_unref (task);
    }
}

static void
poll_later (GTask *task)
{
  Login *login = g_task_get_task_data (task);

  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return;
    }
  login->timer = login->clock->add_timeout ((login->interval + 1) * 1000, poll_now, task, login->clock->data);
}

static void
on_device_code (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Login *login = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) answer = read_answer (source, result, &error);
  const char *uri, *code;

  if (answer == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  uri = cc_proxy_json_get_string (answer, "verification_uri");
  code = cc_proxy_json_get_string (answer, "user_code");
  login->device_code = g_strdup (cc_proxy_json_get_string (answer, "device_code"));
  if (uri == NULL || code == NULL || login->device_code == NULL)
    {
      g_task_return_new_error (task, CC_COPILOT_ERROR, CC_COPILOT_ERROR_LOGIN_FAILED,
                               _("GitHub gave no device code (%s)"),
                               cc_proxy_json_get_string (answer, "error") ?: _("no reason given"));
      return;
    }
  login->interval = (guint) CLAMP (cc_proxy_json_get_int (answer, "interval", 5), 0, 3600);
  login->expires_at = login->clock->now (login->clock->data) +
                      CLAMP (cc_proxy_json_get_int (answer, "expires_in", 900), 0, 86400) * G_USEC_PER_SEC;

  /* Shown first; then the polling. */
  cc_proxy_auth_prompt_show (login->prompt, uri, code,
                             _("Open the address, sign in to GitHub and enter the code"));
  login->cancelled_id = g_cancellable_connect (g_task_get_cancellable (task), G_CALLBACK (on_cancelled), task, NULL);
  poll_later (g_steal_pointer (&task));
}

/**
 * cc_copilot_login_async:
 * @session: for the requests to GitHub
 * @prompt: shows the address and code; its snapshot has github-url
 * @clock: the polling's timer
 * @cancellable: cancels the flow, polling included
 *
 * Runs the device flow; completes with the GitHub access token.
 */
void
cc_copilot_login_async (SoupSession          *session,
                        CcProxyAuthPrompt    *prompt,
                        const CcUpstreamClock *clock,
                        GCancellable         *cancellable,
                        GAsyncReadyCallback   callback,
                        gpointer              user_data)
{
  g_autoptr(GCancellable) own = cancellable ? NULL : g_cancellable_new ();
  g_autoptr(GTask) task = g_task_new (NULL, cancellable ? cancellable : own, callback, user_data);
  Login *login = g_new0 (Login, 1);
  JsonObject *body = json_object_new ();
  g_autoptr(SoupMessage) message = NULL;

  login->session = g_object_ref (session);
  login->prompt = g_object_ref (prompt);
  login->clock = clock;
  login->github_url = g_strdup (cc_proxy_snapshot_get_value (cc_proxy_auth_prompt_get_snapshot (prompt),
                                                             CC_COPILOT_PROVIDER_ID, "github-url"));
  g_task_set_task_data (task, login, (GDestroyNotify) login_free);

  json_object_set_string_member (body, "client_id", CC_COPILOT_CLIENT_ID);
  json_object_set_string_member (body, "scope", "read:user");
  message = post_json (login, "/login/device/code", body);
  if (message == NULL)
    {
      g_task_return_new_error (task, CC_COPILOT_ERROR, CC_COPILOT_ERROR_LOGIN_FAILED,
                               _("“%s” is not a valid http(s) URL: check the copilot provider's github-url"),
                               login->github_url);
      return;
    }
  soup_session_send_and_read_async (session, message, G_PRIORITY_DEFAULT, cancellable ? cancellable : own,
                                    on_device_code, g_steal_pointer (&task));
}

/**
 * cc_copilot_login_finish:
 *
 * Returns: (transfer full): the GitHub access token
 */
char *
cc_copilot_login_finish (GAsyncResult  *result,
                         GError       **error)
{
  Login *login = g_task_get_task_data (G_TASK (result));

  if (login->cancelled_id != 0)
    g_cancellable_disconnect (g_task_get_cancellable (G_TASK (result)), login->cancelled_id);
  login->cancelled_id = 0;
  return g_task_propagate_pointer (G_TASK (result), error);
}
