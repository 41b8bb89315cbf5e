// One conversation: its thread in order, its events, the same person's other
// conversations, and the answer box. Every answer is a parley.action.v1
// POSTed to /v1/actions with a fresh idempotency key; the result is shown.
import {useEffect, useState} from './vendor/hooks.mjs';
import {api, idempotencyKey} from './api.js';
import {html} from './html.js';
import {Author, PlatformBadge, Sentiment, Sla, platformName, resultText, when} from './format.js';

// Where a private answer exists (docs/connectors/*.md): X and the Meta
// platforms. LinkedIn and TikTok have no API for it.
const PRIVATE_PLATFORMS = new Set(['twitter', 'instagram', 'facebook']);

// The private answer to this conversation, or null where there is none:
// a DM in a private conversation; on a public Facebook/Instagram comment,
// the platform's private reply to it; on a public tweet, a DM to its author.
export function privateAction(conv, lastIn) {
  if (!PRIVATE_PLATFORMS.has(conv.platform)) return null;
  if (conv.visibility === 'private') return {type: 'direct_message', conversation_id: conv.id};
  if (conv.platform === 'twitter')
    return conv.author && conv.author.id ? {type: 'direct_message', recipient: conv.author.id} : null;
  return lastIn ? {type: 'reply_private', target: lastIn.id} : null;
}

function Message({m}) {
  const cls = 'msg ' + (m.direction === 'out' ? 'out' : 'in') + (m.deleted ? ' deleted' : '');
  return html`<li class=${cls}>
    <div class="meta">
      ${m.direction === 'out' ? html`<span class="handle">brand${m.agent ? ' · ' + m.agent : ''}</span>`
                               : html`<${Author} author=${m.author} />`}
      <time datetime=${m.created_at}>${when(m.created_at)}</time>
      <span class="kind">${(m.kind || '').replace('_', ' ')}</span>
      ${m.lang ? html`<span class="lang">${m.lang}</span>` : ''}
      ${m.edited ? html`<span class="badge">edited</span>` : ''}
      ${m.deleted ? html`<span class="badge">deleted</span>` : ''}
      ${m.url ? html`<a href=${m.url} target="_blank" rel="noopener noreferrer">open</a>` : ''}
    </div>
    <p class="body">${m.text || '(no text)'}</p>
  </li>`;
}

function Answer({conv, messages, onDone, registerResolve}) {
  const [text, setText] = useState('');
  const [assignee, setAssignee] = useState('');
  const [busy, setBusy] = useState(false);
  const [results, setResults] = useState([]);
  const lastIn = [...messages].reverse().find(m => m.direction === 'in' && !m.deleted);
  const priv = privateAction(conv, lastIn);

  async function submit(what, action) {
    setBusy(true);
    const body = {schema: 'parley.action.v1', idempotency_key: idempotencyKey(), ...action};
    const r = await api('POST', '/v1/actions', body);
    const res = resultText(what, r);
    setResults(rs => [{...res, key: body.idempotency_key}, ...rs].slice(0, 5));
    setBusy(false);
    if (res.ok && action.text) setText('');
    onDone();
  }
  const onPlatform = {connector: conv.connector, conversation_id: conv.id};
  const reply = () => text.trim() && lastIn &&
    submit('Public reply', {...onPlatform, type: 'reply_public', target: lastIn.id, text});
  const dm = () => text.trim() && priv && submit(priv.type === 'reply_private' ? 'Private reply' : 'DM',
                                                 {...onPlatform, ...priv, text});
  const hide = () => lastIn && submit('Hide', {...onPlatform, type: 'hide', target: lastIn.id});
  const assign = () => assignee.trim() &&
    submit('Assign', {type: 'assign', conversation_id: conv.id, assign_to: assignee.trim()});
  const resolve = () => submit('Resolve', {type: 'resolve', conversation_id: conv.id});
  registerResolve(resolve);

  return html`<form class="answer" aria-label="Answer" onSubmit=${e => { e.preventDefault(); reply(); }}>
    <label for="answer-text">Answer on ${platformName(conv.platform)}</label>
    <textarea id="answer-text" rows="3" value=${text} onInput=${e => setText(e.target.value)}
      placeholder="Write the answer; Ctrl+Enter sends it publicly"
      onKeyDown=${e => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); reply(); } }}></textarea>
    <div class="buttons">
      <button type="submit" class="primary" disabled=${busy || !lastIn}>Reply publicly</button>
      <button type="button" disabled=${busy || !priv}
        title=${priv ? '' : platformName(conv.platform) + ' has no private answer'} onClick=${dm}>
        ${priv && priv.type === 'reply_private' ? 'Reply privately' : 'Send DM'}</button>
      <button type="button" disabled=${busy || !lastIn} onClick=${hide}>Hide message</button>
      <span class="assign">
        <label for="assign-to">Assign to</label>
        <input id="assign-to" value=${assignee} onInput=${e => setAssignee(e.target.value)} size="10" />
        <button type="button" disabled=${busy} onClick=${assign}>Assign</button>
      </span>
      <button type="button" disabled=${busy} onClick=${resolve}>Resolve</button>
    </div>
    <ul class="results" role="status" aria-live="polite" aria-label="Results of the answers">
      ${results.map(r => html`<li key=${r.key} class=${r.ok ? 'done' : 'failed'}>${r.text}</li>`)}
    </ul>
  </form>`;
}

export function Thread({id, live, now, registerResolve, onChanged}) {
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  const [mine, setMine] = useState(0);
  useEffect(() => {
    let stale = false;
    api('GET', '/v1/conversations/' + encodeURIComponent(id)).then(r => {
      if (stale) return;
      if (!r.ok) { setError(r.status === 404 ? 'No such conversation.' : (r.data && r.data.message) || 'HTTP ' + r.status); return; }
      setError(null);
      setData(r.data);
    });
    return () => { stale = true; };
  }, [id, live, mine]);
  if (error) return html`<section class="thread"><p class="error" role="alert">${error}</p></section>`;
  if (!data || data.conversation.id !== id)
    return html`<section class="thread"><p class="loading" role="status">Loading…</p></section>`;
  const c = data.conversation;
  return html`<section class="thread" aria-labelledby="thread-h" data-id=${c.id}>
    <a class="back" href="#/">← Inbox</a>
    <h2 id="thread-h"><${PlatformBadge} platform=${c.platform} /> <${Author} author=${c.author} /></h2>
    <p class="convmeta">
      <span class="status">${c.status}</span>
      <${Sla} due=${c.sla_due} now=${now} />
      <${Sentiment} value=${c.sentiment} />
      ${c.priority != null ? html`<span class="prio">P${c.priority}</span>` : ''}
      <span>${c.visibility}</span>
      <span>account ${c.account}</span>
      ${c.assigned_to ? html`<span class="assigned">assigned to ${c.assigned_to}</span>` : ''}
    </p>
    <ol class="messages" aria-label="Messages, oldest first">
      ${data.messages.map(m => html`<${Message} key=${m.id} m=${m} />`)}
    </ol>
    <${Answer} conv=${c} messages=${data.messages} registerResolve=${registerResolve}
      onDone=${() => { setMine(x => x + 1); onChanged(); }} />
    ${data.events && data.events.length ? html`<details class="events"><summary>History (${data.events.length})</summary>
      <ul>${data.events.map((e, i) => html`<li key=${i}><time datetime=${e.at}>${when(e.at)}</time> ${e.type}${e.agent ? ' by ' + e.agent : ''}${e.detail ? ' — ' + e.detail : ''}</li>`)}</ul></details>` : ''}
    ${data.related && data.related.length ? html`<section class="related" aria-labelledby="rel-h">
      <h3 id="rel-h">Same person elsewhere</h3>
      <ul>${data.related.map(r => html`<li key=${r.id}><a href=${'#/c/' + encodeURIComponent(r.id)}>
        <${PlatformBadge} platform=${r.platform} /> ${r.last_message ? r.last_message.text : r.id}</a> <span class="status">${r.status}</span></li>`)}</ul>
    </section>` : ''}
  </section>`;
}
