/* cc-proxy-json.c: reading JSON that comes from the network
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "cc-proxy.h"

static JsonNode *
member (JsonObject *object,
        const char *name)
{
  return object != NULL ? json_object_get_member (object, name) : NULL;
}

/**
 * cc_proxy_json_get_string:
 * @object: (nullable): an object
 * @member: a member name
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
 * Returns: (transfer full): a node holding a new reference to @object
 */
JsonNode *
cc_proxy_json_node_new_object (JsonObject *object)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, object);
  return node;
}
