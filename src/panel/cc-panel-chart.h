/* cc-panel-chart.h: requests and tokens per minute, for the last hour
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define CC_PANEL_TYPE_CHART (cc_panel_chart_get_type ())
G_DECLARE_FINAL_TYPE (CcPanelChart, cc_panel_chart, CC_PANEL, CHART, GtkWidget)

GtkWidget *cc_panel_chart_new          (void);
void       cc_panel_chart_add          (CcPanelChart *self,
                                        gint64        time_us,
                                        guint64       tokens);
guint64    cc_panel_chart_get_requests (CcPanelChart *self,
                                        guint         minutes);
guint64    cc_panel_chart_get_tokens   (CcPanelChart *self,
                                        guint         minutes);

G_END_DECLS
