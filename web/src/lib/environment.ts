/**
 * Reading environment.json defensively: the SDK writes Python, platform, host, CPUs/GPUs, command
 * line, git and installed packages, but older runs (and the original SDK) name things differently.
 */
import type { JsonObject, JsonValue, RunDetail } from "../api/types";
import { formatBytes, formatValue } from "./format";

function obj(value: JsonValue | undefined | null): JsonObject | null {
  return value !== null && value !== undefined && typeof value === "object" && !Array.isArray(value) ? value : null;
}

function str(value: JsonValue | undefined): string | null {
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  return null;
}

function first(source: JsonObject | null, names: string[]): JsonValue | undefined {
  if (!source) return undefined;
  for (const name of names) if (name in source) return source[name];
  return undefined;
}

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'"'"'`)}'`;
}

export function runCommand(run: RunDetail): string | null {
  const env = obj(run.environment);
  const meta = obj(run.meta);
  let value = first(env, ["command", "cmd", "argv", "command_line"]) ?? first(meta, ["command", "argv"]);
  // The SDK records `{"argv": [...], "cwd": "..."}`.
  const recorded = obj(value ?? null);
  if (recorded) value = first(recorded, ["argv", "command_line"]);
  if (Array.isArray(value)) {
    return value.map((a) => shellQuote(typeof a === "string" ? a : JSON.stringify(a))).join(" ");
  }
  return str(value);
}

export interface GitInfo {
  commit: string | null;
  branch: string | null;
  dirty: boolean | null;
  remote: string | null;
  diff: string | null;
}

export function runGit(run: RunDetail): GitInfo | null {
  const git = obj(first(obj(run.environment), ["git"]));
  if (!git) return null;
  const dirty = first(git, ["dirty", "is_dirty"]);
  return {
    commit: str(first(git, ["commit", "sha", "hash", "revision"])),
    branch: str(first(git, ["branch", "ref"])),
    dirty: typeof dirty === "boolean" ? dirty : null,
    remote: str(first(git, ["remote", "remote_url", "url", "origin"])),
    diff: str(first(git, ["diff", "patch"])),
  };
}

export interface PackageInfo {
  name: string;
  version: string;
}

/** Installed packages from a `{name: version}` map, a `[{name, version}]` list or "name==version" lines. */
export function runPackages(run: RunDetail): PackageInfo[] {
  const value = first(obj(run.environment), ["packages", "pip", "installed_packages", "requirements"]);
  let list: PackageInfo[] = [];
  if (Array.isArray(value)) {
    list = value.flatMap((item): PackageInfo[] => {
      if (typeof item === "string") {
        const [name, version = ""] = item.split(/==|\s+/);
        return name ? [{ name, version }] : [];
      }
      const o = obj(item);
      const name = str(first(o, ["name", "package"]));
      return name ? [{ name, version: str(first(o, ["version"])) ?? "" }] : [];
    });
  } else if (obj(value)) {
    list = Object.entries(obj(value) ?? {}).map(([name, version]) => ({ name, version: str(version) ?? "" }));
  }
  return list.sort((a, b) => a.name.localeCompare(b.name));
}

const SHOWN_ELSEWHERE = new Set(["git", "packages", "pip", "installed_packages", "requirements", "command", "cmd", "argv", "command_line"]);

/** The rest of environment.json (what has no section of its own), for a key/value listing. */
export function runEnvironmentRest(run: RunDetail): JsonObject {
  const env = obj(run.environment) ?? {};
  const rest: JsonObject = {};
  for (const [key, value] of Object.entries(env)) {
    if (SHOWN_ELSEWHERE.has(key)) continue;
    rest[key] = value;
  }
  return rest;
}

// Sizes the SDK and the original one record in bytes: `memory_total`, `gpus.0.memory_total`, ….
const BYTES_KEY = /(^|_)(memory|mem|ram|disk|vram)(_(total|used|free|available))?$|_bytes$/;

/** An environment value as the table shows it: byte counts in binary units ("23.5 GiB"). */
export function formatEnvironmentValue(key: string, value: unknown): string {
  const name = key.slice(key.lastIndexOf(".") + 1);
  if (typeof value === "number" && Number.isFinite(value) && BYTES_KEY.test(name)) return formatBytes(value);
  return formatValue(value);
}
