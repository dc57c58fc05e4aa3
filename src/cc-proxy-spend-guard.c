/* cc-proxy-spend-guard.c: ask before a premium request budget is crossed
 *
 * Copilot bills the requests a person starts (class `user`) as premium
 * requests, at each model's multiplier. With a budget set (premium
 * requests a day, a Claude Code session, or both: 0 is none), a request
 * of the user's own, once its session or the day has used the budget,
 * is a question: the request waits while the bus service shows it
 * (a desktop notification with actions, the BudgetQuestion signal for
 * cc-proxyctl and the window), and goes on with the first answer: allow
 * once, allow the session, use the small model, or deny. No answer in
 * `budget-ask-seconds`, or nobody to ask: `budget-default`.
 *
 * The counts are the session ledger's, what the providers said each
 * request cost; requests of other classes are never held.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "cc-proxy-budget"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "cc-proxy-spend-guard.h"

/* Sessions that were allowed for good; the oldest are forgotten first. */
#define MAX_ALLOWED_SESSIONS 256
/* Questions waiting at once; past this, the default answers. */
#define MAX_QUESTIONS 64

static const char * const answer_names[] = { "allow", "allow-session", "small-model", "deny" };

typedef struct
{
  CcProxySpendGuard *guard;     /* unowned: the guard answers all before it goes */
  guint              id;
  char              *session;
  char              *why;
  GTask             *task;
  GSource           *timeout;
  gulong             cancelled_id;
} Question;

struct _CcProxySpendGuard
{
  GObject               parent_instance;

  CcProxySessionLedger *ledger;
  GSettings            *settings;   /* NULL: no budget */
  guint                 day_budget;      /* premium-budget-day, kept current */
  guint                 session_budget;  /* premium-budget-session */
  GHashTable           *questions;  /* id → Question */
  guint                 next_id;
  GHashTable           *allowed;    /* session ids allowed for good */
  GQueue                allowed_order;
};

G_DEFINE_QUARK (cc-proxy-spend-guard-error-quark, cc_proxy_spend_guard_error)

G_DEFINE_FINAL_TYPE (CcProxySpendGuard, cc_proxy_spend_guard, G_TYPE_OBJECT)

enum {
  SIGNAL_QUESTION,
  SIGNAL_QUESTION_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

const char *
cc_proxy_spend_answer_to_string (CcProxySpendAnswer answer)
{
  return (guint) answer < G_N_ELEMENTS (answer_names) ? answer_names[answer] : "deny";
}

static gboolean
answer_from_string (const char         *text,
                    CcProxySpendAnswer *answer)
{
  for (guint i = 0; i < G_N_ELEMENTS (answer_names); i++)
    if (g_strcmp0 (text, answer_names[i]) == 0)
      {
        *answer = (CcProxySpendAnswer) i;
        return TRUE;
      }
  return FALSE;
}

static void
question_free (gpointer data)
{
  Question *question = data;

  if (question->timeout != NULL)
    g_source_destroy (question->timeout);
  g_clear_pointer (&question->timeout, g_source_unref);
  g_free (question->session);
  g_free (question->why);
  g_clear_object (&question->task);
  g_free (question);
}

static void
remember_session (CcProxySpendGuard *self,
                  const char        *session)
{
  char *key;

  if (session == NULL || g_hash_table_contains (self->allowed, session))
    return;
  if (g_queue_get_length (&self->allowed_order) >= MAX_ALLOWED_SESSIONS)
    g_hash_table_remove (self->allowed, g_queue_pop_head (&self->allowed_order));
  key = g_strdup (session);
  g_hash_table_add (self->allowed, key);
  g_queue_push_tail (&self->allowed_order, key);
}

/* Ends @question with @answer: the request goes on, the askers close it. */
static void
resolve (CcProxySpendGuard  *self,
         guint               id,
         CcProxySpendAnswer  answer)
{
  Question *question = g_hash_table_lookup (self->questions, GUINT_TO_POINTER (id));
  g_autoptr(GTask) task = NULL;

  if (question == NULL)
    return;
  task = g_steal_pointer (&question->task);
  if (question->cancelled_id != 0)
    g_cancellable_disconnect (g_task_get_cancellable (task), question->cancelled_id);
  if (answer == CC_PROXY_SPEND_ALLOW_SESSION)
    remember_session (self, question->session);
  g_debug ("Budget question %u: %s", id, cc_proxy_spend_answer_to_string (answer));
  g_hash_table_remove (self->questions, GUINT_TO_POINTER (id));
  g_signal_emit (self, signals[SIGNAL_QUESTION_CLOSED], 0, id, cc_proxy_spend_answer_to_string (answer));
  g_task_return_int (task, answer);
}

static CcProxySpendAnswer
default_answer (CcProxySpendGuard *self)
{
  g_autofree char *text = self->settings ? g_settings_get_string (self->settings, "budget-default") : NULL;
  CcProxySpendAnswer answer = CC_PROXY_SPEND_DENY;

  answer_from_string (text, &answer);
  return answer;
}

static void
cc_proxy_spend_guard_dispose (GObject *object)
{
  CcProxySpendGuard *self = CC_PROXY_SPEND_GUARD (object);
  GHashTableIter iter;
  gpointer id;

  /* A waiting request is never left hanging: the default answers it. */
  while (self->questions != NULL && g_hash_table_size (self->questions) > 0)
    {
      g_hash_table_iter_init (&iter, self->questions);
      g_hash_table_iter_next (&iter, &id, NULL);
      resolve (self, GPOINTER_TO_UINT (id), default_answer (self));
    }
  g_clear_object (&self->ledger);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (cc_proxy_spend_guard_parent_class)->dispose (object);
}

static void
cc_proxy_spend_guard_finalize (GObject *object)
{
  CcProxySpendGuard *self = CC_PROXY_SPEND_GUARD (object);

  g_hash_table_unref (self->questions);
  g_hash_table_unref (self->allowed);
  g_queue_clear (&self->allowed_order);
  G_OBJECT_CLASS (cc_proxy_spend_guard_parent_class)->finalize (object);
}

static void
cc_proxy_spend_guard_class_init (CcProxySpendGuardClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = cc_proxy_spend_guard_dispose;
  G_OBJECT_CLASS (klass)->finalize = cc_proxy_spend_guard_finalize;

  /**
   * CcProxySpendGuard::question:
   * @id: the question, for cc_proxy_spend_guard_answer()
   * @session: the Claude Code session, or ""
   * @why: what the budget is and how much of it is used, in words
   *
   * A request waits for an answer.
   */
  signals[SIGNAL_QUESTION] =
    g_signal_new ("question", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_UINT, G_TYPE_STRING, G_TYPE_STRING);
  /**
   * CcProxySpendGuard::question-closed:
   * @id: the question
   * @answer: what answered it: allow, allow-session, small-model or deny
   */
  signals[SIGNAL_QUESTION_CLOSED] =
    g_signal_new ("question-closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);
}

static void
cc_proxy_spend_guard_init (CcProxySpendGuard *self)
{
  self->questions = g_hash_table_new_full (NULL, NULL, NULL, question_free);
  self->allowed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_queue_init (&self->allowed_order);
}

/* Read once per change, not once per request. */
static void
read_budgets (CcProxySpendGuard *self)
{
  self->day_budget = g_settings_get_uint (self->settings, "premium-budget-day");
  self->session_budget = g_settings_get_uint (self->settings, "premium-budget-session");
}

/**
 * cc_proxy_spend_guard_new:
 * @ledger: what each session and the day cost so far
 * @settings: (nullable): the core settings (the budget); %NULL: no budget
 */
CcProxySpendGuard *
cc_proxy_spend_guard_new (CcProxySessionLedger *ledger,
                          GSettings            *settings)
{
  CcProxySpendGuard *self = g_object_new (CC_PROXY_TYPE_SPEND_GUARD, NULL);

  self->ledger = g_object_ref (ledger);
  self->settings = settings ? g_object_ref (settings) : NULL;
  if (self->settings != NULL)
    {
      g_signal_connect_object (self->settings, "changed::premium-budget-day", G_CALLBACK (read_budgets), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (self->settings, "changed::premium-budget-session", G_CALLBACK (read_budgets), self,
                               G_CONNECT_SWAPPED);
      read_budgets (self);
    }
  return self;
}

/**
 * cc_proxy_spend_guard_is_active:
 *
 * Returns: whether a budget is set: when not, no request needs a look
 */
gboolean
cc_proxy_spend_guard_is_active (CcProxySpendGuard *self)
{
  return self->day_budget > 0 || self->session_budget > 0;
}

/**
 * cc_proxy_spend_guard_check:
 * @session_id: (nullable): the request's Claude Code session
 * @request_class: (nullable): its class (user, agent, …)
 *
 * Returns: (transfer full) (nullable): %NULL when the request may go,
 *   else why it is a question ("300 of 300 premium requests used today")
 */
char *
cc_proxy_spend_guard_check (CcProxySpendGuard *self,
                            const char        *session_id,
                            const char        *request_class)
{
  guint day_budget = self->day_budget, session_budget = self->session_budget;
  gdouble session_used = 0, day_used = 0;

  if (!cc_proxy_spend_guard_is_active (self) || g_strcmp0 (request_class, "user") != 0)
    return NULL;
  if (session_id != NULL && g_hash_table_contains (self->allowed, session_id))
    return NULL;

  cc_proxy_session_ledger_get_premium (self->ledger, session_id, &session_used, &day_used);
  if (day_budget > 0 && day_used >= day_budget)
    return g_strdup_printf (_("%g of %u premium requests used today"), day_used, day_budget);
  if (session_budget > 0 && session_id != NULL && session_used >= session_budget)
    return g_strdup_printf (_("%g of %u premium requests used in this Claude Code session"), session_used,
                            session_budget);
  return NULL;
}

static gboolean
on_timeout (gpointer user_data)
{
  Question *question = user_data;

  g_clear_pointer (&question->timeout, g_source_unref);
  resolve (question->guard, question->id, default_answer (question->guard));
  return G_SOURCE_REMOVE;
}

typedef struct
{
  CcProxySpendGuard *guard;
  guint              id;
} Gone;

static gboolean
on_cancelled_idle (gpointer user_data)
{
  Gone *gone = user_data;

  /* The client left: nothing to send; deny ends it quietly (if an
   * answer did not come first). */
  resolve (gone->guard, gone->id, CC_PROXY_SPEND_DENY);
  g_object_unref (gone->guard);
  g_free (gone);
  return G_SOURCE_REMOVE;
}

static void
on_cancelled (GCancellable *cancellable,
              Question     *question)
{
  Gone *gone = g_new0 (Gone, 1);

  /* Not from inside the cancellable's handler: later, in the main context. */
  gone->guard = g_object_ref (question->guard);
  gone->id = question->id;
  g_idle_add (on_cancelled_idle, gone);
}

/**
 * cc_proxy_spend_guard_ask_async:
 * @why: what cc_proxy_spend_guard_check() said
 * @cancellable: (nullable): cancelled when the client leaves
 *
 * Holds a request until it is answered (#CcProxySpendGuard::question),
 * for at most `budget-ask-seconds`; then `budget-default` answers.
 */
void
cc_proxy_spend_guard_ask_async (CcProxySpendGuard   *self,
                                const char          *session_id,
                                const char          *why,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Question *question;
  guint seconds = self->settings ? g_settings_get_uint (self->settings, "budget-ask-seconds") : 60;

  g_task_set_source_tag (task, cc_proxy_spend_guard_ask_async);
  /* The answer stands even for a client that left: its caller checks. */
  g_task_set_check_cancellable (task, FALSE);
  if (g_hash_table_size (self->questions) >= MAX_QUESTIONS)
    {
      g_task_return_int (task, default_answer (self));
      g_object_unref (task);
      return;
    }
  question = g_new0 (Question, 1);
  question->guard = self;
  question->id = ++self->next_id;
  question->session = g_strdup (session_id);
  question->why = g_strdup (why);
  question->task = task;
  question->timeout = g_timeout_source_new_seconds (MAX (seconds, 1));
  g_source_set_callback (question->timeout, on_timeout, question, NULL);
  g_source_attach (question->timeout, g_main_context_get_thread_default ());
  g_hash_table_insert (self->questions, GUINT_TO_POINTER (question->id), question);
  if (cancellable != NULL)
    question->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), question, NULL);
  g_signal_emit (self, signals[SIGNAL_QUESTION], 0, question->id, session_id ? session_id : "", why);
}

CcProxySpendAnswer
cc_proxy_spend_guard_ask_finish (CcProxySpendGuard *self,
                                 GAsyncResult      *result)
{
  return (CcProxySpendAnswer) g_task_propagate_int (G_TASK (result), NULL);
}

/**
 * cc_proxy_spend_guard_answer:
 * @question: a question's id
 * @answer: allow, allow-session, small-model or deny
 *
 * Returns: %FALSE when there is no such question (answered already, or
 *   given up on) or @answer is none of those
 */
gboolean
cc_proxy_spend_guard_answer (CcProxySpendGuard  *self,
                             guint               question,
                             const char         *answer,
                             GError            **error)
{
  CcProxySpendAnswer value;

  if (!answer_from_string (answer, &value))
    {
      g_set_error (error, CC_PROXY_SPEND_GUARD_ERROR, CC_PROXY_SPEND_GUARD_ERROR_BAD_ANSWER,
                   _("“%s” is no answer: allow, allow-session, small-model or deny"), answer);
      return FALSE;
    }
  if (!g_hash_table_contains (self->questions, GUINT_TO_POINTER (question)))
    {
      g_set_error (error, CC_PROXY_SPEND_GUARD_ERROR, CC_PROXY_SPEND_GUARD_ERROR_NO_QUESTION,
                   _("No request waits for answer %u: it was answered, or its client left"), question);
      return FALSE;
    }
  resolve (self, question, value);
  return TRUE;
}

/* Nobody can be asked (no notification server): the default, at once. */
void
cc_proxy_spend_guard_answer_default (CcProxySpendGuard *self,
                                     guint              question)
{
  resolve (self, question, default_answer (self));
}

static int
compare_ids (gconstpointer a,
             gconstpointer b)
{
  guint x = GPOINTER_TO_UINT (a), y = GPOINTER_TO_UINT (b);

  return (x > y) - (x < y);
}

/**
 * cc_proxy_spend_guard_dup_questions:
 *
 * Returns: (transfer full): the waiting questions, a(uss): id, session, why
 */
GVariant *
cc_proxy_spend_guard_dup_questions (CcProxySpendGuard *self)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a(uss)"));
  g_autoptr(GList) ids = g_list_sort (g_hash_table_get_keys (self->questions), compare_ids);

  for (GList *l = ids; l != NULL; l = l->next)
    {
      Question *question = g_hash_table_lookup (self->questions, l->data);

      g_variant_builder_add (&builder, "(uss)", question->id, question->session ? question->session : "",
                             question->why);
    }
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

/* The model "Use the small model" sends a request to, or NULL. */
char *
cc_proxy_spend_guard_dup_small_model (CcProxySpendGuard *self)
{
  g_autofree char *model = self->settings ? g_settings_get_string (self->settings, "budget-small-model") : NULL;

  return model != NULL && model[0] != '\0' ? g_steal_pointer (&model) : NULL;
}
