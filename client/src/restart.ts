// What the client does when the language server crashes: vscode-languageclient's own default
// error handler decides (restart, at most `maxRestartCount` times in 3 minutes); this wrapper only
// tells the user what happened, in words, each time. No `vscode` import here (types only), so the
// decisions are unit-tested under plain node (test/lsp/restart.test.ts).
import type { CloseAction, CloseHandlerResult, ErrorAction, ErrorHandler, ErrorHandlerResult, Message } from 'vscode-languageclient/node';

/** CloseAction's values (vscode-languageclient's enum, which cannot be loaded without VS Code). */
const RESTART = 2 as CloseAction.Restart;

export interface RestartNotifier {
  /** The server crashed and is being restarted: the `restarts`-th time within the library's window. */
  restarting(message: string): void;
  /** The server crashed too often and stays stopped. */
  gaveUp(message: string): void;
}

export const MAX_RESTARTS = 4;

/**
 * An ErrorHandler that asks `inner` (the library's DefaultErrorHandler, created lazily because it
 * needs the client) and reports its decisions. Returning `handled: true` on giving up keeps the
 * library from showing its own, vaguer message as well.
 */
export class ReportingErrorHandler implements ErrorHandler {
  private inner: ErrorHandler | undefined;
  private crashes = 0;

  constructor(
    private readonly createInner: () => ErrorHandler,
    private readonly notify: RestartNotifier,
    private readonly maxRestarts = MAX_RESTARTS,
  ) {}

  private handler(): ErrorHandler {
    return (this.inner ??= this.createInner());
  }

  error(error: Error, message: Message | undefined, count: number | undefined): ErrorHandlerResult | Promise<ErrorHandlerResult> {
    return this.handler().error(error, message, count);
  }

  async closed(): Promise<CloseHandlerResult> {
    const decision = await this.handler().closed();
    this.crashes++;
    if (decision.action === RESTART) {
      this.notify.restarting(
        `wakeaudit: the language server stopped unexpectedly and is being restarted (crash ${this.crashes}; it is restarted up to ${this.maxRestarts} times in 3 minutes). Diagnostics will come back when it has re-read the workspace; details are in the "wakeaudit" output.`,
      );
      return decision;
    }
    const message = `wakeaudit: the language server crashed ${this.maxRestarts + 1} times within 3 minutes and will not be restarted, so wait/wake diagnostics are off. See the "wakeaudit" output for the reason, then run "Developer: Reload Window" to start it again.`;
    this.notify.gaveUp(message);
    return { ...decision, message, handled: true };
  }
}

/** The library's ErrorAction values, for tests and callers without VS Code. */
export const ERROR_ACTION = { Continue: 1 as ErrorAction.Continue, Shutdown: 2 as ErrorAction.Shutdown };
export const CLOSE_ACTION = { DoNotRestart: 1 as CloseAction.DoNotRestart, Restart: RESTART };
