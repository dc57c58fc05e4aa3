/* cc-panel-routes-page.h: the route table, from cc-proxyd's bus API
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <adwaita.h>

#include "cc-proxy-dbus-generated.h"

G_BEGIN_DECLS

#define CC_PANEL_TYPE_ROUTES_PAGE (cc_panel_routes_page_get_type ())
G_DECLARE_FINAL_TYPE (CcPanelRoutesPage, cc_panel_routes_page, CC_PANEL, ROUTES_PAGE, AdwPreferencesPage)

GtkWidget  *cc_panel_routes_page_new            (void);
void        cc_panel_routes_page_set_daemon     (CcPanelRoutesPage *self,
                                                 CcProxyDBusProxy1 *daemon);
void        cc_panel_routes_page_refresh        (CcPanelRoutesPage *self);
guint       cc_panel_routes_page_get_n_routes   (CcPanelRoutesPage *self);
const char *cc_panel_routes_page_get_row_text   (CcPanelRoutesPage *self,
                                                 guint              index);
const char *cc_panel_routes_page_get_error      (CcPanelRoutesPage *self);
AdwMessageDialog *cc_panel_routes_page_edit     (CcPanelRoutesPage *self,
                                                 const char        *name);
void        cc_panel_routes_page_move           (CcPanelRoutesPage *self,
                                                 const char        *name,
                                                 int                offset);
void        cc_panel_routes_page_remove         (CcPanelRoutesPage *self,
                                                 const char        *name);

G_END_DECLS
