import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countReasons, droppedReasons, failedRounds, reasonKey } from '../../main/web/page/failures.js';

const round = (n, notCounted, extra = {}) => ({
  round: n, succeeded: true, outcome: null, notCountedDropped: 0,
  notCounted: notCounted.map((reason, i) => ({ client: `c${i}`, reason })), ...extra,
});

test('reasonKey replaces numbers and keeps words', () => {
  assert.equal(reasonKey('update norm 12.5 above the bound 10'), 'update norm # above the bound #');
  assert.equal(reasonKey('missed the deadline of 30 s'), 'missed the deadline of # s');
  assert.equal(reasonKey('loss -1e-3 is not finite'), 'loss # is not finite');
  assert.equal(reasonKey('disconnected'), 'disconnected');
});

test('countReasons counts clients and rounds per reason, most frequent first', () => {
  const rounds = [
    round(1, ['late by 3 s', 'late by 5 s', 'disconnected']),
    round(2, ['disconnected']),
    round(3, ['late by 1 s']),
  ];
  assert.deepEqual(countReasons(rounds, 20), [
    { reason: 'late by # s', count: 3, example: 'late by 3 s', rounds: 2 },
    { reason: 'disconnected', count: 2, example: 'disconnected', rounds: 2 },
  ]);
});

test('countReasons breaks ties by reason and counts only the latest rounds', () => {
  const rounds = [round(5, ['b', 'a']), round(1, ['old reason', 'old reason', 'old reason']), round(9, [])];
  assert.deepEqual(countReasons(rounds, 2).map((r) => [r.reason, r.count]), [['a', 1], ['b', 1]]);
  assert.deepEqual(countReasons(rounds, 3)[0], { reason: 'old reason', count: 3, example: 'old reason', rounds: 1 });
  assert.deepEqual(countReasons([], 20), []);
  assert.throws(() => countReasons(rounds, 0), /recent must be a whole number from 1: 0/);
});

test('droppedReasons adds up what the page did not keep in the latest rounds', () => {
  const rounds = [round(1, [], { notCountedDropped: 7 }), round(2, [], { notCountedDropped: 2 })];
  assert.equal(droppedReasons(rounds, 1), 2);
  assert.equal(droppedReasons(rounds, 2), 9);
});

test('failedRounds lists rounds that did not advance, newest first, bounded', () => {
  const rounds = [
    round(1, []),
    round(2, [], { succeeded: false, outcome: 'only 1 of 10 updates arrived' }),
    round(3, []),
    round(4, [], { succeeded: false, outcome: null }),
    round(6, [], { succeeded: false, outcome: 'model refused: step too large' }),
  ];
  assert.deepEqual(failedRounds(rounds, 20), [
    { round: 6, outcome: 'model refused: step too large' },
    { round: 4, outcome: 'no reason recorded' },
    { round: 2, outcome: 'only 1 of 10 updates arrived' },
  ]);
  assert.deepEqual(failedRounds(rounds, 1), [{ round: 6, outcome: 'model refused: step too large' }]);
  assert.throws(() => failedRounds(rounds, 1.5), /limit must be a whole number from 1: 1.5/);
});
