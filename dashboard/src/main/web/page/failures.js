// The failures panel's content: why clients' updates did not count in recent rounds, counted by
// reason, and the rounds that did not advance the model.

/** How many of the latest rounds the reasons are counted over. */
export const RECENT_ROUNDS = 20;

/**
 * The reason with its numbers replaced by '#', so that "norm 12.5 above 10" and "norm 31 above
 * 10" count as one reason ("norm # above #"); words are kept as they are.
 */
export function reasonKey(reason) {
  return reason.replace(/[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?/g, '#');
}

/** The rounds sorted by number, the latest `recent` of them. */
function latestRounds(rounds, recent) {
  if (!Number.isSafeInteger(recent) || recent < 1) {
    throw new Error(`recent must be a whole number from 1: ${recent}`);
  }
  return [...rounds].sort((a, b) => a.round - b.round).slice(-recent);
}

/**
 * The not-counted clients of the latest `recent` rounds grouped by reasonKey, most frequent
 * first (ties by reason): [{reason, count, example, rounds}], where example is one full reason
 * of the group and rounds how many of those rounds had it.
 */
export function countReasons(rounds, recent = RECENT_ROUNDS) {
  const groups = new Map();
  for (const r of latestRounds(rounds, recent)) {
    const seenThisRound = new Set();
    for (const entry of r.notCounted) {
      const key = reasonKey(entry.reason);
      let group = groups.get(key);
      if (group === undefined) {
        group = { reason: key, count: 0, example: entry.reason, rounds: 0 };
        groups.set(key, group);
      }
      group.count++;
      if (!seenThisRound.has(key)) {
        seenThisRound.add(key);
        group.rounds++;
      }
    }
  }
  return [...groups.values()].sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0));
}

/** The not-counted clients of the latest `recent` rounds beyond what the page kept of each. */
export function droppedReasons(rounds, recent = RECENT_ROUNDS) {
  return latestRounds(rounds, recent).reduce((sum, r) => sum + r.notCountedDropped, 0);
}

/** The rounds that did not advance the model, newest first, at most `limit`: [{round, outcome}]. */
export function failedRounds(rounds, limit = RECENT_ROUNDS) {
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new Error(`limit must be a whole number from 1: ${limit}`);
  }
  return rounds
    .filter((r) => !r.succeeded)
    .sort((a, b) => b.round - a.round)
    .slice(0, limit)
    .map((r) => ({ round: r.round, outcome: r.outcome ?? 'no reason recorded' }));
}
