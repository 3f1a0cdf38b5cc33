// What a person would see wrong with the page as laid out now; evaluated by tests/e2e/test_layout.py.
// One arrow function (Playwright's page.evaluate calls it with its options), returning a list of problems:
// - the page scrolls sideways;
// - a word of text lies outside the viewport (a value hidden in a table that scrolls inside its card);
// - a word breaks across two lines ("CANCEL_PENDI / NG", "₹1,00,0 / 00.00"); words longer than LONG_WORD
//   (keys, addresses, browser names) may wrap; a status badge takes more than one line;
// - (touch) a visible tap target is smaller than minTarget x minTarget px, unless it is a link inside a
//   sentence (WCAG 2.5.8's inline exception);
// - a destructive control (cancel, exit, square off, remove, revoke, kill switch) is less than
//   destructiveGap px from another target.
// `width` is the device's: a mobile browser widens its layout viewport (window.innerWidth) to a page that
// is too wide and zooms out, so innerWidth would grow with the fault it is meant to find.
({ width, touch, minTarget, destructiveGap }) => {
  const LONG_WORD = 24;
  const TARGETS = "a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]";
  const DESTRUCTIVE = ".btn-danger, .btn-exit, .btn-remove, [data-destructive]";
  const SENTENCE = "p, li, dd, .form-error, .form-notice, .form-success, .flash";
  const problems = [];

  function describe(el) {
    const id = el.dataset.testid ? `[data-testid=${el.dataset.testid}]` : "";
    const cls = el.classList.length ? "." + Array.from(el.classList).join(".") : "";
    const label = (el.getAttribute("aria-label") || el.textContent || el.value || "").trim().replace(/\s+/g, " ");
    return `<${el.tagName.toLowerCase()}${id}${cls}> "${label.slice(0, 40)}"`;
  }

  function shown(el) {
    return el.checkVisibility({ opacityProperty: true, visibilityProperty: true }) && !el.closest(".sr-only");
  }

  // --- Sideways scrolling -----------------------------------------------------------------------------
  const docWidth = document.documentElement.scrollWidth;
  if (docWidth > width) problems.push(`the page is ${docWidth}px wide on a ${width}px screen`);

  // --- Words: inside the viewport, never broken ------------------------------------------------------
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || !shown(parent) || parent.closest("script, style, template, svg, select, option")) continue;
    for (const match of node.data.matchAll(/\S+/g)) {
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const rects = Array.from(range.getClientRects()).filter((r) => r.width > 0 && r.height > 0);
      if (!rects.length) continue;
      const left = Math.min(...rects.map((r) => r.left));
      const right = Math.max(...rects.map((r) => r.right));
      if (left < -1 || right > width + 1) {
        problems.push(`"${match[0]}" in ${describe(parent)} is outside the screen (${Math.round(left)}..${Math.round(right)}px)`);
      }
      const lines = new Set(rects.map((r) => Math.round(r.top / 4)));
      if (lines.size > 1 && match[0].length <= LONG_WORD) {
        problems.push(`"${match[0]}" in ${describe(parent)} breaks across ${lines.size} lines`);
      }
    }
  }

  // A status badge ("Cancel pending") is one line, even where it has a space to break at.
  for (const badge of document.querySelectorAll(".badge")) {
    if (!shown(badge)) continue;
    const text = document.createRange();
    text.selectNodeContents(badge);
    const lines = new Set(Array.from(text.getClientRects()).filter((r) => r.width > 0).map((r) => Math.round(r.top / 4)));
    if (lines.size > 1) problems.push(`${describe(badge)} takes ${lines.size} lines`);
  }

  // --- Targets: big enough to tap, destructive ones apart ----------------------------------------------
  function target(el) {
    // A visually hidden radio or checkbox is tapped through its label: the label is the target.
    if (el.matches("input[type=radio], input[type=checkbox]") && el.closest("label")) return el.closest("label");
    return el;
  }

  function inSentence(el) {
    if (el.tagName !== "A" || getComputedStyle(el).display !== "inline") return false;
    const block = el.closest(SENTENCE);
    return Boolean(block) && block.textContent.replace(el.textContent, "").trim().length > 0;
  }

  const targets = [];
  for (const el of document.querySelectorAll(TARGETS)) {
    const t = target(el);
    if (targets.includes(t) || !shown(t)) continue;
    const rect = t.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0) continue;
    targets.push(t);
    if (touch && !inSentence(t) && (rect.width < minTarget - 0.5 || rect.height < minTarget - 0.5)) {
      problems.push(`${describe(t)} is ${Math.round(rect.width)}x${Math.round(rect.height)}px, under ${minTarget}x${minTarget}`);
    }
  }

  function gap(a, b) {
    const x = Math.max(b.left - a.right, a.left - b.right);
    const y = Math.max(b.top - a.bottom, a.top - b.bottom);
    return x >= 0 || y >= 0 ? Math.max(x, y) : -1; // -1: they overlap
  }

  // A fixed or sticky bar (the top bar, the tab bar, the action bar) is a layer of its own: the page scrolls
  // under it, so a target on the page is never beside one on the bar for long.
  function layer(el) {
    for (let node = el; node; node = node.parentElement) {
      if (["fixed", "sticky"].includes(getComputedStyle(node).position)) return node;
    }
    return null;
  }

  for (const d of targets.filter((t) => t.matches(DESTRUCTIVE))) {
    const mine = d.getBoundingClientRect();
    for (const other of targets) {
      if (other === d || other.contains(d) || d.contains(other) || layer(other) !== layer(d)) continue;
      const apart = gap(mine, other.getBoundingClientRect());
      if (apart < destructiveGap) {
        problems.push(`${describe(d)} is ${Math.round(apart)}px from ${describe(other)}, under ${destructiveGap}`);
      }
    }
  }
  return problems;
}
