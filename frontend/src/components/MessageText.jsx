import { Fragment, memo, useMemo } from 'react';
import { parseMessage } from '../lib/richText.js';

// A message's text with the formatting subset of lib/richText.js, as React elements: every
// piece of the message is a text child (React escapes it), never HTML.

const LINK_REL = 'noopener noreferrer nofollow';

function render(nodes) {
  return nodes.map((node, i) => {
    switch (node.type) {
      case 'bold':
        return <strong key={i}>{render(node.children)}</strong>;
      case 'italic':
        return <em key={i}>{render(node.children)}</em>;
      case 'code':
        return <code key={i}>{node.text}</code>;
      case 'codeblock':
        return (
          <pre key={i}>
            <code>{node.text}</code>
          </pre>
        );
      case 'link':
        return (
          <a key={i} href={node.href} target="_blank" rel={LINK_REL} dir="ltr">
            {node.text}
          </a>
        );
      default:
        return <Fragment key={i}>{node.text}</Fragment>;
    }
  });
}

export const MessageText = memo(function MessageText({ text }) {
  const nodes = useMemo(() => parseMessage(text), [text]);
  return render(nodes);
});
