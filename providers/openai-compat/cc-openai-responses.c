/* cc-openai-responses.c: Anthropic Messages <-> the OpenAI Responses API
 *
 * Both directions go through chat-completions, which the rest of
 * openai-compat already speaks: a request is translated to a chat
 * request and then reshaped into Responses input items; an answer, or
 * each streamed event, is reshaped into the chat-completions answer or
 * chunk it amounts to and translated from there. What Anthropic's API
 * means is decided in one place (cc-openai-translate.c,
 * cc-openai-stream.c); here is only how the Responses API spells it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "cc-openai-responses.h"
#include "cc-openai-stream-private.h"
#include "cc-openai-translate.h"

/* ----- request ----- */

static JsonObject *
content_part (const char *type,
              const char *member,
              const char *value)
{
  JsonObject *part = json_object_new ();

  json_object_set_string_member (part, "type", type);
  json_object_set_string_member (part, member, value ? value : "");
  return part;
}

/* A chat message's content (text, or parts) as Responses content parts. */
static JsonArray *
content_parts (JsonObject *message,
               const char *text_type)
{
  JsonNode *content = json_object_get_member (message, "content");
  JsonArray *out = json_array_new ();

  if (content != NULL && json_node_get_value_type (content) == G_TYPE_STRING)
    json_array_add_object_element (out, content_part (text_type, "text", json_node_get_string (content)));
  else if (content != NULL && JSON_NODE_HOLDS_ARRAY (content))
    {
      JsonArray *parts = json_node_get_array (content);

      for (guint i = 0; i < json_array_get_length (parts); i++)
        {
          JsonObject *part = cc_proxy_json_array_get_object (parts, i);
          const char *type = cc_proxy_json_get_string (part, "type");

          if (g_strcmp0 (type, "text") == 0)
            json_array_add_object_element (out, content_part (text_type, "text",
                                                              cc_proxy_json_get_string (part, "text")));
          else if (g_strcmp0 (type, "image_url") == 0)
            json_array_add_object_element (out, content_part ("input_image", "image_url",
                                                              cc_proxy_json_get_string (cc_proxy_json_get_object (part, "image_url"), "url")));
        }
    }
  return out;
}

static JsonObject *
role_item (const char *role,
           JsonArray  *content)
{
  JsonObject *item = json_object_new ();

  json_object_set_string_member (item, "role", role);
  json_object_set_array_member (item, "content", content);
  return item;
}

static void
add_input_items (JsonArray  *input,
                 JsonObject *message,
                 gboolean    first,
                 JsonObject *out)
{
  const char *role = cc_proxy_json_get_string (message, "role");
  JsonArray *calls = cc_proxy_json_get_array (message, "tool_calls");

  if (g_strcmp0 (role, "system") == 0 && first)
    json_object_set_string_member (out, "instructions", cc_proxy_json_get_string (message, "content") ?: "");
  else if (g_strcmp0 (role, "system") == 0)
    json_array_add_object_element (input, role_item ("developer", content_parts (message, "input_text")));
  else if (g_strcmp0 (role, "user") == 0)
    json_array_add_object_element (input, role_item ("user", content_parts (message, "input_text")));
  else if (g_strcmp0 (role, "tool") == 0)
    {
      JsonObject *item = json_object_new ();

      json_object_set_string_member (item, "type", "function_call_output");
      json_object_set_string_member (item, "call_id", cc_proxy_json_get_string (message, "tool_call_id") ?: "");
      json_object_set_string_member (item, "output", cc_proxy_json_get_string (message, "content") ?: "");
      json_array_add_object_element (input, item);
    }
  else if (g_strcmp0 (role, "assistant") == 0)
    {
      if (cc_proxy_json_get_string (message, "content") != NULL)
        json_array_add_object_element (input, role_item ("assistant", content_parts (message, "output_text")));
      for (guint i = 0; calls != NULL && i < json_array_get_length (calls); i++)
        {
          JsonObject *call = cc_proxy_json_array_get_object (calls, i);
          JsonObject *function = cc_proxy_json_get_object (call, "function");
          JsonObject *item = json_object_new ();

          json_object_set_string_member (item, "type", "function_call");
          json_object_set_string_member (item, "call_id", cc_proxy_json_get_string (call, "id") ?: "");
          json_object_set_string_member (item, "name", cc_proxy_json_get_string (function, "name") ?: "");
          json_object_set_string_member (item, "arguments", cc_proxy_json_get_string (function, "arguments") ?: "{}");
          json_array_add_object_element (input, item);
        }
    }
}

/**
 * cc_openai_responses_request_from_chat:
 * @chat: a chat-completions request
 *
 * Returns: (transfer full): the same request for `POST /responses`
 */
JsonNode *
cc_openai_responses_request_from_chat (JsonObject *chat)
{
  g_autoptr(JsonObject) out = json_object_new ();
  JsonArray *messages = cc_proxy_json_get_array (chat, "messages");
  JsonArray *tools = cc_proxy_json_get_array (chat, "tools");
  JsonNode *choice = json_object_get_member (chat, "tool_choice");
  JsonArray *input = json_array_new ();

  cc_openai_json_copy_member (chat, "model", out, "model");
  for (guint i = 0; messages != NULL && i < json_array_get_length (messages); i++)
    {
      JsonObject *message = cc_proxy_json_array_get_object (messages, i);

      if (message != NULL)
        add_input_items (input, message, i == 0, out);
    }
  json_object_set_array_member (out, "input", input);

  if (tools != NULL)
    {
      JsonArray *flat = json_array_new ();

      /* Responses tools are flat: no "function" object around them. */
      for (guint i = 0; i < json_array_get_length (tools); i++)
        {
          JsonObject *function = cc_proxy_json_get_object (cc_proxy_json_array_get_object (tools, i), "function");
          JsonObject *tool = json_object_new ();

          json_object_set_string_member (tool, "type", "function");
          cc_openai_json_copy_member (function, "name", tool, "name");
          cc_openai_json_copy_member (function, "description", tool, "description");
          cc_openai_json_copy_member (function, "parameters", tool, "parameters");
          json_array_add_object_element (flat, tool);
        }
      json_object_set_array_member (out, "tools", flat);
    }
  if (choice != NULL && JSON_NODE_HOLDS_OBJECT (choice))
    {
      JsonObject *named = json_object_new ();
      JsonObject *function = cc_proxy_json_get_object (json_node_get_object (choice), "function");

      json_object_set_string_member (named, "type", "function");
      json_object_set_string_member (named, "name", cc_proxy_json_get_string (function, "name") ?: "");
      json_object_set_object_member (out, "tool_choice", named);
    }
  else
    cc_openai_json_copy_member (chat, "tool_choice", out, "tool_choice");
  cc_openai_json_copy_member (chat, "parallel_tool_calls", out, "parallel_tool_calls");
  cc_openai_json_copy_member (chat, "max_tokens", out, "max_output_tokens");
  /* No temperature or top_p: the models that answer only here reason,
   * and reasoning models refuse sampling parameters. */
  cc_openai_json_copy_member (chat, "user", out, "user");
  cc_openai_json_copy_member (chat, "stream", out, "stream");
  /* Nothing is kept upstream: every request carries its whole conversation. */
  json_object_set_boolean_member (out, "store", FALSE);
  return cc_proxy_json_node_new_object (out);
}

/**
 * cc_openai_responses_request_from_anthropic:
 * @request: an Anthropic Messages request body
 * @model: the upstream model name (already mapped)
 *
 * Returns: (transfer full): the Responses request; a request that asks
 *   for thinking asks for reasoning with its summary
 */
JsonNode *
cc_openai_responses_request_from_anthropic (JsonObject *request,
                                            const char *model)
{
  g_autoptr(JsonNode) chat = cc_openai_request_from_anthropic (request, model);
  JsonNode *out = cc_openai_responses_request_from_chat (json_node_get_object (chat));
  JsonObject *thinking = cc_proxy_json_get_object (request, "thinking");

  if (g_strcmp0 (cc_proxy_json_get_string (thinking, "type"), "enabled") == 0)
    {
      gint64 budget = cc_proxy_json_get_int (thinking, "budget_tokens", 0);
      JsonObject *reasoning = json_object_new ();

      json_object_set_string_member (reasoning, "effort", budget >= 16384 ? "high" : budget >= 4096 ? "medium" : "low");
      json_object_set_string_member (reasoning, "summary", "auto");
      json_object_set_object_member (json_node_get_object (out), "reasoning", reasoning);
    }
  return out;
}

/* ----- answers ----- */

/* Responses usage, with chat-completions' names. */
static JsonObject *
chat_usage (JsonObject *usage)
{
  JsonObject *out = json_object_new ();
  JsonObject *details = json_object_new ();

  json_object_set_int_member (out, "prompt_tokens", cc_proxy_json_get_int (usage, "input_tokens", 0));
  json_object_set_int_member (out, "completion_tokens", cc_proxy_json_get_int (usage, "output_tokens", 0));
  json_object_set_int_member (details, "cached_tokens",
                              cc_proxy_json_get_int (cc_proxy_json_get_object (usage, "input_tokens_details"),
                                                     "cached_tokens", 0));
  json_object_set_object_member (out, "prompt_tokens_details", details);
  return out;
}

/* "length" when the answer stopped at max_output_tokens, else "stop". */
static const char *
finish_reason (JsonObject *response)
{
  const char *reason = cc_proxy_json_get_string (cc_proxy_json_get_object (response, "incomplete_details"), "reason");

  return g_strcmp0 (reason, "max_output_tokens") == 0 ? "length" : "stop";
}

static JsonObject *
tool_call (const char *id,
           gint64      index,
           const char *name,
           const char *arguments)
{
  JsonObject *call = json_object_new ();
  JsonObject *function = json_object_new ();

  if (index >= 0)
    json_object_set_int_member (call, "index", index);
  if (id != NULL)
    {
      json_object_set_string_member (call, "id", id);
      json_object_set_string_member (call, "type", "function");
    }
  if (name != NULL)
    json_object_set_string_member (function, "name", name);
  json_object_set_string_member (function, "arguments", arguments ? arguments : "");
  json_object_set_object_member (call, "function", function);
  return call;
}

/**
 * cc_openai_responses_response_to_anthropic:
 * @response: a non-streamed Responses answer
 *
 * Returns: (transfer full): the Anthropic message
 */
JsonNode *
cc_openai_responses_response_to_anthropic (JsonObject *response)
{
  g_autoptr(JsonObject) chat = json_object_new ();
  JsonObject *choice = json_object_new ();
  JsonObject *message = json_object_new ();
  JsonArray *choices = json_array_new ();
  JsonArray *output = cc_proxy_json_get_array (response, "output");
  JsonArray *calls = json_array_new ();
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; output != NULL && i < json_array_get_length (output); i++)
    {
      JsonObject *item = cc_proxy_json_array_get_object (output, i);
      const char *type = cc_proxy_json_get_string (item, "type");
      JsonArray *content = cc_proxy_json_get_array (item, "content");

      if (g_strcmp0 (type, "function_call") == 0)
        json_array_add_object_element (calls, tool_call (cc_proxy_json_get_string (item, "call_id"), -1,
                                                         cc_proxy_json_get_string (item, "name"),
                                                         cc_proxy_json_get_string (item, "arguments")));
      for (guint j = 0; g_strcmp0 (type, "message") == 0 && content != NULL && j < json_array_get_length (content); j++)
        {
          JsonObject *part = cc_proxy_json_array_get_object (content, j);
          const char *piece = cc_proxy_json_get_string (part, "text");

          if (piece == NULL)
            piece = cc_proxy_json_get_string (part, "refusal");
          if (piece != NULL)
            g_string_append (text, piece);
        }
    }

  cc_openai_json_copy_member (response, "id", chat, "id");
  cc_openai_json_copy_member (response, "model", chat, "model");
  json_object_set_string_member (message, "role", "assistant");
  json_object_set_string_member (message, "content", text->str);
  json_object_set_array_member (message, "tool_calls", calls);
  json_object_set_object_member (choice, "message", message);
  json_object_set_string_member (choice, "finish_reason", finish_reason (response));
  json_array_add_object_element (choices, choice);
  json_object_set_array_member (chat, "choices", choices);
  json_object_set_object_member (chat, "usage", chat_usage (cc_proxy_json_get_object (response, "usage")));
  return cc_openai_response_to_anthropic (chat);
}

/* ----- streams ----- */

/* A chunk with one choice holding @delta (and @finish, if any). */
static JsonObject *
chunk_with (JsonObject *delta,
            const char *finish)
{
  JsonObject *chunk = json_object_new ();
  JsonObject *choice = json_object_new ();
  JsonArray *choices = json_array_new ();

  json_object_set_object_member (choice, "delta", delta);
  if (finish != NULL)
    json_object_set_string_member (choice, "finish_reason", finish);
  json_array_add_object_element (choices, choice);
  json_object_set_array_member (chunk, "choices", choices);
  return chunk;
}

static JsonObject *
text_delta (const char *member,
            const char *value)
{
  JsonObject *delta = json_object_new ();

  json_object_set_string_member (delta, member, value ? value : "");
  return delta;
}

static JsonObject *
calls_delta (JsonObject *call)
{
  JsonObject *delta = json_object_new ();
  JsonArray *calls = json_array_new ();

  json_array_add_object_element (calls, call);
  json_object_set_array_member (delta, "tool_calls", calls);
  return delta;
}

/* What one Responses event amounts to in chat-completions, or NULL. */
static JsonObject *
chunk_for_event (const char *type,
                 JsonObject *event)
{
  JsonObject *response = cc_proxy_json_get_object (event, "response");
  JsonObject *item = cc_proxy_json_get_object (event, "item");
  gint64 index = cc_proxy_json_get_int (event, "output_index", 0);
  JsonObject *chunk;

  if (g_strcmp0 (type, "response.created") == 0)
    {
      chunk = json_object_new ();
      cc_openai_json_copy_member (response, "id", chunk, "id");
      cc_openai_json_copy_member (response, "model", chunk, "model");
      json_object_set_array_member (chunk, "choices", json_array_new ());
      return chunk;
    }
  if (g_strcmp0 (type, "response.output_text.delta") == 0 || g_strcmp0 (type, "response.refusal.delta") == 0)
    return chunk_with (text_delta ("content", cc_proxy_json_get_string (event, "delta")), NULL);
  if (g_strcmp0 (type, "response.reasoning_summary_text.delta") == 0 ||
      g_strcmp0 (type, "response.reasoning_text.delta") == 0)
    return chunk_with (text_delta ("reasoning_content", cc_proxy_json_get_string (event, "delta")), NULL);
  if (g_strcmp0 (type, "response.output_item.added") == 0 &&
      g_strcmp0 (cc_proxy_json_get_string (item, "type"), "function_call") == 0)
    return chunk_with (calls_delta (tool_call (cc_proxy_json_get_string (item, "call_id") ?: "", index,
                                               cc_proxy_json_get_string (item, "name") ?: "",
                                               cc_proxy_json_get_string (item, "arguments"))), NULL);
  if (g_strcmp0 (type, "response.function_call_arguments.delta") == 0)
    return chunk_with (calls_delta (tool_call (NULL, index, NULL, cc_proxy_json_get_string (event, "delta"))), NULL);
  /* Encrypted reasoning goes back as the thinking block's signature. */
  if (g_strcmp0 (type, "response.output_item.done") == 0 &&
      g_strcmp0 (cc_proxy_json_get_string (item, "type"), "reasoning") == 0 &&
      cc_proxy_json_get_string (item, "encrypted_content") != NULL)
    return chunk_with (text_delta ("reasoning_opaque", cc_proxy_json_get_string (item, "encrypted_content")), NULL);
  if (g_strcmp0 (type, "response.completed") == 0 || g_strcmp0 (type, "response.incomplete") == 0)
    {
      chunk = chunk_with (json_object_new (), finish_reason (response));
      json_object_set_object_member (chunk, "usage", chat_usage (cc_proxy_json_get_object (response, "usage")));
      return chunk;
    }
  if (g_strcmp0 (type, "response.failed") == 0 || g_strcmp0 (type, "error") == 0)
    {
      JsonObject *error = json_object_new ();
      const char *message = cc_proxy_json_get_string (cc_proxy_json_get_object (response, "error"), "message");

      if (message == NULL)
        message = cc_proxy_json_get_string (event, "message");
      /* Without one, the chat machine says the upstream reported an error. */
      if (message != NULL)
        json_object_set_string_member (error, "message", message);
      chunk = json_object_new ();
      json_object_set_object_member (chunk, "error", error);
      return chunk;
    }
  return NULL;
}

static void
on_responses_event (const char *event,
                    const char *data,
                    gpointer    user_data)
{
  CcOpenaiStream *self = user_data;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonObject) chunk = NULL;
  const char *type;

  if (cc_openai_stream_is_done (self))
    return;
  node = cc_openai_stream_parse (self, data, "a Responses event");
  if (node == NULL)
    return;
  /* The data's own type, else the SSE event name. */
  type = cc_proxy_json_get_string (json_node_get_object (node), "type");
  if (type == NULL)
    type = event ? event : "";
  chunk = chunk_for_event (type, json_node_get_object (node));
  if (chunk == NULL)
    return;
  cc_openai_stream_take_chunk (self, chunk);
  if (g_str_equal (type, "response.completed") || g_str_equal (type, "response.incomplete"))
    cc_openai_stream_complete (self);
}

/**
 * cc_openai_stream_new_for_responses:
 * @func: receives each Anthropic event
 * @user_data: for @func
 *
 * A translator for a streamed Responses answer: the same Anthropic
 * events, rules and end as cc_openai_stream_new() gives for
 * chat-completions.
 *
 * Returns: (transfer full): a translator at the start of a stream
 */
CcOpenaiStream *
cc_openai_stream_new_for_responses (CcOpenaiEventFunc func,
                                    gpointer          user_data)
{
  return cc_openai_stream_new_with_reader (func, user_data, on_responses_event);
}
