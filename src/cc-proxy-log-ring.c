/* cc-proxy-log-ring.c: the service log's recent lines, for cc-proxyctl log
 *
 * A D-Bus-activated daemon's standard error goes nowhere when systemd
 * does not run it: its messages and warnings would be lost. The ring
 * keeps the last of them, readable over the bus, and hands every line
 * on to GLib's default writer (the journal under systemd, else standard
 * error). Lines may come from any thread.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "cc-proxy-log-ring.h"

struct _CcProxyLogRing
{
  GObject  parent_instance;

  GMutex   lock;
  GQueue   lines;      /* char *, oldest first */
  guint    max_lines;
};

G_DEFINE_FINAL_TYPE (CcProxyLogRing, cc_proxy_log_ring, G_TYPE_OBJECT)

static void
cc_proxy_log_ring_finalize (GObject *object)
{
  CcProxyLogRing *self = (CcProxyLogRing *) object;

  g_queue_clear_full (&self->lines, g_free);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (cc_proxy_log_ring_parent_class)->finalize (object);
}

static void
cc_proxy_log_ring_class_init (CcProxyLogRingClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cc_proxy_log_ring_finalize;
}

static void
cc_proxy_log_ring_init (CcProxyLogRing *self)
{
  g_mutex_init (&self->lock);
}

CcProxyLogRing *
cc_proxy_log_ring_new (guint max_lines)
{
  CcProxyLogRing *self = g_object_new (CC_PROXY_TYPE_LOG_RING, NULL);

  self->max_lines = MAX (max_lines, 1);
  return self;
}

void
cc_proxy_log_ring_add (CcProxyLogRing *self,
                       const char     *line)
{
  g_mutex_lock (&self->lock);
  g_queue_push_tail (&self->lines, g_strdup (line));
  while (self->lines.length > self->max_lines)
    g_free (g_queue_pop_head (&self->lines));
  g_mutex_unlock (&self->lock);
}

/**
 * cc_proxy_log_ring_dup_lines:
 *
 * Returns: (transfer full): the kept lines, oldest first
 */
GStrv
cc_proxy_log_ring_dup_lines (CcProxyLogRing *self)
{
  GStrvBuilder *builder = g_strv_builder_new ();
  GStrv lines;

  g_mutex_lock (&self->lock);
  for (GList *l = self->lines.head; l != NULL; l = l->next)
    g_strv_builder_add (builder, l->data);
  g_mutex_unlock (&self->lock);
  lines = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return lines;
}

static const char *
field (const GLogField *fields,
       gsize            n_fields,
       const char      *key)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, key))
      return fields[i].length < 0 ? fields[i].value : NULL;
  return NULL;
}

/* Messages and worse are kept; debug and info only go on. */
static GLogWriterOutput
write_log (GLogLevelFlags   level,
           const GLogField *fields,
           gsize            n_fields,
           gpointer         user_data)
{
  CcProxyLogRing *self = user_data;

  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE))
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_local ();
      g_autofree char *time = g_date_time_format (now, "%Y-%m-%d %H:%M:%S");
      const char *domain = field (fields, n_fields, "GLIB_DOMAIN");
      const char *message = field (fields, n_fields, "MESSAGE");
      const char *kind = (level & G_LOG_LEVEL_MESSAGE) ? "" : (level & G_LOG_LEVEL_WARNING) ? " warning"
                                                                                              : " critical";
      g_autofree char *line = g_strdup_printf ("%s %s%s: %s", time, domain ? domain : "cc-proxyd", kind,
                                               message ? message : "");

      cc_proxy_log_ring_add (self, line);
    }
  return g_log_writer_default (level, fields, n_fields, NULL);
}

/* Makes @self the process's log writer; it must outlive all logging. */
void
cc_proxy_log_ring_install (CcProxyLogRing *self)
{
  g_log_set_writer_func (write_log, g_object_ref (self), g_object_unref);
}
