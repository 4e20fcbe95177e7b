import { useEffect, useRef, useState, type ReactNode } from "react";

/** A button that opens a panel; closes on outside click or Escape. */
export function Popover({
  label,
  children,
  testId,
  align = "left",
  buttonClass = "btn",
  disabled,
}: {
  label: ReactNode;
  children: (close: () => void) => ReactNode;
  testId?: string;
  align?: "left" | "right";
  buttonClass?: string;
  disabled?: boolean;
}) {
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") setOpen(false);
    };
    document.addEventListener("mousedown", onDown);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("mousedown", onDown);
      document.removeEventListener("keydown", onKey);
    };
  }, [open]);

  return (
    <div className="popover" ref={ref}>
      <button
        type="button"
        className={buttonClass}
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
        data-testid={testId}
        disabled={disabled}
      >
        {label}
      </button>
      {open && (
        <div className={`popover-panel popover-${align}`} data-testid={testId ? `${testId}-panel` : undefined}>
          {children(() => setOpen(false))}
        </div>
      )}
    </div>
  );
}
