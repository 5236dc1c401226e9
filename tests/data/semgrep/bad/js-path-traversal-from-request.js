// Bad: file paths built from request data.
const express = require("express");
const fs = require("fs");
const path = require("path");

const app = express();

app.get("/files", (req, res) => {
  const file = path.join(__dirname, "uploads", req.query.name);
  fs.readFile(file, (err, data) => res.send(data)); // expect: js-path-traversal-from-request
});

app.get("/download/:name", (req, res) => {
  res.sendFile("/srv/files/" + req.params.name); // expect: js-path-traversal-from-request
});
