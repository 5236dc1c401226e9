// Good: verification kept; a private CA passed explicitly.  good: js-tls-verification-disabled
const fs = require("fs");
const https = require("https");

const agent = new https.Agent({ keepAlive: true, ca: fs.readFileSync("/etc/ssl/internal-ca.pem") });
const strict = new https.Agent({ rejectUnauthorized: true });

module.exports = { agent, strict };
