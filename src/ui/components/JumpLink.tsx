/**
 * A link to another part of the page that moves the focus there without touching the address: the hash holds the
 * config (url.ts), so `#results` must not become the location's hash. The target needs tabIndex={-1}.
 */
import type { MouseEvent, ReactNode } from 'react';

export function JumpLink({ to, className, children }: { to: string; className?: string; children: ReactNode }) {
  const jump = (e: MouseEvent<HTMLAnchorElement>) => {
    const target = document.getElementById(to);
    if (!target) return;
    e.preventDefault();
    target.focus({ preventScroll: true });
    target.scrollIntoView({ block: 'start' });
  };
  return (
    <a href={`#${to}`} className={className} onClick={jump}>
      {children}
    </a>
  );
}
