/* cc-copilot-provider.c: the Anthropic Messages API on GitHub Copilot
 *
 * Each request goes: credentials (a Copilot token, exchanged and cached),
 * then a rate-limit slot, then the upstream call, retried once with a
 * fresh token when Copilot says 401. Messages requests go natively to
 * models that speak Anthropic's API and are translated for the others;
 * the OpenAI-style routes are relayed as they are. The routes and rules
 * are in shared/spec/copilot.md.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "cc-copilot"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "cc-copilot-limiter.h"
#include "cc-copilot-login.h"
#include "cc-copilot-models.h"
#include "cc-copilot-provider.h"
#include "cc-copilot-tokens.h"
#include "cc-openai-responses.h"
#include "cc-openai-stream.h"
#include "cc-openai-translate.h"

struct _CcCopilotProvider
{
  GObject                    parent_instance;

  CcProxyProviderDescriptor *descriptor;
  const CcCopilotClock      *clock;
  CcCopilotTokens           *tokens;
  CcCopilotModels           *models;
  CcCopilotLimiter          *limiter;
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

static const struct
{
  const char *path;
  Route       route;
  const char *method;
} routes[] = {
  { "/v1/messages", ROUTE_MESSAGES, "POST" },
  { "/v1/messages/count_tokens", ROUTE_COUNT_TOKENS, "POST" },
  { "/v1/models", ROUTE_MODELS_ANTHROPIC, "GET" },
  { "/models", ROUTE_MODELS, "GET" },
  { "/v1/chat/completions", ROUTE_CHAT, "POST" },
  { "/chat/completions", ROUTE_CHAT, "POST" },
  { "/v1/embeddings", ROUTE_EMBEDDINGS, "POST" },
  { "/embeddings", ROUTE_EMBEDDINGS, "POST" },
  { "/usage", ROUTE_USAGE, "GET" },
  { "/v1/usage", ROUTE_USAGE, "GET" },
  { "/token", ROUTE_TOKEN, "GET" },
  { "/v1/token", ROUTE_TOKEN, "GET" },
};

static guint
route_index (const char *path)
{
  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    if (g_str_equal (routes[i].path, path))
      return i;
  return G_MAXUINT;
}

static Route
route_of (const char *path)
{
  guint i = route_index (path);

  return i == G_MAXUINT ? ROUTE_NONE : routes[i].route;
}

static gboolean
handles_path (CcProxyProvider *provider,
              const char      *path)
{
  return route_of (path) != ROUTE_NONE;
}

/* count_tokens reads its body itself: a bad one still gets a number. */
static gboolean
expects_json_body (CcProxyProvider *provider,
                   const char      *path)
{
  Route route = route_of (path);

  return route == ROUTE_MESSAGES || route == ROUTE_CHAT || route == ROUTE_EMBEDDINGS;
}

static const char *
get_allowed_methods (CcProxyProvider *provider,
                     const char      *path)
{
  guint i = route_index (path);

  return i == G_MAXUINT ? NULL : routes[i].method;
}

static CcProxyProviderDescriptor *
get_descriptor (CcProxyProvider *provider)
{
  return CC_COPILOT_PROVIDER (provider)->descriptor;
}

/* ----- one request ----- */

typedef struct
{
  CcCopilotProvider     *self;
  CcProxyRequestContext *context;
  CcProxySnapshot       *snapshot;
  Route                  route;
  char                  *token;
  char                  *base;
  gboolean               retried;
  JsonObject            *request;        /* the client's JSON body */
  GBytes                *upstream_body;  /* what goes upstream */
  const char            *upstream_path;
  CcCopilotEndpoint      endpoint;
  char                  *model;
  gboolean               stream;
  SoupMessage           *message;
} Call;

static void
call_free (Call *call)
{
  g_clear_object (&call->self);
  g_clear_object (&call->context);
  g_clear_pointer (&call->snapshot, cc_proxy_snapshot_unref);
  g_free (call->token);
  g_free (call->base);
  g_clear_pointer (&call->request, json_object_unref);
  g_clear_pointer (&call->upstream_body, g_bytes_unref);
  g_free (call->model);
  g_clear_object (&call->message);
  g_free (call);
}

static const char *
setting (Call       *call,
         const char *key)
{
  return cc_proxy_snapshot_get_value (call->snapshot, CC_COPILOT_PROVIDER_ID, key);
}

/* The functions below that take a task own it: each path through a
 * request hands the one reference on until something completes it. */

/* Answers with JSON of our own; the task is done. */
static void
respond_json (GTask      *task,
              guint       status,
              const char *body)
{
  Call *call = g_task_get_task_data (task);
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

  cc_proxy_request_context_respond (call->context, status, "application/json", bytes);
  g_task_return_int (task, CC_PROXY_HANDLED);
  g_object_unref (task);
}

static void
respond_error (GTask      *task,
               guint       status,
               const char *type,
               const char *message)
{
  Call *call = g_task_get_task_data (task);

  cc_proxy_request_context_respond_error (call->context, status, type, message);
  g_task_return_int (task, CC_PROXY_HANDLED);
  g_object_unref (task);
}

static void
respond_node (GTask    *task,
              JsonNode *node)
{
  g_autofree char *text = json_to_string (node, FALSE);

  respond_json (task, SOUP_STATUS_OK, text);
}

/* The upstream could not be reached (or was misconfigured): the core
 * makes that a 502. */
static void
fail (GTask  *task,
      GError *error)
{
  g_task_return_error (task, error);
  g_object_unref (task);
}

static void
count_tokens (GTask *task)
{
  Call *call = g_task_get_task_data (task);
  GBytes *body = cc_proxy_request_context_get_body (call->context);
  g_autofree char *text = body ? g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body)) : g_strdup ("");
  g_autoptr(JsonNode) node = cc_proxy_json_parse (text, -1, NULL);
  g_autofree char *answer = NULL;
  gint64 tokens;

  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    tokens = cc_openai_count_tokens (json_node_get_object (node),
                                     cc_proxy_json_get_string (json_node_get_object (node), "model"));
  else
    tokens = (strlen (text) + 3) / 4;
  answer = g_strdup_printf ("{\"input_tokens\":%" G_GINT64_FORMAT "}", MAX (tokens, 1));
  respond_json (task, SOUP_STATUS_OK, answer);
}

/* ----- reading whole answers ----- */

/* What is read whole, at most: an upstream that keeps sending must not
 * make the proxy hold it all. Errors are short; a model list or a
 * non-streamed answer can be long. */
#define MAX_ERROR_BODY  (1024 * 1024)
#define MAX_WHOLE_BODY  (32 * 1024 * 1024)
#define READ_CHUNK      (64 * 1024)

typedef struct
{
  GInputStream *stream;
  GByteArray   *bytes;
  gsize         max;
} ReadAll;

static void
read_all_free (ReadAll *read)
{
  g_object_unref (read->stream);
  g_byte_array_unref (read->bytes);
  g_free (read);
}

static void read_more (GTask *task);

static void
on_read_more (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ReadAll *read = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);

  /* read_more() made room for a whole chunk. */
  g_byte_array_set_size (read->bytes, read->bytes->len - READ_CHUNK + MAX (n, 0));
  if (n < 0)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (n == 0)
    {
      g_input_stream_close_async (read->stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
      g_task_return_pointer (task, g_byte_array_free_to_bytes (g_byte_array_ref (read->bytes)),
                             (GDestroyNotify) g_bytes_unref);
      return;
    }
  if (read->bytes->len > read->max)
    {
      /* Dropped unread: closing the stream drops the connection. */
      g_input_stream_close_async (read->stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                               _("Copilot's answer is larger than %zu MiB"), read->max / (1024 * 1024));
      return;
    }
  read_more (g_steal_pointer (&task));
}

static void
read_more (GTask *task)
{
  ReadAll *read = g_task_get_task_data (task);
  gsize len = read->bytes->len;

  g_byte_array_set_size (read->bytes, len + READ_CHUNK);
  g_input_stream_read_async (read->stream, read->bytes->data + len, READ_CHUNK, G_PRIORITY_DEFAULT,
                             g_task_get_cancellable (task), on_read_more, task);
}

/* Reads @stream to its end, or fails once it passes @max bytes. */
static void
read_all_async (GInputStream        *stream,
                gsize                max,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  ReadAll *read = g_new0 (ReadAll, 1);

  read->stream = g_object_ref (stream);
  read->bytes = g_byte_array_new ();
  read->max = max;
  g_task_set_task_data (task, read, (GDestroyNotify) read_all_free);
  read_more (task);
}

/* ----- answers ----- */

static void
on_relayed (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  cc_proxy_request_context_relay_finish (CC_PROXY_REQUEST_CONTEXT (source), result, NULL);
  g_task_return_int (task, CC_PROXY_HANDLED);
}

static void
relay (GTask        *task,
       GInputStream *body,
       CcProxyRelayFilter filter,
       gpointer      filter_data,
       GDestroyNotify filter_data_destroy)
{
  Call *call = g_task_get_task_data (task);

  cc_proxy_request_context_relay_async (call->context, call->message, body, filter, filter_data, filter_data_destroy,
                                        g_task_get_cancellable (task), on_relayed, task);
}

typedef struct
{
  CcOpenaiStream     *stream;
  CcProxyRelayOutput *out;
} Translation;

static void
translation_free (Translation *translation)
{
  cc_openai_stream_free (translation->stream);
  g_free (translation);
}

static void
on_translated_event (const char *event,
                     JsonNode   *data,
                     gpointer    user_data)
{
  Translation *translation = user_data;

  cc_proxy_relay_output_add_event (translation->out, event, data);
}

/* Chat-completions chunks in, Anthropic events out, as they stream. */
static void
translate_chunk (CcProxyRelayStage   stage,
                 const char         *data,
                 gsize               len,
                 CcProxyRelayOutput *out,
                 gpointer            user_data)
{
  Translation *translation = user_data;

  translation->out = out;
  switch (stage)
    {
    case CC_PROXY_RELAY_DATA:
      if (!cc_openai_stream_feed (translation->stream, data, len))
        cc_proxy_relay_output_end (out);
      break;
    case CC_PROXY_RELAY_END:
      cc_openai_stream_finish (translation->stream);
      break;
    case CC_PROXY_RELAY_FAILED:
      cc_openai_stream_fail (translation->stream, data);
      break;
    case CC_PROXY_RELAY_IDLE:
    default:
      cc_openai_stream_ping (translation->stream);
      break;
    }
  translation->out = NULL;
}

typedef enum {
  WHOLE_ERROR,        /* an upstream error, reshaped for Anthropic clients */
  WHOLE_MODELS,       /* the model list, as Anthropic's */
  WHOLE_TRANSLATE,    /* a chat-completions or Responses answer, translated */
} WholeKind;

typedef struct
{
  GTask     *task;
  WholeKind  kind;
} Whole;

static void
on_whole (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Whole *whole = user_data;
  g_autoptr(GTask) task = whole->task;
  Call *call = g_task_get_task_data (task);
  WholeKind kind = whole->kind;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = g_task_propagate_pointer (G_TASK (result), &error);
  guint status = soup_message_get_status (call->message);
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) node = NULL;

  g_free (whole);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE))
    {
      respond_error (g_steal_pointer (&task), SOUP_STATUS_BAD_GATEWAY, "api_error", error->message);
      return;
    }
  if (body == NULL)
    {
      fail (g_steal_pointer (&task), g_steal_pointer (&error));
      return;
    }
  if (kind == WHOLE_ERROR)
    {
      g_autofree char *answer = cc_openai_error_to_anthropic (status, body);

      cc_openai_copy_rate_limit_headers (soup_message_get_response_headers (call->message),
                                         cc_proxy_request_context_get_response_headers (call->context));

      respond_json (g_steal_pointer (&task), status, answer);
      return;
    }

  text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  node = cc_proxy_json_parse (text, -1, NULL);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      respond_error (g_steal_pointer (&task), SOUP_STATUS_BAD_GATEWAY, "api_error", _("Copilot's answer was not the JSON it should be"));
      return;
    }
  if (kind == WHOLE_MODELS)
    {
      g_autoptr(JsonNode) list = cc_copilot_models_to_anthropic (json_node_get_object (node));

      cc_copilot_models_update (call->self->models, json_node_get_object (node));
      respond_node (g_steal_pointer (&task), list);
    }
  else
    {
      g_autoptr(JsonNode) message = call->endpoint == CC_COPILOT_ENDPOINT_RESPONSES
        ? cc_openai_responses_response_to_anthropic (json_node_get_object (node))
        : cc_openai_response_to_anthropic (json_node_get_object (node));

      respond_node (g_steal_pointer (&task), message);
    }
}

static void
read_whole (GTask        *task,
            GInputStream *body,
            WholeKind     kind)
{
  Whole *whole = g_new0 (Whole, 1);

  whole->task = task;
  whole->kind = kind;
  read_all_async (body, kind == WHOLE_ERROR ? MAX_ERROR_BODY : MAX_WHOLE_BODY,
                  g_task_get_cancellable (task), on_whole, whole);
}

/* The upstream answered (not 401, or 401 a second time). */
static void
answer (GTask        *task,
        GInputStream *body)
{
  Call *call = g_task_get_task_data (task);
  guint status = soup_message_get_status (call->message);
  gboolean reshape_errors = call->route == ROUTE_MESSAGES || call->route == ROUTE_MODELS_ANTHROPIC;

  if (status >= 400 && reshape_errors)
    read_whole (task, body, WHOLE_ERROR);
  else if (call->route == ROUTE_MODELS_ANTHROPIC)
    read_whole (task, body, WHOLE_MODELS);
  else if (call->route == ROUTE_MESSAGES && call->endpoint != CC_COPILOT_ENDPOINT_MESSAGES && !call->stream)
    read_whole (task, body, WHOLE_TRANSLATE);
  else if (call->route == ROUTE_MESSAGES && call->endpoint != CC_COPILOT_ENDPOINT_MESSAGES)
    {
      SoupMessageHeaders *headers = cc_proxy_request_context_get_response_headers (call->context);
      Translation *translation = g_new0 (Translation, 1);

      translation->stream = call->endpoint == CC_COPILOT_ENDPOINT_RESPONSES
        ? cc_openai_stream_new_for_responses (on_translated_event, translation)
        : cc_openai_stream_new (on_translated_event, translation);
      cc_proxy_request_context_set_status (call->context, SOUP_STATUS_OK);
      soup_message_headers_set_content_type (headers, "text/event-stream", NULL);
      soup_message_headers_replace (headers, "cache-control", "no-cache");
      relay (task, body, translate_chunk, translation, (GDestroyNotify) translation_free);
    }
  else
    relay (task, body, NULL, NULL, NULL);
}

/* ----- upstream requests ----- */

static void send_upstream (GTask *task);

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

static SoupMessage *
build_message (Call    *call,
               GError **error)
{
  SoupMessage *message;
  SoupMessageHeaders *headers;
  SoupMessageHeaders *client = cc_proxy_request_context_get_request_headers (call->context);

  if (call->route == ROUTE_USAGE)
    {
      message = cc_copilot_new_message ("GET", setting (call, "github-api-url"), "/copilot_internal/user", error);
      if (message != NULL)
        cc_copilot_add_github_headers (soup_message_get_request_headers (message), call->snapshot,
                                       setting (call, "github-token"));
      return message;
    }

  message = cc_copilot_new_message (call->upstream_body ? "POST" : "GET", call->base, call->upstream_path, error);
  if (message == NULL)
    return NULL;
  headers = soup_message_get_request_headers (message);
  cc_copilot_add_copilot_headers (headers, call->snapshot, call->token);
  soup_message_headers_replace (headers, "accept", call->stream ? "text/event-stream" : "application/json");

  if (call->route == ROUTE_MESSAGES)
    {
      add_turn_headers (headers, cc_openai_anthropic_is_user_turn (call->request),
                        cc_openai_anthropic_has_image (call->request));
      if (call->endpoint == CC_COPILOT_ENDPOINT_MESSAGES)
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

static void on_token (GObject *source, GAsyncResult *result, gpointer user_data);

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Call *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GInputStream) body = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  const char *fixed_token = setting (call, "token");

  if (body == NULL)
    {
      fail (g_steal_pointer (&task), g_steal_pointer (&error));
      return;
    }

  /* A refused exchanged token: drop it and try once more with a new
   * one. A token given as is cannot be renewed. */
  if (soup_message_get_status (call->message) == SOUP_STATUS_UNAUTHORIZED && !call->retried &&
      call->route != ROUTE_USAGE && (fixed_token == NULL || fixed_token[0] == '\0'))
    {
      /* Read before the task is handed over, whatever the argument order. */
      GCancellable *cancellable = g_task_get_cancellable (task);

      call->retried = TRUE;
      g_input_stream_close_async (body, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
      cc_copilot_tokens_invalidate (call->self->tokens, call->token);
      cc_copilot_tokens_get_async (call->self->tokens, cc_proxy_request_context_get_session (call->context),
                                   call->snapshot, cancellable, on_token, g_steal_pointer (&task));
      return;
    }
  answer (g_steal_pointer (&task), body);
}

static void
send_upstream (GTask *task)
{
  Call *call = g_task_get_task_data (task);
  GError *error = NULL;

  g_clear_object (&call->message);
  call->message = build_message (call, &error);
  if (call->message == NULL)
    {
      fail (task, error);
      return;
    }
  soup_session_send_async (cc_proxy_request_context_get_session (call->context), call->message, G_PRIORITY_DEFAULT,
                           g_task_get_cancellable (task), on_sent, task);
}

/* ----- messages: which endpoint ----- */

static void
choose_endpoint (GTask *task)
{
  Call *call = g_task_get_task_data (task);
  g_auto(GStrv) ids = cc_copilot_models_dup_ids (call->self->models);
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *text = NULL;

  g_free (call->model);
  call->model = cc_openai_map_model (cc_proxy_json_get_string (call->request, "model") ?: "",
                                     setting (call, "model-map"), (const char * const *) ids);
  call->stream = cc_proxy_json_get_bool (call->request, "stream", FALSE);
  call->endpoint = cc_copilot_models_get_endpoint (call->self->models, call->model);

  switch (call->endpoint)
    {
    case CC_COPILOT_ENDPOINT_RESPONSES:
      body = cc_openai_responses_request_from_anthropic (call->request, call->model);
      call->upstream_path = "/responses";
      break;

    case CC_COPILOT_ENDPOINT_MESSAGES:
      {
        /* The client's body, with the upstream's model name: thinking
         * and its signatures stay. (A copy: the body is shared.) */
        g_autofree char *original = json_to_string (cc_proxy_request_context_get_json_body (call->context), FALSE);

        body = cc_proxy_json_parse (original, -1, NULL);
        json_object_set_string_member (json_node_get_object (body), "model", call->model);
        call->upstream_path = "/v1/messages";
      }
      break;

    case CC_COPILOT_ENDPOINT_CHAT:
    default:
      body = cc_openai_request_from_anthropic (call->request, call->model);
      call->upstream_path = "/chat/completions";
      break;
    }

  text = json_to_string (body, FALSE);
  {
    gsize len = strlen (text);

    call->upstream_body = g_bytes_new_take (g_steal_pointer (&text), len);
  }
  send_upstream (task);
}

static void
on_models (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Call *call = g_task_get_task_data (task);
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);
  SoupMessage *message = g_object_get_data (G_OBJECT (task), "models-message");

  /* Without the list, Messages requests are translated. */
  if (body != NULL && soup_message_get_status (message) == SOUP_STATUS_OK)
    {
      g_autofree char *text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
      g_autoptr(JsonNode) node = cc_proxy_json_parse (text, -1, NULL);

      if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
        cc_copilot_models_update (call->self->models, json_node_get_object (node));
    }
  if (g_task_return_error_if_cancelled (task))
    return;
  choose_endpoint (g_steal_pointer (&task));
}

static void
serve_messages (GTask *task)
{
  Call *call = g_task_get_task_data (task);
  const char *model = cc_proxy_json_get_string (call->request, "model");
  g_autofree char *mapped = cc_openai_map_model (model ? model : "", setting (call, "model-map"), NULL);
  SoupMessage *message;

  if (!cc_copilot_models_needs_refresh (call->self->models, mapped))
    {
      choose_endpoint (task);
      return;
    }
  message = cc_copilot_new_message ("GET", call->base, "/models", NULL);
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

static void
on_slot (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Call *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  guint retry_after = 0;

  if (!cc_copilot_limiter_acquire_finish (call->self->limiter, result, &retry_after, &error))
    {
      if (g_error_matches (error, CC_COPILOT_ERROR, CC_COPILOT_ERROR_RATE_LIMITED))
        {
          g_autofree char *seconds = g_strdup_printf ("%u", retry_after);

          soup_message_headers_replace (cc_proxy_request_context_get_response_headers (call->context),
                                        "retry-after", seconds);
          respond_error (g_steal_pointer (&task), 429, "rate_limit_error", error->message);
        }
      else
        fail (g_steal_pointer (&task), g_steal_pointer (&error));
      return;
    }

  switch (call->route)
    {
    case ROUTE_MESSAGES:
      serve_messages (g_steal_pointer (&task));
      break;
    case ROUTE_MODELS:
    case ROUTE_MODELS_ANTHROPIC:
      call->upstream_path = "/models";
      send_upstream (g_steal_pointer (&task));
      break;
    case ROUTE_CHAT:
    case ROUTE_EMBEDDINGS:
      call->upstream_path = call->route == ROUTE_CHAT ? "/chat/completions" : "/embeddings";
      call->stream = cc_proxy_json_get_bool (call->request, "stream", FALSE);
      call->upstream_body = g_bytes_ref (cc_proxy_request_context_get_body (call->context));
      send_upstream (g_steal_pointer (&task));
      break;
    case ROUTE_USAGE:
    default:
      send_upstream (g_steal_pointer (&task));
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
  Call *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *api_endpoint = NULL;
  g_autofree char *token = cc_copilot_tokens_get_finish (call->self->tokens, result, &api_endpoint, &error);
  GCancellable *cancellable;

  if (token == NULL)
    {
      if (g_error_matches (error, CC_COPILOT_ERROR, CC_COPILOT_ERROR_LOGIN_REFUSED))
        set_attention (call->self, _("GitHub refused the Copilot login (revoked or expired): sign in again"));
      if (error->domain == CC_COPILOT_ERROR)
        respond_error (g_steal_pointer (&task), SOUP_STATUS_UNAUTHORIZED, "authentication_error", error->message);
      else
        fail (g_steal_pointer (&task), g_steal_pointer (&error));
      return;
    }
  set_attention (call->self, NULL);
  g_free (call->token);
  call->token = g_steal_pointer (&token);
  /* An exchanged token is no setting, so nothing else knows to hide it. */
  cc_proxy_request_context_add_secret (call->context, call->token);
  g_free (call->base);
  call->base = cc_copilot_base_url (call->snapshot, api_endpoint);

  /* The retry after a 401 already has its slot. */
  if (call->retried)
    {
      send_upstream (g_steal_pointer (&task));
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
      respond_node (g_steal_pointer (&task), node);
      return;
    }
  cancellable = g_task_get_cancellable (task);
  cc_copilot_limiter_acquire_async (call->self->limiter,
                                    cc_proxy_snapshot_get_uint (call->snapshot, CC_COPILOT_PROVIDER_ID, "rate-limit-seconds"),
                                    cc_proxy_snapshot_get_boolean (call->snapshot, CC_COPILOT_PROVIDER_ID, "rate-limit-wait"),
                                    cancellable, on_slot, g_steal_pointer (&task));
}

static void
handle_request_async (CcProxyProvider       *provider,
                      CcProxyRequestContext *context,
                      GCancellable          *cancellable,
                      GAsyncReadyCallback    callback,
                      gpointer               user_data)
{
  CcCopilotProvider *self = CC_COPILOT_PROVIDER (provider);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  Call *call = g_new0 (Call, 1);
  JsonNode *json = cc_proxy_request_context_get_json_body (context);

  g_task_set_source_tag (task, handle_request_async);
  call->self = g_object_ref (self);
  call->context = g_object_ref (context);
  call->snapshot = cc_proxy_snapshot_ref (cc_proxy_request_context_get_snapshot (context));
  call->route = route_of (cc_proxy_request_context_get_path (context));
  call->request = json && JSON_NODE_HOLDS_OBJECT (json) ? json_object_ref (json_node_get_object (json)) : NULL;
  g_task_set_task_data (task, call, (GDestroyNotify) call_free);

  switch (call->route)
    {
    case ROUTE_NONE:
      g_task_return_int (task, CC_PROXY_NOT_HANDLED);
      return;
    case ROUTE_COUNT_TOKENS:
      count_tokens (g_steal_pointer (&task));
      return;
    case ROUTE_TOKEN:
      /* Any local process could read the token otherwise. */
      if (!cc_proxy_snapshot_get_boolean (call->snapshot, CC_COPILOT_PROVIDER_ID, "expose-token"))
        {
          respond_error (g_steal_pointer (&task), SOUP_STATUS_NOT_FOUND, "not_found_error",
                         _("Not found: the token routes are served only when the copilot provider's expose-token is on"));
          return;
        }
      break;
    case ROUTE_USAGE:
      if (setting (call, "github-token") == NULL || setting (call, "github-token")[0] == '\0')
        {
          respond_error (g_steal_pointer (&task), SOUP_STATUS_UNAUTHORIZED, "authentication_error",
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

static CcProxyHandled
handle_request_finish (CcProxyProvider  *provider,
                       GAsyncResult     *result,
                       GError          **error)
{
  GError *local = NULL;
  gssize handled = g_task_propagate_int (G_TASK (result), &local);

  if (local != NULL)
    {
      g_propagate_error (error, local);
      return CC_PROXY_HANDLED;
    }
  return (CcProxyHandled) handled;
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
 * fast one. Before that, nothing: Claude Code's own names are mapped. */
static GHashTable *
dup_client_environment (CcProxyProvider *provider,
                        CcProxySnapshot *snapshot)
{
  CcCopilotProvider *self = CC_COPILOT_PROVIDER (provider);
  g_auto(GStrv) ids = cc_copilot_models_dup_ids (self->models);
  GHashTable *environment = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  const char *main_model = newest (ids, "claude-sonnet-");
  const char *small = newest (ids, "claude-haiku-");

  if (main_model == NULL)
    main_model = newest (ids, "claude-opus-");
  if (small == NULL)
    small = main_model;
  if (main_model != NULL)
    g_hash_table_insert (environment, g_strdup ("ANTHROPIC_MODEL"), g_strdup (main_model));
  if (small != NULL)
    g_hash_table_insert (environment, g_strdup ("ANTHROPIC_SMALL_FAST_MODEL"), g_strdup (small));
  return environment;
}

static void
provider_iface_init (CcProxyProviderInterface *iface)
{
  iface->get_descriptor = get_descriptor;
  iface->handles_path = handles_path;
  iface->expects_json_body = expects_json_body;
  iface->get_allowed_methods = get_allowed_methods;
  iface->handle_request_async = handle_request_async;
  iface->handle_request_finish = handle_request_finish;
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
    cc_proxy_setting_descriptor_new_int ("rate-limit-seconds", _("Seconds between requests"),
                                         _("At most one request to Copilot starts per this many seconds; 0 is no limit."),
                                         0, 0, 86400, _("seconds"), rate_env),
    cc_proxy_setting_descriptor_new ("rate-limit-wait", _("Wait instead of refusing"),
                                     _("Requests that come too soon wait their turn instead of getting 429."),
                                     CC_PROXY_SETTING_KIND_BOOL, "false", NULL, FALSE, wait_env),
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

  return cc_proxy_provider_descriptor_new (CC_COPILOT_PROVIDER_ID, _("GitHub Copilot"), settings);
}

static void
cc_copilot_provider_finalize (GObject *object)
{
  CcCopilotProvider *self = CC_COPILOT_PROVIDER (object);

  g_clear_pointer (&self->descriptor, cc_proxy_provider_descriptor_unref);
  g_clear_pointer (&self->tokens, cc_copilot_tokens_free);
  g_clear_pointer (&self->models, cc_copilot_models_free);
  g_clear_pointer (&self->attention, g_free);
  g_clear_pointer (&self->limiter, cc_copilot_limiter_free);
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
  self->clock = cc_copilot_clock_get_default ();
  self->tokens = cc_copilot_tokens_new (self->clock);
  self->models = cc_copilot_models_new (self->clock);
  self->limiter = cc_copilot_limiter_new (self->clock);
}

void
cc_copilot_provider_register (GIOModule *module)
{
  cc_copilot_provider_register_type (G_TYPE_MODULE (module));
}
