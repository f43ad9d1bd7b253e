// Drawing the state into the page's fixed markup (index.html): the header, the failures panel,
// the canary panel and the registry table. Text goes in through dom.js only.

import { byTestId, element, showValue } from './dom.js';
import { countReasons, droppedReasons, failedRounds, RECENT_ROUNDS } from './failures.js';
import { formatCount, formatFixed, formatLabels, formatMillis, MISSING, oneLine } from './format.js';

const CONNECTION_TEXT = {
  connecting: 'connecting',
  live: 'live',
  disconnected: 'disconnected, retrying',
};

/** The header: federation status and the event stream's condition. */
export function renderHeader(doc, status, connection) {
  const s = status ?? {};
  showValue(doc, 'model-version', formatCount(s.modelVersion ?? null), s.modelVersion);
  showValue(doc, 'stable-version', formatCount(s.stable ?? null), s.stable);
  showValue(doc, 'canary-version', s.canary === null || s.canary === undefined ? 'none' : formatCount(s.canary), s.canary);
  showValue(doc, 'rounds-completed', formatCount(s.completedRounds ?? null), s.completedRounds);
  showValue(doc, 'rounds-total', formatCount(s.rounds ?? null), s.rounds);
  showValue(doc, 'last-round', formatCount(s.lastRound ?? null), s.lastRound);
  showValue(doc, 'connected-clients', formatCount(s.connectedClients ?? null), s.connectedClients);
  const state = showValue(doc, 'federation-state', s.state ?? MISSING, s.state);
  state.className = `state state-${['running', 'finished', 'failed'].includes(s.state) ? s.state : 'unknown'}`;
  const failure = showValue(doc, 'federation-failure', s.failure ?? '', s.failure);
  failure.hidden = s.failure === null || s.failure === undefined;
  const line = showValue(doc, 'connection-status', CONNECTION_TEXT[connection], connection);
  line.className = `connection connection-${connection}`;
}

/** The line under the header that says why the last refresh failed, or nothing. */
export function renderLoadProblem(doc, problem) {
  const node = showValue(doc, 'load-problem', problem ?? '', problem);
  node.hidden = problem === null;
}

/** The plots' caption: how many rounds are plotted. */
export function renderRoundCount(doc, series) {
  showValue(doc, 'round-count', String(series.round.length), series.round.length);
}

/** The failures panel: reasons of the recent rounds counted, and the failed rounds. */
export function renderFailures(doc, rounds) {
  const reasons = countReasons(rounds, RECENT_ROUNDS);
  const body = byTestId(doc, 'failure-reasons');
  body.replaceChildren(
    ...reasons.map((r, i) =>
      element(doc, 'tr', { 'data-testid': `failure-reason-${i}` }, null, [
        element(doc, 'td', { class: 'num', 'data-testid': `failure-reason-count-${i}` }, String(r.count)),
        element(doc, 'td', { class: 'num' }, String(r.rounds)),
        element(doc, 'td', { title: r.example, 'data-testid': `failure-reason-text-${i}` }, r.reason),
      ]),
    ),
  );
  const dropped = droppedReasons(rounds, RECENT_ROUNDS);
  const none = byTestId(doc, 'failure-reasons-none');
  none.hidden = reasons.length > 0;
  const note = showValue(doc, 'failure-reasons-dropped', dropped > 0 ? `and ${dropped} more not kept by the page` : '', dropped);
  note.hidden = dropped === 0;

  const failed = failedRounds(rounds, RECENT_ROUNDS);
  const list = byTestId(doc, 'failed-rounds');
  list.replaceChildren(
    ...failed.map((f) =>
      element(doc, 'li', { 'data-testid': `failed-round-${f.round}` }, null, [
        element(doc, 'span', { class: 'round' }, `round ${f.round}`),
        element(doc, 'span', { class: 'outcome' }, f.outcome),
      ]),
    ),
  );
  byTestId(doc, 'failed-rounds-none').hidden = failed.length > 0;
}

/** The canary panel: the canary's version and state, with its evaluation beside stable's. */
export function renderCanary(doc, status, models) {
  const s = status ?? {};
  const canary = s.canary ?? null;
  showValue(doc, 'canary-label', canary === null ? 'no canary' : `canary: version ${canary}`, canary);
  showValue(doc, 'canary-state', s.canaryState ?? MISSING, s.canaryState);
  const find = (version) => (version === null || version === undefined ? null : models.find((m) => m.version === version) ?? null);
  const evidence = s.canaryEvidence ?? null;
  const rows = [
    ['stable', s.stable ?? null, find(s.stable), evidence?.stable ?? null],
    ['canary', canary, find(canary), evidence?.canary ?? null],
  ];
  byTestId(doc, 'canary-compare').replaceChildren(
    ...rows.map(([label, version, model, arm]) =>
      element(doc, 'tr', { 'data-testid': `canary-compare-${label}` }, null, [
        element(doc, 'th', { scope: 'row' }, label),
        element(doc, 'td', { class: 'num' }, version === null ? 'none' : String(version)),
        element(doc, 'td', { class: 'num' }, formatFixed(model?.testAccuracy ?? null)),
        element(doc, 'td', { class: 'num' }, formatFixed(model?.federatedAccuracy ?? null)),
        element(doc, 'td', { class: 'num' }, arm?.labelled === null || arm?.labelled === undefined ? MISSING
          : formatCount(arm.labelled)),
        element(doc, 'td', { class: 'num' }, formatFixed(arm?.accuracy ?? null)),
      ]),
    ),
  );
  const why = evidence?.lastLook ?? evidence?.lastVerdict ?? null;
  showValue(doc, 'canary-evidence', why === null ? 'no look taken yet' : why, why);
}

function actionButton(doc, model, action, busy, onAction) {
  const label = action === 'promote' ? 'Promote' : 'Rollback';
  const button = element(
    doc,
    'button',
    {
      type: 'button',
      class: `action action-${action}`,
      'data-testid': `${action}-${model.version}`,
      id: `${action}-${model.version}`,
      disabled: busy || !model.fileKept,
      title: model.fileKept ? `${label} version ${model.version}` : 'the model file is no longer kept',
    },
    label,
  );
  button.addEventListener('click', () => onAction(model.version, action));
  return button;
}

/**
 * The registry table, one row per model, newest first, with Promote and Rollback buttons
 * (disabled while an action runs, and for a model whose file is no longer kept).
 */
export function renderRegistry(doc, models, status, busy, onAction) {
  const current = status?.modelVersion ?? null;
  const rows = models.map((m) =>
    element(doc, 'tr', { 'data-testid': `model-row-${m.version}`, class: m.version === current ? 'current' : null }, null, [
      element(doc, 'td', { class: 'num' }, String(m.version)),
      element(doc, 'td', { class: 'num' }, formatCount(m.parent)),
      element(doc, 'td', { class: 'num' }, formatCount(m.round)),
      element(doc, 'td', {}, m.kind ?? MISSING),
      element(doc, 'td', { class: 'num' }, formatCount(m.contributors)),
      element(doc, 'td', { class: 'num' }, formatFixed(m.testAccuracy)),
      element(doc, 'td', { class: 'num' }, formatFixed(m.testLoss)),
      element(doc, 'td', { class: 'num' }, formatFixed(m.federatedAccuracy)),
      element(doc, 'td', { 'data-testid': `model-labels-${m.version}` }, formatLabels(m.labels)),
      element(doc, 'td', {}, formatMillis(m.createdMillis)),
      element(doc, 'td', {}, m.fileKept ? 'yes' : 'no'),
      element(doc, 'td', { class: 'actions' }, null, [
        actionButton(doc, m, 'promote', busy, onAction),
        actionButton(doc, m, 'rollback', busy, onAction),
      ]),
    ]),
  );
  byTestId(doc, 'registry-rows').replaceChildren(...rows);
  byTestId(doc, 'registry-none').hidden = models.length > 0;
}

/** The status line of promote and rollback: state is idle, pending, ok or error. */
export function renderAction(doc, action) {
  const node = byTestId(doc, 'action-status');
  node.textContent = action === null ? '' : oneLine(action.message) ?? '';
  node.dataset.state = action === null ? 'idle' : action.state;
  node.dataset.action = action === null ? '' : `${action.action}-${action.version}`;
}
