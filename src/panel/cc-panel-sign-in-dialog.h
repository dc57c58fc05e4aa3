/* cc-panel-sign-in-dialog.h: a provider's login flow, shown
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <adwaita.h>

#include "cc-proxy-dbus-generated.h"

G_BEGIN_DECLS

#define CC_PANEL_TYPE_SIGN_IN_DIALOG (cc_panel_sign_in_dialog_get_type ())
G_DECLARE_FINAL_TYPE (CcPanelSignInDialog, cc_panel_sign_in_dialog, CC_PANEL, SIGN_IN_DIALOG, AdwMessageDialog)

GtkWidget  *cc_panel_sign_in_dialog_new      (GtkWindow                 *parent,
                                              const char                *provider_name,
                                              CcProxyDBusProxy1AuthFlow *flow);
const char *cc_panel_sign_in_dialog_get_code (CcPanelSignInDialog       *self);

G_END_DECLS
