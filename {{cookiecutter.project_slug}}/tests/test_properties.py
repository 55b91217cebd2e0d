"""Whatever a browser sends to /activate and /callback, the App answers with a page, not a crash."""

import string
from urllib.parse import parse_qs, urlsplit

from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import Browser
from tests.fake_pim import FakePim

# Any text a URL can carry (lone surrogates cannot be encoded in a URL at all).
any_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=120)
# The regex's own characters as its alphabet: the same strings, without Hypothesis first
# computing which code points UTF-8 can encode (seconds, on the first run in a fresh checkout).
URL_CHARACTERS = string.ascii_letters + string.digits + ".:@/?#[]%_~-"
url_like = st.from_regex(
    r"(https?|ftp|javascript)://[a-zA-Z0-9.:@/?#\[\]%_~-]{0,40}",
    fullmatch=True,
    alphabet=URL_CHARACTERS,
)
# The documented failures of the PIM (502: refused or garbage, 504: too slow) are not crashes.
ALLOWED_SERVER_ERRORS = {502, 504}


# Examples, deadline and health checks come from the profile chosen in conftest.py.
@given(
    pim_url=st.one_of(any_text, url_like), code=any_text, state=any_text, real_state=st.booleans()
)
def test_random_inputs_never_cause_a_server_error(
    browser: Browser, pim_a: FakePim, pim_url: str, code: str, state: str, real_state: bool
) -> None:
    activation = browser.get("/activate", {"pim_url": pim_url})
    assert activation.status in (302, 400), activation.text

    if real_state:
        location = browser.get("/activate", {"pim_url": pim_a.url}).location
        state = parse_qs(urlsplit(location).query)["state"][0]
    callback = browser.get("/callback", {"code": code, "state": state})

    assert callback.status < 500 or callback.status in ALLOWED_SERVER_ERRORS, callback.text
    assert callback.status in (302, 400, 403, 502), callback.text
