export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

const TTY_REFRESH_MS = 250;
const PLAIN_REFRESH_MS = 5_000;

/**
 * One status line rewritten in place on a terminal; elsewhere (a pipe, a log file) the line is
 * printed when it changed, at most every few seconds.
 */
export class ProgressLine {
  private timer: NodeJS.Timeout | undefined;
  private last = '';

  constructor(
    private readonly output: ProgressOutput,
    private readonly render: () => string,
    private readonly refreshMs = output.isTTY ? TTY_REFRESH_MS : PLAIN_REFRESH_MS,
  ) {}

  start(): void {
    this.draw();
    this.timer = setInterval(() => this.draw(), this.refreshMs);
  }

  /** Draws the final line and ends it. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.draw(true);
    if (this.output.isTTY) this.output.write('\n');
  }

  /** Prints a message of its own without mangling the progress line. */
  log(message: string): void {
    if (this.output.isTTY) this.output.write(`\r\x1b[2K${message}\n${this.last}`);
    else this.output.write(`${message}\n`);
  }

  private draw(force = false): void {
    const line = this.fit(this.render());
    if (this.output.isTTY) {
      if (line !== this.last || force) this.output.write(`\r\x1b[2K${line}`);
    } else if (line !== this.last || force) {
      this.output.write(`${line}\n`);
    }
    this.last = line;
  }

  private fit(line: string): string {
    const width = this.output.columns;
    return this.output.isTTY && width && line.length >= width ? `${line.slice(0, width - 2)}…` : line;
  }
}
