/**
 * The queue dashboard's sign-in page: the registry's own two sign-in steps (password, then the authenticator
 * app's code), then the dashboard session. Plain HTML and a same-origin script, as the CSP requires.
 */
export const SIGN_IN_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Queue dashboard: sign in</title>
<script src="/admin/queues/sign-in.js" defer></script>
<style>
  body { font-family: system-ui, sans-serif; margin: 0; background: #f3f4f6; color: #111827; }
  main { max-width: 24rem; margin: 4rem auto; background: #fff; padding: 2rem; border-radius: 0.5rem; }
  label { display: block; margin: 1rem 0 0.25rem; font-weight: 600; }
  input { width: 100%; box-sizing: border-box; padding: 0.5rem; font-size: 1rem; }
  button { margin-top: 1.5rem; padding: 0.6rem 1.2rem; font-size: 1rem; }
  #message { color: #b91c1c; min-height: 1.5rem; }
</style>
</head>
<body>
<main>
  <h1>Queue dashboard</h1>
  <p>For administrators. Sign in with your registry account and the code from your authenticator app.</p>
  <form id="sign-in">
    <label for="email">E-mail</label>
    <input id="email" name="email" type="email" autocomplete="username" required>
    <label for="password">Password</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required>
    <label for="code">Authenticator code</label>
    <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required>
    <button type="submit">Sign in</button>
    <p id="message" role="alert"></p>
  </form>
</main>
</body>
</html>
`;

export const SIGN_IN_SCRIPT = `'use strict';
(function () {
  var form = document.getElementById('sign-in');
  var message = document.getElementById('message');

  async function post(url, body, token) {
    var headers = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = 'Bearer ' + token;
    var response = await fetch(url, {
      method: 'POST',
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
    var text = await response.text();
    var data = text ? JSON.parse(text) : {};
    if (!response.ok) throw new Error(data.detail || 'Sign-in failed (' + response.status + ')');
    return data;
  }

  form.addEventListener('submit', async function (event) {
    event.preventDefault();
    message.textContent = '';
    var fields = new FormData(form);
    try {
      var step = await post('/auth/login', { email: fields.get('email'), password: fields.get('password') });
      if (step.status !== 'mfa_required') {
        throw new Error('Set up your authenticator app (first sign-in) before opening the dashboard.');
      }
      var tokens = await post('/auth/mfa/verify', { mfaToken: step.mfaToken, code: fields.get('code') });
      await post('/admin/queues/session', undefined, tokens.accessToken);
      window.location.assign('/admin/queues/');
    } catch (error) {
      message.textContent = error.message;
    }
  });
})();
`;
