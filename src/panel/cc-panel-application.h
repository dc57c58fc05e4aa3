/* cc-panel-application.h: cc-proxy-panel, the application
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define CC_PANEL_TYPE_APPLICATION (cc_panel_application_get_type ())
G_DECLARE_FINAL_TYPE (CcPanelApplication, cc_panel_application, CC_PANEL, APPLICATION, AdwApplication)

CcPanelApplication *cc_panel_application_new (void);

G_END_DECLS
