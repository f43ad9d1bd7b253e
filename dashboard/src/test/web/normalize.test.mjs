import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  MAX_LABELS, MAX_MODELS, MAX_NOT_COUNTED, normalizeModel, normalizeModels, normalizeRound, normalizeRounds,
  normalizeStatus,
} from '../../main/web/page/normalize.js';

const contractStatus = {
  modelVersion: 12, stable: 11, canary: 13, canaryState: 'running', completedRounds: 12, rounds: 50,
  lastRound: 13, connectedClients: 10, state: 'running', failure: null,
  canaryEvidence: null,
};

test('the canary evidence keeps each version\'s device counts and the last look\'s reason', () => {
  const s = normalizeStatus({ ...contractStatus, canaryEvidence: {
    stableVersion: 11, canaryVersion: 13,
    stable: { inferences: 900, labelled: 850, accuracy: 0.8, predictions: [1, 2] },
    canary: { inferences: 100, labelled: 'many', accuracy: 'NaN' },
    lastLook: { verdict: 'continue', reason: 'no evidence yet: canary accuracy 0.7000' },
  } });
  assert.deepEqual(s.canaryEvidence, {
    stable: { inferences: 900, labelled: 850, accuracy: 0.8 },
    canary: { inferences: 100, labelled: null, accuracy: null },
    lastLook: 'no evidence yet: canary accuracy 0.7000', lastVerdict: null,
  });
  assert.equal(normalizeStatus({ ...contractStatus, canaryEvidence: 'x' }).canaryEvidence, null);
});

test('a status as the contract writes it is kept as it is', () => {
  assert.deepEqual(normalizeStatus(contractStatus), contractStatus);
});

test('a status with nulls, NaN strings and wrong types keeps null for each bad field', () => {
  const s = normalizeStatus({
    modelVersion: 'NaN', stable: null, canary: -1, canaryState: 'rolled back', completedRounds: -1, rounds: 2.5,
    lastRound: '13', connectedClients: Infinity, state: 42, failure: 'line one\nline two',
  });
  assert.deepEqual(s, {
    modelVersion: null, stable: null, canary: null, canaryState: 'rolled back', completedRounds: null, rounds: null,
    lastRound: null, connectedClients: null, state: null, failure: 'line one line two', canaryEvidence: null,
  });
  assert.equal(normalizeStatus(null), null);
  assert.equal(normalizeStatus([contractStatus]), null);
  assert.equal(normalizeStatus('running'), null);
});

test('a round keeps its fields and turns what is not a finite number into null', () => {
  const r = normalizeRound({
    round: 7, succeeded: false, modelVersion: 6, selected: 10, clients: 1, failures: 9,
    testAccuracy: 'NaN', testLoss: null, trainLoss: 0.9, federatedAccuracy: null, roundSeconds: 30,
    bytesUp: 123, bytesDown: 456, outcome: 'only 1 of 10 updates arrived',
    notCounted: [{ client: 'c1', reason: 'missed the deadline' }, { client: 'c2' }, 'junk', null],
  });
  assert.deepEqual(r, {
    round: 7, succeeded: false, modelVersion: 6, selected: 10, clients: 1, failures: 9,
    testAccuracy: null, testLoss: null, trainLoss: 0.9, federatedAccuracy: null, roundSeconds: 30,
    bytesUp: 123, bytesDown: 456, outcome: 'only 1 of 10 updates arrived',
    notCounted: [{ client: 'c1', reason: 'missed the deadline' }, { client: 'c2', reason: 'no reason given' }],
    notCountedDropped: 0,
  });
});

test('a round without a round number from 1 is refused; succeeded is only true when true', () => {
  for (const bad of [{}, { round: 0 }, { round: -3 }, { round: 1.5 }, { round: '4' }, null, [1]]) {
    assert.equal(normalizeRound(bad), null, JSON.stringify(bad));
  }
  assert.equal(normalizeRound({ round: 1, succeeded: 'true' }).succeeded, false);
  assert.equal(normalizeRound({ round: 1, succeeded: true }).succeeded, true);
  assert.equal(normalizeRound({ round: 1, outcome: '' }).outcome, null, 'an empty outcome is no outcome');
});

test('a round keeps at most MAX_NOT_COUNTED clients and counts the rest', () => {
  const many = Array.from({ length: MAX_NOT_COUNTED + 5 }, (_, i) => ({ client: `c${i}`, reason: 'late' }));
  const r = normalizeRound({ round: 1, notCounted: many });
  assert.equal(r.notCounted.length, MAX_NOT_COUNTED);
  assert.equal(r.notCountedDropped, 5);
  const exact = normalizeRound({ round: 1, notCounted: many.slice(0, MAX_NOT_COUNTED) });
  assert.equal(exact.notCounted.length, MAX_NOT_COUNTED);
  assert.equal(exact.notCountedDropped, 0);
});

test('normalizeRounds drops malformed rounds and needs a rounds list', () => {
  const rs = normalizeRounds({ rounds: [{ round: 1 }, { round: 'x' }, { round: 2 }] });
  assert.deepEqual(rs.map((r) => r.round), [1, 2]);
  assert.equal(normalizeRounds({}), null);
  assert.equal(normalizeRounds({ rounds: 'many' }), null);
  assert.equal(normalizeRounds(null), null);
});

test('a model as the contract writes it', () => {
  const m = normalizeModel({
    version: 12, parent: 11, round: 12, kind: 'round', strategy: 'fedavg', codec: 'fp32', contributors: 10,
    createdMillis: 1_700_000_000_000, testAccuracy: 0.8, testLoss: 0.5, federatedAccuracy: null, labels: ['stable'],
    fileKept: true,
  });
  assert.deepEqual(m, {
    version: 12, parent: 11, round: 12, kind: 'round', strategy: 'fedavg', codec: 'fp32', contributors: 10,
    createdMillis: 1_700_000_000_000, testAccuracy: 0.8, testLoss: 0.5, federatedAccuracy: null, labels: ['stable'],
    fileKept: true,
  });
});

test('a model without a version from 0 is refused; labels are deduplicated and bounded', () => {
  assert.equal(normalizeModel({ version: -1 }), null);
  assert.equal(normalizeModel({ version: 0, parent: null }).version, 0, 'the initial model is version 0');
  assert.equal(normalizeModel({ version: 1, parent: 0 }).parent, 0);
  assert.equal(normalizeModel({ version: '3' }), null);
  const labels = Array.from({ length: MAX_LABELS + 4 }, (_, i) => `l${i}`);
  const m = normalizeModel({ version: 1, labels: ['stable', 'stable', 3, '', ...labels], fileKept: 'yes' });
  assert.equal(m.labels.length, MAX_LABELS);
  assert.deepEqual(m.labels.slice(0, 2), ['stable', 'l0']);
  assert.equal(m.fileKept, false, 'only true is true');
  assert.equal(m.parent, null);
});

test('normalizeModels sorts newest first, keeps one entry per version and at most MAX_MODELS', () => {
  const ms = normalizeModels({ models: [{ version: 2, kind: 'a' }, { version: 5 }, { version: 2, kind: 'b' }, { version: -1 }] });
  assert.deepEqual(ms.map((m) => m.version), [5, 2]);
  assert.equal(ms[1].kind, 'a', 'the first entry of a version wins');
  const many = normalizeModels({ models: Array.from({ length: MAX_MODELS + 10 }, (_, i) => ({ version: i + 1 })) });
  assert.equal(many.length, MAX_MODELS);
  assert.equal(many[0].version, MAX_MODELS + 10);
  assert.equal(many.at(-1).version, 11);
  assert.equal(normalizeModels({ models: {} }), null);
});
