// The plots' data drawn from the rounds: one x value per round number, and for each plotted
// quantity a value or null (a gap: a failed round has no evaluation, a federation without a
// test set has no test accuracy).

import { formatBytes, formatFixed } from './format.js';

/** The quantities plotted, each a field of a normalized round. */
export const PLOTTED = ['testAccuracy', 'federatedAccuracy', 'testLoss', 'trainLoss', 'bytesUp', 'bytesDown'];

/**
 * Aligned arrays for the plots: {round: [1, 2, ...], testAccuracy: [...], ...}, sorted by
 * round number, one entry per round (the last record of a number wins), null where a round
 * has no finite value. Rounds without a whole round number from 1 are left out.
 */
export function roundSeries(rounds) {
  const byRound = new Map();
  for (const r of rounds) {
    if (r !== null && typeof r === 'object' && Number.isSafeInteger(r.round) && r.round >= 1) {
      byRound.set(r.round, r);
    }
  }
  const ordered = [...byRound.values()].sort((a, b) => a.round - b.round);
  const series = { round: ordered.map((r) => r.round) };
  for (const key of PLOTTED) {
    series[key] = ordered.map((r) => (typeof r[key] === 'number' && Number.isFinite(r[key]) ? r[key] : null));
  }
  return series;
}

/** uPlot's data for some of the quantities: [x, y1, y2, ...]. */
export function chartData(series, keys) {
  for (const key of keys) {
    if (!PLOTTED.includes(key)) {
      throw new Error(`not a plotted quantity: ${key} (expected one of ${PLOTTED.join(', ')})`);
    }
  }
  return [series.round, ...keys.map((key) => series[key])];
}

/** The latest finite value of a quantity, or null when no round has one. */
export function latest(series, key) {
  const values = series[key];
  for (let i = values.length - 1; i >= 0; i--) {
    if (values[i] !== null) {
      return values[i];
    }
  }
  return null;
}

/**
 * A plot's caption line of latest values: "latest: test loss 0.0435, train loss 0.0522" for
 * lines [{key, label}], bytes formatted as bytes; empty before the first round.
 */
export function latestLine(lines, series, bytes) {
  if (series.round.length === 0) {
    return '';
  }
  const parts = lines.map((line) => {
    const v = latest(series, line.key);
    return `${line.label} ${bytes ? formatBytes(v) : formatFixed(v)}`;
  });
  return `latest: ${parts.join(', ')}`;
}
