import type { Stage } from "../../api/artifacts";
import { useI18n } from "../../i18n/context";

/** A model version's lifecycle stage; `none` is drawn faintly. */
export function StageBadge({ stage }: { stage: Stage }) {
  const { t } = useI18n();
  return (
    <span className={`stage-badge stage-${stage}`} data-testid="stage-badge" data-stage={stage}>
      {t(`stage.${stage}`)}
    </span>
  );
}
