// How values are shown: platforms, people, times, sentiment.
import {html} from './html.js';

export const PLATFORMS = {
  twitter: {name: 'X (Twitter)', letter: 'X'},
  instagram: {name: 'Instagram', letter: 'IG'},
  facebook: {name: 'Facebook', letter: 'f'},
  linkedin: {name: 'LinkedIn', letter: 'in'},
  tiktok: {name: 'TikTok', letter: 'TT'},
};

export const KINDS = ['mention', 'comment', 'reply', 'direct_message', 'keyword_match',
                      'postback', 'reaction', 'edited', 'deleted'];

export function platformName(p) { return (PLATFORMS[p] || {name: p}).name; }

export function PlatformBadge({platform}) {
  const p = PLATFORMS[platform] || {name: platform, letter: (platform || '?').slice(0, 2)};
  return html`<span class="platform">
    <span class=${'picon picon-' + platform} aria-hidden="true">${p.letter}</span>
    <span class="pname">${p.name}</span></span>`;
}

export function Author({author}) {
  if (!author) return html`<span class="author muted">unknown author</span>`;
  const handle = author.handle ? '@' + author.handle.replace(/^@/, '') : author.name || author.id;
  return html`<span class="author">
    <span class="handle">${handle}</span>
    ${author.verified ? html` <span class="verified" title="verified" aria-label="verified">✓</span>` : ''}
    ${author.followers != null ? html` <span class="followers">${compact(author.followers)} followers</span>` : ''}
  </span>`;
}

export function compact(n) {
  if (n >= 1e6) return (n / 1e6).toFixed(n >= 1e7 ? 0 : 1) + 'M';
  if (n >= 1e3) return (n / 1e3).toFixed(n >= 1e4 ? 0 : 1) + 'k';
  return String(n);
}

function span(ms) {
  const m = Math.round(Math.abs(ms) / 60000);
  if (m < 60) return m + 'm';
  const h = Math.floor(m / 60);
  if (h < 48) return h + 'h' + (m % 60 ? ' ' + (m % 60) + 'm' : '');
  return Math.floor(h / 24) + 'd';
}

// The time left to an SLA due time: text, and whether it is overdue.
export function slaLeft(due, now) {
  if (!due) return {text: 'no SLA', overdue: false, none: true};
  const left = Date.parse(due) - now;
  if (Number.isNaN(left)) return {text: 'no SLA', overdue: false, none: true};
  return left < 0 ? {text: 'overdue ' + span(left), overdue: true}
                  : {text: span(left) + ' left', overdue: false};
}

export function Sla({due, now}) {
  const s = slaLeft(due, now);
  return html`<span class=${'sla' + (s.overdue ? ' overdue' : '') + (s.none ? ' muted' : '')}
    title=${due ? 'SLA due ' + due : 'no SLA'}>${s.text}</span>`;
}

export function sentimentLabel(v) {
  if (v == null) return '';
  return v <= -0.25 ? 'negative' : v >= 0.25 ? 'positive' : 'neutral';
}

export function Sentiment({value}) {
  if (value == null) return html`<span class="sentiment muted">–</span>`;
  const l = sentimentLabel(value);
  return html`<span class=${'sentiment ' + l} title=${'sentiment ' + value}>${l} ${value.toFixed(2)}</span>`;
}

export function when(t) {
  if (!t) return '';
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? t : d.toLocaleString();
}

// The result of POST /v1/actions as one line for people.
export function resultText(what, r) {
  const d = r.data || {};
  if (r.status === 200 && d.status === 'done')
    return {ok: true, text: `${what}: done${d.platform_id ? ' (' + d.platform_id + ')' : ''}`};
  if (r.status === 409)
    return {ok: true, text: `${what}: already done (same idempotency key)`};
  const parts = [d.error, d.message, d.http_status ? 'HTTP ' + d.http_status : '',
                 d.error_code ? 'platform code ' + d.error_code : ''].filter(Boolean);
  return {ok: false, text: `${what}: failed — ${parts.join(' · ') || 'HTTP ' + r.status}`};
}
