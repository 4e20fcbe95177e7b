import { useEffect, useState, type RefObject } from "react";

/**
 * Whether the element has come near the viewport; it stays true afterwards, so a chart drawn once
 * is not torn down and refetched when scrolled past.
 */
export function useInView(ref: RefObject<Element | null>, rootMargin = "300px"): boolean {
  const [seen, setSeen] = useState(false);
  useEffect(() => {
    const element = ref.current;
    if (seen || !element) return;
    if (typeof IntersectionObserver === "undefined") {
      queueMicrotask(() => setSeen(true));
      return;
    }
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) setSeen(true);
      },
      { rootMargin },
    );
    observer.observe(element);
    return () => observer.disconnect();
  }, [ref, rootMargin, seen]);
  return seen;
}
