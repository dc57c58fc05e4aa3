/* cc-proxy-body-scan.h: what the core needs from a body, without parsing it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-proxy-event.h"

G_BEGIN_DECLS

/* The top-level members that tell which API a body speaks. */
typedef struct
{
  gboolean  has_messages;
  gboolean  has_system;
  gboolean  has_max_tokens;
  char     *type;              /* the "type" member, when a string */
} CcProxyBodyMembers;

CcProxyBodyShape cc_proxy_body_shape_from_members (const CcProxyBodyMembers *members);

const char      *cc_proxy_body_scan_string_end (const char *p,
                                                const char *end);
char            *cc_proxy_body_scan_string  (const char *data,
                                             gsize       len,
                                             const char *member);
const char      *cc_proxy_body_scan_value   (const char *data,
                                             gsize       len,
                                             const char *member);
void             cc_proxy_body_scan_values  (const char         *data,
                                             gsize               len,
                                             const char * const *members,
                                             const char        **values);
char            *cc_proxy_body_scan_string_at (const char *value,
                                               const char *end);
GBytes          *cc_proxy_body_replace_string (GBytes     *body,
                                               const char *member,
                                               const char *value);
gint64           cc_proxy_body_scan_int     (const char *data,
                                             gsize       len,
                                             const char *member,
                                             gint64      default_value);
CcProxyBodyShape cc_proxy_body_scan_shape   (const char *data,
                                             gsize       len);

G_END_DECLS
