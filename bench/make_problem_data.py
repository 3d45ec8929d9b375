"""In-domain data for the problem and anger signals: public customer-service messages labelled by written rules.

    python bench/make_problem_data.py [--bitext CSV]

Sources (bench/data/README.md records each one's commit and licence):
  banking77   ../shared/data/banking77/train.csv (CC BY 4.0)
  clinc150    ../shared/data/clinc150/train_val.json, train + oos_train (CC BY 3.0)
  bitext      bench/data/bitext_customer_service.csv, the calm and request rows picked from
              Bitext's customer-service training set (CDLA-Sharing-1.0); --bitext rebuilds it
              from the upstream CSV
  S-Club      bench/data/sclub_dev.csv (tuned on) and bench/data/sclub_heldout.csv (never tuned on)
  goemotions  ../shared/data/goemotions/train.tsv (Apache-2.0): calm statements for fit and tune only
              (see goemotions_statements)

Each public row gets two labels from two passes that do not look at each other:

  pass 1 (intent)   the source's own intent says the customer reports something that went wrong
                    (PROBLEM_INTENTS: failed_transfer, transaction_charged_twice, card_declined ...)
                    -> problem; an informational intent (NEITHER_INTENTS) -> neither; any other
                    intent (card_arrival, pending_*, lost_or_stolen_card ...: either way) -> no label
  pass 2 (wording)  the message states a failure (FAILURE: "declined", "didn't arrive", "charged
                    twice", "not working", "still waiting" ...) and is not hypothetical
                    (HYPOTHETICAL: "what if", "if my", "in case" ...) -> problem, else neither

A row is kept when both passes give it a label and agree; the agreement (Cohen's kappa) is printed.
Rows are split by a hash of the text: fit (70 %), tune (15 %) and test (15 %); the test split is the
held-apart one, never used to fit or to choose a threshold. banking77/clinc150 rows that are in
bench/data/calm_customers.csv (the anger regression check) are left out of every split.

GoEmotions rows (praise, thanks, neutral remarks told as statements) are added to fit and tune
only, labelled calm without the two passes: without them nearly every calm row is a question and
the head learns "a statement is a problem". Their test-hash rows are dropped, so the held-apart
split is the same as without them.

Writes bench/out/problem_{fit,tune}.csv and bench/data/service_heldout.csv (test: public rows +
the S-Club held-apart rows, header text,label,source) for `frontdesk detect eval`.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import re
from collections import Counter
from pathlib import Path

from bench.make_detect_data import ASKS_FOR_PERSON, DATA, SHARED, goemotions_rows, write_csv as write

OUT = Path("bench/out")
BITEXT = DATA / "bitext_customer_service.csv"
PROBLEM_INTENTS = {
    # banking77
    "Refund_not_showing_up", "balance_not_updated_after_bank_transfer", "balance_not_updated_after_cheque_or_cash_deposit",
    "card_not_working", "card_payment_not_recognised", "card_payment_wrong_exchange_rate", "card_swallowed",
    "cash_withdrawal_not_recognised", "contactless_not_working", "declined_card_payment", "declined_cash_withdrawal",
    "declined_transfer", "direct_debit_payment_not_recognised", "extra_charge_on_statement", "failed_transfer",
    "reverted_card_payment?", "top_up_failed", "top_up_reverted", "transaction_charged_twice",
    "transfer_not_received_by_recipient", "virtual_card_not_working", "wrong_amount_of_cash_received",
    "wrong_exchange_rate_for_cash_withdrawal",
    # clinc150
    "card_declined", "damaged_card", "lost_luggage",
}
NEITHER_INTENTS = {
    # banking77: questions about how things work
    "age_limit", "apple_pay_or_google_pay", "atm_support", "automatic_top_up", "card_about_to_expire", "card_acceptance",
    "card_delivery_estimate", "change_pin", "country_support", "disposable_card_limits", "edit_personal_details",
    "exchange_charge", "exchange_rate", "exchange_via_app", "fiat_currency_support", "get_disposable_virtual_card",
    "getting_spare_card", "getting_virtual_card", "order_physical_card", "receiving_money", "supported_cards_and_currencies",
    "terminate_account", "top_up_by_bank_transfer_charge", "top_up_by_card_charge", "top_up_by_cash_or_cheque",
    "top_up_limits", "transfer_into_account", "transfer_timing", "verify_my_identity", "verify_source_of_funds",
    "verify_top_up", "visa_or_mastercard", "why_verify_identity",
    # Bitext: requests and questions (complaint, payment_issue, registration_problems and the requests for a person are not here)
    "cancel_order", "change_order", "change_shipping_address", "check_cancellation_fee", "check_invoice",
    "check_payment_methods", "check_refund_policy", "create_account", "delete_account", "delivery_options",
    "delivery_period", "edit_account", "get_invoice", "get_refund", "newsletter_subscription", "place_order",
    "recover_password", "review", "set_up_shipping_address", "switch_account", "track_order", "track_refund",
}
# clinc150: every in-scope intent not listed above, and out-of-scope, is neither (its domains are daily life)
CLINC_AMBIGUOUS = {"report_fraud", "report_lost_card", "freeze_account", "replacement_card_duration", "new_card"}
REQUEST_INTENTS = {"contact_human_agent", "contact_customer_service"}

NEG = r"(?:didn'?t|did not|doesn'?t|does not|don'?t|won'?t|will not|isn'?t|is not|wasn'?t|was not|hasn'?t|has not|haven'?t|have not|can'?t|cannot|couldn'?t|never|not)"
FAILURE = re.compile(
    r"\b(fail(ed|s|ing)?|declin(ed|es|ing)|reject(ed|s)?|refused|revers(ed|al)|reverted|bounced|twice|double[- ]?charged|duplicate"
    r"|broken|stuck|swallowed|ate my|took my card|kept my card|missing|disappeared|vanished|wrong|overcharged"
    r"|extra (fee|charge)|charged (me )?(extra|more|again|twice)|not enough|too much|only (got|received|gave)"
    r"|damaged|lost my|lost luggage|don'?t recogni[sz]e|not recogni[sz]e|unrecogni[sz]ed|didn'?t (make|do|authori[sz]e)"
    r"|incorrect|unauthori[sz]ed|not authori[sz]e|wasn'?t me|not me|unfamiliar|unsuccessful|unhappy|so bad|eaten"
    r"|two of the same|same (charge|transaction|payment)|(don'?t|do not|can'?t|cannot) see|(didn'?t|did not|didn'?y) (get|give)"
    r"|wouldn'?t|won'?t (let|accept|work)|not there|(can'?t|cannot) get .{0,30} to work|not cleared|hasn'?t cleared|still (awaiting|don'?t)"
    rf"|{NEG} (work|working|arrived?|showing|show(n| up)?|gone through|go through|come through|received?|got|credited|updated?)"
    r"|stopped working|still (not|no|waiting|pending|hasn'?t|haven'?t|isn'?t|missing|nothing)|yet to (arrive|receive))\b",
    re.IGNORECASE,
)
HYPOTHETICAL = re.compile(
    r"\b(what if|if (my|i|a|the|you|it|your|there)|in case|what happens (when|if)|could (it|my|a) .{0,30}be|is it possible"
    r"|are there any|can (a|my) .{0,20}(be|get)|how do you (handle|deal)|why would|might|is there an?|will you|do you charge)\b",
    re.IGNORECASE,
)


def wording_label(text: str) -> str:
    """Pass 2: problem when the wording states a failure and is not hypothetical."""
    return "problem" if FAILURE.search(text) and not HYPOTHETICAL.search(text) else "neither"


def intent_label(intent: str, source: str) -> str | None:
    """Pass 1: problem, neither, or None (the intent can be either)."""
    if intent in PROBLEM_INTENTS:
        return "problem"
    if intent in NEITHER_INTENTS or (source == "clinc150" and intent not in CLINC_AMBIGUOUS):
        return "neither"
    return None


def split_of(text: str) -> str:
    bucket = int(hashlib.md5(text.lower().encode()).hexdigest(), 16) % 100
    return "fit" if bucket < 70 else "tune" if bucket < 85 else "test"


def public_rows(clinc_sample: int = 4000, seed: int = 22) -> list[tuple[str, str, str]]:
    """(text, intent, source) from banking77, a sample of clinc150 and the Bitext file."""
    rows = []
    with (SHARED / "banking77" / "train.csv").open(encoding="utf-8", newline="") as f:
        rows += [(r["text"].strip(), r["category"], "banking77") for r in csv.DictReader(f)]
    clinc = json.loads((SHARED / "clinc150" / "train_val.json").read_text(encoding="utf-8"))
    pool = [(t.strip(), i, "clinc150") for t, i in clinc["train"] + clinc["val"]] + [(t.strip(), "oos", "clinc150") for t, _ in clinc["oos_train"]]
    rows += random.Random(seed).sample(pool, clinc_sample)
    with BITEXT.open(encoding="utf-8", newline="") as f:
        rows += [(r["text"].strip(), r["intent"], "bitext") for r in csv.DictReader(f)]
    return [r for r in rows if r[0]]


def bitext_rows(upstream: Path, per_intent: int = 60, seed: int = 22) -> list[dict]:
    """From Bitext's CSV: up to `per_intent` rows of each neither/request intent, without offensive-language (W) rows."""
    with upstream.open(encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if "W" not in r["tags"] and r["intent"] in NEITHER_INTENTS | REQUEST_INTENTS]
    rng, picked = random.Random(seed), []
    for intent in sorted({r["intent"] for r in rows}):
        same = sorted((r for r in rows if r["intent"] == intent), key=lambda r: r["instruction"])
        picked += rng.sample(same, min(per_intent, len(same)))
    return [{"text": r["instruction"].strip(), "intent": r["intent"], "tags": r["tags"]} for r in picked]


POSITIVE = {"admiration", "gratitude", "approval", "joy", "love", "neutral"}
NOT_CALM = {"anger", "annoyance", "disappointment", "disgust", "disapproval", "sadness", "fear", "grief", "nervousness",
            "embarrassment", "remorse", "confusion", "surprise", "curiosity", "realization"}


def goemotions_statements(positive: int = 1200, neutral: int = 300, seed: int = 22) -> list[tuple[str, str]]:
    """(text, emotions) of GoEmotions train rows told as a statement (no "?"), 4-30 words, no [NAME]-style
    placeholder, no failure wording, with positive/neutral labels only (none negative or unsure):
    `positive` rows with a positive label (praise, thanks ...) and `neutral` rows labelled neutral alone."""
    pool = sorted({(t.strip(), ",".join(sorted(e))) for t, e, _ in goemotions_rows("train")
                   if e <= POSITIVE and not e & NOT_CALM and "?" not in t and "[" not in t
                   and 4 <= len(t.split()) <= 30 and not FAILURE.search(t)})
    rng = random.Random(seed)
    return rng.sample([r for r in pool if r[1] != "neutral"], positive) + rng.sample([r for r in pool if r[1] == "neutral"], neutral)


def kappa(a: list[str], b: list[str]) -> float:
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b)) / n
    labels = set(a) | set(b)
    expected = sum((a.count(k) / n) * (b.count(k) / n) for k in labels)
    return (observed - expected) / (1 - expected) if expected < 1 else 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bitext", type=Path, help="rebuild bench/data/bitext_customer_service.csv from Bitext's CSV")
    args = parser.parse_args()
    if args.bitext:
        picked = bitext_rows(args.bitext)
        write(BITEXT, [(r["text"], r["intent"], r["tags"]) for r in picked], ("text", "intent", "tags"))
        print(f"{len(picked)} Bitext rows -> {BITEXT}")
    with (DATA / "calm_customers.csv").open(encoding="utf-8", newline="") as f:
        held = {r["text"].strip().lower() for r in csv.DictReader(f)}
    labelled: dict[str, list[tuple[str, str, str]]] = {"fit": [], "tune": [], "test": []}
    first, second, seen, dropped = [], [], set(), Counter()
    for text, intent, source in public_rows():
        if text.lower() in seen or text.lower() in held:
            continue
        seen.add(text.lower())
        if intent in REQUEST_INTENTS:
            if split_of(text) == "test":
                labelled["test"].append((text, "escalate", f"{source}:{intent}"))
            continue
        if ASKS_FOR_PERSON.search(text):
            continue
        one, two = intent_label(intent, source), wording_label(text)
        if one is None:
            dropped["intent either way"] += 1
            continue
        first.append(one)
        second.append(two)
        if one != two:
            dropped[f"passes disagree ({one} by intent)"] += 1
            continue
        labelled[split_of(text)].append((text, "calm" if one == "neither" else one, f"{source}:{intent}"))
    for text, emotions in goemotions_statements():
        if text.lower() not in seen and split_of(text) != "test":
            seen.add(text.lower())
            labelled[split_of(text)].append((text, "calm", f"goemotions:{emotions}"))
    agreement = sum(a == b for a, b in zip(first, second)) / len(first)
    print(json.dumps({"rows_labelled_by_both": len(first), "agreement": round(agreement, 4), "kappa": round(kappa(first, second), 4),
                      "problem_by_intent": first.count("problem"), "problem_by_wording": second.count("problem"),
                      "dropped": dict(dropped), "kept": {k: Counter(l for _, l, _ in v) for k, v in labelled.items()}}))
    for part in ("fit", "tune"):
        write(OUT / f"problem_{part}.csv", labelled[part], ("text", "label", "source"))
    with (DATA / "sclub_heldout.csv").open(encoding="utf-8", newline="") as f:
        sclub = [(r["text"], r["label"], "sclub") for r in csv.DictReader(f)]
    write(DATA / "service_heldout.csv", sorted(labelled["test"], key=lambda r: (r[2], r[0])) + sclub, ("text", "label", "source"))
    print(f"fit/tune -> {OUT}/problem_*.csv; held-apart test ({len(labelled['test']) + len(sclub)} rows) -> {DATA / 'service_heldout.csv'}")


if __name__ == "__main__":
    main()
