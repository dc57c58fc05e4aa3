/* cc-copilot-common.c: the clock, upstream addresses and headers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "cc-copilot-common.h"

G_DEFINE_QUARK (cc-copilot-error-quark, cc_copilot_error)

/**
 * cc_copilot_base_url:
 * @snapshot: the settings
 * @token_endpoint: (nullable): `endpoints.api` of the Copilot token
 *
 * Returns: (transfer full): the base-url setting, else the token's API
 *   endpoint, else the address the account type implies
 */
char *
cc_copilot_base_url (CcProxySnapshot *snapshot,
                     const char      *token_endpoint)
{
  const char *setting = cc_proxy_snapshot_get_value (snapshot, CC_COPILOT_PROVIDER_ID, "base-url");
  const char *account = cc_proxy_snapshot_get_value (snapshot, CC_COPILOT_PROVIDER_ID, "account-type");

  if (setting != NULL && setting[0] != '\0')
    return g_strdup (setting);
  if (token_endpoint != NULL && token_endpoint[0] != '\0')
    return g_strdup (token_endpoint);
  if (account == NULL || g_str_equal (account, "individual"))
    return g_strdup ("https://api.githubcopilot.com");
  return g_strdup_printf ("https://api.%s.githubcopilot.com", account);
}

static void
add_editor_headers (SoupMessageHeaders *headers,
                    CcProxySnapshot    *snapshot)
{
  g_autofree char *editor = g_strconcat ("vscode/", cc_proxy_snapshot_get_value (snapshot, CC_COPILOT_PROVIDER_ID,
                                                                                  "vscode-version"), NULL);

  soup_message_headers_replace (headers, "editor-version", editor);
  soup_message_headers_replace (headers, "editor-plugin-version", "copilot-chat/" CC_COPILOT_PLUGIN_VERSION);
  soup_message_headers_replace (headers, "user-agent", "GitHubCopilotChat/" CC_COPILOT_PLUGIN_VERSION);
  soup_message_headers_replace (headers, "x-github-api-version", CC_COPILOT_API_VERSION);
}

/* What Copilot expects from its own clients; the caller adds accept,
 * content-type, openai-intent, X-Initiator and vision as they apply. */
void
cc_copilot_add_copilot_headers (SoupMessageHeaders *headers,
                                CcProxySnapshot    *snapshot,
                                const char         *token)
{
  g_autofree char *bearer = g_strconcat ("Bearer ", token, NULL);
  g_autofree char *request_id = g_uuid_string_random ();

  soup_message_headers_replace (headers, "Authorization", bearer);
  soup_message_headers_replace (headers, "copilot-integration-id", "vscode-chat");
  add_editor_headers (headers, snapshot);
  soup_message_headers_replace (headers, "openai-intent", "conversation-panel");
  soup_message_headers_replace (headers, "x-request-id", request_id);
  soup_message_headers_replace (headers, "x-vscode-user-agent-library-version", "electron-fetch");
}

void
cc_copilot_add_github_headers (SoupMessageHeaders *headers,
                               CcProxySnapshot    *snapshot,
                               const char         *github_token)
{
  soup_message_headers_replace (headers, "accept", "application/json");
  if (github_token != NULL)
    {
      g_autofree char *authorization = g_strconcat ("token ", github_token, NULL);

      soup_message_headers_replace (headers, "authorization", authorization);
    }
  add_editor_headers (headers, snapshot);
}

