import Table from 'cli-table3';

/** Where a table goes: a terminal of some width, or a pipe. */
export interface TableTarget {
  /** A terminal gets a boxed table fitted to `width`; anything else gets tab-separated lines. */
  readonly tty: boolean;
  /** The terminal's width in columns; unknown (a terminal that does not say) means 80. */
  readonly width?: number | undefined;
}

/** Standard output as a table target. */
export function standardOutput(): TableTarget {
  return { tty: Boolean(process.stdout.isTTY), width: process.stdout.columns };
}

/** The narrowest a column is cut to: room for a letter or two and the ellipsis, inside its padding. */
const MIN_COLUMN = 5;
const PADDING = 2;

/** How many columns `text` takes, counting code points (names are display-escaped, so no controls). */
function widthOf(text: string): number {
  return [...text].length;
}

/**
 * Column widths (padding included) that fit `available` columns with the borders: the widest
 * columns give way first, together, down to the next width, and so on, never below
 * MIN_COLUMN; so short columns such as `online` stay whole and a long name is cut with `…`.
 */
export function fitColumns(natural: readonly number[], available: number): number[] {
  const widths = [...natural];
  for (;;) {
    const excess = widths.reduce((sum, w) => sum + w, 0) + widths.length + 1 - available;
    const widest = Math.max(...widths);
    if (excess <= 0 || widest <= MIN_COLUMN) return widths;
    const tied = widths.filter((w) => w === widest).length;
    const next = Math.max(MIN_COLUMN, ...widths.filter((w) => w < widest));
    const target = Math.max(next, widest - Math.ceil(excess / tied));
    for (let i = 0; i < widths.length; i++) if (widths[i] === widest) widths[i] = target;
  }
}

/**
 * A listing for people or for programs: on a terminal, a boxed table no wider than the
 * terminal (the widest cells cut with `…`); piped, one header line and one line per row,
 * cells separated by tabs, no box drawing, as `kubectl` and `gh` print. Cells are expected to
 * be display-escaped already (see display.ts), so none holds a tab or a line break.
 */
export function renderTable(head: readonly string[], rows: readonly (readonly string[])[], target: TableTarget = standardOutput()): string {
  if (!target.tty) return [head, ...rows].map((row) => row.join('\t')).join('\n');
  const natural = head.map((title, i) => Math.max(widthOf(title), ...rows.map((row) => widthOf(row[i] ?? ''))) + PADDING);
  const table = new Table({
    head: [...head],
    colWidths: fitColumns(natural, target.width || 80),
    style: { head: [], border: [] },
  });
  for (const row of rows) table.push([...row]);
  return table.toString();
}
