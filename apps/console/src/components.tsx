import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { statusLabel } from './format';

/** A labelled control with its hint and error below; the error is announced and tied to the control. */
export function Field(props: {
  id: string;
  label: string;
  hint?: ComponentChildren;
  error?: string;
  extra?: string | null;
  children: ComponentChildren;
}) {
  return (
    <div class={`field${props.error ? ' has-error' : ''}`}>
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.hint && (
        <p class="hint" id={`${props.id}-hint`}>
          {props.hint}
        </p>
      )}
      {props.error && (
        <p class="error" id={`${props.id}-error`} role="alert">
          {props.error}
          {props.extra && <span class="error-hint"> {props.extra}</span>}
        </p>
      )}
    </div>
  );
}

/** aria-describedby / aria-invalid for a control inside Field. */
export function described(id: string, error?: string, hint = false): Record<string, string | boolean> {
  const ids = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return { id, 'aria-invalid': Boolean(error), ...(ids ? { 'aria-describedby': ids } : {}) };
}

export function Status({ status, reason }: { status: string; reason?: string }) {
  return (
    <span class={`status status-${status}`} title={reason}>
      {statusLabel(status)}
    </span>
  );
}

export function Notice({ kind, children }: { kind: 'error' | 'ok' | 'info'; children: ComponentChildren }) {
  return (
    <div class={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

/** A page's heading, focused when the page opens so keyboard and screen-reader users land on it. */
export function PageTitle({ children }: { children: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus();
    document.title = `${ref.current?.textContent ?? ''} · Bulk Export console`;
  }, []);
  return (
    <h1 tabIndex={-1} ref={ref}>
      {children}
    </h1>
  );
}

/**
 * Calls `tick` every `ms` while `active`, skipping while the tab is hidden; the page
 * refreshes by itself while something is under way.
 */
export function usePolling(tick: () => void, ms: number, active: boolean): void {
  const saved = useRef(tick);
  saved.current = tick;
  useEffect(() => {
    if (!active) return undefined;
    const timer = setInterval(() => {
      if (!document.hidden) saved.current();
    }, ms);
    return () => clearInterval(timer);
  }, [ms, active]);
}
