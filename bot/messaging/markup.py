"""What the assistant says, as a safe HTML fragment for the web chat and the agent desk.

Knowledge-base answers are markdown (`**Monday to Friday:**`, lists, links). `message_html`
renders it with markdown-it (CommonMark) and keeps it safe to put in a page:

- raw HTML in the text is escaped, never passed through (`<script>` stays text);
- links keep only http, https, mailto and tel addresses (anything else stays text) and open
  in a new tab with `rel="noopener noreferrer"`; bare web addresses and e-mail addresses
  become links too;
- images are not rendered (an answer never loads anything from elsewhere);
- a single line break stays a line break, as the text reads on SMS.

Only the assistant's own text goes through it; customers' (and agents') text is shown as text.
"""

from __future__ import annotations

import re
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

SAFE_SCHEMES = ("http://", "https://", "mailto:", "tel:")
# A bare web address (up to the first space or quote) or an e-mail address, in running text.
_BARE_LINK = re.compile(r"(?P<url>\bhttps?://[^\s<>\"'`]+)|(?P<email>\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
_TRAILING = ".,;:!?)]}'\""  # punctuation after an address belongs to the sentence


def safe_link(url: str) -> bool:
    """True for an address a customer may be sent to: http(s), mailto or tel."""
    return url.strip().lower().startswith(SAFE_SCHEMES)


def _link_tokens(state: StateCore, href: str, text: str, level: int) -> list[Token]:
    opening = Token("link_open", "a", 1, attrs={"href": state.md.normalizeLink(href)}, markup="linkify", info="auto",
                    level=level)
    label = Token("text", "", 0, content=text, level=level + 1)
    return [opening, label, Token("link_close", "a", -1, markup="linkify", info="auto", level=level)]


def _split_text(state: StateCore, token: Token) -> list[Token]:
    """A text token with bare addresses in it, as text and link tokens."""
    pieces: list[Token] = []
    text, position = token.content, 0
    for match in _BARE_LINK.finditer(text):
        found = match.group(0)
        kept = found.rstrip(_TRAILING) if match.group("url") else found
        if not kept:
            continue
        start = match.start()
        if start > position:
            pieces.append(Token("text", "", 0, content=text[position:start], level=token.level))
        href = kept if match.group("url") else "mailto:" + kept
        pieces += _link_tokens(state, href, kept, token.level)
        position = start + len(kept)
    if not pieces:
        return [token]
    if position < len(text):
        pieces.append(Token("text", "", 0, content=text[position:], level=token.level))
    return pieces


def _autolink(state: StateCore) -> None:
    """Core rule: bare addresses outside links become links (markdown-it's own needs linkify-it)."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        inside_link = 0
        for token in block.children:
            if token.type == "link_open":
                inside_link += 1
            elif token.type == "link_close":
                inside_link -= 1
            children += _split_text(state, token) if token.type == "text" and not inside_link else [token]
        block.children = children


def _open_link(self, tokens: list[Token], idx: int, options, env) -> str:  # noqa: ANN001 - markdown-it's signature
    token = tokens[idx]
    token.attrSet("target", "_blank")
    token.attrSet("rel", "noopener noreferrer")
    return self.renderToken(tokens, idx, options, env)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "breaks": True}).disable("image")
    parser.validateLink = safe_link  # other schemes (javascript:, data:, relative paths) stay as text
    parser.core.ruler.push("frontdesk_autolink", _autolink)
    parser.add_render_rule("link_open", _open_link)
    return parser


def message_html(text: str) -> str:
    """`text` (markdown) as an HTML fragment that is safe to show in a page (see the module's docstring)."""
    return _parser().render(text).strip()
