// The login page: user name and password through login.icc, which sets the session cookie
// (HttpOnly, so the page never sees it); then on to the place the user came from.

import { post } from './api.js';
import { h } from './ui.js';
import { navigate } from './main.js';

export function showLogin(app) {
  const name = h('input', { id: 'user', name: 'userName', type: 'text', autocomplete: 'username', required: true, autocapitalize: 'none' });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password' });
  const message = h('p', { class: 'error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'btn primary wide' }, 'Log in');
  const form = h('form', { class: 'login', onsubmit: async (e) => {
    e.preventDefault();
    submit.disabled = true;
    message.textContent = '';
    try {
      await post('/login.icc', { userName: name.value, password: password.value });
      const next = new URLSearchParams(location.search).get('next');
      navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true });
    } catch (err) {
      message.textContent = err.message;
      password.select();
    } finally {
      submit.disabled = false;
    }
  } },
  h('h1', {}, 'iSync'),
  h('label', { for: 'user' }, 'User name'), name,
  h('label', { for: 'password' }, 'Password'), password,
  message, submit);
  app.replaceChildren(h('main', { class: 'center' }, form));
  name.focus();
  return {};
}
