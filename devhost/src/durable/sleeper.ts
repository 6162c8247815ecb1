/**
 * How long a queue poller that found nothing waits at most before it reads again. Messages this
 * process sends reach its dispatchers without a poll (see TaskHub.receiveLocally), so polls find
 * only other hosts' messages, messages put back for later, and delayed ones (whose sender wakes
 * the poller when they are due, see LocalReceiver.due).
 */
export const maxIdleMs = 1_000;

/** An idle wait that new work cuts short. */
export class Sleeper {
  private wakeUp: (() => void) | undefined;

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wake(), ms);
      timer.unref();
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  wake(): void {
    const wakeUp = this.wakeUp;
    this.wakeUp = undefined;
    wakeUp?.();
  }
}
