// The admin API's JSON (docs/dashboard.md) turned into the objects the page draws, with every
// field checked: numbers finite or null, counts whole and not negative, strings on one line and
// bounded, lists bounded. Whatever the server sends, the page then holds only these shapes.

import { finiteOrNull, integerOrNull, oneLine } from './format.js';

/** The most models the registry table keeps (the newest). */
export const MAX_MODELS = 1000;
/** The most not-counted clients kept per round. */
export const MAX_NOT_COUNTED = 1000;
/** The most labels kept per model. */
export const MAX_LABELS = 16;

function isObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function textOrNull(value, max) {
  const text = oneLine(value, max);
  return text === null || text === '' ? null : text;
}

/** The status object, or null when raw is not an object. */
export function normalizeStatus(raw) {
  if (!isObject(raw)) {
    return null;
  }
  return {
    modelVersion: integerOrNull(raw.modelVersion, 0),
    stable: integerOrNull(raw.stable, 0),
    canary: integerOrNull(raw.canary, 0),
    canaryState: textOrNull(raw.canaryState, 60),
    completedRounds: integerOrNull(raw.completedRounds, 0),
    rounds: integerOrNull(raw.rounds, 0),
    lastRound: integerOrNull(raw.lastRound, 0),
    connectedClients: integerOrNull(raw.connectedClients, 0),
    state: textOrNull(raw.state, 60),
    failure: textOrNull(raw.failure),
    canaryEvidence: normalizeEvidence(raw.canaryEvidence),
  };
}

/** One version's device telemetry in a canary, or null. */
function normalizeArm(raw) {
  if (!isObject(raw)) {
    return null;
  }
  return {
    inferences: integerOrNull(raw.inferences, 0),
    labelled: integerOrNull(raw.labelled, 0),
    accuracy: finiteOrNull(raw.accuracy),
  };
}

/** The canary's evidence from the devices' telemetry, or null when the coordinator sent none. */
export function normalizeEvidence(raw) {
  if (!isObject(raw)) {
    return null;
  }
  const reason = (d) => (isObject(d) ? textOrNull(d.reason, 400) : null);
  return {
    stable: normalizeArm(raw.stable),
    canary: normalizeArm(raw.canary),
    lastLook: reason(raw.lastLook),
    lastVerdict: reason(raw.lastVerdict),
  };
}

function normalizeNotCounted(raw) {
  if (!Array.isArray(raw)) {
    return { entries: [], dropped: 0 };
  }
  const entries = [];
  let dropped = 0;
  for (const item of raw) {
    if (!isObject(item)) {
      continue;
    }
    if (entries.length >= MAX_NOT_COUNTED) {
      dropped++;
      continue;
    }
    entries.push({
      client: textOrNull(item.client, 120),
      reason: textOrNull(item.reason) ?? 'no reason given',
    });
  }
  return { entries, dropped };
}

/** One round's record, or null when raw is not an object with a round number from 1. */
export function normalizeRound(raw) {
  if (!isObject(raw)) {
    return null;
  }
  const round = integerOrNull(raw.round, 1);
  if (round === null) {
    return null;
  }
  const notCounted = normalizeNotCounted(raw.notCounted);
  return {
    round,
    succeeded: raw.succeeded === true,
    modelVersion: integerOrNull(raw.modelVersion, 0),
    selected: integerOrNull(raw.selected, 0),
    clients: integerOrNull(raw.clients, 0),
    failures: integerOrNull(raw.failures, 0),
    testAccuracy: finiteOrNull(raw.testAccuracy),
    testLoss: finiteOrNull(raw.testLoss),
    trainLoss: finiteOrNull(raw.trainLoss),
    federatedAccuracy: finiteOrNull(raw.federatedAccuracy),
    roundSeconds: finiteOrNull(raw.roundSeconds),
    bytesUp: integerOrNull(raw.bytesUp, 0),
    bytesDown: integerOrNull(raw.bytesDown, 0),
    outcome: textOrNull(raw.outcome),
    notCounted: notCounted.entries,
    notCountedDropped: notCounted.dropped,
  };
}

/** The rounds of a {"rounds": [...]} body, malformed ones left out, or null when it has none. */
export function normalizeRounds(raw) {
  if (!isObject(raw) || !Array.isArray(raw.rounds)) {
    return null;
  }
  return raw.rounds.map(normalizeRound).filter((r) => r !== null);
}

function normalizeLabels(raw) {
  if (!Array.isArray(raw)) {
    return [];
  }
  const labels = [];
  for (const item of raw) {
    const label = textOrNull(item, 40);
    if (label !== null && !labels.includes(label) && labels.length < MAX_LABELS) {
      labels.push(label);
    }
  }
  return labels;
}

/** One registry entry, or null when raw is not an object with a version from 0 (the initial model). */
export function normalizeModel(raw) {
  if (!isObject(raw)) {
    return null;
  }
  const version = integerOrNull(raw.version, 0);
  if (version === null) {
    return null;
  }
  return {
    version,
    parent: integerOrNull(raw.parent, 0),
    round: integerOrNull(raw.round, 0),
    kind: textOrNull(raw.kind, 40),
    strategy: textOrNull(raw.strategy, 80),
    codec: textOrNull(raw.codec, 80),
    contributors: integerOrNull(raw.contributors, 0),
    createdMillis: integerOrNull(raw.createdMillis, 0),
    testAccuracy: finiteOrNull(raw.testAccuracy),
    testLoss: finiteOrNull(raw.testLoss),
    federatedAccuracy: finiteOrNull(raw.federatedAccuracy),
    labels: normalizeLabels(raw.labels),
    fileKept: raw.fileKept === true,
  };
}

/**
 * The registry of a {"models": [...]} body, newest first, one entry per version (the first
 * seen), at most MAX_MODELS; null when the body has no model list.
 */
export function normalizeModels(raw) {
  if (!isObject(raw) || !Array.isArray(raw.models)) {
    return null;
  }
  const byVersion = new Map();
  for (const item of raw.models) {
    const model = normalizeModel(item);
    if (model !== null && !byVersion.has(model.version)) {
      byVersion.set(model.version, model);
    }
  }
  return [...byVersion.values()].sort((a, b) => b.version - a.version).slice(0, MAX_MODELS);
}
