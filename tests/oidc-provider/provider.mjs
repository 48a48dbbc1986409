// A certified OpenID provider (oidc-provider) on loopback for Lyndrix's OIDC integration tests, started by
// tests/Lyndrix.IntegrationTests/Support/OidcProviderServer.cs. It listens on a free port, prints "READY <issuer>" and serves:
//   - the provider itself, with its default in-memory storage;
//   - a plain login and consent UI at /interaction/:uid (real password checks, HTML forms a browser would submit);
//   - POST /__test/rotate, which replaces the signing key (the published set then holds only the new key).
// Configuration comes as JSON in OIDC_TEST_CONFIG:
//   redirectUri   the relying party's redirect URI
//   secret        the client secret of both clients
//   claimsIn      "userinfo" (OIDC Core §5.4 defaults: the ID token carries only sub; claims are served at userinfo) or
//                 "idtoken" (no userinfo endpoint; the claims are in the ID token)
//   authMethods   token_endpoint_auth_methods_supported; a client is registered for each of client_secret_basic and
//                 client_secret_post that is listed: "lyndrix-basic" and "lyndrix-post"
//   userinfoSub   when set, userinfo answers with this sub instead of the user's (a misbehaving or hostile provider)
import { createServer } from 'node:http';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import Provider from 'oidc-provider';

const config = JSON.parse(process.env.OIDC_TEST_CONFIG ?? '{}');
const claimsIn = config.claimsIn ?? 'userinfo';
const authMethods = config.authMethods ?? ['client_secret_basic', 'client_secret_post'];

const accounts = {
  alice: { password: 'alice-Pw-1', name: 'Alice Liddell', email: 'alice@example.org', groups: ['staff', 'lyndrix-admins'] },
  bob: { password: 'bob-Pw-1', name: 'Bob Builder', email: 'bob@example.org', groups: ['staff'] },
};

function signingKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };
}

function html(body) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Test provider</title></head><body>${body}</body></html>`;
}

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

let issuer;
let provider;

function createProvider(key) {
  const clients = [['lyndrix-basic', 'client_secret_basic'], ['lyndrix-post', 'client_secret_post']]
    .filter(([, method]) => authMethods.includes(method))
    .map(([clientId, method]) => ({
      client_id: clientId,
      client_secret: config.secret,
      redirect_uris: [config.redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: method,
    }));
  const created = new Provider(issuer, {
    clients,
    jwks: { keys: [key] },
    clientAuthMethods: authMethods,
    cookies: { keys: ['lyndrix-test-cookie-key'] },
    pkce: { required: () => true },
    scopes: ['openid', 'profile', 'email', 'groups'],
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email', 'email_verified'], groups: ['groups'] },
    conformIdTokenClaims: claimsIn === 'userinfo',
    features: { devInteractions: { enabled: false }, userinfo: { enabled: claimsIn === 'userinfo' } },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: (ctx, id) => (accounts[id] ? {
      accountId: id,
      claims: () => ({ sub: id, preferred_username: id, name: accounts[id].name, email: accounts[id].email, email_verified: true, groups: accounts[id].groups }),
    } : undefined),
  });
  // What a relying party's token request authenticated with, for the tests to read (oidc-provider accepts either secret
  // method for a client registered with one of them).
  created.use(async (ctx, next) => {
    if (ctx.method === 'POST' && ctx.path === '/token') {
      const basic = (ctx.get('authorization') || '').startsWith('Basic ');
      console.log(`TOKEN_AUTH ${basic ? 'client_secret_basic' : 'client_secret_post'}`);
    }
    await next();
  });
  if (config.userinfoSub) {
    created.use(async (ctx, next) => {
      await next();
      if (ctx.oidc?.route === 'userinfo' && ctx.body && typeof ctx.body === 'object') {
        ctx.body = { ...ctx.body, sub: config.userinfoSub };
      }
    });
  }
  return created;
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  if (req.method === 'GET') {
    const prompt = details.prompt.name;
    const form = prompt === 'login'
      ? `<form method="post" action="/interaction/${uid}/login"><input name="login"><input name="password" type="password"><button>Sign in</button></form>`
      : `<form method="post" action="/interaction/${uid}/confirm"><button>Allow</button></form>`;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html(`<h1>${escape(prompt)}</h1>${form}`));
    return;
  }

  const form = await readForm(req);
  if (action === 'login') {
    const login = form.get('login');
    if (!accounts[login] || accounts[login].password !== form.get('password')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html('<p>Wrong user name or password.</p>'));
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
    return;
  }

  const { prompt: { details: missing }, params, session: { accountId } } = details;
  const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId, clientId: params.client_id });
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  if (missing.missingResourceScopes) {
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes)) grant.addResourceScope(indicator, scopes.join(' '));
  }
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

const server = createServer(async (req, res) => {
  try {
    const url = new URL(req.url, issuer);
    if (req.method === 'POST' && url.pathname === '/__test/rotate') {
      const key = signingKey();
      provider = createProvider(key);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ kid: key.kid }));
      return;
    }
    const match = /^\/interaction\/([^/]+)(?:\/(login|confirm))?$/.exec(url.pathname);
    if (match) {
      await interaction(req, res, match[1], match[2]);
      return;
    }
    provider.callback()(req, res);
  } catch (error) {
    console.error(error);
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error?.message ?? error));
  }
});

server.listen(0, '127.0.0.1', () => {
  issuer = `http://127.0.0.1:${server.address().port}`;
  provider = createProvider(signingKey());
  console.log(`READY ${issuer}`);
});

// The test process owns this one: when its stdin closes (the fixture ended or died), stop.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
