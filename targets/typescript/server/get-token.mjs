// Prints an access token for an MCP server protected by the TypeScript SDK's example OAuth server
// (simpleStreamableHttp.js --oauth), obtained from the demo authorization server it starts, as a client
// would and with no user: protected resource metadata (RFC 9728) -> authorization server metadata
// (RFC 8414) -> dynamic registration of a public client (RFC 7591) -> authorization request with PKCE
// S256 (the demo approves at once and redirects with a code; nothing listens at the redirect URI, the
// code is read from Location) -> token request. Plain fetch, no dependencies; every request times out
// after 10 s. The same steps as `obtain_token` in cli/tests/typescript_sdk_server.rs.
//
//   node targets/typescript/server/get-token.mjs http://localhost:3000/mcp [resource]
//
// `resource` (default: the MCP URL) is the RFC 8707 resource the token is asked for.

import { createHash, randomBytes } from 'node:crypto';

const REDIRECT_URI = 'http://127.0.0.1:9/callback';
const TIMEOUT_MS = 10_000;

async function request(url, init = {}) {
    const response = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT_MS) });
    return response;
}

async function getJson(url) {
    const response = await request(url);
    if (!response.ok) throw new Error(`GET ${url} -> ${response.status}`);
    return response.json();
}

async function main() {
    const [mcpUrl, resource = mcpUrl] = process.argv.slice(2);
    if (!mcpUrl) throw new Error('usage: get-token.mjs MCP_URL [RESOURCE]');
    const mcp = new URL(mcpUrl);
    const prm = await getJson(new URL(`/.well-known/oauth-protected-resource${mcp.pathname}`, mcp));
    const issuer = prm.authorization_servers?.[0];
    if (!issuer) throw new Error(`the protected resource metadata names no authorization server`);
    const scope = (prm.scopes_supported ?? []).join(' ');
    const metadata = await getJson(new URL('/.well-known/oauth-authorization-server', issuer));

    const registration = await request(metadata.registration_endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
            client_name: 'mcp-authlab server suite',
            redirect_uris: [REDIRECT_URI],
            grant_types: ['authorization_code'],
            response_types: ['code'],
            token_endpoint_auth_method: 'none'
        })
    });
    const { client_id: clientId } = await registration.json();
    if (!clientId) throw new Error(`registration answered ${registration.status} without a client_id`);

    const verifier = randomBytes(48).toString('base64url');
    const state = randomBytes(16).toString('base64url');
    const authorize = new URL(metadata.authorization_endpoint);
    authorize.search = new URLSearchParams({
        response_type: 'code',
        client_id: clientId,
        redirect_uri: REDIRECT_URI,
        code_challenge: createHash('sha256').update(verifier).digest('base64url'),
        code_challenge_method: 'S256',
        scope,
        resource,
        state
    }).toString();
    const authorization = await request(authorize);
    const location = authorization.headers.get('location');
    if (!location) throw new Error(`the authorization request got ${authorization.status} without a redirect`);
    const redirect = new URL(location);
    if (redirect.searchParams.get('state') !== state) throw new Error('the redirect does not return our state');
    const code = redirect.searchParams.get('code');
    if (!code) throw new Error(`the redirect has no code: ${redirect.search}`);

    const token = await request(metadata.token_endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
            grant_type: 'authorization_code',
            code,
            client_id: clientId,
            redirect_uri: REDIRECT_URI,
            code_verifier: verifier,
            resource
        })
    });
    const body = await token.json();
    if (!body.access_token) throw new Error(`the token response (${token.status}) has no access_token`);
    process.stdout.write(`${body.access_token}\n`);
}

main().catch(error => {
    console.error(`get-token.mjs: ${error.message}`);
    process.exit(1);
});
