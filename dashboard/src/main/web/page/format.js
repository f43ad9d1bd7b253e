// Turning the admin API's numbers and strings into what the page shows. Pure functions: no DOM,
// so node --test checks them (dashboard/src/test/web/format.test.mjs).

/** What a missing, null or non-finite value reads as on the page. */
export const MISSING = '\u2014';

/** The longest server string shown whole; longer ones end in an ellipsis (the title keeps none). */
export const MAX_TEXT = 300;

/**
 * A finite number, or null. The API writes null for "no value"; Jackson writes NaN and
 * Infinity as the strings "NaN" and "Infinity"; anything that is not a finite number is null.
 */
export function finiteOrNull(value) {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** A whole number that is at least min, or null. */
export function integerOrNull(value, min = 0) {
  return Number.isSafeInteger(value) && value >= min ? value : null;
}

/** A number with a fixed count of decimals (accuracy 0.8123, loss 0.4587), or MISSING. */
export function formatFixed(value, digits = 4) {
  const v = finiteOrNull(value);
  return v === null ? MISSING : v.toFixed(digits);
}

/** A whole count (version, round, clients), or MISSING. */
export function formatCount(value) {
  const v = integerOrNull(value, Number.MIN_SAFE_INTEGER);
  return v === null ? MISSING : String(v);
}

const BYTE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

/**
 * Bytes in decimal units with one decimal above 1 kB (8,000,000 -> "8.0 MB", like the CLI's
 * "MB up"), or MISSING for a negative or non-finite value.
 */
export function formatBytes(value) {
  const v = finiteOrNull(value);
  if (v === null || v < 0) {
    return MISSING;
  }
  if (v < 1000) {
    return `${Math.round(v)} B`;
  }
  let unit = 0;
  let scaled = v;
  while (scaled >= 1000 && unit < BYTE_UNITS.length - 1) {
    scaled /= 1000;
    unit++;
  }
  // 999.96 kB rounds to "1000.0 kB"; show it as the next unit instead.
  if (scaled.toFixed(1) === '1000.0' && unit < BYTE_UNITS.length - 1) {
    scaled /= 1000;
    unit++;
  }
  return `${scaled.toFixed(1)} ${BYTE_UNITS[unit]}`;
}

/** Seconds with one decimal ("3.2 s"), or MISSING. */
export function formatSeconds(value) {
  const v = finiteOrNull(value);
  return v === null || v < 0 ? MISSING : `${v.toFixed(1)} s`;
}

/** A time in milliseconds since the epoch as "2023-11-14 22:13:20 UTC", or MISSING. */
export function formatMillis(value) {
  const v = integerOrNull(value, 0);
  if (v === null) {
    return MISSING;
  }
  const date = new Date(v);
  if (Number.isNaN(date.getTime())) {
    return MISSING;
  }
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/**
 * A server string made safe to show as text: a string of at most MAX_TEXT characters with
 * control characters (line breaks included) turned into spaces, or null for a non-string.
 * The page inserts it with textContent; this only keeps one reason on one line.
 */
export function oneLine(value, max = MAX_TEXT) {
  if (typeof value !== 'string') {
    return null;
  }
  // eslint-disable-next-line no-control-regex
  const flat = value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
  const chars = Array.from(flat);
  return chars.length <= max ? flat : `${chars.slice(0, max - 1).join('')}\u2026`;
}

/** "stable, canary" for a label list, or MISSING when there is none. */
export function formatLabels(labels) {
  return Array.isArray(labels) && labels.length > 0 ? labels.join(', ') : MISSING;
}
