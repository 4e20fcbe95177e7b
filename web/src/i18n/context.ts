import { createContext, useContext } from "react";
import type { MessageKey } from "./en";

export type Lang = "en" | "zh";
export const LANGS: readonly Lang[] = ["en", "zh"];

export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

export interface I18n {
  lang: Lang;
  setLang: (lang: Lang) => void;
  t: Translate;
  /** The BCP 47 tag for Intl formatters. */
  locale: string;
}

export const I18nContext = createContext<I18n | null>(null);

export function useI18n(): I18n {
  const value = useContext(I18nContext);
  if (!value) throw new Error("useI18n must be used inside <I18nProvider>");
  return value;
}

// `{n, plural, one {# run} other {# runs}}`: ICU's plural form, without nesting. `#` is the count.
const PLURAL = /\{(\w+), plural,((?:\s*=?\w+\s*\{[^{}]*\})+)\s*\}/g;
const PLURAL_CASE = /(=?\w+)\s*\{([^{}]*)\}/g;
const pluralRules = new Map<string, Intl.PluralRules>();

function pluralCategory(count: number, locale: string): string {
  let rules = pluralRules.get(locale);
  if (!rules) {
    rules = new Intl.PluralRules(locale);
    pluralRules.set(locale, rules);
  }
  return rules.select(count);
}

/**
 * Fills `{name}` placeholders, and picks the plural form of `{n, plural, one {…} other {…}}` for
 * the language (`=0 {…}` matches an exact count). Unknown placeholders stay visible.
 */
export function interpolate(template: string, vars?: Record<string, string | number>, locale = "en"): string {
  if (!vars) return template;
  return template
    .replace(PLURAL, (match, name: string, cases: string) => {
      const count = vars[name];
      if (typeof count !== "number") return match;
      const forms = new Map([...cases.matchAll(PLURAL_CASE)].map((m) => [m[1], m[2]]));
      const form = forms.get(`=${count}`) ?? forms.get(pluralCategory(count, locale)) ?? forms.get("other");
      return form === undefined ? match : form.replace(/#/g, String(count));
    })
    .replace(/\{(\w+)\}/g, (match, name: string) => (name in vars ? String(vars[name]) : match));
}
