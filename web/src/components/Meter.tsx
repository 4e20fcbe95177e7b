import { formatPercent } from "../lib/format";

interface MeterProps {
  label: string;
  /** Percent, 0–100; null when unknown. */
  value: number | null;
  detail?: string;
  testId: string;
}

/** A labelled percentage bar that turns warm above 70 % and hot above 90 % (CPU, memory, GPU). */
export function Meter({ label, value, detail, testId }: MeterProps) {
  const level = value === null ? "" : value > 90 ? " hot" : value > 70 ? " warm" : "";
  return (
    <div className="meter" data-testid={testId} data-value={value ?? ""}>
      <div className="meter-head">
        <span>{label}</span>
        <span className="mono">{formatPercent(value)}</span>
      </div>
      <div className="meter-track">
        <div className={`meter-fill${level}`} style={{ width: `${Math.min(100, Math.max(0, value ?? 0))}%` }} />
      </div>
      {detail && <div className="muted small mono">{detail}</div>}
    </div>
  );
}
