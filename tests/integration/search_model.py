"""search_model.py: the search semantics of issue 15 (docs: the lead's search spec, then
docs/API.md, GET /v1/products and GET /v1/facets) evaluated by brute force in Python, over
records as GET /v1/products/{id} or POST /v1/lookup return them. The oracle for
test_search_index.py and the word rule bench/search gives SQLite FTS5, so that both agree.

Written from the spec, not from the C code: folding is Python's unicodedata (NFKC, casefold,
NFKC again: NFKC_Casefold for the text the tests use), words are runs of letters and digits
(categories L* and N*), CJK runs (Han, Hiragana, Katakana, Hangul) become single characters
and overlapping pairs. Only the standard library (bench/search imports it outside pytest).
"""
import datetime
import unicodedata

ENDING_SOON_DAYS = 180  # assess.h ASSESS_ENDING_SOON_DAYS: the API's own support_status rule
WORD_MAX_BYTES = 64
MAX_QUERY_WORDS = 16

# Code point ranges of the CJK scripts the spec names (Han, Hiragana, Katakana, Hangul).
CJK_RANGES = ((0x1100, 0x11FF), (0x3040, 0x309F), (0x30A0, 0x30FF), (0x3130, 0x318F),
              (0x31F0, 0x31FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xA960, 0xA97F),
              (0xAC00, 0xD7AF), (0xD7B0, 0xD7FF), (0xF900, 0xFAFF), (0x20000, 0x3134F))


def fold(text):
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def is_cjk(ch):
    c = ord(ch)
    return any(lo <= c <= hi for lo, hi in CJK_RANGES)


def _cut(word):
    b = word.encode()
    if len(b) <= WORD_MAX_BYTES:
        return word
    return b[:WORD_MAX_BYTES].decode(errors="ignore")  # drops a partial last character


def raw_words(text):
    """The folded words of text, in order: runs of letters and digits."""
    out, cur = [], []
    for ch in fold(text):
        if unicodedata.category(ch)[0] in "LN":
            cur.append(ch)
        elif cur:
            out.append("".join(cur))
            cur = []
    if cur:
        out.append("".join(cur))
    return out


def index_words(text):
    """The words text is indexed under: each word (cut at 64 bytes); a CJK run as each
    character and each overlapping pair."""
    out = set()
    for w in raw_words(text):
        if all(is_cjk(c) for c in w):
            out.update(w)
            out.update(w[i:i + 2] for i in range(len(w) - 1))
        else:
            out.add(_cut(w))
    return out


def query_terms(q):
    """q's words, each as (tokens that must ALL match, the word): a CJK run of two or more
    characters needs each of its pairs, any other word itself."""
    terms = []
    for w in raw_words(q):
        if len(w) > 1 and all(is_cjk(c) for c in w):
            terms.append(([w[i:i + 2] for i in range(len(w) - 1)], w))
        else:
            terms.append(([_cut(w)], w))
    return terms


def gtin_valid(digits):
    if not digits.isdigit() or len(digits) not in (8, 12, 13, 14) or set(digits) == {"0"}:
        return False
    body, check = digits[:-1], int(digits[-1])
    s = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - s % 10) % 10 == check


def gtin14(digits):
    return digits.zfill(14) if gtin_valid(digits) else None


def product_words(rec):
    """Every word a product is found by (the spec's list of fields)."""
    words = set()
    for f in ("id", "product_name", "product_model", "manufacturer", "manufacturer_name"):
        words |= index_words(rec.get(f) or "")
    g = rec.get("gtin")
    if g:
        words.add(g)
        if g[0] == "0":
            words.add(g[1:])
    return words


def _term_matches(tokens, words, prefix):
    for t in tokens:
        if t in words:
            continue
        if prefix and any(w.startswith(t) for w in words):
            continue
        return False
    return True


def q_matches(q, rec, words=None, name_only=False):
    """Every query word equals one of the product's words (the last also as a prefix unless q
    ends in whitespace); a valid GTIN word also matches the product holding it."""
    terms = query_terms(q)
    words = words if words is not None else (
        index_words(rec.get("product_name") or "") if name_only else product_words(rec))
    prefix_last = not q[-1:].isspace()
    for i, (tokens, raw) in enumerate(terms):
        last = prefix_last and i == len(terms) - 1
        if _term_matches(tokens, words, last):
            continue
        if not name_only and gtin14(raw) and rec.get("gtin") == gtin14(raw):
            continue
        return False
    return True


def tier(q, rec):
    """Relevance tier: 0 q is the ID or the GTIN, 1 all words in the name, 2 the rest."""
    t = q.strip()
    if fold(t) == rec["id"] or (gtin14(t) and rec.get("gtin") == gtin14(t)):
        return 0
    return 1 if q_matches(q, rec, name_only=True) else 2


def support_by_date(rec, today):
    """support filter's state from support_date against today: date ranges."""
    sd = rec.get("support_date")
    if not sd:
        return "unknown"
    left = (datetime.date.fromisoformat(sd) - today).days
    return "ended" if left < 0 else "ending_soon" if left <= ENDING_SOON_DAYS else "active"


def matches(rec, params, today):
    """Does rec match GET /v1/products with these params (a dict of str)."""
    status = params.get("status", "active")
    if status != "any" and rec["status"] != status:
        return False
    if "manufacturer" in params and rec["manufacturer"] != params["manufacturer"]:
        return False
    if "gtin" in params and rec.get("gtin") != gtin14(params["gtin"]):
        return False
    # A withdrawn record's support_status is "withdrawn" (its maker promises nothing any
    # more), so no support filter takes it, whatever its date (the lead's decision).
    if "support" in params and (rec["status"] == "withdrawn"
                                or support_by_date(rec, today) != params["support"]):
        return False
    if "compliant" in params and rec["compliance"]["compliant"] != (params["compliant"] == "true"):
        return False
    if "market" in params and params["market"].upper() not in (rec.get("markets") or []):
        return False
    q = params.get("q", "")
    if raw_words(q) and not q_matches(q, rec):
        return False
    return True


def order_key(rec, params, today):
    sort = params.get("sort") or ("relevance" if raw_words(params.get("q", "")) else "id")
    idb = rec["id"].encode()
    if sort == "support_date":
        sd = rec.get("support_date")
        return (sd is None, sd or "", idb)
    if sort == "relevance":
        return (tier(params["q"], rec), idb)
    return (idb,)


def search(records, params, today):
    """The complete answer: matching IDs in the spec's order."""
    hits = [r for r in records if matches(r, params, today)]
    hits.sort(key=lambda r: order_key(r, params, today))
    return [r["id"] for r in hits]


def facets(records, today):
    live = [r for r in records if r["status"] != "withdrawn"]
    out = {"total": len(live), "withdrawn": len(records) - len(live),
           "support": {s: 0 for s in ("active", "ending_soon", "ended", "unknown")},
           "compliant": {"true": 0, "false": 0}, "markets": {}}
    for r in live:
        out["support"][support_by_date(r, today)] += 1
        out["compliant"]["true" if r["compliance"]["compliant"] else "false"] += 1
        for m in r.get("markets") or []:
            out["markets"][m] = out["markets"].get(m, 0) + 1
    return out
