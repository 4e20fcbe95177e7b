/** Grouping metric keys into chart sections by their prefix: train/, val/, system/... */

export const SYSTEM_PREFIX = "system/";

export interface KeyGroup {
  /** The prefix without its slash; "" for keys without one. */
  name: string;
  keys: string[];
}

export function keyPrefix(key: string): string {
  const slash = key.indexOf("/");
  return slash > 0 ? key.slice(0, slash) : "";
}

export function isSystemKey(key: string): boolean {
  return key.startsWith(SYSTEM_PREFIX);
}

/** Ungrouped keys first, then prefixes alphabetically, system last; keys sorted naturally. */
export function groupKeys(keys: readonly string[]): KeyGroup[] {
  const groups = new Map<string, string[]>();
  for (const key of keys) {
    const prefix = keyPrefix(key);
    const list = groups.get(prefix);
    if (list) list.push(key);
    else groups.set(prefix, [key]);
  }
  const collator = new Intl.Collator(undefined, { numeric: true });
  // Training metrics first (train/, then val/ and the other prefixes), General after them, system
  // last: logged `train/loss` is what a user opens a run for, not buried under loose keys.
  const rank = (name: string) => (name === "train" ? 0 : name === "val" ? 1 : name === "" ? 3 : name === "system" ? 4 : 2);
  return [...groups.entries()]
    .map(([name, list]) => ({ name, keys: list.sort(collator.compare) }))
    .sort((a, b) => rank(a.name) - rank(b.name) || collator.compare(a.name, b.name));
}

/** Keys matching a search: a case-insensitive substring, or a /regex/ when wrapped in slashes. */
export function matchKeys(keys: readonly string[], search: string): string[] {
  const query = search.trim();
  if (!query) return [...keys];
  const regex = /^\/(.+)\/$/.exec(query);
  if (regex) {
    try {
      const re = new RegExp(regex[1], "i");
      return keys.filter((k) => re.test(k));
    } catch {
      // An unfinished regex while typing: fall back to a plain substring.
    }
  }
  const lower = query.toLowerCase();
  return keys.filter((k) => k.toLowerCase().includes(lower));
}
