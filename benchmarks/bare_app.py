"""The baseline for bench_webhook: a bare Flask endpoint served by the same gunicorn setup."""
from flask import Flask

app = Flask(__name__)


@app.post("/wechat")
def wechat():
    return "success"
