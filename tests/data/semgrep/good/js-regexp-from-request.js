// Good: request data escaped before it becomes a pattern; plain-text matching.  good: js-regexp-from-request
const express = require("express");
const escapeRegExp = require("lodash.escaperegexp");

const app = express();

app.get("/search", (req, res) => {
  const pattern = new RegExp(escapeRegExp(req.query.q), "i");
  res.json(items.filter((item) => pattern.test(item.name)));
});

app.get("/prefix", (req, res) => {
  const term = String(req.query.term);
  res.json(items.filter((item) => item.name.startsWith(term)));
});

const SLUG = new RegExp("^[a-z0-9-]+$");
module.exports = { SLUG };
