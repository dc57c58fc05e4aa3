/* cc-upstream-request.c: one request to an OpenAI-style upstream
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "cc-openai"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "cc-openai-responses.h"
#include "cc-openai-stream.h"
#include "cc-openai-translate.h"
#include "cc-upstream-limiter.h"
#include "cc-upstream-request.h"

G_DEFINE_QUARK (cc-upstream-error-quark, cc_upstream_error)

/* ----- the provider interface, from a route table ----- */

typedef struct
{
  const CcUpstreamRoute *routes;
  gsize                  n_routes;
} RouteTable;

static GQuark
route_table_quark (void)
{
  return g_quark_from_static_string ("cc-upstream-routes");
}

static const CcUpstreamRoute *
find_route (CcProxyProvider *provider,
            const char      *path)
{
  const RouteTable *table = g_type_get_qdata (G_OBJECT_TYPE (provider), route_table_quark ());

  for (gsize i = 0; table != NULL && i < table->n_routes; i++)
    if (g_str_equal (table->routes[i].path, path))
      return &table->routes[i];
  return NULL;
}

/* The provider's route for @path, or 0. */
int
cc_upstream_route_of (CcProxyProvider *provider,
                      const char      *path)
{
  const CcUpstreamRoute *route = find_route (provider, path);

  return route != NULL ? route->route : 0;
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

/**
 * cc_upstream_descriptor_new:
 * @settings: (array zero-terminated=1) (transfer full): as for
 *   cc_proxy_provider_descriptor_new()
 * @routes: (array length=n_routes): the provider's routes, the same
 *   table as cc_upstream_provider_iface_init()'s
 *
 * Returns: (transfer full): the provider's descriptor, its routes in it:
 *   which paths are the provider's, their methods and bodies
 */
CcProxyProviderDescriptor *
cc_upstream_descriptor_new (const char                *provider_id,
                            const char                *display_name,
                            CcProxySettingDescriptor **settings,
                            const CcUpstreamRoute     *routes,
                            gsize                      n_routes)
{
  CcProxyProviderDescriptor *descriptor = cc_proxy_provider_descriptor_new (provider_id, display_name, settings);

  for (gsize i = 0; i < n_routes; i++)
    cc_proxy_provider_descriptor_add_route (descriptor, routes[i].path, routes[i].method, routes[i].json_body);
  return descriptor;
}

/**
 * cc_upstream_provider_iface_init:
 * @iface: the provider's #CcProxyProviderInterface, in its iface_init
 * @routes: (array length=n_routes): its routes, static
 *
 * Keeps the routes for cc_upstream_route_of() and fills in
 * handle_request_finish(); the provider adds its descriptor (made with
 * cc_upstream_descriptor_new(), which answers which paths are its) and
 * handle_request_async().
 */
void
cc_upstream_provider_iface_init (CcProxyProviderInterface *iface,
                                 const CcUpstreamRoute    *routes,
                                 gsize                     n_routes)
{
  RouteTable *table = g_new (RouteTable, 1);

  /* Kept for the type's life, which has no end (modules stay loaded). */
  table->routes = routes;
  table->n_routes = n_routes;
  g_type_set_qdata (((GTypeInterface *) iface)->g_instance_type, route_table_quark (), table);
  iface->handle_request_finish = handle_request_finish;
}

static void
request_free (CcUpstreamRequest *request)
{
  g_clear_object (&request->provider);
  g_clear_object (&request->context);
  g_clear_pointer (&request->snapshot, cc_proxy_snapshot_unref);
  g_clear_pointer (&request->request, json_object_unref);
  g_free (request->token);
  g_free (request->base);
  g_free (request->model);
  g_clear_pointer (&request->upstream_body, g_bytes_unref);
  g_clear_object (&request->message);
  g_free (request);
}

/**
 * cc_upstream_request_new:
 * @provider: the provider, the task's source object
 * @context: the client's request
 * @hooks: (not nullable): the provider's part, static
 *
 * Returns: (transfer full): the task that answers @context, with its
 *   #CcUpstreamRequest
 */
GTask *
cc_upstream_request_new (CcProxyProvider       *provider,
                         CcProxyRequestContext *context,
                         const CcUpstreamHooks *hooks,
                         GCancellable          *cancellable,
                         GAsyncReadyCallback    callback,
                         gpointer               user_data,
                         gpointer               source_tag)
{
  GTask *task = g_task_new (provider, cancellable, callback, user_data);
  CcUpstreamRequest *request = g_new0 (CcUpstreamRequest, 1);
  JsonNode *json = cc_proxy_request_context_get_json_body (context);

  g_task_set_source_tag (task, source_tag);
  request->provider = G_OBJECT (g_object_ref (provider));
  request->context = g_object_ref (context);
  request->snapshot = cc_proxy_snapshot_ref (cc_proxy_request_context_get_snapshot (context));
  request->hooks = hooks;
  request->route = cc_upstream_route_of (provider, cc_proxy_request_context_get_path (context));
  request->request = json && JSON_NODE_HOLDS_OBJECT (json) ? json_object_ref (json_node_get_object (json)) : NULL;
  g_task_set_task_data (task, request, (GDestroyNotify) request_free);
  return task;
}

CcUpstreamRequest *
cc_upstream_request_get (GTask *task)
{
  return g_task_get_task_data (task);
}

/* The provider's setting @key for this request; %NULL when empty. */
const char *
cc_upstream_setting (CcUpstreamRequest *request,
                     const char        *key)
{
  const char *value = cc_proxy_snapshot_get_value (request->snapshot, request->hooks->provider_id, key);

  return value != NULL && value[0] != '\0' ? value : NULL;
}

/* The credentials to send with: @token (hidden from logs and traffic,
 * as settings are) and the upstream's base URL. */
void
cc_upstream_set_credentials (CcUpstreamRequest *request,
                             const char        *token,
                             const char        *base)
{
  g_free (request->token);
  request->token = g_strdup (token);
  if (token != NULL && token[0] != '\0')
    cc_proxy_request_context_add_secret (request->context, token);
  g_free (request->base);
  request->base = g_strdup (base);
}

/* The Messages request, for @api, with the upstream's name @model. */
void
cc_upstream_set_messages_body (CcUpstreamRequest *request,
                               CcUpstreamApi      api,
                               const char        *model)
{
  g_autoptr(JsonNode) body = NULL;
  char *text;

  g_free (request->model);
  request->model = g_strdup (model);
  request->api = api;
  request->answer = CC_UPSTREAM_ANSWER_MESSAGES;
  request->stream = cc_proxy_json_get_bool (request->request, "stream", FALSE);
  switch (api)
    {
    case CC_UPSTREAM_API_RESPONSES:
      body = cc_openai_responses_request_from_anthropic (request->request, model);
      request->upstream_path = "/responses";
      break;

    case CC_UPSTREAM_API_MESSAGES:
      {
        /* The client's body, with the upstream's model name: thinking
         * and its signatures stay. (A copy: the body is shared.) */
        g_autofree char *original = cc_proxy_json_to_string (cc_proxy_request_context_get_json_body (request->context));

        body = cc_proxy_json_parse (original, -1, NULL);
        json_object_set_string_member (json_node_get_object (body), "model", model);
        request->upstream_path = "/v1/messages";
      }
      break;

    case CC_UPSTREAM_API_CHAT:
    default:
      body = cc_openai_request_from_anthropic (request->request, model);
      request->upstream_path = "/chat/completions";
      break;
    }
  text = cc_proxy_json_to_string (body);
  g_clear_pointer (&request->upstream_body, g_bytes_unref);
  request->upstream_body = g_bytes_new_take (text, strlen (text));
}

/**
 * cc_upstream_new_message:
 * @provider_id: whose setting @base is, for the error
 * @method: the HTTP method
 * @base: an upstream base URL, from a setting
 * @path: what goes after it
 *
 * Returns: (transfer full) (nullable): a message for @base + @path, or
 *   %NULL with @error set when @base is not an http(s) URL
 */
SoupMessage *
cc_upstream_new_message (const char  *provider_id,
                         const char  *method,
                         const char  *base,
                         const char  *path,
                         GError     **error)
{
  g_autofree char *url = g_strconcat (base ? base : "", path, NULL);
  g_autoptr(GUri) uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);
  SoupMessage *message;

  if (uri == NULL || g_uri_get_host (uri) == NULL ||
      !(g_str_equal (g_uri_get_scheme (uri), "http") || g_str_equal (g_uri_get_scheme (uri), "https")))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a valid http(s) URL: check the %s provider's settings"), base ? base : "",
                   provider_id);
      return NULL;
    }
  message = soup_message_new_from_uri (method, uri);
  /* Bodies are held whole, so a request may go on an idle pooled
   * connection and be sent again if that turns out closed (libsoup
   * opens a new connection for every POST otherwise). */
  soup_message_add_flags (message, SOUP_MESSAGE_IDEMPOTENT);
  return message;
}

/* ----- answers of our own ----- */

void
cc_upstream_not_handled (GTask *task)
{
  g_task_return_int (task, CC_PROXY_NOT_HANDLED);
  g_object_unref (task);
}

/* Answers with JSON of our own; the task is done. */
void
cc_upstream_respond_json (GTask      *task,
                          guint       status,
                          const char *body)
{
  CcUpstreamRequest *request = g_task_get_task_data (task);
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

  cc_proxy_request_context_respond (request->context, status, "application/json", bytes);
  g_task_return_int (task, CC_PROXY_HANDLED);
  g_object_unref (task);
}

void
cc_upstream_respond_error (GTask      *task,
                           guint       status,
                           const char *type,
                           const char *message)
{
  CcUpstreamRequest *request = g_task_get_task_data (task);

  cc_proxy_request_context_respond_error (request->context, status, type, message);
  g_task_return_int (task, CC_PROXY_HANDLED);
  g_object_unref (task);
}

void
cc_upstream_respond_node (GTask    *task,
                          JsonNode *node)
{
  g_autofree char *text = cc_proxy_json_to_string (node);

  cc_upstream_respond_json (task, SOUP_STATUS_OK, text);
}

/* The upstream could not be reached (or was misconfigured): the core
 * makes that a 502. */
void
cc_upstream_fail (GTask  *task,
                  GError *error)
{
  g_task_return_error (task, error);
  g_object_unref (task);
}

/* count_tokens, answered here with an estimate: a bad body still gets a
 * number. */
void
cc_upstream_count_tokens (GTask *task)
{
  CcUpstreamRequest *request = g_task_get_task_data (task);
  GBytes *body = cc_proxy_request_context_get_body (request->context);
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
  cc_upstream_respond_json (task, SOUP_STATUS_OK, answer);
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
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE, "larger than %zu bytes", read->max);
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
  CcUpstreamRequest *request = g_task_get_task_data (task);

  cc_proxy_request_context_relay_async (request->context, request->message, body, filter, filter_data, filter_data_destroy,
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
  CcUpstreamRequest *request = g_task_get_task_data (task);
  WholeKind kind = whole->kind;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = g_task_propagate_pointer (G_TASK (result), &error);
  guint status = soup_message_get_status (request->message);
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) node = NULL;

  g_free (whole);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE))
    {
      g_autofree char *message = g_strdup_printf (_("%s's answer is larger than %d MiB"), request->hooks->upstream_name,
                                                  (kind == WHOLE_ERROR ? MAX_ERROR_BODY : MAX_WHOLE_BODY) / (1024 * 1024));

      cc_upstream_respond_error (g_steal_pointer (&task), SOUP_STATUS_BAD_GATEWAY, "api_error", message);
      return;
    }
  if (body == NULL)
    {
      cc_upstream_fail (g_steal_pointer (&task), g_steal_pointer (&error));
      return;
    }
  if (kind == WHOLE_ERROR)
    {
      g_autofree char *answer = cc_openai_error_to_anthropic (status, body);

      cc_openai_copy_rate_limit_headers (soup_message_get_response_headers (request->message),
                                         cc_proxy_request_context_get_response_headers (request->context));

      cc_upstream_respond_json (g_steal_pointer (&task), status, answer);
      return;
    }

  text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  node = cc_proxy_json_parse (text, -1, NULL);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_autofree char *message = g_strdup_printf (_("%s's answer was not the JSON it should be"),
                                                  _(request->hooks->upstream_name));

      cc_upstream_respond_error (g_steal_pointer (&task), SOUP_STATUS_BAD_GATEWAY, "api_error", message);
      return;
    }
  if (kind == WHOLE_MODELS)
    {
      g_autoptr(JsonNode) list = request->hooks->models_to_anthropic (request, json_node_get_object (node));

      cc_upstream_respond_node (g_steal_pointer (&task), list);
    }
  else
    {
      g_autoptr(JsonNode) message = request->api == CC_UPSTREAM_API_RESPONSES
        ? cc_openai_responses_response_to_anthropic (json_node_get_object (node))
        : cc_openai_response_to_anthropic (json_node_get_object (node));

      cc_upstream_respond_node (g_steal_pointer (&task), message);
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

/* The upstream answered (not 401, or a 401 the provider left). */
static void
answer (GTask        *task,
        GInputStream *body)
{
  CcUpstreamRequest *request = g_task_get_task_data (task);
  guint status = soup_message_get_status (request->message);
  gboolean translated = request->answer == CC_UPSTREAM_ANSWER_MESSAGES && request->api != CC_UPSTREAM_API_MESSAGES;

  if (status >= 400 && request->answer != CC_UPSTREAM_ANSWER_RELAY)
    read_whole (task, body, WHOLE_ERROR);
  else if (request->answer == CC_UPSTREAM_ANSWER_MODELS)
    read_whole (task, body, WHOLE_MODELS);
  else if (translated && !request->stream)
    read_whole (task, body, WHOLE_TRANSLATE);
  else if (translated)
    {
      SoupMessageHeaders *headers = cc_proxy_request_context_get_response_headers (request->context);
      Translation *translation = g_new0 (Translation, 1);

      translation->stream = request->api == CC_UPSTREAM_API_RESPONSES
        ? cc_openai_stream_new_for_responses (on_translated_event, translation)
        : cc_openai_stream_new (on_translated_event, translation);
      cc_proxy_request_context_set_status (request->context, SOUP_STATUS_OK);
      soup_message_headers_set_content_type (headers, "text/event-stream", NULL);
      soup_message_headers_replace (headers, "cache-control", "no-cache");
      relay (task, body, translate_chunk, translation, (GDestroyNotify) translation_free);
    }
  else
    relay (task, body, NULL, NULL, NULL);
}

/* ----- rate limiting ----- */

typedef struct
{
  GTask              *task;
  CcUpstreamLimiter  *limiter;
  void              (*next) (GTask *task);
} Slot;

static void
on_slot (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Slot *slot = user_data;
  g_autoptr(GTask) task = slot->task;
  void (*next) (GTask *task) = slot->next;
  CcUpstreamRequest *request = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  guint retry_after = 0;
  gboolean acquired = cc_upstream_limiter_acquire_finish (slot->limiter, result, &retry_after, &error);

  g_free (slot);
  if (acquired)
    next (g_steal_pointer (&task));
  else if (g_error_matches (error, CC_UPSTREAM_ERROR, CC_UPSTREAM_ERROR_RATE_LIMITED))
    {
      g_autofree char *seconds = g_strdup_printf ("%u", retry_after);

      soup_message_headers_replace (cc_proxy_request_context_get_response_headers (request->context),
                                    "retry-after", seconds);
      cc_upstream_respond_error (g_steal_pointer (&task), 429, "rate_limit_error", error->message);
    }
  else
    cc_upstream_fail (g_steal_pointer (&task), g_steal_pointer (&error));
}

/**
 * cc_upstream_acquire_slot:
 * @limiter: the provider's
 * @next: what to do with @task once its turn has come
 *
 * Waits for the request's turn by the provider's rate-limit-seconds and
 * rate-limit-wait settings; a request refused for coming too soon is
 * answered 429 with retry-after.
 */
void
cc_upstream_acquire_slot (GTask             *task,
                          CcUpstreamLimiter *limiter,
                          void             (*next) (GTask *task))
{
  CcUpstreamRequest *request = g_task_get_task_data (task);
  const char *id = request->hooks->provider_id;
  Slot *slot = g_new0 (Slot, 1);

  slot->task = task;
  slot->limiter = limiter;
  slot->next = next;
  cc_upstream_limiter_acquire_async (limiter,
                                     cc_proxy_snapshot_get_uint (request->snapshot, id, CC_UPSTREAM_RATE_LIMIT_SECONDS),
                                     cc_proxy_snapshot_get_boolean (request->snapshot, id, CC_UPSTREAM_RATE_LIMIT_WAIT),
                                     g_task_get_cancellable (task), on_slot, slot);
}

/* ----- sending ----- */

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CcUpstreamRequest *request = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GInputStream) body = soup_session_send_finish (SOUP_SESSION (source), result, &error);

  if (body == NULL)
    {
      cc_upstream_fail (g_steal_pointer (&task), g_steal_pointer (&error));
      return;
    }

  /* Refused credentials: the provider may get new ones, once. */
  if (soup_message_get_status (request->message) == SOUP_STATUS_UNAUTHORIZED && !request->retried &&
      request->hooks->unauthorized != NULL)
    {
      request->retried = TRUE;
      if (request->hooks->unauthorized (task))
        {
          /* Taken over: it sends again. */
          g_input_stream_close_async (body, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
          g_steal_pointer (&task);
          return;
        }
    }
  answer (g_steal_pointer (&task), body);
}

/* Sends the request upstream (again, after new credentials), and
 * answers. */
void
cc_upstream_send (GTask *task)
{
  CcUpstreamRequest *request = g_task_get_task_data (task);
  GError *error = NULL;

  g_clear_object (&request->message);
  request->message = request->hooks->build_message (request, &error);
  if (request->message == NULL)
    {
      cc_upstream_fail (task, error);
      return;
    }
  soup_session_send_async (cc_proxy_request_context_get_session (request->context), request->message, G_PRIORITY_DEFAULT,
                           g_task_get_cancellable (task), on_sent, task);
}
