/* cc-proxy-message-assembler.c: an Anthropic message from its stream events
 *
 * A streamed answer is only deltas; people reading a capture want the
 * message the client ended up with. This rebuilds it the way Anthropic's
 * SDKs do: blocks by index, text and thinking appended, tool input
 * parsed once its JSON is whole, usage merged from message_delta.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "cc-proxy.h"
#include "cc-proxy-message-assembler.h"

typedef struct
{
  JsonObject *block;
  GString    *text;       /* text or thinking, appended */
  GString    *json;       /* input_json_delta fragments */
} Block;

struct _CcProxyMessageAssembler
{
  JsonObject *message;    /* from message_start; NULL before it */
  GArray     *blocks;     /* Block, by index */
};

static void
string_free (GString *string)
{
  g_string_free (string, TRUE);
}

/* Also when a block's index starts again (a second content_block_start
 * for it): the block is then empty, never half-freed. */
static void
block_clear (Block *block)
{
  g_clear_pointer (&block->block, json_object_unref);
  g_clear_pointer (&block->text, string_free);
  g_clear_pointer (&block->json, string_free);
}

CcProxyMessageAssembler *
cc_proxy_message_assembler_new (void)
{
  CcProxyMessageAssembler *self = g_new0 (CcProxyMessageAssembler, 1);

  self->blocks = g_array_new (FALSE, TRUE, sizeof (Block));
  g_array_set_clear_func (self->blocks, (GDestroyNotify) block_clear);
  return self;
}

void
cc_proxy_message_assembler_free (CcProxyMessageAssembler *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->message, json_object_unref);
  g_array_unref (self->blocks);
  g_free (self);
}

static JsonObject *
copy_object (JsonObject *object)
{
  g_autoptr(JsonNode) node = cc_proxy_json_node_new_object (object);
  g_autoptr(JsonNode) copy = json_node_copy (node);

  return json_object_ref (json_node_get_object (copy));
}

static Block *
block_at (CcProxyMessageAssembler *self,
          gint64                   index)
{
  if (index < 0 || index >= 4096)
    return NULL;
  if ((guint) index >= self->blocks->len)
    g_array_set_size (self->blocks, index + 1);
  return &g_array_index (self->blocks, Block, index);
}

static void
append (GString    **string,
        const char  *text)
{
  if (text == NULL)
    return;
  if (*string == NULL)
    *string = g_string_new (NULL);
  g_string_append (*string, text);
}

/**
 * cc_proxy_message_assembler_delta_member:
 * @type: a content_block_delta's delta type
 *
 * Returns: (nullable): the member of the delta that carries its text
 */
const char *
cc_proxy_message_assembler_delta_member (const char *type)
{
  if (type == NULL)
    return NULL;
  if (g_str_equal (type, "text_delta"))
    return "text";
  if (g_str_equal (type, "thinking_delta"))
    return "thinking";
  if (g_str_equal (type, "input_json_delta"))
    return "partial_json";
  if (g_str_equal (type, "signature_delta"))
    return "signature";
  return NULL;
}

static void
add_delta (Block      *block,
           const char *type,
           const char *value)
{
  if (type == NULL || value == NULL)
    return;

  if (g_str_equal (type, "text_delta") || g_str_equal (type, "thinking_delta"))
    append (&block->text, value);
  else if (g_str_equal (type, "input_json_delta"))
    append (&block->json, value);
  else if (g_str_equal (type, "signature_delta") && block->block != NULL)
    json_object_set_string_member (block->block, "signature", value);
}

/* Copies what message_delta carries onto the message. */
static void
merge_members (JsonObject *into,
               JsonObject *from)
{
  g_autoptr(GList) names = json_object_get_members (from);

  for (GList *l = names; l != NULL; l = l->next)
    json_object_set_member (into, l->data, json_node_copy (json_object_get_member (from, l->data)));
}

/**
 * cc_proxy_message_assembler_add:
 * @self: an assembler
 * @event: the data of one Anthropic stream event
 *
 * Anything that is not an Anthropic stream event is ignored.
 */
void
cc_proxy_message_assembler_add (CcProxyMessageAssembler *self,
                                JsonNode                *event)
{
  JsonObject *object;
  const char *type;
  Block *block;

  if (event == NULL || !JSON_NODE_HOLDS_OBJECT (event))
    return;
  object = json_node_get_object (event);
  type = cc_proxy_json_get_string (object, "type");
  if (type == NULL)
    return;

  if (g_str_equal (type, "message_start"))
    {
      JsonObject *message = cc_proxy_json_get_object (object, "message");

      if (message != NULL && self->message == NULL)
        self->message = copy_object (message);
      return;
    }
  if (self->message == NULL)
    return;

  if (g_str_equal (type, "content_block_start"))
    {
      JsonObject *content = cc_proxy_json_get_object (object, "content_block");

      if (content != NULL && (block = block_at (self, cc_proxy_json_get_int (object, "index", -1))) != NULL)
        {
          block_clear (block);
          block->block = copy_object (content);
        }
    }
  else if (g_str_equal (type, "content_block_delta"))
    {
      JsonObject *delta = cc_proxy_json_get_object (object, "delta");
      const char *delta_type = cc_proxy_json_get_string (delta, "type");
      const char *member = cc_proxy_message_assembler_delta_member (delta_type);

      if (member != NULL && (block = block_at (self, cc_proxy_json_get_int (object, "index", -1))) != NULL)
        add_delta (block, delta_type, cc_proxy_json_get_string (delta, member));
    }
  else if (g_str_equal (type, "message_delta"))
    {
      JsonObject *delta = cc_proxy_json_get_object (object, "delta");
      JsonObject *usage = cc_proxy_json_get_object (object, "usage");

      if (delta != NULL)
        merge_members (self->message, delta);
      if (usage != NULL)
        {
          if (cc_proxy_json_get_object (self->message, "usage") == NULL)
            json_object_set_object_member (self->message, "usage", json_object_new ());
          merge_members (json_object_get_object_member (self->message, "usage"), usage);
        }
    }
}

/**
 * cc_proxy_message_assembler_add_delta:
 * @self: an assembler
 * @index: the content block's index
 * @type: the delta's type (`text_delta`, …)
 * @value: the delta's text (the member
 *   cc_proxy_message_assembler_delta_member() names)
 *
 * The same as adding a content_block_delta event, for a reader that
 * took the event apart without parsing it.
 */
void
cc_proxy_message_assembler_add_delta (CcProxyMessageAssembler *self,
                                      gint64                   index,
                                      const char              *type,
                                      const char              *value)
{
  Block *block;

  if (self->message != NULL && (block = block_at (self, index)) != NULL)
    add_delta (block, type, value);
}

static JsonNode *
block_to_node (Block *block)
{
  JsonObject *object = block->block;

  if (block->text != NULL)
    {
      const char *member = g_strcmp0 (cc_proxy_json_get_string (object, "type"), "thinking") == 0 ? "thinking" : "text";
      const char *before = cc_proxy_json_get_string (object, member);
      g_autofree char *joined = g_strconcat (before ? before : "", block->text->str, NULL);

      json_object_set_string_member (object, member, joined);
    }
  if (block->json != NULL)
    {
      g_autoptr(JsonNode) input = cc_proxy_json_parse (block->json->str, -1, NULL);

      /* A tool input cut mid-way stays visible as the text it was. */
      if (input != NULL)
        json_object_set_member (object, "input", g_steal_pointer (&input));
      else
        json_object_set_string_member (object, "input", block->json->str);
    }

  return cc_proxy_json_node_new_object (object);
}

/**
 * cc_proxy_message_assembler_finish:
 * @self: an assembler
 *
 * Call it once, after the last event.
 *
 * Returns: (transfer full) (nullable): the message as the events built
 *   it, or %NULL when no message_start was seen
 */
JsonNode *
cc_proxy_message_assembler_finish (CcProxyMessageAssembler *self)
{
  JsonArray *content;

  if (self->message == NULL)
    return NULL;

  content = json_array_new ();
  for (guint i = 0; i < self->blocks->len; i++)
    {
      Block *block = &g_array_index (self->blocks, Block, i);

      if (block->block != NULL)
        json_array_add_element (content, block_to_node (block));
    }
  json_object_set_array_member (self->message, "content", content);

  return cc_proxy_json_node_new_object (self->message);
}
