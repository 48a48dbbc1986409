// Lyndrix operator console. Plain script, no build step, loaded from this host only (its Content-Security-Policy allows
// nothing else, not even inline code). It only calls the host's HTTP API: the page is picked from the host's state, the way
// the original's UI routes (uninitialized -> setup, sealed -> unseal, booting -> boot steps, maintenance -> what is wrong,
// otherwise sign-in, then the dashboard). A browser session is an HttpOnly cookie the script never sees; state changes send
// the CSRF token the host gave this page.
(function () {
  'use strict';

  var $ = function (id) { return document.getElementById(id); };
  var SSO_STORAGE_KEY = 'lyndrix.session';
  var state = {
    page: null, me: null, csrf: null, timer: null, busy: false, vault: null,
    rendered: { plugins: '', sessions: '', timeline: '', boot: '', maintenance: '' }
  };

  function ApiError(status, problem) {
    this.status = status;
    this.code = problem && problem.code;
    this.message = (problem && (problem.detail || problem.title)) || ('The host answered HTTP ' + status + '.');
  }

  // A token from single sign-on (the landing page keeps it in sessionStorage) is sent as a bearer token; otherwise the
  // browser's cookie carries the session.
  function ssoToken() {
    try {
      var saved = JSON.parse(sessionStorage.getItem(SSO_STORAGE_KEY) || 'null');
      return saved && saved.token ? saved.token : null;
    } catch (e) {
      return null;
    }
  }

  async function api(method, path, body, accept) {
    var headers = { Accept: 'application/json' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
    }
    var bearer = ssoToken();
    if (bearer) {
      headers.Authorization = 'Bearer ' + bearer;
    } else if (method !== 'GET' && state.csrf) {
      headers['X-CSRF-Token'] = state.csrf;
    }
    var response = await fetch(path, {
      method: method, headers: headers, credentials: 'same-origin', cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body)
    });
    var text = await response.text();
    var data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (e) {
      data = null;
    }
    if (!response.ok && !(accept && accept.indexOf(response.status) >= 0)) {
      throw new ApiError(response.status, data);
    }
    return data;
  }

  // ---- helpers -------------------------------------------------------------------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === 'text') {
        node.textContent = attrs[key];
      } else if (key === 'className') {
        node.className = attrs[key];
      } else if (attrs[key] !== null && attrs[key] !== undefined && attrs[key] !== false) {
        node.setAttribute(key, attrs[key] === true ? '' : attrs[key]);
      }
    });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return node;
  }

  function tag(value) {
    return el('span', { className: 'tag state-' + String(value || 'unknown').replace(/[^a-z_]/gi, ''), text: value || 'unknown' });
  }

  function when(value) {
    if (!value) {
      return '—';
    }
    var date = new Date(value);
    return isNaN(date.getTime()) ? String(value) : date.toLocaleString();
  }

  function elapsed(since) {
    if (!since) {
      return '—';
    }
    var seconds = Math.max(0, Math.round((Date.now() - new Date(since).getTime()) / 1000));
    return seconds < 60 ? seconds + ' s ago' : Math.floor(seconds / 60) + ' min ' + (seconds % 60) + ' s ago';
  }

  function setError(id, message) {
    $(id).textContent = message || '';
  }

  function notice(message) {
    $('notice').textContent = message || '';
  }

  // Replaces a tbody's rows only when what they show changed, so a refresh does not take the keyboard focus away.
  function renderRows(key, tbody, rows, build) {
    var signature = JSON.stringify(rows);
    if (state.rendered[key] === signature) {
      return;
    }
    state.rendered[key] = signature;
    tbody.replaceChildren.apply(tbody, rows.map(build));
  }

  function show(page) {
    if (state.page === page) {
      return;
    }
    state.page = page;
    document.querySelectorAll('[data-page]').forEach(function (section) {
      section.hidden = section.id !== 'page-' + page;
    });
    var heading = document.querySelector('#page-' + page + ' h1');
    document.title = (heading ? heading.textContent + ' · ' : '') + 'Lyndrix console';
    document.body.dataset.current = page;
    // A new page: keyboard and screen reader users start at its first field, or at its heading's section.
    var field = document.querySelector('#page-' + page + ' .field:not([hidden]) input');
    (field || $('main')).focus();
  }

  function showUser(me) {
    $('user-nav').hidden = !me;
    document.body.classList.toggle('is-user', !!me && !me.is_admin);
    if (me) {
      $('user-name').textContent = me.display_name || me.username;
      $('user-role').textContent = me.is_admin ? 'Administrator' : 'User';
    }
  }

  // ---- routing by state ------------------------------------------------------------------------------------------------

  async function route() {
    var vault = await api('GET', '/api/vault/status');
    state.vault = vault;
    if (vault.ui_state === 'needs_init') {
      return showSetup(vault);
    }
    if (vault.ui_state === 'needs_unseal') {
      return showUnseal();
    }
    var boot = await api('GET', '/api/boot');
    var health = await api('GET', '/api/health', undefined, [503]);
    // Maintenance comes before the boot steps, as in the original: a service that cannot go on (a database refusing the
    // credentials, retries used up) needs the operator now, not after the boot step times out. The secret store's own locks
    // (sealed, unreachable) are already its ui_state: the unseal page, or 'error' here.
    var locks = Object.keys((health && health.maintenance) || {}).filter(function (service) { return service !== 'vault'; });
    if (boot.phase === 'failed' || vault.ui_state === 'error' || locks.length > 0) {
      return showMaintenance(vault, boot, health);
    }
    if (boot.is_booting || vault.ui_state !== 'ready') {
      return showBoot(boot);
    }
    if (!state.me) {
      try {
        setMe(await api('GET', '/api/auth/me'));
      } catch (e) {
        if (e.status === 401) {
          return showSignin();
        }
        throw e;
      }
    }
    return showDashboard(vault, boot);
  }

  function setMe(me) {
    state.me = me;
    if (me && me.csrf_token) {
      state.csrf = me.csrf_token;
    }
    showUser(me);
  }

  function signedOut(message) {
    state.me = null;
    state.csrf = null;
    stopFeed();
    $('events-panel').hidden = true;
    $('audit-panel').hidden = true;
    sessionStorage.removeItem(SSO_STORAGE_KEY);
    Object.keys(state.rendered).forEach(function (key) { state.rendered[key] = ''; });
    showUser(null);
    notice(message || '');
  }

  async function tick() {
    clearTimeout(state.timer);
    if (!state.busy) {
      try {
        await route();
      } catch (e) {
        if (e instanceof ApiError && e.status === 401 && state.me) {
          signedOut('Your session ended. Sign in again.');
          showSignin();
        } else {
          notice(e instanceof ApiError ? e.message : 'The host cannot be reached. Retrying…');
        }
      }
    }
    state.timer = setTimeout(tick, state.page === 'dashboard' ? 5000 : 1500);
  }

  // ---- setup -----------------------------------------------------------------------------------------------------------

  function policyState() {
    var policy = (state.vault && state.vault.key_policy) || { min_length: 12, min_distinct: 4, rules: '' };
    var key = $('setup-key').value;
    var characters = Array.from(key);
    return {
      policy: policy,
      length: characters.length >= policy.min_length,
      distinct: new Set(characters).size >= policy.min_distinct,
      match: key.length > 0 && key === $('setup-confirm').value
    };
  }

  function updatePolicy() {
    var s = policyState();
    $('policy-length').textContent = 'At least ' + s.policy.min_length + ' characters';
    $('policy-distinct').textContent = 'At least ' + s.policy.min_distinct + ' different characters';
    $('policy-length').dataset.met = String(s.length);
    $('policy-distinct').dataset.met = String(s.distinct);
    $('policy-match').dataset.met = String(s.match);
    return s;
  }

  function showSetup(vault) {
    $('setup-token-field').hidden = !vault.setup_token_required;
    updatePolicy();
    show('setup');
  }

  // Waits until the store leaves the state it was in, or a failure newer than the one seen before the request arrives.
  async function awaitOutcome(fromState, failureTopic, seenSequence) {
    for (var i = 0; i < 240; i++) {
      await new Promise(function (resolve) { setTimeout(resolve, 500); });
      var vault = await api('GET', '/api/vault/status');
      var failure = vault.last_failure;
      if (failure && failure.topic === failureTopic && failure.sequence > seenSequence) {
        return failure.message;
      }
      if (vault.ui_state !== fromState) {
        return null;
      }
    }
    return 'The host did not finish in time. Reload the page to see its state.';
  }

  function lastSequence() {
    return state.vault && state.vault.last_failure ? state.vault.last_failure.sequence : 0;
  }

  async function submitKey(options) {
    setError(options.errorId, '');
    state.busy = true;
    $(options.submitId).disabled = true;
    try {
      var seen = lastSequence();
      await api('POST', options.path, options.body);
      notice(options.progress);
      var failure = await awaitOutcome(options.fromState, options.failureTopic, seen);
      notice('');
      if (failure) {
        setError(options.errorId, failure);
        options.onFailure();
        return;
      }
      options.onSuccess();
    } catch (e) {
      notice('');
      setError(options.errorId, e.message);
      options.onFailure();
    } finally {
      state.busy = false;
      $(options.submitId).disabled = false;
      tick();
    }
  }

  $('setup-key').addEventListener('input', updatePolicy);
  $('setup-confirm').addEventListener('input', updatePolicy);
  $('setup-form').addEventListener('submit', function (event) {
    event.preventDefault();
    var s = updatePolicy();
    if (!s.length || !s.distinct) {
      setError('setup-error', 'The master key needs ' + s.policy.rules + '.');
      $('setup-key').focus();
      return;
    }
    if (!s.match) {
      setError('setup-error', 'The two entries differ. Type the same master key twice.');
      $('setup-confirm').focus();
      return;
    }
    var body = { key: $('setup-key').value };
    if (!$('setup-token-field').hidden) {
      body.setup_token = $('setup-token').value.trim();
    }
    submitKey({
      path: '/api/vault/init', body: body, errorId: 'setup-error', submitId: 'setup-submit', fromState: 'needs_init',
      failureTopic: 'vault:init_failed', progress: 'Initializing the secret store…',
      onFailure: function () { $('setup-key').focus(); },
      onSuccess: function () {
        ['setup-key', 'setup-confirm', 'setup-token'].forEach(function (id) { $(id).value = ''; });
        notice('The secret store is initialized. Keep the master key safe: the host asks for it after every restart unless it is configured.');
      }
    });
  });

  // ---- unseal ----------------------------------------------------------------------------------------------------------

  function showUnseal() {
    show('unseal');
  }

  $('unseal-form').addEventListener('submit', function (event) {
    event.preventDefault();
    var key = $('unseal-key').value;
    if (!key) {
      setError('unseal-error', 'Enter the master key.');
      $('unseal-key').focus();
      return;
    }
    submitKey({
      path: '/api/vault/unseal', body: { key: key }, errorId: 'unseal-error', submitId: 'unseal-submit', fromState: 'needs_unseal',
      failureTopic: 'vault:unseal_failed', progress: 'Unsealing…',
      onFailure: function () {
        $('unseal-key').value = '';
        $('unseal-key').focus();
      },
      onSuccess: function () {
        $('unseal-key').value = '';
        notice('Unsealed.');
      }
    });
  });

  // ---- boot and maintenance --------------------------------------------------------------------------------------------

  function stepRow(step) {
    return el('tr', { 'data-step': step.name }, [
      el('th', { scope: 'row', 'data-label': 'Step', text: step.name }),
      el('td', { 'data-label': 'Waits for', text: step.waits_for || '—' }),
      el('td', { 'data-label': 'State' }, [tag(step.status)]),
      el('td', { 'data-label': 'Since', text: elapsed(step.since) }),
      el('td', { 'data-label': 'Last report', text: step.error || step.detail || '—' })
    ]);
  }

  function showBoot(boot) {
    $('boot-phase').textContent = boot.phase;
    var tbody = document.querySelector('#boot-steps tbody');
    // Elapsed times change every second; this table is small and holds no focusable element, so it is always redrawn.
    tbody.replaceChildren.apply(tbody, boot.steps.map(stepRow));
    show('boot');
  }

  // Each problem in the API's own words (they say what is wrong and what to do), labelled with where it comes from.
  function showMaintenance(vault, boot, health) {
    var problems = [];
    if (vault.message) {
      problems.push(['secret store', vault.message]);
    }
    if (vault.last_failure && vault.ui_state !== 'ready') {
      problems.push(['secret store', vault.last_failure.message]);
    }
    if (boot.error) {
      problems.push(['boot', boot.error]);
    }
    boot.steps.forEach(function (step) {
      if (step.status !== 'done' && (step.error || step.detail)) {
        problems.push([step.name, step.error || step.detail]);
      }
    });
    if (problems.length === 0) {
      problems.push(['host', 'The host reports a problem but no details; its log says more.']);
    }
    renderRows('maintenance', $('maintenance-list'), problems, function (problem) {
      return el('li', {}, [el('strong', { text: problem[0] + ': ' }), problem[1]]);
    });
    var locks = (health && health.maintenance) || {};
    $('maintenance-locks').textContent = Object.keys(locks).map(function (service) {
      return service + ' (' + locks[service] + ')';
    }).join(', ') || 'none';
    show('maintenance');
  }

  // ---- sign-in ---------------------------------------------------------------------------------------------------------

  async function showSignin() {
    if (state.page !== 'signin') {
      show('signin');
      try {
        var providers = await api('GET', '/api/auth/providers');
        var sso = providers.providers.filter(function (p) { return p.sso && p.listed && p.state === 'active'; });
        $('sso').hidden = sso.length === 0;
        $('sso-list').replaceChildren.apply($('sso-list'), sso.map(function (p) {
          return el('li', {}, [el('a', { href: '/api/auth/sso/' + encodeURIComponent(p.id) + '/start', text: 'Sign in with ' + p.display_name })]);
        }));
      } catch (e) {
        $('sso').hidden = true;
      }
    }
  }

  $('signin-form').addEventListener('submit', async function (event) {
    event.preventDefault();
    setError('signin-error', '');
    var username = $('signin-user').value.trim();
    var password = $('signin-password').value;
    if (!username || !password) {
      setError('signin-error', 'Enter your user name and password.');
      (username ? $('signin-password') : $('signin-user')).focus();
      return;
    }
    state.busy = true;
    $('signin-submit').disabled = true;
    try {
      sessionStorage.removeItem(SSO_STORAGE_KEY);
      var answer = await api('POST', '/api/auth/login', { username: username, password: password, session: 'cookie' });
      $('signin-password').value = '';
      notice('');
      setMe(answer);
    } catch (e) {
      setError('signin-error', e.message);
      $('signin-password').value = '';
      $('signin-password').focus();
    } finally {
      state.busy = false;
      $('signin-submit').disabled = false;
      tick();
    }
  });

  $('sign-out').addEventListener('click', async function () {
    try {
      await api('POST', '/api/auth/logout');
    } catch (e) {
      // Signed out locally either way; the session ends on its own when it expires.
    }
    signedOut('You are signed out.');
    $('signin-user').value = '';
    state.page = null;
    tick();
  });

  // ---- dashboard -------------------------------------------------------------------------------------------------------

  function setCard(id, value, detail) {
    document.querySelector('#' + id + ' .value').textContent = value;
    document.querySelector('#' + id + ' .detail').textContent = detail || '';
  }

  function stepOf(boot, name) {
    return boot.steps.filter(function (s) { return s.name === name; })[0] || {};
  }

  function pluginActions(plugin) {
    var actions = [];
    if (plugin.enabled) {
      actions.push(['disable', 'Disable', true], ['reload', 'Reload', false]);
    } else {
      actions.push(['enable', 'Enable', false]);
    }
    if (plugin.loaded) {
      actions.push(['unload', 'Unload', true]);
    }
    return actions;
  }

  function pluginRow(plugin) {
    var cells = [
      el('th', { scope: 'row', 'data-label': 'Plugin' }, [
        plugin.name || plugin.id, el('span', { className: 'sub', text: plugin.id })
      ]),
      el('td', { 'data-label': 'State' }, [tag(plugin.state)]),
      el('td', { 'data-label': 'Version', text: plugin.version || '—' }),
      el('td', { 'data-label': 'Isolation', text: plugin.isolation + (plugin.process_id ? ' (pid ' + plugin.process_id + ')' : '') }),
      el('td', { 'data-label': 'Trust', text: plugin.trust || '—' }),
      el('td', { 'data-label': 'Last error', className: plugin.reason ? 'reason' : null, text: plugin.reason || (plugin.errors || [])[0] || '—' })
    ];
    if (state.me && state.me.is_admin) {
      cells.push(el('td', { 'data-label': 'Actions', className: 'admin-only' }, [
        el('div', { className: 'actions' }, pluginActions(plugin).map(function (a) {
          return el('button', {
            type: 'button', className: 'small' + (a[2] ? ' danger' : ' secondary'), 'data-action': a[0], 'data-plugin': plugin.id,
            'aria-label': a[1] + ' ' + (plugin.name || plugin.id), text: a[1]
          });
        }))
      ]));
    }
    return el('tr', { 'data-plugin': plugin.id }, cells);
  }

  function confirmAction(title, text) {
    var dialog = $('confirm');
    $('confirm-title').textContent = title;
    $('confirm-text').textContent = text;
    $('confirm-ok').textContent = title.replace(/\?$/, '');
    return new Promise(function (resolve) {
      dialog.addEventListener('close', function onClose() {
        dialog.removeEventListener('close', onClose);
        resolve(dialog.returnValue === 'ok');
      });
      dialog.returnValue = '';
      dialog.showModal();
      $('confirm-cancel').focus();
    });
  }

  var consequences = {
    disable: 'Its teardown runs, its tasks are cancelled and its subscriptions and sign-in providers are removed. It stays off after a restart until enabled again.',
    unload: 'Like disabling, and its code is released from memory. It can be enabled again later.'
  };

  $('plugins').addEventListener('click', async function (event) {
    var button = event.target.closest('button[data-action]');
    if (!button) {
      return;
    }
    var action = button.dataset.action;
    var id = button.dataset.plugin;
    setError('plugins-error', '');
    if (consequences[action] && !(await confirmAction(action.charAt(0).toUpperCase() + action.slice(1) + ' ' + id + '?', consequences[action]))) {
      button.focus();
      return;
    }
    button.disabled = true;
    try {
      await api('POST', '/api/plugins/' + encodeURIComponent(id) + '/' + action);
      notice(id + ': ' + action + ' done.');
    } catch (e) {
      setError('plugins-error', id + ': ' + e.message);
    }
    await refreshPlugins();
    var again = document.querySelector('#plugins tr[data-plugin="' + CSS.escape(id) + '"] button');
    if (again) {
      again.focus();
    }
  });

  async function refreshPlugins() {
    var tbody = document.querySelector('#plugins tbody');
    if (!state.me || !state.me.is_admin) {
      renderRows('plugins', tbody, ['only-admins'], function () {
        return el('tr', {}, [el('td', { colspan: '6', text: 'Only administrators see and manage plugins.' })]);
      });
      return;
    }
    var list = await api('GET', '/api/plugins');
    renderRows('plugins', tbody, list.plugins, pluginRow);
  }

  function sessionRow(session) {
    var label = session.label + (session.current ? ' (this browser)' : '');
    return el('tr', {}, [
      el('th', { scope: 'row', 'data-label': 'Session', text: label }),
      el('td', { 'data-label': 'Created', text: when(session.created_at) }),
      el('td', { 'data-label': 'Last used', text: when(session.last_used_at) }),
      el('td', { 'data-label': 'Expires', text: when(session.expires_at) }),
      el('td', {}, session.current ? [] : [el('button', {
        type: 'button', className: 'small danger', 'data-session': session.id, 'aria-label': 'Revoke session ' + session.label, text: 'Revoke'
      })])
    ]);
  }

  async function refreshSessions() {
    var list = await api('GET', '/api/auth/sessions');
    renderRows('sessions', document.querySelector('#sessions tbody'), list.sessions, sessionRow);
  }

  $('sessions').addEventListener('click', async function (event) {
    var button = event.target.closest('button[data-session]');
    if (!button || !(await confirmAction('Revoke session?', 'Whoever uses it is signed out at once.'))) {
      return;
    }
    setError('sessions-error', '');
    try {
      await api('DELETE', '/api/auth/sessions/' + encodeURIComponent(button.dataset.session));
    } catch (e) {
      setError('sessions-error', e.message);
    }
    await refreshSessions();
  });

  function renderTimeline(boot) {
    var steps = boot.steps.map(function (s) { return { name: s.name, status: s.status, since: s.since, detail: s.detail }; });
    renderRows('timeline', $('timeline'), steps, function (step) {
      return el('li', {}, [
        tag(step.status), ' ', el('strong', { text: step.name }),
        el('time', { datetime: step.since || '', text: when(step.since) }),
        step.detail ? el('span', { className: 'sub', text: step.detail }) : ''
      ]);
    });
  }

  // ---- security events and audit trail (administrators) ----------------------------------------------------------------

  var feed = { running: false, after: 0, generation: 0 };

  function summary(payload) {
    if (payload === null || payload === undefined) {
      return '';
    }
    if (typeof payload !== 'object') {
      return String(payload);
    }
    return Object.keys(payload).map(function (key) {
      var value = payload[key];
      return key + '=' + (value !== null && typeof value === 'object' ? JSON.stringify(value) : String(value));
    }).join(' · ');
  }

  function eventItem(e) {
    return el('li', { 'data-topic': e.topic }, [
      el('time', { datetime: e.at, text: when(e.at) }), ' ',
      el('strong', { text: e.topic }), ' ',
      el('span', { className: 'source', text: 'from ' + e.source }),
      el('span', { className: 'sub', text: summary(e.payload) })
    ]);
  }

  function addEvents(events, missed) {
    var list = $('events');
    if (missed > 0) {
      list.prepend(el('li', { className: 'missed', text: missed + ' events were missed (the host keeps only the most recent ones).' }));
    }
    events.forEach(function (e) { list.prepend(eventItem(e)); });
    while (list.children.length > 100) {
      list.removeChild(list.lastChild);
    }
  }

  // Long polling rather than EventSource: it carries the same session either way (cookie, or a single sign-on bearer token,
  // which EventSource cannot send), and the host answers as soon as an event arrives.
  async function runFeed() {
    if (feed.running) {
      return;
    }
    feed.running = true;
    var generation = ++feed.generation;
    try {
      var first = true;
      while (generation === feed.generation && state.me && state.me.is_admin) {
        var answer = await api('GET', '/api/events/recent?after=' + feed.after + '&wait=' + (first ? 0 : 20));
        if (generation !== feed.generation) {
          break;
        }
        first = false;
        $('events-panel').hidden = false;
        addEvents(answer.events, answer.missed);
        feed.after = answer.last_id;
      }
    } catch (e) {
      if (e.status === 404) {
        $('events-panel').hidden = true;
      } else if (generation === feed.generation) {
        await new Promise(function (resolve) { setTimeout(resolve, 3000); });
        feed.running = false;
        return runFeed();
      }
    }
    feed.running = false;
  }

  function stopFeed() {
    feed.generation++;
    feed.running = false;
    feed.after = 0;
    $('events').replaceChildren();
  }

  var audit = { next: null, rows: [] };

  function auditQuery(after) {
    var params = new URLSearchParams();
    var since = $('audit-since').value;
    if (since) {
      params.set('since', new Date(since).toISOString());
    }
    ['module', 'action', 'actor'].forEach(function (name) {
      var value = $('audit-' + name).value.trim();
      if (value) {
        params.set(name, value);
      }
    });
    params.set('limit', '100');
    if (after !== null && after !== undefined) {
      params.set('after', String(after));
    }
    return '/api/audit?' + params.toString();
  }

  function auditRow(entry) {
    return el('tr', {}, [
      el('th', { scope: 'row', 'data-label': 'No.', text: String(entry.seq) }),
      el('td', { 'data-label': 'Time', text: when(entry.at) }),
      el('td', { 'data-label': 'Actor', text: entry.actor }),
      el('td', { 'data-label': 'Action', text: entry.action }),
      el('td', { 'data-label': 'Target', text: entry.target || '—' }),
      el('td', { 'data-label': 'Module', text: entry.module || '—' }),
      el('td', { 'data-label': 'Outcome' }, [tag(entry.outcome)]),
      el('td', { 'data-label': 'Detail', text: entry.detail || '—' })
    ]);
  }

  async function loadAudit(more) {
    setError('audit-error', '');
    try {
      var page = await api('GET', auditQuery(more ? audit.next : null));
      audit.rows = more ? audit.rows.concat(page.entries) : page.entries;
      audit.next = page.next_after;
      $('audit-panel').hidden = false;
      var tbody = document.querySelector('#audit tbody');
      tbody.replaceChildren.apply(tbody, audit.rows.length ? audit.rows.map(auditRow)
        : [el('tr', {}, [el('td', { colspan: '8', text: 'No records match.' })])]);
      $('audit-more').hidden = audit.next === null || audit.next === undefined;
    } catch (e) {
      if (e.status === 404) {
        $('audit-panel').hidden = true;
      } else {
        setError('audit-error', e.message);
      }
    }
  }

  $('audit-filter').addEventListener('submit', function (event) {
    event.preventDefault();
    loadAudit(false);
  });
  $('audit-more').addEventListener('click', function () { loadAudit(true); });
  $('audit-verify').addEventListener('click', async function () {
    $('audit-verdict').textContent = 'Verifying…';
    try {
      var result = await api('GET', '/api/audit/verify');
      $('audit-verdict').textContent = result.status === 'intact'
        ? 'Intact: ' + result.checked + ' records checked against the anchor.'
        : 'Broken at record ' + result.broken_at + ': ' + result.problem;
    } catch (e) {
      $('audit-verdict').textContent = e.message;
    }
  });

  async function showDashboard(vault, boot) {
    setCard('card-secrets', vault.ui_state === 'ready' ? 'Open' : vault.ui_state, vault.backend + ' backend');
    var database = stepOf(boot, 'database');
    setCard('card-database', database.status === 'done' ? 'Connected' : (database.status || 'unknown'), database.detail);
    var iam = stepOf(boot, 'iam');
    var chain = await api('GET', '/api/auth/providers');
    var active = chain.providers.filter(function (p) { return p.listed && p.state === 'active'; }).map(function (p) { return p.id; });
    setCard('card-identity', iam.status === 'done' ? 'Ready' : (iam.status || 'unknown'),
      active.length ? 'Sign-in through ' + active.join(', ') : 'No sign-in provider is active');
    renderTimeline(boot);
    var first = state.page !== 'dashboard';
    show('dashboard');
    if (first && state.me.is_admin) {
      runFeed();
      loadAudit(false);
    }
    await Promise.all([refreshPlugins(), refreshSessions()]);
  }

  tick();
})();
