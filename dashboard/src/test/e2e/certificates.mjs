// Test certificates made with the openssl command: a CA, a server certificate for 127.0.0.1,
// an admin client certificate, and a client certificate from another CA (which the server
// must refuse). EC P-256 keys, as fedge's own CertificateAuthority issues.

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

function openssl(args) {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function ca(dir, name) {
  const key = join(dir, `${name}.key`);
  const crt = join(dir, `${name}.crt`);
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key,
    '-out', crt, '-days', '2', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  return { key, crt };
}

function issue(dir, name, issuer, extensions) {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const crt = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, `${extensions.join('\n')}\n`);
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', csr,
    '-subj', `/CN=${name}`]);
  openssl(['x509', '-req', '-in', csr, '-CA', issuer.crt, '-CAkey', issuer.key, '-CAcreateserial', '-out', crt,
    '-days', '2', '-extfile', ext]);
  return { key, crt };
}

/** Writes the certificates into dir and returns their paths. */
export function makeCertificates(dir) {
  const root = ca(dir, 'test-ca');
  const other = ca(dir, 'other-ca');
  return {
    ca: root.crt,
    server: issue(dir, 'coordinator', root, ['subjectAltName=IP:127.0.0.1', 'extendedKeyUsage=serverAuth']),
    admin: issue(dir, 'admin', root, ['extendedKeyUsage=clientAuth']),
    client: issue(dir, 'client-7', root, ['extendedKeyUsage=clientAuth']),
    foreign: issue(dir, 'admin-elsewhere', other, ['extendedKeyUsage=clientAuth']),
  };
}
