"""The assistant's markdown as HTML for pages: formatting kept, raw HTML escaped, only safe links."""

import pytest

from bot.messaging.markup import message_html, safe_link


def test_an_entrys_markdown_becomes_html() -> None:
    html = message_html("Our team is here:\n\n- **Monday to Friday:** 08:00-20:00\n- *Weekends:* 09:00-17:00")
    assert html == ("<p>Our team is here:</p>\n<ul>\n<li><strong>Monday to Friday:</strong> 08:00-20:00</li>\n"
                    "<li><em>Weekends:</em> 09:00-17:00</li>\n</ul>")


def test_a_single_line_break_stays_a_line_break() -> None:
    assert message_html("first line\nsecond line") == "<p>first line<br />\nsecond line</p>"


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", '<img src=x onerror="alert(1)">',
                                  "<a href=\"javascript:alert(1)\">x</a>", "<b>bold</b>", "<!-- note -->"])
def test_raw_html_is_escaped_never_passed_through(text) -> None:
    html = message_html(text)
    assert "<script" not in html and "<img" not in html and "<b>" not in html and "<a" not in html and "<!--" not in html
    assert html.startswith("<p>&lt;")


def test_links_open_in_a_new_tab_without_access_to_the_page() -> None:
    assert message_html("[our site](https://www.s-club.example/x)") == (
        '<p><a href="https://www.s-club.example/x" target="_blank" rel="noopener noreferrer">our site</a></p>')
    assert 'href="tel:+442079460000"' in message_html("[call us](tel:+442079460000)")
    assert 'href="mailto:a@s-club.example"' in message_html("[mail](mailto:a@s-club.example)")


@pytest.mark.parametrize("href", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>x</script>",
                                  "vbscript:x", "file:///etc/passwd", "../contact/contact_details.md", "//evil.example"])
def test_other_links_stay_text(href) -> None:
    assert "<a" not in message_html(f"[click]({href})")
    assert not safe_link(href)


def test_bare_web_and_email_addresses_become_links_without_the_sentences_punctuation() -> None:
    html = message_html("Go to https://www.s-club.example. Or email **support@s-club.example**, or (https://a.example/b).")
    assert '<a href="https://www.s-club.example" target="_blank" rel="noopener noreferrer">https://www.s-club.example</a>.' in html
    assert '<strong><a href="mailto:support@s-club.example"' in html and ">support@s-club.example</a></strong>," in html
    assert '<a href="https://a.example/b"' in html and "https://a.example/b</a>)." in html


def test_an_address_already_in_a_link_is_not_linked_twice() -> None:
    html = message_html("[https://www.s-club.example](https://www.s-club.example/join) and <https://b.example>")
    assert html.count("<a ") == 2 and "</a></a>" not in html


def test_images_are_not_loaded() -> None:
    assert "<img" not in message_html("![logo](https://tracker.example/pixel.png)")


def test_an_address_with_quotes_cannot_break_out_of_its_attribute() -> None:
    html = message_html('https://x.example/"onmouseover="alert(1)')
    assert html == ('<p><a href="https://x.example/" target="_blank" rel="noopener noreferrer">https://x.example/</a>'
                    '&quot;onmouseover=&quot;alert(1)</p>')
