#!/usr/bin/env node
// Streams a file of documents to classifyd and prints the labels of each.
//
//   node classify_stream.js [--addr HOST:PORT] [--text-lines] [--batch N]
//                           [--linger-ms MS] [--plugin NAME]...
//                           [--language TAG] [FILE]
//
// Each input line is one document: a JSON object {"id": "...", "text": "..."}
// (JSON Lines), or, if it does not start with "{" or with --text-lines, the
// text itself (its id is then the line number). Reads standard input when
// FILE is "-" or missing.
//
// Prints exactly one JSON line per input line, in input order, in the same
// format as the Python and Go examples. Exit status: 0 if every document was
// classified, 1 if some had an error, 3 if the stream itself failed.
//
// The API is loaded from the .proto at run time (@grpc/proto-loader), so
// there is no generated code. All documents go over one ClassifyBatchStream
// call: lines read within --linger-ms of each other (up to --batch) go as
// one message (see Batcher), so the server classifies them as one batch.
// The server answers in request order, so a queue of per-line entries pairs
// each answer with its line. Reading pauses while gRPC's send buffer is full.
'use strict';

const fs = require('fs');
const path = require('path');
const readline = require('readline');
const { parseArgs } = require('util');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const INVALID_ARGUMENT = grpc.status.INVALID_ARGUMENT;

function loadApi(protoPath) {
  const definition = protoLoader.loadSync(protoPath, {
    keepCase: true, // Field names as in the .proto: top_k, min_score.
    longs: String, // uint64 generations as strings, never rounded.
    enums: String,
    defaults: true,
    oneofs: true,
  });
  return grpc.loadPackageDefinition(definition).classifyd.v1;
}

// Returns {request} for a good line, {problem} otherwise.
function parseLine(line, number, textLines) {
  line = line.replace(/\r$/, '');
  if (line.trim() === '') return { problem: `line ${number}: blank line` };
  if (textLines || !line.trimStart().startsWith('{')) {
    return { request: { id: String(number), text: line } };
  }
  let doc;
  try {
    doc = JSON.parse(line);
  } catch (e) {
    return { problem: `line ${number}: invalid JSON: ${e.message}` };
  }
  if (doc === null || typeof doc !== 'object' || typeof doc.text !== 'string') {
    return { problem: `line ${number}: expected an object with a string "text"` };
  }
  return { request: { id: String(doc.id ?? number), text: doc.text } };
}

// Most text bytes in one message, well under the server's default message
// limit (64 MiB), so that a run of long documents is split into messages
// rather than refused together.
const MAX_MESSAGE_TEXT_BYTES = 16 << 20;

// Coalesces documents into ClassifyBatchRequest messages on `call`: the
// first document of a message waits at most `lingerMs` for others, and a
// message holds at most `maxBatch` documents and about
// MAX_MESSAGE_TEXT_BYTES of text. add() returns false while gRPC's send
// buffer is full (as call.write() does), and whenWritable() says when it
// has room again; end() sends what is left and half-closes the call.
class Batcher {
  constructor(call, maxBatch, lingerMs) {
    this.call = call;
    this.maxBatch = maxBatch;
    this.lingerMs = lingerMs;
    this.documents = [];
    this.textBytes = 0;
    this.timer = null;
    this.writable = true;
    this.waiting = [];
    // 'drain' comes once after a write() that returned false, whether or
    // not anyone waits for it yet (a timer's flush can be that write), so
    // the flag follows it here rather than in whoever waits.
    call.on('drain', () => {
      this.writable = true;
      for (const resume of this.waiting.splice(0)) resume();
    });
  }

  // Calls `resume` once gRPC's send buffer has room: at once if it has.
  whenWritable(resume) {
    if (this.writable) {
      resume();
    } else {
      this.waiting.push(resume);
    }
  }

  add(request) {
    const size = Buffer.byteLength(request.text ?? '');
    if (this.documents.length > 0 &&
        this.textBytes + size > MAX_MESSAGE_TEXT_BYTES) {
      this.flush();
    }
    this.documents.push(request);
    this.textBytes += size;
    if (this.documents.length >= this.maxBatch || this.lingerMs <= 0) {
      this.flush();
    } else if (this.timer === null) {
      this.timer = setTimeout(() => this.flush(), this.lingerMs);
    }
    return this.writable;
  }

  flush() {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.documents.length === 0) return;
    this.writable = this.call.write({ documents: this.documents });
    this.documents = [];
    this.textBytes = 0;
  }

  end() {
    this.flush();
    this.call.end();
  }
}

function toOutput(response) {
  if (response.error && response.error.code !== 0) {
    return {
      id: response.id,
      error: { code: response.error.code, message: response.error.message },
    };
  }
  return {
    id: response.id,
    labels: response.labels.map((l) => ({
      name: l.name,
      score: Number(l.score.toFixed(6)),
      plugin: l.plugin,
      // Only when set: the best guess under the server's min_score.
      ...(l.low_confidence ? { low_confidence: true } : {}),
    })),
  };
}

function main() {
  const { values, positionals } = parseArgs({
    options: {
      addr: { type: 'string', default: process.env.CLASSIFYD_ADDR || '127.0.0.1:50051' },
      'text-lines': { type: 'boolean', default: false },
      proto: {
        type: 'string',
        default: path.join(__dirname, '..', '..', 'proto', 'classifyd', 'v1', 'classifier.proto'),
      },
      'connect-timeout': { type: 'string', default: '10' },
      batch: { type: 'string', default: '64' },
      'linger-ms': { type: 'string', default: '1' },
      plugin: { type: 'string', multiple: true, default: [] },
      language: { type: 'string', default: '' },
    },
    allowPositionals: true,
  });
  const file = positionals[0] ?? '-';
  const input = file === '-' ? process.stdin : fs.createReadStream(file);
  input.on('error', (e) => fail(`cannot read ${file}: ${e.message}`));

  const api = loadApi(values.proto);
  const client = new api.Classifier(values.addr, grpc.credentials.createInsecure());
  const deadline = Date.now() + 1000 * Number(values['connect-timeout']);
  client.waitForReady(deadline, (err) => {
    if (err) fail(`cannot connect to ${values.addr}: ${err.message}`);
    const batching = {
      maxBatch: Math.max(1, Number(values.batch)),
      lingerMs: Math.max(0, Number(values['linger-ms'])),
    };
    const plugins = values.plugin.flatMap((p) => p.split(',')).filter((p) => p !== '');
    const options = { plugins, language: values.language };
    stream(client, input, values['text-lines'], options, batching);
  });
}

// A first-in first-out queue whose take() costs the same however long the
// queue is: Array.prototype.shift() copies a large array, and this queue
// holds an entry for every line read and not yet answered.
class Fifo {
  constructor() {
    this.items = [];
    this.head = 0;
  }

  get length() {
    return this.items.length - this.head;
  }

  push(item) {
    this.items.push(item);
  }

  peek() {
    return this.items[this.head];
  }

  take() {
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head >= 1024 && 2 * this.head >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

function stream(client, input, textLines, options, batching) {
  // One entry per input line, in order: null for a line sent to the server,
  // the output itself for a line answered here.
  const entries = new Fifo();
  let errors = 0;
  let number = 0;
  // Output lines are gathered and written once per answer message: on a
  // pipe every process.stdout.write() is a system call of its own.
  let pending = '';
  const print = (out) => {
    if (out.error) errors++;
    pending += JSON.stringify(out) + '\n';
  };
  const flushOutput = () => {
    if (pending.length > 0) process.stdout.write(pending);
    pending = '';
  };
  const printLocal = () => {
    while (entries.length > 0 && entries.peek() !== null) print(entries.take());
  };

  // No deadline: a stream lasts as long as the file does.
  const call = client.ClassifyBatchStream();
  const batcher = new Batcher(call, batching.maxBatch, batching.lingerMs);
  call.on('data', (answer) => {
    for (const response of answer.results) {
      printLocal();
      entries.take();
      print(toOutput(response));
    }
    flushOutput();
  });
  call.on('error', (e) => fail(`stream failed: ${grpc.status[e.code]}: ${e.details}`));
  call.on('end', () => {
    printLocal();
    flushOutput();
    process.exitCode = errors > 0 ? 1 : 0;
    client.close(); // Otherwise the idle channel keeps Node running.
  });

  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  let waitingForDrain = false;
  lines.on('line', (line) => {
    number++;
    const { request, problem } = parseLine(line, number, textLines);
    if (problem !== undefined) {
      entries.push({ id: String(number), error: { code: INVALID_ARGUMENT, message: problem } });
      return;
    }
    entries.push(null);
    request.plugins = options.plugins;
    if (!request.language) request.language = options.language;
    // Backpressure: stop reading until gRPC has sent what it holds. Lines
    // readline had already split still arrive after pause(), hence the flag.
    if (!batcher.add(request) && !waitingForDrain) {
      waitingForDrain = true;
      lines.pause();
      batcher.whenWritable(() => {
        waitingForDrain = false;
        lines.resume();
      });
    }
  });
  lines.on('close', () => batcher.end());
}

function fail(message) {
  process.stderr.write(`classify_stream.js: ${message}\n`);
  process.exit(3);
}

if (require.main === module) {
  main();
} else {
  module.exports = { Batcher, Fifo }; // For tests/clients/node_batcher_test.js.
}
