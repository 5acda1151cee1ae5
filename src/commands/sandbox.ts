/** `gpt-oauth sandbox`: run the embedded reference server until interrupted. */
import { invocation } from '../invocation.js';
import { UsageError, EXIT } from '../errors.js';
import type { IO } from '../ui/io.js';

export interface SandboxCommandOptions {
  port?: string;
  loginPage?: boolean;
  consentPage?: boolean | string;
  mixedAuth?: boolean;
}

export async function run(io: IO, o: SandboxCommandOptions): Promise<number> {
  const port = Number(o.port ?? '0');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number (got "${o.port}")`);
  if (typeof o.consentPage === 'string' && o.consentPage !== 'new-client' && o.consentPage !== 'every-time') throw new UsageError(`--consent-page must be "new-client" or "every-time" (got "${o.consentPage}")`);
  const consentPage = o.consentPage === 'every-time' ? 'every-time' as const : !!o.consentPage;
  // The first line before oidc-provider loads (about a second).
  io.stderr.write('Starting the sandbox…\n');
  const { startSandbox } = await import('../sandbox/server.js');
  const { safeText } = await import('../text.js');
  let sb;
  try {
    sb = await startSandbox({
      port, loginPage: !!o.loginPage, consentPage, mixedAuth: !!o.mixedAuth, gptClientSecret: io.env.GPT_OAUTH_CLIENT_SECRET || undefined,
      // So a learner sees what the doctor (or ChatGPT-like client) does, one line per request.
      onRequest: (r) => io.stderr.write(`${r.method} ${safeText(r.path, 200)} → ${r.status} (${r.ms} ms)\n`),
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`--port ${port}: that port on 127.0.0.1 is already in use`, 'Choose another --port, or leave it out for a free one.');
    if (code === 'EACCES') throw new UsageError(`--port ${port}: not allowed to listen on it (ports below 1024 need privileges)`);
    throw err;
  }
  const info = {
    issuer: sb.issuer, mcpUrl: sb.mcpUrl, protectedResourceMetadata: sb.prmUrl, user: sb.userId, login: o.loginPage ? 'page' : 'auto-approve',
    // The sandbox's own random test value, printed by the banner too (not a real credential);
    // with GPT_OAUTH_CLIENT_SECRET set it is the user's, and never printed.
    gptAction: { clientId: sb.gpt.clientId, ...(io.env.GPT_OAUTH_CLIENT_SECRET ? {} : { clientSecret: sb.gpt.clientSecret }), gptId: sb.gpt.gptId, authUrl: sb.gpt.authUrl, tokenUrl: sb.gpt.tokenUrl, scope: sb.gpt.scope, apiUrl: sb.gpt.apiUrl },
  };
  if (io.json) io.stdout.write(`${JSON.stringify(info)}\n`);
  else {
    io.stdout.write([
      'gpt-oauth sandbox is running (Ctrl-C to stop)',
      `  MCP server URL:  ${sb.mcpUrl}`,
      `  Issuer:          ${sb.issuer}`,
      `  Metadata:        ${sb.prmUrl}`,
      `  Sign-in:         ${o.loginPage ? `a sign-in page for the test user "${sb.userId}"` : `approves every request as "${sb.userId}"`}${consentPage === 'every-time' ? '; a consent page for every authorization' : consentPage ? '; a consent page for each new client' : ''}`,
      ...(o.mixedAuth ? ['  Auth mode:       mixed (initialize and tools/list are public; the tool whoami needs a sign-in)'] : []),
      '',
      'Test it as ChatGPT would:',
      `  ${invocation()} doctor ${sb.mcpUrl} --login ${o.loginPage ? 'browser' : 'auto'}`,
      '',
      `GPT Action client: ${sb.gpt.clientId} (GPT ${sb.gpt.gptId}, both callback URLs registered), API ${sb.gpt.apiUrl}`,
      // A random local test value (not a real credential), printed so the command below runs as is.
      ...(io.env.GPT_OAUTH_CLIENT_SECRET ? ['  (its secret is the GPT_OAUTH_CLIENT_SECRET you started the sandbox with)'] : []),
      `  GPT_OAUTH_CLIENT_SECRET=${io.env.GPT_OAUTH_CLIENT_SECRET ? '"$GPT_OAUTH_CLIENT_SECRET"' : sb.gpt.clientSecret} ${invocation()} doctor --target actions --auth-url ${sb.gpt.authUrl} --token-url ${sb.gpt.tokenUrl} --client-id ${sb.gpt.clientId} --scope ${sb.gpt.scope} --gpt-id ${sb.gpt.gptId} --api-url ${sb.gpt.apiUrl} --login auto`,
      '',
    ].join('\n'));
  }
  // Ctrl-C is this command's normal end: it claims it and stops the sandbox itself.
  const { claimInterrupt } = await import('../ui/interrupt.js');
  const release = claimInterrupt();
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  release();
  await sb.close();
  io.stderr.write('Sandbox stopped.\n');
  return EXIT.interrupted;
}
