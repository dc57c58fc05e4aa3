/* cc-proxy-event.c: traffic events, the safe header view and redaction
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define _GNU_SOURCE  /* memmem */
#include "config.h"

#include <string.h>
#include <libsoup/soup.h>

#include "cc-proxy-body-scan.h"
#include "cc-proxy-event.h"

G_DEFINE_BOXED_TYPE (CcProxyEvent, cc_proxy_event, cc_proxy_event_ref, cc_proxy_event_unref)

CcProxyEvent *
cc_proxy_event_new (CcProxyEventKind kind)
{
  CcProxyEvent *self = g_atomic_rc_box_new0 (CcProxyEvent);

  self->kind = kind;
  self->timestamp = g_get_monotonic_time ();
  return self;
}

/**
 * cc_proxy_event_ref:
 * @self: an event
 *
 * Takes a reference on @self; an event is immutable, so any thread may
 * hold one.
 *
 * Returns: (transfer full): @self
 */
CcProxyEvent *
cc_proxy_event_ref (CcProxyEvent *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_atomic_rc_box_acquire (self);
}

/* Frees what the box holds; g_atomic_rc_box_release_full() frees the box. */
static void
cc_proxy_event_clear (CcProxyEvent *self)
{
  g_free (self->request_id);
  g_free (self->provider_id);
  g_free (self->route);
  g_free (self->session_id);
  g_free (self->method);
  g_free (self->path);
  g_free (self->query);
  g_strfreev (self->headers);
  g_clear_pointer (&self->body, json_node_unref);
  g_free (self->sse_event);
  g_free (self->message);
  g_free (self->model);
  g_clear_pointer (&self->usage, json_node_unref);
  g_free (self->stop_reason);
  g_clear_pointer (&self->raw_body, g_bytes_unref);
}

/**
 * cc_proxy_event_unref:
 * @self: (transfer full): an event
 *
 * Drops a reference; the last one frees @self.
 */
void
cc_proxy_event_unref (CcProxyEvent *self)
{
  g_return_if_fail (self != NULL);

  g_atomic_rc_box_release_full (self, (GDestroyNotify) cc_proxy_event_clear);
}

/**
 * cc_proxy_event_kind_to_string:
 * @kind: an event kind
 *
 * Gets the name the capture log and the bus use for @kind.
 *
 * Returns: "request-headers", "response-done", …
 */
const char *
cc_proxy_event_kind_to_string (CcProxyEventKind kind)
{
  static const char * const names[] = {
    "request-headers", "request-body", "response-headers", "progress",
    "response-complete", "response-done", "error", "proxy-error",
  };

  g_return_val_if_fail (kind < G_N_ELEMENTS (names), NULL);
  return names[kind];
}

/**
 * cc_proxy_body_shape_to_string:
 * @shape: a body shape
 *
 * Gets the name the capture log uses for @shape.
 *
 * Returns: "none", "anthropic" or "other"
 */
const char *
cc_proxy_body_shape_to_string (CcProxyBodyShape shape)
{
  static const char * const names[] = { "none", "anthropic", "other" };

  g_return_val_if_fail (shape < G_N_ELEMENTS (names), NULL);
  return names[shape];
}

/**
 * cc_proxy_body_shape_detect:
 * @body: (nullable): a parsed body
 *
 * Tells an Anthropic Messages body (request, response or stream event)
 * from any other JSON by the members the Messages API requires.
 *
 * Returns: the shape
 */
CcProxyBodyShape
cc_proxy_body_shape_detect (JsonNode *body)
{
  JsonObject *object;
  CcProxyBodyMembers members = { 0, };

  if (body == NULL)
    return CC_PROXY_BODY_SHAPE_NONE;
  if (!JSON_NODE_HOLDS_OBJECT (body))
    return CC_PROXY_BODY_SHAPE_OTHER;

  object = json_node_get_object (body);
  members.has_messages = json_object_has_member (object, "messages");
  members.has_system = json_object_has_member (object, "system");
  members.has_max_tokens = json_object_has_member (object, "max_tokens");
  members.type = (char *) cc_proxy_json_get_string (object, "type");
  return cc_proxy_body_shape_from_members (&members);
}

/**
 * cc_proxy_response_summarize:
 * @body: (nullable): an Anthropic response body, or a message assembled
 *   from a stream
 * @usage: (out) (transfer full) (nullable): its token counts
 * @stop_reason: (out) (transfer full) (nullable): why the model stopped
 *
 * The figures a one-line view of a request shows.
 */
void
cc_proxy_response_summarize (JsonNode  *body,
                             JsonNode **usage,
                             char     **stop_reason)
{
  static const char * const names[] = {
    "input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens",
  };
  JsonObject *object, *counts;
  g_autoptr(JsonObject) out = NULL;

  *usage = NULL;
  *stop_reason = NULL;
  if (body == NULL || !JSON_NODE_HOLDS_OBJECT (body))
    return;
  object = json_node_get_object (body);
  counts = cc_proxy_json_get_object (object, "usage");
  out = json_object_new ();

  for (guint i = 0; counts != NULL && i < G_N_ELEMENTS (names); i++)
    {
      gint64 value = cc_proxy_json_get_int (counts, names[i], -1);

      /* Negative: not told. A zero cache figure says nothing either. */
      if (value > 0 || (value == 0 && !g_str_has_prefix (names[i], "cache_")))
        json_object_set_int_member (out, names[i], value);
    }
  *stop_reason = g_strdup (cc_proxy_json_get_string (object, "stop_reason"));

  if (json_object_get_size (out) > 0)
    *usage = cc_proxy_json_node_new_object (out);
}

/* Secrets shorter than this are not searched for by value: replacing
 * every "ab" in a body would destroy it and protects nothing real. */
#define MIN_SECRET_LENGTH 4

static gboolean
contains_secret (const char         *text,
                 const char * const *secrets)
{
  for (guint i = 0; secrets != NULL && secrets[i] != NULL; i++)
    if (strlen (secrets[i]) >= MIN_SECRET_LENGTH && strstr (text, secrets[i]) != NULL)
      return TRUE;
  return FALSE;
}

/**
 * cc_proxy_redact_string:
 * @text: any text
 * @secrets: (array zero-terminated=1) (nullable): values to hide
 *
 * Returns: (transfer full): @text with every occurrence of a secret
 *   replaced by "[redacted]"
 */
char *
cc_proxy_redact_string (const char         *text,
                        const char * const *secrets)
{
  GString *out;

  if (text == NULL)
    return NULL;
  if (!contains_secret (text, secrets))
    return g_strdup (text);

  out = g_string_new (text);
  for (guint i = 0; secrets[i] != NULL; i++)
    if (strlen (secrets[i]) >= MIN_SECRET_LENGTH)
      g_string_replace (out, secrets[i], CC_PROXY_REDACTED, 0);
  return g_string_free (out, FALSE);
}

/**
 * cc_proxy_redact_bytes:
 * @bytes: a body, or the first part of one
 * @secrets: (array zero-terminated=1) (nullable): values to hide
 *
 * Returns: (transfer full): @bytes itself when it holds no secret, else
 *   a copy with every occurrence replaced by "[redacted]"
 */
GBytes *
cc_proxy_redact_bytes (GBytes             *bytes,
                       const char * const *secrets)
{
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);
  g_autoptr(GString) out = NULL;

  for (guint i = 0; secrets != NULL && secrets[i] != NULL; i++)
    {
      gsize secret_len = strlen (secrets[i]);
      const char *at;

      if (secret_len < MIN_SECRET_LENGTH)
        continue;
      if (out == NULL && (data == NULL || memmem (data, len, secrets[i], secret_len) == NULL))
        continue;
      if (out == NULL)
        out = g_string_new_len (data, len);
      /* g_string_replace() stops at a NUL; bodies are not C strings. */
      for (gsize from = 0;
           (at = memmem (out->str + from, out->len - from, secrets[i], secret_len)) != NULL;
           from = (at - out->str) + strlen (CC_PROXY_REDACTED))
        {
          gsize pos = at - out->str;

          g_string_erase (out, pos, secret_len);
          g_string_insert (out, pos, CC_PROXY_REDACTED);
          at = out->str + pos;
        }
    }
  if (out == NULL)
    return g_bytes_ref (bytes);
  return g_string_free_to_bytes (g_steal_pointer (&out));
}

/* Builds a new tree: json_node_copy() shares objects and arrays, and
 * the original body is still in use (relayed, handed to the provider). */
static JsonNode *
redact_copy (JsonNode           *node,
             const char * const *secrets)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObject *object = json_node_get_object (node);
        g_autoptr(JsonObject) copy = json_object_new ();
        JsonObjectIter iter;
        const char *name;
        JsonNode *member;

        json_object_iter_init_ordered (&iter, object);
        while (json_object_iter_next_ordered (&iter, &name, &member))
          {
            g_autofree char *clean = cc_proxy_redact_string (name, secrets);

            json_object_set_member (copy, clean, redact_copy (member, secrets));
          }
        return json_node_init_object (json_node_alloc (), copy);
      }

    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        guint len = json_array_get_length (array);
        g_autoptr(JsonArray) copy = json_array_sized_new (len);

        for (guint i = 0; i < len; i++)
          json_array_add_element (copy, redact_copy (json_array_get_element (array, i), secrets));
        return json_node_init_array (json_node_alloc (), copy);
      }

    case JSON_NODE_VALUE:
      if (json_node_get_value_type (node) == G_TYPE_STRING &&
          contains_secret (json_node_get_string (node), secrets))
        {
          g_autofree char *clean = cc_proxy_redact_string (json_node_get_string (node), secrets);

          return json_node_init_string (json_node_alloc (), clean);
        }
      return json_node_copy (node);

    case JSON_NODE_NULL:
    default:
      return json_node_copy (node);
    }
}

/* Whether any string (member names included) holds a secret: most bodies
 * hold none, and then no copy is needed. */
static gboolean
json_contains_secret (JsonNode           *node,
                      const char * const *secrets)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObjectIter iter;
        const char *name;
        JsonNode *member;

        json_object_iter_init (&iter, json_node_get_object (node));
        while (json_object_iter_next (&iter, &name, &member))
          if (contains_secret (name, secrets) || json_contains_secret (member, secrets))
            return TRUE;
        return FALSE;
      }

    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);

        for (guint i = 0; i < json_array_get_length (array); i++)
          if (json_contains_secret (json_array_get_element (array, i), secrets))
            return TRUE;
        return FALSE;
      }

    case JSON_NODE_VALUE:
      return json_node_get_value_type (node) == G_TYPE_STRING && contains_secret (json_node_get_string (node), secrets);

    case JSON_NODE_NULL:
    default:
      return FALSE;
    }
}

/**
 * cc_proxy_redact_json:
 * @node: a parsed body
 * @secrets: (array zero-terminated=1) (nullable): values to hide
 *
 * Returns: (transfer full): a copy of @node with secrets replaced in
 *   every string value; @node itself when there is nothing to hide
 */
JsonNode *
cc_proxy_redact_json (JsonNode           *node,
                      const char * const *secrets)
{
  if (secrets == NULL || secrets[0] == NULL || !json_contains_secret (node, secrets))
    return json_node_ref (node);

  return redact_copy (node, secrets);
}

static const char * const hidden_headers[] = {
  "authorization", "x-api-key", "cookie", "set-cookie", "proxy-authorization",
  /* noise rather than secrets */
  "host", "content-length", "transfer-encoding",
  NULL
};

/**
 * cc_proxy_headers_safe_view:
 * @headers: request or response headers
 * @secrets: (array zero-terminated=1) (nullable): values to hide
 *
 * Returns: (transfer full): name/value pairs without credentials or noise,
 *   and with secret values replaced wherever they appear
 */
GStrv
cc_proxy_headers_safe_view (SoupMessageHeaders *headers,
                            const char * const *secrets)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  SoupMessageHeadersIter iter;
  const char *name, *value;

  soup_message_headers_iter_init (&iter, headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    {
      g_autofree char *lower = g_ascii_strdown (name, -1);
      g_autofree char *clean = NULL;

      if (g_strv_contains (hidden_headers, lower))
        continue;
      clean = cc_proxy_redact_string (value, secrets);
      g_strv_builder_add (builder, lower);
      g_strv_builder_add (builder, clean);
    }
  return g_strv_builder_end (builder);
}

/**
 * cc_proxy_headers_is_event_stream:
 * @headers: response headers
 *
 * Returns: whether the body is server-sent events
 */
gboolean
cc_proxy_headers_is_event_stream (SoupMessageHeaders *headers)
{
  const char *type = soup_message_headers_get_content_type (headers, NULL);

  return type != NULL && g_ascii_strcasecmp (type, "text/event-stream") == 0;
}
