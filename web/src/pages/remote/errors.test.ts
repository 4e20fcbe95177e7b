import { describe, expect, it } from "vitest";
import { ApiError } from "../../api/client";
import { describeRemoteError, hostKeyFile, hostKeyOf, knownHostsPattern, remoteErrorText, remoteReason } from "./errors";

const unknownBody = {
  detail: "the authenticity of host [gpu01]:2222 can't be established: ...",
  reason: "unknown_host_key",
  fingerprint: "SHA256:1wSQzyh86FI5c5oMEuwLLIf9qDXwcBqN+QoLoav6mv8",
  key_type: "ssh-ed25519",
  host: "gpu01",
  port: 2222,
};

const apiError = (status: number, body: Record<string, unknown>) =>
  new ApiError(status, typeof body.detail === "string" ? body.detail : `${status}`, null, body);

describe("remote errors", () => {
  it("read an unknown host key from a 409", () => {
    const info = describeRemoteError(apiError(409, unknownBody));
    expect(info).toEqual({
      kind: "unknown_host_key",
      hostKey: {
        detail: unknownBody.detail,
        reason: "unknown_host_key",
        fingerprint: unknownBody.fingerprint,
        key_type: "ssh-ed25519",
        host: "gpu01",
        port: 2222,
      },
    });
  });

  it("read a changed host key as its own kind, never as acceptable", () => {
    const info = describeRemoteError(apiError(409, { ...unknownBody, reason: "host_key_changed", detail: "host key changed" }));
    expect(info.kind).toBe("host_key_changed");
    if (info.kind === "host_key_changed") expect(info.hostKey.fingerprint).toBe(unknownBody.fingerprint);
  });

  it("do not take a 409 without a fingerprint for a host key prompt", () => {
    expect(hostKeyOf(apiError(409, { detail: "x", reason: "unknown_host_key" }))).toBeNull();
    expect(hostKeyOf(apiError(409, { detail: "tunnel", reason: "tunnel_failed" }))).toBeNull();
    expect(hostKeyOf(apiError(502, unknownBody))).toBeNull();
    const info = describeRemoteError(apiError(409, { detail: "port busy", reason: "tunnel_failed" }));
    expect(info).toMatchObject({ kind: "message", reason: "tunnel_failed", title: "remote.error.tunnel", detail: "port busy" });
  });

  it("title the documented reasons", () => {
    expect(describeRemoteError(apiError(502, { detail: "cannot connect to x@127.0.0.1:1: refused", reason: "connect_failed" }))).toEqual({
      kind: "message",
      reason: "connect_failed",
      status: 502,
      title: "remote.error.connect",
      detail: "cannot connect to x@127.0.0.1:1: refused",
    });
    expect(describeRemoteError(apiError(403, { detail: "authentication failed", reason: "authentication_failed" }))).toMatchObject({
      title: "remote.error.auth",
    });
    expect(describeRemoteError(apiError(502, { detail: "stderr...", reason: "viewer_failed" }))).toMatchObject({ title: "remote.error.viewer" });
    expect(describeRemoteError(apiError(404, { detail: "x", reason: "path_not_found" }))).toMatchObject({ title: "remote.error.path" });
    expect(describeRemoteError(apiError(400, { detail: "x", reason: "credentials" }))).toMatchObject({ title: "remote.error.credentials" });
  });

  it("tell the loopback refusal, validation errors, an unreachable viewer and unknown reasons apart", () => {
    expect(describeRemoteError(apiError(403, { detail: "the remote API answers only on this machine" }))).toMatchObject({
      reason: null,
      title: "remote.error.loopback",
    });
    expect(describeRemoteError(apiError(422, { detail: "port: too small" }))).toMatchObject({ title: "remote.error.invalid" });
    expect(describeRemoteError(new ApiError(0, "unreachable"))).toMatchObject({ title: "error.offline", detail: "unreachable" });
    expect(describeRemoteError(apiError(500, { detail: "boom", reason: "something_new" }))).toMatchObject({
      reason: null,
      title: "error.title",
    });
    expect(describeRemoteError(new Error("plain"))).toMatchObject({ status: null, title: "error.title", detail: "plain" });
    expect(remoteReason("text")).toBeNull();
  });

  it("name the server's key file and known_hosts pattern for the hints", () => {
    expect(hostKeyFile("ssh-ed25519")).toBe("/etc/ssh/ssh_host_ed25519_key.pub");
    expect(hostKeyFile("ecdsa-sha2-nistp256")).toBe("/etc/ssh/ssh_host_ecdsa_key.pub");
    expect(hostKeyFile("rsa-sha2-512")).toBe("/etc/ssh/ssh_host_rsa_key.pub");
    expect(hostKeyFile("")).toBe("/etc/ssh/ssh_host_*_key.pub");
    expect(knownHostsPattern("gpu01", 22)).toBe("gpu01");
    expect(knownHostsPattern("gpu01", 2222)).toBe("[gpu01]:2222");
  });
});

describe("remoteErrorText", () => {
  it("gives a title and detail for every kind of failure", () => {
    expect(remoteErrorText(apiError(404, { detail: "remote path '/x' does not exist", reason: "path_not_found" }))).toEqual({
      title: "remote.error.path",
      detail: "remote path '/x' does not exist",
      reason: "path_not_found",
    });
    expect(remoteErrorText(apiError(409, unknownBody))).toEqual({
      title: "remote.error.hostKey",
      detail: unknownBody.detail,
      reason: "unknown_host_key",
    });
    expect(remoteErrorText(apiError(409, { ...unknownBody, reason: "host_key_changed" }))).toMatchObject({ title: "remote.error.hostKeyChanged" });
  });
});
