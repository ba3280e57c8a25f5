/** One sample of a Prometheus exposition (`series` with its labels as printed), 0 when the series is not there yet. */
export function sample(exposition: string, series: string): number {
  const line = exposition.split('\n').find((text) => text.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}
