import { useMemo, useState } from "react";
import type { FileEntry } from "../../api/artifacts";
import { CopyButton } from "../../components/CopyButton";
import { Icon } from "../../components/Icon";
import { useI18n } from "../../i18n/context";
import { formatBytes } from "../../lib/format";
import { buildFileTree, initiallyExpanded, visibleRows } from "./fileTree";

/** A version's files as folders that open and close, each with its size and a download link. */
export function FileTree({ files, fileUrl }: { files: Record<string, FileEntry>; fileUrl: (path: string) => string }) {
  const { t } = useI18n();
  const root = useMemo(() => buildFileTree(files), [files]);
  const [expanded, setExpanded] = useState(() => initiallyExpanded(root));
  const rows = useMemo(() => visibleRows(root, expanded), [root, expanded]);
  const toggle = (path: string) =>
    setExpanded((current) => {
      const next = new Set(current);
      if (!next.delete(path)) next.add(path);
      return next;
    });

  if (root.fileCount === 0) return <div className="muted small kv-empty">{t("artifacts.noFiles")}</div>;
  return (
    <table className="kv-table file-tree" data-testid="file-tree" data-files={root.fileCount}>
      <thead>
        <tr>
          <th>{t("artifacts.path")}</th>
          <th className="num">{t("artifacts.size")}</th>
          <th>sha256</th>
          <th aria-label={t("artifacts.download")} />
        </tr>
      </thead>
      <tbody>
        {rows.map(({ node, depth, expanded: open }) => (
          <tr key={`${node.kind}:${node.path}`} data-testid="file-row" data-path={node.path} data-kind={node.kind}>
            <td style={{ paddingLeft: 8 + depth * 18 }}>
              {node.kind === "dir" ? (
                <button
                  type="button"
                  className="tree-toggle"
                  aria-expanded={open}
                  onClick={() => toggle(node.path)}
                  data-testid="file-dir-toggle"
                >
                  <span className={open ? "caret open" : "caret"} aria-hidden="true">
                    ▸
                  </span>
                  <Icon name="folder" size={13} />
                  <span className="mono">{node.name}/</span>
                  <span className="muted small">{t("artifacts.fileCount", { n: node.fileCount })}</span>
                </button>
              ) : (
                <span className="file-name mono">{node.name}</span>
              )}
            </td>
            <td className="num" data-testid="file-size" data-bytes={node.size}>
              {formatBytes(node.size)}
            </td>
            <td className="mono muted small">
              {node.kind === "file" && (
                <span className="digest" title={node.sha256}>
                  {node.sha256.slice(0, 12)}
                  <CopyButton text={node.sha256} />
                </span>
              )}
            </td>
            <td>
              {node.kind === "file" && (
                <a
                  className="btn-icon"
                  href={fileUrl(node.path)}
                  download={node.name}
                  title={t("artifacts.downloadFile", { name: node.name })}
                  aria-label={t("artifacts.downloadFile", { name: node.name })}
                  data-testid="file-download"
                >
                  <Icon name="download" size={13} />
                </a>
              )}
            </td>
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr>
          <td className="muted">{t("artifacts.fileCount", { n: root.fileCount })}</td>
          <td className="num strong" data-testid="file-total" data-bytes={root.size}>
            {formatBytes(root.size)}
          </td>
          <td colSpan={2} />
        </tr>
      </tfoot>
    </table>
  );
}
