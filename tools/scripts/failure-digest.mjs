// Keeps what a test run printed about its failures, so `npm test` can repeat it at the end: a long run's
// failure is otherwise thousands of lines above the last one, out of reach of whoever reads only the tail.
const ANSI = /\x1b\[[0-9;]*m/g;
const LINES_AFTER_HEADER = 12;
const MAX_DETAIL_LINES = 60;
const MAX_HEADERS = 30;

/** Jest's "FAIL <spec>" and "● <suite> › <test>" lines (not "● Console"). */
function isFailureHeader(line) {
  return / FAIL /.test(` ${line}`) || (/●\s/.test(line) && !/●\s+Console/.test(line));
}

export class FailureDigest {
  #headers = [];
  #details = [];
  #detailLinesToKeep = 0;
  #inFailedTasks = false;
  #partial = '';

  /** Feeds output as it arrives (a chunk may end mid-line). */
  write(chunk) {
    const lines = (this.#partial + chunk.toString()).split('\n');
    this.#partial = lines.pop() ?? '';
    for (const line of lines) this.#take(line);
  }

  /** The first lines after each failure (bounded), then every failure's header line (bounded), last. */
  lines() {
    if (this.#partial) this.#take(this.#partial);
    this.#partial = '';
    if (this.#headers.length === 0) return [];
    return [...this.#details, '', 'Failures:', ...this.#headers];
  }

  #take(rawLine) {
    const line = rawLine.replace(ANSI, '').trimEnd();
    // Nx names its failed tasks on the lines after "Failed tasks:" ("- api:integration"): they belong to the list.
    if (this.#inFailedTasks && /^\s*- \S/.test(line) && this.#headers.length < MAX_HEADERS) this.#headers.push(line.trim());
    else if (this.#inFailedTasks && line.trim() !== '') this.#inFailedTasks = false;
    if (/Failed tasks:/.test(line)) this.#inFailedTasks = true;
    else if (isFailureHeader(line)) {
      this.#detailLinesToKeep = LINES_AFTER_HEADER;
      if (this.#headers.length < MAX_HEADERS) this.#headers.push(line);
    }
    if (this.#detailLinesToKeep === 0) return;
    this.#detailLinesToKeep -= 1;
    if (this.#details.length < MAX_DETAIL_LINES) this.#details.push(line);
  }
}
