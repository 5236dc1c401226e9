// A tenant's outside client (the official JavaScript NATS client) attacking through the bus
// with its own credentials. Usage:
//   node attack.mjs URL INBOX_PREFIX publish SUBJECT [MSG_ID] < body
// publishes stdin's bytes through JetStream on SUBJECT (with the dedupe id MSG_ID when given)
// and prints the acknowledgement as JSON: {"stream": ..., "seq": ..., "duplicate": ...}.
import { connect } from "nats";

const [url, inboxPrefix, verb, subject, msgID] = process.argv.slice(2);
const at = new URL(url);
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const body = new Uint8Array(Buffer.concat(chunks));
const nc = await connect({
  servers: `${at.hostname}:${at.port}`,
  user: decodeURIComponent(at.username),
  pass: decodeURIComponent(at.password),
  inboxPrefix,
});
try {
  if (verb !== "publish") throw new Error(`unknown verb ${verb}`);
  const js = nc.jetstream();
  const ack = await js.publish(subject, body, msgID ? { msgID } : {});
  console.log(JSON.stringify({ stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate }));
} finally {
  await nc.close();
}
