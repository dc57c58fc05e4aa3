/* cc-proxy-body-scan.c: what the core needs from a body, without parsing it
 *
 * Traffic reports name the model of every request, and the capture log
 * writes every body. Building a json-glib tree of a long conversation
 * to read one member, or to write it out again, cost more CPU than
 * proxying it; these scans read the bytes once and allocate nothing.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "cc-proxy.h"
#include "cc-proxy-body-scan.h"
#include "cc-proxy-json-scan.h"

/**
 * cc_proxy_body_scan_string_end:
 * @p: just past a string's opening quote
 * @end: the end of the text
 *
 * Returns: (nullable): the string's closing quote, or %NULL when the
 *   text ends first
 */
const char *
cc_proxy_body_scan_string_end (const char *p,
                               const char *end)
{
  while (p < end)
    {
      const char *quote = memchr (p, '"', end - p);
      gsize backslashes = 0;

      if (quote == NULL)
        return NULL;
      for (const char *q = quote; q > p && q[-1] == '\\'; q--)
        backslashes++;
      if (backslashes % 2 == 0)
        return quote;
      p = quote + 1;
    }
  return NULL;
}

/* A JSON string's contents as UTF-8; escapes are rare in the members
 * scanned for, so only then does json-glib read the one token. */
static char *
string_value (const char *start,
              const char *quote)
{
  g_autofree char *token = NULL;
  g_autoptr(JsonNode) node = NULL;

  if (memchr (start, '\\', quote - start) == NULL)
    return g_utf8_make_valid (start, quote - start);

  token = g_strndup (start - 1, quote - start + 2);
  node = cc_proxy_json_parse (token, -1, NULL);
  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  /* json-glib lets broken \u escapes through as broken UTF-8 (found
   * by tests/fuzz/fuzz-body). */
  return g_utf8_make_valid (json_node_get_string (node), -1);
}

/* The contents of the string @value points at, or NULL when @value is
 * no string or the text ends inside it. */
static char *
string_at (const char *value,
           const char *end)
{
  const char *quote;

  if (value >= end || *value != '"' || (quote = cc_proxy_body_scan_string_end (value + 1, end)) == NULL)
    return NULL;
  return string_value (value + 1, quote);
}

/*
 * Calls @func for each member of the top-level object, in order, with
 * the member's name (without quotes or escapes resolved) and where its
 * value starts. Works on the first part of a body as well as on a whole
 * one, valid or not.
 */
typedef void (*MemberFunc) (const char *name,
                                gsize       name_len,
                                const char *value,
                                const char *end,
                                gpointer    user_data);

static void
scan_members (const char *data,
              gsize       len,
              MemberFunc  func,
              gpointer    user_data)
{
  /* An empty GBytes has no data at all: NULL + 0 is undefined. */
  const char *p = len > 0 ? data : NULL;
  const char *end = len > 0 ? data + len : NULL;
  guint depth = 0;
  gboolean in_object = FALSE;   /* the top level is an object */
  gboolean expect_key = FALSE;  /* at depth 1, the next string is a key */

  while (p < end)
    {
      char c = *p++;

      switch (c)
        {
        case '"':
          {
            const char *start = p;
            const char *quote = cc_proxy_body_scan_string_end (p, end);

            if (quote == NULL)
              return;
            p = quote + 1;
            if (depth != 1 || !in_object || !expect_key)
              break;
            expect_key = FALSE;
            p = cc_proxy_json_skip_space (p, end);
            if (p >= end || *p != ':')
              return;
            p++;
            func (start, quote - start, cc_proxy_json_skip_space (p, end), end, user_data);
            break;
          }
        case '{':
          if (++depth == 1)
            in_object = expect_key = TRUE;
          break;
        case '[':
          if (++depth == 1)
            return;
          break;
        case '}':
        case ']':
          if (depth == 0 || --depth == 0)
            return;
          break;
        case ',':
          expect_key = depth == 1;
          break;
        default:
          break;
        }
    }
}

/* Names are compared as the parser reads them: "mod\u0065l" is model. */
static gboolean
name_is (const char *name,
         gsize       name_len,
         const char *wanted)
{
  g_autofree char *unescaped = NULL;

  if (memchr (name, '\\', name_len) == NULL)
    return strlen (wanted) == name_len && memcmp (name, wanted, name_len) == 0;
  unescaped = string_value (name, name + name_len);
  return g_strcmp0 (unescaped, wanted) == 0;
}

typedef struct
{
  const char * const *members;
  const char        **values;
} FindValues;

static void
find_values (const char *name,
             gsize       name_len,
             const char *value,
             const char *end,
             gpointer    user_data)
{
  FindValues *find = user_data;

  /* The last of repeated members is the one json-glib keeps, and the
   * one the provider sees: the scan reads on to the end. */
  for (guint i = 0; find->members[i] != NULL; i++)
    if (name_is (name, name_len, find->members[i]))
      find->values[i] = value < end ? value : NULL;
}

/**
 * cc_proxy_body_scan_values:
 * @data: (array length=len): a JSON object, not necessarily valid
 * @len: its length
 * @members: (array zero-terminated=1): member names without escapes
 * @values: (out caller-allocates) (array): for each of @members, where
 *   its value starts, or %NULL
 *
 * cc_proxy_body_scan_value() for several members in one pass.
 */
void
cc_proxy_body_scan_values (const char         *data,
                           gsize               len,
                           const char * const *members,
                           const char        **values)
{
  FindValues find = { members, values };

  for (guint i = 0; members[i] != NULL; i++)
    values[i] = NULL;
  scan_members (data, len, find_values, &find);
}

/**
 * cc_proxy_body_scan_value:
 * @data: (array length=len): a JSON object, not necessarily valid
 * @len: its length
 * @member: a member name without escapes
 *
 * Returns: (nullable): where the value of the top-level @member starts
 *   in @data (an object's value can be scanned in turn); the last one
 *   when it is repeated, as a parser reads it
 */
const char *
cc_proxy_body_scan_value (const char *data,
                          gsize       len,
                          const char *member)
{
  const char * const members[] = { member, NULL };
  const char *values[1];

  cc_proxy_body_scan_values (data, len, members, values);
  return values[0];
}

/**
 * cc_proxy_body_scan_string_at:
 * @value: where a value starts, as cc_proxy_body_scan_value() finds it
 * @end: the end of the text
 *
 * Returns: (transfer full) (nullable): the string's contents, or %NULL
 *   when the value is no string
 */
char *
cc_proxy_body_scan_string_at (const char *value,
                              const char *end)
{
  return string_at (value, end);
}

/**
 * cc_proxy_body_replace_string:
 * @body: a JSON object
 * @member: a top-level member whose value is a string
 * @value: the string to put in its place
 *
 * Writes another value into one member, without parsing the rest.
 *
 * Returns: (transfer full) (nullable): the new body, or %NULL when
 *   @member is not there as a string
 */
GBytes *
cc_proxy_body_replace_string (GBytes     *body,
                              const char *member,
                              const char *value)
{
  gsize len;
  const char *data = g_bytes_get_data (body, &len);
  const char *start = cc_proxy_body_scan_value (data, len, member);
  const char *quote;
  GString *text;

  if (start == NULL || *start != '"' || (quote = cc_proxy_body_scan_string_end (start + 1, data + len)) == NULL)
    return NULL;
  text = g_string_sized_new (len + strlen (value) + 8);
  g_string_append_len (text, data, start - data);
  g_string_append_c (text, '"');
  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (text, '\\');
      if ((guchar) *p < 0x20)
        g_string_append_printf (text, "\\u%04x", (guchar) *p);
      else
        g_string_append_c (text, *p);
    }
  g_string_append_len (text, quote, data + len - quote);
  return g_string_free_to_bytes (text);
}

/**
 * cc_proxy_body_scan_string:
 * @data: (array length=len): a request body, not necessarily valid JSON
 * @len: its length
 * @member: a member name without escapes
 *
 * Returns: (transfer full) (nullable): the value of @member of the
 *   top-level object when it is a string
 */
char *
cc_proxy_body_scan_string (const char *data,
                           gsize       len,
                           const char *member)
{
  const char *value = cc_proxy_body_scan_value (data, len, member);

  return value != NULL ? string_at (value, data + len) : NULL;
}

/**
 * cc_proxy_body_scan_int:
 * @data: (array length=len): a JSON object, not necessarily valid
 * @len: its length
 * @member: a member name without escapes
 * @default_value: the answer when @member is not a whole number
 *
 * Returns: the value of the top-level @member
 */
gint64
cc_proxy_body_scan_int (const char *data,
                        gsize       len,
                        const char *member,
                        gint64      default_value)
{
  const char *value = cc_proxy_body_scan_value (data, len, member);
  const char *end = data + len;
  gint64 number = 0;
  gboolean negative = FALSE;
  guint digits = 0;

  if (value == NULL)
    return default_value;
  if (value < end && *value == '-')
    {
      negative = TRUE;
      value++;
    }
  /* 18 digits always fit. */
  for (; value < end && g_ascii_isdigit (*value) && digits < 18; value++, digits++)
    number = number * 10 + (*value - '0');
  if (digits == 0 || (value < end && (g_ascii_isdigit (*value) || *value == '.' || *value == 'e' || *value == 'E')))
    return default_value;
  return negative ? -number : number;
}

static void
note_member (const char *name,
             gsize       name_len,
             const char *value,
             const char *end,
             gpointer    user_data)
{
  CcProxyBodyMembers *members = user_data;

  if (name_is (name, name_len, "messages"))
    members->has_messages = TRUE;
  else if (name_is (name, name_len, "system"))
    members->has_system = TRUE;
  else if (name_is (name, name_len, "max_tokens"))
    members->has_max_tokens = TRUE;
  else if (name_is (name, name_len, "type"))
    {
      g_free (members->type);
      members->type = string_at (value, end);
    }
}

/* The one place that tells the shapes apart, for parsed bodies and for
 * bodies scanned as bytes (cc_proxy_body_scan_shape()). */
CcProxyBodyShape
cc_proxy_body_shape_from_members (const CcProxyBodyMembers *members)
{
  const char *type = members->type;

  if (type != NULL && (g_str_equal (type, "message") || g_str_has_prefix (type, "message_") ||
                       g_str_has_prefix (type, "content_block_") || g_str_equal (type, "ping") ||
                       g_str_equal (type, "error")))
    return CC_PROXY_BODY_SHAPE_ANTHROPIC;

  /* A Messages request: its max_tokens is required, its system prompt
   * top-level. */
  if (members->has_messages && (members->has_system || members->has_max_tokens))
    return CC_PROXY_BODY_SHAPE_ANTHROPIC;

  return CC_PROXY_BODY_SHAPE_OTHER;
}

/**
 * cc_proxy_body_scan_shape:
 * @data: (array length=len): a JSON body
 * @len: its length
 *
 * The same answer as cc_proxy_body_shape_detect() on the parsed body.
 */
CcProxyBodyShape
cc_proxy_body_scan_shape (const char *data,
                          gsize       len)
{
  CcProxyBodyMembers members = { 0, };
  const char *first = cc_proxy_json_skip_space (data, data + len);
  CcProxyBodyShape shape;

  if (first >= data + len)
    return CC_PROXY_BODY_SHAPE_NONE;
  if (*first != '{')
    return CC_PROXY_BODY_SHAPE_OTHER;
  scan_members (data, len, note_member, &members);
  shape = cc_proxy_body_shape_from_members (&members);
  g_free (members.type);
  return shape;
}
