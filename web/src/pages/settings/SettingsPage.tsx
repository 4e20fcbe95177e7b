import { useState, type SubmitEvent } from "react";
import { errorMessage } from "../../api/client";
import { CopyButton } from "../../components/CopyButton";
import { LANGS, useI18n, type Lang } from "../../i18n/context";
import { useSettings } from "../../settings/context";
import { useTheme, type ThemePreference } from "../../theme/context";

const THEMES: ThemePreference[] = ["light", "dark", "system"];

function ChartDefaultsForm() {
  const { t } = useI18n();
  const { chartDefaults, saveChartDefaults, config } = useSettings();
  const [maxPoints, setMaxPoints] = useState<string | null>(null);
  const [smoothing, setSmoothing] = useState<number | null>(null);
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null);
  const [saving, setSaving] = useState(false);
  const points = maxPoints ?? String(chartDefaults.max_points);
  const smooth = smoothing ?? chartDefaults.smoothing;
  const pointsNumber = Number(points);
  const valid = Number.isInteger(pointsNumber) && pointsNumber >= 100 && pointsNumber <= 100_000;

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    if (!valid) return;
    setSaving(true);
    setStatus(null);
    try {
      await saveChartDefaults({ max_points: pointsNumber, smoothing: smooth });
      setMaxPoints(null);
      setSmoothing(null);
      setStatus({ ok: true, text: t("settings.saved") });
    } catch (error) {
      setStatus({ ok: false, text: errorMessage(error) });
    } finally {
      setSaving(false);
    }
  };

  return (
    <form className="card settings-card" onSubmit={(e) => void submit(e)} data-testid="chart-defaults-form">
      <h3>{t("settings.chartDefaults")}</h3>
      <label className="setting-row">
        <span>
          {t("settings.maxPoints")}
          <span className="muted small block">{t("settings.maxPointsHint")}</span>
        </span>
        <input
          className={`input${valid ? "" : " invalid"}`}
          type="number"
          min={100}
          max={100000}
          step={100}
          value={points}
          onChange={(e) => setMaxPoints(e.target.value)}
          data-testid="max-points-input"
        />
      </label>
      <label className="setting-row">
        <span>
          {t("charts.smoothing")}
          <span className="muted small block">{t("settings.smoothingHint")}</span>
        </span>
        <span className="row gap-s">
          <input type="range" min={0} max={0.99} step={0.01} value={smooth} onChange={(e) => setSmoothing(Number(e.target.value))} data-testid="default-smoothing" />
          <span className="mono">{smooth.toFixed(2)}</span>
        </span>
      </label>
      <div className="row gap-s">
        <button type="submit" className="btn btn-primary" disabled={saving || !valid || !config} data-testid="save-chart-defaults">
          {saving ? t("common.saving") : t("common.save")}
        </button>
        {status && (
          <span className={status.ok ? "ok-text" : "inline-error"} data-testid="settings-status">
            {status.text}
          </span>
        )}
        {!config && <span className="muted small">{t("settings.configUnavailable")}</span>}
      </div>
    </form>
  );
}

export default function SettingsPage() {
  const { t, lang, setLang } = useI18n();
  const { preference, setPreference } = useTheme();
  const { config, health } = useSettings();
  const root = config?.user_root_dir ?? health?.root ?? null;

  return (
    <div className="settings-page" data-testid="settings-page">
      <div className="page-header">
        <h1>{t("settings.title")}</h1>
      </div>
      <div className="settings-grid">
        <div className="card settings-card">
          <h3>{t("settings.appearance")}</h3>
          <div className="setting-row">
            <span>{t("settings.theme")}</span>
            <div className="segmented" role="group" aria-label={t("settings.theme")}>
              {THEMES.map((th) => (
                <button key={th} type="button" className={preference === th ? "active" : ""} aria-pressed={preference === th} onClick={() => setPreference(th)} data-testid={`theme-${th}`}>
                  {t(`theme.${th}`)}
                </button>
              ))}
            </div>
          </div>
          <div className="setting-row">
            <span>{t("settings.language")}</span>
            <div className="segmented" role="group" aria-label={t("settings.language")}>
              {LANGS.map((l: Lang) => (
                <button key={l} type="button" className={lang === l ? "active" : ""} aria-pressed={lang === l} onClick={() => setLang(l)} data-testid={`settings-lang-${l}`}>
                  {l === "en" ? "English" : "中文"}
                </button>
              ))}
            </div>
          </div>
        </div>
        <ChartDefaultsForm />
        <div className="card settings-card">
          <h3>{t("settings.storage")}</h3>
          <div className="setting-row">
            <span>{t("settings.root")}</span>
            <span className="mono root-path" data-testid="storage-root">
              {root ?? "—"} {root && <CopyButton text={root} />}
            </span>
          </div>
          <p className="muted small">
            {t("settings.rootHint")} <code className="mono">runicorn config --set-root PATH</code>
          </p>
          {health?.version && (
            <div className="setting-row">
              <span>{t("settings.version")}</span>
              <span className="mono" data-testid="viewer-version">
                {health.version}
              </span>
            </div>
          )}
        </div>
      </div>
    </div>
  );
}
