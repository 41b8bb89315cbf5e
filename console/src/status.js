// The status page: GET /v1/status for people — connectors, outputs, the
// journal backlog, and the counters about throttling and tokens. Refreshed
// when the live stream reports a change, and by the Refresh button.
import {useEffect, useState} from './vendor/hooks.mjs';
import {api} from './api.js';
import {html} from './html.js';
import {PlatformBadge, compact} from './format.js';

const WATCH = /throttl|rate_limit|retry|retries|token|expir|refused|fail|error/;

function bytes(n) {
  if (!n) return '0 B';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  const i = Math.min(u.length - 1, Math.floor(Math.log2(n) / 10));
  return (n / 2 ** (10 * i)).toFixed(i ? 1 : 0) + ' ' + u[i];
}

function age(ms) {
  if (!ms) return 'none';
  const s = Math.round(ms / 1000);
  return s < 120 ? s + ' s' : Math.round(s / 60) + ' min';
}

export function Status({live}) {
  const [st, setSt] = useState(null);
  const [error, setError] = useState(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    api('GET', '/v1/status').then(r => {
      if (!r.ok) { setError((r.data && r.data.message) || 'HTTP ' + r.status); return; }
      setError(null);
      setSt(r.data);
    });
  }, [live, tick]);
  if (error) return html`<section class="statuspage"><p class="error" role="alert">${error}</p></section>`;
  if (!st) return html`<section class="statuspage"><p class="loading" role="status">Loading…</p></section>`;
  const watched = Object.entries(st.metrics || {}).filter(([k, v]) => WATCH.test(k) && v);
  return html`<section class="statuspage" aria-labelledby="status-h">
    <h2 id="status-h">Status <button type="button" class="small" onClick=${() => setTick(t => t + 1)}>Refresh</button></h2>
    <p class="summary">parleyd ${st.version} · <span class=${'state ' + st.state}>${st.state}</span>
      ${st.paused ? html` · <span class="bad">paused: ${st.pause_reason}</span>` : ''}
      ${' · '}journal seq ${st.last_seq}</p>
    <h3>Connectors</h3>
    <table class="grid"><caption class="sr">Connector instances</caption>
      <thead><tr><th scope="col">Instance</th><th scope="col">Platform</th><th scope="col">State</th>
        <th scope="col">Health</th><th scope="col">Events</th><th scope="col">Duplicates</th><th scope="col">Last event</th></tr></thead>
      <tbody>${(st.connectors || []).map(c => html`<tr key=${c.name}>
        <th scope="row">${c.name}</th><td><${PlatformBadge} platform=${c.platform} /></td>
        <td>${c.state}</td>
        <td class=${c.healthy ? 'good' : 'bad'}>${c.healthy ? 'healthy' : 'unhealthy'}${c.health_reason ? ': ' + c.health_reason : ''}</td>
        <td>${compact(c.accepted)} accepted / ${compact(c.emitted)} emitted</td>
        <td>${compact(c.duplicates)}</td><td>${c.last_event_at || '–'}</td></tr>`)}</tbody></table>
    <h3>Outputs</h3>
    <table class="grid"><caption class="sr">Outputs</caption>
      <thead><tr><th scope="col">Output</th><th scope="col">Type</th><th scope="col">State</th>
        <th scope="col">Backlog</th><th scope="col">Delivered</th><th scope="col">Last error</th></tr></thead>
      <tbody>${(st.outputs || []).map(o => html`<tr key=${o.name}>
        <th scope="row">${o.name}</th><td>${o.type}</td>
        <td class=${o.state === 'ok' ? 'good' : 'bad'}>${o.state}</td>
        <td>${compact(o.backlog)}</td><td>${compact(o.delivered)}</td><td>${o.last_error || '–'}</td></tr>`)}</tbody></table>
    <h3>Journal backlog</h3>
    <p>${bytes(st.backlog.bytes)} undelivered${st.backlog.max_bytes ? ' of ' + bytes(st.backlog.max_bytes) + ' allowed' : ''},
      oldest ${age(st.backlog.oldest_age_ms)}${st.backlog.max_age_ms ? ' (bound ' + age(st.backlog.max_age_ms) + ')' : ''}.</p>
    <h3>Throttling, tokens, failures</h3>
    ${watched.length ? html`<table class="grid"><caption class="sr">Counters about throttling, tokens and failures</caption>
      <tbody>${watched.map(([k, v]) => html`<tr key=${k}><th scope="row"><code>${k}</code></th><td>${v}</td></tr>`)}</tbody></table>`
      : html`<p class="good">No throttling, token or failure counters above zero.</p>`}
  </section>`;
}
