import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ADMIN_HEADER, createApi } from '../../main/web/page/api.js';

const STATUS_TEXT = { 200: 'OK', 404: 'Not Found', 409: 'Conflict', 503: 'Service Unavailable' };

/** A fetch that records its calls and answers from a table of path -> [status, body text]. */
function fakeFetch(answers) {
  const calls = [];
  const impl = async (path, init) => {
    calls.push({ path, init });
    const answer = answers[path];
    if (answer instanceof Error) {
      throw answer;
    }
    const [status, text] = answer;
    return new Response(text, { status, statusText: STATUS_TEXT[status] });
  };
  return { impl, calls };
}

test('GETs read the three endpoints same-origin, uncached', async () => {
  const f = fakeFetch({
    '/api/status': [200, '{"modelVersion": 3}'],
    '/api/rounds': [200, '{"rounds": []}'],
    '/api/models': [200, '{"models": []}'],
  });
  const api = createApi(f.impl);
  assert.deepEqual(await api.status(), { modelVersion: 3 });
  assert.deepEqual(await api.rounds(), { rounds: [] });
  assert.deepEqual(await api.models(), { models: [] });
  assert.deepEqual(f.calls.map((c) => [c.path, c.init.method, c.init.credentials, c.init.cache]), [
    ['/api/status', 'GET', 'same-origin', 'no-store'],
    ['/api/rounds', 'GET', 'same-origin', 'no-store'],
    ['/api/models', 'GET', 'same-origin', 'no-store'],
  ]);
});

test('a failed GET names the path, the status and the server message', async () => {
  const f = fakeFetch({
    '/api/status': [503, '{"ok": false, "message": "coordinator starting"}'],
    '/api/rounds': [200, '<html>proxy</html>'],
    '/api/models': new TypeError('Failed to fetch'),
  });
  const api = createApi(f.impl);
  await assert.rejects(api.status(), { message: 'GET /api/status: HTTP 503 Service Unavailable: coordinator starting' });
  await assert.rejects(api.rounds(), { message: 'GET /api/rounds: the body is not JSON' });
  await assert.rejects(api.models(), { message: 'GET /api/models: Failed to fetch' });
});

test('an action POSTs with the admin header and an empty body, and returns the message', async () => {
  const f = fakeFetch({ '/api/models/12/rollback': [200, '{"ok": true, "message": "rolled back to 12"}'] });
  const api = createApi(f.impl);
  assert.equal(await api.act(12, 'rollback'), 'rolled back to 12');
  assert.equal(f.calls.length, 1);
  const { init } = f.calls[0];
  assert.equal(init.method, 'POST');
  assert.deepEqual(init.headers, { [ADMIN_HEADER]: '1' });
  assert.equal(ADMIN_HEADER, 'X-Fedge-Admin');
  assert.equal(init.body, undefined);
});

test('a refused action rejects with the server message, or the HTTP status without one', async () => {
  const f = fakeFetch({
    '/api/models/9/promote': [409, '{"ok": false, "message": "version 9 regresses accuracy by 0.04"}'],
    '/api/models/99/rollback': [404, '{"ok": false, "message": "no model version 99"}'],
    '/api/models/5/promote': [409, 'not json'],
    '/api/models/6/promote': [200, '{"ok": false, "message": "refused"}'],
  });
  const api = createApi(f.impl);
  await assert.rejects(api.act(9, 'promote'), { message: 'version 9 regresses accuracy by 0.04' });
  await assert.rejects(api.act(99, 'rollback'), { message: 'no model version 99' });
  await assert.rejects(api.act(5, 'promote'), { message: 'promote 5: HTTP 409 Conflict' });
  await assert.rejects(api.act(6, 'promote'), { message: 'refused' }, 'ok must be true even with 200');
});

test('an action checks its version and kind before sending anything', async () => {
  const f = fakeFetch({});
  const api = createApi(f.impl);
  await assert.rejects(api.act(-1, 'promote'), /version must be a whole number from 0: -1/);
  await assert.rejects(api.act(1.5, 'promote'), /version must be a whole number from 0: 1.5/);
  await assert.rejects(api.act(3, 'delete'), /action must be promote or rollback: delete/);
  assert.equal(f.calls.length, 0);
  assert.throws(() => createApi(null), /fetchImpl must be a function/);
});
