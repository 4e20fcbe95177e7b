/**
 * Alias rules as the server checks them (artifacts/models.py), so the editor says what is wrong
 * before the request: a letter or digit, then up to 63 of letters, digits, `_`, `.`, `-`; not
 * `latest` (set automatically) and not a version (`3`, `v3`).
 */

export const LATEST = "latest";
const ALIAS_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const VERSION_PATTERN = /^v?[0-9]{1,9}$/;

export type AliasProblem = "empty" | "latest" | "version" | "invalid";

export function aliasProblem(alias: string): AliasProblem | null {
  if (!alias) return "empty";
  if (alias === LATEST) return "latest";
  if (VERSION_PATTERN.test(alias)) return "version";
  if (!ALIAS_PATTERN.test(alias)) return "invalid";
  return null;
}

/** The aliases a user sets (everything but `latest`), in their order, without repeats. */
export function editableAliases(aliases: readonly string[]): string[] {
  return [...new Set(aliases.filter((a) => a !== LATEST))];
}

/** The set after adding `alias` (kept last; adding one already there changes nothing). */
export function withAlias(aliases: readonly string[], alias: string): string[] {
  const current = editableAliases(aliases);
  return current.includes(alias) ? current : [...current, alias];
}

export function withoutAlias(aliases: readonly string[], alias: string): string[] {
  return editableAliases(aliases).filter((a) => a !== alias);
}

/** Aliases of an artifact list item ("alias → version" pairs), `latest` left out, by version. */
export function aliasPairs(aliases: Record<string, number>): [string, number][] {
  return Object.entries(aliases)
    .filter(([alias]) => alias !== LATEST)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}
