import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Certificates {
  /** The private CA that signed the server's certificate (PEM file). */
  readonly ca: string;
  /** Another CA, which signed nothing of this server's. */
  readonly otherCa: string;
  /** The server's certificate, for 127.0.0.1 and localhost, and its key (PEM files). */
  readonly cert: string;
  readonly key: string;
}

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore' });
}

function makeCa(dir: string, name: string): { pem: string; key: string } {
  const pem = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', pem, '-days', '2', '-subj', `/CN=parley test ${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  return { pem, key };
}

/** Makes, in `dir`, a private CA, a server certificate it signed for 127.0.0.1 and localhost, and an unrelated CA (P-256 keys: quick). */
export function makeCertificates(dir: string): Certificates {
  const ca = makeCa(dir, 'ca');
  const other = makeCa(dir, 'other-ca');
  const key = join(dir, 'server.key');
  const csr = join(dir, 'server.csr');
  const cert = join(dir, 'server.pem');
  const extensions = join(dir, 'server.ext');
  writeFileSync(extensions, 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', '/CN=localhost');
  openssl('x509', '-req', '-in', csr, '-CA', ca.pem, '-CAkey', ca.key, '-CAcreateserial', '-out', cert, '-days', '2', '-extfile', extensions);
  return { ca: ca.pem, otherCa: other.pem, cert, key };
}
