import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  finiteOrNull, formatBytes, formatCount, formatFixed, formatLabels, formatMillis, formatSeconds, integerOrNull,
  MAX_TEXT, MISSING, oneLine,
} from '../../main/web/page/format.js';

test('finiteOrNull keeps finite numbers and turns null, NaN, Infinity and strings into null', () => {
  assert.equal(finiteOrNull(0.71), 0.71);
  assert.equal(finiteOrNull(0), 0);
  assert.equal(finiteOrNull(-2.5), -2.5);
  for (const bad of [null, undefined, NaN, Infinity, -Infinity, 'NaN', 'Infinity', '0.5', true, {}, []]) {
    assert.equal(finiteOrNull(bad), null, `for ${String(bad)}`);
  }
});

test('integerOrNull keeps whole numbers from the minimum', () => {
  assert.equal(integerOrNull(12), 12);
  assert.equal(integerOrNull(0), 0);
  assert.equal(integerOrNull(0, 1), null);
  assert.equal(integerOrNull(1, 1), 1);
  assert.equal(integerOrNull(-1), null);
  assert.equal(integerOrNull(2.5), null);
  assert.equal(integerOrNull(2 ** 53), null, 'past the safe integers');
  assert.equal(integerOrNull('3'), null);
  assert.equal(integerOrNull(null), null);
});

test('formatFixed shows four decimals by default and MISSING for no value', () => {
  assert.equal(formatFixed(0.83687), '0.8369');
  assert.equal(formatFixed(0.5, 2), '0.50');
  assert.equal(formatFixed(1), '1.0000');
  assert.equal(formatFixed(null), MISSING);
  assert.equal(formatFixed(NaN), MISSING);
  assert.equal(formatFixed('NaN'), MISSING);
  assert.equal(MISSING, '\u2014');
});

test('formatCount shows whole numbers and MISSING otherwise', () => {
  assert.equal(formatCount(12), '12');
  assert.equal(formatCount(0), '0');
  assert.equal(formatCount(1.5), MISSING);
  assert.equal(formatCount(null), MISSING);
});

test('formatBytes uses decimal units with one decimal, like the CLI', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(999), '999 B');
  assert.equal(formatBytes(1000), '1.0 kB');
  assert.equal(formatBytes(1500), '1.5 kB');
  assert.equal(formatBytes(8_000_000), '8.0 MB');
  assert.equal(formatBytes(123_456_789), '123.5 MB');
  assert.equal(formatBytes(2.5e9), '2.5 GB');
  // 999,960 bytes is 999.96 kB, which rounds to 1000.0 kB: shown as the next unit.
  assert.equal(formatBytes(999_960), '1.0 MB');
  assert.equal(formatBytes(999_940), '999.9 kB');
  assert.equal(formatBytes(-1), MISSING);
  assert.equal(formatBytes(null), MISSING);
  assert.equal(formatBytes(NaN), MISSING);
});

test('formatSeconds and formatMillis', () => {
  assert.equal(formatSeconds(3.24), '3.2 s');
  assert.equal(formatSeconds(-1), MISSING);
  assert.equal(formatSeconds(null), MISSING);
  // 1,700,000,000 s after the epoch is 2023-11-14 22:13:20 UTC.
  assert.equal(formatMillis(1_700_000_000_000), '2023-11-14 22:13:20 UTC');
  assert.equal(formatMillis(0), '1970-01-01 00:00:00 UTC');
  assert.equal(formatMillis(-5), MISSING);
  assert.equal(formatMillis(8.64e15 + 1), MISSING, 'past the last date JavaScript represents');
  assert.equal(formatMillis(null), MISSING);
});

test('oneLine flattens control characters and bounds the length', () => {
  assert.equal(oneLine('a\nb\r\n\tc'), 'a b c');
  assert.equal(oneLine('  padded  '), 'padded');
  assert.equal(oneLine('x\u2028y'), 'x y');
  assert.equal(oneLine(42), null);
  assert.equal(oneLine(null), null);
  const long = 'r'.repeat(MAX_TEXT + 50);
  const cut = oneLine(long);
  assert.equal(Array.from(cut).length, MAX_TEXT);
  assert.ok(cut.endsWith('\u2026'));
  assert.equal(oneLine('r'.repeat(MAX_TEXT)), 'r'.repeat(MAX_TEXT), 'exactly the bound is kept whole');
  // Characters outside the BMP count as one and are never cut in half.
  const emoji = '\u{1F600}'.repeat(10);
  assert.equal(oneLine(emoji, 5), `${'\u{1F600}'.repeat(4)}\u2026`);
  // Markup stays text: the page inserts it with textContent.
  assert.equal(oneLine('<img src=x onerror=alert(1)>'), '<img src=x onerror=alert(1)>');
});

test('formatLabels joins labels', () => {
  assert.equal(formatLabels(['stable', 'canary']), 'stable, canary');
  assert.equal(formatLabels([]), MISSING);
  assert.equal(formatLabels(null), MISSING);
});
