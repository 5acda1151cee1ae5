/** One deliberately broken toy server per failure mode, with the check id that must report it. */
import type { Impact, Status } from '../../src/checks/types.js';
import type { ToyFlags } from './toy-server.js';

/**
 * `impact`, when given, is asserted; `chatgpt: false` asserts that no ChatGPT message is attached
 * (a security or interop finding must never carry one), `chatgpt: true` that one is.
 */
export const cases: { id: string; flags: ToyFlags; status?: Status; detail?: RegExp; fix?: RegExp; impact?: Impact; chatgpt?: boolean }[] = [
  { id: 'resource.challenge', flags: { challenge: 'anonymous-ok' }, detail: /accepted an unauthenticated initialize/ },
  { id: 'resource.challenge', flags: { challenge: 'no-resource-metadata' }, status: 'warn', detail: /no resource_metadata/ },
  { id: 'prm.document', flags: { prm: 'html' }, detail: /HTML page/, fix: /SPA catch-all/ },
  // The challenge must lead somewhere: its resource_metadata answers 404 (or is no URL) while a well-known URL serves.
  { id: 'prm.document', flags: { challengeMetadataPath: ' not a url' }, detail: /names resource_metadata=http:\/\/127\.0\.0\.1:\d+ not a url, which does not serve the metadata \(not an absolute URL\)/, impact: 'chatgpt' },
  { id: 'prm.document', flags: { challengeMetadataPath: '/.well-known/oauth-protected-resource/wrong' }, detail: /names resource_metadata=http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/wrong, which does not serve the metadata \(WWW-Authenticate resource_metadata .*: 404\).*where http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp serves it/, fix: /Point the challenge's resource_metadata at .*, or serve the same document at/, impact: 'chatgpt', chatgpt: true },
  { id: 'prm.resource', flags: { prmResourceSuffix: '/' }, detail: /only by a trailing slash/ },
  { id: 'as.metadata', flags: { asMetadata: '404' }, detail: /fault is discovery, not PKCE/ },
  { id: 'as.issuer', flags: { issuerSuffix: '/' }, detail: /only a trailing slash differs/ },
  // Advice that fits the run: the metadata omits S256 while the sign-ins use it, so the fix asks
  // to advertise it, not to build it.
  { id: 'as.pkce-s256', flags: { dropMeta: ['code_challenge_methods_supported'] }, detail: /code_challenge_methods_supported is missing/, fix: /^add "code_challenge_methods_supported": \["S256"\] to the authorization-server metadata \(pkce\.verifier-checked tests whether the server verifies S256\)$/ },
  { id: 'as.pkce-s256', flags: { metaPatch: { code_challenge_methods_supported: ['plain'] } }, detail: /\["plain"\], without S256/, fix: /^Add "S256" to code_challenge_methods_supported/ },
  { id: 'as.endpoints', flags: { dropMeta: ['authorization_endpoint'] }, detail: /authorization_endpoint is missing/ },
  // Refresh works; only the metadata does not say so: the fix asks to advertise it, not to build it.
  { id: 'as.endpoints', flags: { metaPatch: { grant_types_supported: ['authorization_code'] } }, status: 'warn', detail: /grant_types_supported does not include refresh_token/, fix: /^Add "refresh_token" to grant_types_supported/ },
  // One application serving MCP and OAuth: the opaque token is looked up in the store they share.
  { id: 'token.jwt-signature', flags: { tokenFormat: 'opaque' }, status: 'info', detail: /opaque \(not a JWT\): to check issuer, expiry and audience, the MCP server can look it up in the token store it shares with the authorization server \(both are served from one origin/ },
  // A server that validates nothing: one root cause explains the failures below it.
  { id: 'authz.redirect-exact', flags: { anyClientId: true, redirectCheck: 'none', codeReuse: true, pkce: 'optional', pkcePublicOptional: true, codeBinding: false, refreshBinding: false, redirectBinding: false }, detail: /^this authorization server accepts whatever it is sent \(any client_id: .*; any redirect_uri: .*; a used code again: token\.code-single-use; no PKCE: .*\): a test mock, or validation switched off/, fix: /^Use a real authorization server, or switch its validation on/, impact: 'security', chatgpt: false },
  // Malformed metadata: one finding at the check that owns it, never an exception in a dependant.
  { id: 'as.endpoints', flags: { metaPatch: { authorization_endpoint: '/authorize' } }, detail: /authorization_endpoint is not a URL/ },
  { id: 'as.metadata', flags: { metaPatch: { scopes_supported: 1, grant_types_supported: 'authorization_code', issuer_claims: 1 } }, status: 'warn', impact: 'interop', detail: /scopes_supported \(a number, not an array of strings\); grant_types_supported \(a string, not an array of strings\)/ },
  { id: 'as.client-registration', flags: { dropMeta: ['registration_endpoint'] }, fix: /predefined|OAuth advanced settings/ },
  { id: 'network.server-user-agent', flags: { blockUserAgent: /python|aiohttp/i }, detail: /as "python-httpx\/0\.28\.1" got 403 text\/html \(cf-mitigated: challenge\), not 401.*\/\.well-known\/oauth-protected-resource\/mcp as "python-httpx/, fix: /Cloudflare: turn off Bot Fight Mode/ },
  // The fix addresses the problem found (a kid used twice), not key types the set has right.
  { id: 'jwks.keys', flags: { jwks: 'dup-kid' }, detail: /used twice/, fix: /^Give each key its own kid, so resource servers can pick the right key\.$/ },
  { id: 'jwks.no-private', flags: { jwks: 'private' }, detail: /private key material/ },
  { id: 'dcr.register', flags: { dcr: 'wrong-method' }, detail: /answered "client_secret_basic"/ },
  { id: 'dcr.rejects-unsafe-redirects', flags: { dcrUnsafe: 'accept' }, detail: /javascript: and data:/ },
  { id: 'authz.redirect-exact', flags: { redirectCheck: 'none' }, detail: /unregistered redirect URI/ },
  // The client the run just registered is refused at /authorize: the fix is not "check the registration".
  { id: 'authz.state', flags: { authorizeRefusesRegistered: true }, detail: /refused the request: unauthorized_client/, fix: /^The authorization endpoint refuses the client the registration endpoint just issued \(dcr\.register passed\)/, impact: 'chatgpt', chatgpt: true },
  { id: 'authz.state', flags: { stateMode: 'truncate' }, detail: /255 of \d+ characters/, fix: /at least 1024 characters/ },
  // Same length, one character rewritten: no database column to widen.
  { id: 'authz.state', flags: { stateMode: 'rewrite' }, detail: /state came back changed \(same length, different characters: rewritten on the way\)/, fix: /^Return state byte-for-byte: do not decode, re-encode, trim or replace any of its characters \(RFC 6749 §4\.1\.2\)\.$/, impact: 'chatgpt' },
  // A state of the server's own: said as such (it shares no prefix with the one sent).
  { id: 'authz.state', flags: { stateMode: 'replace' }, detail: /^state came back changed \(a 32-character value that shares nothing with the \d+ characters sent: replaced on the way\)/, fix: /^Return state byte-for-byte/, impact: 'chatgpt' },
  { id: 'authz.iss', flags: { iss: 'missing' }, detail: /carried no iss/ },
  // A wrong verifier is refused in the same run: the fix asks only for the missing one to be.
  { id: 'pkce.verifier-required', flags: { pkce: 'optional' }, detail: /without the code_verifier/, fix: /^Require code_verifier whenever the authorization request carried a code_challenge \(whether a wrong one is refused is pkce\.verifier-checked's finding\)\.$/ },
  { id: 'pkce.verifier-checked', flags: { pkce: 'unchecked' }, detail: /wrong code_verifier/ },
  // The fix names the member that is wrong, not the whole response.
  { id: 'token.exchange', flags: { expiresIn: 'string' }, detail: /expires_in is a string/, fix: /^Send expires_in as a number of seconds \("expires_in": 3600, not "3600"\) \(RFC 6749 §5\.1\)\.$/ },
  { id: 'token.code-single-use', flags: { codeReuse: true }, detail: /redeemed twice/ },
  // Refused for the wrong reason: the replay with the verifier names PKCE; without it, tokens.
  { id: 'token.code-single-use', flags: { codeReuse: 'forgets-pkce' }, detail: /refused only for PKCE \(400 invalid_grant: code_verifier without code_challenge\), and the replay without code_verifier got tokens/, impact: 'security', chatgpt: false },
  { id: 'token.code-single-use', flags: { codeReplayKeepsTokens: true }, status: 'warn', detail: /the refresh token issued from the first redemption still works after the replay/, impact: 'security' },
  { id: 'token.redirect-binding', flags: { redirectBinding: false, pkce: 'optional' }, detail: /different from the one/ },
  { id: 'token.redirect-binding', flags: { redirectBinding: false }, status: 'warn', detail: /PKCE is enforced/ },
  { id: 'token.error-format', flags: { tokenErrors: 'html' }, detail: /HTML page/ },
  { id: 'token.no-store', flags: { noStore: false }, status: 'warn', detail: /Cache-Control is missing/ },
  // Scopes: the consequence decides. A narrower grant the MCP server accepts: a warning, with
  // what ChatGPT showed in August 2026; one it refuses: a failure.
  { id: 'token.scopes', flags: { grantedScope: 'subset' }, status: 'warn', detail: /missing: mcp:write\); ChatGPT shows "not all requested permissions were granted" and goes on.*OAUTH_SCOPES_MISMATCH.*accepted the narrower token/, impact: 'chatgpt', chatgpt: true },
  // Refused for its scope, not as unverifiable: the fix is about scopes, not issuer or audience.
  { id: 'resource.accepts-token', flags: { grantedScope: 'subset', rs: { requireScopes: true } }, detail: /refused the access token for its scope \(403 insufficient_scope/, fix: /^Grant ChatGPT's client the scopes the MCP server requires/, impact: 'chatgpt' },
  { id: 'token.scopes', flags: { grantedScope: 'subset', rs: { requireScopes: true } }, detail: /missing: mcp:write\), and the MCP server refuses that token: initialize answered 403 insufficient_scope/, impact: 'chatgpt', chatgpt: true },
  // What a resource-bound token from oidc-provider looks like: the OIDC scopes are not echoed.
  { id: 'token.scopes', flags: { oidcScopes: true, grantedScopeMode: 'no-oidc' }, status: 'warn', detail: /only the OpenID Connect scope\(s\) openid, profile, email are missing/, impact: 'chatgpt', chatgpt: true },
  // Issuer and resource are one service sharing an HS256 secret: ChatGPT treats the token as opaque.
  { id: 'token.jwt-signature', flags: { symmetric: true }, status: 'info', detail: /symmetric HS256; the MCP server accepts it/ },
  // The key is wrong, the issuer right: the fix names the key only.
  { id: 'token.jwt-signature', flags: { signWrongKey: true, rs: { acceptTampered: true } }, detail: /signature does not verify/, fix: /^Sign access tokens with a key published at jwks_uri \(rotate the published set before a new key is used\)\.$/ },
  { id: 'token.audience', flags: { aud: 'other' }, detail: /the MCP server refuses it/, impact: 'chatgpt', chatgpt: true },
  { id: 'token.audience', flags: { aud: 'other', rs: { ignoreAudience: true } }, detail: /the MCP server accepts it: it does not check the audience/, impact: 'security', chatgpt: false },
  { id: 'refresh.grant', flags: { refresh: 'refuse' }, detail: /invalid_grant/ },
  // offline_access is advertised and asked for: the fix is at the token endpoint, not the metadata.
  { id: 'refresh.grant', flags: { refresh: 'none' }, status: 'warn', detail: /no refresh token was issued \(ChatGPT asked for offline_access, which the metadata advertises\).*reconnect after about 1 h/, fix: /^issue a refresh token with the code exchange when offline_access is requested \(the metadata already advertises it\)$/ },
  { id: 'refresh.grant', flags: { refresh: 'none', metaPatch: { scopes_supported: ['mcp:read', 'mcp:write'] } }, status: 'warn', detail: /no refresh token was issued;/, fix: /advertise offline_access in scopes_supported/ },
  // The connection's second day: the chain of refreshes ChatGPT makes breaks at its second link.
  { id: 'refresh.grant', flags: { refresh: 'once' }, detail: /refresh 1 returned no refresh token.*refresh 2 with the same token was refused.*reconnect after about 2 h: two access-token lifetimes of 1 h/, fix: /INCLUDE_NEW_REFRESH_TOKEN/, impact: 'chatgpt', chatgpt: true },
  { id: 'refresh.grant', flags: { refresh: 'rotated-broken' }, detail: /refresh 2 with that new token was refused.*just issued does not work.*reconnect after about 2 h/, fix: /Store each new refresh token/, impact: 'chatgpt', chatgpt: true },
  // A later link's access token refused by the MCP server: the initialize sent alongside the next
  // refresh counts when accepted; the last link's, sent alone, counts when refused.
  { id: 'refresh.grant', flags: { refreshAudFrom: 3 }, detail: /accepted the access token from refresh 2 but refused the one from refresh 3 \(401\)\. ChatGPT asks the person to reconnect after about 3 h/, impact: 'chatgpt', chatgpt: true },
  // Refused alongside the next refresh: the connection ends with the last accepted token.
  { id: 'refresh.grant', flags: { refreshAudFrom: 2 }, detail: /accepted the access token from refresh 1 but refused the one from refresh (2 \(401\)|3 \(401; the one from refresh 2, sent alongside the next refresh, was refused too\))\. ChatGPT asks the person to reconnect after about 2 h/, impact: 'chatgpt', chatgpt: true },
  // Nothing to rotate (the used token is revoked, none replaces it): not a rotation finding.
  { id: 'refresh.rotation', flags: { refresh: 'once' }, status: 'pass', detail: /no refresh token stays usable to steal/ },
  // The newest token's refusal after a replay proves nothing when new tokens never work.
  { id: 'refresh.rotation', flags: { refresh: 'rotated-broken' }, status: 'skip', detail: /does not show that the family was revoked/ },
  // refresh.rotation (a)–(e); none is ChatGPT's problem (it never replays a refresh token).
  { id: 'refresh.rotation', flags: { refresh: 'same' }, detail: /returned the same refresh token and the used one still works/, impact: 'security', chatgpt: false },
  { id: 'refresh.rotation', flags: { refresh: 'grace-identical' }, status: 'pass', detail: /identical earlier response/ },
  { id: 'refresh.rotation', flags: { refresh: 'old-valid' }, detail: /previous refresh token still mints new tokens/, impact: 'security', chatgpt: false },
  { id: 'refresh.rotation', flags: { refresh: 'no-family-revoke' }, detail: /newest refresh token still works/, impact: 'security', chatgpt: false },
  // Only the refresh loses the audience (token.audience passed): the fix is about refreshed tokens.
  { id: 'refresh.audience', flags: { refreshAud: 'other' }, detail: /refreshed access token's aud/, fix: /^put the resource parameter \(http:\/\/127\.0\.0\.1:\d+\/mcp\) into the aud claim of refreshed access tokens too: ChatGPT sends it with every refresh \(RFC 8707 §2\.2\)$/, impact: 'chatgpt' },
  { id: 'refresh.audience', flags: { refreshAud: 'other', rs: { ignoreAudience: true } }, detail: /does not check the audience/, impact: 'security', chatgpt: false },
  { id: 'resource.accepts-token', flags: { rs: { rejectValid: true } }, detail: /rejected the access token/ },
  { id: 'resource.rejects-invalid-token', flags: { rs: { acceptGarbage: true } }, detail: /ACCEPTED/, impact: 'security', chatgpt: false },
  // Each fix asks for what was accepted: alg "none", or a signature that was not checked.
  { id: 'resource.rejects-forged-token', flags: { rs: { acceptNone: true } }, detail: /accepted.*alg:none token: 200/, fix: /^Refuse alg "none": accept only the asymmetric algorithm your authorization server signs with \(RFC 8725 §3\.1\)\.$/ },
  { id: 'resource.rejects-forged-token', flags: { rs: { acceptTampered: true } }, detail: /changed payload.*200/, fix: /^Verify every token's signature with the issuer's published keys \(jwks_uri\) before reading its claims \(RFC 9068 §4\)\.$/ },
  { id: 'resource.rejects-forged-token', flags: { rs: { invalidStatus: 500 } }, status: 'warn', detail: /refused, but not with a 401.*500 instead of 401/ },
  { id: 'resource.rejects-invalid-token', flags: { rs: { invalidStatus: 500 } }, detail: /500 instead of 401/, impact: 'chatgpt' },
  // Late-2026 ChatGPT (issue: emulate ChatGPT as it behaves in late 2026).
  { id: 'cimd.chatgpt-document', flags: { cimdBoth: true, cimdReject: true }, detail: /client_id https:\/\/chatgpt\.com\/oauth\/client\.json was refused: invalid_client/, impact: 'chatgpt', chatgpt: true },
  // /authorize accepted ChatGPT's document, only the token endpoint refused it: the fix is the token endpoint's.
  { id: 'cimd.chatgpt-document', flags: { cimdBoth: true, cimdTokenRefused: true }, detail: /the authorization endpoint accepted ChatGPT's document, but the code issued to https:\/\/chatgpt\.com\/oauth\/client\.json could not be exchanged: 400 invalid_grant/, fix: /^The authorization endpoint accepts https:\/\/chatgpt\.com\/oauth\/client\.json; make the token endpoint accept the same client_id/, impact: 'chatgpt', chatgpt: true },
  { id: 'cimd.chatgpt-document', flags: { cimdBoth: true, cimdPrivateKeyJwt: true }, status: 'info', detail: /private_key_jwt assertion/ },
  { id: 'authz.scope-omitted', flags: { scopeRequired: true }, detail: /without scope was refused: invalid_scope/, impact: 'chatgpt' },
  { id: 'resource.handshake', flags: { discoverStatus: 500 }, detail: /server\/discover answered 500/, impact: 'chatgpt' },
  { id: 'dcr.connector-callback', flags: { stableRedirectOnly: true, iss: 'unsupported' }, detail: /does not support RFC 9207 iss, so ChatGPT uses exactly such a per-connector callback/, impact: 'chatgpt' },
  // iss is supported already: the fix does not ask for it.
  { id: 'dcr.connector-callback', flags: { stableRedirectOnly: true }, status: 'warn', detail: /supports RFC 9207 iss, so ChatGPT uses the stable/, fix: /^Accept every https:\/\/chatgpt\.com\/connector\/oauth\/<id> redirect URI at registration and authorization \(.*\), for connectors created before ChatGPT used the stable callback\.$/, impact: 'interop' },
  // The tools declare securitySchemes; only the challenge is missing: the fix asks for that alone.
  { id: 'resource.mixed-auth', flags: { mixed: 'no-meta' }, detail: /without _meta\["mcp\/www_authenticate"\]/, fix: /^Answer a protected tool called without a token with \{"isError": true/, impact: 'chatgpt' },
  // The security suite (RFC 9700 / OAuth 2.1 negative tests): never ChatGPT's problem.
  { id: 'pkce.required', flags: { pkcePublicOptional: true }, detail: /PKCE is optional/, impact: 'security', chatgpt: false },
  { id: 'pkce.downgrade', flags: { pkcePublicOptional: true, pkceDowngrade: true }, detail: /PKCE downgrade/, impact: 'security', chatgpt: false },
  { id: 'token.client-auth', flags: { clientAuth: 'ignore-secret' }, detail: /a wrong secret was ACCEPTED/, impact: 'security', chatgpt: false },
  // Which refusal counted: the client the code was issued to redeems it afterwards — or the
  // server ended the code on the wrong redemption (sound), and the detail says so.
  { id: 'token.code-client-binding', flags: { codeEndsOnMisuse: true }, status: 'pass', detail: /refused \(400 invalid_grant: unknown code\); the client it was issued to was refused afterwards too .*ends a code once another client presents it/ },
  { id: 'token.code-client-binding', flags: { codeBinding: false }, detail: /redeemed by another registered client/, impact: 'security', chatgpt: false },
  { id: 'refresh.client-binding', flags: { refreshBinding: false }, detail: /another registered client redeemed/, impact: 'security', chatgpt: false },
  // Its own unused pair: on a server whose refresh works once, a used token proves nothing.
  { id: 'refresh.client-binding', flags: { refreshBinding: false, refresh: 'once' }, detail: /another registered client redeemed this client's unused refresh token/, impact: 'security', chatgpt: false },
  { id: 'token.type-confusion', flags: { rs: { acceptRefresh: true } }, detail: /accepted the refresh token as a bearer token/, fix: /^Check the token type: the MCP server must accept only access tokens[^;]*\.$/, impact: 'security', chatgpt: false },
  // The fix names the side that failed: here the token endpoint, not the MCP server.
  { id: 'token.type-confusion', flags: { refreshAcceptsAccess: true }, detail: /accepted the access token as refresh_token/, fix: /^Check the token type: the token endpoint must accept as refresh_token only refresh tokens it issued, never an access token\.$/, impact: 'security', chatgpt: false },
  { id: 'authz.implicit-refused', flags: { implicit: true }, detail: /returned access_token in the redirect/, impact: 'security', chatgpt: false },
  { id: 'authz.redirect-exact', flags: { redirectCheck: 'ignore-query' }, detail: /gpt-oauth-probe=1/, impact: 'security' },
  // The issuer stays fixed, only the endpoints follow Host: the detail and fix say exactly that.
  { id: 'as.issuer-stable', flags: { hostFromHeader: true }, detail: /endpoints follow the request's headers while its issuer stays http:\/\/127\.0\.0\.1:\d+ \(with Host: authorization_endpoint became http:\/\/gpt-oauth-probe\.example\/authorize/, fix: /^Build the endpoint URLs from the configured issuer/, impact: 'security', chatgpt: false },
  { id: 'resource.rejects-other-audience', flags: { rs: { ignoreAudience: true } }, detail: /ACCEPTED a token issued for http:\/\/127\.0\.0\.1:\d+\/gpt-oauth-other-resource/, impact: 'security', chatgpt: false },
  { id: 'token.lifetime', flags: { longLived: true }, status: 'warn', detail: /lives 48 h/, fix: /\(RFC 6819 §5\.1\.5\.3\)\.$/, impact: 'security' },
  // Two findings of issue 29: a silent PKCE downgrade to plain, an error code outside RFC 6750 §3.1.
  { id: 'pkce.plain-refused', flags: { pkcePlain: true }, status: 'warn', detail: /advertises only S256, but an authorization request with code_challenge_method=plain got a code that its plain verifier redeemed/, impact: 'security', chatgpt: false },
  { id: 'resource.bearer-error-codes', flags: { rs: { emptyBearerError: 'unauthorized' } }, status: 'warn', detail: /an empty Bearer credential got 401 with error="unauthorized", which is not one of RFC 6750 §3\.1's codes/, impact: 'interop', chatgpt: false },
  { id: 'token.error-format', flags: { tokenErrorCodes: 'wrong' }, status: 'warn', detail: /a wrong code_verifier got "invalid_request", not invalid_grant/, impact: 'interop' },
];

/** Servers that behave as ChatGPT needs in a less common way: the doctor must report no failure. */
export const soundVariants: { name: string; flags: ToyFlags }[] = [
  { name: 'an authorize endpoint that answers Accept: application/json with JSON (browsers get the redirect)', flags: { authorizeJsonOnAccept: true } },
  { name: 'CIMD only (no dynamic registration)', flags: { cimdOnly: true } },
  { name: 'CIMD and DCR, accepting ChatGPT\'s document', flags: { cimdBoth: true } },
  { name: 'mixed auth mode done right', flags: { mixed: 'ok' } },
  { name: 'Negotiate, NTLM and Bearer challenges in one WWW-Authenticate', flags: { multiChallenge: true } },
  { name: 'gzip-encoded metadata', flags: { gzipMetadata: true } },
  { name: 'no RFC 9207 iss, per-connector callbacks accepted', flags: { iss: 'unsupported' } },
  { name: 'a 403 insufficient_scope step-up on the MCP endpoint', flags: { rs: { stepUp: 'mcp:admin' } } },
  { name: 'a code presented by another client is refused and ended', flags: { codeEndsOnMisuse: true } },
];
