/* cc-openai-stream.c: an OpenAI chunk stream, as Anthropic stream events
 *
 * Anthropic blocks are sequential; OpenAI tool calls are addressed by
 * index and may interleave. The first tool call to become known gets a
 * block at once and its fragments go out as they come; a call that shows
 * up while another tool block is open is buffered whole and sent, in
 * index order, when the choice finishes.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "cc-openai-stream.h"
#include "cc-openai-stream-private.h"
#include "cc-openai-translate.h"

typedef enum {
  BLOCK_NONE,
  BLOCK_TEXT,
  BLOCK_THINKING,
  BLOCK_TOOL,
} BlockKind;

typedef struct
{
  gint64   index;      /* OpenAI's */
  char    *id;
  char    *name;
  GString *arguments;  /* every fragment, in order */
  gboolean known;      /* id and name seen */
  gboolean opened;     /* has had its block */
} ToolCall;

struct _CcOpenaiStream
{
  CcOpenaiEventFunc  func;
  gpointer           user_data;
  CcProxySseParser  *parser;
  gboolean           started;
  gboolean           done;
  char              *finish_reason;
  JsonObject        *usage;
  BlockKind          open;
  guint              open_index;
  guint              next_index;
  ToolCall          *open_call;
  GPtrArray         *calls;      /* ToolCall, by first appearance */
  gboolean           any_tool;
};

static void
tool_call_free (ToolCall *call)
{
  g_free (call->id);
  g_free (call->name);
  g_string_free (call->arguments, TRUE);
  g_free (call);
}

/* ----- output ----- */

/* Event data, with its type first as Anthropic writes it. */
static JsonObject *
event_data (const char *type)
{
  JsonObject *data = json_object_new ();

  json_object_set_string_member (data, "type", type);
  return data;
}

static void
send (CcOpenaiStream *self,
      JsonObject     *data)
{
  g_autoptr(JsonNode) node = cc_proxy_json_node_new_object (data);

  json_object_unref (data);
  self->func (cc_proxy_json_get_string (data, "type"), node, self->user_data);
}

static void
ensure_started (CcOpenaiStream *self,
                JsonObject     *chunk)
{
  JsonObject *data, *message, *usage;
  g_autoptr(JsonNode) known = NULL;

  if (self->started)
    return;
  self->started = TRUE;

  message = json_object_new ();
  /* A null id or model is an empty string, never "null". */
  json_object_set_string_member (message, "id", cc_proxy_json_get_string (chunk, "id") ?: "");
  json_object_set_string_member (message, "type", "message");
  json_object_set_string_member (message, "role", "assistant");
  json_object_set_string_member (message, "model", cc_proxy_json_get_string (chunk, "model") ?: "");
  json_object_set_array_member (message, "content", json_array_new ());
  json_object_set_null_member (message, "stop_reason");
  json_object_set_null_member (message, "stop_sequence");
  usage = json_object_new ();
  known = cc_openai_usage_to_anthropic (cc_proxy_json_get_object (chunk, "usage"));
  json_object_set_int_member (usage, "input_tokens", json_object_get_int_member (json_node_get_object (known), "input_tokens"));
  json_object_set_int_member (usage, "output_tokens", 0);
  json_object_set_object_member (message, "usage", usage);

  data = event_data ("message_start");
  json_object_set_object_member (data, "message", message);
  send (self, data);
  send (self, event_data ("ping"));
}

static void
close_block (CcOpenaiStream *self)
{
  JsonObject *data;

  if (self->open == BLOCK_NONE)
    return;
  data = event_data ("content_block_stop");
  json_object_set_int_member (data, "index", self->open_index);
  send (self, data);
  self->open = BLOCK_NONE;
  self->open_call = NULL;
}

static void
open_block (CcOpenaiStream *self,
            BlockKind       kind,
            JsonObject     *content_block)
{
  JsonObject *data;

  close_block (self);
  data = event_data ("content_block_start");
  self->open = kind;
  self->open_index = self->next_index++;
  json_object_set_int_member (data, "index", self->open_index);
  json_object_set_object_member (data, "content_block", content_block);
  send (self, data);
}

static void
send_delta (CcOpenaiStream *self,
            const char     *type,
            const char     *member,
            const char     *value)
{
  JsonObject *data = event_data ("content_block_delta");
  JsonObject *delta = json_object_new ();

  json_object_set_int_member (data, "index", self->open_index);
  json_object_set_string_member (delta, "type", type);
  json_object_set_string_member (delta, member, value);
  json_object_set_object_member (data, "delta", delta);
  send (self, data);
}

static void
ensure_block (CcOpenaiStream *self,
              BlockKind       kind)
{
  JsonObject *content_block;

  if (self->open == kind)
    return;
  content_block = json_object_new ();
  if (kind == BLOCK_TEXT)
    {
      json_object_set_string_member (content_block, "type", "text");
      json_object_set_string_member (content_block, "text", "");
    }
  else
    {
      json_object_set_string_member (content_block, "type", "thinking");
      json_object_set_string_member (content_block, "thinking", "");
    }
  open_block (self, kind, content_block);
}

static void
open_tool_block (CcOpenaiStream *self,
                 ToolCall       *call)
{
  JsonObject *content_block = json_object_new ();

  json_object_set_string_member (content_block, "type", "tool_use");
  json_object_set_string_member (content_block, "id", call->id);
  json_object_set_string_member (content_block, "name", call->name);
  json_object_set_object_member (content_block, "input", json_object_new ());
  open_block (self, BLOCK_TOOL, content_block);
  self->open_call = call;
  call->opened = TRUE;
  self->any_tool = TRUE;
}

static int
compare_calls (gconstpointer a,
               gconstpointer b)
{
  const ToolCall *x = *(ToolCall * const *) a;
  const ToolCall *y = *(ToolCall * const *) b;

  return x->index < y->index ? -1 : x->index > y->index;
}

/* The calls that waited, each whole, in index order. */
static void
flush_buffered (CcOpenaiStream *self)
{
  g_autoptr(GPtrArray) waiting = g_ptr_array_new ();

  close_block (self);
  for (guint i = 0; i < self->calls->len; i++)
    {
      ToolCall *call = g_ptr_array_index (self->calls, i);

      if (call->known && !call->opened)
        g_ptr_array_add (waiting, call);
    }
  g_ptr_array_sort (waiting, compare_calls);
  for (guint i = 0; i < waiting->len; i++)
    {
      ToolCall *call = g_ptr_array_index (waiting, i);

      open_tool_block (self, call);
      if (call->arguments->len > 0)
        send_delta (self, "input_json_delta", "partial_json", call->arguments->str);
      close_block (self);
    }
}

static void
end_with_error (CcOpenaiStream *self,
                const char     *message)
{
  JsonObject *data;
  JsonObject *error = json_object_new ();

  close_block (self);
  data = event_data ("error");
  json_object_set_string_member (error, "type", "api_error");
  json_object_set_string_member (error, "message", message);
  json_object_set_object_member (data, "error", error);
  send (self, data);
  self->done = TRUE;
}

/* message_delta and message_stop, once. */
static void
complete (CcOpenaiStream *self)
{
  JsonObject *data, *delta;

  if (self->done)
    return;
  ensure_started (self, NULL);
  flush_buffered (self);

  data = event_data ("message_delta");
  delta = json_object_new ();
  json_object_set_string_member (delta, "stop_reason",
                                 self->any_tool ? "tool_use" : cc_openai_stop_reason (self->finish_reason));
  json_object_set_null_member (delta, "stop_sequence");
  json_object_set_object_member (data, "delta", delta);
  json_object_set_member (data, "usage", cc_openai_usage_to_anthropic (self->usage));
  send (self, data);
  send (self, event_data ("message_stop"));
  self->done = TRUE;
}

/* ----- input ----- */

static ToolCall *
find_call (CcOpenaiStream *self,
           gint64          index)
{
  ToolCall *call;

  for (guint i = 0; i < self->calls->len; i++)
    if (((ToolCall *) g_ptr_array_index (self->calls, i))->index == index)
      return g_ptr_array_index (self->calls, i);

  call = g_new0 (ToolCall, 1);
  call->index = index;
  call->arguments = g_string_new (NULL);
  g_ptr_array_add (self->calls, call);
  return call;
}

static void
add_tool_delta (CcOpenaiStream *self,
                JsonObject     *delta,
                guint           position)
{
  JsonObject *function = cc_proxy_json_get_object (delta, "function");
  const char *id = cc_proxy_json_get_string (delta, "id");
  const char *name = cc_proxy_json_get_string (function, "name");
  const char *fragment = cc_proxy_json_get_string (function, "arguments");
  ToolCall *call = find_call (self, cc_proxy_json_get_int (delta, "index", position));

  /* Known by its first delta with a name (and an id, of its own if the
   * server gives none); a repeat of them opens nothing. */
  if (!call->known && name != NULL)
    {
      call->known = TRUE;
      call->id = cc_openai_tool_call_id (id);
      call->name = g_strdup (name);
      if (self->open != BLOCK_TOOL)
        {
          open_tool_block (self, call);
          if (call->arguments->len > 0)
            send_delta (self, "input_json_delta", "partial_json", call->arguments->str);
        }
    }

  if (fragment == NULL || fragment[0] == '\0')
    return;
  g_string_append (call->arguments, fragment);
  if (call == self->open_call)
    send_delta (self, "input_json_delta", "partial_json", fragment);
}

static void
add_choice (CcOpenaiStream *self,
            JsonObject     *choice)
{
  JsonObject *delta = cc_proxy_json_get_object (choice, "delta");
  JsonArray *calls = cc_proxy_json_get_array (delta, "tool_calls");
  const char *reasoning = cc_openai_reasoning_text (delta);
  const char *opaque = cc_proxy_json_get_string (delta, "reasoning_opaque");
  const char *text = cc_proxy_json_get_string (delta, "content");
  const char *finish = cc_proxy_json_get_string (choice, "finish_reason");

  if (reasoning != NULL)
    {
      ensure_block (self, BLOCK_THINKING);
      send_delta (self, "thinking_delta", "thinking", reasoning);
    }
  /* The signature belongs to the thinking before it closes. */
  if (opaque != NULL && opaque[0] != '\0')
    {
      ensure_block (self, BLOCK_THINKING);
      send_delta (self, "signature_delta", "signature", opaque);
    }
  if (text != NULL && text[0] != '\0')
    {
      ensure_block (self, BLOCK_TEXT);
      send_delta (self, "text_delta", "text", text);
    }
  for (guint i = 0; calls != NULL && i < json_array_get_length (calls); i++)
    {
      JsonObject *call = cc_proxy_json_array_get_object (calls, i);

      if (call != NULL)
        add_tool_delta (self, call, i);
    }
  if (finish != NULL)
    {
      g_free (self->finish_reason);
      self->finish_reason = g_strdup (finish);
      flush_buffered (self);
    }
}

static gboolean
is_done_marker (const char *data)
{
  while (g_ascii_isspace (*data))
    data++;
  return g_str_has_prefix (data, "[DONE]") && strspn (data + 6, " \t\r\n") == strlen (data + 6);
}

/* An event's data as a JSON object, or NULL once the client's stream
 * has ended with an error saying it should have been @what. */
JsonNode *
cc_openai_stream_parse (CcOpenaiStream *self,
                        const char     *data,
                        const char     *what)
{
  JsonNode *node = cc_proxy_json_parse (data, -1, NULL);
  g_autofree char *message = NULL;

  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    return node;
  g_clear_pointer (&node, json_node_unref);
  message = g_strdup_printf ("The upstream sent data that is not %s", what);
  end_with_error (self, message);
  return NULL;
}

static void
on_chunk (const char *event,
          const char *data,
          gpointer    user_data)
{
  CcOpenaiStream *self = user_data;
  g_autoptr(JsonNode) node = NULL;

  if (self->done)
    return;
  if (is_done_marker (data))
    {
      complete (self);
      return;
    }

  node = cc_openai_stream_parse (self, data, "a chat-completions chunk");
  if (node == NULL)
    return;
  cc_openai_stream_take_chunk (self, json_node_get_object (node));
}

/* One chat-completions chunk, parsed: what every dialect comes down to. */
void
cc_openai_stream_take_chunk (CcOpenaiStream *self,
                             JsonObject     *chunk)
{
  JsonObject *usage;
  JsonArray *choices;
  JsonNode *error;

  if (self->done)
    return;
  error = json_object_get_member (chunk, "error");
  if (error != NULL && !JSON_NODE_HOLDS_NULL (error))
    {
      const char *message = JSON_NODE_HOLDS_OBJECT (error)
                            ? cc_proxy_json_get_string (json_node_get_object (error), "message")
                            : cc_proxy_json_get_string (chunk, "error");

      end_with_error (self, message ? message : "The upstream reported an error");
      return;
    }

  ensure_started (self, chunk);
  usage = cc_proxy_json_get_object (chunk, "usage");
  if (usage != NULL)
    {
      g_clear_pointer (&self->usage, json_object_unref);
      self->usage = json_object_ref (usage);
    }
  choices = cc_proxy_json_get_array (chunk, "choices");
  for (guint i = 0; choices != NULL && i < json_array_get_length (choices); i++)
    {
      JsonObject *choice = cc_proxy_json_array_get_object (choices, i);

      if (choice != NULL)
        add_choice (self, choice);
    }
}

/**
 * cc_openai_stream_new:
 * @func: receives each Anthropic event
 * @user_data: for @func
 *
 * Returns: (transfer full): a translator at the start of a stream
 */
CcOpenaiStream *
cc_openai_stream_new (CcOpenaiEventFunc func,
                      gpointer          user_data)
{
  return cc_openai_stream_new_with_reader (func, user_data, on_chunk);
}

/* A translator whose SSE events are read by @reader (given the stream),
 * which hands chunks to cc_openai_stream_take_chunk(). */
CcOpenaiStream *
cc_openai_stream_new_with_reader (CcOpenaiEventFunc   func,
                                  gpointer            user_data,
                                  CcProxySseEventFunc reader)
{
  CcOpenaiStream *self = g_new0 (CcOpenaiStream, 1);

  self->func = func;
  self->user_data = user_data;
  self->parser = cc_proxy_sse_parser_new (reader, self);
  self->calls = g_ptr_array_new_with_free_func ((GDestroyNotify) tool_call_free);
  return self;
}

void
cc_openai_stream_free (CcOpenaiStream *self)
{
  if (self == NULL)
    return;
  cc_proxy_sse_parser_free (self->parser);
  g_ptr_array_unref (self->calls);
  g_clear_pointer (&self->usage, json_object_unref);
  g_free (self->finish_reason);
  g_free (self);
}

/* Bytes as they arrive, split anywhere. Returns FALSE when the
 * upstream sent an event too large to hold: the client's stream has
 * ended with an error, and the upstream should be dropped. */
gboolean
cc_openai_stream_feed (CcOpenaiStream *self,
                       const char     *bytes,
                       gsize           len)
{
  if (self->done)
    return TRUE;
  if (cc_proxy_sse_parser_feed (self->parser, bytes, len))
    return TRUE;
  end_with_error (self, "The upstream sent an event larger than 16 MiB");
  return FALSE;
}

/**
 * cc_openai_stream_finish:
 *
 * The upstream closed the stream. After a finish reason that is a clean
 * end even without `[DONE]`; before one, the answer was cut.
 */
void
cc_openai_stream_finish (CcOpenaiStream *self)
{
  cc_proxy_sse_parser_finish (self->parser);
  if (self->done)
    return;
  if (self->finish_reason != NULL)
    complete (self);
  else
    end_with_error (self, "The upstream ended the stream before the answer was complete");
}

/* The upstream connection failed mid-way. */
void
cc_openai_stream_fail (CcOpenaiStream *self,
                       const char     *message)
{
  if (!self->done)
    end_with_error (self, message);
}

/* Keeps clients and intermediaries from giving up during silence. */
void
cc_openai_stream_ping (CcOpenaiStream *self)
{
  if (self->started && !self->done)
    send (self, event_data ("ping"));
}

gboolean
cc_openai_stream_is_done (CcOpenaiStream *self)
{
  return self->done;
}

/* The answer is complete (the dialect's own end marker). */
void
cc_openai_stream_complete (CcOpenaiStream *self)
{
  complete (self);
}
