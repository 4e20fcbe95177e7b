/**
 * The connection form: reading `user@host:port`, checking the fields, and turning them into a
 * connect request. Secrets live only in the form's state and in the request body.
 */
import type { RemoteConnectRequest, SavedConnection } from "../../api/types";
import type { MessageKey } from "../../i18n/en";

export type AuthMode = "agent" | "key" | "password";
export const AUTH_MODES: readonly AuthMode[] = ["agent", "key", "password"];

export interface SshTarget {
  host: string;
  user: string | null;
  port: number | null;
}

/**
 * `user@host:port`, `host:port`, `[v6]:port`, `ssh://user@host` or a bare host / ssh-config
 * alias (like the server's own parser). A bare IPv6 address is taken whole. Null when invalid.
 */
export function parseTarget(text: string): SshTarget | null {
  let rest = text.trim().replace(/^ssh:\/\//i, "").replace(/\/$/, "");
  if (!rest || /\s/.test(rest)) return null;
  let user: string | null = null;
  const at = rest.lastIndexOf("@");
  if (at >= 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (!user || user.includes("/")) return null;
  }
  let host: string;
  let portText: string | null = null;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (v6) {
    host = v6[1];
    portText = v6.at(2) ?? null;
  } else if ((rest.match(/:/g) ?? []).length > 1) {
    host = rest; // A bare IPv6 address: no port can be told apart from it.
  } else {
    const m = /^([^:/@[\]]+)(?::(\d*))?$/.exec(rest);
    if (!m) return null;
    host = m[1];
    const digits = m.at(2);
    if (digits !== undefined) {
      if (digits === "") return null;
      portText = digits;
    }
  }
  let port: number | null = null;
  if (portText !== null) {
    port = Number(portText);
    if (!Number.isInteger(port) || port < 1 || port > 65535) return null;
  }
  return { host, user, port };
}

/** `user@host:port`, leaving out what is unset; IPv6 hosts get brackets when a port follows. */
export function formatTarget(target: { host: string; user?: string | null; port?: number | null }): string {
  const host = target.port && target.host.includes(":") ? `[${target.host}]` : target.host;
  return `${target.user ? `${target.user}@` : ""}${host}${target.port ? `:${target.port}` : ""}`;
}

export interface ConnectFormState {
  host: string;
  port: string;
  user: string;
  auth: AuthMode;
  keyFile: string;
  passphrase: string;
  password: string;
  jumpHost: string;
  save: boolean;
  saveName: string;
  rememberSecrets: boolean;
  /** Set when the form was filled from a saved connection and not edited since. */
  savedId: string | null;
  savedName: string | null;
  /** Whether that saved connection has a remembered password / passphrase. */
  savedHasPassword: boolean;
  savedHasPassphrase: boolean;
}

export const EMPTY_FORM: ConnectFormState = {
  host: "",
  port: "",
  user: "",
  auth: "agent",
  keyFile: "",
  passphrase: "",
  password: "",
  jumpHost: "",
  save: false,
  saveName: "",
  rememberSecrets: false,
  savedId: null,
  savedName: null,
  savedHasPassword: false,
  savedHasPassphrase: false,
};

/** The fields that describe where and how to connect: editing one detaches a saved connection. */
const TARGET_FIELDS: readonly (keyof ConnectFormState)[] = ["host", "port", "user", "auth", "keyFile", "jumpHost"];

/** The form after a field edit; the link to a saved connection drops once the target changes. */
export function editForm(form: ConnectFormState, patch: Partial<ConnectFormState>): ConnectFormState {
  const next = { ...form, ...patch };
  const retargeted = TARGET_FIELDS.some((k) => k in patch && patch[k] !== form[k]);
  if (retargeted && form.savedId !== null) {
    return { ...next, savedId: null, savedName: null, savedHasPassword: false, savedHasPassphrase: false };
  }
  return next;
}

/**
 * Moves a `user@` and `:port` typed into the host field into their own fields (the ones given
 * there win). The form is returned unchanged when the host field holds just a host.
 */
export function splitHostField(form: ConnectFormState): ConnectFormState {
  const parsed = parseTarget(form.host);
  if (!parsed || (parsed.user === null && parsed.port === null && parsed.host === form.host.trim())) return form;
  return editForm(form, {
    host: parsed.host,
    user: parsed.user ?? form.user,
    port: parsed.port !== null ? String(parsed.port) : form.port,
  });
}

/** How a saved connection authenticates, read from its settings. */
export function savedAuthMode(saved: Pick<SavedConnection, "key_file" | "use_agent">): AuthMode {
  if (saved.key_file) return "key";
  return saved.use_agent ? "agent" : "password";
}

/** The form filled from a saved connection; its secrets stay on the server. */
export function formFromSaved(saved: SavedConnection): ConnectFormState {
  return {
    ...EMPTY_FORM,
    host: saved.host,
    port: saved.port ? String(saved.port) : "",
    user: saved.user ?? "",
    auth: savedAuthMode(saved),
    keyFile: saved.key_file ?? "",
    jumpHost: saved.jump_host ?? "",
    saveName: saved.name,
    savedId: saved.id,
    savedName: saved.name,
    savedHasPassword: saved.has_password,
    savedHasPassphrase: saved.has_passphrase,
  };
}

/** Whether connecting with a saved connection needs the user to type a password first. */
export function savedNeedsPassword(saved: SavedConnection): boolean {
  return savedAuthMode(saved) === "password" && !saved.has_password;
}

export interface FormProblem {
  field: "host" | "port" | "keyFile" | "password";
  message: MessageKey;
}

/** The first thing that stops the form from being sent, or null. */
export function validateForm(form: ConnectFormState): FormProblem | null {
  const split = splitHostField(form);
  if (!split.host.trim()) return { field: "host", message: "remote.form.hostRequired" };
  if (!parseTarget(split.host)) return { field: "host", message: "remote.form.hostInvalid" };
  const port = split.port.trim();
  if (port) {
    const n = Number(port);
    if (!Number.isInteger(n) || n < 1 || n > 65535) return { field: "port", message: "remote.form.portInvalid" };
  }
  if (split.auth === "key" && !split.keyFile.trim()) return { field: "keyFile", message: "remote.form.keyRequired" };
  if (split.auth === "password" && !split.password && !(split.savedId && split.savedHasPassword)) {
    return { field: "password", message: "remote.form.passwordRequired" };
  }
  return null;
}

const orNull = (text: string): string | null => (text.trim() ? text.trim() : null);

/** The request body for POST /api/remote/connect (only the secrets of the chosen method). */
export function buildConnectRequest(input: ConnectFormState): RemoteConnectRequest {
  const form = splitHostField(input);
  const password = form.auth === "password" && form.password ? form.password : null;
  const passphrase = form.auth === "key" && form.passphrase ? form.passphrase : null;
  const saving = {
    save: form.save,
    save_name: form.save ? orNull(form.saveName) : null,
    remember_secrets: form.save && form.rememberSecrets && (password !== null || passphrase !== null),
  };
  if (form.savedId) {
    return { saved_id: form.savedId, password, passphrase, ...saving };
  }
  const port = form.port.trim() ? Number(form.port) : null;
  return {
    host: form.host.trim(),
    port,
    user: orNull(form.user),
    use_agent: form.auth === "agent",
    key_file: form.auth === "key" ? orNull(form.keyFile) : null,
    password,
    passphrase,
    jump_host: orNull(form.jumpHost),
    ...saving,
  };
}

/** The form after a successful connect: the target stays for next time, the secrets go. */
export function clearSecrets(form: ConnectFormState): ConnectFormState {
  return { ...form, password: "", passphrase: "", rememberSecrets: false };
}

/** What a saved connection or a form targets, for labels. */
export function formTargetLabel(form: ConnectFormState): string {
  const split = splitHostField(form);
  const port = split.port.trim() ? Number(split.port) : null;
  return formatTarget({ host: split.host.trim(), user: orNull(split.user), port: Number.isFinite(port) ? port : null });
}
