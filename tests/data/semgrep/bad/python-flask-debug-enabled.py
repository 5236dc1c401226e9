"""Bad: the Werkzeug debugger exposed by a Flask app."""

from flask import Flask

app = Flask(__name__)
app.config["DEBUG"] = True  # expect: python-flask-debug-enabled


@app.route("/")
def index() -> str:
    return "hello"


if __name__ == "__main__":
    app.run(host="0.0.0.0", debug=True)  # expect: python-flask-debug-enabled
