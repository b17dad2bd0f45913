import { useEffect, useRef, useState } from 'react';
import styled from 'styled-components';

const Wrap = styled.span`
  position: relative;
  display: inline-flex;
`;

export const IconButton = styled.button`
  font: inherit;
  font-size: 0.85rem;
  line-height: 1;
  min-width: 28px;
  min-height: 26px;
  padding: 2px 6px;
  border: 1px solid transparent;
  border-radius: 6px;
  background: none;
  color: ${(p) => p.theme.muted};
  cursor: pointer;
  &:hover, &[aria-expanded='true'] { background: ${(p) => p.theme.bg}; border-color: ${(p) => p.theme.border}; color: ${(p) => p.theme.text}; }
  &:focus-visible { outline: 3px solid ${(p) => p.theme.focus}; outline-offset: 1px; }
`;

const List = styled.div`
  position: absolute;
  z-index: 20;
  top: calc(100% + 4px);
  ${(p) => (p.$align === 'left' ? 'left: 0;' : 'right: 0;')}
  display: flex;
  flex-direction: ${(p) => (p.$row ? 'row' : 'column')};
  gap: 2px;
  min-width: ${(p) => (p.$row ? 'auto' : '120px')};
  padding: 4px;
  background: ${(p) => p.theme.surface};
  border: 1px solid ${(p) => p.theme.border};
  border-radius: 8px;
  box-shadow: 0 6px 18px ${(p) => p.theme.shadow};
  [role='menuitem'] {
    font: inherit;
    text-align: left;
    white-space: nowrap;
    padding: 6px 10px;
    border: 0;
    border-radius: 6px;
    background: none;
    color: ${(p) => p.theme.text};
    cursor: pointer;
    font-size: ${(p) => (p.$row ? '1.25rem' : '0.9rem')};
    ${(p) => (p.$row ? `font-family: ${p.theme.emojiFont};` : '')}
  }
  [role='menuitem']:hover { background: ${(p) => p.theme.bg}; }
  [role='menuitem']:focus-visible { outline: 3px solid ${(p) => p.theme.focus}; outline-offset: -2px; }
  [role='menuitem'][data-danger='true'] { color: ${(p) => p.theme.danger}; }
`;

/**
 * A button that opens a menu (WAI-ARIA menu button): Enter / Space / Arrow Down open it with the
 * first item focused, arrows (and Home / End) move, Escape closes and gives focus back, Tab or a
 * click elsewhere closes. items: [{key, label, ariaLabel?, onSelect, danger?}].
 */
export function MenuButton({ label, icon, items, row = false, align = 'right', testId }) {
  const [open, setOpen] = useState(false);
  const button = useRef(null);
  const list = useRef(null);
  const wrap = useRef(null);

  const focusItem = (i) => {
    const els = list.current?.querySelectorAll('[role="menuitem"]') || [];
    if (els.length) els[(i + els.length) % els.length].focus();
  };

  useEffect(() => {
    if (!open) return undefined;
    focusItem(0);
    const away = (e) => {
      if (wrap.current && !wrap.current.contains(e.target)) setOpen(false);
    };
    document.addEventListener('mousedown', away);
    return () => document.removeEventListener('mousedown', away);
  }, [open]);

  const close = (refocus) => {
    setOpen(false);
    if (refocus) button.current?.focus();
  };

  const onKeyDown = (e) => {
    const els = [...(list.current?.querySelectorAll('[role="menuitem"]') || [])];
    const i = els.indexOf(document.activeElement);
    const step = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 }[e.key];
    if (step) {
      e.preventDefault();
      focusItem(i + step);
    } else if (e.key === 'Home' || e.key === 'End') {
      e.preventDefault();
      focusItem(e.key === 'Home' ? 0 : -1);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      close(true);
    } else if (e.key === 'Tab') {
      setOpen(false);
    }
  };

  return (
    <Wrap ref={wrap}>
      <IconButton
        ref={button}
        type="button"
        aria-label={label}
        title={label}
        aria-haspopup="menu"
        aria-expanded={open}
        data-testid={testId}
        onClick={() => setOpen((o) => !o)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            setOpen(true);
          }
        }}
      >
        {icon}
      </IconButton>
      {open && (
        <List ref={list} role="menu" aria-label={label} $row={row} $align={align} onKeyDown={onKeyDown}>
          {items.map((item) => (
            <button
              key={item.key}
              type="button"
              role="menuitem"
              tabIndex={-1}
              aria-label={item.ariaLabel}
              title={item.ariaLabel}
              data-danger={item.danger ? 'true' : undefined}
              onClick={() => {
                close(true);
                item.onSelect();
              }}
            >
              {item.label}
            </button>
          ))}
        </List>
      )}
    </Wrap>
  );
}
