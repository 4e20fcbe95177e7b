import { useState, type SubmitEvent } from "react";
import { Link } from "react-router";
import { ConfirmButton } from "../../components/ConfirmButton";
import { Popover } from "../../components/Popover";
import { useI18n } from "../../i18n/context";
import { compareHref } from "../../lib/urlState";

export interface SelectionBarProps {
  count: number;
  ids: string[];
  bin: boolean;
  busy: boolean;
  tagsOfSelection: string[];
  onClear: () => void;
  onAddTag: (tag: string) => void;
  onRemoveTag: (tag: string) => void;
  onDelete: () => void;
  onRestore: () => void;
  onPurge: () => void;
}

function AddTagForm({ onAdd }: { onAdd: (tag: string) => void }) {
  const { t } = useI18n();
  const [tag, setTag] = useState("");
  const submit = (e: SubmitEvent) => {
    e.preventDefault();
    if (tag.trim()) onAdd(tag.trim());
    setTag("");
  };
  return (
    <form onSubmit={submit} className="row gap-s">
      <input className="input" autoFocus value={tag} onChange={(e) => setTag(e.target.value)} placeholder={t("tags.new")} data-testid="bulk-tag-input" />
      <button type="submit" className="btn btn-primary" data-testid="bulk-tag-submit">
        {t("tags.addButton")}
      </button>
    </form>
  );
}

export function SelectionBar(props: SelectionBarProps) {
  const { t } = useI18n();
  const { count, ids, bin, busy } = props;
  if (count === 0) return null;
  return (
    <div className="selection-bar" data-testid="selection-bar" data-count={count}>
      <span className="selection-count">{t("selection.count", { n: count })}</span>
      {bin ? (
        <>
          <button type="button" className="btn btn-primary" onClick={props.onRestore} disabled={busy} data-testid="restore-selected">
            {t("bin.restore")}
          </button>
          <ConfirmButton onConfirm={props.onPurge} confirmLabel={t("bin.purgeConfirm", { n: count })} testId="purge-selected" disabled={busy}>
            {t("bin.purge")}
          </ConfirmButton>
        </>
      ) : (
        <>
          <Link className="btn btn-primary" to={compareHref(ids)} data-testid="compare-selected">
            {t("selection.compare")}
          </Link>
          <Popover label={t("selection.tag")} testId="bulk-tag" disabled={busy}>
            {(close) => (
              <div className="stack gap-s">
                <AddTagForm
                  onAdd={(tag) => {
                    props.onAddTag(tag);
                    close();
                  }}
                />
                {props.tagsOfSelection.length > 0 && (
                  <div className="stack gap-xs">
                    <span className="muted small">{t("tags.removeFromSelection")}</span>
                    <div className="tags">
                      {props.tagsOfSelection.map((tag) => (
                        <button
                          key={tag}
                          type="button"
                          className="tag tag-button"
                          onClick={() => {
                            props.onRemoveTag(tag);
                            close();
                          }}
                        >
                          {tag} ×
                        </button>
                      ))}
                    </div>
                  </div>
                )}
              </div>
            )}
          </Popover>
          <ConfirmButton onConfirm={props.onDelete} confirmLabel={t("selection.deleteConfirm", { n: count })} testId="delete-selected" disabled={busy}>
            {t("selection.delete")}
          </ConfirmButton>
        </>
      )}
      <button type="button" className="btn btn-ghost" onClick={props.onClear} data-testid="clear-selection">
        {t("selection.clear")}
      </button>
    </div>
  );
}
