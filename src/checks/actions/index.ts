/** The `actions` catalog (custom GPT Actions). Each check lives in the file named after its id. */
import type { CheckDef } from '../../doctor/types.js';
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

/** Execution order: authorizations first; no-pkce is judged after the token exchange. */
export const ACTIONS_CHECKS: CheckDef<ActionsContext>[] = [
  sameRootDomain, callbackUrls, actionsState, tokenExchangeMethod, noPkce, tokenResponse, actionsRefresh, apiCall, emptyScope, legacyPlugin,
];

/** Report order: the contract's table, then additions. */
export const ACTIONS_REPORT_ORDER = [
  'actions.callback-urls', 'actions.no-pkce', 'actions.state', 'actions.token-exchange-method', 'actions.token-response',
  'actions.refresh', 'actions.same-root-domain', 'actions.api-call', 'actions.empty-scope', 'actions.legacy-plugin',
];
