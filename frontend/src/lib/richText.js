// PURE: the light formatting of a message, parsed into a small tree that
// components/MessageText.jsx renders as React elements (never as HTML: a message's `<`, `>` and
// `&` are always text).
//
//   ```block```      code block (a newline right after the opening fence is dropped)
//   `code`           inline code, on one line; nothing is formatted inside code
//   *bold*  _italic_ the markers must hug the text ("* a *" is not bold) and sit at word
//                    boundaries ("2*3*4" and snake_case_names stay as typed); bold and italic
//                    nest in each other once, not in themselves
//   http(s)://...    a link; trailing punctuation (".", ",", ")" without its "(", …) is left out
//
// Anything unclosed or malformed stays as the characters typed. Only http: and https: become
// links (there is no [text](url) syntax, so a link always shows where it goes); a link whose
// text holds bidi controls or zero-width characters shows its percent-encoded address instead,
// so it cannot pretend to point somewhere else.
//
// Node: {type:'text', text} | {type:'bold'|'italic', children} | {type:'code'|'codeblock', text}
//     | {type:'link', href, text}

const FENCE = '```';
const MARKERS = { '*': 'bold', _: 'italic' };
const URL_AT = /https?:\/\/[^\s<>"`]+/iy;
const TRAILING = /[.,;:!?'"*_)\]}>]$/;
const HIDDEN = /[\u061C\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF]/;
const WORD = /[\p{L}\p{N}]/u;

const isSpace = (c) => c === undefined || /\s/.test(c);
const isWord = (c) => c !== undefined && WORD.test(c);

/** Parse a message's text into nodes. */
export function parseMessage(text) {
  const source = typeof text === 'string' ? text : String(text ?? '');
  const nodes = [];
  let rest = source;
  for (;;) {
    const open = rest.indexOf(FENCE);
    const close = open === -1 ? -1 : rest.indexOf(FENCE, open + FENCE.length);
    const body = close === -1 ? '' : trimFenceNewlines(rest.slice(open + FENCE.length, close));
    if (close === -1 || body.trim() === '') {
      nodes.push(...parseInline(rest));
      break;
    }
    nodes.push(...parseInline(rest.slice(0, open).replace(/\n$/, '')));
    nodes.push({ type: 'codeblock', text: body });
    rest = rest.slice(close + FENCE.length).replace(/^\n/, '');
    if (rest === '') break;
  }
  return mergeText(nodes);
}

function trimFenceNewlines(body) {
  return body.replace(/^\n/, '').replace(/\n$/, '');
}

function parseInline(s, allowed = ['bold', 'italic']) {
  const nodes = [];
  let buf = '';
  const flush = () => {
    if (buf) nodes.push({ type: 'text', text: buf });
    buf = '';
  };
  let i = 0;
  while (i < s.length) {
    const token = code(s, i) || link(s, i) || emphasis(s, i, allowed);
    if (token) {
      flush();
      nodes.push(token.node);
      i = token.end;
    } else {
      buf += s[i];
      i += 1;
    }
  }
  flush();
  return nodes;
}

function code(s, i) {
  if (s[i] !== '`') return null;
  const j = s.indexOf('`', i + 1);
  if (j <= i + 1) return null;
  const text = s.slice(i + 1, j);
  return text.includes('\n') ? null : { node: { type: 'code', text }, end: j + 1 };
}

function link(s, i) {
  if ((s[i] !== 'h' && s[i] !== 'H') || isWord(s[i - 1])) return null;
  URL_AT.lastIndex = i;
  const m = URL_AT.exec(s);
  if (!m) return null;
  const raw = trimUrl(m[0]);
  let url;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) return null;
  const text = HIDDEN.test(raw) ? url.href : raw;
  return { node: { type: 'link', href: url.href, text }, end: i + raw.length };
}

// "https://x.org/a_(b)." -> "https://x.org/a_(b)": closing brackets stay when they close one
// opened inside the address
function trimUrl(raw) {
  let url = raw;
  while (TRAILING.test(url)) {
    const last = url[url.length - 1];
    const pair = { ')': '(', ']': '[', '}': '{' }[last];
    if (pair && count(url, pair) >= count(url, last)) break;
    url = url.slice(0, -1);
  }
  return url;
}

const count = (s, c) => s.split(c).length - 1;

function emphasis(s, i, allowed) {
  const marker = s[i];
  const type = MARKERS[marker];
  if (!type || !allowed.includes(type)) return null;
  const next = s[i + 1];
  if (isSpace(next) || next === marker || isWord(s[i - 1]) || s[i - 1] === marker) return null;
  for (let k = i + 2; k < s.length && s[k] !== '\n'; k += 1) {
    const span = code(s, k);
    if (span) k = span.end - 1; // a marker inside `code` does not close
    if (s[k] !== marker) continue;
    if (isSpace(s[k - 1]) || isWord(s[k + 1]) || s[k + 1] === marker) continue;
    const children = parseInline(
      s.slice(i + 1, k),
      allowed.filter((t) => t !== type),
    );
    return { node: { type, children }, end: k + 1 };
  }
  return null;
}

function mergeText(nodes) {
  const out = [];
  for (const n of nodes) {
    const prev = out[out.length - 1];
    if (n.type === 'text' && prev?.type === 'text') out[out.length - 1] = { type: 'text', text: prev.text + n.text };
    else if (n.type !== 'text' || n.text) out.push(n);
  }
  return out;
}

/** The text a reader sees (markers removed), e.g. for tests and previews. */
export function plainText(nodes) {
  return nodes.map((n) => (n.children ? plainText(n.children) : n.text)).join('');
}
