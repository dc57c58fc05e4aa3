/* cc-proxy-session-ledger.c: what each Claude Code session, and each day, cost
 *
 * Claude Code sends X-Claude-Code-Session-Id with every request. From
 * the traffic events, this keeps per session (the last 100) and for
 * today: requests, by class, premium requests (what the provider says
 * each cost: CC_PROXY_PREMIUM_REQUESTS_HEADER), tokens in, out and read from cache, the
 * provider/model pairs that answered, errors and the last one. It
 * listens only while someone can ask (the bus is there), so that a
 * daemon without a bus does not build events for it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "cc-proxy-event.h"
#include "cc-proxy-session-ledger.h"

#define MAX_SESSIONS 100
#define MAX_PENDING  4096
#define MAX_ANSWERED 16

static const char * const classes[] = { "user", "agent", "subagent", "background", "compact", NULL };

typedef struct
{
  char      *id;          /* NULL for a day */
  guint64    requests;
  gdouble    premium;
  guint64    errors;
  guint64    input;
  guint64    output;
  guint64    cache_read;
  guint64    by_class[G_N_ELEMENTS (classes) - 1];
  GPtrArray *answered;    /* "provider/model" */
  char      *last_error;
  gint64     started;     /* unix seconds */
  gint64     last;
} Tally;

/* What the request's first event told, until its last. */
typedef struct
{
  char       *session;
  const char *request_class;
  char       *model;
  gdouble     premium;     /* what the provider said the request costs */
} Pending;

struct _CcProxySessionLedger
{
  GObject           parent_instance;

  CcProxyEventSink *sink;
  gulong            event_id;
  GHashTable       *pending;     /* request id → Pending */
  GHashTable       *sessions;    /* id → Tally */
  GQueue            order;       /* session ids, oldest first (the table's keys) */
  Tally            *today;
  char             *today_date;  /* YYYY-MM-DD, local */
};

G_DEFINE_FINAL_TYPE (CcProxySessionLedger, cc_proxy_session_ledger, G_TYPE_OBJECT)

static Tally *
tally_new (const char *id)
{
  Tally *tally = g_new0 (Tally, 1);

  tally->id = g_strdup (id);
  tally->answered = g_ptr_array_new_with_free_func (g_free);
  tally->started = g_get_real_time () / G_USEC_PER_SEC;
  return tally;
}

static void
tally_free (gpointer data)
{
  Tally *tally = data;

  g_free (tally->id);
  g_ptr_array_unref (tally->answered);
  g_free (tally->last_error);
  g_free (tally);
}

static void
pending_free (gpointer data)
{
  Pending *pending = data;

  g_free (pending->session);
  g_free (pending->model);
  g_free (pending);
}

static guint64
usage_count (JsonNode   *usage,
             const char *member)
{
  JsonObject *object = usage != NULL && JSON_NODE_HOLDS_OBJECT (usage) ? json_node_get_object (usage) : NULL;

  return object != NULL ? (guint64) MAX (cc_proxy_json_get_int (object, member, 0), 0) : 0;
}

static void
tally_add (Tally              *tally,
           Pending            *pending,
           const CcProxyEvent *event)
{
  gboolean failed = event->kind != CC_PROXY_EVENT_RESPONSE_DONE || event->status >= 400;
  g_autofree char *answered = g_strdup_printf ("%s/%s", event->provider_id ? event->provider_id : "-",
                                               pending->model ? pending->model : "-");

  tally->requests++;
  tally->last = g_get_real_time () / G_USEC_PER_SEC;
  for (guint i = 0; classes[i] != NULL; i++)
    if (g_strcmp0 (pending->request_class, classes[i]) == 0)
      tally->by_class[i]++;
  /* What the provider said it costs (copilot: the model's multiplier,
   * for the turns it bills as the user's). */
  if (!failed)
    tally->premium += pending->premium;
  tally->input += usage_count (event->usage, "input_tokens");
  tally->output += usage_count (event->usage, "output_tokens");
  tally->cache_read += usage_count (event->usage, "cache_read_input_tokens");
  if (failed)
    {
      tally->errors++;
      g_free (tally->last_error);
      tally->last_error = g_strdup (event->message ? event->message : "");
    }
  else
    g_clear_pointer (&tally->last_error, g_free);
  if (!failed && tally->answered->len < MAX_ANSWERED &&
      !g_ptr_array_find_with_equal_func (tally->answered, answered, g_str_equal, NULL))
    g_ptr_array_add (tally->answered, g_steal_pointer (&answered));
}

/* Today's tally, a new one when the day changed. */
static Tally *
today (CcProxySessionLedger *self)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *date = g_date_time_format (now, "%Y-%m-%d");

  if (self->today == NULL || g_strcmp0 (date, self->today_date) != 0)
    {
      g_clear_pointer (&self->today, tally_free);
      self->today = tally_new (NULL);
      g_free (self->today_date);
      self->today_date = g_steal_pointer (&date);
    }
  return self->today;
}

static Tally *
session (CcProxySessionLedger *self,
         const char           *id)
{
  Tally *tally = g_hash_table_lookup (self->sessions, id);

  if (tally != NULL)
    return tally;
  if (g_queue_get_length (&self->order) >= MAX_SESSIONS)
    g_hash_table_remove (self->sessions, g_queue_pop_head (&self->order));
  tally = tally_new (id);
  g_hash_table_insert (self->sessions, tally->id, tally);
  g_queue_push_tail (&self->order, tally->id);
  return tally;
}

static void
on_event (CcProxyEventSink     *sink,
          CcProxyEvent         *event,
          CcProxySessionLedger *self)
{
  Pending *pending;

  switch (event->kind)
    {
    case CC_PROXY_EVENT_REQUEST_HEADERS:
      /* Messages requests only: they have a class. */
      if (event->request_class == NULL || g_hash_table_size (self->pending) >= MAX_PENDING)
        return;
      pending = g_new0 (Pending, 1);
      pending->session = g_strdup (event->session_id);
      pending->request_class = event->request_class;
      pending->model = g_strdup (event->model);
      g_hash_table_replace (self->pending, g_strdup (event->request_id), pending);
      return;

    case CC_PROXY_EVENT_RESPONSE_HEADERS:
      pending = g_hash_table_lookup (self->pending, event->request_id);
      for (guint i = 0; pending != NULL && event->headers != NULL && event->headers[i] != NULL &&
                        event->headers[i + 1] != NULL; i += 2)
        if (g_str_equal (event->headers[i], CC_PROXY_PREMIUM_REQUESTS_HEADER))
          pending->premium = CLAMP (g_ascii_strtod (event->headers[i + 1], NULL), 0.0, 1000.0);
      return;

    case CC_PROXY_EVENT_RESPONSE_DONE:
    case CC_PROXY_EVENT_ERROR:
    case CC_PROXY_EVENT_PROXY_ERROR:
      pending = g_hash_table_lookup (self->pending, event->request_id);
      if (pending == NULL)
        return;
      tally_add (today (self), pending, event);
      if (pending->session != NULL && pending->session[0] != '\0')
        tally_add (session (self, pending->session), pending, event);
      g_hash_table_remove (self->pending, event->request_id);
      return;

    default:
      return;
    }
}

static GVariant *
tally_to_variant (const Tally *tally)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  g_auto(GVariantBuilder) by_class = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a{st}"));
  g_auto(GVariantBuilder) answered = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_STRING_ARRAY);

  for (guint i = 0; classes[i] != NULL; i++)
    g_variant_builder_add (&by_class, "{st}", classes[i], tally ? tally->by_class[i] : 0);
  for (guint i = 0; tally != NULL && i < tally->answered->len; i++)
    g_variant_builder_add (&answered, "s", g_ptr_array_index (tally->answered, i));
  if (tally != NULL && tally->id != NULL)
    g_variant_builder_add (&builder, "{sv}", "id", g_variant_new_string (tally->id));
  g_variant_builder_add (&builder, "{sv}", "requests", g_variant_new_uint64 (tally ? tally->requests : 0));
  g_variant_builder_add (&builder, "{sv}", "premium-requests", g_variant_new_double (tally ? tally->premium : 0));
  g_variant_builder_add (&builder, "{sv}", "errors", g_variant_new_uint64 (tally ? tally->errors : 0));
  g_variant_builder_add (&builder, "{sv}", "input-tokens", g_variant_new_uint64 (tally ? tally->input : 0));
  g_variant_builder_add (&builder, "{sv}", "output-tokens", g_variant_new_uint64 (tally ? tally->output : 0));
  g_variant_builder_add (&builder, "{sv}", "cache-read-tokens", g_variant_new_uint64 (tally ? tally->cache_read : 0));
  g_variant_builder_add (&builder, "{sv}", "classes", g_variant_builder_end (&by_class));
  g_variant_builder_add (&builder, "{sv}", "answered", g_variant_builder_end (&answered));
  g_variant_builder_add (&builder, "{sv}", "last-error",
                         g_variant_new_string (tally && tally->last_error ? tally->last_error : ""));
  if (tally != NULL)
    {
      g_variant_builder_add (&builder, "{sv}", "started", g_variant_new_int64 (tally->started));
      g_variant_builder_add (&builder, "{sv}", "last", g_variant_new_int64 (tally->last));
    }
  return g_variant_builder_end (&builder);
}

/**
 * cc_proxy_session_ledger_dup_session:
 *
 * Returns: (transfer full): the session's figures (a{sv}; all zero for
 *   a session not seen, or forgotten)
 */
GVariant *
cc_proxy_session_ledger_dup_session (CcProxySessionLedger *self,
                                     const char           *session_id)
{
  return g_variant_ref_sink (tally_to_variant (g_hash_table_lookup (self->sessions, session_id)));
}

/* Today's figures, all sessions and none. */
GVariant *
cc_proxy_session_ledger_dup_today (CcProxySessionLedger *self)
{
  return g_variant_ref_sink (tally_to_variant (today (self)));
}

/* The sessions remembered, the latest first: aa{sv}. */
GVariant *
cc_proxy_session_ledger_dup_recent (CcProxySessionLedger *self)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("aa{sv}"));

  for (GList *l = self->order.tail; l != NULL; l = l->prev)
    g_variant_builder_add_value (&builder, tally_to_variant (g_hash_table_lookup (self->sessions, l->data)));
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

/**
 * cc_proxy_session_ledger_get_premium:
 * @session_id: (nullable): a Claude Code session
 *
 * The premium requests @session_id and today have used so far.
 */
void
cc_proxy_session_ledger_get_premium (CcProxySessionLedger *self,
                                     const char           *session_id,
                                     gdouble              *session_premium,
                                     gdouble              *today_premium)
{
  Tally *tally = session_id ? g_hash_table_lookup (self->sessions, session_id) : NULL;

  *session_premium = tally ? tally->premium : 0;
  *today_premium = today (self)->premium;
}

static void
cc_proxy_session_ledger_dispose (GObject *object)
{
  CcProxySessionLedger *self = (CcProxySessionLedger *) object;

  g_clear_signal_handler (&self->event_id, self->sink);
  g_clear_object (&self->sink);
  G_OBJECT_CLASS (cc_proxy_session_ledger_parent_class)->dispose (object);
}

static void
cc_proxy_session_ledger_finalize (GObject *object)
{
  CcProxySessionLedger *self = (CcProxySessionLedger *) object;

  g_hash_table_unref (self->pending);
  g_queue_clear (&self->order);
  g_hash_table_unref (self->sessions);
  g_clear_pointer (&self->today, tally_free);
  g_free (self->today_date);
  G_OBJECT_CLASS (cc_proxy_session_ledger_parent_class)->finalize (object);
}

static void
cc_proxy_session_ledger_class_init (CcProxySessionLedgerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = cc_proxy_session_ledger_dispose;
  G_OBJECT_CLASS (klass)->finalize = cc_proxy_session_ledger_finalize;
}

static void
cc_proxy_session_ledger_init (CcProxySessionLedger *self)
{
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, pending_free);
  self->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, tally_free);
  g_queue_init (&self->order);
}

/* Listens to @sink's events from now on, until it is disposed. */
CcProxySessionLedger *
cc_proxy_session_ledger_new (CcProxyEventSink *sink)
{
  CcProxySessionLedger *self = g_object_new (CC_PROXY_TYPE_SESSION_LEDGER, NULL);

  self->sink = g_object_ref (sink);
  self->event_id = g_signal_connect (sink, "event", G_CALLBACK (on_event), self);
  return self;
}
