/** `refresh.*`: staying signed in after the access token expires. */
import * as oidc from 'openid-client';
import type { CheckDef } from '../types.js';
import { fail, info, pass, preparedAlongside, skip, warn, type Outcome } from '../types.js';
import type { HttpResponse } from '../../http/client.js';
import { oauthError, readJsonObject } from '../../http/json.js';
import { safeText } from '../../text.js';
import { fixFor } from '../advice.js';
import { resourceOf, type AppsContext, type Client, type Tokens } from './context.js';
import { capturingFetch, deadlineOf, judgeTokenResponse, oidcConfig, tokenRequestAs, underlyingMessage } from './token-endpoint.js';
import { initializeRequest, mcpPost } from './mcp-client.js';
import { judgeAudience } from './token.js';
import { code, codeOrAbort, isolated, otherClient, ownPublicClient, redeemForm } from './grants.js';
import { CHATGPT_SAYS } from '../../chatgpt/messages.js';
import { refs } from '../spec.js';

/** How many refreshes `refresh.grant` walks: enough to see a later link break. */
const REFRESH_CHAIN = 3;

const ORDINAL = ['one', 'two', 'three', 'four'];

/**
 * How long a connection lasts without the person when the chain broke: the lifetimes of the
 * access tokens it was given (the code exchange's, then one per refresh that worked).
 */
function reconnectAfter(lifetimes: unknown[]): string {
  const n = lifetimes.length;
  const count = ORDINAL[n - 1] ?? String(n);
  const dur = (s: number) => (s >= 3600 ? `${Number((s / 3600).toFixed(1))} h` : s >= 60 ? `${Math.round(s / 60)} min` : `${s} s`);
  const known = lifetimes.filter((l): l is number => typeof l === 'number' && l > 0 && Number.isFinite(l));
  if (known.length !== n) return `ChatGPT asks the person to reconnect once ${count} access token${n === 1 ? '' : 's'} ha${n === 1 ? 's' : 've'} expired (not every token response gives expires_in)`;
  const total = known.reduce((a, b) => a + b, 0);
  if (known.every((l) => l === known[0])) return `ChatGPT asks the person to reconnect after about ${dur(total)}: ${count} access-token lifetime${n === 1 ? '' : 's'} of ${dur(known[0]!)}`;
  return `ChatGPT asks the person to reconnect after about ${dur(total)}: the access tokens it was given lived ${known.map(dur).join(' + ')}`;
}

/** What a walk along the refresh chain saw. */
interface Walked {
  /** The failure of a link that broke (non-blocking: the first refresh worked). */
  outcome?: Outcome;
  chain: NonNullable<AppsContext['s']['refreshChain']>;
  /** Each link: whether it returned a new refresh token. */
  links: { rotated: boolean }[];
  /** The MCP server accepted every refreshed access token it was asked about. */
  allAccepted: boolean;
  /** The newest tokens, with the refresh token the client now holds. */
  newest?: Tokens;
  /** The client it was walked on, and its last link that worked: the refresh token presented, the one issued, the access token. */
  client: Client;
  last?: { presented: string; issued?: string; accessToken: string };
}

/** The MCP server's answers to the chain's access tokens so far. */
interface Seen {
  /** The last link whose access token the MCP server accepted. */
  acceptedAt?: number;
  /** An answer that counted was not an acceptance. */
  refused: boolean;
  /** The link whose initialize, sent together with the next refresh, was refused: from then on, one after another. */
  racedAt?: number;
}

/**
 * Walk the refresh chain as ChatGPT does, from link `from` to REFRESH_CHAIN: refresh with the
 * held refresh token (the newest one issued, else the one held before), and initialize at the MCP
 * server with each new access token. `lifetimes` holds the expires_in of every access token given
 * so far. The initialize with link k's token goes out together with refresh k+1 (the last one
 * alone): an acceptance counts either way, but a refusal only when nothing else was in flight — a
 * refresh may end the access token it replaces (grants.ts), so a refusal that raced the next
 * refresh proves nothing, and the rest of the chain then initializes before each refresh, as
 * ChatGPT's calls come long before its next refresh.
 */
async function walk(ctx: AppsContext, client: Client, held: string, lifetimes: unknown[], links: { rotated: boolean }[], from: number, seen: Seen, learn = false): Promise<Walked> {
  const said = (n: number) => links.slice(0, n).map((l, i) => `refresh ${i + 1} ${l.rotated ? 'returned a new refresh token' : 'returned no refresh token (ChatGPT keeps the one it has, RFC 6749 §6)'}`).join(', ');
  const accepted = (status: number | undefined) => status !== undefined && status < 300;
  const done = (w: Omit<Walked, 'allAccepted' | 'last' | 'client'>): Walked => ({ ...w, client, last: working, allAccepted: seen.acceptedAt !== undefined && !seen.refused });
  let newest: Tokens | undefined;
  let working: { presented: string; issued?: string; accessToken: string; replaced?: string } | undefined;
  let racing: { link: number; status: Promise<number | undefined> } | undefined;
  for (let link = from; link <= REFRESH_CHAIN; link++) {
    const [res, raced] = await Promise.all([
      tokenRequestAs(ctx, client, { grant_type: 'refresh_token', refresh_token: held, resource: resourceOf(ctx) }),
      racing?.status,
    ]);
    if (racing) {
      if (accepted(raced)) seen.acceptedAt = racing.link;
      else seen.racedAt = racing.link;
      racing = undefined;
    }
    const next = judgeTokenResponse(res, `refresh ${link}`);
    if (link > 1 && next.outcome?.status === 'fail' && (res.status !== 200 || !next.tokens?.accessToken)) {
      const prev = links[link - 2]!;
      const why = prev.rotated ? 'the refresh token the server had just issued does not work' : 'the server revoked the refresh token it had accepted without issuing a new one';
      return done({
        chain: { links: link - 1, broke: link, rotatedRefused: prev.rotated }, links, newest,
        outcome: fail(`${said(link - 1)}; refresh ${link} with ${prev.rotated ? 'that new token' : 'the same token'} was refused (${oauthError(res)}): ${why}. ${reconnectAfter(lifetimes)}`,
          prev.rotated
            ? 'Store each new refresh token before returning it, so the next refresh with it succeeds (RFC 6749 §6).'
            : 'Return a new refresh token in every refresh response (rotation), or keep the refresh token valid when the response carries none: RFC 6749 §6 lets the server revoke the old refresh token only after issuing a new one (Authlib: set INCLUDE_NEW_REFRESH_TOKEN = True on the RefreshTokenGrant).',
          // The first refresh worked: what depends on a refresh (its audience, rotation) is judged.
          undefined, true),
      });
    }
    if (next.outcome) return done({ chain: { links: link - 1, broke: link }, links, newest, outcome: { ...next.outcome, fix: next.outcome.fix ?? 'Accept grant_type=refresh_token with client_id and resource form-encoded for the public client.' } });
    const t = next.tokens!;
    links.push({ rotated: !!t.refreshToken && t.refreshToken !== held });
    lifetimes.push(t.body.expires_in);
    working = { presented: held, issued: t.refreshToken, accessToken: t.accessToken!, replaced: newest?.accessToken };
    held = t.refreshToken ?? held;
    newest = { ...t, refreshToken: held };
    if (link < REFRESH_CHAIN && seen.racedAt === undefined) {
      racing = { link, status: mcpStatus(ctx, t.accessToken!) };
      continue;
    }
    const [status, replacedStatus] = await Promise.all([
      mcpStatus(ctx, t.accessToken!),
      // What the doctor learns on a grant of its own, after the chain's last refresh: whether a
      // refresh ends the access token it replaced. Sound either way; it is why the run's own
      // checks use an access token only before its refresh.
      link === REFRESH_CHAIN && learn && working.replaced && working.replaced !== t.accessToken ? mcpStatus(ctx, working.replaced) : undefined,
    ]);
    if (replacedStatus === 401) ctx.broker.note('refresh-revokes-access', 'a refresh revokes the access token it replaces (sound: the doctor uses an access token only until its refresh, as ChatGPT uses its newest token)');
    if (accepted(status)) { seen.acceptedAt = link; continue; }
    const last = seen.acceptedAt;
    if (last !== undefined && (status === 401 || status === 403)) {
      const alsoRaced = seen.racedAt !== undefined && seen.racedAt > last ? `; the one from refresh ${seen.racedAt}, sent alongside the next refresh, was refused too` : '';
      return done({
        chain: { links: link, broke: link }, links, newest,
        // ChatGPT loses the connection when the last accepted token expires: the lifetimes up to it.
        outcome: fail(`${said(link)}; the MCP server accepted the access token from refresh ${last} but refused the one from refresh ${link} (${status}${alsoRaced}). ${reconnectAfter(lifetimes.slice(0, last + 1))}`,
          'Issue every refreshed access token with the same audience, scopes and signing key as the first, and accept them at the MCP server.', undefined, true),
      });
    }
    seen.refused = true;
  }
  return done({ chain: { links: REFRESH_CHAIN }, links, newest });
}

/** Resolved once refresh.grant's prepare has signed in for its own grant (or given up), per run. */
const chainSignedIn = new WeakMap<object, Promise<void>>();

/** The chain walked on a grant of the check's own (a public client registered for it), early. */
async function ownChain(ctx: AppsContext): Promise<Walked | undefined> {
  let signedIn: () => void = () => undefined;
  chainSignedIn.set(ctx.broker, new Promise<void>((r) => { signedIn = r; }));
  let first;
  try {
    // Kept to the end of the run (`shared`), not deleted when refresh.grant is done:
    // refresh.rotation replays the chain's last link on it afterwards.
    const own = await ownPublicClient(ctx, { shared: true });
    if (!own) return undefined;
    const got = await code(ctx, own.clientId, 'refresh chain');
    if ('outcome' in got) return undefined;
    signedIn();
    first = { own, res: readJsonObject(await tokenRequestAs(ctx, own, redeemForm(ctx, got)), false) };
  } finally {
    signedIn();
  }
  const { own, res } = first;
  if (!res.ok || typeof res.value.refresh_token !== 'string') return undefined;
  const walked = await walk(ctx, own, res.value.refresh_token, [res.value.expires_in], [], 1, { refused: false }, true);
  // Its own first refresh failed: nothing to judge here (the run's own refresh is judged in `run`,
  // which then walks the chain on the run's grant).
  return walked.chain.links === 0 ? undefined : walked;
}

/**
 * RFC 6749 §6 as ChatGPT lives it: the connection lasts weeks, and each time the access token
 * expires ChatGPT refreshes with the newest refresh token the server gave it — or, when a refresh
 * response carries none, with the one it already has — and calls the MCP server with the new
 * access token. The run's own first refresh goes through openid-client (a strict client reads
 * the response); the chain of REFRESH_CHAIN links is walked on a grant of the check's own where
 * the server registers clients (early, in the prepare, off the run's critical path), else on the
 * run's grant after that first refresh. A later link that breaks is a ChatGPT failure: the person
 * must reconnect, and the detail says after how long.
 */
export const refreshGrant = preparedAlongside<AppsContext, Walked | undefined>({
  id: 'refresh.grant',
  title: 'The refresh grant works again and again, as ChatGPT refreshes for weeks',
  severity: 'medium',
  impact: 'chatgpt',
  step: 'Refresh',
  needs: ['token.exchange'],
  spec: refs('RFC 6749 §6', 'MCP 2025-11-25 Authorization §Token Handling'),
  reads: ['tokens', 'as', 'client', 'prm', 'scopes', 'provider'],
  writes: ['refreshed', 'refreshChain'],
  // A refresh may end the access token it replaces (grants.ts): every check that uses that
  // token comes first, and later ones use the newest token, as ChatGPT does.
  spends: ['tokens'],
  chatgpt: CHATGPT_SAYS.connecting,
  prepare: {
    needs: ['dcr.register'],
    reads: ['client', 'as', 'prm', 'scopes'],
    // Register, sign in, redeem, then a refresh per link, each with the previous link's
    // initialize alongside, and the last link's initialize.
    rounds: 3 + REFRESH_CHAIN + 1,
    endedBy: ['user'], // a grant of its own: only what ends every grant of the user can end it
    run: ownChain,
  },
  // The run's own refresh does not wait for the chain its prepare walks (Prepare.alongside),
  // only for the prepare's sign-in: a new sign-in may end the user's earlier grants.
  async run(ctx, chain) {
    const first = ctx.s.tokens!;
    const lifetime = first.body.expires_in;
    const held = first.refreshToken;
    if (!held) {
      // ChatGPT asks for offline_access when the metadata lists it (src/chatgpt/client.ts): then
      // the metadata is right and the token endpoint is what must answer it.
      const asked = ctx.s.scopes?.includes('offline_access');
      return warn(`no refresh token was issued${asked ? ' (ChatGPT asked for offline_access, which the metadata advertises)' : ''}; ${reconnectAfter([lifetime])}`,
        fixFor(ctx.s.provider, {
          auth0: 'enable "Allow Offline Access" on the API and advertise offline_access',
          keycloak: 'give users the offline_access realm role and add it as an optional client scope',
          generic: asked
            ? 'issue a refresh token with the code exchange when offline_access is requested (the metadata already advertises it)'
            : 'issue refresh tokens to ChatGPT\'s client (advertise offline_access in scopes_supported of the authorization-server metadata, not in the protected-resource metadata)',
        }));
    }
    await chainSignedIn.get(ctx.broker);
    const config = oidcConfig(ctx);
    const sink: { res?: HttpResponse } = {};
    config[oidc.customFetch] = capturingFetch(ctx, sink) as never;
    let libError: Error | undefined;
    try {
      await oidc.refreshTokenGrant(config, held, { resource: resourceOf(ctx) });
    } catch (err) {
      libError = err as Error;
    }
    const own = await chain;
    if (!sink.res) return deadlineOf(libError) ?? fail(`the refresh request could not be completed: ${safeText(underlyingMessage(libError), 200)}`, 'Make the token endpoint answer within --timeout with a response under 1 MiB.');
    const judged = judgeTokenResponse(sink.res, 'refresh');
    if (judged.tokens?.accessToken) {
      ctx.s.refreshed = { ...judged.tokens, refreshToken: judged.tokens.refreshToken ?? held };
    }
    let runRefused = '';
    if (judged.outcome && sink.res.status !== 200 && own?.newest) {
      // A refusal counts only if it refused what the check varies: the check's own grant
      // refreshed, so the run's refusal may come from that grant's sign-in (a server that ends
      // every grant of the user on a new sign-in); the chain on its own grant is the evidence.
      runRefused = ` (the run's own refresh was refused, ${oauthError(sink.res)}, after this check signed in for its own grant: not counted)`;
      // Its refresh token belongs to the check's own client: never one to save for the run's.
      ctx.s.refreshed = { ...own.newest, refreshToken: undefined };
    } else if (judged.outcome) {
      judged.outcome.fix ??= 'Accept grant_type=refresh_token with client_id and resource form-encoded for the public client.';
      if (judged.outcome.status === 'fail' && sink.res.status !== 200) judged.outcome.detail += `; ${reconnectAfter([lifetime])}`;
      return judged.outcome;
    }
    if (libError && !runRefused) return fail(`the refresh response is not acceptable to a strict OAuth client (openid-client): ${safeText(libError.message, 300)}`, 'Follow RFC 6749 §5.1 in refresh responses.', undefined, true);
    let walked = own;
    let where = 'on a grant of a client registered for this test';
    if (!walked) {
      // No client of its own: the rest of the chain on the run's grant, from its first refresh.
      const t = judged.tokens!;
      const status = await mcpStatus(ctx, t.accessToken!);
      const ok = status !== undefined && status < 300;
      walked = await walk(ctx, ctx.s.client!, t.refreshToken ?? held, [lifetime, t.body.expires_in], [{ rotated: !!t.refreshToken && t.refreshToken !== held }], 2, { acceptedAt: ok ? 1 : undefined, refused: !ok });
      if (walked.newest) ctx.s.refreshed = walked.newest;
      where = 'on the run\'s grant';
    }
    // The chain's own client: refresh.rotation replays its last working link (that grant is the
    // check's alone; the run's, without a client of its own, is not).
    ctx.s.refreshChain = own && walked.last ? { ...walked.chain, last: { client: walked.client, presented: walked.last.presented, issued: walked.last.issued, accessToken: walked.last.accessToken } } : walked.chain;
    if (walked.outcome) return { ...walked.outcome, detail: `walked ${where}: ${walked.outcome.detail}${runRefused}` };
    const rotated = walked.links.every((l) => l.rotated) ? 'a new refresh token each time' : walked.links.some((l) => l.rotated) ? 'a new refresh token some of the time' : 'the same refresh token kept working';
    return pass(`${REFRESH_CHAIN} refreshes in a row ${where}, as ChatGPT makes them, each with the newest refresh token (${rotated})${walked.allAccepted ? '; the MCP server accepted each new access token' : ''}${runRefused}`);
  },
});

/** The MCP server's HTTP status for an initialize with `token`, or undefined when it could not be asked. */
async function mcpStatus(ctx: AppsContext, token: string): Promise<number | undefined> {
  const r = await mcpPost(ctx, initializeRequest(1), token).catch(() => undefined);
  return r?.res.status;
}

/**
 * Rotation as RFC 9700 §4.14.2 asks of public clients, told apart by replaying the previous
 * refresh token after a successful refresh and then trying the newest one:
 * (a) no new refresh token (or the same one) and the used one still works → fail; no new one and
 * the used one is refused → pass: nothing is left to steal (how long the connection lasts is
 * refresh.grant's finding); (b) the replay returns the identical earlier response (an
 * idempotent retry window) → pass with a note; (c) the replay mints new tokens → fail; (d) the
 * replay is refused but the newest token still works → fail (the family was not revoked);
 * (e) the replay is refused and so is the newest token afterwards → pass, unless refresh.grant
 * saw a newly issued refresh token refused without a replay (then that refusal proves nothing).
 * None of this is `chatgpt` impact: ChatGPT never replays a refresh token.
 */
/**
 * The refresh token pair refresh.rotation replays: the last working link of refresh.grant's
 * chain where that chain was walked on a client of its own; otherwise (`rotationPair`) a
 * sign-in, a redemption and a refresh as the run's client once every user of the run's grant is
 * done (a new sign-in as that client may end its earlier grants). Never the run's own refresh
 * token: a later sign-in as the run's client could have ended it already. `why` says why there
 * is no pair.
 */
interface RotationPair { client: Client; previous: string; next?: string; accessToken: string }

async function rotationPair(ctx: AppsContext, client: Client): Promise<RotationPair | { why: string; outcome?: Outcome }> {
  const got = await code(ctx, client.clientId, 'refresh rotation test');
  if ('outcome' in got) return { why: got.outcome.detail, outcome: got.outcome };
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

export const refreshRotation: CheckDef<AppsContext> = {
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
  reads: ['refreshed', 'refreshChain', 'client', 'as', 'prm', 'scopes', 'user'],
  spends: ['tokens', 'refreshed', 'grant', 'user'],
  logins: 1,
  rounds: 2, // the replay, then the newest token
  // The pair it replays: the last working link of refresh.grant's chain, walked on a client of
  // that check's own where the server registers clients (nothing else uses that grant); else a
  // sign-in, redemption and refresh as the run's client, after every user of the run's grant.
  run: (ctx) => ctx.broker.alone(async () => {
    const chained = ctx.s.refreshChain?.last;
    const prepared: RotationPair | undefined = chained && { client: chained.client, previous: chained.presented, next: chained.issued, accessToken: chained.accessToken };
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
    // A sign-in that could not be done (declined, no input) keeps its fix and `incomplete`.
    if ('why' in pair) return pair.outcome ? { ...pair.outcome, detail: `nothing to replay: ${pair.why}` } : skip(`nothing to replay: ${pair.why}`);
    const { previous, next, accessToken } = pair;
    const refresh = (refreshToken: string) => tokenRequestAs(ctx, pair.client, { grant_type: 'refresh_token', refresh_token: refreshToken, resource: resourceOf(ctx) });
    const replay = await refresh(previous);
    // A refusal counts only if it refused what the check varies (the token's second use): a
    // client refused throughout (invalid_client: gone, or never accepted) says nothing about it.
    const forClient = (r: typeof replay) => /^\d+ invalid_client\b/.test(oauthError(r));
    const clientRefused = () => skip(`the replay was refused for its client, not for its token (${oauthError(replay)}): nothing shown about rotation`);
    if (!next || next === previous) {
      if (!next && replay.status !== 200) {
        if (forClient(replay)) return clientRefused();
        // Nothing replaced the used token and the used token is refused: there is no refresh
        // token left to steal. How long the connection lasts is refresh.grant's finding.
        return pass(`no new refresh token was issued and the used one is refused on replay (${oauthError(replay)}): no refresh token stays usable to steal (refresh.grant judges how long a connection lasts)`);
      }
      return fail(`the refresh response ${next ? 'returned the same refresh token' : 'returned no new refresh token'} and the used one still works: for a public client a stolen refresh token stays usable forever`,
        'Issue a new refresh token on every refresh for public clients and invalidate the old one (RFC 9700 §4.14.2).');
    }
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
    if (forClient(replay) && forClient(after)) return clientRefused();
    if (after.status !== 200 && ctx.s.refreshChain?.rotatedRefused) {
      // A refusal counts only if it refused what the check varies: this server refuses a newly
      // issued refresh token even when nothing was replayed (refresh.grant).
      return skip(`the replay was refused (${oauthError(replay)}) and the newest refresh token too (${oauthError(after)}), but refresh.grant saw a newly issued refresh token refused without any replay: the refusal does not show that the family was revoked`);
    }
    if (after.status === 200) {
      return fail(`the replay was refused (${oauthError(replay)}), but the newest refresh token still works: reuse of a used token does not revoke the token family, so an attacker who rotated first keeps access`,
        'On reuse of an invalidated refresh token, revoke the active refresh token of that family too (RFC 9700 §4.14.2).');
    }
    return pass(`rotated; the replayed refresh token was refused (${oauthError(replay)}) and revoked the family (the newest token is refused too: ${oauthError(after)})`);
  }),
};

export const refreshAudience: CheckDef<AppsContext> = {
  id: 'refresh.audience',
  title: 'The refreshed access token keeps the resource audience',
  severity: 'high',
  impact: 'security',
  step: 'Refresh',
  needs: ['refresh.grant'],
  spec: refs('RFC 8707 §2.2', 'MCP 2025-11-25 Authorization §Resource Parameter Implementation'),
  reads: ['refreshed', 'prm', 'as', 'provider', 'client'],
  async run(ctx) {
    if (!ctx.s.refreshed?.accessToken) return skip('no refreshed access token');
    return judgeAudience(ctx, ctx.s.refreshed.accessToken, 'refreshed access token');
  },
};

/**
 * RFC 6749 §6, OAuth 2.1 §4.3.1: a refresh token is bound to the client it was issued to. The
 * test's own client signs in and redeems a code of its own; another client presents that refresh
 * token while it is still unused (a server may revoke a refresh token once it has been used, and
 * a refusal of a spent token proves nothing). A refusal counts only when the client it was issued
 * to can then refresh with the same token: otherwise it was refused for another reason.
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
  prepareRounds: 3, // register, sign in, redeem
  rounds: 2, // the other client presents it, then its own client
  async obtain(ctx, client, own) {
    const [c, other] = await Promise.all([codeOrAbort(ctx, client.clientId, 'refresh binding test'), otherClient(ctx, own)]);
    const first = await tokenRequestAs(ctx, client, redeemForm(ctx, c));
    const j = readJsonObject(first, false);
    const issued = j.ok && typeof j.value.refresh_token === 'string' ? j.value.refresh_token : undefined;
    if (!issued) return { other, why: first.status === 200 ? 'none issued' : oauthError(first) };
    return { other, rt: issued };
  },
  async judge(ctx, { rt, why, other }, client) {
    if (!rt) return skip(`no refresh token to test (${why})`);
    const res = await tokenRequestAs(ctx, other.client, { grant_type: 'refresh_token', refresh_token: rt, resource: resourceOf(ctx) });
    const who = other.registered ? 'another registered client' : 'a client_id the server never issued';
    if (res.status === 200) return fail(`${who} redeemed this client's unused refresh token: refresh tokens are not bound to their client`, 'Store the client with each refresh token and refuse it from any other client (RFC 6749 §6).');
    const mine = await tokenRequestAs(ctx, client, { grant_type: 'refresh_token', refresh_token: rt, resource: resourceOf(ctx) });
    if (mine.status !== 200) {
      return skip(`presented by ${who}: refused (${oauthError(res)}), but the client it was issued to was refused afterwards too (${oauthError(mine)}): the refusal may not be about the client (refresh.grant judges whether refresh works)`);
    }
    return pass(`presented by ${who} while unused: refused (${oauthError(res)}); the client it was issued to then refreshed with it`);
  },
});
