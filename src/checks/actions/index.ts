/** The `actions` catalog (custom GPT Actions). Each check lives in the file named after its id. */
import type { CheckDef } from '../types.js';
import type { ActionsContext } from './context.js';
import { callbackUrls } from './callback-urls.js';
import { noPkce } from './no-pkce.js';
import { actionsState } from './state.js';
import { tokenExchangeMethod } from './token-exchange-method.js';
import { tokenResponse } from './token-response.js';
import { actionsRefresh } from './refresh.js';
import { sameRootDomain } from './same-root-domain.js';
import { apiCall } from './api-call.js';
import { emptyScope } from './empty-scope.js';
import { legacyPlugin } from './legacy-plugin.js';

/** The catalog in report order (the contract's table, then additions); the engine orders execution. */
export const ACTIONS_CHECKS: CheckDef<ActionsContext>[] = [
  callbackUrls, noPkce, actionsState, tokenExchangeMethod, tokenResponse, actionsRefresh, sameRootDomain, apiCall, emptyScope, legacyPlugin,
];
