/* cc-test-desktop.h: a stand-in desktop on a test bus
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* What the desktop was asked: notifications shown, as
 * "summary|body|action,action,…", and the last address opened. */
typedef struct
{
  GDBusConnection *connection;
  GPtrArray       *shown;
  guint32          last_id;
  char            *opened;
  guint            registrations[2];
  guint            owners[2];
} CcTestDesktop;

CcTestDesktop *cc_test_desktop_start      (GDBusConnection *connection);
void           cc_test_desktop_stop       (CcTestDesktop   *desktop);
void           cc_test_desktop_wait_shown (CcTestDesktop   *desktop,
                                           guint            n);
void           cc_test_desktop_press      (CcTestDesktop   *desktop,
                                           const char      *action);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CcTestDesktop, cc_test_desktop_stop)

G_END_DECLS
