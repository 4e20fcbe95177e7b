/**
 * What the UI does when the server asks for a token (401): go to the login page, remembering
 * where the user was. The team server answers 401 to any request without a valid user token
 * or login cookie.
 */

export const LOGIN_PATH = "/login";

/** A same-origin path to return to after logging in; anything else falls back to "/". */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/";
  if (next === LOGIN_PATH || next.startsWith(`${LOGIN_PATH}?`)) return "/";
  return next;
}

/** The login page's URL for a user who was at `current` (path + query). */
export function loginUrl(current: string): string {
  return `${LOGIN_PATH}?next=${encodeURIComponent(safeNext(current))}`;
}

/** Called by the API client on a 401: leave for the login page unless already there. */
export function onUnauthorized(path: string): void {
  if (typeof window === "undefined" || path.startsWith("/api/auth/")) return;
  const { pathname, search } = window.location;
  if (pathname === LOGIN_PATH) return;
  window.location.assign(loginUrl(pathname + search));
}
