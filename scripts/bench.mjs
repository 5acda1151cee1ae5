#!/usr/bin/env node
// npm run bench: speed targets, each measured against a baseline taken in the same run.
//   1. `gpt-oauth --help` wall time vs bare `node -e 0` (target ≤ 1.25×), and the first byte of
//      `doctor --sandbox` and `sandbox` vs that `--help` time (target ≤ 2×)
//   2. the doctor's full apps suite against an already running sandbox (target ≤ 1 s), with the
//      number of HTTP requests it made, vs the same number of plain GETs to that sandbox.
//   3. the doctor against a hostile server whose every text field is 1 MiB of adversarial input
//      (regex-DoS shapes, escapes), next to the same run against the sandbox.
//      Then redaction alone: 1 MiB of output (tokens, escapes, long runs of letters and digits)
//      with 200 secrets registered (every spelling, every 8 characters of their random runs),
//      against the same text with none (target ≤ 4×); and 200 secrets registered one at a time
//      with a redaction after each, as a run registers them between checks.
//   4. the apps suite behind 100 ms of latency each way (RTT 200 ms, a delaying TCP proxy on
//      loopback written here), next to the sequential sum (requests × RTT) and its round-trip
//      floor measured in the same run: the same suite with no limit on requests or checks in
//      flight, bound only by its longest chain of requests that depend on each other (the
//      discovery, the first sign-in, the refresh chain, the two replays one after another).
//      Target: ≤ 1.5 × floor + process start. For scale, next to ChatGPT's own first connection,
//      10 dependent round trips (10 GETs one after another on one warm connection).
//   5. a --login browser run against the sandbox in headless Chromium (when installed).
//   6. the installed footprint of the production dependencies, vs the development tree.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = `${root}bin/gpt-oauth.js`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => `${ms.toFixed(1)} ms`;

function wall(args, runs) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return median(times);
}

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
wall([bin, '--help'], 2); // warm the compile cache and the file system
const base = wall(['-e', '0'], RUNS);
const help = wall([bin, '--help'], RUNS);
const ratio = help / base;
console.log(`startup   node -e 0 (baseline): ${fmt(base)}   gpt-oauth --help: ${fmt(help)}   ratio ${ratio.toFixed(2)}× (target ≤ 1.25×) ${ratio <= 1.25 ? 'OK' : 'OVER'}`);

// 1b. The first byte a person sees from `doctor --sandbox` and `sandbox` (stderr or stdout), vs
// the whole of `--help` (target ≤ 2×): the first line is printed before anything heavy loads.
const { spawn } = await import('node:child_process');
function firstByte(args) {
  return new Promise((resolve, reject) => {
    const t = process.hrtime.bigint();
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: 'true' } });
    let seen = false;
    const on = () => {
      if (seen) return;
      seen = true;
      resolve(Number(process.hrtime.bigint() - t) / 1e6);
      child.kill('SIGKILL');
    };
    child.stdout.once('data', on);
    child.stderr.once('data', on);
    child.once('error', reject);
    child.once('close', () => { if (!seen) reject(new Error(`${args.join(' ')} printed nothing`)); });
  });
}
for (const args of [['doctor', '--sandbox'], ['sandbox']]) {
  const times = [];
  for (let i = 0; i < RUNS; i++) times.push(await firstByte(args));
  const fb = median(times);
  console.log(`first byte gpt-oauth ${args.join(' ')}: ${fmt(fb)}   vs --help to the end: ${fmt(help)}   ratio ${(fb / help).toFixed(2)}× (target ≤ 2×) ${fb <= 2 * help ? 'OK' : 'OVER'}`);
}

const { startSandbox } = await import(`${root}dist/sandbox/server.js`);
const { runAppsSuite } = await import(`${root}dist/doctor/suites/apps.js`);
const { HttpClient, PER_ORIGIN_LIMIT } = await import(`${root}dist/http/client.js`);
const sb = await startSandbox();
const suite = async () => {
  const http = new HttpClient({ timeoutMs: 10_000, maxBytes: 1 << 20, userAgent: 'bench' });
  const t = performance.now();
  const report = await runAppsSuite({ mcpUrl: sb.mcpUrl, http, login: 'auto' });
  const ms = performance.now() - t;
  await http.close();
  if (report.summary.failed) throw new Error('the suite failed against the sandbox');
  return { ms, requests: http.requestCount };
};
await suite(); // warm-up
const SUITE_RUNS = Number(process.env.BENCH_SUITE_RUNS ?? 10);
const results = [];
for (let i = 0; i < SUITE_RUNS; i++) results.push(await suite());
const suiteMs = median(results.map((r) => r.ms));
const requests = results[0].requests;

// Baseline: the same number of plain GETs to the same sandbox, over the same HTTP layer (one
// client for all runs, so without the per-run request budget).
const http = new HttpClient({ timeoutMs: 10_000, maxBytes: 1 << 20, userAgent: 'bench', maxRequests: Infinity });
const plain = [];
for (let i = 0; i < SUITE_RUNS; i++) {
  const t = performance.now();
  for (let j = 0; j < requests; j++) await http.send({ url: `${sb.origin}/.well-known/oauth-protected-resource/mcp` });
  plain.push(performance.now() - t);
}
await http.close();

// 3. Hostile text: every string a server controls is 1 MiB of the shapes that make naive
//    patterns quadratic (eyJ runs, unclosed tags, escape starts, quote-less JSON fields).
const { createServer } = await import('node:http');
const MiB = 1 << 20;
const evil = ('eyJ'.repeat(4) + '<title<h1<' + '\u001b]\u001b[' + '"code": "').repeat(Math.ceil(MiB / 36)).slice(0, MiB - 64);
const hostile = createServer((req, res) => {
  const origin = `http://127.0.0.1:${hostile.address().port}`;
  const path = new URL(req.url, origin).pathname;
  const json = (status, body, headers = {}) => { res.writeHead(status, { 'content-type': 'application/json', ...headers }); res.end(JSON.stringify(body)); };
  if (path === '/mcp') {
    res.writeHead(401, { 'www-authenticate': `Bearer resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp", error_description="${'eyJ'.repeat(20_000)}"`, 'content-type': 'text/html' });
    return res.end(evil);
  }
  if (path.startsWith('/.well-known/oauth-protected-resource')) return json(200, { resource: `${origin}/mcp`, authorization_servers: [origin], resource_name: evil, scopes_supported: ['mcp'] });
  if (path.startsWith('/.well-known/')) {
    return json(200, { issuer: origin, authorization_endpoint: `${origin}/authorize`, token_endpoint: `${origin}/token`, registration_endpoint: `${origin}/register`, jwks_uri: `${origin}/jwks`, code_challenge_methods_supported: ['S256'], service_documentation: evil });
  }
  if (path === '/register') return json(400, { error: 'invalid_client_metadata', error_description: evil });
  res.writeHead(400, { 'content-type': 'text/html' });
  res.end(evil);
});
await new Promise((r) => hostile.listen(0, '127.0.0.1', r));
const hostileRun = async (url) => {
  const h = new HttpClient({ timeoutMs: 10_000, maxBytes: 1 << 20, userAgent: 'bench' });
  const t = performance.now();
  await runAppsSuite({ mcpUrl: url, http: h, login: 'auto' });
  const ms = performance.now() - t;
  await h.close();
  return ms;
};
const hostileMs = await hostileRun(`http://127.0.0.1:${hostile.address().port}/mcp`);
const sandboxMs = await hostileRun(sb.mcpUrl);
hostile.close();
await sb.close();
console.log(`doctor    apps suite vs running sandbox: ${fmt(suiteMs)} median of ${SUITE_RUNS}, ${requests} HTTP requests (target ≤ 1000 ms) ${suiteMs <= 1000 ? 'OK' : 'OVER'}`);
console.log(`          baseline: ${requests} plain GETs to the same sandbox: ${fmt(median(plain))}  (suite overhead ×${(suiteMs / median(plain)).toFixed(1)})`);

console.log(`hostile   every server string 1 MiB of adversarial text: ${fmt(hostileMs)}   baseline: the same suite vs the sandbox: ${fmt(sandboxMs)}`);

{
  const { randomBytes } = await import('node:crypto');
  const { clearSecrets, redact, registerSecret } = await import(`${root}dist/http/redact.js`);
  const secretOf = () => `fz"${randomBytes(9).toString('base64')}\\${randomBytes(12).toString('hex')}&c<d>e'${randomBytes(6).toString('base64url')}`;
  const text = Array.from({ length: 4000 }, (_, i) => (i % 50 === 0 ? JSON.stringify(JSON.stringify(secretOf())) : `${randomBytes(24).toString('base64')} "code": "x" &amp; eyJ${randomBytes(30).toString('hex')} `)).join('').slice(0, MiB);
  const timeRedact = () => median(Array.from({ length: 5 }, () => { const t = performance.now(); redact(text); return performance.now() - t; }));
  clearSecrets();
  redact(text); // warm-up
  const none = timeRedact();
  for (let i = 0; i < 200; i++) registerSecret(secretOf(), 'client_secret', true);
  const many = timeRedact();
  clearSecrets();
  const t = performance.now();
  for (let i = 0; i < 200; i++) { registerSecret(secretOf(), 'client_secret', true); redact('a check\'s detail of a line or two, with nothing secret in it'); }
  const oneByOne = performance.now() - t;
  clearSecrets();
  console.log(`redaction 1 MiB of output, 200 secrets registered: ${fmt(many)}   baseline: the same with none: ${fmt(none)}; ratio ${(many / none).toFixed(2)}× (target ≤ 4×) ${many <= 4 * none ? 'OK' : 'OVER'}`);
  console.log(`          200 secrets registered one at a time, a redaction after each: ${fmt(oneByOne)}`);
}

// 4. Latency: every chunk in either direction waits 100 ms in a TCP proxy on loopback
//    (BENCH_LATENCY_MS: another delay, e.g. a short one where only the run itself matters).
const net = await import('node:net');
const DELAY = Number(process.env.BENCH_LATENCY_MS ?? 100);
let target = 0;
const proxy = net.createServer((client) => {
  const upstream = net.connect(target, '127.0.0.1');
  const later = (to) => (chunk) => setTimeout(() => { if (!to.destroyed) to.write(chunk); }, DELAY);
  client.on('data', later(upstream));
  upstream.on('data', later(client));
  const end = () => setTimeout(() => { client.destroy(); upstream.destroy(); }, DELAY);
  client.on('close', end);
  upstream.on('close', end);
  client.on('error', () => undefined);
  upstream.on('error', () => undefined);
});
await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
const publicOrigin = `http://127.0.0.1:${proxy.address().port}`;
const slow = await startSandbox({ publicOrigin });
target = slow.port;
const lh = new HttpClient({ timeoutMs: 30_000, maxBytes: 1 << 20, userAgent: 'bench', maxRequests: Infinity });
// ChatGPT's first connection, for scale (and one round trip): 10 requests one after another on one warm connection.
await lh.send({ url: slow.prmUrl });
const f0 = performance.now();
for (let i = 0; i < 10; i++) await lh.send({ url: slow.prmUrl });
const floorMs = performance.now() - f0;
await lh.close();
const slowRun = async (perOriginLimit, concurrency) => {
  const lat = new HttpClient({ timeoutMs: 30_000, maxBytes: 1 << 20, userAgent: 'bench', perOriginLimit });
  const l0 = performance.now();
  const report = await runAppsSuite({ mcpUrl: slow.mcpUrl, http: lat, login: 'auto', concurrency });
  const ms = performance.now() - l0;
  await lat.close();
  if (report.summary.failed) throw new Error('the suite failed against the slow sandbox');
  return { ms, requests: lat.requestCount, connections: lat.connections, stats: report.stats };
};
const { ms: latencyMs, requests: latRequests, connections: latConnections, stats: latStats } = await slowRun(undefined);
// The round-trip floor of this run: the same run with no limit on requests or checks in flight,
// so that only the requests that depend on each other bound it (its longest chain).
const unbound = await slowRun(Infinity, 1000);
// The same with a browser's 6 requests per origin, to show what the default of 8 buys.
const browserCap = await slowRun(6);
await slow.close();
proxy.close();
const rtt = 2 * DELAY;
const oneTrip = floorMs / 10;
const target15 = 1.5 * unbound.ms + base;
console.log(`latency   apps suite at RTT ${rtt} ms: ${fmt(latencyMs)}, ${latRequests} requests over ${latConnections} connections   sequential sum (requests × RTT): ${fmt(latRequests * rtt)}`);
console.log(`          baseline: the round-trip floor, the same run bound only by its requests that depend on each other (no limit in flight): ${fmt(unbound.ms)}, ${(unbound.ms / oneTrip).toFixed(1)} round trips of ${fmt(oneTrip)}; ratio ${(latencyMs / unbound.ms).toFixed(2)}× the floor (target ≤ 1.5 × floor + process start = ${fmt(target15)}) ${latencyMs <= target15 ? 'OK' : 'OVER'}`);
console.log(`          for scale, ChatGPT's own first connection: 10 dependent round trips, ${fmt(floorMs)} measured; this run ${(latencyMs / floorMs).toFixed(2)}× that`);
console.log(`          at a browser's 6 requests per origin (the default is ${PER_ORIGIN_LIMIT}): ${fmt(browserCap.ms)}, ${browserCap.requests} requests`);
console.log(`          per run: ${latStats.signIns} sign-ins, ${latStats.registrationRequests} registration requests (${latStats.clientsRegistered} clients of the doctor's own for isolation; ChatGPT sends one), ${latStats.rechecked} failures re-checked alone`);

// 5. A --login browser run against the sandbox's sign-in page in headless Chromium: browser
//    launches and the person's actions (sign-ins, consents) from the helper's log, and the time,
//    against a --login auto run plus one start of the same stand-in browser, measured in the same
//    run (target ≤ 1.5×).
//    Then the same against a sandbox that asks consent for every new client.
const { existsSync, mkdtempSync, readFileSync } = await import('node:fs');
if (existsSync('/usr/bin/chromium')) {
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { spawn } = await import('node:child_process');
  // Asynchronous: the second run's sandbox lives in this process.
  const browserRun = async (args) => {
    const log = join(mkdtempSync(join(tmpdir(), 'gpt-oauth-bench-')), 'log.jsonl');
    const t = performance.now();
    const child = spawn(process.execPath, [bin, 'doctor', ...args, '--login', 'browser', '--login-timeout', '60'], { env: { ...process.env, GPT_OAUTH_BROWSER: `${process.execPath} ${root}test/helpers/browser-login.mjs`, BROWSER_LOG: log }, stdio: 'ignore' });
    const r = { status: await new Promise((resolve) => child.on('close', resolve)) };
    const ms = performance.now() - t;
    // The helper logs once the tab is on the last page; give it a moment.
    for (let i = 0; i < 50 && !(existsSync(log) && readFileSync(log, 'utf8').includes('"done"')); i++) await new Promise((res) => setTimeout(res, 100));
    const events = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
    const done = events.find((e) => e.event === 'done');
    return { ms, code: r.status, launches: events.filter((e) => e.event === 'probe').length, actions: done ? done.actions.signIn + done.actions.consent : NaN, consents: done?.actions.consent ?? NaN };
  };
  // Median of three of each (BENCH_BROWSER_RUNS): the machine's noise is a few hundred ms per run.
  const reps = Math.max(1, Number(process.env.BENCH_BROWSER_RUNS ?? 3));
  const median3 = async (f) => { const xs = []; for (let i = 0; i < reps; i++) xs.push(await f()); return xs.sort((a, b) => (a.ms ?? a) - (b.ms ?? b))[Math.floor(reps / 2)]; };
  const autoMs = await median3(() => { const a0 = performance.now(); spawnSync(process.execPath, [bin, 'doctor', '--sandbox', '--login', 'auto'], { encoding: 'utf8' }); return performance.now() - a0; });
  // One browser start by the same stand-in the run uses: a process that loads playwright-core,
  // launches Chromium with the helper's flags and loads a page (the person's browser start).
  const launchMs = await median3(() => { const c0 = performance.now();
  spawnSync(process.execPath, ['--input-type=module', '-e', `
    const { chromium } = await import('playwright-core');
    const b = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    await (await b.newPage()).goto('about:blank');
    await b.close();`], { cwd: root, stdio: 'ignore' });
  return performance.now() - c0; });
  const page = await median3(() => browserRun(['--sandbox']));
  const target = 1.5 * (autoMs + launchMs);
  console.log(`browser   doctor --sandbox --login browser in headless Chromium: ${fmt(page.ms)} (median of ${reps}) (exit ${page.code}), ${page.launches} browser launch(es) (goal 1), ${page.actions} person action(s) (goal ≤ 2)`);
  console.log(`          baseline: --login auto ${fmt(autoMs)} + one start of the stand-in browser (process, playwright-core, Chromium) ${fmt(launchMs)}; target ≤ 1.5× = ${fmt(target)} ${page.ms <= target ? 'OK' : 'OVER'}`);
  const consenting = await startSandbox({ loginPage: true, consentPage: true });
  const c = await browserRun([consenting.mcpUrl]);
  await consenting.close();
  console.log(`          with a consent page for every new client: ${fmt(c.ms)}, ${c.launches} launch(es), ${c.actions} person actions (1 sign-in + ${c.consents} consents: one per client the run registers)`);
} else {
  console.log('browser   skipped: /usr/bin/chromium is not installed');
}

// 6. Footprint: what `npm install gpt-oauth` puts on disk (the production dependency tree as
//    installed here), against the whole development tree in the same node_modules.
const { readdirSync, lstatSync } = await import('node:fs');
const { join } = await import('node:path');
function bytes(dir) {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) n += bytes(p);
    else if (e.isFile()) n += lstatSync(p).size;
  }
  return n;
}
const tree = (omitDev) => {
  const r = spawnSync('npm', ['ls', '--all', '--parseable', ...(omitDev ? ['--omit=dev'] : [])], { cwd: root, encoding: 'utf8' });
  const dirs = [...new Set(r.stdout.split('\n').filter((l) => l.includes('node_modules')))];
  // A package's own files only (nested node_modules are counted as their own packages).
  const own = (dir) => readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.name === 'node_modules' ? 0 : e.isDirectory() ? bytes(join(dir, e.name)) : e.isFile() ? lstatSync(join(dir, e.name)).size : 0), 0);
  return { packages: dirs.length, mb: dirs.reduce((n, d) => n + own(d), 0) / 1e6 };
};
const prod = tree(true);
const all = tree(false);
console.log(`footprint installed dependencies: ${prod.packages} packages, ${prod.mb.toFixed(1)} MB (+ ${(bytes(join(root, 'dist')) / 1e6).toFixed(1)} MB dist)`);
console.log(`          baseline: the development tree in the same node_modules: ${all.packages} packages, ${all.mb.toFixed(1)} MB`);
