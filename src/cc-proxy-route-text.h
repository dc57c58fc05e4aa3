/* cc-proxy-route-text.h: a route's match in words, for the bus's clients
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *cc_proxy_route_match_text (GVariant *match);

G_END_DECLS
