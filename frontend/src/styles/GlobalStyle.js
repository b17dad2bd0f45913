import { createGlobalStyle } from 'styled-components';

export const GlobalStyle = createGlobalStyle`
  :root { color-scheme: ${(p) => p.theme.scheme}; }
  *, *::before, *::after { box-sizing: border-box; }
  html, body, #root { height: 100%; margin: 0; }
  #root { display: flow-root; }
  body {
    font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
    font-size: 16px;
    line-height: 1.4;
    color: ${(p) => p.theme.text};
    background: ${(p) => p.theme.bg};
    -webkit-text-size-adjust: 100%;
  }
  a { color: ${(p) => p.theme.primary}; }
  input, textarea, select { color: ${(p) => p.theme.text}; background: ${(p) => p.theme.surface}; }
  ::placeholder { color: ${(p) => p.theme.muted}; opacity: 1; }
  :focus-visible {
    outline: 3px solid ${(p) => p.theme.focus};
    outline-offset: 2px;
  }
  .visually-hidden {
    position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px;
    overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0;
  }
  @media (prefers-reduced-motion: reduce) {
    *, *::before, *::after { scroll-behavior: auto !important; transition: none !important; animation: none !important; }
  }
`;
