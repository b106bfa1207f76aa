// The web console in a real browser (issue 8): headless Chromium driven by
// playwright-core, run by tests/browser/test_console.sh inside its Samba
// namespace, against `adsync daemon` and rsemu. One browser, one session,
// the administrator's path through the console in order:
//
//   login refused with a wrong password, then logged in; the dashboard
//   says "not set up"; registration refused with a wrong secret, then
//   accepted (secret file 0600, config comments kept); Settings: "Test
//   connection" refused, then connected with AD's groups to choose; "Save
//   & start sync" and the first sync reaching rsemu; an AD change, Sync
//   Now, the change in rsemu; Sync History opened into a run and filtered;
//   an alert (a changed mail = Service ID) and its fix; Objects searched
//   and one opened; Password hooks; a mass removal held by the guard and
//   approved (the confirm dialog accepted), the mailboxes disabled in
//   rsemu; log out in a second session.
//
// A full-page screenshot of every page lands in $SHOTS/NN-name.png. Every
// check prints "ok   NAME" or "FAIL NAME: why"; a step that cannot go on
// (an element missing) stops the run with a screenshot NN-failed-*.png.
// Exit 0 when every check passed, 1 otherwise. AD is changed with
// ldapmodify as the Administrator (LDAPTLS_CACERT from the caller), rsemu
// read through its admin API. At the end the session cookie is written to
// $COOKIE_OUT for the shell's CSRF checks (the session is left open).
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

function env(name) {
	const v = process.env[name];
	if (v === undefined || v === '') {
		console.log(`FAIL environment: ${name} is not set`);
		process.exit(1);
	}
	return v;
}

const URL0 = env('CONSOLE_URL').replace(/\/$/, '');
const PASSWORD = env('CONSOLE_PASSWORD');
const RS_USER_KEY = env('RS_USER_KEY');
const RS_SECRET = fs.readFileSync(env('RS_SECRET_FILE'), 'utf8').trim();
const RS_SECRET_KEY_FILE = env('RS_SECRET_KEY_FILE');
const CONF = env('CONF');
const CONF_MARKER = env('CONF_MARKER');
const AD_URI = env('AD_URI');
const AD_BASE_DN = env('AD_BASE_DN');
const AD_BIND_DN = env('AD_BIND_DN');
const AD_BIND_PASSWORD = fs.readFileSync(env('AD_BIND_PASSWORD_FILE'), 'utf8').trim();
const AD_CA = env('AD_CA');
const AD_ADMIN_DN = env('AD_ADMIN_DN');
const AD_ADMIN_PASSWORD_FILE = env('AD_ADMIN_PASSWORD_FILE');
const EXG = env('EXG');
const RSG = env('RSG');
const PEOPLE = env('PEOPLE');
const EMU_ADMIN = env('EMU_ADMIN').replace(/\/$/, '');
const SHOTS = env('SHOTS');
const COOKIE_OUT = env('COOKIE_OUT');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const words = (s) => s.split(/\s+/).filter(Boolean).sort();
const SAMPLE = {
	'example.com ex': words(env('SAMPLE_EX_COM')),
	'example.com rs': words(env('SAMPLE_RS_COM')),
	'example.net rs': words(env('SAMPLE_RS_NET')),
	'example.net ex': [],
};

const require = createRequire(path.join(env('BROWSER_MODULES'), 'package.json'));
const { chromium } = require('playwright-core');

// ---- checks -----------------------------------------------------------
let checks = 0;
let fails = 0;
const T0 = Date.now();
class Abort extends Error {}

function pass(name) {
	checks++;
	console.log(`ok   ${name}`);
}
function fail(name, why) {
	checks++;
	fails++;
	console.log(`FAIL ${name}${why ? ': ' + why : ''}`);
}
function check(name, cond, why) {
	if (cond)
		pass(name);
	else
		fail(name, why);
	return !!cond;
}
function expect(name, got, want) {
	return check(`${name}: ${JSON.stringify(want)}`, got === want,
	    `got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
}
// must: a check the rest of the run depends on.
function must(name, cond, why) {
	if (!check(name, cond, why))
		throw new Abort(name);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function pollUntil(name, secs, fn) {
	const t0 = Date.now();
	let last;
	while (Date.now() - t0 < secs * 1000) {
		try {
			last = await fn();
			if (last) {
				pass(`${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
				return true;
			}
		} catch (e) {
			last = e.message;
		}
		await sleep(250);
	}
	fail(name, `not within ${secs} s${typeof last === 'string' ? ' (' + last + ')' : ''}`);
	return false;
}

// ---- screenshots ------------------------------------------------------
let shotN = 0;
async function shot(page, name) {
	shotN++;
	const f = path.join(SHOTS, `${String(shotN).padStart(2, '0')}-${name}.png`);
	try {
		await page.screenshot({ path: f, fullPage: true });
	} catch (e) {
		// The dashboard may have reloaded itself meanwhile (a sync
		// ended): once more, of the page as it is now.
		await page.waitForLoadState('load');
		await page.screenshot({ path: f, fullPage: true });
	}
	console.log(`     screenshot ${path.basename(f)} (${page.url()})`);
}

// ---- AD (as the Administrator) and rsemu ------------------------------
function ldapModify(ldif) {
	execFileSync('ldapmodify', ['-x', '-H', AD_URI, '-D', AD_ADMIN_DN,
	    '-y', AD_ADMIN_PASSWORD_FILE], { input: ldif,
	    stdio: ['pipe', 'ignore', 'inherit'] });
}
function adSet(dn, attr, value) {
	ldapModify(`dn: ${dn}\nchangetype: modify\nreplace: ${attr}\n${attr}: ${value}\n-\n\n`);
}
function adMember(group, op, members) {
	ldapModify(`dn: ${group}\nchangetype: modify\n${op}: member\n` +
	    members.map((m) => `member: ${m}\n`).join('') + '-\n\n');
}

const KINDS = { ex: 'exMailboxes', rs: 'rsMailboxes', contact: 'contacts',
    dl: 'distributionLists' };
async function emuState() {
	const r = await fetch(`${EMU_ADMIN}/_emu/state`);
	if (!r.ok)
		throw new Error(`rsemu state: HTTP ${r.status}`);
	return r.json();
}
function emuObjects(state, domain, kind) {
	const out = new Map();
	for (const a of state.accounts)
		for (const d of a.domains) {
			if (d.name.toLowerCase() !== domain)
				continue;
			for (const o of d[KINDS[kind]] || []) {
				const flat = { ...(o.contactInfo || {}), ...o };
				out.set((o.name || o.CommonName || '').toLowerCase(), flat);
			}
		}
	return out;
}
async function emuField(domain, kind, name, field) {
	const o = emuObjects(await emuState(), domain, kind).get(name);
	return o === undefined ? '<absent>' : o[field];
}

// ---- the console ------------------------------------------------------
// Navigation by a click (a link or a form's button): the final response
// after redirects.
async function clickTo(page, selector) {
	const [resp] = await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		page.click(selector),
	]);
	return resp;
}
async function goto(page, p) {
	for (let i = 0; ; i++) {
		try {
			return await page.goto(URL0 + p, { waitUntil: 'load' });
		} catch (e) {
			// The dashboard reloads itself when a sync ends
			// (console.js); a clash with that is not ours.
			if (i >= 2 || !/interrupted by another navigation/.test(e.message))
				throw e;
			await sleep(300);
		}
	}
}
async function text(page, selector) {
	const l = page.locator(selector);
	if (await l.count() === 0)
		return null;
	return (await l.first().textContent()).trim();
}
async function has(page, selector) {
	return await page.locator(selector).count() > 0;
}
async function status(page) {
	const r = await page.request.get(`${URL0}/status.json`);
	if (!r.ok())
		throw new Error(`/status.json: HTTP ${r.status()}`);
	return r.json();
}
// Waits until a cycle after `cycles` has ended and nothing runs or waits.
async function waitCycle(page, name, cycles, secs = 90) {
	let st;
	const ok = await pollUntil(name, secs, async () => {
		st = await status(page);
		return st.state === 'idle' && !st.pending && st.cycles > cycles;
	});
	if (!ok)
		throw new Abort(name);
	return st;
}
// Sync Now from the dashboard; returns the status after its cycle.
async function syncNow(page, why, shotName) {
	await goto(page, '/');
	const st0 = await status(page);
	must(`${why}: the dashboard has Sync Now`, await has(page, 'button#sync-now'));
	const resp = await clickTo(page, 'button#sync-now');
	expect(`${why}: Sync Now answers`, resp.status(), 200);
	const note = await text(page, 'p.note.ok');
	check(`${why}: Sync Now says it started`, note !== null &&
	    /Sync started|yours follows it/.test(note), `note: ${note}`);
	if (shotName)
		await shot(page, shotName);
	// Off the dashboard while waiting: it reloads itself at the end.
	await page.goto('about:blank');
	const st = await waitCycle(page, `${why}: the cycle ended`, st0.cycles);
	check(`${why}: the last run was Sync Now's`, st.last && st.last.trigger === 'now',
	    JSON.stringify(st.last));
	return st;
}

async function main() {
	fs.mkdirSync(SHOTS, { recursive: true });
	const browser = await chromium.launch({
		executablePath: CHROMIUM,
		headless: true,
		// As root (CI) Chromium needs --no-sandbox; the rest keeps it
		// off the network this machine does not have.
		args: ['--no-sandbox', '--disable-gpu', '--disable-quic',
		    '--no-first-run', '--disable-background-networking',
		    '--disable-component-update', '--disable-sync'],
	});
	console.log(`chromium ${browser.version()}, console ${URL0}`);
	const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 } });
	ctx.setDefaultTimeout(20000);
	const page = await ctx.newPage();
	// Script errors, CSP refusals and failed loads on any page. A
	// failed load is also a console message; the responses say which.
	const jsErrors = [];
	const badLoads = [];
	page.on('pageerror', (e) => jsErrors.push(e.message));
	page.on('console', (m) => {
		if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
			jsErrors.push(m.text());
	});
	page.on('response', (r) => {
		const u = new URL(r.url());
		// The wrong password's 401 is expected; Chromium asks for a
		// favicon the console does not have.
		if (r.status() >= 400 && u.pathname !== '/favicon.ico' &&
		    !(u.pathname === '/login' && r.status() === 401))
			badLoads.push(`${r.request().method()} ${u.pathname} ${r.status()}`);
	});
	let step = '';
	try {
		step = 'login';
		console.log('=== login: a wrong password, then the right one');
		let resp = await goto(page, '/');
		check('an anonymous visit is sent to /login', page.url().endsWith('/login'), page.url());
		must('the login form', await has(page, 'input#password') && await has(page, 'button#login'));
		check('the login form carries a pre-login token',
		    await page.locator('form#login-form input[name=csrf]').getAttribute('value') !== '');
		await shot(page, 'login');
		await page.fill('input#password', PASSWORD + '-wrong');
		resp = await clickTo(page, 'button#login');
		expect('wrong password: status', resp.status(), 401);
		expect('wrong password: the page says so', await text(page, 'p.note.error'), 'Wrong password.');
		check('wrong password: no session cookie',
		    !(await ctx.cookies()).some((c) => c.name === 'adsync_session'));
		check('wrong password: no navigation (not logged in)', !(await has(page, '#nav-dashboard')));
		await shot(page, 'login-failed');
		await goto(page, '/login');
		await page.fill('input#password', PASSWORD);
		resp = await clickTo(page, 'button#login');
		expect('login: lands on the dashboard', new URL(page.url()).pathname, '/');
		expect('login: status', resp.status(), 200);
		const cookie = (await ctx.cookies()).find((c) => c.name === 'adsync_session');
		check('login: an HttpOnly, SameSite=Strict session cookie', cookie &&
		    cookie.httpOnly && cookie.sameSite === 'Strict', JSON.stringify(cookie));

		step = 'not-set-up';
		console.log('=== the dashboard before the set-up');
		check('not set up: an info note', /not set up yet/.test(await text(page, 'p.note.info') || ''),
		    await text(page, 'p.note.info'));
		must('not set up: a link to the set-up', await has(page, 'a#go-setup'));
		check('not set up: no Sync Now', !(await has(page, 'button#sync-now')));
		for (const id of ['dashboard', 'history', 'alerts', 'objects', 'hooks', 'setup'])
			check(`navigation link #nav-${id}`, await has(page, `#nav-${id}`));
		check('a logout button', await has(page, 'button#logout'));
		await shot(page, 'dashboard-not-set-up');

		step = 'register';
		console.log('=== registration: a wrong secret, then the right keys');
		await clickTo(page, 'a#go-setup');
		expect('the set-up page', new URL(page.url()).pathname, '/setup');
		must('the registration form', await has(page, 'form#register-form input#user_key') &&
		    await has(page, 'input#secret_key') && await has(page, 'button#register'));
		check('no settings form before registration', !(await has(page, 'form#settings-form')));
		await shot(page, 'register');
		await page.fill('input#user_key', RS_USER_KEY);
		await page.fill('input#secret_key', 'not-the-secret-' + RS_SECRET.slice(0, 4));
		resp = await clickTo(page, 'button#register');
		check('wrong secret: refused with a reason',
		    /keys were not accepted/.test(await text(page, 'p.note.error') || ''),
		    await text(page, 'p.note.error'));
		check('wrong secret: no secret file', !fs.existsSync(RS_SECRET_KEY_FILE));
		check('wrong secret: no key in the file', /^user_key\s*=\s*$/m.test(fs.readFileSync(CONF, 'utf8')));
		check('wrong secret: still the registration form', await has(page, 'form#register-form'));
		await shot(page, 'register-refused');
		await page.fill('input#user_key', RS_USER_KEY);
		await page.fill('input#secret_key', RS_SECRET);
		resp = await clickTo(page, 'button#register');
		const regNote = await text(page, 'p.note.ok');
		check('registered: the API answered with the account\'s domains',
		    /Registered: .*example\.com.*example\.net/.test(regNote || ''), regNote);
		expect('registered: the user key is shown', await text(page, 'code#user-key'), RS_USER_KEY);
		check('registered: the secret is in secret_key_file, mode 0600',
		    fs.existsSync(RS_SECRET_KEY_FILE) &&
		    (fs.statSync(RS_SECRET_KEY_FILE).mode & 0o777) === 0o600 &&
		    fs.readFileSync(RS_SECRET_KEY_FILE, 'utf8').trim() === RS_SECRET);
		const conf1 = fs.readFileSync(CONF, 'utf8');
		check('registered: user_key in the file, its comments kept',
		    new RegExp(`^user_key\\s*=\\s*${RS_USER_KEY}$`, 'm').test(conf1) &&
		    conf1.includes(CONF_MARKER));
		check('registered: the secret is not in the file', !conf1.includes(RS_SECRET));
		check('registered: the secret is not in the page', !(await page.content()).includes(RS_SECRET));
		must('registered: the settings form', await has(page, 'form#settings-form'));
		await shot(page, 'settings-empty');

		step = 'settings';
		console.log('=== settings: Test connection, the groups, Save & start sync');
		await page.fill('input#ad_uri', AD_URI);
		await page.fill('input#ad_base_dn', AD_BASE_DN);
		await page.fill('input#ad_bind_dn', AD_BIND_DN);
		await page.fill('input#ad_bind_password', 'wrong-' + AD_BIND_PASSWORD);
		await page.fill('input#ad_ca_file', AD_CA);
		check('StartTLS off for ldaps://', !(await page.isChecked('input#ad_starttls')));
		await clickTo(page, 'button#test-ad');
		check('Test connection with a wrong password: refused',
		    /^Cannot connect: /.test(await text(page, 'p.note.error') || ''),
		    await text(page, 'p.note.error'));
		expect('the typed URI is kept', await page.inputValue('input#ad_uri'), AD_URI);
		await shot(page, 'test-connection-refused');
		await page.fill('input#ad_bind_password', AD_BIND_PASSWORD);
		await clickTo(page, 'button#test-ad');
		const okNote = await text(page, 'p.note.ok');
		check('Test connection: connected and bound',
		    okNote !== null && okNote.startsWith(`Connected to ${AD_URI}`) &&
		    okNote.includes(AD_BIND_DN), `${okNote} / ${await text(page, 'p.note.error')}`);
		expect('Test connection keeps the base DN', await page.inputValue('input#ad_base_dn'), AD_BASE_DN);
		const isSelect = await page.locator('#exchange_group').evaluate((e) => e.tagName) === 'SELECT';
		if (!check('Test connection: AD\'s groups offered in a chooser', isSelect,
		    `#exchange_group is a text field; the page says: ${await text(page, 'p.hint')}`)) {
			// Typed DNs are what the console offers when it cannot
			// list the groups; go on that way.
			await page.fill('#exchange_group', EXG);
			await page.fill('#rackspace_email_group', RSG);
		} else {
			const opts = await page.locator('select#exchange_group option').evaluateAll(
			    (os) => os.map((o) => [o.value, o.textContent]));
			check('the chooser starts with "Do not sync"', opts.length > 0 &&
			    opts[0][0] === '' && opts[0][1] === 'Do not sync', JSON.stringify(opts[0]));
			check('the chooser lists both service groups', opts.some((o) => o[0] === EXG) &&
			    opts.some((o) => o[0] === RSG), JSON.stringify(opts.map((o) => o[0])));
			await page.selectOption('select#exchange_group', EXG);
			await page.selectOption('select#rackspace_email_group', RSG);
		}
		await shot(page, 'test-connection-ok');
		await page.fill('input#domains', 'example.com example.net');
		await page.setChecked('input#sync_proxy_addresses', false);
		await page.fill('input#interval', '3600');
		await page.fill('input#max_deletes', '500');
		await page.fill('input#max_delete_percent', '100');
		// A password field is never filled in by the console.
		await page.fill('input#ad_bind_password', AD_BIND_PASSWORD);
		resp = await clickTo(page, 'button#save');
		expect('saved: back on the dashboard', new URL(page.url()).pathname, '/');
		const saveNote = await text(page, 'p.note.ok');
		check('saved: "Saved and applied"', /Saved and applied/.test(saveNote || ''),
		    `${saveNote} / ${await text(page, 'p.note.error')}`);
		const conf2 = fs.readFileSync(CONF, 'utf8');
		check('saved: the file has the settings and kept its comments',
		    conf2.includes(CONF_MARKER) && conf2.includes(`exchange_group = ${EXG}`) &&
		    conf2.includes(`rackspace_email_group = ${RSG}`) &&
		    /^uri = ldaps:\/\/127\.0\.0\.1$/m.test(conf2) && /^interval = 3600$/m.test(conf2));
		check('saved: the bind password is not in the file or the page',
		    !conf2.includes(AD_BIND_PASSWORD) && !(await page.content()).includes(AD_BIND_PASSWORD));
		await shot(page, 'saved');

		step = 'first-sync';
		console.log('=== the first sync reaches rsemu');
		await page.goto('about:blank');
		let st = await waitCycle(page, 'the first cycle ended', 0, 120);
		check('the first run is the reload\'s', st.last && st.last.trigger === 'reload', JSON.stringify(st.last));
		const state = await emuState();
		for (const [k, want] of Object.entries(SAMPLE)) {
			const [dom, kind] = k.split(' ');
			const got = [...emuObjects(state, dom, kind).keys()].sort();
			check(`rsemu: the sample's ${kind} mailboxes in ${dom} (${want.length})`,
			    JSON.stringify(got) === JSON.stringify(want),
			    `missing ${want.filter((x) => !got.includes(x))}, extra ${got.filter((x) => !want.includes(x))}`);
		}
		// Exchange: mailboxes, contacts and lists; Rackspace Email:
		// mailboxes. As many as rsemu has, all of them adsync's.
		const count = (kinds) => ['example.com', 'example.net'].reduce((n, d) =>
		    n + kinds.reduce((m, k) => m + emuObjects(state, d, k).size, 0), 0);
		await goto(page, '/');
		expect('dashboard: state', await text(page, '#state'), 'idle');
		expect('dashboard: Hosted Exchange objects, as in rsemu', await text(page, '#objects-exchange'),
		    String(count(['ex', 'contact', 'dl'])));
		expect('dashboard: Rackspace Email mailboxes, as in rsemu', await text(page, '#objects-rackspace'),
		    String(count(['rs'])));
		check('dashboard: the sample\'s alerts counted', Number(await text(page, '#alerts-count')) > 0,
		    await text(page, '#alerts-count'));
		expect('dashboard: nothing queued', await text(page, '#queue'), '0');
		check('dashboard: next run shown', /^in \d+ s$/.test(await text(page, '#next-run') || ''),
		    await text(page, '#next-run'));
		check('dashboard: no progress while idle', await page.locator('section#progress').isHidden());
		check('dashboard: the last run', /\(reload\)/.test(await text(page, 'table#last-run') || ''),
		    await text(page, 'table#last-run'));
		check('dashboard: nothing held', !(await has(page, 'section#held')));
		await shot(page, 'dashboard-synced');

		step = 'sync-now';
		console.log('=== an AD change, Sync Now, the change in rsemu');
		const ALICE = `CN=Alice Anderson,${PEOPLE}`;
		const TITLE = 'Console Test Officer';
		adSet(ALICE, 'title', TITLE);
		await sleep(1000);
		check('before Sync Now: the change is not in rsemu (no notifications)',
		    await emuField('example.com', 'ex', 'alice.anderson', 'jobTitle') !== TITLE);
		await syncNow(page, 'title change', 'sync-now');
		await pollUntil('Sync Now: the new title reached rsemu', 10, async () =>
		    await emuField('example.com', 'ex', 'alice.anderson', 'jobTitle') === TITLE);
		await goto(page, '/');
		check('dashboard: the last run is Sync Now\'s', /\(now\)/.test(await text(page, 'table#last-run') || ''),
		    await text(page, 'table#last-run'));
		check('dashboard: it updated one object', /1 updated/.test(await text(page, 'table#last-run') || ''),
		    await text(page, 'table#last-run'));
		await shot(page, 'dashboard-after-sync-now');

		step = 'history';
		console.log('=== Sync History: a run opened and filtered');
		await clickTo(page, '#nav-history');
		must('history: the runs table', await has(page, 'table#runs a.run-link'));
		const nruns = await page.locator('table#runs tbody tr').count();
		check('history: the reload\'s run and Sync Now\'s', nruns >= 2, `${nruns} rows`);
		const newest = await page.locator('table#runs tbody tr >> nth=0').locator('td').allTextContents();
		check('history: the newest run first, Sync Now\'s', newest[1] === 'now', JSON.stringify(newest));
		await shot(page, 'history');
		await clickTo(page, 'table#runs a.run-link >> nth=0');
		check('run: its page', /^\/runs\/\d+$/.test(new URL(page.url()).pathname), page.url());
		must('run: the summary and the operations', await has(page, 'table#run') &&
		    await has(page, 'table#ops'));
		check('run: a result', /^(ok|partial)$/.test(await text(page, '#run-status') || ''),
		    await text(page, '#run-status'));
		const opsText = await text(page, 'table#ops');
		check('run: alice\'s update with the new title', /alice\.anderson@example\.com/.test(opsText) &&
		    /update/.test(opsText) && opsText.includes(TITLE), opsText.slice(0, 300));
		await shot(page, 'run-sync-now');
		await page.fill('form#filter input#q', 'alice');
		await page.selectOption('form#filter select#state', 'done');
		await clickTo(page, 'form#filter button[type=submit]');
		const u = new URL(page.url());
		check('filter: a GET with q and state', u.searchParams.get('q') === 'alice' &&
		    u.searchParams.get('state') === 'done', page.url());
		const rows = await page.locator('table#ops tbody tr').allTextContents();
		check('filter: only alice\'s done operations', rows.length >= 1 &&
		    rows.every((r) => /alice/i.test(r) && /done/.test(r)), JSON.stringify(rows).slice(0, 300));
		check('filter: the total says so', new RegExp(`^${rows.length} operation\\(s\\)`).test(
		    await text(page, '#ops-total') || ''), await text(page, '#ops-total'));
		await shot(page, 'run-filtered');
		await page.fill('form#filter input#q', 'nobody-by-this-name');
		await clickTo(page, 'form#filter button[type=submit]');
		check('filter matching nothing: 0 operations and no table',
		    /^0 operation\(s\)/.test(await text(page, '#ops-total') || '') && !(await has(page, 'table#ops')),
		    await text(page, '#ops-total'));
		// The first run (the oldest row): the creates.
		await clickTo(page, '#nav-history');
		await clickTo(page, 'table#runs a.run-link >> nth=-1');
		const total1 = Number(((await text(page, '#ops-total')) || '').split(' ')[0]);
		check('the first run: every create', total1 >= 40, await text(page, '#ops-total'));
		await page.fill('form#filter input#q', 'walter.white');
		await clickTo(page, 'form#filter button[type=submit]');
		const wrows = await page.locator('table#ops tbody tr').allTextContents();
		check('the first run filtered: walter\'s create', wrows.length >= 1 &&
		    wrows.every((r) => /walter\.white/i.test(r)) && wrows.some((r) => /create/.test(r)),
		    JSON.stringify(wrows).slice(0, 300));
		await shot(page, 'first-run-filtered');

		step = 'alerts';
		console.log('=== an alert and its fix');
		await clickTo(page, '#nav-alerts');
		must('alerts: the table', await has(page, 'table#alerts'));
		const sampleAlerts = await page.locator('table#alerts tbody tr').count();
		check('alerts: the sample\'s empty mail (Nina Nomail)',
		    (await page.locator('table#alerts tbody tr', { hasText: 'Nina Nomail' }).count()) > 0);
		check('alerts: a problem and a fix column',
		    await has(page, 'td.alert-message') && await has(page, 'td.alert-fix'));
		await shot(page, 'alerts-sample');
		const JUDY = `CN=Judy Jones,${PEOPLE}`;
		adSet(JUDY, 'mail', 'judith.jones@example.com');
		await syncNow(page, 'judy\'s mail changed');
		await goto(page, '/alerts');
		const judy = page.locator('table#alerts tbody tr', { hasText: 'Judy Jones' });
		if (check('alert: judy\'s row', await judy.count() === 1, `${await judy.count()} rows`)) {
			const msg = (await judy.locator('td.alert-message').textContent()).trim();
			const fix = (await judy.locator('td.alert-fix').textContent()).trim();
			check('alert: the problem is the Service ID', /Service ID/.test(msg) &&
			    /judith\.jones/.test(msg), msg);
			check('alert: how to fix it', fix.length > 10, fix);
			check('alert: links to the object', /^\/objects\/[0-9a-f-]{36}$/.test(
			    await judy.locator('a').first().getAttribute('href')));
		}
		expect('alerts: one more than the sample\'s', await page.locator('table#alerts tbody tr').count(),
		    sampleAlerts + 1);
		check('alert: judy\'s mailbox untouched in rsemu, no new one',
		    await emuField('example.com', 'ex', 'judy.jones', 'enabled') === true &&
		    await emuField('example.com', 'ex', 'judith.jones', 'enabled') === '<absent>');
		await shot(page, 'alert');
		adSet(JUDY, 'mail', 'judy.jones@example.com');
		await syncNow(page, 'judy\'s mail restored');
		await goto(page, '/alerts');
		expect('fixed: judy\'s alert is gone',
		    await page.locator('table#alerts tbody tr', { hasText: 'Judy Jones' }).count(), 0);
		expect('fixed: the sample\'s alerts remain', await page.locator('table#alerts tbody tr').count(),
		    sampleAlerts);
		await shot(page, 'alert-fixed');

		step = 'objects';
		console.log('=== Objects: search, one object explained');
		await clickTo(page, '#nav-objects');
		must('objects: the search form', await has(page, 'form#search input#q'));
		await page.fill('form#search input#q', 'alice');
		await clickTo(page, 'form#search button[type=submit]');
		must('objects: results', await has(page, 'table#objects'));
		const arow = page.locator('table#objects tbody tr', { hasText: 'alice.anderson@example.com' });
		check('objects: alice, synced and enabled', await arow.count() >= 1 &&
		    /enabled/.test(await arow.first().textContent()), await text(page, 'table#objects'));
		await shot(page, 'objects-search');
		await clickTo(page, 'table#objects a:has-text("Alice Anderson") >> nth=0');
		check('object: its page', /^\/objects\/[0-9a-f-]{36}$/.test(new URL(page.url()).pathname), page.url());
		check('object: the DN', (await text(page, '#object-dn') || '').startsWith('CN=Alice Anderson,'),
		    await text(page, '#object-dn'));
		check('object: why it is synced', await page.locator('ul#explain li').count() >= 1 &&
		    /Hosted Exchange Users/.test(await text(page, 'ul#explain') || ''), await text(page, 'ul#explain'));
		check('object: the mapping shows the title written', await has(page, 'table.mapping') &&
		    (await text(page, 'table.mapping')).includes(TITLE));
		check('object: AD\'s values', (await text(page, 'table#ad-values') || '').includes(TITLE));
		await shot(page, 'object');

		step = 'hooks';
		console.log('=== Password hooks');
		await clickTo(page, '#nav-hooks');
		check('hooks: no DC enrolled', await has(page, 'p#no-dcs') && !(await has(page, 'table#dcs')));
		expect('hooks: nothing queued', await text(page, '#pw-queued'), '0');
		await shot(page, 'hooks');

		step = 'held';
		console.log('=== the guard holds a mass removal; Approve');
		await clickTo(page, '#nav-setup');
		must('settings: the form again', await has(page, 'form#settings-form'));
		check('settings: the groups chooser with the saved group selected',
		    await page.locator('#exchange_group').evaluate((e) => e.tagName) === 'SELECT' &&
		    await page.inputValue('#exchange_group') === EXG, await page.inputValue('#exchange_group'));
		expect('settings: the saved interval', await page.inputValue('input#interval'), '3600');
		expect('settings: the bind password is never sent back', await page.inputValue('input#ad_bind_password'), '');
		await shot(page, 'settings-saved');
		st = await status(page);
		await page.fill('input#max_deletes', '2');
		await clickTo(page, 'button#save');
		check('max_deletes = 2 saved', /Saved and applied/.test(await text(page, 'p.note.ok') || ''),
		    `${await text(page, 'p.note.ok')} / ${await text(page, 'p.note.error')}`);
		check('the file has max_deletes = 2', /^max_deletes = 2$/m.test(fs.readFileSync(CONF, 'utf8')));
		await page.goto('about:blank');
		await waitCycle(page, 'the reload\'s cycle ended', st.cycles);
		const LEAVE = ['Erin Evans', 'Grace Green', 'Heidi Hoffmann'];
		const LEAVE_MBX = ['erin.evans', 'grace.green', 'heidi.hoffmann'];
		adMember(EXG, 'delete', LEAVE.map((n) => `CN=${n},${PEOPLE}`));
		st = await syncNow(page, 'three leave the Exchange group');
		check('the run is held', st.last && st.last.status === 'held' && st.held_run === st.last.run,
		    JSON.stringify(st.last));
		const heldRun = st.held_run;
		await goto(page, '/');
		must('dashboard: the held section', await page.locator('section#held').isVisible());
		expect('held: the count', await text(page, '#held-count'), '3');
		const held = await text(page, 'table#held-ops') || '';
		check('held: the three mailboxes listed', LEAVE_MBX.every((m) => held.includes(`${m}@example.com`)), held);
		for (const m of LEAVE_MBX)
			expect(`held: ${m} still enabled in rsemu`, await emuField('example.com', 'ex', m, 'enabled'), true);
		await shot(page, 'held');
		let dialog = null;
		page.once('dialog', async (d) => {
			dialog = d.message();
			await d.accept();
		});
		await clickTo(page, 'button#approve');
		expect('approve: asked to confirm', dialog, `Let run ${heldRun}'s removals through?`);
		check('approve: says so', /^Approved/.test(await text(page, 'p.note.ok') || ''),
		    `${await text(page, 'p.note.ok')} / ${await text(page, 'p.note.error')}`);
		await shot(page, 'approved');
		await page.goto('about:blank');
		await pollUntil('approved: the three mailboxes disabled in rsemu', 60, async () => {
			const s = await emuState();
			const ex = emuObjects(s, 'example.com', 'ex');
			return LEAVE_MBX.every((m) => ex.get(m) && ex.get(m).enabled === false);
		});
		await pollUntil('approved: the daemon idle again', 60, async () => {
			const s = await status(page);
			return s.state === 'idle' && !s.pending;
		});
		await goto(page, '/');
		check('dashboard: nothing held any more', !(await has(page, 'section#held')));
		check('dashboard: the last run is the approval\'s', /\(approve\)/.test(await text(page, 'table#last-run') || ''),
		    await text(page, 'table#last-run'));
		await shot(page, 'dashboard-final');

		step = 'logout';
		console.log('=== log out (a second session)');
		const ctx2 = await browser.newContext({ viewport: { width: 1200, height: 700 } });
		ctx2.setDefaultTimeout(20000);
		const p2 = await ctx2.newPage();
		await goto(p2, '/login');
		await p2.fill('input#password', PASSWORD);
		await clickTo(p2, 'button#login');
		expect('second session: logged in', new URL(p2.url()).pathname, '/');
		await clickTo(p2, 'button#logout');
		expect('logout: back at /login', new URL(p2.url()).pathname, '/login');
		expect('logout: says so', await text(p2, 'p.note.ok'), 'Logged out.');
		await shot(p2, 'logged-out');
		await goto(p2, '/');
		check('logged out: the dashboard asks for a login again', p2.url().endsWith('/login'), p2.url());
		await ctx2.close();
		await goto(page, '/history');
		check('the first session is still open', new URL(page.url()).pathname === '/history');

		check('no script error or CSP refusal on any page', jsErrors.length === 0, jsErrors.join(' | '));
		check('no failed load on any page', badLoads.length === 0, badLoads.join(' | '));
		const sid = (await ctx.cookies()).find((c) => c.name === 'adsync_session');
		fs.writeFileSync(COOKIE_OUT, sid ? sid.value : '', { mode: 0o600 });
	} catch (e) {
		if (!(e instanceof Abort))
			fail(`step "${step}" stopped`, `${e.message.split('\n')[0]} (at ${page.url()})`);
		try {
			await shot(page, `failed-${step}`);
		} catch (e2) {
			console.log(`     (no screenshot: ${e2.message.split('\n')[0]})`);
		}
		if (!(e instanceof Abort))
			console.log(e.stack);
	} finally {
		await browser.close();
	}
	const t = ((Date.now() - T0) / 1000).toFixed(1);
	if (fails === 0) {
		console.log(`browser: PASS: ${checks} checks, ${shotN} screenshots in ${t} s`);
		process.exit(0);
	}
	console.log(`browser: FAILED: ${fails} of ${checks} checks (${t} s)`);
	process.exit(1);
}

main().catch((e) => {
	console.log(`FAIL the browser test itself: ${e.stack}`);
	process.exit(1);
});
