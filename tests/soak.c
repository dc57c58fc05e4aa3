/* soak.c: cc-proxyd under the load it lives with, for minutes
 *
 * One real daemon on a private bus, its upstream nginx speaking HTTP/2
 * over TLS before the libsoup mock, and workers that never stop
 * sending: short connections and kept-alive ones, bodies of 8 KB to
 * 2 MB, JSON answers and streams, clients that leave mid-stream,
 * upstream errors and cuts. Every 20 s the active provider changes over
 * D-Bus (the passthrough, or the openai provider in its host), and
 * every few minutes that host is killed.
 *
 * Every 10 s it samples the resident memory, descriptors, CLOSE-WAIT
 * sockets and threads of the daemon and of its hosts. It fails when a
 * request fails for a reason the load did not inject, when memory,
 * descriptors or threads keep growing (the last third of the run
 * against the part from a sixth to a third in, the first minute aside;
 * see check_flat()), when a socket is left in CLOSE-WAIT once the load
 * stops, or when the daemon or the mock upstream still counts a client
 * connection once its clients are gone.
 *
 * CC_PROXY_SOAK_MINUTES sets the length (2 when unset); build-aux/dev
 * soak MINUTES runs it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <signal.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "cc-test-daemon.h"
#include "cc-test-tls-front.h"
#include "cc-test-upstream.h"
#include "cc-test-util.h"

#define WORKERS 8
#define SAMPLE_SECONDS 10
#define SWITCH_SECONDS 20
/* After a host is killed, requests may fail this long. */
#define KILL_GRACE_SECONDS 5

typedef enum
{
  KIND_MESSAGES,     /* /v1/messages, JSON: the active provider's answer */
  KIND_STREAM,       /* a whole Anthropic stream, relayed */
  KIND_LEAVE,        /* a held stream the client leaves after its first event */
  KIND_ERROR,        /* the upstream answers 529 */
  KIND_CUT,          /* the upstream drops the connection mid-stream */
  N_KINDS
} Kind;

static const char * const kind_paths[] = { "/v1/messages", "/soak/stream", "/soak/held", "/soak/error", "/soak/cut" };
static const char * const kind_names[] = { "messages", "stream", "leave", "error", "cut" };

typedef struct
{
  guint64 rss_kb;
  guint   fds;
  guint   close_wait;
  guint   threads;
} Usage;

typedef struct
{
  Usage daemon;
  Usage hosts;
  guint clients;   /* client connections the daemon counts open */
} Sample;

typedef struct
{
  Daemon          *daemon;
  CcTestUpstream  *upstream;
  CcTestTlsFront  *front;
  GDBusConnection *bus;
  SoupSession     *session;
  GBytes          *bodies[6];
  GBytes          *stream;
  gint64           started;
  gint64           until;
  gint64           last_kill;
  guint            kill_source;
  gboolean         stopping;
  guint            running;
  guint64          ok[N_KINDS];
  guint64          injected;
  guint64          unexplained;
  guint64          unexplained_of[N_KINDS];
  guint64          kills;
  guint64          switches;
  guint64          last_answered;
  gboolean         stall_reported;
  GArray          *samples;
} Soak;

typedef struct
{
  Soak         *soak;
  Kind          kind;
  SoupMessage  *message;
  GCancellable *cancellable;
  GInputStream *input;
  GString      *answer;
  char          buffer[16384];
} Request;

static void worker_next (Soak *soak);

static double
seconds_in (Soak *soak)
{
  return (g_get_monotonic_time () - soak->started) / (double) G_USEC_PER_SEC;
}

static void
request_free (Request *request)
{
  g_clear_object (&request->message);
  g_clear_object (&request->cancellable);
  g_clear_object (&request->input);
  if (request->answer != NULL)
    g_string_free (request->answer, TRUE);
  g_free (request);
}

/* A failure right after a host was killed is one the soak caused. */
static void
failed (Request    *request,
        const char *why)
{
  Soak *soak = request->soak;

  if (soak->last_kill != 0 && g_get_monotonic_time () - soak->last_kill < KILL_GRACE_SECONDS * G_USEC_PER_SEC)
    {
      soak->injected++;
      return;
    }
  soak->unexplained++;
  soak->unexplained_of[request->kind]++;
  if (soak->unexplained <= 10)
    g_test_message ("at %.0f s, %s %s failed: %s", seconds_in (soak), kind_names[request->kind],
                    kind_paths[request->kind], why);
}

static gboolean
is_message (const char *text)
{
  g_autoptr(JsonNode) node = json_from_string (text, NULL);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) &&
         g_strcmp0 (json_object_get_string_member_with_default (json_node_get_object (node), "type", NULL),
                    "message") == 0;
}

/* Whether the whole answer is what @kind should get. */
static void
check_answer (Request *request)
{
  Soak *soak = request->soak;
  guint status = soup_message_get_status (request->message);
  g_autofree char *why = NULL;
  gboolean ok = FALSE;

  switch (request->kind)
    {
    case KIND_MESSAGES:
      ok = status == 200 && is_message (request->answer->str);
      break;
    case KIND_STREAM:
      ok = status == 200 && g_bytes_get_size (soak->stream) == request->answer->len &&
           memcmp (g_bytes_get_data (soak->stream, NULL), request->answer->str, request->answer->len) == 0;
      break;
    case KIND_ERROR:
      ok = status == 529 && strstr (request->answer->str, "overloaded_error") != NULL;
      break;
    case KIND_CUT:
      ok = status == 200 && strstr (request->answer->str, "event: error\n") != NULL;
      break;
    case KIND_LEAVE:
    case N_KINDS:
      g_assert_not_reached ();
    }
  if (ok)
    {
      soak->ok[request->kind]++;
      return;
    }
  why = g_strdup_printf ("status %u, %" G_GSIZE_FORMAT " bytes: %s", status, request->answer->len,
                         request->answer->str);
  failed (request, why);
}

static void
request_done (Request *request)
{
  Soak *soak = request->soak;

  request_free (request);
  soak->running--;
  worker_next (soak);
}

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Request *request = user_data;
  g_autoptr(GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);

  if (n > 0)
    {
      g_string_append_len (request->answer, request->buffer, n);
      /* The first event is in: this client goes away. */
      if (request->kind == KIND_LEAVE)
        {
          request->soak->ok[KIND_LEAVE]++;
          g_cancellable_cancel (request->cancellable);
          request_done (request);
          return;
        }
      g_input_stream_read_async (request->input, request->buffer, sizeof request->buffer, G_PRIORITY_DEFAULT,
                                 request->cancellable, on_read, request);
      return;
    }
  if (n < 0)
    failed (request, error->message);
  else
    check_answer (request);
  request_done (request);
}

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Request *request = user_data;
  g_autoptr(GError) error = NULL;

  request->input = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (request->input == NULL)
    {
      failed (request, error->message);
      request_done (request);
      return;
    }
  request->answer = g_string_new (NULL);
  g_input_stream_read_async (request->input, request->buffer, sizeof request->buffer, G_PRIORITY_DEFAULT,
                             request->cancellable, on_read, request);
}

/* Mostly small bodies, as a conversation starts; now and then a long one. */
static GBytes *
pick_body (Soak *soak)
{
  guint i = g_random_int_range (0, 100);

  return soak->bodies[i < 40 ? 0 : i < 65 ? 1 : i < 80 ? 2 : i < 90 ? 3 : i < 96 ? 4 : 5];
}

static Kind
pick_kind (void)
{
  guint i = g_random_int_range (0, 100);

  return i < 50 ? KIND_MESSAGES : i < 75 ? KIND_STREAM : i < 85 ? KIND_LEAVE : i < 93 ? KIND_ERROR : KIND_CUT;
}

static void
worker_next (Soak *soak)
{
  Request *request;
  g_autofree char *url = NULL;

  if (soak->stopping)
    return;
  request = g_new0 (Request, 1);
  request->soak = soak;
  request->kind = pick_kind ();
  request->cancellable = g_cancellable_new ();
  url = g_strconcat (soak->daemon->url, kind_paths[request->kind], NULL);
  request->message = soup_message_new ("POST", url);
  soup_message_set_request_body_from_bytes (request->message, "application/json", pick_body (soak));
  /* A third of the requests as curl and scripts make them: a
   * connection each. */
  if (g_random_int_range (0, 3) == 0)
    soup_message_headers_replace (soup_message_get_request_headers (request->message), "Connection", "close");
  soak->running++;
  soup_session_send_async (soak->session, request->message, G_PRIORITY_DEFAULT, request->cancellable, on_sent,
                           request);
}

/* ----- what the soak does besides the load ----- */

static const char *
daemon_pid (Soak *soak)
{
  return g_subprocess_get_identifier (soak->daemon->process);
}

static void
add_usage (Usage      *usage,
           const char *pid)
{
  usage->rss_kb += cc_test_process_read_status (pid, "VmRSS");
  usage->threads += cc_test_process_read_status (pid, "Threads");
  usage->fds += cc_test_process_count_fds (pid);
  usage->close_wait += cc_test_process_count_close_wait (pid);
}

static guint
uint_property (Soak       *soak,
               const char *name)
{
  g_autoptr(GVariant) value = cc_test_get_property (soak->bus, "/org/ccproxy/Proxy1", "org.ccproxy.Proxy1", name);

  return g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32) ? g_variant_get_uint32 (value)
                                                               : (guint) g_variant_get_uint64 (value);
}

/* Nothing answered for a whole sample: say where everything stands,
 * and (once) where the daemon's threads are, for whoever reads the log. */
static void
report_stall (Soak *soak)
{
  g_autofree char *stacks = NULL;
  g_autofree char *command = NULL;

  g_test_message ("STALL: nothing answered in %u s; cc-proxyd has %u requests active, %u client connections; "
                  "the mock upstream %u client connections; %u requests running here",
                  SAMPLE_SECONDS, uint_property (soak, "RequestsActive"), uint_property (soak, "ClientConnections"),
                  cc_test_upstream_get_n_clients (soak->upstream), soak->running);
  if (soak->stall_reported)
    return;
  soak->stall_reported = TRUE;
  command = g_strdup_printf ("gdb -p %s -batch -ex 'thread apply all bt 20'", daemon_pid (soak));
  if (g_spawn_command_line_sync (command, &stacks, NULL, NULL, NULL) && stacks != NULL)
    g_test_message ("cc-proxyd's threads:\n%s", stacks);
}

static gboolean
on_sample (gpointer user_data)
{
  Soak *soak = user_data;
  g_auto(GStrv) hosts = NULL;
  Sample sample = { { 0, }, };
  guint64 ok = 0;

  /* The one failure the soak cannot go on from: say what it said. */
  if (daemon_pid (soak) == NULL)
    g_error ("cc-proxyd exited at %.0f s; what it wrote:\n%s", seconds_in (soak), soak->daemon->err_text->str);
  hosts = cc_test_process_children (daemon_pid (soak));

  add_usage (&sample.daemon, daemon_pid (soak));
  /* At most one a worker while the load runs: a record kept for a
   * connection libsoup dropped would, at the cap, stop all accepting. */
  sample.clients = uint_property (soak, "ClientConnections");
  for (guint i = 0; hosts[i] != NULL; i++)
    if (hosts[i][0] != '\0')
      add_usage (&sample.hosts, hosts[i]);
  g_array_append_val (soak->samples, sample);
  for (guint k = 0; k < N_KINDS; k++)
    ok += soak->ok[k];
  if (ok == soak->last_answered && !soak->stopping)
    report_stall (soak);
  soak->last_answered = ok;
  g_test_message ("%5.0f s  cc-proxyd %6.1f MiB %4u fds %2u threads %u close-wait %3u clients | hosts %6.1f MiB %4u fds "
                  "%2u threads %u close-wait | %" G_GUINT64_FORMAT " answered, %" G_GUINT64_FORMAT
                  " failed as injected, %" G_GUINT64_FORMAT " unexplained",
                  seconds_in (soak), sample.daemon.rss_kb / 1024.0, sample.daemon.fds, sample.daemon.threads,
                  sample.daemon.close_wait, sample.clients, sample.hosts.rss_kb / 1024.0, sample.hosts.fds, sample.hosts.threads,
                  sample.hosts.close_wait, ok, soak->injected, soak->unexplained);
  return G_SOURCE_CONTINUE;
}

/* A settings change over the bus, as cc-proxyctl and the window make. */
static gboolean
on_switch (gpointer user_data)
{
  Soak *soak = user_data;
  const char *next = soak->switches++ % 2 == 0 ? "openai" : "anthropic";
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_sync (soak->bus, "org.ccproxy.Proxy1", "/org/ccproxy/Proxy1",
                                       "org.freedesktop.DBus.Properties", "Set",
                                       g_variant_new ("(ssv)", "org.ccproxy.Proxy1", "ActiveProvider",
                                                      g_variant_new_string (next)),
                                       NULL, G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
  g_assert_no_error (error);
  return G_SOURCE_CONTINUE;
}

/* The provider host dies as a crashing plugin would take it down. */
static gboolean
on_kill (gpointer user_data)
{
  Soak *soak = user_data;
  g_auto(GStrv) hosts = cc_test_process_children (daemon_pid (soak));

  for (guint i = 0; hosts[i] != NULL; i++)
    if (hosts[i][0] != '\0')
      {
        soak->last_kill = g_get_monotonic_time ();
        soak->kills++;
        kill (atoi (hosts[i]), SIGKILL);
        g_test_message ("%5.0f s  killed provider host %s", seconds_in (soak), hosts[i]);
      }
  soak->kill_source = g_timeout_add_seconds (180, on_kill, soak);
  return G_SOURCE_REMOVE;
}

static gboolean
on_release (gpointer user_data)
{
  Soak *soak = user_data;

  cc_test_upstream_release (soak->upstream);
  return G_SOURCE_CONTINUE;
}

/* ----- the verdict ----- */

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

/* Over samples [from, to): the peak and the median of the resident
 * memory, the peaks of descriptors and threads. */
static void
window_stats (Soak    *soak,
              guint    from,
              guint    to,
              gboolean hosts,
              double  *rss_max,
              double  *rss_median,
              guint   *fds_max,
              guint   *threads_max)
{
  g_autoptr(GArray) rss = g_array_new (FALSE, FALSE, sizeof (double));

  *rss_max = *rss_median = 0;
  *fds_max = *threads_max = 0;
  for (guint i = from; i < to; i++)
    {
      Sample *sample = &g_array_index (soak->samples, Sample, i);
      Usage *usage = hosts ? &sample->hosts : &sample->daemon;
      double kb = usage->rss_kb;

      g_array_append_val (rss, kb);
      *rss_max = MAX (*rss_max, kb);
      *fds_max = MAX (*fds_max, usage->fds);
      *threads_max = MAX (*threads_max, usage->threads);
    }
  if (rss->len == 0)
    return;
  g_array_sort (rss, compare_doubles);
  *rss_median = rss->len % 2 ? g_array_index (rss, double, rss->len / 2)
                             : (g_array_index (rss, double, rss->len / 2 - 1) + g_array_index (rss, double, rss->len / 2)) / 2;
}

/* Flat: the daemon's typical (median) memory in the last third of the
 * run within 5 % (and 2 MiB) of its typical memory from a sixth to a
 * third in (minutes 5 to 10 of 30); descriptors and threads no higher
 * than there, give or take what the load's own swings make. Memory
 * swings by a fifth with the large bodies in flight: it dips after a
 * host crash (the requests it held are gone) and peaks for a sample
 * when several 2 MB bodies meet, so neither means nor peaks compare
 * well (a 30-minute run failed on one peak), while medians do: on that
 * run's samples, a leak of 0.25 MiB a minute added fails the check.
 * A run too short for a median of the earlier part (under 5 samples:
 * CI's 2 minutes) compares against its peak instead. The first minute
 * is not compared: memory climbs until the mix has once had its most
 * large bodies at once. A host starts afresh when killed and idles
 * while the other provider serves: it is compared over the first half
 * (from a sixth in) against the last third, within 20 % and 8 MiB. */
static gboolean
check_flat (Soak       *soak,
            gboolean    hosts,
            const char *who)
{
  guint n = soak->samples->len;
  guint warm = 60 / SAMPLE_SECONDS;
  guint from = hosts ? MAX (n / 6, 1) : MAX (n / 6, warm), to = MAX (hosts ? n / 2 : n / 3, from + 2);
  double early_peak, early_median, late_peak, late_median, early;
  guint early_fds, late_fds, early_threads, late_threads;
  gboolean flat;

  window_stats (soak, from, to, hosts, &early_peak, &early_median, &early_fds, &early_threads);
  window_stats (soak, 2 * n / 3, n, hosts, &late_peak, &late_median, &late_fds, &late_threads);
  early = to - from >= 5 ? early_median : early_peak;
  flat = late_median <= early * (hosts ? 1.2 : 1.05) + (hosts ? 8192 : 2048) &&
         late_fds <= early_fds + 2 * WORKERS && late_threads <= early_threads + 4;
  g_test_message ("%s: memory median %.1f MiB (at most %.1f), later median %.1f MiB (at most %.1f): "
                  "%+.1f %% against the earlier %s; descriptors at most %u -> %u, threads at most %u -> %u: %s",
                  who, early_median / 1024, early_peak / 1024, late_median / 1024, late_peak / 1024,
                  early > 0 ? 100 * (late_median - early) / early : 0, early == early_median ? "median" : "peak",
                  early_fds, late_fds, early_threads, late_threads, flat ? "flat" : "GROWING");
  return flat;
}

static gboolean
load_drained (gpointer user_data)
{
  Soak *soak = user_data;

  return soak->running == 0;
}

static gboolean
no_close_wait (gpointer user_data)
{
  Soak *soak = user_data;

  return cc_test_process_count_close_wait (daemon_pid (soak)) == 0;
}

static gboolean
daemon_has_no_clients (gpointer user_data)
{
  return uint_property (user_data, "ClientConnections") == 0;
}

static gboolean
mock_has_no_clients (gpointer user_data)
{
  Soak *soak = user_data;

  return cc_test_upstream_get_n_clients (soak->upstream) == 0;
}

static GBytes *
request_body (gsize size)
{
  GString *body = g_string_new ("{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":64,\"messages\":"
                                "[{\"role\":\"user\",\"content\":\"");

  while (body->len < size - 4)
    g_string_append (body, "Tell me about the soak. ");
  g_string_append (body, "\"}]}");
  return g_string_free_to_bytes (body);
}

static void
set_up_upstream (Soak *soak)
{
  g_autofree char *stream = cc_test_load_fixture_text ("anthropic-stream-text.sse");
  g_autofree char *message = cc_test_load_expected_text ("anthropic-response-tools.json");
  g_autofree char *openai = cc_test_load_fixture_text ("openai-response-tools.json");
  g_auto(GStrv) events = NULL;
  g_autoptr(GPtrArray) cut = g_ptr_array_new ();
  const char *whole[] = { stream, NULL };

  soak->upstream = cc_test_upstream_new ();
  cc_test_upstream_forget_requests (soak->upstream);
  soak->stream = g_bytes_new (stream, strlen (stream));
  cc_test_upstream_respond (soak->upstream, "/v1/messages", 200, "application/json", message, -1);
  cc_test_upstream_respond (soak->upstream, "/chat/completions", 200, "application/json", openai, -1);
  cc_test_upstream_respond (soak->upstream, "/soak/error", 529, "application/json",
                            "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}", -1);
  cc_test_upstream_stream (soak->upstream, "/soak/stream", whole, G_MAXUINT, FALSE);

  /* Event by event: held after the first, or cut after the third. */
  events = g_strsplit (stream, "\n\n", -1);
  for (guint i = 0; events[i] != NULL && events[i + 1] != NULL; i++)
    {
      char *event = g_strconcat (events[i], "\n\n", NULL);

      g_free (events[i]);
      events[i] = event;
    }
  cc_test_upstream_stream (soak->upstream, "/soak/held", (const char * const *) events, 1, FALSE);
  for (guint i = 0; i < 3; i++)
    g_ptr_array_add (cut, events[i]);
  g_ptr_array_add (cut, NULL);
  cc_test_upstream_stream (soak->upstream, "/soak/cut", (const char * const *) cut->pdata, G_MAXUINT, TRUE);
}

static void
test_soak (void)
{
  const char *minutes_text = g_getenv ("CC_PROXY_SOAK_MINUTES");
  double minutes = minutes_text != NULL ? g_ascii_strtod (minutes_text, NULL) : 2;
  g_autoptr(GTestDBus) bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  Soak soak = { 0, };
  guint sources[3];
  gboolean flat = TRUE;
  guint64 ok = 0;

  if (!cc_test_tls_front_available ())
    {
      g_test_skip ("the soak needs nginx and openssl (build-aux/dev soak installs them)");
      return;
    }
  g_assert_cmpfloat (minutes, >, 0);
  cc_test_dbus_up (bus);
  soak.bus = cc_test_bus_connection (bus);
  set_up_upstream (&soak);
  soak.front = cc_test_tls_front_new (cc_test_upstream_get_url (soak.upstream));
  {
    g_autofree char *openai_url = g_strdup (cc_test_tls_front_get_url (soak.front));
    const char *env[] = {
      "CC_PROXY_PROVIDER_DIR", g_getenv ("CC_PROXY_TEST_OPENAI_DIR"),
      "CC_PROXY_OPENAI_BASE_URL", openai_url,
      "CC_PROXY_OPENAI_API_KEY", "sk-soak",
      "CC_PROXY_OPENAI_MODEL", "soak-model",
      NULL,
    };

    soak.daemon = daemon_start (env, cc_test_tls_front_get_url (soak.front));
  }
  soak.session = soup_session_new_with_options ("timeout", 60, "max-conns", WORKERS * 2,
                                                "max-conns-per-host", WORKERS * 2, NULL);
  {
    static const gsize sizes[] = { 8 << 10, 64 << 10, 256 << 10, 512 << 10, 1 << 20, 2 << 20 };

    for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
      soak.bodies[i] = request_body (sizes[i]);
  }
  soak.samples = g_array_new (FALSE, TRUE, sizeof (Sample));
  soak.started = g_get_monotonic_time ();
  soak.until = soak.started + (gint64) (minutes * 60 * G_USEC_PER_SEC);
  g_test_message ("soak: %.1f minutes, %u workers, cc-proxyd %s, upstream %s (nginx, HTTP/2 over TLS)", minutes,
                  WORKERS, soak.daemon->url, cc_test_tls_front_get_url (soak.front));

  sources[0] = g_timeout_add_seconds (SAMPLE_SECONDS, on_sample, &soak);
  /* The host serves from the start, so that its early figures are of
   * a host at work. */
  on_switch (&soak);
  sources[1] = g_timeout_add_seconds (SWITCH_SECONDS, on_switch, &soak);
  /* A crash a minute in, then every three minutes. */
  sources[2] = g_timeout_add (500, on_release, &soak);
  soak.kill_source = g_timeout_add_seconds (60, on_kill, &soak);
  for (guint i = 0; i < WORKERS; i++)
    worker_next (&soak);
  while (g_get_monotonic_time () < soak.until)
    g_main_context_iteration (NULL, TRUE);

  soak.stopping = TRUE;
  cc_test_wait_for (load_drained, &soak);
  for (guint i = 0; i < G_N_ELEMENTS (sources); i++)
    g_source_remove (sources[i]);
  g_source_remove (soak.kill_source);
  on_sample (&soak);
  /* Nothing half-closed stays once the clients are gone. */
  cc_test_wait_for (no_close_wait, &soak);

  for (guint k = 0; k < N_KINDS; k++)
    {
      g_test_message ("%s: %" G_GUINT64_FORMAT " as expected, %" G_GUINT64_FORMAT " unexplained", kind_names[k],
                      soak.ok[k], soak.unexplained_of[k]);
      ok += soak.ok[k];
    }
  g_test_message ("%" G_GUINT64_FORMAT " requests answered as expected, %" G_GUINT64_FORMAT
                  " failed in the %u s after a host was killed, %" G_GUINT64_FORMAT " unexplained",
                  ok, soak.injected, KILL_GRACE_SECONDS, soak.unexplained);
  flat = check_flat (&soak, FALSE, "cc-proxyd") & check_flat (&soak, TRUE, "provider hosts");

  g_assert_cmpuint (soak.unexplained, ==, 0);
  g_assert_cmpuint (soak.ok[KIND_MESSAGES], >, 0);
  g_assert_true (flat);

  /* And once they closed, cc-proxyd holds none of theirs. */
  soup_session_abort (soak.session);
  cc_test_wait_for (daemon_has_no_clients, &soak);
  daemon_stop (soak.daemon);
  g_clear_object (&soak.session);
  for (guint i = 0; i < G_N_ELEMENTS (soak.bodies); i++)
    g_bytes_unref (soak.bodies[i]);
  g_bytes_unref (soak.stream);
  g_array_unref (soak.samples);
  cc_test_tls_front_free (soak.front);
  /* The harness let go of every connection too: a mock that keeps them
   * stops answering minutes into a long run. */
  cc_test_wait_for (mock_has_no_clients, &soak);
  g_object_unref (soak.upstream);
  g_object_unref (soak.bus);
  g_test_dbus_down (bus);
}

static void
drop_message (const char     *domain,
              GLogLevelFlags  level,
              const char     *message,
              gpointer        user_data)
{
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* GTest logs every debug message in TAP mode: GSocketClient's alone
   * came to 4 MB a minute of soak. */
  g_log_set_handler ("GLib-GIO", G_LOG_LEVEL_DEBUG, drop_message, NULL);
  g_test_summary ("cc-proxyd under mixed load for minutes: no failure the load did not cause, nothing grows");

  if (cc_test_tls_front_available ())
    cc_test_tls_front_trust ();
  g_test_add_func ("/soak/mixed-load", test_soak);
  return g_test_run ();
}
