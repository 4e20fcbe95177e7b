import { useCallback, useMemo } from "react";
import { useSearchParams } from "react-router";

export type UrlStateUpdate<S> = Partial<S> | ((current: S) => Partial<S>);

/**
 * Page state kept in the query string through a decode/encode pair. Updates replace the history
 * entry unless `push` is asked for (tabs, zoom): typing in a filter box should not flood Back.
 */
export function useUrlState<S>(
  decode: (params: URLSearchParams) => S,
  encode: (state: S) => URLSearchParams,
): [S, (update: UrlStateUpdate<S>, options?: { push?: boolean }) => void] {
  const [params, setParams] = useSearchParams();
  const text = params.toString();
  // Decoded from the string, not the params object, so equal URLs give the same state object.
  const state = useMemo(() => decode(new URLSearchParams(text)), [text, decode]);

  const update = useCallback(
    (change: UrlStateUpdate<S>, options?: { push?: boolean }) => {
      setParams(
        (previous) => {
          const current = decode(previous);
          const patch = typeof change === "function" ? change(current) : change;
          return encode({ ...current, ...patch });
        },
        { replace: !options?.push },
      );
    },
    [decode, encode, setParams],
  );
  return [state, update];
}
