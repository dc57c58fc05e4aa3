/* cc-proxy-event-sink.c: fans traffic events out to their listeners
 *
 * Listeners (the traffic log, later D-Bus signals and the capture log)
 * connect to ::event. Emission is synchronous and cheap; a listener that
 * does slow work must queue it, never block the relay.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "cc-proxy-event-sink.h"

struct _CcProxyEventSink
{
  GObject parent_instance;

  /* What listeners need beyond the one-line figures, so that the
   * request path builds nothing that nobody reads. */
  gsize   body_limit;      /* bytes of each body; 0 for none */
  guint   progress_holds;  /* listeners of stream progress events */
};

G_DEFINE_FINAL_TYPE (CcProxyEventSink, cc_proxy_event_sink, G_TYPE_OBJECT)

enum {
  SIGNAL_EVENT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
cc_proxy_event_sink_class_init (CcProxyEventSinkClass *klass)
{
  /**
   * CcProxyEventSink::event:
   * @sink: the sink
   * @event: a #CcProxyEvent, already redacted
   */
  signals[SIGNAL_EVENT] =
    g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, CC_PROXY_TYPE_EVENT | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
cc_proxy_event_sink_init (CcProxyEventSink *self)
{
}

CcProxyEventSink *
cc_proxy_event_sink_new (void)
{
  return g_object_new (CC_PROXY_TYPE_EVENT_SINK, NULL);
}

/* Lets the pipeline skip building events (and parsing bodies for them)
 * when nobody listens. */
gboolean
cc_proxy_event_sink_is_active (CcProxyEventSink *self)
{
  return self != NULL && g_signal_has_handler_pending (self, signals[SIGNAL_EVENT], 0, FALSE);
}

void
cc_proxy_event_sink_emit (CcProxyEventSink *self,
                          CcProxyEvent     *event)
{
  g_signal_emit (self, signals[SIGNAL_EVENT], 0, event);
}

/* The capture log keeps bodies up to @limit bytes; others need none. */
void
cc_proxy_event_sink_set_body_limit (CcProxyEventSink *self,
                                    gsize             limit)
{
  self->body_limit = limit;
}

/**
 * cc_proxy_event_sink_get_body_limit:
 *
 * Returns: how many bytes of each body the listeners want; 0 when none
 *   wants bodies (then none is kept or parsed)
 */
gsize
cc_proxy_event_sink_get_body_limit (CcProxyEventSink *self)
{
  return self != NULL ? self->body_limit : 0;
}

/* Progress events (one per SSE event, parsed) are built only between a
 * hold and its release. */
void
cc_proxy_event_sink_hold_progress (CcProxyEventSink *self)
{
  self->progress_holds++;
}

void
cc_proxy_event_sink_release_progress (CcProxyEventSink *self)
{
  g_return_if_fail (self->progress_holds > 0);
  self->progress_holds--;
}

gboolean
cc_proxy_event_sink_wants_progress (CcProxyEventSink *self)
{
  return self != NULL && self->progress_holds > 0 && cc_proxy_event_sink_is_active (self);
}
