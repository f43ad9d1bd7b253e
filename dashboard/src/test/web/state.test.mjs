import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyEvent, applySnapshot, emptyState, MAX_EVENT_CHARS, MAX_ROUNDS, mergeRounds, withConnection } from '../../main/web/page/state.js';

const raw = (n, extra = {}) => ({ round: n, succeeded: true, testAccuracy: n / 100, notCounted: [], ...extra });

function withRounds(numbers) {
  return applySnapshot(emptyState(), { status: null, models: null, rounds: { rounds: numbers.map((n) => raw(n)) } });
}

test('a round event adds the round in order and replaces one with the same number', () => {
  let s = withRounds([1, 2, 4]);
  s = applyEvent(s, 'round', JSON.stringify(raw(3))).state;
  assert.deepEqual(s.rounds.map((r) => r.round), [1, 2, 3, 4]);
  s = applyEvent(s, 'round', JSON.stringify(raw(2, { testAccuracy: 0.5 }))).state;
  assert.deepEqual(s.rounds.map((r) => r.round), [1, 2, 3, 4]);
  assert.equal(s.rounds[1].testAccuracy, 0.5);
});

test('a status event replaces the status, a models event the registry', () => {
  let s = emptyState();
  const r1 = applyEvent(s, 'status', JSON.stringify({ modelVersion: 3, stable: 2, state: 'running' }));
  assert.equal(r1.error, null);
  s = r1.state;
  assert.equal(s.status.modelVersion, 3);
  assert.equal(s.status.stable, 2);
  s = applyEvent(s, 'models', JSON.stringify({ models: [{ version: 1 }, { version: 3 }] })).state;
  assert.deepEqual(s.models.map((m) => m.version), [3, 1]);
  assert.equal(s.status.modelVersion, 3, 'the status stays');
});

test('malformed events leave the state as it was and say why', () => {
  const s = withRounds([1]);
  const cases = [
    ['round', '{"round": 1', /'round' event ignored: not JSON/],
    ['round', '{"round": 0}', /no round number from 1/],
    ['round', 'null', /no round number from 1/],
    ['status', '[1, 2]', /'status' event ignored: not an object/],
    ['models', '{"model": []}', /no "models" list/],
    ['round', 'x'.repeat(MAX_EVENT_CHARS + 1), /at most 4194304 characters/],
  ];
  for (const [type, text, why] of cases) {
    const result = applyEvent(s, type, text);
    assert.equal(result.state, s, `${type} ${text.slice(0, 20)}`);
    assert.match(result.error, why);
  }
});

test('unknown event types are ignored without error', () => {
  const s = emptyState();
  assert.deepEqual(applyEvent(s, 'metrics', '{}'), { state: s, error: null });
});

test('a snapshot keeps rounds that arrived by event after its newest round', () => {
  let s = withRounds([1, 2]);
  // Rounds 3 and 4 arrive by event while the snapshot requests are in flight; the snapshot
  // was taken after round 3, so it has 1..3 (round 2 corrected) but not 4.
  s = applyEvent(s, 'round', JSON.stringify(raw(3))).state;
  s = applyEvent(s, 'round', JSON.stringify(raw(4))).state;
  s = applySnapshot(s, { status: null, models: null, rounds: { rounds: [raw(1), raw(2, { testAccuracy: 0.9 }), raw(3)] } });
  assert.deepEqual(s.rounds.map((r) => r.round), [1, 2, 3, 4]);
  assert.equal(s.rounds[1].testAccuracy, 0.9, 'the snapshot replaces the older rounds');
});

test('a snapshot drops rounds the server no longer has, below its newest', () => {
  let s = withRounds([1, 2, 3]);
  s = applySnapshot(s, { status: null, models: null, rounds: { rounds: [raw(2), raw(3)] } });
  assert.deepEqual(s.rounds.map((r) => r.round), [2, 3]);
});

test('a part of a snapshot that failed leaves that part as it was', () => {
  let s = applySnapshot(emptyState(), {
    status: { modelVersion: 4 }, models: { models: [{ version: 4 }] }, rounds: { rounds: [raw(1)] },
  });
  const after = applySnapshot(s, { status: null, rounds: null, models: { models: [{ version: 5 }] } });
  assert.equal(after.status, s.status);
  assert.equal(after.rounds, s.rounds);
  assert.deepEqual(after.models.map((m) => m.version), [5]);
  // A body of the wrong shape counts as failed too.
  s = applySnapshot(after, { status: 'oops', rounds: { nothing: true }, models: { models: 3 } });
  assert.equal(s.status, after.status);
  assert.equal(s.rounds, after.rounds);
  assert.equal(s.models, after.models);
});

test('mergeRounds keeps the latest MAX_ROUNDS', () => {
  const older = Array.from({ length: MAX_ROUNDS }, (_, i) => ({ round: i + 1 }));
  const merged = mergeRounds(older, [{ round: MAX_ROUNDS + 1 }, { round: MAX_ROUNDS + 2 }]);
  assert.equal(merged.length, MAX_ROUNDS);
  assert.equal(merged[0].round, 3);
  assert.equal(merged.at(-1).round, MAX_ROUNDS + 2);
  assert.equal(mergeRounds(older, []).length, MAX_ROUNDS, 'exactly the bound is kept whole');
});

test('withConnection accepts the three conditions only', () => {
  const s = emptyState();
  assert.equal(s.connection, 'connecting');
  const live = withConnection(s, 'live');
  assert.equal(live.connection, 'live');
  assert.equal(withConnection(live, 'live'), live, 'no change, same object');
  assert.equal(withConnection(live, 'disconnected').connection, 'disconnected');
  assert.throws(() => withConnection(s, 'offline'), /connection must be connecting, live or disconnected: offline/);
});
