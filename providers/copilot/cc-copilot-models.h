/* cc-copilot-models.h: Copilot's model list, cached
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-copilot-common.h"
#include "cc-upstream-request.h"

G_BEGIN_DECLS

typedef struct _CcCopilotModels CcCopilotModels;

CcCopilotModels   *cc_copilot_models_new           (const CcUpstreamClock *clock);
void               cc_copilot_models_free          (CcCopilotModels      *self);
void               cc_copilot_models_update        (CcCopilotModels      *self,
                                                    JsonObject           *answer);
gboolean           cc_copilot_models_needs_refresh (CcCopilotModels      *self,
                                                    const char           *model);
GStrv              cc_copilot_models_dup_ids       (CcCopilotModels      *self);
CcUpstreamApi      cc_copilot_models_get_endpoint  (CcCopilotModels      *self,
                                                    const char           *model);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CcCopilotModels, cc_copilot_models_free)

gint64           cc_copilot_models_get_prompt_limit (CcCopilotModels *self,
                                                     const char      *model);

gdouble          cc_copilot_models_get_multiplier (CcCopilotModels *self,
                                                   const char      *model);

G_END_DECLS
