/* cc-proxy-listener.c: accepting client connections, and letting them go
 *
 * Two things libsoup 3.2's server does not do, which a service that runs
 * for months needs:
 *
 * - Its listener gives up for good at the first failed accept(): out of
 *   descriptors (EMFILE) once, the service never takes a connection
 *   again. Here accepting pauses instead, with one line in the log, and
 *   resumes as soon as a client connection closes (or a second later).
 *   Client connections are also held to what the descriptor limit
 *   leaves room for, so that forwarding them still finds descriptors.
 *
 * - It never closes a kept-alive connection that its client closed while
 *   idle: the message that waits for the next request reads the end of
 *   the stream, fails, and nothing disconnects it (libsoup commit
 *   d20c6601, "server: do not leak idle connections closed by the
 *   client", fixed it in 3.3.0). Every curl or script request left a
 *   socket in CLOSE-WAIT. Here each idle connection is watched; when its
 *   client has gone, or it stayed idle past the idle timeout, the
 *   connection is taken from libsoup (soup_server_message_steal_connection(),
 *   which makes it forget the connection) and closed.
 *
 * libsoup keeps connections alive only while the server has a listener,
 * so it still gets each listening socket, but its accept source lives on
 * a main context that never runs.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "cc-proxy-pipeline"

#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cc-proxy-hangup.h"
#include "cc-proxy-listener.h"

/* Descriptors kept for everything but client connections: the bus,
 * provider hosts, the capture log, the keyring, libraries. */
#define RESERVED_FDS 64

/* How long accepting waits after running out of descriptors when no
 * client connection closes meanwhile (an upstream one may have). */
#define RETRY_MS 1000

typedef struct _Client Client;

struct _CcProxyListener
{
  GObject       parent_instance;

  SoupServer   *server;
  GMainContext *dormant;        /* where libsoup's own accept waits */
  GPtrArray    *sockets;        /* listening GSockets */
  GPtrArray    *sources;        /* our accept sources, while accepting */
  guint         retry_id;
  GHashTable   *clients;        /* Client set */
  guint         max_clients;
  guint         idle_timeout;   /* seconds */
  GPid          only_peer;      /* 0, or the one process it serves */
  gboolean      out_of_fds;     /* said so in the log, not yet recovered */
};

/* One client connection, from accept() until libsoup lets it go. It is
 * the qdata of the remote address libsoup was given with the connection,
 * which lives exactly as long as libsoup's connection object. */
struct _Client
{
  CcProxyListener   *listener;   /* not a reference; NULL once it is gone */
  GSocket           *socket;
  SoupServerMessage *answered;   /* the last answered message, while idle */
  GSource           *idle_watch;
  guint              idle_timeout_id;
};

G_DEFINE_FINAL_TYPE (CcProxyListener, cc_proxy_listener, G_TYPE_OBJECT)

static G_DEFINE_QUARK (cc-proxy-listener-client, client)

static void start_accepting (CcProxyListener *self);

static void
client_stop_idle (Client *client)
{
  if (client->idle_watch != NULL)
    g_source_destroy (client->idle_watch);
  g_clear_pointer (&client->idle_watch, g_source_unref);
  g_clear_handle_id (&client->idle_timeout_id, g_source_remove);
  g_clear_object (&client->answered);
}

static void
client_free (gpointer data)
{
  Client *client = data;
  CcProxyListener *self = client->listener;

  if (self != NULL)
    g_hash_table_remove (self->clients, client);
  client_stop_idle (client);
  g_clear_object (&client->socket);
  g_free (client);

  /* A descriptor is free again. */
  if (self != NULL && self->sources->len == 0 && self->retry_id == 0)
    start_accepting (self);
}

static Client *
client_from_message (SoupServerMessage *message)
{
  GSocketAddress *remote = soup_server_message_get_remote_address (message);

  return remote != NULL ? g_object_get_qdata (G_OBJECT (remote), client_quark ()) : NULL;
}

/* Takes the idle connection from libsoup and closes it. Only while
 * libsoup waits for a next request that has not begun to arrive: the
 * watch runs before libsoup's own read of the socket (a higher
 * priority), so it is never after libsoup read the end of the stream. */
static void
client_close_idle (Client *client)
{
  g_autoptr(SoupServerMessage) answered = g_steal_pointer (&client->answered);
  g_autoptr(GIOStream) stream = NULL;

  client_stop_idle (client);
  /* Closed by libsoup meanwhile (Connection: close, an error). */
  if (g_socket_is_closed (client->socket))
    return;
  /* This may free @client: libsoup drops the connection and with it the
   * remote address that holds it. */
  stream = soup_server_message_steal_connection (answered);
  if (stream != NULL)
    g_io_stream_close (stream, NULL, NULL);
}

static gboolean
on_idle_hangup (gpointer data)
{
  Client *client = data;

  /* The watch is on its way out. */
  g_clear_pointer (&client->idle_watch, g_source_unref);
  g_debug ("Client closed an idle connection");
  client_close_idle (client);
  return G_SOURCE_REMOVE;
}

static gboolean
on_idle_timeout (gpointer data)
{
  Client *client = data;

  client->idle_timeout_id = 0;
  g_debug ("Closing a client connection idle for %u s", client->listener ? client->listener->idle_timeout : 0);
  client_close_idle (client);
  return G_SOURCE_REMOVE;
}

/* What libsoup decides right after a message's end (soup-server.c,
 * request_finished() and soup_server_message_is_keepalive()). */
static gboolean
stays_open (SoupServerMessage *message)
{
  SoupMessageHeaders *request = soup_server_message_get_request_headers (message);
  SoupMessageHeaders *response = soup_server_message_get_response_headers (message);

  if (soup_server_message_get_http_version (message) != SOUP_HTTP_1_1)
    return FALSE;
  if (soup_message_headers_get_encoding (response) == SOUP_ENCODING_EOF)
    return FALSE;
  return !soup_message_headers_header_contains (request, "Connection", "close") &&
         !soup_message_headers_header_contains (response, "Connection", "close");
}

/* A message was answered (or failed: libsoup reports a 500 it made
 * itself as aborted, and still keeps the connection). */
static void
on_request_done (SoupServer        *server,
                 SoupServerMessage *message,
                 CcProxyListener   *self)
{
  Client *client = client_from_message (message);

  if (client == NULL || !stays_open (message) || g_socket_is_closed (client->socket))
    return;

  client_stop_idle (client);
  client->answered = g_object_ref (message);
  /* What it carried is of no use now; only the connection is. */
  soup_message_body_truncate (soup_server_message_get_request_body (message));
  soup_message_body_truncate (soup_server_message_get_response_body (message));

  /* Before libsoup's own read of the socket: see client_close_idle(). */
  client->idle_watch = cc_proxy_hangup_watch (client->socket, on_idle_hangup, client);
  g_source_set_priority (client->idle_watch, G_PRIORITY_HIGH);
  if (self->idle_timeout > 0)
    client->idle_timeout_id = g_timeout_add_seconds (self->idle_timeout, on_idle_timeout, client);
}

static void
on_request_started (SoupServer        *server,
                    SoupServerMessage *message,
                    CcProxyListener   *self)
{
  Client *client = client_from_message (message);

  if (client != NULL)
    client_stop_idle (client);
}

/* The kernel's word on who connected, not the peer's. */
static gboolean
is_only_peer (CcProxyListener *self,
              GSocket         *socket)
{
  g_autoptr(GCredentials) credentials = NULL;
  g_autoptr(GError) error = NULL;
  pid_t pid;
  uid_t uid;

  credentials = g_socket_get_credentials (socket, &error);
  if (credentials == NULL)
    {
      g_message ("Refusing a connection whose peer is unknown: %s", error->message);
      return FALSE;
    }
  pid = g_credentials_get_unix_pid (credentials, NULL);
  uid = g_credentials_get_unix_user (credentials, NULL);
  if (pid == self->only_peer && uid == getuid ())
    return TRUE;
  g_message ("Refusing a connection from process %d (uid %u): only process %d is served",
             (int) pid, (guint) uid, (int) self->only_peer);
  return FALSE;
}

static void
hand_over (CcProxyListener *self,
           GSocket         *socket)
{
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GSocketAddress) remote = NULL;
  g_autoptr(GError) error = NULL;
  Client *client;

  local = g_socket_get_local_address (socket, &error);
  if (local != NULL)
    remote = g_socket_get_remote_address (socket, &error);
  if (remote == NULL)
    {
      /* Gone before we got to it. */
      g_debug ("Dropping a client connection: %s", error->message);
      g_socket_close (socket, NULL);
      return;
    }
  if (self->only_peer != 0 && !is_only_peer (self, socket))
    {
      g_socket_close (socket, NULL);
      return;
    }
  if (g_socket_get_family (socket) != G_SOCKET_FAMILY_UNIX)
    g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);

  client = g_new0 (Client, 1);
  client->listener = self;
  client->socket = g_object_ref (socket);
  g_hash_table_add (self->clients, client);
  g_object_set_qdata_full (G_OBJECT (remote), client_quark (), client, client_free);

  connection = g_socket_connection_factory_create_connection (socket);
  soup_server_accept_iostream (self->server, G_IO_STREAM (connection), local, remote, NULL);
}

static void
stop_accepting (CcProxyListener *self)
{
  for (guint i = 0; i < self->sources->len; i++)
    g_source_destroy (g_ptr_array_index (self->sources, i));
  g_ptr_array_set_size (self->sources, 0);
}

static void
recovered (CcProxyListener *self)
{
  if (!self->out_of_fds)
    return;
  self->out_of_fds = FALSE;
  g_message ("Accepting client connections again");
}

/* The connection that met EMFILE still waits in the backlog: accepting
 * again finds it. */
static gboolean
on_retry (gpointer data)
{
  CcProxyListener *self = data;

  self->retry_id = 0;
  start_accepting (self);
  return G_SOURCE_REMOVE;
}

static gboolean
on_incoming (GSocket      *listening,
             GIOCondition  condition,
             gpointer      data)
{
  CcProxyListener *self = data;

  /* A burst is taken in one go, but not forever: others wait too. */
  for (guint i = 0; i < 64; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GSocket) socket = NULL;

      if (g_hash_table_size (self->clients) >= self->max_clients)
        {
          /* The rest wait in the kernel's backlog until one closes. */
          g_debug ("%u client connections open: the next waits", g_hash_table_size (self->clients));
          stop_accepting (self);
          return G_SOURCE_REMOVE;
        }

      socket = g_socket_accept (listening, NULL, &error);
      if (socket != NULL)
        {
          recovered (self);
          hand_over (self, socket);
          continue;
        }
      /* accept() takes a descriptor before it looks for a connection:
       * an empty queue says there is one again. */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          recovered (self);
          return G_SOURCE_CONTINUE;
        }
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES) ||
          g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE))
        {
          if (!self->out_of_fds)
            g_message ("Not accepting client connections for now: %s (%u client connections open); "
                       "they wait until descriptors are free again",
                       error->message, g_hash_table_size (self->clients));
          self->out_of_fds = TRUE;
          stop_accepting (self);
          self->retry_id = g_timeout_add (RETRY_MS, on_retry, self);
          return G_SOURCE_REMOVE;
        }
      /* ECONNABORTED and the like: that one client's problem. */
      g_debug ("accept() failed: %s", error->message);
    }
  return G_SOURCE_CONTINUE;
}

static void
start_accepting (CcProxyListener *self)
{
  stop_accepting (self);
  g_clear_handle_id (&self->retry_id, g_source_remove);
  for (guint i = 0; i < self->sockets->len; i++)
    {
      g_autoptr(GSource) source = g_socket_create_source (g_ptr_array_index (self->sockets, i), G_IO_IN, NULL);

      g_source_set_callback (source, (GSourceFunc) (void (*) (void)) on_incoming, self, NULL);
      g_source_attach (source, g_main_context_get_thread_default ());
      g_ptr_array_add (self->sources, g_steal_pointer (&source));
    }
}

/**
 * cc_proxy_listener_add_socket:
 * @self: a listener
 * @socket: a bound, listening socket
 *
 * Serves the connections made to @socket.
 */
gboolean
cc_proxy_listener_add_socket (CcProxyListener  *self,
                              GSocket          *socket,
                              GError          **error)
{
  gboolean listening;

  /* The dormant listener, there so that libsoup keeps connections alive. */
  g_main_context_push_thread_default (self->dormant);
  listening = soup_server_listen_socket (self->server, socket, 0, error);
  g_main_context_pop_thread_default (self->dormant);
  if (!listening)
    return FALSE;

  g_socket_set_blocking (socket, FALSE);
  g_ptr_array_add (self->sockets, g_object_ref (socket));
  start_accepting (self);
  return TRUE;
}

/**
 * cc_proxy_listener_is_out_of_descriptors:
 *
 * Returns: whether accepting stopped for want of descriptors, and has
 *   not found one since (it tries every second)
 */
gboolean
cc_proxy_listener_is_out_of_descriptors (CcProxyListener *self)
{
  return self->out_of_fds;
}

/**
 * cc_proxy_listener_set_idle_timeout:
 * @seconds: how long a kept-alive connection may wait for its next
 *   request; 0 for ever
 */
void
cc_proxy_listener_set_idle_timeout (CcProxyListener *self,
                                    guint            seconds)
{
  self->idle_timeout = seconds;
}

/**
 * cc_proxy_listener_set_only_peer:
 * @pid: the one process whose connections are served (on Unix sockets,
 *   as the kernel tells); others are closed at once. 0 serves anyone.
 */
void
cc_proxy_listener_set_only_peer (CcProxyListener *self,
                                 GPid             pid)
{
  self->only_peer = pid;
}

guint
cc_proxy_listener_get_max_clients (CcProxyListener *self)
{
  return self->max_clients;
}

/* Open client connections: accepted, not yet let go by libsoup. */
guint
cc_proxy_listener_get_n_clients (CcProxyListener *self)
{
  return g_hash_table_size (self->clients);
}

/**
 * cc_proxy_listener_get_client_socket:
 * @message: a message of a connection a listener accepted
 *
 * libsoup knows no socket for a connection it did not accept itself.
 *
 * Returns: (transfer none) (nullable): the connection's socket
 */
GSocket *
cc_proxy_listener_get_client_socket (SoupServerMessage *message)
{
  Client *client = client_from_message (message);

  return client != NULL ? client->socket : soup_server_message_get_socket (message);
}

/**
 * cc_proxy_listener_raise_fd_limit:
 *
 * Raises the soft RLIMIT_NOFILE to the hard one, as systemd advises for
 * programs that never use select(): the soft default (1024) is there
 * for those that do. Once per process, before any listener is made.
 */
void
cc_proxy_listener_raise_fd_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max)
    return;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit (RLIMIT_NOFILE, &limit) != 0)
    g_debug ("Could not raise the descriptor limit: %s", g_strerror (errno));
}

/* Each client connection may need an upstream connection of its own,
 * and the daemon needs some descriptors for itself. */
static guint
max_clients_for_fd_limit (void)
{
  struct rlimit limit;
  guint fds;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0)
    return G_MAXUINT;
  fds = (guint) MIN (limit.rlim_cur, (rlim_t) G_MAXINT);
  return fds > 2 * RESERVED_FDS ? (fds - RESERVED_FDS) / 2 : RESERVED_FDS / 2;
}

static void
cc_proxy_listener_dispose (GObject *object)
{
  CcProxyListener *self = (CcProxyListener *) object;
  GHashTableIter iter;
  gpointer client;

  stop_accepting (self);
  g_clear_handle_id (&self->retry_id, g_source_remove);
  g_hash_table_iter_init (&iter, self->clients);
  while (g_hash_table_iter_next (&iter, &client, NULL))
    {
      client_stop_idle (client);
      ((Client *) client)->listener = NULL;
    }
  g_hash_table_remove_all (self->clients);
  if (self->server != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->server, self);
      /* Before the dormant context goes: the listeners' sources are on it. */
      soup_server_disconnect (self->server);
    }
  g_clear_object (&self->server);
  G_OBJECT_CLASS (cc_proxy_listener_parent_class)->dispose (object);
}

static void
cc_proxy_listener_finalize (GObject *object)
{
  CcProxyListener *self = (CcProxyListener *) object;

  g_ptr_array_unref (self->sources);
  g_ptr_array_unref (self->sockets);
  g_hash_table_unref (self->clients);
  g_main_context_unref (self->dormant);
  G_OBJECT_CLASS (cc_proxy_listener_parent_class)->finalize (object);
}

static void
cc_proxy_listener_class_init (CcProxyListenerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cc_proxy_listener_dispose;
  object_class->finalize = cc_proxy_listener_finalize;
}

static void
cc_proxy_listener_init (CcProxyListener *self)
{
  self->dormant = g_main_context_new ();
  self->sockets = g_ptr_array_new_with_free_func (g_object_unref);
  self->sources = g_ptr_array_new_with_free_func ((GDestroyNotify) g_source_unref);
  self->clients = g_hash_table_new (NULL, NULL);
  self->max_clients = max_clients_for_fd_limit ();
}

/**
 * cc_proxy_listener_new:
 * @server: the server that serves the connections
 */
CcProxyListener *
cc_proxy_listener_new (SoupServer *server)
{
  CcProxyListener *self = g_object_new (CC_PROXY_TYPE_LISTENER, NULL);

  self->server = g_object_ref (server);
  g_signal_connect (server, "request-started", G_CALLBACK (on_request_started), self);
  g_signal_connect (server, "request-finished", G_CALLBACK (on_request_done), self);
  g_signal_connect (server, "request-aborted", G_CALLBACK (on_request_done), self);
  return self;
}
