// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { ThemeProvider } from 'styled-components';
import { theme } from '../styles/theme.js';
import { AllRows } from '../test/virtuoso.jsx';
import '../test/matchers.js';
import { MessageList } from './MessageList.jsx';

afterEach(() => cleanup());

const at = (day, h, m = 0) => new Date(2024, 4, day, h, m).toISOString();
const entry = (seq, sender, timestamp, content = `hello ${seq}`) => ({
  key: `m${seq}`,
  id: `m${seq}`,
  seq,
  sender,
  content,
  timestamp,
  status: 'sent',
  reactions: {},
});

function show(entries, room = {}, props = {}) {
  const onLoadOlder = vi.fn();
  render(
    <ThemeProvider theme={theme}>
      <MessageList
        room={{ entries, loaded: true, hasMoreOlder: false, ...room }}
        me="alice"
        onLoadOlder={onLoadOlder}
        onRetry={() => {}}
        {...props}
      />
    </ThemeProvider>,
    { wrapper: AllRows },
  );
  return { onLoadOlder };
}

const HOSTILE = [
  '<script>window.__pwned = 1</script>',
  '<img src=x onerror="window.__pwned = 1">',
  '[click](javascript:alert(1)) javascript:alert(1) <a href="javascript:alert(1)">x</a>',
  'abc\u202Edef evil \u2066x zero\u200Bwidth',
  'w'.repeat(4000),
  '*bold _nested* unclosed_ `code` ```\nblock <b>\n``` https://example.org/a_(b).',
];

describe('the conversation view', () => {
  it('a log named Messages, day separators and grouping', () => {
    show([
      entry(1, 'bob', at(1, 9)),
      entry(2, 'bob', at(1, 9, 1)),
      entry(3, 'carol', at(1, 9, 2)),
      entry(4, 'carol', at(2, 9)),
    ]);
    const log = screen.getByRole('log', { name: 'Messages' });
    expect(within(log).getAllByRole('separator').map((s) => s.getAttribute('data-day'))).toEqual([
      '2024-05-01',
      '2024-05-02',
    ]);
    const messages = screen.getAllByTestId('message');
    expect(messages.map((m) => m.getAttribute('data-grouped'))).toEqual([null, 'true', null, null]);
    // a grouped message still names its sender for screen readers
    expect(within(messages[1]).getByTestId('message-sender')).toHaveTextContent('bob');
    // the exact time is the description of the focusable <time>
    const time = within(messages[0]).getByTestId('message-time');
    expect(time.getAttribute('tabindex')).toBe('0');
    expect(document.getElementById(time.getAttribute('aria-describedby'))).toHaveTextContent('2024');
  });

  it('hostile content renders as inert text', () => {
    show(HOSTILE.map((content, i) => entry(i + 1, 'mallory', at(1, 9, i), content)));
    const contents = screen.getAllByTestId('message-content');
    expect(contents).toHaveLength(HOSTILE.length);
    expect(document.querySelectorAll('[data-testid="message-content"] script, [data-testid="message-content"] img')).toHaveLength(0);
    expect(contents[0].textContent).toBe(HOSTILE[0]);
    expect(contents[1].textContent).toBe(HOSTILE[1]);
    expect(window.__pwned).toBeUndefined();
    for (const a of document.querySelectorAll('[data-testid="message-content"] a')) {
      expect(a.getAttribute('href')).toMatch(/^https?:\/\//);
      expect(a.getAttribute('rel')).toBe('noopener noreferrer nofollow');
      expect(a.getAttribute('target')).toBe('_blank');
    }
    expect(contents[2].querySelector('a')).toBeNull();
    expect(contents[2].textContent).toBe(HOSTILE[2]);
    // the bidi override stays inside its own isolated, auto-direction block
    expect(contents[3].getAttribute('dir')).toBe('auto');
    expect(contents[3].textContent).toBe(HOSTILE[3]);
    expect(contents[4].textContent).toHaveLength(4000);
    const last = contents[5];
    expect(last.querySelector('strong')).toHaveTextContent('bold _nested');
    expect(last.querySelector('pre code').textContent).toBe('block <b>');
    expect(last.querySelector('a').getAttribute('href')).toBe('https://example.org/a_(b)');
  });

  it('senders with bidi overrides are isolated', () => {
    show([entry(1, '\u202Eecila', at(1, 9))]);
    expect(screen.getByTestId('message-sender').tagName).toBe('BDI');
  });

  it('offers the older page while there may be one, then marks the start of the room', () => {
    const { onLoadOlder } = show([entry(5, 'bob', at(1, 9))], { hasMoreOlder: true });
    fireEvent.click(screen.getByRole('button', { name: 'Load older messages' }));
    expect(onLoadOlder).toHaveBeenCalled();
    cleanup();
    show([entry(1, 'bob', at(1, 9))]);
    expect(screen.getByTestId('start-of-room')).toHaveTextContent('start of the room');
    expect(screen.queryByRole('button', { name: 'Load older messages' })).toBeNull();
  });

  it('an empty room says so', () => {
    show([]);
    expect(screen.getByRole('log', { name: 'Messages' })).toHaveTextContent('No messages yet');
  });
});
