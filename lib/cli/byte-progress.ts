/** A byte counter's progress callback and the call that ends its line. */
export interface ByteProgress {
  onProgress: (bytes: number, total: number | null) => void;
  done: () => void;
}

function mib(bytes: number): string {
  return (bytes / 1024 ** 2).toFixed(1);
}

/**
 * A download progress bar redrawn in place on `stream`, at most every `intervalMs`; null when the
 * stream is not a TTY (logs and pipes get no carriage-return noise).
 */
export function byteProgressBar(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
  intervalMs = 100,
): ByteProgress | null {
  if (!stream.isTTY) return null;
  let last = 0;
  let drawn = false;
  const draw = (bytes: number, total: number | null): void => {
    const width = 30;
    const part = total ? Math.min(1, bytes / total) : 0;
    const bar = total ? `[${'#'.repeat(Math.round(part * width)).padEnd(width, '.')}]` : '[downloading]';
    const size = total ? `${mib(bytes)}/${mib(total)} MiB ${Math.floor(part * 100)}%` : `${mib(bytes)} MiB`;
    stream.write(`\r${label} ${bar} ${size}\x1b[K`);
    drawn = true;
  };
  return {
    onProgress(bytes, total) {
      const now = Date.now();
      if (now - last < intervalMs && bytes !== total) return;
      last = now;
      draw(bytes, total);
    },
    done() {
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}
