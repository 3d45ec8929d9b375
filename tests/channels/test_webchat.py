"""The web chat page's own rules, read from the file: a session on every request, text never as HTML."""

import re

from channels.webchat import PAGE, content_security_policy

HTML = PAGE.read_text(encoding="utf-8")


def test_the_page_never_writes_html_from_text() -> None:
    script = re.search(r"<script>(.*?)</script>", HTML, flags=re.DOTALL).group(1)
    assert "innerHTML" not in script and "outerHTML" not in script and "insertAdjacentHTML" not in script
    assert "document.write" not in script and "textContent" in script


def test_the_policy_runs_only_the_pages_own_script() -> None:
    policy = content_security_policy(HTML)
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert re.search(r"script-src 'sha256-[A-Za-z0-9+/=]{44}';", policy)
    assert content_security_policy(HTML.replace("poll();", "poll(); alert(1);")) != policy
