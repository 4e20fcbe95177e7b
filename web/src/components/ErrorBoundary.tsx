import { Component, type ErrorInfo, type ReactNode } from "react";
import { I18nContext } from "../i18n/context";

interface State {
  error: Error | null;
}

/** A broken page shows what went wrong and a way back, instead of a blank screen. */
export class ErrorBoundary extends Component<{ children: ReactNode }, State> {
  static override contextType = I18nContext;
  declare context: React.ContextType<typeof I18nContext>;
  override state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error("Runicorn UI error", error, info.componentStack);
  }

  override render() {
    const { error } = this.state;
    if (!error) return this.props.children;
    const t = this.context?.t;
    return (
      <div className="state state-error" data-testid="page-crash" role="alert">
        <div className="state-icon">!</div>
        <div className="state-title">{t ? t("error.crash") : "Something went wrong"}</div>
        <pre className="state-hint mono">{error.message}</pre>
        <div className="state-action">
          <button type="button" className="btn" onClick={() => this.setState({ error: null })}>
            {t ? t("common.retry") : "Retry"}
          </button>
        </div>
      </div>
    );
  }
}
