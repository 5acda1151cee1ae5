/** `refresh.*`: staying signed in after the access token expires. */
import * as oidc from 'openid-client';
import type { CheckDef } from '../types.js';
import { fail, info, pass, prepared, skip, warn } from '../types.js';
import type { HttpResponse } from '../../http/client.js';
import { oauthError, readJsonObject } from '../../http/json.js';
import { safeText } from '../../text.js';
import { fixFor } from '../advice.js';
import { initializeRequest, mcpPost, oidcConfig, resourceOf, tokenRequestAs, type AppsContext, type Client } from './context.js';
import { capturingFetch, deadlineOf, judgeAudience, judgeTokenResponse, otherClient, underlyingMessage } from './token.js';
import { code, codeOrAbort, isolated, ownPublicClient, redeemForm } from './grants.js';
import { CHATGPT_SAYS } from '../../chatgpt/messages.js';
import { refs } from '../spec.js';

export const refreshGrant: CheckDef<AppsContext> = {
  id: 'refresh.grant',
  title: 'The refresh grant works',
  severity: 'medium',
  impact: 'chatgpt',
  step: 'Refresh',
  needs: ['token.exchange'],
  spec: refs('RFC 6749 §6', 'MCP 2025-11-25 Authorization §Token Handling'),
  reads: ['tokens', 'as', 'client', 'prm', 'provider'],
  writes: ['refreshed'],
  // A refresh may end the access token it replaces (grants.ts): every check that uses that
  // token comes first, and later ones use the newest token, as ChatGPT does.
  spends: ['tokens'],
  chatgpt: CHATGPT_SAYS.connecting,
  async run(ctx) {
    const rt = ctx.s.tokens!.refreshToken;
    if (!rt) {
      const exp = ctx.s.tokens!.body.expires_in;
      return warn(`no refresh token was issued; ChatGPT users must reconnect when the access token expires${typeof exp === 'number' ? ` (after ${exp} s)` : ''}`,
        fixFor(ctx.s.provider, {
          auth0: 'enable "Allow Offline Access" on the API and advertise offline_access',
          keycloak: 'give users the offline_access realm role and add it as an optional client scope',
          generic: 'issue refresh tokens to ChatGPT\'s client (advertise offline_access in scopes_supported of the authorization-server metadata, not in the protected-resource metadata)',
        }));
    }
    const config = oidcConfig(ctx);
    const sink: { res?: HttpResponse } = {};
    config[oidc.customFetch] = capturingFetch(ctx, sink) as never;
    let libError: Error | undefined;
    try {
      await oidc.refreshTokenGrant(config, rt, { resource: resourceOf(ctx) });
    } catch (err) {
      libError = err as Error;
    }
    if (!sink.res) return deadlineOf(libError) ?? fail(`the refresh request could not be completed: ${safeText(underlyingMessage(libError), 200)}`, 'Make the token endpoint answer within --timeout with a response under 1 MiB.');
    const judged = judgeTokenResponse(sink.res, 'refresh');
    if (judged.tokens?.accessToken) {
      ctx.s.refreshed = judged.tokens;
    }
    if (judged.outcome) {
      judged.outcome.fix ??= 'Accept grant_type=refresh_token with client_id and resource form-encoded for the public client.';
      return judged.outcome;
    }
    if (libError) return fail(`the refresh response is not acceptable to a strict OAuth client (openid-client): ${safeText(libError.message, 300)}`, 'Follow RFC 6749 §5.1 in refresh responses.', undefined, true);
    return pass(`new access token${judged.tokens!.refreshToken ? ' and refresh token' : ''} issued`);
  },
};

/**
 * Rotation as RFC 9700 §4.14.2 asks of public clients, told apart by replaying the previous
 * refresh token after a successful refresh and then trying the newest one:
 * (a) no new refresh token → fail; (b) the replay returns the identical earlier response (an
 * idempotent retry window) → pass with a note; (c) the replay mints new tokens → fail; (d) the
 * replay is refused but the newest token still works → fail (the family was not revoked);
 * (e) the replay is refused and so is the newest token afterwards → pass.
 * None of this is `chatgpt` impact: ChatGPT never replays a refresh token.
 */
/**
 * The refresh token pair refresh.rotation replays, from a sign-in, a redemption and a refresh
 * of its own: on a public client registered for the test where the server has dynamic
 * registration (early, in the prepare), otherwise on the run's client once every user of the
 * run's grant is done (a new sign-in as that client may end its earlier grants). Never the run's
 * own refresh token: a later sign-in as the run's client could have ended it already.
 * `why` says why there is no pair.
 */
interface RotationPair { client: Client; previous: string; next?: string; accessToken: string }

async function rotationPair(ctx: AppsContext, client: Client): Promise<RotationPair | { why: string }> {
  const got = await code(ctx, client.clientId, 'refresh rotation test');
  if ('outcome' in got) return { why: got.outcome.detail };
  const first = readJsonObject(await tokenRequestAs(ctx, client, redeemForm(ctx, got)), false);
  const previous = first.ok && typeof first.value.refresh_token === 'string' ? first.value.refresh_token : undefined;
  if (!previous) return { why: 'no refresh token was issued for a fresh code' };
  const refreshed = readJsonObject(await tokenRequestAs(ctx, client, { grant_type: 'refresh_token', refresh_token: previous, resource: resourceOf(ctx) }), false);
  if (!refreshed.ok || typeof refreshed.value.access_token !== 'string') return { why: 'the first refresh of a fresh refresh token failed' };
  // What the doctor learns on this grant of its own, before any replay: whether a refresh ends
  // the access token it replaced. Sound either way; it is why the run's own checks use an
  // access token only before its refresh.
  const replaced = first.ok && typeof first.value.access_token === 'string' ? first.value.access_token : undefined;
  if (replaced && replaced !== refreshed.value.access_token && (await mcpPost(ctx, initializeRequest(1), replaced).catch(() => undefined))?.res.status === 401) {
    ctx.broker.note('refresh-revokes-access', 'a refresh revokes the access token it replaces (sound: the doctor uses an access token only until its refresh, as ChatGPT uses its newest token)');
  }
  return { client, previous, accessToken: refreshed.value.access_token, next: typeof refreshed.value.refresh_token === 'string' ? refreshed.value.refresh_token : undefined };
}

export const refreshRotation = prepared<AppsContext, RotationPair | { why: string } | undefined>({
  id: 'refresh.rotation',
  title: 'For the public client, a replayed refresh token is refused and revokes the token family',
  severity: 'high',
  impact: 'security',
  step: 'Refresh',
  needs: ['refresh.grant'],
  spec: refs('OAuth 2.1 §4.3.1', 'RFC 9700 §4.14.2', 'MCP 2025-11-25 Authorization §Token Theft'),
  // The replay may revoke every grant of the user (reuse detection; an OAuth proxy whose clients
  // share one upstream grant), so it comes after every other check that holds one (grants.ts).
  // It reads `user` so that token.code-single-use's replay comes after it, not during it.
  reads: ['refreshed', 'client', 'as', 'prm', 'scopes', 'user'],
  spends: ['tokens', 'refreshed', 'grant', 'user'],
  logins: 1,
  rounds: 2, // the replay, then the newest token
  prepare: {
    needs: ['dcr.register'],
    reads: ['client', 'as', 'prm', 'scopes'],
    rounds: 5, // register, sign in, redeem, refresh, the replaced access token at the MCP server
    endedBy: ['user'], // a client of its own, or nothing (then the run's client signs in in `run`)
    async run(ctx) {
      // A confidential client is judged on the run's own refresh (rotation is only recommended).
      if (ctx.s.client!.authMethod !== 'none') return undefined;
      const own = await ownPublicClient(ctx);
      return own ? rotationPair(ctx, own) : undefined;
    },
  },
  run: (ctx, prepared) => ctx.broker.alone(async () => {
    if (!ctx.s.refreshed) return skip('no refresh happened');
    if (ctx.s.client!.authMethod !== 'none') return info('confidential client: rotation is recommended but not required');
    if (ctx.opts.keepGrant && !prepared) return skip('not run with --save-refresh-token: without a client of its own this test signs in as the run\'s client, which can end the grant of the token being saved');
    const pair = prepared ?? await rotationPair(ctx, ctx.s.client!);
    if (!prepared && ctx.s.refreshed.accessToken) {
      // Signed in again as the run's client: does its newest access token from before still work?
      // (Nothing else can have ended it: no replay has happened yet, and refreshes do not end
      // the token they issue.) Sound either way; it is why these checks wait for the run's grant.
      const old = await mcpPost(ctx, initializeRequest(1), ctx.s.refreshed.accessToken).catch(() => undefined);
      if (old?.res.status === 401) ctx.broker.note('reauth-revokes', 're-authorization revokes this client\'s earlier grants (sound: the doctor signs in again as the run\'s client only after every check that uses its grant)');
    }
    if ('why' in pair) return skip(`nothing to replay: ${pair.why}`);
    const { previous, next, accessToken } = pair;
    const refresh = (refreshToken: string) => tokenRequestAs(ctx, pair.client, { grant_type: 'refresh_token', refresh_token: refreshToken, resource: resourceOf(ctx) });
    if (!next || next === previous) {
      return fail('the refresh response did not rotate the refresh token; for public clients a stolen refresh token stays usable forever',
        'Issue a new refresh token on every refresh for public clients and invalidate the old one (RFC 9700 §4.14.2).');
    }
    const replay = await refresh(previous);
    const rj = readJsonObject(replay, false);
    if (replay.status === 200) {
      const same = rj.ok && rj.value.access_token === accessToken && rj.value.refresh_token === next;
      if (same) {
        return pass('rotated; replaying the previous refresh token returned the identical earlier response (an idempotent retry window, not new tokens)');
      }
      return fail('the previous refresh token still mints new tokens after rotation: a stolen refresh token keeps working until its successor is used (or for a grace period)',
        'Invalidate a refresh token once it has been used; if you allow a retry window, return the identical earlier response, and revoke the whole token family on reuse (RFC 9700 §4.14.2).');
    }
    const after = await refresh(next);
    if (after.status === 200) {
      return fail(`the replay was refused (${oauthError(replay)}), but the newest refresh token still works: reuse of a used token does not revoke the token family, so an attacker who rotated first keeps access`,
        'On reuse of an invalidated refresh token, revoke the active refresh token of that family too (RFC 9700 §4.14.2).');
    }
    return pass(`rotated; the replayed refresh token was refused (${oauthError(replay)}) and revoked the family (the newest token is refused too: ${oauthError(after)})`);
  }),
});

export const refreshAudience: CheckDef<AppsContext> = {
  id: 'refresh.audience',
  title: 'The refreshed access token keeps the resource audience',
  severity: 'high',
  impact: 'security',
  step: 'Refresh',
  needs: ['refresh.grant'],
  spec: refs('RFC 8707 §2.2', 'MCP 2025-11-25 Authorization §Resource Parameter Implementation'),
  reads: ['refreshed', 'prm', 'provider', 'client'],
  async run(ctx) {
    if (!ctx.s.refreshed?.accessToken) return skip('no refreshed access token');
    return judgeAudience(ctx, ctx.s.refreshed.accessToken, 'refreshed access token');
  },
};

/**
 * RFC 6749 §6, OAuth 2.1 §4.3.1: a refresh token is bound to the client it was issued to. The
 * test's own client signs in, redeems and refreshes once itself (so a refusal below cannot just
 * mean that refresh does not work), then another client presents the newest refresh token.
 */
export const refreshClientBinding = isolated<{ rt?: string; why?: string; other: { client: Client; registered: boolean } }>({
  id: 'refresh.client-binding',
  title: 'A refresh token issued to one client is refused when another client presents it',
  severity: 'critical',
  impact: 'security',
  step: 'Security',
  needs: ['token.exchange'],
  spec: refs('RFC 6749 §6', 'OAuth 2.1 §4.3.1'),
  reads: ['as', 'client', 'prm', 'scopes'],
  logins: 1,
  prepareRounds: 4, // register, sign in, redeem, refresh as the owner
  async obtain(ctx, client, own) {
    const [c, other] = await Promise.all([codeOrAbort(ctx, client.clientId, 'refresh binding test'), otherClient(ctx, own)]);
    const first = await tokenRequestAs(ctx, client, redeemForm(ctx, c));
    const j = readJsonObject(first, false);
    const issued = j.ok && typeof j.value.refresh_token === 'string' ? j.value.refresh_token : undefined;
    if (!issued) return { other, why: first.status === 200 ? 'none issued' : oauthError(first) };
    const mine = await tokenRequestAs(ctx, client, { grant_type: 'refresh_token', refresh_token: issued, resource: resourceOf(ctx) });
    const m = readJsonObject(mine, false);
    if (mine.status !== 200) return { other, why: `the client it was issued to could not refresh with it either: ${oauthError(mine)}` };
    return { other, rt: m.ok && typeof m.value.refresh_token === 'string' ? m.value.refresh_token : issued };
  },
  async judge(ctx, { rt, why, other }) {
    if (!rt) return skip(`no refresh token to test (${why})`);
    const res = await tokenRequestAs(ctx, other.client, { grant_type: 'refresh_token', refresh_token: rt, resource: resourceOf(ctx) });
    const who = other.registered ? 'another registered client' : 'a client_id the server never issued';
    if (res.status === 200) return fail(`${who} redeemed this client's refresh token: refresh tokens are not bound to their client`, 'Store the client with each refresh token and refuse it from any other client (RFC 6749 §6).');
    return pass(`presented by ${who}: refused (${oauthError(res)})`);
  },
});
