// The dashboard's entry point: fetches the admin API's snapshots, follows /api/events, and
// redraws. Everything it shows comes from state.js's state, drawn by view.js and charts.js.

import { createApi } from './api.js';
import { createCharts } from './charts.js';
import { roundSeries } from './series.js';
import { applyEvent, applySnapshot, emptyState, withConnection } from './state.js';
import { renderAction, renderCanary, renderFailures, renderHeader, renderLoadProblem, renderRegistry, renderRoundCount } from './view.js';

const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30000;

const api = createApi((path, init) => fetch(path, init));
const updateCharts = createCharts(document);

let state = emptyState();
let action = null; // {action, version, state: pending|ok|error, message}
let loadProblem = null;
let drawn = {};
let frame = 0;

function redraw() {
  frame = 0;
  renderHeader(document, state.status, state.connection);
  renderLoadProblem(document, loadProblem);
  if (drawn.rounds !== state.rounds) {
    const series = roundSeries(state.rounds);
    updateCharts(series);
    renderRoundCount(document, series);
    renderFailures(document, state.rounds);
  }
  const busy = action !== null && action.state === 'pending';
  if (drawn.models !== state.models || drawn.status !== state.status || drawn.busy !== busy) {
    renderRegistry(document, state.models, state.status, busy, onAction);
    renderCanary(document, state.status, state.models);
  }
  renderAction(document, action);
  drawn = { rounds: state.rounds, models: state.models, status: state.status, busy };
}

function scheduleRedraw() {
  if (frame === 0) {
    frame = requestAnimationFrame(redraw);
  }
}

function setState(next) {
  if (next !== state) {
    state = next;
    scheduleRedraw();
  }
}

/** Fetches status, rounds and models at once; a part that fails keeps what the page had. */
async function refresh() {
  const [status, rounds, models] = await Promise.allSettled([api.status(), api.rounds(), api.models()]);
  const value = (r) => (r.status === 'fulfilled' ? r.value : null);
  setState(applySnapshot(state, { status: value(status), rounds: value(rounds), models: value(models) }));
  const failed = [status, rounds, models].filter((r) => r.status === 'rejected').map((r) => r.reason.message);
  loadProblem = failed.length === 0 ? null : failed.join('; ');
  scheduleRedraw();
}

function confirmQuestion(version, kind) {
  return kind === 'rollback'
    ? `Roll back to model version ${version}? Training continues from it.`
    : `Promote model version ${version} to stable?`;
}

async function onAction(version, kind) {
  if (action !== null && action.state === 'pending') {
    return;
  }
  if (!window.confirm(confirmQuestion(version, kind))) {
    action = { action: kind, version, state: 'idle', message: `${kind} of version ${version} cancelled` };
    scheduleRedraw();
    return;
  }
  action = { action: kind, version, state: 'pending', message: `${kind} of version ${version}\u2026` };
  scheduleRedraw();
  try {
    const message = await api.act(version, kind);
    // Refetch before reporting success, so the header shows the version the action made.
    await refresh();
    action = { action: kind, version, state: 'ok', message };
  } catch (e) {
    action = { action: kind, version, state: 'error', message: e.message };
  }
  scheduleRedraw();
}

function connect(retryMs) {
  const events = new EventSource('/api/events');
  let nextRetryMs = retryMs;
  events.addEventListener('open', () => {
    nextRetryMs = FIRST_RETRY_MS;
    setState(withConnection(state, 'live'));
    // Events sent while the page was not listening are lost: take a fresh snapshot.
    refresh();
  });
  events.addEventListener('error', () => {
    setState(withConnection(state, 'disconnected'));
    if (events.readyState === EventSource.CLOSED) {
      // The browser gave up (an HTTP error or a body that is not an event stream): try again later.
      events.close();
      setTimeout(() => connect(Math.min(nextRetryMs * 2, MAX_RETRY_MS)), nextRetryMs);
    }
  });
  for (const type of ['round', 'status', 'models']) {
    events.addEventListener(type, (event) => {
      const result = applyEvent(state, type, event.data);
      if (result.error !== null) {
        console.warn(`fedge dashboard: ${result.error}`);
      }
      setState(result.state);
    });
  }
}

redraw();
refresh();
connect(FIRST_RETRY_MS);
