// A stand-in for the coordinator's admin server, for testing the page and the driver without
// the Java side: HTTPS with a required client certificate from the test CA whose CN is
// "admin", the page's files from the build's assets.txt (with a strict Content-Security-Policy),
// and the admin API of docs/dashboard.md over a federation it advances itself, one round per tick.
// The integrator's JUnit test runs the same driver against the real coordinator.

import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { join } from 'node:path';

const CONTENT_TYPES = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  txt: 'text/plain; charset=utf-8',
};
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
  + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const CLIENTS = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9', 'c10'];

/** What round n of the stub's federation records: every 7th fails; accuracy rises as 1 - 0.5/n. */
export function stubRound(n, modelVersion) {
  if (n % 7 === 0) {
    return {
      round: n, succeeded: false, modelVersion, selected: 10, clients: 1, failures: 9,
      testAccuracy: null, testLoss: null, trainLoss: null, federatedAccuracy: null,
      roundSeconds: 30.0, bytesUp: 1000, bytesDown: 80000,
      outcome: 'only 1 of 10 updates arrived, at least 2 needed',
      notCounted: CLIENTS.slice(1).map((client, i) => ({ client, reason: `missed the deadline of ${30 + i} s` })),
    };
  }
  return {
    round: n, succeeded: true, modelVersion: modelVersion + 1, selected: 10, clients: n % 3 === 0 ? 9 : 10,
    failures: n % 3 === 0 ? 1 : 0,
    testAccuracy: 1 - 0.5 / n, testLoss: 1 / n, trainLoss: 1.2 / n,
    federatedAccuracy: n % 2 === 0 ? 1 - 0.6 / n : null,
    roundSeconds: 1.5, bytesUp: 8_000_000 - n, bytesDown: 8_000_000 + n,
    outcome: null,
    notCounted: n % 3 === 0 ? [{ client: 'c3', reason: `update norm ${10 + n}.5 above the bound 10.0` }] : [],
  };
}

/**
 * Starts the stub on 127.0.0.1 (a free port). options: certs (certificates.mjs), assetsDir (the
 * built page), rounds (total), roundMs (tick; 0: rounds advance only through advance()).
 * Resolves to {url, port, requests, advance(), pushEvent(type, data), failNextGets(path, count),
 * dropEvents(refuseMs), eventStreams(), status(), close()}.
 */
export async function startStubCoordinator({ certs, assetsDir, rounds = 50, roundMs = 150 }) {
  const assets = new Set(readFileSync(join(assetsDir, 'assets.txt'), 'utf8').split('\n').filter((n) => n !== ''));
  const requests = [];
  const streams = new Set();
  let refuseEventsUntil = 0;
  const failGets = new Map(); // path -> how many more GETs of it answer 500
  const fed = {
    modelVersion: 1, stable: 1, canary: null, canaryState: 'none', completedRounds: 0, lastRound: 0,
    state: 'running', failure: null,
  };
  const roundLog = [];
  const models = [{
    version: 1, parent: null, round: 0, kind: 'initial', strategy: 'fedavg', codec: 'fp32', contributors: 0,
    createdMillis: 1_700_000_000_000, testAccuracy: 0.1, testLoss: 2.3, federatedAccuracy: null, labels: ['stable'],
    fileKept: true,
  }];

  const status = () => ({ ...fed, rounds, connectedClients: CLIENTS.length });
  const labelled = () => models.map((m) => ({
    ...m,
    labels: [...(m.version === fed.stable ? ['stable'] : []), ...(m.version === fed.canary ? ['canary'] : [])],
  }));
  const registry = () => ({ models: [...labelled()].sort((a, b) => b.version - a.version) });

  function send(type, data) {
    const text = `event: ${type}\ndata: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
    for (const res of streams) {
      res.write(text);
    }
  }

  function advance() {
    if (fed.state !== 'running') {
      return;
    }
    const n = fed.lastRound + 1;
    const record = stubRound(n, fed.modelVersion);
    fed.lastRound = n;
    roundLog.push(record);
    if (record.succeeded) {
      fed.completedRounds++;
      fed.modelVersion = record.modelVersion;
      models.push({
        version: record.modelVersion, parent: record.modelVersion - 1, round: n, kind: 'round', strategy: 'fedavg',
        codec: 'fp32', contributors: record.clients, createdMillis: 1_700_000_000_000 + n * 1000,
        testAccuracy: record.testAccuracy, testLoss: record.testLoss, federatedAccuracy: record.federatedAccuracy,
        labels: [], fileKept: record.modelVersion !== 2,
      });
      if (fed.canary === null && fed.completedRounds === 4) {
        fed.canary = record.modelVersion;
        fed.canaryState = 'running';
      }
    }
    if (fed.completedRounds >= rounds) {
      fed.state = 'finished';
    }
    send('round', record);
    send('status', status());
    if (record.succeeded) {
      send('models', registry());
    }
  }

  function json(res, code, body) {
    const text = JSON.stringify(body);
    res.writeHead(code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  function act(version, action) {
    const model = models.find((m) => m.version === version);
    if (model === undefined) {
      return [404, { ok: false, message: `no model version ${version} in the registry` }];
    }
    if (!model.fileKept) {
      return [409, { ok: false, message: `version ${version}'s model file is no longer kept` }];
    }
    if (action === 'promote') {
      if (fed.stable === version) {
        return [409, { ok: false, message: `version ${version} is already stable` }];
      }
      fed.stable = version;
      if (fed.canary === version) {
        fed.canary = null;
        fed.canaryState = 'promoted';
      }
      return [200, { ok: true, message: `version ${version} promoted to stable` }];
    }
    const next = fed.modelVersion + 1;
    models.push({ ...model, version: next, parent: version, round: fed.lastRound, kind: 'rollback', contributors: 0, labels: [] });
    fed.modelVersion = next;
    fed.stable = next;
    return [200, { ok: true, message: `rolled back to version ${version}: training continues from version ${next}` }];
  }

  const server = createServer({
    key: readFileSync(certs.server.key),
    cert: readFileSync(certs.server.crt),
    ca: readFileSync(certs.ca),
    requestCert: true,
    rejectUnauthorized: true,
  }, (req, res) => {
    const peer = req.socket.getPeerCertificate();
    const cn = peer && peer.subject ? peer.subject.CN : null;
    const url = new URL(req.url, 'https://127.0.0.1');
    requests.push({ method: req.method, path: url.pathname, admin: req.headers['x-fedge-admin'] ?? null, cn });
    if (cn !== 'admin') {
      json(res, 403, { ok: false, message: `certificate ${cn} is not an admin certificate` });
      return;
    }
    const action = /^\/api\/models\/(\d+)\/(promote|rollback)$/.exec(url.pathname);
    if (req.method === 'POST' && action !== null) {
      if (req.headers['x-fedge-admin'] !== '1') {
        json(res, 403, { ok: false, message: 'POST without X-Fedge-Admin: 1 refused' });
        return;
      }
      const [code, body] = act(Number(action[1]), action[2]);
      json(res, code, body);
      if (code === 200) {
        send('status', status());
        send('models', registry());
      }
      return;
    }
    if (req.method !== 'GET') {
      json(res, 405, { ok: false, message: `${req.method} not allowed on ${url.pathname}` });
      return;
    }
    const failures = failGets.get(url.pathname) ?? 0;
    if (failures > 0) {
      failGets.set(url.pathname, failures - 1);
      json(res, 500, { ok: false, message: `${url.pathname} failed on purpose` });
      return;
    }
    if (url.pathname === '/api/status') {
      json(res, 200, status());
    } else if (url.pathname === '/api/rounds') {
      json(res, 200, { rounds: roundLog });
    } else if (url.pathname === '/api/models') {
      json(res, 200, registry());
    } else if (url.pathname === '/api/events') {
      if (Date.now() < refuseEventsUntil) {
        json(res, 503, { ok: false, message: 'events paused by the test' });
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' });
      res.write(': ping\n\n');
      streams.add(res);
      req.on('close', () => streams.delete(res));
    } else {
      const name = url.pathname === '/' ? 'index.html' : url.pathname.slice(1);
      if (!assets.has(name)) {
        json(res, 404, { ok: false, message: `no ${url.pathname}` });
        return;
      }
      const body = readFileSync(join(assetsDir, name));
      res.writeHead(200, {
        'Content-Type': CONTENT_TYPES[name.slice(name.lastIndexOf('.') + 1)],
        'Content-Length': body.length,
        'Content-Security-Policy': CSP,
        'X-Content-Type-Options': 'nosniff',
        'Cache-Control': 'no-store',
      });
      res.end(body);
    }
  });
  await new Promise((ready) => server.listen(0, '127.0.0.1', ready));
  const port = server.address().port;
  const ticker = roundMs > 0 ? setInterval(advance, roundMs) : null;
  const pinger = setInterval(() => {
    for (const res of streams) {
      res.write(': ping\n\n');
    }
  }, 1000);
  return {
    url: `https://127.0.0.1:${port}/`,
    port,
    requests,
    advance,
    pushEvent: send,
    status,
    eventStreams: () => streams.size,
    /** Answers the next count GETs of path with 500 and a message. */
    failNextGets(path, count) {
      failGets.set(path, count);
    },
    /** Ends every event stream and answers 503 to new ones for refuseMs. */
    dropEvents(refuseMs) {
      refuseEventsUntil = Date.now() + refuseMs;
      for (const res of streams) {
        res.destroy();
      }
      streams.clear();
    },
    close() {
      if (ticker !== null) {
        clearInterval(ticker);
      }
      clearInterval(pinger);
      for (const res of streams) {
        res.destroy();
      }
      server.closeAllConnections?.();
      return new Promise((done) => server.close(done));
    },
  };
}
