// Bad: TLS certificate checking turned off.
const https = require("https");

const agent = new https.Agent({ keepAlive: true, rejectUnauthorized: false }); // expect: js-tls-verification-disabled

process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0"; // expect: js-tls-verification-disabled

function options(tls) {
  tls.rejectUnauthorized = false; // expect: js-tls-verification-disabled
  return tls;
}

module.exports = { agent, options };
