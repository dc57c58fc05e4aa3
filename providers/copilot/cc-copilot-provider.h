/* cc-copilot-provider.h: the Anthropic Messages API on GitHub Copilot
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-copilot-common.h"

G_BEGIN_DECLS

#define CC_COPILOT_TYPE_PROVIDER (cc_copilot_provider_get_type ())
G_DECLARE_FINAL_TYPE (CcCopilotProvider, cc_copilot_provider, CC_COPILOT, PROVIDER, GObject)

void cc_copilot_provider_register (GIOModule *module);

G_END_DECLS
