/**
 * The OS keyring path of stored secrets, against a real Secret Service: gnome-keyring in its own
 * D-Bus session (Debian packages gnome-keyring, libsecret-tools; `.ci/run` installs them). Where
 * no keyring is usable the 0600-file fallback is what the other tests cover.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN } from './helpers/cli.js';
import { startClerkFake } from './helpers/fakes/clerk.js';
import type { ProviderFake } from './helpers/provider-fake.js';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/**
 * Start an unlocked keyring in this D-Bus session, then wait until it owns the Secret Service
 * name: otherwise the first client races it and D-Bus activates a second, locked daemon.
 */
const START_KEYRING = [
  `eval "$(printf 'test-keyring-password\\n' | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null`,
  'for i in $(seq 1 100); do',
  '  dbus-send --session --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true" && break',
  '  sleep 0.1',
  'done',
].join('\n');

/** Can this machine run a Secret Service at all? (A platform probe with secret-tool, not our code.) */
function secretServiceWorks(): boolean {
  if (!has('dbus-run-session') || !has('dbus-send') || !has('gnome-keyring-daemon') || !has('secret-tool')) return false;
  const home = mkdtempSync(join(tmpdir(), 'gpt-oauth-keyring-probe-'));
  const r = spawnSync('dbus-run-session', ['--', 'bash', '-c',
    `${START_KEYRING}\nprintf ok | secret-tool store --label=probe service gpt-oauth-probe account probe && secret-tool lookup service gpt-oauth-probe account probe`],
  { env: { ...process.env, HOME: home }, encoding: 'utf8', timeout: 20_000 });
  return r.stdout === 'ok';
}
const keyringAvailable = secretServiceWorks();

let fake: ProviderFake | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

describe.skipIf(!keyringAvailable)('secrets in the OS keyring (gnome-keyring over D-Bus)', () => {
  it('init stores the new client secret in the keyring, not in a file, and it reads back', async () => {
    const f = await startClerkFake();
    fake = f.fake;
    const dir = mkdtempSync(join(tmpdir(), 'gpt-oauth-keyring-'));
    const configDir = join(dir, '.config');
    const secretsModule = new URL('../dist/secrets.js', import.meta.url).href;
    const script = join(dir, 'run.sh');
    writeFileSync(script, [
      'set -u',
      `export HOME=${q(dir)}`,
      // An unlocked login keyring for this D-Bus session only.
      START_KEYRING,
      `${q(process.execPath)} ${q(BIN)} --config ${q(join(dir, 'gpt-oauth.yaml'))} init --target actions --provider clerk --api-url https://api.todo.example/me --gpt-id g-AbC123xyz --yes --no-doctor --no-open > ${q(join(dir, 'out'))} 2> ${q(join(dir, 'err'))}`,
      `echo $? > ${q(join(dir, 'code'))}`,
      `secret-tool search --all service gpt-oauth > ${q(join(dir, 'keyring'))} 2>/dev/null`,
      `${q(process.execPath)} --input-type=module -e ${q(`import { readSecret, secretAccount } from '${secretsModule}'; const id = process.argv[1]; process.stdout.write(String(await readSecret(secretAccount('clerk', id))));`)} "$(sed -n 's/^ *clientId: //p' ${q(join(dir, 'gpt-oauth.yaml'))})" > ${q(join(dir, 'readback'))}`,
    ].join('\n'));
    const env: Record<string, string | undefined> = { ...process.env, ...f.env, GPT_OAUTH_CONFIG_DIR: configDir, NO_COLOR: '1' };
    delete env.GPT_OAUTH_SECRET_BACKEND;
    // Asynchronous: the provider fake answers from this process while the CLI runs.
    const r = await new Promise<{ stderr: string }>((resolve) => {
      const child = spawn('dbus-run-session', ['--', 'bash', script], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('close', () => { clearTimeout(timer); resolve({ stderr }); });
    });
    const read = (name: string) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8') : '');
    expect(read('code').trim(), `${r.stderr}\n${read('err')}`).toBe('0');

    const app = [...f.state.apps.values()][0]!;
    const secret = String(app.client_secret);
    expect(read('err')).toMatch(/Stored the client secret in the OS keyring \(service "gpt-oauth", account "clerk:[^"]+:client_secret"\)/);
    expect(existsSync(join(configDir, 'secrets.json'))).toBe(false);
    // Really in the Secret Service, under our service and the app's account...
    expect(read('keyring')).toContain(`label = keyring:clerk:${String(app.client_id)}:client_secret@gpt-oauth`);
    expect(read('keyring')).toContain(`secret = ${secret}`);
    // ...and read back by the code the doctor uses.
    expect(read('readback')).toBe(secret);
    expect(read('out') + read('err')).not.toContain(secret);
  });
});
