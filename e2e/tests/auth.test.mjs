// Accounts through the real supabase-js: sign-up, sign-in, user updates,
// refresh, auth events, TOTP MFA, sign-out, and the admin API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { client, serviceKey, url, anonKey, sql } from '../lib/env.mjs';

function claims(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
}

function base32Decode(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of s.replace(/=+$/, '').toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

// totp computes RFC 6238's code (SHA-1, 30 s, 6 digits).
function totp(secret, now = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(now / 1000 / 30)));
  const h = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const o = h[h.length - 1] & 0xf;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

const email = () => `e2e-${randomUUID()}@example.com`;

test('sign-up, sign-in, user, refresh, MFA and sign-out with supabase-js', async () => {
  const supabase = client();
  const events = [];
  const { data: { subscription } } = supabase.auth.onAuthStateChange((event) => events.push(event));
  try {
    const address = email();
    const { data: up, error: upErr } = await supabase.auth.signUp({ email: address, password: 'password-1', options: { data: { plan: 'free' } } });
    assert.ifError(upErr);
    assert.ok(up.session, 'auto-confirm gives a session');
    assert.equal(up.user.email, address);
    assert.equal(up.user.user_metadata.plan, 'free');

    const { error: badErr } = await supabase.auth.signInWithPassword({ email: address, password: 'wrong-password' });
    assert.equal(badErr?.code, 'invalid_credentials');
    assert.equal(badErr?.status, 400);

    const { data: signIn, error: inErr } = await supabase.auth.signInWithPassword({ email: address, password: 'password-1' });
    assert.ifError(inErr);
    const c = claims(signIn.session.access_token);
    assert.equal(c.role, 'authenticated');
    assert.equal(c.email, address);
    assert.equal(c.aal, 'aal1');
    assert.equal(c.sub, signIn.user.id);
    assert.ok(c.session_id);

    const { data: got, error: getErr } = await supabase.auth.getUser();
    assert.ifError(getErr);
    assert.equal(got.user.id, signIn.user.id);

    const { data: upd, error: updErr } = await supabase.auth.updateUser({ data: { plan: 'pro' } });
    assert.ifError(updErr);
    assert.equal(upd.user.user_metadata.plan, 'pro');

    const oldRefresh = signIn.session.refresh_token;
    const { data: ref, error: refErr } = await supabase.auth.refreshSession();
    assert.ifError(refErr);
    assert.notEqual(ref.session.refresh_token, oldRefresh, 'the refresh token rotates');
    assert.equal(claims(ref.session.access_token).user_metadata.plan, 'pro');

    // TOTP: enroll, challenge, verify with a code computed here.
    const { data: enrolled, error: enErr } = await supabase.auth.mfa.enroll({ factorType: 'totp', friendlyName: 'phone' });
    assert.ifError(enErr);
    assert.ok(enrolled.totp.secret);
    assert.match(enrolled.totp.uri, /^otpauth:\/\/totp\//);
    assert.match(enrolled.totp.qr_code, /^data:image\/svg\+xml/);
    const { data: ch, error: chErr } = await supabase.auth.mfa.challenge({ factorId: enrolled.id });
    assert.ifError(chErr);
    const { error: wrongErr } = await supabase.auth.mfa.verify({ factorId: enrolled.id, challengeId: ch.id, code: '000000' === totp(enrolled.totp.secret) ? '111111' : '000000' });
    assert.equal(wrongErr?.code, 'mfa_verification_failed');
    const { data: ver, error: verErr } = await supabase.auth.mfa.verify({ factorId: enrolled.id, challengeId: ch.id, code: totp(enrolled.totp.secret) });
    assert.ifError(verErr);
    const vc = claims(ver.access_token);
    assert.equal(vc.aal, 'aal2');
    assert.deepEqual(vc.amr.map((a) => a.method).sort(), ['password', 'totp']);
    const { data: aal, error: aalErr } = await supabase.auth.mfa.getAuthenticatorAssuranceLevel();
    assert.ifError(aalErr);
    assert.equal(aal.currentLevel, 'aal2');
    const { data: factors } = await supabase.auth.mfa.listFactors();
    assert.equal(factors.totp.length, 1);
    assert.equal(factors.totp[0].status, 'verified');

    const { error: outErr } = await supabase.auth.signOut();
    assert.ifError(outErr);
    const { data: after } = await supabase.auth.getSession();
    assert.equal(after.session, null);
    // The signed-out token no longer works.
    const r = await fetch(`${url}/auth/v1/user`, { headers: { apikey: anonKey, Authorization: `Bearer ${ver.access_token}` } });
    assert.equal(r.status, 403);

    for (const want of ['SIGNED_IN', 'USER_UPDATED', 'TOKEN_REFRESHED', 'MFA_CHALLENGE_VERIFIED', 'SIGNED_OUT']) {
      assert.ok(events.includes(want), `event ${want} in ${events.join(',')}`);
    }
  } finally {
    subscription.unsubscribe();
  }
});

test('anonymous sign-in, then an email makes the user permanent', async () => {
  const supabase = client();
  const { data, error } = await supabase.auth.signInAnonymously();
  assert.ifError(error);
  assert.equal(data.user.is_anonymous, true);
  assert.equal(claims(data.session.access_token).is_anonymous, true);
  const { data: upd, error: updErr } = await supabase.auth.updateUser({ email: email() });
  assert.ifError(updErr);
  assert.equal(upd.user.is_anonymous, false);
});

test('auth.admin with the service key', async () => {
  const admin = client(serviceKey).auth.admin;
  const address = email();
  const { data: created, error: cErr } = await admin.createUser({ email: address, password: 'password-1', email_confirm: true, user_metadata: { name: 'Ada' } });
  assert.ifError(cErr);
  assert.equal(created.user.email, address);
  assert.ok(created.user.email_confirmed_at);

  const { data: again, error: dupErr } = await admin.createUser({ email: address, password: 'password-1' });
  assert.equal(again.user, null);
  assert.equal(dupErr?.code, 'email_exists');

  await admin.createUser({ email: email(), password: 'password-1', email_confirm: true });
  const { data: page, error: lErr } = await admin.listUsers({ page: 1, perPage: 1 });
  assert.ifError(lErr);
  assert.equal(page.users.length, 1);
  assert.ok(page.total >= 2, `total ${page.total}`);
  assert.equal(page.nextPage, 2);

  const { data: one, error: gErr } = await admin.getUserById(created.user.id);
  assert.ifError(gErr);
  assert.equal(one.user.user_metadata.name, 'Ada');

  const { data: upd, error: uErr } = await admin.updateUserById(created.user.id, { app_metadata: { roles: ['editor'] }, ban_duration: '24h' });
  assert.ifError(uErr);
  assert.deepEqual(upd.user.app_metadata.roles, ['editor']);
  assert.ok(upd.user.banned_until);
  const { error: bannedErr } = await client().auth.signInWithPassword({ email: address, password: 'password-1' });
  assert.equal(bannedErr?.code, 'user_banned');
  await admin.updateUserById(created.user.id, { ban_duration: 'none' });

  const { data: link, error: linkErr } = await admin.generateLink({ type: 'magiclink', email: address });
  assert.ifError(linkErr);
  assert.match(link.properties.action_link, /\/auth\/v1\/verify\?/);
  assert.equal(link.properties.verification_type, 'magiclink');
  const { data: viaLink, error: vErr } = await client().auth.verifyOtp({ token_hash: link.properties.hashed_token, type: 'magiclink' });
  assert.ifError(vErr);
  assert.equal(viaLink.user.id, created.user.id);

  const { error: anonAdminErr } = await client().auth.admin.listUsers();
  assert.equal(anonAdminErr?.status, 403);

  const { error: dErr } = await admin.deleteUser(created.user.id);
  assert.ifError(dErr);
  const { error: goneErr } = await admin.getUserById(created.user.id);
  assert.equal(goneErr?.status, 404);
});

async function authAdmin(method, path, body) {
  const r = await fetch(`${url}/auth/v1${path}`, {
    method,
    headers: { apikey: serviceKey, Authorization: `Bearer ${serviceKey}`, 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

// waitFor polls f until it returns a truthy value or the deadline passes.
async function waitFor(f, what, ms = 10_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('RLS with auth.uid(), RBAC roles and scoped keys through /rest/v1', async () => {
  await sql(`create table if not exists public.auth_notes (id serial primary key, owner uuid not null default auth.uid(), body text);
    alter table public.auth_notes enable row level security;
    drop policy if exists own on public.auth_notes;
    create policy own on public.auth_notes using (owner = auth.uid()) with check (owner = auth.uid());
    notify pgrst, 'reload schema';`);
  const alice = client();
  const bob = client();
  await alice.auth.signUp({ email: email(), password: 'password-1' });
  await bob.auth.signUp({ email: email(), password: 'password-1' });
  await waitFor(async () => !(await alice.from('auth_notes').select('id')).error, 'the schema cache to see auth_notes');
  assert.ifError((await alice.from('auth_notes').insert([{ body: 'a1' }, { body: 'a2' }])).error);
  assert.ifError((await bob.from('auth_notes').insert({ body: 'b1' })).error);
  const { data: mine, error } = await alice.from('auth_notes').select('body').order('body');
  assert.ifError(error);
  assert.deepEqual(mine.map((r) => r.body), ['a1', 'a2']);

  // A role with read only: writing is refused before any SQL runs.
  assert.equal((await authAdmin('POST', '/admin/roles', { name: 'notes_reader', permissions: [{ resource: 'public.auth_notes', actions: ['read'] }] })).status, 200);
  const { data: { user: bobUser } } = await bob.auth.getUser();
  assert.equal((await authAdmin('PUT', `/admin/users/${bobUser.id}/roles`, { roles: ['notes_reader'] })).status, 200);
  const { error: refErr } = await bob.auth.refreshSession();
  assert.ifError(refErr);
  const { data: bobRows, error: readErr } = await bob.from('auth_notes').select('body');
  assert.ifError(readErr);
  assert.deepEqual(bobRows.map((r) => r.body), ['b1']);
  const { error: writeErr, status } = await bob.from('auth_notes').insert({ body: 'b2' });
  assert.equal(status, 403);
  assert.ok(writeErr);

  // A scoped secret key: reads allowed, writes refused; revoked, it fails at once.
  const created = await authAdmin('POST', '/admin/keys', { name: 'e2e', scopes: ['rest:read:public.auth_notes'] });
  assert.equal(created.status, 201);
  const keyed = client(created.body.key);
  const { data: all, error: keyErr } = await keyed.from('auth_notes').select('body');
  assert.ifError(keyErr);
  assert.equal(all.length, 3, 'a secret key acts as service_role');
  assert.equal((await keyed.from('auth_notes').insert({ owner: bobUser.id, body: 'k' })).status, 403);
  assert.equal((await authAdmin('DELETE', `/admin/keys/${created.body.api_key.id}`)).status, 204);
  const { status: revokedStatus } = await keyed.from('auth_notes').select('body');
  assert.equal(revokedStatus, 401);
});

test('features that are off raise the errors supabase-js knows from GoTrue', async () => {
  const auth = client().auth;
  const { error: ssoErr } = await auth.signInWithSSO({ domain: 'example.com' });
  assert.equal(ssoErr?.code, 'saml_provider_disabled');
  assert.equal(ssoErr?.status, 404);

  const { error: idErr } = await auth.signInWithIdToken({ provider: 'google', token: 'x.y.z' });
  assert.equal(idErr?.code, 'provider_disabled');
  assert.equal(idErr?.message, 'Provider (issuer "https://accounts.google.com") is not enabled');

  const { error: otpErr } = await auth.signInWithOtp({ phone: '+15550100000' });
  assert.equal(otpErr?.code, 'phone_provider_disabled');
  assert.equal(otpErr?.message, 'Unsupported phone provider');

  const { error: phoneErr } = await client(serviceKey).auth.admin.createUser({ phone: '(555) 010-0000' });
  assert.equal(phoneErr?.code, 'validation_failed');
  assert.equal(phoneErr?.message, 'Invalid phone number format (E.164 required)');

  const { error: factorsErr } = await client(serviceKey).auth.admin.mfa.listFactors({ userId: randomUUID() });
  assert.equal(factorsErr?.code, 'user_not_found');
});
