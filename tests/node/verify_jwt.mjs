// Verifies a vtpmd JWT with jose, an implementation that shares no code with
// vtpmd's signer: a pass means the token and the JWKS follow the RFCs, not just
// our own reading of them.
//   node verify_jwt.mjs JWKS_FILE TOKEN_FILE
// Prints the verified payload as JSON and exits 0, or prints why not and exits 1.
import { readFileSync } from 'node:fs';
import { createLocalJWKSet, jwtVerify } from 'jose';

const [jwksFile, tokenFile] = process.argv.slice(2);
if (!jwksFile || !tokenFile) {
  console.error('usage: node verify_jwt.mjs JWKS_FILE TOKEN_FILE');
  process.exit(2);
}

try {
  const jwks = createLocalJWKSet(JSON.parse(readFileSync(jwksFile, 'utf8')));
  const token = readFileSync(tokenFile, 'utf8').trim();
  const { payload } = await jwtVerify(token, jwks, { algorithms: ['ES256', 'ES384', 'PS256'] });
  process.stdout.write(JSON.stringify(payload) + '\n');
} catch (error) {
  console.error(`verification failed: ${error.code ?? error.name}: ${error.message}`);
  process.exit(1);
}
