/* cc-panel-chart.c: requests and tokens per minute, for the last hour
 *
 * Sixty one-minute buckets, the newest on the right, drawn with
 * GtkSnapshot: tokens as bars in the accent colour, requests as a thin
 * mark on each. Each series is scaled to its own peak, which the
 * accessible label and the tooltip say.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "cc-panel-chart.h"

#define MINUTES 60

struct _CcPanelChart
{
  GtkWidget parent_instance;

  gint64    newest;              /* the minute of buckets[MINUTES - 1] */
  guint64   requests[MINUTES];
  guint64   tokens[MINUTES];
};

G_DEFINE_FINAL_TYPE (CcPanelChart, cc_panel_chart, GTK_TYPE_WIDGET)

/* Moves the window so that @minute is the newest bucket. */
static void
advance (CcPanelChart *self,
         gint64        minute)
{
  gint64 shift = minute - self->newest;

  if (shift <= 0)
    return;
  if (shift >= MINUTES)
    {
      memset (self->requests, 0, sizeof self->requests);
      memset (self->tokens, 0, sizeof self->tokens);
    }
  else
    {
      memmove (self->requests, self->requests + shift, (MINUTES - shift) * sizeof (guint64));
      memmove (self->tokens, self->tokens + shift, (MINUTES - shift) * sizeof (guint64));
      memset (self->requests + MINUTES - shift, 0, shift * sizeof (guint64));
      memset (self->tokens + MINUTES - shift, 0, shift * sizeof (guint64));
    }
  self->newest = minute;
}

static guint64
peak (const guint64 *values)
{
  guint64 top = 0;

  for (guint i = 0; i < MINUTES; i++)
    top = MAX (top, values[i]);
  return top;
}

static void
cc_panel_chart_snapshot (GtkWidget   *widget,
                         GtkSnapshot *snapshot)
{
  CcPanelChart *self = CC_PANEL_CHART (widget);
  float width = gtk_widget_get_width (widget);
  float height = gtk_widget_get_height (widget);
  float slot = width / MINUTES;
  guint64 top_tokens, top_requests;
  GdkRGBA accent, mark, base;

  advance (self, g_get_real_time () / (60 * G_USEC_PER_SEC));
  top_tokens = MAX (peak (self->tokens), 1);
  top_requests = MAX (peak (self->requests), 1);
  gdk_rgba_parse (&accent, "#3584e4");
  gdk_rgba_parse (&mark, "#e66100");
  /* A neutral rule, visible on light and dark styles alike. */
  gdk_rgba_parse (&base, "rgba(128,128,128,0.4)");

  gtk_snapshot_append_color (snapshot, &base, &GRAPHENE_RECT_INIT (0, height - 1, width, 1));
  for (guint i = 0; i < MINUTES; i++)
    {
      float x = i * slot;
      float bar = height * self->tokens[i] / top_tokens;
      float level = height * self->requests[i] / top_requests;

      if (self->tokens[i] > 0)
        gtk_snapshot_append_color (snapshot, &accent,
                                   &GRAPHENE_RECT_INIT (x + 1, height - bar, MAX (slot - 2, 1), bar));
      if (self->requests[i] > 0)
        gtk_snapshot_append_color (snapshot, &mark,
                                   &GRAPHENE_RECT_INIT (x, height - level, MAX (slot, 1), 2));
    }
}

static void
cc_panel_chart_measure (GtkWidget      *widget,
                        GtkOrientation  orientation,
                        int             for_size,
                        int            *minimum,
                        int            *natural,
                        int            *minimum_baseline,
                        int            *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? MINUTES : 48;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? MINUTES * 8 : 96;
}

static void
cc_panel_chart_class_init (CcPanelChartClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  widget_class->snapshot = cc_panel_chart_snapshot;
  widget_class->measure = cc_panel_chart_measure;
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
cc_panel_chart_init (CcPanelChart *self)
{
  self->newest = g_get_real_time () / (60 * G_USEC_PER_SEC);
}

GtkWidget *
cc_panel_chart_new (void)
{
  return g_object_new (CC_PANEL_TYPE_CHART, NULL);
}

/**
 * cc_panel_chart_add:
 * @time_us: when the request finished (g_get_real_time())
 * @tokens: its input and output tokens
 *
 * Counts one request.
 */
void
cc_panel_chart_add (CcPanelChart *self,
                    gint64        time_us,
                    guint64       tokens)
{
  gint64 minute = time_us / (60 * G_USEC_PER_SEC);
  g_autofree char *summary = NULL;
  gint64 index;

  advance (self, minute);
  index = MINUTES - 1 - (self->newest - minute);
  if (index < 0)
    return;
  self->requests[index]++;
  self->tokens[index] += tokens;

  summary = g_strdup_printf (_("Last hour: %" G_GUINT64_FORMAT " requests, %" G_GUINT64_FORMAT " tokens; "
                               "at most %" G_GUINT64_FORMAT " requests and %" G_GUINT64_FORMAT " tokens in a minute"),
                             cc_panel_chart_get_requests (self, MINUTES), cc_panel_chart_get_tokens (self, MINUTES),
                             peak (self->requests), peak (self->tokens));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), summary);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, summary, -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static guint64
sum (const guint64 *values,
     guint          minutes)
{
  guint64 total = 0;

  for (guint i = MINUTES - MIN (minutes, MINUTES); i < MINUTES; i++)
    total += values[i];
  return total;
}

/**
 * cc_panel_chart_get_requests:
 * @minutes: how far back, up to 60
 *
 * Returns: the requests counted in the last @minutes
 */
guint64
cc_panel_chart_get_requests (CcPanelChart *self,
                             guint         minutes)
{
  advance (self, g_get_real_time () / (60 * G_USEC_PER_SEC));
  return sum (self->requests, minutes);
}

/**
 * cc_panel_chart_get_tokens:
 * @minutes: how far back, up to 60
 *
 * Returns: the tokens counted in the last @minutes
 */
guint64
cc_panel_chart_get_tokens (CcPanelChart *self,
                           guint         minutes)
{
  advance (self, g_get_real_time () / (60 * G_USEC_PER_SEC));
  return sum (self->tokens, minutes);
}
