// FusionAuth's official TypeScript client (@fusionauth/typescript-client 1.69.0) against the
// emulator. Every check prints "ok <name> ..." or "FAIL <name> ..."; the exit status is 0 only
// when all pass. Configuration (defaults: the project's Kickstart file) comes from the
// environment: FUSIONAUTH_URL, FUSIONAUTH_API_KEY, FUSIONAUTH_APPLICATION_ID,
// FUSIONAUTH_LOGIN_ID, FUSIONAUTH_PASSWORD. Run with NODE_PATH=<node_modules with the client>.
const crypto = require('crypto');
const { FusionAuthClient } = require('@fusionauth/typescript-client');

const env = (name, fallback) => process.env[name] || fallback;
const URL = env('FUSIONAUTH_URL', 'http://127.0.0.1:9011');
const KEY = env('FUSIONAUTH_API_KEY', 'dev-only-api-key-Kh4tI2W5Ax9a4zWWetKgSDwGmwSZU5F5ZHDPykkk');
const APP = env('FUSIONAUTH_APPLICATION_ID', 'b0029271-d049-43fa-9a64-ade04b85bf15');
const LOGIN_ID = env('FUSIONAUTH_LOGIN_ID', 'shopper@example.com');
const PASSWORD = env('FUSIONAUTH_PASSWORD', 'store-demo-pass');

const failures = [];
function check(name, condition, detail) {
  console.log(`${condition ? 'ok' : 'FAIL'} ${name}${detail === undefined ? '' : ' ' + detail}`);
  if (!condition) failures.push(name);
}

// A rejected promise's ClientResponse (the client rejects on any non-2xx).
async function rejection(promise) {
  try {
    const response = await promise;
    return { statusCode: response.statusCode, resolved: true };
  } catch (e) {
    return e;
  }
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
function base32(bytes) {
  let bits = 0, value = 0, out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte; bits += 8;
    while (bits >= 5) { out += BASE32[(value >>> (bits - 5)) & 31]; bits -= 5; }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}
function totp(secretBytes) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30)));
  const mac = crypto.createHmac('sha1', secretBytes).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1000000).padStart(6, '0');
}

(async () => {
  const anon = new FusionAuthClient(null, URL);
  const admin = new FusionAuthClient(KEY, URL);

  const r = await anon.login({ loginId: LOGIN_ID, password: PASSWORD, applicationId: APP });
  check('login 200', r.statusCode === 200 && r.response.token && r.response.refreshToken, r.statusCode);
  const bad = await rejection(anon.login({ loginId: LOGIN_ID, password: 'wrong-password', applicationId: APP }));
  check('wrong password rejected 404', bad.statusCode === 404, bad.statusCode);
  const blank = await rejection(anon.login({ loginId: '', password: '', applicationId: APP }));
  check('blank rejected 400', blank.statusCode === 400 && blank.exception && blank.exception.fieldErrors.loginId, blank.statusCode);

  const e1 = await anon.exchangeRefreshTokenForJWT({ refreshToken: r.response.refreshToken });
  check('refresh 200', e1.statusCode === 200 && e1.response.token && e1.response.refreshTokenId, e1.statusCode);
  const v = await anon.validateJWT(e1.response.token);
  check('validate 200', v.statusCode === 200 && v.response.jwt.sub === r.response.user.id, v.statusCode);
  const garbage = await rejection(anon.validateJWT('garbage'));
  check('validate garbage rejected 401', garbage.statusCode === 401, garbage.statusCode);

  const lo = await rejection(anon.logout(false, e1.response.refreshToken));
  check('logout resolves 200 (no JSON content type on the empty body)', lo.resolved && lo.statusCode === 200, lo.statusCode);
  const after = await rejection(anon.exchangeRefreshTokenForJWT({ refreshToken: e1.response.refreshToken }));
  check('refresh after logout rejected 400', after.statusCode === 400, after.statusCode);

  const r2 = await anon.login({ loginId: LOGIN_ID, password: PASSWORD, applicationId: APP });
  const byId = await rejection(admin.revokeRefreshTokenById(r2.response.refreshTokenId));
  check('revoke by id resolves 200', byId.resolved && byId.statusCode === 200, byId.statusCode);
  const r3 = await anon.login({ loginId: LOGIN_ID, password: PASSWORD, applicationId: APP });
  const byToken = await rejection(admin.revokeRefreshToken(r3.response.refreshToken));
  check('revoke by token resolves 200', byToken.resolved && byToken.statusCode === 200, byToken.statusCode);
  const byUserApp = await rejection(admin.revokeRefreshTokensByUserIdForApplication(r3.response.user.id, APP));
  check('revoke by user+app resolves 200', byUserApp.resolved && byUserApp.statusCode === 200, byUserApp.statusCode);

  const u = await admin.retrieveUserByEmail(LOGIN_ID);
  check('user by email 200', u.statusCode === 200 && u.response.user.email === LOGIN_ID, u.statusCode);
  const j = await anon.retrieveJsonWebKeySet();
  check('jwks 200', j.statusCode === 200 && j.response.keys.length >= 1, j.statusCode);

  // Two-factor: 242 resolves like 200; a wrong code rejects with 421; the right one logs in.
  const secret = crypto.randomBytes(20);
  const email = `ts-${crypto.randomBytes(6).toString('hex')}@example.com`;
  const reg = await admin.register(null, {
    user: { email, password: 'typescript-two-factor',
            twoFactor: { methods: [{ method: 'authenticator', secret: secret.toString('base64'),
                                    secretBase32Encoded: base32(secret) }] } },
    registration: { applicationId: APP }, skipVerification: true,
  });
  check('register with an authenticator 200', reg.statusCode === 200, reg.statusCode);
  const challenge = await anon.login({ loginId: email, password: 'typescript-two-factor', applicationId: APP });
  check('login 242 resolves', challenge.statusCode === 242 && challenge.response.twoFactorId, challenge.statusCode);
  const code = totp(secret);
  const wrong = await rejection(anon.twoFactorLogin({ twoFactorId: challenge.response.twoFactorId, code: code === '000000' ? '111111' : '000000' }));
  check('two-factor wrong code rejected 421', wrong.statusCode === 421, wrong.statusCode);
  const done = await anon.twoFactorLogin({ twoFactorId: challenge.response.twoFactorId, code, applicationId: APP });
  check('two-factor login 200', done.statusCode === 200 && done.response.token, done.statusCode);

  const key = await admin.generateKey(null, { key: { algorithm: 'HS256', name: 'typescript HMAC key' } });
  check('generate HS256 key 200', key.statusCode === 200 && key.response.key.type === 'HMAC', key.statusCode);
  const j2 = await anon.retrieveJsonWebKeySet();
  check('jwks never lists the HMAC key', j2.response.keys.every(k => k.kid !== key.response.key.kid));

  if (failures.length > 0) {
    console.log(`FAILED: ${failures.join(', ')}`);
    process.exit(1);
  }
  console.log('ALL CHECKS PASSED');
})().catch(e => { console.log('UNEXPECTED', e && e.statusCode, e); process.exit(1); });
