import { Link } from "react-router";
import { EmptyState } from "../components/States";
import { useI18n } from "../i18n/context";

export function NotFoundPage() {
  const { t } = useI18n();
  return (
    <EmptyState
      testId="not-found"
      icon="?"
      title={t("notFound.title")}
      action={
        <Link className="btn" to="/">
          {t("notFound.back")}
        </Link>
      }
    />
  );
}
