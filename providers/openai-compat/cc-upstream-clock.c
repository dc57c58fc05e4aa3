/* cc-upstream-clock.c: the main loop's clock
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "cc-upstream-clock.h"

static gint64
real_now (gpointer data)
{
  return g_get_real_time ();
}

static guint
real_add_timeout (guint       ms,
                  GSourceFunc func,
                  gpointer    func_data,
                  gpointer    data)
{
  return g_timeout_add (ms, func, func_data);
}

static void
real_remove (guint    id,
             gpointer data)
{
  g_source_remove (id);
}

const CcUpstreamClock *
cc_upstream_clock_get_default (void)
{
  static const CcUpstreamClock clock = { real_now, real_add_timeout, real_remove, NULL };

  return &clock;
}
