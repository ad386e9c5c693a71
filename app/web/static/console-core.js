// Console plumbing shared by its modules: state, authenticated API calls, feedback.
export const EVENT = document.body.dataset.event;
export const TOKEN_KEY = 'showcaller.token';
export const RANK = { viewer: 0, host: 1, organiser: 2 };
export const FAILED = new Set(['parked', 'expired']);
export const $ = (id) => document.getElementById(id);
export const base = `/api/events/${encodeURIComponent(EVENT)}`;

export const app = {
  token: localStorage.getItem(TOKEN_KEY),
  me: null,
  state: null,
  receivedAt: 0, // performance.now() when `state` arrived: countdowns run from there
  fmt: null,
  stream: null,
  polls: [],
  signatures: new Map(),
  timerRows: new Map(),
  cueReload: null,
  onUnauthorized: () => {}, // set by console.js: sign out
  applyState: () => {}, // set by console-live.js
};

export class ApiError extends Error {
  constructor(status, reason) {
    super(reason);
    this.status = status;
  }
}

export async function api(path, { method = 'GET', body } = {}) {
  const headers = { Authorization: `Bearer ${app.token}`, Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { method, headers, cache: 'no-store',
                                  body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    if (res.status === 401 && app.me) app.onUnauthorized('Your token is no longer valid: sign in again.');
    throw new ApiError(res.status, data?.reason || `HTTP ${res.status}`);
  }
  return data;
}

// ---- feedback ---------------------------------------------------------------------------------

let toastTimer = null;
export function toast(message, kind = 'info') {
  const el = $('toast');
  el.textContent = message;
  el.className = `toast show ${kind}`;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.className = 'toast'; }, kind === 'error' ? 8000 : 3500);
}

/** Run a host action from a button: disabled while in flight (no double advance), state applied at once. */
export async function act(button, path, body = {}, done = null) {
  if (button) button.disabled = true;
  try {
    const result = await api(`${base}/${path}`, { method: 'POST', body });
    if (result?.state) app.applyState(result.state);
    if (done) toast(typeof done === 'function' ? done(result) : done);
    return result;
  } catch (error) {
    toast(error.message, 'error');
    return null;
  } finally {
    if (button) button.disabled = false;
  }
}

/** Re-render a part only when its data changed, so buttons are not replaced under the pointer. */
export function changed(key, value) {
  const sig = JSON.stringify(value);
  if (app.signatures.get(key) === sig) return false;
  app.signatures.set(key, sig);
  return true;
}

