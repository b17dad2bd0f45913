// Minimal stand-in for a socket.io-client Socket, driven by the tests.
export class FakeSocket {
  constructor() {
    this.handlers = new Map();
    this.managerHandlers = new Map();
    this.connected = false;
    this.active = true;
    this.sent = []; // [{event, payload, cb}]
    this.io = {
      on: (ev, fn) => add(this.managerHandlers, ev, fn),
      off: (ev, fn) => remove(this.managerHandlers, ev, fn),
    };
  }

  on(ev, fn) {
    add(this.handlers, ev, fn);
    return this;
  }

  off(ev, fn) {
    remove(this.handlers, ev, fn);
    return this;
  }

  emit(event, payload, cb) {
    this.sent.push({ event, payload, cb });
    return this;
  }

  timeout() {
    return { emit: (event, payload, cb) => this.emit(event, payload, cb) };
  }

  sentOf(event) {
    return this.sent.filter((s) => s.event === event);
  }

  /** deliver a server -> client event */
  serverEmit(event, ...args) {
    for (const fn of [...(this.handlers.get(event) || [])]) fn(...args);
  }

  managerEmit(event, ...args) {
    for (const fn of [...(this.managerHandlers.get(event) || [])]) fn(...args);
  }

  connect() {
    this.connected = true;
    this.serverEmit('connect');
    return this;
  }

  drop(reason = 'transport close') {
    this.connected = false;
    this.serverEmit('disconnect', reason);
  }

  disconnect() {
    this.connected = false;
    this.active = false;
    return this;
  }
}

function add(map, ev, fn) {
  if (!map.has(ev)) map.set(ev, new Set());
  map.get(ev).add(fn);
}

function remove(map, ev, fn) {
  map.get(ev)?.delete(fn);
}
