// Bad: MD5 / SHA-1 for security.
const crypto = require("crypto");

function passwordDigest(password) {
  return crypto.createHash("md5").update(password).digest("hex"); // expect: js-weak-hash
}

function sign(body, key) {
  return crypto.createHmac("sha1", key).update(body).digest("hex"); // expect: js-weak-hash
}
