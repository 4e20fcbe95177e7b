import { useEffect, useMemo, useState } from "react";
import type uPlot from "uplot";
import { api, errorMessage } from "../../api/client";
import { historySamples, systemWithHistory } from "../../api/systemHistory";
import type { GpuResponse } from "../../api/types";
import { baseOptions, chartColors } from "../../charts/axes";
import { tooltipPlugin } from "../../charts/tooltip";
import { UPlotChart, type ChartOptions } from "../../charts/UPlotChart";
import { EmptyState, ErrorState, LoadingState } from "../../components/States";
import { usePolling } from "../../hooks/usePolling";
import { Meter } from "../../components/Meter";
import { useI18n } from "../../i18n/context";
import { formatBytes, formatDateTime, formatPercent } from "../../lib/format";
import { colorAt } from "../../lib/palette";
import { useTheme } from "../../theme/context";
import { Icon } from "../../components/Icon";

const POLL_MS = 2000;
/** Time windows the charts can show; the viewer keeps an hour of background samples. */
const WINDOWS_S = [360, 900, 3600] as const;
const MAX_SAMPLES = 4000;

interface Sample {
  ts: number;
  data: GpuResponse;
}

function percent(used: number | null | undefined, total: number | null | undefined): number | null {
  return used !== null && used !== undefined && total ? (100 * used) / total : null;
}

function HistoryChart({ chartKey, title, samples, series, windowS }: {
  chartKey: string;
  title: string;
  windowS: number;
  samples: Sample[];
  series: { label: string; value: (s: GpuResponse) => number | null }[];
}) {
  const { theme } = useTheme();
  const labels = series.map((s) => s.label).join("|");
  const options = useMemo((): ChartOptions => {
    const colors = chartColors(theme);
    const base = baseOptions({ xMode: "time", logY: false, zoom: null, colors, syncKey: "gpu" });
    const names = labels.split("|");
    return {
      ...base,
      scales: {
        // A fixed window that slides with the newest sample, so the axis does not rescale each poll.
        x: { time: true, range: (_u, _min, max) => [max - windowS, max] },
        y: { range: [0, 100] },
      },
      series: [{}, ...names.map((label, i) => ({ label, stroke: colorAt(i), width: 1.5, points: { show: false } }))],
      plugins: [
        tooltipPlugin({
          title: (u, i) => formatDateTime(u.data[0][i]),
          rows: (u, i) => names.map((label, s) => ({ label, color: colorAt(s), value: formatPercent(u.data[s + 1][i]) })),
        }),
      ],
    };
  }, [theme, labels, windowS]);
  const data = useMemo(
    (): uPlot.AlignedData => [samples.map((s) => s.ts), ...series.map((s) => samples.map((x) => s.value(x.data)))],
    [samples, series],
  );
  return (
    <div className="chart-card" data-testid="chart-card" data-key={chartKey}>
      <div className="chart-head">
        <span className="chart-title">{title}</span>
      </div>
      <div className="chart-body" style={{ height: 190 }}>
        <UPlotChart chartKey={chartKey} testId={`chart-${chartKey}`} options={options} data={data} height={186} />
      </div>
      <ul className="legend system-legend" data-testid="system-legend">
        {series.map((s, i) => (
          <li key={s.label} className="legend-item">
            <span className="swatch" style={{ background: colorAt(i) }} />
            <span>{s.label}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

export default function SystemPage() {
  const { t } = useI18n();
  const [samples, setSamples] = useState<Sample[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [windowS, setWindowS] = useState<number>(WINDOWS_S[0]);

  // What the viewer recorded before this page opened: the charts start full, not empty.
  useEffect(() => {
    const controller = new AbortController();
    systemWithHistory(WINDOWS_S[WINDOWS_S.length - 1], controller.signal).then(
      (body) => {
        if (!body.history) return;
        const recorded = historySamples(body.history, body);
        setSamples((prev) => {
          const first = prev.length ? prev[0].ts : Infinity;
          return [...recorded.filter((s) => s.ts < first), ...prev];
        });
      },
      () => undefined,
    );
    return () => controller.abort();
  }, []);

  const poll = () => {
    api.gpu().then(
      (data) => {
        setError(null);
        setSamples((prev) => [...prev.slice(-(MAX_SAMPLES - 1)), { ts: Date.now() / 1000, data }]);
      },
      (e: unknown) => setError(e),
    );
  };
  usePolling(poll, POLL_MS);
  useEffect(poll, []);

  const latest = samples.length ? samples[samples.length - 1].data : null;
  const gpuCount = latest?.gpus.length ?? 0;
  const hostSeries = useMemo(
    () => [
      { label: "CPU", value: (s: GpuResponse) => s.host?.cpu_percent ?? null },
      { label: "RAM", value: (s: GpuResponse) => s.host?.memory_percent ?? percent(s.host?.memory_used, s.host?.memory_total) },
    ],
    [],
  );
  const gpuUtil = useMemo(
    () => Array.from({ length: gpuCount }, (_, i) => ({ label: `GPU ${i}`, value: (s: GpuResponse) => s.gpus[i]?.utilization ?? null })),
    [gpuCount],
  );
  const gpuMem = useMemo(
    () =>
      Array.from({ length: gpuCount }, (_, i) => ({
        label: `GPU ${i}`,
        value: (s: GpuResponse) => percent(s.gpus[i]?.memory_used, s.gpus[i]?.memory_total),
      })),
    [gpuCount],
  );

  if (!latest) {
    if (error) return <ErrorState error={error} onRetry={poll} testId="system-error" />;
    return <LoadingState testId="system-loading" />;
  }
  const host = latest.host;
  return (
    <div className="system-page" data-testid="system-page">
      <div className="page-header">
        <h1>{t("system.title")}</h1>
        <span className="muted small">{t("system.refresh", { s: POLL_MS / 1000 })}</span>
        <div className="spacer" />
        <label className="field">
          <span>{t("system.window")}</span>
          <select className="input" value={windowS} onChange={(e) => setWindowS(Number(e.target.value))} data-testid="system-window">
            {WINDOWS_S.map((w) => (
              <option key={w} value={w}>
                {t("system.minutes", { n: w / 60 })}
              </option>
            ))}
          </select>
        </label>
        {error ? <span className="inline-error">{errorMessage(error)}</span> : null}
      </div>
      <section className="system-cards">
        <div className="card" data-testid="host-card">
          <h3>{t("system.host")}</h3>
          <Meter label="CPU" value={host?.cpu_percent ?? null} testId="host-cpu" />
          <Meter
            label={t("system.memory")}
            value={host?.memory_percent ?? percent(host?.memory_used, host?.memory_total)}
            detail={`${formatBytes(host?.memory_used)} / ${formatBytes(host?.memory_total)}`}
            testId="host-memory"
          />
        </div>
        {latest.available && latest.gpus.length > 0 ? (
          latest.gpus.map((gpu) => (
            <div className="card" key={gpu.index} data-testid="gpu-card" data-gpu-index={gpu.index}>
              <h3>
                GPU {gpu.index} <span className="muted small">{gpu.name}</span>
              </h3>
              <Meter label={t("system.utilization")} value={gpu.utilization} testId="gpu-utilization" />
              <Meter
                label={t("system.memory")}
                value={percent(gpu.memory_used, gpu.memory_total)}
                detail={`${formatBytes(gpu.memory_used)} / ${formatBytes(gpu.memory_total)}`}
                testId="gpu-memory"
              />
              <div className="muted small mono">
                {gpu.temperature !== null && gpu.temperature !== undefined && `${Math.round(gpu.temperature)}°C`}
                {gpu.power !== null && gpu.power !== undefined && ` · ${Math.round(gpu.power)} W`}
              </div>
            </div>
          ))
        ) : (
          <div className="card card-muted" data-testid="no-gpu">
            <EmptyState testId="no-gpu-state" icon={<Icon name="chip" size={18} />} title={t("system.noGpu")} hint={latest.reason ?? t("system.noGpuHint")} />
          </div>
        )}
      </section>
      <section className="chart-grid">
        <HistoryChart chartKey="gpu:host" title={t("system.hostHistory")} samples={samples} series={hostSeries} windowS={windowS} />
        {gpuCount > 0 && <HistoryChart chartKey="gpu:utilization" title={t("system.gpuUtilHistory")} samples={samples} series={gpuUtil} windowS={windowS} />}
        {gpuCount > 0 && <HistoryChart chartKey="gpu:memory" title={t("system.gpuMemHistory")} samples={samples} series={gpuMem} windowS={windowS} />}
      </section>
    </div>
  );
}
