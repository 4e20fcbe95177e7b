import { useState, type SubmitEvent } from "react";
import { useSearchParams } from "react-router";
import { useI18n } from "../../i18n/context";
import { safeNext } from "./session";
import { loginText } from "./strings";

type Outcome = "ok" | "invalid" | "unreachable";

/**
 * Exchange a token for the login cookie (HttpOnly: page scripts never hold the token). On the
 * team server that is `POST /api/auth/login`; a local viewer started with a token has no such
 * route, and takes the token as `?token=` instead (which sets its own cookie).
 */
async function logIn(token: string, next: string): Promise<Outcome> {
  let response: Response;
  try {
    response = await fetch("/api/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ token }),
      credentials: "same-origin",
    });
  } catch {
    return "unreachable";
  }
  if (response.status === 404) {
    window.location.assign(`${next}${next.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}`);
    return "ok";
  }
  if (response.status === 401 || response.status === 422) return "invalid";
  if (!response.ok) return "unreachable";
  window.location.assign(next);
  return "ok";
}

export default function LoginPage() {
  const { lang } = useI18n();
  const text = loginText(lang);
  const [params] = useSearchParams();
  const next = safeNext(params.get("next"));
  const [token, setToken] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    if (!token.trim()) return;
    setBusy(true);
    setError(null);
    const outcome = await logIn(token.trim(), next);
    if (outcome !== "ok") {
      setError(outcome === "invalid" ? text.invalid : text.unreachable);
      setBusy(false);
    }
  };

  return (
    <form className="card settings-card login-card" onSubmit={(e) => void submit(e)} data-testid="login-form">
      <h2>{text.title}</h2>
      <p className="muted small">{text.hint}</p>
      <label className="setting-row">
        <span>{text.token}</span>
        <input
          className="input"
          type="password"
          autoComplete="current-password"
          autoFocus
          value={token}
          onChange={(e) => setToken(e.target.value)}
          data-testid="login-token"
        />
      </label>
      {error && (
        <p className="inline-error" role="alert" data-testid="login-error">
          {error}
        </p>
      )}
      <button className="btn btn-primary" type="submit" disabled={busy || !token.trim()} data-testid="login-submit">
        {busy ? text.busy : text.submit}
      </button>
    </form>
  );
}
