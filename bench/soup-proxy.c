/* soup-proxy.c: the least a libsoup 3 proxy can do, for bench/run
 *
 *   soup-proxy PORT UPSTREAM-URL
 *
 * One SoupServer, one SoupSession, forwarded requests flagged
 * idempotent so that upstream connections are reused, the answer
 * streamed back chunk by chunk with backpressure, in the upstream's
 * framing (Content-Length stays Content-Length). No routing, no
 * events, no settings: the row it makes in bench/run is the ceiling
 * that cc-proxyd, built on the same stack, can reach.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <libsoup/soup.h>
#include <stdlib.h>

#define CHUNK_SIZE (16 * 1024)

typedef struct
{
  SoupServerMessage *client;
  SoupMessage       *upstream;
  GInputStream      *body;
  char               buffer[CHUNK_SIZE];
} Relay;

static SoupSession *session;
static char *upstream_base;

static void
relay_free (Relay *relay)
{
  g_clear_object (&relay->client);
  g_clear_object (&relay->upstream);
  g_clear_object (&relay->body);
  g_free (relay);
}

static void read_next (Relay *relay);

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Relay *relay = user_data;
  SoupMessageBody *body = soup_server_message_get_response_body (relay->client);
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);

  if (n <= 0)
    {
      soup_message_body_complete (body);
      soup_server_message_unpause (relay->client);
      relay_free (relay);
      return;
    }
  soup_message_body_append (body, SOUP_MEMORY_COPY, relay->buffer, n);
  soup_server_message_unpause (relay->client);
  read_next (relay);
}

static void
read_next (Relay *relay)
{
  g_input_stream_read_async (relay->body, relay->buffer, CHUNK_SIZE, G_PRIORITY_DEFAULT, NULL, on_read, relay);
}

static void
copy_header (const char *name,
             const char *value,
             gpointer    user_data)
{
  if (g_ascii_strcasecmp (name, "Content-Length") != 0 && g_ascii_strcasecmp (name, "Transfer-Encoding") != 0 &&
      g_ascii_strcasecmp (name, "Connection") != 0 && g_ascii_strcasecmp (name, "Host") != 0)
    soup_message_headers_append (user_data, name, value);
}

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Relay *relay = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (relay->client);

  relay->body = soup_session_send_finish (session, result, NULL);
  if (relay->body == NULL)
    {
      soup_server_message_set_status (relay->client, SOUP_STATUS_BAD_GATEWAY, NULL);
      soup_server_message_unpause (relay->client);
      relay_free (relay);
      return;
    }
  soup_server_message_set_status (relay->client, soup_message_get_status (relay->upstream), NULL);
  soup_message_headers_foreach (soup_message_get_response_headers (relay->upstream), copy_header, headers);
  /* The upstream's framing kept, as cc-proxyd keeps it: re-chunking a
   * Content-Length answer costs more, and would flatter the proxy. */
  if (soup_message_headers_get_encoding (soup_message_get_response_headers (relay->upstream)) ==
      SOUP_ENCODING_CONTENT_LENGTH)
    soup_message_headers_set_content_length (headers,
                                             soup_message_headers_get_content_length (
                                               soup_message_get_response_headers (relay->upstream)));
  else
    soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  soup_message_body_set_accumulate (soup_server_message_get_response_body (relay->client), FALSE);
  read_next (relay);
}

static void
handle (SoupServer        *server,
        SoupServerMessage *message,
        const char        *path,
        GHashTable        *query,
        gpointer           user_data)
{
  Relay *relay = g_new0 (Relay, 1);
  g_autofree char *url = g_strconcat (upstream_base, path, NULL);
  g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (message));

  relay->client = g_object_ref (message);
  relay->upstream = soup_message_new (soup_server_message_get_method (message), url);
  soup_message_headers_foreach (soup_server_message_get_request_headers (message), copy_header,
                                soup_message_get_request_headers (relay->upstream));
  if (g_bytes_get_size (body) > 0)
    soup_message_set_request_body_from_bytes (relay->upstream, NULL, body);
  soup_message_add_flags (relay->upstream, SOUP_MESSAGE_IDEMPOTENT);
  soup_server_message_pause (message);
  soup_session_send_async (session, relay->upstream, G_PRIORITY_DEFAULT, NULL, on_sent, relay);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GError) error = NULL;

  if (argc != 3)
    {
      g_printerr ("usage: soup-proxy PORT UPSTREAM-URL\n");
      return 2;
    }
  upstream_base = argv[2];
  session = soup_session_new_with_options ("max-conns", 512, "max-conns-per-host", 256, NULL);
  soup_session_remove_feature_by_type (session, SOUP_TYPE_CONTENT_DECODER);
  server = soup_server_new (NULL, NULL);
  soup_server_add_handler (server, NULL, handle, NULL, NULL);
  if (!soup_server_listen_local (server, atoi (argv[1]), SOUP_SERVER_LISTEN_IPV4_ONLY, &error))
    {
      g_printerr ("soup-proxy: %s\n", error->message);
      return 1;
    }
  loop = g_main_loop_new (NULL, FALSE);
  g_main_loop_run (loop);
  return 0;
}
