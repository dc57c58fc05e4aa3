/* cc-proxy-json.h: reading JSON that comes from the network, and writing it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(CC_PROXY_INSIDE) && !defined(CC_PROXY_COMPILATION)
#error "Only <cc-proxy/cc-proxy.h> can be included directly."
#endif

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * CC_PROXY_JSON_MAX_DEPTH:
 *
 * How deeply arrays and objects may nest in JSON that cc-proxy parses.
 * json-glib recurses once per level, so a body nested a few hundred
 * thousand levels deep would overflow the stack; real API bodies stay
 * below 20.
 */
#define CC_PROXY_JSON_MAX_DEPTH 128

#define CC_PROXY_JSON_ERROR (cc_proxy_json_error_quark ())

/**
 * CcProxyJsonError:
 * @CC_PROXY_JSON_ERROR_TOO_DEEP: arrays and objects nest deeper than
 *   %CC_PROXY_JSON_MAX_DEPTH
 * @CC_PROXY_JSON_ERROR_INVALID: the text is not JSON
 *
 * Errors of the %CC_PROXY_JSON_ERROR domain, from cc_proxy_json_parse().
 */
typedef enum {
  CC_PROXY_JSON_ERROR_TOO_DEEP,
  CC_PROXY_JSON_ERROR_INVALID,
} CcProxyJsonError;

CC_PROXY_EXPORT
GQuark      cc_proxy_json_error_quark (void);
CC_PROXY_EXPORT
gboolean    cc_proxy_json_check_depth (const char *data,
                                       gsize       len,
                                       guint       max_depth);
CC_PROXY_EXPORT
gboolean    cc_proxy_json_validate    (const char *data,
                                       gsize       len,
                                       guint       max_depth,
                                       GError    **error);
CC_PROXY_EXPORT
JsonNode   *cc_proxy_json_parse       (const char *data,
                                       gssize      len,
                                       GError    **error);
CC_PROXY_EXPORT
void        cc_proxy_json_append      (GString    *out,
                                       JsonNode   *node);
CC_PROXY_EXPORT
char       *cc_proxy_json_to_string   (JsonNode   *node);

/* json-glib's *_with_default() accessors warn when a member has another
 * type than asked for; a client or upstream must not be able to cause
 * that. These return the default instead, and take a NULL object. */
CC_PROXY_EXPORT
const char *cc_proxy_json_get_string (JsonObject *object,
                                      const char *name);
CC_PROXY_EXPORT
gint64      cc_proxy_json_get_int    (JsonObject *object,
                                      const char *name,
                                      gint64      default_value);
CC_PROXY_EXPORT
gboolean    cc_proxy_json_get_bool   (JsonObject *object,
                                      const char *name,
                                      gboolean    default_value);
CC_PROXY_EXPORT
JsonObject *cc_proxy_json_get_object (JsonObject *object,
                                      const char *name);
CC_PROXY_EXPORT
JsonArray  *cc_proxy_json_get_array  (JsonObject *object,
                                      const char *name);
CC_PROXY_EXPORT
JsonObject *cc_proxy_json_array_get_object (JsonArray *array,
                                            guint      index);
CC_PROXY_EXPORT
JsonNode   *cc_proxy_json_node_new_object  (JsonObject *object);

G_END_DECLS
