/* cc-proxy-json.c: reading JSON that comes from the network, and writing it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "cc-proxy.h"
#include "cc-proxy-json-scan.h"

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
 * Reads @data as strict JSON (RFC 8259) as far as it is valid, building
 * nothing. Cheap enough to run before every parse of text from the
 * network; cc_proxy_json_parse() does.
 *
 * Returns: %FALSE when arrays and objects nest deeper than @max_depth
 *   before any error in the text
 */
gboolean
cc_proxy_json_check_depth (const char *data,
                           gsize       len,
                           guint       max_depth)
{
  gsize offset;
  gboolean too_deep;

  return cc_proxy_json_scan (data, len, max_depth, &offset, &too_deep) || !too_deep;
}

/**
 * cc_proxy_json_validate:
 * @data: (array length=len): text
 * @len: its length
 * @max_depth: how many arrays and objects may nest
 * @error: return location for a #CcProxyJsonError
 *
 * Whether @data is one JSON value (RFC 8259, strictly: no comments, no
 * single quotes, no trailing commas, valid UTF-8) nesting at most
 * @max_depth arrays and objects, without building it.
 *
 * Returns: %TRUE when it is
 */
gboolean
cc_proxy_json_validate (const char  *data,
                        gsize        len,
                        guint        max_depth,
                        GError     **error)
{
  gsize offset;
  gboolean too_deep;

  if (cc_proxy_json_scan (data, len, max_depth, &offset, &too_deep))
    return TRUE;
  if (too_deep)
    g_set_error (error, CC_PROXY_JSON_ERROR, CC_PROXY_JSON_ERROR_TOO_DEEP,
                 _("JSON nested more than %u levels deep is not accepted"), max_depth);
  else if (offset >= len)
    g_set_error_literal (error, CC_PROXY_JSON_ERROR, CC_PROXY_JSON_ERROR_INVALID, _("The JSON text ends too early"));
  else
    g_set_error (error, CC_PROXY_JSON_ERROR, CC_PROXY_JSON_ERROR_INVALID,
                 _("Not valid JSON (RFC 8259) at byte %" G_GSIZE_FORMAT), offset);
  return FALSE;
}

/**
 * cc_proxy_json_parse:
 * @data: (array length=len): JSON text
 * @len: its length, or -1 when @data ends with a NUL
 * @error: return location for a #CcProxyJsonError
 *
 * Parses text that came from the network: it is checked with
 * cc_proxy_json_validate() (strict JSON, at most
 * %CC_PROXY_JSON_MAX_DEPTH deep) before json-glib sees it. Use it
 * instead of json_from_string().
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
  if (!cc_proxy_json_validate (data, size, CC_PROXY_JSON_MAX_DEPTH, error))
    return NULL;

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

      /* 2^63 itself is past G_MAXINT64: converting it is undefined. */
      if (value >= -0x1p63 && value < 0x1p63 && value == (gint64) value)
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

/* ----- writing ----- */

static void
append_string (GString    *out,
               const char *text)
{
  static const char hex[] = "0123456789abcdef";
  g_autofree char *valid = NULL;
  const guchar *p;
  const guchar *run;

  /* A prefix cut mid-character, say: never invalid UTF-8 out. */
  if (!g_utf8_validate (text, -1, NULL))
    text = valid = g_utf8_make_valid (text, -1);

  g_string_append_c (out, '"');
  for (p = run = (const guchar *) text; *p != '\0'; p++)
    {
      const char *escape;

      if (*p >= 0x20 && *p != '"' && *p != '\\')
        continue;
      g_string_append_len (out, (const char *) run, p - run);
      run = p + 1;
      switch (*p)
        {
        case '"': escape = "\\\""; break;
        case '\\': escape = "\\\\"; break;
        case '\b': escape = "\\b"; break;
        case '\f': escape = "\\f"; break;
        case '\n': escape = "\\n"; break;
        case '\r': escape = "\\r"; break;
        case '\t': escape = "\\t"; break;
        default: escape = NULL; break;
        }
      if (escape != NULL)
        g_string_append (out, escape);
      else
        {
          /* json-glib 1.6 writes these raw: no JSON reader takes that. */
          g_string_append (out, "\\u00");
          g_string_append_c (out, hex[*p >> 4]);
          g_string_append_c (out, hex[*p & 0xf]);
        }
    }
  g_string_append_len (out, (const char *) run, p - run);
  g_string_append_c (out, '"');
}

static void
append_double (GString *out,
               double   value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  /* JSON has no infinity or NaN (json-glib writes "inf.0"). */
  if (!isfinite (value))
    {
      g_string_append (out, "null");
      return;
    }
  g_ascii_dtostr (buffer, sizeof buffer, value);
  g_string_append (out, buffer);
  /* A double stays a double when read back, as json-glib keeps it. */
  if (strpbrk (buffer, ".eE") == NULL)
    g_string_append (out, ".0");
}

/**
 * cc_proxy_json_append:
 * @out: where to write
 * @node: (nullable): a JSON node; %NULL is written as null
 *
 * Writes @node as compact JSON that any strict reader takes: control
 * characters escaped, invalid UTF-8 replaced, numbers JSON has no
 * spelling for (infinity, NaN) written as null; members in their order.
 * Use it instead of json_to_string() or a JsonGenerator.
 */
void
cc_proxy_json_append (GString  *out,
                      JsonNode *node)
{
  if (node == NULL)
    {
      g_string_append (out, "null");
      return;
    }

  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObject *object = json_node_get_object (node);
        g_autoptr(GList) members = json_object_get_members (object);

        g_string_append_c (out, '{');
        for (GList *l = members; l != NULL; l = l->next)
          {
            if (l != members)
              g_string_append_c (out, ',');
            append_string (out, l->data);
            g_string_append_c (out, ':');
            cc_proxy_json_append (out, json_object_get_member (object, l->data));
          }
        g_string_append_c (out, '}');
      }
      break;
    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        guint n = json_array_get_length (array);

        g_string_append_c (out, '[');
        for (guint i = 0; i < n; i++)
          {
            if (i > 0)
              g_string_append_c (out, ',');
            cc_proxy_json_append (out, json_array_get_element (array, i));
          }
        g_string_append_c (out, ']');
      }
      break;
    case JSON_NODE_VALUE:
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_INT64:
          g_string_append_printf (out, "%" G_GINT64_FORMAT, json_node_get_int (node));
          break;
        case G_TYPE_DOUBLE:
          append_double (out, json_node_get_double (node));
          break;
        case G_TYPE_BOOLEAN:
          g_string_append (out, json_node_get_boolean (node) ? "true" : "false");
          break;
        case G_TYPE_STRING:
          append_string (out, json_node_get_string (node));
          break;
        default:
          g_string_append (out, "null");
          break;
        }
      break;
    case JSON_NODE_NULL:
    default:
      g_string_append (out, "null");
      break;
    }
}

/**
 * cc_proxy_json_to_string:
 * @node: (nullable): a JSON node
 *
 * Writes @node as compact JSON, as cc_proxy_json_append() does.
 *
 * Returns: (transfer full): the text
 */
char *
cc_proxy_json_to_string (JsonNode *node)
{
  GString *out = g_string_new (NULL);

  cc_proxy_json_append (out, node);
  return g_string_free (out, FALSE);
}
