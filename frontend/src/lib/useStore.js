import { useCallback, useRef, useState } from 'react';

/** useReducer whose latest state is also readable synchronously through a ref. */
export function useStore(reducer, initial) {
  const ref = useRef(initial);
  const [state, setState] = useState(initial);
  const dispatch = useCallback(
    (action) => {
      const next = reducer(ref.current, action);
      if (next !== ref.current) {
        ref.current = next;
        setState(next);
      }
    },
    [reducer],
  );
  return [state, dispatch, ref];
}
