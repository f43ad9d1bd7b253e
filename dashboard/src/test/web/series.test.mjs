import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chartData, latest, latestLine, PLOTTED, roundSeries } from '../../main/web/page/series.js';

const round = (n, extra = {}) => ({
  round: n, testAccuracy: n / 10, federatedAccuracy: null, testLoss: 1 / n, trainLoss: 2 / n,
  bytesUp: 100 * n, bytesDown: 200 * n, ...extra,
});

test('roundSeries aligns one value per round, sorted by round number', () => {
  const s = roundSeries([round(3), round(1), round(2)]);
  assert.deepEqual(s.round, [1, 2, 3]);
  assert.deepEqual(s.testAccuracy, [0.1, 0.2, 0.3]);
  assert.deepEqual(s.testLoss, [1, 0.5, 1 / 3]);
  assert.deepEqual(s.trainLoss, [2, 1, 2 / 3]);
  assert.deepEqual(s.bytesUp, [100, 200, 300]);
  assert.deepEqual(s.bytesDown, [200, 400, 600]);
  assert.deepEqual(s.federatedAccuracy, [null, null, null]);
  for (const key of PLOTTED) {
    assert.equal(s[key].length, 3, key);
  }
});

test('roundSeries keeps the last record of a round number', () => {
  const s = roundSeries([round(1), round(2), round(1, { testAccuracy: 0.99 })]);
  assert.deepEqual(s.round, [1, 2]);
  assert.deepEqual(s.testAccuracy, [0.99, 0.2]);
});

test('roundSeries turns NaN, Infinity, strings and missing fields into gaps', () => {
  const s = roundSeries([
    round(1, { testAccuracy: NaN, testLoss: Infinity }),
    round(2, { testAccuracy: 'NaN', trainLoss: undefined }),
    { round: 3 },
  ]);
  assert.deepEqual(s.round, [1, 2, 3]);
  assert.deepEqual(s.testAccuracy, [null, null, null]);
  assert.deepEqual(s.testLoss, [null, 0.5, null]);
  assert.deepEqual(s.trainLoss, [2, null, null]);
  assert.deepEqual(s.bytesUp, [100, 200, null]);
});

test('roundSeries leaves out records without a round number from 1', () => {
  const s = roundSeries([round(0), { round: -1 }, { round: 1.5 }, { round: '2' }, null, round(4)]);
  assert.deepEqual(s.round, [4]);
});

test('roundSeries of no rounds is empty arrays', () => {
  const s = roundSeries([]);
  assert.deepEqual(s.round, []);
  assert.deepEqual(s.testAccuracy, []);
});

test('chartData puts x first, then the quantities asked for', () => {
  const s = roundSeries([round(1), round(2)]);
  assert.deepEqual(chartData(s, ['testLoss', 'trainLoss']), [[1, 2], [1, 0.5], [2, 1]]);
  assert.throws(() => chartData(s, ['accuracy']), /not a plotted quantity: accuracy/);
});

test('latest is the last finite value, skipping gaps', () => {
  const s = roundSeries([round(1), round(2, { testAccuracy: null }), round(3, { testAccuracy: NaN })]);
  assert.equal(latest(s, 'testAccuracy'), 0.1);
  assert.equal(latest(s, 'federatedAccuracy'), null);
  assert.equal(latest(roundSeries([]), 'testLoss'), null);
});

test('latestLine names each line with its latest value, a gap as MISSING', () => {
  const s = roundSeries([round(1), round(2, { testAccuracy: null, bytesUp: 8_000_000 })]);
  const accuracy = [{ key: 'testAccuracy', label: 'test accuracy' }, { key: 'federatedAccuracy', label: 'federated accuracy' }];
  assert.equal(latestLine(accuracy, s, false), 'latest: test accuracy 0.1000, federated accuracy \u2014');
  assert.equal(latestLine([{ key: 'bytesUp', label: 'up' }], s, true), 'latest: up 8.0 MB');
  assert.equal(latestLine(accuracy, roundSeries([]), false), '');
});
