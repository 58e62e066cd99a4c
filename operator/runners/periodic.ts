/** One periodic job of the operator: started with it, stopped when it closes. */
export interface Runner {
  start(): void;
  stop(): void;
}

/** Runs `tick` every `intervalSeconds` while started; the timer does not hold the process open. */
export function periodicRunner(intervalSeconds: number, tick: () => void): Runner {
  let timer: NodeJS.Timeout | null = null;
  return {
    start() {
      if (timer) return;
      timer = setInterval(tick, intervalSeconds * 1000);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
