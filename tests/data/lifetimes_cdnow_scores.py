"""Per-customer scores of the CDNOW sample computed with the Python `lifetimes` library.

Makes tests/data/lifetimes_cdnow_scores.csv, the reference that
tests/integration/scores.rs checks `ceq fit transactions --scores` against, and
tests/data/lifetimes_zero_repeat_spend.csv (made-up repeat buyers whose repeat spend is $0,
scored with the same fitted models, since the sample has no such customer).

How it was made (run from the repository root):

    python3 -m venv /tmp/lt
    /tmp/lt/bin/pip install "lifetimes==0.11.3" "pandas<2" "numpy<2" "scipy<1.12"
    /tmp/lt/bin/python tests/data/lifetimes_cdnow_scores.py

Time convention (the one ceq uses, SPEC §14): the calibration period ends on 1997-09-30
inclusive; lifetimes summarizes by day (freq="D": repeat purchases are the distinct purchase
days after the first, monetary value the mean spend of those days) and recency and T are then
divided by 7, so time is in weeks of 7 days.

Columns:
- customer_id, frequency, recency, T: lifetimes' RFM summary (recency and T in weeks);
- monetary_value: mean spend of the repeat purchase days (0 without repeats);
- p_alive: BetaGeoFitter.conditional_probability_alive(frequency, recency, T);
- expected_purchases_39: BetaGeoFitter.conditional_expected_number_of_purchases_up_to_time(
  39, frequency, recency, T);
- expected_order_value: GammaGammaFitter.conditional_expected_average_profit(frequency,
  monetary_value), for every customer, including those without repeats (it is the population
  mean p·v/(q − 1) at frequency 0) and the repeat buyers whose repeat spend is 0 (they are left
  out of the Gamma-Gamma fit, as ceq leaves them out, but still get a conditional mean);
- discounted_purchases_39: Σ_{k=1..39} δ^k · (E[Y(k)] − E[Y(k−1)]) with E[Y(k)] lifetimes'
  conditional expected purchases up to week k and δ = 1.1^(−1/52) (10% a year, weekly periods,
  cash at the end of each week); ceq's clv at --margin 1 --discount-rate 0.10 --horizon 39 is
  this times expected_order_value;
- the fitted parameters of both models are repeated on every row (r, alpha, a, b, p, q, v), so
  the test can evaluate ceq's formulas at exactly lifetimes' parameters.

The Gamma-Gamma fit uses penalizer_coef=0 and the customers with frequency > 0 and
monetary_value > 0 (946 on this sample). BetaGeoFitter also uses penalizer_coef=0. Both fits
use tol=1e-9, the tightest at which lifetimes' optimizer reports success on this sample (at
1e-10 it stops with "precision loss"); the parameters are repeated on every row so that the
comparison of scores does not depend on how far either optimizer went.
"""

import os

import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import summary_data_from_transaction_data

HERE = os.path.dirname(os.path.abspath(__file__))
HORIZON = 39
WEEKLY_DISCOUNT = 1.1 ** (-1.0 / 52.0)

log = pd.read_csv(
    os.path.join(HERE, "cdnow_sample_transactions.csv"),
    dtype={"customer_id": str},
    parse_dates=["date"],
)
summary = summary_data_from_transaction_data(
    log,
    "customer_id",
    "date",
    monetary_value_col="amount",
    observation_period_end="1997-09-30",
    freq="D",
)
summary["recency"] = summary["recency"] / 7.0
summary["T"] = summary["T"] / 7.0

bgf = BetaGeoFitter(penalizer_coef=0.0)
bgf.fit(
    summary["frequency"],
    summary["recency"],
    summary["T"],
    tol=1e-9,
)
spenders = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
ggf = GammaGammaFitter(penalizer_coef=0.0)
ggf.fit(
    spenders["frequency"],
    spenders["monetary_value"],
    tol=1e-9,
)

f, rec, T = summary["frequency"], summary["recency"], summary["T"]
out = pd.DataFrame(index=summary.index)
out["frequency"] = f
out["recency"] = rec
out["T"] = T
out["monetary_value"] = summary["monetary_value"]
out["p_alive"] = bgf.conditional_probability_alive(f, rec, T)
out["expected_purchases_39"] = bgf.conditional_expected_number_of_purchases_up_to_time(
    HORIZON, f, rec, T
)
out["expected_order_value"] = ggf.conditional_expected_average_profit(
    f, summary["monetary_value"]
)
discounted = np.zeros(len(summary))
previous = np.zeros(len(summary))
for week in range(1, HORIZON + 1):
    cumulative = np.asarray(
        bgf.conditional_expected_number_of_purchases_up_to_time(week, f, rec, T)
    )
    discounted += WEEKLY_DISCOUNT**week * (cumulative - previous)
    previous = cumulative
out["discounted_purchases_39"] = discounted
for name, value in bgf.params_.items():
    out[name] = value
for name, value in ggf.params_.items():
    out[name] = value
out.index.name = "customer_id"
out.to_csv(os.path.join(HERE, "lifetimes_cdnow_scores.csv"), float_format="%.17g")

# The sample has no repeat buyer whose repeat spend is 0 (its eight $0.00 orders are all first
# and only purchases), so that case is made up: customers with 1, 2, 3 and 7 repeat purchase
# days worth $0 in total, at a few recencies, scored with the same fitted models.
zero = pd.DataFrame(
    {
        "frequency": [1, 2, 3, 7, 1],
        "recency": [10.0, 20.0, 30.0, 38.0, 0.5],
        "T": [38.0, 38.0, 38.0, 39.0, 20.0],
        "monetary_value": [0.0, 0.0, 0.0, 0.0, 0.0],
    },
    index=pd.Index(["zero-1", "zero-2", "zero-3", "zero-7", "zero-1-early"], name="customer_id"),
)
zf, zr, zT = zero["frequency"], zero["recency"], zero["T"]
zero["p_alive"] = bgf.conditional_probability_alive(zf, zr, zT)
zero["expected_purchases_39"] = bgf.conditional_expected_number_of_purchases_up_to_time(
    HORIZON, zf, zr, zT
)
zero["expected_order_value"] = ggf.conditional_expected_average_profit(
    zf, zero["monetary_value"]
)
zero.to_csv(os.path.join(HERE, "lifetimes_zero_repeat_spend.csv"), float_format="%.17g")

print(bgf.params_.to_dict(), ggf.params_.to_dict(), len(out), len(spenders))
