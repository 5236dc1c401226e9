// Good: names reduced to their base name; fixed files.  good: js-path-traversal-from-request
const express = require("express");
const fs = require("fs");
const path = require("path");

const app = express();

app.get("/files", (req, res) => {
  const file = path.join(__dirname, "uploads", path.basename(req.query.name));
  fs.readFile(file, (err, data) => res.send(data));
});

app.get("/terms", (req, res) => {
  fs.readFile(path.join(__dirname, "terms.html"), (err, data) => res.send(data));
});
