// What the page knows of the federation, and how snapshots (GET /api/...) and server-sent
// events change it. Pure functions returning new state objects: app.js keeps the current one
// and redraws from it.

import { normalizeModels, normalizeRound, normalizeRounds, normalizeStatus } from './normalize.js';

/** The most rounds the page keeps (the latest); older ones leave the plots. */
export const MAX_ROUNDS = 10000;

/** The longest event payload the page parses, in characters. */
export const MAX_EVENT_CHARS = 4 * 1024 * 1024;

/** The state before anything arrived. */
export function emptyState() {
  return { status: null, rounds: [], models: [], connection: 'connecting' };
}

/**
 * The rounds sorted by number, one record per number (a later record replaces an earlier
 * one with the same number), the latest MAX_ROUNDS.
 */
export function mergeRounds(older, newer) {
  const byRound = new Map();
  for (const r of older) {
    byRound.set(r.round, r);
  }
  for (const r of newer) {
    byRound.set(r.round, r);
  }
  const merged = [...byRound.values()].sort((a, b) => a.round - b.round);
  return merged.length > MAX_ROUNDS ? merged.slice(merged.length - MAX_ROUNDS) : merged;
}

/**
 * The state after a snapshot of the three GET endpoints; a part that is null (its request
 * failed or its body was malformed) leaves that part as it was. The snapshot's rounds replace
 * the page's, except rounds that arrived by event after the snapshot's newest: those were
 * recorded while the requests were in flight, and are kept.
 */
export function applySnapshot(state, snapshot) {
  const status = snapshot.status === null ? null : normalizeStatus(snapshot.status);
  const rounds = snapshot.rounds === null ? null : normalizeRounds(snapshot.rounds);
  const models = snapshot.models === null ? null : normalizeModels(snapshot.models);
  let nextRounds = state.rounds;
  if (rounds !== null) {
    const newest = rounds.reduce((max, r) => Math.max(max, r.round), 0);
    nextRounds = mergeRounds(rounds, state.rounds.filter((r) => r.round > newest));
  }
  return {
    ...state,
    status: status ?? state.status,
    rounds: nextRounds,
    models: models ?? state.models,
  };
}

/**
 * The state after one server-sent event of the given type whose data is text. Returns
 * {state, error}: error is null, or one line saying why the event was ignored (malformed
 * JSON, a payload over MAX_EVENT_CHARS, a body of the wrong shape). Unknown event types are
 * ignored without error, so the server can add events.
 */
export function applyEvent(state, type, text) {
  if (type !== 'round' && type !== 'status' && type !== 'models') {
    return { state, error: null };
  }
  if (typeof text !== 'string' || text.length > MAX_EVENT_CHARS) {
    return { state, error: `'${type}' event ignored: data is not text of at most ${MAX_EVENT_CHARS} characters` };
  }
  let data;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return { state, error: `'${type}' event ignored: not JSON (${e.message})` };
  }
  if (type === 'round') {
    const round = normalizeRound(data);
    if (round === null) {
      return { state, error: "'round' event ignored: no round number from 1" };
    }
    return { state: { ...state, rounds: mergeRounds(state.rounds, [round]) }, error: null };
  }
  if (type === 'status') {
    const status = normalizeStatus(data);
    if (status === null) {
      return { state, error: "'status' event ignored: not an object" };
    }
    return { state: { ...state, status }, error: null };
  }
  const models = normalizeModels(data);
  if (models === null) {
    return { state, error: "'models' event ignored: no \"models\" list" };
  }
  return { state: { ...state, models }, error: null };
}

/** The state with the event stream's condition: 'connecting', 'live' or 'disconnected'. */
export function withConnection(state, connection) {
  if (connection !== 'connecting' && connection !== 'live' && connection !== 'disconnected') {
    throw new Error(`connection must be connecting, live or disconnected: ${connection}`);
  }
  return state.connection === connection ? state : { ...state, connection };
}
