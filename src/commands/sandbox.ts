/** `gpt-oauth sandbox`: run the embedded reference server until interrupted. */
import { UsageError, EXIT } from '../errors.js';
import type { IO } from '../ui/io.js';

export interface SandboxCommandOptions {
  port?: string;
  loginPage?: boolean;
  mixedAuth?: boolean;
}

export async function run(io: IO, o: SandboxCommandOptions): Promise<number> {
  const port = Number(o.port ?? '0');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number (got "${o.port}")`);
  const { startSandbox } = await import('../sandbox/server.js');
  const sb = await startSandbox({ port, loginPage: !!o.loginPage, mixedAuth: !!o.mixedAuth, gptClientSecret: io.env.GPT_OAUTH_CLIENT_SECRET || undefined });
  const info = {
    issuer: sb.issuer, mcpUrl: sb.mcpUrl, protectedResourceMetadata: sb.prmUrl, user: sb.userId, login: o.loginPage ? 'page' : 'auto-approve',
    gptAction: { clientId: sb.gpt.clientId, gptId: sb.gpt.gptId, authUrl: sb.gpt.authUrl, tokenUrl: sb.gpt.tokenUrl, scope: sb.gpt.scope, apiUrl: sb.gpt.apiUrl },
  };
  if (io.json) io.stdout.write(`${JSON.stringify(info)}\n`);
  else {
    io.stdout.write([
      'gpt-oauth sandbox is running (Ctrl-C to stop)',
      `  MCP server URL:  ${sb.mcpUrl}`,
      `  Issuer:          ${sb.issuer}`,
      `  Metadata:        ${sb.prmUrl}`,
      `  Sign-in:         ${o.loginPage ? `a sign-in page for the test user "${sb.userId}"` : `approves every request as "${sb.userId}"`}`,
      ...(o.mixedAuth ? ['  Auth mode:       mixed (initialize and tools/list are public; the tool whoami needs a sign-in)'] : []),
      '',
      'Test it as ChatGPT would:',
      `  npx gpt-oauth doctor ${sb.mcpUrl} --login ${o.loginPage ? 'browser' : 'auto'}`,
      '',
      `GPT Action client: ${sb.gpt.clientId} (GPT ${sb.gpt.gptId}, both callback URLs registered), API ${sb.gpt.apiUrl}`,
      ...(io.env.GPT_OAUTH_CLIENT_SECRET ? [] : ['  (its secret is random: start the sandbox with GPT_OAUTH_CLIENT_SECRET set to choose it)']),
      `  GPT_OAUTH_CLIENT_SECRET=… npx gpt-oauth doctor --target actions --auth-url ${sb.gpt.authUrl} --token-url ${sb.gpt.tokenUrl} --client-id ${sb.gpt.clientId} --scope ${sb.gpt.scope} --gpt-id ${sb.gpt.gptId} --api-url ${sb.gpt.apiUrl} --login auto`,
      '',
    ].join('\n'));
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await sb.close();
  io.stderr.write('Sandbox stopped.\n');
  return EXIT.interrupted;
}
