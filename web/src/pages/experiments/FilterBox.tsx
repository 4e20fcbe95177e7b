import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";
import { useI18n } from "../../i18n/context";
import { checkFilter, PLAIN_FIELDS, wordAt, type FilterError } from "../../lib/filterSyntax";
import { Icon } from "../../components/Icon";

export interface FilterBoxProps {
  value: string;
  onSubmit: (expression: string) => void;
  /** The server's refusal of the current expression (a 400 with a position), if any. */
  serverError: FilterError | null;
  /** Field names offered as completions: config.lr, summary.acc, metrics."val/loss".last, ... */
  fields: readonly string[];
}

const APPLY_DELAY_MS = 450;
const MAX_SUGGESTIONS = 8;

/** The expression with a caret under `position`, as a compiler shows a syntax error. */
function Caret({ source, error, kind, onJump }: { source: string; error: FilterError; kind: "server" | "client"; onJump: () => void }) {
  const position = Math.max(0, Math.min(error.position, source.length));
  return (
    <button
      type="button"
      className={`filter-error filter-error-${kind}`}
      data-testid={kind === "server" ? "filter-error" : "filter-hint"}
      data-position={position}
      onClick={onJump}
    >
      <pre className="mono">
        {source.slice(0, position)}
        <mark>{source.slice(position, position + 1) || " "}</mark>
        {source.slice(position + 1)}
        {"\n"}
        {" ".repeat(position)}^ {error.message}
      </pre>
    </button>
  );
}

export function FilterBox({ value, onSubmit, serverError, fields }: FilterBoxProps) {
  const { t } = useI18n();
  const [draft, setDraft] = useState(value);
  const [caret, setCaret] = useState(0);
  const [focused, setFocused] = useState(false);
  const [active, setActive] = useState(0);
  const inputRef = useRef<HTMLInputElement>(null);
  const [synced, setSynced] = useState(value);

  // The URL changed under us (Back, a tag click): show the new expression.
  if (value !== synced) {
    setSynced(value);
    setDraft(value);
  }

  const check = useMemo(() => checkFilter(draft), [draft]);

  useEffect(() => {
    if (draft === value || !check.ok) return;
    const timer = setTimeout(() => onSubmit(draft.trim()), APPLY_DELAY_MS);
    return () => clearTimeout(timer);
  }, [draft, value, check.ok, onSubmit]);

  const suggestions = useMemo(() => {
    if (!focused) return [];
    const { word } = wordAt(draft, caret);
    if (word.length < 1) return [];
    const lower = word.toLowerCase();
    const all = [...PLAIN_FIELDS, "tag:", ...fields];
    return all.filter((f) => f.toLowerCase().startsWith(lower) && f !== word).slice(0, MAX_SUGGESTIONS);
  }, [focused, draft, caret, fields]);

  const accept = (suggestion: string) => {
    const { start, end } = wordAt(draft, caret);
    const next = draft.slice(0, start) + suggestion + draft.slice(end);
    setDraft(next);
    const at = start + suggestion.length;
    setCaret(at);
    requestAnimationFrame(() => inputRef.current?.setSelectionRange(at, at));
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (suggestions.length && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      event.preventDefault();
      const delta = event.key === "ArrowDown" ? 1 : -1;
      setActive((a) => (a + delta + suggestions.length) % suggestions.length);
      return;
    }
    if (suggestions.length && event.key === "Tab") {
      event.preventDefault();
      accept(suggestions[Math.min(active, suggestions.length - 1)]);
      return;
    }
    if (event.key === "Enter") {
      // Enter always asks the server, even when the local check disagrees: it is the authority.
      onSubmit(draft.trim());
      setActive(0);
    }
    if (event.key === "Escape") {
      setDraft(value);
    }
  };

  const jumpTo = (position: number) => {
    const input = inputRef.current;
    if (!input) return;
    input.focus();
    input.setSelectionRange(position, position + 1);
  };

  const shownServerError = serverError && draft.trim() === value.trim() ? serverError : null;
  const clientError = !check.ok && !shownServerError ? check : null;

  return (
    <div className="filter-box" data-testid="filter-box">
      <div className={`filter-input-wrap${shownServerError ? " invalid" : clientError ? " warn" : ""}`}>
        <span className="filter-icon" aria-hidden="true">
          <Icon name="search" />
        </span>
        <input
          ref={inputRef}
          className="filter-input mono"
          value={draft}
          spellCheck={false}
          autoComplete="off"
          placeholder={t("filter.placeholder")}
          aria-label={t("filter.label")}
          aria-invalid={!!shownServerError}
          data-testid="filter-input"
          onChange={(e) => {
            setDraft(e.target.value);
            setCaret(e.target.selectionStart ?? e.target.value.length);
            setActive(0);
          }}
          onSelect={(e) => setCaret(e.currentTarget.selectionStart ?? 0)}
          onKeyDown={onKeyDown}
          onFocus={() => setFocused(true)}
          onBlur={() => setTimeout(() => setFocused(false), 120)}
        />
        {draft && (
          <button
            type="button"
            className="btn-icon filter-clear"
            aria-label={t("filter.clear")}
            data-testid="filter-clear"
            onClick={() => {
              setDraft("");
              onSubmit("");
            }}
          >
            ×
          </button>
        )}
        {suggestions.length > 0 && (
          <ul className="suggestions" role="listbox" data-testid="filter-suggestions">
            {suggestions.map((s, i) => (
              <li
                key={s}
                role="option"
                aria-selected={i === active}
                className={i === active ? "active" : ""}
                onMouseDown={(e) => {
                  e.preventDefault();
                  accept(s);
                }}
              >
                {s}
              </li>
            ))}
          </ul>
        )}
      </div>
      {shownServerError && (
        <Caret source={draft} error={shownServerError} kind="server" onJump={() => jumpTo(shownServerError.position)} />
      )}
      {clientError && draft.trim() && (
        <Caret source={draft} error={clientError} kind="client" onJump={() => jumpTo(clientError.position)} />
      )}
      <details className="filter-help">
        <summary>{t("filter.help")}</summary>
        <div className="mono filter-examples">
          {["config.lr < 1e-3 and summary.acc > 0.9", "status in (running, crashed)", "name contains resnet or tag:baseline", 'metrics."val/loss".min < 0.3', "created_at > 2026-11-01"].map((ex) => (
            <button type="button" key={ex} className="link" onClick={() => { setDraft(ex); onSubmit(ex); }}>
              {ex}
            </button>
          ))}
        </div>
      </details>
    </div>
  );
}
