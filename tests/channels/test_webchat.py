"""The web chat page's own rules, read from the file (with the shared safe_html.js the server puts in it): a session
on every request, text never written as HTML."""

import re

from channels.agent_desk import PAGE as DESK_PAGE
from channels.webchat import PAGE, content_security_policy, page_source

HTML = page_source(PAGE)


def test_the_page_never_writes_html_from_text() -> None:
    script = re.search(r"<script>(.*?)</script>", HTML, flags=re.DOTALL).group(1)
    assert "innerHTML" not in script and "outerHTML" not in script and "insertAdjacentHTML" not in script
    assert "document.write" not in script and "textContent" in script


def test_the_policy_runs_only_the_pages_own_script() -> None:
    policy = content_security_policy(HTML)
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert re.search(r"script-src 'sha256-[A-Za-z0-9+/=]{44}';", policy)
    assert content_security_policy(HTML.replace("poll();", "poll(); alert(1);")) != policy


def test_both_pages_get_the_shared_allow_list_and_neither_writes_html_from_text() -> None:
    for html in (HTML, page_source(DESK_PAGE)):
        script = re.search(r"<script>(.*?)</script>", html, flags=re.DOTALL).group(1)
        assert "/*safe_html.js*/" not in script and "function copySafe(from, to)" in script
        assert "innerHTML" not in script and "outerHTML" not in script and "insertAdjacentHTML" not in script
