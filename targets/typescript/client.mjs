#!/usr/bin/env node
// Adapter: the official TypeScript MCP SDK (`@modelcontextprotocol/sdk`) as an OAuth client, driven the
// way the official conformance client drives it (modelcontextprotocol/conformance,
// examples/clients/typescript/everything-client.ts with helpers/withOAuthRetry.ts and
// helpers/ConformanceOAuthProvider.ts). It is a port of that client to plain JavaScript, not an
// improvement on it: whatever fails here fails for the SDK as the official harness uses it.
//
// Contract (the MCP conformance client contract):
//   node client.mjs [...] <mcp-server-url>      the server URL is the LAST argument
//   MCP_CONFORMANCE_SCENARIO   scenario name; selects the handler (see `handlerFor`)
//   MCP_CONFORMANCE_CONTEXT    JSON (optional): `client_id` + `client_secret` (pre-registration,
//                              client-credentials-basic) or `client_id` + `private_key_pem` +
//                              `signing_algorithm` (client-credentials-jwt)
// Flow: connect (initialize, notifications/initialized), tools/list, tools/call `test-tool` with `{}`,
// close. Output: exactly one JSON line on stdout, `{"ok":true,...}` (exit 0) or
// `{"ok":false,"error":"..."}` (exit 1). Progress goes to stderr.
//
// Where this differs from the official client (none of it changes what a single SDK call does):
//   - unknown or unset scenario names use the authorization-code handler instead of exiting 1, so the
//     adapter also runs mcp-authlab's own `auth/*` scenarios and a plain `mcp-authlab idp`;
//   - a context with `client_id` + `client_secret` in a scenario other than the client-credentials ones
//     takes the pre-registration handler (the official client only does so for `auth/pre-registration`);
//   - the client-credentials handlers also call `test-tool` (the official ones stop after tools/list);
//   - the retry middleware runs one `handle401` at a time (see `withOAuthRetryWithProvider`).
// Like the official client it sets no timeouts of its own: the SDK's requests use plain `fetch`, and the
// caller (the suite, or the tests) kills the process when it takes too long.

import { readFileSync } from 'node:fs';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ClientCredentialsProvider, PrivateKeyJwtProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { auth, extractWWWAuthenticateParams, UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';

/** The official client's redirect URI (nothing listens there: the code is read from the Location header). */
const REDIRECT_URI = 'http://localhost:3000/callback';
/** The official client's client ID metadata document URL (SEP-991); nobody serves it. */
const CIMD_CLIENT_METADATA_URL = 'https://conformance-test.local/client-metadata.json';
const TEST_TOOL = 'test-tool';

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
    process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(code));
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

/**
 * The official `ConformanceOAuthProvider`: everything in memory, no `state()` (the SDK then sends no
 * `state`), and `redirectToAuthorization` plays the browser: it fetches the authorization URL without
 * following the redirect and keeps the `code` of the `Location` header.
 */
class ConformanceOAuthProvider {
    constructor(redirectUrl, clientMetadata, clientMetadataUrl) {
        this._redirectUrl = redirectUrl;
        this._clientMetadata = clientMetadata;
        this._clientMetadataUrl = clientMetadataUrl;
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

    /** SEP-991: the SDK uses this as the client_id when the AS sets client_id_metadata_document_supported. */
    get clientMetadataUrl() {
        return this._clientMetadataUrl?.toString();
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

    async getAuthCode() {
        if (this._authCode) return this._authCode;
        throw new Error('No authorization code');
    }

    saveCodeVerifier(codeVerifier) {
        this._codeVerifier = codeVerifier;
    }

    codeVerifier() {
        if (!this._codeVerifier) throw new Error('No code verifier saved');
        return this._codeVerifier;
    }

    /** Called by the SDK's `auth()` after invalid_client / unauthorized_client ('all') or invalid_grant ('tokens'). */
    invalidateCredentials(scope) {
        log(`credentials invalidated (${scope})`);
        this._tokens = undefined;
        this._authCode = undefined;
        if (scope === 'all') {
            this._clientInformation = undefined;
            this._codeVerifier = undefined;
        }
    }
}

/** The official `handle401`: run the SDK's `auth()`; after a redirect, run it again with the code. */
async function handle401(response, provider, next, serverUrl) {
    const { resourceMetadataUrl, scope } = extractWWWAuthenticateParams(response);
    log(`HTTP ${response.status}: auth(scope=${scope ?? '-'})`);
    let result = await auth(provider, { serverUrl, resourceMetadataUrl, scope, fetchFn: next });
    if (result === 'REDIRECT') {
        const authorizationCode = await provider.getAuthCode();
        result = await auth(provider, { serverUrl, resourceMetadataUrl, scope, authorizationCode, fetchFn: next });
        if (result !== 'AUTHORIZED') {
            throw new UnauthorizedError(`Authentication failed with result: ${result}`);
        }
    }
}

/**
 * The official `withOAuthRetryWithProvider` fetch middleware: bearer token from the provider; on a 401
 * or 403, `handle401` once, then retry once; a second 401 or 403 throws.
 *
 * One deviation: `handle401` runs one at a time. The SDK's transport opens its SSE GET right after
 * `notifications/initialized`, concurrently with the next POST, so both can be answered 401 at once; the
 * official middleware then runs two `auth()` calls in parallel (two authorization requests whose PKCE
 * verifiers overwrite each other, or two refreshes with the same refresh token), and the outcome
 * depends on timing. Serialized, each `auth()` starts from what the previous one stored, which makes
 * every scenario deterministic without changing what a single `auth()` call does.
 */
const withOAuthRetryWithProvider = (provider, baseUrl) => next => {
    let authQueue = Promise.resolve();
    const serialized = task => {
        const run = authQueue.then(task, task);
        authQueue = run.catch(() => {});
        return run;
    };
    return async (input, init) => {
        const makeRequest = async () => {
            const headers = new Headers(init?.headers);
            const tokens = await provider.tokens();
            if (tokens) headers.set('Authorization', `Bearer ${tokens.access_token}`);
            return await next(input, { ...init, headers });
        };
        let response = await makeRequest();
        if (response.status === 401 || response.status === 403) {
            const serverUrl = baseUrl || (typeof input === 'string' ? new URL(input).origin : input.origin);
            await serialized(() => handle401(response, provider, next, serverUrl));
            response = await makeRequest();
        }
        if (response.status === 401 || response.status === 403) {
            const url = typeof input === 'string' ? input : input.toString();
            throw new UnauthorizedError(`Authentication failed for ${url}`);
        }
        return response;
    };
};

function newClient(name) {
    return new Client({ name, version: '1.0.0' }, { capabilities: {} });
}

function toolOutput(result) {
    if (result.structuredContent) return result.structuredContent;
    const text = (result.content ?? []).find(c => c.type === 'text')?.text;
    return text === undefined ? { content: result.content } : { text };
}

/** connect, tools/list, tools/call `test-tool` with `{}`, close. */
async function session(client, transport, scenario) {
    await client.connect(transport);
    log('connected');
    const { tools } = await client.listTools();
    log(`tools: ${tools.map(t => t.name).join(', ')}`);
    const result = await client.callTool({ name: TEST_TOOL, arguments: {} });
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

/** The official `runAuthClient`: DCR or CIMD, authorization code with PKCE, via the retry middleware. */
async function runAuthClient(serverUrl, scenario) {
    const provider = new ConformanceOAuthProvider(
        REDIRECT_URI,
        // application_type: 2026-07-28 requires it in registration requests (SEP-837); the official
        // conformance client sends it too. The SDK passes the application's metadata through.
        { client_name: 'test-auth-client', redirect_uris: [REDIRECT_URI], application_type: 'native' },
        CIMD_CLIENT_METADATA_URL
    );
    const oauthFetch = withOAuthRetryWithProvider(provider, serverUrl)(fetch);
    const transport = new StreamableHTTPClientTransport(serverUrl, { fetch: oauthFetch });
    return session(newClient('test-auth-client'), transport, scenario);
}

/** The official `runPreRegistration`: the context's credentials are stored up front, so no DCR. */
async function runPreRegistration(serverUrl, scenario, context) {
    const provider = new ConformanceOAuthProvider(REDIRECT_URI, {
        client_name: 'conformance-pre-registration',
        redirect_uris: [REDIRECT_URI]
    });
    provider.saveClientInformation({
        client_id: context.client_id,
        client_secret: context.client_secret,
        redirect_uris: [REDIRECT_URI]
    });
    const oauthFetch = withOAuthRetryWithProvider(provider, serverUrl)(fetch);
    const transport = new StreamableHTTPClientTransport(serverUrl, { fetch: oauthFetch });
    return session(newClient('conformance-pre-registration'), transport, scenario);
}

/** The official `runClientCredentialsJwt`: the SDK's `PrivateKeyJwtProvider` as the transport's authProvider. */
async function runClientCredentialsJwt(serverUrl, scenario, context) {
    requireContext(context, ['client_id', 'private_key_pem']);
    const provider = new PrivateKeyJwtProvider({
        clientId: context.client_id,
        privateKey: context.private_key_pem,
        algorithm: context.signing_algorithm || 'ES256'
    });
    const transport = new StreamableHTTPClientTransport(serverUrl, { authProvider: provider });
    return session(newClient('conformance-client-credentials-jwt'), transport, scenario);
}

/** The official `runClientCredentialsBasic`: the SDK's `ClientCredentialsProvider`. */
async function runClientCredentialsBasic(serverUrl, scenario, context) {
    requireContext(context, ['client_id', 'client_secret']);
    const provider = new ClientCredentialsProvider({ clientId: context.client_id, clientSecret: context.client_secret });
    const transport = new StreamableHTTPClientTransport(serverUrl, { authProvider: provider });
    return session(newClient('conformance-client-credentials-basic'), transport, scenario);
}

function requireContext(context, fields) {
    const missing = fields.filter(f => typeof context[f] !== 'string' || !context[f]);
    if (missing.length > 0) throw new Error(`MCP_CONFORMANCE_CONTEXT lacks ${missing.join(', ')}`);
}

function handlerFor(scenario, context) {
    if (scenario === 'auth/client-credentials-jwt') return runClientCredentialsJwt;
    if (scenario === 'auth/client-credentials-basic') return runClientCredentialsBasic;
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

main().catch(fail);
