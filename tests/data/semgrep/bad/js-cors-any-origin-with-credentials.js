// Bad: any origin may make credentialed requests.
const cors = require("cors");
const express = require("express");

const app = express();
app.use(cors({ origin: true, credentials: true })); // expect: js-cors-any-origin-with-credentials
app.use("/api", cors({ credentials: true, maxAge: 600, origin: "*" })); // expect: js-cors-any-origin-with-credentials
