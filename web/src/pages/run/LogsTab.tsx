import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { api, errorMessage } from "../../api/client";
import { openLogsSocket, type SocketState } from "../../api/socket";
import type { RunDetail } from "../../api/types";
import { EmptyState, ErrorState, LoadingState } from "../../components/States";
import { useDebounced } from "../../hooks/useDebounced";
import { useI18n } from "../../i18n/context";
import { parseAnsi, stripAnsi, type AnsiSegment, type AnsiStyle } from "../../lib/ansi";
import { appendChunk, EMPTY_LOG, prependChunk, type LogBuffer } from "../../lib/logBuffer";
import { Icon } from "../../components/Icon";

const MAX_LINES = 200_000;
const EARLIER_BYTES = 256 * 1024;
const LINE_HEIGHT = 18;

function styleOf(style: AnsiStyle): React.CSSProperties | undefined {
  if (!style.fg && !style.bg && !style.bold && !style.dim && !style.italic && !style.underline) return undefined;
  return {
    color: style.fg,
    background: style.bg,
    fontWeight: style.bold ? 600 : undefined,
    opacity: style.dim ? 0.7 : undefined,
    fontStyle: style.italic ? "italic" : undefined,
    textDecoration: style.underline ? "underline" : undefined,
  };
}

function highlight(text: string, query: string, keyBase: string): ReactNode {
  if (!query) return text;
  const lower = text.toLowerCase();
  const parts: ReactNode[] = [];
  let from = 0;
  for (let at = lower.indexOf(query, from); at >= 0; at = lower.indexOf(query, from)) {
    if (at > from) parts.push(text.slice(from, at));
    parts.push(<mark key={`${keyBase}-${at}`}>{text.slice(at, at + query.length)}</mark>);
    from = at + query.length;
  }
  if (from < text.length) parts.push(text.slice(from));
  return parts;
}

function LogLine({ line, query }: { line: string; query: string }) {
  const segments: AnsiSegment[] = useMemo(() => parseAnsi(line), [line]);
  return (
    <>
      {segments.map((seg, i) => (
        <span key={i} style={styleOf(seg.style)}>
          {highlight(seg.text, query, String(i))}
        </span>
      ))}
    </>
  );
}

export function LogsTab({ run, running }: { run: RunDetail; running: boolean }) {
  const { t } = useI18n();
  const [buffer, setBuffer] = useState<LogBuffer | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [socketState, setSocketState] = useState<SocketState | null>(null);
  const [follow, setFollow] = useState(true);
  const [onlyMatches, setOnlyMatches] = useState(false);
  const [search, setSearch] = useState("");
  const [current, setCurrent] = useState(0);
  const [loadingEarlier, setLoadingEarlier] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const endRef = useRef(0);
  const scrollRef = useRef<HTMLDivElement>(null);
  const query = useDebounced(search.trim().toLowerCase(), 150);

  useEffect(() => {
    const controller = new AbortController();
    let socket: { close: () => void } | null = null;
    api.logs(run.id, {}, controller.signal).then(
      (chunk) => {
        const initial = appendChunk(EMPTY_LOG, chunk, MAX_LINES);
        endRef.current = initial.end;
        setBuffer(initial);
        setError(null);
        if (!running) return;
        socket = openLogsSocket(
          run.id,
          () => endRef.current,
          (next) => {
            setBuffer((prev) => appendChunk(prev ?? EMPTY_LOG, next, MAX_LINES));
          },
          setSocketState,
        );
      },
      (e: unknown) => {
        if (!controller.signal.aborted) setError(e);
      },
    );
    return () => {
      controller.abort();
      socket?.close();
    };
  }, [run.id, running, attempt]);

  useEffect(() => {
    if (buffer) endRef.current = buffer.end;
  }, [buffer]);

  const lines = useMemo(() => buffer?.lines ?? [], [buffer]);
  const matches = useMemo(() => {
    if (!query) return [];
    const out: number[] = [];
    for (let i = 0; i < lines.length; i++) if (stripAnsi(lines[i]).toLowerCase().includes(query)) out.push(i);
    return out;
  }, [lines, query]);
  const shown = onlyMatches && query ? matches : null;
  const count = shown ? shown.length : lines.length;

  // eslint-disable-next-line react-hooks/incompatible-library -- TanStack Virtual is used as documented
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => LINE_HEIGHT,
    overscan: 30,
  });

  useEffect(() => {
    if (follow && count > 0) virtualizer.scrollToIndex(count - 1, { align: "end" });
  }, [follow, count, virtualizer]);

  const jump = (delta: number) => {
    if (!matches.length) return;
    const next = (current + delta + matches.length) % matches.length;
    setCurrent(next);
    setFollow(false);
    virtualizer.scrollToIndex(shown ? next : matches[next], { align: "center" });
  };

  const loadEarlier = async () => {
    if (!buffer || buffer.start <= 0) return;
    setLoadingEarlier(true);
    try {
      const offset = Math.max(0, buffer.start - EARLIER_BYTES);
      const chunk = await api.logs(run.id, { offset, limit: buffer.start - offset });
      setBuffer((prev) => (prev ? prependChunk(prev, chunk) : prev));
      setFollow(false);
    } catch (e) {
      setError(e);
    } finally {
      setLoadingEarlier(false);
    }
  };

  if (error && !buffer) return <ErrorState error={error} onRetry={() => setAttempt((a) => a + 1)} testId="logs-error" />;
  if (!buffer) return <LoadingState testId="logs-loading" />;

  const currentLine = matches.length ? matches[Math.min(current, matches.length - 1)] : -1;
  return (
    <div className="logs-tab" data-testid="logs">
      <div className="logs-toolbar">
        <input
          className="input"
          type="search"
          placeholder={t("logs.search")}
          value={search}
          onChange={(e) => {
            setSearch(e.target.value);
            setCurrent(0);
          }}
          onKeyDown={(e) => {
            if (e.key === "Enter") jump(e.shiftKey ? -1 : 1);
          }}
          data-testid="logs-search"
        />
        {query && (
          <span className="muted small" data-testid="logs-match-count" data-count={matches.length}>
            {matches.length ? t("logs.matchOf", { i: Math.min(current, matches.length - 1) + 1, n: matches.length }) : t("logs.noMatch")}
          </span>
        )}
        <button type="button" className="btn-icon" onClick={() => jump(-1)} disabled={!matches.length} aria-label={t("logs.prev")}>
          ↑
        </button>
        <button type="button" className="btn-icon" onClick={() => jump(1)} disabled={!matches.length} aria-label={t("logs.next")}>
          ↓
        </button>
        <label className="field checkbox">
          <input type="checkbox" checked={onlyMatches} onChange={(e) => setOnlyMatches(e.target.checked)} data-testid="logs-only-matches" />
          <span>{t("logs.onlyMatches")}</span>
        </label>
        <div className="spacer" />
        {running && socketState && (
          <span className={`live-chip live-${socketState}`} data-testid="logs-live" data-state={socketState}>
            {t(`live.${socketState}`)}
          </span>
        )}
        <label className="field checkbox">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} data-testid="logs-follow" />
          <span>{t("logs.follow")}</span>
        </label>
        <a className="btn btn-small" href={api.logsDownloadUrl(run.id)} download data-testid="logs-download">
          <Icon name="download" size={12} /> {t("logs.download")}
        </a>
      </div>
      {error ? <div className="inline-error">{errorMessage(error)}</div> : null}
      {!shown && (buffer.start > 0 || buffer.dropped > 0) && (
        <div className="log-earlier">
          {buffer.dropped > 0 ? (
            t("logs.dropped", { n: buffer.dropped })
          ) : (
            <button type="button" className="link" onClick={() => void loadEarlier()} disabled={loadingEarlier} data-testid="logs-load-earlier">
              {loadingEarlier ? t("common.loading") : t("logs.loadEarlier")}
            </button>
          )}
        </div>
      )}
      {lines.length === 0 ? (
        <EmptyState testId="logs-empty" icon={<Icon name="terminal" size={18} />} title={t("logs.empty")} hint={running ? t("logs.emptyLive") : t("logs.emptyHint")} />
      ) : (
        <div
          className="log-view mono"
          ref={scrollRef}
          data-testid="log-view"
          data-lines={lines.length}
          onWheel={(e) => {
            if (e.deltaY < 0 && follow) setFollow(false);
          }}
        >
          <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
            {virtualizer.getVirtualItems().map((item) => {
              const index = shown ? shown[item.index] : item.index;
              return (
                <div
                  key={item.key}
                  className={`log-line${index === currentLine ? " current" : ""}`}
                  style={{ transform: `translateY(${item.start}px)`, height: LINE_HEIGHT }}
                  data-testid="log-line"
                >
                  <span className="log-gutter">{index + 1 + buffer.dropped}</span>
                  <span className="log-text">
                    <LogLine line={lines[index]} query={query} />
                  </span>
                </div>
              );
            })}
          </div>
        </div>
      )}
    </div>
  );
}
