/* cc-test-tls-front.c: nginx speaking HTTP/2 over TLS in front of a mock
 *
 * The real API speaks HTTP/2 over TLS, and libsoup's HTTP/2 client is a
 * path of its own (its connections, its flow control, its crashes), that
 * the plain-HTTP mock never takes. Debian's nginx terminates TLS and
 * HTTP/2 with a certificate made for the run and passes each request to
 * the mock over HTTP/1.1, so every behaviour of the mock is there too.
 * Its access log says which connection served each request.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "cc-test-tls-front.h"
#include "cc-test-util.h"

struct _CcTestTlsFront
{
  char        *dir;
  char        *url;
  GSubprocess *nginx;
};

/* The authority every front's certificate is signed as (self-signed). */
static char *trust_dir;

static char *
find_nginx (void)
{
  char *path = g_find_program_in_path ("nginx");

  if (path == NULL && g_file_test ("/usr/sbin/nginx", G_FILE_TEST_IS_EXECUTABLE))
    path = g_strdup ("/usr/sbin/nginx");
  return path;
}

/**
 * cc_test_tls_front_available:
 *
 * Returns: whether nginx and openssl are installed (build-aux/dev test
 *   installs them)
 */
gboolean
cc_test_tls_front_available (void)
{
  g_autofree char *nginx = find_nginx ();
  g_autofree char *openssl = g_find_program_in_path ("openssl");

  return nginx != NULL && openssl != NULL;
}

static void
remove_trust (void)
{
  cc_test_remove_tree (trust_dir);
}

/**
 * cc_test_tls_front_trust:
 *
 * Makes a certificate for 127.0.0.1 and trusts it through SSL_CERT_FILE,
 * which the daemon's upstream session reads. Call from main(), before
 * any thread starts (it sets the environment).
 */
void
cc_test_tls_front_trust (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *cert = NULL;
  g_autofree char *key = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  g_assert_null (trust_dir);
  trust_dir = g_dir_make_tmp ("cc-test-tls-XXXXXX", &error);
  g_assert_no_error (error);
  cert = g_build_filename (trust_dir, "cert.pem", NULL);
  key = g_build_filename (trust_dir, "key.pem", NULL);
  {
    const char *argv[] = {
      "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
      "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
      "-addext", "subjectAltName=IP:127.0.0.1", NULL,
    };

    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                  NULL, NULL, NULL, &err, &status, &error);
  }
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("openssl could not make a certificate: %s", err);
  g_setenv ("SSL_CERT_FILE", cert, TRUE);
  atexit (remove_trust);
}

static guint16
free_port (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (socket, any, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static gboolean
accepts (guint16 port)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, NULL);

  return connection != NULL;
}

static char *
config_for (const char *dir,
            guint16     port,
            GUri       *backend)
{
  return g_strdup_printf (
    "daemon off;\n"
    "worker_processes 1;\n"
    "%s"
    "pid %s/nginx.pid;\n"
    "error_log %s/error.log warn;\n"
    "events { worker_connections 1024; }\n"
    "http {\n"
    "  log_format conns '$connection $connection_requests $server_protocol $status';\n"
    "  access_log %s/access.log conns;\n"
    "  client_body_temp_path %s/body;\n"
    "  proxy_temp_path %s/proxy;\n"
    "  fastcgi_temp_path %s/fastcgi;\n"
    "  uwsgi_temp_path %s/uwsgi;\n"
    "  scgi_temp_path %s/scgi;\n"
    "  client_max_body_size 0;\n"
    "  upstream backend { server %s:%d; keepalive 16; }\n"
    "  server {\n"
    "    listen 127.0.0.1:%u ssl http2;\n"
    "    ssl_certificate %s/cert.pem;\n"
    "    ssl_certificate_key %s/key.pem;\n"
    "    location / {\n"
    "      proxy_pass http://backend;\n"
    "      proxy_http_version 1.1;\n"
    "      proxy_set_header Connection \"\";\n"
    /* Streams pass event by event, bodies as they come. */
    "      proxy_buffering off;\n"
    "      proxy_request_buffering off;\n"
    "      proxy_read_timeout 600s;\n"
    "    }\n"
    "  }\n"
    "}\n",
    geteuid () == 0 ? "user root;\n" : "",
    dir, dir, dir, dir, dir, dir, dir, dir,
    g_uri_get_host (backend), g_uri_get_port (backend),
    port, trust_dir, trust_dir);
}

/**
 * cc_test_tls_front_new:
 * @backend_url: the mock upstream's URL
 *
 * Starts nginx on a free loopback port, serving HTTP/2 (and HTTP/1.1)
 * over TLS with the certificate cc_test_tls_front_trust() made, and
 * waits until it accepts connections.
 *
 * Returns: (transfer full): the front
 */
CcTestTlsFront *
cc_test_tls_front_new (const char *backend_url)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) backend = g_uri_parse (backend_url, G_URI_FLAGS_NONE, &error);
  g_autofree char *nginx = find_nginx ();
  CcTestTlsFront *self = g_new0 (CcTestTlsFront, 1);

  g_assert_no_error (error);
  g_assert_nonnull (trust_dir);
  g_assert_nonnull (nginx);
  self->dir = g_dir_make_tmp ("cc-test-nginx-XXXXXX", &error);
  g_assert_no_error (error);

  /* The port is free when chosen; another process may take it before
   * nginx does, so a start that fails is tried again. */
  for (guint attempt = 0; attempt < 5; attempt++)
    {
      guint16 port = free_port ();
      g_autofree char *config = config_for (self->dir, port, backend);
      g_autofree char *config_path = g_build_filename (self->dir, "nginx.conf", NULL);
      g_autofree char *error_log = g_build_filename (self->dir, "error.log", NULL);
      gint64 until = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

      g_assert_true (g_file_set_contents (config_path, config, -1, NULL));
      self->nginx = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error,
                                      nginx, "-p", self->dir, "-c", config_path, "-e", error_log, NULL);
      g_assert_no_error (error);
      while (!accepts (port) && g_get_monotonic_time () < until)
        {
          /* Gone (the port was taken): no identifier once reaped. */
          if (g_subprocess_get_identifier (self->nginx) == NULL)
            break;
          g_usleep (20 * 1000);
        }
      if (accepts (port))
        {
          self->url = g_strdup_printf ("https://127.0.0.1:%u", port);
          return self;
        }
      g_subprocess_force_exit (self->nginx);
      g_subprocess_wait (self->nginx, NULL, NULL);
      g_clear_object (&self->nginx);
    }
  {
    g_autofree char *error_log = g_build_filename (self->dir, "error.log", NULL);
    g_autofree char *text = NULL;

    g_file_get_contents (error_log, &text, NULL, NULL);
    g_error ("nginx did not start: %s", text ? text : "(no log)");
  }
  return NULL;
}

const char *
cc_test_tls_front_get_url (CcTestTlsFront *self)
{
  return self->url;
}

/**
 * cc_test_tls_front_count_connections:
 * @self: a front
 * @protocol: "HTTP/2.0" or "HTTP/1.1"
 * @requests: (out) (optional): how many requests they served
 *
 * Returns: how many client connections of @protocol served a request
 *   that has ended
 */
guint
cc_test_tls_front_count_connections (CcTestTlsFront *self,
                                     const char     *protocol,
                                     guint          *requests)
{
  g_autofree char *path = g_build_filename (self->dir, "access.log", NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint served = 0;

  if (g_file_get_contents (path, &text, NULL, NULL))
    lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines != NULL && lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit (lines[i], " ", -1);

      if (g_strv_length (fields) < 3 || g_strcmp0 (fields[2], protocol) != 0)
        continue;
      served++;
      g_hash_table_add (seen, g_strdup (fields[0]));
    }
  if (requests != NULL)
    *requests = served;
  return g_hash_table_size (seen);
}

void
cc_test_tls_front_free (CcTestTlsFront *self)
{
  if (self->nginx != NULL)
    {
      g_subprocess_send_signal (self->nginx, SIGTERM);
      g_subprocess_wait (self->nginx, NULL, NULL);
      g_object_unref (self->nginx);
    }
  cc_test_remove_tree (self->dir);
  g_free (self->dir);
  g_free (self->url);
  g_free (self);
}
