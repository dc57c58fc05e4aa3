/* cc-openai-provider.c: the Anthropic Messages API on any
 * OpenAI-compatible server
 *
 * Ollama, LM Studio, vLLM, llama.cpp's server, OpenRouter, DeepSeek,
 * OpenAI itself: Messages requests are translated to chat-completions
 * (or the Responses API, a setting) and their answers back, streamed or
 * not; count_tokens is estimated here; /v1/models is the server's list in
 * Anthropic's shape. The API key, when there is one, goes as a bearer
 * token; a 401 is the server's answer (a fixed key cannot be renewed).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "cc-openai"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "cc-openai-provider.h"
#include "cc-openai-translate.h"
#include "cc-upstream-limiter.h"
#include "cc-upstream-request.h"

struct _CcOpenaiProvider
{
  GObject                    parent_instance;

  CcProxyProviderDescriptor *descriptor;
  CcUpstreamLimiter         *limiter;
};

static void provider_iface_init (CcProxyProviderInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (CcOpenaiProvider, cc_openai_provider, G_TYPE_OBJECT, G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (CC_PROXY_TYPE_PROVIDER, provider_iface_init))

/* ----- routes ----- */

typedef enum {
  ROUTE_NONE,
  ROUTE_MESSAGES,
  ROUTE_COUNT_TOKENS,
  ROUTE_MODELS,
} Route;

/* count_tokens reads its body itself: a bad one still gets a number. */
static const CcUpstreamRoute routes[] = {
  { "/v1/messages", ROUTE_MESSAGES, "POST", TRUE },
  { "/v1/messages/count_tokens", ROUTE_COUNT_TOKENS, "POST", FALSE },
  { "/v1/models", ROUTE_MODELS, "GET", FALSE },
};

static CcProxyProviderDescriptor *
get_descriptor (CcProxyProvider *provider)
{
  return CC_OPENAI_PROVIDER (provider)->descriptor;
}

/* ----- one request ----- */

/* The server's name for the model the client asked for: model-map
 * first; then small-model for Claude's Haiku models (Claude Code's
 * small, fast requests) and model for any other; else the client's
 * name as it is. */
static char *
upstream_model (CcUpstreamRequest *request)
{
  const char *asked = cc_proxy_json_get_string (request->request, "model");
  char *mapped = cc_openai_model_map_lookup (cc_upstream_setting (request, "model-map"), asked ? asked : "");

  if (mapped != NULL)
    return mapped;
  if (asked != NULL && strstr (asked, "haiku") != NULL && cc_upstream_setting (request, "small-model") != NULL)
    return g_strdup (cc_upstream_setting (request, "small-model"));
  if (cc_upstream_setting (request, "model") != NULL)
    return g_strdup (cc_upstream_setting (request, "model"));
  return g_strdup (asked ? asked : "");
}

static SoupMessage *
build_message (CcUpstreamRequest  *request,
               GError            **error)
{
  SoupMessage *message = cc_upstream_new_message (CC_OPENAI_PROVIDER_ID, request->upstream_body ? "POST" : "GET",
                                                  request->base, request->upstream_path, error);
  SoupMessageHeaders *headers;

  if (message == NULL)
    return NULL;
  headers = soup_message_get_request_headers (message);
  if (request->token != NULL)
    {
      g_autofree char *bearer = g_strconcat ("Bearer ", request->token, NULL);

      soup_message_headers_replace (headers, "authorization", bearer);
    }
  soup_message_headers_replace (headers, "accept", request->stream ? "text/event-stream" : "application/json");
  if (request->upstream_body != NULL)
    soup_message_set_request_body_from_bytes (message, "application/json", request->upstream_body);
  return message;
}

static JsonNode *
models_to_anthropic (CcUpstreamRequest *request,
                     JsonObject        *models)
{
  return cc_openai_models_to_anthropic (models);
}

static const CcUpstreamHooks openai_hooks = {
  .provider_id = CC_OPENAI_PROVIDER_ID,
  .upstream_name = N_("The server"),
  .build_message = build_message,
  .models_to_anthropic = models_to_anthropic,
};

/* Its turn has come (rate-limit-seconds): to the server. */
static void
serve (GTask *task)
{
  CcUpstreamRequest *request = cc_upstream_request_get (task);

  if (request->route == ROUTE_MESSAGES)
    {
      g_autofree char *model = upstream_model (request);

      cc_upstream_set_messages_body (request, g_strcmp0 (cc_upstream_setting (request, "api"), "responses") == 0
                                              ? CC_UPSTREAM_API_RESPONSES : CC_UPSTREAM_API_CHAT, model);
    }
  else
    {
      request->upstream_path = "/models";
      request->answer = CC_UPSTREAM_ANSWER_MODELS;
    }
  cc_upstream_send (task);
}

static void
handle_request_async (CcProxyProvider       *provider,
                      CcProxyRequestContext *context,
                      GCancellable          *cancellable,
                      GAsyncReadyCallback    callback,
                      gpointer               user_data)
{
  CcOpenaiProvider *self = CC_OPENAI_PROVIDER (provider);
  g_autoptr(GTask) task = cc_upstream_request_new (provider, context, &openai_hooks, cancellable, callback, user_data,
                                                   handle_request_async);
  CcUpstreamRequest *request = cc_upstream_request_get (task);

  /* The base URL is checked when it is set (http or https only). */
  cc_upstream_set_credentials (request, cc_upstream_setting (request, "api-key"), cc_upstream_setting (request, "base-url"));
  switch ((Route) request->route)
    {
    case ROUTE_MESSAGES:
    case ROUTE_MODELS:
      cc_upstream_acquire_slot (g_steal_pointer (&task), self->limiter, serve);
      break;
    case ROUTE_COUNT_TOKENS:
      cc_upstream_count_tokens (g_steal_pointer (&task));
      break;
    case ROUTE_NONE:
    default:
      cc_upstream_not_handled (g_steal_pointer (&task));
      break;
    }
}

static void
provider_iface_init (CcProxyProviderInterface *iface)
{
  cc_upstream_provider_iface_init (iface, routes, G_N_ELEMENTS (routes));
  iface->get_descriptor = get_descriptor;
  iface->handle_request_async = handle_request_async;
}

/* ----- the object ----- */

static CcProxyProviderDescriptor *
make_descriptor (void)
{
  static const char * const base_url_env[] = { "CC_PROXY_OPENAI_BASE_URL", NULL };
  static const char * const api_key_env[] = { "CC_PROXY_OPENAI_API_KEY", NULL };
  static const char * const api_env[] = { "CC_PROXY_OPENAI_API", NULL };
  static const char * const apis[] = { "chat", "responses", NULL };
  static const char * const model_env[] = { "CC_PROXY_OPENAI_MODEL", NULL };
  static const char * const small_model_env[] = { "CC_PROXY_OPENAI_SMALL_MODEL", NULL };
  static const char * const model_map_env[] = { "CC_PROXY_OPENAI_MODEL_MAP", NULL };
  static const char * const rate_env[] = { "CC_PROXY_OPENAI_RATE_LIMIT_SECONDS", NULL };
  static const char * const wait_env[] = { "CC_PROXY_OPENAI_RATE_LIMIT_WAIT", NULL };
  CcProxySettingDescriptor *settings[] = {
    cc_proxy_setting_descriptor_new ("base-url", _("Server URL"),
                                     _("The server's OpenAI API, up to /v1: http://localhost:11434/v1 for Ollama, "
                                       "https://openrouter.ai/api/v1 for OpenRouter."),
                                     CC_PROXY_SETTING_KIND_URL, "https://api.openai.com/v1", NULL, FALSE, base_url_env),
    cc_proxy_setting_descriptor_new ("api-key", _("API key"),
                                     _("Sent as a bearer token; local servers need none."),
                                     CC_PROXY_SETTING_KIND_TEXT, "", NULL, TRUE, api_key_env),
    cc_proxy_setting_descriptor_new ("api", _("API"),
                                     _("chat uses /chat/completions, which every server has; responses uses OpenAI's "
                                       "Responses API."),
                                     CC_PROXY_SETTING_KIND_SELECT, "chat", apis, FALSE, api_env),
    cc_proxy_setting_descriptor_new ("model", _("Model"),
                                     _("The model to ask the server for; empty: the name the client asked for."),
                                     CC_PROXY_SETTING_KIND_TEXT, "", NULL, FALSE, model_env),
    cc_proxy_setting_descriptor_new ("small-model", _("Small model"),
                                     _("The model for Claude's Haiku models (Claude Code's quick requests); empty: "
                                       "the model above."),
                                     CC_PROXY_SETTING_KIND_TEXT, "", NULL, FALSE, small_model_env),
    cc_proxy_setting_descriptor_new ("model-map", _("Model names"),
                                     _("from=to,from=to: the model to ask for when a client names another; wins over "
                                       "the two above."),
                                     CC_PROXY_SETTING_KIND_TEXT, "", NULL, FALSE, model_map_env),
    cc_upstream_limiter_seconds_setting (_("At most one request to the server starts per this many seconds (free "
                                           "tiers allow few); 0 is no limit."),
                                         rate_env),
    cc_upstream_limiter_wait_setting (wait_env),
    NULL
  };

  return cc_upstream_descriptor_new (CC_OPENAI_PROVIDER_ID, _("OpenAI-compatible server"), settings, routes,
                                     G_N_ELEMENTS (routes));
}

static void
cc_openai_provider_finalize (GObject *object)
{
  CcOpenaiProvider *self = CC_OPENAI_PROVIDER (object);

  g_clear_pointer (&self->descriptor, cc_proxy_provider_descriptor_unref);
  g_clear_pointer (&self->limiter, cc_upstream_limiter_free);
  G_OBJECT_CLASS (cc_openai_provider_parent_class)->finalize (object);
}

static void
cc_openai_provider_class_init (CcOpenaiProviderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cc_openai_provider_finalize;
}

static void
cc_openai_provider_class_finalize (CcOpenaiProviderClass *klass)
{
}

static void
cc_openai_provider_init (CcOpenaiProvider *self)
{
  self->descriptor = make_descriptor ();
  self->limiter = cc_upstream_limiter_new (CC_OPENAI_PROVIDER_ID, cc_upstream_clock_get_default ());
}

void
cc_openai_provider_register (GIOModule *module)
{
  cc_openai_provider_register_type (G_TYPE_MODULE (module));
}
