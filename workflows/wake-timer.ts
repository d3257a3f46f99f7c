import { CancellationScope, condition, isCancellation, sleep } from '@temporalio/workflow';

/**
 * The one durable timer an instance waits on: its deadline, or the reminder
 * before it. A wake that leaves the time where it was (a signal, an update
 * that moves nothing, a task completed) keeps the timer that is running: each
 * timer started and cancelled is two events in history and a timer task on
 * the server. A new time cancels the old timer and starts another.
 */
export class WakeTimer {
  private at: string | undefined;
  private scope: CancellationScope | undefined;
  private fired = false;

  /** Waits until `wake()` holds or the time `at` (ISO) comes; answers whether the time came. */
  async wait(at: string | undefined, wake: () => boolean): Promise<boolean> {
    if (at !== this.at) this.arm(at);
    if (at === undefined) {
      await condition(wake);
      return false;
    }
    await condition(() => this.fired || wake());
    if (!this.fired) return false;
    // Spent: the next wait starts a timer again, even for the same time (a reminder and then its deadline).
    this.at = undefined;
    this.scope = undefined;
    this.fired = false;
    return true;
  }

  private arm(at: string | undefined): void {
    this.scope?.cancel();
    this.scope = undefined;
    this.fired = false;
    this.at = at;
    if (at === undefined) return;
    const scope = new CancellationScope();
    this.scope = scope;
    const ms = Math.max(1, Date.parse(at) - Date.now());
    scope
      .run(() => sleep(ms))
      .then(
        () => {
          if (this.scope === scope) this.fired = true;
        },
        (err: unknown) => {
          if (!isCancellation(err)) throw err;
        },
      );
  }
}
