// One bybit-api (Node SDK, unchanged) session against a running FakeBybit: public and private
// streams (subscribeV5) and order entry over the Trade API (WebsocketAPIClient), linear and spot.
// Usage: node session.js <node_modules dir> <ws base url> <api key> <api secret>
// The recipe: point the SDK's endpoint map (WS_BASE_URL_MAP) at the fake before creating clients.
'use strict';
const path = require('path');
const [modules, base, key, secret] = process.argv.slice(2);
const sdk = require(path.join(modules, 'bybit-api'));
const urls = require(path.join(modules, 'bybit-api/lib/util/websockets/websocket-util')).WS_BASE_URL_MAP;
urls.v5.private.livenet = base + '/v5/private';
urls.v5PrivateTrade.private.livenet = base + '/v5/trade';
urls.v5LinearPublic.public.livenet = base + '/v5/public/linear';
urls.v5SpotPublic.public.livenet = base + '/v5/public/spot';

const quiet = { trace: () => {}, info: () => {}, error: () => {} };
const seen = new Set();
const fail = (why) => { console.error('FAIL ' + why); process.exit(2); };
const until = (names, ms) => new Promise((resolve, reject) => {
  const deadline = Date.now() + ms;
  const tick = () => names.every((n) => seen.has(n)) ? resolve()
    : Date.now() > deadline ? reject(new Error('missing ' + names.filter((n) => !seen.has(n))))
    : setTimeout(tick, 20);
  tick();
});

async function main() {
  const ws = new sdk.WebsocketClient({ key, secret }, quiet);
  ws.on('update', (m) => seen.add((m.wsKey || '') + ':' + m.topic.split('.')[0]));
  ws.on('exception', (e) => fail('exception ' + JSON.stringify(e)));
  const api = new sdk.WebsocketAPIClient({ key, secret }, quiet);
  try {
    await Promise.all([
      ...ws.subscribeV5(['publicTrade.BTCUSDT', 'orderbook.50.BTCUSDT', 'tickers.BTCUSDT'], 'linear'),
      ...ws.subscribeV5(['publicTrade.BTCUSDT', 'orderbook.50.BTCUSDT'], 'spot'),
      ...ws.subscribeV5(['order', 'execution', 'wallet', 'position'], 'linear'),
    ]);
    await until(['v5LinearPublic:publicTrade', 'v5LinearPublic:orderbook', 'v5LinearPublic:tickers',
      'v5SpotPublic:orderbook'], 15000);
    const placed = await api.submitNewOrder({ category: 'linear', symbol: 'BTCUSDT', side: 'Buy',
      orderType: 'Limit', qty: '0.01', price: '1000' });
    if (placed.retCode !== 0) fail('order.create ' + JSON.stringify(placed));
    const cancelled = await api.cancelOrder({ category: 'linear', symbol: 'BTCUSDT', orderId: placed.data.orderId });
    if (cancelled.retCode !== 0) fail('order.cancel ' + JSON.stringify(cancelled));
    const market = await api.submitNewOrder({ category: 'spot', symbol: 'BTCUSDT', side: 'Buy',
      orderType: 'Market', qty: '50' });
    if (market.retCode !== 0) fail('spot order.create ' + JSON.stringify(market));
    await until(['v5Private:order', 'v5Private:execution', 'v5Private:wallet'], 15000);
    console.log('OK ' + [...seen].sort().join(' '));
  } finally {
    ws.closeAll(true);
    api.getWSClient().closeAll(true);
  }
}

main().then(() => process.exit(0), (e) => fail(e && e.stack || e));
