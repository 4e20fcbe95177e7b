/** Lays out a lineage graph off the page's thread: one graph in, its placement (or an error) out. */
import ELK from "elkjs/lib/elk.bundled.js";
import type { LineageGraph } from "../../api/artifacts";
import { placeLineage, type LineagePlacement } from "./lineagePlacement";

export type LayoutReply = { placement: LineagePlacement } | { error: string };

const elk = new ELK();

self.onmessage = (event: MessageEvent<LineageGraph>) => {
  placeLineage(event.data, elk).then(
    (placement) => self.postMessage({ placement } satisfies LayoutReply),
    (error: unknown) => self.postMessage({ error: String(error) } satisfies LayoutReply),
  );
};
