/* cc-proxy-body-stream.c: a request body that is still arriving
 *
 * The server side pushes chunks as the client sends them; the upstream
 * request reads them as they come, so a large upload is forwarded while
 * it is still being received. Reads never block: the stream is read with
 * read_async() (as g_output_stream_splice_async() does), and a read
 * with nothing queued waits for the next push.
 *
 * The queue is what the client sent and the upstream has not taken yet:
 * cc_proxy_body_stream_get_queued() tells its size, so that the server
 * stops reading from a client that sends faster than the upstream takes,
 * and the drained callback says when to read again.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "cc-proxy-body-stream.h"

struct _CcProxyBodyStream
{
  GInputStream  parent_instance;

  GQueue        chunks;      /* GBytes */
  gsize         offset;      /* into the head chunk */
  gsize         queued;      /* bytes in chunks, from offset on */
  GSourceFunc   drained;     /* the queue emptied */
  gpointer      drained_data;
  gboolean      ended;
  GError       *error;

  GTask        *pending;     /* a read waiting for data */
  void         *buffer;
  gsize         count;
  GCancellable *cancellable; /* the pending read's */
  gulong        cancelled_id;
};

G_DEFINE_FINAL_TYPE (CcProxyBodyStream, cc_proxy_body_stream, G_TYPE_INPUT_STREAM)

/* Copies queued bytes; -1 when nothing is queued and the body goes on. */
static gssize
take_queued (CcProxyBodyStream *self,
             void              *buffer,
             gsize              count)
{
  gsize done = 0;

  while (done < count && !g_queue_is_empty (&self->chunks))
    {
      GBytes *head = g_queue_peek_head (&self->chunks);
      gsize len;
      const guint8 *data = g_bytes_get_data (head, &len);
      gsize n = MIN (count - done, len - self->offset);

      memcpy ((guint8 *) buffer + done, data + self->offset, n);
      done += n;
      self->offset += n;
      self->queued -= n;
      if (self->offset == len)
        {
          g_bytes_unref (g_queue_pop_head (&self->chunks));
          self->offset = 0;
        }
    }

  if (done > 0 && self->queued == 0 && self->drained != NULL)
    self->drained (self->drained_data);
  if (done > 0 || self->ended)
    return done;
  return -1;
}

static void
forget_cancellable (CcProxyBodyStream *self)
{
  g_clear_signal_handler (&self->cancelled_id, self->cancellable);
  g_clear_object (&self->cancellable);
}

static void
complete_pending (CcProxyBodyStream *self)
{
  g_autoptr(GTask) task = NULL;
  gssize n;

  if (self->pending == NULL)
    return;

  if (self->error != NULL)
    {
      forget_cancellable (self);
      task = g_steal_pointer (&self->pending);
      g_task_return_error (task, g_error_copy (self->error));
      return;
    }

  n = take_queued (self, self->buffer, self->count);
  if (n < 0)
    return;
  forget_cancellable (self);
  task = g_steal_pointer (&self->pending);
  g_task_return_int (task, n);
}

static gssize
cc_proxy_body_stream_read (GInputStream  *stream,
                           void          *buffer,
                           gsize          count,
                           GCancellable  *cancellable,
                           GError       **error)
{
  CcProxyBodyStream *self = CC_PROXY_BODY_STREAM (stream);
  gssize n;

  if (self->error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->error));
      return -1;
    }
  n = take_queued (self, buffer, count);
  if (n < 0)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
                         "The request body has not arrived yet");
  return n;
}

static void
on_read_cancelled (GCancellable      *cancellable,
                   CcProxyBodyStream *self)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->pending);

  forget_cancellable (self);
  if (task != NULL)
    g_task_return_error_if_cancelled (task);
}

static void
cc_proxy_body_stream_read_async (GInputStream        *stream,
                                 void                *buffer,
                                 gsize                count,
                                 int                  io_priority,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  CcProxyBodyStream *self = CC_PROXY_BODY_STREAM (stream);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, cc_proxy_body_stream_read_async);
  g_assert (self->pending == NULL);

  self->pending = g_steal_pointer (&task);
  self->buffer = buffer;
  self->count = count;
  if (cancellable != NULL)
    {
      self->cancellable = g_object_ref (cancellable);
      self->cancelled_id = g_signal_connect (cancellable, "cancelled", G_CALLBACK (on_read_cancelled), self);
    }
  complete_pending (self);
}

static gssize
cc_proxy_body_stream_read_finish (GInputStream  *stream,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  return g_task_propagate_int (G_TASK (result), error);
}

static void
cc_proxy_body_stream_finalize (GObject *object)
{
  CcProxyBodyStream *self = (CcProxyBodyStream *) object;

  g_assert (self->pending == NULL);
  g_queue_clear_full (&self->chunks, (GDestroyNotify) g_bytes_unref);
  g_clear_error (&self->error);
  G_OBJECT_CLASS (cc_proxy_body_stream_parent_class)->finalize (object);
}

static void
cc_proxy_body_stream_class_init (CcProxyBodyStreamClass *klass)
{
  GInputStreamClass *stream_class = G_INPUT_STREAM_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = cc_proxy_body_stream_finalize;
  stream_class->read_fn = cc_proxy_body_stream_read;
  stream_class->read_async = cc_proxy_body_stream_read_async;
  stream_class->read_finish = cc_proxy_body_stream_read_finish;
}

static void
cc_proxy_body_stream_init (CcProxyBodyStream *self)
{
  g_queue_init (&self->chunks);
}

CcProxyBodyStream *
cc_proxy_body_stream_new (void)
{
  return g_object_new (CC_PROXY_TYPE_BODY_STREAM, NULL);
}

void
cc_proxy_body_stream_push (CcProxyBodyStream *self,
                           GBytes            *bytes)
{
  g_return_if_fail (!self->ended);

  if (g_bytes_get_size (bytes) == 0)
    return;
  g_queue_push_tail (&self->chunks, g_bytes_ref (bytes));
  self->queued += g_bytes_get_size (bytes);
  complete_pending (self);
}

/* What was pushed and not read yet. */
gsize
cc_proxy_body_stream_get_queued (CcProxyBodyStream *self)
{
  return self->queued;
}

/* @func runs whenever a read empties the queue; not a reference. */
void
cc_proxy_body_stream_set_drained_func (CcProxyBodyStream *self,
                                       GSourceFunc        func,
                                       gpointer           user_data)
{
  self->drained = func;
  self->drained_data = user_data;
}

/* The body is complete: reads drain the queue, then see EOF. */
void
cc_proxy_body_stream_end (CcProxyBodyStream *self)
{
  self->ended = TRUE;
  complete_pending (self);
}

/* The client went away: the reader gets @error instead of a short body
 * that would look complete. */
void
cc_proxy_body_stream_fail (CcProxyBodyStream *self,
                           const GError      *error)
{
  if (self->ended || self->error != NULL)
    return;
  self->error = g_error_copy (error);
  complete_pending (self);
}
