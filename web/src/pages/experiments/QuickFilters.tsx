import { RUN_STATUSES, type RunStatus } from "../../api/types";
import { Popover } from "../../components/Popover";
import { useI18n } from "../../i18n/context";
import { Icon } from "../../components/Icon";

export interface QuickFiltersProps {
  status: RunStatus[];
  tags: string[];
  knownTags: string[];
  onStatus: (status: RunStatus[]) => void;
  onTags: (tags: string[]) => void;
}

export function QuickFilters({ status, tags, knownTags, onStatus, onTags }: QuickFiltersProps) {
  const { t } = useI18n();
  const toggleStatus = (s: RunStatus) => onStatus(status.includes(s) ? status.filter((x) => x !== s) : [...status, s]);
  const toggleTag = (tag: string) => onTags(tags.includes(tag) ? tags.filter((x) => x !== tag) : [...tags, tag]);
  const allTags = [...new Set([...tags, ...knownTags])].sort();
  return (
    <div className="quick-filters" data-testid="quick-filters">
      {RUN_STATUSES.map((s) => (
        <button
          key={s}
          type="button"
          className={`chip chip-status status-${s}${status.includes(s) ? " active" : ""}`}
          aria-pressed={status.includes(s)}
          onClick={() => toggleStatus(s)}
          data-testid={`quick-status-${s}`}
        >
          <span className="status-dot" aria-hidden="true" />
          {t(`status.${s}`)}
        </button>
      ))}
      <span className="divider" />
      {tags.map((tag) => (
        <button key={tag} type="button" className="chip active" onClick={() => toggleTag(tag)} data-testid="quick-tag-active" data-tag={tag}>
          #{tag} ×
        </button>
      ))}
      <Popover label={<><Icon name="tag" size={12} /> {t("quick.tags")}</>} testId="quick-tags" buttonClass="chip">
        {() =>
          allTags.length === 0 ? (
            <div className="muted small">{t("quick.noTags")}</div>
          ) : (
            <div className="stack gap-xs tag-menu">
              {allTags.map((tag) => (
                <label key={tag} className="picker-item">
                  <input type="checkbox" checked={tags.includes(tag)} onChange={() => toggleTag(tag)} data-testid={`quick-tag-${tag}`} />
                  {tag}
                </label>
              ))}
            </div>
          )
        }
      </Popover>
    </div>
  );
}
