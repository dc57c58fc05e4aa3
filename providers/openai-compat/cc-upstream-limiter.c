/* cc-upstream-limiter.c: at most one upstream call per interval
 *
 * Too soon, a request is either refused (the caller answers 429 with
 * retry-after) or queued. Waiters leave in arrival order, one per
 * interval, each on a main-loop timeout: no thread ever sleeps.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "cc-upstream-limiter.h"

struct _CcUpstreamLimiter
{
  char                  *provider_id;
  const CcUpstreamClock *clock;
  gint64                 last_start;   /* µs; 0: never */
  guint                  interval;     /* of the waiters, seconds */
  GQueue                 waiters;      /* Waiter */
  guint                  timer;
};

typedef struct
{
  GTask        *task;
  GCancellable *cancellable;
  gulong        cancelled_id;
} Waiter;

/**
 * cc_upstream_limiter_new:
 * @provider_id: whose settings rate-limit-seconds and rate-limit-wait
 *   are, for the refusal's message
 * @clock: time, the main loop's or a test's
 */
CcUpstreamLimiter *
cc_upstream_limiter_new (const char            *provider_id,
                         const CcUpstreamClock *clock)
{
  CcUpstreamLimiter *self = g_new0 (CcUpstreamLimiter, 1);

  self->provider_id = g_strdup (provider_id);
  self->clock = clock;
  g_queue_init (&self->waiters);
  return self;
}

/* Hands the task its answer; never called from the cancelled handler,
 * where disconnecting would deadlock. */
static void
waiter_finish (Waiter *waiter,
               GError *error)
{
  if (waiter->cancelled_id != 0)
    g_cancellable_disconnect (waiter->cancellable, waiter->cancelled_id);
  if (error != NULL)
    g_task_return_error (waiter->task, error);
  else
    g_task_return_boolean (waiter->task, TRUE);
  g_object_unref (waiter->task);
  g_free (waiter);
}

void
cc_upstream_limiter_free (CcUpstreamLimiter *self)
{
  Waiter *waiter;

  if (self == NULL)
    return;
  if (self->timer != 0)
    self->clock->remove (self->timer, self->clock->data);
  while ((waiter = g_queue_pop_head (&self->waiters)) != NULL)
    waiter_finish (waiter, g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The provider is going away")));
  g_free (self->provider_id);
  g_free (self);
}

static void schedule (CcUpstreamLimiter *self);

static gboolean
on_turn (gpointer user_data)
{
  CcUpstreamLimiter *self = user_data;
  Waiter *waiter;

  self->timer = 0;
  waiter = g_queue_pop_head (&self->waiters);
  if (waiter != NULL)
    {
      self->last_start = self->clock->now (self->clock->data);
      waiter_finish (waiter, NULL);
    }
  schedule (self);
  return G_SOURCE_REMOVE;
}

static void
schedule (CcUpstreamLimiter *self)
{
  gint64 due, now;

  if (self->timer != 0 || self->waiters.length == 0)
    return;
  now = self->clock->now (self->clock->data);
  due = self->last_start + (gint64) self->interval * G_USEC_PER_SEC;
  self->timer = self->clock->add_timeout (due > now ? (guint) ((due - now + 999) / 1000) : 0,
                                          on_turn, self, self->clock->data);
}

static gboolean
finish_cancelled (gpointer user_data)
{
  waiter_finish (user_data, g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The request was cancelled while it waited")));
  return G_SOURCE_REMOVE;
}

typedef struct
{
  CcUpstreamLimiter *self;
  Waiter           *waiter;
} Cancel;

/* A waiter that gave up leaves the queue at once: the ones behind it
 * move up. */
static void
on_cancelled (GCancellable *cancellable,
              gpointer      user_data)
{
  Cancel *cancel = user_data;

  if (g_queue_remove (&cancel->self->waiters, cancel->waiter))
    g_idle_add (finish_cancelled, cancel->waiter);
}

/**
 * cc_upstream_limiter_acquire_async:
 * @interval_seconds: the minimum time between two starts; 0 is no limit
 * @wait: queue when too soon, rather than refuse
 *
 * Completes when the caller may start its upstream call.
 */
void
cc_upstream_limiter_acquire_async (CcUpstreamLimiter    *self,
                                  guint                interval_seconds,
                                  gboolean             wait,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  gint64 now = self->clock->now (self->clock->data);
  gint64 due = self->last_start + (gint64) interval_seconds * G_USEC_PER_SEC;
  Waiter *waiter;

  g_task_set_source_tag (task, cc_upstream_limiter_acquire_async);
  /* Off: nothing is counted, so turning it on starts afresh. */
  if (interval_seconds == 0)
    {
      self->last_start = 0;
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (self->waiters.length == 0 && (self->last_start == 0 || now >= due))
    {
      self->last_start = now;
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (!wait)
    {
      gint64 remaining = MAX (due - now, 0);
      /* Queued requests go first: they count in. */
      guint seconds = MAX (1, (guint) ((remaining + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC)) +
                      self->waiters.length * interval_seconds;

      g_task_set_task_data (task, GUINT_TO_POINTER (seconds), NULL);
      g_task_return_new_error (task, CC_UPSTREAM_ERROR, CC_UPSTREAM_ERROR_RATE_LIMITED,
                               g_dngettext (GETTEXT_PACKAGE,
                                            "Rate limit: the next request may start in %u second. "
                                            "Set the %s provider's rate-limit-wait to make requests wait instead.",
                                            "Rate limit: the next request may start in %u seconds. "
                                            "Set the %s provider's rate-limit-wait to make requests wait instead.",
                                            seconds),
                               seconds, self->provider_id);
      return;
    }

  if (g_task_return_error_if_cancelled (task))
    return;
  self->interval = interval_seconds;
  waiter = g_new0 (Waiter, 1);
  waiter->task = g_steal_pointer (&task);
  if (cancellable != NULL)
    {
      Cancel *cancel = g_new0 (Cancel, 1);

      cancel->self = self;
      cancel->waiter = waiter;
      waiter->cancellable = cancellable;
      waiter->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), cancel, g_free);
    }
  g_queue_push_tail (&self->waiters, waiter);
  schedule (self);
}

/**
 * cc_upstream_limiter_acquire_finish:
 * @retry_after: (out) (optional): when refused, the seconds to wait
 *
 * Returns: %TRUE when the call may start; %FALSE with
 *   %CC_UPSTREAM_ERROR_RATE_LIMITED when it was refused
 */
gboolean
cc_upstream_limiter_acquire_finish (CcUpstreamLimiter  *self,
                                   GAsyncResult      *result,
                                   guint             *retry_after,
                                   GError           **error)
{
  if (retry_after != NULL)
    *retry_after = GPOINTER_TO_UINT (g_task_get_task_data (G_TASK (result)));
  return g_task_propagate_boolean (G_TASK (result), error);
}

guint
cc_upstream_limiter_get_n_waiting (CcUpstreamLimiter *self)
{
  return self->waiters.length;
}

/**
 * cc_upstream_limiter_seconds_setting:
 * @help: what it limits, for people (whose requests)
 * @env: (nullable) (array zero-terminated=1): its environment overrides
 *
 * Returns: (transfer full): the rate-limit-seconds setting, for a
 *   provider's descriptor
 */
CcProxySettingDescriptor *
cc_upstream_limiter_seconds_setting (const char         *help,
                                     const char * const *env)
{
  return cc_proxy_setting_descriptor_new_int (CC_UPSTREAM_RATE_LIMIT_SECONDS, _("Seconds between requests"), help,
                                              0, 0, 86400, _("seconds"), env);
}

/**
 * cc_upstream_limiter_wait_setting:
 * @env: (nullable) (array zero-terminated=1): its environment overrides
 *
 * Returns: (transfer full): the rate-limit-wait setting, for a
 *   provider's descriptor
 */
CcProxySettingDescriptor *
cc_upstream_limiter_wait_setting (const char * const *env)
{
  return cc_proxy_setting_descriptor_new (CC_UPSTREAM_RATE_LIMIT_WAIT, _("Wait instead of refusing"),
                                          _("Requests that come too soon wait their turn instead of getting 429."),
                                          CC_PROXY_SETTING_KIND_BOOL, "false", NULL, FALSE, env);
}
