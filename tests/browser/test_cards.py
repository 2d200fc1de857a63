"""No empty boxes: on every page, each element drawn as a box of its own (a background or a
border its parent does not have) holds visible text or a control, so a maker without a contact,
website or GS1 prefixes gets no blank white card."""
import pytest

from .site_pages import PAGES, params

# Visible elements inside <main> painted as boxes that hold no text, no image and no control.
EMPTY_BOXES_JS = r"""
const none = 'rgba(0, 0, 0, 0)', out = [];
for (const el of document.querySelectorAll('main *')) {
  if (el.matches('input, select, textarea, button, img, svg, svg *, hr')) continue;
  const cs = getComputedStyle(el), r = el.getBoundingClientRect();
  if (cs.display === 'none' || cs.visibility === 'hidden' || !r.width || !r.height) continue;
  const bg = cs.backgroundColor !== none &&
             cs.backgroundColor !== getComputedStyle(el.parentElement).backgroundColor;
  const border = ['Top', 'Right', 'Bottom', 'Left'].some(
      s => parseFloat(cs['border' + s + 'Width']) > 0 && cs['border' + s + 'Style'] !== 'none');
  if ((bg || border) && !el.innerText.trim() &&
      !el.querySelector('input, select, textarea, button, img, svg'))
    out.push(el.outerHTML.slice(0, 200));
}
return out;
"""


@pytest.mark.parametrize("page", params(PAGES))
def test_no_empty_boxes(page, site):
    site.load(page.url_path(site.registry), "desktop")
    empty = site.driver.execute_script(EMPTY_BOXES_JS)
    assert not empty, "boxes with nothing in them: %r" % empty
