// A real OAuth 2.1 / OpenID Connect authorization server for ferromcp's authorization tests:
// npm `oidc-provider` (installed by scripts/setup-oidc.sh), configured the way the MCP
// authorization spec expects an authorization server to behave.
//
// Environment:
//   OIDC_PORT                  port on 127.0.0.1 to listen on; 0 (the default) picks a free one
//   OIDC_CLIENTS               optional JSON array of pre-registered clients (client metadata,
//                              snake_case as in RFC 7591, with client_id / client_secret)
//   OIDC_ACCESS_TOKEN_TTL      access token lifetime in seconds (default 3600), both for
//                              authorization-code and client_credentials tokens
//   OIDC_ACCESS_TOKEN_ALG      signing alg of JWT access tokens: RS256 (default) or ES256
//   OIDC_OPAQUE_RESOURCES      optional JSON array of resource indicators whose access tokens
//                              are opaque instead of JWTs (oidc-provider refuses to introspect
//                              JWT access tokens, so an introspecting resource server needs these)
//   FERROMCP_OIDC_DIR / NODE_PATH  where the node_modules holding oidc-provider is (default
//                              <repo>/.cache/oidc-provider/node_modules)
//
// Prints `oidc-provider listening on http://127.0.0.1:PORT` once ready and exits when its stdin
// closes, so a test that dies never leaves it running.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

// ESM ignores NODE_PATH, so find the package by hand and import it by file URL.
function providerModule() {
  const candidates = [
    process.env.FERROMCP_OIDC_DIR,
    ...(process.env.NODE_PATH ?? '').split(delimiter),
    join(HERE, '../../.cache/oidc-provider/node_modules'),
  ].filter(Boolean);
  for (const dir of candidates) {
    if (existsSync(join(dir, 'oidc-provider/package.json'))) {
      return pathToFileURL(createRequire(join(dir, 'noop.js')).resolve('oidc-provider')).href;
    }
  }
  console.error(`oidc-provider not found in ${candidates.join(', ')}: run scripts/setup-oidc.sh`);
  process.exit(2);
}

const { Provider } = await import(providerModule());

const RESOURCE_SCOPES = 'files:read files:process';
const accessTokenTtl = Number(process.env.OIDC_ACCESS_TOKEN_TTL ?? 3600);
const accessTokenAlg = process.env.OIDC_ACCESS_TOKEN_ALG ?? 'RS256';
const clients = JSON.parse(process.env.OIDC_CLIENTS ?? '[]');
const opaqueResources = new Set(JSON.parse(process.env.OIDC_OPAQUE_RESOURCES ?? '[]'));
if (!Number.isFinite(accessTokenTtl) || accessTokenTtl <= 0) {
  throw new Error(`OIDC_ACCESS_TOKEN_TTL must be a positive number of seconds, not ${process.env.OIDC_ACCESS_TOKEN_TTL}`);
}
if (!['RS256', 'ES256'].includes(accessTokenAlg)) {
  throw new Error(`OIDC_ACCESS_TOKEN_ALG must be RS256 or ES256, not ${accessTokenAlg}`);
}

// Fresh signing keys per run (instead of oidc-provider's published development keys), one
// per algorithm the tests may ask for.
function signingKey(type, options, alg) {
  const { privateKey } = generateKeyPairSync(type, options);
  return { ...privateKey.export({ format: 'jwk' }), kid: `${alg}-${randomBytes(4).toString('hex')}`, alg, use: 'sig' };
}
const keys = [
  signingKey('rsa', { modulusLength: 2048 }, 'RS256'),
  signingKey('ec', { namedCurve: 'P-256' }, 'ES256'),
];

// Resource servers are the MCP servers the tests start on loopback, on any port.
function isLoopbackResource(indicator) {
  const url = URL.parse(indicator);
  return url !== null && url.protocol === 'http:' && ['127.0.0.1', 'localhost'].includes(url.hostname)
    && url.hash === '';
}

const server = createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(Number(process.env.OIDC_PORT ?? 0), '127.0.0.1', resolve);
});
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients,
  jwks: { keys },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  // Only the authorization code flow (OAuth 2.1: no implicit, no hybrid).
  responseTypes: ['code'],
  clientAuthMethods: ['none', 'client_secret_basic', 'client_secret_post'],
  // The resource scopes are listed here too, though tokens carry them per resource: oidc-provider
  // refuses a registration whose `scope` names anything not in this list (the Python SDK
  // registers with the scopes it will ask for), and discovery advertises this list.
  scopes: ['openid', 'offline_access', ...RESOURCE_SCOPES.split(' ')],
  pkce: { required: () => true },
  ttl: {
    AccessToken: accessTokenTtl,
    ClientCredentials: accessTokenTtl,
  },
  features: {
    devInteractions: { enabled: true },
    // Open registration (RFC 7591): no initial access token.
    registration: { enabled: true },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // A request naming exactly one resource gets it even where oidc-provider would
      // otherwise ask which one.
      defaultResource: (_ctx, _client, oneOf) => oneOf,
      getResourceServerInfo(_ctx, indicator) {
        if (!isLoopbackResource(indicator)) {
          throw new Provider.errors.InvalidTarget(`resource ${indicator} is not a loopback http URL`);
        }
        const opaque = opaqueResources.has(indicator);
        return {
          scope: RESOURCE_SCOPES,
          audience: indicator,
          accessTokenTTL: accessTokenTtl,
          accessTokenFormat: opaque ? 'opaque' : 'jwt',
          ...(opaque ? {} : { jwt: { sign: { alg: accessTokenAlg } } }),
        };
      },
    },
  },
});

server.on('request', provider.callback());
console.log(`oidc-provider listening on ${issuer}`);

// The test owns this process through its stdin: when that closes (the test ended or died), stop.
process.stdin.on('data', () => {});
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
