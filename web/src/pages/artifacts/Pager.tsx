import { useI18n } from "../../i18n/context";

/** "51–100 of 240" with previous and next; `page` is 1-based. */
export function Pager({
  page,
  pageSize,
  shown,
  total,
  onPage,
}: {
  page: number;
  pageSize: number;
  shown: number;
  total: number;
  onPage: (page: number) => void;
}) {
  const { t } = useI18n();
  const from = (page - 1) * pageSize;
  if (total <= pageSize && page === 1) return null;
  return (
    <div className="pager" data-testid="pager">
      <span className="muted">{t("artifacts.range", { from: shown ? from + 1 : 0, to: from + shown, total })}</span>
      <button type="button" className="mini-btn" disabled={page <= 1} onClick={() => onPage(page - 1)} data-testid="pager-prev">
        {t("artifacts.prev")}
      </button>
      <button
        type="button"
        className="mini-btn"
        disabled={from + pageSize >= total}
        onClick={() => onPage(page + 1)}
        data-testid="pager-next"
      >
        {t("artifacts.next")}
      </button>
    </div>
  );
}
