"""Good: Flask debug mode from the environment, never in code.  good: python-flask-debug-enabled"""

import os

from flask import Flask

app = Flask(__name__)
app.config["DEBUG"] = False


@app.route("/")
def index() -> str:
    return "hello"


if __name__ == "__main__":
    app.run(host="127.0.0.1", debug=os.environ.get("FLASK_DEBUG") == "1")
