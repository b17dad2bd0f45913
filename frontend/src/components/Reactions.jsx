import styled from 'styled-components';
import { reactionLabel, reactionSummary } from '../state/messageChanges.js';
import { MenuButton } from './Menu.jsx';

/** The picker's choices: a handful of common emoji, with the names a screen reader says. */
export const PICKER = [
  ['👍', 'thumbs up'],
  ['❤️', 'heart'],
  ['😂', 'laughing'],
  ['😮', 'surprised'],
  ['😢', 'sad'],
  ['🎉', 'party'],
];

const Bar = styled.ul`
  display: flex;
  flex-wrap: wrap;
  gap: 4px;
  list-style: none;
  margin: 6px 0 0;
  padding: 0;
`;

const Chip = styled.button`
  display: inline-flex;
  align-items: center;
  gap: 4px;
  min-height: 26px;
  padding: 1px 8px;
  font: inherit;
  font-size: 0.85rem;
  border-radius: 999px;
  border: 1px solid ${(p) => (p['aria-pressed'] ? p.theme.primary : p.theme.border)};
  background: ${(p) => (p['aria-pressed'] ? p.theme.pressed : p.theme.surface)};
  color: ${(p) => p.theme.text};
  cursor: pointer;
  .emoji { font-family: ${(p) => p.theme.emojiFont}; }
  .count { font-weight: 700; font-size: 0.8rem; }
  &:hover { border-color: ${(p) => p.theme.primary}; }
  &:focus-visible { outline: 3px solid ${(p) => p.theme.focus}; outline-offset: 1px; }
`;

/** The reactions under a message: one toggle per emoji with its count and who reacted. */
export function ReactionBar({ reactions, me, onToggle }) {
  const summary = reactionSummary(reactions, me);
  if (!summary.length) return null;
  return (
    <Bar data-testid="reactions" aria-label="Reactions">
      {summary.map((r) => {
        const who = reactionLabel(r, me);
        return (
          <li key={r.emoji}>
            <Chip
              type="button"
              data-testid="reaction"
              data-emoji={r.emoji}
              data-count={r.count}
              data-mine={r.mine ? 'true' : 'false'}
              aria-pressed={r.mine}
              aria-label={`${r.emoji} ${r.count}: ${who}${r.mine ? ' (press to take yours back)' : ''}`}
              title={who}
              onClick={() => onToggle(r.emoji, !r.mine)}
            >
              <span className="emoji" aria-hidden="true">
                {r.emoji}
              </span>
              <span className="count" aria-hidden="true">
                {r.count}
              </span>
            </Chip>
          </li>
        );
      })}
    </Bar>
  );
}

/** "Add reaction": a row of emoji; choosing one I already gave takes it back. */
export function ReactionPicker({ reactions, me, onToggle }) {
  const items = PICKER.map(([emoji, name]) => {
    const mine = (reactions?.[emoji] || []).includes(me);
    return {
      key: emoji,
      label: emoji,
      ariaLabel: mine ? `Remove ${name} ${emoji}` : `React with ${name} ${emoji}`,
      onSelect: () => onToggle(emoji, !mine),
    };
  });
  return <MenuButton label="Add reaction" icon="☺+" items={items} row testId="add-reaction" />;
}
