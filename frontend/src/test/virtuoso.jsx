import { VirtuosoMockContext } from 'react-virtuoso';

// jsdom lays nothing out, so Virtuoso would see a 0 px viewport and render no rows. Its own
// test context gives every row a size and the viewport room for all of them: the UI tests see
// every message, as a short room in a browser does.
const SIZES = { viewportHeight: 1_000_000, itemHeight: 40 };

export function AllRows({ children }) {
  return <VirtuosoMockContext.Provider value={SIZES}>{children}</VirtuosoMockContext.Provider>;
}
