/**
 * ngircd, the optional IRC peer of the benchmark (`--servers …,ngircd`): where its binary
 * is, and a configuration of the run's own that lets one load generator on 127.0.0.1 open
 * thousands of connections and send as fast as it can.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { delimiter, join } from 'node:path';

export const NGIRCD_MISSING = 'ngircd not installed: apt-get install ngircd';
/** The operator the senders become to set user mode +F; the server listens on 127.0.0.1 only. */
export const NGIRCD_OPERATOR = { name: 'bench', password: 'bench' };

/** The ngircd binary on PATH or in the sbin directories Debian puts it in; undefined when absent. */
export function ngircdBinary(): string | undefined {
  const directories = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  return directories.filter(Boolean).map((directory) => join(directory, 'ngircd')).find((path) => existsSync(path));
}

/** A port nothing listens on at this moment, on 127.0.0.1 (ngircd cannot be told to take any free one). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Writes `ngircd.conf` into `directory` and returns its path. The limits are lifted as
 * parley's are for the throughput workloads: no connection limits per address or in total,
 * no penalty time (MaxPenaltyTime = 0), and an operator the senders log in as to set user
 * mode +F, under which ngircd parses 10 pipelined commands of a client per pass of its loop
 * instead of 3 (the number itself is not configurable). No DNS, ident or PAM lookups,
 * so ngircd forks no resolver processes and all its CPU shows in its one process. No PING
 * for an hour. Configuration snippets are read from an empty directory of the run's own, not
 * /etc/ngircd/ngircd.conf.d.
 */
export function writeNgircdConfig(directory: string, port: number): string {
  const snippets = join(directory, 'ngircd.conf.d');
  mkdirSync(snippets, { recursive: true });
  const path = join(directory, 'ngircd.conf');
  writeFileSync(
    path,
    `[Global]
	Name = bench.parley.invalid
	Info = parley benchmark peer
	AdminInfo1 = parley benchmark
	AdminInfo2 = 127.0.0.1 only
	AdminEMail = bench@parley.invalid
	Listen = 127.0.0.1
	Ports = ${port}
	MotdPhrase = parley benchmark
[Limits]
	MaxConnections = 0
	MaxConnectionsIP = 0
	MaxJoins = 0
	MaxNickLength = 30
	MaxPenaltyTime = 0
	PingTimeout = 3600
	PongTimeout = 3600
[Options]
	DNS = no
	Ident = no
	PAM = no
	IncludeDir = ${snippets}
[Operator]
	Name = ${NGIRCD_OPERATOR.name}
	Password = ${NGIRCD_OPERATOR.password}
`,
  );
  return path;
}
