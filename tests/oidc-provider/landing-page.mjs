// Runs the host's SSO landing page script (read from stdin) the way a browser would run it at LANDING_URL: with the pieces of
// the DOM it touches recorded, and its fetch sent for real to the host. Prints what happened as JSON:
//   { events: [{replaceState}|{fetch, locationAtFetch, referrerPolicy, credentials}|{setItem}|{status}], status, storage }
// Started by tests/Lyndrix.IntegrationTests/Support/LandingPageRunner.cs.
import vm from 'node:vm';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const script = Buffer.concat(chunks).toString('utf8');

const page = new URL(process.env.LANDING_URL);
const location = { href: page.href, pathname: page.pathname, search: page.search, hash: page.hash };
const events = [];
const storage = {};
let status = null;
let done;
const finished = new Promise((resolve) => { done = resolve; });

const history = {
  replaceState(state, title, url) {
    const next = new URL(url, page);
    Object.assign(location, { href: next.href, pathname: next.pathname, search: next.search, hash: next.hash });
    events.push({ replaceState: next.href });
  },
};
const context = {
  URLSearchParams,
  window: { location, history },
  document: {
    getElementById: (id) => (id !== 'status' ? null : {
      set textContent(value) { status = value; events.push({ status: value }); done(); },
    }),
  },
  sessionStorage: { setItem(key, value) { storage[key] = value; events.push({ setItem: key }); } },
  fetch(url, init) {
    events.push({ fetch: String(url), locationAtFetch: location.href, referrerPolicy: init.referrerPolicy, credentials: init.credentials });
    return fetch(new URL(url, page), { method: init.method, headers: init.headers, body: init.body });
  },
};

vm.runInNewContext(script, context);
await Promise.race([finished, new Promise((resolve) => { setTimeout(resolve, 10000); })]);
console.log(JSON.stringify({ events, status, storage }));
