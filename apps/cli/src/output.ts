/** Where a command writes: data to stdout (a table, or JSON with --json), progress and notes to stderr. */
export interface Output {
  json: boolean;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export function printJson(output: Output, value: unknown): void {
  output.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(output: Output, line: string): void {
  output.stdout.write(`${line}\n`);
}

/** A note for people (never part of the data a script reads). */
export function note(output: Output, line: string): void {
  output.stderr.write(`${line}\n`);
}

type Cell = string | number | boolean | null | undefined;

/** Plain aligned columns with a header row; empty cells show as "-". */
export function formatTable(header: string[], rows: Cell[][]): string {
  const cells = [header, ...rows.map((row) => row.map((cell) => (cell === null || cell === undefined || cell === '' ? '-' : String(cell))))];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => row[column]?.length ?? 0)));
  return cells
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function printTable(output: Output, header: string[], rows: Cell[][]): void {
  output.stdout.write(`${formatTable(header, rows)}\n`);
}
