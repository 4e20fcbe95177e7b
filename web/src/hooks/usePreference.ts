import { useCallback, useEffect, useRef, useState } from "react";
import { api } from "../api/client";
import type { JsonValue, Preferences } from "../api/types";
import { readLocalJson, writeLocal } from "../lib/storage";

const LOCAL_KEY = "runicorn.preferences";
const SAVE_DELAY_MS = 600;

let serverPreferences: Promise<Preferences> | null = null;

/** The stored preferences, fetched once per page load and shared by every caller. */
function loadPreferences(): Promise<Preferences> {
  serverPreferences ??= api
    .preferences()
    .then((r) => r.preferences)
    .catch(() => {
      serverPreferences = null;
      return readLocalJson<Preferences>(LOCAL_KEY, {});
    });
  return serverPreferences;
}

/**
 * One UI preference, kept on the server (`/api/ui-preferences`, so it follows the user across
 * browsers) and mirrored in localStorage (so it survives a viewer that cannot store it).
 */
export function usePreference<T extends JsonValue>(key: string, fallback: T): [T, (value: T) => void] {
  const [value, setValue] = useState<T>(() => {
    const local = readLocalJson<Preferences>(LOCAL_KEY, {});
    return key in local ? (local[key] as T) : fallback;
  });
  const touched = useRef(false);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  useEffect(() => {
    let live = true;
    void loadPreferences().then((prefs) => {
      if (live && !touched.current && key in prefs) setValue(prefs[key] as T);
    });
    return () => {
      live = false;
    };
  }, [key]);

  const update = useCallback(
    (next: T) => {
      touched.current = true;
      setValue(next);
      const local = readLocalJson<Preferences>(LOCAL_KEY, {});
      writeLocal(LOCAL_KEY, JSON.stringify({ ...local, [key]: next }));
      clearTimeout(timer.current);
      timer.current = setTimeout(() => {
        void api
          .savePreferences({ [key]: next })
          .then((r) => {
            serverPreferences = Promise.resolve(r.preferences);
          })
          .catch(() => undefined);
      }, SAVE_DELAY_MS);
    },
    [key],
  );
  return [value, update];
}
