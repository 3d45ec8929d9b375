  // copySafe(from, to): copy the nodes of `from` (HTML the server rendered from the assistant's markdown, parsed
  // with DOMParser, which runs nothing) into `to`, keeping only these tags and links to http(s), mailto and tel
  // (opened in a new tab, rel=noopener); anything else becomes its text. No attribute but a link's address is kept.
  // The web chat and the agent desk pages both include this file (the server puts it in their script).
  const SAFE_TAGS = new Set(["P", "BR", "STRONG", "EM", "A", "UL", "OL", "LI", "CODE", "PRE", "BLOCKQUOTE", "HR",
                             "H1", "H2", "H3", "H4", "H5", "H6"]);
  const SAFE_LINK = /^(https?:|mailto:|tel:)/i;
  function copySafe(from, to) {
    for (const node of from.childNodes) {
      if (node.nodeType === Node.TEXT_NODE) { to.appendChild(document.createTextNode(node.textContent)); continue; }
      if (node.nodeType !== Node.ELEMENT_NODE) continue;
      if (!SAFE_TAGS.has(node.tagName) || (node.tagName === "A" && !SAFE_LINK.test(node.getAttribute("href") || ""))) {
        to.appendChild(document.createTextNode(node.textContent));
        continue;
      }
      const copy = document.createElement(node.tagName);
      if (node.tagName === "A") {
        copy.href = node.getAttribute("href");
        copy.target = "_blank";
        copy.rel = "noopener noreferrer";
      }
      copySafe(node, copy);
      to.appendChild(copy);
    }
  }
  function safeHtml(html, to) {
    copySafe(new DOMParser().parseFromString(html, "text/html").body, to);
  }
