// The page and its driver end to end: the built page served by the stub admin server over
// HTTPS with client certificates, in Debian's headless Chromium. Skipped (with the reason)
// where there is no Chromium; .ci/run installs it.

import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { makeCertificates } from './certificates.mjs';
import { startStubCoordinator, stubRound } from './stub-coordinator.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const web = join(here, '..', '..', 'main', 'web');
const driver = join(here, 'dashboard.mjs');
const chromiumPath = process.env.FEDGE_CHROMIUM || '/usr/bin/chromium';

function missingTools() {
  try {
    accessSync(chromiumPath, constants.X_OK);
  } catch {
    return `no Chromium at ${chromiumPath} (apt-get install chromium)`;
  }
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
  } catch {
    return 'no openssl command to make test certificates';
  }
  return false;
}
const skip = missingTools();

/** Runs the driver; resolves to {code, json, stderr}. */
function runDriver(args, env = {}) {
  return new Promise((done) => {
    execFile(process.execPath, [driver, ...args], { env: { ...process.env, ...env }, timeout: 120_000 }, (error, stdout, stderr) => {
      const lines = stdout.split('\n').filter((l) => l !== '');
      let json = null;
      try {
        json = lines.length === 1 ? JSON.parse(lines[0]) : null;
      } catch {
        json = null;
      }
      done({ code: error === null ? 0 : error.code, json, lines, stderr });
    });
  });
}

/** The width and height in a PNG's IHDR chunk. */
function pngSize(path) {
  const bytes = readFileSync(path);
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG signature');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

let dir;
let certs;
let assetsDir;

before(() => {
  if (skip) {
    return;
  }
  dir = mkdtempSync(join(tmpdir(), 'fedge-dashboard-e2e-'));
  certs = makeCertificates(dir);
  assetsDir = join(dir, 'page');
  execFileSync(process.execPath, [join(web, 'build.mjs'), assetsDir], { stdio: 'ignore' });
});

after(() => {
  if (dir !== undefined) {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('the driver', { skip }, () => {
  test('waits for the rounds, takes a screenshot, rolls back through the page and prints one JSON line', async () => {
    const stub = await startStubCoordinator({ certs, assetsDir, rounds: 50, roundMs: 0 });
    try {
      for (let i = 0; i < 10; i++) {
        stub.advance();
      }
      // Rounds 1..10 ran, round 7 failed: version 10. Rolling back to 3 makes version 11, stable.
      const shot = join(dir, 'driver.png');
      const r = await runDriver(['--url', stub.url, '--cert', certs.admin.crt, '--key', certs.admin.key, '--ca', certs.ca,
        '--screenshot', shot, '--min-rounds', '10', '--rollback', '3', '--timeout-ms', '60000']);
      assert.equal(r.code, 0, `${r.lines.join('\n')}\n${r.stderr}`);
      assert.equal(r.lines.length, 1, 'one line on stdout');
      assert.deepEqual(r.json, {
        rounds: 10, modelVersion: 11, stable: 11, action: 'rolled back to version 3: training continues from version 11',
      });
      assert.deepEqual(stub.status().modelVersion, 11);
      const posts = stub.requests.filter((q) => q.method === 'POST');
      assert.deepEqual(posts, [{ method: 'POST', path: '/api/models/3/rollback', admin: '1', cn: 'admin' }]);
      assert.ok(stub.requests.every((q) => q.cn === 'admin'), 'every request carried the admin certificate');
      const size = pngSize(shot);
      assert.equal(size.width, 1400);
      assert.ok(size.height >= 1000, `full page height ${size.height}`);
    } finally {
      await stub.close();
    }
  });

  test('waits while the federation advances', async () => {
    const stub = await startStubCoordinator({ certs, assetsDir, rounds: 50, roundMs: 200 });
    try {
      const r = await runDriver(['--url', stub.url, '--cert', certs.admin.crt, '--key', certs.admin.key, '--ca', certs.ca,
        '--screenshot', join(dir, 'advancing.png'), '--min-rounds', '6', '--timeout-ms', '60000']);
      assert.equal(r.code, 0, `${r.lines.join('\n')}\n${r.stderr}`);
      assert.ok(r.json.rounds >= 6, `rounds ${r.json.rounds}`);
      assert.equal(r.json.action, null);
      assert.equal(Number.isSafeInteger(r.json.modelVersion), true);
      assert.equal(r.json.stable, 1);
    } finally {
      await stub.close();
    }
  });

  test('fails with one JSON line when the rounds do not come, or the server or the version is wrong', async () => {
    const stub = await startStubCoordinator({ certs, assetsDir, rounds: 50, roundMs: 0 });
    try {
      for (let i = 0; i < 3; i++) {
        stub.advance();
      }
      const admin = ['--cert', certs.admin.crt, '--key', certs.admin.key];
      const common = ['--url', stub.url, '--screenshot', join(dir, 'fail.png'), '--timeout-ms', '8000'];
      const cases = [
        [[...admin, '--ca', certs.ca, '--min-rounds', '50'], /^the page plotted 3 rounds, not 50, within the timeout$/],
        [[...admin, '--ca', certs.ca, '--min-rounds', '1', '--rollback', '2'],
          /^the rollback button of version 2 is disabled \(the model file is no longer kept\)$/],
        [[...admin, '--ca', certs.ca, '--min-rounds', '1', '--rollback', '99'], /^the registry shows no rollback button for version 99$/],
        // The server's certificate is not from this CA: Playwright's proxy refuses it.
        [[...admin, '--ca', join(dir, 'other-ca.crt'), '--min-rounds', '1'], /HTTP 503: Playwright client-certificate error/],
        // A client's certificate from the right CA, but not the admin's: the server answers 403.
        [['--cert', certs.client.crt, '--key', certs.client.key, '--ca', certs.ca, '--min-rounds', '1'],
          /^GET https:\/\/127\.0\.0\.1:\d+\/: HTTP 403: \{"ok":false,"message":"certificate client-7 is not an admin certificate"\}$/],
        // A client certificate from another CA: the server ends the handshake.
        [['--cert', certs.foreign.crt, '--key', certs.foreign.key, '--min-rounds', '1'], /^cannot open https:\/\/127\.0\.0\.1:\d+\/: net::ERR_/],
      ];
      for (const [args, why] of cases) {
        const r = await runDriver([...common, ...args]);
        assert.equal(r.code, 1, `${args.join(' ')}: ${r.lines.join('\n')}`);
        assert.equal(r.lines.length, 1, 'one line on stdout');
        assert.deepEqual(Object.keys(r.json), ['error']);
        assert.match(r.json.error, why);
      }
      assert.equal(stub.requests.filter((q) => q.method === 'POST').length, 0, 'nothing was posted');
    } finally {
      await stub.close();
    }
  });
});

describe('the driver\'s arguments', () => {
  test('bad arguments give one JSON line naming the flag, before any browser starts', async () => {
    const file = fileURLToPath(import.meta.url);
    const ok = ['--cert', file, '--key', file, '--screenshot', '/tmp/x.png'];
    const cases = [
      [['--url', 'https://127.0.0.1:1/', ...ok], /^--min-rounds is required$/],
      [['--url', 'http://127.0.0.1:1/', ...ok, '--min-rounds', '1'], /^--url must be https/],
      [['--url', 'not a url', ...ok, '--min-rounds', '1'], /^--url is not a URL: 'not a url'$/],
      [['--url', 'https://127.0.0.1:1/', ...ok, '--min-rounds', '-1'], /^--min-rounds must be a whole number from 0 to 1000000: '-1'$/],
      [['--url', 'https://127.0.0.1:1/', ...ok, '--min-rounds'], /^--min-rounds needs a value$/],
      [['--url', 'https://127.0.0.1:1/', ...ok, '--min-rounds', 'x'], /^--min-rounds must be a whole number from 0 to 1000000: 'x'$/],
      [['--url', 'https://127.0.0.1:1/', ...ok, '--min-rounds', '1000001'], /from 0 to 1000000: '1000001'$/],
      [['--url', 'https://127.0.0.1:1/', ...ok, '--min-rounds', '1', '--timeout-ms', '999'], /^--timeout-ms must be a whole number from 1000 to 3600000: '999'$/],
      [['--url', 'https://127.0.0.1:1/', ...ok, '--min-rounds', '1', '--rollback', '0'], /^--rollback must be a whole number from 1/],
      [['--url', 'https://127.0.0.1:1/', ...ok, '--min-rounds', '1', '--verbose', 'yes'], /^unknown argument '--verbose'/],
      [['--url', 'https://127.0.0.1:1/', ...ok, '--min-rounds', '1', '--min-rounds', '2'], /^--min-rounds given twice$/],
      [['--url', 'https://127.0.0.1:1/', '--cert', '/nonexistent/admin.crt', '--key', file, '--screenshot', 'x.png', '--min-rounds', '1'], /^--cert \/nonexistent\/admin\.crt: no readable file there$/],
    ];
    for (const [args, why] of cases) {
      const r = await runDriver(args, { FEDGE_CHROMIUM: '/nonexistent/chromium' });
      assert.equal(r.code, 1, args.join(' '));
      assert.equal(r.lines.length, 1);
      assert.match(r.json.error, why);
    }
  });

  test('a missing browser is one JSON line saying where it looked', async () => {
    const file = fileURLToPath(import.meta.url);
    const r = await runDriver(['--url', 'https://127.0.0.1:1/', '--cert', file, '--key', file, '--screenshot', '/tmp/x.png', '--min-rounds', '1'],
      { FEDGE_CHROMIUM: '/nonexistent/chromium' });
    assert.equal(r.code, 1);
    assert.deepEqual(r.json, { error: 'no Chromium at /nonexistent/chromium (apt-get install chromium, or set FEDGE_CHROMIUM)' });
  });
});

describe('the page', { skip }, () => {
  let stub;
  let context;
  let page;
  const consoleErrors = [];
  const pageErrors = [];
  const foreignRequests = [];

  before(async () => {
    const { chromium } = createRequire(join(web, 'package.json'))('playwright-core');
    stub = await startStubCoordinator({ certs, assetsDir, rounds: 50, roundMs: 0 });
    for (let i = 0; i < 8; i++) {
      stub.advance();
    }
    context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: chromiumPath,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      ignoreHTTPSErrors: true,
      viewport: { width: 1400, height: 1000 },
      clientCertificates: [{ origin: new URL(stub.url).origin, certPath: certs.admin.crt, keyPath: certs.admin.key }],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('request', (r) => !r.url().startsWith(stub.url) && foreignRequests.push(r.url()));
    await page.goto(stub.url);
    await page.waitForFunction(() => document.querySelector('[data-testid="round-count"]').dataset.value === '8');
  });

  after(async () => {
    await context?.close();
    await stub?.close();
  });

  const text = (id) => page.textContent(`[data-testid="${id}"]`);

  test('shows the federation\'s status, registry, failures and canary as the API gives them', async () => {
    // Rounds 1..8: round 7 failed, so 7 completed, version 8; the canary is version 5 (4th completed).
    assert.equal(await text('model-version'), '8');
    assert.equal(await text('stable-version'), '1');
    assert.equal(await text('canary-version'), '5');
    assert.equal(await text('rounds-completed'), '7');
    assert.equal(await text('rounds-total'), '50');
    assert.equal(await text('last-round'), '8');
    assert.equal(await text('connected-clients'), '10');
    assert.equal(await text('federation-state'), 'running');
    assert.equal(await text('connection-status'), 'live');
    assert.equal(await text('round-count'), '8');
    assert.equal(await page.locator('[data-testid="registry-rows"] tr').count(), 8);
    assert.equal(await text('model-labels-5'), 'canary');
    assert.equal(await text('model-labels-1'), 'stable');
    assert.equal(await page.isDisabled('[data-testid="rollback-2"]'), true, 'version 2 has no file');
    assert.equal(await page.isDisabled('[data-testid="rollback-3"]'), false);
    assert.equal(await text('canary-label'), 'canary: version 5');
    assert.equal(await text('canary-state'), 'running');
    // Round 3 and 6 had one norm refusal each; round 7 nine deadline misses (30 s .. 38 s).
    assert.equal(await text('failure-reason-text-0'), 'missed the deadline of # s');
    assert.equal(await text('failure-reason-count-0'), '9');
    assert.equal(await text('failure-reason-text-1'), 'update norm # above the bound #');
    assert.equal(await text('failure-reason-count-1'), '2');
    assert.equal(await text('failed-round-7'), 'round 7only 1 of 10 updates arrived, at least 2 needed');
    // 1 - 0.5/8 and 1/8 for round 8; round 8's federated accuracy is 1 - 0.6/8.
    assert.equal(await text('latest-accuracy'), 'latest: test accuracy (server) 0.9375, federated accuracy 0.9250');
    assert.equal(await text('latest-loss'), 'latest: test loss 0.1250, train loss 0.1500');
    assert.equal(await page.locator('#chart-accuracy canvas').count(), 1, 'uPlot drew into the figure');
  });

  test('updates live from the event stream, without reload', async () => {
    stub.advance();
    await page.waitForFunction(() => document.querySelector('[data-testid="round-count"]').dataset.value === '9');
    assert.equal(await text('model-version'), '9');
    assert.equal(await text('rounds-completed'), '8');
    assert.equal(await page.locator('[data-testid="registry-rows"] tr').count(), 9);
  });

  test('inserts server strings as text, never as markup', async () => {
    const hostile = '<img src=x onerror="window.__pwned=1"><b>bold</b>';
    stub.pushEvent('round', { ...stubRound(100, 9), succeeded: false, outcome: hostile, notCounted: [{ client: '<i>c</i>', reason: hostile }] });
    await page.waitForSelector('[data-testid="failed-round-100"]');
    assert.equal(await page.textContent('[data-testid="failed-round-100"] .outcome'), hostile);
    assert.equal(await page.locator('main img, main b').count(), 0, 'no element came from the strings');
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
  });

  test('asks before an action, sends nothing when refused, and shows the server\'s refusal', async () => {
    page.once('dialog', (d) => d.dismiss());
    await page.click('[data-testid="promote-1"]');
    await page.waitForSelector('[data-testid="action-status"][data-action="promote-1"][data-state="idle"]');
    assert.equal(stub.requests.filter((q) => q.method === 'POST').length, 0);

    let question = null;
    page.once('dialog', (d) => {
      question = d.message();
      d.accept();
    });
    await page.click('[data-testid="promote-1"]');
    await page.waitForSelector('[data-testid="action-status"][data-action="promote-1"][data-state="error"]');
    assert.equal(question, 'Promote model version 1 to stable?');
    assert.equal(await text('action-status'), 'version 1 is already stable');

    page.once('dialog', (d) => d.accept());
    await page.click('[data-testid="promote-4"]');
    await page.waitForSelector('[data-testid="action-status"][data-action="promote-4"][data-state="ok"]');
    assert.equal(await text('action-status'), 'version 4 promoted to stable');
    assert.equal(await text('stable-version'), '4');
    assert.equal(await text('model-labels-4'), 'stable');
    const posts = stub.requests.filter((q) => q.method === 'POST').map((q) => [q.path, q.admin]);
    assert.deepEqual(posts, [['/api/models/1/promote', '1'], ['/api/models/4/promote', '1']]);
  });

  test('says it is disconnected, reconnects, and refetches what it missed', async () => {
    const before = stub.requests.filter((q) => q.path === '/api/rounds').length;
    stub.dropEvents(2500);
    await page.waitForFunction(() => document.querySelector('[data-testid="connection-status"]').textContent === 'disconnected, retrying');
    // Rounds recorded while the page is not listening reach it only through the refetch.
    stub.advance();
    stub.advance();
    assert.equal(await text('round-count'), '10', 'round 100 was pushed; 10 and 11 not yet seen');
    await page.waitForFunction(() => document.querySelector('[data-testid="connection-status"]').textContent === 'live', null, { timeout: 30_000 });
    await page.waitForFunction(() => document.querySelector('[data-testid="last-round"]').textContent === '11');
    // The refetched rounds are 1..11; round 100 came only by event, after the server's newest, so it stays.
    await page.waitForFunction(() => document.querySelector('[data-testid="round-count"]').dataset.value === '12');
    assert.ok(stub.requests.filter((q) => q.path === '/api/rounds').length > before, 'rounds were fetched again');
    assert.equal(stub.eventStreams(), 1);
  });

  test('says which request failed, keeps what it has, and clears the line once a refetch works', async () => {
    // A reload fetches twice (at load, and when the event stream opens): both fail for models.
    stub.failNextGets('/api/models', 2);
    await page.reload();
    await page.waitForFunction(() => document.querySelector('[data-testid="connection-status"]').textContent === 'live');
    await page.waitForFunction(() => !document.querySelector('[data-testid="load-problem"]').hidden);
    assert.equal(await text('load-problem'), 'GET /api/models: HTTP 500 Internal Server Error: /api/models failed on purpose');
    assert.equal(await page.isVisible('[data-testid="registry-none"]'), true, 'no registry yet');
    assert.equal(await text('model-version'), String(stub.status().modelVersion), 'the status still arrived');
    // The next snapshot (the stream reopens after being cut) succeeds.
    stub.dropEvents(0);
    await page.waitForFunction(() => document.querySelector('[data-testid="load-problem"]').hidden, null, { timeout: 30_000 });
    assert.equal(await page.locator('[data-testid="registry-rows"] tr').count(), stub.status().modelVersion);
  });

  test('loads nothing from elsewhere, and runs under a strict Content-Security-Policy without errors', () => {
    assert.deepEqual(foreignRequests, []);
    assert.deepEqual(pageErrors, []);
    // The only console errors are Chromium's lines for the responses the tests asked for: the
    // refused promote (409), the failed models requests (500), the event stream cut by dropEvents
    // (an incomplete chunked body) and refused while it was dropped (503).
    for (const message of consoleErrors) {
      assert.match(message, /^Failed to load resource: (the server responded with a status of (409|500|503)\b|net::ERR_INCOMPLETE_CHUNKED_ENCODING$)/, message);
    }
    assert.equal(consoleErrors.some((m) => /Content Security Policy/.test(m)), false);
  });
});
