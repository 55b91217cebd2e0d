"""The ceiling for FastAPI: the same redirect and health answer as the App, without any work."""

import os

from fastapi import FastAPI
from fastapi.responses import RedirectResponse

app = FastAPI()
LOCATION = os.environ["BARE_LOCATION"]


@app.get("/activate")
async def activate() -> RedirectResponse:
    return RedirectResponse(LOCATION, status_code=302)


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}
