/* cc-proxy-json.c: reading JSON that comes from the network
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "cc-proxy.h"

/**
 * cc_proxy_json_error_quark:
 *
 * The domain of #CcProxyJsonError.
 *
 * Returns: the quark
 */
G_DEFINE_QUARK (cc-proxy-json-error-quark, cc_proxy_json_error)

/**
 * cc_proxy_json_check_depth:
 * @data: (array length=len): JSON text, not necessarily valid
 * @len: its length
 * @max_depth: how many arrays and objects may nest
 *
 * A byte scan, no parse: brackets inside strings do not count. Cheap
 * enough to run before every parse of text from the network.
 *
 * Returns: %FALSE when arrays and objects nest deeper than @max_depth
 */
gboolean
cc_proxy_json_check_depth (const char *data,
                           gsize       len,
                           guint       max_depth)
{
  const char *p = data;
  const char *end = data + len;
  guint depth = 0;

  while (p < end)
    {
      switch (*p++)
        {
        case '"':
          /* Skip the string: to its closing quote, past escapes. */
          while (p < end)
            {
              const char *quote = memchr (p, '"', end - p);
              const char *q;
              gsize backslashes = 0;

              if (quote == NULL)
                return TRUE;
              for (q = quote; q > p && q[-1] == '\\'; q--)
                backslashes++;
              p = quote + 1;
              if (backslashes % 2 == 0)
                break;
            }
          break;
        case '[':
        case '{':
          if (++depth > max_depth)
            return FALSE;
          break;
        case ']':
        case '}':
          if (depth > 0)
            depth--;
          break;
        default:
          break;
        }
    }
  return TRUE;
}

/**
 * cc_proxy_json_parse:
 * @data: (array length=len): JSON text
 * @len: its length, or -1 when @data ends with a NUL
 * @error: return location for a #CcProxyJsonError
 *
 * Parses text that came from the network: nesting is checked with
 * cc_proxy_json_check_depth() against %CC_PROXY_JSON_MAX_DEPTH before
 * json-glib sees it. Use it instead of json_from_string().
 *
 * Returns: (transfer full) (nullable): the root node, or %NULL with
 *   @error set
 */
JsonNode *
cc_proxy_json_parse (const char  *data,
                     gssize       len,
                     GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize size;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  size = len < 0 ? strlen (data) : (gsize) len;
  if (!cc_proxy_json_check_depth (data, size, CC_PROXY_JSON_MAX_DEPTH))
    {
      g_set_error (error, CC_PROXY_JSON_ERROR, CC_PROXY_JSON_ERROR_TOO_DEEP,
                   _("JSON nested more than %u levels deep is not accepted"), CC_PROXY_JSON_MAX_DEPTH);
      return NULL;
    }

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, size > 0 ? data : "", size, &local_error))
    {
      g_set_error_literal (error, CC_PROXY_JSON_ERROR, CC_PROXY_JSON_ERROR_INVALID, local_error->message);
      return NULL;
    }
  /* json-glib takes an empty document as valid, with no root. */
  if (json_parser_get_root (parser) == NULL)
    {
      g_set_error_literal (error, CC_PROXY_JSON_ERROR, CC_PROXY_JSON_ERROR_INVALID, _("The document is empty"));
      return NULL;
    }
  return json_node_ref (json_parser_get_root (parser));
}

static JsonNode *
member (JsonObject *object,
        const char *name)
{
  return object != NULL ? json_object_get_member (object, name) : NULL;
}

/**
 * cc_proxy_json_get_string:
 * @object: (nullable): an object
 * @name: a member name
 *
 * Reads a string member that may be missing or of another type.
 *
 * Returns: (nullable): the member's text, or %NULL when it is missing or
 *   not a string
 */
const char *
cc_proxy_json_get_string (JsonObject *object,
                          const char *name)
{
  JsonNode *node = member (object, name);

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/**
 * cc_proxy_json_get_int:
 * @object: (nullable): an object
 * @name: a member name
 * @default_value: what to return when the member is no integer
 *
 * Reads an integer member that may be missing or of another type.
 *
 * Returns: the member as an integer (a whole-valued double counts), or
 *   @default_value
 */
gint64
cc_proxy_json_get_int (JsonObject *object,
                       const char *name,
                       gint64      default_value)
{
  JsonNode *node = member (object, name);
  GType type = node != NULL ? json_node_get_value_type (node) : G_TYPE_INVALID;

  if (type == G_TYPE_INT64)
    return json_node_get_int (node);
  if (type == G_TYPE_DOUBLE)
    {
      double value = json_node_get_double (node);

      if (value >= (double) G_MININT64 && value <= (double) G_MAXINT64 && value == (gint64) value)
        return (gint64) value;
    }
  return default_value;
}

/**
 * cc_proxy_json_get_bool:
 * @object: (nullable): an object
 * @name: a member name
 * @default_value: what to return when the member is no boolean
 *
 * Reads a boolean member that may be missing or of another type.
 *
 * Returns: the member's value, or @default_value
 */
gboolean
cc_proxy_json_get_bool (JsonObject *object,
                        const char *name,
                        gboolean    default_value)
{
  JsonNode *node = member (object, name);

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return default_value;
  return json_node_get_boolean (node);
}

/**
 * cc_proxy_json_get_object:
 * @object: (nullable): an object
 * @name: a member name
 *
 * Reads an object member that may be missing or of another type.
 *
 * Returns: (transfer none) (nullable): the member when it is an object
 */
JsonObject *
cc_proxy_json_get_object (JsonObject *object,
                          const char *name)
{
  JsonNode *node = member (object, name);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/**
 * cc_proxy_json_get_array:
 * @object: (nullable): an object
 * @name: a member name
 *
 * Reads an array member that may be missing or of another type.
 *
 * Returns: (transfer none) (nullable): the member when it is an array
 */
JsonArray *
cc_proxy_json_get_array (JsonObject *object,
                         const char *name)
{
  JsonNode *node = member (object, name);

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

/**
 * cc_proxy_json_array_get_object:
 * @array: (nullable): an array
 * @index: an element's position
 *
 * Reads an element that may be missing or of another type.
 *
 * Returns: (transfer none) (nullable): element @index when it is an object
 */
JsonObject *
cc_proxy_json_array_get_object (JsonArray *array,
                                guint      index)
{
  JsonNode *node;

  if (array == NULL || index >= json_array_get_length (array))
    return NULL;
  node = json_array_get_element (array, index);
  return JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/**
 * cc_proxy_json_node_new_object:
 * @object: an object
 *
 * Wraps @object in a node, as json_node_init_object() does, in one call.
 *
 * Returns: (transfer full): a node holding a new reference to @object
 */
JsonNode *
cc_proxy_json_node_new_object (JsonObject *object)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, object);
  return node;
}
