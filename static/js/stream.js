// The page's live stream (docs/api.md#the-live-stream): one WebSocket, opened with the session cookie.
// It hears the quotes of every element with data-quote-key, the chart's forming candle, and the chosen
// account's orders, positions, funds and notices, and hands them to the page as events on <body>:
//   "stream:quote"  detail {key: "NSE:SBIN-EQ", data}   (quotes.js draws it)
//   "stream:candle" detail {topic, data}                (chart.js)
//   "stream:order", "stream:position", "stream:funds", "stream:notice"  each event, detail {topic, seq, data}
// and, for htmx triggers (hx-trigger="streamPositions from:body"), once for a burst of events (a fill moves
// an order, a position and the funds together; one redraw each, not three):
//   "streamOrders", "streamPositions", "streamFunds", "streamNotices"
//   "streamResync"  events were missed: redraw from the server
//   "streamPoll"    every 12 s while the socket is down or degraded: the slow fallback poll
// (htmx's own `throttle` would not do: while it runs, the element drops its other triggers too.)
// <html data-stream> says the state (connecting, live, reconnecting, degraded, disconnected); the feed chip
// shows it while it is down.
(function () {
  "use strict";
  const BATCHED = "trading.v1.batch"; // each frame: a JSON array of what was waiting
  const FALLBACK_POLL_MS = 12000;
  const DENIED_RETRY_MS = 60000; // the session ended or the user was locked out: the page reload decides
  const MAX_BACKOFF_MS = 30000;
  const PRIVATE = {
    orders: ["stream:order", "streamOrders"],
    positions: ["stream:position", "streamPositions"],
    funds: ["stream:funds", "streamFunds"],
    notices: ["stream:notice", "streamNotices"],
  };
  const BURST_MS = 200;
  const DENIED = new Set([4401, 4403]);

  let socket = null;
  let state = "connecting";
  let lastSeq = 0;
  let attempt = 0;
  let pollTimer = null;
  let retryTimer = null;
  let scanTimer = null;
  const subscribed = new Set(); // market topics this socket hears
  const burst = new Map(); // what is due at the end of this burst: key -> action (each key once)
  let burstTimer = null;

  function fire(name, detail) { document.body.dispatchEvent(new CustomEvent(name, { detail, bubbles: true })); }

  // Run `action` once at the end of the burst of events, however many times `key` is asked for meanwhile.
  function afterBurst(key, action) {
    burst.set(key, action);
    if (burstTimer) return;
    burstTimer = setTimeout(() => {
      burstTimer = null;
      const actions = [...burst.values()];
      burst.clear();
      actions.forEach((a) => a());
    }, BURST_MS);
  }

  function fireAfterBurst(name) { afterBurst(name, () => fire(name)); }

  function setState(next) {
    if (next === state) return;
    state = next;
    document.documentElement.dataset.stream = next;
    const down = next !== "live" && next !== "connecting";
    if (down && !pollTimer) pollTimer = setInterval(() => fire("streamPoll"), FALLBACK_POLL_MS);
    if (!down && pollTimer) { clearInterval(pollTimer); pollTimer = null; }
    fire("stream:state", { state: next });
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  function marketTopics() {
    const topics = new Set();
    document.querySelectorAll("[data-quote-key]").forEach((el) => topics.add(`quotes:${el.dataset.quoteKey}`));
    document.querySelectorAll("[data-candle-topic]").forEach((el) => topics.add(el.dataset.candleTopic));
    return topics;
  }

  // Hear what the page shows now: subscribe what is new, unsubscribe what left (after each htmx swap).
  function rescan() {
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    const wanted = marketTopics();
    const added = [...wanted].filter((t) => !subscribed.has(t));
    const gone = [...subscribed].filter((t) => !wanted.has(t));
    if (added.length) { send({ op: "subscribe", topics: added }); added.forEach((t) => subscribed.add(t)); }
    if (gone.length) { send({ op: "unsubscribe", topics: gone }); gone.forEach((t) => subscribed.delete(t)); }
  }

  function rescanSoon() {
    clearTimeout(scanTimer);
    scanTimer = setTimeout(rescan, 50);
  }

  function privateTopics() {
    const account = document.body.dataset.streamAccount;
    const topics = account ? ["orders", "positions", "funds"].map((t) => `${t}:${account}`) : [];
    topics.push("notices"); // the user's own notices too (no account); the toasts show the chosen account's
    return topics;
  }

  function handle(message) {
    if (message.op) {
      switch (message.op) {
        case "ping": send({ op: "pong" }); break;
        case "resync": fireAfterBurst("streamResync"); break;
        case "degraded": setState("degraded"); break;
        case "recovered": setState("live"); break;
        default: break; // subscribed, unsubscribed, pong, error (a topic the page named is not listed), closing
      }
      return;
    }
    if (!message.topic) return;
    if (typeof message.seq === "number" && message.seq > lastSeq) lastSeq = message.seq;
    const base = message.topic.split(":", 1)[0];
    if (base === "quotes") fire("stream:quote", { key: message.topic.slice(7), data: message.data });
    else if (base === "candles") fire("stream:candle", message);
    else if (PRIVATE[base]) {
      fire(PRIVATE[base][0], message);
      fireAfterBurst(PRIVATE[base][1]);
    }
  }

  function connect() {
    retryTimer = null;
    const url = document.body.dataset.streamUrl;
    if (!url || !("WebSocket" in window)) { setState("reconnecting"); return; }
    try {
      socket = new WebSocket(url, [BATCHED]);
    } catch (e) {
      setState("reconnecting");
      retry(1006);
      return;
    }
    socket.addEventListener("open", () => {
      attempt = 0;
      subscribed.clear();
      send({ op: "subscribe", topics: privateTopics(), resume_from: lastSeq });
      rescan();
      setState("live");
    });
    socket.addEventListener("message", (event) => {
      let parsed;
      try { parsed = JSON.parse(event.data); } catch (e) { return; }
      if (Array.isArray(parsed)) parsed.forEach(handle);
      else handle(parsed);
    });
    socket.addEventListener("close", (event) => {
      socket = null;
      setState(DENIED.has(event.code) ? "disconnected" : "reconnecting");
      retry(event.code);
    });
  }

  function retry(code) {
    if (retryTimer) return;
    let wait;
    if (DENIED.has(code)) wait = DENIED_RETRY_MS;
    else if (code === 1012) wait = 500 + Math.random() * 1500; // the server restarts: come back soon
    else wait = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(attempt, 5)) * (0.75 + Math.random() / 2);
    attempt += 1;
    retryTimer = setTimeout(connect, wait);
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (!document.body.dataset.streamUrl) return; // not logged in
    lastSeq = Number(document.body.dataset.streamSeq) || 0;
    document.documentElement.dataset.stream = state;
    document.body.addEventListener("htmx:afterSettle", rescanSoon);
    // A phone that slept, or a tab brought back: reconnect now rather than at the end of a long backoff.
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible" && !socket && retryTimer && state !== "disconnected") {
        clearTimeout(retryTimer);
        connect();
      }
    });
    connect();
  });

  window.tradingStream = { rescan: rescanSoon, afterBurst, get state() { return state; } };
})();
