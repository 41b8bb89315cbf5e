// The inbox: open conversations as GET /v1/inbox returns them (most urgent
// first), one page at a time (keyset cursors), filtered; refetched when the
// live stream says something changed.
import {useEffect, useRef, useState} from './vendor/hooks.mjs';
import {api, query} from './api.js';
import {html} from './html.js';
import {Author, KINDS, PLATFORMS, PlatformBadge, Sentiment, Sla} from './format.js';

export const PAGE_SIZE = 50;

const EMPTY_FILTERS = {status: 'open', platform: '', kind: '', lang: '', keyword: '',
                       assigned: '', q: ''};

const pageUrl = (filters, cursor) => '/v1/inbox' + query({...filters, limit: PAGE_SIZE, cursor});

// The first page, asked for while the page is still asking for its session
// (one round trip less before the first paint). Used once, if it succeeded.
let early = null;
export function prefetchInbox() {
  const url = pageUrl(EMPTY_FILTERS, null);
  early = {url, answer: api('GET', url, undefined, {quiet: true})};
}

async function fetchPage(url) {
  if (early && early.url === url) {
    const {answer} = early;
    early = null;
    const r = await answer;
    if (r.ok) return r;
  }
  return api('GET', url);
}

function Filters({filters, onChange}) {
  const [draft, setDraft] = useState(filters);
  const timer = useRef(0);
  const set = (k, v, now) => {
    const next = {...draft, [k]: v};
    setDraft(next);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => onChange(next), now ? 0 : 300);
  };
  const text = (k, label, ph) => html`<label class="filter">${label}
    <input type="search" name=${k} value=${draft[k]} placeholder=${ph}
      onInput=${e => set(k, e.target.value.trim())} /></label>`;
  return html`<form class="filters" role="search" aria-label="Filter conversations"
      onSubmit=${e => e.preventDefault()}>
    <label class="filter">Status
      <select name="status" value=${draft.status} onChange=${e => set('status', e.target.value, true)}>
        ${['open', 'pending', 'resolved', 'all'].map(s => html`<option value=${s}>${s}</option>`)}
      </select></label>
    <label class="filter">Platform
      <select name="platform" value=${draft.platform} onChange=${e => set('platform', e.target.value, true)}>
        <option value="">all</option>
        ${Object.entries(PLATFORMS).map(([k, p]) => html`<option value=${k}>${p.name}</option>`)}
      </select></label>
    <label class="filter">Kind
      <select name="kind" value=${draft.kind} onChange=${e => set('kind', e.target.value, true)}>
        <option value="">all</option>
        ${KINDS.map(k => html`<option value=${k}>${k.replace('_', ' ')}</option>`)}
      </select></label>
    ${text('lang', 'Language', 'en')}
    ${text('keyword', 'Keyword set', 'outage')}
    ${text('assigned', 'Assigned', 'agent or none')}
    ${text('q', 'Text', 'search messages')}
  </form>`;
}

function Row({c, now, open}) {
  const m = c.last_message || {};
  const cls = "conv" + (open ? " open" : "");
  return html`<li class=${cls} data-id=${c.id} aria-current=${open ? 'true' : undefined}>
    <a href=${'#/c/' + encodeURIComponent(c.id)} class="convlink">
      <span class="line1">
        <${PlatformBadge} platform=${c.platform} />
        <${Author} author=${c.author} />
        <${Sla} due=${c.sla_due} now=${now} />
      </span>
      <span class="text">${m.deleted ? '(deleted) ' : ''}${m.text || '(no text)'}</span>
      <span class="line3">
        <span class="kind">${(m.kind || c.visibility || '').replace('_', ' ')}</span>
        ${m.lang ? html`<span class="lang" title="language">${m.lang}</span>` : ''}
        <${Sentiment} value=${c.sentiment} />
        ${c.priority != null ? html`<span class="prio" title="priority">P${c.priority}</span>` : ''}
        ${c.assigned_to ? html`<span class="assigned">→ ${c.assigned_to}</span>` : ''}
        ${c.status !== 'open' ? html`<span class="status">${c.status}</span>` : ''}
      </span>
    </a></li>`;
}

export function Inbox({openId, live, now, onRows}) {
  const [filters, setFilters] = useState(EMPTY_FILTERS);
  const [cursors, setCursors] = useState([null]); // the cursor of each page seen so far
  const [page, setPage] = useState({conversations: [], total: 0, next_cursor: null});
  const [error, setError] = useState(null);
  const [loading, setLoading] = useState(true);
  const painted = useRef(false);
  const cursor = cursors[cursors.length - 1];

  useEffect(() => {
    let stale = false;
    fetchPage(pageUrl(filters, cursor)).then(r => {
      if (stale) return;
      setLoading(false);
      if (!r.ok) { setError(r.data && r.data.message || 'HTTP ' + r.status); return; }
      setError(null);
      setPage(r.data);
      onRows(r.data.conversations);
    });
    return () => { stale = true; };
  }, [filters, cursor, live]);

  // The first paint of real rows, for the browser test and for people
  // curious about it (docs/console.md).
  useEffect(() => {
    if (painted.current || loading) return;
    painted.current = true;
    requestAnimationFrame(() => {
      window.parleyInboxPaint = performance.now();
      document.body.dataset.inboxPainted = '1';
    });
  }, [loading]);

  const first = (cursors.length - 1) * PAGE_SIZE;
  const rows = page.conversations || [];
  return html`<section class="inbox" aria-labelledby="inbox-h">
    <h2 id="inbox-h">Inbox <span class="count" aria-live="polite">${page.total ?? rows.length} ${filters.status === 'all' ? '' : filters.status}</span></h2>
    <${Filters} filters=${filters} onChange=${f => { setFilters(f); setCursors([null]); }} />
    ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
    ${!loading && !error && rows.length === 0 ? html`<p class="empty">Nothing waiting.</p>` : ''}
    <ol class="convs" aria-label="Conversations, most urgent first">
      ${rows.map(c => html`<${Row} key=${c.id} c=${c} now=${now} open=${c.id === openId} />`)}
    </ol>
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled=${cursors.length === 1}
        onClick=${() => setCursors(cursors.slice(0, -1))}>← Previous</button>
      <span>${rows.length ? `${first + 1}–${first + rows.length}` : '0'} of ${page.total ?? '?'}</span>
      <button type="button" disabled=${!page.next_cursor}
        onClick=${() => setCursors([...cursors, page.next_cursor])}>Next →</button>
    </nav>
  </section>`;
}
