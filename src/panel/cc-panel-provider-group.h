/* cc-panel-provider-group.h: one provider's settings, as rows
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <adwaita.h>

#include "cc-panel-sign-in-dialog.h"
#include "cc-proxy-dbus-generated.h"

G_BEGIN_DECLS

#define CC_PANEL_TYPE_PROVIDER_GROUP (cc_panel_provider_group_get_type ())
G_DECLARE_FINAL_TYPE (CcPanelProviderGroup, cc_panel_provider_group, CC_PANEL, PROVIDER_GROUP, AdwPreferencesGroup)

GtkWidget                 *cc_panel_provider_group_new          (CcProxyDBusProxy1Provider *provider);
CcProxyDBusProxy1Provider *cc_panel_provider_group_get_provider (CcPanelProviderGroup      *self);
GtkWidget                 *cc_panel_provider_group_get_row      (CcPanelProviderGroup      *self,
                                                                 const char                *key);
const char                *cc_panel_provider_group_get_error    (CcPanelProviderGroup      *self,
                                                                 const char                *key);

void                       cc_panel_provider_group_sign_in      (CcPanelProviderGroup      *self);
void                       cc_panel_provider_group_sign_out     (CcPanelProviderGroup      *self);
gboolean                   cc_panel_provider_group_is_signed_in (CcPanelProviderGroup      *self);
CcPanelSignInDialog       *cc_panel_provider_group_get_sign_in_dialog (CcPanelProviderGroup *self);
const char                *cc_panel_provider_group_get_last_sign_in (CcPanelProviderGroup *self);

G_END_DECLS
