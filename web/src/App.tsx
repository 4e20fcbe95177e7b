import { lazy, Suspense, useEffect, useState, type ComponentType } from "react";
import { NavLink, Route, Routes, useLocation } from "react-router";
import { ErrorBoundary } from "./components/ErrorBoundary";
import { LoadingState } from "./components/States";
import { LANGS, useI18n } from "./i18n/context";
import { ExperimentsPage } from "./pages/experiments/ExperimentsPage";
import { NotFoundPage } from "./pages/NotFoundPage";
import { prefetchRunDetail } from "./pages/run/runPrefetch";
import { useSettings } from "./settings/context";
import { useTheme } from "./theme/context";
import { Icon } from "./components/Icon";
import { KeyboardShortcuts } from "./components/KeyboardShortcuts";

let loadedRunPage: ComponentType | null = null;
const loadRunPage = () =>
  import("./pages/run/RunPage").then((module) => {
    loadedRunPage = module.default;
    return module.default;
  });

/**
 * The run page, loaded with its code but not through Suspense: a boundary that showed its
 * fallback reveals the page no sooner than React's throttle (300 ms) allows, and on a run's URL
 * the page's code and the run's detail are here well before that.
 */
function RunPage() {
  const [loaded, setLoaded] = useState<{ Page: ComponentType | null; error?: Error }>(() => ({ Page: loadedRunPage }));
  useEffect(() => {
    if (loaded.Page) return;
    let live = true;
    loadRunPage().then(
      (Page) => live && setLoaded({ Page }),
      (error: unknown) => live && setLoaded({ Page: null, error: error instanceof Error ? error : new Error(String(error)) }),
    );
    return () => {
      live = false;
    };
  }, [loaded.Page]);
  if (loaded.error) throw loaded.error;
  return loaded.Page ? <loaded.Page /> : <LoadingState />;
}
const ComparePage = lazy(() => import("./pages/compare/ComparePage"));
const SystemPage = lazy(() => import("./pages/system/SystemPage"));
const SettingsPage = lazy(() => import("./pages/settings/SettingsPage"));
const RemotePage = lazy(() => import("./pages/remote/RemotePage"));
const AlertsPage = lazy(() => import("./pages/alerts/AlertsPage"));
const ArtifactsPage = lazy(() => import("./pages/artifacts/ArtifactsPage"));
const ArtifactPage = lazy(() => import("./pages/artifacts/ArtifactPage"));
const VersionPage = lazy(() => import("./pages/artifacts/VersionPage"));
const ModelsPage = lazy(() => import("./pages/models/ModelsPage"));
const ModelPage = lazy(() => import("./pages/models/ModelPage"));
const LoginPage = lazy(() => import("./pages/login/LoginPage"));

// Opened on a run's URL: its code and its detail start loading now, before React's first render
// (a failure shows when the page asks again).
if (/^\/runs\/[^/]+\/?$/.test(window.location.pathname)) {
  loadRunPage().catch(() => undefined);
  prefetchRunDetail(window.location.pathname);
}

function TopBar() {
  const { t, lang, setLang } = useI18n();
  const { theme, setPreference } = useTheme();
  const { online, health } = useSettings();
  const navClass = ({ isActive }: { isActive: boolean }) => (isActive ? "nav-link active" : "nav-link");
  return (
    <header className="topbar" data-testid="topbar">
      <NavLink to="/" className="brand" data-testid="brand">
        <svg viewBox="0 0 32 32" width="20" height="20" aria-hidden="true">
          <rect width="32" height="32" rx="7" fill="var(--accent)" />
          <path d="M8 23 L14 13 L18 18 L24 8" stroke="white" strokeWidth="3" fill="none" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
        <span>Runicorn</span>
      </NavLink>
      <nav className="nav">
        <NavLink to="/" end className={navClass} data-testid="nav-experiments">
          {t("nav.experiments")}
        </NavLink>
        <NavLink to="/compare" className={navClass} data-testid="nav-compare">
          {t("nav.compare")}
        </NavLink>
        <NavLink to="/artifacts" className={navClass} data-testid="nav-artifacts">
          {t("nav.artifacts")}
        </NavLink>
        <NavLink to="/models" className={navClass} data-testid="nav-models">
          {t("nav.models")}
        </NavLink>
        <NavLink to="/alerts" className={navClass} data-testid="nav-alerts">
          {t("nav.alerts")}
        </NavLink>
        <NavLink to="/system" className={navClass} data-testid="nav-system">
          {t("nav.system")}
        </NavLink>
        <NavLink to="/remote" className={navClass} data-testid="nav-remote">
          {t("nav.remote")}
        </NavLink>
        <NavLink to="/settings" className={navClass} data-testid="nav-settings">
          {t("nav.settings")}
        </NavLink>
      </nav>
      <div className="topbar-right">
        <span
          className={online ? "conn conn-online" : "conn conn-offline"}
          data-testid="connection-status"
          data-online={online ? "true" : "false"}
          title={online ? `${t("conn.online")}${health?.version ? ` · v${health.version}` : ""}` : t("conn.offline")}
        >
          <span className="conn-dot" aria-hidden="true" />
          {!online && t("conn.offline")}
        </span>
        <div className="segmented" role="group" aria-label={t("settings.language")}>
          {LANGS.map((l) => (
            <button
              key={l}
              type="button"
              className={lang === l ? "active" : ""}
              aria-pressed={lang === l}
              onClick={() => setLang(l)}
              data-testid={`lang-${l}`}
            >
              {l === "en" ? "EN" : "中"}
            </button>
          ))}
        </div>
        <button
          type="button"
          className="btn-icon"
          data-testid="theme-toggle"
          data-theme={theme}
          title={theme === "dark" ? t("theme.light") : t("theme.dark")}
          aria-label={theme === "dark" ? t("theme.light") : t("theme.dark")}
          onClick={() => setPreference(theme === "dark" ? "light" : "dark")}
        >
          <Icon name={theme === "dark" ? "sun" : "moon"} size={15} />
        </button>
      </div>
    </header>
  );
}

export function App() {
  // A new page starts with a fresh error boundary: an error on one run's page does not stick.
  const { pathname } = useLocation();
  return (
    <div className="app">
      <TopBar />
      <KeyboardShortcuts />
      <main className="main">
        <ErrorBoundary key={pathname}>
          <Suspense fallback={<LoadingState />}>
            <Routes>
              <Route path="/" element={<ExperimentsPage />} />
              <Route path="/experiments" element={<ExperimentsPage />} />
              <Route path="/runs/:runId" element={<RunPage />} />
              <Route path="/compare" element={<ComparePage />} />
              <Route path="/alerts" element={<AlertsPage />} />
              <Route path="/artifacts" element={<ArtifactsPage />} />
              <Route path="/artifacts/:project/:name" element={<ArtifactPage />} />
              <Route path="/artifacts/:project/:name/:ver" element={<VersionPage />} />
              <Route path="/models" element={<ModelsPage />} />
              <Route path="/models/:project/:name" element={<ModelPage />} />
              <Route path="/system" element={<SystemPage />} />
              <Route path="/remote" element={<RemotePage />} />
              <Route path="/settings" element={<SettingsPage />} />
              <Route path="/login" element={<LoginPage />} />
              <Route path="*" element={<NotFoundPage />} />
            </Routes>
          </Suspense>
        </ErrorBoundary>
      </main>
    </div>
  );
}
