import { useState, type SubmitEvent } from "react";
import { useI18n } from "../i18n/context";

export function TagList({ tags, onClick }: { tags: readonly string[]; onClick?: (tag: string) => void }) {
  if (tags.length === 0) return null;
  return (
    <span className="tags">
      {tags.map((tag) =>
        onClick ? (
          <button
            key={tag}
            type="button"
            className="tag tag-button"
            onClick={(e) => {
              e.stopPropagation();
              onClick(tag);
            }}
          >
            {tag}
          </button>
        ) : (
          <span key={tag} className="tag">
            {tag}
          </span>
        ),
      )}
    </span>
  );
}

/** Tags with remove buttons and an input to add one; changes are reported, not stored here. */
export function TagEditor({
  tags,
  onChange,
  busy,
}: {
  tags: readonly string[];
  onChange: (tags: string[]) => void;
  busy?: boolean;
}) {
  const { t } = useI18n();
  const [draft, setDraft] = useState("");
  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    const tag = draft.trim();
    if (tag && !tags.includes(tag)) onChange([...tags, tag]);
    setDraft("");
  };
  return (
    <span className="tags tag-editor" data-testid="tag-editor">
      {tags.map((tag) => (
        <span key={tag} className="tag">
          {tag}
          <button
            type="button"
            className="tag-remove"
            aria-label={t("tags.remove", { tag })}
            disabled={busy}
            onClick={() => onChange(tags.filter((x) => x !== tag))}
          >
            ×
          </button>
        </span>
      ))}
      <form onSubmit={submit} className="tag-add">
        <input
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          placeholder={t("tags.add")}
          aria-label={t("tags.add")}
          disabled={busy}
          data-testid="tag-input"
          size={8}
        />
      </form>
    </span>
  );
}
