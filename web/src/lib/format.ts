/** Formatting of numbers, durations, dates and sizes for tables, tooltips and axes. */

const DASH = "—";

function trimZeros(text: string): string {
  // "1.2300" -> "1.23", "1.000e-4" -> "1e-4"; integers are left alone.
  return text
    .replace(/(\.\d*?)0+(?=$|e)/, "$1")
    .replace(/\.(?=$|e)/, "")
    .replace("e+", "e");
}

/**
 * A number in at most `digits` significant digits: plain for everyday magnitudes, exponent form
 * for very large or very small ones; NaN and infinities spelled out.
 */
export function formatNumber(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined) return DASH;
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "∞";
  if (value === -Infinity) return "-∞";
  if (value === 0) return "0";
  const abs = Math.abs(value);
  if (Number.isInteger(value) && abs < 1e9) return String(value);
  if (abs >= 1e6 || abs < 1e-3) return trimZeros(value.toExponential(Math.max(0, digits - 1)));
  return trimZeros(value.toPrecision(digits));
}

/** A value as a tooltip or legend shows it: enough digits to tell close values apart. */
export function formatExact(value: number | null | undefined): string {
  return formatNumber(value, 7);
}

const SI: [number, string][] = [
  [1e12, "T"],
  [1e9, "G"],
  [1e6, "M"],
  [1e3, "k"],
];

/** Compact axis labels: 1500 -> "1.5k", 2000000 -> "2M", 0.00012 -> "1.2e-4". */
export function formatCompact(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return formatNumber(value);
  const abs = Math.abs(value);
  for (const [scale, suffix] of SI) {
    if (abs >= scale) return trimZeros((value / scale).toPrecision(3)) + suffix;
  }
  if (abs !== 0 && abs < 1e-3) return trimZeros(value.toExponential(1));
  return trimZeros(value.toPrecision(3));
}

/** Seconds as the largest two units: "42s", "3m 07s", "2h 05m", "3d 4h". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return DASH;
  if (seconds < 10) return `${trimZeros(seconds.toFixed(1))}s`;
  const total = Math.round(seconds);
  const d = Math.floor(total / 86400);
  const h = Math.floor((total % 86400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${pad(m)}m`;
  if (m > 0) return `${m}m ${pad(s)}s`;
  return `${s}s`;
}

/** Unix seconds as a local "YYYY-MM-DD HH:MM:SS", sortable and unambiguous in any language. */
export function formatDateTime(ts: number | null | undefined, withSeconds = true): string {
  if (ts === null || ts === undefined || !Number.isFinite(ts)) return DASH;
  const d = new Date(ts * 1000);
  const pad = (n: number) => String(n).padStart(2, "0");
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}${withSeconds ? `:${pad(d.getSeconds())}` : ""}`;
  return `${date} ${time}`;
}

const RELATIVE_UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 86400],
  ["month", 30 * 86400],
  ["week", 7 * 86400],
  ["day", 86400],
  ["hour", 3600],
  ["minute", 60],
  ["second", 1],
];

/** "3 minutes ago" / "3分钟前", in the UI language. */
export function formatRelativeTime(ts: number | null | undefined, now: number, locale: string): string {
  if (ts === null || ts === undefined || !Number.isFinite(ts)) return DASH;
  const delta = ts - now;
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
  for (const [unit, size] of RELATIVE_UNITS) {
    if (Math.abs(delta) >= size || unit === "second") {
      return rtf.format(Math.round(delta / size), unit);
    }
  }
  return DASH;
}

/** How soon "N units ago" for something `ageSeconds` old can read differently. */
export function relativeTimeRefreshMs(ageSeconds: number): number {
  const age = Math.abs(ageSeconds);
  if (!Number.isFinite(age) || age < 60) return 1_000;
  if (age < 3600) return 15_000;
  return 60_000;
}

/** Bytes in binary units: "812 B", "1.5 KiB", "11.2 GiB". */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return DASH;
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const text = unit === 0 ? String(Math.round(value)) : trimZeros(value.toFixed(value < 10 ? 2 : 1));
  return `${bytes < 0 ? "-" : ""}${text} ${units[unit]}`;
}

export function formatPercent(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return DASH;
  return `${value < 10 ? value.toFixed(1) : Math.round(value)}%`;
}

/** Any config or summary value in one line. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return DASH;
  if (typeof value === "number") return formatNumber(value, 6);
  if (value === "NaN" || value === "Infinity" || value === "-Infinity") return value;
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "true" : "false";
  return JSON.stringify(value);
}
