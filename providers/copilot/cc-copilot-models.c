/* cc-copilot-models.c: Copilot's model list, cached
 *
 * Which endpoint a model takes decides how a Messages request is served.
 * The list is refreshed at most every few minutes, or sooner when a
 * request names a model it does not have (not more than twice a minute).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "cc-copilot-models.h"

#define MAX_AGE_SECONDS (5 * 60)
#define UNKNOWN_MODEL_RETRY_SECONDS 30

struct _CcCopilotModels
{
  const CcUpstreamClock *clock;
  JsonObject           *answer;
  gint64                fetched_at;   /* µs */
};

CcCopilotModels *
cc_copilot_models_new (const CcUpstreamClock *clock)
{
  CcCopilotModels *self = g_new0 (CcCopilotModels, 1);

  self->clock = clock;
  return self;
}

void
cc_copilot_models_free (CcCopilotModels *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->answer, json_object_unref);
  g_free (self);
}

/* A fresh `GET /models` answer. */
void
cc_copilot_models_update (CcCopilotModels *self,
                          JsonObject      *answer)
{
  g_clear_pointer (&self->answer, json_object_unref);
  self->answer = json_object_ref (answer);
  self->fetched_at = self->clock->now (self->clock->data);
}

static JsonObject *
lookup (CcCopilotModels *self,
        const char      *model)
{
  JsonArray *data = cc_proxy_json_get_array (self->answer, "data");

  for (guint i = 0; data != NULL && i < json_array_get_length (data); i++)
    {
      JsonObject *entry = cc_proxy_json_array_get_object (data, i);

      if (g_strcmp0 (cc_proxy_json_get_string (entry, "id"), model) == 0)
        return entry;
    }
  return NULL;
}

gboolean
cc_copilot_models_needs_refresh (CcCopilotModels *self,
                                 const char      *model)
{
  gint64 age = self->clock->now (self->clock->data) - self->fetched_at;

  if (self->answer == NULL || age >= MAX_AGE_SECONDS * G_USEC_PER_SEC)
    return TRUE;
  return model != NULL && lookup (self, model) == NULL && age >= UNKNOWN_MODEL_RETRY_SECONDS * G_USEC_PER_SEC;
}

/**
 * cc_copilot_models_dup_ids:
 *
 * Returns: (transfer full) (nullable): the model ids, or %NULL while the
 *   list is unknown
 */
GStrv
cc_copilot_models_dup_ids (CcCopilotModels *self)
{
  JsonArray *data = cc_proxy_json_get_array (self->answer, "data");
  g_autoptr(GStrvBuilder) ids = NULL;

  if (data == NULL)
    return NULL;
  ids = g_strv_builder_new ();
  for (guint i = 0; i < json_array_get_length (data); i++)
    {
      const char *id = cc_proxy_json_get_string (cc_proxy_json_array_get_object (data, i), "id");

      if (id != NULL)
        g_strv_builder_add (ids, id);
    }
  return g_strv_builder_end (ids);
}

/**
 * cc_copilot_models_get_endpoint:
 *
 * A model not in the list, or one that lists no endpoints, is served by
 * translation to chat-completions; one that lists only /responses, by
 * translation to the Responses API.
 */
CcUpstreamApi
cc_copilot_models_get_endpoint (CcCopilotModels *self,
                                const char      *model)
{
  JsonArray *endpoints = cc_proxy_json_get_array (lookup (self, model), "supported_endpoints");
  gboolean messages = FALSE, chat = FALSE, any = FALSE;

  for (guint i = 0; endpoints != NULL && i < json_array_get_length (endpoints); i++)
    {
      JsonNode *node = json_array_get_element (endpoints, i);
      const char *name = json_node_get_value_type (node) == G_TYPE_STRING ? json_node_get_string (node) : NULL;

      if (name == NULL)
        continue;
      any = TRUE;
      messages |= g_str_equal (name, "/v1/messages");
      chat |= g_str_equal (name, "/chat/completions");
    }

  if (messages)
    return CC_UPSTREAM_API_MESSAGES;
  if (chat || !any)
    return CC_UPSTREAM_API_CHAT;
  return CC_UPSTREAM_API_RESPONSES;
}

/**
 * cc_copilot_models_get_prompt_limit:
 *
 * Returns: the most input tokens Copilot takes for @model
 *   (capabilities.limits.max_prompt_tokens, far below the model's own
 *   window), or 0 when it does not say
 */
gint64
cc_copilot_models_get_prompt_limit (CcCopilotModels *self,
                                    const char      *model)
{
  JsonObject *limits = cc_proxy_json_get_object (cc_proxy_json_get_object (lookup (self, model), "capabilities"), "limits");

  return MAX (cc_proxy_json_get_int (limits, "max_prompt_tokens", 0), 0);
}

/**
 * cc_copilot_models_get_multiplier:
 *
 * Returns: how many premium requests a request of the user's to @model
 *   costs (billing.multiplier: 0 for the plan's base models), 1 when
 *   Copilot does not say
 */
gdouble
cc_copilot_models_get_multiplier (CcCopilotModels *self,
                                  const char      *model)
{
  JsonObject *billing = cc_proxy_json_get_object (lookup (self, model), "billing");
  JsonNode *multiplier = billing != NULL ? json_object_get_member (billing, "multiplier") : NULL;

  if (multiplier == NULL || !JSON_NODE_HOLDS_VALUE (multiplier) ||
      (json_node_get_value_type (multiplier) != G_TYPE_DOUBLE && json_node_get_value_type (multiplier) != G_TYPE_INT64))
    return 1.0;
  return MAX (json_node_get_double (multiplier), 0.0);
}
