/* cc-panel-window.h: cc-proxy-panel's window
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <adwaita.h>

#include "cc-panel-chart.h"
#include "cc-panel-provider-group.h"
#include "cc-panel-routes-page.h"

G_BEGIN_DECLS

#define CC_PANEL_TYPE_WINDOW (cc_panel_window_get_type ())
G_DECLARE_FINAL_TYPE (CcPanelWindow, cc_panel_window, CC_PANEL, WINDOW, AdwApplicationWindow)

GtkWidget            *cc_panel_window_new                (AdwApplication  *application,
                                                          GDBusConnection *bus);
gboolean              cc_panel_window_is_connected       (CcPanelWindow   *self);
CcPanelProviderGroup *cc_panel_window_get_provider_group (CcPanelWindow   *self,
                                                          const char      *id);
GListModel           *cc_panel_window_get_traffic        (CcPanelWindow   *self);
CcPanelRoutesPage    *cc_panel_window_get_routes_page    (CcPanelWindow   *self);
AdwViewSwitcherBar   *cc_panel_window_get_switcher_bar   (CcPanelWindow   *self);
CcPanelChart         *cc_panel_window_get_chart          (CcPanelWindow   *self);
gboolean              cc_panel_window_get_watching       (CcPanelWindow   *self);
const char           *cc_panel_window_get_counters       (CcPanelWindow   *self);
guint                 cc_panel_window_get_n_load_errors  (CcPanelWindow   *self);
void                  cc_panel_window_show_page          (CcPanelWindow   *self,
                                                          const char      *name);
const char           *cc_panel_window_get_page           (CcPanelWindow   *self);
void                  cc_panel_window_show_provider      (CcPanelWindow   *self,
                                                          const char      *id);
void                  cc_panel_window_sign_in            (CcPanelWindow   *self,
                                                          const char      *id);
const char           *cc_panel_window_get_attention      (CcPanelWindow   *self);
const char           *cc_panel_window_get_last_toast     (CcPanelWindow   *self);
void                  cc_panel_window_copy_environment   (CcPanelWindow   *self);
guint                 cc_panel_window_get_budget_question (CcPanelWindow  *self);
void                  cc_panel_window_answer_budget      (CcPanelWindow   *self,
                                                          const char      *answer);
const char           *cc_panel_window_get_service_row    (CcPanelWindow   *self,
                                                          const char      *which);
void                  cc_panel_window_add_instance       (CcPanelWindow   *self,
                                                          const char      *kind,
                                                          const char      *name);
void                  cc_panel_window_remove_instance    (CcPanelWindow   *self,
                                                          const char      *name);
GtkWidget            *cc_panel_window_get_banner_button  (CcPanelWindow   *self);

G_END_DECLS
