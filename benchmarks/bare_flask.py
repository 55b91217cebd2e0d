"""The ceiling for Flask: the same redirect and health answer as the App, without any work."""

import os

from flask import Flask, jsonify, redirect

app = Flask(__name__)
LOCATION = os.environ["BARE_LOCATION"]


@app.get("/activate")
def activate():  # type: ignore[no-untyped-def]
    return redirect(LOCATION)


@app.get("/health")
def health():  # type: ignore[no-untyped-def]
    return jsonify(status="ok")
