/* cc-copilot-provider.c: the Anthropic Messages API on GitHub Copilot
 *
 * Each request goes: credentials (a Copilot token, exchanged and cached),
 * then a rate-limit slot, then the upstream call, retried once with a
 * fresh token when Copilot says 401. Messages requests go natively to
 * models that speak Anthropic's API and are translated for the others;
 * the OpenAI-style routes are relayed as they are. The routes and rules
 * are in docs/copilot.md.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "cc-copilot"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "cc-copilot-login.h"
#include "cc-copilot-models.h"
#include "cc-copilot-provider.h"
#include "cc-copilot-tokens.h"
#include "cc-openai-translate.h"
#include "cc-upstream-limiter.h"
#include "cc-upstream-request.h"

struct _CcCopilotProvider
{
  GObject                    parent_instance;

  CcProxyProviderDescriptor *descriptor;
  const CcUpstreamClock      *clock;
  CcCopilotTokens           *tokens;
  CcCopilotModels           *models;
  CcUpstreamLimiter          *limiter;
  SoupSession               *login_session;
  char                      *attention;  /* why the person must sign in again */
};

static void provider_iface_init (CcProxyProviderInterface *iface);
static void auth_iface_init (CcProxyAuthCapableInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (CcCopilotProvider, cc_copilot_provider, G_TYPE_OBJECT, G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (CC_PROXY_TYPE_PROVIDER, provider_iface_init)
                                G_IMPLEMENT_INTERFACE_DYNAMIC (CC_PROXY_TYPE_AUTH_CAPABLE, auth_iface_init))

/* ----- routes ----- */

typedef enum {
  ROUTE_NONE,
  ROUTE_MESSAGES,
  ROUTE_COUNT_TOKENS,
  ROUTE_MODELS_ANTHROPIC,
  ROUTE_MODELS,
  ROUTE_CHAT,
  ROUTE_EMBEDDINGS,
  ROUTE_USAGE,
  ROUTE_TOKEN,
} Route;

/* count_tokens reads its body itself: a bad one still gets a number. */
static const CcUpstreamRoute routes[] = {
  { "/v1/messages", ROUTE_MESSAGES, "POST", TRUE },
  { "/v1/messages/count_tokens", ROUTE_COUNT_TOKENS, "POST", FALSE },
  { "/v1/models", ROUTE_MODELS_ANTHROPIC, "GET", FALSE },
  { "/models", ROUTE_MODELS, "GET", FALSE },
  { "/v1/chat/completions", ROUTE_CHAT, "POST", TRUE },
  { "/chat/completions", ROUTE_CHAT, "POST", TRUE },
  { "/v1/embeddings", ROUTE_EMBEDDINGS, "POST", TRUE },
  { "/embeddings", ROUTE_EMBEDDINGS, "POST", TRUE },
  { "/usage", ROUTE_USAGE, "GET", FALSE },
  { "/v1/usage", ROUTE_USAGE, "GET", FALSE },
  { "/token", ROUTE_TOKEN, "GET", FALSE },
  { "/v1/token", ROUTE_TOKEN, "GET", FALSE },
};

static CcProxyProviderDescriptor *
get_descriptor (CcProxyProvider *provider)
{
  return CC_COPILOT_PROVIDER (provider)->descriptor;
}

/* ----- one request ----- */

static CcCopilotProvider *
provider_of (CcUpstreamRequest *request)
{
  return CC_COPILOT_PROVIDER (request->provider);
}

/* ----- upstream requests ----- */

static void
add_turn_headers (SoupMessageHeaders *headers,
                  gboolean            user_turn,
                  gboolean            vision)
{
  /* Billing a tool result as a user turn burns the user's premium
   * requests. */
  soup_message_headers_replace (headers, "X-Initiator", user_turn ? "user" : "agent");
  if (vision)
    soup_message_headers_replace (headers, "copilot-vision-request", "true");
}

/* What Copilot is to bill as a premium request: a turn the user typed.
 * A subagent's request (Claude Code sends x-claude-code-agent-id with
 * it), a call for the small-fast model and the compaction are the
 * agent's, whatever their last message says. */
static gboolean
is_billed_user_turn (CcUpstreamRequest  *call,
                     SoupMessageHeaders *client)
{
  const char *model = cc_proxy_json_get_string (call->request, "model");

  if (soup_message_headers_get_one (client, "x-claude-code-agent-id") != NULL)
    return FALSE;
  if (model != NULL && strstr (model, "haiku") != NULL)
    return FALSE;
  return cc_openai_anthropic_is_user_turn (call->request) && !cc_openai_anthropic_is_compaction (call->request);
}

static SoupMessage *
build_message (CcUpstreamRequest  *call,
               GError            **error)
{
  SoupMessage *message;
  SoupMessageHeaders *headers;
  SoupMessageHeaders *client = cc_proxy_request_context_get_request_headers (call->context);

  if (call->route == ROUTE_USAGE)
    {
      message = cc_upstream_new_message (CC_COPILOT_PROVIDER_ID, "GET", cc_upstream_setting (call, "github-api-url"),
                                         "/copilot_internal/user", error);
      if (message != NULL)
        cc_copilot_add_github_headers (soup_message_get_request_headers (message), call->snapshot,
                                       cc_upstream_setting (call, "github-token"));
      return message;
    }

  message = cc_upstream_new_message (CC_COPILOT_PROVIDER_ID, call->upstream_body ? "POST" : "GET", call->base,
                                     call->upstream_path, error);
  if (message == NULL)
    return NULL;
  headers = soup_message_get_request_headers (message);
  cc_copilot_add_copilot_headers (headers, call->snapshot, call->token);
  soup_message_headers_replace (headers, "accept", call->stream ? "text/event-stream" : "application/json");

  if (call->route == ROUTE_MESSAGES)
    {
      gboolean billed = is_billed_user_turn (call, client);
      char cost[G_ASCII_DTOSTR_BUF_SIZE];

      add_turn_headers (headers, billed, cc_openai_anthropic_has_image (call->request));
      /* What the request costs the account, for cc-proxyd's session
       * counts (the multiplier of the model Copilot serves it with). */
      g_ascii_formatd (cost, sizeof cost, "%g", billed ? cc_copilot_models_get_multiplier (provider_of (call)->models,
                                                                                        call->model) : 0.0);
      soup_message_headers_replace (cc_proxy_request_context_get_response_headers (call->context),
                                    CC_PROXY_PREMIUM_REQUESTS_HEADER, cost);
      if (call->api == CC_UPSTREAM_API_MESSAGES)
        {
          const char *beta = soup_message_headers_get_one (client, "anthropic-beta");
          const char *version = soup_message_headers_get_one (client, "anthropic-version");

          soup_message_headers_replace (headers, "openai-intent", "messages-proxy");
          if (beta != NULL)
            soup_message_headers_replace (headers, "anthropic-beta", beta);
          if (version != NULL)
            soup_message_headers_replace (headers, "anthropic-version", version);
        }
    }
  else if (call->route == ROUTE_CHAT || call->route == ROUTE_EMBEDDINGS)
    add_turn_headers (headers, cc_openai_chat_is_user_turn (call->request), cc_openai_chat_has_image (call->request));

  if (call->upstream_body != NULL)
    soup_message_set_request_body_from_bytes (message, "application/json", call->upstream_body);
  return message;
}

/* ----- messages: which endpoint ----- */

static void
choose_endpoint (GTask *task)
{
  CcUpstreamRequest *call = cc_upstream_request_get (task);
  CcCopilotModels *models = provider_of (call)->models;
  g_auto(GStrv) ids = cc_copilot_models_dup_ids (models);
  g_autofree char *model = cc_openai_map_model (cc_proxy_json_get_string (call->request, "model") ?: "",
                                                cc_upstream_setting (call, "model-map"), (const char * const *) ids);

  cc_upstream_set_messages_body (call, cc_copilot_models_get_endpoint (models, model), model);
  cc_upstream_send (task);
}

static void
on_models (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CcUpstreamRequest *call = cc_upstream_request_get (task);
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);
  SoupMessage *message = g_object_get_data (G_OBJECT (task), "models-message");

  /* Without the list, Messages requests are translated. */
  if (body != NULL && soup_message_get_status (message) == SOUP_STATUS_OK)
    {
      g_autofree char *text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
      g_autoptr(JsonNode) node = cc_proxy_json_parse (text, -1, NULL);

      if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
        cc_copilot_models_update (provider_of (call)->models, json_node_get_object (node));
    }
  if (g_task_return_error_if_cancelled (task))
    return;
  choose_endpoint (g_steal_pointer (&task));
}

static void
serve_messages (GTask *task)
{
  CcUpstreamRequest *call = cc_upstream_request_get (task);
  const char *model = cc_proxy_json_get_string (call->request, "model");
  g_autofree char *mapped = cc_openai_map_model (model ? model : "", cc_upstream_setting (call, "model-map"), NULL);
  SoupMessage *message;

  if (!cc_copilot_models_needs_refresh (provider_of (call)->models, mapped))
    {
      choose_endpoint (task);
      return;
    }
  message = cc_upstream_new_message (CC_COPILOT_PROVIDER_ID, "GET", call->base, "/models", NULL);
  if (message == NULL)
    {
      choose_endpoint (task);
      return;
    }
  cc_copilot_add_copilot_headers (soup_message_get_request_headers (message), call->snapshot, call->token);
  soup_message_headers_replace (soup_message_get_request_headers (message), "accept", "application/json");
  g_object_set_data_full (G_OBJECT (task), "models-message", message, g_object_unref);
  soup_session_send_and_read_async (cc_proxy_request_context_get_session (call->context), message, G_PRIORITY_DEFAULT,
                                    g_task_get_cancellable (task), on_models, task);
}

/* ----- credentials, then a slot ----- */

/* Its turn has come: to the upstream. */
static void
serve (GTask *task)
{
  CcUpstreamRequest *call = cc_upstream_request_get (task);

  switch (call->route)
    {
    case ROUTE_MESSAGES:
      serve_messages (task);
      break;
    case ROUTE_MODELS:
    case ROUTE_MODELS_ANTHROPIC:
      call->upstream_path = "/models";
      call->answer = call->route == ROUTE_MODELS ? CC_UPSTREAM_ANSWER_RELAY : CC_UPSTREAM_ANSWER_MODELS;
      cc_upstream_send (task);
      break;
    case ROUTE_CHAT:
    case ROUTE_EMBEDDINGS:
      call->upstream_path = call->route == ROUTE_CHAT ? "/chat/completions" : "/embeddings";
      call->stream = cc_proxy_json_get_bool (call->request, "stream", FALSE);
      call->upstream_body = g_bytes_ref (cc_proxy_request_context_get_body (call->context));
      cc_upstream_send (task);
      break;
    case ROUTE_USAGE:
    default:
      cc_upstream_send (task);
      break;
    }
}

/* GitHub refused the login (or accepted it again): say so once. */
static void
set_attention (CcCopilotProvider *self,
               const char        *reason)
{
  if (g_strcmp0 (self->attention, reason) == 0)
    return;
  g_free (self->attention);
  self->attention = g_strdup (reason);
  cc_proxy_auth_capable_attention_changed (CC_PROXY_AUTH_CAPABLE (self));
}

static void
on_token (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CcUpstreamRequest *call = cc_upstream_request_get (task);
  CcCopilotProvider *self = provider_of (call);
  g_autoptr(GError) error = NULL;
  g_autofree char *api_endpoint = NULL;
  g_autofree char *token = cc_copilot_tokens_get_finish (self->tokens, result, &api_endpoint, &error);
  g_autofree char *base = NULL;

  if (token == NULL)
    {
      if (g_error_matches (error, CC_COPILOT_ERROR, CC_COPILOT_ERROR_LOGIN_REFUSED))
        set_attention (self, _("GitHub refused the Copilot login (revoked or expired): sign in again"));
      /* Trying again cannot help until the user signs in: Claude Code
       * otherwise retries a 401 for minutes before it shows why. */
      if (error->domain == CC_COPILOT_ERROR)
        {
          soup_message_headers_replace (cc_proxy_request_context_get_response_headers (call->context),
                                        "x-should-retry", "false");
          cc_upstream_respond_error (g_steal_pointer (&task), SOUP_STATUS_UNAUTHORIZED, "authentication_error",
                                     error->message);
        }
      else
        cc_upstream_fail (g_steal_pointer (&task), g_steal_pointer (&error));
      return;
    }
  set_attention (self, NULL);
  /* An exchanged token is no setting: the request hides it. */
  base = cc_copilot_base_url (call->snapshot, api_endpoint);
  cc_upstream_set_credentials (call, token, base);

  /* The retry after a 401 already has its slot. */
  if (call->retried)
    {
      cc_upstream_send (g_steal_pointer (&task));
      return;
    }
  if (call->route == ROUTE_TOKEN)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) node = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "token");
      json_builder_add_string_value (builder, call->token);
      json_builder_end_object (builder);
      node = json_builder_get_root (builder);
      cc_upstream_respond_node (g_steal_pointer (&task), node);
      return;
    }
  cc_upstream_acquire_slot (g_steal_pointer (&task), self->limiter, serve);
}

/* A refused exchanged token: drop it and try once more with a new one.
 * A token given as is cannot be renewed, and the usage route's GitHub
 * token is no exchanged one. */
static gboolean
unauthorized (GTask *task)
{
  CcUpstreamRequest *call = cc_upstream_request_get (task);
  CcCopilotProvider *self = provider_of (call);
  const char *fixed_token = cc_upstream_setting (call, "token");

  if (call->route == ROUTE_USAGE || fixed_token != NULL)
    return FALSE;
  cc_copilot_tokens_invalidate (self->tokens, call->token);
  cc_copilot_tokens_get_async (self->tokens, cc_proxy_request_context_get_session (call->context), call->snapshot,
                               g_task_get_cancellable (task), on_token, task);
  return TRUE;
}

/* Copilot's model list, as Anthropic's; kept for the endpoint choice. */
static JsonNode *
models_to_anthropic (CcUpstreamRequest *call,
                     JsonObject        *models)
{
  cc_copilot_models_update (provider_of (call)->models, models);
  return cc_openai_models_to_anthropic (models);
}

static const CcUpstreamHooks copilot_hooks = {
  .provider_id = CC_COPILOT_PROVIDER_ID,
  .upstream_name = "Copilot",
  .build_message = build_message,
  .unauthorized = unauthorized,
  .models_to_anthropic = models_to_anthropic,
};

static void
handle_request_async (CcProxyProvider       *provider,
                      CcProxyRequestContext *context,
                      GCancellable          *cancellable,
                      GAsyncReadyCallback    callback,
                      gpointer               user_data)
{
  CcCopilotProvider *self = CC_COPILOT_PROVIDER (provider);
  g_autoptr(GTask) task = cc_upstream_request_new (provider, context, &copilot_hooks, cancellable, callback, user_data,
                                                   handle_request_async);
  CcUpstreamRequest *call = cc_upstream_request_get (task);

  switch ((Route) call->route)
    {
    case ROUTE_NONE:
      cc_upstream_not_handled (g_steal_pointer (&task));
      return;
    case ROUTE_COUNT_TOKENS:
      cc_upstream_count_tokens (g_steal_pointer (&task));
      return;
    case ROUTE_TOKEN:
      /* Any local process could read the token otherwise. */
      if (!cc_proxy_snapshot_get_boolean (call->snapshot, CC_COPILOT_PROVIDER_ID, "expose-token"))
        {
          cc_upstream_respond_error (g_steal_pointer (&task), SOUP_STATUS_NOT_FOUND, "not_found_error",
                                     _("Not found: the token routes are served only when the copilot provider's expose-token is on"));
          return;
        }
      break;
    case ROUTE_USAGE:
      if (cc_upstream_setting (call, "github-token") == NULL)
        {
          cc_upstream_respond_error (g_steal_pointer (&task), SOUP_STATUS_UNAUTHORIZED, "authentication_error",
                                     _("The usage route needs a GitHub login: run “cc-proxyctl auth copilot”"));
          return;
        }
      break;
    default:
      break;
    }

  cc_copilot_tokens_get_async (self->tokens, cc_proxy_request_context_get_session (context), call->snapshot,
                               cancellable, on_token, g_steal_pointer (&task));
}

/* The newest model of a family the account has (ids compare as
 * versions do: claude-sonnet-4.5 > claude-sonnet-4), or NULL. */
static const char *
newest (GStrv        ids,
        const char  *family)
{
  const char *best = NULL;

  for (guint i = 0; ids != NULL && ids[i] != NULL; i++)
    if (g_str_has_prefix (ids[i], family) && (best == NULL || g_strcmp0 (ids[i], best) > 0))
      best = ids[i];
  return best;
}

/* Claude Code's models, from those the account has, once /models has
 * been read: Sonnet for the main model, Haiku (or Sonnet) for the small
 * fast one, and what its opus, sonnet and haiku aliases (/model) mean
 * (the best the account has where it lacks a family), and the input
 * Copilot takes for the main model as Claude Code's auto-compact
 * window. Before that, nothing: Claude Code's own names are mapped. */
static GHashTable *
dup_client_environment (CcProxyProvider *provider,
                        CcProxySnapshot *snapshot)
{
  CcCopilotProvider *self = CC_COPILOT_PROVIDER (provider);
  g_auto(GStrv) ids = cc_copilot_models_dup_ids (self->models);
  GHashTable *environment = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  const char *main_model = newest (ids, "claude-sonnet-");
  const char *small = newest (ids, "claude-haiku-");
  const char *opus = newest (ids, "claude-opus-");

  if (main_model == NULL)
    main_model = newest (ids, "claude-opus-");
  if (small == NULL)
    small = main_model;
  if (main_model != NULL)
    g_hash_table_insert (environment, g_strdup ("ANTHROPIC_MODEL"), g_strdup (main_model));
  if (small != NULL)
    g_hash_table_insert (environment, g_strdup ("ANTHROPIC_SMALL_FAST_MODEL"), g_strdup (small));
  if (main_model != NULL)
    {
      g_hash_table_insert (environment, g_strdup ("ANTHROPIC_DEFAULT_OPUS_MODEL"),
                           g_strdup (opus != NULL ? opus : main_model));
      g_hash_table_insert (environment, g_strdup ("ANTHROPIC_DEFAULT_SONNET_MODEL"), g_strdup (main_model));
      g_hash_table_insert (environment, g_strdup ("ANTHROPIC_DEFAULT_HAIKU_MODEL"), g_strdup (small));
      /* Copilot takes far less input than the model's own window:
       * Claude Code compacts before it, not after a refusal. */
      if (cc_copilot_models_get_prompt_limit (self->models, main_model) > 0)
        g_hash_table_insert (environment, g_strdup ("CLAUDE_CODE_AUTO_COMPACT_WINDOW"),
                             g_strdup_printf ("%" G_GINT64_FORMAT,
                                              cc_copilot_models_get_prompt_limit (self->models, main_model)));
    }
  return environment;
}

static void
provider_iface_init (CcProxyProviderInterface *iface)
{
  cc_upstream_provider_iface_init (iface, routes, G_N_ELEMENTS (routes));
  iface->get_descriptor = get_descriptor;
  iface->handle_request_async = handle_request_async;
  iface->dup_client_environment = dup_client_environment;
}

/* ----- login ----- */

static void
on_checked (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CcProxyAuthResult *auth = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) answer = cc_copilot_exchange_finish (result, &error);
  g_autoptr(CcProxyAuthResult) final = NULL;

  if (answer != NULL)
    {
      final = cc_proxy_auth_result_new (_("Signed in to GitHub Copilot"));
      set_attention (g_task_get_source_object (task), NULL);
    }
  else
    {
      g_autofree char *message = g_strdup_printf (_("Authorised, but the token exchange failed: %s"), error->message);

      final = cc_proxy_auth_result_new (message);
    }
  /* What the login got is kept either way. */
  {
    GHashTableIter iter;
    gpointer key, value;

    g_hash_table_iter_init (&iter, cc_proxy_auth_result_get_values (auth));
    while (g_hash_table_iter_next (&iter, &key, &value))
      cc_proxy_auth_result_set_value (final, key, value);
  }
  cc_proxy_auth_result_set_activate (final, TRUE);
  g_task_return_pointer (task, g_steal_pointer (&final), (GDestroyNotify) cc_proxy_auth_result_unref);
}

static void
on_logged_in (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CcCopilotProvider *self = g_task_get_source_object (task);
  CcProxyAuthPrompt *prompt = g_object_get_data (G_OBJECT (task), "prompt");
  g_autoptr(GError) error = NULL;
  g_autofree char *github_token = cc_copilot_login_finish (result, &error);
  CcProxyAuthResult *auth;
  GCancellable *cancellable;

  if (github_token == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  auth = cc_proxy_auth_result_new (NULL);
  cc_proxy_auth_result_set_value (auth, "github-token", github_token);
  g_task_set_task_data (task, auth, (GDestroyNotify) cc_proxy_auth_result_unref);
  /* Checked once, with the configured URLs and version. */
  cancellable = g_task_get_cancellable (task);
  cc_copilot_exchange_async (self->login_session, cc_proxy_auth_prompt_get_snapshot (prompt), github_token,
                             cancellable, on_checked, g_steal_pointer (&task));
}

static void
run_auth_flow_async (CcProxyAuthCapable  *capable,
                     gboolean             force,
                     CcProxyAuthPrompt   *prompt,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  CcCopilotProvider *self = CC_COPILOT_PROVIDER (capable);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  const char *github_token = cc_proxy_snapshot_get_value (cc_proxy_auth_prompt_get_snapshot (prompt),
                                                          CC_COPILOT_PROVIDER_ID, "github-token");

  g_task_set_source_tag (task, run_auth_flow_async);
  if (!force && github_token != NULL && github_token[0] != '\0')
    {
      g_task_return_new_error (task, CC_COPILOT_ERROR, CC_COPILOT_ERROR_LOGIN_FAILED,
                               _("Already signed in to GitHub%s: use “cc-proxyctl auth copilot --force” to sign in again"),
                               cc_proxy_snapshot_is_from_environment (cc_proxy_auth_prompt_get_snapshot (prompt),
                                                                      CC_COPILOT_PROVIDER_ID, "github-token")
                               ? _(" (a token from the environment)") : "");
      return;
    }
  if (self->login_session == NULL)
    self->login_session = soup_session_new ();
  g_object_set_data_full (G_OBJECT (task), "prompt", g_object_ref (prompt), g_object_unref);
  cc_copilot_login_async (self->login_session, prompt, self->clock, cancellable, on_logged_in, g_steal_pointer (&task));
}

static CcProxyAuthResult *
run_auth_flow_finish (CcProxyAuthCapable  *capable,
                      GAsyncResult        *result,
                      GError             **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static char *
dup_attention (CcProxyAuthCapable *capable)
{
  return g_strdup (CC_COPILOT_PROVIDER (capable)->attention);
}

static void
auth_iface_init (CcProxyAuthCapableInterface *iface)
{
  iface->run_auth_flow_async = run_auth_flow_async;
  iface->run_auth_flow_finish = run_auth_flow_finish;
  iface->dup_attention = dup_attention;
}

/* ----- the object ----- */

static CcProxyProviderDescriptor *
make_descriptor (void)
{
  static const char * const base_url_env[] = { "CC_PROXY_COPILOT_BASE_URL", NULL };
  static const char * const account_env[] = { "CC_PROXY_COPILOT_ACCOUNT_TYPE", NULL };
  static const char * const accounts[] = { "individual", "business", "enterprise", NULL };
  static const char * const github_api_env[] = { "CC_PROXY_GITHUB_API_URL", NULL };
  static const char * const github_env[] = { "CC_PROXY_GITHUB_URL", NULL };
  static const char * const vscode_env[] = { "CC_PROXY_COPILOT_VSCODE_VERSION", NULL };
  static const char * const model_map_env[] = { "CC_PROXY_COPILOT_MODEL_MAP", NULL };
  static const char * const rate_env[] = { "CC_PROXY_COPILOT_RATE_LIMIT_SECONDS", NULL };
  static const char * const wait_env[] = { "CC_PROXY_COPILOT_RATE_LIMIT_WAIT", NULL };
  static const char * const token_env[] = { "GITHUB_COPILOT_TOKEN", NULL };
  /* Not GITHUB_TOKEN: it is usually another tool's token (CI, gh), and
   * the environment outranks the login stored in the keyring. */
  static const char * const github_token_env[] = { "CC_PROXY_COPILOT_GITHUB_TOKEN", NULL };
  CcProxySettingDescriptor *settings[] = {
    cc_proxy_setting_descriptor_new ("base-url", _("Copilot API URL"),
                                     _("Where Copilot's API is; empty: the address the Copilot token names, else the one the account type implies."),
                                     CC_PROXY_SETTING_KIND_URL, "", NULL, FALSE, base_url_env),
    cc_proxy_setting_descriptor_new ("account-type", _("Account type"),
                                     _("individual uses api.githubcopilot.com; business and enterprise use api.<type>.githubcopilot.com."),
                                     CC_PROXY_SETTING_KIND_SELECT, "individual", accounts, FALSE, account_env),
    cc_proxy_setting_descriptor_new ("github-api-url", _("GitHub API URL"),
                                     _("Where Copilot tokens and usage figures come from."),
                                     CC_PROXY_SETTING_KIND_URL, "https://api.github.com", NULL, FALSE, github_api_env),
    cc_proxy_setting_descriptor_new ("github-url", _("GitHub URL"),
                                     _("Where the sign-in (device flow) happens."),
                                     CC_PROXY_SETTING_KIND_URL, "https://github.com", NULL, FALSE, github_env),
    cc_proxy_setting_descriptor_new ("vscode-version", _("VS Code version"),
                                     _("Sent to Copilot as the editor version."),
                                     CC_PROXY_SETTING_KIND_TEXT, "1.104.1", NULL, FALSE, vscode_env),
    cc_proxy_setting_descriptor_new ("model-map", _("Model names"),
                                     _("from=to,from=to: the model to ask Copilot for when a client names another."),
                                     CC_PROXY_SETTING_KIND_TEXT, "", NULL, FALSE, model_map_env),
    cc_upstream_limiter_seconds_setting (_("At most one request to Copilot starts per this many seconds; 0 is no limit."),
                                         rate_env),
    cc_upstream_limiter_wait_setting (wait_env),
    cc_proxy_setting_descriptor_new ("expose-token", _("Serve the token"),
                                     _("A debugging aid: GET /token answers with the current Copilot token. Any local process can read it."),
                                     CC_PROXY_SETTING_KIND_BOOL, "false", NULL, FALSE, NULL),
    cc_proxy_setting_descriptor_new ("token", _("Copilot token"),
                                     _("A Copilot token used as it is, instead of one exchanged for the GitHub token."),
                                     CC_PROXY_SETTING_KIND_TEXT, "", NULL, TRUE, token_env),
    cc_proxy_setting_descriptor_new ("github-token", _("GitHub token"),
                                     _("The GitHub login that Copilot tokens are exchanged for; “cc-proxyctl auth copilot” sets it."),
                                     CC_PROXY_SETTING_KIND_TEXT, "", NULL, TRUE, github_token_env),
    NULL
  };

  return cc_upstream_descriptor_new (CC_COPILOT_PROVIDER_ID, _("GitHub Copilot"), settings, routes, G_N_ELEMENTS (routes));
}

static void
cc_copilot_provider_finalize (GObject *object)
{
  CcCopilotProvider *self = CC_COPILOT_PROVIDER (object);

  g_clear_pointer (&self->descriptor, cc_proxy_provider_descriptor_unref);
  g_clear_pointer (&self->tokens, cc_copilot_tokens_free);
  g_clear_pointer (&self->models, cc_copilot_models_free);
  g_clear_pointer (&self->attention, g_free);
  g_clear_pointer (&self->limiter, cc_upstream_limiter_free);
  g_clear_object (&self->login_session);
  G_OBJECT_CLASS (cc_copilot_provider_parent_class)->finalize (object);
}

static void
cc_copilot_provider_class_init (CcCopilotProviderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cc_copilot_provider_finalize;
}

static void
cc_copilot_provider_class_finalize (CcCopilotProviderClass *klass)
{
}

static void
cc_copilot_provider_init (CcCopilotProvider *self)
{
  self->descriptor = make_descriptor ();
  self->clock = cc_upstream_clock_get_default ();
  self->tokens = cc_copilot_tokens_new (self->clock);
  self->models = cc_copilot_models_new (self->clock);
  self->limiter = cc_upstream_limiter_new (CC_COPILOT_PROVIDER_ID, self->clock);
}

void
cc_copilot_provider_register (GIOModule *module)
{
  cc_copilot_provider_register_type (G_TYPE_MODULE (module));
}
