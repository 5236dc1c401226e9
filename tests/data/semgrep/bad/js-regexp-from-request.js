// Bad: regular expressions compiled from request data.
const express = require("express");

const app = express();

app.get("/search", (req, res) => {
  const pattern = new RegExp(req.query.q, "i"); // expect: js-regexp-from-request
  res.json(items.filter((item) => pattern.test(item.name)));
});

app.post("/filter", (req, res) => {
  const term = req.body.term;
  const matcher = RegExp("^" + term); // expect: js-regexp-from-request
  res.json(items.filter((item) => matcher.test(item.name)));
});
