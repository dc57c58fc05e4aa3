/* cc-proxy-capture-log.c: every event, appended to a JSON Lines file a day
 *
 * Events (immutable, already redacted) are handed to a writer thread of
 * this object's own, which formats and writes them: the main context
 * only takes a reference. The queue between them is bounded: when the
 * disk is slower than the traffic, lines are dropped and counted, and
 * the relay never waits for a disk.
 *
 * Files are <directory>/YYYY-MM-DD.jsonl (local date), mode 0600, in a
 * 0700 directory. Whole days older than the retention, then the oldest
 * files beyond the size cap, are removed; the file being written is never
 * removed, and once it alone exceeds the cap its lines are dropped.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "cc-proxy-capture"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cc-proxy-body-scan.h"
#include "cc-proxy-capture-log.h"
#include "cc-proxy-message-assembler.h"
#include "cc-proxy-event-sink.h"
#include "cc-proxy-event.h"

/* Events waiting for the writer; past this they are dropped. */
#define DEFAULT_QUEUE_LIMIT 8192
/* After a failure to write, the next attempt waits this long. */
#define RETRY_USEC (30 * G_USEC_PER_SEC)

typedef struct
{
  char *text;   /* one line, with its "\n" */
  gsize len;
  char  day[16];
} Line;

struct _CcProxyCaptureLog
{
  GObject           parent_instance;

  CcProxyEventSink *sink;
  gulong            event_id;
  GSettings        *settings;
  char             *directory;
  gsize             body_limit;      /* bytes of each body kept */
  GThread          *thread;

  /* Shared with the writer, under lock. */
  GMutex            lock;
  GCond             cond;
  GQueue            queue;           /* CcProxyEvent */
  guint             queue_limit;
  gboolean          stopping;
  guint64           max_bytes;
  guint             retention_days;
  gboolean          prune_pending;   /* the limits changed */
  guint64           written;
  guint64           dropped;
  char             *error;           /* why lines are being dropped, or NULL */

  /* The writer thread's own. */
  int               fd;
  char              current_day[16];
  guint64           current_bytes;
  guint64           total_bytes;     /* every capture file, current included */
  gint64            retry_after;
  gboolean          warned;
  gboolean          limited;         /* error says the cap is reached */

  /* The main context's own. */
  gboolean          queue_full;
};

G_DEFINE_FINAL_TYPE (CcProxyCaptureLog, cc_proxy_capture_log, G_TYPE_OBJECT)

/* ----- writer thread ----- */

static gboolean
is_capture_name (const char *name)
{
  /* YYYY-MM-DD.jsonl */
  if (strlen (name) != 16 || !g_str_has_suffix (name, ".jsonl"))
    return FALSE;
  for (guint i = 0; i < 10; i++)
    if (i == 4 || i == 7 ? name[i] != '-' : !g_ascii_isdigit (name[i]))
      return FALSE;
  return TRUE;
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static char *
day_before (const char *day,
            guint       days)
{
  int y, m, d;
  g_autoptr(GDateTime) date = NULL;
  g_autoptr(GDateTime) earlier = NULL;

  if (sscanf (day, "%d-%d-%d", &y, &m, &d) != 3 || (date = g_date_time_new_utc (y, m, d, 0, 0, 0)) == NULL)
    return g_strdup ("");
  earlier = g_date_time_add_days (date, -(int) days);
  return g_date_time_format (earlier, "%Y-%m-%d");
}

/* Removes what retention and the size cap no longer allow, oldest first,
 * so that @incoming more bytes fit; counts what stays. */
static void
prune (CcProxyCaptureLog *self,
       guint64            max_bytes,
       guint              retention_days,
       gsize              incoming)
{
  g_autoptr(GDir) dir = g_dir_open (self->directory, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *cutoff = day_before (self->current_day, retention_days);
  g_autoptr(GArray) sizes = g_array_new (FALSE, FALSE, sizeof (guint64));
  const char *name;
  guint64 total = 0;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    if (is_capture_name (name))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (self->directory, g_ptr_array_index (names, i), NULL);
      GStatBuf st;
      guint64 size = 0;

      if (g_stat (path, &st) == 0)
        size = st.st_size;
      g_array_append_val (sizes, size);
      total += size;
    }

  for (guint i = 0; i < names->len; i++)
    {
      const char *file = g_ptr_array_index (names, i);
      guint64 size = g_array_index (sizes, guint64, i);
      g_autofree char *path = NULL;

      if (strncmp (file, self->current_day, 10) == 0)
        continue;
      if (strncmp (file, cutoff, 10) >= 0 && total + incoming <= max_bytes)
        continue;
      path = g_build_filename (self->directory, file, NULL);
      if (g_unlink (path) == 0)
        total -= size;
    }
  self->total_bytes = total;
}

static void
set_error (CcProxyCaptureLog *self,
           char              *error)
{
  g_mutex_lock (&self->lock);
  g_free (self->error);
  self->error = error;
  g_mutex_unlock (&self->lock);
}

/* One warning per failure, not per line; a recovery re-arms it. */
static void
fail (CcProxyCaptureLog *self,
      const char        *what,
      int                errsv)
{
  char *error = g_strdup_printf ("%s: %s", what, g_strerror (errsv));

  if (!self->warned)
    g_warning (_("Capture log: cannot write %s. Requests are still served; captured lines are dropped "
                 "until it works again (checked every %d s)."), error, (int) (RETRY_USEC / G_USEC_PER_SEC));
  self->warned = TRUE;
  set_error (self, error);
  if (self->fd >= 0)
    close (self->fd);
  self->fd = -1;
  self->retry_after = g_get_monotonic_time () + RETRY_USEC;
}

static gboolean
open_day (CcProxyCaptureLog *self,
          const char        *day,
          guint64            max_bytes,
          guint              retention_days)
{
  g_autofree char *name = g_strconcat (day, ".jsonl", NULL);
  g_autofree char *path = g_build_filename (self->directory, name, NULL);
  GStatBuf st;

  if (self->fd >= 0)
    close (self->fd);
  self->fd = -1;
  if (g_get_monotonic_time () < self->retry_after)
    return FALSE;

  if (g_mkdir_with_parents (self->directory, 0700) != 0)
    {
      fail (self, self->directory, errno);
      return FALSE;
    }
  self->fd = g_open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (self->fd < 0 || fstat (self->fd, &st) != 0)
    {
      fail (self, path, errno);
      return FALSE;
    }

  g_strlcpy (self->current_day, day, sizeof self->current_day);
  self->current_bytes = st.st_size;
  prune (self, max_bytes, retention_days, 0);
  if (self->warned)
    g_message (_("Capture log: writing to %s again"), path);
  self->warned = FALSE;
  set_error (self, NULL);
  return TRUE;
}

static gboolean
write_all (int         fd,
           const char *data,
           gsize       len)
{
  while (len > 0)
    {
      gssize n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      len -= n;
    }
  return TRUE;
}

static gboolean
write_line (CcProxyCaptureLog *self,
            Line              *line,
            guint64            max_bytes,
            guint              retention_days,
            gboolean           prune_now)
{
  if ((self->fd < 0 || strcmp (self->current_day, line->day) != 0) &&
      !open_day (self, line->day, max_bytes, retention_days))
    return FALSE;

  if (prune_now || self->total_bytes + line->len > max_bytes)
    prune (self, max_bytes, retention_days, line->len);
  /* Only today's file is left and it is full: nothing more today. */
  if (self->total_bytes + line->len > max_bytes)
    {
      if (!self->limited)
        set_error (self, g_strdup (_("the size cap (capture-max-size) is reached")));
      self->limited = TRUE;
      return FALSE;
    }
  if (self->limited)
    set_error (self, NULL);
  self->limited = FALSE;

  if (!write_all (self->fd, line->text, line->len))
    {
      g_autofree char *name = g_strconcat (self->current_day, ".jsonl", NULL);
      g_autofree char *path = g_build_filename (self->directory, name, NULL);

      fail (self, path, errno);
      return FALSE;
    }
  self->current_bytes += line->len;
  self->total_bytes += line->len;
  return TRUE;
}

static gpointer
writer_thread (gpointer user_data)
{
  CcProxyCaptureLog *self = user_data;
  /* Looked up once: GLib reads /etc/localtime on every lookup. */
  g_autoptr(GTimeZone) zone = g_time_zone_new_local ();

  for (;;)
    {
      g_autoptr(CcProxyEvent) event = NULL;
      g_autofree char *day = NULL;
      Line line;
      guint64 max_bytes;
      guint retention_days;
      gboolean prune_now, ok;

      g_mutex_lock (&self->lock);
      while (self->queue.length == 0 && !self->stopping)
        g_cond_wait (&self->cond, &self->lock);
      event = g_queue_pop_head (&self->queue);
      if (event == NULL)
        {
          g_mutex_unlock (&self->lock);
          break;
        }
      max_bytes = self->max_bytes;
      retention_days = self->retention_days;
      prune_now = self->prune_pending;
      self->prune_pending = FALSE;
      g_mutex_unlock (&self->lock);

      line.text = cc_proxy_capture_log_format_event (event, zone, &day);
      line.len = strlen (line.text);
      g_strlcpy (line.day, day, sizeof line.day);
      ok = write_line (self, &line, max_bytes, retention_days, prune_now);
      g_free (line.text);

      g_mutex_lock (&self->lock);
      if (ok)
        self->written++;
      else
        self->dropped++;
      g_mutex_unlock (&self->lock);
    }

  if (self->fd >= 0)
    close (self->fd);
  self->fd = -1;
  return NULL;
}

/* ----- main context ----- */

static void
add_string (JsonBuilder *builder,
            const char  *name,
            const char  *value)
{
  if (value == NULL)
    return;
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value);
}

static void
add_headers (JsonBuilder *builder,
             GStrv        headers)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(JsonObject) object = json_object_new ();

  /* Pairs; a repeated name gets its values joined, as HTTP allows. */
  for (guint i = 0; headers[i] != NULL && headers[i + 1] != NULL; i += 2)
    {
      g_autofree char *name = g_ascii_strdown (headers[i], -1);
      const char *before = cc_proxy_json_get_string (object, name);

      if (before != NULL)
        {
          g_autofree char *joined = g_strconcat (before, ", ", headers[i + 1], NULL);

          json_object_set_string_member (object, name, joined);
        }
      else
        json_object_set_string_member (object, name, headers[i + 1]);
    }
  json_builder_set_member_name (builder, "headers");
  json_builder_add_value (builder, cc_proxy_json_node_new_object (object));
}

static gboolean
is_terminal (CcProxyEventKind kind)
{
  return kind == CC_PROXY_EVENT_RESPONSE_DONE || kind == CC_PROXY_EVENT_ERROR ||
         kind == CC_PROXY_EVENT_PROXY_ERROR;
}

/* A text, thinking or tool-input delta (nearly every event of a
 * stream), taken apart by scanning, not parsing. */
static gboolean
add_delta_fast (CcProxyMessageAssembler *assembler,
                const char              *data)
{
  gsize len = strlen (data);
  const char *delta = cc_proxy_body_scan_value (data, len, "delta");
  gsize delta_len = delta != NULL ? len - (delta - data) : 0;
  g_autofree char *type = NULL;
  g_autofree char *value = NULL;
  const char *member;

  if (delta == NULL || *delta != '{')
    return FALSE;
  type = cc_proxy_body_scan_string (delta, delta_len, "type");
  member = cc_proxy_message_assembler_delta_member (type);
  if (member == NULL || (value = cc_proxy_body_scan_string (delta, delta_len, member)) == NULL)
    return FALSE;
  cc_proxy_message_assembler_add_delta (assembler, cc_proxy_body_scan_int (data, len, "index", -1), type, value);
  return TRUE;
}

static void
on_stream_event (const char *sse_event,
                 const char *data,
                 gpointer    user_data)
{
  CcProxyMessageAssembler **assembler = user_data;
  g_autoptr(JsonNode) node = NULL;

  if (*assembler != NULL && g_strcmp0 (sse_event, "content_block_delta") == 0 && add_delta_fast (*assembler, data))
    return;
  node = cc_proxy_json_parse (data, -1, NULL);

  if (*assembler == NULL && g_strcmp0 (sse_event, "message_start") == 0)
    *assembler = cc_proxy_message_assembler_new ();
  if (*assembler != NULL && node != NULL)
    cc_proxy_message_assembler_add (*assembler, node);
}

/* Valid JSON has line ends only as white space between tokens (inside
 * strings they are escaped): spaces keep it one line. */
static void
append_json_line (GString    *line,
                  const char *json,
                  gsize       len)
{
  gsize start = line->len;

  g_string_append_len (line, json, len);
  if (memchr (json, '\n', len) == NULL && memchr (json, '\r', len) == NULL)
    return;
  for (gsize i = start; i < line->len; i++)
    if (line->str[i] == '\n' || line->str[i] == '\r')
      line->str[i] = ' ';
}

/* A stream of Anthropic events kept as bytes, put back together into the
 * message the client ended up with. NULL for anything else (a cut
 * body, another format): then it is kept as text. */
static JsonNode *
parse_raw_body (CcProxyEvent *event)
{
  gsize len;
  const char *data = g_bytes_get_data (event->raw_body, &len);
  g_autoptr(CcProxyMessageAssembler) assembler = NULL;
  g_autoptr(CcProxySseParser) parser = NULL;

  if (!event->raw_is_stream)
    return NULL;

  parser = cc_proxy_sse_parser_new (on_stream_event, &assembler);
  cc_proxy_sse_parser_feed (parser, data, len);
  cc_proxy_sse_parser_finish (parser);
  return assembler != NULL ? cc_proxy_message_assembler_finish (assembler) : NULL;
}

/**
 * cc_proxy_capture_log_format_event:
 * @event: an event (already redacted)
 * @zone: the time zone to write times in
 * @day: (out) (transfer full): the date of the event there, YYYY-MM-DD
 *
 * Returns: (transfer full): the event as one line of JSON, with its "\n"
 */
char *
cc_proxy_capture_log_format_event (CcProxyEvent  *event,
                                   GTimeZone     *zone,
                                   char         **day)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autoptr(JsonNode) root = NULL;
  gint64 real = g_get_real_time () - (g_get_monotonic_time () - event->timestamp);
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (real / G_USEC_PER_SEC);
  g_autoptr(GDateTime) second = g_date_time_to_timezone (utc, zone);
  g_autoptr(GDateTime) when = g_date_time_add (second, real % G_USEC_PER_SEC);
  g_autofree char *time = g_date_time_format (when, "%Y-%m-%dT%H:%M:%S.%f%:z");
  g_autoptr(GString) line = NULL;
  g_autoptr(JsonNode) parsed = NULL;
  JsonNode *body = event->body;
  CcProxyBodyShape shape = event->shape;
  g_autofree char *body_text = NULL;
  gsize raw_len = event->raw_body != NULL ? g_bytes_get_size (event->raw_body) : 0;
  const char *raw = event->raw_body != NULL ? g_bytes_get_data (event->raw_body, NULL) : NULL;
  gboolean raw_json = FALSE;

  /* Bodies that came as bytes are dealt with here, on the writer thread,
   * and never on the request path. A whole JSON document goes into the
   * line as it is: checking it costs a tenth of parsing and writing it
   * out again. A stream is put back together into its message. */
  if (body == NULL && raw != NULL)
    {
      raw_json = !event->raw_is_stream && !event->body_truncated && cc_proxy_json_validate (raw, raw_len, CC_PROXY_JSON_MAX_DEPTH, NULL);
      if (raw_json)
        shape = cc_proxy_body_scan_shape (raw, raw_len);
      else if ((parsed = parse_raw_body (event)) != NULL)
        {
          body = parsed;
          shape = cc_proxy_body_shape_detect (body);
        }
      else
        body_text = g_utf8_make_valid (raw, raw_len);
    }

  json_builder_begin_object (builder);
  add_string (builder, "time", time);
  add_string (builder, "request_id", event->request_id);
  json_builder_set_member_name (builder, "seq");
  json_builder_add_int_value (builder, event->sequence);
  add_string (builder, "kind", cc_proxy_event_kind_to_string (event->kind));
  add_string (builder, "provider", event->provider_id);
  add_string (builder, "method", event->method);
  add_string (builder, "path", event->path);
  add_string (builder, "query", event->query);
  add_string (builder, "model", event->model);
  add_string (builder, "session", event->session_id);
  add_string (builder, "class", event->request_class);
  if (event->status != 0)
    {
      json_builder_set_member_name (builder, "status");
      json_builder_add_int_value (builder, event->status);
    }
  if (event->headers != NULL)
    add_headers (builder, event->headers);
  add_string (builder, "sse_event", event->sse_event);
  add_string (builder, "message", event->message);
  if (is_terminal (event->kind))
    {
      json_builder_set_member_name (builder, "duration_us");
      json_builder_add_int_value (builder, event->duration_us);
      add_string (builder, "stop_reason", event->stop_reason);
      add_string (builder, "route", event->route);
      if (event->usage != NULL)
        {
          json_builder_set_member_name (builder, "usage");
          json_builder_add_value (builder, json_node_copy (event->usage));
        }
    }
  if (body != NULL || raw_json)
    add_string (builder, "shape", cc_proxy_body_shape_to_string (shape));
  if (event->body_truncated)
    {
      json_builder_set_member_name (builder, "body_truncated");
      json_builder_add_boolean_value (builder, TRUE);
    }
  add_string (builder, "body_text", body_text);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  line = g_string_new (NULL);
  cc_proxy_json_append (line, root);

  /* The body goes in last, written from the event's own tree: no copy
   * of what may be a long conversation. */
  if (body != NULL || raw_json)
    {
      g_string_truncate (line, line->len - 1);
      g_string_append (line, ",\"body\":");
      if (raw_json)
        append_json_line (line, raw, raw_len);
      else
        cc_proxy_json_append (line, body);
      g_string_append_c (line, '}');
    }
  g_string_append_c (line, '\n');

  *day = g_date_time_format (when, "%Y-%m-%d");
  return g_string_free (g_steal_pointer (&line), FALSE);
}

static void
on_event (CcProxyEventSink  *sink,
          CcProxyEvent      *event,
          CcProxyCaptureLog *self)
{
  /* A stream's deltas stay out: its assembled message says the same in
   * one line, and a line per delta cost the stream relay half its
   * throughput in bench/run (and made files 10-50 times larger). */
  if (event->kind == CC_PROXY_EVENT_PROGRESS)
    return;
  g_mutex_lock (&self->lock);
  if (self->queue.length >= self->queue_limit)
    {
      self->dropped++;
      g_mutex_unlock (&self->lock);
      if (!self->queue_full)
        g_message (_("Capture log: the disk is slower than the traffic; capture lines are dropped "
                     "(requests are not affected)"));
      self->queue_full = TRUE;
      return;
    }
  self->queue_full = FALSE;
  g_queue_push_tail (&self->queue, cc_proxy_event_ref (event));
  /* The writer only sleeps on an empty queue. */
  if (self->queue.length == 1)
    g_cond_signal (&self->cond);
  g_mutex_unlock (&self->lock);
}

static void
stop_writer (CcProxyCaptureLog *self)
{
  if (self->thread == NULL)
    return;
  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->lock);
  /* What was queued is written first. */
  g_thread_join (g_steal_pointer (&self->thread));
}

static void
cc_proxy_capture_log_dispose (GObject *object)
{
  CcProxyCaptureLog *self = (CcProxyCaptureLog *) object;

  cc_proxy_capture_log_set_enabled (self, FALSE);
  stop_writer (self);
  g_clear_object (&self->settings);
  g_clear_object (&self->sink);
  G_OBJECT_CLASS (cc_proxy_capture_log_parent_class)->dispose (object);
}

static void
cc_proxy_capture_log_finalize (GObject *object)
{
  CcProxyCaptureLog *self = (CcProxyCaptureLog *) object;

  g_queue_clear_full (&self->queue, (GDestroyNotify) cc_proxy_event_unref);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self->directory);
  g_free (self->error);
  G_OBJECT_CLASS (cc_proxy_capture_log_parent_class)->finalize (object);
}

static void
cc_proxy_capture_log_class_init (CcProxyCaptureLogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cc_proxy_capture_log_dispose;
  object_class->finalize = cc_proxy_capture_log_finalize;
}

static void
cc_proxy_capture_log_init (CcProxyCaptureLog *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->queue);
  self->queue_limit = DEFAULT_QUEUE_LIMIT;
  self->max_bytes = G_MAXUINT64;
  self->retention_days = G_MAXUINT;
  self->fd = -1;
}

/**
 * cc_proxy_capture_log_new:
 * @sink: where events come from
 * @directory: where the files go (created, 0700, at the first line)
 *
 * Returns: (transfer full): a capture log, not yet enabled
 */
CcProxyCaptureLog *
cc_proxy_capture_log_new (CcProxyEventSink *sink,
                          const char       *directory)
{
  CcProxyCaptureLog *self = g_object_new (CC_PROXY_TYPE_CAPTURE_LOG, NULL);

  self->sink = g_object_ref (sink);
  self->directory = g_strdup (directory);
  self->body_limit = CC_PROXY_CAPTURE_DEFAULT_BODY_LIMIT;
  self->thread = g_thread_new ("cc-proxy-capture", writer_thread, self);
  return self;
}

void
cc_proxy_capture_log_set_enabled (CcProxyCaptureLog *self,
                                  gboolean           enabled)
{
  /* Off means not listening at all, so nothing is formatted either. */
  if (enabled && self->event_id == 0)
    self->event_id = g_signal_connect (self->sink, "event", G_CALLBACK (on_event), self);
  else if (!enabled)
    g_clear_signal_handler (&self->event_id, self->sink);
  if (self->sink != NULL)  /* NULL after dispose */
    cc_proxy_event_sink_set_body_limit (self->sink, enabled ? self->body_limit : 0);
}

/* How much of each body is kept; longer ones are kept up to this size
 * and marked as truncated. The request path holds no more than that. */
void
cc_proxy_capture_log_set_body_limit (CcProxyCaptureLog *self,
                                     gsize              limit)
{
  self->body_limit = limit;
  cc_proxy_event_sink_set_body_limit (self->sink, self->event_id != 0 ? limit : 0);
}

gboolean
cc_proxy_capture_log_get_enabled (CcProxyCaptureLog *self)
{
  return self->event_id != 0;
}

/**
 * cc_proxy_capture_log_set_limits:
 * @self: a capture log
 * @max_bytes: what all capture files together may take
 * @retention_days: how many days before today are kept
 */
void
cc_proxy_capture_log_set_limits (CcProxyCaptureLog *self,
                                 guint64            max_bytes,
                                 guint              retention_days)
{
  g_mutex_lock (&self->lock);
  self->max_bytes = max_bytes;
  self->retention_days = retention_days;
  self->prune_pending = TRUE;
  g_mutex_unlock (&self->lock);
}

/* How many events may wait for the disk before lines are dropped. */
void
cc_proxy_capture_log_set_queue_limit (CcProxyCaptureLog *self,
                                      guint              max_events)
{
  g_mutex_lock (&self->lock);
  self->queue_limit = max_events;
  g_mutex_unlock (&self->lock);
}

static void
on_settings_changed (GSettings         *settings,
                     const char        *key,
                     CcProxyCaptureLog *self)
{
  if (key != NULL && !g_str_has_prefix (key, "capture"))
    return;
  cc_proxy_capture_log_set_body_limit (self, (gsize) g_settings_get_uint (settings, "capture-body-limit") * 1024 * 1024);
  cc_proxy_capture_log_set_enabled (self, g_settings_get_boolean (settings, "capture"));
  cc_proxy_capture_log_set_limits (self, (guint64) g_settings_get_uint (settings, "capture-max-size") * 1024 * 1024,
                                   g_settings_get_uint (settings, "capture-retention-days"));
}

/**
 * cc_proxy_capture_log_bind_settings:
 * @self: a capture log
 * @settings: the core settings (`capture`, `capture-max-size` in MiB,
 *   `capture-retention-days`)
 *
 * Follows @settings from now on.
 */
void
cc_proxy_capture_log_bind_settings (CcProxyCaptureLog *self,
                                    GSettings         *settings)
{
  g_return_if_fail (self->settings == NULL);

  self->settings = g_object_ref (settings);
  g_signal_connect_object (settings, "changed", G_CALLBACK (on_settings_changed), self, 0);
  on_settings_changed (settings, NULL, self);
}

const char *
cc_proxy_capture_log_get_directory (CcProxyCaptureLog *self)
{
  return self->directory;
}

void
cc_proxy_capture_log_get_counters (CcProxyCaptureLog *self,
                                   guint64           *written,
                                   guint64           *dropped)
{
  g_mutex_lock (&self->lock);
  if (written != NULL)
    *written = self->written;
  if (dropped != NULL)
    *dropped = self->dropped;
  g_mutex_unlock (&self->lock);
}

/**
 * cc_proxy_capture_log_dup_error:
 *
 * Returns: (transfer full) (nullable): why lines are being dropped now
 */
char *
cc_proxy_capture_log_dup_error (CcProxyCaptureLog *self)
{
  char *error;

  g_mutex_lock (&self->lock);
  error = g_strdup (self->error);
  g_mutex_unlock (&self->lock);
  return error;
}
