import { useCallback, useMemo, useState, type ReactNode } from "react";
import { readLocal, writeLocal } from "../lib/storage";
import { I18nContext, interpolate, type I18n, type Lang } from "./context";
import { en, type MessageKey } from "./en";
import { zh } from "./zh";

const STORAGE_KEY = "runicorn.lang";
const MESSAGES: Record<Lang, Record<MessageKey, string>> = { en, zh };

function initialLang(): Lang {
  const saved = readLocal(STORAGE_KEY);
  if (saved === "en" || saved === "zh") return saved;
  return navigator.language.toLowerCase().startsWith("zh") ? "zh" : "en";
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(initialLang);

  const setLang = useCallback((next: Lang) => {
    writeLocal(STORAGE_KEY, next);
    document.documentElement.lang = next === "zh" ? "zh-CN" : "en";
    setLangState(next);
  }, []);

  const value = useMemo<I18n>(() => {
    const messages = MESSAGES[lang];
    const locale = lang === "zh" ? "zh-CN" : "en";
    return {
      lang,
      setLang,
      locale,
      t: (key: MessageKey, vars?: Record<string, string | number>) => interpolate(messages[key], vars, locale),
    };
  }, [lang, setLang]);

  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}
