import { useCallback, useEffect, useRef, useState } from "react";
import { isAbort } from "../api/client";

interface Settled<T> {
  key: string;
  nonce: number;
  data?: T;
  error?: unknown;
}

export interface AsyncState<T> {
  data: T | undefined;
  /** The last error for this key; kept while a reload is under way. */
  error: unknown;
  /** True until the first answer for the current key (a reload keeps showing the old data). */
  loading: boolean;
  reloading: boolean;
  reload: () => void;
  /** Replace the data locally, e.g. with the server's answer to a PATCH. */
  mutate: (data: T) => void;
}

/**
 * Loads `load()` whenever `key` changes (null: load nothing); aborts the previous request, and
 * never lets a late answer for an old key overwrite a newer one.
 */
export function useAsync<T>(key: string | null, load: (signal: AbortSignal) => Promise<T>): AsyncState<T> {
  const [settled, setSettled] = useState<Settled<T> | null>(null);
  const [nonce, setNonce] = useState(0);
  const loadRef = useRef(load);

  useEffect(() => {
    loadRef.current = load;
  });

  useEffect(() => {
    if (key === null) return;
    const controller = new AbortController();
    loadRef.current(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setSettled({ key, nonce, data });
      },
      (error: unknown) => {
        if (!controller.signal.aborted && !isAbort(error)) setSettled({ key, nonce, error });
      },
    );
    return () => controller.abort();
  }, [key, nonce]);

  const reload = useCallback(() => setNonce((n) => n + 1), []);
  const mutate = useCallback(
    (data: T) => {
      if (key !== null) setSettled({ key, nonce, data });
    },
    [key, nonce],
  );

  const sameKey = settled !== null && settled.key === key;
  const current = sameKey && settled.nonce === nonce;
  return {
    data: sameKey ? settled.data : undefined,
    error: sameKey ? settled.error : undefined,
    loading: key !== null && !sameKey,
    reloading: sameKey && !current,
    reload,
    mutate,
  };
}
