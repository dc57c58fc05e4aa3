/* cc-proxy-body-scan.h: what the core needs from a request body, without parsing it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *cc_proxy_body_scan_string (const char *data,
                                 gsize       len,
                                 const char *member);

G_END_DECLS
