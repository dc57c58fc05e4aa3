/* cc-openai-translate.c: Anthropic Messages <-> OpenAI chat-completions
 *
 * Unknown fields are dropped, never refused: Claude Code adds fields
 * often, and a request must not fail over one we have not met yet.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "cc-openai-translate.h"

/* ----- small builders ----- */

static void
set_string (JsonObject *object,
            const char *name,
            const char *value)
{
  json_object_set_string_member (object, name, value ? value : "");
}

static JsonObject *
new_message (const char *role)
{
  JsonObject *message = json_object_new ();

  json_object_set_string_member (message, "role", role);
  return message;
}

/* Copies a member that is there and not null, under another name; a
 * missing object (@from) has none, as the network may send. */
void
cc_openai_json_copy_member (JsonObject *from,
                            const char *from_name,
                            JsonObject *to,
                            const char *to_name)
{
  JsonNode *node = from != NULL ? json_object_get_member (from, from_name) : NULL;

  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    json_object_set_member (to, to_name, json_node_copy (node));
}

/* The text of a string, or of the text blocks in an array, joined by a
 * blank line; NULL when there is none. */
static char *
text_of (JsonNode *content)
{
  g_autoptr(GString) text = NULL;
  JsonArray *blocks;

  if (content == NULL)
    return NULL;
  if (json_node_get_value_type (content) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (content));
  if (!JSON_NODE_HOLDS_ARRAY (content))
    return NULL;

  blocks = json_node_get_array (content);
  for (guint i = 0; i < json_array_get_length (blocks); i++)
    {
      JsonObject *block = cc_proxy_json_array_get_object (blocks, i);
      const char *piece = cc_proxy_json_get_string (block, "text");

      if (g_strcmp0 (cc_proxy_json_get_string (block, "type"), "text") != 0 || piece == NULL)
        continue;
      if (text == NULL)
        text = g_string_new (piece);
      else
        g_string_append_printf (text, "\n\n%s", piece);
    }
  return text ? g_string_free (g_steal_pointer (&text), FALSE) : NULL;
}

static JsonObject *
image_part (JsonObject *block)
{
  JsonObject *source = cc_proxy_json_get_object (block, "source");
  const char *type = cc_proxy_json_get_string (source, "type");
  g_autofree char *url = NULL;
  JsonObject *part, *image_url;

  if (g_strcmp0 (type, "base64") == 0 && cc_proxy_json_get_string (source, "data") != NULL)
    url = g_strdup_printf ("data:%s;base64,%s",
                           cc_proxy_json_get_string (source, "media_type") ?: "application/octet-stream",
                           cc_proxy_json_get_string (source, "data"));
  else if (g_strcmp0 (type, "url") == 0 && cc_proxy_json_get_string (source, "url") != NULL)
    url = g_strdup (cc_proxy_json_get_string (source, "url"));
  else
    return NULL;

  part = json_object_new ();
  image_url = json_object_new ();
  json_object_set_string_member (part, "type", "image_url");
  json_object_set_string_member (image_url, "url", url);
  json_object_set_object_member (part, "image_url", image_url);
  return part;
}

static JsonObject *
text_part (const char *text)
{
  JsonObject *part = json_object_new ();

  json_object_set_string_member (part, "type", "text");
  json_object_set_string_member (part, "text", text);
  return part;
}

/* User content: plain text when it is only text (joined by a blank
 * line), else an array of parts. */
typedef struct
{
  GPtrArray *parts;      /* JsonObject */
  gboolean   has_image;
} Parts;

static void
parts_add_text (Parts      *parts,
                const char *text)
{
  g_ptr_array_add (parts->parts, text_part (text));
}

static void
parts_add_image (Parts      *parts,
                 JsonObject *block)
{
  JsonObject *part = image_part (block);

  if (part == NULL)
    return;
  g_ptr_array_add (parts->parts, part);
  parts->has_image = TRUE;
}

static JsonObject *
parts_to_user_message (Parts *parts)
{
  JsonObject *message;

  if (parts->parts->len == 0)
    return NULL;
  message = new_message ("user");
  if (!parts->has_image)
    {
      g_autoptr(GString) text = g_string_new (NULL);

      for (guint i = 0; i < parts->parts->len; i++)
        g_string_append_printf (text, "%s%s", i ? "\n\n" : "",
                                cc_proxy_json_get_string (g_ptr_array_index (parts->parts, i), "text"));
      json_object_set_string_member (message, "content", text->str);
    }
  else
    {
      JsonArray *content = json_array_new ();

      for (guint i = 0; i < parts->parts->len; i++)
        json_array_add_object_element (content, json_object_ref (g_ptr_array_index (parts->parts, i)));
      json_object_set_array_member (message, "content", content);
    }
  return message;
}

/* ----- request ----- */

static void
add_user_messages (JsonArray *out,
                   JsonNode  *content)
{
  Parts parts = { g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref), FALSE };
  JsonArray *blocks;
  JsonObject *user;

  if (json_node_get_value_type (content) == G_TYPE_STRING)
    {
      if (json_node_get_string (content)[0] != '\0')
        {
          user = new_message ("user");
          json_object_set_string_member (user, "content", json_node_get_string (content));
          json_array_add_object_element (out, user);
        }
      g_ptr_array_unref (parts.parts);
      return;
    }
  if (!JSON_NODE_HOLDS_ARRAY (content))
    {
      g_ptr_array_unref (parts.parts);
      return;
    }
  blocks = json_node_get_array (content);

  /* Tool results first, each a message of its own; images they hold go
   * into the user message after them. */
  for (guint i = 0; i < json_array_get_length (blocks); i++)
    {
      JsonObject *block = cc_proxy_json_array_get_object (blocks, i);
      JsonNode *result;
      JsonObject *tool;
      g_autofree char *text = NULL;

      if (g_strcmp0 (cc_proxy_json_get_string (block, "type"), "tool_result") != 0)
        continue;
      result = json_object_get_member (block, "content");
      text = text_of (result);
      tool = new_message ("tool");
      set_string (tool, "tool_call_id", cc_proxy_json_get_string (block, "tool_use_id"));
      set_string (tool, "content", text);
      json_array_add_object_element (out, tool);

      if (result != NULL && JSON_NODE_HOLDS_ARRAY (result))
        for (guint j = 0; j < json_array_get_length (json_node_get_array (result)); j++)
          {
            JsonObject *inner = cc_proxy_json_array_get_object (json_node_get_array (result), j);

            if (g_strcmp0 (cc_proxy_json_get_string (inner, "type"), "image") == 0)
              parts_add_image (&parts, inner);
          }
    }

  for (guint i = 0; i < json_array_get_length (blocks); i++)
    {
      JsonObject *block = cc_proxy_json_array_get_object (blocks, i);
      const char *type = cc_proxy_json_get_string (block, "type");

      if (g_strcmp0 (type, "text") == 0 && cc_proxy_json_get_string (block, "text") != NULL)
        parts_add_text (&parts, cc_proxy_json_get_string (block, "text"));
      else if (g_strcmp0 (type, "image") == 0)
        parts_add_image (&parts, block);
      /* documents, thinking and blocks we do not know: dropped */
    }

  user = parts_to_user_message (&parts);
  if (user != NULL)
    json_array_add_object_element (out, user);
  g_ptr_array_unref (parts.parts);
}

static void
add_assistant_message (JsonArray *out,
                       JsonNode  *content)
{
  g_autoptr(GString) text = NULL;
  JsonArray *calls = NULL;
  JsonObject *message;

  if (json_node_get_value_type (content) == G_TYPE_STRING)
    {
      if (json_node_get_string (content)[0] != '\0')
        text = g_string_new (json_node_get_string (content));
    }
  else if (JSON_NODE_HOLDS_ARRAY (content))
    {
      JsonArray *blocks = json_node_get_array (content);

      for (guint i = 0; i < json_array_get_length (blocks); i++)
        {
          JsonObject *block = cc_proxy_json_array_get_object (blocks, i);
          const char *type = cc_proxy_json_get_string (block, "type");

          if (g_strcmp0 (type, "text") == 0 && cc_proxy_json_get_string (block, "text") != NULL)
            {
              if (text == NULL)
                text = g_string_new (cc_proxy_json_get_string (block, "text"));
              else
                g_string_append_printf (text, "\n\n%s", cc_proxy_json_get_string (block, "text"));
            }
          else if (g_strcmp0 (type, "tool_use") == 0)
            {
              JsonObject *call = json_object_new ();
              JsonObject *function = json_object_new ();
              JsonNode *input = json_object_get_member (block, "input");
              g_autofree char *arguments = input ? cc_proxy_json_to_string (input) : g_strdup ("{}");

              set_string (call, "id", cc_proxy_json_get_string (block, "id"));
              json_object_set_string_member (call, "type", "function");
              set_string (function, "name", cc_proxy_json_get_string (block, "name"));
              json_object_set_string_member (function, "arguments", arguments);
              json_object_set_object_member (call, "function", function);
              if (calls == NULL)
                calls = json_array_new ();
              json_array_add_object_element (calls, call);
            }
          /* thinking stays the model's own: never turned into text */
        }
    }

  if (text == NULL && calls == NULL)
    return;
  message = new_message ("assistant");
  if (text != NULL)
    json_object_set_string_member (message, "content", text->str);
  else
    json_object_set_null_member (message, "content");
  if (calls != NULL)
    json_object_set_array_member (message, "tool_calls", calls);
  json_array_add_object_element (out, message);
}

static JsonArray *
translate_messages (JsonObject *request)
{
  JsonArray *out = json_array_new ();
  JsonArray *messages = cc_proxy_json_get_array (request, "messages");
  g_autofree char *system = text_of (json_object_get_member (request, "system"));

  if (system != NULL && system[0] != '\0')
    {
      JsonObject *message = new_message ("system");

      json_object_set_string_member (message, "content", system);
      json_array_add_object_element (out, message);
    }

  for (guint i = 0; messages != NULL && i < json_array_get_length (messages); i++)
    {
      JsonObject *message = cc_proxy_json_array_get_object (messages, i);
      const char *role = cc_proxy_json_get_string (message, "role");
      JsonNode *content = message ? json_object_get_member (message, "content") : NULL;

      if (content == NULL)
        continue;
      if (g_strcmp0 (role, "user") == 0)
        add_user_messages (out, content);
      else if (g_strcmp0 (role, "assistant") == 0)
        add_assistant_message (out, content);
      else if (g_strcmp0 (role, "system") == 0)
        {
          /* Claude Code puts these mid-conversation: they stay there. */
          g_autofree char *text = text_of (content);

          if (text != NULL && text[0] != '\0')
            {
              JsonObject *out_message = new_message ("system");

              json_object_set_string_member (out_message, "content", text);
              json_array_add_object_element (out, out_message);
            }
        }
    }
  return out;
}

static gboolean
is_custom_tool (JsonObject *tool)
{
  const char *type = cc_proxy_json_get_string (tool, "type");

  return tool != NULL && cc_proxy_json_get_string (tool, "name") != NULL &&
         (type == NULL || g_str_equal (type, "custom"));
}

static JsonArray *
translate_tools (JsonObject *request)
{
  JsonArray *tools = cc_proxy_json_get_array (request, "tools");
  JsonArray *out = NULL;

  for (guint i = 0; tools != NULL && i < json_array_get_length (tools); i++)
    {
      JsonObject *tool = cc_proxy_json_array_get_object (tools, i);
      JsonObject *entry, *function;

      /* Server tools (web search, code execution) run at Anthropic. */
      if (!is_custom_tool (tool))
        continue;
      entry = json_object_new ();
      function = json_object_new ();
      json_object_set_string_member (entry, "type", "function");
      json_object_set_string_member (function, "name", cc_proxy_json_get_string (tool, "name"));
      if (cc_proxy_json_get_string (tool, "description") != NULL)
        json_object_set_string_member (function, "description", cc_proxy_json_get_string (tool, "description"));
      if (cc_proxy_json_get_object (tool, "input_schema") != NULL)
        cc_openai_json_copy_member (tool, "input_schema", function, "parameters");
      else
        json_object_set_object_member (function, "parameters", json_object_new ());
      json_object_set_object_member (entry, "function", function);
      if (out == NULL)
        out = json_array_new ();
      json_array_add_object_element (out, entry);
    }
  return out;
}

static void
translate_tool_choice (JsonObject *request,
                       JsonObject *out)
{
  JsonObject *choice = cc_proxy_json_get_object (request, "tool_choice");
  const char *type = cc_proxy_json_get_string (choice, "type");

  if (choice == NULL)
    return;
  if (g_strcmp0 (type, "auto") == 0)
    json_object_set_string_member (out, "tool_choice", "auto");
  else if (g_strcmp0 (type, "any") == 0)
    json_object_set_string_member (out, "tool_choice", "required");
  else if (g_strcmp0 (type, "none") == 0)
    json_object_set_string_member (out, "tool_choice", "none");
  else if (g_strcmp0 (type, "tool") == 0 && cc_proxy_json_get_string (choice, "name") != NULL)
    {
      JsonObject *named = json_object_new ();
      JsonObject *function = json_object_new ();

      json_object_set_string_member (named, "type", "function");
      json_object_set_string_member (function, "name", cc_proxy_json_get_string (choice, "name"));
      json_object_set_object_member (named, "function", function);
      json_object_set_object_member (out, "tool_choice", named);
    }
  if (cc_proxy_json_get_bool (choice, "disable_parallel_tool_use", FALSE))
    json_object_set_boolean_member (out, "parallel_tool_calls", FALSE);
}

/**
 * cc_openai_request_from_anthropic:
 * @request: an Anthropic Messages request body
 * @model: the upstream model name (already mapped)
 *
 * Returns: (transfer full): the chat-completions request
 */
JsonNode *
cc_openai_request_from_anthropic (JsonObject *request,
                                  const char *model)
{
  g_autoptr(JsonObject) out = json_object_new ();
  JsonArray *tools;

  json_object_set_string_member (out, "model", model);
  json_object_set_array_member (out, "messages", translate_messages (request));
  cc_openai_json_copy_member (request, "max_tokens", out, "max_tokens");
  cc_openai_json_copy_member (request, "stop_sequences", out, "stop");
  cc_openai_json_copy_member (request, "temperature", out, "temperature");
  cc_openai_json_copy_member (request, "top_p", out, "top_p");
  if (cc_proxy_json_get_string (cc_proxy_json_get_object (request, "metadata"), "user_id") != NULL)
    json_object_set_string_member (out, "user",
                                   cc_proxy_json_get_string (cc_proxy_json_get_object (request, "metadata"), "user_id"));
  if (cc_proxy_json_get_bool (request, "stream", FALSE))
    {
      JsonObject *options = json_object_new ();

      json_object_set_boolean_member (out, "stream", TRUE);
      json_object_set_boolean_member (options, "include_usage", TRUE);
      json_object_set_object_member (out, "stream_options", options);
    }
  tools = translate_tools (request);
  if (tools != NULL)
    {
      json_object_set_array_member (out, "tools", tools);
      /* A choice only means something with tools left to choose. */
      translate_tool_choice (request, out);
    }
  return cc_proxy_json_node_new_object (out);
}

/* ----- facts about a request, in either API ----- */

/* The content of the last turn when it is the user's, else NULL.
 * Instructions are nobody's turn: Claude Code puts a system message
 * after the prompt a person typed. */
static JsonNode *
last_user_content (JsonObject *request)
{
  JsonArray *messages = cc_proxy_json_get_array (request, "messages");
  guint n = messages ? json_array_get_length (messages) : 0;
  JsonObject *last = NULL;
  const char *role = NULL;

  while (n > 0)
    {
      last = cc_proxy_json_array_get_object (messages, --n);
      role = cc_proxy_json_get_string (last, "role");
      if (g_strcmp0 (role, "system") != 0 && g_strcmp0 (role, "developer") != 0)
        break;
    }
  if (g_strcmp0 (role, "user") != 0)
    return NULL;
  return json_object_get_member (last, "content");
}

static gboolean
blocks_have_image (JsonArray *blocks)
{
  for (guint i = 0; blocks != NULL && i < json_array_get_length (blocks); i++)
    {
      JsonObject *block = cc_proxy_json_array_get_object (blocks, i);
      const char *type = cc_proxy_json_get_string (block, "type");

      if (g_strcmp0 (type, "image") == 0)
        return TRUE;
      /* Images a tool returned are shown to the model too; tool inputs
       * are never looked into. */
      if (g_strcmp0 (type, "tool_result") == 0 && blocks_have_image (cc_proxy_json_get_array (block, "content")))
        return TRUE;
    }
  return FALSE;
}

/**
 * cc_openai_anthropic_has_image:
 *
 * Returns: whether any message content carries an image block
 */
gboolean
cc_openai_anthropic_has_image (JsonObject *request)
{
  JsonArray *messages = cc_proxy_json_get_array (request, "messages");

  for (guint i = 0; messages != NULL && i < json_array_get_length (messages); i++)
    if (blocks_have_image (cc_proxy_json_get_array (cc_proxy_json_array_get_object (messages, i), "content")))
      return TRUE;
  return FALSE;
}

/**
 * cc_openai_anthropic_is_user_turn:
 *
 * Returns: whether the last message other than system ones is one a
 *   person typed: a user message with text or an image that is not a
 *   tool result (tool results and continuations are the agent's turns)
 */
gboolean
cc_openai_anthropic_is_user_turn (JsonObject *request)
{
  JsonNode *content = last_user_content (request);
  JsonArray *blocks;

  if (content == NULL || json_node_get_value_type (content) == G_TYPE_STRING)
    return content != NULL && json_node_get_string (content)[0] != '\0';
  if (!JSON_NODE_HOLDS_ARRAY (content))
    return FALSE;

  blocks = json_node_get_array (content);
  for (guint i = 0; i < json_array_get_length (blocks); i++)
    {
      const char *type = cc_proxy_json_get_string (cc_proxy_json_array_get_object (blocks, i), "type");

      if (g_strcmp0 (type, "tool_result") == 0)
        return FALSE;
    }
  for (guint i = 0; i < json_array_get_length (blocks); i++)
    {
      const char *type = cc_proxy_json_get_string (cc_proxy_json_array_get_object (blocks, i), "type");

      if (g_strcmp0 (type, "text") == 0 || g_strcmp0 (type, "image") == 0)
        return TRUE;
    }
  return FALSE;
}

/* Claude Code's compaction request asks, in its last message, for "a
 * detailed summary of the conversation so far" (2.1.197). */
#define COMPACT_PHRASE "Your task is to create a detailed summary of"

/**
 * cc_openai_anthropic_is_compaction:
 *
 * Returns: whether the request is Claude Code's compaction: the last
 *   user message asks for the conversation's summary
 */
gboolean
cc_openai_anthropic_is_compaction (JsonObject *request)
{
  JsonNode *content = last_user_content (request);
  JsonArray *blocks;

  if (content != NULL && json_node_get_value_type (content) == G_TYPE_STRING)
    return strstr (json_node_get_string (content), COMPACT_PHRASE) != NULL;
  blocks = content != NULL && JSON_NODE_HOLDS_ARRAY (content) ? json_node_get_array (content) : NULL;
  for (guint i = 0; blocks != NULL && i < json_array_get_length (blocks); i++)
    {
      const char *text = cc_proxy_json_get_string (cc_proxy_json_array_get_object (blocks, i), "text");

      if (text != NULL && strstr (text, COMPACT_PHRASE) != NULL)
        return TRUE;
    }
  return FALSE;
}

static gboolean
parts_have (JsonNode   *content,
            const char *part_type)
{
  JsonArray *parts = content && JSON_NODE_HOLDS_ARRAY (content) ? json_node_get_array (content) : NULL;

  for (guint i = 0; parts != NULL && i < json_array_get_length (parts); i++)
    if (g_strcmp0 (cc_proxy_json_get_string (cc_proxy_json_array_get_object (parts, i), "type"), part_type) == 0)
      return TRUE;
  return FALSE;
}

/**
 * cc_openai_chat_has_image:
 *
 * Returns: whether a message's content has an image_url part
 */
gboolean
cc_openai_chat_has_image (JsonObject *request)
{
  JsonArray *messages = cc_proxy_json_get_array (request, "messages");

  for (guint i = 0; messages != NULL && i < json_array_get_length (messages); i++)
    {
      JsonObject *message = cc_proxy_json_array_get_object (messages, i);

      if (message != NULL && parts_have (json_object_get_member (message, "content"), "image_url"))
        return TRUE;
    }
  return FALSE;
}

/**
 * cc_openai_chat_is_user_turn:
 *
 * Returns: whether the last message other than system and developer
 *   ones is a user message with text or an image (tool messages are the
 *   agent's turns)
 */
gboolean
cc_openai_chat_is_user_turn (JsonObject *request)
{
  JsonNode *content = last_user_content (request);

  if (content == NULL || json_node_get_value_type (content) == G_TYPE_STRING)
    return content != NULL && json_node_get_string (content)[0] != '\0';
  return parts_have (content, "text") || parts_have (content, "image_url");
}

/* ----- response ----- */

/**
 * cc_openai_stop_reason:
 * @finish_reason: (nullable): OpenAI's finish_reason
 *
 * Returns: Anthropic's stop_reason for it (a refusal by the content
 *   filter is the end of the turn, not a stop sequence)
 */
const char *
cc_openai_stop_reason (const char *finish_reason)
{
  if (g_strcmp0 (finish_reason, "length") == 0)
    return "max_tokens";
  if (g_strcmp0 (finish_reason, "tool_calls") == 0 || g_strcmp0 (finish_reason, "function_call") == 0)
    return "tool_use";
  return "end_turn";
}

/**
 * cc_openai_usage_to_anthropic:
 * @usage: (nullable): an OpenAI usage object
 *
 * Returns: (transfer full): Anthropic's usage object; zeros when unknown
 */
JsonNode *
cc_openai_usage_to_anthropic (JsonObject *usage)
{
  JsonObject *details = cc_proxy_json_get_object (usage, "prompt_tokens_details");
  gint64 cached = MAX (cc_proxy_json_get_int (details, "cached_tokens", 0), 0);
  gint64 prompt = MAX (cc_proxy_json_get_int (usage, "prompt_tokens", 0), 0);
  g_autoptr(JsonObject) out = json_object_new ();

  /* OpenAI counts cached prompt tokens in prompt_tokens; Anthropic
   * reports them apart. */
  json_object_set_int_member (out, "input_tokens", MAX (prompt - cached, 0));
  json_object_set_int_member (out, "output_tokens",
                              MAX (cc_proxy_json_get_int (usage, "completion_tokens", 0), 0));
  if (cached > 0)
    json_object_set_int_member (out, "cache_read_input_tokens", cached);
  return cc_proxy_json_node_new_object (out);
}

/**
 * cc_openai_reasoning_text:
 * @message: a chat-completions message or streamed delta
 *
 * Servers name the model's reasoning differently: Copilot
 * `reasoning_text`, DeepSeek and vLLM `reasoning_content`, OpenRouter
 * and Ollama `reasoning`.
 *
 * Returns: (nullable): the reasoning text it carries
 */
const char *
cc_openai_reasoning_text (JsonObject *message)
{
  static const char * const names[] = { "reasoning_text", "reasoning_content", "reasoning" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      const char *text = cc_proxy_json_get_string (message, names[i]);

      if (text != NULL && text[0] != '\0')
        return text;
    }
  return NULL;
}

/**
 * cc_openai_tool_call_id:
 * @id: (nullable): a tool call's id, as the upstream gave it
 *
 * Some servers give tool calls no id; the client needs one to answer
 * the call with, so such a call gets one of ours.
 *
 * Returns: (transfer full): @id, or a new one
 */
char *
cc_openai_tool_call_id (const char *id)
{
  g_autofree char *uuid = NULL;

  if (id != NULL && id[0] != '\0')
    return g_strdup (id);
  uuid = g_uuid_string_random ();
  return g_strconcat ("toolu_", uuid, NULL);
}

/**
 * cc_openai_response_to_anthropic:
 * @response: a non-streamed chat-completions answer
 *
 * Returns: (transfer full): the Anthropic message
 */
JsonNode *
cc_openai_response_to_anthropic (JsonObject *response)
{
  g_autoptr(JsonObject) out = json_object_new ();
  JsonArray *content = json_array_new ();
  JsonArray *choices = cc_proxy_json_get_array (response, "choices");
  g_autoptr(GPtrArray) tool_blocks = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  const char *finish = NULL;

  set_string (out, "id", cc_proxy_json_get_string (response, "id"));
  json_object_set_string_member (out, "type", "message");
  json_object_set_string_member (out, "role", "assistant");
  set_string (out, "model", cc_proxy_json_get_string (response, "model"));

  /* Every choice's text, then every tool call. */
  for (guint i = 0; choices != NULL && i < json_array_get_length (choices); i++)
    {
      JsonObject *choice = cc_proxy_json_array_get_object (choices, i);
      JsonObject *message = cc_proxy_json_get_object (choice, "message");
      JsonArray *calls = cc_proxy_json_get_array (message, "tool_calls");
      const char *text = cc_proxy_json_get_string (message, "content");
      const char *reasoning = cc_openai_reasoning_text (message);

      if (finish == NULL)
        finish = cc_proxy_json_get_string (choice, "finish_reason");
      /* Thinking first, as Anthropic's answers have it; unsigned. */
      if (reasoning != NULL)
        {
          JsonObject *block = json_object_new ();

          json_object_set_string_member (block, "type", "thinking");
          json_object_set_string_member (block, "thinking", reasoning);
          set_string (block, "signature", cc_proxy_json_get_string (message, "reasoning_opaque"));
          json_array_add_object_element (content, block);
        }
      if (text != NULL && text[0] != '\0')
        {
          JsonObject *block = json_object_new ();

          json_object_set_string_member (block, "type", "text");
          json_object_set_string_member (block, "text", text);
          json_array_add_object_element (content, block);
        }
      for (guint j = 0; calls != NULL && j < json_array_get_length (calls); j++)
        {
          JsonObject *call = cc_proxy_json_array_get_object (calls, j);
          JsonObject *function = cc_proxy_json_get_object (call, "function");
          const char *arguments = cc_proxy_json_get_string (function, "arguments");
          g_autoptr(JsonNode) input = arguments ? cc_proxy_json_parse (arguments, -1, NULL) : NULL;
          JsonObject *block = json_object_new ();
          g_autofree char *id = cc_openai_tool_call_id (cc_proxy_json_get_string (call, "id"));

          json_object_set_string_member (block, "type", "tool_use");
          json_object_set_string_member (block, "id", id);
          set_string (block, "name", cc_proxy_json_get_string (function, "name"));
          /* Unparsable arguments: an empty input, not a failed request. */
          if (input != NULL && JSON_NODE_HOLDS_OBJECT (input))
            json_object_set_member (block, "input", g_steal_pointer (&input));
          else
            json_object_set_object_member (block, "input", json_object_new ());
          g_ptr_array_add (tool_blocks, block);
        }
    }
  for (guint i = 0; i < tool_blocks->len; i++)
    json_array_add_object_element (content, json_object_ref (g_ptr_array_index (tool_blocks, i)));

  json_object_set_array_member (out, "content", content);
  json_object_set_string_member (out, "stop_reason", tool_blocks->len > 0 ? "tool_use" : cc_openai_stop_reason (finish));
  json_object_set_null_member (out, "stop_sequence");
  json_object_set_member (out, "usage", cc_openai_usage_to_anthropic (cc_proxy_json_get_object (response, "usage")));
  return cc_proxy_json_node_new_object (out);
}

/* ----- errors ----- */

/**
 * cc_openai_copy_rate_limit_headers:
 * @upstream: the headers of an OpenAI-style answer
 * @client: the headers of the Anthropic answer made from it
 *
 * Keeps what a client acts on when it is told to slow down: Retry-After
 * (and retry-after-ms) as they are, and OpenAI's request and token
 * counts under Anthropic's names. OpenAI's reset times are durations
 * ("6m0s") where Anthropic sends a time, so they are left out.
 */
void
cc_openai_copy_rate_limit_headers (SoupMessageHeaders *upstream,
                                   SoupMessageHeaders *client)
{
  static const char * const same[] = { "retry-after", "retry-after-ms" };
  static const struct { const char *openai, *anthropic; } renamed[] = {
    { "x-ratelimit-limit-requests", "anthropic-ratelimit-requests-limit" },
    { "x-ratelimit-remaining-requests", "anthropic-ratelimit-requests-remaining" },
    { "x-ratelimit-limit-tokens", "anthropic-ratelimit-tokens-limit" },
    { "x-ratelimit-remaining-tokens", "anthropic-ratelimit-tokens-remaining" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (same); i++)
    {
      const char *value = soup_message_headers_get_one (upstream, same[i]);

      if (value != NULL)
        soup_message_headers_replace (client, same[i], value);
    }
  for (guint i = 0; i < G_N_ELEMENTS (renamed); i++)
    {
      const char *value = soup_message_headers_get_one (upstream, renamed[i].openai);

      if (value != NULL)
        soup_message_headers_replace (client, renamed[i].anthropic, value);
    }
}

/**
 * cc_openai_error_type_for_status:
 *
 * Returns: the Anthropic error type for an HTTP status
 */
const char *
cc_openai_error_type_for_status (guint status)
{
  switch (status)
    {
    case 400: return "invalid_request_error";
    case 401: return "authentication_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 413: return "request_too_large";
    case 429: return "rate_limit_error";
    case 503:
    case 529: return "overloaded_error";
    default: return status >= 500 ? "api_error" : "invalid_request_error";
    }
}

/**
 * cc_openai_error_to_anthropic:
 * @status: the upstream's status
 * @upstream_body: (nullable): what it said
 *
 * Returns: (transfer full): an Anthropic error body, typed by status,
 *   keeping the upstream's message when it gave one
 */
char *
cc_openai_error_to_anthropic (guint   status,
                              GBytes *upstream_body)
{
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *text = NULL;
  const char *message = NULL;

  if (upstream_body != NULL && g_bytes_get_size (upstream_body) > 0)
    {
      text = g_strndup (g_bytes_get_data (upstream_body, NULL), g_bytes_get_size (upstream_body));
      node = cc_proxy_json_parse (text, -1, NULL);
    }
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *object = json_node_get_object (node);

      message = cc_proxy_json_get_string (cc_proxy_json_get_object (object, "error"), "message");
      if (message == NULL)
        message = cc_proxy_json_get_string (object, "error");
      if (message == NULL)
        message = cc_proxy_json_get_string (object, "message");
    }
  if (message == NULL || message[0] == '\0')
    message = "Upstream provider error";
  return cc_proxy_error_body_new (cc_openai_error_type_for_status (status), message);
}

/* ----- count_tokens ----- */

static gboolean
is_claude (const char *model)
{
  return model != NULL && g_str_has_prefix (model, "claude");
}

/**
 * cc_openai_count_tokens:
 * @request: an Anthropic count_tokens (or messages) body
 * @model: the model it names
 *
 * An estimate, never a failure: the request translated and serialised,
 * four bytes a token, plus the overhead tool definitions cost Claude
 * models, times 1.15 for Claude's tokenizer; rounded up.
 *
 * Returns: the estimated input tokens
 */
gint64
cc_openai_count_tokens (JsonObject *request,
                        const char *model)
{
  g_autoptr(JsonNode) translated = cc_openai_request_from_anthropic (request, model ? model : "");
  g_autofree char *text = cc_proxy_json_to_string (translated);
  JsonArray *tools = cc_proxy_json_get_array (request, "tools");
  double tokens = strlen (text) / 4.0;
  gboolean mcp = FALSE;

  for (guint i = 0; tools != NULL && i < json_array_get_length (tools); i++)
    if (g_str_has_prefix (cc_proxy_json_get_string (cc_proxy_json_array_get_object (tools, i), "name") ?: "", "mcp__"))
      mcp = TRUE;
  if (tools != NULL && json_array_get_length (tools) > 0 && !mcp && is_claude (model))
    tokens += 346;
  if (is_claude (model))
    tokens *= 1.15;
  return (gint64) ceil (tokens);
}

/* ----- model names ----- */

static gboolean
ends_with_date (const char *model)
{
  gsize len = strlen (model);

  if (len < 10 || model[len - 9] != '-')
    return FALSE;
  for (gsize i = len - 8; i < len; i++)
    if (!g_ascii_isdigit (model[i]))
      return FALSE;
  return TRUE;
}

/**
 * cc_openai_model_map_lookup:
 * @model_map: (nullable): `from=to,from=to`
 * @model: a model name
 *
 * Returns: (transfer full) (nullable): what @model_map maps @model to
 */
char *
cc_openai_model_map_lookup (const char *model_map,
                            const char *model)
{
  g_auto(GStrv) pairs = g_strsplit (model_map ? model_map : "", ",", -1);

  for (guint i = 0; pairs[i] != NULL; i++)
    {
      g_auto(GStrv) pair = g_strsplit (pairs[i], "=", 2);

      if (pair[0] != NULL && pair[1] != NULL && g_str_equal (g_strstrip (pair[0]), model))
        return g_strdup (g_strstrip (pair[1]));
    }
  return NULL;
}

/**
 * cc_openai_map_model:
 * @model: the model the client asked for
 * @model_map: (nullable): `from=to,from=to` overrides
 * @known_ids: (nullable) (array zero-terminated=1): the upstream's models
 *
 * An override wins; otherwise a trailing date goes
 * (claude-sonnet-4-5-20250929 → claude-sonnet-4-5) and, when the
 * upstream lists it, a version's dash becomes a dot (claude-sonnet-4.5).
 *
 * Returns: (transfer full): the name to send upstream
 */
char *
cc_openai_map_model (const char         *model,
                     const char         *model_map,
                     const char * const *known_ids)
{
  char *mapped = cc_openai_model_map_lookup (model_map, model);
  g_autofree char *name = NULL;

  if (mapped != NULL)
    return mapped;
  name = ends_with_date (model) ? g_strndup (model, strlen (model) - 9) : g_strdup (model);
  if (known_ids != NULL && !g_strv_contains (known_ids, name))
    {
      g_autofree char *dotted = g_strdup (name);

      /* The last dash between two digits: 4-5 → 4.5. */
      for (gssize i = strlen (dotted) - 2; i > 0; i--)
        if (dotted[i] == '-' && g_ascii_isdigit (dotted[i - 1]) && g_ascii_isdigit (dotted[i + 1]))
          {
            dotted[i] = '.';
            break;
          }
      if (g_strv_contains (known_ids, dotted))
        return g_steal_pointer (&dotted);
    }
  return g_steal_pointer (&name);
}

/**
 * cc_openai_models_to_anthropic:
 * @answer: an OpenAI-style `GET /models` answer (`data`: `id`, `created`,
 *   and `name` where the upstream has one)
 *
 * Returns: (transfer full): the list as Anthropic's `GET /v1/models`
 *   gives it
 */
JsonNode *
cc_openai_models_to_anthropic (JsonObject *answer)
{
  JsonArray *data = cc_proxy_json_get_array (answer, "data");
  g_autoptr(JsonObject) out = json_object_new ();
  JsonArray *list = json_array_new ();
  const char *first = NULL, *last = NULL;

  for (guint i = 0; data != NULL && i < json_array_get_length (data); i++)
    {
      JsonObject *entry = cc_proxy_json_array_get_object (data, i);
      const char *id = cc_proxy_json_get_string (entry, "id");
      const char *name = cc_proxy_json_get_string (entry, "name");
      gint64 created = cc_proxy_json_get_int (entry, "created", 0);
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_utc (created);
      g_autofree char *created_at = g_date_time_format_iso8601 (when);
      JsonObject *model;

      if (id == NULL)
        continue;
      model = json_object_new ();
      json_object_set_string_member (model, "type", "model");
      json_object_set_string_member (model, "id", id);
      json_object_set_string_member (model, "display_name", name ? name : id);
      json_object_set_string_member (model, "created_at", created_at);
      json_array_add_object_element (list, model);
      if (first == NULL)
        first = id;
      last = id;
    }
  json_object_set_array_member (out, "data", list);
  json_object_set_boolean_member (out, "has_more", FALSE);
  if (first != NULL)
    {
      json_object_set_string_member (out, "first_id", first);
      json_object_set_string_member (out, "last_id", last);
    }
  else
    {
      json_object_set_null_member (out, "first_id");
      json_object_set_null_member (out, "last_id");
    }
  return cc_proxy_json_node_new_object (out);
}
