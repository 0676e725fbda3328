const { FusionAuthClient } = require('@fusionauth/typescript-client');
const URL = process.env.FUSIONAUTH_URL || 'http://127.0.0.1:9011';
const KEY = 'dev-only-api-key-Kh4tI2W5Ax9a4zWWetKgSDwGmwSZU5F5ZHDPykkk';
const APP = 'b0029271-d049-43fa-9a64-ade04b85bf15';
(async () => {
  const anon = new FusionAuthClient(null, URL);
  const admin = new FusionAuthClient(KEY, URL);
  const r = await anon.login({ loginId: 'shopper@example.com', password: 'store-demo-pass', applicationId: APP });
  console.log('login', r.statusCode, Object.keys(r.response).sort().join(','));
  try { await anon.login({ loginId: 'shopper@example.com', password: 'bad', applicationId: APP }); }
  catch (e) { console.log('bad login rejected', e.statusCode, e.exception === undefined ? 'no exception' : JSON.stringify(e.exception)); }
  const e1 = await anon.exchangeRefreshTokenForJWT({ refreshToken: r.response.refreshToken });
  console.log('refresh', e1.statusCode, Object.keys(e1.response).sort().join(','));
  const v = await anon.validateJWT(e1.response.token);
  console.log('validate', v.statusCode, v.response.jwt.sub);
  const lo = await anon.logout(false, e1.response.refreshToken);
  console.log('logout', lo.statusCode, JSON.stringify(lo.response));
  try { await anon.exchangeRefreshTokenForJWT({ refreshToken: e1.response.refreshToken }); }
  catch (e) { console.log('refresh after logout rejected', e.statusCode, JSON.stringify(e.exception)); }
  const r2 = await anon.login({ loginId: 'shopper@example.com', password: 'store-demo-pass', applicationId: APP });
  const rv = await admin.revokeRefreshTokenById(r2.response.refreshTokenId);
  console.log('revoke by id', rv.statusCode);
  const r3 = await anon.login({ loginId: 'shopper@example.com', password: 'store-demo-pass', applicationId: APP });
  const rv2 = await admin.revokeRefreshToken(r3.response.refreshToken);
  console.log('revoke by token', rv2.statusCode);
  const rv3 = await admin.revokeRefreshTokensByUserIdForApplication(r3.response.user.id, APP);
  console.log('revoke by user+app', rv3.statusCode);
  const u = await admin.retrieveUserByEmail('shopper@example.com');
  console.log('user', u.statusCode, u.response.user.email);
  const j = await anon.retrieveJsonWebKeySet();
  console.log('jwks', j.statusCode, j.response.keys.length);
  try { await anon.validateJWT('garbage'); } catch (e) { console.log('validate garbage rejected', e.statusCode); }
})().catch(e => { console.log('UNEXPECTED', e.statusCode, e); process.exit(1); });
