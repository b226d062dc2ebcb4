// Unit test of the Node example's Batcher (clients/node/classify_stream.js)
// with a stand-in for the gRPC call, so that the order of write() results
// and 'drain' events is the test's to choose; and of its Fifo.
'use strict';

const assert = require('assert');
const { EventEmitter } = require('events');
const { Batcher, Fifo } = require(process.argv[2]);

// A call whose send buffer is full while `full` is set.
class FakeCall extends EventEmitter {
  constructor() {
    super();
    this.full = false;
    this.messages = [];
    this.ended = false;
  }
  write(message) {
    this.messages.push(message.documents.map((d) => d.id));
    return !this.full;
  }
  end() {
    this.ended = true;
  }
}

// A full message fills the buffer, and gRPC drains it before the reader
// next asks: the next add() must not report a full buffer that is long
// gone, or a reader waiting for another 'drain' would wait for ever.
{
  const call = new FakeCall();
  const batcher = new Batcher(call, 2, 60000);
  call.full = true;
  assert.strictEqual(batcher.add({ id: '1' }), true);
  assert.strictEqual(batcher.add({ id: '2' }), false); // Sent; buffer full.
  call.full = false;
  call.emit('drain');
  assert.strictEqual(batcher.add({ id: '3' }), true);
  let resumed = false;
  batcher.whenWritable(() => { resumed = true; });
  assert.strictEqual(resumed, true);
  batcher.end();
  assert.deepStrictEqual(call.messages, [['1', '2'], ['3']]);
  assert.strictEqual(call.ended, true);
}

// While the buffer is full a waiting reader is resumed by the next 'drain',
// once.
{
  const call = new FakeCall();
  const batcher = new Batcher(call, 1, 60000);
  call.full = true;
  assert.strictEqual(batcher.add({ id: '1' }), false);
  let resumed = 0;
  batcher.whenWritable(() => { resumed++; });
  assert.strictEqual(resumed, 0);
  call.full = false;
  call.emit('drain');
  call.emit('drain');
  assert.strictEqual(resumed, 1);
  batcher.end();
}

// Long documents go out in messages of at most 16 MiB of text, however
// few documents that is.
{
  const call = new FakeCall();
  const batcher = new Batcher(call, 64, 60000);
  const long = 'x'.repeat(10 << 20);
  for (const id of ['1', '2', '3']) batcher.add({ id, text: long });
  batcher.add({ id: '4', text: 'short' });
  batcher.end();
  assert.deepStrictEqual(call.messages, [['1'], ['2'], ['3', '4']]);
}

// The Fifo gives back what was pushed, in order, across the compactions
// of its storage, while pushes and takes interleave.
{
  const fifo = new Fifo();
  let pushed = 0;
  let taken = 0;
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 300; i++) fifo.push(pushed++);
    fifo.push(null); // Entries may be null: taken like any other.
    pushed++;
    for (let i = 0; i < 250 + round; i++) {
      const expected = taken % 301 === 300 ? null : taken;
      assert.strictEqual(fifo.peek(), expected);
      assert.strictEqual(fifo.take(), expected);
      taken++;
    }
    assert.strictEqual(fifo.length, pushed - taken);
  }
  while (fifo.length > 0) fifo.take();
  assert.strictEqual(fifo.length, 0);
}

console.log('node_batcher_test: passed');
