// The admin API as the console uses it (docs/console.md): same-origin fetch
// with the session cookie; every state-changing request carries the CSRF
// token that POST /v1/login or GET /v1/session returned.

let csrf = null;
let onUnauthorized = () => {};

export function setCsrf(token) { csrf = token; }
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

// {status, ok, data}; data is the parsed JSON answer, or {message: text}.
// Never throws: a network failure is status 0. A 401 logs the page out,
// unless opts.quiet (a request made before the session is known).
export async function api(method, path, body, opts = {}) {
  const headers = {Accept: 'application/json'};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrf) headers['X-Parley-CSRF'] = csrf;
  let res;
  try {
    res = await fetch(path, {method, headers, credentials: 'same-origin',
                             body: body === undefined ? undefined : JSON.stringify(body)});
  } catch (e) {
    return {status: 0, ok: false, data: {message: `network error: ${e.message}`}};
  }
  const text = await res.text();
  let data;
  try { data = text ? JSON.parse(text) : null; } catch { data = {message: text.trim()}; }
  if (res.status === 401 && !opts.quiet && path !== '/v1/login' && path !== '/v1/session')
    onUnauthorized();
  return {status: res.status, ok: res.ok, data};
}

// An idempotency key: random, so two clicks are two actions, while a retry
// of the same submission (same key) is performed once. getRandomValues
// also works outside secure contexts (plain http on a LAN address).
export function idempotencyKey() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return 'console-' + Array.from(b, x => x.toString(16).padStart(2, '0')).join('');
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? '?' + s : '';
}
