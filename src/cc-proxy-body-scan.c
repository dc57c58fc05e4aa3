/* cc-proxy-body-scan.c: what the core needs from a request body, without parsing it
 *
 * Traffic reports name the model of every request. Parsing a long
 * conversation with json-glib to read one member cost a third of the
 * passthrough's CPU; this scan reads the bytes once, stops at the
 * member, and allocates nothing else.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "cc-proxy.h"
#include "cc-proxy-body-scan.h"

/* The closing quote of the string whose opening quote is at @p - 1, or
 * NULL when the text ends first. */
static const char *
string_end (const char *p,
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

static const char *
skip_space (const char *p,
            const char *end)
{
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
    p++;
  return p;
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
  return g_strdup (json_node_get_string (node));
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
  const char *p = data;
  const char *end = data + len;
  gsize member_len = strlen (member);
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
            const char *quote = string_end (p, end);

            if (quote == NULL)
              return NULL;
            p = quote + 1;
            if (depth != 1 || !in_object || !expect_key)
              break;
            expect_key = FALSE;
            if ((gsize) (quote - start) != member_len || memcmp (start, member, member_len) != 0)
              break;
            p = skip_space (p, end);
            if (p >= end || *p != ':')
              return NULL;
            p = skip_space (p + 1, end);
            if (p >= end || *p != '"')
              return NULL;
            start = p + 1;
            quote = string_end (start, end);
            return quote != NULL ? string_value (start, quote) : NULL;
          }
        case '{':
          if (++depth == 1)
            in_object = expect_key = TRUE;
          break;
        case '[':
          if (++depth == 1)
            return NULL;
          break;
        case '}':
        case ']':
          if (depth == 0 || --depth == 0)
            return NULL;
          break;
        case ',':
          expect_key = depth == 1;
          break;
        case ':':
          if (depth == 1)
            expect_key = FALSE;
          break;
        default:
          break;
        }
    }
  return NULL;
}
