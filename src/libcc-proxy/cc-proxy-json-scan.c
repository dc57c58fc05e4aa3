/* cc-proxy-json-scan.c: the strict grammar of JSON, checked on bytes
 *
 * json-glib 1.6 accepts more than JSON (comments, single-quoted
 * strings), and the byte scans of the core (src/core/cc-proxy-body-scan.c)
 * follow only JSON; this check stands between the network and both.
 * Built into libcc-proxy (cc_proxy_json_validate(), cc_proxy_json_parse())
 * and, as a static library, into the fuzz target that compares it with
 * json-glib.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "cc-proxy-json-scan.h"

/* The four hex digits at @p as a number, or -1. */
static gint
hex4 (const char *p,
      const char *end)
{
  gint value = 0;

  if (end - p < 4)
    return -1;
  for (guint i = 0; i < 4; i++)
    {
      if (!g_ascii_isxdigit (p[i]))
        return -1;
      value = value * 16 + g_ascii_xdigit_value (p[i]);
    }
  return value;
}

static const char *
skip_string (const char *p,
             const char *end)
{
  /* @p is past the opening quote. */
  while (p < end)
    {
      guchar c = *p++;

      if (c == '"')
        return p;
      if (c < 0x20)
        return NULL;
      if (c != '\\')
        continue;
      if (p >= end)
        return NULL;
      c = *p++;
      if (c == 'u')
        {
          gint unit = hex4 (p, end);

          /* A surrogate only as the first of a pair (RFC 7493, I-JSON):
           * json-glib 1.6 reads a lone one as broken UTF-8 or as the
           * end of the text. */
          if (unit < 0 || (unit >= 0xDC00 && unit <= 0xDFFF))
            return NULL;
          p += 4;
          if (unit >= 0xD800 && unit <= 0xDBFF)
            {
              gint low = end - p >= 2 && p[0] == '\\' && p[1] == 'u' ? hex4 (p + 2, end) : -1;

              if (low < 0xDC00 || low > 0xDFFF)
                return NULL;
              p += 6;
            }
        }
      else if (strchr ("\"\\/bfnrt", c) == NULL || c == '\0')
        return NULL;
    }
  return NULL;
}

static const char *
skip_digits (const char *p,
             const char *end)
{
  const char *start = p;

  while (p < end && g_ascii_isdigit (*p))
    p++;
  return p > start ? p : NULL;
}

static const char *
skip_number (const char *p,
             const char *end)
{
  if (p < end && *p == '-')
    p++;
  if (p < end && *p == '0')
    p++;
  else if ((p = skip_digits (p, end)) == NULL)
    return NULL;
  if (p < end && *p == '.' && (p = skip_digits (p + 1, end)) == NULL)
    return NULL;
  if (p < end && (*p == 'e' || *p == 'E'))
    {
      p++;
      if (p < end && (*p == '+' || *p == '-'))
        p++;
      if ((p = skip_digits (p, end)) == NULL)
        return NULL;
    }
  return p;
}

static const char *
skip_literal (const char *p,
              const char *end,
              const char *literal)
{
  gsize len = strlen (literal);

  return (gsize) (end - p) >= len && memcmp (p, literal, len) == 0 ? p + len : NULL;
}

/**
 * cc_proxy_json_scan:
 * @data: (array length=len): text
 * @len: its length
 * @max_depth: how many arrays and objects may nest
 * @error_offset: (out): where it is not JSON, on failure
 * @too_deep: (out): whether it failed on nesting, not on grammar
 *
 * Checks the grammar of RFC 8259 strictly, UTF-8 included, surrogate
 * escapes only in pairs (as I-JSON, RFC 7493, asks), and nesting against
 * @max_depth, without building anything. json-glib 1.6 takes
 * more (comments, single-quoted strings), which no byte scan for depth
 * or for members can follow: cc_proxy_json_validate() runs this before
 * json-glib sees any text from the network.
 *
 * Returns: whether @data is one JSON document
 */
gboolean
cc_proxy_json_scan (const char *data,
                    gsize       len,
                    guint       max_depth,
                    gsize      *error_offset,
                    gboolean   *too_deep)
{
  enum { VALUE, KEY, AFTER } state = VALUE;
  char small[CC_PROXY_JSON_MAX_DEPTH];
  g_autofree char *large = NULL;
  char *stack = small;
  guint depth = 0;
  const char *p = data;
  const char *end = data + len;
  const char *token = data;
  const char *bad_utf8;

  *too_deep = FALSE;
  if (!g_utf8_validate_len (data, len, &bad_utf8))
    {
      *error_offset = bad_utf8 - data;
      return FALSE;
    }
  if (max_depth > G_N_ELEMENTS (small))
    stack = large = g_malloc (MIN (max_depth, len) + 1);

#define FAIL() G_STMT_START { *error_offset = token - data; return FALSE; } G_STMT_END
  for (;;)
    {
      p = token = cc_proxy_json_skip_space (p, end);
      if (state == AFTER)
        {
          if (depth == 0)
            {
              if (p != end)
                FAIL ();
              return TRUE;
            }
          if (p >= end)
            FAIL ();
          if (*p == ',')
            {
              p++;
              state = stack[depth - 1] == '{' ? KEY : VALUE;
            }
          else if (*p == (stack[depth - 1] == '{' ? '}' : ']'))
            {
              p++;
              depth--;
            }
          else
            FAIL ();
          continue;
        }
      if (p >= end)
        FAIL ();
      if (state == KEY)
        {
          if (*p != '"' || (p = skip_string (p + 1, end)) == NULL)
            FAIL ();
          p = cc_proxy_json_skip_space (p, end);
          if (p >= end || *p != ':')
            FAIL ();
          p++;
          state = VALUE;
          continue;
        }

      /* A value. */
      switch (*p)
        {
        case '{':
        case '[':
          if (depth >= max_depth)
            {
              *too_deep = TRUE;
              FAIL ();
            }
          stack[depth++] = *p++;
          p = cc_proxy_json_skip_space (p, end);
          if (p < end && *p == (stack[depth - 1] == '{' ? '}' : ']'))
            {
              p++;
              depth--;
              state = AFTER;
            }
          else
            state = stack[depth - 1] == '{' ? KEY : VALUE;
          continue;
        case '"':
          p = skip_string (p + 1, end);
          break;
        case 't':
          p = skip_literal (p, end, "true");
          break;
        case 'f':
          p = skip_literal (p, end, "false");
          break;
        case 'n':
          p = skip_literal (p, end, "null");
          break;
        default:
          p = skip_number (p, end);
          break;
        }
      if (p == NULL)
        FAIL ();
      state = AFTER;
    }
#undef FAIL
}
