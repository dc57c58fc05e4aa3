/* cc-openai-provider.h: the Anthropic Messages API on any
 * OpenAI-compatible server
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <cc-proxy/cc-proxy.h>

G_BEGIN_DECLS

#define CC_OPENAI_PROVIDER_ID "openai"

#define CC_OPENAI_TYPE_PROVIDER (cc_openai_provider_get_type ())
G_DECLARE_FINAL_TYPE (CcOpenaiProvider, cc_openai_provider, CC_OPENAI, PROVIDER, GObject)

void cc_openai_provider_register (GIOModule *module);

G_END_DECLS
