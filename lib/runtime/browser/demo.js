/**
 * The demo page's script: render the embedded snapshot, then every pushed change. Values
 * are set with textContent and attributes, never parsed as HTML.
 */
import { connect } from './client.js';

const list = document.getElementById('flags');
const version = document.getElementById('version');
const status = document.getElementById('status');
const updates = document.getElementById('updates');
let count = 0;

function render(snapshot) {
  if (!snapshot) return;
  version.textContent = snapshot.version;
  const items = Object.keys(snapshot.flags)
    .sort()
    .map((key) => {
      const flag = snapshot.flags[key];
      const li = document.createElement('li');
      li.dataset.flag = key;
      li.dataset.enabled = String(flag.enabled === true);
      const name = document.createElement('code');
      name.textContent = key;
      const state = document.createElement('span');
      state.className = 'state';
      state.textContent = flag.enabled ? ' on' : ' off';
      const rest = Object.fromEntries(Object.entries(flag).filter(([k]) => k !== 'enabled'));
      const details = document.createElement('span');
      details.className = 'attributes';
      details.textContent = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
      li.append(name, state, details);
      return li;
    });
  list.replaceChildren(...items);
}

const client = connect({
  onChange(snapshot) {
    count += 1;
    updates.textContent = String(count);
    render(snapshot);
  },
  onStatus(s) {
    status.textContent = s;
    status.dataset.status = s;
  },
});
render(client.snapshot);
