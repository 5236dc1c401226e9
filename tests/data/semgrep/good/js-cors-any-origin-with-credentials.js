// Good: listed origins with credentials; any origin without.  good: js-cors-any-origin-with-credentials
const cors = require("cors");
const express = require("express");

const app = express();
app.use(cors({ origin: ["https://app.example.com"], credentials: true }));
app.use("/public", cors({ origin: "*" }));
