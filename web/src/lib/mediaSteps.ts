/**
 * Media of several runs at one step: the steps any run has an image at, and for each run the
 * image at the chosen step or, failing that, the nearest one before it.
 */

export interface SteppedItem {
  step: number | null;
  ts?: number | null;
}

/** An item without a step counts as step 0 (as on the run page's media tab). */
function stepOf(item: SteppedItem): number {
  return item.step ?? 0;
}

/** Items by step, then by time: the last of a step is the one logged last. */
export function byStep<T extends SteppedItem>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => stepOf(a) - stepOf(b) || (a.ts ?? 0) - (b.ts ?? 0));
}

/** Every step at which at least one of the lists has an item, ascending and without repeats. */
export function unionSteps(lists: readonly (readonly SteppedItem[])[]): number[] {
  const steps = new Set<number>();
  for (const list of lists) for (const item of list) steps.add(stepOf(item));
  return [...steps].sort((a, b) => a - b);
}

/** The index in `sorted` (see {@link byStep}) of the last item at or before `step`; -1 if none. */
export function indexAtOrBefore(sorted: readonly SteppedItem[], step: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (stepOf(sorted[mid]) <= step) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** The step the slider stands at: the chosen one if listed, else the nearest listed one before it, else the last. */
export function sliderIndex(steps: readonly number[], chosen: number | null): number {
  if (steps.length === 0) return -1;
  if (chosen === null) return steps.length - 1;
  const at = indexAtOrBefore(
    steps.map((step) => ({ step })),
    chosen,
  );
  return Math.max(0, at);
}

const IMAGE = /\.(png|jpe?g|gif|webp|bmp|svg)$/i;

/** Whether a media file is an image a browser shows (others are offered as downloads). */
export function isImagePath(path: string): boolean {
  return IMAGE.test(path);
}
