#!/usr/bin/env node
// Adapter: the official TypeScript MCP SDK as an OAuth client, driven headlessly.
//
// Contract (the MCP conformance client contract):
//   node client.mjs [...] <mcp-server-url>      the server URL is the LAST argument
//   MCP_CONFORMANCE_SCENARIO   scenario name (optional, only echoed back)
//   MCP_CONFORMANCE_CONTEXT    JSON (optional); `client_id` / `client_secret` select a pre-registered client
// Output: exactly one JSON line on stdout, `{"ok":true,...}` (exit 0) or `{"ok":false,"error":"..."}`
// (exit 1). Progress goes to stderr.
//
// Only the SDK's public API is used: `Client`, `StreamableHTTPClientTransport`, an `OAuthClientProvider`
// and `UnauthorizedError`. The "user agent" is a `fetch` with `redirect: 'manual'`: the authorization
// endpoint must redirect at once (the mock's automatic consent) to our redirect URI, from which the code
// is read. Nothing listens on the redirect URI.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';

const OVERALL_TIMEOUT_MS = 20_000;
const REQUEST_TIMEOUT_MS = 10_000;
const REDIRECT_URI = 'http://127.0.0.1:47913/callback';

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
setTimeout(() => fail(new Error(`timed out after ${OVERALL_TIMEOUT_MS / 1000} s`)), OVERALL_TIMEOUT_MS);

/** In-memory provider; `redirectToAuthorization` plays the browser and the callback server. */
class HeadlessProvider {
    constructor(context) {
        this.preRegistered = context.client_id
            ? { client_id: context.client_id, ...(context.client_secret ? { client_secret: context.client_secret } : {}) }
            : undefined;
        this.clientInfo = this.preRegistered;
        this.savedTokens = undefined;
        this.verifier = undefined;
        this.sentState = undefined;
        this.authorizationCode = undefined;
    }

    get redirectUrl() {
        return REDIRECT_URI;
    }

    get clientMetadata() {
        return {
            client_name: 'mcp-authlab TypeScript SDK target',
            redirect_uris: [REDIRECT_URI],
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
            token_endpoint_auth_method: this.preRegistered?.client_secret ? 'client_secret_basic' : 'none'
        };
    }

    state() {
        this.sentState = randomBytes(16).toString('base64url');
        return this.sentState;
    }

    clientInformation() {
        return this.clientInfo;
    }

    saveClientInformation(info) {
        log(`registered as client_id=${info.client_id}`);
        this.clientInfo = info;
    }

    tokens() {
        return this.savedTokens;
    }

    saveTokens(tokens) {
        log(`received tokens (token_type=${tokens.token_type}, scope=${tokens.scope ?? '-'})`);
        this.savedTokens = tokens;
    }

    saveCodeVerifier(verifier) {
        this.verifier = verifier;
    }

    codeVerifier() {
        if (!this.verifier) throw new Error('no PKCE code verifier was saved');
        return this.verifier;
    }

    async redirectToAuthorization(authorizationUrl) {
        log(`authorization request: ${authorizationUrl.href}`);
        const response = await fetch(authorizationUrl, {
            redirect: 'manual',
            signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS)
        });
        const location = response.headers.get('location');
        if (response.status < 300 || response.status > 399 || !location) {
            const body = (await response.text()).slice(0, 300);
            throw new Error(`authorization endpoint answered ${response.status} without a redirect: ${body}`);
        }
        const target = new URL(location, authorizationUrl);
        const expected = new URL(REDIRECT_URI);
        if (target.origin !== expected.origin || target.pathname !== expected.pathname) {
            throw new Error(`authorization endpoint redirected to ${target.href}, not to our redirect_uri ${REDIRECT_URI}`);
        }
        const params = target.searchParams;
        if (params.has('error')) {
            const description = params.get('error_description');
            throw new Error(`authorization error ${params.get('error')}${description ? `: ${description}` : ''}`);
        }
        if (this.sentState !== undefined && params.get('state') !== this.sentState) {
            throw new Error(`state mismatch in the redirect: sent ${this.sentState}, got ${params.get('state')}`);
        }
        const code = params.get('code');
        if (!code) throw new Error(`redirect without a code: ${target.href}`);
        log('authorization code received');
        this.authorizationCode = code;
    }
}

function parseContext() {
    const raw = process.env.MCP_CONFORMANCE_CONTEXT;
    if (!raw) return {};
    const context = JSON.parse(raw);
    if (context === null || typeof context !== 'object') throw new Error('MCP_CONFORMANCE_CONTEXT is not a JSON object');
    return context;
}

function newClient() {
    return new Client({ name: 'mcp-authlab-typescript-target', version: '0.1.0' }, { capabilities: {} });
}

/** The SDK's usual pattern: connect, on UnauthorizedError finish the authorization, connect again. */
async function connect(serverUrl, provider) {
    const first = new StreamableHTTPClientTransport(serverUrl, { authProvider: provider });
    const client = newClient();
    try {
        await client.connect(first);
        return client;
    } catch (error) {
        if (!(error instanceof UnauthorizedError)) throw error;
        if (!provider.authorizationCode) {
            throw new Error(`the SDK gave up before the authorization redirect: ${error.message}`);
        }
    }
    await first.finishAuth(provider.authorizationCode);
    await first.close().catch(() => {});
    const second = new StreamableHTTPClientTransport(serverUrl, { authProvider: provider });
    const authorized = newClient();
    await authorized.connect(second);
    return authorized;
}

function toolOutput(result) {
    if (result.structuredContent) return result.structuredContent;
    const text = (result.content ?? []).find(c => c.type === 'text')?.text;
    if (text === undefined) return { content: result.content };
    try {
        return JSON.parse(text);
    } catch {
        return { text };
    }
}

async function main() {
    if (process.argv.length < 3) throw new Error('usage: node client.mjs <mcp-server-url>');
    const serverUrl = new URL(process.argv[process.argv.length - 1]);
    const scenario = process.env.MCP_CONFORMANCE_SCENARIO;
    const provider = new HeadlessProvider(parseContext());
    log(`connecting to ${serverUrl.href}${scenario ? ` (scenario ${scenario})` : ''}`);

    const client = await connect(serverUrl, provider);
    log('connected');
    const { tools } = await client.listTools();
    const whoamiResult = await client.callTool({ name: 'whoami', arguments: {} });
    if (whoamiResult.isError) throw new Error(`whoami returned an error: ${JSON.stringify(whoamiResult.content)}`);
    await client.close().catch(() => {});
    finish(
        {
            ok: true,
            sdk: SDK_VERSION,
            ...(scenario ? { scenario } : {}),
            tools: tools.map(t => t.name),
            whoami: toolOutput(whoamiResult)
        },
        0
    );
}

main().catch(fail);
