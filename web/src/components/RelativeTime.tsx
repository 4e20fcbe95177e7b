import { useEffect, useState } from "react";
import { useI18n } from "../i18n/context";
import { formatDateTime, formatRelativeTime, relativeTimeRefreshMs } from "../lib/format";

/**
 * "53 seconds ago", kept true while the page stays open: it refreshes as often as the wording
 * can change (every second in the first minute, then less often), with the exact time on hover.
 */
export function RelativeTime({ ts, testId }: { ts: number | null | undefined; testId?: string }) {
  const { locale } = useI18n();
  const [now, setNow] = useState(() => Date.now() / 1000);
  useEffect(() => {
    if (ts === null || ts === undefined) return;
    const timer = setTimeout(() => setNow(Date.now() / 1000), relativeTimeRefreshMs(now - ts));
    return () => clearTimeout(timer);
  }, [ts, now]);
  return (
    <span title={formatDateTime(ts)} data-testid={testId}>
      {formatRelativeTime(ts, now, locale)}
    </span>
  );
}
