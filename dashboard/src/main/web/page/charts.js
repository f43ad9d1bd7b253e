// The per-round plots, drawn by uPlot (copied next to this file at build time).

import uPlot from './uPlot.esm.js';
import { chartData, latestLine } from './series.js';
import { formatBytes, formatCount, formatFixed } from './format.js';

const HEIGHT = 220;

/** The three plots: which quantities each draws, in which colour. */
export const CHARTS = [
  {
    id: 'chart-accuracy',
    axis: 'accuracy',
    lines: [
      { key: 'testAccuracy', label: 'test accuracy (server)', stroke: '#1f6fb2' },
      { key: 'federatedAccuracy', label: 'federated accuracy', stroke: '#d9822b' },
    ],
  },
  {
    id: 'chart-loss',
    axis: 'loss',
    lines: [
      { key: 'testLoss', label: 'test loss', stroke: '#1f6fb2' },
      { key: 'trainLoss', label: 'train loss', stroke: '#2e8b57' },
    ],
  },
  {
    id: 'chart-bytes',
    axis: 'bytes',
    bytes: true,
    lines: [
      { key: 'bytesUp', label: 'bytes up', stroke: '#8e44ad' },
      { key: 'bytesDown', label: 'bytes down', stroke: '#c0392b' },
    ],
  },
];

function options(spec, width) {
  const format = spec.bytes ? formatBytes : (v) => formatFixed(v);
  // Under the cursor the legend shows that round's values; with no cursor (idx null), the latest.
  const value = (u, v, sidx, idx) => format(idx === null ? lastValue(u.data[sidx]) : v);
  return {
    width,
    height: HEIGHT,
    scales: { x: { time: false } },
    axes: [
      { label: 'round', values: (_, ticks) => ticks.map((t) => (Number.isInteger(t) ? String(t) : '')) },
      {
        label: spec.axis,
        size: spec.bytes ? 70 : 60,
        values: spec.bytes ? (_, ticks) => ticks.map((t) => formatBytes(t)) : undefined,
      },
    ],
    series: [
      { label: 'round', value: (u, v, sidx, idx) => formatCount(idx === null ? lastValue(u.data[0]) : v) },
      ...spec.lines.map((line) => ({
        label: line.label,
        stroke: line.stroke,
        width: 2,
        spanGaps: false,
        points: { show: true, size: 5 },
        value,
      })),
    ],
  };
}

/**
 * Creates the plots inside their figures (found by id in doc) and returns update(series),
 * which redraws them from roundSeries' output. The plots follow their figures' widths.
 */
export function createCharts(doc) {
  const charts = CHARTS.map((spec) => {
    const figure = doc.getElementById(spec.id);
    const holder = figure.querySelector('.plot');
    const latestNode = figure.querySelector('.latest');
    const plot = new uPlot(options(spec, Math.max(holder.clientWidth, 200)), chartData({ round: [], ...emptySeries(spec) }, keys(spec)), holder);
    return { spec, holder, plot, latest: latestNode };
  });
  const observer = new ResizeObserver(() => {
    for (const c of charts) {
      const width = Math.max(c.holder.clientWidth, 200);
      if (width !== c.plot.width) {
        c.plot.setSize({ width, height: HEIGHT });
      }
    }
  });
  for (const c of charts) {
    observer.observe(c.holder);
  }
  return function update(series) {
    for (const c of charts) {
      c.plot.setData(chartData(series, keys(c.spec)));
      c.latest.textContent = latestLine(c.spec.lines, series, c.spec.bytes === true);
    }
  };
}

function lastValue(values) {
  for (let i = values.length - 1; i >= 0; i--) {
    if (values[i] !== null && values[i] !== undefined) {
      return values[i];
    }
  }
  return null;
}

function keys(spec) {
  return spec.lines.map((line) => line.key);
}

function emptySeries(spec) {
  return Object.fromEntries(keys(spec).map((key) => [key, []]));
}
