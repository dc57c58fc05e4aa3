/* cc-proxy-sse-parser.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "cc-proxy.h"

struct _CcProxySseParser
{
  CcProxySseEventFunc  func;
  gpointer             user_data;
  GString             *line;       /* the line being read, without its end */
  GString             *data;       /* data lines of the current event */
  char                *event;      /* event field of the current event */
  gboolean             has_data;
  gboolean             after_cr;   /* a \r ended the last line: skip one \n */
  gboolean             overflowed; /* an event outgrew CC_PROXY_SSE_MAX_EVENT_SIZE */
};

/**
 * cc_proxy_sse_parser_new:
 * @func: (scope forever): called for every complete event
 * @user_data: (closure func): closure for @func
 *
 * Creates a parser; feed it with cc_proxy_sse_parser_feed().
 *
 * Returns: (transfer full): a new parser; free it with
 *   cc_proxy_sse_parser_free()
 */
CcProxySseParser *
cc_proxy_sse_parser_new (CcProxySseEventFunc func,
                         gpointer            user_data)
{
  CcProxySseParser *self = g_new0 (CcProxySseParser, 1);

  self->func = func;
  self->user_data = user_data;
  self->line = g_string_new (NULL);
  self->data = g_string_new (NULL);
  return self;
}

/**
 * cc_proxy_sse_parser_free:
 * @self: (transfer full): a parser
 *
 * Frees @self; an event not yet complete is dropped.
 */
void
cc_proxy_sse_parser_free (CcProxySseParser *self)
{
  if (self == NULL)
    return;
  g_string_free (self->line, TRUE);
  g_string_free (self->data, TRUE);
  g_free (self->event);
  g_free (self);
}

static void
dispatch (CcProxySseParser *self)
{
  if (self->has_data)
    self->func (self->event, self->data->str, self->user_data);

  g_string_truncate (self->data, 0);
  g_clear_pointer (&self->event, g_free);
  self->has_data = FALSE;
}

static void
process_line (CcProxySseParser *self)
{
  const char *line = self->line->str;
  const char *colon;
  const char *value;
  gsize name_len;

  if (self->line->len == 0)
    {
      dispatch (self);
      return;
    }
  if (line[0] == ':')  /* comment */
    goto out;

  colon = strchr (line, ':');
  name_len = colon ? (gsize) (colon - line) : self->line->len;
  value = colon ? colon + 1 : "";
  if (*value == ' ')
    value++;

  if (name_len == 4 && strncmp (line, "data", 4) == 0)
    {
      if (self->has_data)
        g_string_append_c (self->data, '\n');
      g_string_append (self->data, value);
      self->has_data = TRUE;
    }
  else if (name_len == 5 && strncmp (line, "event", 5) == 0)
    {
      g_free (self->event);
      self->event = g_strdup (value);
    }
  /* id and retry do not matter to a proxy */

out:
  g_string_truncate (self->line, 0);
}

/**
 * cc_proxy_sse_parser_feed:
 * @self: a parser
 * @bytes: the next bytes of the stream
 * @len: their length
 *
 * Calls the event function for every event these bytes complete. An
 * event (or a line) longer than %CC_PROXY_SSE_MAX_EVENT_SIZE is not held:
 * the parser stops and this and every later call return %FALSE.
 *
 * Returns: %FALSE once the stream has outgrown the limit
 */
gboolean
cc_proxy_sse_parser_feed (CcProxySseParser *self,
                          const char       *bytes,
                          gsize             len)
{
  if (self->overflowed)
    return FALSE;

  for (gsize i = 0; i < len; i++)
    {
      char c = bytes[i];

      if (self->after_cr)
        {
          self->after_cr = FALSE;
          if (c == '\n')
            continue;
        }

      if (c == '\r' || c == '\n')
        {
          self->after_cr = (c == '\r');
          process_line (self);
        }
      else
        {
          /* Append runs at once: per-byte appends dominate on large events. */
          gsize start = i;

          while (i + 1 < len && bytes[i + 1] != '\r' && bytes[i + 1] != '\n')
            i++;
          g_string_append_len (self->line, bytes + start, i - start + 1);
          if (self->line->len + self->data->len > CC_PROXY_SSE_MAX_EVENT_SIZE)
            {
              self->overflowed = TRUE;
              g_string_truncate (self->line, 0);
              g_string_truncate (self->data, 0);
              return FALSE;
            }
        }
    }
  return TRUE;
}

/**
 * cc_proxy_sse_parser_finish:
 * @self: a parser
 *
 * Ends the stream. An event not closed by a blank line is not dispatched:
 * the stream was cut.
 *
 * Returns: %TRUE when the stream ended on an event boundary
 */
gboolean
cc_proxy_sse_parser_finish (CcProxySseParser *self)
{
  gboolean clean = !self->overflowed && self->line->len == 0 && !self->has_data && self->event == NULL;

  g_string_truncate (self->line, 0);
  g_string_truncate (self->data, 0);
  g_clear_pointer (&self->event, g_free);
  self->has_data = FALSE;
  return clean;
}

/**
 * cc_proxy_sse_append_event:
 * @out: where the event goes
 * @event: the event type
 * @data: its data, written as one line of JSON
 *
 * Appends `event: <type>\ndata: <json>\n\n`. Anthropic's SDKs dispatch
 * on the event line and drop events without one.
 */
void
cc_proxy_sse_append_event (GString    *out,
                           const char *event,
                           JsonNode   *data)
{
  g_autofree char *json = NULL;

  g_return_if_fail (out != NULL);
  g_return_if_fail (event != NULL);
  g_return_if_fail (data != NULL);

  json = cc_proxy_json_to_string (data);
  g_string_append (out, "event: ");
  g_string_append (out, event);
  g_string_append (out, "\ndata: ");
  g_string_append (out, json);
  g_string_append (out, "\n\n");
}
