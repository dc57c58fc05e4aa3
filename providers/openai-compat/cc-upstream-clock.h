/* cc-upstream-clock.h: time, as the upstream providers see it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * CcUpstreamClock:
 * @now: wall-clock time in microseconds
 * @add_timeout: calls @func once after @ms milliseconds; returns an id
 * @remove: cancels a timeout by id
 * @data: for the functions
 *
 * Time as a provider sees it: the main loop in the service, a clock
 * the test moves by hand in the tests.
 */
typedef struct
{
  gint64 (*now)         (gpointer     data);
  guint  (*add_timeout) (guint        ms,
                         GSourceFunc  func,
                         gpointer     func_data,
                         gpointer     data);
  void   (*remove)      (guint        id,
                         gpointer     data);
  gpointer data;
} CcUpstreamClock;

const CcUpstreamClock *cc_upstream_clock_get_default (void);

G_END_DECLS
