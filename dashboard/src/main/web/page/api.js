// The admin API as the page calls it: same origin, the browser's client certificate, JSON.
// fetch is passed in, so node --test drives it with a recording fake.

/** The header the server requires on every POST (its guard against cross-site requests). */
export const ADMIN_HEADER = 'X-Fedge-Admin';

/** The actions a registry row offers. */
export const ACTIONS = ['promote', 'rollback'];

async function bodyJson(response) {
  try {
    return await response.json();
  } catch {
    return null;
  }
}

function statusLine(response) {
  return `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
}

/**
 * The API over fetchImpl. Each GET resolves to the parsed body, or rejects with an Error
 * naming the path and the HTTP status (and the server's message when its body has one).
 * act(version, action) POSTs promote or rollback and resolves to the server's message, or
 * rejects with the server's message (404, 409) or the HTTP status when the body has none.
 */
export function createApi(fetchImpl) {
  if (typeof fetchImpl !== 'function') {
    throw new Error('fetchImpl must be a function');
  }

  async function get(path) {
    let response;
    try {
      response = await fetchImpl(path, { method: 'GET', credentials: 'same-origin', cache: 'no-store' });
    } catch (e) {
      throw new Error(`GET ${path}: ${e.message}`);
    }
    const body = await bodyJson(response);
    if (!response.ok) {
      const why = body !== null && typeof body.message === 'string' ? `: ${body.message}` : '';
      throw new Error(`GET ${path}: ${statusLine(response)}${why}`);
    }
    if (body === null) {
      throw new Error(`GET ${path}: the body is not JSON`);
    }
    return body;
  }

  async function act(version, action) {
    if (!Number.isSafeInteger(version) || version < 0) {
      throw new Error(`version must be a whole number from 0: ${version}`);
    }
    if (!ACTIONS.includes(action)) {
      throw new Error(`action must be promote or rollback: ${action}`);
    }
    const path = `/api/models/${version}/${action}`;
    let response;
    try {
      response = await fetchImpl(path, {
        method: 'POST',
        credentials: 'same-origin',
        cache: 'no-store',
        headers: { [ADMIN_HEADER]: '1' },
      });
    } catch (e) {
      throw new Error(`${action} ${version}: ${e.message}`);
    }
    const body = await bodyJson(response);
    const message = body !== null && typeof body.message === 'string' && body.message !== '' ? body.message : null;
    if (response.ok && body !== null && body.ok === true) {
      return message ?? `${action} ${version}: done`;
    }
    throw new Error(message ?? `${action} ${version}: ${statusLine(response)}`);
  }

  return {
    status: () => get('/api/status'),
    rounds: () => get('/api/rounds'),
    models: () => get('/api/models'),
    act,
  };
}
