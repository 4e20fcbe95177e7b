/**
 * The interactive lineage graph, drawn where the layout worker placed it (loaded on demand:
 * React Flow is only fetched when a lineage is shown). Runs and versions are nodes; drag to pan, scroll or the buttons to zoom,
 * click a node to open its page.
 */
import {
  Background,
  BaseEdge,
  Controls,
  Handle,
  MarkerType,
  MiniMap,
  Position,
  ReactFlow,
  type EdgeProps,
  type NodeProps,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useMemo } from "react";
import { useNavigate } from "react-router";
import type { LineageGraph as Graph } from "../../api/artifacts";
import { useI18n } from "../../i18n/context";
import { useTheme } from "../../theme/context";
import { lineageElements, smoothPath, type LineageFlowEdge, type LineageFlowNode } from "./lineageLayout";
import type { LineagePlacement } from "./lineagePlacement";

function LineageNodeCard({ data }: NodeProps<LineageFlowNode>) {
  const { t } = useI18n();
  const { item, root, href, title, subtitle } = data;
  const status = item.kind === "run" ? item.status : null;
  const deleted = item.kind === "artifact" && item.deleted;
  const classes = ["lineage-node", `lineage-node-${item.kind}`];
  if (item.kind === "artifact") classes.push(`lineage-type-${item.type === "model" || item.type === "dataset" ? item.type : "other"}`);
  if (root) classes.push("lineage-root");
  if (deleted) classes.push("lineage-deleted");
  return (
    <div
      className={classes.join(" ")}
      data-testid="lineage-node"
      data-node-id={item.id}
      data-kind={item.kind}
      data-root={root ? "true" : "false"}
      data-href={href ?? ""}
      title={href ? t("lineage.open", { name: title }) : t("lineage.deleted")}
    >
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <div className="lineage-node-head">
        <span className="lineage-kind">{item.kind === "run" ? t("lineage.run") : item.type}</span>
        {status && <span className={`lineage-status status-${status}`} title={t(`status.${status}`)} />}
        {item.kind === "artifact" && item.stage !== "none" && (
          <span className={`stage-badge stage-${item.stage}`}>{t(`stage.${item.stage}`)}</span>
        )}
      </div>
      <div className="lineage-title mono">{title}</div>
      <div className="lineage-subtitle">{deleted ? t("lineage.deleted") : subtitle}</div>
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
}

/** An edge along the route the layout chose, so a long edge goes around the nodes it passes. */
function LineageEdgeLine({ id, sourceX, sourceY, targetX, targetY, data, markerEnd, style }: EdgeProps<LineageFlowEdge>) {
  const path = smoothPath([{ x: sourceX, y: sourceY }, ...(data?.bends ?? []), { x: targetX, y: targetY }]);
  return <BaseEdge id={id} path={path} markerEnd={markerEnd} style={style} />;
}

const NODE_TYPES = { lineage: LineageNodeCard };
const EDGE_TYPES = { lineage: LineageEdgeLine };
const EDGE_OPTIONS = { markerEnd: { type: MarkerType.ArrowClosed, width: 16, height: 16 } };
const MIN_ZOOM = 0.05;
const MAX_FIT_PX = 1600;

/** The larger side of the box around every node, in layout pixels. */
function spread(nodes: readonly LineageFlowNode[]): number {
  if (!nodes.length) return 0;
  const xs = nodes.map((n) => n.position.x);
  const ys = nodes.map((n) => n.position.y);
  return Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys));
}

export default function LineageGraph({ graph, placement }: { graph: Graph; placement: LineagePlacement }) {
  const { t } = useI18n();
  const { theme } = useTheme();
  const navigate = useNavigate();
  const { nodes, edges } = useMemo(() => lineageElements(graph, placement), [graph, placement]);
  // A graph too wide to read even at the smallest zoom opens on its root; the minimap shows the rest.
  const fitNodes = useMemo(() => (spread(nodes) * MIN_ZOOM > MAX_FIT_PX ? [{ id: graph.root }] : undefined), [nodes, graph.root]);
  return (
    <div className="lineage-graph" data-testid="lineage-graph" data-nodes={nodes.length} data-edges={edges.length}>
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={NODE_TYPES}
        edgeTypes={EDGE_TYPES}
        defaultEdgeOptions={EDGE_OPTIONS}
        colorMode={theme}
        nodesDraggable={false}
        nodesConnectable={false}
        elementsSelectable
        fitView
        fitViewOptions={{ padding: 0.15, maxZoom: 1.1, nodes: fitNodes }}
        minZoom={MIN_ZOOM}
        maxZoom={2.5}
        onlyRenderVisibleElements={nodes.length > 300}
        onNodeClick={(_event, node) => {
          if (node.data.href) void navigate(node.data.href);
        }}
      >
        <Background gap={18} size={1} />
        <Controls showInteractive={false} aria-label={t("lineage.controls")} />
        {nodes.length > 12 && <MiniMap pannable zoomable nodeStrokeWidth={2} />}
      </ReactFlow>
    </div>
  );
}
