// Good: SHA-256 and HMAC-SHA-256.  good: js-weak-hash
const crypto = require("crypto");

function digest(body) {
  return crypto.createHash("sha256").update(body).digest("hex");
}

function sign(body, key) {
  return crypto.createHmac("sha256", key).update(body).digest("hex");
}
