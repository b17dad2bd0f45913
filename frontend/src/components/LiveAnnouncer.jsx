import { VisuallyHidden } from '../styles/ui.js';

/**
 * The polite live region: screen readers read each text when it is added (new messages of the
 * open room from others, chat/useAnnouncer.js), without moving the focus. Not shown.
 */
export function LiveAnnouncer({ items }) {
  return (
    <VisuallyHidden as="div" aria-live="polite" aria-atomic="false" aria-relevant="additions" data-testid="live-announcer">
      {items.map((a) => (
        <p key={a.id}>{a.text}</p>
      ))}
    </VisuallyHidden>
  );
}
