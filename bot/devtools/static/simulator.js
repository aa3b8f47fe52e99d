// The simulator page: every action becomes a signed WeChat callback through /simulator/send.
const log = document.getElementById('log');
const text = document.getElementById('text');
const mode = document.getElementById('mode');
const seen = new Set();
let voice = false;

function add(cls, content) {
  const div = document.createElement('div');
  div.className = 'msg ' + cls;
  div.textContent = content;
  log.appendChild(div);
  log.scrollTop = log.scrollHeight;
  return div;
}

function show(result) {
  if (document.getElementById('showxml').checked) add('xml', result.sent_xml + '\n→ HTTP ' + result.status + '\n' + result.xml);
  if (result.type === 'text') add('bot', result.text);
  else if (result.type === 'news') result.articles.forEach(a => add('bot card', a.title + '\n' + a.description));
  else if (result.type === 'transfer_customer_service') add('note', '（已转接人工客服）');
  else if (result.status !== 200) add('note', '（HTTP ' + result.status + '）');
}

async function send(payload) {
  payload.openid = document.getElementById('openid').value;
  payload.encrypt = document.getElementById('encrypt').checked;
  const resp = await fetch('/simulator/send', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(payload)});
  show(await resp.json());
}

document.getElementById('composer').addEventListener('submit', e => {
  e.preventDefault();
  const value = text.value.trim();
  if (!value) return;
  add('me', (voice ? '🎤 ' : '') + value);
  text.value = '';
  send({type: voice ? 'voice' : 'text', text: value});
});

mode.addEventListener('click', () => {
  voice = !voice;
  mode.textContent = voice ? '语音' : '文字';
  mode.setAttribute('aria-pressed', String(voice));
  text.placeholder = voice ? '输入语音转写的文字（模拟语音识别）' : '打字提问，例如：残疾证怎么办';
});

document.querySelectorAll('.menu-item').forEach(item => {
  const top = item.querySelector('.top');
  const sub = item.querySelector('.sub');
  top.addEventListener('click', () => {
    const open = sub.hidden;
    document.querySelectorAll('.sub').forEach(s => { s.hidden = true; });
    document.querySelectorAll('.menu .top').forEach(t => t.setAttribute('aria-expanded', 'false'));
    sub.hidden = !open;
    top.setAttribute('aria-expanded', String(open));
  });
  sub.querySelectorAll('button').forEach(b => b.addEventListener('click', () => {
    sub.hidden = true;
    add('note', '点击菜单：' + b.textContent);
    send({type: 'event', event: 'click', key: b.dataset.key});
  }));
});

document.getElementById('subscribe').addEventListener('click', () => { add('note', '（关注公众号）'); send({type: 'event', event: 'subscribe'}); });
document.getElementById('unsubscribe').addEventListener('click', () => { add('note', '（取消关注）'); send({type: 'event', event: 'unsubscribe'}); });
document.getElementById('image').addEventListener('click', () => { add('me', '[图片]'); send({type: 'image'}); });
document.getElementById('location').addEventListener('click', () => { add('me', '[位置]'); send({type: 'location'}); });

// Messages delivered later through the WeChat API (notices, reminders, confirmations).
// The first poll for an openid only notes what was delivered before: switching the openid in 设置
// must not replay that user's old pushes as new.
let polledFor = null;
async function poll() {
  try {
    const openid = document.getElementById('openid').value;
    const quiet = openid !== polledFor;
    const resp = await fetch('/simulator/sent?openid=' + encodeURIComponent(openid));
    const items = await resp.json();
    if (openid !== document.getElementById('openid').value) return;  // switched while waiting
    polledFor = openid;
    for (const m of items) {
      const key = openid + '|' + (m.id || JSON.stringify(m));
      if (seen.has(key)) continue;
      seen.add(key);
      if (quiet) continue;
      const body = (m.text && m.text.content) || m.content || JSON.stringify(m.data || m);
      add('bot', '【推送】' + body);
    }
  } catch (e) { /* the fake WeChat server may not be running */ }
}
setInterval(poll, 3000);
// The page is never blank: a note is there at once, and says what happened once the welcome arrived.
poll().then(() => send({type: 'event', event: 'subscribe'})).then(() => {
  document.querySelector('.welcome').textContent = '（已关注公众号。打字提问，或点下方菜单）';
});
