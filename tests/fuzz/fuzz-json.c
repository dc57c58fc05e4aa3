/* fuzz-json.c: the byte scanners, the strict validator and json-glib,
 * checked against each other and against a reference reader of RFC 8259
 * written here for the purpose, as plainly as the grammar reads
 *
 * The scanners let the daemon count, route and log a body without
 * parsing it; each place where they and the parser disagree is a body
 * that says one thing to the scanner and another to the provider (a
 * depth check bypassed, a model reported that is not the one sent).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include <cc-proxy/cc-proxy.h>

#include "cc-proxy-body-scan.h"
#include "cc-proxy-json-scan.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

/* The reference reader: recursive descent, one function per rule of the
 * grammar in RFC 8259 section 2-7, surrogate escapes in pairs only
 * (RFC 7493). It records how deep the text nests. */
typedef struct
{
  const char *p;
  const char *end;
  guint       depth;
  guint       max_seen;
  gboolean    in_pair;   /* a high surrogate was read; a low one must follow */
} Reader;

static gboolean read_value (Reader *r);

static void
read_space (Reader *r)
{
  while (r->p < r->end && strchr (" \t\n\r", *r->p) != NULL && *r->p != '\0')
    r->p++;
}

static gboolean
read_char (Reader *r,
           char    c)
{
  read_space (r);
  if (r->p >= r->end || *r->p != c)
    return FALSE;
  r->p++;
  return TRUE;
}

static gboolean
read_string (Reader *r)
{
  if (r->p >= r->end || *r->p != '"')
    return FALSE;
  for (r->p++; r->p < r->end; r->p++)
    {
      guchar c = *r->p;

      if (c == '"')
        {
          r->p++;
          return TRUE;
        }
      if (c < 0x20)
        return FALSE;
      if (c != '\\')
        continue;
      if (++r->p >= r->end)
        return FALSE;
      if (*r->p == 'u')
        {
          guint unit = 0;

          for (int i = 0; i < 4; i++)
            {
              if (++r->p >= r->end || !g_ascii_isxdigit (*r->p))
                return FALSE;
              unit = unit * 16 + g_ascii_xdigit_value (*r->p);
            }
          /* I-JSON (RFC 7493): surrogates in pairs only. */
          if (unit >= 0xDC00 && unit <= 0xDFFF && !r->in_pair)
            return FALSE;
          if (r->in_pair && (unit < 0xDC00 || unit > 0xDFFF))
            return FALSE;
          r->in_pair = unit >= 0xD800 && unit <= 0xDBFF;
          if (r->in_pair && (r->end - r->p < 3 || r->p[1] != '\\' || r->p[2] != 'u'))
            return FALSE;
          continue;
        }
      else if (memchr ("\"\\/bfnrt", *r->p, 8) == NULL)
        return FALSE;
    }
  return FALSE;
}

static gboolean
read_digits (Reader *r)
{
  const char *start = r->p;

  while (r->p < r->end && g_ascii_isdigit (*r->p))
    r->p++;
  return r->p > start;
}

static gboolean
read_number (Reader *r)
{
  if (r->p < r->end && *r->p == '-')
    r->p++;
  if (r->p < r->end && *r->p == '0')
    r->p++;
  else if (!read_digits (r))
    return FALSE;
  if (r->p < r->end && *r->p == '.')
    {
      r->p++;
      if (!read_digits (r))
        return FALSE;
    }
  if (r->p < r->end && (*r->p == 'e' || *r->p == 'E'))
    {
      r->p++;
      if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
        r->p++;
      if (!read_digits (r))
        return FALSE;
    }
  return TRUE;
}

static gboolean
read_word (Reader     *r,
           const char *word)
{
  gsize len = strlen (word);

  if ((gsize) (r->end - r->p) < len || memcmp (r->p, word, len) != 0)
    return FALSE;
  r->p += len;
  return TRUE;
}

static gboolean
read_container (Reader *r,
                char    close,
                gboolean members)
{
  gboolean ok = TRUE;

  r->p++;
  r->max_seen = MAX (r->max_seen, ++r->depth);
  /* Deep enough to tell any limit apart; no deeper, for the stack. */
  if (r->depth > CC_PROXY_JSON_MAX_DEPTH + 1)
    return FALSE;
  read_space (r);
  if (r->p < r->end && *r->p == close)
    {
      r->p++;
      r->depth--;
      return TRUE;
    }
  do
    {
      if (members)
        {
          read_space (r);
          ok = read_string (r) && read_char (r, ':');
        }
      ok = ok && read_value (r);
    }
  while (ok && read_char (r, ','));
  r->depth--;
  return ok && read_char (r, close);
}

static gboolean
read_value (Reader *r)
{
  read_space (r);
  if (r->p >= r->end)
    return FALSE;
  switch (*r->p)
    {
    case '{': return read_container (r, '}', TRUE);
    case '[': return read_container (r, ']', FALSE);
    case '"': return read_string (r);
    case 't': return read_word (r, "true");
    case 'f': return read_word (r, "false");
    case 'n': return read_word (r, "null");
    default:  return read_number (r);
    }
}

static gboolean
reference_valid (const char *data,
                 gsize       size,
                 guint      *depth)
{
  Reader r = { data, data + size, 0, 0, FALSE };
  gboolean ok = g_utf8_validate_len (data, size, NULL) && read_value (&r);

  read_space (&r);
  *depth = r.max_seen;
  return ok && r.p == r.end;
}

/* What a provider reads for a top-level member: json-glib's tree. */
static const char *
tree_string (JsonNode   *root,
             const char *member)
{
  JsonNode *node;

  if (!JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  node = json_object_get_member (json_node_get_object (root), member);
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING
         ? json_node_get_string (node) : NULL;
}

int
LLVMFuzzerTestOneInput (const guint8 *bytes,
                        size_t        size)
{
  const char *data = (const char *) bytes;
  guint depth = 0;
  gboolean reference = reference_valid (data, size, &depth);
  gsize offset = 0;
  gboolean too_deep = FALSE;
  gboolean strict = cc_proxy_json_scan (data, size, CC_PROXY_JSON_MAX_DEPTH, &offset, &too_deep);
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();

  /* The validator is the grammar, and its depth limit holds exactly. */
  g_assert_cmpint (strict, ==, reference && depth <= CC_PROXY_JSON_MAX_DEPTH);
  if (!strict)
    g_assert_cmpuint (offset, <=, size);
  if (too_deep)
    g_assert_cmpuint (depth, >, CC_PROXY_JSON_MAX_DEPTH);

  if (!strict)
    {
      /* What is refused is refused with a reason. */
      g_autoptr(GError) error = NULL;

      g_assert_null (cc_proxy_json_parse (data, size, &error));
      g_assert_error (error, CC_PROXY_JSON_ERROR, error->code);
      return 0;
    }

  /* json-glib reads everything the validator lets through, and the
   * scans read from it what the tree holds. */
  root = cc_proxy_json_parse (data, size, NULL);
  g_assert_nonnull (root);
  g_assert_true (json_parser_load_from_data (parser, size > 0 ? data : "", size, NULL));
  g_assert_cmpint (cc_proxy_body_scan_shape (data, size), ==, cc_proxy_body_shape_detect (root));
  {
    g_autofree char *scanned = cc_proxy_body_scan_string (data, size, "model");
    const char *parsed = tree_string (root, "model");
    g_autofree char *parsed_valid = parsed != NULL ? g_utf8_make_valid (parsed, -1) : NULL;

    g_assert_cmpstr (scanned, ==, parsed_valid);
  }
  {
    JsonNode *index = JSON_NODE_HOLDS_OBJECT (root)
                      ? json_object_get_member (json_node_get_object (root), "index") : NULL;
    gint64 scanned = cc_proxy_body_scan_int (data, size, "index", G_MININT64);

    if (index != NULL && JSON_NODE_HOLDS_VALUE (index) && json_node_get_value_type (index) == G_TYPE_INT64 &&
        scanned != G_MININT64)
      g_assert_cmpint (scanned, ==, json_node_get_int (index));
  }
  /* What the proxy writes of it is JSON that reads back as the same
   * tree, numbers past a double's range aside (written as null, as
   * JSON.stringify() writes Infinity): written again, it is the same. */
  {
    g_autofree char *written = cc_proxy_json_to_string (root);
    g_autofree char *rewritten = NULL;
    g_autoptr(JsonNode) again = NULL;

    g_assert_true (cc_proxy_json_validate (written, strlen (written), CC_PROXY_JSON_MAX_DEPTH, NULL));
    again = cc_proxy_json_parse (written, -1, NULL);
    g_assert_nonnull (again);
    rewritten = cc_proxy_json_to_string (again);
    g_assert_cmpstr (written, ==, rewritten);
  }
  return 0;
}
