import { describe, expect, it } from "vitest";
import type { SavedConnection } from "../../api/types";
import {
  EMPTY_FORM,
  buildConnectRequest,
  clearSecrets,
  editForm,
  formFromSaved,
  formTargetLabel,
  formatTarget,
  parseTarget,
  savedAuthMode,
  savedNeedsPassword,
  splitHostField,
  validateForm,
} from "./form";

const saved: SavedConnection = {
  id: "s1",
  name: "GPU box",
  host: "gpu01",
  port: 2222,
  user: "alice",
  key_file: null,
  jump_host: null,
  use_agent: false,
  python: null,
  root: null,
  has_password: true,
  has_passphrase: false,
  created_at: 1,
  updated_at: 1,
};

describe("parseTarget", () => {
  it("reads user@host:port and its parts", () => {
    expect(parseTarget("alice@gpu01:2222")).toEqual({ user: "alice", host: "gpu01", port: 2222 });
    expect(parseTarget("gpu01")).toEqual({ user: null, host: "gpu01", port: null });
    expect(parseTarget(" gpu01:22 ")).toEqual({ user: null, host: "gpu01", port: 22 });
    expect(parseTarget("bob@10.0.0.5")).toEqual({ user: "bob", host: "10.0.0.5", port: null });
    expect(parseTarget("ssh://alice@gpu01:2200/")).toEqual({ user: "alice", host: "gpu01", port: 2200 });
  });

  it("reads IPv6 hosts, bracketed or bare", () => {
    expect(parseTarget("alice@[::1]:2222")).toEqual({ user: "alice", host: "::1", port: 2222 });
    expect(parseTarget("[fe80::1]")).toEqual({ user: null, host: "fe80::1", port: null });
    expect(parseTarget("fe80::1")).toEqual({ user: null, host: "fe80::1", port: null });
  });

  it("refuses what is not a target", () => {
    expect(parseTarget("")).toBeNull();
    expect(parseTarget("gpu 01")).toBeNull();
    expect(parseTarget("@gpu01")).toBeNull();
    expect(parseTarget("gpu01:")).toBeNull();
    expect(parseTarget("gpu01:0")).toBeNull();
    expect(parseTarget("gpu01:70000")).toBeNull();
    expect(parseTarget("gpu01:ssh")).toBeNull();
  });

  it("formats a target back", () => {
    expect(formatTarget({ host: "gpu01", user: "alice", port: 2222 })).toBe("alice@gpu01:2222");
    expect(formatTarget({ host: "gpu01" })).toBe("gpu01");
    expect(formatTarget({ host: "::1", port: 22 })).toBe("[::1]:22");
  });
});

describe("connection form", () => {
  it("moves user and port typed into the host field into their fields", () => {
    const form = splitHostField({ ...EMPTY_FORM, host: "alice@gpu01:2222", user: "old", port: "" });
    expect(form).toMatchObject({ host: "gpu01", user: "alice", port: "2222" });
    const plain = { ...EMPTY_FORM, host: "gpu01", user: "bob" };
    expect(splitHostField(plain)).toBe(plain);
    const hostPort = splitHostField({ ...EMPTY_FORM, host: "gpu01:2200", user: "bob" });
    expect(hostPort).toMatchObject({ host: "gpu01", user: "bob", port: "2200" });
  });

  it("validates the fields the chosen method needs", () => {
    expect(validateForm(EMPTY_FORM)).toEqual({ field: "host", message: "remote.form.hostRequired" });
    expect(validateForm({ ...EMPTY_FORM, host: "gpu 01" })).toMatchObject({ field: "host", message: "remote.form.hostInvalid" });
    expect(validateForm({ ...EMPTY_FORM, host: "gpu01", port: "99999" })).toMatchObject({ field: "port" });
    expect(validateForm({ ...EMPTY_FORM, host: "gpu01", port: "22" })).toBeNull();
    expect(validateForm({ ...EMPTY_FORM, host: "gpu01", auth: "key" })).toMatchObject({ field: "keyFile" });
    expect(validateForm({ ...EMPTY_FORM, host: "gpu01", auth: "password" })).toMatchObject({ field: "password" });
    expect(validateForm({ ...EMPTY_FORM, host: "gpu01", auth: "password", password: "pw" })).toBeNull();
    // A saved connection with a remembered password needs none typed.
    expect(validateForm(formFromSaved(saved))).toBeNull();
  });

  it("builds an agent request without secrets", () => {
    const body = buildConnectRequest({ ...EMPTY_FORM, host: "alice@gpu01:2222", password: "stale", passphrase: "stale" });
    expect(body).toEqual({
      host: "gpu01",
      port: 2222,
      user: "alice",
      use_agent: true,
      key_file: null,
      password: null,
      passphrase: null,
      jump_host: null,
      save: false,
      save_name: null,
      remember_secrets: false,
    });
  });

  it("sends only the chosen method's secret", () => {
    const key = buildConnectRequest({ ...EMPTY_FORM, host: "gpu01", auth: "key", keyFile: " ~/.ssh/id_ed25519 ", passphrase: "pp", password: "pw" });
    expect(key).toMatchObject({ use_agent: false, key_file: "~/.ssh/id_ed25519", passphrase: "pp", password: null });
    const pw = buildConnectRequest({ ...EMPTY_FORM, host: "gpu01", auth: "password", keyFile: "~/k", password: "pw", jumpHost: "bastion" });
    expect(pw).toMatchObject({ use_agent: false, key_file: null, password: "pw", passphrase: null, jump_host: "bastion" });
  });

  it("asks to remember secrets only when saving and there is one", () => {
    const base = { ...EMPTY_FORM, host: "gpu01", auth: "password" as const, password: "pw", rememberSecrets: true };
    expect(buildConnectRequest(base)).toMatchObject({ save: false, remember_secrets: false });
    expect(buildConnectRequest({ ...base, save: true, saveName: " box " })).toMatchObject({ save: true, save_name: "box", remember_secrets: true });
    expect(buildConnectRequest({ ...base, save: true, auth: "agent" })).toMatchObject({ save: true, remember_secrets: false });
  });

  it("starts from a saved connection by id, with a typed secret only", () => {
    const form = formFromSaved(saved);
    expect(form).toMatchObject({ host: "gpu01", port: "2222", user: "alice", auth: "password", savedId: "s1", savedHasPassword: true });
    expect(buildConnectRequest(form)).toEqual({ saved_id: "s1", password: null, passphrase: null, save: false, save_name: null, remember_secrets: false });
    expect(buildConnectRequest({ ...form, password: "new" })).toMatchObject({ saved_id: "s1", password: "new" });
  });

  it("drops the saved link when the target is edited, not when a secret is typed", () => {
    const form = formFromSaved(saved);
    expect(editForm(form, { password: "x" }).savedId).toBe("s1");
    expect(editForm(form, { host: "gpu01" }).savedId).toBe("s1");
    const edited = editForm(form, { host: "gpu02" });
    expect(edited.savedId).toBeNull();
    expect(edited.savedHasPassword).toBe(false);
    expect(buildConnectRequest({ ...edited, password: "pw" })).toMatchObject({ host: "gpu02", port: 2222, user: "alice" });
  });

  it("reads a saved connection's method", () => {
    expect(savedAuthMode({ key_file: "~/k", use_agent: true })).toBe("key");
    expect(savedAuthMode({ key_file: null, use_agent: true })).toBe("agent");
    expect(savedAuthMode({ key_file: null, use_agent: false })).toBe("password");
    expect(savedNeedsPassword(saved)).toBe(false);
    expect(savedNeedsPassword({ ...saved, has_password: false })).toBe(true);
    expect(savedNeedsPassword({ ...saved, use_agent: true, has_password: false })).toBe(false);
  });

  it("forgets secrets after connecting and labels the target", () => {
    const form = { ...EMPTY_FORM, host: "gpu01", user: "alice", port: "22", password: "pw", passphrase: "pp", rememberSecrets: true };
    expect(clearSecrets(form)).toMatchObject({ host: "gpu01", password: "", passphrase: "", rememberSecrets: false });
    expect(formTargetLabel(form)).toBe("alice@gpu01:22");
    expect(formTargetLabel({ ...EMPTY_FORM, host: "bob@gpu02" })).toBe("bob@gpu02");
  });
});
