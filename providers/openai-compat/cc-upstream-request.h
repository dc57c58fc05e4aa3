/* cc-upstream-request.h: one request to an OpenAI-style upstream
 *
 * What every provider whose upstream speaks OpenAI's API (or Anthropic's,
 * relayed) does with a request once it knows where to send it: build the
 * upstream body for the Messages route (chat-completions, Responses, or
 * Anthropic's own), send it, retry once with fresh credentials on 401,
 * and answer: translated (whole or streamed), reshaped errors with their
 * rate-limit headers, or relayed as it is. The provider keeps its routes,
 * its credentials and its endpoint choice, and fills in the hooks.
 *
 * A request is the task data of the GTask that handle_request_async()
 * returns; the functions that take a task own it: each path through a
 * request hands the one reference on until something completes it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <cc-proxy/cc-proxy.h>

G_BEGIN_DECLS

#define CC_UPSTREAM_ERROR (cc_upstream_error_quark ())

typedef enum {
  CC_UPSTREAM_ERROR_RATE_LIMITED,  /* too soon after the last call */
} CcUpstreamError;

GQuark cc_upstream_error_quark (void);

/* The API a Messages request goes to upstream. */
typedef enum {
  CC_UPSTREAM_API_MESSAGES,   /* Anthropic's, natively: relayed with the upstream's model name */
  CC_UPSTREAM_API_CHAT,       /* chat-completions: translated both ways */
  CC_UPSTREAM_API_RESPONSES,  /* the Responses API: translated both ways */
} CcUpstreamApi;

/* What becomes of the upstream's answer. */
typedef enum {
  CC_UPSTREAM_ANSWER_RELAY,     /* as it is */
  CC_UPSTREAM_ANSWER_MESSAGES,  /* an Anthropic Messages answer (translated unless native) */
  CC_UPSTREAM_ANSWER_MODELS,    /* a model list, made Anthropic's by the models hook */
} CcUpstreamAnswer;

typedef struct _CcUpstreamRequest CcUpstreamRequest;
typedef struct _CcUpstreamLimiter CcUpstreamLimiter;

/* One route of a provider's: @route is the provider's own number for
 * it (never 0, which cc_upstream_route_of() gives a path that is not
 * the provider's); @json_body, whether the core parses the body first. */
typedef struct
{
  const char *path;
  int         route;
  const char *method;
  gboolean    json_body;
} CcUpstreamRoute;

CcProxyProviderDescriptor *cc_upstream_descriptor_new (const char                *provider_id,
                                                        const char                *display_name,
                                                        CcProxySettingDescriptor **settings,
                                                        const CcUpstreamRoute     *routes,
                                                        gsize                      n_routes);
void cc_upstream_provider_iface_init (CcProxyProviderInterface *iface,
                                      const CcUpstreamRoute    *routes,
                                      gsize                     n_routes);
int  cc_upstream_route_of            (CcProxyProvider          *provider,
                                      const char               *path);

/**
 * CcUpstreamHooks:
 * @provider_id: the provider's id, whose settings these are
 * @upstream_name: the upstream as people know it ("Copilot"), in errors
 * @build_message: the upstream message for @request (method, URL,
 *   headers, body from its fields)
 * @unauthorized: (nullable): the upstream said 401, the first time: take
 *   @task (return %TRUE) to get new credentials and cc_upstream_send() it
 *   again, or leave it (%FALSE) and the 401 is answered
 * @models_to_anthropic: (nullable): the upstream's model list, as
 *   Anthropic's /v1/models answers it
 */
typedef struct
{
  const char  *provider_id;
  const char  *upstream_name;
  SoupMessage *(*build_message)       (CcUpstreamRequest  *request,
                                       GError            **error);
  gboolean     (*unauthorized)        (GTask              *task);
  JsonNode    *(*models_to_anthropic) (CcUpstreamRequest  *request,
                                       JsonObject         *models);
} CcUpstreamHooks;

struct _CcUpstreamRequest
{
  GObject               *provider;
  CcProxyRequestContext *context;
  CcProxySnapshot       *snapshot;
  const CcUpstreamHooks *hooks;
  int                    route;          /* the provider's own */
  JsonObject            *request;        /* the client's JSON body, if any */
  char                  *token;          /* credentials, once known */
  char                  *base;           /* upstream base URL, once known */
  gboolean               retried;        /* after a 401 */
  CcUpstreamAnswer       answer;
  CcUpstreamApi          api;
  char                  *model;          /* the upstream's name for it */
  gboolean               stream;
  const char            *upstream_path;
  GBytes                *upstream_body;  /* NULL: a GET */
  SoupMessage           *message;        /* the last one sent */
};

GTask             *cc_upstream_request_new       (CcProxyProvider       *provider,
                                                  CcProxyRequestContext *context,
                                                  const CcUpstreamHooks *hooks,
                                                  GCancellable          *cancellable,
                                                  GAsyncReadyCallback    callback,
                                                  gpointer               user_data,
                                                  gpointer               source_tag);
CcUpstreamRequest *cc_upstream_request_get       (GTask                 *task);
const char        *cc_upstream_setting           (CcUpstreamRequest     *request,
                                                  const char            *key);
void               cc_upstream_set_credentials   (CcUpstreamRequest     *request,
                                                  const char            *token,
                                                  const char            *base);
void               cc_upstream_set_messages_body (CcUpstreamRequest     *request,
                                                  CcUpstreamApi          api,
                                                  const char            *model);

SoupMessage       *cc_upstream_new_message       (const char            *provider_id,
                                                  const char            *method,
                                                  const char            *base,
                                                  const char            *path,
                                                  GError               **error);
void               cc_upstream_send              (GTask                 *task);
void               cc_upstream_acquire_slot      (GTask                 *task,
                                                  CcUpstreamLimiter     *limiter,
                                                  void                 (*next) (GTask *task));
void               cc_upstream_not_handled       (GTask                 *task);
void               cc_upstream_respond_json      (GTask                 *task,
                                                  guint                  status,
                                                  const char            *body);
void               cc_upstream_respond_node      (GTask                 *task,
                                                  JsonNode              *node);
void               cc_upstream_respond_error     (GTask                 *task,
                                                  guint                  status,
                                                  const char            *type,
                                                  const char            *message);
void               cc_upstream_fail              (GTask                 *task,
                                                  GError                *error);
void               cc_upstream_count_tokens      (GTask                 *task);

G_END_DECLS
