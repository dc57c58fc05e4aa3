/* cc-proxy-hangup.h: noticing a client that left while nothing is written to it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

GSource *cc_proxy_hangup_watch (GSocket     *socket,
                                GSourceFunc  on_gone,
                                gpointer     user_data);

G_END_DECLS
