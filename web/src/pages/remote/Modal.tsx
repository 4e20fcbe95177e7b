import { useEffect, useRef, type KeyboardEvent, type ReactNode, type RefObject } from "react";

const FOCUSABLE = 'button:not(:disabled), [href], input:not(:disabled), select, textarea, [tabindex]:not([tabindex="-1"])';

/**
 * A modal dialog: focus moves in (to `initialFocus`, else the first control), stays in while
 * it is open (Tab wraps), Escape closes it, and focus goes back where it was afterwards.
 */
export function Modal({
  labelledBy,
  testId,
  onClose,
  initialFocus,
  tone = "default",
  children,
  attrs,
}: {
  labelledBy: string;
  testId: string;
  onClose: () => void;
  initialFocus?: RefObject<HTMLElement | null>;
  tone?: "default" | "danger";
  children: ReactNode;
  attrs?: Record<`data-${string}`, string | number>;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const onCloseRef = useRef(onClose);
  useEffect(() => {
    onCloseRef.current = onClose;
  });

  useEffect(() => {
    const previous = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const first = initialFocus?.current ?? ref.current?.querySelector<HTMLElement>(FOCUSABLE) ?? ref.current;
    first?.focus();
    return () => previous?.focus();
  }, [initialFocus]);

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "Escape") {
      e.stopPropagation();
      onCloseRef.current();
      return;
    }
    if (e.key !== "Tab" || !ref.current) return;
    const items = [...ref.current.querySelectorAll<HTMLElement>(FOCUSABLE)];
    if (items.length === 0) return;
    const first = items[0];
    const last = items[items.length - 1];
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  };

  return (
    <div className="modal-backdrop">
      <div
        ref={ref}
        className={`modal card${tone === "danger" ? " modal-danger" : ""}`}
        role="dialog"
        aria-modal="true"
        aria-labelledby={labelledBy}
        tabIndex={-1}
        data-testid={testId}
        onKeyDown={onKeyDown}
        {...attrs}
      >
        {children}
      </div>
    </div>
  );
}
