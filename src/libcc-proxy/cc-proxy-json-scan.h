/* cc-proxy-json-scan.h: the strict grammar of JSON, checked on bytes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-proxy.h"

G_BEGIN_DECLS

/* The first byte at or after @p that is not JSON whitespace. */
static inline const char *
cc_proxy_json_skip_space (const char *p,
                          const char *end)
{
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
    p++;
  return p;
}

gboolean cc_proxy_json_scan (const char *data,
                             gsize       len,
                             guint       max_depth,
                             gsize      *error_offset,
                             gboolean   *too_deep);

G_END_DECLS
