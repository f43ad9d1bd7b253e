#!/usr/bin/env node
// Drives the coordinator's dashboard in Debian's headless Chromium through playwright-core (no
// browser is ever downloaded): opens the page with the admin client certificate, waits until it
// plots N rounds, takes a screenshot, optionally rolls back to a version through the page's
// button, and prints one JSON line on stdout:
//   {"rounds": n, "modelVersion": v, "stable": s, "action": "message" | null}   exit 0
//   {"error": "one line"}                                                          exit 1
//
// usage: node dashboard.mjs --url https://127.0.0.1:PORT/ --cert admin.crt --key admin.key
//            [--ca ca.crt] --screenshot OUT.png --min-rounds N [--rollback VERSION] [--timeout-ms T]
//
// The browser is process.env.FEDGE_CHROMIUM or /usr/bin/chromium. playwright-core comes from
// ../../main/web/node_modules (npm ci there, which the Maven build runs).
//
// Server trust: Playwright hands client certificates to the browser through its own local TLS
// proxy, which checks the server with Node's TLS and has no option for a CA. With --ca the
// driver runs itself again with NODE_EXTRA_CA_CERTS=ca.crt (Node reads it only at start), so the
// proxy verifies the server's chain and name against that CA; without --ca it ignores HTTPS errors.

import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const MAX_ROUNDS = 1_000_000;
const MIN_TIMEOUT_MS = 1_000;
const MAX_TIMEOUT_MS = 3_600_000;
const DEFAULT_TIMEOUT_MS = 120_000;
const CA_MARK = 'FEDGE_DASHBOARD_DRIVER_CA';

class UsageError extends Error {}

/** One line of an error's text: Playwright's colour codes and call log left out. */
function oneLine(text) {
  // eslint-disable-next-line no-control-regex
  const plain = String(text).replace(/\u001b\[[0-9;]*m/g, '');
  const cut = plain.indexOf('Call log:');
  return (cut >= 0 ? plain.slice(0, cut) : plain).replace(/\s+/g, ' ').trim();
}

function readable(flag, path) {
  const full = resolve(path);
  try {
    accessSync(full, constants.R_OK);
  } catch {
    throw new UsageError(`${flag} ${path}: no readable file there`);
  }
  return full;
}

function wholeNumber(flag, text, min, max) {
  if (!/^\d+$/.test(text)) {
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max}: '${text}'`);
  }
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max}: '${text}'`);
  }
  return value;
}

/** The options of argv, checked; throws UsageError with one line naming the flag and value. */
function parseArgs(argv) {
  const known = ['--url', '--cert', '--key', '--ca', '--screenshot', '--min-rounds', '--rollback', '--timeout-ms'];
  const raw = new Map();
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    if (!known.includes(flag)) {
      throw new UsageError(`unknown argument '${flag}' (expected ${known.join(', ')})`);
    }
    if (raw.has(flag)) {
      throw new UsageError(`${flag} given twice`);
    }
    if (i + 1 >= argv.length || argv[i + 1].startsWith('--')) {
      throw new UsageError(`${flag} needs a value`);
    }
    raw.set(flag, argv[i + 1]);
  }
  for (const flag of ['--url', '--cert', '--key', '--screenshot', '--min-rounds']) {
    if (!raw.has(flag)) {
      throw new UsageError(`${flag} is required`);
    }
  }
  let url;
  try {
    url = new URL(raw.get('--url'));
  } catch {
    throw new UsageError(`--url is not a URL: '${raw.get('--url')}'`);
  }
  if (url.protocol !== 'https:') {
    throw new UsageError(`--url must be https (the admin server takes only TLS with a client certificate): '${raw.get('--url')}'`);
  }
  return {
    url: url.href,
    origin: url.origin,
    cert: readable('--cert', raw.get('--cert')),
    key: readable('--key', raw.get('--key')),
    ca: raw.has('--ca') ? readable('--ca', raw.get('--ca')) : null,
    screenshot: resolve(raw.get('--screenshot')),
    minRounds: wholeNumber('--min-rounds', raw.get('--min-rounds'), 0, MAX_ROUNDS),
    rollback: raw.has('--rollback') ? wholeNumber('--rollback', raw.get('--rollback'), 1, Number.MAX_SAFE_INTEGER) : null,
    timeoutMs: raw.has('--timeout-ms')
      ? wholeNumber('--timeout-ms', raw.get('--timeout-ms'), MIN_TIMEOUT_MS, MAX_TIMEOUT_MS)
      : DEFAULT_TIMEOUT_MS,
  };
}

function loadPlaywright() {
  const require = createRequire(join(here, '..', '..', 'main', 'web', 'package.json'));
  try {
    return require('playwright-core');
  } catch (e) {
    throw new Error(`playwright-core not found (run 'npm ci' in dashboard/src/main/web): ${oneLine(e.message)}`);
  }
}

/** Reruns this script with NODE_EXTRA_CA_CERTS set; resolves to its exit code. */
function rerunTrusting(ca) {
  return new Promise((done) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: ca, [CA_MARK]: ca },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', (e) => {
      process.stdout.write(`${JSON.stringify({ error: `cannot rerun the driver with the CA: ${oneLine(e.message)}` })}\n`);
      done(1);
    });
    child.on('exit', (code, signal) => {
      if (signal !== null) {
        process.stdout.write(`${JSON.stringify({ error: `the driver was ended by ${signal}` })}\n`);
        done(1);
      } else {
        done(code ?? 1);
      }
    });
  });
}

async function valueOf(page, testId) {
  const text = await page.getAttribute(`[data-testid="${testId}"]`, 'data-value');
  if (text === null || text === '') {
    return null;
  }
  const number = Number(text);
  return Number.isSafeInteger(number) ? number : null;
}

async function drive(options, deadline) {
  const { chromium } = loadPlaywright();
  const remaining = () => Math.max(deadline - Date.now(), 1);
  const executablePath = process.env.FEDGE_CHROMIUM || '/usr/bin/chromium';
  try {
    accessSync(executablePath, constants.X_OK);
  } catch {
    throw new Error(`no Chromium at ${executablePath} (apt-get install chromium, or set FEDGE_CHROMIUM)`);
  }
  const profile = mkdtempSync(join(tmpdir(), 'fedge-dashboard-chromium-'));
  let context = null;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: remaining(),
      viewport: { width: 1400, height: 1000 },
      ignoreHTTPSErrors: options.ca === null,
      clientCertificates: [{ origin: options.origin, certPath: options.cert, keyPath: options.key }],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(oneLine(e.message)));
    let response;
    try {
      response = await page.goto(options.url, { waitUntil: 'load', timeout: remaining() });
    } catch (e) {
      throw new Error(`cannot open ${options.url}: ${oneLine(e.message).replace(/^page\.goto: /, '')}`);
    }
    if (response === null || !response.ok()) {
      const body = response === null ? '' : oneLine((await response.text()).slice(0, 300));
      throw new Error(`GET ${options.url}: ${response === null ? 'no response' : `HTTP ${response.status()}`}${body ? `: ${body}` : ''}`);
    }
    try {
      await page.waitForFunction(
        (n) => {
          const node = document.querySelector('[data-testid="round-count"]');
          return node !== null && Number(node.dataset.value) >= n;
        },
        options.minRounds,
        { timeout: remaining(), polling: 200 },
      );
    } catch (e) {
      const shown = await valueOf(page, 'round-count').catch(() => null);
      throw new Error(`the page plotted ${shown ?? 'no'} rounds, not ${options.minRounds}, within the timeout${pageErrors.length ? `; page errors: ${pageErrors.join(' | ')}` : ''}`);
    }
    await page.screenshot({ path: options.screenshot, fullPage: true, timeout: remaining() });
    let action = null;
    if (options.rollback !== null) {
      const button = page.locator(`[data-testid="rollback-${options.rollback}"]`);
      try {
        await button.waitFor({ state: 'visible', timeout: remaining() });
      } catch {
        throw new Error(`the registry shows no rollback button for version ${options.rollback}`);
      }
      if (await button.isDisabled()) {
        throw new Error(`the rollback button of version ${options.rollback} is disabled (${await button.getAttribute('title')})`);
      }
      let asked = null;
      page.once('dialog', (dialog) => {
        asked = dialog.message();
        dialog.accept();
      });
      await button.click({ timeout: remaining() });
      const selector = `[data-testid="action-status"][data-action="rollback-${options.rollback}"]`;
      await page.waitForSelector(`${selector}[data-state="ok"], ${selector}[data-state="error"]`, { timeout: remaining() });
      const status = page.locator('[data-testid="action-status"]');
      const message = (await status.textContent()) ?? '';
      if ((await status.getAttribute('data-state')) !== 'ok') {
        throw new Error(`rollback to version ${options.rollback} refused: ${oneLine(message)}`);
      }
      if (asked === null) {
        throw new Error('the rollback button did not ask for confirmation');
      }
      action = oneLine(message);
    }
    if (pageErrors.length > 0) {
      throw new Error(`the page threw: ${pageErrors.join(' | ')}`);
    }
    return {
      rounds: await valueOf(page, 'round-count'),
      modelVersion: await valueOf(page, 'model-version'),
      stable: await valueOf(page, 'stable-version'),
      action,
    };
  } finally {
    if (context !== null) {
      await context.close().catch(() => {});
    }
    rmSync(profile, { recursive: true, force: true });
  }
}

async function main() {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (e) {
    return { error: e instanceof UsageError ? e.message : oneLine(e.message) };
  }
  if (options.ca !== null && process.env[CA_MARK] !== options.ca) {
    return rerunTrusting(options.ca);
  }
  const deadline = Date.now() + options.timeoutMs;
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not done within --timeout-ms ${options.timeoutMs}`)), options.timeoutMs + 5_000);
  });
  try {
    return await Promise.race([drive(options, deadline), timeout]);
  } catch (e) {
    return { error: oneLine(e.message) };
  } finally {
    clearTimeout(timer);
  }
}

// Exits explicitly: after a timeout the browser may still be running and would keep Node alive.
const result = await main();
if (typeof result === 'number') {
  process.exit(result);
} else {
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit('error' in result ? 1 : 0));
}
