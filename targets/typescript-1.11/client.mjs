#!/usr/bin/env node
// Adapter: an OLD release of the official TypeScript MCP SDK (`@modelcontextprotocol/sdk` 1.11.5, May 2025,
// the last 1.11.x) as an OAuth client. It follows the same contract as `targets/typescript/client.mjs` (a
// port of the official conformance client) but can only use what 1.11 has. 1.11 implements the
// 2025-03-26 authorization spec; the adapter uses its public API as that release intends it:
//
//   - `OAuthClientProvider` (client/auth.js): an in-memory provider whose `redirectToAuthorization` plays
//     the browser (fetches the authorization URL without following the redirect, keeps the `code`);
//   - `StreamableHTTPClientTransport({authProvider})`: in 1.11 the transport is the only place that reacts
//     to a 401 (it has no `fetch` option, so the conformance client's retry middleware cannot be plugged
//     in). On a 401 the SDK calls `auth(provider, {serverUrl})`; when that ends in a redirect the
//     transport throws `UnauthorizedError`, and the application calls `transport.finishAuth(code)` and
//     connects again with a new transport (the pattern of the SDK's later `simpleOAuthClient` example);
//   - nothing else: no metadata, header or token handling of our own.
//
// What SDK 1.11.5 lacks (see README.md "Findings"; also listed in every result line as `sdk_lacks`):
//   - RFC 9728 protected resource metadata: `auth()` never reads `WWW-Authenticate` nor fetches a PRM; it
//     looks for RFC 8414 metadata only at `<MCP origin>/.well-known/oauth-authorization-server`, and
//     without it uses `/register`, `/authorize`, `/token` on the MCP origin;
//   - OpenID Connect discovery and RFC 8414 path insertion; an `issuer` check of the metadata;
//   - RFC 8707 `resource` parameters; `state` (no `state()` in the provider interface); RFC 9207 `iss`;
//   - client ID metadata documents (no `clientMetadataUrl`); `client_secret_basic` (a secret is always
//     sent in the body); the client-credentials grant (no `ClientCredentialsProvider` /
//     `PrivateKeyJwtProvider`): those scenarios report `unsupported` without contacting anything;
//   - any reaction to 403 `insufficient_scope` (step-up) or to the challenge's `scope`;
//   - timeouts on its OAuth requests (plain global `fetch`, no `signal`).
//
// Contract (the MCP conformance client contract):
//   node client.mjs [...] <mcp-server-url>      the server URL is the LAST argument
//   MCP_CONFORMANCE_SCENARIO   scenario name; selects the handler (see `handlerFor`)
//   MCP_CONFORMANCE_CONTEXT    JSON (optional): `client_id` + `client_secret` (pre-registration,
//                              client-credentials-basic) or `client_id` + `private_key_pem` (client-credentials-jwt)
// Flow: connect (initialize, notifications/initialized), tools/list, tools/call `test-tool` with `{}`,
// close. Output: exactly one JSON line on stdout, `{"ok":true,...}` (exit 0) or
// `{"ok":false,"error":"..."}` (exit 1). Progress goes to stderr.
// Like the official client it sets no timeouts of its own: the caller (the suite, or the tests) kills
// the process when it takes too long.

import { readFileSync } from 'node:fs';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';

/** The official client's redirect URI (nothing listens there: the code is read from the Location header). */
const REDIRECT_URI = 'http://localhost:3000/callback';
const TEST_TOOL = 'test-tool';

/** Features of the current authorization spec that SDK 1.11.5 does not have (see the header comment). */
const SDK_LACKS = [
    'protected-resource-metadata',
    'oidc-discovery',
    'rfc8414-path-insertion',
    'metadata-issuer-check',
    'resource-parameter',
    'state',
    'iss-parameter',
    'client-id-metadata-documents',
    'client-secret-basic',
    'client-credentials',
    'scope-step-up',
    'oauth-request-timeouts'
];

const SDK_VERSION = (() => {
    try {
        const url = new URL('./node_modules/@modelcontextprotocol/sdk/package.json', import.meta.url);
        return JSON.parse(readFileSync(url, 'utf8')).version;
    } catch {
        return 'unknown';
    }
})();

let finished = false;

function finish(result, code) {
    if (finished) return;
    finished = true;
    process.stdout.write(JSON.stringify({ ...result, sdk_lacks: SDK_LACKS }) + '\n', () => process.exit(code));
}

function fail(error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    finish({ ok: false, sdk: SDK_VERSION, error: message }, 1);
}

function log(message) {
    process.stderr.write(`[typescript-sdk ${SDK_VERSION}] ${message}\n`);
}

process.on('unhandledRejection', fail);
process.on('uncaughtException', fail);

/** A feature the scenario needs and SDK 1.11.5 does not have: said in the result line, exit 1. */
class Unsupported extends Error {
    constructor(message) {
        super(message);
        this.name = 'Unsupported';
    }
}

/**
 * An in-memory `OAuthClientProvider` (the 1.11 interface: no `state()`, no `clientMetadataUrl`, no
 * `invalidateCredentials`). `redirectToAuthorization` plays the browser: it fetches the authorization URL
 * without following the redirect and keeps the `code` of the `Location` header until the adapter hands
 * it to `transport.finishAuth`.
 */
class InMemoryOAuthProvider {
    constructor(redirectUrl, clientMetadata) {
        this._redirectUrl = redirectUrl;
        this._clientMetadata = clientMetadata;
        this._clientInformation = undefined;
        this._tokens = undefined;
        this._codeVerifier = undefined;
        this._authCode = undefined;
    }

    get redirectUrl() {
        return this._redirectUrl;
    }

    get clientMetadata() {
        return this._clientMetadata;
    }

    clientInformation() {
        return this._clientInformation;
    }

    saveClientInformation(clientInformation) {
        log(`client information saved: client_id=${clientInformation.client_id}`);
        this._clientInformation = clientInformation;
    }

    tokens() {
        return this._tokens;
    }

    /** Stores exactly what the SDK hands over: a rotated refresh token replaces the old one. */
    saveTokens(tokens) {
        log(
            `tokens saved (token_type=${tokens.token_type}, scope=${tokens.scope ?? '-'}, ` +
                `refresh_token ${tokens.refresh_token ? 'present' : 'absent'})`
        );
        this._tokens = tokens;
    }

    async redirectToAuthorization(authorizationUrl) {
        log(`authorization request: ${authorizationUrl.href}`);
        const response = await fetch(authorizationUrl.toString(), { redirect: 'manual' });
        const location = response.headers.get('location');
        if (!location) {
            throw new Error(`No redirect location received, from '${authorizationUrl.toString()}' (HTTP ${response.status})`);
        }
        const code = new URL(location).searchParams.get('code');
        if (!code) throw new Error('No auth code in redirect URL');
        log('authorization code received');
        this._authCode = code;
    }

    /** The code of the last redirect, once (the application's callback). */
    takeAuthCode() {
        const code = this._authCode;
        this._authCode = undefined;
        return code;
    }

    saveCodeVerifier(codeVerifier) {
        this._codeVerifier = codeVerifier;
    }

    codeVerifier() {
        if (!this._codeVerifier) throw new Error('No code verifier saved');
        return this._codeVerifier;
    }
}

function newClient(name) {
    return new Client({ name, version: '1.0.0' }, { capabilities: {} });
}

/**
 * After the SDK threw `UnauthorizedError` because `auth()` redirected: hand the code to
 * `transport.finishAuth` (the SDK's `auth()` with the code). False when there was no redirect, i.e. the
 * error was not one the application can resolve.
 */
async function finishAuthorization(error, provider, transport) {
    if (!(error instanceof UnauthorizedError)) return false;
    const code = provider.takeAuthCode();
    if (!code) return false;
    log('authorization redirect completed: transport.finishAuth(code)');
    await transport.finishAuth(code);
    return true;
}

/**
 * Connects as a 1.11 application does: connect; on `UnauthorizedError` after a redirect, `finishAuth`
 * and connect again with a new transport and client (a started transport cannot be restarted). At most
 * one retry.
 */
async function connect(serverUrl, provider, name) {
    for (let attempt = 0; ; attempt++) {
        const transport = new StreamableHTTPClientTransport(serverUrl, { authProvider: provider });
        const client = newClient(name);
        try {
            await client.connect(transport);
            return { client, transport };
        } catch (error) {
            if (attempt === 0 && (await finishAuthorization(error, provider, transport))) continue;
            throw error;
        }
    }
}

/** One request; when the SDK's 401 handling ended in a redirect, `finishAuth` and retry once. */
async function withReauthorization(provider, transport, request) {
    try {
        return await request();
    } catch (error) {
        if (await finishAuthorization(error, provider, transport)) return await request();
        throw error;
    }
}

function toolOutput(result) {
    if (result.structuredContent) return result.structuredContent;
    const text = (result.content ?? []).find(c => c.type === 'text')?.text;
    return text === undefined ? { content: result.content } : { text };
}

/** connect, tools/list, tools/call `test-tool` with `{}`, close. */
async function session(serverUrl, provider, name, scenario) {
    const { client, transport } = await connect(serverUrl, provider, name);
    log('connected');
    const { tools } = await withReauthorization(provider, transport, () => client.listTools());
    log(`tools: ${tools.map(t => t.name).join(', ')}`);
    const result = await withReauthorization(provider, transport, () =>
        client.callTool({ name: TEST_TOOL, arguments: {} })
    );
    log(`${TEST_TOOL} called${result.isError ? ' (isError)' : ''}`);
    await transport.close().catch(() => {});
    return {
        ok: true,
        sdk: SDK_VERSION,
        ...(scenario ? { scenario } : {}),
        tools: tools.map(t => t.name),
        test_tool: { is_error: result.isError === true, output: toolOutput(result) }
    };
}

/** Authorization code with PKCE; dynamic registration (1.11 has no client ID metadata documents). */
async function runAuthClient(serverUrl, scenario) {
    // application_type (SEP-837, 2026-07-28) as in targets/typescript: 1.11 posts the application's
    // client metadata unchanged, so the adapter supplies it, as the official conformance client does.
    const provider = new InMemoryOAuthProvider(REDIRECT_URI, {
        client_name: 'test-auth-client',
        redirect_uris: [REDIRECT_URI],
        application_type: 'native'
    });
    return session(serverUrl, provider, 'test-auth-client', scenario);
}

/** The context's credentials are stored up front, so no registration. */
async function runPreRegistration(serverUrl, scenario, context) {
    const provider = new InMemoryOAuthProvider(REDIRECT_URI, {
        client_name: 'conformance-pre-registration',
        redirect_uris: [REDIRECT_URI]
    });
    provider.saveClientInformation({ client_id: context.client_id, client_secret: context.client_secret });
    return session(serverUrl, provider, 'conformance-pre-registration', scenario);
}

/** SDK 1.11 has no client-credentials grant: `auth()` only knows the authorization code flow. */
async function runClientCredentials() {
    throw new Unsupported(
        `SDK ${SDK_VERSION} has no client_credentials grant (no ClientCredentialsProvider or ` +
            'PrivateKeyJwtProvider; auth() only runs the authorization code flow)'
    );
}

function handlerFor(scenario, context) {
    if (scenario === 'auth/client-credentials-jwt' || scenario === 'auth/client-credentials-basic') {
        return runClientCredentials;
    }
    if (scenario === 'auth/pre-registration' || (context.client_id && context.client_secret)) return runPreRegistration;
    return runAuthClient;
}

function parseContext() {
    const raw = process.env.MCP_CONFORMANCE_CONTEXT;
    if (!raw) return {};
    const context = JSON.parse(raw);
    if (context === null || typeof context !== 'object') throw new Error('MCP_CONFORMANCE_CONTEXT is not a JSON object');
    return context;
}

async function main() {
    if (process.argv.length < 3) throw new Error('usage: node client.mjs <mcp-server-url>');
    const serverUrl = new URL(process.argv[process.argv.length - 1]);
    const scenario = process.env.MCP_CONFORMANCE_SCENARIO || undefined;
    const context = parseContext();
    const handler = handlerFor(scenario, context);
    log(`connecting to ${serverUrl.href} (scenario ${scenario ?? '-'}, handler ${handler.name})`);
    finish(await handler(serverUrl, scenario, context), 0);
}

main().catch(error => {
    if (error instanceof Unsupported) {
        finish({ ok: false, sdk: SDK_VERSION, unsupported: true, error: `${error.name}: ${error.message}` }, 1);
    } else {
        fail(error);
    }
});
