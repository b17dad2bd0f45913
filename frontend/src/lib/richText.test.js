import { describe, expect, it } from 'vitest';
import { parseMessage, plainText } from './richText.js';

const text = (t) => ({ type: 'text', text: t });

describe('parseMessage: the formatting subset', () => {
  it('plain text is one text node, unchanged', () => {
    expect(parseMessage('hello there')).toEqual([text('hello there')]);
    expect(parseMessage('')).toEqual([]);
    expect(parseMessage(null)).toEqual([]);
  });

  it('bold, italic, inline code', () => {
    expect(parseMessage('a *big* _small_ `x = 1` end')).toEqual([
      text('a '),
      { type: 'bold', children: [text('big')] },
      text(' '),
      { type: 'italic', children: [text('small')] },
      text(' '),
      { type: 'code', text: 'x = 1' },
      text(' end'),
    ]);
  });

  it('bold and italic nest in each other once', () => {
    expect(parseMessage('*very _much_ so*')).toEqual([
      { type: 'bold', children: [text('very '), { type: 'italic', children: [text('much')] }, text(' so')] },
    ]);
    expect(parseMessage('_*both*_')).toEqual([{ type: 'italic', children: [{ type: 'bold', children: [text('both')] }] }]);
  });

  it('markers must hug the text and sit at word boundaries', () => {
    for (const s of ['2*3*4', 'snake_case_name', '* not bold *', 'a * b', '**', '__', '*', '_']) {
      expect(parseMessage(s)).toEqual([text(s)]);
    }
    expect(parseMessage('**double**')).toEqual([text('**double**')]);
  });

  it('unclosed or crossed markers stay as typed', () => {
    expect(parseMessage('*open only')).toEqual([text('*open only')]);
    expect(parseMessage('`open code')).toEqual([text('`open code')]);
    expect(parseMessage('```open block')).toEqual([text('```open block')]);
    const crossed = parseMessage('*bold _italic* rest_');
    expect(crossed[0]).toEqual({ type: 'bold', children: [text('bold _italic')] });
    expect(plainText(crossed)).toBe('bold _italic rest_');
  });

  it('a marker does not close across lines nor inside code', () => {
    expect(parseMessage('*one\ntwo*')).toEqual([text('*one\ntwo*')]);
    expect(parseMessage('*a `b*` c*')).toEqual([
      { type: 'bold', children: [text('a '), { type: 'code', text: 'b*' }, text(' c')] },
    ]);
  });

  it('nothing is formatted inside code', () => {
    expect(parseMessage('`*no* https://x.org`')).toEqual([{ type: 'code', text: '*no* https://x.org' }]);
  });

  it('code blocks keep their lines; the newlines around the fences are dropped', () => {
    expect(parseMessage('before\n```\nconst a = *1*;\n  b()\n```\nafter')).toEqual([
      text('before'),
      { type: 'codeblock', text: 'const a = *1*;\n  b()' },
      text('after'),
    ]);
    expect(parseMessage('```one line```')).toEqual([{ type: 'codeblock', text: 'one line' }]);
    expect(parseMessage('``````')).toEqual([text('``````')]);
  });
});

describe('parseMessage: links', () => {
  const link = (href, t = href) => ({ type: 'link', href, text: t });

  it('http and https become links, trailing punctuation left out', () => {
    expect(parseMessage('see https://example.org/a?b=1#c.')).toEqual([
      text('see '),
      link('https://example.org/a?b=1#c'),
      text('.'),
    ]);
    expect(parseMessage('(http://example.org/x)')).toEqual([text('('), link('http://example.org/x'), text(')')]);
    expect(parseMessage('https://en.wikipedia.org/wiki/Foo_(bar)')).toEqual([
      link('https://en.wikipedia.org/wiki/Foo_(bar)'),
    ]);
  });

  it('a link inside bold or italic; underscores in an address stay in it', () => {
    expect(parseMessage('*https://example.org*')).toEqual([{ type: 'bold', children: [link('https://example.org/', 'https://example.org')] }]);
    expect(parseMessage('https://x.org/snake_case_path')).toEqual([link('https://x.org/snake_case_path')]);
  });

  it('no other scheme is ever a link', () => {
    for (const s of [
      'javascript:alert(1)',
      'JavaScript:alert(document.cookie)',
      'data:text/html,<script>alert(1)</script>',
      'vbscript:msgbox(1)',
      'file:///etc/passwd',
      'ftp://example.org',
      '//example.org',
      'https://',
      'xhttps://example.org',
    ]) {
      expect(parseMessage(s).filter((n) => n.type === 'link')).toEqual([]);
      expect(plainText(parseMessage(s))).toBe(s);
    }
  });

  it('an http address hidden in a javascript: URL links only to itself', () => {
    const nodes = parseMessage("javascript:alert('https://x.org')");
    expect(nodes.filter((n) => n.type === 'link')).toEqual([link('https://x.org/', 'https://x.org')]);
    expect(nodes[0]).toEqual(text("javascript:alert('"));
  });

  it('a link with bidi controls or zero-width characters shows its encoded address', () => {
    const [node] = parseMessage('https://evil.example/\u202Egro.elpmaxe');
    expect(node.type).toBe('link');
    expect(node.text).toBe('https://evil.example/%E2%80%AEgro.elpmaxe');
    expect(node.href).toBe(node.text);
    const [zw] = parseMessage('https://exa\u200Bmple.org');
    expect(zw.text).not.toContain('\u200B');
  });
});

describe('parseMessage: hostile content stays text', () => {
  it('HTML is text, character for character', () => {
    for (const s of [
      '<script>alert(1)</script>',
      '<img src=x onerror="alert(1)">',
      '<a href="javascript:alert(1)">click</a>',
      '&lt;b&gt; &amp; <b>bold?</b>',
      '<iframe srcdoc="<script>alert(1)</script>">',
    ]) {
      const nodes = parseMessage(s);
      expect(nodes.every((n) => n.type === 'text')).toBe(true);
      expect(plainText(nodes)).toBe(s);
    }
  });

  it('RTL overrides and zero-width characters are kept as text (the view isolates them)', () => {
    const s = 'abc\u202Edef\u202C \u2066x\u2069 zero\u200Bwidth\u200D\uFEFF';
    expect(parseMessage(s)).toEqual([text(s)]);
  });

  it('zero-width characters do not make markers', () => {
    expect(parseMessage('\u200B*\u200B')).toEqual([text('\u200B*\u200B')]);
  });

  it('a 4,000-character word and 2,000 openers without a closer parse whole', () => {
    const word = 'x'.repeat(4000);
    expect(parseMessage(word)).toEqual([text(word)]);
    const stars = '*a'.repeat(2000);
    expect(plainText(parseMessage(stars))).toBe(stars);
  });
});
