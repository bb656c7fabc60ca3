/** Catches a render error below it and shows it instead of a blank page; "Try again" re-mounts the children. */
import { Component, type ErrorInfo, type ReactNode } from 'react';

interface Props {
  children: ReactNode;
  /** what this boundary guards, for the message ("the charts", "the page") */
  area: string;
}

export class ErrorBoundary extends Component<Props, { error: Error | null }> {
  override state: { error: Error | null } = { error: null };

  static getDerivedStateFromError(error: unknown): { error: Error } {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    // Kept in the console for bug reports; the page shows a readable message instead of going blank.
    console.warn(`render error in ${this.props.area}:`, error, info.componentStack);
  }

  override render() {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <div className="notice error" role="alert">
        <div>
          <strong>Part of the page failed to draw ({this.props.area}).</strong>
          <p>{error.message}</p>
          <p className="sub">Your settings are in the link; training in the worker is not affected.</p>
        </div>
        <button type="button" className="secondary small" onClick={() => this.setState({ error: null })}>
          Try again
        </button>
      </div>
    );
  }
}
