/* cc-copilot-tokens.c: Copilot tokens from a GitHub token, cached
 *
 * Copilot's API takes short-lived tokens that GitHub hands out for the
 * user's GitHub (OAuth) token. One entry is kept, for the GitHub token in
 * use; concurrent requests share one exchange in flight; a failed
 * exchange is remembered for a few seconds so that a broken token does
 * not send every request to GitHub. Tokens are never logged.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "cc-copilot"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "cc-copilot-tokens.h"

#define FAILURE_BACKOFF_SECONDS 10

struct _CcCopilotTokens
{
  const CcUpstreamClock *clock;
  char                 *github_token;   /* what the entry is for */
  char                 *token;          /* NULL until fetched */
  char                 *api_endpoint;
  gint64                refresh_at;     /* µs */
  GError               *failure;        /* the last exchange's, for a while */
  gint64                failure_until;
  GPtrArray            *waiters;        /* GTask, while an exchange runs */
  GList                *exchanges;      /* in flight, to detach when freed */
};

CcCopilotTokens *
cc_copilot_tokens_new (const CcUpstreamClock *clock)
{
  CcCopilotTokens *self = g_new0 (CcCopilotTokens, 1);

  self->clock = clock;
  return self;
}

static void
forget (CcCopilotTokens *self)
{
  g_clear_pointer (&self->github_token, g_free);
  g_clear_pointer (&self->token, g_free);
  g_clear_pointer (&self->api_endpoint, g_free);
  g_clear_error (&self->failure);
  self->refresh_at = 0;
}

void
cc_copilot_tokens_free (CcCopilotTokens *self)
{
  if (self == NULL)
    return;
  /* Exchanges in flight finish without us and fail their waiters. */
  for (GList *l = self->exchanges; l != NULL; l = l->next)
    *(CcCopilotTokens **) l->data = NULL;
  g_list_free (self->exchanges);
  g_clear_pointer (&self->waiters, g_ptr_array_unref);
  forget (self);
  g_free (self);
}

/* ----- the exchange ----- */

static void
on_exchanged (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SoupMessage *message = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  g_autoptr(JsonNode) node = NULL;
  guint status = soup_message_get_status (message);

  if (body == NULL)
    {
      g_task_return_new_error (task, CC_COPILOT_ERROR, CC_COPILOT_ERROR_EXCHANGE_FAILED,
                               _("Could not reach GitHub to get a Copilot token: %s"), error->message);
      return;
    }
  if (status == SOUP_STATUS_OK)
    {
      g_autofree char *text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));

      node = cc_proxy_json_parse (text, -1, NULL);
    }
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node) ||
      cc_proxy_json_get_string (json_node_get_object (node), "token") == NULL)
    {
      /* 401 and 403: the GitHub login itself is no good any more. */
      g_task_return_new_error (task, CC_COPILOT_ERROR,
                               status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_FORBIDDEN
                               ? CC_COPILOT_ERROR_LOGIN_REFUSED : CC_COPILOT_ERROR_EXCHANGE_FAILED,
                               status == SOUP_STATUS_OK
                               ? _("GitHub's answer to the Copilot token exchange had no token")
                               : _("GitHub refused the Copilot token exchange (HTTP %u): sign in again with “cc-proxyctl auth copilot --force”"),
                               status);
      return;
    }
  g_task_return_pointer (task, json_object_ref (json_node_get_object (node)), (GDestroyNotify) json_object_unref);
}

/**
 * cc_copilot_exchange_async:
 *
 * One exchange of @github_token for a Copilot token, uncached: `GET
 * <github-api-url>/copilot_internal/v2/token`.
 */
void
cc_copilot_exchange_async (SoupSession         *session,
                           CcProxySnapshot     *snapshot,
                           const char          *github_token,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr(GError) error = NULL;
  const char *github_api = cc_proxy_snapshot_get_value (snapshot, CC_COPILOT_PROVIDER_ID, "github-api-url");
  SoupMessage *message = cc_upstream_new_message (CC_COPILOT_PROVIDER_ID, "GET", github_api, "/copilot_internal/v2/token",
                                                  &error);

  if (message == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_set_task_data (task, message, g_object_unref);
  cc_copilot_add_github_headers (soup_message_get_request_headers (message), snapshot, github_token);
  soup_session_send_and_read_async (session, message, G_PRIORITY_DEFAULT, cancellable, on_exchanged,
                                    g_steal_pointer (&task));
}

/**
 * cc_copilot_exchange_finish:
 *
 * Returns: (transfer full): GitHub's answer: token, expires_at,
 *   refresh_in, endpoints
 */
JsonObject *
cc_copilot_exchange_finish (GAsyncResult  *result,
                            GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ----- the cache ----- */

typedef struct
{
  CcCopilotTokens *tokens;     /* first: NULL once the cache is gone */
  GPtrArray       *waiters;
  char            *github_token;
} Exchange;

static void
exchange_free (Exchange *exchange)
{
  g_ptr_array_unref (exchange->waiters);
  g_free (exchange->github_token);
  g_free (exchange);
}

static void
return_token (GTask      *task,
              const char *token,
              const char *api_endpoint)
{
  g_task_set_task_data (task, g_strdup (api_endpoint), g_free);
  g_task_return_pointer (task, g_strdup (token), g_free);
}

static void
on_cache_exchanged (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Exchange *exchange = user_data;
  CcCopilotTokens *self = exchange->tokens;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) answer = cc_copilot_exchange_finish (result, &error);
  g_autoptr(GPtrArray) waiters = g_ptr_array_ref (exchange->waiters);

  if (self != NULL)
    self->exchanges = g_list_remove (self->exchanges, exchange);
  /* The cache was dropped, or moved on to another GitHub token. */
  if (self == NULL || self->waiters != exchange->waiters)
    {
      for (guint i = 0; i < waiters->len; i++)
        g_task_return_new_error (g_ptr_array_index (waiters, i), G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                 _("The GitHub token changed during the exchange"));
      exchange_free (exchange);
      return;
    }
  g_clear_pointer (&self->waiters, g_ptr_array_unref);

  if (answer == NULL)
    {
      g_clear_error (&self->failure);
      self->failure = g_error_copy (error);
      self->failure_until = self->clock->now (self->clock->data) + FAILURE_BACKOFF_SECONDS * G_USEC_PER_SEC;
      for (guint i = 0; i < waiters->len; i++)
        g_task_return_error (g_ptr_array_index (waiters, i), g_error_copy (error));
    }
  else
    {
      gint64 now = self->clock->now (self->clock->data);
      gint64 now_s = now / G_USEC_PER_SEC;
      gint64 refresh_in = cc_proxy_json_get_int (answer, "refresh_in", -1);
      gint64 expires_at = cc_proxy_json_get_int (answer, "expires_at", -1);
      gint64 refresh_s;

      if (expires_at < 0)
        expires_at = now_s + MAX (300, refresh_in);
      if (refresh_in < 0)
        refresh_in = expires_at - now_s;
      /* Before expiry, and before GitHub asks, a minute early either
       * way; never sooner than 30 s after the fetch. */
      refresh_s = MIN (expires_at - 60, now_s + refresh_in - 60);
      refresh_s = MAX (refresh_s, now_s + 30);

      g_free (self->token);
      g_free (self->api_endpoint);
      self->token = g_strdup (cc_proxy_json_get_string (answer, "token"));
      self->api_endpoint = g_strdup (cc_proxy_json_get_string (cc_proxy_json_get_object (answer, "endpoints"), "api"));
      self->refresh_at = refresh_s * G_USEC_PER_SEC;
      g_debug ("Copilot token refreshed; next refresh in %" G_GINT64_FORMAT " s", refresh_s - now_s);
      for (guint i = 0; i < waiters->len; i++)
        return_token (g_ptr_array_index (waiters, i), self->token, self->api_endpoint);
    }
  exchange_free (exchange);
}

/**
 * cc_copilot_tokens_get_async:
 *
 * The token to send to Copilot: the `token` setting as it is, else one
 * exchanged for `github-token` (cached, refreshed before it expires).
 */
void
cc_copilot_tokens_get_async (CcCopilotTokens     *self,
                             SoupSession         *session,
                             CcProxySnapshot     *snapshot,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  const char *token = cc_proxy_snapshot_get_value (snapshot, CC_COPILOT_PROVIDER_ID, "token");
  const char *github_token = cc_proxy_snapshot_get_value (snapshot, CC_COPILOT_PROVIDER_ID, "github-token");
  gint64 now = self->clock->now (self->clock->data);
  Exchange *exchange;

  g_task_set_source_tag (task, cc_copilot_tokens_get_async);
  if (token != NULL && token[0] != '\0')
    {
      return_token (task, token, NULL);
      return;
    }
  if (github_token == NULL || github_token[0] == '\0')
    {
      g_task_return_new_error (task, CC_COPILOT_ERROR, CC_COPILOT_ERROR_NO_CREDENTIALS,
                               _("Not signed in to GitHub Copilot: run “cc-proxyctl auth copilot”, "
                                 "or set GITHUB_COPILOT_TOKEN or CC_PROXY_COPILOT_GITHUB_TOKEN"));
      return;
    }

  /* A changed token drops the old entry. */
  if (g_strcmp0 (self->github_token, github_token) != 0)
    {
      g_clear_pointer (&self->waiters, g_ptr_array_unref);
      forget (self);
      self->github_token = g_strdup (github_token);
    }
  if (self->token != NULL && now < self->refresh_at)
    {
      return_token (task, self->token, self->api_endpoint);
      return;
    }
  if (self->failure != NULL && now < self->failure_until)
    {
      g_task_return_error (task, g_error_copy (self->failure));
      return;
    }
  if (self->waiters != NULL)
    {
      g_ptr_array_add (self->waiters, g_steal_pointer (&task));
      return;
    }

  self->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (self->waiters, g_steal_pointer (&task));
  exchange = g_new0 (Exchange, 1);
  exchange->tokens = self;
  exchange->waiters = g_ptr_array_ref (self->waiters);
  exchange->github_token = g_strdup (github_token);
  self->exchanges = g_list_prepend (self->exchanges, exchange);
  /* Not the first caller's cancellable: the others still want it. */
  cc_copilot_exchange_async (session, snapshot, github_token, NULL, on_cache_exchanged, exchange);
}

/**
 * cc_copilot_tokens_get_finish:
 * @api_endpoint: (out) (optional) (transfer full) (nullable): the API
 *   address the token names
 *
 * Returns: (transfer full): the token
 */
char *
cc_copilot_tokens_get_finish (CcCopilotTokens  *self,
                              GAsyncResult     *result,
                              char            **api_endpoint,
                              GError          **error)
{
  char *token = g_task_propagate_pointer (G_TASK (result), error);

  if (api_endpoint != NULL)
    *api_endpoint = token ? g_strdup (g_task_get_task_data (G_TASK (result))) : NULL;
  return token;
}

/* Copilot refused @token: the next request exchanges again. */
void
cc_copilot_tokens_invalidate (CcCopilotTokens *self,
                              const char      *token)
{
  if (self->token != NULL && g_strcmp0 (self->token, token) == 0)
    {
      g_clear_pointer (&self->token, g_free);
      self->refresh_at = 0;
    }
}
