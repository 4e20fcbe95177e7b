/**
 * Remote API failures, sorted into what the page does with them: an unknown host key asks the
 * user to check a fingerprint, a changed one is refused, anything else is a titled message.
 */
import { ApiError, errorMessage } from "../../api/client";
import type { RemoteErrorReason, RemoteHostKeyError } from "../../api/types";
import type { MessageKey } from "../../i18n/en";

export type RemoteErrorInfo =
  | { kind: "unknown_host_key"; hostKey: RemoteHostKeyError }
  | { kind: "host_key_changed"; hostKey: RemoteHostKeyError }
  | { kind: "message"; reason: RemoteErrorReason | null; status: number | null; title: MessageKey; detail: string };

const REASONS: readonly RemoteErrorReason[] = [
  "unknown_host_key",
  "host_key_changed",
  "authentication_failed",
  "not_found",
  "path_not_found",
  "connect_failed",
  "viewer_failed",
  "command_failed",
  "tunnel_failed",
  "invalid",
  "credentials",
  "remote_error",
];

const TITLES: Record<RemoteErrorReason, MessageKey> = {
  unknown_host_key: "remote.error.hostKey",
  host_key_changed: "remote.error.hostKeyChanged",
  authentication_failed: "remote.error.auth",
  not_found: "remote.error.notFound",
  path_not_found: "remote.error.path",
  connect_failed: "remote.error.connect",
  viewer_failed: "remote.error.viewer",
  command_failed: "remote.error.command",
  tunnel_failed: "remote.error.tunnel",
  invalid: "remote.error.invalid",
  credentials: "remote.error.credentials",
  remote_error: "remote.error.remote",
};

function field(body: unknown, name: string): unknown {
  return body && typeof body === "object" && name in body ? (body as Record<string, unknown>)[name] : undefined;
}

/** The `reason` code of a remote API error body, when it is one the API documents. */
export function remoteReason(error: unknown): RemoteErrorReason | null {
  if (!(error instanceof ApiError)) return null;
  const reason = field(error.body, "reason");
  return typeof reason === "string" && (REASONS as readonly string[]).includes(reason)
    ? (reason as RemoteErrorReason)
    : null;
}

/** The host-key fields of a 409, or null when the body lacks any of them. */
export function hostKeyOf(error: unknown): RemoteHostKeyError | null {
  if (!(error instanceof ApiError) || error.status !== 409) return null;
  const reason = remoteReason(error);
  if (reason !== "unknown_host_key" && reason !== "host_key_changed") return null;
  const fingerprint = field(error.body, "fingerprint");
  const keyType = field(error.body, "key_type");
  const host = field(error.body, "host");
  const port = field(error.body, "port");
  if (typeof fingerprint !== "string" || !fingerprint || typeof host !== "string" || typeof port !== "number") {
    return null;
  }
  return {
    detail: error.detail,
    reason,
    fingerprint,
    key_type: typeof keyType === "string" ? keyType : "",
    host,
    port,
  };
}

/** What the page should do about a failed remote call. */
export function describeRemoteError(error: unknown): RemoteErrorInfo {
  const hostKey = hostKeyOf(error);
  if (hostKey) return { kind: hostKey.reason, hostKey };
  const detail = errorMessage(error);
  if (!(error instanceof ApiError)) return { kind: "message", reason: null, status: null, title: "error.title", detail };
  const reason = remoteReason(error);
  const status = error.status;
  let title: MessageKey;
  if (reason) title = TITLES[reason];
  else if (status === 0) title = "error.offline";
  else if (status === 401) title = "error.unauthorized";
  // The loopback guard is a plain 403 without a reason; authentication failures carry one.
  else if (status === 403) title = "remote.error.loopback";
  else if (status === 422 || status === 400) title = "remote.error.invalid";
  else title = "error.title";
  return { kind: "message", reason, status, title, detail };
}

/** The key file name `ssh-keygen -lf` reads on the server for a key type (for the hint). */
export function hostKeyFile(keyType: string): string {
  const type = keyType.toLowerCase();
  let name = "*";
  if (type.includes("ed25519")) name = "ed25519";
  else if (type.includes("ecdsa")) name = "ecdsa";
  else if (type.includes("rsa")) name = "rsa";
  else if (type.includes("dss") || type.includes("dsa")) name = "dsa";
  return `/etc/ssh/ssh_host_${name}_key.pub`;
}

/** How OpenSSH writes a host in known_hosts: a bare name for port 22, `[host]:port` otherwise. */
export function knownHostsPattern(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** A title key and the server's detail for any failure, host-key ones included (for places
 * that only report, such as the folder browser or the status card). */
export function remoteErrorText(error: unknown): { title: MessageKey; detail: string; reason: RemoteErrorReason | null } {
  const info = describeRemoteError(error);
  if (info.kind === "message") return { title: info.title, detail: info.detail, reason: info.reason };
  return { title: TITLES[info.kind], detail: info.hostKey.detail, reason: info.kind };
}
