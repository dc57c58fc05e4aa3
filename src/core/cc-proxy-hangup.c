/* cc-proxy-hangup.c: noticing a client that left while nothing is written to it
 *
 * libsoup notices a closed client only when it next writes, and while a
 * provider or the upstream is silent (a model thinking) it writes
 * nothing. Watching the socket stops the work as soon as the client
 * leaves.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "cc-proxy-hangup.h"

typedef struct
{
  GSourceFunc on_gone;
  gpointer    user_data;
} Watch;

static gboolean
on_client_socket (GSocket      *socket,
                  GIOCondition  condition,
                  gpointer      data)
{
  Watch *watch = data;
  g_autoptr(GError) error = NULL;
  char byte;
  GInputVector vector = { &byte, 1 };
  int flags = G_SOCKET_MSG_PEEK;
  gssize n;

  n = g_socket_receive_message (socket, NULL, &vector, 1, NULL, NULL, &flags, NULL, &error);
  if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return G_SOURCE_CONTINUE;
  if (n > 0)  /* a pipelined request, not a hang-up: stop watching */
    return G_SOURCE_REMOVE;

  g_debug ("Client hung up");
  watch->on_gone (watch->user_data);
  return G_SOURCE_REMOVE;
}

/**
 * cc_proxy_hangup_watch:
 * @socket: (nullable): the client connection of a request whose body
 *   has been read
 * @on_gone: called once when the client closes its connection
 * @user_data: for @on_gone; not referenced
 *
 * Returns: (transfer full) (nullable): the watch, attached to the
 *   thread-default main context; destroy it to stop watching
 */
GSource *
cc_proxy_hangup_watch (GSocket     *socket,
                       GSourceFunc  on_gone,
                       gpointer     user_data)
{
  GSource *source;
  Watch *watch;

  if (socket == NULL)
    return NULL;
  watch = g_new0 (Watch, 1);
  watch->on_gone = on_gone;
  watch->user_data = user_data;
  source = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (source, (GSourceFunc) (void (*) (void)) on_client_socket, watch, g_free);
  g_source_attach (source, g_main_context_get_thread_default ());
  return source;
}
