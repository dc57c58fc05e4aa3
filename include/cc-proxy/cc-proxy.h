/* cc-proxy.h: the provider API of cc-proxy
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#define CC_PROXY_INSIDE
#include "cc-proxy-version.h"
#include "cc-proxy-setting-descriptor.h"
#include "cc-proxy-provider-descriptor.h"
#include "cc-proxy-snapshot.h"
#include "cc-proxy-request-context.h"
#include "cc-proxy-provider.h"
#include "cc-proxy-auth-result.h"
#include "cc-proxy-auth-prompt.h"
#include "cc-proxy-auth-capable.h"
#include "cc-proxy-sse-parser.h"
#include "cc-proxy-json.h"
#undef CC_PROXY_INSIDE
